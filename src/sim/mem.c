/*
 * mem.c - a process's memory: its `shared` variables, assignment and
 * integer arithmetic in user space.
 *
 * A `shared` variable is a word of the process's memory.  Its threads and
 * coroutines all read and write that one word; a forked child gets its own
 * copy (fork(2) copies the address space, copy-on-write: the same values,
 * separate memory from then on).  Each word is a TQK_MEM queue of the
 * timeline whose one item is its value, so the viewer shows it and every
 * access is a MEM event.
 *
 * `x = set V` and `x = a OP b` are instructions of the program, not
 * syscalls.  On locals they take no time.  A load or a store of a shared
 * word takes `mem` ns each (the cache line travelling between CPUs), and
 * they are separate steps: `counter = counter + 1` loads the word, spends
 * the load, adds in a register, then stores.  Two threads on two CPUs that
 * load the same value before either stores both store value + 1: one
 * update is lost, the data race a lock prevents.
 *
 * Locks are glibc's (nptl/lowlevellock.c, the lll_lock that a default
 * pthread_mutex_t uses): the word is 0 free, 1 locked, 2 locked and maybe
 * waited for.  lock: compare-and-swap 0 -> 1, in user space; if that
 * fails, exchange in 2 and, while the old value was not 0, sleep in
 * futex(FUTEX_WAIT_PRIVATE, 2).  unlock: exchange in 0; if the old value
 * was 2, futex(FUTEX_WAKE_PRIVATE, 1).  So an uncontended lock makes no
 * syscall.  The sleepers of a word are a TQK_FUTEX queue (the kernel's
 * futex hash bucket, oldest first).  A thread that would sleep on a lock
 * held, through a chain of sleepers, by itself is a deadlock: Linux lets
 * them sleep forever; iosim says so in a caption and in the run's note.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGFPE_NUM 8

int mem_new(struct sim *s, int proc, int from)
{
    const struct prog_task *d = &s->p->tasks[s->tasks[proc].decl];
    if (!d->slot_shared)
        return 0;
    if (sim_charge(s, (int64_t)d->nslots * (int64_t)sizeof(struct mword)))
        return -1; /* past the memory budget: the run stops here */
    struct mword *mem = calloc((size_t)d->nslots, sizeof *mem);
    if (!mem) {
        s->failed = -ENOMEM;
        return -1;
    }
    s->tasks[proc].mem = mem;
    for (int i = 0; i < d->nslots; i++) {
        if (!d->slot_shared[i])
            continue;
        char name[160];
        snprintf(name, sizeof name, "%s (%s)", d->slot_names[i],
                 s->tl->tasks[proc].name);
        int q = tl_add_queue(s->tl, name, TQK_MEM, proc);
        if (q < 0) {
            s->failed = -ENOMEM;
            return -1;
        }
        mem[i].q = q;
        mem[i].owner = -1; /* a lock held at fork stays held, by nobody */
        mem[i].v = from >= 0 ? s->tasks[from].mem[i].v : 0;
        sim_emit(s, EV_MEM, proc, from >= 0 ? TM_COPY : TM_STORE, q, mem[i].v,
                 0);
    }
    return 0;
}

/* Operand i, read from memory: a shared word is a load (counted in *loads) */
static int64_t mem_read(struct sim *s, struct task *t,
                        const struct prog_ins *in, int i, int *loads)
{
    if (i >= in->nargs)
        return 0;
    const struct prog_arg *a = &in->a[i];
    if (a->kind != ARG_SLOT || !sim_slot_shared(t, (int)a->v))
        return sim_arg(t, in, i);
    int64_t v = *sim_slot(t, (int)a->v);
    sim_emit(s, EV_MEM, (int)(t - s->tasks), TM_LOAD, t->mem[a->v].q, v, 0);
    ++*loads;
    return v;
}

