/*
 * runner.c - a compiled scenario (prog.h) executed with real syscalls.
 *
 * The runner is the function the tracer (tracer.c) runs in its sandbox.
 * Its first process, the root, is not part of the scenario: it forks one
 * process per task declaration instance (processes and peers alike), waits
 * for them, drains the terminal, and ends the run.  Each task process waits
 * for its start time, marks itself (REAL_MARK_START: from then on the
 * tracer records it), and interprets its task's instructions, each
 * operation with the syscalls the simulator shows for it:
 *   fork is fork(3) (clone), thread is pthread_create(3) (clone3),
 *   coroutines are interpreter contexts of one thread that switch in user
 *   space, with no syscall (a mark tells the tracer which one runs),
 *   compute is a busy loop on the wall clock,
 *   the I/O operations are the calls glibc makes for them (recv is
 *   recvfrom, select is pselect6, sleep is clock_nanosleep), io_uring is
 *   raw io_uring_setup/io_uring_enter with the rings mapped, and the SQEs
 *   written and CQEs reaped are marks, since they make no syscall.
 * Every task gets the terminal on fds 0, 1 and 2: the slave of a
 * pseudo-terminal whose master the root drains (and writes into for
 * `type`), so a scenario's writes to fd 1 do not reach iosim's own output.
 *
 * Every operation of the language has an entry in ops[] below; a test walks
 * PROG_OPS and fails for an operation without one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/input.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <semaphore.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "real/real.h"
#include "real/runner.h"
#include "sim/hub.h"
#include "tl/tl.h"

/* The master of the tasks' terminal: the runner's own fd, the highest the
 * sandbox's fd limit allows, above any a scenario is given */
static int tty_master = -1;
/* the machine's input device: a pipe whose write end the user's clicks
 * and key presses write struct input_event records into (a real evdev
 * device needs the input group and hardware; the sandbox has neither) */
static int input_r = -1, input_w = -1;

/* Memory shared by every process of the run (MAP_SHARED, made before the
 * first fork): `say once` bits and the counters that name children as the
 * simulator does (server.1, server/t2 ...), per declaration */
struct shared {
    _Atomic int64_t t0; /* the run's time 0, once every task is made; a
                           futex word until then (0: not yet) */
    atomic_int go;
    _Atomic int64_t active; /* when a task last ran an operation */
    _Atomic int64_t busy_until; /* when the latest sleep or compute that a
                                   task has begun ends: until then the run
                                   is not idle, whatever the others do */
    atomic_uint said[PROG_MAX_CODE / 32 + 1];
    atomic_flag names_lock;
    int nnames;
    struct { char base[96]; int n; } names[512]; /* chosen names, counted */
    /* forkserver: what each start asks of its server (the child's name and
     * its START), found by the server's k-th accepted connection: the
     * simulator's request; CPython's is in the pickled process object */
    atomic_int nfsreq;
    struct { int server, seq, pc; char name[96]; } fsreq[64];
    atomic_int children[];
};

/* One interpreter context: a kernel task (process or thread), a coroutine
 * of one, or a signal handler's run on a task's slots */
struct ctx {
    int64_t *slots;
    int pc, block_end, decl, kind;
    int32_t *ready;
    int nready, ready_i, readycap;
    int32_t *watch;
    int nwatch, watchcap;
    struct ctx *next_co; /* the thread's ring: the thread, then its
                            coroutines in the order they were made */
    int done;
    int gv_fd;            /* patched: the fd + 1 of a connect in progress */
    struct ctx *joiner;   /* patched: who waits in join for its end */
    int is_gen, gen_at;   /* a generator: 0 not started, 1 suspended at a
                             yield, 2 running (coro.c's gen_at) */
    struct ctx *caller;   /* a generator's: who called next */
    struct ctx *parent;   /* a greenlet's: who made it */
    int switched;         /* a greenlet that a switch ran */
    int co_dst;           /* the slot waiting for the value a transfer back
                             brings, -1 */
    int mpq;    /* a Queue's feeder thread: its queue, */
    int64_t fk, fv; /* and the message it is writing */
    int peer;   /* a task outside the machine, and what it makes */
    int thread; /* its block ends with the thread (exit, not exit_group) */
    int *calls; /* the handlers running: return pcs */
    int ncalls, callcap;
    int mp_target; /* a spawned child re-running its main module: the pc
                      of its target block, run once the top level is done;
                      0 none */
    int mp_boot;   /* ... during that import (a start there fails) */
    char name[96];
};

/* A kernel thread of the run */
struct kthread {
    struct ctx *cur; /* the context it runs */
    struct ctx *main;
    struct real_done done; /* the line running, the last call's result:
                              read by the tracer */
    int64_t handler_ns; /* time its signal handlers have taken */
    char *buf;       /* the user buffer of read/write */
    size_t bufcap;
};

/* io_uring rings of a process, by fd */
struct ring {
    int fd;
    unsigned sq_entries, cq_entries;
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
    void *sq_map, *cq_map;
    size_t sq_len, cq_len, sqes_len;
    unsigned queued;   /* SQEs written since the last enter */
    int64_t next_ud;
    struct { int64_t ud; int fd, op; char *buf; } *req;
    int nreq, reqcap;
};

/* The process's state (each process has its copy, made by fork) */
static const struct prog *P;
static struct shared *SH;
static const struct real_run_opts *OPT;
static int64_t T0; /* CLOCK_MONOTONIC at the start of the run */
static int sig_handler_pc = -1;
static struct ring *rings;
static int nrings;
static __thread struct kthread *self;
static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A time of the scenario on the run's clock (real_run_opts.scale) */
static int64_t scaled(int64_t ns)
{
    return OPT->scale > 1 ? ns * OPT->scale : ns;
}

/* The process's memory for `shared` variables: one word per slot that
 * every thread and coroutine of the process reads and writes (relaxed
 * atomic loads and stores: a read-modify-write of two tasks can still
 * lose an update, as in C); a forked child gets a copy, as fork does */
static int64_t *shared_mem;
static int shared_n;

static int is_shared(const struct ctx *c, int64_t slot)
{
    const uint8_t *sh = P->tasks[c->decl].slot_shared;
    return sh && shared_mem && slot >= 0 && slot < P->tasks[c->decl].nslots &&
           sh[slot];
}

static int64_t slot_get(const struct ctx *c, int64_t slot)
{
    if (is_shared(c, slot))
        return __atomic_load_n(&shared_mem[slot], __ATOMIC_RELAXED);
    return c->slots[slot];
}

static int64_t arg(const struct ctx *c, const struct prog_ins *in, int i)
{
    if (i >= in->nargs)
        return 0;
    const struct prog_arg *a = &in->a[i];
    return a->kind == ARG_SLOT ? slot_get(c, a->v) : a->v;
}

static void set(struct ctx *c, int slot, int64_t v)
{
    if (slot < 0)
        return;
    if (is_shared(c, slot))
        __atomic_store_n(&shared_mem[slot], v, __ATOMIC_RELAXED);
    else
        c->slots[slot] = v;
}

/* An optional operand i, or def when it is absent */
static int64_t opt_arg(const struct ctx *c, const struct prog_ins *in, int i,
                       int64_t def)
{
    return i < in->nargs && in->a[i].kind != ARG_NONE ? arg(c, in, i) : def;
}

/* a syscall's result as the language has it: n, or -errno; and, for the
 * calls real_lazy() names, for the tracer (struct real_done) */
static int64_t res_of(int nr, long r)
{
    int64_t v = r < 0 ? -errno : r;
    struct kthread *k = self;
    if (k && real_lazy(nr)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        k->done.nr = nr;
        k->done.ret = v;
        k->done.t_exit = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        __atomic_store_n(&k->done.seq, k->done.seq + 1, __ATOMIC_RELEASE);
    }
    return v;
}
#define res(nr, r) res_of(SYS_##nr, (r))

/* A call of three arguments or fewer, with the last result and the line
 * in the spare registers (real.h, REAL_ARG_MAGIC); -1 and errno as glibc */
static long fast3(int nr, long a, long b, long c)
{
    struct kthread *k = self;
    long d = 0, e = 0, f = 0;
    if (k) {
        d = (long)(REAL_ARG_MAGIC << 48 | (uint64_t)(k->done.nr & 0xffff) << 32 |
                   (uint32_t)k->done.line);
        e = (long)k->done.ret;
        f = (long)k->done.t_exit;
    }
    return syscall(nr, a, b, c, d, e, f);
}

static char *buffer(size_t n)
{
    struct kthread *k = self;
    if (n > k->bufcap) {
        size_t cap = n < 65536 ? 65536 : n;
        char *b = realloc(k->buf, cap);
        if (!b)
            return NULL;
        memset(b + k->bufcap, 'x', cap - k->bufcap);
        k->buf = b;
        k->bufcap = cap;
    }
    return k->buf;
}

static int grow32(int32_t **v, int *cap, int n)
{
    if (n <= *cap)
        return 0;
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap < n)
        ncap *= 2;
    int32_t *p = realloc(*v, (size_t)ncap * sizeof *p);
    if (!p)
        return -1;
    *v = p;
    *cap = ncap;
    return 0;
}

static void set_ready(struct ctx *c, const int32_t *fds, int n)
{
    if (n <= 0) {
        c->nready = 0;
    } else if (grow32(&c->ready, &c->readycap, n) == 0) {
        memcpy(c->ready, fds, (size_t)n * sizeof *fds);
        c->nready = n;
    } else {
        c->nready = 0;
    }
    c->ready_i = 0;
}

static struct ctx *ctx_new(const struct ctx *from, int pc, int block_end,
                           int kind, const char *name)
{
    struct ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    int n = P->tasks[from->decl].nslots;
    c->slots = calloc((size_t)(n ? n : 1), sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return NULL;
    }
    memcpy(c->slots, from->slots, (size_t)n * sizeof *c->slots);
    c->pc = pc;
    c->block_end = block_end;
    c->decl = from->decl;
    c->kind = kind;
    c->peer = from->peer;
    c->co_dst = -1;
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* The name the simulator gives a child of c: PROC SEP K, K counted per
 * declaration across the whole run */
static void child_name(const struct ctx *proc, const char *sep, char *buf,
                       size_t n)
{
    int k = atomic_fetch_add(&SH->children[proc->decl], 1) + 1;
    snprintf(buf, n, "%.60s%s%d", proc->name, sep, k);
}

/* The name the scenario chose (`thread worker { ... }`): NAME for a
 * process, PROC/NAME for a thread or coroutine, then NAME2, NAME3 ... as
 * the same statement makes more; 0 if it chose none */
static void counted_name(const char *base, char *buf, size_t n);

static int chosen_name(const struct ctx *proc, const struct prog_ins *in,
                       int process, char *buf, size_t n)
{
    if (in->nargs < 1 || in->a[0].kind != ARG_CONST || in->a[0].v < 0 ||
        in->a[0].v >= P->nstrs)
        return 0;
    char base[96];
    if (process)
        snprintf(base, sizeof base, "%.60s", P->strs[in->a[0].v]);
    else
        snprintf(base, sizeof base, "%.40s/%.40s", proc->name, P->strs[in->a[0].v]);
    counted_name(base, buf, n);
    return 1;
}

/* the k-th task of the run to be given the name base is base<k> (k > 1) */
static void counted_name(const char *base, char *buf, size_t n)
{
    while (atomic_flag_test_and_set(&SH->names_lock))
        ;
    int k = 1, i;
    for (i = 0; i < SH->nnames && strcmp(SH->names[i].base, base); i++)
        ;
    if (i < SH->nnames)
        k = ++SH->names[i].n;
    else if (SH->nnames < (int)(sizeof SH->names / sizeof SH->names[0])) {
        snprintf(SH->names[SH->nnames].base, sizeof SH->names[0].base, "%s", base);
        SH->names[SH->nnames++].n = 1;
    }
    atomic_flag_clear(&SH->names_lock);
    if (k > 1)
        snprintf(buf, n, "%.80s%d", base, k);
    else
        snprintf(buf, n, "%s", base);
}

static void start_mark(struct ctx *c)
{
    real_mark(REAL_MARK_START, (long)c->name, c->kind | c->decl << 8,
              (long)&self->done);
}

/* A forked child's first step, before its own code: c, the forking
 * task's context as the child's copy of memory has it, becomes the one
 * task of process NAME (its kind TK_PROCESS or TK_PEER), with no
 * coroutines, and is marked to the tracer (START) under that name */
static void child_begin(struct ctx *c, const char *name, int kind)
{
    snprintf(c->name, sizeof c->name, "%s", name);
    c->kind = kind;
    c->thread = 0;
    c->next_co = NULL;
    self->main = self->cur = c;
    start_mark(c);
}

static void run(struct ctx *c, int until);

/* ---- the operations: each returns 0 to go on at c->pc, 1 if c's kernel
 * thread is done (the task exited) ---------------------------------------- */

typedef int (*op_fn)(struct ctx *c, const struct prog_ins *in);

static int next(struct ctx *c)
{
    c->pc++;
    return 0;
}

/* ---- gevent: monkey_patch and a hub in C over epoll ------------------------
 *
 * What sim/hub.c models, made of the same calls: libev's loop as gevent
 * runs it, written here in C (not gevent itself: the run has no Python).
 * The hub is a context of the thread that called monkey_patch, like a
 * coroutine; a patched call that fails with EAGAIN (EINPROGRESS for a
 * connect) starts a watcher on its fd and switches to it, and is made
 * again when the hub switches back.
 */
struct rhub_fd {
    uint8_t ev, oev, emask, changed;
    struct ctx *g;
};

static struct rhub {
    struct kthread *k;
    struct ctx *ctx;
    int ep, efd, efd_added, invoking;
    int live;               /* greenlets spawned and not ended */
    struct ctx *joinall;    /* who waits in joinall */
    struct rhub_fd *fd;
    int nfd;
    int *changes;
    int nch, chcap;
    struct { struct ctx *g; int start; } *cb;
    int ncb, cbhead, cbcap;
    struct { int64_t at; uint64_t seq; struct ctx *g; } *tm;
    int ntm, tmcap;
    uint64_t seq;
    struct { struct ctx *g; int fd; } *pend;
    int npend, pendcap;
    struct epoll_event ev[HUB_MAX_EVENTS];
    int nev;
} *hub;


/* c runs in the patched thread, and is not the hub */
static int patched(const struct ctx *c)
{
    return hub && self == hub->k && c != hub->ctx;
}

static struct rhub_fd *rhub_fd(int fd)
{
    if (fd < 0 || fd > (1 << 20))
        return NULL;
    if (fd >= hub->nfd) {
        int n = hub->nfd ? hub->nfd : 64;
        while (n <= fd)
            n *= 2;
        struct rhub_fd *p = realloc(hub->fd, (size_t)n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + hub->nfd, 0, (size_t)(n - hub->nfd) * sizeof *p);
        hub->fd = p;
        hub->nfd = n;
    }
    return &hub->fd[fd];
}

static void rhub_change(int fd)
{
    struct rhub_fd *f = &hub->fd[fd];
    if (!f->changed && tl_grow(&hub->changes, &hub->chcap, hub->nch + 1,
                                sizeof *hub->changes) == 0) {
        f->changed = 1;
        hub->changes[hub->nch++] = fd;
    }
}

static void rhub_cb(struct ctx *g, int start)
{
    if (hub->cbhead > 0 && hub->cbhead == hub->ncb)
        hub->cbhead = hub->ncb = 0;
    if (tl_grow(&hub->cb, &hub->cbcap, hub->ncb + 1, sizeof *hub->cb) == 0) {
        hub->cb[hub->ncb].g = g;
        hub->cb[hub->ncb++].start = start;
    }
}

/* the thread runs `to` now (a switch in user space: a mark, no syscall) */
static int rhub_switch(struct ctx *to)
{
    self->cur = to;
    real_mark(REAL_MARK_CO, (long)to->name, REAL_CO_SWITCH, 0);
    return 0;
}

/* a patched call would block on fd: watch it, the hub runs */
static int rhub_wait(struct ctx *c, int fd, uint8_t ev)
{
    struct rhub_fd *f = rhub_fd(fd);
    if (!f)
        return rhub_switch(hub->ctx);
    f->ev = ev;
    f->g = c;
    rhub_change(fd);
    return rhub_switch(hub->ctx);
}

static int op_monkey_patch(struct ctx *c, const struct prog_ins *in)
{
    (void)in;
    int ep = (int)res(epoll_create1, fast3(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0));
    int efd = (int)res(eventfd2, fast3(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK, 0));
    char name[96], base[96];
    snprintf(base, sizeof base, "%.60s/hub", self->main->name);
    counted_name(base, name, sizeof name); /* hub2 if a coroutine took it */
    struct ctx *h = P->hub_pc >= 0 ? ctx_new(c, P->hub_pc, -1, TK_COROUTINE, name)
                                   : NULL;
    hub = h && !hub ? calloc(1, sizeof *hub) : NULL;
    if (hub) {
        hub->k = self;
        hub->ctx = h;
        hub->ep = ep;
        hub->efd = efd;
        h->parent = c;
        real_mark(REAL_MARK_CO, (long)h->name, REAL_CO_HUB, 0);
    }
    return next(c);
}

/* gevent.joinall(): the main greenlet waits for every spawned one */
static int op_joinall(struct ctx *c, const struct prog_ins *in)
{
    (void)in;
    if (!patched(c) || hub->live == 0)
        return next(c);
    hub->joinall = c;
    c->pc++;
    return rhub_switch(hub->ctx);
}

static int64_t rhub_now(void)
{
    return mono_ns();
}

static int op_hub(struct ctx *c, const struct prog_ins *in)
{
    if (!hub || c != hub->ctx)
        return next(c);
    switch (in->flags) {
    case HUB_CALLBACKS:
        while (hub->cbhead < hub->ncb) {
            struct ctx *g = hub->cb[hub->cbhead++].g;
            if (!g->done)
                return rhub_switch(g);
        }
        hub->cbhead = hub->ncb = 0;
        return next(c);
    case HUB_REIFY: {
        if (!hub->efd_added) {
            struct epoll_event e = {.events = EPOLLIN};
            e.data.fd = hub->efd;
            res(epoll_ctl, epoll_ctl(hub->ep, EPOLL_CTL_ADD, hub->efd, &e));
            hub->efd_added = 1;
        }
        for (int i = 0; i < hub->nch; i++) {
            struct rhub_fd *f = &hub->fd[hub->changes[i]];
            int fd = hub->changes[i];
            f->changed = 0;
            uint8_t o = f->oev, n = f->ev, old = f->emask;
            f->oev = n;
            if (o == n || n == 0)
                continue;
            f->emask = n;
            struct epoll_event e = {.events = (n & TL_EP_IN ? EPOLLIN : 0) |
                                              (n & TL_EP_OUT ? EPOLLOUT : 0)};
            e.data.fd = fd;
            int op = o && old != n ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
            long r = res(epoll_ctl, epoll_ctl(hub->ep, op, fd, &e));
            if (op == EPOLL_CTL_ADD && r == -EEXIST && old != n)
                res(epoll_ctl, epoll_ctl(hub->ep, EPOLL_CTL_MOD, fd, &e));
            else if (op == EPOLL_CTL_MOD && r == -ENOENT)
                res(epoll_ctl, epoll_ctl(hub->ep, EPOLL_CTL_ADD, fd, &e));
        }
        hub->nch = 0;
        return next(c);
    }
    case HUB_POLL: {
        int64_t ms = HUB_MAX_BLOCK_MS;
        if (hub->cbhead < hub->ncb) {
            ms = 0;
        } else if (hub->ntm > 0) {
            int64_t at = hub->tm[0].at;
            for (int i = 1; i < hub->ntm; i++)
                if (hub->tm[i].at < at)
                    at = hub->tm[i].at;
            int64_t d = at - rhub_now();
            int64_t t = d <= 0 ? 0 : (d + 999999) / 1000000;
            if (t < ms)
                ms = t;
        }
        long r = res(epoll_wait, epoll_wait(hub->ep, hub->ev, HUB_MAX_EVENTS, (int)ms));
        hub->nev = r > 0 ? (int)r : 0;
        return next(c);
    }
    default: /* HUB_INVOKE */
        if (!hub->invoking) {
            hub->invoking = 1;
            hub->npend = 0;
            for (int i = 0; i < hub->nev; i++) {
                int fd = hub->ev[i].data.fd;
                if (fd == hub->efd || fd < 0 || fd >= hub->nfd)
                    continue;
                struct rhub_fd *f = &hub->fd[fd];
                unsigned got = (hub->ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? TL_EP_IN : 0) |
                               (hub->ev[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR) ? TL_EP_OUT : 0);
                got &= f->emask;
                if (got & ~f->ev) { /* nobody wants it: tell the kernel */
                    f->emask = f->ev;
                    struct epoll_event e = {.events = (f->ev & TL_EP_IN ? EPOLLIN : 0) |
                                                      (f->ev & TL_EP_OUT ? EPOLLOUT : 0)};
                    e.data.fd = fd;
                    res(epoll_ctl, epoll_ctl(hub->ep, f->ev ? EPOLL_CTL_MOD : EPOLL_CTL_DEL,
                                             fd, &e));
                }
                if ((got & f->ev) && f->g &&
                    tl_grow(&hub->pend, &hub->pendcap, hub->npend + 1, sizeof *hub->pend) == 0) {
                    hub->pend[hub->npend].g = f->g;
                    hub->pend[hub->npend++].fd = fd;
                }
            }
            int64_t now = rhub_now();
            for (;;) { /* the due timers, earliest first */
                int best = -1;
                for (int i = 0; i < hub->ntm; i++)
                    if (hub->tm[i].at <= now &&
                        (best < 0 || hub->tm[i].at < hub->tm[best].at ||
                         (hub->tm[i].at == hub->tm[best].at &&
                          hub->tm[i].seq < hub->tm[best].seq)))
                        best = i;
                if (best < 0 || tl_grow(&hub->pend, &hub->pendcap, hub->npend + 1,
                                         sizeof *hub->pend))
                    break;
                hub->pend[hub->npend].g = hub->tm[best].g;
                hub->pend[hub->npend++].fd = -1;
                hub->tm[best] = hub->tm[--hub->ntm];
            }
        }
        while (hub->npend > 0) {
            int fd = hub->pend[hub->npend - 1].fd;
            struct ctx *g = hub->pend[--hub->npend].g;
            if (g->done)
                continue;
            if (fd >= 0) {
                hub->fd[fd].ev = 0;
                hub->fd[fd].g = NULL;
                rhub_change(fd);
            }
            return rhub_switch(g);
        }
        hub->invoking = 0;
        return next(c);
    }
}

/* gevent.sleep(d) in a patched context: a timer (d <= 0: a callback) */
static int rhub_sleep(struct ctx *c, int64_t d)
{
    c->pc++;
    if (d <= 0) {
        rhub_cb(c, 0);
    } else if (tl_grow(&hub->tm, &hub->tmcap, hub->ntm + 1, sizeof *hub->tm) == 0) {
        hub->tm[hub->ntm].at = rhub_now() + d;
        hub->tm[hub->ntm].seq = hub->seq++;
        hub->tm[hub->ntm++].g = c;
    }
    return rhub_switch(hub->ctx);
}

static int one = 1;

static int op_socket(struct ctx *c, const struct prog_ins *in)
{
    int64_t fd = res(socket, fast3(SYS_socket, AF_INET, SOCK_STREAM, 0));
    if (fd >= 0 && patched(c)) /* gevent's socket: non-blocking */
        res(ioctl, fast3(SYS_ioctl, (int)fd, FIONBIO, (long)&one));
    set(c, in->dst, fd);
    return next(c);
}

static struct sockaddr_in addr_of(int64_t port, uint32_t ip)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(ip);
    return a;
}

