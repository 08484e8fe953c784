/*
 * test_mem.c - a process's memory: `shared` variables (threads and
 * coroutines share them, a forked child gets a copy), integer arithmetic,
 * the data race it makes visible, and the names a scenario gives to the
 * tasks it creates.
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
#include "tl/world.h"
#include "testlib.h"

/* The queue of variable NAME of process PROC ("counter (app)") */
static int mem_queue(const struct tl *tl, const char *name)
{
    for (int q = 0; q < tl->nqueues; q++)
        if (tl->queues[q].kind == TQK_MEM && !strcmp(tl->queues[q].name, name))
            return q;
    fail_msg("no variable %s", name);
    return -1;
}

/* The value of a shared variable at the end of the run */
static int64_t mem_final(const struct tl *tl, const char *name)
{
    int q = mem_queue(tl, name);
    int64_t v = -12345;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_MEM && tl->ev[i].obj == q &&
            tl->ev[i].sub != TM_LOAD)
            v = tl->ev[i].a;
    return v;
}

/* The exit code the task's last EXITED state gave */
static int64_t exit_code(const struct tl *tl, int task)
{
    int64_t code = -1;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].task == task && tl->ev[i].type == EV_STATE &&
            tl->ev[i].sub == TS_EXITED)
            code = tl->ev[i].a;
    return code;
}

static void expect_parse_error(const char *text, const char *msg)
{
    char e[512];
    struct prog *p = scn_parse("t.scn", text, strlen(text), e, sizeof e);
    if (p) {
        prog_free(p);
        fail_msg("parsed, expected: %s", msg);
    }
    if (!strstr(e, msg))
        fail_msg("got '%s', expected '%s'", e, msg);
}

/* Threads share `shared` variables; their locals are their own copies */
static void test_threads_share(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    shared total\n"
        "    mine = set 5\n"
        "    t = thread {\n"
        "        total = set 7\n"
        "        mine = set 9\n"
        "    }\n"
        "    join t\n"
        "    if mine != 5 {\n"
        "        exit 1\n"
        "    }\n"
        "    if total != 7 {\n"
        "        exit 2\n"
        "    }\n"
        "    total = total * 6\n"
        "}\n");
    assert_int_equal(exit_code(tl, task_id(tl, "app")), 0);
    assert_int_equal(mem_final(tl, "total (app)"), 42);
    tl_free(tl);
}

/* A forked child gets a copy: its stores stay in its own memory */
static void test_fork_copies(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    shared n\n"
        "    n = set 3\n"
        "    pid = fork kid {\n"
        "        n = n + 100\n"
        "        exit n\n"
        "    }\n"
        "    wait pid\n"
        "    exit n\n"
        "}\n");
    int app = task_id(tl, "app"), kid = task_id(tl, "kid");
    assert_int_equal(exit_code(tl, app), 3);
    assert_int_equal(exit_code(tl, kid), 103);
    assert_int_equal(mem_final(tl, "n (app)"), 3);
    assert_int_equal(mem_final(tl, "n (kid)"), 103);
    int copies = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_MEM && tl->ev[i].sub == TM_COPY) {
            assert_int_equal(tl->ev[i].task, kid);
            assert_int_equal(tl->ev[i].a, 3);
            copies++;
        }
    assert_int_equal(copies, 1);
    tl_free(tl);
}

/* Coroutines of a thread see its process's memory */
static void test_coroutines_share(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    shared hits\n"
        "    a = coroutine {\n"
        "        hits = hits + 1\n"
        "        yield\n"
        "        hits = hits + 10\n"
        "    }\n"
        "    yield\n"
        "    hits = hits + 100\n"
        "    yield\n"
        "    compute 1us\n"
        "}\n");
    assert_int_equal(mem_final(tl, "hits (app)"), 111);
    tl_free(tl);
}

