/*
 * view_buffers.c - kernel buffers against their capacity (each receive
 * and send buffer of the selected process's fds) and the user buffer of
 * the selected task's last read; when the current event is a copy, the
 * bytes are drawn moving between the two.
 */
#include <stdio.h>

#include "ui/view.h"

#define SCAN_MAX 100000L

static int proc_of(const struct viewer *v)
{
    return v->sel_task >= 0 ? v->tl->tasks[v->sel_task].proc : -1;
}

static int nbufs(const struct viewer *v)
{
    const struct world *w = &v->cur.w;
    int p = proc_of(v), n = 0;
    if (p < 0 || p >= w->ntasks)
        return 0;
    for (int fd = 0; fd < w->procs[p].nfds; fd++) {
        int ob = w->procs[p].fds[fd].obj;
        if (ob >= 0 && ob < v->tl->nobjs && ob < w->nobjs &&
            w->objs[ob].kind != OK_LISTEN)
            n += (v->tl->objs[ob].rxcap > 0) + (v->tl->objs[ob].txcap > 0);
    }
    return n;
}

static int want(const struct viewer *v, int w)
{
    (void)w;
    int n = nbufs(v);
    if (n > 8)
        n = 8;
    return n + 2 + 2 + 1; /* frame, copy row, user buffer, heading */
}

/* size argument of the selected task's last read, 0 if none nearby */
static int64_t last_read_size(const struct viewer *v, int t)
{
    long pos = viewer_pos(v);
    for (long i = pos - 1; i >= 0 && i > pos - SCAN_MAX; i--) {
        const struct tl_ev *e = &v->tl->ev[i];
        if (e->task == t && e->type == EV_SYS_ENTER &&
            (e->sub == SYS_READ || e->sub == SYS_RECVFROM))
            return e->a;
    }
    return 0;
}

static void buf_row(struct cbuf *cb, int x, int y, int w, const char *label,
                    int64_t n, int64_t cap, int role, int eof)
{
    char b1[24], b2[24], txt[64];
    snprintf(txt, sizeof txt, "%s / %s%s", view_bytes(n, b1, sizeof b1),
             view_bytes(cap, b2, sizeof b2), eof ? " EOF" : "");
    int lw = ui_strwidth(label), tw = ui_strwidth(txt);
    cb_text(cb, x, y, w, label, R_DEFAULT);
    int bw = w - lw - tw - 2;
    if (bw >= 4) {
        view_bar(cb, x + lw + 1, y, bw, n, cap, role);
        cb_text(cb, x + w - tw, y, tw, txt, n ? role : R_DIM);
    } else {
        cb_text(cb, x + lw + 1, y, w - lw - 1, txt, n ? role : R_DIM);
    }
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    struct rect in = view_frame(v, cb, r, "Buffers: kernel and user", focus);
    if (in.h <= 0)
        return;
    int p = proc_of(v), t = v->sel_task, y = in.y;
    int last = in.y + in.h;
    cb_text(cb, in.x + 1, y++, in.w - 2, "kernel", R_KERNEL);
    if (p >= 0 && p < w->ntasks) {
        for (int fd = 0; fd < w->procs[p].nfds && y < last - 2; fd++) {
            int ob = w->procs[p].fds[fd].obj;
            if (ob < 0 || ob >= tl->nobjs || ob >= w->nobjs)
                continue;
            const struct tl_obj *o = &tl->objs[ob];
            char lab[48];
            if (w->objs[ob].kind == OK_LISTEN)
                continue; /* its queue is in the queues view */
            if (o->rxcap > 0 && y < last - 2) {
                snprintf(lab, sizeof lab, "fd %d rx", fd);
                buf_row(cb, in.x + 1, y++, in.w - 2, lab, w->objs[ob].rx,
                        o->rxcap, R_BYTES, w->objs[ob].eof);
            }
            if (o->txcap > 0 && y < last - 2) {
                snprintf(lab, sizeof lab, "fd %d tx", fd);
                buf_row(cb, in.x + 1, y++, in.w - 2, lab, w->objs[ob].tx,
                        o->txcap, R_BYTES, 0);
            }
        }
    }
    if (y == in.y + 1 && y < last - 2)
        cb_text(cb, in.x + 3, y++, in.w - 4, "(no socket or pipe open)", R_DIM);
    /* the copy, if the current event is one */
    long pos = viewer_pos(v);
    const struct tl_ev *e = pos > 0 ? &tl->ev[pos - 1] : NULL;
    if (y < last - 1) {
        if (e && e->type == EV_COPY && e->task < tl->ntasks &&
            tl->tasks[e->task].proc == p) {
            char b[24], txt[64];
            int up = e->sub == TC_TO_KERNEL;
            snprintf(txt, sizeof txt, " copy %s %s ", view_bytes(e->a, b, sizeof b),
                     up ? "user -> kernel" : "kernel -> user");
            int x = in.x + 3;
            cb_put(cb, in.x + 1, y, cb_glyph(cb, up ? G_ARROW_U : G_ARROW_D), R_MOVING);
            x += cb_text(cb, x, y, in.w - 6, txt, R_MOVING);
            cb_rep(cb, x, y, in.x + in.w - 2 - x, G_HHEAVY, R_MOVING);
            cb_put(cb, in.x + in.w - 2, y, cb_glyph(cb, up ? G_ARROW_U : G_ARROW_D), R_MOVING);
        } else {
            cb_rep(cb, in.x + 1, y, in.w - 2, G_HLINE, R_EMPTY);
        }
        y++;
    }
    if (y < last && t >= 0 && t < w->ntasks) {
        int64_t cap = last_read_size(v, t);
        char lab[64];
        snprintf(lab, sizeof lab, "user buffer of %s", tl->tasks[t].name);
        if (cap > 0)
            buf_row(cb, in.x + 1, y, in.w - 2, lab, w->tasks[t].ubuf, cap, R_USER, 0);
        else
            cb_textf(cb, in.x + 1, y, in.w - 2, R_DIM, "%s: no read yet", lab);
        cb_recolour(cb, in.x + 1, y, 4, R_USER);
    }
}

const struct view_ops view_buffers = { "buffers", 5, want, draw, NULL };
