/*
 * test_sim.c - the engine: determinism, blocking and non-blocking
 * semantics, buffers, processes, and seeking equivalence.
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
#include "tl/world.h"
#include "testlib.h"

static void test_deterministic(void **state)
{
    (void)state;
    const char *files[] = {"scenarios/blocking.scn", "scenarios/nonblocking.scn"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct tl *a = run_file(files[i]), *b = run_file(files[i]);
        size_t la, lb;
        char *ja = timeline_text(a, 1, &la), *jb = timeline_text(b, 1, &lb);
        assert_true(la > 1000);
        assert_int_equal(la, lb);
        assert_memory_equal(ja, jb, la);
        free(ja);
        free(jb);
        tl_free(a);
        tl_free(b);
    }
}

static const char *server_reader =
    "machine {\n    latency 0us\n}\n"
    "process server {\n    s = socket\n    listen s 9000\n    c = accept s\n"
    "%s"
    "}\n"
    "peer client {\n    sleep 1ms\n    c = connect 9000\n    sleep 4ms\n    send c 300\n"
    "    sleep 100ms\n    close c\n}\n";

static struct tl *run_reader(const char *body)
{
    char text[4096];
    snprintf(text, sizeof text, server_reader, body);
    return run_text(text);
}

/* Blocking read: one read, blocked until 5 ms, then one copy of 300 bytes */
static void test_blocking_read(void **state)
{
    (void)state;
    struct tl *tl = run_reader("    n = read c 4K\n    exit\n");
    int srv = task_id(tl, "server");
    int reads = 0, copies = 0, blocked_for_data = 0;
    int64_t block_t = -1, ret_t = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != srv)
            continue;
        if (e->type == EV_STATE && e->sub == TS_BLOCKED && e->a == TW_DATA) {
            blocked_for_data++;
            block_t = e->t;
        }
        if (e->type == EV_COPY && e->sub == TC_TO_USER) {
            copies++;
            assert_int_equal(e->a, 300);
            assert_true(e->t >= 5000000);
        }
        if (e->type == EV_SYSCALL && e->sub == SYS_READ) {
            reads++;
            assert_int_equal(e->a, 300);
            ret_t = e->t;
        }
    }
    assert_int_equal(reads, 1);
    assert_int_equal(copies, 1);
    assert_int_equal(blocked_for_data, 1);
    assert_true(block_t < 1100000); /* right after accept, ~1 ms */
    assert_true(ret_t >= 5000000 && ret_t < 5100000);
    tl_free(tl);
}

/* Non-blocking read retried every 1 ms: EAGAIN until 5 ms, then one copy */
static void test_nonblocking_read(void **state)
{
    (void)state;
    struct tl *tl = run_reader("    fcntl c O_NONBLOCK\n"
                               "    loop {\n        n = read c 4K\n"
                               "        if n != EAGAIN {\n            break\n        }\n"
                               "        sleep 1ms\n    }\n    exit\n");
    int srv = task_id(tl, "server");
    int eagain = 0, ok = 0, copies = 0, blocked_for_data = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != srv)
            continue;
        if (e->type == EV_STATE && e->sub == TS_BLOCKED && e->a == TW_DATA)
            blocked_for_data++;
        if (e->type == EV_COPY && e->sub == TC_TO_USER) {
            copies++;
            assert_int_equal(e->a, 300);
        }
        if (e->type == EV_SYSCALL && e->sub == SYS_READ) {
            if (e->a == -11) {
                eagain++;
                assert_true(e->t < 5000000);
            } else {
                ok++;
                assert_int_equal(e->a, 300);
                assert_true(e->t >= 5000000 && e->t < 6100000);
            }
        }
    }
    assert_int_equal(blocked_for_data, 0); /* it never sleeps in read() */
    assert_int_equal(eagain, 4);           /* at 1, 2, 3, 4 ms (+ a few us) */
    assert_int_equal(ok, 1);
    assert_int_equal(copies, 1);
    struct tl_stats st;
    assert_int_equal(tl_stats(tl, &st), 0);
    assert_int_equal(st.eagain, 4);
    assert_int_equal(st.bytes_to_user, 300);
    tl_free(tl);
}

