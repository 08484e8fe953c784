/*
 * mgr.c - multiprocessing's Manager, as CPython 3.11 runs one on Linux
 * (Lib/multiprocessing/managers.py and connection.py), checked with
 * strace -f of scenarios/py/manager.py.
 *
 * Manager() forks a server process.  It listens on an AF_UNIX socket
 * (/tmp/pymp-XXXXXXXX/listener-XXXXXXXX, backlog 16), sends its address to
 * the parent through a Pipe(duplex=False), starts an accepter thread and
 * waits for a stop event.  The accepter accepts each connection (accept4)
 * and starts a thread for it, which first runs the authentication
 * handshake, both ways: the server sends '#CHALLENGE#' and 20 random
 * bytes, the client answers with their HMAC-MD5 (16 bytes), the server
 * says '#WELCOME#'; then the client challenges the server the same way
 * (deliver_challenge, answer_challenge; 3.12 and later prefix '{sha256}'
 * and use 40 bytes and a SHA-256 digest).  Then the thread reads requests
 * (ident, methodname, args, kwds), calls the method on the shared object
 * and sends ('#RETURN', result).
 *
 * A client: m.dict() opens a connection (socket, connect, the handshake),
 * sends 'create' and closes it; a proxy's first method call in a thread
 * opens that thread's connection (the handshake, 'accept_connection'),
 * which every later call of the thread reuses: each access of d['x'] is
 * one request and one reply.  m.shutdown() sends 'shutdown' on a
 * connection of its own; the server replies, sets its stop event and
 * exits, and the caller waits for it.  Every message is Connection's: a
 * 4-byte length and the bytes, one write each.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_ACCEPT4 288
#define H_MANAGER 0x30000
#define H_DICT 0x40000

/* What a request asks (the kind of its message) */
enum mreq { MR_CREATE, MR_ACCEPT, MR_SET, MR_GET, MR_SHUTDOWN };
static const char *const mreq_name[] = {"create", "accept_connection",
                                        "__setitem__", "__getitem__",
                                        "shutdown"};

struct mdict {
    int mgr;
    int32_t q;      /* TQK_MSGS queue: its items, in the server's memory */
    int64_t *key, *val;
    int n, cap;
};

struct mconn {
    int mgr, dict;   /* the proxy whose connection it is; -1: one-shot */
    int client;      /* the client's kernel thread */
    int64_t cfd;     /* its fd */
    int cobj, sobj;  /* the client's and the server's socket */
    int open;
    int req;         /* the request in flight (enum mreq) */
    int want;        /* the request of the client's operation */
    int sreq;        /* the request the server's thread is serving */
    int64_t key, val, res;
};

struct mgr {
    int server;      /* the server process's first task, -1 */
    int main_waiting;
    int nthreads;    /* threading's counter: Thread-N names */
    int lobj;        /* the listening socket, -1 until it listens */
    int64_t lfd;
    int64_t rfd, wfd; /* the address pipe, as the parent has it */
    char path[64];
};

struct mstate {
    struct mgr *m;
    int nm, mcap;
    struct mdict *d;
    int nd, dcap;
    struct mconn *c;
    int nc, ccap;
    int32_t strs[64]; /* timeline strings of the kinds used, cached */
    char *strv[64];
    int nstr;
};

static struct mstate *ms_of(struct sim *s)
{
    if (!s->mgr && !(s->mgr = calloc(1, sizeof *s->mgr)))
        s->failed = -ENOMEM;
    return s->mgr;
}

void mgr_free(struct sim *s)
{
    struct mstate *m = s->mgr;
    if (!m)
        return;
    for (int i = 0; i < m->nd; i++) {
        free(m->d[i].key);
        free(m->d[i].val);
    }
    for (int i = 0; i < m->nstr; i++)
        free(m->strv[i]);
    free(m->m);
    free(m->d);
    free(m->c);
    free(m);
    s->mgr = NULL;
}

/* A message kind made at run time ("__setitem__ x"), as MSG_TL_KIND */
static int64_t tl_kind(struct sim *s, const char *text)
{
    struct mstate *m = ms_of(s);
    if (!m)
        return 0;
    for (int i = 0; i < m->nstr; i++)
        if (!strcmp(m->strv[i], text))
            return MSG_TL_KIND(m->strs[i]);
    int id = tl_add_str(s->tl, text);
    if (id < 0) {
        s->failed = -ENOMEM;
        return 0;
    }
    if (m->nstr < 64 && (m->strv[m->nstr] = strdup(text)))
        m->strs[m->nstr++] = id;
    return MSG_TL_KIND(id);
}

