/*
 * test_mp.c - multiprocessing's start methods (mp.c) through the shipped
 * lesson spawn-main.scn and small scenarios: a spawned child re-runs the
 * main module's unguarded top-level code and a forked one does not; a
 * start reached during that re-run fails as CPython's does; the syscalls
 * of each method, in CPython's order; forkserver's children are the fork
 * server's; the language's errors.  And Pool, as pool-apply.scn and
 * pool-apply-async.scn write it out: apply runs the tasks one after
 * another, apply_async at once and sooner, and every callback runs in the
 * parent's result-handler thread; the `pool` template expands to those
 * lessons' own text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scn.h"
#include "sim/sim.h"
#include "tl/text.h"
#include "tl/world.h"
#include "testlib.h"

/* How many captions task said that begin with prefix */
static int said(const struct tl *tl, int task, const char *prefix)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_CAPTION && e->task == task && e->a >= 0 &&
            e->a < tl->nstrs &&
            !strncmp(tl->strs[e->a], prefix, strlen(prefix)))
            n++;
    }
    return n;
}

/* The exit code of task (its last EXITED or ZOMBIE state), -1 if none */
static int exit_code(const struct tl *tl, int task)
{
    int code = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_STATE && e->task == task &&
            (e->sub == TS_EXITED || e->sub == TS_ZOMBIE))
            code = (int)e->a;
    }
    return code;
}

/* The syscalls task entered, in order, as numbers (enum tl_sys or
 * TL_SYS_LINUX + nr) */
static int calls(const struct tl *tl, int task, int *v, int max)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev && n < max; i++)
        if (tl->ev[i].type == EV_SYS_ENTER && tl->ev[i].task == task)
            v[n++] = tl->ev[i].sub;
    return n;
}

#define VFORK (TL_SYS_LINUX + 58)
#define EXECVE (TL_SYS_LINUX + 59)

static void test_spawn_reruns_top_level(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/spawn-main.scn");
    int app = task_id(tl, "app"), fork = task_id(tl, "kid"),
        spawn = task_id(tl, "kid2");
    const char *top = "The main module's top-level code runs";
    const char *again = "kid2's fresh interpreter imports app's module";
    assert_int_equal(said(tl, app, top), 1);
    assert_int_equal(said(tl, fork, top) + said(tl, fork, again), 0);
    /* fork: never again; spawn: once more, as __mp_main__ */
    assert_int_equal(said(tl, spawn, top), 0);
    assert_int_equal(said(tl, spawn, again), 1);
    /* the guarded part ran in app only; both children ran their target */
    assert_int_equal(said(tl, spawn, "app's __name__"), 0);
    assert_int_equal(said(tl, fork, "kid (forked) runs its target"), 1);
    assert_int_equal(said(tl, spawn, "Only now does kid2 run its target"), 1);
    assert_int_equal(exit_code(tl, fork), 0);
    assert_int_equal(exit_code(tl, spawn), 0);
    /* the module names the viewer shows */
    assert_int_equal(tl->tasks[app].module, TL_MOD_NONE);
    assert_int_equal(tl->tasks[fork].module, TL_MOD_MAIN);
    assert_int_equal(tl->tasks[spawn].module, TL_MOD_MP_MAIN);
    assert_string_equal(tl_module_name(tl->tasks[spawn].module), "__mp_main__");
    tl_free(tl);
}

static void test_unguarded_start_fails(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/spawn-main.scn");
    int careless = task_id(tl, "careless"), helper = task_id(tl, "child");
    /* the child re-ran the top-level code, reached the start, and died of
     * RuntimeError: the traceback on fd 2, exit status 1; its target never
     * ran, and its parent's wait4 got the 1 */
    assert_int_equal(said(tl, helper, "child's fresh interpreter imports careless's module"), 1);
    assert_int_equal(said(tl, helper, "child's target never runs"), 0);
    assert_int_equal(exit_code(tl, helper), 1);
    int64_t w[4];
    assert_int_equal(sys_rets(tl, helper, SYS_WRITE, w, 4), 1);
    assert_int_equal(w[0], 2791);
    int c[64], n = calls(tl, helper, c, 64);
    assert_true(n >= 3);
    assert_int_equal(c[n - 2], SYS_WRITE);
    assert_int_equal(c[n - 1], SYS_EXIT_GROUP);
    assert_int_equal(said(tl, careless, "child exited with 1"), 1);
    tl_free(tl);
}

