/*
 * test_mux.c - the I/O models (select, poll, epoll), the `server`
 * templates and --compare, and the buffer story seen through sockets.
 * Every check reads the timeline, as a viewer would.
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
#include <unistd.h>

#include "sim/scn.h"
#include "sim/server.h"
#include "sim/sim.h"
#include "tl/export.h"
#include "tl/text.h"
#include "testlib.h"

/* ---- epoll ------------------------------------------------------------ */

/* Three connections, data on two of them: epoll_wait returns those two */
static void test_epoll_exact_ready(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process server {\n    s = socket\n    listen s 80\n    ep = epoll_create\n"
        "    a = accept s\n    b = accept s\n    c = accept s\n"
        "    epoll_ctl ep add a\n    epoll_ctl ep add b\n    epoll_ctl ep add c\n"
        "    sleep 5ms\n    n = epoll_wait ep\n    for fd in ready {\n"
        "        say \"ready\"\n        r = read fd 4K\n    }\n}\n"
        "peer p1 at 1ms {\n    c = connect 80\n    sleep 10ms\n}\n"
        "peer p2 at 1ms {\n    sleep 100us\n    c = connect 80\n    sleep 1ms\n    send c 10\n    sleep 10ms\n}\n"
        "peer p3 at 1ms {\n    sleep 200us\n    c = connect 80\n    sleep 1ms\n    send c 20\n    sleep 10ms\n}\n");
    int srv = task_id(tl, "server");
    int64_t n[4], reads[4];
    assert_int_equal(sys_rets(tl, srv, SYS_EPOLL_WAIT, n, 4), 1);
    assert_int_equal(n[0], 2);
    /* fds 5 and 6 (b and c) are the ones read, each once, with their bytes */
    assert_int_equal(sys_rets(tl, srv, SYS_READ, reads, 4), 2);
    assert_int_equal(reads[0] + reads[1], 30);
    int scanned = -1;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SCAN && tl->ev[i].task == srv) {
            scanned = (int)tl->ev[i].a;
            assert_int_equal(tl->ev[i].sub, SYS_EPOLL_WAIT);
        }
    assert_int_equal(scanned, 2); /* the ready list, not the interest list */
    tl_free(tl);
}

static const char *et_text =
    "process server {\n    s = socket\n    listen s 80\n    c = accept s\n"
    "    fcntl c O_NONBLOCK\n    ep = epoll_create\n    epoll_ctl ep add c%s\n"
    "    repeat 3 {\n        n = epoll_wait ep\n        r = read c 1K\n    }\n}\n"
    "peer client at 1ms {\n    c = connect 80\n    sleep 1ms\n    send c 2K\n"
    "    sleep 10ms\n    send c 10\n    sleep 10ms\n}\n";

/* ET: a reader that reads half the data sleeps until new data arrives */
static void test_epoll_et_stall(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, et_text, " et");
    struct tl *tl = run_text(text);
    int srv = task_id(tl, "server");
    int64_t ret_t[3] = {0};
    int k = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == srv && e->type == EV_SYSCALL && e->sub == SYS_EPOLL_WAIT)
            ret_t[k++] = e->t;
    }
    assert_int_equal(k, 3);
    assert_true(ret_t[0] >= 2000000 && ret_t[0] < 3000000); /* first edge */
    /* 1K is left unread, yet the second wait returns only with the nudge */
    assert_true(ret_t[1] >= 12000000);
    assert_true(ret_t[2] >= 12000000);
    tl_free(tl);
}

/* LT: the same reader is told again at once while data is left */
static void test_epoll_lt_reports_again(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, et_text, "");
    struct tl *tl = run_text(text);
    int srv = task_id(tl, "server");
    int64_t n[3], t[3] = {0}, r[3];
    int k = 0;
    assert_int_equal(sys_rets(tl, srv, SYS_EPOLL_WAIT, n, 3), 3);
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == srv && e->type == EV_SYSCALL && e->sub == SYS_EPOLL_WAIT)
            t[k++] = e->t;
    }
    assert_int_equal(n[1], 1);
    assert_true(t[1] - t[0] < 10000); /* no waiting: the fd stayed ready */
    assert_int_equal(sys_rets(tl, srv, SYS_READ, r, 3), 3);
    assert_int_equal(r[0], 1024);
    assert_int_equal(r[1], 1024);
    assert_true(t[2] >= 12000000); /* drained: now it does wait */
    tl_free(tl);
}

/* EPOLLONESHOT: one report, then nothing until EPOLL_CTL_MOD re-arms it,
 * even with data left (level-triggered otherwise) */
static void test_epoll_oneshot(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process server {\n    s = socket\n    listen s 80\n    c = accept s\n"
        "    ep = epoll_create\n    epoll_ctl ep add c oneshot\n"
        "    n = epoll_wait ep\n    r = read c 1K\n"
        "    sleep 5ms\n    epoll_ctl ep mod c oneshot\n"
        "    n = epoll_wait ep\n    r = read c 1K\n}\n"
        "peer client at 1ms {\n    c = connect 80\n    sleep 1ms\n"
        "    send c 2K\n    sleep 20ms\n}\n");
    int srv = task_id(tl, "server");
    int64_t t[2] = {0}, r[2];
    int k = 0, qr = -1;
    for (int i = 0; i < tl->nqueues; i++)
        if (strstr(tl->queues[i].name, "ready list"))
            qr = i;
    int64_t push_t[3] = {0};
    int pushes = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == srv && e->type == EV_SYSCALL && e->sub == SYS_EPOLL_WAIT)
            t[k++] = e->t;
        if (e->type == EV_QUEUE && e->obj == qr && e->sub == TQ_PUSH &&
            pushes < 3)
            push_t[pushes++] = e->t;
    }
    assert_int_equal(k, 2);
    /* disarmed after the first report: the item is not put back, though 1K
     * is still unread, until the MOD at 7 ms polls the file again */
    assert_int_equal(pushes, 2);
    assert_true(push_t[0] < 3000000);
    assert_true(push_t[1] > 7000000);
    assert_true(t[1] > 7000000);
    assert_int_equal(sys_rets(tl, srv, SYS_READ, r, 2), 2);
    assert_int_equal(r[0], 1024);
    assert_int_equal(r[1], 1024); /* MOD re-armed it: the rest is reported */
    tl_free(tl);
}

