/*
 * testlib.h - what the cmocka tests share: run a scenario (text or file,
 * optionally under a model), find things in its timeline (tasks, return
 * values, stores to shared variables, how many tasks ran at once), its
 * --dump and JSON texts, and compare a text with a golden file.  Include after <cmocka.h>.  Failures
 * end the test with the parser's or engine's own message.
 */
#ifndef IOSIM_TESTLIB_H
#define IOSIM_TESTLIB_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scn.h"
#include "sim/sim.h"
#include "tl/export.h"
#include "tl/text.h"

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

/* Values stored into shared variable NAME, in order; n of them */
static inline int stores(const struct tl *tl, const char *name, int64_t *v, int max)
{
    int q = -1, n = 0;
    for (int i = 0; i < tl->nqueues; i++)
        if (tl->queues[i].kind == TQK_MEM && !strcmp(tl->queues[i].name, name))
            q = i;
    if (q < 0)
        fail_msg("no variable %s", name);
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_MEM && tl->ev[i].obj == q &&
            tl->ev[i].sub == TM_STORE && n < max)
            v[n++] = tl->ev[i].a;
    return n;
}

/* The most tasks whose name begins with prefix running at one instant,
 * and in *overlap_ns for how long two or more did (the first 64 tasks) */
static inline int max_running(const struct tl *tl, const char *prefix,
                              int64_t *overlap_ns)
{
    int running[64] = {0}, n = 0, most = 0;
    int64_t since = 0;
    *overlap_ns = 0;
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_STATE || e->task >= 64 ||
            strncmp(tl->tasks[e->task].name, prefix, pl))
            continue;
        int was = running[e->task], now = e->sub == TS_RUNNING;
        if (was == now)
            continue;
        if (n >= 2)
            *overlap_ns += e->t - since;
        running[e->task] = now;
        n += now ? 1 : -1;
        since = e->t;
        if (n > most)
            most = n;
    }
    return most;
}

/* The timeline as --dump (json 0) or --export json (json 1) writes it,
 * NUL-terminated (malloc'd; *len its size if len is not NULL) */
static inline char *timeline_text(const struct tl *tl, int json, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    assert_int_equal(json ? tl_export_json(tl, f) : tl_dump(tl, f), 0);
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

/* The whole of file path, NUL-terminated (malloc'd; *len its size if len
 * is not NULL); NULL if it cannot be opened */
static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t k = fread(buf + n, 1, 4096, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* Compare text with $GOLDEN_DIR/NAME.txt (tests/golden by default), or
 * write it there when UPDATE_GOLDEN is set; a difference fails the test
 * with its first differing line */
static inline void check_golden(const char *name, const char *text)
{
    char path[512];
    const char *d = getenv("GOLDEN_DIR");
    snprintf(path, sizeof path, "%s/%s.txt", d && *d ? d : "tests/golden", name);
    const char *up = getenv("UPDATE_GOLDEN");
    if (up && *up && strcmp(up, "0")) {
        FILE *f = fopen(path, "wb");
        if (!f)
            fail_msg("cannot write %s: %s", path, strerror(errno));
        fputs(text, f);
        fclose(f);
        return;
    }
    char *want = slurp(path, NULL);
    if (!want)
        fail_msg("no golden file %s (run with UPDATE_GOLDEN=1 to create it)", path);
    if (strcmp(want, text)) {
        const char *a = want, *b = text;
        int line = 1;
        while (*a && *a == *b) {
            line += *a == '\n';
            a++, b++;
        }
        const char *ws = a, *gs = b;
        while (ws > want && ws[-1] != '\n')
            ws--;
        while (gs > text && gs[-1] != '\n')
            gs--;
        char wl[300] = "", gl[300] = "";
        sscanf(ws, "%299[^\n]", wl);
        sscanf(gs, "%299[^\n]", gl);
        free(want);
        fail_msg("%s differs at line %d:\n  want: %s\n  got:  %s\n"
                 "(UPDATE_GOLDEN=1 rewrites it after a deliberate change)",
                 path, line, wl, gl);
    }
    free(want);
}

#endif
