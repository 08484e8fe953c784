/*
 * gil.c - CPython's global interpreter lock, as Python/ceval_gil.c does it
 * (CPython 3.13; the same algorithm since 3.2, checked with strace -f on
 * CPython 3.11 on this machine).
 *
 * A process declared `python` has one GIL.  A thread must hold it to run
 * Python code (`compute`); it lets it go around every syscall
 * (Py_BEGIN_ALLOW_THREADS) and when it ends.  Taking it (take_gil):
 *   - free: take it, switch_number + 1;
 *   - held: wait on the GIL's condition variable with a timeout of the
 *     switch interval (5 ms, sys.setswitchinterval): futex(FUTEX_WAIT_
 *     BITSET_PRIVATE, ..., timeout).  On a timeout, if the GIL is still
 *     held and no switch happened meanwhile, set gil_drop_request and wait
 *     again.
 * The holder checks the request between bytecodes (the eval breaker): it
 * drops the GIL, wakes a waiter (FUTEX_WAKE), and with FORCE_SWITCHING
 * waits until another thread has taken it before it asks for it again,
 * so the waiter really gets it.  Two CPU-bound threads therefore take
 * turns every 5 ms, and one runs at a time however many CPUs are free.
 *
 * iosim keeps the GIL's state in the process's first task (struct gil):
 * its holder, its waiters (oldest first) and gil_drop_request are queues
 * and a word of the timeline, so every hand-over shows.  The holder is a
 * kernel thread (a coroutine runs in its thread, which holds it).  The
 * free-threaded build (`python free-threaded`, PEP 703) has no GIL.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct gil {
    int32_t holder;        /* kernel thread holding it, -1 */
    uint32_t switch_number;
    int32_t q_holder, q_wait, q_drop;
    int64_t drop_request;  /* gil_drop_request (the eval breaker's bit) */
    int64_t interval;      /* sys.getswitchinterval(), ns */
    uint8_t contended;     /* a thread ever waited for it */
};

