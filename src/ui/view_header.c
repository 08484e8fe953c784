/*
 * view_header.c - the top bar: title, model, virtual time, event index.
 */
#include <stdio.h>

#include "ui/pair.h"
#include "ui/view.h"

static int want(const struct viewer *v, int w)
{
    (void)v, (void)w;
    return 1;
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    (void)focus;
    const struct tl *tl = v->tl;
    char t[40], right[160];
    cb_fill(cb, (struct rect){ r.x, r.y, r.w, 1 }, ' ', R_HEADER);
    if (v->pair) { /* side by side: both clocks, and the cursor's call */
        char rt[40];
        const struct ui_pair *p = v->pair;
        snprintf(right, sizeof right, " sim %s  real %s  call %ld/%ld ",
                 tl_time_text(t, sizeof t, v->cur.w.t),
                 tl_time_text(rt, sizeof rt, p->real.cur.w.t), p->row + 1, p->n);
    } else {
        snprintf(right, sizeof right, "%s t = %s  event %ld/%ld ",
                 tl->truncated ? " (stopped early: i says why)" : "",
                 tl_time_text(t, sizeof t, v->cur.w.t), viewer_pos(v),
                 (long)tl->nev);
    }
    /* the play indicator ("▶ 2/s") and the time keep their room: the
       title is cut (with an ellipsis) before them */
    char sp[32] = "";
    if (v->playing)
        snprintf(sp, sizeof sp, "%d/s ", ui_speed_rate(v->speed));
    int rw = ui_strwidth(right), sw = sp[0] ? ui_strwidth(sp) + 2 : 0;
    int px = r.x + r.w - rw, end = px - sw - 1;
    int x = r.x;
    x += cb_text(cb, x, r.y, end - x, " iosim ", R_HEADER);
    if (tl->model && tl->model[0]) {
        char m[64];
        snprintf(m, sizeof m, "[%s] ", tl->model);
        x += cb_text(cb, x, r.y, end - x, m, R_HEADER_DIM);
    }
    x += cb_text(cb, x, r.y, end - x,
                 tl->title ? tl->title : (tl->source ? tl->source : ""), R_HEADER);
    if (sw && px - sw > x) {
        cb_put(cb, px - sw, r.y, cb_glyph(cb, G_PLAY), R_HEADER);
        cb_text(cb, px - sw + 2, r.y, sw - 2, sp, R_HEADER);
    }
    cb_text(cb, px, r.y, rw, right, R_HEADER);
}

const struct view_ops view_header = { "header", 1, want, draw, NULL, NULL };
