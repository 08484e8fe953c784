/*
 * layout.c - which views go where, for a terminal of a given size.
 *
 * Fixed rows: the header (top), the caption under it, the status bar
 * (bottom).  The body is split into columns; each body view has a priority,
 * a column for each size class and a vertical order.  Essential views
 * (priority up to ESSENTIAL) reserve their minimum height, then grow in
 * priority order to the height they want; the growable views (script, log)
 * and the optional ones (buffers, queues) take what is left.  A view that
 * does not fit is dropped: a small screen loses the least important panels,
 * it never squeezes one into uselessness.  A view that has little to say
 * (the two phases before any read) asks for fewer rows than its minimum
 * and gives the rest to the others.  A crowd of peers (`peer NAME count
 * N`: 28 clients, 10,000) is the least important part of the task list
 * and of the timeline: each first asks for the machine's tasks and the
 * peers' count by state only (view_ops.core_h), and the full-width
 * timeline gives its crowd's lanes up to the columns' essential panels
 * (the fd table, the queues) when these lack rows.
 *
 *   class  width     columns                    timeline (gantt)
 *   A      80..119   2                          in the right column
 *   B      120..159  2                          full width above them
 *   C      160..     3                          full width above them
 */
#include "ui/pair.h"
#include "ui/view.h"

#define SPAN (-1)
#define ESSENTIAL 60 /* views of priority up to this reserve their rows */

static const struct spec {
    int view;
    int prio;   /* lower = more important */
    int col[3]; /* per class A, B, C */
    int order;  /* top to bottom within a column */
    int grow;   /* 1: takes the rows left over; 2: the same, and reserves
                   its minimum with the essential panels (the event log
                   keeps a line on a short screen); -1: compact, it
                   reserves its minimum first and grows last (the buffers
                   strip) */
} specs[] = {
    { V_TASKS, 10, { 0, 0, 0 }, 0, 0 },
    { V_GANTT, 20, { 1, SPAN, SPAN }, 1, 0 },
    { V_PHASES, 30, { 1, 1, 2 }, 5, 0 },
    { V_FDS, 40, { 0, 0, 0 }, 2, 0 },
    { V_SCRIPT, 50, { 0, 1, 1 }, 4, 1 },
    { V_LOG, 60, { 1, 1, 2 }, 7, 2 },
    { V_BUFFERS, 45, { 0, 0, 1 }, 2, -1 },
    { V_QUEUES, 80, { 0, 0, 0 }, 3, 0 },
};
#define NSPECS ((int)(sizeof specs / sizeof *specs))

/*
 * A model with queues of its own (epoll's interest and ready lists, the
 * watched fds of select and poll, io_uring's rings, pending signals) is
 * taught with them: its queues panel becomes essential, right after the
 * two phases and before the fd table; so does a lesson whose captions
 * name a queue ("queue 'GIL holder (worker)'").
 */
static int prio_of(const struct viewer *v, int i)
{
    if ((v->model_queues || v->named_queues) && specs[i].view == V_QUEUES)
        return 35;
    return specs[i].prio;
}

/* rows a view needs: its minimum, or less if it wants less (an idle view,
   such as the two phases before any read, asks for a line or two) */
static int min_of(const struct viewer *v, int i, int w)
{
    const struct view_ops *ops = ui_views[specs[i].view];
    int want = ops->want_h(v, w);
    return want < ops->min_h && want >= 3 ? want : ops->min_h;
}

/* rows a view wants before its least important ones (view_ops.core_h:
   the rows of a crowd of peers), at most what it wants */
static int core_of(const struct view_ops *ops, const struct viewer *v, int w,
                   int want)
{
    int c = ops->core_h ? ops->core_h(v, w) : want;
    return c < want ? c : want;
}

/*
 * Rows for the views of the columns, in a body of bh rows, into hgt.
 * Rows are given in passes, each in priority order:
 *   1. essential panels reserve their minimum;
 *   2. they grow towards their core rows (all they want but their least
 *      important rows: a crowd of peers), up to half the body, so a more
 *      important panel is whole before a less important one grows and a
 *      long list (10,000 clients) does not take every row;
 *   3. the growable panels (script, log) take their minimum;
 *   4. essential and growable panels grow to all they want, a crowd of
 *      peers last;
 *   5. the optional panels (buffers, queues of a model without its
 *      own) take their minimum and grow to what they want;
 *   6. the rows left go to the growable panel of each column.
 * A growable panel reserves nothing before step 3: it gives way first
 * (but the event log, grow 2, reserves its minimum at step 1).
 * Returns how many rows the essential panels of the fullest column lack
 * of all they want but a crowd of peers, up to half the body each.
 */
