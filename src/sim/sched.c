/*
 * sched.c - the CPU scheduler: EEVDF, as Linux 6.6+ runs SCHED_OTHER tasks
 * (kernel/sched/fair.c), for tasks of equal weight (nice 0).
 *
 * Every task has a virtual runtime (vr): the CPU time it has had, which for
 * nice-0 tasks advances at the rate of real time while it runs.  V is the
 * average vr of the tasks that want a CPU (the ready ones and the running
 * ones; fair.c's avg_vruntime).  A task whose vr is at most V is owed time
 * (its lag V - vr is >= 0) and is *eligible*.  Each task asks for a slice
 * (base_slice_ns: 0.75 ms * (1 + log2 CPUs), at most 3 ms) and gets a
 * virtual deadline vd = vr + slice.  The scheduler runs the eligible task
 * with the earliest deadline (pick_eevdf).
 *
 *  - A running task keeps its CPU until its slice is used (its vr reaches
 *    vd) while it is eligible (RUN_TO_PARITY: fair.c protects the slice it
 *    was picked for).  The kernel notices a used-up slice at the next
 *    timer tick (HZ 250: every 4 ms; fair.c does not arm a high-resolution
 *    timer for it by default) or at the next wake-up on the CPU, gives it a
 *    new deadline and picks again.
 *  - A waking task is placed at vr = V - lag, with the lag it had when it
 *    went to sleep (place_entity, scaled so that the lag survives the
 *    averaging), and vd = vr + slice; a new task has lag 0 and half a
 *    slice (PLACE_DEADLINE_INITIAL).  Then the kernel checks whether it
 *    should preempt the running task (wakeup_preempt): it does when the
 *    running task has used its slice, or is no longer eligible once the
 *    newcomer joins the average (the newcomer slept while owed time), and
 *    the newcomer is then the best pick.  A task woken with lag 0 waits
 *    for the end of the running task's slice: at most a slice and a tick.
 *  - A task that sleeps keeps its lag, clamped to two slices or a tick
 *    (update_entity_lag).  A task that sleeps owing time (lag < 0) stays
 *    queued as "delayed" in Linux until the debt is paid (DELAY_DEQUEUE);
 *    iosim treats the debt as paid by the sleep, which it is unless the
 *    sleep is shorter than the debt.
 *
 * Each CPU has its own run queue (a cfs_rq: world queue c, tl.h) with its
 * own V, and a CPU picks only from its own queue:
 *  - A waking task goes to a CPU as select_task_rq_fair chooses, for CPUs
 *    that share a cache (one LLC, as here): wake_affine's target is the
 *    waker's CPU when the waker is the only task there (a sync wake-up:
 *    pipe, socket, a child's exit), else the CPU it last ran on; then
 *    select_idle_sibling: the target if idle, else that previous CPU if
 *    idle, else any idle CPU, else the target.  A new task (fork, a
 *    thread) goes to an idle CPU, else the least loaded, its parent's on a
 *    tie (sched_balance_find_dst_cpu).
 *  - A CPU with nothing to run pulls the best waiting task of the busiest
 *    other CPU (newidle balance, sched_balance_newidle).
 *  - Periodic balancing (sched_balance_rq, from the tick): every
 *    BALANCE_TICKS ticks a CPU running a task with others waiting gives one of them
 *    to a CPU with fewer tasks, so that three tasks on two CPUs share them
 *    evenly over time, as Linux's do.
 * A task that moves keeps its lag: it is placed in its new queue at that
 * queue's V minus its lag (migrate_task_rq_fair / place_entity).
 *
 * Simplified: the load balancer's load, capacity and cache-hotness
 * arithmetic (a task that ran less than 0.5 ms ago is not moved) is left
 * out; the periodic balance is a fixed interval fitted to measurement
 * (BALANCE_TICKS).  Syscalls are not preempted (CONFIG_PREEMPT_NONE): a task
 * asked to give up its CPU while in the kernel does so when the call
 * returns.
 */
#include "sim/sim_int.h"

#include <stdio.h>

