/*
 * world.c - folding events into system state, and seeking with checkpoints.
 *
 * Seeking: wcur_open() replays the timeline once and keeps a packed copy
 * of the world (cp_take) every c->every events.  The interval grows with
 * the size of the packed copy so that checkpoints cost at most about
 * CP_BYTES_PER_EVENT bytes per event, while a seek unpacks the nearest
 * checkpoint at or before the target and replays at most `every` events.
 * The two costs are measured (make bench, at 10,000 connections): a
 * restore unpacks the world at about 6 GB/s (0.25 ms), a replay takes 8-9
 * ns an event; at 4 bytes an event the interval is 55,000 events, whose
 * replay costs about twice a restore, so a seek stays well under a
 * millisecond (seek.p50_ms, seek.p99_ms) while the checkpoints take a
 * tenth of what the events do (memory.bytes_per_event_1m, _10m).
 *
 * A removal by value (an fd leaving an epoll ready list, a task leaving
 * the run queue) searches its queue, and a C10K server's ready list holds
 * thousands: those searches made replays five times slower.  wcur_open()
 * notes where each removal that searched far found its item (8 bytes per
 * such event); a seek's replay hands that position to the step (qhint),
 * which checks it before use.
 */
#include "tl/world.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CP_MIN_EVERY 4096
#define CP_BYTES_PER_EVENT 4

/* Grow *arr to at least need elements of sz, doubling from min; the new
 * elements are left as they are (never touched, the pages of a large
 * block cost nothing until used): for rows initialised when they come in
 * use (ensure_task, ensure_obj) */
static int grow_rows(void **arr, int *cap, int need, size_t sz, int min)
{
    if (need <= *cap)
        return 0;
    int ncap = *cap ? *cap : min;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, (size_t)ncap * sz);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* The same, from 8, with the new elements zeroed */
static int grow_to(void **arr, int *cap, int need, size_t sz)
{
    int old = *cap;
    if (grow_rows(arr, cap, need, sz, 8))
        return -ENOMEM;
    if (*cap > old)
        memset((char *)*arr + (size_t)old * sz, 0, (size_t)(*cap - old) * sz);
    return 0;
}

int world_init(struct world *w, int ncpus)
{
    memset(w, 0, sizeof *w);
    w->caption = -1;
    w->caption_ev = -1;
    w->qhint = -1;
    w->qfound = -1;
    w->ncpus = ncpus > 0 ? ncpus : 1;
    w->cpus = malloc((size_t)w->ncpus * sizeof *w->cpus);
    if (!w->cpus)
        return -ENOMEM;
    for (int i = 0; i < w->ncpus; i++)
        w->cpus[i] = -1;
    return 0;
}

void world_free(struct world *w)
{
    if (!w)
        return;
    if (w->arena) { /* a checkpoint: one block */
        free(w->arena);
        memset(w, 0, sizeof *w);
        return;
    }
    for (int i = 0; i < w->nprocs; i++)
        free(w->procs[i].fds);
    for (int i = 0; i < w->queuecap; i++)
        free(w->queues[i].base);
    free(w->tasks);
    free(w->procs);
    free(w->objs);
    free(w->queues);
    free(w->cpus);
    memset(w, 0, sizeof *w);
}

/* Room for n tasks' rows and fd tables (procs as many as tasks); the fd
 * tables up to n are initialised (an empty table: nothing allocated), the
 * rows of tasks are not (ensure_task) */
static int tasks_room(struct world *w, int n, int min)
{
    int cap = w->taskcap;
    if (grow_rows((void **)&w->procs, &cap, n, sizeof *w->procs, min) ||
        grow_rows((void **)&w->tasks, &w->taskcap, n, sizeof *w->tasks, min))
        return -ENOMEM;
    if (n > w->nprocs) {
        memset(&w->procs[w->nprocs], 0, (size_t)(n - w->nprocs) * sizeof *w->procs);
        w->nprocs = n;
    }
    return 0;
}

/* ensure_task, ensure_obj, ensure_queue: the row is there (inline: every
 * event asks), or the table grows to it (out of line) */
__attribute__((noinline)) static int add_task(struct world *w, int t)
{
    if (tasks_room(w, t + 1, 8))
        return -ENOMEM;
    for (int i = w->ntasks; i <= t; i++) {
        struct w_task *k = &w->tasks[i];
        memset(k, 0, sizeof *k);
        k->state = TS_NONE;
        k->cpu = -1;
        k->sys = -1;
        k->wait_obj = -1;
        k->last_ev = -1;
    }
    w->ntasks = t + 1;
    return 0;
}

