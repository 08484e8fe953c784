/*
 * test_msg.c - messages and multiprocessing's Pipe: a message rides on the
 * bytes that carry it and arrives intact and in order; Connection.send is
 * a 4-byte length and a pickle of CPython's size, in one write or two;
 * recv reads the length, then the pickle; the log, the queues and the
 * JSON export show the payload.
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
#include "tl/export.h"
#include "tl/text.h"
#include "tl/world.h"
#include "testlib.h"

/* The sizes CPython 3.11 gives pickle.dumps((kind, v)), measured with
 * multiprocessing.reduction.ForkingPickler.dumps */
static void test_pickle_sizes(void **state)
{
    (void)state;
    static const struct { const char *k; int64_t v, n; } m[] = {
        {"task", 0, 23}, {"result", 42, 25}, {"x", 255, 20}, {"task", 256, 24},
        {"task", 65535, 24}, {"task", 65536, 26}, {"task", -1, 26},
        {"task", 2147483647, 26}, {"task", 2147483648LL, 28},
        {"task", 1099511627776LL, 29}, {"x", -2147483649LL, 25},
    };
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        assert_int_equal(prog_pickle_size(m[i].k, m[i].v), m[i].n);
}

/* Messages sent through a Pipe arrive intact and in order, each as a
 * length and a pickle; a pickle over 16 KiB is two writes */
static void test_pipe_in_order(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n"
        "    cpus 2\n"
        "}\n"
        "process app {\n"
        "    shared got kinds\n"
        "    a, b = mp_pipe\n"
        "    pid = fork kid {\n"
        "        i = set 0\n"
        "        repeat 5 {\n"
        "            conn_send b task i\n"
        "            i = i + 1\n"
        "        }\n"
        "        conn_send b big 99 100K\n"
        "        conn_send b result -7\n"
        "        exit\n"
        "    }\n"
        "    close b\n"
        "    loop {\n"
        "        k, v = conn_recv a\n"
        "        if k == EOFError {\n"
        "            break\n"
        "        }\n"
        "        got = set v\n"
        "        if k == \"result\" {\n"
        "            kinds = set 1\n"
        "        }\n"
        "    }\n"
        "    wait pid\n"
        "}\n");
    int64_t v[16];
    int n = stores(tl, "got (app)", v, 16);
    int64_t want[] = {0, 0, 1, 2, 3, 4, 99, -7}; /* the first: memory's 0 */
    assert_int_equal(n, 8);
    for (int i = 0; i < n; i++)
        assert_int_equal(v[i], want[i]);
    assert_int_equal(stores(tl, "kinds (app)", v, 16), 2);
    int kid = task_id(tl, "kid"), app = task_id(tl, "app");
    int64_t w[16], r[32];
    /* five one-write messages of 27 bytes, then 4 + 102400, then 30 */
    assert_int_equal(sys_rets(tl, kid, SYS_WRITE, w, 16), 8);
    for (int i = 0; i < 5; i++)
        assert_int_equal(w[i], 27);
    assert_int_equal(w[5], 4);
    assert_int_equal(w[6], 102400);
    assert_int_equal(w[7], 4 + prog_pickle_size("result", -7));
    /* each recv: read 4, then the pickle; the big one may come in parts
     * (the socket holds less than 100 KiB); then end of file */
    int nr = sys_rets(tl, app, SYS_READ, r, 32);
    assert_true(nr >= 15);
    assert_int_equal(r[0], 4);
    assert_int_equal(r[1], 23);
    assert_int_equal(r[nr - 1], 0);
    /* the queue of the parent's socket: pushed and popped in order */
    int q = -1;
    for (int i = 0; i < tl->nqueues; i++)
        if (tl->queues[i].kind == TQK_MSGS)
            q = q < 0 ? i : q;
    assert_true(q >= 0);
    int64_t pushed[16], popped[16];
    int np = 0, no = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_QUEUE || e->obj != q)
            continue;
        if (e->sub == TQ_PUSH && np < 16)
            pushed[np++] = e->a;
        else if (e->sub == TQ_POP && no < 16)
            popped[no++] = e->a;
    }
    assert_int_equal(np, 7);
    assert_int_equal(no, 7);
    for (int i = 0; i < 7; i++)
        assert_true(pushed[i] == popped[i]);
    char b[64];
    tl_qitem_text(b, sizeof b, tl, q, pushed[5]);
    assert_string_equal(b, "big 99");
    tl_qitem_text(b, sizeof b, tl, q, pushed[6]);
    assert_string_equal(b, "result -7");
    tl_free(tl);
}

/* Pipe(duplex=False) is pipe2(O_CLOEXEC); the message is in the read
 * end's queue, and the log and the export say what it is */
