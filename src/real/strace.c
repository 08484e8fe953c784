/*
 * strace.c - strace logs into syscall records (see strace.h).
 *
 * A line is: [pid column] [time] BODY [<duration>].  BODY is a call
 * "name(args) = ret", the first half of one "name(args <unfinished ...>",
 * its second half "<... name resumed>args) = ret", a signal "--- SIG ---"
 * or an exit "+++ ... +++".  The halves of a call are joined by pid; the
 * arguments are split at the commas outside quotes, brackets, braces, fd
 * decorations and comments, and only those the timeline needs are read.
 * Flags are found by name, so that strace's default output, -X verbose
 * ("0x800 /" "* O_NONBLOCK *" "/") and -X abbrev read the same; -X raw gives
 * numbers only, which are read where the number is the flag word.
 */
#include "real/strace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl/text.h"

#define MAX_ARGS 8
#define MAX_FDEV 64

struct span {
    const char *p;
    size_t n;
};

/* A call's first half waiting for its second, by pid */
struct pend {
    int pid;
    int sys;
    int line;
    int64_t t;
    char *text; /* the arguments so far */
    size_t n, cap;
};

struct ps {
    struct trace *tr;
    struct strace_report *rep;
    const char *name;
    int pid;          /* for lines without a pid column */
    int tsmode;       /* 0 unknown, 1 clock, 2 epoch seconds, 3 relative */
    int64_t last_t;   /* the previous line's time */
    int64_t day;      /* ns added to a clock time (the log passed midnight) */
    int64_t prev_clock;
    long lineno;
    int script;       /* the log as a script (trace_script), -1 */
    struct pend *pend;
    int npend, pendcap;
    char *join;       /* scratch: a call's joined arguments */
    size_t joincap;
};

/* A decimal number at p, reading no further than e (the text is not
 * NUL-terminated); saturates instead of overflowing */
static long dec(const char *p, const char *e)
{
    int neg = p < e && *p == '-';
    long v = 0;
    for (p += neg; p < e && *p >= '0' && *p <= '9'; p++)
        v = v < 100000000000L ? v * 10 + (*p - '0') : v;
    return neg ? -v : v;
}

/* a + b for times and durations in ns, held within +-2^62 */
static int64_t sat_add(int64_t a, int64_t b)
{
    const int64_t lim = (int64_t)1 << 62;
    if (a > lim) a = lim;
    if (a < -lim) a = -lim;
    if (b > lim) b = lim;
    if (b < -lim) b = -lim;
    if (b > 0 && a > lim - b) /* lim + lim would be 2^63: no int64 */
        return lim;
    if (b < 0 && a < -lim - b)
        return -lim;
    return a + b;
}

/* ---- names -------------------------------------------------------------- */

/* syscall names -> tl_sys, hashed once */
#define NAME_HASH 2048
static int16_t name_tab[NAME_HASH];
static int names_ready;