static int op_listen(struct ctx *c, const struct prog_ins *in)
{
    int fd = (int)arg(c, in, 0);
    struct sockaddr_in a = addr_of(arg(c, in, 1), INADDR_ANY);
    res(bind, fast3(SYS_bind, fd, (long)&a, sizeof a));
    res(listen, fast3(SYS_listen, fd, P->backlog, 0));
    return next(c);
}

static int op_accept(struct ctx *c, const struct prog_ins *in)
{
    int64_t fd = res(accept, fast3(SYS_accept, (int)arg(c, in, 0), 0, 0));
    if (fd == -EAGAIN && patched(c))
        return rhub_wait(c, (int)arg(c, in, 0), TL_EP_IN);
    if (fd >= 0 && patched(c))
        res(ioctl, fast3(SYS_ioctl, (int)fd, FIONBIO, (long)&one));
    set(c, in->dst, fd);
    return next(c);
}

static int op_connect(struct ctx *c, const struct prog_ins *in)
{
    struct sockaddr_in a = addr_of(arg(c, in, 0), INADDR_LOOPBACK);
    if (c->gv_fd > 0) { /* patched: the connect made again, once writable */
        int fd = c->gv_fd - 1;
        int64_t r = res(connect, fast3(SYS_connect, fd, (long)&a, sizeof a));
        if (r == -EALREADY || r == -EINPROGRESS)
            return rhub_wait(c, fd, TL_EP_OUT);
        c->gv_fd = 0;
        if (r < 0 && r != -EISCONN) {
            res(close, fast3(SYS_close, fd, 0, 0));
            set(c, in->dst, r);
        } else {
            set(c, in->dst, fd);
        }
        return next(c);
    }
    int fd = (int)fast3(SYS_socket, AF_INET, SOCK_STREAM, 0);
    if (res(socket, fd) < 0) {
        set(c, in->dst, -errno);
        return next(c);
    }
    if (patched(c)) {
        res(ioctl, fast3(SYS_ioctl, fd, FIONBIO, (long)&one));
        int64_t r = res(connect, fast3(SYS_connect, fd, (long)&a, sizeof a));
        if (r == -EINPROGRESS) {
            c->gv_fd = fd + 1;
            return rhub_wait(c, fd, TL_EP_OUT);
        }
        if (r < 0) {
            res(close, fast3(SYS_close, fd, 0, 0));
            set(c, in->dst, r);
        } else {
            set(c, in->dst, fd);
        }
        return next(c);
    }
    if (res(connect, fast3(SYS_connect, fd, (long)&a, sizeof a)) < 0) {
        int e = errno;
        res(close, fast3(SYS_close, fd, 0, 0)); /* the simulator: no call */
        set(c, in->dst, -e);
    } else {
        set(c, in->dst, fd);
    }
    return next(c);
}

static int op_pair(struct ctx *c, const struct prog_ins *in)
{
    int fds[2];
    long r = in->op == OP_PIPE ? pipe2(fds, 0)
                               : socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    if (r < 0) {
        set(c, in->dst, -errno);
        set(c, in->dst2, -errno);
    } else {
        set(c, in->dst, fds[0]);
        set(c, in->dst2, fds[1]);
    }
    return next(c);
}

/* multiprocessing.Pipe(): socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC);
 * Pipe(duplex=False): pipe2(O_CLOEXEC) */
static int op_mp_pipe(struct ctx *c, const struct prog_ins *in)
{
    int fds[2];
    long r = in->flags & 1 ? pipe2(fds, O_CLOEXEC)
             : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
    set(c, in->dst, r < 0 ? -errno : fds[0]);
    set(c, in->dst2, r < 0 ? -errno : fds[1]);
    return next(c);
}

/* Connection.send((kind, v)): a 4-byte big-endian length and the pickle,
 * one write(2) up to 16384 bytes of pickle, else two.  The bytes carry
 * the kind's string index and the value, so that conn_recv gets them.
 * size < 0: the pickle's size as CPython makes it. */
static int64_t conn_write(int fd, int64_t kind, int64_t v, int64_t size)
{
    int ks = PROG_IS_KIND(kind) ? PROG_KIND_STR(kind) : -1;
    int64_t n = size >= 0 ? size
              : prog_pickle_size(ks >= 0 && ks < P->nstrs ? P->strs[ks] : "?", v);
    if (n < 1)
        n = 1;
    char *b = buffer((size_t)n + 16); /* a pickle under 12 bytes carries
                                          nothing: its SIZE was written */
    if (!b)
        return -ENOMEM;
    uint32_t be = htonl((uint32_t)n);
    memcpy(b, &be, 4);
    int32_t k32 = ks;
    memcpy(b + 4, &k32, 4);
    memcpy(b + 8, &v, 8);
    if (n <= 16384)
        return res(write, fast3(SYS_write, fd, (long)b, n + 4));
    int64_t r = res(write, fast3(SYS_write, fd, (long)b, 4));
    if (r == 4)
        r = res(write, fast3(SYS_write, fd, (long)(b + 4), n));
    return r;
}

static int op_conn_send(struct ctx *c, const struct prog_ins *in)
{
    set(c, in->dst, conn_write((int)arg(c, in, 0), arg(c, in, 1),
                               opt_arg(c, in, 2, 0),
                               in->nargs > 3 ? arg(c, in, 3) : -1));
    return next(c);
}

/* read(2) until n bytes are in, as _recv does: n, 0 at end of file, or
 * -errno */
static int64_t read_all(int fd, char *b, int64_t n)
{
    int64_t got = 0;
    while (got < n) {
        int64_t r = res(read, fast3(SYS_read, fd, (long)(b + got), n - got));
        if (r <= 0)
            return r;
        got += r;
    }
    return got;
}

/* Connection.recv(): read the length, then the pickle; *kind = EOFError
 * at end of file, -errno on an error */
static int64_t conn_read(int fd, int64_t *kind, int64_t *v)
{
    uint32_t be = 0;
    *kind = PROG_EOF_ERROR;
    *v = 0;
    int64_t r = read_all(fd, (char *)&be, 4);
    if (r == 4) {
        int64_t n = ntohl(be);
        char *b = buffer((size_t)(n > 16 ? n : 16));
        r = b ? read_all(fd, b, n) : -ENOMEM;
        if (r == n && n >= 12) {
            int32_t k32;
            memcpy(&k32, b, 4);
            memcpy(v, b + 4, 8);
            *kind = PROG_KIND(k32);
        }
    }
    if (r < 0)
        *kind = r;
    return r;
}

static int op_conn_recv(struct ctx *c, const struct prog_ins *in)
{
    int64_t kind, v;
    conn_read((int)arg(c, in, 0), &kind, &v);
    set(c, in->dst, kind);
    set(c, in->dst2, v);
    return next(c);
}

/* ---- multiprocessing's SemLocks and Queues (the simulator's mpq.c) ----
 * A SemLock is a POSIX semaphore in memory that forked children share, as
 * CPython's is; CPython gets that memory from sem_open in /dev/shm, which
 * writes a file, and the sandbox lets no task write a file (RLIMIT_FSIZE
 * 0): here it is an anonymous MAP_SHARED mapping (sem_init, pshared), so
 * the real run makes none of sem_open's openat, write, link and unlink.
 * acquire is sem_wait, release sem_post: the same futex calls.
 * Handles are the simulator's: H_LOCK + index, H_QUEUE + index, in the
 * order this process and its ancestors made them. */
#define H_LOCK 0x10000
#define H_QUEUE 0x20000
#define MP_MAX 64
static sem_t *msem[MP_MAX * 3];
static int nmsem;
struct rqueue {
    int simple, rfd, wfd, rlock, wlock, sem;
    pid_t owner;        /* the process whose buffer and feeder these are */
    int feeder, waiting;
    pthread_mutex_t mu; /* the buffer's lock: Queue._notempty */
    pthread_cond_t cv;
    int64_t kind[256], val[256];
    int head, n;
};
static struct rqueue mq[MP_MAX];
static int nmq;

static int sem_make(unsigned value)
{
    if (nmsem >= MP_MAX * 3)
        return -1;
    sem_t *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED || sem_init(s, 1, value))
        return -1;
    msem[nmsem] = s;
    return nmsem++;
}

static int op_mp_lock(struct ctx *c, const struct prog_ins *in)
{
    int i = sem_make(1);
    set(c, in->dst, i < 0 ? -ENOMEM : H_LOCK + i);
    return next(c);
}

static int op_acquire(struct ctx *c, const struct prog_ins *in)
{
    int64_t h = arg(c, in, 0) - H_LOCK;
    if (h >= 0 && h < nmsem) {
        if (in->op == OP_ACQUIRE)
            while (sem_wait(msem[h]) && errno == EINTR)
                ;
        else
            sem_post(msem[h]);
    }
    return next(c);
}

static int op_mp_queue(struct ctx *c, const struct prog_ins *in)
{
    int fds[2];
    if (nmq >= MP_MAX || pipe2(fds, O_CLOEXEC)) {
        set(c, in->dst, -errno);
        return next(c);
    }
    struct rqueue *q = &mq[nmq];
    memset(q, 0, sizeof *q);
    q->simple = in->flags & 1;
    q->rfd = fds[0];
    q->wfd = fds[1];
    q->rlock = sem_make(1);
    q->wlock = sem_make(1);
    q->sem = q->simple ? -1 : sem_make(0x7fffffff);
    q->owner = getpid();
    q->feeder = 0;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    set(c, in->dst, H_QUEUE + nmq++);
    return next(c);
}

static struct rqueue *rqueue_of(const struct ctx *c, const struct prog_ins *in)
{
    int64_t h = arg(c, in, 0) - H_QUEUE;
    if (h < 0 || h >= nmq)
        return NULL;
    struct rqueue *q = &mq[h];
    if (q->owner != getpid()) { /* a forked child: Queue._after_fork */
        q->owner = getpid();
        q->feeder = q->waiting = 0;
        q->head = q->n = 0;
        pthread_mutex_init(&q->mu, NULL);
        pthread_cond_init(&q->cv, NULL);
    }
    return q;
}

static int64_t thread_start(struct ctx *t);

static int op_put(struct ctx *c, const struct prog_ins *in)
{
    struct rqueue *q = rqueue_of(c, in);
    if (!q)
        return next(c);
    int64_t kind = arg(c, in, 1), v = opt_arg(c, in, 2, 0);
    if (q->simple) {
        while (sem_wait(msem[q->wlock]) && errno == EINTR)
            ;
        conn_write(q->wfd, kind, v, -1);
        sem_post(msem[q->wlock]);
        return next(c);
    }
    if (!q->feeder && P->feeder_pc >= 0) { /* Queue._start_thread */
        char name[96];
        snprintf(name, sizeof name, "%.60s/QueueFeederThread", self->main->name);
        struct ctx *t = ctx_new(c, P->feeder_pc, -1, TK_THREAD, name);
        if (t) {
            t->mpq = (int)(q - mq);
            t->thread = 1;
            q->feeder = 1;
            thread_start(t);
        }
    }
    pthread_mutex_lock(&q->mu);
    if (q->n < 256) {
        q->kind[(q->head + q->n) % 256] = kind;
        q->val[(q->head + q->n) % 256] = v;
        q->n++;
    }
    if (q->waiting)
        pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return next(c);
}

