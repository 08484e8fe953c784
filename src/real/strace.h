/*
 * strace.h - read logs of `strace -f` into a timeline (`iosim --strace`).
 *
 * Understands what strace prints with -f (a pid column, or "[pid N]" when
 * it writes to a terminal), -ff (one file a process: the pid comes from
 * the file name, LOG.PID), -t/-tt/-ttt/--timestamps=ns or -r times, -T
 * durations, -y/-yy fd decorations ("3<TCP:[...]>"), -s N, -X verbose or
 * raw (numbers, with their names in a comment or without), "<unfinished
 * ...>" and
 * "<... read resumed>" joined into one call, signals ("--- SIGCHLD {...}
 * ---"), exits ("+++ exited with 0 +++", "+++ killed by SIGKILL +++") and
 * every errno and restart code.  Each call becomes a struct trace_call
 * (trace.h), so the timeline is built exactly as for iosim's own tracer.
 *
 * A line it does not understand is counted, and the first few are kept for
 * the report, never fatal; a last line cut short (strace killed, the log
 * still being written) is counted apart.  Failures are negative errno.
 */
#ifndef IOSIM_STRACE_H
#define IOSIM_STRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "real/trace.h"
#include "tl/tl.h"

#define STRACE_BAD_KEEP 5

struct strace_report {
    long lines;        /* lines read (empty ones included) */
    long calls;        /* syscalls (an unfinished/resumed pair is one) */
    long joined;       /* of them, calls joined from <unfinished ...> and
                          <... resumed> */
    long no_return;    /* calls that never returned ("= ?", or the log ends
                          while they are unfinished) */
    long errors;       /* calls that returned -1 with an errno */
    long signals;      /* "--- SIG... ---" */
    long exits;        /* "+++ exited with N +++" / "+++ killed by ... +++" */
    long notes;        /* strace's own lines ("strace: Process N attached",
                          "--- stopped by ... ---", "+++ superseded ...") */
    long bad;          /* lines not understood */
    long truncated;    /* a last line cut short (0 or 1 per file) */
    long stopped_at;   /* the line the import stopped at, having reached
                          its memory budget; 0 if it read everything */
    int64_t budget;    /* in: bytes the import may hold (the records, and
                          the timeline to be built from them); 0: no limit */
    int timestamps;    /* 0 none (times are made up: 1 us a line),
                          1 wall clock (-t/-tt/-ttt), 2 relative (-r) */
    struct {
        char file[128];
        long line;
        char text[120];
    } first_bad[STRACE_BAD_KEEP];
};

/*
 * Parse one log (its whole text in buf) into tr.  pid is the process the
 * lines belong to when they have no pid column (an -ff file, or a trace of
 * one process; 0 if unknown); name is the file name the report gives.
 * Wall-clock times are kept as they are (the timeline starts at the first
 * moment of all files, trace_finish() shifts them).
 */
int strace_parse(struct trace *tr, const char *name, const char *buf, size_t len,
                 int pid, struct strace_report *rep);

/*
 * Import the logs at paths (one log, or the LOG.PID files of -ff; a path
 * that does not exist but has LOG.PID siblings means all of them; "-" is
 * standard input, and a pipe is read to its end) into a timeline.  On failure returns -errno with a message in err.
 */
#define STRACE_MEM_DEFAULT ((int64_t)4 << 30)
int strace_import(const char *const *paths, int npaths, int64_t max_mem,
                  struct tl **out, struct strace_report *rep, char *err,
                  size_t errlen);

/* The report in a few lines, for stderr: counts, then the lines not
 * understood as "FILE:LINE: text" */
void strace_report_print(const struct strace_report *rep, const char *prog,
                         FILE *out);

#endif
