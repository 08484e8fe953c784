/*
 * real_tl.c - the tracer's records of a scenario's run into a timeline.
 *
 * The records go through the builder of recorded traces (trace.h), the
 * one the strace importer uses, so a real run and an strace log become
 * timelines by the same rules.  What only the runner knows is added here:
 * the tasks' names and kinds (START marks), the captions of the scenario
 * (SAY marks), coroutines (CO marks: each non-main coroutine is given a
 * number of its own, and the calls a thread makes while one of them runs
 * are that coroutine's), and the script each task runs, for the viewer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "real/real.h"
#include "real/runner.h"
#include "real/trace.h"

/* Numbers for coroutines, above any pid (pid_max is at most 2^22) */
#define CO_TID_BASE (1 << 24)

struct who {
    int tid;       /* the thread */
    int cur;       /* the task its calls belong to: tid or a coroutine's */
    int decl;
    char *name;
};

struct conv {
    struct who *w;
    int n, cap;
    struct { char *name; int tid, host, hub; } *co; /* hub: gevent's */
    int nco, coap;
    const struct prog *p;
};

static struct who *who(struct conv *cv, int tid)
{
    for (int i = 0; i < cv->n; i++)
        if (cv->w[i].tid == tid)
            return &cv->w[i];
    if (cv->n == cv->cap) {
        int ncap = cv->cap ? cv->cap * 2 : 32;
        struct who *p = realloc(cv->w, (size_t)ncap * sizeof *p);
        if (!p)
            return NULL;
        cv->w = p;
        cv->cap = ncap;
    }
    cv->w[cv->n] = (struct who){tid, tid, -1, NULL};
    return &cv->w[cv->n++];
}

static int co_tid(struct conv *cv, const char *name, int host)
{
    for (int i = 0; i < cv->nco; i++)
        if (cv->co[i].host == host && !strcmp(cv->co[i].name, name))
            return cv->co[i].tid;
    return -1;
}

static int co_add(struct conv *cv, const char *name, int host)
{
    if (cv->nco == cv->coap) {
        int ncap = cv->coap ? cv->coap * 2 : 16;
        void *p = realloc(cv->co, (size_t)ncap * sizeof *cv->co);
        if (!p)
            return -ENOMEM;
        cv->co = p;
        cv->coap = ncap;
    }
    char *d = strdup(name);
    if (!d)
        return -ENOMEM;
    int tid = CO_TID_BASE + cv->nco;
    cv->co[cv->nco].name = d;
    cv->co[cv->nco].tid = tid;
    cv->co[cv->nco].host = host;
    cv->co[cv->nco].hub = 0;
    cv->nco++;
    return tid;
}

/* A CALL record as the builder takes it (trace.h says what each field
 * holds per syscall) */
