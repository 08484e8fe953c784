/*
 * test_runner.c - scenarios run for real: every operation of the language
 * has a real implementation; every shipped scenario that can run for real
 * completes, and each task's syscalls match the simulated ones (compare.c
 * says which differences are allowed, docs/real.md lists the scenarios
 * that differ and why); no process is left behind.  The runs are slowed
 * down 50 times (--slow 50) so that a loaded machine keeps the scenarios'
 * order of events.  Skipped where the sandbox cannot be made.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "real/compare.h"
#include "real/runner.h"
#include "sim/scn.h"
#include "sim/sim.h"
#include "tl/text.h"
#include "testlib.h"

#define SLOW 50

static int sandbox_ok = -1;

static void need_sandbox(void)
{
    if (sandbox_ok < 0) {
        char why[256];
        sandbox_ok = real_sandbox_probe(why, sizeof why) == 0;
        if (!sandbox_ok)
            fprintf(stderr, "skipped: %s\n", why);
    }
    if (!sandbox_ok)
        skip();
}

/* Live processes descended from this one: a run must leave none behind.
 * Only this test's descendants count, so other programs of the same
 * session (a parallel build, another test) cannot disturb it; an orphan
 * of the run is re-parented to the runner (a child subreaper while it
 * runs), so it is a descendant too. */
static int own_procs(void)
{
    enum { MAXP = 65536 };
    static int pid_of[MAXP], ppid_of[MAXP];
    int np = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) && np < MAXP) {
        int pid = atoi(e->d_name);
        if (pid <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = 0;
        char *p = strrchr(buf, ')'); /* pid (comm) state ppid */
        int ppid;
        char st;
        if (p && sscanf(p + 1, " %c %d", &st, &ppid) == 2 && st != 'Z') {
            pid_of[np] = pid;
            ppid_of[np++] = ppid;
        }
    }
    if (d)
        closedir(d);
    int self = getpid(), n = 0;
    for (int i = 0; i < np; i++) {
        int up = ppid_of[i];
        for (int hop = 0; hop < 64 && up > 1 && up != self; hop++) {
            int j = 0;
            while (j < np && pid_of[j] != up)
                j++;
            up = j < np ? ppid_of[j] : 0;
        }
        n += up == self;
    }
    return n;
}

static void test_every_op_is_real(void **state)
{
    (void)state;
    for (int op = 0; op < OP__COUNT; op++)
        if (!real_op_implemented(op))
            fail_msg("operation '%s' has no real implementation in "
                     "src/real/runner.c (ops[])", prog_op_name(op));
}

/* What a shipped scenario's real run must show */
enum expect { AGREE, DIFFERS, NOT_REAL };