static int op_get(struct ctx *c, const struct prog_ins *in)
{
    struct rqueue *q = rqueue_of(c, in);
    int64_t kind = -EINVAL, v = 0;
    if (q) {
        while (sem_wait(msem[q->rlock]) && errno == EINTR)
            ;
        conn_read(q->rfd, &kind, &v);
        sem_post(msem[q->rlock]);
        if (q->sem >= 0)
            sem_post(msem[q->sem]);
    }
    set(c, in->dst, kind);
    set(c, in->dst2, v);
    return next(c);
}

/* The feeder thread's steps (prog.h's FEED_*), Queue._feed */
static int op_feed(struct ctx *c, const struct prog_ins *in)
{
    struct rqueue *q = &mq[c->mpq];
    switch (in->flags) {
    case FEED_START:
        c->pc = P->feeder_pc + FEED_WAIT;
        return 0;
    case FEED_WAIT:
        pthread_mutex_lock(&q->mu);
        q->waiting = 1;
        while (q->n == 0)
            pthread_cond_wait(&q->cv, &q->mu);
        q->waiting = 0;
        pthread_mutex_unlock(&q->mu);
        c->pc = P->feeder_pc + FEED_POP;
        return 0;
    case FEED_POP:
        pthread_mutex_lock(&q->mu);
        if (q->n == 0) {
            pthread_mutex_unlock(&q->mu);
            c->pc = P->feeder_pc + FEED_WAIT;
            return 0;
        }
        c->fk = q->kind[q->head];
        c->fv = q->val[q->head];
        q->head = (q->head + 1) % 256;
        q->n--;
        pthread_mutex_unlock(&q->mu);
        c->pc = P->feeder_pc + FEED_LOCK;
        return 0;
    case FEED_LOCK:
        while (sem_wait(msem[q->wlock]) && errno == EINTR)
            ;
        c->pc = P->feeder_pc + FEED_SEND;
        return 0;
    case FEED_SEND:
        conn_write(q->wfd, c->fk, c->fv, -1);
        c->pc = P->feeder_pc + FEED_UNLOCK;
        return 0;
    default:
        sem_post(msem[q->wlock]);
        c->pc = P->feeder_pc + FEED_POP;
        return 0;
    }
}

/* ---- multiprocessing's Manager (the simulator's mgr.c) ----
 * The server is a forked process that runs the manager's steps (prog.h's
 * MSRV) with real threads and an AF_UNIX socket.  The socket is in the
 * abstract namespace (the sandbox's /tmp is not the scenario's to write),
 * where CPython binds /tmp/pymp-XXXXXXXX/listener-XXXXXXXX.  Every message
 * is Connection's (conn_write, conn_read); a request's body carries the
 * method and the key in its kind word and the value, and the handshake's
 * messages have CPython 3.11's sizes (no HMAC is computed: the sandbox's
 * server and client trust each other). */
#define H_MANAGER 0x30000
#define H_DICT 0x40000
enum { RQ_CREATE, RQ_ACCEPT, RQ_SET, RQ_GET, RQ_SHUTDOWN };
static struct sockaddr_un mgr_addr;   /* the server's address */
static socklen_t mgr_addrlen;
static pid_t mgr_pid;                 /* the server, as the parent knows it */
static int mgr_lfd = -1;              /* in the server: its listener */
static int mgr_wfd = -1;              /* in the server: the address pipe */
static pthread_mutex_t mgr_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mgr_cv = PTHREAD_COND_INITIALIZER;
static int mgr_stop, mgr_threads, mgr_ndicts;
static struct { int64_t key, val; int dict; } mgr_items[256];
static int mgr_nitems;
/* a proxy's connection, per thread: (dict, fd) */
static __thread struct { int dict, fd; } mgr_conn[16];
static __thread int mgr_nconn;

static int64_t kind_idx(int64_t kind)
{
    return PROG_IS_KIND(kind) ? PROG_KIND_STR(kind) : 0xfffff;
}

/* one message of n bytes after its length, no value of the scenario's */
static int64_t raw_write(int fd, int64_t n)
{
    char *b = buffer((size_t)n + 16);
    if (!b)
        return -ENOMEM;
    uint32_t be = htonl((uint32_t)n);
    memcpy(b, &be, 4);
    return res(write, fast3(SYS_write, fd, (long)b, n + 4));
}

/* the client's side of the handshake: answer_challenge, deliver_challenge */
static int mgr_client_auth(int fd)
{
    int64_t k, v;
    if (conn_read(fd, &k, &v) <= 0 || raw_write(fd, 16) < 0 ||
        conn_read(fd, &k, &v) <= 0 || raw_write(fd, 31) < 0 ||
        conn_read(fd, &k, &v) <= 0 || raw_write(fd, 9) < 0)
        return -1;
    return 0;
}

static int mgr_connect(void)
{
    int fd = (int)res(socket, fast3(SYS_socket, AF_UNIX,
                                    SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd < 0)
        return -1;
    if (res(connect, fast3(SYS_connect, fd, (long)&mgr_addr, mgr_addrlen)) < 0 ||
        mgr_client_auth(fd) < 0) {
        res(close, fast3(SYS_close, fd, 0, 0));
        return -1;
    }
    return fd;
}

/* a request and its reply: the reply's value */
static int64_t mgr_call(int fd, int req, int64_t key, int64_t v, int64_t size)
{
    conn_write(fd, PROG_KIND(req << 20 | (int)kind_idx(key)), v, size);
    int64_t k, r = 0;
    conn_read(fd, &k, &r);
    return r;
}

static int op_mp_manager(struct ctx *c, const struct prog_ins *in)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) {
        set(c, in->dst, -errno);
        return next(c);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) { /* the server */
        c->pc = P->mgr_pc + MS_LISTEN;
        mgr_wfd = fds[1];
        child_begin(c, "SyncManager", TK_PROCESS);
        return 0;
    }
    res(clone, pid);
    mgr_pid = pid;
    res(close, fast3(SYS_close, fds[1], 0, 0));
    memset(&mgr_addr, 0, sizeof mgr_addr);
    mgr_addr.sun_family = AF_UNIX;
    snprintf(mgr_addr.sun_path + 1, sizeof mgr_addr.sun_path - 1,
             "iosim-manager-%d", (int)pid);
    mgr_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                              strlen(mgr_addr.sun_path + 1));
    int64_t k, v;
    conn_read(fds[0], &k, &v); /* the address it sends */
    res(close, fast3(SYS_close, fds[0], 0, 0));
    set(c, in->dst, H_MANAGER);
    return next(c);
}

static int mgr_proxy_fd(int dict)
{
    for (int i = 0; i < mgr_nconn; i++)
        if (mgr_conn[i].dict == dict)
            return mgr_conn[i].fd;
    int fd = mgr_connect();
    if (fd < 0)
        return -1;
    mgr_call(fd, RQ_ACCEPT, 0, 0, 54);
    if (mgr_nconn < 16) {
        mgr_conn[mgr_nconn].dict = dict;
        mgr_conn[mgr_nconn++].fd = fd;
    }
    return fd;
}

static int op_mp_client(struct ctx *c, const struct prog_ins *in)
{
    int64_t r = 0;
    if (in->op == OP_MP_DICT || in->op == OP_MP_SHUTDOWN) {
        int fd = mgr_connect();
        if (fd >= 0) {
            r = mgr_call(fd, in->op == OP_MP_DICT ? RQ_CREATE : RQ_SHUTDOWN, 0,
                         0, in->op == OP_MP_DICT ? 36 : 30);
            res(close, fast3(SYS_close, fd, 0, 0));
        }
        if (in->op == OP_MP_SHUTDOWN) { /* process.join() */
            int st;
            r = res(wait4, waitpid(mgr_pid, &st, 0));
        }
    } else {
        int64_t key = arg(c, in, 1), v = opt_arg(c, in, 2, 0);
        int fd = mgr_proxy_fd((int)(arg(c, in, 0) - H_DICT));
        const char *kn = PROG_IS_KIND(key) && PROG_KIND_STR(key) < P->nstrs
                         ? P->strs[PROG_KIND_STR(key)] : "?";
        if (fd >= 0)
            r = mgr_call(fd, in->op == OP_MP_SET ? RQ_SET : RQ_GET, key, v,
                         in->op == OP_MP_SET
                         ? 51 + (int64_t)strlen(kn) + prog_pickle_size("", v) - 17
                         : 51 + (int64_t)strlen(kn));
    }
    set(c, in->dst, in->op == OP_MP_SET ? 0 : r);
    return next(c);
}

/* The server's steps: its main thread, accepter and request threads */
static int op_msrv(struct ctx *c, const struct prog_ins *in)
{
    int64_t k, v;
    switch (in->flags) {
    case MS_LISTEN: {
        mgr_lfd = (int)res(socket, fast3(SYS_socket, AF_UNIX,
                                         SOCK_STREAM | SOCK_CLOEXEC, 0));
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "iosim-manager-%d",
                 (int)getpid());
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                    1 + strlen(a.sun_path + 1));
        res(bind, fast3(SYS_bind, mgr_lfd, (long)&a, len));
        res(listen, fast3(SYS_listen, mgr_lfd, 16, 0));
        c->pc = P->mgr_pc + MS_ADDRESS;
        return 0;
    }
    case MS_ADDRESS:
        conn_write(mgr_wfd, PROG_KIND(0xfffff), 0, 51);
        res(close, fast3(SYS_close, mgr_wfd, 0, 0));
        c->pc = P->mgr_pc + MS_ACCEPTER;
        return 0;
    case MS_ACCEPTER: {
        char name[96];
        snprintf(name, sizeof name, "%.40s/Thread-1 (accepter)", c->name);
        mgr_threads = 1;
        struct ctx *t = ctx_new(c, P->mgr_pc + MA_ACCEPT, -1, TK_THREAD, name);
        if (t) {
            t->thread = 1;
            thread_start(t);
        }
        c->pc = P->mgr_pc + MS_WAIT;
        return 0;
    }
    case MS_WAIT:
        pthread_mutex_lock(&mgr_mu);
        while (!mgr_stop)
            pthread_cond_wait(&mgr_cv, &mgr_mu);
        pthread_mutex_unlock(&mgr_mu);
        c->pc = P->mgr_pc + MS_EXIT;
        return 0;
    case MA_ACCEPT: {
        int fd = (int)res(accept, accept4(mgr_lfd, NULL, NULL, SOCK_CLOEXEC));
        if (fd < 0)
            return 0; /* again */
        char name[96];
        pthread_mutex_lock(&mgr_mu);
        int n = ++mgr_threads;
        pthread_mutex_unlock(&mgr_mu);
        snprintf(name, sizeof name, "SyncManager/Thread-%d (handle_request)", n);
        struct ctx *t = ctx_new(c, P->mgr_pc + MH_DELIVER,
                                P->mgr_pc + MS_EXIT + 1, TK_THREAD, name);
        if (t) {
            t->thread = 1;
            t->mpq = fd;
            thread_start(t);
        }
        return 0; /* MA_SPAWN is this same step here */
    }
    case MH_DELIVER: case MH_ANSWER: {
        int fd = c->mpq, ok;
        if (in->flags == MH_DELIVER)
            ok = raw_write(fd, 31) >= 0 && conn_read(fd, &k, &v) > 0 &&
                 raw_write(fd, 9) >= 0;
        else
            ok = conn_read(fd, &k, &v) > 0 && raw_write(fd, 16) >= 0 &&
                 conn_read(fd, &k, &v) > 0;
        c->pc = P->mgr_pc + (!ok ? MH_CLOSE : in->flags == MH_DELIVER
                                               ? MH_ANSWER : MH_RECV);
        return 0;
    }
    case MH_RECV: {
        int64_t r = conn_read(c->mpq, &k, &v);
        if (r <= 0 || !PROG_IS_KIND(k)) {
            c->pc = P->mgr_pc + MH_CLOSE;
            return 0;
        }
        int req = PROG_KIND_STR(k) >> 20;
        int64_t key = PROG_KIND(PROG_KIND_STR(k) & 0xfffff), out = 0;
        pthread_mutex_lock(&mgr_mu);
        if (req == RQ_CREATE) {
            out = H_DICT + mgr_ndicts++;
        } else if (req == RQ_SET || req == RQ_GET) {
            int i;
            for (i = 0; i < mgr_nitems && mgr_items[i].key != key; i++)
                ;
            if (req == RQ_SET && i == mgr_nitems && i < 256)
                mgr_items[mgr_nitems++].key = key;
            if (i < mgr_nitems) {
                if (req == RQ_SET)
                    mgr_items[i].val = v;
                out = mgr_items[i].val;
            }
        }
        pthread_mutex_unlock(&mgr_mu);
        conn_write(c->mpq, PROG_KIND(0xfffff), out,
                   req == RQ_CREATE ? 207 : req == RQ_GET
                   ? prog_pickle_size("#RETURN", out) : 25);
        if (req == RQ_SHUTDOWN) { /* stop_event.set() */
            pthread_mutex_lock(&mgr_mu);
            mgr_stop = 1;
            pthread_cond_signal(&mgr_cv);
            pthread_mutex_unlock(&mgr_mu);
        }
        c->pc = P->mgr_pc + (req == RQ_ACCEPT || req == RQ_SET || req == RQ_GET
                             ? MH_RECV : MH_CLOSE);
        return 0;
    }
    case MH_CLOSE:
        res(close, fast3(SYS_close, c->mpq, 0, 0));
        c->pc = P->mgr_pc + MS_EXIT;
        return 0;
    default: /* MA_SPAWN, MH_CALL, MH_SEND: done within the steps above */
        c->pc = P->mgr_pc + MS_EXIT;
        return 0;
    }
}

static int op_read(struct ctx *c, const struct prog_ins *in)
{
    int64_t n = arg(c, in, 1);
    int fd = (int)arg(c, in, 0);
    char *b = buffer(n > 0 ? (size_t)n : 1);
    long r = !b ? (errno = ENOMEM, -1)
           : in->op == OP_RECV ? recv(fd, b, (size_t)(n < 0 ? 0 : n), 0)
                               : fast3(SYS_read, fd, (long)b, n < 0 ? 0 : n);
    int64_t v = res_of(in->op == OP_RECV ? SYS_recvfrom : SYS_read, r);
    if (v == -EAGAIN && in->op == OP_RECV && patched(c))
        return rhub_wait(c, fd, TL_EP_IN);
    set(c, in->dst, v);
    return next(c);
}

static int op_write(struct ctx *c, const struct prog_ins *in)
{
    int64_t n = arg(c, in, 1);
    int fd = (int)arg(c, in, 0);
    char *b = buffer(n > 0 ? (size_t)n : 1);
    long r = !b ? (errno = ENOMEM, -1)
           : in->op == OP_SEND ? send(fd, b, (size_t)(n < 0 ? 0 : n), 0)
                               : fast3(SYS_write, fd, (long)b, n < 0 ? 0 : n);
    int64_t v = res_of(in->op == OP_SEND ? SYS_sendto : SYS_write, r);
    if (v == -EAGAIN && in->op == OP_SEND && patched(c))
        return rhub_wait(c, fd, TL_EP_OUT);
    set(c, in->dst, v);
    return next(c);
}

static int op_close(struct ctx *c, const struct prog_ins *in)
{
    set(c, in->dst, res(close, fast3(SYS_close, (int)arg(c, in, 0), 0, 0)));
    return next(c);
}

static int op_fcntl(struct ctx *c, const struct prog_ins *in)
{
    int fd = (int)arg(c, in, 0);
    int flag = (in->flags & TL_FL_ASYNC ? O_ASYNC : 0) |
               (in->flags & TL_FL_NONBLOCK ? O_NONBLOCK : 0);
    if (in->flags & TL_FL_ASYNC) /* O_ASYNC needs an owner first */
        res(fcntl, fast3(SYS_fcntl, fd, F_SETOWN, getpid()));
    int fl = (int)res(fcntl, fast3(SYS_fcntl, fd, F_GETFL, 0));
    long r = fl < 0 ? (errno = -fl, -1) : fast3(SYS_fcntl, fd, F_SETFL, fl | flag);
    set(c, in->dst, res(fcntl, r));
    return next(c);
}

/* A task will be busy (sleeping, computing, or in a wait with a timeout)
 * for d ns from now: the run does not end as idle before then (root_main);
 * d < 0 (a wait for ever) is not busy */