static inline int ensure_task(struct world *w, int t)
{
    return t < w->ntasks ? 0 : add_task(w, t);
}

__attribute__((noinline)) static int add_obj(struct world *w, int o)
{
    if (grow_rows((void **)&w->objs, &w->objcap, o + 1, sizeof *w->objs, 8))
        return -ENOMEM;
    memset(&w->objs[w->nobjs], 0, (size_t)(o + 1 - w->nobjs) * sizeof *w->objs);
    w->nobjs = o + 1;
    return 0;
}

static inline int ensure_obj(struct world *w, int o)
{
    return o < w->nobjs ? 0 : add_obj(w, o);
}

__attribute__((noinline)) static int add_queue(struct world *w, int q)
{
    if (grow_to((void **)&w->queues, &w->queuecap, q + 1, sizeof *w->queues))
        return -ENOMEM;
    w->nqueues = q + 1;
    return 0;
}

static inline int ensure_queue(struct world *w, int q)
{
    return q < w->nqueues ? 0 : add_queue(w, q);
}

static int q_push(struct world *w, int q, int64_t item)
{
    if (ensure_queue(w, q))
        return -ENOMEM;
    struct w_queue *Q = &w->queues[q];
    int head = Q->base ? (int)(Q->items - Q->base) : 0;
    if (head + Q->n == Q->cap && head > 0 && head >= Q->cap / 2) {
        /* the front half is free: move down (paid for by its pops) */
        memmove(Q->base, Q->items, (size_t)Q->n * sizeof *Q->items);
        head = 0;
    }
    if (grow_to((void **)&Q->base, &Q->cap, head + Q->n + 1, sizeof *Q->base))
        return -ENOMEM;
    Q->items = Q->base + head;
    Q->items[Q->n++] = item;
    return 0;
}

/* item goes in at position at (clamped to the queue's length) */
static int q_insert(struct world *w, int q, int64_t item, int64_t at)
{
    if (q_push(w, q, item))
        return -ENOMEM;
    struct w_queue *Q = &w->queues[q];
    if (at < 0 || at >= Q->n - 1)
        return 0;
    memmove(&Q->items[at + 1], &Q->items[at],
            (size_t)(Q->n - 1 - at) * sizeof *Q->items);
    Q->items[at] = item;
    return 0;
}

/* the first i with it[i] == v, or n; eight at a time (the ready list of
 * an epoll instance with 10,000 connections holds thousands) */
static int q_find(const int64_t *it, int n, int64_t v)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        if ((it[i] == v) | (it[i + 1] == v) | (it[i + 2] == v) | (it[i + 3] == v) |
            (it[i + 4] == v) | (it[i + 5] == v) | (it[i + 6] == v) | (it[i + 7] == v))
            break;
    while (i < n && it[i] != v)
        i++;
    return i;
}

/* take items[i] out of queue Q, closing the gap from the shorter side */
static void q_remove_at(struct w_queue *Q, int i)
{
    if (i < Q->n / 2) {
        memmove(&Q->items[1], &Q->items[0], (size_t)i * sizeof *Q->items);
        Q->items++;
    } else {
        memmove(&Q->items[i], &Q->items[i + 1],
                (size_t)(Q->n - i - 1) * sizeof *Q->items);
    }
    if (--Q->n == 0)
        Q->items = Q->base;
}

static void q_remove(struct world *w, int q, int64_t item, int first)
{
    if (q >= w->nqueues)
        return;
    struct w_queue *Q = &w->queues[q];
    int i = 0;
    if (!first) {
        int h = w->qhint;
        i = h >= 0 && h < Q->n && Q->items[h] == item ? h
                                                      : q_find(Q->items, Q->n, item);
        w->qhint = -1;
        w->qfound = i < Q->n ? i : -1;
    }
    if (i < Q->n)
        q_remove_at(Q, i);
}

static int fd_set_slot(struct world *w, int proc, int fd, int obj, int flags)
{
    if (ensure_task(w, proc))
        return -ENOMEM;
    struct w_proc *p = &w->procs[proc];
    int old = p->cap; /* from 4 slots: stdin, stdout, stderr and one */
    if (grow_rows((void **)&p->fds, &p->cap, fd + 1, sizeof *p->fds, 4))
        return -ENOMEM;
    for (int i = old; i < p->cap; i++)
        p->fds[i] = (struct w_fd){.obj = -1};
    /* slots past nfds may hold what a copied world left there */
    for (int i = p->nfds; i < fd; i++) {
        p->fds[i].obj = -1;
        p->fds[i].flags = 0;
    }
    p->fds[fd].obj = obj;
    p->fds[fd].flags = (uint8_t)flags;
    if (fd >= p->nfds)
        p->nfds = fd + 1;
    p->open++;
    return 0;
}

