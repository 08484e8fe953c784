/*
 * evloop.c - what an event loop is made of, in user space and in the
 * kernel: handlers (named blocks a task calls as functions), the process's
 * table of handlers by event kind, event queues in the process's memory,
 * the loop's timer heap, the eventfd that wakes a loop from another
 * thread, and the machine's input device with the user's clicks and key
 * presses.  A loop itself is ordinary scenario code over these
 * (epoll_wait with the timer heap's timeout, getevent, post, take,
 * dispatch), as Tk's mainloop, libuv's uv_run and asyncio's _run_once are
 * ordinary C or Python over epoll.
 *
 * Handlers.  `call H V` is a C function call: the task's line moves into
 * H's block and back at its end (or `return`), with a CALL event each way;
 * no new task, no syscall, no CPU time of its own (the block's statements
 * take what they take).  The return addresses are the task's call stack
 * (t->calls, at most EVL_MAX_DEPTH deep); H's parameter is a variable of
 * the task, set by the call (handlers have no locals of their own).
 * `on K H` puts H in the process's table for kind K (Tk's bind);
 * `dispatch K V` calls it, or K itself when K is a handler (a callback in
 * asyncio's ready queue), or nothing when K has none (an unbound event).
 *
 * Event queues (`q = evqueue [WAKEFD]`) are the process's memory: a
 * deque of (kind or handler, value), shown as a TQK_EVENTS queue.  `post`
 * from a kernel thread other than the one that made the queue also wakes
 * the loop: after appending, it writes to WAKEFD (8 bytes, the counter's
 * 1, to an eventfd; 1 byte to a socket or pipe), which is what asyncio's
 * call_soon_threadsafe does with its self-pipe (_write_to_self:
 * csock.send(b'\0')) and what libev/libuv do with their eventfd.
 *
 * The timer heap (`after D H V`) is the process's, ordered by deadline
 * then by insertion (libuv's timer.c, asyncio's heapq of TimerHandles,
 * whose ties fall back to insertion order here for determinism); shown as
 * a TQK_TIMERS queue in deadline order.  `next_timer` is the time to the
 * earliest deadline (0 if due, -1 if none): the timeout a loop gives its
 * wait.  `due Q` moves every due timer to Q in deadline order, as
 * asyncio's _run_once moves them to its ready deque.  Both read the clock
 * (clock_gettime through the vDSO: cost clock, no syscall).
 *
 * The input device (OK_INPUT, "/dev/input/event0") is an evdev client
 * buffer: a ring of struct input_event (24 bytes on x86_64), readable
 * while it holds one.  The user's `click N` and `press N` (a peer's
 * operations, like `type`) append one record each: kind click (EV_KEY
 * BTN_LEFT + N - 1 in Linux) or key (EV_KEY with the key code N), value N.
 * read(2) returns as many whole records as fit (evdev_read), EINVAL for a
 * buffer smaller than one.  Simplified: one record per action, where Linux
 * sends a press, a release and an EV_SYN after each; no device, so no
 * event, before a process opened it (evdev keeps events only for its
 * clients); a full buffer (64 records, EVDEV_MIN_BUFFER_SIZE) drops the
 * new record, where evdev drops the queued ones and reports SYN_DROPPED.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVL_MAX_DEPTH 256   /* nested calls: past it, a runaway recursion */
#define INPUT_EVENT 24      /* sizeof(struct input_event) on x86_64 */
#define INPUT_RING 64       /* EVDEV_MIN_BUFFER_SIZE records */

struct evl_item {
    int64_t k, v;
};

/* a deque of items, oldest at head */
struct evl_deque {
    struct evl_item *v;
    int head, n, cap;
};

struct evl_q {
    struct evl_deque d;
    int32_t tlq;    /* its TQK_EVENTS queue */
    int32_t maker;  /* the kernel thread that made it */
    int64_t wakefd; /* -1: none */
};

struct evl_timer {
    int64_t at, h, v;
    uint64_t seq;
    int64_t item;   /* as shown in the timers queue */
};

/* A process's event loop state, in its first task */
struct evl {
    int32_t *on;    /* per kind: handler index, -1 none */
    int non;
    struct evl_q *q;
    int nq, qcap;
    struct evl_timer *tm; /* sorted by (at, seq) */
    int ntm, tmcap;
    uint64_t seq;
    int32_t tlq_timers; /* -1 until the first `after` */
};