/* How often a busy CPU's tick moves a waiting task to a CPU with fewer:
 * measured on this 2-CPU Linux 6.18 machine, three tasks that only compute
 * migrate about 6 times a second in all (/proc/PID/sched se.nr_migrations),
 * what the kernel's busy balance interval (the domain's 2-4 ms times
 * busy_factor 16) with a move every other attempt gives.  An odd number
 * of ticks: of two tasks taking turns on a CPU, the one waiting when the
 * balance comes alternates, as it does at random on a real machine */
#define BALANCE_TICKS 41

/* The task whose scheduling state t's CPU time counts for: coroutines run
 * in their kernel thread, which is what the kernel schedules */
static struct task *se_of(struct sim *s, int id)
{
    return &s->tasks[s->tasks[id].kthread];
}

/* The task running on CPU c (not one being switched in), or -1 */
static int cpu_curr(const struct sim *s, int c)
{
    if (!s->cpu_busy[c])
        return -1;
    int id = s->cpu_last[c];
    if (id < 0 || s->tasks[id].cpu != c || s->w.tasks[id].state != TS_RUNNING)
        return -1;
    return id;
}

/* update_curr: charge the running task's CPU time since it last was */
static void sched_update(struct sim *s, struct task *t)
{
    struct task *e = se_of(s, (int)(t - s->tasks));
    if (e->on_cpu && s->now > e->exec_start) {
        e->vr += s->now - e->exec_start;
        e->exec_start = s->now;
    }
}

/* CPU c's run queue (the world keeps it from the READY events) */
static const struct w_queue *rq_of(const struct sim *s, int c)
{
    return c < s->w.nqueues ? &s->w.queues[c] : NULL;
}

/* V of CPU c: the average vr of every task that wants it (ready in its
 * queue, or running on it), but skip; computed as an offset from the
 * first one so that sums stay small.  *np: how many there are. */
static int64_t sched_avg(struct sim *s, int c, int skip, int *np)
{
    int64_t base = 0, sum = 0, n = 0;
    const struct w_queue *rq = rq_of(s, c);
    for (int i = 0; rq && i < rq->n; i++) {
        int id = (int)rq->items[i];
        if (id == skip)
            continue;
        struct task *e = se_of(s, id);
        if (!n)
            base = e->vr;
        sum += e->vr - base;
        n++;
    }
    int id = cpu_curr(s, c);
    if (id >= 0 && id != skip) {
        sched_update(s, &s->tasks[id]);
        struct task *e = se_of(s, id);
        if (!n)
            base = e->vr;
        sum += e->vr - base;
        n++;
    }
    if (np)
        *np = (int)n;
    if (n) /* an empty queue keeps its last V (fair.c's zero_vruntime) */
        s->vref[c] = base + sum / n;
    return s->vref[c];
}

/* Tasks that want CPU c: waiting in its queue or running there */
static int sched_nr(const struct sim *s, int c)
{
    const struct w_queue *rq = rq_of(s, c);
    return (rq ? rq->n : 0) + (s->cpu_busy[c] ? 1 : 0);
}

/* Is CPU c idle: nothing on it, nothing being switched in, none waiting */
static int sched_idle(const struct sim *s, int c)
{
    return !s->cpu_busy[c] && sched_nr(s, c) == 0;
}

/* update_deadline: a used-up slice gets the next one.  The kernel looks at
 * every timer tick (and at wake-ups): while e ran without a break since
 * run_since, each tick at or after the moment its vr passed vd gave it
 * vd = vr + slice; a call between ticks does the same now. */
static void sched_deadline(struct sim *s, struct task *e)
{
    for (int k = 0; e->vr >= e->vd; k++) {
        if (!e->on_cpu || k > 100000) {
            e->vd = e->vr + s->slice;
            return;
        }
        int64_t reach = s->now - (e->vr - e->vd); /* when vr reached vd */
        if (reach < e->run_since)
            reach = e->run_since;
        int64_t tk = (reach + s->tick - 1) / s->tick * s->tick;
        if (tk > s->now) { /* no tick since: this call renews it */
            e->vd = e->vr + s->slice;
            return;
        }
        e->vd = e->vr - (s->now - tk) + s->slice;
    }
}

