/*
 * view_queues.c - every queue the model has (run queue, accept queues,
 * epoll interest and ready lists, io_uring rings, pending signals) with
 * its items, oldest first.  When rows are short, an empty run or accept
 * queue gives way to the model's own queues, then other processes'
 * queues to the step's process's and to those its caption names; names
 * lose their owner's kind ("ready list"), or keep its number when two
 * owners have the same queues ("#7 ready list").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/view.h"

static int named(const struct viewer *v, int q);

/* A quiet queue (tl.h: an uncontended GIL) and an empty run, accept or
   message queue are the first to give way to a model's queues when rows
   are short, unless the last move changed it (or, a quiet one, the
   caption names it: "worker's own GIL holder") */
static int optional(const struct viewer *v, int q)
{
    const struct tl *tl = v->tl;
    if (q == v->sel_queue || viewer_queue_changed(v, q))
        return 0;
    if (tl->queues[q].quiet)
        return !named(v, q);
    return (tl->queues[q].kind == TQK_RUN || tl->queues[q].kind == TQK_ACCEPT ||
            tl->queues[q].kind == TQK_MSGS) &&
           (q >= v->cur.w.nqueues || v->cur.w.queues[q].n == 0);
}

/* Does the step's caption name queue q ("... wait in its accept queue")?
   The queue's name without its owner and port ("accept queue :8080",
   "epoll #3 ready list": "accept queue", "ready list") is in the text */
static int named(const struct viewer *v, int q)
{
    const struct tl *tl = v->tl;
    int cap = v->cur.w.caption;
    if (cap < 0 || cap >= tl->nstrs || !tl->queues[q].name)
        return 0;
    const char *n = tl->queues[q].name, *h = strstr(n, " #");
    if (h && strchr(h + 2, ' '))
        n = strchr(h + 2, ' ') + 1;
    char k[64];
    snprintf(k, sizeof k, "%s", n);
    char *pt = strstr(k, " :");
    if (pt)
        *pt = 0;
    size_t kl = strlen(k);
    if (kl < 4)
        return 0;
    for (const char *t = tl->strs[cap]; *t; t++) {
        size_t j = 0;
        while (j < kl && t[j] && tolower((unsigned char)t[j]) ==
                                     tolower((unsigned char)k[j]))
            j++;
        if (j == kl)
            return 1;
    }
    return 0;
}

/* The process a queue belongs to (an accept queue's listener's, an epoll
   instance's or io_uring's creator, a select program's fd set's), or -1
   (the run queues, and what belongs to no one process) */
static int queue_proc(const struct tl *tl, int q)
{
    const struct tl_queue *Q = &tl->queues[q];
    int o = Q->owner;
    if (o < 0)
        return -1;
    switch (Q->kind) {
    case TQK_ACCEPT:
    case TQK_READY:
    case TQK_SQ:
    case TQK_CQ:
        return o < tl->nobjs ? tl->objs[o].owner : -1;
    case TQK_INTEREST:
        if (o < tl->nobjs && tl->objs[o].kind == OK_EPOLL && tl->objs[o].queue == q)
            return tl->objs[o].owner;
        return o < tl->ntasks ? tl->tasks[o].proc : -1;
    case TQK_SIGNALS:
        return o < tl->ntasks ? tl->tasks[o].proc : -1;
    case TQK_MEM:
    case TQK_FUTEX:
        /* a word of one process's memory (a `shared` variable, its futex
           sleepers, the GIL's); a SemLock's, in memory its processes map
           together, has no owner (mpq.c) */
        return o < tl->ntasks ? tl->tasks[o].proc : -1;
    default:
        return -1;
    }
}

/* How much a queue is worth keeping when rows are short: an optional one
   least (0), then another process's the caption does not name (1), then
   one the caption does not name or another process's (2), then one of the
   step's process the caption names (3); the selected one is always kept */
static int own_queue(const struct viewer *v, int q)
{
    int p = v->sel_task >= 0 && v->sel_task < v->tl->ntasks
                ? v->tl->tasks[v->sel_task].proc : -1;
    int qp = queue_proc(v->tl, q);
    return qp < 0 || p < 0 || qp == p;
}

static int worth(const struct viewer *v, int q)
{
    if (optional(v, q))
        return 0;
    return 1 + own_queue(v, q) + named(v, q);
}

/* The queues shown in rows rows, in display order, into out: every one,
   or, from the last, without the optional ones (other processes' first),
   then without other
   processes' that the caption does not name, until they fit; then, while
   a queue of the step's process that the caption names is still below the
   rows, without the others before it (worth 2), from the last */
