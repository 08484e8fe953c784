/*
 * test_timer.c - time in the waiting calls: the timeouts of select, poll,
 * epoll_wait and io_uring_enter (0 = poll, none = for ever, the timer
 * slack Linux adds), and timerfd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/text.h"
#include "tl/tl.h"
#include "testlib.h"

#define US 1000LL
#define MS 1000000LL

/* The return of task's nth (0-based) syscall sys: its time and value */
static int64_t ret_of(const struct tl *tl, int task, int sys, int nth,
                      int64_t *at)
{
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYSCALL && e->task == task && e->sub == sys &&
            nth-- == 0) {
            if (at)
                *at = e->t;
            return e->a;
        }
    }
    fail_msg("no syscall %s #%d", tl_sys_name(sys), nth);
    return 0;
}

/* When task entered its nth syscall sys, and the timeout it gave */
static int64_t enter_of(const struct tl *tl, int task, int sys, int nth,
                        int64_t *tmo)
{
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYS_ENTER && e->task == task && e->sub == sys &&
            nth-- == 0) {
            if (tmo)
                *tmo = e->b < 0 ? TL_TMO_NS(e->b) : -1;
            return e->t;
        }
    }
    fail_msg("no entry to %s", tl_sys_name(sys));
    return 0;
}

static int said(const struct tl *tl, const char *text)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION &&
            !strcmp(tl->strs[tl->ev[i].a], text))
            n++;
    return n;
}

static int count_state(const struct tl *tl, int task, int st)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_STATE && tl->ev[i].task == task &&
            tl->ev[i].sub == st)
            n++;
    return n;
}

/* epoll_wait EP 10ms with nothing arriving returns 0 once the timer fires:
 * 10 ms after the call, plus the 50 us timer slack (select_estimate_accuracy:
 * 0.1% of 10 ms is less than timer_slack_ns) */
static void test_epoll_timeout(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process server {\n    s = socket\n    listen s 8080\n"
        "    ep = epoll_create\n    epoll_ctl ep add s\n"
        "    n = epoll_wait ep 10ms\n    if n == 0 {\n        say \"timed out\"\n"
        "    }\n    n = epoll_wait ep 0ms\n    n = epoll_wait ep 1s\n}\n");
    int srv = task_id(tl, "server");
    int64_t tmo, t0 = enter_of(tl, srv, SYS_EPOLL_WAIT, 0, &tmo), t1;
    assert_int_equal(tmo, 10 * MS);
    assert_int_equal(ret_of(tl, srv, SYS_EPOLL_WAIT, 0, &t1), 0);
    /* the syscall's own cost (entry + epoll_wait_base) comes after the wake */
    assert_true(t1 >= t0 + 10 * MS + 50 * US);
    assert_true(t1 <= t0 + 10 * MS + 50 * US + 1 * US);
    assert_int_equal(said(tl, "timed out"), 1);
    /* timeout 0: no sleep at all */
    int64_t t2 = enter_of(tl, srv, SYS_EPOLL_WAIT, 1, &tmo), t3;
    assert_int_equal(tmo, 0);
    assert_int_equal(ret_of(tl, srv, SYS_EPOLL_WAIT, 1, &t3), 0);
    assert_true(t3 - t2 < 1 * US);
    /* 1 s: the slack is 0.1% of it, 1 ms */
    int64_t t4 = enter_of(tl, srv, SYS_EPOLL_WAIT, 2, &tmo), t5;
    ret_of(tl, srv, SYS_EPOLL_WAIT, 2, &t5);
    assert_true(t5 >= t4 + 1001 * MS && t5 <= t4 + 1001 * MS + 1 * US);
    assert_int_equal(count_state(tl, srv, TS_BLOCKED), 2);
    tl_free(tl);
}

/* Data before the timeout: epoll_wait returns it, and the timer that was
 * armed wakes nobody later */