/* A full receive buffer stops a blocking writer until the reader drains it */
static void test_backpressure(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    rcvbuf 1K\n    sndbuf 1K\n}\n"
        "process p {\n    a, b = socketpair\n    t = thread {\n"
        "        sleep 10ms\n        n = read b 4K\n        n = read b 4K\n"
        "        n = read b 4K\n    }\n"
        "    n = write a 3K\n    join t\n}\n");
    int writer = task_id(tl, "p");
    int blocked = 0;
    int64_t wret = -1, wt = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == writer && e->type == EV_STATE && e->sub == TS_BLOCKED &&
            e->a == TW_SPACE)
            blocked++;
        if (e->task == writer && e->type == EV_SYSCALL && e->sub == SYS_WRITE) {
            wret = e->a;
            wt = e->t;
        }
    }
    assert_true(blocked >= 1);
    assert_int_equal(wret, 3072);
    assert_true(wt >= 10000000); /* only after the reader made room */
    tl_free(tl);
}

/* pthread_join: a thread that already exited is joined in user space, with
 * no futex call (glibc sees its tid cleared); a running one is waited for
 * in futex(FUTEX_WAIT); joining oneself is EDEADLK, also without a call */
static void test_join_exited_no_futex(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    t = thread {\n        compute 10us\n    }\n"
        "    sleep 1ms\n    r = join t\n    u = thread {\n        sleep 1ms\n    }\n"
        "    r = join u\n    me = set 1000\n    r = join me\n"
        "    say \"joined\"\n}\n");
    int p = task_id(tl, "p");
    int futex = 0;
    int64_t futex_t = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == p && e->type == EV_SYS_ENTER && e->sub == SYS_FUTEX) {
            futex++;
            futex_t = e->t;
        }
    }
    assert_int_equal(futex, 1); /* only for u, still asleep */
    assert_true(futex_t > 1000000 && futex_t < 1100000);
    tl_free(tl);
}

/* RLIMIT_NOFILE: no fd at or above the soft limit.  With 8, fds 0-2 and
 * 3-6 leave one: a pipe needs two (EMFILE), a socket takes the last, then
 * epoll_create1 fails; setrlimit refuses soft > hard (EINVAL) and a higher
 * hard limit (EPERM); a forked child inherits the raised limit */
static void test_emfile_at_limit(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    nofile 8\n}\n"
        "process p {\n    a, b = pipe\n    c, d = pipe\n    e, f = pipe\n"
        "    g = socket\n    h = epoll_create\n"
        "    r = setrlimit RLIMIT_NOFILE 600000\n"
        "    r = setrlimit RLIMIT_NOFILE 16 600000\n"
        "    r = setrlimit RLIMIT_NOFILE 16\n    e, f = pipe\n"
        "    pid = fork {\n        x = socket\n        y = socket\n    }\n"
        "    wait\n}\n");
    int p = task_id(tl, "p");
    int64_t pipes[4], sock[1], ep[1], rl[3];
    assert_int_equal(sys_rets(tl, p, SYS_PIPE2, pipes, 4), 4);
    assert_int_equal(pipes[0], 0);
    assert_int_equal(pipes[1], 0);
    assert_int_equal(pipes[2], -EMFILE); /* fds 7 and 8: 8 is over */
    assert_int_equal(pipes[3], 0);       /* after the limit went up */
    assert_int_equal(sys_rets(tl, p, SYS_SOCKET, sock, 1), 1);
    assert_int_equal(sock[0], 7);
    assert_int_equal(sys_rets(tl, p, SYS_EPOLL_CREATE1, ep, 1), 1);
    assert_int_equal(ep[0], -EMFILE);
    assert_int_equal(sys_rets(tl, p, SYS_PRLIMIT64, rl, 3), 3);
    assert_int_equal(rl[0], -EINVAL);
    assert_int_equal(rl[1], -EPERM);
    assert_int_equal(rl[2], 0);
    int ch = task_id(tl, "p.1");
    int64_t cs[2];
    assert_int_equal(sys_rets(tl, ch, SYS_SOCKET, cs, 2), 2);
    assert_int_equal(cs[0], 10); /* 8 and 9 are the last pipe: the child */
    assert_int_equal(cs[1], 11); /* has the raised limit of 16 */
    tl_free(tl);
}

/* accept() at the limit: EMFILE, and the connection stays in the queue
 * until an fd is free */