int world_fd_obj(const struct world *w, int proc, int fd)
{
    if (proc < 0 || proc >= w->ntasks || fd < 0 || fd >= w->procs[proc].nfds)
        return -1;
    return w->procs[proc].fds[fd].obj;
}

int world_fd_lowest(const struct world *w, int proc)
{
    if (proc < 0 || proc >= w->ntasks)
        return 0;
    const struct w_proc *p = &w->procs[proc];
    if (p->open == p->nfds)
        return p->nfds;
    for (int i = 0; i < p->nfds; i++)
        if (p->fds[i].obj < 0)
            return i;
    return p->nfds;
}

static void set_state(struct world *w, const struct tl *tl, struct w_task *k,
                      int task, const struct tl_ev *e)
{
    if (k->state == TS_READY)
        q_remove(w, k->rq, task, 0);
    if (k->state == TS_RUNNING) {
        if (k->cpu >= 0 && k->cpu < w->ncpus && w->cpus[k->cpu] == task)
            w->cpus[k->cpu] = -1;
        k->cpu_ns += e->t - k->since;
        k->cpu = -1;
    }
    k->state = (int8_t)e->sub;
    k->since = e->t;
    k->wait_obj = -1;
    k->wait = TW_NOTHING;
    switch (e->sub) {
    case TS_READY:
        k->rq = (int16_t)tl_run_queue(tl, e->a);
        q_push(w, k->rq, task);
        break;
    case TS_RUNNING:
        k->cpu = (int16_t)e->a;
        if (e->a >= 0 && e->a < w->ncpus)
            w->cpus[e->a] = task;
        break;
    case TS_BLOCKED:
        k->wait_obj = e->obj;
        k->wait = (int8_t)e->a;
        break;
    case TS_EXITED:
    case TS_ZOMBIE:
        k->sys = -1;
        break;
    }
}