void sched_place(struct sim *s, struct task *t, int initial)
{
    struct task *e = se_of(s, (int)(t - s->tasks));
    int n;
    int64_t v = sched_avg(s, t->rq, (int)(t - s->tasks), &n);
    int64_t lag = initial ? 0 : e->vlag;
    if (n > 0) /* place_entity: the average moves when it joins */
        lag = lag * (n + 1) / n;
    e->vr = v - lag;
    e->vd = e->vr + (initial ? s->slice / 2 : s->slice);
    e->vlag = 0;
}

void sched_sleep(struct sim *s, struct task *t)
{
    struct task *e = se_of(s, (int)(t - s->tasks));
    sched_update(s, t);
    int64_t v = sched_avg(s, t->cpu >= 0 ? t->cpu : t->rq, -1, NULL);
    int64_t limit = 2 * s->slice > s->tick ? 2 * s->slice : s->tick;
    int64_t lag = v - e->vr;
    if (lag > limit)
        lag = limit;
    e->vlag = lag < 0 ? 0 : lag; /* DELAY_DEQUEUE: the sleep pays a debt */
}

void sched_on(struct sim *s, struct task *t)
{
    struct task *e = se_of(s, (int)(t - s->tasks));
    if (!e->on_cpu) {
        e->on_cpu = 1;
        e->exec_start = e->run_since = s->now;
    }
    e->last_cpu = t->cpu;
}

void sched_off(struct sim *s, struct task *t)
{
    struct task *e = se_of(s, (int)(t - s->tasks));
    sched_update(s, t);
    e->on_cpu = 0;
}

/* Is a task of the queue before b in EEVDF order (eligible first, then
 * the earliest deadline, then the longest waiting)? */
static int sched_better(struct sim *s, int a, int b, int64_t v)
{
    if (b < 0)
        return 1;
    const struct task *x = se_of(s, a), *y = se_of(s, b);
    int ex = x->vr <= v, ey = y->vr <= v;
    if (ex != ey)
        return ex;
    return x->vd < y->vd;
}

/* The task CPU c's queue would run next (pick_eevdf), or TASK_NONE */
static int sched_best(struct sim *s, int c)
{
    const struct w_queue *rq = rq_of(s, c);
    if (!rq || rq->n == 0)
        return TASK_NONE;
    int64_t v = sched_avg(s, c, -1, NULL);
    int best = TASK_NONE;
    rq = rq_of(s, c);
    for (int i = 0; i < rq->n; i++) {
        int id = (int)rq->items[i];
        if (s->tasks[id].reserved >= 0)
            continue;
        if (best == TASK_NONE || sched_better(s, id, best, v))
            best = id;
    }
    return best;
}

/* Ready task t moves to CPU c's queue: it keeps its lag */
static void sched_move(struct sim *s, struct task *t, int c)
{
    struct task *e = se_of(s, (int)(t - s->tasks));
    int64_t lag = sched_avg(s, t->rq, -1, NULL) - e->vr;
    int64_t dl = e->vd - e->vr;
    t->rq = c;
    e->vr = sched_avg(s, c, (int)(t - s->tasks), NULL) - lag;
    e->vd = e->vr + dl;
    sim_emit_state(s, (int)(t - s->tasks), TS_READY, -1, c);
}

/* The busy CPU with the most tasks that has one waiting (no CPU
 * switching to it), other than c; -1 if none (an idle CPU runs its own) */
static int sched_busiest(struct sim *s, int c, int *nrp)
{
    int best = -1, nr = 0;
    for (int d = 0; d < s->p->ncpus; d++) {
        if (d == c || !s->cpu_busy[d] || sched_best(s, d) == TASK_NONE)
            continue;
        int n = sched_nr(s, d);
        if (best < 0 || n > nr) {
            best = d;
            nr = n;
        }
    }
    *nrp = nr;
    return best;
}

