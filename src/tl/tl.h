/*
 * tl.h - the timeline: iosim's one shared vocabulary.
 *
 * A timeline is what the simulator (src/sim) and the real runner (src/real)
 * produce and what the viewer (src/ui) and the exporters read.  It owns:
 *   - metadata tables that only grow (tasks, kernel objects, queues, strings),
 *   - an append-only array of events ordered by (time, sequence): the index of
 *     an event in the array is its sequence number.
 * Events are deltas: applying them in order to an empty world (world.h)
 * rebuilds the whole system state at any index.  Nothing may change an event
 * once appended; producers append, readers only read.
 *
 * Field use per event type is written next to each type below; unused fields
 * are 0 (or TL_NONE for obj, TL_NOTASK for task).
 */
#ifndef IOSIM_TL_H
#define IOSIM_TL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TL_NONE (-1)
#define TL_NOTASK 0xffffu

/* Task kinds: X(enum, name) */
#define TL_TASK_KINDS(X) \
    X(PROCESS, "process") \
    X(THREAD, "thread") \
    X(PEER, "peer") \
    X(COROUTINE, "coroutine")

enum tl_task_kind {
#define X(e, n) TK_##e,
    TL_TASK_KINDS(X)
#undef X
    TK__COUNT
};

/* Task states: X(enum, name, one-line meaning) */
#define TL_STATES(X) \
    X(NONE, "none", "does not exist yet") \
    X(NEW, "new", "created, not yet runnable") \
    X(READY, "ready", "runnable, waiting in the run queue for a CPU") \
    X(RUNNING, "running", "on a CPU") \
    X(BLOCKED, "blocked", "asleep in the kernel until something happens") \
    X(EXITED, "exited", "finished") \
    X(SUSPENDED, "suspended", "a coroutine not running: it yielded, or was never switched to") \
    X(ZOMBIE, "zombie", "exited, but its parent has not waited for it yet: the kernel keeps its pid and exit status")

enum tl_state {
#define X(e, n, h) TS_##e,
    TL_STATES(X)
#undef X
    TS__COUNT
};

/* What a blocked task waits for (event.a of STATE when state is BLOCKED) */
#define TL_WAITS(X) \
    X(NOTHING, "") \
    X(DATA, "data") \
    X(SPACE, "buffer space") \
    X(CONNECTION, "a connection") \
    X(TIMER, "a timer") \
    X(CHILD, "a child") \
    X(THREAD, "a thread") \
    X(EVENTS, "events") \
    X(SIGNAL, "a signal") \
    X(COMPLETION, "a completion") \
    X(CONNECT, "the handshake") \
    X(FUTEX, "a lock (futex)") \
    X(GIL, "the GIL")

enum tl_wait {
#define X(e, n) TW_##e,
    TL_WAITS(X)
#undef X
    TW__COUNT
};

/* Syscalls, with the name Linux (x86_64, glibc) really uses for them. */
#define TL_SYSCALLS(X) \
    X(READ, "read") \
    X(WRITE, "write") \
    X(RECVFROM, "recvfrom") \
    X(SENDTO, "sendto") \
    X(SOCKET, "socket") \
    X(BIND, "bind") \
    X(LISTEN, "listen") \
    X(ACCEPT, "accept") \
    X(CONNECT, "connect") \
    X(CLOSE, "close") \
    X(FCNTL, "fcntl") \
    X(PIPE2, "pipe2") \
    X(SOCKETPAIR, "socketpair") \
    X(CLOCK_NANOSLEEP, "clock_nanosleep") \
    X(EXIT_GROUP, "exit_group") \
    X(EXIT, "exit") \
    X(CLONE, "clone") \
    X(CLONE3, "clone3") \
    X(WAIT4, "wait4") \
    X(FUTEX, "futex") \
    X(SELECT, "pselect6") /* glibc's select() on x86_64 */ \
    X(POLL, "poll") \
    X(EPOLL_CREATE1, "epoll_create1") \
    X(EPOLL_CTL, "epoll_ctl") \
    X(EPOLL_WAIT, "epoll_wait") \
    X(RT_SIGACTION, "rt_sigaction") \
    X(RT_SIGRETURN, "rt_sigreturn") \
    X(IO_URING_SETUP, "io_uring_setup") \
    X(IO_URING_ENTER, "io_uring_enter") \
    X(PAUSE, "pause") \
    X(TIMERFD_CREATE, "timerfd_create") \
    X(TIMERFD_SETTIME, "timerfd_settime") \
    X(PRLIMIT64, "prlimit64") /* glibc's setrlimit() on x86_64 */ \
    X(WRITEV, "writev") \
    X(MMAP, "mmap") \
    X(RT_SIGPROCMASK, "rt_sigprocmask") \
    X(GETTID, "gettid") \
    X(GETPID, "getpid") \
    X(TGKILL, "tgkill") \
    X(SETSOCKOPT, "setsockopt") \
    X(GETSOCKOPT, "getsockopt") \
    X(IOCTL, "ioctl") /* ioctl(fd, FIONBIO, [1]): gevent's non-blocking sockets */ \
    X(EVENTFD2, "eventfd2") \
    X(OPENAT, "openat")

