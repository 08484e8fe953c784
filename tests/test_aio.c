/*
 * test_aio.c - signal-driven I/O (SIGIO) and io_uring: what the kernel does
 * and in which order, read from the timeline; and the buffer scenarios.
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

#include "sim/scn.h"
#include "sim/sim.h"
#include "tl/export.h"
#include "tl/text.h"
#include "tl/world.h"
#include "testlib.h"

/* Index of the first event from `from` matching, or -1 */
static long find_ev(const struct tl *tl, long from, int type, int task,
                    int sub)
{
    for (size_t i = (size_t)from; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == type && (task < 0 || e->task == task) &&
            (sub < 0 || e->sub == sub))
            return (long)i;
    }
    return -1;
}

static int count_ev(const struct tl *tl, int type, int task, int sub)
{
    int n = 0;
    for (long i = find_ev(tl, 0, type, task, sub); i >= 0;
         i = find_ev(tl, i + 1, type, task, sub))
        n++;
    return n;
}

/* Was the caption text said (by a say or a caption)? */
static int said(const struct tl *tl, const char *text)
{
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION && tl->ev[i].a >= 0 &&
            !strcmp(tl->strs[tl->ev[i].a], text))
            return 1;
    return 0;
}

/* A server with a SIGIO handler that reads c, computing HANDLER_WORK per
 * read; the main program does MAIN.  The client sends at the times given. */
static const char *sigio_fmt =
    "machine {\n    latency 0us\n}\n"
    "process server {\n    s = socket\n    listen s 9000\n    c = accept s\n"
    "    fcntl c O_NONBLOCK\n"
    "    sigaction SIGIO {\n"
    "        loop {\n            n = read c 4K\n"
    "            if n == EAGAIN {\n                break\n            }\n"
    "            if n == 0 {\n                break\n            }\n"
    "            compute %s\n        }\n    }\n"
    "    fcntl c O_ASYNC\n"
    "%s"
    "}\n"
    "peer client {\n    sleep 1ms\n    c = connect 9000\n%s    sleep 20ms\n"
    "    close c\n}\n";

static struct tl *run_sigio(const char *work, const char *main_body,
                            const char *client)
{
    static char text[4096];
    snprintf(text, sizeof text, sigio_fmt, work, main_body, client);
    return run_text(text);
}

/* Data on an O_ASYNC fd raises SIGIO; the handler runs and its read()
 * copies the bytes: the signal comes first, the copy after, by the task */
static void test_sigio_raised_then_handler_reads(void **state)
{
    (void)state;
    struct tl *tl = run_sigio("10us", "    compute 10ms\n    exit\n",
                              "    sleep 4ms\n    send c 300\n");
    int srv = task_id(tl, "server");
    /* fcntl(F_SETOWN, pid) comes before fcntl(F_SETFL, O_ASYNC) */
    long own = -1, setfl = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_SYS_ENTER || e->sub != SYS_FCNTL || e->task != srv)
            continue;
        if (e->a & TL_F_SETOWN) {
            own = (long)i;
            assert_int_equal(e->a & ~TL_F_SETOWN, 1000 + srv);
        } else if (e->a & TL_FL_ASYNC) {
            setfl = (long)i;
        }
    }
    assert_true(own >= 0 && setfl > own);
    long data = find_ev(tl, 0, EV_DATA, -1, -1);
    long raised = find_ev(tl, 0, EV_SIGNAL, srv, 0);
    long handled = find_ev(tl, 0, EV_SIGNAL, srv, 1);
    long copy = find_ev(tl, 0, EV_COPY, srv, TC_TO_USER);
    assert_true(data >= 0 && raised > data && handled > raised);
    assert_int_equal(tl->ev[raised].a, TL_SIGIO);
    assert_true(tl->ev[raised].t >= 5000000);
    /* the handler starts at once: the computation is interrupted */
    assert_int_equal(tl->ev[handled].t, tl->ev[raised].t);
    assert_true(copy > handled);
    assert_int_equal(tl->ev[copy].a, 300);
    long rd = find_ev(tl, handled, EV_SYSCALL, srv, SYS_READ);
    assert_true(rd > copy);
    assert_int_equal(tl->ev[rd].a, 300);
    /* the handler ends with rt_sigreturn, and the main program's 10 ms of
     * computation still all happen: it ends after 5 ms + 10 ms of CPU */
    assert_true(find_ev(tl, rd, EV_SYSCALL, srv, SYS_RT_SIGRETURN) > rd);
    long ex = find_ev(tl, 0, EV_STATE, srv, TS_EXITED);
    assert_true(ex > 0 && tl->ev[ex].t > 11000000);
    tl_free(tl);
}