static uint32_t hash_name(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void names_init(void)
{
    if (names_ready)
        return;
    for (int i = 0; i < NAME_HASH; i++)
        name_tab[i] = -1;
    for (int s = 0; s < TL_SYS_ALL; s++) {
        const char *n = tl_sys_name(s);
        if (!strcmp(n, "?") || tl_sys_lookup(n) != s)
            continue; /* a gap, or a modelled name's Linux twin */
        uint32_t h = hash_name(n, strlen(n)) & (NAME_HASH - 1);
        while (name_tab[h] >= 0)
            h = (h + 1) & (NAME_HASH - 1);
        name_tab[h] = (int16_t)s;
    }
    names_ready = 1;
}

static int sys_find(const char *p, size_t n)
{
    uint32_t h = hash_name(p, n) & (NAME_HASH - 1);
    while (name_tab[h] >= 0) {
        const char *s = tl_sys_name(name_tab[h]);
        if (strlen(s) == n && !memcmp(s, p, n))
            return name_tab[h];
        h = (h + 1) & (NAME_HASH - 1);
    }
    if (n > 10 && !memcmp(p, "syscall_0x", 10)) { /* strace: an unknown number */
        char b[24];
        snprintf(b, sizeof b, "%.*s", (int)(n - 10 < 16 ? n - 10 : 16), p + 10);
        return tl_sys_of_nr((int)strtol(b, NULL, 16));
    }
    return -1;
}

static const char *const sig_names[] = {
    NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
    "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",
    "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
    "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
    "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

/* "SIGCHLD", "17", "17 /" "* SIGCHLD *" "/", "SIGRTMIN", "SIGRT_3": number or 0 */
static int sig_num(const char *p, size_t n)
{
    while (n && *p == ' ')
        p++, n--;
    if (n && p[0] >= '0' && p[0] <= '9')
        return (int)dec(p, p + n);
    size_t k = 0;
    while (k < n && (p[k] == '_' || (p[k] >= 'A' && p[k] <= 'Z') ||
                     (p[k] >= '0' && p[k] <= '9')))
        k++;
    for (int s = 1; s < (int)(sizeof sig_names / sizeof *sig_names); s++)
        if (strlen(sig_names[s]) == k && !memcmp(sig_names[s], p, k))
            return s;
    if (k == 6 && !memcmp(p, "SIGIOT", 6))
        return 6;
    if (k == 8 && !memcmp(p, "SIGRTMIN", 8))
        return 34;
    if (k > 6 && !memcmp(p, "SIGRT_", 6))
        return 32 + (int)dec(p + 6, p + n);
    return 0;
}

/* ---- text helpers -------------------------------------------------------- */

/* Does [p, p+n) hold the word w (not as a part of a longer name)? */
/* wait4's status argument as strace prints it, as trace_call.size has it:
 * "NULL" 0; "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]" or
 * "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM && WCOREDUMP(s)}]" the word
 * the kernel wrote; an address (the call failed) asked, nothing written */
static int has_word(const char *p, size_t n, const char *w);

static int64_t wstatus_of(struct span a)
{
    if (a.n == 4 && !memcmp(a.p, "NULL", 4))
        return 0;
    static const char ex[] = "WEXITSTATUS(s) == ", sg[] = "WTERMSIG(s) == ";
    for (size_t i = 0; i < a.n; i++) {
        size_t rest = a.n - i;
        if (rest > sizeof ex - 1 && !memcmp(a.p + i, ex, sizeof ex - 1)) {
            const char *d = a.p + i + sizeof ex - 1, *e = d;
            while (e < a.p + a.n && *e >= '0' && *e <= '9')
                e++;
            return TRACE_WSTATUS_ASKED | TRACE_WSTATUS_SET |
                   ((dec(d, e) & 0xff) << 8);
        }
        if (rest > sizeof sg - 1 && !memcmp(a.p + i, sg, sizeof sg - 1)) {
            const char *d = a.p + i + sizeof sg - 1;
            int core = has_word(a.p, a.n, "WCOREDUMP");
            return TRACE_WSTATUS_ASKED | TRACE_WSTATUS_SET |
                   (sig_num(d, (size_t)(a.p + a.n - d)) & 0x7f) | (core ? 0x80 : 0);
        }
    }
    return TRACE_WSTATUS_ASKED;
}

static int has_word(const char *p, size_t n, const char *w)
{
    size_t wl = strlen(w);
    for (size_t i = 0; i + wl <= n; i++) {
        if (p[i] != w[0] || memcmp(p + i, w, wl))
            continue;
        char a = i ? p[i - 1] : ' ', z = i + wl < n ? p[i + wl] : ' ';
        int an = a == '_' || (a >= 'A' && a <= 'Z') || (a >= '0' && a <= '9');
        int zn = z == '_' || (z >= 'A' && z <= 'Z') || (z >= '0' && z <= '9');
        if (!an && !zn)
            return 1;
    }
    return 0;
}

/* Does [p, p+n) hold s anywhere? */
static int has_str(const char *p, size_t n, const char *s)
{
    size_t sl = strlen(s);
    for (size_t i = 0; i + sl <= n; i++)
        if (p[i] == s[0] && !memcmp(p + i, s, sl))
            return 1;
    return 0;
}

/* A flag whose name ends in suffix (SOCK_NONBLOCK, O_NONBLOCK, EFD_...) */
static int has_suffix_word(const char *p, size_t n, const char *suffix)
{
    size_t sl = strlen(suffix);
    for (size_t i = 0; i + sl <= n; i++) {
        if (memcmp(p + i, suffix, sl))
            continue;
        char z = i + sl < n ? p[i + sl] : ' ';
        if (!(z == '_' || (z >= 'A' && z <= 'Z') || (z >= '0' && z <= '9')))
            return 1;
    }
    return 0;
}

/* The number a span starts with: decimal, 0x hex, -1; 0 and *ok = 0 if
 * none.  "4294967295" and "~0" read as is. */
static int64_t num(struct span s, int *ok)
{
    const char *p = s.p, *e = s.p + s.n;
    while (p < e && (*p == ' ' || *p == '['))
        p++;
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= e || *p < '0' || *p > '9') {
        if (ok)
            *ok = 0;
        return 0;
    }
    int64_t v = 0;
    if (p + 1 < e && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        for (; p < e; p++) {
            int d = *p >= '0' && *p <= '9' ? *p - '0'
                    : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                    : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;
            if (d < 0)
                break;
            v = (int64_t)((uint64_t)v << 4 | (uint64_t)d);
        }
    } else if (p[0] == '0' && p + 1 < e && p[1] >= '0' && p[1] <= '7') {
        for (; p < e && *p >= '0' && *p <= '7'; p++) /* octal: 0644, 04000 */
            v = (int64_t)((uint64_t)v * 8 + (uint64_t)(*p - '0'));
    } else {
        for (; p < e && *p >= '0' && *p <= '9'; p++)
            v = (int64_t)((uint64_t)v * 10 + (uint64_t)(*p - '0'));
    }
    if (ok)
        *ok = 1;
    return neg ? -v : v;
}

static int64_t num_or(struct span s, int64_t dflt)
{
    int ok;
    int64_t v = num(s, &ok);
    return ok ? v : dflt;
}

/* The kind of object an fd decoration names: "3<TCP:[...]>" (-yy),
 * "3<socket:[123]>", "3</dev/pts/0>"; -1 if none.  *port: a listening
 * address's port (TCP:[0.0.0.0:80] without "->"), else 0. */
static int deco_kind(struct span s, int *port)
{
    const char *p = s.p, *e = s.p + s.n;
    if (port)
        *port = 0;
    while (p < e && (*p == ' ' || *p == '-' || (*p >= '0' && *p <= '9')))
        p++;
    if (p >= e || *p != '<')
        return -1;
    p++;
    size_t n = (size_t)(e - p);
#define PFX(str) (n >= sizeof(str) - 1 && !memcmp(p, str, sizeof(str) - 1))
    if (PFX("TCP:") || PFX("TCPv6:")) {
        const char *q = memchr(p, ']', n);
        size_t m = q ? (size_t)(q - p) : n;
        if (port && !has_str(p, m, "->")) {
            const char *c = NULL;
            for (size_t i = 0; i < m; i++)
                if (p[i] == ':')
                    c = p + i;
            if (c && c > p + 5 && c[1] >= '0' && c[1] <= '9') {
                *port = (int)dec(c + 1, p + m);
                return OK_LISTEN;
            }
        }
        return OK_SOCKET;
    }
    if (PFX("UDP") || PFX("UNIX") || PFX("NETLINK") || PFX("socket:") ||
        PFX("RAW") || PFX("PACKET") || PFX("UDPLITE") || PFX("SCTP") ||
        PFX("L2TP") || PFX("MPTCP") || PFX("ICMP") || PFX("PING"))
        return OK_SOCKET;
    if (PFX("pipe:"))
        return OK_PIPE_R;
    if (PFX("anon_inode:")) {
        if (has_str(p, n, "eventpoll"))
            return OK_EPOLL;
        if (has_str(p, n, "eventfd"))
            return OK_EVENTFD;
        if (has_str(p, n, "timerfd"))
            return OK_TIMERFD;
        if (has_str(p, n, "signalfd"))
            return OK_SIGNALFD;
        if (has_str(p, n, "inotify"))
            return OK_INOTIFY;
        if (has_str(p, n, "io_uring"))
            return OK_URING;
        return OK_OTHER;
    }
    if (PFX("/dev/pts/") || PFX("/dev/tty") || PFX("/dev/console") ||
        PFX("/dev/ptmx"))
        return OK_TTY;
    if (PFX("/"))
        return OK_FILE;
#undef PFX
    return OK_OTHER;
}

/*
 * Split an argument list at its top-level commas.  Quotes (with escapes),
 * () [] {}, fd decorations <...> after a digit and comments are kept
 * whole.  Returns the number of spans; *end (if not NULL) is where the
 * list closed (the ')' at depth 0) or NULL if it did not.
 */
static int split_args(const char *p, const char *e, struct span *a, int max,
                      const char **end)
{
    int n = 0, depth = 0;
    const char *start = p;
    if (end)
        *end = NULL;
    while (p < e && *p == ' ')
        start = ++p;
    for (; p < e; p++) {
        char ch = *p;
        if (ch == '"') {
            for (p++; p < e && *p != '"'; p++)
                if (*p == '\\' && p + 1 < e)
                    p++;
            if (p >= e)
                break;
            continue;
        }
        if (ch == '/' && p + 1 < e && p[1] == '*') {
            const char *q = p + 2;
            while (q + 1 < e && !(q[0] == '*' && q[1] == '/'))
                q++;
            p = q + 1 < e ? q + 1 : e - 1;
            continue;
        }
        if (ch == '<' && p > start && p[-1] >= '0' && p[-1] <= '9') {
            int d = 1; /* a decoration: up to its '>' */
            for (p++; p < e && d; p++)
                if (*p == '<')
                    d++;
                else if (*p == '>')
                    d--;
            p--;
            continue;
        }
        if (ch == '(' || ch == '[' || ch == '{') {
            depth++;
        } else if (ch == ')' || ch == ']' || ch == '}') {
            if (depth == 0 && ch == ')') {
                if (n < max && (p > start || n > 0))
                    a[n++] = (struct span){start, (size_t)(p - start)};
                if (end)
                    *end = p;
                return n;
            }
            if (depth > 0)
                depth--;
        } else if (ch == ',' && depth == 0) {
            if (n < max)
                a[n++] = (struct span){start, (size_t)(p - start)};
            start = p + 1;
            while (start < e && *start == ' ')
                start++;
        }
    }
    if (n < max && p > start)
        a[n++] = (struct span){start, (size_t)(p - start)};
    return n;
}

/* ---- times -------------------------------------------------------------- */

/* The time token at *pp (moved past it and its spaces); 0 if none */
static int read_time(struct ps *s, const char **pp, const char *e, int64_t *t)
{
    const char *p = *pp;
    while (p < e && *p == ' ')
        p++;
    const char *q = p;
    int colons = 0, dot = 0;
    while (q < e && ((*q >= '0' && *q <= '9') || *q == ':' || *q == '.')) {
        colons += *q == ':';
        dot += *q == '.';
        q++;
    }
    if (q == p || q >= e || *q != ' ' || dot > 1 || (!colons && !dot))
        return 0;
    int64_t sec = 0, frac = 0;
    int64_t parts[3] = {0, 0, 0};
    int np = 0;
    const char *r = p;
    for (; r < q && *r != '.'; r++) {
        if (*r == ':') {
            if (++np > 2)
                return 0;
            continue;
        }
        parts[np] = parts[np] * 10 + (*r - '0');
        if (parts[np] > 4000000000000LL)
            return 0;
    }
    int digits = 0;
    if (r < q && *r == '.')
        for (r++; r < q; r++)
            if (digits < 9) {
                frac = frac * 10 + (*r - '0');
                digits++;
            }
    for (; digits < 9; digits++)
        frac *= 10;
    if (colons)
        sec = colons == 2 ? parts[0] * 3600 + parts[1] * 60 + parts[2]
                          : parts[0] * 60 + parts[1];
    else
        sec = parts[0];
    if (sec > 9000000000LL) /* past the year 2255: not a time */
        return 0;
    int64_t v = sec * 1000000000 + frac;
    int mode = colons ? 1 : s->tsmode == 2 || s->tsmode == 3 ? s->tsmode
               : sec >= 100000000 ? 2 : 3; /* -ttt, else -r */
    if (!s->tsmode)
        s->tsmode = mode;
    if (s->tsmode == 1 && colons) {
        if (v + s->day < s->prev_clock - 43200000000000LL)
            s->day += 86400000000000LL; /* past midnight */
        v = sat_add(v, s->day);
        s->prev_clock = v;
    } else if (s->tsmode == 3) {
        v = sat_add(v, s->last_t);
    }
    *t = v;
    while (q < e && *q == ' ')
        q++;
    *pp = q;
    return 1;
}

/* " <0.000129>" at the end of [p, *e): the ns, with *e moved before it */
static int64_t read_duration(const char *p, const char **e)
{
    const char *q = *e;
    while (q > p && q[-1] == ' ')
        q--;
    if (q <= p || q[-1] != '>')
        return -1;
    const char *o = q - 1;
    while (o > p && o[-1] != '<')
        o--;
    if (o <= p || o - 1 <= p || o[-2] != ' ')
        return -1;
    int64_t sec = 0, frac = 0;
    int digits = 0, dot = 0;
    for (const char *r = o; r < q - 1; r++) {
        if (*r == '.') {
            dot = 1;
        } else if (*r >= '0' && *r <= '9') {
            if (!dot)
                sec = sec * 10 + (*r - '0');
            else if (digits < 9) {
                frac = frac * 10 + (*r - '0');
                digits++;
            }
        } else {
            return -1;
        }
        if (sec > 1000000000LL)
            return -1;
    }
    for (; digits < 9; digits++)
        frac *= 10;
    *e = o - 2;
    return sec * 1000000000 + frac;
}

/* ---- pending halves ----------------------------------------------------- */

static struct pend *pend_find(struct ps *s, int pid)
{
    for (int i = 0; i < s->npend; i++)
        if (s->pend[i].pid == pid)
            return &s->pend[i];
    return NULL;
}

static void pend_drop(struct ps *s, struct pend *p)
{
    free(p->text);
    *p = s->pend[--s->npend];
}

static int grow_pend(struct ps *s)
{
    if (s->npend < s->pendcap)
        return 0;
    int n = s->pendcap ? s->pendcap * 2 : 16;
    struct pend *p = realloc(s->pend, (size_t)n * sizeof *p);
    if (!p)
        return -ENOMEM;
    s->pend = p;
    s->pendcap = n;
    return 0;
}

static int text_put(char **buf, size_t *n, size_t *cap, const char *p, size_t len)
{
    if (*n + len + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *n + len + 1)
            c *= 2;
        char *q = realloc(*buf, c);
        if (!q)
            return -ENOMEM;
        *buf = q;
        *cap = c;
    }
    memcpy(*buf + *n, p, len);
    *n += len;
    (*buf)[*n] = 0;
    return 0;
}