enum tl_sys {
#define X(e, n) SYS_##e,
    TL_SYSCALLS(X)
#undef X
    SYS__COUNT
};

/*
 * A recorded timeline (src/real) meets every syscall Linux has.  Those the
 * table above does not model are numbered after it: TL_SYS_LINUX + the
 * x86_64 syscall number (src/tl/linux_sys.h), so that an event's sub names
 * any syscall.  tl_sys_of_nr() maps a Linux number to the modelled entry
 * when there is one (read, 0 -> SYS_READ), else to TL_SYS_LINUX + nr; every
 * value below TL_SYS_ALL has a name.
 */
#define TL_SYS_LINUX SYS__COUNT
#define TL_SYS_ALL (SYS__COUNT + 463)
int tl_sys_of_nr(int nr);

/* Kernel objects an fd can point to: X(enum, name) */
#define TL_OBJ_KINDS(X) \
    X(TTY, "tty") \
    X(SOCKET, "socket") \
    X(LISTEN, "listening socket") \
    X(PIPE_R, "pipe (read end)") \
    X(PIPE_W, "pipe (write end)") \
    X(EPOLL, "epoll") \
    X(URING, "io_uring") \
    X(FILE, "file") \
    X(EVENTFD, "eventfd") \
    X(TIMERFD, "timerfd") \
    X(SIGNALFD, "signalfd") \
    X(INOTIFY, "inotify") \
    X(INPUT, "input device") /* evdev: /dev/input/eventN */ \
    X(OTHER, "open file") /* a recorded fd whose kind the trace does not say */

enum tl_obj_kind {
#define X(e, n) OK_##e,
    TL_OBJ_KINDS(X)
#undef X
    OK__COUNT
};

/* file status flags (FLAGS.sub) */
#define TL_FL_NONBLOCK 0x1u
#define TL_FL_ASYNC 0x2u

/* The signals the models raise (Linux x86_64 numbering) */
#define TL_SIGIO 29
#define TL_SIGCHLD 17
/* SIGNAL.b of a SIGCHLD: the child's pid, its status (the exit code, or the
 * signal that killed it) and whether a signal killed it */
#define TL_CHLD_INFO(pid, status, killed) \
    ((int64_t)(uint32_t)(pid) | (int64_t)((status) & 0xffff) << 32 | \
     (int64_t)((killed) != 0) << 48)
#define TL_CHLD_PID(b) ((int)((b) & 0xffffffff))
#define TL_CHLD_STATUS(b) ((int)(((b) >> 32) & 0xffff))
#define TL_CHLD_KILLED(b) ((int)(((b) >> 48) & 1))
/* SYS_ENTER.a of SYS_RT_SIGACTION: the signal, | TL_SA_RESTART if set */
#define TL_SA_RESTART ((int64_t)1 << 16)

/* SYS_ENTER.a of SYS_FCNTL says which command:
 *   fcntl(fd, F_SETOWN, pid)   TL_F_SETOWN | pid
 *   fcntl(fd, F_GETFL)         TL_F_GETFL; the result is Linux's flag word
 *                              (tl_linux_flags)
 *   fcntl(fd, F_SETFL, flags)  TL_F_SETFL(accmode, TL_FL_* flags), accmode
 *                              0 O_RDONLY, 1 O_WRONLY, 2 O_RDWR */
#define TL_F_SETOWN ((int64_t)1 << 40)
/* SYS_ENTER.a of SYS_PIPE2 and SYS_SOCKETPAIR: the two fds it returns */
#define TL_FD_PAIR(a, b) \
    ((int64_t)((uint64_t)(uint32_t)(a) | (uint64_t)(uint32_t)(b) << 32))
#define TL_FD_PAIR_A(v) ((int)(int32_t)(uint32_t)((uint64_t)(v) & 0xffffffff))
#define TL_FD_PAIR_B(v) ((int)(int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define TL_F_GETFL ((int64_t)1 << 41)
#define TL_F_SETFL(acc, fl) ((int64_t)(fl) | (int64_t)(acc) << 8)
/* Linux's O_ flag word (x86_64): accmode | O_NONBLOCK 04000 | O_ASYNC 020000 */
static inline int64_t tl_linux_flags(int acc, int fl)
{
    return acc | ((fl & TL_FL_NONBLOCK) ? 04000 : 0) |
           ((fl & TL_FL_ASYNC) ? 020000 : 0);
}
/* SYS_ENTER.b of pselect6, poll, epoll_wait and io_uring_enter: the
 * timeout it was given, as TL_TMO(ns), always negative (a recorded
 * timeline's argument strings use b > 0); 0 = none (NULL or -1: for ever).
 * pselect6 and io_uring_enter take a timespec (ns), poll and epoll_wait
 * an int of milliseconds. */
#define TL_TMO(ns) (-(int64_t)(ns) - 1)
#define TL_TMO_NS(b) (-(int64_t)(b) - 1)
/* epoll events an item asks for (epoll_ctl's list in a scenario: in, out,
 * et, oneshot, exclusive), the bits of struct epoll_event's events that
 * iosim models: EPOLLIN, EPOLLOUT, EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE */
