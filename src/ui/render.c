/*
 * render.c - one screen: layout, every placed view, the help screen and
 * the "terminal too small" screen; and the headless text rendering.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/pair.h"
#include "ui/ui.h"
#include "ui/view.h"

const struct view_ops *const ui_views[V__COUNT] = {
#define X(e, n) [V_##e] = &view_##n,
    UI_VIEWS(X)
#undef X
};

struct rect view_frame(const struct viewer *v, struct cbuf *cb, struct rect r,
                       const char *title, int focus)
{
    char t[160];
    if (v->run_name) { /* side by side: which run the panel shows */
        const char *n = v->run_name;
        if (r.w < 60) /* "Sim", "Real" */
            n = !strcmp(n, "Simulation") ? "Sim" : !strcmp(n, "Real run") ? "Real" : n;
        snprintf(t, sizeof t, "%s: %s", n, title);
        title = t;
    }
    return cb_box(cb, r, title, focus);
}

void view_bar(struct cbuf *cb, int x, int y, int w, int64_t n, int64_t cap,
              int role)
{
    if (w <= 0)
        return;
    int full = 0;
    if (cap > 0 && n > 0) {
        full = (int)((n * w + cap - 1) / cap); /* any byte shows */
        if (full > w)
            full = w;
    }
    cb_rep(cb, x, y, full, G_FULL, role);
    cb_rep(cb, x + full, y, w - full, G_SHADE_L, R_EMPTY);
}

int view_legend(const struct viewer *v, struct cbuf *cb, int x, int y,
                int maxw, int draw)
{
    static const struct {
        int glyph, role;
        const char *name, *brief;
    } st[] = { { G_FULL, R_RUNNING, "running", "run" },
               { G_SHADE_M, R_READY, "ready", "ready" },
               { G_SHADE_L, R_BLOCKED, "blocked", "blocked" },
               { G_SUSP, R_SUSPENDED, "suspended", "susp" } };
    /* "suspended" only matters where there are coroutines */
    size_t nst = sizeof st / sizeof *st - (v->has_coroutines ? 0 : 1);
    for (int brief = 0; brief < 2; brief++) {
        int w = 0;
        for (size_t i = 0; i < nst; i++)
            w += (i ? 1 : 0) + 2 + (int)strlen(brief ? st[i].brief : st[i].name);
        if (w > maxw)
            continue;
        if (draw)
            cb_fill(cb, (struct rect){ x, y, w, 1 }, ' ', R_DEFAULT);
        for (size_t i = 0; draw && i < nst; i++) {
            cb_put(cb, x, y, cb_glyph(cb, st[i].glyph), st[i].role);
            x += 2 + cb_text(cb, x + 2, y, 20, brief ? st[i].brief : st[i].name,
                             st[i].role) + 1;
        }
        return w;
    }
    return 0;
}

const char *view_bytes(int64_t n, char *buf, int len)
{
    long long a = n < 0 ? -(long long)n : (long long)n;
    const char *sg = n < 0 ? "-" : "";
    if (a < 1024)
        snprintf(buf, (size_t)len, "%s%lld B", sg, a);
    else if (a < 1024 * 1024 && a % 1024 == 0)
        snprintf(buf, (size_t)len, "%s%lld KiB", sg, a / 1024);
    else if (a < 1024 * 1024)
        snprintf(buf, (size_t)len, "%s%.1f KiB", sg, (double)a / 1024);
    else if (a % (1024 * 1024) == 0)
        snprintf(buf, (size_t)len, "%s%lld MiB", sg, a / (1024 * 1024));
    else
        snprintf(buf, (size_t)len, "%s%.1f MiB", sg, (double)a / (1024 * 1024));
    return buf;
}

static void draw_too_small(struct cbuf *cb)
{
    char l1[80], l2[80];
    snprintf(l1, sizeof l1, "Terminal too small: %dx%d", cb->w, cb->h);
    snprintf(l2, sizeof l2, "iosim needs at least %dx%d.", UI_MIN_COLS,
             UI_MIN_ROWS);
    const char *lines[] = { l1, l2, "Make the window larger, or press q to quit." };
    int y0 = cb->h / 2 - 1;
    if (y0 < 0)
        y0 = 0;
    for (int i = 0; i < 3; i++) {
        int w = ui_strwidth(lines[i]);
        int x = (cb->w - w) / 2;
        if (x < 0)
            x = 0;
        cb_text(cb, x, y0 + i, cb->w - x, lines[i], i == 0 ? R_WARN : R_DEFAULT);
    }
}

/* "keys   what they do" into lines[n], the words wrapped under
   themselves in width columns; returns the new n */
static int help_line(char (*lines)[200], int *roles, int n, int width,
                     const char *keys, const char *what)
{
    struct ui_span l[4];
    int nl = ui_wrap(what, width - 21 > 20 ? width - 21 : 20, l, 4);
    for (int j = 0; j < nl && j < 4; j++) {
        snprintf(lines[n], 200, "%-20s %.*s", j ? "" : keys, l[j].len,
                 what + l[j].off);
        roles[n++] = R_DEFAULT;
    }
    return n;
}