/* ---- one call ------------------------------------------------------------ */

static void bad(struct ps *s, const char *p, const char *e)
{
    struct strace_report *r = s->rep;
    if (r->bad < STRACE_BAD_KEEP) {
        snprintf(r->first_bad[r->bad].file, sizeof r->first_bad[r->bad].file, "%s",
                 s->name);
        r->first_bad[r->bad].line = s->lineno;
        int n = (int)(e - p);
        if (n > (int)sizeof r->first_bad[0].text - 1)
            n = (int)sizeof r->first_bad[0].text - 1;
        snprintf(r->first_bad[r->bad].text, sizeof r->first_bad[r->bad].text, "%.*s",
                 n, p);
    }
    r->bad++;
}

static int is(int sys, const char *name)
{
    return !strcmp(tl_sys_name(sys), name);
}

/* Status flags and close-on-exec of a new fd, from its flags argument */
/* The first quoted string of an argument (a path: open's, execve's) into
 * c->path; one buffer, overwritten by the next line read */
static void quoted_path(struct span p, struct trace_call *c)
{
    static char path[512];
    const char *q = memchr(p.p, '"', p.n);
    if (!q)
        return;
    const char *z = memchr(q + 1, '"', p.n - (size_t)(q + 1 - p.p));
    size_t n = z ? (size_t)(z - q - 1) : 0;
    if (n >= sizeof path)
        n = sizeof path - 1;
    memcpy(path, q + 1, n);
    path[n] = 0;
    c->path = path;
}

static uint32_t new_fd_flags(struct span f)
{
    uint32_t v = 0;
    if (has_suffix_word(f.p, f.n, "_NONBLOCK"))
        v |= TL_FL_NONBLOCK;
    if (has_suffix_word(f.p, f.n, "_CLOEXEC"))
        v |= TRACE_FD_CLOEXEC;
    return v;
}

/* Linux's O_ word from "O_RDWR|O_NONBLOCK" or a number */
static int64_t o_flags(struct span f)
{
    int ok;
    int64_t v = num(f, &ok);
    if (ok && !has_str(f.p, f.n, "O_"))
        return v;
    v = has_word(f.p, f.n, "O_RDWR") ? 2 : has_word(f.p, f.n, "O_WRONLY") ? 1 : 0;
    if (has_word(f.p, f.n, "O_NONBLOCK"))
        v |= 04000;
    if (has_word(f.p, f.n, "O_ASYNC"))
        v |= 020000;
    return v;
}

/* A timespec "{tv_sec=1, tv_nsec=500}" in ns; -1 for NULL or no timespec */
static int64_t timespec_ns(struct span t)
{
    const char *p = t.p, *e = t.p + t.n;
    int64_t sec = -1, ns = 0;
    for (; p < e; p++) {
        if (e - p > 7 && !memcmp(p, "tv_sec=", 7))
            sec = num((struct span){p + 7, (size_t)(e - p - 7)}, NULL);
        if (e - p > 8 && !memcmp(p, "tv_nsec=", 8))
            ns = num((struct span){p + 8, (size_t)(e - p - 8)}, NULL);
    }
    if (sec < 0)
        return -1;
    if (sec > 4000000000LL)
        sec = 4000000000LL;
    if (ns < 0 || ns > 999999999)
        ns = 0;
    return sec * 1000000000 + ns;
}

/* "[3, 4]" (or with decorations): the two fds */
static void fd_pair(struct span a, int32_t fds[2])
{
    struct span in[2];
    const char *p = a.p, *e = a.p + a.n;
    while (p < e && *p != '[')
        p++;
    if (p >= e)
        return;
    int n = split_args(p + 1, e, in, 2, NULL);
    for (int i = 0; i < n && i < 2; i++) {
        int ok;
        int64_t v = num(in[i], &ok);
        /* the closing ']' is not ')', so the last span may end with it */
        if (ok && v >= 0 && v < (1 << 24))
            fds[i] = (int32_t)v;
    }
}

/* "POLLIN|POLLHUP" (or EPOLL...): Linux's bits, the values <poll.h> and
 * <sys/epoll.h> share */
static uint32_t poll_bits(struct span ev, const char *prefix)
{
    static const struct { uint32_t bit; const char *name; } b[] = {
        {0x1, "IN"}, {0x2, "PRI"}, {0x4, "OUT"}, {0x8, "ERR"}, {0x10, "HUP"},
        {0x20, "NVAL"}, {0x40, "RDNORM"}, {0x80, "RDBAND"}, {0x100, "WRNORM"},
        {0x200, "WRBAND"}, {0x400, "MSG"}, {0x2000, "RDHUP"}};
    uint32_t v = 0;
    for (size_t i = 0; i < sizeof b / sizeof *b; i++) {
        char w[24];
        snprintf(w, sizeof w, "%s%s", prefix, b[i].name);
        if (has_word(ev.p, ev.n, w))
            v |= b[i].bit;
    }
    return v;
}

