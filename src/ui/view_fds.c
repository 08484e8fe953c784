/*
 * view_fds.c - the fd table of the selected task's process: each open fd,
 * the kernel object it points to, its flags, and the object's buffers.
 */
#include <stdio.h>

#include "ui/view.h"

static int proc_of(const struct viewer *v)
{
    return v->sel_task >= 0 ? v->tl->tasks[v->sel_task].proc : -1;
}

static int want(const struct viewer *v, int w)
{
    (void)w;
    int p = proc_of(v);
    const struct world *wd = &v->cur.w;
    int n = p >= 0 && p < wd->ntasks ? wd->procs[p].open : 0;
    if (n > 3)
        n -= 2; /* fds 0-2 on one row */
    if (n > 10)
        n = 10;
    return (n < 1 ? 1 : n) + 3;
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    int p = proc_of(v);
    char title[96];
    snprintf(title, sizeof title, "fd table of %s",
             p >= 0 && p < tl->ntasks ? tl->tasks[p].name : "?");
    struct rect in = view_frame(v, cb, r, title, focus);
    if (in.h <= 0)
        return;
    if (p < 0 || p >= w->ntasks || w->procs[p].open == 0) {
        cb_text(cb, in.x + 1, in.y, in.w - 2, "(no open fd)", R_HINT);
        return;
    }
    const struct w_proc *pr = &w->procs[p];
    /* columns: fd (4), what it points to, flags if any, receive buffer */
    int bufw = in.w >= 56 ? 24 : 13;
    int kindw = in.w - 6 - bufw;
    /* rows: runs of consecutive fds on the same object ("0-2 tty #0"),
       except the selected fd, which always has its own row */
    int first[256], last[256], nrows = 0;
    for (int fd = 0; fd < pr->nfds && nrows < 256; fd++) {
        int ob = pr->fds[fd].obj;
        if (ob < 0)
            continue;
        if (nrows > 0 && last[nrows - 1] == fd - 1 &&
            pr->fds[fd - 1].obj == ob && fd != v->sel_fd &&
            first[nrows - 1] != v->sel_fd)
            last[nrows - 1] = fd;
        else {
            first[nrows] = last[nrows] = fd;
            nrows++;
        }
    }
    int head = in.h > nrows;
    if (head) {
        cb_text(cb, in.x, in.y, 4, "  fd", R_DIM);
        cb_text(cb, in.x + 5, in.y, kindw, "points to", R_DIM);
        cb_text_right(cb, in.x + in.w - bufw, in.y, bufw, "rx buffer", R_DIM);
    }
    int rows = in.h - head, skip = 0;
    for (int i = 0; i < nrows; i++)
        if (first[i] == v->sel_fd && i >= rows)
            skip = i - rows + 1;
    for (int i = skip; i < nrows && i - skip < rows; i++) {
        int fd = first[i], ob = pr->fds[fd].obj;
        int y = in.y + head + i - skip;
        char lab[64], b1[24], b2[24], num[24], flb[32];
        int sel = fd == v->sel_fd;
        if (last[i] > fd)
            snprintf(num, sizeof num, "%d-%d", fd, last[i]);
        else
            snprintf(num, sizeof num, "%d", fd);
        cb_text_right(cb, in.x, y, 4, num, sel ? R_SELECTED : R_DEFAULT);
        /* the object as it is now: a socket may have become a listener */
        const struct w_obj *wo = ob < w->nobjs ? &w->objs[ob] : NULL;
        int kind = wo ? wo->kind : ob < tl->nobjs ? tl->objs[ob].kind : -1;
        int port = wo && wo->port ? wo->port : ob < tl->nobjs ? tl->objs[ob].port : 0;
        tl_obj_now_text(lab, sizeof lab, ob, kind, port);
        int fl = wo ? wo->flags : 0;
        int hasbuf = wo && kind != OK_LISTEN && ob < tl->nobjs &&
                     tl->objs[ob].rxcap > 0;
        int kw = hasbuf ? kindw : in.w - 6; /* no buffer: the row is its own */
        int lw = cb_text(cb, in.x + 5, y, kw, lab, R_DEFAULT);
        if (fl && lw + 2 < kw)
            cb_text(cb, in.x + 6 + lw, y, kw - lw - 1,
                    tl_fl_text(flb, sizeof flb, fl), R_KEY);
        if (hasbuf) {
            int x = in.x + in.w - bufw, bw = bufw;
            char txt[64];
            snprintf(txt, sizeof txt, "%s/%s%s", view_bytes(wo->rx, b1, sizeof b1),
                     view_bytes(tl->objs[ob].rxcap, b2, sizeof b2),
                     wo->eof ? " EOF" : "");
            int tw = ui_strwidth(txt);
            if (bw - tw - 1 >= 4) {
                view_bar(cb, x, y, bw - tw - 1, wo->rx, tl->objs[ob].rxcap, R_BYTES);
                cb_text(cb, x + bw - tw, y, tw, txt, wo->rx ? R_BYTES : R_DIM);
            } else {
                cb_text_right(cb, x, y, bw, txt, wo->rx ? R_BYTES : R_DIM);
            }
        }
        if (sel)
            cb_recolour(cb, in.x, y, 4, focus ? R_CURSOR : R_SELECTED);
    }
}

const struct view_ops view_fds = { "fds", 4, want, draw, NULL };
