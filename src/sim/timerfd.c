/*
 * timerfd.c - timerfd_create(2): the kernel's timer as a file.
 *
 *   int timerfd_create(int clockid, int flags);
 *   int timerfd_settime(int fd, int flags, const struct itimerspec *new,
 *                       struct itimerspec *old);
 *   read(fd, &u64, 8)       the number of expirations since the last read
 *
 * A timerfd (fs/timerfd.c) holds an hrtimer and a counter, ticks.  When the
 * timer fires (timerfd_tmrproc) ticks goes up by one and the file's wait
 * queue is woken: the fd is readable, so a read, select, poll or epoll
 * watching it returns.  The timer is not restarted there, even with an
 * interval: read() does it (timerfd_read), moving the expiry forward past
 * now with hrtimer_forward_now() and adding every period that went by
 * unread to the count.  So a reader that comes late reads 3, not 1: the
 * expirations are counted, not queued as separate events.  read() returns
 * 8 bytes (the count, a uint64_t) and clears it; with a buffer of fewer
 * than 8 bytes it fails with EINVAL; when the count is 0 it sleeps, or
 * fails with EAGAIN on an O_NONBLOCK fd.  timerfd_settime() replaces the
 * setting and clears the count; a zero it_value disarms the timer.
 *
 * What the viewer sees: the fd's receive buffer holds the 8 bytes of the
 * count while it is not 0, and a queue "timerfd #N expirations" lists each
 * expiration with the time it happened (those a late read adds are pushed
 * by that read, as hrtimer_forward finds them).  The timer is an agenda
 * item (AG_TIMERFD) carrying the number of the arming it belongs to, so
 * re-arming or disarming makes the old one stale.
 *
 * Simplified: CLOCK_MONOTONIC, relative times only (no TFD_TIMER_ABSTIME,
 * no TFD_TIMER_CANCEL_ON_SET); O_NONBLOCK comes from fcntl, as
 * TFD_NONBLOCK would give it.  The timer fires at its exact time (an
 * hrtimer started by timerfd_settime has no slack).
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct tfd {
    int64_t interval; /* it_interval, 0: one shot */
    int64_t expires;  /* when the armed timer fires (or fired last) */
    int64_t ticks;    /* expirations not read yet */
    int64_t arm;      /* number of the current arming; agenda items carry it */
    int32_t queue;    /* "timerfd #N expirations" */
    uint8_t armed;    /* the hrtimer is queued */
};

static struct tfd *tfd_of(struct sim *s, const struct task *t, int64_t fd,
                          int *obj)
{
    int o = sim_fd_obj(s, t, fd);
    *obj = o;
    if (o < 0 || s->w.objs[o].kind != OK_TIMERFD)
        return NULL;
    return s->objs[o].mux;
}

static void tfd_start(struct sim *s, int obj, struct tfd *f, int64_t at)
{
    f->expires = at;
    f->armed = 1;
    sim_schedule(s, at, AG_TIMERFD, -1, obj, 0, f->arm);
}

/* timerfd_tmrproc: ticks++, the file is readable, its waiters wake */
void timerfd_expire(struct sim *s, int obj, int64_t arm)
{
    struct tfd *f = s->objs[obj].mux;
    if (!f || s->objs[obj].freed || arm != f->arm || !f->armed)
        return; /* re-armed, disarmed or closed since */
    f->armed = 0; /* HRTIMER_NORESTART: read() restarts a periodic timer */
    f->ticks++;
    sim_emit(s, EV_QUEUE, TL_NOTASK, TQ_PUSH, f->queue, s->now, 0);
    if (f->ticks == 1) { /* the 8 bytes of the count become readable */
        sim_emit(s, EV_DATA, TL_NOTASK, 0, obj, 8, -1);
        sim_wake_obj(s, obj, TW__COUNT);
        sim_notify_readable(s, obj);
    }
}

/* The count is gone (read, or a new setting): the queue empties */
static void tfd_clear(struct sim *s, int task, struct tfd *f)
{
    if (f->ticks <= 0)
        return;
    for (int64_t i = 0; i < f->ticks; i++) {
        int q = f->queue;
        int64_t item = sim_qlen(s, q) > 0 ? s->w.queues[q].items[0] : 0;
        sim_emit(s, EV_QUEUE, task, TQ_POP, q, item, 0);
    }
    f->ticks = 0;
}