/* The syscalls of each method, in CPython 3.11's order */
static void test_start_syscalls(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app python {\n"
        "    if __name__ == \"__main__\" {\n"
        "        a = start fork kid {\n"
        "            compute 1ms\n"
        "        }\n"
        "        wait a\n"
        "        b = start spawn kid {\n"
        "            compute 1ms\n"
        "        }\n"
        "        wait b\n"
        "    }\n"
        "}\n");
    int app = task_id(tl, "app"), k1 = task_id(tl, "kid"),
        k2 = task_id(tl, "kid2");
    int c[64], n = calls(tl, app, c, 64);
    static const int parent[] = {
        SYS_PIPE2, SYS_PIPE2, SYS_CLONE, SYS_CLOSE, SYS_CLOSE, SYS_WAIT4,
        SYS_PIPE2, SYS_PIPE2, SYS_PIPE2, VFORK, SYS_CLOSE, SYS_CLOSE,
        SYS_WRITE, SYS_CLOSE, SYS_CLOSE, SYS_WAIT4, SYS_EXIT_GROUP};
    assert_int_equal(n, (int)(sizeof parent / sizeof parent[0]));
    for (int i = 0; i < n; i++)
        assert_int_equal(c[i], parent[i]);
    /* the forked child closes the parent's two ends, then runs */
    n = calls(tl, k1, c, 64);
    assert_int_equal(n, 3);
    assert_int_equal(c[0], SYS_CLOSE);
    assert_int_equal(c[1], SYS_CLOSE);
    assert_int_equal(c[2], SYS_EXIT_GROUP);
    /* the spawned one closes what it is not passed (the parent's end of
     * the first start's pipes, the new pipes' other ends, the error
     * pipe), execs, reads its task, runs */
    n = calls(tl, k2, c, 64);
    assert_true(n >= 4);
    for (int i = 0; i < n - 3; i++)
        assert_int_equal(c[i], SYS_CLOSE);
    assert_int_equal(c[n - 3], EXECVE);
    assert_int_equal(c[n - 2], SYS_READ);
    assert_int_equal(c[n - 1], SYS_EXIT_GROUP);
    /* vfork: app sleeps until kid2 execs; kid2's start-up (py_start) is
     * between its execve and its read of the 883-byte pickle */
    int64_t vfork_ret = -1, exec_at = -1, read_at = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYSCALL && e->task == app && e->sub == VFORK)
            vfork_ret = e->t;
        if (e->type == EV_SYS_ENTER && e->task == k2 && e->sub == EXECVE)
            exec_at = e->t;
        if (e->type == EV_SYSCALL && e->task == k2 && e->sub == SYS_READ) {
            read_at = e->t;
            assert_int_equal(e->a, 883);
        }
    }
    assert_true(exec_at >= 0 && vfork_ret > exec_at);
    assert_true(read_at - exec_at >= 20000000); /* python3 starts up */
    tl_free(tl);
}

static int64_t makespan(const struct tl *tl)
{
    return tl->nev ? tl->ev[tl->nev - 1].t : 0;
}

static void test_pool_apply_against_async(void **state)
{
    (void)state;
    struct tl *ap = run_file("scenarios/pool-apply.scn");
    struct tl *as = run_file("scenarios/pool-apply-async.scn");
    int64_t ov_ap, ov_as;
    /* apply: one task at a time, although two workers wait */
    max_running(ap, "worker", &ov_ap);
    assert_true(ov_ap < 100000);
    /* apply_async: both workers compute at once, for most of a task */
    assert_int_equal(max_running(as, "worker", &ov_as), 2);
    assert_true(ov_as > 15000000);
    /* and it is done sooner: about one task's time against two */
    assert_true(makespan(as) * 3 < makespan(ap) * 2);
    assert_true(makespan(ap) >= 40000000);
    tl_free(ap);
    tl_free(as);
}

