/*
 * hub.c - gevent: monkey_patch, and the hub, a greenlet that runs libev's
 * loop over epoll and switches to the greenlet whose fd is ready.
 *
 * What real gevent does (gevent 22.10 with its default loop, libev 4.33's
 * epoll backend, seen with strace -f; docs/design.md has the trace):
 *
 *   - The hub is a greenlet of the thread, made when first needed: libev's
 *     loop opens epoll_create1(EPOLL_CLOEXEC) and an eventfd2(0,
 *     EFD_CLOEXEC|EFD_NONBLOCK) that other threads write to wake it (added
 *     to the epoll set at the loop's first turn).  iosim makes it at
 *     monkey_patch.
 *   - A patched socket is non-blocking (ioctl(fd, FIONBIO, [1]) when it is
 *     made or accepted).  A call that would block is first made as is and
 *     fails (accept4/recvfrom/sendto = -1 EAGAIN, connect = -1 EINPROGRESS:
 *     the trace shows it, the greenlet's code never sees it); the greenlet
 *     then starts an io watcher on the fd and switches to the hub.  When
 *     the hub switches back, the greenlet makes the call again.
 *   - gevent.spawn queues the new greenlet's start as a callback of the
 *     loop; gevent.sleep(d) starts a timer watcher (d = 0: a callback).
 *   - One turn of ev_run: run the callbacks (gevent's prepare watcher),
 *     apply the fd changes (fd_reify: epoll_ctl ADD or MOD; a stopped
 *     watcher's fd is left in the kernel's set), epoll_wait with the time
 *     to the nearest timer (ms rounded up, at least 1 ms; 0 if one is due;
 *     MAX_BLOCKTIME 59.743 s with none), then feed the events: an event
 *     for an fd no watcher wants any more is dropped with EPOLL_CTL_DEL
 *     (or MOD), the others and the due timers go on the pending list, which
 *     ev_invoke_pending runs from its end (last ready first).  Running a
 *     pending io watcher is a switch to its greenlet.
 *   - A greenlet's parent is the hub: when one ends, the hub goes on.
 *
 * Everything else of the thread is untouched: a `compute`, or a call
 * gevent does not patch (read or write of a pipe or the terminal: os.read,
 * os.write), runs on the thread and blocks it, the hub and every greenlet
 * with it.  Not modelled: the getsockopt(SO_ERROR) gevent makes before
 * each connect, accept's getsockname, the SIGCHLD handler and the fcntls
 * libev makes on its eventfd, `thread` becoming a greenlet (patch_all
 * patches threading: iosim keeps threads real), gevent's thread pool.
 * The timers are a short array searched for the earliest (libev keeps a
 * 4-ary heap): a greenlet has at most one, and a lesson a few.
 */
#include "sim/hub.h"
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const hub_script_lines[] = {
    "# gevent's hub: a greenlet that runs libev's loop (ev_run) over epoll.",
    "# monkey_patch made it: ep = epoll_create1(EPOLL_CLOEXEC), and an",
    "# eventfd2 that other threads write to wake it. One turn of the loop:",
    "loop {",
    "    run callbacks     # greenlets gevent.spawn started, sleep(0)s",
    "    apply fd changes  # epoll_ctl ADD/MOD for watchers started since",
    "    n = epoll_wait ep 64 TIMEOUT  # nearest timer, else 59.743 s",
    "    run watchers      # last ready first: switch to each fd's greenlet",
    "}",
    NULL,
};

int hub_step_line(int step)
{
    return 5 + (step >= 0 && step < HUB__STEPS ? step : 0);
}

int hub_loop_end_line(void)
{
    return 9;
}

struct hub_fd {
    uint8_t ev;      /* what its watcher wants now (TL_EP_IN/OUT), 0: none */
    uint8_t oev;     /* what it wanted at the last fd_reify */
    uint8_t emask;   /* what libev last told the kernel */
    uint8_t changed; /* in the changes list */
    int32_t task;    /* the greenlet waiting on it, -1 */
};

struct hub_cb {
    int32_t task;
    uint8_t start; /* a spawned greenlet's first run; else a sleep(0) */
};