static int columns(const struct viewer *v, int cls, const int *cw, int bh,
                   int *hgt)
{
    int used[3] = { 0 }, mins[NSPECS], wants[NSPECS], cores[NSPECS];
    int prio[NSPECS], byprio[NSPECS];
    for (int i = 0; i < NSPECS; i++) {
        int c = specs[i].col[cls];
        const struct view_ops *ops = ui_views[specs[i].view];
        hgt[i] = 0;
        prio[i] = prio_of(v, i);
        mins[i] = c == SPAN ? 0 : min_of(v, i, cw[c]);
        wants[i] = c == SPAN ? 0 : ops->want_h(v, cw[c]);
        if (wants[i] < mins[i])
            wants[i] = mins[i];
        cores[i] = c == SPAN ? 0 : core_of(ops, v, cw[c], wants[i]);
        if (cores[i] < mins[i])
            cores[i] = mins[i];
        int j = i; /* insertion sort by priority */
        while (j > 0 && prio[byprio[j - 1]] > prio[i]) {
            byprio[j] = byprio[j - 1];
            j--;
        }
        byprio[j] = i;
    }
    for (int pass = 1; pass <= 5; pass++)
        for (int k = 0; k < NSPECS * (pass == 4 ? 2 : 1); k++) {
            int i = byprio[k % NSPECS];
            int c = specs[i].col[cls];
            if (c == SPAN)
                continue;
            /* at 4, a crowd of peers grows after the others */
            int crowd = specs[i].view == V_TASKS && cores[i] < wants[i];
            if (pass == 4 && (k >= NSPECS) != crowd)
                continue;
            int compact = specs[i].grow < 0;
            int kind = specs[i].grow > 0 ? 3 : prio[i] <= ESSENTIAL ? 1 : 5;
            int grow_to = pass == 2 ? (cores[i] < bh / 2 ? cores[i] : bh / 2)
                                    : wants[i];
            /* the event log: its minimum at 1, its growth at 4 */
            int reserve = specs[i].grow == 2 ? 1 : kind;
            if (pass == reserve) { /* its minimum, if it fits */
                if (used[c] + mins[i] > bh)
                    continue; /* dropped */
                hgt[i] = mins[i];
                used[c] += mins[i];
                if (kind != 5)
                    continue;
            } else if (compact ? pass != 5
                               : !(kind == 1 && pass == 2) && !(kind != 5 && pass == 4)) {
                continue;
            }
            if (!hgt[i])
                continue;
            int more = grow_to - hgt[i];
            if (more > bh - used[c])
                more = bh - used[c];
            if (more > 0) {
                hgt[i] += more;
                used[c] += more;
            }
        }
    /* what the essential panels lack of step 2's rows */
    int lack = 0;
    for (int c = 0; c < 3; c++) {
        int need = 0;
        for (int i = 0; i < NSPECS; i++) {
            if (specs[i].col[cls] != c || prio[i] > ESSENTIAL || specs[i].grow)
                continue;
            /* all they want but a crowd's rows (the queues' core is
               only an order among panels, not rows a crowd may take) */
            int goal = specs[i].view == V_TASKS ? cores[i] : wants[i];
            if (goal > bh / 2)
                goal = bh / 2;
            if (hgt[i] < goal)
                need += goal - hgt[i];
        }
        if (need > lack)
            lack = need;
    }
    /* the rest to the growable view of each column, else to the most
       important view that wants more, else to the last one */
    for (int c = 0; c < 3; c++) {
        int g = -1;
        for (int i = 0; i < NSPECS; i++)
            if (specs[i].col[cls] == c && hgt[i] &&
                (g < 0 || specs[i].grow > specs[g].grow ||
                 (specs[i].grow == specs[g].grow && specs[i].order > specs[g].order)))
                g = i;
        for (int k = 0; g >= 0 && !specs[g].grow && k < NSPECS; k++) {
            int i = byprio[k];
            if (specs[i].col[cls] == c && hgt[i] && hgt[i] < wants[i]) {
                g = i;
                break;
            }
        }
        if (g >= 0) {
            hgt[g] += bh - used[c];
            used[c] = bh;
        }
    }
    return lack;
}

