/*
 * prog.h - a compiled scenario: machine parameters, task declarations and
 * one flat array of instructions that the engine (sim.c) interprets.
 *
 * The parser (scn*.c) is the only producer; the engine and the viewer only
 * read a prog.  Control flow is compiled to jumps, so the engine needs no
 * tree walking.  Every instruction keeps the line and column it came from:
 * the viewer highlights the running line, errors at run time name it.
 *
 * Values are int64: an fd, a byte count, a duration in ns, or a syscall
 * result (negative errno on failure, so `n == EAGAIN` compares with
 * -EAGAIN).  Variables are slots numbered per top-level task declaration.
 * A slot is either a task's own (a local: a new thread, coroutine or forked
 * child starts with a copy of its creator's values) or, when declared
 * `shared` (prog_task.slot_shared), a word of the process's memory: every
 * thread and coroutine of the process reads and writes the same one, and a
 * forked child gets a copy of the whole memory (copy-on-write).
 */
#ifndef IOSIM_PROG_H
#define IOSIM_PROG_H

#include <stdint.h>
#include "cost.h"
#include "tl/tl.h"

/*
 * Operations: X(enum, keyword, operand spec, help).
 * Operand spec letters, one per operand in order:
 *   f  an fd (a variable or an integer)
 *   n  a size in bytes (integer with optional K/M/G suffix, or a variable)
 *   d  a duration (integer with ns/us/ms/s unit, or a variable)
 *   p  a port number (integer)
 *   o  an fcntl flag name: O_NONBLOCK or O_ASYNC
 *   u  an io_uring operation: read, write, recv, send (enum tl_uring_op)
 *   e  an epoll_ctl operation: add, mod, del
 *   v  an optional value (integer or variable)
 *   t  an optional duration (integer with its unit, or a variable): a
 *      timeout (absent = wait for ever), or timerfd_settime's interval
 *   s  a string
 *   m  a `shared` variable used as a lock (a futex word)
 *   r  a resource limit: RLIMIT_NOFILE (the only one modelled)
 *   k  a socket option: SO_SNDBUF or SO_RCVBUF
 *   h  a handler: the name of one defined in the declaration, or a
 *      variable holding one (a callback)
 *   w  a kind (a message's, an event's): a word (`task`, `click`), a
 *      string ("task") or a variable that holds one (PROG_KIND); the name
 *      of a handler defined above is that handler (PROG_HANDLER).  Optional
 *      in write and send
 * Results (the names before '=') are listed in the help text.
 * Operations that are control flow (if, loop, ...) are not in this table.
 * Every operation also runs for real: give a new one its entry in ops[] of
 * src/real/runner.c (tests/test_runner.c fails for one without).
 */
