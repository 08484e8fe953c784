/*
 * bench.c - speed and memory figures, one "name value unit" line each.
 *
 * The engine, on a generated epoll workload (engine_scenario): 4 epoll
 * servers on 2 CPUs (so that they contend: the run queue, context
 * switches), 10,400 client connections from other hosts that send a
 * request, wait for the reply and sleep 50 ms: each has an item pending
 * (its timer, or its bytes on the wire), so that over the whole run,
 * the clients' ramps up and down included, at least 10,000 items are
 * pending on average (engine.pending_mean).  Times are the process's CPU
 * time (other programs on a shared machine do not count), the median of
 * 3 runs:
 *   engine.records_per_s    timeline records (events) per second
 *   engine.agenda_per_s     agenda items taken per second (what a bare
 *                           heap's operations compare with)
 *   engine.vs_simpy         state changes + syscall returns per second,
 *                           against the same workload written for SimPy
 *                           2 (bench/simpy_epoll.py, Debian's
 *                           python3-simpy), which counts the same records
 *                           (engine.counted_gap <= 1%), each side the
 *                           median of 3 runs taken in turn
 *   engine.blocking.*       the same for the thread-per-connection
 *                           workload (a blocking server, peers with timers)
 *   memory.bytes_per_event_1m, _10m  peak resident memory of a process
 *                           that simulates the engine workload to 10^6
 *                           (10^7) events and opens the viewer on it
 *                           (checkpoints, lanes, first frame), over events;
 *                           memory.counted_*: the most that the structures
 *                           say they hold at once (capacities and malloc's
 *                           headers): the engine's and the timeline at the
 *                           end of the run, or the timeline, the cursor and
 *                           the viewer once it is open; and its gap to the
 *                           RSS
 *   seek.blocking_p50_ms, seek.blocking_p99_ms  2,000 random seeks, both
 *                           directions, on the blocking world (>= 10^6
 *                           events)
 *   strace_import.lines_per_s  lines of a generated strace -f -tt -T -yy
 *                           log (10^6 lines: an epoll server and its
 *                           workers) parsed and built into a timeline, per
 *                           second
 * On a generated epoll server with 10,000 connections (about 1.5 M
 * events), what a user pays:
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
 *   export.dump_per_s, export.json_per_s  events written by --dump and
 *                           --export json (to /dev/null), per second, the
 *                           best of three runs
 *   c10k.s                  scenarios/c10k.scn parsed, simulated, viewer
 *                           opened and its first frame drawn (cells)
 * These are the CPU time of the bench's thread (a seek, a key and its
 * frame, curses' writes to the terminal included), so that other programs
 * on a shared machine do not count; on a machine of one's own it is the
 * wall-clock time.
 * A missed target is printed on stderr with its gap, and `make bench`
 * exits 1; a target is never loosened to pass.  `build/bench GROUP...`
 * runs only the groups named (memory, engine, epoll, c10k, blocking,
 * strace), as one does while working on one of them.
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
#include <sys/wait.h>
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

/* The CPU time of the calling thread: the viewer's work, without what the
 * machine's other programs (or the bench's terminal reader) take */
static double thread_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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
        double t0 = thread_s();
        int rc = json ? tl_export_json(tl, f) : tl_dump(tl, f);
        double t1 = thread_s();
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

/* The 10,000-connection epoll world: viewer, seeks, frames, exports */
static int bench_epoll(void)
{
    char err[1024];
    struct prog *p = scn_parse("epoll.scn", epoll_scenario, strlen(epoll_scenario),
                               err, sizeof err);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    double t0 = thread_s();
    struct tl *tl = sim_run(p, NULL, err, sizeof err);
    double t1 = thread_s();
    prog_free(p);
    if (!tl) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    double mev = (double)tl->nev / 1e6;
    printf("epoll.events %zu events (%.2f s)\n", tl->nev, t1 - t0);
    static struct viewer v;
    double t2 = thread_s();
    if (viewer_open(&v, tl)) {
        fprintf(stderr, "bench: out of memory\n");
        return 1;
    }
    double t3 = thread_s();
    target("viewer.open_s", (t3 - t2) / mev, "s/Mevent", 1, 0.3);
    struct cbuf cb;
    if (cb_init(&cb, 200, 60))
        return 1;
    ui_render(&v, &cb);

    enum { NS = 20000, NK = 2000, NJ = 200 };
    static double ms[NS];
    srand(42);
    int bad = 0;
    for (int i = 0; i < NS; i++) {
        long idx = (long)(((double)rand() / RAND_MAX) * (double)tl->nev);
        double a = thread_s();
        int rc = wcur_seek(&v.cur, idx);
        ms[i] = (thread_s() - a) * 1e3;
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
        double a = thread_s();
        ui_act(&v, keys[i % (int)(sizeof keys / sizeof *keys)]);
        ui_render(&v, &cb);
        double b = thread_s();
        term_draw(&cb, 0);
        double c = thread_s();
        cells[i] = (b - a) * 1e3;
        curses[i] = (c - b) * 1e3;
        ms[i] = (c - a) * 1e3;
    }
    static double jump[NJ];
    for (int i = 0; i < NJ; i++) {
        long idx = (long)(((double)rand() / RAND_MAX) * (double)tl->nev);
        double a = thread_s();
        if (viewer_seek(&v, idx))
            break;
        ui_render(&v, &cb);
        term_draw(&cb, 0);
        jump[i] = (thread_s() - a) * 1e3;
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
    double t0 = thread_s();
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
            s = thread_s() - t0;
            cb_free(&cb);
        }
        viewer_close(&v);
    }
    tl_free(tl);
    return s;
}


