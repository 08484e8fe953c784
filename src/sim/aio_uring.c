/*
 * aio_uring.c - asynchronous I/O with io_uring (Stevens, UNP figure 6.5;
 * io_uring(7)).
 *
 *   ring = io_uring_setup N          io_uring_setup(): an io_uring fd, with
 *                                    a submission ring of N entries and a
 *                                    completion ring of 2N (N rounded up
 *                                    to a power of two, as Linux does)
 *   id = prep RING read FD SIZE      write a request (SQE) into the
 *                                    submission ring: shared memory, no
 *                                    syscall (liburing's io_uring_prep_*);
 *                                    id = its user_data (1, 2, 3, ...)
 *   n = io_uring_enter RING [WAIT]   submit every queued SQE; with WAIT > 0
 *                                    sleep until WAIT completions are there
 *                                    (IORING_ENTER_GETEVENTS); n = SQEs
 *                                    submitted
 *   id, res = cqe RING               take the oldest completion (CQE) from
 *                                    the completion ring: shared memory, no
 *                                    syscall; id = the request's user_data,
 *                                    res = bytes or -errno; id = EAGAIN
 *                                    when the ring is empty.  The request's
 *                                    fd becomes the task's ready list
 *                                    (`for fd in ready`): a C program sets
 *                                    user_data to find its connection
 *                                    (io_uring_sqe_set_data); iosim's is a
 *                                    counter, so the fd comes this way
 *
 * What the kernel does with a read, as in Linux: at submission it tries
 * the read at once without blocking; if the socket has data (or EOF) the
 * copy happens there, inside io_uring_enter, and the CQE is posted.
 * Otherwise it arms an internal poll on the socket and returns: the
 * request waits "in flight" (a visible queue) while the task runs on.
 * When data arrives, the kernel copies it into the task's buffer and posts
 * the CQE; a task sleeping in io_uring_enter for completions wakes up.
 * The task never sleeps in read(), and never calls it: both phases of the
 * I/O (waiting for data, copying it) are the kernel's.
 *
 * Who copies: in Linux the retried read of a socket runs as task_work in
 * the submitting task's context (or in an io-wq kernel thread for files
 * that cannot be polled).  iosim shows that copy as kernel work with no
 * task (COPY with task TL_NOTASK) at the moment the data lands, and charges
 * its CPU time to nobody; the inline copy at submission is charged to the
 * submitting task's io_uring_enter.
 *
 * Simplifications: write/send go to sockets only and take what fits in the
 * send buffer (a request that fits nothing completes with EAGAIN, where
 * Linux would wait for room); requests whose fd is closed complete with
 * ECANCELED; completions beyond the CQ ring's size are not submitted
 * (io_uring_enter then submits fewer, or fails with EBUSY).
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define URING_MAX_ENTRIES 32768 /* IORING_MAX_ENTRIES */

/* A request the kernel has taken from the SQ and not completed */
struct ureq {
    int64_t item; /* the SQE, as TL_URING_ITEM(op, fd, len) */
    int64_t ud;   /* its user_data */
    int32_t obj;  /* the file it reads or writes */
    int32_t pad;
};

/*
 * One io_uring instance: s->objs[ring].mux, one allocation.  The rings'
 * entries are the world's queues u->sq and u->cq (what the viewer shows);
 * their user_data, which a queue item has no room for, rides alongside in
 * sq_ud and cq_ud, circular arrays kept in step with the queues.
 */
struct uring {
    int32_t sq, fly, cq;   /* queue ids: submission, in flight, completion */
    int32_t sq_entries, cq_entries;
    int32_t nfly;          /* requests in flight */
    int32_t sq_head, cq_head;
    int64_t next_ud;       /* user_data of the next prep */
    int64_t *sq_ud, *cq_ud;
    struct ureq fly_v[];   /* cq_entries slots, oldest first */
};

static struct uring *ring_of(struct sim *s, const struct task *t, int64_t fd,
                             int *obj)
{
    int o = sim_fd_obj(s, t, fd);
    *obj = o;
    if (o < 0 || s->w.objs[o].kind != OK_URING)
        return NULL;
    return s->objs[o].mux;
}

static int ring_ncq(const struct sim *s, const struct uring *u)
{
    return sim_qlen(s, u->cq);
}

/* Post a completion: the CQE enters the CQ ring, sleepers wake */
static void post_cqe(struct sim *s, int ring, int task, int64_t item,
                     int64_t ud, int64_t res)
{
    struct uring *u = s->objs[ring].mux;
    int64_t cqe = TL_URING_ITEM(TL_URING_OP(item), TL_URING_FD(item), res);
    u->cq_ud[(u->cq_head + ring_ncq(s, u)) % u->cq_entries] = ud;
    sim_emit(s, EV_QUEUE, task, TQ_PUSH, u->cq, cqe, 0);
    sim_wake_obj(s, ring, TW_COMPLETION);
}

