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

#define CAP_RUN 4

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
    v->order_ix = malloc(((size_t)n + 1) * sizeof *v->order_ix);
    if (!first || !next || !stack || !v->order || !v->depth || !v->order_ix) {
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
    /* the machine's tasks first, then the peers (clients on other hosts) */
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            v->first_peer = k;
        for (int r = first[0]; r >= 0; r = next[r]) {
            if ((tl->tasks[r].kind == TK_PEER) != pass)
                continue;
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
    }
    v->npeers = k - v->first_peer;
    /* tasks in a parent cycle: append them */
    for (int i = 0; i < n; i++)
        if (!seen[i]) {
            v->order[k] = i;
            v->depth[k++] = 0;
        }
    for (int i = 0; i < n; i++)
        v->order_ix[v->order[i]] = i;
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
    /* the steps: every caption, except that a sentence repeated in a run
       longer than CAP_RUN (a server template's loop saying it 10,000 times)
       is one step, its first */
    long run_start = -1, run_len = 0;
    const char *last_cap = NULL;
    for (size_t i = 0; i <= tl->nev; i++) {
        const struct tl_ev *e = i < tl->nev ? &tl->ev[i] : NULL;
        if (e && e->type != EV_CAPTION)
            continue;
        const char *c = !e ? NULL
                        : e->a >= 0 && e->a < tl->nstrs && tl->strs[e->a]
                            ? tl->strs[e->a] : "";
        if (c && last_cap && !strcmp(c, last_cap)) {
            run_len++;
            continue;
        }
        /* a run ends: its captions are steps, or its first only */
        for (long j = run_start, k = 0; run_start >= 0 && k < run_len; j++) {
            if (tl->ev[j].type != EV_CAPTION)
                continue;
            if (k == 0 || run_len <= CAP_RUN)
                v->caps[v->ncaps++] = j;
            k++;
        }
        run_start = (long)i;
        run_len = 1;
        last_cap = c;
    }
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
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
    for (int i = 0; i < tl->ntasks; i++)
        v->has_coroutines |= tl->tasks[i].kind == TK_COROUTINE;
    /* the model's own queues first, then the accept and run queues */
    v->qorder = malloc(((size_t)tl->nqueues + 1) * sizeof *v->qorder);
    if (!v->qorder)
        goto err;
    for (int pass = 0, k = 0; pass < 2; pass++)
        for (int q = 0; q < tl->nqueues; q++) {
            int general = tl->queues[q].kind == TQK_RUN ||
                          tl->queues[q].kind == TQK_ACCEPT;
            if (general == pass)
                v->qorder[k++] = q;
            v->model_queues += !pass && !general;
        }
    if (tl->nqueues > 0)
        v->sel_queue = v->qorder[0];
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
    free(v->order_ix);
    free(v->qorder);
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

int viewer_queue_index(const struct viewer *v, int q)
{
    for (int i = 0; i < v->tl->nqueues; i++)
        if (v->qorder[i] == q)
            return i;
    return -1;
}

int viewer_order_index(const struct viewer *v, int task)
{
    if (task < 0 || task >= v->tl->ntasks)
        return -1;
    return v->order_ix[task];
}

/* a window of n of the count items from base, with item s (if inside) in
   the middle; writes base + i into out */
static int window(int base, int count, int s, int n, int *out)
{
    if (n > count)
        n = count;
    if (n <= 0)
        return 0;
    int top = s >= base && s < base + count ? s - base - n / 2 : 0;
    if (top > count - n)
        top = count - n;
    if (top < 0)
        top = 0;
    for (int i = 0; i < n; i++)
        out[i] = base + top + i;
    return n;
}

int viewer_task_rows(const struct viewer *v, int rows, int *out)
{
    int n = v->tl->ntasks, np = v->npeers, nm = n - np;
    int s = viewer_order_index(v, v->sel_task);
    if (rows <= 0 || n == 0)
        return 0;
    if (np == 0)
        return window(0, n, s, rows, out);
    if (rows == 1) /* only the selected task */
        return window(0, n, s, 1, out);
    /* the machine's tasks first, then the peer group: a heading, a count
       by state when not every peer fits, and a window of peers */
    int selpeer = s >= v->first_peer && s < v->first_peer + np;
    int m = nm < rows - 1 - selpeer ? nm : rows - 1 - selpeer;
    int k = window(0, nm, s, m, out);
    out[k++] = UI_ROW_PEERS;
    if (np > rows - k && rows - k >= 2)
        out[k++] = UI_ROW_PEER_COUNTS;
    int after_peers = v->first_peer + np; /* tasks in a parent cycle */
    k += window(v->first_peer, np, s, rows - k, out + k);
    if (k < rows && after_peers < n)
        k += window(after_peers, n - after_peers, s, rows - k, out + k);
    return k;
}

char *viewer_peer_summary(const struct viewer *v, char *buf, int len)
{
    static const int shown[] = { TS_RUNNING, TS_READY, TS_BLOCKED, TS_NEW,
                                 TS_EXITED };
    int c[TS__COUNT], n = 0;
    viewer_peer_counts(v, c);
    c[TS_NEW] += c[TS_NONE];
    buf[0] = 0;
    for (size_t i = 0; i < sizeof shown / sizeof *shown && n < len; i++)
        if (c[shown[i]])
            n += snprintf(buf + n, (size_t)(len - n), "%s%d %s", n ? ", " : "",
                          c[shown[i]],
                          shown[i] == TS_NONE || shown[i] == TS_NEW
                              ? "not started yet" : tl_state_name(shown[i]));
    return buf;
}

void viewer_peer_counts(const struct viewer *v, int *counts)
{
    const struct world *w = &v->cur.w;
    for (int st = 0; st < TS__COUNT; st++)
        counts[st] = 0;
    for (int i = 0; i < v->npeers; i++) {
        int t = v->order[v->first_peer + i];
        counts[t < w->ntasks ? w->tasks[t].state : TS_NONE]++;
    }
}

void viewer_msg(struct viewer *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
}