struct qwatch {
    int max_sig; /* most items seen at once in a TQK_SIGNALS queue */
    const struct tl *tl;
};

static void qwatch_ev(void *ctx, const struct world *w)
{
    struct qwatch *q = ctx;
    (void)q;
    for (int i = 1; i < w->nqueues; i++)
        if (w->queues[i].n > q->max_sig)
            q->max_sig = w->queues[i].n;
}

/* Three arrivals while the handler runs (SIGIO blocked): the first makes
 * SIGIO pending, the next two merge with it; one more delivery follows */
static void test_sigio_standard_signal_does_not_queue(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text, sigio_fmt, "1ms", "    compute 20ms\n    exit\n",
             "    sleep 4ms\n    send c 100\n    sleep 100us\n    send c 100\n"
             "    sleep 100us\n    send c 100\n    sleep 100us\n    send c 100\n");
    struct qwatch q = {0};
    struct sim_opts o = {.on_event = qwatch_ev, .ctx = &q};
    struct tl *tl = run_opts(text, &o);
    int srv = task_id(tl, "server");
    /* the signal queue (the only queue besides the run queue and the
     * accept queue, which never holds more than one connection here) */
    assert_int_equal(q.max_sig, 1);
    assert_int_equal(count_ev(tl, EV_SIGNAL, srv, 0), 2); /* now pending */
    assert_int_equal(count_ev(tl, EV_SIGNAL, srv, 2), 2); /* merged */
    assert_int_equal(count_ev(tl, EV_SIGNAL, srv, 1), 2); /* delivered */
    /* the second delivery comes after the first handler's rt_sigreturn */
    long h1 = find_ev(tl, 0, EV_SIGNAL, srv, 1);
    long ret = find_ev(tl, h1, EV_SYSCALL, srv, SYS_RT_SIGRETURN);
    long h2 = find_ev(tl, h1 + 1, EV_SIGNAL, srv, 1);
    assert_true(ret > h1 && h2 > ret);
    /* the first handler drained all 400 bytes before returning */
    int64_t bytes = 0;
    for (long i = h1; i < ret; i++)
        if (tl->ev[i].type == EV_COPY && tl->ev[i].task == srv)
            bytes += tl->ev[i].a;
    assert_int_equal(bytes, 400);
    tl_free(tl);
}

/* A blocking call interrupted by a handled signal fails with EINTR after
 * the handler; pause() always does */
static void test_sigio_interrupts_blocking_calls(void **state)
{
    (void)state;
    struct tl *tl = run_sigio(
        "10us",
        /* not n: the handler shares the task's variables and sets n */
        "    r, w = pipe\n    m = read r 4K\n    if m == EINTR {\n"
        "        say \"read EINTR\"\n    }\n    m = pause\n"
        "    if m == EINTR {\n        say \"pause EINTR\"\n    }\n    exit\n",
        "    sleep 4ms\n    send c 300\n    sleep 2ms\n    send c 10\n");
    int srv = task_id(tl, "server");
    long rd = find_ev(tl, 0, EV_SYSCALL, srv, SYS_READ); /* the pipe's */
    assert_true(rd >= 0);
    /* inside the kernel the read ends with ERESTARTSYS, as strace shows;
     * the program sees EINTR (the `say` below) once the handler returns */
    assert_int_equal(tl->ev[rd].a, -TL_ERESTARTSYS);
    assert_true(tl->ev[rd].t >= 5000000);
    long h = find_ev(tl, rd, EV_SIGNAL, srv, 1);
    long sr = find_ev(tl, h, EV_SYSCALL, srv, SYS_RT_SIGRETURN);
    assert_true(h > rd && sr > h);
    assert_int_equal(tl->ev[sr].a, -EINTR); /* rt_sigreturn restores it */
    long pa = find_ev(tl, 0, EV_SYSCALL, srv, SYS_PAUSE);
    assert_true(pa > sr);
    assert_int_equal(tl->ev[pa].a, -TL_ERESTARTNOHAND);
    assert_true(tl->ev[pa].t >= 7000000);
    assert_true(said(tl, "read EINTR"));
    assert_true(said(tl, "pause EINTR"));
    tl_free(tl);
}

