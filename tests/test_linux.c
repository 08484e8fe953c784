/*
 * test_linux.c - what the engine shows is what Linux does: the scheduler
 * (EEVDF wake-up preemption), pipe and socket wake-ups, flow control and
 * writability, and the cost of select's scan.  Each test states the
 * kernel behaviour it checks.
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
#include "tl/world.h"
#include "testlib.h"

/* When task `task` entered state `state` for the n-th time (from 0), -1 */
static int64_t state_at(const struct tl *tl, int task, int state, int n)
{
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == task && e->type == EV_STATE && e->sub == state &&
            n-- == 0)
            return e->t;
    }
    return -1;
}

/* Each CPU has its own run queue (queues 0 and 1 of a 2-CPU timeline).
 * Three processes that only compute, on two CPUs: one CPU holds two of
 * them, and every BALANCE_TICKS ticks the busy CPU's tick gives its
 * waiting task to the other, so over time they share the CPUs evenly (on
 * Linux 6.18 here, three tasks of 1 s each finish within 0.15 s of one
 * another, with about 6 migrations a second in all) */
static void test_per_cpu_queues_share(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 2\n}\n"
        "process p {\n    a = fork w {\n        compute 2s\n    }\n"
        "    b = fork w {\n        compute 2s\n    }\n"
        "    c = fork w {\n        compute 2s\n    }\n"
        "    wait\n    wait\n    wait\n}\n");
    assert_int_equal(tl->queues[0].kind, TQK_RUN);
    assert_int_equal(tl->queues[1].kind, TQK_RUN);
    const char *names[] = {"w", "w2", "w3"};
    int moves = 0, waited1 = 0;
    struct wcur w;
    assert_int_equal(wcur_open(&w, tl), 0);
    for (int k = 0; k < 3; k++) {
        int t = task_id(tl, names[k]);
        int64_t end = state_at(tl, t, TS_ZOMBIE, 0);
        assert_true(end > 2950000000LL && end < 3050000000LL); /* 6 s on 2 */
        int last = -1;
        for (size_t i = 0; i < tl->nev; i++) {
            const struct tl_ev *e = &tl->ev[i];
            if (e->task != t || e->type != EV_STATE)
                continue;
            if (e->sub == TS_READY && last == TS_READY)
                moves++; /* to the other CPU's queue */
            if (e->sub == TS_READY && e->a == 1 && !waited1) {
                /* the world has it in CPU 1's queue, not CPU 0's */
                assert_int_equal(wcur_seek(&w, (long)i + 1), 0);
                assert_int_equal(w.w.tasks[t].rq, 1);
                int in1 = 0;
                for (int j = 0; j < w.w.queues[1].n; j++)
                    in1 |= w.w.queues[1].items[j] == t;
                assert_true(in1);
                waited1 = 1;
            }
            last = e->sub;
        }
    }
    wcur_close(&w);
    assert_true(waited1);
    assert_true(moves >= 12 && moves <= 24); /* every 164 ms, for 3 s */
    tl_free(tl);
}

/* A pipe ping-pong on two CPUs: each wake-up goes to the CPU the task last
 * ran on while that CPU is idle (select_idle_sibling), so the two stay on
 * their CPUs, as on Linux here (/proc/PID/sched: 0 migrations in 20,000
 * round trips) */
static void test_pingpong_stays(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 2\n}\n"
        "process parent {\n    a, b = pipe\n    c, d = pipe\n"
        "    pid = fork child {\n        repeat 50 {\n            n = read a 1\n"
        "            n = write d 1\n        }\n    }\n"
        "    repeat 50 {\n        n = write b 1\n        n = read c 1\n    }\n"
        "    wait\n}\n");
    int p = task_id(tl, "parent"), c = task_id(tl, "child");
    int cpu[2] = {-1, -1}, runs = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_STATE || (e->task != p && e->task != c) ||
            (e->sub != TS_RUNNING && e->sub != TS_READY))
            continue;
        int k = e->task == c;
        if (cpu[k] < 0)
            cpu[k] = (int)e->a;
        assert_int_equal(e->a, cpu[k]); /* ready and running: one CPU */
        runs += e->sub == TS_RUNNING;
    }
    assert_true(cpu[0] != cpu[1]);
    assert_true(runs >= 100);
    tl_free(tl);
}

