/*
 * fsrv.c - multiprocessing's forkserver start method, as CPython 3.11 runs
 * it on Linux (Lib/multiprocessing/forkserver.py, popen_forkserver.py,
 * resource_tracker.py, reduction.sendfds/recvfds, util.spawnv_passfds),
 * checked with strace -f of scenarios/py/forkserver.py.
 *
 * The first `start forkserver` of a process is ForkServer.ensure_running():
 *   - resource_tracker.ensure_running(): a pipe, then spawnv_passfds (its
 *     error pipe, vfork, the child's closes and execve of python3 -c 'from
 *     multiprocessing.resource_tracker import main;main(R)'); the tracker
 *     reads the pipe until every holder of its write end has exited;
 *   - the server: socket(AF_UNIX), bind to /tmp/pymp-XXXXXXXX/listener-
 *     XXXXXXXX, chmod 0600, listen(128), the "alive" pipe, spawnv_passfds
 *     of python3 -c 'from multiprocessing.forkserver import main; main(3,
 *     5, ...)' passing the listener and alive_r, whose read end sees EOF
 *     when every client has exited; the parent closes its listener.
 * Every start (Popen._launch, connect_to_new_process): socket, connect to
 * the server, two pipes (status: parent_r, child_w; data: child_r,
 * parent_w), the tracker's PROBE line, sendmsg of one byte carrying
 * [child_r, child_w, alive_w, tracker_w] with SCM_RIGHTS, the closes of
 * child_r, child_w and the socket, a dup of parent_w (F_DUPFD_CLOEXEC),
 * the pickled preparation data and process object written to parent_w,
 * and a read of 8 bytes from parent_r: the child's pid, which the server
 * writes once it has forked.
 * The server (main()) runs a selector loop (epoll) over the listener,
 * alive_r and its SIGCHLD wakeup pipe: a connection is accept4, recvmsg,
 * close, fork, the pid to child_w and the closes of the passed fds; a
 * SIGCHLD (its handler writes the signal's number to sig_w, the
 * interrupted epoll_wait returns EINTR and is made again) is the read of
 * sig_r and waitpid(-1, WNOHANG) for each child that exited, whose exit
 * code goes to its child_w.  The child is the server's, not the client's:
 * it closes the server's fds (_serve_one), dups child_r, reads its task
 * and, as a spawned child does (3.11 never preloads __main__ in the
 * server: the main_path it passes is never set, gh-126631), imports the
 * main module again as __mp_main__ before the target.  Process.join() in
 * the client is a poll of parent_r and a read of the 8-byte exit code:
 * the client has no child to wait4 for.
 *
 * Steps run as phases: the client's of its START instruction (mp.c hands
 * them here), the server's and the tracker's of FSRV instructions (one
 * per line of the generated script, prog->fsrv_pc + step), a server's
 * child's of the client's START instruction (its role MP_FS_CHILD).
 */
#include "sim/sim_int.h"
#include "tl/text.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define NR_VFORK 58
#define NR_EXECVE 59
#define NR_SENDMSG 46
#define NR_RECVMSG 47
#define NR_CHMOD 90
#define NR_ACCEPT4 288

/* The sizes CPython 3.11 writes, as measured */
#define FS_PICKLE 804   /* preparation data and process object (Debian's
                           python3.11: 804, then 835 for a second child) */
#define FS_PROBE 13     /* "PROBE:0:noop\n" */

/* One process's fork server (the client's side and the server's) */
struct fsrv {
    int proc;           /* the client process (its first task) */
    int server, tracker; /* their tasks, -1 until made */
    int vforker;        /* the client's task in vfork(), -1 */
    int lobj;           /* the listening socket */
    /* the client's fds: kept (alive_w, tr_w) and those of ensure_running */
    int64_t lfd, alive_r, alive_w, tr_r, tr_w, er_r, er_w;
    /* the server's: the listener, alive_r, the wakeup pipe, the epoll fd */
    int64_t s_lfd, s_alive, sig_r, sig_w, ep;
    int64_t t_fd;       /* the tracker's end of its pipe */
    uint8_t sig_pending; /* SIGCHLD arrived while the server was busy */
    uint8_t sig_intr;    /* ... while it slept in epoll_wait: EINTR */
    uint8_t rf_listener; /* the listener was among the ready fds */
    uint8_t starting;    /* a thread is in ensure_running (holds _lock) */
    int64_t sig_ret;     /* what the handler's rt_sigreturn gives back */
    uint8_t sig_after;   /* ... after an epoll_wait that returned events */
    int cur;            /* the request the server is serving, -1 */
    int64_t conn_fd;    /* ... and the fd of its connection */
    char path[64];
};

/* One Process.start() */
struct fsreq {
    int fs;             /* its fork server */
    int caller;         /* the client's task in start(), -1 once done */
    int pc;             /* its START instruction */
    int first;          /* it started the server (ensure_running's steps) */
    int wait_lock;      /* it waits for the thread that starts the server */
    int cobj, sobj;     /* the client's socket and the server's end */
    int64_t cfd;
    int64_t parent_r, child_w, child_r, parent_w, dup_w; /* the client's */
    int obj[4];         /* the files passed: child_r, child_w, alive_w,
                           tracker_w */
    int64_t s_fd[4];    /* the server's fds of those files (child_w's is
                           pid_to_fd's), -1 */
    int child;          /* the child's task, -1 until forked */
    int reaped;         /* the server has written its exit code */
    int64_t code;
    char name[160];
};

struct fsstate {
    struct fsrv *f;
    int nf, fcap;
    struct fsreq *r;
    int nr, rcap;
    int32_t kind_pid, kind_code; /* timeline strings + 1 of the messages */
};

static struct fsstate *fst(struct sim *s)
{
    if (!s->fsrv && !(s->fsrv = calloc(1, sizeof *s->fsrv)))
        s->failed = -ENOMEM;
    return s->fsrv;
}

void fsrv_free(struct sim *s)
{
    if (!s->fsrv)
        return;
    free(s->fsrv->f);
    free(s->fsrv->r);
    free(s->fsrv);
    s->fsrv = NULL;
}

static struct fsrv *fs_of_client(struct sim *s, int proc)
{
    struct fsstate *m = s->fsrv;
    for (int i = 0; m && i < m->nf; i++)
        if (m->f[i].proc == proc)
            return &m->f[i];
    return NULL;
}

static struct fsrv *fs_of_helper(struct sim *s, int proc)
{
    struct fsstate *m = s->fsrv;
    for (int i = 0; m && i < m->nf; i++)
        if (m->f[i].server == proc || m->f[i].tracker == proc)
            return &m->f[i];
    return NULL;
}

static struct fsreq *req_of_forked(struct sim *s, int child);

