/*
 * main.c - the iosim command: find the scenario, run it, show or export it.
 *
 * Exit status (stable, see iosim.1): 0 success; 1 an I/O or system error
 * (out of memory, cannot write the output, no terminal for the viewer);
 * 2 bad usage or a bad scenario (the message names FILE:LINE:COL).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    X("--check", "FILE...", "validate scenarios; exit 0 if all are valid, 2 if not") \
    X("--dump", "FILE", "print the timeline as text, one event a line (strace -f -tt -T style)") \
    X("--export", "json|chrome FILE", "write the timeline as JSON, or as a Chrome/Perfetto trace") \
    X("--stats", "FILE", "print the run's figures (syscalls, copies, CPU, latency)") \
    X("--model", "MODEL", "run every `server` of FILE with MODEL (blocking, fork, thread, nonblocking, select, poll, epoll)") \
    X("--compare", "MODEL,MODEL... FILE", "run FILE's servers under each model; print the figures side by side") \
    X("--screen", "COLSxROWS[@EVENT] FILE", "print one screen of the viewer as text, at EVENT") \
    X("--mono", "", "viewer without colours (also when NO_COLOR is set)") \
    X("--ascii", "", "viewer with ASCII lines instead of Unicode box drawing") \
    X("--events", "N", "stop the simulation after N events") \
    X("--version", "", "print the version and exit") \
    X("--help", "", "print this help and exit")

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iosim [OPTION]... SCENARIO\n"
            "Watch concurrency and I/O models at work: open SCENARIO (a .scn file, or\n"
            "the name of a bundled one such as 'epoll') in a step-by-step viewer.\n\n");
#define X(o, a, h) fprintf(out, "  %-10s %-22s %s\n", o, a, h);
    OPTIONS(X)
#undef X
    fprintf(out,
            "\nBundled scenarios are looked up in ./scenarios and %s/scenarios.\n"
            "Exit status: 0 ok, 1 system error, 2 bad usage or bad scenario.\n"
            "See iosim(1) and docs/scenario-language.md.\n",
            IOSIM_DATADIR);
}

/* A path as given if it exists; else a bundled scenario of that name */
static const char *resolve(const char *arg, char *buf, size_t len)
{
    struct stat st;
    if (stat(arg, &st) == 0 || strchr(arg, '/'))
        return arg;
    const char *env = getenv("IOSIM_DATADIR");
    const char *dirs[] = {"scenarios", env, IOSIM_DATADIR "/scenarios"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i])
            continue;
        const char *ext = strstr(arg, ".scn") ? "" : ".scn";
        if (i == 1)
            snprintf(buf, len, "%s/scenarios/%s%s", dirs[i], arg, ext);
        else
            snprintf(buf, len, "%s/%s%s", dirs[i], arg, ext);
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
            return buf;
    }
    return arg;
}

struct run_opts {
    long max_events;
    const char *model; /* --model: every server's model, or NULL */
};

/* Parse and simulate; on failure print the message and return NULL */
static struct tl *load_and_run(const char *arg, const struct run_opts *ro,
                               int *status)
{
    char path[PATH_MAX], err[1024];
    const char *p = resolve(arg, path, sizeof path);
    struct prog *prog = scn_load_model(p, ro->model, err, sizeof err);
    if (!prog) {
        fprintf(stderr, "%s\n", err);
        *status = 2;
        return NULL;
    }
    struct sim_opts so = {.max_events = ro->max_events};
    struct tl *tl = sim_run(prog, &so, err, sizeof err);
    prog_free(prog);
    if (!tl) {
        fprintf(stderr, "%s\n", err);
        *status = strstr(err, "out of memory") ? 1 : 2;
    }
    return tl;
}

static int finish_output(int rc)
{
    if (rc || fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "iosim: error: cannot write the output: %s\n",
                strerror(rc ? -rc : errno));
        return 1;
    }
    return 0;
}

static int print_stats(const struct tl *tl)
{
    struct tl_stats st;
    if (tl_stats(tl, &st))
        return -ENOMEM;
    printf("makespan_ns %lld\npeers_done_ns %lld\n", (long long)st.makespan_ns,
           (long long)st.peers_done_ns);
    printf("syscalls %ld\n", st.syscalls_total);
    for (int s = 0; s < SYS__COUNT; s++)
        if (st.syscalls[s])
            printf("syscalls.%s %ld\n", tl_sys_name(s), st.syscalls[s]);
    printf("syscall_errors %ld\neagain %ld\ncontext_switches %ld\n", st.errors,
           st.eagain, st.ctx_switches);
    printf("cpu_busy_ns %lld\nkernel_scan_ns %lld\nfds_scanned %ld\n",
           (long long)st.cpu_busy_ns, (long long)st.kernel_scan_ns,
           st.fds_scanned);
    printf("bytes_copied_to_user %lld\nbytes_copied_to_kernel %lld\ncopies %ld\n",
           (long long)st.bytes_to_user, (long long)st.bytes_to_kernel, st.copies);
    printf("requests %ld\nlatency_p50_ns %lld\nlatency_p99_ns %lld\n", st.requests,
           (long long)st.latency_p50_ns, (long long)st.latency_p99_ns);
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
    return n;
}

