/*
 * proc.c - processes and threads: creating them (fork, pthread_create),
 * their end (exit, exit_group, a fatal signal: every thread of the process
 * goes and every fd is closed), waiting for them (wait4, pthread_join),
 * and the operations that use time without I/O (compute, sleep) or none
 * (say).
 */
#include "sim/sim_int.h"
#include "tl/text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_TASKS 40000 /* docs/scenario-language.md, "Limits" */

/* ---- task names: unique in the viewer and the exports ---- */

static uint32_t name_hash(const char *n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *n; n++)
        h = (h ^ (uint8_t)*n) * 16777619u;
    return h;
}

/* Is a task already called n?  (an open-addressing set of task ids, by
 * name; every task is in it, see proc_task_new) */
static int name_taken(const struct sim *s, const char *n)
{
    if (!s->namecap)
        return 0;
    for (uint32_t i = name_hash(n) & (s->namecap - 1);; i = (i + 1) & (s->namecap - 1)) {
        int id = s->names[i];
        if (id < 0)
            return 0;
        if (!strcmp(s->tl->tasks[id].name, n))
            return 1;
    }
}

static int name_add(struct sim *s, int id)
{
    if (2 * (s->nnames + 1) > s->namecap) {
        uint32_t cap = s->namecap ? s->namecap * 2 : 64;
        int32_t *v = malloc(cap * sizeof *v);
        if (!v)
            return -1;
        memset(v, 0xff, cap * sizeof *v);
        for (uint32_t k = 0; k < s->namecap; k++) {
            int old = s->names[k];
            if (old < 0)
                continue;
            uint32_t i = name_hash(s->tl->tasks[old].name) & (cap - 1);
            while (v[i] >= 0)
                i = (i + 1) & (cap - 1);
            v[i] = old;
        }
        free(s->names);
        s->names = v;
        s->namecap = cap;
    }
    uint32_t i = name_hash(s->tl->tasks[id].name) & (s->namecap - 1);
    while (s->names[i] >= 0)
        i = (i + 1) & (s->namecap - 1);
    s->names[i] = id;
    s->nnames++;
    return 0;
}

/* base, or base2, base3, ... whichever no task has yet; the instruction
 * at pc remembers the number it gave last, so a loop making 40,000 tasks
 * does not try every number again */
static const char *unique_name(struct sim *s, int pc, const char *base,
                               char *buf, size_t n)
{
    int k = s->pc_names[pc];
    if (k)
        snprintf(buf, n, "%s%d", base, ++k);
    else
        snprintf(buf, n, "%s", base), k = 1;
    while (name_taken(s, buf))
        snprintf(buf, n, "%s%d", base, ++k);
    s->pc_names[pc] = k;
    return buf;
}

/* The name a scenario chose for a fork, thread or coroutine (`thread
 * worker {`): "worker" for a child process, "server/worker" for a thread
 * or coroutine of process server; made unique with a number; NULL if none */
static const char *chosen_name(struct sim *s, const struct task *t,
                               const struct prog_ins *in, int process,
                               char *buf, size_t n)
{
    if (in->nargs < 1 || in->a[0].kind != ARG_CONST || in->a[0].v < 0 ||
        in->a[0].v >= s->p->nstrs)
        return NULL;
    char base[128];
    if (process)
        snprintf(base, sizeof base, "%s", s->p->strs[in->a[0].v]);
    else
        snprintf(base, sizeof base, "%s/%s", s->tl->tasks[t->proc].name,
                 s->p->strs[in->a[0].v]);
    return unique_name(s, t->pc, base, buf, n);
}

const char *proc_name_unique(struct sim *s, int pc, const char *base,
                             char *buf, size_t n)
{
    return unique_name(s, pc, base, buf, n);
}

int proc_task_new(struct sim *s, const char *name, int kind, int decl,
                    int parent, int proc, int external)
{
    return proc_task_new_in(s, name, kind, decl, parent, proc, external,
                            s->p->tasks[decl].script);
}

