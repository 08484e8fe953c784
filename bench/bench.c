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
 * On a generated epoll server with 10,000 connections (about 1.5 M
 * events), what a user pays:
 *   epoll.records_per_s     timeline events recorded per second (sim_run)
 *   viewer.open_s           viewer_open (cursor checkpoints, lanes), in
 *                           seconds per 10^6 events
 *   seek.p50_ms, seek.p99_ms  20,000 random seeks both ways on that world,
 *                           each result checked
 *   viewer.key_p99_ms       one key (each key that moves or selects, in
 *                           turn, from random places) and its frame at
 *                           200x60: the cells (frame.cells_ms), then curses
 *                           writing them to a pseudo-terminal
 *                           (frame.curses_ms), as the viewer draws it
 *   viewer.jump_max_ms      a random jump and its frame, the same way,
 *                           worst of 200
 *   memory.rss_per_event    peak resident memory of the process, world
 *                           and viewer open, over events
 *   memory.counted_per_event  what the timeline and checkpoints say they
 *                           hold, over events; memory.counted_gap: how far
 *                           that is from the RSS, in % of it
 *   export.dump_per_s, export.json_per_s  events written by --dump and
 *                           --export json (to /dev/null), per second, the
 *                           best of three runs
 *   c10k.s                  scenarios/c10k.scn parsed, simulated, viewer
 *                           opened and its first frame drawn (cells)
 * A missed target is printed on stderr with its gap, and `make bench`
 * exits 1; a target is never loosened to pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "real/strace.h"
#include "sim/scn.h"
#include "sim/sim.h"
#include "tl/export.h"
#include "tl/text.h"
#include "tl/world.h"
#include "ui/keys.h"
#include "ui/term.h"
#include "ui/ui.h"
#include "ui/viewer.h"

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

static int missed;

/* one target: "name value unit", and on stderr the gap if it is missed */
static void target(const char *name, double val, const char *unit, int le,
                   double lim)
{
    printf("%s %.3f %s\n", name, val, unit);
    fflush(stdout);
    if (le ? val > lim : val < lim) {
        fprintf(stderr, "bench: %s %.3f %s misses its target %s %g by %.3f "
                "(%.0f%%)\n", name, val, unit, le ? "<=" : ">=", lim,
                le ? val - lim : lim - val,
                lim ? 100.0 * (le ? val - lim : lim - val) / lim : 0.0);
        missed = 1;
    }
}

static const char epoll_scenario[] =
    "title \"bench epoll\"\n"
    "model epoll\n"
    "machine {\n    cpus 1\n    latency 100us\n    backlog 16384\n    limit 20s\n}\n"
    "server web {\n    model epoll\n    port 8080\n    work 20us\n    reply 2K\n"
    "    nofile 16384\n}\n"
    "peer browser count 10000 every 10us at 1ms {\n    c = connect 8080\n"
    "    repeat 5 {\n        send c 300\n        n = recv c 4K\n        sleep 20ms\n"
    "    }\n    close c\n}\n";

static long peak_rss_bytes(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss * 1024L;
}

/* Events an export writes per second (to /dev/null), the best of three
 * runs: on a shared machine the others' load only ever slows a run down */
static double time_export(const struct tl *tl, int json)
{
    double best = -1;
    for (int run = 0; run < 3; run++) {
        FILE *f = fopen("/dev/null", "w");
        if (!f)
            return -1;
        double t0 = now_s();
        int rc = json ? tl_export_json(tl, f) : tl_dump(tl, f);
        double t1 = now_s();
        fclose(f);
        if (rc)
            return -1;
        if ((double)tl->nev / (t1 - t0) > best)
            best = (double)tl->nev / (t1 - t0);
    }
    return best;
}

/*
 * A pseudo-terminal in place of stdin and stdout, so that term.c's curses
 * draws to it as to a user's terminal, and a thread that reads what it
 * writes (a terminal emulator's part).  pty_close() gives the descriptors
 * back and returns how many bytes curses wrote.
 */
struct pty {
    int master, in, out;
    pthread_t reader;
    long bytes;
};

