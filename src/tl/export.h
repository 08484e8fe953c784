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
    long syscalls[SYS__COUNT]; /* by syscall, machine tasks only */
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
};

int tl_stats(const struct tl *tl, struct tl_stats *st);
int tl_export_json(const struct tl *tl, FILE *out);
/* Chrome trace event format (Perfetto, chrome://tracing) */
int tl_export_chrome(const struct tl *tl, FILE *out);
/* JSON string literal of s (UTF-8 passed through, controls escaped) */
void tl_json_str(FILE *out, const char *s);

#endif
