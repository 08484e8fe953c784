/*
 * sim_int.h - the engine's insides, shared by sim.c and the I/O model files
 * (mux_select.c, mux_poll.c, mux_epoll.c, ...).  Nothing outside src/sim
 * includes it.
 *
 * An I/O model file fills one `const struct mux_ops`: what its operations do
 * when a task executes them, and what happens when readiness changes on an
 * object it watches.  Handlers never call each other's tasks directly: they
 * emit events, block the current task, or wake tasks, all through the
 * functions below, which keep the world and the agenda consistent.
 */
#ifndef IOSIM_SIM_INT_H
#define IOSIM_SIM_INT_H

#include "sim/agenda.h"
#include "sim/sim.h"

struct evl;
struct evl_frame;

#define TASK_NONE (-1)
/* pids and tids are PID_BASE + the task's number (a coroutine's id too) */
#define PID_BASE 1000

/* What a handler tells the interpreter */
enum go { GO_NEXT, GO_BUSY, GO_BLOCKED, GO_EXITED, GO_FAIL };

/* Agenda item kinds */
enum ag_kind { AG_RUN, AG_STEP, AG_TIMER, AG_DELIVER, AG_SYN, AG_ESTABLISHED, AG_ACK,
               AG_CAPTION, AG_START, AG_TIMERFD };


/*
 * select/poll: the program's own set of fds (watch/unwatch: FD_SET/FD_CLR on
 * its master fd_set, or its pollfd array), a list in insertion order plus an
 * index by fd, so membership is O(1) with 10,000 fds (mux_scan.c).
 */
struct fdset {
    int32_t *fd;   /* watched fds, in the order they were added */
    uint8_t *ev;   /* ev[i]: what fd[i] is watched for, TL_EP_IN/OUT (its
                      bits in readfds/writefds, or its pollfd's events) */
    int32_t *pos;  /* pos[fd] = index in fd[] + 1, 0 if not watched */
    int32_t n, cap, poscap, max; /* max: highest watched fd, or -1 */
    int32_t queue_id; /* tl queue that shows the set, + 1; 0: none yet */
};

/* Who waits on an object through a model (mux_scan.c, mux_epoll.c): pairs
 * of (task, generation) asleep in select/poll, the kernel's poll wait-queue
 * entries; or (epoll object, fd), the file's list of epoll items. */
struct watch_ent {
    int32_t who, key;
    uint32_t ev; /* select/poll: the events the entry waits for (TL_EP_*) */
};

struct watchers {
    struct watch_ent *v;
    int n, cap;
};

/*
 * Signals (mux_sigio.c).  The disposition (handler) belongs to the process
 * and is kept in its main task; a raised signal is made pending on the task
 * chosen to take it.  One saved frame: a handler blocks its own signal, so
 * it never nests.
 */
struct tsig {
    int32_t handler;  /* process task: first pc of the SIGIO handler */
    int32_t queue;    /* TQK_SIGNALS queue of this task, 0: none yet */
    uint32_t pending; /* bit per signal number */
    uint32_t blocked; /* held back: the signal whose handler runs */
    int64_t saved_remain, saved_ret;
    int32_t saved_pc, saved_phase;
    uint8_t has_handler, intr, was_intr, restart;
    int64_t restart_ret; /* the kernel's internal -ERESTART... the
                            interrupted call shows, when `restart` */
    uint8_t sa_restart;  /* process task: the handler has SA_RESTART */
    uint8_t again;       /* the interrupted call is made again after the
                            handler (ERESTARTSYS under SA_RESTART) */
    int32_t again_nr;    /* its x86_64 syscall number + 1, which the
                            handler's rt_sigreturn returns; 0: none */
};

/* A word of a process's memory (a `shared` variable), mem.c */
struct mword {
    int64_t v;
    int32_t q;      /* its TQK_MEM queue */
    int32_t owner;  /* used as a mutex: the task holding it, or -1 */
    int32_t futexq; /* tasks in FUTEX_WAIT on it: TQK_FUTEX queue + 1 */
    int32_t pad;
};