static struct fsreq *req_of_caller(struct sim *s, int task)
{
    struct fsstate *m = s->fsrv;
    for (int i = 0; m && i < m->nr; i++)
        if (m->r[i].caller == task)
            return &m->r[i];
    return NULL;
}

/* The 8-byte messages: a kind made at run time */
static int64_t msg_kind(struct sim *s, int code)
{
    struct fsstate *m = fst(s);
    if (!m)
        return 0;
    int32_t *k = code ? &m->kind_code : &m->kind_pid;
    if (!*k) {
        int id = tl_add_str(s->tl, code ? "returncode" : "pid");
        if (id < 0) {
            s->failed = -ENOMEM;
            return 0;
        }
        *k = id + 1;
    }
    return MSG_TL_KIND(*k - 1);
}

/* ---- single syscalls, each one phase of its instruction ---------------- */

static int64_t sys_ns(const struct sim *s)
{
    return s->p->cost.syscall;
}

static int fs_close(struct sim *s, struct task *t, int64_t fd)
{
    sim_sys_enter(s, t, SYS_CLOSE, fd, 0);
    t->advance = 1;
    if (sim_fd_obj(s, t, fd) < 0)
        return sim_sys_return(s, t, -EBADF, sys_ns(s));
    net_fd_close(s, t->proc, (int)fd);
    return sim_sys_return(s, t, 0, sys_ns(s));
}

/* pipe2(..., O_CLOEXEC): its fds land in *r, *w */
static int fs_pipe(struct sim *s, struct task *t, int64_t *r, int64_t *w)
{
    t->advance = 1;
    int g = net_pair(s, t, 1, 1);
    *r = TL_FD_PAIR_A(t->ret2);
    *w = TL_FD_PAIR_B(t->ret2);
    return g;
}

/* A write of n bytes whose start strace shows, carrying (kind, v) */
static int fs_write(struct sim *s, struct task *t, int64_t fd, int64_t n,
                    const char *start, int64_t kind, int64_t v)
{
    if (!t->in_sys) {
        char args[160];
        snprintf(args, sizeof args, "%lld, \"%s\"%s, %lld", (long long)fd,
                 start, n > 16 ? "..." : "", (long long)n);
        sim_sys_enter_args(s, t, SYS_WRITE, fd, n, args);
        t->done = 0;
    }
    t->advance = 1;
    return net_write(s, t, fd, n, 0, kind, v, n);
}

static int fs_read(struct sim *s, struct task *t, int64_t fd, int64_t n)
{
    t->advance = 1;
    return net_read(s, t, fd, n, 0);
}

/* write_signed(fd, n): struct.pack('q', n), one write */
static int fs_write_signed(struct sim *s, struct task *t, int64_t fd, int code,
                           int64_t n)
{
    char b[48];
    uint64_t u = (uint64_t)n;
    int k = 0;
    for (int i = 0; i < 8; i++) {
        unsigned c = (unsigned)(u >> (8 * i)) & 0xff;
        k += snprintf(b + k, sizeof b - (size_t)k, "\\%o", c);
    }
    return fs_write(s, t, fd, 8, b, msg_kind(s, code), n);
}

/* A run of instruction op through its own handler, with constant operands */
static int fs_op(struct sim *s, struct task *t, int op, int64_t a0)
{
    struct prog_ins in;
    memset(&in, 0, sizeof in);
    in.op = (uint16_t)op;
    in.line = s->p->code[t->pc].line;
    in.col = s->p->code[t->pc].col;
    in.dst = in.dst2 = in.jump = in.list = -1;
    in.a[0].kind = ARG_CONST;
    in.a[0].v = a0;
    in.nargs = 1;
    return s->mux[op]->exec(s, t, &in);
}

/* ---- a child made by vfork that execs python3 (spawnv_passfds) ----------
 * Its phases: a close of each fd not passed, the execve, the interpreter's
 * start-up; *done once it is through. */

static int keep_fd(const struct task *c, int fd)
{
    for (int i = 0; i < 6; i++)
        if (c->start_fd[i] == fd)
            return 1;
    return 0;
}

static int exec_child(struct sim *s, struct task *t, const char *cmd,
                      int *done)
{
    int me = (int)(t - s->tasks);
    *done = 0;
    if (t->phase < 1000 && t->phase % 2 == 1) { /* a close is done */
        t->phase++;
        return GO_NEXT;
    }
    if (t->phase < 1000) {
        int n = s->w.procs[t->proc].nfds, fd = -1;
        if (t->in_sys)
            fd = t->sys_fd;
        for (int i = 3; fd < 0 && i < n; i++)
            if (s->w.procs[t->proc].fds[i].obj >= 0 && !keep_fd(t, i))
                fd = i;
        if (fd >= 0)
            return fs_close(s, t, fd);
        t->phase = 1000;
    }
    if (t->phase == 1000) { /* execve: a fresh interpreter */
        if (!t->in_sys) {
            char args[400];
            snprintf(args, sizeof args, "\"/usr/bin/python3\", [\"/usr/bin/"
                     "python3\", \"-B\", \"-c\", \"%s\"], 0x7ffd... /* 37 vars"
                     " */", cmd);
            sim_sys_enter_args(s, t, TL_SYS_LINUX + NR_EXECVE, -1, 0, args);
            const struct prog_task *d = &s->p->tasks[t->decl];
            memset(t->slots, 0, (size_t)d->nslots * sizeof *t->slots);
            if (mem_new(s, me, -1) || gil_new(s, me))
                return GO_FAIL;
            t = &s->tasks[me];
            t->mp_execd = 1;
            struct fsrv *f = fs_of_helper(s, t->proc);
            if (f && f->vforker >= 0) {
                struct task *p = &s->tasks[f->vforker];
                if (!p->exited && p->mp_child == me &&
                    s->w.tasks[f->vforker].state == TS_BLOCKED)
                    sim_wake(s, p); /* vfork returns in the client */
            }
        }
        t->advance = 1;
        return sim_sys_return(s, t, 0, sat_add(s->p->cost.syscall,
                                               s->p->cost.exec));
    }
    if (t->phase == 1001) { /* the interpreter's start-up and imports */
        t->remain = s->p->cost.py_start;
        t->phase = 1002;
    }
    if (t->remain <= 0) {
        *done = 1;
        return GO_NEXT;
    }
    return sched_user_chunk(s, t);
}

/* vfork() in the client: the child (the tracker or the server) starts at
 * pc of the generated script; the client sleeps until it has exec'd */
