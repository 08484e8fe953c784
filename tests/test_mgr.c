/*
 * test_mgr.c - multiprocessing's Manager: a server process forked at
 * Manager() that listens on an AF_UNIX socket; every access through a
 * proxy is one request and one reply, after a connection's handshake; the
 * shared dict lives in the server only; shutdown ends the server.
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

/* The text of a message queue item */
static const char *item(const struct tl *tl, int q, int64_t it, char *b,
                        size_t n)
{
    return tl_qitem_text(b, n, tl, q, it);
}

/* index of the first QUEUE push of a message whose text is want, from i */
static long find_push(const struct tl *tl, long from, const char *want)
{
    char b[96];
    for (size_t i = (size_t)from; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_QUEUE && e->sub == TQ_PUSH &&
            tl->queues[e->obj].kind == TQK_MSGS &&
            !strcmp(item(tl, e->obj, e->a, b, sizeof b), want))
            return (long)i;
    }
    return -1;
}

static void test_server_and_dict(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/manager.scn");
    int parent = task_id(tl, "parent"), srv = task_id(tl, "SyncManager");
    assert_int_equal(tl->tasks[srv].kind, TK_PROCESS);
    assert_int_equal(tl->tasks[srv].parent, parent);
    int acc = task_id(tl, "SyncManager/Thread-1 (accepter)");
    assert_int_equal(tl->tasks[acc].proc, srv);
    /* the server listens before the parent's first connect */
    long listen = -1, connect = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYSCALL && e->task == srv && e->sub == SYS_LISTEN &&
            listen < 0)
            listen = (long)i;
        if (e->type == EV_SYS_ENTER && e->task == parent &&
            e->sub == SYS_CONNECT && connect < 0)
            connect = (long)i;
    }
    assert_true(listen >= 0 && listen < connect);
    /* the dict is the server's: A 9 and B 16, set by the two workers */
    int dq = -1;
    for (int q = 0; q < tl->nqueues; q++)
        if (!strcmp(tl->queues[q].name, "SyncManager: dict #1"))
            dq = q;
    assert_true(dq >= 0);
    assert_int_equal(tl->queues[dq].owner, srv);
    int setters = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_QUEUE && e->obj == dq && e->sub == TQ_PUSH) {
            assert_int_equal(tl->tasks[e->task].proc, srv); /* changed there */
            setters++;
        }
    }
    assert_int_equal(setters, 2);
    /* the server ends with the shutdown; the parent reaps it */
    int reaped = 0;
    for (size_t i = 0; i < tl->nev; i++)
        reaped |= tl->ev[i].type == EV_STATE && tl->ev[i].task == srv &&
                  tl->ev[i].sub == TS_EXITED && tl->ev[i].obj == parent;
    assert_true(reaped);
    tl_free(tl);
}

/* d['B'] on a connection already made: one write of the request, the
 * server's two reads and one write, the client's two reads; no other
 * message on the connection in between */
static void test_access_is_request_and_reply(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/manager.scn");
    int parent = task_id(tl, "parent");
    long req = find_push(tl, 0, "__getitem__ B");
    long rep = find_push(tl, req, "#RETURN 16");
    assert_true(req >= 0 && rep > req);
    int writes = 0, reads = 0, msgs = 0, srv_reads = 0, srv_writes = 0;
    /* from the request's write to the end of the reply's reads */
    long from = req, to = rep;
    while (from > 0 && !(tl->ev[from].type == EV_SYS_ENTER &&
                         tl->ev[from].task == parent))
        from--;
    int got = 0;
    for (size_t i = (size_t)rep; i < tl->nev && got < 2; i++)
        if (tl->ev[i].type == EV_SYSCALL && tl->ev[i].task == parent &&
            tl->ev[i].sub == SYS_READ) {
            got++;
            to = (long)i;
        }
    for (long i = from; i <= to; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYSCALL && e->task == parent) {
            writes += e->sub == SYS_WRITE;
            reads += e->sub == SYS_READ;
        }
        if (e->type == EV_SYSCALL && e->task != parent &&
            e->task != TL_NOTASK && strstr(tl->tasks[e->task].name, "handle")) {
            srv_reads += e->sub == SYS_READ;
            srv_writes += e->sub == SYS_WRITE;
        }
        if (e->type == EV_QUEUE && e->sub == TQ_PUSH &&
            tl->queues[e->obj].kind == TQK_MSGS)
            msgs++;
    }
    assert_int_equal(writes, 1);
    assert_int_equal(reads, 2);   /* the length, the pickle */
    assert_int_equal(srv_reads, 2);
    assert_int_equal(srv_writes, 1);
    assert_int_equal(msgs, 2);    /* the request and the reply */
    /* a new connection: six handshake messages before its first request */
    long conn = find_push(tl, 0, "accept_connection");
    int hs = 0;
    char b[96];
    for (long i = 0; i < conn; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_QUEUE && e->sub == TQ_PUSH &&
            tl->queues[e->obj].kind == TQK_MSGS) {
            const char *t = item(tl, e->obj, e->a, b, sizeof b);
            hs += !strcmp(t, "#CHALLENGE#") || !strcmp(t, "digest") ||
                  !strcmp(t, "#WELCOME#");
        }
    }
    assert_int_equal(hs, 12); /* m.dict()'s connection and A's */
    tl_free(tl);
}

static void test_errors(void **state)
{
    (void)state;
    char e[512];
    const char *missing = "process p {\n"
                          "    m = mp_manager\n"
                          "    d = mp_dict m\n"
                          "    v = mp_get d nothing\n"
                          "}\n";
    struct prog *p = scn_parse("t.scn", missing, strlen(missing), e, sizeof e);
    assert_non_null(p);
    struct tl *tl = sim_run(p, NULL, e, sizeof e);
    prog_free(p);
    assert_null(tl);
    assert_non_null(strstr(e, "t.scn:4:9: error: mp_get: KeyError: 'nothing'"));
    const char *bad = "process p {\n    m = mp_manager\n    mp_set m x\n}\n";
    p = scn_parse("t.scn", bad, strlen(bad), e, sizeof e);
    assert_null(p);
    assert_non_null(strstr(e, "mp_set takes D KEY VALUE"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_and_dict),
        cmocka_unit_test(test_access_is_request_and_reply),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