static void test_epoll_timeout_data_first(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    latency 0us\n}\n"
        "process server {\n    s = socket\n    listen s 8080\n"
        "    ep = epoll_create\n    epoll_ctl ep add s\n"
        "    n = epoll_wait ep 10ms\n    c = accept s\n    r = read c 4K\n}\n"
        "peer client {\n    sleep 2ms\n    c = connect 8080\n    sleep 20ms\n"
        "    send c 10\n}\n");
    int srv = task_id(tl, "server");
    int64_t at;
    assert_int_equal(ret_of(tl, srv, SYS_EPOLL_WAIT, 0, &at), 1);
    assert_true(at >= 2 * MS && at < 3 * MS);
    /* the read sleeps until the data at 22 ms, not woken at 10 ms */
    assert_int_equal(ret_of(tl, srv, SYS_READ, 0, &at), 10);
    assert_true(at >= 22 * MS && at < 23 * MS);
    tl_free(tl);
}

/* select: a timeval in a variable gets the time left written back (0
 * after a timeout, the rest when data came first); poll's ms; strace's
 * words */
static void test_select_poll_timeout(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    latency 0us\n    cost timer_slack 0ns\n}\n"
        "process server {\n    s = socket\n    listen s 8080\n"
        "    t = set 3ms\n    n = select s timeout t\n"
        "    if t == 0 {\n        say \"nothing left\"\n    }\n"
        "    t = set 10ms\n    n = select s timeout t\n"
        "    if t == 5ms {\n        say \"5 ms left\"\n    }\n"
        "    c = accept s\n"
        "    n = poll c 2ms\n    n = poll c 0ms\n}\n"
        "peer client {\n    sleep 5ms\n    c = connect 8080\n    sleep 1s\n}\n");
    int srv = task_id(tl, "server");
    int64_t at, t0 = enter_of(tl, srv, SYS_SELECT, 0, NULL);
    assert_int_equal(ret_of(tl, srv, SYS_SELECT, 0, &at), 0);
    /* no timer_slack: the slack is 0.1% of the timeout, 3 us */
    assert_true(at >= t0 + 3 * MS + 3 * US && at < t0 + 3 * MS + 5 * US);
    assert_int_equal(said(tl, "nothing left"), 1);
    /* the connection arrives at 5 ms after the handshake (3 one-way
     * latencies of 0): 2 ms into the second call... */
    assert_int_equal(ret_of(tl, srv, SYS_SELECT, 1, &at), 1);
    tl_free(tl);
    /* ...so make it exact: the second select starts at 0 with 10 ms */
    tl = run_text(
        "machine {\n    latency 0us\n}\n"
        "process server {\n    s = socket\n    listen s 8080\n"
        "    t = set 10ms\n    n = select s timeout t\n"
        "    if t == 5ms {\n        say \"5 ms left\"\n    }\n"
        "    if t > 4990us {\n        say \"about 5 ms left\"\n    }\n"
        "    c = accept s\n    n = poll c 2ms\n    n = poll c 0ms\n}\n"
        "peer client {\n    sleep 5ms\n    c = connect 8080\n    sleep 1s\n}\n");
    srv = task_id(tl, "server");
    assert_int_equal(ret_of(tl, srv, SYS_SELECT, 0, &at), 1);
    assert_int_equal(said(tl, "about 5 ms left"), 1);
    assert_int_equal(said(tl, "5 ms left"), 0); /* a few us went by */
    int64_t p0 = enter_of(tl, srv, SYS_POLL, 0, NULL);
    assert_int_equal(ret_of(tl, srv, SYS_POLL, 0, &at), 0);
    assert_true(at >= p0 + 2050 * US && at < p0 + 2052 * US);
    assert_int_equal(ret_of(tl, srv, SYS_POLL, 1, NULL), 0);
    /* the words of the log */
    char text[512];
    int found = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SYS_ENTER && tl->ev[i].sub == SYS_POLL) {
            tl_call_wait_text(text, sizeof text, SYS_POLL, -1, tl->ev[i].a,
                              tl->ev[i].b);
            assert_string_equal(text, found ? "poll([...], 1, 0)"
                                            : "poll([...], 1, 2)");
            found++;
        }
    assert_int_equal(found, 2);
    tl_sys_ret_text(text, sizeof text, SYS_POLL, 0, 0);
    assert_string_equal(text, " = 0 (Timeout)");
    tl_call_wait_text(text, sizeof text, SYS_SELECT, -1, 4, TL_TMO(10 * MS));
    assert_string_equal(text, "pselect6(4, [...], NULL, NULL, {tv_sec=0, "
                              "tv_nsec=10000000}, NULL)");
    tl_call_wait_text(text, sizeof text, SYS_EPOLL_WAIT, 5, 0, 0);
    assert_string_equal(text, "epoll_wait(5, [...], 64, -1)");
    tl_free(tl);
}

