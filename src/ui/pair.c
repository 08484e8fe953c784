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

long ui_pair_real_pos(const struct ui_pair *p, long d)
{
    const struct real_cmp_row *r = ui_pair_at(p, d);
    if (!r)
        return 0;
    if (r->real_ev >= 0) { /* the call entered, and what came with it (a
                              blocked state) */
        const struct tl *tl = p->cmp.real;
        const struct tl_ev *e = &tl->ev[r->real_ev];
        long pos = r->real_ev + 1;
        while ((size_t)pos < tl->nev && tl->ev[pos].task == e->task &&
               tl->ev[pos].t == e->t && tl->ev[pos].type != EV_SYSCALL &&
               tl->ev[pos].type != EV_SYS_ENTER)
            pos++;
        return pos;
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
    long from = viewer_pos(&p->real), to = ui_pair_real_pos(p, d);
    int rc = to > from ? viewer_seek_from(&p->real, to, from)
                       : viewer_seek(&p->real, to);
    const struct real_cmp_row *r = ui_pair_at(p, d);
    if (r && r->sim_task >= 0)
        p->sim.sel_task = r->sim_task;
    if (r && r->real_task >= 0)
        p->real.sel_task = r->real_task;
    p->row = d;
    return rc;
}

void ui_pair_follow(struct ui_pair *p, long from)
{
    long pos = viewer_pos(&p->sim);
    if (pos == from || p->jumped)
        return;
    show_row(p, row_at(p, pos));
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
