/*
 * compare.c - a simulated and a real timeline of one scenario, side by side.
 *
 * Tasks are paired by name (the runner names its tasks as the simulator
 * does).  Each task's syscalls are a sequence of (syscall, result class):
 * a value, end of file (a read or recv that returned 0), EAGAIN, EINTR,
 * interrupted (a kernel restart code), another errno by name, or
 * unfinished; a wait's ready fds and wait4's status, when both sides know
 * them, must be the same too.  The two sequences are aligned with the
 * Myers diff (the shortest edit script), and every row that is not a match
 * is a divergence: a call only the simulation makes, a call only the real
 * run makes, or the same call with a different result.
 *
 * What is not compared, because it is not what the model claims (each is
 * written in docs/real.md):
 *   - calls outside the simulator's vocabulary (glibc's own: mmap, futex
 *     of its locks, rt_sigprocmask ...): the tracer does not stop on most,
 *     and those it does are dropped here;
 *   - time: only the order of one task's calls is compared, never when
 *     they happened, nor the order between tasks;
 *   - how many idle turns a polling loop makes: a run of calls that
 *     returned EAGAIN, repeated back to back, counts once on both sides;
 *   - how readiness is batched: a select/poll/epoll_wait/io_uring_enter
 *     that returned ready fds on one side only (two arrivals in one wait,
 *     or in two) is marked '~', an allowed difference;
 *   - pthread_join of a thread that has already exited: glibc returns
 *     without a futex call, the simulator shows one ('~').
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "real/compare.h"
#include "real/real.h"
#include "tl/text.h"

/* Result classes */
enum { RC_OK, RC_EAGAIN, RC_EINTR, RC_RESTART, RC_ERR, RC_UNFINISHED, RC_EOF };

struct item {
    int sys;
    int cls;
    int64_t ret;
    long ev;     /* the SYS_ENTER event */
    int64_t t;
    uint64_t ready; /* a wait's ready fds and events (what it wrote back),
                       in any order: a hash, 0 if not known */
};

struct seq {
    struct item *v;
    int n, cap;
    uint64_t *rd;   /* every entry its waits returned ready (a hash of the
                       fd and what for), sorted, each once */
    int nrd, rdcap;
    int rd_cut;     /* a wait returned more than it shows ("..."): the
                       entries are not all known */
};

static int cls_of(int sys, int64_t ret, int finished)
{
    if (!finished)
        return RC_UNFINISHED;
    if (ret == 0 && (sys == SYS_READ || sys == SYS_RECVFROM))
        return RC_EOF; /* end of file is not data */
    if (ret >= 0)
        return RC_OK;
    if (ret == -EAGAIN)
        return RC_EAGAIN;
    if (ret == -EINTR)
        return RC_EINTR;
    if (ret == -TL_ERESTARTSYS || ret == -TL_ERESTARTNOHAND ||
        ret == -TL_ERESTART_RESTARTBLOCK || ret == -513 /* ERESTARTNOINTR */)
        return RC_RESTART;
    return RC_ERR;
}

static int is_wait(int sys)
{
    return sys == SYS_SELECT || sys == SYS_POLL || sys == SYS_EPOLL_WAIT ||
           sys == SYS_IO_URING_ENTER;
}

static int same(const struct item *a, const struct item *b)
{
    if (a->sys != b->sys || a->cls != b->cls)
        return 0;
    if (a->ready && b->ready && a->ready != b->ready)
        return 0; /* both know which fds came back ready: not the same */
    return a->cls != RC_ERR || a->ret == b->ret;
}

