/*
 * test_trace.c - the builder that turns syscall records into a timeline
 * (src/real/trace.h): tasks, states, fd tables, copies, signals, exits,
 * checked on the world a viewer would see.
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

#include "real/trace.h"
#include "tl/text.h"
#include "tl/world.h"

static struct trace_call call(int tid, const char *name, int64_t t0, int64_t t1,
                              int64_t ret)
{
    struct trace_call c;
    trace_call_init(&c);
    c.tid = tid;
    c.sys = tl_sys_lookup(name);
    c.t_enter = t0;
    c.t_exit = t1;
    c.ret = ret;
    c.returned = 1;
    return c;
}

static void add(struct trace *tr, struct trace_call c)
{
    assert_true(c.sys >= 0);
    assert_int_equal(trace_call(tr, &c), 0);
}

static struct tl *finish(struct trace *tr)
{
    struct tl *tl = NULL;
    assert_int_equal(trace_finish(tr, "t", "t.log", "strace", &tl), 0);
    trace_free(tr);
    assert_non_null(tl);
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

/* The world after the first n events whose time is <= t */
static void world_at(struct wcur *c, const struct tl *tl, int64_t t)
{
    long n = 0;
    while ((size_t)n < tl->nev && tl->ev[n].t <= t)
        n++;
    assert_int_equal(wcur_open(c, tl), 0);
    assert_int_equal(wcur_seek(c, n), 0);
}

static void test_names_and_numbers(void **state)
{
    (void)state;
    assert_int_equal(tl_sys_lookup("read"), SYS_READ);
    assert_int_equal(tl_sys_of_nr(0), SYS_READ);
    assert_int_equal(tl_sys_of_nr(270), SYS_SELECT); /* pselect6 */
    int s = tl_sys_of_nr(288);
    assert_string_equal(tl_sys_name(s), "accept4");
    assert_int_equal(tl_sys_lookup("accept4"), s);
    assert_string_equal(tl_sys_name(tl_sys_of_nr(257)), "openat");
    assert_int_equal(tl_sys_of_nr(400), -1); /* a gap */
    assert_int_equal(tl_errno_value("ENOTTY"), -25);
    assert_string_equal(tl_errno_name(-115), "EINPROGRESS");
    char b[96];
    tl_ret_text(b, sizeof b, -513);
    assert_string_equal(b, " = ? ERESTARTNOINTR (To be restarted)");
}

/* A child that shows up before its parent's fork returns, a thread, an
 * exec naming them, a kill */
static void test_tasks(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    struct trace_call c = call(100, "execve", 0, 10, 0);
    c.path = "/usr/bin/python3";
    add(tr, c);
    c = call(100, "clone", 20, 50, 101);
    c.arg = 0x01200011; /* CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD */
    add(tr, call(101, "getpid", 30, 31, 101)); /* the child first */
    add(tr, c);
    c = call(100, "clone3", 60, 70, 102);
    c.arg = 0x3d0f00; /* ... CLONE_THREAD ... */
    add(tr, c);
    c = call(102, "futex", 80, -1, 0);
    c.returned = 0;
    c.arg = 9; /* FUTEX_WAIT_BITSET */
    add(tr, c);
    assert_int_equal(trace_exit(tr, 101, 90, 0, 0), 0);
    assert_int_equal(trace_exit(tr, 102, 95, 0, 9), 0);
    assert_int_equal(trace_exit(tr, 100, 96, 0, 9), 0);
    struct trace_counts n;
    trace_get_counts(tr, &n);
    assert_int_equal(n.calls, 5);
    assert_int_equal(n.unfinished, 1);
    struct tl *tl = finish(tr);
    assert_int_equal(tl->ntasks, 3);
    int p = task_named(tl, "python3[100]");
    int ch = task_named(tl, "python3[101]");
    int th = task_named(tl, "python3[102]");
    assert_int_equal(tl->tasks[ch].kind, TK_PROCESS);
    assert_int_equal(tl->tasks[ch].parent, p);
    assert_int_equal(tl->tasks[ch].proc, ch);
    assert_int_equal(tl->tasks[th].kind, TK_THREAD);
    assert_int_equal(tl->tasks[th].proc, p);
    /* times never go back */
    for (size_t i = 1; i < tl->nev; i++)
        assert_true(tl->ev[i].t >= tl->ev[i - 1].t);
    struct wcur cur;
    world_at(&cur, tl, 85);
    assert_int_equal(cur.w.tasks[th].state, TS_BLOCKED);
    assert_int_equal(cur.w.tasks[ch].state, TS_RUNNING);
    wcur_close(&cur);
    world_at(&cur, tl, 100);
    assert_int_equal(cur.w.tasks[th].state, TS_EXITED);
    assert_int_equal(cur.w.tasks[ch].state, TS_EXITED);
    wcur_close(&cur);
    /* the dump says "killed by" as strace does */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(tl_dump(tl, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "+++ killed by SIGKILL +++"));
    assert_non_null(strstr(buf, "+++ exited with 0 +++"));
    free(buf);
    tl_free(tl);
}

