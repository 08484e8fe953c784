/*
 * view_status.c - the bottom line: a prompt, a message, or the main keys.
 */
#include <stdio.h>

#include "ui/view.h"

static int want(const struct viewer *v, int w)
{
    (void)v, (void)w;
    return 1;
}

static void draw(const struct viewer *v, struct cbuf *cb, struct rect r,
                 int focus)
{
    (void)focus;
    cb_fill(cb, (struct rect){ r.x, r.y, r.w, 1 }, ' ', R_STATUS);
    if (v->prompt != P_NONE) {
        const char *p = v->prompt == P_GOTO
                            ? "Go to event, time, fd N or task NAME: "
                            : "Search the log: /";
        int x = r.x + cb_text(cb, r.x, r.y, r.w, p, R_STATUS);
        x += cb_text(cb, x, r.y, r.x + r.w - x - 1, v->input, R_STATUS);
        cb_put(cb, x, r.y, '_', R_STATUS);
        return;
    }
    if (v->msg[0]) {
        cb_text(cb, r.x + 1, r.y, r.w - 2, v->msg, R_STATUS);
        return;
    }
    static const struct hint {
        const char *key, *what;
    } alone[] = {
        { "Space", "next step" }, { "<-/->", "event" }, { "j/k", "task" },
        { "Tab", "focus" }, { "p", "play" }, { "/", "search" },
    }, paired[] = {
        { "Space", "next step" }, { "j/k", "call" }, { "d/D", "divergence" },
        { "s", "one run" }, { "<-/->", "event" }, { "p", "play" },
    };
    const struct hint *hints = v->pair ? paired : alone;
    size_t nhints = v->pair ? sizeof paired / sizeof *paired
                            : sizeof alone / sizeof *alone;
    /* "? help" and "q quit" always, at the right; the others if they fit */
    const char *always = "? help  q quit ";
    int aw = ui_strwidth(always);
    int end = r.x + r.w - aw;
    cb_text(cb, end, r.y, aw, always, R_STATUS);
    int x = r.x + 1;
    for (size_t i = 0; i < nhints; i++) {
        char b[64];
        snprintf(b, sizeof b, "%s %s", hints[i].key, hints[i].what);
        int w = ui_strwidth(b);
        if (x + w > end - 2)
            break;
        cb_text(cb, x, r.y, w, b, R_STATUS);
        x += w + 2;
    }
    if (v->nmarks > 0) {
        char b[40];
        snprintf(b, sizeof b, "%d bookmark%s", v->nmarks, v->nmarks > 1 ? "s" : "");
        int w = ui_strwidth(b);
        if (x + w < end - 2)
            cb_text_right(cb, x, r.y, end - 2 - x, b, R_STATUS);
    }
}

const struct view_ops view_status = { "status", 1, want, draw, NULL, NULL };