#define TL_EP_IN 0x1u
#define TL_EP_OUT 0x2u
#define TL_EP_ET 0x4u
#define TL_EP_ONESHOT 0x8u
#define TL_EP_EXCLUSIVE 0x10u
/* SYS_ENTER.a of SYS_EPOLL_CTL: the fd, and with TL_EPCTL_FULL also the
 * operation (0 ADD, 1 MOD, 2 DEL) and the TL_EP_* events, so that text and
 * JSON show them as strace does; a bare fd (an imported trace) has none */
#define TL_EPCTL_FULL ((int64_t)1 << 62)
#define TL_EPCTL_ARG(op, fd, ev) \
    (TL_EPCTL_FULL | (int64_t)(uint32_t)(fd) | (int64_t)(op) << 32 | \
     (int64_t)(ev) << 40)
#define TL_EPCTL_FD(v) \
    ((v) & TL_EPCTL_FULL ? (int)(int32_t)(uint32_t)((v) & 0xffffffff) \
                         : (int)(v))
#define TL_EPCTL_OP(v) ((int)(((v) >> 32) & 0xff))
#define TL_EPCTL_EV(v) ((unsigned)(((v) >> 40) & 0xffff))
/* SYS_ENTER.obj of SYS_SELECT and SYS_POLL, and SYSCALL.obj of those and
 * SYS_EPOLL_WAIT, may name a string instead of an fd (pselect6 and poll
 * have none; epoll_wait's is on its entry), as strace prints it: on entry
 * the sets passed, "[3 5], NULL" (readfds, writefds), or the pollfd array,
 * "[{fd=3, events=POLLIN}]"; on a return > 0 what the call wrote back:
 * the sets it left, "in [3]" or "in [3], out [4]", the entries whose
 * revents is set, "[{fd=3, revents=POLLIN}]", or the events,
 * "[{events=EPOLLIN, data={u32=5, u64=5}}]".  SYSCALL.obj of SYS_WAIT4
 * that reaped a child with &status: the status it wrote,
 * "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]" (tl_wstatus_text; its entry's
 * obj is the pid asked, a = 1 with &status).  TL_NONE (-1) and fds are
 * >= -1. */
#define TL_STR_OBJ(id) (-2 - (int32_t)(id))
#define TL_OBJ_STR(obj) (-2 - (obj))
/* SYS_ENTER.a of SYS_WRITEV: which of glibc's fatal messages it writes
 * to fd 2 (__libc_message writes "*** ", the text, " ***: terminated\n") */
#define TL_MSG_FDSET 1 /* "bit out of range 0 - FD_SETSIZE on fd_set" */
/* SYS_ENTER.a of SYS_MMAP: what is mapped, and its length; obj = the fd
 * (TL_NONE for an anonymous map).  The result is the address. */
enum tl_mmap_kind { TL_MMAP_ANON, TL_MMAP_SQ_RING, TL_MMAP_CQ_RING,
                    TL_MMAP_SQES };
#define TL_MMAP_ARG(kind, len) ((int64_t)(kind) << 56 | (int64_t)(len))
#define TL_MMAP_KIND(v) ((int)((uint64_t)(v) >> 56))
#define TL_MMAP_LEN(v) ((int64_t)((uint64_t)(v) & 0xffffffffffffffull))
/* SYS_ENTER.a of SYS_RT_SIGPROCMASK: the signal SIG_UNBLOCK unblocks;
 * of SYS_TGKILL: tgid | tid << 24 | sig << 48 */
#define TL_TGKILL_ARG(pid, tid, sig) \
    ((int64_t)(pid) | (int64_t)(tid) << 24 | (int64_t)(sig) << 48)
#define TL_TGKILL_PID(v) ((int)((v) & 0xffffff))
#define TL_TGKILL_TID(v) ((int)(((v) >> 24) & 0xffffff))
#define TL_TGKILL_SIG(v) ((int)(((v) >> 48) & 0xff))
/* SYS_ENTER.a of SYS_FUTEX: 0 for pthread_join's wait on a thread's tid
 * (obj = the tid); TL_FUTEX_WAIT | val for futex(addr, FUTEX_WAIT_PRIVATE,
 * val, NULL), TL_FUTEX_WAKE | n for futex(addr, FUTEX_WAKE_PRIVATE, n)
 * (glibc's lock and unlock when contended) */
#define TL_FUTEX_WAIT ((int64_t)1 << 40)
#define TL_FUTEX_WAKE ((int64_t)2 << 40)
#define TL_FUTEX_VAL(a) ((int)((a) & 0xffffffff))
/* with TL_FUTEX_WAIT: a timed wait (a condition variable's timedwait:
 * FUTEX_WAIT_BITSET_PRIVATE with an absolute timeout) */
#define TL_FUTEX_TIMED ((int64_t)4 << 40)
/* with neither WAIT nor WAKE: CPython's Thread.join, a wait on the thread
 * state lock (a semaphore: glibc's sem_wait, futex(addr, FUTEX_WAIT_BITSET_
 * PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL)) instead of pthread_join's */