static void test_arithmetic(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    a = set 17\n"
        "    b = a - 20\n"    /* -3 */
        "    c = b * -4\n"    /* 12 */
        "    d = c / 5\n"     /* 2 */
        "    e = a % 5\n"     /* 2 */
        "    f = -17 / 5\n"   /* -3: C truncates toward zero */
        "    g = -17 % 5\n"   /* -2 */
        "    h = 2ms + 500us\n"
        "    if h != 2500us {\n        exit 9\n    }\n"
        "    r = d + e\n"
        "    r = r + f\n"
        "    r = r + g\n"     /* 2 + 2 - 3 - 2 = -1 */
        "    r = r + c\n"     /* 11 */
        "    exit r\n"
        "}\n");
    assert_int_equal(exit_code(tl, task_id(tl, "app")), 11);
    tl_free(tl);
}

/* Division by zero is the program's SIGFPE: the process dies, 128 + 8 */
static void test_divide_by_zero(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    z = set 0\n"
        "    t = thread {\n"
        "        sleep 1ms\n"
        "    }\n"
        "    x = 10 / z\n"
        "    exit 0\n"
        "}\n");
    int app = task_id(tl, "app");
    assert_int_equal(exit_code(tl, app), 136);
    assert_int_equal(exit_code(tl, task_id(tl, "app/t1")), 136);
    int sig = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SIGNAL && tl->ev[i].a == 8)
            sig++;
    assert_int_equal(sig, 1);
    tl_free(tl);
    tl = run_text("process app {\n    m = set -9223372036854775807\n"
                  "    m = m - 1\n    x = m % -1\n}\n");
    assert_int_equal(exit_code(tl, task_id(tl, "app")), 136);
    tl_free(tl);
}

/*
 * Two threads on two CPUs incrementing a shared counter without a lock:
 * each increment is a load, an add in a register and a store, and while
 * both run, each loads the value the other has not stored yet.  The count
 * is short of 2 x N, and the same on every run.
 */
static const char *race =
    "machine {\n    cpus 2\n}\n"
    "process app {\n"
    "    shared counter\n"
    "    a = thread adder {\n"
    "        repeat 1000 {\n            counter = counter + 1\n        }\n"
    "    }\n"
    "    b = thread adder {\n"
    "        repeat 1000 {\n            counter = counter + 1\n        }\n"
    "    }\n"
    "    join a\n    join b\n"
    "}\n";

static void test_race_loses_updates(void **state)
{
    (void)state;
    struct tl *tl = run_text(race);
    int64_t v = mem_final(tl, "counter (app)");
    assert_true(v >= 1000 && v < 2000);
    /* the interleaving is visible: a load by one thread between a load
       and the store of the other */
    int q = mem_queue(tl, "counter (app)"), a = task_id(tl, "app/adder");
    int b = task_id(tl, "app/adder2"), interleaved = 0, last_load = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_MEM || e->obj != q)
            continue;
        if (e->sub == TM_LOAD && last_load >= 0 && last_load != e->task)
            interleaved++;
        last_load = e->sub == TM_LOAD ? e->task : -1;
    }
    assert_true(interleaved > 100);
    (void)a;
    (void)b;
    struct tl *again = run_text(race);
    assert_int_equal(mem_final(again, "counter (app)"), v);
    tl_free(again);
    tl_free(tl);
}

/* The event of task's next MEM op on queue q at or after event i, or -1 */
static long next_mem(const struct tl *tl, size_t i, int task, int q, int op)
{
    for (; i < tl->nev; i++)
        if (tl->ev[i].type == EV_MEM && tl->ev[i].task == task &&
            tl->ev[i].obj == q && tl->ev[i].sub == op)
            return (long)i;
    return -1;
}

/* The first caption task says that begins with prefix, or -1 */
static long caption_of(const struct tl *tl, int task, const char *prefix)
{
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION && tl->ev[i].task == task &&
            !strncmp(tl->strs[tl->ev[i].a], prefix, strlen(prefix)))
            return (long)i;
    return -1;
}

/* shared-counter.scn's captions tell numbers and an order that are the
 * engine's: they must stay what the timeline shows when its timing moves.
 * The race: both threads load 202, adder2 stores 203 first and adder's
 * 203 writes over it; the count ends short of 600.  The mutex: adder2's
 * first unlock finds 2 (locked/adder asleep in futex m) and wakes it */
