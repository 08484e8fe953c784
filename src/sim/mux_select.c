/*
 * mux_select.c - select(2): the third I/O model (Stevens, UNP figure 6.3).
 *
 *   int select(int nfds, fd_set *readfds, fd_set *writefds,
 *              fd_set *exceptfds, struct timeval *timeout);
 *
 * An fd_set is a bitmap of FD_SETSIZE (1024) bits.  On every call the
 * kernel copies nfds bits of each set in (core_sys_select), walks every bit
 * below nfds = highest fd + 1 asking each file whether it is ready
 * (do_select), and copies the sets back out with only the ready bits left:
 * the caller's set is overwritten, so it keeps a master copy and rebuilds
 * the argument each round, then tests every bit again with FD_ISSET.  The
 * walk is over nfds, not over the fds actually watched: one high fd makes
 * every call pay for all the bits below it.
 *
 * FD_SETSIZE is the hard limit: FD_SET(1024, &set) writes past the end of
 * the bitmap (undefined behaviour, man 2 select, BUGS).  glibc built with
 * _FORTIFY_SOURCE (the default of Debian, Ubuntu and Fedora compilers when
 * optimising) checks the bit in __fdelt_chk and aborts:
 *     *** bit out of range 0 - FD_SETSIZE on fd_set ***: terminated
 * The simulator makes that abort happen when the program calls select with
 * such an fd (in C it happens in the FD_SET just before): SIGABRT kills the
 * whole process, whose shell status is 128 + 6 = 134.
 *
 * The timeout is a struct timeval (whole microseconds; glibc's select()
 * hands pselect6 a timespec made from it).  Linux writes the time left
 * back into it when the call returns (0 after a timeout), and glibc copies
 * that back to the caller's timeval: a program that loops on select must
 * set it again each round.  A timeout held in a variable gets that update.
 *
 * readfds and writefds come from the watch set (`watch FD in|out`); both
 * are copied in and out when the program watches anything for room.
 * Simplified: no exceptfds; a closed fd in the set fails the call with
 * EBADF, as in Linux.
 */
#include "sim/mux_scan.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static int select_abort(struct sim *s, struct task *t, int64_t fd)
{
    char msg[512];
    snprintf(msg, sizeof msg,
             "*** bit out of range 0 - FD_SETSIZE on fd_set ***: terminated. "
             "FD_SET(%lld, &readfds) would write past the %d bits of an "
             "fd_set; glibc built with _FORTIFY_SOURCE checks the bit "
             "(__fdelt_chk) and calls abort(). SIGABRT kills the process "
             "(exit status 134): select() cannot watch fds of %d or more, "
             "whatever RLIMIT_NOFILE allows.",
             (long long)fd, SCAN_FD_SETSIZE, SCAN_FD_SETSIZE);
    int id = tl_add_str(s->tl, msg);
    if (id < 0) {
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    sim_emit(s, EV_CAPTION, (int)(t - s->tasks), 0, -1, id, 0);
    sim_kill_process(s, t, SIGABRT);
    return GO_EXITED;
}

static int select_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int32_t *buf = NULL;
    int cap = 0;
    const int32_t *fds;
    const uint8_t *evs;
    int n = scan_fds(s, t, in, &buf, &cap, &fds, &evs);
    if (n < 0)
        return GO_FAIL;
    int first = !t->in_sys, user = first && t->phase;
    int64_t top = -1; /* nfds = the highest fd + 1 */
    for (int i = 0; i < n; i++) {
        if (first && !user && (fds[i] < 0 || fds[i] >= SCAN_FD_SETSIZE)) {
            int64_t bad = fds[i];
            free(buf);
            return select_abort(s, t, bad);
        }
        if (fds[i] > top)
            top = fds[i];
    }
    int64_t nfds = top + 1;
    if (user) { /* back in user space: rebuild the set, FD_ISSET each bit */
        free(buf);
        return scan_user_pass(s, t, in, nfds, SCAN_USER_SELECT_PS);
    }
    /* the timeout: a struct timeval, microseconds; glibc passes it on as
     * pselect6's timespec */
    int64_t tmo = sim_timeout_arg(t, in, 0, 1000);
    if (!t->in_sys && in->nargs > 0 && tmo < 0) { /* a negative timeval */
        free(buf);
        sim_sys_enter_wait(s, t, SYS_SELECT, -1, nfds, 0, 0);
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    }
    sim_sys_enter_wait(s, t, SYS_SELECT, -1, nfds, tmo, 1);
    const struct cost *c = &s->p->cost;
    int64_t set_bytes = (nfds + 63) / 64 * 8; /* FDS_BYTES: whole longs */
    int sets = 1; /* readfds, and writefds if the program watches for room */
    for (int i = 0; evs && i < n && sets == 1; i++)
        if (evs[i] & TL_EP_OUT)
            sets = 2;
    set_bytes *= sets;
    struct scan_call call = {
        .sys = SYS_SELECT,
        .sorted = 1,
        .bad_is_ready = 0,
        .first = first,
        .entries = nfds,
        .scan_ns = scan_cost(c, c->select_base, c->select_per_fd, nfds),
        .copy_in = set_bytes,
        .copy_out = set_bytes,
    };
    int r = scan_run(s, t, &call, fds, evs, n);
    free(buf);
    if (t->pend && t->tmo_at >= 0 && in->nargs > 0 &&
        in->a[0].kind == ARG_SLOT) {
        /* the call returns: Linux writes the time left back into the
         * timeval (poll_select_finish), and glibc's select() copies it to
         * the caller's (whole microseconds, rounded down) */
        int64_t left = t->tmo_end - s->now;
        sim_set_dst(s, t, (int)in->a[0].v, left > 0 ? left / 1000 * 1000 : 0);
    }
    return r;
}

const struct mux_ops mux_select_ops = {
    .name = "select",
    .ops = {OP_SELECT, OP__COUNT},
    .exec = select_exec,
};
