/*
 * bench.c - speed and memory figures, one "name value unit" line each.
 *
 *   engine.events_per_s     timeline events recorded per second of wall
 *                           time, on a generated scenario that keeps 10,000
 *                           agenda items pending (10,000 peers with timers
 *                           and a server they talk to)
 *   seek.p50_ms, seek.p99_ms  random seeks, both directions, over >= 10^6
 *                           events
 *   memory.bytes_per_event  timeline + checkpoints, per event
 *   strace_import.lines_per_s  lines of a generated strace -f -tt -T -yy
 *                           log (10^6 lines: an epoll server and its
 *                           workers) parsed and built into a timeline, per
 *                           second
 * Targets (issue "Foundation"): >= 2e6 events/s, p50 <= 2 ms, p99 <= 10 ms,
 * <= 100 bytes/event; 10^6 strace lines in 5 s (>= 2e5 lines/s).
 * `make bench` prints them and exits 1 if one is missed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "real/strace.h"
#include "sim/scn.h"
#include "sim/sim.h"
#include "tl/world.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char scenario[] =
    "title \"bench\"\n"
    "machine {\n    cpus 2\n    events 20000000\n    limit 600s\n}\n"
    "process server {\n    s = socket\n    listen s 80\n    loop {\n"
    "        c = accept s\n        t = thread {\n            loop {\n"
    "                n = read c 4K\n                if n <= 0 {\n"
    "                    break\n                }\n"
    "                write c 512\n            }\n            close c\n"
    "        }\n    }\n}\n"
    "peer chatty count 200 every 10us {\n    sleep 1ms\n    c = connect 80\n"
    "    repeat 400 {\n        send c 100\n        n = recv c 4K\n"
    "        sleep 2ms\n    }\n    close c\n}\n"
    "peer idle count 10000 every 1us {\n    repeat 100 {\n"
    "        sleep 7ms\n    }\n}\n";

/* A log of 10^6 lines as strace -f -tt -T -yy writes them: a server
 * thread in epoll_wait, workers accepting, reading, writing and closing,
 * some calls split by other tasks' lines.  Returns the parse rate or -1. */
static double bench_strace(long *nlines)
{
    enum { LINES = 1000000 };
    size_t cap = (size_t)LINES * 160, n = 0;
    char *log = malloc(cap);
    if (!log)
        return -1;
    long us = 0, k = 0;
    n += (size_t)snprintf(log + n, cap - n, "1000 10:00:00.000000 execve(\"/usr/sbin/srv\", "
                          "[\"srv\"], 0x7ffd /* 3 vars */) = 0 <0.000100>\n");
    for (int w = 0; w < 4; w++)
        n += (size_t)snprintf(log + n, cap - n, "1000 10:00:00.%06ld clone3({flags=CLONE_VM|"
                              "CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, ...}, 88) "
                              "= %d <0.000020>\n", ++us, 1001 + w);
    while (k < LINES - 16) {
        int t = 1001 + (int)(k % 4), fd = 10 + (int)(k % 4);
        long s = us / 1000000, u = us % 1000000;
#define L(...) (n += (size_t)snprintf(log + n, cap - n, __VA_ARGS__), k++)
        L("1000 10:%02ld:%02ld.%06ld epoll_wait(3<anon_inode:[eventpoll]>,  <unfinished ...>\n",
          s / 60 % 60, s % 60, u);
        L("%d 10:%02ld:%02ld.%06ld accept4(4<TCP:[0.0.0.0:8080]>, {sa_family=AF_INET, "
          "sin_port=htons(41000), sin_addr=inet_addr(\"127.0.0.1\")}, [16], SOCK_CLOEXEC) = "
          "%d<TCP:[127.0.0.1:8080->127.0.0.1:41000]> <0.000004>\n", t, s / 60 % 60, s % 60, u + 1, fd);
        L("%d 10:%02ld:%02ld.%06ld read(%d<TCP:[127.0.0.1:8080->127.0.0.1:41000]>, \"GET / "
          "HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\", 4096) = 27 <0.000003>\n", t, s / 60 % 60,
          s % 60, u + 2, fd);
        L("%d 10:%02ld:%02ld.%06ld write(%d<TCP:[127.0.0.1:8080->127.0.0.1:41000]>, \"HTTP/1.1 "
          "200 OK\\r\\n\"..., 120) = 120 <0.000005>\n", t, s / 60 % 60, s % 60, u + 3, fd);
        L("%d 10:%02ld:%02ld.%06ld read(%d<TCP:[127.0.0.1:8080->127.0.0.1:41000]>, "
          "0x7ffd1000, 4096) = -1 EAGAIN (Resource temporarily unavailable) <0.000002>\n", t,
          s / 60 % 60, s % 60, u + 4, fd);
        L("%d 10:%02ld:%02ld.%06ld close(%d<TCP:[127.0.0.1:8080->127.0.0.1:41000]>) = 0 "
          "<0.000003>\n", t, s / 60 % 60, s % 60, u + 5, fd);
        L("1000 10:%02ld:%02ld.%06ld <... epoll_wait resumed>[{events=EPOLLIN, data={u32=4, "
          "u64=4}}], 64, -1) = 1 <0.000006>\n", s / 60 % 60, s % 60, u + 6);
        L("1000 10:%02ld:%02ld.%06ld futex(0x55d0d0, FUTEX_WAKE_PRIVATE, 1) = 1 <0.000002>\n",
          s / 60 % 60, s % 60, u + 7);
#undef L
        us += 10;
    }
    double t0 = now_s();
    struct trace *tr = trace_new();
    struct strace_report rep;
    memset(&rep, 0, sizeof rep);
    struct tl *tl = NULL;
    int rc = tr ? strace_parse(tr, "bench.log", log, n, 0, &rep) : -1;
    if (!rc)
        rc = trace_finish(tr, "bench", "bench.log", "strace", &tl);
    double t1 = now_s();
    trace_free(tr);
    free(log);
    *nlines = rep.lines;
    if (rc || rep.bad || !tl)
        return -1;
    printf("strace_import.events %zu events\n", tl->nev);
    tl_free(tl);
    return (double)rep.lines / (t1 - t0);
}