static const char *kind_text(const struct sim *s, int64_t kind)
{
    int i = PROG_IS_KIND(kind) ? PROG_KIND_STR(kind) : -1;
    return i >= 0 && i < s->p->nstrs ? s->p->strs[i] : "?";
}

static int64_t sys_cost(const struct sim *s)
{
    return s->p->cost.syscall;
}

/* One write of a message: a 4-byte length and n bytes, labelled kind v */
static int mwrite(struct sim *s, struct task *t, int64_t fd, int64_t kind,
                  int64_t v, int64_t n, const char *what)
{
    if (!t->in_sys) {
        char args[200];
        snprintf(args, sizeof args, "%lld, <length %lld> + %s, %lld",
                 (long long)fd, (long long)n, what, (long long)(n + 4));
        sim_sys_enter_args(s, t, SYS_WRITE, fd, n + 4, args);
        t->done = 0;
    }
    t->advance = 1;
    return net_write(s, t, fd, n + 4, 0, kind, v, n + 4);
}

static int mclose(struct sim *s, struct task *t, int64_t fd)
{
    sim_sys_enter(s, t, SYS_CLOSE, fd, 0);
    t->advance = 1;
    if (sim_fd_obj(s, t, fd) >= 0)
        net_fd_close(s, t->proc, (int)fd);
    return sim_sys_return(s, t, 0, sys_cost(s));
}

/* The pickled sizes CPython 3.11 sends (measured: an ident of 12 hex
 * digits, the thread name MainThread) */
static int64_t int_bytes(int64_t v)
{
    return prog_pickle_size("", v) - 17;
}

static int64_t req_size(int req, const char *key, int64_t v)
{
    switch (req) {
    case MR_CREATE: return 36;
    case MR_ACCEPT: return 54;
    case MR_SET: return 51 + (int64_t)strlen(key) + int_bytes(v);
    case MR_GET: return 51 + (int64_t)strlen(key);
    default: return 30; /* (None, 'shutdown', (), {}) */
    }
}

static int64_t reply_size(int req, int64_t res)
{
    if (req == MR_CREATE)
        return 207; /* ('#RETURN', (Token(...), exposed methods)) */
    if (req == MR_GET)
        return prog_pickle_size("#RETURN", res);
    return 25; /* ('#RETURN', None) */
}

/* ---- the client's side -------------------------------------------------
 * A client operation is a list of steps; t->phase is step * 8 + the
 * step's own phase (a read is msg_recv_step's four). */
enum cstep { C_SOCKET, C_CONNECT, C_R_CHAL, C_W_DIGEST, C_R_WELCOME,
             C_W_CHAL, C_R_DIGEST, C_W_WELCOME, C_W_ACCEPT, C_W_REQ, C_R_REP,
             C_CLOSE, C_JOIN, C_DONE };

static const int steps_create[] = {C_SOCKET, C_CONNECT, C_R_CHAL, C_W_DIGEST,
    C_R_WELCOME, C_W_CHAL, C_R_DIGEST, C_W_WELCOME, C_W_REQ, C_R_REP, C_CLOSE,
    C_DONE};
static const int steps_call[] = {C_SOCKET, C_CONNECT, C_R_CHAL, C_W_DIGEST,
    C_R_WELCOME, C_W_CHAL, C_R_DIGEST, C_W_WELCOME, C_W_ACCEPT, C_R_REP,
    C_W_REQ, C_R_REP, C_DONE};
#define CALL_REUSE 10 /* steps_call from here on a connection already made */
static const int steps_shutdown[] = {C_SOCKET, C_CONNECT, C_R_CHAL,
    C_W_DIGEST, C_R_WELCOME, C_W_CHAL, C_R_DIGEST, C_W_WELCOME, C_W_REQ,
    C_R_REP, C_CLOSE, C_JOIN, C_DONE};