struct hub_timer {
    int64_t at;
    uint64_t seq;
    int32_t task;
};

struct hub_pend {
    int32_t task, fd; /* fd -1: a timer */
};

struct hub {
    int32_t task, kthread; /* the hub's greenlet, the thread it serves */
    int32_t live;          /* greenlets spawned and not ended */
    int32_t joinall;       /* who waits in joinall, -1 */
    int32_t ep, efd;
    uint8_t efd_added, invoking;
    struct hub_fd *fd;
    int nfd;
    int32_t *changes;
    int nch, chcap;
    struct hub_cb *cb;
    int ncb, cbhead, cbcap;
    struct hub_timer *tm;
    int ntm, tmcap;
    uint64_t tmseq;
    struct hub_pend *pend;
    int npend, pendcap;
    int32_t *dels; /* fd << 8 | events still wanted (0: DEL, else MOD) */
    int ndel, delcap, deli;
    /* fd_reify's call in progress: the fd, the op made, the old mask */
    int32_t rfd;
    uint8_t rop, rold;
};

void hub_free(struct hub *h)
{
    if (!h)
        return;
    free(h->fd);
    free(h->changes);
    free(h->cb);
    free(h->tm);
    free(h->pend);
    free(h->dels);
    free(h);
}

struct hub *hub_of(const struct sim *s, const struct task *t)
{
    struct hub *h = s->tasks[t->proc].hub;
    return h && t->kthread == h->kthread ? h : NULL;
}

static struct hub_fd *hub_fd(struct sim *s, struct hub *h, int64_t fd)
{
    if (fd < 0 || fd > (1 << 20))
        return NULL;
    if (fd >= h->nfd) {
        int n = h->nfd ? h->nfd : 64;
        while (n <= fd)
            n *= 2;
        struct hub_fd *p = realloc(h->fd, (size_t)n * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return NULL;
        }
        for (int i = h->nfd; i < n; i++)
            p[i] = (struct hub_fd){0, 0, 0, 0, -1};
        h->fd = p;
        h->nfd = n;
    }
    return &h->fd[fd];
}

/* fd_change: the fd's watchers changed; fd_reify looks at it */
static int fd_change(struct sim *s, struct hub *h, int fd)
{
    struct hub_fd *f = &h->fd[fd];
    if (f->changed)
        return 0;
    if (tl_grow(&h->changes, &h->chcap, h->nch + 1, sizeof *h->changes)) {
        s->failed = -ENOMEM;
        return -1;
    }
    f->changed = 1;
    h->changes[h->nch++] = fd;
    return 0;
}

static int cb_push(struct sim *s, struct hub *h, int task, int start)
{
    if (h->cbhead > 0 && h->cbhead == h->ncb)
        h->cbhead = h->ncb = 0;
    if (tl_grow(&h->cb, &h->cbcap, h->ncb + 1, sizeof *h->cb)) {
        s->failed = -ENOMEM;
        return -1;
    }
    h->cb[h->ncb++] = (struct hub_cb){task, (uint8_t)start};
    return 0;
}

/* from stops (suspended at its line; with next_pc, past it) and `to` runs
 * on the same CPU: a greenlet switch, no syscall */
static int hub_transfer(struct sim *s, struct task *from, int to, int why,
                        int64_t v, int next_pc)
{
    int me = (int)(from - s->tasks), cpu = from->cpu;
    if (cpu < 0)
        return sim_fail(s, &s->p->code[from->pc],
                        "internal: a hub switch from a task off its CPU");
    sim_emit(s, EV_SWITCH, me, why, to, v, 0);
    from->cpu = -1;
    from->co_dst = -1;
    sim_emit_state(s, me, TS_SUSPENDED, -1, 0);
    if (next_pc)
        from->pc++;
    proc_co_handover(s, cpu, to);
    return GO_BLOCKED;
}

/* ---- monkey_patch: the hub is made -------------------------------------- */

