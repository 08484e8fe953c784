/*
 * mpq.c - multiprocessing's locks and queues, as CPython 3.11 makes them
 * on Linux (Lib/multiprocessing/synchronize.py, queues.py and
 * Modules/_multiprocessing/semaphore.c; the same in 3.12 to 3.14), checked
 * with strace -f of scenarios/py/ipc-queue.py and print-lock.py.
 *
 * A SemLock (multiprocessing.Lock, and the locks inside a Queue) is a
 * POSIX named semaphore: glibc's sem_open creates /dev/shm/sem.XXXXXX,
 * writes the 32-byte sem_t into it, maps it MAP_SHARED, links it to its
 * name (/dev/shm/sem.mp-xxxxxxxx) and unlinks the temporary name; CPython
 * then unlinks the name at once (under the fork start method), so the
 * semaphore lives in the mapping only, which every forked child inherits:
 * the processes share that one word.  acquire() is sem_trywait, then
 * sem_wait: an atomic decrement when the count is above 0, else
 * futex(addr, FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 0, NULL,
 * FUTEX_BITSET_MATCH_ANY) (a shared futex: no _PRIVATE) and again;
 * release() is sem_post: an atomic increment and, if a process waits,
 * futex(addr, FUTEX_WAKE, 1).
 *
 * A Queue is a Pipe(duplex=False), a SemLock for readers (_rlock), one
 * for writers (_wlock) and a BoundedSemaphore(maxsize) (_sem).  put()
 * takes _sem, appends to the process's own buffer (a collections.deque,
 * under the threading.Condition _notempty), starts the feeder thread on
 * the first put of the process (Thread.start() waits on an Event until
 * the thread runs) and notifies the condition; the feeder (Queue._feed)
 * pops, pickles, and writes each object with _wlock held.  get() takes
 * _rlock, reads the length and the pickle (blocking in read), gives the
 * lock back and releases _sem.  A SimpleQueue has no buffer and no
 * feeder: put() writes under _wlock in the caller's thread.
 */
#include "sim/sim_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_OPENAT 257
#define NR_LINK 86
#define NR_UNLINK 87

/* A SemLock: one word of shared memory */
struct semlock {
    int64_t v;
    int64_t addr;   /* where it is mapped (fork keeps the address) */
    int32_t q;      /* TQK_MEM queue: its value */
    int32_t wq;     /* TQK_FUTEX queue: who sleeps on it; -1 none yet */
    int32_t id;     /* for its names in /dev/shm */
    char name[48];  /* "Queue #1 _rlock", "Lock #2" */
};

/* What a process of a Queue keeps (CPython resets it in a forked child:
 * Queue._after_fork) */
struct qlocal {
    int32_t proc;
    int32_t feeder;   /* its feeder thread, -1 none yet */
    int32_t bufq;     /* TQK_MSGS queue: the buffer, in user memory */
    int32_t waiting;  /* the feeder sleeps in notempty.wait() */
    int32_t started;  /* the feeder has run (Thread.start's Event) */
    int32_t starter;  /* the task waiting in Thread.start(), -1 */
    int64_t *kind, *val; /* the buffer: a ring */
    int head, n, cap;
};

struct mpq {
    int simple;
    int64_t rfd, wfd;
    int rlock, wlock; /* semlocks */
    int id;
    struct qlocal *loc;
    int nloc, loccap;
};

/* Handles as the scenario holds them: one kind of object per range */
#define H_LOCK 0x10000
#define H_QUEUE 0x20000

struct mp {
    struct semlock *sl;
    int nsl, slcap;
    struct mpq *q;
    int nq, qcap;
};

static struct mp *mp_of(struct sim *s)
{
    if (!s->mp && !(s->mp = calloc(1, sizeof *s->mp)))
        s->failed = -ENOMEM;
    return s->mp;
}

void mp_free(struct sim *s)
{
    struct mp *m = s->mp;
    if (!m)
        return;
    for (int i = 0; i < m->nq; i++) {
        for (int k = 0; k < m->q[i].nloc; k++) {
            free(m->q[i].loc[k].kind);
            free(m->q[i].loc[k].val);
        }
        free(m->q[i].loc);
    }
    free(m->q);
    free(m->sl);
    free(m);
    s->mp = NULL;
}

static int64_t sys_cost(const struct sim *s)
{
    return s->p->cost.syscall;
}

