/*
 * test_strace.c - strace logs into timelines, on the hand-written logs in
 * tests/strace/: unfinished/resumed, signals, killed, a cut last line, -ff
 * files, -r, -ttt, -yy, -X verbose, "[pid N]", no timestamps, lines that
 * are not strace's.  Run from the repository root.
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

#include "real/strace.h"
#include "tl/text.h"
#include "tl/world.h"

static struct strace_report rep;

static struct tl *import(const char *path)
{
    char err[512];
    struct tl *tl = NULL;
    const char *paths[] = {path};
    int rc = strace_import(paths, 1, 0, &tl, &rep, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    return tl;
}

static int task_named(const struct tl *tl, const char *name)
{
    for (int i = 0; i < tl->ntasks; i++)
        if (!strcmp(tl->tasks[i].name, name))
            return i;
    fail_msg("no task %s", name);
    return -1;
}

/* SYS_ENTER events of the named syscall */
static int calls(const struct tl *tl, const char *name)
{
    int s = tl_sys_lookup(name), n = 0;
    for (size_t i = 0; i < tl->nev; i++)
        n += tl->ev[i].type == EV_SYS_ENTER && tl->ev[i].sub == s;
    return n;
}

static char *dump(const struct tl *tl)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(tl_dump(tl, f), 0);
    fclose(f);
    return buf;
}

/* The world once every event up to time t (ns) is applied */
static void world_at(struct wcur *c, const struct tl *tl, int64_t t)
{
    long n = 0;
    while ((size_t)n < tl->nev && tl->ev[n].t <= t)
        n++;
    assert_int_equal(wcur_open(c, tl), 0);
    assert_int_equal(wcur_seek(c, n), 0);
}

static void test_unfinished(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/unfinished.log");
    assert_int_equal(rep.lines, 33);
    assert_int_equal(rep.calls, 22);
    assert_int_equal(rep.joined, 6);
    assert_int_equal(rep.no_return, 2); /* exit_group, the futex killed */
    assert_int_equal(rep.errors, 3);    /* EAGAIN x2, ERESTARTSYS */
    assert_int_equal(rep.signals, 2);
    assert_int_equal(rep.exits, 3);
    assert_int_equal(rep.bad, 0);
    assert_int_equal(tl->ntasks, 3);
    int p = task_named(tl, "python3[300]");
    int c = task_named(tl, "python3[301]");
    int t = task_named(tl, "python3[302]");
    assert_int_equal(tl->tasks[c].parent, p);
    assert_int_equal(tl->tasks[c].kind, TK_PROCESS);
    assert_int_equal(tl->tasks[t].kind, TK_THREAD);
    assert_int_equal(tl->tasks[t].proc, p);
    /* the log is the tasks' script: the viewer shows each task's line */
    assert_int_equal(tl->nscripts, 1);
    assert_int_equal(tl->scripts[0].nlines, 33);
    assert_int_equal(tl->tasks[c].script, 0);
    assert_non_null(strstr(tl->scripts[0].lines[8], "accept4(3,  <unfinished ...>"));
    assert_int_equal(calls(tl, "accept4"), 1);
    assert_int_equal(calls(tl, "futex"), 2);
    /* 0.001600 + 1 ms: the child waits in accept4, the parent in wait4 */
    struct wcur w;
    world_at(&w, tl, 2600000);
    assert_int_equal(w.w.tasks[c].state, TS_BLOCKED);
    assert_int_equal(w.w.tasks[c].wait, TW_CONNECTION);
    assert_int_equal(w.w.tasks[c].line, 9); /* the accept4 line */
    assert_int_equal(w.w.tasks[p].state, TS_BLOCKED);
    assert_int_equal(w.w.tasks[p].wait, TW_CHILD);
    /* the child inherited the listening socket */
    int lo = world_fd_obj(&w.w, c, 3);
    assert_true(lo >= 0);
    assert_int_equal(w.w.objs[lo].kind, OK_LISTEN);
    assert_int_equal(w.w.objs[lo].port, 8080);
    wcur_close(&w);
    char *d = dump(tl);
    assert_non_null(strstr(d, "accept4(3, {sa_family=AF_INET, sin_port=htons(50000), "
                              "sin_addr=inet_addr(\"127.0.0.1\")}, [16], SOCK_CLOEXEC) "
                              "<unfinished ...>"));
    assert_non_null(strstr(d, "<... accept4 resumed> = 4 <0.003400000>"));
    assert_non_null(strstr(d, "<... epoll_wait resumed> = ? ERESTARTSYS"));
    assert_non_null(strstr(d, "--- SIGCHLD {si_signo=SIGCHLD} --- handler runs"));
    assert_non_null(strstr(d, "python3[302] +++ killed by SIGTERM +++"));
    assert_non_null(strstr(d, "python3[300] +++ killed by SIGTERM +++"));
    /* one SIGTERM a task, not one for the delivery and one for the death */
    const char *x = strstr(d, "python3[300] --- SIGTERM raised ---");
    assert_non_null(x);
    assert_null(strstr(x + 1, "python3[300] --- SIGTERM raised ---"));
    free(d);
    /* the whole timeline replays into worlds without an error */
    assert_int_equal(wcur_open(&w, tl), 0);
    assert_int_equal(wcur_seek(&w, (long)tl->nev), 0);
    assert_int_equal(w.w.tasks[p].state, TS_EXITED);
    wcur_close(&w);
    tl_free(tl);
}