static void test_shared_counter_captions(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/shared-counter.scn");
    int q = mem_queue(tl, "counter (racy)");
    int a = task_id(tl, "racy/adder"), b = task_id(tl, "racy/adder2");
    long c = caption_of(tl, b, "Now both threads run at once: here both loaded 202");
    assert_true(c >= 0);
    long la = next_mem(tl, (size_t)c, a, q, TM_LOAD);
    long lb = next_mem(tl, (size_t)c, b, q, TM_LOAD);
    long sa = next_mem(tl, (size_t)c, a, q, TM_STORE);
    long sb = next_mem(tl, (size_t)c, b, q, TM_STORE);
    assert_true(la >= 0 && lb >= 0 && sa >= 0 && sb >= 0);
    assert_int_equal(tl->ev[la].a, 202);
    assert_int_equal(tl->ev[lb].a, 202);
    assert_true(la < sb && lb < sa); /* both loaded before either stored */
    assert_int_equal(tl->ev[sb].a, 203);
    assert_int_equal(tl->ev[sa].a, 203);
    assert_true(sb < sa); /* adder2's first, adder's next, over it */
    assert_true(mem_final(tl, "counter (racy)") < 600);
    assert_int_equal(mem_final(tl, "counter (locked)"), 600);
    int m = mem_queue(tl, "m (locked)");
    int la2 = task_id(tl, "locked/adder"), lb2 = task_id(tl, "locked/adder2");
    c = caption_of(tl, lb2, "locked/adder found m held by adder2");
    assert_true(c >= 0);
    /* before it: adder's compare-and-swap failed and it exchanged in 2 */
    long x = -1;
    for (long i = c; i >= 0 && x < 0; i--)
        if (tl->ev[i].type == EV_MEM && tl->ev[i].obj == m &&
            tl->ev[i].task == la2 && tl->ev[i].sub == TM_XCHG)
            x = i;
    assert_true(x >= 0);
    assert_int_equal(tl->ev[x].a, 2);
    /* adder2's unlock after it finds 2, and its futex wakes adder */
    long u = next_mem(tl, (size_t)c, lb2, m, TM_XCHG);
    assert_true(u >= 0);
    assert_int_equal(tl->ev[u].b, 2);
    assert_int_equal(tl->ev[u].a, 0);
    long w = -1;
    for (long i = u; i < (long)tl->nev && w < 0; i++)
        if (tl->ev[i].type == EV_SYS_ENTER && tl->ev[i].task == lb2 &&
            tl->ev[i].sub == SYS_FUTEX)
            w = i;
    assert_true(w >= 0 && (tl->ev[w].a & TL_FUTEX_WAKE));
    tl_free(tl);
}

/* Names chosen in the scenario, made unique */
static void test_names(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    repeat 2 {\n"
        "        t = thread worker {\n            sleep 1ms\n        }\n"
        "    }\n"
        "    p = fork child {\n        sleep 1ms\n    }\n"
        "    q = fork child {\n        sleep 1ms\n    }\n"
        "    c = coroutine fetch {\n        yield\n    }\n"
        "    u = thread {\n        sleep 1ms\n    }\n"
        "    yield\n"
        "    sleep 2ms\n"
        "}\n");
    assert_int_equal(tl->tasks[task_id(tl, "app/worker")].kind, TK_THREAD);
    assert_int_equal(tl->tasks[task_id(tl, "app/worker2")].kind, TK_THREAD);
    assert_int_equal(tl->tasks[task_id(tl, "child")].kind, TK_PROCESS);
    assert_int_equal(tl->tasks[task_id(tl, "child2")].kind, TK_PROCESS);
    assert_int_equal(tl->tasks[task_id(tl, "app/fetch")].kind, TK_COROUTINE);
    assert_int_equal(tl->tasks[task_id(tl, "app/t1")].kind, TK_THREAD);
    for (int i = 0; i < tl->ntasks; i++)
        for (int j = i + 1; j < tl->ntasks; j++)
            assert_string_not_equal(tl->tasks[i].name, tl->tasks[j].name);
    tl_free(tl);
}

static int count_sys(const struct tl *tl, int sys, int64_t flag)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SYS_ENTER && tl->ev[i].sub == sys &&
            (!flag || (tl->ev[i].a & flag)))
            n++;
    return n;
}

/* The same race with a lock around the increment: no update is lost; the
 * contended lock sleeps in futex(FUTEX_WAIT) and is handed over with
 * FUTEX_WAKE, as glibc's lowlevellock does */
