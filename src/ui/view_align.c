/*
 * view_align.c - side by side (pair.h): every call of the simulation on
 * the left, its counterpart in the real run on the right, in the
 * simulation's order, and the cursor's row.  The mark column says how the
 * two differ, as `iosim --compare-sim --dump` does: '!' a call one run
 * made and the other did not, '?' the same call with another result, '>'
 * made at another place in the task, '~' an allowed difference
 * (docs/real.md).  The divider lines up with the panels' columns above.
 */
#include <stdio.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/pair.h"
#include "ui/view.h"

static int want(const struct viewer *v, int w)
{
    (void)w;
    long n = v->pair ? v->pair->n : 0;
    return (int)(n < 30 ? n : 30) + 2;
}

static const char marks[] = " !~?>";

static int mark_role(int mark)
{
    switch (mark) {
    case REAL_CMP_DIFF:
    case REAL_CMP_RESULT:
        return R_WARN;
    case REAL_CMP_MOVED:
        return R_HINT;
    case REAL_CMP_ALLOWED:
        return R_DIM;
    default:
        return R_DEFAULT;
    }
}

/* The first row shown in a panel of h rows: the cursor a third down */
static long top_of(const struct ui_pair *p, int h)
{
    long top = p->row - h / 3;
    if (top > p->n - h)
        top = p->n - h;
    return top < 0 ? 0 : top;
}

/* One side's call (or what stands for a missing one) in w columns at x */
static void side(struct cbuf *cb, const struct tl *tl, long ev, int mark,
                 int x, int y, int w, int timew, int role)
{
    if (w <= 0)
        return;
    if (ev < 0) {
        const char *none = mark == REAL_CMP_MOVED ? "(made elsewhere)"
                           : mark == REAL_CMP_ALLOWED ? "(none)"
                                                      : "(no such call)";
        cb_text(cb, x + timew, y, w - timew, none,
                role == R_SELECTED ? R_SELECTED : mark_role(mark));
        return;
    }
    char t[24], call[128];
    if (timew > 0) {
        tl_time_text(t, sizeof t, tl->ev[ev].t);
        cb_text_right(cb, x, y, timew - 1, t, role == R_SELECTED ? role : R_LOG_NOTE);
    }
    real_compare_call_text(tl, ev, call, sizeof call);
    cb_text(cb, x + timew, y, w - timew, call, role);
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct ui_pair *p = v->pair;
    char title[160];
    if (!p)
        return;
    if (p->ndiv)
        snprintf(title, sizeof title, "Calls, aligned: %ld divergence%s "
                 "(d next, D previous)", p->ndiv, p->ndiv > 1 ? "s" : "");
    else
        snprintf(title, sizeof title, "Calls, aligned: the runs agree");
    struct rect in = cb_box(cb, r, title, focus);
    if (in.h <= 0 || in.w < 20)
        return;
    const struct tl *sim = p->cmp.sim, *real = p->cmp.real;
    int mid = r.x + r.w / 2; /* the columns' divider above */
    int namew = 4;
    for (int i = 0; i < sim->ntasks && i < 2000; i++) {
        int nw = ui_strwidth(sim->tasks[i].name);
        if (nw > namew)
            namew = nw;
    }
    int wide = r.w >= 110;
    if (namew > (wide ? 12 : 8))
        namew = wide ? 12 : 8;
    int timew = wide ? 11 : 0;
    if (p->n == 0)
        cb_text(cb, in.x + 1, in.y, in.w - 2, "(no system calls to compare)",
                R_HINT);
    long top = top_of(p, in.h);
    for (int i = 0; i < in.h && top + i < p->n; i++) {
        long d = top + i;
        const struct real_cmp_row *row = ui_pair_at(p, d);
        int y = in.y + i, cur = d == p->row;
        int role = cur ? R_SELECTED : R_DEFAULT;
        if (cur) {
            cb_fill(cb, (struct rect){ in.x, y, in.w, 1 }, ' ', R_SELECTED);
            cb_put(cb, in.x, y, cb_glyph(cb, G_PLAY), R_CURSOR);
        }
        cb_put(cb, in.x + 1, y, (uint32_t)marks[row->mark], mark_role(row->mark));
        const char *name = row->sim_task >= 0 ? sim->tasks[row->sim_task].name
                                              : real->tasks[row->real_task].name;
        int x = in.x + 3;
        cb_text(cb, x, y, namew, name, role);
        x += namew + 1;
        side(cb, sim, row->sim_ev, row->mark, x, y, mid - x - 1, timew, role);
        cb_put(cb, mid, y, cb_glyph(cb, G_VLINE), cur ? R_SELECTED : R_FRAME);
        side(cb, real, row->real_ev, row->mark, mid + 2, y,
             in.x + in.w - mid - 2, timew, role);
    }
}

/* A click on a row puts the cursor there */
static int click(struct viewer *v, struct rect r, int x, int y)
{
    (void)x;
    struct ui_pair *p = v->pair;
    if (!p || y < r.y + 1 || y >= r.y + r.h - 1)
        return 0;
    long d = top_of(p, r.h - 2) + (y - r.y - 1);
    if (d >= p->n)
        return 0;
    ui_pair_goto_row(p, d);
    return UI_HANDLED | UI_REDRAW;
}

const struct view_ops view_align = { "align", 4, want, draw, click, NULL };
