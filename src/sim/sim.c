/*
 * sim.c - the discrete-event engine.
 *
 * The loop (sim_run) takes the earliest item off the agenda and does what it
 * says, in the words of the textbook:
 *   AG_DELIVER      bytes travel to a socket: they land in its kernel
 *                   receive buffer, and readers waiting for data wake up;
 *   AG_SYN /
 *   AG_ESTABLISHED /
 *   AG_ACK          a TCP handshake: the SYN reaches the listener, the
 *                   SYN-ACK the connector (connect() returns), the final
 *                   ACK the listener (the connection joins the accept queue);
 *   AG_TIMER        a sleep ends;
 *   AG_RUN          a CPU, done switching, starts running a task;
 *   AG_STEP         a task's CPU work (a syscall's kernel part, a slice of
 *                   computation) is done: finish the syscall, run on;
 *   AG_CAPTION      the scenario's narration at a given time.
 * A running task executes its script (task_run) until it needs time, blocks
 * or exits.  A blocked task retries the same syscall when woken, as the
 * kernel's wait loops do: "wait for data, then copy to user".  Before each
 * instruction, on its way back to user space, a task takes its pending
 * signals (mux_sigio.c): an interrupted syscall returns EINTR, a handler
 * runs.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZERO_TIME_LIMIT 1000000L
#define PID_BASE 1000
#define SIM_MAX_TASKS 40000 /* docs/scenario-language.md, "Limits" */
#define TASK_NONE (-1)

/* ---- agenda: a binary heap ordered by (time, sequence) ------------------- */

