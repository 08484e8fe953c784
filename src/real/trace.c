/*
 * trace.c - recorded syscalls into a timeline (see trace.h).
 *
 * Records are kept as they come (calls, signals, exits) with their strings
 * and fd lists in arenas.  trace_finish() makes three passes:
 *   1. in the order of submission: which task each record belongs to (a
 *      tid may be reused after its task exited), who its parent is, what
 *      program it runs;
 *   2. per task: entry and exit times clamped so that a task's own moments
 *      never go back in time (strace's -T and timestamps are taken at
 *      slightly different instants);
 *   3. every moment (a call's entry, its return, a signal, an exit) sorted
 *      by (time, submission order) and turned into events, keeping fd
 *      tables and objects as the kernel would.
 */
#include "real/trace.h"
#include "tl/text.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h> /* CLONE_THREAD, CLONE_VFORK: the traced program's flags */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

enum rec_kind { R_CALL, R_SIGNAL, R_EXIT, R_CAPTION, R_NAME, R_SWITCH };

struct rec {
    struct trace_call c; /* pointers cleared: see the offsets */
    int64_t in_off, out_off; /* into tr->fdev */
    int64_t text_off, path_off; /* 1 + offset into tr->chars, 0 none */
    int32_t task;   /* struct ttask index (pass 1) */
    int32_t child;  /* clone-like calls: the ttask they made, -1 */
    uint8_t kind;   /* enum rec_kind */
};

/* A task as the builder knows it */
struct ttask {
    int tid;
    int parent;     /* ttask index, -1 */
    int proc;       /* ttask index of the process owning the fd table */
    int thread;     /* 1: a thread (CLONE_THREAD) */
    int exited;     /* pass 1: an exit record was seen */
    int64_t prog;   /* 1 + chars offset of the program's name, 0 unknown */
    int64_t own_prog; /* its own last execve, 0 none */
    int64_t name;   /* 1 + chars offset of the name it was given, 0 none */
    int kind;       /* the enum tl_task_kind it was given, -1 none */
    int suspended;  /* a coroutine is suspended when made */
    int idx;        /* tl task index once created, -1 */
    int blocked;    /* pass 3: in a sleeping call */
    int sig_shown;  /* pass 3: the signal delivered last, if nothing of the
                       task came after it */
    int dead;       /* pass 3: exited */
    int live;       /* pass 3, processes: tasks of the group alive */
    int64_t last_t; /* pass 2 */
    int script;     /* the log its lines are in (trace_script), -1 */
    /* pass 3, processes: the fd table and the handlers installed */
    int *fds;       /* object index per fd, -1 free */
    uint8_t *cloexec;
    int nfds;
    uint64_t handlers; /* bit sig: a handler is installed */
    /* processes: fds the trace uses but never saw made, open from the
       start (pass 1b), as fd | kind << 24 */
    int32_t *pre;
    int npre, precap;
    uint8_t *known;    /* pass 1b: fds open as far as the trace shows */
    int nknown;
};

struct tobj {
    int refs;
    int kind;
    int port;     /* bound port (listen makes it a listening socket) */
    int flags;    /* TL_FL_* */
    int queue;    /* epoll: its interest list, -1 */
};

struct tscript {
    char *title;
    char *text; /* NUL-terminated copy */
    size_t len;
};

struct trace {
    struct tscript *scripts;
    size_t nscripts, scriptcap;
    struct rec *recs;
    size_t nrecs, reccap;
    struct trace_fdev *fdev;
    size_t nfdev, fdevcap;
    char *chars;
    size_t nchars, charcap;
    struct trace_counts n;
    int finished;
};

/* ---- storage ------------------------------------------------------------ */

static int grow(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * sz);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

static int64_t keep_str(struct trace *tr, const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s) + 1;
    if (grow((void **)&tr->chars, &tr->charcap, tr->nchars + n, 1))
        return -ENOMEM;
    memcpy(tr->chars + tr->nchars, s, n);
    tr->nchars += n;
    return (int64_t)(tr->nchars - n) + 1;
}

static const char *str_at(const struct trace *tr, int64_t off)
{
    return off > 0 ? tr->chars + off - 1 : NULL;
}

static int64_t keep_fdev(struct trace *tr, const struct trace_fdev *v, int n)
{
    if (n <= 0 || !v)
        return 0;
    if (grow((void **)&tr->fdev, &tr->fdevcap, tr->nfdev + (size_t)n, sizeof *v))
        return -ENOMEM;
    memcpy(tr->fdev + tr->nfdev, v, (size_t)n * sizeof *v);
    tr->nfdev += (size_t)n;
    return (int64_t)(tr->nfdev - (size_t)n);
}

void trace_call_init(struct trace_call *c)
{
    memset(c, 0, sizeof *c);
    c->sys = -1;
    c->fd = c->fd2 = c->fds[0] = c->fds[1] = -1;
    c->kind = -1;
    c->timeout_ns = -1;
    c->t_exit = -1;
    c->script = -1;
}

struct trace *trace_new(void)
{
    return calloc(1, sizeof(struct trace));
}

void trace_free(struct trace *tr)
{
    if (!tr)
        return;
    for (size_t i = 0; i < tr->nscripts; i++) {
        free(tr->scripts[i].title);
        free(tr->scripts[i].text);
    }
    free(tr->scripts);
    free(tr->recs);
    free(tr->fdev);
    free(tr->chars);
    free(tr);
}

static struct rec *new_rec(struct trace *tr, int kind)
{
    if (tr->finished ||
        grow((void **)&tr->recs, &tr->reccap, tr->nrecs + 1, sizeof *tr->recs))
        return NULL;
    struct rec *r = &tr->recs[tr->nrecs++];
    memset(r, 0, sizeof *r);
    trace_call_init(&r->c);
    r->kind = (uint8_t)kind;
    r->task = r->child = -1;
    return r;
}

int trace_call(struct trace *tr, const struct trace_call *c)
{
    if (c->sys < 0 || c->sys >= TL_SYS_ALL || c->tid < 0)
        return -EINVAL;
    int64_t in = keep_fdev(tr, c->in, c->nin);
    int64_t out = keep_fdev(tr, c->out, c->nout);
    int64_t text = keep_str(tr, c->text);
    int64_t path = keep_str(tr, c->path);
    if (in < 0 || out < 0 || text < 0 || path < 0)
        return -ENOMEM;
    struct rec *r = new_rec(tr, R_CALL);
    if (!r)
        return tr->finished ? -EINVAL : -ENOMEM;
    r->c = *c;
    r->c.in = r->c.out = NULL;
    r->c.text = r->c.path = NULL;
    if (r->c.nin < 0 || !c->in)
        r->c.nin = 0;
    if (r->c.nout < 0 || !c->out)
        r->c.nout = 0;
    r->in_off = in;
    r->out_off = out;
    r->text_off = text;
    r->path_off = path;
    const int64_t lim = (int64_t)1 << 61; /* keeps t - t0 in range */
    if (r->c.t_enter > lim || r->c.t_enter < -lim)
        r->c.t_enter = r->c.t_enter > 0 ? lim : -lim;
    if (r->c.t_exit > lim || r->c.t_exit < -lim)
        r->c.t_exit = r->c.t_exit > 0 ? lim : -lim;
    if (!r->c.returned || r->c.t_exit < r->c.t_enter)
        r->c.t_exit = r->c.t_enter;
    tr->n.calls++;
    if (!c->returned)
        tr->n.unfinished++;
    else if (c->ret < 0)
        tr->n.errors++;
    return 0;
}

int trace_signal(struct trace *tr, int tid, int64_t t, int sig)
{
    struct rec *r = new_rec(tr, R_SIGNAL);
    if (!r)
        return tr->finished ? -EINVAL : -ENOMEM;
    r->c.tid = tid;
    r->c.t_enter = r->c.t_exit = t < -((int64_t)1 << 61) ? -((int64_t)1 << 61)
                                 : t > (int64_t)1 << 61 ? (int64_t)1 << 61 : t;
    r->c.arg = sig;
    tr->n.signals++;
    return 0;
}

int trace_name(struct trace *tr, int tid, int64_t t, const char *name,
               int kind, int host)
{
    int64_t text = keep_str(tr, name);
    struct rec *r = text < 0 ? NULL : new_rec(tr, R_NAME);
    if (!r)
        return tr->finished ? -EINVAL : -ENOMEM;
    r->c.tid = tid;
    r->c.t_enter = r->c.t_exit = t;
    r->c.arg = kind;
    r->c.fd = host;
    r->text_off = text;
    return 0;
}