struct task {
    /* First, what a step of any task reads (its first 168 bytes, three
     * cache lines of 504): with 10,000 tasks their structs are not in a
     * cache, and these fields were spread over ten lines (the engine
     * workload ran 8-10% faster with them together).  The rest is
     * ordered so that it has no holes (10,000 tasks: keep it so) */
    int64_t *slots;   /* its own variables (locals) */
    struct mword *mem; /* the process's memory: `shared` slots, owned by
                          the process's first task, shared by its threads
                          and coroutines; NULL when the declaration has none */
    const uint8_t *shared; /* prog_task.slot_shared of its declaration */
    int64_t sys_t;    /* when the current syscall was entered */
    int64_t done;     /* bytes written so far by the current write */
    int64_t remain;   /* compute time left */
    int64_t busy_ns;  /* set by a handler returning GO_BUSY */
    int64_t busy_until; /* when the CPU work scheduled last ends */
    int64_t ret;      /* result to store when the syscall completes */
    int64_t tmo_at;   /* a waiting call's timeout: when it fires (deadline
                         plus timer slack), -1 none (sim_sys_enter_wait) */
    int64_t loop_t;   /* time at which zero-time instruction counting began */
    long loop_n;
    int32_t decl, pc, proc;
    int32_t sys, sys_fd, phase;
    int32_t next_waiter, wait_obj, waiting_for;
    int32_t kthread;     /* the kernel thread it runs in: itself, or for a
                            coroutine the thread that made it */
    int32_t cpu, reserved;
    uint32_t gen;     /* bumps invalidate agenda items for the task */
    uint8_t external, in_sys, advance, exited, reaped, is_thread, pend;
    uint8_t is_coroutine;
    uint8_t tmo_fired; /* the timeout's timer went off while it slept */
    uint8_t on_cpu, need_resched;
    uint8_t user_run; /* its GO_BUSY is user-space work the scheduler may cut
                         (an interpreter's start-up); cleared at each step */
    struct tsig *sig; /* signals: NULL until it has any (sig_state); every
                         step asks sig_due */
    /* the rest, as rarely read */
    int64_t id;       /* pid or tid shown to the script */
    int64_t ret2;
    int64_t tmo_end;  /* its deadline without the slack: select's time left */
    int32_t parent, block_end;
    uint64_t wq_seq;     /* when it went on its wait queue (s->wq_seq) */
    int32_t next_thread; /* the next thread of this process, -1 */
    int32_t next_co;     /* the next coroutine of this kernel thread, -1 */
    int32_t last_co;     /* a kernel thread's last coroutine (the ring's
                            tail), -1 when it has none */
    int32_t code;     /* exit code, or 128 + the signal that killed it */
    int32_t *ready;   /* fds made ready by the last select/poll/epoll_wait */
    int32_t nready, readycap, ready_i;
    int32_t nchildren;   /* a process: children not reaped nor adopted */
    struct fdset *watch; /* select/poll: the fds watched with `watch`,
                            NULL until the first (mux_scan.c) */
    uint32_t scan_gen;  /* select/poll: bumps with each round of sleeping */
    uint8_t scan_wait, scan_trig; /* select/poll: registered / woken early */
    uint8_t term_sig;   /* a process killed by a signal: that signal */
    uint8_t is_gen;     /* a generator (coro.c): runs only from next/send */
    uint8_t gen_at;     /* a generator: 0 created, 1 suspended at a yield,
                           2 running (or waiting in a next of its own) */
    uint8_t co_switched; /* entered by a greenlet switch: its end returns
                            to its parent */
    uint8_t futex_woken; /* a FUTEX_WAKE took it off the futex's queue */
    uint8_t gil_waiting; /* in the GIL's waiters */
    int32_t co_parent;  /* the task that made this coroutine, -1 */
    int32_t co_caller;  /* a generator: who called next/send, -1 */
    int32_t co_dst;     /* the slot that gets the value it is resumed with
                           (a switch's, next's or yield's result), -1 */
    struct hub *hub;    /* a process's gevent hub (hub.c), in its first
                           task; NULL: not monkey-patched */
    int32_t joiner;     /* a greenlet: who waits in join for its end, -1 */
    int32_t futex_slot;  /* the shared word it sleeps on in FUTEX_WAIT, -1 */
    struct gil *gil;     /* a CPython process's GIL (gil.c), owned by its
                            first task; NULL: not CPython, or free-threaded */
    uint32_t gil_switch_seen; /* switch_number when its wait began */
    int32_t gil_phase;   /* the compute's phase, kept over a GIL wait, -1 */
    struct evl_frame *calls; /* handlers running (evloop.c): return pcs */
    int32_t ncalls, callcap;
    struct evl *evl;  /* a process's handlers by kind, event queues and
                         timer heap (evloop.c), in its first task; NULL */
    /* the scheduler (sched.c), kept in the kernel thread's task */
    int64_t vr, vd, vlag, vprot; /* virtual runtime, deadline, lag, the
                                    vr up to which its slice is protected */
    int64_t exec_start, run_since; /* last charged, on its CPU since */
    int32_t last_cpu;
    int32_t rq;       /* ready: the CPU whose run queue it waits in */
    int64_t nofile_cur, nofile_max; /* a process's RLIMIT_NOFILE (in its
                                       main task; fork copies it) */
    int64_t mmap_top; /* a process's next mmap address, growing down */
    uint8_t said_fdset; /* select: the fd_set overflow was narrated */
    int32_t sel_str[2]; /* string ids + 1 of the last arrays its calls
                           passed and got back (sim_call_str) */
    /* multiprocessing (mp.c): where in `start`'s steps the task is, as
     * the parent or as the child being started; the fds the steps made */
    uint8_t mp_role;  /* enum mp_role (mp.c), 0: the parent */
    uint8_t mp_boot;  /* a spawned child re-running its main module
                         (CPython's _inheriting): start fails here */
    uint8_t mp_execd; /* a vfork child has exec'd: its parent goes on */
    int32_t mp_target; /* pc of the target block to run once the main
                          module's top-level code is done, -1 */
    int32_t mp_child;  /* the parent: the child being started, -1 */
    int32_t start_fd[6];
    int64_t msg_len, msg_got; /* conn_recv: the pickle's length, the bytes
                                 of the part being read so far (msg.c) */
    int64_t msg_kind, msg_val; /* conn_recv: what it will return */
    int32_t mpq_obj, mpq_fd; /* mpq.c: the SemLock or Queue being made, or a
                              feeder's Queue; the SemLock's file */
};

