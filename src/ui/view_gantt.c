/*
 * view_gantt.c - the timeline: one lane per task, virtual time left to
 * right, each cell the task's state in that slice of time, up to the
 * cursor; the cursor column is marked on every lane and on the axis.
 *
 * A cell shows "running" if the task ran at all in its slice (short bursts
 * stay visible at any zoom), otherwise the state it was in longest.  Lanes
 * are the per-task state changes computed once at open (viewer.c): a frame
 * costs O(lanes * (columns + changes in the window)), never a scan of the
 * timeline.
 */
#include <stdio.h>

#include "ui/keys.h"
#include "ui/view.h"

#define MAXLANES 12
#define ROWS_MAX 512

static int want(const struct viewer *v, int w)
{
    (void)w;
    int n = v->tl->ntasks + (v->npeers > 0); /* and the peers' heading */
    if (n > MAXLANES)
        n = MAXLANES;
    return (n < 1 ? 1 : n) + 3; /* frame and axis */
}

/* the machine's lanes and the peers' heading and count (layout.c) */
static int core(const struct viewer *v, int w)
{
    int n = viewer_task_core_rows(v), full = want(v, w);
    n = (n > MAXLANES ? MAXLANES : n < 1 ? 1 : n) + 3;
    return n < full ? n : full;
}

/* the time window [*t0, *t0 + *span) shown in cols columns */
static void window(const struct viewer *v, int cols, int64_t *t0, int64_t *span)
{
    int64_t total = v->t_end > 0 ? v->t_end : 1;
    int64_t s = total >> (v->zoom < 62 ? v->zoom : 62);
    if (s < cols)
        s = cols; /* at least 1 ns per column */
    int64_t start = v->cur.w.t - s / 2;
    if (start > total - s)
        start = total - s;
    if (start < 0)
        start = 0;
    *t0 = start;
    *span = s;
}

static int64_t col_time(int64_t t0, int64_t span, int cols, int c)
{
    return t0 + (int64_t)((double)span * c / cols);
}

static int glyph_of(int st)
{
    switch (st) {
    case TS_RUNNING: return G_FULL;
    case TS_READY: return G_SHADE_M;
    case TS_SUSPENDED: return G_SUSP;
    case TS_BLOCKED: return G_SHADE_L;
    default: return -1;
    }
}