int trace_caption_by(struct trace *tr, int tid, int64_t t, const char *text)
{
    int64_t off = keep_str(tr, text);
    struct rec *r = off < 0 ? NULL : new_rec(tr, R_CAPTION);
    if (!r)
        return tr->finished ? -EINVAL : -ENOMEM;
    r->c.tid = tid;
    r->c.t_enter = r->c.t_exit = t;
    r->text_off = off;
    return 0;
}

int trace_switch(struct trace *tr, int from, int to, int64_t t)
{
    struct rec *r = new_rec(tr, R_SWITCH);
    if (!r)
        return tr->finished ? -EINVAL : -ENOMEM;
    r->c.tid = from;
    r->c.fd = to;
    r->c.t_enter = r->c.t_exit = t;
    return 0;
}

int trace_exit(struct trace *tr, int tid, int64_t t, int status, int sig)
{
    struct rec *r = new_rec(tr, R_EXIT);
    if (!r)
        return tr->finished ? -EINVAL : -ENOMEM;
    r->c.tid = tid;
    r->c.t_enter = r->c.t_exit = t < -((int64_t)1 << 61) ? -((int64_t)1 << 61)
                                 : t > (int64_t)1 << 61 ? (int64_t)1 << 61 : t;
    r->c.ret = status;
    r->c.arg = sig;
    tr->n.exits++;
    return 0;
}

int trace_script(struct trace *tr, const char *title, const char *text, size_t len)
{
    if (tr->finished)
        return -EINVAL;
    if (grow((void **)&tr->scripts, &tr->scriptcap, tr->nscripts + 1,
             sizeof *tr->scripts))
        return -ENOMEM;
    struct tscript *sc = &tr->scripts[tr->nscripts];
    sc->title = strdup(title ? title : "");
    sc->text = malloc(len + 1);
    if (!sc->title || !sc->text) {
        free(sc->title);
        free(sc->text);
        return -ENOMEM;
    }
    memcpy(sc->text, text, len);
    sc->text[len] = 0;
    sc->len = len;
    return (int)tr->nscripts++;
}