static void busy_for(int64_t d)
{
    if (d <= 0)
        return;
    int64_t until = mono_ns() + d,
            cur = atomic_load_explicit(&SH->busy_until, memory_order_relaxed);
    while (cur < until &&
           !atomic_compare_exchange_weak_explicit(&SH->busy_until, &cur, until,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

static int op_compute(struct ctx *c, const struct prog_ins *in)
{
    int64_t d = scaled(arg(c, in, 0));
    busy_for(d);
    /* a busy loop for that long on the wall clock, less the time a signal
     * handler that interrupted it took (the handler's own work).  Not the
     * thread's CPU clock: on a machine other work shares, a CPU-time loop
     * would last longer than the scenario says, and move its events past
     * the peers' */
    int64_t end = mono_ns() + d;
    volatile int64_t *h = &self->handler_ns;
    int64_t h0 = *h;
    while (mono_ns() - (*h - h0) < end)
        ;
    return next(c);
}

static int op_sleep(struct ctx *c, const struct prog_ins *in)
{
    int64_t d = scaled(arg(c, in, 0));
    busy_for(d);
    if (patched(c) && d >= 0) /* gevent.sleep: a timer in the hub */
        return rhub_sleep(c, d);
    struct timespec ts = {d / 1000000000, d % 1000000000};
    if (d < 0)
        ts.tv_sec = -1;
    set(c, in->dst, res(clock_nanosleep, nanosleep(&ts, NULL)));
    return next(c);
}

static int co_switch(struct ctx *c);
static struct ctx *co_finish_to(struct ctx *c, int64_t *v);

static int op_exit(struct ctx *c, const struct prog_ins *in)
{
    int code = (int)arg(c, in, 0);
    if (c->kind == TK_COROUTINE && !c->thread && c->pc == c->block_end - 1) {
        c->done = 1;
        if (c->joiner && hub) { /* patched: the joiner runs at the next turn */
            rhub_cb(c->joiner, 0);
            c->joiner = NULL;
        }
        if (hub && c->parent == hub->ctx && --hub->live == 0 && hub->joinall) {
            rhub_cb(hub->joinall, 0);
            hub->joinall = NULL;
        }
        int64_t v;
        struct ctx *to = co_finish_to(c, &v);
        if (to) {
            if (to->co_dst >= 0) {
                set(to, to->co_dst, v);
                to->co_dst = -1;
            }
            self->cur = to;
            real_mark(REAL_MARK_CO, (long)to->name, REAL_CO_FINISHED, 0);
            return 0;
        }
        return co_switch(c) ? 0 : 1;
    }
    if (c->thread && c->pc == c->block_end - 1)
        return 1; /* the thread returns: glibc ends it with exit() */
    if (c->mp_target && in->op == OP_EXIT && in->nargs == 0 &&
        c->pc == P->tasks[c->decl].end) { /* main imported: the target */
        c->pc = c->mp_target;
        c->block_end = P->code[c->mp_target - 1].jump;
        c->mp_target = c->mp_boot = 0;
        return 0;
    }
    fflush(NULL);
    _exit(code & 0xff); /* exit_group: the whole process */
}

static void *thread_main(void *arg)
{
    struct ctx *c = arg;
    struct kthread k = {.cur = c, .main = c};
    self = &k;
    k.done.line = P->code[c->pc].line;
    start_mark(c);
    run(c, -1);
    free(k.buf);
    return NULL;
}

/* thread handles: the script's tid values index this table */
static pthread_t *threads;
static int nthreads, threadcap;
#define TID_BASE 1000000

static int op_spawn(struct ctx *c, const struct prog_ins *in)
{
    char name[96];
    if (in->op == OP_FORK) {
        if (!chosen_name(self->main, in, 1, name, sizeof name))
            child_name(c, ".", name, sizeof name);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            hub = NULL; /* gevent's hub stays the parent's (sim/hub.c) */
            c->block_end = in->jump;
            set(c, in->dst, 0);
            c->pc++;
            child_begin(c, name, c->peer ? TK_PEER : TK_PROCESS);
            return 0;
        }
        set(c, in->dst, res(clone, pid));
        c->pc = in->jump;
        return 0;
    }
    if (!chosen_name(self->main, in, 0, name, sizeof name))
        child_name(c, "/t", name, sizeof name);
    struct ctx *t = ctx_new(c, c->pc + 1, in->jump,
                            c->peer ? TK_PEER : TK_THREAD, name);
    if (t) {
        t->thread = 1;
        if (!is_shared(t, in->dst)) /* a shared result is one word */
            set(t, in->dst, 0);
    }
    set(c, in->dst, t ? thread_start(t) : -ENOMEM);
    c->pc = in->jump;
    return 0;
}

/* pthread_create a thread that runs t: its tid for the script, or -errno */
static int64_t thread_start(struct ctx *t)
{
    int64_t id = -ENOMEM;
    pthread_mutex_lock(&proc_lock);
    if (nthreads == threadcap) {
        int ncap = threadcap ? threadcap * 2 : 8;
        pthread_t *p = realloc(threads, (size_t)ncap * sizeof *p);
        if (p) {
            threads = p;
            threadcap = ncap;
        }
    }
    if (nthreads < threadcap) {
        int e = pthread_create(&threads[nthreads], NULL, thread_main, t);
        id = e ? -e : TID_BASE + nthreads++;
    }
    pthread_mutex_unlock(&proc_lock);
    return id;
}

/* multiprocessing's Process.start() (src/sim/mp.c has the steps CPython
 * takes).  fork: two pipes, fork; the child closes the parent's ends and
 * runs the block.  spawn: the two pipes and _posixsubprocess's error
 * pipe, then a fork (not vfork + execve: the runner is not an interpreter
 * it could exec afresh); the child closes every fd it is not passed,
 * spends the interpreter's start-up computing, reads the 883-byte pickle
 * its parent writes, and runs the declaration's top-level code again as
 * __mp_main__, then the block.  A spawn reached during that re-run is
 * CPython's RuntimeError: the traceback on fd 2 and exit status 1.
 * forkserver: fs_start, below. */
static void mp_close_unpassed(int keep_a, int keep_b)
{
    struct stat st; /* fstat is not traced: only the closes show */
    int top = tty_master > 0 && tty_master < 4096 ? tty_master : 4096;
    for (int fd = 3; fd < top; fd++)
        if (fd != keep_a && fd != keep_b && fstat(fd, &st) == 0)
            res(close, fast3(SYS_close, fd, 0, 0));
}

/* ---- multiprocessing's forkserver (the simulator's fsrv.c) ----
 * The first start of a process makes the resource tracker and the fork
 * server, each a fork of the runner (not vfork and execve: the runner is
 * not an interpreter it could exec afresh) that closes the fds it is not
 * passed and computes for the interpreter's start-up; the server's
 * AF_UNIX listener is in the abstract namespace (as the Manager's), so no
 * chmod.  Every start connects, passes the four fds with SCM_RIGHTS,
 * writes the 804-byte task and reads the child's pid; the server runs the
 * FSRV steps of forkserver.py's main() with real epoll, accept4, recvmsg,
 * fork and a SIGCHLD handler that writes to its wakeup pipe, and its
 * child does _serve_one's closes, dups its end, reads the task and runs
 * the main module again before the block.  join() of such a child is a
 * poll and a read of its status pipe. */
static struct {
    pid_t server, tracker;      /* the client's helpers; 0: none yet */
    int alive_w, tr_w;          /* the client's ends it keeps */
    int nreq;                   /* requests made (client), taken (server) */
    struct sockaddr_un addr;
    socklen_t addrlen;
    /* the server's */
    int lfd, alive_r, sig_r, sig_w, ep, conn, got[4], listener;
    pid_t forked;
    struct { pid_t pid; int child_w; } kid[64];
    int nkid;
    int tfd;                    /* the tracker's end of its pipe */
} rfs;
/* the client's forkserver children: their status pipes */
static struct { pid_t pid; int fd; } rfs_child[64];
static int rfs_nchild;

static int fs_pipe(int fd[2])
{
    fd[0] = fd[1] = -1;
    return (int)res(pipe2, fast3(SYS_pipe2, (long)fd, O_CLOEXEC, 0));
}

static void fs_close(int fd)
{
    res(close, fast3(SYS_close, fd, 0, 0));
}

static void fs_probe(void)
{
    static const char probe[] = "PROBE:0:noop\n";
    res(write, fast3(SYS_write, rfs.tr_w, (long)probe, 13));
}

/* A helper process (the tracker, the server): 0 in it, its pid in the
 * client, -errno */
static int fs_helper(struct ctx *c, const char *name, int step, int keep_a,
                     int keep_b)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_begin(c, name, TK_PROCESS);
        mp_close_unpassed(keep_a, keep_b);
        int64_t end = mono_ns() + scaled(P->cost.py_start); /* start-up */
        busy_for(end - mono_ns());
        while (mono_ns() < end)
            ;
        c->pc = P->fsrv_pc + step;
        c->block_end = -1;
        return 0;
    }
    return (int)res(clone, pid);
}

static int fs_start(struct ctx *c, const struct prog_ins *in)
{
    char name[96];
    if (!chosen_name(self->main, in, 1, name, sizeof name))
        child_name(c, ".", name, sizeof name);
    if (!rfs.server) { /* ensure_running: the tracker, then the server */
        int tr[2], er[2], al[2];
        fs_pipe(tr);
        fs_pipe(er);
        int pid = fs_helper(c, "resource_tracker", TR_READ, tr[0], -1);
        if (pid == 0) {
            rfs.tfd = tr[0];
            return 0;
        }
        fs_close(er[0]);
        fs_close(er[1]);
        fs_close(tr[0]);
        rfs.tracker = pid;
        rfs.tr_w = tr[1];
        int lfd = (int)res(socket, fast3(SYS_socket, AF_UNIX,
                                         SOCK_STREAM | SOCK_CLOEXEC, 0));
        memset(&rfs.addr, 0, sizeof rfs.addr);
        rfs.addr.sun_family = AF_UNIX;
        snprintf(rfs.addr.sun_path + 1, sizeof rfs.addr.sun_path - 1,
                 "iosim-forkserver-%d", (int)getpid());
        rfs.addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                                  strlen(rfs.addr.sun_path + 1));
        res(bind, fast3(SYS_bind, lfd, (long)&rfs.addr, rfs.addrlen));
        res(listen, fast3(SYS_listen, lfd, 128, 0));
        fs_pipe(al);
        fs_pipe(er);
        pid = fs_helper(c, "forkserver", FS_SIGPIPE, lfd, al[0]);
        if (pid == 0) {
            rfs.lfd = lfd;
            rfs.alive_r = al[0];
            return 0;
        }
        fs_close(er[0]);
        fs_close(er[1]);
        fs_close(al[0]);
        fs_close(lfd);
        rfs.server = pid;
        rfs.alive_w = al[1];
    } else { /* the tracker's _check_alive; is the server still there? */
        fs_probe();
        res(wait4, waitpid(rfs.server, NULL, WNOHANG));
    }
    int k = atomic_fetch_add(&SH->nfsreq, 1);
    if (k < (int)(sizeof SH->fsreq / sizeof SH->fsreq[0])) {
        SH->fsreq[k].server = rfs.server;
        SH->fsreq[k].seq = rfs.nreq;
        SH->fsreq[k].pc = c->pc;
        snprintf(SH->fsreq[k].name, sizeof SH->fsreq[k].name, "%s", name);
    }
    rfs.nreq++;
    int cfd = (int)res(socket, fast3(SYS_socket, AF_UNIX,
                                     SOCK_STREAM | SOCK_CLOEXEC, 0));
    res(connect, fast3(SYS_connect, cfd, (long)&rfs.addr, rfs.addrlen));
    int pr[2], cr[2]; /* status: parent_r, child_w; data: child_r, parent_w */
    fs_pipe(pr);
    fs_pipe(cr);
    fs_probe(); /* resource_tracker.getfd() */
    int fds[4] = {cr[0], pr[1], rfs.alive_w, rfs.tr_w};
    char cbuf[CMSG_SPACE(sizeof fds)], one = 4;
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {&one, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                       .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(cm), fds, sizeof fds);
    res(sendmsg, fast3(SYS_sendmsg, cfd, (long)&m, 0));
    fs_close(cr[0]);
    fs_close(pr[1]);
    fs_close(cfd);
    res(fcntl, fast3(SYS_fcntl, cr[1], F_DUPFD_CLOEXEC, 0)); /* _parent_w */
    char *b = buffer(804);
    res(write, fast3(SYS_write, cr[1], (long)b, b ? 804 : 0));
    fs_close(cr[1]);
    int64_t pid = 0; /* read_signed(self.sentinel) */
    int64_t r = res(read, fast3(SYS_read, pr[0], (long)&pid, 8));
    if (r == 8 && rfs_nchild < (int)(sizeof rfs_child / sizeof rfs_child[0])) {
        rfs_child[rfs_nchild].pid = (pid_t)pid;
        rfs_child[rfs_nchild++].fd = pr[0];
    }
    set(c, in->dst, r == 8 ? pid : -EPIPE);
    c->pc = in->jump;
    return 0;
}

/* join() of a child of the fork server: poll its status pipe, read the
 * exit code; -1 when pid is none */
static int fs_join(struct ctx *c, const struct prog_ins *in, int64_t id)
{
    int i = 0;
    while (i < rfs_nchild && rfs_child[i].pid != id)
        i++;
    if (i == rfs_nchild)
        return -1;
    struct pollfd pf = {rfs_child[i].fd, POLLIN, 0};
    res(poll, poll(&pf, 1, -1));
    int64_t code = 0;
    int64_t r = res(read, fast3(SYS_read, rfs_child[i].fd, (long)&code, 8));
    set(c, in->dst, r == 8 ? id : -1);
    set(c, in->dst2, r == 8 ? code : 255); /* EOFError: CPython's 255 */
    return next(c);
}

static void fs_on_sigchld(int sig)
{
    int e = errno; /* signal.set_wakeup_fd's C handler */
    char b = (char)sig;
    if (write(rfs.sig_w, &b, 1) < 0) {
        /* a full pipe: a wake-up is pending already */
    }
    errno = e;
}

/* The fork server's and the resource tracker's steps (prog.h's FSRV: the
 * lines of forkserver.py's main() the simulator shows) */
static int fs_goto(struct ctx *c, int step)
{
    c->pc = P->fsrv_pc + step;
    return 0;
}

