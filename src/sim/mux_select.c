/*
 * mux_select.c - select(2): the third I/O model (Stevens, UNP figure 6.3).
 *
 *   int select(int nfds, fd_set *readfds, fd_set *writefds,
 *              fd_set *exceptfds, struct timeval *timeout);
 *
 * An fd_set is a bitmap of FD_SETSIZE (1024) bits.  On every call the
 * kernel copies nfds bits of each set in (core_sys_select), walks the bitmap
 * below nfds = highest fd + 1 a 64-bit word at a time, skipping the words
 * with no bit set, and asks only the files whose bit is set whether they
 * are ready (do_select), then copies the sets back out with only the ready
 * bits left: the caller's set is overwritten, so it keeps a master copy
 * and rebuilds the argument each round, then tests every bit below nfds
 * again with FD_ISSET, in user space.  So the kernel's cost is a cheap
 * part per word below nfds plus one poll per watched fd (a lone fd near
 * 1000 costs about as much as a lone fd 3), while copying the sets and the
 * program's own FD_ISSET pass grow with nfds.
 *
 * FD_SETSIZE is the hard limit: FD_SET(1024, &set) writes past the end of
 * the bitmap (undefined behaviour, man 2 select, BUGS).  A program compiled
 * with -D_FORTIFY_SOURCE and -O1 or more (Ubuntu's gcc adds it when
 * optimising; Debian's and Fedora's packages are built with it; Debian's
 * gcc does not add it by itself) has FD_SET call glibc's __fdelt_chk,
 * which checks the bit and aborts:
 *     *** bit out of range 0 - FD_SETSIZE on fd_set ***: terminated
 * The simulator makes that abort happen when the program calls select with
 * such an fd (in C it happens in the FD_SET just before): SIGABRT kills the
 * whole process, whose shell status is 128 + 6 = 134.  With the machine
 * setting `fortify 0` nothing checks and select goes on (select_overflow).
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

/* FD_SET on fd 1024 or more, or below 0, in a program built with
 * -D_FORTIFY_SOURCE and -O1 or more: __fdelt_chk calls __chk_fail, and
 * glibc 2.36 does what strace shows, one call per step (phase 100 + i):
 *   writev(2, [{"*** "}, {"bit out of range 0 - FD_SETSIZE on fd_set"},
 *              {" ***: terminated\n"}], 3) = 62      (__libc_message)
 *   mmap(NULL, 4096, ...) = 0x...    (the message kept for a core dump)
 *   rt_sigprocmask(SIG_UNBLOCK, [ABRT], NULL, 8) = 0          (abort)
 *   gettid(), getpid(), tgkill(pid, tid, SIGABRT) = 0          (raise)
 * and SIGABRT, whose default action kills the process (status 134). */
enum { ABORT_PHASE = 100 };

static int select_abort(struct sim *s, struct task *t, int64_t fd)
{
    int step = t->phase >= ABORT_PHASE ? t->phase - ABORT_PHASE : 0;
    int pid = (int)s->tasks[t->proc].id, tid = (int)t->id;
    if (step == 0) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "*** bit out of range 0 - FD_SETSIZE on fd_set ***: "
                 "terminated. fd %lld is past the fd_set's %d bits. Built "
                 "with -D_FORTIFY_SOURCE=%d -O2, FD_SET checks: writev of the "
                 "message, abort(): tgkill SIGABRT, status 134. Plain gcc -O2 "
                 "on Debian checks nothing.",
                 (long long)fd, SCAN_FD_SETSIZE, s->p->fortify);
        int id = tl_add_str(s->tl, msg);
        if (id < 0) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        sim_emit(s, EV_CAPTION, (int)(t - s->tasks), 0, -1, id, 0);
    }
    int64_t ret = 0;
    switch (step) {
    case 0:
        sim_sys_enter(s, t, SYS_WRITEV, 2, TL_MSG_FDSET);
        ret = 62;
        break;
    case 1:
        sim_sys_enter(s, t, SYS_MMAP, -1, TL_MMAP_ARG(TL_MMAP_ANON, 4096));
        ret = sim_mmap_addr(s, t, 4096);
        break;
    case 2:
        sim_sys_enter(s, t, SYS_RT_SIGPROCMASK, -1, SIGABRT);
        break;
    case 3:
        sim_sys_enter(s, t, SYS_GETTID, -1, 0);
        ret = tid;
        break;
    case 4:
        sim_sys_enter(s, t, SYS_GETPID, -1, 0);
        ret = pid;
        break;
    case 5:
        sim_sys_enter(s, t, SYS_TGKILL, -1, TL_TGKILL_ARG(pid, tid, SIGABRT));
        break;
    default: /* back from tgkill: SIGABRT is delivered */
        t->phase = 0;
        sim_kill_process(s, t, SIGABRT);
        return GO_EXITED;
    }
    t->phase = ABORT_PHASE + step;
    t->advance = 1;
    return sim_sys_return(s, t, ret, step == 0 ? sat_add(s->p->cost.syscall,
                                                         sim_copy_ns(s, 62))
                                               : s->p->cost.syscall);
}