/* The help screen, generated from the action table */
static void draw_help(struct viewer *v, struct cbuf *cb)
{
    /* the help covers the body: header and status bar stay */
    cb_fill(cb, (struct rect){ 0, 1, cb->w, cb->h - 2 }, ' ', R_DEFAULT);
    struct rect r = { 0, 1, cb->w, cb->h - 2 };
    if (r.w > 100) {
        r.x = (cb->w - 100) / 2;
        r.w = 100;
    }
    struct rect in = cb_box(cb, r, "Keys (? or Esc closes, j/k scroll)", 1);
    char lines[4 * A__COUNT + 32][200];
    int roles[4 * A__COUNT + 32];
    int n = 0;
    for (int a = 1; a < A__COUNT; a++) {
        char keys[80] = "", kb[32];
        for (const int *k = ui_action_keys(a); *k; k++) {
            if (keys[0])
                strncat(keys, ", ", sizeof keys - strlen(keys) - 1);
            strncat(keys, ui_key_name(*k, kb, sizeof kb),
                    sizeof keys - strlen(keys) - 1);
        }
        n = help_line(lines, roles, n, in.w - 3, keys, ui_action_help(a));
    }
    n = help_line(lines, roles, n, in.w - 3, "Click",
                  "On the timeline: move the cursor to that time; on a task: "
                  "select it; on a line of the event log: go to that event");
    lines[n][0] = 0;
    roles[n++] = R_DEFAULT;
    n = help_line(lines, roles, n, in.w - 3, "Steps",
                  "Space stops where what the caption says is on screen. "
                  "Highlighted: what changed in that step (or at this "
                  "event). On the timeline's axis: steps and bookmarks.");
    lines[n][0] = 0;
    roles[n++] = R_DEFAULT;
    static const char *const notes[] = {
        "The cursor is after event N of the timeline (\"event N/total\"): "
        "the screen shows the system then.",
        "Timeline lanes: one per task, left to right in virtual time, up to "
        "the cursor.",
        "", /* the legend */
        "Blank: the task does not exist yet, or has exited.",
        "fd table: O_NONBLOCK and O_ASYNC are the file status flags fcntl(F_SETFL) "
        "sets; a narrow table writes them NB and ASYNC.",
    };
    int legend = -1;
    for (size_t i = 0; i < sizeof notes / sizeof *notes; i++) {
        struct ui_span l[8];
        int nl = notes[i][0] ? ui_wrap(notes[i], in.w - 3, l, 8) : 0;
        if (!notes[i][0]) {
            legend = n;
            lines[n][0] = 0;
            roles[n++] = R_HINT;
        }
        for (int j = 0; j < nl && j < 8 && n < 4 * A__COUNT + 32; j++) {
            snprintf(lines[n], sizeof lines[n], "%.*s", l[j].len, notes[i] + l[j].off);
            roles[n++] = R_HINT;
        }
    }
    if (v->help_top > n - in.h)
        v->help_top = n - in.h > 0 ? n - in.h : 0;
    for (int i = 0; i < in.h && v->help_top + i < n; i++) {
        int k = v->help_top + i;
        const char *s = lines[k];
        if (k == legend) {
            view_legend(v, cb, in.x + 1, in.y + i, in.w - 2, 1);
            continue;
        }
        cb_text(cb, in.x + 1, in.y + i, in.w - 2, s, roles[k]);
        if (roles[k] == R_DEFAULT && s[0] && in.w > 22)
            cb_recolour(cb, in.x + 1, in.y + i, 20, R_KEY);
    }
    /* more below or above: the keys to scroll are in the title */
    if (v->help_top > 0)
        cb_put(cb, in.x + in.w - 1, in.y, cb_glyph(cb, G_ARROW_U), R_DIM);
    if (v->help_top + in.h < n)
        cb_put(cb, in.x + in.w - 1, in.y + in.h - 1, cb_glyph(cb, G_ARROW_D), R_DIM);
}

/* Wrapped text into the box's lines; returns the new n */
static int info_para(char (*lines)[200], int n, int max, int width,
                     const char *s)
{
    struct ui_span l[64];
    int nl = ui_wrap(s, width, l, 64);
    for (int j = 0; j < nl && j < 64 && n < max; j++)
        snprintf(lines[n++], 200, "%.*s", l[j].len, s + l[j].off);
    return n;
}

/* The whole text of the current event and of the caption, for when a
   panel cuts them (i or Enter; any key closes it) */
