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
 * Items are keyed by (file, fd), as the kernel's rbtree keys epitems
 * (ep_find): closing an fd whose file stays open elsewhere (a forked
 * child's copy) leaves its item in place, still reported under the old fd
 * number, and a new file at that fd can be added beside it.  The ready list
 * is linked through the items, as rdllink links epitems.  The viewer sees
 * both lists as queues "epoll #N interest list" and "epoll #N ready list".
 * Each watched object lists its (epoll object, item) pairs in sobj.epitems,
 * the kernel's file->f_ep, in the order they were added.
 *
 * Wake-ups are the kernel's.  A task in epoll_wait sleeps on the instance's
 * wait queue as an exclusive waiter added at the head
 * (__add_wait_queue_exclusive in ep_poll), so one callback wakes one
 * waiter, the one that went to sleep last; and when a call leaves items on
 * the ready list (level-triggered items put back, or more than maxevents)
 * it wakes the next waiter (ep_done_scan).  On the watched file's wait
 * queue an ordinary item's entry is added at the head (add_wait_queue)
 * and one added with EPOLLEXCLUSIVE at the tail, as an exclusive entry
 * (ep_ptable_queue_proc): one arrival runs the callbacks of every ordinary
 * item, newest first (ep_wake), then sim_wake_queue (sim.c) walks the
 * exclusive entries in the order they were queued, these items
 * (ep_exclusive) and tasks asleep in accept, until one finds a task to
 * wake (ep_poll_callback's ewake).  Several processes with their own
 * epoll instance on one listening socket are the thundering herd without
 * it, and one woken process with it.
 *
 * EPOLLOUT reports room to write as the file's poll method does
 * (sim_writable: a third of a TCP send buffer free, a free pipe page), and
 * the callback runs when a full buffer gets that room back (SOCK_NOSPACE):
 * a level-triggered EPOLLOUT item is reported by every call while there is
 * room, so a server asks for it only while it has bytes left to write.
 *
 * Simplified: an epoll fd inside another epoll, select or poll never
 * becomes readable.
 */
#include "sim/sim_int.h"
#include "tl/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CTL_ADD, CTL_MOD, CTL_DEL };

/* epoll_wait's limit: INT_MAX / sizeof(struct epoll_event) (EP_MAX_EVENTS) */
#define EP_MAX_EVENTS (2147483647 / 12)

struct epitem {
    int32_t obj, fd;    /* the key: the watched file and its fd */
    int32_t next, prev; /* ready list links (items), -1 at the ends */
    int32_t fdnext;     /* next item with the same fd, or the free list */
    uint8_t used, ev, rdy, pad; /* ev: TL_EP_* events asked for; an
                                   EPOLLONESHOT item that fired keeps only
                                   ET/ONESHOT/EXCLUSIVE (EP_PRIVATE_BITS)
                                   until EPOLL_CTL_MOD re-arms it */
    uint64_t wq_seq; /* when its entry went on the file's wait queue */
};

/* The bits ep_send_events leaves on a ONESHOT item: it is disarmed */
#define EP_PRIVATE (TL_EP_ET | TL_EP_ONESHOT | TL_EP_EXCLUSIVE)

struct ep {
    int32_t q_interest, q_ready; /* tl queues */
    int32_t head, tail;          /* ready list, items; -1 when empty */
    int32_t *byfd;               /* fd -> first item with that fd, -1 */
    int32_t fdcap;
    struct epitem *it;           /* items, reused through the free list */
    int32_t n, cap, free;
};

static struct ep *ep_of(struct sim *s, int epo)
{
    return s->objs[epo].mux;
}

static void ep_destroy(void *p)
{
    struct ep *ep = p;
    if (ep) {
        free(ep->byfd);
        free(ep->it);
        free(ep);
    }
}

/* ep_find: the item for (obj, fd), or -1 */
static int item_find(const struct ep *ep, int obj, int fd)
{
    if (fd >= ep->fdcap)
        return -1;
    for (int i = ep->byfd[fd]; i >= 0; i = ep->it[i].fdnext)
        if (ep->it[i].obj == obj)
            return i;
    return -1;
}

/* A new item for (obj, fd), linked on its fd's chain; -1 out of memory */
static int item_new(struct sim *s, struct ep *ep, int obj, int fd)
{
    if (fd >= ep->fdcap) {
        int ncap = ep->fdcap ? ep->fdcap : 16;
        while (ncap <= fd)
            ncap *= 2;
        int32_t *p = realloc(ep->byfd, (size_t)ncap * sizeof *p);
        if (!p)
            goto oom;
        for (int i = ep->fdcap; i < ncap; i++)
            p[i] = -1;
        ep->byfd = p;
        ep->fdcap = ncap;
    }
    int i = ep->free;
    if (i >= 0) {
        ep->free = ep->it[i].fdnext;
    } else {
        if (ep->n == ep->cap) {
            int ncap = ep->cap ? ep->cap * 2 : 16;
            struct epitem *p = realloc(ep->it, (size_t)ncap * sizeof *p);
            if (!p)
                goto oom;
            ep->it = p;
            ep->cap = ncap;
        }
        i = ep->n++;
    }
    ep->it[i] = (struct epitem){.obj = obj, .fd = fd, .next = -1, .prev = -1,
                                .fdnext = ep->byfd[fd], .used = 1};
    ep->byfd[fd] = i;
    return i;
oom:
    s->failed = -ENOMEM;
    return -1;
}

/* ---- the ready list --------------------------------------------------------- */

static void rdl_unlink(struct sim *s, int epo, int i, int task)
{
    struct ep *ep = ep_of(s, epo);
    struct epitem *it = &ep->it[i];
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
    sim_emit(s, EV_QUEUE, task, TQ_REMOVE, ep->q_ready, it->fd, 0);
}

static void rdl_append(struct sim *s, int epo, int i, int task)
{
    struct ep *ep = ep_of(s, epo);
    struct epitem *it = &ep->it[i];
    if (it->rdy)
        return;
    it->rdy = 1;
    it->next = -1;
    it->prev = ep->tail;
    if (ep->tail >= 0)
        ep->it[ep->tail].next = i;
    else
        ep->head = i;
    ep->tail = i;
    sim_emit(s, EV_QUEUE, task, TQ_PUSH, ep->q_ready, it->fd, 0);
}

/* wake_up(&ep->wq): the waiters are exclusive and the newest is first in
 * the queue, as in the object's waiter list; 1 if there was one */
static int ep_wake_one(struct sim *s, int epo)
{
    for (int32_t i = s->objs[epo].first_waiter; i != TASK_NONE;
         i = s->tasks[i].next_waiter)
        if (s->w.tasks[i].wait == TW_EVENTS) {
            sim_wake(s, &s->tasks[i]);
            return 1;
        }
    return 0;
}

/* ep_poll_callback: item i's file is readable (ev TL_EP_IN) or has room
 * to write (TL_EP_OUT).  A disarmed ONESHOT item, or one that did not ask
 * for that event, is left alone.  Returns ewake: whether an exclusive
 * entry counts as having woken someone (a non-exclusive one always does,
 * and is never counted). */
static int ep_ready(struct sim *s, int epo, int i, unsigned ev)
{
    struct epitem *it = &ep_of(s, epo)->it[i];
    int excl = !!(it->ev & TL_EP_EXCLUSIVE);
    if (!(it->ev & ev & (TL_EP_IN | TL_EP_OUT)))
        return !excl;
    rdl_append(s, epo, i, -1);
    int woke = ep_wake_one(s, epo);
    return excl ? woke : 1;
}

/* ---- the interest list -------------------------------------------------------- */

static int watcher_add(struct sim *s, int obj, int epo, int i)
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
    w->v[w->n++] = (struct watch_ent){epo, i, 0};
    return 0;
}

/* Keeps the order: exclusive entries are woken in the order added */
static void watcher_del(struct sim *s, int obj, int epo, int i)
{
    struct watchers *w = &s->objs[obj].epitems;
    for (int k = 0; k < w->n; k++)
        if (w->v[k].who == epo && w->v[k].key == i) {
            memmove(&w->v[k], &w->v[k + 1],
                    (size_t)(w->n - k - 1) * sizeof w->v[0]);
            w->n--;
            return;
        }
}

/* ep_remove: take item i off both lists and off its file */
static void item_remove(struct sim *s, int epo, int i, int task)
{
    struct ep *ep = ep_of(s, epo);
    struct epitem *it = &ep->it[i];
    if (!it->used)
        return;
    rdl_unlink(s, epo, i, task);
    watcher_del(s, it->obj, epo, i);
    for (int32_t *pp = &ep->byfd[it->fd]; *pp >= 0;
         pp = &ep->it[*pp].fdnext)
        if (*pp == i) {
            *pp = it->fdnext;
            break;
        }
    it->used = 0;
    it->fdnext = ep->free;
    ep->free = i;
    sim_emit(s, EV_QUEUE, task, TQ_REMOVE, ep->q_interest, it->fd, 0);
}

/* ---- the operations ----------------------------------------------------------- */

/* cloexec: epoll_create1(EPOLL_CLOEXEC), what CPython's select.epoll()
 * passes (Modules/selectmodule.c); the model's only execve (spawn's)
 * comes after closes of every fd not passed, so the flag is only shown */
static int ep_create(struct sim *s, struct task *t, int cloexec)
{
    sim_sys_enter(s, t, SYS_EPOLL_CREATE1, -1, cloexec);
    if (sim_fd_room(s, t->proc, 1) < 0) /* do_epoll_create: no fd */
        return sim_sys_return(s, t, -EMFILE, s->p->cost.syscall);
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
    ep->head = ep->tail = ep->free = -1;
    s->objs[o].mux = ep;
    s->objs[o].mux_free = ep_destroy;
    s->tl->objs[o].queue = qi;
    int fd = sim_fd_open(s, t->proc, o);
    return sim_sys_return(s, t, fd, s->p->cost.syscall);
}

/* The file's poll method, for the events item it asked for */
static int ep_item_ready(struct sim *s, const struct epitem *it)
{
    return ((it->ev & TL_EP_IN) && sim_readable(s, it->obj)) ||
           ((it->ev & TL_EP_OUT) && sim_poll_out(s, it->obj));
}

static int ep_ctl(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t epfd = sim_arg(t, in, 0), op = sim_arg(t, in, 1);
    int64_t fd = sim_arg(t, in, 2);
    int me = (int)(t - s->tasks);
    sim_sys_enter(s, t, SYS_EPOLL_CTL, epfd,
                  TL_EPCTL_ARG(op, fd, op == CTL_DEL ? 0 : in->flags));
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
    struct ep *ep = ep_of(s, epo);
    int i = item_find(ep, obj, (int)fd);
    switch (op) {
    case CTL_ADD:
        if (i >= 0)
            return sim_sys_return(s, t, -EEXIST, ns);
        if ((i = item_new(s, ep, obj, (int)fd)) < 0 ||
            watcher_add(s, obj, epo, i))
            return GO_FAIL;
        ep->it[i].ev = (uint8_t)in->flags;
        ep->it[i].wq_seq = ++s->wq_seq; /* ep_ptable_queue_proc */
        sim_emit(s, EV_QUEUE, me, TQ_PUSH, ep->q_interest, fd, 0);
        break;
    case CTL_MOD:
        if (i < 0)
            return sim_sys_return(s, t, -ENOENT, ns);
        if (ep->it[i].ev & TL_EP_EXCLUSIVE) /* ep_modify refuses these */
            return sim_sys_return(s, t, -EINVAL, ns);
        ep->it[i].ev = (uint8_t)in->flags; /* re-arms a ONESHOT item */
        break;
    default:
        if (i < 0)
            return sim_sys_return(s, t, -ENOENT, ns);
        item_remove(s, epo, i, me);
        return sim_sys_return(s, t, 0, ns);
    }
    /* ep_insert and ep_modify poll the file once: already ready? */
    if (ep_item_ready(s, &ep->it[i]))
        ep_ready(s, epo, i, TL_EP_IN | TL_EP_OUT);
    return sim_sys_return(s, t, 0, ns);
}

static int ep_wait(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t epfd = sim_arg(t, in, 0);
    int64_t max = in->nargs > 1 && in->a[1].kind != ARG_NONE
                      ? sim_arg(t, in, 1) : 64;
    int me = (int)(t - s->tasks);
    /* the timeout is an int of milliseconds; negative: for ever */
    int64_t tmo = sim_timeout_arg(t, in, 2, 1000000);
    sim_sys_enter_wait(s, t, SYS_EPOLL_WAIT, epfd, max, tmo < 0 ? -1 : tmo, 1);
    int epo = sim_fd_obj(s, t, epfd);
    if (max <= 0 || max > EP_MAX_EVENTS)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    if (epo < 0)
        return sim_sys_return(s, t, -EBADF, s->p->cost.syscall);
    if (s->w.objs[epo].kind != OK_EPOLL)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    /* ep_send_events: walk the ready list as it is now, up to maxevents */
    t->nready = t->ready_i = 0;
    int checked = 0, back = -1, back_tail = -1; /* LT items to put back */
    int32_t rfd[TL_FDEV_SHOWN + 1]; /* what it reports, for strace's text */
    uint32_t rev[TL_FDEV_SHOWN + 1];
    while (ep_of(s, epo)->head >= 0 && t->nready < max) {
        struct ep *ep = ep_of(s, epo);
        int i = ep->head;
        rdl_unlink(s, epo, i, me);
        checked++;
        struct epitem *it = &ep->it[i];
        if (!ep_item_ready(s, it))
            continue; /* drained (or filled) since: dropped, not reported */
        if (t->nready <= TL_FDEV_SHOWN) { /* revents, by ep_item_poll */
            rfd[t->nready] = it->fd;
            rev[t->nready] = sim_revents(s, it->obj, it->ev);
        }
        if (sim_ready_push(t, it->fd)) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        if (it->ev & TL_EP_ONESHOT) /* reported once, then disarmed */
            it->ev &= EP_PRIVATE;
        else if (!(it->ev & TL_EP_ET)) { /* level-triggered: back on the
                                            list afterwards */
            it->next = -1;
            if (back_tail >= 0)
                ep->it[back_tail].next = i;
            else
                back = i;
            back_tail = i;
        }
    }
    for (int i = back; i >= 0;) {
        int next = ep_of(s, epo)->it[i].next;
        rdl_append(s, epo, i, me);
        i = next;
    }
    if (t->nready == 0 && sim_timed_out(s, t)) /* ep_poll: timed_out */
        return sim_sys_return(s, t, 0, sat_add(s->p->cost.syscall,
                                               s->p->cost.epoll_wait_base));
    if (t->nready == 0) /* nothing (left) on the ready list: sleep */
        return sim_block_timed(s, t, TW_EVENTS, epo);
    /* ep_done_scan: items left on the ready list wake the next waiter */
    if (ep_of(s, epo)->head >= 0)
        ep_wake_one(s, epo);
    int64_t ns = sat_add(s->p->cost.epoll_wait_base,
                         sat_mul(t->nready, s->p->cost.epoll_per_event));
    sim_emit(s, EV_SCAN, me, SYS_EPOLL_WAIT, -1, checked, ns);
    /* the ready events go out to the caller's array: 12 bytes each (struct
     * epoll_event, packed on x86_64); the measured epoll_per_event already
     * includes this copy, so it is shown, not charged again */
    sim_arg_copy(s, me, SYS_EPOLL_WAIT, TC_TO_USER, 12 * (int64_t)t->nready);
    /* named by the SYSCALL event, as strace shows */
    int id = sim_fdev_str(s, t, 1, TL_FDEV_EPOLL, rfd, rev,
                          t->nready < TL_FDEV_SHOWN + 1 ? t->nready
                                                        : TL_FDEV_SHOWN + 1,
                          t->nready);
    if (id >= 0)
        t->sys_fd = TL_STR_OBJ(id);
    return sim_sys_return(s, t, t->nready, sat_add(s->p->cost.syscall, ns));
}

static int ep_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_EPOLL_CREATE: return ep_create(s, t, in->flags & 1);
    case OP_EPOLL_CTL: return ep_ctl(s, t, in);
    default: return ep_wait(s, t, in);
    }
}

