/*
 * view_fds.c - the fd table of the selected task's process: each open fd,
 * the kernel object it points to, its flags, and the object's receive
 * buffer.
 *
 * Consecutive fds on the same object share a row ("0-2 tty #0").  When the
 * rows do not all fit, the table shows the fd that changed last (opened,
 * flags set, bytes arrived or copied) and the selected one, and as many of
 * the newest fds as fit with them, with arrows where rows are hidden; the
 * change is found by a bounded scan back from the cursor.  If that would
 * hide some of a run of alike fds (sockets on one port, with the same
 * flags and empty buffers, but the selected one: a server's accepted
 * connections), each such run folds into one row ("5-15  11 sockets
 * :8080"), so that a table filled up to its limit is seen whole.
 * A row too narrow
 * for its words abbreviates them ("listen sock :8080") rather than cut the
 * port.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/view.h"

#define SCAN_MAX 5000L /* events scanned back for the last change */

static int proc_of(const struct viewer *v)
{
    return v->sel_task >= 0 ? v->tl->tasks[v->sel_task].proc : -1;
}

/* Rows of the table: runs of consecutive fds on the same object */
static int fd_rows(const struct w_proc *pr, int *first, int *last, int max)
{
    int n = 0;
    for (int fd = 0; fd < pr->nfds; fd++) {
        int ob = pr->fds[fd].obj;
        if (ob < 0)
            continue;
        if (n > 0 && last[n - 1] == fd - 1 && pr->fds[fd - 1].obj == ob)
            last[n - 1] = fd;
        else if (n < max) {
            first[n] = last[n] = fd;
            n++;
        } else {
            break;
        }
    }
    return n;
}

/* The fd of process p that changed last, at or before the cursor, or -1 */
static int last_changed(const struct viewer *v, int p)
{
    const struct tl *tl = v->tl;
    const struct w_proc *pr = &v->cur.w.procs[p];
    long pos = viewer_pos(v);
    /* since this step's caption (or the last move's first event, if
       earlier): an older change is not what the step is about */
    long since = v->cur.w.caption_ev >= 0 ? v->cur.w.caption_ev : 0;
    if (v->chg_from < since)
        since = v->chg_from;
    for (long i = pos - 1; i >= since && i > pos - SCAN_MAX; i--) {
        const struct tl_ev *e = &tl->ev[i];
        int ob;
        switch (e->type) {
        case EV_FD_OPEN:
        case EV_FLAGS:
            if (e->task != p)
                continue;
            if (e->a >= 0 && e->a < pr->nfds && pr->fds[e->a].obj >= 0)
                return (int)e->a;
            continue;
        case EV_COPY: /* the table shows receive buffers: a write's copy
                         into a send buffer changes nothing on it */
            if (e->sub == TC_TO_KERNEL)
                continue;
            ob = e->obj;
            break;
        case EV_DATA:
            if (e->a < 0)
                continue;
            /* fall through */
        case EV_EOF:
        case EV_OBJ_SET:
            ob = e->obj;
            break;
        default:
            continue;
        }
        for (int fd = 0; ob >= 0 && fd < pr->nfds; fd++)
            if (pr->fds[fd].obj == ob)
                return fd;
    }
    /* nothing changed in this step: the fd with bytes waiting, if any */
    const struct world *w = &v->cur.w;
    for (int fd = 0; fd < pr->nfds; fd++) {
        int ob = pr->fds[fd].obj;
        if (ob >= 0 && ob < w->nobjs && w->objs[ob].kind != OK_TTY &&
            w->objs[ob].kind != OK_LISTEN && (w->objs[ob].rx > 0 || w->objs[ob].eof))
            return fd;
    }
    return -1;
}

/* rows of the table, counted only up to max */
static int count_rows(const struct w_proc *pr, int max)
{
    int n = 0;
    for (int fd = 0; fd < pr->nfds && n < max; fd++) {
        int ob = pr->fds[fd].obj;
        if (ob >= 0 && !(fd > 0 && pr->fds[fd - 1].obj == ob))
            n++;
    }
    return n;
}

