/*
 * viewer.c - opening a viewer over a timeline: the cursor and the
 * summaries computed once (lanes, captions, task order).
 */
#include "ui/viewer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/view.h"

static int lane_push(struct lane *l, int64_t t, long idx, int st)
{
    if (l->n == l->cap) {
        long ncap = l->cap ? l->cap * 2 : 8;
        struct lane_seg *s = realloc(l->s, (size_t)ncap * sizeof *s);
        if (!s)
            return -ENOMEM;
        l->s = s;
        l->cap = ncap;
    }
    l->s[l->n++] = (struct lane_seg){ t, idx, (uint8_t)st };
    return 0;
}

/* Tasks in display order: each task followed by its children (threads,
   coroutines, forked processes), depth first, without recursion. */
static int build_order(struct viewer *v)
{
    const struct tl *tl = v->tl;
    int n = tl->ntasks;
    int *first = malloc(((size_t)n + 1) * sizeof *first);
    int *next = malloc(((size_t)n + 1) * sizeof *next);
    int *stack = malloc(((size_t)n + 1) * sizeof *stack);
    v->order = malloc(((size_t)n + 1) * sizeof *v->order);
    v->depth = malloc(((size_t)n + 1) * sizeof *v->depth);
    if (!first || !next || !stack || !v->order || !v->depth) {
        free(first), free(next), free(stack);
        return -ENOMEM;
    }
    /* first[p + 1]: first child of p (p = -1: the roots), in index order */
    for (int i = 0; i <= n; i++)
        first[i] = -1;
    for (int i = n - 1; i >= 0; i--) {
        int p = tl->tasks[i].parent;
        if (p < -1 || p >= n || p == i)
            p = -1;
        next[i] = first[p + 1];
        first[p + 1] = i;
    }
    int k = 0, sp = 0;
    char *seen = calloc((size_t)n + 1, 1);
    if (!seen) {
        free(first), free(next), free(stack);
        return -ENOMEM;
    }
    for (int r = first[0]; r >= 0; r = next[r]) {
        stack[sp++] = r;
        while (sp > 0) {
            int t = stack[--sp];
            if (seen[t])
                continue;
            seen[t] = 1;
            int d = 0;
            for (int p = tl->tasks[t].parent; p >= 0 && p < n && d < 8;
                 p = tl->tasks[p].parent)
                d++;
            v->order[k] = t;
            v->depth[k++] = d;
            /* push children in reverse so the first pops first */
            int m = 0;
            for (int c = first[t + 1]; c >= 0; c = next[c])
                m++;
            int base = sp;
            sp += m;
            for (int c = first[t + 1], j = 0; c >= 0; c = next[c], j++)
                stack[base + m - 1 - j] = c;
        }
    }
    /* tasks in a parent cycle: append them */
    for (int i = 0; i < n; i++)
        if (!seen[i]) {
            v->order[k] = i;
            v->depth[k++] = 0;
        }
    free(seen), free(first), free(next), free(stack);
    return 0;
}

int viewer_open(struct viewer *v, const struct tl *tl)
{
    memset(v, 0, sizeof *v);
    v->tl = tl;
    v->sel_task = tl->ntasks > 0 ? 0 : -1;
    v->sel_fd = -1;
    v->sel_queue = tl->nqueues > 0 ? 0 : -1;
    v->focus = V_TASKS;
    v->speed = 1;
    int rc = -ENOMEM;
    v->lanes = calloc(tl->ntasks > 0 ? (size_t)tl->ntasks : 1, sizeof *v->lanes);
    if (!v->lanes)
        goto err;
    long ncaps = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION)
            ncaps++;
    v->caps = malloc((size_t)(ncaps + 1) * sizeof *v->caps);
    if (!v->caps)
        goto err;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_CAPTION)
            v->caps[v->ncaps++] = (long)i;
        if (e->task >= tl->ntasks)
            continue;
        if (e->type == EV_TASK_NEW &&
            lane_push(&v->lanes[e->task], e->t, (long)i, TS_NEW))
            goto err;
        if (e->type == EV_STATE &&
            lane_push(&v->lanes[e->task], e->t, (long)i, e->sub))
            goto err;
    }
    v->t_end = tl->nev ? tl->ev[tl->nev - 1].t : 0;
    if (build_order(v))
        goto err;
    if (tl->ntasks > 0)
        v->sel_task = v->order[0];
    rc = wcur_open(&v->cur, tl);
    if (rc)
        goto err_nocur;
    return 0;
err:
    memset(&v->cur, 0, sizeof v->cur);
err_nocur:
    viewer_close(v);
    return rc;
}

void viewer_close(struct viewer *v)
{
    if (v->lanes)
        for (int i = 0; i < v->tl->ntasks; i++)
            free(v->lanes[i].s);
    free(v->lanes);
    free(v->caps);
    free(v->order);
    free(v->depth);
    free(v->marks);
    if (v->cur.tl)
        wcur_close(&v->cur);
    memset(v, 0, sizeof *v);
}

int viewer_seek(struct viewer *v, long idx)
{
    if (idx < 0)
        idx = 0;
    if ((size_t)idx > v->tl->nev)
        idx = (long)v->tl->nev;
    return wcur_seek(&v->cur, idx);
}

long viewer_first_caption_pos(const struct viewer *v)
{
    return v->ncaps > 0 ? v->caps[0] + 1 : 0;
}

long viewer_pos_at_time(const struct viewer *v, int64_t t)
{
    /* number of events with time <= t */
    long lo = 0, hi = (long)v->tl->nev;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (v->tl->ev[mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int viewer_state_at(const struct viewer *v, int task, int64_t t, long limit)
{
    if (task < 0 || task >= v->tl->ntasks)
        return TS_NONE;
    const struct lane *l = &v->lanes[task];
    long lo = 0, hi = l->n; /* first segment with time > t */
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (l->s[mid].t <= t && l->s[mid].idx < limit)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? TS_NONE : l->s[lo - 1].st;
}

int viewer_order_index(const struct viewer *v, int task)
{
    for (int i = 0; i < v->tl->ntasks; i++)
        if (v->order[i] == task)
            return i;
    return -1;
}

void viewer_msg(struct viewer *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
}