static int64_t futex_cost(const struct sim *s)
{
    return sat_add(s->p->cost.syscall, s->p->cost.futex);
}

/* A syscall of the Linux table by number, made with its arguments shown */
static int sys_linux(struct sim *s, struct task *t, int nr, const char *args,
                     int64_t ret)
{
    sim_sys_enter_args(s, t, tl_sys_of_nr(nr), -1, 0, args);
    t->advance = 1;
    return sim_sys_return(s, t, ret, sys_cost(s));
}

/* glibc's mkstemp-style and CPython's random names, made deterministic */
static void shm_name(char *buf, size_t len, int id, int mp)
{
    static const char az[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
    uint32_t x = (uint32_t)id * 2654435761u + (mp ? 97u : 13u);
    char r[9];
    for (int i = 0; i < (mp ? 8 : 6); i++) {
        x = x * 1103515245u + 12345u;
        r[i] = mp ? az[(x >> 16) % 37] : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
                                           "ghijklmnopqrstuvwxyz0123456789"[(x >> 16) % 62];
    }
    r[mp ? 8 : 6] = 0;
    snprintf(buf, len, "/dev/shm/sem.%s%s", mp ? "mp-" : "", r);
}

static int sem_new(struct sim *s, struct task *t, const char *name, int64_t v)
{
    struct mp *m = mp_of(s);
    if (!m)
        return -1;
    struct semlock *p = sim_grow(s, m->sl, &m->slcap, m->nsl, sizeof *p);
    if (!p)
        return -1;
    m->sl = p;
    int i = m->nsl++;
    struct semlock *L = &m->sl[i];
    L->v = v;
    L->id = i + 1;
    L->wq = -1;
    L->addr = sim_mmap_addr(s, t, 32);
    snprintf(L->name, sizeof L->name, "%s", name);
    char qn[96]; /* a Queue's lock is named by its part; a Lock, "value" */
    snprintf(qn, sizeof qn, "%s%s", name, strstr(name, "Queue") ? "" : " value");
    /* its word is in memory the processes map together (MAP_SHARED): no
       one process's (owner -1), unlike a `shared` variable's */
    L->q = tl_add_queue(s->tl, qn, TQK_MEM, -1);
    if (L->q < 0) {
        s->failed = -ENOMEM;
        return -1;
    }
    return i;
}

/*
 * Step k (0..6) of making SemLock li, as strace shows sem_open and
 * CPython's sem_unlink: openat, write, mmap, link, unlink, close, unlink.
 */
static int sem_make_step(struct sim *s, struct task *t, int li, int k,
                         int64_t v)
{
    struct semlock *L = &s->mp->sl[li];
    char tmp[48], nm[48], args[200];
    shm_name(tmp, sizeof tmp, L->id, 0);
    shm_name(nm, sizeof nm, L->id, 1);
    switch (k) {
    case 0: {
        if (sim_fd_room(s, t->proc, 1) < 0) /* the run goes on without it */
            return sim_fail(s, &s->p->code[t->pc], "no fd left for the "
                            "SemLock's file (RLIMIT_NOFILE)");
        int o = sim_obj_new(s, OK_FILE, 0, 0, -1, t->proc);
        if (o < 0)
            return GO_FAIL;
        snprintf(args, sizeof args, "AT_FDCWD, \"%s\", O_RDWR|O_CREAT|O_EXCL, "
                 "0600", tmp);
        sim_sys_enter_args(s, t, tl_sys_of_nr(NR_OPENAT), -1, 0, args);
        t->mpq_fd = sim_fd_open(s, t->proc, o);
        t->advance = 1;
        return sim_sys_return(s, t, t->mpq_fd, sat_add(sys_cost(s), 2000));
    }
    case 1: /* the sem_t: value, then its private flag (FUTEX_SHARED) */
        snprintf(args, sizeof args, "%d, \"%s\\0\\0\\0\\0\\200\\0\\0\\0"
                 "\\0\\0\\0\\0\"..., 32", t->mpq_fd,
                 v == 1 ? "\\1\\0\\0\\0" : v == 0 ? "\\0\\0\\0\\0"
                                                 : "\\377\\377\\377\\177");
        sim_sys_enter_args(s, t, SYS_WRITE, t->mpq_fd, 32, args);
        t->advance = 1;
        return sim_sys_return(s, t, 32, sat_add(sys_cost(s), sim_copy_ns(s, 32)));
    case 2:
        snprintf(args, sizeof args, "NULL, 32, PROT_READ|PROT_WRITE, "
                 "MAP_SHARED, %d, 0", t->mpq_fd);
        sim_sys_enter_args(s, t, SYS_MMAP, t->mpq_fd, TL_MMAP_ARG(TL_MMAP_ANON, 32),
                           args);
        t->advance = 1;
        sim_emit(s, EV_MEM, (int)(t - s->tasks), TM_STORE, L->q, L->v, 0);
        return sim_sys_return(s, t, L->addr, sat_add(sys_cost(s), 1000));
    case 3:
        snprintf(args, sizeof args, "\"%s\", \"%s\"", tmp, nm);
        return sys_linux(s, t, NR_LINK, args, 0);
    case 4:
        snprintf(args, sizeof args, "\"%s\"", tmp);
        return sys_linux(s, t, NR_UNLINK, args, 0);
    case 5:
        sim_sys_enter(s, t, SYS_CLOSE, t->mpq_fd, 0);
        net_fd_close(s, t->proc, t->mpq_fd);
        t->advance = 1;
        return sim_sys_return(s, t, 0, sys_cost(s));
    default:
        snprintf(args, sizeof args, "\"%s\"", nm);
        return sys_linux(s, t, NR_UNLINK, args, 0);
    }
}
#define SEM_MAKE_STEPS 7

/*
 * SemLock.acquire() at phase ph (its retry at ph + 1): an atomic decrement
 * (lock cmpxchg) when the count is above 0, then t->phase = next; else a
 * sleep in the shared futex until a release wakes it, and again.
 */
static int sem_acquire(struct sim *s, struct task *t, int li, int ph, int next)
{
    struct semlock *L = &s->mp->sl[li];
    int me = (int)(t - s->tasks);
    if (t->phase == ph + 1) { /* back from futex(): try again */
        t->phase = ph;
        return GO_NEXT;
    }
    if (!t->in_sys) {
        if (L->v > 0) {
            int64_t old = L->v--;
            sim_emit(s, EV_MEM, me, TM_CAS, L->q, L->v, old);
            t->busy_ns = s->p->cost.mem;
            t->phase = next;
            return GO_BUSY;
        }
        if (L->wq < 0) {
            char qn[96];
            snprintf(qn, sizeof qn, "%s sleepers", L->name);
            L->wq = tl_add_queue(s->tl, qn, TQK_FUTEX, -1); /* as L->q */
            if (L->wq < 0) {
                s->failed = -ENOMEM;
                return GO_FAIL;
            }
        }
        char args[160];
        snprintf(args, sizeof args, "0x%llx, FUTEX_WAIT_BITSET|"
                 "FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY",
                 (unsigned long long)L->addr);
        sim_sys_enter_args(s, t, SYS_FUTEX, -1, TL_FUTEX_WAIT, args);
        t->advance = 1;
        sim_emit(s, EV_QUEUE, me, TQ_PUSH, L->wq, me, 0);
        t->futex_woken = 0;
        return sim_block(s, t, TW_FUTEX, -1);
    }
    return sim_sys_return(s, t, 0, futex_cost(s));
}

/* SemLock.release() at phase ph (its futex at ph + 1), then next */
static int sem_release(struct sim *s, struct task *t, int li, int ph, int next)
{
    struct semlock *L = &s->mp->sl[li];
    int me = (int)(t - s->tasks);
    if (t->phase == ph) {
        int64_t old = L->v++;
        sim_emit(s, EV_MEM, me, TM_XCHG, L->q, L->v, old);
        t->busy_ns = s->p->cost.mem;
        t->phase = L->wq >= 0 && sim_qlen(s, L->wq) > 0 ? ph + 1 : next;
        return GO_BUSY;
    }
    char args[96];
    snprintf(args, sizeof args, "0x%llx, FUTEX_WAKE, 1",
             (unsigned long long)L->addr);
    sim_sys_enter_args(s, t, SYS_FUTEX, -1, TL_FUTEX_WAKE | 1, args);
    int n = 0;
    if (sim_qlen(s, L->wq) > 0) { /* the oldest sleeper */
        int k = (int)s->w.queues[L->wq].items[0];
        sim_emit(s, EV_QUEUE, me, TQ_POP, L->wq, k, 0);
        s->tasks[k].futex_woken = 1;
        sim_wake(s, &s->tasks[k]);
        n = 1;
    }
    t->phase = next - 1; /* sys_finish's advance makes it next */
    t->advance = 1;
    return sim_sys_return(s, t, n, futex_cost(s));
}

static int finish(struct sim *s, struct task *t, const struct prog_ins *in,
                  int64_t v)
{
    sim_set_dst(s, t, in->dst, v);
    t->phase = 0;
    t->pc++;
    return GO_NEXT;
}

/* l = mp_lock: multiprocessing.Lock(), a SemLock of value 1 */
static int op_mp_lock(struct sim *s, struct task *t, const struct prog_ins *in)
{
    if (t->phase == 0 && !t->in_sys) {
        char nm[48];
        snprintf(nm, sizeof nm, "Lock #%d", (s->mp ? s->mp->nsl : 0) + 1);
        if ((t->mpq_obj = sem_new(s, t, nm, 1)) < 0)
            return GO_FAIL;
    }
    if (t->phase < SEM_MAKE_STEPS)
        return sem_make_step(s, t, t->mpq_obj, t->phase, 1);
    return finish(s, t, in, H_LOCK + t->mpq_obj);
}

static int lock_of(struct sim *s, const struct prog_ins *in, int64_t h)
{
    if (h < H_LOCK || !s->mp || h - H_LOCK >= s->mp->nsl)
        return sim_fail(s, in, "%s: not a lock made by mp_lock",
                        prog_op_name(in->op)), -1;
    return (int)(h - H_LOCK);
}

/* acquire L / release L */
static int op_acquire(struct sim *s, struct task *t, const struct prog_ins *in)
{
    int li = lock_of(s, in, sim_arg(t, in, 0));
    if (li < 0)
        return GO_FAIL;
    if (in->op == OP_ACQUIRE) {
        if (t->phase < 2)
            return sem_acquire(s, t, li, 0, 2);
        return finish(s, t, in, 0);
    }
    if (t->phase == 0 && s->mp->sl[li].v >= 1)
        return sim_fail(s, in, "release: ValueError: semaphore or lock "
                        "released too many times");
    if (t->phase < 2)
        return sem_release(s, t, li, 0, 2);
    return finish(s, t, in, 0);
}

/* ---- queues ------------------------------------------------------------ */

static struct mpq *queue_of(struct sim *s, const struct prog_ins *in, int64_t h)
{
    if (h < H_QUEUE || !s->mp || h - H_QUEUE >= s->mp->nq) {
        sim_fail(s, in, "%s: not a queue made by mp_queue",
                 prog_op_name(in->op));
        return NULL;
    }
    return &s->mp->q[h - H_QUEUE];
}

/* q = mp_queue [simple]: Pipe(duplex=False), then the SemLocks */
static int op_mp_queue(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct mp *m = mp_of(s);
    if (!m)
        return GO_FAIL;
    int simple = in->flags & 1;
    int nsem = 2; /* _rlock, _wlock; a Queue's _sem is a third */
    if (t->phase == 0) {
        if (!t->in_sys) {
            struct mpq *p = sim_grow(s, m->q, &m->qcap, m->nq, sizeof *p);
            if (!p)
                return GO_FAIL;
            m->q = p;
            t->mpq_obj = m->nq++;
            m->q[t->mpq_obj].simple = simple;
            m->q[t->mpq_obj].id = t->mpq_obj + 1;
            m->q[t->mpq_obj].rlock = m->q[t->mpq_obj].wlock = -1;
        }
        return net_pair(s, t, 1, 1) == GO_BUSY ? (t->advance = 1, GO_BUSY)
                                               : GO_FAIL;
    }
    struct mpq *q = &m->q[t->mpq_obj];
    if (t->phase == 1 && !t->in_sys) {
        if (t->ret < 0) /* pipe2 failed (EMFILE): the script sees it */
            return finish(s, t, in, t->ret);
        q->rfd = TL_FD_PAIR_A(t->ret2);
        q->wfd = TL_FD_PAIR_B(t->ret2);
    }
    int k = t->phase - 1, which = k / SEM_MAKE_STEPS;
    if (which < nsem + !simple) {
        if (k % SEM_MAKE_STEPS == 0 && !t->in_sys) {
            char nm[48];
            static const char *const part[] = {"_rlock", "_wlock", "_sem"};
            snprintf(nm, sizeof nm, "%s #%d %s", simple ? "SimpleQueue"
                     : "Queue", q->id, part[which]);
            int li = sem_new(s, t, nm, which == 2 ? 0x7fffffff : 1);
            if (li < 0)
                return GO_FAIL;
            q = &s->mp->q[t->mpq_obj];
            if (which == 0)
                q->rlock = li;
            else if (which == 1)
                q->wlock = li;
            t->msg_len = li; /* the SemLock being made */
        }
        return sem_make_step(s, t, (int)t->msg_len, k % SEM_MAKE_STEPS,
                             which == 2 ? 0x7fffffff : 1);
    }
    return finish(s, t, in, H_QUEUE + t->mpq_obj);
}

static struct qlocal *qlocal(struct sim *s, struct mpq *q, int proc)
{
    for (int i = 0; i < q->nloc; i++)
        if (q->loc[i].proc == proc)
            return &q->loc[i];
    struct qlocal *p = sim_grow(s, q->loc, &q->loccap, q->nloc, sizeof *p);
    if (!p)
        return NULL;
    q->loc = p;
    struct qlocal *l = &q->loc[q->nloc++];
    memset(l, 0, sizeof *l);
    l->proc = proc;
    l->feeder = -1;
    l->starter = -1;
    char name[160];
    snprintf(name, sizeof name, "Queue #%d buffer (%s)", q->id,
             s->tl->tasks[proc].name);
    l->bufq = tl_add_queue(s->tl, name, TQK_MSGS, proc);
    if (l->bufq < 0) {
        s->failed = -ENOMEM;
        return NULL;
    }
    return l;
}

static int buf_push(struct sim *s, struct qlocal *l, int64_t kind, int64_t v)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 8;
        if (sim_charge(s, (int64_t)(ncap - l->cap) * 16))
            return -1;
        int64_t *k = malloc((size_t)ncap * sizeof *k);
        int64_t *w = malloc((size_t)ncap * sizeof *w);
        if (!k || !w) {
            free(k);
            free(w);
            s->failed = -ENOMEM;
            return -1;
        }
        for (int i = 0; i < l->n; i++) {
            k[i] = l->kind[(l->head + i) % l->cap];
            w[i] = l->val[(l->head + i) % l->cap];
        }
        free(l->kind);
        free(l->val);
        l->kind = k;
        l->val = w;
        l->head = 0;
        l->cap = ncap;
    }
    l->kind[(l->head + l->n) % l->cap] = kind;
    l->val[(l->head + l->n) % l->cap] = v;
    l->n++;
    return 0;
}