/* ---- the engine ---------------------------------------------------------- */

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum { ENG_SERVERS = 4, ENG_CPUS = 2, ENG_CONNS = 10400, ENG_REPEAT = 20,
       MEM_CONNS = 10000 };

/* The engine workload: ENG_SERVERS epoll servers (the template of `server
 * NAME { model epoll }`) on ENG_CPUS CPUs, conns connections from
 * peers that send 300 bytes, read the 2 KiB reply and sleep 50 ms, repeat
 * times.  bench/simpy_epoll.py is the same system. */
static char *engine_scenario(int conns, int repeat)
{
    size_t cap = 8192, n = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    n += (size_t)snprintf(s + n, cap - n,
        "title \"bench engine: %d epoll servers on %d CPUs, %d connections\"\n"
        "model epoll\nmachine {\n    cpus %d\n    latency 100us\n"
        "    backlog 16384\n    limit 3000s\n    events 50000000\n}\n",
        ENG_SERVERS, ENG_CPUS, conns, ENG_CPUS);
    for (int i = 0; i < ENG_SERVERS; i++)
        n += (size_t)snprintf(s + n, cap - n,
            "server web%d {\n    model epoll\n    port %d\n    work 5us\n"
            "    reply 2K\n    nofile 16384\n}\n", i + 1, 8081 + i);
    for (int i = 0; i < ENG_SERVERS; i++)
        n += (size_t)snprintf(s + n, cap - n,
            "peer client%d count %d every %dus at 1ms {\n    c = connect %d\n"
            "    repeat %d {\n        send c 300\n        n = recv c 4K\n"
            "        sleep 50ms\n    }\n    close c\n}\n",
            i + 1, conns / ENG_SERVERS, 4 * ENG_SERVERS, 8081 + i, repeat);
    return s;
}

struct eng_run {
    double s;         /* CPU seconds in sim_run */
    size_t events;
    long counted;     /* state changes + syscall returns */
    struct sim_stats st;
};

/* Simulate text once (max_events > 0: stop there); the timeline, or NULL */
static struct tl *eng_once(const char *text, long max_events, struct eng_run *r)
{
    char err[1024];
    struct prog *p = scn_parse("engine.scn", text, strlen(text), err, sizeof err);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    struct sim_opts o;
    memset(&o, 0, sizeof o);
    o.stats = &r->st;
    o.max_events = max_events;
    double t0 = cpu_s();
    struct tl *tl = sim_run(p, &o, err, sizeof err);
    r->s = cpu_s() - t0;
    prog_free(p);
    if (!tl) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    r->events = tl->nev;
    r->counted = 0;
    for (size_t i = 0; i < tl->nev; i++)
        r->counted += tl->ev[i].type == EV_STATE || tl->ev[i].type == EV_SYSCALL;
    return tl;
}

static int cmp_run(const void *a, const void *b)
{
    double x = ((const struct eng_run *)a)->s, y = ((const struct eng_run *)b)->s;
    return (x > y) - (x < y);
}

/* SimPy's run of the engine workload (bench/simpy_epoll.py): its records
 * and CPU seconds, 0; or 1 with why it could not run in why */
static int simpy_once(long *n, double *secs, char *why, size_t whylen)
{
    char cmd[256], line[512] = "";
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/simpy_epoll.py %d %d %d %d 1 2>&1",
             ENG_CONNS, ENG_SERVERS, ENG_CPUS, ENG_REPEAT);
    FILE *f = popen(cmd, "r");
    int got = 0;
    if (f) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "counted %ld seconds %lf", n, secs) == 2)
                got = 1;
        pclose(f);
    }
    if (got && *secs > 0)
        return 0;
    line[strcspn(line, "\n")] = 0;
    snprintf(why, whylen, "%s", strstr(line, "No module named") ?
             "python3-simpy is not installed (tests/deps.sh installs it, as root)" :
             !f ? "cannot run /usr/bin/python3" : line);
    return 1;
}