/* epoll_wait's "[{events=EPOLLIN, data={u32=5, u64=5}}, ...]": the fds
 * (data's u32, which is what a program that stores the fd there gets)
 * and events, into v */
static int epoll_evs(struct span a, struct trace_fdev *v, int max)
{
    const char *p = a.p, *e = a.p + a.n;
    int n = 0;
    while (p < e && n < max) {
        const char *f = NULL;
        for (; p + 7 < e; p++)
            if (!memcmp(p, "events=", 7)) {
                f = p + 7;
                break;
            }
        if (!f)
            break;
        const char *q = f;
        while (q < e && *q != ',' && *q != '}')
            q++;
        v[n].ev = poll_bits((struct span){f, (size_t)(q - f)}, "EPOLL");
        v[n].fd = -1;
        for (; q + 4 < e && *q != ']'; q++)
            if (!memcmp(q, "u32=", 4)) {
                v[n].fd = (int32_t)num((struct span){q + 4, (size_t)(e - q - 4)}, NULL);
                break;
            }
        n++;
        p = q;
    }
    return n;
}

/* ppoll/poll "[{fd=3, events=POLLIN}, ...]": the fds, into v */
static int poll_fds(struct span a, struct trace_fdev *v, int max, const char *evkey)
{
    const char *p = a.p, *e = a.p + a.n;
    int n = 0;
    size_t kl = strlen(evkey);
    while (p < e && n < max) {
        const char *f = NULL;
        for (; p + 3 < e; p++)
            if (!memcmp(p, "fd=", 3)) {
                f = p + 3;
                break;
            }
        if (!f)
            break;
        v[n].fd = (int32_t)num((struct span){f, (size_t)(e - f)}, NULL);
        v[n].ev = 0;
        const char *q = f;
        while (q < e && *q != '}')
            q++;
        for (const char *r = f; r + kl < q; r++)
            if (!memcmp(r, evkey, kl)) {
                v[n].ev = poll_bits((struct span){r + kl, (size_t)(q - r - kl)},
                                    "POLL");
                break;
            }
        n++;
        p = q;
    }
    return n;
}

/* select's "[3 4 7]": the fds of one set, added to v with bit */
static int sel_fds(struct span a, struct trace_fdev *v, int n, int max, uint32_t bit)
{
    const char *p = a.p, *e = a.p + a.n;
    while (p < e && *p == ' ')
        p++;
    if (p >= e || *p != '[')
        return n;
    for (p++; p < e && *p != ']';) {
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        int fd = (int)dec(p, e);
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        int k;
        for (k = 0; k < n && v[k].fd != fd; k++)
            ;
        if (k == n) {
            if (n >= max)
                break;
            v[n].fd = fd;
            v[n++].ev = 0;
        }
        v[k].ev |= bit;
    }
    return n;
}

/* The calls whose first argument is the fd they work on */
static const char *const fd_first[] = {
    "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv",
    "pwritev", "preadv2", "pwritev2", "recvfrom", "sendto", "recvmsg",
    "sendmsg", "recvmmsg", "sendmmsg", "close", "fcntl", "ioctl", "bind",
    "listen", "accept", "accept4", "connect", "shutdown", "getsockopt",
    "setsockopt", "getsockname", "getpeername", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "fstat", "lseek", "dup", "dup2", "dup3",
    "fsync", "fdatasync", "ftruncate", "getdents64", "getdents", "fchdir",
    "fchmod", "fchown", "flock", "io_uring_enter", "io_uring_register",
    "timerfd_settime", "timerfd_gettime", "fstatfs", "fadvise64", "fallocate",
    "inotify_add_watch", "inotify_rm_watch", "syncfs", "fgetxattr",
    "fsetxattr", "flistxattr", "fremovexattr", "sendfile", "splice", "tee",
    "signalfd", "signalfd4", "close_range", "sync_file_range", "readahead",
    "copy_file_range", "vmsplice", "fanotify_mark", "pidfd_send_signal",
    "pidfd_getfd", "setns", "fsconfig", "fsmount", "mq_timedsend",
    "mq_timedreceive", "mq_notify", "mq_getsetattr",
};
static uint8_t fd_first_tab[TL_SYS_ALL];

static void fd_first_init(void)
{
    for (size_t i = 0; i < sizeof fd_first / sizeof *fd_first; i++) {
        int s = tl_sys_lookup(fd_first[i]);
        if (s >= 0)
            fd_first_tab[s] = 1;
    }
}