static const struct {
    const char *file;
    enum expect expect;
} shipped[] = {
    {"scenarios/blocking.scn", AGREE},
    {"scenarios/nonblocking.scn", AGREE},
    {"scenarios/select.scn", AGREE},
    {"scenarios/poll.scn", AGREE},
    {"scenarios/epoll.scn", AGREE},
    {"scenarios/epoll-et.scn", AGREE},
    {"scenarios/sigio.scn", AGREE},
    {"scenarios/io_uring.scn", AGREE},
    {"scenarios/coroutines.scn", AGREE},
    {"scenarios/web.scn", AGREE},
    {"scenarios/deadlock.scn", AGREE},
    {"scenarios/timers.scn", AGREE},
    {"scenarios/zombie.scn", AGREE},
    {"scenarios/generator.scn", AGREE},
    {"scenarios/greenlet.scn", AGREE},
    /* the hub in C over epoll (runner.c's op_hub) makes the calls gevent's
     * libev loop makes */
    {"scenarios/gevent.scn", AGREE},
    {"scenarios/gevent-blocking.scn", AGREE},
    {"scenarios/gui-events.scn", AGREE},
    {"scenarios/asyncio.scn", AGREE},
    {"scenarios/event-loop.scn", AGREE},
    {"scenarios/ipc-pipe.scn", AGREE},
    /* docs/real.md: Linux sizes the buffers itself: the writes split the
     * 256K otherwise than across the model's fixed 45K and 64K buffers */
    {"scenarios/writeout.scn", DIFFERS},
    /* docs/real.md: whether the two threads' lock calls collide (and so
     * make futex calls) is the scheduler's */
    {"scenarios/shared-counter.scn", DIFFERS},
    /* docs/real.md: its setsockopt sizes hold what the model says, but how
     * the sends split depends on when the receiver's window opens */
    {"scenarios/sticky.scn", DIFFERS},
    /* docs/real.md: which worker the kernel wakes and which wins the
     * accept() is the scheduler's */
    {"scenarios/herd.scn", DIFFERS},
    /* docs/real.md: 28 clients 20 us apart: how their connections fall
     * into accept() rounds, and so when EMFILE comes, is timing */
    {"scenarios/emfile.scn", DIFFERS},
    /* docs/real.md: the real run is C, with no interpreter and so no GIL:
     * its threads compute at once where the model's take turns */
    {"scenarios/gil-cpu.scn", DIFFERS},
    {"scenarios/gil-io.scn", DIFFERS},
    {"scenarios/mp-cpu.scn", DIFFERS},
    {"scenarios/free-threaded.scn", DIFFERS},
    /* docs/real.md: a SemLock is made without sem_open's file (the sandbox
     * lets no task write one), and the feeder thread's condition variable
     * is glibc's, whose futex calls the tracer does not stop on */
    {"scenarios/ipc-queue.scn", DIFFERS},
    {"scenarios/print-lock.scn", DIFFERS},
    /* docs/real.md: the stop event's futex is glibc's, not traced */
    {"scenarios/manager.scn", DIFFERS},
    /* docs/real.md: the runner forks where CPython's spawn makes a vfork
     * and an execve (it is not an interpreter it could exec afresh) */
    {"scenarios/spawn-main.scn", DIFFERS},
    /* docs/real.md: the runner forks the resource tracker and the fork
     * server where CPython makes a vfork and an execve */
    {"scenarios/forkserver.scn", DIFFERS},
    /* docs/real.md: ipc-queue's SemLocks; whether the in-process
     * semaphores make futex calls is the real threads' timing */
    {"scenarios/pool-apply.scn", DIFFERS},
    {"scenarios/pool-apply-async.scn", DIFFERS},
    /* docs/real.md: a real fork that a child's SIGCHLD interrupts is
     * restarted by the kernel (clone() = ERESTARTNOINTR, then again) */
    {"scenarios/three-designs.scn", DIFFERS},
    /* 10,000 peers: more tasks than a real run may start */
    {"scenarios/c10k.scn", NOT_REAL},
};

/* Every scenario in scenarios/ is in the table above */
static void test_table_is_complete(void **state)
{
    (void)state;
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".scn"))
            continue;
        char path[300];
        snprintf(path, sizeof path, "scenarios/%s", e->d_name);
        int found = 0;
        for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++)
            found |= !strcmp(shipped[i].file, path);
        if (!found)
            fail_msg("%s: say in tests/test_runner.c (and docs/real.md) "
                     "whether it runs for real", path);
    }
    closedir(d);
}

/* The simulation of a scenario's text (name for its errors): its program
 * in *pp and its timeline; either failing fails the test */
static struct tl *simulate(const char *name, const char *text, long max_events,
                           struct prog **pp)
{
    char err[1024];
    struct prog *p = scn_parse(name, text, strlen(text), err, sizeof err);
    if (!p)
        fail_msg("%s", err);
    struct sim_opts so = {.max_events = max_events};
    struct tl *sim = sim_run(p, &so, err, sizeof err);
    if (!sim)
        fail_msg("%s", err);
    *pp = p;
    return sim;
}

/* The comparison of a with b agrees (its table on stderr when not) */
static void assert_agree(const struct tl *a, const struct tl *b)
{
    struct real_cmp c;
    assert_int_equal(real_compare(a, b, &c), 0);
    if (!real_compare_agree(&c))
        real_compare_dump(&c, stderr);
    assert_true(real_compare_agree(&c));
    real_compare_free(&c);
}

