/*
 * view_phases.c - the two phases of an input operation, as in Stevens'
 * figures of the five I/O models (UNP 6.1-6.5): an application column and
 * a kernel column; phase 1 "wait for data", phase 2 "copy data from kernel
 * to user".  It shows the selected task's latest input cycle, in the shape
 * its model gives it:
 *
 *   blocking, non-blocking   read() (recvfrom()) calls: blocked in read, or
 *                            EAGAIN until the data is there; read copies
 *   select, poll, epoll      phase 1 is the wait in select()/poll()/
 *                            epoll_wait(), phase 2 the copy of the read()s
 *                            that follow it (figure 6.3)
 *   signal-driven (SIGIO)    phase 1 passes while the task runs or pauses;
 *                            the kernel raises SIGIO, the handler runs, and
 *                            its read() copies synchronously (figure 6.4)
 *   io_uring                 the task puts a read request (SQE) in the SQ
 *                            and submits it; the kernel waits, copies on no
 *                            task's behalf (a COPY event with no task) and
 *                            posts a completion (CQE): the task never blocks
 *                            in read() (figure 6.5)
 *
 * Rows come from the timeline's events, never from the model's name, so a
 * row says only what happened.  The cycle is found by going back over the
 * task's calls from the cursor (the viewer's index of them), however long
 * ago its last input was.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/view.h"

#define MAX_SYS 12   /* syscalls between a select-like wait and the cursor */
#define EXTEND_MAX 256 /* events scanned back from a SIGIO delivery */
#define MAX_ROWS 64

enum { K_OTHER, K_READ, K_WAIT, K_ACCEPT, K_URING, K_PAUSE, K_SIGRET,
       K_PASS };

static int sys_kind(int sys)
{
    switch (sys) {
    case SYS_READ:
    case SYS_RECVFROM:
        return K_READ;
    case SYS_SELECT:
    case SYS_POLL:
    case SYS_EPOLL_WAIT:
        return K_WAIT;
    case SYS_ACCEPT:
        return K_ACCEPT;
    case SYS_IO_URING_ENTER:
        return K_URING;
    case SYS_PAUSE:
        return K_PAUSE;
    case SYS_RT_SIGRETURN:
        return K_SIGRET;
    /* what a multiplexing loop does between two waits */
    case SYS_WRITE:
    case SYS_SENDTO:
    case SYS_EPOLL_CTL:
    case SYS_CLOSE:
        return K_PASS;
    default:
        return K_OTHER;
    }
}

enum style { S_SYNC, S_MUX, S_SIGIO, S_URING };

struct row {
    char app[96], ker[96];
    int arole, krole;
    int arrow; /* 1: app -> kernel, -1: kernel -> app, 0 none */
    long ev;   /* the event that made it */
};

struct cycle {
    int style;
    int appw;        /* width of the application column */
    long start, end; /* events [start, end] */
    int nrows;
    long cur_ev; /* the event ev_row is reading */
    struct row rows[MAX_ROWS];
    char status[160];
    int srole;
};

/* The rows of the cycle, its status and the column heads, framed: 12 rows
   (8 in a narrow panel or on a short screen, so the event log keeps some),
   whatever the cycle, so the panels stay in place as the cursor moves */
static int want(const struct viewer *v, int w)
{
    if (v->sel_task < 0 || !v->has_input[v->sel_task])
        return 3; /* a task that never reads: the rows go to others */
    return w >= 60 && v->rows >= 30 ? 12 : 8;
}

/*
 * The objects open in one process at the cursor, as a set: proc_has() is
 * asked for every kernel event of a cycle, and a scan of a 10,000-entry fd
 * table for each made a frame of a C10K server take tens of ms.  Built at
 * the start of each draw (O(fds + objects)), so it is never stale.
 */
static struct {
    uint8_t *in; /* in[obj]: open in proc */
    int cap, nobjs, proc;
} open_set = { NULL, 0, 0, -1 };