#define TL_FUTEX_SEM ((int64_t)8 << 40)
/* SYS_ENTER.a of SYS_SETSOCKOPT and SYS_GETSOCKOPT: the value (32 bits;
 * for getsockopt the one it reads back) and the option,
 * SOL_SOCKET's SO_SNDBUF (7) or SO_RCVBUF (8) */
#define TL_SOCKOPT_ARG(opt, val) ((int64_t)(uint32_t)(val) | (int64_t)(opt) << 32)
#define TL_SOCKOPT_OPT(v) ((int)((uint64_t)(v) >> 32))
#define TL_SOCKOPT_VAL(v) ((int64_t)((v) & 0xffffffff))
#define TL_SO_SNDBUF 7
#define TL_SO_RCVBUF 8
/* SYS_ENTER.a of SYS_PRLIMIT64 (RLIMIT_NOFILE): the new soft and hard
 * limits, each clamped to 32 bits */
#define TL_RLIM_ARG(cur, max) ((int64_t)(cur) | (int64_t)(max) << 32)
#define TL_RLIM_CUR(v) ((int64_t)((v) & 0xffffffff))
#define TL_RLIM_MAX(v) ((int64_t)((uint64_t)(v) >> 32))
/* The hard RLIMIT_NOFILE processes start with (systemd's default) and the
 * most any limit may be (fs.nr_open) */
#define TL_NOFILE_HARD 524288
#define TL_NR_OPEN 1048576
/* SYS_ENTER.a of SYS_IO_URING_ENTER: to_submit | min_complete << 32, both
 * unsigned int as the syscall takes them (so no shift can overflow) */
#define TL_URING_ENTER_ARG(sub, wait) \
    ((int64_t)((uint64_t)(uint32_t)(sub) | (uint64_t)(uint32_t)(wait) << 32))
#define TL_URING_ENTER_SUB(v) ((int64_t)((uint64_t)(v) & 0xffffffff))
#define TL_URING_ENTER_WAIT(v) ((int64_t)((uint64_t)(v) >> 32))

/* io_uring operations an SQE can carry: X(enum, IORING_OP_ name, keyword) */
#define TL_URING_OPS(X) \
    X(READ, "IORING_OP_READ", "read") \
    X(WRITE, "IORING_OP_WRITE", "write") \
    X(RECV, "IORING_OP_RECV", "recv") \
    X(SEND, "IORING_OP_SEND", "send")

enum tl_uring_op {
#define X(e, n, k) TU_##e,
    TL_URING_OPS(X)
#undef X
    TU__COUNT
};

/*
 * Items of io_uring queues (QUEUE.a on TQK_SQ and TQK_CQ queues), packed
 * in one int64 so that the ring's contents are visible without side tables:
 *   SQE  op << 56 | fd << 32 | len      (the request as the task wrote it)
 *   CQE  op << 56 | fd << 32 | (uint32)res   (user_data is the fd; res is the
 *        byte count or -errno, as in struct io_uring_cqe)
 */
#define TL_URING_ITEM(op, fd, v) \
    ((int64_t)(op) << 56 | (int64_t)((fd) & 0xffffff) << 32 | \
     (int64_t)(uint32_t)(v))
#define TL_URING_OP(it) ((int)(((uint64_t)(it) >> 56) & 0xff))
#define TL_URING_FD(it) ((int)(((uint64_t)(it) >> 32) & 0xffffff))
#define TL_URING_LEN(it) ((int64_t)(uint32_t)(it))
#define TL_URING_RES(it) ((int64_t)(int32_t)(uint32_t)(it))

/*
 * A message: what a task, a result or a request is, told apart by a kind
 * (the id of a timeline string, its name: "task", "result") and a 32-bit
 * value, packed in one int64 (kind << 32 | value), so that a queue item
 * names it without a side table.  The bytes that carry it are counted as
 * any bytes are; the message rides on them (TQK_MSGS).
 */
#define TL_MSG(kind, v) ((int64_t)((uint64_t)(uint32_t)(kind) << 32 | \
                                   (uint64_t)(uint32_t)(v)))
#define TL_MSG_KIND(m) ((int)(uint32_t)((uint64_t)(m) >> 32))
#define TL_MSG_VAL(m) ((int64_t)(int32_t)(uint32_t)((uint64_t)(m) & 0xffffffff))
/* the value of a message that carries none (a handshake's bytes) */
#define TL_MSG_NOVAL INT32_MIN

/* SWITCH.sub: next(g), g.send(v), a generator's yield, its end
 * (StopIteration), greenlet's switch, a switched greenlet's end */
#define TL_STOP_ITERATION (-((int64_t)1 << 62)) /* next's value at the end */
/* gevent's hub (sim/hub.c): a greenlet waits in the hub (a = the fd it
 * waits for; -1 a timer, -2 its turn after a sleep(0), -3 the end of a
 * greenlet it joins), the hub switches to the greenlet whose fd is
 * ready (a = that fd), whose timer is due (a = -1) or whose callback runs
 * (a = -2: a sleep(0), a join's end), or starts one that gevent.spawn
 * queued (a = 0) */
