/*
 * test_gil.c - CPython's GIL (gil.c) through the shipped lessons: in
 * gil-cpu one thread of the process runs at a time although two CPUs are
 * free, and the GIL changes hands about every 5 ms; mp-cpu's processes and
 * free-threaded's threads run at once; gil-io's waits overlap.
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

/* When the last event happened: the run's makespan */
static int64_t makespan(const struct tl *tl)
{
    return tl->nev ? tl->ev[tl->nev - 1].t : 0;
}

static void test_gil_cpu(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/gil-cpu.scn");
    int64_t ov;
    /* one runs Python code at a time; a waiter whose timed wait ran out is
       on a CPU for a microsecond or so, in C, to set gil_drop_request */
    max_running(tl, "app/worker", &ov);
    assert_true(ov < 100000);
    /* hand-overs: the holder queue gets a new thread about every 5 ms */
    int q = -1;
    for (int i = 0; i < tl->nqueues; i++)
        if (!strcmp(tl->queues[i].name, "GIL holder (app)"))
            q = i;
    assert_true(q >= 0);
    int64_t last = -1, gaps = 0, n = 0;
    int prev = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_QUEUE || e->obj != q || e->sub != TQ_PUSH)
            continue;
        if (prev >= 0 && (int)e->a != prev && last >= 0 &&
            strstr(tl->tasks[e->a].name, "worker") &&
            strstr(tl->tasks[prev].name, "worker")) {
            gaps += e->t - last;
            n++;
        }
        prev = (int)e->a;
        last = e->t;
    }
    assert_true(n >= 10);
    int64_t avg = gaps / n;
    assert_true(avg > 4900000 && avg < 5500000);
    /* and the drop requests that force them */
    int drops = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_MEM && tl->ev[i].sub == TM_STORE &&
            tl->ev[i].a == 1 &&
            !strcmp(tl->queues[tl->ev[i].obj].name, "gil_drop_request (app)"))
            drops++;
    assert_true(drops >= n - 1);
    struct tl *mp = run_file("scenarios/mp-cpu.scn");
    assert_true(max_running(mp, "worker", &ov) == 2 && ov > 30000000);
    double ratio = (double)makespan(tl) / (double)makespan(mp);
    assert_true(ratio >= 1.6 && ratio <= 2.4);
    tl_free(mp);
    tl_free(tl);
}

static void test_free_threaded(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/free-threaded.scn");
    int64_t ov;
    assert_int_equal(max_running(tl, "app/worker", &ov), 2);
    assert_true(ov > 30000000);
    for (int i = 0; i < tl->nqueues; i++)
        assert_null(strstr(tl->queues[i].name, "GIL"));
    tl_free(tl);
}

/* Each thread spends 5 x 10 ms asleep; the sleeps overlap, and the run
 * ends long before 2 x 55 ms */
static void test_gil_io(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/gil-io.scn");
    int a = task_id(tl, "app/fetcher"), b = task_id(tl, "app/fetcher2");
    int64_t a_from = -1, both = 0, b_from = -1;
    int a_sl = 0, b_sl = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_STATE || (e->task != a && e->task != b))
            continue;
        int sl = e->sub == TS_BLOCKED && e->a == TW_TIMER;
        int *mine = e->task == a ? &a_sl : &b_sl;
        if (*mine == sl)
            continue;
        if (a_sl && b_sl)
            both += e->t - (a_from > b_from ? a_from : b_from);
        *mine = sl;
        if (e->task == a)
            a_from = e->t;
        else
            b_from = e->t;
    }
    assert_true(both > 20000000); /* over 20 ms with both asleep */
    assert_true(makespan(tl) < 70000000);
    tl_free(tl);
}

/* The text of task's first syscall of kind sys entered, as the log shows it */
static int first_enter_text(const struct tl *tl, int task, int sys, char *b,
                            size_t n)
{
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == task && e->type == EV_SYS_ENTER && e->sub == sys) {
            tl_ev_text(b, n, tl, (long)i);
            return 1;
        }
    }
    return 0;
}

/* join of a running thread: CPython's Thread.join waits on the thread state
 * lock, a semaphore (sem_wait: FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME,
 * 0), as strace -f of scenarios/py/gil-cpu.py shows; C's pthread_join waits
 * on the thread's tid (FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, tid) */
static void test_join_futex(void **state)
{
    (void)state;
    static const char *const src[2] = {
        "process app python {\n a = thread w {\n compute 1ms\n }\n join a\n}\n",
        "process app {\n a = thread w {\n compute 1ms\n }\n join a\n}\n",
    };
    for (int c = 0; c < 2; c++) {
        struct tl *tl = run_text(src[c]);
        char t[256];
        assert_true(first_enter_text(tl, task_id(tl, "app"), SYS_FUTEX, t, sizeof t));
        if (c == 0)
            assert_non_null(strstr(t, "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL"));
        else
            assert_non_null(strstr(t, "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, 1001, NULL"));
        tl_free(tl);
    }
}

/* mp-cpu is multiprocessing's fork start, as strace -f of
 * scenarios/py/mp-cpu.py shows it: two pipe2 per child before its clone,
 * and each join a wait4 that asks for the status */
static void test_mp_cpu_calls(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/mp-cpu.scn");
    int main_t = task_id(tl, "main"), pipes = 0, waits = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != main_t || e->type != EV_SYS_ENTER)
            continue;
        pipes += e->sub == SYS_PIPE2;
        waits += e->sub == SYS_WAIT4 && e->a == 1;
    }
    assert_int_equal(pipes, 4);
    assert_int_equal(waits, 2);
    tl_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gil_cpu),
        cmocka_unit_test(test_free_threaded),
        cmocka_unit_test(test_gil_io),
        cmocka_unit_test(test_join_futex),
        cmocka_unit_test(test_mp_cpu_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