/* The same FD_SET without _FORTIFY_SOURCE: nothing checks.  An fd of 1024
 * or more sets a bit past the 128-byte fd_set, in whatever the stack holds
 * there; select() is passed nfds = fd + 1 and the kernel reads that many
 * bits from the set's address, so it does watch the fd (as a C program
 * does on Linux 6.x, having silently corrupted its stack).  A negative fd
 * is undefined (a shift by a negative count): the model leaves it out. */
static int select_overflow(struct sim *s, struct task *t, int64_t fd)
{
    char msg[640];
    if (fd >= 0)
        snprintf(msg, sizeof msg,
                 "FD_SET(%lld) set a bit in byte %lld of a %d-byte fd_set: "
                 "built without _FORTIFY_SOURCE (a plain gcc -O2 on Debian), "
                 "nothing checks, and the stack past the set is overwritten "
                 "(undefined behaviour). The kernel reads nfds = %lld bits, "
                 "so fd %lld is watched: the program seems to work.",
                 (long long)fd, (long long)(fd / 8), SCAN_FD_SETSIZE / 8,
                 (long long)fd + 1, (long long)fd);
    else
        snprintf(msg, sizeof msg,
                 "FD_SET(%lld, &readfds): a negative fd in an fd_set is "
                 "undefined behaviour, and without _FORTIFY_SOURCE nothing "
                 "checks it; iosim leaves it out of the set.", (long long)fd);
    int id = tl_add_str(s->tl, msg);
    if (id < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    sim_emit(s, EV_CAPTION, (int)(t - s->tasks), 0, -1, id, 0);
    t->said_fdset = 1;
    return 0;
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
        int out = fds[i] < 0 || fds[i] >= SCAN_FD_SETSIZE;
        if (out && s->p->fortify && (t->phase >= ABORT_PHASE ||
                                     (first && !user))) {
            int64_t bad = fds[i];
            free(buf);
            return select_abort(s, t, bad);
        }
        if (out && !s->p->fortify && first && !user && !t->said_fdset)
            if (select_overflow(s, t, fds[i]) < 0) {
                free(buf);
                return GO_FAIL;
            }
        if (fds[i] > top)
            top = fds[i];
    }
    int64_t nfds = top + 1;
    if (user) { /* back in user space: rebuild the set, FD_ISSET each bit */
        free(buf);
        return scan_user_pass(s, t, in, nfds,
                              s->p->fortify ? SCAN_USER_SELECT_PS
                                            : SCAN_USER_SELECT_PS_UNCHECKED);
    }
    /* the timeout: a struct timeval, microseconds; glibc passes it on as
     * pselect6's timespec */
    int64_t tmo = sim_timeout_arg(t, in, 0, 1000);
    if (!t->in_sys && in->nargs > 0 && tmo < 0) { /* a negative timeval */
        free(buf);
        sim_sys_enter_wait(s, t, SYS_SELECT, -1, nfds, 0, 0);
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    }
    int32_t setstr = -1; /* the sets passed, as strace shows them */
    if (!t->in_sys && n > 0) {
        uint8_t *f = calloc((size_t)n, 2);
        char text[1200];
        if (f) {
            for (int i = 0; i < n; i++) {
                f[i] = !evs || (evs[i] & TL_EP_IN);
                f[n + i] = evs && (evs[i] & TL_EP_OUT);
            }
            scan_sets_text(text, sizeof text, fds, f, f + n, n, 0);
            int id = sim_call_str(s, t, 0, text);
            setstr = id >= 0 ? TL_STR_OBJ(id) : -1;
            free(f);
        }
    }
    sim_sys_enter_wait(s, t, SYS_SELECT, setstr, nfds, tmo, 1);
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
        /* do_select walks the bitmap a long at a time, skipping words
         * with no bit set, and asks only the files whose bit is set */
        .base = sat_add(c->select_base, sat_mul((nfds + 63) / 64,
                                                c->select_per_word)),
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
