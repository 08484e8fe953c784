/*
 * view_header.c - the top bar: title, model, virtual time, event index.
 */
#include <stdio.h>

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
    snprintf(right, sizeof right, "%s t = %s  event %ld/%ld ",
             tl->truncated ? " (truncated)" : "",
             tl_time_text(t, sizeof t, v->cur.w.t), viewer_pos(v), (long)tl->nev);
    int rw = ui_strwidth(right);
    int x = r.x;
    x += cb_text(cb, x, r.y, r.w, " iosim ", R_HEADER);
    if (tl->model && tl->model[0]) {
        char m[64];
        snprintf(m, sizeof m, "[%s] ", tl->model);
        x += cb_text(cb, x, r.y, r.x + r.w - x - rw - 1, m, R_HEADER_DIM);
    }
    cb_text(cb, x, r.y, r.x + r.w - x - rw - 1,
            tl->title ? tl->title : (tl->source ? tl->source : ""), R_HEADER);
    int px = r.x + r.w - rw;
    if (v->playing) {
        char sp[32];
        snprintf(sp, sizeof sp, "%d/s ", ui_speed_rate(v->speed));
        int sw = ui_strwidth(sp) + 2;
        if (px - sw > x) {
            cb_put(cb, px - sw, r.y, cb_glyph(cb, G_PLAY), R_HEADER);
            cb_text(cb, px - sw + 2, r.y, sw, sp, R_HEADER);
        }
    }
    cb_text(cb, px, r.y, rw, right, R_HEADER);
}

const struct view_ops view_header = { "header", 1, want, draw, NULL };
