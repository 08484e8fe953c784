/*
 * testlib.h - what the cmocka tests share: run a scenario (text or file,
 * optionally under a model) and find things in its timeline.  Include
 * after <cmocka.h>.  Failures end the test with the parser's or engine's
 * own message.
 */
#ifndef IOSIM_TESTLIB_H
#define IOSIM_TESTLIB_H

#include <string.h>

#include "sim/scn.h"
#include "sim/sim.h"

static char err[1024];

static inline struct tl *tl_or_fail(struct prog *p, const struct sim_opts *o)
{
    if (!p)
        fail_msg("parse: %s", err);
    struct tl *tl = sim_run(p, o, err, sizeof err);
    prog_free(p);
    if (!tl)
        fail_msg("run: %s", err);
    return tl;
}

static inline struct tl *run_model(const char *text, const char *model)
{
    return tl_or_fail(scn_parse_model("t.scn", text, strlen(text), model, err,
                                      sizeof err), NULL);
}

static inline struct tl *run_opts(const char *text, const struct sim_opts *o)
{
    return tl_or_fail(scn_parse("t.scn", text, strlen(text), err, sizeof err), o);
}

static inline struct tl *run_text(const char *text)
{
    return run_opts(text, NULL);
}

static inline struct tl *run_file(const char *path)
{
    return tl_or_fail(scn_load(path, err, sizeof err), NULL);
}

static inline int task_id(const struct tl *tl, const char *name)
{
    for (int i = 0; i < tl->ntasks; i++)
        if (!strcmp(tl->tasks[i].name, name))
            return i;
    fail_msg("no task %s", name);
    return -1;
}

/* Return values of task's syscalls of kind sys, in order; n of them */
static inline int sys_rets(const struct tl *tl, int task, int sys, int64_t *v,
                           int max)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == task && e->type == EV_SYSCALL && e->sub == sys) {
            if (n < max)
                v[n] = e->a;
            n++;
        }
    }
    return n;
}

#endif