/* SA_RESTART: the read the signal interrupts ends with ERESTARTSYS, the
 * handler runs, rt_sigreturn returns read's syscall number (0), and the
 * same read is made again and gets the data; without it, EINTR.  poll
 * (ERESTART_RESTARTBLOCK) is not restarted even with SA_RESTART. */
static const char *restart_text =
    "process p {\n    a, b = socketpair\n    c, d = socketpair\n"
    "    sigaction SIGIO%s {\n        m = read c 100\n    }\n"
    "    fcntl c O_NONBLOCK\n    fcntl c O_ASYNC\n"
    "    t = thread {\n        sleep 1ms\n        k = write d 10\n"
    "        sleep 1ms\n        k = write b 20\n        sleep 1ms\n"
    "        k = write d 10\n    }\n"
    "    n = read a 100\n    n = poll a\n    join t\n}\n";

static void test_sa_restart(void **state)
{
    (void)state;
    for (int restart = 0; restart < 2; restart++) {
        char text[1024];
        snprintf(text, sizeof text, restart_text, restart ? " SA_RESTART" : "");
        struct tl *tl = run_text(text);
        int p = task_id(tl, "p");
        int64_t rd[4], sr[2], pl[2];
        int nrd = sys_rets(tl, p, SYS_READ, rd, 4);
        assert_int_equal(sys_rets(tl, p, SYS_RT_SIGRETURN, sr, 2), 2);
        assert_int_equal(sys_rets(tl, p, SYS_POLL, pl, 2), 1);
        assert_int_equal(rd[0], -TL_ERESTARTSYS);
        assert_int_equal(rd[1], 10); /* the handler's read */
        if (restart) {
            assert_int_equal(nrd, 4);
            assert_int_equal(sr[0], 0);  /* __NR_read: the call again */
            assert_int_equal(rd[2], 20); /* the restarted read, no EINTR */
            /* poll: ERESTART_RESTARTBLOCK, EINTR whatever the flags */
            assert_int_equal(pl[0], -TL_ERESTART_RESTARTBLOCK);
            assert_int_equal(sr[1], -EINTR);
        } else {
            assert_int_equal(nrd, 3); /* main's, then the handler's twice */
            assert_int_equal(sr[0], -EINTR);
            assert_int_equal(pl[0], 1); /* a's 20 bytes, at 2 ms */
        }
        long sa = find_ev(tl, 0, EV_SYS_ENTER, p, SYS_RT_SIGACTION);
        assert_true(sa >= 0);
        assert_int_equal(!!(tl->ev[sa].a & TL_SA_RESTART), restart);
        tl_free(tl);
    }
}

/* SIGIO with no handler: its default action terminates the process */
static void test_sigio_default_action_kills(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process server {\n    s = socket\n    listen s 9000\n"
        "    c = accept s\n    fcntl c O_ASYNC\n    compute 10ms\n"
        "    say \"survived\"\n}\n"
        "peer client {\n    sleep 1ms\n    c = connect 9000\n    sleep 1ms\n"
        "    send c 10\n    sleep 20ms\n}\n");
    int srv = task_id(tl, "server");
    long ex = find_ev(tl, 0, EV_STATE, srv, TS_EXITED);
    assert_true(ex >= 0);
    assert_int_equal(tl->ev[ex].a, 128 + TL_SIGIO);
    assert_true(tl->ev[ex].t < 3000000);
    assert_false(said(tl, "survived"));
    tl_free(tl);
}

