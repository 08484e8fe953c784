/*
 * tracer.c - run a function in a sandboxed child and record its syscalls.
 *
 * How a traced run goes:
 *   child:  setpgid(0, 0); the sandbox (sandbox.c); PTRACE_TRACEME;
 *           raise(SIGSTOP)
 *   tracer: sets the options (TRACESYSGOOD, TRACESECCOMP, TRACEFORK,
 *           TRACEVFORK, TRACECLONE, TRACEEXEC, EXITKILL) and lets it go
 *   child:  installs the seccomp filter, then runs fn(arg)
 * The filter returns SECCOMP_RET_TRACE for the syscalls in real_traced[]
 * and lets every other one through without a stop, which is most of what
 * makes this cheaper than strace without --seccomp-bpf.  A traced call
 * stops first at PTRACE_EVENT_SECCOMP (before it runs: the arguments are
 * read with PTRACE_GET_SYSCALL_INFO, and what they point to with
 * process_vm_readv), and the tracer resumes it with PTRACE_SYSCALL to see
 * its exit (the result, and what came back in the buffers), then with
 * PTRACE_CONT until the next traced call.
 *
 * A task's calls are recorded from its START mark on (real.h): what a
 * process does before it says which scenario task it is (the runner's own
 * set-up, waiting for a peer's start time) is not part of the scenario.
 * Programs that never mark (the tests' fixtures) are recorded whole with
 * REAL_TRACE_ALL.
 *
 * Ending: a SIGALRM at the deadline and SIGINT/SIGTERM/SIGHUP all kill the
 * process group from the handler itself (kill(2) is async-signal-safe), so
 * no signal can be lost between a check and a wait.  The tracer is a child
 * subreaper for the run, so an orphan comes back to it and is reaped; it
 * returns only when waitpid says there is no child left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "real/real.h"

/* glibc's <sys/ptrace.h> and <linux/ptrace.h> do not mix: the calls go
 * through syscall(2) with the kernel's own constants */
static long pt(long req, pid_t pid, void *addr, void *data)
{
    return syscall(SYS_ptrace, req, pid, addr, data);
}

/* The syscalls that stop the tracee: X(nr, name).  Every other syscall runs
 * without the tracer knowing.  futex stops only for the wait pthread_join
 * makes (FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME on the thread's tid) and
 * on the runner's shared variables (REAL_MEM_BASE: the scenario's locks);
 * glibc's own locks pass. */
#define REAL_SYSCALLS(X) \
    X(SYS_read, "read") X(SYS_write, "write") X(SYS_close, "close") \
    X(SYS_poll, "poll") X(SYS_ppoll, "ppoll") X(SYS_select, "select") \
    X(SYS_pselect6, "pselect6") X(SYS_fcntl, "fcntl") X(SYS_dup, "dup") \
    X(SYS_dup2, "dup2") X(SYS_dup3, "dup3") X(SYS_pipe, "pipe") \
    X(SYS_pipe2, "pipe2") X(SYS_socket, "socket") X(SYS_connect, "connect") \
    X(SYS_accept, "accept") X(SYS_accept4, "accept4") \
    X(SYS_sendto, "sendto") X(SYS_recvfrom, "recvfrom") \
    X(SYS_sendmsg, "sendmsg") X(SYS_recvmsg, "recvmsg") \
    X(SYS_shutdown, "shutdown") X(SYS_bind, "bind") X(SYS_listen, "listen") \
    X(SYS_socketpair, "socketpair") X(SYS_clone, "clone") \
    X(SYS_clone3, "clone3") X(SYS_fork, "fork") X(SYS_vfork, "vfork") \
    X(SYS_execve, "execve") X(SYS_exit, "exit") \
    X(SYS_exit_group, "exit_group") X(SYS_wait4, "wait4") \
    X(SYS_kill, "kill") X(SYS_tgkill, "tgkill") \
    X(SYS_epoll_create, "epoll_create") \
    X(SYS_epoll_create1, "epoll_create1") X(SYS_epoll_ctl, "epoll_ctl") \
    X(SYS_epoll_wait, "epoll_wait") X(SYS_epoll_pwait, "epoll_pwait") \
    X(SYS_rt_sigaction, "rt_sigaction") \
    X(SYS_rt_sigreturn, "rt_sigreturn") X(SYS_pause, "pause") \
    X(SYS_io_uring_setup, "io_uring_setup") \
    X(SYS_io_uring_enter, "io_uring_enter") \
    X(SYS_clock_nanosleep, "clock_nanosleep") \
    X(SYS_nanosleep, "nanosleep") \
    X(SYS_restart_syscall, "restart_syscall") \
    X(SYS_prlimit64, "prlimit64") \
    X(SYS_timerfd_create, "timerfd_create") \
    X(SYS_timerfd_settime, "timerfd_settime") \
    X(SYS_setsockopt, "setsockopt") \
    X(SYS_getsockopt, "getsockopt") \
    X(SYS_ioctl, "ioctl") X(SYS_eventfd2, "eventfd2") X(SYS_openat, "openat")

