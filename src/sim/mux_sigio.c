/*
 * mux_sigio.c - signal-driven I/O (Stevens, UNP figure 6.4).
 *
 *   sigaction SIGIO { H }   rt_sigaction(): H becomes the process's handler
 *   fcntl FD O_ASYNC        fcntl(FD, F_SETOWN, getpid()) then
 *                           fcntl(FD, F_SETFL, O_ASYNC): Linux needs both
 *   n = pause               pause(): sleep until a signal is delivered
 *
 * The kernel's side, as in Linux: when bytes, end of file or a connection
 * arrive on an O_ASYNC file whose owner is set, the socket's wakeup path
 * (sk_wake_async -> kill_fasync) raises SIGIO for the owner.  SIGIO is a
 * standard signal: the kernel keeps one pending bit per signal, so a SIGIO
 * raised while one is pending is merged with it (man 7 signal: "standard
 * signals do not queue").  A handler must therefore drain every O_ASYNC fd
 * until EAGAIN: one delivery may stand for many arrivals.
 *
 * Delivery happens where Linux does it, on the way back to user space:
 *   - a task blocked in a syscall is woken and the call fails with EINTR,
 *     or, if the handler has SA_RESTART and the call ended in ERESTARTSYS,
 *     is made again after the handler; a partial write returns the bytes
 *     written; pause() always returns EINTR;
 *   - a task computing in user space is interrupted at once (the kernel
 *     kicks its CPU); its computation resumes after the handler;
 *   - a task in the kernel part of a syscall, or waiting for a CPU, takes
 *     it when that syscall returns / when it runs.
 * The handler then runs in the task's context (cost `signal`), with SIGIO
 * blocked: a SIGIO raised meanwhile stays pending and is delivered right
 * after rt_sigreturn.  The copy is still done by the handler's read(): the
 * signal only says "data may be there", which is why Stevens calls this
 * model synchronous I/O.
 *
 * Simplifications, stated in docs/scenario-language.md: only SIGIO; a
 * process-directed signal is taken by the process's main thread; SIGIO
 * without a handler kills the process at once (its default action, Term);
 * a forked child does not inherit the handler.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define SIGBIT(sig) (1u << (sig))

struct tsig *sig_state(struct sim *s, struct task *t)
{
    if (!t->sig && !(t->sig = calloc(1, sizeof *t->sig)))
        s->failed = -ENOMEM;
    return t->sig;
}

/* The task's queue of pending signals, made on first use */
static int sig_queue(struct sim *s, int task)
{
    struct tsig *g = sig_state(s, &s->tasks[task]);
    if (!g)
        return 0;
    if (g->queue)
        return g->queue;
    char name[128];
    snprintf(name, sizeof name, "signals pending for %s",
             s->tl->tasks[task].name);
    int q = tl_add_queue(s->tl, name, TQK_SIGNALS, task);
    if (q < 0) {
        s->failed = -ENOMEM;
        return 0;
    }
    g->queue = q;
    return q;
}

/* Make a task with an unblocked pending signal notice it */
static void sig_kick(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    const struct w_task *k = &s->w.tasks[me];
    if (k->state == TS_BLOCKED) {
        if (k->wait == TW_THREAD) /* pthread_join restarts: no EINTR */
            return;
        t->sig->intr = 1; /* sig_raise made it pending */
        sim_wake(s, t);
        return;
    }
    if (k->state != TS_RUNNING || t->external || t->in_sys || t->pend ||
        t->busy_until <= s->now || t->pc < 0 || t->pc >= s->p->ncode ||
        s->p->code[t->pc].op != OP_COMPUTE || t->phase == 0)
        return; /* it takes the signal at its next return to user space */
    /* computing: the rest of the slice is given back and the CPU is kicked
     * into the kernel now (the scheduled end of the slice goes stale) */
    t->remain += t->busy_until - s->now;
    t->busy_until = s->now;
    t->gen++;
    sim_schedule(s, s->now, AG_RUN, me, -1, 0, -1);
}