static int fs_vfork(struct sim *s, struct task *t, struct fsrv *f,
                    const char *name, int step, int64_t keep0, int64_t keep1)
{
    int me = (int)(t - s->tasks), fi = (int)(f - s->fsrv->f);
    if (!t->in_sys) {
        sim_sys_enter(s, t, TL_SYS_LINUX + NR_VFORK, -1, 0);
        int c = proc_vfork_new(s, t, name, s->p->fsrv_pc + step,
                               s->p->fsrv_script);
        if (c < 0)
            return GO_FAIL;
        t = &s->tasks[me];
        f = &s->fsrv->f[fi];
        struct task *ch = &s->tasks[c];
        for (int i = 0; i < 6; i++)
            ch->start_fd[i] = -1;
        ch->start_fd[0] = 2; /* stderr, passed to the tracker */
        ch->start_fd[1] = (int32_t)keep0;
        ch->start_fd[2] = (int32_t)keep1;
        if (step == TR_EXEC)
            f->tracker = c;
        else
            f->server = c;
        f->vforker = me;
        t->mp_child = c;
        return sim_block(s, t, TW_CHILD, -1);
    }
    struct task *ch = &s->tasks[t->mp_child];
    if (!ch->mp_execd && !ch->exited)
        return sim_block(s, t, TW_CHILD, -1);
    f->vforker = -1;
    int64_t id = ch->id;
    t->mp_child = -1;
    return sim_sys_return(s, t, id, sat_add(s->p->cost.syscall,
                                            s->p->cost.vfork));
}

/* ---- the client: Process.start() ------------------------------------------ */

enum pstep {
    P_TR_PIPE, P_TR_ERR, P_TR_VFORK, P_TR_CLOSE_ER, P_TR_CLOSE_EW,
    P_TR_CLOSE_R, P_SOCKET, P_BIND, P_CHMOD, P_LISTEN, P_ALIVE, P_FS_ERR,
    P_FS_VFORK, P_FS_CLOSE_ER, P_FS_CLOSE_EW, P_CLOSE_ALIVE_R, P_CLOSE_L,
    P_PROBE_AGAIN, P_WAITPID, P_CSOCKET, P_CONNECT, P_PIPE_S, P_PIPE_D,
    P_PROBE, P_SENDMSG, P_CLOSE_CR, P_CLOSE_CW, P_CLOSE_SOCK, P_DUP, P_WRITE,
    P_CLOSE_PW, P_READ_PID, P_DONE
};

static struct fsreq *req_new(struct sim *s, struct task *t,
                             const struct prog_ins *in)
{
    struct fsstate *m = fst(s);
    if (!m)
        return NULL;
    struct fsrv *f = fs_of_client(s, t->proc);
    if (!f) {
        struct fsrv *p = sim_grow(s, m->f, &m->fcap, m->nf, sizeof *p);
        if (!p)
            return NULL;
        m->f = p;
        f = &m->f[m->nf++];
        memset(f, 0, sizeof *f);
        f->proc = t->proc;
        f->server = f->tracker = f->vforker = f->lobj = -1;
        f->lfd = f->alive_r = f->alive_w = f->tr_r = f->tr_w = -1;
        f->er_r = f->er_w = f->s_lfd = f->s_alive = -1;
        f->sig_r = f->sig_w = f->ep = f->t_fd = -1;
        f->cur = -1;
        f->conn_fd = -1;
        /* tempfile's names: 8 characters of [a-z0-9_] */
        unsigned x = 2654435761u * (unsigned)(t->proc + 1);
        char a[9], b[9];
        for (int i = 0; i < 8; i++) {
            static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
            a[i] = set[(x >> (i * 3)) % 37];
            b[i] = set[(x * 7 >> (i * 3)) % 37];
        }
        a[8] = b[8] = 0;
        snprintf(f->path, sizeof f->path, "/tmp/pymp-%s/listener-%s", a, b);
    }
    int fi = (int)(f - m->f);
    struct fsreq *p = sim_grow(s, m->r, &m->rcap, m->nr, sizeof *p);
    if (!p)
        return NULL;
    m->r = p;
    struct fsreq *r = &m->r[m->nr++];
    memset(r, 0, sizeof *r);
    f = &m->f[fi];
    r->fs = fi;
    r->caller = (int)(t - s->tasks);
    r->pc = t->pc;
    r->first = f->server < 0 && !f->starting;
    r->wait_lock = f->starting; /* another thread is in ensure_running */
    f->starting |= r->first;
    r->cobj = r->sobj = r->child = -1;
    r->cfd = r->parent_r = r->child_w = r->child_r = r->parent_w = -1;
    r->dup_w = -1;
    for (int i = 0; i < 4; i++)
        r->obj[i] = r->s_fd[i] = -1;
    const char *base = in->nargs >= 1 && in->a[0].kind == ARG_CONST
                           ? s->p->strs[in->a[0].v] : NULL;
    char def[160];
    if (!base) { /* as fork names an unnamed child: PROCESS.N */
        snprintf(def, sizeof def, "%s.%d", s->tl->tasks[t->proc].name,
                 ++s->decl_children[t->decl]);
        base = def;
    }
    snprintf(r->name, sizeof r->name, "%s", base);
    return r;
}

static int p_socket(struct sim *s, struct task *t, const struct prog_ins *in,
                    int *obj, int64_t *fd)
{
    sim_sys_enter_args(s, t, SYS_SOCKET, -1, 0,
                       "AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0");
    if (sim_fd_room(s, t->proc, 1) < 0)
        return sim_fail(s, in, "no fd left for the fork server's socket");
    int o = sim_obj_new(s, OK_SOCKET, s->p->rcvbuf, s->p->sndbuf, -1, t->proc);
    if (o < 0)
        return GO_FAIL;
    *obj = o;
    *fd = sim_fd_open(s, t->proc, o);
    return sim_sys_return(s, t, *fd, sys_ns(s));
}

static int p_done(struct sim *s, struct task *t, const struct prog_ins *in,
                  struct fsreq *r)
{
    int64_t pid = r->child >= 0 ? s->tasks[r->child].id : -1;
    r->caller = -1;
    t->phase = 0;
    t->mp_child = -1;
    sim_set_dst(s, t, in->dst, pid);
    t->pc = in->jump;
    return GO_NEXT;
}

static const int steps_first[] = {
    P_TR_PIPE, P_TR_ERR, P_TR_VFORK, P_TR_CLOSE_ER, P_TR_CLOSE_EW,
    P_TR_CLOSE_R, P_SOCKET, P_BIND, P_CHMOD, P_LISTEN, P_ALIVE, P_FS_ERR,
    P_FS_VFORK, P_FS_CLOSE_ER, P_FS_CLOSE_EW, P_CLOSE_ALIVE_R, P_CLOSE_L,
    P_CSOCKET, P_CONNECT, P_PIPE_S, P_PIPE_D, P_PROBE, P_SENDMSG,
    P_CLOSE_CR, P_CLOSE_CW, P_CLOSE_SOCK, P_DUP, P_WRITE, P_CLOSE_PW,
    P_READ_PID, P_DONE};
