/*
 * test_gevent.c - gevent's hub (sim/hub.c): a patched call that would
 * block is tried, fails with EAGAIN in the trace only, and switches to the
 * hub; the hub's epoll_wait switches back to exactly the greenlet whose fd
 * is ready; a blocking call gevent does not patch stops every greenlet.
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

#include "tl/tl.h"
#include "testlib.h"

/* The process's task with that name, or -1 */
static int task_of(const struct tl *tl, const char *name)
{
    for (int i = 0; i < tl->ntasks; i++)
        if (!strcmp(tl->tasks[i].name, name))
            return i;
    return -1;
}

static int in_server(const struct tl *tl, int task)
{
    return task >= 0 && task < tl->ntasks &&
           !strncmp(tl->tasks[task].name, "srv", 3);
}

/* The next event of task after i, or tl->nev */
static size_t next_of(const struct tl *tl, size_t i, int task)
{
    for (size_t j = i + 1; j < tl->nev; j++)
        if (tl->ev[j].task == task)
            return j;
    return tl->nev;
}

/* Every EAGAIN (or EINPROGRESS) a greenlet's call gets is followed at once
 * by its switch to the hub, never by its next statement: the scenario's
 * code never sees it.  Every wake-up of a greenlet by the hub names the
 * fd that greenlet waited for, and its retried call on that fd succeeds.
 * Returns how many wake-ups were checked. */
static int check_hub(const struct tl *tl, int hub)
{
    int waits = 0, wakes = 0, both = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYSCALL && in_server(tl, e->task) && e->task != hub &&
            (e->a == -EAGAIN || e->a == -EINPROGRESS)) {
            size_t j = next_of(tl, i, e->task);
            assert_true(j < tl->nev);
            assert_int_equal(tl->ev[j].type, EV_SWITCH);
            assert_int_equal(tl->ev[j].sub, TSW_WAIT);
            assert_int_equal(tl->ev[j].obj, hub);
            assert_int_equal(tl->ev[j].a, e->obj); /* it waits for that fd */
            waits++;
        }
        if (e->type == EV_SWITCH && e->task == hub && e->sub == TSW_READY &&
            e->a >= 0) {
            int g = e->obj;
            /* the greenlet's last wait was for this fd */
            int64_t waited = -100;
            for (size_t k = i; k-- > 0;)
                if (tl->ev[k].type == EV_SWITCH && tl->ev[k].task == g) {
                    waited = tl->ev[k].sub == TSW_WAIT ? tl->ev[k].a : -100;
                    break;
                }
            assert_int_equal(waited, e->a);
            /* and its retried call on the fd gets something */
            size_t j = i;
            do
                j = next_of(tl, j, g);
            while (j < tl->nev && tl->ev[j].type != EV_SYSCALL);
            assert_true(j < tl->nev);
            assert_int_equal(tl->ev[j].obj, e->a);
            assert_true(tl->ev[j].a >= 0);
            wakes++;
        }
        /* one epoll_wait that returned two fds: the hub switches to the
         * last one first (libev's ev_invoke_pending) */
        if (e->type == EV_SYSCALL && e->task == hub && e->sub == SYS_EPOLL_WAIT &&
            e->a == 2)
            both++;
    }
    if (waits < 6 || wakes != waits) /* each wait ends in its wake-up */
        fail_msg("%d waits, %d wake-ups", waits, wakes);
    return both;
}

/* gevent.scn: one thread serves four clients; no call's EAGAIN reaches
 * the code; every wake-up goes to the greenlet whose fd is ready */
static void test_gevent_server(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/gevent.scn");
    int hub = task_of(tl, "srv/hub");
    assert_true(hub >= 0);
    assert_true(check_hub(tl, hub) >= 1); /* carol and dave together */
    /* one kernel thread: the handlers are coroutines, named by the
     * scenario, each name once */
    const char *names[] = {"srv/conn", "srv/conn2",
                           "srv/conn3", "srv/conn4"};
    for (int k = 0; k < 4; k++) {
        int t = task_of(tl, names[k]);
        assert_true(t >= 0);
        assert_int_equal(tl->tasks[t].kind, TK_COROUTINE);
    }
    assert_int_equal(task_of(tl, "srv/conn5"), -1);
    /* the hub was made as gevent makes it */
    int64_t v[4];
    int server = task_of(tl, "srv");
    assert_int_equal(sys_rets(tl, server, SYS_EPOLL_CREATE1, v, 4), 1);
    assert_int_equal(sys_rets(tl, server, SYS_EVENTFD2, v, 4), 1);
    /* with two fds ready, the later one's greenlet ran first: dave's
     * handler (handler4) got its request before carol's (handler3) */
    int h3 = task_of(tl, "srv/conn3"), h4 = task_of(tl, "srv/conn4");
    int64_t t3 = -1, t4 = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYSCALL && e->sub == SYS_RECVFROM && e->a > 0) {
            if (e->task == h3 && t3 < 0)
                t3 = (int64_t)i;
            if (e->task == h4 && t4 < 0)
                t4 = (int64_t)i;
        }
    }
    assert_true(t3 > 0 && t4 > 0 && t4 < t3);
    tl_free(tl);
}