/* EPOLLEXCLUSIVE only with ADD, and never with EPOLLONESHOT */
static void test_epoll_exclusive_einval(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    a, b = socketpair\n    ep = epoll_create\n"
        "    r = epoll_ctl ep add a exclusive oneshot\n"
        "    r = epoll_ctl ep add a exclusive\n"
        "    r = epoll_ctl ep mod a\n    r = epoll_ctl ep mod a exclusive\n"
        "    r = epoll_ctl ep del a\n}\n");
    int p = task_id(tl, "p");
    int64_t r[5];
    assert_int_equal(sys_rets(tl, p, SYS_EPOLL_CTL, r, 5), 5);
    assert_int_equal(r[0], -22);
    assert_int_equal(r[1], 0);
    assert_int_equal(r[2], -22); /* an exclusive item cannot be modified */
    assert_int_equal(r[3], -22);
    assert_int_equal(r[4], 0);
    tl_free(tl);
}

/* Three processes, each with its own epoll instance on one listening
 * socket; one connection.  Without EPOLLEXCLUSIVE all three wake (the
 * thundering herd: the one back on its CPU at once accepts, the two that
 * need a context switch find nothing and sleep again); with it, one. */
static const char *herd_text =
    "machine {\n    cpus 4\n}\n"
    "process server {\n    s = socket\n    listen s 80\n    fcntl s O_NONBLOCK\n"
    "    repeat 3 {\n        pid = fork {\n            ep = epoll_create\n"
    "            epoll_ctl ep add s%s\n            n = epoll_wait ep\n"
    "            c = accept s\n        }\n    }\n    sleep 10ms\n}\n"
    "peer client at 1ms {\n    c = connect 80\n    sleep 5ms\n}\n";

static int herd_woken(const char *events, int *eagain)
{
    char text[1024];
    snprintf(text, sizeof text, herd_text, events);
    struct tl *tl = run_text(text);
    int woken = 0, last[16] = {0}, server = task_id(tl, "server");
    *eagain = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_STATE && e->task < 16) { /* blocked, then ready */
            woken += e->sub == TS_READY && last[e->task] == TS_BLOCKED &&
                     e->t >= 1000000 && e->task != server;
            last[e->task] = e->sub;
        }
        if (e->type == EV_SYSCALL && e->sub == SYS_ACCEPT && e->a == -11)
            ++*eagain;
    }
    tl_free(tl);
    return woken;
}

static void test_epoll_exclusive_wakes_one(void **state)
{
    (void)state;
    int eagain;
    assert_int_equal(herd_woken("", &eagain), 3);
    assert_int_equal(eagain, 0);
    assert_int_equal(herd_woken(" exclusive", &eagain), 1);
    assert_int_equal(eagain, 0);
}

/* One epoll instance shared by three forked children: its waiters are
 * exclusive, so an edge-triggered arrival wakes one of them (the last to
 * sleep); level-triggered, the item put back wakes the next (ep_done_scan).
 * That one slept owed CPU time, so under EEVDF it preempts the first on
 * its way back from epoll_wait, sees the listener still readable and
 * takes the connection: both return 1, one accept() gets EAGAIN, and the
 * second's put-back wakes the third, which finds nothing: the
 * level-triggered herd. */
static void test_epoll_shared_instance(void **state)
{
    (void)state;
    static const char *text =
        "process server {\n    s = socket\n    listen s 80\n    fcntl s O_NONBLOCK\n"
        "    ep = epoll_create\n    epoll_ctl ep add s%s\n"
        "    repeat 3 {\n        pid = fork {\n            n = epoll_wait ep\n"
        "            c = accept s\n        }\n    }\n    sleep 10ms\n}\n"
        "peer client at 1ms {\n    c = connect 80\n    sleep 5ms\n}\n";
    for (int lt = 0; lt < 2; lt++) {
        char buf[1024];
        snprintf(buf, sizeof buf, text, lt ? "" : " et");
        struct tl *tl = run_text(buf);
        int returned = 0, woken = 0, first = -1, last[16] = {0};
        for (size_t i = 0; i < tl->nev; i++) {
            const struct tl_ev *e = &tl->ev[i];
            if (e->type == EV_SYSCALL && e->sub == SYS_EPOLL_WAIT && e->a == 1) {
                returned++;
                first = first < 0 ? e->task : first;
            }
            if (e->type != EV_STATE || e->task >= 16)
                continue;
            /* a wake-up: blocked to ready (a preempted task is ready too) */
            if (e->sub == TS_READY && last[e->task] == TS_BLOCKED &&
                e->t > 1000000 && e->task != task_id(tl, "server"))
                woken++;
            last[e->task] = e->sub;
        }
        assert_int_equal(returned, lt ? 2 : 1);
        assert_int_equal(first, task_id(tl, "server.3")); /* LIFO */
        assert_int_equal(woken, lt ? 3 : 1);
        tl_free(tl);
    }
}

/* maxevents 2 with three ready fds: two now, the third on the next call */
static void test_epoll_maxevents(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    a, b = socketpair\n    c, d = socketpair\n"
        "    e, f = socketpair\n    ep = epoll_create\n"
        "    epoll_ctl ep add a et\n    epoll_ctl ep add c et\n"
        "    epoll_ctl ep add e et\n    write b 1\n    write d 1\n"
        "    write f 1\n    n = epoll_wait ep 2\n    n = epoll_wait ep 2\n"
        "    n = epoll_wait ep 0\n}\n");
    int p = task_id(tl, "p");
    int64_t n[3];
    assert_int_equal(sys_rets(tl, p, SYS_EPOLL_WAIT, n, 3), 3);
    assert_int_equal(n[0], 2);
    assert_int_equal(n[1], 1);
    assert_int_equal(n[2], -22); /* EINVAL: maxevents must be > 0 */
    tl_free(tl);
}

