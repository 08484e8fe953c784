/*
 * view_buffers.c - kernel buffers against their capacity (each receive
 * and send buffer of the selected process's fds) and the user buffer of
 * the selected task's last read; when the current event is a copy, the
 * bytes are drawn moving between the two.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/view.h"

#define SCAN_MAX 100000L

static int proc_of(const struct viewer *v)
{
    return v->sel_task >= 0 ? v->tl->tasks[v->sel_task].proc : -1;
}

/*
 * The objects open in one process, as a bit per object, made once a frame
 * in one pass over its fd table: asking "is this pipe's read end open here
 * too?" for every fd by scanning the table again was quadratic (40,000
 * pipes took 2 s a frame).  Without memory for the bits, nothing is open.
 */
struct openset {
    uint8_t *bit;
    int n;
};

static void openset_make(struct openset *os, const struct world *w, int p)
{
    os->n = w->nobjs;
    os->bit = p >= 0 && p < w->ntasks ? calloc((size_t)os->n / 8 + 1, 1) : NULL;
    if (!os->bit)
        return;
    for (int fd = 0; fd < w->procs[p].nfds; fd++) {
        int ob = w->procs[p].fds[fd].obj;
        if (ob >= 0 && ob < os->n)
            os->bit[ob / 8] |= (uint8_t)(1u << (ob % 8));
    }
}

static int openset_has(const struct openset *os, int ob)
{
    return os->bit && ob >= 0 && ob < os->n &&
           (os->bit[ob / 8] >> (ob % 8) & 1);
}

/* The pipe buffer a write end writes into: its read end, if that has a
   buffer and is not open in the process too (then its "rx" row shows it) */
static int pipe_target(const struct viewer *v, const struct openset *os, int ob);

/* The terminal (fds 0-2) is shown once, on fd 0, and only when something
 * was typed into it */
static int tty_quiet(const struct world *w, int ob, int fd)
{
    return w->objs[ob].kind == OK_TTY && (fd != 0 || w->objs[ob].rx == 0);
}

/* The number of buffer rows of the process, counted up to max + 1 */
static int nbufs(const struct viewer *v, int max)
{
    const struct world *w = &v->cur.w;
    int p = proc_of(v), n = 0;
    if (p < 0 || p >= w->ntasks)
        return 0;
    struct openset os;
    openset_make(&os, w, p);
    for (int fd = 0; fd < w->procs[p].nfds && n <= max; fd++) {
        int ob = w->procs[p].fds[fd].obj;
        if (ob >= 0 && ob < v->tl->nobjs && ob < w->nobjs &&
            w->objs[ob].kind != OK_LISTEN && !tty_quiet(w, ob, fd))
            n += (v->tl->objs[ob].rxcap > 0) + (v->tl->objs[ob].txcap > 0) +
                 (pipe_target(v, &os, ob) >= 0);
    }
    free(os.bit);
    return n;
}

static int want(const struct viewer *v, int w)
{
    (void)w;
    int n = nbufs(v, 8), p = proc_of(v);
    /* room for the most buffers the process may have (two per fd besides
       the terminal's), so the panels under it keep their place */
    if (p >= 0 && p < v->tl->ntasks && 2 * (v->max_fds[p] - 3) > n)
        n = 2 * (v->max_fds[p] - 3);
    if (n > 8)
        n = 8;
    if (n == 0)
        n = 2; /* why there is none */
    return n + 2 + 2 + 1; /* frame, copy row, user buffer, heading */
}

static int pipe_target(const struct viewer *v, const struct openset *os, int ob)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    if (ob < 0 || ob >= tl->nobjs || ob >= w->nobjs || w->objs[ob].kind != OK_PIPE_W)
        return -1;
    int r = tl->objs[ob].peer;
    if (r < 0 || r >= tl->nobjs || r >= w->nobjs || !w->objs[r].live ||
        tl->objs[r].rxcap <= 0 || openset_has(os, r))
        return -1;
    return r;
}

/* the current event, if it copies bytes for process p: by one of its tasks,
   or by the kernel on no task's behalf (an io_uring request completing) */
static const struct tl_ev *copy_now(const struct viewer *v,
                                    const struct openset *os, int p)
{
    const struct tl *tl = v->tl;
    long pos = viewer_pos(v);
    const struct tl_ev *e = pos > 0 ? &tl->ev[pos - 1] : NULL;
    if (!e || e->type != EV_COPY)
        return NULL;
    if (e->task < tl->ntasks && tl->tasks[e->task].proc == p)
        return e;
    if (e->task == TL_NOTASK && e->sub == TC_TO_USER && openset_has(os, e->obj))
        return e;
    return NULL;
}