enum tl_switch { TSW_NEXT, TSW_SEND, TSW_YIELD, TSW_STOP, TSW_SWITCH,
                 TSW_RETURN, TSW_WAIT, TSW_READY, TSW_START };
#define TSW__COUNT (TSW_START + 1)

/* Queue operations (QUEUE.sub) */
/* TQ_INSERT: the item goes in at position b (0 = the front) of the queue,
 * which keeps a timer heap shown in deadline order */
enum tl_qop { TQ_PUSH, TQ_POP, TQ_REMOVE, TQ_INSERT };

/*
 * Items of event queues (TQK_EVENTS: an input device's buffer, a process's
 * `evqueue`) and timer heaps (TQK_TIMERS), packed in one int64:
 *   event  name << 32 | (uint32)payload
 *   timer  name << 40 | deadline in us (40 bits: 12 days)
 * name is the string id of the event's kind ("click") or of the handler
 * it calls ("on_read"), | TL_EVQ_HANDLER for a handler.
 */
#define TL_EVQ_HANDLER 0x400000
#define TL_EVQ_ITEM(name, v) \
    ((int64_t)(name) << 32 | (int64_t)(uint32_t)(int32_t)(v))
#define TL_EVQ_NAME(it) ((int)(((uint64_t)(it) >> 32) & 0x3fffff))
#define TL_EVQ_IS_HANDLER(it) ((int)(((uint64_t)(it) >> 32) & TL_EVQ_HANDLER) != 0)
#define TL_EVQ_VALUE(it) ((int64_t)(int32_t)(uint32_t)(it))
#define TL_TIMER_ITEM(name, t_ns) \
    ((int64_t)(name) << 40 | ((int64_t)(t_ns) / 1000 & 0xffffffffffLL))
#define TL_TIMER_NAME(it) ((int)(((uint64_t)(it) >> 40) & 0x3fffff))
#define TL_TIMER_T(it) ((int64_t)((uint64_t)(it) & 0xffffffffffULL) * 1000)

/* CALL.sub: a handler is called, or returns */
enum tl_call { TCALL_CALL, TCALL_RETURN };

/* MEM.sub */
enum tl_mem_op { TM_LOAD, TM_STORE, TM_COPY, TM_CAS, TM_XCHG };

/* COPY.sub */
enum tl_copy_dir { TC_TO_USER, TC_TO_KERNEL };

/*
 * Event types: X(enum, json name, meaning).  Fields:
 *   TASK_NEW   task = new task (metadata in tl->tasks)
 *   STATE      task, sub = state, obj = object waited on (BLOCKED), a = wait
 *              reason (enum tl_wait) or cpu (RUNNING; READY: the CPU whose
 *              run queue it joins, tl_run_queue; a READY while ready is a
 *              move to another CPU's queue) or exit code (EXITED,
 *              ZOMBIE: the code, or 128 + the signal that killed it).  An
 *              EXITED that ends a process's life after it was a child has
 *              obj = the task whose wait4 reaped it, TL_REAP_INIT (an
 *              orphan: init reaps it as it exits) or TL_REAP_INIT_ZOMBIE
 *              (a zombie orphaned: init reaps it then); else obj = -1
 *   SYS_ENTER  task, sub = syscall (enum tl_sys, or TL_SYS_LINUX + nr),
 *              obj = fd argument or TL_NONE, a = size argument, b = 0, or
 *              in a recorded timeline 1 + the string id of the argument
 *              list as strace printed it (without the parentheses), or
 *              (b < 0) the timeout of a waiting call or timerfd_settime's
 *              interval (TL_TMO; a = its first expiry, 0 disarms)
 *   SYSCALL    task, sub = syscall, obj = fd argument, a = return value
 *              (negative errno on failure), b = duration since SYS_ENTER
 *   FD_OPEN    task = process owning the fd table, a = fd, obj = object,
 *              sub = flags
 *   FD_CLOSE   task = process, a = fd, obj = object
 *   FLAGS      task = process, a = fd, obj = object, sub = new file status
 *              flags: they belong to the open file description, so every fd
 *              pointing at obj sees them (fcntl(2) F_SETFL)
 *   DATA       obj = object whose receive buffer grows, a = bytes (negative:
 *              bytes leave the send buffer of obj and b is the receiver);
 *              see world.c
 *   COPY       task, obj, sub = tl_copy_dir, a = bytes, b = duration;
 *              task TL_NOTASK: the kernel copies on no task's behalf in
 *              the script (an io_uring request completing)
 *   EOF        obj = object whose reader will now see end of file
 *   QUEUE      obj = queue id, sub = tl_qop, a = item
 *   CAPTION    a = string id of the text, task = task that said it or none
 *   OBJ_NEW    obj = new object (metadata in tl->objs), sub = kind,
 *              a = port
 *   OBJ_SET    obj, sub = new kind, a = port (a socket starts listening)
 *   OBJ_FREE   obj = object whose last reference went away
 *   SIGNAL     task = target, a = signal number, sub = 0 raised (now
 *              pending), 1 handled (the handler starts), 2 raised while
 *              already pending: merged with it (standard signals do not
 *              queue), 3 raised and discarded (its action is to ignore it:
 *              SIGCHLD by default); a SIGCHLD has b = TL_CHLD_INFO
 *   REPARENT   task = a process whose parent exited, a = its new parent's
 *              task index, or -1 for init (pid 1)
 *   SCAN       task, sub = syscall, a = entries the kernel scanned, b = ns
 *              it took (select/poll check every watched fd; epoll_wait
 *              only reads the ready list)
 *   SWITCH     task = the coroutine that hands over, obj = the task that
 *              runs next, sub = enum tl_switch (why), a = the value passed
 *              (a generator's yielded value, what send or switch gives)
 *   MEM        task = the task that reads or writes, obj = the TQK_MEM queue
 *              of the variable, a = the value, sub = tl_mem_op: a load
 *              (nothing changes), a store, a fork's copy (task = the
 *              child process: same value, its own memory), or an atomic
 *              read-modify-write (lock cmpxchg, xchg) with b = the value
 *              before and a = the value after (a == b: a failed cmpxchg)
 *   CALL       task, sub = enum tl_call, a = the value passed (call), b =
 *              the string id of the handler's name: a function call in
 *              user space (`call`, `dispatch`), no new task, no syscall
 *   ARGCOPY    task, obj = the syscall (enum tl_sys) whose argument is
 *              copied, sub = tl_copy_dir, a = bytes, b = duration: no
 *              buffer changes (pselect6's fd_set, poll's pollfd array)
 */