/* Items are keyed by (file, fd): closing fd 3 while a child keeps the
 * socket open leaves the item, which still reports fd 3; a new socket at
 * fd 3 can be added beside it */
static void test_epoll_file_fd_key(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    a, b = socketpair\n    ep = epoll_create\n"
        "    epoll_ctl ep add a\n    pid = fork {\n        sleep 10ms\n    }\n"
        "    close a\n    x, y = socketpair\n    r = epoll_ctl ep add x\n"
        "    write b 1\n    n = epoll_wait ep\n    for fd in ready {\n"
        "        say \"ready\"\n    }\n    wait\n}\n");
    int p = task_id(tl, "p");
    int64_t r[3], n[1];
    assert_int_equal(sys_rets(tl, p, SYS_EPOLL_CTL, r, 3), 2);
    assert_int_equal(r[0], 0);
    assert_int_equal(r[1], 0); /* (x, 3) is a new key */
    assert_int_equal(sys_rets(tl, p, SYS_EPOLL_WAIT, n, 1), 1);
    assert_int_equal(n[0], 1); /* the old socket's data, under fd 3 */
    int q = -1, items = 0;
    for (int i = 0; i < tl->nqueues; i++)
        if (strstr(tl->queues[i].name, "interest"))
            q = i;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_QUEUE && tl->ev[i].obj == q &&
            tl->ev[i].sub == TQ_PUSH)
            items++;
    assert_int_equal(items, 2);
    tl_free(tl);
}

/* Closing the last fd of a socket takes it off the interest list */
static void test_epoll_close_removes(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    a, b = socketpair\n    ep = epoll_create\n"
        "    epoll_ctl ep add a\n    close a\n    r = epoll_ctl ep del a\n}\n");
    int p = task_id(tl, "p");
    int64_t r[2];
    assert_int_equal(sys_rets(tl, p, SYS_EPOLL_CTL, r, 2), 2);
    assert_int_equal(r[0], 0);
    assert_int_equal(r[1], -9); /* EBADF: a is closed */
    int q = -1;
    for (int i = 0; i < tl->nqueues; i++)
        if (strstr(tl->queues[i].name, "interest"))
            q = i;
    assert_true(q >= 0);
    int pushes = 0, removes = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_QUEUE && tl->ev[i].obj == q)
            tl->ev[i].sub == TQ_PUSH ? pushes++ : removes++;
    assert_int_equal(pushes, 1);
    assert_int_equal(removes, 1);
    tl_free(tl);
}

/* ---- select ------------------------------------------------------------ */

/* FD_SET on fd 1024: glibc's fortify check aborts the process */
static void test_select_fd_setsize(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    setrlimit RLIMIT_NOFILE 2048\n"
        "    repeat 511 {\n        r, w = pipe\n    }\n"
        "    watch r\n    watch w\n    n = select\n    exit 0\n}\n");
    int p = task_id(tl, "p");
    int sig = 0, code = -1, selects = 0, caption = 0, k = 0;
    /* glibc 2.36's __chk_fail, as strace shows it: the message, then
     * abort(): unblock SIGABRT, raise() it with tgkill */
    static const int seq[] = {SYS_WRITEV, SYS_MMAP, SYS_RT_SIGPROCMASK,
                              SYS_GETTID, SYS_GETPID, SYS_TGKILL};
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != p)
            continue;
        if (e->type == EV_SYSCALL && e->sub >= SYS_WRITEV) {
            assert_true(k < 6);
            assert_int_equal(e->sub, seq[k]);
            assert_int_equal(sig, 0); /* all before the signal */
            if (e->sub == SYS_WRITEV)
                assert_int_equal(e->a, 62);
            if (e->sub == SYS_TGKILL)
                assert_int_equal(TL_TGKILL_SIG(tl->ev[i - 1].a), 6);
            k++;
        }
        if (e->type == EV_SIGNAL)
            sig = (int)e->a;
        if (e->type == EV_STATE && e->sub == TS_EXITED)
            code = (int)e->a;
        if (e->type == EV_SYS_ENTER && e->sub == SYS_SELECT)
            selects++;
        if (e->type == EV_CAPTION &&
            strstr(tl->strs[e->a], "bit out of range 0 - FD_SETSIZE on fd_set"))
            caption = 1;
    }
    assert_int_equal(sig, 6);      /* SIGABRT */
    assert_int_equal(code, 134);   /* 128 + SIGABRT */
    assert_int_equal(selects, 0);  /* it dies before the syscall */
    assert_int_equal(k, 6);
    assert_true(caption);
    tl_free(tl);
}

/* Without _FORTIFY_SOURCE nothing checks: the bit lands past the set and
 * the kernel, given nfds = fd + 1, watches the fd */
static void test_select_fd_setsize_unchecked(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    fortify 0\n}\n"
        "process p {\n    setrlimit RLIMIT_NOFILE 2048\n"
        "    repeat 511 {\n        r, w = pipe\n    }\n    watch r\n"
        "    t = thread {\n        sleep 1ms\n        n = write w 1\n    }\n"
        "    n = select\n    join t\n}\n");
    int p = task_id(tl, "p");
    int64_t n[1];
    assert_int_equal(sys_rets(tl, p, SYS_SELECT, n, 1), 1);
    assert_int_equal(n[0], 1);
    int sig = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SIGNAL)
            sig = 1;
    assert_int_equal(sig, 0);
    tl_free(tl);
}

/* pselect6 as strace shows it: the set passed and, on return, the set
 * left: pselect6(5, [3 4], NULL, NULL, NULL, NULL) = 1 (in [4]) */
