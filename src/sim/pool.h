/*
 * pool.h - the template behind `pool NAME { ... }`: multiprocessing.Pool
 * written in the scenario language, as scenarios/pool-apply.scn and
 * pool-apply-async.scn write it out by hand (CPython 3.11's
 * Lib/multiprocessing/pool.py: three SimpleQueues, the workers forked at
 * start-up, the parent's worker-handler, task-handler and result-handler
 * threads, close() and join()).
 *
 * A `pool` declaration (scn.c) is expanded into a `python` process that
 * makes the pool, calls apply() or apply_async() for each task, waits for
 * the results and closes the pool; the generated text is kept in the prog
 * (struct prog_script) and shown by the viewer like any other script.
 * With the lessons' settings (2 workers, 2 tasks, 20ms, 2 CPUs) the text
 * is the lessons' own, line for line.
 */
#ifndef IOSIM_POOL_H
#define IOSIM_POOL_H

#include <stdint.h>

struct pool_cfg {
    int64_t workers;  /* `workers N`: Pool(N), default 2 */
    int64_t tasks;    /* `tasks N`: calls made, default 2 */
    int64_t work;     /* `work DURATION`: the function's CPU time, 20ms */
    int async;        /* `call apply_async` (1) or `call apply` (0) */
    int callback;     /* `callback`: apply_async's callback prints the
                         result (a write of 40 bytes to fd 1) */
    int cpus;         /* the machine's CPUs, for the captions */
};

void pool_cfg_default(struct pool_cfg *c);
/* The pool's process NAME as scenario text (one `process` declaration);
 * NULL when out of memory.  The caller frees it. */
char *pool_expand(const char *name, const struct pool_cfg *c);

#endif