/* Raise sig for process proc (kill_fasync on behalf of an O_ASYNC file) */
static void sig_raise(struct sim *s, int proc, int sig)
{
    struct task *t = &s->tasks[proc];
    if (t->exited)
        return;
    if (!t->sig || !t->sig->has_handler) { /* SIG_DFL for SIGIO is Term */
        sim_kill_process(s, t, sig);
        return;
    }
    if (t->sig->pending & SIGBIT(sig)) {
        sim_emit(s, EV_SIGNAL, proc, 2, -1, sig, 0); /* merged: not queued */
        return;
    }
    int q = sig_queue(s, proc);
    t = &s->tasks[proc];
    sim_emit(s, EV_SIGNAL, proc, 0, -1, sig, 0);
    if (q)
        sim_emit(s, EV_QUEUE, proc, TQ_PUSH, q, sig, 0);
    t->sig->pending |= SIGBIT(sig);
    if (!(t->sig->blocked & SIGBIT(sig)))
        sig_kick(s, t);
}

/* Data, EOF or a connection arrived on obj: SIGIO if it is O_ASYNC */
static void sigio_readable(struct sim *s, int obj)
{
    int owner = s->objs[obj].sig_owner - 1;
    if (owner < 0 || !(s->w.objs[obj].flags & TL_FL_ASYNC))
        return;
    sig_raise(s, owner, TL_SIGIO);
}

int sig_setown(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    sim_sys_enter(s, t, SYS_FCNTL, fd, TL_F_SETOWN | s->tasks[t->proc].id);
    t->advance = 1; /* then F_SETFL, in op_fcntl */
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return sim_sys_return(s, t, -EBADF, s->p->cost.syscall);
    s->objs[o].sig_owner = t->proc + 1;
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

/* The code an interrupted syscall returns inside the kernel, as strace
 * shows it: pause() and pselect6() ERESTARTNOHAND, poll() and
 * clock_nanosleep() ERESTART_RESTARTBLOCK, epoll_wait() and
 * io_uring_enter() plain EINTR, the others (read, write, accept, connect,
 * wait4...) ERESTARTSYS. */
/* x86_64 numbers (asm/unistd_64.h) of the calls that end in ERESTARTSYS,
 * or -1 */
static int syscall_nr(int sys)
{
    switch (sys) {
    case SYS_READ: return 0;
    case SYS_WRITE: return 1;
    case SYS_CONNECT: return 42;
    case SYS_ACCEPT: return 43;
    case SYS_SENDTO: return 44;
    case SYS_RECVFROM: return 45;
    case SYS_WAIT4: return 61;
    default: return -1;
    }
}

static int64_t restart_code(int sys)
{
    switch (sys) {
    case SYS_PAUSE: case SYS_SELECT: return -TL_ERESTARTNOHAND;
    case SYS_POLL: case SYS_CLOCK_NANOSLEEP: return -TL_ERESTART_RESTARTBLOCK;
    case SYS_EPOLL_WAIT: case SYS_IO_URING_ENTER: return -EINTR;
    default: return -TL_ERESTARTSYS;
    }
}

int sig_check(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct tsig *g = t->sig; /* sig_due: it has one */
    if (!g)
        return -1;
    if (g->intr) { /* woken by a signal in a blocking call */
        g->intr = 0;
        if (t->in_sys && !t->pend) {
            int64_t r = -EINTR;
            if ((in->op == OP_WRITE || in->op == OP_SEND) && t->done > 0)
                r = t->done; /* a partial write reports what it wrote */
            g->was_intr = 1;
            if (r == -EINTR) {
                /* what the syscall returns inside the kernel: the signal
                 * delivery turns it into EINTR, or, for ERESTARTSYS under
                 * SA_RESTART, makes the call again (handle_signal in
                 * arch/x86/kernel/signal.c: ax = orig_ax, ip -= 2) */
                g->restart = 1;
                g->restart_ret = restart_code(t->sys);
                int nr = syscall_nr(t->sys);
                if (g->restart_ret == -TL_ERESTARTSYS && nr >= 0 &&
                    s->tasks[t->proc].sig && s->tasks[t->proc].sig->sa_restart) {
                    g->again = 1;
                    g->again_nr = nr + 1;
                    g->was_intr = 0;
                }
            }
            t->advance = 0;
            t->scan_wait = 0; /* a select/poll abandoned: its entries go */
            return sim_sys_return(s, t, r, s->p->cost.syscall);
        }
    }
    uint32_t due = g->pending & ~g->blocked;
    /* only at a return to user space; between the syscalls of one
     * operation only if it is a computation (its state is saved) */
    if (!due || t->in_sys || t->pend ||
        (t->phase && in->op != OP_COMPUTE))
        return -1;
    int sig = __builtin_ctz(due), me = (int)(t - s->tasks);
    struct task *p = &s->tasks[t->proc];
    if (!p->sig || !p->sig->has_handler)
        return -1;
    g->pending &= ~SIGBIT(sig);
    if (g->queue)
        sim_emit(s, EV_QUEUE, me, TQ_REMOVE, g->queue, sig, 0);
    sim_emit(s, EV_SIGNAL, me, 1, -1, sig, 0);
    /* the kernel builds the signal frame: what rt_sigreturn restores */
    g->saved_pc = t->pc;
    g->saved_phase = t->phase;
    g->saved_remain = t->remain;
    /* rt_sigreturn returns the restored ax: -EINTR for a call that failed,
     * the syscall number of one to be made again, 0 otherwise */
    g->saved_ret = g->again_nr ? g->again_nr - 1
                       : g->was_intr ? -EINTR : 0;
    g->was_intr = 0;
    g->again_nr = 0;
    g->blocked |= SIGBIT(sig);
    t->pc = p->sig->handler;
    t->phase = 0;
    t->remain = 0;
    t->busy_ns = t->external ? 0 : s->p->cost.signal;
    return GO_BUSY;
}

static int op_sigaction(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->phase == 0) {
        int sig = (int)sim_arg(t, in, 0);
        sim_sys_enter(s, t, SYS_RT_SIGACTION, -1,
                      sig | ((in->flags & 1) ? TL_SA_RESTART : 0));
        struct tsig *g = sig_state(s, &s->tasks[t->proc]);
        if (!g)
            return GO_FAIL; /* out of memory: s->failed */
        g->handler = t->pc + 1;
        g->has_handler = 1;
        g->sa_restart = (uint8_t)(in->flags & 1);
        t->advance = 1;
        return sim_sys_return(s, t, 0, s->p->cost.syscall);
    }
    sim_set_dst(s, t, in->dst, 0);
    t->phase = 0;
    t->pc = in->jump; /* over the handler's block */
    return GO_NEXT;
}

