/*
 * main.c - the iosim command: find the scenario, run it, show or export it.
 *
 * Exit status (stable, see iosim.1): 0 success; 1 an I/O or system error
 * (out of memory, cannot write the output, the viewer's terminal lost);
 * 2 bad usage or a bad scenario (the message names FILE:LINE:COL), the
 * viewer without a terminal or with one it cannot drive; 128 + N when the
 * viewer ends on signal N (SIGINT, SIGTERM, SIGHUP).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real/compare.h"
#include "real/runner.h"
#include "real/strace.h"
#include "sim/scn.h"
#include "sim/server.h"
#include "sim/sim.h"
#include "tl/export.h"
#include "tl/text.h"
#include "ui/ui.h"

#ifndef IOSIM_VERSION
#define IOSIM_VERSION "dev"
#endif
#ifndef IOSIM_DATADIR
#define IOSIM_DATADIR "/usr/local/share/iosim"
#endif

/* X(option, argument, help): the one table behind --help */
#define OPTIONS(X) \
    X("--check", "FILE...", "validate; exit 0 if all are valid, 2 if not") \
    X("--dump", "FILE", "the timeline as text, one event a line (strace)") \
    X("--export", "json|chrome FILE", "the timeline as JSON or a Chrome/Perfetto trace") \
    X("--stats", "FILE", "the run's figures: syscalls, copies, CPU, latency") \
    X("--strace", "LOG...", "open strace -f logs (or the LOG.PID files of -ff)") \
    X("--model", "MODEL", "serve FILE's `server` workload with MODEL") \
    X("--compare", "MODEL,MODEL...", "run it under each model (8 at most), side by side") \
    X("--screen", "COLSxROWS[@EVENT]", "print one viewer screen as text, after EVENT") \
    X("--real", "", "run FILE for real, traced, and show that run") \
    X("--compare-sim", "", "real and simulated runs aligned; exit 3 if unlike") \
    X("--slow", "N", "with --real: the scenario's clock N times slower") \
    X("--mono", "", "no colours (also when NO_COLOR is set)") \
    X("--ascii", "", "ASCII lines (default if the locale is not UTF-8)") \
    X("--events", "N", "stop the simulation after N events") \
    X("--steps", "N", "stop it after N steps of its interpreter (2e8)") \
    X("--memory", "SIZE", "stop it before it holds more (default 1G)") \
    X("--cpu-limit", "SECONDS", "stop it after this much of its CPU time (60)") \
    X("--version", "", "print the version and exit") \
    X("--help", "", "print this help and exit")

/* "  --opt ARG   help": one line an option, within 79 columns */
static void usage_line(FILE *out, const char *opt, const char *arg,
                       const char *help)
{
    char head[64];
    snprintf(head, sizeof head, "  %s%s%s", opt, *arg ? " " : "", arg);
    fprintf(out, "%-30s%s\n", head, help);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iosim [OPTION]... SCENARIO\n"
            "Watch concurrency and I/O models at work: open SCENARIO (a .scn file,\n"
            "or the name of a bundled one such as 'epoll') in a step-by-step viewer.\n\n");
#define X(o, a, h) usage_line(out, o, a, h);
    OPTIONS(X)
#undef X
    fputs("\nModels:", out);
    int col = 7; /* the list, wrapped at 79 columns */
    char list[256];
    snprintf(list, sizeof list, "%s.", server_model_list());
    for (char *w = strtok(list, " "); w; w = strtok(NULL, " ")) {
        int n = (int)strlen(w);
        if (col + 1 + n > 79) {
            fputs("\n       ", out);
            col = 7;
        }
        fprintf(out, " %s", w);
        col += 1 + n;
    }
    fprintf(out,
            "\nBundled scenarios are looked up in ./scenarios, $IOSIM_DATADIR/scenarios,\n"
            "the share/iosim/scenarios folder beside the installed binary and\n"
            "%s/scenarios.\n"
            "Exit status: 0 ok, 1 system error, 2 bad usage or bad scenario.\n"
            "See iosim(1) and docs/scenario-language.md.\n",
            IOSIM_DATADIR);
}

