/*
 * trace.h - recorded syscalls into a timeline: the part shared by iosim's
 * own tracer (ptrace) and the strace log importer.
 *
 * A producer feeds one struct trace_call per syscall, plus the signals and
 * exits it saw, in any order; trace_finish() orders every moment by time
 * (ties keep the order of submission) and writes a timeline in src/tl's
 * vocabulary, starting at time 0 for the first moment, derived from the
 * calls alone:
 *   - tasks: the first task seen is a process; clone/clone3/fork/vfork
 *     that return a tid make a new task, a thread of the caller's process
 *     when the flags hold CLONE_THREAD, else a process with a copy of the
 *     caller's fd table.  A task may appear before its parent's clone
 *     returns (strace -f often shows the child first).  A task's name is
 *     the program it runs ("nginx[1234]"): its last execve that succeeded,
 *     or its parent's program;
 *   - states: running between calls; blocked from entry to return inside a
 *     call that can sleep (read, accept, epoll_wait, futex, wait4, ...),
 *     unless the fd is O_NONBLOCK or a regular file, or the timeout is 0;
 *     a write-like call only when it lasted 1 ms or more (it sleeps only
 *     on a full buffer); exited at the exit or "killed by" record;
 *   - fd tables and objects: socket, accept/accept4, pipe/pipe2,
 *     socketpair, epoll_create(1), eventfd, timerfd_create, signalfd,
 *     inotify_init, open/openat/creat, memfd_create, io_uring_setup make
 *     fds pointing to new objects; dup/dup2/dup3 and fcntl F_DUPFD(_CLOEXEC)
 *     make fds pointing to the same object (dup2 onto an open fd closes it
 *     first); close and close_range close them; the last close frees the
 *     object.  An fd used but never made (opened before the trace began) is
 *     in the table from its process's start, as "open file" unless its
 *     kind is given (fds 0-2 of unknown kind: one terminal);
 *   - vfork and clone(CLONE_VFORK) block the parent until the child execs
 *     or exits;
 *   - flags: O_NONBLOCK from SOCK_NONBLOCK/O_NONBLOCK/EFD_NONBLOCK at
 *     creation, fcntl F_SETFL, ioctl FIONBIO;
 *   - bytes: a read/recv-like call's result is a copy kernel -> user, a
 *     write/send-like call's a copy user -> kernel; poll's pollfd array and
 *     pselect6's fd_sets are copied in and back, epoll_wait's ready events
 *     back (arg_copy events, as the simulator has them).  A trace does not see
 *     how full kernel buffers are, so objects have no capacities;
 *   - bind's port and listen make a listening socket (object_set);
 *   - signals delivered ("--- SIGCHLD {...} ---"), handled when the process
 *     installed a handler for it (rt_sigaction), and deaths by a signal.
 *
 * Calls carry the result as the kernel returned it: a value, a negative
 * errno, or a kernel restart code (-512 ERESTARTSYS ...) when a signal cut
 * the call short, as strace shows it.
 *
 * Lifetime: trace_new(), any number of trace_call/trace_signal/trace_exit,
 * then trace_finish() (which may be called once) and trace_free().  Every
 * function copies what it is given.  Failures are negative errno.
 */
#ifndef IOSIM_TRACE_H
#define IOSIM_TRACE_H

#include <stdint.h>

#include "tl/tl.h"

/* One watched or ready fd: pollfd, epoll_event, a member of an fd_set */
struct trace_fdev {
    int32_t fd;
    uint32_t ev; /* poll: POLLIN.. (asked, or revents); epoll: EPOLLIN..;
                    select: TRACE_SEL_READ | _WRITE | _EXCEPT */
};
#define TRACE_SEL_READ 1u
#define TRACE_SEL_WRITE 2u
#define TRACE_SEL_EXCEPT 4u

#define TRACE_FD_CLOEXEC 0x100u /* trace_call.flags: the new fd closes on exec */
#define TRACE_WSTATUS_ASKED 0x10000 /* trace_call.size of wait4 */
#define TRACE_WSTATUS_SET 0x20000

/*
 * One syscall.  Fields a call does not have are -1 (fds, timeout_ns,
 * kind) or 0.  What `size` and `arg` hold, per call:
 *   read/write/pread64/pwrite64/recvfrom/sendto/recvmsg/sendmsg/readv/
 *   writev/sendfile   size = bytes asked (the result is bytes moved)
 *   pselect6/select/poll/ppoll   size = nfds; pselect6/select: arg = the
 *                      number of fd_sets given (not NULL)
 *   epoll_wait/epoll_pwait(2)    size = maxevents
 *   epoll_ctl          arg = op (EPOLL_CTL_ADD 1, DEL 2, MOD 3), fd2 = fd
 *   listen             size = backlog
 *   bind/connect       arg = port (0 if not an inet address)
 *   clock_nanosleep/nanosleep   size = ns asked
 *   clone/clone3/fork/vfork     arg = clone flags (fork: SIGCHLD only,
 *                      vfork: CLONE_VM|CLONE_VFORK|SIGCHLD); ret = new tid
 *   fcntl              arg = cmd (F_DUPFD 0, F_GETFL 3, F_SETFL 4,
 *                      F_SETOWN 8, F_DUPFD_CLOEXEC 1030), size = its
 *                      argument (F_SETFL: the O_ flag word)
 *   dup2/dup3          fd = oldfd, fd2 = newfd
 *   kill/tgkill/tkill  arg = signal
 *   wait4/waitid       arg = pid asked; wait4: size = TRACE_WSTATUS_ASKED
 *                      when a status pointer was given, | TRACE_WSTATUS_SET
 *                      | the word the kernel wrote there once it did
 *   rt_sigaction       arg = signal, size = 1 if it installs a handler
 *                      (not SIG_DFL or SIG_IGN), 0 if it restores one,
 *                      -1 if it only asks
 *   io_uring_enter     size = to_submit, arg = min_complete
 *   exit/exit_group    arg = status
 *   ioctl              arg = request (FIONBIO 0x5421), size = its int
 *                      argument when it is one
 */
