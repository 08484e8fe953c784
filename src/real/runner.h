/*
 * runner.h - a scenario run for real: every task a real process, thread or
 * coroutine making the syscalls the simulator shows for it, in the sandbox
 * and under the tracer of real.h.
 *
 * The records it leaves (struct real_log) become a timeline with
 * real_timeline() (real_tl.c).  A prog is only read.
 */
#ifndef IOSIM_RUNNER_H
#define IOSIM_RUNNER_H

#include <stdint.h>

#include "real/real.h"
#include "sim/prog.h"

struct real_run_opts {
    struct real_limits lim;
    int64_t end_ns; /* the simulation's end: once the peers are done and
                       this much time has passed, what still runs (servers
                       waiting for the next client) is stopped */
    int scale;      /* slow the scenario's clock down this many times
                       (start times, sleeps, compute): 1 runs it at its
                       own times, more leaves the tracer room on a loaded
                       machine */
};

/* Run p for real (trace: REAL_TRACE_MARKED, or REAL_UNTRACED for the
 * overhead figure).  Returns 0 or -errno, as real_trace_run. */
int real_run(const struct prog *p, const struct real_run_opts *o, int trace,
             struct real_log *log);

/* The records of a run of p as a timeline (model "real"), through the
 * builder of trace.h; scale is the run's (real_run_opts); 0 and *out, or
 * -errno */
struct tl;
int real_timeline(const struct real_log *log, const struct prog *p, int scale,
                  struct tl **out);

/* What `iosim --real` does: run p for real (its simulated timeline sim
 * says how long the run takes), scale as in real_run_opts, and return the
 * real timeline; NULL with a one-line message in err when it cannot be
 * run (no namespaces here, too many tasks) */
struct tl *real_run_timeline(const struct prog *p, const struct tl *sim,
                             int scale, char *err, size_t len);

/* 1 if the runner has a real implementation of operation op (enum
 * prog_op); every operation of PROG_OPS must have one */
int real_op_implemented(int op);

#endif