static void open_set_build(const struct viewer *v, int t)
{
    const struct world *w = &v->cur.w;
    int p = t >= 0 ? v->tl->tasks[t].proc : -1;
    open_set.proc = -1;
    open_set.nobjs = 0;
    if (p < 0 || p >= w->ntasks)
        return;
    if (w->nobjs > open_set.cap) {
        uint8_t *n = realloc(open_set.in, (size_t)w->nobjs);
        if (!n)
            return; /* proc_has falls back to the scan */
        open_set.in = n;
        open_set.cap = w->nobjs;
    }
    memset(open_set.in, 0, (size_t)w->nobjs);
    for (int fd = 0; fd < w->procs[p].nfds; fd++) {
        int o = w->procs[p].fds[fd].obj;
        if (o >= 0 && o < w->nobjs)
            open_set.in[o] = 1;
    }
    open_set.nobjs = w->nobjs;
    open_set.proc = p;
}

/* is obj open in the process of task t (at the cursor)? */
static int proc_has(const struct viewer *v, int t, int obj)
{
    const struct world *w = &v->cur.w;
    int p = v->tl->tasks[t].proc;
    if (p < 0 || p >= w->ntasks || obj < 0)
        return 0;
    if (p == open_set.proc)
        return obj < open_set.nobjs && open_set.in[obj];
    for (int fd = 0; fd < w->procs[p].nfds; fd++)
        if (w->procs[p].fds[fd].obj == obj)
            return 1;
    return 0;
}

/* io_uring queues: the SQ, "in flight" (the SQ kind again, right after the
   SQ of the same ring: aio_uring.c makes SQ, in flight, CQ in a row), CQ */
enum { Q_NONE, Q_SQ, Q_FLY, Q_CQ };

static int uring_queue(const struct tl *tl, int q)
{
    if (q < 0 || q >= tl->nqueues)
        return Q_NONE;
    const struct tl_queue *Q = &tl->queues[q];
    if (Q->kind == TQK_CQ)
        return Q_CQ;
    if (Q->kind != TQK_SQ)
        return Q_NONE;
    if (q > 0 && tl->queues[q - 1].kind == TQK_SQ &&
        tl->queues[q - 1].owner == Q->owner)
        return Q_FLY;
    return Q_SQ;
}

static int is_read_op(int64_t item)
{
    int op = TL_URING_OP(item);
    return op == TU_READ || op == TU_RECV;
}

/* a queue event about an io_uring read of task t's process */
static int uring_read_ev(const struct viewer *v, int t, const struct tl_ev *e)
{
    if (e->type != EV_QUEUE || !is_read_op(e->a))
        return Q_NONE;
    int k = uring_queue(v->tl, e->obj);
    if (k == Q_NONE)
        return Q_NONE;
    if (e->task == t)
        return k;
    int o = v->tl->queues[e->obj].owner;
    return e->task == TL_NOTASK && proc_has(v, t, o) ? k : Q_NONE;
}

static struct row *add(struct cycle *c)
{
    if (c->nrows == MAX_ROWS) { /* keep the latest rows */
        memmove(&c->rows[0], &c->rows[1], (MAX_ROWS - 1) * sizeof c->rows[0]);
        c->nrows--;
    }
    struct row *r = &c->rows[c->nrows++];
    memset(r, 0, sizeof *r);
    r->ev = c->cur_ev;
    r->arole = R_USER;
    r->krole = R_KERNEL;
    return r;
}

/* From a SIGIO delivery back to what led to it: the pause() it broke, the
   raise, the data.  Stops at the task's previous syscall or delivery. */
static long sigio_extend(const struct viewer *v, int t, long from)
{
    const struct tl *tl = v->tl;
    long start = from;
    for (long i = from - 1; i >= 0 && i >= from - EXTEND_MAX; i--) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == t) {
            if (e->type == EV_SIGNAL && e->sub == 1)
                break;
            if (e->type == EV_SIGNAL)
                start = i;
            if (e->type == EV_SYS_ENTER) {
                if (e->sub == SYS_PAUSE)
                    start = i;
                break;
            }
            if (e->type == EV_SYSCALL && e->sub != SYS_PAUSE)
                break;
        } else if ((e->type == EV_DATA || e->type == EV_EOF) &&
                   e->task == TL_NOTASK && proc_has(v, t, e->obj)) {
            start = i; /* the data whose arrival raised the signal */
        }
    }
    return start;
}