/* a OP b with the CPU's two's-complement wrap-around (no UB in iosim) */
static int64_t arith(int op, int64_t a, int64_t b)
{
    uint64_t x = (uint64_t)a, y = (uint64_t)b;
    switch (op) {
    case AR_ADD: return (int64_t)(x + y);
    case AR_SUB: return (int64_t)(x - y);
    case AR_MUL: return (int64_t)(x * y);
    case AR_DIV: return a / b;
    default: return a % b;
    }
}

/* Integer division by zero (or INT64_MIN / -1): the CPU traps (#DE) and
 * the kernel sends SIGFPE, whose default action kills the process */
static int mem_sigfpe(struct sim *s, struct task *t)
{
    int id = tl_add_str(s->tl, "Integer division by zero: the CPU raises a "
                        "divide error, the kernel sends SIGFPE, and its "
                        "default action kills the whole process (a shell "
                        "prints \"Floating point exception\").");
    if (id < 0) {
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    sim_emit(s, EV_CAPTION, (int)(t - s->tasks), 0, -1, id, 0);
    sim_kill_process(s, t, SIGFPE_NUM);
    return GO_EXITED;
}

/*
 * x = set V and x = a OP b.  Phase 0 reads the operands (loads of shared
 * words take `mem` each), phase 1 stores the result (a shared word: a
 * store taking `mem`), phase 2 goes on.
 */
static int op_assign(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->phase == 0) {
        int loads = 0;
        int64_t v = mem_read(s, t, in, 0, &loads);
        if (in->op == OP_ARITH) {
            int64_t b = mem_read(s, t, in, 1, &loads);
            if ((in->flags == AR_DIV || in->flags == AR_MOD) &&
                (b == 0 || (v == INT64_MIN && b == -1)))
                return mem_sigfpe(s, t);
            v = arith(in->flags, v, b);
        }
        t->ret = v;
        if (loads) {
            t->phase = 1;
            t->busy_ns = sat_mul(loads, s->p->cost.mem);
            return GO_BUSY;
        }
        t->phase = 1;
    }
    if (t->phase == 1) {
        sim_set_dst(s, t, in->dst, t->ret);
        if (in->dst >= 0 && sim_slot_shared(t, in->dst)) {
            t->phase = 2;
            t->busy_ns = s->p->cost.mem;
            return GO_BUSY;
        }
    }
    t->phase = 0;
    t->pc++;
    return GO_NEXT;
}

/* ---- locks: glibc's lowlevellock over futex(2) ---- */

enum { LK_CAS, LK_XCHG, LK_WAIT, LK_WOKEN, LK_DONE };

static struct mword *lock_word(struct task *t, const struct prog_ins *in)
{
    return &t->mem[in->a[0].v];
}

/* An atomic read-modify-write of the word (lock cmpxchg / xchg): a load
 * and, if it changes, a store; `mem` of CPU time */
static int64_t mem_rmw(struct sim *s, struct task *t, struct mword *w,
                       int64_t expect, int64_t v, int cas)
{
    int me = (int)(t - s->tasks);
    int64_t old = w->v;
    if (!cas || old == expect)
        w->v = v;
    sim_emit(s, EV_MEM, me, cas ? TM_CAS : TM_XCHG, w->q, w->v, old);
    t->busy_ns = s->p->cost.mem;
    return old;
}