/* 0 if file's real run is what expect says; else 1 with why in msg */
static int run_one(const char *file, enum expect expect, char *msg, size_t len)
{
    char err[1024];
    struct prog *p = scn_load(file, err, sizeof err);
    if (!p)
        fail_msg("%s", err);
    struct sim_opts so = {0};
    struct tl *sim = sim_run(p, &so, err, sizeof err);
    if (!sim)
        fail_msg("%s", err);
    int before = own_procs();
    struct tl *real = real_run_timeline(p, sim, SLOW, err, sizeof err);
    if (expect == NOT_REAL) {
        assert_null(real);
        assert_non_null(strstr(err, "too many"));
        tl_free(sim);
        prog_free(p);
        return 0;
    }
    if (!real)
        fail_msg("%s: %s", file, err);
    int bad = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* no child left */
    assert_int_equal(errno, ECHILD);
    assert_int_equal(own_procs(), before);
    struct real_cmp c;
    assert_int_equal(real_compare(sim, real, &c), 0);
    if (real->truncated) {
        snprintf(msg, len, "%s: the real run did not complete: %s", file,
                 real->note ? real->note : "");
        bad = 1;
    } else if (c.missing) { /* every simulated task ran for real */
        snprintf(msg, len, "%s: %d simulated tasks did not run for real",
                 file, c.missing);
        bad = 1;
    } else if (expect == AGREE && !real_compare_agree(&c)) {
        real_compare_dump(&c, stderr);
        if (getenv("IOSIM_TEST_DUMP"))
            tl_dump(real, stderr);
        snprintf(msg, len, "%s: the real run and the simulation disagree", file);
        bad = 1;
    }
    real_compare_free(&c);
    tl_free(real);
    tl_free(sim);
    prog_free(p);
    return bad;
}

static void test_shipped_scenarios(void **state)
{
    (void)state;
    need_sandbox();
    char msg[512];
    const char *only = getenv("IOSIM_TEST_ONLY"); /* one scenario, by name */
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        if (only && !strstr(shipped[i].file, only))
            continue;
        fprintf(stderr, "  %s\n", shipped[i].file);
        if (!run_one(shipped[i].file, shipped[i].expect, msg, sizeof msg))
            continue;
        /* a real run depends on the machine's load (compute is CPU time,
         * sleeps are wall-clock time): two more chances */
        int bad = 1;
        for (int k = 0; k < 2 && bad; k++) {
            fprintf(stderr, "  %s; once more\n", msg);
            bad = run_one(shipped[i].file, shipped[i].expect, msg, sizeof msg);
        }
        if (bad)
            fail_msg("%s", msg);
    }
}

/* The operations no shipped scenario makes, for real and compared: a
 * socketpair, fork and wait, a thread and join on a shared variable,
 * typing at the terminal and writing to it, setrlimit, arithmetic */
static void test_other_ops(void **state)
{
    (void)state;
    need_sandbox();
    const char *text =
        "process main {\n"
        "    shared total\n"
        "    total = set 0\n"
        "    a, b = socketpair\n"
        "    r, w = pipe\n"
        "    n = write w 10\n"
        "    n = read r 100\n"
        "    kid = fork {\n"
        "        x = write b 5\n"
        "        sleep 1ms\n"
        "        exit 3\n"
        "    }\n"
        "    got = read a 64\n"
        "    pid = wait\n"
        "    t = thread {\n"
        "        total = total + 2\n"
        "        sleep 2ms\n"
        "    }\n"
        "    j = join t\n"
        "    k = total * 3\n"
        "    type 4\n"
        "    m = read 0 16\n"
        "    m = write 1 12\n"
        "    setrlimit RLIMIT_NOFILE 64\n"
        "    close a\n"
        "    exit k\n"
        "}\n";
    char err[1024];
    struct prog *p;
    struct tl *sim = simulate("ops.scn", text, 0, &p);
    int bad = 1;
    for (int k = 0; k < 3 && bad; k++) {
        struct tl *real = real_run_timeline(p, sim, SLOW, err, sizeof err);
        if (!real)
            fail_msg("%s", err);
        struct real_cmp c;
        assert_int_equal(real_compare(sim, real, &c), 0);
        bad = !real_compare_agree(&c) || c.missing;
        if (bad)
            real_compare_dump(&c, stderr);
        /* the process ended with exit(k): 3 * 2 = 6, the thread's store
         * to the shared word seen by the main thread */
        int six = 0;
        for (size_t i = 0; i < real->nev; i++)
            six |= real->ev[i].type == EV_STATE && real->ev[i].sub == TS_EXITED &&
                   !strcmp(real->tasks[real->ev[i].task].name, "main") &&
                   real->ev[i].a == 6;
        bad |= !six;
        real_compare_free(&c);
        tl_free(real);
    }
    if (bad)
        fail_msg("the real run of every operation does not match");
    tl_free(sim);
    prog_free(p);
}

