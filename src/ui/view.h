/*
 * view.h - what a view is: one file src/ui/view_NAME.c fills one
 * const struct view_ops.  Adding a view is adding a file and a line to
 * UI_VIEWS; the layout (layout.c) decides where and whether it is drawn.
 *
 * A view draws only inside the rectangle it is given, reading the viewer
 * and its world (v->cur.w); it never changes the viewer, except through
 * its click handler, which returns a UI_* bitmask like a key handler.
 */
#ifndef IOSIM_UI_VIEW_H
#define IOSIM_UI_VIEW_H

#include "tl/text.h"
#include "ui/cell.h"
#include "ui/viewer.h"

/* X(enum, name): every view, in no particular order */
#define UI_VIEWS(X) \
    X(HEADER, header) \
    X(CAPTION, caption) \
    X(TASKS, tasks) \
    X(GANTT, gantt) \
    X(SCRIPT, script) \
    X(PHASES, phases) \
    X(LOG, log) \
    X(FDS, fds) \
    X(BUFFERS, buffers) \
    X(QUEUES, queues) \
    X(STATUS, status) \
    X(ALIGN, align)

enum ui_view {
#define X(e, n) V_##e,
    UI_VIEWS(X)
#undef X
    V__COUNT
};

struct view_ops {
    const char *name;
    int min_h; /* rows needed to be useful, frame included */
    /* rows it would like at width w, frame included */
    int (*want_h)(const struct viewer *v, int w);
    void (*draw)(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus);
    /* optional: a click at (x, y) inside r */
    int (*click)(struct viewer *v, struct rect r, int x, int y);
    /* optional: the rows it needs before its least important ones (the
       task list's crowd of peers), frame included; the layout grows it
       this far with the other essential panels, to want_h after them */
    int (*core_h)(const struct viewer *v, int w);
};

#define X(e, n) extern const struct view_ops view_##n;
UI_VIEWS(X)
#undef X

extern const struct view_ops *const ui_views[V__COUNT];

/* layout.c: place the views for a w x h screen; returns how many */
int ui_layout(const struct viewer *v, int w, int h, struct placed *out,
              int max);
/* The same side by side (v->pair): each run's panels in its column, the
   aligned calls across both */
int ui_layout_pair(const struct viewer *v, int w, int h, struct placed *out,
                   int max);
/* Minimum readable terminal */
#define UI_MIN_COLS 80
#define UI_MIN_ROWS 23

/* Helpers shared by views (render.c) */
struct rect view_frame(const struct viewer *v, struct cbuf *cb, struct rect r,
                       const char *title, int focus);
/* A fill bar of w cells: n of cap */
void view_bar(struct cbuf *cb, int x, int y, int w, int64_t n, int64_t cap,
              int role);
/* The legend of the task states, "█ running ▒ ready ░ blocked" (in ASCII
   "# running + ready . blocked"), or "█ run ▒ ready ░ blocked", whichever
   fits in maxw columns: its width (0 if none fits), drawn at (x, y) if draw */
int view_legend(const struct viewer *v, struct cbuf *cb, int x, int y,
                int maxw, int draw);
/* Bytes as "100 B", "4 KiB", "1.5 MiB" */
const char *view_bytes(int64_t n, char *buf, int len);

#endif