/* Folders that may hold bundled scenarios, in lookup order */
static int scenario_dirs(const char **dirs, char *exe_dir, size_t len)
{
    int n = 0;
    dirs[n++] = "scenarios";
    const char *env = getenv("IOSIM_DATADIR");
    static char envdir[PATH_MAX];
    if (env && *env) {
        snprintf(envdir, sizeof envdir, "%s/scenarios", env);
        dirs[n++] = envdir;
    }
    /* an installed binary: PREFIX/bin/iosim finds PREFIX/share/iosim */
    ssize_t k = readlink("/proc/self/exe", exe_dir, len - 1);
    if (k > 0) {
        exe_dir[k] = 0;
        char *slash = strrchr(exe_dir, '/');
        if (slash && (size_t)(slash - exe_dir) + 32 < len) {
            strcpy(slash, "/../share/iosim/scenarios");
            dirs[n++] = exe_dir;
        }
    }
    dirs[n++] = IOSIM_DATADIR "/scenarios";
    return n;
}

static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int d[41][41];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = c < del ? (c < ins ? c : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

/* The nearest bundled scenario name to name, into best; 0 if none close */
static int nearest_bundled(const char *name, char *best, size_t len)
{
    const char *dirs[4];
    char exe[PATH_MAX];
    int n = scenario_dirs(dirs, exe, sizeof exe), bestd = 3;
    for (int i = 0; i < n; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t l = strlen(e->d_name);
            if (l < 5 || strcmp(e->d_name + l - 4, ".scn"))
                continue;
            char base[256];
            snprintf(base, sizeof base, "%.*s", (int)(l - 4), e->d_name);
            int dist = edit_distance(name, base);
            if (dist < bestd) {
                bestd = dist;
                snprintf(best, len, "%s", base);
            }
        }
        if (d)
            closedir(d);
    }
    return bestd < 3;
}

/* A path as given if it exists; else a bundled scenario of that name */
static const char *resolve(const char *arg, char *buf, size_t len)
{
    struct stat st;
    if (stat(arg, &st) == 0 || strchr(arg, '/'))
        return arg;
    const char *dirs[4];
    char exe[PATH_MAX];
    int n = scenario_dirs(dirs, exe, sizeof exe);
    const char *ext = strstr(arg, ".scn") ? "" : ".scn";
    for (int i = 0; i < n; i++) {
        snprintf(buf, len, "%s/%s%s", dirs[i], arg, ext);
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
            return buf;
    }
    return arg;
}

struct run_opts {
    long max_events, max_steps;
    int64_t max_mem;
    int cpu_limit_s;
    const char *model; /* --model: every server's model, or NULL */
    int real, compare_sim, slow; /* --real, --compare-sim, --slow */
    struct tl *sim;    /* --compare-sim: the simulation, beside the real */
};

static int no_terminal(void)
{
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
        return 0;
    fprintf(stderr, "iosim: error: the viewer needs a terminal; "
                    "use --dump or --export json for a pipe or a file\n");
    return 1;
}

/* Parse and simulate; on failure print the message and return NULL.  For
 * the viewer (view), a missing terminal is said once the scenario has
 * parsed, before a long simulation. */
static struct tl *load_and_run(const char *arg, struct run_opts *ro,
                               int view, int *status)
{
    char path[PATH_MAX], err[PATH_MAX + 1024];
    const char *p = resolve(arg, path, sizeof path);
    struct prog *prog = scn_load_model(p, ro->model, err, sizeof err);
    if (!prog) {
        char best[256];
        struct stat st;
        int missing = p == arg && !strchr(arg, '/') && stat(arg, &st) != 0;
        if (missing && nearest_bundled(arg, best, sizeof best)) {
            fprintf(stderr, "%s: error: no such file, nor a bundled scenario of "
                    "that name; did you mean '%s'?\n", arg, best);
        } else if (missing) {
            /* say where bundled scenarios were looked for */
            const char *dirs[4];
            char exe[PATH_MAX];
            int n = scenario_dirs(dirs, exe, sizeof exe);
            fprintf(stderr, "%s: error: cannot open: no such file here, nor a "
                    "bundled scenario of that name in", arg);
            for (int i = 0; i < n; i++)
                fprintf(stderr, "%s %s%s", i ? "," : "", dirs[i][0] == '/' ? "" : "./",
                        dirs[i]);
            fprintf(stderr, " (set IOSIM_DATADIR to the folder that holds "
                    "scenarios/)\n");
        } else {
            fprintf(stderr, "%s\n", err);
        }
        *status = 2;
        return NULL;
    }
    if (view && no_terminal()) {
        prog_free(prog);
        *status = 2;
        return NULL;
    }
    struct sim_opts so = {.max_events = ro->max_events,
                          .max_steps = ro->max_steps, .max_mem = ro->max_mem,
                          .cpu_limit_s = ro->cpu_limit_s};
    struct tl *tl = sim_run(prog, &so, err, sizeof err);
    if (!tl) {
        fprintf(stderr, "%s\n", err);
        *status = strstr(err, "out of memory") ? 1 : 2;
    } else if (ro->real) { /* the same scenario with real syscalls */
        struct tl *rt = real_run_timeline(prog, tl, ro->slow, err, sizeof err);
        if (!rt) {
            fprintf(stderr, "%s\n", err);
            *status = strstr(err, "too many") ? 2
                      : strstr(err, "interrupted") ? 130 : 1;
            tl_free(tl);
        } else {
            ro->sim = tl; /* beside the real run: --compare-sim, key r */
        }
        tl = rt;
    }
    prog_free(prog);
    return tl;
}

