/*
 * test_coro.c - coroutines that say where control goes: generators (next,
 * send, StopIteration) and greenlet's switch (to a named coroutine, with a
 * value; the parent on return).
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
#include "testlib.h"

static int said(const struct tl *tl, const char *text)
{
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION && !strcmp(tl->strs[tl->ev[i].a], text))
            n++;
    return n;
}

/* The switches of a run as "from>to:why:value " */
static void switches(const struct tl *tl, char *buf, size_t len)
{
    static const char *const why[] = {"next", "send", "yield", "stop",
                                      "switch", "return"};
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < tl->nev && n < len; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_SWITCH)
            continue;
        const char *from = strrchr(tl->tasks[e->task].name, '/');
        const char *to = strrchr(tl->tasks[e->obj].name, '/');
        n += (size_t)snprintf(buf + n, len - n, "%s>%s:%s:%lld ",
                              from ? from + 1 : tl->tasks[e->task].name,
                              to ? to + 1 : tl->tasks[e->obj].name,
                              why[e->sub],
                              e->a == TL_STOP_ITERATION ? -1 : (long long)e->a);
    }
}

static const char *gen_scn =
    "process app {\n"
    "    g = generator counter {\n"
    "        i = set 0\n"
    "        repeat 3 {\n"
    "            i = i + 1\n"
    "            x = yield i\n"
    "            if x == 7 {\n"
    "                say \"got 7\"\n"
    "            }\n"
    "            compute 10us\n"
    "        }\n"
    "    }\n"
    "    compute 50us\n"
    "    a = next g\n"
    "    b = next g 7\n"
    "    c = next g\n"
    "    d = next g\n"
    "    e = next g\n"
    "    if a == 1 {\n        say \"a1\"\n    }\n"
    "    if b == 2 {\n        say \"b2\"\n    }\n"
    "    if c == 3 {\n        say \"c3\"\n    }\n"
    "    if d == StopIteration {\n        say \"d stop\"\n    }\n"
    "    if e == StopIteration {\n        say \"e stop\"\n    }\n"
    "}\n";

/* A generator runs nothing until next(): made, it is "new"; it runs only
 * between a next and its yield; send's value reaches the yield; at the
 * end, StopIteration (again on every next after); no syscalls */
static void test_generator(void **state)
{
    (void)state;
    struct tl *tl = run_text(gen_scn);
    int g = task_id(tl, "app/counter");
    int64_t first_next = -1;
    int states[TS__COUNT] = {0};
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SWITCH && first_next < 0)
            first_next = e->t;
        if (e->task != g)
            continue;
        assert_int_not_equal(e->type, EV_SYS_ENTER);
        if (e->type == EV_STATE) {
            states[e->sub]++;
            if (e->sub == TS_RUNNING) /* never before the first next */
                assert_true(first_next >= 0 && e->t >= first_next);
            if (states[TS_RUNNING] == 0)
                assert_int_equal(e->sub, TS_NEW);
        }
    }
    assert_true(first_next >= 50000); /* the compute came first */
    assert_int_equal(states[TS_NEW], 1);
    assert_int_equal(states[TS_RUNNING], 4);
    assert_int_equal(states[TS_SUSPENDED], 3);
    assert_int_equal(states[TS_EXITED], 1);
    char sw[512];
    switches(tl, sw, sizeof sw);
    assert_string_equal(sw, "app>counter:next:0 counter>app:yield:1 "
                            "app>counter:send:7 counter>app:yield:2 "
                            "app>counter:next:0 counter>app:yield:3 "
                            "app>counter:next:0 counter>app:stop:-1 ");
    assert_int_equal(said(tl, "got 7"), 1);
    assert_int_equal(said(tl, "a1") + said(tl, "b2") + said(tl, "c3"), 3);
    assert_int_equal(said(tl, "d stop") + said(tl, "e stop"), 2);
    tl_free(tl);
}

static void run_fails(const char *text, const char *msg)
{
    struct prog *p = scn_parse("t.scn", text, strlen(text), err, sizeof err);
    if (!p)
        fail_msg("parse: %s", err);
    struct tl *tl = sim_run(p, NULL, err, sizeof err);
    prog_free(p);
    if (tl)
        tl_free(tl);
    assert_null(tl);
    if (!strstr(err, msg))
        fail_msg("expected '%s' in: %s", msg, err);
}

static void test_generator_errors(void **state)
{
    (void)state;
    run_fails("process app {\n    g = generator {\n        yield 1\n    }\n"
              "    v = next g 5\n}\n",
              "t.scn:5:9: error: TypeError: can't send non-None value to a "
              "just-started generator");
    run_fails("process app {\n    shared g\n    g = generator {\n"
              "        v = next g\n    }\n    v = next g\n}\n",
              "ValueError: generator already executing");
    run_fails("process app {\n    c = coroutine {\n        yield\n    }\n"
              "    v = next c\n}\n", "next: ");
}

/* greenlet: every switch goes where it says, with its value; a finished
 * greenlet returns to its parent; a switch to a finished one goes to its
 * parent too */
static void test_greenlet(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n    shared b\n"
        "    a = coroutine ping {\n        x = switch parent 1\n"
        "        compute 10us\n        y = switch b x\n"
        "        if y == 5 {\n            say \"ping got 5\"\n        }\n    }\n"
        "    b = coroutine pong {\n        z = switch a 5\n"
        "        say \"pong resumed\"\n    }\n"
        "    v = switch a\n    if v == 1 {\n        say \"main got 1\"\n    }\n"
        "    w = switch a 2\n    if w == 0 {\n        say \"ping returned\"\n    }\n"
        "    u = switch a 9\n    if u == 9 {\n        say \"a is dead: back to main\"\n    }\n"
        "    u = switch b 4\n"
        "}\n");
    char sw[512];
    switches(tl, sw, sizeof sw);
    assert_string_equal(sw, "app>ping:switch:0 ping>app:switch:1 "
                            "app>ping:switch:2 ping>pong:switch:2 "
                            "pong>ping:switch:5 ping>app:return:0 "
                            "app>pong:switch:4 pong>app:return:0 ");
    assert_int_equal(said(tl, "main got 1"), 1);
    assert_int_equal(said(tl, "ping got 5"), 1);
    assert_int_equal(said(tl, "ping returned"), 1);
    assert_int_equal(said(tl, "a is dead: back to main"), 1);
    assert_int_equal(said(tl, "pong resumed"), 1);
    /* all in user space: no syscall but the process's exit */
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SYS_ENTER)
            assert_int_equal(tl->ev[i].sub, SYS_EXIT_GROUP);
    tl_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator),
        cmocka_unit_test(test_generator_errors),
        cmocka_unit_test(test_greenlet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
