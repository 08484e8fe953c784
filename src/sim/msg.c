/*
 * msg.c - messages: what the bytes in a pipe or a socket are, and
 * multiprocessing's Pipe() and Connection.send/recv (CPython 3.11,
 * Lib/multiprocessing/connection.py; unchanged in 3.12 to 3.14).
 *
 * A message is a kind (a word of the scenario: task, result, request) and
 * a number.  Bytes stay counted as bytes: a write copies them into the
 * kernel buffer, a read copies them out, the buffers fill and drain as
 * before.  A message rides on the bytes that carry it: the object that
 * will receive them (a pipe's read end, the socket at the other end, the
 * terminal) keeps the stream's segments in order, each so many bytes,
 * carrying a message or plain, and its queue (TQK_MSGS, "pipe (read end) #5
 * messages") shows the messages whose bytes are written and not all read yet.
 * A read takes bytes from the oldest segment on; a message leaves the
 * queue when its last byte is read.  An object gets segments only from
 * its first message on (before, the bytes in flight are one plain
 * segment), so plain scenarios pay nothing.
 *
 * Connection.send(obj) pickles obj and calls _send_bytes: a 4-byte
 * big-endian length, then the pickle, in one write(2) when the pickle is
 * at most 16384 bytes (concatenated, against Nagle on TCP), else in two
 * (connection.py, _send_bytes).  Connection.recv() reads 4 bytes, then
 * that many (_recv_bytes, each a loop of read(2) until the count is in):
 * so a receiver blocks in its first read.  Pipe() is a socketpair
 * (AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC); Pipe(duplex=False) is os.pipe(),
 * pipe2(O_CLOEXEC).  Checked with strace -f of scenarios/py/ipc-pipe.py.
 */
#include "sim/sim_int.h"
#include "tl/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One run of the stream on its way to an object */
struct mseg {
    int64_t left;  /* bytes of it not read yet */
    int64_t total; /* its bytes */
    int64_t kind;  /* PROG_KIND, or 0: plain bytes */
    int64_t v;
};

#define TTY_RUNS 24 /* runs of writes the terminal's queue keeps */

struct msgq {
    struct mseg *v; /* a ring: v[(head + i) % cap], i < n */
    int head, n, cap;
    int32_t q; /* the TQK_MSGS queue */
};

int msg_kind_str(struct sim *s, int64_t kind)
{
    if (MSG_IS_TL(kind))
        return MSG_TL_ID(kind);
    int i = PROG_KIND_STR(kind);
    if (i < 0 || i >= s->p->nstrs)
        return -1;
    if (s->str_ids[i] < 0)
        s->str_ids[i] = tl_add_str(s->tl, s->p->strs[i]);
    if (s->str_ids[i] < 0)
        s->failed = -ENOMEM;
    return s->str_ids[i];
}

static const char *kind_name(const struct sim *s, int64_t kind)
{
    int i = PROG_KIND_STR(kind);
    return i >= 0 && i < s->p->nstrs ? s->p->strs[i] : "?";
}

static struct msgq *msgq_of(struct sim *s, int obj)
{
    struct msgq *m = s->objs[obj].msgs;
    if (m)
        return m;
    char o[64], name[96];
    if (s->w.objs[obj].kind == OK_TTY)
        snprintf(name, sizeof name, "terminal output");
    else
        snprintf(name, sizeof name, "%s messages",
                 tl_obj_text(o, sizeof o, s->tl, obj));
    int q = tl_add_queue(s->tl, name, TQK_MSGS, obj);
    if (q < 0 || !(m = calloc(1, sizeof *m))) {
        s->failed = -ENOMEM;
        return NULL;
    }
    m->q = q;
    s->objs[obj].msgs = m;
    return m;
}

static int seg_push(struct sim *s, struct msgq *m, int64_t bytes, int64_t kind,
                    int64_t v)
{
    if (m->n == m->cap) {
        int ncap = m->cap ? m->cap * 2 : 8;
        if (sim_charge(s, (int64_t)(ncap - m->cap) * (int64_t)sizeof *m->v))
            return -1;
        struct mseg *p = malloc((size_t)ncap * sizeof *p);
        if (!p) {
            s->failed = -ENOMEM;
            return -1;
        }
        for (int i = 0; i < m->n; i++)
            p[i] = m->v[(m->head + i) % m->cap];
        free(m->v);
        m->v = p;
        m->head = 0;
        m->cap = ncap;
    }
    m->v[(m->head + m->n) % m->cap] = (struct mseg){bytes, bytes, kind, v};
    m->n++;
    return 0;
}

