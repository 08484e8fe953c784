/*
 * mp.c - multiprocessing's start methods: `pid = start [fork|spawn|forkserver]
 * { }` is Process(target=...).start() in a CPython process, made of the
 * syscalls CPython 3.11 makes for it on Linux (Lib/multiprocessing,
 * checked with strace -f):
 *
 *   fork (popen_fork.py): two pipes (the child's sentinel, and a pipe the
 *     child keeps the read end of to notice its parent's end), clone; the
 *     child closes the parent's ends and runs the target at once, with a
 *     copy of everything, as __main__;
 *   spawn (popen_spawn_posix.py, util.spawnv_passfds, _posixsubprocess):
 *     the same two pipes and the error pipe of _posixsubprocess, vfork (the
 *     parent sleeps until the child execs); the child closes every fd it
 *     is not passed and execs a fresh python3, which starts up, reads the
 *     pickled preparation data and process object its parent writes into
 *     the pipe, and re-imports the main module as __mp_main__
 *     (spawn.prepare, runpy.run_path): the declaration's top-level code
 *     runs again, from its first line, skipping what `if __name__ ==
 *     "__main__"` guards, and only then the target.  A start reached
 *     during that import is CPython's RuntimeError ("An attempt has been
 *     made to start a new process before the current process has finished
 *     its bootstrapping phase"): the child prints the traceback and exits
 *     with 1;
 *   forkserver (forkserver.py, popen_forkserver.py): fsrv.c, which runs
 *     the client's steps of the START and those of the server's children.
 *
 * The steps are phases of the START instruction (t->phase, bumped by every
 * syscall's end, sys_finish), for the parent and for the child alike: a
 * child starts at the START instruction with its own role (t->mp_role).
 * The syscalls that are ordinary operations (pipe2, read, write, close)
 * are run through their own handlers with an instruction made here, so
 * they behave and show exactly as when a scenario writes them.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>


/* The parent's fds (start_fd[]) */
enum { FD_PARENT_R, FD_CHILD_W, FD_CHILD_R, FD_PARENT_W, FD_ERR_R, FD_ERR_W };

/* The pickled preparation data and process object a spawned child reads,
 * and the traceback of the bootstrapping RuntimeError, as measured (bytes) */
#define MP_PICKLE 883
#define MP_TRACEBACK 2791

#define SYS_VFORK_NR (TL_SYS_LINUX + 58)
#define SYS_EXECVE_NR (TL_SYS_LINUX + 59)

/* Run operation op (close, exit) with constant operands through its own
 * handler */
static int mp_op(struct sim *s, struct task *t, int op, int64_t a0, int64_t a1)
{
    struct prog_ins in;
    memset(&in, 0, sizeof in);
    in.op = (uint16_t)op;
    in.line = s->p->code[t->pc].line;
    in.col = s->p->code[t->pc].col;
    in.dst = in.dst2 = -1;
    in.jump = -1;
    in.list = -1;
    in.a[0].kind = ARG_CONST;
    in.a[0].v = a0;
    in.a[1].kind = ARG_CONST;
    in.a[1].v = a1;
    in.nargs = op == OP_CLOSE ? 1 : 2;
    return s->mux[op]->exec(s, t, &in);
}

/* os.pipe(): pipe2(..., O_CLOEXEC); its fds land in fd[0], fd[1] */
static int mp_pipe(struct sim *s, struct task *t, int32_t *fd)
{
    int r = net_pair(s, t, 1, 1);
    fd[0] = TL_FD_PAIR_A(t->ret2);
    fd[1] = TL_FD_PAIR_B(t->ret2);
    return r;
}

static int mp_close(struct sim *s, struct task *t, int fd)
{
    return mp_op(s, t, OP_CLOSE, fd, 0);
}

/* A write whose bytes strace shows the start of */
static int mp_write(struct sim *s, struct task *t, int fd, int64_t n,
                    const char *start)
{
    if (!t->in_sys) {
        char args[160];
        snprintf(args, sizeof args, "%d, \"%s\"..., %lld", fd, start,
                 (long long)n);
        sim_sys_enter_args(s, t, SYS_WRITE, fd, n, args);
    }
    return net_write(s, t, fd, n, 0, 0, 0, n);
}

/* The instruction is done: the parent goes on after the block with the
 * child's pid */
