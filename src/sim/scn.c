/*
 * scn.c - the scenario language: lexer, parser and compiler in one pass.
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
 * scratch buffers freed in scn_parse).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/scn.h"
#include "sim/server.h"
#include "tl/tl.h"

enum scn_tk { T_EOL, T_IDENT, T_INT, T_STR, T_ASSIGN, T_CMP, T_COMMA,
              T_LBRACE, T_RBRACE };
enum scn_unit { U_NONE, U_TIME, U_SIZE };
/* How a block ended: '}', '} else {', '} else if ... {' */
enum scn_end { B_END, B_ELSE, B_ELSEIF };

struct scn_tok {
    int kind;      /* enum scn_tk */
    int off, len;  /* bytes in the line */
    int unit;      /* T_INT: enum scn_unit */
    int cmp;       /* T_CMP: enum prog_cmp */
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
    int linecap;          /* of prog->lines */
    int depth;            /* open blocks */
    int in_for;
    long instances;
    struct scn_loop *loop; /* innermost loop, NULL outside loops */
    int title_ln, model_ln, machine_ln;
    const char *model_override; /* iosim --model: every server's model */
    char server_model[64];      /* the first server's model */
};

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

/* Statement keywords that are not operations */
static const char *const ctl_kw[] = {
    "if", "else", "while", "loop", "repeat", "for", "break", "continue",
};
static const char *const decl_kw[] = {
    "title", "model", "machine", "caption", "process", "peer", "server",
};
/* Errno names offered as suggestions (only those tl knows are used) */
static const char *const errno_kw[] = {
    "EAGAIN", "EWOULDBLOCK", "EINTR", "ECONNRESET", "EPIPE", "EBADF",
    "EINVAL", "ECONNREFUSED", "EADDRINUSE", "EMFILE", "ENOTCONN",
    "EINPROGRESS", "ETIMEDOUT", "ECHILD", "ENOMEM", "ECONNABORTED",
};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- errors ---------------------------------------------------------- */