/* gevent-blocking.scn: while alice's handler is in its read of the
 * terminal, no other task of the server runs (no state change, no
 * syscall, no switch), though requests arrive for the other handlers */
static void test_gevent_blocking(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/gevent-blocking.scn");
    int hub = task_of(tl, "srv/hub");
    assert_true(hub >= 0);
    check_hub(tl, hub);
    int h1 = task_of(tl, "srv/conn");
    assert_true(h1 >= 0);
    size_t from = tl->nev, to = tl->nev;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == h1 && e->sub == SYS_READ && e->obj == 0) {
            if (e->type == EV_SYS_ENTER)
                from = i;
            else if (e->type == EV_SYSCALL)
                to = i;
        }
    }
    assert_true(from < to && to < tl->nev);
    assert_true(tl->ev[to].t - tl->ev[from].t >= 5000000); /* 6 ms */
    int arrived = 0;
    for (size_t i = from + 1; i < to; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_DATA && e->a > 0 && e->obj >= 0 &&
            e->obj < tl->nobjs && tl->objs[e->obj].kind == OK_SOCKET)
            arrived++; /* a request for another greenlet */
        if (e->task == h1 || !in_server(tl, e->task))
            continue;
        /* another greenlet, the hub or the main one: nothing */
        assert_true(e->type != EV_STATE && e->type != EV_SYS_ENTER &&
                    e->type != EV_SYSCALL && e->type != EV_SWITCH);
    }
    assert_true(arrived >= 2); /* bob's and carol's requests */
    tl_free(tl);
}

/* A patched connect: EINPROGRESS, a wait for EPOLLOUT in the hub, and the
 * connect made again, which returns 0 (the fd); gevent.sleep is a timer
 * in the hub, whose epoll_wait timeout is the time to it */
static const char *connect_scn =
    "process app {\n"
    "    s = socket\n"
    "    listen s 9000\n"
    "    c0 = fork peer0 {\n"
    "        c = accept s\n"
    "        n = recv c 100\n"
    "        exit\n"
    "    }\n"
    "    monkey_patch\n"
    "    c = connect 9000\n"
    "    if c < 0 {\n"
    "        say \"connect failed\"\n"
    "    }\n"
    "    sleep 3ms\n"
    "    send c 10\n"
    "    exit\n"
    "}\n";

static void test_gevent_connect_sleep(void **state)
{
    (void)state;
    struct tl *tl = run_text(connect_scn);
    int app = task_of(tl, "app"), hub = task_of(tl, "app/hub");
    assert_true(app >= 0 && hub >= 0);
    int64_t v[8];
    int n = sys_rets(tl, app, SYS_CONNECT, v, 8);
    assert_int_equal(n, 2);
    assert_int_equal(v[0], -EINPROGRESS);
    assert_int_equal(v[1], 0);
    assert_int_equal(sys_rets(tl, app, SYS_IOCTL, v, 8), 1);
    assert_int_equal(sys_rets(tl, app, SYS_CLOCK_NANOSLEEP, v, 8), 0);
    int sawwait = 0, sawtmo = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_CAPTION)
            fail_msg("connect failed");
        if (e->type == EV_SYS_ENTER && e->task == hub && e->sub == SYS_EPOLL_CTL &&
            TL_EPCTL_FD(e->a) == 4)
            assert_int_equal(TL_EPCTL_EV(e->a), TL_EP_OUT); /* the connect */
        if (e->type == EV_SWITCH && e->task == app && e->sub == TSW_WAIT &&
            e->a == -1)
            sawwait = 1;
        if (e->type == EV_SYS_ENTER && e->task == hub && e->sub == SYS_EPOLL_WAIT &&
            sawwait && e->b < 0 && TL_TMO_NS(e->b) == 3000000)
            sawtmo = 1;
    }
    assert_true(sawwait);
    assert_true(sawtmo);
    tl_free(tl);
}

/* monkey_patch where it makes no sense stops the run with a message */
static void test_gevent_misuse(void **state)
{
    (void)state;
    const char *twice = "process app {\n    monkey_patch\n    monkey_patch\n}\n";
    struct prog *p = scn_parse("t.scn", twice, strlen(twice), err, sizeof err);
    assert_non_null(p);
    struct tl *tl = sim_run(p, NULL, err, sizeof err);
    assert_null(tl);
    assert_non_null(strstr(err, "patched already"));
    prog_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gevent_server),
        cmocka_unit_test(test_gevent_blocking),
        cmocka_unit_test(test_gevent_connect_sleep),
        cmocka_unit_test(test_gevent_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
