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
 * Targets (issue "Foundation"): >= 2e6 events/s, p50 <= 2 ms, p99 <= 10 ms,
 * <= 100 bytes/event.  `make bench` prints them and exits 1 if one is missed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    if (bad)
        fprintf(stderr, "bench: a target was missed\n");
    return bad;
}