static const int steps_again[] = {
    P_PROBE_AGAIN, P_WAITPID, P_CSOCKET, P_CONNECT, P_PIPE_S, P_PIPE_D,
    P_PROBE, P_SENDMSG, P_CLOSE_CR, P_CLOSE_CW, P_CLOSE_SOCK, P_DUP, P_WRITE,
    P_CLOSE_PW, P_READ_PID, P_DONE};

int fsrv_start(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int me = (int)(t - s->tasks);
    if (s->p->fsrv_pc < 0)
        return sim_fail(s, in, "internal: no fork server code compiled");
    struct fsreq *r = req_of_caller(s, me);
    if (!r) {
        if (t->phase != 0)
            return sim_fail(s, in, "internal: a start without its request");
        if (!(r = req_new(s, t, in)))
            return GO_FAIL;
    }
    if (r->wait_lock) { /* ForkServer._lock, held by the thread starting
                           the server: a futex wait until it is done */
        struct fsrv *g = &s->fsrv->f[r->fs];
        if (t->phase == 1) {
            r->wait_lock = 0;
            t->phase = 0;
        } else if (!t->in_sys) {
            sim_sys_enter_args(s, t, SYS_FUTEX, -1, TL_FUTEX_WAIT,
                               "0x7f3c1e9d2a40, FUTEX_WAIT_BITSET_PRIVATE|"
                               "FUTEX_CLOCK_REALTIME, 0, NULL, "
                               "FUTEX_BITSET_MATCH_ANY");
            return sim_block(s, t, TW_FUTEX, -1);
        } else if (g->starting) {
            return sim_block(s, t, TW_FUTEX, -1);
        } else {
            return sim_sys_return(s, t, 0, sat_add(s->p->cost.syscall,
                                                   s->p->cost.futex));
        }
    }
    int ri = (int)(r - s->fsrv->r);
    struct fsrv *f = &s->fsrv->f[r->fs];
    const int *steps = r->first ? steps_first : steps_again;
    int n = r->first ? NELEM(steps_first) : NELEM(steps_again);
    if (t->phase >= n)
        return sim_fail(s, in, "internal: a start past its steps");
    char args[400];
    switch (steps[t->phase]) {
    case P_TR_PIPE: return fs_pipe(s, t, &f->tr_r, &f->tr_w);
    case P_TR_ERR: case P_FS_ERR: return fs_pipe(s, t, &f->er_r, &f->er_w);
    case P_TR_VFORK: return fs_vfork(s, t, f, "resource_tracker", TR_EXEC,
                                     f->tr_r, -1);
    case P_TR_CLOSE_ER: case P_FS_CLOSE_ER: return fs_close(s, t, f->er_r);
    case P_TR_CLOSE_EW: case P_FS_CLOSE_EW: return fs_close(s, t, f->er_w);
    case P_TR_CLOSE_R: return fs_close(s, t, f->tr_r);
    case P_SOCKET: {
        int o = -1;
        int g = p_socket(s, t, in, &o, &f->lfd);
        s->fsrv->f[r->fs].lobj = o;
        return g;
    }
    case P_BIND:
        snprintf(args, sizeof args, "%lld, {sa_family=AF_UNIX, sun_path=\"%s\"}"
                 ", %d", (long long)f->lfd, f->path, (int)strlen(f->path) + 3);
        sim_sys_enter_args(s, t, SYS_BIND, f->lfd, 0, args);
        return sim_sys_return(s, t, 0, sys_ns(s));
    case P_CHMOD:
        snprintf(args, sizeof args, "\"%s\", 0600", f->path);
        sim_sys_enter_args(s, t, TL_SYS_LINUX + NR_CHMOD, -1, 0, args);
        return sim_sys_return(s, t, 0, sys_ns(s));
    case P_LISTEN: {
        snprintf(args, sizeof args, "%lld, 128", (long long)f->lfd);
        sim_sys_enter_args(s, t, SYS_LISTEN, f->lfd, 128, args);
        char name[96];
        snprintf(name, sizeof name, "accept queue (%s)",
                 strrchr(f->path, '/') + 1);
        if (net_listen(s, f->lobj, name, 0) < 0)
            return GO_FAIL;
        return sim_sys_return(s, t, 0, sys_ns(s));
    }
    case P_ALIVE: return fs_pipe(s, t, &f->alive_r, &f->alive_w);
    case P_FS_VFORK: return fs_vfork(s, t, f, "forkserver", FS_EXEC, f->lfd,
                                     f->alive_r);
    case P_CLOSE_ALIVE_R: return fs_close(s, t, f->alive_r);
    case P_CLOSE_L: return fs_close(s, t, f->lfd);
    case P_PROBE_AGAIN: case P_PROBE: /* resource_tracker's _check_alive */
        return fs_write(s, t, f->tr_w, FS_PROBE, "PROBE:0:noop\\n", 0, 0);
    case P_WAITPID: /* ensure_running: is the server still running? */
        snprintf(args, sizeof args, "%lld, 0x7ffd..., WNOHANG, NULL",
                 (long long)(f->server >= 0 ? s->tasks[f->server].id : -1));
        sim_sys_enter_args(s, t, SYS_WAIT4, -1, 0, args);
        return sim_sys_return(s, t, 0, sys_ns(s));
    case P_CSOCKET: {
        if (r->first && f->starting) { /* ensure_running is done: the lock
                                          is released (FUTEX_WAKE) */
            f->starting = 0;
            for (int i = 0; i < s->fsrv->nr; i++) {
                struct fsreq *q = &s->fsrv->r[i];
                if (q->fs == r->fs && q->wait_lock && q->caller >= 0 &&
                    s->w.tasks[q->caller].state == TS_BLOCKED)
                    sim_wake(s, &s->tasks[q->caller]);
            }
            r = &s->fsrv->r[ri];
            f = &s->fsrv->f[r->fs];
        }
        int o = -1;
        int64_t fd = -1;
        int g = p_socket(s, t, in, &o, &fd);
        r = &s->fsrv->r[ri];
        r->cobj = o;
        r->cfd = fd;
        return g;
    }
    case P_CONNECT: {
        snprintf(args, sizeof args, "%lld, {sa_family=AF_UNIX, sun_path=\"%s\"}"
                 ", %d", (long long)r->cfd, f->path, (int)strlen(f->path) + 3);
        sim_sys_enter_args(s, t, SYS_CONNECT, r->cfd, 0, args);
        int srv = f->server >= 0 && !s->tasks[f->server].exited
                      ? net_unix_connect(s, t, r->cobj, f->lobj,
                                         s->tasks[f->server].proc)
                      : -ECONNREFUSED;
        if (srv < 0)
            return sim_fail(s, in, "ConnectionRefusedError: the fork server "
                            "is not running");
        s->fsrv->r[ri].sobj = srv;
        return sim_sys_return(s, t, 0, sys_ns(s));
    }
    case P_PIPE_S: return fs_pipe(s, t, &r->parent_r, &r->child_w);
    case P_PIPE_D: return fs_pipe(s, t, &r->child_r, &r->parent_w);
    case P_SENDMSG: {
        if (!t->in_sys) {
            snprintf(args, sizeof args, "%lld, {msg_name=NULL, msg_namelen=0, "
                     "msg_iov=[{iov_base=\"\\4\", iov_len=1}], msg_iovlen=1, "
                     "msg_control=[{cmsg_len=32, cmsg_level=SOL_SOCKET, "
                     "cmsg_type=SCM_RIGHTS, cmsg_data=[%lld, %lld, %lld, %lld]}"
                     "], msg_controllen=32, msg_flags=0}, 0", (long long)r->cfd,
                     (long long)r->child_r, (long long)r->child_w,
                     (long long)f->alive_w, (long long)f->tr_w);
            sim_sys_enter_args(s, t, TL_SYS_LINUX + NR_SENDMSG, r->cfd, 1, args);
            /* the files ride in the message: unix_attach_fds takes a
             * reference to each, so closing them here frees nothing */
            int64_t fds[4] = {r->child_r, r->child_w, f->alive_w, f->tr_w};
            for (int i = 0; i < 4; i++) {
                r->obj[i] = sim_fd_obj(s, t, fds[i]);
                if (r->obj[i] >= 0)
                    s->objs[r->obj[i]].inflight++;
            }
        }
        return net_write(s, t, r->cfd, 1, 1, 0, 0, 1);
    }
    case P_CLOSE_CR: return fs_close(s, t, r->child_r);
    case P_CLOSE_CW: return fs_close(s, t, r->child_w);
    case P_CLOSE_SOCK: return fs_close(s, t, r->cfd);
    case P_DUP: { /* _parent_w = os.dup(w): the child's parent sentinel */
        snprintf(args, sizeof args, "%lld, F_DUPFD_CLOEXEC, 0",
                 (long long)r->parent_w);
        sim_sys_enter_args(s, t, SYS_FCNTL, r->parent_w, 0, args);
        int o = sim_fd_obj(s, t, r->parent_w);
        if (o < 0 || sim_fd_room(s, t->proc, 1) < 0)
            return sim_sys_return(s, t, o < 0 ? -EBADF : -EMFILE, sys_ns(s));
        int64_t fd = sim_fd_open(s, t->proc, o);
        s->fsrv->r[ri].dup_w = fd;
        return sim_sys_return(s, t, fd, sys_ns(s));
    }
    case P_WRITE:
        return fs_write(s, t, r->parent_w, FS_PICKLE, "\\200\\4\\225\\370\\1\\0"
                        "\\0\\0\\0\\0\\0}\\224(\\214\\rlog_to_stderr", 0, 0);
    case P_CLOSE_PW: return fs_close(s, t, r->parent_w);
    case P_READ_PID: /* forkserver.read_signed(self.sentinel) */
        return fs_read(s, t, r->parent_r, 8);
    default:
        return p_done(s, t, in, r);
    }
}