/* A timeline of one task "p" making epoll_wait calls that return the
 * events named (as strace prints them), one call each */
static struct tl *waits(const char *const *ready, int n)
{
    struct tl *tl = tl_new();
    assert_non_null(tl);
    tl->ncpus = 1;
    assert_int_equal(tl_add_task(tl, "p", TK_PROCESS, -1, 0, -1), 0);
    int64_t t = 0;
    for (int i = 0; i < n; i++) {
        int id = tl_add_str(tl, ready[i]);
        assert_true(id >= 0);
        struct tl_ev in = {.t = t, .obj = 4, .a = 64, .type = EV_SYS_ENTER,
                           .sub = SYS_EPOLL_WAIT};
        struct tl_ev out = {.t = t + 10, .obj = TL_STR_OBJ(id), .b = 10,
                            .type = EV_SYSCALL, .sub = SYS_EPOLL_WAIT};
        int k = 0;
        for (const char *p = ready[i]; (p = strstr(p, "events=")); p++)
            k++;
        out.a = k;
        assert_true(tl_push(tl, &in) >= 0);
        assert_true(tl_push(tl, &out) >= 0);
        t += 100;
    }
    return tl;
}

/* The comparison knows which fds a wait returned, in any order */
static void test_compare_ready(void **state)
{
    (void)state;
    const char *e5 = "{events=EPOLLIN, data={u32=5, u64=5}}";
    const char *e6 = "{events=EPOLLIN, data={u32=6, u64=6}}";
    char both[128], rev[128], one5[64], one6[64];
    snprintf(both, sizeof both, "[%s, %s]", e5, e6);
    snprintf(rev, sizeof rev, "[%s, %s]", e6, e5);
    snprintf(one5, sizeof one5, "[%s]", e5);
    snprintf(one6, sizeof one6, "[%s]", e6);
    const char *sa[] = {both, one5}, *ra[] = {rev, one6};
    struct tl *sim = waits(sa, 2), *real = waits(ra, 2);
    struct real_cmp c;
    assert_int_equal(real_compare(sim, real, &c), 0);
    /* the same two fds in another order: the same; 5 against 6: not */
    assert_int_equal(c.rows[0].mark, REAL_CMP_SAME);
    assert_true(c.n == 3);
    assert_int_equal(c.rows[1].mark, REAL_CMP_ALLOWED);
    assert_int_equal(c.rows[2].mark, REAL_CMP_ALLOWED);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(real_compare_dump(&c, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "epoll_wait(4) = 2 [5 6]"));
    assert_non_null(strstr(buf, "epoll_wait(4) = 2 [6 5]"));
    assert_non_null(strstr(buf, "epoll_wait(4) = 1 [6]"));
    free(buf);
    real_compare_free(&c);
    tl_free(sim);
    tl_free(real);
}

/* One call of a hand-made timeline: a syscall, its result and, for a
 * wait, what it returned ready (as strace prints it) */
struct call {
    int sys;
    int64_t ret;
    const char *ready;
};

