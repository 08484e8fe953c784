/*
 * view_caption.c - the caption of the current step, large and plain: the
 * sentence a teacher would say at this point of the lesson.
 */
#include <stdio.h>
#include <string.h>

#include "ui/pair.h"
#include "ui/view.h"

#define CAP_MAXLINES 5

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

/* Columns the first two lines leave at their right for "step 12/34" and
   "(new)": the widest step counter of this timeline, a blank column before
   it and one after, and the caption's left margin (3) */
static int cap_right(const struct viewer *v)
{
    char b[64];
    snprintf(b, sizeof b, "step %ld/%ld", v->ncaps, v->ncaps);
    int n = (int)strlen(b);
    return (n > 9 ? n : 9) + 5;
}

/* Wrap s for a caption of width w: the first two lines leave room for the
   step counter, the next ones use the whole width.  Returns the lines
   needed (more than max: text is lost) */
static int wrap(const struct viewer *v, const char *s, int w,
                struct ui_span *l, int max)
{
    struct ui_span a[CAP_MAXLINES + 1], b[CAP_MAXLINES + 1];
    int na = ui_wrap(s, w - cap_right(v), a, 2);
    int n = na < 2 ? na : 2;
    for (int i = 0; i < n && i < max; i++)
        l[i] = a[i];
    if (na <= 2)
        return na;
    int off = a[1].off + a[1].len;
    int nb = ui_wrap(s + off, w - 4, b, CAP_MAXLINES + 1);
    for (int i = 0; i < nb && n + i < max && i <= CAP_MAXLINES; i++)
        l[n + i] = (struct ui_span){ b[i].off + off, b[i].len };
    return n + nb;
}

/* As tall as the longest caption of the lesson, so that the panels under
   it keep their place from step to step: at most CAP_MAXLINES lines, 4 on a
   terminal under 30 rows (a longer caption ends with an ellipsis; i shows
   it whole) */
static int max_lines(const struct viewer *v)
{
    if (v->pair) /* the lines under it say how the runs differ */
        return v->rows > 0 && v->rows < 30 ? 3 : 4;
    return v->rows > 0 && v->rows < 30 ? 4 : CAP_MAXLINES;
}

/* Side by side: the lines under the lesson's caption that say what the
   cursor's row differs in, and why */
static int pair_lines(const struct viewer *v, int w)
{
    (void)w;
    return v->pair ? 3 : 0;
}

static void draw_pair(const struct viewer *v, struct cbuf *cb, struct rect r)
{
    const struct ui_pair *p = v->pair;
    char what[400], why[600], all[1024];
    int role = R_HINT;
    const struct real_cmp_row *row = ui_pair_at(p, p->row);
    if (!row) {
        snprintf(all, sizeof all, "Side by side: the simulation (left) and "
                 "the real run of the same scenario (right), each call beside "
                 "its counterpart. j/k move through the calls%s.",
                 p->ndiv ? ", d jumps to the next divergence" : "");
    } else {
        real_compare_explain(&p->cmp, (size_t)p->order[p->row], what,
                             sizeof what, why, sizeof why);
        snprintf(all, sizeof all, "%s%s%s", what, why[0] ? " " : "", why);
        role = real_compare_diverges(row) ? R_WARN : R_HINT;
    }
    int n = pair_lines(v, r.w);
    struct ui_span l[8];
    int total = ui_wrap(all, r.w - 5, l, 8);
    for (int i = 0; i < n && i < total && i < 8; i++) {
        char buf[1024];
        int len = l[i].len < (int)sizeof buf - 4 ? l[i].len : (int)sizeof buf - 4;
        memcpy(buf, all + l[i].off, (size_t)len);
        buf[len] = 0;
        if (i == n - 1 && total > n) /* cut: i shows it whole */
            strcat(buf, cb->ascii ? "~" : "\xe2\x80\xa6");
        cb_text(cb, r.x + 3, r.y + r.h - n + i, r.w - 4, buf, role);
    }
    if (row && real_compare_diverges(row))
        cb_put(cb, r.x + 1, r.y + r.h - n, '!', R_WARN);
}

static int want(const struct viewer *v, int w)
{
    struct ui_span l[CAP_MAXLINES + 1];
    int n = wrap(v, hint, w, l, CAP_MAXLINES);
    for (int i = 0; i < v->ncapstr; i++) {
        const char *s = v->tl->strs[v->capstr[i]];
        int k = wrap(v, s ? s : "", w, l, CAP_MAXLINES);
        if (k > n)
            n = k;
    }
    if (n < 2)
        n = 2;
    return (n > max_lines(v) ? max_lines(v) : n) + pair_lines(v, w);
}

/* which step (1-based) is shown: the last step at or before the event
   that set the caption (a repeated caption belongs to the step it repeats) */
static long caption_no(const struct viewer *v)
{
    long ev = v->cur.w.caption_ev;
    long lo = 0, hi = v->ncaps;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (v->caps[mid] <= ev)
            lo = mid + 1;
        else
            hi = mid;
    }
    return ev >= 0 ? lo : 0;
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
    int total = wrap(v, s, r.w, l, CAP_MAXLINES);
    int n = total < max_lines(v) ? total : max_lines(v);
    if (v->pair) {
        draw_pair(v, cb, r);
        r.h -= pair_lines(v, r.w);
    }
    if (n > r.h)
        n = r.h;
    for (int i = 0; i < r.h; i++)
        cb_put(cb, r.x + 1, r.y + i, cb_glyph(cb, G_LEFTBAR), role);
    for (int i = 0; i < n; i++) {
        char buf[1024];
        int tw = i < 2 ? r.w - cap_right(v) : r.w - 4;
        int len = l[i].len < (int)sizeof buf - 4 ? l[i].len : (int)sizeof buf - 4;
        memcpy(buf, s + l[i].off, (size_t)len);
        buf[len] = 0;
        /* the last line shown ends with an ellipsis if text is lost */
        if (i == n - 1 && total > n) {
            while (len > 0 && ui_strwidth(buf) + 1 > tw) {
                while (len > 1 && ((unsigned char)buf[len - 1] & 0xc0) == 0x80)
                    len--; /* a whole UTF-8 character */
                buf[--len] = 0;
            }
            strcat(buf, cb->ascii ? "~" : "\xe2\x80\xa6");
        }
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

const struct view_ops view_caption = { "caption", 2, want, draw, NULL, NULL };
