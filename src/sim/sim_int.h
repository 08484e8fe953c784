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

#include "sim/sim.h"

/* What a handler tells the interpreter */
enum go { GO_NEXT, GO_BUSY, GO_BLOCKED, GO_EXITED, GO_FAIL };

/* Agenda item kinds */
enum ag_kind { AG_RUN, AG_STEP, AG_TIMER, AG_DELIVER, AG_SYN, AG_ESTABLISHED,
               AG_CAPTION, AG_START };

struct agenda {
    int64_t t;
    uint64_t seq;
    int32_t kind, task, obj, obj2;
    int64_t a;
    uint32_t gen;
    int32_t pad;
};

struct task {
    int64_t *slots;
    int64_t id;       /* pid or tid shown to the script */
    int64_t sys_t;    /* when the current syscall was entered */
    int64_t done;     /* bytes written so far by the current write */
    int64_t remain;   /* compute time left */
    int64_t busy_ns;  /* set by a handler returning GO_BUSY */
    int64_t ret;      /* result to store when the syscall completes */
    int64_t ret2;
    int64_t loop_t;   /* time at which zero-time instruction counting began */
    long loop_n;
    int32_t decl, pc, proc, parent, block_end;
    int32_t sys, sys_fd, phase;
    int32_t next_waiter, wait_obj, waiting_for;
    int32_t cpu, reserved;
    int32_t *ready;   /* fds made ready by the last select/poll/epoll_wait */
    int32_t nready, readycap, ready_i;
    uint32_t gen;     /* bumps invalidate agenda items for the task */
    uint8_t external, in_sys, advance, exited, reaped, is_thread, pend;
    int8_t code;
};

/* The engine's private side of a kernel object */
struct sobj {
    int64_t stalled;   /* sent bytes the peer's full buffer cannot take yet */
    int32_t first_waiter;
    int32_t accept_q;  /* listening sockets: queue id */
    int32_t remote;    /* 1 if the connection crosses to a peer host */
    int32_t connect_ret; /* connecting sockets: 1 pending, 0 ok, -errno */
    uint8_t fin_pending, freed;
    void *mux;         /* per-model private state (epoll instance, ...) */
};

struct heap {
    struct agenda *v;
    size_t n, cap;
};

struct listener {
    int port, obj;
};

struct sim {
    const struct prog *p;
    const struct sim_opts *o;
    struct tl *tl;
    struct world w;
    struct heap h;
    int64_t now;
    uint64_t seq;
    long max_events;
    struct task *tasks;
    int ntasks, taskcap;
    struct sobj *objs;
    int nobjs, objcap;
    struct listener *ls;
    int nls, lscap;
    int32_t *cpu_last;
    uint8_t *cpu_busy;
    int tty;
    int script;
    int *decl_children; /* per prog task: children/threads named so far */
    int failed, stop;
    char *err;
    size_t errlen;
    const struct mux_ops *mux[OP__COUNT];
};

/* An I/O model: handlers for the operations it owns, and readiness hooks */
struct mux_ops {
    const char *name;
    int ops[4];   /* prog ops this model handles, OP__COUNT-terminated */
    int (*exec)(struct sim *s, struct task *t, const struct prog_ins *in);
    /* bytes arrived, EOF, or a new connection on object obj */
    void (*readable)(struct sim *s, int obj);
    /* an object is about to be freed */
    void (*release)(struct sim *s, int obj);
};

extern const struct mux_ops mux_select_ops, mux_poll_ops, mux_epoll_ops;

/* ---- services for handlers (sim.c) ---- */
long sim_emit(struct sim *s, int type, int task, int sub, int obj, int64_t a,
              int64_t b);
int64_t sim_arg(const struct task *t, const struct prog_ins *in, int i);
int sim_fd_obj(struct sim *s, const struct task *t, int64_t fd);
/* Enter syscall sys once per instruction (a retried call does not re-enter) */
void sim_sys_enter(struct sim *s, struct task *t, int sys, int64_t fd,
                   int64_t arg);
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
int sim_fail(struct sim *s, const struct prog_ins *in, const char *fmt, ...);
int64_t sim_copy_ns(const struct sim *s, int64_t bytes);
/* Is obj readable now (data, EOF, or a pending connection)? */
int sim_readable(const struct sim *s, int obj);
void sim_set_ready(struct task *t, const int32_t *fds, int n);
int sim_ready_push(struct task *t, int32_t fd);
void sim_schedule(struct sim *s, int64_t t, int kind, int task, int obj,
                  int obj2, int64_t a);

#endif
