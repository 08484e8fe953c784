/*
 * viewer.c - opening a viewer over a timeline: the cursor and the
 * summaries computed once (lanes, captions, task order).
 */
#include "ui/viewer.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/view.h"

#define CAP_RUN 16

/* Tasks in display order: each task followed by its children (threads,
   coroutines, forked processes), depth first, without recursion. */
static int build_order(struct viewer *v)
{
    const struct tl *tl = v->tl;
    int n = tl->ntasks;
    int *first = malloc(((size_t)n + 1) * sizeof *first);
    int *next = malloc(((size_t)n + 1) * sizeof *next);
    int *stack = malloc(((size_t)n + 1) * sizeof *stack);
    v->order = malloc(((size_t)n + 1) * sizeof *v->order);
    v->depth = malloc(((size_t)n + 1) * sizeof *v->depth);
    v->order_ix = malloc(((size_t)n + 1) * sizeof *v->order_ix);
    if (!first || !next || !stack || !v->order || !v->depth || !v->order_ix) {
        free(first), free(next), free(stack);
        return -ENOMEM;
    }
    /* first[p + 1]: first child of p (p = -1: the roots), in index order */
    for (int i = 0; i <= n; i++)
        first[i] = -1;
    for (int i = n - 1; i >= 0; i--) {
        int p = tl->tasks[i].parent;
        if (p < -1 || p >= n || p == i)
            p = -1;
        next[i] = first[p + 1];
        first[p + 1] = i;
    }
    int k = 0, sp = 0;
    char *seen = calloc((size_t)n + 1, 1);
    if (!seen) {
        free(first), free(next), free(stack);
        return -ENOMEM;
    }
    /* the machine's tasks first, then the peers (clients on other hosts) */
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            v->first_peer = k;
        for (int r = first[0]; r >= 0; r = next[r]) {
            if ((tl->tasks[r].kind == TK_PEER) != pass)
                continue;
            stack[sp++] = r;
            while (sp > 0) {
                int t = stack[--sp];
                if (seen[t])
                    continue;
                seen[t] = 1;
                int d = 0;
                for (int p = tl->tasks[t].parent; p >= 0 && p < n && d < 8;
                     p = tl->tasks[p].parent)
                    d++;
                v->order[k] = t;
                v->depth[k++] = d;
                /* push children in reverse so the first pops first */
                int m = 0;
                for (int c = first[t + 1]; c >= 0; c = next[c])
                    m++;
                int base = sp;
                sp += m;
                for (int c = first[t + 1], j = 0; c >= 0; c = next[c], j++)
                    stack[base + m - 1 - j] = c;
            }
        }
    }
    v->npeers = k - v->first_peer;
    /* tasks in a parent cycle: append them */
    for (int i = 0; i < n; i++)
        if (!seen[i]) {
            v->order[k] = i;
            v->depth[k++] = 0;
        }
    for (int i = 0; i < n; i++)
        v->order_ix[v->order[i]] = i;
    free(seen), free(first), free(next), free(stack);
    return 0;
}

/*
 * The step rule: where Space stops for the caption at event c, so that what
 * the caption narrates is on screen (docs/scenario-language.md, "Captions
 * and steps", says it for authors).
 *
 * A caption said by a task narrates what that task does next, when the
 * statement after the `say` (loop heads looked through, a fork, thread,
 * start ... with its block is a statement: next_statement) acts at the
 * same instant (a system call, a change to one of its queues:
 * watch, an SQE; a lock, a load or store, a yield): the step takes in
 * that statement (its events, by their script line) up to its outcome,
 * the first of
 *   - the task blocks in it (the step shows it asleep, and why);
 *   - the call returns, with what the kernel did at that instant (the new
 *     fd in the table, a listening socket); for a call that copied bytes
 *     into a socket or a pipe (or closed one), on until those bytes (or
 *     the end of file) land at the receiver (and what the kernel does at
 *     once: the ready list, a SIGIO);
 *   - a statement without a call is done: its events end, or one of them
 *     comes again (a loop ran it again), or the task switched in user
 *     space (a coroutine's yield: the states that change then).
 * Otherwise (the task computes next, or the caption has no task: a timed
 * caption) the caption narrates the present and the step stops right
 * after it.  A step never reaches the next caption, and looks at most
 * STOP_SCAN events ahead.
 */
#define STOP_SCAN 100000L

static int same_instant_aftermath(const struct tl_ev *e, int task)
{
    if (e->task != task && e->task != TL_NOTASK)
        return 0;
    switch (e->type) {
    case EV_FD_OPEN:
    case EV_FD_CLOSE:
    case EV_FLAGS:
    case EV_OBJ_NEW:
    case EV_OBJ_SET:
    case EV_OBJ_FREE:
    case EV_COPY:
    case EV_QUEUE:
    case EV_ARGCOPY:
    case EV_SCAN:
        return 1;
    case EV_DATA:
        return e->task == TL_NOTASK;
    default:
        return 0;
    }
}