static int ag_less(const struct agenda *a, const struct agenda *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int heap_push(struct heap *h, const struct agenda *it)
{
    if (h->n == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 256;
        struct agenda *v = realloc(h->v, ncap * sizeof *v);
        if (!v)
            return -ENOMEM;
        h->v = v;
        h->cap = ncap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!ag_less(it, &h->v[up]))
            break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = *it;
    return 0;
}

static void heap_pop(struct heap *h, struct agenda *out)
{
    *out = h->v[0];
    struct agenda last = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && ag_less(&h->v[c + 1], &h->v[c]))
            c++;
        if (!ag_less(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (n)
        h->v[i] = last;
}

void sim_schedule(struct sim *s, int64_t t, int kind, int task, int obj,
                  int obj2, int64_t a)
{
    struct agenda it = {.t = t, .seq = s->seq++, .kind = kind, .task = task,
                        .obj = obj, .obj2 = obj2, .a = a};
    if (task >= 0)
        it.gen = s->tasks[task].gen;
    if (heap_push(&s->h, &it))
        s->failed = -ENOMEM;
}

/* ---- recording ------------------------------------------------------------ */

int sim_fail(struct sim *s, const struct prog_ins *in, const char *fmt, ...)
{
    if (s->failed)
        return GO_FAIL;
    int n = 0;
    if (in)
        n = snprintf(s->err, s->errlen, "%s:%d:%d: error: ", s->p->path,
                     in->line, in->col);
    else
        n = snprintf(s->err, s->errlen, "%s: error: ", s->p->path);
    if (n >= 0 && (size_t)n < s->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    s->failed = -EINVAL;
    return GO_FAIL;
}

static int task_line(const struct sim *s, int task)
{
    if (task < 0 || task >= s->ntasks)
        return 0;
    const struct task *t = &s->tasks[task];
    if (t->pc < 0 || t->pc >= s->p->ncode)
        return 0;
    return s->p->code[t->pc].line;
}

long sim_emit(struct sim *s, int type, int task, int sub, int obj, int64_t a,
              int64_t b)
{
    struct tl_ev e = {.t = s->now, .a = a, .b = b, .obj = obj,
                      .line = task_line(s, task),
                      .task = task < 0 ? TL_NOTASK : (uint16_t)task,
                      .type = (uint8_t)type, .sub = (uint8_t)sub};
    if (s->failed)
        return -1;
    long idx = tl_push(s->tl, &e);
    if (idx < 0 || world_apply(&s->w, s->tl, &e)) {
        s->failed = -ENOMEM;
        return -1;
    }
    if (s->o && s->o->on_event)
        s->o->on_event(s->o->ctx, &s->w);
    if ((long)s->tl->nev >= s->max_events && !s->stop) {
        s->stop = 1;
        s->tl->truncated = 1;
        char msg[160];
        snprintf(msg, sizeof msg, "stopped after %ld events (the limit set by "
                 "`events` in the machine block, or by --events)", s->max_events);
        tl_set_str(&s->tl->note, msg);
    }
    return idx;
}

static void emit_state(struct sim *s, int task, int state, int obj, int64_t a)
{
    sim_emit(s, EV_STATE, task, state, obj, a, 0);
}

/* ---- small helpers -------------------------------------------------------- */

int64_t sim_arg(const struct task *t, const struct prog_ins *in, int i)
{
    if (i >= in->nargs)
        return 0;
    const struct prog_arg *a = &in->a[i];
    if (a->kind == ARG_SLOT)
        return t->slots[a->v];
    return a->v;
}

static void set_dst(struct task *t, int slot, int64_t v)
{
    if (slot >= 0)
        t->slots[slot] = v;
}

int sim_fd_obj(struct sim *s, const struct task *t, int64_t fd)
{
    if (fd < 0 || fd > (1 << 24))
        return -1;
    return world_fd_obj(&s->w, t->proc, (int)fd);
}

int64_t sim_copy_ns(const struct sim *s, int64_t bytes)
{
    return (sat_mul(bytes, s->p->cost.copy_per_kb) + 1023) / 1024;
}

static int64_t obj_latency(const struct sim *s, int obj)
{
    return s->objs[obj].remote ? s->p->latency : 0;
}

int64_t sim_obj_latency(const struct sim *s, int obj)
{
    return obj_latency(s, obj);
}

int sim_readable(const struct sim *s, int obj)
{
    const struct w_obj *o = &s->w.objs[obj];
    if (o->kind == OK_LISTEN)
        return sim_qlen(s, s->objs[obj].accept_q) > 0;
    return o->rx > 0 || o->eof;
}

void sim_set_ready(struct task *t, const int32_t *fds, int n)
{
    t->nready = 0;
    t->ready_i = 0;
    for (int i = 0; i < n; i++)
        sim_ready_push(t, fds[i]);
}

int sim_ready_push(struct task *t, int32_t fd)
{
    if (t->nready == t->readycap) {
        int ncap = t->readycap ? t->readycap * 2 : 16;
        int32_t *p = realloc(t->ready, (size_t)ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        t->ready = p;
        t->readycap = ncap;
    }
    t->ready[t->nready++] = fd;
    return 0;
}

/* ---- objects and fds -------------------------------------------------------- */

int sim_obj_new(struct sim *s, int kind, int64_t rxcap, int64_t txcap, int peer,
                int owner)
{
    struct tl_obj m = {.kind = (uint8_t)kind, .peer = peer, .rxcap = rxcap,
                       .txcap = txcap, .queue = -1, .owner = owner};
    int id = tl_add_obj(s->tl, &m);
    if (id < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    if (id >= s->objcap) {
        int ncap = s->objcap ? s->objcap * 2 : 64;
        struct sobj *p = realloc(s->objs, (size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return -1;
        }
        s->objs = p;
        s->objcap = ncap;
    }
    memset(&s->objs[id], 0, sizeof s->objs[id]);
    s->objs[id].first_waiter = TASK_NONE;
    s->objs[id].accept_q = -1;
    s->nobjs = id + 1;
    sim_emit(s, EV_OBJ_NEW, TASK_NONE, kind, id, 0, 0);
    return id;
}

int sim_fd_open(struct sim *s, int proc, int obj)
{
    int fd = world_fd_lowest(&s->w, proc);
    sim_emit(s, EV_FD_OPEN, proc, 0, obj, fd, 0);
    return fd;
}

static void obj_release(struct sim *s, int obj);

static void fd_close(struct sim *s, int proc, int fd)
{
    int obj = world_fd_obj(&s->w, proc, fd);
    if (obj < 0)
        return;
    sim_emit(s, EV_FD_CLOSE, proc, 0, obj, fd, 0);
    if (s->w.objs[obj].refs == 0 && obj != s->tty) /* the terminal stays */
        obj_release(s, obj);
}

/* ---- waiting and waking ----------------------------------------------------- */

static void waiter_unlink(struct sim *s, struct task *t)
{
    if (t->wait_obj < 0)
        return;
    int32_t *pp = &s->objs[t->wait_obj].first_waiter;
    int me = (int)(t - s->tasks);
    while (*pp != TASK_NONE) {
        if (*pp == me) {
            *pp = t->next_waiter;
            break;
        }
        pp = &s->tasks[*pp].next_waiter;
    }
    t->wait_obj = -1;
    t->next_waiter = TASK_NONE;
}

static void cpu_kick(struct sim *s);

static void cpu_release(struct sim *s, struct task *t)
{
    if (t->cpu >= 0) {
        s->cpu_busy[t->cpu] = 0;
        t->cpu = -1;
    }
}

int sim_block(struct sim *s, struct task *t, int w, int obj)
{
    int me = (int)(t - s->tasks);
    if (w != TW_THREAD && (t->sig.pending & ~t->sig.blocked)) {
        /* a signal came while the task was in the kernel: like Linux's
         * signal_pending() check before schedule(), don't sleep; the call
         * ends as interrupted (sig_check) and the handler runs */
        t->sig.intr = 1;
        t->gen++; /* whatever was set up to wake this sleep is void */
        return GO_NEXT;
    }
    emit_state(s, me, TS_BLOCKED, obj, w);
    t->wait_obj = -1;
    if (obj >= 0) {
        t->wait_obj = obj;
        t->next_waiter = s->objs[obj].first_waiter;
        s->objs[obj].first_waiter = me;
    }
    cpu_release(s, t);
    cpu_kick(s);
    return GO_BLOCKED;
}

void sim_wake(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    if (s->w.tasks[me].state != TS_BLOCKED)
        return;
    waiter_unlink(s, t);
    t->gen++;
    if (t->external) {
        emit_state(s, me, TS_RUNNING, -1, -1);
        sim_schedule(s, s->now, AG_RUN, me, -1, 0, -1);
        return;
    }
    emit_state(s, me, TS_READY, -1, 0);
    cpu_kick(s);
}

/* accept() sleeps exclusively: a new connection wakes one acceptor only
 * (inet_csk_wait_for_connect uses prepare_to_wait_exclusive), so forked
 * acceptors do not stampede. The waiter list is LIFO; wake the oldest. */
static void wake_one(struct sim *s, int obj, int w)
{
    int32_t pick = TASK_NONE;
    for (int32_t i = s->objs[obj].first_waiter; i != TASK_NONE;
         i = s->tasks[i].next_waiter)
        if (s->w.tasks[i].wait == w)
            pick = i;
    if (pick != TASK_NONE)
        sim_wake(s, &s->tasks[pick]);
}

void sim_wake_obj(struct sim *s, int obj, int w)
{
    int32_t i = s->objs[obj].first_waiter;
    while (i != TASK_NONE) {
        struct task *t = &s->tasks[i];
        int32_t next = t->next_waiter;
        if (w == TW__COUNT || s->w.tasks[i].wait == w)
            sim_wake(s, t);
        i = next;
    }
}

/* ---- scheduling --------------------------------------------------------------- */

/* Give every idle CPU the first ready task not already being switched in */
static void cpu_kick(struct sim *s)
{
    const struct w_queue *rq = s->w.nqueues ? &s->w.queues[0] : NULL;
    for (int c = 0; c < s->p->ncpus && rq; c++) {
        if (s->cpu_busy[c])
            continue;
        int pick = TASK_NONE;
        for (int i = 0; i < rq->n; i++) {
            int id = (int)rq->items[i];
            if (s->tasks[id].reserved < 0) {
                pick = id;
                break;
            }
        }
        if (pick == TASK_NONE)
            return;
        struct task *t = &s->tasks[pick];
        s->cpu_busy[c] = 1;
        t->reserved = c;
        int64_t sw = s->cpu_last[c] == pick ? 0 : s->p->cost.ctx_switch;
        sim_schedule(s, sim_at(s, sw), AG_RUN, pick, -1, 0, c);
    }
}

static void task_run(struct sim *s, struct task *t);

static void do_run(struct sim *s, struct task *t, int cpu)
{
    int me = (int)(t - s->tasks);
    if (cpu >= 0) {
        t->reserved = -1;
        t->cpu = cpu;
        s->cpu_last[cpu] = me;
        emit_state(s, me, TS_RUNNING, -1, cpu);
    }
    task_run(s, t);
}

/* ---- syscalls ---------------------------------------------------------------- */

void sim_sys_enter(struct sim *s, struct task *t, int sys, int64_t fd,
                   int64_t arg)
{
    if (t->in_sys)
        return;
    t->in_sys = 1;
    t->sys = sys;
    t->sys_fd = (int32_t)fd;
    t->sys_t = s->now;
    sim_emit(s, EV_SYS_ENTER, (int)(t - s->tasks), sys, (int32_t)fd, arg, 0);
}

int sim_sys_return(struct sim *s, struct task *t, int64_t ret, int64_t kernel_ns)
{
    (void)s;
    t->ret = ret;
    t->pend = 1;
    t->busy_ns = t->external ? 0 : kernel_ns;
    return GO_BUSY;
}

/* The kernel part of the syscall is over: return to user space */
static void sys_finish(struct sim *s, struct task *t)
{
    if (t->exited)
        return;
    const struct prog_ins *in = &s->p->code[t->pc];
    t->pend = 0;
    t->in_sys = 0;
    /* a call cut short by a signal shows what strace shows: the kernel's
     * -ERESTART... code; the program sees EINTR once the handler is done */
    int64_t shown = t->sig.restart ? t->sig.restart_ret : t->ret;
    t->sig.restart = 0;
    sim_emit(s, EV_SYSCALL, (int)(t - s->tasks), t->sys, t->sys_fd, shown,
             s->now - t->sys_t);
    if (t->advance) {      /* an operation made of several syscalls */
        t->advance = 0;
        t->phase++;
        return;
    }
    if (in->op == OP_CONNECT) { /* the script gets the fd, or -errno */
        set_dst(t, in->dst, t->ret < 0 ? t->ret : t->ret2);
    } else {
        set_dst(t, in->dst, t->ret);
        if (in->op == OP_PIPE || in->op == OP_SOCKETPAIR) {
            set_dst(t, in->dst, t->ret < 0 ? t->ret : TL_FD_PAIR_A(t->ret2));
            set_dst(t, in->dst2, t->ret < 0 ? t->ret : TL_FD_PAIR_B(t->ret2));
        }
    }
    t->phase = 0;
    t->done = 0;
    /* fork and thread: the parent goes on after the child's block */
    t->pc = in->op == OP_FORK || in->op == OP_THREAD ? in->jump : t->pc + 1;
}

/* ---- buffers: bytes travel, land, are copied ----------------------------------- */

/* The I/O models, each in its own file */
static const struct mux_ops *const muxes[] = {&mux_scan_ops, &mux_select_ops,
                                              &mux_poll_ops, &mux_epoll_ops,
                                              &mux_sigio_ops, &mux_uring_ops};
#define NMUX ((int)(sizeof muxes / sizeof muxes[0]))

/* obj became readable: models that watch it put it on their ready lists */
static void notify_readable(struct sim *s, int obj)
{
    for (int i = 0; i < NMUX; i++)
        if (muxes[i]->readable)
            muxes[i]->readable(s, obj);
}

/* Move stalled bytes of src into dst's receive buffer as far as room allows */
static void deliver(struct sim *s, int src, int dst)
{
    struct sobj *so = &s->objs[src];
    if (s->objs[dst].freed) {
        /* the receiver is gone: Linux answers with a reset; the bytes are
         * dropped and no end of file is shown on a socket nobody holds */
        so->stalled = 0;
        so->fin_pending = 0;
        return;
    }
    int64_t room = s->tl->objs[dst].rxcap - s->w.objs[dst].rx;
    int64_t m = so->stalled < room ? so->stalled : room;
    if (m > 0) {
        sim_emit(s, EV_DATA, TASK_NONE, 0, dst, m, src);
        so->stalled -= m;
        sim_wake_obj(s, dst, TW_DATA);
        sim_wake_obj(s, src, TW_SPACE);
    }
    if (so->stalled == 0 && so->fin_pending) {
        so->fin_pending = 0;
        sim_emit(s, EV_EOF, TASK_NONE, 0, dst, 0, 0);
        sim_wake_obj(s, dst, TW_DATA);
    }
    if (m > 0 || s->w.objs[dst].eof)
        notify_readable(s, dst);
}

/* Room was made in obj's receive buffer: let its sender's stalled bytes in */
static void room_made(struct sim *s, int obj)
{
    int peer = s->tl->objs[obj].peer;
    if (s->w.objs[obj].kind == OK_PIPE_R) {
        sim_wake_obj(s, obj, TW_SPACE);
        return;
    }
    if (peer >= 0 && s->objs[peer].stalled > 0)
        deliver(s, peer, obj);
}

void sim_room_made(struct sim *s, int obj)
{
    room_made(s, obj);
}

static void obj_release(struct sim *s, int obj)
{
    struct sobj *so = &s->objs[obj];
    if (so->freed)
        return;
    so->freed = 1;
    for (int i = 0; i < NMUX; i++)
        if (muxes[i]->release)
            muxes[i]->release(s, obj);
    int peer = s->tl->objs[obj].peer;
    switch (s->w.objs[obj].kind) {
    case OK_SOCKET:
        if (peer >= 0) { /* FIN follows the data already sent */
            sim_schedule(s, sim_at(s, obj_latency(s, obj)), AG_DELIVER, -1, obj,
                         peer, -1);
            /* bytes on their way here are lost; a writer waiting for room
             * here wakes and gets EPIPE or its partial count */
            s->objs[peer].stalled = 0;
            sim_wake_obj(s, peer, TW_SPACE);
        }
        break;
    case OK_PIPE_W:
        if (peer >= 0) {
            sim_emit(s, EV_EOF, TASK_NONE, 0, peer, 0, 0);
            sim_wake_obj(s, peer, TW_DATA);
            notify_readable(s, peer);
        }
        break;
    case OK_PIPE_R:
        sim_wake_obj(s, obj, TW_SPACE); /* writers now get EPIPE */
        break;
    case OK_LISTEN: {
        for (int i = 0; i < s->nls; i++)
            if (s->ls[i].obj == obj)
                s->ls[i] = s->ls[--s->nls];
        int aq = so->accept_q; /* emits may move the arrays: index afresh */
        while (sim_qlen(s, aq) > 0) { /* connections nobody accepted: reset */
            int c = (int)s->w.queues[aq].items[0];
            sim_emit(s, EV_QUEUE, TASK_NONE, TQ_POP, aq, c, 0);
            obj_release(s, c);
        }
        break;
    }
    default:
        break;
    }
    sim_emit(s, EV_OBJ_FREE, TASK_NONE, 0, obj, 0, 0);
}

/* ---- processes -------------------------------------------------------------------- */

static int task_new(struct sim *s, const char *name, int kind, int decl,
                    int parent, int proc, int external)
{
    int script = s->p->tasks[decl].script; /* a server's generated loop */
    int id = tl_add_task(s->tl, name, kind, parent, proc,
                         script >= 0 ? s->script + 1 + script : s->script);
    if (id < 0 || id >= 0xfffe) {
        s->failed = -ENOMEM;
        return -1;
    }
    if (id >= s->taskcap) {
        int ncap = s->taskcap ? s->taskcap * 2 : 64;
        struct task *p = realloc(s->tasks, (size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return -1;
        }
        s->tasks = p;
        s->taskcap = ncap;
    }
    struct task *t = &s->tasks[id];
    memset(t, 0, sizeof *t);
    const struct prog_task *d = &s->p->tasks[decl];
    t->slots = calloc(d->nslots > 0 ? (size_t)d->nslots : 1, sizeof *t->slots);
    if (!t->slots) {
        s->failed = -ENOMEM;
        return -1;
    }
    s->ntasks = id + 1;
    t->decl = decl;
    t->pc = d->entry;
    t->proc = proc < 0 ? id : proc;
    t->parent = parent;
    t->block_end = -1;
    t->next_waiter = TASK_NONE;
    t->wait_obj = -1;
    t->waiting_for = -1;
    t->next_thread = -1;
    t->cpu = -1;
    t->reserved = -1;
    t->external = (uint8_t)external;
    t->id = PID_BASE + id;
    sim_emit(s, EV_TASK_NEW, id, kind, -1, parent, 0);
    return id;
}

static void give_stdio(struct sim *s, int proc)
{
    for (int fd = 0; fd < 3; fd++)
        sim_emit(s, EV_FD_OPEN, proc, 0, s->tty, fd, 0);
}

/* dead has exited: wake its parent in wait4() and its joiners */
static void wake_waiters_for(struct sim *s, int dead)
{
    int p = s->tasks[dead].is_thread ? -1 : s->tasks[dead].parent;
    for (int i = p; i >= 0; i = s->tasks[i].next_thread) /* any thread */
        if (!s->tasks[i].exited && s->w.tasks[i].state == TS_BLOCKED &&
            s->w.tasks[i].wait == TW_CHILD)
            sim_wake(s, &s->tasks[i]);
    for (int i = s->tasks[dead].proc; i >= 0; i = s->tasks[i].next_thread) {
        struct task *t = &s->tasks[i];
        if (!t->exited && s->w.tasks[i].state == TS_BLOCKED &&
            s->w.tasks[i].wait == TW_THREAD && t->waiting_for == dead)
            sim_wake(s, t);
    }
}

static void task_kill(struct sim *s, struct task *t, int code)
{
    int me = (int)(t - s->tasks);
    if (t->exited)
        return;
    waiter_unlink(s, t);
    t->gen++;
    t->exited = 1;
    t->code = (int8_t)code;
    t->in_sys = 0;
    t->pend = 0;
    if (t->reserved >= 0) {
        s->cpu_busy[t->reserved] = 0;
        t->reserved = -1;
    }
    emit_state(s, me, TS_EXITED, -1, code);
    cpu_release(s, t);
}

/* exit_group: every thread of the process ends, every fd is closed */
static void process_exit(struct sim *s, struct task *t, int code)
{
    int proc = t->proc;
    for (int i = proc; i >= 0; i = s->tasks[i].next_thread)
        task_kill(s, &s->tasks[i], code);
    for (int fd = s->w.procs[proc].nfds - 1; fd >= 0; fd--)
        if (fd < s->w.procs[proc].nfds && s->w.procs[proc].fds[fd].obj >= 0)
            fd_close(s, proc, fd);
    for (int i = proc; i >= 0; i = s->tasks[i].next_thread)
        wake_waiters_for(s, i);
    cpu_kick(s);
}

void sim_kill_process(struct sim *s, struct task *t, int sig)
{
    sim_emit(s, EV_SIGNAL, (int)(t - s->tasks), 0, -1, sig, 0);
    process_exit(s, t, 128 + sig);
}

static const char *child_name(struct sim *s, const struct task *parent,
                              int thread, char *buf, size_t n)
{
    int k = ++s->decl_children[parent->decl];
    snprintf(buf, n, "%s%s%d", s->tl->tasks[parent->proc].name,
             thread ? "/t" : ".", k);
    return buf;
}

/* ---- the operations ---------------------------------------------------------------- */

static int bad_fd(struct sim *s, struct task *t)
{
    return sim_sys_return(s, t, -EBADF, s->p->cost.syscall);
}

static int op_socket(struct sim *s, struct task *t, const struct prog_ins *in)
{
    (void)in;
    sim_sys_enter(s, t, SYS_SOCKET, -1, 0);
    int o = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, -1, t->proc);
    if (o < 0)
        return GO_FAIL;
    return sim_sys_return(s, t, sim_fd_open(s, t->proc, o), s->p->cost.syscall);
}

static int find_listener(const struct sim *s, int port)
{
    for (int i = 0; i < s->nls; i++)
        if (s->ls[i].port == port)
            return s->ls[i].obj;
    return -1;
}

static int op_listen(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), port = sim_arg(t, in, 1);
    int o = sim_fd_obj(s, t, fd);
    if (t->phase == 0) { /* bind(fd, 0.0.0.0:port): every address */
        sim_sys_enter(s, t, SYS_BIND, fd, port);
        t->advance = 1;
        if (o < 0)
            return bad_fd(s, t);
        if (s->w.objs[o].kind != OK_SOCKET && s->w.objs[o].kind != OK_LISTEN)
            return sim_sys_return(s, t, -ENOTSOCK, s->p->cost.syscall);
        if (s->w.objs[o].kind != OK_SOCKET || s->tl->objs[o].peer >= 0)
            return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
        if (find_listener(s, (int)port) >= 0)
            return sim_sys_return(s, t, -EADDRINUSE, s->p->cost.syscall);
        return sim_sys_return(s, t, 0, s->p->cost.syscall);
    }
    sim_sys_enter(s, t, SYS_LISTEN, fd, s->p->backlog);
    if (o < 0)
        return bad_fd(s, t);
    if (s->w.objs[o].kind != OK_SOCKET && s->w.objs[o].kind != OK_LISTEN)
        return sim_sys_return(s, t, -ENOTSOCK, s->p->cost.syscall);
    if (s->w.objs[o].kind != OK_SOCKET || find_listener(s, (int)port) >= 0)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    char name[64];
    snprintf(name, sizeof name, "accept queue :%d", (int)port);
    int q = tl_add_queue(s->tl, name, TQK_ACCEPT, o);
    if (q < 0) {
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    s->tl->objs[o].queue = q;
    s->tl->objs[o].port = (int32_t)port;
    s->objs[o].accept_q = q;
    if (s->nls == s->lscap) {
        int ncap = s->lscap ? s->lscap * 2 : 8;
        struct listener *p = realloc(s->ls, (size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        s->ls = p;
        s->lscap = ncap;
    }
    s->ls[s->nls++] = (struct listener){(int)port, o};
    sim_emit(s, EV_OBJ_SET, TASK_NONE, OK_LISTEN, o, port, 0);
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int op_accept(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    sim_sys_enter(s, t, SYS_ACCEPT, fd, 0);
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return bad_fd(s, t);
    if (s->w.objs[o].kind != OK_LISTEN) /* accept(2): ENOTSOCK, EINVAL */
        return sim_sys_return(s, t, s->w.objs[o].kind == OK_SOCKET ? -EINVAL
                                                                : -ENOTSOCK,
                              s->p->cost.syscall);
    int q = s->objs[o].accept_q;
    if (sim_qlen(s, q) == 0) {
        if (s->w.objs[o].flags & TL_FL_NONBLOCK)
            return sim_sys_return(s, t, -EAGAIN, s->p->cost.syscall);
        return sim_block(s, t, TW_CONNECTION, o);
    }
    int c = (int)s->w.queues[q].items[0];
    sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_POP, q, c, 0);
    s->tl->objs[c].owner = t->proc;
    return sim_sys_return(s, t, sim_fd_open(s, t->proc, c), s->p->cost.syscall);
}

static int op_connect(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t port = sim_arg(t, in, 0);
    if (t->phase == 0) {
        t->advance = 1;
        int r = op_socket(s, t, in);
        t->ret2 = t->ret;
        return r;
    }
    int64_t fd = t->ret2;
    int o = sim_fd_obj(s, t, fd);
    if (!t->in_sys) {
        sim_sys_enter(s, t, SYS_CONNECT, fd, port);
        int l = find_listener(s, (int)port);
        int remote = t->external || (l >= 0 && s->tasks[s->tl->objs[l].owner].external);
        s->objs[o].remote = remote;
        s->objs[o].connect_ret = 1;
        int64_t lat = remote ? s->p->latency : 0;
        if (l < 0) { /* the RST comes back after a round trip */
            s->objs[o].connect_ret = -ECONNREFUSED;
            if (lat > 0) {
                sim_schedule(s, sim_at(s, sat_mul(2, lat)), AG_ESTABLISHED, -1, o, 0, 0);
                return sim_block(s, t, TW_CONNECT, o);
            }
        } else {
            sim_schedule(s, sim_at(s, lat), AG_SYN, -1, l, o, 0);
            if (s->w.objs[o].flags & TL_FL_NONBLOCK)
                return sim_sys_return(s, t, -EINPROGRESS, s->p->cost.syscall);
            return sim_block(s, t, TW_CONNECT, o);
        }
    }
    if (s->objs[o].connect_ret == 1)
        return sim_block(s, t, TW_CONNECT, o);
    int64_t r = s->objs[o].connect_ret;
    int rc = sim_sys_return(s, t, r, s->p->cost.syscall);
    t->advance = 0;
    t->ret2 = fd;
    if (r < 0) { /* the script sees the error; the socket is given back */
        fd_close(s, t->proc, (int)fd);
        t->ret2 = r;
    }
    return rc;
}

static int op_pair(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int pipe = in->op == OP_PIPE;
    /* the two lowest free fds, shown as strace shows the result array */
    int fa0 = world_fd_lowest(&s->w, t->proc), fb0 = fa0 + 1;
    while (world_fd_obj(&s->w, t->proc, fb0) >= 0)
        fb0++;
    sim_sys_enter(s, t, pipe ? SYS_PIPE2 : SYS_SOCKETPAIR, -1,
                  TL_FD_PAIR(fa0, fb0));
    int a, b;
    if (pipe) {
        a = sim_obj_new(s, OK_PIPE_R, s->p->pipebuf, 0, -1, t->proc);
        b = sim_obj_new(s, OK_PIPE_W, 0, 0, a, t->proc);
    } else {
        a = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, -1, t->proc);
        b = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, a, t->proc);
    }
    if (a < 0 || b < 0)
        return GO_FAIL;
    s->tl->objs[a].peer = b;
    int fa = sim_fd_open(s, t->proc, a);
    int fb = sim_fd_open(s, t->proc, b);
    t->ret2 = TL_FD_PAIR(fa, fb); /* the script's two results */
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int op_read(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), want = sim_arg(t, in, 1);
    int recv = in->op == OP_RECV;
    sim_sys_enter(s, t, recv ? SYS_RECVFROM : SYS_READ, fd, want);
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return bad_fd(s, t);
    const struct w_obj *wo = &s->w.objs[o];
    if (wo->kind == OK_PIPE_W || want < 0)
        return sim_sys_return(s, t, wo->kind == OK_PIPE_W ? -EBADF : -EINVAL,
                              s->p->cost.syscall);
    if (recv && wo->kind != OK_SOCKET && wo->kind != OK_LISTEN)
        return sim_sys_return(s, t, -ENOTSOCK, s->p->cost.syscall);
    if (wo->kind == OK_LISTEN || wo->kind == OK_EPOLL ||
        wo->kind == OK_URING)
        return sim_sys_return(s, t, wo->kind == OK_LISTEN ? -ENOTCONN : -EINVAL,
                              s->p->cost.syscall);
    if (wo->rx > 0 && want > 0) { /* phase two: copy from kernel to user */
        int64_t n = want < wo->rx ? want : wo->rx;
        int64_t ns = sim_copy_ns(s, n);
        sim_emit(s, EV_COPY, (int)(t - s->tasks), TC_TO_USER, o, n, ns);
        room_made(s, o);
        return sim_sys_return(s, t, n, sat_add(s->p->cost.syscall, ns));
    }
    if (wo->eof || want == 0)
        return sim_sys_return(s, t, 0, s->p->cost.syscall);
    if (wo->flags & TL_FL_NONBLOCK) /* no data: don't wait, say so */
        return sim_sys_return(s, t, -EAGAIN, s->p->cost.syscall);
    return sim_block(s, t, TW_DATA, o); /* phase one: wait for data */
}

static int op_write(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), want = sim_arg(t, in, 1);
    int send = in->op == OP_SEND;
    sim_sys_enter(s, t, send ? SYS_SENDTO : SYS_WRITE, fd, want);
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return bad_fd(s, t);
    const struct w_obj *wo = &s->w.objs[o];
    int peer = s->tl->objs[o].peer;
    int buf; /* the kernel buffer the bytes are copied into */
    int64_t cap;
    if (wo->kind == OK_TTY && !send) /* the terminal takes it all */
        return sim_sys_return(s, t, want < 0 ? -EINVAL : want,
                              sat_add(s->p->cost.syscall, sim_copy_ns(s, want)));
    if (wo->kind == OK_SOCKET) {
        if (peer < 0)
            return sim_sys_return(s, t, send ? -ENOTCONN : -EPIPE,
                                  s->p->cost.syscall);
        buf = o;
        cap = s->tl->objs[o].txcap;
    } else if (wo->kind == OK_PIPE_W && !send) {
        buf = peer;
        cap = s->tl->objs[peer].rxcap;
    } else {
        int e = send ? -ENOTSOCK : wo->kind == OK_PIPE_R ? -EBADF : -EINVAL;
        return sim_sys_return(s, t, e, s->p->cost.syscall);
    }
    if (s->objs[peer].freed || (wo->kind == OK_SOCKET && s->objs[o].fin_pending))
        return sim_sys_return(s, t, t->done ? t->done : -EPIPE,
                              s->p->cost.syscall);
    int64_t fill = buf == o ? s->w.objs[o].tx : s->w.objs[buf].rx;
    int64_t room = cap - fill, left = want - t->done;
    int64_t n = left < room ? left : room;
    int64_t ns = 0;
    if (n > 0) {
        ns = sim_copy_ns(s, n);
        sim_emit(s, EV_COPY, (int)(t - s->tasks), TC_TO_KERNEL, buf, n, ns);
        t->done += n;
        if (wo->kind == OK_SOCKET) {
            sim_schedule(s, sim_at(s, obj_latency(s, o)), AG_DELIVER, -1, o, peer, n);
        } else {
            sim_wake_obj(s, peer, TW_DATA);
            notify_readable(s, peer);
        }
    }
    if (t->done == want)
        return sim_sys_return(s, t, want, sat_add(s->p->cost.syscall, ns));
    if (wo->flags & TL_FL_NONBLOCK) /* full: take what fits, or EAGAIN */
        return sim_sys_return(s, t, t->done ? t->done : -EAGAIN,
                              sat_add(s->p->cost.syscall, ns));
    return sim_block(s, t, TW_SPACE, buf); /* full: the writer sleeps */
}

static int op_close(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    sim_sys_enter(s, t, SYS_CLOSE, fd, 0);
    if (sim_fd_obj(s, t, fd) < 0)
        return bad_fd(s, t);
    fd_close(s, t->proc, (int)fd);
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int op_fcntl(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    int first = (in->flags & TL_FL_ASYNC) ? 1 : 0;
    if (first && t->phase == 0) /* O_ASYNC needs an owner: F_SETOWN first */
        return sig_setown(s, t, in);
    int o = sim_fd_obj(s, t, fd);
    int acc = o < 0 ? 2 : s->w.objs[o].kind == OK_PIPE_R ? 0
                        : s->w.objs[o].kind == OK_PIPE_W ? 1 : 2;
    if (t->phase == first) {
        /* the idiom: fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | flag) */
        sim_sys_enter(s, t, SYS_FCNTL, fd, TL_F_GETFL);
        t->advance = 1;
        if (o < 0)
            return bad_fd(s, t);
        return sim_sys_return(s, t, tl_linux_flags(acc, s->w.objs[o].flags),
                              s->p->cost.syscall);
    }
    int fl = (o < 0 ? 0 : s->w.objs[o].flags) | in->flags;
    sim_sys_enter(s, t, SYS_FCNTL, fd, TL_F_SETFL(acc, fl));
    if (o < 0)
        return bad_fd(s, t);
    sim_emit(s, EV_FLAGS, t->proc, fl, o, fd, 0);
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int op_compute(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (!t->phase) {
        t->remain = sim_arg(t, in, 0);
        t->phase = 1;
    }
    if (t->remain <= 0) {
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
    int64_t slice = t->remain;
    if (!t->external && slice > s->p->quantum)
        slice = s->p->quantum;
    t->remain -= slice;
    t->busy_ns = slice;
    return GO_BUSY;
}

static int op_sleep(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t d = sim_arg(t, in, 0);
    if (!t->in_sys) {
        sim_sys_enter(s, t, SYS_CLOCK_NANOSLEEP, -1, d);
        if (d < 0)
            return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
        t->phase = 1;
        sim_schedule(s, sim_at(s, d), AG_TIMER, (int)(t - s->tasks), -1, 0, 0);
        return sim_block(s, t, TW_TIMER, -1);
    }
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int op_exit(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int code = (int)sim_arg(t, in, 0);
    int me = (int)(t - s->tasks);
    if (t->is_thread && t->pc == t->block_end - 1) { /* thread returns */
        sim_sys_enter(s, t, SYS_EXIT, -1, code);
        task_kill(s, t, code);
        wake_waiters_for(s, me);
        cpu_kick(s);
        return GO_EXITED;
    }
    sim_sys_enter(s, t, SYS_EXIT_GROUP, -1, code);
    process_exit(s, t, code);
    return GO_EXITED;
}

static int op_spawn(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int thread = in->op == OP_THREAD;
    sim_sys_enter(s, t, thread ? SYS_CLONE3 : SYS_CLONE, -1, 0);
    if (s->ntasks >= SIM_MAX_TASKS)
        return sim_fail(s, in, "more than %d tasks: this %s runs without end "
                        "(a fork bomb?); the limit keeps the timeline viewable",
                        SIM_MAX_TASKS, thread ? "thread creation" : "fork");
    char name[96];
    child_name(s, t, thread, name, sizeof name);
    int me = (int)(t - s->tasks);
    int kind = t->external ? TK_PEER : thread ? TK_THREAD : TK_PROCESS;
    /* a forked child's parent is the process (any of its threads may
     * wait for it); a thread's is the thread that made it */
    int c = task_new(s, name, kind, t->decl, thread ? me : t->proc,
                     thread ? t->proc : -1,
                     t->external);
    if (c < 0)
        return GO_FAIL;
    t = &s->tasks[me]; /* the task array may have moved */
    struct task *ch = &s->tasks[c];
    memcpy(ch->slots, t->slots,
           (size_t)(s->p->tasks[t->decl].nslots) * sizeof *ch->slots);
    ch->pc = t->pc + 1;
    if (in->dst >= 0)
        ch->slots[in->dst] = 0; /* fork() returns 0 in the child */
    ch->block_end = in->jump;
    ch->is_thread = (uint8_t)thread;
    if (thread) { /* the process's threads form a chain from its first */
        ch->next_thread = s->tasks[t->proc].next_thread;
        s->tasks[t->proc].next_thread = c;
    }
    if (!thread) { /* the child gets a copy of the fd table (emitting
                      events may move the world's arrays: index afresh) */
        for (int fd = 0; fd < s->w.procs[t->proc].nfds; fd++)
            if (s->w.procs[t->proc].fds[fd].obj >= 0)
                sim_emit(s, EV_FD_OPEN, c, 0, s->w.procs[t->proc].fds[fd].obj,
                         fd, 0);
    }
    if (ch->external) {
        emit_state(s, c, TS_RUNNING, -1, -1);
        sim_schedule(s, s->now, AG_RUN, c, -1, 0, -1);
    } else {
        emit_state(s, c, TS_READY, -1, 0);
        cpu_kick(s);
    }
    return sim_sys_return(s, t, ch->id,
                          sat_add(s->p->cost.syscall,
                                  thread ? s->p->cost.thread : s->p->cost.fork));
}

static int find_task_by_id(const struct sim *s, int64_t id)
{
    int64_t i = id - PID_BASE;
    return i >= 0 && i < s->ntasks ? (int)i : -1;
}

static int op_join(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t id = sim_arg(t, in, 0);
    int w = in->op == OP_WAIT;
    sim_sys_enter(s, t, w ? SYS_WAIT4 : SYS_FUTEX, id, 0);
    int me = (int)(t - s->tasks);
    if (!w) {
        int k = find_task_by_id(s, id);
        if (k == me) /* pthread_join(3): joining oneself */
            return sim_sys_return(s, t, -EDEADLK, s->p->cost.syscall);
        if (k < 0 || !s->tasks[k].is_thread || s->tasks[k].proc != t->proc)
            return sim_sys_return(s, t, -ESRCH, s->p->cost.syscall);
        if (s->tasks[k].exited)
            return sim_sys_return(s, t, 0, s->p->cost.syscall);
        t->waiting_for = k;
        return sim_block(s, t, TW_THREAD, -1);
    }
    int any = in->nargs == 0 || in->a[0].kind == ARG_NONE;
    int live = 0;
    for (int i = 0; i < s->ntasks; i++) {
        struct task *c = &s->tasks[i];
        if (c->parent != t->proc || c->is_thread || c->reaped)
            continue;
        if (!any && c->id != id)
            continue;
        if (c->exited) {
            c->reaped = 1;
            return sim_sys_return(s, t, c->id, s->p->cost.syscall);
        }
        live = 1;
    }
    if (!live)
        return sim_sys_return(s, t, -ECHILD, s->p->cost.syscall);
    return sim_block(s, t, TW_CHILD, -1);
}

static int op_say(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t i = in->a[0].v;
    int pc = t->pc;
    if (in->flags & 1) { /* say once: the first task to get here says it */
        if (s->said[pc / 8] & (1u << (pc % 8))) {
            t->pc++;
            return GO_NEXT;
        }
        s->said[pc / 8] |= (uint8_t)(1u << (pc % 8));
    }
    if (i < 0 || i >= s->p->nstrs)
        return sim_fail(s, in, "internal: no string %lld", (long long)i);
    int id = s->str_ids[i]; /* one timeline string per scenario string */
    if (id < 0)
        id = s->str_ids[i] = tl_add_str(s->tl, s->p->strs[i]);
    if (id < 0) {
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    sim_emit(s, EV_CAPTION, (int)(t - s->tasks), 0, -1, id, 0);
    t->pc++;
    return GO_NEXT;
}

static int cmp(int op, int64_t a, int64_t b)
{
    switch (op) {
    case CMP_EQ: return a == b;
    case CMP_NE: return a != b;
    case CMP_LT: return a < b;
    case CMP_LE: return a <= b;
    case CMP_GT: return a > b;
    default: return a >= b;
    }
}

static int op_flow(struct sim *s, struct task *t, const struct prog_ins *in)
{
    (void)s;
    switch (in->op) {
    case OP_SET:
        set_dst(t, in->dst, sim_arg(t, in, 0));
        t->pc++;
        break;
    case OP_ADD:
        set_dst(t, in->dst, sim_arg(t, in, 0) + sim_arg(t, in, 1));
        t->pc++;
        break;
    case OP_JMP:
        t->pc = in->jump;
        break;
    case OP_JIF:
        t->pc = cmp(in->flags, sim_arg(t, in, 0), sim_arg(t, in, 1)) ? t->pc + 1
                                                                     : in->jump;
        break;
    case OP_FOR_START:
        if (in->flags) /* for V in watched: every fd of the watch set */
            sim_set_ready(t, t->watch.fd, t->watch.n);
        t->ready_i = 0;
        /* fall through */
    case OP_FOR_NEXT:
        if (t->ready_i < t->nready) {
            set_dst(t, in->dst, t->ready[t->ready_i++]);
            t->pc = in->op == OP_FOR_START ? t->pc + 1 : in->jump;
        } else {
            t->pc = in->op == OP_FOR_START ? in->jump : t->pc + 1;
        }
        break;
    default:
        return sim_fail(s, in, "internal: unexpected operation %s",
                        prog_op_name(in->op));
    }
    return GO_NEXT;
}

static int op_end(struct sim *s, struct task *t, const struct prog_ins *in)
{
    return op_exit(s, t, in);
}

typedef int (*op_fn)(struct sim *, struct task *, const struct prog_ins *);

static op_fn op_table(int op)
{
    switch (op) {
    case OP_SOCKET: return op_socket;
    case OP_LISTEN: return op_listen;
    case OP_ACCEPT: return op_accept;
    case OP_CONNECT: return op_connect;
    case OP_PIPE: case OP_SOCKETPAIR: return op_pair;
    case OP_READ: case OP_RECV: return op_read;
    case OP_WRITE: case OP_SEND: return op_write;
    case OP_CLOSE: return op_close;
    case OP_FCNTL: return op_fcntl;
    case OP_COMPUTE: return op_compute;
    case OP_SLEEP: return op_sleep;
    case OP_EXIT: return op_exit;
    case OP_END: return op_end;
    case OP_FORK: case OP_THREAD: return op_spawn;
    case OP_JOIN: case OP_WAIT: return op_join;
    case OP_SAY: return op_say;
    default: return op_flow;
    }
}

/* ---- the interpreter -------------------------------------------------------------- */

/* Run t's script from its pc until it needs time, blocks or exits */
static void task_run(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    for (;;) {
        if (s->failed || s->stop)
            return;
        t = &s->tasks[me];
        if (t->loop_t != s->now) {
            t->loop_t = s->now;
            t->loop_n = 0;
        }
        if (t->pc < 0 || t->pc >= s->p->ncode) {
            sim_fail(s, NULL, "internal: task '%s' ran off its code",
                     s->tl->tasks[me].name);
            return;
        }
        const struct prog_ins *in = &s->p->code[t->pc];
        if (++t->loop_n > ZERO_TIME_LIMIT) {
            sim_fail(s, in, "task '%s' loops forever without using time: "
                     "put a compute, sleep or blocking call in the loop",
                     s->tl->tasks[me].name);
            return;
        }
        const struct mux_ops *mx = s->mux[in->op];
        int r = sig_due(t) ? sig_check(s, t, in) : -1; /* signals first */
        if (r < 0)
            r = mx ? mx->exec(s, t, in) : op_table(in->op)(s, t, in);
        t = &s->tasks[me];
        if (t->exited) /* the operation killed its own process */
            return;
        switch (r) {
        case GO_NEXT:
            continue;
        case GO_BUSY:
            if (t->busy_ns == 0 && (t->external || t->pend)) {
                if (t->pend)
                    sys_finish(s, t);
                if (t->busy_ns == 0 && !t->pend)
                    continue;
            }
            t->busy_until = sim_at(s, t->busy_ns);
            sim_schedule(s, t->busy_until, AG_STEP, me, -1, 0, 0);
            return;
        default:
            return;
        }
    }
}

/* A task's CPU work is done: finish its syscall, maybe yield the CPU */
static void task_step(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    if (t->pend)
        sys_finish(s, t);
    if (t->exited)
        return;
    const struct prog_ins *in = &s->p->code[t->pc];
    if (in->op == OP_COMPUTE && t->remain > 0 && !t->external &&
        sim_qlen(s, 0) > 0) {
        /* time slice used up and others are waiting: back of the queue */
        int waiting = 0;
        for (int i = 0; i < sim_qlen(s, 0); i++)
            if (s->tasks[s->w.queues[0].items[i]].reserved < 0)
                waiting = 1;
        if (waiting) {
            emit_state(s, me, TS_READY, -1, 0);
            cpu_release(s, t);
            cpu_kick(s);
            return;
        }
    }
    task_run(s, t);
}

/* ---- the loop --------------------------------------------------------------------- */

/* TCP_TIMEOUT_INIT and net.ipv4.tcp_syn_retries */
#define SYN_TIMEOUT 1000000000LL
#define SYN_RETRIES 6

static void on_syn(struct sim *s, int l, int client, int tries)
{
    struct sobj *lo = &s->objs[l];
    if (s->objs[client].freed)
        return; /* the connector gave up */
    if (lo->freed || lo->accept_q < 0) {
        /* no listener any more: the kernel answers with a reset */
        s->objs[client].connect_ret = -ECONNREFUSED;
        sim_schedule(s, sim_at(s, obj_latency(s, client)), AG_ESTABLISHED, -1,
                     client, 0, 0);
        return;
    }
    if (sim_qlen(s, lo->accept_q) + lo->handshakes > s->p->backlog) {
        /* accept queue full (backlog + 1 fit): Linux drops the SYN and the
         * client retransmits after 1 s, 2 s, 4 s ... then gives up */
        if (tries >= SYN_RETRIES) {
            s->objs[client].connect_ret = -ETIMEDOUT;
            sim_schedule(s, s->now, AG_ESTABLISHED, -1, client, 0, 0);
        } else {
            sim_schedule(s, sim_at(s, (SYN_TIMEOUT << tries)), AG_SYN, -1, l,
                         client, tries + 1);
        }
        return;
    }
    int owner = s->tl->objs[l].owner;
    int c = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, client, owner);
    lo = NULL; /* s->objs may have moved */
    if (c < 0)
        return;
    s->tl->objs[client].peer = c;
    s->tl->objs[c].port = s->tl->objs[l].port;
    s->objs[c].remote = s->objs[client].remote;
    /* SYN-ACK back to the client: its connect() returns; its ACK comes
     * back one latency later, and only then is the connection complete
     * and queued for accept() (tcp_check_req, inet_csk_complete_hashdance) */
    s->objs[client].connect_ret = 0;
    int64_t lat = obj_latency(s, client);
    sim_schedule(s, sim_at(s, lat), AG_ESTABLISHED, -1, client, 0, 0);
    sim_schedule(s, sim_at(s, sat_mul(2, lat)), AG_ACK, -1, l, c, 0);
    s->objs[l].handshakes++;
}

/* The client's final ACK reaches the listener: the connection is ready */
static void on_ack(struct sim *s, int l, int c)
{
    s->objs[l].handshakes--;
    if (s->objs[l].freed) { /* the listener went away meanwhile: reset */
        obj_release(s, c);
        return;
    }
    sim_emit(s, EV_QUEUE, TASK_NONE, TQ_PUSH, s->objs[l].accept_q, c, 0);
    wake_one(s, l, TW_CONNECTION);
    notify_readable(s, l);
}

static void dispatch(struct sim *s, const struct agenda *it)
{
    struct task *t = it->task >= 0 ? &s->tasks[it->task] : NULL;
    if (t && (it->gen != t->gen || t->exited)) {
        if (it->kind == AG_RUN && it->a >= 0 && t->reserved == it->a) {
            s->cpu_busy[it->a] = 0;
            t->reserved = -1;
            cpu_kick(s);
        }
        return; /* stale: the task was killed or woken otherwise */
    }
    switch (it->kind) {
    case AG_START:
        if (t->external) {
            emit_state(s, it->task, TS_RUNNING, -1, -1);
            task_run(s, t);
        } else {
            emit_state(s, it->task, TS_READY, -1, 0);
            cpu_kick(s);
        }
        break;
    case AG_RUN:
        do_run(s, t, (int)it->a);
        break;
    case AG_STEP:
        task_step(s, t);
        break;
    case AG_TIMER:
        sim_wake(s, t);
        break;
    case AG_DELIVER: {
        int src = it->obj, dst = it->obj2;
        if (it->a < 0) { /* FIN */
            s->objs[src].fin_pending = 1;
            deliver(s, src, dst);
            break;
        }
        s->objs[src].stalled += it->a;
        deliver(s, src, dst);
        break;
    }
    case AG_ACK:
        on_ack(s, it->obj, it->obj2);
        break;
    case AG_SYN:
        on_syn(s, it->obj, it->obj2, (int)it->a);
        break;
    case AG_ESTABLISHED:
        sim_wake_obj(s, it->obj, TW_CONNECT);
        break;
    case AG_CAPTION: {
        int id = tl_add_str(s->tl, s->p->captions[it->a].text);
        if (id < 0)
            s->failed = -ENOMEM;
        else
            sim_emit(s, EV_CAPTION, TASK_NONE, 0, -1, id, 0);
        break;
    }
    }
}

static int setup(struct sim *s)
{
    struct tl *tl = s->tl;
    tl->ncpus = s->p->ncpus;
    if (tl_set_str(&tl->title, s->p->title ? s->p->title : s->p->path) ||
        tl_set_str(&tl->source, s->p->path) ||
        tl_set_str(&tl->model, s->p->model ? s->p->model : "blocking"))
        return -ENOMEM;
    s->script = tl_add_script(tl, s->p->path, s->p->lines, s->p->nlines);
    if (s->script < 0 || world_init(&s->w, s->p->ncpus))
        return -ENOMEM;
    for (int i = 0; i < s->p->nscripts; i++) /* right after: s->script + 1 + i */
        if (tl_add_script(tl, s->p->scripts[i].title, s->p->scripts[i].lines,
                          s->p->scripts[i].nlines) != s->script + 1 + i)
            return -ENOMEM;
    s->cpu_last = malloc((size_t)s->p->ncpus * sizeof *s->cpu_last);
    s->cpu_busy = calloc((size_t)s->p->ncpus, 1);
    s->decl_children = calloc((size_t)s->p->ntasks + 1, sizeof(int));
    s->said = calloc((size_t)s->p->ncode / 8 + 1, 1);
    s->str_ids = malloc(((size_t)s->p->nstrs + 1) * sizeof *s->str_ids);
    if (!s->str_ids)
        return -ENOMEM;
    for (int i = 0; i < s->p->nstrs; i++)
        s->str_ids[i] = -1;
    if (!s->cpu_last || !s->cpu_busy || !s->decl_children || !s->said)
        return -ENOMEM;
    for (int i = 0; i < s->p->ncpus; i++)
        s->cpu_last[i] = -1;
    for (int i = 0; i < NMUX; i++)
        for (int k = 0; k < 4 && muxes[i]->ops[k] != OP__COUNT; k++)
            s->mux[muxes[i]->ops[k]] = muxes[i];
    s->tty = sim_obj_new(s, OK_TTY, 0, 0, -1, -1);
    for (int c = 0; c < s->p->ncaptions; c++)
        sim_schedule(s, s->p->captions[c].t, AG_CAPTION, -1, -1, 0, c);
    for (int d = 0; d < s->p->ntasks && !s->failed; d++) {
        const struct prog_task *pt = &s->p->tasks[d];
        int peer = pt->kind == DECL_PEER;
        for (int k = 0; k < pt->count && !s->failed; k++) {
            char name[96];
            if (pt->count > 1)
                snprintf(name, sizeof name, "%s%d", pt->name, k + 1);
            else
                snprintf(name, sizeof name, "%s", pt->name);
            int id = task_new(s, name, peer ? TK_PEER : TK_PROCESS, d, -1, -1,
                              peer);
            if (id < 0)
                return -ENOMEM;
            give_stdio(s, id);
            sim_schedule(s, sat_add(pt->start, sat_mul(k, pt->every)), AG_START, id, -1, 0, 0);
        }
    }
    return s->failed;
}

static void sim_free(struct sim *s)
{
    for (int i = 0; i < s->ntasks; i++) {
        free(s->tasks[i].slots);
        free(s->tasks[i].ready);
        free(s->tasks[i].watch.fd);
        free(s->tasks[i].watch.pos);
    }
    for (int i = 0; i < s->nobjs; i++) {
        free(s->objs[i].mux);
        free(s->objs[i].sleepers.v);
        free(s->objs[i].epitems.v);
    }
    free(s->tasks);
    free(s->objs);
    free(s->ls);
    free(s->h.v);
    free(s->cpu_last);
    free(s->cpu_busy);
    free(s->decl_children);
    free(s->said);
    free(s->str_ids);
    world_free(&s->w);
}

/* Say why the run ended when tasks are still waiting (a stall is a lesson) */
static void note_stuck(struct sim *s)
{
    int stuck = 0, first = -1;
    for (int i = 0; i < s->ntasks; i++)
        if (!s->tasks[i].external && s->w.tasks[i].state == TS_BLOCKED) {
            if (first < 0)
                first = i;
            stuck++;
        }
    if (!stuck || s->tl->note)
        return;
    char msg[256];
    const struct w_task *k = &s->w.tasks[first];
    snprintf(msg, sizeof msg,
             "nothing more can happen: %d task%s still blocked (%s in %s(), "
             "waiting for %s)",
             stuck, stuck > 1 ? "s" : "", s->tl->tasks[first].name,
             k->sys >= 0 ? tl_sys_name(k->sys) : "?", tl_wait_name(k->wait));
    tl_set_str(&s->tl->note, msg);
}

struct tl *sim_run(const struct prog *p, const struct sim_opts *o, char *err,
                   size_t errlen)
{
    struct sim s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.o = o;
    s.err = err;
    s.errlen = errlen;
    s.max_events = o && o->max_events > 0 ? o->max_events : p->max_events;
    if (s.max_events <= 0)
        s.max_events = 5000000;
    s.tl = tl_new();
    if (!s.tl || setup(&s)) {
        if (!s.failed || s.failed == -ENOMEM)
            snprintf(err, errlen, "%s: error: out of memory", p->path);
        goto fail;
    }
    while (s.h.n > 0 && !s.failed && !s.stop) {
        struct agenda it;
        heap_pop(&s.h, &it);
        if (it.t > p->limit) {
            s.tl->truncated = 1;
            char msg[96];
            snprintf(msg, sizeof msg, "stopped at the time limit (machine `limit`)");
            tl_set_str(&s.tl->note, msg);
            break;
        }
        s.now = it.t;
        dispatch(&s, &it);
    }
    if (s.failed) {
        if (s.failed == -ENOMEM)
            snprintf(err, errlen, "%s: error: out of memory", p->path);
        goto fail;
    }
    note_stuck(&s);
    tl_shrink(s.tl);
    sim_free(&s);
    return s.tl;
fail:
    sim_free(&s);
    tl_free(s.tl);
    return NULL;
}