int world_apply_any(struct world *w, const struct tl *tl,
                    const struct tl_ev *e)
{
    long idx = w->idx;
    w->t = e->t;
    w->idx++;
    struct w_task *k = NULL;
    if (e->task != TL_NOTASK) {
        if (ensure_task(w, e->task))
            return -ENOMEM;
        k = &w->tasks[e->task];
        if (e->type != EV_FD_OPEN && e->type != EV_FD_CLOSE &&
            e->type != EV_FLAGS) {
            k->last_ev = (int32_t)idx;
            if (e->line > 0)
                k->line = e->line;
        }
    }
    int has_obj = e->obj >= 0 && e->type != EV_QUEUE && e->type != EV_SYS_ENTER &&
                  e->type != EV_SYSCALL && e->type != EV_STATE &&
                  e->type != EV_SCAN && e->type != EV_ARGCOPY &&
                  e->type != EV_MEM && e->type != EV_REPARENT;
    if (has_obj && e->obj > (1 << 24))
        return -EINVAL;
    if (has_obj && ensure_obj(w, e->obj))
        return -ENOMEM;
    struct w_obj *o = has_obj ? &w->objs[e->obj] : NULL;

    switch (e->type) {
    case EV_TASK_NEW:
        if (!k)
            return -EINVAL;
        k->state = TS_NEW;
        k->since = e->t;
        break;
    case EV_STATE:
        if (!k)
            return -EINVAL;
        set_state(w, tl, k, e->task, e);
        break;
    case EV_SYS_ENTER:
        if (k) {
            k->sys = (int16_t)e->sub;
            k->sys_t = e->t;
        }
        break;
    case EV_SYSCALL:
        if (k)
            k->sys = -1;
        break;
    case EV_FD_OPEN:
        if (!k || e->a < 0 || e->a > (1 << 24) || !o)
            return -EINVAL;
        if (world_fd_obj(w, e->task, (int)e->a) >= 0)
            return -EINVAL; /* an fd is closed before it is reused (dup2
                               onto an open fd: FD_CLOSE, then FD_OPEN) */
        if (fd_set_slot(w, e->task, (int)e->a, e->obj, e->sub))
            return -ENOMEM;
        o->refs++;
        break;
    case EV_FD_CLOSE: {
        if (!k)
            return -EINVAL;
        struct w_proc *p = &w->procs[e->task];
        if (e->a < 0 || e->a >= p->nfds || p->fds[e->a].obj < 0)
            return -EINVAL;
        int ob = p->fds[e->a].obj;
        p->fds[e->a].obj = -1;
        p->fds[e->a].flags = 0;
        p->open--;
        while (p->nfds > 0 && p->fds[p->nfds - 1].obj < 0)
            p->nfds--;
        if (ob < w->nobjs)
            w->objs[ob].refs--;
        break;
    }
    case EV_FLAGS:
        if (!o)
            return -EINVAL;
        o->flags = e->sub;
        break;
    case EV_DATA:
        if (!o)
            return -EINVAL;
        o->rx += e->a;
        if (e->b >= 0) {
            if (ensure_obj(w, (int)e->b))
                return -ENOMEM;
            w->objs[e->b].tx -= e->a;
        }
        break;
    case EV_COPY:
        if (!o)
            return -EINVAL;
        if (e->sub == TC_TO_USER) {
            o->rx -= e->a;
            if (k)
                k->ubuf = e->a;
        } else if (e->obj < tl->nobjs && tl->objs[e->obj].txcap > 0) {
            o->tx += e->a;
        } else {
            o->rx += e->a;
        }
        break;
    case EV_EOF:
        if (!o)
            return -EINVAL;
        o->eof = 1;
        break;
    case EV_QUEUE:
        if (e->obj < 0)
            return -EINVAL;
        if (e->sub == TQ_PUSH)
            return q_push(w, e->obj, e->a);
        if (e->sub == TQ_INSERT)
            return q_insert(w, e->obj, e->a, e->b);
        if (ensure_queue(w, e->obj))
            return -ENOMEM;
        q_remove(w, e->obj, e->a, e->sub == TQ_POP);
        break;
    case EV_CAPTION:
        w->caption = (int32_t)e->a;
        w->caption_ev = idx;
        break;
    case EV_OBJ_NEW:
        if (!o)
            return -EINVAL;
        memset(o, 0, sizeof *o);
        o->live = 1;
        o->kind = e->sub;
        o->port = (int32_t)e->a;
        break;
    case EV_OBJ_SET:
        if (!o)
            return -EINVAL;
        o->kind = e->sub;
        o->port = (int32_t)e->a;
        break;
    case EV_OBJ_FREE:
        if (!o)
            return -EINVAL;
        o->live = 0;
        break;
    case EV_MEM: /* the variable's queue holds its one value */
        if (e->obj < 0 || e->obj >= (1 << 24))
            return -EINVAL;
        if (e->sub == TM_LOAD || (e->sub == TM_CAS && e->a == e->b))
            break;
        if (ensure_queue(w, e->obj))
            return -ENOMEM;
        w->queues[e->obj].n = 0;
        return q_push(w, e->obj, e->a);
    case EV_SIGNAL:
    case EV_REPARENT:
    case EV_SCAN:
    case EV_ARGCOPY:
    case EV_SWITCH: /* the STATE events around it say what changes */
    case EV_CALL:   /* the line the task runs says where it is */
        break;
    default:
        return -EINVAL;
    }
    return 0;
}

int world_step(struct world *w, const struct tl *tl)
{
    if ((size_t)w->idx >= tl->nev)
        return -EINVAL;
    return world_apply(w, tl, &tl->ev[w->idx]);
}

/* Copy n elements into *dst (capacity *dcap), growing it; 0 or -ENOMEM */
static int copy_arr(void **dst, int *dcap, const void *src, int n, size_t sz)
{
    if (grow_to(dst, dcap, n, sz))
        return -ENOMEM;
    if (n > 0)
        memcpy(*dst, src, (size_t)n * sz);
    return 0;
}

