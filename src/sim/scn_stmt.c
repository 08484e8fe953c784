/*
 * scn_stmt.c - statements and control flow.  A statement is one line:
 * `[R [, R2] =] OP ARGS`, or a control keyword (if, else, while, loop,
 * repeat, for, break, continue) whose block is parsed by recursion and
 * compiled to jumps (the shapes are in prog.h).
 */
#include <string.h>

#include "sim/scn_int.h"

/* Statement keywords that are not operations */
static const char *const ctl_kw[] = {
    "if", "else", "while", "loop", "repeat", "for", "break", "continue",
    "shared", "handler", "return",
};

/* ---- statements -------------------------------------------------------- */

/* After a block header: '{' ending the line.  Opens a nesting level. */
int scn_open(struct scn *S, int *off)
{
    struct scn_tok *t = scn_take(S);
    char b[64];
    if (t->kind != T_LBRACE)
        return scn_err(S, t->off, "expected '{' at the end of the line, "
                       "found %s", scn_desc(S, t, b, sizeof b));
    if (S->tok[S->pos].kind != T_EOL)
        return scn_err(S, S->tok[S->pos].off, "'{' must end its line: put "
                       "the block's statements on the next lines");
    if (S->depth + 1 > PROG_MAX_DEPTH)
        return scn_err(S, t->off, "blocks nested too deeply: the limit is %d",
                       PROG_MAX_DEPTH);
    *off = t->off;
    return 0;
}

/* The line that closes a block starts with '}': which kind of end is it? */
static int scn_close(struct scn *S)
{
    struct scn_tok *t = S->tok;
    if (t[1].kind == T_EOL)
        return B_END;
    if (scn_word(&t[1], "else")) {
        if (scn_word(&t[2], "if")) {
            S->pos = 2;
            return B_ELSEIF;
        }
        S->pos = 2;
        return B_ELSE;
    }
    return scn_err(S, t[1].off, "'}' must be alone on its line (or "
                   "'} else {')");
}

/*
 * Parse the block whose '{' is on the current line (checked by scn_open),
 * up to the line that closes it, which is left current.  Returns how it
 * ended (enum scn_end).
 */
int scn_block(struct scn *S, int brace)
{
    int ln = S->ln, r;
    S->depth++;
    while ((r = scn_next(S)) > 0 && S->tok[0].kind != T_RBRACE)
        if (scn_stmt(S) < 0)
            return -1;
    S->depth--;
    if (r < 0)
        return -1;
    if (r == 0)
        return scn_err_at(S, ln + 1, scn_col(S->p->lines[ln], brace),
                          "this '{' is never closed: add a line with '}'");
    return scn_close(S);
}

/* A block header's '{', then the block, which must end with a plain '}' */
int scn_body(struct scn *S)
{
    int brace;
    if (scn_open(S, &brace) < 0)
        return -1;
    int r = scn_block(S, brace);
    if (r > B_END)
        return scn_err(S, S->tok[1].off, "'else' without 'if'");
    return r;
}

/* Parse "A CMP B" into a JIF */
static int scn_cond(struct scn *S, struct prog_ins *in)
{
    char b[64];
    if (scn_value(S, &in->a[0]) < 0)
        return -1;
    struct scn_tok *t = scn_take(S);
    if (t->kind == T_ASSIGN)
        return scn_err(S, t->off, "use '==' to compare, found '='");
    if (t->kind != T_CMP)
        return scn_err(S, t->off, "expected a comparison (== != < <= > >=), "
                       "found %s", scn_desc(S, t, b, sizeof b));
    in->flags = (uint16_t)t->cmp;
    in->nargs = 2;
    return scn_value(S, &in->a[1]);
}

static int scn_if(struct scn *S, const struct scn_tok *kw)
{
    int ends = -1; /* JMPs to the end of the chain */
    int off = kw->off;
    for (;;) {
        struct prog_ins in;
        scn_ins_init(S, &in, OP_JIF, off);
        if (scn_cond(S, &in) < 0)
            return -1;
        int brace;
        if (scn_open(S, &brace) < 0)
            return -1;
        int j = scn_push(S, &in, off);
        if (j < 0)
            return -1;
        int r = scn_block(S, brace);
        if (r < 0)
            return -1;
        if (r == B_END) {
            S->p->code[j].jump = S->p->ncode;
            break;
        }
        int e = scn_emit(S, OP_JMP, S->tok[0].off, ends);
        if (e < 0)
            return -1;
        ends = e;
        S->p->code[j].jump = S->p->ncode;
        if (r == B_ELSE) {
            if (scn_body(S) < 0)
                return -1;
            break;
        }
        off = S->tok[S->pos].off; /* B_ELSEIF: at "if" */
        S->pos++;
    }
    scn_patch(S, ends, S->p->ncode);
    return 0;
}