/* io_uring_enter RING 1 TIMEOUT: -ETIME when it submitted nothing, the
 * count it submitted otherwise (io_uring_enter returns that first); no
 * timer slack (the wait's hrtimer has a range of 0) */
static void test_uring_timeout(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process server {\n    r, w = pipe\n    ring = io_uring_setup 4\n"
        "    n = io_uring_enter ring 1 5ms\n"
        "    if n == ETIME {\n        say \"ETIME\"\n    }\n"
        "    id = prep ring read r 100\n    n = io_uring_enter ring 1 5ms\n"
        "    if n == 1 {\n        say \"submitted one\"\n    }\n}\n");
    int srv = task_id(tl, "server");
    int64_t tmo, t0 = enter_of(tl, srv, SYS_IO_URING_ENTER, 0, &tmo), at;
    assert_int_equal(tmo, 5 * MS);
    assert_int_equal(ret_of(tl, srv, SYS_IO_URING_ENTER, 0, &at), -ETIME);
    assert_true(at >= t0 + 5 * MS && at < t0 + 5 * MS + 1 * US);
    assert_int_equal(said(tl, "ETIME"), 1);
    assert_int_equal(ret_of(tl, srv, SYS_IO_URING_ENTER, 1, NULL), 1);
    assert_int_equal(said(tl, "submitted one"), 1);
    tl_free(tl);
}

static void parse_fails(const char *text, const char *msg)
{
    struct prog *p = scn_parse("t.scn", text, strlen(text), err, sizeof err);
    if (p)
        prog_free(p);
    assert_null(p);
    if (!strstr(err, msg))
        fail_msg("expected '%s' in: %s", msg, err);
}

static void test_timeout_parse(void **state)
{
    (void)state;
    parse_fails("process a {\n    ep = epoll_create\n    n = epoll_wait ep 1500us\n}\n",
                "t.scn:3:23: error: epoll_wait takes its timeout in whole "
                "milliseconds (an int): write 2ms");
    parse_fails("process a {\n    n = poll 0 10us\n}\n",
                "poll takes its timeout in whole milliseconds");
    parse_fails("process a {\n    n = select 0 1500ns\n}\n",
                "select takes its timeout in whole microseconds");
    parse_fails("process a {\n    ep = epoll_create\n    n = epoll_wait ep 64 10\n}\n",
                "expected a duration such as 5ms");
    parse_fails("process a {\n    n = select 0 timeout\n}\n", "unknown variable");
}

/* The length of queue named name at the end, and its most items ever */
static int queue_max(const struct tl *tl, const char *name, int *end)
{
    int q = -1, n = 0, max = 0;
    for (int i = 0; i < tl->nqueues; i++)
        if (!strcmp(tl->queues[i].name, name))
            q = i;
    if (q < 0)
        fail_msg("no queue %s", name);
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_QUEUE && tl->ev[i].obj == q) {
            n += tl->ev[i].sub == TQ_PUSH ? 1 : -1;
            if (n > max)
                max = n;
        }
    *end = n;
    return max;
}