int world_copy(struct world *d, const struct world *s)
{
    if (d->ncpus != s->ncpus) {
        int32_t *c = realloc(d->cpus, (size_t)s->ncpus * sizeof *c);
        if (!c)
            return -ENOMEM;
        d->cpus = c;
        d->ncpus = s->ncpus;
    }
    memcpy(d->cpus, s->cpus, (size_t)s->ncpus * sizeof *d->cpus);
    if (tasks_room(d, s->ntasks, 8))
        return -ENOMEM;
    if (s->ntasks > 0)
        memcpy(d->tasks, s->tasks, (size_t)s->ntasks * sizeof *s->tasks);
    for (int i = 0; i < s->ntasks; i++) {
        const struct w_proc *sp = &s->procs[i];
        struct w_proc *dp = &d->procs[i];
        if (copy_arr((void **)&dp->fds, &dp->cap, sp->fds, sp->nfds,
                     sizeof *sp->fds))
            return -ENOMEM;
        dp->nfds = sp->nfds;
        dp->open = sp->open;
    }
    for (int i = s->ntasks; i < d->ntasks; i++) {
        d->procs[i].nfds = 0;
        d->procs[i].open = 0;
    }
    d->ntasks = s->ntasks;
    if (copy_arr((void **)&d->objs, &d->objcap, s->objs, s->nobjs,
                 sizeof *s->objs))
        return -ENOMEM;
    d->nobjs = s->nobjs;
    if (grow_to((void **)&d->queues, &d->queuecap, s->nqueues,
                sizeof *d->queues))
        return -ENOMEM;
    for (int i = 0; i < s->nqueues; i++) {
        if (copy_arr((void **)&d->queues[i].base, &d->queues[i].cap,
                     s->queues[i].items, s->queues[i].n,
                     sizeof *s->queues[i].items))
            return -ENOMEM;
        d->queues[i].items = d->queues[i].base;
        d->queues[i].n = s->queues[i].n;
    }
    for (int i = s->nqueues; i < d->nqueues; i++) {
        d->queues[i].n = 0;
        d->queues[i].items = d->queues[i].base;
    }
    d->nqueues = s->nqueues;
    d->t = s->t;
    d->idx = s->idx;
    d->caption = s->caption;
    d->caption_ev = s->caption_ev;
    return 0;
}

const char *world_diff(const struct world *a, const struct world *b)
{
    if (a->idx != b->idx)
        return "event index";
    if (a->t != b->t)
        return "time";
    if (a->caption != b->caption || a->caption_ev != b->caption_ev)
        return "caption";
    if (a->ntasks != b->ntasks)
        return "number of tasks";
    if (a->ncpus != b->ncpus ||
        memcmp(a->cpus, b->cpus, (size_t)a->ncpus * sizeof *a->cpus))
        return "cpus";
    for (int i = 0; i < a->ntasks; i++) {
        if (memcmp(&a->tasks[i], &b->tasks[i], sizeof a->tasks[i]))
            return "a task";
        const struct w_proc *p = &a->procs[i], *q = &b->procs[i];
        if (p->nfds != q->nfds || p->open != q->open)
            return "an fd table";
        for (int f = 0; f < p->nfds; f++)
            if (p->fds[f].obj != q->fds[f].obj ||
                p->fds[f].flags != q->fds[f].flags)
                return "an fd";
    }
    if (a->nobjs != b->nobjs ||
        (a->nobjs && memcmp(a->objs, b->objs, (size_t)a->nobjs * sizeof *a->objs)))
        return "an object";
    int nq = a->nqueues > b->nqueues ? a->nqueues : b->nqueues;
    for (int i = 0; i < nq; i++) {
        int na = i < a->nqueues ? a->queues[i].n : 0;
        int nb = i < b->nqueues ? b->queues[i].n : 0;
        if (na != nb || (na && memcmp(a->queues[i].items, b->queues[i].items,
                                      (size_t)na * sizeof(int64_t))))
            return "a queue";
    }
    return NULL;
}

size_t world_bytes(const struct world *w)
{
    if (w->arena)
        return tl_malloc_bytes(w->arena_bytes);
    size_t n = sizeof *w + tl_malloc_bytes((size_t)w->ncpus * sizeof *w->cpus) +
               tl_malloc_bytes((size_t)w->taskcap * sizeof *w->tasks) +
               tl_malloc_bytes((size_t)w->taskcap * sizeof *w->procs) +
               tl_malloc_bytes((size_t)w->objcap * sizeof *w->objs) +
               tl_malloc_bytes((size_t)w->queuecap * sizeof *w->queues);
    for (int i = 0; i < w->nprocs; i++)
        n += tl_malloc_bytes((size_t)w->procs[i].cap * sizeof(struct w_fd));
    for (int i = 0; i < w->queuecap; i++)
        n += tl_malloc_bytes((size_t)w->queues[i].cap * sizeof(int64_t));
    return n;
}

/* ---- cursor ------------------------------------------------------------- */

/*
 * Checkpoints are packed.  A world's arrays are rows of the same struct
 * (tasks, fd slots, objects, queue items), and a row differs from the one
 * before it in few bits: each 8-byte word is stored XOR the word one row
 * earlier, as its significant low bytes only, their count in a nibble.
 * 10,000 tasks, 20,000 sockets and their fds take a third of their size,
 * and unpacking one costs about what copying it did (no branch per byte).
 */
struct pk {
    uint8_t *p;
};

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int sig_bytes(uint64_t x)
{
    return x ? 8 - __builtin_clzll(x) / 8 : 0;
}

/* The most bytes packing n bytes can take: a control byte per word at
 * worst (calls of one word), and the last word stored whole */