static void test_select_sets_text(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    a, b = pipe\n    watch a\n    c, d = pipe\n"
        "    watch c\n    t = thread {\n        sleep 1ms\n"
        "        n = write d 1\n    }\n    n = select\n    join t\n}\n");
    int p = task_id(tl, "p");
    char enter[512] = "", ret[512] = "";
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == p && e->sub == SYS_SELECT && e->type == EV_SYS_ENTER)
            tl_ev_text(enter, sizeof enter, tl, (long)i);
        if (e->task == p && e->sub == SYS_SELECT && e->type == EV_SYSCALL)
            tl_ev_text(ret, sizeof ret, tl, (long)i);
    }
    assert_non_null(strstr(enter, "pselect6(6, [3 5], NULL, NULL, NULL, NULL)"));
    assert_non_null(strstr(ret, "= 1 (in [5])"));
    char *buf = timeline_text(tl, 1, NULL);
    assert_non_null(strstr(buf, "\"sets\":\"[3 5], NULL\""));
    assert_non_null(strstr(buf, "\"ready\":\"in [5]\""));
    free(buf);
    tl_free(tl);
}

/* poll and epoll_wait as strace shows them (measured with a C program
 * under strace 6.1 on Linux 6.x): the pollfd array and the revents it
 * set, epoll_wait's events at its return, and the bits a pipe whose
 * writer closed, a socketpair whose peer closed and a closed fd report */
static void test_poll_epoll_arrays_text(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    r, w = pipe\n    write w 10\n    close w\n"
        "    n = poll r\n    x = read r 100\n    n = poll r\n"
        "    a, b = socketpair\n    close b\n    watch a in out\n    n = poll\n"
        "    e = epoll_create\n    epoll_ctl e add r\n    epoll_ctl e add a\n"
        "    n = epoll_wait e\n    n = poll 99\n    q = epoll_create\n"
        "    n = epoll_wait q 64 0ms\n    c, d = pipe\n"
        "    t = thread {\n        sleep 1ms\n        n = write d 1\n    }\n"
        "    epoll_ctl q add c\n    n = epoll_wait q\n    join t\n}\n");
    char *d = timeline_text(tl, 0, NULL);
    assert_non_null(strstr(d, "poll([{fd=3, events=POLLIN}], 1, -1) = 1 "
                              "([{fd=3, revents=POLLIN|POLLHUP}])"));
    assert_non_null(strstr(d, "poll([{fd=3, events=POLLIN}], 1, -1) = 1 "
                              "([{fd=3, revents=POLLHUP}])"));
    assert_non_null(strstr(d, "poll([{fd=4, events=POLLIN|POLLOUT}], 1, -1) = 1 "
                              "([{fd=4, revents=POLLIN|POLLOUT|POLLHUP}])"));
    assert_non_null(strstr(d, "epoll_wait(5, [{events=EPOLLHUP, data={u32=3, "
                              "u64=3}}, {events=EPOLLIN|EPOLLHUP, data={u32=4, "
                              "u64=4}}], 64, -1) = 2"));
    assert_non_null(strstr(d, "([{fd=99, revents=POLLNVAL}])"));
    assert_non_null(strstr(d, "epoll_wait(6, [], 64, 0) = 0"));
    /* a call that sleeps: its events are written when it returns */
    assert_non_null(strstr(d, "epoll_wait(6, <unfinished ...>"));
    assert_non_null(strstr(d, "<... epoll_wait resumed>[{events=EPOLLIN, "
                              "data={u32=7, u64=7}}], 64, -1) = 1"));
    assert_null(strstr(d, "[...]"));
    free(d);
    char *buf = timeline_text(tl, 1, NULL);
    assert_non_null(strstr(buf, "\"fds\":\"[{fd=3, events=POLLIN}]\""));
    assert_non_null(strstr(buf, "\"fd\":6,\"ret\":1,\"ready\":\"[{events=EPOLLIN, "
                                "data={u32=7, u64=7}}]\""));
    free(buf);
    tl_free(tl);
}

/* One connection to a listening socket with a task asleep in accept() and
 * an EPOLLEXCLUSIVE item whose epoll instance has a task in epoll_wait():
 * both are exclusive entries of the socket's wait queue, and the wake-up
 * stops at the first one queued (a C program on Linux 6.x: the item added
 * before the acceptor slept wins, and the acceptor is never woken; added
 * after, the acceptor wins and epoll_wait() times out) */
/* epoll_create1(0), as a C program makes it; cloexec: EPOLL_CLOEXEC, as
 * CPython's select.epoll() always passes (checked under strace) */
static void test_epoll_create_cloexec(void **state)
{
    (void)state;
    struct tl *tl = run_text("process p {\n    a = epoll_create\n"
                             "    b = epoll_create cloexec\n}\n");
    char *d = timeline_text(tl, 0, NULL);
    assert_non_null(strstr(d, "epoll_create1(0) = 3"));
    assert_non_null(strstr(d, "epoll_create1(EPOLL_CLOEXEC) = 4"));
    free(d);
    tl_free(tl);
}

static struct tl *accept_vs_exclusive(int epoll_first)
{
    char text[1024];
    snprintf(text, sizeof text,
             "process srv {\n    s = socket\n    listen s 8080\n"
             "    pid = fork {\n        sleep %s\n        ep = epoll_create\n"
             "        epoll_ctl ep add s exclusive\n"
             "        n = epoll_wait ep 4 5ms\n        exit\n    }\n"
             "    pid = fork {\n        sleep %s\n        c = accept s\n"
             "        exit\n    }\n    wait\n    wait\n}\n"
             "peer client at 1ms {\n    c = connect 8080\n    sleep 8ms\n"
             "    close c\n}\n",
             epoll_first ? "10us" : "200us", epoll_first ? "200us" : "10us");
    return run_text(text);
}