#define PROG_OPS(X) \
    X(SOCKET, "socket", "", "fd = socket: a new unconnected TCP socket") \
    X(LISTEN, "listen", "fp", "listen FD PORT: bind FD to PORT on every address (0.0.0.0) and listen") \
    X(ACCEPT, "accept", "f", "fd = accept FD: take a connection from the accept queue") \
    X(CONNECT, "connect", "p", "fd = connect PORT: a new socket connected to PORT") \
    X(PIPE, "pipe", "", "r, w = pipe: a pipe's read end and write end") \
    X(SOCKETPAIR, "socketpair", "", "a, b = socketpair: two connected sockets") \
    X(READ, "read", "fn", "n = read FD SIZE: read up to SIZE bytes") \
    X(RECV, "recv", "fn", "n = recv FD SIZE: like read, on a socket (recvfrom)") \
    X(WRITE, "write", "fnwv", "n = write FD SIZE [KIND [VALUE]]: write SIZE bytes (that carry the message KIND VALUE)") \
    X(SEND, "send", "fnwv", "n = send FD SIZE [KIND [VALUE]]: like write, on a socket (sendto)") \
    X(CLOSE, "close", "f", "close FD") \
    X(FCNTL, "fcntl", "fo", "fcntl FD O_NONBLOCK: set a flag on FD") \
    X(COMPUTE, "compute", "d", "compute TIME: use the CPU for TIME") \
    X(SLEEP, "sleep", "d", "sleep TIME: block for TIME (clock_nanosleep)") \
    X(EXIT, "exit", "v", "exit [CODE]: end the task (a process ends all its threads)") \
    X(FORK, "fork", "", "pid = fork { ... }: a child process runs the block") \
    X(THREAD, "thread", "", "tid = thread { ... }: a new thread runs the block") \
    X(COROUTINE, "coroutine", "", "co = coroutine { ... }: a coroutine of this thread runs the block when a yield switches to it") \
    X(YIELD, "yield", "v", "[x =] yield [VALUE]: switch to the next coroutine of this thread (in user space: no syscall); in a generator, hand VALUE back to next/send (x = what send gives back)") \
    X(GENERATOR, "generator", "", "g = generator [NAME] { ... }: a generator: made, it runs nothing until next or send") \
    X(NEXT, "next", "fv", "v = next G [VALUE]: run generator G to its next yield; v = the yielded value, StopIteration once it is done; with VALUE, G's pending yield returns it (Python's G.send(VALUE))") \
    X(SWITCH, "switch", "fv", "[v =] switch CO [VALUE]: greenlet's switch: run coroutine CO (or parent) now, handing it VALUE; v = the value the next switch back gives") \
    X(JOIN, "join", "f", "join TID: wait for a thread to exit (pthread_join: a futex wait only if it is still running)") \
    X(WAIT, "wait", "v", "pid [, status] = wait [PID]: wait4: wait for a child process (PID, or any) to exit and reap it: its pid and status (the exit code, or 128 + the signal that killed it); until then it is a zombie") \
    X(TYPE, "type", "n", "type SIZE: the user types SIZE bytes at the terminal; a read of fd 0 gets them") \
    X(SAY, "say", "s", "say [once] \"TEXT\": show TEXT as the caption when reached (once: the first time only)") \
    X(SELECT, "select", "", "n = select [FD...] [TIMEOUT]: wait until one of the fds (default: the watched ones) is readable, or TIMEOUT passes (n = 0)") \
    X(POLL, "poll", "", "n = poll [FD...] [TIMEOUT]: like select, with a pollfd array") \
    X(WATCH, "watch", "f", "watch FD [in] [out]: add FD to the task's own fd set (FD_SET in readfds and/or writefds, or a pollfd entry with POLLIN/POLLOUT; in by default)") \
    X(UNWATCH, "unwatch", "f", "unwatch FD [in] [out]: remove FD from the task's own fd set (FD_CLR; both by default)") \
    X(EPOLL_CREATE, "epoll_create", "", "ep = epoll_create [cloexec]: a new epoll instance, epoll_create1(0); cloexec: epoll_create1(EPOLL_CLOEXEC), as CPython's select.epoll() and selectors make it") \
    X(EPOLL_CTL, "epoll_ctl", "fef", "epoll_ctl EP add|mod|del FD [in] [out] [et] [oneshot] [exclusive]: change the interest list (events: in by default)") \
    X(EPOLL_WAIT, "epoll_wait", "fvt", "n = epoll_wait EP [MAXEVENTS] [TIMEOUT]: wait for ready fds, at most MAXEVENTS (default 64) per call, or TIMEOUT (n = 0)") \
    X(SIGACTION, "sigaction", "", "sigaction SIGIO [SA_RESTART] { ... }: install a handler; the block runs when the signal is delivered (SA_RESTART: read, write, accept, connect and wait4 it interrupts are made again)") \
    X(PAUSE, "pause", "", "n = pause: sleep until a signal is delivered (returns EINTR)") \
    X(URING_SETUP, "io_uring_setup", "n", "ring = io_uring_setup ENTRIES: a new io_uring (submission and completion rings)") \
    X(PREP, "prep", "fufn", "id = prep RING read|write|recv|send FD SIZE: write a request into the submission ring (no syscall); id = its user_data") \
    X(URING_ENTER, "io_uring_enter", "fvt", "n = io_uring_enter RING [WAIT [TIMEOUT]]: submit the queued requests, wait for WAIT completions (at most TIMEOUT: ETIME)") \
    X(CQE, "cqe", "f", "id, res = cqe RING: take the oldest completion (no syscall): its user_data and result; id = EAGAIN if none") \
    X(TIMERFD_CREATE, "timerfd_create", "", "tfd = timerfd_create: a timer that is an fd (CLOCK_MONOTONIC): readable when it expires, epoll can watch it") \
    X(CLOCK, "clock", "", "t = clock: the time now, in ns (clock_gettime(CLOCK_MONOTONIC) through the vDSO: no syscall)") \
    X(TIMERFD_SETTIME, "timerfd_settime", "fdt", "timerfd_settime TFD VALUE [INTERVAL]: arm the timer to expire after VALUE, then every INTERVAL (VALUE 0 disarms)") \
    X(LOCK, "lock", "m", "lock M: pthread_mutex_lock on M, a shared variable (0 free, 1 locked, 2 locked with waiters): an atomic compare-and-swap in user space; only if M is taken, futex FUTEX_WAIT_PRIVATE until it is handed back") \
    X(UNLOCK, "unlock", "m", "unlock M: pthread_mutex_unlock: an atomic exchange with 0; only if a thread waits (M was 2), futex FUTEX_WAKE_PRIVATE to wake one") \
    X(COND_WAIT, "cond_wait", "mm", "cond_wait C M: pthread_cond_wait: join C's waiters, unlock M, sleep in futex FUTEX_WAIT_PRIVATE until signalled, then lock M again") \
    X(COND_SIGNAL, "cond_signal", "m", "cond_signal C: pthread_cond_signal: if a thread waits on C, wake one (futex FUTEX_WAKE_PRIVATE, 1); none waiting: no syscall") \
    X(COND_BROADCAST, "cond_broadcast", "m", "cond_broadcast C: pthread_cond_broadcast: wake every thread waiting on C (futex FUTEX_WAKE_PRIVATE, INT_MAX); none waiting: no syscall") \
    X(SEM_WAIT, "sem_wait", "m", "sem_wait S: take one from counting semaphore S (a shared variable: its count): an atomic decrement if S > 0, else futex FUTEX_WAIT_PRIVATE until a sem_post") \
    X(SEM_POST, "sem_post", "m", "sem_post S: add one to S (an atomic increment); if a thread waits, futex FUTEX_WAKE_PRIVATE to wake one") \
    X(SETRLIMIT, "setrlimit", "rnv", "setrlimit RLIMIT_NOFILE SOFT [HARD]: change the process's fd limit (prlimit64); SOFT <= HARD, and HARD may only go down") \
    X(SETSOCKOPT, "setsockopt", "fkn", "setsockopt FD SO_SNDBUF|SO_RCVBUF SIZE: ask for a socket buffer size; the kernel doubles it for its bookkeeping") \
    X(GETSOCKOPT, "getsockopt", "fk", "n = getsockopt FD SO_SNDBUF|SO_RCVBUF: the buffer size the kernel keeps (twice what setsockopt asked for)") \
    X(SET, "set", "v", "x = set VALUE: assign") \
    X(START, "start", "", "pid = start [fork|spawn] [NAME] { ... }: multiprocessing's Process(target=...).start() in a python process: fork clones the process (pipe2, clone); spawn runs a fresh interpreter (pipe2, vfork, execve) that re-imports the main module as __mp_main__ before it runs the block") \
    X(MP_PIPE, "mp_pipe", "", "a, b = mp_pipe [oneway]: multiprocessing.Pipe(): socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC), both ends send and receive; oneway: Pipe(duplex=False), pipe2(O_CLOEXEC), r receives and w sends") \
    X(CONN_SEND, "conn_send", "fwvv", "conn_send FD KIND [VALUE [SIZE]]: Connection.send((KIND, VALUE)): pickle it, then write the 4-byte length and the pickle in one write (two when the pickle, or SIZE, is over 16 KiB)") \
    X(CONN_RECV, "conn_recv", "f", "kind [, value] = conn_recv FD: Connection.recv(): read the 4-byte length, then the pickle (read blocks while nothing is there); kind = EOFError at end of file") \
    X(MP_LOCK, "mp_lock", "", "l = mp_lock: multiprocessing.Lock(): a SemLock, a POSIX semaphore in shared memory (sem_open: openat, write, mmap, link, unlink in /dev/shm) that forked children share") \
    X(ACQUIRE, "acquire", "f", "acquire L: SemLock.acquire(): an atomic decrement if L is free, else futex FUTEX_WAIT (shared) until a release") \
    X(RELEASE, "release", "f", "release L: SemLock.release(): an atomic increment; if a process waits, futex FUTEX_WAKE to wake one") \
    X(MP_QUEUE, "mp_queue", "", "q = mp_queue [simple]: multiprocessing.Queue(): a pipe2(O_CLOEXEC) and SemLocks for readers and writers; simple: SimpleQueue() (no feeder thread)") \
    X(PUT, "put", "fwv", "put Q KIND [VALUE]: Queue.put((KIND, VALUE)): append to the process's buffer and notify its feeder thread (started by the first put: clone3), which writes it to the pipe; a SimpleQueue writes it at once, under its write lock") \
    X(MP_MANAGER, "mp_manager", "", "m = mp_manager: multiprocessing.Manager(): fork a server process (SyncManager) that listens on an AF_UNIX socket and sends its address back through a pipe") \
    X(MP_DICT, "mp_dict", "f", "d = mp_dict M: M.dict(): a connection to M's server (socket, connect, the authentication handshake both ways), a create request and its reply; d is the proxy") \
    X(MP_SET, "mp_set", "fwv", "mp_set D KEY VALUE: D[KEY] = VALUE through the proxy: a request and a reply on this thread's connection to the server (made, with the handshake, on its first use)") \
    X(MP_GET, "mp_get", "fw", "v = mp_get D KEY: v = D[KEY] through the proxy: a request and a reply") \
    X(MP_SHUTDOWN, "mp_shutdown", "f", "mp_shutdown M: M.shutdown(): a shutdown request on a connection of its own, then wait for the server process to exit (wait4)") \
    X(GET, "get", "f", "kind [, value] = get Q: Queue.get(): take the readers' lock, read the length and the pickle from the pipe (read blocks while it is empty), give the lock back") \
    X(JOINALL, "joinall", "", "joinall: gevent.joinall(): in a monkey-patched thread, wait in the hub until every greenlet it spawned has ended") \
    X(MONKEY_PATCH, "monkey_patch", "", "monkey_patch: gevent.monkey.patch_all(): make the thread's hub (a coroutine, PROC/hub, running libev's loop: epoll_create1, eventfd2); from then on its sockets are non-blocking (ioctl FIONBIO), a coroutine is gevent.spawn (the hub starts it), and an accept, connect, recv, send or sleep that would block switches to the hub, which switches back when the fd is ready or the timer due") \
    X(CALL, "call", "hv", "call H [VALUE]: run handler H in this task with its parameter set to VALUE, as a function call (user space: no syscall, no new task); back here when it ends") \
    X(ON, "on", "wh", "on KIND H: register handler H for events of KIND in the process's table (Tk's bind, a GUI's onClick); user space") \
    X(DISPATCH, "dispatch", "wv", "dispatch K [VALUE]: call the handler registered with on for kind K (or K itself, if it is a handler) with VALUE; nothing if none is") \
    X(EVQUEUE, "evqueue", "v", "q = evqueue [WAKEFD]: a queue of events in the process's memory (no syscall); a post from another thread also writes to WAKEFD (an eventfd, or a socket or pipe: the self-pipe) to wake the loop") \
    X(POST, "post", "fwv", "post Q K [VALUE]: append the event (K, VALUE) to queue Q (user space); from a thread other than Q's maker, then write to Q's WAKEFD (8 bytes to an eventfd, 1 to a socket or pipe), as call_soon_threadsafe does") \
    X(TAKE, "take", "f", "k, v = take Q: take the oldest event of queue Q: its kind (or handler) and value (user space); k = EAGAIN if Q is empty") \
    X(QLEN, "qlen", "f", "n = qlen Q: how many events queue Q holds (len(deque): user space); asyncio's _run_once runs that many callbacks a round") \
    X(AFTER, "after", "dhv", "after D H [VALUE]: push (now + D, H) onto the process's timer heap, ordered by deadline, then by insertion (Tk's after, asyncio's call_later); user space") \
    X(NEXT_TIMER, "next_timer", "", "t = next_timer: the time until the earliest timer of the heap (0 if one is due, -1 if there is none): the timeout a loop passes to its wait, as libuv's uv_backend_timeout and asyncio's _run_once compute it") \
    X(DUE, "due", "f", "n = due Q: move every timer whose deadline has passed from the heap to queue Q, earliest first (asyncio's _run_once); n = how many") \
    X(EVENTFD, "eventfd", "", "efd = eventfd: eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK): a counter as an fd, readable while it is not 0; write adds to it (8 bytes), read returns and clears it") \
    X(INPUT, "input", "", "dev = input: open the machine's input device (openat \"/dev/input/event0\", O_RDONLY): the user's clicks and key presses arrive there") \
    X(GETEVENT, "getevent", "f", "k, v = getevent FD: read(2) one struct input_event (24 bytes) from an input device: its kind (click or key) and value (the button or key code)") \
    X(CLICK, "click", "v", "click [N]: the user clicks mouse button N (1 by default): an event in the machine's input device") \
    X(PRESS, "press", "v", "press [N]: the user presses key N (a key code, 30 by default: KEY_A): an event in the machine's input device") \
    /* control flow, produced by the compiler only */ \
    X(JMP, "(jump)", "", "") \
    X(JIF, "(if)", "", "") \
    X(ADD, "(add)", "", "") \
    X(FOR_START, "(for)", "", "") \
    X(FOR_NEXT, "(next)", "", "") \
    X(END, "(end)", "", "") \
    X(SIGRETURN, "(sigreturn)", "", "") \
    X(ARITH, "(arith)", "", "") \
    X(QFEED, "(feeder)", "", "") \
    X(MSRV, "(manager)", "", "") \
    X(FSRV, "(forkserver)", "", "") \
    X(HUB, "(hub)", "", "") \
    X(RET, "(return)", "", "")