/* ---- Process.join() in the client: poll, then the exit code -------------- */

static struct fsreq *req_of_child(struct sim *s, int proc, int64_t id)
{
    struct fsstate *m = s->fsrv;
    for (int i = 0; m && i < m->nr; i++)
        if (m->r[i].child >= 0 && s->tasks[m->r[i].child].id == id &&
            m->f[m->r[i].fs].proc == proc)
            return &m->r[i];
    return NULL;
}

int fsrv_join(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (in->nargs == 0 || in->a[0].kind == ARG_NONE)
        return -1;
    struct fsreq *r = req_of_child(s, t->proc, sim_arg(t, in, 0));
    if (!r)
        return -1;
    int64_t fd = r->parent_r;
    int o = sim_fd_obj(s, t, fd);
    if (t->phase == 0) { /* multiprocessing.connection.wait([sentinel]) */
        if (!t->in_sys) {
            int32_t fds[1] = {(int32_t)fd};
            uint32_t ev[1] = {POLLIN};
            char text[TL_TEXT_MAX];
            tl_fdev_text(text, sizeof text, TL_FDEV_POLLFD, fds, ev, 1, 1);
            int id = sim_call_str(s, t, 0, text);
            sim_sys_enter_wait(s, t, SYS_POLL, id >= 0 ? TL_STR_OBJ(id) : -1,
                               1, -1, 1);
        }
        t->advance = 1;
        if (o >= 0 && !sim_readable(s, o))
            return sim_block(s, t, TW_DATA, o);
        int32_t fds[1] = {(int32_t)fd};
        uint32_t rev[1] = {sim_revents(s, o, TL_EP_IN)};
        char text[TL_TEXT_MAX];
        tl_fdev_text(text, sizeof text, TL_FDEV_REVENTS, fds, rev, 1, 1);
        int id = sim_call_str(s, t, 1, text);
        if (id >= 0)
            t->sys_fd = TL_STR_OBJ(id);
        return sim_sys_return(s, t, 1, sat_add(s->p->cost.syscall,
                                               s->p->cost.poll_base));
    }
    if (t->phase == 1) /* read_signed(self.sentinel): the exit code */
        return fs_read(s, t, fd, 8);
    int64_t got = t->ret;
    t->phase = 0;
    sim_set_dst(s, t, in->dst, got == 8 ? s->tasks[r->child].id : -1);
    /* EOFError (the server died): CPython's returncode is 255 */
    sim_set_dst(s, t, in->dst2, got == 8 ? r->code : 255);
    t->pc++;
    return GO_NEXT;
}

/* ---- the server's child: _serve_one, then spawn._main -------------------- */

static int open_fd(struct sim *s, int proc, int64_t fd)
{
    return fd >= 0 && world_fd_obj(&s->w, proc, (int)fd) >= 0;
}

/* The next fd the child closes: the listener and the selector's epoll fd
 * (main, first: first != 0), then _serve_one's unused_fds: alive_r, its
 * child_w, sig_r, sig_w and the child_w of every other child the server
 * keeps; -1 */