/*
 * The cycle that ends at the cursor.  First, backwards over the task's
 * events, an anchor that opens one: a read request put in the SQ
 * (io_uring), a SIGIO delivery or a pause() (signal-driven), a select-like
 * wait with only reads, accepts, writes or epoll_ctl()s after it.  Without
 * one, the task's last run of read()s: a blocking read, or non-blocking
 * reads returning EAGAIN until one gets data.
 */
static int find_cycle(const struct viewer *v, int t, struct cycle *c)
{
    const struct tl *tl = v->tl;
    long pos = viewer_pos(v), first = v->call_off[t];
    long last = viewer_call_at(v, t, pos) - 1; /* the task's last call */
    int nsys = 0;
    c->style = S_SYNC;
    c->start = -1;
    c->end = pos - 1;
    for (long j = last; j >= first; j--) {
        long i = v->calls[j];
        const struct tl_ev *e = &tl->ev[i];
        if (uring_read_ev(v, t, e) == Q_SQ && e->sub == TQ_PUSH) {
            c->style = S_URING;
            c->start = i;
            return 1;
        }
        if (e->type == EV_SIGNAL && e->sub == 1) {
            c->style = S_SIGIO;
            c->start = sigio_extend(v, t, i);
            return 1;
        }
        if (e->type != EV_SYS_ENTER)
            continue;
        int k = sys_kind(e->sub);
        if (k == K_PAUSE) {
            c->style = S_SIGIO;
            c->start = i;
            return 1;
        }
        if (k == K_WAIT) {
            c->style = S_MUX;
            c->start = i;
            return 1;
        }
        if (k == K_OTHER || ++nsys > MAX_SYS)
            break;
    }
    /* no anchor: the last run of read()s */
    long start = -1, ret_idx = -1;
    int64_t ret = 0;
    nsys = 0;
    for (long j = last; j >= first; j--) {
        long i = v->calls[j];
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYSCALL) {
            ret = e->a;
            ret_idx = i;
            continue;
        }
        if (e->type != EV_SYS_ENTER)
            continue;
        if (sys_kind(e->sub) != K_READ) {
            if (start >= 0)
                break;
            ret_idx = -1;
            continue;
        }
        if (start >= 0 && ret_idx >= 0 && ret >= 0)
            break; /* an earlier read that got data: another cycle */
        start = i;
        ret_idx = -1;
        if (++nsys >= MAX_SYS)
            break;
    }
    c->start = start;
    return start >= 0;
}

static void call_text(const struct cycle *c, const struct tl_ev *e, char *b,
                      size_t len)
{
    tl_call_wait_text(b, len, e->sub, e->obj, e->a, e->b < 0 ? e->b : 0);
    if (ui_strwidth(b) > c->appw && e->obj >= 0)
        snprintf(b, len, "%s(%d, ...)", tl_sys_name(e->sub), (int)e->obj);
    if (ui_strwidth(b) > c->appw)
        snprintf(b, len, "%s()", tl_sys_name(e->sub));
}

static const char *wait_text(int wait)
{
    switch (wait) {
    case TW_DATA: return "wait for data";
    case TW_EVENTS: return "wait for a ready fd";
    case TW_SIGNAL: return "sleep until a signal";
    case TW_COMPLETION: return "wait for a completion";
    case TW_CONNECTION: return "wait for a connection";
    default: return "wait";
    }
}