/* The value `v = next G` gets once generator G is done: Python raises
 * StopIteration; the scenario compares with the word StopIteration */
#define PROG_STOP_ITERATION TL_STOP_ITERATION
/* A message kind as a value: the kind's string, prog->strs[i] (a word of
 * the scenario: `conn_send c task 5`, `if k == "task"`).  Kinds are
 * interned: one string per spelling (prog->kinds). */
#define PROG_KIND_BASE ((int64_t)1 << 61)
#define PROG_KIND(i) (PROG_KIND_BASE + (int64_t)(i))
#define PROG_IS_KIND(v) ((v) >= PROG_KIND_BASE && (v) < PROG_KIND_BASE + (1 << 30))
#define PROG_KIND_STR(v) ((int)((v) - PROG_KIND_BASE))
/* What conn_recv gives at end of file: Python raises EOFError */
#define PROG_EOF_ERROR (-((int64_t)1 << 62) - 1)
#define PROG_MAX_KINDS 1000
/* QFEED's .flags: the steps of a Queue's feeder thread (mpq.c), one
 * instruction each, at prog->feeder_pc + step, lines of feeder_script */
enum prog_feed { FEED_START, FEED_WAIT, FEED_POP, FEED_LOCK, FEED_SEND,
                 FEED_UNLOCK, FEED__COUNT };