static int mp_done(struct sim *s, struct task *t, const struct prog_ins *in,
                   int64_t v)
{
    t->phase = 0;
    t->mp_child = -1;
    sim_set_dst(s, t, in->dst, v);
    t->pc = in->jump;
    return GO_NEXT;
}

/* A start reached while the main module is imported by a spawned child:
 * spawn.get_preparation_data's _check_not_importing_main raises; nothing
 * catches it, the interpreter prints the traceback to stderr (about 300
 * small writes: stderr is unbuffered; shown as one) and exits with 1 */
static int mp_bootstrap_error(struct sim *s, struct task *t)
{
    if (t->phase == 0)
        return mp_write(s, t, 2, MP_TRACEBACK, "Traceback (most recent call "
                        "last):\\n  File \\\"<string>\\\", line 1, in <module>\\n");
    return mp_op(s, t, OP_EXIT, 1, 0);
}

/* Which fd of the child's table is the next one it must close before it
 * execs (_posixsubprocess closes every fd not passed); -1 when none */
static int spawn_next_close(struct sim *s, const struct task *c)
{
    int n = s->w.procs[c->proc].nfds;
    for (int fd = 3; fd < n; fd++)
        if (s->w.procs[c->proc].fds[fd].obj >= 0 &&
            fd != c->start_fd[FD_CHILD_R] && fd != c->start_fd[FD_CHILD_W])
            return fd;
    return -1;
}

/* execve(python3 ...) is done: a fresh interpreter, nothing left of the
 * parent's memory; it will run the main module as __mp_main__ */
static int spawn_exec_done(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    const struct prog_task *d = &s->p->tasks[t->decl];
    memset(t->slots, 0, (size_t)d->nslots * sizeof *t->slots);
    if (d->name_slot >= 0)
        t->slots[d->name_slot] = s->p->mod_mp_main;
    if (mem_new(s, me, -1) || gil_new(s, me))
        return -1;
    tl_task_set_module(s->tl, me, TL_MOD_MP_MAIN);
    t->mp_execd = 1;
    struct task *p = &s->tasks[t->parent];
    if (!p->exited && p->mp_child == me && s->w.tasks[t->parent].state ==
        TS_BLOCKED)
        sim_wake(s, p); /* vfork returns in the parent */
    return 0;
}

/* The child of spawn, from vfork to the first line of its main module */
static int spawn_child(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int me = (int)(t - s->tasks);
    switch (t->phase) {
    case 0: { /* close what is not passed, one fd at a time */
        int fd = t->in_sys ? t->sys_fd : spawn_next_close(s, t);
        if (fd >= 0)
            return mp_close(s, t, fd);
        t->phase = 2;
        return GO_NEXT;
    }
    case 1: /* a close is done: the next one */
        t->phase = 0;
        return GO_NEXT;
    case 2: { /* exec a fresh interpreter */
        if (!t->in_sys) {
            char args[400];
            snprintf(args, sizeof args, "\"/usr/bin/python3\", [\"/usr/bin/"
                     "python3\", \"-B\", \"-c\", \"from multiprocessing.spawn "
                     "import spawn_main; spawn_main(pipe_handle=%d)\", "
                     "\"--multiprocessing-fork\"], 0x7ffd... /* 37 vars */",
                     t->start_fd[FD_CHILD_R]);
            sim_sys_enter_args(s, t, SYS_EXECVE_NR, -1, 0, args);
            if (spawn_exec_done(s, t) < 0)
                return GO_FAIL;
            t = &s->tasks[me];
        }
        return sim_sys_return(s, t, 0, sat_add(s->p->cost.syscall,
                                               s->p->cost.exec));
    }
    case 3: /* the interpreter starts up (site, the -c command's imports) */
        t->remain = s->p->cost.py_start;
        t->phase = 4;
        /* fall through */
    case 4: {
        if (t->remain <= 0) {
            t->phase = 5;
            return GO_NEXT;
        }
        return sched_user_chunk(s, t);
    }
    case 5: /* spawn._main: pickle.load from the pipe (a 4 KiB read) */
        return net_read(s, t, t->start_fd[FD_CHILD_R], 4096, 0);
    default: /* prepare(): run the main module again, as __mp_main__ */
        t->phase = 0;
        t->mp_role = MP_PARENT;
        t->mp_boot = 1;
        t->mp_target = t->pc + 1;
        t->block_end = -1; /* top-level code, as a declared process's */
        t->pc = s->p->tasks[t->decl].entry;
        (void)in;
        return GO_NEXT;
    }
}