int proc_task_new_in(struct sim *s, const char *name, int kind, int decl,
                     int parent, int proc, int external, int script)
{
    if (sim_charge(s, (int64_t)s->p->tasks[decl].nslots * (int64_t)sizeof(int64_t) +
                          (int64_t)sizeof(struct task)))
        return -1; /* past the memory budget: the run stops here */
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
    if (d->name_slot >= 0) /* a program starts as __main__ */
        t->slots[d->name_slot] = s->p->mod_main;
    t->decl = decl;
    t->pc = d->entry;
    t->proc = proc < 0 ? id : proc;
    t->parent = parent;
    t->block_end = -1;
    t->next_waiter = TASK_NONE;
    t->wait_obj = -1;
    t->tmo_at = -1;
    t->co_parent = t->co_caller = t->co_dst = -1;
    t->joiner = -1;
    t->waiting_for = -1;
    t->futex_slot = -1;
    t->next_thread = -1;
    t->kthread = id;
    t->next_co = -1;
    t->last_co = -1;
    t->cpu = -1;
    t->reserved = -1;
    t->external = (uint8_t)external;
    t->id = PID_BASE + id;
    if (proc < 0) { /* a process: its parent's fd limit, or the machine's */
        const struct task *pp = parent >= 0 ? &s->tasks[s->tasks[parent].proc]
                                            : NULL;
        t->nofile_cur = pp ? pp->nofile_cur : s->p->nofile;
        t->nofile_max = pp ? pp->nofile_max
                           : s->p->nofile > TL_NOFILE_HARD ? s->p->nofile
                                                           : TL_NOFILE_HARD;
    }
    t->shared = d->slot_shared;
    t->gil_phase = -1;
    t->mp_target = t->mp_child = -1;
    if (proc >= 0) { /* a thread or coroutine: the process's memory */
        t->mem = s->tasks[proc].mem;
        t->gil = s->tasks[proc].gil;
    }
    if (name_add(s, id)) {
        s->failed = -ENOMEM;
        return -1;
    }
    sim_emit(s, EV_TASK_NEW, id, kind, -1, parent, 0);
    return id;
}

int64_t sim_mmap_addr(struct sim *s, struct task *t, int64_t len)
{
    (void)s;
    struct task *p = &s->tasks[t->proc];
    if (!p->mmap_top)
        p->mmap_top = 0x7f5c3e400000LL; /* any page-aligned mmap_base */
    p->mmap_top -= (len + 4095) / 4096 * 4096;
    return p->mmap_top;
}

/* fds 0, 1 and 2: the machine's terminal, or for a peer the terminal of
 * its own host (one object stands for all of them) */
void proc_give_stdio(struct sim *s, int proc)
{
    int tty = s->tty;
    if (s->tasks[proc].external) {
        if (s->peer_tty < 0)
            s->peer_tty = sim_obj_new(s, OK_TTY, 0, 0, -1, -1);
        tty = s->peer_tty;
    }
    for (int fd = 0; fd < 3; fd++)
        sim_emit(s, EV_FD_OPEN, proc, 0, tty, fd, 0);
}

/* dead has exited: wake its parent in wait4() and its joiners */
static void proc_wake_waiters(struct sim *s, int dead)
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

/* Does t's end leave a zombie?  A process (its first task) forked by a
 * process of the machine that is still alive; a declared process's parent
 * is the shell, which reaps it at once, and an orphan's is init, which
 * does the same */
static int proc_leaves_zombie(const struct sim *s, const struct task *t)
{
    int me = (int)(t - s->tasks);
    return t->proc == me && !t->is_thread && !t->is_coroutine &&
           t->parent >= 0 && !s->tasks[t->parent].exited;
}

/* t's end as a state: a zombie until its parent's wait4, or gone */
static void proc_task_state(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    if (proc_leaves_zombie(s, t)) {
        sim_emit_state(s, me, TS_ZOMBIE, -1, t->code);
    } else if (t->parent == TL_REAP_INIT && t->proc == me) {
        t->reaped = 1; /* init waits for its children at once */
        sim_emit_state(s, me, TS_EXITED, TL_REAP_INIT, t->code);
    } else {
        sim_emit_state(s, me, TS_EXITED, -1, t->code);
    }
}

