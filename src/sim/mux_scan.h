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

/* One select or poll call, as its model describes it */
struct scan_call {
    int sys;          /* SYS_SELECT or SYS_POLL */
    int sorted;       /* report ready fds in ascending order, once each */
    int bad_is_ready; /* a closed fd: poll reports POLLNVAL, select EBADF */
    int64_t entries;  /* what the kernel walks: nfds bits or pollfd entries */
    int64_t scan_ns;  /* what that walk costs (cost.h formula) */
};

/*
 * The fds of a select/poll instruction: its operand list, or the task's
 * watch set when it has none.  *fds points into t->watch or into *buf
 * (grown as needed; the caller frees it).  Returns the count, or -1.
 */
int scan_fds(struct sim *s, struct task *t, const struct prog_ins *in,
             int32_t **buf, int *bufcap, const int32_t **fds);
/* cost(n) = base + n * per_fd + max(0, n - cache_fds) * scan_per_fd_miss */
int64_t scan_cost(const struct cost *c, int64_t base, int64_t per_fd,
                  int64_t n);
/* The call itself: scan, then return the ready fds or sleep until one is */
int scan_run(struct sim *s, struct task *t, const struct scan_call *call,
             const int32_t *fds, int n);

#endif