/* The futex word of a threading primitive (a Condition's waiter lock, a
 * Thread's started Event): an address in the process, for the log */
static int64_t thread_word(const struct mpq *q, int what)
{
    return 0x55d0af990000LL + (int64_t)q->id * 0x100 + what * 8;
}

static int futex_private(struct sim *s, struct task *t, int64_t addr, int wake,
                         int64_t ret)
{
    char args[160];
    if (wake)
        snprintf(args, sizeof args, "0x%llx, FUTEX_WAKE_PRIVATE, 1",
                 (unsigned long long)addr);
    else
        snprintf(args, sizeof args, "0x%llx, FUTEX_WAIT_BITSET_PRIVATE|"
                 "FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY",
                 (unsigned long long)addr);
    sim_sys_enter_args(s, t, SYS_FUTEX, -1,
                       wake ? TL_FUTEX_WAKE | 1 : TL_FUTEX_WAIT, args);
    t->advance = 1;
    if (!wake && ret > 0)
        return sim_block(s, t, TW_FUTEX, -1);
    return sim_sys_return(s, t, ret, futex_cost(s));
}

/*
 * put Q KIND [VALUE]: Queue.put((KIND, VALUE)).  Phases: 0 start the
 * feeder if this process has none (clone3), 1 Thread.start() waits for it
 * to run, 2 append and notify (a FUTEX_WAKE if the feeder sleeps in
 * wait()), 3 done.  A SimpleQueue: 0..1 take _wlock, 2 write, 3..4
 * release it.
 */