/* Fill c's fields from the call's name, arguments and result */
static void fill(struct trace_call *c, struct span *a, int na, struct span ret,
                 struct trace_fdev *in, struct trace_fdev *out)
{
    int s = c->sys;
    const char *name = tl_sys_name(s);
#define ARG(i) ((i) < na ? a[i] : (struct span){"", 0})
    if (fd_first_tab[s] && na > 0) {
        int ok;
        int64_t fd = num(a[0], &ok);
        if (ok && fd >= 0 && fd < (1 << 24)) {
            c->fd = (int32_t)fd;
            int k = deco_kind(a[0], NULL);
            if (k == OK_PIPE_R && (!strncmp(name, "write", 5) ||
                                   !strncmp(name, "pwrite", 6) ||
                                   !strncmp(name, "send", 4)))
                k = OK_PIPE_W;
            c->kind = k;
        }
    }
    /* the result's own decoration: the kind of the fd made */
    int rport = 0;
    int rk = deco_kind(ret, &rport);
    if (rk >= 0 && (is(s, "accept") || is(s, "accept4") || is(s, "socket") ||
                    !strncmp(name, "open", 4) || is(s, "creat") || is(s, "dup") ||
                    is(s, "epoll_create") || is(s, "epoll_create1")))
        c->kind = rk == OK_LISTEN && !is(s, "socket") ? OK_SOCKET : rk;
    switch (name[0]) {
    case 'a':
        if (is(s, "accept4"))
            c->flags = new_fd_flags(ARG(3));
        break;
    case 'b':
        if (is(s, "bind")) {
            const char *p = ARG(1).p, *e = p + ARG(1).n;
            for (; p + 15 < e; p++)
                if (!memcmp(p, "sin6_port=htons(", 16) || !memcmp(p, "sin_port=htons(", 15)) {
                    p += p[3] == '6' ? 16 : 15;
                    c->arg = num((struct span){p, (size_t)(e - p)}, NULL);
                    break;
                }
        }
        break;
    case 'c':
        if (is(s, "clone") || is(s, "clone3")) {
            struct span f = is(s, "clone3") ? ARG(0) : (struct span){a[0].p, 0};
            if (!is(s, "clone3"))
                for (int i = 0; i < na; i++)
                    if (a[i].n > 6 && !memcmp(a[i].p, "flags=", 6))
                        f = a[i];
            int64_t fl = 0;
            const char *p = f.p, *e = f.p ? f.p + f.n : NULL; /* clone() */
            for (; p && p + 6 < e; p++)
                if (!memcmp(p, "flags=", 6)) {
                    fl = num((struct span){p + 6, (size_t)(e - p - 6)}, NULL);
                    break;
                }
            if (has_word(f.p, f.n, "CLONE_THREAD"))
                fl |= 0x10000;
            if (has_word(f.p, f.n, "CLONE_VM"))
                fl |= 0x100;
            if (has_word(f.p, f.n, "CLONE_VFORK"))
                fl |= 0x4000;
            c->arg = fl;
        } else if (is(s, "connect")) {
            c->arg = 0;
        } else if (is(s, "clock_nanosleep")) {
            c->size = timespec_ns(ARG(2));
            c->timeout_ns = c->size;
        } else if (is(s, "close_range")) {
            c->fd = (int32_t)num_or(ARG(0), -1);
            int64_t hi = num_or(ARG(1), -1);
            c->fd2 = hi < 0 || hi >= (1 << 24) ? -1 : (int32_t)hi;
            c->arg = has_word(ARG(2).p, ARG(2).n, "CLOSE_RANGE_CLOEXEC") ? 4
                     : num_or(ARG(2), 0);
        } else if (is(s, "creat")) {
            c->flags = TRACE_FD_CLOEXEC & 0;
        }
        break;
    case 'd':
        if (is(s, "dup2") || is(s, "dup3")) {
            int64_t nf = num_or(ARG(1), -1);
            c->fd2 = nf < 0 || nf >= (1 << 24) ? -1 : (int32_t)nf;
            if (is(s, "dup3"))
                c->flags = new_fd_flags(ARG(2));
        }
        break;
    case 'e':
        if (is(s, "epoll_ctl")) {
            struct span op = ARG(1);
            c->arg = has_word(op.p, op.n, "EPOLL_CTL_ADD") ? 1
                     : has_word(op.p, op.n, "EPOLL_CTL_DEL") ? 2
                     : has_word(op.p, op.n, "EPOLL_CTL_MOD") ? 3 : num_or(op, 0);
            int64_t t = num_or(ARG(2), -1);
            c->fd2 = t < 0 || t >= (1 << 24) ? -1 : (int32_t)t;
        } else if (!strncmp(name, "epoll_wait", 10) || !strncmp(name, "epoll_pwait", 11)) {
            c->size = num_or(ARG(2), 0);
            c->nout = epoll_evs(ARG(1), out, MAX_FDEV);
            c->out = out;
            if (is(s, "epoll_pwait2"))
                c->timeout_ns = timespec_ns(ARG(3));
            else {
                int64_t ms = num_or(ARG(3), -1);
                c->timeout_ns = ms < 0 ? -1 : ms > 4000000000LL ? 4000000000LL * 1000000
                                                                : ms * 1000000;
            }
        } else if (is(s, "epoll_create1") || is(s, "eventfd2")) {
            c->flags = new_fd_flags(ARG(is(s, "eventfd2") ? 1 : 0));
        } else if (is(s, "execve") || is(s, "execveat")) {
            quoted_path(ARG(is(s, "execveat") ? 1 : 0), c);
        } else if (is(s, "exit") || is(s, "exit_group")) {
            c->arg = num_or(ARG(0), 0);
        }
        break;
    case 'f':
        if (is(s, "fcntl")) {
            struct span cmd = ARG(1);
            int64_t v = num_or(cmd, -1);
            c->arg = has_word(cmd.p, cmd.n, "F_DUPFD_CLOEXEC") ? F_DUPFD_CLOEXEC
                     : has_word(cmd.p, cmd.n, "F_DUPFD") ? F_DUPFD
                     : has_word(cmd.p, cmd.n, "F_GETFL") ? F_GETFL
                     : has_word(cmd.p, cmd.n, "F_SETFL") ? F_SETFL
                     : has_word(cmd.p, cmd.n, "F_GETFD") ? F_GETFD
                     : has_word(cmd.p, cmd.n, "F_SETFD") ? F_SETFD
                     : has_word(cmd.p, cmd.n, "F_SETOWN") ? F_SETOWN : v;
            if (c->arg == F_SETFL)
                c->size = o_flags(ARG(2));
            else if (c->arg == F_SETFD)
                c->size = has_word(ARG(2).p, ARG(2).n, "FD_CLOEXEC") ? 1
                          : num_or(ARG(2), 0);
            else
                c->size = num_or(ARG(2), 0);
            if (c->arg == F_DUPFD_CLOEXEC)
                c->flags = TRACE_FD_CLOEXEC;
        } else if (is(s, "futex")) {
            struct span op = ARG(1);
            static const char *const ops[] = {
                "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE",
                "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP", "FUTEX_LOCK_PI",
                "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET",
                "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
                "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2"};
            int64_t v = num_or(op, -1) & 127;
            for (int i = 0; i < (int)(sizeof ops / sizeof *ops); i++) {
                char w[40];
                snprintf(w, sizeof w, "%s_PRIVATE", ops[i]);
                if (has_word(op.p, op.n, ops[i]) || has_word(op.p, op.n, w))
                    v = i;
            }
            c->arg = v;
            if (v == 0 || v == 9 || v == 11) {
                int64_t t = timespec_ns(ARG(3));
                c->timeout_ns = t;
            }
        }
        break;
    case 'i':
        if (is(s, "ioctl")) {
            struct span rq = ARG(1);
            if (has_word(rq.p, rq.n, "FIONBIO") || num_or(rq, 0) == FIONBIO) {
                c->arg = FIONBIO;
                c->size = num_or(ARG(2), 0);
            } else {
                c->arg = num_or(rq, 0);
            }
        } else if (is(s, "inotify_init1")) {
            c->flags = new_fd_flags(ARG(0));
        } else if (is(s, "io_uring_enter")) {
            c->size = num_or(ARG(1), 0);
            c->arg = num_or(ARG(2), 0);
        }
        break;
    case 'k':
        if (is(s, "kill"))
            c->arg = sig_num(ARG(1).p, ARG(1).n);
        break;
    case 'l':
        if (is(s, "listen"))
            c->size = num_or(ARG(1), 0);
        break;
    case 'm':
        if (is(s, "memfd_create"))
            c->flags = new_fd_flags(ARG(1));
        break;
    case 'n':
        if (is(s, "nanosleep")) {
            c->size = timespec_ns(ARG(0));
            c->timeout_ns = c->size;
        }
        break;
    case 'o':
        if (is(s, "open") || is(s, "openat") || is(s, "openat2")) {
            int pi = is(s, "open") ? 0 : 1;
            struct span fl = ARG(pi + 1);
            c->flags = new_fd_flags(fl);
            quoted_path(ARG(pi), c);
        }
        break;
    case 'p':
        if (is(s, "pipe2") || is(s, "pipe")) {
            fd_pair(ARG(0), c->fds);
            if (is(s, "pipe2"))
                c->flags = new_fd_flags(ARG(1));
        } else if (is(s, "poll") || is(s, "ppoll")) {
            c->size = num_or(ARG(1), 0);
            if (is(s, "poll")) {
                int64_t ms = num_or(ARG(2), -1);
                c->timeout_ns = ms < 0 ? -1 : ms > 4000000000LL ? 4000000000LL * 1000000
                                                                : ms * 1000000;
            } else {
                c->timeout_ns = timespec_ns(ARG(2));
            }
            c->nin = poll_fds(ARG(0), in, MAX_FDEV, "events=");
            c->in = in;
            c->nout = poll_fds(ret, out, MAX_FDEV, "revents=");
            c->out = out;
        } else if (is(s, "pselect6")) {
            goto sel;
        } else if (!strncmp(name, "pread", 5)) {
            c->size = num_or(ARG(2), 0);
        } else if (!strncmp(name, "pwrite", 6)) {
            c->size = num_or(ARG(2), 0);
        }
        break;
    case 'r':
        if (is(s, "read") || is(s, "readv") || is(s, "recvfrom") ||
            is(s, "recvmsg")) {
            c->size = num_or(ARG(2), 0);
            struct span fl = ARG(is(s, "recvfrom") ? 3 : 2);
            if (!is(s, "read") && !is(s, "readv") &&
                has_word(fl.p, fl.n, "MSG_DONTWAIT"))
                c->timeout_ns = 0;
        } else if (is(s, "rt_sigaction")) {
            c->arg = sig_num(ARG(0).p, ARG(0).n);
            struct span h = ARG(1);
            if (h.n >= 4 && !memcmp(h.p, "NULL", 4))
                c->size = -1;
            else if (has_word(h.p, h.n, "SIG_DFL") || has_word(h.p, h.n, "SIG_IGN"))
                c->size = 0;
            else if (has_str(h.p, h.n, "sa_handler="))
                c->size = 1;
            else
                c->size = -1;
        } else if (is(s, "rt_sigtimedwait")) {
            c->timeout_ns = timespec_ns(ARG(2));
        }
        break;
    case 's':
        if (is(s, "select")) {
        sel:
            c->size = num_or(ARG(0), 0);
            c->timeout_ns = timespec_ns(ARG(4));
            if (c->timeout_ns < 0 && is(s, "select")) {
                /* select's struct timeval */
                const char *p = ARG(4).p, *e = p + ARG(4).n;
                int64_t sec = -1, us = 0;
                for (; p < e; p++) {
                    if (e - p > 7 && !memcmp(p, "tv_sec=", 7))
                        sec = num((struct span){p + 7, (size_t)(e - p - 7)}, NULL);
                    if (e - p > 8 && !memcmp(p, "tv_usec=", 8))
                        us = num((struct span){p + 8, (size_t)(e - p - 8)}, NULL);
                }
                if (sec > 4000000000LL)
                    sec = 4000000000LL;
                if (us < 0 || us > 999999)
                    us = 0;
                c->timeout_ns = sec < 0 ? -1 : sec * 1000000000 + us * 1000;
            }
            c->arg = 0;
            for (int k = 1; k <= 3 && k < na; k++)
                c->arg += !(a[k].n >= 4 && !memcmp(a[k].p, "NULL", 4));
            int n = sel_fds(ARG(1), in, 0, MAX_FDEV, TRACE_SEL_READ);
            n = sel_fds(ARG(2), in, n, MAX_FDEV, TRACE_SEL_WRITE);
            c->nin = sel_fds(ARG(3), in, n, MAX_FDEV, TRACE_SEL_EXCEPT);
            c->in = in;
            /* the result: "1 (in [3], left {...})" */
            const char *p = ret.p, *e = ret.p + ret.n;
            int m = 0;
            for (; p + 3 < e; p++) {
                uint32_t bit = !memcmp(p, "in [", 4) ? TRACE_SEL_READ
                               : !memcmp(p, "out [", 5) ? TRACE_SEL_WRITE
                               : !memcmp(p, "except [", 8) ? TRACE_SEL_EXCEPT : 0;
                if (bit)
                    m = sel_fds((struct span){memchr(p, '[', (size_t)(e - p)),
                                              (size_t)(e - (const char *)memchr(p, '[', (size_t)(e - p)))},
                                out, m, MAX_FDEV, bit);
            }
            c->nout = m;
            c->out = out;
        } else if (is(s, "socket")) {
            c->flags = new_fd_flags(ARG(1));
        } else if (is(s, "socketpair")) {
            fd_pair(ARG(3), c->fds);
            c->flags = new_fd_flags(ARG(1));
        } else if (is(s, "sendto") || is(s, "sendmsg")) {
            c->size = num_or(ARG(2), 0);
            struct span fl = ARG(3);
            if (is(s, "sendto") && has_word(fl.p, fl.n, "MSG_DONTWAIT"))
                c->timeout_ns = 0;
        } else if (is(s, "signalfd4") || is(s, "signalfd")) {
            c->flags = new_fd_flags(ARG(3));
            int64_t fd = num_or(ARG(0), -1);
            c->fd = fd < 0 || fd >= (1 << 24) ? -1 : (int32_t)fd;
        }
        break;
    case 't':
        if (is(s, "tgkill"))
            c->arg = sig_num(ARG(2).p, ARG(2).n);
        else if (is(s, "tkill"))
            c->arg = sig_num(ARG(1).p, ARG(1).n);
        else if (is(s, "timerfd_create"))
            c->flags = new_fd_flags(ARG(1));
        break;
    case 'w':
        if (is(s, "write") || is(s, "writev"))
            c->size = num_or(ARG(2), 0);
        else if (is(s, "wait4") || is(s, "waitid")) {
            c->arg = num_or(ARG(is(s, "waitid") ? 1 : 0), -1);
            if (is(s, "wait4"))
                c->size = wstatus_of(ARG(1));
            struct span fl = ARG(2);
            if (is(s, "waitid"))
                fl = ARG(3);
            if (has_word(fl.p, fl.n, "WNOHANG"))
                c->timeout_ns = 0;
        }
        break;
    }
#undef ARG
}