static void test_emfile_accept(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "machine {\n    nofile 5\n}\n"
        "process p {\n    s = socket\n    listen s 80\n    c = accept s\n"
        "    d = accept s\n    close c\n    d = accept s\n}\n"
        "peer a count 2 at 1ms {\n    c = connect 80\n    sleep 1ms\n}\n");
    int p = task_id(tl, "p");
    int64_t r[3];
    assert_int_equal(sys_rets(tl, p, SYS_ACCEPT, r, 3), 3);
    assert_int_equal(r[0], 4);
    assert_int_equal(r[1], -EMFILE);
    assert_int_equal(r[2], 4); /* the queued connection, in the freed fd */
    tl_free(tl);
}

/* Two sends before one read come back as one read: bytes, not messages */
static void test_sticky(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    a, b = pipe\n    write b 100\n    write b 100\n"
        "    n = read a 4K\n}\n");
    int reads = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SYSCALL && tl->ev[i].sub == SYS_READ) {
            reads++;
            assert_int_equal(tl->ev[i].a, 200);
        }
    assert_int_equal(reads, 1);
    tl_free(tl);
}

/* fork copies the fd table: the peer sees EOF only when both close */
static void test_fork_fd_refs(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "process p {\n    r, w = pipe\n    k = fork {\n        sleep 2ms\n"
        "        close w\n        exit\n    }\n    close w\n"
        "    n = read r 10\n    wait k\n}\n");
    int p = task_id(tl, "p");
    int64_t ret = 99, t = 0, waited = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == p && e->type == EV_SYSCALL && e->sub == SYS_READ) {
            ret = e->a;
            t = e->t;
        }
        if (e->task == p && e->type == EV_SYSCALL && e->sub == SYS_WAIT4)
            waited = e->a;
    }
    assert_int_equal(ret, 0);
    assert_true(t >= 2000000);
    assert_true(waited >= 1000);
    tl_free(tl);
}

static void test_zero_time_loop(void **state)
{
    (void)state;
    const char *text = "process p {\n    x = set 1\n    loop {\n        x = set 2\n    }\n}\n";
    struct prog *p = scn_parse("loop.scn", text, strlen(text), err, sizeof err);
    assert_non_null(p);
    struct tl *tl = sim_run(p, NULL, err, sizeof err);
    prog_free(p);
    assert_null(tl);
    assert_non_null(strstr(err, "loop.scn:"));
    assert_non_null(strstr(err, "without using time"));
}


/* say once: a caption inside a loop is shown the first time only */
static void test_say_once(void **state)
{
    (void)state;
    struct tl *tl = run_text("process p {\n    repeat 3 {\n"
                             "        say once \"first\"\n"
                             "        say \"every\"\n        sleep 1ms\n    }\n}\n");
    int first = 0, every = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION) {
            const char *txt = tl->strs[tl->ev[i].a];
            first += !strcmp(txt, "first");
            every += !strcmp(txt, "every");
        }
    assert_int_equal(first, 1);
    assert_int_equal(every, 3);
    tl_free(tl);
}

/* TCP: connect() returns after one round trip; the connection reaches
 * the accept queue with the client's final ACK, one latency later */
static void test_handshake_order(void **state)
{
    (void)state;
    struct tl *tl = run_text("machine {\n    latency 100us\n}\n"
                             "process s {\n    l = socket\n    listen l 80\n"
                             "    c = accept l\n}\n"
                             "peer c {\n    sleep 1ms\n    k = connect 80\n}\n");
    int peer = task_id(tl, "c");
    int64_t connected = -1, queued = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == peer && e->type == EV_SYSCALL && e->sub == SYS_CONNECT)
            connected = e->t;
        if (e->type == EV_QUEUE && e->sub == TQ_PUSH && queued < 0)
            queued = e->t;
    }
    assert_int_equal(connected, 1200000); /* SYN + SYN-ACK */
    assert_int_equal(queued, 1300000);    /* + the final ACK */
    tl_free(tl);
}

