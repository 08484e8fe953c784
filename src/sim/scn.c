/*
 * scn.c - the scenario language's declarations and settings (title, model,
 * machine, caption, process, peer, server) and its entry points: parse a
 * text, load a file.  The compiler's other parts are scn_lex.c (lexer and
 * errors), scn_stmt.c (statements and control flow) and scn_op.c
 * (operations and operands); scn_int.h says how they fit together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/scn.h"
#include "sim/hub.h"
#include "sim/scn_int.h"
#include "sim/pool.h"
#include "sim/server.h"
#include "tl/tl.h"

static const char *const decl_kw[] = {
    "title", "model", "machine", "caption", "process", "peer", "server",
    "pool",
};

/* ---- top level ---------------------------------------------------------- */

static int scn_task_new(struct scn *S, const struct scn_tok *name, int kind)
{
    struct prog *p = S->p;
    for (int i = 0; i < p->ntasks; i++)
        if ((int)strlen(p->tasks[i].name) == name->len
            && memcmp(p->tasks[i].name, name->s, (size_t)name->len) == 0)
            return scn_err(S, name->off, "'%.*s' is already declared on line "
                           "%d", name->len, name->s, p->tasks[i].line);
    struct prog_task *t = scn_grow(p->tasks, &p->taskcap, p->ntasks + 1,
                                   sizeof *t);
    if (!t)
        return scn_oom(S, name->off);
    p->tasks = t;
    t += p->ntasks;
    memset(t, 0, sizeof *t);
    if (!(t->name = scn_strndup(name->s, (size_t)name->len)))
        return scn_oom(S, name->off);
    t->kind = kind;
    t->count = 1;
    t->script = -1;
    t->end = t->name_slot = -1;
    t->line = S->ln + 1;
    t->entry = p->ncode;
    S->task = p->ntasks++;
    S->slotcap = 0;
    return 0;
}

static int scn_count(struct scn *S, int off, int64_t n)
{
    if (n > PROG_MAX_TASKS - S->instances)
        return scn_err(S, off, "too many task instances: the limit is %d in "
                       "total", PROG_MAX_TASKS);
    S->instances += (long)n;
    return 0;
}

/* peer NAME [count N] [every DUR] [at DUR] {: the options */
static int scn_peer_opts(struct scn *S, struct prog_task *task)
{
    char b[64];
    int seen[3] = {0};
    static const char *const opt[] = {"count", "every", "at"};
    while (S->tok[S->pos].kind == T_IDENT) {
        struct scn_tok *o = scn_take(S), *v = scn_take(S);
        int k = 0;
        while (k < 3 && !scn_word(o, opt[k]))
            k++;
        if (k == 3)
            return scn_err(S, o->off, "unknown peer option '%.*s': expected "
                           "count, every or at", o->len, o->s);
        if (seen[k]++)
            return scn_err(S, o->off, "'%s' given twice", opt[k]);
        if (k == 0) {
            if (v->kind != T_INT || v->unit != U_NONE || v->v < 1)
                return scn_err(S, v->off, "expected a count of at least 1, "
                               "found %s", scn_desc(S, v, b, sizeof b));
            if (scn_count(S, v->off, v->v - 1) < 0)
                return -1;
            task->count = (int)v->v;
            continue;
        }
        struct prog_arg a;
        if (v->kind == T_IDENT)
            return scn_err(S, v->off, "expected a duration such as 5ms, "
                           "found %s", scn_desc(S, v, b, sizeof b));
        if (scn_arg_time(S, v, &a) < 0)
            return -1;
        *(k == 1 ? &task->every : &task->start) = a.v;
    }
    return 0;
}

/* process NAME [python [free-threaded] [interval DUR]] {: a CPython
 * process (its threads need the GIL to compute), or the free-threaded
 * build (PEP 703: no GIL); interval is sys.setswitchinterval's */
static int scn_python_opts(struct scn *S, struct prog_task *task)
{
    char b[64];
    task->switch_interval = 5000000; /* CPython's default: 5 ms */
    if (S->tok[S->pos].kind != T_IDENT)
        return 0;
    struct scn_tok *o = scn_take(S);
    if (!scn_word(o, "python"))
        return scn_err(S, o->off, "unknown process option %s: expected "
                       "python, or '{'", scn_desc(S, o, b, sizeof b));
    task->python = PY_GIL;
    while (S->tok[S->pos].kind == T_IDENT) {
        o = scn_take(S);
        if (scn_word(o, "free-threaded")) {
            task->python = PY_FREE;
        } else if (scn_word(o, "interval")) {
            struct scn_tok *v = scn_take(S);
            struct prog_arg a;
            if (v->kind == T_IDENT)
                return scn_err(S, v->off, "expected a duration such as 5ms, "
                               "found %s", scn_desc(S, v, b, sizeof b));
            if (scn_arg_time(S, v, &a) < 0)
                return -1;
            if (a.v < 1000)
                return scn_err(S, v->off, "the switch interval is at least "
                               "1us (CPython counts it in microseconds)");
            task->switch_interval = a.v;
        } else {
            return scn_err(S, o->off, "unknown python option '%.*s': "
                           "expected free-threaded or interval", o->len, o->s);
        }
    }
    return 0;
}

static int scn_task(struct scn *S, int kind)
{
    struct scn_tok *name = scn_take(S);
    char b[64];
    if (name->kind != T_IDENT)
        return scn_err(S, name->off, "expected a name: %s NAME {, found %s",
                       kind == DECL_PEER ? "peer" : "process",
                       scn_desc(S, name, b, sizeof b));
    if (scn_task_new(S, name, kind) < 0 || scn_count(S, name->off, 1) < 0)
        return -1;
    if (kind == DECL_PROCESS && scn_python_opts(S, scn_cur(S)) < 0)
        return -1;
    if (kind == DECL_PEER && scn_peer_opts(S, scn_cur(S)) < 0)
        return -1;
    if (scn_body(S) < 0 || scn_emit(S, OP_EXIT, S->tok[0].off, -1) < 0)
        return -1;
    scn_cur(S)->end = S->p->ncode - 1;
    S->task = -1;
    return 0;
}

