/*
 * sim.h - the discrete-event engine: runs a compiled scenario and records
 * everything that happens as a timeline (tl.h).
 *
 * Deterministic: the agenda is ordered by (virtual time, sequence), so a
 * scenario gives the same timeline on every run and every machine.  The
 * engine changes system state only by appending events and applying them to
 * its world (world.h): what it decides on is exactly what a viewer seeking
 * to that event shows.
 */
#ifndef IOSIM_SIM_H
#define IOSIM_SIM_H

#include <stddef.h>
#include "sim/prog.h"
#include "tl/tl.h"
#include "tl/world.h"

struct sim_opts {
    long max_events; /* 0: the scenario's (machine `events`) */
    long max_steps;  /* 0: the scenario's (machine `steps`) */
    int64_t max_mem; /* bytes; 0: the scenario's (machine `memory`) */
    int cpu_limit_s; /* the simulator's own CPU time; 0: SIM_CPU_LIMIT_S */
    /* Called after every event with the world that includes it (tests). */
    void (*on_event)(void *ctx, const struct world *w);
    void *ctx;
    struct sim_stats *stats; /* filled at the end of the run, or NULL */
};

/* What the engine did (make bench): agenda items taken (stale ones too),
 * and how many were pending when each was taken */
struct sim_stats {
    long items;
    long pending_max;
    double pending_mean;
    size_t bytes; /* what the timeline, the world and the engine's tables
                     hold at the end of the run (make bench: memory.counted) */
};

/*
 * Run p to the end (no task can make progress) or to the first limit it
 * reaches: virtual time, events, steps (instructions run and agenda items
 * taken), memory, or the simulator's own CPU time; a limit keeps the
 * timeline so far, with tl->truncated and a note naming the limit.  Returns a timeline (free with tl_free), or NULL with a message
 * "FILE:LINE:COL: error: ..." in err for a scenario that fails at run time
 * (a task looping forever without using time) or -ENOMEM.
 */
struct tl *sim_run(const struct prog *p, const struct sim_opts *o, char *err,
                   size_t errlen);

#endif
