/*
 * view_caption.c - the caption of the current step, large and plain: the
 * sentence a teacher would say at this point of the lesson.
 */
#include <stdio.h>
#include <string.h>

#include "ui/view.h"

#define CAP_MAXLINES 3

static const char *hint =
    "Space steps through the lesson one caption at a time; "
    "Right/Left step one event; ? shows every key.";

static const char *text_of(const struct viewer *v)
{
    int c = v->cur.w.caption;
    if (c >= 0 && c < v->tl->nstrs && v->tl->strs[c])
        return v->tl->strs[c];
    return NULL;
}

static int want(const struct viewer *v, int w)
{
    const char *s = text_of(v);
    struct ui_span l[8];
    int n = ui_wrap(s ? s : hint, w - 14, l, 8);
    if (n < 2)
        n = 2;
    return n > CAP_MAXLINES ? CAP_MAXLINES : n;
}

/* which caption (1-based) is shown, from the caption event index */
static long caption_no(const struct viewer *v)
{
    long ev = v->cur.w.caption_ev;
    long lo = 0, hi = v->ncaps;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (v->caps[mid] < ev)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->ncaps && v->caps[lo] == ev ? lo + 1 : 0;
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    (void)focus;
    const char *s = text_of(v);
    int role = s ? R_CAPTION : R_HINT;
    if (!s)
        s = hint;
    struct ui_span l[CAP_MAXLINES];
    int tw = r.w - 14;
    int n = ui_wrap(s, tw, l, CAP_MAXLINES);
    if (n > r.h)
        n = r.h;
    if (n > CAP_MAXLINES)
        n = CAP_MAXLINES;
    for (int i = 0; i < r.h; i++)
        cb_put(cb, r.x + 1, r.y + i, cb_glyph(cb, G_LEFTBAR), role);
    for (int i = 0; i < n; i++) {
        char buf[1024];
        int len = l[i].len < (int)sizeof buf - 1 ? l[i].len : (int)sizeof buf - 1;
        memcpy(buf, s + l[i].off, (size_t)len);
        buf[len] = 0;
        /* the last line that fits ends with an ellipsis if text is lost */
        cb_text(cb, r.x + 3, r.y + i, tw, buf, role);
    }
    long k = caption_no(v);
    char step[64];
    if (k > 0) {
        snprintf(step, sizeof step, "step %ld/%ld", k, v->ncaps);
        cb_text_right(cb, r.x, r.y, r.w - 1, step, R_HINT);
        if (v->cur.w.caption_ev == viewer_pos(v) - 1)
            cb_text_right(cb, r.x, r.y + 1, r.w - 1, "(new)", R_HINT);
    } else if (v->ncaps > 0) {
        snprintf(step, sizeof step, "%ld steps", v->ncaps);
        cb_text_right(cb, r.x, r.y, r.w - 1, step, R_HINT);
    }
}

const struct view_ops view_caption = { "caption", 2, want, draw, NULL };