static int op_fsrv(struct ctx *c, const struct prog_ins *in)
{
    switch (in->flags) {
    case FS_SIGPIPE: {
        int p[2];
        fs_pipe(p);
        rfs.sig_r = p[0];
        rfs.sig_w = p[1];
        return fs_goto(c, FS_SIGNAL);
    }
    case FS_SIGNAL: { /* no SA_RESTART: Python's signal.signal */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_ONSTACK;
        sa.sa_handler = fs_on_sigchld;
        res(rt_sigaction, sigaction(SIGCHLD, &sa, NULL));
        sa.sa_handler = SIG_IGN;
        res(rt_sigaction, sigaction(SIGINT, &sa, NULL));
        return fs_goto(c, FS_REGISTER);
    }
    case FS_REGISTER: {
        rfs.ep = (int)res(epoll_create1, epoll_create1(EPOLL_CLOEXEC));
        int fds[3] = {rfs.lfd, rfs.alive_r, rfs.sig_r};
        for (int i = 0; i < 3; i++) {
            struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
            res(epoll_ctl, epoll_ctl(rfs.ep, EPOLL_CTL_ADD, fds[i], &ev));
        }
        return fs_goto(c, FS_SELECT);
    }
    case FS_SELECT: {
        struct epoll_event ev[3];
        int n = (int)res(epoll_wait, epoll_wait(rfs.ep, ev, 3, -1));
        if (n < 0) /* EINTR (SIGCHLD): PEP 475 makes it again */
            return 0;
        int alive = 0, sig = 0;
        rfs.listener = 0;
        for (int i = 0; i < n; i++) {
            alive |= ev[i].data.fd == rfs.alive_r;
            sig |= ev[i].data.fd == rfs.sig_r;
            rfs.listener |= ev[i].data.fd == rfs.lfd;
        }
        return fs_goto(c, alive ? FS_EXIT : sig ? FS_SIGREAD
                          : rfs.listener ? FS_ACCEPT : FS_SELECT);
    }
    case FS_EXIT: {
        char b;
        res(read, fast3(SYS_read, rfs.alive_r, (long)&b, 1));
        fflush(NULL);
        _exit(0); /* SystemExit */
    }
    case FS_SIGREAD: {
        char *b = buffer(65536);
        res(read, fast3(SYS_read, rfs.sig_r, (long)b, b ? 65536 : 0));
        return fs_goto(c, FS_WAITPID);
    }
    case FS_WAITPID: case FS_STATUS:
        for (;;) { /* each child that exited: its exit code to its client */
            int st = 0;
            pid_t pid = (pid_t)res(wait4, waitpid(-1, &st, WNOHANG));
            if (pid <= 0)
                break;
            for (int i = 0; i < rfs.nkid; i++) {
                if (rfs.kid[i].pid != pid || rfs.kid[i].child_w < 0)
                    continue;
                int64_t code = WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
                res(write, fast3(SYS_write, rfs.kid[i].child_w, (long)&code, 8));
                fs_close(rfs.kid[i].child_w);
                rfs.kid[i].child_w = -1;
            }
        }
        return fs_goto(c, rfs.listener ? FS_ACCEPT : FS_SELECT);
    case FS_ACCEPT: {
        struct sockaddr_un sa;
        socklen_t len = sizeof sa;
        rfs.listener = 0;
        rfs.conn = (int)res(accept4, accept4(rfs.lfd, (struct sockaddr *)&sa,
                                             &len, SOCK_CLOEXEC));
        return fs_goto(c, rfs.conn < 0 ? FS_SELECT : FS_RECVMSG);
    }
    case FS_RECVMSG: { /* reduction.recvfds(s, MAXFDS_TO_SEND + 1) */
        char one, cbuf[CMSG_SPACE(257 * sizeof(int))];
        struct iovec iov = {&one, 1};
        struct sockaddr_un sa;
        struct msghdr m = {.msg_name = &sa, .msg_namelen = sizeof sa,
                           .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = cbuf, .msg_controllen = sizeof cbuf};
        for (int i = 0; i < 4; i++)
            rfs.got[i] = -1;
        if (res(recvmsg, fast3(SYS_recvmsg, rfs.conn, (long)&m, 0)) > 0) {
            struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
            if (cm && cm->cmsg_type == SCM_RIGHTS &&
                cm->cmsg_len >= CMSG_LEN(4 * sizeof(int)))
                memcpy(rfs.got, CMSG_DATA(cm), sizeof rfs.got);
        }
        return fs_goto(c, FS_CLOSE_S);
    }
    case FS_CLOSE_S:
        fs_close(rfs.conn);
        return fs_goto(c, rfs.got[0] < 0 ? FS_SELECT : FS_FORK);
    case FS_FORK: {
        int k = 0, nreq = atomic_load(&SH->nfsreq);
        while (k < nreq && k < 64 && !(SH->fsreq[k].server == getpid() &&
                                       SH->fsreq[k].seq == rfs.nreq))
            k++;
        rfs.nreq++;
        if (k >= nreq || k >= 64)
            return fs_goto(c, FS_SELECT); /* not a start of this run's */
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) { /* _serve_one, then spawn._main */
            child_begin(c, SH->fsreq[k].name, TK_PROCESS);
            fs_close(rfs.lfd);
            fs_close(rfs.ep);
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sigemptyset(&sa.sa_mask);
            sa.sa_handler = SIG_DFL;
            res(rt_sigaction, sigaction(SIGCHLD, &sa, NULL));
            res(rt_sigaction, sigaction(SIGINT, &sa, NULL));
            fs_close(rfs.alive_r);
            fs_close(rfs.got[1]);
            fs_close(rfs.sig_r);
            fs_close(rfs.sig_w);
            for (int i = 0; i < rfs.nkid; i++)
                if (rfs.kid[i].child_w >= 0)
                    fs_close(rfs.kid[i].child_w);
            res(fcntl, fast3(SYS_fcntl, rfs.got[0], F_DUPFD_CLOEXEC, 0));
            char *b = buffer(4096);
            res(read, fast3(SYS_read, rfs.got[0], (long)b, b ? 4096 : 0));
            const struct prog_task *d = &P->tasks[c->decl];
            memset(c->slots, 0, (size_t)d->nslots * sizeof *c->slots);
            if (shared_mem)
                memset(shared_mem, 0, (size_t)(shared_n ? shared_n : 1) * 3 *
                       sizeof *shared_mem);
            if (d->name_slot >= 0)
                c->slots[d->name_slot] = P->mod_mp_main;
            c->mp_target = SH->fsreq[k].pc + 1;
            c->mp_boot = 1;
            c->block_end = -1;
            c->pc = d->entry;
            return 0;
        }
        rfs.forked = (pid_t)res(clone, pid);
        return fs_goto(c, FS_PID);
    }
    case FS_PID: {
        int64_t v = rfs.forked;
        res(write, fast3(SYS_write, rfs.got[1], (long)&v, 8));
        if (rfs.nkid < (int)(sizeof rfs.kid / sizeof rfs.kid[0])) {
            rfs.kid[rfs.nkid].pid = rfs.forked;
            rfs.kid[rfs.nkid++].child_w = rfs.got[1];
        }
        return fs_goto(c, FS_CLOSE_FDS);
    }
    case FS_CLOSE_FDS:
        fs_close(rfs.got[0]);
        fs_close(rfs.got[2]);
        fs_close(rfs.got[3]);
        return fs_goto(c, FS_SELECT);
    case TR_READ: { /* for line in f */
        char *b = buffer(4096);
        int64_t n = res(read, fast3(SYS_read, rfs.tfd, (long)b, b ? 4096 : 0));
        return n > 0 ? 0 : fs_goto(c, TR_EXIT);
    }
    case TR_EXIT:
        fflush(NULL);
        _exit(0);
    default: /* FS_EXEC, TR_EXEC: the helpers start after their exec */
        fflush(NULL);
        _exit(70); /* EX_SOFTWARE */
    }
}

static int op_start(struct ctx *c, const struct prog_ins *in)
{
    int spawn = in->flags != START_FORK;
    if (c->mp_boot && spawn) {
        static const char tb[] = "Traceback (most recent call last):\n"
            "  File \"<string>\", line 1, in <module>\n...\nRuntimeError: \n"
            "        An attempt has been made to start a new process before the\n"
            "        current process has finished its bootstrapping phase.\n";
        char *b = buffer(2791);
        if (b)
            memcpy(b, tb, sizeof tb - 1);
        res(write, fast3(SYS_write, 2, (long)b, b ? 2791 : 0));
        fflush(NULL);
        _exit(1);
    }
    if (in->flags == START_FORKSERVER)
        return fs_start(c, in);
    int pr[2] = {-1, -1}, cr[2] = {-1, -1}, er[2] = {-1, -1};
    pipe2(pr, O_CLOEXEC); /* parent_r, child_w */
    pipe2(cr, O_CLOEXEC); /* child_r, parent_w */
    if (spawn)
        pipe2(er, O_CLOEXEC); /* _posixsubprocess's error pipe */
    char name[96];
    if (!chosen_name(self->main, in, 1, name, sizeof name))
        child_name(c, ".", name, sizeof name);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        child_begin(c, name, TK_PROCESS);
        if (!spawn) {
            res(close, fast3(SYS_close, pr[0], 0, 0));
            res(close, fast3(SYS_close, cr[1], 0, 0));
            c->block_end = in->jump;
            c->pc++;
            return 0;
        }
        mp_close_unpassed(cr[0], pr[1]);
        int64_t end = mono_ns() + scaled(P->cost.py_start); /* start-up */
        busy_for(end - mono_ns());
        while (mono_ns() < end)
            ;
        char *b = buffer(4096);
        res(read, fast3(SYS_read, cr[0], (long)b, b ? 4096 : 0));
        const struct prog_task *d = &P->tasks[c->decl];
        memset(c->slots, 0, (size_t)d->nslots * sizeof *c->slots);
        if (shared_mem)
            memset(shared_mem, 0, (size_t)(shared_n ? shared_n : 1) * 3 *
                   sizeof *shared_mem); /* the words and their hidden ones */
        if (d->name_slot >= 0)
            c->slots[d->name_slot] = P->mod_mp_main;
        c->mp_target = c->pc + 1;
        c->mp_boot = 1;
        c->block_end = -1;
        c->pc = d->entry;
        return 0;
    }
    res(clone, pid);
    if (spawn) {
        res(close, fast3(SYS_close, er[0], 0, 0));
        res(close, fast3(SYS_close, er[1], 0, 0));
        char *b = buffer(883);
        res(write, fast3(SYS_write, cr[1], (long)b, b ? 883 : 0));
        res(close, fast3(SYS_close, cr[0], 0, 0));
        res(close, fast3(SYS_close, pr[1], 0, 0));
    } else {
        res(close, fast3(SYS_close, pr[1], 0, 0));
        res(close, fast3(SYS_close, cr[0], 0, 0));
    }
    set(c, in->dst, pid);
    c->pc = in->jump;
    return 0;
}

static struct ctx *co_of(int64_t id);

static int op_join(struct ctx *c, const struct prog_ins *in)
{
    struct ctx *g = in->op == OP_JOIN && patched(c) ? co_of(arg(c, in, 0)) : NULL;
    if (g && !g->is_gen) { /* greenlet.join: wait in the hub for its end */
        if (g->done)
            return next(c);
        g->joiner = c;
        c->pc++;
        return rhub_switch(hub->ctx);
    }
    if (in->op == OP_WAIT) {
        int any = in->nargs == 0 || in->a[0].kind == ARG_NONE;
        if (!any && fs_join(c, in, arg(c, in, 0)) == 0)
            return 0; /* Process.join() of a forkserver child */
        int st = 0;
        int64_t r = res(wait4, waitpid(any ? -1 : (pid_t)arg(c, in, 0),
                                       in->dst2 >= 0 ? &st : NULL, 0));
        set(c, in->dst, r);
        /* pid, status = wait: the exit code, or 128 + the signal */
        set(c, in->dst2, r < 0 ? r : WIFSIGNALED(st) ? 128 + WTERMSIG(st)
                                                      : WEXITSTATUS(st));
        return next(c);
    }
    int64_t k = arg(c, in, 0) - TID_BASE;
    pthread_mutex_lock(&proc_lock);
    int ok = k >= 0 && k < nthreads;
    pthread_t t = ok ? threads[k] : 0;
    pthread_mutex_unlock(&proc_lock);
    int e = ok ? pthread_join(t, NULL) : ESRCH;
    set(c, in->dst, e ? -e : 0);
    return next(c);
}

/* ---- coroutines: contexts of one kernel thread ----------------------------- */

/* Switch from c to the next coroutine of the ring that is not done; 0 if
 * there is none (c goes on, or the thread is done) */
static int co_switch(struct ctx *c)
{
    struct kthread *k = self;
    struct ctx *n = c->next_co ? c->next_co : k->main;
    for (; n != c; n = n->next_co ? n->next_co : k->main)
        if (!n->done) {
            k->cur = n;
            real_mark(REAL_MARK_CO, (long)n->name,
                      c->done ? REAL_CO_FINISHED : REAL_CO_SWITCH, 0);
            return 1;
        }
    return 0;
}

/* coroutines and generators of this process, by the id the script holds */
static struct ctx **cos;
static int ncos, coscap;
#define CO_ID_BASE (TID_BASE / 2)

static struct ctx *co_of(int64_t id)
{
    int64_t i = id - CO_ID_BASE - 1;
    return i >= 0 && i < ncos ? cos[i] : NULL;
}

static int op_coroutine(struct ctx *c, const struct prog_ins *in)
{
    char name[96];
    const struct prog_task *d = &P->tasks[c->decl];
    struct ctx *proc = self->main;
    if (chosen_name(proc, in, 0, name, sizeof name))
        ;
    else if (in->dst >= 0 && in->dst < d->nslots && d->slot_names[in->dst])
        snprintf(name, sizeof name, "%.40s/%.40s", proc->name, d->slot_names[in->dst]);
    else
        child_name(proc, in->op == OP_GENERATOR ? "/gen" : "/co", name, sizeof name);
    struct ctx *n = ctx_new(c, c->pc + 1, in->jump, TK_COROUTINE, name);
    int64_t id = -ENOMEM;
    if (n && ncos == coscap) {
        int ncap = coscap ? coscap * 2 : 16;
        struct ctx **p = realloc(cos, (size_t)ncap * sizeof *p);
        if (p) {
            cos = p;
            coscap = ncap;
        }
    }
    if (n && ncos < coscap) {
        if (!is_shared(n, in->dst))
            set(n, in->dst, 0);
        n->parent = c;
        if (in->op == OP_GENERATOR) {
            n->is_gen = 1; /* runs only when next or send asks */
        } else if (patched(c)) { /* gevent.spawn: the hub starts it */
            n->parent = hub->ctx;
            n->switched = 1;
            hub->live++;
            rhub_cb(n, 1);
        } else {
            struct ctx *last = self->main;
            while (last->next_co)
                last = last->next_co;
            last->next_co = n;
        }
        cos[ncos++] = n;
        id = CO_ID_BASE + ncos;
        real_mark(REAL_MARK_CO, (long)n->name, REAL_CO_MADE, 0);
    }
    set(c, in->dst, id);
    c->pc = in->jump;
    return 0;
}

/* c stops here (its result slot waiting), `to` runs with v for its own
 * pending result (coro.c's co_transfer): user space, no syscall */
static int co_transfer(struct ctx *c, const struct prog_ins *in, struct ctx *to,
                       int64_t v, int how)
{
    if (to->co_dst >= 0) {
        set(to, to->co_dst, v);
        to->co_dst = -1;
    }
    c->co_dst = in ? in->dst : -1;
    c->pc++;
    self->cur = to;
    real_mark(REAL_MARK_CO, (long)to->name, how, 0);
    return 0;
}

static int op_yield(struct ctx *c, const struct prog_ins *in)
{
    if (c->is_gen && c->caller) { /* hand the value to next/send */
        struct ctx *to = c->caller;
        c->gen_at = 1;
        c->caller = NULL;
        return co_transfer(c, in, to, opt_arg(c, in, 0, 0), REAL_CO_SWITCH);
    }
    if (patched(c)) /* gevent.sleep(0) */
        return rhub_sleep(c, 0);
    c->pc++;
    co_switch(c);
    return 0;
}

static int op_next(struct ctx *c, const struct prog_ins *in)
{
    struct ctx *g = co_of(arg(c, in, 0));
    int64_t v = opt_arg(c, in, 1, 0);
    if (!g || !g->is_gen || g->done || g->gen_at == 2 || (g->gen_at == 0 && v)) {
        /* StopIteration once it is done (the simulator stops the run on
         * the other misuses, so no shipped scenario makes them) */
        set(c, in->dst, PROG_STOP_ITERATION);
        return next(c);
    }
    g->gen_at = 2;
    g->caller = c;
    return co_transfer(c, in, g, v, REAL_CO_SWITCH);
}

static int op_switch(struct ctx *c, const struct prog_ins *in)
{
    int64_t v = opt_arg(c, in, 1, 0);
    struct ctx *to = in->flags & 1 ? c->parent : co_of(arg(c, in, 0));
    if (!(in->flags & 1) && arg(c, in, 0) == 0)
        to = self->main; /* the thread's own code: the main greenlet */
    while (to && to->done) /* a finished greenlet: its parent runs */
        to = to->parent;
    if (!to || to == c || to->is_gen) {
        set(c, in->dst, v);
        return next(c);
    }
    to->switched = 1;
    return co_transfer(c, in, to, v, REAL_CO_SWITCH);
}

/* Where a finished coroutine's thread goes on: a generator's caller (its
 * next gets StopIteration), a switched greenlet's parent (its switch gets
 * 0); NULL: the ring of coroutines decides */
static struct ctx *co_finish_to(struct ctx *c, int64_t *v)
{
    struct ctx *to = NULL;
    *v = 0;
    if (c->is_gen) {
        to = c->caller;
        *v = PROG_STOP_ITERATION;
        c->caller = NULL;
    } else if (c->switched) {
        to = c->parent;
        while (to && to->done)
            to = to->parent;
    }
    return to;
}

/* ---- the terminal, captions ---------------------------------------------- */

static int op_type(struct ctx *c, const struct prog_ins *in)
{
    /* the user types at the terminal: bytes into the pty master, with
     * writev, which the tracer does not stop on (it is not the task's
     * own call: in the simulator it is no syscall at all) */
    int64_t n = arg(c, in, 0);
    char *b = buffer(n > 0 ? (size_t)n : 1);
    if (b && n > 0) {
        struct iovec v = {b, (size_t)n};
        ssize_t w = writev(tty_master, &v, 1);
        (void)w;
    }
    return next(c);
}

static int op_say(struct ctx *c, const struct prog_ins *in)
{
    int pc = c->pc;
    if (in->flags & 1) { /* say once: the first task to get here */
        unsigned bit = 1u << (pc % 32);
        if (atomic_fetch_or(&SH->said[pc / 32], bit) & bit)
            return next(c);
    }
    real_mark(REAL_MARK_SAY, (long)in->a[0].v, 0, 0);
    return next(c);
}

/* ---- select, poll, epoll ------------------------------------------------- */

/* The fds of a select/poll: its list, or the task's watch set */
static int fd_list(struct ctx *c, const struct prog_ins *in, int32_t **out)
{
    if (in->list < 0) {
        *out = c->watch;
        return c->nwatch;
    }
    const struct prog_list *l = &P->lists[in->list];
    static __thread int32_t *tmp;
    static __thread int tmpcap;
    if (grow32(&tmp, &tmpcap, l->n))
        return 0;
    for (int i = 0; i < l->n; i++)
        tmp[i] = (int32_t)(l->v[i].kind == ARG_SLOT ? c->slots[l->v[i].v]
                                                    : l->v[i].v);
    *out = tmp;
    return l->n;
}

static int op_watch(struct ctx *c, const struct prog_ins *in)
{
    int32_t fd = (int32_t)arg(c, in, 0);
    int at = -1;
    for (int i = 0; i < c->nwatch; i++)
        if (c->watch[i] == fd)
            at = i;
    if (in->op == OP_WATCH && at < 0 && fd >= 0 &&
        grow32(&c->watch, &c->watchcap, c->nwatch + 1) == 0)
        c->watch[c->nwatch++] = fd;
    if (in->op == OP_UNWATCH && at >= 0) {
        memmove(&c->watch[at], &c->watch[at + 1],
                (size_t)(c->nwatch - at - 1) * sizeof *c->watch);
        c->nwatch--;
    }
    return next(c);
}

/* glibc's FD_SET check under _FORTIFY_SOURCE (debug/fdelt_chk.c) */
extern long int __fdelt_chk(long int d);