/* app starts one child by the fork server, on 2 CPUs */
static const char forkserver_2cpus[] =
    "machine {\n    cpus 2\n}\n"
    "process app python {\n    if __name__ == \"__main__\" {\n"
    "        a = start forkserver kid {\n            compute 1ms\n        }\n"
    "        wait a\n    }\n}\n";

/* A new task goes straight into the run queue select_task_rq chose for it
 * (wake_up_new_task: SD_BALANCE_FORK, the idlest CPU), not first into CPU
 * 0's and then moved at once: the fork server's helpers, made by vfork
 * while CPU 1 is idle, each have one READY event, in CPU 1's queue */
static void test_new_task_placed_once(void **state)
{
    (void)state;
    struct tl *tl = run_text(forkserver_2cpus);
    const char *names[] = {"resource_tracker", "forkserver"};
    for (int k = 0; k < 2; k++) {
        int t = task_id(tl, names[k]), ready = 0;
        for (size_t i = 0; i < tl->nev; i++) {
            const struct tl_ev *e = &tl->ev[i];
            if (e->task != t || e->type != EV_STATE)
                continue;
            if (e->sub == TS_RUNNING)
                break;
            ready += e->sub == TS_READY;
        }
        assert_int_equal(ready, 1);
    }
    tl_free(tl);
}

/* An interpreter's start-up (a spawned or fork-server helper's 22 ms of
 * imports) is user-space work like compute: the tick ends its slice when
 * another task waits on its CPU.  forkserver on 2 CPUs: app, woken by the
 * server's execve (vfork), runs within a slice and a tick of it, not after
 * the server's whole start-up */
static void test_interpreter_startup_preempted(void **state)
{
    (void)state;
    struct tl *tl = run_text(forkserver_2cpus);
    int app = task_id(tl, "app"), srv = task_id(tl, "forkserver");
    int64_t woken = -1, ran = -1, srv_done = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_STATE)
            continue;
        if (e->task == app && woken >= 0 && ran < 0 && e->sub == TS_RUNNING)
            ran = e->t;
        if (e->task == app && woken < 0 && ran < 0 && e->sub == TS_READY &&
            state_at(tl, srv, TS_RUNNING, 0) >= 0 &&
            e->t > state_at(tl, srv, TS_RUNNING, 0))
            woken = e->t;
        if (e->task == srv && e->sub == TS_BLOCKED && srv_done < 0)
            srv_done = e->t;
    }
    assert_true(woken > 0 && ran > 0 && srv_done > 0);
    assert_true(srv_done - woken > 15000000LL); /* a long start-up */
    assert_true(ran - woken < 7000000LL);  /* 2 slices of 1.5 ms + a tick */
    tl_free(tl);
}

/* A CPU with nothing to run pulls a waiting task from a busy one (newidle
 * balance): when the short task ends, the long one waiting behind the
 * other CPU's task moves to its queue at once */
static void test_newidle_pull(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 2\n}\n"
        "process p {\n    a = fork w {\n        compute 100ms\n    }\n"
        "    b = fork w {\n        compute 100ms\n    }\n"
        "    c = fork short {\n        compute 10ms\n    }\n"
        "    wait\n    wait\n    wait\n}\n");
    int s = task_id(tl, "short");
    int64_t end = state_at(tl, s, TS_ZOMBIE, 0);
    assert_true(end > 0);
    int pulled = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_STATE && e->sub == TS_READY && e->t == end &&
            e->task != s && e->task != task_id(tl, "p"))
            pulled = 1;
    }
    assert_true(pulled);
    tl_free(tl);
}

/* EEVDF: a task woken from a pipe read, owed CPU time because it slept,
 * preempts a task that computes: it runs within one slice (0.75 ms on one
 * CPU), not after a 4 ms time slice as a round-robin scheduler would do. */
static void test_wakeup_preempts(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 1\n}\n"
        "process hog {\n    compute 50ms\n}\n"
        "process reader {\n    p, w = pipe\n    fork {\n        sleep 10ms\n"
        "        write w 100\n        exit\n    }\n"
        "    n = read p 4K\n    compute 100us\n    exit\n}\n");
    int rd = task_id(tl, "reader"), hog = task_id(tl, "hog");
    /* the reader's second ready: woken by the write */
    int64_t woken = state_at(tl, rd, TS_READY, 1);
    int64_t runs = state_at(tl, rd, TS_RUNNING, 1);
    assert_true(woken > 10000000);
    assert_true(runs >= woken);
    assert_true(runs - woken < 750000);
    /* and the hog was put back in the run queue, not left running */
    int preempted = 0;
    for (int k = 0; state_at(tl, hog, TS_READY, k) >= 0; k++)
        if (state_at(tl, hog, TS_READY, k) > 10000000 &&
            state_at(tl, hog, TS_READY, k) <= runs)
            preempted = 1;
    assert_true(preempted);
    tl_free(tl);
}

