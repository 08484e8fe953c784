/*
 * mux_scan.c - what select(2) and poll(2) share: the program's own fd set
 * (`watch`, `unwatch`) and the kernel's way of waiting on many fds at once
 * (do_select() and do_poll() in Linux's fs/select.c).
 *
 * A call walks every fd it was given.  For each, the kernel asks the file
 * whether it is ready (its poll method) and, if the call may sleep, hangs a
 * wait-queue entry on the file (poll_wait).  If nothing is ready the task
 * sleeps; data arriving on any of the files wakes it through its entry, it
 * walks everything again, and it returns the ready ones.  On return every
 * entry is taken down again, so the next call pays for all of it afresh:
 * that is why the cost grows with the number of fds.  Each fd is charged
 * by its file's type as the walk visits it (scan_fd_cost, cost.h: a TCP
 * socket's poll method costs more than a pipe's), plus a miss cost past
 * cache_fds fds; the fixed part (select's bitmap walk) is the caller's.
 *
 * Around the walk: the call's argument (an fd_set, a pollfd array) is
 * copied in once per call and back out when it returns ready fds, charged
 * inside the syscall at copy_per_kb but kept out of the scan's event, so
 * the statistics' kernel scanning stays the walk.  Back in user space the
 * program walks its set once more (FD_ISSET, or each revents) before its
 * next statement: scan_user_pass charges that as the task's CPU time.
 *
 * A timeout (sim_sys_enter_wait) bounds the sleep: when it fires the task
 * walks once more and returns what is ready, 0 if nothing, with the
 * emptied sets copied back (do_select breaks out of its loop with
 * timed_out set); a zero timeout walks once and never hangs an entry.
 *
 * Wait entries are kept per object as (task, round): a task's round number
 * (scan_gen) changes each time it goes to sleep, which makes its entries
 * from earlier rounds stale without visiting them; the list of an object is
 * emptied whenever it becomes readable, and a task re-registering on an
 * object replaces its own old entry, so a list holds at most one entry per
 * task that watches the object.  A wake that comes while the task is still
 * walking (before it sleeps) sets scan_trig, the kernel's pwq->triggered,
 * and the task walks again instead of sleeping.
 *
 * The watch set is user-space bookkeeping: a program's master fd_set that
 * FD_SET/FD_CLR edit (UNP's `allset`), or its pollfd array.  It costs no
 * syscall; the viewer shows it as a queue so the class sees what every call
 * copies into the kernel.
 */
#include "sim/mux_scan.h"
#include "tl/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_FD_MAX (1 << 24)

static int grow32(int32_t **v, int32_t *cap, int need)
{
    if (need <= *cap)
        return 0;
    int ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    int32_t *p = realloc(*v, (size_t)ncap * sizeof *p);
    if (!p)
        return -ENOMEM;
    memset(p + *cap, 0, (size_t)(ncap - *cap) * sizeof *p);
    *v = p;
    *cap = ncap;
    return 0;
}

int64_t scan_fd_cost(const struct sim *s, int obj, int64_t k)
{
    const struct cost *c = &s->p->cost;
    if (obj < 0)
        return 0;
    int kind = s->w.objs[obj].kind;
    int64_t per = c->scan_socket, miss = c->scan_socket_miss;
    if (kind == OK_PIPE_R || kind == OK_PIPE_W) {
        per = c->scan_pipe;
        miss = c->scan_pipe_miss;
    } else if (kind == OK_TTY) {
        per = c->scan_tty;
        miss = c->scan_tty_miss;
    }
    return k >= c->cache_fds ? sat_add(per, miss) : per;
}

int scan_fds(struct sim *s, struct task *t, const struct prog_ins *in,
             int32_t **buf, int *bufcap, const int32_t **fds,
             const uint8_t **evs)
{
    if (in->list < 0) { /* no operands: the program's own set */
        *fds = t->watch ? t->watch->fd : NULL;
        *evs = t->watch ? t->watch->ev : NULL;
        return t->watch ? t->watch->n : 0;
    }
    *evs = NULL; /* a list of operands: readability only */
    const struct prog_list *l = &s->p->lists[in->list];
    if (grow32(buf, bufcap, l->n)) {
        s->failed = -ENOMEM;
        return -1;
    }
    for (int i = 0; i < l->n; i++) {
        const struct prog_arg *a = &l->v[i];
        int64_t v = a->kind == ARG_SLOT ? *sim_slot(t, (int)a->v) : a->v;
        (*buf)[i] = v < -1 || v > SCAN_FD_MAX ? -1 : (int32_t)v;
    }
    *fds = *buf;
    return l->n;
}

