/*
 * export.h - numbers and documents made from a finished timeline.
 *
 * tl_stats() derives every figure from the events alone, so a simulated and
 * a recorded timeline are measured the same way.  Peers (the workload's
 * clients) are outside the machine: their syscalls and CPU are not counted,
 * but their requests and latencies are.  Formats: docs/export-format.md.
 */
#ifndef IOSIM_EXPORT_H
#define IOSIM_EXPORT_H

#include <stdio.h>
#include "tl/tl.h"

struct tl_stats {
    int64_t makespan_ns;       /* time of the last event */
    int64_t peers_done_ns;     /* time of the last peer event: when the
                                  workload was over (a busy-polling server
                                  may spin on after it) */
    long syscalls[TL_SYS_ALL]; /* by syscall, machine tasks only */
    long syscalls_total;
    long errors;               /* syscalls that failed (EAGAIN included) */
    long eagain;
    long ctx_switches;         /* a CPU starting a task other than its last */
    int64_t cpu_busy_ns;       /* sum over CPUs of time running tasks */
    int64_t kernel_scan_ns;    /* select/poll/epoll_wait readiness checks */
    long fds_scanned;
    int64_t bytes_to_user;     /* copied kernel -> user by machine tasks */
    int64_t bytes_to_kernel;
    long copies;
    long requests;             /* peer request/response pairs completed */
    int64_t latency_p50_ns, latency_p99_ns, latency_max_ns;
    long tasks, processes, threads, peers;
    int64_t bytes_copied;      /* to user + to kernel */
    long killed;               /* machine tasks killed by a signal */
    int64_t killed_at_ns;      /* when the first of them died, -1 if none */
    long kill_signal;          /* its signal, 0 if none */
};

/* The scalar figures, in the order JSON and --stats print them:
 * X(name, field).  (The per-syscall counts are printed apart.) */
#define TL_STAT_FIELDS(X) \
    X("makespan_ns", makespan_ns) X("peers_done_ns", peers_done_ns) \
    X("syscalls_total", syscalls_total) X("syscall_errors", errors) \
    X("eagain", eagain) X("context_switches", ctx_switches) \
    X("cpu_busy_ns", cpu_busy_ns) X("kernel_scan_ns", kernel_scan_ns) \
    X("fds_scanned", fds_scanned) X("bytes_copied", bytes_copied) \
    X("bytes_copied_to_user", bytes_to_user) \
    X("bytes_copied_to_kernel", bytes_to_kernel) X("copies", copies) \
    X("requests", requests) X("latency_p50_ns", latency_p50_ns) \
    X("latency_p99_ns", latency_p99_ns) X("latency_max_ns", latency_max_ns) \
    X("tasks", tasks) X("processes", processes) X("threads", threads) \
    X("peers", peers) X("killed", killed) X("killed_at_ns", killed_at_ns) \
    X("kill_signal", kill_signal)

int tl_stats(const struct tl *tl, struct tl_stats *st);
int tl_export_json(const struct tl *tl, FILE *out);
/* Chrome trace event format (Perfetto, chrome://tracing) */
int tl_export_chrome(const struct tl *tl, FILE *out);
/* JSON string literal of s (UTF-8 passed through, controls escaped) */
void tl_json_str(FILE *out, const char *s);

#endif
