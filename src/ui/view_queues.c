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

static void item_text(const struct tl *tl, int kind, int64_t it, char *b, int len)
{
    char o[64];
    switch (kind) {
    case TQK_RUN:
        snprintf(b, (size_t)len, "%s", it >= 0 && it < tl->ntasks ? tl->tasks[it].name : "?");
        break;
    case TQK_ACCEPT:
        snprintf(b, (size_t)len, "%s", ui_obj_label(tl, (int)it, o, sizeof o));
        break;
    case TQK_INTEREST:
    case TQK_READY:
        snprintf(b, (size_t)len, "fd %lld", (long long)it);
        break;
    case TQK_SIGNALS:
        snprintf(b, (size_t)len, "%s", ui_signame((int)it));
        break;
    default:
        snprintf(b, (size_t)len, "%lld", (long long)it);
        break;
    }
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    struct rect in = view_frame(v, cb, r, "Queues", focus);
    if (in.h <= 0)
        return;
    int namew = 8;
    for (int q = 0; q < tl->nqueues; q++) {
        int nw = ui_strwidth(tl->queues[q].name);
        if (nw > namew)
            namew = nw;
    }
    if (namew > in.w / 3)
        namew = in.w / 3;
    int first = v->sel_queue >= in.h ? v->sel_queue - in.h + 1 : 0;
    for (int row = 0; row < in.h && first + row < tl->nqueues; row++) {
        int q = first + row, y = in.y + row;
        int sel = q == v->sel_queue;
        cb_text(cb, in.x + 1, y, namew, tl->queues[q].name,
                sel && focus ? R_CURSOR : sel ? R_SELECTED : R_DEFAULT);
        int x = in.x + namew + 2, end = in.x + in.w;
        int n = q < w->nqueues ? w->queues[q].n : 0;
        if (n == 0) {
            cb_text(cb, x, y, end - x, "(empty)", R_DIM);
            continue;
        }
        for (int i = 0; i < n; i++) {
            char b[64], more[24];
            item_text(tl, tl->queues[q].kind, w->queues[q].items[i], b, sizeof b);
            snprintf(more, sizeof more, "+%d", n - i);
            int bw = ui_strwidth(b);
            if (x + bw + 1 + (i + 1 < n ? (int)strlen(more) + 1 : 0) > end) {
                cb_text(cb, x, y, end - x, more, R_DIM);
                break;
            }
            cb_put(cb, x, y, '[', R_DIM);
            cb_text(cb, x + 1, y, bw, b, tl->queues[q].kind == TQK_RUN ? R_READY : R_KEY);
            cb_put(cb, x + 1 + bw, y, ']', R_DIM);
            x += bw + 3;
        }
    }
}

const struct view_ops view_queues = { "queues", 3, want, draw, NULL };