const int real_traced[] = {
#define X(nr, n) nr,
    REAL_SYSCALLS(X)
#undef X
    SYS_futex, REAL_MARK_NR, -1};

int real_is_traced(int nr)
{
    for (int i = 0; real_traced[i] >= 0; i++)
        if (real_traced[i] == nr)
            return 1;
    return 0;
}

const char *real_sys_name(int nr)
{
    switch (nr) {
#define X(n, s) case n: return s;
        REAL_SYSCALLS(X)
#undef X
    case SYS_futex: return "futex";
    case REAL_MARK_NR: return "(mark)";
    default: break;
    }
    static __thread char buf[32];
    snprintf(buf, sizeof buf, "syscall_%d", nr);
    return buf;
}

int real_lazy(int nr)
{
    switch (nr) {
    case SYS_read: case SYS_write: case SYS_recvfrom: case SYS_sendto:
    case SYS_close: case SYS_fcntl: case SYS_socket: case SYS_bind:
    case SYS_listen: case SYS_accept: case SYS_connect:
    case SYS_epoll_ctl: case SYS_epoll_create1: case SYS_clock_nanosleep:
    case SYS_io_uring_setup: case SYS_io_uring_enter: case SYS_prlimit64:
    case SYS_futex: case SYS_timerfd_create: case SYS_timerfd_settime:
    case SYS_setsockopt: case SYS_getsockopt: case SYS_ioctl:
    case SYS_eventfd2:
        return 1;
    default:
        return 0;
    }
}

int real_fast(int nr)
{
    switch (nr) {
    case SYS_read: case SYS_write: case SYS_close: case SYS_fcntl:
    case SYS_socket: case SYS_bind: case SYS_listen: case SYS_accept:
    case SYS_connect: case SYS_epoll_create1: case SYS_io_uring_setup:
    case SYS_timerfd_create:
        return 1;
    default:
        return 0;
    }
}

const char *real_rec_name(int kind)
{
    static const char *const names[] = {
#define X(e, n) n,
        REAL_RECS(X)
#undef X
    };
    return kind >= 0 && kind < REAL_REC__COUNT ? names[kind] : "?";
}

const char *real_mark_name(int mark)
{
    static const char *const names[] = {
#define X(e, n, h) n,
        REAL_MARKS(X)
#undef X
    };
    return mark >= 0 && mark < REAL_MARK__COUNT ? names[mark] : "?";
}

long real_mark(int kind, long a, long b, long c)
{
    int e = errno; /* ENOSYS, traced or not: the caller's errno stays */
    long r = syscall(REAL_MARK_NR, (long)kind, a, b, c);
    errno = e;
    return r;
}

void real_log_free(struct real_log *log)
{
    free(log->rec);
    free(log->fdev);
    for (int i = 0; i < log->nstrs; i++)
        free(log->strs[i]);
    free(log->strs);
    memset(log, 0, sizeof *log);
}

/* ---- the seccomp filter ------------------------------------------------- */

#define FUTEX_JOIN_WAIT (FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME)

static int install_filter(void)
{
    struct sock_filter f[128];
    int n = 0, ntr = 0;
    while (real_traced[ntr] >= 0)
        ntr++;
    ntr--; /* futex is checked on its own, after the others */
    /* layout: 0 arch, 1 jeq, 2 nr, 3 x32, 4.. one jeq per call, futex jeq,
     * ALLOW, (futex: ld arg1, jeq join, ld arg0 high, jeq shared memory,
     * ALLOW), TRACE, ENOSYS */
    int first = 4, futex_at = first + ntr, allow1 = futex_at + 1;
    int fchk = allow1 + 1, trace_at = fchk + 5, nosys_at = trace_at + 1;
    if (nosys_at + 1 > (int)(sizeof f / sizeof f[0]))
        return -E2BIG;
#define AT(k) ((uint8_t)((k) - n - 1))
    f[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        offsetof(struct seccomp_data, arch));
    n++;
    f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                        AUDIT_ARCH_X86_64, 0, AT(nosys_at));
    n++;
    f[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        offsetof(struct seccomp_data, nr));
    n++;
    f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000,
                                        AT(nosys_at), 0);
    n++;
    for (int i = 0, k = 0; real_traced[i] >= 0; i++) {
        if (real_traced[i] == SYS_futex)
            continue;
        f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                            (uint32_t)real_traced[i],
                                            AT(trace_at), 0);
        n++;
        k++;
    }
    f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex,
                                        AT(fchk), 0);
    n++;
    f[n] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    n++;
    f[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        offsetof(struct seccomp_data, args[1]));
    n++;
    f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                        FUTEX_JOIN_WAIT, AT(trace_at), 0);
    n++;
    f[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                        offsetof(struct seccomp_data, args[0]) + 4);
    n++;
    f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                        (uint32_t)(REAL_MEM_BASE >> 32),
                                        AT(trace_at), 0);
    n++;
    f[n] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    n++;
    f[n] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
    n++;
    f[n] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                        SECCOMP_RET_ERRNO | ENOSYS);
    n++;