struct evl_frame {
    int32_t ret, h; /* return pc, handler */
};

/* the input device's records, in its sobj.mux */
struct evl_input {
    struct evl_deque d;
    int32_t tlq;
};

static int deque_push(struct sim *s, struct evl_deque *d, int64_t k, int64_t v)
{
    if (d->n == d->cap) {
        int ncap = d->cap ? d->cap * 2 : 16;
        if (sim_charge(s, (int64_t)(ncap - d->cap) * (int64_t)sizeof *d->v))
            return -1;
        struct evl_item *p = malloc((size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return -1;
        }
        for (int i = 0; i < d->n; i++)
            p[i] = d->v[(d->head + i) % d->cap];
        free(d->v);
        d->v = p;
        d->cap = ncap;
        d->head = 0;
    }
    d->v[(d->head + d->n++) % d->cap] = (struct evl_item){k, v};
    return 0;
}

static struct evl_item deque_pop(struct evl_deque *d)
{
    struct evl_item it = d->v[d->head];
    d->head = (d->head + 1) % d->cap;
    d->n--;
    return it;
}

static struct evl *evl_of(struct sim *s, struct task *t)
{
    struct task *pr = &s->tasks[t->proc];
    if (pr->evl)
        return pr->evl;
    struct evl *e = calloc(1, sizeof *e);
    if (!e || sim_charge(s, (int64_t)sizeof *e)) {
        free(e);
        if (!e)
            s->failed = -ENOMEM;
        return NULL;
    }
    e->tlq_timers = -1;
    s->tasks[t->proc].evl = e;
    return e;
}

void evl_free(struct task *t)
{
    free(t->calls);
    t->calls = NULL;
    struct evl *e = t->evl;
    if (!e)
        return;
    free(e->on);
    for (int i = 0; i < e->nq; i++)
        free(e->q[i].d.v);
    free(e->q);
    free(e->tm);
    free(e);
    t->evl = NULL;
}

/* The timeline's string of kind or handler value v: its name (a kind is
 * a scenario string, shared with messages through s->str_ids; handlers
 * have their own cache); a number used as a kind is shown as itself.
 * -1 without memory. */
static int evl_str(struct sim *s, int64_t v)
{
    const struct prog *p = s->p;
    int id = -1;
    if (PROG_IS_KIND(v) && PROG_KIND_STR(v) < p->nstrs) {
        int i = PROG_KIND_STR(v);
        if (s->str_ids[i] < 0)
            s->str_ids[i] = tl_add_str(s->tl, p->strs[i]);
        id = s->str_ids[i];
    } else if (PROG_IS_HANDLER(v) && PROG_VAL_INDEX(v) < p->nhandlers) {
        int i = PROG_VAL_INDEX(v);
        if (!s->evl_str &&
            !(s->evl_str = calloc((size_t)p->nhandlers, sizeof *s->evl_str))) {
            s->failed = -ENOMEM;
            return -1;
        }
        if (!s->evl_str[i])
            s->evl_str[i] = tl_add_str(s->tl, p->handlers[i].name) + 1;
        id = s->evl_str[i] - 1;
    } else {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)v);
        id = tl_add_str(s->tl, b);
    }
    if (id < 0 || id >= TL_EVQ_HANDLER) {
        s->failed = -ENOMEM;
        return -1;
    }
    return id;
}

static int64_t evl_item(struct sim *s, int64_t k, int64_t v)
{
    int id = evl_str(s, k);
    if (id < 0)
        return -1;
    return TL_EVQ_ITEM(id | (PROG_IS_HANDLER(k) ? TL_EVQ_HANDLER : 0), v);
}

/* ---- handlers ----------------------------------------------------------- */

/* A kind spelled like a handler of decl is that handler (a post written
 * above the handler's definition takes its name as a word) */
