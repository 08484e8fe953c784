/*
 * test_mpq.c - multiprocessing's SemLocks and Queues: a Queue's feeder
 * thread exists only after its process's first put, its messages arrive
 * intact and in order, readers queue on the readers' lock; a SimpleQueue
 * writes in the caller; with the print lock a record's lines never
 * interleave with another process's, without it they do.
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
#include "testlib.h"

static int find_task(const struct tl *tl, const char *name)
{
    for (int i = 0; i < tl->ntasks; i++)
        if (!strcmp(tl->tasks[i].name, name))
            return i;
    return -1;
}

static const char *queue_text =
    "machine {\n"
    "    cpus 2\n"
    "}\n"
    "process parent {\n"
    "    shared got\n"
    "    q = mp_queue\n"
    "    pid = fork worker {\n"
    "        loop {\n"
    "            k, v = get q\n"
    "            if k == \"stop\" {\n"
    "                break\n"
    "            }\n"
    "            got = set v\n"
    "        }\n"
    "        exit got\n"
    "    }\n"
    "    sleep 1ms\n"
    "    i = set 1\n"
    "    repeat 5 {\n"
    "        put q task i\n"
    "        i = i * 3\n"
    "    }\n"
    "    put q stop 0\n"
    "    wait pid\n"
    "}\n";

/* The feeder thread is made by the first put, not before; one per
 * process that puts; it writes each message, in order */
static void test_feeder_after_first_put(void **state)
{
    (void)state;
    struct tl *tl = run_text(queue_text);
    int parent = task_id(tl, "parent");
    int feeder = task_id(tl, "parent/QueueFeederThread");
    assert_int_equal(tl->tasks[feeder].kind, TK_THREAD);
    assert_int_equal(tl->tasks[feeder].proc, parent);
    assert_int_equal(find_task(tl, "worker/QueueFeederThread"), -1);
    long first_put = -1, born = -1, clone3 = -1;
    int feeders = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_TASK_NEW && strstr(tl->tasks[e->task].name, "Feeder")) {
            born = (long)i;
            feeders++;
        }
        if (e->type == EV_SYS_ENTER && e->task == parent && e->sub == SYS_CLONE3)
            clone3 = (long)i;
        if (e->type == EV_QUEUE && e->task == parent && e->sub == TQ_PUSH &&
            first_put < 0)
            first_put = (long)i;
    }
    assert_int_equal(feeders, 1);
    /* the first put enters clone3, the thread is born, then the buffer
     * gets the message */
    assert_true(clone3 >= 0 && clone3 < born && born < first_put);
    /* no write to the pipe by the parent itself: the feeder writes */
    int64_t w[16];
    assert_int_equal(sys_rets(tl, parent, SYS_WRITE, w, 16), 3); /* sem_t */
    assert_int_equal(sys_rets(tl, feeder, SYS_WRITE, w, 16), 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(w[i], 27); /* ('task', 1..81), ('stop', 0) */
    /* the worker got 1, 3, 9, 27, 81 in that order */
    int64_t v[16];
    int n = stores(tl, "got (worker)", v, 16);
    int64_t want[] = {1, 3, 9, 27, 81}; /* (the fork's copy is no store) */
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++)
        assert_int_equal(v[i], want[i]);
    tl_free(tl);
}

/* Two getters: the one blocked in read() holds _rlock, the other sleeps
 * on the SemLock's futex (shared: no _PRIVATE) until it is released */
static void test_readers_queue_on_rlock(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/ipc-queue.scn");
    int w2 = task_id(tl, "worker2");
    int q = -1;
    for (int i = 0; i < tl->nqueues; i++)
        if (!strcmp(tl->queues[i].name, "Queue #1 _rlock sleepers"))
            q = i;
    assert_true(q >= 0);
    int slept = 0, futex = 0;
    char buf[256];
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_QUEUE && e->obj == q && e->sub == TQ_PUSH &&
            e->a == w2)
            slept++;
        if (e->type == EV_SYS_ENTER && e->task == w2 && e->sub == SYS_FUTEX) {
            tl_enter_text(buf, sizeof buf, tl, e);
            assert_non_null(strstr(buf, "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME"));
            assert_null(strstr(buf, "PRIVATE"));
            futex++;
        }
    }
    assert_true(slept >= 1);
    assert_int_equal(slept, futex);
    /* every message put was taken once, in the order the feeder wrote */
    int mq = -1;
    for (int i = 0; i < tl->nqueues; i++)
        if (!strcmp(tl->queues[i].name, "pipe (read end) #1 messages"))
            mq = i;
    assert_true(mq >= 0);
    int64_t in[16], out[16];
    int ni = 0, no = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_QUEUE && e->obj == mq && e->sub == TQ_PUSH && ni < 16)
            in[ni++] = e->a;
        if (e->type == EV_QUEUE && e->obj == mq && e->sub == TQ_POP && no < 16)
            out[no++] = e->a;
    }
    assert_int_equal(ni, 5);
    assert_int_equal(no, 5);
    for (int i = 0; i < 5; i++)
        assert_true(in[i] == out[i]);
    tl_free(tl);
}