#define TL_REAP_INIT (-2)
#define TL_REAP_INIT_ZOMBIE (-3)
#define TL_EVENTS(X) \
    X(TASK_NEW, "task", "a task is created") \
    X(STATE, "state", "a task changes state") \
    X(SYS_ENTER, "syscall_enter", "a task enters a syscall") \
    X(SYSCALL, "syscall", "a syscall returns") \
    X(FD_OPEN, "fd_open", "a new fd in a process's fd table") \
    X(FD_CLOSE, "fd_close", "an fd is removed from a table") \
    X(FLAGS, "flags", "an open file's status flags change (fcntl)") \
    X(DATA, "data", "bytes move between kernel buffers") \
    X(COPY, "copy", "bytes copied between kernel and user space") \
    X(EOF, "eof", "the other end closed: readers will see end of file") \
    X(QUEUE, "queue", "an item enters or leaves a kernel or user queue") \
    X(CAPTION, "caption", "narration for this step") \
    X(OBJ_NEW, "object", "a kernel object is created") \
    X(OBJ_SET, "object_set", "a socket becomes a listening socket") \
    X(OBJ_FREE, "object_free", "a kernel object is released") \
    X(SIGNAL, "signal", "a signal is raised or handled") \
    X(SCAN, "scan", "the kernel checks watched fds for readiness") \
    X(ARGCOPY, "arg_copy", "a syscall's fd list copied between user and kernel space") \
    X(MEM, "mem", "a task loads or stores a variable in memory its threads share") \
    X(REPARENT, "reparent", "an orphan gets a new parent (init)") \
    X(SWITCH, "switch", "control passes from one coroutine to another, in user space") \
    X(CALL, "call", "a handler is called or returns (a function call in the task)")

enum tl_ev_type {
#define X(e, j, h) EV_##e,
    TL_EVENTS(X)
#undef X
    EV__COUNT
};

/*
 * An event is 32 bytes: a timeline of 10^7 events must fit a laptop with
 * its checkpoints (docs/design.md, "Memory").  Time and line share one
 * word, type and sub another, as bit-fields read like plain fields.
 * Producers keep within them: time in 0..TL_T_MAX (a scenario's `limit`
 * cannot pass it; a longer recorded trace stops there, with a note), a
 * line past TL_LINE_MAX recorded as 0 (none).
 */
#define TL_T_MAX (((int64_t)1 << 45) - 1) /* 9 h 46 min of virtual time */
#define TL_LINE_MAX ((1 << 18) - 1)
#define TL_SUB_MAX ((1 << 11) - 1)
struct tl_ev {
    int64_t t : 46;     /* virtual time, ns, 0..TL_T_MAX */
    uint64_t line : 18; /* script line the task is executing, 0 if none */
    int64_t a;
    int64_t b;
    int32_t obj;
    uint16_t task;      /* TL_NOTASK if none */
    uint16_t type : 5;  /* enum tl_ev_type */
    uint16_t sub : 11;  /* per type; a syscall needs more than 8 bits */
};
_Static_assert(sizeof(struct tl_ev) == 32, "an event is 32 bytes");
_Static_assert(EV__COUNT <= 32, "event types fit tl_ev.type");
_Static_assert(TL_SYS_ALL <= TL_SUB_MAX + 1, "syscalls fit tl_ev.sub");

/* An event as the four words the compiler lays it out in: bit-fields from
 * the low bits up, little-endian (GCC and Clang on x86-64 and arm64;
 * test_sim's test_event_words checks that tl_ev_make and the fields
 * agree).  An engine that
 * makes millions of events writes them so: assigning the bit-fields one
 * by one writes parts of words, and copying the event then waits on
 * them, or reads the cold destination line to merge them in. */