/* what the cycle's rows and its status line say (see the top comment) */
struct state {
    int phase;   /* 0 none, 1 waiting, 2 copying, 3 done */
    int sys;     /* shown syscall in progress or last returned, -1 */
    int in_sys;  /* the task is inside sys */
    int shown;   /* the current syscall has rows */
    int64_t ret;
    int data;    /* data arrived during phase 1 */
    int sig;     /* 1 raised, 2 handler runs, 3 handler returned */
    int sqe;     /* io_uring: 1 prepared, 2 in flight, 3 CQE posted,
                    4 CQE taken */
    int64_t res;
    int64_t copied;
};

static void ev_row(const struct viewer *v, int t, struct cycle *c,
                   const struct tl_ev *e, struct state *s)
{
    char b[96];
    struct row *r;
    int uq = uring_read_ev(v, t, e);
    if (uq != Q_NONE) {
        if (uq == Q_SQ && e->sub == TQ_PUSH) {
            r = add(c);
            snprintf(r->app, sizeof r->app, "SQE: read fd %d",
                     TL_URING_FD(e->a));
            snprintf(r->ker, sizeof r->ker, "(SQ ring: no syscall)");
            r->krole = R_DIM;
            s->sqe = 1;
        } else if (uq == Q_FLY && e->sub == TQ_PUSH) {
            r = add(c);
            snprintf(r->ker, sizeof r->ker, "in flight: waits for data");
            r->krole = R_BLOCKED;
            s->sqe = 2;
            s->phase = 1;
        } else if (uq == Q_CQ && e->sub == TQ_PUSH) {
            r = add(c);
            s->res = TL_URING_RES(e->a);
            snprintf(r->ker, sizeof r->ker, "CQE posted: res %lld",
                     (long long)s->res);
            r->krole = R_READY;
            s->sqe = 3;
            s->phase = 3;
        } else if (uq == Q_CQ && e->sub == TQ_POP) {
            r = add(c);
            s->res = TL_URING_RES(e->a);
            snprintf(r->app, sizeof r->app, "CQE: res %lld",
                     (long long)s->res);
            snprintf(r->ker, sizeof r->ker, "completion");
            r->arrow = -1;
            s->sqe = 4;
        }
        return;
    }
    if (e->task != t) {
        /* the kernel, for this task's process */
        if (e->task != TL_NOTASK || !proc_has(v, t, e->obj))
            return;
        if (e->type == EV_DATA && e->a > 0) {
            r = add(c);
            snprintf(r->ker, sizeof r->ker, "data ready: %s",
                     view_bytes(e->a, b, sizeof b));
            r->krole = R_BYTES;
            if (s->phase == 1 || s->sqe == 2 || c->style == S_SIGIO)
                s->data = 1;
        } else if (e->type == EV_EOF) {
            r = add(c);
            snprintf(r->ker, sizeof r->ker, "end of file ready");
            r->krole = R_BYTES;
            if (s->phase == 1 || s->sqe == 2 || c->style == S_SIGIO)
                s->data = 1;
        } else if (e->type == EV_COPY && e->sub == TC_TO_USER) {
            r = add(c);
            snprintf(r->ker, sizeof r->ker, "copy %s to user",
                     view_bytes(e->a, b, sizeof b));
            r->krole = R_MOVING;
            s->phase = 2;
            s->copied = e->a;
        }
        return;
    }
    switch (e->type) {
    case EV_SYS_ENTER: {
        int k = sys_kind(e->sub);
        s->shown = k == K_READ || k == K_WAIT || k == K_URING || k == K_PAUSE ||
                   k == K_SIGRET || (k == K_ACCEPT && c->style == S_MUX);
        if (!s->shown)
            return;
        s->sys = e->sub;
        s->in_sys = 1;
        r = add(c);
        call_text(c, e, r->app, sizeof r->app);
        r->arrow = 1;
        if (k == K_URING) {
            int64_t sub = TL_URING_ENTER_SUB(e->a), wait = TL_URING_ENTER_WAIT(e->a);
            if (sub > 0)
                snprintf(r->ker, sizeof r->ker, "takes %lld SQE%s",
                         (long long)sub, sub == 1 ? "" : "s");
            else
                snprintf(r->ker, sizeof r->ker, wait ? "looks at the CQ" : "system call");
        } else if (k == K_SIGRET) {
            snprintf(r->ker, sizeof r->ker, "back to the main program");
        } else {
            snprintf(r->ker, sizeof r->ker, "system call");
            if (k != K_ACCEPT && s->phase != 2 && !s->data)
                s->phase = 0;
            if (k == K_READ && s->phase == 3)
                s->phase = 0;
        }
        if (k == K_PAUSE)
            s->phase = 1;
        break;
    }
    case EV_STATE:
        if (!s->shown || !s->in_sys)
            return;
        if (e->sub == TS_BLOCKED) {
            r = add(c);
            snprintf(r->app, sizeof r->app, "blocked");
            r->arole = R_BLOCKED;
            snprintf(r->ker, sizeof r->ker, "%s", wait_text((int)e->a));
            r->krole = R_BLOCKED;
            if (e->a == TW_DATA || e->a == TW_EVENTS || e->a == TW_SIGNAL)
                s->phase = 1;
        } else if (e->sub == TS_READY) {
            r = add(c);
            snprintf(r->app, sizeof r->app, "woken: ready");
            r->arole = R_READY;
            snprintf(r->ker, sizeof r->ker, "wakes the task");
        }
        break;
    case EV_SIGNAL:
        r = add(c);
        if (e->sub == 1) {
            snprintf(r->app, sizeof r->app, "%s handler runs",
                     tl_signal_name((int)e->a));
            r->arole = R_KEY;
            snprintf(r->ker, sizeof r->ker, "delivers %s", tl_signal_name((int)e->a));
            r->arrow = -1;
            s->sig = 2;
            s->data = 0;
            s->phase = 0;
        } else {
            snprintf(r->ker, sizeof r->ker,
                     e->sub == 2   ? "%s merged (pending)"
                     : s->sig == 2 ? "%s pending (in handler)"
                                   : "raises %s",
                     tl_signal_name((int)e->a));
            r->krole = R_KEY;
            if (s->sig != 2)
                s->sig = 1;
        }
        break;
    case EV_COPY:
        if (e->sub != TC_TO_USER || !s->shown)
            return;
        r = add(c);
        snprintf(r->ker, sizeof r->ker, "copy %s to user",
                 view_bytes(e->a, b, sizeof b));
        r->krole = R_MOVING;
        s->phase = 2;
        s->copied = e->a;
        break;
    case EV_SYSCALL: {
        if (!s->shown)
            return;
        int k = sys_kind(e->sub);
        s->in_sys = 0;
        s->ret = e->a;
        s->sys = e->sub;
        if (k == K_SIGRET) {
            s->sig = 3;
            s->phase = 1;
            return; /* its entry row says it */
        }
        r = add(c);
        const char *en = tl_errno_name(e->a);
        r->arrow = -1;
        if (e->a < 0) {
            snprintf(r->app, sizeof r->app, "returns -1 %s", en ? en : "");
            r->arole = R_LOG_ERR;
            snprintf(r->ker, sizeof r->ker, "%s",
                     e->a == -4 /* EINTR */ || e->a <= -512 /* ERESTART... */
                         ? "interrupted by a signal"
                     : e->a == -62 /* ETIME */ ? "timeout: none completed"
                     : e->a == -EMFILE ? "no free fd (RLIMIT_NOFILE)"
                     : e->a != -EAGAIN ? "fails"
                     : k == K_ACCEPT ? "no connection waiting"
                                     : "no data ready");
            if (k == K_READ)
                s->phase = 3;
            return;
        }
        snprintf(r->app, sizeof r->app, "returns %lld", (long long)e->a);
        switch (k) {
        case K_WAIT:
            if (e->a == 0) /* only a timeout ends a wait with nothing */
                snprintf(r->ker, sizeof r->ker, "timeout: none ready");
            else
                snprintf(r->ker, sizeof r->ker, "%lld fd%s ready",
                         (long long)e->a, e->a == 1 ? "" : "s");
            s->phase = 3;
            break;
        case K_ACCEPT:
            snprintf(r->ker, sizeof r->ker, "a new connection");
            break;
        case K_URING:
            snprintf(r->ker, sizeof r->ker, "%s",
                     s->sqe >= 3 ? "completion posted" : "request submitted");
            break;
        case K_READ:
            snprintf(r->ker, sizeof r->ker, "%s",
                     e->a == 0 ? "nothing to copy" : "copy complete");
            if (e->a == 0)
                snprintf(r->app, sizeof r->app, "returns 0 (end of file)");
            s->phase = 3;
            break;
        default:
            snprintf(r->ker, sizeof r->ker, "returns");
            break;
        }
        break;
    }
    default:
        break;
    }
}