static void test_accept_competes_with_exclusive(void **state)
{
    (void)state;
    for (int epoll_first = 0; epoll_first < 2; epoll_first++) {
        struct tl *tl = accept_vs_exclusive(epoll_first);
        int ew = task_id(tl, "srv.1"), ac = task_id(tl, "srv.2");
        int64_t n[2] = {-99, -99}, c[2] = {-99, -99};
        assert_int_equal(sys_rets(tl, ew, SYS_EPOLL_WAIT, n, 2), 1);
        int nc = sys_rets(tl, ac, SYS_ACCEPT, c, 2);
        if (epoll_first) { /* the item is first: one wake-up, for epoll */
            assert_int_equal(n[0], 1);
            assert_int_equal(nc, 0); /* still asleep in accept */
        } else { /* the acceptor is first: epoll_wait times out */
            assert_int_equal(nc, 1);
            assert_true(c[0] >= 0);
            assert_int_equal(n[0], 0);
        }
        tl_free(tl);
    }
}

/* Without EPOLLEXCLUSIVE every item's callback runs, the newest first
 * (add_wait_queue puts an entry at the head of the socket's queue): the
 * worker that added its item last is the first woken, and back on the CPU
 * it just left it wins the accept (as three forked workers do on Linux
 * 6.x: the last to sleep wins; the others mostly find nothing and sleep
 * again, now and then one gets EAGAIN) */
static void test_herd_newest_first(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/herd.scn");
    int64_t c[2];
    assert_int_equal(sys_rets(tl, task_id(tl, "herd.3"), SYS_ACCEPT, c, 2), 1);
    assert_true(c[0] >= 0);
    /* the others run a moment later, on the other CPU: the socket is no
     * longer readable, and they sleep again inside epoll_wait */
    assert_int_equal(sys_rets(tl, task_id(tl, "herd.2"), SYS_ACCEPT, c, 2), 0);
    assert_int_equal(sys_rets(tl, task_id(tl, "herd.1"), SYS_ACCEPT, c, 2), 0);
    int64_t n[2];
    assert_int_equal(sys_rets(tl, task_id(tl, "herd.2"), SYS_EPOLL_WAIT, n, 2), 0);
    /* a call found by its duration, however many events came between:
     * every epoll_wait that returned says what it returned */
    char *d = timeline_text(tl, 0, NULL);
    assert_null(strstr(d, "<... epoll_wait resumed> = "));
    assert_non_null(strstr(d, "herd.3      <... epoll_wait resumed>[{events=EPOLLIN"));
    free(d);
    tl_free(tl);
}

/* strace prints 32 entries of an array, then "..." */
static void test_fdev_text_limit(void **state)
{
    (void)state;
    int32_t fd[40];
    uint32_t ev[40];
    for (int i = 0; i < 40; i++) {
        fd[i] = 3 + i;
        ev[i] = 0x4; /* POLLOUT */
    }
    char b[TL_TEXT_MAX];
    tl_fdev_text(b, sizeof b, TL_FDEV_POLLFD, fd, ev, 40, 40);
    assert_non_null(strstr(b, "{fd=34, events=POLLOUT}, ...]"));
    assert_null(strstr(b, "fd=35"));
    tl_fdev_text(b, sizeof b, TL_FDEV_REVENTS, fd, ev, 2, 2);
    assert_string_equal(b, "[{fd=3, revents=POLLOUT}, {fd=4, revents=POLLOUT}]");
    fd[0] = -1;
    tl_fdev_text(b, sizeof b, TL_FDEV_POLLFD, fd, ev, 1, 3); /* kept 1 of 3 */
    assert_string_equal(b, "[{fd=-1}, ...]");
    tl_fdev_text(b, sizeof b, TL_FDEV_EPOLL, fd + 1, ev, 1, 1);
    assert_string_equal(b, "[{events=EPOLLOUT, data={u32=4, u64=4}}]");
    char small[40];
    tl_fdev_text(small, sizeof small, TL_FDEV_POLLFD, fd + 1, ev, 3, 3);
    assert_string_equal(small, "[{fd=4, events=POLLOUT}, ...]");
}

/* The poll and epoll arrays as snprintf wrote them (before the builder
 * did): the texts must be the same, cut at the same place */
static void ref_bits(char *buf, size_t len, unsigned bits, int epoll)
{
    static const struct { unsigned bit; const char *name; } b[] = {
        {0x1, "IN"}, {0x2, "PRI"}, {0x4, "OUT"}, {0x8, "ERR"}, {0x10, "HUP"},
        {0x20, "NVAL"}, {0x40, "RDNORM"}, {0x80, "RDBAND"}, {0x100, "WRNORM"},
        {0x200, "WRBAND"}, {0x400, "MSG"}, {0x2000, "RDHUP"},
        {1u << 28, "EXCLUSIVE"}, {1u << 29, "WAKEUP"}, {1u << 30, "ONESHOT"},
        {1u << 31, "ET"}};
    size_t n = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < sizeof b / sizeof *b && n < len; i++) {
        if (!(bits & b[i].bit) || (!epoll && b[i].bit > 0x2000))
            continue;
        bits &= ~b[i].bit;
        int w = snprintf(buf + n, len - n, "%s%s%s", n ? "|" : "",
                         epoll ? "EPOLL" : "POLL", b[i].name);
        n += w > 0 ? (size_t)w : 0;
    }
    if (bits && n < len)
        snprintf(buf + n, len - n, "%s%#x", n ? "|" : "", bits);
    else if (!n && len)
        snprintf(buf, len, "0");
}