static int op_put(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct mpq *q = queue_of(s, in, sim_arg(t, in, 0));
    if (!q)
        return GO_FAIL;
    int64_t kind = sim_arg(t, in, 1), v = in->nargs > 2 ? sim_arg(t, in, 2) : 0;
    if (!PROG_IS_KIND(kind))
        return sim_fail(s, in, "put: the message's kind must be a word (such "
                        "as task), not %lld", (long long)kind);
    int me = (int)(t - s->tasks);
    if (q->simple) {
        if (t->phase < 2)
            return sem_acquire(s, t, q->wlock, 0, 2);
        if (t->phase == 2) {
            const char *kn = s->p->strs[PROG_KIND_STR(kind)];
            int64_t n = prog_pickle_size(kn, v);
            if (!t->in_sys) {
                char args[160];
                snprintf(args, sizeof args, "%lld, <length %lld> + "
                         "pickle(('%s', %lld)), %lld", (long long)q->wfd,
                         (long long)n, kn, (long long)v, (long long)(n + 4));
                sim_sys_enter_args(s, t, SYS_WRITE, q->wfd, n + 4, args);
                t->done = 0;
            }
            t->advance = 1;
            return net_write(s, t, q->wfd, n + 4, 0, kind, v, n + 4);
        }
        if (t->phase < 5)
            return sem_release(s, t, q->wlock, 3, 5);
        return finish(s, t, in, 0);
    }
    struct qlocal *l = qlocal(s, q, t->proc);
    if (!l)
        return GO_FAIL;
    switch (t->phase) {
    case 0:
        if (l->feeder >= 0) {
            t->phase = 2;
            return GO_NEXT;
        }
        if (!t->in_sys) { /* Queue._start_thread: threading.Thread.start */
            sim_sys_enter(s, t, SYS_CLONE3, -1, 0);
            int c = proc_feeder_new(s, t, "QueueFeederThread", s->p->feeder_pc,
                                    s->p->feeder_script);
            if (c < 0)
                return GO_FAIL;
            t = &s->tasks[me];
            q = &s->mp->q[sim_arg(t, in, 0) - H_QUEUE];
            l = qlocal(s, q, t->proc);
            l->feeder = c;
            s->tasks[c].mpq_obj = (int32_t)(q - s->mp->q);
            t->advance = 1;
            return sim_sys_return(s, t, s->tasks[c].id,
                                  sat_add(sys_cost(s), s->p->cost.thread));
        }
        return GO_BUSY;
    case 1: /* Thread.start(): self._started.wait() */
        if (!t->in_sys) {
            if (l->started) {
                t->phase = 2;
                return GO_NEXT;
            }
            l->starter = me;
            return futex_private(s, t, thread_word(q, 0), 0, 1);
        }
        return sim_sys_return(s, t, 0, futex_cost(s));
    case 2:
        if (buf_push(s, l, kind, v) < 0)
            return GO_FAIL;
        sim_emit(s, EV_QUEUE, me, TQ_PUSH, l->bufq,
                 TL_MSG(msg_kind_str(s, kind), v), 0);
        if (!l->waiting) /* notify(): no waiter, no syscall */
            return finish(s, t, in, 0);
        l->waiting = 0; /* release the waiter's lock: FUTEX_WAKE */
        t->phase = 3;
        {
            int r = futex_private(s, t, thread_word(q, 1), 1, 1);
            sim_wake(s, &s->tasks[l->feeder]);
            return r;
        }
    default:
        return finish(s, t, in, 0);
    }
}