/* A full accept queue drops the SYN: the client retries after 1 s, 2 s */
static void test_syn_retry(void **state)
{
    (void)state;
    struct tl *tl = run_text("machine {\n    backlog 1\n    latency 0us\n}\n"
                             "process s {\n    l = socket\n    listen l 80\n"
                             "    sleep 2500ms\n    loop {\n        c = accept l\n"
                             "        close c\n    }\n}\n"
                             "peer c count 4 {\n    sleep 1ms\n    k = connect 80\n}\n");
    int64_t t[4];
    for (int k = 0; k < 4; k++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", k + 1);
        int id = task_id(tl, name);
        t[k] = -1;
        for (size_t i = 0; i < tl->nev; i++)
            if (tl->ev[i].task == id && tl->ev[i].type == EV_SYSCALL &&
                tl->ev[i].sub == SYS_CONNECT) {
                t[k] = tl->ev[i].t;
                assert_int_equal(tl->ev[i].a, 0);
            }
    }
    assert_int_equal(t[0], 1000000); /* backlog 1: two fit */
    assert_int_equal(t[1], 1000000);
    assert_int_equal(t[2], 3001000000LL); /* dropped at 1 ms and 1.001 s */
    assert_int_equal(t[3], 3001000000LL);
    tl_free(tl);
}


static int said(const struct tl *tl, const char *text)
{
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION && !strcmp(tl->strs[tl->ev[i].a], text))
            return 1;
    return 0;
}

/* Regressions found in review: each once hung, crashed or lied */
static void test_review_regressions(void **state)
{
    (void)state;
    /* a signal that arrives while select() walks its fds must not be lost
     * when select() then goes to sleep: the call is interrupted */
    struct tl *tl = run_file("tests/corpus/review-sig_select.scn");
    assert_true(said(tl, "select returned"));
    tl_free(tl);
    /* an interrupted connect() gives the script an error, not an fd */
    tl = run_file("tests/corpus/review-sig_connect.scn");
    assert_true(said(tl, "connect failed"));
    tl_free(tl);
    /* a writer blocked on a full socket wakes when the reader closes */
    tl = run_file("tests/corpus/review-wr_block.scn");
    assert_true(said(tl, "write returned"));
    assert_null(tl->note);
    tl_free(tl);
    /* the terminal takes what is written to stdout */
    tl = run_file("tests/corpus/review-tty.scn");
    int writes = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SYSCALL && tl->ev[i].sub == SYS_WRITE) {
            assert_int_equal(tl->ev[i].a, 12);
            writes++;
        }
    assert_int_equal(writes, 1);
    tl_free(tl);
    /* queues no event has touched yet, and huge durations */
    const char *files[] = {"tests/corpus/review-q_oob.scn", "tests/corpus/review-big1.scn",
                           "tests/corpus/review-big2.scn", "tests/corpus/review-big3.scn",
                           "tests/corpus/review-zombie.scn", "tests/corpus/review-cpus.scn"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        tl = run_file(files[k]);
        for (size_t i = 1; i < tl->nev; i++)
            assert_true(tl->ev[i].t >= tl->ev[i - 1].t); /* time never goes back */
        struct wcur c;
        assert_int_equal(wcur_open(&c, tl), 0);
        for (int i = 0; i < c.w.ntasks; i++)
            if (c.w.tasks[i].state == TS_EXITED)
                assert_int_equal(c.w.tasks[i].cpu, -1);
        assert_int_equal(wcur_seek(&c, (long)tl->nev), 0);
        for (int i = 0; i < c.w.ntasks; i++)
            assert_true(c.w.tasks[i].state != TS_RUNNING || c.w.tasks[i].cpu >= -1);
        wcur_close(&c);
        tl_free(tl);
    }
}


/* Coroutines take turns on one thread: never two at once, never on the
 * second CPU, and one blocking call stops them all */
static void test_coroutines(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/coroutines.scn");
    struct wcur c;
    assert_int_equal(wcur_open(&c, tl), 0);
    int switches = 0, blocked_seen = 0;
    for (long i = 1; i <= (long)tl->nev; i++) {
        assert_int_equal(wcur_seek(&c, i), 0);
        int running = 0, blocked = 0;
        for (int k = 0; k < c.w.ntasks; k++) {
            if (c.w.tasks[k].state == TS_RUNNING) {
                running++;
                assert_int_equal(c.w.tasks[k].cpu, 0);
            }
            blocked += c.w.tasks[k].state == TS_BLOCKED;
        }
        assert_true(running <= 1);
        if (blocked) { /* the sleeping coroutine holds the thread */
            assert_int_equal(running, 0);
            blocked_seen = 1;
        }
        const struct tl_ev *e = &tl->ev[i - 1];
        switches += e->type == EV_STATE && e->sub == TS_SUSPENDED &&
                    tl->tasks[e->task].kind != TK_PROCESS;
    }
    assert_true(blocked_seen);
    assert_true(switches >= 4);
    wcur_close(&c);
    struct tl_stats st;
    assert_int_equal(tl_stats(tl, &st), 0);
    assert_int_equal(st.ctx_switches, 1); /* the kernel saw one thread start */
    assert_int_equal(st.syscalls_total, 1); /* the sleep (exit_group never returns) */
    assert_int_equal(task_id(tl, "app/a") > 0, 1);
    tl_free(tl);
}