int main(void)
{
    char err[1024];
    int bad = 0;
    struct prog *p = scn_parse("bench.scn", scenario, strlen(scenario), err, sizeof err);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    double t0 = now_s();
    struct tl *tl = sim_run(p, NULL, err, sizeof err);
    double t1 = now_s();
    prog_free(p);
    if (!tl) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    double eps = (double)tl->nev / (t1 - t0);
    printf("engine.events %zu events\n", tl->nev);
    printf("engine.events_per_s %.0f events/s\n", eps);
    bad |= eps < 2e6;

    struct wcur c;
    double t2 = now_s();
    if (wcur_open(&c, tl)) {
        fprintf(stderr, "bench: out of memory\n");
        return 1;
    }
    double t3 = now_s();
    printf("seek.open_ms %.1f ms\n", (t3 - t2) * 1e3);
    enum { N = 2000 };
    static double ms[N];
    srand(42);
    for (int i = 0; i < N; i++) {
        long idx = (long)(((double)rand() / RAND_MAX) * (double)tl->nev);
        double a = now_s();
        wcur_seek(&c, idx);
        ms[i] = (now_s() - a) * 1e3;
    }
    qsort(ms, N, sizeof ms[0], cmp_d);
    printf("seek.p50_ms %.3f ms\n", ms[N / 2]);
    printf("seek.p99_ms %.3f ms\n", ms[N * 99 / 100]);
    bad |= ms[N / 2] > 2.0 || ms[N * 99 / 100] > 10.0 || tl->nev < 1000000;
    double bpe = (double)(tl->evcap * sizeof(struct tl_ev) + c.cp_bytes) /
                 (double)tl->nev;
    printf("memory.bytes_per_event %.1f bytes\n", bpe);
    printf("memory.checkpoints %d checkpoints\n", c.ncps);
    bad |= bpe > 100;
    wcur_close(&c);
    tl_free(tl);
    long nl = 0;
    double lps = bench_strace(&nl);
    printf("strace_import.lines %ld lines\n", nl);
    printf("strace_import.lines_per_s %.0f lines/s\n", lps);
    bad |= lps < 2e5;
    if (bad)
        fprintf(stderr, "bench: a target was missed\n");
    return bad;
}
