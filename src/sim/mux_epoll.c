/*
 * mux_epoll.c - epoll(7): readiness kept by the kernel between calls.
 *
 *   int epoll_create1(int flags);
 *   int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
 *   int epoll_wait(int epfd, struct epoll_event *events, int maxevents,
 *                  int timeout);
 *
 * An epoll instance (fs/eventpoll.c) is a file with two lists:
 *   - the interest list: one item (struct epitem) per fd added with
 *     EPOLL_CTL_ADD, kept until EPOLL_CTL_DEL or until the file is released
 *     (closing the last fd that refers to it: eventpoll_release);
 *   - the ready list (rdllist): items whose file signalled readiness.
 * Adding an item hooks a callback on the file's wait queue once
 * (ep_ptable_queue_proc).  When data, EOF or a connection arrives, the
 * callback (ep_poll_callback) puts the item on the ready list and wakes the
 * tasks sleeping in epoll_wait.  epoll_wait only reads the ready list
 * (ep_send_events): for each item it re-checks readiness, drops it if it is
 * no longer ready, reports it otherwise, and - level-triggered, the default -
 * puts it back at the tail, so an fd that still has data is reported again
 * by the next call.  With EPOLLET (edge-triggered) a reported item is not
 * put back: the next report needs a new arrival, so a reader that stops
 * before EAGAIN is not told about the bytes it left behind.
 * The cost of epoll_wait is a fixed part plus a part per returned event; it
 * does not depend on how many fds are watched.  Its timeout is an int of
 * milliseconds: 0 returns at once, -1 (or none) waits for ever, and when
 * it expires with nothing ready epoll_wait returns 0 (ep_poll).
 *
 * Items are kept by fd (the kernel keys them by file and fd); the ready
 * list is linked through them, as rdllink links epitems.  The viewer sees
 * both lists as queues "epoll #N interest list" and "epoll #N ready list".
 * Each watched object lists its (epoll object, fd) pairs in
 * sobj.epitems, the kernel's file->f_ep.
 *
 * Simplified: only EPOLLIN; no EPOLLONESHOT, EPOLLEXCLUSIVE or maxevents
 * (every ready fd is returned); every waiter is woken (Linux
 * wakes one exclusive waiter per event); an epoll fd inside another
 * epoll, select or poll never becomes readable.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CTL_ADD, CTL_MOD, CTL_DEL };

struct epitem {
    int32_t obj;        /* the watched object */
    int32_t next, prev; /* ready list links (fds), -1 at the ends */
    uint8_t used, ev, rdy, pad; /* ev: TL_EP_* events asked for; an
                                   EPOLLONESHOT item that fired keeps only
                                   ET/ONESHOT/EXCLUSIVE (EP_PRIVATE_BITS)
                                   until EPOLL_CTL_MOD re-arms it */
};

/* The bits ep_send_events leaves on a ONESHOT item: it is disarmed */
#define EP_PRIVATE (TL_EP_ET | TL_EP_ONESHOT | TL_EP_EXCLUSIVE)

struct ep {
    int32_t q_interest, q_ready; /* tl queues */
    int32_t head, tail;          /* ready list, fds; -1 when empty */
    int32_t cap;                 /* items indexed by fd */
    struct epitem it[];
};

static struct ep *ep_of(struct sim *s, int epo)
{
    return s->objs[epo].mux;
}

/* Room for fd in the item table; returns the (maybe moved) instance */
static struct ep *ep_grow(struct sim *s, int epo, int fd)
{
    struct ep *ep = ep_of(s, epo);
    if (fd < ep->cap)
        return ep;
    int ncap = ep->cap ? ep->cap : 16;
    while (ncap <= fd)
        ncap *= 2;
    struct ep *p = realloc(ep, sizeof *p + (size_t)ncap * sizeof p->it[0]);
    if (!p) {
        s->failed = -ENOMEM;
        return NULL;
    }
    memset(&p->it[p->cap], 0, (size_t)(ncap - p->cap) * sizeof p->it[0]);
    p->cap = ncap;
    s->objs[epo].mux = p;
    return p;
}

/* ---- the ready list --------------------------------------------------------- */

static void rdl_unlink(struct sim *s, int epo, int fd, int task)
{
    struct ep *ep = ep_of(s, epo);
    struct epitem *it = &ep->it[fd];
    if (!it->rdy)
        return;
    if (it->prev >= 0)
        ep->it[it->prev].next = it->next;
    else
        ep->head = it->next;
    if (it->next >= 0)
        ep->it[it->next].prev = it->prev;
    else
        ep->tail = it->prev;
    it->rdy = 0;
    sim_emit(s, EV_QUEUE, task, TQ_REMOVE, ep->q_ready, fd, 0);
}

static void rdl_append(struct sim *s, int epo, int fd, int task)
{
    struct ep *ep = ep_of(s, epo);
    struct epitem *it = &ep->it[fd];
    if (it->rdy)
        return;
    it->rdy = 1;
    it->next = -1;
    it->prev = ep->tail;
    if (ep->tail >= 0)
        ep->it[ep->tail].next = fd;
    else
        ep->head = fd;
    ep->tail = fd;
    sim_emit(s, EV_QUEUE, task, TQ_PUSH, ep->q_ready, fd, 0);
}