/* The user at the terminal: typed bytes wake a reader of fd 0, and a
 * select over stdin and a socket sees the terminal become readable */
static void test_terminal_input(void **state)
{
    (void)state;
    struct tl *tl = run_text("process shell {\n    n = read 0 1K\n"
                             "    m = select 0\n    k = read 0 1K\n}\n"
                             "peer user {\n    sleep 2ms\n    type 6\n"
                             "    sleep 1ms\n    type 3\n}\n");
    int sh = task_id(tl, "shell"), reads = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task == sh && e->type == EV_SYSCALL && e->sub == SYS_READ) {
            assert_int_equal(e->a, reads == 0 ? 6 : 3);
            assert_true(e->t >= (reads == 0 ? 2000000 : 3000000));
            reads++;
        }
    }
    assert_int_equal(reads, 2);
    tl_free(tl);
}

/* ---- seeking ---- */

struct capture {
    long *want;  /* sorted event indices to capture */
    int n, next;
    struct world *worlds;
};

static void on_event(void *ctx, const struct world *w)
{
    struct capture *c = ctx;
    while (c->next < c->n && c->want[c->next] == w->idx) {
        world_init(&c->worlds[c->next], w->ncpus);
        assert_int_equal(world_copy(&c->worlds[c->next], w), 0);
        c->next++;
    }
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Seeks to samples places of text's timeline, in a shuffled order, give
 * the worlds the engine had there; returns the cursor's removal hints */
static size_t seek_check(const char *text, int samples)
{
    struct prog *p = scn_parse("s.scn", text, strlen(text), err, sizeof err);
    if (!p)
        fail_msg("%s", err);
    struct tl *tl0 = sim_run(p, NULL, err, sizeof err);
    assert_non_null(tl0);
    long nev = (long)tl0->nev;
    tl_free(tl0);
    struct capture c = {0};
    c.want = calloc((size_t)samples, sizeof *c.want);
    c.worlds = calloc((size_t)samples, sizeof *c.worlds);
    srand(12345);
    for (int i = 0; i < samples; i++)
        c.want[i] = 1 + (long)(((unsigned long)rand() * 2654435761u) % (unsigned long)nev);
    qsort(c.want, (size_t)samples, sizeof *c.want, cmp_long);
    c.n = samples;
    struct sim_opts so = {.on_event = on_event, .ctx = &c};
    struct tl *tl = sim_run(p, &so, err, sizeof err);
    assert_non_null(tl);
    assert_int_equal(c.next, samples);
    struct wcur cur;
    assert_int_equal(wcur_open(&cur, tl), 0);
    /* visit in a shuffled order: forwards and backwards */
    for (int k = 0; k < samples; k++) {
        int i = (int)(((unsigned long)k * 7919u) % (unsigned long)samples);
        assert_int_equal(wcur_seek(&cur, c.want[i]), 0);
        const char *d = world_diff(&cur.w, &c.worlds[i]);
        if (d)
            fail_msg("seek to %ld: %s differs", c.want[i], d);
    }
    size_t hints = cur.nhints;
    for (int i = 0; i < samples; i++)
        world_free(&c.worlds[i]);
    free(c.worlds);
    free(c.want);
    wcur_close(&cur);
    tl_free(tl);
    prog_free(p);
    return hints;
}

static void test_seek_equivalence(void **state)
{
    (void)state;
    /* many clients against a forking server: tens of thousands of events */
    seek_check("machine {\n    cpus 2\n}\n"
               "process server {\n    s = socket\n    listen s 80\n    loop {\n"
               "        c = accept s\n        k = fork {\n"
               "            n = read c 4K\n            compute 300us\n"
               "            write c 2K\n            close c\n            exit\n"
               "        }\n        close c\n    }\n}\n"
               "peer client count 400 every 100us {\n    c = connect 80\n"
               "    repeat 3 {\n        send c 100\n        n = recv c 4K\n    }\n"
               "    close c\n}\n",
               300);
}

/* An epoll server behind on 1,000 connections: its ready list holds
 * hundreds, removals find their item far in, and seeks replay them from
 * the cursor's hints */
static void test_seek_long_queue(void **state)
{
    (void)state;
    size_t hints = seek_check(
        "model epoll\nmachine {\n    cpus 1\n    latency 100us\n    backlog 4096\n}\n"
        "server web {\n    model epoll\n    port 8080\n    work 20us\n    reply 2K\n"
        "    nofile 4096\n}\n"
        "peer browser count 1000 every 10us at 1ms {\n    c = connect 8080\n"
        "    repeat 2 {\n        send c 300\n        n = recv c 4K\n        sleep 5ms\n"
        "    }\n    close c\n}\n",
        300);
    assert_true(hints > 100);
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* tl_ev_make's words are the event its fields make (the engine writes
 * every event so), at the edges of each field */
static void test_event_words(void **state)
{
    (void)state;
    const int64_t ts[] = {0, 1, 123456789, TL_T_MAX};
    const unsigned lines[] = {0, 1, 4242, TL_LINE_MAX};
    const int64_t as[] = {0, -1, INT64_MIN, INT64_MAX, 1 << 20};
    const int32_t objs[] = {-1, 0, 7, INT32_MAX, INT32_MIN};
    const unsigned tasks[] = {0, 1, 65534, TL_NOTASK};
    const unsigned subs[] = {0, 1, 1000, TL_SUB_MAX};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++)
            for (int k = 0; k < 5; k++)
                for (int type = 0; type < EV__COUNT; type += 7) {
                    struct tl_ev e = {.t = ts[i], .line = lines[i],
                                      .a = as[j], .b = as[4 - j],
                                      .obj = objs[k], .task = (uint16_t)tasks[i],
                                      .type = (uint16_t)type,
                                      .sub = (uint16_t)subs[k % 4]};
                    union tl_ev_words u = tl_ev_make(ts[i], lines[i], as[j],
                                                     as[4 - j], objs[k],
                                                     tasks[i], (unsigned)type,
                                                     subs[k % 4]);
                    assert_memory_equal(&u.e, &e, sizeof e);
                    assert_true(u.e.t == ts[i] && u.e.line == lines[i]);
                    assert_true(u.e.task == tasks[i] && u.e.sub == subs[k % 4]);
                }
}