static int op_select(struct ctx *c, const struct prog_ins *in)
{
    int32_t *fds;
    int n = fd_list(c, in, &fds), max = -1;
    for (int i = 0; i < n; i++) {
        if (fds[i] >= FD_SETSIZE && P->fortify) /* glibc's _FORTIFY_SOURCE
                                   check of FD_SET: its message, abort() */
            __fdelt_chk(fds[i]);
        if (fds[i] > max)
            max = fds[i];
    }
    /* the set: an fd_set, or (without _FORTIFY_SOURCE, machine setting
     * fortify 0) as many bits as the highest fd needs: FD_SET writes past
     * the 1024 bits and the kernel reads nfds bits, as in such a C program */
    size_t words = (size_t)(max < FD_SETSIZE ? FD_SETSIZE : max + 1 + 63) / 64;
    uint64_t *bits = calloc(words, sizeof *bits);
    if (!bits) {
        set(c, in->dst, -ENOMEM);
        return next(c);
    }
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            bits[fds[i] / 64] |= 1ull << (fds[i] % 64);
    /* a timeout: a struct timeval; Linux writes the time left back into
     * it, and so does this into the variable that held it */
    int64_t tmo = in->nargs >= 1 ? scaled(opt_arg(c, in, 0, -1)) : -1;
    struct timeval tv = {0, 0};
    if (tmo >= 0) {
        tv.tv_sec = tmo / 1000000000;
        tv.tv_usec = (tmo % 1000000000 + 999) / 1000;
    }
    busy_for(tmo);
    long r = select(max + 1, (fd_set *)(void *)bits, NULL, NULL,
                    tmo >= 0 ? &tv : NULL);
    int e = errno;
    if (tmo >= 0 && in->a[0].kind == ARG_SLOT)
        set(c, (int)in->a[0].v,
            ((int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000) /
                (OPT->scale > 1 ? OPT->scale : 1));
    errno = e;
    int32_t *ready = calloc((size_t)max + 2, sizeof *ready);
    int k = 0;
    for (int fd = 0; ready && r > 0 && fd <= max; fd++) /* FD_ISSET, in order */
        if (bits[fd / 64] >> (fd % 64) & 1)
            ready[k++] = fd;
    set_ready(c, ready, k);
    free(ready);
    free(bits);
    errno = e;
    set(c, in->dst, res(pselect6, r));
    return next(c);
}

static int op_poll(struct ctx *c, const struct prog_ins *in)
{
    int32_t *fds;
    int n = fd_list(c, in, &fds);
    struct pollfd *p = calloc((size_t)(n ? n : 1), sizeof *p);
    int32_t *ready = calloc((size_t)(n ? n : 1), sizeof *ready);
    long r = -1;
    int k = 0;
    if (p && ready) {
        for (int i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        int64_t tmo = in->nargs >= 1 ? scaled(opt_arg(c, in, 0, -1)) : -1;
        busy_for(tmo);
        r = poll(p, (nfds_t)(n > 0 ? n : 0), tmo < 0 ? -1 : (int)((tmo + 999999) / 1000000));
        for (int i = 0; r > 0 && i < n; i++)
            if (p[i].revents)
                ready[k++] = p[i].fd;
    } else {
        errno = ENOMEM;
    }
    set_ready(c, ready, k);
    set(c, in->dst, res(poll, r));
    free(p);
    free(ready);
    return next(c);
}

static int op_epoll_create(struct ctx *c, const struct prog_ins *in)
{
    int fl = in->flags & 1 ? EPOLL_CLOEXEC : 0; /* ep = epoll_create cloexec */
    set(c, in->dst, res(epoll_create1, fast3(SYS_epoll_create1, fl, 0, 0)));
    return next(c);
}

static int op_epoll_ctl(struct ctx *c, const struct prog_ins *in)
{
    static const int ops[] = {EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL};
    int64_t op = arg(c, in, 1);
    int fd = (int)arg(c, in, 2);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = (in->flags & TL_EP_IN ? EPOLLIN : 0) |
                (in->flags & TL_EP_OUT ? EPOLLOUT : 0) |
                (in->flags & TL_EP_ET ? EPOLLET : 0) |
                (in->flags & TL_EP_ONESHOT ? EPOLLONESHOT : 0) |
                (in->flags & TL_EP_EXCLUSIVE ? EPOLLEXCLUSIVE : 0);
    if (!(in->flags & (TL_EP_IN | TL_EP_OUT)))
        ev.events |= EPOLLIN;
    ev.data.fd = fd;
    long r = epoll_ctl((int)arg(c, in, 0), op >= 0 && op < 3 ? ops[op] : -1,
                       fd, &ev);
    set(c, in->dst, res(epoll_ctl, r));
    return next(c);
}

#define EP_MAX 64 /* the simulator's epoll_wait maxevents */

static int op_epoll_wait(struct ctx *c, const struct prog_ins *in)
{
    int64_t max = opt_arg(c, in, 1, EP_MAX), tmo = scaled(opt_arg(c, in, 2, -1));
    /* the array is as long as the scenario's MAXEVENTS, so the call the
     * kernel sees is the scenario's: <= 0, or past EP_MAX_EVENTS, fails
     * with EINVAL before anything is written; past 1 << 20 events (more
     * than any process's fds) it is 1 << 20 */
    enum { ON_STACK = 1024, EVS_MAX = 1 << 20 };
    struct epoll_event stack[ON_STACK], *ev = stack;
    int32_t *ready = NULL;
    int64_t n = max;
    if (max > 0 && max <= (int64_t)(INT32_MAX / sizeof *ev)) {
        n = max < EVS_MAX ? max : EVS_MAX;
        if (n > ON_STACK && !(ev = malloc((size_t)n * sizeof *ev)))
            ev = stack, n = ON_STACK;
    } else if (max > INT32_MAX) {
        n = INT32_MAX;
    }
    busy_for(tmo);
    long r = epoll_wait((int)arg(c, in, 0), ev, (int)n,
                        tmo < 0 ? -1 : (int)((tmo + 999999) / 1000000));
    int e = errno;
    if (r > 0 && (ready = malloc((size_t)r * sizeof *ready)))
        for (long i = 0; i < r; i++)
            ready[i] = ev[i].data.fd;
    set_ready(c, ready, ready ? (int)r : 0);
    free(ready);
    if (ev != stack)
        free(ev);
    errno = e;
    set(c, in->dst, res(epoll_wait, r));
    return next(c);
}

/* ---- locks, condition variables, semaphores on shared words --------------- */

/*
 * As glibc makes them of a word and futex(2) (lowlevellock.h): a mutex
 * is 0 free, 1 locked, 2 locked with waiters; lock is a compare-and-swap
 * 0 -> 1, and only when that fails an exchange with 2 and, while the word
 * was not 0, futex(FUTEX_WAIT_PRIVATE, 2); unlock is an exchange with 0 and,
 * if it was 2, futex(FUTEX_WAKE_PRIVATE, 1).  A condition variable's word
 * counts its waiters (as the simulator shows it); they sleep on a hidden
 * sequence word beside it and take a hidden token each a signal leaves, so
 * that no wake-up is lost between the unlock and the sleep.  A
 * semaphore's word is its count; a hidden word counts its sleepers.
 */
#define FUTEX_WAIT_P (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_P (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static int64_t *word(const struct ctx *c, const struct prog_ins *in, int i)
{
    int64_t slot = in->a[i].v;
    if (!is_shared(c, slot))
        return NULL;
    return &shared_mem[slot];
}

/* the two hidden words of a shared word */
static int64_t *aux(int64_t *w, int k)
{
    return &shared_mem[shared_n + 2 * (w - shared_mem) + k];
}

/* futex on the low 32 bits of a word (x86_64 is little-endian) */
static long fx(int64_t *w, int op, int64_t v)
{
    long r = syscall(SYS_futex, (uint32_t *)w, op, (uint32_t)v, NULL, NULL, 0);
    return res(futex, r);
}

static void mutex_lock(int64_t *w)
{
    int64_t zero = 0;
    if (__atomic_compare_exchange_n(w, &zero, 1, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
        return;
    if (__atomic_load_n(w, __ATOMIC_RELAXED) == 2)
        fx(w, FUTEX_WAIT_P, 2);
    while (__atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE) != 0)
        fx(w, FUTEX_WAIT_P, 2);
}

static void mutex_unlock(int64_t *w)
{
    if (__atomic_exchange_n(w, 0, __ATOMIC_RELEASE) > 1)
        fx(w, FUTEX_WAKE_P, 1);
}

static int op_lock(struct ctx *c, const struct prog_ins *in)
{
    int64_t *w = word(c, in, 0);
    if (w)
        in->op == OP_LOCK ? mutex_lock(w) : mutex_unlock(w);
    return next(c);
}

static int op_cond_wait(struct ctx *c, const struct prog_ins *in)
{
    int64_t *cv = word(c, in, 0), *m = word(c, in, 1);
    if (!cv || !m)
        return next(c);
    int64_t *seq = aux(cv, 0), *tokens = aux(cv, 1);
    __atomic_add_fetch(cv, 1, __ATOMIC_ACQ_REL); /* one more waiter */
    int64_t s0 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
    mutex_unlock(m);
    for (;;) { /* until it takes a token a signal left */
        int64_t k = __atomic_load_n(tokens, __ATOMIC_ACQUIRE);
        if (k > 0) {
            if (__atomic_compare_exchange_n(tokens, &k, k - 1, 0,
                                            __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                break;
            continue;
        }
        fx(seq, FUTEX_WAIT_P, s0);
        s0 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
    }
    return next(c); /* the LOCK M that follows takes the mutex again */
}

static int op_cond_signal(struct ctx *c, const struct prog_ins *in)
{
    int64_t *cv = word(c, in, 0);
    if (!cv)
        return next(c);
    int64_t n = __atomic_load_n(cv, __ATOMIC_ACQUIRE);
    if (n <= 0)
        return next(c); /* no waiter: no syscall */
    if (in->op == OP_COND_SIGNAL)
        n = 1;
    __atomic_sub_fetch(cv, n, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(aux(cv, 1), n, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(aux(cv, 0), 1, __ATOMIC_ACQ_REL);
    fx(aux(cv, 0), FUTEX_WAKE_P, in->op == OP_COND_SIGNAL ? 1 : 2147483647);
    return next(c);
}

static int op_sem(struct ctx *c, const struct prog_ins *in)
{
    int64_t *sem = word(c, in, 0);
    if (!sem)
        return next(c);
    int64_t *sleepers = aux(sem, 0);
    if (in->op == OP_SEM_POST) {
        __atomic_add_fetch(sem, 1, __ATOMIC_ACQ_REL);
        if (__atomic_load_n(sleepers, __ATOMIC_ACQUIRE) > 0)
            fx(sem, FUTEX_WAKE_P, 1);
        return next(c);
    }
    for (;;) {
        int64_t v = __atomic_load_n(sem, __ATOMIC_ACQUIRE);
        if (v > 0) {
            if (__atomic_compare_exchange_n(sem, &v, v - 1, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED))
                break;
            continue;
        }
        __atomic_add_fetch(sleepers, 1, __ATOMIC_ACQ_REL);
        fx(sem, FUTEX_WAIT_P, 0);
        __atomic_sub_fetch(sleepers, 1, __ATOMIC_ACQ_REL);
    }
    return next(c);
}

/* ---- signals ---------------------------------------------------------------- */

static void on_sigio(int sig)
{
    (void)sig;
    struct kthread *k = self;
    if (!k || sig_handler_pc < 0)
        return;
    int e = errno;
    struct ctx *c = k->cur;
    struct ctx h = *c; /* the handler runs on the task's slots */
    h.pc = sig_handler_pc + 1;
    h.ready = NULL;
    h.readycap = h.nready = 0;
    int32_t line = k->done.line;
    int64_t t0 = mono_ns();
    run(&h, OP_SIGRETURN);
    k->handler_ns += mono_ns() - t0;
    free(h.ready);
    k->done.line = line;
    k->cur = c;
    errno = e;
}

static int op_sigaction(struct ctx *c, const struct prog_ins *in)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigio;
    sigemptyset(&sa.sa_mask);
    sig_handler_pc = c->pc;
    set(c, in->dst, res(rt_sigaction, sigaction((int)in->a[0].v ? (int)in->a[0].v : SIGIO,
                                  &sa, NULL)));
    c->pc = in->jump;
    return 0;
}

/* timerfd_create(CLOCK_MONOTONIC, 0); timerfd_settime(fd, 0, {INTERVAL,
 * VALUE}, NULL), on the run's clock (--slow) */
static int op_timerfd(struct ctx *c, const struct prog_ins *in)
{
    if (in->op == OP_TIMERFD_CREATE) {
        set(c, in->dst, res(timerfd_create,
                            fast3(SYS_timerfd_create, CLOCK_MONOTONIC, 0, 0)));
        return next(c);
    }
    int64_t v = scaled(arg(c, in, 1)), iv = scaled(opt_arg(c, in, 2, 0));
    struct itimerspec its = {{iv / 1000000000, iv % 1000000000},
                             {v / 1000000000, v % 1000000000}};
    if (v < 0 || iv < 0) /* the kernel's EINVAL */
        its.it_value.tv_nsec = its.it_interval.tv_nsec = -1;
    set(c, in->dst, res(timerfd_settime,
                        syscall(SYS_timerfd_settime, (int)arg(c, in, 0), 0, &its,
                                NULL)));
    return next(c);
}

/* n = getsockopt(fd, SOL_SOCKET, SO_SNDBUF or SO_RCVBUF): what the kernel
 * keeps */
static int op_getsockopt(struct ctx *c, const struct prog_ins *in)
{
    int opt = arg(c, in, 1) == TL_SO_SNDBUF ? SO_SNDBUF : SO_RCVBUF, v = 0;
    socklen_t len = sizeof v;
    int64_t r = res(getsockopt, getsockopt((int)arg(c, in, 0), SOL_SOCKET, opt,
                                           &v, &len));
    set(c, in->dst, r < 0 ? r : v);
    return next(c);
}

/* t = clock: CLOCK_MONOTONIC through the vDSO (no syscall), in the
 * scenario's time: from the run's start, and --slow taken out */
static int op_clock(struct ctx *c, const struct prog_ins *in)
{
    set(c, in->dst, (mono_ns() - T0) / (OPT->scale > 1 ? OPT->scale : 1));
    return next(c);
}

/* setsockopt(fd, SOL_SOCKET, SO_SNDBUF or SO_RCVBUF, &size, 4) */
static int op_setsockopt(struct ctx *c, const struct prog_ins *in)
{
    int opt = arg(c, in, 1) == TL_SO_SNDBUF ? SO_SNDBUF : SO_RCVBUF;
    int v = (int)arg(c, in, 2);
    set(c, in->dst, res(setsockopt, setsockopt((int)arg(c, in, 0), SOL_SOCKET,
                                               opt, &v, sizeof v)));
    return next(c);
}

/* setrlimit(RLIMIT_NOFILE, ...): glibc makes it prlimit64(0, ...) */
/* the process's hard fd limit (asking the kernel would be a traced
 * prlimit64 the scenario did not make) */
static int64_t nofile_max = -1;

static int op_setrlimit(struct ctx *c, const struct prog_ins *in)
{
    int64_t cur = arg(c, in, 1), max = in->nargs > 2 ? arg(c, in, 2) : nofile_max;
    struct rlimit rl = {cur < 0 ? RLIM_INFINITY : (rlim_t)cur,
                        max < 0 ? RLIM_INFINITY : (rlim_t)max};
    int64_t r = res(prlimit64, setrlimit(RLIMIT_NOFILE, &rl));
    if (r == 0)
        nofile_max = max;
    set(c, in->dst, r);
    return next(c);
}

static int op_pause(struct ctx *c, const struct prog_ins *in)
{
    set(c, in->dst, res(pause, pause()));
    return next(c);
}

/* ---- io_uring, by raw syscalls ----------------------------------------------- */

static struct ring *ring_of(int fd)
{
    for (int i = 0; i < nrings; i++)
        if (rings[i].fd == fd)
            return &rings[i];
    return NULL;
}

static int ring_map(struct ring *r, const struct io_uring_params *p)
{
    r->sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
    r->cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
    r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
    r->sq_map = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    r->cq_map = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
    r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
    if (r->sq_map == MAP_FAILED || r->cq_map == MAP_FAILED ||
        r->sqes == MAP_FAILED)
        return -1;
    char *sq = r->sq_map, *cq = r->cq_map;
    r->sq_head = (unsigned *)(sq + p->sq_off.head);
    r->sq_tail = (unsigned *)(sq + p->sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p->sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p->sq_off.array);
    r->cq_head = (unsigned *)(cq + p->cq_off.head);
    r->cq_tail = (unsigned *)(cq + p->cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p->cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
    r->sq_entries = p->sq_entries;
    r->cq_entries = p->cq_entries;
    return 0;
}

static int op_uring_setup(struct ctx *c, const struct prog_ins *in)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = syscall(SYS_io_uring_setup, (unsigned)arg(c, in, 0), &p);
    if (fd >= 0) {
        struct ring *nr = realloc(rings, (size_t)(nrings + 1) * sizeof *nr);
        if (nr) {
            rings = nr;
            struct ring *r = &rings[nrings];
            memset(r, 0, sizeof *r);
            r->fd = (int)fd;
            r->next_ud = 1;
            if (ring_map(r, &p) == 0)
                nrings++;
        }
    }
    set(c, in->dst, res(io_uring_setup, fd));
    return next(c);
}

static const int uring_opcode[TU__COUNT] = {
    [TU_READ] = IORING_OP_READ, [TU_WRITE] = IORING_OP_WRITE,
    [TU_RECV] = IORING_OP_RECV, [TU_SEND] = IORING_OP_SEND,
};

static int op_prep(struct ctx *c, const struct prog_ins *in)
{
    struct ring *r = ring_of((int)arg(c, in, 0));
    int op = (int)arg(c, in, 1);
    int64_t fd = arg(c, in, 2), len = arg(c, in, 3), ud;
    unsigned tail = r ? *r->sq_tail : 0;
    if (!r)
        ud = -EBADF;
    else if (tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) >= r->sq_entries)
        ud = -EBUSY;
    else if (op < 0 || op >= TU__COUNT || fd < 0 || len < 0 || len > 0xffffffffLL)
        ud = -EINVAL;
    else {
        char *buf = malloc(len > 0 ? (size_t)len : 1);
        if (!buf || (r->nreq == r->reqcap &&
                     !(r->req = realloc(r->req, (size_t)(r->reqcap = r->reqcap ? r->reqcap * 2 : 16) *
                                                     sizeof *r->req)))) {
            free(buf);
            ud = -ENOMEM;
        } else {
            memset(buf, 'x', (size_t)len);
            ud = r->next_ud++;
            r->req[r->nreq++] = (__typeof__(r->req[0])){ud, (int)fd, op, buf};
            unsigned i = tail & *r->sq_mask;
            struct io_uring_sqe *s = &r->sqes[i];
            memset(s, 0, sizeof *s);
            s->opcode = (uint8_t)uring_opcode[op];
            s->fd = (int)fd;
            s->addr = (uint64_t)(uintptr_t)buf;
            s->len = (uint32_t)len;
            s->off = op == TU_READ || op == TU_WRITE ? (uint64_t)-1 : 0;
            s->user_data = (uint64_t)ud;
            r->sq_array[i] = i;
            __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
            r->queued++;
            real_mark(REAL_MARK_SQE, r->fd, (long)TL_URING_ITEM(op, fd, len), 0);
        }
    }
    set(c, in->dst, ud);
    return next(c);
}

static int op_uring_enter(struct ctx *c, const struct prog_ins *in)
{
    int fd = (int)arg(c, in, 0);
    int64_t wait = arg(c, in, 1);
    struct ring *r = ring_of(fd);
    unsigned sub = r ? r->queued : 0;
    int64_t tmo = wait > 0 ? scaled(opt_arg(c, in, 2, -1)) : -1;
    struct __kernel_timespec ts = {tmo / 1000000000, tmo % 1000000000};
    struct io_uring_getevents_arg ga = {.ts = (uint64_t)(uintptr_t)&ts};
    unsigned flags = (wait > 0 ? IORING_ENTER_GETEVENTS : 0) |
                     (tmo >= 0 ? IORING_ENTER_EXT_ARG : 0);
    busy_for(tmo);
    long n = syscall(SYS_io_uring_enter, fd, sub, (unsigned)(wait > 0 ? wait : 0),
                     flags, tmo >= 0 ? (void *)&ga : NULL,
                     tmo >= 0 ? sizeof ga : 0);
    if (r && n > 0)
        r->queued -= (unsigned)n < r->queued ? (unsigned)n : r->queued;
    set(c, in->dst, res(io_uring_enter, n));
    return next(c);
}

static int op_cqe(struct ctx *c, const struct prog_ins *in)
{
    struct ring *r = ring_of((int)arg(c, in, 0));
    int64_t ud = -EAGAIN, rv = 0;
    if (!r) {
        ud = -EBADF;
    } else {
        unsigned head = *r->cq_head;
        if (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
            struct io_uring_cqe *e = &r->cqes[head & *r->cq_mask];
            ud = (int64_t)e->user_data;
            rv = e->res;
            __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
            for (int i = 0; i < r->nreq; i++)
                if (r->req[i].ud == ud) {
                    int32_t rfd = r->req[i].fd;
                    real_mark(REAL_MARK_CQE, r->fd,
                              (long)TL_URING_ITEM(r->req[i].op, rfd, rv), ud);
                    set_ready(c, &rfd, 1);
                    free(r->req[i].buf);
                    r->req[i] = r->req[--r->nreq];
                    break;
                }
        }
    }
    set(c, in->dst, ud);
    set(c, in->dst2, rv);
    return next(c);
}

/* ---- control flow ------------------------------------------------------------- */

static int cmp(int op, int64_t a, int64_t b)
{
    switch (op) {
    case CMP_EQ: return a == b;
    case CMP_NE: return a != b;
    case CMP_LT: return a < b;
    case CMP_LE: return a <= b;
    case CMP_GT: return a > b;
    default: return a >= b;
    }
}

/* Divide as the CPU does, so that a division by zero (or INT64_MIN / -1)
 * traps and the kernel sends SIGFPE (FPE_INTDIV), as in a C program */
static void divide_trap(int64_t a, int64_t b)
{
#if defined(__x86_64__)
    int64_t q = a, r = a < 0 ? -1 : 0;
    __asm__ volatile("idivq %2" : "+a"(q), "+d"(r) : "r"(b));
#else
    (void)a;
    (void)b;
    raise(SIGFPE);
#endif
}

static int op_flow(struct ctx *c, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_SET:
        set(c, in->dst, arg(c, in, 0));
        return next(c);
    case OP_ADD:
        set(c, in->dst, arg(c, in, 0) + arg(c, in, 1));
        return next(c);
    case OP_ARITH: {
        int64_t a = arg(c, in, 0), b = arg(c, in, 1);
        uint64_t x = (uint64_t)a, y = (uint64_t)b;
        int64_t v;
        switch (in->flags) {
        case AR_ADD: v = (int64_t)(x + y); break;
        case AR_SUB: v = (int64_t)(x - y); break;
        case AR_MUL: v = (int64_t)(x * y); break;
        default:
            if (b == 0 || (a == INT64_MIN && b == -1))
                divide_trap(a, b); /* the CPU's #DE: SIGFPE */
            v = in->flags == AR_DIV ? a / b : a % b;
            break;
        }
        set(c, in->dst, v);
        return next(c);
    }
    case OP_JMP:
        c->pc = in->jump;
        return 0;
    case OP_JIF:
        c->pc = cmp(in->flags, arg(c, in, 0), arg(c, in, 1)) ? c->pc + 1 : in->jump;
        return 0;
    case OP_FOR_START:
        if (in->flags)
            set_ready(c, c->watch, c->nwatch);
        c->ready_i = 0;
        /* fall through */
    default: /* OP_FOR_NEXT */
        if (c->ready_i < c->nready) {
            set(c, in->dst, c->ready[c->ready_i++]);
            c->pc = in->op == OP_FOR_START ? c->pc + 1 : in->jump;
        } else {
            c->pc = in->op == OP_FOR_START ? in->jump : c->pc + 1;
        }
        return 0;
    }
}

/* ---- handlers, event queues, the timer heap, the input device ---------- */

/* a kind spelled like a handler of decl is that handler (evloop.c) */
static int64_t handler_of(int decl, int64_t v)
{
    if (!PROG_IS_KIND(v) || PROG_KIND_STR(v) >= P->nstrs)
        return v;
    for (int i = 0; i < P->nhandlers; i++)
        if (P->handlers[i].decl == decl && P->handlers[i].entry >= 0 &&
            !strcmp(P->handlers[i].name, P->strs[PROG_KIND_STR(v)]))
            return PROG_HANDLER(i);
    return v;
}

/* call H V: a function call of the interpreter, no syscall */
static int call_handler(struct ctx *c, int64_t hv, int64_t v)
{
    hv = handler_of(c->decl, hv);
    int h = PROG_VAL_INDEX(hv);
    if (!PROG_IS_HANDLER(hv) || h >= P->nhandlers || c->ncalls >= 256)
        return next(c); /* the simulator stops the run on these */
    if (c->ncalls == c->callcap) {
        int ncap = c->callcap ? c->callcap * 2 : 8;
        int *f = realloc(c->calls, (size_t)ncap * sizeof *f);
        if (!f)
            return next(c);
        c->calls = f;
        c->callcap = ncap;
    }
    c->calls[c->ncalls++] = c->pc + 1;
    if (P->handlers[h].param >= 0)
        set(c, P->handlers[h].param, v);
    c->pc = P->handlers[h].entry;
    return 0;
}

static int op_call(struct ctx *c, const struct prog_ins *in)
{
    return call_handler(c, arg(c, in, 0), opt_arg(c, in, 1, 0));
}

static int op_ret(struct ctx *c, const struct prog_ins *in)
{
    (void)in;
    if (c->ncalls <= 0)
        return next(c);
    c->pc = c->calls[--c->ncalls];
    return 0;
}

/* the process's state (threads share it, under proc_lock) */
static int32_t *on_tab;         /* per kind: handler, -1 */
struct rq_item { int64_t k, v; };
static struct rq {
    struct rq_item *v;
    int head, n, cap;
    pthread_t maker;
    int64_t wakefd;
    int wake_how; /* 0 eventfd: 8 bytes; 1 socket: send 1; 2 pipe: write 1 */
} *rqs;
static int nrqs;
static struct rtimer { int64_t at, h, v; } *rtm;
static int nrtm, rtmcap;

static int64_t scn_now(void)
{
    return (mono_ns() - T0) / (OPT->scale > 1 ? OPT->scale : 1);
}

static int op_on(struct ctx *c, const struct prog_ins *in)
{
    int64_t k = arg(c, in, 0), h = arg(c, in, 1);
    pthread_mutex_lock(&proc_lock);
    if (!on_tab && (on_tab = malloc((size_t)P->nstrs * sizeof *on_tab)))
        for (int i = 0; i < P->nstrs; i++)
            on_tab[i] = -1;
    if (on_tab && PROG_IS_KIND(k) && PROG_KIND_STR(k) < P->nstrs &&
        PROG_IS_HANDLER(h))
        on_tab[PROG_KIND_STR(k)] = PROG_VAL_INDEX(h);
    pthread_mutex_unlock(&proc_lock);
    return next(c);
}

static int op_dispatch(struct ctx *c, const struct prog_ins *in)
{
    int64_t k = arg(c, in, 0), v = opt_arg(c, in, 1, 0);
    if (PROG_IS_HANDLER(k))
        return call_handler(c, k, v);
    pthread_mutex_lock(&proc_lock);
    int h = on_tab && PROG_IS_KIND(k) && PROG_KIND_STR(k) < P->nstrs
            ? on_tab[PROG_KIND_STR(k)] : -1;
    pthread_mutex_unlock(&proc_lock);
    if (h >= 0)
        return call_handler(c, PROG_HANDLER(h), v);
    return PROG_IS_HANDLER(handler_of(c->decl, k)) ? call_handler(c, k, v)
                                                   : next(c);
}

static int op_evqueue(struct ctx *c, const struct prog_ins *in)
{
    int64_t wake = opt_arg(c, in, 0, -1), id = -ENOMEM;
    struct stat st;
    int how = 0;
    if (wake >= 0 && fstat((int)wake, &st) == 0) /* fstat: not traced */
        how = S_ISSOCK(st.st_mode) ? 1 : S_ISFIFO(st.st_mode) ? 2 : 0;
    pthread_mutex_lock(&proc_lock);
    struct rq *q = realloc(rqs, (size_t)(nrqs + 1) * sizeof *q);
    if (q) {
        rqs = q;
        rqs[nrqs] = (struct rq){NULL, 0, 0, 0, pthread_self(), wake, how};
        id = PROG_EVQUEUE(nrqs++);
    }
    pthread_mutex_unlock(&proc_lock);
    set(c, in->dst, id);
    return next(c);
}

static struct rq *rq_of(int64_t id)
{
    int64_t i = id - PROG_EVQUEUE(0);
    return i >= 0 && i < nrqs ? &rqs[i] : NULL;
}

static int rq_push(struct rq *q, int64_t k, int64_t v)
{
    if (q->n == q->cap) {
        int ncap = q->cap ? q->cap * 2 : 16;
        struct rq_item *p = malloc((size_t)ncap * sizeof *p);
        if (!p)
            return -1;
        for (int i = 0; i < q->n; i++)
            p[i] = q->v[(q->head + i) % q->cap];
        free(q->v);
        q->v = p;
        q->cap = ncap;
        q->head = 0;
    }
    q->v[(q->head + q->n++) % q->cap] = (struct rq_item){k, v};
    return 0;
}

/* post Q K V; from another thread, then wake Q's loop as
 * call_soon_threadsafe does (send(csock, "\0", 1)), or libuv's
 * uv_async_send (write(efd, &one, 8)) */
static int op_post(struct ctx *c, const struct prog_ins *in)
{
    pthread_mutex_lock(&proc_lock);
    struct rq *q = rq_of(arg(c, in, 0));
    int64_t wake = -1;
    int how = 0;
    if (q && rq_push(q, arg(c, in, 1), opt_arg(c, in, 2, 0)) == 0 &&
        !pthread_equal(q->maker, pthread_self())) {
        wake = q->wakefd;
        how = q->wake_how;
    }
    pthread_mutex_unlock(&proc_lock);
    if (wake >= 0) {
        uint64_t one = 1;
        char *b = buffer(8);
        if (how == 1)
            res(sendto, send((int)wake, b, 1, 0));
        else
            res(write, write((int)wake, how == 2 ? (void *)b : (void *)&one,
                             how == 2 ? 1 : 8));
    }
    return next(c);
}

static int op_take(struct ctx *c, const struct prog_ins *in)
{
    int64_t k = -EAGAIN, v = 0;
    pthread_mutex_lock(&proc_lock);
    struct rq *q = rq_of(arg(c, in, 0));
    if (q && q->n > 0) {
        k = q->v[q->head].k;
        v = q->v[q->head].v;
        q->head = (q->head + 1) % q->cap;
        q->n--;
    }
    pthread_mutex_unlock(&proc_lock);
    set(c, in->dst, k);
    set(c, in->dst2, v);
    return next(c);
}

static int op_qlen(struct ctx *c, const struct prog_ins *in)
{
    pthread_mutex_lock(&proc_lock);
    struct rq *q = rq_of(arg(c, in, 0));
    int64_t n = q ? q->n : 0;
    pthread_mutex_unlock(&proc_lock);
    set(c, in->dst, n);
    return next(c);
}

static int op_after(struct ctx *c, const struct prog_ins *in)
{
    int64_t d = arg(c, in, 0);
    struct rtimer t = {scn_now() + (d < 0 ? 0 : d), arg(c, in, 1),
                       opt_arg(c, in, 2, 0)};
    pthread_mutex_lock(&proc_lock);
    if (nrtm == rtmcap) {
        int ncap = rtmcap ? rtmcap * 2 : 8;
        struct rtimer *p = realloc(rtm, (size_t)ncap * sizeof *p);
        if (p) {
            rtm = p;
            rtmcap = ncap;
        }
    }
    if (nrtm < rtmcap) {
        int at = nrtm;
        while (at > 0 && rtm[at - 1].at > t.at)
            at--;
        memmove(&rtm[at + 1], &rtm[at], (size_t)(nrtm - at) * sizeof *rtm);
        rtm[at] = t;
        nrtm++;
    }
    pthread_mutex_unlock(&proc_lock);
    return next(c);
}

static int op_next_timer(struct ctx *c, const struct prog_ins *in)
{
    int64_t now = scn_now(), t = -1;
    pthread_mutex_lock(&proc_lock);
    if (nrtm > 0)
        t = rtm[0].at > now ? rtm[0].at - now : 0;
    pthread_mutex_unlock(&proc_lock);
    set(c, in->dst, t);
    return next(c);
}

static int op_due(struct ctx *c, const struct prog_ins *in)
{
    int64_t now = scn_now(), n = 0;
    pthread_mutex_lock(&proc_lock);
    struct rq *q = rq_of(arg(c, in, 0));
    while (q && nrtm > 0 && rtm[0].at <= now) {
        rq_push(q, rtm[0].h, rtm[0].v);
        memmove(&rtm[0], &rtm[1], (size_t)(nrtm - 1) * sizeof *rtm);
        nrtm--;
        n++;
    }
    pthread_mutex_unlock(&proc_lock);
    set(c, in->dst, n);
    return next(c);
}

static int op_eventfd(struct ctx *c, const struct prog_ins *in)
{
    set(c, in->dst, res(eventfd2, fast3(SYS_eventfd2, 0,
                                         EFD_CLOEXEC | EFD_NONBLOCK, 0)));
    return next(c);
}

/* open(2) of the device: here the pipe's read end, opened anew through
 * /proc/self/fd (a new open file of the same pipe, as each open of an
 * evdev device is a client of its own) */
static int op_input(struct ctx *c, const struct prog_ins *in)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", input_r);
    set(c, in->dst, res(openat, syscall(SYS_openat, AT_FDCWD, path,
                                        O_RDONLY | O_CLOEXEC)));
    return next(c);
}

/* read(2) of one struct input_event: EV_KEY with BTN_LEFT + N - 1 (a
 * click of button N) or key code N */
static int op_getevent(struct ctx *c, const struct prog_ins *in)
{
    struct input_event ev;
    memset(&ev, 0, sizeof ev);
    int64_t r = res(read, fast3(SYS_read, (long)arg(c, in, 0), (long)&ev,
                                sizeof ev));
    int click = ev.code >= BTN_LEFT && ev.code < BTN_LEFT + 16;
    set(c, in->dst, r < 0 ? r : PROG_KIND(click ? P->kind_click : P->kind_key));
    set(c, in->dst2, r < 0 ? 0 : click ? ev.code - BTN_LEFT + 1 : ev.code);
    return next(c);
}

/* the user: one record into the device, with writev (not the task's own
 * syscall, as op_type's) */
static int op_user(struct ctx *c, const struct prog_ins *in)
{
    int click = in->op == OP_CLICK;
    int64_t n = opt_arg(c, in, 0, click ? 1 : KEY_A);
    struct input_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = EV_KEY;
    ev.code = (unsigned short)(click ? BTN_LEFT + n - 1 : n);
    ev.value = 1;
    struct iovec v = {&ev, sizeof ev};
    ssize_t w = writev(input_w, &v, 1);
    (void)w;
    return next(c);
}

static int op_sigreturn(struct ctx *c, const struct prog_ins *in)
{
    (void)in;
    return next(c); /* only reached outside a handler: nothing to do */
}

/* Every operation of PROG_OPS, with its real implementation */
static const op_fn ops[OP__COUNT] = {
    [OP_SOCKET] = op_socket, [OP_LISTEN] = op_listen, [OP_ACCEPT] = op_accept,
    [OP_CONNECT] = op_connect, [OP_PIPE] = op_pair, [OP_SOCKETPAIR] = op_pair,
    [OP_READ] = op_read, [OP_RECV] = op_read, [OP_WRITE] = op_write,
    [OP_SEND] = op_write, [OP_CLOSE] = op_close, [OP_FCNTL] = op_fcntl,
    [OP_COMPUTE] = op_compute, [OP_SLEEP] = op_sleep, [OP_EXIT] = op_exit,
    [OP_FORK] = op_spawn, [OP_THREAD] = op_spawn,
    [OP_COROUTINE] = op_coroutine, [OP_YIELD] = op_yield, [OP_JOIN] = op_join,
    [OP_GENERATOR] = op_coroutine, [OP_NEXT] = op_next, [OP_SWITCH] = op_switch,
    [OP_GETSOCKOPT] = op_getsockopt, [OP_CLOCK] = op_clock,
    [OP_WAIT] = op_join, [OP_TYPE] = op_type, [OP_SAY] = op_say,
    [OP_SELECT] = op_select, [OP_POLL] = op_poll, [OP_WATCH] = op_watch,
    [OP_UNWATCH] = op_watch, [OP_EPOLL_CREATE] = op_epoll_create,
    [OP_EPOLL_CTL] = op_epoll_ctl, [OP_EPOLL_WAIT] = op_epoll_wait,
    [OP_SIGACTION] = op_sigaction, [OP_PAUSE] = op_pause,
    [OP_URING_SETUP] = op_uring_setup, [OP_PREP] = op_prep,
    [OP_URING_ENTER] = op_uring_enter, [OP_CQE] = op_cqe, [OP_SET] = op_flow,
    [OP_JMP] = op_flow, [OP_JIF] = op_flow, [OP_ADD] = op_flow,
    [OP_FOR_START] = op_flow, [OP_FOR_NEXT] = op_flow, [OP_END] = op_exit,
    [OP_ARITH] = op_flow, [OP_SETRLIMIT] = op_setrlimit,
    [OP_SETSOCKOPT] = op_setsockopt,
    [OP_TIMERFD_CREATE] = op_timerfd, [OP_TIMERFD_SETTIME] = op_timerfd,
    [OP_LOCK] = op_lock, [OP_UNLOCK] = op_lock, [OP_COND_WAIT] = op_cond_wait,
    [OP_COND_SIGNAL] = op_cond_signal, [OP_COND_BROADCAST] = op_cond_signal,
    [OP_SEM_WAIT] = op_sem, [OP_SEM_POST] = op_sem,
    [OP_SIGRETURN] = op_sigreturn, [OP_MP_PIPE] = op_mp_pipe,
    [OP_START] = op_start,
    [OP_CONN_SEND] = op_conn_send, [OP_CONN_RECV] = op_conn_recv,
    [OP_CALL] = op_call, [OP_RET] = op_ret, [OP_ON] = op_on,
    [OP_DISPATCH] = op_dispatch, [OP_EVQUEUE] = op_evqueue,
    [OP_POST] = op_post, [OP_TAKE] = op_take, [OP_QLEN] = op_qlen, [OP_AFTER] = op_after,
    [OP_NEXT_TIMER] = op_next_timer, [OP_DUE] = op_due,
    [OP_EVENTFD] = op_eventfd, [OP_INPUT] = op_input,
    [OP_GETEVENT] = op_getevent, [OP_CLICK] = op_user, [OP_PRESS] = op_user,
    [OP_MP_LOCK] = op_mp_lock, [OP_ACQUIRE] = op_acquire,
    [OP_RELEASE] = op_acquire, [OP_MP_QUEUE] = op_mp_queue, [OP_PUT] = op_put,
    [OP_GET] = op_get, [OP_QFEED] = op_feed, [OP_MP_MANAGER] = op_mp_manager,
    [OP_MP_DICT] = op_mp_client, [OP_MP_SET] = op_mp_client,
    [OP_MP_GET] = op_mp_client, [OP_MP_SHUTDOWN] = op_mp_client,
    [OP_MSRV] = op_msrv, [OP_FSRV] = op_fsrv,
    [OP_MONKEY_PATCH] = op_monkey_patch, [OP_HUB] = op_hub,
    [OP_JOINALL] = op_joinall,
};

int real_op_implemented(int op)
{
    return op >= 0 && op < OP__COUNT && ops[op] != NULL;
}

/* Run contexts of the calling kernel thread until it is done or, in a
 * signal handler, until the instruction `until` */
static void run(struct ctx *c, int until)
{
    struct kthread *k = self;
    for (;;) {
        if (c->pc < 0 || c->pc >= P->ncode)
            return;
        const struct prog_ins *in = &P->code[c->pc];
        if ((int)in->op == until)
            return;
        k->done.line = in->line;
        atomic_store_explicit(&SH->active, mono_ns(), memory_order_relaxed);
        op_fn f = in->op < OP__COUNT ? ops[in->op] : NULL;
        if (!f || f(c, in))
            return;
        if (until < 0)
            c = k->cur; /* a yield or a coroutine's end switched */
    }
}

/* ---- the root: start every task, end the run ------------------------------ */

/* The machine's processes run on its `cpus` CPUs (the first that this
 * process may use); peers are outside the machine */
static void machine_cpus(void)
{
    cpu_set_t have, use;
    if (P->ncpus < 1 || sched_getaffinity(0, sizeof have, &have) < 0)
        return;
    CPU_ZERO(&use);
    for (int i = 0, n = 0; i < CPU_SETSIZE && n < P->ncpus; i++)
        if (CPU_ISSET(i, &have)) {
            CPU_SET(i, &use);
            n++;
        }
    sched_setaffinity(0, sizeof use, &use);
}

static void task_main(int d, int k)
{
    const struct prog_task *decl = &P->tasks[d];
    /* wait until the root has made every task: they all start from the
     * same time 0 (a shared futex wait, which the tracer lets through) */
    while (!atomic_load(&SH->go))
        syscall(SYS_futex, &SH->go, FUTEX_WAIT, 0, NULL, NULL, 0);
    T0 = atomic_load(&SH->t0);
    int64_t start = scaled(decl->start + (int64_t)k * decl->every);
    struct timespec at = {(T0 + start) / 1000000000, (T0 + start) % 1000000000};
    busy_for(T0 + start - mono_ns());
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
        ;
    struct ctx *c = calloc(1, sizeof *c);
    int64_t *slots = calloc((size_t)(decl->nslots ? decl->nslots : 1), sizeof *slots);
    if (!c || !slots)
        _exit(1);
    c->slots = slots;
    c->co_dst = -1;
    /* the fd limit every process starts with (the machine's `nofile`),
     * under the sandbox's hard limit */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = (rlim_t)P->nofile < rl.rlim_max ? (rlim_t)P->nofile
                                                       : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        nofile_max = (int64_t)rl.rlim_max;
    }
    if (decl->slot_shared) { /* the words, then two hidden ones per word
                                 (sync.c-like state of its waiters) */
        size_t len = (size_t)(decl->nslots ? decl->nslots : 1) * 3 * sizeof *shared_mem;
        void *m = mmap((void *)(uintptr_t)REAL_MEM_BASE, len,
                       PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (m == MAP_FAILED)
            _exit(1);
        shared_mem = m;
        shared_n = decl->nslots;
    }
    c->pc = decl->entry;
    c->decl = d;
    if (decl->name_slot >= 0) /* a program starts as __main__ */
        c->slots[decl->name_slot] = P->mod_main;
    c->peer = decl->kind == DECL_PEER;
    c->kind = c->peer ? TK_PEER : TK_PROCESS;
    if (!c->peer)
        machine_cpus();
    if (decl->count > 1)
        snprintf(c->name, sizeof c->name, "%s%d", decl->name, k + 1);
    else
        snprintf(c->name, sizeof c->name, "%s", decl->name);
    static struct kthread kt;
    kt.cur = kt.main = c;
    self = &kt;
    kt.done.line = P->code[c->pc].line;
    start_mark(c);
    run(c, -1);
    fflush(NULL);
    _exit(0);
}

/* A pseudo-terminal for fds 0, 1 and 2, raw (no echo, no line editing:
 * typed bytes are readable at once, as the simulator's tty has them) */
static int terminal(int master_fd)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
        return -1;
    const char *name = ptsname(m);
    int s = name ? open(name, O_RDWR | O_NOCTTY) : -1;
    if (s < 0)
        return -1;
    struct termios t;
    if (tcgetattr(s, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(s, TCSANOW, &t);
    }
    if (dup2(m, master_fd) < 0 || dup2(s, 0) < 0 || dup2(s, 1) < 0 ||
        dup2(s, 2) < 0)
        return -1;
    if (m != master_fd)
        close(m);
    if (s > 2)
        close(s);
    fcntl(master_fd, F_SETFD, FD_CLOEXEC);
    fcntl(master_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

static void drain(int fd)
{
    char buf[4096];
    struct iovec v = {buf, sizeof buf};
    while (readv(fd, &v, 1) > 0)
        ;
}

/* 1 if a thread of the run (the root's process group), other than the
 * root, is running or waiting for a CPU (R), or stopped for the tracer
 * (t): a task the machine's load keeps from its next operation is not
 * idle, even when it has been for the settling time */
static int run_busy(void)
{
    pid_t self = getpid(), pg = getpgrp();
    DIR *d = opendir("/proc");
    struct dirent *e;
    int busy = 0;
    while (d && !busy && (e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == self || getpgid(pid) != pg)
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task", pid);
        DIR *td = opendir(path);
        struct dirent *te;
        while (td && !busy && (te = readdir(td))) {
            int tid = atoi(te->d_name);
            if (tid <= 0)
                continue;
            char buf[512];
            snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            ssize_t k = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
            if (fd >= 0)
                close(fd);
            if (k <= 0)
                continue;
            buf[k] = 0;
            const char *st = strrchr(buf, ')'); /* pid (comm) state */
            busy = st && (st[2] == 'R' || st[2] == 't');
        }
        if (td)
            closedir(td);
    }
    if (d)
        closedir(d);
    return busy;
}

static int root_main(void *arg)
{
    (void)arg;
    int ntasks = 0;
    for (int d = 0; d < P->ntasks; d++)
        ntasks += P->tasks[d].count;
    size_t shlen = sizeof(struct shared) + (size_t)P->ntasks * sizeof(atomic_int);
    SH = mmap(NULL, shlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
              -1, 0);
    if (SH == MAP_FAILED)
        return 1;
    /* nothing of iosim's: fds 3 and up are closed (close_range, which the
     * tracer lets through), so a scenario's fd numbers are its own */
    syscall(SYS_close_range, 3, ~0u, 0);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 64)
        return 1;
    int master = tty_master = (int)(rl.rlim_cur > 65536 ? 65536 : rl.rlim_cur) - 1;
    if (terminal(master) < 0)
        return 1;
    int dev[2];
    if (pipe2(dev, O_CLOEXEC) < 0 || dup2(dev[0], master - 1) < 0 ||
        dup2(dev[1], master - 2) < 0)
        return 1;
    close(dev[0]);
    close(dev[1]);
    input_r = master - 1;
    input_w = master - 2;
    signal(SIGPIPE, SIG_IGN); /* a write to a closed peer: EPIPE, as the
                                 simulator has it, not death */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    pid_t *pids = calloc((size_t)(ntasks ? ntasks : 1), sizeof *pids);
    int *peer = calloc((size_t)(ntasks ? ntasks : 1), sizeof *peer);
    if (!pids || !peer)
        return 1;
    int n = 0, live = 0, peers = 0;
    for (int d = 0; d < P->ntasks; d++)
        for (int k = 0; k < P->tasks[d].count; k++) {
            pid_t pid = fork();
            if (pid < 0)
                break;
            if (pid == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                task_main(d, k);
            }
            pids[n] = pid;
            peer[n] = P->tasks[d].kind == DECL_PEER;
            peers += peer[n];
            live++;
            n++;
        }
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    T0 = mono_ns();
    atomic_store(&SH->t0, T0);
    atomic_store(&SH->go, 1);
    syscall(SYS_futex, &SH->go, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
    /* the run ends when every task has exited; or, once the peers are
     * done and the simulation's end has passed, when no task has run an
     * operation for a settling time (servers loop for ever, waiting for
     * the next client), counted from the end of the last sleep, compute
     * or timed wait begun (a task that sleeps is not idle: on a loaded
     * machine its wake-up comes late, and the run must not end before
     * it), and while no thread of the run is runnable or stopped for the
     * tracer (run_busy: one the load keeps off the CPU); or at the
     * simulation's limit when it stopped
     * there; or at twice its end and a second, for a task that never
     * waits */
    int64_t settle = scaled(5000000), peers_done_at = peers ? -1 : T0;
    if (settle < 50000000)
        settle = 50000000;
    int64_t end = T0 + scaled(OPT->end_ns);
    int64_t hard = OPT->end_ns >= P->limit && P->limit > 0
                       ? T0 + scaled(P->limit)
                       : T0 + 2 * scaled(OPT->end_ns) + 1000000000;
    /* the root is the run's child subreaper: a process whose parent exits
     * (an orphan, as in zombie.scn) becomes its child and runs on; the
     * run ends when the root has no child at all */
    int children = live;
    while (children > 0) {
        struct timespec ts = {0, 2000000};
        sigtimedwait(&chld, NULL, &ts);
        drain(master);
        siginfo_t si;
        for (;;) {
            memset(&si, 0, sizeof si);
            if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0) {
                children = 0; /* ECHILD: nobody left */
                break;
            }
            if (si.si_pid == 0)
                break;
            for (int i = 0; i < n; i++)
                if (pids[i] == si.si_pid) {
                    pids[i] = 0;
                    live--;
                    if (peer[i] && --peers == 0)
                        peers_done_at = mono_ns();
                }
        }
        int64_t now = mono_ns();
        int64_t last = atomic_load(&SH->active), busy = atomic_load(&SH->busy_until);
        int64_t idle = now - (busy > last ? busy : last);
        if (now >= hard || (peers_done_at >= 0 && now >= end &&
                            now >= peers_done_at + settle && idle >= settle &&
                            !run_busy())) {
            kill(0, SIGKILL); /* the run's process group, the root too:
                                 the tracer reaps and checks the rest */
            peers_done_at = INT64_MAX / 2; /* once */
        }
    }
    drain(master);
    return 0;
}

int real_run(const struct prog *p, const struct real_run_opts *o, int trace,
             struct real_log *log)
{
    P = p;
    OPT = o;
    return real_trace_run(root_main, NULL, &o->lim, trace, log);
}

#define REAL_MAX_TASKS 200 /* task instances a real run may start */

struct tl *real_run_timeline(const struct prog *p, const struct tl *sim,
                             int scale, char *err, size_t len)
{
    int n = 0;
    for (int d = 0; d < p->ntasks; d++)
        n += p->tasks[d].count;
    if (n > REAL_MAX_TASKS) {
        snprintf(err, len, "%s: error: %d tasks are too many to run for real "
                 "(at most %d); without --real, iosim shows the simulation",
                 p->path, n, REAL_MAX_TASKS);
        return NULL;
    }
    struct real_run_opts o = {.lim = REAL_LIMITS_DEFAULT, .scale = scale};
    o.end_ns = sim && sim->nev ? sim->ev[sim->nev - 1].t : 0;
    int64_t span = o.end_ns * (scale > 1 ? scale : 1);
    o.lim.deadline_ns = 10000000000LL + 5 * span;
    if (o.lim.deadline_ns > 60000000000LL)
        o.lim.deadline_ns = 60000000000LL;
    o.lim.cpu_s = (int)(o.lim.deadline_ns / 1000000000) + 1;
    o.lim.max_tasks = 4 * REAL_MAX_TASKS;
    struct real_log log;
    int rc = real_run(p, &o, REAL_TRACE_MARKED, &log);
    if (rc < 0) {
        snprintf(err, len, "iosim: cannot run %s for real: %s; without "
                 "--real, iosim shows the simulation", p->path,
                 log.err[0] ? log.err : strerror(-rc));
        real_log_free(&log);
        return NULL;
    }
    if (log.interrupted) { /* Ctrl-C: every process is gone; so is iosim */
        snprintf(err, len, "iosim: the real run of %s was interrupted", p->path);
        real_log_free(&log);
        return NULL;
    }
    struct tl *tl = NULL;
    rc = real_timeline(&log, p, scale, &tl);
    real_log_free(&log);
    if (rc < 0) {
        snprintf(err, len, "iosim: the real run of %s could not become a "
                 "timeline: %s", p->path, strerror(-rc));
        return NULL;
    }
    return tl;
}
