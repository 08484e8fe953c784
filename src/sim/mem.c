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
    int64_t *mem = calloc((size_t)d->nslots, sizeof *mem);
    int32_t *memq = calloc((size_t)d->nslots, sizeof *memq);
    if (!mem || !memq) {
        free(mem);
        free(memq);
        s->failed = -ENOMEM;
        return -1;
    }
    struct task *t = &s->tasks[proc];
    t->mem = mem;
    t->memq = memq;
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
        memq[i] = q;
        mem[i] = from >= 0 ? s->tasks[from].mem[i] : 0;
        sim_emit(s, EV_MEM, proc, from >= 0 ? TM_COPY : TM_STORE, q, mem[i],
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
    sim_emit(s, EV_MEM, (int)(t - s->tasks), TM_LOAD, t->memq[a->v], v, 0);
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

static int mem_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    return op_assign(s, t, in);
}

const struct mux_ops mux_mem_ops = {
    .name = "mem",
    .ops = {OP_SET, OP_ARITH, OP__COUNT},
    .exec = mem_exec,
};