static struct mconn *conn_new(struct sim *s, int mgr, int dict, int client)
{
    struct mstate *m = s->mgr;
    struct mconn *p = sim_grow(s, m->c, &m->ccap, m->nc, sizeof *p);
    if (!p)
        return NULL;
    m->c = p;
    struct mconn *c = &m->c[m->nc++];
    memset(c, 0, sizeof *c);
    c->mgr = mgr;
    c->dict = dict;
    c->client = client;
    c->cfd = -1;
    c->cobj = c->sobj = -1;
    return c;
}

/* connect(fd, {AF_UNIX, path}) (net_unix_connect) */
static int64_t unix_connect(struct sim *s, struct task *t, struct mconn *c,
                            struct mgr *g)
{
    int srv = net_unix_connect(s, t, c->cobj, g->lobj, g->server);
    if (srv < 0)
        return srv;
    c->sobj = srv;
    return 0;
}

static int client_step(struct sim *s, struct task *t, const struct prog_ins *in,
                       int mi, struct mconn *c, const int *steps, int *done)
{
    struct mstate *m = s->mgr;
    int ci = (int)(c - m->c);
    int k = t->phase / 8, sub = t->phase % 8, step = steps[k];
    struct mgr *g = &m->m[mi];
    *done = 0;
    if (step == C_DONE) {
        *done = 1;
        return GO_NEXT;
    }
    if (sub == 1 && step != C_R_CHAL && step != C_R_WELCOME &&
        step != C_R_DIGEST && step != C_R_REP) { /* a call of one syscall */
        t->phase = (k + 1) * 8;
        return GO_NEXT;
    }
    char args[160];
    switch (step) {
    case C_SOCKET: {
        sim_sys_enter_args(s, t, SYS_SOCKET, -1, 0,
                           "AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0");
        t->advance = 1;
        if (sim_fd_room(s, t->proc, 1) < 0)
            return sim_fail(s, in, "no fd left for the manager's connection");
        int o = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, -1,
                            t->proc);
        if (o < 0)
            return GO_FAIL;
        c = &s->mgr->c[ci];
        c->cobj = o;
        c->cfd = sim_fd_open(s, t->proc, o);
        c->open = 1;
        return sim_sys_return(s, t, c->cfd, sys_cost(s));
    }
    case C_CONNECT: {
        snprintf(args, sizeof args, "%lld, {sa_family=AF_UNIX, sun_path=\"%s\"}"
                 ", %d", (long long)c->cfd, g->path, (int)strlen(g->path) + 3);
        sim_sys_enter_args(s, t, SYS_CONNECT, c->cfd, 0, args);
        t->advance = 1;
        int64_t r = unix_connect(s, t, c, g);
        if (r < 0)
            return sim_fail(s, in, "ConnectionRefusedError: the manager's "
                            "server is not running");
        return sim_sys_return(s, t, 0, sys_cost(s));
    }
    case C_R_CHAL: case C_R_WELCOME: case C_R_DIGEST: case C_R_REP: {
        int r = msg_recv_step(s, t, in, c->cfd, k * 8);
        if (r != GO_NEXT || t->phase < k * 8 + 4)
            return r;
        if (t->msg_kind < 0) /* EOFError, or a failed read */
            return sim_fail(s, in, "EOFError: the manager's server closed "
                            "the connection");
        t->phase = (k + 1) * 8;
        return GO_NEXT;
    }
    case C_W_DIGEST: case C_W_WELCOME: case C_W_CHAL:
        if (step == C_W_CHAL)
            return mwrite(s, t, c->cfd, tl_kind(s, "#CHALLENGE#"), TL_MSG_NOVAL, 31,
                          "b'#CHALLENGE#' + 20 random bytes");
        if (step == C_W_DIGEST)
            return mwrite(s, t, c->cfd, tl_kind(s, "digest"), TL_MSG_NOVAL, 16,
                          "hmac-md5(authkey, challenge)");
        return mwrite(s, t, c->cfd, tl_kind(s, "#WELCOME#"), TL_MSG_NOVAL, 9,
                      "b'#WELCOME#'");
    case C_W_ACCEPT:
        c->req = MR_ACCEPT;
        return mwrite(s, t, c->cfd, tl_kind(s, "accept_connection"), TL_MSG_NOVAL,
                      req_size(MR_ACCEPT, "", 0),
                      "pickle((None, 'accept_connection', ('MainThread',), {}))");
    case C_W_REQ: {
        c->req = c->want;
        char what[160], kt[96];
        const char *kn = kind_text(s, c->key);
        if (c->req == MR_SET) {
            snprintf(what, sizeof what, "pickle((ident, '__setitem__', ('%s', "
                     "%lld), {}))", kn, (long long)c->val);
            snprintf(kt, sizeof kt, "__setitem__ %s", kn);
        } else if (c->req == MR_GET) {
            snprintf(what, sizeof what, "pickle((ident, '__getitem__', ('%s',),"
                     " {}))", kn);
            snprintf(kt, sizeof kt, "__getitem__ %s", kn);
        } else {
            snprintf(what, sizeof what, "pickle((None, '%s', %s, {}))",
                     mreq_name[c->req], c->req == MR_CREATE ? "('dict',)" : "()");
            snprintf(kt, sizeof kt, "%s", c->req == MR_CREATE ? "create dict"
                                                              : mreq_name[c->req]);
        }
        return mwrite(s, t, c->cfd, tl_kind(s, kt),
                      c->req == MR_SET ? c->val : TL_MSG_NOVAL,
                      req_size(c->req, kn, c->val), what);
    }
    case C_CLOSE:
        c->open = 0;
        return mclose(s, t, c->cfd);
    default: { /* C_JOIN: process.join() of the server: its wait4 */
        struct prog_ins w;
        memset(&w, 0, sizeof w);
        w.op = OP_WAIT;
        w.dst = w.dst2 = w.jump = w.list = -1;
        w.nargs = 1;
        w.a[0].kind = ARG_CONST;
        w.a[0].v = s->tasks[g->server].id;
        w.line = in->line;
        return mux_proc_ops.exec(s, t, &w);
    }
    }
}