/* t stops running; its state is told now, or by the caller (state 0) */
static void proc_task_end(struct sim *s, struct task *t, int code, int state)
{
    if (t->exited)
        return;
    sim_waiter_unlink(s, t);
    t->gen++;
    t->exited = 1;
    t->code = code;
    t->in_sys = 0;
    t->pend = 0;
    if (t->reserved >= 0) {
        s->cpu_busy[t->reserved] = 0;
        t->reserved = -1;
    }
    if (state)
        proc_task_state(s, t);
    sim_cpu_release(s, t);
}

static void proc_task_kill(struct sim *s, struct task *t, int code)
{
    proc_task_end(s, t, code, 1);
}

/* proc is gone: its children are adopted by init (pid 1, or a subreaper
 * in Linux), which reaps the zombies among them at once */
static void proc_orphans(struct sim *s, int proc)
{
    if (!s->tasks[proc].nchildren)
        return;
    for (int i = 0; i < s->ntasks; i++) {
        struct task *c = &s->tasks[i];
        if (c->parent != proc || c->proc != i || c->is_thread ||
            c->is_coroutine || c->reaped)
            continue;
        c->parent = TL_REAP_INIT;
        s->tasks[proc].nchildren--;
        sim_emit(s, EV_REPARENT, i, 0, -1, -1, 0);
        if (c->exited) {
            c->reaped = 1;
            sim_emit_state(s, i, TS_EXITED, TL_REAP_INIT_ZOMBIE, c->code);
        }
    }
}

/* exit_group, in do_exit's order (kernel/exit.c): every thread ends, and
 * the last one's exit_files closes every fd (each file's release, a pipe's
 * last writer or a socket's FIN, runs then, in exit_task_work); only then
 * exit_notify gives the children to init, makes the process a zombie and
 * sends its parent SIGCHLD, which wakes a wait4.  So a peer sees the EOF
 * before the parent learns of the exit. */
static void proc_exit(struct sim *s, struct task *t, int code, int sig)
{
    int proc = t->proc;
    struct task *p = &s->tasks[proc];
    int zombie = proc_leaves_zombie(s, p);
    for (int i = p->next_thread; i >= 0; i = s->tasks[i].next_thread)
        proc_task_kill(s, &s->tasks[i], code);
    int told = !p->exited; /* the leader's state comes after its files */
    p->term_sig = (uint8_t)sig;
    proc_task_end(s, p, code, 0);
    for (int fd = s->w.procs[proc].nfds - 1; fd >= 0; fd--)
        if (fd < s->w.procs[proc].nfds && s->w.procs[proc].fds[fd].obj >= 0)
            net_fd_close(s, proc, fd);
    proc_orphans(s, proc);
    p = &s->tasks[proc];
    if (told)
        proc_task_state(s, p);
    if (zombie) { /* the parent is told; SIGCHLD's default action ignores
                     it, a fork server's handler wakes its loop */
        int64_t info = TL_CHLD_INFO(p->id, sig ? sig : code, sig);
        if (!fsrv_sigchld(s, p->parent, info))
            sim_emit(s, EV_SIGNAL, p->parent, 3, -1, TL_SIGCHLD, info);
    }
    for (int i = proc; i >= 0; i = s->tasks[i].next_thread)
        proc_wake_waiters(s, i);
    sim_cpu_kick(s);
}

void sim_kill_process(struct sim *s, struct task *t, int sig)
{
    sim_emit(s, EV_SIGNAL, (int)(t - s->tasks), 0, -1, sig, 0);
    proc_exit(s, t, 128 + sig, sig);
}

/* "server.2" for a child process, "server/t1" for a thread, "server/co1"
 * for a coroutine */
static const char *child_name(struct sim *s, const struct task *parent,
                              const char *sep, char *buf, size_t n)
{
    int k = ++s->decl_children[parent->decl];
    snprintf(buf, n, "%s%s%d", s->tl->tasks[parent->proc].name, sep, k);
    return buf;
}

static int op_compute(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->gil) { /* Python code: only with the GIL */
        int r = gil_compute(s, t);
        if (r >= 0)
            return r;
    }
    if (!t->phase) {
        t->remain = sim_arg(t, in, 0);
        t->phase = 1;
    }
    if (t->remain <= 0) {
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
    return sched_user_chunk(s, t);
}

