/*
 * test_evloop.c - handlers (call, return, on, dispatch), event queues
 * (post, take, the wake-up of a loop from another thread), the input
 * device (click, press, getevent) and the loop's timer heap (after,
 * next_timer, due).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl/tl.h"
#include "tl/world.h"
#include "testlib.h"

/* The handler calls of task as "name(v) " and returns as "/name " */
static void calls(const struct tl *tl, int task, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < tl->nev && n < len; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_CALL || (task >= 0 && e->task != task))
            continue;
        if (e->sub == TCALL_CALL)
            n += (size_t)snprintf(buf + n, len - n, "%s(%lld) ",
                                  tl->strs[e->b], (long long)e->a);
        else
            n += (size_t)snprintf(buf + n, len - n, "/%s ", tl->strs[e->b]);
    }
}

static int queue_id(const struct tl *tl, const char *name)
{
    for (int q = 0; q < tl->nqueues; q++)
        if (!strcmp(tl->queues[q].name, name))
            return q;
    fail_msg("no queue %s", name);
    return -1;
}

/* Length of queue q once events [0, upto) are applied */
static int qlen_at(const struct tl *tl, int q, size_t upto)
{
    int n = 0;
    for (size_t i = 0; i < upto && i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_QUEUE && e->obj == q)
            n += e->sub == TQ_PUSH || e->sub == TQ_INSERT ? 1 : -1;
    }
    return n;
}

static int said(const struct tl *tl, const char *text)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION && !strcmp(tl->strs[tl->ev[i].a], text))
            n++;
    return n;
}

/* call runs a handler in the calling task with its parameter set, nested
 * calls return in order, `return` leaves early; dispatch finds the
 * handler registered for a kind, calls a handler value directly, and does
 * nothing for a kind with none; no syscall, no new task */
static void test_handlers(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    total = set 0\n"
        "    handler add n {\n"
        "        total = total + n\n"
        "        if n > 5 {\n"
        "            return\n"
        "        }\n"
        "        call twice n\n"
        "    }\n"
        "    handler twice m {\n"
        "        total = total + m\n"
        "    }\n"
        "    on message add\n"
        "    call add 2\n"
        "    call add 10\n"
        "    dispatch message 3\n"
        "    dispatch click 100\n"
        "    cb = set twice\n"
        "    dispatch cb 1\n"
        "    if total == 21 {\n"
        "        say \"total 21\"\n"
        "    }\n"
        "}\n");
    char b[512];
    calls(tl, task_id(tl, "app"), b, sizeof b);
    assert_string_equal(b, "add(2) twice(2) /twice /add add(10) /add add(3) "
                           "twice(3) /twice /add twice(1) /twice ");
    assert_int_equal(said(tl, "total 21"), 1);
    assert_int_equal(tl->ntasks, 1);
    for (size_t i = 0; i < tl->nev; i++) /* none but the end's */
        if (tl->ev[i].type == EV_SYS_ENTER)
            assert_int_equal(tl->ev[i].sub, SYS_EXIT_GROUP);
    tl_free(tl);
}

/* A GUI's loop (Tk's, Xlib's): it reads every event the input device has
 * into its own queue, then takes them out one at a time and dispatches
 * each to its handler.  A slow on_click lets the clicks and key presses
 * that arrive meanwhile pile up in the device; they are handled after it,
 * in the order they arrived, each by its own handler. */
static const char *gui_scn =
    "process gui {\n"
    "    handler on_click b {\n"
    "        compute 30ms\n"
    "    }\n"
    "    handler on_key k {\n"
    "        compute 1ms\n"
    "    }\n"
    "    on click on_click\n"
    "    on key on_key\n"
    "    dev = input\n"
    "    fcntl dev O_NONBLOCK\n"
    "    ep = epoll_create\n"
    "    epoll_ctl ep add dev\n"
    "    q = evqueue\n"
    "    loop {\n"
    "        n = epoll_wait ep\n"
    "        k, v = getevent dev\n"
    "        while k != EAGAIN {\n"
    "            post q k v\n"
    "            k, v = getevent dev\n"
    "        }\n"
    "        k, v = take q\n"
    "        while k != EAGAIN {\n"
    "            dispatch k v\n"
    "            k, v = take q\n"
    "        }\n"
    "    }\n"
    "}\n"
    "peer user {\n"
    "    sleep 10ms\n"
    "    click 1\n"
    "    sleep 5ms\n"
    "    press 30\n"
    "    sleep 5ms\n"
    "    click 3\n"
    "    sleep 5ms\n"
    "    press 31\n"
    "    sleep 5ms\n"
    "    press 32\n"
    "}\n";

