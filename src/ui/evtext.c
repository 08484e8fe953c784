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

const char *ui_signame(int sig)
{
    return tl_signal_name(sig);
}

const char *ui_obj_label(const struct tl *tl, int obj, char *buf, int len)
{
    return tl_obj_text(buf, (size_t)len, tl, obj);
}

const char *ui_fmt_time(int64_t ns, char *buf, int len)
{
    return tl_time_text(buf, (size_t)len, ns);
}

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
    case TS_BLOCKED: return R_BLOCKED;
    case TS_EXITED: return R_EXITED;
    case TS_NEW: return R_NEW;
    default: return R_DIM;
    }
}

int ui_task_doing(const struct viewer *v, int task, char *buf, int len)
{
    const struct world *w = &v->cur.w;
    if (task < 0 || task >= w->ntasks) {
        snprintf(buf, (size_t)len, "not created yet");
        return R_DIM;
    }
    const struct w_task *k = &w->tasks[task];
    const char *sys = k->sys >= 0 ? tl_sys_name(k->sys) : NULL;
    switch (k->state) {
    case TS_NEW:
        snprintf(buf, (size_t)len, "new: created, not yet runnable");
        break;
    case TS_READY:
        if (sys)
            snprintf(buf, (size_t)len, "ready: woken, will return from %s()",
                     sys);
        else
            snprintf(buf, (size_t)len, "ready: in the run queue, waiting for a CPU");
        break;
    case TS_RUNNING:
        if (k->cpu < 0) /* a peer: it runs outside the simulated machine */
            snprintf(buf, (size_t)len, sys ? "running in %s()" : "running", sys);
        else if (sys)
            snprintf(buf, (size_t)len, "running in %s() on CPU %d", sys,
                     (int)k->cpu);
        else
            snprintf(buf, (size_t)len, "running on CPU %d", (int)k->cpu);
        break;
    case TS_BLOCKED: {
        const char *what = tl_wait_name(k->wait);
        if (sys && what && *what)
            snprintf(buf, (size_t)len, "blocked in %s(): waiting for %s", sys,
                     what);
        else if (sys)
            snprintf(buf, (size_t)len, "blocked in %s()", sys);
        else if (what && *what)
            snprintf(buf, (size_t)len, "blocked: waiting for %s", what);
        else
            snprintf(buf, (size_t)len, "blocked");
        break;
    }
    case TS_EXITED:
        snprintf(buf, (size_t)len, "exited");
        break;
    default:
        snprintf(buf, (size_t)len, "not created yet");
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