static void ref_fdev(char *buf, size_t len, int kind, const int32_t *fd,
                     const uint32_t *ev, int n, int64_t total)
{
    if (len < 16) {
        if (len)
            buf[0] = 0;
        return;
    }
    int shown = n < TL_FDEV_SHOWN ? n : TL_FDEV_SHOWN, i;
    size_t k = 1, room = len - 7;
    buf[0] = '[';
    buf[1] = 0;
    for (i = 0; i < shown; i++) {
        char bits[160], one[256];
        ref_bits(bits, sizeof bits, ev[i], kind == TL_FDEV_EPOLL);
        const char *sep = i ? ", " : "";
        if (kind == TL_FDEV_EPOLL)
            snprintf(one, sizeof one, "%s{events=%s, data={u32=%u, u64=%u}}",
                     sep, bits, (unsigned)fd[i], (unsigned)fd[i]);
        else if (fd[i] < 0)
            snprintf(one, sizeof one, "%s{fd=%d}", sep, (int)fd[i]);
        else
            snprintf(one, sizeof one, "%s{fd=%d, %s=%s}", sep, (int)fd[i],
                     kind == TL_FDEV_REVENTS ? "revents" : "events", bits);
        size_t w = strlen(one);
        if (k + w > room)
            break;
        memcpy(buf + k, one, w + 1);
        k += w;
    }
    if (i < n || total > i)
        snprintf(buf + k, len - k, "%s...]", i ? ", " : "");
    else
        snprintf(buf + k, len - k, "]");
}

static void test_fdev_text_as_snprintf(void **state)
{
    (void)state;
    uint64_t r = 42;
    int32_t fd[40];
    uint32_t ev[40];
    for (int round = 0; round < 3000; round++) {
        for (int i = 0; i < 40; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            fd[i] = (int32_t)(r >> 33) % 70000 - (round % 7 == 0 ? 3 : 0);
            /* a few bits, or all of them, or unnamed ones */
            unsigned bits = (unsigned)(r >> 7);
            ev[i] = round % 3 == 0 ? bits : round % 3 == 1 ? bits & 0x2015 : 0;
        }
        size_t len = (size_t)(round % 331);
        int n = round % 41, kind = round % 3;
        int64_t total = n + (round % 5 == 0);
        char a[400], b[400];
        memset(a, 'x', sizeof a);
        memset(b, 'x', sizeof b);
        tl_poll_bits_text(a, len, ev[0], kind == TL_FDEV_EPOLL);
        ref_bits(b, len, ev[0], kind == TL_FDEV_EPOLL);
        assert_memory_equal(a, b, sizeof a);
        tl_fdev_text(a, len, kind, fd, ev, n, total);
        ref_fdev(b, len, kind, fd, ev, n, total);
        assert_memory_equal(a, b, sizeof a);
    }
}

/* Below the limit select works, and reports ready fds in fd order */
static void test_select_ready_sorted(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    a, b = pipe\n    c, d = pipe\n    watch c\n    watch a\n"
        "    write d 5\n    write b 5\n    n = select\n    for fd in ready {\n"
        "        m = read fd 10\n    }\n}\n");
    int p = task_id(tl, "p");
    int64_t n[1];
    assert_int_equal(sys_rets(tl, p, SYS_SELECT, n, 1), 1);
    assert_int_equal(n[0], 2);
    int fds[2], k = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].task == p && tl->ev[i].type == EV_SYS_ENTER &&
            tl->ev[i].sub == SYS_READ)
            fds[k++] = tl->ev[i].obj;
    assert_int_equal(k, 2);
    assert_int_equal(fds[0], 3);
    assert_int_equal(fds[1], 5);
    tl_free(tl);
}

/* The time of task's first event of type after index from; -1 if none */
static int64_t next_time(const struct tl *tl, int task, size_t from, int type)
{
    for (size_t i = from + 1; i < tl->nev; i++)
        if (tl->ev[i].task == task && tl->ev[i].type == type)
            return tl->ev[i].t;
    return -1;
}

/*
 * What one call costs besides the scan: the argument copied in and back
 * (charged in the syscall, not counted as scanning) and the program's own
 * pass over the set in user space before its next statement.  200 watched
 * fds, 3 to 202, with data already waiting: the call returns at once.
 */
static void charge_check(const char *op, int64_t sys_ns, int64_t scan_ns,
                         int64_t user_ns, int64_t copy_in, int64_t copy_out)
{
    char text[512];
    snprintf(text, sizeof text,
             "process p {\n    a, b = pipe\n    watch a\n    watch b\n"
             "    repeat 99 {\n        r, w = pipe\n        watch r\n        watch w\n"
             "    }\n    write b 10\n    n = %s\n    m = read a 10\n}\n", op);
    struct tl *tl = run_text(text);
    int p = task_id(tl, "p"), sys = strcmp(op, "poll") ? SYS_SELECT : SYS_POLL;
    size_t at = 0;
    int found = 0;
    int64_t in = 0, out = 0, in_ns = 0, out_ns = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == p && e->type == EV_ARGCOPY && e->obj == sys) {
            assert_true(!found); /* in the call, before it returns */
            *(e->sub == TC_TO_KERNEL ? &in : &out) += e->a;
            *(e->sub == TC_TO_KERNEL ? &in_ns : &out_ns) += e->b;
        }
        if (e->task == p && e->type == EV_SCAN && e->sub == sys)
            assert_int_equal(e->b, scan_ns); /* the scan alone */
        if (e->task == p && e->type == EV_SYSCALL && e->sub == sys) {
            assert_int_equal(e->a, 1);
            assert_int_equal(e->b, sys_ns);
            at = i;
            found = 1;
        }
    }
    assert_true(found);
    assert_int_equal(in, copy_in);
    assert_int_equal(out, copy_out);
    assert_int_equal(sys_ns, 100 + in_ns + scan_ns + out_ns);
    /* the FD_ISSET / revents pass: CPU time before the read is entered */
    assert_int_equal(next_time(tl, p, at, EV_SYS_ENTER) - tl->ev[at].t, user_ns);
    struct tl_stats st;
    assert_int_equal(tl_stats(tl, &st), 0);
    assert_int_equal(st.kernel_scan_ns, scan_ns);
    tl_free(tl);
}

static void test_scan_copies_and_user_pass(void **state)
{
    (void)state;
    /* select: nfds 203; the fd_set is 4 longs = 32 bytes, 4 ns each way
     * at copy_per_kb 100ns; scan 550 + 4 words * 2 + 200 pipes * 27;
     * FD_ISSET 2 ns a bit */
    charge_check("select", 100 + 4 + (550 + 4 * 2 + 200 * 27) + 4,
                 550 + 4 * 2 + 200 * 27, 203 * 2, 32, 32);
    /* poll: 200 entries; 1600 bytes in (157 ns), 400 bytes of revents
     * out (40 ns); scan 100 + 200 pipes * 27; revents test 0.5 ns an
     * entry */
    charge_check("poll", 100 + 157 + (100 + 200 * 27) + 40, 100 + 200 * 27,
                 100, 1600, 400);
}