/* An io_uring server: one read submitted before the data exists */
static const char *uring_fmt =
    "machine {\n    latency 0us\n}\n"
    "process server {\n    s = socket\n    listen s 9000\n    c = accept s\n"
    "    ring = io_uring_setup 4\n"
    "%s"
    "    rd = prep ring read c 4K\n    n = io_uring_enter ring\n"
    "    compute 10ms\n"
    "    id, res = cqe ring\n"
    "    if id == rd {\n        say \"got it\"\n    }\n"
    "    if res == 300 {\n        say \"300 bytes\"\n    }\n"
    "    id, res = cqe ring\n"
    "    if id == EAGAIN {\n        say \"empty\"\n    }\n"
    "    exit\n}\n"
    "peer client {\n    sleep 1ms\n    c = connect 9000\n    sleep 4ms\n"
    "    send c 300\n    sleep 20ms\n    close c\n}\n";

/* The task never blocks in read (never calls it); the kernel copies after
 * the data lands and only then posts the CQE, while the task computes */
static void test_uring_kernel_waits_and_copies(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text, uring_fmt, "");
    struct tl *tl = run_text(text);
    int srv = task_id(tl, "server");
    assert_int_equal(count_ev(tl, EV_SYS_ENTER, srv, SYS_READ), 0);
    assert_int_equal(count_ev(tl, EV_SYS_ENTER, srv, SYS_RECVFROM), 0);
    int state_now = TS_NONE;
    long data = -1, copy = -1, cqe = -1;
    int cq = -1;
    for (int q = 0; q < tl->nqueues; q++)
        if (tl->queues[q].kind == TQK_CQ)
            cq = q;
    assert_true(cq > 0);
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == srv && e->type == EV_STATE) {
            state_now = e->sub;
            assert_false(e->sub == TS_BLOCKED && e->a == TW_DATA);
        }
        if (e->type == EV_DATA && data < 0)
            data = (long)i;
        if (e->type == EV_COPY && e->sub == TC_TO_USER && copy < 0) {
            copy = (long)i;
            assert_int_equal(e->task, TL_NOTASK); /* the kernel's copy */
            assert_int_equal(e->a, 300);
            assert_int_equal(state_now, TS_RUNNING); /* task runs on */
        }
        if (e->type == EV_QUEUE && e->obj == cq && e->sub == TQ_PUSH &&
            cqe < 0) {
            cqe = (long)i;
            assert_int_equal(TL_URING_RES(e->a), 300);
            assert_int_equal(TL_URING_OP(e->a), TU_READ);
        }
    }
    assert_true(data >= 0 && copy > data && cqe > copy);
    assert_true(tl->ev[cqe].t >= 5000000 && tl->ev[cqe].t < 6000000);
    assert_true(said(tl, "got it"));
    assert_true(said(tl, "300 bytes"));
    assert_true(said(tl, "empty"));
    tl_free(tl);
}

/* Data already there at submission: the read completes inside
 * io_uring_enter, the copy charged to the task; io_uring_enter with
 * min_complete sleeps for completions, not for data */