/* The engine's private side of a kernel object (one per socket, pipe and
   file: keep its fields in an order without holes) */
struct sobj {
    int64_t stalled;   /* sent bytes the peer's full buffer cannot take yet */
    int32_t first_waiter;
    int32_t accept_q;  /* listening sockets: queue id */
    int32_t handshakes; /* listening sockets: SYNs answered, ACK not yet in
                           (counted against the backlog with the queue) */
    int32_t remote;    /* 1 if the connection crosses to a peer host */
    int32_t connect_ret; /* connecting sockets: 1 pending, 0 ok, -errno */
    uint8_t fin_pending, freed;
    uint8_t conn_started; /* a non-blocking connect was made on it */
    uint8_t unix_pair; /* a socketpair's end (AF_UNIX) */
    uint16_t inflight; /* passed in an SCM_RIGHTS message not yet received:
                          the message holds the file, which a close of its
                          last fd does not free (fsrv.c) */
    uint8_t nospace;   /* SOCK_NOSPACE: a writer or a poll found no room,
                          so room made must be announced (space_made) */
    int32_t sig_owner; /* F_SETOWN: process task + 1 to send SIGIO, 0 none */
    int32_t uring_waits; /* io_uring requests waiting for it (aio_uring.c) */
    int64_t so_sndbuf, so_rcvbuf; /* sk_sndbuf / sk_rcvbuf as setsockopt
                                     left them (doubled); 0: the default */
    struct msgq *msgs; /* the messages in the bytes on their way here
                          (msg.c); NULL until the first one */
    void *mux;         /* per-model private state (epoll instance, ...) */
    void (*mux_free)(void *mux); /* how to free it, if not free() */
    struct watchers sleepers; /* tasks asleep in select/poll on it */
    struct watchers epitems;  /* epoll instances whose interest list has it */
};

struct listener {
    int port, obj;
};

struct sim {
    const struct prog *p;
    const struct sim_opts *o;
    struct tl *tl;
    struct world w;
    struct agq ag; /* the agenda (agenda.h) */
    int64_t now;
    uint64_t wq_seq;  /* counts entries put on wait queues: their order */
    long max_events;
    struct task *tasks;
    int ntasks, taskcap;
    struct sobj *objs;
    int nobjs, objcap;
    struct listener *ls;
    int nls, lscap;
    int32_t *cpu_last;
    uint8_t *cpu_busy;
    int64_t slice, tick; /* the scheduler: base slice, timer tick */
    int64_t *vref;       /* per CPU: V of its run queue when it empties */
    int64_t next_balance; /* when a busy CPU's tick balances next */
    int32_t waker;       /* the task whose step runs now (a wake-up's
                            waker), -1 for an interrupt (a timer, a packet) */
    int tty;      /* the machine's terminal */
    int peer_tty; /* the other hosts' terminal, -1 until a peer needs it */
    int script;
    int *decl_children; /* per prog task: children/threads named so far */
    int32_t *names;     /* every task by name, open addressing (proc.c) */
    uint32_t namecap, nnames;
    int *pc_names;      /* per pc: the last number unique_name gave */
    uint8_t *said;      /* bit per pc: a `say once` already shown */
    int *str_ids;       /* prog string -> timeline string, -1 not yet */
    int32_t *evl_str;   /* per handler: its name's timeline string + 1, 0
                           not yet (evloop.c) */
    int input;          /* the machine's input device, -1 until opened */
    int failed, stop;
    /* the run's budget (sim.c, "budget"): work done, memory held */
    uint64_t steps, max_steps;
    int64_t max_mem, cpu_limit_ns, cpu_start_ns;
    int64_t mem_seen;   /* the last full estimate of the memory held */
    int64_t mem_vars;   /* variables' bytes allocated since that estimate */
    size_t mem_next;    /* the event count at which to estimate again */
    struct fdev_memo *fdev_memo; /* sim_fdev_str's one-entry arrays */
    size_t emit_next;   /* the event count at which sim_emit looks at its
                           limits again (emit_rare) */
    char *err;
    size_t errlen;
    const struct mux_ops *mux[OP__COUNT];
    /* the models that watch files, in the table's order: those with a
       readable or writable hook, and those with exclusive entries
       (sim_wake_queue walks these, not every model) */
    const struct mux_ops *watch[24], *excl[24];
    int nwatch, nexcl;
    struct mp *mp;      /* multiprocessing's SemLocks and Queues (mpq.c) */
    struct mstate *mgr; /* multiprocessing's Managers (mgr.c) */
    struct fsstate *fsrv; /* multiprocessing's fork servers (fsrv.c) */
};