static int op_sleep(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t d = sim_arg(t, in, 0);
    if (!t->in_sys && d >= 0) { /* patched: gevent.sleep, a timer watcher */
        int r = hub_sleep(s, t, d);
        if (r >= 0)
            return r;
    }
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

/* ---- coroutines: user-space tasks taking turns on one kernel thread ---- */

/* The coroutine after task i in its thread's ring (the thread itself comes
 * first, then its coroutines in the order they were made) */
static int co_succ(const struct sim *s, int i)
{
    return s->tasks[i].next_co >= 0 ? s->tasks[i].next_co : s->tasks[i].kthread;
}

/* The next suspended coroutine of me's thread, after me; -1 if none
 * (generators run only from next/send, never from the ring) */
static int co_next(const struct sim *s, int me)
{
    for (int i = co_succ(s, me); i != me; i = co_succ(s, i))
        if (s->w.tasks[i].state == TS_SUSPENDED && !s->tasks[i].exited &&
            !s->tasks[i].is_gen)
            return i;
    return -1;
}

/* The CPU that ran `from` (now suspended or finished) runs `to`: a switch
 * in user space, with no kernel involved, costing co_switch */
void proc_co_handover(struct sim *s, int cpu, int to)
{
    struct task *n = &s->tasks[to];
    n->cpu = cpu;
    s->cpu_last[cpu] = to;
    n->gen++;
    sim_emit_state(s, to, TS_RUNNING, -1, cpu);
    sim_schedule(s, sim_at(s, s->p->cost.co_switch), AG_STEP, to, -1, 0, 0);
}

static int op_coroutine(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->external)
        return sim_fail(s, in, "coroutines run in processes, not in peers");
    if (s->ntasks >= SIM_MAX_TASKS)
        return sim_fail(s, in, "more than %d tasks: this coroutine creation "
                        "runs without end", SIM_MAX_TASKS);
    int me = (int)(t - s->tasks), host = t->kthread;
    char name[160], base[128]; /* its chosen name, or its variable's: app/a */
    const struct prog_task *d = &s->p->tasks[t->decl];
    if (chosen_name(s, t, in, 0, name, sizeof name))
        ;
    else if (in->dst >= 0 && in->dst < d->nslots && d->slot_names[in->dst]) {
        snprintf(base, sizeof base, "%s/%s", s->tl->tasks[t->proc].name,
                 d->slot_names[in->dst]);
        unique_name(s, t->pc, base, name, sizeof name);
    } else
        child_name(s, t, "/co", name, sizeof name);
    int c = proc_task_new(s, name, TK_COROUTINE, t->decl, host, t->proc, 0);
    if (c < 0)
        return GO_FAIL;
    t = &s->tasks[me];
    struct task *ch = &s->tasks[c];
    memcpy(ch->slots, t->slots,
           (size_t)(s->p->tasks[t->decl].nslots) * sizeof *ch->slots);
    ch->pc = t->pc + 1;
    if (in->dst >= 0 && !sim_slot_shared(ch, in->dst))
        ch->slots[in->dst] = 0;
    ch->block_end = in->jump;
    ch->is_coroutine = 1;
    ch->is_gen = in->op == OP_GENERATOR;
    ch->co_parent = me;
    ch->kthread = host;
    /* the ring keeps the order they were made: append at its tail */
    int last = s->tasks[host].last_co >= 0 ? s->tasks[host].last_co : host;
    s->tasks[last].next_co = c;
    s->tasks[host].last_co = c;
    ch->next_thread = s->tasks[t->proc].next_thread; /* dies with the process */
    s->tasks[t->proc].next_thread = c;
    /* a generator is created and runs nothing ("new": GEN_CREATED) */
    sim_emit_state(s, c, ch->is_gen ? TS_NEW : TS_SUSPENDED, -1, 0);
    sim_set_dst(s, t, in->dst, ch->id);
    t->pc = in->jump;
    t->busy_ns = s->p->cost.co_create; /* user-space work, on the CPU */
    if (hub_spawned(s, t, c) < 0) /* gevent.spawn: the hub starts it */
        return GO_FAIL;
    return GO_BUSY;
}