static int cmp_fd(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* A wait-queue entry for t on obj, the newest (poll_wait adds it at the
 * head of the file's queue), replacing t's older one if any */
static int sleeper_add(struct sim *s, int obj, int task, uint32_t round,
                       unsigned ev)
{
    struct watchers *w = &s->objs[obj].sleepers;
    for (int i = 0; i < w->n; i++)
        if (w->v[i].who == task) {
            memmove(&w->v[i], &w->v[i + 1], (size_t)(w->n - i - 1) * sizeof *w->v);
            w->v[w->n - 1] = (struct watch_ent){task, (int32_t)round, ev};
            return 0;
        }
    if (w->n == w->cap) {
        int ncap = w->cap ? w->cap * 2 : 2;
        struct watch_ent *p = realloc(w->v, (size_t)ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        w->v = p;
        w->cap = ncap;
    }
    w->v[w->n++] = (struct watch_ent){task, (int32_t)round, ev};
    return 0;
}


/* the fds with flag f set, ascending and once each, as a bitmap lists
 * them; the 64 lowest are kept, then "..." */
static void set_text(char *buf, size_t len, const int32_t *fds,
                     const uint8_t *f, int n)
{
    enum { KEEP = 65 };
    int32_t v[KEEP];
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!f[i] || fds[i] < 0)
            continue;
        int j = k;
        while (j > 0 && v[j - 1] > fds[i])
            j--;
        if ((j > 0 && v[j - 1] == fds[i]) || j >= KEEP)
            continue;
        int move = (k < KEEP ? k : KEEP - 1) - j;
        memmove(&v[j + 1], &v[j], (size_t)move * sizeof *v);
        v[j] = fds[i];
        if (k < KEEP)
            k++;
    }
    tl_fdset_text(buf, len, v, k, KEEP - 1);
}

void scan_sets_text(char *buf, size_t len, const int32_t *fds,
                    const uint8_t *rd, const uint8_t *wr, int n, int prefix)
{
    char r[512], w[512];
    int hr = 0, hw = 0;
    for (int i = 0; i < n; i++) {
        hr |= rd[i];
        hw |= wr[i];
    }
    set_text(r, sizeof r, fds, rd, n);
    set_text(w, sizeof w, fds, wr, n);
    if (!prefix)
        snprintf(buf, len, "%s, %s", hr ? r : "NULL", hw ? w : "NULL");
    else if (hr && hw)
        snprintf(buf, len, "in %s, out %s", r, w);
    else
        snprintf(buf, len, "%s %s", hr ? "in" : "out", hr ? r : w);
}

static unsigned scan_ev(const uint8_t *evs, int i)
{
    return evs ? evs[i] : TL_EP_IN;
}

int scan_run(struct sim *s, struct task *t, const struct scan_call *call,
             const int32_t *fds, const uint8_t *evs, int n)
{
    int me = (int)(t - s->tasks);
    if (t->phase == 1) { /* the walk's CPU time has passed */
        t->phase = 0;
        if (!t->scan_trig) /* poll_schedule_timeout */
            return sim_block_timed(s, t, TW_EVENTS, -1);
        /* a file became ready while we walked: walk again */
    }
    t->scan_wait = t->scan_trig = 0;
    t->nready = t->ready_i = 0;
    int64_t bits = 0; /* select counts a bit per set: an fd readable and
                         writable counts twice */
    /* copy_from_user of the argument: once per call, before the first walk */
    int64_t kernel_ns = sat_add(s->p->cost.syscall,
                                call->first ? sim_arg_copy(s, me, call->sys,
                                                       TC_TO_KERNEL,
                                                       call->copy_in) : 0);
    int64_t scan_ns = call->base, polled = 0;
    if (call->first) /* the SYSCALL event names the ready fds, if any */
        t->sys_fd = -1;
    /* select: which fds are left in which set, for strace's "(in [3])" */
    uint8_t *flags = call->sorted && n > 0 ? calloc((size_t)n, 2) : NULL;
    /* poll: the entries whose revents it fills, for "([{fd=3, revents=
     * POLLIN}])" (strace shows 32) */
    int32_t rfd[TL_FDEV_SHOWN + 1];
    uint32_t rev[TL_FDEV_SHOWN + 1];
    int nrev = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0) /* poll ignores negative fds */
            continue;
        int obj = sim_fd_obj(s, t, fds[i]);
        scan_ns = sat_add(scan_ns, scan_fd_cost(s, obj, polled++));
        if (obj < 0 && !call->bad_is_ready) {
            free(flags);
            int64_t part = scan_ns;
            t->nready = 0;
            sim_emit(s, EV_SCAN, me, call->sys, -1, polled, part);
            /* an error returns before the sets are copied back */
            return sim_sys_return(s, t, -EBADF, sat_add(kernel_ns, part));
        }
        /* the file's poll method: readable (POLLIN, readfds) and/or
         * room to write (POLLOUT, writefds), as asked */
        unsigned ev = scan_ev(evs, i);
        int rd = obj < 0 || ((ev & TL_EP_IN) && sim_readable(s, obj));
        int wr = obj >= 0 && (ev & TL_EP_OUT) && sim_poll_out(s, obj);
        bits += rd + wr;
        if (flags) {
            flags[i] = (uint8_t)rd;
            flags[n + i] = (uint8_t)wr;
        }
        if ((rd || wr) && !call->sorted && nrev <= TL_FDEV_SHOWN) {
            rfd[nrev] = fds[i];
            rev[nrev++] = sim_revents(s, obj, ev);
        }
        if ((rd || wr) && sim_ready_push(t, fds[i])) {
            free(flags);
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
    }
    if (flags && t->nready > 0) {
        char text[1200];
        scan_sets_text(text, sizeof text, fds, flags, flags + n, n, 1);
        int id = sim_call_str(s, t, 1, text);
        if (id >= 0)
            t->sys_fd = TL_STR_OBJ(id); /* the SYSCALL event's obj */
    }
    free(flags);
    if (!call->sorted && t->nready > 0) {
        char text[TL_TEXT_MAX];
        tl_fdev_text(text, sizeof text, TL_FDEV_REVENTS, rfd, rev, nrev,
                     t->nready);
        int id = sim_call_str(s, t, 1, text);
        if (id >= 0)
            t->sys_fd = TL_STR_OBJ(id);
    }
    sim_emit(s, EV_SCAN, me, call->sys, -1, polled, scan_ns);
    if (call->sorted && t->nready > 1) { /* select: one bit per fd */
        qsort(t->ready, (size_t)t->nready, sizeof *t->ready, cmp_fd);
        int k = 1;
        for (int i = 1; i < t->nready; i++)
            if (t->ready[i] != t->ready[k - 1])
                t->ready[k++] = t->ready[i];
        t->nready = k;
    }
    kernel_ns = sat_add(kernel_ns, scan_ns);
    if (t->nready > 0) { /* copy_to_user of the result, then the program's
                            own pass over it (scan_user_pass) */
        t->advance = 1;
        return sim_sys_return(s, t, call->sorted ? bits : t->nready,
                              sat_add(kernel_ns, sim_arg_copy(s, me, call->sys,
                                                          TC_TO_USER,
                                                          call->copy_out)));
    }
    if (sim_timed_out(s, t)) { /* a zero timeout, or it expired: the
                                    emptied sets are copied back, 0 */
        t->nready = 0;
        return sim_sys_return(s, t, 0,
                              sat_add(kernel_ns, sim_arg_copy(s, me, call->sys,
                                                          TC_TO_USER,
                                                          call->copy_out)));
    }
    /* nothing ready: hang an entry on every file, then sleep */
    t->scan_gen++;
    for (int i = 0; i < n; i++) {
        int obj = fds[i] < 0 ? -1 : sim_fd_obj(s, t, fds[i]);
        if (obj >= 0 && sleeper_add(s, obj, me, t->scan_gen, scan_ev(evs, i))) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
    }
    t->scan_wait = 1;
    t->phase = 1;
    t->busy_ns = t->external ? 0 : kernel_ns;
    return GO_BUSY;
}