/* An I/O model: handlers for the operations it owns, and readiness hooks */
struct mux_ops {
    const char *name;
    int ops[24];  /* prog ops this model handles, OP__COUNT-terminated
                     (an unterminated list would claim OP_SOCKET = 0) */
    int (*exec)(struct sim *s, struct task *t, const struct prog_ins *in);
    /* bytes arrived, EOF, or a new connection on object obj */
    void (*readable)(struct sim *s, int obj);
    /* room was made for writers of obj (sim_writable became true) */
    void (*writable)(struct sim *s, int obj);
    /* after readable or writable (ev TL_EP_IN or TL_EP_OUT): the model's
     * exclusive entries on obj's wait queue put there before `before`
     * (an s->wq_seq), in that order, until one wakes a task; 1 if one did
     * (see sim_wake_queue) */
    int (*exclusive)(struct sim *s, int obj, unsigned ev, uint64_t before);
    /* an object is about to be freed */
    void (*release)(struct sim *s, int obj);
};

extern const struct mux_ops mux_scan_ops, mux_select_ops, mux_poll_ops,
    mux_epoll_ops;
extern const struct mux_ops mux_sigio_ops, mux_uring_ops, mux_timerfd_ops;
/* ---- coroutines (proc.c) and generators, greenlet (coro.c) ---- */
/* The CPU that ran a coroutine now suspended or finished runs `to`: a
 * switch in user space, costing co_switch */
void proc_co_handover(struct sim *s, int cpu, int to);
/* yield in a generator: hand the value back to next/send's caller */
int coro_gen_yield(struct sim *s, struct task *t, const struct prog_ins *in);
/* t's block is done: the task to run next (a generator's caller, a
 * switched-into greenlet's parent), its pending result set; -1: the ring
 * decides */
int coro_finish_to(struct sim *s, struct task *t);
extern const struct mux_ops mux_coro_ops;
/* ---- handlers, event queues, timers, eventfd, input (evloop.c) ---- */
extern const struct mux_ops mux_evloop_ops;
/* read(2)/write(2) of an eventfd and read(2) of the input device, which
 * op_read and op_write hand over once they know the fd's kind */
int evl_eventfd_rw(struct sim *s, struct task *t, int obj, int64_t want,
                   int write);
int evl_input_read(struct sim *s, struct task *t, int obj, int64_t want);
/* The time until process proc's earliest timer (0: due), -1 if none: what
 * a loop waits for at most (a hub's epoll_wait timeout) */
int64_t evl_next_timer(const struct sim *s, int proc);
/* Free a task's call stack and, in a process's first task, its loop state */
void evl_free(struct task *t);

/* ---- gevent (hub.c): monkey_patch and the hub ---- */
struct hub;
extern const struct mux_ops mux_hub_ops;
/* t's thread's hub if its process is monkey-patched, else NULL */
struct hub *hub_of(const struct sim *s, const struct task *t);
void hub_free(struct hub *h);
/* coroutine c was just made by t: in a patched thread it is gevent.spawn,
 * a start queued in the hub's callbacks, and its parent is the hub */
int hub_spawned(struct sim *s, struct task *t, int c);
/* sys_finish, after a call of in returned: if it would have blocked in a
 * patched greenlet (EAGAIN, EINPROGRESS), start a watcher and switch to
 * the hub, the call to be made again when it switches back: 1, else 0 */
int hub_would_block(struct sim *s, struct task *t, const struct prog_ins *in);
/* gevent.sleep(d) in a patched greenlet (a timer; d <= 0: a callback),
 * and greenlet.join(id); -1 when t is not patched (or id no greenlet) */
int hub_sleep(struct sim *s, struct task *t, int64_t d);
int hub_joined(struct sim *s, struct task *t, int64_t id);
/* greenlet t ends: whoever joined it runs at the hub's next turn */
void hub_greenlet_done(struct sim *s, struct task *t);
/* ---- timerfd (timerfd.c) ---- */
/* AG_TIMERFD: timerfd obj's timer, armed as number arm, expires */
void timerfd_expire(struct sim *s, int obj, int64_t arm);
/* read(2) of a timerfd: the expiration count, 8 bytes (op_read calls it
 * once it knows the fd is a timerfd) */
int timerfd_read(struct sim *s, struct task *t, int obj, int64_t want);
/* the plain syscalls on files and sockets (net.c); processes (proc.c) */
extern const struct mux_ops mux_io_ops, mux_proc_ops;
/* variables, arithmetic and locks in the process's memory (mem.c) */
extern const struct mux_ops mux_mem_ops;
/* multiprocessing's start methods (mp.c) */
extern const struct mux_ops mux_mp_ops;
/* What a task does at a START instruction (t->mp_role) */
enum mp_role {
    MP_PARENT,   /* the caller of start(); also a child re-running main */
    MP_FORKED,   /* a child of the fork method, before its target */
    MP_SPAWNED,  /* a child of spawn: from vfork to the re-import of main */
    MP_FS_CHILD, /* a child of the fork server, before the re-import */
};
/* ---- multiprocessing's forkserver start method (fsrv.c) ---- */
extern const struct mux_ops mux_fsrv_ops;
void fsrv_free(struct sim *s);
/* start forkserver in the client (a START of t, after mp.c's checks) */
int fsrv_start(struct sim *s, struct task *t, const struct prog_ins *in);
/* a child of the fork server at its START, until it imports main */
int fsrv_child(struct sim *s, struct task *t, const struct prog_ins *in);
/* `wait PID` of a child the fork server made for t's process (poll and
 * read of its sentinel, as Process.join() does); -1: not such a child */