/* Parse a loop's body with ctx as the innermost loop; then emit the
 * instructions that end the loop (back jump) with tail() */
static int scn_loop_body(struct scn *S, struct scn_loop *ctx)
{
    ctx->up = S->loop;
    ctx->brk = ctx->cont = -1;
    S->loop = ctx;
    int r = scn_body(S);
    S->loop = ctx->up;
    return r;
}

static int scn_while(struct scn *S, const struct scn_tok *kw)
{
    struct prog_ins in;
    struct scn_loop ctx;
    int top = S->p->ncode;
    scn_ins_init(S, &in, OP_JIF, kw->off);
    if (scn_cond(S, &in) < 0)
        return -1;
    int j = scn_push(S, &in, kw->off);
    if (j < 0 || scn_loop_body(S, &ctx) < 0)
        return -1;
    if (scn_emit(S, OP_JMP, S->tok[0].off, top) < 0)
        return -1;
    S->p->code[j].jump = S->p->ncode;
    scn_patch(S, ctx.brk, S->p->ncode);
    scn_patch(S, ctx.cont, top);
    return 0;
}

static int scn_loopstmt(struct scn *S)
{
    struct scn_loop ctx;
    int top = S->p->ncode;
    if (scn_loop_body(S, &ctx) < 0)
        return -1;
    if (scn_emit(S, OP_JMP, S->tok[0].off, top) < 0)
        return -1;
    scn_patch(S, ctx.brk, S->p->ncode);
    scn_patch(S, ctx.cont, top);
    return 0;
}

static int scn_repeat(struct scn *S, const struct scn_tok *kw)
{
    struct prog_ins in;
    struct scn_loop ctx;
    struct scn_tok *t = scn_take(S);
    struct prog_arg n = {0};
    if (t->kind == T_IDENT) {
        if (scn_arg_var(S, t, &n, HINT_VAR) < 0)
            return -1;
    } else if (t->kind == T_INT && t->unit == U_NONE && t->v >= 0) {
        scn_const(&n, t->v);
    } else {
        return scn_err(S, t->off, "repeat takes a count: repeat 3 {");
    }
    int k = scn_slot_new(S, "(repeat)", 8, kw->off);
    if (k < 0)
        return -1;
    scn_ins_init(S, &in, OP_SET, kw->off);
    in.dst = k;
    in.nargs = 1;
    scn_const(&in.a[0], 0);
    if (scn_push(S, &in, kw->off) < 0)
        return -1;
    scn_ins_init(S, &in, OP_JIF, kw->off);
    in.flags = CMP_LT;
    in.nargs = 2;
    in.a[0] = (struct prog_arg){ARG_SLOT, 0, k};
    in.a[1] = n;
    int top = scn_push(S, &in, kw->off);
    if (top < 0 || scn_loop_body(S, &ctx) < 0)
        return -1;
    int off = S->tok[0].off;
    scn_ins_init(S, &in, OP_ADD, off);
    in.dst = k;
    in.nargs = 2;
    in.a[0] = (struct prog_arg){ARG_SLOT, 0, k};
    scn_const(&in.a[1], 1);
    int cont = scn_push(S, &in, off);
    if (cont < 0 || scn_emit(S, OP_JMP, off, top) < 0)
        return -1;
    S->p->code[top].jump = S->p->ncode;
    scn_patch(S, ctx.brk, S->p->ncode);
    scn_patch(S, ctx.cont, cont);
    return 0;
}

