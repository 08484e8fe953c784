/*
 * export.c - statistics, JSON and Chrome trace exports of a timeline.
 */
#include "tl/export.h"
#include "tl/obuf.h"
#include "tl/text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int is_peer(const struct tl *tl, int task)
{
    return task >= 0 && task < tl->ntasks && tl->tasks[task].kind == TK_PEER;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int tl_stats(const struct tl *tl, struct tl_stats *st)
{
    memset(st, 0, sizeof *st);
    int ncpu = tl->ncpus > 0 ? tl->ncpus : 1;
    int32_t *last = malloc((size_t)ncpu * sizeof *last);
    int64_t *run_since = calloc((size_t)tl->ntasks + 1, sizeof *run_since);
    int8_t *running = calloc((size_t)tl->ntasks + 1, 1);
    int64_t *sent = calloc((size_t)tl->ntasks + 1, sizeof *sent);
    int *sig = calloc((size_t)tl->ntasks + 1, sizeof *sig);
    int64_t *lat = NULL;
    size_t nlat = 0, latcap = 0;
    int rc = 0;
    if (!last || !run_since || !running || !sent || !sig) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < ncpu; i++)
        last[i] = -1;
    for (int i = 0; i < tl->ntasks; i++) {
        sent[i] = -1;
        st->tasks++;
        switch (tl->tasks[i].kind) {
        case TK_PROCESS: st->processes++; break;
        case TK_THREAD: st->threads++; break;
        case TK_PEER: st->peers++; break;
        }
    }
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        int t = e->task == TL_NOTASK ? -1 : e->task;
        if (t >= tl->ntasks)
            t = -1;
        st->makespan_ns = e->t;
        if (t >= 0 && is_peer(tl, t))
            st->peers_done_ns = e->t;
        switch (e->type) {
        case EV_SIGNAL:
            if (t >= 0 && e->sub == 0)
                sig[t] = (int)e->a;
            break;
        case EV_STATE:
            if (t < 0 || is_peer(tl, t))
                break;
            if ((e->sub == TS_ZOMBIE || (e->sub == TS_EXITED && e->obj == -1)) &&
                sig[t] && e->a == 128 + sig[t]) {
                if (!st->killed++) { /* killed by the signal it was sent */
                    st->killed_at_ns = e->t;
                    st->kill_signal = sig[t];
                }
            }
            if (running[t]) {
                st->cpu_busy_ns += e->t - run_since[t];
                running[t] = 0;
            }
            if (e->sub == TS_RUNNING && e->a >= 0 && e->a < ncpu) {
                /* coroutines switch in user space: the kernel sees their
                 * thread (their parent) go on running */
                int kt = tl->tasks[t].kind == TK_COROUTINE ? tl->tasks[t].parent : t;
                if (last[e->a] != kt)
                    st->ctx_switches++;
                last[e->a] = kt;
                running[t] = 1;
                run_since[t] = e->t;
            }
            break;
        case EV_SYS_ENTER:
            if (t >= 0 && is_peer(tl, t) &&
                (e->sub == SYS_WRITE || e->sub == SYS_SENDTO))
                if (sent[t] < 0)
                    sent[t] = e->t;
            break;
        case EV_SYSCALL:
            if (t < 0)
                break;
            if (is_peer(tl, t)) {
                if ((e->sub == SYS_READ || e->sub == SYS_RECVFROM) && e->a > 0 &&
                    sent[t] >= 0) {
                    if (nlat == latcap) {
                        latcap = latcap ? latcap * 2 : 256;
                        int64_t *p = realloc(lat, latcap * sizeof *p);
                        if (!p) {
                            rc = -ENOMEM;
                            goto out;
                        }
                        lat = p;
                    }
                    lat[nlat++] = e->t - sent[t];
                    sent[t] = -1;
                }
                break;
            }
            if (e->sub < TL_SYS_ALL)
                st->syscalls[e->sub]++;
            st->syscalls_total++;
            if (e->a < 0) {
                st->errors++;
                if (e->a == -11)
                    st->eagain++;
            }
            break;
        case EV_COPY: /* task-less copies are the kernel's (io_uring) */
            if (t >= 0 && is_peer(tl, t))
                break;
            st->copies++;
            if (e->sub == TC_TO_USER)
                st->bytes_to_user += e->a;
            else
                st->bytes_to_kernel += e->a;
            break;
        case EV_SCAN:
            if (t >= 0 && !is_peer(tl, t)) {
                st->kernel_scan_ns += e->b;
                st->fds_scanned += e->a;
            }
            break;
        }
    }
    for (int t = 0; t < tl->ntasks; t++)
        if (running[t])
            st->cpu_busy_ns += st->makespan_ns - run_since[t];
    st->requests = (long)nlat;
    st->bytes_copied = st->bytes_to_user + st->bytes_to_kernel;
    if (!st->killed)
        st->killed_at_ns = -1;
    if (nlat) {
        qsort(lat, nlat, sizeof *lat, cmp_i64);
        st->latency_p50_ns = lat[(nlat - 1) / 2];
        st->latency_p99_ns = lat[(nlat * 99 + 99) / 100 - 1];
        st->latency_max_ns = lat[nlat - 1];
    }