int timerfd_read(struct sim *s, struct task *t, int obj, int64_t want)
{
    struct tfd *f = s->objs[obj].mux;
    int me = (int)(t - s->tasks);
    if (want < 8) /* the count is a uint64_t */
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    if (f->ticks == 0) {
        if (s->w.objs[obj].flags & TL_FL_NONBLOCK)
            return sim_sys_return(s, t, -EAGAIN, s->p->cost.syscall);
        return sim_block(s, t, TW_TIMER, obj);
    }
    if (f->interval > 0 && !f->armed) {
        /* hrtimer_forward_now: every period that passed since the expiry
         * counts, and the timer restarts at the first one after now */
        int64_t late = s->now - f->expires, n = late / f->interval;
        for (int64_t k = 1; k <= n; k++)
            sim_emit(s, EV_QUEUE, me, TQ_PUSH, f->queue,
                     sat_add(f->expires, sat_mul(k, f->interval)), 0);
        f->ticks += n;
        f->arm++;
        tfd_start(s, obj, f, sat_add(f->expires, sat_mul(n + 1, f->interval)));
    }
    tfd_clear(s, me, f);
    int64_t ns = sim_copy_ns(s, 8);
    sim_emit(s, EV_COPY, me, TC_TO_USER, obj, 8, ns);
    return sim_sys_return(s, t, 8, sat_add(s->p->cost.syscall, ns));
}

static int op_create(struct sim *s, struct task *t)
{
    sim_sys_enter(s, t, SYS_TIMERFD_CREATE, -1, 0);
    int o = sim_obj_new(s, OK_TIMERFD, 8, 0, -1, t->proc);
    if (o < 0)
        return GO_FAIL;
    struct tfd *f = calloc(1, sizeof *f);
    char name[64];
    snprintf(name, sizeof name, "timerfd #%d expirations", o);
    int q = tl_add_queue(s->tl, name, TQK_TICKS, o);
    if (!f || q < 0) {
        free(f);
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    f->queue = q;
    s->objs[o].mux = f;
    s->tl->objs[o].queue = q;
    return sim_sys_return(s, t, sim_fd_open(s, t->proc, o), s->p->cost.syscall);
}

static int op_settime(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), value = sim_arg(t, in, 1);
    int64_t iv = in->nargs > 2 ? sim_arg(t, in, 2) : 0;
    int me = (int)(t - s->tasks), o;
    /* the interval rides in SYS_ENTER.b as a waiting call's timeout does
     * (TL_TMO), for the log; it arms no wait timeout: nothing waits here */
    sim_sys_enter_wait(s, t, SYS_TIMERFD_SETTIME, fd, value, iv > 0 ? iv : -1,
                       0);
    struct tfd *f = tfd_of(s, t, fd, &o);
    if (o < 0)
        return sim_sys_return(s, t, -EBADF, s->p->cost.syscall);
    if (!f || value < 0 || iv < 0) /* not a timerfd; a negative time */
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    /* timerfd_setup: the old setting and its count are gone */
    if (f->ticks > 0) {
        tfd_clear(s, me, f);
        sim_emit(s, EV_DATA, me, 0, o, -8, -1);
    }
    f->arm++;
    f->armed = 0;
    f->interval = iv;
    if (value > 0)
        tfd_start(s, o, f, sim_at(s, value));
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

/* clock_gettime(CLOCK_MONOTONIC): the vDSO reads the TSC in user space,
 * no syscall (measured: 40 ns a call on a Linux 6.18 VM, strace sees
 * nothing).  The time since the run began: CLOCK_MONOTONIC's own origin
 * (the boot) does not matter to a program that subtracts two readings. */
static int op_clock(struct sim *s, struct task *t, const struct prog_ins *in)
{
    sim_set_dst(s, t, in->dst, s->now);
    t->pc++;
    t->busy_ns = t->external ? 0 : s->p->cost.clock;
    return t->busy_ns ? GO_BUSY : GO_NEXT;
}

static int timerfd_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (in->op == OP_CLOCK)
        return op_clock(s, t, in);
    if (in->op == OP_TIMERFD_CREATE)
        return op_create(s, t);
    return op_settime(s, t, in);
}

static void timerfd_release(struct sim *s, int obj)
{
    if (s->w.objs[obj].kind != OK_TIMERFD || !s->objs[obj].mux)
        return;
    free(s->objs[obj].mux); /* its queued expiry finds no timer: stale */
    s->objs[obj].mux = NULL;
}

const struct mux_ops mux_timerfd_ops = {
    .name = "timerfd",
    .ops = {OP_TIMERFD_CREATE, OP_TIMERFD_SETTIME, OP_CLOCK, OP__COUNT},
    .exec = timerfd_exec,
    .release = timerfd_release,
};