static int child_next_close(struct sim *s, const struct task *c, int first)
{
    int me = (int)(c - s->tasks);
    const struct fsrv *f = fs_of_helper(s, c->parent);
    const struct fsreq *r = req_of_forked(s, me);
    int64_t order[6] = {c->start_fd[3], c->start_fd[4],
                        f ? f->s_alive : -1, r ? r->s_fd[1] : -1,
                        f ? f->sig_r : -1, f ? f->sig_w : -1};
    for (int i = 0; i < (first ? 2 : 6); i++)
        if (open_fd(s, c->proc, order[i]))
            return (int)order[i];
    if (first)
        return -1;
    int n = s->w.procs[c->proc].nfds;
    for (int fd = 3; fd < n; fd++)
        if (s->w.procs[c->proc].fds[fd].obj >= 0 && fd != c->start_fd[0] &&
            fd != c->start_fd[1] && fd != c->start_fd[2] && fd != c->start_fd[5])
            return fd;
    return -1;
}

int fsrv_child(struct sim *s, struct task *t, const struct prog_ins *in)
{
    char args[160];
    switch (t->phase) {
    case 0: case 4: { /* close what the server held, one fd at a time */
        int fd = t->in_sys ? t->sys_fd : child_next_close(s, t, !t->phase);
        if (fd >= 0)
            return fs_close(s, t, fd);
        t->phase += 2;
        return GO_NEXT;
    }
    case 1: case 5:
        t->phase--;
        return GO_NEXT;
    case 2: case 3: /* _serve_one puts the server's old handlers back */
        sim_sys_enter_args(s, t, SYS_RT_SIGACTION, -1, 0, t->phase == 2
            ? "SIGCHLD, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER|"
              "SA_ONSTACK, sa_restorer=0x7f3c1e45a050}, {sa_handler="
              "0x7f3c1e8d4d00, ...}, 8"
            : "SIGINT, {sa_handler=0x7f3c1e8d4d00, sa_mask=[], sa_flags="
              "SA_RESTORER|SA_ONSTACK, sa_restorer=0x7f3c1e45a050}, "
              "{sa_handler=SIG_IGN, ...}, 8");
        return sim_sys_return(s, t, 0, sys_ns(s));
    case 6: { /* parent_sentinel = os.dup(child_r) */
        snprintf(args, sizeof args, "%d, F_DUPFD_CLOEXEC, 0", t->start_fd[0]);
        sim_sys_enter_args(s, t, SYS_FCNTL, t->start_fd[0], 0, args);
        int o = world_fd_obj(&s->w, t->proc, t->start_fd[0]);
        if (o < 0 || sim_fd_room(s, t->proc, 1) < 0)
            return sim_sys_return(s, t, o < 0 ? -EBADF : -EMFILE, sys_ns(s));
        int fd = sim_fd_open(s, t->proc, o);
        t->start_fd[5] = fd;
        return sim_sys_return(s, t, fd, sys_ns(s));
    }
    case 7: /* spawn._main: pickle.load from child_r */
        return net_read(s, t, t->start_fd[0], 4096, 0);
    default: /* prepare(): the main module again, as __mp_main__ */
        t->phase = 0;
        t->advance = 0;
        t->mp_role = 0;
        t->mp_boot = 1;
        t->mp_target = t->pc + 1;
        t->block_end = -1;
        t->pc = s->p->tasks[t->decl].entry;
        (void)in;
        return GO_NEXT;
    }
}

/* ---- the server and the tracker: FSRV steps ---------------------------- */

static int fs_goto(struct sim *s, struct task *t, int step)
{
    t->pc = s->p->fsrv_pc + step;
    t->phase = 0;
    t->advance = 0;
    return GO_NEXT;
}

static struct fsreq *req_of_sobj(struct sim *s, int sobj)
{
    struct fsstate *m = s->fsrv;
    for (int i = 0; m && i < m->nr; i++)
        if (m->r[i].sobj == sobj && m->r[i].child < 0)
            return &m->r[i];
    return NULL;
}

static struct fsreq *req_of_forked(struct sim *s, int child)
{
    struct fsstate *m = s->fsrv;
    for (int i = 0; m && i < m->nr; i++)
        if (m->r[i].child == child)
            return &m->r[i];
    return NULL;
}

/* epoll_create1, epoll_ctl and epoll_wait, made by the epoll model */
static int ep_call(struct sim *s, struct task *t, int op, int64_t a0,
                   int64_t a1, int64_t a2, unsigned flags)
{
    struct prog_ins in;
    memset(&in, 0, sizeof in);
    in.op = (uint16_t)op;
    in.dst = in.dst2 = in.jump = in.list = -1;
    in.line = s->p->code[t->pc].line;
    in.col = 1;
    in.nargs = 3;
    in.flags = (uint16_t)flags;
    in.a[0] = (struct prog_arg){ARG_CONST, 0, a0};
    in.a[1] = (struct prog_arg){ARG_CONST, 0, a1};
    in.a[2] = (struct prog_arg){ARG_CONST, 0, a2};
    return s->mux[op]->exec(s, t, &in);
}

/* os.waitpid(-1, os.WNOHANG): a zombie child reaped (its task in ret2),
 * 0 while the others run, ECHILD when there are none */
static int fs_waitpid(struct sim *s, struct task *t)
{
    int me = (int)(t - s->tasks);
    int live = 0, zombie = -1;
    for (int i = 0; i < s->ntasks && zombie < 0; i++) {
        struct task *c = &s->tasks[i];
        if (c->parent != t->proc || c->is_thread || c->is_coroutine ||
            c->reaped)
            continue;
        if (c->exited)
            zombie = i;
        else
            live = 1;
    }
    /* strace shows the status a reaping call wrote, else the pointer */
    char args[128], st[64];
    if (zombie >= 0) {
        const struct task *c = &s->tasks[zombie];
        int wst = c->term_sig ? c->term_sig : (c->code & 0xff) << 8;
        snprintf(args, sizeof args, "-1, %s, WNOHANG, NULL",
                 tl_wstatus_text(st, sizeof st, wst));
    } else {
        snprintf(args, sizeof args, "-1, 0x7ffe6be828dc, WNOHANG, NULL");
    }
    sim_sys_enter_args(s, t, SYS_WAIT4, -1, 1, args);
    t = &s->tasks[me];
    t->advance = 1;
    if (zombie >= 0) {
        int i = zombie;
        struct task *c = &s->tasks[i];
        c->reaped = 1;
        s->tasks[t->proc].nchildren--;
        struct fsreq *r = req_of_forked(s, i);
        if (r) {
            r->reaped = 1;
            r->code = c->code;
        }
        int64_t id = c->id;
        sim_emit_state(s, i, TS_EXITED, me, c->code);
        t = &s->tasks[me];
        t->ret2 = i;
        int sid = sim_call_str(s, t, 1, st); /* the status, for compare */
        if (sid >= 0)
            t->sys_fd = TL_STR_OBJ(sid);
        return sim_sys_return(s, t, id, sys_ns(s));
    }
    t->ret2 = -1;
    return sim_sys_return(s, t, live ? 0 : -ECHILD, sys_ns(s));
}