/* The key s in the viewer: the scenario the viewer shows, run for real */
struct real_ctx {
    const char *file;
    struct run_opts *ro;
};

static struct tl *real_for_viewer(void *ctx, const struct tl *sim, char *err,
                                  size_t len)
{
    struct real_ctx *rc = ctx;
    char path[PATH_MAX], perr[PATH_MAX + 1024];
    struct prog *prog = scn_load_model(resolve(rc->file, path, sizeof path),
                                       rc->ro->model, perr, sizeof perr);
    if (!prog) {
        snprintf(err, len, "%s", perr);
        return NULL;
    }
    struct tl *rt = real_run_timeline(prog, sim, rc->ro->slow, err, len);
    prog_free(prog);
    return rt;
}

/* --strace: the logs as a timeline, with what was read said on stderr */
static struct tl *load_strace(const char *const *logs, int n, int64_t max_mem,
                              int *status)
{
    char err[1024];
    struct strace_report rep;
    struct tl *tl = NULL;
    int rc = strace_import(logs, n, max_mem, &tl, &rep, err, sizeof err);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        if (rep.bad)
            strace_report_print(&rep, "iosim", stderr);
        *status = rc == -ENOMEM ? 1 : 2; /* EFBIG: over --memory, like a bad input */
        return NULL;
    }
    strace_report_print(&rep, "iosim", stderr);
    return tl;
}

static int finish_output(int rc)
{
    errno = 0;
    int flushed = fflush(stdout); /* a writer's -EIO: the flush says why */
    if (rc || flushed || ferror(stdout)) {
        int e = rc && rc != -EIO ? -rc : errno > 0 ? errno : rc ? -rc : EIO;
        fprintf(stderr, "iosim: error: cannot write the output: %s\n",
                strerror(e));
        return 1;
    }
    return 0;
}

static int print_stats(const struct tl *tl)
{
    struct tl_stats st;
    if (tl_stats(tl, &st))
        return -ENOMEM;
#define X(name, f) printf("%s %lld\n", name, (long long)st.f);
    TL_STAT_FIELDS(X)
#undef X
    for (int s = 0; s < TL_SYS_ALL; s++)
        if (st.syscalls[s])
            printf("syscalls.%s %ld\n", tl_sys_name(s), st.syscalls[s]);
    if (tl->note)
        printf("# %s\n", tl->note);
    return 0;
}

/* --compare: "blocking,select" into names; returns the count or -1 */
#define COMPARE_MAX 8
static int parse_models(char *list, const char **names)
{
    int n = 0;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (n == COMPARE_MAX) {
            fprintf(stderr, "iosim: error: --compare takes at most %d models\n",
                    COMPARE_MAX);
            return -1;
        }
        if (!server_model_known(tok)) {
            fprintf(stderr, "iosim: error: unknown model '%s': known models "
                    "are %s\n", tok, server_model_list());
            return -1;
        }
        names[n++] = tok;
    }
    if (n == 0)
        fprintf(stderr, "iosim: error: --compare takes a list of models, e.g. "
                "blocking,select,poll,epoll\n");
    return n;
}