/*
 * kind [, value] = get Q: _rlock.acquire() (phases 0, 1), recv_bytes
 * (conn_recv's phases, from 2), _rlock.release() (phases 6, 7), then
 * _sem.release() (an atomic, not shown).
 */
static int op_get(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct mpq *q = queue_of(s, in, sim_arg(t, in, 0));
    if (!q)
        return GO_FAIL;
    if (t->phase < 2)
        return sem_acquire(s, t, q->rlock, 0, 2);
    if (t->phase < 6) {
        int r = msg_recv_step(s, t, in, q->rfd, 2);
        if (r != GO_NEXT || t->phase < 6)
            return r;
    }
    if (t->phase < 8)
        return sem_release(s, t, q->rlock, 6, 8);
    sim_set_dst(s, t, in->dst2, t->msg_val);
    t->msg_got = 0;
    return finish(s, t, in, t->msg_kind);
}

/*
 * The feeder thread, Queue._feed: one instruction per line of the source
 * it shows (prog->feeder_script), in .flags:
 *   FEED_WAIT   with notempty: if not buffer: notempty.wait()
 *   FEED_POP    obj = bpopleft()   (the buffer empty: IndexError, wait)
 *   FEED_LOCK   wacquire()
 *   FEED_SEND   send_bytes(obj)    (write: the length and the pickle)
 *   FEED_UNLOCK wrelease(), and round again
 * Its first run sets Thread.start()'s Event (a FUTEX_WAKE of the starter
 * if it sleeps).
 */