static void test_lock_fixes_race(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 2\n}\n"
        "process app {\n"
        "    shared counter m\n"
        "    a = thread adder {\n        repeat 1000 {\n            lock m\n"
        "            counter = counter + 1\n            unlock m\n        }\n    }\n"
        "    b = thread adder {\n        repeat 1000 {\n            lock m\n"
        "            counter = counter + 1\n            unlock m\n        }\n    }\n"
        "    join a\n    join b\n"
        "}\n");
    assert_int_equal(mem_final(tl, "counter (app)"), 2000);
    assert_int_equal(mem_final(tl, "m (app)"), 0);
    int waits = count_sys(tl, SYS_FUTEX, TL_FUTEX_WAIT);
    int wakes = count_sys(tl, SYS_FUTEX, TL_FUTEX_WAKE);
    assert_true(waits > 10);
    assert_true(wakes >= waits - 1);
    tl_free(tl);
}

/* An uncontended lock is an atomic instruction and no syscall */
static void test_uncontended_lock(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n    shared m n\n    repeat 5 {\n        lock m\n"
        "        n = n + 1\n        unlock m\n    }\n}\n");
    assert_int_equal(count_sys(tl, SYS_FUTEX, 0), 0);
    assert_int_equal(mem_final(tl, "n (app)"), 5);
    int cas = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_MEM && tl->ev[i].sub == TM_CAS) {
            assert_int_equal(tl->ev[i].b, 0);
            assert_int_equal(tl->ev[i].a, 1);
            cas++;
        }
    assert_int_equal(cas, 5);
    tl_free(tl);
}

/* Two threads, two locks, opposite orders: reported, not a hang */
static void test_deadlock(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 2\n}\n"
        "process app {\n    shared a b\n"
        "    t1 = thread left {\n        lock a\n        compute 100us\n"
        "        lock b\n        unlock b\n        unlock a\n    }\n"
        "    t2 = thread right {\n        lock b\n        compute 100us\n"
        "        lock a\n        unlock a\n        unlock b\n    }\n"
        "    join t1\n    join t2\n}\n");
    assert_non_null(tl->note);
    assert_non_null(strstr(tl->note, "Deadlock: "));
    assert_non_null(strstr(tl->note, "app/left waits for b, held by app/right"));
    int found = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION &&
            strstr(tl->strs[tl->ev[i].a], "Deadlock"))
            found++;
    assert_int_equal(found, 1);
    tl_free(tl);
    /* a thread taking a lock it holds deadlocks with itself */
    tl = run_text("process app {\n    shared m\n    lock m\n    lock m\n}\n");
    assert_non_null(tl->note);
    assert_non_null(strstr(tl->note, "app waits for m, held by app"));
    tl_free(tl);
}

/* A consumer that finds nothing waits on the condition variable, which
 * releases the mutex; the producer's signal wakes it, and it holds the
 * mutex again when cond_wait returns */
static void test_condition_variable(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 2\n}\n"
        "process app {\n    shared m c items got\n"
        "    q = thread consumer {\n        repeat 3 {\n            lock m\n"
        "            while items == 0 {\n                cond_wait c m\n"
        "            }\n            items = items - 1\n"
        "            got = got + 1\n            unlock m\n        }\n    }\n"
        "    p = thread producer {\n        repeat 3 {\n            sleep 100us\n"
        "            lock m\n            items = items + 1\n"
        "            cond_signal c\n            unlock m\n        }\n    }\n"
        "    join p\n    join q\n    exit got\n}\n");
    assert_int_equal(exit_code(tl, task_id(tl, "app")), 3);
    int cons = task_id(tl, "app/consumer"), sleeps = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_STATE && tl->ev[i].task == cons &&
            tl->ev[i].sub == TS_BLOCKED && tl->ev[i].a == TW_FUTEX)
            sleeps++;
    assert_true(sleeps >= 3);
    assert_int_equal(mem_final(tl, "m (app)"), 0);
    tl_free(tl);
}

