/*
 * export.c - statistics, JSON and Chrome trace exports of a timeline.
 */
#include "tl/export.h"
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

static const char *task_name(const struct tl *tl, int t)
{
    return t >= 0 && t < tl->ntasks ? tl->tasks[t].name : NULL;
}

static void json_stats(const struct tl *tl, const struct tl_stats *st, FILE *out)
{
    (void)tl;
    fputs("{\"syscalls\":{", out);
    int first = 1;
    for (int s = 0; s < TL_SYS_ALL; s++) {
        if (!st->syscalls[s])
            continue;
        fprintf(out, "%s\"%s\":%ld", first ? "" : ",", tl_sys_name(s), st->syscalls[s]);
        first = 0;
    }
    fputc('}', out);
#define X(name, f) fprintf(out, ",\"" name "\":%lld", (long long)st->f);
    TL_STAT_FIELDS(X)
#undef X
    fputc('}', out);
}

static void json_event(const struct tl *tl, size_t i, FILE *out)
{
    const struct tl_ev *e = &tl->ev[i];
    fprintf(out, "{\"i\":%zu,\"t_ns\":%lld,\"task\":", i, (long long)e->t);
    const char *tn = e->task == TL_NOTASK ? NULL : task_name(tl, e->task);
    if (tn)
        tl_json_str(out, tn);
    else
        fputs("null", out);
    fprintf(out, ",\"type\":\"%s\"", tl_ev_name(e->type));
    if (e->line > 0)
        fprintf(out, ",\"line\":%d", e->line);
    switch (e->type) {
    case EV_TASK_NEW:
        fprintf(out, ",\"kind\":\"%s\"", tl_task_kind_name(e->sub));
        break;
    case EV_STATE:
        fprintf(out, ",\"state\":\"%s\"", tl_state_name(e->sub));
        if (e->sub == TS_RUNNING && e->a >= 0)
            fprintf(out, ",\"cpu\":%lld", (long long)e->a);
        if (e->sub == TS_BLOCKED)
            fprintf(out, ",\"wait\":\"%s\"", tl_wait_name((int)e->a));
        if (e->sub == TS_BLOCKED && e->obj >= 0)
            fprintf(out, ",\"object\":%d", e->obj);
        if (e->sub == TS_EXITED || e->sub == TS_ZOMBIE)
            fprintf(out, ",\"code\":%lld", (long long)e->a);
        if (e->sub == TS_EXITED && e->obj != -1) {
            fputs(",\"reaped_by\":", out);
            if (e->obj >= 0)
                tl_json_str(out, task_name(tl, e->obj));
            else
                fputs("\"init\"", out);
        }
        break;
    case EV_SYS_ENTER:
        if (e->sub == SYS_SELECT && e->obj <= -2 &&
            TL_OBJ_STR(e->obj) < tl->nstrs) { /* the sets instead of an fd */
            fprintf(out, ",\"name\":\"pselect6\",\"fd\":-1,\"arg\":%lld,"
                    "\"sets\":", (long long)e->a);
            tl_json_str(out, tl->strs[TL_OBJ_STR(e->obj)]);
            if (e->b < 0)
                fprintf(out, ",\"timeout_ns\":%lld",
                        (long long)TL_TMO_NS(e->b));
            break;
        }
        if (e->sub == SYS_EPOLL_CTL && (e->a & TL_EPCTL_FULL)) {
            char ev[96];
            fprintf(out, ",\"name\":\"epoll_ctl\",\"fd\":%d,\"arg\":%d,"
                    "\"op\":\"%s\"", e->obj, TL_EPCTL_FD(e->a),
                    tl_epoll_op_name(TL_EPCTL_OP(e->a)));
            if (TL_EPCTL_OP(e->a) != 2)
                fprintf(out, ",\"events\":\"%s\"",
                        tl_epoll_events_text(ev, sizeof ev, TL_EPCTL_EV(e->a)));
            break;
        }
        fprintf(out, ",\"name\":\"%s\",\"fd\":%d,\"arg\":%lld", tl_sys_name(e->sub),
                e->obj, (long long)e->a);
        if (e->b > 0 && e->b <= tl->nstrs) {
            fputs(",\"args\":", out); /* as strace printed them */
            tl_json_str(out, tl->strs[e->b - 1]);
        }
        if (e->b < 0) /* a waiting call's timeout */
            fprintf(out, ",\"timeout_ns\":%lld", (long long)TL_TMO_NS(e->b));
        break;
    case EV_SYSCALL: {
        int strobj = e->sub == SYS_SELECT && e->obj <= -2 &&
                     TL_OBJ_STR(e->obj) < tl->nstrs;
        fprintf(out, ",\"name\":\"%s\",\"fd\":%d,\"ret\":%lld", tl_sys_name(e->sub),
                strobj ? -1 : e->obj, (long long)(e->a < 0 ? -1 : e->a));
        if (strobj && e->a > 0) { /* the sets it left: "in [3]" */
            fputs(",\"ready\":", out);
            tl_json_str(out, tl->strs[TL_OBJ_STR(e->obj)]);
        }
        const char *en = tl_errno_name(e->a);
        if (e->a < 0 && en)
            fprintf(out, ",\"errno\":\"%s\"", en);
        fprintf(out, ",\"dur_ns\":%lld", (long long)e->b);
        break;
    }
    case EV_FD_OPEN: case EV_FD_CLOSE:
        fprintf(out, ",\"fd\":%lld,\"object\":%d", (long long)e->a, e->obj);
        break;
    case EV_FLAGS:
        fprintf(out, ",\"fd\":%lld,\"object\":%d,\"nonblock\":%s,\"async\":%s",
                (long long)e->a, e->obj, e->sub & TL_FL_NONBLOCK ? "true" : "false",
                e->sub & TL_FL_ASYNC ? "true" : "false");
        break;
    case EV_DATA:
        fprintf(out, ",\"object\":%d,\"bytes\":%lld,\"from\":%lld", e->obj,
                (long long)e->a, (long long)e->b);
        break;
    case EV_COPY:
        fprintf(out, ",\"object\":%d,\"bytes\":%lld,\"direction\":\"%s\",\"dur_ns\":%lld",
                e->obj, (long long)e->a,
                e->sub == TC_TO_USER ? "kernel_to_user" : "user_to_kernel",
                (long long)e->b);
        break;
    case EV_EOF: case EV_OBJ_FREE:
        fprintf(out, ",\"object\":%d", e->obj);
        break;
    case EV_OBJ_NEW: case EV_OBJ_SET:
        fprintf(out, ",\"object\":%d,\"kind\":\"%s\"", e->obj, tl_obj_kind_name(e->sub));
        if (e->a > 0)
            fprintf(out, ",\"port\":%lld", (long long)e->a);
        break;
    case EV_QUEUE:
        fprintf(out, ",\"queue\":%d,\"op\":\"%s\",\"item\":%lld", e->obj,
                e->sub == TQ_PUSH ? "push" : e->sub == TQ_POP ? "pop" : "remove",
                (long long)e->a);
        if (e->obj >= 0 && e->obj < tl->nqueues &&
            tl->queues[e->obj].kind == TQK_MSGS) { /* a message's payload */
            int k = TL_MSG_KIND(e->a);
            fputs(",\"kind\":", out);
            tl_json_str(out, k >= 0 && k < tl->nstrs && tl->strs[k] ? tl->strs[k]
                                                                   : "?");
            if (TL_MSG_VAL(e->a) == TL_MSG_NOVAL)
                fputs(",\"value\":null", out);
            else
                fprintf(out, ",\"value\":%lld", (long long)TL_MSG_VAL(e->a));
        }
        break;
    case EV_CAPTION:
        fputs(",\"text\":", out);
        tl_json_str(out, e->a >= 0 && e->a < tl->nstrs ? tl->strs[e->a] : "");
        break;
    case EV_SIGNAL:
        fprintf(out, ",\"signal\":%lld,\"handled\":%s", (long long)e->a,
                e->sub == 1 ? "true" : "false");
        if (e->sub == 2) /* raised while pending: merged, not queued */
            fputs(",\"merged\":true", out);
        if (e->sub == 3)
            fputs(",\"ignored\":true", out);
        if (e->sub == 3 && e->a == TL_SIGCHLD)
            fprintf(out, ",\"pid\":%d,\"status\":%d", TL_CHLD_PID(e->b),
                    TL_CHLD_STATUS(e->b));
        break;
    case EV_REPARENT:
        fputs(",\"parent\":", out);
        if (e->a >= 0)
            tl_json_str(out, task_name(tl, (int)e->a));
        else
            fputs("\"init\"", out);
        break;
    case EV_ARGCOPY:
        fprintf(out, ",\"name\":\"%s\",\"bytes\":%lld,\"direction\":\"%s\","
                "\"dur_ns\":%lld", tl_sys_name(e->obj), (long long)e->a,
                e->sub == TC_TO_USER ? "kernel_to_user" : "user_to_kernel",
                (long long)e->b);
        break;
    case EV_MEM:
        fprintf(out, ",\"queue\":%d,\"op\":\"%s\",\"value\":%lld", e->obj,
                e->sub == TM_LOAD ? "load" : e->sub == TM_STORE ? "store"
                : e->sub == TM_COPY ? "copy" : e->sub == TM_CAS ? "cmpxchg"
                                                                : "xchg",
                (long long)e->a);
        if (e->sub == TM_CAS || e->sub == TM_XCHG)
            fprintf(out, ",\"before\":%lld", (long long)e->b);
        break;
    case EV_SCAN:
        fprintf(out, ",\"name\":\"%s\",\"fds\":%lld,\"dur_ns\":%lld",
                tl_sys_name(e->sub), (long long)e->a, (long long)e->b);
        break;
    case EV_SWITCH: {
        static const char *const why[] = {"next", "send", "yield", "stop",
                                          "switch", "return", "wait",
                                          "ready", "start"};
        fputs(",\"to\":", out); /* a task, by name as "task" is */
        tl_json_str(out, e->obj >= 0 && e->obj < tl->ntasks ? tl->tasks[e->obj].name
                                                           : "");
        fprintf(out, ",\"why\":\"%s\",\"value\":%lld",
                e->sub < TSW__COUNT ? why[e->sub] : "?", (long long)e->a);
        break;
    }
    }
    fputc('}', out);
}