/* ---- the server's side: its three kinds of threads --------------------- */

static struct mgr *server_mgr(struct sim *s, const struct task *t)
{
    struct mstate *m = s->mgr;
    for (int i = 0; m && i < m->nm; i++)
        if (m->m[i].server == t->proc)
            return &m->m[i];
    return NULL;
}

static int msrv_goto(struct sim *s, struct task *t, int step)
{
    t->pc = s->p->mgr_pc + step;
    t->phase = 0;
    return GO_NEXT;
}

static int dict_find(const struct mdict *d, int64_t key)
{
    for (int i = 0; i < d->n; i++)
        if (d->key[i] == key)
            return i;
    return -1;
}

/* The method a request names, run in the server: the shared object's
 * state changes here and only here */
static void msrv_call(struct sim *s, struct task *t, struct mconn *c)
{
    struct mstate *m = s->mgr;
    int me = (int)(t - s->tasks);
    c->res = 0;
    if (c->req == MR_CREATE) {
        struct mdict *p = sim_grow(s, m->d, &m->dcap, m->nd, sizeof *p);
        if (!p)
            return;
        m->d = p;
        struct mdict *d = &m->d[m->nd];
        memset(d, 0, sizeof *d);
        d->mgr = c->mgr;
        char name[96];
        snprintf(name, sizeof name, "%s: dict #%d", s->tl->tasks[t->proc].name,
                 m->nd + 1);
        d->q = tl_add_queue(s->tl, name, TQK_MSGS, t->proc);
        if (d->q < 0) {
            s->failed = -ENOMEM;
            return;
        }
        c->res = H_DICT + m->nd++;
        return;
    }
    if (c->req != MR_SET && c->req != MR_GET)
        return;
    struct mdict *d = &m->d[c->dict];
    int i = dict_find(d, c->key);
    int ks = msg_kind_str(s, c->key);
    if (c->req == MR_GET) {
        c->res = i >= 0 ? d->val[i] : 0;
        c->val = i >= 0; /* found: else the reply is #ERROR (KeyError) */
        return;
    }
    if (i >= 0) {
        sim_emit(s, EV_QUEUE, me, TQ_REMOVE, d->q, TL_MSG(ks, d->val[i]), 0);
        d->val[i] = c->val;
    } else {
        if (d->n == d->cap) {
            int ncap = d->cap ? d->cap * 2 : 8;
            int64_t *k = realloc(d->key, (size_t)ncap * sizeof *k);
            if (k)
                d->key = k;
            int64_t *v = realloc(d->val, (size_t)ncap * sizeof *v);
            if (v)
                d->val = v;
            if (!k || !v) {
                s->failed = -ENOMEM;
                return;
            }
            d->cap = ncap;
        }
        d->key[d->n] = c->key;
        d->val[d->n++] = c->val;
    }
    sim_emit(s, EV_QUEUE, me, TQ_PUSH, d->q, TL_MSG(ks, c->val), 0);
}