struct trace_call {
    int32_t tid;         /* the thread that made it (strace's pid column) */
    int32_t sys;         /* enum tl_sys, or TL_SYS_LINUX + nr (tl.h) */
    int64_t t_enter;     /* ns, from any epoch (the timeline starts at the
                            first moment of the trace) */
    int64_t t_exit;      /* ns, >= t_enter; unused when !returned */
    int64_t ret;         /* the result, or -errno / -restart code */
    int32_t returned;    /* 1: it returned ret; 0: it never returned
                            (exit_group, killed, the log ended) */
    int32_t fd;          /* the fd it works on */
    int32_t fd2;         /* a second fd (dup2/dup3 newfd, epoll_ctl's) */
    int32_t fds[2];      /* pipe/pipe2/socketpair: the fds it made */
    int32_t kind;        /* enum tl_obj_kind of the fd it makes, or of fd,
                            when the producer knows it (strace -yy); -1 */
    uint32_t flags;      /* TL_FL_* status flags a new fd gets, and
                            TRACE_FD_CLOEXEC (O_CLOEXEC, SOCK_CLOEXEC...) */
    int64_t size;
    int64_t arg;
    int64_t timeout_ns;  /* how long it may sleep: -1 for ever, 0 not at all */
    const struct trace_fdev *in; /* fds watched (select/poll), the event
                                   registered (epoll_ctl) */
    int nin;
    const struct trace_fdev *out; /* fds that came back ready */
    int nout;
    const char *text;    /* the argument list as strace prints it, without
                            the parentheses, or NULL */
    const char *path;    /* execve: the program; openat: the path; NULL */
    int32_t line;        /* line of the log it came from, 0 if none */
    int32_t script;      /* the log (trace_script) that line is in, -1 */
};

/* Something to fill a call with before setting its fields: -1s and 0s */
void trace_call_init(struct trace_call *c);

struct trace;

struct trace *trace_new(void);
void trace_free(struct trace *tr);

int trace_call(struct trace *tr, const struct trace_call *c);
/* A signal delivered to tid ("--- SIGCHLD {...} ---") */
int trace_signal(struct trace *tr, int tid, int64_t t, int sig);
/* tid ended: "+++ exited with status +++" (sig 0), or "+++ killed by
 * SIG +++" */
int trace_exit(struct trace *tr, int tid, int64_t t, int status, int sig);

/* The text of a log, shown beside the timeline with the line each task is
 * at (records name it by the number returned, and their line).  Returns
 * the script's number (0, 1, ...) or -errno. */
#define TRACE_SCRIPT_MAX_LINES 200000 /* longer logs are not kept whole */
int trace_script(struct trace *tr, const char *title, const char *text, size_t len);

/* A caption at time t (TRACE_START: the first moment of the trace) */
#define TRACE_START INT64_MIN
int trace_caption(struct trace *tr, int64_t t, const char *text);

/* What iosim's own runner knows that a trace does not (src/real/real_tl.c):
 * tid's name and kind (enum tl_task_kind) as the scenario has them, given
 * before its first record; host >= 0 makes tid a coroutine of thread host
 * (a task of host's process, suspended until a switch runs it; tid is then
 * any number no thread uses) */
int trace_name(struct trace *tr, int tid, int64_t t, const char *name,
               int kind, int host);
/* A caption at t, said by tid's task (a scenario's `say`) */
int trace_caption_by(struct trace *tr, int tid, int64_t t, const char *text);
/* In user space, coroutine from is suspended and to runs */
int trace_switch(struct trace *tr, int from, int to, int64_t t);

/* Counts of what was fed, for reports and tests */
struct trace_counts {
    long calls;          /* trace_call records */
    long unfinished;     /* of them, calls that never returned */
    long errors;         /* of them, calls that returned -errno */
    long signals, exits;
    int tasks;
};
void trace_get_counts(const struct trace *tr, struct trace_counts *n);

/* Bytes the records hold now (the timeline built from them takes about
 * as much again) */
size_t trace_bytes(const struct trace *tr);

/* Build the timeline (title and source as tl.h has them, model "strace"
 * or "real").  Returns 0 and *out, or -errno; the trace is spent either
 * way (only trace_free() may follow). */
int trace_finish(struct trace *tr, const char *title, const char *source,
                 const char *model, struct tl **out);

#endif