/* Do rows a and b (a just before b) hold alike fds, which fold into one
   row when rows are short?  keep1: the selected fd, which keeps a row of
   its own; keep2: the one that changed last, which does too unless it
   folds with others the last move changed (a run of accepts).  Fds the
   last move changed fold with each other (the row is marked), not with
   the rest */
static int alike(const struct viewer *v, const struct w_proc *pr,
                 const int *first, const int *last, int a, int b, int keep1,
                 int keep2)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    if (last[a] + 1 != first[b])
        return 0;
    if (keep1 >= first[a] && keep1 <= last[b])
        return 0;
    int oa = pr->fds[first[a]].obj, ob = pr->fds[first[b]].obj;
    if (oa < 0 || ob < 0 || oa >= w->nobjs || ob >= w->nobjs ||
        oa >= tl->nobjs || ob >= tl->nobjs)
        return 0;
    const struct w_obj *x = &w->objs[oa], *y = &w->objs[ob];
    if (keep2 >= first[a] && keep2 <= last[b] && !viewer_obj_changed(v, oa))
        return 0;
    int px = x->port ? x->port : tl->objs[oa].port;
    int py = y->port ? y->port : tl->objs[ob].port;
    return x->kind == OK_SOCKET && y->kind == OK_SOCKET && px > 0 && px == py && x->flags == y->flags && !x->rx && !y->rx &&
           !x->eof && !y->eof && tl->objs[oa].rxcap == tl->objs[ob].rxcap &&
           /* changed by the last move or not; a move longer than the
              changes kept (C10K's 10,000 accepts) would split a run
              where its scan began */
           (v->chg_cut || viewer_obj_changed(v, oa) == viewer_obj_changed(v, ob));
}

/* The first row shown of nrows in room for rows: the selected and the
   changed row if both fit (else the one with the focus), and the newest
   rows with them: the terminals go first */
static int first_shown(int nrows, int rows, int srow, int crow, int focus)
{
    if (nrows <= rows)
        return 0;
    int lo = srow, hi = crow;
    if (lo < 0 || (hi >= 0 && hi < lo))
        lo = hi, hi = srow;
    if (hi < 0)
        hi = lo;
    if (lo >= 0 && hi - lo >= rows)
        lo = hi = focus && srow >= 0 ? srow : crow;
    int skip = nrows - rows;
    return lo >= 0 && skip > lo ? lo : skip;
}

/* An fd's flags in two forms, "O_NONBLOCK|O_ASYNC" and "NB|ASYNC", and
 * its port as " :8080" (empty for none) */
static void flag_forms(int fl, int port, char *flb, size_t flbn, char *fls,
                       size_t flsn, char *pt, size_t ptn)
{
    pt[0] = 0;
    if (port > 0)
        snprintf(pt, ptn, " :%d", port);
    tl_fl_text(flb, flbn, fl);
    snprintf(fls, flsn, "%s%s%s", fl & TL_FL_NONBLOCK ? "NB" : "",
             (fl & TL_FL_NONBLOCK) && (fl & TL_FL_ASYNC) ? "|" : "",
             fl & TL_FL_ASYNC ? "ASYNC" : "");
}

/* Put the flags f after buf's words; the width of the whole, and of the
 * flags in *flw (0 if none) */
static int with_flags(char *buf, int len, const char *f, int *flw)
{
    if (f[0])
        snprintf(buf + strlen(buf), (size_t)len - strlen(buf), " %s", f);
    *flw = f[0] ? ui_strwidth(f) : 0;
    return ui_strwidth(buf);
}

/* The words for a folded row of n sockets, as obj_words's shorter forms:
   "11 sockets :8080 O_NONBLOCK", "11 sockets :8080 NB", "11 sockets
   :8080", "11 socks :8080" */