/* Does the statement x, which opens a block, make a task or a handler
   ("pid = fork worker {", "a = thread {", "w = start spawn kid {",
   "h = coroutine conn {", "sigaction SIGIO {")?  Its call (clone, clone3,
   rt_sigaction) is the statement; the block is another task's code, or
   runs later.  2 for multiprocessing's start, a statement of several
   calls (pipe2, pipe2, clone or vfork, a write of the task ...) */
static int makes_task(const char *x)
{
    static const char *const ops[] = {"start", "fork", "thread", "coroutine",
                                      "generator", "sigaction"};
    const char *eq = strchr(x, '=');
    if (eq && eq[1] != '=')
        for (x = eq + 1; *x == ' ' || *x == '\t'; x++)
            ;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t k = strlen(ops[i]);
        if (!strncmp(x, ops[i], k) && (x[k] == ' ' || x[k] == '\t' || x[k] == '{'))
            return i == 0 ? 2 : 1;
    }
    return 0;
}

/* makes_task of line of task t's script, 0 if it has none */
static int line_makes_task(const struct tl *tl, int t, int line)
{
    int sc = tl->tasks[t].script;
    if (sc < 0 || sc >= tl->nscripts || line <= 0 ||
        line > tl->scripts[sc].nlines)
        return 0;
    const char *x = tl->scripts[sc].lines[line - 1];
    while (*x == ' ' || *x == '\t')
        x++;
    size_t n = strlen(x);
    while (n > 0 && (x[n - 1] == ' ' || x[n - 1] == '\t' || x[n - 1] == '\r'))
        n--;
    return n > 0 && x[n - 1] == '{' ? makes_task(x) : 0;
}

/* Does line of task t's script make a multiprocessing object whose
   constructor is several calls (a SemLock's sem_open: openat, write, mmap,
   link, unlink, close; a Queue's pipe and three of them)?  Like a start,
   they are one statement, whatever their number and instants */
static int line_constructs(const struct tl *tl, int t, int line)
{
    static const char *const ops[] = {"mp_queue", "mp_lock"};
    int sc = tl->tasks[t].script;
    if (sc < 0 || sc >= tl->nscripts || line <= 0 ||
        line > tl->scripts[sc].nlines)
        return 0;
    const char *x = strchr(tl->scripts[sc].lines[line - 1], '=');
    if (!x || x[1] == '=')
        return 0;
    for (x++; *x == ' ' || *x == '\t'; x++)
        ;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t k = strlen(ops[i]);
        if (!strncmp(x, ops[i], k) &&
            (x[k] == ' ' || x[k] == '\t' || x[k] == 0 || x[k] == '\r'))
            return 1;
    }
    return 0;
}

/* The line of the statement after the caption's line in task t's script:
   blank lines, comments and loop heads ("loop {", "repeat N {") are looked
   through, and a statement that makes a task with a block (makes_task) is
   a statement; anything else that is not a statement (a block's end, an
   if, a for) gives -1: what follows depends on the program's data */
static int next_statement(const struct tl *tl, int t, int line)
{
    int sc = tl->tasks[t].script;
    if (sc < 0 || sc >= tl->nscripts || line <= 0)
        return -1;
    const struct tl_script *s = &tl->scripts[sc];
    if (line <= s->nlines) {
        /* a caption the engine wrote (select's abort, a deadlock) while
           the task runs a statement: that statement goes on */
        const char *x = s->lines[line - 1];
        while (*x == ' ' || *x == '\t')
            x++;
        if (strncmp(x, "say", 3) || (x[3] != ' ' && x[3] != '\t'))
            return line;
    }
    for (int l = line + 1; l <= s->nlines; l++) {
        const char *x = s->lines[l - 1];
        while (*x == ' ' || *x == '\t')
            x++;
        size_t n = strlen(x);
        while (n > 0 && (x[n - 1] == ' ' || x[n - 1] == '\t' || x[n - 1] == '\r'))
            n--;
        if (n == 0 || x[0] == '#')
            continue;
        if (x[n - 1] == '{' && (!strncmp(x, "loop", 4) || !strncmp(x, "repeat ", 7)))
            continue;
        if (x[n - 1] == '{' && makes_task(x))
            return l; /* the call that makes the task runs at once */
        if (x[n - 1] == '{' || x[0] == '}' || !strncmp(x, "if ", 3) ||
            !strncmp(x, "for ", 4) || !strncmp(x, "while ", 6) ||
            !strncmp(x, "else", 4))
            return -1;
        return l;
    }
    return -1;
}

/* A signal the kernel raises as bytes land (O_ASYNC's SIGIO), and its
   place in the target's pending set */
static int raised(const struct tl *tl, const struct tl_ev *e)
{
    if (e->type == EV_SIGNAL)
        return e->sub == 0 || e->sub == 2;
    return e->type == EV_QUEUE && e->obj >= 0 && e->obj < tl->nqueues &&
           tl->queues[e->obj].kind == TQK_SIGNALS && e->sub == TQ_PUSH;
}

