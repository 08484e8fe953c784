/*
 * fuzz_ui.c - the fuzz target for the viewer: a scenario from the input,
 * run with a small budget, then drawn at sizes and positions and driven by
 * keys that the input's own bytes choose (resizes, seeks, prompts, the
 * help screen, clicks).  No frame may crash, read out of bounds or take
 * long.  The scenario is the input up to a line "#--keys"; the bytes after
 * it are the session (each byte a key, the next ones a size or a click);
 * without that line a session is derived from a hash of the input.
 * Built two ways, as fuzz_scn.c:
 *   make fuzz      with clang's libFuzzer;
 *   make test      with FUZZ_REPLAY: every file of tests/corpus/ and
 *                  scenarios/ through the same target.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scn.h"
#include "sim/sim.h"
#include "ui/cell.h"
#include "ui/keys.h"
#include "ui/pair.h"
#include "ui/ui.h"
#include "ui/viewer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The keys a session picks from: every bound key and some that are not */
static const int keys[] = {
    'l', 'h', ' ', 'b', ']', '[', 'w', 'W', 'c', 'C', '}', '{', 'g', 'G',
    ':', '#', 'p', '+', '-', 'j', 'k', '\t', '/', 'n', 'N', 'm', '\'', '"',
    'z', 'Z', '?', 'i', 'q', 'x', '5', '0', 'u', 'e', '\n', 27, 127,
    's', 'd', 'D', 'r',
    UK_CTRL('l'), UK_UP, UK_DOWN, UK_LEFT, UK_RIGHT, UK_HOME, UK_END,
    UK_PGUP, UK_PGDN, UK_BACKSPACE, UK_BTAB, UK_F1, UK_DELETE, 0x4e2d,
};
#define NKEYS (sizeof keys / sizeof *keys)

struct session {
    const uint8_t *p;
    size_t n, i;
    uint64_t h; /* without session bytes: a generator seeded by the input */
};

static unsigned next(struct session *s)
{
    if (s->n)
        return s->p[s->i++ % s->n];
    s->h ^= s->h << 13;
    s->h ^= s->h >> 7;
    s->h ^= s->h << 17;
    return (unsigned)(s->h >> 24) & 0xff;
}

/* Sizes a class may use: the smallest that draws, the usual, a projector's
 * and odd ones (1 column, too small, 500 wide) */
static void pick_size(struct session *s, int *w, int *h)
{
    static const int sizes[][2] = {{80, 24}, {132, 43}, {80, 23}, {79, 22},
                                   {1, 1},   {20, 5},   {500, 200}, {100, 30},
                                   {200, 60}, {81, 25}};
    unsigned k = next(s);
    if (k < 200) {
        *w = sizes[k % 10][0];
        *h = sizes[k % 10][1];
    } else {
        *w = 1 + (int)(next(s) * 2u);
        *h = 1 + (int)next(s) / 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char mark[] = "\n#--keys\n";
    const uint8_t *cut = NULL;
    for (size_t i = 0; i + sizeof mark - 1 <= size && !cut; i++)
        if (!memcmp(data + i, mark, sizeof mark - 1))
            cut = data + i;
    size_t ntext = cut ? (size_t)(cut - data) + 1 : size;
    struct session ss = {.p = cut ? cut + sizeof mark - 1 : NULL};
    ss.n = cut ? size - ntext - (sizeof mark - 2) : 0;
    ss.h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        ss.h = (ss.h ^ data[i]) * 1099511628211ULL;
    ss.h |= 1;

    char err[512];
    struct prog *p = scn_parse("fuzz.scn", (const char *)data, ntext, err,
                               sizeof err);
    if (!p)
        return 0;
    struct sim_opts o = {.max_events = 20000, .max_steps = 2000000,
                         .max_mem = 256 << 20};
    struct tl *tl = sim_run(p, &o, err, sizeof err);
    if (!tl) {
        prog_free(p);
        return 0;
    }
    /* Side by side (the key s) pairs the run with the same scenario cut
     * short, which stands for a real run: every call after the cut is a
     * divergence */
    struct sim_opts cut_o = o;
    cut_o.max_events = tl->nev / 2 + 1;
    struct tl *other = sim_run(p, &cut_o, err, sizeof err);
    prog_free(p);
    struct ui_pair pair, *pp = NULL;
    struct viewer v;
    struct cbuf cb;
    int w, h;
    pick_size(&ss, &w, &h);
    if (viewer_open(&v, tl) == 0) {
        v.can_real = other != NULL;
        if (cb_init(&cb, w, h) == 0) {
            viewer_seek(&v, (long)(next(&ss) * tl->nev / 255));
            int steps = 8 + (int)(next(&ss) % 48);
            for (int k = 0; k < steps; k++) {
                struct viewer *cur = pp ? &pp->sim : &v;
                ui_render(cur, &cb);
                unsigned c = next(&ss);
                int r;
                if (c < 8) { /* a resize */
                    pick_size(&ss, &w, &h);
                    if (cb_resize(&cb, w, h))
                        break;
                    r = ui_key(cur, UK_RESIZE);
                } else if (c < 16) { /* a click somewhere */
                    cur->mouse_x = (int)next(&ss) % (w + 2) - 1;
                    cur->mouse_y = (int)next(&ss) % (h + 2) - 1;
                    r = ui_key(cur, UK_MOUSE);
                } else if (c < 20) { /* a playback tick */
                    r = ui_tick(cur);
                } else {
                    r = ui_key(cur, keys[c % NKEYS]);
                }
                if (r & UI_QUIT)
                    break;
                if ((r & UI_PAIR) && pp) {
                    ui_pair_close(pp);
                    pp = NULL;
                } else if ((r & UI_PAIR) && ui_pair_open(&pair, tl, other) == 0) {
                    pp = &pair;
                    viewer_seek(&pp->sim, viewer_pos(&v));
                    ui_pair_follow(pp, -1);
                }
            }
            ui_render(pp ? &pp->sim : &v, &cb);
            cb_free(&cb);
        }
        if (pp)
            ui_pair_close(pp);
        viewer_close(&v);
    }
    tl_free(other);
    tl_free(tl);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "fuzz_replay.h"
#endif