/* MSRV's .flags: the steps of a Manager's server process (mgr.c): its
 * main thread (MS_), its accepter thread (MA_), a thread per connection
 * (MH_); MS_EXIT is an EXIT instruction (sys.exit, or a thread's end) */
enum prog_msrv { MS_LISTEN, MS_ADDRESS, MS_ACCEPTER, MS_WAIT, MA_ACCEPT,
                 MA_SPAWN, MH_DELIVER, MH_ANSWER, MH_RECV, MH_CALL, MH_SEND,
                 MH_CLOSE, MS_EXIT, MS__COUNT };

/* FSRV's .flags: the steps of the fork server process and the resource
 * tracker that the forkserver start method starts (fsrv.c), one
 * instruction each, at prog->fsrv_pc + step, lines of fsrv_script */
enum prog_fsrv { FS_EXEC, FS_SIGPIPE, FS_SIGNAL, FS_REGISTER, FS_SELECT,
                 FS_EXIT, FS_SIGREAD, FS_WAITPID, FS_STATUS, FS_ACCEPT,
                 FS_RECVMSG, FS_CLOSE_S, FS_FORK, FS_PID, FS_CLOSE_FDS,
                 TR_EXEC, TR_READ, TR_EXIT, FS__COUNT };

enum prog_op {
#define X(e, k, s, h) OP_##e,
    PROG_OPS(X)
#undef X
    OP__COUNT
};