static int scn_caption(struct scn *S)
{
    struct prog *p = S->p;
    struct scn_tok *t = scn_take(S);
    struct prog_arg at = {0};
    char b[64];
    if (scn_word(t, "at")) {
        t = scn_take(S);
        if (t->kind == T_IDENT)
            return scn_err(S, t->off, "expected a duration such as 5ms, "
                           "found %s", scn_desc(S, t, b, sizeof b));
        if (scn_arg_time(S, t, &at) < 0)
            return -1;
        t = scn_take(S);
    }
    if (t->kind != T_STR)
        return scn_err(S, t->off, "expected a string: caption [at TIME] "
                       "\"TEXT\", found %s", scn_desc(S, t, b, sizeof b));
    if (scn_expect_eol(S, "the caption") < 0)
        return -1;
    struct prog_caption *c = scn_grow(p->captions, &p->captioncap,
                                      p->ncaptions + 1, sizeof *c);
    if (!c)
        return scn_oom(S, t->off);
    p->captions = c;
    c += p->ncaptions;
    c->t = at.v;
    if (!(c->text = scn_strndup(t->s, (size_t)t->slen)))
        return scn_oom(S, t->off);
    p->ncaptions++;
    return 0;
}

/* title "TEXT" and model IDENT */
static int scn_label(struct scn *S, const struct scn_tok *kw, char **dst,
                     int *seen)
{
    struct scn_tok *t = scn_take(S);
    int title = dst == &S->p->title;
    char b[64];
    if (*seen)
        return scn_err(S, kw->off, "%s already given on line %d",
                       title ? "title" : "model", *seen);
    if (t->kind != (title ? T_STR : T_IDENT))
        return scn_err(S, t->off, "expected %s, found %s",
                       title ? "a string: title \"TEXT\""
                             : "a name: model epoll",
                       scn_desc(S, t, b, sizeof b));
    if (scn_expect_eol(S, title ? "the title" : "the model") < 0)
        return -1;
    if (!(*dst = scn_strndup(t->s, (size_t)t->slen)))
        return scn_oom(S, t->off);
    *seen = S->ln + 1;
    return 0;
}

enum { MK_CPUS, MK_RCVBUF, MK_SNDBUF, MK_PIPEBUF, MK_LATENCY, MK_SLICE, MK_HZ,
       MK_LIMIT, MK_EVENTS, MK_STEPS, MK_MEMORY, MK_BACKLOG, MK_NOFILE,
       MK_FORTIFY, MK_COST };

static const struct {
    const char *name;
    int unit;
    int64_t min, max;
} scn_mkeys[] = {
    [MK_CPUS] = {"cpus", U_NONE, 1, 1024},
    [MK_RCVBUF] = {"rcvbuf", U_SIZE, 1, 1L << 30},
    [MK_SNDBUF] = {"sndbuf", U_SIZE, 1, 1L << 30},
    [MK_PIPEBUF] = {"pipebuf", U_SIZE, 1, 1L << 30},
    [MK_LATENCY] = {"latency", U_TIME, 0, INT64_MAX},
    [MK_SLICE] = {"slice", U_TIME, 100000, 100000000},
    [MK_HZ] = {"hz", U_NONE, 100, 1000},
    [MK_LIMIT] = {"limit", U_TIME, 1, TL_T_MAX}, /* what an event can hold */
    [MK_EVENTS] = {"events", U_NONE, 1, 50000000},
    [MK_STEPS] = {"steps", U_NONE, 1, SIM_STEPS_MAX},
    [MK_MEMORY] = {"memory", U_SIZE, 1L << 20, SIM_MEM_MAX},
    [MK_BACKLOG] = {"backlog", U_NONE, 1, 65535},
    [MK_NOFILE] = {"nofile", U_NONE, 4, 1048576}, /* fs.nr_open */
    [MK_FORTIFY] = {"fortify", U_NONE, 0, 3},
    [MK_COST] = {"cost", U_TIME, 0, INT64_MAX},
};

static const char *const cost_names[] = {
#define X(f, n, d, h) n,
    COST_PARAMS(X)
#undef X
};

static int64_t *scn_cost_field(struct cost *c, int i)
{
    int64_t *f[] = {
#define X(f, n, d, h) &c->f,
        COST_PARAMS(X)
#undef X
    };
    return f[i];
}

/* The value of a machine setting: a plain int, a size or a duration */
static int scn_mvalue(struct scn *S, const char *what, int unit, int64_t min,
                      int64_t max, int64_t *out)
{
    struct scn_tok *t = scn_take(S);
    char b[64];
    static const char *const ex[] = {
        [U_NONE] = "a number such as 4",
        [U_TIME] = "a duration such as 5ms",
        [U_SIZE] = "a size such as 64K",
    };
    int ok = t->kind == T_INT
          && (t->unit == unit || (unit == U_SIZE && t->unit == U_NONE));
    if (!ok)
        return scn_err(S, t->off, "%s takes %s, found %s", what, ex[unit],
                       scn_desc(S, t, b, sizeof b));
    if (t->v < min || t->v > max)
        return scn_err(S, t->off, "%s must be between %lld and %lld", what,
                       (long long)min, (long long)max);
    *out = t->v;
    return scn_expect_eol(S, what);
}

