/*
 * cell.c - the cell buffer: text, width and line drawing, and its dump.
 */
#include "ui/cell.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct ui_role_style ui_roles[R__COUNT] = {
#define X(r, f, b, a, f2, b2, a2, m) { #r, f, b, a, f2, b2, a2, m },
    UI_ROLES(X)
#undef X
};

static const uint32_t glyph_uni[G__COUNT] = {
#define X(g, u, a) u,
    UI_GLYPHS(X)
#undef X
};
static const char glyph_ascii[G__COUNT] = {
#define X(g, u, a) a,
    UI_GLYPHS(X)
#undef X
};

uint32_t cb_glyph(const struct cbuf *cb, int g)
{
    if (g < 0 || g >= G__COUNT)
        return '?';
    return cb->ascii ? (uint32_t)glyph_ascii[g] : glyph_uni[g];
}

/* ---- text --------------------------------------------------------------- */

int ui_wcwidth(uint32_t c)
{
    if (c == 0)
        return 0;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        return -1;
    if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
        (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe00 && c <= 0xfe0f) ||
        (c >= 0xfe20 && c <= 0xfe2f) || (c >= 0x1ab0 && c <= 0x1aff) ||
        (c >= 0x1dc0 && c <= 0x1dff))
        return 0;
    if (c >= 0x1100 &&
        (c <= 0x115f || c == 0x2329 || c == 0x232a ||
         (c >= 0x2e80 && c <= 0xa4cf && c != 0x303f) ||
         (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
         (c >= 0xfe10 && c <= 0xfe19) || (c >= 0xfe30 && c <= 0xfe6f) ||
         (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
         (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff) ||
         (c >= 0x20000 && c <= 0x2fffd) || (c >= 0x30000 && c <= 0x3fffd)))
        return 2;
    return 1;
}

int ui_utf8_dec(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] == 0) {
        *cp = 0;
        return 0;
    }
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    int n;
    uint32_t c, min;
    if ((u[0] & 0xe0) == 0xc0) {
        n = 2, c = u[0] & 0x1f, min = 0x80;
    } else if ((u[0] & 0xf0) == 0xe0) {
        n = 3, c = u[0] & 0x0f, min = 0x800;
    } else if ((u[0] & 0xf8) == 0xf0) {
        n = 4, c = u[0] & 0x07, min = 0x10000;
    } else {
        *cp = 0xfffd;
        return 1;
    }
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return i;
        }
        c = (c << 6) | (u[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        c = 0xfffd;
    *cp = c;
    return n;
}

int ui_utf8_enc(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xc0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* width of a codepoint as drawn: control characters become '?' */
static int draw_width(uint32_t c)
{
    int w = ui_wcwidth(c);
    return w < 0 ? 1 : w;
}

int ui_strwidth(const char *s)
{
    int w = 0;
    uint32_t c;
    for (int n; (n = ui_utf8_dec(s, &c)) > 0; s += n)
        w += draw_width(c);
    return w;
}

/* Line breaking rules for CJK text (kinsoku, as in the Unicode line
   breaking classes CL/CP/NS/EX/IS and OP): closing punctuation never starts
   a line, opening punctuation never ends one */
static int no_line_start(uint32_t c)
{
    static const uint32_t cl[] = {
        0x3001, 0x3002, 0xff0c, 0xff0e, 0xff1a, 0xff1b, 0xff01, 0xff1f,
        0xff09, 0x3009, 0x300b, 0x300d, 0x300f, 0x3011, 0x3015, 0x3017,
        0x3019, 0x301b, 0xff3d, 0xff5d, 0x30fc, 0x2019, 0x201d, 0x2026,
        0x30fb, 0xff65, 0x3005, 0x309d, 0x309e, 0x30fd, 0x30fe,
    };
    for (size_t i = 0; i < sizeof cl / sizeof *cl; i++)
        if (c == cl[i])
            return 1;
    return 0;
}

static int no_line_end(uint32_t c)
{
    static const uint32_t op[] = {
        0xff08, 0x3008, 0x300a, 0x300c, 0x300e, 0x3010, 0x3014, 0x3016,
        0x3018, 0x301a, 0xff3b, 0xff5b, 0x2018, 0x201c,
    };
    for (size_t i = 0; i < sizeof op / sizeof *op; i++)
        if (c == op[i])
            return 1;
    return 0;
}

int ui_wrap(const char *s, int width, struct ui_span *lines, int max)
{
    int nl = 0, off = 0;
    if (width < 1)
        width = 1;
    while (s[off]) {
        while (s[off] == ' ')
            off++;
        if (!s[off])
            break;
        /* take characters while they fit; remember the last break */
        int i = off, w = 0, brk = -1, end = off;
        uint32_t c;
        int n;
        while ((n = ui_utf8_dec(s + i, &c)) > 0) {
            if (c == '\n')
                break;
            int cw = draw_width(c);
            if (w + cw > width)
                break;
            if (c == ' ')
                brk = i;
            w += cw;
            i += n;
            end = i;
            /* CJK text may break after any wide character, but not
               before closing or after opening punctuation */
            uint32_t nx = 0;
            ui_utf8_dec(s + i, &nx);
            if ((cw == 2 || no_line_start(c)) && nx != ' ' && nx != 0 &&
                !no_line_start(nx) && !no_line_end(c) &&
                (cw == 2 || draw_width(nx) == 2))
                brk = i;
        }
        int len;
        if (!s[i] || s[i] == '\n' || brk <= off)
            len = end - off;
        else
            len = brk - off;
        if (len == 0) /* a character wider than the line */
            len = n > 0 ? n : 1;
        while (len > 0 && s[off + len - 1] == ' ')
            len--;
        if (nl < max) {
            lines[nl].off = off;
            lines[nl].len = len;
        }
        nl++;
        off += len;
        while (s[off] == ' ')
            off++;
        if (s[off] == '\n')
            off++;
    }
    return nl;
}

/* ---- grid --------------------------------------------------------------- */

int cb_init(struct cbuf *cb, int w, int h)
{
    memset(cb, 0, sizeof *cb);
    return cb_resize(cb, w, h);
}

int cb_resize(struct cbuf *cb, int w, int h)
{
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    struct cell *c = realloc(cb->c, (size_t)w * (size_t)h * sizeof *c);
    if (!c)
        return -ENOMEM;
    cb->c = c;
    cb->w = w;
    cb->h = h;
    cb_clear(cb);
    return 0;
}

void cb_free(struct cbuf *cb)
{
    free(cb->c);
    cb->c = NULL;
    cb->w = cb->h = 0;
}

void cb_clear(struct cbuf *cb)
{
    for (int i = 0; i < cb->w * cb->h; i++)
        cb->c[i] = (struct cell){ ' ', R_DEFAULT, 1 };
}

const struct cell *cb_at(const struct cbuf *cb, int x, int y)
{
    if (x < 0 || y < 0 || x >= cb->w || y >= cb->h)
        return NULL;
    return &cb->c[y * cb->w + x];
}

/* blank whatever wide character the cell at (x, y) is part of */
static void unsplit(struct cbuf *cb, int x, int y)
{
    struct cell *row = &cb->c[y * cb->w];
    if (row[x].w == 0 && x > 0)
        row[x - 1] = (struct cell){ ' ', row[x - 1].role, 1 };
    if (row[x].w == 2 && x + 1 < cb->w)
        row[x + 1] = (struct cell){ ' ', row[x + 1].role, 1 };
    row[x] = (struct cell){ ' ', row[x].role, 1 };
}

int cb_put(struct cbuf *cb, int x, int y, uint32_t ch, int role)
{
    if (y < 0 || y >= cb->h || x < 0 || x >= cb->w)
        return 0;
    int w = ui_wcwidth(ch);
    if (w < 0) {
        ch = '?';
        w = 1;
    }
    if (w == 0)
        return 0;
    if (x + w > cb->w)
        return 0;
    for (int i = 0; i < w; i++)
        unsplit(cb, x + i, y);
    struct cell *c = &cb->c[y * cb->w + x];
    c[0] = (struct cell){ ch, (uint8_t)role, (uint8_t)w };
    if (w == 2)
        c[1] = (struct cell){ 0, (uint8_t)role, 0 };
    return w;
}

void cb_rep(struct cbuf *cb, int x, int y, int n, int glyph, int role)
{
    uint32_t g = cb_glyph(cb, glyph);
    for (int i = 0; i < n; i++)
        cb_put(cb, x + i, y, g, role);
}

int cb_text(struct cbuf *cb, int x, int y, int maxw, const char *s, int role)
{
    if (!s || maxw <= 0)
        return 0;
    int total = ui_strwidth(s);
    int room = total > maxw ? maxw - 1 : maxw;
    int used = 0;
    uint32_t c;
    for (int n; (n = ui_utf8_dec(s, &c)) > 0; s += n) {
        int w = draw_width(c);
        if (used + w > room)
            break;
        if (w > 0)
            cb_put(cb, x + used, y, c, role);
        used += w;
    }
    if (total > maxw) {
        cb_put(cb, x + used, y, cb_glyph(cb, G_ELLIPSIS), role);
        used++;
    }
    return used;
}

int cb_name(struct cbuf *cb, int x, int y, int maxw, const char *s, int role)
{
    if (!s || maxw <= 0)
        return 0;
    if (maxw < 4 || ui_strwidth(s) <= maxw)
        return cb_text(cb, x, y, maxw, s, role);
    /* first a trailing " (...)": a thread's target, as CPython names
       threads ("Thread-2 (handle_request)") */
    const char *par = strstr(s, " (");
    size_t plen = strlen(s);
    if (par && par > s && s[plen - 1] == ')') {
        char head[256];
        size_t hn = (size_t)(par - s) < sizeof head - 1 ? (size_t)(par - s)
                                                         : sizeof head - 1;
        memcpy(head, s, hn);
        head[hn] = 0;
        return cb_name(cb, x, y, maxw, head, role);
    }
    enum { MAXCP = 256 };
    uint32_t cp[MAXCP];
    int wd[MAXCP], n = 0;
    uint32_t c;
    for (int k; n < MAXCP && (k = ui_utf8_dec(s, &c)) > 0; s += k) {
        cp[n] = c;
        wd[n++] = draw_width(c);
    }
    int headw = (maxw - 1) / 2, tailw = maxw - 1 - headw;
    int h = 0, used = 0;
    for (; h < n && used + wd[h] <= headw; h++) {
        if (wd[h] > 0)
            cb_put(cb, x + used, y, cp[h], role);
        used += wd[h];
    }
    cb_put(cb, x + used, y, cb_glyph(cb, G_ELLIPSIS), role);
    used++;
    int t = n, tw = 0;
    while (t > h && tw + wd[t - 1] <= tailw)
        tw += wd[--t];
    for (; t < n; t++) {
        if (wd[t] > 0)
            cb_put(cb, x + used, y, cp[t], role);
        used += wd[t];
    }
    return used;
}

int cb_textf(struct cbuf *cb, int x, int y, int maxw, int role,
             const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cb_text(cb, x, y, maxw, buf, role);
}

int cb_text_right(struct cbuf *cb, int x, int y, int maxw, const char *s,
                  int role)
{
    int w = ui_strwidth(s);
    if (w > maxw)
        w = maxw;
    return cb_text(cb, x + maxw - w, y, w, s, role);
}

void cb_fill(struct cbuf *cb, struct rect r, uint32_t ch, int role)
{
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            cb_put(cb, x, y, ch, role);
}

void cb_recolour(struct cbuf *cb, int x, int y, int w, int role)
{
    if (y < 0 || y >= cb->h)
        return;
    for (int i = x < 0 ? 0 : x; i < x + w && i < cb->w; i++)
        cb->c[y * cb->w + i].role = (uint8_t)role;
}

struct rect cb_box(struct cbuf *cb, struct rect r, const char *title, int focus)
{
    int fr = focus ? R_FRAME_FOCUS : R_FRAME;
    if (r.w < 2 || r.h < 2)
        return (struct rect){ r.x, r.y, 0, 0 };
    cb_put(cb, r.x, r.y, cb_glyph(cb, G_TL), fr);
    cb_rep(cb, r.x + 1, r.y, r.w - 2, G_HLINE, fr);
    cb_put(cb, r.x + r.w - 1, r.y, cb_glyph(cb, G_TR), fr);
    for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
        cb_put(cb, r.x, y, cb_glyph(cb, G_VLINE), fr);
        cb_put(cb, r.x + r.w - 1, y, cb_glyph(cb, G_VLINE), fr);
    }
    cb_put(cb, r.x, r.y + r.h - 1, cb_glyph(cb, G_BL), fr);
    cb_rep(cb, r.x + 1, r.y + r.h - 1, r.w - 2, G_HLINE, fr);
    cb_put(cb, r.x + r.w - 1, r.y + r.h - 1, cb_glyph(cb, G_BR), fr);
    if (title && *title && r.w > 6) {
        cb_put(cb, r.x + 1, r.y, ' ', fr);
        int n = cb_text(cb, r.x + 2, r.y, r.w - 5, title,
                        focus ? R_TITLE_FOCUS : R_TITLE);
        cb_put(cb, r.x + 2 + n, r.y, ' ', fr);
    }
    return (struct rect){ r.x + 1, r.y + 1, r.w - 2, r.h - 2 };
}

size_t cb_row_text(const struct cbuf *cb, int y, char *buf, size_t len)
{
    size_t n = 0, keep = 0;
    if (len == 0)
        return 0;
    for (int x = 0; x < cb->w && y >= 0 && y < cb->h; x++) {
        const struct cell *c = &cb->c[y * cb->w + x];
        if (c->w == 0)
            continue;
        char u[4];
        int k = ui_utf8_enc(c->ch, u);
        if (n + (size_t)k + 1 > len)
            break;
        memcpy(buf + n, u, (size_t)k);
        n += (size_t)k;
        if (c->ch != ' ')
            keep = n;
    }
    buf[keep] = 0;
    return keep;
}

int cb_dump(const struct cbuf *cb, FILE *out)
{
    size_t len = (size_t)cb->w * 4 + 1;
    char *buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    for (int y = 0; y < cb->h; y++) {
        cb_row_text(cb, y, buf, len);
        fputs(buf, out);
        fputc('\n', out);
    }
    free(buf);
    return ferror(out) ? -EIO : 0;
}