static int op_yield(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->is_gen)
        return coro_gen_yield(s, t, in);
    int r = hub_sleep(s, t, 0); /* patched: gevent.sleep(0) */
    if (r >= 0)
        return r;
    int me = (int)(t - s->tasks);
    t->pc++; /* the yield is over when this coroutine is switched back to */
    int to = co_next(s, me);
    if (to < 0 || t->cpu < 0)
        return GO_NEXT; /* no other coroutine can run: go on */
    int cpu = t->cpu;
    t->cpu = -1;
    sim_emit_state(s, me, TS_SUSPENDED, -1, 0);
    proc_co_handover(s, cpu, to);
    return GO_BLOCKED; /* this one stops here, in user space */
}

/* A coroutine's block is done: it is finished, the next one runs */
static int co_finish(struct sim *s, struct task *t, int code)
{
    int me = (int)(t - s->tasks), cpu = t->cpu;
    hub_greenlet_done(s, t);
    int to = coro_finish_to(s, t);
    if (to < 0)
        to = co_next(s, me);
    t->exited = 1;
    t->gen++;
    t->cpu = -1;
    sim_emit_state(s, me, TS_EXITED, -1, code);
    if (to >= 0 && cpu >= 0) {
        proc_co_handover(s, cpu, to);
    } else if (cpu >= 0) {
        sched_off(s, t);
        s->cpu_busy[cpu] = 0;
        sim_cpu_kick(s);
    }
    return GO_EXITED;
}

static int op_exit(struct sim *s, struct task *t, const struct prog_ins *in)
{
    /* the syscall takes an int (a C caller's value is cut to 32 bits), and
     * the status a parent sees keeps its low 8 bits: do_group_exit((code &
     * 0xff) << 8), so exit(257) is "exited with 1" */
    int code = (int)(uint32_t)(uint64_t)sim_arg(t, in, 0);
    int status = code & 0xff;
    int me = (int)(t - s->tasks);
    if (t->is_coroutine && t->pc == t->block_end - 1)
        return co_finish(s, t, code);
    if (t->mp_target >= 0 && in->op == OP_EXIT && in->nargs == 0 &&
        t->pc == s->p->tasks[t->decl].end)
        return mp_main_done(s, t); /* the main module imported: the target */
    if (t->is_thread && t->pc == t->block_end - 1) { /* thread returns */
        sim_sys_enter(s, t, SYS_EXIT, -1, code);
        for (int c = t->next_co; c >= 0; c = s->tasks[c].next_co)
            proc_task_kill(s, &s->tasks[c], status); /* its coroutines go too */
        t = &s->tasks[me];
        proc_task_kill(s, t, status);
        proc_wake_waiters(s, me);
        sim_cpu_kick(s);
        return GO_EXITED;
    }
    sim_sys_enter(s, t, SYS_EXIT_GROUP, -1, code);
    proc_exit(s, t, status, 0);
    return GO_EXITED;
}

int proc_child_new(struct sim *s, struct task *t, const struct prog_ins *in,
                   int how)
{
    int thread = how == PROC_THREAD;
    if (s->ntasks >= SIM_MAX_TASKS)
        return sim_fail(s, in, "more than %d tasks: this %s runs without end "
                        "(a fork bomb?); the limit keeps the timeline viewable",
                        SIM_MAX_TASKS, thread ? "thread creation" : "fork"),
               -1;
    char name[160];
    if (!chosen_name(s, t, in, !thread, name, sizeof name))
        child_name(s, t, thread ? "/t" : ".", name, sizeof name);
    int me = (int)(t - s->tasks);
    int kind = t->external ? TK_PEER : thread ? TK_THREAD : TK_PROCESS;
    /* a forked child's parent is the process (any of its threads may
     * wait for it); a thread's is the thread that made it */
    int c = proc_task_new(s, name, kind, t->decl, thread ? me : t->proc,
                     thread ? t->proc : -1,
                     t->external);
    if (c < 0)
        return -1;
    t = &s->tasks[me]; /* the task array may have moved */
    struct task *ch = &s->tasks[c];
    memcpy(ch->slots, t->slots,
           (size_t)(s->p->tasks[t->decl].nslots) * sizeof *ch->slots);
    ch->pc = t->pc + 1;
    /* fork copies the memory, and the child's interpreter has its own
     * GIL; a vfork child borrows its parent's memory until it execs */
    if (how == PROC_FORK && (mem_new(s, c, t->proc) || gil_new(s, c)))
        return -1;
    if (!thread)
        s->tasks[s->tasks[me].proc].nchildren++;
    t = &s->tasks[me];
    ch = &s->tasks[c];
    if (in->dst >= 0 && (!thread || !sim_slot_shared(ch, in->dst)))
        sim_set_dst(s, ch, in->dst, 0); /* fork() returns 0 in the child */
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
        sim_emit_state(s, c, TS_RUNNING, -1, -1);
        sim_schedule(s, s->now, AG_RUN, c, -1, 0, -1);
    } else {
        sched_ready(s, ch, 1);
    }
    return c;
}