/* A semaphore of 1 lets one of three threads in at a time */
static void test_semaphore(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 4\n}\n"
        "process app {\n    shared s inside worst done\n    s = set 1\n"
        "    repeat 3 {\n        t = thread worker {\n            sem_wait s\n"
        "            inside = inside + 1\n            if inside > worst {\n"
        "                worst = set inside\n            }\n"
        "            compute 50us\n            inside = inside - 1\n"
        "            done = done + 1\n            sem_post s\n        }\n    }\n"
        "    sleep 1ms\n    exit worst\n}\n");
    assert_int_equal(exit_code(tl, task_id(tl, "app")), 1);
    assert_int_equal(mem_final(tl, "done (app)"), 3);
    assert_int_equal(mem_final(tl, "s (app)"), 1);
    assert_true(count_sys(tl, SYS_FUTEX, TL_FUTEX_WAIT) >= 1);
    tl_free(tl);
}

/* The state of task k after the event at index idx */
static int state_at(const struct tl *tl, int k, size_t idx)
{
    int st = TS_NONE;
    for (size_t i = 0; i <= idx && i < tl->nev; i++)
        if (tl->ev[i].type == EV_STATE && tl->ev[i].task == k)
            st = tl->ev[i].sub;
    return st;
}

/* A child that exits is a zombie until its parent's wait4, which gives the
 * pid and the status; the parent is sent SIGCHLD (ignored by default) */
static void test_zombie_until_wait(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process shell {\n"
        "    pid = fork worker {\n        compute 1ms\n        exit 3\n    }\n"
        "    k = fork doomed {\n        z = set 0\n        x = 1 / z\n    }\n"
        "    sleep 5ms\n"
        "    p, st = wait pid\n"
        "    q, st2 = wait\n"
        "    r = wait\n"
        "    if p != pid {\n        exit 1\n    }\n"
        "    if st != 3 {\n        exit 2\n    }\n"
        "    if st2 != 136 {\n        exit 3\n    }\n"
        "    if r != ECHILD {\n        exit 4\n    }\n"
        "}\n");
    int sh = task_id(tl, "shell"), w = task_id(tl, "worker");
    assert_int_equal(exit_code(tl, sh), 0);
    long zombie = -1, reaped = -1, chld = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_STATE && e->task == w && e->sub == TS_ZOMBIE)
            zombie = (long)i;
        if (e->type == EV_STATE && e->task == w && e->sub == TS_EXITED) {
            assert_int_equal(e->obj, sh);
            assert_int_equal(e->a, 3);
            reaped = (long)i;
        }
        if (e->type == EV_SIGNAL && e->a == TL_SIGCHLD && TL_CHLD_PID(e->b) == 1001) {
            assert_int_equal(e->task, sh);
            assert_int_equal(e->sub, 3);
            assert_int_equal(TL_CHLD_STATUS(e->b), 3);
            chld = (long)i;
        }
    }
    assert_true(zombie > 0 && chld > zombie && reaped > chld);
    /* what wait4 wrote in status, in strace's words at its return */
    int nst = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_SYSCALL || e->sub != SYS_WAIT4 || e->a <= 0)
            continue;
        assert_true(e->obj <= -2);
        const char *st = tl->strs[TL_OBJ_STR(e->obj)];
        assert_string_equal(st, nst++ ? "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGFPE}]"
                                      : "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]");
    }
    assert_int_equal(nst, 2);
    /* a zombie between its exit and the wait, at least 3 ms */
    assert_int_equal(state_at(tl, w, (size_t)reaped - 1), TS_ZOMBIE);
    assert_true(tl->ev[reaped].t - tl->ev[zombie].t > 3000000);
    tl_free(tl);
}

/* do_exit closes the files (exit_files) before exit_notify: the reader of
 * a pipe whose last writer exits sees end of file before the writer is a
 * zombie and its parent gets SIGCHLD; an orphan is adopted before its
 * parent's own end */