static uint64_t fnv(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* The string a SYSCALL names instead of an fd (what the call wrote back:
 * select's sets, poll's revents, epoll_wait's events), or NULL */
static const char *ret_str(const struct tl *tl, const struct tl_ev *e)
{
    int id = TL_OBJ_STR(e->obj);
    return e->obj <= -2 && id < tl->nstrs ? tl->strs[id] : NULL;
}

/* What a wait wrote back, whatever the order of its entries: the sum of
 * each "{...}" entry's hash (an epoll ready list's order depends on when
 * each fd became ready); select's sets are in fd order already */
static uint64_t ready_hash(const char *str)
{
    uint64_t h = 0;
    int depth = 0;
    const char *start = NULL;
    for (const char *p = str; *p; p++) {
        if (*p == '{' && depth++ == 0)
            start = p;
        else if (*p == '}' && depth > 0 && --depth == 0)
            h += fnv(start, (size_t)(p - start + 1));
    }
    if (!start)
        h = fnv(str, strlen(str));
    return h ? h : 1;
}

static int push_rd(struct seq *s, uint64_t h)
{
    if (s->nrd == s->rdcap) {
        int ncap = s->rdcap ? s->rdcap * 2 : 64;
        uint64_t *p = realloc(s->rd, (size_t)ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        s->rd = p;
        s->rdcap = ncap;
    }
    s->rd[s->nrd++] = h;
    return 0;
}

/* Each entry of what a wait wrote back, into s->rd: a "{...}" of poll or
 * epoll_wait, or one fd of select's sets, with its set ("in [5 6], out
 * [4]": in 5, in 6, out 4) */
static int ready_entries(struct seq *s, const char *str)
{
    if (strstr(str, "..."))
        s->rd_cut = 1;
    int depth = 0, rc = 0;
    const char *start = NULL;
    for (const char *p = str; *p && !rc; p++) {
        if (*p == '{' && depth++ == 0)
            start = p;
        else if (*p == '}' && depth > 0 && --depth == 0)
            rc = push_rd(s, fnv(start, (size_t)(p - start + 1)));
    }
    if (start || rc)
        return rc;
    uint64_t set = 0; /* select's: the set's name, then its fds */
    for (const char *p = str; *p && !rc;) {
        if (*p >= 'a' && *p <= 'z') {
            size_t k = strcspn(p, " [");
            set = fnv(p, k);
            p += k;
        } else if (*p >= '0' && *p <= '9') {
            char *e;
            long fd = strtol(p, &e, 10);
            rc = push_rd(s, (set ^ (uint64_t)fd) * 1099511628211ull);
            p = e;
        } else {
            p++;
        }
    }
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* s->rd sorted, each entry once: which fds came back ready, and for
 * what, not in which wait nor how often */
static void ready_set(struct seq *s)
{
    if (s->nrd > 1)
        qsort(s->rd, (size_t)s->nrd, sizeof *s->rd, cmp_u64);
    int k = 0;
    for (int i = 0; i < s->nrd; i++)
        if (!k || s->rd[k - 1] != s->rd[i])
            s->rd[k++] = s->rd[i];
    s->nrd = k;
}

/* 1 if the two runs' waits of a task returned the same entries, however
 * batched (or if that is not known: a wait shows only its first 32) */
static int same_ready(const struct seq *a, const struct seq *b)
{
    if (a->rd_cut || b->rd_cut)
        return 1;
    return a->nrd == b->nrd &&
           (!a->nrd || !memcmp(a->rd, b->rd, (size_t)a->nrd * sizeof *a->rd));
}

static int push(struct seq *s, const struct item *it)
{
    if (s->n == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 64;
        struct item *p = realloc(s->v, (size_t)ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        s->v = p;
        s->cap = ncap;
    }
    s->v[s->n++] = *it;
    return 0;
}

/* 1 if the tracer stops on syscall sys (enum tl_sys): what it does not see
 * (glibc's writev of a message, its mmap, rt_sigprocmask) is not compared */
static int seen(int sys)
{
    static signed char tab[SYS__COUNT];
    static int made;
    if (!made) {
        for (int i = 0; real_traced[i] >= 0; i++) {
            int t = tl_sys_of_nr(real_traced[i]);
            if (t >= 0 && t < SYS__COUNT)
                tab[t] = 1;
        }
        made = 1;
    }
    return sys >= 0 && sys < SYS__COUNT && tab[sys];
}

/* Task task's calls in tl, in order, each with its result */
static int collect(const struct tl *tl, int task, struct seq *s)
{
    long open = -1; /* the index in s of the call the task is in */
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != task)
            continue;
        if (e->type == EV_SYS_ENTER) {
            if (e->sub >= SYS__COUNT || !seen(e->sub))
                continue; /* not in the simulator's vocabulary, or not
                             stopped on by the tracer */
            struct item it = {e->sub, RC_UNFINISHED, 0, (long)i, e->t, 0};
            if (push(s, &it))
                return -ENOMEM;
            open = s->n - 1;
        } else if (e->type == EV_SYSCALL && open >= 0 &&
                   s->v[open].sys == e->sub) {
            s->v[open].ret = e->a;
            s->v[open].cls = cls_of(e->sub, e->a, 1);
            /* what a wait wrote back: its ready fds, or wait4's status */
            const char *r = (is_wait(e->sub) || e->sub == SYS_WAIT4) && e->a > 0
                                ? ret_str(tl, e) : NULL;
            if (r)
                s->v[open].ready = ready_hash(r);
            if (r && is_wait(e->sub) && ready_entries(s, r))
                return -ENOMEM;
            open = -1;
        }
    }
    ready_set(s);
    return 0;
}

/* The same call with the same result, to the value: a turn of a loop
 * that did the same as the turn before (accept() = 6 and accept() = 7 are
 * two connections, not one turn twice) */
static int same_turn(const struct item *a, const struct item *b)
{
    return same(a, b) && (a->cls != RC_OK || a->ret == b->ret);
}

/* A polling loop's idle turns count once: drop a window of 1 to 4 calls
 * that repeats the window just before it, call for call and result for
 * result, when it holds an EAGAIN or another error (a loop that spins on
 * a call that fails: EMFILE); and a read that found end of file right
 * after one that did (a loop that reads a closed socket again until the
 * other one is closed too).  A window whose calls made something (an
 * accept of another connection) is not an idle turn: dropping it would
 * hide a call from one side only, where the other side's turns differ in
 * where their EAGAINs fall. */
static void collapse(struct seq *s)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (int k = 1; k <= 4 && !changed; k++)
            for (int i = 0; i + 2 * k <= s->n; i++) {
                int eq = 1, again = 0;
                for (int j = 0; j < k && eq; j++) {
                    eq = same_turn(&s->v[i + j], &s->v[i + k + j]);
                    again |= s->v[i + j].cls == RC_EAGAIN ||
                             s->v[i + j].cls == RC_ERR ||
                             (k == 1 && s->v[i + j].cls == RC_EOF);
                }
                if (eq && again) {
                    memmove(&s->v[i + k], &s->v[i + 2 * k],
                            (size_t)(s->n - i - 2 * k) * sizeof *s->v);
                    s->n -= k;
                    changed = 1;
                    break;
                }
            }
    }
}

/* A one-sided call that is an allowed difference: a wait that returned
 * ready fds (batching), when the task's waits returned the same entries
 * on both sides (batch_ok); pthread_join's futex (glibc makes none when
 * the thread has already exited); not the futex calls of a contended
 * lock */
static int allowed(const struct tl *tl, const struct item *it, int batch_ok)
{
    if (is_wait(it->sys) && it->cls == RC_OK && it->ret > 0)
        return batch_ok ? REAL_WHY_BATCH : REAL_WHY_READY;
    return it->sys == SYS_FUTEX && it->cls == RC_OK &&
                   (tl->ev[it->ev].a & (TL_FUTEX_WAIT | TL_FUTEX_WAKE)) == 0
               ? REAL_WHY_JOIN
               : REAL_WHY_NONE;
}

static int add_row(struct real_cmp *c, const struct real_cmp_row *r)
{
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 256;
        struct real_cmp_row *p = realloc(c->rows, ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        c->rows = p;
        c->cap = ncap;
    }
    c->rows[c->n++] = *r;
    if (r->mark == REAL_CMP_DIFF)
        c->ndiff++;
    else if (r->mark == REAL_CMP_ALLOWED)
        c->nallowed++;
    else if (r->mark == REAL_CMP_MOVED)
        c->nmoved++;
    return 0;
}

struct move {
    int x, y, kind; /* kind 0 both, 1 simulation only, 2 real only */
};

#define MAX_D 4000 /* edits the diff looks for before giving up */

/*
 * Myers' O((N+M)D) shortest edit script, with every V saved so the path
 * can be walked back.  Writes the alignment as rows; if the sequences
 * differ by more than MAX_D edits, every call is a divergence.
 */
#define NO_RET INT64_MIN

/* The result of the call whose SYS_ENTER is ev, NO_RET if it never returned */
static int64_t ret_of(const struct tl *tl, long ev)
{
    const struct tl_ev *e = &tl->ev[ev];
    for (size_t i = (size_t)ev + 1; i < tl->nev; i++)
        if (tl->ev[i].task == e->task && (tl->ev[i].type == EV_SYSCALL ||
                                          tl->ev[i].type == EV_SYS_ENTER))
            return tl->ev[i].type == EV_SYSCALL ? tl->ev[i].a : NO_RET;
    return NO_RET;
}

/* wait4's status, as the return of the call entered at ev wrote it; NULL
 * if it is not known */
static const char *wait_status(const struct tl *tl, long ev)
{
    const struct tl_ev *e = &tl->ev[ev];
    if (e->sub != SYS_WAIT4)
        return NULL;
    for (size_t i = (size_t)ev + 1; i < tl->nev; i++)
        if (tl->ev[i].task == e->task && (tl->ev[i].type == EV_SYSCALL ||
                                          tl->ev[i].type == EV_SYS_ENTER))
            return tl->ev[i].type == EV_SYSCALL && tl->ev[i].a > 0
                       ? ret_str(tl, &tl->ev[i]) : NULL;
    return NULL;
}

/* What the wait entered at ev returned ready, as collect() hashes it; 0
 * if it is not known (or the call is not a wait) */
static uint64_t ready_of(const struct tl *tl, long ev)
{
    const struct tl_ev *e = &tl->ev[ev];
    if (!is_wait(e->sub))
        return 0;
    for (size_t i = (size_t)ev + 1; i < tl->nev; i++)
        if (tl->ev[i].task == e->task && (tl->ev[i].type == EV_SYSCALL ||
                                          tl->ev[i].type == EV_SYS_ENTER)) {
            const char *r = tl->ev[i].type == EV_SYSCALL && tl->ev[i].a > 0
                                ? ret_str(tl, &tl->ev[i]) : NULL;
            return r ? ready_hash(r) : 0;
        }
    return 0;
}

/* A read or recv that returned data */
static int data_read(const struct tl *tl, long ev)
{
    int sys = tl->ev[ev].sub;
    if (sys != SYS_READ && sys != SYS_RECVFROM)
        return 0;
    int64_t r = ret_of(tl, ev);
    return r != NO_RET && r > 0;
}

static int align(struct real_cmp *c, int ts, int tr, const struct seq *a,
                 const struct seq *b)
{
    size_t first = c->n;
    int n = a->n, m = b->n, max = n + m;
    int batch_ok = same_ready(a, b);
    if (max > 2 * MAX_D)
        max = 2 * MAX_D;
    int off = max + 1, w = 2 * max + 3;
    int *v = calloc((size_t)w, sizeof *v);
    int **trace = calloc((size_t)max + 2, sizeof *trace);
    if (!v || !trace) {
        free(v);
        free(trace);
        return -ENOMEM;
    }
    int dfound = -1;
    for (int d = 0; d <= max && dfound < 0; d++) {
        trace[d] = malloc((size_t)w * sizeof **trace);
        if (!trace[d])
            goto oom;
        for (int k = -d; k <= d; k += 2) {
            int x = k == -d || (k != d && v[off + k - 1] < v[off + k + 1])
                        ? v[off + k + 1]
                        : v[off + k - 1] + 1;
            int y = x - k;
            while (x < n && y < m && same(&a->v[x], &b->v[y]))
                x++, y++;
            v[off + k] = x;
            if (x >= n && y >= m) {
                dfound = d;
                break;
            }
        }
        memcpy(trace[d], v, (size_t)w * sizeof *v);
    }
    int rc = 0;
    if (dfound < 0) { /* too different: list both sides */
        for (int i = 0; i < n && !rc; i++)
            rc = add_row(c, &(struct real_cmp_row){ts, tr, a->v[i].ev, -1,
                                                   REAL_CMP_DIFF, REAL_WHY_NONE});
        for (int j = 0; j < m && !rc; j++)
            rc = add_row(c, &(struct real_cmp_row){ts, tr, -1, b->v[j].ev,
                                                   REAL_CMP_DIFF, REAL_WHY_NONE});
        goto done;
    }
    /* walk back from (n, m): moves into a list, then out in order */
    struct move *moves = malloc((size_t)(n + m + 1) * sizeof *moves);
    if (!moves)
        goto oom;
    int nm = 0, x = n, y = m;
    for (int d = dfound; d > 0; d--) {
        const int *pv = trace[d - 1];
        int k = x - y;
        int down = k == -d || (k != d && pv[off + k - 1] < pv[off + k + 1]);
        int pk = down ? k + 1 : k - 1;
        int px = pv[off + pk], py = px - pk;
        while (x > px + (down ? 0 : 1) && y > py + (down ? 1 : 0)) {
            x--, y--;
            moves[nm++] = (struct move){x, y, 0};
        }
        if (down) {
            y--;
            moves[nm++] = (struct move){-1, y, 2}; /* real only */
        } else {
            x--;
            moves[nm++] = (struct move){x, -1, 1}; /* sim only */
        }
        x = px;
        y = py;
    }
    while (x > 0 && y > 0) {
        x--, y--;
        moves[nm++] = (struct move){x, y, 0};
    }
    for (int i = nm - 1; i >= 0 && !rc; i--) {
        struct real_cmp_row r = {ts, tr, -1, -1, REAL_CMP_SAME, REAL_WHY_NONE};
        if (moves[i].kind == 0) {
            r.sim_ev = a->v[moves[i].x].ev;
            r.real_ev = b->v[moves[i].y].ev;
        } else if (moves[i].kind == 1) {
            r.sim_ev = a->v[moves[i].x].ev;
            r.why = allowed(c->sim, &a->v[moves[i].x], batch_ok);
            r.mark = r.why && r.why != REAL_WHY_READY ? REAL_CMP_ALLOWED
                                                      : REAL_CMP_DIFF;
        } else {
            r.real_ev = b->v[moves[i].y].ev;
            r.why = allowed(c->real, &b->v[moves[i].y], batch_ok);
            r.mark = r.why && r.why != REAL_WHY_READY ? REAL_CMP_ALLOWED
                                                      : REAL_CMP_DIFF;
        }
        rc = add_row(c, &r);
    }
    free(moves);
    /* a call both sides make, at different places in the task (the
     * order of independent peers' arrivals): moved, not missing */
    for (size_t i = first; i < c->n; i++) {
        struct real_cmp_row *p = &c->rows[i];
        if (p->mark != REAL_CMP_DIFF || p->sim_ev < 0 || p->real_ev >= 0)
            continue;
        const struct tl_ev *se = &c->sim->ev[p->sim_ev];
        int64_t sret = ret_of(c->sim, p->sim_ev);
        for (size_t j = first; j < c->n; j++) {
            struct real_cmp_row *q = &c->rows[j];
            if (q->mark != REAL_CMP_DIFF || q->real_ev < 0 || q->sim_ev >= 0)
                continue;
            const struct tl_ev *re = &c->real->ev[q->real_ev];
            int64_t rret = ret_of(c->real, q->real_ev);
            const char *sst = wait_status(c->sim, p->sim_ev),
                       *rst = wait_status(c->real, q->real_ev);
            uint64_t srd = ready_of(c->sim, p->sim_ev),
                     rrd = ready_of(c->real, q->real_ev);
            if (re->sub != se->sub ||
                cls_of(se->sub, sret, sret != NO_RET) !=
                    cls_of(re->sub, rret, rret != NO_RET) ||
                (sst && rst && strcmp(sst, rst)) || (srd && rrd && srd != rrd))
                continue; /* not the same call: another status, other
                             ready fds */
            p->mark = q->mark = REAL_CMP_MOVED;
            p->why = q->why = REAL_WHY_ORDER;
            c->ndiff -= 2;
            c->nmoved += 2;
            break;
        }
    }
    /* a read of data on one side only, next to a read of data: the same
     * bytes split differently across reads (a byte stream's reads take
     * what has arrived, which depends on timing) */
    for (size_t i = first; i < c->n; i++) {
        struct real_cmp_row *p = &c->rows[i];
        if (p->mark != REAL_CMP_DIFF)
            continue;
        const struct tl *tl = p->sim_ev >= 0 ? c->sim : c->real;
        long ev = p->sim_ev >= 0 ? p->sim_ev : p->real_ev;
        if (!data_read(tl, ev))
            continue;
        int near = 0;
        for (size_t j = i > first ? i - 1 : i; j <= i + 1 && j < c->n && !near; j++) {
            const struct real_cmp_row *q = &c->rows[j];
            if (j == i)
                continue;
            long qe = p->sim_ev >= 0 ? q->sim_ev : q->real_ev;
            near = qe >= 0 && tl->ev[qe].sub == tl->ev[ev].sub && data_read(tl, qe);
        }
        if (near) {
            p->mark = REAL_CMP_ALLOWED;
            p->why = REAL_WHY_SPLIT;
            c->ndiff--;
            c->nallowed++;
        }
    }
    /* a non-blocking call that found nothing, on one side only: how many
     * turns find nothing depends on timing */
    for (size_t i = first; i < c->n; i++) {
        struct real_cmp_row *p = &c->rows[i];
        if (p->mark != REAL_CMP_DIFF)
            continue;
        int64_t ret = p->sim_ev >= 0 ? ret_of(c->sim, p->sim_ev)
                                     : ret_of(c->real, p->real_ev);
        if (ret == -EAGAIN) {
            p->mark = REAL_CMP_ALLOWED;
            p->why = REAL_WHY_EAGAIN;
            c->ndiff--;
            c->nallowed++;
        }
    }
    /* of what is left, a sim-only and a real-only call of the same syscall
     * between the same two matched calls (one hunk of the edit script) are
     * one call with a different result: connect() = 0 beside connect() = -1
     * ECONNREFUSED.  The first of each pairs with the first of the other. */
    for (size_t i = first; i < c->n; i++) {
        struct real_cmp_row *p = &c->rows[i];
        if (p->mark != REAL_CMP_DIFF || p->sim_ev < 0 || p->real_ev >= 0)
            continue;
        size_t lo = i, hi = i + 1;
        while (lo > first && c->rows[lo - 1].mark != REAL_CMP_SAME)
            lo--;
        while (hi < c->n && c->rows[hi].mark != REAL_CMP_SAME)
            hi++;
        for (size_t j = lo; j < hi; j++) {
            struct real_cmp_row *q = &c->rows[j];
            if (q->mark != REAL_CMP_DIFF || q->real_ev < 0 || q->sim_ev >= 0 ||
                c->sim->ev[p->sim_ev].sub != c->real->ev[q->real_ev].sub)
                continue;
            p->real_ev = q->real_ev;
            p->mark = REAL_CMP_RESULT;
            memmove(q, q + 1, (c->n - j - 1) * sizeof *q);
            c->n--;
            c->ndiff -= 2;
            c->nresult++;
            if (j < i)
                i--; /* p moved up a row */
            break;
        }
    }
    goto done;
oom:
    rc = -ENOMEM;
done:
    for (int d = 0; d <= max + 1; d++)
        free(trace[d]);
    free(trace);
    free(v);
    return rc;
}

static int find_task(const struct tl *tl, const char *name)
{
    for (int i = 0; i < tl->ntasks; i++)
        if (!strcmp(tl->tasks[i].name, name))
            return i;
    return -1;
}

int real_compare(const struct tl *sim, const struct tl *real, struct real_cmp *c)
{
    memset(c, 0, sizeof *c);
    c->sim = sim;
    c->real = real;
    int rc = 0;
    for (int t = 0; t < sim->ntasks && !rc; t++) {
        int r = find_task(real, sim->tasks[t].name);
        struct seq a = {0}, b = {0};
        rc = collect(sim, t, &a);
        if (!rc && r >= 0)
            rc = collect(real, r, &b);
        if (!rc) {
            collapse(&a);
            collapse(&b);
            if (r < 0 && a.n > 0)
                c->missing++;
            rc = align(c, t, r, &a, &b);
        }
        free(a.v);
        free(b.v);
        free(a.rd);
        free(b.rd);
    }
    for (int r = 0; r < real->ntasks && !rc; r++) {
        if (find_task(sim, real->tasks[r].name) >= 0)
            continue;
        struct seq a = {0}, b = {0};
        rc = collect(real, r, &b);
        if (!rc) {
            collapse(&b);
            if (b.n > 0)
                c->extra++;
            rc = align(c, -1, r, &a, &b);
        }
        free(b.v);
        free(b.rd);
    }
    return rc;
}

void real_compare_free(struct real_cmp *c)
{
    free(c->rows);
    memset(c, 0, sizeof *c);
}

int real_compare_agree(const struct real_cmp *c)
{
    return c->ndiff == 0 && c->nresult == 0;
}

/* The argument the table shows in a call's parentheses: its fd, or
 * wait4's pid (a pid > 0: wait4(-1) shows none); -1 for none.  A call
 * whose SYS_ENTER carries its argument list as a string (the simulator's
 * fork-server liveness check, "1002, 0x7ffd..., WNOHANG, NULL") says its
 * pid there, where a real run's record has it in obj */
static long long call_arg0(const struct tl *tl, const struct tl_ev *e)
{
    if (e->sub == SYS_WAIT4 && e->obj < 0 && e->b > 0 && e->b <= tl->nstrs) {
        long long pid = strtoll(tl->strs[e->b - 1], NULL, 10);
        return pid > 0 ? pid : -1;
    }
    return e->obj >= 0 ? e->obj : -1;
}

/* "read(5) = 100", "accept(3) = -1 EAGAIN" or "epoll_wait(4) = 1 [5]"
 * from a SYS_ENTER event */
void real_compare_call_text(const struct tl *tl, long ev, char *buf, size_t len)
{
    const struct tl_ev *e = &tl->ev[ev];
    int64_t ret = 0;
    int done = 0;
    const char *rs = NULL;
    for (size_t i = (size_t)ev + 1; i < tl->nev; i++)
        if (tl->ev[i].task == e->task && (tl->ev[i].type == EV_SYSCALL ||
                                          tl->ev[i].type == EV_SYS_ENTER)) {
            if (tl->ev[i].type == EV_SYSCALL) {
                ret = tl->ev[i].a;
                done = 1;
                rs = is_wait(e->sub) && ret > 0 ? ret_str(tl, &tl->ev[i]) : NULL;
            }
            break;
        }
    char fds[40] = ""; /* a wait's ready fds: " [5 6]", or select's sets */
    if (rs && !strchr(rs, '{'))
        snprintf(fds, sizeof fds, " (%s)", rs);
    else if (rs) {
        size_t k = 0;
        for (const char *p = rs; *p && k + 12 < sizeof fds; p++)
            if (!strncmp(p, "fd=", 3) || !strncmp(p, "u32=", 4)) {
                p += *p == 'f' ? 3 : 4;
                k += (size_t)snprintf(fds + k, sizeof fds - k, "%s%d",
                                      k ? " " : " [", atoi(p));
            }
        if (k)
            snprintf(fds + k, sizeof fds - k, "]");
    }
    const char *st = wait_status(tl, ev); /* " [exit 3]", " [SIGTERM]" */
    const char *x = st ? strstr(st, "== ") : NULL;
    if (x) {
        int k = (int)strcspn(x + 3, " }");
        snprintf(fds, sizeof fds, " [%s%.*s]", strstr(st, "WIFEXITED") ? "exit " : "",
                 k, x + 3);
    }
    char arg[24] = "";
    long long a0 = call_arg0(tl, e);
    if (a0 >= 0)
        snprintf(arg, sizeof arg, "%lld", a0);
    const char *en = tl_errno_name(ret);
    if (!done)
        snprintf(buf, len, "%s(%s) = ?", tl_sys_name(e->sub), arg);
    else if (en)
        snprintf(buf, len, "%s(%s) = -1 %s", tl_sys_name(e->sub), arg, en);
    else
        snprintf(buf, len, "%s(%s) = %lld%s", tl_sys_name(e->sub), arg,
                 (long long)ret, fds);
}

int real_compare_dump(const struct real_cmp *c, FILE *f)
{
    static const char marks[] = " !~?>";
    const struct tl *sim = c->sim, *real = c->real;
    fprintf(f, "# %s: the simulation (left) and the real run (right), "
               "aligned per task\n", sim->source ? sim->source : "");
    fprintf(f, "# '!' a divergence, '?' the same call with another result, "
               "'>' a call made at another place in the task, '~' an allowed "
               "difference (docs/real.md)\n");
    int cur_s = -2, cur_r = -2;
    for (size_t i = 0; i < c->n; i++) {
        const struct real_cmp_row *r = &c->rows[i];
        if (r->sim_task != cur_s || r->real_task != cur_r) {
            cur_s = r->sim_task;
            cur_r = r->real_task;
            const char *name = cur_s >= 0 ? sim->tasks[cur_s].name
                                          : real->tasks[cur_r].name;
            fprintf(f, "\n== %s%s\n", name,
                    cur_s < 0 ? " (only in the real run)"
                    : cur_r < 0 ? " (only in the simulation)" : "");
        }
        char a[96] = "", b[96] = "", ta[24] = "", tb[24] = "";
        if (r->sim_ev >= 0) {
            real_compare_call_text(sim, r->sim_ev, a, sizeof a);
            tl_time_text(ta, sizeof ta, sim->ev[r->sim_ev].t);
        }
        if (r->real_ev >= 0) {
            real_compare_call_text(real, r->real_ev, b, sizeof b);
            tl_time_text(tb, sizeof tb, real->ev[r->real_ev].t);
        }
        fprintf(f, "%c %10s %-34s | %10s %s\n", marks[r->mark], ta, a, tb, b);
    }
    fprintf(f, "\n# %zu rows: %d divergences, %d different results, %d moved, "
               "%d allowed differences; %s\n", c->n, c->ndiff, c->nresult,
            c->nmoved, c->nallowed,
            real_compare_agree(c) ? "the simulation and the real run agree"
                                  : "they DISAGREE");
    return ferror(f) ? -EIO : 0;
}

int real_compare_diverges(const struct real_cmp_row *r)
{
    return r->mark == REAL_CMP_DIFF || r->mark == REAL_CMP_RESULT;
}

/* What docs/real.md's table of shipped scenarios says, word for word
 * (test_pair checks that the docs hold each text) */
static const struct {
    const char *names; /* scenarios, each followed by a space */
    const char *why;
} known[] = {
    {"writeout ", "Linux sizes the sockets' buffers itself (autotuning), so "
     "its writes of the 256K reply split otherwise than across the model's "
     "fixed 45K send and 64K receive buffers"},
    {"shared-counter ", "whether the two threads' lock calls collide, and so "
     "make futex calls, is the scheduler's (the real threads rarely overlap: "
     "a thread is made in a fraction of the time the simulator gives it)"},
    {"spawn-main ", "the runner is not an interpreter it could exec afresh, "
     "so a spawn is a clone (fork) where CPython makes a vfork and an execve "
     "(the comparison shows that clone as the one divergence per spawn); the "
     "child then does what the fresh interpreter does: closes the fds it is "
     "not passed, computes for py_start, reads the parent's 883 bytes and "
     "re-runs the declaration's top-level code before the block"},
    {"forkserver ", "the runner is not an interpreter it could exec "
     "afresh, so the resource tracker and the fork server are each a clone "
     "(fork) of the client where CPython makes a vfork and an execve (the "
     "comparison shows those two clones as the divergences); the server's "
     "socket is in the abstract namespace, with no chmod, and the server "
     "runs forkserver.py's loop in C with the same calls"},
    {"ipc-queue print-lock ", "a SemLock is made without sem_open's file "
     "(above), and the feeder thread waits on glibc's condition variable, "
     "whose futex calls the tracer does not stop on (only the scenario's own "
     "lock words)"},
    {"three-designs ", "its fork server forks while earlier children exit, "
     "and a real fork() that a child's SIGCHLD interrupts is restarted by the "
     "kernel: strace and the tracer show clone() = ? ERESTARTNOINTR and the "
     "same clone again, which the program never sees; the model makes one "
     "clone"},
    {"pool-apply pool-apply-async ", "their SemLocks are ipc-queue's (made "
     "without sem_open's file), and whether the pool's in-process semaphores "
     "and locks make futex calls depends on how the real threads meet"},
    {"gil-cpu gil-io mp-cpu free-threaded ", "the real run is C, with no "
     "interpreter and so no GIL: its threads compute at once where the "
     "model's CPython threads take turns (the Python programs these model "
     "are in scenarios/py/)"},
    {"sticky ", "the sizes its setsockopt asks for hold what the model says "
     "over loopback (4096, 4096, 2048, then EAGAIN), but how the sends split "
     "depends on when the receiver's window opens"},
    {"herd ", "which sleeping worker the kernel wakes, and which one wins "
     "the accept, is the scheduler's; the simulator always picks the same"},
    {"emfile ", "its 28 clients connect 20 us apart, so how their "
     "connections fall into rounds of accept() (and when EMFILE comes) "
     "depends on timing the tracer cannot keep; the real fd limit is the "
     "sandbox's hard limit (at most 65536), not 524288"},
};

const char *real_compare_known(const char *source)
{
    if (!source)
        return NULL;
    const char *b = strrchr(source, '/');
    b = b ? b + 1 : source;
    size_t n = strlen(b);
    if (n > 4 && !strcmp(b + n - 4, ".scn"))
        n -= 4;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        for (const char *p = known[i].names; *p;) {
            const char *e = strchr(p, ' ');
            if ((size_t)(e - p) == n && !strncmp(p, b, n))
                return known[i].why;
            p = e + 1;
        }
    return NULL;
}

static const char *const why_rule[] = {
    [REAL_WHY_BATCH] = "Allowed (docs/real.md): how readiness is batched. "
        "Arrivals close together come back in one wait in one run, in two "
        "waits in the other.",
    [REAL_WHY_JOIN] = "Allowed (docs/real.md): glibc's pthread_join of a "
        "thread that has already exited returns without a futex call; the "
        "simulator shows one.",
    [REAL_WHY_SPLIT] = "Allowed (docs/real.md): the same bytes split "
        "otherwise across reads. A read of a byte stream takes what has "
        "arrived, which depends on timing.",
    [REAL_WHY_EAGAIN] = "Allowed (docs/real.md): how many turns of a "
        "non-blocking loop find nothing (EAGAIN) depends on timing.",
    [REAL_WHY_ORDER] = "Both runs make this call, at another place in the "
        "task: the order in which independent peers' requests arrived "
        "(docs/real.md).",
    [REAL_WHY_READY] = "Not only batched otherwise: this task's waits "
        "returned other fds, or the same fds for other events, in the real "
        "run than in the simulation (docs/real.md, how readiness is "
        "batched).",
};

/* The time the first listen() of the real run returned 0, or -1 */
static int64_t first_listen(const struct tl *tl)
{
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SYSCALL && tl->ev[i].sub == SYS_LISTEN &&
            tl->ev[i].a == 0)
            return tl->ev[i].t;
    return -1;
}