/* A timeline of one task "p" making the calls of v, in order */
static struct tl *calls_tl(const struct call *v, int n)
{
    struct tl *tl = tl_new();
    assert_non_null(tl);
    tl->ncpus = 1;
    assert_int_equal(tl_add_task(tl, "p", TK_PROCESS, -1, 0, -1), 0);
    int64_t t = 0;
    for (int i = 0; i < n; i++) {
        int32_t obj = -1;
        if (v[i].ready) {
            int id = tl_add_str(tl, v[i].ready);
            assert_true(id >= 0);
            obj = TL_STR_OBJ(id);
        }
        struct tl_ev in = {.t = t, .obj = v[i].sys == SYS_EPOLL_WAIT ? 4 : 5,
                           .a = 64, .type = EV_SYS_ENTER, .sub = v[i].sys};
        struct tl_ev out = {.t = t + 10, .obj = obj, .a = v[i].ret, .b = 10,
                            .type = EV_SYSCALL, .sub = v[i].sys};
        assert_true(tl_push(tl, &in) >= 0);
        assert_true(tl_push(tl, &out) >= 0);
        t += 100;
    }
    return tl;
}

/* 1 if the two hand-made timelines agree; the alignment goes to stderr
 * when that is not what the test expects */
static int agree(const struct call *a, int na, const struct call *b, int nb,
                 int expect)
{
    struct tl *sim = calls_tl(a, na), *real = calls_tl(b, nb);
    struct real_cmp c;
    assert_int_equal(real_compare(sim, real, &c), 0);
    int ok = real_compare_agree(&c);
    if (ok != expect)
        real_compare_dump(&c, stderr);
    real_compare_free(&c);
    tl_free(sim);
    tl_free(real);
    return ok;
}

#define EP(fd) "{events=EPOLLIN, data={u32=" #fd ", u64=" #fd "}}"
#define W(n, list) {SYS_EPOLL_WAIT, n, "[" list "]"}
#define N(v) (int)(sizeof v / sizeof v[0])

/* How timing batched the same arrivals into waits is allowed (gevent's
 * hub: the model's [7], then [8 9]; a loaded real run's [7 9 8], or [7],
 * [9], [8]); a wait that returned an fd, or an event, that the other run's
 * waits never did is a divergence, however the rest is batched */
static void test_compare_batching(void **state)
{
    (void)state;
    const struct call model[] = {W(1, EP(7)), W(2, EP(8) ", " EP(9))};
    const struct call one[] = {W(3, EP(7) ", " EP(9) ", " EP(8))};
    const struct call three[] = {W(1, EP(7)), W(1, EP(9)), W(1, EP(8))};
    const struct call again[] = {W(1, EP(7)), W(1, EP(8)), W(1, EP(9)),
                                 W(1, EP(9))}; /* level-triggered: again */
    assert_true(agree(model, N(model), one, N(one), 1));
    assert_true(agree(model, N(model), three, N(three), 1));
    assert_true(agree(model, N(model), again, N(again), 1));
    /* the deliberate mismatches: fd 10 where the model has 9; fd 8 never
     * ready; fd 9 ready to write, not to read */
    const struct call other[] = {W(1, EP(7)), W(1, EP(8)), W(1, EP(10))};
    const struct call lost[] = {W(1, EP(7)), W(1, EP(9))};
    const struct call out[] = {W(1, EP(7)), W(1, EP(8)),
                               W(1, "{events=EPOLLOUT, data={u32=9, u64=9}}")};
    assert_false(agree(model, N(model), other, N(other), 0));
    assert_false(agree(model, N(model), lost, N(lost), 0));
    assert_false(agree(model, N(model), out, N(out), 0));
    /* and the viewer's caption says why */
    struct tl *sim = calls_tl(model, N(model)), *real = calls_tl(other, N(other));
    struct real_cmp c;
    assert_int_equal(real_compare(sim, real, &c), 0);
    int told = 0;
    for (size_t i = 0; i < c.n; i++) {
        char what[256], why[512];
        real_compare_explain(&c, i, what, sizeof what, why, sizeof why);
        told += real_compare_diverges(&c.rows[i]) &&
                strstr(why, "returned other fds") != NULL;
    }
    assert_true(told > 0);
    real_compare_free(&c);
    tl_free(sim);
    tl_free(real);
    /* select's sets, fd by fd: "in [5 6]" against "in [6]", "in [5]" */
    const struct call s56[] = {{SYS_SELECT, 2, "in [5 6]"}};
    const struct call s6_5[] = {{SYS_SELECT, 1, "in [6]"}, {SYS_SELECT, 1, "in [5]"}};
    const struct call s6_7[] = {{SYS_SELECT, 1, "in [6]"}, {SYS_SELECT, 1, "in [7]"}};
    assert_true(agree(s56, N(s56), s6_5, N(s6_5), 1));
    assert_false(agree(s56, N(s56), s6_7, N(s6_7), 0));
}