static int op_spawn(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int thread = in->op == OP_THREAD;
    int me = (int)(t - s->tasks);
    sim_sys_enter(s, t, thread ? SYS_CLONE3 : SYS_CLONE, -1, 0);
    int c = proc_child_new(s, t, in, thread ? PROC_THREAD : PROC_FORK);
    if (c < 0)
        return GO_FAIL;
    t = &s->tasks[me];
    return sim_sys_return(s, t, s->tasks[c].id,
                          sat_add(s->p->cost.syscall,
                                  thread ? s->p->cost.thread : s->p->cost.fork));
}

int proc_feeder_new(struct sim *s, struct task *t, const char *name, int pc,
                    int script)
{
    if (s->ntasks >= SIM_MAX_TASKS)
        return sim_fail(s, &s->p->code[t->pc], "more than %d tasks",
                        SIM_MAX_TASKS), -1;
    char base[160], nm[160];
    snprintf(base, sizeof base, "%s/%s", s->tl->tasks[t->proc].name, name);
    if (name_taken(s, base))
        unique_name(s, t->pc, base, nm, sizeof nm);
    else
        snprintf(nm, sizeof nm, "%s", base);
    int me = (int)(t - s->tasks);
    int c = proc_task_new(s, nm, TK_THREAD, t->decl, me, t->proc, 0);
    if (c < 0)
        return -1;
    t = &s->tasks[me];
    struct task *ch = &s->tasks[c];
    s->tl->tasks[c].script = s->script + 1 + script;
    ch->pc = pc;
    ch->block_end = -1;
    ch->is_thread = 1;
    ch->next_thread = s->tasks[t->proc].next_thread;
    s->tasks[t->proc].next_thread = c;
    sched_ready(s, ch, 1); /* wake_up_new_task: select_task_rq first */
    return c;
}

static int fork_new(struct sim *s, struct task *t, const char *name, int pc,
                    int script, int vfork)
{
    if (s->ntasks >= SIM_MAX_TASKS)
        return sim_fail(s, &s->p->code[t->pc], "more than %d tasks",
                        SIM_MAX_TASKS), -1;
    char nm[160];
    if (name_taken(s, name))
        unique_name(s, t->pc, name, nm, sizeof nm);
    else
        snprintf(nm, sizeof nm, "%s", name);
    int me = (int)(t - s->tasks);
    int c = proc_task_new(s, nm, TK_PROCESS, t->decl, t->proc, -1, 0);
    if (c < 0)
        return -1;
    t = &s->tasks[me];
    memcpy(s->tasks[c].slots, t->slots,
           (size_t)(s->p->tasks[t->decl].nslots) * sizeof *t->slots);
    if (!vfork && (mem_new(s, c, t->proc) || gil_new(s, c)))
        return -1;
    t = &s->tasks[me];
    s->tasks[t->proc].nchildren++;
    struct task *ch = &s->tasks[c];
    s->tl->tasks[c].script = s->script + 1 + script;
    ch->pc = pc;
    ch->block_end = -1;
    for (int fd = 0; fd < s->w.procs[t->proc].nfds; fd++)
        if (s->w.procs[t->proc].fds[fd].obj >= 0)
            sim_emit(s, EV_FD_OPEN, c, 0, s->w.procs[t->proc].fds[fd].obj, fd, 0);
    ch = &s->tasks[c];
    sched_ready(s, ch, 1); /* wake_up_new_task: select_task_rq first */
    return c;
}

int proc_fork_new(struct sim *s, struct task *t, const char *name, int pc,
                  int script)
{
    return fork_new(s, t, name, pc, script, 0);
}