/* recvmsg(s, 1 byte, SCM_RIGHTS): the byte, and the four files land in
 * the server's table (unix_detach_fds), at its lowest free fds */
static int fs_recvmsg(struct sim *s, struct task *t, struct fsrv *f,
                      struct fsreq *r)
{
    int ri = (int)(r - s->fsrv->r);
    if (!t->in_sys) {
        int64_t got[4];
        int k = 0;
        for (int fd = 0; k < 4; fd++)
            if (world_fd_obj(&s->w, t->proc, fd) < 0)
                got[k++] = fd;
        char args[400];
        snprintf(args, sizeof args, "%lld, {msg_name=0x7ffe6be82780, "
                 "msg_namelen=110 => 0, msg_iov=[{iov_base=\"\\4\", "
                 "iov_len=1}], msg_iovlen=1, msg_control=[{cmsg_len=32, "
                 "cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[%lld, "
                 "%lld, %lld, %lld]}], msg_controllen=32, msg_flags=0}, 0",
                 (long long)f->conn_fd, (long long)got[0], (long long)got[1],
                 (long long)got[2], (long long)got[3]);
        sim_sys_enter_args(s, t, TL_SYS_LINUX + NR_RECVMSG, f->conn_fd, 1,
                           args);
    }
    t->advance = 1;
    int g = net_read(s, t, f->conn_fd, 1, 1);
    if (g != GO_BUSY) /* not yet (or failed) */
        return g;
    r = &s->fsrv->r[ri];
    for (int i = 0; i < 4; i++) {
        int o = r->obj[i];
        if (o < 0)
            continue;
        r->s_fd[i] = sim_fd_open(s, t->proc, o);
        s->objs[o].inflight--;
    }
    return g;
}

/* The ready fds of the selector, in main()'s order: alive_r, sig_r, the
 * listener */
static int fs_dispatch(struct sim *s, struct task *t, struct fsrv *f)
{
    int alive = 0, sig = 0;
    f->rf_listener = 0;
    for (int i = 0; i < t->nready; i++) {
        alive |= t->ready[i] == f->s_alive;
        sig |= t->ready[i] == f->sig_r;
        f->rf_listener |= t->ready[i] == f->s_lfd;
    }
    if (alive)
        return fs_goto(s, t, FS_EXIT);
    if (sig)
        return fs_goto(s, t, FS_SIGREAD);
    return fs_goto(s, t, f->rf_listener ? FS_ACCEPT : FS_SELECT);
}

