/*
 * net.c - files and the network: sockets, TCP connections, pipes and the
 * kernel buffers between them, and the I/O syscalls a task makes on them
 * (socket, bind + listen, accept, connect, pipe2, socketpair, read/recv,
 * write/send, close, fcntl).  This is the blocking and non-blocking I/O of
 * Stevens' figures 6.1 and 6.2; the readiness models build on it.
 *
 * A read is the textbook's two phases: wait for data (the task sleeps on
 * the socket, or gets EAGAIN with O_NONBLOCK), then copy it from the kernel
 * receive buffer to the user buffer.  A write copies into the send buffer
 * (a pipe's buffer for pipes); the bytes travel to the peer's receive
 * buffer after the connection's latency, as far as it has room.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TCP_TIMEOUT_INIT and net.ipv4.tcp_syn_retries */
#define SYN_TIMEOUT 1000000000LL
#define SYN_RETRIES 6

static void net_obj_release(struct sim *s, int obj);

int sim_fd_obj(struct sim *s, const struct task *t, int64_t fd)
{
    if (fd < 0 || fd > (1 << 24))
        return -1;
    return world_fd_obj(&s->w, t->proc, (int)fd);
}

int64_t sim_copy_ns(const struct sim *s, int64_t bytes)
{
    return (sat_mul(bytes, s->p->cost.copy_per_kb) + 1023) / 1024;
}

static int64_t obj_latency(const struct sim *s, int obj)
{
    return s->objs[obj].remote ? s->p->latency : 0;
}

int64_t sim_obj_latency(const struct sim *s, int obj)
{
    return obj_latency(s, obj);
}

int sim_readable(const struct sim *s, int obj)
{
    const struct w_obj *o = &s->w.objs[obj];
    if (o->kind == OK_LISTEN)
        return sim_qlen(s, s->objs[obj].accept_q) > 0;
    return o->rx > 0 || o->eof;
}

/*
 * Is there room for a writer on obj (the object of the fd it writes to)?
 * What the kernel's poll methods report as EPOLLOUT, and the condition
 * under which it wakes a writer sleeping for room:
 *   TCP socket   sk_stream_is_writeable: free space >= half of what is
 *                queued, i.e. a third of the send buffer free
 *                (sk_stream_write_space, tcp_poll)
 *   socketpair   unix_writable: at most a quarter of the send buffer in
 *                use (unix_write_space, unix_poll)
 *   pipe         a free page slot (pipe_writable, pipe_poll): one page of
 *                4096 bytes, or the whole pipe if it is smaller
 * and always once the other end is gone (the write fails with EPIPE).
 */
int sim_writable(const struct sim *s, int obj)
{
    const struct w_obj *o = &s->w.objs[obj];
    int peer = s->tl->objs[obj].peer;
    if (o->kind == OK_SOCKET) {
        if (peer < 0)
            return 0;
        if (s->objs[peer].freed)
            return 1;
        int64_t cap = s->tl->objs[obj].txcap, used = o->tx;
        if (s->objs[obj].unix_pair)
            return used * 4 <= cap;
        return (cap - used) * 2 >= used;
    }
    if (o->kind == OK_PIPE_W) {
        if (peer < 0 || s->objs[peer].freed)
            return 1;
        int64_t cap = s->tl->objs[peer].rxcap;
        int64_t page = cap < NET_PAGE ? cap : NET_PAGE;
        return cap - s->w.objs[peer].rx >= page;
    }
    return 0;
}

unsigned sim_poll_mask(const struct sim *s, int obj)
{
    const struct w_obj *o = &s->w.objs[obj];
    int peer = s->tl->objs[obj].peer;
    unsigned m = 0;
    switch (o->kind) {
    case OK_PIPE_R: /* pipe_poll: HUP once the writers are gone */
        m = (o->rx > 0 ? POLLIN : 0) | (o->eof ? POLLHUP : 0);
        break;
    case OK_PIPE_W: /* ERR once the readers are gone */
        m = (sim_writable(s, obj) ? POLLOUT : 0) |
            (peer < 0 || s->objs[peer].freed ? POLLERR : 0);
        break;
    case OK_SOCKET: /* tcp_poll: a FIN is readable (RCV_SHUTDOWN);
                       unix_poll: the peer's close shuts both ways */
        m = (o->rx > 0 || o->eof ? POLLIN : 0) |
            (sim_writable(s, obj) ? POLLOUT : 0) |
            (s->objs[obj].unix_pair && o->eof ? POLLHUP : 0);
        break;
    default:
        m = sim_readable(s, obj) ? POLLIN : 0;
        break;
    }
    return m;
}

unsigned sim_revents(const struct sim *s, int obj, unsigned asked)
{
    if (obj < 0)
        return POLLNVAL; /* a closed fd: poll reports it, as it is */
    unsigned want = ((asked & TL_EP_IN) ? POLLIN : 0) |
                    ((asked & TL_EP_OUT) ? POLLOUT : 0);
    unsigned m = sim_poll_mask(s, obj) & (want | POLLERR | POLLHUP);
    return m ? m : want; /* the model found it ready for what it asked */
}

int sim_poll_out(struct sim *s, int obj)
{
    int w = sim_writable(s, obj);
    if (!w)
        s->objs[obj].nospace = 1;
    return w;
}

/* Room was made for the writers of obj (the object their fd names; for a
 * pipe, its write end): once it counts as writable, wake them, if a writer
 * or a poll found it full (SOCK_NOSPACE; a pipe's was_full) */