/* Two tasks that only compute take turns when the kernel notices a used
 * slice: at the timer tick (4 ms at HZ 250), not after each 0.75 ms. */
static void test_compute_turns_at_ticks(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 1\n}\n"
        "process a {\n    compute 20ms\n}\n"
        "process b {\n    compute 20ms\n}\n");
    int a = task_id(tl, "a"), b = task_id(tl, "b");
    int64_t a_off = state_at(tl, a, TS_READY, 1);
    int64_t b_on = state_at(tl, b, TS_RUNNING, 0);
    assert_int_equal(a_off, 4000000);
    assert_true(b_on > a_off && b_on - a_off <= 2000 + 1000);
    /* and b's turn ends at the next tick after its slice: 8 ms */
    assert_int_equal(state_at(tl, b, TS_READY, 1), 8000000);
    tl_free(tl);
}

/* How many times task entered state (from any other) */
static int count_state(const struct tl *tl, int task, int state)
{
    int n = 0;
    while (state_at(tl, task, state, n) >= 0)
        n++;
    return n;
}

/* fs/pipe.c (Linux 5.5+): readers wait exclusively, so a write into an
 * empty pipe wakes one of two blocked readers; the other sleeps on. */
static void test_pipe_write_wakes_one_reader(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 2\n}\n"
        "process p {\n    r, w = pipe\n"
        "    fork {\n        n = read r 4K\n        exit\n    }\n"
        "    fork {\n        n = read r 4K\n        exit\n    }\n"
        "    sleep 1ms\n    write w 100\n    sleep 1ms\n    exit\n}\n");
    int a = task_id(tl, "p.1"), b = task_id(tl, "p.2");
    int woken = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_STATE && e->sub == TS_READY && e->t > 1000000 &&
            e->t < 2000000 && (e->task == a || e->task == b))
            woken++;
    }
    assert_int_equal(woken, 1);
    /* the one that slept first (the oldest waiter) got the bytes */
    int got = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYSCALL && e->sub == SYS_READ && e->a == 100)
            got = e->task;
    }
    assert_int_equal(got, a);
    tl_free(tl);
}

/* A writer blocked on a full pipe wakes when a page slot is free
 * (pipe_read wakes writers, pipe_writable wants a free slot): a reader
 * taking 1 KiB at a time frees a 4 KiB page every fourth read, so the
 * writer is woken once per four reads, not after each. */
static void test_pipe_writer_woken_per_page(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 2\n    pipebuf 16K\n}\n"
        "process p {\n    r, w = pipe\n"
        "    fork {\n        n = write w 24K\n        exit\n    }\n"
        "    sleep 1ms\n    repeat 8 {\n        n = read r 1K\n"
        "        sleep 100us\n    }\n    exit\n}\n");
    int wr = task_id(tl, "p.1");
    /* blocked at first, then woken after reads 4 and 8 */
    assert_int_equal(count_state(tl, wr, TS_BLOCKED), 2);
    assert_int_equal(count_state(tl, wr, TS_READY), 3); /* start + 2 */
    int64_t woke = state_at(tl, wr, TS_READY, 1);
    int reads = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYS_ENTER && e->sub == SYS_READ && e->t <= woke)
            reads++;
    }
    assert_int_equal(reads, 4);
    tl_free(tl);
}

/* TCP: a writer blocked for room wakes when a third of the send buffer is
 * free (sk_stream_write_space: free >= half of what is queued), not for
 * every byte the receiver makes room for. */
static void test_tcp_writer_woken_at_a_third(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    cpus 1\n    rcvbuf 1K\n    sndbuf 3K\n"
        "    latency 0us\n}\n"
        "process server {\n    s = socket\n    listen s 80\n"
        "    c = accept s\n    sleep 1ms\n"
        "    repeat 4 {\n        n = read c 512\n        sleep 100us\n"
        "    }\n    sleep 10ms\n    exit\n}\n"
        "process client {\n    c = connect 80\n    n = send c 8K\n"
        "    exit\n}\n");
    int cl = task_id(tl, "client");
    int64_t woke = -1; /* the first wake-up once the server reads */
    for (int k = 0; woke < 0 && state_at(tl, cl, TS_READY, k) >= 0; k++)
        if (state_at(tl, cl, TS_READY, k) > 1000000)
            woke = state_at(tl, cl, TS_READY, k);
    assert_true(woke > 1000000);
    /* 1K free after the first two reads of 512 bytes: a third of 3K */
    int reads = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SYS_ENTER && e->sub == SYS_READ && e->t <= woke)
            reads++;
    }
    assert_int_equal(reads, 2);
    tl_free(tl);
}