/*
 * How scn_stmt.c compiles control flow (pc = index in prog->code).  Jumps
 * go to .jump; every other instruction falls through to pc + 1.
 *   JMP        go to .jump.
 *   JIF        if !(a[0] CMP a[1]) go to .jump (CMP = .flags, enum prog_cmp).
 *   ADD        slot dst = a[0] + a[1] (used only by repeat).
 *   SET        slot dst = a[0].
 *   ARITH      slot dst = a[0] OP a[1], OP = .flags (enum prog_arith):
 *              `x = a + b`.  Division by zero is the program's SIGFPE.
 *   if A < B { X } else { Y }     JIF(<, A, B) -> L1; X; JMP -> L2; L1: Y; L2:
 *     (without else: JIF -> L1; X; L1:.  `else if` nests the same shape.)
 *   while A < B { X }   L0: JIF(<, A, B) -> L1; X; JMP -> L0; L1:
 *                       continue -> L0, break -> L1
 *   loop { X }          L0: X; JMP -> L0; L1:      continue -> L0, break -> L1
 *   repeat N { X }      k = SET 0; L0: JIF(<, k, N) -> L1; X;
 *                       Lc: k = ADD k 1; JMP -> L0; L1:
 *                       (k is a hidden slot named "(repeat)"; continue -> Lc)
 *   for V in ready { X }
 *        p:   FOR_START dst = V, jump -> L1.  Start iterating over the fds
 *             made ready by this task's last select/poll/epoll_wait: if
 *             there are none go to L1, else slot V = the first, fall through.
 *        p+1: X
 *        Ln:  FOR_NEXT dst = V, jump -> p+1.  Advance: if one is left, slot
 *             V = it and go to p+1; else fall through.
 *        L1:                       continue -> Ln, break -> L1
 *     A task has one iterator: `for` loops never nest (a fork or thread
 *     block inside a for starts a new task, which may have its own).
 *   for V in watched { X }   the same with FOR_START .flags = 1: the ready
 *     list is first set to a copy of the task's watch set (no syscall).
 *   X = fork [NAME] { B }   p: FORK dst = X, jump -> L1; p+1: B; EXIT; L1:
 *     The parent continues at .jump with X = the child's pid; the child
 *     starts at p+1 with a copy of the slots (X = 0).  THREAD and
 *     COROUTINE are the same.  With a NAME, a[0] = const index into
 *     prog->strs of the name and nargs = 1; without, nargs = 0.
 *   sigaction SIGIO { H }   p: SIGACTION a[0] = const signal, .flags = 1
 *                           for SA_RESTART, jump -> L1;
 *                           p+1: H; SIGRETURN; L1:
 *     The task goes on at .jump; H runs (in the task that takes the signal,
 *     with its slots) each time the signal is delivered, and SIGRETURN
 *     (rt_sigreturn) resumes what the signal interrupted (mux_sigio.c).
 *   X = start [METHOD] [NAME] { B }   compiled as fork is, with .flags =
 *     enum prog_start; the child runs B after the start method's steps
 *     (mp.c), a spawned one after re-running the declaration's top-level
 *     code from its entry up to prog_task.end.
 * COND_WAIT C M is followed by a LOCK M of the same line: pthread_cond_wait
 * takes the mutex again once woken.
 * HUB is one step of gevent's hub loop (.flags = enum hub_step of
 * sim/hub.c), compiled once after every declaration when the file has a
 * monkey_patch, then a JMP back to the first step and an EXIT that is
 * never reached; its lines are those of prog->scripts[hub_script].
 * PREP has a[0] = ring, a[1] = const enum tl_uring_op, a[2] = fd, a[3] =
 * size.  CQE has dst = the user_data (what PREP returned), dst2 = res.
 * Operands: FCNTL has a[1] = const flag and .flags = the same TL_FL_* bit;
 * EPOLL_CTL has a[0] = ep, a[1] = const 0 add / 1 mod / 2 del, a[2] = fd,
 * .flags = the events written after the fd (TL_EP_* bits of tl.h; TL_EP_IN
 * when neither in nor out is written); an absent optional operand ('v') is
 * ARG_NONE and nargs counts only the operands written; SAY has a[0] = const index into
 * prog->strs; SELECT/POLL have nargs = 0 and their fds in prog->lists, or
 * list = -1 when written with no operands: the task's watch set is used;
 * a timeout written after their fds (a duration, or `timeout VAR`) is a[0]
 * with nargs = 1.  A timeout operand ('t', and select/poll's a[0]) keeps
 * its variable slot, so select can write the time left back into it.
 *   handler H [P] { B }   p: JMP -> L1; p+1: B; RET; L1:
 *     B runs only when called (prog->handlers[h].entry = p + 1); P is a
 *     slot of the declaration, which `call H V` sets to V.  `return` in B
 *     is a RET.  CALL has a[0] = the handler (PROG_HANDLER(h) as a const,
 *     or a slot holding one), a[1] = the value; it pushes pc + 1 on the
 *     task's call stack, RET pops it.
 */

