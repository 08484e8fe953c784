/*
 * actions.c - what each action does to a viewer, and key dispatch.
 *
 * Every handler returns a UI_* bitmask (keys.h); none touches a terminal.
 * Seeking backwards costs the same as forwards (wcur_seek restores a
 * checkpoint and replays at most c->every events).  The searches that scan
 * events (next event of a task, next change of an fd, text search) stop at
 * the first match; the worst case is one pass over the timeline.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/pair.h"
#include "ui/view.h"
#include "ui/viewer.h"

static const int speeds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024,
                              4096, 16384, 65536 };
#define NSPEEDS ((int)(sizeof speeds / sizeof *speeds))

int ui_speed_rate(int s)
{
    return speeds[s < 0 ? 0 : s >= NSPEEDS ? NSPEEDS - 1 : s];
}

static long nev(const struct viewer *v)
{
    return (long)v->tl->nev;
}

static int go(struct viewer *v, long pos)
{
    if (viewer_seek(v, pos))
        viewer_msg(v, "Out of memory while seeking");
    return UI_HANDLED | UI_REDRAW;
}

/* ---- captions ----------------------------------------------------------- */

/* first k with stops[k] > pos: the next step */
static long stop_after(const struct viewer *v, long pos)
{
    long lo = 0, hi = v->ncaps;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (v->stops[mid] <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int step_go(struct viewer *v, long k)
{
    if (viewer_goto_step(v, k))
        viewer_msg(v, "Out of memory while seeking");
    return UI_HANDLED | UI_REDRAW;
}

static int next_caption(struct viewer *v)
{
    long k = stop_after(v, viewer_pos(v));
    if (k < v->ncaps)
        return step_go(v, k);
    if (viewer_pos(v) < nev(v)) {
        viewer_msg(v, "No more captions: this is the end of the timeline");
        return go(v, nev(v));
    }
    viewer_msg(v, "At the end of the timeline: g goes back to the start");
    return UI_HANDLED | UI_REDRAW;
}

static int prev_caption(struct viewer *v)
{
    /* the last step that stops before the position */
    long k = stop_after(v, viewer_pos(v) - 1) - 1;
    if (k >= 0)
        return step_go(v, k);
    if (viewer_pos(v) == 0)
        viewer_msg(v, "At the start of the timeline");
    return go(v, 0);
}

/* ---- scans -------------------------------------------------------------- */

typedef int (*ev_pred)(const struct viewer *v, const struct tl_ev *e, long i,
                       const void *arg);

/* Move to just after the next (dir > 0) or previous matching event */
static int scan(struct viewer *v, int dir, ev_pred pred, const void *arg,
                const char *none)
{
    const struct tl *tl = v->tl;
    long pos = viewer_pos(v);
    if (dir > 0) {
        for (long i = pos; i < nev(v); i++)
            if (pred(v, &tl->ev[i], i, arg))
                return go(v, i + 1);
    } else {
        for (long i = pos - 2; i >= 0; i--)
            if (pred(v, &tl->ev[i], i, arg))
                return go(v, i + 1);
    }
    viewer_msg(v, "%s", none);
    return UI_HANDLED | UI_REDRAW;
}

static int is_task_ev(const struct viewer *v, const struct tl_ev *e, long i,
                      const void *arg)
{
    (void)v, (void)i, (void)arg;
    return e->task == v->sel_task;
}

struct fd_sel {
    int proc, fd, obj;
};

static int is_fd_change(const struct viewer *v, const struct tl_ev *e, long i,
                        const void *arg)
{
    const struct fd_sel *s = arg;
    (void)v, (void)i;
    switch (e->type) {
    case EV_FD_OPEN:
    case EV_FD_CLOSE:
        return e->task == s->proc && e->a == s->fd;
    case EV_FLAGS:
    case EV_OBJ_SET:
    case EV_DATA:
        return e->obj == s->obj || (s->obj >= 0 && e->b == s->obj);
    case EV_COPY:
    case EV_EOF:
    case EV_OBJ_FREE:
        return e->obj == s->obj;
    default:
        return 0;
    }
}

static int is_queue_change(const struct viewer *v, const struct tl_ev *e,
                           long i, const void *arg)
{
    int q = *(const int *)arg;
    (void)i;
    if (e->type == EV_QUEUE)
        return e->obj == q;
    /* the run queue follows the tasks' state changes */
    if (e->type == EV_STATE && q >= 0 && q < v->tl->nqueues &&
        v->tl->queues[q].kind == TQK_RUN) {
        if (e->sub == TS_READY && tl_run_queue(v->tl, e->a) == q)
            return 1;
        /* leaving READY (or moving to another CPU's queue): the state
           before this event, in that queue */
        long j = e->task < v->tl->ntasks
                     ? viewer_state_ev_at(v, e->task, e->t, i) : -1;
        return j >= 0 && v->tl->ev[j].sub == TS_READY &&
               tl_run_queue(v->tl, v->tl->ev[j].a) == q;
    }
    return 0;
}

static int sel_proc(const struct viewer *v)
{
    if (v->sel_task < 0 || v->sel_task >= v->tl->ntasks)
        return -1;
    return v->tl->tasks[v->sel_task].proc;
}

static int next_change(struct viewer *v, int dir)
{
    if (v->focus == V_QUEUES && v->sel_queue >= 0)
        return scan(v, dir, is_queue_change, &v->sel_queue,
                    dir > 0 ? "No later change of this queue"
                            : "No earlier change of this queue");
    if (v->sel_fd < 0) {
        viewer_msg(v, "Select an fd first: Tab to the fd table, then j/k");
        return UI_HANDLED | UI_REDRAW;
    }
    struct fd_sel s = { sel_proc(v), v->sel_fd, -1 };
    s.obj = world_fd_obj(&v->cur.w, s.proc, s.fd);
    return scan(v, dir, is_fd_change, &s,
                dir > 0 ? "No later change of this fd"
                        : "No earlier change of this fd");
}

/* ---- search ------------------------------------------------------------- */

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return 1;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

static int is_match(const struct viewer *v, const struct tl_ev *e, long i,
                    const void *arg)
{
    char buf[512];
    const char *pat = arg;
    if (e->task < v->tl->ntasks && contains_ci(v->tl->tasks[e->task].name, pat))
        return 1;
    ui_ev_text(v->tl, i, buf, sizeof buf);
    return contains_ci(buf, pat);
}

static int search(struct viewer *v, int dir)
{
    if (!v->search[0]) {
        viewer_msg(v, "No search yet: press / and type a text");
        return UI_HANDLED | UI_REDRAW;
    }
    char none[200];
    snprintf(none, sizeof none, "Not found %s: %.100s",
             dir > 0 ? "after this event" : "before this event", v->search);
    return scan(v, dir, is_match, v->search, none);
}

/* ---- bookmarks ---------------------------------------------------------- */

static int bookmark_toggle(struct viewer *v)
{
    long pos = viewer_pos(v);
    int i = 0;
    while (i < v->nmarks && v->marks[i] < pos)
        i++;
    if (i < v->nmarks && v->marks[i] == pos) {
        memmove(&v->marks[i], &v->marks[i + 1],
                (size_t)(v->nmarks - i - 1) * sizeof *v->marks);
        v->nmarks--;
        viewer_msg(v, "Bookmark at event %ld removed", pos);
        return UI_HANDLED | UI_REDRAW;
    }
    if (v->nmarks == v->markcap) {
        int ncap = v->markcap ? v->markcap * 2 : 8;
        long *m = realloc(v->marks, (size_t)ncap * sizeof *m);
        if (!m) {
            viewer_msg(v, "Out of memory");
            return UI_HANDLED | UI_REDRAW;
        }
        v->marks = m;
        v->markcap = ncap;
    }
    memmove(&v->marks[i + 1], &v->marks[i],
            (size_t)(v->nmarks - i) * sizeof *v->marks);
    v->marks[i] = pos;
    v->nmarks++;
    viewer_msg(v, "Bookmark set at event %ld (' and \" jump between bookmarks)",
               pos);
    return UI_HANDLED | UI_REDRAW;
}

static int bookmark_jump(struct viewer *v, int dir)
{
    long pos = viewer_pos(v);
    if (v->nmarks == 0) {
        viewer_msg(v, "No bookmarks: m sets one at the current event");
        return UI_HANDLED | UI_REDRAW;
    }
    if (dir > 0) {
        for (int i = 0; i < v->nmarks; i++)
            if (v->marks[i] > pos)
                return go(v, v->marks[i]);
        viewer_msg(v, "Wrapped to the first bookmark");
        return go(v, v->marks[0]);
    }
    for (int i = v->nmarks - 1; i >= 0; i--)
        if (v->marks[i] < pos)
            return go(v, v->marks[i]);
    viewer_msg(v, "Wrapped to the last bookmark");
    return go(v, v->marks[v->nmarks - 1]);
}

/* ---- selection and focus ------------------------------------------------ */

static const struct w_proc *sel_fds(const struct viewer *v)
{
    int proc = sel_proc(v);
    const struct world *w = &v->cur.w;
    return proc >= 0 && proc < w->ntasks ? &w->procs[proc] : NULL;
}

/*
 * The fd table shows consecutive fds on one object as one row ("0-2 tty
 * #0"), and selection moves by rows: a row is selected by its first fd.
 */
static int row_start(const struct w_proc *p, int fd)
{
    while (fd > 0 && p->fds[fd - 1].obj == p->fds[fd].obj)
        fd--;
    return fd;
}

/* The first fd of the next (dir 1) or previous (dir -1) row from fd's */
static int fd_step(const struct viewer *v, int fd, int dir)
{
    const struct w_proc *p = sel_fds(v);
    if (!p || fd < 0 || fd >= p->nfds || p->fds[fd].obj < 0)
        return -1;
    int ob = p->fds[fd].obj;
    if (dir > 0) {
        while (fd < p->nfds && p->fds[fd].obj == ob)
            fd++;
        while (fd < p->nfds && p->fds[fd].obj < 0)
            fd++;
        return fd < p->nfds ? fd : -1;
    }
    fd = row_start(p, fd) - 1;
    while (fd >= 0 && p->fds[fd].obj < 0)
        fd--;
    return fd >= 0 ? row_start(p, fd) : -1;
}

/* Where a selection in the fd table starts: the first fd that is not a
   terminal (the table is about sockets, pipes, epoll...), else fd 0's row */
static int first_fd(const struct viewer *v)
{
    const struct w_proc *p = sel_fds(v);
    if (!p)
        return -1;
    const struct world *w = &v->cur.w;
    int any = -1;
    for (int fd = 0; fd < p->nfds; fd++) {
        int ob = p->fds[fd].obj;
        if (ob < 0)
            continue;
        if (any < 0)
            any = fd;
        if (ob >= w->nobjs || w->objs[ob].kind != OK_TTY)
            return fd;
    }
    return any;
}

static int select_move(struct viewer *v, int dir)
{
    int n = v->tl->ntasks;
    if (v->focus == V_FDS) {
        int fd = fd_step(v, v->sel_fd, dir);
        if (fd >= 0)
            v->sel_fd = fd;
        else if (v->sel_fd < 0 || world_fd_obj(&v->cur.w, sel_proc(v), v->sel_fd) < 0)
            v->sel_fd = first_fd(v);
        return UI_HANDLED | UI_REDRAW;
    }
    if (v->focus == V_QUEUES) {
        int q = viewer_queue_index(v, v->sel_queue) + dir;
        if (q >= 0 && q < v->tl->nqueues)
            v->sel_queue = v->qorder[q];
        return UI_HANDLED | UI_REDRAW;
    }
    if (n == 0)
        return UI_HANDLED;
    int i = viewer_order_index(v, v->sel_task) + dir;
    if (i < 0)
        i = 0;
    if (i >= n)
        i = n - 1;
    if (v->order[i] != v->sel_task) {
        v->sel_task = v->order[i];
        v->sel_fd = -1;
    }
    return UI_HANDLED | UI_REDRAW;
}

static const int focusable[] = { V_TASKS, V_FDS, V_QUEUES };
#define NFOCUS ((int)(sizeof focusable / sizeof *focusable))

static int is_placed(const struct viewer *v, int view)
{
    if (v->nplaced == 0)
        return 1; /* no layout yet: every view counts */
    for (int i = 0; i < v->nplaced; i++)
        if (v->placed[i].view == view)
            return 1;
    return 0;
}

static int focus_move(struct viewer *v, int dir)
{
    int cur = 0;
    for (int i = 0; i < NFOCUS; i++)
        if (focusable[i] == v->focus)
            cur = i;
    for (int k = 1; k <= NFOCUS; k++) {
        int f = focusable[((cur + dir * k) % NFOCUS + NFOCUS) % NFOCUS];
        if (is_placed(v, f)) {
            v->focus = f;
            break;
        }
    }
    if (v->focus == V_FDS && (v->sel_fd < 0 ||
        world_fd_obj(&v->cur.w, sel_proc(v), v->sel_fd) < 0))
        v->sel_fd = first_fd(v);
    if (v->focus == V_QUEUES && v->sel_queue < 0 && v->tl->nqueues > 0)
        v->sel_queue = v->qorder[0];
    return UI_HANDLED | UI_REDRAW;
}

/* ---- prompt ------------------------------------------------------------- */

/* ":fd 1101": select that fd of the selected task's process */
static int goto_fd(struct viewer *v, const char *s)
{
    char *end;
    long fd = strtol(s, &end, 10);
    const struct w_proc *p = sel_fds(v);
    if (end == s || *end || fd < 0) {
        viewer_msg(v, "Not an fd number: %.60s", s);
        return UI_HANDLED | UI_REDRAW;
    }
    if (!p || fd >= p->nfds || p->fds[fd].obj < 0) {
        viewer_msg(v, "fd %ld is not open in %s's fd table at this event", fd,
                   v->sel_task >= 0 ? v->tl->tasks[v->sel_task].name : "?");
        return UI_HANDLED | UI_REDRAW;
    }
    v->sel_fd = row_start(p, (int)fd);
    v->focus = V_FDS;
    viewer_msg(v, "fd %ld selected (j/k move, Tab leaves the fd table)", fd);
    return UI_HANDLED | UI_REDRAW;
}

/* ":task client5000", ":task 3": by name, by the number ending its name,
   or by its place in the tasks panel (1 = the first) */
static int goto_task(struct viewer *v, const char *s)
{
    const struct tl *tl = v->tl;
    int found = -1;
    for (int t = 0; t < tl->ntasks && found < 0; t++)
        if (!strcmp(tl->tasks[t].name, s))
            found = t;
    char *end;
    long n = strtol(s, &end, 10);
    int num = end != s && !*end && n >= 0;
    size_t ls = strlen(s);
    for (int t = 0; num && t < tl->ntasks && found < 0; t++) {
        const char *nm = tl->tasks[t].name;
        size_t ln = strlen(nm);
        if (ln > ls && !strcmp(nm + ln - ls, s) &&
            !(nm[ln - ls - 1] >= '0' && nm[ln - ls - 1] <= '9'))
            found = t;
    }
    if (found < 0 && num && n >= 1 && n <= tl->ntasks)
        found = v->order[n - 1];
    if (found < 0) {
        viewer_msg(v, "No task named or numbered %.60s", s);
        return UI_HANDLED | UI_REDRAW;
    }
    v->sel_task = found;
    v->sel_fd = -1;
    v->focus = V_TASKS;
    viewer_msg(v, "Task %s selected", tl->tasks[found].name);
    return UI_HANDLED | UI_REDRAW;
}

static int goto_input(struct viewer *v, const char *s)
{
    while (*s == ' ')
        s++;
    if (!*s)
        return UI_HANDLED | UI_REDRAW; /* nothing typed: nothing to do */
    if (!strncmp(s, "fd ", 3) || !strncmp(s, "task ", 5) || !strncmp(s, "t ", 2)) {
        const char *a = strchr(s, ' ');
        while (*a == ' ')
            a++;
        char arg[100];
        snprintf(arg, sizeof arg, "%s", a);
        size_t k = strlen(arg);
        while (k > 0 && arg[k - 1] == ' ')
            arg[--k] = 0;
        return s[0] == 'f' ? goto_fd(v, arg) : goto_task(v, arg);
    }
    int64_t t = ui_parse_time(s);
    if (t >= 0) {
        char b[40], e[40];
        long pos = viewer_pos_at_time(v, t);
        if (t > v->t_end)
            viewer_msg(v, "At time %s: past the end of the timeline (%s), event %ld",
                       tl_time_text(b, sizeof b, t), tl_time_text(e, sizeof e, v->t_end),
                       pos);
        else
            viewer_msg(v, "At time %s: event %ld", tl_time_text(b, sizeof b, t), pos);
        return go(v, pos);
    }
    char *end;
    long n = strtol(s, &end, 10);
    while (*end == ' ')
        end++;
    if (end != s && !*end && n >= 0) {
        if (n > nev(v))
            viewer_msg(v, "There are %ld events: went to the last one", nev(v));
        return go(v, n);
    }
    viewer_msg(v, "Not an event number, a time, fd N or task NAME (try 120, 5ms, fd 4): %.60s", s);
    return UI_HANDLED | UI_REDRAW;
}

static int prompt_key(struct viewer *v, int key)
{
    size_t n = strlen(v->input);
    if (key == UK_ESC) {
        v->prompt = P_NONE;
        return UI_HANDLED | UI_REDRAW;
    }
    if (key == '\n' || key == '\r') {
        int kind = v->prompt;
        v->prompt = P_NONE;
        if (kind == P_GOTO)
            return goto_input(v, v->input);
        if (v->input[0])
            snprintf(v->search, sizeof v->search, "%s", v->input);
        return search(v, 1);
    }
    if (key == UK_BACKSPACE || key == 127 || key == 8) {
        if (n == 0)
            return UI_HANDLED; /* nothing to erase: Esc cancels */
        while (n > 0 && ((unsigned char)v->input[n - 1] & 0xc0) == 0x80)
            n--;
        v->input[n > 0 ? n - 1 : 0] = 0;
        return UI_HANDLED | UI_REDRAW;
    }
    if (key == UK_CTRL('u')) {
        v->input[0] = 0;
        return UI_HANDLED | UI_REDRAW;
    }
    if (key >= 32 && key < UK_BASE && key != 127) {
        char u[4];
        int k = ui_utf8_enc((uint32_t)key, u);
        if (n + (size_t)k < sizeof v->input) {
            memcpy(v->input + n, u, (size_t)k);
            v->input[n + (size_t)k] = 0;
        }
        return UI_HANDLED | UI_REDRAW;
    }
    return UI_HANDLED;
}

/* ---- side by side -------------------------------------------------------- */

static int pair_move(struct viewer *v, int dir)
{
    struct ui_pair *p = v->pair;
    long d = p->row + dir;
    if (d < 0 || d >= p->n) {
        viewer_msg(v, d < 0 ? "At the first call" : "At the last call");
        return UI_HANDLED | UI_REDRAW;
    }
    if (ui_pair_goto_row(p, d))
        viewer_msg(v, "Out of memory while seeking");
    return UI_HANDLED | UI_REDRAW;
}

static int divergence(struct viewer *v, int dir)
{
    struct ui_pair *p = v->pair;
    if (!p) {
        viewer_msg(v, "Divergences are marked side by side: s shows the "
                   "simulation beside the real run");
        return UI_HANDLED | UI_REDRAW;
    }
    if (p->ndiv == 0) {
        viewer_msg(v, "No divergence: the simulation and the real run agree");
        return UI_HANDLED | UI_REDRAW;
    }
    long d = ui_pair_next_div(p, p->row, dir);
    if (d < 0) {
        viewer_msg(v, dir > 0 ? "No later divergence (D goes back)"
                              : "No earlier divergence (d goes on)");
        return UI_HANDLED | UI_REDRAW;
    }
    long k = 0;
    for (long e = 0; e <= d; e++)
        k += real_compare_diverges(ui_pair_at(p, e));
    if (ui_pair_goto_row(p, d))
        viewer_msg(v, "Out of memory while seeking");
    else
        viewer_msg(v, "Divergence %ld of %ld (i shows the whole caption)", k,
                   p->ndiv);
    return UI_HANDLED | UI_REDRAW;
}

/* ---- dispatch ----------------------------------------------------------- */

int ui_act(struct viewer *v, int a)
{
    long pos = viewer_pos(v);
    switch (a) {
    case A_NEXT_EVENT:
        if (pos >= nev(v)) {
            viewer_msg(v, "At the last event");
            return UI_HANDLED | UI_REDRAW;
        }
        return go(v, pos + 1);
    case A_PREV_EVENT:
        if (pos == 0) {
            viewer_msg(v, "At the start: no event before");
            return UI_HANDLED | UI_REDRAW;
        }
        return go(v, pos - 1);
    case A_NEXT_CAPTION:
        return next_caption(v);
    case A_PREV_CAPTION:
        return prev_caption(v);
    case A_NEXT_TASK_EVENT:
    case A_PREV_TASK_EVENT:
        if (v->sel_task < 0)
            return UI_HANDLED;
        return scan(v, a == A_NEXT_TASK_EVENT ? 1 : -1, is_task_ev, NULL,
                    a == A_NEXT_TASK_EVENT ? "No later event of this task"
                                           : "No earlier event of this task");
    case A_NEXT_CHANGE:
        return next_change(v, 1);
    case A_PREV_CHANGE:
        return next_change(v, -1);
    case A_START:
        return go(v, 0);
    case A_END:
        return go(v, nev(v));
    case A_GOTO:
        v->prompt = P_GOTO;
        v->input[0] = 0;
        return UI_HANDLED | UI_REDRAW;
    case A_SEARCH:
        v->prompt = P_SEARCH;
        v->input[0] = 0;
        return UI_HANDLED | UI_REDRAW;
    case A_SEARCH_NEXT:
        return search(v, 1);
    case A_SEARCH_PREV:
        return search(v, -1);
    case A_PLAY:
    case A_PLAY_THROUGH:
        v->playing = !v->playing;
        v->play_through = a == A_PLAY_THROUGH;
        if (v->playing && pos >= nev(v))
            go(v, 0);
        if (v->playing)
            viewer_msg(v, "Playing at %d events/s%s (+/- to change, p to pause)",
                       ui_speed_rate(v->speed),
                       v->play_through ? " without stopping" : ", stopping at each step");
        else
            viewer_msg(v, "Paused");
        return UI_HANDLED | UI_REDRAW;
    case A_INFO:
        v->info = !v->info;
        return UI_HANDLED | UI_REDRAW;
    case A_FASTER:
    case A_SLOWER:
        v->speed += a == A_FASTER ? 1 : -1;
        if (v->speed < 0)
            v->speed = 0;
        if (v->speed >= NSPEEDS)
            v->speed = NSPEEDS - 1;
        viewer_msg(v, "Speed: %d events/s", ui_speed_rate(v->speed));
        return UI_HANDLED | UI_REDRAW;
    case A_SEL_DOWN:
    case A_SEL_UP:
        if (v->pair)
            return pair_move(v, a == A_SEL_DOWN ? 1 : -1);
        return select_move(v, a == A_SEL_DOWN ? 1 : -1);
    case A_FOCUS_NEXT:
    case A_FOCUS_PREV:
        if (v->pair) {
            viewer_msg(v, "Side by side, j/k move through the calls; s shows "
                       "one run alone, with its fd table and queues");
            return UI_HANDLED | UI_REDRAW;
        }
        return focus_move(v, a == A_FOCUS_NEXT ? 1 : -1);
    case A_BOOKMARK:
        return bookmark_toggle(v);
    case A_NEXT_BOOKMARK:
        return bookmark_jump(v, 1);
    case A_PREV_BOOKMARK:
        return bookmark_jump(v, -1);
    case A_ZOOM_IN:
        if (v->zoom < 40)
            v->zoom++;
        return UI_HANDLED | UI_REDRAW;
    case A_ZOOM_OUT:
        if (v->zoom > 0)
            v->zoom--;
        return UI_HANDLED | UI_REDRAW;
    case A_SIDE_BY_SIDE:
        if (v->pair || v->has_other || v->can_real)
            return UI_HANDLED | UI_PAIR;
        viewer_msg(v, "Only a scenario runs for real: this timeline was "
                   "recorded, with no simulation to set beside it");
        return UI_HANDLED | UI_REDRAW;
    case A_NEXT_DIVERGENCE:
    case A_PREV_DIVERGENCE:
        return divergence(v, a == A_NEXT_DIVERGENCE ? 1 : -1);
    case A_OTHER_RUN:
        if (v->pair) {
            viewer_msg(v, "Both runs are on screen: s shows one alone, and r "
                       "then switches between them");
            return UI_HANDLED | UI_REDRAW;
        }
        if (v->has_other)
            return UI_HANDLED | UI_OTHER;
        viewer_msg(v, "Run iosim --real to see this scenario run for real "
                   "beside its simulation");
        return UI_HANDLED | UI_REDRAW;
    case A_HELP:
        v->help = !v->help;
        v->help_top = 0;
        return UI_HANDLED | UI_REDRAW;
    case A_CANCEL:
        v->help = 0;
        v->info = 0;
        v->prompt = P_NONE;
        v->msg[0] = 0;
        return UI_HANDLED | UI_REDRAW;
    case A_REDRAW:
        return UI_HANDLED | UI_REDRAW | UI_FULL;
    case A_QUIT:
        return UI_HANDLED | UI_QUIT;
    default:
        return 0;
    }
}

static int click(struct viewer *v, int x, int y)
{
    for (int i = 0; i < v->nplaced; i++) {
        struct rect r = v->placed[i].r;
        const struct view_ops *ops = ui_views[v->placed[i].view];
        if (v->placed[i].side) /* the real run's panels, side by side */
            continue;
        if (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h && ops->click)
            return ops->click(v, r, x, y);
    }
    return 0;
}

static int key(struct viewer *v, int key);

/* Side by side, the real run follows every move of the simulation */
int ui_key(struct viewer *v, int k)
{
    if (!v->pair)
        return key(v, k);
    long from = viewer_pos(v);
    v->pair->jumped = 0;
    int r = key(v, k);
    ui_pair_follow(v->pair, from);
    return r;
}

static int key(struct viewer *v, int key)
{
    if (key == UK_RESIZE)
        return UI_HANDLED | UI_REDRAW | UI_FULL;
    if (v->prompt != P_NONE)
        return prompt_key(v, key);
    if (key == UK_MOUSE)
        return click(v, v->mouse_x, v->mouse_y);
    int a = ui_key_action(key);
    if (v->info && a != A_NEXT_EVENT && a != A_PREV_EVENT &&
        a != A_NEXT_CAPTION && a != A_PREV_CAPTION) {
        v->info = 0; /* any other key closes the box */
        return UI_HANDLED | UI_REDRAW | (a == A_QUIT ? UI_QUIT : 0);
    }
    if (v->help) {
        if (a == A_SEL_DOWN || key == UK_PGDN) {
            v->help_top += a == A_SEL_DOWN ? 1 : 10;
            return UI_HANDLED | UI_REDRAW;
        }
        if (a == A_SEL_UP || key == UK_PGUP) {
            v->help_top -= a == A_SEL_UP ? 1 : 10;
            if (v->help_top < 0)
                v->help_top = 0;
            return UI_HANDLED | UI_REDRAW;
        }
        if (a == A_HELP || a == A_CANCEL || a == A_QUIT) {
            v->help = 0;
            return UI_HANDLED | UI_REDRAW;
        }
        v->help = 0;
    }
    v->msg[0] = 0;
    if (a == A_NONE) {
        char b[32];
        viewer_msg(v, "Key %s does nothing here: ? shows the keys",
                   ui_key_name(key, b, sizeof b));
        return UI_REDRAW;
    }
    return ui_act(v, a);
}

int ui_play_timeout(const struct viewer *v)
{
    if (!v->playing)
        return -1;
    int rate = ui_speed_rate(v->speed);
    return rate <= 50 ? 1000 / rate : 20;
}

static int tick(struct viewer *v);

int ui_tick(struct viewer *v)
{
    if (!v->pair)
        return tick(v);
    long from = viewer_pos(v);
    v->pair->jumped = 0;
    int r = tick(v);
    ui_pair_follow(v->pair, from);
    return r;
}

static int tick(struct viewer *v)
{
    if (!v->playing)
        return 0;
    int rate = ui_speed_rate(v->speed);
    long step = rate <= 50 ? 1 : rate / 50;
    long from = viewer_pos(v), pos = from + step;
    /* a step of the lesson on the way: stop there, so that its caption
       can be read (P plays through) */
    long k = stop_after(v, from);
    if (!v->play_through && k < v->ncaps && v->stops[k] <= pos) {
        v->playing = 0;
        step_go(v, k);
        viewer_msg(v, "Step %ld: paused at the caption (p plays on, P plays "
                   "without stopping)", k + 1);
        return UI_HANDLED | UI_REDRAW;
    }
    if (pos >= nev(v)) {
        pos = nev(v);
        v->playing = 0;
        viewer_msg(v, "End of the timeline: playback stopped");
    }
    return go(v, pos);
}
