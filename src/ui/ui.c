/*
 * ui.c - the viewer's main loop: draw, wait for a key or a playback tick,
 * act, repeat.  The terminal size changes here and only here (UK_RESIZE).
 */
#include "ui/ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/keys.h"
#include "ui/pair.h"
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

static int is_real(const struct tl *tl)
{
    return tl->model && !strcmp(tl->model, "real");
}

/* Side by side: sim and real (one of them v's timeline) in a new pair, at
 * v's moment; NULL with a message in v when it cannot be made */
static struct ui_pair *pair_enter(struct viewer *v, struct tl *sim,
                                  struct tl *real, int at_start)
{
    struct ui_pair *p = malloc(sizeof *p);
    if (!p || ui_pair_open(p, sim, real)) {
        free(p);
        viewer_msg(v, "Out of memory setting the two runs side by side");
        return NULL;
    }
    long pos = viewer_pos(v);
    if (at_start && p->sim.ncaps > 0) {
        viewer_goto_step(&p->sim, 0);
        ui_pair_follow(p, -1);
    } else if (v->tl == real) {
        long d = ui_pair_row_of_real(p, pos);
        if (d >= 0)
            ui_pair_goto_row(p, d);
    } else {
        viewer_seek(&p->sim, pos);
        ui_pair_follow(p, -1);
    }
    p->sim.playing = v->playing;
    p->sim.speed = v->speed;
    if (p->ndiv)
        viewer_msg(&p->sim, "Side by side: the simulation (left), the real run "
                   "(right); %ld divergence%s: d jumps to the next", p->ndiv,
                   p->ndiv > 1 ? "s" : "");
    else
        viewer_msg(&p->sim, "Side by side: the simulation (left) and the real "
                   "run (right) agree; s shows one run alone");
    return p;
}

/* Back to one run: v, at the pair's moment of v's run */
static void pair_leave(struct viewer *v, struct ui_pair *p)
{
    int real = v->tl == p->real.tl;
    const struct viewer *from = real ? &p->real : &p->sim;
    viewer_seek(v, viewer_pos(from));
    if (from->sel_task >= 0)
        v->sel_task = from->sel_task;
    v->playing = p->sim.playing;
    v->speed = p->sim.speed;
    viewer_msg(v, "%s alone; s sets the two runs side by side again",
               real ? "The real run" : "The simulation");
    ui_pair_close(p);
    free(p);
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
    struct tl *other = o->other, *made = NULL; /* made: by the key s */
    v.has_other = other != NULL;
    v.can_real = o->run_real != NULL && !is_real(tl);
    if (tl->truncated)
        viewer_msg(&v, "The run stopped early: %s", tl->note ? tl->note
                                                            : "a limit was reached");
    else if (other)
        viewer_msg(&v, "The real run; r shows the simulation at the same caption");
    struct ui_pair *pair = NULL;
    if (o->side_by_side && other)
        pair = pair_enter(&v, is_real(tl) ? other : tl, is_real(tl) ? tl : other,
                          o->start_event < 0);
    int ascii = 0;
    if (term_init(o, &ascii)) { /* TERM unknown or dumb: what to use said */
        if (pair) {
            ui_pair_close(pair);
            free(pair);
        }
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
        struct viewer *cur = pair ? &pair->sim : &v;
        if (redraw) {
            ui_render(cur, &cb);
            term_draw(&cb, full);
            redraw = full = 0;
        }
        int timeout = ui_play_timeout(cur);
        int key = term_getkey(timeout >= 0 ? timeout : IDLE_MS, &cur->mouse_x,
                              &cur->mouse_y);
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
            r = ui_tick(cur);
        } else if (key == UK_RESIZE) {
            term_size(&cols, &rows);
            if (cb_resize(&cb, cols, rows))
                term_fatal("out of memory for the screen");
            r = UI_REDRAW | UI_FULL;
        } else {
            r = ui_key(cur, key);
        }
        term_quit_keys(cur->prompt == P_NONE && !cur->help);
        if (r & UI_QUIT)
            break;
        if ((r & UI_PAIR) && pair) {
            pair_leave(&v, pair);
            pair = NULL;
        } else if (r & UI_PAIR) {
            if (!other && o->run_real) { /* run it for real first */
                char err[512] = "";
                viewer_msg(&v, "Running %s for real, traced...",
                           tl->source ? tl->source : "the scenario");
                ui_render(&v, &cb);
                term_draw(&cb, 0);
                made = other = o->run_real(o->run_ctx, tl, err, sizeof err);
                const char *why = strstr(err, ": error: "); /* the file said */
                why = why ? why + 9 : err;
                if (!other) /* what is left of the message is the simulation */
                    viewer_msg(&v, "%.*s", (int)strcspn(why, ";"),
                               why[0] ? why : "It cannot run for real");
                v.has_other = other != NULL;
                v.can_real = 0;
            }
            if (other)
                pair = pair_enter(&v, is_real(tl) ? other : tl,
                                  is_real(tl) ? tl : other, 0);
        }
        if (r & UI_PAIR)
            r |= UI_REDRAW | UI_FULL;
        if ((r & UI_OTHER) && switch_run(&v, &tl, &other))
            term_fatal("out of memory opening the other run");
        if (r & UI_OTHER)
            r |= UI_REDRAW | UI_FULL;
        redraw |= (r & UI_REDRAW) != 0;
        full |= (r & UI_FULL) != 0;
    }
    term_done();
    cb_free(&cb);
    if (pair) {
        ui_pair_close(pair);
        free(pair);
    }
    viewer_close(&v);
    tl_free(made);
    return status;
}