/* ep_poll_callback: the item's file is ready; tell the epoll_wait sleepers.
 * A disarmed ONESHOT item (no event left) is ignored. */
static void ep_ready(struct sim *s, int epo, int fd)
{
    if (!(ep_of(s, epo)->it[fd].ev & TL_EP_IN))
        return;
    rdl_append(s, epo, fd, -1);
    sim_wake_obj(s, epo, TW_EVENTS);
}

/* ---- the interest list -------------------------------------------------------- */

static int watcher_add(struct sim *s, int obj, int epo, int fd)
{
    struct watchers *w = &s->objs[obj].epitems;
    if (w->n == w->cap) {
        int ncap = w->cap ? w->cap * 2 : 2;
        struct watch_ent *p = realloc(w->v, (size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return -1;
        }
        w->v = p;
        w->cap = ncap;
    }
    w->v[w->n++] = (struct watch_ent){epo, fd};
    return 0;
}

static void watcher_del(struct sim *s, int obj, int epo, int fd)
{
    struct watchers *w = &s->objs[obj].epitems;
    for (int i = 0; i < w->n; i++)
        if (w->v[i].who == epo && w->v[i].key == fd) {
            w->v[i] = w->v[--w->n];
            return;
        }
}

/* ep_remove: take the item for fd off both lists and off its file */
static void item_remove(struct sim *s, int epo, int fd, int task)
{
    struct ep *ep = ep_of(s, epo);
    struct epitem *it = &ep->it[fd];
    if (!it->used)
        return;
    rdl_unlink(s, epo, fd, task);
    watcher_del(s, it->obj, epo, fd);
    it->used = 0;
    sim_emit(s, EV_QUEUE, task, TQ_REMOVE, ep->q_interest, fd, 0);
}

/* ---- the operations ----------------------------------------------------------- */

static int ep_create(struct sim *s, struct task *t)
{
    sim_sys_enter(s, t, SYS_EPOLL_CREATE1, -1, 0);
    int o = sim_obj_new(s, OK_EPOLL, 0, 0, -1, t->proc);
    if (o < 0)
        return GO_FAIL;
    struct ep *ep = calloc(1, sizeof *ep);
    char name[64];
    snprintf(name, sizeof name, "epoll #%d interest list", o);
    int qi = tl_add_queue(s->tl, name, TQK_INTEREST, o);
    snprintf(name, sizeof name, "epoll #%d ready list", o);
    int qr = tl_add_queue(s->tl, name, TQK_READY, o);
    if (!ep || qi < 0 || qr < 0) {
        free(ep);
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    ep->q_interest = qi;
    ep->q_ready = qr;
    ep->head = ep->tail = -1;
    s->objs[o].mux = ep;
    s->tl->objs[o].queue = qi;
    int fd = sim_fd_open(s, t->proc, o);
    return sim_sys_return(s, t, fd, s->p->cost.syscall);
}

static int ep_ctl(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t epfd = sim_arg(t, in, 0), op = sim_arg(t, in, 1);
    int64_t fd = sim_arg(t, in, 2);
    int me = (int)(t - s->tasks);
    sim_sys_enter(s, t, SYS_EPOLL_CTL, epfd, fd);
    int64_t ns = sat_add(s->p->cost.syscall, s->p->cost.epoll_ctl);
    int epo = sim_fd_obj(s, t, epfd), obj = sim_fd_obj(s, t, fd);
    if (epo < 0 || obj < 0)
        return sim_sys_return(s, t, -EBADF, s->p->cost.syscall);
    if (s->w.objs[epo].kind != OK_EPOLL || obj == epo)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    /* EPOLLEXCLUSIVE: only with ADD, and not with ONESHOT (its allowed
     * bits are EPOLLEXCLUSIVE_OK_BITS) */
    if ((in->flags & TL_EP_EXCLUSIVE) &&
        (op == CTL_MOD || (in->flags & TL_EP_ONESHOT)))
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    struct ep *ep = ep_grow(s, epo, (int)fd);
    if (!ep)
        return GO_FAIL;
    struct epitem *it = &ep->it[fd];
    if (it->used && it->obj != obj) /* the fd was reused: a stale item */
        item_remove(s, epo, (int)fd, me);
    switch (op) {
    case CTL_ADD:
        if (it->used)
            return sim_sys_return(s, t, -EEXIST, ns);
        *it = (struct epitem){.obj = obj, .next = -1, .prev = -1, .used = 1,
                              .ev = (uint8_t)in->flags};
        if (watcher_add(s, obj, epo, (int)fd))
            return GO_FAIL;
        sim_emit(s, EV_QUEUE, me, TQ_PUSH, ep->q_interest, fd, 0);
        break;
    case CTL_MOD:
        if (!it->used)
            return sim_sys_return(s, t, -ENOENT, ns);
        if (it->ev & TL_EP_EXCLUSIVE) /* ep_modify refuses these */
            return sim_sys_return(s, t, -EINVAL, ns);
        it->ev = (uint8_t)in->flags; /* re-arms a ONESHOT item */
        break;
    default:
        if (!it->used)
            return sim_sys_return(s, t, -ENOENT, ns);
        item_remove(s, epo, (int)fd, me);
        return sim_sys_return(s, t, 0, ns);
    }
    /* ep_insert and ep_modify poll the file once: already ready? */
    if (sim_readable(s, obj))
        ep_ready(s, epo, (int)fd);
    return sim_sys_return(s, t, 0, ns);
}

static int ep_wait(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t epfd = sim_arg(t, in, 0);
    int me = (int)(t - s->tasks);
    /* the timeout is an int of milliseconds; negative: for ever */
    int64_t tmo = sim_timeout_arg(t, in, 1, 1000000);
    sim_sys_enter_wait(s, t, SYS_EPOLL_WAIT, epfd, 0, tmo < 0 ? -1 : tmo, 1);
    int epo = sim_fd_obj(s, t, epfd);
    if (epo < 0)
        return sim_sys_return(s, t, -EBADF, s->p->cost.syscall);
    if (s->w.objs[epo].kind != OK_EPOLL)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    /* ep_send_events: walk the ready list as it is now */
    t->nready = t->ready_i = 0;
    int checked = 0, back = -1, back_tail = -1; /* LT items to put back */
    while (ep_of(s, epo)->head >= 0) {
        struct ep *ep = ep_of(s, epo);
        int fd = ep->head;
        rdl_unlink(s, epo, fd, me);
        checked++;
        ep = ep_of(s, epo);
        struct epitem *it = &ep->it[fd];
        if (!(it->ev & TL_EP_IN) || !sim_readable(s, it->obj))
            continue; /* drained since: dropped, not reported */
        if (sim_ready_push(t, fd)) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        if (it->ev & TL_EP_ONESHOT) /* reported once, then disarmed */
            it->ev &= EP_PRIVATE;
        else if (!(it->ev & TL_EP_ET)) { /* level-triggered: back on the
                                            list afterwards */
            it->next = -1;
            if (back_tail >= 0)
                ep->it[back_tail].next = fd;
            else
                back = fd;
            back_tail = fd;
        }
    }
    for (int fd = back; fd >= 0;) {
        int next = ep_of(s, epo)->it[fd].next;
        rdl_append(s, epo, fd, me);
        fd = next;
    }
    if (t->nready == 0 && sim_timed_out(s, t)) /* ep_poll: timed_out */
        return sim_sys_return(s, t, 0, sat_add(s->p->cost.syscall,
                                               s->p->cost.epoll_wait_base));
    if (t->nready == 0) /* nothing (left) on the ready list: sleep */
        return sim_block_timed(s, t, TW_EVENTS, epo);
    int64_t ns = sat_add(s->p->cost.epoll_wait_base,
                         sat_mul(t->nready, s->p->cost.epoll_per_event));
    sim_emit(s, EV_SCAN, me, SYS_EPOLL_WAIT, -1, checked, ns);
    /* the ready events go out to the caller's array: 12 bytes each (struct
     * epoll_event, packed on x86_64); the measured epoll_per_event already
     * includes this copy, so it is shown, not charged again */
    sim_arg_copy(s, me, SYS_EPOLL_WAIT, TC_TO_USER, 12 * (int64_t)t->nready);
    return sim_sys_return(s, t, t->nready, sat_add(s->p->cost.syscall, ns));
}

static int ep_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_EPOLL_CREATE: return ep_create(s, t);
    case OP_EPOLL_CTL: return ep_ctl(s, t, in);
    default: return ep_wait(s, t, in);
    }
}

/* Data, EOF or a connection arrived on obj: the callback of every item */
static void ep_readable(struct sim *s, int obj)
{
    const struct watchers *w = &s->objs[obj].epitems;
    for (int i = 0; i < w->n; i++)
        ep_ready(s, w->v[i].who, w->v[i].key);
}

static void ep_release(struct sim *s, int obj)
{
    struct watchers *w = &s->objs[obj].epitems;
    while (w->n > 0) { /* eventpoll_release: off every interest list */
        struct watch_ent e = w->v[w->n - 1];
        item_remove(s, e.who, e.key, -1);
    }
    struct ep *ep = s->w.objs[obj].kind == OK_EPOLL ? ep_of(s, obj) : NULL;
    if (!ep)
        return;
    for (int fd = 0; fd < ep_of(s, obj)->cap; fd++) /* ep_free */
        item_remove(s, obj, fd, -1);
    free(s->objs[obj].mux);
    s->objs[obj].mux = NULL;
}

const struct mux_ops mux_epoll_ops = {
    .name = "epoll",
    .ops = {OP_EPOLL_CREATE, OP_EPOLL_CTL, OP_EPOLL_WAIT, OP__COUNT},
    .exec = ep_exec,
    .readable = ep_readable,
    .release = ep_release,
};