/* close() and join(), as pool.py does them: the state word, then None on
 * the change notifier; the worker handler empties the notifier as
 * _wait_for_updates does (a poll with timeout 0 before each get, until it
 * finds nothing: two Nones here, the emptied cache's and close's), then
 * ends, the task handler sends a None to the result handler and to each
 * worker, and the result handler checks its pipe once more */
static void test_pool_close(void **state)
{
    (void)state;
    for (int async = 0; async < 2; async++) {
        struct tl *tl = run_file(async ? "scenarios/pool-apply-async.scn"
                                       : "scenarios/pool-apply.scn");
        int64_t v[64];
        assert_int_equal(stores(tl, "closing (main)", v, 64), 2);
        assert_int_equal(v[1], 1);
        int wh = task_id(tl, "main/workers"), rh = task_id(tl, "main/results");
        int n = sys_rets(tl, wh, SYS_POLL, v, 64);
        assert_true(n >= 4 && n < 64);
        assert_int_equal(v[n - 4], 1); /* woken */
        assert_int_equal(v[n - 3], 1); /* a None */
        assert_int_equal(v[n - 2], 1); /* another */
        assert_int_equal(v[n - 1], 0); /* empty */
        assert_int_equal(sys_rets(tl, rh, SYS_POLL, v, 64), 1);
        assert_int_equal(v[0], 0);
        /* close()'s caption: the worker handler is awake already when
           close() writes (the None of the emptied cache woke it) */
        int main_t = task_id(tl, "main"), st = -1;
        long cap = -1;
        for (size_t i = 0; i < tl->nev; i++) {
            const struct tl_ev *e = &tl->ev[i];
            if (e->type == EV_CAPTION && e->task == main_t &&
                strstr(tl->strs[e->a], "close() then puts None"))
                cap = (long)i;
            if (cap < 0 && e->type == EV_STATE && e->task == wh)
                st = e->sub;
        }
        assert_true(cap >= 0);
        assert_int_not_equal(st, TS_BLOCKED);
        assert_int_equal(tl->tasks[wh].proc, tl->tasks[rh].proc);
        tl_free(tl);
    }
}

/* The script line of the first line of file that contains text */
static int line_of(const char *file, const char *text)
{
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char b[1024];
    int n = 0, found = 0;
    while (fgets(b, sizeof b, f)) {
        n++;
        if (strstr(b, text)) {
            found = n;
            break;
        }
    }
    fclose(f);
    return found;
}

static void test_pool_callbacks_in_parent(void **state)
{
    (void)state;
    const char *file = "scenarios/pool-apply-async.scn";
    struct tl *tl = run_file(file);
    int main_ = task_id(tl, "main"), rh = task_id(tl, "main/results");
    int cb = line_of(file, "write 1 40"), say = cb - 1;
    assert_true(cb > 1);
    /* every event of the callback's lines (its caption, its print) is the
     * result-handler thread's, a thread of the parent process */
    int writes = 0, captions = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task >= tl->ntasks || (e->line != cb && e->line != say))
            continue;
        if (tl->tasks[e->task].script != tl->tasks[main_].script)
            continue;
        assert_int_equal(e->task, rh);
        assert_int_equal(tl->tasks[e->task].proc, main_);
        writes += e->type == EV_SYSCALL && e->sub == SYS_WRITE;
        captions += e->type == EV_CAPTION;
    }
    assert_int_equal(writes, 2); /* one callback per task */
    assert_int_equal(captions, 2);
    /* and no worker writes to the terminal */
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYS_ENTER && e->sub == SYS_WRITE && e->obj == 1 &&
            e->task < tl->ntasks)
            assert_int_equal(e->task, rh);
    }
    tl_free(tl);
}

static void expect_error(const char *text, const char *msg)
{
    char e[512];
    struct prog *p = scn_parse("t.scn", text, strlen(text), e, sizeof e);
    if (p) {
        prog_free(p);
        fail_msg("expected the error: %s", msg);
    }
    assert_string_equal(e, msg);
}