static int fold_words(char *buf, int len, int width, int n, int port, int fl,
                      int *flw)
{
    char pt[16], flb[32], fls[16];
    flag_forms(fl, port, flb, sizeof flb, fls, sizeof fls, pt, sizeof pt);
    int bw = 0;
    for (int form = 0; form < 4; form++) {
        const char *f = form == 0 ? flb : form == 1 ? fls : "";
        snprintf(buf, (size_t)len, "%d %s%s", n, form < 3 ? "sockets" : "socks", pt);
        bw = with_flags(buf, len, f, flw);
        if (bw <= width)
            break;
    }
    return bw;
}

static int want(const struct viewer *v, int w)
{
    (void)w;
    int p = proc_of(v);
    const struct world *wd = &v->cur.w;
    int n = 0;
    if (p >= 0 && p < wd->ntasks)
        n = count_rows(&wd->procs[p], 11);
    /* room for the most fds the process ever has (less the terminals'
       merged rows), so the panels under it keep their place */
    if (p >= 0 && p < v->tl->ntasks && v->max_fds[p] - 2 > n)
        n = v->max_fds[p] - 2;
    if (n > 10)
        n = 10;
    return (n < 1 ? 1 : n) + 3; /* frame and heading */
}

/*
 * The words for an fd's object in at most width columns, from the full
 * form to the shortest: "listening socket #1 :8080 O_NONBLOCK",
 * "listening socket :8080 O_NONBLOCK", "listen sock :8080 O_NONBLOCK",
 * "listen sock :8080 NB", "listen sock :8080".  Returns the width used
 * (more than width if even the shortest does not fit); *flw is the width
 * of the flags at the end, 0 if none are shown.
 */
static int obj_words(char *buf, int len, int width, int ob, int kind, int port,
                     int fl, int *flw)
{
    static const char *const brief[OK__COUNT] = {
        [OK_TTY] = "tty", [OK_SOCKET] = "sock", [OK_LISTEN] = "listen sock",
        [OK_PIPE_R] = "pipe (r)", [OK_PIPE_W] = "pipe (w)",
        [OK_EPOLL] = "epoll", [OK_URING] = "io_uring", [OK_FILE] = "file",
        [OK_EVENTFD] = "eventfd", [OK_TIMERFD] = "timerfd",
        [OK_SIGNALFD] = "signalfd", [OK_INOTIFY] = "inotify",
        [OK_INPUT] = "input", [OK_OTHER] = "file?",
    };
    char full[64], pt[16], flb[32], fls[16];
    tl_obj_now_text(full, sizeof full, ob, kind, port);
    flag_forms(fl, port, flb, sizeof flb, fls, sizeof fls, pt, sizeof pt);
    int known = kind >= 0 && kind < OK__COUNT;
    const char *kn = known && brief[kind] ? brief[kind] : "?";
    const char *name = known ? tl_obj_kind_name(kind) : "?";
    int bw = 0;
    for (int form = 0; form < 5; form++) {
        const char *f = form < 3 ? flb : form < 4 ? fls : "";
        if (form == 0)
            snprintf(buf, (size_t)len, "%s", full);
        else
            snprintf(buf, (size_t)len, "%s%s", form == 1 ? name : kn, pt);
        bw = with_flags(buf, len, f, flw);
        if (bw <= width)
            break;
    }
    return bw;
}

/* The words of a row of n objects: one object's, or a folded row's */
static int row_words(char *buf, int len, int width, int n, int ob, int kind,
                     int port, int fl, int *flw)
{
    if (n > 1)
        return fold_words(buf, len, width, n, port, fl, flw);
    return obj_words(buf, len, width, ob, kind, port, fl, flw);
}