int fsrv_join(struct sim *s, struct task *t, const struct prog_ins *in);
/* a child of process proc exited: if proc is a fork server, its SIGCHLD
 * handler runs (the SIGNAL event, info TL_CHLD_INFO) and wakes its
 * selector loop: 1; else 0 (SIGCHLD's default action ignores it) */
int fsrv_sigchld(struct sim *s, int proc, int64_t info);
/* ---- messages (msg.c): multiprocessing's Pipe and Connection ---- */
extern const struct mux_ops mux_msg_ops;
/* n bytes written by task toward dst (a pipe's read end, the socket that
 * receives, the terminal) begin a message of kind (a PROG_KIND value) and
 * value v, whose bytes are `total` (the first write of it); kind 0: plain
 * bytes; MSG_MORE: the next part of the message begun last */
#define MSG_MORE (-1)
/* A kind made at run time (the manager's "#CHALLENGE#", "__setitem__ x"):
 * a timeline string, above every PROG_KIND */
#define MSG_TL_BASE (PROG_KIND_BASE + ((int64_t)1 << 40))
#define MSG_TL_KIND(id) (MSG_TL_BASE + (int64_t)(id))
#define MSG_IS_TL(k) ((k) >= MSG_TL_BASE && (k) < MSG_TL_BASE + ((int64_t)1 << 31))
#define MSG_TL_ID(k) ((int)((k) - MSG_TL_BASE))
void msg_written(struct sim *s, int task, int dst, int64_t n, int64_t kind,
                 int64_t v, int64_t total);
/* task read n bytes of obj: messages whose last byte went leave its queue */
void msg_read(struct sim *s, int task, int obj, int64_t n);
/* The messages of an object still open when the run ends (a limit) */
void msg_free(struct msgq *m);
/* read/recv and write/send of net.c, for the operations made of them:
 * one call of read(fd, want) (recv: recvfrom); write(fd, want) carrying
 * (kind, v) as msg_written says, where a message begins */
int net_read(struct sim *s, struct task *t, int64_t fd, int64_t want, int recv);
int net_write(struct sim *s, struct task *t, int64_t fd, int64_t want,
              int send, int64_t kind, int64_t v, int64_t total);
/* Connection.recv's phases base..base+3 on fd: when done, t->phase is
 * base + 4 and t->msg_kind, t->msg_val what it got (msg.c) */
int msg_recv_step(struct sim *s, struct task *t, const struct prog_ins *in,
                  int64_t fd, int base);
/* The timeline string of a kind (a PROG_KIND value) */
int msg_kind_str(struct sim *s, int64_t kind);
/* ---- multiprocessing's SemLocks and Queues (mpq.c) ---- */
extern const struct mux_ops mux_mpq_ops;
void mp_free(struct sim *s);
/* ---- multiprocessing's Manager (mgr.c) ---- */
extern const struct mux_ops mux_mgr_ops;
void mgr_free(struct sim *s);
/* accept(2) on fd, as op accept does it (net.c) */
int net_accept(struct sim *s, struct task *t, int64_t fd);
/* connect(2) of t's AF_UNIX socket cobj to listening socket lobj: a stream
 * connect completes at once (unix_stream_connect), the server's end (owned
 * by process owner) waits in the accept queue; that end, or -ECONNREFUSED */
int net_listen(struct sim *s, int o, const char *qname, int64_t port);
int net_unix_connect(struct sim *s, struct task *t, int cobj, int lobj,
                     int owner);
/* fork t's process into a new one named NAME that starts at pc, showing
 * generated script (prog->scripts): a Manager's server.  Its task, -1 */
int proc_fork_new(struct sim *s, struct task *t, const char *name, int pc,
                  int script);
/* The same made by vfork: the child borrows t's memory until it execs (it
 * gets its own with mem_new and gil_new then): the fork server */
int proc_vfork_new(struct sim *s, struct task *t, const char *name, int pc,
                   int script);
/* A new thread NAME of t's process (named PROC/NAME) that starts at pc and
 * shows generated script (prog->scripts) instead of its process's: a
 * Queue's feeder.  Its task index, or -1. */
int proc_feeder_new(struct sim *s, struct task *t, const char *name, int pc,
                    int script);
/* pipe2 / socketpair (net.c): the pair's fds in t->ret2 (TL_FD_PAIR) */
int net_pair(struct sim *s, struct task *t, int pipe, int cloexec);

/* ---- the run's budget (sim.c) ---- */
/* Stop the run here, keeping the timeline so far: s->stop, truncated, and
 * the note that says why (printf format) */