/* The task that reaped task (the obj of its EXITED state), -1 if none */
static int reaper(const struct tl *tl, int task)
{
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_STATE && e->task == task && e->sub == TS_EXITED)
            return e->obj;
    }
    return -1;
}

static int has_ret(const int64_t *v, int n, int64_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

/* forkserver: the children are the fork server's (it forks, reaps and
 * reports them), not the client's, whose fork and spawn children are its
 * own; the server and the resource tracker are started once */
static void test_forkserver_children(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app python {\n"
        "    say \"top-level code\"\n"
        "    if __name__ == \"__main__\" {\n"
        "        a = start forkserver kid {\n"
        "            compute 3ms\n"
        "        }\n"
        "        b = start forkserver kid {\n"
        "            compute 3ms\n"
        "        }\n"
        "        c = start fork forked {\n"
        "            compute 1ms\n"
        "        }\n"
        "        d = start spawn spawned {\n"
        "            compute 1ms\n"
        "        }\n"
        "        pa, sa = wait a\n"
        "        pb, sb = wait b\n"
        "        wait c\n"
        "        wait d\n"
        "    }\n"
        "}\n");
    int app = task_id(tl, "app"), server = task_id(tl, "forkserver"),
        tracker = task_id(tl, "resource_tracker"), k1 = task_id(tl, "kid"),
        k2 = task_id(tl, "kid2"), forked = task_id(tl, "forked"),
        spawned = task_id(tl, "spawned");
    int helpers = 0; /* one server, one tracker */
    for (int i = 0; i < tl->ntasks; i++)
        helpers += !strncmp(tl->tasks[i].name, "forkserver", 10) ||
                   !strncmp(tl->tasks[i].name, "resource_tracker", 16);
    assert_int_equal(helpers, 2);
    /* the helpers are app's children (vfork + execve) */
    assert_int_equal(tl->tasks[server].parent, app);
    assert_int_equal(tl->tasks[tracker].parent, app);
    /* each forkserver child's parent is the server, which reaps it and
     * whose wait4 returns its pid; app never waits for them */
    int64_t w[16];
    int nw = sys_rets(tl, server, SYS_WAIT4, w, 16);
    for (int k = 0; k < 2; k++) {
        int c = k ? k2 : k1;
        assert_int_equal(tl->tasks[c].parent, server);
        assert_int_equal(reaper(tl, c), server);
        assert_true(has_ret(w, nw, 1000 + c));
        assert_int_equal(exit_code(tl, c), 0);
        /* a fork of the server, which never imported the main module: the
         * child imports it as __mp_main__ and runs its top-level code */
        assert_int_equal(tl->tasks[c].module, TL_MOD_MP_MAIN);
        assert_int_equal(said(tl, c, "top-level code"), 1);
    }
    assert_int_equal(said(tl, server, "top-level code"), 0);
    /* each reaping wait4 shows the status it wrote, as strace does:
     * wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL) */
    int shown = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != server || e->type != EV_SYS_ENTER || e->sub != SYS_WAIT4)
            continue;
        char txt[256];
        tl_enter_text(txt, sizeof txt, tl, e);
        shown += strstr(txt, "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG") != NULL;
    }
    assert_int_equal(shown, 2);
    int64_t aw[16];
    int naw = sys_rets(tl, app, SYS_WAIT4, aw, 16);
    assert_false(has_ret(aw, naw, 1000 + k1));
    assert_false(has_ret(aw, naw, 1000 + k2));
    /* the control: fork and spawn children are app's, reaped by app */
    assert_int_equal(tl->tasks[forked].parent, app);
    assert_int_equal(tl->tasks[spawned].parent, app);
    assert_int_equal(reaper(tl, forked), app);
    assert_int_equal(reaper(tl, spawned), app);
    /* the request went over the server's socket with SCM_RIGHTS */
    int c[512], n = calls(tl, app, c, 512), sendmsg = 0, recvmsg = 0;
    for (int i = 0; i < n; i++)
        sendmsg += c[i] == TL_SYS_LINUX + 46;
    n = calls(tl, server, c, 512);
    for (int i = 0; i < n; i++)
        recvmsg += c[i] == TL_SYS_LINUX + 47;
    assert_int_equal(sendmsg, 2);
    assert_int_equal(recvmsg, 2);
    tl_free(tl);
}