/* The result text "= 3</x>", "= -1 ENOENT (...)", "= ? ERESTARTSYS (...)"
 * starting at p (just past "= "): ret, returned */
static void read_ret(struct trace_call *c, const char *p, const char *e)
{
    c->returned = 1;
    if (p < e && *p == '?') {
        const char *q = p + 1;
        while (q < e && *q == ' ')
            q++;
        if (q < e && *q == 'E') {
            const char *z = q;
            while (z < e && *z != ' ')
                z++;
            char en[32];
            snprintf(en, sizeof en, "%.*s", (int)(z - q < 31 ? z - q : 31), q);
            int v = tl_errno_value(en);
            if (v) {
                c->ret = v;
                return;
            }
        }
        c->returned = 0;
        return;
    }
    int ok;
    c->ret = num((struct span){p, (size_t)(e - p)}, &ok);
    if (!ok) {
        c->returned = 0;
        return;
    }
    if (c->ret == -1) {
        const char *q = p + 2;
        while (q < e && *q == ' ')
            q++;
        const char *z = q;
        while (z < e && *z != ' ')
            z++;
        char en[32];
        snprintf(en, sizeof en, "%.*s", (int)(z - q < 31 ? z - q : 31), q);
        int v = tl_errno_value(en);
        if (v)
            c->ret = v;
    }
}

/* A whole call: name, its arguments text [a, ae) ending with ')', the rest
 * of the line after it */
static int emit_call(struct ps *s, int pid, int sys, int64_t t0, int64_t t1,
                     int line, const char *a, const char *ae, int returned_known,
                     const char *rest, const char *re, int64_t dur)
{
    struct trace_call c;
    trace_call_init(&c);
    c.tid = pid;
    c.sys = sys;
    c.t_enter = t0;
    c.line = line;
    c.script = s->script;
    struct span args[MAX_ARGS];
    const char *end;
    int na = split_args(a, ae, args, MAX_ARGS, &end);
    /* rest: " = 3</x> <0.0001>" */
    const char *p = rest;
    while (p < re && *p == ' ')
        p++;
    struct span ret = {"", 0};
    if (returned_known && p + 1 < re && p[0] == '=' && p[1] == ' ') {
        read_ret(&c, p + 2, re);
        ret = (struct span){p + 2, (size_t)(re - p - 2)};
    }
    c.t_exit = dur >= 0 ? sat_add(t0, dur) : t1;
    if (c.t_exit < t0)
        c.t_exit = t0;
    struct trace_fdev in[MAX_FDEV], out[MAX_FDEV];
    fill(&c, args, na, ret, in, out);
    size_t tl = (size_t)((end ? end : ae) - a);
    if (text_put(&s->join, &(size_t){0}, &s->joincap, a, tl))
        return -ENOMEM;
    c.text = s->join;
    s->rep->calls++;
    if (!c.returned)
        s->rep->no_return++;
    else if (c.ret < 0)
        s->rep->errors++;
    return trace_call(s->tr, &c);
}

/* ---- one line ------------------------------------------------------------ */