static int scn_mcost(struct scn *S)
{
    struct scn_tok *t = scn_take(S);
    char b[64];
    int i = 0;
    if (t->kind != T_IDENT)
        return scn_err(S, t->off, "expected a cost name such as syscall, "
                       "found %s", scn_desc(S, t, b, sizeof b));
    while (i < NELEM(cost_names) && !scn_word(t, cost_names[i]))
        i++;
    if (i == NELEM(cost_names)) {
        struct scn_near n = {t->s, t->len, NULL, 0};
        scn_near_list(&n, cost_names, NELEM(cost_names));
        if (n.best)
            return scn_err(S, t->off, "unknown cost '%.*s'; did you mean "
                           "'%s'?", t->len, t->s, n.best);
        return scn_err(S, t->off, "unknown cost '%.*s'", t->len, t->s);
    }
    int count = strcmp(cost_names[i], "cache_fds") == 0;
    return scn_mvalue(S, cost_names[i], count ? U_NONE : U_TIME, 0,
                      count ? 1000000000 : INT64_MAX,
                      scn_cost_field(&S->p->cost, i));
}

static int scn_mline(struct scn *S)
{
    struct prog *p = S->p;
    struct scn_tok *t = scn_take(S);
    int k = 0;
    while (k < NELEM(scn_mkeys) && !scn_word(t, scn_mkeys[k].name))
        k++;
    if (k == NELEM(scn_mkeys)) {
        struct scn_near n = {t->s, t->len, NULL, 0};
        for (int i = 0; i < NELEM(scn_mkeys) && t->kind == T_IDENT; i++)
            scn_near_try(&n, scn_mkeys[i].name);
        if (n.best)
            return scn_err(S, t->off, "unknown machine setting '%.*s'; did "
                           "you mean '%s'?", t->len, S->p->lines[S->ln]
                           + t->off, n.best);
        return scn_err(S, t->off, "unknown machine setting '%.*s': expected "
                       "cpus, rcvbuf, sndbuf, pipebuf, latency, slice, hz, "
                       "limit, events, steps, memory, backlog, nofile, fortify or "
                       "cost",
                       t->len,
                       S->p->lines[S->ln] + t->off);
    }
    if (k == MK_COST)
        return scn_mcost(S);
    int64_t v;
    if (scn_mvalue(S, scn_mkeys[k].name, scn_mkeys[k].unit, scn_mkeys[k].min,
                   scn_mkeys[k].max, &v) < 0)
        return -1;
    switch (k) {
    case MK_CPUS: p->ncpus = (int)v; break;
    case MK_RCVBUF: p->rcvbuf = v; break;
    case MK_SNDBUF: p->sndbuf = v; break;
    case MK_PIPEBUF: p->pipebuf = v; break;
    case MK_LATENCY: p->latency = v; break;
    case MK_SLICE: p->slice = v; break;
    case MK_HZ: p->hz = (int)v; break;
    case MK_LIMIT: p->limit = v; break;
    case MK_EVENTS: p->max_events = (long)v; break;
    case MK_STEPS: p->max_steps = (long)v; break;
    case MK_MEMORY: p->max_mem = v; break;
    case MK_NOFILE: p->nofile = v; break;
    case MK_FORTIFY: p->fortify = (int)v; break;
    default: p->backlog = (int)v; break;
    }
    return 0;
}

/* How a settings block (machine, server) ended: r from scn_next, ln and
 * brace where it opened.  0 on a plain '}', or -1 with the message. */
static int scn_end_settings(struct scn *S, int r, int ln, int brace)
{
    if (r < 0)
        return -1;
    if (r == 0)
        return scn_err_at(S, ln + 1, scn_col(S->p->lines[ln], brace),
                          "this '{' is never closed: add a line with '}'");
    S->pos = 1;
    return scn_expect_eol(S, "'}'");
}

static int scn_machine(struct scn *S, const struct scn_tok *kw)
{
    int brace, ln = S->ln, r;
    if (S->machine_ln)
        return scn_err(S, kw->off, "machine already given on line %d",
                       S->machine_ln);
    if (S->npools) /* its captions counted the CPUs already */
        return scn_err(S, kw->off, "machine must come before the pool "
                       "declarations (a pool's captions count its CPUs)");
    S->machine_ln = S->ln + 1;
    if (scn_open(S, &brace) < 0)
        return -1;
    while ((r = scn_next(S)) > 0 && S->tok[0].kind != T_RBRACE)
        if (scn_mline(S) < 0)
            return -1;
    return scn_end_settings(S, r, ln, brace);
}

static int scn_unknown_decl(struct scn *S, const struct scn_tok *t)
{
    char b[64];
    if (t->kind == T_RBRACE)
        return scn_err(S, t->off, "unmatched '}'");
    if (t->kind == T_IDENT
        && (scn_op_find(t) >= 0 || scn_is_ctl(t) || t[1].kind == T_ASSIGN
            || t[1].kind == T_COMMA))
        return scn_err(S, t->off, "statements belong inside a process or "
                       "peer block");
    if (t->kind == T_IDENT) {
        struct scn_near n = {t->s, t->len, NULL, 0};
        scn_near_list(&n, decl_kw, NELEM(decl_kw));
        if (n.best)
            return scn_err(S, t->off, "unknown declaration '%.*s'; did you "
                           "mean '%s'?", t->len, t->s, n.best);
    }
    return scn_err(S, t->off, "expected title, model, machine, caption, "
                   "process, server, pool or peer, found %s",
                   scn_desc(S, t, b, sizeof b));
}

/*
 * server NAME {
 *     model epoll      port 8080      work 100us      reply 1K      buffer 4K
 *     nofile 16384
 * }  (one setting per line): the model's template (server.c) with the
 * settings filled in, compiled as a `process NAME` whose lines are the
 * generated text (a prog_script) rather than the file's.
 */
/* Compile text, a generated `process` declaration titled title, in place
 * of the file's lines (a template: server, pool); it takes text */