/* The same workload under each model, one column per model */
static int compare(const char *arg, const char **models, int n,
                   struct run_opts *ro, int *status)
{
    struct tl_stats st[COMPARE_MAX];
    char title[256] = "";
    for (int i = 0; i < n; i++) {
        ro->model = models[i];
        struct tl *tl = load_and_run(arg, ro, status);
        if (!tl)
            return 0;
        int rc = tl_stats(tl, &st[i]);
        if (!i)
            snprintf(title, sizeof title, "%s", tl->source ? tl->source : arg);
        tl_free(tl);
        if (rc)
            return rc;
    }
    printf("%s: the same workload under %d models\n", title, n);
    printf("%-24s", "");
    for (int i = 0; i < n; i++)
        printf(" %13s", models[i]);
    printf("\n");
    enum { C_COUNT, C_TIME, C_BYTES };
    static const struct { const char *name; int kind; } rows[] = {
        {"requests served", C_COUNT}, {"latency p50", C_TIME},
        {"latency p99", C_TIME}, {"syscalls", C_COUNT},
        {"kernel scanning (CPU)", C_TIME}, {"fds scanned", C_COUNT},
        {"bytes copied", C_BYTES}, {"context switches", C_COUNT},
        {"CPU busy", C_TIME}, {"makespan (clients done)", C_TIME},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        printf("%-24s", rows[r].name);
        for (int i = 0; i < n; i++) {
            const struct tl_stats *x = &st[i];
            int64_t v[] = {x->requests, x->latency_p50_ns, x->latency_p99_ns,
                           x->syscalls_total, x->kernel_scan_ns, x->fds_scanned,
                           x->bytes_to_user + x->bytes_to_kernel,
                           x->ctx_switches, x->cpu_busy_ns, x->peers_done_ns};
            char b[40];
            if (rows[r].kind == C_TIME)
                tl_time_text(b, sizeof b, v[r]);
            else
                snprintf(b, sizeof b, "%lld", (long long)v[r]);
            printf(" %13s", b);
        }
        printf("\n");
    }
    return 0;
}

static int parse_screen(const char *s, int *cols, int *rows, long *ev)
{
    char tail = 0;
    *ev = -1;
    int n = sscanf(s, "%dx%d@%ld%c", cols, rows, ev, &tail);
    if (n == 2 || n == 3)
        return *cols > 0 && *rows > 0 && *cols <= 1000 && *rows <= 1000 ? 0 : -1;
    return -1;
}

int main(int argc, char **argv)
{
    enum { M_VIEW, M_CHECK, M_DUMP, M_JSON, M_CHROME, M_STATS, M_SCREEN,
           M_COMPARE } mode = M_VIEW;
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
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return finish_output(0);
        } else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            printf("iosim %s\n", IOSIM_VERSION);
            return finish_output(0);
        } else if (!strcmp(a, "--check")) {
            mode = M_CHECK;
        } else if (!strcmp(a, "--dump")) {
            mode = M_DUMP;
        } else if (!strcmp(a, "--stats")) {
            mode = M_STATS;
        } else if (!strcmp(a, "--export")) {
            const char *f = i + 1 < argc ? argv[++i] : "";
            if (!strcmp(f, "json"))
                mode = M_JSON;
            else if (!strcmp(f, "chrome"))
                mode = M_CHROME;
            else {
                fprintf(stderr, "iosim: error: --export takes json or chrome, not '%s'\n", f);
                return 2;
            }
        } else if (!strcmp(a, "--screen")) {
            if (i + 1 >= argc || parse_screen(argv[++i], &cols, &rows, &screen_ev)) {
                fprintf(stderr, "iosim: error: --screen takes COLSxROWS[@EVENT], e.g. 80x24@10\n");
                return 2;
            }
            mode = M_SCREEN;
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
            mode = M_COMPARE;
        } else if (!strcmp(a, "--events")) {
            char *end = NULL;
            ro.max_events = i + 1 < argc ? strtol(argv[++i], &end, 10) : 0;
            if (!end || *end || ro.max_events <= 0) {
                fprintf(stderr, "iosim: error: --events takes a positive number\n");
                return 2;
            }
        } else if (!strcmp(a, "--mono")) {
            uo.mono = 1;
        } else if (!strcmp(a, "--ascii")) {
            uo.ascii = 1;
        } else {
            fprintf(stderr, "iosim: error: unknown option '%s' (see iosim --help)\n", a);
            return 2;
        }
    }
    int nfiles = argc - i;
    if (nfiles < 1 || (mode != M_CHECK && nfiles > 1)) {
        fprintf(stderr, nfiles < 1 ? "iosim: error: no scenario given\n"
                                   : "iosim: error: one scenario at a time\n");
        usage(stderr);
        return 2;
    }
    int status = 0;
    if (mode == M_CHECK) {
        for (; i < argc; i++) {
            struct tl *tl = load_and_run(argv[i], &ro, &status);
            tl_free(tl);
        }
        return status;
    }
    if (mode == M_COMPARE) {
        int rc = compare(argv[i], models, nmodels, &ro, &status);
        return status ? status : finish_output(rc);
    }
    if (mode == M_VIEW && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
        fprintf(stderr, "iosim: error: the viewer needs a terminal; "
                        "use --dump or --export json for a pipe or a file\n");
        return 2;
    }
    struct tl *tl = load_and_run(argv[i], &ro, &status);
    if (!tl)
        return status;
    int rc = 0;
    switch (mode) {
    case M_DUMP: rc = finish_output(tl_dump(tl, stdout)); break;
    case M_JSON: rc = finish_output(tl_export_json(tl, stdout)); break;
    case M_CHROME: rc = finish_output(tl_export_chrome(tl, stdout)); break;
    case M_STATS: rc = finish_output(print_stats(tl)); break;
    case M_SCREEN:
        rc = finish_output(ui_render_text(tl, cols, rows, screen_ev, -1, stdout));
        break;
    default: rc = ui_run(tl, &uo); break;
    }
    tl_free(tl);
    return rc;
}