/* ---- cost: poll grows with fds, epoll does not ---------------------------- */

/* Scan duration of the one blocking wait in a process with nfds watched */
static int64_t wait_scan_ns(const char *op, int pairs)
{
    char text[1024];
    int ep = !strcmp(op, "epoll");
    snprintf(text, sizeof text,
             "process p {\n    setrlimit RLIMIT_NOFILE 20000\n"
             "%s    repeat %d {\n        r, w = pipe\n%s    }\n"
             "    t = thread {\n        sleep 1ms\n        n = write w 8\n    }\n"
             "    %s\n    join t\n}\n",
             ep ? "    ep = epoll_create\n" : "", pairs,
             ep ? "        epoll_ctl ep add r\n        epoll_ctl ep add w\n"
                : "        watch r\n        watch w\n",
             ep ? "n = epoll_wait ep" : "n = poll");
    struct tl *tl = run_text(text);
    int64_t ns = -1;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SCAN)
            ns = tl->ev[i].b; /* the last scan: the one that found the fd */
    tl_free(tl);
    return ns;
}

static void test_scan_cost(void **state)
{
    (void)state;
    int64_t p10 = wait_scan_ns("poll", 5), p10k = wait_scan_ns("poll", 5000);
    int64_t e10 = wait_scan_ns("epoll", 5), e10k = wait_scan_ns("epoll", 5000);
    double ratio = (double)p10k / (double)p10;
    print_message("poll: %lld ns at 10 fds, %lld ns at 10000 (x%.0f); "
                  "epoll: %lld, %lld\n", (long long)p10, (long long)p10k, ratio,
                  (long long)e10, (long long)e10k);
    assert_true(ratio > 500 && ratio < 3000); /* about 1,000 times */
    assert_true(e10 > 0);
    assert_int_equal(e10, e10k); /* flat: one ready event either way */
}

/* ---- servers and --compare ---------------------------------------------- */

static const char *web_text =
    "machine {\n    limit 300ms\n}\n"
    "server web {\n    port 80\n    work 100us\n    reply 512\n}\n"
    "peer client count 8 every 300us at 1ms {\n    c = connect 80\n"
    "    repeat 3 {\n        send c 100\n        n = recv c 4K\n        sleep 1ms\n"
    "    }\n    close c\n}\n";

/* What the server's tasks (not the peers) did: syscalls of kind sys,
 * those that returned EAGAIN, and SIGIO handler runs */
static void server_counts(const struct tl *tl, int sys, long *calls,
                          long *eagain, long *handled)
{
    *calls = *eagain = *handled = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == TL_NOTASK || tl->tasks[e->task].kind == TK_PEER)
            continue;
        if (e->type == EV_SYSCALL && e->sub == sys) {
            (*calls)++;
            *eagain += e->a == -11;
        }
        if (e->type == EV_SIGNAL && e->sub == 1 && e->a == TL_SIGIO)
            (*handled)++;
    }
}

/* The new models work the way their names say */
static void model_shape(const struct tl *tl, const char *model)
{
    long n, again, sig;
    if (!strcmp(model, "epoll-et")) {
        /* every wake-up drains: reads end with EAGAIN */
        server_counts(tl, SYS_READ, &n, &again, &sig);
        assert_true(again >= 8);
        server_counts(tl, SYS_EPOLL_WAIT, &n, &again, &sig);
        assert_true(n > 0);
    } else if (!strcmp(model, "sigio")) {
        server_counts(tl, SYS_READ, &n, &again, &sig);
        assert_true(sig > 0 && again >= sig); /* each run reads to EAGAIN */
        server_counts(tl, SYS_PAUSE, &n, &again, &sig);
        assert_true(n > 0);
        server_counts(tl, SYS_EPOLL_WAIT, &n, &again, &sig);
        assert_int_equal(n, 0);
    } else if (!strcmp(model, "io_uring")) {
        /* no read() or recv(): the kernel completes the requests */
        server_counts(tl, SYS_READ, &n, &again, &sig);
        assert_int_equal(n, 0);
        server_counts(tl, SYS_RECVFROM, &n, &again, &sig);
        assert_int_equal(n, 0);
        server_counts(tl, SYS_IO_URING_ENTER, &n, &again, &sig);
        assert_true(n >= 24);
    }
}

/* Every model serves the same workload completely */
static void test_server_models(void **state)
{
    (void)state;
    static const char *const models[] = {
#define X(id, n, h) n,
        SERVER_MODELS(X)
#undef X
    };
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        struct tl *tl = run_model(web_text, models[i]);
        struct tl_stats st;
        assert_int_equal(tl_stats(tl, &st), 0);
        if (st.requests != 24)
            fail_msg("%s served %ld requests, not 24", models[i], st.requests);
        assert_string_equal(tl->model, models[i]);
        assert_true(tl->nscripts >= 2); /* the file and the generated loop */
        int w = task_id(tl, "web"), sc = tl->tasks[w].script;
        assert_true(sc >= 1 && sc < tl->nscripts);
        assert_non_null(strstr(tl->scripts[sc].title, models[i]));
        model_shape(tl, models[i]);
        tl_free(tl);
    }
    struct prog *p = scn_parse_model("t.scn", web_text, strlen(web_text), "kqueue",
                                     err, sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "known models are blocking"));
    const char *no_server = "process p {\n    exit\n}\n";
    p = scn_parse_model("t.scn", no_server, strlen(no_server), "epoll", err,
                        sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "needs a server"));
}

