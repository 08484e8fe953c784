/*
 * view_phases.c - the two phases of an input operation, as in Stevens'
 * figures of the five I/O models (UNP, 6.1-6.5): an application column and
 * a kernel column; phase 1 "wait for data", phase 2 "copy data from kernel
 * to user".  It shows the selected task's latest read cycle: the read()
 * (recvfrom()) it is in or last made, with what led up to it in the same
 * wait: select()/poll()/epoll_wait() calls and reads that returned EAGAIN.
 *
 * The cycle is found by scanning the task's events backwards from the
 * cursor, at most SCAN_MAX events, so the cost per frame is bounded.
 */
#include <stdio.h>
#include <string.h>

#include "ui/view.h"

#define SCAN_MAX 200000L
#define MAX_SYS 8
#define MAX_ROWS 64

enum { K_OTHER, K_READ, K_WAIT };

static int sys_kind(int sys)
{
    switch (sys) {
    case SYS_READ:
    case SYS_RECVFROM:
        return K_READ;
    case SYS_SELECT:
    case SYS_POLL:
    case SYS_EPOLL_WAIT:
    case SYS_IO_URING_ENTER:
        return K_WAIT;
    default:
        return K_OTHER;
    }
}

struct row {
    char app[96], ker[96];
    int arole, krole;
    int arrow; /* 1: app -> kernel, -1: kernel -> app, 0 none */
};

struct cycle {
    int appw;        /* width of the application column */
    long start, end; /* events [start, end] */
    int nrows;
    struct row rows[MAX_ROWS];
    char status[128];
    int srole;
};

static int want(const struct viewer *v, int w)
{
    (void)v, (void)w;
    return 8;
}

/* is obj open in the process of task t (at the cursor)? */
static int proc_has(const struct viewer *v, int t, int obj)
{
    const struct world *w = &v->cur.w;
    int p = v->tl->tasks[t].proc;
    if (p < 0 || p >= w->ntasks || obj < 0)
        return 0;
    for (int fd = 0; fd < w->procs[p].nfds; fd++)
        if (w->procs[p].fds[fd].obj == obj)
            return 1;
    return 0;
}

static struct row *add(struct cycle *c)
{
    if (c->nrows == MAX_ROWS) { /* keep the latest rows */
        memmove(&c->rows[0], &c->rows[1], (MAX_ROWS - 1) * sizeof c->rows[0]);
        c->nrows--;
    }
    struct row *r = &c->rows[c->nrows++];
    memset(r, 0, sizeof *r);
    r->arole = R_USER;
    r->krole = R_KERNEL;
    return r;
}

static int find_cycle(const struct viewer *v, int t, struct cycle *c)
{
    const struct tl *tl = v->tl;
    long pos = viewer_pos(v), lim = pos - SCAN_MAX;
    long start = -1, end = -1, ret_idx = -1;
    int64_t ret = 0;
    int nsys = 0;
    for (long i = pos - 1; i >= 0 && i >= lim; i--) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != t)
            continue;
        if (e->type == EV_SYSCALL) {
            ret = e->a;
            ret_idx = i;
            continue;
        }
        if (e->type != EV_SYS_ENTER)
            continue;
        int k = sys_kind(e->sub);
        if (k == K_OTHER) {
            if (start >= 0)
                break;
            ret_idx = -1;
            continue;
        }
        if (start >= 0 && k == K_READ && ret_idx >= 0 && ret >= 0)
            break; /* an earlier read that got data: another cycle */
        if (start < 0)
            end = ret_idx >= 0 ? ret_idx : pos - 1;
        start = i;
        ret_idx = -1;
        if (++nsys >= MAX_SYS)
            break;
    }
    c->start = start;
    c->end = end;
    return start >= 0;
}