/* A SimpleQueue has no feeder: put writes under _wlock in the caller */
static void test_simple_queue(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    q = mp_queue simple\n"
        "    put q result 7\n"
        "    k, v = get q\n"
        "    if k == \"result\" {\n"
        "        exit v\n"
        "    }\n"
        "    exit 99\n"
        "}\n");
    int app = task_id(tl, "app");
    assert_int_equal(find_task(tl, "app/QueueFeederThread"), -1);
    int64_t w[8];
    /* two SemLocks' 32-byte sem_t, then the message */
    assert_int_equal(sys_rets(tl, app, SYS_WRITE, w, 8), 3);
    assert_int_equal(w[2], 4 + prog_pickle_size("result", 7));
    int64_t code = -1;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_STATE && tl->ev[i].task == app &&
            tl->ev[i].sub == TS_EXITED)
            code = tl->ev[i].a;
    assert_int_equal(code, 7);
    tl_free(tl);
}

/* The runs of writes on the terminal by the tasks in names (each a
 * record's writes that follow each other), as TL_MSG items */
static int runs_of(const struct tl *tl, const char *const *names, int nn,
                   int64_t *run, int max)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_QUEUE || e->sub != TQ_PUSH || e->task == TL_NOTASK ||
            strcmp(tl->queues[e->obj].name, "terminal output"))
            continue;
        for (int k = 0; k < nn; k++)
            if (!strcmp(tl->tasks[e->task].name, names[k]) && n < max)
                run[n++] = e->a;
    }
    return n;
}

/* With the lock each record is one run of writes; without, they split */
static void test_print_lock(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/print-lock.scn");
    int64_t r[32];
    static const char *const unlocked[] = {"A", "B"}, *const locked[] = {"A2", "B2"};
    int n = runs_of(tl, locked, 2, r, 32);
    assert_int_equal(n, 4); /* four records, each whole */
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++)
            assert_true(r[i] != r[k]);
    n = runs_of(tl, unlocked, 2, r, 32);
    assert_true(n > 4); /* some record was cut by the other's lines */
    int cut = 0;
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++)
            cut += r[i] == r[k];
    assert_true(cut >= 1);
    /* the same with a lock in a scenario of its own, and released too
     * often: CPython's ValueError */
    const char *twice = "process p {\n"
                        "    l = mp_lock\n"
                        "    acquire l\n"
                        "    release l\n"
                        "    release l\n"
                        "}\n";
    char e[512];
    struct prog *p = scn_parse("t.scn", twice, strlen(twice), e, sizeof e);
    assert_non_null(p);
    struct tl *t2 = sim_run(p, NULL, e, sizeof e);
    prog_free(p);
    assert_null(t2);
    assert_non_null(strstr(e, "t.scn:5:5: error: release: ValueError: "
                              "semaphore or lock released too many times"));
    tl_free(tl);
}

static void test_parse(void **state)
{
    (void)state;
    char e[512];
    const char *bad[][2] = {
        {"process a {\n    q = mp_queue\n    put q\n}\n", "put takes Q KIND"},
        {"process a {\n    q = mp_queue twice\n}\n", "mp_queue takes [simple]"},
        {"process a {\n    q = mp_queue\n    k, v, w = get q\n}\n", "expected"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct prog *p = scn_parse("t.scn", bad[i][0], strlen(bad[i][0]), e,
                                   sizeof e);
        if (p) {
            prog_free(p);
            fail_msg("parsed: %s", bad[i][0]);
        }
        if (!strstr(e, bad[i][1]))
            fail_msg("got '%s', expected '%s'", e, bad[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feeder_after_first_put),
        cmocka_unit_test(test_readers_queue_on_rlock),
        cmocka_unit_test(test_simple_queue),
        cmocka_unit_test(test_print_lock),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