int gil_new(struct sim *s, int proc)
{
    const struct prog_task *d = &s->p->tasks[s->tasks[proc].decl];
    if (d->python != PY_GIL)
        return 0;
    struct gil *g = calloc(1, sizeof *g);
    if (!g) {
        s->failed = -ENOMEM;
        return -1;
    }
    s->tasks[proc].gil = g;
    g->holder = -1;
    g->interval = d->switch_interval;
    const char *pn = s->tl->tasks[proc].name;
    char name[160];
    snprintf(name, sizeof name, "GIL holder (%s)", pn);
    g->q_holder = tl_add_queue(s->tl, name, TQK_FUTEX, proc);
    snprintf(name, sizeof name, "GIL waiters (%s)", pn);
    g->q_wait = tl_add_queue(s->tl, name, TQK_FUTEX, proc);
    snprintf(name, sizeof name, "gil_drop_request (%s)", pn);
    g->q_drop = tl_add_queue(s->tl, name, TQK_MEM, proc);
    if (g->q_holder < 0 || g->q_wait < 0 || g->q_drop < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    sim_emit(s, EV_MEM, proc, TM_STORE, g->q_drop, 0, 0);
    return 0;
}

/* At the end of the run: a GIL no thread ever waited for (one thread, or
 * threads that never overlapped) has nothing to show; its queues are
 * quiet, so the viewer puts them last */
void gil_quiet(struct sim *s, const struct task *t)
{
    const struct gil *g = t->gil;
    if (!g || g->contended)
        return;
    s->tl->queues[g->q_holder].quiet = 1;
    s->tl->queues[g->q_wait].quiet = 1;
    s->tl->queues[g->q_drop].quiet = 1;
}

void gil_free(struct task *t)
{
    free(t->gil);
}

static void gil_set_drop(struct sim *s, int who, struct gil *g, int64_t v)
{
    if (g->drop_request == v)
        return;
    g->drop_request = v;
    sim_emit(s, EV_MEM, who, TM_STORE, g->q_drop, v, 0);
}

/* The GIL goes to kernel thread k (it was free) */
static void gil_take(struct sim *s, struct gil *g, int k)
{
    g->holder = k;
    g->switch_number++;
    sim_emit(s, EV_QUEUE, k, TQ_PUSH, g->q_holder, k, 0);
}

/* drop_gil: the holder lets it go; the oldest waiter, if any, is woken
 * with the GIL handed to it (in CPython it wakes and takes it, before the
 * dropper can, thanks to FORCE_SWITCHING or because the dropper sleeps) */
static void gil_drop(struct sim *s, struct gil *g, int k)
{
    sim_emit(s, EV_QUEUE, k, TQ_POP, g->q_holder, k, 0);
    g->holder = -1;
    gil_set_drop(s, k, g, 0);
    if (sim_qlen(s, g->q_wait) > 0) {
        int w = (int)s->w.queues[g->q_wait].items[0];
        sim_emit(s, EV_QUEUE, k, TQ_POP, g->q_wait, w, 0);
        s->tasks[w].gil_waiting = 0;
        gil_take(s, g, s->tasks[w].kthread);
        sim_wake(s, &s->tasks[w]);
    }
}

static int gil_holds(const struct task *t)
{
    return t->gil && t->gil->holder == t->kthread;
}

/* Around a syscall, and when a thread ends: Py_BEGIN_ALLOW_THREADS */
void gil_release(struct sim *s, struct task *t)
{
    if (gil_holds(t))
        gil_drop(s, t->gil, t->kthread);
}

/*
 * The holder, running Python code, sees gil_drop_request: it drops the GIL
 * and (FORCE_SWITCHING) waits for the switch, then waits for the GIL like
 * any thread.  Called when the request is set; a holder that is not on a
 * CPU now sees it when its compute goes on (gil_compute).
 */
static void gil_interrupt(struct sim *s, struct gil *g)
{
    int h = g->holder;
    if (h < 0)
        return;
    struct task *t = &s->tasks[h];
    for (int c = h; c >= 0; c = s->tasks[c].next_co) /* the coroutine on */
        if (s->w.tasks[c].state == TS_RUNNING) {     /* the CPU, if any */
            t = &s->tasks[c];
            break;
        }
    int me = (int)(t - s->tasks);
    if (s->w.tasks[me].state != TS_RUNNING || t->in_sys || t->pend ||
        s->p->code[t->pc].op != OP_COMPUTE || t->phase != 1)
        return;
    int64_t left = t->busy_until - s->now; /* the slice stops here */
    if (left > 0)
        t->remain += left;
    t->gen++; /* its end-of-slice step is void */
    gil_drop(s, g, h);
    t->gil_waiting = 1;
    g->contended = 1;
    sim_emit(s, EV_QUEUE, me, TQ_PUSH, g->q_wait, me, 0);
    t->gil_switch_seen = g->switch_number;
    sim_sys_enter_wait(s, t, SYS_FUTEX, -1, TL_FUTEX_WAIT | TL_FUTEX_TIMED,
                       g->interval, 0);
    t->gil_phase = t->phase;
    t->advance = 1;
    sim_block_timed(s, t, TW_GIL, -1);
}

/*
 * Before each slice of `compute` in a CPython process: returns -1 if the
 * thread holds the GIL and may run, else what the interpreter should do.
 */
int gil_compute(struct sim *s, struct task *t)
{
    struct gil *g = t->gil;
    if (!g)
        return -1;
    int me = (int)(t - s->tasks);
    int64_t cost = sat_add(s->p->cost.syscall, s->p->cost.futex);
    if (t->in_sys && t->sys == SYS_FUTEX) { /* back from a wait for it */
        int mine = g->holder == t->kthread;
        if (!mine && !t->tmo_fired) /* woken for nothing: sleep on */
            return sim_block(s, t, TW_GIL, -1);
        return sim_sys_return(s, t, mine ? 0 : -ETIMEDOUT, cost);
    }
    if (t->gil_phase >= 0) { /* the futex call is over: resume compute */
        t->phase = t->gil_phase;
        t->gil_phase = -1;
    }
    if (g->holder == t->kthread) {
        if (!g->drop_request)
            return -1;
        /* the eval breaker: drop it, let another take it, ask again */
        gil_drop(s, g, t->kthread);
    } else if (g->holder < 0) {
        gil_take(s, g, t->kthread);
        return -1;
    } else if (t->gil_waiting && g->switch_number == t->gil_switch_seen) {
        /* a whole interval went by with no switch: ask the holder */
        gil_set_drop(s, me, g, 1);
        gil_interrupt(s, g);
        t = &s->tasks[me];
        if (g->holder < 0) { /* the holder let it go at once */
            sim_emit(s, EV_QUEUE, me, TQ_POP, g->q_wait, me, 0);
            t->gil_waiting = 0;
            gil_take(s, g, t->kthread);
            return -1;
        }
    }
    if (g->holder == t->kthread)
        return -1;
    if (!t->gil_waiting) {
        t->gil_waiting = 1;
        g->contended = 1;
    sim_emit(s, EV_QUEUE, me, TQ_PUSH, g->q_wait, me, 0);
    }
    t->gil_switch_seen = g->switch_number;
    sim_sys_enter_wait(s, t, SYS_FUTEX, -1, TL_FUTEX_WAIT | TL_FUTEX_TIMED,
                       g->interval, 0);
    t->gil_phase = t->phase;
    t->advance = 1;
    return sim_block_timed(s, t, TW_GIL, -1);
}