int sched_pick(struct sim *s, int c)
{
    int best = sched_best(s, c);
    if (best != TASK_NONE || s->p->ncpus == 1)
        return best;
    /* newidle balance: pull the task the busiest queue would run next */
    int nr, d = sched_busiest(s, c, &nr);
    if (d < 0)
        return TASK_NONE;
    best = sched_best(s, d);
    sched_move(s, &s->tasks[best], c);
    return best;
}

/* Should the running task t give its CPU to a ready task now? */
static int sched_preempts(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    struct task *e = se_of(s, me);
    int other = sched_best(s, t->cpu);
    if (other == TASK_NONE)
        return 0;
    sched_update(s, t);
    sched_deadline(s, e);
    int64_t v = sched_avg(s, t->cpu, -1, NULL);
    int eligible = e->vr <= v;
    if (eligible && e->vr < e->vprot)
        return 0; /* RUN_TO_PARITY: the slice it was picked for */
    /* pick_eevdf keeps curr only if it is strictly before the best other */
    return !eligible || !sched_better(s, me, other, v);
}

/* When the slice of running task t will be seen to be used: the first
 * tick at or after the time its vr reaches its deadline */
static int64_t sched_slice_end(struct sim *s, struct task *t)
{
    struct task *e = se_of(s, (int)(t - s->tasks));
    sched_update(s, t);
    int64_t left = e->vd - e->vr;
    int64_t at = sim_at(s, left > 0 ? left : 0);
    int64_t tick = s->tick;
    int64_t end = at / tick * tick;
    if (end < at || end <= s->now)
        end = sat_add(end, tick);
    return end;
}

int64_t sched_run_for(struct sim *s, struct task *t, int64_t remain)
{
    if (t->external || t->cpu < 0 || !sched_waiting(s, t->cpu))
        return remain;
    int64_t d = sched_slice_end(s, t) - s->now;
    return d < remain ? d : remain;
}

int sched_user_chunk(struct sim *s, struct task *t)
{
    int64_t slice = sched_run_for(s, t, t->remain);
    t->remain -= slice;
    t->busy_ns = slice;
    t->user_run = 1;
    return GO_BUSY;
}

int sched_waiting(const struct sim *s, int c)
{
    const struct w_queue *rq = rq_of(s, c);
    for (int i = 0; rq && i < rq->n; i++)
        if (s->tasks[rq->items[i]].reserved < 0)
            return 1;
    return 0;
}

static void sched_cut(struct sim *s, int c);

/* The periodic balance (sched_balance_rq from the tick), as often as it
 * moves a task here: CPU c, running a task with others waiting, gives one
 * to the CPU with the fewest tasks if it has fewer than c */
static void sched_balance(struct sim *s, int c)
{
    if (s->p->ncpus == 1 || s->now < s->next_balance)
        return;
    s->next_balance = sat_add(s->now, BALANCE_TICKS * s->tick);
    int d = -1;
    for (int k = 0; k < s->p->ncpus; k++)
        if (k != c && (d < 0 || sched_nr(s, k) < sched_nr(s, d)))
            d = k;
    if (d < 0 || sched_nr(s, d) >= sched_nr(s, c))
        return;
    int best = sched_best(s, c);
    if (best == TASK_NONE)
        return;
    sched_move(s, &s->tasks[best], d);
    sim_cpu_kick(s);
    sched_cut(s, d);
}

int sched_yield_now(struct sim *s, struct task *t)
{
    if (t->external || t->cpu < 0 || !sched_waiting(s, t->cpu))
        return 0;
    sched_balance(s, t->cpu);
    if (!sched_waiting(s, t->cpu))
        return 0;
    t->need_resched = 0;
    return sched_preempts(s, t);
}

/* t computes on a CPU: take the rest of its chunk back, as a tick or an
 * interrupt does, and make it ready */
static void sched_preempt(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    t->remain += t->busy_until - s->now;
    t->busy_until = s->now;
    t->gen++;
    t->rq = t->cpu; /* back in its CPU's queue */
    sim_emit_state(s, me, TS_READY, -1, t->rq);
    sim_cpu_release(s, t);
}

