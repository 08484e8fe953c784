/*
 * view_tasks.c - every task with what it is doing, grouped under its
 * process (threads and children indented), coloured by state, and which
 * task each CPU runs.  The peers (clients on other hosts, outside the
 * machine) come last under their own heading; when they do not all fit
 * (10,000 in c10k.scn) a second heading counts them by state and a window
 * around the selected task shows some (viewer_task_rows); a crowd of them
 * (`peer NAME count N`) asks the layout for its count only at first
 * (core).  A narrow panel
 * uses short wording ("read(): waits for data"), or two lines per task
 * when every task has room for them.
 */
#include <stdio.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/view.h"

#define MAXROWS 14 /* rows it asks for: more tasks scroll */
#define NARROW 60  /* narrower panels use short wording, or two lines */
#define ROWS_MAX 512

/* rows a full list needs: tasks, and the heading of the peers */
static int list_rows(const struct viewer *v)
{
    return v->tl->ntasks + (v->npeers > 0);
}

/* one row for the CPUs unless one or two fit in the title */
static int cpu_row(const struct viewer *v)
{
    return v->cur.w.ncpus > 2;
}

static int want(const struct viewer *v, int w)
{
    (void)w;
    int n = list_rows(v) < MAXROWS ? list_rows(v) : MAXROWS;
    return (n < 1 ? 1 : n) + 2 + cpu_row(v);
}

/* the machine's tasks and the peers' heading and count: single peers are
   the rows that give way first (layout.c) */
static int core(const struct viewer *v, int w)
{
    int n = viewer_task_core_rows(v), full = want(v, w);
    n = (n < MAXROWS ? n : MAXROWS) + 2 + cpu_row(v);
    return n < full ? n : full;
}

/* rows of the list and lines per row in a panel with h rows inside */
static int list_layout(const struct viewer *v, int w, int h, int *rows)
{
    if (h > ROWS_MAX)
        h = ROWS_MAX;
    /* two lines per task only if every task gets them */
    int lpt = w < NARROW && 2 * list_rows(v) <= h ? 2 : 1;
    *rows = h / lpt;
    return lpt;
}

static const char *task_label(const struct tl *tl, int t, char *b, int len)
{
    const struct tl_task *k = &tl->tasks[t];
    if (k->kind == TK_THREAD || k->kind == TK_COROUTINE)
        snprintf(b, (size_t)len, "%s (%s)", k->name, tl_task_kind_name(k->kind));
    else if (tl_module_name(k->module)) /* its main module's __name__ */
        snprintf(b, (size_t)len, "%s (%s)", k->name, tl_module_name(k->module));
    else
        snprintf(b, (size_t)len, "%s", k->name);
    return b;
}

static int state_glyph(int st)
{
    switch (st) {
    case TS_RUNNING: return G_FULL;
    case TS_READY: return G_SHADE_M;
    case TS_SUSPENDED: return G_SUSP;
    case TS_BLOCKED: return G_SHADE_L;
    default: return -1;
    }
}

static void cpus_text(const struct viewer *v, char *b, int len)
{
    const struct world *w = &v->cur.w;
    int n = 0;
    b[0] = 0;
    if (v->tl->ncpus <= 0) { /* a recorded trace does not say */
        snprintf(b, (size_t)len, "CPUs not recorded");
        return;
    }
    for (int c = 0; c < w->ncpus && n < len; c++) {
        int t = w->cpus[c];
        n += snprintf(b + n, (size_t)(len - n), "%sCPU %d: %s", c ? ", " : "", c,
                      t >= 0 && t < v->tl->ntasks ? v->tl->tasks[t].name : "idle");
    }
}

/* "── 3 peers (outside the machine) ──", and under it when the list is cut
   the count by state: "10 running, 9990 blocked" */