static int op_sigreturn(struct sim *s, struct task *t, const struct prog_ins *in)
{
    (void)in;
    struct tsig *g = sig_state(s, t);
    if (!g)
        return GO_FAIL; /* out of memory: s->failed */
    if (t->phase == 0) {
        sim_sys_enter(s, t, SYS_RT_SIGRETURN, -1, 0);
        t->advance = 1;
        return sim_sys_return(s, t, g->saved_ret, s->p->cost.syscall);
    }
    /* back where the signal came in; SIGIO is unblocked again, so one that
     * was raised during the handler is delivered before the next step */
    g->blocked = 0;
    t->pc = g->saved_pc;
    t->phase = g->saved_phase;
    t->remain = g->saved_remain;
    return GO_NEXT;
}

static int op_pause(struct sim *s, struct task *t, const struct prog_ins *in)
{
    (void)in;
    sim_sys_enter(s, t, SYS_PAUSE, -1, 0);
    return sim_block(s, t, TW_SIGNAL, -1); /* only a signal ends it: EINTR */
}

static int sigio_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_SIGACTION: return op_sigaction(s, t, in);
    case OP_SIGRETURN: return op_sigreturn(s, t, in);
    default: return op_pause(s, t, in);
    }
}

const struct mux_ops mux_sigio_ops = {
    .name = "sigio",
    .ops = {OP_SIGACTION, OP_SIGRETURN, OP_PAUSE, OP__COUNT},
    .exec = sigio_exec,
    .readable = sigio_readable,
};