static int shown(const struct viewer *v, int rows, int *out)
{
    int n = v->tl->nqueues, k = 0, left = n;
    for (int i = 0; i < n; i++)
        out[i] = v->qorder[i];
    /* the optional ones: another process's first, then the step's own */
    for (int pass = 0; pass < 3 && left > rows; pass++)
        for (int i = n - 1; i >= 0 && left > rows; i--) {
            int q = out[i];
            int level = pass < 2 ? 0 : 1;
            if (q >= 0 && q != v->sel_queue && worth(v, q) == level &&
                (pass != 0 || !own_queue(v, q)))
                out[i] = -1, left--;
        }
    while (left > rows) {
        int pos = 0, late = -1; /* a named queue of the step's process below */
        for (int i = 0; i < n && late < 0; i++)
            if (out[i] >= 0 && pos++ >= rows && worth(v, out[i]) == 3)
                late = i;
        int drop = -1;
        for (int i = late - 1; i >= 0 && drop < 0; i--)
            if (out[i] >= 0 && out[i] != v->sel_queue && worth(v, out[i]) == 2)
                drop = i;
        if (late < 0 || drop < 0)
            break;
        out[drop] = -1;
        left--;
    }
    for (int i = 0; i < n; i++)
        if (out[i] >= 0)
            out[k++] = out[i];
    return k;
}

static int want(const struct viewer *v, int w)
{
    int n = v->tl->nqueues;
    /* narrow: the model's own queues and a row for one run or accept
       queue (the busy one, else the first): the same every step, so the
       panels keep their place */
    if (w < 60 && v->model_queues > 0 && n > v->model_queues + 1)
        n = v->model_queues + 1;
    if (n > 8)
        n = 8;
    return (n < 1 ? 1 : n) + 2;
}

/*
 * The rows the panel grows to with the other essential panels, frame
 * included; the fd table grows after it, to all it wants, and the panel
 * grows to what it wants after that.  The kernel's queues of fds (accept
 * queues, epoll's lists, select's and poll's watched fds, io_uring's
 * rings, pending signals) count for the process that owns the most: a
 * step shows one process's and those its caption names, and the fd table
 * tells what its fds are.  Every other queue (a GIL, a lock's futex, a
 * pool's task queue, a loop's timers) counts in full, and the run queues
 * with them: those are the lesson.  From the timeline's tables only, so the layout stays still
 * from step to step.
 */
static int core(const struct viewer *v, int w)
{
    const struct tl *tl = v->tl;
    int most = 0, other = 0, runs = 0, full = want(v, w);
    int *per = calloc((size_t)tl->ntasks + 1, sizeof *per);
    if (!per)
        return full;
    for (int q = 0; q < tl->nqueues; q++) {
        int k = tl->queues[q].kind, p = queue_proc(tl, q);
        if (k == TQK_RUN)
            runs++;
        else if (p < 0 || p >= tl->ntasks ||
            !(k == TQK_ACCEPT || k == TQK_INTEREST || k == TQK_READY ||
              k == TQK_SQ || k == TQK_CQ || k == TQK_SIGNALS))
            other++;
        else if (++per[p] > most)
            most = per[p];
    }
    free(per);
    int c = most + other + (other ? runs : 0);
    c = (c < 1 ? 1 : c) + 2;
    return c < full ? c : full;
}

/* A queue's name; in a narrow panel without its owner's kind (brief 1:
   "epoll #2 ready list" -> "ready list", "io_uring #4 SQ" -> "SQ"), or
   with its number only when two owners have queues of the same name
   (brief 2: "#2 ready list") */
static const char *label(const struct tl *tl, int q, int brief, char *buf,
                         int len)
{
    const char *n = tl->queues[q].name ? tl->queues[q].name : "";
    const char *h = strstr(n, " #");
    if (!brief || !h)
        return n;
    const char *sp = strchr(h + 2, ' ');
    if (!sp || !sp[1])
        return n;
    if (brief == 1)
        return sp + 1;
    snprintf(buf, (size_t)len, "%s", h + 1);
    return buf;
}

/* Do two queues have the same label? */
static int ambiguous(const struct tl *tl, int brief)
{
    char a[96], b[96];
    for (int q = 0; q < tl->nqueues && q < 64; q++)
        for (int r = q + 1; r < tl->nqueues && r < 64; r++)
            if (!strcmp(label(tl, q, brief, a, sizeof a),
                        label(tl, r, brief, b, sizeof b)))
                return 1;
    return 0;
}

static int names_width(const struct tl *tl, int brief)
{
    char lb[96];
    int namew = 8;
    for (int q = 0; q < tl->nqueues; q++) {
        int nw = ui_strwidth(label(tl, q, brief, lb, sizeof lb));
        if (nw > namew)
            namew = nw;
    }
    return namew;
}