static long step_stop(const struct viewer *v, long c, long limit)
{
    const struct tl *tl = v->tl;
    const struct tl_ev *ce = &tl->ev[c];
    int t = ce->task;
    if (t >= tl->ntasks) /* a timed caption: the present */
        return c + 1;
    if (limit > c + STOP_SCAN)
        limit = c + STOP_SCAN;
    long i = c + 1;
    /* the task's next event: made by the statement after the caption's
       line, at the same instant */
    for (; i < limit && tl->ev[i].task != t; i++)
        ;
    if (i >= limit)
        return c + 1;
    const struct tl_ev *f = &tl->ev[i];
    int line = ce->line > 0 ? next_statement(tl, t, ce->line) : f->line;
    /* a switch in user space (yield) at once is the next statement's,
       whatever line the task is on when it is recorded */
    if (f->t == ce->t && f->type == EV_STATE && line > 0)
        line = f->line;
    if ((f->t != ce->t || f->line != line) && line > 0 &&
        line_makes_task(tl, t, line)) {
        /* a coroutine made with no event of t's own (gevent.spawn): the
           new task at that instant is the statement's outcome */
        long j = c + 1;
        int made = -1;
        for (; j < limit && tl->ev[j].t == ce->t && tl->ev[j].task != t; j++) {
            const struct tl_ev *g = &tl->ev[j];
            if (g->type == EV_TASK_NEW && g->task < tl->ntasks &&
                tl->tasks[g->task].parent == t)
                made = g->task;
            else if (g->task != made)
                break;
        }
        if (made >= 0)
            return j;
    }
    if (f->t != ce->t || f->line != line || f->type == EV_CAPTION)
        return c + 1;
    /* that statement's events, up to its outcome; a start's calls are
       one statement, whatever their number and instants, and so are a
       SemLock's or a Queue's */
    int several = line_makes_task(tl, t, line) == 2 ||
                  line_constructs(tl, t, line);
    long last = i;
    int in_sys = 0, nseen = 0;
    unsigned seen[16]; /* (type, sub) of its events: one again means a loop
                          ran the statement again */
    for (; i < limit; i++) {
        f = &tl->ev[i];
        if (f->task != t)
            continue;
        if (f->line != line && !in_sys)
            break; /* the statement is over */
        unsigned key = (unsigned)f->type << 8 | f->sub;
        if (f->type == EV_QUEUE) /* a change to another queue is not
                                    the statement run again (the GIL's
                                    holder, then its waiters) */
            key |= (unsigned)f->obj << 16;
        int again = 0;
        /* (a death closes every fd: one outcome, not a loop) */
        for (int k = 0; k < nseen && f->type != EV_FD_CLOSE && !several; k++)
            again |= seen[k] == key;
        if (again && !in_sys)
            break;
        if (nseen < 16)
            seen[nseen++] = key;
        last = i;
        if (f->type == EV_SYS_ENTER) {
            in_sys = 1;
        } else if (f->type == EV_STATE &&
                   (f->sub == TS_BLOCKED || f->sub == TS_EXITED)) {
            /* an exit's children are orphans at that instant: init
               adopts them (the kernel's forget_original_parent) */
            long j = i + 1;
            while (f->sub == TS_EXITED && j < limit && tl->ev[j].t == f->t &&
                   tl->ev[j].type == EV_REPARENT)
                j++;
            return j;
        } else if (f->type == EV_STATE && !in_sys) {
            break; /* a switch in user space: a coroutine's yield */
        } else if (f->type == EV_SYSCALL) {
            in_sys = 0;
            /* a statement of several calls (fcntl F_GETFL then F_SETFL;
               glibc's abort: writev, ..., tgkill, then the death) goes on
               at once with the next */
            long j = i + 1;
            while (j < limit && tl->ev[j].task != t)
                j++;
            if (j < limit && tl->ev[j].line == line &&
                (tl->ev[j].t == f->t || several) &&
                !(tl->ev[j].type == EV_STATE && tl->ev[j].sub == TS_READY))
                continue; /* (a call made again is a loop: `seen` ends it) */
            break;
        }
    }
    if (i >= limit)
        return limit;
    if (tl->ev[last].type != EV_SYSCALL) {
        /* no call (watch, prep, a yield, an atomic operation): its events
           and the state changes at that instant */
        long j = last + 1;
        while (j < limit && tl->ev[j].t == tl->ev[last].t &&
               (tl->ev[j].type == EV_STATE || tl->ev[j].task == TL_NOTASK))
            j++;
        return j;
    }
    i = last;
    int sent_to = -1; /* the object whose receiver the call sent bytes to */
    /* the call returned at event i: what the kernel did at that instant */
    int64_t at = tl->ev[i].t;
    long end = i + 1;
    while (end < limit && tl->ev[end].t == at &&
           same_instant_aftermath(&tl->ev[end], t)) {
        f = &tl->ev[end];
        if (f->type == EV_COPY && f->sub == TC_TO_KERNEL && f->task == t &&
            f->obj >= 0 && f->obj < tl->nobjs)
            sent_to = f->obj;
        end++;
    }
    /* a close: on until the other end sees the end of file (not bytes
       sent before it, which may still be landing) */
    int closed = 0;
    for (long j = i - 1; j > c && sent_to < 0 && tl->ev[i].sub == SYS_CLOSE; j--) {
        f = &tl->ev[j];
        if (f->task == t && f->type == EV_FD_CLOSE && f->obj >= 0 &&
            f->obj < tl->nobjs && tl->objs[f->obj].peer >= 0)
            sent_to = f->obj, closed = 1;
        if (f->task == t && f->type == EV_SYS_ENTER)
            break;
    }
    /* the copy may also come just before the return */
    for (long j = i - 1; j > c && sent_to < 0; j--) {
        f = &tl->ev[j];
        if (f->task == t && f->type == EV_SYS_ENTER)
            break;
        if (f->task == t && f->type == EV_COPY && f->sub == TC_TO_KERNEL &&
            f->obj >= 0 && f->obj < tl->nobjs)
            sent_to = f->obj;
    }
    /* bytes written into a pipe land in its read end's buffer at once */
    if (sent_to < 0 || tl->objs[sent_to].kind == OK_PIPE_R)
        return end;
    /* the bytes landing at the other end: the receive buffer of the peer
       (a socket's other end, a pipe's read end) */
    int peer = tl->objs[sent_to].peer;
    for (long j = end; j < limit; j++) {
        f = &tl->ev[j];
        if (!(f->type == EV_DATA && f->a > 0 && !closed) && f->type != EV_EOF)
            continue;
        if (f->obj != peer && f->obj != sent_to)
            continue;
        long k = j + 1;
        while (k < limit && tl->ev[k].t == f->t &&
               (tl->ev[k].task == TL_NOTASK || raised(tl, &tl->ev[k])))
            k++;
        return k;
    }
    return end;
}