static size_t pk_bound(size_t n)
{
    return n + n / 8 + 64;
}

/* Pack n bytes of rows of stride bytes (each word XOR the word a row
 * earlier); a tail of n % 8 bytes is stored as it is */
static void pk_put(struct pk *k, const void *src, size_t n, size_t stride)
{
    if (n == 0)
        return;
    const uint8_t *s = src;
    uint8_t *p = k->p;
    size_t words = n / 8;
    for (size_t i = 0; i < words; i += 2) { /* a control byte, two words */
        uint8_t *ctl = p++;
        unsigned c = 0;
        for (size_t j = i; j < i + 2 && j < words; j++) {
            size_t off = j * 8;
            uint64_t x = ld64(s + off);
            if (stride && off >= stride)
                x ^= ld64(s + off - stride);
            int len = sig_bytes(x);
            c |= (unsigned)len << (4 * (j - i));
            memcpy(p, &x, 8); /* pk_bound leaves room for the whole word */
            p += len;
        }
        *ctl = (uint8_t)c;
    }
    memcpy(p, s + words * 8, n % 8);
    k->p = p + n % 8;
}

/* Unpack what pk_put(src, n, stride) packed into dst.  The stream has 8
 * readable bytes past its end (cp_take pads it), so every word is one
 * load and a mask; a control byte's two words are unpacked together. */
static void pk_get(struct pk *k, void *dst, size_t n, size_t stride)
{
    static const uint64_t mask[16] = {
        0, 0xff, 0xffff, 0xffffff, 0xffffffffull, 0xffffffffffull,
        0xffffffffffffull, 0xffffffffffffffull, ~0ull};
    if (n == 0)
        return;
    uint8_t *d = dst, *p = k->p;
    size_t words = n / 8, i = 0;
    for (; i + 1 < words; i += 2) {
        unsigned c = *p++, l0 = c & 15, l1 = c >> 4;
        uint64_t x0 = ld64(p) & mask[l0];
        p += l0;
        uint64_t x1 = ld64(p) & mask[l1];
        p += l1;
        size_t off = i * 8;
        if (stride && off >= stride) {
            x0 ^= ld64(d + off - stride);
            memcpy(d + off, &x0, 8);
            x1 ^= ld64(d + off + 8 - stride);
        } else {
            memcpy(d + off, &x0, 8);
            if (stride && off + 8 >= stride)
                x1 ^= ld64(d + off + 8 - stride);
        }
        memcpy(d + off + 8, &x1, 8);
    }
    if (i < words) { /* the last word: a control byte of its own */
        unsigned l0 = *p++ & 15;
        uint64_t x0 = ld64(p) & mask[l0];
        p += l0;
        if (stride && i * 8 >= stride)
            x0 ^= ld64(d + i * 8 - stride);
        memcpy(d + i * 8, &x0, 8);
    }
    memcpy(d + words * 8, p, n % 8);
    k->p = p + n % 8;
}

_Static_assert(sizeof(struct w_fd) == 8, "an fd slot is one packed word");

/* A checkpoint of c->w: its arrays packed into one block, so that what it
 * holds is what the process pays (one malloc header) */