/* `pool` with the lessons' settings expands to the lessons' own process:
 * the same timeline, event for event, as pool-apply-async.scn and
 * pool-apply.scn */
static void test_pool_template_is_the_lesson(void **state)
{
    (void)state;
    static const char *const decl[2] = {
        "machine {\n    cpus 2\n}\n"
        "pool main {\n    workers 2\n    tasks 2\n    work 20ms\n"
        "    call apply_async\n    callback\n}\n",
        "machine {\n    cpus 2\n}\n"
        "pool main {\n    call apply\n}\n"};
    static const char *const lesson[2] = {"scenarios/pool-apply-async.scn",
                                          "scenarios/pool-apply.scn"};
    for (int i = 0; i < 2; i++) {
        struct tl *a = run_text(decl[i]), *b = run_file(lesson[i]);
        char *da = timeline_text(a, 0, NULL), *db = timeline_text(b, 0, NULL);
        assert_true(strlen(da) > 10000);
        assert_string_equal(da, db);
        free(da);
        free(db);
        tl_free(a);
        tl_free(b);
    }
}

/* Other settings: the counts and the captions follow them */
static void test_pool_template_settings(void **state)
{
    (void)state;
    struct tl *tl = run_text("machine {\n    cpus 2\n}\n"
                             "pool crunch {\n    workers 3\n    tasks 5\n"
                             "    work 10ms\n}\n");
    int main = task_id(tl, "crunch"), rh = task_id(tl, "crunch/results");
    assert_int_equal(said(tl, main, "All five tasks are on their way"), 1);
    assert_int_equal(said(tl, rh, "The result handler reads the result"), 5);
    assert_int_equal(said(tl, main, "All five results are back after three "
                     "tasks' time, about 30 ms"), 1);
    int workers = 0;
    for (int i = 0; i < tl->ntasks; i++)
        workers += !strncmp(tl->tasks[i].name, "worker", 6) &&
                   tl->tasks[i].parent == main;
    assert_int_equal(workers, 3);
    for (int i = 0; i < tl->ntasks; i++)
        assert_true(exit_code(tl, i) == 0);
    tl_free(tl);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("process app {\n    a = start spawn {\n    }\n}\n",
                 "t.scn:2:9: error: start is multiprocessing's "
                 "Process.start(): declare the process python (process "
                 "NAME python {)");
    expect_error("pool p {\n    call apply\n    callback\n}\n",
                 "t.scn:3:1: error: apply() takes no callback (Pool.apply "
                 "has none): write call apply_async");
    expect_error("pool p {\n}\nmachine {\n    cpus 2\n}\n",
                 "t.scn:3:1: error: machine must come before the pool "
                 "declarations (a pool's captions count its CPUs)");
    expect_error("pool p {\n    worker 2\n}\n",
                 "t.scn:2:5: error: unknown pool setting 'worker'; did you "
                 "mean 'workers'?");
    expect_error("pool p {\n    call map\n}\n",
                 "t.scn:2:10: error: unknown call 'map': expected apply or "
                 "apply_async");
    expect_error("process app {\n    if __name__ == \"__main__\" {\n    }\n}\n",
                 "t.scn:2:8: error: __name__ is the name of a Python module: "
                 "declare the process python (process NAME python {)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spawn_reruns_top_level),
        cmocka_unit_test(test_unguarded_start_fails),
        cmocka_unit_test(test_start_syscalls),
        cmocka_unit_test(test_forkserver_children),
        cmocka_unit_test(test_pool_template_is_the_lesson),
        cmocka_unit_test(test_pool_template_settings),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pool_apply_against_async),
        cmocka_unit_test(test_pool_close),
        cmocka_unit_test(test_pool_callbacks_in_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
