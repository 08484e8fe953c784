/*
 * ui.h - the viewer's public entry points (called by main.c).
 *
 * ui_run() opens the full-screen viewer over a finished timeline and returns
 * when the user quits: 0 on q, 128+signal on SIGINT/SIGTERM/SIGHUP, 1 on a
 * fatal error (the terminal is restored in every case).  ui_render_text()
 * draws one screen without a terminal and prints it as text: tests compare
 * it with tests/golden/, and main.c's --screen option prints it.
 * Neither function takes ownership of tl; tl must not change while they run.
 */
#ifndef IOSIM_UI_H
#define IOSIM_UI_H

#include <stddef.h>
#include <stdio.h>

#include "tl/tl.h"

struct ui_opts {
    int mono;         /* --mono: no colours (NO_COLOR in the environment too) */
    int ascii;        /* --ascii: ASCII line drawing (automatic if the locale
                         is not UTF-8) */
    long start_event; /* cursor position at start: events applied (0..nev);
                         -1 = at the first caption */
    int start_task;   /* selected task at start, -1 = first */
    int play;         /* start playing */
    struct tl *other; /* another run of the same scenario (iosim --real:
                         the simulation) that the key r switches to, at
                         the same caption; NULL if none */
    int side_by_side; /* open with the two runs side by side (iosim --real
                         --compare-sim: tl and other) */
    /* The key s on a simulation with no other run: run its scenario for
       real and return that timeline (the caller of ui_run frees nothing
       of it: ui_run does), or NULL with a one-line reason in err.  NULL
       if the timeline cannot run for real (an imported trace). */
    struct tl *(*run_real)(void *ctx, const struct tl *sim, char *err,
                           size_t len);
    void *run_ctx;
};

void ui_opts_default(struct ui_opts *o);

int ui_run(struct tl *tl, const struct ui_opts *o);

/*
 * Render the screen for a cols x rows terminal with the cursor after
 * event_index events (clamped to 0..nev; -1 = at the first caption) and
 * selected_task selected (-1 = the first), with ASCII line drawing if
 * ascii, and print it as UTF-8 text, one
 * line per row, trailing blanks removed.  Returns 0 or a negative errno.
 */
int ui_render_text(struct tl *tl, int cols, int rows, long event_index,
                   int selected_task, int ascii, FILE *out);

#endif
