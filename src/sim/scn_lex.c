/*
 * scn_lex.c - errors and suggestions, splitting and checking the source,
 * and the lexer: one line becomes an array of tokens ending in T_EOL.
 * Numbers carry their unit (ns us ms s, B K M G) already applied; strings
 * are decoded into the scratch buffer.  See scn_int.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scn_int.h"

/* ---- errors ---------------------------------------------------------- */

/* Column (in characters, from 1) of byte off in s */
int scn_col(const char *s, int off)
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
int scn_err_at(struct scn *S, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scn_verr(S, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* An error at byte off of the current line */
__attribute__((format(printf, 3, 4)))
int scn_err(struct scn *S, int off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scn_verr(S, S->ln + 1, scn_col(S->p->lines[S->ln], off), fmt, ap);
    va_end(ap);
    return -1;
}

int scn_oom(struct scn *S, int off)
{
    return scn_err(S, off, "out of memory");
}

/* "'text'" (shortened) or "end of line", for messages */
const char *scn_desc(struct scn *S, const struct scn_tok *t, char *buf,
                     size_t n)
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

void scn_near_try(struct scn_near *n, const char *cand)
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

void scn_near_list(struct scn_near *n, const char *const *c, int nc)
{
    for (int i = 0; i < nc; i++)
        scn_near_try(n, c[i]);
}

/* ---- growing arrays --------------------------------------------------- */

/* Returns the array with room for need elements, or NULL (a is kept) */
void *scn_grow(void *a, int *cap, int need, size_t size)
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

char *scn_strndup(const char *s, size_t n)
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

int scn_split(struct scn *S, const char *text, size_t len)
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
    case '+': case '-': case '*': case '/': case '%':
        t->kind = T_ARITH; /* a '-' before a digit made a number instead */
        t->cmp = c == '+' ? AR_ADD : c == '-' ? AR_SUB : c == '*' ? AR_MUL
               : c == '/' ? AR_DIV : AR_MOD;
        return 0;
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
int scn_next(struct scn *S)
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

struct scn_tok *scn_take(struct scn *S)
{
    struct scn_tok *t = &S->tok[S->pos];
    if (t->kind != T_EOL)
        S->pos++;
    return t;
}

int scn_word(const struct scn_tok *t, const char *w)
{
    return t->kind == T_IDENT && (int)strlen(w) == t->len
        && memcmp(t->s, w, (size_t)t->len) == 0;
}

/* Tokens left before the end of the line */
int scn_left(struct scn *S)
{
    int n = 0;
    while (S->tok[S->pos + n].kind != T_EOL)
        n++;
    return n;
}

int scn_expect_eol(struct scn *S, const char *after)
{
    struct scn_tok *t = &S->tok[S->pos];
    char b[64];
    if (t->kind == T_EOL)
        return 0;
    return scn_err(S, t->off, "unexpected %s after %s",
                   scn_desc(S, t, b, sizeof b), after);
}