static int scn_expanded(struct scn *S, const struct scn_tok *name, char *text,
                        const char *title)
{
    struct prog *p = S->p;
    struct prog_script *sc = scn_grow(p->scripts, &p->scriptcap,
                                      p->nscripts + 1, sizeof *sc);
    if (!text || !sc) {
        free(text);
        return scn_oom(S, name->off);
    }
    p->scripts = sc;
    sc += p->nscripts;
    memset(sc, 0, sizeof *sc);
    int idx = p->nscripts++;
    sc->title = strdup(title);
    int cap = 0;
    for (char *l = text, *nl; *l; l = *nl ? nl + 1 : nl) {
        nl = strchr(l, '\n');
        if (!nl)
            nl = l + strlen(l);
        char **q = scn_grow(sc->lines, &cap, sc->nlines + 1, sizeof *q);
        if (q)
            sc->lines = q;
        if (!q || !(q[sc->nlines] = scn_strndup(l, (size_t)(nl - l)))) {
            free(text);
            return scn_oom(S, name->off);
        }
        sc->nlines++;
    }
    free(text);
    if (!sc->title)
        return scn_oom(S, name->off);
    /* compile the generated lines in place of the file's, then come back */
    char **lines = p->lines;
    int nlines = p->nlines, ln = S->ln, r;
    p->lines = sc->lines;
    p->nlines = sc->nlines;
    S->ln = -1;
    r = scn_next(S);
    if (r > 0) {
        struct scn_tok *kw = scn_take(S);
        r = scn_word(kw, "process") ? scn_task(S, DECL_PROCESS) : -1;
    }
    if (r >= 0 && scn_next(S) != 0)
        r = -1;
    p->lines = lines;
    p->nlines = nlines;
    S->ln = ln;
    if (r < 0)
        return r;
    p->tasks[p->ntasks - 1].script = idx;
    p->tasks[p->ntasks - 1].line = ln + 1;
    return 0;
}

static int scn_server_expand(struct scn *S, const struct scn_tok *name,
                             const char *model, const struct server_cfg *c)
{
    char nm[128], title[256];
    snprintf(nm, sizeof nm, "%.*s", name->len, name->s);
    snprintf(title, sizeof title, "%.128s (%.64s server)", nm, model);
    int r = scn_expanded(S, name, server_expand(model, nm, c), title);
    if (r >= 0)
        S->p->nservers++;
    return r;
}

/*
 * A Queue's feeder thread: CPython's Queue._feed, abridged, as the script
 * the thread shows, and one QFEED instruction per step on its line
 * (mpq.c runs them).
 */
static const char *const feeder_text[] = {
    "# Queue._feed (CPython 3.11, Lib/multiprocessing/queues.py), abridged:",
    "# the thread that a process's first Queue.put() starts",
    "def _feed(buffer, notempty, send_bytes, writelock, ...):",
    "    debug('starting thread to feed data to pipe')",
    "    while 1:",
    "        nacquire()               # with notempty: a threading.Lock",
    "        if not buffer:",
    "            nwait()              # notempty.wait(): until put() notifies",
    "        nrelease()",
    "        try:",
    "            while 1:",
    "                obj = bpopleft()             # empty: IndexError",
    "                obj = _ForkingPickler.dumps(obj)",
    "                wacquire()                   # Queue._wlock, a SemLock",
    "                send_bytes(obj)              # write(): length + pickle",
    "                wrelease()",
    "        except IndexError:",
    "            pass",
};
static const int feeder_line[FEED__COUNT] = {4, 8, 12, 14, 15, 16};

/*
 * A Manager's server process: CPython's Server, abridged, and one MSRV
 * instruction per step on its line (mgr.c), then the EXIT its threads and
 * its sys.exit() run.
 */
static const char *const mgr_text[] = {
    "# A Manager's server (CPython 3.11, Lib/multiprocessing/managers.py), abridged",
    "def serve_forever(self):                       # the process's main thread",
    "    self.listener = Listener(address, backlog=16)  # socket, bind, listen",
    "    writer.send(self.listener.address); writer.close()",
    "    threading.Thread(target=self.accepter).start()",
    "    self.stop_event.wait()                     # until a shutdown request",
    "    sys.exit(0)",
    "",
    "def accepter(self):                            # a thread",
    "    while True:",
    "        c = self.listener.accept()             # accept4",
    "        threading.Thread(target=self.handle_request, args=(c,)).start()",
    "",
    "def handle_request(self, c):                   # a thread per connection",
    "    deliver_challenge(c, self.authkey)         # #CHALLENGE#, digest, #WELCOME#",
    "    answer_challenge(c, self.authkey)          # the same, the other way",
    "    while True:                    # serve_client, after accept_connection",
    "        request = c.recv()                     # (ident, methodname, args, kwds)",
    "        res = function(*args, **kwds)          # the shared object's method",
    "        c.send(('#RETURN', res))",
    "    c.close()                      # EOFError: the client closed it",
};
static const int mgr_line[MS__COUNT] = {3, 4, 5, 6, 11, 12, 15, 16, 18, 19,
                                        20, 21, 7};

/* Append a generated script and n instructions of op (the last one, with
 * last_exit, an EXIT), step k on line[k]; *pc and *script say where */
static int scn_generated(struct scn *S, const char *title,
                         const char *const *text, int nlines, int op,
                         const int *line, int n, int last_exit, int32_t *pc,
                         int32_t *script)
{
    struct prog *p = S->p;
    struct prog_script *sc = scn_grow(p->scripts, &p->scriptcap,
                                      p->nscripts + 1, sizeof *sc);
    if (!sc)
        return scn_err_at(S, 1, 1, "out of memory");
    p->scripts = sc;
    sc += p->nscripts;
    memset(sc, 0, sizeof *sc);
    *script = p->nscripts++;
    sc->title = strdup(title);
    sc->lines = calloc((size_t)nlines, sizeof *sc->lines);
    if (!sc->title || !sc->lines)
        return scn_err_at(S, 1, 1, "out of memory");
    for (int i = 0; i < nlines; i++) {
        if (!(sc->lines[i] = strdup(text[i])))
            return scn_err_at(S, 1, 1, "out of memory");
        sc->nlines++;
    }
    *pc = p->ncode;
    for (int k = 0; k < n; k++) {
        struct prog_ins in;
        memset(&in, 0, sizeof in);
        in.op = (uint16_t)(last_exit && k == n - 1 ? OP_EXIT : op);
        in.dst = in.dst2 = in.jump = in.list = -1;
        in.flags = (uint16_t)k;
        in.line = line[k];
        in.col = 1;
        if (scn_push(S, &in, 0) < 0)
            return -1;
    }
    return 0;
}