union tl_ev_words {
    struct tl_ev e;
    uint64_t w[4];
};
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tl_ev_make assumes a little-endian layout of struct tl_ev"
#endif
static inline union tl_ev_words tl_ev_make(int64_t t, unsigned line,
                                           int64_t a, int64_t b, int32_t obj,
                                           unsigned task, unsigned type,
                                           unsigned sub)
{
    union tl_ev_words u;
    u.w[0] = ((uint64_t)t & (((uint64_t)1 << 46) - 1)) | (uint64_t)line << 46;
    u.w[1] = (uint64_t)a;
    u.w[2] = (uint64_t)b;
    u.w[3] = (uint64_t)(uint32_t)obj | (uint64_t)(task & 0xffffu) << 32 |
             (uint64_t)(type & 31u) << 48 | (uint64_t)(sub & TL_SUB_MAX) << 53;
    return u;
}

/* The name a Python process's main module runs under, when multiprocessing
 * started it (tl_task.module): a forked child keeps __main__, a spawned
 * one re-imports the main module as __mp_main__ */
enum tl_module { TL_MOD_NONE, TL_MOD_MAIN, TL_MOD_MP_MAIN };
const char *tl_module_name(int module); /* "__main__", or NULL for none */

struct tl_task {
    char *name;
    uint8_t kind;   /* enum tl_task_kind */
    uint8_t module; /* enum tl_module: set once, when the task is made or
                       execs (tl_task_set_module) */
    int32_t parent; /* task index or -1 */
    int32_t proc;   /* task index of the process owning the fd table */
    int32_t script; /* index into tl->scripts or -1 */
};

struct tl_obj {
    uint8_t kind;  /* enum tl_obj_kind */
    int32_t peer;  /* other end (socket, pipe) or -1 */
    int64_t rxcap; /* receive buffer capacity, 0 if none */
    int64_t txcap; /* send buffer capacity, 0 if none */
    int32_t port;  /* listening/connected port or 0 */
    int32_t queue; /* first queue owned by the object or -1 */
    int32_t owner; /* task index of the process that created it, -1 */
};

/* TQK_EVENTS: events waiting (kind and payload, TL_EVQ_ITEM), oldest
 * first: an input device's buffer, a process's event queue.  TQK_TIMERS:
 * a process's timer heap, earliest deadline first (TL_TIMER_ITEM). */
/* TQK_MSGS: the messages in the bytes on their way to an object (a pipe's
 * read end, a socket), oldest first, or written to the terminal; items are
 * TL_MSG values.  A message leaves when its last byte is read.  */
/* TQK_MEM: a `shared` variable in a process's memory: one item, its value
 * (kept by MEM events).  TQK_FUTEX: the tasks asleep in FUTEX_WAIT on a
 * word of that memory, oldest first (items are task indexes). */
enum tl_queue_kind { TQK_RUN, TQK_ACCEPT, TQK_INTEREST, TQK_READY, TQK_SQ,
                     TQK_CQ, TQK_EVENTS, TQK_SIGNALS, TQK_MEM, TQK_FUTEX,
                     TQK_TICKS, TQK_MSGS, TQK_TIMERS };

struct tl_queue {
    char *name;
    uint8_t kind;  /* enum tl_queue_kind: what items mean */
    uint8_t quiet; /* nothing to watch in this run (a GIL no thread ever
                      waited for): the viewer lists it last and lets it
                      give way when rows are short */
    int32_t owner; /* object or task index, or -1 (TQK_MEM, TQK_FUTEX:
                      the process whose memory the word is in; -1 for
                      memory processes map together) */
};

/* A task's script as source text, shown by the viewer (lines are 1-based) */
struct tl_script {
    char *title; /* e.g. "scenarios/epoll.scn" or "web (epoll template)" */
    char **lines;
    int nlines;
};

struct tl {
    char *title;
    char *source;  /* path of the scenario or trace */
    char *model;   /* "blocking", "epoll", ... or "strace" */
    int ncpus;
    struct tl_ev *ev;
    size_t nev, evcap;
    size_t evready; /* tl_push: events up to here are on resident pages */
    size_t evmax;   /* the producer's limit on events, 0: none; tl_push makes
                       no page resident past it */
    struct tl_task *tasks;
    int ntasks, taskcap;
    char *names, *names_at; /* the blocks the tasks' names are in (tl.c) */
    size_t names_left, names_bytes;
    struct tl_obj *objs;
    int nobjs, objcap;
    struct tl_queue *queues;
    int nqueues, queuecap;
    char **strs;   /* equal texts share one copy (tl_add_str) */
    int nstrs, strcap;
    uint8_t *strown; /* bit i: strs[i] is its text's copy (tl_free frees
                        those), not one more id for it */
    int strowncap;   /* bytes */
    size_t strbytes;  /* what the copies take (tl_malloc_bytes) */
    int32_t *strhash; /* while produced: ids + 1 of strs by their text */
    int strhashcap, strhashn;
    struct tl_script *scripts;
    int nscripts, scriptcap;
    int truncated; /* 1 if the producer stopped at a limit */
    char *note;    /* why it stopped early, or NULL */
};