/* Is t computing in user space (not in a syscall), where it can be
 * preempted at once? */
static int sched_user(const struct sim *s, const struct task *t)
{
    if (t->in_sys || t->pend || t->busy_until <= s->now)
        return 0;
    return t->user_run || (t->pc >= 0 && t->pc < s->p->ncode &&
                           s->p->code[t->pc].op == OP_COMPUTE && t->phase == 1);
}

/* A task now waits on CPU c: the task computing there stops at the end
 * of its slice, a tick, for the scheduler to look (it ran unbounded while
 * no one waited) */
static void sched_cut(struct sim *s, int c)
{
    int cur = cpu_curr(s, c);
    if (cur < 0 || s->tasks[cur].external)
        return;
    struct task *t = &s->tasks[cur];
    if (!sched_user(s, t))
        return;
    int64_t end = sched_slice_end(s, t);
    if (end < t->busy_until) {
        t->remain += t->busy_until - end;
        t->busy_until = end;
        t->gen++;
        sim_schedule(s, end, AG_STEP, cur, -1, 0, 0);
    }
}

int sched_select_cpu(struct sim *s, struct task *t, int initial)
{
    int n = s->p->ncpus;
    if (n == 1)
        return 0;
    int me = (int)(t - s->tasks);
    int prev = se_of(s, me)->last_cpu, waker = -1;
    if (s->waker >= 0 && s->waker != me)
        waker = s->tasks[s->waker].cpu;
    if (initial) { /* sched_balance_find_dst_cpu: the idlest CPU */
        int best = waker >= 0 ? waker : 0;
        for (int c = 0; c < n; c++)
            if (sched_nr(s, c) < sched_nr(s, best))
                best = c;
        return best;
    }
    if (prev < 0 || prev >= n)
        prev = waker >= 0 ? waker : 0;
    /* wake_affine: a sync wake-up by the only task of its CPU goes there */
    int target = waker >= 0 && sched_nr(s, waker) == 1 ? waker : prev;
    if (sched_idle(s, target)) /* select_idle_sibling */
        return target;
    if (sched_idle(s, prev))
        return prev;
    for (int c = 0; c < n; c++)
        if (sched_idle(s, c))
            return c;
    return target;
}

void sched_ready(struct sim *s, struct task *t, int initial)
{
    int me = (int)(t - s->tasks);
    t->rq = sched_select_cpu(s, t, initial);
    sched_place(s, t, initial);
    sim_emit_state(s, me, TS_READY, -1, t->rq);
    sim_cpu_kick(s);
    sched_wakeup_preempt(s, t);
}

void sched_wakeup_preempt(struct sim *s, struct task *w)
{
    int c = w->rq;
    if (s->w.tasks[w - s->tasks].state != TS_READY || c < 0 ||
        c >= s->p->ncpus || !s->cpu_busy[c])
        return; /* its CPU was idle: it runs there */
    int cur = cpu_curr(s, c);
    if (cur < 0 || s->tasks[cur].external)
        return;
    struct task *t = &s->tasks[cur];
    if (!sched_preempts(s, t)) {
        /* not now: its slice ends at a tick, then the scheduler picks */
        sched_cut(s, c);
        return;
    }
    if (sched_user(s, t)) {
        sched_preempt(s, t);
        sim_cpu_kick(s);
    } else {
        t->need_resched = 1; /* on the way back to user space */
    }
}

void sched_picked(struct sim *s, struct task *t)
{
    struct task *e = se_of(s, (int)(t - s->tasks));
    e->vprot = e->vd; /* set_protect_slice: equal slices */
}

void sched_init(struct sim *s)
{
    int f = 1, n = s->p->ncpus < 8 ? s->p->ncpus : 8;
    while (n > 1) { /* 1 + ilog2(min(cpus, 8)) */
        f++;
        n >>= 1;
    }
    s->slice = s->p->slice > 0 ? s->p->slice : 750000LL * f;
    s->tick = 1000000000LL / (s->p->hz > 0 ? s->p->hz : 250);
    s->next_balance = BALANCE_TICKS * s->tick;
}