static int scn_feeder(struct scn *S)
{
    return scn_generated(S, "QueueFeederThread (queues.py, Queue._feed)",
                         feeder_text, NELEM(feeder_text), OP_QFEED,
                         feeder_line, FEED__COUNT, 0, &S->p->feeder_pc,
                         &S->p->feeder_script);
}

static int scn_manager(struct scn *S)
{
    return scn_generated(S, "SyncManager (managers.py, Server)", mgr_text,
                         NELEM(mgr_text), OP_MSRV, mgr_line, MS__COUNT, 1,
                         &S->p->mgr_pc, &S->p->mgr_script);
}

/* The fork server and the resource tracker that `start forkserver`
 * starts: Lib/multiprocessing/forkserver.py's main() and
 * resource_tracker.py's main() (CPython 3.11), one FSRV instruction per
 * step on its line (fsrv.c) */
static const char *const fsrv_text[] = {
    "# The fork server (CPython 3.11, Lib/multiprocessing/forkserver.py), abridged",
    "# started once, by the first start(): util.spawnv_passfds() (vfork, closes)",
    "    execve(python3 -c 'from multiprocessing.forkserver import main; main(3, 5, ...)')",
    "def main(listener_fd, alive_r, preload, sys_path):",
    "    # preload is ['__main__'], but 3.11 never passes main_path: nothing is imported",
    "    sig_r, sig_w = os.pipe()                   # pipe2: SIGCHLD's wakeup fd",
    "    signal.signal(SIGCHLD, handler); signal.set_wakeup_fd(sig_w)",
    "    selector.register(listener); (alive_r); (sig_r)  # epoll_create1, epoll_ctl",
    "    while True:",
    "        rfds = selector.select()               # epoll_wait",
    "        if alive_r in rfds: raise SystemExit   # EOF: every client has exited",
    "        if sig_r in rfds:                      # SIGCHLD: its handler wrote to sig_w",
    "            os.read(sig_r, 65536)",
    "            pid, sts = os.waitpid(-1, os.WNOHANG)  # each child that has exited",
    "            write_signed(pid_to_fd.pop(pid), returncode); os.close(child_w)",
    "        if listener in rfds:                   # a Process.start() connected",
    "            s = listener.accept()[0]           # accept4",
    "            child_r, child_w, *fds = reduction.recvfds(s, 257)  # recvmsg, SCM_RIGHTS",
    "            s.close()",
    "            pid = os.fork()                    # the child: _serve_one(), spawn._main()",
    "            write_signed(child_w, pid)         # the pid, 8 bytes, to the client",
    "            os.close(child_r); os.close(fd) for fd in fds  # child_w is kept",
    "",
    "# The resource tracker (resource_tracker.py), started first, the same way:",
    "    execve(python3 -c 'from multiprocessing.resource_tracker import main;main(3)')",
    "    for line in open(fd, 'rb'):                # each start() writes PROBE:0:noop",
    "        cmd, name, rtype = line.split(b':')    # register/unregister names",
    "    sys.exit(0)                                # EOF: every holder has exited",
};
static const int fsrv_line[FS__COUNT] = {3, 6, 7, 8, 10, 11, 13, 14, 15, 17,
                                         18, 19, 20, 21, 22, 25, 26, 28};

static int scn_fsrv(struct scn *S)
{
    return scn_generated(S, "forkserver (forkserver.py, resource_tracker.py)",
                         fsrv_text, NELEM(fsrv_text), OP_FSRV, fsrv_line,
                         FS__COUNT, 0, &S->p->fsrv_pc, &S->p->fsrv_script);
}

