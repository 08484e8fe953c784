/*
 * test_real.c - the tracer on small fixture programs: fork, threads,
 * EAGAIN, end of file, a signal that interrupts a call, a killed child,
 * exec, the deadline; and after every run, that no process is left.
 * Each fixture runs in the sandbox (its own user and network namespace);
 * where this machine does not allow one, the tests are skipped.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "real/real.h"

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

/* No process of the run is left, and iosim has no child at all */
static void assert_nothing_left(const struct real_log *log)
{
    assert_true(log->root > 0);
    errno = 0;
    assert_int_equal(kill(-log->root, 0), -1);
    assert_int_equal(errno, ESRCH);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void run(int (*fn)(void *), struct real_log *log)
{
    struct real_limits lim = REAL_LIMITS_DEFAULT;
    lim.deadline_ns = 5000000000LL;
    int r = real_trace_run(fn, NULL, &lim, REAL_TRACE_ALL, log);
    if (r < 0)
        fail_msg("real_trace_run: %s", log->err);
    assert_false(log->timed_out);
    assert_nothing_left(log);
}

/* The index of the first CALL record of nr at or after from, in any task
 * (tid 0) or in tid; -1 if none */
static long find_call(const struct real_log *log, long from, int nr, int tid)
{
    for (size_t i = (size_t)from; i < log->n; i++)
        if (log->rec[i].kind == REAL_REC_CALL && log->rec[i].nr == nr &&
            (!tid || log->rec[i].tid == tid))
            return (long)i;
    return -1;
}

static long find_kind(const struct real_log *log, int kind, int tid)
{
    for (size_t i = 0; i < log->n; i++)
        if (log->rec[i].kind == kind && (!tid || log->rec[i].tid == tid))
            return (long)i;
    return -1;
}

/* ---- fixtures ---------------------------------------------------------- */

static int fx_fork(void *arg)
{
    (void)arg;
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t c = fork();
    if (c == 0) {
        ssize_t n = write(p[1], "hello", 5);
        _exit(n == 5 ? 3 : 4);
    }
    char buf[16];
    ssize_t n = read(p[0], buf, sizeof buf);
    int st;
    waitpid(c, &st, 0);
    return n == 5 && WEXITSTATUS(st) == 3 ? 0 : 1;
}

static void test_fork(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    run(fx_fork, &log);
    assert_int_equal(log.status, 0);
    long pi = find_call(&log, 0, SYS_pipe2, 0);
    assert_true(pi >= 0);
    assert_true(log.rec[pi].ret == 0);
    int rfd = (int)(log.rec[pi].a & 0xffffffff), wfd = (int)(log.rec[pi].a >> 32);
    long cl = find_call(&log, pi, SYS_clone, 0);
    assert_true(cl >= 0);
    int child = (int)log.rec[cl].ret;
    assert_true(child > 0);
    long nt = find_kind(&log, REAL_REC_NEWTASK, 0);
    assert_true(nt >= 0);
    assert_int_equal(log.rec[nt].a, child);
    assert_int_equal(log.rec[nt].b, 0);
    long w = find_call(&log, 0, SYS_write, child);
    assert_true(w >= 0);
    assert_int_equal(log.rec[w].args[0], wfd);
    assert_int_equal(log.rec[w].args[2], 5);
    assert_int_equal(log.rec[w].ret, 5);
    assert_int_equal(log.rec[w].pid, child);
    long rd = find_call(&log, 0, SYS_read, log.root);
    assert_true(rd >= 0);
    assert_int_equal(log.rec[rd].args[0], rfd);
    assert_int_equal(log.rec[rd].ret, 5);
    assert_true(log.rec[rd].t_exit >= log.rec[rd].t_enter);
    long wt = find_call(&log, 0, SYS_wait4, log.root);
    assert_true(wt >= 0);
    assert_int_equal(log.rec[wt].ret, child);
    assert_true(WIFEXITED(log.rec[wt].a) && WEXITSTATUS(log.rec[wt].a) == 3);
    long ex = find_kind(&log, REAL_REC_EXIT, child);
    assert_true(ex >= 0);
    assert_int_equal(log.rec[ex].a, 3);
    assert_int_equal(log.rec[ex].b, 0);
    long eg = find_call(&log, 0, SYS_exit_group, child);
    assert_true(eg >= 0 && log.rec[eg].unfinished);
    real_log_free(&log);
}

static void *fx_thread_main(void *arg)
{
    int *fds = arg;
    ssize_t n = write(fds[1], "x", 1);
    (void)n;
    return NULL;
}

static int fx_threads(void *arg)
{
    (void)arg;
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pthread_t t;
    if (pthread_create(&t, NULL, fx_thread_main, p))
        return 1;
    char c;
    ssize_t n = read(p[0], &c, 1);
    struct timespec ts = {0, 20000000};
    (void)ts;
    pthread_join(t, NULL);
    return n == 1 ? 0 : 1;
}

static void test_threads(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    run(fx_threads, &log);
    assert_int_equal(log.status, 0);
    long cl = find_call(&log, 0, SYS_clone3, log.root);
    assert_true(cl >= 0);
    int tid = (int)log.rec[cl].ret;
    long nt = find_kind(&log, REAL_REC_NEWTASK, log.root);
    assert_true(nt >= 0);
    assert_int_equal(log.rec[nt].a, tid);
    assert_int_equal(log.rec[nt].b, 1);
    long w = find_call(&log, 0, SYS_write, tid);
    assert_true(w >= 0);
    assert_int_equal(log.rec[w].pid, log.root); /* a thread of the process */
    long ex = find_call(&log, 0, SYS_exit, tid);
    assert_true(ex >= 0);
    real_log_free(&log);
}

static int fx_eagain_eof(void *arg)
{
    (void)arg;
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        return 1;
    char c;
    ssize_t a = read(p[0], &c, 1); /* EAGAIN */
    close(p[1]);
    ssize_t b = read(p[0], &c, 1); /* 0: end of file */
    return a == -1 && errno != EAGAIN ? 1 : b == 0 ? 0 : 2;
}

static void test_eagain_eof(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    run(fx_eagain_eof, &log);
    assert_int_equal(log.status, 0);
    long r1 = find_call(&log, 0, SYS_read, 0);
    assert_true(r1 >= 0);
    assert_int_equal(log.rec[r1].ret, -EAGAIN);
    long cl = find_call(&log, r1, SYS_close, 0);
    assert_true(cl >= 0);
    long r2 = find_call(&log, cl, SYS_read, 0);
    assert_true(r2 >= 0);
    assert_int_equal(log.rec[r2].ret, 0);
    real_log_free(&log);
}

static volatile sig_atomic_t got;
static void on_alarm(int sig)
{
    (void)sig;
    got = 1;
}

static int fx_signal(void *arg)
{
    (void)arg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    int r = pause();
    return r == -1 && errno == EINTR && got ? 0 : 1;
}

static void test_signal(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    run(fx_signal, &log);
    assert_int_equal(log.status, 0);
    long sa = find_call(&log, 0, SYS_rt_sigaction, 0);
    assert_true(sa >= 0);
    assert_int_equal(log.rec[sa].args[0], SIGALRM);
    long pa = find_call(&log, sa, SYS_pause, 0);
    assert_true(pa >= 0);
    /* as strace shows it: pause() = ? ERESTARTNOHAND, the signal, and
     * rt_sigreturn() = -1 EINTR */
    assert_int_equal(log.rec[pa].ret, -514);
    long sg = find_kind(&log, REAL_REC_SIGNAL, 0);
    assert_true(sg > pa);
    assert_int_equal(log.rec[sg].a, SIGALRM);
    long rs = find_call(&log, sg, SYS_rt_sigreturn, 0);
    assert_true(rs >= 0);
    assert_int_equal(log.rec[rs].ret, -EINTR);
    real_log_free(&log);
}

static int fx_killed(void *arg)
{
    (void)arg;
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    kill(c, SIGKILL);
    int st;
    waitpid(c, &st, 0);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 0 : 1;
}

static void test_killed_child(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    run(fx_killed, &log);
    assert_int_equal(log.status, 0);
    long cl = find_call(&log, 0, SYS_clone, log.root);
    assert_true(cl >= 0);
    int child = (int)log.rec[cl].ret;
    long pa = find_call(&log, 0, SYS_pause, child);
    assert_true(pa >= 0);
    assert_true(log.rec[pa].unfinished);
    long ex = find_kind(&log, REAL_REC_EXIT, child);
    assert_true(ex >= 0);
    assert_int_equal(log.rec[ex].b, 1);
    assert_int_equal(log.rec[ex].a, SIGKILL);
    long k = find_call(&log, 0, SYS_kill, log.root);
    assert_true(k >= 0);
    assert_int_equal(log.rec[k].args[1], SIGKILL);
    real_log_free(&log);
}

static int fx_exec(void *arg)
{
    (void)arg;
    pid_t c = fork();
    if (c == 0) {
        char *argv[] = {"true", NULL};
        execv("/bin/true", argv);
        _exit(99);
    }
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void test_exec(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    run(fx_exec, &log);
    assert_int_equal(log.status, 0);
    long cl = find_call(&log, 0, SYS_clone, log.root);
    assert_true(cl >= 0);
    int child = (int)log.rec[cl].ret;
    long ev = find_call(&log, 0, SYS_execve, child);
    assert_true(ev >= 0);
    assert_int_equal(log.rec[ev].ret, 0);
    long ex = find_kind(&log, REAL_REC_EXEC, child);
    assert_true(ex > ev);
    long eg = find_call(&log, ex, SYS_exit_group, child); /* /bin/true's */
    assert_true(eg >= 0);
    real_log_free(&log);
}

static int fx_forever(void *arg)
{
    (void)arg;
    if (fork() == 0) /* a child that would outlive its parent */
        for (;;)
            pause();
    for (;;)
        pause();
    return 0;
}

static void test_deadline(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    struct real_limits lim = REAL_LIMITS_DEFAULT;
    lim.deadline_ns = 200000000;
    assert_int_equal(real_trace_run(fx_forever, NULL, &lim, REAL_TRACE_ALL, &log), 0);
    assert_true(log.timed_out);
    assert_true(log.wall_ns < 3000000000LL);
    assert_nothing_left(&log);
    real_log_free(&log);
    /* untraced, the same */
    assert_int_equal(real_trace_run(fx_forever, NULL, &lim, REAL_UNTRACED, &log), 0);
    assert_true(log.timed_out);
    assert_nothing_left(&log);
    real_log_free(&log);
}

static int fx_network(void *arg)
{
    (void)arg;
    /* only a loopback: any other address is unreachable */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
    a.sin_addr.s_addr = htonl(0x08080808); /* 8.8.8.8 */
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    return r < 0 && errno == ENETUNREACH ? 0 : 1;
}

static void test_network_contained(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    run(fx_network, &log);
    assert_int_equal(log.status, 0);
    long c = find_call(&log, 0, SYS_connect, 0);
    assert_true(c >= 0);
    assert_int_equal(log.rec[c].a, 80); /* the port, read from the sockaddr */
    assert_int_equal(log.rec[c].ret, -ENETUNREACH);
    real_log_free(&log);
}

static int fx_untraced_calls(void *arg)
{
    (void)arg;
    /* getpid is not a syscall of interest: it must not stop or show */
    for (int i = 0; i < 100; i++)
        syscall(SYS_getpid);
    return 0;
}

static void test_filter(void **state)
{
    (void)state;
    need_sandbox();
    struct real_log log;
    run(fx_untraced_calls, &log);
    for (size_t i = 0; i < log.n; i++)
        if (log.rec[i].kind == REAL_REC_CALL)
            assert_true(real_is_traced(log.rec[i].nr));
    assert_int_equal(find_call(&log, 0, SYS_getpid, 0), -1);
    real_log_free(&log);
}

/* Where user namespaces are forbidden (here by a seccomp filter that
 * fails unshare with EPERM, as a locked-down container does), the run is
 * not made and one line says why */
static int fx_nothing(void *arg)
{
    (void)arg;
    return 0;
}

static void test_no_namespaces(void **state)
{
    (void)state;
    need_sandbox();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {.len = 4, .filter = f};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
            _exit(3);
        char why[256];
        if (real_sandbox_probe(why, sizeof why) == 0)
            _exit(4);
        struct real_log log;
        struct real_limits lim = REAL_LIMITS_DEFAULT;
        int r = real_trace_run(fx_nothing, NULL, &lim, REAL_TRACE_ALL, &log);
        int ok = r == -EPERM && strstr(log.err, "namespace") &&
                 !strchr(log.err, '\n') && strstr(why, "namespace");
        _exit(ok ? 0 : 5);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fork),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_eagain_eof),
        cmocka_unit_test(test_signal),
        cmocka_unit_test(test_killed_child),
        cmocka_unit_test(test_exec),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_network_contained),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_no_namespaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
