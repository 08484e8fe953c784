/*
 * scn_int.h - what the four files of the scenario compiler share; nothing
 * outside src/sim/scn*.c includes it (the interface is scn.h).
 *
 * The compiler reads and compiles in one pass, split along its seams:
 *   scn_lex.c   errors and suggestions, splitting and checking the source,
 *               the lexer (one line of tokens at a time), token helpers
 *   scn_stmt.c  statements and control flow: blocks, if/while/loop/repeat/
 *               for, break and continue, compiled to jumps
 *   scn_op.c    operations and their operands: building instructions,
 *               variables (slots), operand kinds, the PROG_OPS table
 *   scn.c       declarations and settings (title, model, machine, caption,
 *               process, peer, server), and the entry points
 *
 * The source is first split into lines, each checked (no NUL byte, valid
 * UTF-8, at most PROG_MAX_LINE bytes) and kept in prog->lines.  The parser
 * then pulls one line at a time; the lexer turns it into tokens (at most
 * one per byte, in a buffer allocated once) and each statement is compiled
 * at once into prog->code.  Blocks are parsed by recursion, bounded by
 * PROG_MAX_DEPTH.  Forward jumps whose target is not known yet (break,
 * continue, the end of an if/else chain) are chained through their .jump
 * fields and patched when the target is known, so nothing else is
 * allocated for them.  The encodings are described in prog.h.
 *
 * Errors: the first one wins.  Every function returns -1 after writing the
 * message; scn_parse() then frees the partial prog, which owns everything
 * allocated so far (nothing is allocated outside it, except the token and
 * scratch buffers freed in scn_parse).  Tokens point into the current line
 * (or the scratch buffer): they are valid until the next scn_next().
 */
#ifndef IOSIM_SCN_INT_H
#define IOSIM_SCN_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/prog.h"

enum scn_tk { T_EOL, T_IDENT, T_INT, T_STR, T_ASSIGN, T_CMP, T_COMMA,
              T_LBRACE, T_RBRACE, T_ARITH };
enum scn_unit { U_NONE, U_TIME, U_SIZE };
/* How a block ended: '}', '} else {', '} else if ... {' */
enum scn_end { B_END, B_ELSE, B_ELSEIF };

struct scn_tok {
    int kind;      /* enum scn_tk */
    int off, len;  /* bytes in the line */
    int unit;      /* T_INT: enum scn_unit */
    int cmp;       /* T_CMP: enum prog_cmp; T_ARITH: enum prog_arith */
    int64_t v;     /* T_INT: value, in ns or bytes */
    const char *s; /* T_IDENT: in the line; T_STR: decoded, in scratch */
    int slen;
};

struct scn_loop {
    struct scn_loop *up;
    int brk, cont; /* chains of JMPs waiting for the exit / continue pc */
};

struct scn {
    struct prog *p;
    char *err;
    size_t errlen;
    int ln;               /* current line, 0-based */
    struct scn_tok *tok;  /* tokens of the current line, ending in T_EOL */
    int pos;              /* next token */
    char *scratch;        /* decoded strings of the current line */
    int task;             /* top-level declaration being compiled */
    int slotcap;          /* of the current task's slot_names */
    int *vh;              /* index of slot_names: slot + 1 by name hash,
                             open addressing (scn_var_find) */
    int vhcap, vh_task, vh_n; /* its size, the task it indexes, names in it */
    int linecap;          /* of prog->lines */
    int depth;            /* open blocks */
    int in_for;
    int in_handler;       /* 1 while a handler's block is compiled */
    int need_feeder;      /* a Queue's put: compile its feeder thread */
    int need_manager;     /* mp_manager: compile its server's code */
    int need_fsrv;        /* start forkserver: compile the fork server's */
    int npools;           /* pool declarations so far (they count the
                             machine's CPUs: no machine block after one) */
    long instances;
    struct scn_loop *loop; /* innermost loop, NULL outside loops */
    int title_ln, model_ln, machine_ln;
    const char *model_override; /* iosim --model: every server's model */
    char server_model[64];      /* the first server's model */
};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A search for the known word nearest to w (for "did you mean") */
struct scn_near {
    const char *w;
    int wlen;
    const char *best;
    int bestd;
};

#define HINT_FD "expected an fd: a variable assigned earlier, such as " \
                "c = accept s"
#define HINT_VAR "a variable must be assigned before it is used, such as " \
                 "n = read c 4K"

