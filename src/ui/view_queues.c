/*
 * view_queues.c - every queue the model has (run queue, accept queues,
 * epoll interest and ready lists, io_uring rings, pending signals) with
 * its items, oldest first.
 */
#include <stdio.h>
#include <string.h>

#include "ui/view.h"

static int want(const struct viewer *v, int w)
{
    (void)w;
    int n = v->tl->nqueues > 8 ? 8 : v->tl->nqueues;
    return (n < 1 ? 1 : n) + 2;
}

/* A queue's name, or in a narrow panel without its owner's prefix:
   "epoll #2 ready list" -> "ready list", "io_uring #4 SQ" -> "SQ" */
static const char *label(const struct tl *tl, int q, int brief)
{
    const char *n = tl->queues[q].name ? tl->queues[q].name : "";
    const char *h = strstr(n, " #");
    if (!brief || !h)
        return n;
    const char *sp = strchr(h + 2, ' ');
    return sp && sp[1] ? sp + 1 : n;
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    struct rect in = view_frame(v, cb, r, "Queues", focus);
    if (in.h <= 0)
        return;
    int namew = 8, brief = 0;
    for (int pass = 0; pass < 2; pass++) {
        namew = 8;
        for (int q = 0; q < tl->nqueues; q++) {
            int nw = ui_strwidth(label(tl, q, brief));
            if (nw > namew)
                namew = nw;
        }
        if (namew <= in.w * 2 / 5)
            break;
        brief = 1;
    }
    if (namew > in.w * 11 / 20)
        namew = in.w * 11 / 20;
    int si = viewer_queue_index(v, v->sel_queue);
    int first = si >= in.h ? si - in.h + 1 : 0;
    for (int row = 0; row < in.h && first + row < tl->nqueues; row++) {
        int q = v->qorder[first + row], y = in.y + row;
        int sel = q == v->sel_queue;
        cb_text(cb, in.x + 1, y, namew, label(tl, q, brief),
                sel && focus ? R_CURSOR : sel ? R_SELECTED : R_DEFAULT);
        int x = in.x + namew + 2, end = in.x + in.w;
        int n = q < w->nqueues ? w->queues[q].n : 0;
        if (n == 0) {
            cb_text(cb, x, y, end - x, "(empty)", R_DIM);
            continue;
        }
        for (int i = 0; i < n; i++) {
            char b[96], more[24];
            tl_qitem_text(b, sizeof b, tl, q, w->queues[q].items[i]);
            snprintf(more, sizeof more, "+%d", n - i);
            int bw = ui_strwidth(b);
            int mw = i + 1 < n ? (int)strlen(more) + 1 : 0;
            if (x + bw + 2 + mw > end && i == 0 && end - x - mw - 2 >= 6)
                bw = end - x - mw - 2; /* the first item, cut, then "+N" */
            if (x + bw + 2 + mw > end) {
                cb_text(cb, x, y, end - x, more, R_DIM);
                break;
            }
            cb_put(cb, x, y, '[', R_DIM);
            cb_text(cb, x + 1, y, bw, b, tl->queues[q].kind == TQK_RUN ? R_READY : R_KEY);
            cb_put(cb, x + 1 + bw, y, ']', R_DIM);
            x += bw + 3;
        }
    }
    if (first + in.h < tl->nqueues)
        cb_put(cb, in.x + in.w - 1, in.y + in.h - 1, cb_glyph(cb, G_ARROW_D), R_DIM);
}

const struct view_ops view_queues = { "queues", 3, want, draw, NULL };