int scan_user_pass(struct sim *s, struct task *t, const struct prog_ins *in,
                   int64_t entries, int64_t ps)
{
    if (t->phase == 1) { /* FD_ISSET on every bit, or every revents */
        t->phase = 2;
        t->busy_ns = t->external ? 0 : sat_mul(entries, ps) / 1000;
        return GO_BUSY;
    }
    (void)s;
    sim_set_dst(s, t, in->dst, t->ret);
    t->phase = 0;
    t->pc++;
    return GO_NEXT;
}

/* obj became readable (ev TL_EP_IN) or writable (TL_EP_OUT): wake every
 * task asleep in select/poll on it for that (pollwake checks the entry's
 * key), the newest entry first; entries waiting for the other stay, stale
 * ones go */
static void scan_wake(struct sim *s, int obj, unsigned ev)
{
    struct watchers *w = &s->objs[obj].sleepers;
    int n = w->n, k = n;
    for (int i = n - 1; i >= 0; i--) {
        struct watch_ent e = w->v[i];
        int id = e.who;
        struct task *t = &s->tasks[id];
        if (t->exited || !t->scan_wait || t->scan_gen != (uint32_t)e.key)
            continue; /* stale: dropped */
        if (!(e.ev & ev)) {
            w->v[--k] = e; /* not what it waits for: kept */
            continue;
        }
        if (s->w.tasks[id].state == TS_BLOCKED) {
            t->scan_wait = 0;
            sim_wake(s, t);
        } else {
            t->scan_trig = 1; /* still walking: it will walk again */
        }
    }
    /* the wake-ups emit events only; nothing else grew the list: the
     * entries kept are v[k..n), moved down */
    w = &s->objs[obj].sleepers;
    if (w->n == n) {
        if (k > 0 && n > k)
            memmove(w->v, w->v + k, (size_t)(n - k) * sizeof *w->v);
        w->n = n - k;
    }
}

