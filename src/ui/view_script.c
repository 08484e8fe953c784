/*
 * view_script.c - the selected task's script from the scenario, with the
 * line it is executing highlighted (as Python Tutor and Loupe do); other
 * tasks on a visible line of the same script are named at the right.
 */
#include <stdio.h>
#include <string.h>

#include "ui/view.h"

static int want(const struct viewer *v, int w)
{
    (void)w;
    int s = v->sel_task >= 0 ? v->tl->tasks[v->sel_task].script : -1;
    int n = s >= 0 && s < v->tl->nscripts ? v->tl->scripts[s].nlines : 1;
    return (n < 8 ? n : 8) + 2;
}

/* a source line with tabs expanded */
static void expand(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++) {
        if (*s == '\t') {
            do
                out[n++] = ' ';
            while (n % 4 && n + 1 < len);
        } else {
            out[n++] = *s;
        }
    }
    out[n] = 0;
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    const struct tl *tl = v->tl;
    const struct world *w = &v->cur.w;
    int t = v->sel_task;
    int s = t >= 0 ? tl->tasks[t].script : -1;
    char title[160];
    if (s >= 0 && s < tl->nscripts)
    {
        const char *f = tl->scripts[s].title ? tl->scripts[s].title : "";
        const char *slash = strrchr(f, '/');
        snprintf(title, sizeof title, "Script of %s (%s)", tl->tasks[t].name,
                 slash ? slash + 1 : f);
    }
    else
        snprintf(title, sizeof title, "Script");
    struct rect in = view_frame(v, cb, r, title, focus);
    if (in.h <= 0)
        return;
    if (s < 0 || s >= tl->nscripts) {
        cb_text(cb, in.x + 1, in.y, in.w - 2,
                t >= 0 ? "(this task has no script)" : "(no task selected)",
                R_HINT);
        return;
    }
    const struct tl_script *sc = &tl->scripts[s];
    int cur = t < w->ntasks ? w->tasks[t].line : 0;
    int st = t < w->ntasks ? w->tasks[t].state : TS_NONE;
    /* keep the current line in the upper middle */
    int first = cur > 0 ? cur - in.h / 3 : 1;
    if (first > sc->nlines - in.h + 1)
        first = sc->nlines - in.h + 1;
    if (first < 1)
        first = 1;
    int numw = 2; /* digits of the last line number (a log has many) */
    for (int m = 100; numw < 9 && sc->nlines >= m; m *= 10)
        numw++;
    for (int row = 0; row < in.h && first + row <= sc->nlines; row++) {
        int ln = first + row, y = in.y + row;
        char buf[1024];
        expand(sc->lines[ln - 1], buf, sizeof buf);
        int here = ln == cur && st != TS_NONE;
        if (here)
            cb_put(cb, in.x, y, cb_glyph(cb, G_PLAY), R_LINE);
        cb_textf(cb, in.x + 1, y, numw, R_LINENO, "%*d", numw, ln);
        cb_text(cb, in.x + numw + 2, y, in.w - numw - 2, buf,
                here ? R_LINE : R_DEFAULT);
        if (here)
            cb_recolour(cb, in.x, y, in.w, R_LINE);
    }
    /* where the other tasks of this script are: the first one on each
       visible line, and how many more (10,000 clients share one script) */
    int shown[256], more[256];
    int nvis = in.h < 256 ? in.h : 256;
    for (int i = 0; i < nvis; i++)
        shown[i] = -1, more[i] = 0;
    for (int o = 0; o < tl->ntasks && o < w->ntasks; o++) {
        if (o == t || tl->tasks[o].script != s)
            continue;
        int ln = w->tasks[o].line, ost = w->tasks[o].state;
        if (ln < first || ln >= first + nvis || ost == TS_NONE || ost == TS_NEW ||
            ost == TS_EXITED)
            continue;
        if (shown[ln - first] < 0)
            shown[ln - first] = o;
        else
            more[ln - first]++;
    }
    for (int i = 0; i < nvis; i++) {
        int o = shown[i];
        if (o < 0)
            continue;
        char b[80], n[24] = "";
        if (more[i])
            snprintf(n, sizeof n, " +%d", more[i]);
        snprintf(b, sizeof b, "%s %s%s", cb->ascii ? "<-" : "\xe2\x97\x82",
                 tl->tasks[o].name, n);
        int bw = ui_strwidth(b);
        if (bw > in.w / 3)
            bw = in.w / 3;
        cb_text(cb, in.x + in.w - bw, in.y + i, bw, b,
                ui_state_role(w->tasks[o].state));
    }
}

const struct view_ops view_script = { "script", 3, want, draw, NULL, NULL };
