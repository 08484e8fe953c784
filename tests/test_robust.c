/*
 * test_robust.c - what a hostile or unlucky scenario must not do: escape
 * the run's budget (steps, memory, with variables copied by every fork),
 * overflow while packing a syscall's arguments, report an exit status
 * Linux would not, write raw control characters into --dump, or leave half
 * a UTF-8 character in a viewer message; and the exports' own formatters
 * must say what printf would (digits, truncation).
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
#include "tl/obuf.h"
#include "tl/text.h"
#include "ui/viewer.h"
#include "testlib.h"

static int has_note(const struct tl *tl, const char *what)
{
    return tl->truncated && tl->note && strstr(tl->note, what) != NULL;
}

/* A lone computing task records nothing; the steps stop it, at the same
 * event on every run */
static void test_steps_stop_compute_loop(void **st)
{
    (void)st;
    const char *text = "process p {\n    loop {\n        compute 1ns\n    }\n}\n";
    struct sim_opts o = {.max_steps = 100000};
    struct tl *a = run_opts(text, &o), *b = run_opts(text, &o);
    assert_true(has_note(a, "stopped after 100000 steps"));
    assert_true(has_note(a, "--steps"));
    assert_int_equal(a->nev, b->nev);
    assert_memory_equal(a->ev, b->ev, a->nev * sizeof *a->ev);
    tl_free(a);
    tl_free(b);
    /* the machine block sets it too */
    struct tl *c = run_text("machine {\n    steps 5000\n}\nprocess p {\n"
                            "    loop {\n        sleep 1ns\n    }\n}\n");
    assert_true(has_note(c, "stopped after 5000 steps"));
    tl_free(c);
}

/* Variables copied by every fork count against the memory budget */
static void test_memory_stops_fork_copies(void **st)
{
    (void)st;
    size_t cap = 1 << 20, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n, "process p {\n");
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(text + n, cap - n, "    v%d = set %d\n", i, i);
    snprintf(text + n, cap - n, "    loop {\n        pid = fork {\n"
             "            sleep 1s\n        }\n    }\n}\n");
    struct sim_opts o = {.max_mem = 8 << 20};
    struct tl *tl = run_opts(text, &o);
    assert_true(has_note(tl, "stopped at the memory limit"));
    assert_true(has_note(tl, "more than 8 MiB"));
    /* 16 KB of variables a task: about 500 tasks fit in 8 MiB */
    assert_in_range(tl->ntasks, 300, 520);
    tl_free(tl);
    free(text);
}

/* A timeline that grows without variables: the memory limit, not 50 M
 * events, ends it */
static void test_memory_stops_timeline(void **st)
{
    (void)st;
    struct sim_opts o = {.max_mem = 16 << 20, .max_events = 50000000};
    struct tl *tl = run_opts("process p {\n    loop {\n        r, w = pipe\n"
                             "    }\n}\n", &o);
    assert_true(has_note(tl, "stopped at the memory limit"));
    assert_true(tl->nev > 100000 && tl->nev < 1000000); /* ~40 B an event */
    tl_free(tl);
}

/* io_uring_enter(fd, to_submit, min_complete): two unsigned ints packed in
 * one field, whatever the scenario gives (2G overflowed a signed shift) */
static void test_uring_enter_arg(void **st)
{
    (void)st;
    int64_t a = TL_URING_ENTER_ARG(3, (int64_t)2 << 30);
    assert_int_equal(TL_URING_ENTER_SUB(a), 3);
    assert_int_equal(TL_URING_ENTER_WAIT(a), (int64_t)2 << 30);
    a = TL_URING_ENTER_ARG(0xffffffffLL, 0xffffffffLL);
    assert_int_equal(TL_URING_ENTER_SUB(a), 0xffffffffLL);
    assert_int_equal(TL_URING_ENTER_WAIT(a), 0xffffffffLL);
    a = TL_URING_ENTER_ARG(1, -1); /* a C caller's -1 is 4294967295 */
    assert_int_equal(TL_URING_ENTER_WAIT(a), 0xffffffffLL);
}

/* The status a parent sees is the low 8 bits of exit's int */
static void test_exit_low_bits(void **st)
{
    (void)st;
    static const struct { const char *code; int64_t status; } cases[] = {
        {"257", 1}, {"2G", 0}, {"-1", 255}, {"300", 44}, {"7", 7}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[128];
        snprintf(text, sizeof text, "process p {\n    exit %s\n}\n", cases[i].code);
        struct tl *tl = run_text(text);
        int64_t got = -1;
        for (size_t k = 0; k < tl->nev; k++)
            if (tl->ev[k].type == EV_STATE && tl->ev[k].sub == TS_EXITED)
                got = tl->ev[k].a;
        assert_int_equal(got, cases[i].status);
        tl_free(tl);
    }
}