out:
    free(last);
    free(run_since);
    free(running);
    free(sent);
    free(sig);
    free(lat);
    return rc;
}

void tl_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* tl_json_str into the buffer: runs of plain bytes copied at once */
static void json_str(struct obuf *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *run;
    ob_c(o, '"');
    for (;;) {
        for (run = p; *p >= 0x20 && *p != 0x7f && *p != '"' && *p != '\\'; p++)
            ;
        ob_mem(o, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        if (*p == '"' || *p == '\\') {
            ob_c(o, '\\');
            ob_c(o, (char)*p);
        } else if (*p == '\n')
            ob_s(o, "\\n");
        else if (*p == '\t')
            ob_s(o, "\\t");
        else {
            ob_s(o, "\\u00");
            ob_c(o, "0123456789abcdef"[*p >> 4]);
            ob_c(o, "0123456789abcdef"[*p & 15]);
        }
        p++;
    }
    ob_c(o, '"');
}

static const char *task_name(const struct tl *tl, int t)
{
    return t >= 0 && t < tl->ntasks ? tl->tasks[t].name : NULL;
}

/* ,"key": then an integer */
static void json_int(struct obuf *o, const char *key, int64_t v)
{
    ob_s(o, key);
    ob_i64(o, v);
}

static void json_stats(const struct tl *tl, const struct tl_stats *st,
                       struct obuf *o)
{
    (void)tl;
    ob_s(o, "{\"syscalls\":{");
    int first = 1;
    for (int s = 0; s < TL_SYS_ALL; s++) {
        if (!st->syscalls[s])
            continue;
        ob_s(o, first ? "\"" : ",\"");
        ob_s(o, tl_sys_name(s));
        json_int(o, "\":", st->syscalls[s]);
        first = 0;
    }
    ob_c(o, '}');
#define X(name, f) json_int(o, ",\"" name "\":", (int64_t)st->f);
    TL_STAT_FIELDS(X)
#undef X
    ob_c(o, '}');
}

/* The fd argument of the call the SYSCALL at i returns from, when its
 * obj names what the call wrote back instead (epoll_wait's events) */
static int enter_fd(const struct tl *tl, size_t i)
{
    long j = tl_enter_of(tl, (long)i);
    return j >= 0 && tl->ev[j].sub == tl->ev[i].sub && tl->ev[j].obj >= -1
               ? tl->ev[j].obj : -1;
}

static void json_event(const struct tl *tl, size_t i, struct obuf *o)
{
    const struct tl_ev *e = &tl->ev[i];
    json_int(o, "{\"i\":", (int64_t)i);
    json_int(o, ",\"t_ns\":", e->t);
    ob_s(o, ",\"task\":");
    const char *tn = e->task == TL_NOTASK ? NULL : task_name(tl, e->task);
    if (tn)
        json_str(o, tn);
    else
        ob_s(o, "null");
    ob_s(o, ",\"type\":\"");
    ob_s(o, tl_ev_name(e->type));
    ob_c(o, '"');
    if (e->line > 0)
        json_int(o, ",\"line\":", e->line);
    switch (e->type) {
    case EV_TASK_NEW:
        ob_s(o, ",\"kind\":\"");
        ob_s(o, tl_task_kind_name(e->sub));
        ob_c(o, '"');
        break;
    case EV_STATE:
        ob_s(o, ",\"state\":\"");
        ob_s(o, tl_state_name(e->sub));
        ob_c(o, '"');
        if (e->sub == TS_RUNNING && e->a >= 0)
            json_int(o, ",\"cpu\":", e->a);
        if (e->sub == TS_READY && tl_cpu_queues(tl)) /* the CPU whose queue
                                                         it joins */
            json_int(o, ",\"cpu\":", tl_run_queue(tl, e->a));
        if (e->sub == TS_BLOCKED) {
            ob_s(o, ",\"wait\":\"");
            ob_s(o, tl_wait_name((int)e->a));
            ob_c(o, '"');
        }
        if (e->sub == TS_BLOCKED && e->obj >= 0)
            json_int(o, ",\"object\":", e->obj);
        if (e->sub == TS_EXITED || e->sub == TS_ZOMBIE)
            json_int(o, ",\"code\":", e->a);
        if (e->sub == TS_EXITED && e->obj != -1) {
            ob_s(o, ",\"reaped_by\":");
            if (e->obj >= 0)
                json_str(o, task_name(tl, e->obj));
            else
                ob_s(o, "\"init\"");
        }
        break;
    case EV_SYS_ENTER:
        if ((e->sub == SYS_SELECT || e->sub == SYS_POLL) && e->obj <= -2 &&
            TL_OBJ_STR(e->obj) < tl->nstrs) { /* the sets instead of an fd */
            ob_s(o, ",\"name\":\"");
            ob_s(o, tl_sys_name(e->sub));
            json_int(o, "\",\"fd\":-1,\"arg\":", e->a);
            ob_s(o, e->sub == SYS_POLL ? ",\"fds\":" : ",\"sets\":");
            json_str(o, tl->strs[TL_OBJ_STR(e->obj)]);
            if (e->b < 0)
                json_int(o, ",\"timeout_ns\":", TL_TMO_NS(e->b));
            break;
        }
        if (e->sub == SYS_EPOLL_CTL && (e->a & TL_EPCTL_FULL)) {
            char ev[96];
            json_int(o, ",\"name\":\"epoll_ctl\",\"fd\":", e->obj);
            json_int(o, ",\"arg\":", TL_EPCTL_FD(e->a));
            ob_s(o, ",\"op\":\"");
            ob_s(o, tl_epoll_op_name(TL_EPCTL_OP(e->a)));
            ob_c(o, '"');
            if (TL_EPCTL_OP(e->a) != 2) {
                ob_s(o, ",\"events\":\"");
                ob_s(o, tl_epoll_events_text(ev, sizeof ev, TL_EPCTL_EV(e->a)));
                ob_c(o, '"');
            }
            break;
        }
        ob_s(o, ",\"name\":\"");
        ob_s(o, tl_sys_name(e->sub));
        json_int(o, "\",\"fd\":", e->obj);
        json_int(o, ",\"arg\":", e->a);
        if (e->b > 0 && e->b <= tl->nstrs) {
            ob_s(o, ",\"args\":"); /* as strace printed them */
            json_str(o, tl->strs[e->b - 1]);
        }
        if (e->b < 0) /* a waiting call's timeout */
            json_int(o, ",\"timeout_ns\":", TL_TMO_NS(e->b));
        break;
    case EV_SYSCALL: {
        int strobj = (e->sub == SYS_SELECT || e->sub == SYS_POLL ||
                      e->sub == SYS_EPOLL_WAIT || e->sub == SYS_WAIT4) &&
                     e->obj <= -2 && TL_OBJ_STR(e->obj) < tl->nstrs;
        ob_s(o, ",\"name\":\"");
        ob_s(o, tl_sys_name(e->sub));
        json_int(o, "\",\"fd\":", strobj ? enter_fd(tl, i) : e->obj);
        json_int(o, ",\"ret\":", e->a < 0 ? -1 : e->a);
        if (strobj && e->a > 0) { /* what it wrote back: "in [3]" */
            ob_s(o, e->sub == SYS_WAIT4 ? ",\"status\":" : ",\"ready\":");
            json_str(o, tl->strs[TL_OBJ_STR(e->obj)]);
        }
        const char *en = tl_errno_name(e->a);
        if (e->a < 0 && en) {
            ob_s(o, ",\"errno\":\"");
            ob_s(o, en);
            ob_c(o, '"');
        }
        json_int(o, ",\"dur_ns\":", e->b);
        break;
    }
    case EV_FD_OPEN: case EV_FD_CLOSE:
        json_int(o, ",\"fd\":", e->a);
        json_int(o, ",\"object\":", e->obj);
        break;
    case EV_FLAGS:
        json_int(o, ",\"fd\":", e->a);
        json_int(o, ",\"object\":", e->obj);
        ob_s(o, e->sub & TL_FL_NONBLOCK ? ",\"nonblock\":true" : ",\"nonblock\":false");
        ob_s(o, e->sub & TL_FL_ASYNC ? ",\"async\":true" : ",\"async\":false");
        break;
    case EV_DATA:
        json_int(o, ",\"object\":", e->obj);
        json_int(o, ",\"bytes\":", e->a);
        json_int(o, ",\"from\":", e->b);
        break;
    case EV_COPY:
        json_int(o, ",\"object\":", e->obj);
        json_int(o, ",\"bytes\":", e->a);
        ob_s(o, e->sub == TC_TO_USER ? ",\"direction\":\"kernel_to_user\""
                                     : ",\"direction\":\"user_to_kernel\"");
        json_int(o, ",\"dur_ns\":", e->b);
        break;
    case EV_EOF: case EV_OBJ_FREE:
        json_int(o, ",\"object\":", e->obj);
        break;
    case EV_OBJ_NEW: case EV_OBJ_SET:
        json_int(o, ",\"object\":", e->obj);
        ob_s(o, ",\"kind\":\"");
        ob_s(o, tl_obj_kind_name(e->sub));
        ob_c(o, '"');
        if (e->a > 0)
            json_int(o, ",\"port\":", e->a);
        break;
    case EV_QUEUE:
        json_int(o, ",\"queue\":", e->obj);
        ob_s(o, e->sub == TQ_PUSH ? ",\"op\":\"push\"" : e->sub == TQ_POP
                                                          ? ",\"op\":\"pop\""
                : e->sub == TQ_INSERT ? ",\"op\":\"insert\""
                                      : ",\"op\":\"remove\"");
        json_int(o, ",\"item\":", e->a);
        if (e->sub == TQ_INSERT)
            json_int(o, ",\"at\":", e->b);
        if (e->obj >= 0 && e->obj < tl->nqueues &&
            tl->queues[e->obj].kind == TQK_EVENTS) { /* click(1) */
            int k = TL_EVQ_NAME(e->a);
            ob_s(o, TL_EVQ_IS_HANDLER(e->a) ? ",\"handler\":" : ",\"kind\":");
            json_str(o, k < tl->nstrs && tl->strs[k] ? tl->strs[k] : "?");
            json_int(o, ",\"value\":", TL_EVQ_VALUE(e->a));
        }
        if (e->obj >= 0 && e->obj < tl->nqueues &&
            tl->queues[e->obj].kind == TQK_TIMERS) { /* tick at 30.002 ms */
            int k = TL_TIMER_NAME(e->a);
            ob_s(o, ",\"handler\":");
            json_str(o, k < tl->nstrs && tl->strs[k] ? tl->strs[k] : "?");
            json_int(o, ",\"deadline_ns\":", TL_TIMER_T(e->a));
        }
        if (e->obj >= 0 && e->obj < tl->nqueues &&
            tl->queues[e->obj].kind == TQK_MSGS) { /* a message's payload */
            int k = TL_MSG_KIND(e->a);
            ob_s(o, ",\"kind\":");
            json_str(o, k >= 0 && k < tl->nstrs && tl->strs[k] ? tl->strs[k] : "?");
            if (TL_MSG_VAL(e->a) == TL_MSG_NOVAL)
                ob_s(o, ",\"value\":null");
            else
                json_int(o, ",\"value\":", TL_MSG_VAL(e->a));
        }
        break;
    case EV_CAPTION:
        ob_s(o, ",\"text\":");
        json_str(o, e->a >= 0 && e->a < tl->nstrs ? tl->strs[e->a] : "");
        break;
    case EV_SIGNAL:
        json_int(o, ",\"signal\":", e->a);
        ob_s(o, e->sub == 1 ? ",\"handled\":true" : ",\"handled\":false");
        if (e->sub == 2) /* raised while pending: merged, not queued */
            ob_s(o, ",\"merged\":true");
        if (e->sub == 3)
            ob_s(o, ",\"ignored\":true");
        if ((e->sub == 3 || (e->sub == 1 && TL_CHLD_PID(e->b) > 0)) &&
            e->a == TL_SIGCHLD) {
            json_int(o, ",\"pid\":", TL_CHLD_PID(e->b));
            json_int(o, ",\"status\":", TL_CHLD_STATUS(e->b));
        }
        break;
    case EV_REPARENT:
        ob_s(o, ",\"parent\":");
        if (e->a >= 0)
            json_str(o, task_name(tl, (int)e->a));
        else
            ob_s(o, "\"init\"");
        break;
    case EV_ARGCOPY:
        ob_s(o, ",\"name\":\"");
        ob_s(o, tl_sys_name(e->obj));
        json_int(o, "\",\"bytes\":", e->a);
        ob_s(o, e->sub == TC_TO_USER ? ",\"direction\":\"kernel_to_user\""
                                     : ",\"direction\":\"user_to_kernel\"");
        json_int(o, ",\"dur_ns\":", e->b);
        break;
    case EV_MEM:
        json_int(o, ",\"queue\":", e->obj);
        ob_s(o, e->sub == TM_LOAD ? ",\"op\":\"load\"" : e->sub == TM_STORE
                                                            ? ",\"op\":\"store\""
                : e->sub == TM_COPY ? ",\"op\":\"copy\"" : e->sub == TM_CAS
                                                               ? ",\"op\":\"cmpxchg\""
                                                               : ",\"op\":\"xchg\"");
        json_int(o, ",\"value\":", e->a);
        if (e->sub == TM_CAS || e->sub == TM_XCHG)
            json_int(o, ",\"before\":", e->b);
        break;
    case EV_SCAN:
        ob_s(o, ",\"name\":\"");
        ob_s(o, tl_sys_name(e->sub));
        json_int(o, "\",\"fds\":", e->a);
        json_int(o, ",\"dur_ns\":", e->b);
        break;
    case EV_SWITCH: {
        static const char *const why[] = {"next", "send", "yield", "stop",
                                          "switch", "return", "wait",
                                          "ready", "start"};
        ob_s(o, ",\"to\":"); /* a task, by name as "task" is */
        json_str(o, e->obj >= 0 && e->obj < tl->ntasks ? tl->tasks[e->obj].name : "");
        ob_s(o, ",\"why\":\"");
        ob_s(o, e->sub < TSW__COUNT ? why[e->sub] : "?");
        json_int(o, "\",\"value\":", e->a);
        break;
    }
    case EV_CALL:
        ob_s(o, ",\"handler\":");
        json_str(o, e->b >= 0 && e->b < tl->nstrs ? tl->strs[e->b] : "");
        ob_s(o, e->sub == TCALL_CALL ? ",\"op\":\"call\"" : ",\"op\":\"return\"");
        if (e->sub == TCALL_CALL)
            json_int(o, ",\"value\":", e->a);
        break;
    }
    ob_c(o, '}');
}

int tl_export_json(const struct tl *tl, FILE *out)
{
    struct tl_stats st;
    if (tl_stats(tl, &st))
        return -ENOMEM;
    struct obuf *o = malloc(sizeof *o);
    if (!o)
        return -ENOMEM;
    ob_init(o, out);
    ob_s(o, "{\"format\":\"iosim-timeline\",\"version\":1,\"title\":");
    json_str(o, tl->title);
    ob_s(o, ",\"source\":");
    json_str(o, tl->source);
    ob_s(o, ",\"model\":");
    json_str(o, tl->model);
    json_int(o, ",\"cpus\":", tl->ncpus);
    ob_s(o, tl->truncated ? ",\"truncated\":true,\"note\":"
                          : ",\"truncated\":false,\"note\":");
    if (tl->note)
        json_str(o, tl->note);
    else
        ob_s(o, "null");
    ob_s(o, ",\n\"tasks\":[");
    for (int i = 0; i < tl->ntasks; i++) {
        const struct tl_task *t = &tl->tasks[i];
        json_int(o, i ? ",\n{\"id\":" : "\n{\"id\":", i);
        ob_s(o, ",\"name\":");
        json_str(o, t->name);
        ob_s(o, ",\"kind\":\"");
        ob_s(o, tl_task_kind_name(t->kind));
        ob_s(o, "\",\"parent\":");
        if (task_name(tl, t->parent))
            json_str(o, task_name(tl, t->parent));
        else
            ob_s(o, "null");
        ob_s(o, ",\"process\":");
        json_str(o, task_name(tl, t->proc));
        if (tl_module_name(t->module)) { /* a Python child of multiprocessing */
            ob_s(o, ",\"module\":\"");
            ob_s(o, tl_module_name(t->module));
            ob_c(o, '"');
        }
        ob_c(o, '}');
    }
    ob_s(o, "],\n\"objects\":[");
    for (int i = 0; i < tl->nobjs; i++) {
        const struct tl_obj *ob = &tl->objs[i];
        json_int(o, i ? ",\n{\"id\":" : "\n{\"id\":", i);
        ob_s(o, ",\"kind\":\"");
        ob_s(o, tl_obj_kind_name(ob->kind));
        json_int(o, "\",\"peer\":", ob->peer);
        json_int(o, ",\"rcvbuf\":", ob->rxcap);
        json_int(o, ",\"sndbuf\":", ob->txcap);
        json_int(o, ",\"port\":", ob->port);
        ob_c(o, '}');
    }
    ob_s(o, "],\n\"queues\":[");
    for (int i = 0; i < tl->nqueues; i++) {
        json_int(o, i ? ",\n{\"id\":" : "\n{\"id\":", i);
        ob_s(o, ",\"name\":");
        json_str(o, tl->queues[i].name);
        ob_c(o, '}');
    }
    ob_s(o, "],\n\"events\":[");
    for (size_t i = 0; i < tl->nev; i++) {
        ob_s(o, i ? ",\n" : "\n");
        json_event(tl, i, o);
    }
    ob_s(o, "],\n\"stats\":");
    json_stats(tl, &st, o);
    ob_s(o, "}\n");
    int rc = ob_flush(o);
    free(o);
    return rc ? rc : ferror(out) ? -EIO : 0;
}

/*
 * Chrome trace: one process per iosim process, one thread track per task;
 * "X" slices for states and for syscalls, instant events for captions, and
 * flow arrows ("s"/"f") from a write's copy into the kernel to the read that
 * copies the same bytes out.
 */
int tl_export_chrome(const struct tl *tl, FILE *out)
{
    int64_t *since = calloc((size_t)tl->ntasks + 1, sizeof *since);
    int *state = calloc((size_t)tl->ntasks + 1, sizeof *state);
    int64_t *enter = calloc((size_t)tl->ntasks + 1, sizeof *enter);
    if (!since || !state || !enter) {
        free(since);
        free(state);
        free(enter);
        return -ENOMEM;
    }
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", out);
    int first = 1;
#define SEP() (first ? (first = 0, "") : ",\n")
    for (int i = 0; i < tl->ntasks; i++) {
        const struct tl_task *t = &tl->tasks[i];
        fprintf(out, "%s{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
                     "\"args\":{\"name\":", SEP(), t->proc, i);
        tl_json_str(out, t->name);
        fputs("}}", out);
        if (t->proc == i) {
            fprintf(out, "%s{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,"
                         "\"args\":{\"name\":", SEP(), i);
            tl_json_str(out, t->name);
            fputs("}}", out);
        }
    }
    long flow = 0;
    for (size_t k = 0; k < tl->nev; k++) {
        const struct tl_ev *e = &tl->ev[k];
        int t = e->task == TL_NOTASK || e->task >= tl->ntasks ? -1 : e->task;
        double us = (double)e->t / 1000.0;
        int pid = t >= 0 ? tl->tasks[t].proc : 0;
        switch (e->type) {
        case EV_STATE:
            if (t < 0)
                break;
            if (state[t] == TS_RUNNING || state[t] == TS_BLOCKED ||
                state[t] == TS_READY)
                fprintf(out, "%s{\"ph\":\"X\",\"cat\":\"state\",\"name\":\"%s\","
                             "\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f}",
                        SEP(), tl_state_name(state[t]), pid, t,
                        (double)since[t] / 1000.0, (double)(e->t - since[t]) / 1000.0);
            state[t] = e->sub;
            since[t] = e->t;
            break;
        case EV_SYS_ENTER:
            if (t >= 0)
                enter[t] = e->t;
            break;
        case EV_SYSCALL: {
            if (t < 0)
                break;
            const char *en = tl_errno_name(e->a);
            fprintf(out, "%s{\"ph\":\"X\",\"cat\":\"syscall\",\"name\":\"%s\","
                         "\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,"
                         "\"args\":{\"fd\":%d,\"ret\":%lld%s%s%s}}",
                    SEP(), tl_sys_name(e->sub), pid, t, (double)enter[t] / 1000.0,
                    (double)(e->t - enter[t]) / 1000.0,
                    e->obj < -1 ? enter_fd(tl, k) : e->obj,
                    (long long)(e->a < 0 ? -1 : e->a), e->a < 0 ? ",\"errno\":\"" : "",
                    e->a < 0 && en ? en : "", e->a < 0 ? "\"" : "");
            break;
        }
        case EV_COPY:
            if (t < 0)
                break;
            fprintf(out, "%s{\"ph\":\"X\",\"cat\":\"copy\",\"name\":\"copy %lld B %s\","
                         "\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f}",
                    SEP(), (long long)e->a,
                    e->sub == TC_TO_USER ? "kernel->user" : "user->kernel", pid, t,
                    us, (double)e->b / 1000.0);
            /* a flow from the writer's copy to the next read of those bytes */
            if (e->sub == TC_TO_KERNEL) {
                int dst = e->obj;
                if (dst >= 0 && dst < tl->nobjs && tl->objs[dst].txcap > 0)
                    dst = tl->objs[dst].peer;
                /* bounded: a flow whose read is far away is not drawn */
                for (size_t j = k + 1; j < tl->nev && j < k + 4096 && dst >= 0; j++) {
                    const struct tl_ev *r = &tl->ev[j];
                    if (r->type == EV_COPY && r->sub == TC_TO_USER && r->obj == dst &&
                        r->task < tl->ntasks) {
                        flow++;
                        fprintf(out, "%s{\"ph\":\"s\",\"cat\":\"data\",\"name\":\"bytes\","
                                     "\"id\":%ld,\"pid\":%d,\"tid\":%d,\"ts\":%.3f}",
                                SEP(), flow, pid, t, us);
                        fprintf(out, "%s{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"data\","
                                     "\"name\":\"bytes\",\"id\":%ld,\"pid\":%d,"
                                     "\"tid\":%d,\"ts\":%.3f}",
                                SEP(), flow, tl->tasks[r->task].proc, r->task,
                                (double)r->t / 1000.0);
                        break;
                    }
                }
            }
            break;
        case EV_CAPTION:
            fprintf(out, "%s{\"ph\":\"i\",\"s\":\"g\",\"cat\":\"caption\",\"name\":",
                    SEP());
            tl_json_str(out, e->a >= 0 && e->a < tl->nstrs ? tl->strs[e->a] : "");
            fprintf(out, ",\"pid\":0,\"tid\":0,\"ts\":%.3f}", us);
            break;
        }
    }
#undef SEP
    fputs("\n]}\n", out);
    free(since);
    free(state);
    free(enter);
    return ferror(out) ? -EIO : 0;
}