static int is_call(const struct tl_ev *e)
{
    return e->type == EV_SYS_ENTER || e->type == EV_SYSCALL ||
           e->type == EV_SIGNAL || e->type == EV_QUEUE;
}

/* v->calls and v->call_off, by counting: two passes over the events */
/* A task's state changes, for its lane */
static int is_lane(const struct tl_ev *e)
{
    return e->type == EV_TASK_NEW || e->type == EV_STATE;
}

/* An index of each task's events that `pick` takes, oldest first: task
 * t's are (*ev)[(*off)[t]] up to (*ev)[(*off)[t + 1]], 4 bytes each, one
 * block sized exactly (counted in a first pass) */
static int index_build(const struct tl *tl, int (*pick)(const struct tl_ev *),
                       uint32_t **off, uint32_t **ev)
{
    if (tl->nev > UINT32_MAX)
        return -EOVERFLOW;
    uint32_t *o = calloc((size_t)tl->ntasks + 2, sizeof *o);
    if (!o)
        return -ENOMEM;
    *off = o;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task < tl->ntasks && pick(e))
            o[e->task + 2]++;
    }
    for (int t = 0; t < tl->ntasks; t++)
        o[t + 2] += o[t + 1];
    /* o[t + 1] is now where t's events go, and ends where t + 1's begin
       once they are placed */
    uint32_t *x = malloc(((size_t)o[tl->ntasks + 1] + 1) * sizeof *x);
    if (!x)
        return -ENOMEM;
    *ev = x;
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->task < tl->ntasks && pick(e))
            x[o[e->task + 1]++] = (uint32_t)i;
    }
    return 0;
}

