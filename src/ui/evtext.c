/*
 * evtext.c - words for what the viewer shows.  Events, objects and times
 * come from tl/text.c, so the log says exactly what `iosim --dump` says;
 * here are the viewer's own: what a task is doing now ("blocked in read():
 * waiting for data", as Linux would put it), colour roles, time parsing.
 */
#include "ui/viewer.h"

#include "tl/text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t ui_parse_time(const char *s)
{
    char *end;
    while (*s == ' ')
        s++;
    double x = strtod(s, &end);
    if (end == s || x < 0)
        return -1;
    while (*end == ' ')
        end++;
    double mul;
    if (!strcmp(end, "ns"))
        mul = 1;
    else if (!strcmp(end, "us") || !strcmp(end, "\xc2\xb5s"))
        mul = 1e3;
    else if (!strcmp(end, "ms"))
        mul = 1e6;
    else if (!strcmp(end, "s"))
        mul = 1e9;
    else
        return -1;
    double v = x * mul;
    if (v > 9e18)
        return -1;
    return (int64_t)(v + 0.5);
}

int ui_state_role(int st)
{
    switch (st) {
    case TS_RUNNING: return R_RUNNING;
    case TS_READY: return R_READY;
    case TS_SUSPENDED: return R_SUSPENDED;
    case TS_BLOCKED: return R_BLOCKED;
    case TS_EXITED: return R_EXITED;
    case TS_ZOMBIE: return R_EXITED;
    case TS_NEW: return R_NEW;
    default: return R_DIM;
    }
}

/* A task woken inside a syscall re-checks what it waits for, as the
 * kernel's wait loops do: it returns, or (another task took the data, the
 * connection, the ready event: a thundering herd) it sleeps again.  The
 * timeline says which: after its run, the call's return (the task's next
 * SYSCALL, from its calls) or a new block (its next state change other
 * than running, from its lane), whichever comes first. */
static int woken_to_sleep(const struct viewer *v, int task)
{
    const struct tl *tl = v->tl;
    long pos = v->cur.w.idx, ret = -1;
    for (long j = viewer_call_at(v, task, pos); j < (long)v->call_off[task + 1]; j++)
        if (tl->ev[v->calls[j]].type == EV_SYSCALL) {
            ret = v->calls[j];
            break;
        }
    struct lane lane = viewer_lane(v, task), *l = &lane;
    for (long k = viewer_lane_at(v, task, pos); k < l->n; k++) {
        if (ret >= 0 && l->s[k] > ret)
            break;
        /* (a READY again is a move to another CPU's run queue) */
        if (tl->ev[l->s[k]].type != EV_STATE || lane_st(tl, l->s[k]) == TS_RUNNING ||
            lane_st(tl, l->s[k]) == TS_READY)
            continue;
        return lane_st(tl, l->s[k]) == TS_BLOCKED;
    }
    return 0;
}

/* The last switch task made, at or before the viewer's event (a bounded
 * look back), or NULL: what a suspended greenlet waits for in gevent's
 * hub, or whether it is the hub that handed the thread over */
static const struct tl_ev *last_switch(const struct viewer *v, int task)
{
    const struct tl *tl = v->tl;
    size_t i = (size_t)v->cur.w.idx < tl->nev ? (size_t)v->cur.w.idx + 1 : tl->nev;
    size_t stop = i > 20000 ? i - 20000 : 0;
    while (i-- > stop) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_SWITCH && e->task == task)
            return e;
    }
    return NULL;
}

/* gevent's hub (sim/hub.c names it PROC/hub), before its first switch */
static int is_hub(const struct viewer *v, int task)
{
    const char *nm = v->tl->tasks[task].name;
    size_t l = nm ? strlen(nm) : 0;
    return v->tl->tasks[task].kind == TK_COROUTINE && l > 4 &&
           !strcmp(nm + l - 4, "/hub");
}

/* Does task's process have a hub made before it (a monkey-patched thread:
 * its coroutines are gevent.spawn's greenlets)? */