/* The task whose memory a queue lives in (a select/poll program's watched
   fds, a process's pending signals), or -1 (a kernel object's queue) */
static int owner_task(const struct tl *tl, int q)
{
    const struct tl_queue *Q = &tl->queues[q];
    if (Q->kind == TQK_SIGNALS)
        return Q->owner;
    if (Q->kind != TQK_INTEREST || Q->owner < 0 || Q->owner >= tl->ntasks)
        return -1;
    /* epoll's interest list belongs to its epoll object */
    if (Q->owner < tl->nobjs && tl->objs[Q->owner].kind == OK_EPOLL &&
        tl->objs[Q->owner].queue == q)
        return -1;
    return Q->owner;
}

/* The terminal's output (a TQK_MSGS queue of the tty) is shown from its
   newest items back, as a screen keeps its last lines */
static int tail_first(const struct tl *tl, int q)
{
    int o = tl->queues[q].owner;
    return tl->queues[q].kind == TQK_MSGS && o >= 0 && o < tl->nobjs &&
           tl->objs[o].kind == OK_TTY;
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    struct rect in = view_frame(v, cb, r, "Queues", focus);
    if (in.h <= 0)
        return;
    char lb[96];
    int brief = 0, namew = names_width(tl, 0);
    if (namew > in.w * 2 / 5) {
        brief = ambiguous(tl, 1) ? 2 : 1;
        namew = names_width(tl, brief);
    }
    if (namew > in.w * 11 / 20)
        namew = in.w * 11 / 20;
    int list[tl->nqueues > 0 ? tl->nqueues : 1];
    int nq = shown(v, in.h, list), si = 0;
    for (int i = 0; i < nq; i++)
        if (list[i] == v->sel_queue)
            si = i;
    /* unless the user moves in the panel, the first queue the last move
       changed comes into view (a SemLock's word below the fold) */
    for (int i = 0; !focus && i < nq; i++)
        if (viewer_queue_changed(v, list[i])) {
            si = i >= in.h ? i : si;
            break;
        }
    int first = si >= in.h ? si - in.h + 1 : 0;
    for (int row = 0; row < in.h && first + row < nq; row++) {
        int q = list[first + row], y = in.y + row;
        int sel = q == v->sel_queue;
        cb_text(cb, in.x + 1, y, namew, label(tl, q, brief, lb, sizeof lb),
                sel && focus ? R_CURSOR : sel ? R_SELECTED
                : viewer_queue_changed(v, q) ? R_CHANGED : R_DEFAULT);
        int x = in.x + namew + 2, end = in.x + in.w;
        int n = q < w->nqueues ? w->queues[q].n : 0;
        int owner = owner_task(tl, q);
        if (owner >= 0 && owner < w->ntasks && w->tasks[owner].state == TS_EXITED) {
            /* a program's own fd set or pending signals: gone with it */
            cb_text(cb, x, y, end - x, "(gone: its process exited)", R_DIM);
            continue;
        }
        if (n == 0) {
            cb_text(cb, x, y, end - x, "(empty)", R_DIM);
            continue;
        }
        int i0 = 0;
        if (tail_first(tl, q)) { /* the terminal: what is on screen last */
            int room = end - x - 6;
            for (i0 = n; i0 > 0; i0--) {
                char b[96];
                tl_qitem_text(b, sizeof b, tl, q, w->queues[q].items[i0 - 1]);
                if ((room -= ui_strwidth(b) + 3) < 0)
                    break;
            }
            if (i0 > 0) {
                char more[24];
                snprintf(more, sizeof more, "%d+", i0);
                cb_text(cb, x, y, end - x, more, R_DIM);
                x += (int)strlen(more) + 1;
            }
        }
        for (int i = i0; i < n; i++) {
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
            int64_t it = w->queues[q].items[i];
            cb_text(cb, x + 1, y, bw, b,
                    viewer_item_changed(v, q, it) ? R_CHANGED
                    : tl->queues[q].kind == TQK_RUN ? R_READY : R_KEY);
            cb_put(cb, x + 1 + bw, y, ']', R_DIM);
            x += bw + 3;
        }
    }
    if (first + in.h < nq)
        cb_put(cb, in.x + in.w - 1, in.y + in.h - 1, cb_glyph(cb, G_ARROW_D), R_DIM);
    /* queues out of view, on the frame (Tab, then j/k reaches them) */
    int hidden = tl->nqueues - (nq < in.h ? nq : in.h);
    if (hidden > 0) {
        char b[48];
        snprintf(b, sizeof b, " +%d more ", hidden);
        cb_text_right(cb, r.x, r.y + r.h - 1, r.w - 2, b, R_HINT);
    }
}

const struct view_ops view_queues = { "queues", 3, want, draw, NULL, core };