static int name_len(const char *p, const char *e)
{
    const char *q = p;
    while (q < e && ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_'))
        q++;
    return (int)(q - p);
}

static int flush_pend(struct ps *s, struct pend *pd)
{
    /* a first half that never got its second: a call that did not return */
    int rc = emit_call(s, pd->pid, pd->sys, pd->t, pd->t, pd->line, pd->text,
                       pd->text + pd->n, 0, "", "", -1);
    pend_drop(s, pd);
    return rc;
}

static int parse_line(struct ps *s, const char *p, const char *e, int last)
{
    const char *line0 = p;
    while (e > p && (e[-1] == '\r' || e[-1] == ' '))
        e--;
    if (p == e)
        return 0;
    if (e - p > 8 && !memcmp(p, "strace: ", 8)) {
        s->rep->notes++;
        return 0;
    }
    int pid = s->pid;
    if (e - p > 5 && !memcmp(p, "[pid ", 5)) {
        const char *q = p + 5;
        while (q < e && *q == ' ')
            q++;
        pid = (int)dec(q, e);
        while (q < e && *q != ']')
            q++;
        p = q < e ? q + 1 : q;
    } else if (p < e && *p >= '0' && *p <= '9') {
        const char *q = p;
        while (q < e && *q >= '0' && *q <= '9')
            q++;
        if (q < e && *q == ' ' && q - p < 10) {
            pid = (int)dec(p, q);
            p = q;
        }
    }
    int64_t t;
    if (!read_time(s, &p, e, &t)) {
        if (s->tsmode) {
            bad(s, line0, e);
            return 0;
        }
        t = sat_add(s->last_t, 1000); /* no times in the log: 1 us a line */
    }
    while (p < e && *p == ' ')
        p++;
    s->last_t = t;
    if (p >= e) {
        bad(s, line0, e);
        return 0;
    }
    if (e - p > 4 && !memcmp(p, "--- ", 4)) {
        int sig = p[4] == 'S' ? sig_num(p + 4, (size_t)(e - p - 4)) : 0;
        if (!sig) {
            s->rep->notes++; /* "--- stopped by SIGSTOP ---" */
            return 0;
        }
        s->rep->signals++;
        return trace_signal(s->tr, pid, t, sig);
    }
    if (e - p > 4 && !memcmp(p, "+++ ", 4)) {
        const char *q = p + 4;
        if (e - q > 12 && !memcmp(q, "exited with ", 12)) {
            s->rep->exits++;
            struct pend *pd = pend_find(s, pid);
            if (pd && flush_pend(s, pd))
                return -ENOMEM;
            return trace_exit(s->tr, pid, t, (int)dec(q + 12, e), 0);
        }
        if (e - q > 10 && !memcmp(q, "killed by ", 10)) {
            int sig = sig_num(q + 10, (size_t)(e - q - 10));
            if (sig) {
                s->rep->exits++;
                struct pend *pd = pend_find(s, pid);
                if (pd && flush_pend(s, pd))
                    return -ENOMEM;
                return trace_exit(s->tr, pid, t, 128 + sig, sig);
            }
        }
        if (has_str(q, (size_t)(e - q), "superseded by execve") ||
            has_str(q, (size_t)(e - q), "detached")) {
            s->rep->notes++;
            return 0;
        }
        if (last && !has_str(q, (size_t)(e - q), "+++")) {
            s->rep->truncated++;
            return 0;
        }
        bad(s, line0, e);
        return 0;
    }
    if (e - p > 5 && !memcmp(p, "<... ", 5)) {
        const char *n = p + 5;
        int nl = name_len(n, e);
        const char *q = n + nl;
        if (nl == 0 || e - q < 9 || memcmp(q, " resumed>", 9)) {
            if (last)
                s->rep->truncated++;
            else
                bad(s, line0, e);
            return 0;
        }
        int sys = sys_find(n, (size_t)nl);
        q += 9;
        const char *le = e;
        int64_t dur = read_duration(q, &le);
        struct pend *pd = pend_find(s, pid);
        if (sys < 0) {
            bad(s, line0, e);
            if (pd)
                pend_drop(s, pd);
            return 0;
        }
        /* the whole call: the first half's arguments, then these */
        if (pd && pd->sys == sys && text_put(&pd->text, &pd->n, &pd->cap, q, (size_t)(le - q)))
            return -ENOMEM;
        if (!pd || pd->sys != sys) {
            if (pd && flush_pend(s, pd))
                return -ENOMEM;
            /* no first half (the trace began during the call) */
            struct pend tmp = {pid, sys, (int)s->lineno, t, NULL, 0, 0};
            if (text_put(&tmp.text, &tmp.n, &tmp.cap, q, (size_t)(le - q)))
                return -ENOMEM;
            if (grow_pend(s))
                return -ENOMEM;
            s->pend[s->npend++] = tmp;
            pd = &s->pend[s->npend - 1];
        }
        const char *ae = pd->text + pd->n;
        const char *end;
        struct span dummy[1];
        split_args(pd->text, ae, dummy, 0, &end);
        if (!end) {
            if (has_str(q, (size_t)(le - q), "<unfinished ...>"))
                return 0; /* resumed and cut short again */
            if (last) {
                s->rep->truncated++;
                pend_drop(s, pd);
            } else {
                bad(s, line0, e);
                pend_drop(s, pd);
            }
            return 0;
        }
        s->rep->joined++;
        /* -T is measured from the call's entry */
        int rc = emit_call(s, pid, sys, pd->t, t, pd->line, pd->text, end + 1, 1,
                           end + 1, ae, dur);
        pd = pend_find(s, pid);
        if (pd)
            pend_drop(s, pd);
        return rc;
    }
    int nl = name_len(p, e);
    if (nl == 0 || p + nl >= e || p[nl] != '(') {
        if (last)
            s->rep->truncated++;
        else
            bad(s, line0, e);
        return 0;
    }
    int sys = sys_find(p, (size_t)nl);
    if (sys < 0) {
        bad(s, line0, e);
        return 0;
    }
    const char *a = p + nl + 1;
    const char *le = e;
    if (e - a >= 16 && !memcmp(e - 16, "<unfinished ...>", 16)) {
        struct pend *pd = pend_find(s, pid);
        if (pd && flush_pend(s, pd))
            return -ENOMEM;
        if (grow_pend(s))
            return -ENOMEM;
        struct pend np = {pid, sys, (int)s->lineno, t, NULL, 0, 0};
        const char *z = e - 16;
        if (z > a && z[-1] == ' ')
            z--; /* the space before "<unfinished": the rest is the text */
        if (text_put(&np.text, &np.n, &np.cap, a, (size_t)(z - a)))
            return -ENOMEM;
        s->pend[s->npend++] = np;
        return 0;
    }
    int64_t dur = read_duration(a, &le);
    const char *end;
    struct span dummy[1];
    split_args(a, le, dummy, 0, &end);
    if (!end) {
        if (last)
            s->rep->truncated++;
        else
            bad(s, line0, e);
        return 0;
    }
    struct pend *pd = pend_find(s, pid);
    if (pd && flush_pend(s, pd))
        return -ENOMEM;
    return emit_call(s, pid, sys, t, t, (int)s->lineno, a, end + 1, 1, end + 1, le, dur);
}

/* ---- files --------------------------------------------------------------- */

int strace_parse(struct trace *tr, const char *name, const char *buf, size_t len,
                 int pid, struct strace_report *rep)
{
    names_init();
    if (!fd_first_tab[SYS_READ])
        fd_first_init();
    struct ps s = {.tr = tr, .rep = rep, .name = name, .pid = pid < 0 ? 0 : pid,
                   .prev_clock = INT64_MIN / 2, .script = -1};
    int rc = 0;
    /* a log short enough is kept, to show each task's line in it */
    size_t nl = 0;
    for (const char *q = buf; q && q < buf + len && nl <= TRACE_SCRIPT_MAX_LINES;
         q = memchr(q, '\n', (size_t)(buf + len - q)), q = q ? q + 1 : q)
        nl++;
    if (nl <= TRACE_SCRIPT_MAX_LINES && !memchr(buf, '\0', len)) {
        int sc = trace_script(tr, name, buf, len);
        if (sc < 0)
            return sc;
        s.script = sc;
    }
    const char *p = buf, *end = buf + len;
    while (p < end && !rc) {
        /* the records, the timeline they will make (about as much again)
           and the log itself */
        if (rep->budget > 0 && (s.lineno & 4095) == 0 &&
            (int64_t)(2 * trace_bytes(tr) + len) > rep->budget) {
            rep->stopped_at = s.lineno + 1;
            break;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        s.lineno++;
        rep->lines++;
        if (memchr(p, '\0', (size_t)(le - p))) {
            bad(&s, p, le); /* not text */
        } else {
            rc = parse_line(&s, p, le, !nl || nl + 1 >= end);
            if (rc == -EINVAL) { /* a record the builder refused */
                bad(&s, p, le);
                rc = 0;
            }
        }
        p = nl ? nl + 1 : end;
    }
    /* first halves still waiting: calls that had not returned when the
       log ends */
    while (!rc && s.npend > 0)
        rc = flush_pend(&s, &s.pend[0]);
    for (int i = 0; i < s.npend; i++)
        free(s.pend[i].text);
    free(s.pend);
    free(s.join);
    if (s.tsmode && rep->timestamps == 0)
        rep->timestamps = s.tsmode == 3 ? 2 : 1;
    return rc;
}

/* The whole of a file, a pipe or (path "-") standard input */
static int read_all(const char *path, char **buf, size_t *len)
{
    int std = !strcmp(path, "-");
    int fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
        if (!std)
            close(fd);
        return e;
    }
    size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
    size_t n = 0;
    char *b = malloc(cap);
    if (!b) {
        if (!std)
            close(fd);
        return -ENOMEM;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *q = realloc(b, cap * 2);
            if (!q) {
                free(b);
                if (!std)
                    close(fd);
                return -ENOMEM;
            }
            b = q;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = -errno;
            free(b);
            if (!std)
                close(fd);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (!std)
        close(fd);
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

/* "LOG.1234" -> 1234, else -1 */
static int pid_suffix(const char *path)
{
    const char *d = strrchr(path, '.');
    if (!d || !d[1] || strchr(d, '/'))
        return -1;
    for (const char *q = d + 1; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    long v = strtol(d + 1, NULL, 10);
    return v > 0 && v < (1L << 30) ? (int)v : -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The LOG.PID files strace -ff -o LOG wrote, sorted; count or -errno */
static int ff_files(const char *path, char ***out)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    if (!*dir)
        snprintf(dir, sizeof dir, "/");
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    size_t bl = strlen(base);
    char **v = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, base, bl) || de->d_name[bl] != '.' ||
            pid_suffix(de->d_name) < 0 || strchr(de->d_name + bl + 1, '.'))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **q = realloc(v, (size_t)cap * sizeof *q);
            if (!q)
                goto nomem;
            v = q;
        }
        size_t l = strlen(dir) + strlen(de->d_name) + 2;
        if (!(v[n] = malloc(l)))
            goto nomem;
        snprintf(v[n], l, "%s/%s", slash ? dir : ".", de->d_name);
        if (!slash)
            memmove(v[n], v[n] + 2, strlen(v[n] + 2) + 1);
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, (size_t)n, sizeof *v, cmp_str);
    *out = v;
    return n;
nomem:
    closedir(d);
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return -ENOMEM;
}