static int has_hub(const struct viewer *v, int task)
{
    for (int i = 0; i < task; i++)
        if (v->tl->tasks[i].proc == v->tl->tasks[task].proc && is_hub(v, i))
            return 1;
    return 0;
}

int ui_task_doing(const struct viewer *v, int task, int narrow, char *buf,
                  int len)
{
    const struct world *w = &v->cur.w;
    size_t n = (size_t)len;
    if (task < 0 || task >= w->ntasks) {
        snprintf(buf, n, "not created yet");
        return R_DIM;
    }
    const struct w_task *k = &w->tasks[task];
    const char *sys = k->sys >= 0 ? tl_sys_name(k->sys) : NULL;
    /* a peer is a client on another host: it has no CPU of this machine */
    int peer = v->tl->tasks[task].kind == TK_PEER || k->cpu < 0;
    char where[32] = "";
    if (k->state == TS_RUNNING && v->tl->ncpus > 0) /* a trace has no CPUs */
        snprintf(where, sizeof where, peer ? " on its own host" : " on CPU %d",
                 (int)k->cpu);
    switch (k->state) {
    case TS_NEW:
        snprintf(buf, n, narrow ? "new: not yet runnable"
                                : "new: created, not yet runnable");
        break;
    case TS_READY:
        if (sys && woken_to_sleep(v, task))
            snprintf(buf, n, narrow ? "woken for nothing"
                                    : "ready: woken for nothing, sleeps again");
        else if (sys)
            snprintf(buf, n, narrow ? "woken: returns from %s()"
                                    : "ready: woken, will return from %s()", sys);
        else if (tl_cpu_queues(v->tl))
            snprintf(buf, n, narrow ? "ready: waits for CPU %d"
                                    : "ready: in CPU %d's run queue, waiting for it",
                     (int)k->rq);
        else
            snprintf(buf, n, narrow ? "ready: waits for a CPU"
                                    : "ready: in the run queue, waiting for a CPU");
        break;
    case TS_SUSPENDED: {
        const struct tl_ev *sw = last_switch(v, task);
        if (sw && sw->sub == TSW_WAIT && sw->a >= 0)
            snprintf(buf, n, narrow ? "suspended: waits for fd %lld"
                                    : "suspended: waits in the hub for fd %lld",
                     (long long)sw->a);
        else if (sw && sw->sub == TSW_WAIT)
            snprintf(buf, n, "%s", sw->a == -1 ? (narrow ? "suspended: a timer"
                                                         : "suspended: sleeps in the hub (a timer)")
                                   : sw->a == -2 ? (narrow ? "suspended: its turn"
                                                           : "suspended: waits in the hub for its turn")
                                   : (narrow ? "suspended: joins"
                                             : "suspended: joins, in the hub"));
        else if (!sw && !is_hub(v, task) && has_hub(v, task))
            snprintf(buf, n, narrow ? "suspended: not started"
                                    : "suspended: gevent.spawn queued its start");
        else if ((sw && (sw->sub == TSW_READY || sw->sub == TSW_START)) ||
                 (!sw && is_hub(v, task)))
            snprintf(buf, n, narrow ? "suspended: a greenlet runs"
                                    : "suspended: back when a greenlet waits");
        else
            snprintf(buf, n, narrow ? "suspended (user space)"
                                    : "suspended: runs when a yield switches to it");
        break;
    }
    case TS_ZOMBIE:
        snprintf(buf, n, narrow ? "zombie: not reaped yet"
                                : "zombie: exited, its parent has not waited");
        break;
    case TS_RUNNING:
        if (sys)
            snprintf(buf, n, "running in %s()%s", sys, where);
        else
            snprintf(buf, n, "running%s", where);
        break;
    case TS_BLOCKED: {
        const char *what = tl_wait_name(k->wait);
        const char *verb = narrow ? "waits for" : "waiting for";
        /* narrow: the call, and what it waits for on which fd, in a few
           words ("read(): data on fd 4", "clock_nanosleep(): a timer") */
        static const char *const brief[TW__COUNT] = {
            [TW_DATA] = "data", [TW_SPACE] = "space", [TW_CONNECTION] = "connection",
            [TW_TIMER] = "a timer", [TW_CHILD] = "a child", [TW_THREAD] = "a thread",
            [TW_EVENTS] = "events", [TW_SIGNAL] = "a signal",
            [TW_COMPLETION] = "a completion", [TW_CONNECT] = "handshake",
            [TW_FUTEX] = "a lock", [TW_GIL] = "the GIL",
        };
        int fd = -1, p = v->tl->tasks[task].proc;
        if (k->wait_obj >= 0 && p >= 0 && p < w->ntasks)
            for (int f = 0; f < w->procs[p].nfds && fd < 0; f++)
                if (w->procs[p].fds[f].obj == k->wait_obj)
                    fd = f;
        const char *bw = k->wait > 0 && k->wait < TW__COUNT ? brief[k->wait] : NULL;
        if (narrow && sys && bw && fd >= 0)
            snprintf(buf, n, "%s(): %s on fd %d", sys, bw, fd);
        else if (narrow && sys && bw)
            snprintf(buf, n, "%s(): %s", sys, bw);
        else if (sys && what && *what)
            snprintf(buf, n, narrow ? "%s(): %s %s" : "blocked in %s(): %s %s",
                     sys, verb, what);
        else if (sys)
            snprintf(buf, n, "blocked in %s()", sys);
        else if (what && *what)
            snprintf(buf, n, "blocked: %s %s", verb, what);
        else
            snprintf(buf, n, "blocked");
        break;
    }
    case TS_EXITED: {
        /* as the log says it: "exited with 0", "killed by SIGABRT" */
        struct lane lane = viewer_lane(v, task), *l = &lane;
        char t[200];
        if (l->n > 0 && lane_st(v->tl, l->s[l->n - 1]) == TS_EXITED &&
            l->s[l->n - 1] < w->idx) {
            const struct tl_ev *e = &v->tl->ev[l->s[l->n - 1]];
            if (e->type == EV_STATE && e->obj >= 0 && e->obj < v->tl->ntasks) {
                /* reaped: the status wait4 returned, before the row's
                   width cuts the log's longer sentence */
                const char *by = v->tl->tasks[e->obj].name;
                if (narrow)
                    snprintf(buf, n, "reaped: status %lld", (long long)e->a);
                else
                    snprintf(buf, n, "reaped by %s: wait4 returned status %lld", by,
                             (long long)e->a);
                break;
            }
            tl_ev_text(t, sizeof t, v->tl, l->s[l->n - 1]);
            const char *x = strncmp(t, "+++ ", 4) ? t : t + 4;
            size_t k = strlen(x);
            if (k >= 4 && !strcmp(x + k - 4, " +++"))
                k -= 4;
            if (!strncmp(x, "--- ", 4)) /* a coroutine: "--- coroutine finished ---" */
                x += 4, k = k >= 8 ? k - 8 : k;
            snprintf(buf, n, "%.*s", (int)k, x);
        } else {
            snprintf(buf, n, "exited");
        }
        break;
    }
    default:
        snprintf(buf, n, "not created yet");
        break;
    }
    return ui_state_role(k->state);
}

int ui_ev_text(const struct tl *tl, long i, char *b, int len)
{
    const struct tl_ev *e = &tl->ev[i];
    tl_ev_text(b, (size_t)len, tl, i);
    switch (e->type) {
    case EV_STATE:
        return ui_state_role(e->sub);
    case EV_SYS_ENTER:
        return R_LOG_SYS;
    case EV_SYSCALL:
        return e->a < 0 ? R_LOG_ERR : R_LOG_SYS;
    case EV_DATA:
        return R_BYTES;
    case EV_COPY:
        return R_MOVING;
    case EV_CAPTION:
        return R_LOG_CAPTION;
    default:
        return R_LOG_NOTE;
    }
}
