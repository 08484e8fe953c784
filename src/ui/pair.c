/*
 * pair.c - the simulation and the real run side by side: the alignment's
 * rows in the simulation's order, and the positions that follow one
 * another (pair.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ui/pair.h"
#include "ui/view.h"

struct keyed {
    long key, idx;
};

static int by_key(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A row of a task the simulation lacks: the simulated position at the same
 * share of the run's length */
static long scaled_pos(const struct ui_pair *p, long real_ev)
{
    const struct tl *s = p->cmp.sim, *r = p->cmp.real;
    if (s->nev == 0 || r->nev == 0)
        return 0;
    int64_t rend = r->ev[r->nev - 1].t, t = r->ev[real_ev].t;
    int64_t send = s->ev[s->nev - 1].t;
    int64_t st = rend > 0 ? (int64_t)((double)t / (double)rend * (double)send) : 0;
    return viewer_pos_at_time(&p->sim, st);
}

/* The simulation's place of the task of the real run named as real's
 * task t, or a place after every task */
static int sim_place(const struct ui_pair *p, int t)
{
    const struct tl *s = p->sim.tl;
    for (int i = 0; i < s->ntasks; i++)
        if (!strcmp(s->tasks[i].name, p->real.tl->tasks[t].name))
            return p->sim.order_ix[i];
    return s->ntasks + t;
}

/* The real run's tasks in the simulation's order (the real ones start in
 * whatever order fork returns), so that the two task panels line up: each
 * process with what is under it (its threads and children) moves as a
 * block, the machine's first, then the peers */
static int tasks_in_sim_order(struct ui_pair *p)
{
    struct viewer *r = &p->real;
    int n = r->tl->ntasks;
    int *o = malloc(((size_t)n + 1) * sizeof *o), *dp = malloc(((size_t)n + 1) * sizeof *dp);
    int *start = malloc(((size_t)n + 1) * sizeof *start), *key = malloc(((size_t)n + 1) * sizeof *key);
    if (!o || !dp || !start || !key) {
        free(o), free(dp), free(start), free(key);
        return -ENOMEM;
    }
    int nb = 0;
    for (int i = 0; i < n; i++) /* blocks: from each task at depth 0 */
        if (i == 0 || r->depth[i] == 0 || i == r->first_peer) {
            start[nb] = i;
            key[nb++] = sim_place(p, r->order[i]) + (i >= r->first_peer ? 2 * n : 0);
        }
    start[nb] = n;
    for (int i = 1; i < nb; i++) /* insertion sort of the blocks */
        for (int j = i; j > 0 && key[j - 1] > key[j]; j--) {
            int k = key[j], s0 = start[j];
            key[j] = key[j - 1], start[j] = start[j - 1];
            key[j - 1] = k, start[j - 1] = s0;
        }
    /* each block's length: up to the next start in the old order */
    int m = 0;
    for (int b = 0; b < nb; b++) {
        int a = start[b], e = n;
        for (int c = 0; c < nb; c++)
            if (start[c] > a && start[c] < e)
                e = start[c];
        for (int i = a; i < e; i++, m++) {
            o[m] = r->order[i];
            dp[m] = r->depth[i];
        }
    }
    memcpy(r->order, o, (size_t)n * sizeof *o);
    memcpy(r->depth, dp, (size_t)n * sizeof *dp);
    for (int i = 0; i < n; i++)
        r->order_ix[r->order[i]] = i;
    free(o), free(dp), free(start), free(key);
    return 0;
}

int ui_pair_open(struct ui_pair *p, const struct tl *sim, const struct tl *real)
{
    memset(p, 0, sizeof *p);
    p->row = -1;
    int rc = real_compare(sim, real, &p->cmp);
    if (rc)
        goto err;
    rc = viewer_open(&p->sim, sim);
    if (rc)
        goto err;
    rc = viewer_open(&p->real, real);
    if (rc)
        goto err;
    if (real->ntasks <= 1000) /* c10k's peers do not run for real */
        rc = tasks_in_sim_order(p);
    if (rc)
        goto err;
    p->sim.pair = p->real.pair = p;
    p->sim.run_name = "Simulation";
    p->real.run_name = "Real run";
    p->sim.focus = V_ALIGN;
    rc = -ENOMEM;
    size_t n = p->cmp.n;
    struct keyed *k = malloc((n ? n : 1) * sizeof *k);
    p->order = malloc((n ? n : 1) * sizeof *p->order);
    p->key = malloc((n ? n : 1) * sizeof *p->key);
    if (!k || !p->order || !p->key) {
        free(k);
        goto err;
    }
    /* rows of one task pair are consecutive in cmp.rows (compare.c) */
    long prev = -1;
    for (size_t i = 0; i < n; i++) {
        const struct real_cmp_row *r = &p->cmp.rows[i];
        int first = i == 0 || r->sim_task != p->cmp.rows[i - 1].sim_task ||
                    r->real_task != p->cmp.rows[i - 1].real_task;
        if (first)
            prev = -1;
        if (r->sim_ev >= 0)
            prev = r->sim_ev + 1;
        else if (prev < 0)
            prev = r->sim_task >= 0 ? 0 : scaled_pos(p, r->real_ev);
        k[i] = (struct keyed){prev, (long)i};
        p->ndiv += real_compare_diverges(r);
    }
    qsort(k, n, sizeof *k, by_key);
    for (size_t i = 0; i < n; i++) {
        p->order[i] = k[i].idx;
        p->key[i] = k[i].key;
    }
    p->n = (long)n;
    free(k);
    return 0;
err:
    ui_pair_close(p);
    return rc;
}