static int op_fsrv(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct fsrv *f = fs_of_helper(s, t->proc);
    if (!f)
        return sim_fail(s, in, "internal: a fork server step without its "
                        "server");
    int fi = (int)(f - s->fsrv->f), me = (int)(t - s->tasks);
    int sub = t->phase, done = 0, g;
    struct fsreq *r = f->cur >= 0 ? &s->fsrv->r[f->cur] : NULL;
    char cmd[160];
    switch (in->flags) {
    case FS_EXEC:
        snprintf(cmd, sizeof cmd, "from multiprocessing.forkserver import "
                 "main; main(%d, %d, ['__main__'], **{'sys_path': [...]})",
                 t->start_fd[1], t->start_fd[2]);
        g = exec_child(s, t, cmd, &done);
        if (!done)
            return g;
        f = &s->fsrv->f[fi];
        f->s_lfd = t->start_fd[1];
        f->s_alive = t->start_fd[2];
        return fs_goto(s, t, FS_SIGPIPE);
    case FS_SIGPIPE: /* the wakeup pipe (made non-blocking: not shown) */
        if (sub == 0)
            return fs_pipe(s, t, &f->sig_r, &f->sig_w);
        return fs_goto(s, t, FS_SIGNAL);
    case FS_SIGNAL:
        if (sub <= 1) {
            sim_sys_enter_args(s, t, SYS_RT_SIGACTION, -1, 0, sub == 0
                ? "SIGCHLD, {sa_handler=0x7f3c1e8d4d00, sa_mask=[], "
                  "sa_flags=SA_RESTORER|SA_ONSTACK, sa_restorer=0x7f3c1e45a050}"
                  ", {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8"
                : "SIGINT, {sa_handler=SIG_IGN, sa_mask=[], sa_flags="
                  "SA_RESTORER|SA_ONSTACK, sa_restorer=0x7f3c1e45a050}, "
                  "{sa_handler=0x7f3c1e8d4d00, ...}, 8");
            t->advance = 1;
            return sim_sys_return(s, t, 0, sys_ns(s));
        }
        return fs_goto(s, t, FS_REGISTER);
    case FS_REGISTER: /* selectors.DefaultSelector(): epoll */
        t->advance = 1;
        if (sub == 0)
            return ep_call(s, t, OP_EPOLL_CREATE, 0, 0, 0, 0);
        if (sub == 1)
            f->ep = t->ret;
        if (sub <= 3) {
            int64_t fd = sub == 1 ? f->s_lfd : sub == 2 ? f->s_alive : f->sig_r;
            return ep_call(s, t, OP_EPOLL_CTL, f->ep, 0, fd, TL_EP_IN);
        }
        return fs_goto(s, t, FS_SELECT);
    case FS_SELECT:
        if (sub == 0) {
            if (t->in_sys && f->sig_intr) { /* SIGCHLD cut the call short */
                f->sig_intr = 0;
                f->sig_pending = 1;
                t->advance = 1;
                return sim_sys_return(s, t, -EINTR, sys_ns(s));
            }
            if (!t->in_sys && f->sig_pending) { /* the handler's write first */
                t->phase = 2;
                return GO_NEXT;
            }
            t->advance = 1;
            return ep_call(s, t, OP_EPOLL_WAIT, f->ep, 3, -1, 0);
        }
        if (sub == 1) {
            if (t->ret == -EINTR || f->sig_pending) { /* the handler first */
                f->sig_after = t->ret != -EINTR; /* it returned events */
                t->phase = 2;
                return GO_NEXT;
            }
            return fs_dispatch(s, t, f);
        }
        if (sub == 2) { /* the C handler: the signal's number to sig_w */
            f->sig_pending = 0;
            f->sig_ret = t->ret; /* the interrupted call's result */
            return fs_write(s, t, f->sig_w, 1, "\\21", 0, 0);
        }
        if (sub == 3) { /* its return gives that result back */
            sim_sys_enter_args(s, t, SYS_RT_SIGRETURN, -1, 0, "{mask=[]}");
            t->advance = 1;
            return sim_sys_return(s, t, f->sig_ret, sys_ns(s));
        }
        if (f->sig_after) { /* the events epoll_wait returned */
            f->sig_after = 0;
            return fs_dispatch(s, t, f);
        }
        return fs_goto(s, t, FS_SELECT); /* epoll_wait again (PEP 475) */
    case FS_EXIT:
        if (sub == 0)
            return fs_read(s, t, f->s_alive, 1);
        return fs_op(s, t, OP_EXIT, 0); /* SystemExit */
    case FS_SIGREAD:
        if (sub == 0)
            return fs_read(s, t, f->sig_r, 65536);
        return fs_goto(s, t, FS_WAITPID);
    case FS_WAITPID:
        if (sub == 0)
            return fs_waitpid(s, t);
        if (t->ret > 0)
            return fs_goto(s, t, FS_STATUS);
        return fs_goto(s, t, f->rf_listener ? FS_ACCEPT : FS_SELECT);
    case FS_STATUS: {
        struct fsreq *d = req_of_forked(s, (int)t->ret2);
        if (!d) /* "forkserver: waitpid returned unexpected pid" */
            return fs_goto(s, t, FS_WAITPID);
        if (sub == 0)
            return fs_write_signed(s, t, d->s_fd[1], 1, d->code);
        if (sub == 1)
            return fs_close(s, t, d->s_fd[1]);
        return fs_goto(s, t, FS_WAITPID);
    }
    case FS_ACCEPT:
        if (sub == 0) {
            f->rf_listener = 0;
            if (!t->in_sys) {
                snprintf(cmd, sizeof cmd, "%lld, {sa_family=AF_UNIX}, "
                         "[110 => 2], SOCK_CLOEXEC", (long long)f->s_lfd);
                sim_sys_enter_args(s, t, tl_sys_of_nr(NR_ACCEPT4), f->s_lfd, 0,
                                   cmd);
            }
            t->advance = 1;
            return net_accept(s, t, f->s_lfd);
        }
        if (t->ret < 0)
            return fs_goto(s, t, FS_SELECT);
        f->conn_fd = t->ret;
        r = req_of_sobj(s, world_fd_obj(&s->w, t->proc, (int)t->ret));
        if (!r)
            return sim_fail(s, in, "internal: a connection to the fork server "
                            "that no start() made");
        f->cur = (int)(r - s->fsrv->r);
        return fs_goto(s, t, FS_RECVMSG);
    case FS_RECVMSG:
        if (!r)
            return sim_fail(s, in, "internal: recvmsg without a connection");
        if (sub == 0)
            return fs_recvmsg(s, t, f, r);
        return fs_goto(s, t, FS_CLOSE_S);
    case FS_CLOSE_S:
        if (sub == 0)
            return fs_close(s, t, f->conn_fd);
        return fs_goto(s, t, FS_FORK);
    case FS_FORK:
        if (!r)
            return sim_fail(s, in, "internal: a fork without its request");
        if (sub == 0) {
            int ri = f->cur;
            sim_sys_enter(s, t, SYS_CLONE, -1, 0);
            t->advance = 1;
            char name[160];
            snprintf(name, sizeof name, "%s", r->name);
            int c = proc_fork_new(s, t, name, r->pc,
                                  s->p->tasks[t->decl].script);
            if (c < 0)
                return GO_FAIL;
            t = &s->tasks[me];
            r = &s->fsrv->r[ri];
            f = &s->fsrv->f[fi];
            r->child = c;
            struct task *ch = &s->tasks[c];
            ch->mp_role = MP_FS_CHILD;
            ch->start_fd[0] = (int32_t)r->s_fd[0]; /* child_r */
            ch->start_fd[1] = (int32_t)r->s_fd[2]; /* alive_w */
            ch->start_fd[2] = (int32_t)r->s_fd[3]; /* tracker_w */
            ch->start_fd[3] = (int32_t)f->s_lfd;
            ch->start_fd[4] = (int32_t)f->ep;
            ch->start_fd[5] = -1;
            tl_task_set_module(s->tl, c, TL_MOD_MP_MAIN);
            int ns = s->p->tasks[ch->decl].name_slot;
            if (ns >= 0)
                ch->slots[ns] = s->p->mod_mp_main;
            return sim_sys_return(s, t, ch->id, sat_add(s->p->cost.syscall,
                                                        s->p->cost.fork));
        }
        return fs_goto(s, t, FS_PID);
    case FS_PID:
        if (!r)
            return sim_fail(s, in, "internal: no child to report");
        if (sub == 0)
            return fs_write_signed(s, t, r->s_fd[1], 0, s->tasks[r->child].id);
        return fs_goto(s, t, FS_CLOSE_FDS);
    case FS_CLOSE_FDS: /* child_r, then the passed fds; child_w is kept */
        if (!r)
            return sim_fail(s, in, "internal: no child's fds to close");
        if (sub == 0)
            return fs_close(s, t, r->s_fd[0]);
        if (sub <= 2)
            return fs_close(s, t, r->s_fd[sub + 1]);
        f->cur = -1;
        return fs_goto(s, t, FS_SELECT);
    case TR_EXEC:
        snprintf(cmd, sizeof cmd, "from multiprocessing.resource_tracker "
                 "import main;main(%d)", t->start_fd[1]);
        g = exec_child(s, t, cmd, &done);
        if (!done)
            return g;
        s->fsrv->f[fi].t_fd = t->start_fd[1];
        return fs_goto(s, t, TR_READ);
    case TR_READ: /* for line in f: a buffered read */
        if (sub == 0)
            return fs_read(s, t, f->t_fd, 4096);
        return fs_goto(s, t, t->ret > 0 ? TR_READ : TR_EXIT);
    case TR_EXIT:
        return fs_op(s, t, OP_EXIT, 0);
    default:
        break;
    }
    return sim_fail(s, in, "internal: fork server step %d", in->flags);
}

/* ---- what the engine tells the server ----------------------------------- */

int fsrv_sigchld(struct sim *s, int proc, int64_t info)
{
    struct fsrv *f = fs_of_helper(s, proc);
    if (!f || f->server != proc || s->tasks[proc].exited ||
        s->tasks[proc].pc < s->p->fsrv_pc + FS_REGISTER)
        return 0; /* its handler is not installed yet */
    sim_emit(s, EV_SIGNAL, proc, 1, -1, TL_SIGCHLD, info);
    struct task *t = &s->tasks[proc];
    if (t->pc == s->p->fsrv_pc + FS_SELECT && t->phase == 0 && t->in_sys &&
        s->w.tasks[proc].state == TS_BLOCKED) {
        f->sig_intr = 1; /* epoll_wait returns EINTR */
        sim_wake(s, t);
    } else {
        f->sig_pending = 1; /* standard signals do not queue */
    }
    return 1;
}

const struct mux_ops mux_fsrv_ops = {
    .name = "forkserver",
    .ops = {OP_FSRV, OP__COUNT},
    .exec = op_fsrv,
};