/* setsockopt(SO_SNDBUF/SO_RCVBUF, 4096): doubled to 8192 by the kernel,
 * which holds about 6 KiB / 4 KiB of data; accepted sockets inherit the
 * listener's sizes; a pipe is not a socket */
static void test_setsockopt_sizes(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    s = socket\n    setsockopt s SO_RCVBUF 4K\n"
        "    setsockopt s SO_SNDBUF 4K\n    g = getsockopt s SO_SNDBUF\n"
        "    u = getsockopt s SO_RCVBUF\n    listen s 80\n"
        "    c = accept s\n    r, w = pipe\n"
        "    e = setsockopt w SO_SNDBUF 4K\n    exit\n}\n"
        "peer q at 1ms {\n    c = connect 80\n    sleep 1ms\n}\n");
    int p = task_id(tl, "p"), acc = -1;
    int64_t eret = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == p && e->type == EV_SYSCALL && e->sub == SYS_ACCEPT)
            acc = (int)e->a;
        if (e->task == p && e->type == EV_SYSCALL && e->sub == SYS_SETSOCKOPT)
            eret = e->a;
    }
    assert_int_equal(eret, -88); /* ENOTSOCK, the last call */
    /* getsockopt reads the doubled values back, as strace shows them */
    int got = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == p && e->type == EV_SYS_ENTER && e->sub == SYS_GETSOCKOPT) {
            assert_int_equal(TL_SOCKOPT_VAL(e->a), 8192);
            got++;
        }
    }
    assert_int_equal(got, 2);
    assert_true(acc >= 0);
    int found = 0;
    for (int o = 0; o < tl->nobjs; o++)
        if (tl->objs[o].kind == OK_SOCKET && tl->objs[o].owner == p &&
            tl->objs[o].peer >= 0) { /* the accepted connection */
            assert_int_equal(tl->objs[o].rxcap, 4096);
            assert_int_equal(tl->objs[o].txcap, 6144);
            found = 1;
        }
    assert_true(found);
    tl_free(tl);
}

/* Unset, a TCP socket's buffers are Linux's: getsockopt reads
 * tcp_wmem[1] 16384 before the handshake and tcp_sndbuf_expand's 46080
 * (Ethernet MSS, CUBIC) after it, tcp_rmem[1] 131072 for the receive
 * buffer; the model holds 45 KiB of payload in the send buffer and
 * a 64 KiB window in the receive buffer (the machine's defaults). */
static void test_default_socket_buffers(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    s = socket\n    a = getsockopt s SO_SNDBUF\n"
        "    b = getsockopt s SO_RCVBUF\n    listen s 80\n"
        "    l = getsockopt s SO_SNDBUF\n    c = accept s\n"
        "    x = getsockopt c SO_SNDBUF\n    y = getsockopt c SO_RCVBUF\n"
        "    exit\n}\n"
        "peer q at 1ms {\n    c = connect 80\n    sleep 1ms\n}\n");
    int p = task_id(tl, "p");
    static const int64_t want[] = { 16384, 131072, 16384, 46080, 131072 };
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == p && e->type == EV_SYS_ENTER && e->sub == SYS_GETSOCKOPT) {
            assert_true(n < 5);
            assert_int_equal(TL_SOCKOPT_VAL(e->a), want[n]);
            n++;
        }
    }
    assert_int_equal(n, 5);
    int found = 0;
    for (int o = 0; o < tl->nobjs; o++)
        if (tl->objs[o].kind == OK_SOCKET && tl->objs[o].peer >= 0) {
            assert_int_equal(tl->objs[o].txcap, 45 * 1024);
            assert_int_equal(tl->objs[o].rxcap, 64 * 1024);
            found++;
        }
    assert_int_equal(found, 2); /* both ends of the connection */
    tl_free(tl);
}