/* A handler as a value (prog->handlers[i]: `cb = set on_read`, a
 * callback in a queue); the engine tells it apart from fds, counts and
 * kinds (PROG_KIND) by these high bits */
#define PROG_HANDLER(i) (((int64_t)2 << 40) + (i))
#define PROG_IS_HANDLER(v) ((v) >= PROG_HANDLER(0) && (v) < PROG_HANDLER(1 << 20))
#define PROG_VAL_INDEX(v) ((int)((v) & 0xfffff))
/* what `q = evqueue` gives: the process's queue number i */
#define PROG_EVQUEUE(i) (((int64_t)3 << 40) + (i))

/* Comparisons for JIF: jump to .jump if (a CMP b) is false */
enum prog_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };
/* Operators of ARITH (.flags): x = a OP b, int64, in user space */
enum prog_arith { AR_ADD, AR_SUB, AR_MUL, AR_DIV, AR_MOD };

enum prog_arg_kind { ARG_NONE, ARG_CONST, ARG_SLOT };

struct prog_arg {
    int32_t kind; /* enum prog_arg_kind */
    int32_t pad;
    int64_t v;    /* constant, or slot number */
};

#define PROG_MAXARGS 4

struct prog_ins {
    uint16_t op;    /* enum prog_op */
    uint16_t flags; /* OP_JIF: enum prog_cmp; OP_EPOLL_CTL: TL_EP_* events;
                       OP_FCNTL: TL_FL_* bit */
    int32_t line, col;
    int32_t dst, dst2; /* result slots, -1 for none */
    int32_t jump;      /* JMP/JIF/FOR_NEXT target; FORK/THREAD: first pc
                          after the child block */
    int32_t nargs;
    struct prog_arg a[PROG_MAXARGS];
    int32_t list;      /* SELECT/POLL: index into prog->lists, else -1 */
};