static void test_gui_queue_order(void **state)
{
    (void)state;
    struct tl *tl = run_text(gui_scn);
    int gui = task_id(tl, "gui");
    char b[512];
    calls(tl, gui, b, sizeof b);
    /* the first click alone, then the four that came during on_click,
     * in arrival order, each by its own handler (payload = its button or
     * key) */
    assert_string_equal(b, "on_click(1) /on_click on_key(30) /on_key "
                           "on_click(3) /on_click on_key(31) /on_key "
                           "on_key(32) /on_key ");
    /* while on_click(1) runs (10 ms to 40 ms), the user's four actions
     * arrive at 15, 20, 25 and 30 ms: the device holds what has arrived */
    int dev = queue_id(tl, "/dev/input/event0");
    int q = queue_id(tl, "gui q");
    int checked = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_CALL && e->sub == TCALL_RETURN && e->task == gui &&
            !strcmp(tl->strs[e->b], "on_click") && !checked) {
            assert_true(e->t >= 40000000 && e->t < 40100000);
            assert_int_equal(qlen_at(tl, dev, i), 4);
            assert_int_equal(qlen_at(tl, q, i), 0);
            checked = 1;
        }
        /* at each arrival during it, the length is the arrivals so far */
        if (e->type == EV_QUEUE && e->obj == dev && e->sub == TQ_PUSH &&
            e->t > 10000000 && e->t < 40000000)
            assert_int_equal(qlen_at(tl, dev, i + 1), (int)((e->t - 10000000) / 5000000));
    }
    assert_true(checked);
    /* once it returns, the loop reads all four (24 bytes each) into its
     * queue before it handles the next */
    int64_t r[16];
    int n = sys_rets(tl, gui, SYS_READ, r, 16);
    assert_true(n >= 7);
    tl_free(tl);
}

/* The timer heap: ordered by deadline, then insertion; next_timer is the
 * epoll_wait timeout (rounded up to whole ms), which returns 0 at that
 * time; due moves the due timers to the ready queue in order */
static void test_timer_heap_timeout(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process loop {\n"
        "    handler a {\n        compute 1ms\n    }\n"
        "    handler b {\n        compute 1ms\n    }\n"
        "    handler c {\n        compute 1ms\n    }\n"
        "    ep = epoll_create\n"
        "    ready = evqueue\n"
        "    after 30ms a\n"
        "    after 10500us b 7\n"
        "    after 30ms c\n"
        "    repeat 2 {\n"
        "        t = next_timer\n"
        "        n = epoll_wait ep 64 t\n"
        "        n = due ready\n"
        "        h, v = take ready\n"
        "        while h != EAGAIN {\n"
        "            call h v\n"
        "            h, v = take ready\n"
        "        }\n"
        "    }\n"
        "    t = next_timer\n"
        "    if t == -1 {\n        say \"no timer left\"\n    }\n"
        "}\n");
    int lp = task_id(tl, "loop");
    char b[256];
    calls(tl, lp, b, sizeof b);
    assert_string_equal(b, "b(7) /b a(0) /a c(0) /c ");
    int waits = 0;
    int64_t tmo[2] = {0}, ret_t[2] = {0};
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == lp && e->type == EV_SYS_ENTER &&
            e->sub == SYS_EPOLL_WAIT && waits < 2)
            tmo[waits++] = TL_TMO_NS(e->b);
        if (e->task == lp && e->type == EV_SYSCALL && e->sub == SYS_EPOLL_WAIT) {
            assert_int_equal(e->a, 0); /* timed out */
            ret_t[waits - 1] = e->t;
        }
    }
    assert_int_equal(waits, 2);
    /* the process starts at 2 us: b is due at 10.502 ms, 10.49986 ms after
     * the first wait begins, which epoll_wait takes as 11 ms (rounded up);
     * after b's 1 ms of work (at 12.000 ms and a little), a and c are due
     * at 30.002 ms: 17.99... ms, so 18 ms */
    assert_int_equal(tmo[0], 11000000);
    assert_int_equal(tmo[1], 18000000);
    assert_true(ret_t[0] >= 11000000 && ret_t[0] < 11100000);
    assert_true(ret_t[1] >= 30002000 && ret_t[1] < 30200000);
    int q = queue_id(tl, "loop timers");
    int64_t at[3] = {-1, -1, -1};
    int k = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_QUEUE && tl->ev[i].obj == q &&
            tl->ev[i].sub == TQ_INSERT && k < 3)
            at[k++] = tl->ev[i].b;
    /* a; b before it (earlier deadline); c after a (same deadline, later) */
    assert_int_equal(at[0], 0);
    assert_int_equal(at[1], 0);
    assert_int_equal(at[2], 2);
    assert_int_equal(said(tl, "no timer left"), 1);
    tl_free(tl);
}