/* The fork method's child: it closes the parent's ends, then runs */
static int forked_child(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (t->phase) {
    case 0: return mp_close(s, t, t->start_fd[FD_PARENT_R]);
    case 1: return mp_close(s, t, t->start_fd[FD_PARENT_W]);
    default:
        t->phase = 0;
        t->mp_role = MP_PARENT;
        t->pc++;
        t->block_end = in->jump;
        return GO_NEXT;
    }
}

/* Make the child: a fork (clone) or a vfork */
static int mp_child(struct sim *s, struct task *t, const struct prog_ins *in,
                    int vfork)
{
    int me = (int)(t - s->tasks);
    if (!t->in_sys)
        sim_sys_enter(s, t, vfork ? SYS_VFORK_NR : SYS_CLONE, -1, 0);
    if (t->mp_child < 0) {
        int c = proc_child_new(s, t, in, vfork ? PROC_VFORK : PROC_FORK);
        if (c < 0)
            return GO_FAIL;
        t = &s->tasks[me];
        struct task *ch = &s->tasks[c];
        ch->pc = t->pc;
        ch->mp_role = vfork ? MP_SPAWNED : MP_FORKED;
        memcpy(ch->start_fd, t->start_fd, sizeof ch->start_fd);
        t->mp_child = c;
        if (!vfork)
            tl_task_set_module(s->tl, c, TL_MOD_MAIN);
        else /* the parent sleeps until the child has exec'd */
            return sim_block(s, t, TW_CHILD, -1);
    }
    struct task *ch = &s->tasks[t->mp_child];
    if (vfork && !ch->mp_execd && !ch->exited)
        return sim_block(s, t, TW_CHILD, -1); /* woken by another child */
    return sim_sys_return(s, t, ch->id, sat_add(s->p->cost.syscall,
                                                vfork ? s->p->cost.vfork
                                                      : s->p->cost.fork));
}

static int mp_parent(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int32_t *fd = t->start_fd;
    int spawn = in->flags != START_FORK;
    if (t->mp_boot && spawn)
        return mp_bootstrap_error(s, t);
    if (in->flags == START_FORKSERVER)
        return fsrv_start(s, t, in);
    switch (t->phase) {
    case 0: return mp_pipe(s, t, fd + FD_PARENT_R);
    case 1: return mp_pipe(s, t, fd + FD_CHILD_R);
    }
    if (!spawn) {
        switch (t->phase) {
        case 2: return mp_child(s, t, in, 0);
        case 3: return mp_close(s, t, fd[FD_CHILD_W]);
        case 4: return mp_close(s, t, fd[FD_CHILD_R]);
        default: return mp_done(s, t, in, s->tasks[t->mp_child].id);
        }
    }
    switch (t->phase) {
    case 2: return mp_pipe(s, t, fd + FD_ERR_R);
    case 3: return mp_child(s, t, in, 1);
    case 4: return mp_close(s, t, fd[FD_ERR_R]);
    case 5: return mp_close(s, t, fd[FD_ERR_W]);
    case 6: /* the preparation data and the process object, pickled */
        return mp_write(s, t, fd[FD_PARENT_W], MP_PICKLE,
                        "\\200\\4\\225\\6\\2\\0\\0\\0\\0\\0\\0}\\224(\\214\\rlog_to_stderr");
    case 7: return mp_close(s, t, fd[FD_CHILD_R]);
    case 8: return mp_close(s, t, fd[FD_CHILD_W]);
    default: return mp_done(s, t, in, s->tasks[t->mp_child].id);
    }
}

int mp_main_done(struct sim *s, struct task *t)
{
    (void)s;
    t->pc = t->mp_target;
    t->block_end = s->p->code[t->mp_target - 1].jump;
    t->mp_target = -1;
    t->mp_boot = 0;
    return GO_NEXT;
}

static int mp_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (t->mp_role) {
    case MP_FORKED: return forked_child(s, t, in);
    case MP_SPAWNED: return spawn_child(s, t, in);
    case MP_FS_CHILD: return fsrv_child(s, t, in);
    default: return mp_parent(s, t, in);
    }
}

const struct mux_ops mux_mp_ops = {
    .name = "multiprocessing",
    .ops = {OP_START, OP__COUNT},
    .exec = mp_exec,
};