/* A non-blocking send loop: what fits is taken (a short write), then
 * EAGAIN.  sticky.scn's buffers are what SO_RCVBUF/SO_SNDBUF of 4096 hold
 * on Linux: 4096, 4096, 2048, then EAGAIN, as measured over loopback. */
static void test_short_nonblocking_write(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/sticky.scn");
    int cl = task_id(tl, "client");
    int64_t got[8];
    int n = 0;
    for (size_t i = 0; i < tl->nev && n < 8; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == cl && e->type == EV_SYSCALL && e->sub == SYS_SENDTO &&
            e->obj == 3 && e->t > 6000000)
            got[n++] = e->a;
    }
    assert_int_equal(n, 4);
    assert_int_equal(got[0], 4096);
    assert_int_equal(got[1], 4096);
    assert_int_equal(got[2], 2048);
    assert_int_equal(got[3], -11); /* EAGAIN */
    tl_free(tl);
}

/* EPOLLOUT: a non-blocking writer that got EAGAIN waits in epoll_wait for
 * room and is woken when a third of the send buffer is free (writeout.scn:
 * a 45 KiB send buffer, a 64 KiB receive window, a client reading 16 KiB
 * every 2 ms).  The first wake-up comes when the 45 KiB moved on to the
 * client, the second when its window took the rest of its 64 KiB; then
 * each 16 KiB read frees a third (16 of 45 with 29 queued: free >= half
 * of queued), so every later wake-up follows one read.  With a 64 KiB
 * send buffer it took two. */
static void test_epollout_wakes_writer(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/writeout.scn");
    int srv = task_id(tl, "server"), cl = task_id(tl, "client");
    int eagain = 0, outs = 0, total = 0, reads = 0;
    int64_t last_eagain = -1, first_write = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == cl && e->type == EV_SYSCALL && e->sub == SYS_RECVFROM &&
            e->a > 0)
            reads++;
        if (e->task != srv || e->type != EV_SYSCALL)
            continue;
        if (e->sub == SYS_WRITE && e->a == -11) {
            eagain++;
            last_eagain = e->t;
            reads = 0;
        } else if (e->sub == SYS_WRITE && e->a > 0) {
            if (!first_write)
                first_write = e->a;
            total += (int)e->a;
        } else if (e->sub == SYS_EPOLL_WAIT && e->a == 1 && last_eagain >= 0) {
            outs++; /* woken for room after an EAGAIN */
            assert_int_equal(reads, outs <= 2 ? 0 : 1);
            last_eagain = -1;
        }
    }
    assert_int_equal(first_write, 46080); /* the send buffer, empty */
    assert_int_equal(total, 256 * 1024);
    assert_true(eagain >= 3);
    assert_int_equal(outs, eagain);
    tl_free(tl);
}

/* poll with POLLOUT (watch FD out) and select with a write set: a writer
 * whose socketpair is full sleeps until the reader makes room; select
 * counts a bit per set. */
static void test_poll_select_write_sets(void **state)
{
    (void)state;
    static const char *text =
        "machine {\n    sndbuf 4K\n    rcvbuf 4K\n}\n"
        "process p {\n    a, b = socketpair\n    fcntl a O_NONBLOCK\n"
        "    loop {\n        n = write a 1K\n        if n < 0 {\n"
        "            break\n        }\n    }\n"
        "    fork {\n        sleep 1ms\n        repeat 8 {\n"
        "            n = read b 1K\n        }\n        sleep 10ms\n"
        "        exit\n    }\n"
        "    watch a out\n    n = %s\n    exit\n}\n";
    const char *calls[] = {"poll", "select"};
    for (int k = 0; k < 2; k++) {
        char buf[1024];
        snprintf(buf, sizeof buf, text, calls[k]);
        struct tl *tl = run_text(buf);
        int p = task_id(tl, "p");
        int sys = k ? SYS_SELECT : SYS_POLL;
        int64_t ret_t = -1, ret = -99;
        for (size_t i = 0; i < tl->nev; i++) {
            const struct tl_ev *e = &tl->ev[i];
            if (e->task == p && e->type == EV_SYSCALL && e->sub == sys) {
                ret_t = e->t;
                ret = e->a;
            }
        }
        assert_int_equal(ret, 1);
        assert_true(ret_t > 1000000); /* woken by the reader, not at once */
        tl_free(tl);
    }
    /* a readable and writable fd counts twice in select's result */
    struct tl *tl = run_text(
        "process p {\n    a, b = socketpair\n    write b 10\n"
        "    watch a in out\n    n = select\n    exit\n}\n");
    int p = task_id(tl, "p");
    int64_t ret = -99;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].task == p && tl->ev[i].type == EV_SYSCALL &&
            tl->ev[i].sub == SYS_SELECT)
            ret = tl->ev[i].a;
    assert_int_equal(ret, 2);
    tl_free(tl);
}