static void draw_lane(const struct viewer *v, struct cbuf *cb, int task,
                      int x0, int y, int cols, int64_t t0, int64_t span)
{
    struct lane lane = viewer_lane(v, task), *l = &lane;
    long limit = viewer_pos(v);
    int64_t now = v->cur.w.t;
    /* first segment at or after t0 (and the state holding at t0) */
    long lo = 0, hi = l->n;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (lane_t(v->tl, l->s[mid]) <= t0 && l->s[mid] < limit)
            lo = mid + 1;
        else
            hi = mid;
    }
    int st = lo > 0 ? lane_st(v->tl, l->s[lo - 1]) : TS_NONE;
    long k = lo;
    for (int c = 0; c < cols; c++) {
        int64_t cs = col_time(t0, span, cols, c);
        int64_t ce = col_time(t0, span, cols, c + 1);
        if (cs > now) {
            cb_put(cb, x0 + c, y, cb_glyph(cb, G_DOT), R_EMPTY);
            continue;
        }
        if (ce > now)
            ce = now + 1;
        int64_t dur[TS__COUNT] = { 0 };
        int ran = st == TS_RUNNING;
        int64_t at = cs;
        while (k < l->n && l->s[k] < limit && lane_t(v->tl, l->s[k]) < ce) {
            if (lane_t(v->tl, l->s[k]) > at) {
                dur[st] += lane_t(v->tl, l->s[k]) - at;
                at = lane_t(v->tl, l->s[k]);
            }
            st = lane_st(v->tl, l->s[k]);
            if (st == TS_RUNNING) {
                /* a zero-length run is no run */
                int64_t end = k + 1 < l->n && l->s[k + 1] < limit
                                  ? lane_t(v->tl, l->s[k + 1]) : now;
                if (end > lane_t(v->tl, l->s[k]) || end == now)
                    ran = 1;
            }
            k++;
        }
        dur[st] += ce - at;
        int show = st;
        if (ran)
            show = TS_RUNNING;
        else {
            int64_t best = -1;
            for (int s = 0; s < TS__COUNT; s++)
                if (dur[s] > best) {
                    best = dur[s];
                    show = s;
                }
        }
        int g = glyph_of(show);
        if (g >= 0)
            cb_put(cb, x0 + c, y, cb_glyph(cb, g), ui_state_role(show));
    }
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    char title[128];
    snprintf(title, sizeof title, "Timeline%s", v->zoom ? " (zoomed: Z out)" : "");
    struct rect in = view_frame(v, cb, r, title, focus);
    if (in.h < 2 || in.w < 12)
        return;
    /* the legend in the frame, at the right, if it clears the title */
    int room = r.w - (3 + ui_strwidth(title) + 2) - 4;
    int lw = view_legend(v, cb, 0, 0, room, 0);
    if (lw > 0) {
        int lx = r.x + r.w - lw - 4;
        cb_put(cb, lx - 1, r.y, ' ', R_FRAME);
        view_legend(v, cb, lx, r.y, lw, 1);
        cb_put(cb, lx + lw, r.y, ' ', R_FRAME);
    }
    int namew = 4;
    for (int i = 0; i < tl->ntasks && i < 2000; i++) {
        int nw = ui_strwidth(tl->tasks[i].name);
        if (nw > namew)
            namew = nw;
    }
    if (namew > in.w / 4)
        namew = in.w / 4;
    int x0 = in.x + namew + 1, cols = in.w - namew - 1;
    int rows = in.h - 1;
    int64_t t0, span;
    window(v, cols, &t0, &span);
    int cc = (int)((double)(v->cur.w.t - t0) * cols / span);
    if (cc >= cols)
        cc = cols - 1;
    int out[ROWS_MAX];
    int n = viewer_task_rows(v, rows < ROWS_MAX ? rows : ROWS_MAX, out);
    for (int row = 0; row < n; row++) {
        int y = in.y + row;
        if (out[row] < 0) {
            /* the peers run on other hosts: a heading, not a lane */
            char b[160];
            if (out[row] == UI_ROW_PEER_COUNTS)
                viewer_peer_summary(v, b, sizeof b);
            else
                snprintf(b, sizeof b, "outside the machine");
            if (out[row] == UI_ROW_PEERS) {
                cb_rep(cb, in.x, y, in.w, G_HLINE, R_DIM);
                cb_text(cb, in.x + 1, y, in.w - 2, b, R_HINT);
            } else {
                cb_text(cb, x0, y, cols, b, R_HINT);
            }
            continue;
        }
        int t = v->order[out[row]];
        cb_name(cb, in.x, y, namew, tl->tasks[t].name,
                t == v->sel_task ? R_SELECTED : R_DEFAULT);
        draw_lane(v, cb, t, x0, y, cols, t0, span);
        const struct cell *c = cb_at(cb, x0 + cc, y);
        if (c && c->ch == ' ')
            cb_put(cb, x0 + cc, y, cb_glyph(cb, G_VLINE), R_CURSOR);
        else
            cb_recolour(cb, x0 + cc, y, 1, R_CURSOR);
    }
    /* axis: start, cursor, end */
    int y = in.y + in.h - 1;
    char a[40], b[40], c[48];
    tl_time_text(a, sizeof a, t0);
    tl_time_text(b, sizeof b, t0 + span);
    cb_rep(cb, x0, y, cols, G_HLINE, R_FRAME);
    /* the steps of the lesson (where Space stops) and the bookmarks, on
       the axis: a binary search for the first in the window, then one
       mark a column */
    long klo = 0, khi = v->ncaps;
    while (klo < khi) {
        long mid = klo + (khi - klo) / 2;
        if (v->stops[mid] > 0 && tl->ev[v->stops[mid] - 1].t < t0)
            klo = mid + 1;
        else
            khi = mid;
    }
    int lastc = -1;
    for (long k = klo; k < v->ncaps; k++) {
        int64_t st = v->stops[k] > 0 ? tl->ev[v->stops[k] - 1].t : 0;
        if (st >= t0 + span)
            break;
        int col = (int)((double)(st - t0) * cols / span);
        if (col == lastc || col < 0 || col >= cols)
            continue;
        lastc = col;
        cb_put(cb, x0 + col, y, cb_glyph(cb, G_TICK), R_LOG_CAPTION);
    }
    for (int i = 0; i < v->nmarks; i++) {
        long m = v->marks[i];
        int64_t mt = m > 0 && (size_t)m <= tl->nev ? tl->ev[m - 1].t : 0;
        if (mt < t0 || mt >= t0 + span)
            continue;
        int col = (int)((double)(mt - t0) * cols / span);
        if (col >= 0 && col < cols)
            cb_put(cb, x0 + col, y, cb_glyph(cb, G_MARK), R_BOOKMARK);
    }
    cb_text(cb, in.x, y, namew, "time", R_DIM);
    tl_time_text(c, sizeof c, v->cur.w.t);
    int aw = ui_strwidth(a), bw = ui_strwidth(b), cw = ui_strwidth(c);
    /* the cursor's time goes right of its marker, or left if no room */
    int cx = x0 + cc + 2;
    if (cx + cw > x0 + cols)
        cx = x0 + cc - 1 - cw;
    if (cx < x0)
        cx = x0;
    int lo = cx < x0 + cc ? cx : x0 + cc;
    int hi = cx + cw > x0 + cc + 1 ? cx + cw : x0 + cc + 1;
    if (x0 + aw < lo - 1)
        cb_text(cb, x0, y, aw, a, R_DIM);
    if (x0 + cols - bw > hi + 1)
        cb_text(cb, x0 + cols - bw, y, bw, b, R_DIM);
    cb_text(cb, cx, y, cw, c, R_CURSOR);
    cb_put(cb, x0 + cc, y, cb_glyph(cb, G_TRI_UP), R_CURSOR);
}