/* Copy up to len bytes of obj's receive buffer to the user buffer */
static int64_t copy_out(struct sim *s, int task, int obj, int64_t len,
                        int64_t *ns)
{
    int64_t rx = s->w.objs[obj].rx, n = len < rx ? len : rx;
    *ns = 0;
    if (n <= 0)
        return 0; /* end of file, or a zero-length read */
    *ns = sim_copy_ns(s, n);
    sim_emit(s, EV_COPY, task, TC_TO_USER, obj, n, *ns);
    sim_room_made(s, obj); /* may deliver stalled bytes: reentrant */
    return n;
}

/* Can a read on obj complete now? */
static int read_ready(const struct sim *s, int obj)
{
    return s->w.objs[obj].rx > 0 || s->w.objs[obj].eof;
}

/* A write or send, done at once: user -> kernel, as much as fits */
static int64_t do_write(struct sim *s, int task, int obj, int64_t len,
                        int64_t *ns)
{
    int peer = s->tl->objs[obj].peer;
    *ns = 0;
    if (s->w.objs[obj].kind != OK_SOCKET)
        return -EINVAL;
    if (peer < 0)
        return -ENOTCONN;
    if (s->objs[peer].freed || s->objs[obj].fin_pending)
        return -EPIPE;
    int64_t room = s->tl->objs[obj].txcap - s->w.objs[obj].tx;
    int64_t n = len < room ? len : room;
    if (n <= 0)
        return len ? -EAGAIN : 0;
    *ns = sim_copy_ns(s, n);
    sim_emit(s, EV_COPY, task, TC_TO_KERNEL, obj, n, *ns);
    sim_schedule(s, sim_at(s, sim_obj_latency(s, obj)), AG_DELIVER, -1, obj,
                 peer, n);
    return n;
}

/* The kernel takes one SQE off the SQ: do it now or leave it in flight.
 * Returns the CPU time spent in the submitting task's io_uring_enter. */
static int64_t issue(struct sim *s, struct task *t, int ring, int64_t item)
{
    struct uring *u = s->objs[ring].mux;
    int me = (int)(t - s->tasks);
    int op = TL_URING_OP(item), fd = TL_URING_FD(item);
    int64_t len = TL_URING_LEN(item), ns = 0, res;
    int64_t ud = u->sq_ud[u->sq_head];
    u->sq_head = (u->sq_head + 1) % u->sq_entries;
    sim_emit(s, EV_QUEUE, me, TQ_POP, u->sq, item, 0);
    int o = sim_fd_obj(s, t, fd);
    int kind = o >= 0 ? s->w.objs[o].kind : -1;
    int sock = op == TU_RECV || op == TU_SEND;
    if (o < 0) {
        res = -EBADF;
    } else if (sock && kind != OK_SOCKET) {
        res = -ENOTSOCK;
    } else if (op == TU_WRITE || op == TU_SEND) {
        res = do_write(s, me, o, len, &ns);
    } else if (kind != OK_SOCKET && kind != OK_PIPE_R) {
        res = -EINVAL;
    } else if (read_ready(s, o) || len == 0) {
        res = copy_out(s, me, o, len, &ns); /* completes inline */
    } else { /* arm the internal poll: the kernel waits for the data */
        u->fly_v[u->nfly++] = (struct ureq){item, ud, o, 0};
        s->objs[o].uring_waits++;
        sim_emit(s, EV_QUEUE, me, TQ_PUSH, u->fly, item, 0);
        return 0;
    }
    post_cqe(s, ring, me, item, ud, res);
    return ns;
}

/* Take request i out of ring's in-flight list */
static struct ureq fly_take(struct sim *s, int ring, int i)
{
    struct uring *u = s->objs[ring].mux;
    struct ureq r = u->fly_v[i];
    for (int k = i + 1; k < u->nfly; k++)
        u->fly_v[k - 1] = u->fly_v[k];
    u->nfly--;
    s->objs[r.obj].uring_waits--;
    sim_emit(s, EV_QUEUE, TL_NOTASK, TQ_REMOVE, u->fly, r.item, 0);
    return r;
}

/* Complete the requests of every ring waiting on obj, oldest first: with
 * the data now readable, or with the error `cancel`.  Rescans after each
 * one, as a copy can reenter (room made, stalled bytes delivered). */