/* How many connections wait in the accept queue of listening socket ob */
static int accept_waiting(const struct tl *tl, const struct world *w, int ob)
{
    for (int q = 0; q < tl->nqueues && q < w->nqueues; q++)
        if (tl->queues[q].kind == TQK_ACCEPT && tl->queues[q].owner == ob)
            return w->queues[q].n;
    return 0;
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
    /* every row, however many fds (select.scn's fd 1101, c10k's 10,000) */
    int *first = malloc(((size_t)pr->nfds + 1) * sizeof *first);
    int *last = malloc(((size_t)pr->nfds + 1) * sizeof *last);
    int *nobj = malloc(((size_t)pr->nfds + 1) * sizeof *nobj);
    if (!first || !last || !nobj) {
        free(first), free(last), free(nobj);
        cb_text(cb, in.x + 1, in.y, in.w - 2, "(out of memory)", R_WARN);
        return;
    }
    int nrows = fd_rows(pr, first, last, pr->nfds + 1);
    for (int i = 0; i < nrows; i++)
        nobj[i] = 1;
    /* which rows: the selected fd's and the last changed fd's, if both fit
       (the selected one first when the table has the focus); alike fds
       fold if some of them would be hidden */
    int chg = last_changed(v, p), srow, crow, head, rows, skip;
    for (int pass = 0;; pass++) {
        head = in.h > nrows;
        rows = in.h - head;
        srow = crow = -1;
        for (int i = 0; i < nrows; i++) {
            if (v->sel_fd >= first[i] && v->sel_fd <= last[i])
                srow = i;
            if (chg >= first[i] && chg <= last[i])
                crow = i;
        }
        skip = first_shown(nrows, rows, srow, crow, focus);
        int cut = 0;
        for (int i = 0; i + 1 < nrows && !cut && pass == 0; i++)
            cut = (i < skip || i + 1 >= skip + rows) &&
                  alike(v, pr, first, last, i, i + 1, v->sel_fd, chg);
        if (!cut)
            break;
        int k = 0;
        for (int i = 0; i < nrows; i++) {
            if (k > 0 && alike(v, pr, first, last, i - 1, i, v->sel_fd, chg)) {
                last[k - 1] = last[i];
                nobj[k - 1]++;
                continue;
            }
            first[k] = first[i];
            last[k] = last[i];
            nobj[k++] = 1;
        }
        nrows = k;
    }
    /* the fd column: 4 wide, wider for a folded row's range ("100-199") */
    int nw = 4;
    for (int i = skip; i < nrows && i - skip < rows; i++) {
        char num[24];
        int l = last[i] > first[i] ? snprintf(num, sizeof num, "%d-%d", first[i], last[i]) : 0;
        if (nobj[i] > 1 && l > nw && l <= in.w / 4)
            nw = l;
    }
    kindw -= nw - 4;
    if (head) {
        cb_text(cb, in.x, in.y, 4, "  fd", R_DIM);
        cb_text(cb, in.x + nw + 1, in.y, kindw, "points to", R_DIM);
        cb_text_right(cb, in.x + in.w - bufw, in.y, bufw, "rx buffer", R_DIM);
    }
    if (nrows > rows) {
        in.w--; /* the last column for the arrows */
        kindw--;
    }
    for (int i = skip; i < nrows && i - skip < rows; i++) {
        int fd = first[i], ob = pr->fds[fd].obj;
        int y = in.y + head + i - skip;
        char lab[96], b1[24], b2[24], num[24];
        int sel = i == srow;
        if (last[i] > fd)
            snprintf(num, sizeof num, "%d-%d", fd, last[i]);
        else
            snprintf(num, sizeof num, "%d", fd);
        cb_text_right(cb, in.x, y, nw, num, sel ? R_SELECTED : R_DEFAULT);
        /* the object as it is now: a socket may have become a listener */
        const struct w_obj *wo = ob < w->nobjs ? &w->objs[ob] : NULL;
        int kind = wo ? wo->kind : ob < tl->nobjs ? tl->objs[ob].kind : -1;
        int port = wo && wo->port ? wo->port : ob < tl->nobjs ? tl->objs[ob].port : 0;
        int fl = wo ? wo->flags : 0;
        /* the terminal's input buffer is shown only once something was
         * typed: it is empty in most lessons */
        int hasbuf = wo && kind != OK_LISTEN && ob < tl->nobjs &&
                     tl->objs[ob].rxcap > 0 && (kind != OK_TTY || wo->rx > 0);
        int kw = hasbuf ? kindw : in.w - nw - 2; /* no buffer: the row is its own */
        char txt[64] = "";
        int tw = 0, flw;
        if (hasbuf) {
            snprintf(txt, sizeof txt, "%s/%s%s", view_bytes(wo->rx, b1, sizeof b1),
                     view_bytes(tl->objs[ob].rxcap, b2, sizeof b2),
                     wo->eof ? " EOF" : "");
            tw = ui_strwidth(txt);
            /* the words keep their column, or take the room of the bar */
            kw = in.w - nw - 2 - tw - 1;
            int need = row_words(lab, sizeof lab, kw, nobj[i], ob, kind, port, fl, &flw);
            kw = need <= kindw ? (kindw < kw ? kindw : kw) : need < kw ? need : kw;
        }
        int waiting = kind == OK_LISTEN ? accept_waiting(tl, w, ob) : 0;
        if (waiting > 0) { /* connections in its accept queue */
            snprintf(txt, sizeof txt, "%d waiting", waiting);
            tw = ui_strwidth(txt);
            kw = in.w - nw - 2 - tw - 1;
        }
        int lw = row_words(lab, sizeof lab, kw, nobj[i], ob, kind, port, fl, &flw);
        cb_text(cb, in.x + nw + 1, y, kw, lab, R_DEFAULT);
        if (waiting > 0)
            cb_text_right(cb, in.x + nw + 1 + kw + 1, y, in.x + in.w - (in.x + nw + 1 + kw + 1),
                          txt, viewer_obj_changed(v, ob) ? R_CHANGED : R_BYTES);
        if (flw && lw <= kw)
            cb_recolour(cb, in.x + nw + 1 + lw - flw, y, flw, R_KEY);
        int chg = viewer_obj_changed(v, ob);
        if (hasbuf) {
            int x = in.x + nw + 1 + kw + 1, bw = in.x + in.w - x;
            int trole = chg ? R_CHANGED : wo->rx ? R_BYTES : R_DIM;
            if (bw - tw - 1 >= 4) {
                view_bar(cb, x, y, bw - tw - 1, wo->rx, tl->objs[ob].rxcap, R_BYTES);
                cb_text(cb, x + bw - tw, y, tw, txt, trole);
            } else {
                cb_text_right(cb, x, y, bw, txt, trole);
            }
        }
        if (sel)
            cb_recolour(cb, in.x, y, nw, focus ? R_CURSOR : R_SELECTED);
        else if (chg) /* opened, flags set, bytes in or out: marked */
            cb_recolour(cb, in.x, y, nw, R_CHANGED);
    }
    if (skip > 0)
        cb_put(cb, in.x + in.w, in.y + head, cb_glyph(cb, G_ARROW_U), R_DIM);
    if (skip + rows < nrows)
        cb_put(cb, in.x + in.w, in.y + in.h - 1, cb_glyph(cb, G_ARROW_D), R_DIM);
    /* how many rows are out of view, on the frame: "+3 above", "+9990 more" */
    char b[64];
    int below = nrows - skip - rows;
    if (below < 0)
        below = 0;
    if (skip > 0) {
        snprintf(b, sizeof b, " +%d above ", skip);
        cb_text_right(cb, r.x, r.y, r.w - 2, b, R_HINT);
    }
    if (below > 0) {
        snprintf(b, sizeof b, " +%d more (:fd N goes to one) ", below);
        if (ui_strwidth(b) > r.w - 4)
            snprintf(b, sizeof b, " +%d more ", below);
        cb_text_right(cb, r.x, r.y + r.h - 1, r.w - 2, b, R_HINT);
    }
    free(first);
    free(last);
    free(nobj);
}

const struct view_ops view_fds = { "fds", 3, want, draw, NULL, NULL };