/* The run queue of CPU cpu: queue cpu when the producer made one per CPU
 * (queues 0 .. ncpus-1 of kind TQK_RUN, made right after tl_new), else
 * queue 0, the one tl_new makes */
static inline int tl_run_queue(const struct tl *tl, int64_t cpu)
{
    return cpu > 0 && cpu < tl->nqueues && cpu < tl->ncpus &&
                   tl->queues[cpu].kind == TQK_RUN
               ? (int)cpu : 0;
}

/* Has the producer made a run queue per CPU? */
static inline int tl_cpu_queues(const struct tl *tl)
{
    return tl->ncpus > 1 && tl->nqueues > 1 && tl->queues[1].kind == TQK_RUN;
}

struct tl *tl_new(void);
void tl_free(struct tl *tl);

/*
 * Grow the array *pv points to (of *cap elements of size bytes) to hold at
 * least need, doubling from 16; 0 or -ENOMEM (the array is then unchanged).
 * pv is the address of the array's pointer, whatever its element type.
 */
int tl_grow(void *pv, int *cap, int need, size_t size);
/* Append an event; returns its index, or -ENOMEM.  Inline while the
 * next slot is on a resident page; tl_push_slow grows the block or makes
 * more of it resident. */
long tl_push_slow(struct tl *tl, const struct tl_ev *ev);
/* The line 8 events on is asked for now (for writing): the populated
 * pages are not in any cache, and a store there would wait for it.  Only
 * within the resident block (an address past the array is not one C
 * lets us form). */
static inline void tl_prefetch_ahead(const struct tl *tl)
{
    if (tl->nev + 8 < tl->evready)
        __builtin_prefetch(&tl->ev[tl->nev + 8], 1);
}
/* tl_push of an event made with tl_ev_make, stored as whole words (one
 * store each: a copy of the union would go through the stack) */
static inline long tl_push_words(struct tl *tl, const union tl_ev_words *u)
{
    if (tl->nev >= tl->evready)
        return tl_push_slow(tl, &u->e);
    tl_prefetch_ahead(tl); /* as tl_push */
    char *d = (char *)&tl->ev[tl->nev];
    uint64_t w0 = u->w[0], w1 = u->w[1], w2 = u->w[2], w3 = u->w[3];
    memcpy(d, &w0, 8);
    memcpy(d + 8, &w1, 8);
    memcpy(d + 16, &w2, 8);
    memcpy(d + 24, &w3, 8);
    return (long)tl->nev++;
}
static inline long tl_push(struct tl *tl, const struct tl_ev *ev)
{
    if (tl->nev >= tl->evready)
        return tl_push_slow(tl, ev);
    tl_prefetch_ahead(tl);
    tl->ev[tl->nev] = *ev;
    return (long)tl->nev++;
}
/* Give back unused capacity (events, metadata, the strings' table) once a
   producer is done. */
void tl_shrink(struct tl *tl);
/* Bytes the timeline holds: capacities, strings, and what malloc adds */
size_t tl_bytes(const struct tl *tl);
/* Bytes malloc takes for a block of n bytes (glibc's 8-byte header,
 * 16-byte alignment, 32 at least), for counting what a structure holds */
size_t tl_malloc_bytes(size_t n);

/* Metadata: each returns the new index or -ENOMEM.  Strings are copied. */
void tl_task_set_module(struct tl *tl, int task, int module);
int tl_add_task(struct tl *tl, const char *name, int kind, int parent, int proc,
                int script);
int tl_add_obj(struct tl *tl, const struct tl_obj *o);
int tl_add_queue(struct tl *tl, const char *name, int kind, int owner);
/* A new id, whose text is shared with an equal one already added */
int tl_add_str(struct tl *tl, const char *s);
/* A new id for the text of id, which must be one tl_add_str gave: what
 * tl_add_str(tl, tl->strs[id]) gives, without looking the text up */
int tl_add_str_again(struct tl *tl, int id);
int tl_add_script(struct tl *tl, const char *title, char **lines, int n);
int tl_set_str(char **dst, const char *s);

const char *tl_ev_name(int type);
const char *tl_ev_help(int type);
const char *tl_sys_name(int sys);
const char *tl_state_name(int st);
const char *tl_wait_name(int w);
const char *tl_task_kind_name(int k);
const char *tl_obj_kind_name(int k);
/* "EAGAIN" for -EAGAIN etc; NULL if ret >= 0 */
const char *tl_errno_name(int64_t ret);
/* The kernel's own codes for a syscall a signal interrupted; a program
 * never sees them (it gets EINTR, or the call is restarted), strace does */
#define TL_ERESTARTSYS 512
#define TL_ERESTARTNOHAND 514
#define TL_ERESTART_RESTARTBLOCK 516

/* -errno for "EAGAIN" etc, or 0 if unknown */
int tl_errno_value(const char *name);
int tl_sys_lookup(const char *name);

#endif
