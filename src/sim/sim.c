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
 *   AG_TIMER        a sleep ends, or a wait's timeout expires;
 *   AG_TIMERFD      a timerfd's timer expires: the fd becomes readable;
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
#include "tl/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZERO_TIME_LIMIT 1000000L

/* ---- agenda (agenda.c) ------------------------------------------------- */

void sim_schedule(struct sim *s, int64_t t, int kind, int task, int obj,
                  int obj2, int64_t a)
{
    struct agenda it = {.t = t, .kind = kind, .task = task,
                        .obj = obj, .obj2 = obj2, .a = a};
    if (task >= 0)
        it.gen = s->tasks[task].gen;
    int rc = ag_push(&s->ag, &it, s->now);
    if (rc == -E2BIG)
        sim_stop(s, "stopped with %u timed items pending, the most the "
                 "agenda holds", (unsigned)ag_pending(&s->ag));
    else if (rc)
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

/* ---- the budget ------------------------------------------------------------
 *
 * No scenario may keep a class waiting or eat the machine, so every run has
 * a budget besides its virtual time and events: steps (instructions run and
 * agenda items taken, which a loop of tiny computes spends without emitting
 * anything), memory (the timeline, the world and the engine's tables,
 * estimated from their capacities), and the simulator's own CPU time (for
 * work the other two do not see, such as one step scanning a huge set).
 * Steps and memory are counted, not measured, so the point where a run
 * stops is the same on every machine; only the CPU limit depends on the
 * machine, and it is set far above what the default steps take.
 */

void sim_stop(struct sim *s, const char *fmt, ...)
{
    if (s->stop)
        return;
    s->stop = 1;
    s->tl->truncated = 1;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (tl_set_str(&s->tl->note, msg))
        s->failed = -ENOMEM;
}

/* One-entry arrays by (kind, fd, events): the id of one string with
 * that text.  An epoll server's epoll_wait mostly returns one event, and
 * of a few thousand fds: wording it and hashing the text was a tenth of
 * its run.  Direct-mapped; a miss words the text as before. */
#define FDEV_MEMO 4096
struct fdev_memo {
    const char *text; /* the one copy of the text (tl_add_str) */
    int32_t fd, id;   /* id: the string's, -1 none */
    uint32_t ev;
    uint16_t kind, len; /* len: strlen of the text */
};

/* Bytes held by the timeline, the world and the engine, from capacities */
static int64_t budget_mem(const struct sim *s)
{
    const struct tl *tl = s->tl;
    const struct world *w = &s->w;
    /* events: the count, not the capacity (its untouched tail costs no
     * memory); the rest by capacity, which bounds it from above */
    int64_t b = (int64_t)tl->nev * (int64_t)sizeof *tl->ev;
    b += (int64_t)tl->taskcap * (int64_t)(sizeof *tl->tasks + 32);
    b += (int64_t)tl->objcap * (int64_t)sizeof *tl->objs;
    /* a name, an items array: a malloc'd block each, 16 bytes of malloc's
     * own on top (glibc) */
    b += (int64_t)tl->queuecap * (int64_t)(sizeof *tl->queues + 48);
    b += (int64_t)tl->strcap * (int64_t)sizeof *tl->strs + tl->strowncap;
    b += (int64_t)w->taskcap * (int64_t)(sizeof *w->tasks + sizeof *w->procs);
    b += (int64_t)w->objcap * (int64_t)sizeof *w->objs;
    b += (int64_t)w->queuecap * (int64_t)sizeof *w->queues;
    for (int i = 0; i < w->ntasks; i++)
        b += (int64_t)w->procs[i].cap * (int64_t)sizeof(struct w_fd);
    for (int i = 0; i < w->nqueues; i++) /* the queues' items (every
                                            CPU's run queue among them) */
        if (w->queues[i].cap)
            b += (int64_t)w->queues[i].cap * 8 + 16;
    b += (int64_t)s->taskcap * (int64_t)sizeof *s->tasks;
    b += (int64_t)s->objcap * (int64_t)sizeof *s->objs;
    b += (int64_t)ag_bytes(&s->ag);
    if (s->fdev_memo)
        b += FDEV_MEMO * (int64_t)sizeof *s->fdev_memo;
    for (int i = 0; i < s->ntasks; i++) {
        const struct task *t = &s->tasks[i];
        int64_t nslots = s->p->tasks[t->decl].nslots;
        b += nslots * (int64_t)sizeof *t->slots;
        if (t->mem && t->proc == i) /* the process's shared words */
            b += nslots * (int64_t)sizeof *t->mem;
        if (t->watch)
            b += (int64_t)t->watch->cap * 4 + (int64_t)t->watch->poscap * 4;
        b += (int64_t)t->readycap * 4;
    }
    /* left out: the objects' lists of sleepers and epoll items, whose
     * entries are bounded by the watch sets and interest lists counted */
    return b;
}

/* What the run holds at its end, when it holds the most (make bench's
 * memory.counted): as budget_mem, but the engine's arrays of tasks and
 * objects by their rows in use (their doubling's tail is never touched),
 * with malloc's headers */
static size_t held_bytes(const struct sim *s)
{
    size_t b = tl_bytes(s->tl) + world_bytes(&s->w) + ag_bytes(&s->ag) +
               (s->fdev_memo ? tl_malloc_bytes(FDEV_MEMO * sizeof *s->fdev_memo)
                             : 0) +
               (size_t)s->ntasks * sizeof *s->tasks +
               (size_t)s->nobjs * sizeof *s->objs;
    for (int i = 0; i < s->ntasks; i++) {
        const struct task *t = &s->tasks[i];
        size_t nslots = (size_t)s->p->tasks[t->decl].nslots;
        b += tl_malloc_bytes((nslots ? nslots : 1) * sizeof *t->slots);
        if (t->mem && t->proc == i)
            b += tl_malloc_bytes(nslots * sizeof *t->mem);
        b += tl_malloc_bytes((size_t)t->readycap * 4);
        if (t->watch)
            b += tl_malloc_bytes(sizeof *t->watch) +
                 tl_malloc_bytes((size_t)t->watch->cap * 5) +
                 tl_malloc_bytes((size_t)t->watch->poscap * 4);
        if (t->sig)
            b += tl_malloc_bytes(sizeof *t->sig);
    }
    for (int i = 0; i < s->nobjs; i++) /* the lists of sleepers and items */
        b += tl_malloc_bytes((size_t)s->objs[i].sleepers.cap * sizeof(struct watch_ent)) +
             tl_malloc_bytes((size_t)s->objs[i].epitems.cap * sizeof(struct watch_ent));
    return b;
}

static int64_t budget_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void budget_mem_stop(struct sim *s, int64_t held)
{
    sim_stop(s, "stopped at the memory limit: the timeline, tasks and "
             "variables would take up to %lld MiB, more than %lld MiB (the "
             "limit set by `memory` in the machine block, or by --memory)",
             (long long)((held + (1 << 20) - 1) >> 20),
             (long long)(s->max_mem >> 20));
}

/* Estimate the memory again.  The next estimate comes after 32 times as
 * many events as this one visited tasks (a visit is a few cache misses
 * in a task's struct: with 10,000 tasks, a check every tasks events took
 * 4% of a run, every 8 x tasks 1.9%), or sooner near the limit: an event
 * rarely adds 512 bytes (a new object, a new queue). */
static void budget_check(struct sim *s)
{
    s->mem_seen = budget_mem(s);
    s->mem_vars = 0;
    if (s->mem_seen > s->max_mem) {
        budget_mem_stop(s, s->mem_seen);
        return;
    }
    int64_t visited = (int64_t)s->ntasks + s->w.ntasks;
    int64_t gap = 32 * visited > 65536 ? 32 * visited : 65536;
    int64_t room = (s->max_mem - s->mem_seen) / 512;
    if (gap > room)
        gap = room > 4096 ? room : 4096;
    s->mem_next = s->tl->nev + (size_t)gap;
}

int sim_charge(struct sim *s, int64_t bytes)
{
    if (s->mem_seen + s->mem_vars + bytes > s->max_mem) {
        budget_check(s); /* the estimate may have gone down */
        if (!s->stop && s->mem_seen + bytes > s->max_mem)
            budget_mem_stop(s, s->mem_seen + bytes);
        if (s->stop)
            return -1;
    }
    s->mem_vars += bytes;
    return 0;
}

/* The step count reached the limit, or a multiple of 4096 */
static void budget_step_check(struct sim *s)
{
    if (s->steps >= s->max_steps) {
        sim_stop(s, "stopped after %llu steps of the simulator (instructions "
                 "and timed items; the limit set by `steps` in the machine "
                 "block, or by --steps): a loop of very short computes or "
                 "sleeps spends them fast", (unsigned long long)s->max_steps);
        return;
    }
    if ((s->steps & 4095) == 0 &&
        budget_cpu_ns() - s->cpu_start_ns > s->cpu_limit_ns)
        sim_stop(s, "stopped after %lld s of the simulator's own CPU time "
                 "(the limit set by --cpu-limit)",
                 (long long)(s->cpu_limit_ns / 1000000000));
}

/* One step of work: an instruction run or an agenda item taken */
static inline void budget_step(struct sim *s)
{
    if (++s->steps >= s->max_steps || (s->steps & 4095) == 0)
        budget_step_check(s);
}

/* What follows an event only now and then: the caller's hook, the events
 * limit, the memory estimate (sim_emit calls it when s->emit_next is
 * reached, or on every event while there is a hook) */
static void emit_rare(struct sim *s)
{
    if (s->o && s->o->on_event)
        s->o->on_event(s->o->ctx, &s->w);
    if ((long)s->tl->nev >= s->max_events && !s->stop)
        sim_stop(s, "stopped after %ld events (the limit set by `events` in "
                 "the machine block, or by --events)", s->max_events);
    if (s->tl->nev >= s->mem_next)
        budget_check(s);
    s->emit_next = s->o && s->o->on_event ? 0
                   : s->mem_next < (size_t)s->max_events ? s->mem_next
                                                         : (size_t)s->max_events;
}

long sim_emit(struct sim *s, int type, int task, int sub, int obj, int64_t a,
              int64_t b)
{
    if (s->failed)
        return -1;
    int line = 0; /* the script line the task is at */
    if ((unsigned)task < (unsigned)s->ntasks) {
        int pc = s->tasks[task].pc;
        if ((unsigned)pc < (unsigned)s->p->ncode)
            line = s->p->code[pc].line;
    }
    union tl_ev_words e = tl_ev_make(s->now, /* <= the limit <= TL_T_MAX */
                                     line <= TL_LINE_MAX ? (unsigned)line : 0,
                                     a, b, obj,
                                     task < 0 ? TL_NOTASK : (unsigned)task,
                                     (unsigned)type, (unsigned)sub);
    long idx = tl_push_words(s->tl, &e);
    /* the world reads the event where it now is: its words were just
       stored whole, so the reads of its fields take them from there */
    if (idx < 0 || world_apply(&s->w, s->tl, &s->tl->ev[idx])) {
        s->failed = -ENOMEM;
        return -1;
    }
    if (s->tl->nev >= s->emit_next)
        emit_rare(s);
    return idx;
}

void sim_emit_state(struct sim *s, int task, int state, int obj, int64_t a)
{
    sim_emit(s, EV_STATE, task, state, obj, a, 0);
}

/* ---- small helpers -------------------------------------------------------- */

void sim_set_dst(struct sim *s, struct task *t, int slot, int64_t v)
{
    if (slot < 0)
        return;
    *sim_slot(t, slot) = v;
    if (sim_slot_shared(t, slot)) /* a word of the process's memory */
        sim_emit(s, EV_MEM, (int)(t - s->tasks), TM_STORE, t->mem[slot].q, v,
                 0);
}






static void sim_set_ready(struct task *t, const int32_t *fds, int n)
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

/* ---- waiting and waking ----------------------------------------------------- */

void sim_waiter_unlink(struct sim *s, struct task *t)
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


void sim_cpu_release(struct sim *s, struct task *t)
{
    if (t->cpu >= 0) {
        sched_off(s, t);
        s->cpu_busy[t->cpu] = 0;
        t->cpu = -1;
    }
}

int sim_block(struct sim *s, struct task *t, int w, int obj)
{
    int me = (int)(t - s->tasks);
    if (w != TW_THREAD && t->sig && (t->sig->pending & ~t->sig->blocked)) {
        /* a signal came while the task was in the kernel: like Linux's
         * signal_pending() check before schedule(), don't sleep; the call
         * ends as interrupted (sig_check) and the handler runs */
        t->sig->intr = 1;
        t->gen++; /* whatever was set up to wake this sleep is void */
        return GO_NEXT;
    }
    if (!t->external)
        sched_sleep(s, t);
    sim_emit_state(s, me, TS_BLOCKED, obj, w);
    t->wait_obj = -1;
    if (obj >= 0) {
        t->wait_obj = obj;
        t->wq_seq = ++s->wq_seq; /* an exclusive waiter queues at the tail */
        t->next_waiter = s->objs[obj].first_waiter;
        s->objs[obj].first_waiter = me;
    }
    sim_cpu_release(s, t);
    sim_cpu_kick(s);
    return GO_BLOCKED;
}

void sim_wake(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    if (s->w.tasks[me].state != TS_BLOCKED)
        return;
    sim_waiter_unlink(s, t);
    t->gen++;
    if (t->external) {
        sim_emit_state(s, me, TS_RUNNING, -1, -1);
        sim_schedule(s, s->now, AG_RUN, me, -1, 0, -1);
        return;
    }
    sched_ready(s, t, 0);
}

/* accept() sleeps exclusively: a new connection wakes one acceptor only
 * (inet_csk_wait_for_connect uses prepare_to_wait_exclusive), so forked
 * acceptors do not stampede. The waiter list is LIFO; wake the oldest. */
void sim_wake_one(struct sim *s, int obj, int w)
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

/* Give every idle CPU the ready task EEVDF picks (sched.c), among those
 * not already being switched in */
void sim_cpu_kick(struct sim *s)
{
    for (int c = 0; c < s->p->ncpus; c++) {
        if (s->cpu_busy[c])
            continue;
        int pick = sched_pick(s, c);
        if (pick == TASK_NONE)
            continue;
        struct task *t = &s->tasks[pick];
        s->cpu_busy[c] = 1;
        t->reserved = c;
        /* no switch if the CPU last ran this kernel thread (maybe as
         * another of its coroutines) */
        int64_t sw = sim_kthread(s, s->cpu_last[c]) == sim_kthread(s, pick)
                         ? 0 : s->p->cost.ctx_switch;
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
        sched_on(s, t);
        sched_picked(s, t);
        sim_emit_state(s, me, TS_RUNNING, -1, cpu);
    }
    task_run(s, t);
}

/* ---- syscalls ---------------------------------------------------------------- */

static void sys_enter(struct sim *s, struct task *t, int sys, int64_t fd,
                      int64_t arg, int64_t b)
{
    if (t->gil) /* CPython lets the GIL go around every syscall */
        gil_release(s, t);
    t->in_sys = 1;
    t->sys = sys;
    t->sys_fd = (int32_t)fd;
    t->sys_t = s->now;
    t->tmo_at = -1;
    t->tmo_fired = 0;
    sim_emit(s, EV_SYS_ENTER, (int)(t - s->tasks), sys, (int32_t)fd, arg, b);
}

void sim_sys_enter(struct sim *s, struct task *t, int sys, int64_t fd,
                   int64_t arg)
{
    if (!t->in_sys)
        sys_enter(s, t, sys, fd, arg, 0);
}

void sim_sys_enter_args(struct sim *s, struct task *t, int sys, int64_t fd,
                        int64_t arg, const char *args)
{
    if (t->in_sys)
        return;
    int id = tl_add_str(s->tl, args);
    if (id < 0)
        s->failed = -ENOMEM;
    sys_enter(s, t, sys, fd, arg, id < 0 ? 0 : (int64_t)id + 1);
}

#define SLACK_MAX 100000000LL /* MAX_SLACK in fs/select.c: 100 ms */

void sim_sys_enter_wait(struct sim *s, struct task *t, int sys, int64_t fd,
                        int64_t arg, int64_t tmo, int slack)
{
    if (t->in_sys)
        return;
    sys_enter(s, t, sys, fd, arg, tmo >= 0 ? TL_TMO(tmo) : 0);
    if (tmo < 0)
        return;
    int64_t sl = 0;
    if (slack && tmo > 0) { /* select_estimate_accuracy() */
        sl = tmo / 1000 < SLACK_MAX ? tmo / 1000 : SLACK_MAX;
        if (sl < s->p->cost.timer_slack)
            sl = s->p->cost.timer_slack;
    }
    t->tmo_end = sim_at(s, tmo);
    t->tmo_at = sat_add(t->tmo_end, sl);
}

int64_t sim_timeout_arg(const struct task *t, const struct prog_ins *in,
                        int i, int64_t unit)
{
    if (i >= in->nargs || in->a[i].kind == ARG_NONE)
        return -1;
    int64_t v = sim_arg(t, in, i);
    if (v <= 0 || unit <= 1)
        return v;
    int64_t n = v / unit + (v % unit != 0);
    return sat_mul(n, unit);
}

int sim_block_timed(struct sim *s, struct task *t, int w, int obj)
{
    if (t->tmo_at >= 0) /* stale once anything else wakes the task */
        sim_schedule(s, t->tmo_at, AG_TIMER, (int)(t - s->tasks), -1, 0, 1);
    return sim_block(s, t, w, obj);
}

int sim_call_str(struct sim *s, struct task *t, int which, const char *text)
{
    int last = t->sel_str[which] - 1;
    if (last >= 0 && last < s->tl->nstrs && !strcmp(s->tl->strs[last], text))
        return last;
    if (sim_charge(s, (int64_t)strlen(text) + 1))
        return -1;
    int id = tl_add_str(s->tl, text);
    if (id < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    t->sel_str[which] = id + 1;
    return id;
}

int sim_fdev_str(struct sim *s, struct task *t, int which, int kind,
                 const int32_t *fd, const uint32_t *ev, int n, int64_t total)
{
    struct fdev_memo *m = NULL;
    if (n == 1 && total == 1) {
        if (!s->fdev_memo) {
            s->fdev_memo = malloc(FDEV_MEMO * sizeof *s->fdev_memo);
            if (!s->fdev_memo) {
                s->failed = -ENOMEM;
                return -1;
            }
            for (int i = 0; i < FDEV_MEMO; i++)
                s->fdev_memo[i].id = -1;
        }
        uint32_t h = ((uint32_t)fd[0] * 0x9E3779B1u) ^ (ev[0] * 0x85EBCA77u) ^
                     (uint32_t)kind;
        m = &s->fdev_memo[(h ^ (h >> 15)) & (FDEV_MEMO - 1)];
        if (m->id >= 0 && m->fd == fd[0] && m->ev == ev[0] && m->kind == kind) {
            /* what sim_call_str does with the same text: equal texts are
               one copy (tl_add_str), so the pointers say it */
            const char *text = m->text;
            int last = t->sel_str[which] - 1;
            if (last >= 0 && last < s->tl->nstrs && s->tl->strs[last] == text)
                return last;
            if (sim_charge(s, (int64_t)m->len + 1))
                return -1;
            int id = tl_add_str_again(s->tl, m->id);
            if (id < 0) {
                s->failed = -ENOMEM;
                return -1;
            }
            t->sel_str[which] = id + 1;
            return id;
        }
    }
    char text[TL_TEXT_MAX];
    tl_fdev_text(text, sizeof text, kind, fd, ev, n, total);
    int id = sim_call_str(s, t, which, text);
    if (m && id >= 0) {
        size_t len = strlen(text);
        *m = (struct fdev_memo){.text = s->tl->strs[id], .fd = fd[0],
                                .id = id, .ev = ev[0],
                                .kind = (uint16_t)kind,
                                .len = (uint16_t)(len < 65535 ? len : 65535)};
    }
    return id;
}

int64_t sim_arg_copy(struct sim *s, int task, int sys, int dir, int64_t bytes)
{
    int64_t ns = sim_copy_ns(s, bytes);
    sim_emit(s, EV_ARGCOPY, task, dir, sys, bytes, ns);
    return ns;
}

int sim_sys_return(struct sim *s, struct task *t, int64_t ret, int64_t kernel_ns)
{
    (void)s;
    t->ret = ret;
    t->pend = 1;
    t->busy_ns = t->external ? 0 : kernel_ns;
    return GO_BUSY;
}

/* The kernel part of the syscall is over: return to user space.  1 if
 * the task handed its thread to gevent's hub (a patched call would have
 * blocked) and must not run on, else 0 */
static int sys_finish(struct sim *s, struct task *t)
{
    if (t->exited)
        return 0;
    const struct prog_ins *in = &s->p->code[t->pc];
    t->pend = 0;
    t->in_sys = 0;
    /* a call cut short by a signal shows what strace shows: the kernel's
     * -ERESTART... code; the program sees EINTR once the handler is done */
    struct tsig *g = t->sig;
    int64_t shown = g && g->restart ? g->restart_ret : t->ret;
    if (g)
        g->restart = 0;
    sim_emit(s, EV_SYSCALL, (int)(t - s->tasks), t->sys, t->sys_fd, shown,
             s->now - t->sys_t);
    if (g && g->again) { /* SA_RESTART: the same call again after the
                           handler; nothing is stored, pc stays */
        g->again = 0;
        t->advance = 0;
        return 0;
    }
    if (s->tasks[t->proc].hub && hub_would_block(s, t, in))
        return 1; /* in the hub's hands; the call is made again later */
    if (t->advance || in->op == OP_START) { /* an operation made of
                                                several syscalls (mp.c
                                                finishes a start itself) */
        t->advance = 0;
        t->phase++;
        if (in->op == OP_START)
            t->done = 0;
        return 0;
    }
    if (in->op == OP_CONNECT || in->op == OP_GETSOCKOPT ||
        (t->phase > 0 && (in->op == OP_SOCKET || in->op == OP_ACCEPT))) {
        /* ... and a patched socket or accept's, after its ioctl */
        /* the script gets the fd (the option's value), or -errno */
        sim_set_dst(s, t, in->dst, t->ret < 0 ? t->ret : t->ret2);
    } else {
        sim_set_dst(s, t, in->dst, t->ret);
        if (in->op == OP_GETEVENT) { /* kind, value = getevent */
            sim_set_dst(s, t, in->dst, t->ret < 0 ? t->ret
                        : PROG_KIND((int)(t->ret2 >> 32)));
            sim_set_dst(s, t, in->dst2, t->ret < 0 ? 0
                        : (int64_t)(int32_t)(t->ret2 & 0xffffffff));
        }
        if (in->op == OP_WAIT) /* pid, status = wait */
            sim_set_dst(s, t, in->dst2, t->ret < 0 ? t->ret : t->ret2);
        if (in->op == OP_PIPE || in->op == OP_SOCKETPAIR ||
            in->op == OP_MP_PIPE) {
            sim_set_dst(s, t, in->dst, t->ret < 0 ? t->ret : TL_FD_PAIR_A(t->ret2));
            sim_set_dst(s, t, in->dst2, t->ret < 0 ? t->ret : TL_FD_PAIR_B(t->ret2));
        }
    }
    t->phase = 0;
    t->done = 0;
    /* fork and thread: the parent goes on after the child's block */
    t->pc = in->op == OP_FORK || in->op == OP_THREAD ? in->jump : t->pc + 1;
    return 0;
}

/* ---- buffers: bytes travel, land, are copied ----------------------------------- */

/* The I/O models, each in its own file */
static const struct mux_ops *const muxes[] = {
    &mux_io_ops, &mux_proc_ops, &mux_scan_ops, &mux_select_ops, &mux_poll_ops,
    &mux_epoll_ops, &mux_sigio_ops, &mux_uring_ops, &mux_mem_ops,
    &mux_timerfd_ops, &mux_coro_ops, &mux_msg_ops, &mux_mpq_ops, &mux_hub_ops,
    &mux_mp_ops, &mux_mgr_ops, &mux_fsrv_ops,
    &mux_evloop_ops,
};
#define NMUX ((int)(sizeof muxes / sizeof muxes[0]))

/* obj is about to be freed: models drop what refers to it */
void sim_notify_release(struct sim *s, int obj)
{
    for (int i = 0; i < NMUX; i++)
        if (muxes[i]->release)
            muxes[i]->release(s, obj);
}

/* room was made for obj's writers: models that watch for it are told */
void sim_notify_writable(struct sim *s, int obj)
{
    sim_wake_queue(s, obj, TL_EP_OUT, -1, TW_NOTHING);
}

void sim_wake_queue(struct sim *s, int obj, unsigned ev, int wobj, int w)
{
    for (int i = 0; i < s->nwatch; i++) { /* the ordinary entries: every
                                              one */
        const struct mux_ops *m = s->watch[i];
        if ((ev & TL_EP_IN) && m->readable)
            m->readable(s, obj);
        if ((ev & TL_EP_OUT) && m->writable)
            m->writable(s, obj);
    }
    /* the exclusive ones, oldest first: the first task asleep in w (it
     * always wakes), unless an exclusive epoll item queued before it
     * finds a task to wake first */
    int32_t pick = TASK_NONE;
    uint64_t before = UINT64_MAX;
    if (wobj >= 0 && w != TW_NOTHING)
        for (int32_t i = s->objs[wobj].first_waiter; i != TASK_NONE;
             i = s->tasks[i].next_waiter)
            if (s->w.tasks[i].wait == w && s->tasks[i].wq_seq < before) {
                pick = i;
                before = s->tasks[i].wq_seq;
            }
    for (int i = 0; i < s->nexcl; i++)
        if (s->excl[i]->exclusive(s, obj, ev, before))
            return;
    if (pick != TASK_NONE)
        sim_wake(s, &s->tasks[pick]);
}

/* obj became readable: models that watch it put it on their ready lists */
void sim_notify_readable(struct sim *s, int obj)
{
    sim_wake_queue(s, obj, TL_EP_IN, -1, TW_NOTHING);
}





/* ---- processes -------------------------------------------------------------------- */








/* ---- the operations ---------------------------------------------------------------- */



















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
    case OP_ADD:
        sim_set_dst(s, t, in->dst, sim_arg(t, in, 0) + sim_arg(t, in, 1));
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
            sim_set_ready(t, t->watch ? t->watch->fd : NULL,
                          t->watch ? t->watch->n : 0);
        t->ready_i = 0;
        /* fall through */
    case OP_FOR_NEXT:
        if (t->ready_i < t->nready) {
            sim_set_dst(s, t, in->dst, t->ready[t->ready_i++]);
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
        budget_step(s);
        if (s->stop)
            return;
        if (++t->loop_n > ZERO_TIME_LIMIT) {
            sim_fail(s, in, "task '%s' loops forever without using time: "
                     "put a compute, sleep or blocking call in the loop",
                     s->tl->tasks[me].name);
            return;
        }
        const struct mux_ops *mx = s->mux[in->op];
        t->user_run = 0;
        int r = sig_due(t) ? sig_check(s, t, in) : -1; /* signals first */
        if (r < 0)
            r = mx ? mx->exec(s, t, in) : op_flow(s, t, in);
        t = &s->tasks[me];
        if (t->exited) /* the operation killed its own process */
            return;
        switch (r) {
        case GO_NEXT:
            continue;
        case GO_BUSY:
            if (t->busy_ns == 0 && (t->external || t->pend)) {
                if (t->pend && sys_finish(s, t))
                    return;
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
    if (t->pend && sys_finish(s, t))
        return;
    if (t->exited)
        return;
    const struct prog_ins *in = &s->p->code[t->pc];
    /* back in user space: the end of a slice, or a wake-up that asked for
     * the CPU while the task was in the kernel (need_resched) */
    if ((t->need_resched || ((in->op == OP_COMPUTE || in->op == OP_START ||
                              t->user_run) && t->remain > 0)) &&
        sched_yield_now(s, t)) {
        t->rq = t->cpu; /* back in its CPU's queue */
        sim_emit_state(s, me, TS_READY, -1, t->rq);
        sim_cpu_release(s, t);
        sim_cpu_kick(s);
        return;
    }
    task_run(s, t);
}

/* ---- the loop --------------------------------------------------------------------- */

/* TCP_TIMEOUT_INIT and net.ipv4.tcp_syn_retries */
#define SYN_TIMEOUT 1000000000LL
#define SYN_RETRIES 6



static void dispatch(struct sim *s, const struct agenda *it)
{
    struct task *t = it->task >= 0 ? &s->tasks[it->task] : NULL;
    if (t && (it->gen != t->gen || t->exited)) {
        if (it->kind == AG_RUN && it->a >= 0 && t->reserved == it->a) {
            s->cpu_busy[it->a] = 0;
            t->reserved = -1;
            sim_cpu_kick(s);
        }
        return; /* stale: the task was killed or woken otherwise */
    }
    /* a wake-up during this item comes from the task stepped on its CPU,
     * else from an interrupt */
    s->waker = t && t->cpu >= 0 ? it->task : -1;
    switch (it->kind) {
    case AG_START:
        if (t->external) {
            sim_emit_state(s, it->task, TS_RUNNING, -1, -1);
            task_run(s, t);
        } else {
            sched_ready(s, t, 1);
        }
        break;
    case AG_RUN:
        do_run(s, t, (int)it->a);
        break;
    case AG_STEP:
        task_step(s, t);
        break;
    case AG_TIMER: /* a sleep ends, or a wait's timeout (a = 1) */
        if (it->a == 1)
            t->tmo_fired = 1;
        sim_wake(s, t);
        break;
    case AG_DELIVER: {
        int src = it->obj, dst = it->obj2;
        if (it->a < 0) { /* FIN */
            s->objs[src].fin_pending = 1;
            net_deliver(s, src, dst);
            break;
        }
        s->objs[src].stalled += it->a;
        net_deliver(s, src, dst);
        break;
    }
    case AG_ACK:
        net_ack(s, it->obj, it->obj2);
        break;
    case AG_TIMERFD:
        timerfd_expire(s, it->obj, it->a);
        break;
    case AG_SYN:
        net_syn(s, it->obj, it->obj2, (int)it->a);
        break;
    case AG_ESTABLISHED:
        sim_wake_obj(s, it->obj, TW_CONNECT);
        if (s->objs[it->obj].conn_started) /* a non-blocking connect's
                                              EPOLLOUT */
            sim_notify_writable(s, it->obj);
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
    s->vref = calloc((size_t)s->p->ncpus, sizeof *s->vref);
    s->waker = -1;
    /* a run queue per CPU: queues 0 .. ncpus-1 (tl.h) */
    if (s->p->ncpus > 1 && tl_set_str(&tl->queues[0].name, "run queue CPU 0"))
        return -ENOMEM;
    for (int c = 1; c < s->p->ncpus; c++) {
        char name[40];
        snprintf(name, sizeof name, "run queue CPU %d", c);
        if (tl_add_queue(tl, name, TQK_RUN, -1) != c)
            return -ENOMEM;
    }
    s->decl_children = calloc((size_t)s->p->ntasks + 1, sizeof(int));
    s->said = calloc((size_t)s->p->ncode / 8 + 1, 1);
    s->pc_names = calloc((size_t)s->p->ncode + 1, sizeof *s->pc_names);
    s->str_ids = malloc(((size_t)s->p->nstrs + 1) * sizeof *s->str_ids);
    if (!s->str_ids)
        return -ENOMEM;
    for (int i = 0; i < s->p->nstrs; i++)
        s->str_ids[i] = -1;
    if (!s->cpu_last || !s->cpu_busy || !s->vref || !s->decl_children ||
        !s->said || !s->pc_names)
        return -ENOMEM;
    sched_init(s);
    for (int i = 0; i < s->p->ncpus; i++)
        s->cpu_last[i] = -1;
    for (int i = 0; i < NMUX; i++)
        for (int k = 0; k < 24 && muxes[i]->ops[k] != OP__COUNT; k++)
            s->mux[muxes[i]->ops[k]] = muxes[i];
    _Static_assert(NMUX <= (int)(sizeof s->watch / sizeof s->watch[0]),
                   "every model fits sim.watch");
    for (int i = 0; i < NMUX; i++) {
        if (muxes[i]->readable || muxes[i]->writable)
            s->watch[s->nwatch++] = muxes[i];
        if (muxes[i]->exclusive)
            s->excl[s->nexcl++] = muxes[i];
    }
    /* the terminal: its input buffer holds what the user types (N_TTY's
     * 4096 bytes); what is written to it is shown, not kept */
    s->tty = sim_obj_new(s, OK_TTY, 4096, 0, -1, -1);
    s->peer_tty = -1;
    s->input = -1;
    for (int c = 0; c < s->p->ncaptions; c++)
        sim_schedule(s, s->p->captions[c].t, AG_CAPTION, -1, -1, 0, c);
    for (int d = 0; d < s->p->ntasks && !s->failed; d++) {
        const struct prog_task *pt = &s->p->tasks[d];
        int peer = pt->kind == DECL_PEER;
        for (int k = 0; k < pt->count && !s->failed && !s->stop; k++) {
            char name[96];
            if (pt->count > 1)
                snprintf(name, sizeof name, "%s%d", pt->name, k + 1);
            else
                snprintf(name, sizeof name, "%s", pt->name);
            int id = proc_task_new(s, name, peer ? TK_PEER : TK_PROCESS, d, -1, -1,
                              peer);
            if (id < 0 && s->stop)
                return 0; /* the budget ends the run before it starts */
            if (id < 0)
                return -ENOMEM;
            proc_give_stdio(s, id);
            if (mem_new(s, id, -1) || gil_new(s, id))
                return s->stop ? 0 : -ENOMEM;
            sim_schedule(s, sat_add(pt->start, sat_mul(k, pt->every)), AG_START, id, -1, 0, 0);
        }
    }
    return s->failed;
}

static void sim_free(struct sim *s)
{
    for (int i = 0; i < s->ntasks; i++) {
        free(s->tasks[i].slots);
        if (s->tasks[i].proc == i) { /* the owner of the process's memory */
            free(s->tasks[i].mem);
            gil_free(&s->tasks[i]);
            hub_free(s->tasks[i].hub);
        }
        free(s->tasks[i].ready);
        free(s->tasks[i].sig);
        if (s->tasks[i].watch) {
            free(s->tasks[i].watch->fd);
            free(s->tasks[i].watch->ev);
            free(s->tasks[i].watch->pos);
            free(s->tasks[i].watch);
        }
        evl_free(&s->tasks[i]);
    }
    for (int i = 0; i < s->nobjs; i++) {
        if (s->objs[i].mux_free)
            s->objs[i].mux_free(s->objs[i].mux);
        else
            free(s->objs[i].mux);
        free(s->objs[i].sleepers.v);
        free(s->objs[i].epitems.v);
        msg_free(s->objs[i].msgs);
    }
    free(s->tasks);
    free(s->objs);
    free(s->ls);
    ag_free(&s->ag);
    free(s->cpu_last);
    free(s->cpu_busy);
    free(s->vref);
    free(s->decl_children);
    free(s->names);
    free(s->pc_names);
    free(s->said);
    free(s->str_ids);
    free(s->fdev_memo);
    free(s->evl_str);
    mp_free(s);
    mgr_free(s);
    fsrv_free(s);
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
    s.max_steps = o && o->max_steps > 0 ? (uint64_t)o->max_steps
                                          : (uint64_t)p->max_steps;
    if (s.max_steps == 0)
        s.max_steps = SIM_STEPS_DEFAULT;
    s.max_mem = o && o->max_mem > 0 ? o->max_mem : p->max_mem;
    if (s.max_mem <= 0)
        s.max_mem = SIM_MEM_DEFAULT;
    s.cpu_limit_ns = (int64_t)(o && o->cpu_limit_s > 0 ? o->cpu_limit_s
                                                       : SIM_CPU_LIMIT_S) *
                     1000000000;
    s.cpu_start_ns = budget_cpu_ns();
    s.tl = tl_new();
    if (s.tl) /* a run stopped by `events` pays for no page past them */
        s.tl->evmax = (size_t)s.max_events;
    if (!s.tl || setup(&s)) {
        if (!s.failed || s.failed == -ENOMEM)
            snprintf(err, errlen, "%s: error: out of memory", p->path);
        goto fail;
    }
    long items = 0, pend_max = 0;
    double pend_sum = 0;
    struct agenda it;
    while (!s.failed && !s.stop) {
        long pending = (long)ag_pending(&s.ag);
        if (ag_pop(&s.ag, &it))
            break;
        items++;
        pend_sum += (double)pending;
        if (pending > pend_max)
            pend_max = pending;
        if (it.t > p->limit) {
            s.tl->truncated = 1;
            char msg[96];
            snprintf(msg, sizeof msg, "stopped at the time limit (machine `limit`)");
            tl_set_str(&s.tl->note, msg);
            break;
        }
        s.now = it.t;
        budget_step(&s);
        if (s.stop)
            break;
        /* the next item's task and its world row come in from memory
           while this item is done (every item starts with a cache miss on
           its task otherwise: 10,000 tasks do not fit a core's cache) */
        int32_t nt = ag_next_task(&s.ag);
        if (nt >= 0 && nt < s.ntasks) {
            const char *tp = (const char *)&s.tasks[nt];
            __builtin_prefetch(tp);
            __builtin_prefetch(tp + 64);
            __builtin_prefetch(tp + 128);
            if (nt < s.w.ntasks)
                __builtin_prefetch(&s.w.tasks[nt]);
        }
        dispatch(&s, &it);
        /* by now the next task's lines are in: what its step reads next,
           its variables and its fd table's row, can be asked for */
        if (nt >= 0 && nt < s.ntasks) {
            const struct task *n = &s.tasks[nt];
            __builtin_prefetch(n->slots);
            if (n->proc >= 0 && n->proc < s.w.nprocs)
                __builtin_prefetch(&s.w.procs[n->proc]);
        }
    }
    if (s.failed) {
        if (s.failed == -ENOMEM)
            snprintf(err, errlen, "%s: error: out of memory", p->path);
        goto fail;
    }
    if (o && o->stats) {
        o->stats->items = items;
        o->stats->pending_max = pend_max;
        o->stats->pending_mean = items ? pend_sum / (double)items : 0;
    }
    note_stuck(&s);
    for (int i = 0; i < s.ntasks; i++)
        if (s.tasks[i].proc == i)
            gil_quiet(&s, &s.tasks[i]);
    tl_shrink(s.tl);
    if (o && o->stats)
        o->stats->bytes = held_bytes(&s);
    sim_free(&s);
    return s.tl;
fail:
    sim_free(&s);
    tl_free(s.tl);
    return NULL;
}

void *sim_grow(struct sim *s, void *v, int *cap, int n, size_t size)
{
    if (n < *cap)
        return v;
    int ncap = *cap ? *cap * 2 : 8;
    if (sim_charge(s, (int64_t)(ncap - *cap) * (int64_t)size))
        return NULL;
    void *p = realloc(v, (size_t)ncap * size);
    if (!p) {
        s->failed = -ENOMEM;
        return NULL;
    }
    memset((char *)p + (size_t)*cap * size, 0, (size_t)(ncap - *cap) * size);
    *cap = ncap;
    return p;
}