static int op_msrv(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct mgr *g = server_mgr(s, t);
    if (!g)
        return sim_fail(s, in, "internal: a manager thread without its server");
    struct mstate *m = s->mgr;
    int me = (int)(t - s->tasks), sub = t->phase;
    char args[200];
    switch (in->flags) {
    case MS_LISTEN: /* Listener(address, backlog=16) */
        if (sub == 0) {
            sim_sys_enter_args(s, t, SYS_SOCKET, -1, 0,
                               "AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0");
            t->advance = 1;
            int o = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, -1,
                                t->proc);
            if (o < 0)
                return GO_FAIL;
            g = server_mgr(s, t);
            g->lobj = o;
            g->lfd = sim_fd_open(s, t->proc, o);
            return sim_sys_return(s, t, g->lfd, s->p->cost.syscall);
        }
        if (sub == 1) {
            snprintf(args, sizeof args, "%lld, {sa_family=AF_UNIX, sun_path="
                     "\"%s\"}, %d", (long long)g->lfd, g->path,
                     (int)strlen(g->path) + 3);
            sim_sys_enter_args(s, t, SYS_BIND, g->lfd, 0, args);
            t->advance = 1;
            return sim_sys_return(s, t, 0, s->p->cost.syscall);
        }
        if (sub == 2) {
            snprintf(args, sizeof args, "%lld, 16", (long long)g->lfd);
            sim_sys_enter_args(s, t, SYS_LISTEN, g->lfd, 16, args);
            t->advance = 1;
            char name[96];
            snprintf(name, sizeof name, "accept queue (%s)",
                     strrchr(g->path, '/') + 1);
            if (net_listen(s, g->lobj, name, 0) < 0)
                return GO_FAIL;
            return sim_sys_return(s, t, 0, s->p->cost.syscall);
        }
        return msrv_goto(s, t, MS_ADDRESS);
    case MS_ADDRESS: /* writer.send(self.address); writer.close() */
        if (sub == 0) {
            char what[96];
            snprintf(what, sizeof what, "pickle('%s')", g->path);
            return mwrite(s, t, g->wfd, tl_kind(s, "address"), TL_MSG_NOVAL,
                          (int64_t)strlen(g->path) + 15, what);
        }
        if (sub == 1)
            return mclose(s, t, g->wfd);
        return msrv_goto(s, t, MS_ACCEPTER);
    case MS_ACCEPTER: /* threading.Thread(target=self.accepter).start() */
        if (sub == 0) {
            sim_sys_enter(s, t, SYS_CLONE3, -1, 0);
            g->nthreads = 1;
            int c = proc_feeder_new(s, t, "Thread-1 (accepter)",
                                    s->p->mgr_pc + MA_ACCEPT, s->p->mgr_script);
            if (c < 0)
                return GO_FAIL;
            t = &s->tasks[me];
            t->advance = 1;
            return sim_sys_return(s, t, s->tasks[c].id,
                                  sat_add(s->p->cost.syscall, s->p->cost.thread));
        }
        return msrv_goto(s, t, MS_WAIT);
    case MS_WAIT: /* self.stop_event.wait(): until shutdown */
        if (sub == 0) {
            if (!t->in_sys) {
                snprintf(args, sizeof args, "0x%llx, FUTEX_WAIT_BITSET_PRIVATE|"
                         "FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY",
                         0x55d0af9a0000ULL);
                sim_sys_enter_args(s, t, SYS_FUTEX, -1, TL_FUTEX_WAIT, args);
                t->advance = 1;
                g->main_waiting = me + 1;
                return sim_block(s, t, TW_FUTEX, -1);
            }
            return sim_sys_return(s, t, 0, sat_add(s->p->cost.syscall,
                                                   s->p->cost.futex));
        }
        return msrv_goto(s, t, MS_EXIT); /* sys.exit(0) */
    case MA_ACCEPT: /* c = self.listener.accept() */
        if (sub == 0) {
            if (!t->in_sys) {
                snprintf(args, sizeof args, "%lld, {sa_family=AF_UNIX}, "
                         "[110 => 2], SOCK_CLOEXEC", (long long)g->lfd);
                sim_sys_enter_args(s, t, tl_sys_of_nr(NR_ACCEPT4), g->lfd, 0,
                                   args);
            }
            t->advance = 1;
            return net_accept(s, t, g->lfd);
        }
        if (t->ret < 0)
            return msrv_goto(s, t, MA_ACCEPT);
        return msrv_goto(s, t, MA_SPAWN);
    case MA_SPAWN: { /* Thread(target=self.handle_request, args=(c,)).start() */
        if (sub == 0) {
            int fd = (int)t->ret, obj = world_fd_obj(&s->w, t->proc, fd);
            sim_sys_enter(s, t, SYS_CLONE3, -1, 0);
            int ci = -1;
            for (int i = 0; i < m->nc; i++)
                if (m->c[i].sobj == obj)
                    ci = i;
            char nm[48];
            snprintf(nm, sizeof nm, "Thread-%d (handle_request)", ++g->nthreads);
            int c = proc_feeder_new(s, t, nm, s->p->mgr_pc + MH_DELIVER,
                                    s->p->mgr_script);
            if (c < 0)
                return GO_FAIL;
            s->tasks[c].mpq_fd = fd;
            s->tasks[c].mpq_obj = ci;
            s->tasks[c].block_end = s->p->mgr_pc + MS_EXIT + 1;
            t = &s->tasks[me];
            t->advance = 1;
            return sim_sys_return(s, t, s->tasks[c].id,
                                  sat_add(s->p->cost.syscall, s->p->cost.thread));
        }
        return msrv_goto(s, t, MA_ACCEPT);
    }
    case MH_DELIVER: /* deliver_challenge(c, authkey) */
    case MH_ANSWER: { /* answer_challenge(c, authkey) */
        int k = sub / 8, first = in->flags == MH_DELIVER;
        if (k == 3)
            return msrv_goto(s, t, first ? MH_ANSWER : MH_RECV);
        int reading = first ? k == 1 : k != 1;
        if (reading) {
            int r = msg_recv_step(s, t, in, t->mpq_fd, k * 8);
            if (r != GO_NEXT || t->phase < k * 8 + 4)
                return r;
            if (t->msg_kind < 0)
                return msrv_goto(s, t, MH_CLOSE);
            t->phase = (k + 1) * 8;
            return GO_NEXT;
        }
        if (sub % 8 == 1) {
            t->phase = (k + 1) * 8;
            return GO_NEXT;
        }
        if (k == 0)
            return mwrite(s, t, t->mpq_fd, tl_kind(s, "#CHALLENGE#"), TL_MSG_NOVAL, 31,
                          "b'#CHALLENGE#' + 20 random bytes");
        if (k == 1)
            return mwrite(s, t, t->mpq_fd, tl_kind(s, "digest"), TL_MSG_NOVAL, 16,
                          "hmac-md5(authkey, challenge)");
        return mwrite(s, t, t->mpq_fd, tl_kind(s, "#WELCOME#"), TL_MSG_NOVAL, 9,
                      "b'#WELCOME#'");
    }
    case MH_RECV: { /* request = c.recv() */
        int r = msg_recv_step(s, t, in, t->mpq_fd, 0);
        if (r != GO_NEXT || t->phase < 4)
            return r;
        if (t->msg_kind < 0) /* EOFError: the client closed it */
            return msrv_goto(s, t, MH_CLOSE);
        return msrv_goto(s, t, MH_CALL);
    }
    case MH_CALL: /* res = function(*args, **kwds) */
        m->c[t->mpq_obj].sreq = m->c[t->mpq_obj].req;
        msrv_call(s, t, &m->c[t->mpq_obj]);
        return msrv_goto(s, t, MH_SEND);
    case MH_SEND: { /* c.send(('#RETURN', res)) */
        struct mconn *c = &m->c[t->mpq_obj];
        if (sub == 0) {
            int err = c->sreq == MR_GET && !c->val;
            char what[96];
            if (err)
                snprintf(what, sizeof what, "pickle(('#ERROR', KeyError(...)))");
            else if (c->sreq == MR_GET)
                snprintf(what, sizeof what, "pickle(('#RETURN', %lld))",
                         (long long)c->res);
            else
                snprintf(what, sizeof what, "pickle(('#RETURN', %s))",
                         c->sreq == MR_CREATE ? "token" : "None");
            return mwrite(s, t, t->mpq_fd, tl_kind(s, err ? "#ERROR" : "#RETURN"),
                          c->sreq == MR_GET && !err ? c->res : TL_MSG_NOVAL,
                          err ? 60 : reply_size(c->sreq, c->res), what);
        }
        if (sub == 1 && c->sreq == MR_SHUTDOWN && g->main_waiting) {
            /* self.stop_event.set(): the main thread's wait returns */
            snprintf(args, sizeof args, "0x%llx, FUTEX_WAKE_PRIVATE, 1",
                     0x55d0af9a0000ULL);
            sim_sys_enter_args(s, t, SYS_FUTEX, -1, TL_FUTEX_WAKE | 1, args);
            t->advance = 1;
            int w = g->main_waiting - 1;
            g->main_waiting = 0;
            int r = sim_sys_return(s, t, 1, sat_add(s->p->cost.syscall,
                                                    s->p->cost.futex));
            sim_wake(s, &s->tasks[w]);
            return r;
        }
        /* accept_connection: serve_client's loop; others: done */
        return msrv_goto(s, t, c->sreq == MR_ACCEPT || c->sreq == MR_SET ||
                                       c->sreq == MR_GET ? MH_RECV : MH_CLOSE);
    }
    default: /* MH_CLOSE: c.close(), and the thread ends */
        if (sub == 0)
            return mclose(s, t, t->mpq_fd);
        return msrv_goto(s, t, MS_EXIT);
    }
}