/* Data, EOF or a connection arrived on obj (ev TL_EP_IN), or room to
 * write (TL_EP_OUT): __wake_up_common over its wait queue runs the
 * callback of every ordinary item, the newest first (add_wait_queue puts
 * an entry at the head), then sim_wake_queue asks for the exclusive ones
 * (ep_exclusive) */
static void ep_wake(struct sim *s, int obj, unsigned ev)
{
    const struct watchers *w = &s->objs[obj].epitems;
    for (int k = w->n - 1; k >= 0; k--) {
        struct watch_ent e = w->v[k];
        if (!(ep_of(s, e.who)->it[e.key].ev & TL_EP_EXCLUSIVE))
            ep_ready(s, e.who, e.key, ev);
    }
}

/* The exclusive items on obj's wait queue queued before `before`, in the
 * order they were added, until one finds a task to wake (ewake) */
static int ep_exclusive(struct sim *s, int obj, unsigned ev, uint64_t before)
{
    const struct watchers *w = &s->objs[obj].epitems;
    for (int k = 0; k < w->n; k++) {
        struct watch_ent e = w->v[k];
        const struct epitem *it = &ep_of(s, e.who)->it[e.key];
        if (!(it->ev & TL_EP_EXCLUSIVE))
            continue;
        if (it->wq_seq > before)
            return 0; /* a task asleep in accept (or a pipe's read) is first */
        if (ep_ready(s, e.who, e.key, ev))
            return 1;
    }
    return 0;
}

static void ep_readable(struct sim *s, int obj)
{
    ep_wake(s, obj, TL_EP_IN);
}

static void ep_writable(struct sim *s, int obj)
{
    ep_wake(s, obj, TL_EP_OUT);
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
    for (int i = 0; i < ep_of(s, obj)->n; i++) /* ep_free */
        item_remove(s, obj, i, -1);
    ep_destroy(s->objs[obj].mux);
    s->objs[obj].mux = NULL;
    s->objs[obj].mux_free = NULL;
}

const struct mux_ops mux_epoll_ops = {
    .name = "epoll",
    .ops = {OP_EPOLL_CREATE, OP_EPOLL_CTL, OP_EPOLL_WAIT, OP__COUNT},
    .exec = ep_exec,
    .readable = ep_readable,
    .writable = ep_writable,
    .exclusive = ep_exclusive,
    .release = ep_release,
};