/* Column (in characters, from 1) of byte off in s */
static int scn_col(const char *s, int off)
{
    int col = 1;
    for (int i = 0; i < off && s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            col++;
    return col;
}

__attribute__((format(printf, 4, 0)))
static int scn_verr(struct scn *S, int line, int col, const char *fmt,
                    va_list ap)
{
    if (!S->err || !S->errlen)
        return -1;
    int n = snprintf(S->err, S->errlen, "%s:%d:%d: error: ", S->p->path,
                     line, col);
    if (n >= 0 && (size_t)n < S->errlen)
        vsnprintf(S->err + n, S->errlen - (size_t)n, fmt, ap);
    return -1;
}

__attribute__((format(printf, 4, 5)))
static int scn_err_at(struct scn *S, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scn_verr(S, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* An error at byte off of the current line */
__attribute__((format(printf, 3, 4)))
static int scn_err(struct scn *S, int off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scn_verr(S, S->ln + 1, scn_col(S->p->lines[S->ln], off), fmt, ap);
    va_end(ap);
    return -1;
}

static int scn_oom(struct scn *S, int off)
{
    return scn_err(S, off, "out of memory");
}

/* "'text'" (shortened) or "end of line", for messages */
static const char *scn_desc(struct scn *S, const struct scn_tok *t,
                            char *buf, size_t n)
{
    if (t->kind == T_EOL)
        return "end of line";
    int len = t->len;
    const char *s = S->p->lines[S->ln] + t->off;
    if (len > 40) {
        len = 40;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    snprintf(buf, n, "'%.*s%s'", len, s, len < t->len ? "..." : "");
    return buf;
}

/* ---- suggestions ------------------------------------------------------ */

struct scn_near {
    const char *w;
    int wlen;
    const char *best;
    int bestd;
};

/* Optimal string alignment distance, for words up to 63 bytes */
static int scn_dist(const char *a, int la, const char *b, int lb)
{
    int d[64][64];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++) {
        for (int j = 1; j <= lb; j++) {
            int c = a[i - 1] != b[j - 1];
            int v = d[i - 1][j - 1] + c;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

static void scn_near_try(struct scn_near *n, const char *cand)
{
    int lc = (int)strlen(cand);
    if (!n->w || n->wlen > 63 || lc > 63 || cand[0] == '(')
        return; /* no word (a number, a string...), or too long */
    int d = scn_dist(n->w, n->wlen, cand, lc);
    int longer = lc > n->wlen ? lc : n->wlen;
    if (d == 0 || d > 2 || 2 * d > longer)
        return;
    if (!n->best || d < n->bestd) {
        n->best = cand;
        n->bestd = d;
    }
}

static void scn_near_list(struct scn_near *n, const char *const *c, int nc)
{
    for (int i = 0; i < nc; i++)
        scn_near_try(n, c[i]);
}

/* ---- growing arrays --------------------------------------------------- */

/* Returns the array with room for need elements, or NULL (a is kept) */
static void *scn_grow(void *a, int *cap, int need, size_t size)
{
    if (need <= *cap)
        return a;
    int nc = *cap ? *cap : 8;
    while (nc < need)
        nc *= 2;
    void *q = realloc(a, (size_t)nc * size);
    if (q)
        *cap = nc;
    return q;
}

static char *scn_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* ---- splitting and checking the source -------------------------------- */

/* Length of the UTF-8 sequence at s (n bytes left), 0 if invalid */
static int scn_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    int len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)len > n)
        return 0;
    unsigned cp = c & (0x3Fu >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Check one line of n bytes (line number ln, 0-based) */
static int scn_check_line(struct scn *S, int ln, const char *s, size_t n)
{
    int col = 1;
    for (size_t i = 0; i < n; col++) {
        if (s[i] == 0)
            return scn_err_at(S, ln + 1, col, "NUL byte in the file");
        int l = scn_utf8_len((const unsigned char *)s + i, n - i);
        if (!l)
            return scn_err_at(S, ln + 1, col,
                              "invalid UTF-8: the file must be UTF-8 text");
        i += (size_t)l;
    }
    if (n > PROG_MAX_LINE)
        return scn_err_at(S, ln + 1, scn_col(s, PROG_MAX_LINE),
                          "line too long: %zu bytes, the limit is %d", n,
                          PROG_MAX_LINE);
    return 0;
}

static int scn_add_line(struct scn *S, const char *s, size_t n)
{
    struct prog *p = S->p;
    char **q = scn_grow(p->lines, &S->linecap, p->nlines + 1, sizeof *q);
    if (!q)
        return -1;
    p->lines = q;
    if (!(q[p->nlines] = scn_strndup(s, n)))
        return -1;
    p->nlines++;
    return 0;
}

static int scn_split(struct scn *S, const char *text, size_t len)
{
    if (len > PROG_MAX_FILE)
        return scn_err_at(S, 1, 1, "file too large: %zu bytes, the limit is "
                          "%ld", len, PROG_MAX_FILE);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3; /* a byte order mark */
        len -= 3;
    }
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - start;
        if (n > 0 && text[start + n - 1] == '\r')
            n--;
        if (scn_check_line(S, S->p->nlines, text + start, n) < 0)
            return -1;
        if (scn_add_line(S, text + start, n) < 0)
            return scn_err_at(S, S->p->nlines + 1, 1, "out of memory");
        start = end + 1;
    }
    return 0;
}

/* ---- lexer ------------------------------------------------------------ */

static int scn_isalpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int scn_isdigit(int c)
{
    return c >= '0' && c <= '9';
}

static const struct {
    const char *name;
    int unit;
    int64_t mult;
} scn_units[] = {
    {"ns", U_TIME, 1},          {"us", U_TIME, 1000},
    {"ms", U_TIME, 1000000},    {"s", U_TIME, 1000000000},
    {"B", U_SIZE, 1},           {"K", U_SIZE, 1024},
    {"M", U_SIZE, 1024 * 1024}, {"G", U_SIZE, 1024 * 1024 * 1024},
};

static int scn_lex_num(struct scn *S, const char *l, struct scn_tok *t)
{
    int i = t->off, neg = l[i] == '-';
    int64_t v = 0, mult = 1;
    i += neg;
    for (; scn_isdigit(l[i]); i++) {
        int d = l[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return scn_err(S, t->off, "number too large: the limit is %lld",
                           (long long)INT64_MAX);
        v = v * 10 + d;
    }
    int s0 = i;
    while (scn_isalpha(l[i]) || scn_isdigit(l[i]))
        i++;
    if (l[i] == '.')
        return scn_err(S, t->off, "numbers are whole: write 1500us, not "
                       "1.5ms");
    t->unit = U_NONE;
    if (i > s0) {
        int k = 0;
        while (k < NELEM(scn_units)
               && !((int)strlen(scn_units[k].name) == i - s0
                    && memcmp(scn_units[k].name, l + s0, (size_t)(i - s0)) == 0))
            k++;
        if (k == NELEM(scn_units))
            return scn_err(S, s0, "unknown unit '%.*s': use ns, us, ms or s "
                           "for a time, B, K, M or G for a size", i - s0,
                           l + s0);
        t->unit = scn_units[k].unit;
        mult = scn_units[k].mult;
    }
    if (v > INT64_MAX / mult)
        return scn_err(S, t->off, "number too large: the limit is %lld",
                       (long long)INT64_MAX);
    t->kind = T_INT;
    t->v = neg ? -(v * mult) : v * mult;
    t->len = i - t->off;
    return 0;
}

static int scn_lex_str(struct scn *S, const char *l, struct scn_tok *t,
                       char **sc)
{
    char *o = *sc;
    int i = t->off + 1;
    t->s = o;
    while (l[i] != '"') {
        if (!l[i])
            return scn_err(S, t->off, "unterminated string: add the closing "
                           "'\"'");
        if (l[i] != '\\') {
            *o++ = l[i++];
            continue;
        }
        char e = l[i + 1];
        if (e == '"' || e == '\\')
            *o++ = e;
        else if (e == 'n')
            *o++ = '\n';
        else if (!e)
            return scn_err(S, t->off, "unterminated string: add the closing "
                           "'\"'");
        else
            return scn_err(S, i, "unknown escape in a string: use \\\", \\\\ "
                           "or \\n");
        i += 2;
    }
    *o++ = 0;
    t->kind = T_STR;
    t->slen = (int)(o - 1 - t->s);
    t->len = i + 1 - t->off;
    *sc = o;
    return 0;
}

static int scn_lex_bad(struct scn *S, const char *l, int i)
{
    unsigned char c = (unsigned char)l[i];
    if (c == '!')
        return scn_err(S, i, "unexpected '!': did you mean '!='?");
    if (c == '-')
        return scn_err(S, i, "unexpected '-': a negative number is written "
                       "-5, with no space");
    if (c < 0x20 || c == 0x7F)
        return scn_err(S, i, "unexpected control character 0x%02x", c);
    int n = scn_utf8_len((const unsigned char *)l + i, strlen(l + i));
    return scn_err(S, i, "unexpected character '%.*s'", n ? n : 1, l + i);
}

static int scn_lex_op(struct scn *S, const char *l, struct scn_tok *t)
{
    int i = t->off;
    char c = l[i], c1 = l[i + 1];
    t->len = 1;
    switch (c) {
    case ',': t->kind = T_COMMA; return 0;
    case '{': t->kind = T_LBRACE; return 0;
    case '}': t->kind = T_RBRACE; return 0;
    case '=':
        t->kind = c1 == '=' ? T_CMP : T_ASSIGN;
        t->cmp = CMP_EQ;
        break;
    case '!':
        if (c1 != '=')
            return scn_lex_bad(S, l, i);
        t->kind = T_CMP;
        t->cmp = CMP_NE;
        break;
    case '<':
        t->kind = T_CMP;
        t->cmp = c1 == '=' ? CMP_LE : CMP_LT;
        break;
    case '>':
        t->kind = T_CMP;
        t->cmp = c1 == '=' ? CMP_GE : CMP_GT;
        break;
    default:
        return scn_lex_bad(S, l, i);
    }
    if (c1 == '=')
        t->len = 2;
    return 0;
}

static int scn_lex1(struct scn *S, const char *l, struct scn_tok *t,
                    char **sc)
{
    int i = t->off;
    if (scn_isalpha(l[i])) {
        int j = i; /* a dash between letters belongs to the name: epoll-et */
        while (scn_isalpha(l[j]) || scn_isdigit(l[j]) ||
               (l[j] == '-' && scn_isalpha(l[j + 1]) && j > i))
            j++;
        t->kind = T_IDENT;
        t->s = l + i;
        t->len = t->slen = j - i;
        return 0;
    }
    if (scn_isdigit(l[i]) || (l[i] == '-' && scn_isdigit(l[i + 1])))
        return scn_lex_num(S, l, t);
    if (l[i] == '"')
        return scn_lex_str(S, l, t, sc);
    return scn_lex_op(S, l, t);
}

/* Tokenize the current line into S->tok, ending with T_EOL */
static int scn_lex(struct scn *S)
{
    const char *l = S->p->lines[S->ln];
    char *sc = S->scratch;
    int i = 0;
    for (int n = 0;; n++) {
        while (l[i] == ' ' || l[i] == '\t')
            i++;
        struct scn_tok *t = &S->tok[n];
        memset(t, 0, sizeof *t);
        t->off = i;
        if (!l[i] || l[i] == '#')
            return 0;
        if (scn_lex1(S, l, t, &sc) < 0)
            return -1;
        i += t->len;
    }
}

/* Move to the next line with tokens: 1, or 0 at the end, -1 on error */
static int scn_next(struct scn *S)
{
    while (S->ln + 1 < S->p->nlines) {
        S->ln++;
        S->pos = 0;
        if (scn_lex(S) < 0)
            return -1;
        if (S->tok[0].kind != T_EOL)
            return 1;
    }
    return 0;
}

/* ---- token helpers ---------------------------------------------------- */

static struct scn_tok *scn_take(struct scn *S)
{
    struct scn_tok *t = &S->tok[S->pos];
    if (t->kind != T_EOL)
        S->pos++;
    return t;
}

static int scn_word(const struct scn_tok *t, const char *w)
{
    return t->kind == T_IDENT && (int)strlen(w) == t->len
        && memcmp(t->s, w, (size_t)t->len) == 0;
}

/* Tokens left before the end of the line */
static int scn_left(struct scn *S)
{
    int n = 0;
    while (S->tok[S->pos + n].kind != T_EOL)
        n++;
    return n;
}

static int scn_expect_eol(struct scn *S, const char *after)
{
    struct scn_tok *t = &S->tok[S->pos];
    char b[64];
    if (t->kind == T_EOL)
        return 0;
    return scn_err(S, t->off, "unexpected %s after %s",
                   scn_desc(S, t, b, sizeof b), after);
}

/* ---- building the prog ------------------------------------------------ */

static void scn_ins_init(struct scn *S, struct prog_ins *in, int op, int off)
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
static int scn_push(struct scn *S, const struct prog_ins *in, int off)
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
static int scn_emit(struct scn *S, int op, int off, int jump)
{
    struct prog_ins in;
    scn_ins_init(S, &in, op, off);
    in.jump = jump;
    return scn_push(S, &in, off);
}

/* Point every JMP of a chain (linked through .jump) at target */
static void scn_patch(struct scn *S, int chain, int target)
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

static struct prog_task *scn_cur(struct scn *S)
{
    return &S->p->tasks[S->task];
}

static int scn_var_find(struct scn *S, const char *s, int len)
{
    if (S->task < 0)
        return -1; /* top level: no variables */
    struct prog_task *t = scn_cur(S);
    for (int i = 0; i < t->nslots; i++)
        if ((int)strlen(t->slot_names[i]) == len
            && memcmp(t->slot_names[i], s, (size_t)len) == 0)
            return i;
    return -1;
}

/* A new slot named s (len bytes) */
static int scn_slot_new(struct scn *S, const char *s, int len, int off)
{
    struct prog_task *t = scn_cur(S);
    char **q = scn_grow(t->slot_names, &S->slotcap, t->nslots + 1, sizeof *q);
    if (!q)
        return scn_oom(S, off);
    t->slot_names = q;
    if (!(q[t->nslots] = scn_strndup(s, (size_t)len)))
        return scn_oom(S, off);
    return t->nslots++;
}

/* The slot of variable t, created on first assignment */
static int scn_var_bind(struct scn *S, const struct scn_tok *t)
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

#define HINT_FD "expected an fd: a variable assigned earlier, such as " \
                "c = accept s"
#define HINT_VAR "a variable must be assigned before it is used, such as " \
                 "n = read c 4K"

static void scn_const(struct prog_arg *a, int64_t v)
{
    a->kind = ARG_CONST;
    a->v = v;
}

/* A variable operand, or -1 with an error */
static int scn_arg_var(struct scn *S, const struct scn_tok *t,
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

/* A value: a variable, an integer (any unit) or an errno name */
static int scn_value(struct scn *S, struct prog_arg *a)
{
    struct scn_tok *t = scn_take(S);
    char b[64];
    if (t->kind == T_INT) {
        scn_const(a, t->v);
        return 0;
    }
    if (t->kind != T_IDENT)
        return scn_err(S, t->off, "expected a value (a variable, a number or "
                       "an errno name such as EAGAIN), found %s",
                       scn_desc(S, t, b, sizeof b));
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

static int scn_arg_fd(struct scn *S, struct scn_tok *t, struct prog_arg *a)
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

static int scn_arg_time(struct scn *S, struct scn_tok *t, struct prog_arg *a)
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
    case 'p': return scn_arg_port(S, t, a);
    case 'v':
        S->pos--;
        return scn_value(S, a);
    case 's':
        if (t->kind != T_STR)
            return scn_err(S, t->off, "expected a string \"...\", found %s",
                           scn_desc(S, t, b, sizeof b));
        int i = scn_add_str(S, t->s, t->slen, t->off);
        if (i < 0)
            return -1;
        scn_const(a, i);
        return 0;
    case 'o':
        if (scn_word(t, "O_NONBLOCK") || scn_word(t, "O_ASYNC")) {
            in->flags = scn_word(t, "O_ASYNC") ? TL_FL_ASYNC : TL_FL_NONBLOCK;
            scn_const(a, in->flags);
            return 0;
        }
        return scn_err(S, t->off, "expected O_NONBLOCK or O_ASYNC, found %s",
                       scn_desc(S, t, b, sizeof b));
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

static int scn_op_find(const struct scn_tok *t)
{
    for (int i = 0; i < OP__COUNT; i++)
        if (op_kw[i][0] != '(' && scn_word(t, op_kw[i]))
            return i;
    return -1;
}

/* ---- statements -------------------------------------------------------- */

static int scn_stmt(struct scn *S);

/* After a block header: '{' ending the line.  Opens a nesting level. */
static int scn_open(struct scn *S, int *off)
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
static int scn_block(struct scn *S, int brace)
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
static int scn_body(struct scn *S)
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

/* sigaction's operand: the signal (iosim models SIGIO only) */
static int scn_signal(struct scn *S, struct prog_ins *in)
{
    struct scn_tok *t = scn_take(S);
    char b[64];
    if (!scn_word(t, "SIGIO"))
        return scn_err(S, t->off, "expected SIGIO, the signal iosim models: "
                       "sigaction SIGIO {, found %s",
                       scn_desc(S, t, b, sizeof b));
    scn_const(&in->a[0], TL_SIGIO);
    in->nargs = 1;
    return 0;
}

/* fork { ... }, thread { ... } and coroutine { ... }: the child runs the
 * block, then exits.
 * sigaction SIGIO { ... }: the handler runs the block, then rt_sigreturn. */
static int scn_spawn(struct scn *S, int op, const struct scn_tok *kw,
                     const struct scn_tok *d1)
{
    struct prog_ins in;
    scn_ins_init(S, &in, op, kw->off);
    int brace;
    if (op == OP_SIGACTION && scn_signal(S, &in) < 0)
        return -1;
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

/* n = select A B C ... / n = poll A B C ... */
static int scn_fdlist(struct scn *S, struct prog_ins *in, int off)
{
    struct prog *p = S->p;
    int n = scn_left(S);
    if (n == 0) { /* no operands: the task's watch set (list = -1) */
        (void)off;
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
    return 0;
}

static int scn_args(struct scn *S, struct prog_ins *in, int off)
{
    int op = in->op;
    const char *spec = op_spec[op];
    int max = (int)strlen(spec), min = 0;
    for (int i = 0; i < max; i++)
        min += spec[i] != 'v';
    if (op == OP_SET)
        min = 1;
    if (op == OP_EPOLL_CTL)
        max++;
    if (op == OP_SAY && scn_left(S) > 1 && scn_word(&S->tok[S->pos], "once")) {
        in->flags = 1; /* say once "...": the first time only */
        S->pos++;
    }
    int n = scn_left(S);
    if (n < min || n > max)
        return scn_usage_err(S, op, n < min ? off : S->tok[S->pos + max].off,
                             n);
    for (int i = 0; i < (int)strlen(spec) && i < n; i++)
        if (scn_arg(S, spec[i], in, &in->a[i]) < 0)
            return -1;
    in->nargs = n < (int)strlen(spec) ? n : (int)strlen(spec);
    if (op == OP_EPOLL_CTL && n == max) {
        struct scn_tok *t = scn_take(S);
        char b[64];
        if (!scn_word(t, "et"))
            return scn_err(S, t->off, "expected 'et' (edge-triggered) or the "
                           "end of the line, found %s",
                           scn_desc(S, t, b, sizeof b));
        in->flags = 1;
    }
    return 0;
}

/* An operation from PROG_OPS with its results d1 (and d2) */
static int scn_op(struct scn *S, int op, const struct scn_tok *kw,
                  const struct scn_tok *d1, const struct scn_tok *d2)
{
    int two = op == OP_PIPE || op == OP_SOCKETPAIR || op == OP_CQE;
    if (op == OP_CQE && !d2)
        return scn_err(S, kw->off, "cqe returns two values: write id, res = "
                       "cqe RING");
    if (two && !d2)
        return scn_err(S, kw->off, "%s returns two fds: write a, b = %s",
                       op_kw[op], op_kw[op]);
    if (!two && d2)
        return scn_err(S, d2->off, "only pipe, socketpair and cqe return two "
                       "values");
    if (d1 && (op == OP_SAY || op == OP_EXIT))
        return scn_err(S, d1->off, "%s returns no value", op_kw[op]);
    if (!d1 && op == OP_SET)
        return scn_err(S, kw->off, "set needs a variable: x = set VALUE");
    if (op == OP_FORK || op == OP_THREAD || op == OP_SIGACTION ||
        op == OP_COROUTINE)
        return scn_spawn(S, op, kw, d1);
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
    return scn_push(S, &in, kw->off) < 0 ? -1 : 0;
}

static int scn_ctl(struct scn *S, const struct scn_tok *kw)
{
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
    scn_near_list(&n, op_kw, OP__COUNT);
    scn_near_list(&n, ctl_kw, NELEM(ctl_kw));
    if (n.best)
        return scn_err(S, kw->off, "unknown operation '%.*s'; did you mean "
                       "'%s'?", kw->len, kw->s, n.best);
    return scn_err(S, kw->off, "unknown operation '%.*s'", kw->len, kw->s);
}

static int scn_is_ctl(const struct scn_tok *t)
{
    for (int i = 0; i < NELEM(ctl_kw); i++)
        if (scn_word(t, ctl_kw[i]))
            return 1;
    return 0;
}

/* One statement: the current line */
static int scn_stmt(struct scn *S)
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
        if (d1 && scn_var_find(S, kw->s, kw->len) >= 0)
            return scn_err(S, kw->off, "to copy a variable write %.*s = set "
                           "%.*s", d1->len, d1->s, kw->len, kw->s);
        return scn_unknown_op(S, kw);
    }
    return scn_op(S, op, kw, d1, d2);
}

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
    if (kind == DECL_PEER && scn_peer_opts(S, scn_cur(S)) < 0)
        return -1;
    if (scn_body(S) < 0 || scn_emit(S, OP_EXIT, S->tok[0].off, -1) < 0)
        return -1;
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
       MK_LIMIT, MK_EVENTS, MK_BACKLOG, MK_COST };

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
    [MK_LIMIT] = {"limit", U_TIME, 1, INT64_MAX},
    [MK_EVENTS] = {"events", U_NONE, 1, 50000000}, /* ~2 GB of timeline */
    [MK_BACKLOG] = {"backlog", U_NONE, 1, 65535},
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
                       "limit, events, backlog or cost", t->len,
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
                   "process, server or peer, found %s",
                   scn_desc(S, t, b, sizeof b));
}

/*
 * server NAME {
 *     model epoll      port 8080      work 100us      reply 1K      buffer 4K
 * }  (one setting per line): the model's template (server.c) with the
 * settings filled in, compiled as a `process NAME` whose lines are the
 * generated text (a prog_script) rather than the file's.
 */
static int scn_server_expand(struct scn *S, const struct scn_tok *name,
                             const char *model, const struct server_cfg *c)
{
    struct prog *p = S->p;
    char nm[128];
    snprintf(nm, sizeof nm, "%.*s", name->len, name->s);
    char *text = server_expand(model, nm, c);
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
    char title[256];
    snprintf(title, sizeof title, "%.128s (%.64s server)", nm, model);
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
    p->nservers++;
    return 0;
}

static int scn_server(struct scn *S)
{
    struct scn_tok *name = scn_take(S), nt;
    char b[64], model[64] = "blocking";
    static const char *const keys[] = {"model", "port", "work", "reply",
                                       "buffer"};
    struct server_cfg c;
    int brace, ln = S->ln, r, seen[5] = {0};
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
        while (i < 5 && !scn_word(k, keys[i]))
            i++;
        if (i == 5) {
            struct scn_near n = {k->s, k->len, NULL, 0};
            if (k->kind == T_IDENT) /* only a name has a nearest name */
                scn_near_list(&n, keys, 5);
            if (n.best)
                return scn_err(S, k->off, "unknown server setting '%.*s'; "
                               "did you mean '%s'?", k->len, k->s, n.best);
            return scn_err(S, k->off, "unknown server setting %s: expected "
                           "model, port, work, reply or buffer",
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
        static const int unit[] = {0, U_NONE, U_TIME, U_SIZE, U_SIZE};
        static const int64_t lo[] = {0, 1, 0, 0, 1};
        static const int64_t hi[] = {0, 65535, INT64_MAX, 1L << 30, 1L << 30};
        int64_t *dst[] = {NULL, &c.port, &c.work, &c.reply, &c.buffer};
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
    return scn_unknown_decl(S, kw);
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
    if (S->model_override && !S->p->nservers)
        return scn_err_at(S, 1, 1, "--model %s needs a server declaration "
                          "(server NAME { model M ... }); this file has none",
                          S->model_override);
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
    cost_defaults(&p->cost);
    p->ncpus = 1;
    p->rcvbuf = p->sndbuf = p->pipebuf = 64 * 1024;
    p->latency = 50 * 1000;
    p->slice = 0; /* from cpus, as the kernel scales base_slice_ns */
    p->hz = 250;
    p->limit = 60LL * 1000 * 1000 * 1000;
    p->max_events = 5000000;
    p->backlog = 128;
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
    if (!ok) {
        prog_free(S.p);
        return NULL;
    }
    return S.p;
}

/* Read at most PROG_MAX_FILE + 1 bytes: enough to know it is too large */
static char *scn_read(int fd, size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
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
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: error: cannot open: %s", path,
                 strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "%s: error: is a directory", path);
        return NULL;
    }
    size_t len = 0;
    char *text = scn_read(fd, &len);
    int e = errno;
    close(fd);
    if (!text) {
        snprintf(err, errlen, "%s: error: cannot read: %s", path,
                 strerror(e));
        return NULL;
    }
    struct prog *p = scn_parse_model(path, text, len, model, err, errlen);
    free(text);
    return p;
}