static int feed_call(struct trace *tr, const struct real_log *log,
                     const struct real_rec *r, int tid)
{
    struct trace_call c;
    trace_call_init(&c);
    const int64_t *a = r->args;
    struct trace_fdev ev;
    c.tid = tid;
    c.sys = tl_sys_of_nr(r->nr);
    c.t_enter = r->t_enter;
    c.t_exit = r->t_exit;
    c.returned = !r->unfinished && r->t_exit >= 0;
    c.ret = r->ret;
    c.line = r->line;
    switch (r->nr) {
    case SYS_read: case SYS_write: case SYS_recvfrom: case SYS_sendto:
        c.fd = (int)a[0];
        c.size = a[2];
        break;
    case SYS_close: case SYS_accept: case SYS_shutdown:
        c.fd = (int)a[0];
        break;
    case SYS_accept4:
        c.fd = (int)a[0];
        c.flags = (a[3] & SOCK_NONBLOCK ? TL_FL_NONBLOCK : 0);
        break;
    case SYS_socket:
        c.flags = (a[1] & SOCK_NONBLOCK ? TL_FL_NONBLOCK : 0);
        break;
    case SYS_eventfd2: /* EFD_NONBLOCK is O_NONBLOCK */
        c.flags = (a[1] & O_NONBLOCK ? TL_FL_NONBLOCK : 0);
        break;
    case SYS_epoll_create1: c.size = a[0]; break; /* EPOLL_CLOEXEC */
    case SYS_ioctl: /* the runner's only one: FIONBIO, [1] (gevent's) */
        c.fd = (int)a[0];
        c.arg = a[1];
        c.size = 1;
        break;
    case SYS_bind: case SYS_connect:
        c.fd = (int)a[0];
        c.arg = r->a > 0 ? r->a : 0;
        break;
    case SYS_listen:
        c.fd = (int)a[0];
        c.size = a[1];
        break;
    case SYS_pipe: case SYS_pipe2: case SYS_socketpair:
        if (r->ret == 0 && r->a != -1) {
            c.fds[0] = (int)(r->a & 0xffffffff);
            c.fds[1] = (int)(r->a >> 32);
        }
        if (r->nr == SYS_pipe2)
            c.flags = (a[1] & O_NONBLOCK ? TL_FL_NONBLOCK : 0);
        break;
    case SYS_fcntl:
        c.fd = (int)a[0];
        c.arg = a[1];
        c.size = a[2];
        break;
    case SYS_dup: c.fd = (int)a[0]; break;
    case SYS_dup2: case SYS_dup3:
        c.fd = (int)a[0];
        c.fd2 = (int)a[1];
        break;
    case SYS_select: case SYS_pselect6:
        c.size = a[0];
        c.timeout_ns = a[4] ? 0 : -1; /* the runner passes NULL: for ever */
        break;
    case SYS_poll:
        c.size = a[1];
        c.timeout_ns = a[2] < 0 ? -1 : a[2] * 1000000;
        break;
    case SYS_epoll_wait: case SYS_epoll_pwait:
        c.fd = (int)a[0];
        c.size = a[2];
        c.timeout_ns = a[3] < 0 ? -1 : a[3] * 1000000;
        break;
    case SYS_epoll_ctl:
        c.fd = (int)a[0];
        c.arg = a[1];
        c.fd2 = (int)a[2];
        ev = (struct trace_fdev){(int32_t)a[2], (uint32_t)r->c};
        c.in = &ev;
        c.nin = 1;
        break;
    case SYS_clock_nanosleep: case SYS_nanosleep:
        c.size = r->a;
        c.timeout_ns = r->a;
        break;
    case SYS_clone: case SYS_clone3:
        c.arg = r->b;
        break;
    case SYS_fork: c.arg = 17; break; /* SIGCHLD */
    case SYS_kill: case SYS_tgkill:
        c.arg = r->nr == SYS_kill ? a[1] : a[2];
        break;
    case SYS_wait4: /* the tracer read the status at the return (a) */
        c.arg = a[0];
        c.size = !a[1] ? 0 : r->ret > 0 ? TRACE_WSTATUS_ASKED | TRACE_WSTATUS_SET |
                                           (r->a & 0xffff)
                                         : TRACE_WSTATUS_ASKED;
        break;
    case SYS_rt_sigaction:
        c.arg = a[0];
        c.size = r->b;
        break;
    case SYS_io_uring_enter:
        c.fd = (int)a[0];
        c.size = a[1];
        c.arg = a[2];
        break;
    case SYS_exit: case SYS_exit_group: c.arg = a[0]; break;
    case SYS_futex: /* as the simulator words them (tl.h) */
        if ((a[1] & 0x7f) == 0) /* FUTEX_WAIT: a lock, a condition */
            c.size = TL_FUTEX_WAIT | (uint32_t)a[2];
        else if ((a[1] & 0x7f) == 1) /* FUTEX_WAKE */
            c.size = TL_FUTEX_WAKE | (uint32_t)a[2];
        else /* pthread_join's wait on the thread's tid */
            c.size = 0;
        break;
    default: break;
    }
    if (c.fd >= 0 && c.fd <= 2)
        c.kind = OK_TTY; /* the runner's terminal */
    if (r->nin > 0 && r->nr != SYS_epoll_ctl) {
        c.in = (const struct trace_fdev *)&log->fdev[r->in];
        c.nin = r->nin;
    }
    if (r->nout > 0) {
        c.out = (const struct trace_fdev *)&log->fdev[r->out];
        c.nout = r->nout;
    }
    return trace_call(tr, &c);
}