/* web.scn under the compared models: same requests; epoll scans least */
static void test_compare_web(void **state)
{
    (void)state;
    const char *path = access("scenarios/web.scn", R_OK) == 0
                       ? "scenarios/web.scn" : "../scenarios/web.scn";
    static const char *const models[] = {"blocking", "select", "poll", "epoll"};
    struct tl_stats st[4];
    for (int i = 0; i < 4; i++) {
        struct prog *p = scn_load_model(path, models[i], err, sizeof err);
        if (!p)
            fail_msg("%s", err);
        struct tl *tl = sim_run(p, NULL, err, sizeof err);
        prog_free(p);
        assert_non_null(tl);
        assert_int_equal(tl_stats(tl, &st[i]), 0);
        tl_free(tl);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(st[i].requests, 100);
    assert_int_equal(st[0].kernel_scan_ns, 0);
    assert_true(st[3].kernel_scan_ns < st[2].kernel_scan_ns);
    assert_true(st[2].kernel_scan_ns < st[1].kernel_scan_ns);
    /* the iterative server makes clients wait for each other */
    assert_true(st[0].latency_p99_ns > 10 * st[3].latency_p99_ns);

    /* and the command prints the same numbers side by side */
    const char *b = getenv("B") ? getenv("B") : "build";
    char cmd[1024], line[512];
    snprintf(cmd, sizeof cmd, "%s/iosim", b);
    if (access(cmd, X_OK) != 0)
        return; /* the library alone is being tested */
    snprintf(cmd, sizeof cmd, "%s/iosim --compare blocking,select,poll,epoll,"
             "epoll-et,sigio,io_uring %s", b, path);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    int header = 0, served = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "blocking") && strstr(line, "io_uring"))
            header = 1;
        if (strncmp(line, "requests served", 15))
            continue;
        char *p = line + 15, *end;
        for (long v; (v = strtol(p, &end, 10)) == 100 && end != p; p = end)
            served++; /* one column per model, each 100 */
    }
    assert_int_equal(pclose(f), 0);
    assert_true(header);
    assert_int_equal(served, 7);
}

/* ---- buffers through sockets with a peer ---------------------------------- */

/* Two sends from a peer before one read come back as one read (粘包) */
static void test_socket_sticky(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process server {\n    s = socket\n    listen s 80\n    c = accept s\n"
        "    sleep 5ms\n    n = read c 4K\n    m = read c 4K\n}\n"
        "peer client at 1ms {\n    c = connect 80\n    send c 100\n    send c 150\n"
        "    sleep 1ms\n    close c\n}\n");
    int srv = task_id(tl, "server");
    int64_t r[2];
    assert_int_equal(sys_rets(tl, srv, SYS_READ, r, 2), 2);
    assert_int_equal(r[0], 250); /* one read, both messages */
    assert_int_equal(r[1], 0);   /* then end of file */
    tl_free(tl);
}

/* A full receive buffer stops a peer's blocking send, and a non-blocking
 * one gets EAGAIN after a short write */
static void test_socket_backpressure(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    rcvbuf 4K\n    sndbuf 4K\n}\n"
        "process server {\n    s = socket\n    listen s 80\n    c = accept s\n"
        "    d = accept s\n    sleep 20ms\n    repeat 4 {\n        n = read c 4K\n"
        "    }\n    sleep 100ms\n}\n"
        "peer blocking at 1ms {\n    c = connect 80\n    n = send c 12K\n}\n"
        "peer nonblocking at 1ms {\n    sleep 100us\n    c = connect 80\n"
        "    fcntl c O_NONBLOCK\n    n = send c 12K\n    m = send c 1K\n}\n");
    int bl = task_id(tl, "blocking"), nb = task_id(tl, "nonblocking");
    int64_t r[2], t_done = 0;
    int blocked = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == bl && e->type == EV_STATE && e->sub == TS_BLOCKED &&
            e->a == TW_SPACE)
            blocked++;
        if (e->task == bl && e->type == EV_SYSCALL && e->sub == SYS_SENDTO) {
            assert_int_equal(e->a, 12 * 1024);
            t_done = e->t;
        }
    }
    assert_true(blocked >= 1);
    assert_true(t_done >= 20000000); /* only once the server read */
    assert_int_equal(sys_rets(tl, nb, SYS_SENDTO, r, 2), 2);
    assert_int_equal(r[0], 4096); /* what the send buffer took */
    assert_int_equal(r[1], -11);  /* EAGAIN: full */
    tl_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoll_exact_ready),
        cmocka_unit_test(test_epoll_et_stall),
        cmocka_unit_test(test_epoll_lt_reports_again),
        cmocka_unit_test(test_epoll_close_removes),
        cmocka_unit_test(test_epoll_oneshot),
        cmocka_unit_test(test_epoll_exclusive_einval),
        cmocka_unit_test(test_epoll_exclusive_wakes_one),
        cmocka_unit_test(test_epoll_shared_instance),
        cmocka_unit_test(test_epoll_maxevents),
        cmocka_unit_test(test_epoll_file_fd_key),
        cmocka_unit_test(test_select_fd_setsize),
        cmocka_unit_test(test_select_fd_setsize_unchecked),
        cmocka_unit_test(test_select_sets_text),
        cmocka_unit_test(test_select_ready_sorted),
        cmocka_unit_test(test_scan_cost),
        cmocka_unit_test(test_scan_copies_and_user_pass),
        cmocka_unit_test(test_server_models),
        cmocka_unit_test(test_compare_web),
        cmocka_unit_test(test_poll_epoll_arrays_text),
        cmocka_unit_test(test_epoll_create_cloexec),
        cmocka_unit_test(test_fdev_text_limit),
        cmocka_unit_test(test_fdev_text_as_snprintf),
        cmocka_unit_test(test_accept_competes_with_exclusive),
        cmocka_unit_test(test_herd_newest_first),
        cmocka_unit_test(test_socket_sticky),
        cmocka_unit_test(test_socket_backpressure),
    };
    return cmocka_run_group_tests_name("mux", tests, NULL, NULL);
}