/* fd lists for select/poll: each entry is an arg (const or slot) */
struct prog_list {
    struct prog_arg *v;
    int n;
};

enum prog_decl_kind { DECL_PROCESS, DECL_PEER };
/* process NAME [python [free-threaded] [interval DUR]] { */
enum prog_python { PY_NONE, PY_GIL, PY_FREE };

struct prog_task {
    char *name;
    int kind;        /* enum prog_decl_kind */
    int count;       /* instances (peers may have many), >= 1 */
    int64_t every;   /* start offset between instances, ns */
    int64_t start;   /* start time of the first instance, ns */
    int32_t entry;   /* first pc */
    int32_t nslots;
    int32_t line;    /* line of the declaration */
    char **slot_names; /* nslots names, for the viewer and errors */
    uint8_t *slot_shared; /* nslots flags, 1: `shared`, in the process's
                             memory; NULL when no slot is */
    int32_t python;  /* enum prog_python: a CPython process? */
    int64_t switch_interval; /* python: sys.setswitchinterval, ns */
    int32_t script;  /* -1: its lines are the file's (prog->lines); else an
                        index into prog->scripts (a server's generated loop) */
    int32_t end;     /* pc of the EXIT that ends its top-level block, -1 */
    int32_t name_slot; /* the hidden slot `__name__`, the module's name:
                          prog.mod_main as the program starts, prog.
                          mod_mp_main in a spawned child; -1: unused */
};

/* START's .flags: the start method */
enum prog_start { START_FORK, START_SPAWN, START_FORKSERVER };

/* Source text that is not in the file: a `server` expanded from its model's
 * template (server.c).  Instructions of its task count lines in it. */
struct prog_script {
    char *title;  /* e.g. "web (epoll server)" */
    char **lines;
    int nlines;
};

/* handler NAME [PARAM] { ... } in a declaration */
struct prog_handler {
    char *name;
    int32_t decl;  /* the declaration it belongs to */
    int32_t entry; /* first pc of its block */
    int32_t param; /* the slot `call` sets, -1 for none */
    int32_t line, col; /* of its definition (until then, its first use) */
};