static int futex_queue(struct sim *s, struct task *t, struct mword *w,
                       int slot)
{
    if (w->futexq)
        return w->futexq - 1;
    char name[160];
    snprintf(name, sizeof name, "futex %s (%s)",
             s->p->tasks[t->decl].slot_names[slot], s->tl->tasks[t->proc].name);
    int q = tl_add_queue(s->tl, name, TQK_FUTEX, t->proc);
    if (q < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    w->futexq = q + 1;
    return q;
}

/* me is about to sleep on slot's lock: follow "held by X, who sleeps on a
 * lock held by Y ..." and say so if the chain comes back to me */
static void deadlock_check(struct sim *s, struct task *t, int slot)
{
    int me = (int)(t - s->tasks);
    char msg[480];
    int n = snprintf(msg, sizeof msg, "Deadlock: ");
    int cur = me, sl = slot;
    for (int steps = 0; steps <= s->ntasks && steps < 64; steps++) {
        struct task *c = &s->tasks[cur];
        struct mword *w = &c->mem[sl];
        int owner = w->owner;
        if (owner < 0 || owner >= s->ntasks)
            return;
        const char *wn = s->p->tasks[c->decl].slot_names[sl];
        if (n > 0 && (size_t)n < sizeof msg)
            n += snprintf(msg + n, sizeof msg - (size_t)n,
                          "%s%s waits for %s, held by %s", steps ? "; " : "",
                          s->tl->tasks[cur].name, wn, s->tl->tasks[owner].name);
        if (owner == me)
            break;
        struct task *o = &s->tasks[owner];
        if (o->exited || o->futex_slot < 0 || o->mem != c->mem ||
            s->w.tasks[owner].state != TS_BLOCKED)
            return;
        cur = owner;
        sl = o->futex_slot;
        if (steps == 63)
            return;
    }
    if (n > 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n, ". None can go on, and Linux "
                 "does not notice: each sleeps in futex(FUTEX_WAIT) forever (a "
                 "default pthread mutex never checks). Taking locks in one "
                 "order everywhere prevents it.");
    int id = tl_add_str(s->tl, msg);
    if (id < 0) {
        s->failed = -ENOMEM;
        return;
    }
    sim_emit(s, EV_CAPTION, me, 0, -1, id, 0);
    if (!s->tl->note)
        tl_set_str(&s->tl->note, msg);
}

static int futex_wake(struct sim *s, struct task *t, struct mword *w, int n);

static int op_lock(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int me = (int)(t - s->tasks), slot = (int)in->a[0].v;
    struct mword *w = lock_word(t, in);
    switch (t->phase) {
    case LK_CAS: /* lll_lock: the fast path */
        if (mem_rmw(s, t, w, 0, 1, 1) == 0) {
            w->owner = me;
            t->phase = LK_DONE;
        } else {
            t->phase = w->v == 2 ? LK_WAIT : LK_XCHG;
        }
        return GO_BUSY;
    case LK_XCHG: /* __lll_lock_wait: mark it waited for */
        if (mem_rmw(s, t, w, 0, 2, 0) == 0) {
            w->owner = me;
            t->phase = LK_DONE;
        } else {
            t->phase = LK_WAIT;
        }
        return GO_BUSY;
    case LK_WAIT: /* futex(FUTEX_WAIT_PRIVATE, 2): sleep while it is 2 */
        if (!t->in_sys) {
            sim_sys_enter(s, t, SYS_FUTEX, -1, TL_FUTEX_WAIT | 2);
            t->advance = 1;
            if (w->v != 2) /* changed before the kernel looked */
                return sim_sys_return(s, t, -EAGAIN,
                                      sat_add(s->p->cost.syscall,
                                              s->p->cost.futex));
            int q = futex_queue(s, t, w, slot);
            if (q < 0)
                return GO_FAIL;
            sim_emit(s, EV_QUEUE, me, TQ_PUSH, q, me, 0);
            t->futex_slot = slot;
            t->futex_woken = 0;
            deadlock_check(s, t, slot);
            return sim_block(s, t, TW_FUTEX, -1);
        }
        t->futex_slot = -1;
        return sim_sys_return(s, t, 0, sat_add(s->p->cost.syscall,
                                               s->p->cost.futex));
    case LK_WOKEN: /* back from futex(): try again */
        t->phase = LK_XCHG;
        return GO_NEXT;
    default:
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
}

static int op_unlock(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct mword *w = lock_word(t, in);
    switch (t->phase) {
    case 0: /* lll_unlock: exchange in 0 */
        w->owner = -1;
        t->phase = mem_rmw(s, t, w, 0, 0, 0) > 1 ? 1 : 2;
        return GO_BUSY;
    case 1: { /* there were waiters: futex(FUTEX_WAKE_PRIVATE, 1) */
        sim_sys_enter(s, t, SYS_FUTEX, -1, TL_FUTEX_WAKE | 1);
        int n = futex_wake(s, t, w, 1);
        t->advance = 1;
        return sim_sys_return(s, t, n, sat_add(s->p->cost.syscall,
                                               s->p->cost.futex));
    }
    default:
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
}

/* Sleep in futex(FUTEX_WAIT_PRIVATE, val) on the word of in->a[0], in its
 * queue already (the caller put it there); returns once woken */
static int futex_sleep(struct sim *s, struct task *t, const struct prog_ins *in,
                       int64_t val)
{
    int64_t cost = sat_add(s->p->cost.syscall, s->p->cost.futex);
    if (!t->in_sys) {
        sim_sys_enter(s, t, SYS_FUTEX, -1, TL_FUTEX_WAIT | (uint32_t)val);
        t->advance = 1;
        if (t->futex_woken) /* signalled before it slept: the word moved */
            return sim_sys_return(s, t, -EAGAIN, cost);
        t->futex_slot = (int)in->a[0].v;
        return sim_block(s, t, TW_FUTEX, -1);
    }
    t->futex_slot = -1;
    return sim_sys_return(s, t, 0, cost);
}

/* Take up to n sleepers off word w's queue (oldest first) and wake them */
static int futex_wake(struct sim *s, struct task *t, struct mword *w, int n)
{
    int woken = 0;
    while (woken < n && w->futexq && sim_qlen(s, w->futexq - 1) > 0) {
        int q = w->futexq - 1, k = (int)s->w.queues[q].items[0];
        sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_POP, q, k, 0);
        s->tasks[k].futex_woken = 1;
        sim_wake(s, &s->tasks[k]);
        woken++;
    }
    return woken;
}

/* One atomic add to word w (lock xadd): an XCHG event, `mem` */
static void mem_add(struct sim *s, struct task *t, struct mword *w, int64_t d)
{
    int64_t old = w->v;
    w->v = (int64_t)((uint64_t)old + (uint64_t)d);
    sim_emit(s, EV_MEM, (int)(t - s->tasks), TM_XCHG, w->q, w->v, old);
    t->busy_ns = s->p->cost.mem;
}

/*
 * cond_wait C M (then a LOCK M): C's word counts its waiters, who are in
 * its futex queue from the moment they join (so a signal between the
 * unlock and the sleep is not lost: the sleep then returns EAGAIN, as
 * glibc's futex_wait does when the word has moved).
 */
static int op_cond_wait(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int me = (int)(t - s->tasks);
    struct mword *c = &t->mem[in->a[0].v], *m = &t->mem[in->a[1].v];
    switch (t->phase) {
    case 0: { /* join the waiters */
        int q = futex_queue(s, t, c, (int)in->a[0].v);
        if (q < 0)
            return GO_FAIL;
        mem_add(s, t, c, 1);
        sim_emit(s, EV_QUEUE, me, TQ_PUSH, q, me, 0);
        t->futex_woken = 0;
        t->phase = 1;
        return GO_BUSY;
    }
    case 1: /* unlock M */
        m->owner = -1;
        t->phase = mem_rmw(s, t, m, 0, 0, 0) > 1 ? 2 : 3;
        return GO_BUSY;
    case 2: /* M had waiters: wake one */
        if (!t->in_sys) {
            sim_sys_enter(s, t, SYS_FUTEX, -1, TL_FUTEX_WAKE | 1);
            t->advance = 1;
            return sim_sys_return(s, t, futex_wake(s, t, m, 1),
                                  sat_add(s->p->cost.syscall,
                                          s->p->cost.futex));
        }
        return GO_NEXT;
    case 3: /* sleep until signalled */
        return futex_sleep(s, t, in, c->v);
    default: /* then the LOCK M that follows */
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
}

/* cond_signal C / cond_broadcast C: no waiter, no syscall */
static int op_cond_signal(struct sim *s, struct task *t,
                          const struct prog_ins *in)
{
    struct mword *c = &t->mem[in->a[0].v];
    int all = in->op == OP_COND_BROADCAST;
    switch (t->phase) {
    case 0: {
        int me = (int)(t - s->tasks);
        sim_emit(s, EV_MEM, me, TM_LOAD, c->q, c->v, 0);
        t->busy_ns = s->p->cost.mem;
        t->phase = c->v > 0 ? 1 : 2;
        return GO_BUSY;
    }
    case 1: {
        sim_sys_enter(s, t, SYS_FUTEX, -1,
                      TL_FUTEX_WAKE | (all ? 2147483647 : 1));
        int n = futex_wake(s, t, c, all ? 2147483647 : 1);
        c->v -= n;
        sim_emit(s, EV_MEM, (int)(t - s->tasks), TM_STORE, c->q, c->v, 0);
        t->advance = 1;
        return sim_sys_return(s, t, n, sat_add(s->p->cost.syscall,
                                               s->p->cost.futex));
    }
    default:
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
}

/* sem_wait S: decrement if positive (lock cmpxchg), else sleep until a
 * sem_post, then try again.  sem_post S: increment; wake one sleeper. */
static int op_sem(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int me = (int)(t - s->tasks), slot = (int)in->a[0].v;
    struct mword *w = &t->mem[slot];
    if (in->op == OP_SEM_POST) {
        switch (t->phase) {
        case 0:
            mem_add(s, t, w, 1);
            t->phase = w->futexq && sim_qlen(s, w->futexq - 1) > 0 ? 1 : 2;
            return GO_BUSY;
        case 1:
            sim_sys_enter(s, t, SYS_FUTEX, -1, TL_FUTEX_WAKE | 1);
            t->advance = 1;
            return sim_sys_return(s, t, futex_wake(s, t, w, 1),
                                  sat_add(s->p->cost.syscall,
                                          s->p->cost.futex));
        default:
            t->phase = 0;
            t->pc++;
            return GO_NEXT;
        }
    }
    switch (t->phase) {
    case 0:
        if (w->v > 0) {
            mem_rmw(s, t, w, w->v, w->v - 1, 1);
            t->phase = 3;
            return GO_BUSY;
        }
        sim_emit(s, EV_MEM, me, TM_LOAD, w->q, w->v, 0);
        t->busy_ns = s->p->cost.mem;
        t->phase = 1;
        return GO_BUSY;
    case 1: {
        int q = futex_queue(s, t, w, slot);
        if (q < 0)
            return GO_FAIL;
        if (!t->in_sys) { /* the kernel checks the word is still 0 */
            t->futex_woken = w->v != 0;
            if (!t->futex_woken)
                sim_emit(s, EV_QUEUE, me, TQ_PUSH, q, me, 0);
        }
        return futex_sleep(s, t, in, 0);
    }
    case 2: /* woken: try again */
        t->phase = 0;
        return GO_NEXT;
    default:
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
}

static int mem_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_LOCK: return op_lock(s, t, in);
    case OP_UNLOCK: return op_unlock(s, t, in);
    case OP_COND_WAIT: return op_cond_wait(s, t, in);
    case OP_COND_SIGNAL: case OP_COND_BROADCAST:
        return op_cond_signal(s, t, in);
    case OP_SEM_WAIT: case OP_SEM_POST: return op_sem(s, t, in);
    default: return op_assign(s, t, in);
    }
}

const struct mux_ops mux_mem_ops = {
    .name = "mem",
    .ops = {OP_SET, OP_ARITH, OP_LOCK, OP_UNLOCK, OP_COND_WAIT, OP_COND_SIGNAL,
            OP_COND_BROADCAST, OP_SEM_WAIT, OP_SEM_POST, OP__COUNT},
    .exec = mem_exec,
};
