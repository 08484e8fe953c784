/*
 * world.h - the state of the whole system at one point of a timeline.
 *
 * A world is a pure function of a timeline prefix: world_apply() folds one
 * event into it, and nothing else may change it.  The simulator keeps its
 * own world current by applying every event it appends (so what the engine
 * decides on and what the viewer shows cannot disagree); the viewer gets a
 * world at any index from a cursor (struct wcur), which restores the nearest
 * checkpoint at or before the index and replays from there.
 *
 * Invariants: tasks[i] exists for i < tl->ntasks (state TS_NONE until its
 * TASK_NEW); objs[i] for i < tl->nobjs; a process's fd table lives in
 * procs[task index]; queues[q].items is in order, oldest first.  The run
 * queues (queue 0, and a queue per CPU: tl.h) are kept by world_apply
 * from STATE events alone.
 */
#ifndef IOSIM_WORLD_H
#define IOSIM_WORLD_H

#include "tl.h"

struct w_task {
    int64_t since;  /* time of the last state change */
    int64_t cpu_ns; /* CPU time used so far (running) */
    int64_t ubuf;   /* bytes in the user buffer of the last read */
    int64_t sys_t;  /* time the current syscall was entered */
    int32_t wait_obj;
    int32_t line;
    int32_t last_ev; /* index of the task's last event, -1 */
    int16_t sys;     /* syscall in progress or -1 */
    int16_t cpu;     /* -1: not on a CPU of the machine (up to 1024) */
    int8_t state;
    int8_t wait;     /* enum tl_wait */
    int16_t rq;      /* READY: the run queue it waits in (a queue id) */
};

struct w_fd {
    int32_t obj; /* -1: free slot */
    uint8_t flags; /* fd flags (FD_CLOEXEC); status flags are in w_obj */
    uint8_t pad[3];
};

struct w_proc {
    struct w_fd *fds;
    int nfds; /* slots in use up to the highest open fd + 1 */
    int cap;
    int open; /* number of open fds */
};

struct w_obj {
    int64_t rx;     /* bytes in the receive buffer */
    int64_t tx;     /* bytes in the send buffer (not yet in the peer's rx) */
    int32_t refs;   /* fds (in all tables) pointing here */
    uint8_t live;   /* created and not freed */
    int32_t port;
    uint8_t eof;    /* reader will see EOF once rx is empty */
    uint8_t kind;   /* enum tl_obj_kind, current */
    uint8_t flags;  /* file status flags: TL_FL_* */
    uint8_t pad;
};

/* items[0..n) are the queue, oldest first; they live in base[0..cap) from
   items - base on, so taking the oldest is O(1) (see q_remove) */
struct w_queue {
    int64_t *items;
    int64_t *base;
    int n, cap;
};

struct world {
    int64_t t;
    long idx; /* number of events applied */
    struct w_task *tasks;
    int ntasks, taskcap;
    struct w_proc *procs; /* indexed like tasks; used for processes */
    int nprocs;           /* procs[0..nprocs) are initialised */
    struct w_obj *objs;
    int nobjs, objcap;
    struct w_queue *queues;
    int nqueues, queuecap;
    int32_t *cpus; /* task on each cpu or -1 */
    int ncpus;
    int32_t caption;      /* string id of the current caption, -1 */
    long caption_ev;      /* index of the event that set it, -1 */
    /* a cursor's checkpoint (wcur): every array above in this one block,
       sized exactly; it is only read (world_copy from it), never applied
       to, and world_free frees the block */
    void *arena;
    size_t arena_bytes;
    /* A removal by value (QUEUE remove, a task leaving the run queue)
     * searches its queue; a cursor that saw where it found the item says
     * so in qhint before the step (checked, -1: none), and reads where a
     * search found it in qfound.  Neither is part of the state. */
    int qhint, qfound;
};

int world_init(struct world *w, int ncpus);
void world_free(struct world *w);
int world_copy(struct world *dst, const struct world *src);
/* Fold tl->ev[w->idx] into w; returns 0 or -ENOMEM / -EINVAL. */
int world_step(struct world *w, const struct tl *tl);
/* Same, for an event given directly (it must be tl->ev[w->idx]). */
int world_apply_any(struct world *w, const struct tl *tl,
                    const struct tl_ev *e);
/* The same.  A call's entry and return, its scan and its copy of the
 * arguments (half of a simulation's events) change only their task's
 * row: inline, for the engine that mirrors every event and the cursor
 * that replays them. */
static inline int world_apply(struct world *w, const struct tl *tl,
                              const struct tl_ev *e)
{
    unsigned type = e->type;
    if (((1u << type) & ((1u << EV_SYS_ENTER) | (1u << EV_SYSCALL) |
                         (1u << EV_SCAN) | (1u << EV_ARGCOPY))) &&
        e->task < w->ntasks) {
        struct w_task *k = &w->tasks[e->task];
        w->t = e->t;
        k->last_ev = (int32_t)w->idx++;
        if (e->line > 0)
            k->line = (int32_t)e->line;
        if (type == EV_SYS_ENTER) {
            k->sys = (int16_t)e->sub;
            k->sys_t = e->t;
        } else if (type == EV_SYSCALL) {
            k->sys = -1;
        }
        return 0;
    }
    return world_apply_any(w, tl, e);
}
/* Compare two worlds; returns 0 if equal, else a short reason (static). */
const char *world_diff(const struct world *a, const struct world *b);
/* Bytes a world holds: its arrays' capacities and what malloc adds */
size_t world_bytes(const struct world *w);

/* fd lookup: object index or -1 */
int world_fd_obj(const struct world *w, int proc, int fd);
/* lowest free fd of a process (POSIX rule) */
int world_fd_lowest(const struct world *w, int proc);

/*
 * A cursor over a finished timeline: random access to the world at any
 * event index, with checkpoints taken while it is built so that a seek
 * replays a bounded number of events.
 */
struct wcur_hint {
    uint32_t idx; /* the event */
    int32_t pos;  /* where in its queue the item it removes is */
};

struct wcur {
    const struct tl *tl;
    struct world w;      /* world after w.idx events */
    struct world *cps;   /* checkpoints, cps[k].idx increasing */
    int ncps, cpcap;
    long every;          /* events between checkpoints */
    size_t cp_bytes;     /* what the checkpoints hold (world_bytes), and
                            the removal hints */
    /* removals that searched far into a long queue (an epoll ready list
     * of thousands), by event: a seek's replay goes straight there */
    struct wcur_hint *hints;
    size_t nhints, hintcap;
};

int wcur_open(struct wcur *c, const struct tl *tl);
void wcur_close(struct wcur *c);
/* Make c->w the world after exactly idx events (0 <= idx <= tl->nev). */
int wcur_seek(struct wcur *c, long idx);
/* Bytes the cursor holds: checkpoints, its world, its arrays */
size_t wcur_bytes(const struct wcur *c);

#endif