static int click(struct viewer *v, struct rect r, int x, int y)
{
    struct rect in = { r.x + 1, r.y + 1, r.w - 2, r.h - 2 };
    const struct tl *tl = v->tl;
    int namew = 4;
    for (int i = 0; i < tl->ntasks && i < 2000; i++) {
        int nw = ui_strwidth(tl->tasks[i].name);
        if (nw > namew)
            namew = nw;
    }
    if (namew > in.w / 4)
        namew = in.w / 4;
    int x0 = in.x + namew + 1, cols = in.w - namew - 1, rows = in.h - 1;
    if (cols < 1 || y < in.y || y >= in.y + in.h)
        return 0;
    int ret = 0;
    int row = y - in.y;
    int out[ROWS_MAX];
    int n = viewer_task_rows(v, rows < ROWS_MAX ? rows : ROWS_MAX, out);
    if (row < n && out[row] >= 0) {
        v->sel_task = v->order[out[row]];
        v->sel_fd = -1;
        ret = UI_HANDLED | UI_REDRAW;
    }
    if (x >= x0 && x < x0 + cols) {
        int64_t t0, span;
        window(v, cols, &t0, &span);
        int64_t t = col_time(t0, span, cols, x - x0 + 1) - 1;
        viewer_seek(v, viewer_pos_at_time(v, t));
        ret = UI_HANDLED | UI_REDRAW;
    }
    return ret;
}

const struct view_ops view_gantt = { "gantt", 4, want, draw, click, core };