/* engine.*: the epoll workload, and SimPy on the same one: each the median
 * of 3 runs, taken in turn (iosim, SimPy, iosim, ...), so that a shared
 * machine's load falls on both alike */
static int bench_engine(void)
{
    char *text = engine_scenario(ENG_CONNS, ENG_REPEAT);
    if (!text)
        return 2;
    struct eng_run ir[3], r;
    double sp[3];
    long sp_n = 0;
    int simpy = 1;
    char why[512] = "";
    for (int i = 0; i < 3; i++) {
        struct tl *tl = eng_once(text, 0, &ir[i]);
        if (!tl) {
            free(text);
            return 2;
        }
        tl_free(tl);
        if (simpy && simpy_once(&sp_n, &sp[i], why, sizeof why))
            simpy = 0;
    }
    free(text);
    qsort(ir, 3, sizeof ir[0], cmp_run);
    r = ir[1];
    printf("engine.events %zu events\n", r.events);
    printf("engine.agenda_items %ld items\n", r.st.items);
    target("engine.pending_mean", r.st.pending_mean, "items", 0, 10000);
    printf("engine.pending_max %ld items\n", r.st.pending_max);
    printf("engine.records_per_item %.2f events\n", (double)r.events / (double)r.st.items);
    target("engine.records_per_s", (double)r.events / r.s, "events/s", 0, 10e6);
    target("engine.agenda_per_s", (double)r.st.items / r.s, "items/s", 0, 5e6);
    if (!simpy) {
        printf("engine.vs_simpy not measured: %s\n", why);
        return 0;
    }
    qsort(sp, 3, sizeof sp[0], cmp_d);
    double sp_s = sp[1];
    printf("engine.simpy_counted %ld records\n", sp_n);
    printf("engine.iosim_counted %ld records\n", r.counted);
    /* the two programs model one system: if their counts part, one of
       them is not that system any more, and the ratio means nothing */
    target("engine.counted_gap", 100.0 * fabs((double)(sp_n - r.counted)) / (double)r.counted,
           "%", 1, 1);
    printf("engine.simpy_per_s %.0f records/s\n", (double)sp_n / sp_s);
    printf("engine.iosim_per_s %.0f records/s\n", (double)r.counted / r.s);
    target("engine.vs_simpy", ((double)r.counted / r.s) / ((double)sp_n / sp_s), "x", 0, 15);
    return 0;
}

/* ---- memory --------------------------------------------------------------- */

/* What the viewer says it holds beyond its cursor: lanes and the arrays it
   keeps per task, object and queue */
static size_t viewer_bytes(const struct viewer *v, const struct tl *tl)
{
    size_t n = 0;
    size_t per_task = sizeof *v->order + sizeof *v->depth + sizeof *v->order_ix +
                      sizeof *v->chg_task + sizeof *v->has_input + sizeof *v->max_fds;
    n += ((size_t)tl->ntasks + 1) * per_task + 6 * 32 +
         ((size_t)tl->nobjs + 1) * sizeof *v->chg_obj +
         ((size_t)tl->nqueues + 1) * (sizeof *v->chg_queue + sizeof *v->qorder) +
         ((size_t)v->ncaps + 1) * (sizeof *v->caps + sizeof *v->stops + sizeof *v->capstr);
    /* each task's lane and calls (viewer.c index_build) */
    n += tl_malloc_bytes(((size_t)tl->ntasks + 2) * sizeof *v->lane_off) +
         tl_malloc_bytes(((size_t)v->lane_off[tl->ntasks] + 1) * sizeof *v->lane_ev);
    n += tl_malloc_bytes(((size_t)tl->ntasks + 2) * sizeof *v->call_off) +
         tl_malloc_bytes(((size_t)v->call_off[tl->ntasks] + 1) * sizeof *v->calls);
    return n;
}

/* In a fresh child: simulate the engine workload to nev events, open the
   viewer and draw its first frame; writes "events peak counted" to fd */