/* epoll_wait's one-event arrays are worded from a memo once seen
 * (sim_fdev_str): each return still names the fd the server reads next,
 * equal texts share one copy, and a task's same array again keeps its
 * string id, as sim_call_str does */
static void test_epoll_texts(void **state)
{
    (void)state;
    struct tl *tl = run_text(
        "model epoll\nmachine {\n    cpus 1\n}\n"
        "server web {\n    model epoll\n    port 8080\n    work 5us\n"
        "    reply 100\n}\n"
        "peer c count 6 every 7us at 1ms {\n"
        "    s = connect 8080\n"
        "    repeat 5 {\n        send s 50\n        n = recv s 4K\n"
        "        sleep 1ms\n    }\n    close s\n}\n");
    int web = -1;
    for (int i = 0; i < tl->ntasks; i++)
        if (!strcmp(tl->tasks[i].name, "web"))
            web = i;
    assert_true(web >= 0);
    int checked = 0;
    int32_t last_id = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task != web || e->type != EV_SYSCALL ||
            e->sub != SYS_EPOLL_WAIT || e->a != 1 || e->obj > -2)
            continue;
        int id = TL_OBJ_STR(e->obj);
        assert_true(id >= 0 && id < tl->nstrs);
        const char *text = tl->strs[id];
        int fd = -1;
        assert_int_equal(sscanf(text, "[{events=EPOLLIN, data={u32=%d", &fd), 1);
        for (size_t j = i + 1; j < tl->nev; j++) /* what it does next */
            if (tl->ev[j].task == web && tl->ev[j].type == EV_SYS_ENTER) {
                if (tl->ev[j].sub == SYS_READ || tl->ev[j].sub == SYS_ACCEPT) {
                    assert_int_equal(tl->ev[j].obj, fd);
                    checked++;
                }
                break;
            }
        for (int k = 0; k < id; k++) /* equal texts: one copy */
            if (tl->strs[k] && !strcmp(tl->strs[k], text))
                assert_ptr_equal(tl->strs[k], text);
        if (last_id >= 0 && !strcmp(tl->strs[last_id], text))
            assert_int_equal(id, last_id);
        last_id = id;
    }
    assert_true(checked > 20);
    tl_free(tl);
}