#undef AT
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return -errno;
    return 0;
}

/* ---- the log ------------------------------------------------------------ */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long log_rec(struct real_log *log, int kind, pid_t tid, pid_t pid)
{
    if (log->n == log->cap) {
        size_t ncap = log->cap ? log->cap * 2 : 256;
        struct real_rec *p = realloc(log->rec, ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        log->rec = p;
        log->cap = ncap;
    }
    struct real_rec *r = &log->rec[log->n];
    memset(r, 0, sizeof *r);
    r->kind = (uint8_t)kind;
    r->tid = tid;
    r->pid = pid;
    r->t_exit = -1;
    r->str = -1;
    return (long)log->n++;
}

static int log_fdev(struct real_log *log, int32_t fd, uint32_t ev)
{
    if (log->nfdev == log->fdevcap) {
        size_t ncap = log->fdevcap ? log->fdevcap * 2 : 256;
        struct real_fdev *p = realloc(log->fdev, ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        log->fdev = p;
        log->fdevcap = ncap;
    }
    log->fdev[log->nfdev++] = (struct real_fdev){fd, ev};
    return 0;
}

static int log_str(struct real_log *log, const char *s)
{
    if (log->nstrs == log->strcap) {
        int ncap = log->strcap ? log->strcap * 2 : 32;
        char **p = realloc(log->strs, (size_t)ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        log->strs = p;
        log->strcap = ncap;
    }
    char *d = strdup(s);
    if (!d)
        return -ENOMEM;
    log->strs[log->nstrs] = d;
    return log->nstrs++;
}

/* ---- the tracees -------------------------------------------------------- */

struct tracee {
    pid_t tid, pid;
    int used;
    int started;    /* its calls are recorded */
    int fresh;      /* its first stop (the attach SIGSTOP) is still due */
    long cur;       /* the record of the call it is in, -1 */
    uint64_t done_addr; /* its struct real_done (the START mark), 0 none */
    long lazy;      /* a call whose result its struct real_done will
                       carry, -1 none */
    int full;       /* its process handles signals: exit stops for all */
};

struct tracer {
    struct real_log *log;
    struct tracee *t;
    int cap, live, ntotal;
    int all; /* record tasks that never mark */
    int max_tasks;
    int64_t t0;
    int oom;
};

static struct tracee *find(struct tracer *tr, pid_t tid)
{
    for (int i = 0; i < tr->cap; i++)
        if (tr->t[i].used && tr->t[i].tid == tid)
            return &tr->t[i];
    return NULL;
}

static struct tracee *add(struct tracer *tr, pid_t tid, pid_t pid)
{
    struct tracee *e = find(tr, tid);
    if (e)
        return e;
    for (int i = 0; i < tr->cap; i++)
        if (!tr->t[i].used) {
            e = &tr->t[i];
            break;
        }
    if (!e) {
        int ncap = tr->cap ? tr->cap * 2 : 16;
        struct tracee *p = realloc(tr->t, (size_t)ncap * sizeof *p);
        if (!p) {
            tr->oom = 1;
            return NULL;
        }
        memset(p + tr->cap, 0, (size_t)(ncap - tr->cap) * sizeof *p);
        tr->t = p;
        e = &tr->t[tr->cap];
        tr->cap = ncap;
    }
    *e = (struct tracee){.tid = tid, .pid = pid, .used = 1, .fresh = 1,
                         .cur = -1, .lazy = -1, .started = tr->all};
    tr->live++;
    tr->ntotal++;
    return e;
}

static ssize_t peek(pid_t tid, uint64_t addr, void *buf, size_t len)
{
    struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(tid, &l, 1, &r, 1, 0);
}

static int peek_str(pid_t tid, uint64_t addr, char *buf, size_t len)
{
    ssize_t n = peek(tid, addr, buf, len - 1);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    buf[strnlen(buf, (size_t)n)] = 0;
    return 0;
}

/* fd_sets, pollfd and event arrays are read a chunk of MAX_LIST entries
 * at a time, whole: a poll of 2,200 fds shows every entry, as strace
 * reads them (the text then cuts at 32, with "...", as strace prints
 * them).  LIST_MAX bounds what one call may make the tracer read: more
 * fds than fs.nr_open's default (1 << 20), which no process can have
 * open, so no real call is cut; an array that ends in unmapped memory
 * stops at the last entry read (the kernel fails the call with EFAULT). */
#define MAX_LIST 1024
#define LIST_MAX (1 << 20)

/* The bits set in an fd_set of nfds bits: log entries with POLLIN */
static int read_fdset(struct tracer *tr, pid_t tid, uint64_t addr, int64_t nfds,
                      int32_t *at, int32_t *count)
{
    *at = (int32_t)tr->log->nfdev;
    *count = 0;
    if (!addr || nfds <= 0)
        return 0;
    if (nfds > LIST_MAX)
        nfds = LIST_MAX;
    uint64_t bits[MAX_LIST / 64];
    for (int64_t base = 0; base < nfds; base += MAX_LIST) {
        int64_t k = nfds - base < MAX_LIST ? nfds - base : MAX_LIST;
        size_t len = (size_t)((k + 63) / 64) * 8;
        if (peek(tid, addr + (uint64_t)base / 8, bits, len) != (ssize_t)len)
            return 0;
        for (int fd = 0; fd < k; fd++)
            if (bits[fd / 64] >> (fd % 64) & 1) {
                if (log_fdev(tr->log, (int32_t)(base + fd), POLLIN))
                    return -ENOMEM;
                (*count)++;
            }
    }
    return 0;
}

/* pollfd entries: in = (fd, events), out = (fd, revents) where revents */
static int read_pollfds(struct tracer *tr, pid_t tid, uint64_t addr, int64_t n,
                        int out, int32_t *at, int32_t *count)
{
    *at = (int32_t)tr->log->nfdev;
    *count = 0;
    if (!addr || n <= 0)
        return 0;
    if (n > LIST_MAX)
        n = LIST_MAX;
    struct pollfd p[MAX_LIST];
    for (int64_t base = 0; base < n; base += MAX_LIST) {
        int64_t k = n - base < MAX_LIST ? n - base : MAX_LIST;
        size_t len = (size_t)k * sizeof *p;
        if (peek(tid, addr + (uint64_t)base * sizeof *p, p, len) != (ssize_t)len)
            return 0;
        for (int i = 0; i < k; i++) {
            if (out && !p[i].revents)
                continue;
            if (log_fdev(tr->log, p[i].fd,
                         (uint32_t)(out ? p[i].revents : p[i].events)))
                return -ENOMEM;
            (*count)++;
        }
    }
    return 0;
}

/* x86_64's struct epoll_event is packed: 4 bytes of events, 8 of data */
struct ep_ev {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

static int read_epoll_events(struct tracer *tr, pid_t tid, uint64_t addr,
                             int64_t n, int32_t *at, int32_t *count)
{
    *at = (int32_t)tr->log->nfdev;
    *count = 0;
    if (!addr || n <= 0)
        return 0;
    if (n > LIST_MAX)
        n = LIST_MAX;
    struct ep_ev e[MAX_LIST];
    for (int64_t base = 0; base < n; base += MAX_LIST) {
        int64_t k = n - base < MAX_LIST ? n - base : MAX_LIST;
        size_t len = (size_t)k * sizeof *e;
        if (peek(tid, addr + (uint64_t)base * sizeof *e, e, len) != (ssize_t)len)
            return 0;
        for (int i = 0; i < k; i++) {
            if (log_fdev(tr->log, (int32_t)(uint32_t)e[i].data, e[i].events))
                return -ENOMEM;
            (*count)++;
        }
    }
    return 0;
}

static int64_t read_port(pid_t tid, uint64_t addr)
{
    unsigned char sa[4];
    if (!addr || peek(tid, addr, sa, sizeof sa) != (ssize_t)sizeof sa)
        return -1;
    return sa[2] << 8 | sa[3]; /* sin_port, network order */
}

static int64_t read_timespec(pid_t tid, uint64_t addr)
{
    struct timespec ts;
    if (!addr || peek(tid, addr, &ts, sizeof ts) != (ssize_t)sizeof ts)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t read_pair(pid_t tid, uint64_t addr)
{
    int fds[2];
    if (!addr || peek(tid, addr, fds, sizeof fds) != (ssize_t)sizeof fds)
        return -1;
    return (int64_t)fds[0] | (int64_t)fds[1] << 32;
}

/* What the arguments point to, before the call runs */
static int call_entry(struct tracer *tr, struct tracee *e, struct real_rec *r)
{
    const int64_t *a = r->args;
    switch (r->nr) {
    case SYS_bind:
    case SYS_connect:
        r->a = read_port(e->tid, (uint64_t)a[1]);
        break;
    case SYS_epoll_ctl: {
        struct ep_ev ev;
        r->b = a[2];
        if (a[3] && peek(e->tid, (uint64_t)a[3], &ev, sizeof ev) == (ssize_t)sizeof ev)
            r->c = ev.events;
        break;
    }
    case SYS_poll:
    case SYS_ppoll:
        return read_pollfds(tr, e->tid, (uint64_t)a[0], a[1], 0, &r->in, &r->nin);
    case SYS_select:
    case SYS_pselect6:
        return read_fdset(tr, e->tid, (uint64_t)a[1], a[0], &r->in, &r->nin);
    case SYS_clock_nanosleep:
        r->a = read_timespec(e->tid, (uint64_t)a[2]);
        break;
    case SYS_clone3: { /* struct clone_args starts with the flags */
        uint64_t fl;
        if (a[0] && peek(e->tid, (uint64_t)a[0], &fl, sizeof fl) == (ssize_t)sizeof fl)
            r->b = (int64_t)fl;
        break;
    }
    case SYS_clone:
        r->b = a[0];
        break;
    case SYS_rt_sigaction: { /* struct kernel_sigaction starts with it */
        uint64_t h;
        r->b = -1; /* no new action: it only asks */
        if (a[1] && peek(e->tid, (uint64_t)a[1], &h, sizeof h) == (ssize_t)sizeof h)
            r->b = h > 1; /* not SIG_DFL (0) nor SIG_IGN (1) */
        break;
    }
    case SYS_nanosleep:
        r->a = read_timespec(e->tid, (uint64_t)a[0]);
        break;
    default:
        break;
    }
    return 0;
}

/* What came back, once the call returned */
static int call_exit(struct tracer *tr, struct tracee *e, struct real_rec *r)
{
    const int64_t *a = r->args;
    if (r->ret < 0)
        return 0;
    switch (r->nr) {
    case SYS_pipe:
    case SYS_pipe2:
        r->a = read_pair(e->tid, (uint64_t)a[0]);
        break;
    case SYS_socketpair:
        r->a = read_pair(e->tid, (uint64_t)a[3]);
        break;
    case SYS_poll:
    case SYS_ppoll:
        return read_pollfds(tr, e->tid, (uint64_t)a[0], a[1], 1, &r->out, &r->nout);
    case SYS_select:
    case SYS_pselect6:
        return read_fdset(tr, e->tid, (uint64_t)a[1], a[0], &r->out, &r->nout);
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
        return read_epoll_events(tr, e->tid, (uint64_t)a[1], r->ret, &r->out,
                                 &r->nout);
    case SYS_wait4: {
        int st;
        if (a[1] && peek(e->tid, (uint64_t)a[1], &st, sizeof st) == (ssize_t)sizeof st)
            r->a = st;
        break;
    }
    default:
        break;
    }
    return 0;
}

/* The result of e's pending lazy call, from its struct real_done; d is
 * what was read from it now (NULL: read it here) */
static void settle(struct tracer *tr, struct tracee *e, const struct real_done *d)
{
    if (e->lazy < 0)
        return;
    struct real_done buf;
    if (!d) {
        if (peek(e->tid, e->done_addr, &buf, sizeof buf) != (ssize_t)sizeof buf)
            return; /* gone: the call stays unfinished */
        d = &buf;
    }
    struct real_rec *r = &tr->log->rec[e->lazy];
    /* the same call, and a result that came after it was entered */
    if (d->nr == r->nr && d->t_exit - tr->t0 >= r->t_enter) {
        r->ret = d->ret;
        r->t_exit = d->t_exit - tr->t0;
        if (r->t_exit < r->t_enter)
            r->t_exit = r->t_enter;
        r->unfinished = 0;
        e->lazy = -1;
    }
}

/* ---- ending the run ----------------------------------------------------- */

static volatile sig_atomic_t g_pgid, g_timed_out, g_interrupted;

static void on_deadline(int sig)
{
    (void)sig;
    g_timed_out = 1;
    if (g_pgid > 0)
        kill(-g_pgid, SIGKILL);
}

static void on_interrupt(int sig)
{
    (void)sig;
    g_interrupted = 1;
    if (g_pgid > 0)
        kill(-g_pgid, SIGKILL);
}

static void kill_all(struct tracer *tr)
{
    if (g_pgid > 0)
        kill(-g_pgid, SIGKILL);
    for (int i = 0; i < tr->cap; i++)
        if (tr->t[i].used)
            kill(tr->t[i].tid, SIGKILL);
}

struct saved_sigs {
    struct sigaction old[4];
    struct itimerval oldit;
};
static const int end_sigs[4] = {SIGALRM, SIGINT, SIGTERM, SIGHUP};

static void arm(struct saved_sigs *sv, int64_t deadline_ns)
{
    for (int i = 0; i < 4; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = i == 0 ? on_deadline : on_interrupt;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: waitpid returns EINTR */
        sigaction(end_sigs[i], &sa, &sv->old[i]);
    }
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = deadline_ns / 1000000000;
    it.it_value.tv_usec = deadline_ns % 1000000000 / 1000;
    if (!it.it_value.tv_sec && !it.it_value.tv_usec)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, &sv->oldit);
}

static void disarm(struct saved_sigs *sv)
{
    setitimer(ITIMER_REAL, &sv->oldit, NULL);
    for (int i = 0; i < 4; i++)
        sigaction(end_sigs[i], &sv->old[i], NULL);
}

/* ---- the loop ----------------------------------------------------------- */

static void on_exit_status(struct tracer *tr, pid_t tid, int st)
{
    struct tracee *e = find(tr, tid);
    if (!e)
        return;
    if (e->cur >= 0) {
        tr->log->rec[e->cur].unfinished = 1;
        e->cur = -1;
    }
    if (e->started) {
        long k = log_rec(tr->log, REAL_REC_EXIT, tid, e->pid);
        if (k < 0) {
            tr->oom = 1;
        } else {
            struct real_rec *r = &tr->log->rec[k];
            r->t_enter = now_ns() - tr->t0;
            r->a = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
            r->b = WIFSIGNALED(st);
        }
    }
    e->used = 0;
    tr->live--;
}

/* Every task of process pid gets exit stops from now on */
static void set_full(struct tracer *tr, pid_t pid)
{
    for (int i = 0; i < tr->cap; i++)
        if (tr->t[i].used && tr->t[i].pid == pid)
            tr->t[i].full = 1;
}

static void on_seccomp(struct tracer *tr, struct tracee *e)
{
    struct ptrace_syscall_info si;
    memset(&si, 0, sizeof si);
    long k = pt(PTRACE_GET_SYSCALL_INFO, e->tid, (void *)sizeof si, &si);
    int resume = PTRACE_CONT;
    if (k > 0 && si.op == PTRACE_SYSCALL_INFO_SECCOMP) {
        int nr = (int)si.seccomp.nr;
        int64_t t = now_ns() - tr->t0;
        if (nr == REAL_MARK_NR) {
            int kind = (int)si.seccomp.args[0];
            if (kind == REAL_MARK_START) {
                e->started = 1;
                e->done_addr = si.seccomp.args[3];
                e->lazy = -1;
            }
            if (e->started && (k = log_rec(tr->log, REAL_REC_MARK, e->tid, e->pid)) >= 0) {
                struct real_rec *r = &tr->log->rec[k];
                r->sub = (uint8_t)kind;
                r->t_enter = r->t_exit = t;
                r->a = (int64_t)si.seccomp.args[1];
                r->b = (int64_t)si.seccomp.args[2];
                r->c = (int64_t)si.seccomp.args[3];
                if (kind == REAL_MARK_START || kind == REAL_MARK_CO) {
                    char name[128];
                    if (peek_str(e->tid, si.seccomp.args[1], name, sizeof name) == 0)
                        r->str = log_str(tr->log, name);
                }
            } else if (e->started) {
                tr->oom = 1;
            }
        } else if (e->started) {
            struct real_done d;
            int have;
            const __u64 *av = si.seccomp.args;
            if (e->done_addr && real_fast(nr) && av[3] >> 48 == REAL_ARG_MAGIC) {
                /* what the struct holds, in the spare registers */
                d.line = (int32_t)(uint32_t)av[3];
                d.nr = (int32_t)(av[3] >> 32 & 0xffff);
                d.ret = (int64_t)av[4];
                d.t_exit = (int64_t)av[5];
                have = 1;
            } else {
                have = e->done_addr &&
                       peek(e->tid, e->done_addr, &d, sizeof d) == (ssize_t)sizeof d;
            }
            if (have)
                settle(tr, e, &d);
            k = log_rec(tr->log, REAL_REC_CALL, e->tid, e->pid);
            if (k < 0) {
                tr->oom = 1;
            } else {
                struct real_rec *r = &tr->log->rec[k];
                r->nr = nr;
                r->t_enter = t;
                for (int i = 0; i < 6; i++)
                    r->args[i] = (int64_t)si.seccomp.args[i];
                if (have)
                    r->line = d.line;
                if (call_entry(tr, e, r))
                    tr->oom = 1;
                if (nr == SYS_rt_sigaction && r->b == 1) /* a handler */
                    set_full(tr, e->pid);
                int mine = nr != SYS_futex || /* pthread_join's is glibc's */
                           si.seccomp.args[0] >> 32 == REAL_MEM_BASE >> 32;
                if (have && !e->full && real_lazy(nr) && mine) {
                    /* its result will be in the task's struct real_done */
                    e->lazy = k;
                    r->unfinished = 1;
                } else if (nr != SYS_exit && nr != SYS_exit_group) {
                    e->cur = k;
                    resume = PTRACE_SYSCALL;
                } else {
                    r->unfinished = 1;
                }
            }
        }
    }
    pt(resume, e->tid, 0, 0);
}

static void on_syscall_exit(struct tracer *tr, struct tracee *e)
{
    if (e->cur >= 0) {
        struct ptrace_syscall_info si;
        memset(&si, 0, sizeof si);
        long k = pt(PTRACE_GET_SYSCALL_INFO, e->tid, (void *)sizeof si, &si);
        struct real_rec *r = &tr->log->rec[e->cur];
        r->t_exit = now_ns() - tr->t0;
        if (k > 0 && si.op == PTRACE_SYSCALL_INFO_EXIT) {
            r->ret = si.exit.rval;
            if (call_exit(tr, e, r))
                tr->oom = 1;
        }
        e->cur = -1;
    }
    pt(PTRACE_CONT, e->tid, 0, 0);
}

static void on_new_task(struct tracer *tr, struct tracee *e, int event)
{
    unsigned long msg = 0;
    pt(PTRACE_GETEVENTMSG, e->tid, 0, &msg);
    pid_t child = (pid_t)msg, tid = e->tid;
    int thread = event == PTRACE_EVENT_CLONE;
    struct tracee *c = find(tr, child);
    if (!c) {
        c = add(tr, child, thread ? e->pid : child);
        e = find(tr, tid); /* add() may have moved the table */
    } else { /* its first stop came first: now we know its process */
        c->pid = thread ? e->pid : child;
    }
    if (c && e)
        c->full = e->full; /* handlers are inherited, and shared */
    if (c && e->started) {
        long k = log_rec(tr->log, REAL_REC_NEWTASK, e->tid, e->pid);
        if (k >= 0) {
            tr->log->rec[k].t_enter = now_ns() - tr->t0;
            tr->log->rec[k].a = child;
            tr->log->rec[k].b = thread;
        }
    }
    if (tr->ntotal > tr->max_tasks) {
        tr->log->too_many = 1;
        kill_all(tr);
    }
    pt(e->cur >= 0 ? PTRACE_SYSCALL : PTRACE_CONT, e->tid, 0, 0);
}

static void on_stop(struct tracer *tr, pid_t tid, int st)
{
    int sig = WSTOPSIG(st), event = st >> 16;
    struct tracee *e = find(tr, tid);
    if (!e) { /* a new task's first stop, before its parent's event */
        e = add(tr, tid, tid);
        if (!e) {
            pt(PTRACE_CONT, tid, 0, 0);
            return;
        }
    }
    if (sig == (SIGTRAP | 0x80)) {
        on_syscall_exit(tr, e);
        return;
    }
    if (sig == SIGTRAP && event) {
        switch (event) {
        case PTRACE_EVENT_SECCOMP:
            on_seccomp(tr, e);
            return;
        case PTRACE_EVENT_FORK:
        case PTRACE_EVENT_VFORK:
        case PTRACE_EVENT_CLONE:
            on_new_task(tr, e, event);
            return;
        case PTRACE_EVENT_EXIT: /* its memory is still there */
            settle(tr, e, NULL);
            break;
        case PTRACE_EVENT_EXEC:
            if (e->started) {
                long k = log_rec(tr->log, REAL_REC_EXEC, e->tid, e->pid);
                if (k >= 0)
                    tr->log->rec[k].t_enter = now_ns() - tr->t0;
            }
            break;
        default:
            break;
        }
        pt(e->cur >= 0 ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, 0);
        return;
    }
    if (e->fresh && sig == SIGSTOP) { /* the stop of a new tracee */
        e->fresh = 0;
        pt(PTRACE_CONT, tid, 0, 0);
        return;
    }
    e->fresh = 0;
    siginfo_t si;
    if (pt(PTRACE_GETSIGINFO, tid, 0, &si) < 0) {
        pt(PTRACE_CONT, tid, 0, 0); /* a group stop: go on */
        return;
    }
    settle(tr, e, NULL); /* the call returned before the signal came */
    if (e->started) {
        long k = log_rec(tr->log, REAL_REC_SIGNAL, tid, e->pid);
        if (k >= 0) {
            struct real_rec *r = &tr->log->rec[k];
            r->t_enter = now_ns() - tr->t0;
            r->a = sig;
            r->b = si.si_code;
            r->c = si.si_code <= 0 || si.si_code == SI_USER ? si.si_pid : 0;
        }
    }
    pt(e->cur >= 0 ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, (void *)(long)sig);
}

static void child_fail(int fd, const char *msg)
{
    ssize_t k = write(fd, msg, strlen(msg));
    (void)k;
    _exit(127);
}

int real_trace_run(int (*fn)(void *), void *arg, const struct real_limits *lim,
                   int trace, struct real_log *log)
{
    memset(log, 0, sizeof *log);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(log->err, sizeof log->err, "pipe: %s", strerror(errno));
        return -errno;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        snprintf(log->err, sizeof log->err, "fork: %s", strerror(e));
        return -e;
    }
    if (pid == 0) {
        close(p[0]);
        setpgid(0, 0);
        /* a clean signal state, whatever the caller had (the viewer's
         * handlers, a test harness's mask): dispositions to the default,
         * nothing blocked, no timer */
        struct itimerval none;
        memset(&none, 0, sizeof none);
        setitimer(ITIMER_REAL, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        char why[256];
        if (real_sandbox_enter(lim, why, sizeof why) < 0)
            child_fail(p[1], why);
        if (trace && syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) < 0) {
            snprintf(why, sizeof why, "ptrace is not permitted here "
                     "(PTRACE_TRACEME: %s)", strerror(errno));
            child_fail(p[1], why);
        }
        close(p[1]);
        if (trace) {
            raise(SIGSTOP);
            if (install_filter() < 0)
                _exit(126);
        }
        _exit(fn(arg) & 0xff);
    }
    setpgid(pid, pid); /* both sides: whichever runs first */
    log->root = pid;
    close(p[1]);
    ssize_t n, got = 0;
    while ((n = read(p[0], log->err + got, sizeof log->err - 1 - (size_t)got)) > 0 ||
           (n < 0 && errno == EINTR))
        if (n > 0)
            got += n;
    close(p[0]);
    log->err[got] = 0;
    int st;
    if (got > 0) { /* the sandbox could not be made */
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        return -EPERM;
    }
    struct tracer tr = {.log = log, .max_tasks = lim->max_tasks, .all = 0};
    tr.all = trace == REAL_TRACE_ALL; /* record every task, marked or not (tests) */
    g_pgid = pid;
    g_timed_out = g_interrupted = 0;
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    struct saved_sigs sv;
    int64_t start = now_ns();
    if (trace) {
        while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
            ;
        if (!WIFSTOPPED(st)) {
            snprintf(log->err, sizeof log->err, "the traced child did not start");
            prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
            return -ECHILD;
        }
        long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP |
                    PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                    PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
                    PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL;
        if (pt(PTRACE_SETOPTIONS, pid, 0, (void *)opts) < 0) {
            snprintf(log->err, sizeof log->err, "ptrace(PTRACE_SETOPTIONS): %s",
                     strerror(errno));
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
                ;
            prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
            return -EPERM;
        }
        struct tracee *e = add(&tr, pid, pid);
        if (e)
            e->fresh = 0;
        start = now_ns();
        pt(PTRACE_CONT, pid, 0, 0);
    }
    tr.t0 = start;
    arm(&sv, lim->deadline_ns);
    int root_done = 0;
    for (;;) {
        if (g_timed_out || g_interrupted || tr.oom)
            kill_all(&tr);
        pid_t w = waitpid(-1, &st, __WALL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: nothing left */
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (w == pid) {
                log->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                root_done = 1;
            }
            on_exit_status(&tr, w, st);
            if (root_done) /* what the run left behind goes too */
                kill_all(&tr);
            continue;
        }
        if (WIFSTOPPED(st))
            on_stop(&tr, w, st);
    }
    disarm(&sv);
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    log->wall_ns = now_ns() - start;
    log->timed_out = g_timed_out;
    log->interrupted = g_interrupted;
    g_pgid = 0;
    free(tr.t);
    if (tr.oom) {
        snprintf(log->err, sizeof log->err, "out of memory while tracing");
        return -ENOMEM;
    }
    if (log->status == 126 && trace && log->n == 0) {
        snprintf(log->err, sizeof log->err,
                 "seccomp filters are not permitted here");
        return -EPERM;
    }
    return 0;
}