/* Level-triggered EPOLLOUT is reported by every call while there is room */
static void test_epollout_level_triggered(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    a, b = socketpair\n    ep = epoll_create\n"
        "    epoll_ctl ep add a out\n    n = epoll_wait ep\n"
        "    n = epoll_wait ep\n    n = epoll_wait ep\n    exit\n}\n");
    int p = task_id(tl, "p"), got = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].task == p && tl->ev[i].type == EV_SYSCALL &&
            tl->ev[i].sub == SYS_EPOLL_WAIT && tl->ev[i].a == 1)
            got++;
    assert_int_equal(got, 3);
    tl_free(tl);
}

/* The scan event of task's last select/poll: fds asked, and its cost */
static void last_scan(const struct tl *tl, int64_t *fds, int64_t *ns)
{
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SCAN) {
            *fds = tl->ev[i].a;
            *ns = tl->ev[i].b;
        }
}

/* do_select walks the fd_set a word at a time and asks only the files whose
 * bit is set: one pipe at fd ~1000 alone in the set costs the bitmap walk
 * (16 words) and one poll, under a microsecond, not a thousand fds (it
 * measures 0.8 to 1 us on Linux 6.x, bench/scan_cost.c). */
static void test_select_sparse_set(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    repeat 499 {\n        r, w = pipe\n    }\n"
        "    watch r\n    write w 1\n    n = select\n    exit\n}\n");
    int64_t fds = 0, ns = 0;
    last_scan(tl, &fds, &ns);
    assert_int_equal(fds, 1);
    /* select_base + 16 words + one pipe */
    assert_int_equal(ns, 550 + 16 * 2 + 27);
    tl_free(tl);
    /* the same fd alone at the bottom of the set: one word */
    tl = run_text("process p {\n    r, w = pipe\n    watch r\n    write w 1\n"
                  "    n = select\n    exit\n}\n");
    int64_t ns_low = 0;
    last_scan(tl, &fds, &ns_low);
    assert_true(ns - ns_low < 50);
    tl_free(tl);
}

/* Per watched fd, a TCP socket's poll method costs more than a pipe's
 * (measured: about 65 ns against 27 ns): poll over 1,000 of each. */
static void test_scan_cost_by_type(void **state)
{
    (void)state;
    int64_t ns[2];
    const char *mk[] = {"a, b = socketpair", "a, b = pipe"};
    for (int k = 0; k < 2; k++) {
        char text[512];
        snprintf(text, sizeof text,
                 "process p {\n    repeat 500 {\n        %s\n"
                 "        watch a\n        watch b\n    }\n"
                 "    write b 1\n    n = poll\n    exit\n}\n", mk[k]);
        struct tl *tl = run_text(text);
        int64_t fds = 0;
        last_scan(tl, &fds, &ns[k]);
        assert_int_equal(fds, 1000);
        tl_free(tl);
    }
    assert_int_equal(ns[0], 100 + 1000 * 65);
    assert_int_equal(ns[1], 100 + 1000 * 27);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wakeup_preempts),
        cmocka_unit_test(test_per_cpu_queues_share),
        cmocka_unit_test(test_pingpong_stays),
        cmocka_unit_test(test_newidle_pull),
        cmocka_unit_test(test_new_task_placed_once),
        cmocka_unit_test(test_interpreter_startup_preempted),
        cmocka_unit_test(test_compute_turns_at_ticks),
        cmocka_unit_test(test_pipe_write_wakes_one_reader),
        cmocka_unit_test(test_pipe_writer_woken_per_page),
        cmocka_unit_test(test_tcp_writer_woken_at_a_third),
        cmocka_unit_test(test_setsockopt_sizes),
        cmocka_unit_test(test_default_socket_buffers),
        cmocka_unit_test(test_short_nonblocking_write),
        cmocka_unit_test(test_epollout_wakes_writer),
        cmocka_unit_test(test_poll_select_write_sets),
        cmocka_unit_test(test_epollout_level_triggered),
        cmocka_unit_test(test_select_sparse_set),
        cmocka_unit_test(test_scan_cost_by_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