static int op_monkey_patch(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int me = (int)(t - s->tasks);
    if (t->external)
        return sim_fail(s, in, "monkey_patch runs in a process, not in a peer");
    if (t->is_coroutine)
        return sim_fail(s, in, "monkey_patch belongs in the thread's own code, "
                        "before it makes its greenlets (gevent patches at "
                        "import time)");
    if (s->tasks[t->proc].hub)
        return sim_fail(s, in, "monkey_patch: this process is patched already "
                        "(gevent's hub is one per process here)");
    if (s->p->hub_pc < 0)
        return sim_fail(s, in, "internal: no hub code compiled");
    if (t->phase == 0) { /* ev_default_loop: epoll_create1(EPOLL_CLOEXEC) */
        struct prog_ins ep = {.op = OP_EPOLL_CREATE, .dst = -1, .dst2 = -1,
                              .jump = -1, .list = -1, .flags = 1};
        t->advance = 1;
        return s->mux[OP_EPOLL_CREATE]->exec(s, t, &ep);
    }
    int64_t ep = t->ret;
    /* the loop's async pipe: eventfd2(0, EFD_CLOEXEC | EFD_NONBLOCK) */
    sim_sys_enter(s, t, SYS_EVENTFD2, -1, 0);
    if (ep < 0)
        return sim_sys_return(s, t, ep, s->p->cost.syscall);
    if (sim_fd_room(s, t->proc, 1) < 0)
        return sim_sys_return(s, t, -EMFILE, s->p->cost.syscall);
    int o = sim_obj_new(s, OK_EVENTFD, 8, 0, -1, t->proc);
    if (o < 0)
        return GO_FAIL;
    int efd = sim_fd_open(s, t->proc, o);
    sim_emit(s, EV_FLAGS, t->proc, TL_FL_NONBLOCK, o, efd, 0);
    struct hub *h = calloc(1, sizeof *h);
    if (!h) {
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    h->ep = (int32_t)ep;
    h->efd = efd;
    h->kthread = t->kthread;
    h->rfd = -1;
    h->joinall = -1;
    char name[160], base[140];
    snprintf(base, sizeof base, "%.120s/hub", s->tl->tasks[t->proc].name);
    proc_name_unique(s, t->pc, base, name, sizeof name);
    int c = proc_task_new_in(s, name, TK_COROUTINE, t->decl, t->kthread,
                             t->proc, 0, s->p->hub_script);
    if (c < 0) {
        hub_free(h);
        return GO_FAIL;
    }
    t = &s->tasks[me];
    s->tasks[t->proc].hub = h;
    h->task = c;
    struct task *ht = &s->tasks[c];
    ht->pc = s->p->hub_pc;
    ht->block_end = -1;
    ht->is_coroutine = 1;
    ht->co_parent = me;
    ht->kthread = t->kthread;
    ht->next_thread = s->tasks[t->proc].next_thread; /* dies with it */
    s->tasks[t->proc].next_thread = c;
    sim_emit_state(s, c, TS_SUSPENDED, -1, 0);
    return sim_sys_return(s, t, efd, s->p->cost.syscall);
}

/* ---- what patched calls do ----------------------------------------------- */

int hub_spawned(struct sim *s, struct task *t, int c)
{
    struct hub *h = hub_of(s, t);
    if (!h || s->tasks[c].is_gen)
        return 0;
    s->tasks[c].co_parent = h->task; /* a greenlet's parent is the hub */
    s->tasks[c].co_switched = 1;     /* its end switches there */
    h->live++;
    return cb_push(s, h, c, 1);
}

int hub_would_block(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct hub *h = hub_of(s, t);
    if (!h || (int)(t - s->tasks) == h->task)
        return 0;
    int64_t fd;
    uint8_t ev;
    switch (in->op) {
    case OP_ACCEPT: case OP_RECV:
        if (t->ret != -EAGAIN)
            return 0;
        fd = sim_arg(t, in, 0);
        ev = TL_EP_IN;
        break;
    case OP_SEND:
        if (t->ret != -EAGAIN)
            return 0;
        fd = sim_arg(t, in, 0);
        ev = TL_EP_OUT;
        break;
    case OP_CONNECT:
        if (t->ret != -EINPROGRESS && t->ret != -EALREADY)
            return 0;
        fd = t->ret2;
        ev = TL_EP_OUT;
        break;
    default:
        return 0;
    }
    struct hub_fd *f = hub_fd(s, h, fd);
    if (!f)
        return s->failed ? (sim_fail(s, in, "out of memory"), 1) : 0;
    int me = (int)(t - s->tasks);
    if (f->task >= 0 && f->task != me) {
        sim_fail(s, in, "ConcurrentObjectUseError: fd %lld is already waited "
                 "for by '%s' (gevent lets one greenlet wait on a socket)",
                 (long long)fd, s->tl->tasks[f->task].name);
        return 1;
    }
    t->advance = 0; /* the call is made again, from the same phase */
    t->done = 0;
    f->ev = ev;
    f->task = me;
    if (fd_change(s, h, (int)fd) < 0)
        return 1;
    hub_transfer(s, t, h->task, TSW_WAIT, fd, 0);
    return 1;
}

int hub_sleep(struct sim *s, struct task *t, int64_t d)
{
    struct hub *h = hub_of(s, t);
    int me = (int)(t - s->tasks);
    if (!h || me == h->task)
        return -1;
    if (d <= 0) { /* sleep(0): a callback, run at the hub's next turn */
        if (cb_push(s, h, me, 0) < 0)
            return GO_FAIL;
    } else {
        if (tl_grow(&h->tm, &h->tmcap, h->ntm + 1, sizeof *h->tm)) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        h->tm[h->ntm++] = (struct hub_timer){sim_at(s, d), h->tmseq++, me};
    }
    return hub_transfer(s, t, h->task, TSW_WAIT, d <= 0 ? -2 : -1, 1);
}

int hub_joined(struct sim *s, struct task *t, int64_t id)
{
    struct hub *h = hub_of(s, t);
    int me = (int)(t - s->tasks);
    int64_t i = id - PID_BASE;
    if (!h || me == h->task || i < 0 || i >= s->ntasks)
        return -1;
    struct task *g = &s->tasks[i];
    if (!g->is_coroutine || g->kthread != t->kthread || g->is_gen)
        return -1;
    if (g->exited) { /* done already: join returns at once */
        t->pc++;
        return GO_NEXT;
    }
    if (g->joiner >= 0 && g->joiner != me)
        return sim_fail(s, &s->p->code[t->pc], "join: '%s' is joined by '%s' "
                        "already (iosim lets one greenlet join another)",
                        s->tl->tasks[i].name, s->tl->tasks[g->joiner].name);
    g->joiner = me;
    return hub_transfer(s, t, h->task, TSW_WAIT, -3, 1);
}

void hub_greenlet_done(struct sim *s, struct task *t)
{
    struct hub *h = hub_of(s, t);
    if (!h)
        return;
    if (t->co_parent == h->task && --h->live == 0 && h->joinall >= 0) {
        cb_push(s, h, h->joinall, 0); /* joinall is over */
        h->joinall = -1;
    }
    if (t->joiner < 0 || s->tasks[t->joiner].exited)
        return;
    cb_push(s, h, t->joiner, 0); /* the joiner runs at the hub's next turn */
    t->joiner = -1;
}

static int op_joinall(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct hub *h = hub_of(s, t);
    if (!h)
        return sim_fail(s, in, "joinall is gevent.joinall(): it needs a "
                        "monkey_patch in this thread first");
    if ((int)(t - s->tasks) == h->task || t->co_parent == h->task)
        return sim_fail(s, in, "joinall: only the thread's own code (the main "
                        "greenlet) waits for every greenlet here");
    if (h->live == 0) {
        t->pc++;
        return GO_NEXT;
    }
    h->joinall = (int)(t - s->tasks);
    return hub_transfer(s, t, h->task, TSW_WAIT, -3, 1);
}

/* ---- the hub's loop ---------------------------------------------------------- */

static int hub_ctl(struct sim *s, struct task *t, struct hub *h, int op, int fd,
                   unsigned ev)
{
    struct prog_ins in = {.op = OP_EPOLL_CTL, .dst = -1, .dst2 = -1,
                          .jump = -1, .list = -1, .nargs = 3};
    in.flags = (uint16_t)ev;
    in.a[0] = (struct prog_arg){ARG_CONST, 0, h->ep};
    in.a[1] = (struct prog_arg){ARG_CONST, 0, op};
    in.a[2] = (struct prog_arg){ARG_CONST, 0, fd};
    t->advance = 1; /* one of several calls of this step */
    return s->mux[OP_EPOLL_CTL]->exec(s, t, &in);
}

/* the step is done: on to the next */
static int step_done(struct task *t)
{
    t->phase = 0;
    t->advance = 0;
    t->pc++;
    return GO_NEXT;
}

static int hub_callbacks(struct sim *s, struct task *t, struct hub *h)
{
    while (h->cbhead < h->ncb) {
        struct hub_cb c = h->cb[h->cbhead++];
        if (s->tasks[c.task].exited)
            continue;
        return hub_transfer(s, t, c.task, c.start ? TSW_START : TSW_READY,
                            c.start ? 0 : -2, 0);
    }
    h->cbhead = h->ncb = 0;
    return step_done(t);
}

enum { CTL_ADD, CTL_MOD, CTL_DEL };

/* fd_reify: each changed fd's new events to the kernel, as epoll_modify
 * does it: ADD, or MOD when the kernel had other events; an ADD that finds
 * the fd still there (a watcher stopped earlier left it: EEXIST) becomes a
 * MOD, a MOD of an fd the kernel dropped (ENOENT: it was closed) an ADD */
static int hub_reify(struct sim *s, struct task *t, struct hub *h)
{
    if (!h->efd_added) { /* the async watcher, started at the first turn */
        h->efd_added = 1;
        return hub_ctl(s, t, h, CTL_ADD, h->efd, TL_EP_IN);
    }
    if (h->rfd >= 0) { /* the answer to the call just made */
        struct hub_fd *f = &h->fd[h->rfd];
        int fd = h->rfd, op = h->rop;
        h->rfd = -1;
        if (op == CTL_ADD && t->ret == -EEXIST && h->rold != f->emask) {
            h->rfd = fd;
            h->rop = CTL_MOD;
            return hub_ctl(s, t, h, CTL_MOD, fd, f->emask);
        }
        if (op == CTL_MOD && t->ret == -ENOENT) {
            h->rfd = fd;
            h->rop = CTL_ADD;
            return hub_ctl(s, t, h, CTL_ADD, fd, f->emask);
        }
    }
    for (int i = 0; i < h->nch; i++) {
        int fd = h->changes[i];
        struct hub_fd *f = &h->fd[fd];
        if (!f->changed)
            continue;
        f->changed = 0;
        uint8_t o = f->oev, n = f->ev;
        f->oev = n;
        if (o == n || n == 0) /* no change, or a stop: left in the kernel */
            continue;
        h->rold = f->emask;
        f->emask = n;
        h->rfd = fd;
        h->rop = o && h->rold != n ? CTL_MOD : CTL_ADD;
        return hub_ctl(s, t, h, h->rop, fd, n);
    }
    h->nch = 0;
    return step_done(t);
}

static int hub_poll(struct sim *s, struct task *t, struct hub *h)
{
    int64_t ms = HUB_MAX_BLOCK_MS;
    if (h->cbhead < h->ncb) {
        ms = 0;
    } else if (h->ntm > 0) {
        int64_t at = h->tm[0].at;
        for (int i = 1; i < h->ntm; i++)
            if (h->tm[i].at < at)
                at = h->tm[i].at;
        int64_t d = at - s->now;
        /* EV_TS_TO_MSEC rounds up; backend_mintime: at least 1 ms */
        int64_t tm = d <= 0 ? 0 : (d + 999999) / 1000000;
        if (tm < ms)
            ms = tm;
    }
    struct prog_ins in = {.op = OP_EPOLL_WAIT, .dst = -1, .dst2 = -1,
                          .jump = -1, .list = -1, .nargs = 3};
    in.a[0] = (struct prog_arg){ARG_CONST, 0, h->ep};
    in.a[1] = (struct prog_arg){ARG_CONST, 0, HUB_MAX_EVENTS};
    in.a[2] = (struct prog_arg){ARG_CONST, 0, ms * 1000000};
    t->advance = 0; /* its return ends the step */
    return s->mux[OP_EPOLL_WAIT]->exec(s, t, &in);
}

static int tm_cmp(const void *a, const void *b)
{
    const struct hub_timer *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int pend_push(struct sim *s, struct hub *h, int task, int fd)
{
    if (tl_grow(&h->pend, &h->pendcap, h->npend + 1, sizeof *h->pend)) {
        s->failed = -ENOMEM;
        return -1;
    }
    h->pend[h->npend++] = (struct hub_pend){task, fd};
    return 0;
}

/* epoll_poll's feeding of the events, timers_reify, then
 * ev_invoke_pending: from the end of the pending list */
static int hub_invoke(struct sim *s, struct task *t, struct hub *h)
{
    if (!h->invoking) {
        h->invoking = 1;
        h->npend = h->ndel = 0;
        for (int i = 0; i < t->nready; i++) {
            int fd = t->ready[i];
            if (fd == h->efd || fd < 0 || fd >= h->nfd)
                continue;
            struct hub_fd *f = &h->fd[fd];
            int o = sim_fd_obj(s, t, fd);
            if (o < 0)
                continue;
            unsigned got = ((f->emask & TL_EP_IN) && sim_readable(s, o) ? TL_EP_IN : 0) |
                           ((f->emask & TL_EP_OUT) && sim_poll_out(s, o) ? TL_EP_OUT : 0);
            if (got & ~f->ev) { /* nobody wants it: tell the kernel */
                f->emask = f->ev;
                if (tl_grow(&h->dels, &h->delcap, h->ndel + 1, sizeof *h->dels)) {
                    s->failed = -ENOMEM;
                    return GO_FAIL;
                }
                h->dels[h->ndel++] = fd << 8 | f->ev;
            }
            if ((got & f->ev) && f->task >= 0 && pend_push(s, h, f->task, fd))
                return GO_FAIL;
        }
        if (h->ntm > 1)
            qsort(h->tm, (size_t)h->ntm, sizeof *h->tm, tm_cmp);
        int k = 0;
        while (k < h->ntm && h->tm[k].at <= s->now) {
            if (pend_push(s, h, h->tm[k].task, -1))
                return GO_FAIL;
            k++;
        }
        if (k > 0) {
            memmove(h->tm, h->tm + k, (size_t)(h->ntm - k) * sizeof *h->tm);
            h->ntm -= k;
        }
        h->deli = 0;
    }
    if (h->deli < h->ndel) {
        int d = h->dels[h->deli++];
        return hub_ctl(s, t, h, d & 0xff ? CTL_MOD : CTL_DEL, d >> 8, d & 0xff);
    }
    while (h->npend > 0) {
        struct hub_pend p = h->pend[--h->npend];
        if (s->tasks[p.task].exited)
            continue;
        t->advance = 0;
        if (p.fd >= 0) { /* the io watcher fires: stopped, its greenlet runs */
            struct hub_fd *f = &h->fd[p.fd];
            f->ev = 0;
            f->task = -1;
            if (fd_change(s, h, p.fd) < 0)
                return GO_FAIL;
        }
        return hub_transfer(s, t, p.task, TSW_READY, p.fd, 0);
    }
    h->invoking = 0;
    return step_done(t);
}

static int hub_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (in->op == OP_MONKEY_PATCH)
        return op_monkey_patch(s, t, in);
    if (in->op == OP_JOINALL)
        return op_joinall(s, t, in);
    struct hub *h = s->tasks[t->proc].hub;
    if (!h || (int)(t - s->tasks) != h->task)
        return sim_fail(s, in, "internal: the hub's code run by another task");
    switch (in->flags) {
    case HUB_CALLBACKS: return hub_callbacks(s, t, h);
    case HUB_REIFY: return hub_reify(s, t, h);
    case HUB_POLL: return hub_poll(s, t, h);
    default: return hub_invoke(s, t, h);
    }
}

const struct mux_ops mux_hub_ops = {
    .name = "gevent",
    .ops = {OP_MONKEY_PATCH, OP_JOINALL, OP_HUB, OP__COUNT},
    .exec = hub_exec,
};