static void complete_waiting(struct sim *s, int obj, int64_t cancel)
{
    for (int ring = 0; ring < s->nobjs && s->objs[obj].uring_waits > 0;
         ring++) {
        if (s->w.objs[ring].kind != OK_URING || !s->objs[ring].mux)
            continue;
        for (;;) {
            struct uring *u = s->objs[ring].mux;
            int i = 0;
            while (i < u->nfly && u->fly_v[i].obj != obj)
                i++;
            if (i == u->nfly || (!cancel && !read_ready(s, obj)))
                break;
            struct ureq r = fly_take(s, ring, i);
            int64_t ns, res = cancel;
            if (!cancel) /* the kernel copies on its own: no task */
                res = copy_out(s, -1, obj, TL_URING_LEN(r.item), &ns);
            post_cqe(s, ring, -1, r.item, r.ud, res);
        }
    }
}

/* Data or EOF arrived on obj: the internal poll fires */
static void uring_readable(struct sim *s, int obj)
{
    if (s->objs[obj].uring_waits > 0)
        complete_waiting(s, obj, 0);
}

static void uring_release(struct sim *s, int obj)
{
    if (s->objs[obj].uring_waits > 0)
        complete_waiting(s, obj, -ECANCELED);
    struct uring *u = s->objs[obj].mux;
    if (s->w.objs[obj].kind != OK_URING || !u)
        return;
    while (u->nfly > 0) /* the ring goes: its requests are dropped */
        fly_take(s, obj, 0);
}

/* After io_uring_setup the program maps the rings, as liburing's
 * io_uring_queue_mmap does on Linux 6.x (IORING_FEAT_SINGLE_MMAP: the SQ
 * and CQ rings share one map, at offset IORING_OFF_SQ_RING; before 5.4 the
 * CQ ring was a third map at IORING_OFF_CQ_RING), then the SQE array at
 * IORING_OFF_SQES.  The sizes are the kernel's rings_size(): struct
 * io_rings (64 bytes) and the CQEs (16 bytes each), rounded up to a cache
 * line, then the SQ index array (4 bytes an entry); 64 bytes an SQE. */
static int setup_mmaps(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int fd = (int)t->ret2;
    const struct uring *u = s->objs[sim_fd_obj(s, t, fd)].mux;
    int64_t sq = u->sq_entries, cq = u->cq_entries;
    if (t->phase == 3) { /* the maps are made: the program has its ring */
        sim_set_dst(s, t, in->dst, fd);
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
    int64_t rings = (64 + cq * 16 + 63) / 64 * 64 + sq * 4, sqes = sq * 64;
    int sqe = t->phase == 2;
    sim_sys_enter(s, t, SYS_MMAP, fd,
                  sqe ? TL_MMAP_ARG(TL_MMAP_SQES, sqes)
                      : TL_MMAP_ARG(TL_MMAP_SQ_RING, rings));
    t->advance = 1;
    return sim_sys_return(s, t, sim_mmap_addr(s, t, sqe ? sqes : rings),
                          s->p->cost.syscall);
}

static int op_setup(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->phase > 0)
        return setup_mmaps(s, t, in);
    int64_t n = sim_arg(t, in, 0);
    sim_sys_enter(s, t, SYS_IO_URING_SETUP, -1, n);
    if (n < 1 || n > URING_MAX_ENTRIES)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    int sq = 1;
    while (sq < n)
        sq *= 2;
    if (sim_fd_room(s, t->proc, 1) < 0) /* io_uring_create: no fd */
        return sim_sys_return(s, t, -EMFILE, s->p->cost.syscall);
    int o = sim_obj_new(s, OK_URING, 0, 0, -1, t->proc);
    if (o < 0)
        return GO_FAIL;
    size_t fly = (size_t)(2 * sq) * sizeof(struct ureq);
    struct uring *u = calloc(1, sizeof *u + fly + (size_t)(3 * sq) *
                                                      sizeof(int64_t));
    char name[64];
    int q[3];
    static const char *const part[] = {"SQ", "in flight", "CQ"};
    static const int kind[] = {TQK_SQ, TQK_SQ, TQK_CQ};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "io_uring #%d %s", o, part[i]);
        q[i] = tl_add_queue(s->tl, name, kind[i], o);
        if (q[i] < 0) {
            free(u);
            u = NULL;
        }
    }
    if (!u) {
        s->failed = -ENOMEM;
        return GO_FAIL;
    }
    u->sq = q[0];
    u->fly = q[1];
    u->cq = q[2];
    u->sq_entries = sq;
    u->cq_entries = 2 * sq;
    u->sq_ud = (int64_t *)((char *)u->fly_v + fly);
    u->cq_ud = u->sq_ud + sq;
    u->next_ud = 1;
    s->objs[o].mux = u;
    s->tl->objs[o].queue = q[0];
    t->ret2 = sim_fd_open(s, t->proc, o);
    t->advance = 1; /* then the two mmaps */
    return sim_sys_return(s, t, t->ret2, s->p->cost.syscall);
}