/* The same workload under each model, one column per model */
static int compare(const char *arg, const char **models, int n,
                   struct run_opts *ro, int *status)
{
    struct tl_stats st[COMPARE_MAX];
    char title[256] = "", notes[COMPARE_MAX][200];
    for (int i = 0; i < n; i++) {
        ro->model = models[i];
        struct tl *tl = load_and_run(arg, ro, 0, status);
        if (!tl)
            return 0;
        int rc = tl_stats(tl, &st[i]);
        if (!i)
            snprintf(title, sizeof title, "%s", tl->source ? tl->source : arg);
        notes[i][0] = 0;
        char t[40];
        if (!rc && st[i].killed) /* say why a column stops short */
            snprintf(notes[i], sizeof notes[i],
                     "%s: the server was killed by %s at %s; its figures stop there",
                     models[i], tl_signal_name((int)st[i].kill_signal),
                     tl_time_text(t, sizeof t, st[i].killed_at_ns));
        else if (!rc && tl->truncated && tl->note)
            snprintf(notes[i], sizeof notes[i], "%s: %s", models[i], tl->note);
        tl_free(tl);
        if (rc)
            return rc;
    }
    printf("%s: the same workload under %d models\n", title, n);
    printf("%-24s", "");
    for (int i = 0; i < n; i++) {
        char h[40];
        snprintf(h, sizeof h, "%s%s", models[i], notes[i][0] ? "*" : "");
        printf(" %13s", h);
    }
    printf("\n");
    enum { C_COUNT, C_TIME, C_BYTES };
    static const struct { const char *name; int kind; } rows[] = {
        {"requests served", C_COUNT}, {"latency p50", C_TIME},
        {"latency p99", C_TIME}, {"syscalls", C_COUNT},
        {"kernel scanning (CPU)", C_TIME}, {"fds scanned", C_COUNT},
        {"bytes copied", C_BYTES}, {"context switches", C_COUNT},
        {"CPU busy", C_TIME}, {"clients done at", C_TIME},
        {"makespan (last event)", C_TIME},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        printf("%-24s", rows[r].name);
        for (int i = 0; i < n; i++) {
            const struct tl_stats *x = &st[i];
            int64_t v[] = {x->requests, x->latency_p50_ns, x->latency_p99_ns,
                           x->syscalls_total, x->kernel_scan_ns, x->fds_scanned,
                           x->bytes_to_user + x->bytes_to_kernel,
                           x->ctx_switches, x->cpu_busy_ns, x->peers_done_ns,
                           x->makespan_ns};
            char b[40];
            if ((r == 1 || r == 2) && x->requests == 0)
                snprintf(b, sizeof b, "-"); /* no request: no latency */
            else if (rows[r].kind == C_TIME)
                tl_time_text(b, sizeof b, v[r]);
            else
                snprintf(b, sizeof b, "%lld", (long long)v[r]);
            printf(" %13s", b);
        }
        printf("\n");
    }
    for (int i = 0; i < n; i++)
        if (notes[i][0])
            printf("* %s\n", notes[i]);
    return 0;
}

/* A whole number from lo to hi, with an optional K, M or G (x1024) */
static int parse_count(const char *s, int sized, long long lo, long long hi,
                       long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = s && *s >= '0' && *s <= '9' ? strtoll(s, &end, 10) : -1;
    if (v < 0 || errno || !end)
        return -1;
    int shift = 0;
    if (sized && *end) {
        const char *u = strchr("KMG", *end);
        if (!u)
            return -1;
        shift = 10 * (int)(u - "KMG" + 1);
        end++;
    }
    if (*end || v > (hi >> shift) || (v << shift) < lo)
        return -1;
    *out = v << shift;
    return 0;
}

/* COLSxROWS[@EVENT]: digits only, nothing after, each in its range */
static int parse_screen(const char *s, int *cols, int *rows, long *ev)
{
    long long c, r, e = -1;
    char num[24];
    const char *x = strchr(s, 'x'), *at = strchr(s, '@');
    if (!x || (at && at < x) || (size_t)(x - s) >= sizeof num)
        return -1;
    memcpy(num, s, (size_t)(x - s));
    num[x - s] = 0;
    const char *rs = x + 1;
    size_t rl = at ? (size_t)(at - rs) : strlen(rs);
    char rnum[24];
    if (rl >= sizeof rnum)
        return -1;
    memcpy(rnum, rs, rl);
    rnum[rl] = 0;
    if (parse_count(num, 0, 1, 1000, &c) || parse_count(rnum, 0, 1, 1000, &r) ||
        (at && parse_count(at + 1, 0, 0, LONG_MAX, &e)))
        return -1;
    *cols = (int)c;
    *rows = (int)r;
    *ev = (long)e;
    return 0;
}

/* One output at a time: the first of --check, --dump, --stats, --export,
 * --screen and --compare, or the same one again */
static int set_mode(int *mode, const char **by, int m, const char *opt)
{
    if (*by && *mode != m) {
        fprintf(stderr, "iosim: error: %s and %s do not go together: one "
                "output at a time\n", *by, opt);
        return -1;
    }
    *mode = m;
    *by = opt;
    return 0;
}