int tl_export_json(const struct tl *tl, FILE *out)
{
    struct tl_stats st;
    if (tl_stats(tl, &st))
        return -ENOMEM;
    fputs("{\"format\":\"iosim-timeline\",\"version\":1,\"title\":", out);
    tl_json_str(out, tl->title);
    fputs(",\"source\":", out);
    tl_json_str(out, tl->source);
    fputs(",\"model\":", out);
    tl_json_str(out, tl->model);
    fprintf(out, ",\"cpus\":%d,\"truncated\":%s,\"note\":", tl->ncpus,
            tl->truncated ? "true" : "false");
    if (tl->note)
        tl_json_str(out, tl->note);
    else
        fputs("null", out);
    fputs(",\n\"tasks\":[", out);
    for (int i = 0; i < tl->ntasks; i++) {
        const struct tl_task *t = &tl->tasks[i];
        fprintf(out, "%s\n{\"id\":%d,\"name\":", i ? "," : "", i);
        tl_json_str(out, t->name);
        fprintf(out, ",\"kind\":\"%s\",\"parent\":", tl_task_kind_name(t->kind));
        if (task_name(tl, t->parent))
            tl_json_str(out, task_name(tl, t->parent));
        else
            fputs("null", out);
        fputs(",\"process\":", out);
        tl_json_str(out, task_name(tl, t->proc));
        if (tl_module_name(t->module)) /* a Python child of multiprocessing */
            fprintf(out, ",\"module\":\"%s\"", tl_module_name(t->module));
        fputc('}', out);
    }
    fputs("],\n\"objects\":[", out);
    for (int i = 0; i < tl->nobjs; i++) {
        const struct tl_obj *o = &tl->objs[i];
        fprintf(out,
                "%s\n{\"id\":%d,\"kind\":\"%s\",\"peer\":%d,\"rcvbuf\":%lld,"
                "\"sndbuf\":%lld,\"port\":%d}",
                i ? "," : "", i, tl_obj_kind_name(o->kind), o->peer,
                (long long)o->rxcap, (long long)o->txcap, o->port);
    }
    fputs("],\n\"queues\":[", out);
    for (int i = 0; i < tl->nqueues; i++) {
        fprintf(out, "%s\n{\"id\":%d,\"name\":", i ? "," : "", i);
        tl_json_str(out, tl->queues[i].name);
        fputc('}', out);
    }
    fputs("],\n\"events\":[", out);
    for (size_t i = 0; i < tl->nev; i++) {
        fputs(i ? ",\n" : "\n", out);
        json_event(tl, i, out);
    }
    fputs("],\n\"stats\":", out);
    json_stats(tl, &st, out);
    fputs("}\n", out);
    return ferror(out) ? -EIO : 0;
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
                    (double)(e->t - enter[t]) / 1000.0, e->obj,
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
