/*
 * real.h - running code for real, contained and traced (no curses here).
 *
 * The sandbox (sandbox.c) puts a process in its own user and network
 * namespace, where the only interface is a loopback of its own, with
 * limits on processes, fds and CPU time.  The tracer (tracer.c) runs a
 * function in such a sandboxed child and records what it and every process
 * and thread it makes do: ptrace with PTRACE_O_TRACESYSGOOD and
 * PTRACE_GET_SYSCALL_INFO, and a seccomp-bpf filter returning
 * SECCOMP_RET_TRACE for the syscalls of interest only (real_traced), so
 * the others run at full speed.  The run has a wall-clock deadline; every
 * process is in one process group that is killed and reaped when the run
 * ends, when the user presses Ctrl-C and on a fatal error, so a run leaves
 * no process and no socket behind.
 *
 * Records are appended to a struct real_log in the order the tracer saw
 * them (one record per syscall, filled in at its exit; signals, exits and
 * the runner's own marks).  Times are ns since the traced function began.
 *
 * The runner (runner.c) is such a function: it executes a compiled
 * scenario (prog.h) with real syscalls.  It talks to the tracer with one
 * syscall number no kernel has (REAL_MARK_NR): a traced call that returns
 * ENOSYS, whose arguments name the task that makes it or the scenario step
 * that made no syscall (a caption, an io_uring ring access).
 */
#ifndef IOSIM_REAL_H
#define IOSIM_REAL_H

#include <stddef.h>
#include <stdint.h>

/* The runner keeps a process's shared variables (the words locks,
 * condition variables and semaphores are made of) at this address; the
 * seccomp filter stops on the futex calls on this memory (the scenario's)
 * and on pthread_join's, not on glibc's own locks */
#define REAL_MEM_BASE 0x6f0000000000ULL

/* The runner's side channel to the tracer: syscall(REAL_MARK_NR, kind, ...) */
#define REAL_MARK_NR 1000

/* Marks: X(enum, name, what a, b, c of the record mean) */
#define REAL_MARKS(X) \
    X(START, "start", "a = the task's name (a string), b = its kind (TK_*) | its declaration << 8, c = address of its struct real_done") \
    X(SAY, "say", "a = index of the scenario string") \
    X(SQE, "sqe", "a = ring fd, b = TL_URING_ITEM of the request") \
    X(CQE, "cqe", "a = ring fd, b = TL_URING_ITEM of the completion, c = its user_data") \
    X(CO, "coroutine", "a = a coroutine's name (a string), b = REAL_CO_*")

/* REAL_MARK_CO: what happens to the coroutine named */
/* REAL_CO_HUB: made, and it is gevent's hub (it shows the hub's script) */
enum { REAL_CO_SWITCH, REAL_CO_MADE, REAL_CO_FINISHED, REAL_CO_HUB };

enum real_mark {
#define X(e, n, h) REAL_MARK_##e,
    REAL_MARKS(X)
#undef X
    REAL_MARK__COUNT
};

/* Record kinds: X(enum, name) */
#define REAL_RECS(X) \
    X(CALL, "call")       /* a syscall: nr, args, ret, t_enter, t_exit */ \
    X(SIGNAL, "signal")   /* a signal is delivered: a = signo, b = si_code,
                             c = sender pid (0 from the kernel) */ \
    X(EXIT, "exit")       /* the task ended: a = status, b = 1 if by signal */ \
    X(NEWTASK, "newtask") /* a = new tid, b = 1 thread / 0 process */ \
    X(EXEC, "exec")       /* the task called execve and it succeeded */ \
    X(MARK, "mark")       /* the runner's mark: sub = enum real_mark */

enum real_rec_kind {
#define X(e, n) REAL_REC_##e,
    REAL_RECS(X)
#undef X
    REAL_REC__COUNT
};

/* An fd with poll/epoll events, from an fd_set, a pollfd or epoll_event
 * array the tracer read out of the tracee */
struct real_fdev {
    int32_t fd;
    uint32_t ev;
};

struct real_rec {
    int64_t t_enter, t_exit; /* ns; t_exit = -1: it never returned */
    int64_t args[6];
    int64_t ret;             /* result or -errno, restart codes as the
                                kernel leaves them (-512 ERESTARTSYS ...) */
    int64_t a, b, c;         /* per kind, see REAL_RECS; CALL: extra values
                                read from the tracee (below) */
    int32_t tid, pid;        /* pid: the thread group (process) */
    int32_t nr;              /* x86_64 syscall number */
    int32_t line;            /* script line the task was at, 0 if unknown */
    int32_t in, nin;         /* fds passed in: log->fdev[in .. in+nin) */
    int32_t out, nout;       /* fds that came back ready */
    uint8_t kind;            /* enum real_rec_kind */
    uint8_t sub;
    uint8_t unfinished;      /* the task exited inside the call */
    uint8_t pad;
    int32_t str;             /* index into log->strs, -1: none */
};
/* CALL extras: a = the port of a sockaddr (bind, connect), the fds of
 * pipe2/socketpair (TL_FD_PAIR), the epoll_event of epoll_ctl (b = fd, c =
 * events), the wait status of wait4, the nanoseconds of a sleep; b = the
 * flags of clone and clone3, 1 if rt_sigaction installs a handler (0 it
 * restores SIG_DFL or SIG_IGN, -1 it only asks) */