#define ACC(r) {SYS_ACCEPT, r, NULL}
#define IOC {SYS_IOCTL, 0, NULL}

/* A loop's idle turns count once, but a turn that accepted a connection
 * is not idle: gevent's accept loop, where the model's last two
 * connections come in one turn (accept = 8, accept = 9) and a loaded real
 * run's in two (accept = 8, EAGAIN, accept = 9), agrees; a connection
 * fewer does not */
static void test_compare_turns(void **state)
{
    (void)state;
    const struct call model[] = {ACC(-EAGAIN), ACC(6), IOC, ACC(-EAGAIN), ACC(7),
                                 IOC, ACC(-EAGAIN), ACC(8), IOC, ACC(9), IOC};
    const struct call real[] = {ACC(-EAGAIN), ACC(6), IOC, ACC(-EAGAIN), ACC(7),
                                IOC, ACC(-EAGAIN), ACC(8), IOC, ACC(-EAGAIN),
                                ACC(9), IOC};
    const struct call fewer[] = {ACC(-EAGAIN), ACC(6), IOC, ACC(-EAGAIN), ACC(7),
                                 IOC, ACC(-EAGAIN), ACC(8), IOC, ACC(-EAGAIN)};
    const struct call spin[] = {ACC(-EAGAIN), ACC(-EAGAIN), ACC(-EAGAIN), ACC(6),
                                IOC, ACC(-EAGAIN), ACC(7), IOC, ACC(-EAGAIN),
                                ACC(-EAGAIN), ACC(8), IOC, ACC(9), IOC};
    assert_true(agree(model, N(model), real, N(real), 1));
    assert_true(agree(model, N(model), spin, N(spin), 1));
    assert_false(agree(model, N(model), fewer, N(fewer), 0));
}

/* The simulation of a program whose child exits with code; the parent
 * waits with &status */
static struct tl *exits_with(int code)
{
    char text[256];
    snprintf(text, sizeof text, "process p {\n    pid = fork c {\n        exit %d\n"
             "    }\n    q, st = wait pid\n}\n", code);
    return run_text(text);
}

/* wait4's status is compared: exit 3 against exit 4 is not the same call */
static void test_compare_wait_status(void **state)
{
    (void)state;
    struct tl *a = exits_with(3), *b = exits_with(3), *c4 = exits_with(4);
    assert_agree(a, b);
    struct real_cmp c;
    assert_int_equal(real_compare(a, c4, &c), 0);
    assert_false(real_compare_agree(&c));
    assert_int_equal(c.nresult, 1); /* wait4(1001) = 1001 [exit 3] | [exit 4] */
    char txt[128];
    real_compare_call_text(c4, c.rows[1].real_ev, txt, sizeof txt);
    assert_string_equal(txt, "wait4(1001) = 1001 [exit 4]");
    real_compare_free(&c);
    tl_free(a);
    tl_free(b);
    tl_free(c4);
}

/* The fork server's liveness check (the simulator's wait4 carries its
 * arguments as strace prints them) reads as a real run's: wait4(PID);
 * the server's wait4(-1) shows no pid on either side */