int ui_layout(const struct viewer *v, int w, int h, struct placed *out, int max)
{
    int n = 0;
    if (w < UI_MIN_COLS || h < UI_MIN_ROWS || max < NSPECS + 3)
        return 0;
    int cls = w >= 160 ? 2 : w >= 120 ? 1 : 0;
    int ncols = cls == 2 ? 3 : 2;

    int caph = view_caption.want_h(v, w);
    out[n++] = (struct placed){ V_HEADER, { 0, 0, w, 1 }, 0 };
    out[n++] = (struct placed){ V_CAPTION, { 0, 1, w, caph }, 0 };
    out[n++] = (struct placed){ V_STATUS, { 0, h - 1, w, 1 }, 0 };
    int by = 1 + caph, bh = h - 2 - caph;

    int cx[3] = { 0 }, cw[3] = { 0 };
    for (int c = 0; c < ncols; c++) {
        cx[c] = w * c / ncols;
        cw[c] = w * (c + 1) / ncols - cx[c];
    }

    /* the full-width views on top of the columns, each at most a third of
       the body; one with rows that give way (the timeline's lanes for a
       crowd of peers) gives them up to the columns' essential panels that
       lack rows */
    int span[NSPECS] = { 0 }, core[NSPECS] = { 0 }, top = 0;
    for (int i = 0; i < NSPECS; i++) {
        if (specs[i].col[cls] != SPAN)
            continue;
        const struct view_ops *ops = ui_views[specs[i].view];
        int want = ops->want_h(v, w);
        if (want > bh / 3)
            want = bh / 3;
        if (want < ops->min_h)
            continue;
        span[i] = want;
        core[i] = core_of(ops, v, w, want);
        if (core[i] < ops->min_h)
            core[i] = ops->min_h;
        top += want;
    }
    int hgt[NSPECS];
    for (int lack = columns(v, cls, cw, bh - top, hgt); lack > 0;) {
        int given = 0;
        for (int i = 0; i < NSPECS && given < lack; i++) {
            int g = span[i] - core[i];
            if (g > lack - given)
                g = lack - given;
            if (g > 0)
                span[i] -= g, given += g;
        }
        if (!given)
            break;
        top -= given;
        lack = columns(v, cls, cw, bh - top, hgt);
    }
    for (int i = 0; i < NSPECS; i++)
        if (span[i]) {
            out[n++] = (struct placed){ specs[i].view, { 0, by, w, span[i] }, 0 };
            by += span[i];
        }
    /* positions, top to bottom */
    for (int c = 0; c < ncols; c++) {
        int y = by;
        for (int o = 0; o < 16; o++)
            for (int i = 0; i < NSPECS; i++)
                if (specs[i].col[cls] == c && specs[i].order == o && hgt[i]) {
                    out[n++] = (struct placed){ specs[i].view,
                                                { cx[c], y, cw[c], hgt[i] }, 0 };
                    y += hgt[i];
                }
    }
    return n;
}

/*
 * Side by side (v->pair): the header, the caption (which says what the
 * cursor's row differs in), then a column per run, the simulation on the
 * left: each run's tasks, and on a terminal of 120 columns or more with
 * room, each run's timeline; the aligned calls across both columns; each
 * run's event log with the rows left.  At 80x24 that is the tasks and the
 * calls, which is what a class compares.
 */
int ui_layout_pair(const struct viewer *v, int w, int h, struct placed *out,
                   int max)
{
    const struct viewer *real = &v->pair->real;
    int n = 0;
    if (w < UI_MIN_COLS || h < UI_MIN_ROWS || max < 11)
        return 0;
    int caph = view_caption.want_h(v, w);
    out[n++] = (struct placed){ V_HEADER, { 0, 0, w, 1 }, 0 };
    out[n++] = (struct placed){ V_CAPTION, { 0, 1, w, caph }, 0 };
    out[n++] = (struct placed){ V_STATUS, { 0, h - 1, w, 1 }, 0 };
    int by = 1 + caph, bh = h - 2 - caph, lw = w / 2, rw = w - lw;
    int aligned = view_align.want_h(v, w);
    if (aligned < 6)
        aligned = 6;
    /* a view on each side, as tall as the taller wants, within max_h */
#define BOTH(view, max_h)                                                      \
    do {                                                                       \
        int a = ui_views[view]->want_h(v, lw), b = ui_views[view]->want_h(real, rw); \
        int hh = a > b ? a : b;                                                \
        if (hh > (max_h))                                                      \
            hh = (max_h);                                                      \
        if (hh >= ui_views[view]->min_h) {                                     \
            out[n++] = (struct placed){ view, { 0, by, lw, hh }, 0 };          \
            out[n++] = (struct placed){ view, { lw, by, rw, hh }, 1 };         \
            by += hh;                                                          \
            bh -= hh;                                                          \
        }                                                                      \
    } while (0)
    BOTH(V_TASKS, bh - 8 < bh / 2 ? bh - 8 : bh / 2); /* the calls keep 6 */
    if (w >= 120 && bh >= 24)
        BOTH(V_GANTT, bh / 4);
    int ah = bh;
    if (bh >= 16) /* room for the logs under the calls: at least 6 rows */
        ah = aligned < bh - 6 ? (aligned > 8 ? aligned : 8) : bh - 6;
    out[n++] = (struct placed){ V_ALIGN, { 0, by, w, ah }, 0 };
    by += ah;
    bh -= ah;
    if (bh >= 4)
        BOTH(V_LOG, bh);
#undef BOTH
    return n;
}