static void *pty_drain(void *arg)
{
    struct pty *p = arg;
    char buf[65536];
    ssize_t n;
    while ((n = read(p->master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            p->bytes += n;
    return NULL;
}

static int pty_open(struct pty *p, int cols, int rows)
{
    memset(p, 0, sizeof *p);
    p->master = posix_openpt(O_RDWR | O_NOCTTY);
    if (p->master < 0 || grantpt(p->master) || unlockpt(p->master))
        return -1;
    int slave = open(ptsname(p->master), O_RDWR | O_NOCTTY);
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    if (slave < 0 || ioctl(slave, TIOCSWINSZ, &ws)) {
        close(p->master);
        return -1;
    }
    fflush(stdout);
    p->in = dup(0);
    p->out = dup(1);
    dup2(slave, 0);
    dup2(slave, 1);
    close(slave);
    setenv("TERM", "xterm-256color", 1);
    setenv("LC_ALL", "C.UTF-8", 1);
    unsetenv("NO_COLOR");
    if (pthread_create(&p->reader, NULL, pty_drain, p)) {
        dup2(p->in, 0);
        dup2(p->out, 1);
        return -1;
    }
    return 0;
}

static long pty_close(struct pty *p)
{
    fflush(stdout);
    dup2(p->in, 0);
    dup2(p->out, 1);
    close(p->in);
    close(p->out);
    pthread_join(p->reader, NULL); /* the slave's last fd is gone: EIO */
    close(p->master);
    return p->bytes;
}

/* The 10,000-connection epoll world: engine, viewer, seeks, frames,
   memory, exports.  Run first, so the peak RSS is this world's. */
static int bench_epoll(void)
{
    char err[1024];
    struct prog *p = scn_parse("epoll.scn", epoll_scenario, strlen(epoll_scenario),
                               err, sizeof err);
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
    double mev = (double)tl->nev / 1e6;
    printf("epoll.events %zu events\n", tl->nev);
    target("epoll.records_per_s", (double)tl->nev / (t1 - t0), "events/s", 0, 10e6);
    static struct viewer v;
    double t2 = now_s();
    if (viewer_open(&v, tl)) {
        fprintf(stderr, "bench: out of memory\n");
        return 1;
    }
    double t3 = now_s();
    target("viewer.open_s", (t3 - t2) / mev, "s/Mevent", 1, 0.3);
    struct cbuf cb;
    if (cb_init(&cb, 200, 60))
        return 1;
    ui_render(&v, &cb);
    long rss = peak_rss_bytes();
    double counted = (double)(tl->evcap * sizeof(struct tl_ev) + v.cur.cp_bytes);
    target("memory.rss_per_event", (double)rss / (double)tl->nev, "bytes", 1, 48);
    printf("memory.counted_per_event %.3f bytes\n", counted / (double)tl->nev);
    target("memory.counted_gap", 100.0 * fabs((double)rss - counted) / (double)rss, "%", 1, 10);

    enum { NS = 20000, NK = 2000, NJ = 200 };
    static double ms[NS];
    srand(42);
    int bad = 0;
    for (int i = 0; i < NS; i++) {
        long idx = (long)(((double)rand() / RAND_MAX) * (double)tl->nev);
        double a = now_s();
        int rc = wcur_seek(&v.cur, idx);
        ms[i] = (now_s() - a) * 1e3;
        bad |= rc != 0 || v.cur.w.idx != idx;
    }
    if (bad) {
        fprintf(stderr, "bench: a seek did not reach its event\n");
        return 1;
    }
    qsort(ms, NS, sizeof ms[0], cmp_d);
    target("seek.p50_ms", ms[NS / 2], "ms", 1, 1.0);
    target("seek.p99_ms", ms[NS * 99 / 100], "ms", 1, 5.0);

    /* the keys and jumps, each drawn as the viewer draws it: its cells,
       then curses writing them to a 200x60 pseudo-terminal */
    struct pty pt;
    if (pty_open(&pt, 200, 60)) {
        fprintf(stderr, "bench: no pseudo-terminal for the frames\n");
        return 1;
    }
    struct ui_opts uo;
    ui_opts_default(&uo);
    int ascii = 0, cols = 0, rows = 0;
    if (term_init(&uo, &ascii)) {
        pty_close(&pt);
        return 1;
    }
    term_size(&cols, &rows);
    cb.ascii = ascii;
    ui_render(&v, &cb);
    term_draw(&cb, 1);
    static double cells[NK], curses[NK];
    /* every key that moves or selects, from random places, with a random
       task selected one time in four (the server is task 0, first) */
    static const int keys[] = {
        A_NEXT_EVENT, A_PREV_EVENT, A_NEXT_CAPTION, A_PREV_CAPTION,
        A_NEXT_TASK_EVENT, A_PREV_TASK_EVENT, A_NEXT_CHANGE, A_PREV_CHANGE,
        A_SEL_DOWN, A_SEL_UP, A_FOCUS_NEXT, A_FOCUS_PREV, A_ZOOM_IN, A_ZOOM_OUT,
        A_START, A_END, A_NEXT_EVENT, A_PREV_EVENT};
    for (int i = 0; i < NK; i++) {
        long idx = (long)(((double)rand() / RAND_MAX) * (double)(tl->nev - 1));
        if (viewer_seek(&v, idx))
            break;
        v.sel_task = i % 4 ? 0 : rand() % tl->ntasks;
        ui_render(&v, &cb);
        term_draw(&cb, 0);
        double a = now_s();
        ui_act(&v, keys[i % (int)(sizeof keys / sizeof *keys)]);
        ui_render(&v, &cb);
        double b = now_s();
        term_draw(&cb, 0);
        double c = now_s();
        cells[i] = (b - a) * 1e3;
        curses[i] = (c - b) * 1e3;
        ms[i] = (c - a) * 1e3;
    }
    static double jump[NJ];
    for (int i = 0; i < NJ; i++) {
        long idx = (long)(((double)rand() / RAND_MAX) * (double)tl->nev);
        double a = now_s();
        if (viewer_seek(&v, idx))
            break;
        ui_render(&v, &cb);
        term_draw(&cb, 0);
        jump[i] = (now_s() - a) * 1e3;
    }
    term_done();
    long written = pty_close(&pt);
    if (cols != 200 || rows != 60 || written <= 0) {
        fprintf(stderr, "bench: the pseudo-terminal was %dx%d, %ld bytes\n", cols,
                rows, written);
        return 1;
    }
    qsort(cells, NK, sizeof cells[0], cmp_d);
    qsort(curses, NK, sizeof curses[0], cmp_d);
    qsort(ms, NK, sizeof ms[0], cmp_d);
    qsort(jump, NJ, sizeof jump[0], cmp_d);
    printf("frame.cells_ms %.3f ms (p99 %.3f)\n", cells[NK / 2], cells[NK * 99 / 100]);
    printf("frame.curses_ms %.3f ms (p99 %.3f)\n", curses[NK / 2], curses[NK * 99 / 100]);
    printf("viewer.key_p50_ms %.3f ms\n", ms[NK / 2]);
    target("viewer.key_p99_ms", ms[NK * 99 / 100], "ms", 1, 16.0);
    printf("viewer.jump_p50_ms %.3f ms\n", jump[NJ / 2]);
    target("viewer.jump_max_ms", jump[NJ - 1], "ms", 1, 50.0);
    cb_free(&cb);
    viewer_close(&v);

    target("export.dump_per_s", time_export(tl, 0), "events/s", 0, 5e6);
    target("export.json_per_s", time_export(tl, 1), "events/s", 0, 5e6);
    tl_free(tl);
    return 0;
}

/* scenarios/c10k.scn as a teacher opens it: parse, simulate, open the
   viewer, draw its first frame (cells).  Seconds, or -1. */
static double bench_c10k(void)
{
    FILE *f = fopen("scenarios/c10k.scn", "rb");
    if (!f)
        return -1;
    static char src[1 << 16];
    size_t n = fread(src, 1, sizeof src, f);
    fclose(f);
    char err[1024];
    double t0 = now_s();
    struct prog *p = scn_parse("scenarios/c10k.scn", src, n, err, sizeof err);
    struct tl *tl = p ? sim_run(p, NULL, err, sizeof err) : NULL;
    prog_free(p);
    if (!tl)
        return -1;
    static struct viewer v;
    struct cbuf cb;
    double s = -1;
    if (!viewer_open(&v, tl)) {
        if (!cb_init(&cb, 200, 60)) {
            if (v.ncaps > 0)
                viewer_goto_step(&v, 0);
            ui_render(&v, &cb);
            s = now_s() - t0;
            cb_free(&cb);
        }
        viewer_close(&v);
    }
    tl_free(tl);
    return s;
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
    int bad = bench_epoll();
    if (bad)
        return bad;
    double c10k = bench_c10k();
    if (c10k < 0) {
        fprintf(stderr, "bench: scenarios/c10k.scn did not open (run from the source tree)\n");
        return 1;
    }
    target("c10k.s", c10k, "s", 1, 0.3);
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
    printf("seek.blocking_p50_ms %.3f ms\n", ms[N / 2]);
    printf("seek.blocking_p99_ms %.3f ms\n", ms[N * 99 / 100]);
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
    bad |= missed;
    if (bad)
        fprintf(stderr, "bench: a target was missed\n");
    return bad;
}