static void test_compare_wait_pid(void **state)
{
    (void)state;
    struct tl *tl = run_file("scenarios/forkserver.scn");
    int app = task_id(tl, "app"), fs = task_id(tl, "forkserver");
    char a[128] = "", b[128] = "";
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_SYS_ENTER || e->sub != SYS_WAIT4)
            continue;
        if (e->task == app && !a[0])
            real_compare_call_text(tl, (long)i, a, sizeof a);
        if (e->task == fs && !b[0])
            real_compare_call_text(tl, (long)i, b, sizeof b);
    }
    assert_string_equal(a, "wait4(1002) = 0");
    assert_string_equal(b, "wait4() = 1003 [exit 0]");
    tl_free(tl);
}

/* Without _FORTIFY_SOURCE (machine setting fortify 0), an fd past 1023
 * goes into a select set as a C program's FD_SET writes it, and select
 * goes on; fds 3 and up of the caller are not the scenario's */
static void test_select_unfortified(void **state)
{
    (void)state;
    need_sandbox();
    const char *text = "machine {\n    fortify 0\n}\n"
                       "process big {\n    repeat 550 {\n        r, w = pipe\n"
                       "    }\n    watch r\n    n = select 1ms\n}\n";
    char err[1024];
    struct prog *p;
    struct tl *sim = simulate("f0.scn", text, 0, &p);
    struct tl *real = real_run_timeline(p, sim, 1, err, sizeof err);
    if (!real)
        fail_msg("%s", err);
    assert_agree(sim, real);
    tl_free(real);
    tl_free(sim);
    prog_free(p);
}

/* A real run's poll of 1,100 fds (more than the 1024 the tracer once
 * read), its select of fds past 1023 (fortify 0) and an epoll_wait of
 * 1,100 events with room for 2,000: each shows the whole call, as the
 * simulation does (the fd that came back ready is the last pollfd; the
 * events beyond the 32 shown are cut with "...", as strace cuts them) */
static void test_wide_lists(void **state)
{
    (void)state;
    need_sandbox();
    const char *text =
        "machine {\n    fortify 0\n}\n"
        "process wide {\n"
        "    setrlimit RLIMIT_NOFILE 4096\n"
        "    repeat 1100 {\n        r, w = pipe\n        watch r\n    }\n"
        "    n = write w 1\n"
        "    n = poll\n"
        "    n = select\n"
        "}\n"
        "process many {\n"
        "    setrlimit RLIMIT_NOFILE 4096\n"
        "    ep = epoll_create\n"
        "    repeat 1100 {\n        r, w = pipe\n        epoll_ctl ep add r\n"
        "        n = write w 1\n    }\n"
        "    n = epoll_wait ep 2000\n"
        "}\n";
    char err[1024];
    struct prog *p;
    struct tl *sim = simulate("wide.scn", text, 0, &p);
    int before = own_procs();
    struct tl *real = real_run_timeline(p, sim, 1, err, sizeof err);
    if (!real)
        fail_msg("%s", err);
    assert_int_equal(own_procs(), before);
    const char *want[] = {
        "poll([{fd=3, events=POLLIN}, {fd=5, events=POLLIN}, ",
        "{fd=65, events=POLLIN}, ...], 1100, -1)",
        "= 1 ([{fd=2201, revents=POLLIN}])",
        "pselect6(2202, [3 5 7 ", " 127 129 ...], NULL, NULL, NULL, NULL)",
        "= 1 (in [2201])",
        "{events=EPOLLIN, data={u32=4, u64=4}}, ",
        "{events=EPOLLIN, data={u32=66, u64=66}}, ...], 2000, -1) = 1100",
    };
    for (int k = 0; k < 2; k++) { /* the simulation says so too */
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        tl_dump(k ? real : sim, f);
        fclose(f);
        for (size_t i = 0; i < sizeof want / sizeof *want; i++)
            if (!strstr(buf, want[i])) {
                /* what it has instead: its waits, and how it ended */
                for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
                    if (strstr(l, "poll(") || strstr(l, "pselect6(") ||
                        strstr(l, "epoll_wait(") || strstr(l, "exit") ||
                        strstr(l, "#"))
                        fprintf(stderr, "  %.200s\n", l);
                fail_msg("the %s timeline lacks \"%s\"", k ? "real" : "simulated",
                         want[i]);
            }
        free(buf);
    }
    assert_agree(sim, real);
    tl_free(real);
    tl_free(sim);
    prog_free(p);
}