/* What poll and epoll_wait wrote back (strace 6.1's words, from a C
 * program's log) is kept on the return as the simulator keeps it, so the
 * dump shows poll's revents and the export and the comparison have both */
static void test_arrays(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/arrays.log");
    const char *want[] = {
        "[{events=EPOLLOUT, data={u32=5, u64=5}}, {events=EPOLLIN, "
        "data={u32=3, u64=3}}]",
        "[{events=EPOLLIN, data={u32=3, u64=3}}]",
        "[{fd=3, revents=POLLIN}, {fd=5, revents=POLLOUT}]",
        "[{fd=3, revents=POLLIN}]"};
    int seen[4] = {0};
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_SYSCALL || (e->sub != SYS_POLL && e->sub != SYS_EPOLL_WAIT))
            continue;
        assert_true(e->obj <= -2); /* every one returned fds */
        const char *s = tl->strs[TL_OBJ_STR(e->obj)];
        for (int k = 0; k < 4; k++)
            seen[k] += !strcmp(s, want[k]);
    }
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 2);
    assert_int_equal(seen[2], 1);
    assert_int_equal(seen[3], 2);
    char *d = dump(tl);
    assert_non_null(strstr(d, "<... poll resumed> = 2 ([{fd=3, revents=POLLIN}, "
                              "{fd=5, revents=POLLOUT}])"));
    assert_non_null(strstr(d, "poll([{fd=3, events=POLLIN}, {fd=5, events=POLLIN}], "
                              "2, 0) = 1 ([{fd=3, revents=POLLIN}])"));
    /* the events are in the argument list strace printed: not twice */
    assert_non_null(strstr(d, "<... epoll_wait resumed> = 2 <"));
    free(d);
    tl_free(tl);
}

/* wait4's status as strace printed it: the import keeps it at the return
 * in the simulator's words (compare.c compares it); NULL and a failed call
 * (an address) have none */
static void test_wait_status(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/wait4.log");
    const char *want[] = {"[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]",
                          "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]",
                          "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM}]",
                          "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGABRT}]",
                          NULL, NULL};
    int n = 0;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type != EV_SYSCALL || e->sub != SYS_WAIT4)
            continue;
        assert_true(n < 6);
        if (want[n]) {
            assert_true(e->obj <= -2);
            assert_string_equal(tl->strs[TL_OBJ_STR(e->obj)], want[n]);
        } else {
            assert_true(e->obj >= -1);
        }
        n++;
    }
    assert_int_equal(n, 6);
    char st[64];
    assert_string_equal(tl_wstatus_text(st, sizeof st, 0x86),
                        "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGABRT && WCOREDUMP(s)}]");
    tl_free(tl);
}

static void test_ff(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/ff"); /* ff.100 and ff.101 */
    assert_int_equal(rep.calls, 11);
    assert_int_equal(tl->ntasks, 2);
    int sh = task_named(tl, "sh[100]");
    int ch = task_named(tl, "true[101]");
    assert_int_equal(tl->tasks[ch].parent, sh);
    /* the child closed the pipe's write end at execve (O_CLOEXEC) */
    struct wcur w;
    world_at(&w, tl, 1450000);
    assert_int_equal(world_fd_obj(&w.w, ch, 4), -1);
    assert_true(world_fd_obj(&w.w, sh, 3) >= 0);
    wcur_close(&w);
    char *d = dump(tl);
    assert_non_null(strstr(d, "fcntl(4, F_GETFD) = -1 EBADF (Bad file descriptor)"));
    free(d);
    tl_free(tl);
}