/* post from another thread writes to the queue's eventfd (8 bytes) and so
 * wakes the loop's epoll_wait; the loop's own posts write nothing */
static void test_post_wakes_loop(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    handler done r {\n        compute 1ms\n    }\n"
        "    efd = eventfd\n"
        "    q = evqueue efd\n"
        "    ep = epoll_create\n"
        "    epoll_ctl ep add efd\n"
        "    post q done 1\n"
        "    t = thread worker {\n"
        "        compute 20ms\n"
        "        post q done 2\n"
        "    }\n"
        "    repeat 2 {\n"
        "        h, v = take q\n"
        "        while h != EAGAIN {\n"
        "            dispatch h v\n"
        "            h, v = take q\n"
        "        }\n"
        "        n = epoll_wait ep\n"
        "        if n > 0 {\n"
        "            x = read efd 8\n"
        "        }\n"
        "    }\n"
        "}\n");
    int app = task_id(tl, "app"), w = task_id(tl, "app/worker");
    int64_t r[4];
    assert_int_equal(sys_rets(tl, app, SYS_WRITE, r, 4), 0);
    assert_int_equal(sys_rets(tl, w, SYS_WRITE, r, 4), 1);
    assert_int_equal(r[0], 8);
    /* the worker's post at 20 ms ends the first wait; the second waits on */
    assert_int_equal(sys_rets(tl, app, SYS_EPOLL_WAIT, r, 4), 1);
    assert_int_equal(r[0], 1);
    assert_int_equal(sys_rets(tl, app, SYS_READ, r, 4), 1);
    assert_int_equal(r[0], 8);
    char b[256];
    calls(tl, app, b, sizeof b);
    assert_string_equal(b, "done(1) /done done(2) /done ");
    tl_free(tl);
}

static void expect_error(const char *text, const char *msg)
{
    struct prog *p = scn_parse("t.scn", text, strlen(text), err, sizeof err);
    if (p) {
        prog_free(p);
        fail_msg("expected the error: %s", msg);
    }
    assert_string_equal(err, msg);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("process a {\n    call nope\n}\n",
                 "t.scn:2:10: error: unknown handler 'nope': define it in a "
                 "with handler nope { ... }");
    expect_error("process a {\n    return\n}\n",
                 "t.scn:2:5: error: 'return' outside a handler: a task's own "
                 "code ends with exit");
    expect_error("process a {\n    q = evqueue\n    k = take q\n}\n",
                 "t.scn:3:9: error: take returns two values, the kind and the "
                 "value: write k, v = take Q");
    expect_error("process a {\n    loop {\n        handler h {\n        }\n"
                 "    }\n}\n",
                 "t.scn:3:9: error: define handlers at the top of a process's "
                 "block, not inside another block");
    expect_error("process a {\n    handler h {\n    }\n    handler h {\n    }\n}\n",
                 "t.scn:4:13: error: handler 'h' is already defined");
}

/* click and press are the user's: a process cannot make them */
static void test_click_in_process(void **state)
{
    (void)state;
    const char *text = "process a {\n    click\n}\n";
    struct prog *p = scn_parse("t.scn", text, strlen(text), err, sizeof err);
    assert_non_null(p);
    struct tl *tl = sim_run(p, NULL, err, sizeof err);
    prog_free(p);
    assert_null(tl);
    assert_non_null(strstr(err, "click is the user's action"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handlers),
        cmocka_unit_test(test_gui_queue_order),
        cmocka_unit_test(test_timer_heap_timeout),
        cmocka_unit_test(test_post_wakes_loop),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_click_in_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
