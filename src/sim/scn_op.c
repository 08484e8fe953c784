/*
 * scn_op.c - operations and their operands: building instructions,
 * variables (a slot per name, per top-level task), the operand kinds of
 * prog.h's spec letters, and one operation with its results
 * (`a, b = OP ARGS`).  The operation table is PROG_OPS (prog.h): its
 * keyword, operand spec and help text; usage errors quote the help.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scn_int.h"
#include "tl/tl.h"

static const char *const op_kw[] = {
#define X(e, k, s, h) k,
    PROG_OPS(X)
#undef X
};

static const char *const op_spec[] = {
#define X(e, k, s, h) s,
    PROG_OPS(X)
#undef X
};

static const char *const op_help[] = {
#define X(e, k, s, h) h,
    PROG_OPS(X)
#undef X
};

/* io_uring operations a `prep` names (enum tl_uring_op) */
static const char *const uring_kw[] = {
#define X(e, n, k) k,
    TL_URING_OPS(X)
#undef X
};

/* Errno names offered as suggestions (only those tl knows are used) */
static const char *const errno_kw[] = {
    "EAGAIN", "EWOULDBLOCK", "EINTR", "ECONNRESET", "EPIPE", "EBADF",
    "EINVAL", "ECONNREFUSED", "EADDRINUSE", "EMFILE", "ENOTCONN",
    "EINPROGRESS", "ETIMEDOUT", "ETIME", "ECHILD", "ENOMEM", "ECONNABORTED",
};

/* ---- building the prog ------------------------------------------------ */

void scn_ins_init(struct scn *S, struct prog_ins *in, int op, int off)
{
    memset(in, 0, sizeof *in);
    in->op = (uint16_t)op;
    in->line = S->ln + 1;
    in->col = scn_col(S->p->lines[S->ln], off);
    in->dst = in->dst2 = -1;
    in->jump = -1;
    in->list = -1;
}

/* Append *in; returns its pc.  off locates the error if the code is full. */
int scn_push(struct scn *S, const struct prog_ins *in, int off)
{
    struct prog *p = S->p;
    if (p->ncode >= PROG_MAX_CODE)
        return scn_err(S, off, "too many instructions: the limit is %d",
                       PROG_MAX_CODE);
    struct prog_ins *q = scn_grow(p->code, &p->codecap, p->ncode + 1,
                                  sizeof *q);
    if (!q)
        return scn_oom(S, off);
    p->code = q;
    q[p->ncode] = *in;
    return p->ncode++;
}

/* Emit a bare op (JMP, EXIT, ...) at byte off of the current line */
int scn_emit(struct scn *S, int op, int off, int jump)
{
    struct prog_ins in;
    scn_ins_init(S, &in, op, off);
    in.jump = jump;
    return scn_push(S, &in, off);
}

/* Point every JMP of a chain (linked through .jump) at target */
void scn_patch(struct scn *S, int chain, int target)
{
    while (chain >= 0) {
        int next = S->p->code[chain].jump;
        S->p->code[chain].jump = target;
        chain = next;
    }
}

static int scn_add_str(struct scn *S, const char *s, int len, int off)
{
    struct prog *p = S->p;
    char **q = scn_grow(p->strs, &p->strcap, p->nstrs + 1, sizeof *q);
    if (!q)
        return scn_oom(S, off);
    p->strs = q;
    if (!(q[p->nstrs] = scn_strndup(s, (size_t)len)))
        return scn_oom(S, off);
    return p->nstrs++;
}

/* The kind named s (a message's: `task`, "result"), interned once per
 * spelling so that kinds compare as values: PROG_KIND of its string */
static int scn_kind(struct scn *S, const char *s, int len, int off,
                    struct prog_arg *a)
{
    struct prog *p = S->p;
    for (int i = 0; i < p->nkinds; i++) {
        const char *k = p->strs[p->kinds[i]];
        if ((int)strlen(k) == len && !memcmp(k, s, (size_t)len)) {
            scn_const(a, PROG_KIND(p->kinds[i]));
            return 0;
        }
    }
    if (p->nkinds >= PROG_MAX_KINDS)
        return scn_err(S, off, "too many message kinds (at most %d)",
                       PROG_MAX_KINDS);
    if (len == 0 || len > 64)
        return scn_err(S, off, "a message kind is a word of 1 to 64 bytes");
    int32_t *k = scn_grow(p->kinds, &p->kindcap, p->nkinds + 1, sizeof *k);
    if (!k)
        return scn_oom(S, off);
    p->kinds = k;
    int i = scn_add_str(S, s, len, off);
    if (i < 0)
        return -1;
    p->kinds[p->nkinds++] = i;
    scn_const(a, PROG_KIND(i));
    return 0;
}

struct prog_task *scn_cur(struct scn *S)
{
    return &S->p->tasks[S->task];
}

/*
 * Variables are looked up on every use and bind, so by a hash of their
 * names: a scan of the list made 99,990 variables take 26 s to check.  The
 * index follows the task's slot_names (which only grow), made afresh when
 * another declaration is compiled; the first slot of a name wins, as in
 * the list.  Without memory for it, the list is scanned.
 */
static uint32_t scn_name_hash(const char *s, int len)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int scn_name_is(const char *name, const char *s, int len)
{
    return (int)strlen(name) == len && memcmp(name, s, (size_t)len) == 0;
}

