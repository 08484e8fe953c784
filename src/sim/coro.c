/*
 * coro.c - coroutines that say where control goes: Python's generators and
 * greenlet's switch.  (The coroutines themselves, their ring and `yield`
 * among equals are in proc.c.)  Everything here happens in user space, on
 * one kernel thread: no syscall, no kernel context switch, `co_switch` of
 * CPU time per transfer.
 *
 * Generators (PEP 255; CPython's gen_send_ex in Objects/genobject.c).
 * `g = generator { ... }` makes one and runs nothing: its frame is
 * created (state "new", GEN_CREATED).  `v = next g` runs it until its next
 * `yield V` (GEN_RUNNING), which suspends it at that line (GEN_SUSPENDED)
 * and hands V back: v = V.  `v = next g X` is g.send(X): the pending
 * `y = yield ...` in g returns X (a plain next sends None, 0 here).  When
 * the block ends the generator is closed (GEN_CLOSED, "exited") and next
 * gives StopIteration, now and every time after.  As in CPython, sending a
 * value other than None to a generator that has not started is a
 * TypeError, and calling next on a generator that is running (from inside
 * itself) a ValueError; both stop the run with Python's message.
 *
 * greenlet (greenlet's docs, "Switching").  Every coroutine has a parent,
 * the task that made it (the thread's own code is the main greenlet).
 * `v = switch co X` suspends the current one and runs co; X becomes the
 * value co's own pending switch returns (a switch into a greenlet that has
 * not started runs its block from the top: greenlet passes X to run() as
 * its arguments, which iosim leaves out).  When a greenlet that was
 * switched to finishes, control goes back to its parent, whose pending
 * switch returns 0 (run()'s None).  A switch to a finished greenlet goes to
 * its parent instead, or the parent's parent, as greenlet does.
 * `switch parent X` names the parent.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>

/* The task index of the coroutine whose id (what `coroutine` or
 * `generator` stored) is id, in t's thread; -1 if none */
static int co_find(const struct sim *s, const struct task *t, int64_t id)
{
    int64_t i = id - PID_BASE;
    if (i < 0 || i >= s->ntasks)
        return -1;
    const struct task *c = &s->tasks[i];
    if (c->kthread != t->kthread || (!c->is_coroutine && (int)i != t->kthread))
        return -1;
    return (int)i;
}

/* t stops here (suspended, its result slot waiting for a value) and `to`
 * runs, its own pending result set to v */
static int co_transfer(struct sim *s, struct task *t, const struct prog_ins *in,
                       int to, int why, int64_t v)
{
    int me = (int)(t - s->tasks), cpu = t->cpu;
    struct task *n = &s->tasks[to];
    sim_emit(s, EV_SWITCH, me, why, to, v, 0);
    if (n->co_dst >= 0) {
        sim_set_dst(s, n, n->co_dst, v);
        n->co_dst = -1;
    }
    t->co_dst = in->dst;
    t->cpu = -1;
    sim_emit_state(s, me, TS_SUSPENDED, -1, 0); /* at this line */
    t->pc++; /* resumed after it */
    proc_co_handover(s, cpu, to);
    return GO_BLOCKED;
}

static int op_next(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int g = co_find(s, t, sim_arg(t, in, 0));
    int64_t v = in->nargs > 1 ? sim_arg(t, in, 1) : 0;
    if (g < 0 || !s->tasks[g].is_gen)
        return sim_fail(s, in, "next: %lld is not a generator of this thread "
                        "(make one with g = generator { ... })",
                        (long long)sim_arg(t, in, 0));
    struct task *gt = &s->tasks[g];
    if (gt->exited) { /* StopIteration, every time after the end */
        sim_set_dst(s, t, in->dst, PROG_STOP_ITERATION);
        t->pc++;
        return GO_NEXT;
    }
    if (gt->gen_at == 2)
        return sim_fail(s, in, "ValueError: generator already executing "
                        "('%s' is running: it called next on itself)",
                        s->tl->tasks[g].name);
    if (gt->gen_at == 0 && v != 0)
        return sim_fail(s, in, "TypeError: can't send non-None value to a "
                        "just-started generator (the first next must send "
                        "nothing: '%s' has no yield to receive it yet)",
                        s->tl->tasks[g].name);
    if (t->cpu < 0)
        return sim_fail(s, in, "internal: next from a task off its CPU");
    gt->gen_at = 2;
    gt->co_caller = (int)(t - s->tasks);
    return co_transfer(s, t, in, g, in->nargs > 1 ? TSW_SEND : TSW_NEXT, v);
}

int coro_gen_yield(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t v = in->nargs > 0 ? sim_arg(t, in, 0) : 0;
    int to = t->co_caller;
    if (to < 0 || s->tasks[to].exited || t->cpu < 0)
        return sim_fail(s, in, "internal: a generator yields with no caller");
    t->gen_at = 1;
    t->co_caller = -1;
    return co_transfer(s, t, in, to, TSW_YIELD, v);
}

static int op_switch(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int me = (int)(t - s->tasks);
    int64_t v = in->nargs > 1 ? sim_arg(t, in, 1) : 0;
    int to = in->flags & 1 ? t->co_parent /* switch parent */
                           : co_find(s, t, sim_arg(t, in, 0));
    if (to < 0)
        return sim_fail(s, in, in->flags & 1
                        ? "switch parent: '%s' has no parent (it is the "
                          "thread's own code, the main greenlet)"
                        : "switch: %s is not a coroutine of this thread",
                        s->tl->tasks[me].name);
    /* a finished greenlet: its parent, or the parent's parent, runs */
    while (to >= 0 && s->tasks[to].exited)
        to = s->tasks[to].co_parent;
    if (to >= 0 && s->tasks[to].is_gen)
        return sim_fail(s, in, "switch: '%s' is a generator: run it with next",
                        s->tl->tasks[to].name);
    if (to < 0 || to == me) { /* nothing else to run: the value comes back */
        sim_set_dst(s, t, in->dst, v);
        t->pc++;
        return GO_NEXT;
    }
    if (t->cpu < 0)
        return sim_fail(s, in, "internal: switch from a task off its CPU");
    s->tasks[to].co_switched = 1;
    return co_transfer(s, t, in, to, TSW_SWITCH, v);
}

int coro_finish_to(struct sim *s, struct task *t)
{
    int to = -1;
    int64_t v = 0;
    if (t->is_gen) { /* return: StopIteration in the caller's next */
        to = t->co_caller;
        v = PROG_STOP_ITERATION;
        t->gen_at = 0;
        t->co_caller = -1;
    } else if (t->co_switched) { /* back to the parent greenlet */
        to = t->co_parent;
        while (to >= 0 && s->tasks[to].exited)
            to = s->tasks[to].co_parent;
    }
    if (to < 0 || s->tasks[to].exited)
        return -1;
    sim_emit(s, EV_SWITCH, (int)(t - s->tasks), t->is_gen ? TSW_STOP : TSW_RETURN,
             to, v, 0);
    struct task *n = &s->tasks[to];
    if (n->co_dst >= 0) {
        sim_set_dst(s, n, n->co_dst, v);
        n->co_dst = -1;
    }
    return to;
}

static int coro_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->external)
        return sim_fail(s, in, "coroutines run in processes, not in peers");
    return in->op == OP_NEXT ? op_next(s, t, in) : op_switch(s, t, in);
}

const struct mux_ops mux_coro_ops = {
    .name = "coroutines",
    .ops = {OP_NEXT, OP_SWITCH, OP__COUNT},
    .exec = coro_exec,
};
