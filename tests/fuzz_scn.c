/*
 * fuzz_scn.c - the fuzz target for every input reader: the scenario parser
 * and the engine behind it (a file that parses must also run, without a
 * crash or a hang, within bounded events), and the strace log reader with
 * the timeline builder behind it (every input is given to both).  Built
 * two ways:
 *   make fuzz      with clang's libFuzzer, for a bounded time;
 *   make test      with FUZZ_REPLAY: a main() that replays tests/corpus/
 *                  and scenarios/ through the same target (fuzz_replay.h).
 * The viewer has its own target, fuzz_ui.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "real/strace.h"
#include "sim/scn.h"
#include "sim/sim.h"
#include "tl/export.h"
#include "tl/text.h"
#include "tl/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same bytes as a strace log: parsed, built, replayed, dumped */
static void strace_input(const uint8_t *data, size_t size)
{
    struct trace *tr = trace_new();
    struct strace_report rep;
    memset(&rep, 0, sizeof rep);
    struct tl *tl = NULL;
    if (tr && strace_parse(tr, "fuzz.log", (const char *)data, size, 0, &rep) == 0)
        trace_finish(tr, "fuzz", "fuzz.log", "strace", &tl);
    trace_free(tr);
    if (!tl)
        return;
    struct wcur c;
    if (wcur_open(&c, tl) == 0) {
        wcur_seek(&c, (long)tl->nev / 2);
        wcur_close(&c);
    }
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        tl_dump(tl, null);
        tl_export_json(tl, null);
        fclose(null);
    }
    tl_free(tl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    strace_input(data, size);
    struct prog *p = scn_parse("fuzz.scn", (const char *)data, size, err, sizeof err);
    if (!p)
        return 0;
    struct sim_opts o = {.max_events = 20000, .max_steps = 2000000,
                        .max_mem = 256 << 20};
    struct tl *tl = sim_run(p, &o, err, sizeof err);
    prog_free(p);
    if (!tl)
        return 0;
    struct wcur c;
    if (wcur_open(&c, tl) == 0) {
        wcur_seek(&c, (long)tl->nev / 2);
        wcur_seek(&c, 0);
        wcur_close(&c);
    }
    struct tl_stats st;
    tl_stats(tl, &st);
    tl_free(tl);
    return 0;
}

#ifdef FUZZ_REPLAY
#include "fuzz_replay.h"
#endif