static void test_relative(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/relative.log");
    assert_int_equal(rep.timestamps, 2);
    /* -r: each time is from the line before; the sleep starts at 0.3 ms */
    long i;
    for (i = 0; i < (long)tl->nev; i++)
        if (tl->ev[i].type == EV_SYS_ENTER &&
            tl->ev[i].sub == SYS_CLOCK_NANOSLEEP)
            break;
    assert_true(i < (long)tl->nev);
    assert_int_equal(tl->ev[i].t, 300000);
    assert_int_equal(tl->ev[i + 1].type, EV_STATE);
    assert_int_equal(tl->ev[i + 1].a, TW_TIMER);
    /* the last line: 0.000100 after the one before, at 10.69 ms */
    assert_int_equal(tl->ev[tl->nev - 1].t, 10690000);
    tl_free(tl);
}

static void test_yy(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/yy.log");
    assert_int_equal(rep.timestamps, 1);
    assert_int_equal(rep.calls, 13);
    struct wcur w;
    world_at(&w, tl, 100150000); /* after recvfrom */
    int lo = world_fd_obj(&w.w, 0, 3);
    assert_int_equal(w.w.objs[lo].kind, OK_LISTEN);
    assert_int_equal(w.w.objs[lo].port, 9000);
    assert_true(w.w.objs[lo].flags & TL_FL_NONBLOCK); /* SOCK_NONBLOCK */
    int so = world_fd_obj(&w.w, 0, 6);
    assert_int_equal(w.w.objs[so].kind, OK_SOCKET);
    assert_true(w.w.objs[so].flags & TL_FL_NONBLOCK);
    /* dup2 onto fd 1: the pipe's read end */
    assert_int_equal(world_fd_obj(&w.w, 0, 1), world_fd_obj(&w.w, 0, 4));
    wcur_close(&w);
    /* the eventfd it was never seen making: its kind from -yy */
    int found = 0;
    for (int o = 0; o < tl->nobjs; o++)
        found += tl->objs[o].kind == OK_EVENTFD;
    assert_int_equal(found, 1);
    /* nonblocking accept4 and recvfrom never block; poll does */
    int blocked = 0;
    for (size_t i = 0; i < tl->nev; i++)
        blocked += tl->ev[i].type == EV_STATE && tl->ev[i].sub == TS_BLOCKED;
    assert_int_equal(blocked, 2); /* poll, and the read of fd 7 */
    tl_free(tl);
}

static void test_verbose(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/verbose.log");
    assert_int_equal(rep.bad, 0);
    assert_int_equal(tl->ntasks, 2);
    int c = task_named(tl, "801");
    assert_int_equal(tl->tasks[c].kind, TK_PROCESS);
    /* O_NONBLOCK from 0x80800's comment, cleared by F_SETFL 0x2, set again
       by FIONBIO */
    int flags[3], n = 0;
    for (size_t i = 0; i < tl->nev && n < 3; i++)
        if (tl->ev[i].type == EV_FLAGS)
            flags[n++] = tl->ev[i].sub;
    assert_int_equal(n, 3);
    assert_int_equal(flags[0], TL_FL_NONBLOCK);
    assert_int_equal(flags[1], 0);
    assert_int_equal(flags[2], TL_FL_NONBLOCK);
    char *d = dump(tl);
    assert_non_null(strstr(d, "800    +++ killed by SIGUSR1 +++"));
    free(d);
    tl_free(tl);
}