/* Index slot i of t, unless its name is there already */
static void scn_vh_add(struct scn *S, const struct prog_task *t, int i)
{
    const char *name = t->slot_names[i];
    int len = (int)strlen(name);
    for (uint32_t h = scn_name_hash(name, len);; h++) {
        int *e = &S->vh[h & (uint32_t)(S->vhcap - 1)];
        if (!*e) {
            *e = i + 1;
            return;
        }
        if (scn_name_is(t->slot_names[*e - 1], name, len))
            return;
    }
}

/* Bring the index up to t's slots; 0, or -1 without memory */
static int scn_vh_sync(struct scn *S, const struct prog_task *t)
{
    if (S->vh && S->vh_task == S->task && S->vh_n == t->nslots)
        return 0;
    if (!S->vh || S->vh_task != S->task || 2 * (t->nslots + 1) > S->vhcap) {
        int cap = S->vhcap ? S->vhcap : 64;
        while (2 * (t->nslots + 1) > cap)
            cap *= 2;
        int *v = cap == S->vhcap ? S->vh : realloc(S->vh, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        memset(v, 0, (size_t)cap * sizeof *v);
        S->vh = v;
        S->vhcap = cap;
        S->vh_task = S->task;
        S->vh_n = 0;
    }
    for (; S->vh_n < t->nslots; S->vh_n++)
        scn_vh_add(S, t, S->vh_n);
    return 0;
}

int scn_var_find(struct scn *S, const char *s, int len)
{
    if (S->task < 0)
        return -1; /* top level: no variables */
    struct prog_task *t = scn_cur(S);
    if (scn_vh_sync(S, t) < 0) {
        for (int i = 0; i < t->nslots; i++)
            if (scn_name_is(t->slot_names[i], s, len))
                return i;
        return -1;
    }
    for (uint32_t h = scn_name_hash(s, len);; h++) {
        int e = S->vh[h & (uint32_t)(S->vhcap - 1)];
        if (!e)
            return -1;
        if (scn_name_is(t->slot_names[e - 1], s, len))
            return e - 1;
    }
}

/* A new slot named s (len bytes) */
int scn_slot_new(struct scn *S, const char *s, int len, int off)
{
    struct prog_task *t = scn_cur(S);
    int cap = S->slotcap;
    char **q = scn_grow(t->slot_names, &S->slotcap, t->nslots + 1, sizeof *q);
    if (!q)
        return scn_oom(S, off);
    t->slot_names = q;
    if (t->slot_shared && S->slotcap != cap) { /* flags keep the same cap */
        uint8_t *f = realloc(t->slot_shared, (size_t)S->slotcap);
        if (!f)
            return scn_oom(S, off);
        t->slot_shared = f;
    }
    if (t->slot_shared)
        t->slot_shared[t->nslots] = 0;
    if (!(q[t->nslots] = scn_strndup(s, (size_t)len)))
        return scn_oom(S, off);
    return t->nslots++;
}

/* A new slot in the process's memory (`shared NAME`) */
int scn_shared_new(struct scn *S, const struct scn_tok *t)
{
    int v = scn_slot_new(S, t->s, t->len, t->off);
    if (v < 0)
        return -1;
    struct prog_task *d = scn_cur(S);
    if (!d->slot_shared && !(d->slot_shared = calloc((size_t)S->slotcap, 1)))
        return scn_oom(S, t->off);
    d->slot_shared[v] = 1;
    return v;
}

/* The slot of variable t, created on first assignment */
int scn_var_bind(struct scn *S, const struct scn_tok *t)
{
    int v = scn_var_find(S, t->s, t->len);
    return v >= 0 ? v : scn_slot_new(S, t->s, t->len, t->off);
}

static int scn_unknown_var(struct scn *S, const struct scn_tok *t,
                           const char *hint)
{
    struct scn_near n = {t->s, t->len, NULL, 0};
    if (S->task >= 0)
        scn_near_list(&n, (const char *const *)scn_cur(S)->slot_names,
                      scn_cur(S)->nslots);
    if (n.best)
        return scn_err(S, t->off, "unknown variable '%.*s'; did you mean "
                       "'%s'?", t->len, t->s, n.best);
    return scn_err(S, t->off, "unknown variable '%.*s': %s", t->len, t->s,
                   hint);
}

/* ---- operands --------------------------------------------------------- */

void scn_const(struct prog_arg *a, int64_t v)
{
    a->kind = ARG_CONST;
    a->v = v;
}

/* A variable operand, or -1 with an error */
int scn_arg_var(struct scn *S, const struct scn_tok *t,
                struct prog_arg *a, const char *hint)
{
    int v = scn_var_find(S, t->s, t->len);
    if (v < 0)
        return scn_unknown_var(S, t, hint);
    a->kind = ARG_SLOT;
    a->v = v;
    return 0;
}

static int scn_errno_form(const struct scn_tok *t)
{
    if (t->len < 2 || t->s[0] != 'E')
        return 0;
    for (int i = 1; i < t->len; i++)
        if (t->s[i] < 'A' || t->s[i] > 'Z')
            return 0;
    return 1;
}

/* ---- handlers and event kinds ---------------------------------------- */

int scn_handler_find(struct scn *S, const struct scn_tok *t)
{
    const struct prog *p = S->p;
    for (int i = 0; i < p->nhandlers; i++)
        if (p->handlers[i].decl == S->task &&
            scn_name_is(p->handlers[i].name, t->s, t->len))
            return i;
    return -1;
}

/* The kind spelled like t, if the scenario has used it: its string */
static int scn_kind_find(const struct prog *p, const struct scn_tok *t)
{
    for (int i = 0; i < p->nkinds; i++)
        if (scn_name_is(p->strs[p->kinds[i]], t->s, t->len))
            return p->kinds[i];
    return -1;
}

/* t names a handler of this declaration or a kind the scenario has used:
 * its value in a (`if k == click`, `cb = set on_read`) */
static int scn_known_word(struct scn *S, const struct scn_tok *t,
                          struct prog_arg *a)
{
    int h = scn_handler_find(S, t);
    if (h >= 0) {
        scn_const(a, PROG_HANDLER(h));
        return 1;
    }
    int k = scn_kind_find(S->p, t);
    if (k >= 0) {
        scn_const(a, PROG_KIND(k));
        return 1;
    }
    return 0;
}

/* A new handler named like t, not defined yet (entry -1): a call may
 * name one that is defined further down; scn_top checks it is */
static int scn_handler_new(struct scn *S, const struct scn_tok *t)
{
    struct prog *p = S->p;
    if (p->nhandlers >= 1 << 20)
        return scn_err(S, t->off, "too many handlers");
    struct prog_handler *h = scn_grow(p->handlers, &p->handlercap,
                                      p->nhandlers + 1, sizeof *h);
    if (!h)
        return scn_oom(S, t->off);
    p->handlers = h;
    h += p->nhandlers;
    memset(h, 0, sizeof *h);
    if (!(h->name = scn_strndup(t->s, (size_t)t->len)))
        return scn_oom(S, t->off);
    h->decl = S->task;
    h->entry = h->param = -1;
    h->line = S->ln + 1;
    h->col = scn_col(S->p->lines[S->ln], t->off);
    return p->nhandlers++;
}

/* A handler ('h'): its name (defined here or further down in the
 * declaration), or a variable holding one */
static int scn_arg_handler(struct scn *S, struct scn_tok *t, struct prog_arg *a)
{
    char b[64];
    if (t->kind != T_IDENT)
        return scn_err(S, t->off, "expected a handler's name, found %s",
                       scn_desc(S, t, b, sizeof b));
    if (scn_var_find(S, t->s, t->len) >= 0)
        return scn_arg_var(S, t, a, HINT_VAR);
    int h = scn_handler_find(S, t);
    if (h < 0 && (scn_op_find(t) >= 0 || scn_is_ctl(t) || scn_errno_form(t)))
        return scn_err(S, t->off, "expected a handler's name, found '%.*s'",
                       t->len, t->s);
    if (h < 0 && (h = scn_handler_new(S, t)) < 0)
        return -1;
    scn_const(a, PROG_HANDLER(h));
    return 0;
}

/* handler NAME [PARAM] { B }: JMP over B; B; RET (prog.h) */
int scn_handler(struct scn *S, const struct scn_tok *kw)
{
    struct scn_tok *nm = scn_take(S);
    char b[64];
    if (S->task < 0)
        return scn_err(S, kw->off, "a handler belongs to a process: define "
                       "it inside one");
    if (S->in_handler || S->depth > 1)
        return scn_err(S, kw->off, "define handlers at the top of a "
                       "process's block, not inside another block");
    if (nm->kind != T_IDENT || scn_op_find(nm) >= 0 || scn_is_ctl(nm))
        return scn_err(S, nm->off, "expected the handler's name: handler "
                       "on_click [VALUE] {, found %s",
                       scn_desc(S, nm, b, sizeof b));
    int hi = scn_handler_find(S, nm);
    if (hi >= 0 && S->p->handlers[hi].entry >= 0)
        return scn_err(S, nm->off, "handler '%.*s' is already defined",
                       nm->len, nm->s);
    if (scn_var_find(S, nm->s, nm->len) >= 0)
        return scn_err(S, nm->off, "'%.*s' is already a variable", nm->len,
                       nm->s);
    int param = -1;
    struct scn_tok *pt = &S->tok[S->pos];
    if (pt->kind == T_IDENT) {
        if ((param = scn_var_bind(S, pt)) < 0)
            return -1;
        S->pos++;
    }
    int brace;
    if (scn_open(S, &brace) < 0)
        return -1;
    if (hi < 0 && (hi = scn_handler_new(S, nm)) < 0)
        return -1;
    int jmp = scn_emit(S, OP_JMP, kw->off, -1);
    if (jmp < 0)
        return -1;
    struct prog_handler *h = &S->p->handlers[hi];
    h->param = param;
    h->line = S->ln + 1;
    h->col = scn_col(S->p->lines[S->ln], nm->off);
    h->entry = jmp + 1;
    struct scn_loop *loop = S->loop;
    int in_for = S->in_for;
    S->loop = NULL;
    S->in_for = 0;
    S->in_handler = 1;
    int r = scn_block(S, brace);
    S->loop = loop;
    S->in_for = in_for;
    S->in_handler = 0;
    if (r > B_END)
        return scn_err(S, S->tok[1].off, "'else' without 'if'");
    if (r < 0 || scn_emit(S, OP_RET, S->tok[0].off, -1) < 0)
        return -1;
    S->p->code[jmp].jump = S->p->ncode;
    return 0;
}

/* `__name__` in a python process: a slot the engine sets to the string
 * "__main__" as the program starts, "__mp_main__" in a spawned child */
static int scn_name_slot(struct scn *S, const struct scn_tok *t,
                         struct prog_arg *a)
{
    struct prog_task *d = scn_cur(S);
    if (!d->python)
        return scn_err(S, t->off, "__name__ is the name of a Python module: "
                       "declare the process python (process NAME python {)");
    struct prog_arg m, mp;
    if (scn_kind(S, "__main__", 8, t->off, &m) < 0 ||
        scn_kind(S, "__mp_main__", 11, t->off, &mp) < 0)
        return -1;
    S->p->mod_main = m.v;
    S->p->mod_mp_main = mp.v;
    int v = scn_slot_new(S, t->s, t->len, t->off);
    if (v < 0)
        return -1;
    scn_cur(S)->name_slot = v;
    a->kind = ARG_SLOT;
    a->v = v;
    return 0;
}

/* A value: a variable, an integer (any unit) or an errno name */
int scn_value(struct scn *S, struct prog_arg *a)
{
    struct scn_tok *t = scn_take(S);
    char b[64];
    if (t->kind == T_INT) {
        scn_const(a, t->v);
        return 0;
    }
    if (t->kind == T_STR) /* a message kind: if k == "task" */
        return scn_kind(S, t->s, t->slen, t->off, a);
    if (t->kind == T_IDENT && scn_word(t, "__name__") &&
        scn_var_find(S, t->s, t->len) < 0)
        return scn_name_slot(S, t, a);
    if (t->kind != T_IDENT)
        return scn_err(S, t->off, "expected a value (a variable, a number, "
                       "a message kind \"task\" or an errno name such as "
                       "EAGAIN), found %s", scn_desc(S, t, b, sizeof b));
    if (scn_var_find(S, t->s, t->len) < 0 && scn_word(t, "StopIteration")) {
        scn_const(a, PROG_STOP_ITERATION); /* what next gives at the end */
        return 0;
    }
    if (scn_var_find(S, t->s, t->len) < 0 && scn_word(t, "EOFError")) {
        scn_const(a, PROG_EOF_ERROR); /* what conn_recv gives at the end */
        return 0;
    }
    if (scn_var_find(S, t->s, t->len) < 0 && scn_known_word(S, t, a))
        return 0; /* a handler, or an event kind used before */
    if (scn_var_find(S, t->s, t->len) >= 0 || !scn_errno_form(t))
        return scn_arg_var(S, t, a, HINT_VAR);
    char name[64];
    snprintf(name, sizeof name, "%.*s", t->len, t->s);
    int e = t->len < 60 ? tl_errno_value(name) : 0;
    if (e) {
        scn_const(a, e);
        return 0;
    }
    struct scn_near n = {t->s, t->len, NULL, 0};
    for (int i = 0; i < NELEM(errno_kw); i++)
        if (tl_errno_value(errno_kw[i]))
            scn_near_try(&n, errno_kw[i]);
    if (n.best)
        return scn_err(S, t->off, "unknown errno name '%s'; did you mean "
                       "'%s'?", name, n.best);
    return scn_err(S, t->off, "unknown errno name '%s'", name);
}

int scn_arg_fd(struct scn *S, struct scn_tok *t, struct prog_arg *a)
{
    char b[64];
    if (t->kind == T_IDENT)
        return scn_arg_var(S, t, a, HINT_FD);
    if (t->kind == T_INT && t->unit == U_NONE && t->v >= 0) {
        scn_const(a, t->v);
        return 0;
    }
    return scn_err(S, t->off, HINT_FD ", found %s",
                   scn_desc(S, t, b, sizeof b));
}

static int scn_arg_size(struct scn *S, struct scn_tok *t, struct prog_arg *a)
{
    char b[64];
    if (t->kind == T_IDENT)
        return scn_arg_var(S, t, a, HINT_VAR);
    if (t->kind != T_INT || t->unit == U_TIME)
        return scn_err(S, t->off, "expected a size such as 4K or 100, found "
                       "%s", scn_desc(S, t, b, sizeof b));
    if (t->v < 0)
        return scn_err(S, t->off, "a size cannot be negative");
    scn_const(a, t->v);
    return 0;
}

int scn_arg_time(struct scn *S, struct scn_tok *t, struct prog_arg *a)
{
    char b[64];
    if (t->kind == T_IDENT)
        return scn_arg_var(S, t, a, HINT_VAR);
    if (t->kind != T_INT || t->unit != U_TIME)
        return scn_err(S, t->off, "expected a duration such as 5ms, found %s",
                       scn_desc(S, t, b, sizeof b));
    if (t->v < 0)
        return scn_err(S, t->off, "a duration cannot be negative");
    scn_const(a, t->v);
    return 0;
}

/* A timeout: a duration, in the resolution of the call's argument (an int
 * of milliseconds for poll and epoll_wait, a timeval's microseconds for
 * select, a timespec's nanoseconds for io_uring_enter) */
static int scn_arg_timeout(struct scn *S, struct scn_tok *t, int op,
                           struct prog_arg *a)
{
    if (scn_arg_time(S, t, a) < 0)
        return -1;
    if (t->kind != T_INT)
        return 0; /* a variable: rounded up at run time */
    char b[64];
    if ((op == OP_POLL || op == OP_EPOLL_WAIT) && t->v % 1000000)
        return scn_err(S, t->off, "%s takes its timeout in whole "
                       "milliseconds (an int): write %lldms, not %s",
                       op_kw[op], (long long)(t->v / 1000000 + 1),
                       scn_desc(S, t, b, sizeof b));
    if (op == OP_SELECT && t->v % 1000)
        return scn_err(S, t->off, "select takes its timeout in whole "
                       "microseconds (a struct timeval): write %lldus, not "
                       "%s", (long long)(t->v / 1000 + 1),
                       scn_desc(S, t, b, sizeof b));
    return 0;
}

static int scn_arg_port(struct scn *S, struct scn_tok *t, struct prog_arg *a)
{
    char b[64];
    if (t->kind != T_INT || t->unit != U_NONE || t->v < 1 || t->v > 65535)
        return scn_err(S, t->off, "expected a port number 1..65535, found %s",
                       scn_desc(S, t, b, sizeof b));
    scn_const(a, t->v);
    return 0;
}

/* One operand of kind spec for instruction in */
static int scn_arg(struct scn *S, char spec, struct prog_ins *in,
                   struct prog_arg *a)
{
    struct scn_tok *t = scn_take(S);
    char b[64];
    switch (spec) {
    case 'f': return scn_arg_fd(S, t, a);
    case 'n': return scn_arg_size(S, t, a);
    case 'd': return scn_arg_time(S, t, a);
    case 't': return scn_arg_timeout(S, t, in->op, a);
    case 'p': return scn_arg_port(S, t, a);
    case 'h': return scn_arg_handler(S, t, a);
    case 'v':
        S->pos--;
        return scn_value(S, a);
    case 'w': /* a message kind: a variable holding one, a word, "word" */
        if (t->kind == T_STR)
            return scn_kind(S, t->s, t->slen, t->off, a);
        if (t->kind != T_IDENT)
            return scn_err(S, t->off, "expected a message kind (a word such "
                           "as task), found %s", scn_desc(S, t, b, sizeof b));
        if (scn_var_find(S, t->s, t->len) >= 0)
            return scn_arg_var(S, t, a, HINT_VAR);
        if (scn_handler_find(S, t) >= 0) { /* a callback */
            scn_const(a, PROG_HANDLER(scn_handler_find(S, t)));
            return 0;
        }
        return scn_kind(S, t->s, t->len, t->off, a);
    case 's':
        if (t->kind != T_STR)
            return scn_err(S, t->off, "expected a string \"...\", found %s",
                           scn_desc(S, t, b, sizeof b));
        int i = scn_add_str(S, t->s, t->slen, t->off);
        if (i < 0)
            return -1;
        scn_const(a, i);
        return 0;
    case 'm': {
        int v = t->kind == T_IDENT ? scn_var_find(S, t->s, t->len) : -1;
        if (v >= 0 && scn_cur(S)->slot_shared && scn_cur(S)->slot_shared[v]) {
            a->kind = ARG_SLOT;
            a->v = v;
            return 0;
        }
        if (v >= 0)
            return scn_err(S, t->off, "'%.*s' is a local: a lock is a word "
                           "of memory the threads share; declare it with "
                           "shared %.*s", t->len, t->s, t->len, t->s);
        if (t->kind == T_IDENT)
            return scn_err(S, t->off, "unknown lock '%.*s': declare it first "
                           "with shared %.*s", t->len, t->s, t->len, t->s);
        return scn_err(S, t->off, "expected a lock (a shared variable), found "
                       "%s", scn_desc(S, t, b, sizeof b));
    }
    case 'o':
        if (scn_word(t, "O_NONBLOCK") || scn_word(t, "O_ASYNC")) {
            in->flags = scn_word(t, "O_ASYNC") ? TL_FL_ASYNC : TL_FL_NONBLOCK;
            scn_const(a, in->flags);
            return 0;
        }
        return scn_err(S, t->off, "expected O_NONBLOCK or O_ASYNC, found %s",
                       scn_desc(S, t, b, sizeof b));
    case 'k':
        if (scn_word(t, "SO_SNDBUF") || scn_word(t, "SO_RCVBUF")) {
            scn_const(a, scn_word(t, "SO_SNDBUF") ? TL_SO_SNDBUF : TL_SO_RCVBUF);
            return 0;
        }
        return scn_err(S, t->off, "expected SO_SNDBUF or SO_RCVBUF, found %s",
                       scn_desc(S, t, b, sizeof b));
    case 'r':
        if (scn_word(t, "RLIMIT_NOFILE")) {
            scn_const(a, 7); /* RLIMIT_NOFILE on Linux */
            return 0;
        }
        return scn_err(S, t->off, "expected RLIMIT_NOFILE (the only limit "
                       "iosim models), found %s", scn_desc(S, t, b, sizeof b));
    case 'u':
        for (int i = 0; i < TU__COUNT; i++) {
            if (scn_word(t, uring_kw[i])) {
                scn_const(a, i);
                return 0;
            }
        }
        return scn_err(S, t->off, "expected read, write, recv or send, found "
                       "%s", scn_desc(S, t, b, sizeof b));
    default: /* 'e' */
        for (int i = 0; i < 3; i++) {
            if (scn_word(t, (const char *const[]){"add", "mod", "del"}[i])) {
                scn_const(a, i);
                return 0;
            }
        }
        return scn_err(S, t->off, "expected add, mod or del, found %s",
                       scn_desc(S, t, b, sizeof b));
    }
}

/* "read takes FD SIZE", from the help text */
static int scn_usage_err(struct scn *S, int op, int off, int found)
{
    const char *h = op_help[op], *colon = strchr(h, ':');
    int n = colon ? (int)(colon - h) : (int)strlen(h);
    const char *eq = strstr(h, " = ");
    if (eq && eq < h + n) {
        n -= (int)(eq + 3 - h);
        h = eq + 3;
    }
    int kl = (int)strlen(op_kw[op]);
    if (n <= kl)
        return scn_err(S, off, "%s takes no operands (found %d)", op_kw[op],
                       found);
    return scn_err(S, off, "%s takes%.*s (found %d operand%s)", op_kw[op],
                   n - kl, h + kl, found, found == 1 ? "" : "s");
}

int scn_op_find(const struct scn_tok *t)
{
    for (int i = 0; i < OP__COUNT; i++)
        if (op_kw[i][0] != '(' && scn_word(t, op_kw[i]))
            return i;
    return -1;
}

/* sigaction's operand: the signal (iosim models SIGIO only) */
static int scn_signal(struct scn *S, struct prog_ins *in)
{
    struct scn_tok *t = scn_take(S);
    char b[64];
    if (!scn_word(t, "SIGIO"))
        return scn_err(S, t->off, "expected SIGIO, the signal iosim models: "
                       "sigaction SIGIO [SA_RESTART] {, found %s",
                       scn_desc(S, t, b, sizeof b));
    scn_const(&in->a[0], TL_SIGIO);
    in->nargs = 1;
    /* sigaction SIGIO SA_RESTART {: sa_flags; the block's '{' follows */
    if (scn_left(S) > 1 && scn_word(&S->tok[S->pos], "SA_RESTART")) {
        in->flags = 1;
        S->pos++;
    }
    return 0;
}

/* fork [NAME] { ... }, thread [NAME] { ... } and coroutine [NAME] { ... }:
 * the child runs the block, then exits; NAME names it in the viewer.
 * sigaction SIGIO { ... }: the handler runs the block, then rt_sigreturn. */
/* start [fork|spawn|forkserver]: the start method (fork when none is
 * written: the default on Linux up to CPython 3.13); multiprocessing
 * needs a python process */
static int scn_start_method(struct scn *S, const struct scn_tok *kw,
                            struct prog_ins *in)
{
    static const char *const methods[] = {
        [START_FORK] = "fork", [START_SPAWN] = "spawn",
        [START_FORKSERVER] = "forkserver"};
    if (!scn_cur(S)->python)
        return scn_err(S, kw->off, "start is multiprocessing's Process.start(): "
                       "declare the process python (process NAME python {)");
    in->flags = START_FORK;
    struct scn_tok *m = &S->tok[S->pos];
    if (m->kind != T_IDENT)
        return 0;
    if (scn_word(m, "forkserver"))
        S->need_fsrv = 1;
    for (int i = 0; i < NELEM(methods); i++)
        if (scn_word(m, methods[i])) {
            in->flags = (uint16_t)i;
            S->pos++;
            return 0;
        }
    return 0; /* a name: start worker { */
}

static int scn_spawn(struct scn *S, int op, const struct scn_tok *kw,
                     const struct scn_tok *d1)
{
    struct prog_ins in;
    scn_ins_init(S, &in, op, kw->off);
    int brace;
    if (op == OP_SIGACTION && scn_signal(S, &in) < 0)
        return -1;
    if (op == OP_START && scn_start_method(S, kw, &in) < 0)
        return -1;
    struct scn_tok *nm = &S->tok[S->pos];
    if (op != OP_SIGACTION && nm->kind == T_IDENT) { /* thread worker { */
        int i = scn_add_str(S, nm->s, nm->len, nm->off);
        if (i < 0)
            return -1;
        scn_const(&in.a[0], i);
        in.nargs = 1;
        S->pos++;
    }
    if (scn_open(S, &brace) < 0)
        return -1;
    if (d1 && (in.dst = scn_var_bind(S, d1)) < 0)
        return -1;
    int pc = scn_push(S, &in, kw->off);
    if (pc < 0)
        return -1;
    struct scn_loop *loop = S->loop;
    int in_for = S->in_for;
    S->loop = NULL; /* break and continue do not cross into the parent */
    S->in_for = 0;
    int r = scn_block(S, brace);
    S->loop = loop;
    S->in_for = in_for;
    if (r > B_END)
        return scn_err(S, S->tok[1].off, "'else' without 'if'");
    int end = op == OP_SIGACTION ? OP_SIGRETURN : OP_EXIT;
    if (r < 0 || scn_emit(S, end, S->tok[0].off, -1) < 0)
        return -1;
    S->p->code[pc].jump = S->p->ncode;
    return 0;
}

/* n = select A B C ... [TIMEOUT] / n = poll A B C ... [TIMEOUT]: the
 * timeout is a duration after the fds, or `timeout VALUE` */
static int scn_fdlist(struct scn *S, struct prog_ins *in, int off)
{
    struct prog *p = S->p;
    int n = scn_left(S);
    const struct scn_tok *last = n > 0 ? &S->tok[S->pos + n - 1] : NULL;
    int kw = n >= 2 && scn_word(&S->tok[S->pos + n - 2], "timeout");
    if (kw || (last && last->kind == T_INT && last->unit == U_TIME)) {
        if (scn_arg_timeout(S, &S->tok[S->pos + n - 1], in->op, &in->a[0]) < 0)
            return -1;
        in->nargs = 1;
        n -= kw ? 2 : 1;
    }
    if (n == 0) { /* no fds: the task's watch set (list = -1) */
        S->pos += in->nargs ? (kw ? 2 : 1) : 0;
        return 0;
    }
    struct prog_list *l = scn_grow(p->lists, &p->listcap, p->nlists + 1,
                                   sizeof *l);
    if (!l)
        return scn_oom(S, off);
    p->lists = l;
    l += p->nlists;
    if (!(l->v = calloc((size_t)n, sizeof *l->v)))
        return scn_oom(S, off);
    l->n = n;
    in->list = p->nlists++; /* owned by prog from here on */
    for (int i = 0; i < n; i++)
        if (scn_arg_fd(S, scn_take(S), &l->v[i]) < 0)
            return -1;
    S->pos += in->nargs ? (kw ? 2 : 1) : 0; /* the timeout, read above */
    return 0;
}

/* epoll_ctl EP add|mod FD [in] [out] [et] [oneshot] [exclusive]: the words
 * after the fd are struct epoll_event's events (TL_EP_* in .flags); a list
 * that names neither in nor out means in, so `epoll_ctl ep add c et` is
 * EPOLLIN|EPOLLET.  del takes none (Linux ignores the event of a DEL). */
static int scn_epoll_events(struct scn *S, struct prog_ins *in)
{
    static const struct { const char *w; unsigned bit; } ev[] = {
        {"in", TL_EP_IN}, {"out", TL_EP_OUT}, {"et", TL_EP_ET},
        {"oneshot", TL_EP_ONESHOT}, {"exclusive", TL_EP_EXCLUSIVE},
    };
    int del = in->a[1].kind == ARG_CONST && in->a[1].v == 2;
    unsigned fl = 0;
    char b[64];
    while (scn_left(S) > 0) {
        struct scn_tok *t = scn_take(S);
        if (del)
            return scn_err(S, t->off, "epoll_ctl del takes no events: "
                           "epoll_ctl EP del FD");
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
            if (scn_word(t, ev[i].w))
                bit = ev[i].bit;
        if (!bit)
            return scn_err(S, t->off, "expected an epoll event (in, out, et, "
                           "oneshot or exclusive) or the end of the line, "
                           "found %s", scn_desc(S, t, b, sizeof b));
        if (fl & bit)
            return scn_err(S, t->off, "%s is already in the event list",
                           scn_desc(S, t, b, sizeof b));
        fl |= bit;
    }
    if (!del && !(fl & (TL_EP_IN | TL_EP_OUT)))
        fl |= TL_EP_IN;
    in->flags = (uint16_t)fl;
    return 0;
}

/* watch FD [in] [out], unwatch FD [in] [out]: which of the program's sets
 * (readfds, writefds; a pollfd's POLLIN, POLLOUT) the fd goes in or leaves;
 * none: watch means in, unwatch means both (TL_EP_IN/OUT in .flags) */
static int scn_watch_events(struct scn *S, struct prog_ins *in)
{
    unsigned fl = 0;
    char b[64];
    while (scn_left(S) > 0) {
        struct scn_tok *t = scn_take(S);
        unsigned bit = scn_word(t, "in") ? TL_EP_IN
                     : scn_word(t, "out") ? TL_EP_OUT : 0;
        if (!bit)
            return scn_err(S, t->off, "expected in, out or the end of the "
                           "line, found %s", scn_desc(S, t, b, sizeof b));
        if (fl & bit)
            return scn_err(S, t->off, "%s is already in the list",
                           scn_desc(S, t, b, sizeof b));
        fl |= bit;
    }
    in->flags = (uint16_t)fl;
    return 0;
}

static int scn_args(struct scn *S, struct prog_ins *in, int off)
{
    int op = in->op;
    const char *spec = op_spec[op];
    int max = (int)strlen(spec), min = 0;
    for (int i = 0; i < max; i++)
        min += spec[i] != 'v' && spec[i] != 't' && spec[i] != 'w';
    if (op == OP_SET)
        min = 1;
    if (op == OP_CONN_SEND || op == OP_PUT)
        min = 2; /* the kind is what it sends */
    if (op == OP_PUT)
        S->need_feeder = 1;
    if (op == OP_MP_MANAGER)
        S->need_manager = 1;
    if (op == OP_MP_SET)
        min = 3; /* the key and the value */
    if (op == OP_MP_GET)
        min = 2;
    if (op == OP_MP_QUEUE && scn_left(S) == 1 &&
        scn_word(&S->tok[S->pos], "simple")) {
        in->flags = 1; /* SimpleQueue() */
        S->pos++;
    }
    if (op == OP_EPOLL_CREATE && scn_left(S) == 1 &&
        scn_word(&S->tok[S->pos], "cloexec")) {
        in->flags = 1; /* epoll_create1(EPOLL_CLOEXEC) */
        S->pos++;
    }
    if (op == OP_MP_PIPE && scn_left(S) == 1 &&
        scn_word(&S->tok[S->pos], "oneway")) {
        in->flags = 1; /* Pipe(duplex=False) */
        S->pos++;
    }
    if ((op == OP_EPOLL_CTL || op == OP_WATCH || op == OP_UNWATCH) &&
        scn_left(S) > max)
        max = scn_left(S); /* the event list: scn_epoll_events */
    if (op == OP_SAY && scn_left(S) > 1 && scn_word(&S->tok[S->pos], "once")) {
        in->flags = 1; /* say once "...": the first time only */
        S->pos++;
    }
    int n = scn_left(S);
    if (n < min || n > max)
        return scn_usage_err(S, op, n < min ? off : S->tok[S->pos + max].off,
                             n);
    int k = 0; /* operand index in spec */
    if (op == OP_SWITCH && n > 0 && scn_word(&S->tok[S->pos], "parent") &&
        scn_var_find(S, "parent", 6) < 0) {
        in->flags = 1; /* switch parent [VALUE] */
        scn_const(&in->a[0], 0);
        S->pos++;
        k = 1;
        n--;
    }
    for (int i = 0; k < (int)strlen(spec) && i < n; i++, k++) {
        /* (i counts the operands read, k their place in spec) */
        const struct scn_tok *t = &S->tok[S->pos];
        if (op == OP_EPOLL_WAIT && k == 1 && t->kind == T_INT &&
            t->unit == U_TIME)
            k++; /* epoll_wait EP TIMEOUT: MAXEVENTS left out */
        if (scn_arg(S, spec[k], in, &in->a[k]) < 0)
            return -1;
    }
    in->nargs = k;
    if (op == OP_EPOLL_CTL)
        return scn_epoll_events(S, in);
    if (op == OP_WATCH || op == OP_UNWATCH)
        return scn_watch_events(S, in);
    return 0;
}

/* An operation from PROG_OPS with its results d1 (and d2) */
int scn_op(struct scn *S, int op, const struct scn_tok *kw,
           const struct scn_tok *d1, const struct scn_tok *d2)
{
    int two = op == OP_PIPE || op == OP_SOCKETPAIR || op == OP_CQE ||
              op == OP_MP_PIPE || op == OP_TAKE || op == OP_GETEVENT;
    if (op == OP_CQE && !d2)
        return scn_err(S, kw->off, "cqe returns two values: write id, res = "
                       "cqe RING");
    if ((op == OP_TAKE || op == OP_GETEVENT) && !d2)
        return scn_err(S, kw->off, "%s returns two values, the kind and the "
                       "value: write k, v = %s Q", op_kw[op], op_kw[op]);
    if (two && !d2)
        return scn_err(S, kw->off, "%s returns two fds: write a, b = %s",
                       op_kw[op], op_kw[op]);
    if (!two && d2 && op != OP_WAIT && op != OP_CONN_RECV && op != OP_GET)
        return scn_err(S, d2->off, "only pipe, socketpair, mp_pipe, cqe, take, "
                       "getevent, wait, conn_recv and get return two values");
    if (d1 && (op == OP_SAY || op == OP_EXIT))
        return scn_err(S, d1->off, "%s returns no value", op_kw[op]);
    if (!d1 && op == OP_SET)
        return scn_err(S, kw->off, "set needs a variable: x = set VALUE");
    if (op == OP_FORK || op == OP_THREAD || op == OP_SIGACTION ||
        op == OP_COROUTINE || op == OP_GENERATOR || op == OP_START)
        return scn_spawn(S, op, kw, d1);
    if ((op == OP_CLICK || op == OP_PRESS || op == OP_GETEVENT) &&
        S->p->kind_click < 0) { /* the kinds of the device's records */
        struct prog_arg c, k;
        if (scn_kind(S, "click", 5, kw->off, &c) < 0 ||
            scn_kind(S, "key", 3, kw->off, &k) < 0)
            return -1;
        S->p->kind_click = PROG_KIND_STR(c.v);
        S->p->kind_key = PROG_KIND_STR(k.v);
    }
    struct prog_ins in;
    scn_ins_init(S, &in, op, kw->off);
    int r = op == OP_SELECT || op == OP_POLL ? scn_fdlist(S, &in, kw->off)
                                             : scn_args(S, &in, kw->off);
    if (r < 0)
        return -1;
    if (d1 && (in.dst = scn_var_bind(S, d1)) < 0)
        return -1;
    if (d2 && (in.dst2 = scn_var_bind(S, d2)) < 0)
        return -1;
    if (scn_push(S, &in, kw->off) < 0)
        return -1;
    if (op == OP_MONKEY_PATCH && S->p->hub_pc == -1)
        S->p->hub_pc = -2; /* the hub's loop is compiled at the end */
    if (op == OP_COND_WAIT) { /* then takes the mutex again, as a lock */
        struct prog_ins lk;
        scn_ins_init(S, &lk, OP_LOCK, kw->off);
        lk.a[0] = in.a[1];
        lk.nargs = 1;
        return scn_push(S, &lk, kw->off) < 0 ? -1 : 0;
    }
    return 0;
}
void scn_op_near(struct scn_near *n)
{
    scn_near_list(n, op_kw, OP__COUNT);
}