static int feed(struct trace *tr, struct conv *cv, const struct real_log *log)
{
    int rc = 0;
    for (size_t i = 0; i < log->n && !rc; i++) {
        const struct real_rec *r = &log->rec[i];
        struct who *w = who(cv, r->tid);
        if (!w)
            return -ENOMEM;
        const char *str = r->str >= 0 ? log->strs[r->str] : NULL;
        switch (r->kind) {
        case REAL_REC_MARK:
            if (r->sub == REAL_MARK_START && str) {
                w->decl = (int)(r->b >> 8);
                free(w->name);
                w->name = strdup(str);
                rc = trace_name(tr, r->tid, r->t_enter, str, (int)(r->b & 0xff), -1);
            } else if (r->sub == REAL_MARK_SAY && r->a >= 0 && r->a < cv->p->nstrs) {
                rc = trace_caption_by(tr, w->cur, r->t_enter, cv->p->strs[r->a]);
            } else if (r->sub == REAL_MARK_CO && str) {
                if (r->b == REAL_CO_MADE || r->b == REAL_CO_HUB) {
                    int t = co_add(cv, str, r->tid);
                    if (t >= 0 && r->b == REAL_CO_HUB)
                        cv->co[cv->nco - 1].hub = 1;
                    rc = t < 0 ? t : trace_name(tr, t, r->t_enter, str,
                                                TK_COROUTINE, r->tid);
                    break;
                }
                int to = w->name && !strcmp(w->name, str) ? r->tid
                                                          : co_tid(cv, str, r->tid);
                if (to < 0)
                    break;
                rc = trace_switch(tr, w->cur, to, r->t_enter);
                if (!rc && r->b == REAL_CO_FINISHED)
                    rc = trace_exit(tr, w->cur, r->t_enter, 0, 0);
                w->cur = to;
            }
            break;
        case REAL_REC_CALL:
            /* glibc's own handlers for thread cancellation and set*id
             * (SIGRTMIN, SIGRTMIN + 1), installed by the first
             * pthread_create: not the scenario's */
            if (r->nr == SYS_rt_sigaction && (r->args[0] == 32 || r->args[0] == 33))
                break;
            rc = feed_call(tr, log, r, w->cur);
            break;
        case REAL_REC_SIGNAL:
            rc = trace_signal(tr, w->cur, r->t_enter, (int)r->a);
            break;
        case REAL_REC_EXIT:
            /* a thread's coroutines end with it */
            for (int k = 0; k < cv->nco && !rc; k++)
                if (cv->co[k].host == r->tid)
                    rc = trace_exit(tr, cv->co[k].tid, r->t_enter, 0,
                                    r->b ? (int)r->a : 0);
            if (!rc)
                rc = trace_exit(tr, r->tid, r->t_enter, r->b ? 0 : (int)r->a,
                                r->b ? (int)r->a : 0);
            break;
        default:
            break;
        }
    }
    return rc;
}