static void test_bad_lines(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/brackets.log");
    assert_int_equal(rep.calls, 5);
    assert_int_equal(rep.bad, 2);
    assert_int_equal(rep.truncated, 1);
    assert_int_equal(rep.notes, 1); /* "strace: Process 902 attached" */
    assert_int_equal(rep.first_bad[0].line, 5);
    assert_int_equal(rep.first_bad[1].line, 6);
    assert_non_null(strstr(rep.first_bad[1].text, "frobnicate"));
    assert_int_equal(tl->ntasks, 3);
    /* quotes, commas and parentheses inside a string */
    char *d = dump(tl);
    assert_non_null(strstr(d, "read(0, \"a,b)\\\"c\", 10)"));
    assert_non_null(strstr(d, "<... read resumed> = 6"));
    assert_non_null(strstr(d, "futex_wait(0x1, 0x2)")); /* syscall_0x1c7 */
    /* a quick write is not shown blocked */
    assert_null(strstr(d, "waiting for buffer space"));
    free(d);
    char out[1024];
    FILE *f = fmemopen(out, sizeof out, "w");
    strace_report_print(&rep, "iosim", f);
    fclose(f);
    assert_non_null(strstr(out, "2 lines not understood"));
    assert_non_null(strstr(out, "tests/strace/brackets.log:5: this line is not"));
    assert_non_null(strstr(out, "the last line was cut short"));
    tl_free(tl);
}

static void test_plain(void **state)
{
    (void)state;
    struct tl *tl = import("tests/strace/plain.log");
    assert_int_equal(rep.timestamps, 0);
    assert_int_equal(rep.calls, 3);
    assert_int_equal(tl->ntasks, 1);
    assert_string_equal(tl->tasks[0].name, "true[0]");
    for (size_t i = 1; i < tl->nev; i++)
        assert_true(tl->ev[i].t >= tl->ev[i - 1].t);
    tl_free(tl);
}

/* A trace longer than an event's time holds (tl.h: TL_T_MAX, 9 h 46 min)
 * stops there and says so */
static void test_too_long(void **state)
{
    (void)state;
    char path[] = "/tmp/iosim-strace-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char log[] =
        "1000 00:00:00.000000 getpid() = 1000 <0.000001>\n"
        "1000 09:00:00.000000 getpid() = 1000 <0.000001>\n"
        "1000 10:00:00.000000 getpid() = 1000 <0.000001>\n";
    assert_int_equal(write(fd, log, sizeof log - 1), (ssize_t)(sizeof log - 1));
    close(fd);
    struct tl *tl = import(path);
    unlink(path);
    assert_true(tl->truncated);
    assert_non_null(strstr(tl->note, "longer than 9 h 46 min"));
    assert_int_equal(calls(tl, "getpid"), 2);
    for (size_t i = 0; i < tl->nev; i++)
        assert_true(tl->ev[i].t <= TL_T_MAX);
    tl_free(tl);
}

static void test_errors(void **state)
{
    (void)state;
    char err[512];
    struct tl *tl = NULL;
    const char *none[] = {"tests/strace/no-such-log"};
    assert_int_equal(strace_import(none, 1, 0, &tl, &rep, err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, "tests/strace/no-such-log: error:"));
    const char *notlog[] = {"tests/strace/README"};
    FILE *f = fopen("build/not-a-log.txt", "w");
    assert_non_null(f);
    fputs("hello\nworld\n", f);
    fclose(f);
    notlog[0] = "build/not-a-log.txt";
    assert_int_equal(strace_import(notlog, 1, 0, &tl, &rep, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "no strace lines"));
    assert_null(tl);
    remove("build/not-a-log.txt");
}

/* A log larger than the memory budget: the import stops and says where */
static void test_budget(void **state)
{
    (void)state;
    const char *path = "build/budget-test.log";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200000; i++)
        fprintf(f, "1 10:00:%02d.%06d read(0, \"0123456789012345678901234567890\", "
                "4096) = 32 <0.000001>\n", i / 1000000 % 60, i % 1000000);
    fclose(f);
    char err[512];
    struct tl *tl = NULL;
    const char *paths[] = {path};
    assert_int_equal(strace_import(paths, 1, 24 << 20, &tl, &rep, err, sizeof err), 0);
    assert_true(rep.stopped_at > 1000 && rep.stopped_at < 200000);
    assert_int_equal(tl->truncated, 1);
    assert_non_null(strstr(tl->note, "--memory"));
    tl_free(tl);
    /* a limit below the log's own size */
    assert_int_equal(strace_import(paths, 1, 1 << 20, &tl, &rep, err, sizeof err), -EFBIG);
    assert_non_null(strstr(err, "--memory"));
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unfinished), cmocka_unit_test(test_ff),
        cmocka_unit_test(test_wait_status),
        cmocka_unit_test(test_relative), cmocka_unit_test(test_yy),
        cmocka_unit_test(test_verbose), cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_plain), cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_budget), cmocka_unit_test(test_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