/* The first connect of task that was refused, as a SYS_ENTER index; -1 */
static long refused_connect(const struct tl *tl, int task, long before)
{
    for (long i = 0; i < before && (size_t)i < tl->nev; i++)
        if (tl->ev[i].task == task && tl->ev[i].type == EV_SYS_ENTER &&
            tl->ev[i].sub == SYS_CONNECT && ret_of(tl, i) == -ECONNREFUSED)
            return i;
    return -1;
}

void real_compare_explain(const struct real_cmp *c, size_t i, char *what,
                          size_t wlen, char *why, size_t ylen)
{
    const struct real_cmp_row *r = &c->rows[i];
    char a[96] = "", b[96] = "";
    const char *name = r->sim_task >= 0 ? c->sim->tasks[r->sim_task].name
                                        : c->real->tasks[r->real_task].name;
    if (r->sim_ev >= 0)
        real_compare_call_text(c->sim, r->sim_ev, a, sizeof a);
    if (r->real_ev >= 0)
        real_compare_call_text(c->real, r->real_ev, b, sizeof b);
    why[0] = 0;
    switch (r->mark) {
    case REAL_CMP_SAME:
        snprintf(what, wlen, "%s's %s: the same in both runs.", name, a);
        return;
    case REAL_CMP_RESULT:
        snprintf(what, wlen, "%s's %s in the simulation, %s in the real run.",
                 name, a, b);
        break;
    case REAL_CMP_MOVED:
        snprintf(what, wlen, "%s's %s %s", name, r->sim_ev >= 0 ? a : b,
                 r->sim_ev >= 0 ? "is made later or earlier in the real run."
                                : "is made later or earlier in the simulation.");
        break;
    default:
        if (r->sim_ev >= 0)
            snprintf(what, wlen, "The simulation predicts %s's %s; the real "
                     "run made no such call.", name, a);
        else
            snprintf(what, wlen, "The real run's %s made %s, which the "
                     "simulation does not predict.", name, b);
        break;
    }
    if (r->why > REAL_WHY_NONE && r->why <= REAL_WHY_READY) {
        snprintf(why, ylen, "%s", why_rule[r->why]);
        return;
    }
    /* a refused connect: was anything listening yet in the real run? */
    if (r->real_task >= 0) {
        long rc = r->real_ev >= 0 && c->real->ev[r->real_ev].sub == SYS_CONNECT &&
                          ret_of(c->real, r->real_ev) == -ECONNREFUSED
                      ? r->real_ev
                      : refused_connect(c->real, r->real_task,
                                        r->real_ev >= 0 ? r->real_ev
                                                        : (long)c->real->nev);
        int64_t lt = first_listen(c->real);
        if (rc >= 0 && rc == r->real_ev && (lt < 0 || lt > c->real->ev[rc].t)) {
            char t1[24], t2[24];
            tl_time_text(t1, sizeof t1, c->real->ev[rc].t);
            snprintf(why, ylen, "The real connect ran at %s, %s%s: nothing "
                         "listened on the port yet, so Linux refused it. The "
                         "real processes started later than the scenario's "
                         "times; --slow 10 gives them room.", t1,
                         lt < 0 ? "and no listen() of the real run succeeded"
                                : "before the real server's listen() at ",
                         lt < 0 ? "" : tl_time_text(t2, sizeof t2, lt));
            return;
        }
        long any = -1; /* a refused connect of any task */
        for (int t = 0; t < c->real->ntasks && any < 0 && rc < 0; t++)
            any = refused_connect(c->real, t, (long)c->real->nev);
        if (rc < 0 && any >= 0 && r->real_ev >= 0 &&
            ret_of(c->real, r->real_ev) == NO_RET) {
            snprintf(why, ylen, "The real call never returned: %s's connect "
                     "was refused, so nothing came for it.",
                     c->real->tasks[c->real->ev[any].task].name);
            return;
        }
        if (rc >= 0 && rc != r->real_ev) {
            snprintf(why, ylen, "In the real run, %s's connect was refused "
                     "earlier (connect(%d) = -1 ECONNREFUSED), so its calls "
                     "went another way from there.", name, c->real->ev[rc].obj);
            return;
        }
    }
    const char *k = real_compare_known(c->sim->source);
    if (k)
        snprintf(why, ylen, "docs/real.md: %s.", k);
    else
        snprintf(why, ylen, "docs/real.md gives no reason for this one. A "
                 "loaded machine can reorder what the scenario spaces by a "
                 "fraction of a millisecond; --slow 10 gives the run room.");
}