/* The order in which a timeline's tasks start running, as names */
static void run_order(const struct tl *tl, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < tl->nev && n + 100 < len; i++)
        if (tl->ev[i].type == EV_STATE && tl->ev[i].sub == TS_RUNNING &&
            tl->ev[i].task < tl->ntasks)
            n += (size_t)snprintf(buf + n, len - n, "%s ",
                                  tl->tasks[tl->ev[i].task].name);
}

/* Coroutines, generators and greenlets switch in user space, with no
 * syscall to compare: the order in which they run must be the same */
static void test_switch_order(void **state)
{
    (void)state;
    need_sandbox();
    const char *files[] = {"scenarios/coroutines.scn", "scenarios/generator.scn",
                           "scenarios/greenlet.scn"};
    static char a[65536], b[65536];
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char err[1024];
        struct prog *p = scn_load(files[f], err, sizeof err);
        if (!p)
            fail_msg("%s", err);
        struct sim_opts so = {0};
        struct tl *sim = sim_run(p, &so, err, sizeof err);
        if (!sim)
            fail_msg("%s", err);
        run_order(sim, a, sizeof a);
        /* a loaded machine can starve a real run: two more chances, as
         * test_shipped_scenarios gives */
        struct tl *real = NULL;
        for (int k = 0; k < 3; k++) {
            tl_free(real);
            real = real_run_timeline(p, sim, k ? SLOW : 1, err, sizeof err);
            if (!real)
                fail_msg("%s", err);
            run_order(real, b, sizeof b);
            if (!strcmp(a, b))
                break;
            fprintf(stderr, "  %s: the simulation runs %s\n  the real run %s%s\n",
                    files[f], a, b, k < 2 ? "; once more" : "");
        }
        if (strcmp(a, b))
            fail_msg("%s: the real run switches in another order", files[f]);
        tl_free(real);
        tl_free(sim);
        prog_free(p);
    }
}

/* A run that would not end (a server and no peer) ends at its deadline
 * with every process killed, and says so */
static void test_forever(void **state)
{
    (void)state;
    need_sandbox();
    const char *text = "process server {\n    s = socket\n    listen s 9000\n"
                       "    c = accept s\n}\n"
                       "process spinner {\n    loop {\n        compute 1ms\n    }\n}\n";
    char err[1024];
    struct prog *p;
    struct tl *sim = simulate("forever.scn", text, 2000, &p);
    int before = own_procs();
    struct tl *real = real_run_timeline(p, sim, 1, err, sizeof err);
    if (!real)
        fail_msg("%s", err);
    assert_int_equal(own_procs(), before);
    int accepts = 0;
    for (size_t i = 0; i < real->nev; i++)
        accepts += real->ev[i].type == EV_SYS_ENTER && real->ev[i].sub == SYS_ACCEPT;
    assert_int_equal(accepts, 1); /* it got as far as accept() */
    tl_free(real);
    tl_free(sim);
    prog_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_op_is_real),
        cmocka_unit_test(test_table_is_complete),
        cmocka_unit_test(test_shipped_scenarios),
        cmocka_unit_test(test_other_ops),
        cmocka_unit_test(test_select_unfortified),
        cmocka_unit_test(test_wide_lists),
        cmocka_unit_test(test_compare_ready),
        cmocka_unit_test(test_compare_batching),
        cmocka_unit_test(test_compare_turns),
        cmocka_unit_test(test_compare_wait_status),
        cmocka_unit_test(test_compare_wait_pid),
        cmocka_unit_test(test_switch_order),
        cmocka_unit_test(test_forever),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