static int64_t evl_handler_of(const struct prog *p, int decl, int64_t v)
{
    if (!PROG_IS_KIND(v) || PROG_KIND_STR(v) >= p->nstrs)
        return v;
    const char *name = p->strs[PROG_KIND_STR(v)];
    for (int i = 0; i < p->nhandlers; i++)
        if (p->handlers[i].decl == decl && p->handlers[i].entry >= 0 &&
            !strcmp(p->handlers[i].name, name))
            return PROG_HANDLER(i);
    return v;
}

static int evl_call(struct sim *s, struct task *t, const struct prog_ins *in,
                    int64_t hv, int64_t v)
{
    const struct prog *p = s->p;
    hv = evl_handler_of(p, t->decl, hv);
    int h = PROG_VAL_INDEX(hv);
    if (!PROG_IS_HANDLER(hv) || h >= p->nhandlers || p->handlers[h].decl != t->decl)
        return sim_fail(s, in, "call: %lld is not a handler of this process",
                        (long long)hv);
    if (t->ncalls >= EVL_MAX_DEPTH)
        return sim_fail(s, in, "handler calls nested %d deep: a handler that "
                        "calls itself without end (the stack would overflow)",
                        EVL_MAX_DEPTH);
    if (t->ncalls == t->callcap) {
        int ncap = t->callcap ? t->callcap * 2 : 8;
        if (sim_charge(s, (int64_t)(ncap - t->callcap) * (int64_t)sizeof *t->calls))
            return GO_FAIL;
        struct evl_frame *f = realloc(t->calls, (size_t)ncap * sizeof *f);
        if (!f) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        t->calls = f;
        t->callcap = ncap;
    }
    int id = evl_str(s, hv);
    if (id < 0)
        return GO_FAIL;
    int me = (int)(t - s->tasks);
    sim_emit(s, EV_CALL, me, TCALL_CALL, -1, v, id);
    t->calls[t->ncalls++] = (struct evl_frame){t->pc + 1, h};
    if (p->handlers[h].param >= 0)
        sim_set_dst(s, t, p->handlers[h].param, v);
    t->pc = p->handlers[h].entry;
    return GO_NEXT;
}

static int evl_ret(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->ncalls <= 0)
        return sim_fail(s, in, "internal: return with no call");
    struct evl_frame f = t->calls[--t->ncalls];
    int id = evl_str(s, PROG_HANDLER(f.h));
    if (id < 0)
        return GO_FAIL;
    sim_emit(s, EV_CALL, (int)(t - s->tasks), TCALL_RETURN, -1, 0, id);
    t->pc = f.ret;
    return GO_NEXT;
}

static int op_on(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t k = sim_arg(t, in, 0), h = sim_arg(t, in, 1);
    if (!PROG_IS_KIND(k) || PROG_KIND_STR(k) >= s->p->nstrs)
        return sim_fail(s, in, "on: %lld is not an event kind", (long long)k);
    if (!PROG_IS_HANDLER(h) || PROG_VAL_INDEX(h) >= s->p->nhandlers)
        return sim_fail(s, in, "on: %lld is not a handler", (long long)h);
    struct evl *e = evl_of(s, t);
    if (!e)
        return GO_FAIL;
    if (!e->on) {
        /* by the kind's string: a scenario has few */
        if (!(e->on = malloc((size_t)s->p->nstrs * sizeof *e->on))) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        e->non = s->p->nstrs;
        for (int i = 0; i < e->non; i++)
            e->on[i] = -1;
    }
    e->on[PROG_KIND_STR(k)] = PROG_VAL_INDEX(h);
    t->pc++;
    return GO_NEXT;
}

static int op_dispatch(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t k = sim_arg(t, in, 0), v = in->nargs > 1 ? sim_arg(t, in, 1) : 0;
    if (PROG_IS_HANDLER(k))
        return evl_call(s, t, in, k, v);
    const struct evl *e = s->tasks[t->proc].evl;
    int h = PROG_IS_KIND(k) && e && e->on && PROG_KIND_STR(k) < e->non
            ? e->on[PROG_KIND_STR(k)] : -1;
    if (h >= 0)
        return evl_call(s, t, in, PROG_HANDLER(h), v);
    if (PROG_IS_HANDLER(evl_handler_of(s->p, t->decl, k)))
        return evl_call(s, t, in, k, v); /* the handler of that name */
    t->pc++; /* no handler for it: the event is dropped */
    return GO_NEXT;
}