void sim_stop(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* About to allocate bytes of task memory (variables, a copy of them):
 * 0, or -1 when that would pass the memory budget (the run is stopped). */
int sim_charge(struct sim *s, int64_t bytes);
/* Grow v (of *cap elements of size bytes) to hold n+1, doubling from 8,
   the new part zeroed and charged to the run's memory budget; the new
   array, or NULL (s->failed set, v unchanged) */
void *sim_grow(struct sim *s, void *v, int *cap, int n, size_t size);

/* ---- signals (mux_sigio.c), called by the engine ---- */
/* fcntl(fd, F_SETOWN, getpid()): the first half of `fcntl FD O_ASYNC` */
int sig_setown(struct sim *s, struct task *t, const struct prog_ins *in);
/* t is about to run user code at in: an interrupted syscall returns EINTR,
 * a pending signal is delivered.  Returns a GO_* code, or -1 if nothing. */
int sig_check(struct sim *s, struct task *t, const struct prog_ins *in);
static inline int sig_due(const struct task *t)
{
    return t->sig && (t->sig->intr || (t->sig->pending & ~t->sig->blocked));
}
/* t's signal state, made (zeroed) the first time it is needed: a task
 * without one has no handler and nothing pending.  NULL, with s->failed,
 * when out of memory. */
struct tsig *sig_state(struct sim *s, struct task *t);

/* Time arithmetic that cannot overflow: a scenario may ask for any
 * duration up to 2^63 ns; sums and products saturate at SIM_TMAX (146
 * years), which is past every run's time limit */
#define SIM_TMAX ((int64_t)1 << 62)
static inline int64_t sat_add(int64_t a, int64_t b)
{
    a = a < 0 ? 0 : a;
    b = b < 0 ? 0 : b;
    return a > SIM_TMAX - b ? SIM_TMAX : a + b;
}
static inline int64_t sat_mul(int64_t a, int64_t b)
{
    if (a <= 0 || b <= 0)
        return 0;
    return a > SIM_TMAX / b ? SIM_TMAX : a * b;
}
/* now + d */
static inline int64_t sim_at(const struct sim *s, int64_t d)
{
    return sat_add(s->now, d);
}

/* Length of queue q as the world has it: 0 for a queue no event has
 * touched yet (the world makes its queues lazily); items only if > 0 */
static inline int sim_qlen(const struct sim *s, int q)
{
    return q >= 0 && q < s->w.nqueues ? s->w.queues[q].n : 0;
}

/* ---- services for handlers (sim.c) ---- */
void sim_emit_state(struct sim *s, int task, int state, int obj, int64_t a);
/* Store v in variable slot (-1: none); a shared one is a MEM event */
void sim_set_dst(struct sim *s, struct task *t, int slot, int64_t v);
static inline int sim_slot_shared(const struct task *t, int slot)
{
    return t->shared && t->shared[slot];
}
/* Where variable slot lives: the task's own slots or the process's memory */
static inline int64_t *sim_slot(struct task *t, int slot)
{
    return sim_slot_shared(t, slot) ? &t->mem[slot].v : &t->slots[slot];
}
/* Operand i of in: a constant, or the variable it names (0 if absent);
 * inline, since every operation reads its operands through it */
static inline int64_t sim_arg(const struct task *t, const struct prog_ins *in,
                              int i)
{
    if (i >= in->nargs)
        return 0;
    const struct prog_arg *a = &in->a[i];
    if (a->kind == ARG_SLOT)
        return sim_slot_shared(t, (int)a->v) ? t->mem[a->v].v : t->slots[a->v];
    return a->v;
}
void sim_cpu_kick(struct sim *s);
void sim_cpu_release(struct sim *s, struct task *t);
void sim_waiter_unlink(struct sim *s, struct task *t);
void sim_wake_one(struct sim *s, int obj, int w);
/*
 * An event on obj's wait queue, as __wake_up_common wakes it with
 * nr_exclusive 1 (ev TL_EP_IN: data, end of file or a connection; TL_EP_OUT:
 * room to write): first every ordinary entry (the models' readable or
 * writable hooks: select and poll entries, epoll items), then the
 * exclusive entries in the order they were queued, until one wakes a
 * task: the tasks asleep on wobj in wait w (accept, a pipe's reader or
 * writer; w TW_NOTHING: none) and EPOLLEXCLUSIVE items (the models'
 * exclusive hooks).  sim_notify_readable/writable are this with no task.
 */
void sim_wake_queue(struct sim *s, int obj, unsigned ev, int wobj, int w);
void sim_notify_readable(struct sim *s, int obj);
void sim_notify_writable(struct sim *s, int obj);
void sim_notify_release(struct sim *s, int obj);

/* ---- the scheduler (sched.c) ---- */
void sched_init(struct sim *s);
/* t joins t->rq's run queue after a sleep (its lag kept) or as a new
 * task */
void sched_place(struct sim *s, struct task *t, int initial);
/* The CPU a task that wakes (or, initial, a new one) goes to
 * (select_task_rq_fair) */
int sched_select_cpu(struct sim *s, struct task *t, int initial);
/* t becomes ready: to the CPU sched_select_cpu picks, placed, READY, an
 * idle CPU kicked, and the preemption check */
void sched_ready(struct sim *s, struct task *t, int initial);
/* t, running, goes to sleep: remember its lag */
void sched_sleep(struct sim *s, struct task *t);
/* t starts / stops using its CPU */
void sched_on(struct sim *s, struct task *t);
void sched_off(struct sim *s, struct task *t);
/* t was taken from the run queue to run: its slice is protected */
void sched_picked(struct sim *s, struct task *t);
/* the ready task idle CPU c should run (its own queue's, else one it
 * pulls from the busiest other: newidle balance), or TASK_NONE */
int sched_pick(struct sim *s, int c);
/* is a ready task waiting on CPU c that it is not switching to? */
int sched_waiting(const struct sim *s, int c);
/* w was woken or made: should it preempt a running task? */
void sched_wakeup_preempt(struct sim *s, struct task *w);
/* t is back in user space: should it give up its CPU now? */
int sched_yield_now(struct sim *s, struct task *t);
/* how long t may compute before the scheduler looks again */
int64_t sched_run_for(struct sim *s, struct task *t, int64_t remain);
/* the next chunk of t->remain of user-space work (a compute, an
   interpreter's start-up), which a tick may end: GO_BUSY */
int sched_user_chunk(struct sim *s, struct task *t);

/* ---- files and the network (net.c) ---- */
void net_fd_close(struct sim *s, int proc, int fd);
/* bytes (a < 0: the FIN) from src reach dst after the latency */
void net_deliver(struct sim *s, int src, int dst);
void net_syn(struct sim *s, int l, int client, int tries);
void net_ack(struct sim *s, int l, int c);

/* ---- processes (proc.c) ---- */
int proc_task_new(struct sim *s, const char *name, int kind, int decl,
                  int parent, int proc, int external);
/* base, or base2, base3 ... : a task name no task has (the numbers a
 * statement at pc gave are remembered) */
const char *proc_name_unique(struct sim *s, int pc, const char *base,
                             char *buf, size_t n);
/* the same, showing generated script `script` (prog->scripts) */
int proc_task_new_in(struct sim *s, const char *name, int kind, int decl,
                     int parent, int proc, int external, int script);
/* A child of t made by instruction in (its name from in, ready to run at
 * in's pc + 1): a thread, a forked process (a copy of the fd table, the
 * memory and the variables, its own GIL), or a vfork child (the fd table
 * and variables copied; memory and GIL only when it execs).  Its index,
 * or -1 when the run must stop. */
enum { PROC_FORK, PROC_THREAD, PROC_VFORK };
int proc_child_new(struct sim *s, struct task *t, const struct prog_ins *in,
                   int how);
/* multiprocessing (mp.c): t, a spawned child re-running its main module,
 * reached the end of the top-level code: it goes on with its target */
int mp_main_done(struct sim *s, struct task *t);
void proc_give_stdio(struct sim *s, int proc);
/* CPython's GIL (gil.c): made for a new `python` process, shared by its
 * threads; gil_compute before each slice of Python code (-1: go on, else
 * a GO_* code), gil_release when a thread enters a syscall or ends */
int gil_new(struct sim *s, int proc);
void gil_free(struct task *t);
void gil_quiet(struct sim *s, const struct task *t);
int gil_compute(struct sim *s, struct task *t);
void gil_release(struct sim *s, struct task *t);
/* The memory of new process proc: its `shared` variables, each a TQK_MEM
 * queue, zero (from < 0) or a copy of process from's (fork) */
int mem_new(struct sim *s, int proc, int from);
/* the kernel thread a task runs in (coroutines share their thread's) */
static inline int sim_kthread(const struct sim *s, int task)
{
    return task < 0 ? -1 : s->tasks[task].kthread;
}
long sim_emit(struct sim *s, int type, int task, int sub, int obj, int64_t a,
              int64_t b);
int sim_fd_obj(struct sim *s, const struct task *t, int64_t fd);
/* Enter syscall sys once per instruction (a retried call does not re-enter) */
void sim_sys_enter(struct sim *s, struct task *t, int sys, int64_t fd,
                   int64_t arg);
/* The same, with its arguments as strace would print them (a timeline
 * string in SYS_ENTER.b): pipe2's O_CLOEXEC, the message a write carries */
void sim_sys_enter_args(struct sim *s, struct task *t, int sys, int64_t fd,
                        int64_t arg, const char *args);
/*
 * Timeouts of the waiting calls (pselect6, poll, epoll_wait,
 * io_uring_enter).  sim_sys_enter_wait enters sys like sim_sys_enter and,
 * on the call's first entry, sets its timeout: tmo ns from now (< 0: none,
 * wait for ever; 0: do not sleep at all).  With slack, the timer fires
 * that much later, as select_estimate_accuracy() lets it (fs/select.c:
 * 0.1% of the timeout, at least the task's timer_slack_ns, at most 100
 * ms); io_uring's wait has none.  sim_block_timed sleeps like sim_block
 * with that timer armed; sim_timed_out says whether the call must now
 * return 0 (or ETIME) instead of sleeping.
 */
void sim_sys_enter_wait(struct sim *s, struct task *t, int sys, int64_t fd,
                        int64_t arg, int64_t tmo, int slack);
int sim_block_timed(struct sim *s, struct task *t, int w, int obj);
/* Operand i of in as a timeout in ns, rounded up to a whole unit (the
 * resolution of the call's argument: 1 ms for poll and epoll_wait, 1 us
 * for select's timeval), as a program waits at least what it asks for;
 * -1 when the operand is absent; a negative value is returned as is */
int64_t sim_timeout_arg(const struct task *t, const struct prog_ins *in,
                        int i, int64_t unit);
static inline int sim_timed_out(const struct sim *s, const struct task *t)
{
    return t->tmo_at >= 0 && (t->tmo_fired || t->tmo_at <= s->now);
}
/* The string id of text, an array a call of t passed (which 0) or got
 * back (which 1) as strace prints it (select's sets, poll's pollfds,
 * epoll_wait's events), for SYS_ENTER.obj or SYSCALL.obj (TL_STR_OBJ):
 * the last one's again if it is the same; -1 out of memory */
int sim_call_str(struct sim *s, struct task *t, int which, const char *text);
/* The same for the array tl_fdev_text words (kind, fd, ev, n, total): a
 * one-entry array seen before is not worded and looked up again */
int sim_fdev_str(struct sim *s, struct task *t, int which, int kind,
                 const int32_t *fd, const uint32_t *ev, int n, int64_t total);
/* copy_from_user / copy_to_user of a syscall's argument (an fd_set, a
 * pollfd array, epoll events): an event of the task, no buffer; returns
 * its cost */
int64_t sim_arg_copy(struct sim *s, int task, int sys, int dir, int64_t bytes);
/* Finish the current syscall with ret after kernel_ns of CPU; returns GO_BUSY */
int sim_sys_return(struct sim *s, struct task *t, int64_t ret, int64_t kernel_ns);
/* Block t on obj (or -1) for reason w; returns GO_BLOCKED */
int sim_block(struct sim *s, struct task *t, int w, int obj);
/* Wake every task blocked on obj for reason w (TW__COUNT: any reason) */
void sim_wake_obj(struct sim *s, int obj, int w);
void sim_wake(struct sim *s, struct task *t);
int sim_obj_new(struct sim *s, int kind, int64_t rxcap, int64_t txcap, int peer,
                int owner);
int sim_fd_open(struct sim *s, int proc, int obj);
/* 0 if process proc can open n more fds below its RLIMIT_NOFILE soft
 * limit, else -EMFILE (alloc_fd: an fd must be below the limit) */
int sim_fd_room(struct sim *s, int proc, int n);
/* The address the next mmap of len bytes gets in t's process (mapped top
 * down from below the stack, as x86_64's mmap_base does) */
int64_t sim_mmap_addr(struct sim *s, struct task *t, int64_t len);
int sim_fail(struct sim *s, const struct prog_ins *in, const char *fmt, ...);
int64_t sim_copy_ns(const struct sim *s, int64_t bytes);
/* Is obj readable now (data, EOF, or a pending connection)? */
int sim_readable(const struct sim *s, int obj);
/* Is there room for a writer of obj, as poll's POLLOUT says (net.c)? */
int sim_writable(const struct sim *s, int obj);
/* The same, asked by poll/select/epoll: no room marks obj so that the
 * room made later wakes them (tcp_poll's SOCK_NOSPACE) */
int sim_poll_out(struct sim *s, int obj);
/* obj's poll method, in Linux's bits (POLLIN, POLLOUT, POLLERR, POLLHUP;
 * epoll's are the same): a pipe's read end has POLLHUP once its writers
 * are gone (with POLLIN only while data is left), its write end POLLERR
 * once its readers are; a socketpair's end POLLHUP once the peer closed;
 * a TCP socket's FIN is POLLIN (net.c) */
unsigned sim_poll_mask(const struct sim *s, int obj);
/* What poll's revents or epoll_wait's events say for a file the model
 * found ready for asked (TL_EP_IN | TL_EP_OUT): the mask, filtered as
 * Linux does (what was asked, and POLLERR and POLLHUP always); POLLNVAL
 * for obj < 0 */
unsigned sim_revents(const struct sim *s, int obj, unsigned asked);
#define NET_PAGE 4096 /* a pipe's buffers are pages */
int sim_ready_push(struct task *t, int32_t fd);
void sim_schedule(struct sim *s, int64_t t, int kind, int task, int obj,
                  int obj2, int64_t a);
/* Kill t's whole process with signal sig (raised, not handled): every thread
 * ends with status 128 + sig, as a shell reports it, and every fd closes */
void sim_kill_process(struct sim *s, struct task *t, int sig);
/* Bytes left obj's receive buffer: let the sender's stalled bytes in */
void sim_room_made(struct sim *s, int obj);
/* One-way delay of a connection (0 inside the machine) */
int64_t sim_obj_latency(const struct sim *s, int obj);

#endif