int proc_vfork_new(struct sim *s, struct task *t, const char *name, int pc,
                   int script)
{
    return fork_new(s, t, name, pc, script, 1);
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
    int me = (int)(t - s->tasks);
    if (!w && !t->in_sys) { /* patched: greenlet.join of a greenlet */
        int r = hub_joined(s, t, id);
        if (r >= 0)
            return r;
    }
    if (!w) {
        /* glibc's pthread_join (nptl/pthread_join_common.c) decides in user
         * space: joining oneself is EDEADLK, a thread that has already
         * exited (the kernel cleared its tid: CLONE_CHILD_CLEARTID) is
         * joined at once, with no syscall.  Only a running thread makes it
         * sleep in futex(FUTEX_WAIT) on that tid, until the thread's exit
         * clears it and wakes the futex. */
        int k = find_task_by_id(s, id);
        if (!t->in_sys) {
            int64_t r = k == me ? -EDEADLK
                        : k < 0 || !s->tasks[k].is_thread ||
                                  s->tasks[k].proc != t->proc ? -ESRCH
                        : s->tasks[k].exited ? 0 : 1;
            if (r <= 0) {
                sim_set_dst(s, t, in->dst, r);
                t->pc++;
                return GO_NEXT;
            }
            /* CPython's Thread.join waits on the thread state lock, a
             * semaphore the thread posts as it ends (Lib/threading.py
             * _wait_for_tstate_lock; Python/thread_pthread.h: sem_wait) */
            int py = s->p->tasks[t->decl].python != PY_NONE;
            sim_sys_enter(s, t, SYS_FUTEX, id, py ? TL_FUTEX_SEM : 0);
        }
        if (s->tasks[k].exited)
            return sim_sys_return(s, t, 0, s->p->cost.syscall);
        t->waiting_for = k;
        return sim_block(s, t, TW_THREAD, -1);
    }
    int fj = fsrv_join(s, t, in); /* Process.join() of a forkserver child */
    if (fj >= 0)
        return fj;
    sim_sys_enter(s, t, SYS_WAIT4, id, in->dst2 >= 0); /* with &status */
    int any = in->nargs == 0 || in->a[0].kind == ARG_NONE;
    int live = 0;
    for (int i = 0; i < s->ntasks; i++) {
        struct task *c = &s->tasks[i];
        if (c->parent != t->proc || c->is_thread || c->is_coroutine ||
            c->reaped)
            continue;
        if (!any && c->id != id)
            continue;
        if (c->exited) { /* a zombie: reap it */
            c->reaped = 1;
            s->tasks[t->proc].nchildren--;
            /* the word wait4 writes: the exit code << 8, or the signal
               (no core dump: Debian's RLIMIT_CORE is 0) */
            int wst = c->term_sig ? c->term_sig : (c->code & 0xff) << 8;
            sim_emit_state(s, i, TS_EXITED, me, c->code);
            t = &s->tasks[me];
            t->ret2 = s->tasks[i].code;
            if (in->dst2 >= 0) { /* strace shows it at the return */
                char st[64];
                int sid = sim_call_str(s, t, 1, tl_wstatus_text(st, sizeof st, wst));
                if (sid >= 0)
                    t->sys_fd = TL_STR_OBJ(sid);
            }
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


static int proc_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_COMPUTE: return op_compute(s, t, in);
    case OP_SLEEP: return op_sleep(s, t, in);
    case OP_FORK: case OP_THREAD: return op_spawn(s, t, in);
    case OP_COROUTINE: case OP_GENERATOR: return op_coroutine(s, t, in);
    case OP_YIELD: return op_yield(s, t, in);
    case OP_JOIN: case OP_WAIT: return op_join(s, t, in);
    case OP_SAY: return op_say(s, t, in);
    default: return op_exit(s, t, in); /* OP_EXIT, OP_END */
    }
}

const struct mux_ops mux_proc_ops = {
    .name = "proc",
    .ops = {OP_COMPUTE, OP_SLEEP, OP_EXIT, OP_END, OP_FORK, OP_THREAD, OP_JOIN,
            OP_WAIT, OP_SAY, OP_COROUTINE, OP_YIELD, OP_GENERATOR, OP__COUNT},
    .exec = proc_exec,
};