int main(int argc, char **argv)
{
    enum { M_VIEW, M_CHECK, M_DUMP, M_JSON, M_CHROME, M_STATS, M_SCREEN,
           M_COMPARE };
    int mode = M_VIEW;
    const char *mode_by = NULL;
    const char *models[COMPARE_MAX];
    int nmodels = 0;
    struct ui_opts uo;
    struct run_opts ro = {0};
    int cols = 80, rows = 24;
    long screen_ev = -1;
    int i;
    ui_opts_default(&uo);
    if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
        uo.mono = 1;
    const char *files[argc > 0 ? argc : 1];
    int nfiles = 0, dashdash = 0, from_strace = 0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !a[1]) {
            files[nfiles++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            dashdash = 1;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return finish_output(0);
        } else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            printf("iosim %s\n", IOSIM_VERSION);
            return finish_output(0);
        } else if (!strcmp(a, "--strace")) {
            from_strace = 1;
        } else if (!strcmp(a, "--check") || !strcmp(a, "--dump") ||
                   !strcmp(a, "--stats")) {
            if (set_mode(&mode, &mode_by, a[2] == 'c' ? M_CHECK : a[2] == 'd'
                         ? M_DUMP : M_STATS, a))
                return 2;
        } else if (!strcmp(a, "--export")) {
            const char *f = i + 1 < argc ? argv[++i] : "";
            if (!strcmp(f, "json") || !strcmp(f, "chrome")) {
                if (set_mode(&mode, &mode_by, f[0] == 'j' ? M_JSON : M_CHROME,
                             f[0] == 'j' ? "--export json" : "--export chrome"))
                    return 2;
            } else {
                fprintf(stderr, "iosim: error: --export takes json or chrome, not '%s'\n", f);
                return 2;
            }
        } else if (!strcmp(a, "--screen")) {
            if (i + 1 >= argc || parse_screen(argv[++i], &cols, &rows, &screen_ev)) {
                fprintf(stderr, "iosim: error: --screen takes COLSxROWS[@EVENT], "
                        "e.g. 80x24@10 (1 to 1000 columns and rows)\n");
                return 2;
            }
            if (set_mode(&mode, &mode_by, M_SCREEN, a))
                return 2;
        } else if (!strcmp(a, "--model")) {
            ro.model = i + 1 < argc ? argv[++i] : "";
            if (!server_model_known(ro.model)) {
                fprintf(stderr, "iosim: error: unknown model '%s': known models "
                        "are %s\n", ro.model, server_model_list());
                return 2;
            }
        } else if (!strcmp(a, "--compare")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "iosim: error: --compare takes a list of models, "
                        "e.g. blocking,select,poll,epoll\n");
                return 2;
            }
            if ((nmodels = parse_models(argv[++i], models)) <= 0)
                return 2;
            if (set_mode(&mode, &mode_by, M_COMPARE, a))
                return 2;
        } else if (!strcmp(a, "--events")) {
            char *end = NULL;
            errno = 0;
            ro.max_events = i + 1 < argc ? strtol(argv[++i], &end, 10) : 0;
            if (!end || *end || errno || ro.max_events <= 0 ||
                ro.max_events > 50000000L) {
                fprintf(stderr, "iosim: error: --events takes a number from 1 "
                        "to 50000000\n");
                return 2;
            }
        } else if (!strcmp(a, "--steps") || !strcmp(a, "--memory") ||
                   !strcmp(a, "--cpu-limit")) {
            long long v;
            int which = a[2] == 's' ? 0 : a[2] == 'm' ? 1 : 2;
            static const long long lo[] = {1, 1 << 20, 1};
            static const long long hi[] = {SIM_STEPS_MAX, SIM_MEM_MAX, 86400};
            static const char *const want[] = {
                "a number from 1 to 10000000000",
                "a size from 1M to 64G, such as 4G",
                "a number of seconds from 1 to 86400"};
            if (parse_count(i + 1 < argc ? argv[++i] : NULL, which == 1,
                            lo[which], hi[which], &v)) {
                fprintf(stderr, "iosim: error: %s takes %s\n", a, want[which]);
                return 2;
            }
            if (which == 0)
                ro.max_steps = (long)v;
            else if (which == 1)
                ro.max_mem = v;
            else
                ro.cpu_limit_s = (int)v;
        } else if (!strcmp(a, "--real")) {
            ro.real = 1;
        } else if (!strcmp(a, "--compare-sim")) {
            ro.real = ro.compare_sim = 1;
        } else if (!strcmp(a, "--slow")) {
            char *end = NULL;
            long v = i + 1 < argc ? strtol(argv[++i], &end, 10) : 0;
            if (!end || *end || v < 1 || v > 1000) {
                fprintf(stderr, "iosim: error: --slow takes a number from 1 "
                        "to 1000\n");
                return 2;
            }
            ro.slow = (int)v;
        } else if (!strcmp(a, "--mono")) {
            uo.mono = 1;
        } else if (!strcmp(a, "--ascii")) {
            uo.ascii = 1;
        } else {
            fprintf(stderr, "iosim: error: unknown option '%s' (see iosim --help)\n", a);
            return 2;
        }
    }
    if (from_strace && (mode == M_CHECK || mode == M_COMPARE || ro.model)) {
        fprintf(stderr, "iosim: error: --strace shows a log as it is: it does "
                "not go with --check, --model or --compare\n");
        return 2;
    }
    if (from_strace && nfiles < 1) {
        fprintf(stderr, "iosim: error: --strace takes a log: record one with "
                "strace -f -tt -T -o LOG PROGRAM\n");
        return 2;
    }
    if (!from_strace && (nfiles < 1 || (mode != M_CHECK && nfiles > 1))) {
        fprintf(stderr, nfiles < 1 ? "iosim: error: no scenario given\n"
                                   : "iosim: error: one scenario at a time\n");
        usage(stderr);
        return 2;
    }
    if (ro.real && (mode == M_CHECK || mode == M_COMPARE)) {
        fprintf(stderr, "iosim: error: --real does not go with --check or "
                "--compare\n");
        return 2;
    }
    int status = 0;
    if (mode == M_CHECK) {
        for (int k = 0; k < nfiles; k++) {
            struct tl *tl = load_and_run(files[k], &ro, 0, &status);
            tl_free(tl);
        }
        return status;
    }
    if (mode == M_COMPARE) {
        int rc = compare(files[0], models, nmodels, &ro, &status);
        return status ? status : finish_output(rc);
    }
    int log_on_stdin = 0;
    for (int k = 0; from_strace && k < nfiles; k++)
        log_on_stdin |= !strcmp(files[k], "-");
    if (from_strace && mode == M_VIEW &&
        !(log_on_stdin && isatty(STDOUT_FILENO)) && no_terminal())
        return 2;
    struct tl *tl = from_strace ? load_strace(files, nfiles, ro.max_mem, &status)
                                : load_and_run(files[0], &ro,
                                               mode == M_VIEW && !ro.compare_sim,
                                               &status);
    if (!tl)
        return status;
    int viewing = mode == M_VIEW && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (ro.compare_sim && !viewing) { /* the alignment, and whether they agree */
        struct real_cmp cmp;
        int rc = real_compare(ro.sim, tl, &cmp);
        if (!rc)
            rc = real_compare_dump(&cmp, stdout);
        int agree = real_compare_agree(&cmp);
        real_compare_free(&cmp);
        tl_free(ro.sim);
        tl_free(tl);
        rc = finish_output(rc);
        return rc ? rc : agree ? 0 : 3;
    }
    if (log_on_stdin && mode == M_VIEW) {
        /* the log came on standard input: the keys come from the terminal */
        if (!freopen("/dev/tty", "r", stdin) || no_terminal()) {
            tl_free(tl);
            return 2;
        }
    }
    int rc = 0;
    switch (mode) {
    case M_DUMP: rc = finish_output(tl_dump(tl, stdout)); break;
    case M_JSON: rc = finish_output(tl_export_json(tl, stdout)); break;
    case M_CHROME: rc = finish_output(tl_export_chrome(tl, stdout)); break;
    case M_STATS: rc = finish_output(print_stats(tl)); break;
    case M_SCREEN:
        rc = finish_output(ui_render_text(tl, cols, rows, screen_ev, -1, uo.ascii, stdout));
        break;
    default: {
        struct real_ctx rctx = {files[0], &ro};
        uo.other = ro.sim; /* --real: the key r shows the simulation */
        uo.side_by_side = ro.compare_sim;
        if (!from_strace && !ro.real) {
            uo.run_real = real_for_viewer; /* the key s runs it for real */
            uo.run_ctx = &rctx;
        }
        rc = ui_run(tl, &uo);
        break;
    }
    }
    tl_free(ro.sim);
    tl_free(tl);
    return rc;
}