/*
 * The user buffer of the task's latest I/O: for an input, its size (the
 * read()'s size argument, or the length of an io_uring read request) and
 * the bytes the last copy put in it, by the task's read() or by the kernel
 * itself; for an output (write(), sendto()), the bytes it hands the kernel.
 * *at is the event that filled it (-1 if none).  Returns 0 if there is no
 * I/O near the cursor, 1 for an input, 2 for an output.
 */
static int user_buffer(const struct viewer *v, const struct openset *os,
                       int t, int64_t *cap, int64_t *fill, int *by_kernel,
                       long *at, int *fd)
{
    *fd = -1;
    const struct tl *tl = v->tl;
    long pos = viewer_pos(v);
    int have_fill = 0;
    *fill = 0;
    *by_kernel = 0;
    *at = -1;
    for (long i = pos - 1; i >= 0 && i > pos - SCAN_MAX; i--) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_COPY && e->sub == TC_TO_USER && !have_fill &&
            (e->task == t ||
             (e->task == TL_NOTASK && openset_has(os, e->obj)))) {
            *fill = e->a;
            *by_kernel = e->task == TL_NOTASK;
            *at = i;
            have_fill = 1;
        } else if (e->task == t && e->type == EV_SYS_ENTER &&
                   (e->sub == SYS_READ || e->sub == SYS_RECVFROM)) {
            *cap = e->a;
            *fd = e->obj;
            return 1;
        } else if (e->task == t && e->type == EV_SYS_ENTER && !have_fill &&
                   (e->sub == SYS_WRITE || e->sub == SYS_SENDTO)) {
            *cap = *fill = e->a;
            *at = i;
            *fd = e->obj;
            return 2;
        } else if (e->task == t && e->type == EV_QUEUE && e->sub == TQ_PUSH &&
                   e->obj >= 0 && e->obj < tl->nqueues &&
                   tl->queues[e->obj].kind == TQK_SQ &&
                   (TL_URING_OP(e->a) == TU_READ || TL_URING_OP(e->a) == TU_RECV)) {
            *cap = TL_URING_LEN(e->a);
            *fd = TL_URING_FD(e->a);
            return 1;
        }
    }
    return 0;
}

static void buf_row(struct cbuf *cb, int x, int y, int w, const char *label,
                    int64_t n, int64_t cap, int role, int eof, int chg)
{
    char b1[24], b2[24], txt[64];
    snprintf(txt, sizeof txt, "%s / %s%s", view_bytes(n, b1, sizeof b1),
             view_bytes(cap, b2, sizeof b2), eof ? " EOF" : "");
    int lw = ui_strwidth(label), tw = ui_strwidth(txt);
    cb_text(cb, x, y, w, label, R_DEFAULT);
    int bw = w - lw - tw - 2;
    if (bw >= 4) {
        view_bar(cb, x + lw + 1, y, bw, n, cap, role);
        cb_text(cb, x + w - tw, y, tw, txt, chg ? R_CHANGED : n ? role : R_DIM);
    } else {
        cb_text(cb, x + lw + 1, y, w - lw - 1, txt,
                chg ? R_CHANGED : n ? role : R_DIM);
    }
}

/*
 * The compact form (one line without a frame, at 80x24): one strip with
 * the kernel buffer of the task's latest read (or write) and its user
 * buffer, the arrow lit while a copy is the current event:
 *   "fd 4 rx 100 B/64 KiB ━▶ user 0 B/4 KiB"
 */