static int scn_server(struct scn *S)
{
    struct scn_tok *name = scn_take(S), nt;
    char b[64], model[64] = "blocking";
    static const char *const keys[] = {"model", "port", "work", "reply",
                                       "buffer", "nofile"};
    struct server_cfg c;
    int brace, ln = S->ln, r, seen[6] = {0};
    server_cfg_default(&c);
    if (name->kind != T_IDENT)
        return scn_err(S, name->off, "expected a name: server NAME {, found "
                       "%s", scn_desc(S, name, b, sizeof b));
    for (int i = 0; i < S->p->ntasks; i++) /* checked here: the name */
        if ((int)strlen(S->p->tasks[i].name) == name->len /* is copied */
            && memcmp(S->p->tasks[i].name, name->s, (size_t)name->len) == 0)
            return scn_err(S, name->off, "'%.*s' is already declared on line "
                           "%d", name->len, name->s, S->p->tasks[i].line);
    nt = *name;
    char nbuf[128];
    snprintf(nbuf, sizeof nbuf, "%.*s", name->len, name->s);
    nt.s = nbuf; /* the token points into a line the next scn_next replaces */
    if (scn_open(S, &brace) < 0)
        return -1;
    while ((r = scn_next(S)) > 0 && S->tok[0].kind != T_RBRACE) {
        struct scn_tok *k = scn_take(S);
        int i = 0;
        while (i < 6 && !scn_word(k, keys[i]))
            i++;
        if (i == 6) {
            struct scn_near n = {k->s, k->len, NULL, 0};
            if (k->kind == T_IDENT) /* only a name has a nearest name */
                scn_near_list(&n, keys, 6);
            if (n.best)
                return scn_err(S, k->off, "unknown server setting '%.*s'; "
                               "did you mean '%s'?", k->len, k->s, n.best);
            return scn_err(S, k->off, "unknown server setting %s: expected "
                           "model, port, work, reply, buffer or nofile",
                           scn_desc(S, k, b, sizeof b));
        }
        if (seen[i])
            return scn_err(S, k->off, "'%s' given twice (first on line %d)",
                           keys[i], seen[i]);
        seen[i] = S->ln + 1;
        if (i == 0) {
            struct scn_tok *m = scn_take(S);
            char mb[64];
            snprintf(mb, sizeof mb, "%.*s", m->len < 60 ? m->len : 60,
                     m->kind == T_IDENT ? m->s : "");
            if (m->kind != T_IDENT || !server_model_known(mb))
                return scn_err(S, m->off, "unknown server model %s: expected "
                               "%s", scn_desc(S, m, b, sizeof b),
                               server_model_list());
            snprintf(model, sizeof model, "%s", mb);
            if (scn_expect_eol(S, "the model") < 0)
                return -1;
            continue;
        }
        static const int unit[] = {0, U_NONE, U_TIME, U_SIZE, U_SIZE, U_NONE};
        static const int64_t lo[] = {0, 1, 0, 0, 1, 4};
        static const int64_t hi[] = {0, 65535, INT64_MAX, 1L << 30, 1L << 30,
                                     TL_NOFILE_HARD};
        int64_t *dst[] = {NULL, &c.port, &c.work, &c.reply, &c.buffer,
                          &c.nofile};
        if (scn_mvalue(S, keys[i], unit[i], lo[i], hi[i], dst[i]) < 0)
            return -1;
    }
    if (scn_end_settings(S, r, ln, brace) < 0)
        return -1;
    if (S->model_override)
        snprintf(model, sizeof model, "%s", S->model_override);
    if (!S->server_model[0])
        snprintf(S->server_model, sizeof S->server_model, "%s", model);
    return scn_server_expand(S, &nt, model, &c);
}

/*
 * pool NAME {
 *     workers 2      tasks 2      work 20ms      call apply_async
 *     callback
 * }  (one setting per line): multiprocessing.Pool as pool-apply.scn and
 * pool-apply-async.scn write it out (pool.c), compiled as a `process NAME
 * python` whose lines are the generated text.  The captions count the
 * machine's CPUs: the machine block comes first.
 */
static int scn_pool(struct scn *S)
{
    struct scn_tok *name = scn_take(S), nt;
    char b[64];
    static const char *const keys[] = {"workers", "tasks", "work", "call",
                                       "callback"};
    enum { NKEYS = 5 };
    struct pool_cfg c;
    int brace, ln = S->ln, r, seen[NKEYS] = {0};
    pool_cfg_default(&c);
    c.cpus = S->p->ncpus;
    if (name->kind != T_IDENT)
        return scn_err(S, name->off, "expected a name: pool NAME {, found "
                       "%s", scn_desc(S, name, b, sizeof b));
    for (int i = 0; i < S->p->ntasks; i++)
        if ((int)strlen(S->p->tasks[i].name) == name->len &&
            memcmp(S->p->tasks[i].name, name->s, (size_t)name->len) == 0)
            return scn_err(S, name->off, "'%.*s' is already declared on line "
                           "%d", name->len, name->s, S->p->tasks[i].line);
    nt = *name;
    char nbuf[128];
    snprintf(nbuf, sizeof nbuf, "%.*s", name->len, name->s);
    nt.s = nbuf;
    if (scn_open(S, &brace) < 0)
        return -1;
    while ((r = scn_next(S)) > 0 && S->tok[0].kind != T_RBRACE) {
        struct scn_tok *k = scn_take(S);
        int i = 0;
        while (i < NKEYS && !scn_word(k, keys[i]))
            i++;
        if (i == NKEYS) {
            struct scn_near n = {k->s, k->len, NULL, 0};
            if (k->kind == T_IDENT)
                scn_near_list(&n, keys, NKEYS);
            if (n.best)
                return scn_err(S, k->off, "unknown pool setting '%.*s'; "
                               "did you mean '%s'?", k->len, k->s, n.best);
            return scn_err(S, k->off, "unknown pool setting %s: expected "
                           "workers, tasks, work, call or callback",
                           scn_desc(S, k, b, sizeof b));
        }
        if (seen[i])
            return scn_err(S, k->off, "'%s' given twice (first on line %d)",
                           keys[i], seen[i]);
        seen[i] = S->ln + 1;
        if (i == 3) { /* call apply | apply_async */
            struct scn_tok *m = scn_take(S);
            if (scn_word(m, "apply"))
                c.async = 0;
            else if (scn_word(m, "apply_async"))
                c.async = 1;
            else
                return scn_err(S, m->off, "unknown call %s: expected apply or "
                               "apply_async", scn_desc(S, m, b, sizeof b));
            if (scn_expect_eol(S, "the call") < 0)
                return -1;
            continue;
        }
        if (i == 4) {
            c.callback = 1;
            if (scn_expect_eol(S, "callback") < 0)
                return -1;
            continue;
        }
        static const int unit[] = {U_NONE, U_NONE, U_TIME};
        static const int64_t lo[] = {1, 1, 0}, hi[] = {32, 64, 60000000000LL};
        int64_t *dst[] = {&c.workers, &c.tasks, &c.work};
        if (scn_mvalue(S, keys[i], unit[i], lo[i], hi[i], dst[i]) < 0)
            return -1;
    }
    if (scn_end_settings(S, r, ln, brace) < 0)
        return -1;
    if (c.callback && !c.async)
        return scn_err_at(S, seen[4], 1, "apply() takes no callback (Pool.apply "
                          "has none): write call apply_async");
    S->npools++;
    char title[256];
    snprintf(title, sizeof title, "%.128s (Pool(%lld), %s)", nbuf,
             (long long)c.workers, c.async ? "apply_async" : "apply");
    return scn_expanded(S, &nt, pool_expand(nbuf, &c), title);
}