static void msg_emit(struct sim *s, int task, int op, struct msgq *m,
                     int64_t kind, int64_t v)
{
    int id = msg_kind_str(s, kind);
    if (id >= 0)
        sim_emit(s, EV_QUEUE, task, op, m->q, TL_MSG(id, v), 0);
}

void msg_written(struct sim *s, int task, int dst, int64_t n, int64_t kind,
                 int64_t v, int64_t total)
{
    (void)n;
    if (kind == MSG_MORE) /* its bytes were counted with its first part */
        return;
    if (s->w.objs[dst].kind == OK_TTY) {
        /* what the screen shows, in order: one item for the writes of one
         * message that follow each other, the last TTY_RUNS of them */
        struct msgq *m = kind ? msgq_of(s, dst) : NULL;
        if (!m)
            return;
        int n = sim_qlen(s, m->q), id = msg_kind_str(s, kind);
        if (id < 0 || (n > 0 && s->w.queues[m->q].items[n - 1] == TL_MSG(id, v)))
            return;
        if (n >= TTY_RUNS)
            sim_emit(s, EV_QUEUE, task, TQ_POP, m->q,
                     s->w.queues[m->q].items[0], 0);
        msg_emit(s, task, TQ_PUSH, m, kind, v);
        return;
    }
    struct msgq *m = s->objs[dst].msgs;
    if (!m) {
        if (!kind || !(m = msgq_of(s, dst)))
            return;
        /* the plain bytes already on their way: in the receive buffer,
         * and for a socket in its peer's send buffer */
        int64_t before = s->w.objs[dst].rx;
        int peer = s->tl->objs[dst].peer;
        if (s->w.objs[dst].kind == OK_SOCKET && peer >= 0)
            before += s->w.objs[peer].tx;
        if (before > 0 && seg_push(s, m, before, 0, 0) < 0)
            return;
    }
    if (seg_push(s, m, total, kind, v) < 0)
        return;
    if (kind)
        msg_emit(s, task, TQ_PUSH, m, kind, v);
}

void msg_read(struct sim *s, int task, int obj, int64_t n)
{
    struct msgq *m = s->objs[obj].msgs;
    while (m && n > 0 && m->n > 0) {
        struct mseg *g = &m->v[m->head];
        int64_t k = n < g->left ? n : g->left;
        g->left -= k;
        n -= k;
        if (g->left > 0)
            break;
        if (g->kind)
            msg_emit(s, task, TQ_POP, m, g->kind, g->v);
        m->head = (m->head + 1) % m->cap;
        m->n--;
    }
}

/* The message whose first byte is next in obj's stream, or NULL */
static const struct mseg *msg_head(const struct sim *s, int obj)
{
    const struct msgq *m = s->objs[obj].msgs;
    if (!m || m->n == 0)
        return NULL;
    const struct mseg *g = &m->v[m->head];
    return g->kind && g->left == g->total ? g : NULL;
}

void msg_free(struct msgq *m)
{
    if (m) {
        free(m->v);
        free(m);
    }
}

static void msg_release(struct sim *s, int obj)
{
    struct msgq *m = s->objs[obj].msgs;
    if (!m)
        return;
    s->objs[obj].msgs = NULL;
    for (int i = 0; i < m->n; i++) { /* lost with the object */
        const struct mseg *g = &m->v[(m->head + i) % m->cap];
        if (g->kind && s->w.objs[obj].kind != OK_TTY)
            msg_emit(s, TASK_NONE, TQ_POP, m, g->kind, g->v);
    }
    msg_free(m);
}