static void test_uring_inline_and_wait(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    latency 0us\n}\n"
        "process server {\n    s = socket\n    listen s 9000\n"
        "    c = accept s\n    ring = io_uring_setup 4\n    sleep 5ms\n"
        "    a = prep ring read c 100\n    b = prep ring read c 4K\n"
        "    n = io_uring_enter ring 2\n"
        "    if n == 2 {\n        say \"submitted 2\"\n    }\n    exit\n}\n"
        "peer client {\n    sleep 1ms\n    c = connect 9000\n    sleep 1ms\n"
        "    send c 300\n    sleep 10ms\n    send c 50\n    sleep 10ms\n}\n");
    int srv = task_id(tl, "server");
    long enter = find_ev(tl, 0, EV_SYS_ENTER, srv, SYS_IO_URING_ENTER);
    assert_true(enter >= 0);
    assert_int_equal(tl->ev[enter].a, TL_URING_ENTER_ARG(2, 2));
    /* first read: 100 of the 300 bytes, inline, by the task */
    long c1 = find_ev(tl, enter, EV_COPY, -1, TC_TO_USER);
    assert_int_equal(tl->ev[c1].task, srv);
    assert_int_equal(tl->ev[c1].a, 100);
    /* second read: the 200 left, inline too */
    long c2 = find_ev(tl, c1 + 1, EV_COPY, -1, TC_TO_USER);
    assert_int_equal(tl->ev[c2].task, srv);
    assert_int_equal(tl->ev[c2].a, 200);
    long ret = find_ev(tl, enter, EV_SYSCALL, srv, SYS_IO_URING_ENTER);
    assert_int_equal(tl->ev[ret].a, 2);
    assert_true(said(tl, "submitted 2"));
    /* nothing blocked: both completions were there */
    assert_int_equal(count_ev(tl, EV_STATE, srv, TS_BLOCKED), 2); /* accept,
                                                                      sleep */
    tl_free(tl);

    /* now wait for a completion whose data comes later */
    tl = run_text(
        "machine {\n    latency 0us\n}\n"
        "process server {\n    s = socket\n    listen s 9000\n"
        "    c = accept s\n    ring = io_uring_setup 4\n"
        "    a = prep ring read c 4K\n    n = io_uring_enter ring 1\n"
        "    id, res = cqe ring\n    exit\n}\n"
        "peer client {\n    sleep 1ms\n    c = connect 9000\n    sleep 5ms\n"
        "    send c 64\n    sleep 10ms\n}\n");
    srv = task_id(tl, "server");
    long blk = -1;
    for (long i = find_ev(tl, 0, EV_STATE, srv, TS_BLOCKED); i >= 0;
         i = find_ev(tl, i + 1, EV_STATE, srv, TS_BLOCKED))
        blk = i;
    assert_int_equal(tl->ev[blk].a, TW_COMPLETION);
    long cp = find_ev(tl, blk, EV_COPY, -1, TC_TO_USER);
    long wake = find_ev(tl, cp, EV_STATE, srv, TS_READY);
    assert_true(cp > blk && wake > cp);
    assert_int_equal(tl->ev[cp].task, TL_NOTASK);
    tl_free(tl);
}

/* A full SQ: prep fails with EBUSY until io_uring_enter makes room */
static void test_uring_sq_full(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    r, w = pipe\n    ring = io_uring_setup 2\n"
        "    a = prep ring read r 1\n    b = prep ring read r 1\n"
        "    x = prep ring read r 1\n"
        "    if x == EBUSY {\n        say \"busy\"\n    }\n"
        "    n = io_uring_enter ring\n"
        "    if n == 2 {\n        say \"two\"\n    }\n"
        "    x = prep ring read r 1\n"
        "    if x == 3 {\n        say \"third\"\n    }\n"
        "    close w\n    n = io_uring_enter ring 3\n"
        "    id, res = cqe ring\n"
        "    if id == 1 {\n        say \"first back\"\n    }\n}\n");
    assert_true(said(tl, "busy"));
    assert_true(said(tl, "two"));
    assert_true(said(tl, "third"));
    assert_true(said(tl, "first back"));
    tl_free(tl);
}

/* The shipped scenarios run to their end, the same way every time */
static void test_scenarios(void **state)
{
    (void)state;
    const char *files[] = {"scenarios/sigio.scn", "scenarios/io_uring.scn",
                           "scenarios/sticky.scn"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct tl *a = run_file(files[i]), *b = run_file(files[i]);
        assert_int_equal(a->nev, b->nev);
        for (size_t k = 0; k < a->nev; k++) {
            const struct tl_ev *x = &a->ev[k], *y = &b->ev[k];
            assert_true(x->t == y->t && x->a == y->a && x->b == y->b &&
                        x->obj == y->obj && x->task == y->task &&
                        x->type == y->type && x->sub == y->sub &&
                        x->line == y->line);
        }
        assert_null(a->note); /* nobody left blocked */
        for (int t = 0; t < a->ntasks; t++) {
            long ex = find_ev(a, 0, EV_STATE, t, TS_EXITED);
            assert_true(ex >= 0);
            assert_int_equal(a->ev[ex].a, 0);
        }
        tl_free(a);
        tl_free(b);
    }
}