static int cp_take(struct wcur *c)
{
    if (c->ncps == c->cpcap) {
        int ncap = c->cpcap ? c->cpcap * 2 : 16;
        struct world *p = realloc(c->cps, (size_t)ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        c->cps = p;
        c->cpcap = ncap;
    }
    const struct world *w = &c->w;
    size_t nfds = 0, nitems = 0;
    for (int i = 0; i < w->ntasks; i++)
        nfds += (size_t)w->procs[i].nfds;
    for (int i = 0; i < w->nqueues; i++)
        nitems += (size_t)w->queues[i].n;
    size_t raw = (size_t)w->ncpus * sizeof *w->cpus +
                 (size_t)w->ntasks * (sizeof *w->tasks + 8) +
                 nfds * sizeof(struct w_fd) + (size_t)w->nobjs * sizeof *w->objs +
                 (size_t)w->nqueues * 8 + nitems * sizeof(int64_t);
    uint8_t *buf = malloc(pk_bound(raw) + 8);
    if (!buf)
        return -ENOMEM;
    struct pk k = {buf};
    pk_put(&k, w->cpus, (size_t)w->ncpus * sizeof *w->cpus, 0);
    pk_put(&k, w->tasks, (size_t)w->ntasks * sizeof *w->tasks, sizeof *w->tasks);
    uint64_t sz[256]; /* the fd tables' sizes, 256 at a time */
    for (int i = 0; i < w->ntasks; i += 256) {
        int m = w->ntasks - i < 256 ? w->ntasks - i : 256;
        for (int j = 0; j < m; j++)
            sz[j] = (uint64_t)(uint32_t)w->procs[i + j].nfds |
                    (uint64_t)(uint32_t)w->procs[i + j].open << 32;
        pk_put(&k, sz, (size_t)m * 8, 8);
    }
    for (int i = 0; i < w->ntasks; i++) /* each fd XOR the one before it */
        pk_put(&k, w->procs[i].fds, (size_t)w->procs[i].nfds * sizeof(struct w_fd),
               sizeof(struct w_fd));
    pk_put(&k, w->objs, (size_t)w->nobjs * sizeof *w->objs, sizeof *w->objs);
    for (int i = 0; i < w->nqueues; i++) {
        uint64_t n = (uint64_t)w->queues[i].n;
        pk_put(&k, &n, 8, 0);
        pk_put(&k, w->queues[i].items, (size_t)w->queues[i].n * sizeof(int64_t),
               sizeof(int64_t));
    }
    size_t bytes = (size_t)(k.p - buf);
    uint8_t *shrunk = realloc(buf, bytes + 8); /* 8 readable bytes past it */
    if (shrunk)
        buf = shrunk;
    memset(buf + bytes, 0, 8);
    struct world *cp = &c->cps[c->ncps];
    memset(cp, 0, sizeof *cp);
    cp->t = w->t;
    cp->idx = w->idx;
    cp->ntasks = w->ntasks;
    cp->nobjs = w->nobjs;
    cp->nqueues = w->nqueues;
    cp->ncpus = w->ncpus;
    cp->caption = w->caption;
    cp->caption_ev = w->caption_ev;
    cp->arena = buf;
    cp->arena_bytes = bytes + 8;
    c->ncps++;
    c->cp_bytes += world_bytes(cp);
    return 0;
}

/* A removal that found its item this far in is worth a hint */
#define HINT_MIN 32

static int hint_add(struct wcur *c, long idx, int pos)
{
    if (c->nhints == c->hintcap) {
        size_t ncap = c->hintcap ? c->hintcap * 2 : 256;
        struct wcur_hint *p = realloc(c->hints, ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        c->cp_bytes += (ncap - c->hintcap) * sizeof *p;
        c->hints = p;
        c->hintcap = ncap;
    }
    c->hints[c->nhints++] = (struct wcur_hint){(uint32_t)idx, pos};
    return 0;
}

/* Make d the world checkpoint cp packed (what world_copy would make) */
static int cp_restore(struct world *d, const struct world *cp)
{
    struct pk k = {cp->arena};
    if (d->ncpus != cp->ncpus) {
        int32_t *c = realloc(d->cpus, (size_t)cp->ncpus * sizeof *c);
        if (!c)
            return -ENOMEM;
        d->cpus = c;
        d->ncpus = cp->ncpus;
    }
    pk_get(&k, d->cpus, (size_t)cp->ncpus * sizeof *d->cpus, 0);
    if (tasks_room(d, cp->ntasks, 8))
        return -ENOMEM;
    pk_get(&k, d->tasks, (size_t)cp->ntasks * sizeof *d->tasks, sizeof *d->tasks);
    uint64_t sz[256];
    for (int i = 0; i < cp->ntasks; i += 256) {
        int m = cp->ntasks - i < 256 ? cp->ntasks - i : 256;
        pk_get(&k, sz, (size_t)m * 8, 8);
        for (int j = 0; j < m; j++) {
            d->procs[i + j].nfds = (int)(uint32_t)sz[j];
            d->procs[i + j].open = (int)(uint32_t)(sz[j] >> 32);
        }
    }
    for (int i = 0; i < cp->ntasks; i++) {
        struct w_proc *pr = &d->procs[i];
        if (grow_to((void **)&pr->fds, &pr->cap, pr->nfds, sizeof *pr->fds))
            return -ENOMEM;
        pk_get(&k, pr->fds, (size_t)pr->nfds * sizeof *pr->fds, sizeof *pr->fds);
    }
    for (int i = cp->ntasks; i < d->ntasks; i++) {
        d->procs[i].nfds = 0;
        d->procs[i].open = 0;
    }
    d->ntasks = cp->ntasks;
    if (grow_to((void **)&d->objs, &d->objcap, cp->nobjs, sizeof *d->objs))
        return -ENOMEM;
    pk_get(&k, d->objs, (size_t)cp->nobjs * sizeof *d->objs, sizeof *d->objs);
    d->nobjs = cp->nobjs;
    if (grow_to((void **)&d->queues, &d->queuecap, cp->nqueues, sizeof *d->queues))
        return -ENOMEM;
    for (int i = 0; i < cp->nqueues; i++) {
        struct w_queue *q = &d->queues[i];
        uint64_t n;
        pk_get(&k, &n, 8, 0);
        if (grow_to((void **)&q->base, &q->cap, (int)n, sizeof *q->base))
            return -ENOMEM;
        q->items = q->base;
        q->n = (int)n;
        pk_get(&k, q->items, (size_t)n * sizeof *q->items, sizeof *q->items);
    }
    for (int i = cp->nqueues; i < d->nqueues; i++) {
        d->queues[i].n = 0;
        d->queues[i].items = d->queues[i].base;
    }
    d->nqueues = cp->nqueues;
    d->t = cp->t;
    d->idx = cp->idx;
    d->caption = cp->caption;
    d->caption_ev = cp->caption_ev;
    return 0;
}

/* Room in w for every task, object and queue of tl, exactly: a cursor's
   world then never grows them, and holds no doubling slack */
static int world_reserve(struct world *w, const struct tl *tl)
{
    if (tl->ntasks > w->taskcap && tasks_room(w, tl->ntasks, tl->ntasks))
        return -ENOMEM;
    if (tl->nobjs > w->objcap &&
        grow_rows((void **)&w->objs, &w->objcap, tl->nobjs, sizeof *w->objs, tl->nobjs))
        return -ENOMEM;
    int old = w->queuecap;
    if (tl->nqueues > w->queuecap) {
        if (grow_rows((void **)&w->queues, &w->queuecap, tl->nqueues,
                      sizeof *w->queues, tl->nqueues))
            return -ENOMEM;
        memset(&w->queues[old], 0, (size_t)(w->queuecap - old) * sizeof *w->queues);
    }
    return 0;
}

int wcur_open(struct wcur *c, const struct tl *tl)
{
    memset(c, 0, sizeof *c);
    c->tl = tl;
    c->every = CP_MIN_EVERY;
    if (world_init(&c->w, tl->ncpus) || world_reserve(&c->w, tl)) {
        world_free(&c->w);
        return -ENOMEM;
    }
    int rc = cp_take(c);
    long since = 0;
    while (rc == 0 && (size_t)c->w.idx < tl->nev) {
        long idx = c->w.idx;
        c->w.qfound = -1;
        rc = world_step(&c->w, tl);
        if (rc == 0 && c->w.qfound >= HINT_MIN && idx <= (long)UINT32_MAX)
            rc = hint_add(c, idx, c->w.qfound);
        if (rc == 0 && ++since >= c->every) {
            rc = cp_take(c);
            since = 0;
            /* what the checkpoint just taken holds, over the events */
            long want = rc ? 0 : (long)(world_bytes(&c->cps[c->ncps - 1]) /
                                        CP_BYTES_PER_EVENT);
            if (want > c->every)
                c->every = want;
        }
    }
    if (rc == 0)
        rc = wcur_seek(c, 0);
    if (rc)
        wcur_close(c);
    return rc;
}

void wcur_close(struct wcur *c)
{
    for (int i = 0; i < c->ncps; i++)
        world_free(&c->cps[i]);
    free(c->cps);
    free(c->hints);
    world_free(&c->w);
    memset(c, 0, sizeof *c);
}

int wcur_seek(struct wcur *c, long idx)
{
    if (idx < 0 || (size_t)idx > c->tl->nev)
        return -EINVAL;
    if (idx < c->w.idx || idx - c->w.idx > c->every) {
        int lo = 0, hi = c->ncps - 1;
        while (lo < hi) { /* last checkpoint with idx <= target */
            int mid = (lo + hi + 1) / 2;
            if (c->cps[mid].idx <= idx)
                lo = mid;
            else
                hi = mid - 1;
        }
        if (c->cps[lo].idx > c->w.idx || idx < c->w.idx)
            if (cp_restore(&c->w, &c->cps[lo]))
                return -ENOMEM;
    }
    size_t lo = 0, hi = c->nhints; /* the first hint at or after w.idx */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((long)c->hints[mid].idx < c->w.idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (c->w.idx < idx) {
        if (lo < c->nhints && (long)c->hints[lo].idx == c->w.idx)
            c->w.qhint = c->hints[lo++].pos;
        int rc = world_step(&c->w, c->tl);
        if (rc)
            return rc;
    }
    return 0;
}

size_t wcur_bytes(const struct wcur *c)
{
    return c->cp_bytes + world_bytes(&c->w) +
           tl_malloc_bytes((size_t)c->cpcap * sizeof *c->cps);
}