static void draw_strip(const struct viewer *v, struct cbuf *cb, struct rect in)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    int t = v->sel_task, p = proc_of(v);
    int64_t cap = 0, fill = 0;
    int kern = 0, fd = -1;
    long at = -1;
    struct openset os;
    openset_make(&os, w, p);
    int kind = t >= 0 && t < w->ntasks
                   ? user_buffer(v, &os, t, &cap, &fill, &kern, &at, &fd) : 0;
    int ob = world_fd_obj(w, p, fd);
    if (!kind && p >= 0 && p < w->ntasks) {
        /* no read yet: the receive buffer that changed, or the fullest */
        int64_t best = 0;
        for (int f = 0; f < w->procs[p].nfds; f++) {
            int o = w->procs[p].fds[f].obj;
            if (o < 0 || o >= tl->nobjs || o >= w->nobjs ||
                tl->objs[o].rxcap <= 0 || w->objs[o].kind == OK_TTY ||
                w->objs[o].kind == OK_LISTEN)
                continue;
            /* only a buffer with something to say: it changed, or holds
               bytes */
            int64_t score = (viewer_obj_changed(v, o) ? ((int64_t)1 << 60) : 0) +
                            w->objs[o].rx;
            if (score > best) {
                best = score;
                fd = f;
                ob = o;
            }
        }
    }
    if (ob < 0 || ob >= tl->nobjs || ob >= w->nobjs) {
        cb_text(cb, in.x + 1, in.y, in.w - 2,
                kind ? "user buffer: its fd is closed now"
                     : "no read or write yet: no bytes copied",
                R_DIM);
        free(os.bit);
        return;
    }
    const struct tl_ev *e = copy_now(v, &os, p);
    char kb[64], ub[64], b1[24], b2[24];
    int out = kind == 2;
    int64_t kn = out ? w->objs[ob].tx : w->objs[ob].rx;
    int64_t kc = out ? tl->objs[ob].txcap : tl->objs[ob].rxcap;
    int pr = out ? pipe_target(v, &os, ob) : -1;
    free(os.bit);
    if (pr >= 0) { /* a pipe's write end: the buffer is the read end's */
        kn = w->objs[pr].rx;
        kc = tl->objs[pr].rxcap;
    }
    /* the longest form that fits: "fd 4 rx 100 B/64 KiB", "fd 4 100 B/64 KiB",
       "fd 4 100B/64KiB" */
    int x = in.x, end = in.x + in.w;
    for (int form = 0; form < 3; form++) {
        snprintf(kb, sizeof kb, "fd %d%s %s/%s", fd, form ? "" : out ? " tx" : " rx",
                 view_bytes(kn, b1, sizeof b1), view_bytes(kc, b2, sizeof b2));
        if (kind)
            snprintf(ub, sizeof ub, "user %s/%s", view_bytes(fill, b1, sizeof b1),
                     view_bytes(cap, b2, sizeof b2));
        else
            snprintf(ub, sizeof ub, "user: no read yet");
        if (form == 2) /* "100 B" -> "100B" */
            for (char *q = kb; *q; q++)
                if (q[0] == ' ' && q[1] >= 'A' && q[1] <= 'Z' && q > kb &&
                    q[-1] >= '0' && q[-1] <= '9')
                    memmove(q, q + 1, strlen(q));
        if (ui_strwidth(kb) + ui_strwidth(ub) + 6 <= in.w)
            break;
    }
    int kchg = viewer_obj_changed(v, ob) || (pr >= 0 && viewer_obj_changed(v, pr));
    int uchg = at >= v->chg_from;
    const char *first = out ? ub : kb, *second = out ? kb : ub;
    x += 1;
    x += cb_text(cb, x, in.y, end - x, first,
                 (out ? uchg : kchg) ? R_CHANGED : out ? R_USER : R_BYTES);
    int moving = e != NULL;
    x++;
    cb_rep(cb, x, in.y, 1, moving ? G_HHEAVY : G_HLINE, moving ? R_MOVING : R_DIM);
    cb_put(cb, x + 1, in.y, cb_glyph(cb, G_TRI_R), moving ? R_MOVING : R_DIM);
    x += 3;
    cb_text(cb, x, in.y, end - x, second,
            (out ? kchg : uchg) ? R_CHANGED : out ? R_BYTES : R_USER);
    if (in.h > 1 && e) {
        char b[24];
        cb_textf(cb, in.x + 1, in.y + 1, in.w - 2, R_MOVING, "%s %s %s",
                 e->task == TL_NOTASK ? "the kernel copies" : "copy",
                 view_bytes(e->a, b, sizeof b),
                 e->sub == TC_TO_KERNEL ? "user -> kernel" : "kernel -> user");
    }
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    if (r.h <= 2) { /* the strip, one line with no frame */
        draw_strip(v, cb, (struct rect){ r.x, r.y, r.w, 1 });
        return;
    }
    struct rect in = view_frame(v, cb, r, "Buffers: kernel and user", focus);
    if (in.h <= 0)
        return;
    if (in.h < 3) { /* no room for a buffer under the heading: the strip */
        draw_strip(v, cb, (struct rect){ in.x, in.y, in.w, 1 });
        return;
    }
    int p = proc_of(v), t = v->sel_task, y = in.y;
    int last = in.y + in.h, listen_fd = -1;
    struct openset os; /* the selected task's process: user_buffer's too */
    openset_make(&os, w, p);
    cb_text(cb, in.x + 1, y++, in.w - 2, "kernel", R_KERNEL);
    if (p >= 0 && p < w->ntasks) {
        for (int fd = 0; fd < w->procs[p].nfds && y < last - 2; fd++) {
            int ob = w->procs[p].fds[fd].obj;
            if (ob < 0 || ob >= tl->nobjs || ob >= w->nobjs || tty_quiet(w, ob, fd))
                continue;
            const struct tl_obj *o = &tl->objs[ob];
            char lab[48];
            if (w->objs[ob].kind == OK_LISTEN) {
                if (listen_fd < 0)
                    listen_fd = fd;
                continue; /* its queue is in the queues view */
            }
            int pr = pipe_target(v, &os, ob);
            if (pr >= 0 && pr < w->nobjs && y < last - 2) {
                /* a write end: the pipe buffer it writes into */
                snprintf(lab, sizeof lab, "fd %d pipe", fd);
                buf_row(cb, in.x + 1, y++, in.w - 2, lab, w->objs[pr].rx,
                        tl->objs[pr].rxcap, R_BYTES, 0, viewer_obj_changed(v, pr));
            }
            if (o->rxcap > 0 && y < last - 2) {
                snprintf(lab, sizeof lab, "fd %d rx", fd);
                buf_row(cb, in.x + 1, y++, in.w - 2, lab, w->objs[ob].rx,
                        o->rxcap, R_BYTES, w->objs[ob].eof, viewer_obj_changed(v, ob));
            }
            if (o->txcap > 0 && y < last - 2) {
                snprintf(lab, sizeof lab, "fd %d tx", fd);
                buf_row(cb, in.x + 1, y++, in.w - 2, lab, w->objs[ob].tx,
                        o->txcap, R_BYTES, 0, viewer_obj_changed(v, ob));
            }
        }
    }
    if (y == in.y + 1 && y < last - 2) {
        /* no data buffer: say why */
        char b[160];
        if (listen_fd >= 0)
            snprintf(b, sizeof b, "fd %d is a listening socket: no data buffers; "
                     "connections wait in its accept queue", listen_fd);
        else
            snprintf(b, sizeof b, "(no socket or pipe open)");
        struct ui_span l[4];
        int nl = ui_wrap(b, in.w - 4, l, 4);
        for (int i = 0; i < nl && i < 4 && y < last - 2; i++) {
            char part[160];
            int len = i == nl - 1 || y + 1 >= last - 2 ? (int)strlen(b) - l[i].off
                                                        : l[i].len;
            snprintf(part, sizeof part, "%.*s", len, b + l[i].off);
            cb_text(cb, in.x + 3, y++, in.w - 4, part, R_DIM);
        }
    }
    /* the copy, if the current event is one */
    const struct tl_ev *e = copy_now(v, &os, p);
    if (y < last - 1) {
        if (e) {
            char b[24], txt[96];
            int up = e->sub == TC_TO_KERNEL;
            snprintf(txt, sizeof txt, " %s %s %s ",
                     e->task == TL_NOTASK ? "the kernel copies" : "copy",
                     view_bytes(e->a, b, sizeof b),
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
        int64_t cap = 0, fill = 0;
        int kern = 0;
        char lab[96];
        snprintf(lab, sizeof lab, "user buffer of %s", tl->tasks[t].name);
        long at;
        int ufd;
        int kind = user_buffer(v, &os, t, &cap, &fill, &kern, &at, &ufd);
        if (kind && cap > 0) {
            if (kern && in.w > 60)
                snprintf(lab, sizeof lab, "user buffer of %s (kernel filled it)",
                         tl->tasks[t].name);
            else if (kind == 2)
                snprintf(lab, sizeof lab, "user buffer of %s (to send)",
                         tl->tasks[t].name);
            buf_row(cb, in.x + 1, y, in.w - 2, lab, fill, cap, R_USER, 0,
                    at >= v->chg_from);
        } else {
            cb_textf(cb, in.x + 1, y, in.w - 2, R_DIM, "%s: no read yet", lab);
        }
        cb_recolour(cb, in.x + 1, y, 4, R_USER);
    }
    free(os.bit);
}

const struct view_ops view_buffers = { "buffers", 1, want, draw, NULL, NULL };