static int feeder_goto(struct sim *s, struct task *t, int step)
{
    t->pc = s->p->feeder_pc + step;
    t->phase = 0;
    return GO_NEXT;
}

static int op_feed(struct sim *s, struct task *t, const struct prog_ins *in)
{
    struct mpq *q = &s->mp->q[t->mpq_obj];
    struct qlocal *l = qlocal(s, q, t->proc);
    if (!l)
        return GO_FAIL;
    int me = (int)(t - s->tasks);
    switch (in->flags) {
    case FEED_START:
        if (t->phase == 0) {
            l->started = 1;
            if (l->starter < 0)
                return feeder_goto(s, t, FEED_WAIT);
            int r = futex_private(s, t, thread_word(q, 0), 1, 1);
            sim_wake(s, &s->tasks[l->starter]);
            l->starter = -1;
            return r;
        }
        return feeder_goto(s, t, FEED_WAIT);
    case FEED_WAIT:
        if (t->phase == 0 && !t->in_sys) {
            if (l->n > 0)
                return feeder_goto(s, t, FEED_POP);
            l->waiting = 1;
            return futex_private(s, t, thread_word(q, 1), 0, 1);
        }
        if (t->phase == 0)
            return sim_sys_return(s, t, 0, futex_cost(s));
        return feeder_goto(s, t, FEED_POP);
    case FEED_POP: {
        if (l->n == 0)
            return feeder_goto(s, t, FEED_WAIT);
        t->msg_kind = l->kind[l->head];
        t->msg_val = l->val[l->head];
        l->head = (l->head + 1) % l->cap;
        l->n--;
        sim_emit(s, EV_QUEUE, me, TQ_POP, l->bufq,
                 TL_MSG(msg_kind_str(s, t->msg_kind), t->msg_val), 0);
        return feeder_goto(s, t, FEED_LOCK);
    }
    case FEED_LOCK:
        if (t->phase < 2)
            return sem_acquire(s, t, q->wlock, 0, 2);
        return feeder_goto(s, t, FEED_SEND);
    case FEED_SEND: {
        if (t->phase == 1)
            return feeder_goto(s, t, FEED_UNLOCK);
        const char *kn = s->p->strs[PROG_KIND_STR(t->msg_kind)];
        int64_t n = prog_pickle_size(kn, t->msg_val);
        if (!t->in_sys) {
            char args[160];
            snprintf(args, sizeof args, "%lld, <length %lld> + pickle(('%s', "
                     "%lld)), %lld", (long long)q->wfd, (long long)n, kn,
                     (long long)t->msg_val, (long long)(n + 4));
            sim_sys_enter_args(s, t, SYS_WRITE, q->wfd, n + 4, args);
            t->done = 0;
        }
        t->advance = 1;
        return net_write(s, t, q->wfd, n + 4, 0, t->msg_kind, t->msg_val,
                         n + 4);
    }
    default: /* FEED_UNLOCK */
        if (t->phase < 2)
            return sem_release(s, t, q->wlock, 0, 2);
        return feeder_goto(s, t, FEED_POP);
    }
}

static int mpq_exec(struct sim *s, struct task *t, const struct prog_ins *in)
{
    switch (in->op) {
    case OP_MP_LOCK: return op_mp_lock(s, t, in);
    case OP_ACQUIRE: case OP_RELEASE: return op_acquire(s, t, in);
    case OP_MP_QUEUE: return op_mp_queue(s, t, in);
    case OP_PUT: return op_put(s, t, in);
    case OP_GET: return op_get(s, t, in);
    default: return op_feed(s, t, in);
    }
}

const struct mux_ops mux_mpq_ops = {
    .name = "mpq",
    .ops = {OP_MP_LOCK, OP_ACQUIRE, OP_RELEASE, OP_MP_QUEUE, OP_PUT, OP_GET,
            OP_QFEED, OP__COUNT},
    .exec = mpq_exec,
};