static int scn_for(struct scn *S, const struct scn_tok *kw)
{
    struct scn_tok *v = scn_take(S);
    char b[64];
    if (S->in_for)
        return scn_err(S, kw->off, "'for' loops cannot be nested: a task "
                       "iterates over one ready list at a time");
    if (v->kind != T_IDENT)
        return scn_err(S, v->off, "expected a variable: for fd in ready {, "
                       "found %s", scn_desc(S, v, b, sizeof b));
    struct scn_tok *t = scn_take(S);
    if (!scn_word(t, "in"))
        return scn_err(S, t->off, "expected 'in': for %.*s in ready {, found "
                       "%s", v->len, v->s, scn_desc(S, t, b, sizeof b));
    t = scn_take(S);
    int watched = scn_word(t, "watched");
    if (!watched && !scn_word(t, "ready"))
        return scn_err(S, t->off, "expected 'ready' or 'watched': for %.*s "
                       "in ready {, found %s", v->len, v->s,
                       scn_desc(S, t, b, sizeof b));
    int slot = scn_var_bind(S, v);
    if (slot < 0)
        return -1;
    struct prog_ins in;
    struct scn_loop ctx;
    scn_ins_init(S, &in, OP_FOR_START, kw->off);
    in.dst = slot;
    in.flags = (uint16_t)watched;
    int start = scn_push(S, &in, kw->off);
    if (start < 0)
        return -1;
    S->in_for = 1;
    int r = scn_loop_body(S, &ctx);
    S->in_for = 0;
    if (r < 0)
        return -1;
    scn_ins_init(S, &in, OP_FOR_NEXT, S->tok[0].off);
    in.dst = slot;
    in.jump = start + 1;
    int next = scn_push(S, &in, S->tok[0].off);
    if (next < 0)
        return -1;
    S->p->code[start].jump = S->p->ncode;
    scn_patch(S, ctx.brk, S->p->ncode);
    scn_patch(S, ctx.cont, next);
    return 0;
}

static int scn_jump_out(struct scn *S, const struct scn_tok *kw, int brk)
{
    const char *w = brk ? "break" : "continue";
    if (!S->loop)
        return scn_err(S, kw->off, "'%s' outside a loop", w);
    if (scn_expect_eol(S, w) < 0)
        return -1;
    int *chain = brk ? &S->loop->brk : &S->loop->cont;
    int pc = scn_emit(S, OP_JMP, kw->off, *chain);
    if (pc < 0)
        return -1;
    *chain = pc;
    return 0;
}


/* shared NAME [NAME...]: variables in the process's memory, which its
 * threads and coroutines share; a forked child gets its own copy */
static int scn_shared(struct scn *S, const struct scn_tok *kw)
{
    char b[64];
    if (S->tok[S->pos].kind == T_EOL)
        return scn_err(S, kw->off, "shared takes one or more names: shared "
                       "counter");
    while (S->tok[S->pos].kind != T_EOL) {
        struct scn_tok *t = scn_take(S);
        if (t->kind != T_IDENT)
            return scn_err(S, t->off, "expected a name: shared counter, found "
                           "%s", scn_desc(S, t, b, sizeof b));
        if (scn_var_find(S, t->s, t->len) >= 0)
            return scn_err(S, t->off, "'%.*s' is already a variable: declare "
                           "it shared before its first use", t->len, t->s);
        if (scn_shared_new(S, t) < 0)
            return -1;
    }
    return 0;
}

/* X = A OP B (+ - * / %): integer arithmetic in user space */
static int scn_arith(struct scn *S, const struct scn_tok *d1)
{
    struct prog_ins in;
    int off = S->tok[S->pos].off;
    char b[64];
    scn_ins_init(S, &in, OP_ARITH, off);
    if (scn_value(S, &in.a[0]) < 0)
        return -1;
    in.flags = (uint16_t)scn_take(S)->cmp; /* the caller saw a T_ARITH */
    if (scn_value(S, &in.a[1]) < 0)
        return -1;
    in.nargs = 2;
    struct scn_tok *t = &S->tok[S->pos];
    if (t->kind == T_ARITH)
        return scn_err(S, t->off, "one operator a line: write x = a + b, "
                       "then x = x * c");
    if (t->kind != T_EOL)
        return scn_err(S, t->off, "unexpected %s after the expression%s",
                       scn_desc(S, t, b, sizeof b),
                       t->kind == T_INT && t->v < 0
                           ? ": to subtract, put a space after '-'" : "");
    if ((in.dst = scn_var_bind(S, d1)) < 0)
        return -1;
    return scn_push(S, &in, off) < 0 ? -1 : 0;
}