static void build_rows(const struct viewer *v, int t, struct cycle *c)
{
    const struct tl *tl = v->tl;
    int cur_sys = -1;
    int phase = 0; /* 1 waiting, 2 copying, 3 done */
    int64_t last_ret = 0;
    int data_ready = 0;
    char b[96];
    for (long i = c->start; i <= c->end; i++) {
        const struct tl_ev *e = &tl->ev[i];
        struct row *r;
        if (e->type == EV_DATA && e->a > 0 && e->task != t) {
            if (!proc_has(v, t, e->obj))
                continue;
            r = add(c);
            snprintf(r->ker, sizeof r->ker, "data ready: %s",
                     view_bytes(e->a, b, sizeof b));
            if (phase == 1)
                data_ready = 1;
            r->krole = R_BYTES;
            continue;
        }
        if (e->task != t)
            continue;
        switch (e->type) {
        case EV_SYS_ENTER:
            cur_sys = e->sub;
            r = add(c);
            if (e->obj >= 0)
                snprintf(r->app, sizeof r->app, "%s(%d, ...)", tl_sys_name(e->sub),
                         (int)e->obj);
            else
                snprintf(r->app, sizeof r->app, "%s(...)", tl_sys_name(e->sub));
            if (ui_strwidth(r->app) > c->appw)
                snprintf(r->app, sizeof r->app, "%s()", tl_sys_name(e->sub));
            snprintf(r->ker, sizeof r->ker, "system call");
            r->arrow = 1;
            phase = 0;
            data_ready = 0;
            break;
        case EV_STATE:
            if (e->sub == TS_BLOCKED) {
                r = add(c);
                snprintf(r->app, sizeof r->app, "blocked");
                r->arole = R_BLOCKED;
                snprintf(r->ker, sizeof r->ker, "wait for data");
                r->krole = R_BLOCKED;
                phase = 1;
            } else if (e->sub == TS_READY && phase == 1) {
                r = add(c);
                snprintf(r->app, sizeof r->app, "woken: ready");
                r->arole = R_READY;
                snprintf(r->ker, sizeof r->ker, "wakes the task");
            }
            break;
        case EV_COPY:
            if (e->sub != TC_TO_USER)
                break;
            r = add(c);
            snprintf(r->ker, sizeof r->ker, "copy %s to user",
                     view_bytes(e->a, b, sizeof b));
            r->krole = R_MOVING;
            phase = 2;
            break;
        case EV_SYSCALL: {
            r = add(c);
            const char *en = tl_errno_name(e->a);
            last_ret = e->a;
            r->arrow = -1;
            if (e->a < 0) {
                snprintf(r->app, sizeof r->app, "returns -1 %s", en ? en : "");
                r->arole = R_LOG_ERR;
                snprintf(r->ker, sizeof r->ker, "no data ready");
            } else if (sys_kind(e->sub) == K_WAIT) {
                snprintf(r->app, sizeof r->app, "returns %lld", (long long)e->a);
                snprintf(r->ker, sizeof r->ker, "%lld fd%s readable",
                         (long long)e->a, e->a == 1 ? "" : "s");
            } else if (e->a == 0) {
                snprintf(r->app, sizeof r->app, "returns 0 (end of file)");
                snprintf(r->ker, sizeof r->ker, "nothing to copy");
            } else {
                snprintf(r->app, sizeof r->app, "returns %lld", (long long)e->a);
                snprintf(r->ker, sizeof r->ker, "copy complete");
            }
            phase = 3;
            cur_sys = e->sub;
            break;
        }
        default:
            break;
        }
    }
    /* where we are now */
    const struct world *w = &v->cur.w;
    int in_sys = t < w->ntasks ? w->tasks[t].sys : -1;
    int st = t < w->ntasks ? w->tasks[t].state : TS_NONE;
    const char *name = tl_sys_name(cur_sys);
    if (phase == 1 && data_ready) {
        snprintf(c->status, sizeof c->status,
                 "Data ready: end of phase 1");
        c->srole = R_BYTES;
    } else if (phase == 1 || (st == TS_BLOCKED && sys_kind(in_sys) != K_OTHER)) {
        snprintf(c->status, sizeof c->status, "Phase 1: waiting for data");
        c->srole = R_BLOCKED;
    } else if (phase == 2) {
        snprintf(c->status, sizeof c->status,
                 "Phase 2: copying data from kernel to user");
        c->srole = R_MOVING;
    } else if (phase == 3 && last_ret < 0) {
        snprintf(c->status, sizeof c->status,
                 "%s() returned EAGAIN: no data yet, try again", name);
        c->srole = R_LOG_ERR;
    } else if (phase == 3 && sys_kind(cur_sys) == K_WAIT) {
        snprintf(c->status, sizeof c->status,
                 "%s() returned: data ready, read() copies it", name);
        c->srole = R_READY;
    } else if (phase == 3) {
        snprintf(c->status, sizeof c->status, "Both phases over: %s() returned %lld",
                 name, (long long)last_ret);
        c->srole = R_RUNNING;
    } else {
        snprintf(c->status, sizeof c->status, "In %s()", name);
        c->srole = R_DEFAULT;
    }
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    int t = v->sel_task;
    char title[96];
    snprintf(title, sizeof title, "Two phases of an input: %s",
             t >= 0 ? v->tl->tasks[t].name : "");
    struct rect in = view_frame(v, cb, r, title, focus);
    if (in.h <= 0 || t < 0)
        return;
    static struct cycle c; /* big; the viewer is single-threaded */
    c.nrows = 0;
    c.status[0] = 0;
    c.srole = R_DEFAULT;
    if (!find_cycle(v, t, &c)) {
        cb_text(cb, in.x + 1, in.y, in.w - 2, "No read() by this task yet.", R_HINT);
        if (in.h > 2)
            cb_text(cb, in.x + 1, in.y + 1, in.w - 2,
                    "Phase 1 of a read waits for data,", R_HINT);
        if (in.h > 3)
            cb_text(cb, in.x + 1, in.y + 2, in.w - 2,
                    "phase 2 copies it to the user.", R_HINT);
        return;
    }
    c.appw = (in.w - 4) * 9 / 20;
    build_rows(v, t, &c);
    cb_text(cb, in.x + 1, in.y, in.w - 2, c.status, c.srole);
    if (in.h < 3)
        return;
    int aw = (in.w - 4) * 9 / 20, kx = in.x + aw + 4;
    int kw = in.x + in.w - kx;
    cb_text(cb, in.x + 1, in.y + 1, aw, "application", R_USER);
    cb_text(cb, kx, in.y + 1, kw, "kernel", R_KERNEL);
    int rows = in.h - 2;
    int first = c.nrows > rows ? c.nrows - rows : 0;
    for (int i = first; i < c.nrows; i++) {
        const struct row *rw = &c.rows[i];
        int y = in.y + 2 + i - first;
        cb_text(cb, in.x + 1, y, aw, rw->app, rw->arole);
        if (rw->arrow > 0) {
            cb_rep(cb, in.x + aw + 1, y, 2, G_HLINE, R_DIM);
            cb_put(cb, in.x + aw + 3, y, cb_glyph(cb, G_TRI_R), R_DIM);
        } else if (rw->arrow < 0) {
            cb_put(cb, in.x + aw + 1, y, cb->ascii ? '<' : 0x25c2, R_DIM);
            cb_rep(cb, in.x + aw + 2, y, 2, G_HLINE, R_DIM);
        } else {
            cb_put(cb, in.x + aw + 2, y, cb_glyph(cb, G_VDOTS), R_DIM);
        }
        cb_text(cb, kx, y, kw, rw->ker, rw->krole);
    }
}

const struct view_ops view_phases = { "phases", 6, want, draw, NULL };