/* Every task shows the script of its declaration */
static int scripts(struct tl *tl, const struct prog *p, const struct conv *cv)
{
    int file = -1;
    int *gen = calloc((size_t)(p->nscripts ? p->nscripts : 1), sizeof *gen);
    if (!gen)
        return -ENOMEM;
    for (int i = 0; i < p->nscripts; i++)
        gen[i] = -1;
    int rc = 0;
    for (int t = 0; t < tl->ntasks && !rc; t++) {
        int decl = -1, hub = 0;
        for (int i = 0; i < cv->nco; i++) /* gevent's hub: its own loop */
            hub |= cv->co[i].hub && !strcmp(cv->co[i].name, tl->tasks[t].name);
        for (int i = 0; i < cv->n && decl < 0; i++)
            if (cv->w[i].name && !strcmp(cv->w[i].name, tl->tasks[t].name))
                decl = cv->w[i].decl;
        for (int i = 0; i < cv->nco && decl < 0; i++) /* a coroutine: its host's */
            if (!strcmp(cv->co[i].name, tl->tasks[t].name))
                for (int k = 0; k < cv->n; k++)
                    if (cv->w[k].tid == cv->co[i].host)
                        decl = cv->w[k].decl;
        if (decl < 0 && tl->tasks[t].parent >= 0) { /* its parent's */
            tl->tasks[t].script = tl->tasks[tl->tasks[t].parent].script;
            continue;
        }
        if (decl < 0 || decl >= p->ntasks)
            continue;
        int s = hub ? p->hub_script : p->tasks[decl].script;
        if (s >= 0 && s < p->nscripts) {
            if (gen[s] < 0)
                gen[s] = tl_add_script(tl, p->scripts[s].title, p->scripts[s].lines,
                                       p->scripts[s].nlines);
            rc = gen[s] < 0 ? gen[s] : 0;
            tl->tasks[t].script = gen[s];
        } else {
            if (file < 0)
                file = tl_add_script(tl, p->path, p->lines, p->nlines);
            rc = file < 0 ? file : 0;
            tl->tasks[t].script = file;
        }
    }
    free(gen);
    return rc;
}

/* The scenario's own captions (`caption [at T] "..."`), on the run's
 * clock: T after the tasks started (their first START mark), slowed down
 * as the run was */
static int timed_captions(struct trace *tr, const struct real_log *log,
                          const struct prog *p, int scale)
{
    int64_t start = -1;
    for (size_t i = 0; i < log->n && start < 0; i++)
        if (log->rec[i].kind == REAL_REC_MARK && log->rec[i].sub == REAL_MARK_START)
            start = log->rec[i].t_enter;
    int rc = 0;
    for (int i = 0; i < p->ncaptions && !rc; i++) {
        int64_t t = p->captions[i].t;
        rc = trace_caption(tr, t <= 0 || start < 0 ? TRACE_START
                                                   : start + t * (scale > 1 ? scale : 1),
                           p->captions[i].text);
    }
    return rc;
}

int real_timeline(const struct real_log *log, const struct prog *p, int scale,
                  struct tl **out)
{
    *out = NULL;
    struct trace *tr = trace_new();
    if (!tr)
        return -ENOMEM;
    struct conv cv = {.p = p};
    int rc = timed_captions(tr, log, p, scale);
    if (!rc)
        rc = feed(tr, &cv, log);
    char title[512];
    snprintf(title, sizeof title, "%s (real run)", p->title ? p->title : p->path);
    if (!rc)
        rc = trace_finish(tr, title, p->path, "real", out);
    trace_free(tr);
    if (!rc)
        rc = scripts(*out, p, &cv);
    if (!rc && (log->timed_out || log->interrupted || log->too_many)) {
        (*out)->truncated = 1;
        rc = tl_set_str(&(*out)->note,
                        log->timed_out ? "the real run reached its deadline: "
                                         "every process was killed"
                        : log->too_many ? "the real run made more tasks than "
                                          "its limit: every process was killed"
                                        : "the real run was interrupted");
    }
    if (rc) {
        tl_free(*out);
        *out = NULL;
    }
    for (int i = 0; i < cv.n; i++)
        free(cv.w[i].name);
    free(cv.w);
    for (int i = 0; i < cv.nco; i++)
        free(cv.co[i].name);
    free(cv.co);
    return rc;
}