/* "\0\0\0\27", the 4 bytes of a big-endian length as strace prints them */
static void header_text(char *buf, size_t len, int64_t n)
{
    unsigned char b[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    size_t k = 0;
    for (int i = 0; i < 4 && k + 6 < len; i++) {
        unsigned c = b[i];
        int next_digit = i < 3 && b[i + 1] >= '0' && b[i + 1] <= '7';
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[k++] = (char)c;
        else if (next_digit)
            k += (size_t)snprintf(buf + k, len - k, "\\%03o", c);
        else
            k += (size_t)snprintf(buf + k, len - k, "\\%o", c);
    }
    buf[k] = 0;
}

/* conn_send FD KIND [VALUE [SIZE]] */
static int op_conn_send(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int64_t fd = sim_arg(t, in, 0), kind = sim_arg(t, in, 1);
    int64_t v = in->nargs > 2 ? sim_arg(t, in, 2) : 0;
    if (!PROG_IS_KIND(kind))
        return sim_fail(s, in, "conn_send: the message's kind must be a word "
                        "(such as task), not %lld", (long long)kind);
    const char *kn = kind_name(s, kind);
    int64_t n = in->nargs > 3 ? sim_arg(t, in, 3)
                              : prog_pickle_size(kn, v);
    if (n < 1)
        n = 1;
    char hdr[32], args[160];
    header_text(hdr, sizeof hdr, n);
    if (n <= 16384) { /* header + pickle, concatenated: one write */
        if (!t->in_sys) {
            snprintf(args, sizeof args, "%lld, \"%s\" + pickle(('%s', %lld)), "
                     "%lld", (long long)fd, hdr, kn, (long long)v,
                     (long long)(n + 4));
            sim_sys_enter_args(s, t, SYS_WRITE, fd, n + 4, args);
        }
        return net_write(s, t, fd, n + 4, 0, kind, v, n + 4);
    }
    if (t->phase == 0) { /* a large pickle: the header, then the pickle */
        t->advance = 1;
        if (!t->in_sys) {
            snprintf(args, sizeof args, "%lld, \"%s\", 4", (long long)fd, hdr);
            sim_sys_enter_args(s, t, SYS_WRITE, fd, 4, args);
        }
        return net_write(s, t, fd, 4, 0, kind, v, n + 4);
    }
    if (!t->in_sys) {
        t->done = 0;
        snprintf(args, sizeof args, "%lld, pickle(('%s', %lld)), %lld",
                 (long long)fd, kn, (long long)v, (long long)n);
        sim_sys_enter_args(s, t, SYS_WRITE, fd, n, args);
    }
    return net_write(s, t, fd, n, 0, MSG_MORE, v, n);
}

/* Connection.recv() from phase base: base reads the length (4 bytes),
 * base + 1 looks at what came, base + 2 reads the pickle, base + 3
 * unpickles; a short read goes round again, as _recv's loop does */
int msg_recv_step(struct sim *s, struct task *t, const struct prog_ins *in,
                  int64_t fd, int base)
{
    int o = sim_fd_obj(s, t, fd), ph = t->phase - base;
    if (ph == 0 || ph == 2) {
        int body = ph == 2;
        if (!body && t->msg_got == 0 && o >= 0) {
            /* the message the next bytes begin (known as they are read) */
            const struct mseg *g = msg_head(s, o);
            t->msg_len = g ? g->total - 4 : -1;
            t->msg_kind = g ? g->kind : 0;
            t->msg_val = g ? g->v : 0;
        }
        if (!t->in_sys)
            t->done = 0;
        t->advance = 1;
        int64_t want = (body ? t->msg_len : 4) - t->msg_got;
        return net_read(s, t, fd, want, 0);
    }
    int64_t r = t->ret;
    if (r > 0) {
        t->msg_got += r;
        int64_t need = ph == 1 ? 4 : t->msg_len;
        if (t->msg_got < need) { /* not all of it yet: read again */
            t->phase--;
            return GO_NEXT;
        }
        if (ph == 1) {
            if (t->msg_len < 0)
                return sim_fail(s, in, "%s: the bytes on fd %lld are not a "
                                "message (written by write, not by "
                                "conn_send)", prog_op_name(in->op),
                                (long long)fd);
            t->msg_got = 0;
            t->phase = base + 2;
            return GO_NEXT;
        }
    } else { /* end of file: EOFError (also in the middle of a message) */
        t->msg_kind = r == 0 ? PROG_EOF_ERROR : r;
        t->msg_val = 0;
    }
    t->msg_got = 0;
    t->phase = base + 4;
    return GO_NEXT;
}

/* kind [, value] = conn_recv FD */
static int op_conn_recv(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int r = msg_recv_step(s, t, in, sim_arg(t, in, 0), 0);
    if (r != GO_NEXT || t->phase < 4)
        return r;
    sim_set_dst(s, t, in->dst, t->msg_kind);
    sim_set_dst(s, t, in->dst2, t->msg_val);
    t->phase = 0;
    t->pc++;
    return GO_NEXT;
}

static int msg_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_MP_PIPE: return net_pair(s, t, in->flags & 1, 1);
    case OP_CONN_SEND: return op_conn_send(s, t, in);
    default: return op_conn_recv(s, t, in);
    }
}

const struct mux_ops mux_msg_ops = {
    .name = "msg",
    .ops = {OP_MP_PIPE, OP_CONN_SEND, OP_CONN_RECV, OP__COUNT},
    .exec = msg_exec,
    .release = msg_release,
};