long viewer_call_at(const struct viewer *v, int t, long idx)
{
    long lo = v->call_off[t], hi = v->call_off[t + 1];
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if ((long)v->calls[mid] < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long viewer_lane_at(const struct viewer *v, int t, long idx)
{
    struct lane lane = viewer_lane(v, t), *l = &lane;
    long lo = 0, hi = l->n;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (l->s[mid] < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Does a caption point at a queue by its name in quotes ("(queue 'GIL
   holder (worker)')")?  Then the lesson is taught with the Queues panel */
static int captions_name_queue(const struct viewer *v)
{
    const struct tl *tl = v->tl;
    for (int c = 0; c < v->ncapstr; c++) {
        const char *s = tl->strs[v->capstr[c]];
        for (const char *p = s ? strchr(s, '\'') : NULL; p; p = strchr(p + 1, '\''))
            for (int q = 0; q < tl->nqueues && q < 4096; q++) {
                const char *n = tl->queues[q].name;
                size_t k = n ? strlen(n) : 0;
                if (k && !strncmp(p + 1, n, k) && p[k + 1] == '\'')
                    return 1;
            }
    }
    return 0;
}

/*
 * Are the peers a crowd: three or more that are alike, the same script
 * (`peer client count 3`, or client1, client2 and client3 written out
 * with one body), none of them a character of the lesson?  A character
 * has captions of its own (a `say` in its body) or is named by one
 * ("alice sends 100 bytes").  What the peers are, not their names, so a
 * crowd of hand-named peers folds like a counted one.  Found once, at
 * open, from the timeline's events and the script's text.
 */

/* Does text name `name` as a word (not inside "client12")? */
static int names_word(const char *text, const char *name)
{
    size_t n = strlen(name);
    if (!n)
        return 0;
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        int before = p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
        int after = isalnum((unsigned char)p[n]) || p[n] == '_';
        if (!before && !after)
            return 1;
    }
    return 0;
}

/* The body of the declaration around line ln (1-based) of script sc: the
   nearest line above it that opens a `peer`, to the brace that closes
   it; its lines without their indentation, hashed (FNV-1a) into *hash.
   *says: a `say` or `caption` in it.  Returns the header's line, or 0 */
static int peer_body(const struct tl_script *sc, int ln, uint64_t *hash,
                     int *says)
{
    int h = ln;
    while (h >= 1 && strncmp(sc->lines[h - 1], "peer ", 5))
        h--;
    if (h < 1)
        return 0;
    uint64_t x = 14695981039346656037ull;
    int depth = 0, opened = 0;
    *says = 0;
    for (int l = h; l <= sc->nlines; l++) {
        const char *t = sc->lines[l - 1];
        while (*t == ' ' || *t == '\t')
            t++;
        if (l > h) {
            if (!strncmp(t, "say", 3) && (t[3] == ' ' || t[3] == '\t'))
                *says = 1;
            for (const char *c = t; *c; c++)
                x = (x ^ (unsigned char)*c) * 1099511628211ull;
            x = (x ^ '\n') * 1099511628211ull;
        }
        int quoted = 0;
        for (const char *c = t; *c && !(*c == '#' && !quoted); c++) {
            if (*c == '"')
                quoted = !quoted;
            else if (!quoted && *c == '{')
                depth++, opened = 1;
            else if (!quoted && *c == '}')
                depth--;
        }
        if (opened && depth <= 0)
            break;
    }
    *hash = x;
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int find_crowd(const struct viewer *v)
{
    const struct tl *tl = v->tl;
    int np = v->npeers;
    if (np < 3)
        return 0;
    int *line = calloc((size_t)tl->ntasks + 1, sizeof *line);
    uint64_t *hash = calloc((size_t)np + 1, sizeof *hash); /* of the alike */
    int crowd = 0, nalike = 0;
    if (!line || !hash)
        goto out;
    /* each peer's first script line */
    int left = np;
    for (size_t i = 0; i < tl->nev && left > 0; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->line && e->task < tl->ntasks && !line[e->task] &&
            tl->tasks[e->task].kind == TK_PEER) {
            line[e->task] = (int)e->line;
            left--;
        }
    }
    int lsc = -2, lln = -1, lhead = 0, lsays = 0; /* the last body found */
    uint64_t lhash = 0;
    for (int i = 0; i < np; i++) {
        int t = v->order[v->first_peer + i], sc = tl->tasks[t].script;
        if (sc < 0 || sc >= tl->nscripts || line[t] < 1 ||
            line[t] > tl->scripts[sc].nlines)
            continue;
        if (sc != lsc || line[t] != lln) { /* 10,000 peers share a few */
            lsc = sc, lln = line[t];
            lhead = peer_body(&tl->scripts[sc], line[t], &lhash, &lsays);
        }
        if (!lhead || lsays)
            continue;
        int named = 0;
        for (int c = 0; c < v->ncapstr && !named; c++) {
            const char *txt = tl->strs[v->capstr[c]];
            named = txt && names_word(txt, tl->tasks[t].name);
        }
        if (!named)
            hash[nalike++] = lhash;
    }
    qsort(hash, (size_t)nalike, sizeof *hash, cmp_u64);
    for (int i = 0; i + 2 < nalike && !crowd; i++)
        crowd = hash[i] == hash[i + 2];
out:
    free(line), free(hash);
    return crowd;
}

int viewer_open(struct viewer *v, const struct tl *tl)
{
    memset(v, 0, sizeof *v);
    v->tl = tl;
    v->sel_task = tl->ntasks > 0 ? 0 : -1;
    v->sel_fd = -1;
    v->sel_queue = -1; /* none until the user moves to the Queues panel:
                          a selection keeps its queue on screen */
    v->focus = V_TASKS;
    v->speed = 1;
    int rc = -ENOMEM;
    long ncaps = 0;
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == EV_CAPTION)
            ncaps++;
    v->caps = malloc((size_t)(ncaps + 1) * sizeof *v->caps);
    v->stops = malloc((size_t)(ncaps + 1) * sizeof *v->stops);
    v->chg_task = calloc((size_t)tl->ntasks + 1, sizeof *v->chg_task);
    v->chg_obj = calloc((size_t)tl->nobjs + 1, sizeof *v->chg_obj);
    v->chg_queue = calloc((size_t)tl->nqueues + 1, sizeof *v->chg_queue);
    if (!v->caps || !v->stops || !v->chg_task || !v->chg_obj || !v->chg_queue)
        goto err;
    /* the steps: every caption, except that a sentence repeated in a run
       longer than CAP_RUN (a server template's loop saying it 10,000 times)
       is one step, its first */
    long run_start = -1, run_len = 0;
    const char *last_cap = NULL;
    for (size_t i = 0; i <= tl->nev; i++) {
        const struct tl_ev *e = i < tl->nev ? &tl->ev[i] : NULL;
        if (e && e->type != EV_CAPTION)
            continue;
        const char *c = !e ? NULL
                        : e->a >= 0 && e->a < tl->nstrs && tl->strs[e->a]
                            ? tl->strs[e->a] : "";
        if (c && last_cap && !strcmp(c, last_cap)) {
            run_len++;
            continue;
        }
        /* a run ends: its captions are steps, or its first only */
        for (long j = run_start, k = 0; run_start >= 0 && k < run_len; j++) {
            if (tl->ev[j].type != EV_CAPTION)
                continue;
            if (k == 0 || run_len <= CAP_RUN)
                v->caps[v->ncaps++] = j;
            k++;
        }
        run_start = (long)i;
        run_len = 1;
        last_cap = c;
    }
    for (long k = 0; k < v->ncaps; k++)
        v->stops[k] = step_stop(v, v->caps[k],
                                k + 1 < v->ncaps ? v->caps[k + 1] : (long)tl->nev);
    if (index_build(tl, is_lane, &v->lane_off, &v->lane_ev) ||
        index_build(tl, is_call, &v->call_off, &v->calls))
        goto err;
    v->t_end = tl->nev ? tl->ev[tl->nev - 1].t : 0;
    /* what keeps the layout still: distinct captions, input, fd counts */
    v->capstr = malloc((size_t)(ncaps + 1) * sizeof *v->capstr);
    v->has_input = calloc((size_t)tl->ntasks + 1, 1);
    v->max_fds = calloc((size_t)tl->ntasks + 1, sizeof *v->max_fds);
    int *open_fds = calloc((size_t)tl->ntasks + 1, sizeof *open_fds);
    uint8_t *seen_str = calloc((size_t)tl->nstrs + 1, 1);
    if (!v->capstr || !v->has_input || !v->max_fds || !open_fds || !seen_str) {
        free(open_fds);
        free(seen_str);
        goto err;
    }
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        if (e->type == EV_CAPTION && e->a >= 0 && e->a < tl->nstrs &&
            !seen_str[e->a]) {
            seen_str[e->a] = 1;
            v->capstr[v->ncapstr++] = (int)e->a;
        }
        if (e->task >= tl->ntasks)
            continue;
        if (e->type == EV_SYS_ENTER) {
            switch (e->sub) {
            case SYS_READ: case SYS_RECVFROM: case SYS_SELECT: case SYS_POLL:
            case SYS_EPOLL_WAIT: case SYS_IO_URING_ENTER: case SYS_PAUSE:
                v->has_input[e->task] = 1;
                break;
            default:
                break;
            }
        } else if (e->type == EV_FD_OPEN) {
            if (++open_fds[e->task] > v->max_fds[e->task])
                v->max_fds[e->task] = open_fds[e->task];
        } else if (e->type == EV_FD_CLOSE && open_fds[e->task] > 0) {
            open_fds[e->task]--;
        }
    }
    free(open_fds);
    free(seen_str);
    for (int i = 0; i < tl->ntasks; i++)
        v->has_coroutines |= tl->tasks[i].kind == TK_COROUTINE;
    /* the model's own queues first, then the accept and run queues, then
       the quiet ones (an uncontended GIL) */
    v->qorder = malloc(((size_t)tl->nqueues + 1) * sizeof *v->qorder);
    if (!v->qorder)
        goto err;
    for (int pass = 0, k = 0; pass < 3; pass++)
        for (int q = 0; q < tl->nqueues; q++) {
            int general = tl->queues[q].kind == TQK_RUN ||
                          tl->queues[q].kind == TQK_ACCEPT;
            int group = tl->queues[q].quiet ? 2 : general;
            if (group == pass)
                v->qorder[k++] = q;
            v->model_queues += !pass && group == 0;
        }
    v->named_queues = captions_name_queue(v);
    if (build_order(v))
        goto err;
    v->crowd = find_crowd(v);
    if (tl->ntasks > 0)
        v->sel_task = v->order[0];
    rc = wcur_open(&v->cur, tl);
    if (rc)
        goto err_nocur;
    return 0;
err:
    memset(&v->cur, 0, sizeof v->cur);
err_nocur:
    viewer_close(v);
    return rc;
}

void viewer_close(struct viewer *v)
{
    free(v->lane_off);
    free(v->lane_ev);
    free(v->call_off);
    free(v->calls);
    free(v->caps);
    free(v->stops);
    free(v->capstr);
    free(v->has_input);
    free(v->max_fds);
    free(v->chg_task);
    free(v->chg_obj);
    free(v->chg_queue);
    free(v->order);
    free(v->depth);
    free(v->order_ix);
    free(v->qorder);
    free(v->marks);
    if (v->cur.tl)
        wcur_close(&v->cur);
    memset(v, 0, sizeof *v);
}

/* What the events [from, to) changed, into the chg_ arrays */
static void changes(struct viewer *v, long from, long to)
{
    const struct tl *tl = v->tl;
    if (++v->chg_gen == 0) { /* wrapped: forget every old stamp */
        memset(v->chg_task, 0, (size_t)tl->ntasks * sizeof *v->chg_task);
        memset(v->chg_obj, 0, (size_t)tl->nobjs * sizeof *v->chg_obj);
        memset(v->chg_queue, 0, (size_t)tl->nqueues * sizeof *v->chg_queue);
        v->chg_gen = 1;
    }
    uint32_t g = v->chg_gen;
    v->nchg_items = 0;
    v->chg_cut = from < to - UI_CHG_SCAN;
    if (v->chg_cut)
        from = to - UI_CHG_SCAN;
    if (from < 0)
        from = 0;
    v->chg_from = from;
    int maxi = (int)(sizeof v->chg_items / sizeof *v->chg_items);
    for (long i = from; i < to; i++) {
        const struct tl_ev *e = &tl->ev[i];
        int ob = -1;
        switch (e->type) {
        case EV_STATE:
        case EV_TASK_NEW:
            if (e->task < tl->ntasks)
                v->chg_task[e->task] = g;
            break;
        case EV_DATA:
            ob = e->obj;
            if (e->a < 0 && e->b >= 0 && e->b < tl->nobjs)
                v->chg_obj[e->b] = g;
            break;
        case EV_FD_OPEN:
        case EV_FLAGS:
        case EV_COPY:
        case EV_EOF:
        case EV_OBJ_SET:
            ob = e->obj;
            break;
        case EV_MEM: /* a store or an atomic that wrote: the word's
                        queue holds the new value (world.c) */
            if (e->sub == TM_LOAD || (e->sub == TM_CAS && e->a == e->b))
                break;
            /* fall through */
        case EV_QUEUE:
            if (e->obj >= 0 && e->obj < tl->nqueues) {
                v->chg_queue[e->obj] = g;
                if (e->sub == TQ_PUSH || e->type == EV_MEM) {
                    if (v->nchg_items == maxi) {
                        memmove(&v->chg_items[0], &v->chg_items[1],
                                (size_t)(maxi - 1) * sizeof v->chg_items[0]);
                        v->nchg_items--;
                    }
                    v->chg_items[v->nchg_items].q = e->obj;
                    v->chg_items[v->nchg_items++].item = e->a;
                }
            }
            break;
        default:
            break;
        }
        if (ob >= 0 && ob < tl->nobjs)
            v->chg_obj[ob] = g;
    }
}

int viewer_seek_from(struct viewer *v, long idx, long from)
{
    if (idx < 0)
        idx = 0;
    if ((size_t)idx > v->tl->nev)
        idx = (long)v->tl->nev;
    int rc = wcur_seek(&v->cur, idx);
    if (rc == 0)
        changes(v, from < idx ? from : idx - 1, idx);
    return rc;
}

int viewer_seek(struct viewer *v, long idx)
{
    return viewer_seek_from(v, idx, idx - 1);
}

int viewer_goto_step(struct viewer *v, long k)
{
    if (k < 0 || k >= v->ncaps)
        return -EINVAL;
    const struct tl *tl = v->tl;
    const struct tl_ev *e = &tl->ev[v->caps[k]];
    int rc = viewer_seek_from(v, v->stops[k], k > 0 ? v->stops[k - 1] : 0);
    int t = e->task < tl->ntasks ? e->task : -1;
    if (t < 0 && e->a >= 0 && e->a < tl->nstrs && tl->strs[e->a]) {
        /* a timed caption that begins with a task's name is about it */
        const char *c = tl->strs[e->a];
        for (int i = 0; i < tl->ntasks && t < 0; i++) {
            size_t n = strlen(tl->tasks[i].name);
            if (n > 0 && !strncmp(c, tl->tasks[i].name, n) &&
                (c[n] == ' ' || c[n] == ',' || c[n] == ':' || c[n] == '\''))
                t = i;
        }
    }
    if (t >= 0 && tl->tasks[t].kind != TK_PEER && t != v->sel_task) {
        v->sel_task = t;
        v->sel_fd = -1;
    }
    return rc;
}

int viewer_task_changed(const struct viewer *v, int t)
{
    return t >= 0 && t < v->tl->ntasks && v->chg_gen &&
           v->chg_task[t] == v->chg_gen;
}

int viewer_obj_changed(const struct viewer *v, int ob)
{
    return ob >= 0 && ob < v->tl->nobjs && v->chg_gen &&
           v->chg_obj[ob] == v->chg_gen;
}

int viewer_queue_changed(const struct viewer *v, int q)
{
    return q >= 0 && q < v->tl->nqueues && v->chg_gen &&
           v->chg_queue[q] == v->chg_gen;
}

int viewer_item_changed(const struct viewer *v, int q, int64_t item)
{
    for (int i = 0; i < v->nchg_items; i++)
        if (v->chg_items[i].q == q && v->chg_items[i].item == item)
            return 1;
    return 0;
}

long viewer_first_caption_pos(const struct viewer *v)
{
    return v->ncaps > 0 ? v->stops[0] : 0;
}

long viewer_pos_at_time(const struct viewer *v, int64_t t)
{
    /* number of events with time <= t */
    long lo = 0, hi = (long)v->tl->nev;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (v->tl->ev[mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long viewer_state_ev_at(const struct viewer *v, int task, int64_t t, long limit)
{
    if (task < 0 || task >= v->tl->ntasks)
        return -1;
    struct lane lane = viewer_lane(v, task), *l = &lane;
    long lo = 0, hi = l->n; /* first segment with time > t */
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (lane_t(v->tl, l->s[mid]) <= t && l->s[mid] < limit)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? -1 : (long)l->s[lo - 1];
}

int viewer_state_at(const struct viewer *v, int task, int64_t t, long limit)
{
    long e = viewer_state_ev_at(v, task, t, limit);
    return e < 0 ? TS_NONE : lane_st(v->tl, (uint32_t)e);
}

int viewer_queue_index(const struct viewer *v, int q)
{
    for (int i = 0; i < v->tl->nqueues; i++)
        if (v->qorder[i] == q)
            return i;
    return -1;
}

int viewer_order_index(const struct viewer *v, int task)
{
    if (task < 0 || task >= v->tl->ntasks)
        return -1;
    return v->order_ix[task];
}

/* a window of n of the count items from base, with item s (if inside) in
   the middle; writes base + i into out */
static int window(int base, int count, int s, int n, int *out)
{
    if (n > count)
        n = count;
    if (n <= 0)
        return 0;
    int top = s >= base && s < base + count ? s - base - n / 2 : 0;
    if (top > count - n)
        top = count - n;
    if (top < 0)
        top = 0;
    for (int i = 0; i < n; i++)
        out[i] = base + top + i;
    return n;
}

int viewer_task_rows(const struct viewer *v, int rows, int *out)
{
    int n = v->tl->ntasks, np = v->npeers, nm = n - np;
    int s = viewer_order_index(v, v->sel_task);
    if (rows <= 0 || n == 0)
        return 0;
    if (np == 0)
        return window(0, n, s, rows, out);
    if (rows == 1) /* only the selected task */
        return window(0, n, s, 1, out);
    /* the machine's tasks first, then the peer group: a heading, a count
       by state when not every peer fits, and a window of peers */
    int selpeer = s >= v->first_peer && s < v->first_peer + np;
    int m = nm < rows - 1 - selpeer ? nm : rows - 1 - selpeer;
    int k = window(0, nm, s, m, out);
    out[k++] = UI_ROW_PEERS;
    /* the count by state, when not every peer fits: with a window of at
       least one peer under it, or alone for a crowd */
    if (np > rows - k && rows - k >= 2 - v->crowd)
        out[k++] = UI_ROW_PEER_COUNTS;
    int after_peers = v->first_peer + np; /* tasks in a parent cycle */
    k += window(v->first_peer, np, s, rows - k, out + k);
    if (k < rows && after_peers < n)
        k += window(after_peers, n - after_peers, s, rows - k, out + k);
    return k;
}

int viewer_task_core_rows(const struct viewer *v)
{
    int np = v->npeers, nm = v->tl->ntasks - np;
    if (!v->crowd) /* every peer */
        return nm + (np ? 1 + np : 0);
    return nm + 2 + (v->sel_task >= 0 &&
                     viewer_order_index(v, v->sel_task) >= v->first_peer);
}

char *viewer_peer_summary(const struct viewer *v, char *buf, int len)
{
    static const int shown[] = { TS_RUNNING, TS_READY, TS_BLOCKED, TS_NEW,
                                 TS_EXITED };
    int c[TS__COUNT], n = 0;
    viewer_peer_counts(v, c);
    c[TS_NEW] += c[TS_NONE];
    buf[0] = 0;
    for (size_t i = 0; i < sizeof shown / sizeof *shown && n < len; i++)
        if (c[shown[i]])
            n += snprintf(buf + n, (size_t)(len - n), "%s%d %s", n ? ", " : "",
                          c[shown[i]],
                          shown[i] == TS_NONE || shown[i] == TS_NEW
                              ? "not started yet" : tl_state_name(shown[i]));
    return buf;
}

void viewer_peer_counts(const struct viewer *v, int *counts)
{
    const struct world *w = &v->cur.w;
    for (int st = 0; st < TS__COUNT; st++)
        counts[st] = 0;
    for (int i = 0; i < v->npeers; i++) {
        int t = v->order[v->first_peer + i];
        counts[t < w->ntasks ? w->tasks[t].state : TS_NONE]++;
    }
}

void viewer_msg(struct viewer *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
    /* a message cut to fit (here, or by a %.Ns in fmt) must not end in
     * half a UTF-8 character */
    size_t n = strlen(v->msg), lead = n;
    while (lead > 0 && ((unsigned char)v->msg[lead - 1] & 0xc0) == 0x80)
        lead--;
    if (lead > 0 && (unsigned char)v->msg[lead - 1] >= 0xc0) {
        unsigned char c = (unsigned char)v->msg[lead - 1];
        size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (n - (lead - 1) < want)
            v->msg[lead - 1] = 0;
    }
}