/* ---- event queues ------------------------------------------------------- */

static struct evl_q *evl_q_of(struct sim *s, struct task *t,
                              const struct prog_ins *in, int64_t id)
{
    struct evl *e = s->tasks[t->proc].evl;
    int64_t i = id - PROG_EVQUEUE(0);
    if (!e || i < 0 || i >= e->nq) {
        sim_fail(s, in, "%s: %lld is not an event queue of this process "
                 "(make one with q = evqueue)", prog_op_name(in->op),
                 (long long)id);
        return NULL;
    }
    return &e->q[i];
}

static int op_evqueue(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct evl *e = evl_of(s, t);
    if (!e)
        return GO_FAIL;
    if (e->nq == e->qcap) {
        int ncap = e->qcap ? e->qcap * 2 : 4;
        if (sim_charge(s, (int64_t)(ncap - e->qcap) * (int64_t)sizeof *e->q))
            return GO_FAIL;
        struct evl_q *q = realloc(e->q, (size_t)ncap * sizeof *q);
        if (!q) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        e->q = q;
        e->qcap = ncap;
    }
    const struct prog_task *d = &s->p->tasks[t->decl];
    char name[160];
    snprintf(name, sizeof name, "%.60s %.60s", s->tl->tasks[t->proc].name,
             in->dst >= 0 && in->dst < d->nslots ? d->slot_names[in->dst]
                                                 : "events");
    int tlq = tl_add_queue(s->tl, name, TQK_EVENTS, t->proc);
    if (tlq < 0) {
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    struct evl_q *q = &e->q[e->nq];
    memset(q, 0, sizeof *q);
    q->tlq = tlq;
    q->maker = t->kthread;
    q->wakefd = in->nargs > 0 ? sim_arg(t, in, 0) : -1;
    sim_set_dst(s, t, in->dst, PROG_EVQUEUE(e->nq));
    e->nq++;
    t->pc++;
    return GO_NEXT;
}

static int op_post(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct evl_q *q = evl_q_of(s, t, in, sim_arg(t, in, 0));
    if (!q)
        return GO_FAIL;
    int wake = q->wakefd >= 0 && t->kthread != q->maker;
    if (t->phase == 0) {
        int64_t k = sim_arg(t, in, 1), v = in->nargs > 2 ? sim_arg(t, in, 2) : 0;
        int64_t item = evl_item(s, k, v);
        if (item == -1 || deque_push(s, &q->d, k, v))
            return GO_FAIL;
        sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_PUSH, q->tlq, item, 0);
        if (!wake) {
            t->pc++;
            return GO_NEXT;
        }
        t->phase = 1;
    }
    /* the wake-up: write(efd, &one, 8), or send(csock, "\0", 1) */
    int o = sim_fd_obj(s, t, q->wakefd);
    int efd = o >= 0 && s->w.objs[o].kind == OK_EVENTFD;
    int sock = o >= 0 && s->w.objs[o].kind == OK_SOCKET;
    return net_write(s, t, q->wakefd, efd ? 8 : 1, sock, 0, 0, 0);
}

static int op_take(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct evl_q *q = evl_q_of(s, t, in, sim_arg(t, in, 0));
    if (!q)
        return GO_FAIL;
    if (q->d.n == 0) {
        sim_set_dst(s, t, in->dst, -EAGAIN);
        sim_set_dst(s, t, in->dst2, 0);
    } else {
        struct evl_item it = deque_pop(&q->d);
        int64_t item = sim_qlen(s, q->tlq) > 0 ? s->w.queues[q->tlq].items[0] : 0;
        sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_POP, q->tlq, item, 0);
        sim_set_dst(s, t, in->dst, it.k);
        sim_set_dst(s, t, in->dst2, it.v);
    }
    t->pc++;
    return GO_NEXT;
}

static int op_qlen(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct evl_q *q = evl_q_of(s, t, in, sim_arg(t, in, 0));
    if (!q)
        return GO_FAIL;
    sim_set_dst(s, t, in->dst, q->d.n);
    t->pc++;
    return GO_NEXT;
}

/* ---- the timer heap ----------------------------------------------------- */