struct real_log {
    struct real_rec *rec;
    size_t n, cap;
    struct real_fdev *fdev;
    size_t nfdev, fdevcap;
    char **strs;
    int nstrs, strcap;
    int64_t wall_ns;   /* how long the run took */
    int timed_out;     /* the deadline passed: everything was killed */
    int interrupted;   /* Ctrl-C (or SIGTERM, SIGHUP) ended it */
    int too_many;      /* the task limit was reached */
    int status;        /* the traced function's exit status */
    int root;          /* its pid: the process group of the run */
    char err[256];     /* why the run could not be made, when it failed */
};

void real_log_free(struct real_log *log);
const char *real_rec_name(int kind);
const char *real_mark_name(int mark);

/* The limits of a sandboxed run */
struct real_limits {
    int64_t deadline_ns; /* wall clock, whole run */
    int max_tasks;       /* processes and threads, all told */
    int max_fds;         /* RLIMIT_NOFILE's hard limit of each process */
    int cpu_s;           /* RLIMIT_CPU of each process */
};
#define REAL_LIMITS_DEFAULT {10 * 1000000000LL, 256, 65536, 10}

/*
 * Make the calling process a sandbox: its own user namespace (mapped to the
 * caller's uid and gid) and network namespace with the loopback up, and the
 * limits.  Called in a child right after fork.  Returns 0, or -errno with a
 * one-line reason in why (namespaces not permitted, and so on).
 */
int real_sandbox_enter(const struct real_limits *lim, char *why, size_t len);

/* 0 if this kernel lets this user make the sandbox, trace with ptrace and
 * filter with seccomp; else -errno and one line in why saying what is not
 * permitted */
int real_sandbox_probe(char *why, size_t len);

/* The syscall numbers the seccomp filter stops on (x86_64), ended by -1 */
extern const int real_traced[];
/* 1 if real_traced holds nr */
int real_is_traced(int nr);
/* The name of an x86_64 syscall number, "syscall_N" if not known here */
const char *real_sys_name(int nr);

/*
 * Run fn(arg) in a sandboxed child, traced: every record goes to log.
 * trace: REAL_TRACE_MARKED records each task from its START mark on (the
 * runner), REAL_TRACE_ALL every task from its first call (a program that
 * does not mark), REAL_UNTRACED runs it in the same sandbox untraced (the
 * overhead figure).
 * Returns 0 when the run was made (check log->timed_out, interrupted,
 * status), or -errno with log->err set when it could not be.
 * On return no process of the run is left: all are killed and reaped.
 */
enum { REAL_UNTRACED, REAL_TRACE_MARKED, REAL_TRACE_ALL };
int real_trace_run(int (*fn)(void *), void *arg, const struct real_limits *lim,
                   int trace, struct real_log *log);

/*
 * What the runner writes after each call of the kinds real_lazy() names,
 * in the thread's memory; the START mark gives its address.  The tracer
 * reads it (process_vm_readv) at the thread's next stop instead of
 * stopping the thread a second time at the call's exit: one stop a call
 * instead of two.  A process that installs a signal handler gets exit
 * stops again for every call, so that an interrupted call shows the
 * kernel's restart code as strace does.
 */
struct real_done {
    int32_t line;    /* the script line running (read at every stop) */
    int32_t nr;      /* the syscall that returned */
    uint64_t seq;    /* how many have returned */
    int64_t ret;     /* its result, -errno */
    int64_t t_exit;  /* CLOCK_MONOTONIC ns when it returned */
};
/* 1 for the calls whose result a task's struct real_done carries */
int real_lazy(int nr);

/*
 * Faster still, for the calls of three arguments or fewer (real_fast):
 * the runner passes what its struct real_done holds in the argument
 * registers the kernel does not read, so the tracer needs no
 * process_vm_readv at that stop:
 *   args[3] = REAL_ARG_MAGIC << 48 | the last result's nr << 32 | line
 *   args[4] = the last result, args[5] = when it came (CLOCK_MONOTONIC)
 */
#define REAL_ARG_MAGIC 0x10c5ULL
int real_fast(int nr);

/* The runner's mark, a no-op syscall the tracer sees (ENOSYS untraced) */
long real_mark(int kind, long a, long b, long c);

#endif