/* fds: socket, bind, listen, accept4, dup2 onto an open fd, close, pipe2,
 * fds from before the trace, a blocking read that copies */
static void test_fds(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    add(tr, call(7, "socket", 0, 1, 3));
    struct trace_call c = call(7, "bind", 2, 3, 0);
    c.fd = 3;
    c.arg = 8080;
    add(tr, c);
    c = call(7, "listen", 4, 5, 0);
    c.fd = 3;
    c.size = 128;
    add(tr, c);
    c = call(7, "accept4", 10, 100, 4);
    c.fd = 3;
    c.flags = TL_FL_NONBLOCK | TRACE_FD_CLOEXEC;
    add(tr, c);
    c = call(7, "read", 110, 200, 42);
    c.fd = 4;
    c.size = 4096;
    c.text = "4, \"hello\"..., 4096";
    add(tr, c);
    c = call(7, "pipe2", 210, 211, 0);
    c.fds[0] = 5;
    c.fds[1] = 6;
    add(tr, c);
    c = call(7, "dup2", 220, 221, 4); /* onto the open fd 4 */
    c.fd = 5;
    c.fd2 = 4;
    add(tr, c);
    c = call(7, "write", 230, 231, 3); /* fd 1: open before the trace */
    c.fd = 1;
    c.size = 3;
    add(tr, c);
    c = call(7, "close", 240, 241, -EBADF); /* fails: changes nothing */
    c.fd = 9;
    add(tr, c);
    c = call(7, "close", 250, 251, 0);
    c.fd = 5;
    add(tr, c);
    struct tl *tl = finish(tr);
    int t = 0;
    struct wcur cur;
    /* fd 1, used at 230 but never made, is there from the start */
    world_at(&cur, tl, 0);
    assert_true(world_fd_obj(&cur.w, t, 1) >= 0);
    assert_int_equal(tl->objs[world_fd_obj(&cur.w, t, 1)].kind, OK_TTY);
    wcur_close(&cur);
    world_at(&cur, tl, 50);
    assert_int_equal(cur.w.tasks[t].state, TS_BLOCKED); /* in accept4 */
    int lo = world_fd_obj(&cur.w, t, 3);
    assert_true(lo >= 0);
    assert_int_equal(cur.w.objs[lo].kind, OK_LISTEN);
    assert_int_equal(cur.w.objs[lo].port, 8080);
    wcur_close(&cur);
    world_at(&cur, tl, 150);
    int so = world_fd_obj(&cur.w, t, 4);
    assert_true(so >= 0);
    assert_int_equal(tl->objs[so].kind, OK_SOCKET);
    assert_int_equal(tl->objs[so].port, 8080);
    assert_true(cur.w.objs[so].flags & TL_FL_NONBLOCK);
    /* nonblocking: the read runs, it does not sleep */
    assert_int_equal(cur.w.tasks[t].state, TS_RUNNING);
    assert_int_equal(cur.w.tasks[t].sys, SYS_READ);
    wcur_close(&cur);
    world_at(&cur, tl, 300);
    int pr = world_fd_obj(&cur.w, t, 4);
    assert_true(pr >= 0 && pr != so);
    assert_int_equal(tl->objs[pr].kind, OK_PIPE_R);
    assert_int_equal(world_fd_obj(&cur.w, t, 5), -1);
    assert_int_equal(world_fd_obj(&cur.w, t, 6) >= 0, 1);
    assert_int_equal(world_fd_obj(&cur.w, t, 9), -1);
    assert_int_equal(cur.w.objs[so].live, 0); /* its last fd went */
    assert_int_equal(cur.w.objs[pr].refs, 1);
    int out = world_fd_obj(&cur.w, t, 1);
    assert_true(out >= 0);
    assert_int_equal(tl->objs[out].kind, OK_TTY);
    wcur_close(&cur);
    /* the read copied 42 bytes to user space, shown with strace's text */
    int copies = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_COPY && tl->ev[i].sub == TC_TO_USER) {
            assert_int_equal(tl->ev[i].a, 42);
            copies++;
        }
    assert_int_equal(copies, 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(tl_dump(tl, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "read(4, \"hello\"..., 4096) = 42 <0.000000090>"));
    assert_non_null(strstr(buf, "close(9) = -1 EBADF (Bad file descriptor)"));
    free(buf);
    tl_free(tl);
}