/* sticky.scn: one read gets both messages; a non-blocking send gets
 * EAGAIN; a blocking one sleeps for buffer space, then sends it all */
static void test_sticky_scenario(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/sticky.scn");
    int srv = task_id(tl, "server"), cli = task_id(tl, "client");
    long rd = find_ev(tl, 0, EV_SYSCALL, srv, SYS_READ);
    assert_int_equal(tl->ev[rd].a, 200);
    int eagain = 0, full = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != cli)
            continue;
        if (e->type == EV_SYSCALL && e->sub == SYS_SENDTO && e->a == -EAGAIN)
            eagain++;
        if (e->type == EV_SYSCALL && e->sub == SYS_SENDTO && e->a == 16384)
            full++;
    }
    assert_int_equal(eagain, 1);
    assert_int_equal(full, 1);
    long blk = -1;
    for (size_t i = 0; i < tl->nev && blk < 0; i++)
        if (tl->ev[i].type == EV_STATE && tl->ev[i].task == cli &&
            tl->ev[i].sub == TS_BLOCKED && tl->ev[i].a == TW_SPACE)
            blk = (long)i;
    assert_true(blk >= 0);
    tl_free(tl);
}

static void expect_error(const char *text, const char *want)
{
    struct prog *p = scn_parse("t.scn", text, strlen(text), err, sizeof err);
    assert_null(p);
    assert_string_equal(err, want);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("process p {\n    sigaction SIGUSR1 {\n    }\n}\n",
                 "t.scn:2:15: error: expected SIGIO, the signal iosim models: "
                 "sigaction SIGIO [SA_RESTART] {, found 'SIGUSR1'");
    expect_error("process p {\n    ring = io_uring_setup 4\n"
                 "    res = cqe ring\n}\n",
                 "t.scn:3:11: error: cqe returns two values: write id, res = "
                 "cqe RING");
    expect_error("process p {\n    ring = io_uring_setup 4\n"
                 "    prep ring readv 0 4K\n}\n",
                 "t.scn:3:15: error: expected read, write, recv or send, found "
                 "'readv'");
}

/* strace-style text of the new calls */
static void test_text(void **state)
{
    (void)state;
    char b[256];
    assert_string_equal(tl_call_text(b, sizeof b, SYS_FCNTL, 4,
                                     TL_F_SETOWN | 1000),
                        "fcntl(4, F_SETOWN, 1000)");
    assert_string_equal(tl_call_text(b, sizeof b, SYS_PAUSE, -1, 0),
                        "pause()");
    assert_string_equal(tl_call_text(b, sizeof b, SYS_IO_URING_ENTER, 5,
                                     TL_URING_ENTER_ARG(2, 1)),
                        "io_uring_enter(5, 2, 1, IORING_ENTER_GETEVENTS, "
                        "NULL, 0)");
    int64_t cqe = TL_URING_ITEM(TU_READ, 4, -EAGAIN);
    assert_int_equal(TL_URING_RES(cqe), -EAGAIN);
    assert_int_equal(TL_URING_FD(cqe), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigio_raised_then_handler_reads),
        cmocka_unit_test(test_sigio_standard_signal_does_not_queue),
        cmocka_unit_test(test_sigio_interrupts_blocking_calls),
        cmocka_unit_test(test_sigio_default_action_kills),
        cmocka_unit_test(test_sa_restart),
        cmocka_unit_test(test_uring_kernel_waits_and_copies),
        cmocka_unit_test(test_uring_inline_and_wait),
        cmocka_unit_test(test_uring_sq_full),
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_sticky_scenario),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