/* return: leave the handler being run (RET), back to its caller */
static int scn_return(struct scn *S, const struct scn_tok *kw)
{
    if (!S->in_handler)
        return scn_err(S, kw->off, "'return' outside a handler: a task's "
                       "own code ends with exit");
    if (scn_expect_eol(S, "return") < 0)
        return -1;
    return scn_emit(S, OP_RET, kw->off, -1) < 0 ? -1 : 0;
}

static int scn_ctl(struct scn *S, const struct scn_tok *kw)
{
    if (scn_word(kw, "handler"))
        return scn_handler(S, kw);
    if (scn_word(kw, "return"))
        return scn_return(S, kw);
    if (scn_word(kw, "shared"))
        return scn_shared(S, kw);
    if (scn_word(kw, "if"))
        return scn_if(S, kw);
    if (scn_word(kw, "while"))
        return scn_while(S, kw);
    if (scn_word(kw, "loop"))
        return scn_loopstmt(S);
    if (scn_word(kw, "repeat"))
        return scn_repeat(S, kw);
    if (scn_word(kw, "for"))
        return scn_for(S, kw);
    if (scn_word(kw, "break"))
        return scn_jump_out(S, kw, 1);
    if (scn_word(kw, "continue"))
        return scn_jump_out(S, kw, 0);
    return scn_err(S, kw->off, "'else' must follow the '}' of an if: "
                   "} else {");
}

static int scn_unknown_op(struct scn *S, const struct scn_tok *kw)
{
    struct scn_near n = {kw->s, kw->len, NULL, 0};
    scn_op_near(&n);
    scn_near_list(&n, ctl_kw, NELEM(ctl_kw));
    if (n.best)
        return scn_err(S, kw->off, "unknown operation '%.*s'; did you mean "
                       "'%s'?", kw->len, kw->s, n.best);
    return scn_err(S, kw->off, "unknown operation '%.*s'", kw->len, kw->s);
}

int scn_is_ctl(const struct scn_tok *t)
{
    for (int i = 0; i < NELEM(ctl_kw); i++)
        if (scn_word(t, ctl_kw[i]))
            return 1;
    return 0;
}

/* One statement: the current line */
int scn_stmt(struct scn *S)
{
    struct scn_tok *t = S->tok, *d1 = NULL, *d2 = NULL;
    char b[64];
    if (t[0].kind == T_IDENT && t[1].kind == T_ASSIGN) {
        d1 = &t[0];
        S->pos = 2;
    } else if (t[0].kind == T_IDENT && t[1].kind == T_COMMA) {
        if (t[2].kind != T_IDENT || t[3].kind != T_ASSIGN)
            return scn_err(S, t[2].off, "expected two results: r, w = pipe");
        d1 = &t[0];
        d2 = &t[2];
        S->pos = 4;
    }
    if (d1 && !d2 && t[S->pos].kind != T_EOL && t[S->pos + 1].kind == T_ARITH)
        return scn_arith(S, d1);
    struct scn_tok *kw = scn_take(S);
    if (kw->kind != T_IDENT) {
        if (d1 && kw->kind == T_INT)
            return scn_err(S, kw->off, "expected an operation after '=', "
                           "found %s; to assign a value write %.*s = set %.*s",
                           scn_desc(S, kw, b, sizeof b), d1->len, d1->s,
                           kw->len, S->p->lines[S->ln] + kw->off);
        return scn_err(S, kw->off, "expected %s, found %s",
                       d1 ? "an operation after '='" : "a statement",
                       scn_desc(S, kw, b, sizeof b));
    }
    if (scn_is_ctl(kw)) {
        if (d1)
            return scn_err(S, kw->off, "'%.*s' returns no value", kw->len,
                           kw->s);
        return scn_ctl(S, kw);
    }
    int op = scn_op_find(kw);
    if (op < 0) {
        if (d1 && scn_var_find(S, kw->s, kw->len) >= 0 &&
            S->tok[S->pos].kind == T_INT && S->tok[S->pos].v < 0)
            return scn_err(S, S->tok[S->pos].off, "to subtract, put a space "
                           "after '-': %.*s = %.*s - %lld", d1->len, d1->s,
                           kw->len, kw->s, -(long long)S->tok[S->pos].v);
        if (d1 && scn_var_find(S, kw->s, kw->len) >= 0)
            return scn_err(S, kw->off, "to copy a variable write %.*s = set "
                           "%.*s", d1->len, d1->s, kw->len, kw->s);
        return scn_unknown_op(S, kw);
    }
    return scn_op(S, op, kw, d1, d2);
}