static void draw_peers_heading(const struct viewer *v, struct cbuf *cb,
                               int x, int y, int w, int counts)
{
    char b[160];
    if (counts) {
        viewer_peer_summary(v, b, sizeof b);
        cb_text(cb, x + 2, y, w - 2, b, R_HINT);
        return;
    }
    snprintf(b, sizeof b, v->npeers == 1 ? "%d peer (outside the machine)"
                                         : "%d peers (outside the machine)",
             v->npeers);
    cb_rep(cb, x, y, 1, G_HLINE, R_DIM);
    int n = cb_text(cb, x + 2, y, w - 2, b, R_HINT);
    cb_rep(cb, x + 3 + n, y, w - 3 - n, G_HLINE, R_DIM);
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    char title[160], cpus[128];
    cpus_text(v, cpus, sizeof cpus);
    if (cpu_row(v))
        snprintf(title, sizeof title, "Tasks (%d)", tl->ntasks);
    else
        snprintf(title, sizeof title, "Tasks (%d) %s", tl->ntasks, cpus);
    struct rect in = view_frame(v, cb, r, title, focus);
    if (in.h <= 0)
        return;
    int h = in.h - cpu_row(v);
    if (h < 1)
        h = in.h;
    int rows, lpt = list_layout(v, r.w, h, &rows);
    int narrow = r.w < NARROW && lpt == 1;
    int out[ROWS_MAX];
    int n = viewer_task_rows(v, rows, out);
    int namew = 6;
    for (int i = 0; i < tl->ntasks && i < 2000; i++) {
        char b[128];
        int lw = ui_strwidth(task_label(tl, v->order[i], b, sizeof b)) +
                 2 * v->depth[i];
        if (lw > namew)
            namew = lw;
    }
    if (namew > in.w / 3)
        namew = in.w / 3;
    for (int k = 0; k < n; k++) {
        int i = out[k], y = in.y + k * lpt;
        if (i < 0) {
            draw_peers_heading(v, cb, in.x, y, in.w, i == UI_ROW_PEER_COUNTS);
            continue;
        }
        int t = v->order[i];
        char lab[128], doing[160];
        int role = ui_task_doing(v, t, narrow, doing, sizeof doing);
        int sel = t == v->sel_task;
        int st = t < w->ntasks ? w->tasks[t].state : TS_NONE;
        int g = state_glyph(st);
        cb_put(cb, in.x, y, sel ? cb_glyph(cb, G_TRI_R) : ' ',
               sel ? R_SELECTED : R_DEFAULT);
        /* a label that does not fit first drops, under its parent in the
           tree, its parent's or process's "NAME/" (racy/adder2 reads
           adder2), then its "(thread)", then (cb_name) a trailing " (...)"
           and the middle of the name, so app/worker1 and app/worker2 stay
           apart */
        int room = namew - 2 * v->depth[i];
        const char *label = task_label(tl, t, lab, sizeof lab);
        if (ui_strwidth(label) > room) {
            const char *base = tl->tasks[t].name;
            int ups[2] = { tl->tasks[t].parent, tl->tasks[t].proc };
            for (int u = 0; u < 2 && v->depth[i] > 0 && base == tl->tasks[t].name; u++) {
                int up = ups[u];
                if (up < 0 || up >= tl->ntasks || up == t)
                    continue;
                size_t pl = strlen(tl->tasks[up].name);
                if (!strncmp(base, tl->tasks[up].name, pl) && base[pl] == '/' &&
                    base[pl + 1])
                    base += pl + 1;
            }
            const struct tl_task *k = &tl->tasks[t];
            if (k->kind == TK_THREAD || k->kind == TK_COROUTINE)
                snprintf(lab, sizeof lab, "%s (%s)", base, tl_task_kind_name(k->kind));
            else if (tl_module_name(k->module))
                snprintf(lab, sizeof lab, "%s (%s)", base, tl_module_name(k->module));
            else
                snprintf(lab, sizeof lab, "%s", base);
            label = ui_strwidth(lab) <= room ? lab : base;
        }
        cb_name(cb, in.x + 1 + 2 * v->depth[i], y, room, label,
                st == TS_NONE || st == TS_EXITED ? R_DIM : R_DEFAULT);
        if (sel)
            cb_recolour(cb, in.x, y, namew + 1, focus ? R_CURSOR : R_SELECTED);
        int x = in.x + namew + 2;
        if (g >= 0)
            cb_put(cb, x, y, cb_glyph(cb, g), role);
        x += 2;
        int tw = in.x + in.w - x;
        /* a state that changed in the last move (this event, or the
           step) is highlighted: visible in mono too (reverse) */
        if (viewer_task_changed(v, t))
            role = R_CHANGED;
        if (lpt == 1) {
            cb_text(cb, x, y, tw, doing, role);
            continue;
        }
        struct ui_span l[2];
        int nl = ui_wrap(doing, tw, l, 2);
        for (int j = 0; j < nl && j < 2; j++) {
            char part[160];
            int len = l[j].len;
            if (j == 1 && nl > 2)
                len = (int)strlen(doing) - l[j].off;
            memcpy(part, doing + l[j].off, (size_t)len);
            part[len] = 0;
            cb_text(cb, x, y + j, tw, part, role);
        }
    }
    /* arrows when tasks are off the list */
    int first = n > 0 && out[0] >= 0 ? out[0] : 0;
    int last = -1;
    for (int k = 0; k < n; k++)
        if (out[k] >= 0)
            last = out[k];
    if (first > 0 || (v->npeers && n > 0 && out[0] < 0))
        cb_put(cb, in.x + in.w - 1, in.y, cb_glyph(cb, G_ARROW_U), R_DIM);
    if (n > 0 && last + 1 < tl->ntasks)
        cb_put(cb, in.x + in.w - 1, in.y + n * lpt - 1, cb_glyph(cb, G_ARROW_D), R_DIM);
    if (cpu_row(v) && h < in.h)
        cb_text(cb, in.x + 1, in.y + in.h - 1, in.w - 1, cpus, R_RUNNING);
    /* how many are out of view, on the frame */
    int shown = 0;
    for (int k = 0; k < n; k++)
        shown += out[k] >= 0;
    if (shown < tl->ntasks) {
        char b[64];
        snprintf(b, sizeof b, " +%d more (:task NAME) ", tl->ntasks - shown);
        if (ui_strwidth(b) > r.w - 4)
            snprintf(b, sizeof b, " +%d more ", tl->ntasks - shown);
        cb_text_right(cb, r.x, r.y + r.h - 1, r.w - 2, b, R_HINT);
    }
}

static int click(struct viewer *v, struct rect r, int x, int y)
{
    (void)x;
    int h = r.h - 2 - cpu_row(v);
    if (h < 1)
        return 0;
    int rows, lpt = list_layout(v, r.w, h, &rows);
    int out[ROWS_MAX];
    int n = viewer_task_rows(v, rows, out);
    int k = (y - (r.y + 1)) / lpt;
    if (y < r.y + 1 || k >= n || out[k] < 0)
        return 0;
    v->sel_task = v->order[out[k]];
    v->sel_fd = -1;
    v->focus = V_TASKS;
    return UI_HANDLED | UI_REDRAW;
}

const struct view_ops view_tasks = { "tasks", 4, want, draw, click, core };