static int op_after(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t d = sim_arg(t, in, 0), h = sim_arg(t, in, 1);
    int64_t v = in->nargs > 2 ? sim_arg(t, in, 2) : 0;
    if (!PROG_IS_HANDLER(h) || PROG_VAL_INDEX(h) >= s->p->nhandlers)
        return sim_fail(s, in, "after: %lld is not a handler", (long long)h);
    struct evl *e = evl_of(s, t);
    if (!e)
        return GO_FAIL;
    if (e->tlq_timers < 0) {
        char name[96];
        snprintf(name, sizeof name, "%.60s timers", s->tl->tasks[t->proc].name);
        if ((e->tlq_timers = tl_add_queue(s->tl, name, TQK_TIMERS, t->proc)) < 0) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
    }
    if (e->ntm == e->tmcap) {
        int ncap = e->tmcap ? e->tmcap * 2 : 8;
        if (sim_charge(s, (int64_t)(ncap - e->tmcap) * (int64_t)sizeof *e->tm))
            return GO_FAIL;
        struct evl_timer *p = realloc(e->tm, (size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        e->tm = p;
        e->tmcap = ncap;
    }
    int id = evl_str(s, h);
    if (id < 0)
        return GO_FAIL;
    struct evl_timer tm = {sim_at(s, d < 0 ? 0 : d), h, v, e->seq++, 0};
    tm.item = TL_TIMER_ITEM(id, tm.at);
    int at = e->ntm;
    while (at > 0 && e->tm[at - 1].at > tm.at) /* ties: after the older */
        at--;
    memmove(&e->tm[at + 1], &e->tm[at], (size_t)(e->ntm - at) * sizeof *e->tm);
    e->tm[at] = tm;
    e->ntm++;
    sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_INSERT, e->tlq_timers,
             tm.item, at);
    t->pc++;
    return GO_NEXT;
}

/* next_timer and due read the clock (the vDSO's clock_gettime) */
static int clock_read(struct sim *s, struct task *t)
{
    t->pc++;
    t->busy_ns = t->external ? 0 : s->p->cost.clock;
    return t->busy_ns ? GO_BUSY : GO_NEXT;
}

int64_t evl_next_timer(const struct sim *s, int proc)
{
    const struct evl *e = s->tasks[proc].evl;
    if (!e || e->ntm == 0)
        return -1;
    return e->tm[0].at > s->now ? e->tm[0].at - s->now : 0;
}

static int op_next_timer(struct sim *s, struct task *t, const struct prog_ins *in)
{
    sim_set_dst(s, t, in->dst, evl_next_timer(s, t->proc));
    return clock_read(s, t);
}

static int op_due(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct evl_q *q = evl_q_of(s, t, in, sim_arg(t, in, 0));
    if (!q)
        return GO_FAIL;
    struct evl *e = s->tasks[t->proc].evl;
    int me = (int)(t - s->tasks), n = 0;
    while (e->ntm > 0 && e->tm[0].at <= s->now) {
        struct evl_timer tm = e->tm[0];
        memmove(&e->tm[0], &e->tm[1], (size_t)(e->ntm - 1) * sizeof *e->tm);
        e->ntm--;
        sim_emit(s, EV_QUEUE, me, TQ_POP, e->tlq_timers, tm.item, 0);
        int64_t item = evl_item(s, tm.h, tm.v);
        if (item == -1 || deque_push(s, &q->d, tm.h, tm.v))
            return GO_FAIL;
        q = evl_q_of(s, t, in, sim_arg(t, in, 0)); /* e->q did not move */
        sim_emit(s, EV_QUEUE, me, TQ_PUSH, q->tlq, item, 0);
        n++;
    }
    sim_set_dst(s, t, in->dst, n);
    return clock_read(s, t);
}

/* ---- eventfd ------------------------------------------------------------ */

static int op_eventfd(struct sim *s, struct task *t)
{
    sim_sys_enter(s, t, SYS_EVENTFD2, -1, 0);
    int room = sim_fd_room(s, t->proc, 1);
    if (room < 0)
        return sim_sys_return(s, t, room, s->p->cost.syscall);
    int o = sim_obj_new(s, OK_EVENTFD, 8, 0, -1, t->proc);
    int64_t *count = calloc(1, sizeof *count);
    if (o < 0 || !count) {
        free(count);
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    s->objs[o].mux = count;
    int fd = sim_fd_open(s, t->proc, o);
    sim_emit(s, EV_FLAGS, t->proc, TL_FL_NONBLOCK, o, fd, 0); /* EFD_NONBLOCK */
    return sim_sys_return(s, t, fd, s->p->cost.syscall);
}

/* read(2) or write(2) of an eventfd (fs/eventfd.c): a write of 8 bytes adds
 * its value (1 here) to the counter, a read returns it and sets it to 0;
 * fewer than 8 bytes is EINVAL; a read of 0 is EAGAIN (EFD_NONBLOCK).  The
 * fd's receive buffer shows the 8 bytes while the counter is not 0. */
int evl_eventfd_rw(struct sim *s, struct task *t, int obj, int64_t want,
                   int write)
{
    int64_t *count = s->objs[obj].mux;
    int me = (int)(t - s->tasks);
    if (!count && !(count = s->objs[obj].mux = calloc(1, sizeof *count))) {
        s->failed = -ENOMEM; /* (an eventfd made elsewhere: gevent's hub) */
        return GO_FAIL;
    }
    if (want < 8)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    int64_t ns = sim_copy_ns(s, 8);
    if (write) {
        if ((*count)++ == 0) { /* the counter's 8 bytes become readable */
            sim_emit(s, EV_COPY, me, TC_TO_KERNEL, obj, 8, ns);
            sim_wake_obj(s, obj, TW__COUNT);
            sim_notify_readable(s, obj);
        }
        return sim_sys_return(s, t, 8, sat_add(s->p->cost.syscall, ns));
    }
    if (*count == 0) {
        if (s->w.objs[obj].flags & TL_FL_NONBLOCK)
            return sim_sys_return(s, t, -EAGAIN, s->p->cost.syscall);
        return sim_block(s, t, TW_DATA, obj);
    }
    *count = 0;
    sim_emit(s, EV_COPY, me, TC_TO_USER, obj, 8, ns);
    return sim_sys_return(s, t, 8, sat_add(s->p->cost.syscall, ns));
}

/* ---- the input device --------------------------------------------------- */

static void input_free(void *p)
{
    struct evl_input *d = p;
    if (d)
        free(d->d.v);
    free(d);
}

static int op_input(struct sim *s, struct task *t)
{
    sim_sys_enter(s, t, SYS_OPENAT, -1, 1); /* 1: the input device */
    int room = sim_fd_room(s, t->proc, 1);
    if (room < 0)
        return sim_sys_return(s, t, room, s->p->cost.syscall);
    if (s->input < 0) {
        int o = sim_obj_new(s, OK_INPUT, INPUT_RING * INPUT_EVENT, 0, -1, t->proc);
        struct evl_input *d = calloc(1, sizeof *d);
        int q = tl_add_queue(s->tl, "/dev/input/event0", TQK_EVENTS, o);
        if (o < 0 || !d || q < 0) {
            free(d);
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        d->tlq = q;
        s->objs[o].mux = d;
        s->objs[o].mux_free = input_free;
        s->tl->objs[o].queue = q;
        s->input = o;
    }
    return sim_sys_return(s, t, sim_fd_open(s, t->proc, s->input),
                          s->p->cost.syscall);
}


/* read(2) of the input device: whole records (evdev_read) */
int evl_input_read(struct sim *s, struct task *t, int obj, int64_t want)
{
    struct evl_input *d = s->objs[obj].mux;
    int me = (int)(t - s->tasks);
    if (want < INPUT_EVENT || !d)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    if (d->d.n == 0) {
        if (s->w.objs[obj].flags & TL_FL_NONBLOCK)
            return sim_sys_return(s, t, -EAGAIN, s->p->cost.syscall);
        return sim_block(s, t, TW_DATA, obj);
    }
    int64_t n = 0;
    struct evl_item first = d->d.v[d->d.head];
    while (d->d.n > 0 && (n + 1) * INPUT_EVENT <= want) {
        deque_pop(&d->d);
        int64_t item = s->w.queues[d->tlq].items[0];
        sim_emit(s, EV_QUEUE, me, TQ_POP, d->tlq, item, 0);
        n++;
    }
    int64_t ns = sim_copy_ns(s, n * INPUT_EVENT);
    sim_emit(s, EV_COPY, me, TC_TO_USER, obj, n * INPUT_EVENT, ns);
    /* getevent's two results: the first record's kind and value */
    t->ret2 = (int64_t)PROG_KIND_STR(first.k) << 32 | (uint32_t)first.v;
    return sim_sys_return(s, t, n * INPUT_EVENT, sat_add(s->p->cost.syscall, ns));
}

static int op_getevent(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    int o = sim_fd_obj(s, t, fd);
    if (o >= 0 && s->w.objs[o].kind != OK_INPUT)
        return sim_fail(s, in, "getevent reads an input device (dev = input), "
                        "not a %s", tl_obj_kind_name(s->w.objs[o].kind));
    sim_sys_enter(s, t, SYS_READ, fd, INPUT_EVENT);
    if (o < 0)
        return sim_sys_return(s, t, -EBADF, s->p->cost.syscall);
    return evl_input_read(s, t, o, INPUT_EVENT);
}

/* the user clicks or presses a key: one record in the device's buffer */
static int op_user(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (!t->external)
        return sim_fail(s, in, "%s is the user's action: write it in a peer, "
                        "as type is", prog_op_name(in->op));
    int click = in->op == OP_CLICK;
    int64_t v = in->nargs > 0 ? sim_arg(t, in, 0) : click ? 1 : 30;
    int o = s->input;
    struct evl_input *d = o >= 0 ? s->objs[o].mux : NULL;
    t->pc++;
    if (!d || d->d.n >= INPUT_RING)
        return GO_NEXT; /* no reader has it open, or its buffer is full */
    int64_t k = PROG_KIND(click ? s->p->kind_click : s->p->kind_key);
    int64_t item = evl_item(s, k, v);
    if (item == -1 || deque_push(s, &d->d, k, v))
        return GO_FAIL;
    int me = (int)(t - s->tasks);
    sim_emit(s, EV_DATA, me, 0, o, INPUT_EVENT, -1);
    sim_emit(s, EV_QUEUE, me, TQ_PUSH, d->tlq, item, 0);
    sim_wake_obj(s, o, TW_DATA);
    sim_notify_readable(s, o);
    return GO_NEXT;
}

static void evl_release(struct sim *s, int obj)
{
    if (obj == s->input) {
        input_free(s->objs[obj].mux);
        s->objs[obj].mux = NULL;
        s->input = -1;
    } else if (s->w.objs[obj].kind == OK_EVENTFD && s->objs[obj].mux) {
        free(s->objs[obj].mux); /* its counter */
        s->objs[obj].mux = NULL;
    }
}

static int evl_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_CALL:
        return evl_call(s, t, in, sim_arg(t, in, 0),
                        in->nargs > 1 ? sim_arg(t, in, 1) : 0);
    case OP_RET: return evl_ret(s, t, in);
    case OP_ON: return op_on(s, t, in);
    case OP_DISPATCH: return op_dispatch(s, t, in);
    case OP_EVQUEUE: return op_evqueue(s, t, in);
    case OP_POST: return op_post(s, t, in);
    case OP_TAKE: return op_take(s, t, in);
    case OP_QLEN: return op_qlen(s, t, in);
    case OP_AFTER: return op_after(s, t, in);
    case OP_NEXT_TIMER: return op_next_timer(s, t, in);
    case OP_DUE: return op_due(s, t, in);
    case OP_EVENTFD: return op_eventfd(s, t);
    case OP_INPUT: return op_input(s, t);
    case OP_GETEVENT: return op_getevent(s, t, in);
    default: return op_user(s, t, in); /* OP_CLICK, OP_PRESS */
    }
}

const struct mux_ops mux_evloop_ops = {
    .name = "event loop",
    .ops = {OP_CALL, OP_RET, OP_ON, OP_DISPATCH, OP_EVQUEUE, OP_POST, OP_TAKE,
            OP_QLEN,
            OP_AFTER, OP_NEXT_TIMER, OP_DUE, OP_EVENTFD, OP_INPUT, OP_GETEVENT,
            OP_CLICK, OP_PRESS, OP__COUNT},
    .exec = evl_exec,
    .release = evl_release,
};
