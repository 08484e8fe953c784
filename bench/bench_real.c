/*
 * bench_real.c - what iosim's tracer costs a real run, beside strace.
 *
 *   real.untraced_ms    a ping-pong of 1-byte messages between two
 *                       processes over two pipes (2 x 2,000 round trips,
 *                       8,000 read/write calls), run for real in the
 *                       sandbox, untraced
 *   real.traced_ms      the same run under iosim's tracer
 *   real.strace_ms      the same untraced run under `strace -f -o /dev/null`
 *   real.overhead_vs_strace  (traced - untraced) / (strace - untraced)
 * Target (issue "src/real"): the tracer's overhead is at most half of
 * strace's, real.overhead_vs_strace <= 0.5.  Each figure is the median of
 * 5 runs.  Skipped (exit 0, with the reason) where the sandbox cannot be
 * made or strace is not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "real/runner.h"
#include "sim/scn.h"

static const char scenario[] =
    "process pingpong {\n"
    "    a, b = pipe\n"
    "    c, d = pipe\n"
    "    x = fork {\n"
    "        repeat 2000 {\n"
    "            n = read a 1\n"
    "            write d 1\n"
    "        }\n"
    "    }\n"
    "    repeat 2000 {\n"
    "        write b 1\n"
    "        n = read c 1\n"
    "    }\n"
    "    wait\n"
    "}\n";

#define RUNS 5

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double one(struct prog *p, int trace)
{
    struct real_run_opts o = {.lim = REAL_LIMITS_DEFAULT, .scale = 1};
    struct real_log log;
    double t0 = now_ms();
    int rc = real_run(p, &o, trace, &log);
    double t = now_ms() - t0;
    if (rc < 0 || log.status != 0 || log.timed_out) {
        fprintf(stderr, "bench_real: the run failed: %s\n", log.err);
        t = -1;
    }
    real_log_free(&log);
    return t;
}

/* The untraced run, wrapped in strace -f (argv0 --untraced) */
static double under_strace(const char *self)
{
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        execlp("strace", "strace", "-f", "-qq", "-o", "/dev/null", self,
               "--untraced", (char *)NULL);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        return -1;
    return now_ms() - t0;
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof *v, cmp_d);
    return v[RUNS / 2];
}

int main(int argc, char **argv)
{
    char err[1024];
    struct prog *p = scn_parse("pingpong.scn", scenario, strlen(scenario), err,
                               sizeof err);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (argc > 1 && !strcmp(argv[1], "--untraced")) {
        int rc = one(p, REAL_UNTRACED) < 0;
        prog_free(p);
        return rc;
    }
    char why[256];
    if (real_sandbox_probe(why, sizeof why) < 0) {
        printf("# real.* skipped: %s\n", why);
        prog_free(p);
        return 0;
    }
    int have_strace = system("strace -V >/dev/null 2>&1") == 0;
    double u[RUNS], t[RUNS], s[RUNS];
    for (int i = 0; i < RUNS; i++) {
        u[i] = one(p, REAL_UNTRACED);
        t[i] = one(p, REAL_TRACE_MARKED);
        s[i] = have_strace ? under_strace(argv[0]) : 0;
        if (u[i] < 0 || t[i] < 0 || s[i] < 0) {
            prog_free(p);
            return 1;
        }
    }
    prog_free(p);
    double mu = median(u), mt = median(t), ms = median(s);
    printf("real.untraced_ms %.1f ms\n", mu);
    printf("real.traced_ms %.1f ms\n", mt);
    if (!have_strace) {
        printf("# real.strace_ms skipped: strace is not installed "
               "(apt-get install strace)\n");
        return 0;
    }
    printf("real.strace_ms %.1f ms\n", ms);
    double ratio = ms > mu ? (mt - mu) / (ms - mu) : 99;
    printf("real.overhead_vs_strace %.2f ratio\n", ratio);
    if (ratio > 0.5) {
        fprintf(stderr, "bench_real: the tracer's overhead is %.2f of "
                "strace's, the target is 0.5 (%.2f over)\n", ratio, ratio - 0.5);
        return 1;
    }
    return 0;
}