static void test_exit_closes_files_first(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process shell {\n"
        "    r, w = pipe\n"
        "    pid = fork worker {\n"
        "        k = fork late {\n            close w\n            sleep 5ms\n        }\n"
        "        sleep 1ms\n        exit 3\n    }\n"
        "    close w\n"
        "    n = read r 10\n"
        "    p, st = wait pid\n"
        "}\n");
    int w = task_id(tl, "worker"), late = task_id(tl, "late");
    long eof = -1, closed = -1, adopted = -1, zombie = -1, chld = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_EOF && eof < 0)
            eof = (long)i;
        if (e->type == EV_FD_CLOSE && e->task == w)
            closed = (long)i;
        if (e->type == EV_REPARENT && e->task == late)
            adopted = (long)i;
        if (e->type == EV_STATE && e->task == w && e->sub == TS_ZOMBIE)
            zombie = (long)i;
        if (e->type == EV_SIGNAL && e->a == TL_SIGCHLD && e->task == 0)
            chld = (long)i;
    }
    assert_true(eof > 0 && closed > eof && adopted > closed);
    assert_true(zombie > adopted && chld > zombie);
    assert_int_equal(tl->ev[eof].t, tl->ev[zombie].t);
    tl_free(tl);
}

/* A parent that exits first: init adopts its children and reaps them */
static void test_orphans(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process shell {\n"
        "    a = fork early {\n        exit 1\n    }\n"
        "    b = fork late {\n        sleep 5ms\n        exit 2\n    }\n"
        "    sleep 1ms\n"
        "}\n");
    int early = task_id(tl, "early"), late = task_id(tl, "late");
    int adopted = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_REPARENT) {
            assert_int_equal(e->a, -1);
            adopted++;
        }
        if (e->type == EV_STATE && e->sub == TS_EXITED && e->task == early)
            assert_int_equal(e->obj, TL_REAP_INIT_ZOMBIE);
        if (e->type == EV_STATE && e->sub == TS_EXITED && e->task == late)
            assert_int_equal(e->obj, TL_REAP_INIT);
        assert_false(e->type == EV_STATE && e->sub == TS_ZOMBIE && e->task == late);
    }
    assert_int_equal(adopted, 2);
    assert_int_equal(state_at(tl, early, tl->nev), TS_EXITED);
    assert_int_equal(state_at(tl, late, tl->nev), TS_EXITED);
    tl_free(tl);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("process p {\n    x = set 1\n    shared x\n}\n",
                       "t.scn:3:12: error: 'x' is already a variable: declare "
                       "it shared before its first use");
    expect_parse_error("process p {\n    shared\n}\n",
                       "t.scn:2:5: error: shared takes one or more names");
    expect_parse_error("process p {\n    shared 5\n}\n",
                       "t.scn:2:12: error: expected a name: shared counter");
    expect_parse_error("process p {\n    a = set 1\n    b = a + 1 + 2\n}\n",
                       "t.scn:3:15: error: one operator a line");
    expect_parse_error("process p {\n    a = set 1\n    b = a -1\n}\n",
                       "t.scn:3:11: error: to subtract, put a space after "
                       "'-': b = a - 1");
    expect_parse_error("process p {\n    b = b + 1\n}\n",
                       "t.scn:2:9: error: unknown variable 'b'");
    expect_parse_error("process p {\n    a = set 1\n    b = a + \n}\n",
                       "t.scn:3:13: error: expected a value");
    expect_parse_error("shared x\nprocess p {\n}\n",
                       "t.scn:1:1: error: statements belong inside a process");
    expect_parse_error("process p {\n    x = shared y\n}\n",
                       "'shared' returns no value");
    expect_parse_error("process p {\n    m = set 0\n    lock m\n}\n",
                       "t.scn:3:10: error: 'm' is a local: a lock is a word of "
                       "memory the threads share; declare it with shared m");
    expect_parse_error("process p {\n    lock m\n}\n",
                       "t.scn:2:10: error: unknown lock 'm': declare it first");
    expect_parse_error("process p {\n    shared c\n    cond_wait c\n}\n",
                       "cond_wait takes C M (found 1 operand)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share),
        cmocka_unit_test(test_fork_copies),
        cmocka_unit_test(test_coroutines_share),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_divide_by_zero),
        cmocka_unit_test(test_race_loses_updates),
        cmocka_unit_test(test_shared_counter_captions),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_lock_fixes_race),
        cmocka_unit_test(test_uncontended_lock),
        cmocka_unit_test(test_deadlock),
        cmocka_unit_test(test_condition_variable),
        cmocka_unit_test(test_semaphore),
        cmocka_unit_test(test_zombie_until_wait),
        cmocka_unit_test(test_exit_closes_files_first),
        cmocka_unit_test(test_orphans),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