static void mem_child(long nev, int fd)
{
    char *text = engine_scenario(MEM_CONNS, 200);
    struct eng_run r;
    struct tl *tl = text ? eng_once(text, nev, &r) : NULL;
    free(text);
    if (!tl)
        _exit(2);
    static struct viewer v;
    struct cbuf cb;
    if (viewer_open(&v, tl) || cb_init(&cb, 200, 60))
        _exit(1);
    ui_render(&v, &cb);
    /* the most held at once: at the end of the run (the engine's tables
       and world, with the timeline), or now (the cursor and the viewer) */
    double counted = (double)(tl_bytes(tl) + wcur_bytes(&v.cur) +
                              viewer_bytes(&v, tl)) +
                     (double)cb.w * cb.h * sizeof *cb.c;
    if ((double)r.st.bytes > counted)
        counted = (double)r.st.bytes;
    char out[128];
    int k = snprintf(out, sizeof out, "%zu %ld %.0f\n", tl->nev, peak_rss_bytes(),
                     counted);
    if (write(fd, out, (size_t)k) != k)
        _exit(1);
    _exit(0);
}

static int bench_memory(long nev, const char *tag)
{
    int pfd[2];
    if (pipe(pfd))
        return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close(pfd[0]);
        mem_child(nev, pfd[1]);
    }
    close(pfd[1]);
    char buf[128] = "";
    ssize_t k = read(pfd[0], buf, sizeof buf - 1);
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    size_t n = 0;
    long peak = 0;
    double counted = 0;
    if (k <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
        sscanf(buf, "%zu %ld %lf", &n, &peak, &counted) != 3 || n == 0) {
        fprintf(stderr, "bench: the memory run to %ld events failed\n", nev);
        return 1;
    }
    char name[64];
    snprintf(name, sizeof name, "memory.bytes_per_event_%s", tag);
    target(name, (double)peak / (double)n, "bytes", 1, 48);
    printf("memory.counted_%s %.1f bytes\n", tag, counted / (double)n);
    snprintf(name, sizeof name, "memory.counted_gap_%s", tag);
    target(name, 100.0 * fabs((double)peak - counted) / (double)peak, "%", 1, 10);
    return 0;
}

/* ---- the blocking workload, seeks, strace import -------------------------- */

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

/* The blocking workload: the engine on it, then 2,000 seeks; 1 if a
   figure misses, 2 if it does not run */
static int bench_blocking(char *err, size_t errlen)
{
    int bad = 0;
    struct prog *p = scn_parse("bench.scn", scenario, strlen(scenario), err, errlen);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    struct sim_stats st;
    struct sim_opts so;
    memset(&so, 0, sizeof so);
    so.stats = &st;
    double t0 = cpu_s();
    struct tl *tl = sim_run(p, &so, err, errlen);
    double t1 = cpu_s();
    prog_free(p);
    if (!tl) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    printf("engine.blocking.events %zu events\n", tl->nev);
    target("engine.blocking.records_per_s", (double)tl->nev / (t1 - t0), "events/s", 0, 2e6);
    printf("engine.blocking.agenda_per_s %.0f items/s\n", (double)st.items / (t1 - t0));

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
    printf("seek.checkpoints %d checkpoints\n", c.ncps);
    wcur_close(&c);
    tl_free(tl);
    return bad;
}

/* The groups of figures, in the order they run; `build/bench GROUP...`
   runs only those named (while working on one part), none runs all */
static const char *const groups[] = {"memory", "engine", "epoll", "c10k",
                                     "blocking", "strace"};

static int wanted(int argc, char **argv, const char *group)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], group))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    char err[1024];
    for (int i = 1; i < argc; i++) {
        size_t g = 0;
        while (g < sizeof groups / sizeof *groups && strcmp(argv[i], groups[g]))
            g++;
        if (g == sizeof groups / sizeof *groups) {
            fprintf(stderr, "usage: bench [memory|engine|epoll|c10k|blocking|strace]...\n");
            return 2;
        }
    }
    int bad = 0;
    /* first, while the process is small: each in a child of its own */
    if (wanted(argc, argv, "memory") &&
        (bench_memory(1000000, "1m") || bench_memory(10000000, "10m")))
        return 1;
    if (wanted(argc, argv, "engine") && (bad = bench_engine()))
        return bad;
    if (wanted(argc, argv, "epoll") && (bad = bench_epoll()))
        return bad;
    if (wanted(argc, argv, "c10k")) {
        double c10k = bench_c10k();
        if (c10k < 0) {
            fprintf(stderr, "bench: scenarios/c10k.scn did not open (run from the source tree)\n");
            return 1;
        }
        target("c10k.s", c10k, "s", 1, 0.3);
    }
    if (wanted(argc, argv, "blocking"))
        bad |= bench_blocking(err, sizeof err);
    if (wanted(argc, argv, "strace")) {
        long nl = 0;
        double lps = bench_strace(&nl);
        printf("strace_import.lines %ld lines\n", nl);
        printf("strace_import.lines_per_s %.0f lines/s\n", lps);
        bad |= lps < 2e5;
    }
    bad |= missed;
    if (bad)
        fprintf(stderr, "bench: a target was missed\n");
    return bad;
}
