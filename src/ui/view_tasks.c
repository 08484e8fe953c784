/*
 * view_tasks.c - every task with what it is doing, grouped under its
 * process (threads and children indented), coloured by state, and which
 * task each CPU runs.  In a narrow panel each task takes two lines, so
 * "blocked in read(): waiting for data" is never cut.
 */
#include <stdio.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/view.h"

#define MAXTASKS 12
#define NARROW 60 /* panels narrower than this use two lines per task */

static int lines_per_task(int w)
{
    return w < NARROW ? 2 : 1;
}

/* one row for the CPUs unless one or two fit in the title */
static int cpu_row(const struct viewer *v)
{
    return v->cur.w.ncpus > 2;
}

static int want(const struct viewer *v, int w)
{
    int n = v->tl->ntasks < MAXTASKS ? v->tl->ntasks : MAXTASKS;
    return (n < 1 ? 1 : n) * lines_per_task(w) + 2 + cpu_row(v);
}

/* first task shown so that the selected task is visible */
static int top_task(const struct viewer *v, int shown)
{
    int s = viewer_order_index(v, v->sel_task);
    int top = s - shown / 2;
    if (top > v->tl->ntasks - shown)
        top = v->tl->ntasks - shown;
    return top < 0 ? 0 : top;
}

static const char *task_label(const struct tl *tl, int t, char *b, int len)
{
    const struct tl_task *k = &tl->tasks[t];
    if (k->kind == TK_THREAD || k->kind == TK_COROUTINE)
        snprintf(b, (size_t)len, "%s (%s)", k->name, tl_task_kind_name(k->kind));
    else
        snprintf(b, (size_t)len, "%s", k->name);
    return b;
}

static int state_glyph(int st)
{
    switch (st) {
    case TS_RUNNING: return G_FULL;
    case TS_READY: return G_SHADE_M;
    case TS_BLOCKED: return G_SHADE_L;
    default: return -1;
    }
}

static void cpus_text(const struct viewer *v, char *b, int len)
{
    const struct world *w = &v->cur.w;
    int n = 0;
    b[0] = 0;
    for (int c = 0; c < w->ncpus && n < len; c++) {
        int t = w->cpus[c];
        n += snprintf(b + n, (size_t)(len - n), "%sCPU %d: %s", c ? ", " : "", c,
                      t >= 0 && t < v->tl->ntasks ? v->tl->tasks[t].name : "idle");
    }
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
    int lpt = lines_per_task(r.w);
    int rows = in.h - cpu_row(v);
    if (rows < lpt)
        rows = in.h;
    int shown = rows / lpt;
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
    int top = top_task(v, shown);
    for (int k = 0; k < shown && top + k < tl->ntasks; k++) {
        int i = top + k, t = v->order[i], y = in.y + k * lpt;
        char lab[128], doing[160];
        int role = ui_task_doing(v, t, doing, sizeof doing);
        int sel = t == v->sel_task;
        int st = t < w->ntasks ? w->tasks[t].state : TS_NONE;
        int g = state_glyph(st);
        cb_put(cb, in.x, y, sel ? cb_glyph(cb, G_TRI_R) : ' ',
               sel ? R_SELECTED : R_DEFAULT);
        cb_text(cb, in.x + 1 + 2 * v->depth[i], y, namew - 2 * v->depth[i],
                task_label(tl, t, lab, sizeof lab),
                st == TS_NONE || st == TS_EXITED ? R_DIM : R_DEFAULT);
        if (sel)
            cb_recolour(cb, in.x, y, namew + 1, focus ? R_CURSOR : R_SELECTED);
        int x = in.x + namew + 2;
        if (g >= 0)
            cb_put(cb, x, y, cb_glyph(cb, g), role);
        x += 2;
        int tw = in.x + in.w - x;
        if (lpt == 1) {
            cb_text(cb, x, y, tw, doing, role);
            continue;
        }
        struct ui_span l[2];
        int n = ui_wrap(doing, tw, l, 2);
        for (int j = 0; j < n && j < 2; j++) {
            char part[160];
            int len = l[j].len;
            if (j == 1 && n > 2)
                len = (int)strlen(doing) - l[j].off;
            memcpy(part, doing + l[j].off, (size_t)len);
            part[len] = 0;
            cb_text(cb, x, y + j, tw, part, role);
        }
    }
    if (top > 0)
        cb_put(cb, in.x + in.w - 1, in.y, cb_glyph(cb, G_ARROW_U), R_DIM);
    if (top + shown < tl->ntasks)
        cb_put(cb, in.x + in.w - 1, in.y + rows - 1, cb_glyph(cb, G_ARROW_D), R_DIM);
    if (cpu_row(v) && rows < in.h)
        cb_text(cb, in.x + 1, in.y + in.h - 1, in.w - 1, cpus, R_RUNNING);
}

static int click(struct viewer *v, struct rect r, int x, int y)
{
    (void)x;
    int lpt = lines_per_task(r.w);
    int rows = r.h - 2 - cpu_row(v);
    int shown = rows / lpt;
    if (shown < 1)
        return 0;
    int k = (y - (r.y + 1)) / lpt;
    int top = top_task(v, shown);
    if (y < r.y + 1 || k >= shown || top + k >= v->tl->ntasks)
        return 0;
    v->sel_task = v->order[top + k];
    v->sel_fd = -1;
    v->focus = V_TASKS;
    return UI_HANDLED | UI_REDRAW;
}

const struct view_ops view_tasks = { "tasks", 4, want, draw, click };