static void draw_info(struct viewer *v, struct cbuf *cb)
{
    const struct tl *tl = v->tl;
    long pos = viewer_pos(v);
    char lines[48][200], txt[600], head[160], t[40];
    int n = 0, max = 48, width = cb->w > 84 ? 76 : cb->w - 8;
    if (pos > 0) {
        const struct tl_ev *e = &tl->ev[pos - 1];
        ui_ev_text(tl, pos - 1, txt, sizeof txt);
        snprintf(head, sizeof head, "Event %ld of %ld, at %s, by %s:", pos,
                 (long)tl->nev, tl_time_text(t, sizeof t, e->t),
                 e->task < tl->ntasks ? tl->tasks[e->task].name : "the kernel");
        n = info_para(lines, n, max, width, head);
        n = info_para(lines, n, max, width - 2, txt);
        for (int i = 1; i < n; i++) /* the event's text indented */
            if (i >= 1 && lines[i][0]) {
                char b[200];
                snprintf(b, sizeof b, "  %s", lines[i]);
                memcpy(lines[i], b, sizeof b);
            }
    } else {
        n = info_para(lines, n, max, width, "No event yet: the cursor is at the start.");
    }
    int c = v->cur.w.caption;
    if (c >= 0 && c < tl->nstrs && tl->strs[c] && n + 2 < max) {
        lines[n++][0] = 0;
        n = info_para(lines, n, max, width, "Caption:");
        int k = n;
        n = info_para(lines, n, max, width - 2, tl->strs[c]);
        for (int i = k; i < n; i++) {
            char b[200];
            snprintf(b, sizeof b, "  %s", lines[i]);
            memcpy(lines[i], b, sizeof b);
        }
    }
    const struct real_cmp_row *row = v->pair ? ui_pair_at(v->pair, v->pair->row) : NULL;
    if (row && n + 2 < max) { /* side by side: the cursor's row in words */
        char what[400], why[600];
        real_compare_explain(&v->pair->cmp, (size_t)v->pair->order[v->pair->row],
                             what, sizeof what, why, sizeof why);
        lines[n++][0] = 0;
        n = info_para(lines, n, max, width, "Side by side:");
        int k = n;
        n = info_para(lines, n, max, width - 2, what);
        if (why[0])
            n = info_para(lines, n, max, width - 2, why);
        for (int i = k; i < n; i++) {
            char b[200];
            snprintf(b, sizeof b, "  %s", lines[i]);
            memcpy(lines[i], b, sizeof b);
        }
    }
    if (tl->truncated && n + 2 < max) {
        lines[n++][0] = 0;
        char b[300];
        snprintf(b, sizeof b, "This run stopped early: %s",
                 tl->note ? tl->note : "a limit was reached");
        n = info_para(lines, n, max, width, b);
    }
    int h = n + 2, w = width + 4;
    if (h > cb->h - 2)
        h = cb->h - 2;
    struct rect r = { (cb->w - w) / 2, 1 + (cb->h - 2 - h) / 2, w, h };
    cb_fill(cb, r, ' ', R_DEFAULT);
    struct rect in = cb_box(cb, r, "Whole text (any key closes)", 1);
    for (int i = 0; i < in.h && i < n; i++)
        cb_text(cb, in.x + 1, in.y + i, in.w - 2, lines[i],
                i == 0 ? R_KEY : R_DEFAULT);
}

void ui_render(struct viewer *v, struct cbuf *cb)
{
    cb_clear(cb);
    v->cols = cb->w;
    v->rows = cb->h;
    v->ascii = cb->ascii;
    struct viewer *other = v->pair ? &v->pair->real : NULL;
    if (other) {
        other->cols = cb->w;
        other->rows = cb->h;
        other->ascii = cb->ascii;
    }
    v->nplaced = other ? ui_layout_pair(v, cb->w, cb->h, v->placed, UI_MAXPLACED)
                       : ui_layout(v, cb->w, cb->h, v->placed, UI_MAXPLACED);
    if (v->nplaced == 0) {
        draw_too_small(cb);
        return;
    }
    for (int i = 0; i < v->nplaced; i++) {
        const struct placed *p = &v->placed[i];
        ui_views[p->view]->draw(p->side ? other : v, cb, p->r,
                                !p->side && v->focus == p->view);
    }
    if (v->info)
        draw_info(v, cb);
    if (v->help)
        draw_help(v, cb);
}

int ui_render_text(struct tl *tl, int cols, int rows, long event_index,
                   int selected_task, int ascii, FILE *out)
{
    struct viewer v;
    struct cbuf cb;
    int rc = viewer_open(&v, tl);
    if (rc)
        return rc;
    if (cb_init(&cb, cols, rows)) {
        viewer_close(&v);
        return -ENOMEM;
    }
    cb.ascii = ascii;
    if (event_index < 0 && v.ncaps > 0)
        rc = viewer_goto_step(&v, 0);
    else
        rc = viewer_seek(&v, event_index < 0 ? 0 : event_index);
    if (selected_task >= 0 && selected_task < tl->ntasks)
        v.sel_task = selected_task;
    if (rc == 0) {
        ui_render(&v, &cb);
        rc = cb_dump(&cb, out);
    }
    cb_free(&cb);
    viewer_close(&v);
    return rc;
}

void ui_opts_default(struct ui_opts *o)
{
    memset(o, 0, sizeof *o);
    o->start_event = -1;
    o->start_task = -1;
}