static int op_prep(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int ring;
    struct uring *u = ring_of(s, t, sim_arg(t, in, 0), &ring);
    int op = (int)sim_arg(t, in, 1);
    int64_t fd = sim_arg(t, in, 2), len = sim_arg(t, in, 3), r = 0;
    if (!u)
        r = -EBADF;
    else if (sim_qlen(s, u->sq) >= u->sq_entries)
        r = -EBUSY; /* io_uring_get_sqe() returns NULL: submit first */
    else if (fd < 0 || fd > 0xffffff || len < 0 || len > 0xffffffffLL)
        r = -EINVAL;
    else {
        int n = sim_qlen(s, u->sq);
        r = u->next_ud++;
        u->sq_ud[(u->sq_head + n) % u->sq_entries] = r;
        sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_PUSH, u->sq,
                 TL_URING_ITEM(op, fd, len), 0);
    }
    sim_set_dst(s, t, in->dst, r);
    t->pc++;
    return GO_NEXT;
}

static int op_enter(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), wait = sim_arg(t, in, 1);
    int ring;
    struct uring *u = ring_of(s, t, fd, &ring);
    if (t->phase == 0) { /* submit */
        int n = u ? sim_qlen(s, u->sq) : 0;
        /* a timeout (IORING_ENTER_EXT_ARG, a timespec) bounds the wait */
        int64_t tmo = wait > 0 ? sim_timeout_arg(t, in, 2, 1) : -1;
        int bad = wait > 0 && in->nargs > 2 && tmo < 0; /* timespec < 0 */
        sim_sys_enter_wait(s, t, SYS_IO_URING_ENTER, fd,
                           TL_URING_ENTER_ARG(n, wait), bad ? -1 : tmo, 0);
        if (bad)
            return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
        if (!u)
            return sim_sys_return(s, t, ring < 0 ? -EBADF : -EOPNOTSUPP,
                                  s->p->cost.syscall);
        if (wait < 0)
            return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
        int64_t ns = sat_add(s->p->cost.syscall, s->p->cost.uring_enter);
        int done = 0;
        while (sim_qlen(s, u->sq) > 0 &&
               u->nfly + ring_ncq(s, u) < u->cq_entries) {
            ns = sat_add(ns, sat_add(s->p->cost.uring_per_sqe,
                                     issue(s, t, ring, s->w.queues[u->sq].items[0])));
            u = s->objs[ring].mux;
            done++;
        }
        if (n > 0 && done == 0) /* the CQ ring is full: reap first */
            return sim_sys_return(s, t, -EBUSY, ns);
        t->ret2 = done;
        t->phase = 1;
        t->busy_ns = t->external ? 0 : ns;
        return GO_BUSY;
    }
    /* IORING_ENTER_GETEVENTS: wait for completions */
    if (!u)
        return sim_sys_return(s, t, -EBADF, 0);
    if (ring_ncq(s, u) < wait && sim_timed_out(s, t))
        /* io_cqring_wait: -ETIME, unless something was submitted: then
         * io_uring_enter returns that count */
        return sim_sys_return(s, t, t->ret2 > 0 ? t->ret2 : -ETIME, 0);
    if (ring_ncq(s, u) < wait)
        return sim_block_timed(s, t, TW_COMPLETION, ring);
    return sim_sys_return(s, t, t->ret2, 0);
}

static int op_cqe(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int ring;
    struct uring *u = ring_of(s, t, sim_arg(t, in, 0), &ring);
    int64_t id = -EBADF, res = 0;
    t->nready = t->ready_i = 0;
    if (u && ring_ncq(s, u) == 0) {
        id = -EAGAIN; /* io_uring_peek_cqe(): nothing to reap */
    } else if (u) { /* io_uring_peek_cqe() + io_uring_cqe_seen() */
        int64_t it = s->w.queues[u->cq].items[0];
        id = u->cq_ud[u->cq_head];
        u->cq_head = (u->cq_head + 1) % u->cq_entries;
        sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_POP, u->cq, it, 0);
        res = TL_URING_RES(it);
        /* the request's fd: what a program finds through its user_data */
        if (sim_ready_push(t, TL_URING_FD(it))) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
    }
    sim_set_dst(s, t, in->dst, id);
    sim_set_dst(s, t, in->dst2, res);
    t->pc++;
    return GO_NEXT;
}

static int uring_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_URING_SETUP: return op_setup(s, t, in);
    case OP_PREP: return op_prep(s, t, in);
    case OP_URING_ENTER: return op_enter(s, t, in);
    default: return op_cqe(s, t, in);
    }
}

const struct mux_ops mux_uring_ops = {
    .name = "io_uring",
    .ops = {OP_URING_SETUP, OP_PREP, OP_URING_ENTER, OP_CQE, OP__COUNT},
    .exec = uring_exec,
    .readable = uring_readable,
    .release = uring_release,
};
