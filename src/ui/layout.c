/*
 * layout.c - which views go where, for a terminal of a given size.
 *
 * Fixed rows: the header (top), the caption under it, the status bar
 * (bottom).  The body is split into columns; each body view has a priority,
 * a column for each size class and a vertical order.  Essential views
 * (priority up to ESSENTIAL) reserve their minimum height, then every view
 * in priority order grows to the height it wants; optional views (buffers, queues)
 * appear only if rows are left for them.  A view that does not fit is
 * dropped: a small screen loses the least important panels, it never
 * squeezes one into uselessness.  Rows left over go to the growable view of
 * each column (script or log).
 *
 *   class  width     columns                    timeline (gantt)
 *   A      80..119   2                          in the right column
 *   B      120..159  2                          full width above them
 *   C      160..     3                          full width above them
 */
#include "ui/view.h"

#define SPAN (-1)
#define ESSENTIAL 60 /* views of priority up to this reserve their rows */

static const struct spec {
    int view;
    int prio;   /* lower = more important */
    int col[3]; /* per class A, B, C */
    int order;  /* top to bottom within a column */
    int grow;   /* takes the rows left over */
} specs[] = {
    { V_TASKS, 10, { 0, 0, 0 }, 0, 0 },
    { V_GANTT, 20, { 1, SPAN, SPAN }, 1, 0 },
    { V_PHASES, 30, { 1, 1, 2 }, 5, 0 },
    { V_FDS, 40, { 0, 0, 0 }, 2, 0 },
    { V_SCRIPT, 50, { 0, 1, 1 }, 4, 1 },
    { V_LOG, 60, { 1, 1, 2 }, 7, 1 },
    { V_BUFFERS, 70, { 1, 0, 1 }, 6, 0 },
    { V_QUEUES, 80, { 0, 0, 0 }, 3, 0 },
};
#define NSPECS ((int)(sizeof specs / sizeof *specs))

/*
 * A model with queues of its own (epoll's interest and ready lists, the
 * watched fds of select and poll, io_uring's rings, pending signals) is
 * taught with them: its queues panel becomes essential, right after the
 * two phases, and on a small screen the fd table gives way to it.
 */
static int prio_of(const struct viewer *v, int i, int cls)
{
    if (!v->model_queues)
        return specs[i].prio;
    if (specs[i].view == V_QUEUES)
        return 35;
    if (specs[i].view == V_FDS && cls == 0)
        return 75;
    return specs[i].prio;
}

int ui_layout(const struct viewer *v, int w, int h, struct placed *out, int max)
{
    int n = 0;
    if (w < UI_MIN_COLS || h < UI_MIN_ROWS || max < NSPECS + 3)
        return 0;
    int cls = w >= 160 ? 2 : w >= 120 ? 1 : 0;
    int ncols = cls == 2 ? 3 : 2;

    int caph = view_caption.want_h(v, w);
    out[n++] = (struct placed){ V_HEADER, { 0, 0, w, 1 } };
    out[n++] = (struct placed){ V_CAPTION, { 0, 1, w, caph } };
    out[n++] = (struct placed){ V_STATUS, { 0, h - 1, w, 1 } };
    int by = 1 + caph, bh = h - 2 - caph;

    /* a full-width view on top of the columns */
    for (int i = 0; i < NSPECS; i++) {
        if (specs[i].col[cls] != SPAN)
            continue;
        const struct view_ops *ops = ui_views[specs[i].view];
        int want = ops->want_h(v, w);
        if (want > bh / 3)
            want = bh / 3;
        if (want < ops->min_h)
            continue;
        out[n++] = (struct placed){ specs[i].view, { 0, by, w, want } };
        by += want;
        bh -= want;
    }

    int cx[3], cw[3];
    for (int c = 0; c < ncols; c++) {
        cx[c] = w * c / ncols;
        cw[c] = w * (c + 1) / ncols - cx[c];
    }

    /*
     * Essential views reserve their minimum first, then take rows up to
     * what they want in priority order; optional views (prio > ESSENTIAL)
     * appear only in what is left.
     */
    int hgt[NSPECS] = { 0 }, used[3] = { 0 }, prio[NSPECS], byprio[NSPECS];
    for (int i = 0; i < NSPECS; i++) {
        prio[i] = prio_of(v, i, cls);
        int j = i; /* insertion sort by priority */
        while (j > 0 && prio[byprio[j - 1]] > prio[i]) {
            byprio[j] = byprio[j - 1];
            j--;
        }
        byprio[j] = i;
    }
    for (int k = 0; k < NSPECS; k++) {
        int i = byprio[k];
        int c = specs[i].col[cls];
        if (c == SPAN || prio[i] > ESSENTIAL)
            continue;
        int m = ui_views[specs[i].view]->min_h;
        if (used[c] + m <= bh) {
            hgt[i] = m;
            used[c] += m;
        }
    }
    for (int k = 0; k < NSPECS; k++) {
        int i = byprio[k];
        int c = specs[i].col[cls];
        if (c == SPAN)
            continue;
        int m = ui_views[specs[i].view]->min_h;
        int want = ui_views[specs[i].view]->want_h(v, cw[c]);
        if (want < m)
            want = m;
        if (!hgt[i]) {
            if (prio[i] <= ESSENTIAL || used[c] + m > bh)
                continue; /* an essential view that did not fit */
            hgt[i] = m;
            used[c] += m;
        }
        int more = want - hgt[i];
        if (more > bh - used[c])
            more = bh - used[c];
        if (more > 0) {
            hgt[i] += more;
            used[c] += more;
        }
    }
    /* the rest to the growable view of each column (else the last one) */
    for (int c = 0; c < ncols; c++) {
        int g = -1;
        for (int i = 0; i < NSPECS; i++)
            if (specs[i].col[cls] == c && hgt[i] &&
                (g < 0 || specs[i].grow > specs[g].grow ||
                 (specs[i].grow == specs[g].grow && specs[i].order > specs[g].order)))
                g = i;
        if (g >= 0) {
            hgt[g] += bh - used[c];
            used[c] = bh;
        }
    }
    /* positions, top to bottom */
    for (int c = 0; c < ncols; c++) {
        int y = by;
        for (int o = 0; o < 16; o++)
            for (int i = 0; i < NSPECS; i++)
                if (specs[i].col[cls] == c && specs[i].order == o && hgt[i]) {
                    out[n++] = (struct placed){ specs[i].view,
                                                { cx[c], y, cw[c], hgt[i] } };
                    y += hgt[i];
                }
    }
    return n;
}
