/*
 * mux_scan.h - what select(2) and poll(2) share (mux_scan.c), used only by
 * mux_select.c and mux_poll.c.  Linux keeps both in one file, fs/select.c,
 * for the same reason: they differ in how the caller describes its fds
 * (a bitmap up to nfds, an array of struct pollfd), not in how the kernel
 * waits on them.
 */
#ifndef IOSIM_MUX_SCAN_H
#define IOSIM_MUX_SCAN_H

#include "sim/sim_int.h"

/* glibc's fd_set holds FD_SETSIZE bits (<sys/select.h>) */
#define SCAN_FD_SETSIZE 1024

/*
 * The program's own pass over its set after the call returns, in user
 * space, charged as the task's CPU time (picoseconds per entry, measured
 * with gcc -O2 on an x86_64 Linux 6.x VM, AMD EPYC):
 *   select: copy the master set (rset = allset), then FD_ISSET on every bit
 *           below nfds: 2.3 ns a bit with _FORTIFY_SOURCE (each FD_ISSET
 *           calls __fdelt_chk), 0.7 ns without; we take 2 ns, or 0.7 ns
 *           with the machine setting fortify 0
 *   poll:   test revents of every pollfd entry: 0.4 to 0.7 ns an entry
 */
#define SCAN_USER_SELECT_PS 2000
#define SCAN_USER_SELECT_PS_UNCHECKED 700
#define SCAN_USER_POLL_PS 500

/* One select or poll call, as its model describes it */
struct scan_call {
    int sys;          /* SYS_SELECT or SYS_POLL */
    int sorted;       /* report ready fds in ascending order, once each */
    int bad_is_ready; /* a closed fd: poll reports POLLNVAL, select EBADF */
    int first;        /* the first walk of this call: its argument is
                         copied in now (a wake-up walks again without) */
    int64_t base;     /* the walk's fixed part: select_base and the bitmap
                         words, or poll_base; each fd adds scan_fd_cost */
    int64_t copy_in;  /* bytes copied in before the walk: the fd_set's
                         nfds bits rounded up to longs, or the pollfd array */
    int64_t copy_out; /* bytes copied back when it returns: the fd_set
                         again, or the revents field of every entry */
};

/*
 * The fds of a select/poll instruction: its operand list, or the task's
 * watch set when it has none.  *fds points into t->watch or into *buf
 * (grown as needed; the caller frees it).  Returns the count, or -1.
 */
int scan_fds(struct sim *s, struct task *t, const struct prog_ins *in,
             int32_t **buf, int *bufcap, const int32_t **fds,
             const uint8_t **evs);
/* strace's "[3 5], [4]" or "in [3], out [4]" (prefix != 0): the fds of
 * fds[0..n) whose rd / wr flag is set, ascending */
void scan_sets_text(char *buf, size_t len, const int32_t *fds,
                    const uint8_t *rd, const uint8_t *wr, int n, int prefix);
/* What asking the k-th fd of a walk (from 0) costs: its file's type
 * (scan_socket, scan_pipe, scan_tty), plus its miss cost past cache_fds;
 * obj < 0 (a closed fd, POLLNVAL) costs nothing */
int64_t scan_fd_cost(const struct sim *s, int obj, int64_t k);
/* The call itself: copy the argument in, scan, then return the ready fds
 * (copying the argument back) or sleep until one is */
int scan_run(struct sim *s, struct task *t, const struct scan_call *call,
             const int32_t *fds, const uint8_t *evs, int n);
/* After a call that returned ready fds (t->phase 1, out of the syscall):
 * the program's pass over entries, ps picoseconds each, then the result is
 * stored and the task goes on */
int scan_user_pass(struct sim *s, struct task *t, const struct prog_ins *in,
                   int64_t entries, int64_t ps);

#endif
