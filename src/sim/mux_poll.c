/*
 * mux_poll.c - poll(2): select without the bitmap.
 *
 *   int poll(struct pollfd *fds, nfds_t nfds, int timeout);
 *   struct pollfd { int fd; short events; short revents; };
 *
 * The caller passes an array of 8-byte entries, one per fd it watches, so
 * there is no FD_SETSIZE: any fd the process may open (RLIMIT_NOFILE) can
 * be watched.  The kernel still copies the whole array in, walks every
 * entry asking its file whether it is ready (do_poll), and copies it back
 * out with revents filled in; the caller then walks it again to find the
 * ready ones.  The cost grows with the number of entries, each charged by
 * its file's type, and past a few thousand the files it points to no
 * longer stay in the CPU caches (cost.h: scan_*_miss beyond cache_fds).
 * The array itself is
 * not consumed, so unlike select it need not be rebuilt each round.
 *
 * The timeout is an int of milliseconds (negative: wait for ever, 0:
 * return at once); after it, poll returns 0.
 *
 * revents is what the file's poll method says, filtered by events as
 * Linux filters it (POLLERR and POLLHUP are always reported: a pipe whose
 * writers are gone is POLLHUP, sim_poll_mask in net.c).  An entry whose
 * fd is closed is reported ready (POLLNVAL), as in Linux; a negative fd is
 * skipped.
 */
#include "sim/mux_scan.h"
#include "tl/text.h"

#include <poll.h>
#include <stdlib.h>

static int poll_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int32_t *buf = NULL;
    int cap = 0;
    const int32_t *fds;
    const uint8_t *evs;
    int n = scan_fds(s, t, in, &buf, &cap, &fds, &evs);
    if (n < 0)
        return GO_FAIL;
    if (!t->in_sys && t->phase) { /* back in user space: test each revents */
        free(buf);
        return scan_user_pass(s, t, in, n, SCAN_USER_POLL_PS);
    }
    int first = !t->in_sys;
    /* the timeout is an int of milliseconds; negative: for ever */
    int64_t tmo = sim_timeout_arg(t, in, 0, 1000000);
    int32_t arr = -1; /* the pollfd array passed, as strace shows it */
    if (first) {
        int32_t fd[TL_FDEV_SHOWN + 1];
        uint32_t ev[TL_FDEV_SHOWN + 1];
        int k = n < TL_FDEV_SHOWN + 1 ? n : TL_FDEV_SHOWN + 1;
        for (int i = 0; i < k; i++) {
            unsigned e = evs ? evs[i] : TL_EP_IN;
            fd[i] = fds[i];
            ev[i] = ((e & TL_EP_IN) ? POLLIN : 0) | ((e & TL_EP_OUT) ? POLLOUT : 0);
        }
        char text[TL_TEXT_MAX];
        tl_fdev_text(text, sizeof text, TL_FDEV_POLLFD, fd, ev, k, n);
        int id = sim_call_str(s, t, 0, text);
        arr = id >= 0 ? TL_STR_OBJ(id) : -1;
    }
    sim_sys_enter_wait(s, t, SYS_POLL, arr, n, tmo < 0 ? -1 : tmo, 1);
    const struct cost *c = &s->p->cost;
    struct scan_call call = {
        .sys = SYS_POLL,
        .sorted = 0,
        .bad_is_ready = 1,
        .first = first,
        .base = c->poll_base,
        .copy_in = (int64_t)n * 8,  /* struct pollfd: fd, events, revents */
        .copy_out = (int64_t)n * 2, /* __put_user of each revents (short) */
    };
    int r = scan_run(s, t, &call, fds, evs, n);
    free(buf);
    return r;
}

const struct mux_ops mux_poll_ops = {
    .name = "poll",
    .ops = {OP_POLL, OP__COUNT},
    .exec = poll_exec,
};