static void space_made(struct sim *s, int obj)
{
    if (!s->objs[obj].nospace || !sim_writable(s, obj))
        return;
    s->objs[obj].nospace = 0;
    if (s->w.objs[obj].kind == OK_PIPE_W) { /* pipe_read: one writer, or
                                               an exclusive epoll item */
        sim_wake_queue(s, obj, TL_EP_OUT, s->tl->objs[obj].peer, TW_SPACE);
        return;
    }
    sim_wake_obj(s, obj, TW_SPACE); /* sk_stream_write_space: every sleeper */
    sim_notify_writable(s, obj);
}

int sim_obj_new(struct sim *s, int kind, int64_t rxcap, int64_t txcap, int peer,
                int owner)
{
    struct tl_obj m = {.kind = (uint8_t)kind, .peer = peer, .rxcap = rxcap,
                       .txcap = txcap, .queue = -1, .owner = owner};
    int id = tl_add_obj(s->tl, &m);
    if (id < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    if (id >= s->objcap) {
        int ncap = s->objcap ? s->objcap * 2 : 64;
        struct sobj *p = realloc(s->objs, (size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return -1;
        }
        s->objs = p;
        s->objcap = ncap;
    }
    memset(&s->objs[id], 0, sizeof s->objs[id]);
    s->objs[id].first_waiter = TASK_NONE;
    s->objs[id].accept_q = -1;
    s->nobjs = id + 1;
    sim_emit(s, EV_OBJ_NEW, TASK_NONE, kind, id, 0, 0);
    return id;
}

int sim_fd_open(struct sim *s, int proc, int obj)
{
    int fd = world_fd_lowest(&s->w, proc);
    sim_emit(s, EV_FD_OPEN, proc, 0, obj, fd, 0);
    return fd;
}

int sim_fd_room(struct sim *s, int proc, int n)
{
    int64_t lim = s->tasks[proc].nofile_cur;
    for (int fd = world_fd_lowest(&s->w, proc); n > 0; fd++) {
        if (fd >= lim)
            return -EMFILE;
        if (world_fd_obj(&s->w, proc, fd) < 0)
            n--;
    }
    return 0;
}

void net_fd_close(struct sim *s, int proc, int fd)
{
    int obj = world_fd_obj(&s->w, proc, fd);
    if (obj < 0)
        return;
    sim_emit(s, EV_FD_CLOSE, proc, 0, obj, fd, 0);
    if (s->w.objs[obj].refs == 0 && s->w.objs[obj].kind != OK_TTY && /* terminals stay */
        !s->objs[obj].inflight) /* a message in flight holds it */
        net_obj_release(s, obj);
}

/* Move stalled bytes of src into dst's receive buffer as far as room allows */
void net_deliver(struct sim *s, int src, int dst)
{
    struct sobj *so = &s->objs[src];
    if (s->objs[dst].freed) {
        /* the receiver is gone: Linux answers with a reset; the bytes are
         * dropped and no end of file is shown on a socket nobody holds */
        so->stalled = 0;
        so->fin_pending = 0;
        return;
    }
    int64_t room = s->tl->objs[dst].rxcap - s->w.objs[dst].rx;
    int64_t m = so->stalled < room ? so->stalled : room;
    if (m > 0) {
        sim_emit(s, EV_DATA, TASK_NONE, 0, dst, m, src);
        so->stalled -= m;
        sim_wake_obj(s, dst, TW_DATA); /* sock_def_readable: every reader */
        space_made(s, src);
    }
    if (so->stalled == 0 && so->fin_pending) {
        so->fin_pending = 0;
        sim_emit(s, EV_EOF, TASK_NONE, 0, dst, 0, 0);
        sim_wake_obj(s, dst, TW_DATA);
    }
    if (m > 0 || s->w.objs[dst].eof)
        sim_notify_readable(s, dst);
}

/* Room was made in obj's receive buffer: let its sender's stalled bytes in */
static void room_made(struct sim *s, int obj)
{
    int peer = s->tl->objs[obj].peer;
    if (s->w.objs[obj].kind == OK_PIPE_R) {
        /* pipe_read wakes a writer when a page slot is free; a reader
         * that leaves data behind wakes the next reader (both exclusive
         * waits since Linux 5.5) */
        if (peer >= 0)
            space_made(s, peer);
        if (s->w.objs[obj].rx > 0)
            sim_wake_one(s, obj, TW_DATA);
        return;
    }
    if (peer >= 0 && s->objs[peer].stalled > 0)
        net_deliver(s, peer, obj);
}

void sim_room_made(struct sim *s, int obj)
{
    room_made(s, obj);
}

static void net_obj_release(struct sim *s, int obj)
{
    struct sobj *so = &s->objs[obj];
    if (so->freed)
        return;
    so->freed = 1;
    sim_notify_release(s, obj);
    int peer = s->tl->objs[obj].peer;
    switch (s->w.objs[obj].kind) {
    case OK_SOCKET:
        if (peer >= 0) { /* FIN follows the data already sent */
            sim_schedule(s, sim_at(s, obj_latency(s, obj)), AG_DELIVER, -1, obj,
                         peer, -1);
            /* bytes on their way here are lost; a writer waiting for room
             * here wakes and gets EPIPE or its partial count */
            s->objs[peer].stalled = 0;
            sim_wake_obj(s, peer, TW_SPACE);
            sim_notify_writable(s, peer); /* EPOLLOUT, then EPIPE */
        }
        break;
    case OK_PIPE_W:
        if (peer >= 0) {
            sim_emit(s, EV_EOF, TASK_NONE, 0, peer, 0, 0);
            sim_wake_obj(s, peer, TW_DATA);
            sim_notify_readable(s, peer);
        }
        break;
    case OK_PIPE_R:
        sim_wake_obj(s, obj, TW_SPACE); /* writers now get EPIPE */
        if (peer >= 0)
            sim_notify_writable(s, peer);
        break;
    case OK_LISTEN: {
        for (int i = 0; i < s->nls; i++)
            if (s->ls[i].obj == obj)
                s->ls[i] = s->ls[--s->nls];
        int aq = so->accept_q; /* emits may move the arrays: index afresh */
        while (sim_qlen(s, aq) > 0) { /* connections nobody accepted: reset */
            int c = (int)s->w.queues[aq].items[0];
            sim_emit(s, EV_QUEUE, TASK_NONE, TQ_POP, aq, c, 0);
            net_obj_release(s, c);
        }
        break;
    }
    default:
        break;
    }
    sim_emit(s, EV_OBJ_FREE, TASK_NONE, 0, obj, 0, 0);
}

static int bad_fd(struct sim *s, struct task *t)
{
    return sim_sys_return(s, t, -EBADF, s->p->cost.syscall);
}

/* ioctl(fd, FIONBIO, [1]): what gevent does to every socket it makes or
 * accepts (the second call of a patched socket, accept or connect) */
static int fionbio(struct sim *s, struct task *t, int64_t fd)
{
    sim_sys_enter(s, t, SYS_IOCTL, fd, 1);
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return bad_fd(s, t);
    sim_emit(s, EV_FLAGS, t->proc, s->w.objs[o].flags | TL_FL_NONBLOCK, o, fd, 0);
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int op_socket(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (in->op == OP_SOCKET && t->phase == 1)
        return fionbio(s, t, t->ret2);
    sim_sys_enter(s, t, SYS_SOCKET, -1, 0);
    if (sim_fd_room(s, t->proc, 1) < 0) /* sock_map_fd finds no fd */
        return sim_sys_return(s, t, -EMFILE, s->p->cost.syscall);
    int o = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, -1, t->proc);
    if (o < 0)
        return GO_FAIL;
    int fd = sim_fd_open(s, t->proc, o);
    if (in->op == OP_SOCKET && hub_of(s, t)) { /* gevent's socket */
        t->advance = 1;
        t->ret2 = fd;
    }
    return sim_sys_return(s, t, fd, s->p->cost.syscall);
}

static int find_listener(const struct sim *s, int port)
{
    for (int i = 0; i < s->nls; i++)
        if (s->ls[i].port == port)
            return s->ls[i].obj;
    return -1;
}

/* Socket o now listens: its accept queue, named qname, in the timeline and
 * the engine; 0, or -1 out of memory (s->failed set) */
int net_listen(struct sim *s, int o, const char *qname, int64_t port)
{
    int q = tl_add_queue(s->tl, qname, TQK_ACCEPT, o);
    if (q < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    s->tl->objs[o].queue = q;
    s->objs[o].accept_q = q;
    sim_emit(s, EV_OBJ_SET, TASK_NONE, OK_LISTEN, o, port, 0);
    return 0;
}

static int op_listen(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), port = sim_arg(t, in, 1);
    int o = sim_fd_obj(s, t, fd);
    if (t->phase == 0) { /* bind(fd, 0.0.0.0:port): every address */
        sim_sys_enter(s, t, SYS_BIND, fd, port);
        t->advance = 1;
        if (o < 0)
            return bad_fd(s, t);
        if (s->w.objs[o].kind != OK_SOCKET && s->w.objs[o].kind != OK_LISTEN)
            return sim_sys_return(s, t, -ENOTSOCK, s->p->cost.syscall);
        if (s->w.objs[o].kind != OK_SOCKET || s->tl->objs[o].peer >= 0)
            return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
        if (find_listener(s, (int)port) >= 0)
            return sim_sys_return(s, t, -EADDRINUSE, s->p->cost.syscall);
        return sim_sys_return(s, t, 0, s->p->cost.syscall);
    }
    sim_sys_enter(s, t, SYS_LISTEN, fd, s->p->backlog);
    if (o < 0)
        return bad_fd(s, t);
    if (s->w.objs[o].kind != OK_SOCKET && s->w.objs[o].kind != OK_LISTEN)
        return sim_sys_return(s, t, -ENOTSOCK, s->p->cost.syscall);
    if (s->w.objs[o].kind != OK_SOCKET || find_listener(s, (int)port) >= 0)
        return sim_sys_return(s, t, -EINVAL, s->p->cost.syscall);
    char name[64];
    snprintf(name, sizeof name, "accept queue :%d", (int)port);
    s->tl->objs[o].port = (int32_t)port;
    if (s->nls == s->lscap) {
        int ncap = s->lscap ? s->lscap * 2 : 8;
        struct listener *p = realloc(s->ls, (size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return GO_FAIL;
        }
        s->ls = p;
        s->lscap = ncap;
    }
    s->ls[s->nls++] = (struct listener){(int)port, o};
    if (net_listen(s, o, name, port) < 0)
        return GO_FAIL;
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int op_accept(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    if (t->phase == 1) /* patched: the new socket is made non-blocking */
        return fionbio(s, t, t->ret2);
    sim_sys_enter(s, t, SYS_ACCEPT, fd, 0);
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return bad_fd(s, t);
    /* __sys_accept4_file takes an fd before anything else: at the limit
     * the connection stays in the queue, and the socket stays readable */
    if (sim_fd_room(s, t->proc, 1) < 0)
        return sim_sys_return(s, t, -EMFILE, s->p->cost.syscall);
    if (s->w.objs[o].kind != OK_LISTEN) /* accept(2): ENOTSOCK, EINVAL */
        return sim_sys_return(s, t, s->w.objs[o].kind == OK_SOCKET ? -EINVAL
                                                                : -ENOTSOCK,
                              s->p->cost.syscall);
    int q = s->objs[o].accept_q;
    if (sim_qlen(s, q) == 0) {
        if (s->w.objs[o].flags & TL_FL_NONBLOCK)
            return sim_sys_return(s, t, -EAGAIN, s->p->cost.syscall);
        return sim_block(s, t, TW_CONNECTION, o);
    }
    int c = (int)s->w.queues[q].items[0];
    sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_POP, q, c, 0);
    s->tl->objs[c].owner = t->proc;
    int nfd = sim_fd_open(s, t->proc, c);
    if (hub_of(s, t)) {
        t->advance = 1;
        t->ret2 = nfd;
    }
    return sim_sys_return(s, t, nfd, s->p->cost.syscall);
}

int net_unix_connect(struct sim *s, struct task *t, int cobj, int lobj,
                     int owner)
{
    if (lobj < 0 || s->objs[lobj].freed || !s->objs[lobj].accept_q)
        return -ECONNREFUSED;
    int srv = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, cobj,
                          owner);
    if (srv < 0)
        return -ENOMEM;
    s->tl->objs[cobj].peer = srv;
    s->objs[srv].unix_pair = s->objs[cobj].unix_pair = 1;
    sim_emit(s, EV_QUEUE, (int)(t - s->tasks), TQ_PUSH, s->objs[lobj].accept_q,
             srv, 0);
    sim_wake_one(s, lobj, TW_CONNECTION);
    sim_notify_readable(s, lobj);
    return srv;
}

int net_accept(struct sim *s, struct task *t, int64_t fd)
{
    struct prog_ins in;
    memset(&in, 0, sizeof in);
    in.op = OP_ACCEPT;
    in.dst = in.dst2 = in.jump = in.list = -1;
    in.nargs = 1;
    in.a[0].kind = ARG_CONST;
    in.a[0].v = fd;
    return op_accept(s, t, &in);
}

static int op_connect(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t port = sim_arg(t, in, 0);
    if (t->phase == 0) {
        t->advance = 1;
        int r = op_socket(s, t, in);
        t->ret2 = t->ret;
        return r;
    }
    int64_t fd = t->ret2;
    if (fd < 0 && !t->in_sys) { /* socket() failed (EMFILE): no connect */
        sim_set_dst(s, t, in->dst, fd);
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
    if (t->phase == 1 && hub_of(s, t)) { /* gevent's socket: FIONBIO */
        t->advance = 1;
        return fionbio(s, t, fd);
    }
    int o = sim_fd_obj(s, t, fd);
    if (!t->in_sys && o >= 0 && s->objs[o].conn_started) {
        /* a non-blocking connect made again (gevent, once the fd is
         * writable): EALREADY while the handshake runs, then its result */
        sim_sys_enter(s, t, SYS_CONNECT, fd, port);
        int64_t r = s->objs[o].connect_ret == 1 ? -EALREADY
                                                : s->objs[o].connect_ret;
        int rc = sim_sys_return(s, t, r, s->p->cost.syscall);
        t->advance = 0;
        t->ret2 = fd;
        if (r < 0 && r != -EALREADY) {
            net_fd_close(s, t->proc, (int)fd);
            t->ret2 = r;
        }
        return rc;
    }
    if (!t->in_sys) {
        sim_sys_enter(s, t, SYS_CONNECT, fd, port);
        int l = find_listener(s, (int)port);
        int remote = t->external || (l >= 0 && s->tasks[s->tl->objs[l].owner].external);
        s->objs[o].remote = remote;
        s->objs[o].connect_ret = 1;
        int64_t lat = remote ? s->p->latency : 0;
        if (l < 0) { /* the RST comes back after a round trip */
            s->objs[o].connect_ret = -ECONNREFUSED;
            if (lat > 0) {
                sim_schedule(s, sim_at(s, sat_mul(2, lat)), AG_ESTABLISHED, -1, o, 0, 0);
                return sim_block(s, t, TW_CONNECT, o);
            }
        } else {
            sim_schedule(s, sim_at(s, lat), AG_SYN, -1, l, o, 0);
            if (s->w.objs[o].flags & TL_FL_NONBLOCK) {
                s->objs[o].conn_started = 1;
                t->advance = 0; /* the script (or gevent's hub) gets it */
                return sim_sys_return(s, t, -EINPROGRESS, s->p->cost.syscall);
            }
            return sim_block(s, t, TW_CONNECT, o);
        }
    }
    if (s->objs[o].connect_ret == 1)
        return sim_block(s, t, TW_CONNECT, o);
    int64_t r = s->objs[o].connect_ret;
    int rc = sim_sys_return(s, t, r, s->p->cost.syscall);
    t->advance = 0;
    t->ret2 = fd;
    if (r < 0) { /* the script sees the error; the socket is given back */
        net_fd_close(s, t->proc, (int)fd);
        t->ret2 = r;
    }
    return rc;
}

/* pipe2 or socketpair; cloexec: with O_CLOEXEC / SOCK_CLOEXEC, as
 * multiprocessing makes them (shown in the call's arguments) */
int net_pair(struct sim *s, struct task *t, int pipe, int cloexec)
{
    /* the two lowest free fds, shown as strace shows the result array */
    int fa0 = world_fd_lowest(&s->w, t->proc), fb0 = fa0 + 1;
    while (world_fd_obj(&s->w, t->proc, fb0) >= 0)
        fb0++;
    int room = sim_fd_room(s, t->proc, 2);
    int64_t arg = room < 0 ? TL_FD_PAIR(-1, -1) : TL_FD_PAIR(fa0, fb0);
    if (cloexec && !t->in_sys) {
        char fds[32], args[96];
        if (room < 0) /* at the limit the array is not filled in */
            snprintf(fds, sizeof fds, "...");
        else
            snprintf(fds, sizeof fds, "[%d, %d]", fa0, fb0);
        if (pipe)
            snprintf(args, sizeof args, "%s, O_CLOEXEC", fds);
        else
            snprintf(args, sizeof args, "AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, "
                     "0, %s", fds);
        sim_sys_enter_args(s, t, pipe ? SYS_PIPE2 : SYS_SOCKETPAIR, -1, arg,
                           args);
    }
    /* at the limit the array is not filled in: shown as ... */
    sim_sys_enter(s, t, pipe ? SYS_PIPE2 : SYS_SOCKETPAIR, -1, arg);
    if (room < 0)
        return sim_sys_return(s, t, -EMFILE, s->p->cost.syscall);
    int a, b;
    if (pipe) {
        a = sim_obj_new(s, OK_PIPE_R, s->p->pipebuf, 0, -1, t->proc);
        b = sim_obj_new(s, OK_PIPE_W, 0, 0, a, t->proc);
    } else {
        a = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, -1, t->proc);
        b = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, a, t->proc);
    }
    if (a < 0 || b < 0)
        return GO_FAIL;
    s->tl->objs[a].peer = b;
    if (!pipe) /* AF_UNIX: its own rule for room (sim_writable) */
        s->objs[a].unix_pair = s->objs[b].unix_pair = 1;
    int fa = sim_fd_open(s, t->proc, a);
    int fb = sim_fd_open(s, t->proc, b);
    t->ret2 = TL_FD_PAIR(fa, fb); /* the script's two results */
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

int net_read(struct sim *s, struct task *t, int64_t fd, int64_t want, int recv)
{
    sim_sys_enter(s, t, recv ? SYS_RECVFROM : SYS_READ, fd, want);
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return bad_fd(s, t);
    const struct w_obj *wo = &s->w.objs[o];
    if (wo->kind == OK_PIPE_W || want < 0)
        return sim_sys_return(s, t, wo->kind == OK_PIPE_W ? -EBADF : -EINVAL,
                              s->p->cost.syscall);
    if (recv && wo->kind != OK_SOCKET && wo->kind != OK_LISTEN)
        return sim_sys_return(s, t, -ENOTSOCK, s->p->cost.syscall);
    if (wo->kind == OK_TIMERFD && !recv)
        return timerfd_read(s, t, o, want);
    if (wo->kind == OK_EVENTFD && !recv)
        return evl_eventfd_rw(s, t, o, want, 0);
    if (wo->kind == OK_INPUT && !recv)
        return evl_input_read(s, t, o, want);
    if (wo->kind == OK_LISTEN || wo->kind == OK_EPOLL ||
        wo->kind == OK_URING || wo->kind == OK_TIMERFD)
        return sim_sys_return(s, t, wo->kind == OK_LISTEN ? -ENOTCONN : -EINVAL,
                              s->p->cost.syscall);
    if (wo->rx > 0 && want > 0) { /* phase two: copy from kernel to user */
        int64_t n = want < wo->rx ? want : wo->rx;
        int64_t ns = sim_copy_ns(s, n);
        sim_emit(s, EV_COPY, (int)(t - s->tasks), TC_TO_USER, o, n, ns);
        if (s->objs[o].msgs)
            msg_read(s, (int)(t - s->tasks), o, n);
        /* a reply often follows: net_write reads the peer's side, which
           is in no cache by then (its own side came in with this read) */
        int peer = s->tl->objs[o].peer;
        if (peer >= 0)
            __builtin_prefetch(&s->objs[peer]);
        room_made(s, o);
        return sim_sys_return(s, t, n, sat_add(s->p->cost.syscall, ns));
    }
    if (wo->eof || want == 0)
        return sim_sys_return(s, t, 0, s->p->cost.syscall);
    if (wo->flags & TL_FL_NONBLOCK) /* no data: don't wait, say so */
        return sim_sys_return(s, t, -EAGAIN, s->p->cost.syscall);
    return sim_block(s, t, TW_DATA, o); /* phase one: wait for data */
}

int net_write(struct sim *s, struct task *t, int64_t fd, int64_t want,
              int send, int64_t kind, int64_t v, int64_t total)
{
    sim_sys_enter(s, t, send ? SYS_SENDTO : SYS_WRITE, fd, want);
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return bad_fd(s, t);
    const struct w_obj *wo = &s->w.objs[o];
    int peer = s->tl->objs[o].peer;
    int buf; /* the kernel buffer the bytes are copied into */
    int64_t cap;
    if (wo->kind == OK_EVENTFD && !send)
        return evl_eventfd_rw(s, t, o, want, 1);
    if (wo->kind == OK_TTY && !send) { /* the terminal takes it all */
        if (want > 0 && kind)
            msg_written(s, (int)(t - s->tasks), o, want, kind, v, total);
        return sim_sys_return(s, t, want < 0 ? -EINVAL : want,
                              sat_add(s->p->cost.syscall, sim_copy_ns(s, want)));
    }
    if (wo->kind == OK_SOCKET) {
        if (peer < 0)
            return sim_sys_return(s, t, send ? -ENOTCONN : -EPIPE,
                                  s->p->cost.syscall);
        buf = o;
        cap = s->tl->objs[o].txcap;
    } else if (wo->kind == OK_PIPE_W && !send) {
        buf = peer;
        cap = s->tl->objs[peer].rxcap;
    } else {
        int e = send ? -ENOTSOCK : wo->kind == OK_PIPE_R ? -EBADF : -EINVAL;
        return sim_sys_return(s, t, e, s->p->cost.syscall);
    }
    if (s->objs[peer].freed || (wo->kind == OK_SOCKET && s->objs[o].fin_pending))
        return sim_sys_return(s, t, t->done ? t->done : -EPIPE,
                              s->p->cost.syscall);
    int64_t fill = buf == o ? s->w.objs[o].tx : s->w.objs[buf].rx;
    int64_t room = cap - fill, left = want - t->done;
    int64_t n = left < room ? left : room;
    int64_t ns = 0;
    if (n > 0) {
        ns = sim_copy_ns(s, n);
        int dst = wo->kind == OK_SOCKET ? peer : buf;
        if (t->done == 0 && (kind || s->objs[dst].msgs)) /* before its bytes */
            msg_written(s, (int)(t - s->tasks), dst, want, kind, v, total);
        sim_emit(s, EV_COPY, (int)(t - s->tasks), TC_TO_KERNEL, buf, n, ns);
        t->done += n;
        if (wo->kind == OK_SOCKET) {
            sim_schedule(s, sim_at(s, obj_latency(s, o)), AG_DELIVER, -1, o, peer, n);
        } else {
            /* pipe_write: every poll/select/epoll entry, and one blocked
             * reader (an exclusive wait) or exclusive epoll item */
            sim_wake_queue(s, peer, TL_EP_IN, peer, TW_DATA);
            /* room left: the next blocked writer may go on too */
            if (sim_writable(s, o))
                sim_wake_one(s, peer, TW_SPACE);
        }
    }
    if (t->done == want)
        return sim_sys_return(s, t, want, sat_add(s->p->cost.syscall, ns));
    s->objs[o].nospace = 1; /* full: room made later is announced */
    if (wo->flags & TL_FL_NONBLOCK) /* full: take what fits, or EAGAIN */
        return sim_sys_return(s, t, t->done ? t->done : -EAGAIN,
                              sat_add(s->p->cost.syscall, ns));
    return sim_block(s, t, TW_SPACE, buf); /* full: the writer sleeps */
}

static int op_close(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    sim_sys_enter(s, t, SYS_CLOSE, fd, 0);
    if (sim_fd_obj(s, t, fd) < 0)
        return bad_fd(s, t);
    net_fd_close(s, t->proc, (int)fd);
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int op_fcntl(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0);
    int first = (in->flags & TL_FL_ASYNC) ? 1 : 0;
    if (first && t->phase == 0) /* O_ASYNC needs an owner: F_SETOWN first */
        return sig_setown(s, t, in);
    int o = sim_fd_obj(s, t, fd);
    int acc = o < 0 ? 2 : s->w.objs[o].kind == OK_PIPE_R ||
                          s->w.objs[o].kind == OK_INPUT ? 0
                        : s->w.objs[o].kind == OK_PIPE_W ? 1 : 2;
    if (t->phase == first) {
        /* the idiom: fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | flag) */
        sim_sys_enter(s, t, SYS_FCNTL, fd, TL_F_GETFL);
        t->advance = 1;
        if (o < 0)
            return bad_fd(s, t);
        return sim_sys_return(s, t, tl_linux_flags(acc, s->w.objs[o].flags),
                              s->p->cost.syscall);
    }
    int fl = (o < 0 ? 0 : s->w.objs[o].flags) | in->flags;
    sim_sys_enter(s, t, SYS_FCNTL, fd, TL_F_SETFL(acc, fl));
    if (o < 0)
        return bad_fd(s, t);
    sim_emit(s, EV_FLAGS, t->proc, fl, o, fd, 0);
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

void net_syn(struct sim *s, int l, int client, int tries)
{
    struct sobj *lo = &s->objs[l];
    if (s->objs[client].freed)
        return; /* the connector gave up */
    if (lo->freed || lo->accept_q < 0) {
        /* no listener any more: the kernel answers with a reset */
        s->objs[client].connect_ret = -ECONNREFUSED;
        sim_schedule(s, sim_at(s, obj_latency(s, client)), AG_ESTABLISHED, -1,
                     client, 0, 0);
        return;
    }
    if (sim_qlen(s, lo->accept_q) + lo->handshakes > s->p->backlog) {
        /* accept queue full (backlog + 1 fit): Linux drops the SYN and the
         * client retransmits after 1 s, 2 s, 4 s ... then gives up */
        if (tries >= SYN_RETRIES) {
            s->objs[client].connect_ret = -ETIMEDOUT;
            sim_schedule(s, s->now, AG_ESTABLISHED, -1, client, 0, 0);
        } else {
            sim_schedule(s, sim_at(s, (SYN_TIMEOUT << tries)), AG_SYN, -1, l,
                         client, tries + 1);
        }
        return;
    }
    int owner = s->tl->objs[l].owner;
    /* the accepted socket inherits the listener's buffer sizes */
    int c = sim_obj_new(s, OK_SOCKET, s->tl->objs[l].rxcap,
                        s->tl->objs[l].txcap, client, owner);
    if (c >= 0) {
        s->objs[c].so_sndbuf = s->objs[l].so_sndbuf;
        s->objs[c].so_rcvbuf = s->objs[l].so_rcvbuf;
    }
    lo = NULL; /* s->objs may have moved */
    if (c < 0)
        return;
    s->tl->objs[client].peer = c;
    s->tl->objs[c].port = s->tl->objs[l].port;
    s->objs[c].remote = s->objs[client].remote;
    /* SYN-ACK back to the client: its connect() returns; its ACK comes
     * back one latency later, and only then is the connection complete
     * and queued for accept() (tcp_check_req, inet_csk_complete_hashdance) */
    s->objs[client].connect_ret = 0;
    int64_t lat = obj_latency(s, client);
    sim_schedule(s, sim_at(s, lat), AG_ESTABLISHED, -1, client, 0, 0);
    sim_schedule(s, sim_at(s, sat_mul(2, lat)), AG_ACK, -1, l, c, 0);
    s->objs[l].handshakes++;
}

/* The client's final ACK reaches the listener: the connection is ready */
void net_ack(struct sim *s, int l, int c)
{
    s->objs[l].handshakes--;
    if (s->objs[l].freed) { /* the listener went away meanwhile: reset */
        net_obj_release(s, c);
        return;
    }
    sim_emit(s, EV_QUEUE, TASK_NONE, TQ_PUSH, s->objs[l].accept_q, c, 0);
    /* sk_data_ready: select/poll entries and ordinary epoll items, then
     * the first exclusive entry that wakes someone: a task asleep in
     * accept (inet_csk_wait_for_connect) or an EPOLLEXCLUSIVE item */
    sim_wake_queue(s, l, TL_EP_IN, l, TW_CONNECTION);
}

/* The user at the keyboard types: the bytes land in the terminal's input
 * buffer (what does not fit is lost, as N_TTY drops input past its 4096
 * bytes), and a reader of fd 0 wakes up.  No syscall: it is not a task of
 * the machine that does it. */
static int op_type(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t n = sim_arg(t, in, 0);
    int64_t room = s->tl->objs[s->tty].rxcap - s->w.objs[s->tty].rx;
    if (n > room)
        n = room;
    if (n > 0) {
        sim_emit(s, EV_DATA, (int)(t - s->tasks), 0, s->tty, n, -1);
        sim_wake_obj(s, s->tty, TW_DATA);
        sim_notify_readable(s, s->tty);
    }
    t->pc++;
    return GO_NEXT;
}

/* setrlimit(RLIMIT_NOFILE, {soft, hard}): glibc calls prlimit64(0, ...).
 * do_prlimit refuses soft > hard (EINVAL), and a hard limit above the
 * current one or above fs.nr_open without CAP_SYS_RESOURCE (EPERM).  The
 * limit belongs to the process: its threads share it, a child inherits
 * it.  Lowering it closes nothing: fds above it stay open, only new ones
 * must be below it. */
static int op_setrlimit(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct task *pr = &s->tasks[t->proc];
    int64_t cur = sim_arg(t, in, 1);
    int64_t max = in->nargs > 2 ? sim_arg(t, in, 2) : pr->nofile_max;
    int64_t shown_cur = cur < 0 || cur > 0xffffffff ? 0xffffffff : cur;
    int64_t shown_max = max < 0 || max > 0xffffffff ? 0xffffffff : max;
    sim_sys_enter(s, t, SYS_PRLIMIT64, -1, TL_RLIM_ARG(shown_cur, shown_max));
    int64_t r = 0;
    if (cur < 0 || max < 0 || cur > max)
        r = -EINVAL;
    else if (max > pr->nofile_max || max > TL_NR_OPEN)
        r = -EPERM;
    if (r == 0) {
        pr->nofile_cur = cur;
        pr->nofile_max = max;
    }
    return sim_sys_return(s, t, r, s->p->cost.syscall);
}

/*
 * setsockopt(fd, SOL_SOCKET, SO_SNDBUF / SO_RCVBUF, [size], 4): the kernel
 * caps the value at net.core.wmem_max / rmem_max (212992), doubles it "to
 * allow space for bookkeeping overhead" (socket(7); getsockopt reads the
 * doubled value back) and keeps at least SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF.
 * iosim's buffers count payload: measured over loopback on Linux 6.x, a
 * send buffer holds about 3/4 of the doubled value in data and a receive
 * buffer (its TCP window) about half, so 4096 set gives 6 KiB and 4 KiB.
 * Sockets accepted from a listening socket inherit its sizes.
 */
#define NET_MEM_MAX 212992
/* sk_sndbuf of a TCP socket once its handshake is done, unless SO_SNDBUF
 * was set: tcp_init_buffer_space -> tcp_sndbuf_expand raises tcp_wmem[1]
 * (16384) to 2 (CUBIC's factor; BBR's is 3) x TCP_INIT_CWND (10) segments
 * x 2304 bytes per segment of a 1448-byte MSS (an Ethernet MTU of 1500);
 * getsockopt read 46080 on a veth link here.  The machine's default
 * `sndbuf` is this size in payload (scn.c): about 46 KB stayed queued in
 * such a send buffer when its peer stopped reading. */
#define NET_TCP_SNDBUF 46080
#define NET_MIN_SNDBUF 4608
#define NET_MIN_RCVBUF 2304
static int op_setsockopt(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), opt = sim_arg(t, in, 1);
    int64_t val = sim_arg(t, in, 2);
    sim_sys_enter(s, t, SYS_SETSOCKOPT, fd, TL_SOCKOPT_ARG(opt, val));
    int o = sim_fd_obj(s, t, fd);
    if (o < 0)
        return bad_fd(s, t);
    int kind = s->w.objs[o].kind;
    if (kind != OK_SOCKET && kind != OK_LISTEN)
        return sim_sys_return(s, t, -ENOTSOCK, s->p->cost.syscall);
    if (val < 0)
        val = 0;
    int64_t v = (val < NET_MEM_MAX ? val : NET_MEM_MAX) * 2;
    if (opt == TL_SO_SNDBUF) {
        s->objs[o].so_sndbuf = v > NET_MIN_SNDBUF ? v : NET_MIN_SNDBUF;
        s->tl->objs[o].txcap = s->objs[o].so_sndbuf * 3 / 4;
    } else {
        s->objs[o].so_rcvbuf = v > NET_MIN_RCVBUF ? v : NET_MIN_RCVBUF;
        s->tl->objs[o].rxcap = s->objs[o].so_rcvbuf / 2;
    }
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

/* getsockopt(fd, SOL_SOCKET, SO_SNDBUF / SO_RCVBUF): sk_sndbuf / sk_rcvbuf,
 * the doubled value setsockopt stored; unset, what Linux gives a TCP
 * socket: tcp_rmem[1] 131072, and tcp_wmem[1] 16384 until the handshake
 * is done, then NET_TCP_SNDBUF (tcp_sndbuf_expand; autotuning grows both
 * as the connection is used); wmem_default and rmem_default 212992 for a
 * socketpair */
static int op_getsockopt(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), opt = sim_arg(t, in, 1);
    int o = sim_fd_obj(s, t, fd);
    int kind = o < 0 ? -1 : s->w.objs[o].kind;
    int64_t v = 0;
    if (kind == OK_SOCKET || kind == OK_LISTEN) {
        const struct sobj *so = &s->objs[o];
        v = opt == TL_SO_SNDBUF ? so->so_sndbuf : so->so_rcvbuf;
        if (!v)
            v = so->unix_pair ? NET_MEM_MAX
                : opt != TL_SO_SNDBUF ? 131072
                : kind == OK_SOCKET && s->tl->objs[o].peer >= 0 ? NET_TCP_SNDBUF
                : 16384;
    }
    sim_sys_enter(s, t, SYS_GETSOCKOPT, fd, TL_SOCKOPT_ARG(opt, v));
    if (o < 0)
        return bad_fd(s, t);
    if (kind != OK_SOCKET && kind != OK_LISTEN)
        return sim_sys_return(s, t, -ENOTSOCK, s->p->cost.syscall);
    t->ret2 = v;
    return sim_sys_return(s, t, 0, s->p->cost.syscall);
}

static int io_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_SETSOCKOPT: return op_setsockopt(s, t, in);
    case OP_GETSOCKOPT: return op_getsockopt(s, t, in);
    case OP_SETRLIMIT: return op_setrlimit(s, t, in);
    case OP_SOCKET: return op_socket(s, t, in);
    case OP_LISTEN: return op_listen(s, t, in);
    case OP_ACCEPT: return op_accept(s, t, in);
    case OP_CONNECT: return op_connect(s, t, in);
    case OP_PIPE: case OP_SOCKETPAIR: return net_pair(s, t, in->op == OP_PIPE, 0);
    case OP_READ: case OP_RECV:
        return net_read(s, t, sim_arg(t, in, 0), sim_arg(t, in, 1),
                        in->op == OP_RECV);
    case OP_WRITE: case OP_SEND: {
        int64_t k = in->nargs > 2 ? sim_arg(t, in, 2) : 0;
        int64_t n = sim_arg(t, in, 1);
        if (k && !PROG_IS_KIND(k))
            return sim_fail(s, in, "%s: the message's kind must be a word "
                            "(such as task), not %lld", prog_op_name(in->op),
                            (long long)k);
        return net_write(s, t, sim_arg(t, in, 0), n, in->op == OP_SEND, k,
                         in->nargs > 3 ? sim_arg(t, in, 3) : 0, n);
    }
    case OP_CLOSE: return op_close(s, t, in);
    case OP_TYPE: return op_type(s, t, in);
    default: return op_fcntl(s, t, in);
    }
}

const struct mux_ops mux_io_ops = {
    .name = "io",
    .ops = {OP_SOCKET, OP_LISTEN, OP_ACCEPT, OP_CONNECT, OP_PIPE, OP_SOCKETPAIR,
            OP_READ, OP_RECV, OP_WRITE, OP_SEND, OP_CLOSE, OP_FCNTL, OP_TYPE,
            OP_SETRLIMIT, OP_SETSOCKOPT, OP_GETSOCKOPT, OP__COUNT},
    .exec = io_exec,
};