static void scan_readable(struct sim *s, int obj)
{
    scan_wake(s, obj, TL_EP_IN);
}

static void scan_writable(struct sim *s, int obj)
{
    scan_wake(s, obj, TL_EP_OUT);
}

static void scan_release(struct sim *s, int obj)
{
    s->objs[obj].sleepers.n = 0;
}

/* ---- the program's own fd set ------------------------------------------- */

static int watch_queue(struct sim *s, struct task *t)
{
    struct fdset *w = t->watch;
    if (w->queue_id)
        return w->queue_id - 1;
    char name[128];
    int me = (int)(t - s->tasks);
    snprintf(name, sizeof name, "watched fds (%s)", s->tl->tasks[me].name);
    int q = tl_add_queue(s->tl, name, TQK_INTEREST, me);
    if (q < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    w->queue_id = q + 1;
    return q;
}

static int fdset_add(struct sim *s, struct task *t, int32_t fd, unsigned ev)
{
    if (!t->watch && !(t->watch = calloc(1, sizeof *t->watch))) {
        s->failed = -ENOMEM;
        return -1;
    }
    struct fdset *w = t->watch;
    if (fd < w->poscap && w->pos[fd]) {
        w->ev[w->pos[fd] - 1] |= (uint8_t)ev; /* FD_SET in another set */
        return 0;
    }
    int q = watch_queue(s, t);
    int oldcap = w->cap;
    if (q < 0 || grow32(&w->pos, &w->poscap, fd + 1) ||
        grow32(&w->fd, &w->cap, w->n + 1)) {
        s->failed = -ENOMEM;
        return -1;
    }
    if (w->cap != oldcap || !w->ev) {
        uint8_t *e = realloc(w->ev, (size_t)w->cap);
        if (!e) {
            s->failed = -ENOMEM;
            return -1;
        }
        w->ev = e;
    }
    if (w->n == 0)
        w->max = -1;
    w->ev[w->n] = (uint8_t)ev;
    w->fd[w->n++] = fd;
    w->pos[fd] = w->n;
    if (fd > w->max)
        w->max = fd;
    sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_PUSH, q, fd, 0);
    return 0;
}

static void fdset_del(struct sim *s, struct task *t, int32_t fd, unsigned ev)
{
    struct fdset *w = t->watch;
    if (!w || fd >= w->poscap || !w->pos[fd])
        return;
    int i = w->pos[fd] - 1;
    w->ev[i] &= (uint8_t)~ev;
    if (w->ev[i]) /* FD_CLR from one set: still in the other */
        return;
    memmove(&w->fd[i], &w->fd[i + 1], (size_t)(w->n - i - 1) * sizeof *w->fd);
    memmove(&w->ev[i], &w->ev[i + 1], (size_t)(w->n - i - 1));
    w->n--;
    w->pos[fd] = 0;
    for (int k = i; k < w->n; k++)
        w->pos[w->fd[k]] = k + 1;
    while (w->max >= 0 && (w->max >= w->poscap || !w->pos[w->max]))
        w->max--;
    sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_REMOVE, w->queue_id - 1, fd, 0);
}

static int scan_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    if (fd > SCAN_FD_MAX)
        return sim_fail(s, in, "%s: fd %lld is out of range", prog_op_name(in->op),
                        (long long)fd);
    /* a negative fd is skipped, as poll skips a pollfd whose fd is < 0 */
    /* watch FD [in] [out]; unwatch FD [in] [out] (none: both) */
    unsigned ev = in->flags & (TL_EP_IN | TL_EP_OUT);
    if (fd >= 0 && in->op == OP_WATCH &&
        fdset_add(s, t, (int32_t)fd, ev ? ev : TL_EP_IN))
        return GO_FAIL;
    if (fd >= 0 && in->op == OP_UNWATCH)
        fdset_del(s, t, (int32_t)fd, ev ? ev : TL_EP_IN | TL_EP_OUT);
    t->pc++;
    return GO_NEXT;
}

const struct mux_ops mux_scan_ops = {
    .name = "fd set",
    .ops = {OP_WATCH, OP_UNWATCH, OP__COUNT},
    .exec = scan_exec,
    .readable = scan_readable,
    .writable = scan_writable,
    .release = scan_release,
};
