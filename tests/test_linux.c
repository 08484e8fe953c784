/*
 * test_linux.c - what the engine shows is what Linux does: the scheduler
 * (EEVDF wake-up preemption), pipe and socket wake-ups, flow control and
 * writability, and the cost of select's scan.  Each test states the
 * kernel behaviour it checks.
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

/* When task `task` entered state `state` for the n-th time (from 0), -1 */
static int64_t state_at(const struct tl *tl, int task, int state, int n)
{
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == task && e->type == EV_STATE && e->sub == state &&
            n-- == 0)
            return e->t;
    }
    return -1;
}

/* EEVDF: a task woken from a pipe read, owed CPU time because it slept,
 * preempts a task that computes: it runs within one slice (0.75 ms on one
 * CPU), not after a 4 ms time slice as a round-robin scheduler would do. */
static void test_wakeup_preempts(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 1\n}\n"
        "process hog {\n    compute 50ms\n}\n"
        "process reader {\n    p, w = pipe\n    fork {\n        sleep 10ms\n"
        "        write w 100\n        exit\n    }\n"
        "    n = read p 4K\n    compute 100us\n    exit\n}\n");
    int rd = task_id(tl, "reader"), hog = task_id(tl, "hog");
    /* the reader's second ready: woken by the write */
    int64_t woken = state_at(tl, rd, TS_READY, 1);
    int64_t runs = state_at(tl, rd, TS_RUNNING, 1);
    assert_true(woken > 10000000);
    assert_true(runs >= woken);
    assert_true(runs - woken < 750000);
    /* and the hog was put back in the run queue, not left running */
    int preempted = 0;
    for (int k = 0; state_at(tl, hog, TS_READY, k) >= 0; k++)
        if (state_at(tl, hog, TS_READY, k) > 10000000 &&
            state_at(tl, hog, TS_READY, k) <= runs)
            preempted = 1;
    assert_true(preempted);
    tl_free(tl);
}

/* Two tasks that only compute take turns when the kernel notices a used
 * slice: at the timer tick (4 ms at HZ 250), not after each 0.75 ms. */
static void test_compute_turns_at_ticks(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 1\n}\n"
        "process a {\n    compute 20ms\n}\n"
        "process b {\n    compute 20ms\n}\n");
    int a = task_id(tl, "a"), b = task_id(tl, "b");
    int64_t a_off = state_at(tl, a, TS_READY, 1);
    int64_t b_on = state_at(tl, b, TS_RUNNING, 0);
    assert_int_equal(a_off, 4000000);
    assert_true(b_on > a_off && b_on - a_off <= 2000 + 1000);
    /* and b's turn ends at the next tick after its slice: 8 ms */
    assert_int_equal(state_at(tl, b, TS_READY, 1), 8000000);
    tl_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wakeup_preempts),
        cmocka_unit_test(test_compute_turns_at_ticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