struct prog_caption {
    int64_t t;   /* time at which it is shown */
    char *text;
};

/* A run's budget: defaults and maxima (docs/scenario-language.md, "Limits") */
#define SIM_STEPS_DEFAULT 200000000L
#define SIM_STEPS_MAX 10000000000L
#define SIM_MEM_DEFAULT ((int64_t)1 << 30)
#define SIM_MEM_MAX ((int64_t)64 << 30)
#define SIM_CPU_LIMIT_S 60

struct prog {
    char *path;   /* file name as given */
    char *title;  /* "title" declaration, or a copy of path */
    char *model;  /* "model" declaration, or NULL: the engine derives one */
    struct cost cost; /* defaults overridden by the machine block */
    int ncpus;
    int64_t rcvbuf, sndbuf, pipebuf;
    int64_t latency;  /* one-way delay between peers and the machine */
    int64_t slice;    /* EEVDF base slice; 0: 0.75 ms * (1 + log2 cpus) */
    int hz;           /* timer ticks per second (CONFIG_HZ) */
    int64_t limit;    /* stop the simulation at this virtual time */
    long max_events;  /* stop after this many events */
    long max_steps;   /* ... this many steps of the interpreter and agenda */
    int64_t max_mem;  /* ... when the run holds this many bytes */
    int backlog;
    int64_t nofile;   /* RLIMIT_NOFILE soft limit every process starts with */
    int fortify;      /* the programs' -D_FORTIFY_SOURCE level, 0 = none */

    struct prog_ins *code;
    int ncode, codecap;
    struct prog_task *tasks;
    int ntasks, taskcap;
    struct prog_caption *captions;
    int ncaptions, captioncap;
    char **strs; /* string constants (say), indexed by ARG_CONST value */
    int nstrs, strcap;
    int32_t *kinds; /* the strs that are message kinds, each spelling once */
    /* `__name__`'s values, the strings (kinds) "__main__" and "__mp_main__"
     * (0 when no declaration uses __name__): a declared process starts as
     * __main__, a spawned child's fresh interpreter imports the main
     * module again as __mp_main__ */
    int64_t mod_main, mod_mp_main;
    int nkinds, kindcap;
    int32_t feeder_pc;     /* a Queue's feeder thread: its code, -1 none */
    int32_t feeder_script; /* ... and the source it shows (prog->scripts) */
    int32_t mgr_pc;        /* a Manager's server: its code, -1 none */
    int32_t mgr_script;    /* ... and its source (prog->scripts) */
    int32_t fsrv_pc;       /* the fork server and resource tracker (start
                              forkserver): their code, -1 none */
    int32_t fsrv_script;   /* ... and its source (prog->scripts) */
    struct prog_list *lists;
    int nlists, listcap;
    char **lines; /* the source, one string per line (no newline) */
    int nlines;
    struct prog_script *scripts; /* generated scripts (servers) */
    int nscripts, scriptcap;
    int nservers; /* `server` declarations (iosim --model needs one) */
    int32_t hub_pc;     /* first pc of gevent's hub loop (OP_HUB steps,
                           sim/hub.c), -1: no monkey_patch in the file */
    int32_t hub_script; /* its generated text, an index into scripts */
    struct prog_handler *handlers;
    int nhandlers, handlercap;
    /* the kinds an input device's records have: PROG_KIND of the strs
       "click" and "key", interned when an operation needs them; -1 */
    int32_t kind_click, kind_key;
};

/* Limits, stated in docs/scenario-language.md */
#define PROG_MAX_FILE (4L << 20)   /* bytes of source */
#define PROG_MAX_LINE 4096         /* bytes in one line */
#define PROG_MAX_DEPTH 32          /* nested blocks */
#define PROG_MAX_TASKS 20000       /* task instances, all declarations */
#define PROG_MAX_CODE 100000       /* instructions */

void prog_free(struct prog *p);
/* The bytes of pickle.dumps((kind, v)), a str of ASCII and an int, as
 * CPython 3.11 makes it (multiprocessing's ForkingPickler, protocol 4) */
int64_t prog_pickle_size(const char *kind, int64_t v);
const char *prog_op_name(int op);

#endif