static int scn_decl(struct scn *S)
{
    struct scn_tok *kw = scn_take(S);
    if (scn_word(kw, "title"))
        return scn_label(S, kw, &S->p->title, &S->title_ln);
    if (scn_word(kw, "model"))
        return scn_label(S, kw, &S->p->model, &S->model_ln);
    if (scn_word(kw, "machine"))
        return scn_machine(S, kw);
    if (scn_word(kw, "caption"))
        return scn_caption(S);
    if (scn_word(kw, "process"))
        return scn_task(S, DECL_PROCESS);
    if (scn_word(kw, "peer"))
        return scn_task(S, DECL_PEER);
    if (scn_word(kw, "server"))
        return scn_server(S);
    if (scn_word(kw, "pool"))
        return scn_pool(S);
    return scn_unknown_decl(S, kw);
}

/*
 * gevent's hub loop (hub.h), once for the file, after its declarations:
 * one OP_HUB per step, each on its line of the generated script, and the
 * jump back.  Only the hub's greenlet runs it (hub.c).
 */
static int scn_hub(struct scn *S)
{
    struct prog *p = S->p;
    struct prog_script *sc = scn_grow(p->scripts, &p->scriptcap,
                                      p->nscripts + 1, sizeof *sc);
    if (!sc)
        return scn_err_at(S, 1, 1, "out of memory");
    p->scripts = sc;
    sc += p->nscripts;
    memset(sc, 0, sizeof *sc);
    p->hub_script = p->nscripts++;
    int n = 0;
    while (hub_script_lines[n])
        n++;
    sc->title = strdup("gevent's hub (libev's loop)");
    sc->lines = calloc((size_t)n, sizeof *sc->lines);
    if (!sc->title || !sc->lines)
        return scn_err_at(S, 1, 1, "out of memory");
    for (int i = 0; i < n; i++, sc->nlines++)
        if (!(sc->lines[i] = strdup(hub_script_lines[i])))
            return scn_err_at(S, 1, 1, "out of memory");
    if (p->ncode + HUB__STEPS + 2 > PROG_MAX_CODE)
        return scn_err_at(S, 1, 1, "too many instructions: the limit is %d",
                          PROG_MAX_CODE);
    p->hub_pc = p->ncode;
    /* the steps, the jump back, and an EXIT that is never reached: every
     * task's code ends in one */
    for (int k = 0; k <= HUB__STEPS + 1; k++) {
        struct prog_ins *in = scn_grow(p->code, &p->codecap, p->ncode + 1,
                                       sizeof *in);
        if (!in)
            return scn_err_at(S, 1, 1, "out of memory");
        p->code = in;
        in += p->ncode++;
        memset(in, 0, sizeof *in);
        in->op = k < HUB__STEPS ? OP_HUB : k == HUB__STEPS ? OP_JMP : OP_EXIT;
        in->flags = (uint16_t)k;
        in->line = k < HUB__STEPS ? hub_step_line(k) : hub_loop_end_line();
        in->col = 5;
        in->dst = in->dst2 = -1;
        in->jump = k == HUB__STEPS ? p->hub_pc : -1;
        in->list = -1;
    }
    return 0;
}

static int scn_top(struct scn *S)
{
    int r;
    S->ln = -1;
    S->task = -1;
    while ((r = scn_next(S)) > 0)
        if (scn_decl(S) < 0)
            return -1;
    if (r < 0)
        return -1;
    if (S->p->ntasks == 0)
        return scn_err_at(S, 1, 1, "no process or peer declared");
    for (int i = 0; i < S->p->nhandlers; i++) { /* named, never defined */
        const struct prog_handler *h = &S->p->handlers[i];
        if (h->entry < 0)
            return scn_err_at(S, h->line, h->col, "unknown handler '%s': "
                              "define it in %s with handler %s { ... }",
                              h->name, S->p->tasks[h->decl].name, h->name);
    }
    if (S->need_feeder && scn_feeder(S) < 0)
        return -1;
    if (S->p->hub_pc == -2 && scn_hub(S) < 0) /* a monkey_patch was seen */
        return -1;
    if (S->need_manager && scn_manager(S) < 0)
        return -1;
    if (S->need_fsrv && scn_fsrv(S) < 0)
        return -1;
    if (S->model_override && !S->p->nservers)
        return scn_err_at(S, 1, 1, "--model %s needs a server declaration "
                          "(server NAME { model M ... }); this file has none",
                          S->model_override);
    if (!S->p->model && S->npools && !S->server_model[0] &&
        !(S->p->model = strdup("multiprocessing"))) /* the pool's label */
        return scn_err_at(S, 1, 1, "out of memory");
    if (S->model_override || (!S->p->model && S->server_model[0])) {
        free(S->p->model); /* the label follows the servers' model */
        S->p->model = strdup(S->model_override ? S->model_override
                                               : S->server_model);
        if (!S->p->model)
            return scn_err_at(S, 1, 1, "out of memory");
    }
    if (!S->p->title && !(S->p->title = strdup(S->p->path)))
        return scn_err_at(S, 1, 1, "out of memory");
    return 0;
}

static struct prog *scn_prog_new(const char *path)
{
    struct prog *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (!(p->path = strdup(path))) {
        free(p);
        return NULL;
    }
    p->kind_click = p->kind_key = -1; /* interned when needed */
    cost_defaults(&p->cost);
    p->ncpus = 1;
    /* in payload bytes: the window a TCP receiver starts with (half of
       tcp_rmem[1], TCP_DEFAULT_SCALING_RATIO), the send buffer once the
       handshake is done (net.c: NET_TCP_SNDBUF), a pipe's 16 pages */
    p->rcvbuf = p->pipebuf = 64 * 1024;
    p->sndbuf = 45 * 1024;
    p->latency = 50 * 1000;
    p->slice = 0; /* from cpus, as the kernel scales base_slice_ns */
    p->hz = 250;
    p->limit = 60LL * 1000 * 1000 * 1000;
    p->max_events = 5000000;
    p->max_steps = SIM_STEPS_DEFAULT;
    p->max_mem = SIM_MEM_DEFAULT;
    p->backlog = 128;
    p->nofile = 1024; /* systemd's DefaultLimitNOFILE=1024:524288 */
    p->fortify = 2;   /* -O2 -D_FORTIFY_SOURCE=2, as distributions build */
    p->feeder_pc = p->feeder_script = -1;
    p->mgr_pc = p->mgr_script = -1;
    p->fsrv_pc = p->fsrv_script = -1;
    p->hub_pc = p->hub_script = -1;
    return p;
}