/* timerfd: readable when it expires; a late read counts every period
 * that went by (3 after 17 ms of a 5 ms timer, as measured on Linux 6.18);
 * epoll watches it; read needs 8 bytes; O_NONBLOCK gives EAGAIN; a new
 * setting (0: disarm) stops it */
static void test_timerfd(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n    tfd = timerfd_create\n"
        "    timerfd_settime tfd 5ms 5ms\n    n = read tfd 8\n"
        "    compute 17ms\n    n = read tfd 8\n"
        "    ep = epoll_create\n    epoll_ctl ep add tfd\n    n = epoll_wait ep\n"
        "    n = read tfd 4\n    fcntl tfd O_NONBLOCK\n    n = read tfd 8\n"
        "    n = read tfd 8\n    timerfd_settime tfd 0ms\n"
        "    n = epoll_wait ep 20ms\n}\n");
    int app = task_id(tl, "app");
    int64_t t0 = enter_of(tl, app, SYS_TIMERFD_SETTIME, 0, NULL), at;
    assert_int_equal(ret_of(tl, app, SYS_READ, 0, &at), 8);
    assert_true(at >= t0 + 5 * MS && at < t0 + 5 * MS + 1 * US); /* no slack */
    int end, max = queue_max(tl, "timerfd #1 expirations", &end);
    assert_int_equal(max, 3); /* 10, 15 and 20 ms, read at 22 ms */
    assert_int_equal(end, 0);
    assert_int_equal(ret_of(tl, app, SYS_READ, 1, NULL), 8);
    /* the timer restarted at the read: the next expiry at 25 ms wakes
     * epoll_wait */
    assert_int_equal(ret_of(tl, app, SYS_EPOLL_WAIT, 0, &at), 1);
    assert_true(at >= t0 + 25 * MS && at < t0 + 25 * MS + 1 * US);
    assert_int_equal(ret_of(tl, app, SYS_READ, 2, NULL), -EINVAL);
    assert_int_equal(ret_of(tl, app, SYS_READ, 3, NULL), 8);
    assert_int_equal(ret_of(tl, app, SYS_READ, 4, NULL), -EAGAIN);
    /* disarmed: the 30 ms expiry never comes, the wait times out */
    assert_int_equal(ret_of(tl, app, SYS_EPOLL_WAIT, 1, NULL), 0);
    char text[256];
    tl_call_wait_text(text, sizeof text, SYS_TIMERFD_SETTIME, 3, 5 * MS,
                      TL_TMO(5 * MS));
    assert_string_equal(text, "timerfd_settime(3, 0, {it_interval={tv_sec=0, "
                              "tv_nsec=5000000}, it_value={tv_sec=0, "
                              "tv_nsec=5000000}}, NULL)");
    tl_free(tl);
}

/* clock reads the time with no syscall, for the cost of the vDSO call;
 * a loop computes its wait from a deadline with it */
static void test_clock(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process a {\n    t0 = clock\n    compute 1ms\n    t1 = clock\n"
        "    d = t1 - t0\n    if d == 1000040ns {\n        say \"1 ms and one clock\"\n"
        "    }\n    ep = epoll_create\n    deadline = t1 + 5ms\n"
        "    now = clock\n    left = deadline - now\n"
        "    n = epoll_wait ep 64 left\n}\n");
    int a = task_id(tl, "a");
    assert_int_equal(said(tl, "1 ms and one clock"), 1);
    int64_t tmo;
    enter_of(tl, a, SYS_EPOLL_WAIT, 0, &tmo);
    assert_int_equal(tmo, 5 * MS); /* 4.99... ms left, rounded up */
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SYS_ENTER)
            assert_int_not_equal(tl->ev[i].sub, SYS_CLOCK_NANOSLEEP);
    tl_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoll_timeout),
        cmocka_unit_test(test_epoll_timeout_data_first),
        cmocka_unit_test(test_select_poll_timeout),
        cmocka_unit_test(test_uring_timeout),
        cmocka_unit_test(test_timeout_parse),
        cmocka_unit_test(test_timerfd),
        cmocka_unit_test(test_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