static void status(const struct viewer *v, int t, struct cycle *c,
                   const struct state *s)
{
    const struct world *w = &v->cur.w;
    int st = t < w->ntasks ? w->tasks[t].state : TS_NONE;
    const char *name = s->sys >= 0 ? tl_sys_name(s->sys) : "read";
    size_t n = sizeof c->status;
    int k = s->sys >= 0 ? sys_kind(s->sys) : K_OTHER;
    c->srole = R_DEFAULT;
    if (st == TS_EXITED) {
        snprintf(c->status, n, "The task has exited: its last input is below");
        c->srole = R_DIM;
        return;
    }
    if (c->style == S_URING) {
        if (s->sqe == 4) {
            snprintf(c->status, n, "The task reads the CQE, res %lld: it "
                     "never blocked in read()", (long long)s->res);
            c->srole = R_RUNNING;
        } else if (s->sqe == 3) {
            snprintf(c->status, n, "Both phases done by the kernel: a "
                     "completion (CQE) is posted");
            c->srole = R_READY;
        } else if (s->phase == 2) {
            snprintf(c->status, n, "Phase 2: the kernel copies the data into "
                     "the task's buffer");
            c->srole = R_MOVING;
        } else if (s->sqe == 2) {
            snprintf(c->status, n, "Phase 1: the kernel waits for data; %s",
                     st == TS_BLOCKED ? "the task waits for a completion"
                                      : "the task runs on");
            c->srole = R_BLOCKED;
        } else {
            snprintf(c->status, n, "A read request (SQE) is in the SQ: the "
                     "kernel has not seen it yet");
            c->srole = R_DEFAULT;
        }
        return;
    }
    if (c->style == S_SIGIO && (s->sig == 1 || s->data) && s->sig != 2) {
        snprintf(c->status, n, "Data ready: the kernel raises SIGIO "
                 "(end of phase 1)");
        c->srole = R_BYTES;
        return;
    }
    if (c->style == S_SIGIO && (s->sig == 3 || (k == K_PAUSE && s->phase == 1))) {
        snprintf(c->status, n, "Phase 1: the kernel waits for data; %s",
                 st == TS_BLOCKED ? "pause() sleeps until a signal"
                                  : "the task runs on");
        c->srole = R_BLOCKED;
        return;
    }
    if (k == K_ACCEPT && !s->in_sys) {
        if (s->ret >= 0)
            snprintf(c->status, n, "accept() returned %lld: a new connection, "
                     "a new fd to watch", (long long)s->ret);
        else if (s->ret == -EMFILE)
            snprintf(c->status, n, "accept() returned EMFILE: no fd free "
                     "below the limit; the connection stays queued");
        else if (s->ret == -EAGAIN)
            snprintf(c->status, n, "accept() returned EAGAIN: no more "
                     "connections waiting");
        else
            snprintf(c->status, n, "accept() failed with %s",
                     tl_errno_name(s->ret) ? tl_errno_name(s->ret) : "an error");
        c->srole = s->ret >= 0 ? R_RUNNING : R_LOG_ERR;
        return;
    }
    if (s->phase == 1 && s->data) {
        snprintf(c->status, n, "Data ready: end of phase 1, the kernel "
                 "wakes the task");
        c->srole = R_BYTES;
    } else if (s->phase == 1) {
        snprintf(c->status, n, "Phase 1: waiting for data, blocked in %s()",
                 name);
        c->srole = R_BLOCKED;
    } else if (s->phase == 2) {
        snprintf(c->status, n, "Phase 2: %s() copies the data from kernel "
                 "to user%s", name,
                 c->style == S_SIGIO ? " (synchronous)" : "");
        c->srole = R_MOVING;
    } else if (s->phase == 3 && k == K_WAIT && s->ret == 0) {
        snprintf(c->status, n, "%s() returned 0: its timeout passed with no "
                 "fd ready; there is nothing to read", name);
        c->srole = R_RUNNING;
    } else if (s->phase == 3 && k == K_WAIT) {
        /* what is ready decides what follows: bytes to read, or a
           connection to accept (nothing to copy yet) */
        int data = 0, conn = 0, p = v->tl->tasks[t].proc;
        if (p >= 0 && p < w->ntasks)
            for (int fd = 0; fd < w->procs[p].nfds; fd++) {
                int ob = w->procs[p].fds[fd].obj;
                if (ob < 0 || ob >= w->nobjs || ob >= v->tl->nobjs)
                    continue;
                int q = v->tl->objs[ob].queue;
                if (w->objs[ob].kind == OK_LISTEN)
                    conn |= q >= 0 && q < w->nqueues && w->queues[q].n > 0;
                else if (w->objs[ob].kind != OK_TTY)
                    data |= w->objs[ob].rx > 0 || w->objs[ob].eof;
            }
        if (conn && !data)
            snprintf(c->status, n, "%s() returned %lld: a connection waits; "
                     "accept() takes it (no data to copy yet)", name,
                     (long long)s->ret);
        else if (conn)
            snprintf(c->status, n, "%s() returned %lld: phase 1 is over; "
                     "accept() and read() follow", name, (long long)s->ret);
        else if (data)
            snprintf(c->status, n, "%s() returned %lld: phase 1 is over, "
                     "read() will copy (phase 2)", name, (long long)s->ret);
        else /* nothing to read or accept: room to write (EPOLLOUT) */
            snprintf(c->status, n, "%s() returned %lld: nothing to read, "
                     "but room to write again", name, (long long)s->ret);
        c->srole = R_READY;
    } else if (s->phase == 3 && s->ret < 0) {
        snprintf(c->status, n, "%s() returned EAGAIN: %s", name,
                 c->style == S_SIGIO ? "the buffer is empty, the handler "
                                       "returns"
                     : c->style == S_MUX ? "nothing more to read"
                                         : "no data yet, try again");
        c->srole = R_LOG_ERR;
    } else if (s->phase == 3) {
        snprintf(c->status, n, "%s() returned %lld: both phases are over",
                 name, (long long)s->ret);
        c->srole = R_RUNNING;
    } else if (c->style == S_SIGIO && s->sig == 2) {
        snprintf(c->status, n, "SIGIO delivered: the handler runs; its "
                 "read() will copy");
        c->srole = R_KEY;
    } else {
        snprintf(c->status, n, "In %s()", name);
    }
}