struct prog *scn_parse(const char *path, const char *text, size_t len,
                       char *err, size_t errlen)
{
    return scn_parse_model(path, text, len, NULL, err, errlen);
}

struct prog *scn_parse_model(const char *path, const char *text, size_t len,
                             const char *model, char *err, size_t errlen)
{
    struct scn S = {0};
    if (model && !server_model_known(model)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: error: unknown model '%s': known "
                     "models are %s", path ? path : "-", model,
                     server_model_list());
        return NULL;
    }
    S.model_override = model;
    if (!path)
        path = "-";
    if (err && errlen)
        err[0] = 0;
    S.err = err;
    S.errlen = errlen;
    S.p = scn_prog_new(path);
    S.tok = malloc((PROG_MAX_LINE + 2) * sizeof *S.tok);
    S.scratch = malloc(PROG_MAX_LINE + 2);
    int ok = S.p && S.tok && S.scratch;
    if (!ok && err && errlen)
        snprintf(err, errlen, "%s: error: out of memory", path);
    ok = ok && scn_split(&S, text ? text : "", text ? len : 0) == 0
         && scn_top(&S) == 0;
    free(S.tok);
    free(S.scratch);
    free(S.vh);
    if (!ok) {
        prog_free(S.p);
        return NULL;
    }
    return S.p;
}

/* Read at most PROG_MAX_FILE + 1 bytes: enough to know it is too large;
 * the nhead bytes of head were read already */
static char *scn_read(int fd, const char *head, size_t nhead, size_t *len)
{
    size_t cap = 64 * 1024, n = nhead;
    char *buf = malloc(cap);
    if (buf)
        memcpy(buf, head, nhead);
    while (buf) {
        if (n == cap) {
            if (cap > (size_t)PROG_MAX_FILE)
                break;
            cap = cap * 2 > (size_t)PROG_MAX_FILE + 1 ? (size_t)PROG_MAX_FILE
                + 1 : cap * 2;
            char *q = realloc(buf, cap);
            if (!q) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = q;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

static struct prog *scn_load_text(const char *path, char *text, size_t len,
                                  const char *model, char *err, size_t errlen);

struct prog *scn_load(const char *path, char *err, size_t errlen)
{
    return scn_load_model(path, NULL, err, errlen);
}

struct prog *scn_load_model(const char *path, const char *model, char *err,
                            size_t errlen)
{
    char dummy[1];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (strlen(path) > 200) /* the reason must survive the message */
            snprintf(err, errlen, "%.80s...%s: error: cannot open: %s", path,
                     path + strlen(path) - 80, strerror(e));
        else
            snprintf(err, errlen, "%s: error: cannot open: %s", path,
                     strerror(e));
        return NULL;
    }
    struct stat st;
    const char *bad = NULL;
    char head[1];
    ssize_t nhead = 0;
    if (fstat(fd, &st) != 0)
        bad = "cannot read it";
    else if (S_ISDIR(st.st_mode))
        bad = "is a directory";
    else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        bad = "is a device, not a scenario file";
    else if (S_ISSOCK(st.st_mode))
        bad = "is a socket, not a scenario file";
    else if (S_ISREG(st.st_mode) && st.st_size > PROG_MAX_FILE) {
        close(fd);
        snprintf(err, errlen, "%s:1:1: error: file too large: %lld bytes, the "
                 "limit is %ld", path, (long long)st.st_size, PROG_MAX_FILE);
        return NULL;
    } else if (S_ISFIFO(st.st_mode)) {
        /* a pipe with a writer (a shell's <(...)) is read to its end; one
         * that no process writes to would never give a byte: a read that
         * does not block tells them apart (0: no writer; EAGAIN: a writer
         * that has not written yet) */
        nhead = read(fd, head, sizeof head);
        if (nhead == 0)
            bad = "is a FIFO that no process writes to";
        else if (nhead < 0 && errno != EAGAIN && errno != EINTR)
            bad = "cannot read it";
        if (nhead < 0)
            nhead = 0;
    }
    int fl = bad ? -1 : fcntl(fd, F_GETFL); /* from now on, reads wait */
    if (!bad && (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
        bad = "cannot read it";
    if (bad) {
        close(fd);
        snprintf(err, errlen, "%s: error: %s", path, bad);
        return NULL;
    }
    size_t len = 0;
    char *text = scn_read(fd, head, (size_t)nhead, &len);
    int e = errno;
    close(fd);
    if (!text) {
        snprintf(err, errlen, "%s: error: cannot read: %s", path,
                 strerror(e));
        return NULL;
    }
    return scn_load_text(path, text, len, model, err, errlen);
}

/* Parse text read from path (and free it); a pipe's text past the limit
 * is only known to be larger */
static struct prog *scn_load_text(const char *path, char *text, size_t len,
                                  const char *model, char *err, size_t errlen)
{
    if (len > (size_t)PROG_MAX_FILE) {
        free(text);
        snprintf(err, errlen, "%s:1:1: error: file too large: more than the "
                 "limit of %ld bytes", path, PROG_MAX_FILE);
        return NULL;
    }
    struct prog *p = scn_parse_model(path, text, len, model, err, errlen);
    free(text);
    return p;
}
