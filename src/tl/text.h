/*
 * text.h - timelines in words: the strace-style lines of `iosim --dump`, the
 * viewer's event log and its captions all come from here, so that every
 * place says the same thing the same way.
 *
 * Every function writes at most len bytes (NUL included) into buf and
 * returns buf.  Syscall argument lists follow strace's notation; errno
 * names and texts are Linux's (strerror).
 */
#ifndef IOSIM_TEXT_H
#define IOSIM_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tl/tl.h"

/* Room for any one call's text: 32 epoll events and the rest of the line */
#define TL_TEXT_MAX 3072

/* "read(4, ..., 4096)" for a syscall entered with fd (or -1) and size arg */
char *tl_call_text(char *buf, size_t len, int sys, int fd, int64_t arg);
/* "[3 5 9]": the fds of a select set as strace prints them; fds ascending,
 * at most max of them then "..." */
char *tl_fdset_text(char *buf, size_t len, const int32_t *fds, int n, int max);
/* " (in [3])" after a select's return, " ([{fd=3, revents=POLLIN}])"
 * after a poll's, or "" */
char *tl_ret_detail_text(char *buf, size_t len, const struct tl *tl,
                         const struct tl_ev *ret);
/* "EPOLLIN|EPOLLET": TL_EP_* events in strace's order (by bit value) */
char *tl_epoll_events_text(char *buf, size_t len, unsigned ev);
/* "POLLIN|POLLHUP" (epoll 0) or "EPOLLIN|EPOLLOUT" (epoll 1): Linux's
 * poll bits (POLLIN 0x1, POLLOUT 0x4, POLLERR 0x8, POLLHUP 0x10, POLLNVAL
 * 0x20, ...; epoll's share the values) in bit order, as strace names
 * them; "0" for none */
char *tl_poll_bits_text(char *buf, size_t len, unsigned bits, int epoll);
/* The arrays poll and epoll_wait pass, as strace prints them (kind):
 *   TL_FDEV_POLLFD   poll's argument: "[{fd=3, events=POLLIN}, {fd=-1}]"
 *   TL_FDEV_REVENTS  what poll wrote back, the entries with revents:
 *                    "[{fd=3, revents=POLLIN}]"
 *   TL_FDEV_EPOLL    epoll_wait's events, data being the fd:
 *                    "[{events=EPOLLIN, data={u32=5, u64=5}}]"
 * fd[i], ev[i] (Linux bits) for the first n entries of total; strace
 * prints 32 entries at most, then "...". */
/* The status wait4 wrote back, as strace prints it: the word the kernel
 * stores (exit code << 8, or the signal, | 0x80 with a core dump):
 * "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]",
 * "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM}]" */
char *tl_wstatus_text(char *buf, size_t len, int wstatus);
enum tl_fdev_kind { TL_FDEV_POLLFD, TL_FDEV_REVENTS, TL_FDEV_EPOLL };
#define TL_FDEV_SHOWN 32
char *tl_fdev_text(char *buf, size_t len, int kind, const int32_t *fd,
                   const uint32_t *ev, int n, int64_t total);
/* "EPOLL_CTL_ADD" for 0, 1, 2 */
const char *tl_epoll_op_name(int op);
/* The same for a call that may wait with a timeout (SYS_ENTER.b, TL_TMO):
 * "epoll_wait(5, [...], 64, 10)", "pselect6(4, [...], NULL, NULL,
 * {tv_sec=0, tv_nsec=10000000}, NULL)" */
char *tl_call_wait_text(char *buf, size_t len, int sys, int fd, int64_t arg,
                        int64_t tmo);
/* The call an SYS_ENTER event enters: the argument list a recorded
 * timeline kept (SYS_ENTER.b), else tl_call_text() */
char *tl_enter_text(char *buf, size_t len, const struct tl *tl,
                    const struct tl_ev *e);
/* " = 100" or " = -1 EAGAIN (Resource temporarily unavailable)" */
char *tl_ret_text(char *buf, size_t len, int64_t ret);
/* The same, knowing the call: " = 0x802 (flags O_RDWR|O_NONBLOCK)" for
 * fcntl(F_GETFL), " = 0 (Timeout)" for pselect6 and poll */
char *tl_sys_ret_text(char *buf, size_t len, int sys, int64_t arg, int64_t ret);
/* "socket #5 :8080", "pipe (read end) #3" */
char *tl_obj_text(char *buf, size_t len, const struct tl *tl, int obj);
/* The same for an object whose kind and port changed since its creation
   (a socket that now listens), as a world knows them */
char *tl_obj_now_text(char *buf, size_t len, int obj, int kind, int port);
/* File status flags (TL_FL_*) as "O_NONBLOCK|O_ASYNC"; "" if none */
char *tl_fl_text(char *buf, size_t len, int flags);
/* The SYS_ENTER of the call whose SYSCALL event is i (found by the call's
 * duration), or -1 */
long tl_enter_of(const struct tl *tl, long i);
/* One event in words, without time or task: what the dump and log show */
char *tl_ev_text(char *buf, size_t len, const struct tl *tl, long i);
/* "12.345 ms" style, for people */
char *tl_time_text(char *buf, size_t len, int64_t ns);
const char *tl_signal_name(int sig);
/* An item of queue q in words: "alice", "fd 5", "SIGIO",
 * "read fd 5, 4096 bytes" (an SQE), "read fd 5: res 100" (a CQE) */
char *tl_qitem_text(char *buf, size_t len, const struct tl *tl, int q,
                    int64_t item);

/*
 * The --dump format: one line per event, "SECONDS TASK TEXT", where SECONDS
 * is the virtual time with nine decimals and TASK is padded to a column.
 * A syscall that returns with no other event between its entry and its
 * return is printed on one line, as strace does ("read(4, ..., 4096) = 100
 * <0.000000110>"); otherwise as "<unfinished ...>" and "<... read resumed>".
 * Stable for scripts: see docs/export-format.md.
 */
int tl_dump(const struct tl *tl, FILE *out);

#endif