static void build_rows(const struct viewer *v, int t, struct cycle *c)
{
    struct state s = { 0 };
    s.sys = -1;
    if (c->style == S_SIGIO) {
        s.phase = 1; /* the wait began while the task ran */
        s.sig = 3;
    }
    for (long i = c->start; i <= c->end; i++) {
        const struct tl_ev *e = &v->tl->ev[i];
        if (e->task != t && e->task != TL_NOTASK)
            continue; /* another task's: ev_row has no row for it */
        c->cur_ev = i;
        ev_row(v, t, c, e, &s);
    }
    status(v, t, c, &s);
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    int t = v->sel_task;
    char title[96];
    snprintf(title, sizeof title, "Two phases of an input: %s",
             t >= 0 ? v->tl->tasks[t].name : "");
    struct rect in = view_frame(v, cb, r, title, focus);
    if (in.h <= 0 || t < 0)
        return;
    static struct cycle c; /* big; the viewer is single-threaded */
    c.nrows = 0;
    c.status[0] = 0;
    c.srole = R_DEFAULT;
    open_set_build(v, t);
    if (!find_cycle(v, t, &c)) {
        const struct world *w = &v->cur.w;
        int st = t < w->ntasks ? w->tasks[t].state : TS_NONE;
        /* say only what is true now: before its first input, between
           inputs (other calls since the last), or after its exit */
        int before = 1;
        for (long j = viewer_call_at(v, t, viewer_pos(v)) - 1;
             j >= (long)v->call_off[t] && before; j--) {
            const struct tl_ev *e = &v->tl->ev[v->calls[j]];
            if (e->type == EV_SYS_ENTER) {
                int k = sys_kind(e->sub);
                before = !(k == K_READ || k == K_WAIT || k == K_URING || k == K_PAUSE);
            }
        }
        cb_text(cb, in.x + 1, in.y, in.w - 2,
                st == TS_EXITED ? "The task has exited: no input in progress."
                : before ? "No read() by this task yet."
                         : "No input in progress: other calls since the last.",
                R_HINT);
        if (in.h > 2)
            cb_text(cb, in.x + 1, in.y + 1, in.w - 2,
                    "Phase 1 of a read waits for data,", R_HINT);
        if (in.h > 3)
            cb_text(cb, in.x + 1, in.y + 2, in.w - 2,
                    "phase 2 copies it to the user.", R_HINT);
        return;
    }
    c.appw = (in.w - 4) * 9 / 20;
    build_rows(v, t, &c);
    /* the status, on two lines if it needs them and there is room */
    struct ui_span l[2];
    int ns = ui_wrap(c.status, in.w - 2, l, 2);
    if (in.h < 5)
        ns = 1;
    if (ns > 2)
        ns = 2; /* the second line ends with an ellipsis */
    /* the column heads, unless the status needs their row */
    int heads = !(ns == 2 && in.h < 6);
    for (int i = 0; i < ns; i++) {
        char b[160];
        int last = i == ns - 1;
        int off = ns == 1 ? 0 : l[i].off;
        int len = last ? (int)strlen(c.status) - off : l[i].len;
        memcpy(b, c.status + off, (size_t)len);
        b[len] = 0;
        cb_text(cb, in.x + 1, in.y + i, in.w - 2, b, c.srole);
    }
    if (in.h < ns + 1 + heads)
        return;
    int aw = c.appw, kx = in.x + aw + 4;
    int kw = in.x + in.w - kx;
    int hy = in.y + ns;
    if (heads) {
        cb_text(cb, in.x + 1, hy, aw, "application", R_USER);
        cb_text(cb, kx, hy, kw, "kernel", R_KERNEL);
    }
    int rows = in.h - ns - heads;
    int first = c.nrows > rows ? c.nrows - rows : 0;
    for (int i = first; i < c.nrows; i++) {
        const struct row *rw = &c.rows[i];
        int y = hy + heads + i - first;
        if (rw->ev >= v->chg_from) /* made in the last move: marked */
            cb_put(cb, in.x, y, cb_glyph(cb, G_VLINE), R_CHANGED);
        cb_text(cb, in.x + 1, y, aw, rw->app, rw->arole);
        if (rw->arrow > 0) {
            cb_rep(cb, in.x + aw + 1, y, 2, G_HLINE, R_DIM);
            cb_put(cb, in.x + aw + 3, y, cb_glyph(cb, G_TRI_R), R_DIM);
        } else if (rw->arrow < 0) {
            cb_put(cb, in.x + aw + 1, y, cb->ascii ? '<' : 0x25c2, R_DIM);
            cb_rep(cb, in.x + aw + 2, y, 2, G_HLINE, R_DIM);
        } else {
            cb_put(cb, in.x + aw + 2, y, cb_glyph(cb, G_VDOTS), R_DIM);
        }
        cb_text(cb, kx, y, kw, rw->ker, rw->krole);
    }
}

const struct view_ops view_phases = { "phases", 6, want, draw, NULL, NULL };