static void test_oneway_and_text(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    r, w = mp_pipe oneway\n"
        "    conn_send w request 5\n"
        "    k, v = conn_recv r\n"
        "    exit v\n"
        "}\n");
    char buf[256];
    int pipe2 = 0, sent = 0, pushed = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYS_ENTER && e->sub == SYS_PIPE2) {
            tl_enter_text(buf, sizeof buf, tl, e);
            assert_string_equal(buf, "pipe2([3, 4], O_CLOEXEC)");
            pipe2++;
        }
        if (e->type == EV_SYS_ENTER && e->sub == SYS_WRITE) {
            tl_enter_text(buf, sizeof buf, tl, e);
            assert_string_equal(buf, "write(4, \"\\0\\0\\0\\32\" + "
                                "pickle(('request', 5)), 30)");
            sent++;
        }
        if (e->type == EV_QUEUE && tl->queues[e->obj].kind == TQK_MSGS &&
            e->sub == TQ_PUSH) {
            assert_int_equal(tl->queues[e->obj].owner, 1); /* the read end */
            assert_string_equal(tl->queues[e->obj].name,
                                "pipe (read end) #1 messages");
            pushed++;
        }
    }
    assert_int_equal(pipe2 + sent + pushed, 3);
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(tl_export_json(tl, f), 0);
    long len = ftell(f);
    rewind(f);
    char *js = calloc(1, (size_t)len + 1);
    assert_int_equal(fread(js, 1, (size_t)len, f), (size_t)len);
    assert_non_null(strstr(js, "\"op\":\"push\",\"item\":"));
    assert_non_null(strstr(js, ",\"kind\":\"request\",\"value\":5"));
    free(js);
    fclose(f);
    tl_free(tl);
}

/* Plain bytes written before and after messages keep their place */
static void test_plain_bytes_between(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process app {\n"
        "    shared got\n"
        "    r, w = pipe\n"
        "    write w 10\n"
        "    write w 100 hello 1\n"
        "    write w 7\n"
        "    conn_send w task 2\n"
        "    n = read r 50\n"
        "    n = read r 67\n"
        "    k, v = conn_recv r\n"
        "    got = set v\n"
        "}\n");
    int app = task_id(tl, "app");
    int64_t r[8];
    assert_int_equal(sys_rets(tl, app, SYS_READ, r, 8), 4);
    int q = -1, pops = 0;
    for (int i = 0; i < tl->nqueues; i++)
        if (tl->queues[i].kind == TQK_MSGS)
            q = i;
    long first_pop = -1;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_QUEUE && tl->ev[i].obj == q &&
            tl->ev[i].sub == TQ_POP) {
            if (first_pop < 0)
                first_pop = (long)i;
            pops++;
        }
    assert_int_equal(pops, 2);
    /* hello 1 leaves with the second read (bytes 50..117 hold its end) */
    int reads = 0;
    for (long i = 0; i < first_pop; i++)
        reads += tl->ev[i].type == EV_SYSCALL && tl->ev[i].sub == SYS_READ;
    assert_int_equal(reads, 1);
    int64_t v[4];
    assert_int_equal(stores(tl, "got (app)", v, 4), 2);
    assert_int_equal(v[1], 2);
    tl_free(tl);
}

static void expect_error(const char *text, const char *msg, int at_run)
{
    char e[512];
    struct prog *p = scn_parse("t.scn", text, strlen(text), e, sizeof e);
    if (!at_run) {
        if (p) {
            prog_free(p);
            fail_msg("parsed, expected: %s", msg);
        }
    } else {
        if (!p)
            fail_msg("parse: %s", e);
        struct tl *tl = sim_run(p, NULL, e, sizeof e);
        prog_free(p);
        if (tl) {
            int failed = tl->note && strstr(tl->note, msg);
            if (failed)
                snprintf(e, sizeof e, "%s", tl->note);
            tl_free(tl);
            if (!failed)
                fail_msg("ran, expected: %s", msg);
        }
    }
    if (!strstr(e, msg))
        fail_msg("got '%s', expected '%s'", e, msg);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("process a {\n    r, w = mp_pipe\n    conn_send w\n}\n",
                 "conn_send takes FD KIND", 0);
    expect_error("process a {\n    r, w = mp_pipe\n    conn_send w 5\n}\n",
                 "expected a message kind", 0);
    expect_error("process a {\n    r = mp_pipe\n}\n", "returns two fds", 0);
    expect_error("process a {\n    r, w = mp_pipe twoway\n}\n",
                 "mp_pipe takes [oneway] (found 1 operand)", 0);
    expect_error("process a {\n    r, w = pipe\n    write w 30\n"
                 "    k = conn_recv r\n}\n",
                 "not a message (written by write, not by conn_send)", 1);
    expect_error("process a {\n    r, w = pipe\n    n = set 3\n"
                 "    conn_send w n 1\n}\n",
                 "the message's kind must be a word", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pickle_sizes),
        cmocka_unit_test(test_pipe_in_order),
        cmocka_unit_test(test_oneway_and_text),
        cmocka_unit_test(test_plain_bytes_between),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