int strace_import(const char *const *paths, int npaths, int64_t max_mem,
                  struct tl **out, struct strace_report *rep, char *err,
                  size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    rep->budget = max_mem > 0 ? max_mem : STRACE_MEM_DEFAULT;
    const char *stopped_in = NULL;
    *out = NULL;
    struct trace *tr = trace_new();
    if (!tr) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc = 0;
    for (int i = 0; i < npaths && !rc; i++) {
        char **files = NULL;
        int nf = 0;
        struct stat st;
        if (strcmp(paths[i], "-") && stat(paths[i], &st) < 0 && errno == ENOENT) {
            nf = ff_files(paths[i], &files);
            if (nf <= 0) {
                snprintf(err, errlen, "%s: error: %s", paths[i],
                         nf < 0 ? strerror(-nf) : "no such file (nor " "LOG.PID files of strace -ff)");
                rc = nf < 0 ? nf : -ENOENT;
                break;
            }
        }
        for (int j = 0; j < (files ? nf : 1) && !rc; j++) {
            const char *path = files ? files[j] : paths[i];
            char *buf = NULL;
            size_t len = 0;
            rc = read_all(path, &buf, &len);
            if (rc) {
                snprintf(err, errlen, "%s: error: %s", path, strerror(-rc));
                break;
            }
            rc = strace_parse(tr, path, buf, len, pid_suffix(path), rep);
            free(buf);
            if (!rc && rep->stopped_at && !stopped_in) {
                static char where[4096];
                snprintf(where, sizeof where, "%s", path);
                stopped_in = where;
            }
            if (rep->stopped_at)
                break;
            if (rc)
                snprintf(err, errlen, "%s: error: %s", path, strerror(-rc));
        }
        for (int j = 0; j < nf; j++)
            free(files[j]);
        free(files);
        if (rep->stopped_at)
            break;
    }
    if (!rc && rep->calls == 0 && rep->stopped_at) {
        snprintf(err, errlen, "%s: error: the log is larger than the import's "
                 "memory limit (%lld MiB); --memory SIZE raises it",
                 stopped_in ? stopped_in : "?", (long long)(rep->budget >> 20));
        rc = -EFBIG;
    }
    if (!rc && rep->calls == 0 && rep->signals == 0 && rep->exits == 0) {
        snprintf(err, errlen, "%s: error: no strace lines in it (%ld line%s not "
                 "understood); record one with: strace -f -tt -T -o LOG PROGRAM",
                 npaths ? paths[0] : "?", rep->bad, rep->bad == 1 ? "" : "s");
        rc = -EINVAL;
    }
    if (!rc) {
        char cap[512];
        snprintf(cap, sizeof cap,
                 "A recorded strace log, not a simulation: %ld syscalls of real "
                 "processes, one event per line of the log. A task is shown "
                 "blocked while it is inside a call that can sleep (strace does "
                 "not say whether it really slept). Right/Left step one event, "
                 "j/k pick a task.%s", rep->calls,
                 rep->timestamps ? "" : " The log has no timestamps: its lines "
                 "are spaced 1 us apart.");
        rc = trace_caption(tr, TRACE_START, cap);
    }
    if (!rc) {
        char title[160];
        snprintf(title, sizeof title, "strace log %s%s",
                 !npaths ? "" : strcmp(paths[0], "-") ? paths[0] : "(standard input)",
                 npaths > 1 ? " ..." : "");
        rc = trace_finish(tr, title, npaths ? paths[0] : "", "strace", out);
        if (!rc && rep->stopped_at) {
            char note[4400];
            snprintf(note, sizeof note, "the import stopped at line %ld of %s: "
                     "reading on would hold more than %lld MiB (--memory raises "
                     "it)", rep->stopped_at, stopped_in ? stopped_in : "?",
                     (long long)(rep->budget >> 20));
            (*out)->truncated = 1;
            rc = tl_set_str(&(*out)->note, note);
        }
        if (rc)
            snprintf(err, errlen, "%s: error: %s", npaths ? paths[0] : "?",
                     strerror(-rc));
    }
    trace_free(tr);
    return rc;
}

void strace_report_print(const struct strace_report *r, const char *prog, FILE *out)
{
    fprintf(out, "%s: %ld lines: %ld syscalls (%ld joined from <unfinished ...>, "
            "%ld without a return, %ld failed), %ld signals, %ld exits",
            prog, r->lines, r->calls, r->joined, r->no_return, r->errors,
            r->signals, r->exits);
    if (r->timestamps == 0 && r->calls)
        fputs("; no timestamps in the log, so the lines are spaced 1 us apart", out);
    if (r->truncated)
        fputs("; the last line was cut short", out);
    fputc('\n', out);
    if (r->stopped_at)
        fprintf(out, "%s: stopped at line %ld: reading on would hold more than "
                "%lld MiB of memory (--memory SIZE raises the limit)\n", prog,
                r->stopped_at, (long long)(r->budget >> 20));
    if (r->bad) {
        fprintf(out, "%s: %ld line%s not understood, skipped:\n", prog, r->bad,
                r->bad == 1 ? "" : "s");
        for (long i = 0; i < r->bad && i < STRACE_BAD_KEEP; i++)
            fprintf(out, "  %s:%ld: %s\n", r->first_bad[i].file, r->first_bad[i].line,
                    r->first_bad[i].text);
    }
}
