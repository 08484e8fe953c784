/*
 * ui.c - the viewer's main loop: draw, wait for a key or a playback tick,
 * act, repeat.  The terminal size changes here and only here (UK_RESIZE).
 */
#include "ui/ui.h"

#include <stdio.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/term.h"
#include "ui/viewer.h"

#define IDLE_MS 500 /* how often an idle loop checks for a quit signal */

/* The same moment of the lesson in another run: the n-th showing of the
 * caption shown now (or the last showing before it); -1 if none */
static long same_caption(const struct tl *from, long ev, const struct tl *to)
{
    if (ev < 0 || (size_t)ev >= from->nev || from->ev[ev].type != EV_CAPTION)
        return -1;
    const char *text = from->strs[from->ev[ev].a];
    long n = 0, last = -1;
    for (long i = 0; i <= ev; i++)
        n += from->ev[i].type == EV_CAPTION && !strcmp(from->strs[from->ev[i].a], text);
    for (size_t i = 0; i < to->nev && n > 0; i++)
        if (to->ev[i].type == EV_CAPTION && !strcmp(to->strs[to->ev[i].a], text)) {
            last = (long)i;
            n--;
        }
    return last;
}

/* v shows other instead, at the same caption */
static int switch_run(struct viewer *v, struct tl **tl, struct tl **other)
{
    long target = same_caption(*tl, v->cur.w.caption_ev, *other);
    struct tl *t = *tl;
    viewer_close(v);
    *tl = *other;
    *other = t;
    if (viewer_open(v, *tl))
        return -1;
    v->has_other = 1;
    long k = -1;
    for (long i = 0; i < v->ncaps && target >= 0; i++)
        if (v->caps[i] == target)
            k = i;
    if (k >= 0)
        viewer_goto_step(v, k);
    else
        viewer_seek(v, 0);
    viewer_msg(v, "%s; r switches back",
               (*tl)->model && !strcmp((*tl)->model, "real")
                   ? "The real run" : "The simulation");
    return 0;
}

int ui_run(struct tl *tl, const struct ui_opts *o)
{
    struct viewer v;
    struct cbuf cb;
    if (viewer_open(&v, tl)) {
        fprintf(stderr, "iosim: error: out of memory opening the viewer\n");
        return 1;
    }
    if (o->start_event >= 0 || v.ncaps == 0)
        viewer_seek(&v, o->start_event >= 0 ? o->start_event : 0);
    else
        viewer_goto_step(&v, 0);
    if (o->start_task >= 0 && o->start_task < tl->ntasks)
        v.sel_task = o->start_task;
    v.playing = o->play;
    struct tl *other = o->other;
    v.has_other = other != NULL;
    if (tl->truncated)
        viewer_msg(&v, "The run stopped early: %s", tl->note ? tl->note
                                                            : "a limit was reached");
    else if (other)
        viewer_msg(&v, "The real run; r shows the simulation at the same caption");
    int ascii = 0;
    if (term_init(o, &ascii)) { /* TERM unknown or dumb: what to use said */
        viewer_close(&v);
        return 2;
    }
    int cols, rows;
    term_size(&cols, &rows);
    if (cb_init(&cb, cols, rows))
        term_fatal("out of memory for the screen");
    cb.ascii = ascii;
    int status = 0, redraw = 1, full = 1;
    for (;;) {
        if (redraw) {
            ui_render(&v, &cb);
            term_draw(&cb, full);
            redraw = full = 0;
        }
        int timeout = ui_play_timeout(&v);
        int key = term_getkey(timeout >= 0 ? timeout : IDLE_MS, &v.mouse_x,
                              &v.mouse_y);
        int sig = term_signalled();
        if (sig) {
            status = 128 + sig;
            break;
        }
        if (key < 0) { /* the terminal has gone */
            status = 1;
            break;
        }
        int r;
        if (key == 0) {
            r = ui_tick(&v);
        } else if (key == UK_RESIZE) {
            term_size(&cols, &rows);
            if (cb_resize(&cb, cols, rows))
                term_fatal("out of memory for the screen");
            r = UI_REDRAW | UI_FULL;
        } else {
            r = ui_key(&v, key);
        }
        term_quit_keys(v.prompt == P_NONE && !v.help);
        if (r & UI_QUIT)
            break;
        if ((r & UI_OTHER) && switch_run(&v, &tl, &other))
            term_fatal("out of memory opening the other run");
        if (r & UI_OTHER)
            r |= UI_REDRAW | UI_FULL;
        redraw |= (r & UI_REDRAW) != 0;
        full |= (r & UI_FULL) != 0;
    }
    term_done();
    cb_free(&cb);
    viewer_close(&v);
    return status;
}