/* ---- the client's operations ------------------------------------------- */

static int mgr_of(struct sim *s, const struct prog_ins *in, int64_t h)
{
    if (h < H_MANAGER || !s->mgr || h - H_MANAGER >= s->mgr->nm) {
        sim_fail(s, in, "%s: not a manager made by mp_manager",
                 prog_op_name(in->op));
        return -1;
    }
    return (int)(h - H_MANAGER);
}

static int dict_of(struct sim *s, const struct prog_ins *in, int64_t h)
{
    if (h < H_DICT || !s->mgr || h - H_DICT >= s->mgr->nd) {
        sim_fail(s, in, "%s: not a dict made by mp_dict", prog_op_name(in->op));
        return -1;
    }
    return (int)(h - H_DICT);
}

/* m = mp_manager: Manager() and its start(): a Pipe(duplex=False) for
 * the address, fork the server, read the address it sends */
static int op_mp_manager(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct mstate *m = ms_of(s);
    if (!m)
        return GO_FAIL;
    int me = (int)(t - s->tasks);
    switch (t->phase) {
    case 0:
        if (!t->in_sys) {
            struct mgr *p = sim_grow(s, m->m, &m->mcap, m->nm, sizeof *p);
            if (!p)
                return GO_FAIL;
            m->m = p;
            t->mpq_obj = m->nm++;
            struct mgr *g = &m->m[t->mpq_obj];
            memset(g, 0, sizeof *g);
            g->server = g->lobj = -1;
            uint32_t x = (uint32_t)t->mpq_obj * 2654435761u + 7u;
            char a[9], b[9];
            static const char az[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
            for (int i = 0; i < 8; i++) {
                x = x * 1103515245u + 12345u;
                a[i] = az[(x >> 16) % 37];
                x = x * 1103515245u + 12345u;
                b[i] = az[(x >> 16) % 37];
            }
            a[8] = b[8] = 0;
            snprintf(g->path, sizeof g->path, "/tmp/pymp-%s/listener-%s", a, b);
        }
        {
            int r = net_pair(s, t, 1, 1);
            t->advance = 1;
            return r;
        }
    case 1: { /* Process.start(): fork the server */
        struct mgr *g = &m->m[t->mpq_obj];
        if (!t->in_sys) {
            if (t->ret < 0)
                return sim_fail(s, in, "Manager(): pipe2 failed (EMFILE)");
            g->rfd = TL_FD_PAIR_A(t->ret2);
            g->wfd = TL_FD_PAIR_B(t->ret2);
            sim_sys_enter(s, t, SYS_CLONE, -1, 0);
            int c = proc_fork_new(s, t, "SyncManager", s->p->mgr_pc + MS_LISTEN,
                                  s->p->mgr_script);
            if (c < 0)
                return GO_FAIL;
            t = &s->tasks[me];
            s->mgr->m[t->mpq_obj].server = c;
            t->advance = 1;
            return sim_sys_return(s, t, s->tasks[c].id,
                                  sat_add(s->p->cost.syscall, s->p->cost.fork));
        }
        return GO_BUSY;
    }
    case 2: /* the parent's copy of the writer */
        return mclose(s, t, m->m[t->mpq_obj].wfd);
    case 3: case 4: case 5: case 6: { /* reader.recv(): the address */
        int r = msg_recv_step(s, t, in, m->m[t->mpq_obj].rfd, 3);
        if (r != GO_NEXT || t->phase < 7)
            return r;
        return GO_NEXT;
    }
    case 7:
        return mclose(s, t, m->m[t->mpq_obj].rfd);
    default:
        sim_set_dst(s, t, in->dst, H_MANAGER + t->mpq_obj);
        t->phase = 0;
        t->pc++;
        return GO_NEXT;
    }
}

static int op_client(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct mstate *m = s->mgr;
    int me = (int)(t - s->tasks), kt = t->kthread;
    if (t->phase == 0 && !t->in_sys) {
        int mi, di = -1, req;
        if (in->op == OP_MP_DICT || in->op == OP_MP_SHUTDOWN) {
            mi = mgr_of(s, in, sim_arg(t, in, 0));
            req = in->op == OP_MP_DICT ? MR_CREATE : MR_SHUTDOWN;
        } else {
            di = dict_of(s, in, sim_arg(t, in, 0));
            mi = di < 0 ? -1 : m->d[di].mgr;
            req = in->op == OP_MP_SET ? MR_SET : MR_GET;
        }
        if (mi < 0)
            return GO_FAIL;
        int64_t key = in->op == OP_MP_SET || in->op == OP_MP_GET
                      ? sim_arg(t, in, 1) : 0;
        if ((in->op == OP_MP_SET || in->op == OP_MP_GET) && !PROG_IS_KIND(key))
            return sim_fail(s, in, "%s: the key must be a word (such as "
                            "count)", prog_op_name(in->op));
        struct mconn *c = NULL;
        for (int i = 0; di >= 0 && i < m->nc; i++)
            if (m->c[i].dict == di && m->c[i].client == kt && m->c[i].open)
                c = &m->c[i];
        int reuse = c != NULL;
        if (!c && !(c = conn_new(s, mi, di, kt)))
            return GO_FAIL;
        c->req = c->want = req;
        c->key = key;
        c->val = in->op == OP_MP_SET ? sim_arg(t, in, 2) : 0;
        t->mpq_obj = (int)(c - m->c);
        if (reuse)
            t->phase = CALL_REUSE * 8;
    }
    struct mconn *c = &s->mgr->c[t->mpq_obj];
    const int *steps = in->op == OP_MP_DICT ? steps_create
                     : in->op == OP_MP_SHUTDOWN ? steps_shutdown : steps_call;
    int done, r = client_step(s, t, in, c->mgr, c, steps, &done);
    if (!done)
        return r;
    t = &s->tasks[me];
    c = &s->mgr->c[t->mpq_obj];
    if (c->req == MR_GET && MSG_IS_TL(t->msg_kind) &&
        !strcmp(s->tl->strs[MSG_TL_ID(t->msg_kind)], "#ERROR"))
        return sim_fail(s, in, "mp_get: KeyError: '%s'",
                        kind_text(s, c->key));
    int64_t res = c->req == MR_CREATE ? c->res : c->req == MR_GET ? t->msg_val
                                                                  : 0;
    sim_set_dst(s, t, in->dst, res);
    t->phase = 0;
    t->pc++;
    return GO_NEXT;
}

static int mgr_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_MP_MANAGER: return op_mp_manager(s, t, in);
    case OP_MSRV: return op_msrv(s, t, in);
    default: return op_client(s, t, in);
    }
}

const struct mux_ops mux_mgr_ops = {
    .name = "mgr",
    .ops = {OP_MP_MANAGER, OP_MP_DICT, OP_MP_SET, OP_MP_GET, OP_MP_SHUTDOWN,
            OP_MSRV, OP__COUNT},
    .exec = mgr_exec,
};