/* vfork: the parent sleeps until the child execs */
static void test_vfork(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    struct trace_call c = call(1, "vfork", 0, 100, 2);
    add(tr, c);
    c = call(2, "execve", 10, 90, 0);
    c.path = "/bin/ls";
    add(tr, c);
    struct tl *tl = finish(tr);
    struct wcur cur;
    world_at(&cur, tl, 50);
    assert_int_equal(cur.w.tasks[0].state, TS_BLOCKED);
    assert_int_equal(cur.w.tasks[0].wait, TW_CHILD);
    int ch = task_named(tl, "ls[2]");
    assert_int_equal(tl->tasks[ch].parent, 0);
    wcur_close(&cur);
    tl_free(tl);
}

/* A signal handled, a blocking call cut short with ERESTARTSYS */
static void test_signals(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    struct trace_call c = call(5, "rt_sigaction", 0, 1, 0);
    c.arg = 17;
    c.size = 1;
    add(tr, c);
    c = call(5, "wait4", 10, 50, -TL_ERESTARTSYS);
    c.arg = -1;
    add(tr, c);
    assert_int_equal(trace_signal(tr, 5, 50, 17), 0);
    assert_int_equal(trace_signal(tr, 5, 60, 10), 0);
    struct tl *tl = finish(tr);
    int handled = -1, raised = -1;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_SIGNAL) {
            if (tl->ev[i].a == 17)
                handled = tl->ev[i].sub;
            else
                raised = tl->ev[i].sub;
        }
    assert_int_equal(handled, 1);
    assert_int_equal(raised, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(tl_dump(tl, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "ERESTARTSYS (To be restarted if SA_RESTART is set)"));
    free(buf);
    tl_free(tl);
}

/* Every moment of a task keeps its order even when -T and the timestamps
 * disagree */
static void test_clamp(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    add(tr, call(1, "getpid", 0, 500, 1)); /* returns "after" the next */
    add(tr, call(1, "getpid", 400, 410, 1));
    struct tl *tl = finish(tr);
    for (size_t i = 1; i < tl->nev; i++)
        assert_true(tl->ev[i].t >= tl->ev[i - 1].t);
    struct wcur cur;
    assert_int_equal(wcur_open(&cur, tl), 0);
    assert_int_equal(wcur_seek(&cur, (long)tl->nev), 0);
    assert_int_equal(cur.w.tasks[0].sys, -1);
    wcur_close(&cur);
    tl_free(tl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_numbers),
        cmocka_unit_test(test_tasks),
        cmocka_unit_test(test_fds),
        cmocka_unit_test(test_signals),
        cmocka_unit_test(test_vfork),
        cmocka_unit_test(test_clamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