/* The scripts into the timeline, their lines split at newlines */
static int scripts_add(struct trace *tr, struct tl *tl)
{
    for (size_t i = 0; i < tr->nscripts; i++) {
        struct tscript *sc = &tr->scripts[i];
        size_t n = 0;
        for (size_t k = 0; k < sc->len; k++)
            n += sc->text[k] == '\n';
        n += sc->len > 0 && sc->text[sc->len - 1] != '\n';
        if (n > TRACE_SCRIPT_MAX_LINES)
            n = TRACE_SCRIPT_MAX_LINES;
        char **lines = calloc(n ? n : 1, sizeof *lines);
        if (!lines)
            return -ENOMEM;
        char *p = sc->text;
        for (size_t k = 0; k < n; k++) {
            lines[k] = p;
            char *e = strchr(p, '\n');
            if (e) {
                if (e > p && e[-1] == '\r')
                    e[-1] = 0;
                *e = 0;
                p = e + 1;
            } else {
                p += strlen(p);
            }
        }
        int rc = tl_add_script(tl, sc->title, lines, (int)n);
        free(lines);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int trace_caption(struct trace *tr, int64_t t, const char *text)
{
    int64_t off = keep_str(tr, text ? text : "");
    if (off < 0)
        return -ENOMEM;
    struct rec *r = new_rec(tr, R_CAPTION);
    if (!r)
        return tr->finished ? -EINVAL : -ENOMEM;
    r->c.tid = -1;
    r->c.t_enter = r->c.t_exit = t;
    r->text_off = off;
    return 0;
}

size_t trace_bytes(const struct trace *tr)
{
    return tr->reccap * sizeof *tr->recs + tr->fdevcap * sizeof *tr->fdev +
           tr->charcap;
}

void trace_get_counts(const struct trace *tr, struct trace_counts *n)
{
    *n = tr->n;
}

/* ---- what each syscall does --------------------------------------------- */

enum io_dir { IO_NONE, IO_IN, IO_OUT };

/* What a syscall means for the timeline: X(name, wait, io, new fd kind)
 * wait: how it can sleep (TW_NOTHING with sleeps=1 for futex and the like) */
struct sys_info {
    int8_t wait;   /* enum tl_wait when it can sleep, else -1 */
    int8_t io;     /* enum io_dir: its result is bytes copied */
    int8_t makes;  /* enum tl_obj_kind of the fd it returns, -1 */
    int8_t fdwait; /* 1: it sleeps on its fd's object (nonblocking: never) */
};

#define TRACE_SYSCALLS(X) \
    X("read", TW_DATA, IO_IN, -1, 1) X("readv", TW_DATA, IO_IN, -1, 1) \
    X("pread64", TW_DATA, IO_IN, -1, 1) X("preadv", TW_DATA, IO_IN, -1, 1) \
    X("preadv2", TW_DATA, IO_IN, -1, 1) X("recvfrom", TW_DATA, IO_IN, -1, 1) \
    X("recvmsg", TW_DATA, IO_IN, -1, 1) X("recvmmsg", TW_DATA, IO_NONE, -1, 1) \
    X("write", TW_SPACE, IO_OUT, -1, 1) X("writev", TW_SPACE, IO_OUT, -1, 1) \
    X("pwrite64", TW_SPACE, IO_OUT, -1, 1) X("pwritev", TW_SPACE, IO_OUT, -1, 1) \
    X("pwritev2", TW_SPACE, IO_OUT, -1, 1) X("sendto", TW_SPACE, IO_OUT, -1, 1) \
    X("sendmsg", TW_SPACE, IO_OUT, -1, 1) X("sendmmsg", TW_SPACE, IO_NONE, -1, 1) \
    X("sendfile", TW_SPACE, IO_NONE, -1, 1) X("splice", TW_DATA, IO_NONE, -1, 1) \
    X("accept", TW_CONNECTION, IO_NONE, OK_SOCKET, 1) \
    X("accept4", TW_CONNECTION, IO_NONE, OK_SOCKET, 1) \
    X("connect", TW_CONNECT, IO_NONE, -1, 1) \
    X("wait4", TW_CHILD, IO_NONE, -1, 0) X("waitid", TW_CHILD, IO_NONE, -1, 0) \
    X("futex", TW_NOTHING, IO_NONE, -1, 0) \
    X("futex_wait", TW_NOTHING, IO_NONE, -1, 0) \
    X("futex_waitv", TW_NOTHING, IO_NONE, -1, 0) \
    X("select", TW_EVENTS, IO_NONE, -1, 0) X("pselect6", TW_EVENTS, IO_NONE, -1, 0) \
    X("poll", TW_EVENTS, IO_NONE, -1, 0) X("ppoll", TW_EVENTS, IO_NONE, -1, 0) \
    X("epoll_wait", TW_EVENTS, IO_NONE, -1, 0) \
    X("epoll_pwait", TW_EVENTS, IO_NONE, -1, 0) \
    X("epoll_pwait2", TW_EVENTS, IO_NONE, -1, 0) \
    X("nanosleep", TW_TIMER, IO_NONE, -1, 0) \
    X("clock_nanosleep", TW_TIMER, IO_NONE, -1, 0) \
    X("pause", TW_SIGNAL, IO_NONE, -1, 0) X("rt_sigsuspend", TW_SIGNAL, IO_NONE, -1, 0) \
    X("rt_sigtimedwait", TW_SIGNAL, IO_NONE, -1, 0) \
    X("io_uring_enter", TW_COMPLETION, IO_NONE, -1, 0) \
    X("io_getevents", TW_COMPLETION, IO_NONE, -1, 0) \
    X("flock", TW_NOTHING, IO_NONE, -1, 0) X("msgrcv", TW_NOTHING, IO_NONE, -1, 0) \
    X("semop", TW_NOTHING, IO_NONE, -1, 0) X("semtimedop", TW_NOTHING, IO_NONE, -1, 0) \
    X("socket", -1, IO_NONE, OK_SOCKET, 0) \
    X("epoll_create", -1, IO_NONE, OK_EPOLL, 0) \
    X("epoll_create1", -1, IO_NONE, OK_EPOLL, 0) \
    X("eventfd", -1, IO_NONE, OK_EVENTFD, 0) X("eventfd2", -1, IO_NONE, OK_EVENTFD, 0) \
    X("timerfd_create", -1, IO_NONE, OK_TIMERFD, 0) \
    X("signalfd", -1, IO_NONE, OK_SIGNALFD, 0) X("signalfd4", -1, IO_NONE, OK_SIGNALFD, 0) \
    X("inotify_init", -1, IO_NONE, OK_INOTIFY, 0) \
    X("inotify_init1", -1, IO_NONE, OK_INOTIFY, 0) \
    X("open", -1, IO_NONE, OK_FILE, 0) X("openat", -1, IO_NONE, OK_FILE, 0) \
    X("openat2", -1, IO_NONE, OK_FILE, 0) X("creat", -1, IO_NONE, OK_FILE, 0) \
    X("open_by_handle_at", -1, IO_NONE, OK_FILE, 0) \
    X("memfd_create", -1, IO_NONE, OK_FILE, 0) \
    X("io_uring_setup", -1, IO_NONE, OK_URING, 0) \
    X("fanotify_init", -1, IO_NONE, OK_OTHER, 0) \
    X("perf_event_open", -1, IO_NONE, OK_OTHER, 0) \
    X("pidfd_open", -1, IO_NONE, OK_OTHER, 0) \
    X("pidfd_getfd", -1, IO_NONE, OK_OTHER, 0) \
    X("userfaultfd", -1, IO_NONE, OK_OTHER, 0) \
    X("bpf", -1, IO_NONE, -1, 0)

static struct sys_info sysinfo[TL_SYS_ALL];
static int sysinfo_ready;

/* syscalls the passes below look for by number */
static int S_DUP, S_DUP2, S_DUP3, S_FCNTL, S_CLOSE, S_CLOSE_RANGE, S_PIPE,
    S_PIPE2, S_SOCKETPAIR, S_CLONE, S_CLONE3, S_FORK, S_VFORK, S_EXECVE,
    S_EXECVEAT, S_BIND, S_LISTEN, S_EPOLL_CTL, S_IOCTL, S_RT_SIGACTION,
    S_FUTEX, S_EXIT, S_EXIT_GROUP, S_ACCEPT, S_ACCEPT4, S_SIGNALFD,
    S_SIGNALFD4, S_IO_URING_ENTER, S_OPEN, S_OPENAT, S_OPENAT2;

static int sys_of(const char *name)
{
    return tl_sys_lookup(name);
}

static void sysinfo_init(void)
{
    if (sysinfo_ready)
        return;
    for (int i = 0; i < TL_SYS_ALL; i++)
        sysinfo[i] = (struct sys_info){-1, IO_NONE, -1, 0};
#define X(n, w, io, mk, fw) \
    do { \
        int s_ = sys_of(n); \
        if (s_ >= 0) \
            sysinfo[s_] = (struct sys_info){(int8_t)(w), io, (int8_t)(mk), fw}; \
    } while (0);
    TRACE_SYSCALLS(X)
#undef X
    S_DUP = sys_of("dup"); S_DUP2 = sys_of("dup2"); S_DUP3 = sys_of("dup3");
    S_FCNTL = sys_of("fcntl"); S_CLOSE = sys_of("close");
    S_CLOSE_RANGE = sys_of("close_range"); S_PIPE = sys_of("pipe");
    S_PIPE2 = sys_of("pipe2"); S_SOCKETPAIR = sys_of("socketpair");
    S_CLONE = sys_of("clone"); S_CLONE3 = sys_of("clone3");
    S_FORK = sys_of("fork"); S_VFORK = sys_of("vfork");
    S_EXECVE = sys_of("execve"); S_EXECVEAT = sys_of("execveat");
    S_BIND = sys_of("bind"); S_LISTEN = sys_of("listen");
    S_EPOLL_CTL = sys_of("epoll_ctl"); S_IOCTL = sys_of("ioctl");
    S_RT_SIGACTION = sys_of("rt_sigaction"); S_FUTEX = sys_of("futex");
    S_EXIT = sys_of("exit"); S_EXIT_GROUP = sys_of("exit_group");
    S_ACCEPT = sys_of("accept"); S_ACCEPT4 = sys_of("accept4");
    S_SIGNALFD = sys_of("signalfd"); S_SIGNALFD4 = sys_of("signalfd4");
    S_IO_URING_ENTER = sys_of("io_uring_enter"); S_OPEN = sys_of("open");
    S_OPENAT = sys_of("openat"); S_OPENAT2 = sys_of("openat2");
    sysinfo_ready = 1;
}

/* a write-like call shorter than this is shown running, not blocked */
#define TRACE_WRITE_SLEEP_NS 1000000

static int is_clone(int s)
{
    return s == S_CLONE || s == S_CLONE3 || s == S_FORK || s == S_VFORK;
}

/* ---- pass 1: tasks ------------------------------------------------------ */

struct build {
    struct trace *tr;
    struct tl *tl;
    struct ttask *tasks;
    size_t ntasks, taskcap;
    int *map;        /* open addressing: tid -> current ttask index, -1 */
    size_t mapcap;   /* power of two */
    struct tobj *objs;
    size_t nobjs, objcap;
    int toomany;     /* the timeline's task limit was reached */
    int last_str;    /* the string call_str made last, -1 */
};

static size_t map_slot(const struct build *b, int tid)
{
    size_t h = ((uint32_t)tid * 2654435761u) & (b->mapcap - 1);
    while (b->map[h] >= 0 && b->tasks[b->map[h]].tid != tid)
        h = (h + 1) & (b->mapcap - 1);
    return h;
}

static int map_grow(struct build *b)
{
    size_t old = b->mapcap;
    int *om = b->map;
    b->mapcap = old ? old * 2 : 256;
    b->map = malloc(b->mapcap * sizeof *b->map);
    if (!b->map) {
        b->map = om;
        b->mapcap = old;
        return -ENOMEM;
    }
    for (size_t i = 0; i < b->mapcap; i++)
        b->map[i] = -1;
    for (size_t i = 0; i < old; i++)
        if (om[i] >= 0)
            b->map[map_slot(b, b->tasks[om[i]].tid)] = om[i];
    free(om);
    return 0;
}

/* A new ttask for tid, replacing any older one with that tid in the map */
static int task_add(struct build *b, int tid)
{
    if ((b->ntasks + 1) * 2 > b->mapcap && map_grow(b))
        return -ENOMEM;
    if (grow((void **)&b->tasks, &b->taskcap, b->ntasks + 1, sizeof *b->tasks))
        return -ENOMEM;
    int i = (int)b->ntasks++;
    struct ttask *t = &b->tasks[i];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->parent = -1;
    t->proc = i;
    t->idx = -1;
    t->kind = -1;
    t->script = -1;
    t->last_t = INT64_MIN;
    b->map[map_slot(b, tid)] = i;
    return i;
}

static int task_find(struct build *b, int tid)
{
    if (!b->mapcap)
        return -1;
    return b->map[map_slot(b, tid)];
}

static int64_t base_name(struct trace *tr, int64_t path)
{
    const char *p = str_at(tr, path);
    if (!p)
        return 0;
    const char *s = strrchr(p, '/');
    return s && s[1] ? path + (s + 1 - p) : path;
}

static int pass_tasks(struct build *b)
{
    struct trace *tr = b->tr;
    for (size_t i = 0; i < tr->nrecs; i++) {
        struct rec *r = &tr->recs[i];
        if (r->kind == R_CAPTION && r->c.tid < 0)
            continue; /* a caption of no task */
        int t = task_find(b, r->c.tid);
        if (t < 0 || (b->tasks[t].exited && r->kind != R_EXIT)) {
            t = task_add(b, r->c.tid);
            if (t < 0)
                return t;
        }
        r->task = t;
        struct ttask *k = &b->tasks[t];
        if (r->kind == R_NAME) {
            k->name = r->text_off;
            k->kind = (int)r->c.arg;
            int h = r->c.fd >= 0 ? task_find(b, r->c.fd) : -1;
            if (h >= 0 && h != t) { /* a coroutine of thread h */
                k->parent = h;
                k->proc = b->tasks[h].proc;
                k->thread = 1;
                k->suspended = 1;
            }
            continue;
        }
        if (r->kind == R_SWITCH) { /* the task it switches to, as of now */
            r->child = task_find(b, r->c.fd);
            continue;
        }
        if (k->script < 0 && r->kind == R_CALL && r->c.script >= 0 &&
            (size_t)r->c.script < tr->nscripts)
            k->script = r->c.script;
        if (r->kind == R_EXIT) {
            k->exited = 1;
            continue;
        }
        if (r->kind != R_CALL || !r->c.returned)
            continue;
        if ((r->c.sys == S_EXECVE || r->c.sys == S_EXECVEAT) && r->c.ret == 0 &&
            r->path_off)
            k->prog = k->own_prog = base_name(tr, r->path_off);
        if (is_clone(r->c.sys) && r->c.ret > 0 && r->c.ret <= INT32_MAX) {
            int ctid = (int)r->c.ret;
            int c = task_find(b, ctid);
            /* the child may have shown up first; else it is born here */
            if (c < 0 || b->tasks[c].exited || b->tasks[c].parent >= 0 ||
                c == t) {
                c = task_add(b, ctid);
                if (c < 0)
                    return c;
            }
            k = &b->tasks[t]; /* task_add may move the array */
            struct ttask *ch = &b->tasks[c];
            ch->parent = t;
            r->child = c;
            ch->thread = (r->c.arg & CLONE_THREAD) != 0;
            ch->proc = ch->thread ? k->proc : c;
            if (!ch->own_prog)
                ch->prog = k->prog;
        }
    }
    return 0;
}

/* ---- pass 1b: fds open before the trace began ---------------------------- */

static int known_set(struct ttask *p, int fd, int on)
{
    if (fd < 0 || fd >= 65536)
        return 0;
    if (fd >= p->nknown) {
        if (!on)
            return 0;
        int n = p->nknown ? p->nknown : 64;
        while (n <= fd)
            n *= 2;
        uint8_t *k = realloc(p->known, (size_t)n);
        if (!k)
            return -ENOMEM;
        memset(k + p->nknown, 0, (size_t)(n - p->nknown));
        p->known = k;
        p->nknown = n;
    }
    p->known[fd] = (uint8_t)on;
    return 0;
}

static int is_known(const struct ttask *p, int fd)
{
    return fd >= 0 && fd < p->nknown && p->known[fd];
}

/* fd is used by a call of process p but was never made: open from p's
 * start */
static int pre_add(struct ttask *p, int fd, int kind)
{
    if (fd < 0 || fd >= 65536 || is_known(p, fd))
        return 0;
    if (p->npre == p->precap) {
        int n = p->precap ? p->precap * 2 : 8;
        int32_t *q = realloc(p->pre, (size_t)n * sizeof *q);
        if (!q)
            return -ENOMEM;
        p->pre = q;
        p->precap = n;
    }
    p->pre[p->npre++] = fd | (kind >= 0 && kind < OK__COUNT ? kind : OK__COUNT) << 24;
    return known_set(p, fd, 1);
}

static int pass_prefds(struct build *b)
{
    struct trace *tr = b->tr;
    int rc = 0;
    for (size_t i = 0; i < tr->nrecs && !rc; i++) {
        struct rec *r = &tr->recs[i];
        if (r->kind != R_CALL)
            continue;
        const struct trace_call *c = &r->c;
        struct ttask *p = &b->tasks[b->tasks[r->task].proc];
        const struct sys_info *si = &sysinfo[c->sys];
        int failed_badf = c->returned && c->ret == -EBADF;
        int makes = si->makes >= 0 && c->sys != S_ACCEPT && c->sys != S_ACCEPT4 &&
                    !((c->sys == S_SIGNALFD || c->sys == S_SIGNALFD4) && c->fd >= 0);
        if (c->fd >= 0 && !makes && !failed_badf && c->sys != S_CLOSE_RANGE)
            rc = pre_add(p, c->fd, c->kind);
        if (!rc && c->sys == S_EPOLL_CTL && c->returned && c->ret == 0)
            rc = pre_add(p, c->fd2, -1);
        if (rc || !c->returned || c->ret < 0)
            continue;
        if (si->makes >= 0 && c->ret <= 65535)
            rc = known_set(p, (int)c->ret, 1);
        if (!rc && (c->sys == S_PIPE || c->sys == S_PIPE2 || c->sys == S_SOCKETPAIR)) {
            rc = known_set(p, c->fds[0], 1);
            if (!rc)
                rc = known_set(p, c->fds[1], 1);
        }
        if (!rc && (c->sys == S_DUP || c->sys == S_DUP2 || c->sys == S_DUP3 ||
                    (c->sys == S_FCNTL && (c->arg == F_DUPFD ||
                                           c->arg == F_DUPFD_CLOEXEC))) &&
            c->ret <= 65535)
            rc = known_set(p, (int)c->ret, 1);
        if (!rc && c->sys == S_CLOSE && c->ret == 0)
            rc = known_set(p, c->fd, 0);
        if (!rc && is_clone(c->sys) && r->child >= 0 && !b->tasks[r->child].thread) {
            /* the child starts with a copy of the table */
            struct ttask *ch = &b->tasks[r->child];
            p = &b->tasks[b->tasks[r->task].proc];
            for (int fd = 0; fd < p->nknown && !rc; fd++)
                if (p->known[fd])
                    rc = known_set(ch, fd, 1);
        }
    }
    return rc;
}

/* ---- pass 2: each task's moments in order -------------------------------- */

static void pass_clamp(struct build *b)
{
    struct trace *tr = b->tr;
    int64_t t0 = INT64_MAX; /* the timeline starts at the first moment */
    for (size_t i = 0; i < tr->nrecs; i++)
        if (tr->recs[i].c.t_enter < t0 && tr->recs[i].c.t_enter != TRACE_START)
            t0 = tr->recs[i].c.t_enter;
    for (size_t i = 0; i < tr->nrecs; i++) {
        struct rec *r = &tr->recs[i];
        if (r->c.t_enter == TRACE_START) {
            r->c.t_enter = r->c.t_exit = 0;
            r->c.returned = 1; /* marks a caption for the start */
            continue;
        }
        r->c.t_enter -= t0;
        r->c.t_exit -= t0;
    }
    for (size_t i = 0; i < tr->nrecs; i++) {
        struct rec *r = &tr->recs[i];
        if (r->kind == R_CAPTION)
            continue;
        struct ttask *k = &b->tasks[r->task];
        if (r->c.t_enter < k->last_t)
            r->c.t_enter = k->last_t;
        if (r->c.t_exit < r->c.t_enter)
            r->c.t_exit = r->c.t_enter;
        k->last_t = r->kind == R_CALL && !r->c.returned ? r->c.t_enter : r->c.t_exit;
    }
}

/* ---- pass 3: events ----------------------------------------------------- */

static int emit(struct build *b, int64_t t, int type, int task, int sub, int obj,
                int64_t a, int64_t bv, int line)
{
    if (t > TL_T_MAX) /* past what an event's time holds: the end */
        return -EOVERFLOW;
    t = t < 0 ? 0 : t;
    struct tl_ev e = {.t = t, .a = a, .b = bv, .obj = obj,
                      .line = line > 0 && line <= TL_LINE_MAX ? (uint64_t)line : 0,
                      .task = task < 0 ? TL_NOTASK : (uint16_t)task,
                      .type = (uint16_t)type, .sub = (uint16_t)sub};
    return tl_push(b->tl, &e) < 0 ? -ENOMEM : 0;
}

static int obj_new(struct build *b, int64_t t, int kind, int owner, int line)
{
    if (grow((void **)&b->objs, &b->objcap, b->nobjs + 1, sizeof *b->objs))
        return -ENOMEM;
    struct tl_obj o = {.kind = (uint8_t)kind, .peer = -1, .queue = -1,
                       .owner = owner};
    int id = tl_add_obj(b->tl, &o);
    if (id < 0)
        return id;
    b->objs[b->nobjs++] = (struct tobj){0, kind, 0, 0, -1};
    int rc = emit(b, t, EV_OBJ_NEW, owner, kind, id, 0, 0, line);
    return rc ? rc : id;
}

static int fd_obj(const struct ttask *p, int fd)
{
    return fd >= 0 && fd < p->nfds ? p->fds[fd] : -1;
}

static int fd_put(struct build *b, int64_t t, int pi, int fd, int obj, int cloexec,
                  int line)
{
    struct ttask *p = &b->tasks[pi];
    if (fd < 0 || fd > (1 << 24))
        return 0;
    if (fd >= p->nfds) {
        int n = p->nfds ? p->nfds : 8;
        while (n <= fd)
            n *= 2;
        int *f = realloc(p->fds, (size_t)n * sizeof *f);
        if (!f)
            return -ENOMEM;
        p->fds = f;
        uint8_t *c = realloc(p->cloexec, (size_t)n);
        if (!c)
            return -ENOMEM;
        p->cloexec = c;
        for (int i = p->nfds; i < n; i++) {
            f[i] = -1;
            c[i] = 0;
        }
        p->nfds = n;
    }
    p->fds[fd] = obj;
    p->cloexec[fd] = (uint8_t)(cloexec != 0);
    b->objs[obj].refs++;
    return emit(b, t, EV_FD_OPEN, p->idx, cloexec != 0, obj, fd, 0, line);
}

static int fd_close(struct build *b, int64_t t, int pi, int fd, int line)
{
    struct ttask *p = &b->tasks[pi];
    int obj = fd_obj(p, fd);
    if (obj < 0)
        return 0;
    p->fds[fd] = -1;
    int rc = emit(b, t, EV_FD_CLOSE, p->idx, 0, obj, fd, 0, line);
    if (!rc && --b->objs[obj].refs == 0)
        rc = emit(b, t, EV_OBJ_FREE, -1, 0, obj, 0, 0, line);
    return rc;
}

static int task_idx(const struct build *b, int t)
{
    return t >= 0 ? b->tasks[t].idx : -1;
}

static const char *task_name(struct build *b, int t, char *buf, size_t len)
{
    const struct ttask *k = &b->tasks[t];
    const char *prog = str_at(b->tr, k->prog);
    const char *given = str_at(b->tr, k->name);
    if (given && *given)
        snprintf(buf, len, "%s", given);
    else if (prog && *prog)
        snprintf(buf, len, "%.40s[%d]", prog, k->tid);
    else
        snprintf(buf, len, "%d", k->tid);
    return buf;
}

/* Make task t exist in the timeline (and its parent first) */
static int task_make(struct build *b, int t, int64_t tm)
{
    struct ttask *k = &b->tasks[t];
    if (k->idx >= 0 || b->toomany)
        return b->toomany ? -ERANGE : 0;
    if (k->parent >= 0 && b->tasks[k->parent].idx < 0) {
        int rc = task_make(b, k->parent, tm);
        if (rc)
            return rc;
        k = &b->tasks[t];
    }
    if (b->tl->ntasks >= (int)TL_NOTASK - 1) {
        b->toomany = 1;
        return -ERANGE;
    }
    char name[64];
    int parent = task_idx(b, k->parent);
    int proc = k->proc == t ? b->tl->ntasks : b->tasks[k->proc].idx;
    int kind = k->kind >= 0 ? k->kind : k->thread ? TK_THREAD : TK_PROCESS;
    int id = tl_add_task(b->tl, task_name(b, t, name, sizeof name), kind,
                         parent, proc, k->script);
    if (id < 0)
        return id;
    k->idx = id;
    int rc = emit(b, tm, EV_TASK_NEW, id, kind, -1, parent, 0, 0);
    if (rc)
        return rc;
    struct ttask *p = &b->tasks[k->proc];
    p->live++;
    if (k->proc == t && k->parent >= 0) {
        /* fork: the child gets a copy of its parent's fd table */
        struct ttask *pp = &b->tasks[b->tasks[k->parent].proc];
        for (int fd = 0; fd < pp->nfds; fd++) {
            pp = &b->tasks[b->tasks[k->parent].proc];
            if (pp->fds[fd] >= 0 &&
                (rc = fd_put(b, tm, t, fd, pp->fds[fd], pp->cloexec[fd], 0)))
                return rc;
        }
        b->tasks[t].handlers = pp->handlers;
    }
    /* fds it had before the trace began (it used them, never made them) */
    k = &b->tasks[t];
    int term = -1; /* fds 0-2 of unknown kind: taken to be one terminal */
    for (int i = 0; k->proc == t && i < k->npre; i++) {
        int fd = k->pre[i] & 0xffffff, kind = k->pre[i] >> 24;
        if (fd_obj(k, fd) >= 0)
            continue; /* its parent's copy */
        int std = kind >= OK__COUNT && fd <= 2;
        int obj = std && term >= 0 ? term
                  : obj_new(b, tm, kind < OK__COUNT ? kind : std ? OK_TTY : OK_OTHER,
                            id, 0);
        if (obj < 0)
            return obj;
        if (std)
            term = obj;
        if ((rc = fd_put(b, tm, t, fd, obj, 0, 0)))
            return rc;
        k = &b->tasks[t];
    }
    return emit(b, tm, EV_STATE, id, k->suspended ? TS_SUSPENDED : TS_RUNNING,
                -1, -1, 0, 0);
}

/* The object behind fd in t's process; an fd the trace never saw made is
 * added as it is first used (it was open before the trace began) */
static int use_fd(struct build *b, int t, int fd, int kind, int64_t tm, int line)
{
    int pi = b->tasks[t].proc;
    int obj = fd_obj(&b->tasks[pi], fd);
    if (obj >= 0 || fd < 0 || fd > 65535)
        return obj;
    obj = obj_new(b, tm, kind >= 0 && kind < OK__COUNT ? kind
                  : fd <= 2 ? OK_TTY : OK_OTHER,
                  b->tasks[pi].idx, line);
    if (obj < 0)
        return obj;
    int rc = fd_put(b, tm, pi, fd, obj, 0, line);
    return rc ? rc : obj;
}

/* SYS_ENTER.a as the simulator words it (text.c), from the record */
static int64_t enter_arg(const struct rec *r)
{
    const struct trace_call *c = &r->c;
    switch (c->sys) {
    case SYS_PIPE2: case SYS_SOCKETPAIR: return TL_FD_PAIR(c->fds[0], c->fds[1]);
    case SYS_FCNTL:
        if (c->arg == F_GETFL)
            return TL_F_GETFL;
        if (c->arg == F_SETOWN)
            return TL_F_SETOWN | (c->size & 0xffffffff);
        if (c->arg == F_SETFL)
            return TL_F_SETFL(c->size & 3,
                              ((c->size & O_NONBLOCK) ? TL_FL_NONBLOCK : 0) |
                              ((c->size & O_ASYNC) ? TL_FL_ASYNC : 0));
        return c->size;
    case SYS_EPOLL_CTL: return c->fd2;
    case SYS_IO_URING_ENTER: return TL_URING_ENTER_ARG(c->size, c->arg);
    case SYS_EXIT: case SYS_EXIT_GROUP: case SYS_RT_SIGACTION: return c->arg;
    case SYS_BIND: case SYS_CONNECT: return c->arg;
    case SYS_WAIT4: return (c->size & TRACE_WSTATUS_ASKED) != 0; /* as the
                                                       simulator's: &status */
    default: return c->size;
    }
}

/* Does this call sleep, and on what?  *obj: the object waited on */
static int call_wait(struct build *b, const struct rec *r, int *obj)
{
    const struct trace_call *c = &r->c;
    const struct sys_info *si = &sysinfo[c->sys];
    *obj = -1;
    if (c->sys == S_VFORK || (is_clone(c->sys) && (c->arg & CLONE_VFORK)))
        return TW_CHILD; /* the parent sleeps until the child execs or exits */
    if (si->wait < 0 || c->timeout_ns == 0)
        return -1;
    if (c->sys == S_FUTEX) {
        int op = (int)(c->arg & 127);
        if (op != 0 && op != 6 && op != 9 && op != 11 && op != 13)
            return -1; /* FUTEX_WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI,
                          LOCK_PI2 sleep; the others do not */
    }
    if (c->sys == S_IO_URING_ENTER && c->arg <= 0)
        return -1; /* no min_complete: it only submits */
    if (si->wait == TW_SPACE && c->returned &&
        c->t_exit - c->t_enter < TRACE_WRITE_SLEEP_NS)
        return -1; /* a write sleeps only on a full buffer: a quick one
                      found room */
    if (si->fdwait) {
        struct ttask *p = &b->tasks[b->tasks[r->task].proc];
        int o = fd_obj(p, c->fd);
        if (o >= 0) {
            if (b->objs[o].flags & TL_FL_NONBLOCK)
                return -1;
            if (b->objs[o].kind == OK_FILE)
                return -1; /* regular files do not wait for data */
        }
        *obj = o;
    } else if (c->fd >= 0) {
        *obj = fd_obj(&b->tasks[b->tasks[r->task].proc], c->fd);
    }
    return si->wait;
}

/* The string id of text (a call's array as strace prints it), reusing
 * the last one made if it is the same; negative errno */
static int call_str(struct build *b, const char *text)
{
    struct tl *tl = b->tl;
    if (b->last_str >= 0 && b->last_str < tl->nstrs &&
        !strcmp(tl->strs[b->last_str], text))
        return b->last_str;
    int id = tl_add_str(tl, text);
    if (id >= 0)
        b->last_str = id;
    return id;
}

/* The array a poll, epoll_wait or pselect6 call passed (out 0) or wrote
 * back (out 1), in the words the simulator uses (TL_STR_OBJ of
 * SYS_ENTER.obj or SYSCALL.obj, tl.h): a pollfd array, the events, or the
 * sets it left ("in [3], out [4]").  *obj is left as it is when the call
 * has none. */
static int call_array(struct build *b, const struct rec *r, int out, int32_t *obj)
{
    const struct trace_call *c = &r->c;
    int n = out ? c->nout : c->nin;
    int kind = c->sys == SYS_POLL ? (out ? TL_FDEV_REVENTS : TL_FDEV_POLLFD)
               : c->sys == SYS_EPOLL_WAIT && out ? TL_FDEV_EPOLL
               : c->sys == SYS_SELECT ? -1 : -2;
    if (kind == -2 || n <= 0 || !b->tr->fdev ||
        (out && (!c->returned || c->ret <= 0)))
        return 0;
    const struct trace_fdev *v = b->tr->fdev + (out ? r->out_off : r->in_off);
    char text[TL_TEXT_MAX];
    if (kind == -1) { /* pselect6: "in [3 5], out [4]"; the 64 lowest of
                         a set, then " ...", as the simulator words them */
        int32_t rd[65], wr[65];
        int nr = 0, nw = 0;
        for (int i = 0; i < n; i++) {
            if ((v[i].ev & TRACE_SEL_READ) && nr < 65)
                rd[nr++] = v[i].fd;
            if ((v[i].ev & TRACE_SEL_WRITE) && nw < 65)
                wr[nw++] = v[i].fd;
        }
        char a[512], w[512];
        tl_fdset_text(a, sizeof a, rd, nr, 64);
        tl_fdset_text(w, sizeof w, wr, nw, 64);
        /* fewer fds kept than the call returned ready (an strace log's
         * importer keeps 64): the last set says it was cut */
        char *last = nw ? w : a;
        size_t ll = strlen(last);
        if (out && c->ret > n && (nr || nw) && !strstr(last, "...") && ll > 1 &&
            ll + 5 < sizeof a)
            memcpy(last + ll - 1, " ...]", 6);
        if (!out) /* the sets passed: "[3 5], NULL", as the simulator's */
            snprintf(text, sizeof text, "%s, %s", nr ? a : "NULL", nw ? w : "NULL");
        else if (nr && nw)
            snprintf(text, sizeof text, "in %s, out %s", a, w);
        else if (nr || nw)
            snprintf(text, sizeof text, "%s %s", nr ? "in" : "out", nr ? a : w);
        else
            return 0;
    } else {
        int32_t fd[TL_FDEV_SHOWN + 1];
        uint32_t ev[TL_FDEV_SHOWN + 1];
        int k = n < TL_FDEV_SHOWN + 1 ? n : TL_FDEV_SHOWN + 1;
        for (int i = 0; i < k; i++) {
            fd[i] = v[i].fd;
            ev[i] = v[i].ev;
        }
        tl_fdev_text(text, sizeof text, kind, fd, ev, k,
                     out ? c->ret : c->size > n ? c->size : n);
    }
    int id = call_str(b, text);
    if (id < 0)
        return id;
    *obj = TL_STR_OBJ(id);
    return 0;
}

static int on_enter(struct build *b, struct rec *r)
{
    struct trace_call *c = &r->c;
    int t = r->task, rc;
    int64_t tm = c->t_enter;
    if ((rc = task_make(b, t, tm)))
        return rc;
    struct ttask *k = &b->tasks[t];
    k->sig_shown = 0;
    /* an fd it names that the trace has not seen made */
    int fdmade = sysinfo[c->sys].makes >= 0 && c->sys != S_ACCEPT &&
                 c->sys != S_ACCEPT4 && c->sys != S_SIGNALFD &&
                 c->sys != S_SIGNALFD4;
    if (c->fd >= 0 && !fdmade && !(c->returned && c->ret == -EBADF) &&
        c->sys != S_CLOSE_RANGE && (rc = use_fd(b, t, c->fd, c->kind, tm, c->line)) < 0)
        return rc;
    int64_t text = 0;
    if (r->text_off) {
        int s = tl_add_str(b->tl, str_at(b->tr, r->text_off));
        if (s < 0)
            return s;
        text = (int64_t)s + 1;
    }
    int32_t obj = c->fd; /* poll has none: the pollfd array instead, when
                            no argument list as strace printed it says it */
    if (c->sys == SYS_WAIT4)
        obj = c->arg > 0 ? (int32_t)c->arg : -1; /* the pid, as the simulator's */
    if (!text && (rc = call_array(b, r, 0, &obj)))
        return rc;
    if ((rc = emit(b, tm, EV_SYS_ENTER, k->idx, c->sys, obj, enter_arg(r), text,
                   c->line)))
        return rc;
    /* the fd list the kernel copies in: poll's pollfd array, pselect6's
       fd_sets (whole longs per set given) */
    int64_t in = c->sys == SYS_POLL ? 8 * c->size
                 : c->sys == SYS_SELECT ? (c->size + 63) / 64 * 8 * c->arg : 0;
    if (in > 0 && c->size < (1 << 24) &&
        (rc = emit(b, tm, EV_ARGCOPY, k->idx, TC_TO_KERNEL, c->sys, in, 0, c->line)))
        return rc;
    int wobj;
    int w = call_wait(b, r, &wobj);
    k->blocked = w >= 0;
    if (w >= 0)
        return emit(b, tm, EV_STATE, k->idx, TS_BLOCKED, wobj, w, 0, c->line);
    return 0;
}

/* Flags from the O_ word F_SETFL gives */
static int fl_of_linux(int64_t v)
{
    return ((v & O_NONBLOCK) ? TL_FL_NONBLOCK : 0) |
           ((v & O_ASYNC) ? TL_FL_ASYNC : 0);
}

static int set_flags(struct build *b, int64_t tm, int t, int obj, int fd, int fl,
                     int line)
{
    if (obj < 0 || b->objs[obj].flags == fl)
        return 0;
    b->objs[obj].flags = fl;
    return emit(b, tm, EV_FLAGS, b->tasks[b->tasks[t].proc].idx, fl, obj, fd, 0, line);
}

/* A new fd and object made by the call */
static int make_fd(struct build *b, const struct rec *r, int fd, int kind)
{
    const struct trace_call *c = &r->c;
    int t = r->task, pi = b->tasks[t].proc;
    int64_t tm = c->t_exit;
    if (fd_obj(&b->tasks[pi], fd) >= 0) { /* the log missed its close */
        int rc = fd_close(b, tm, pi, fd, c->line);
        if (rc)
            return rc;
    }
    int obj = obj_new(b, tm, kind, b->tasks[pi].idx, c->line);
    if (obj < 0)
        return obj;
    int rc = fd_put(b, tm, pi, fd, obj, (c->flags & TRACE_FD_CLOEXEC) != 0, c->line);
    if (!rc && (c->flags & (TL_FL_NONBLOCK | TL_FL_ASYNC)))
        rc = set_flags(b, tm, t, obj, fd, (int)(c->flags & (TL_FL_NONBLOCK | TL_FL_ASYNC)),
                       c->line);
    return rc ? rc : obj;
}

/* dup-like: newfd points to oldfd's object (closing what newfd was) */
static int dup_fd(struct build *b, const struct rec *r, int oldfd, int newfd)
{
    const struct trace_call *c = &r->c;
    int pi = b->tasks[r->task].proc, rc;
    int obj = fd_obj(&b->tasks[pi], oldfd);
    if (obj < 0 || newfd < 0 || newfd == oldfd)
        return 0;
    if ((rc = fd_close(b, c->t_exit, pi, newfd, c->line)))
        return rc;
    return fd_put(b, c->t_exit, pi, newfd, obj, (c->flags & TRACE_FD_CLOEXEC) != 0,
                  c->line);
}

/* The last task of a process is gone: the kernel closes its fds */
static int proc_gone(struct build *b, int pi, int64_t tm)
{
    struct ttask *p = &b->tasks[pi];
    for (int fd = 0; fd < p->nfds; fd++) {
        int rc = fd_close(b, tm, pi, fd, 0);
        if (rc)
            return rc;
        p = &b->tasks[pi];
    }
    return 0;
}

static int epoll_interest(struct build *b, const struct rec *r, int epobj)
{
    const struct trace_call *c = &r->c;
    if (epobj < 0 || b->objs[epobj].kind != OK_EPOLL || c->fd2 < 0)
        return 0;
    struct tobj *o = &b->objs[epobj];
    if (o->queue < 0) {
        char name[48];
        snprintf(name, sizeof name, "epoll #%d interest list", epobj);
        int q = tl_add_queue(b->tl, name, TQK_INTEREST, epobj);
        if (q < 0)
            return q;
        b->objs[epobj].queue = q;
        if (b->tl->objs[epobj].queue < 0)
            b->tl->objs[epobj].queue = q;
    }
    int q = b->objs[epobj].queue;
    int idx = b->tasks[r->task].idx;
    if (c->arg == 1) /* EPOLL_CTL_ADD */
        return emit(b, c->t_exit, EV_QUEUE, idx, TQ_PUSH, q, c->fd2, 0, c->line);
    if (c->arg == 2) /* EPOLL_CTL_DEL */
        return emit(b, c->t_exit, EV_QUEUE, idx, TQ_REMOVE, q, c->fd2, 0, c->line);
    return 0;
}

static int on_return(struct build *b, struct rec *r)
{
    struct trace_call *c = &r->c;
    int t = r->task, rc = 0;
    int64_t tm = c->t_exit;
    struct ttask *k = &b->tasks[t];
    int pi = k->proc;
    int line = c->line;
    k->sig_shown = 0;
    if (k->blocked) {
        k->blocked = 0;
        if ((rc = emit(b, tm, EV_STATE, k->idx, TS_RUNNING, -1, -1, 0, line)))
            return rc;
    }
    int64_t ret = c->ret;
    const struct sys_info *si = &sysinfo[c->sys];
    int ob = fd_obj(&b->tasks[pi], c->fd);
    /* and copies back: each pollfd's revents, the fd_sets, the ready
       epoll_events (12 bytes each, packed on x86_64) */
    int64_t back = ret < 0 || c->size >= (1 << 24) ? 0
                   : c->sys == SYS_POLL ? 2 * c->size
                   : c->sys == SYS_SELECT ? (c->size + 63) / 64 * 8 * c->arg
                   : c->sys == SYS_EPOLL_WAIT ? 12 * ret : 0;
    if (back > 0 &&
        (rc = emit(b, tm, EV_ARGCOPY, k->idx, TC_TO_USER, c->sys, back, 0, line)))
        return rc;
    if (ret > 0 && si->io != IO_NONE && ob >= 0)
        rc = emit(b, tm, EV_COPY, k->idx, si->io == IO_IN ? TC_TO_USER : TC_TO_KERNEL,
                  ob, ret, 0, line);
    if (!rc && ret >= 0 && si->makes >= 0 && ret <= 65535 &&
        !((c->sys == S_SIGNALFD || c->sys == S_SIGNALFD4) && c->fd >= 0)) {
        int kind = c->kind >= 0 && c->kind < OK__COUNT ? c->kind : si->makes;
        if ((c->sys == S_OPEN || c->sys == S_OPENAT || c->sys == S_OPENAT2) &&
            c->kind < 0 && r->path_off) {
            const char *p = str_at(b->tr, r->path_off);
            if (!strncmp(p, "/dev/pts/", 9) || !strncmp(p, "/dev/tty", 8) ||
                !strcmp(p, "/dev/console"))
                kind = OK_TTY;
        }
        int nob = make_fd(b, r, (int)ret, kind);
        if (nob < 0)
            return nob;
        if ((c->sys == S_ACCEPT || c->sys == S_ACCEPT4) && ob >= 0 &&
            b->objs[ob].port > 0) {
            b->objs[nob].port = b->objs[ob].port;
            b->tl->objs[nob].port = b->objs[ob].port;
        }
    }
    if (rc)
        return rc;
    if (ret == 0 && (c->sys == S_PIPE || c->sys == S_PIPE2 || c->sys == S_SOCKETPAIR) &&
        c->fds[0] >= 0 && c->fds[1] >= 0) {
        int sp = c->sys == S_SOCKETPAIR;
        int o1 = make_fd(b, r, c->fds[0], sp ? OK_SOCKET : OK_PIPE_R);
        if (o1 < 0)
            return o1;
        int o2 = make_fd(b, r, c->fds[1], sp ? OK_SOCKET : OK_PIPE_W);
        if (o2 < 0)
            return o2;
        b->tl->objs[o1].peer = o2;
        b->tl->objs[o2].peer = o1;
    }
    if (ret >= 0 && (c->sys == S_DUP || c->sys == S_DUP2 || c->sys == S_DUP3 ||
                     (c->sys == S_FCNTL && (c->arg == F_DUPFD ||
                                            c->arg == F_DUPFD_CLOEXEC))))
        rc = dup_fd(b, r, c->fd, (int)ret);
    if (!rc && ret == 0 && c->sys == S_CLOSE)
        rc = fd_close(b, tm, pi, c->fd, line);
    if (!rc && ret == 0 && c->sys == S_CLOSE_RANGE && c->fd >= 0) {
        struct ttask *p = &b->tasks[pi];
        int64_t hi = c->fd2 < 0 ? p->nfds - 1 : c->fd2;
        int cloexec_only = (c->arg & 4) != 0; /* CLOSE_RANGE_CLOEXEC */
        for (int64_t fd = c->fd; fd <= hi && fd < p->nfds && !rc; fd++) {
            if (cloexec_only)
                p->cloexec[fd] = p->fds[fd] >= 0;
            else
                rc = fd_close(b, tm, pi, (int)fd, line);
            p = &b->tasks[pi];
        }
    }
    if (!rc && ret >= 0 && c->sys == S_FCNTL && c->arg == F_SETFL)
        rc = set_flags(b, tm, t, ob, c->fd, fl_of_linux(c->size), line);
    if (!rc && ret >= 0 && c->sys == S_FCNTL && c->arg == F_SETFD && ob >= 0)
        b->tasks[pi].cloexec[c->fd] = (c->size & 1) != 0;
    if (!rc && ret == 0 && c->sys == S_IOCTL && c->arg == FIONBIO && ob >= 0)
        rc = set_flags(b, tm, t, ob, c->fd,
                       c->size ? (b->objs[ob].flags | TL_FL_NONBLOCK)
                               : (b->objs[ob].flags & ~TL_FL_NONBLOCK), line);
    if (!rc && ret == 0 && c->sys == S_BIND && ob >= 0 && c->arg > 0)
        b->objs[ob].port = (int)c->arg;
    if (!rc && ret == 0 && c->sys == S_LISTEN && ob >= 0 &&
        b->objs[ob].kind == OK_SOCKET) {
        b->objs[ob].kind = OK_LISTEN;
        rc = emit(b, tm, EV_OBJ_SET, k->idx, OK_LISTEN, ob, b->objs[ob].port, 0, line);
    }
    if (!rc && ret == 0 && c->sys == S_EPOLL_CTL)
        rc = epoll_interest(b, r, ob);
    if (!rc && c->sys == S_RT_SIGACTION && ret == 0 && c->arg > 0 && c->arg < 64 &&
        c->size >= 0) {
        uint64_t bit = (uint64_t)1 << c->arg;
        struct ttask *p = &b->tasks[pi];
        p->handlers = c->size > 0 ? p->handlers | bit : p->handlers & ~bit;
    }
    if (!rc && ret == 0 && (c->sys == S_EXECVE || c->sys == S_EXECVEAT)) {
        /* the new program starts without the close-on-exec fds, and with
           default actions for the signals it had handlers for */
        struct ttask *p = &b->tasks[pi];
        for (int fd = 0; fd < p->nfds && !rc; fd++) {
            if (p->fds[fd] >= 0 && p->cloexec[fd])
                rc = fd_close(b, tm, pi, fd, line);
            p = &b->tasks[pi];
        }
        p->handlers = 0;
    }
    if (!rc && is_clone(c->sys) && ret > 0) {
        /* the child (made at its own first moment if that came first) */
        if (r->child >= 0 && b->tasks[r->child].idx < 0)
            rc = task_make(b, r->child, tm);
    }
    int32_t obj = c->fd; /* or what it wrote back, when it did */
    if (!rc)
        rc = call_array(b, r, 1, &obj);
    if (!rc && c->sys == SYS_WAIT4) {
        obj = c->arg > 0 ? (int32_t)c->arg : -1;
        if (ret > 0 && (c->size & TRACE_WSTATUS_SET)) { /* the status */
            char st[64];
            int id = call_str(b, tl_wstatus_text(st, sizeof st, (int)(c->size & 0xffff)));
            if (id < 0)
                return id;
            obj = TL_STR_OBJ(id);
        }
    }
    if (rc)
        return rc;
    return emit(b, tm, EV_SYSCALL, b->tasks[t].idx, c->sys, obj, ret,
                c->t_exit - c->t_enter, line);
}

static int on_signal(struct build *b, struct rec *r)
{
    int t = r->task, rc;
    if ((rc = task_make(b, t, r->c.t_enter)))
        return rc;
    struct ttask *k = &b->tasks[t];
    int sig = (int)r->c.arg;
    int handled = sig > 0 && sig < 64 &&
                  (b->tasks[k->proc].handlers >> sig & 1);
    k->sig_shown = handled ? 0 : sig;
    return emit(b, r->c.t_enter, EV_SIGNAL, k->idx, handled, -1, sig, 0, 0);
}

static int on_name(struct build *b, struct rec *r)
{
    return task_make(b, r->task, r->c.t_enter);
}

static int on_caption(struct build *b, struct rec *r)
{
    int rc = task_make(b, r->task, r->c.t_enter);
    const char *text = str_at(b->tr, r->text_off);
    if (rc || !text)
        return rc;
    int id = tl_add_str(b->tl, text);
    if (id < 0)
        return -ENOMEM;
    return emit(b, r->c.t_enter, EV_CAPTION, b->tasks[r->task].idx, 0, -1, id,
                0, 0);
}

/* A coroutine switch in user space: r's task is suspended, the one it
 * names (in fd) runs */
static int on_switch(struct build *b, struct rec *r)
{
    int to = r->child, rc;
    if (to < 0)
        return 0;
    if ((rc = task_make(b, r->task, r->c.t_enter)) ||
        (rc = task_make(b, to, r->c.t_enter)))
        return rc;
    if ((rc = emit(b, r->c.t_enter, EV_STATE, b->tasks[r->task].idx,
                   TS_SUSPENDED, -1, 0, 0, 0)))
        return rc;
    return emit(b, r->c.t_enter, EV_STATE, b->tasks[to].idx, TS_RUNNING, -1,
                -1, 0, 0);
}

static int on_end(struct build *b, struct rec *r)
{
    int t = r->task, rc;
    if ((rc = task_make(b, t, r->c.t_enter)))
        return rc;
    struct ttask *k = &b->tasks[t];
    if (k->dead)
        return 0;
    int64_t tm = r->c.t_enter;
    int sig = (int)r->c.arg;
    /* killed: the signal, unless its delivery was the task's last event */
    if (sig > 0 && k->sig_shown != sig &&
        (rc = emit(b, tm, EV_SIGNAL, k->idx, 0, -1, sig, 0, 0)))
        return rc;
    k->dead = 1;
    k->blocked = 0;
    /* the last task's exit_files closes the fds before its exit_notify
     * (kernel/exit.c), as the simulator shows it */
    if (--b->tasks[k->proc].live == 0 && (rc = proc_gone(b, k->proc, tm)))
        return rc;
    k = &b->tasks[t];
    return emit(b, tm, EV_STATE, k->idx, TS_EXITED, -1,
                sig > 0 ? 128 + sig : r->c.ret, 0, 0);
}

/* Moments: key = time, then submission order (entry before return) */
struct moment {
    int64_t t;
    uint64_t seq; /* rec index * 2 + (1 for a return) */
};

static int moment_cmp(const void *x, const void *y)
{
    const struct moment *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int trace_finish(struct trace *tr, const char *title, const char *source,
                 const char *model, struct tl **out)
{
    *out = NULL;
    if (tr->finished)
        return -EINVAL;
    tr->finished = 1;
    sysinfo_init();
    struct build b = {.tr = tr, .last_str = -1};
    struct moment *m = NULL;
    int rc = -ENOMEM;
    b.tl = tl_new();
    if (!b.tl || tl_set_str(&b.tl->title, title) || tl_set_str(&b.tl->source, source) ||
        tl_set_str(&b.tl->model, model ? model : "strace"))
        goto out;
    b.tl->ncpus = 0; /* a trace does not say which CPU ran what */
    if ((rc = scripts_add(tr, b.tl)))
        goto out;
    if ((rc = pass_tasks(&b)) || (rc = pass_prefds(&b)))
        goto out;
    pass_clamp(&b);
    size_t nm = 0;
    m = malloc((tr->nrecs * 2 + 1) * sizeof *m);
    rc = -ENOMEM;
    if (!m)
        goto out;
    for (size_t i = 0; i < tr->nrecs; i++) {
        const struct rec *r = &tr->recs[i];
        m[nm++] = (struct moment){r->c.t_enter, (uint64_t)i * 2};
        if (r->kind == R_CALL && r->c.returned)
            m[nm++] = (struct moment){r->c.t_exit, (uint64_t)i * 2 + 1};
    }
    qsort(m, nm, sizeof *m, moment_cmp);
    rc = 0;
    /* captions for the start come before anything else */
    for (size_t i = 0; i < tr->nrecs && !rc; i++) {
        struct rec *r = &tr->recs[i];
        if (r->kind != R_CAPTION || !r->c.returned)
            continue;
        int sid = tl_add_str(b.tl, str_at(tr, r->text_off));
        rc = sid < 0 ? sid : emit(&b, 0, EV_CAPTION, -1, 0, -1, sid, 0, 0);
    }
    for (size_t i = 0; i < nm && !rc; i++) {
        struct rec *r = &tr->recs[m[i].seq / 2];
        if (r->kind == R_CAPTION && r->c.returned)
            continue; /* at the start: done */
        if (r->kind == R_CAPTION && r->c.tid < 0) {
            int sid = tl_add_str(b.tl, str_at(tr, r->text_off));
            rc = sid < 0 ? sid : emit(&b, r->c.t_enter, EV_CAPTION, -1, 0, -1, sid, 0, 0);
            continue;
        }
        if (b.tasks[r->task].dead && r->kind != R_EXIT)
            continue; /* a record after its task's exit: nothing to show */
        switch (r->kind) {
        case R_CALL: rc = m[i].seq & 1 ? on_return(&b, r) : on_enter(&b, r); break;
        case R_SIGNAL: rc = on_signal(&b, r); break;
        case R_EXIT: rc = on_end(&b, r); break;
        case R_NAME: rc = on_name(&b, r); break;
        case R_CAPTION: rc = on_caption(&b, r); break;
        case R_SWITCH: rc = on_switch(&b, r); break;
        }
    }
    if (rc == -ERANGE) {
        char note[96];
        snprintf(note, sizeof note, "the trace has more than %d tasks; the "
                 "timeline stops at the first that did not fit", (int)TL_NOTASK - 1);
        b.tl->truncated = 1;
        rc = tl_set_str(&b.tl->note, note);
    } else if (rc == -EOVERFLOW) {
        b.tl->truncated = 1;
        rc = tl_set_str(&b.tl->note, "the trace is longer than 9 h 46 min, "
                        "the most a timeline holds; it stops there");
    }
    if (rc)
        goto out;
    tl_shrink(b.tl);
    *out = b.tl;
    b.tl = NULL;
out:
    free(m);
    for (size_t i = 0; i < b.ntasks; i++) {
        free(b.tasks[i].fds);
        free(b.tasks[i].cloexec);
        free(b.tasks[i].pre);
        free(b.tasks[i].known);
    }
    free(b.tasks);
    free(b.map);
    free(b.objs);
    tl_free(b.tl);
    return rc;
}
