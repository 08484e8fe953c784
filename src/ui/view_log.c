/*
 * view_log.c - the last events up to the cursor, one line each in the
 * spirit of strace: time (seconds), task, what happened.  The current event
 * (the last one applied) is the bottom line, marked.
 */
#include <stdio.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/view.h"

static int want(const struct viewer *v, int w)
{
    (void)v, (void)w;
    return 8;
}

static int is_marked(const struct viewer *v, long pos)
{
    for (int i = 0; i < v->nmarks; i++)
        if (v->marks[i] == pos)
            return 1;
    return 0;
}

/* A syscall's return that does not fit keeps its result, which is what a
 * caption names ("= -1 EBADF", epoll_wait's "= 1"): first its duration
 * goes, then the middle of its arguments, then an errno's explanation */
static void draw_return(struct cbuf *cb, int x, int y, int w, char *txt,
                        int role);

/* A wait status, "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]", is what a
   wait4 line is about: when the line is too wide, keep the call's name and
   the status from its last test on, "wait4 …WEXITSTATUS(s) == 3}], 0,
   NULL) = 1001", or from its value, "wait4 …== 3}], 0, NULL) = 1001".
   Returns 0 (nothing drawn) when the line fits or has no status. */
static int draw_status(struct cbuf *cb, int x, int y, int w, char *txt,
                       int role)
{
    char *st = strstr(txt, "[{W");
    char *end = st ? strstr(st, "}]") : NULL;
    char *cmp = NULL;
    if (!end || ui_strwidth(txt) <= w)
        return 0;
    for (char *q = st; (q = strstr(q, "== ")) && q < end; q++)
        cmp = q;
    char *test = cmp; /* "WEXITSTATUS(s) == 3}]..." if it fits */
    while (test && test > st + 2 && strncmp(test - 3, "&& ", 3))
        test--;
    const char *name = txt;
    size_t nl;
    if (!strncmp(txt, "<... ", 5)) /* "<... wait4 resumed>" */
        nl = strcspn(name += 5, " ");
    else
        nl = strcspn(txt, "(");
    if (!cmp || nl == 0 || nl > 20)
        return 0;
    char head[32];
    snprintf(head, sizeof head, "%.*s ", (int)nl, name);
    int hw = cb_text(cb, x, y, w, head, role);
    if (test && hw + 1 + ui_strwidth(test) <= w)
        cmp = test;
    if (hw < w)
        cb_put(cb, x + hw++, y, cb_glyph(cb, G_ELLIPSIS), role);
    draw_return(cb, x + hw, y, w - hw, cmp, role);
    return 1;
}

static void draw_return(struct cbuf *cb, int x, int y, int w, char *txt, int role)
{
    size_t n = strlen(txt);
    if (ui_strwidth(txt) > w && n > 2 && txt[n - 1] == '>') {
        char *d = strrchr(txt, '<'); /* " <0.000000100>" */
        if (d && d > txt && d[-1] == ' ' && d[1] >= '0' && d[1] <= '9')
            d[-1] = 0;
    }
    if (draw_status(cb, x, y, w, txt, role))
        return;
    char *res = strstr(txt, " = ");
    for (char *q = res; q; q = strstr(q + 1, " = "))
        res = q; /* the last one */
    int tw = res ? ui_strwidth(res) : 0;
    if (tw > w / 2) { /* " = -1 EBADF (Bad file descriptor)" */
        char *paren = strstr(res, " (");
        if (paren && res[3] == '-')
            *paren = 0;
        tw = ui_strwidth(res);
    }
    if (!res || ui_strwidth(txt) <= w || tw > w / 2 || res == txt) {
        cb_text(cb, x, y, w, txt, role);
        return;
    }
    char tail[128];
    snprintf(tail, sizeof tail, "%s", res);
    *res = 0;
    int hw = cb_text(cb, x, y, w - tw, txt, role);
    cb_text(cb, x + hw, y, tw, tail, role);
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    struct rect in = view_frame(v, cb, r, "Events (strace-style)", focus);
    if (in.h <= 0)
        return;
    long pos = viewer_pos(v);
    long first = pos - in.h;
    if (first < 0)
        first = 0;
    int namew = 6;
    for (int i = 0; i < tl->ntasks && i < 2000; i++) {
        int nw = ui_strwidth(tl->tasks[i].name);
        if (nw > namew)
            namew = nw;
    }
    if (namew > 10)
        namew = 10;
    if (pos == 0)
        cb_text(cb, in.x + 1, in.y, in.w - 2,
                "(no event yet: Right or l applies the first)", R_HINT);
    for (long i = first; i < pos; i++) {
        const struct tl_ev *e = &tl->ev[i];
        int y = in.y + (int)(i - first);
        char txt[512];
        int role = ui_ev_text(tl, i, txt, sizeof txt);
        int cur = i == pos - 1;
        if (is_marked(v, i + 1))
            cb_put(cb, in.x, y, cb_glyph(cb, G_MARK), R_BOOKMARK);
        else if (cur)
            cb_put(cb, in.x, y, cb_glyph(cb, G_PLAY), R_CURSOR);
        else if (i >= v->chg_from) /* the rest of the last move (a step) */
            cb_put(cb, in.x, y, cb_glyph(cb, G_VLINE), R_CHANGED);
        int x = in.x + 1;
        if (in.w >= 60)
            x += cb_textf(cb, x, y, 9, cur ? R_CURSOR : R_LOG_NOTE, "%2lld.%06lld",
                      (long long)(e->t / 1000000000),
                      (long long)(e->t % 1000000000 / 1000)) + 1;
        const char *name = e->task < tl->ntasks ? tl->tasks[e->task].name : "";
        cb_name(cb, x, y, namew, name,
                e->task == v->sel_task ? R_SELECTED : R_DEFAULT);
        x += namew + 1;
        if (e->type == EV_SYSCALL)
            draw_return(cb, x, y, in.x + in.w - x, txt, role);
        else
            cb_text(cb, x, y, in.x + in.w - x, txt, role);
    }
}

/* A click on a line goes to that event (the screen after it) */
static int click(struct viewer *v, struct rect r, int x, int y)
{
    (void)x;
    int h = r.h - 2;
    long pos = viewer_pos(v);
    long first = pos - h < 0 ? 0 : pos - h;
    long i = first + (y - (r.y + 1));
    if (h <= 0 || y < r.y + 1 || i < first || i >= pos)
        return 0;
    viewer_seek(v, i + 1);
    viewer_msg(v, "Event %ld (i shows its whole text)", i + 1);
    return UI_HANDLED | UI_REDRAW;
}

const struct view_ops view_log = { "log", 3, want, draw, click, NULL };