/* ---- scn_lex.c: errors, source lines, tokens ---- */

/* Column (in characters, from 1) of byte off in s */
int scn_col(const char *s, int off);
/* Write the message (if none was written yet) and return -1 */
__attribute__((format(printf, 4, 5)))
int scn_err_at(struct scn *S, int line, int col, const char *fmt, ...);
/* An error at byte off of the current line */
__attribute__((format(printf, 3, 4)))
int scn_err(struct scn *S, int off, const char *fmt, ...);
int scn_oom(struct scn *S, int off);
/* "'text'" (shortened) or "end of line", for messages */
const char *scn_desc(struct scn *S, const struct scn_tok *t, char *buf,
                     size_t n);
void scn_near_try(struct scn_near *n, const char *cand);
void scn_near_list(struct scn_near *n, const char *const *c, int nc);
/* Returns the array with room for need elements, or NULL (a is kept) */
void *scn_grow(void *a, int *cap, int need, size_t size);
char *scn_strndup(const char *s, size_t n);
/* Split text into checked lines (prog->lines) */
int scn_split(struct scn *S, const char *text, size_t len);
/* Move to the next line with tokens: 1, or 0 at the end, -1 on error */
int scn_next(struct scn *S);
struct scn_tok *scn_take(struct scn *S);
int scn_word(const struct scn_tok *t, const char *w);
/* Tokens left before the end of the line */
int scn_left(struct scn *S);
int scn_expect_eol(struct scn *S, const char *after);

/* ---- scn_stmt.c: statements and control flow ---- */

/* After a block header: '{' ending the line.  Opens a nesting level. */
int scn_open(struct scn *S, int *off);
/* The block whose '{' scn_open checked, up to the line that closes it
 * (left current); returns how it ended (enum scn_end) */
int scn_block(struct scn *S, int brace);
/* A block header's '{', then the block, which must end with a plain '}' */
int scn_body(struct scn *S);
/* One statement: the current line */
int scn_stmt(struct scn *S);
/* Is t a control-flow keyword (if, while, ...)? */
int scn_is_ctl(const struct scn_tok *t);

/* ---- scn_op.c: instructions, variables, operands, operations ---- */

void scn_ins_init(struct scn *S, struct prog_ins *in, int op, int off);
/* Append *in; returns its pc.  off locates the error if the code is full. */
int scn_push(struct scn *S, const struct prog_ins *in, int off);
/* Emit a bare op (JMP, EXIT, ...) at byte off of the current line */
int scn_emit(struct scn *S, int op, int off, int jump);
/* Point every JMP of a chain (linked through .jump) at target */
void scn_patch(struct scn *S, int chain, int target);
struct prog_task *scn_cur(struct scn *S);
int scn_var_find(struct scn *S, const char *s, int len);
/* A new slot named s (len bytes) */
int scn_slot_new(struct scn *S, const char *s, int len, int off);
/* A new slot in the process's memory (`shared NAME`) */
int scn_shared_new(struct scn *S, const struct scn_tok *t);
/* The slot of variable t, created on first assignment */
int scn_var_bind(struct scn *S, const struct scn_tok *t);
void scn_const(struct prog_arg *a, int64_t v);
/* A variable operand, or -1 with an error */
int scn_arg_var(struct scn *S, const struct scn_tok *t, struct prog_arg *a,
                const char *hint);
/* A value: a variable, an integer (any unit) or an errno name */
int scn_value(struct scn *S, struct prog_arg *a);
/* The handler named like t in the current declaration, or -1 */
int scn_handler_find(struct scn *S, const struct scn_tok *t);
/* handler NAME [PARAM] { ... } (scn_op.c) */
int scn_handler(struct scn *S, const struct scn_tok *kw);
int scn_arg_fd(struct scn *S, struct scn_tok *t, struct prog_arg *a);
int scn_arg_time(struct scn *S, struct scn_tok *t, struct prog_arg *a);
/* The operation named t (enum prog_op), or -1 */
int scn_op_find(const struct scn_tok *t);
/* Offer every operation's keyword to a "did you mean" search */
void scn_op_near(struct scn_near *n);
/* An operation from PROG_OPS with its results d1 (and d2) */
int scn_op(struct scn *S, int op, const struct scn_tok *kw,
           const struct scn_tok *d1, const struct scn_tok *d2);

#endif