/* What 1,000 epoll connections hold, counted (deterministic: no RSS):
 * equal strings share a copy, the cursor's world has no doubling slack,
 * checkpoints take at most about 4 bytes an event, and the engine counts
 * what it held at the end of the run */
static void test_memory_held(void **state)
{
    (void)state;
    const char *text =
        "model epoll\nmachine {\n    cpus 1\n    latency 100us\n    backlog 4096\n}\n"
        "server web {\n    model epoll\n    port 8080\n    work 20us\n    reply 2K\n"
        "    nofile 4096\n}\n"
        "peer browser count 1000 every 10us at 1ms {\n    c = connect 8080\n"
        "    repeat 20 {\n        send c 300\n        n = recv c 4K\n        sleep 5ms\n"
        "    }\n    close c\n}\n";
    struct prog *p = scn_parse("m.scn", text, strlen(text), err, sizeof err);
    assert_non_null(p);
    struct sim_stats st;
    struct sim_opts so = {.stats = &st};
    struct tl *tl = sim_run(p, &so, err, sizeof err);
    prog_free(p);
    assert_non_null(tl);
    /* the same text is one copy; ids stay one per call */
    char **by_text = malloc((size_t)tl->nstrs * sizeof *by_text);
    assert_non_null(by_text);
    memcpy(by_text, tl->strs, (size_t)tl->nstrs * sizeof *by_text);
    qsort(by_text, (size_t)tl->nstrs, sizeof *by_text, cmp_text);
    int texts = tl->nstrs > 0;
    for (int i = 1; i < tl->nstrs; i++) {
        if (strcmp(by_text[i], by_text[i - 1]))
            texts++;
        else
            assert_ptr_equal(by_text[i], by_text[i - 1]);
    }
    free(by_text);
    assert_true(texts < tl->nstrs); /* 415 texts, 591 ids */
    assert_int_equal(tl->evcap, tl->nev);
    assert_int_equal(tl->taskcap, tl->ntasks);
    assert_int_equal(tl->objcap, tl->nobjs);
    assert_null(tl->strhash);
    /* the engine: the timeline, its world and tables, about a kilobyte
       and a half a connection beyond the events */
    assert_true(st.bytes > tl_bytes(tl));
    assert_true(st.bytes - tl_bytes(tl) < 1500 * (size_t)tl->ntasks);
    struct wcur c;
    assert_int_equal(wcur_open(&c, tl), 0);
    assert_int_equal(c.w.taskcap, tl->ntasks);
    assert_int_equal(c.w.objcap, tl->nobjs);
    /* every 4096 events at least, then 4 bytes an event */
    size_t one = c.cp_bytes / (size_t)c.ncps;
    assert_true(c.cp_bytes <= 4 * tl->nev + 2 * one + 4096 * 64);
    wcur_close(&c);
    tl_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_blocking_read),
        cmocka_unit_test(test_nonblocking_read),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_sticky),
        cmocka_unit_test(test_fork_fd_refs),
        cmocka_unit_test(test_zero_time_loop),
        cmocka_unit_test(test_say_once),
        cmocka_unit_test(test_handshake_order),
        cmocka_unit_test(test_syn_retry),
        cmocka_unit_test(test_review_regressions),
        cmocka_unit_test(test_join_exited_no_futex),
        cmocka_unit_test(test_emfile_at_limit),
        cmocka_unit_test(test_emfile_accept),
        cmocka_unit_test(test_coroutines),
        cmocka_unit_test(test_terminal_input),
        cmocka_unit_test(test_seek_equivalence),
        cmocka_unit_test(test_seek_long_queue),
        cmocka_unit_test(test_event_words),
        cmocka_unit_test(test_epoll_texts),
        cmocka_unit_test(test_memory_held),
    };
    return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