/* Scenario text reaches --dump with its control characters escaped */
static void test_dump_escapes(void **st)
{
    (void)st;
    struct tl *tl = run_text("process p {\n    say \"a\\nb \x1b]0;title\x07 "
                             "\x1b[2J\r \xc2\x9b \\\\ ok\"\n}\n");
    size_t len = 0;
    char *buf = timeline_text(tl, 0, &len);
    for (size_t i = 0; i < len; i++)
        if (buf[i] != '\n')
            assert_true((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f);
    assert_null(strstr(buf, "\xc2\x9b"));
    assert_non_null(strstr(buf, "# a\\nb \\033]0;title\\007 \\033[2J\\r "
                               "\\302\\233 \\ ok\n")); /* a backslash as it is */
    free(buf);
    tl_free(tl);
}

/* The exports' integer formatters write what printf writes */
static void test_obuf_printf(void **st)
{
    (void)st;
    static const int64_t v[] = {0, 1, 9, 10, 99, 100, 101, 999999999, 1000000000,
                                -1, -10, -12345, INT64_MAX, INT64_MIN,
                                (int64_t)1 << 32};
    struct obuf *o = malloc(sizeof *o);
    assert_non_null(o);
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        char want[128], *got = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&got, &len);
        assert_non_null(f);
        ob_init(o, f);
        ob_i64(o, v[i]);
        ob_c(o, ' ');
        ob_u0(o, (uint64_t)(v[i] < 0 ? -(v[i] + 1) : v[i]) % 1000000000, 9);
        ob_c(o, ' ');
        ob_pad(o, "ab", 6);
        ob_pad(o, "abcdefgh", 6);
        assert_int_equal(ob_flush(o), 0);
        fclose(f);
        snprintf(want, sizeof want, "%lld %09llu %-*s%-*s", (long long)v[i],
                 (unsigned long long)((v[i] < 0 ? -(v[i] + 1) : v[i]) % 1000000000),
                 6, "ab", 6, "abcdefgh");
        assert_string_equal(got, want);
        free(got);
    }
    free(o);
}

/* An event's words in a short buffer are the start of its words in a long
 * one, as snprintf cuts them: the viewer draws them into narrow panels */
static void test_text_truncates(void **st)
{
    (void)st;
    static const char *const files[] = {"scenarios/epoll.scn", "scenarios/select.scn",
                                        "scenarios/io_uring.scn", "scenarios/zombie.scn"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        struct tl *tl = run_file(files[f]);
        for (size_t i = 0; i < tl->nev; i++) {
            char full[1536], cut[64];
            tl_ev_text(full, sizeof full, tl, (long)i);
            static const size_t lens[] = {1, 2, 9, 23, 40, 64};
            for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
                memset(cut, 'x', sizeof cut);
                tl_ev_text(cut, lens[k], tl, (long)i);
                size_t n = strlen(full) < lens[k] - 1 ? strlen(full) : lens[k] - 1;
                assert_int_equal(strlen(cut), n);
                assert_memory_equal(cut, full, n);
            }
        }
        tl_free(tl);
    }
}

/* A message cut to fit never ends in half a character */
static void test_msg_utf8(void **st)
{
    (void)st;
    struct tl *tl = run_text("process p {\n    compute 1ms\n}\n");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    char s[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(s, "\xe4\xb8\xad"); /* 中 */
    for (int cut = 90; cut < 110; cut++) {
        viewer_msg(&v, "Not found: %.*s", cut, s);
        size_t n = strlen(v.msg);
        assert_true(n >= 11);
        assert_int_equal((n - 11) % 3, 0);
    }
    viewer_msg(&v, "%s", s); /* cut by the buffer itself */
    assert_int_equal(strlen(v.msg) % 3, 0);
    viewer_close(&v);
    tl_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps_stop_compute_loop),
        cmocka_unit_test(test_memory_stops_fork_copies),
        cmocka_unit_test(test_memory_stops_timeline),
        cmocka_unit_test(test_uring_enter_arg),
        cmocka_unit_test(test_exit_low_bits),
        cmocka_unit_test(test_dump_escapes),
        cmocka_unit_test(test_obuf_printf),
        cmocka_unit_test(test_text_truncates),
        cmocka_unit_test(test_msg_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