void ui_pair_close(struct ui_pair *p)
{
    if (p->sim.tl)
        viewer_close(&p->sim);
    if (p->real.tl)
        viewer_close(&p->real);
    real_compare_free(&p->cmp);
    free(p->order);
    free(p->key);
    memset(p, 0, sizeof *p);
    p->row = -1;
}

const struct real_cmp_row *ui_pair_at(const struct ui_pair *p, long d)
{
    return d >= 0 && d < p->n ? &p->cmp.rows[p->order[d]] : NULL;
}

long ui_pair_sim_pos(const struct ui_pair *p, long d)
{
    return d >= 0 && d < p->n ? p->key[d] : 0;
}

/* The return (SYSCALL event) of the call entered at event ev, or -1 */
static long ret_ev(const struct tl *tl, long ev)
{
    int task = tl->ev[ev].task;
    for (size_t i = (size_t)ev + 1; i < tl->nev; i++)
        if (tl->ev[i].task == task &&
            (tl->ev[i].type == EV_SYSCALL || tl->ev[i].type == EV_SYS_ENTER))
            return tl->ev[i].type == EV_SYSCALL ? (long)i : -1;
    return -1;
}

/* After event ev, and what came with it at the same moment for its task
 * (the blocked state of a call entered, the running one of a return) */
static long after(const struct tl *tl, long ev)
{
    const struct tl_ev *e = &tl->ev[ev];
    long pos = ev + 1;
    while ((size_t)pos < tl->nev && tl->ev[pos].task == e->task &&
           tl->ev[pos].t == e->t && tl->ev[pos].type != EV_SYSCALL &&
           tl->ev[pos].type != EV_SYS_ENTER)
        pos++;
    return pos;
}

long ui_pair_real_pos(const struct ui_pair *p, long d, long sim_pos)
{
    const struct real_cmp_row *r = ui_pair_at(p, d);
    if (!r)
        return 0;
    if (r->real_ev >= 0) { /* the call entered; returned once the
                              simulated one has */
        long sr = r->sim_ev >= 0 ? ret_ev(p->cmp.sim, r->sim_ev) : -1;
        long rr = ret_ev(p->cmp.real, r->real_ev);
        if (sr >= 0 && sr < sim_pos && rr >= 0)
            return after(p->cmp.real, rr);
        return after(p->cmp.real, r->real_ev);
    }
    /* a call the real run did not make: where the same task's previous
       real call is, else the previous row's */
    long any = -1;
    for (long e = d - 1; e >= 0; e--) {
        const struct real_cmp_row *q = ui_pair_at(p, e);
        if (q->real_ev < 0)
            continue;
        if (q->real_task == r->real_task)
            return q->real_ev + 1;
        if (any < 0)
            any = q->real_ev + 1;
    }
    return any < 0 ? 0 : any;
}

/* The last display row whose key is at or before pos, -1 */
static long row_at(const struct ui_pair *p, long pos)
{
    long lo = 0, hi = p->n;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (p->key[mid] <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* The real viewer to row d's counterpart, both selections on its tasks */
static int show_row(struct ui_pair *p, long d)
{
    long from = viewer_pos(&p->real);
    long to = ui_pair_real_pos(p, d, viewer_pos(&p->sim));
    int rc = to > from ? viewer_seek_from(&p->real, to, from)
                       : viewer_seek(&p->real, to);
    const struct real_cmp_row *r = ui_pair_at(p, d);
    if (r && r->sim_task >= 0)
        p->sim.sel_task = r->sim_task;
    if (r && r->real_task >= 0)
        p->real.sel_task = r->real_task;
    else if (p->sim.sel_task >= 0) /* the same task, by its name */
        for (int t = 0; t < p->real.tl->ntasks; t++)
            if (!strcmp(p->real.tl->tasks[t].name,
                        p->sim.tl->tasks[p->sim.sel_task].name))
                p->real.sel_task = t;
    p->row = d;
    return rc;
}

void ui_pair_follow(struct ui_pair *p, long from)
{
    long pos = viewer_pos(&p->sim);
    if (pos == from || p->jumped)
        return;
    /* the call the selected task (a step's: the caption's) is in, or made
       last; the last call entered by anyone when it has made none */
    long d = row_at(p, pos), e = d;
    int sel = p->sim.sel_task;
    while (e >= 0 && ui_pair_at(p, e)->sim_task != sel)
        e--;
    show_row(p, e >= 0 ? e : d);
}

int ui_pair_goto_row(struct ui_pair *p, long d)
{
    if (d < 0 || d >= p->n)
        return -EINVAL;
    long from = viewer_pos(&p->sim), to = ui_pair_sim_pos(p, d);
    int rc = to > from ? viewer_seek_from(&p->sim, to, from)
                       : viewer_seek(&p->sim, to);
    if (!rc)
        rc = show_row(p, d);
    p->jumped = 1;
    return rc;
}

long ui_pair_row_of_real(const struct ui_pair *p, long pos)
{
    long best = -1, bev = -1;
    for (long d = 0; d < p->n; d++) {
        const struct real_cmp_row *r = ui_pair_at(p, d);
        if (r->real_ev >= 0 && r->real_ev < pos && r->real_ev > bev) {
            bev = r->real_ev;
            best = d;
        }
    }
    return best;
}

long ui_pair_next_div(const struct ui_pair *p, long d, int dir)
{
    for (long e = d + dir; e >= 0 && e < p->n; e += dir)
        if (real_compare_diverges(ui_pair_at(p, e)))
            return e;
    return -1;
}
