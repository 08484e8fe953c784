/*
 * cell.h - the cell buffer every view draws into, and the colour roles.
 *
 * A cbuf is a grid of cells; each cell holds one Unicode codepoint, its
 * display width and a semantic colour role (never a curses pair: roles are
 * mapped to colours, 256 colours or monochrome attributes only in term.c).
 * A wide character (CJK, width 2) occupies its cell and the next one, which
 * is a continuation (w == 0); writing over either half blanks the other, so
 * the grid is always consistent.  Widths come from ui_wcwidth(), a fixed
 * table independent of the locale: the same text dump on every machine,
 * which is what golden tests compare (cb_dump).
 *
 * Drawing never fails and never writes outside the grid or a given width:
 * views may pass any coordinates.  Line-drawing glyphs are requested by name
 * (cb_glyph) so that an ASCII fallback is one flag (cb->ascii).
 */
#ifndef IOSIM_UI_CELL_H
#define IOSIM_UI_CELL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* ANSI colour numbers (same values as curses COLOR_*), -1 = default */
enum { UC_DEF = -1, UC_BLACK, UC_RED, UC_GREEN, UC_YELLOW, UC_BLUE,
       UC_MAGENTA, UC_CYAN, UC_WHITE };
/* attributes, mapped to A_* in term.c */
enum { UA_BOLD = 1, UA_REVERSE = 2, UA_UNDERLINE = 4, UA_DIM = 8 };

/*
 * Colour roles: X(role, fg, bg, attr, fg256, bg256, attr256, mono attr).
 * Task states are told apart by glyph as well as colour, so monochrome
 * loses nothing but colour.
 */
#define UI_ROLES(X) \
    X(DEFAULT, UC_DEF, UC_DEF, 0, -1, -1, 0, 0) \
    X(HEADER, UC_WHITE, UC_BLUE, UA_BOLD, 231, 24, UA_BOLD, UA_REVERSE) \
    X(HEADER_DIM, UC_CYAN, UC_BLUE, 0, 152, 24, 0, UA_REVERSE) \
    X(FRAME, UC_BLUE, UC_DEF, 0, 67, -1, 0, 0) \
    X(FRAME_FOCUS, UC_CYAN, UC_DEF, UA_BOLD, 51, -1, UA_BOLD, UA_BOLD) \
    X(TITLE, UC_CYAN, UC_DEF, 0, 117, -1, 0, 0) \
    X(TITLE_FOCUS, UC_CYAN, UC_DEF, UA_BOLD | UA_REVERSE, 51, -1, UA_BOLD | UA_REVERSE, UA_REVERSE) \
    X(DIM, UC_DEF, UC_DEF, UA_DIM, 244, -1, 0, UA_DIM) \
    X(CAPTION, UC_YELLOW, UC_DEF, UA_BOLD, 229, -1, UA_BOLD, UA_BOLD) \
    X(HINT, UC_DEF, UC_DEF, UA_DIM, 245, -1, 0, UA_DIM) \
    X(RUNNING, UC_GREEN, UC_DEF, UA_BOLD, 46, -1, UA_BOLD, UA_BOLD) \
    X(READY, UC_YELLOW, UC_DEF, 0, 220, -1, 0, 0) \
    X(BLOCKED, UC_RED, UC_DEF, 0, 203, -1, 0, UA_UNDERLINE) \
    X(EXITED, UC_DEF, UC_DEF, UA_DIM, 242, -1, 0, UA_DIM) \
    X(NEW, UC_CYAN, UC_DEF, 0, 159, -1, 0, 0) \
    X(SUSPENDED, UC_BLUE, UC_DEF, 0, 111, -1, 0, UA_DIM) \
    X(CURSOR, UC_WHITE, UC_MAGENTA, UA_BOLD, 231, 90, UA_BOLD, UA_REVERSE) \
    X(SELECTED, UC_DEF, UC_DEF, UA_REVERSE, 231, 238, UA_BOLD, UA_REVERSE) \
    X(LINE, UC_BLACK, UC_YELLOW, UA_BOLD, 16, 222, UA_BOLD, UA_REVERSE | UA_BOLD) \
    X(LINENO, UC_DEF, UC_DEF, UA_DIM, 240, -1, 0, UA_DIM) \
    X(USER, UC_CYAN, UC_DEF, UA_BOLD, 81, -1, UA_BOLD, UA_BOLD) \
    X(KERNEL, UC_MAGENTA, UC_DEF, UA_BOLD, 177, -1, UA_BOLD, UA_BOLD) \
    X(BYTES, UC_GREEN, UC_DEF, 0, 114, -1, 0, 0) \
    X(MOVING, UC_YELLOW, UC_DEF, UA_BOLD, 226, -1, UA_BOLD, UA_BOLD | UA_REVERSE) \
    X(EMPTY, UC_DEF, UC_DEF, UA_DIM, 238, -1, 0, UA_DIM) \
    X(LOG_SYS, UC_DEF, UC_DEF, 0, -1, -1, 0, 0) \
    X(LOG_ERR, UC_RED, UC_DEF, 0, 203, -1, 0, UA_BOLD) \
    X(LOG_NOTE, UC_DEF, UC_DEF, UA_DIM, 246, -1, 0, UA_DIM) \
    X(LOG_CAPTION, UC_YELLOW, UC_DEF, 0, 187, -1, 0, 0) \
    X(STATUS, UC_BLACK, UC_CYAN, 0, 16, 152, 0, UA_REVERSE) \
    X(KEY, UC_WHITE, UC_DEF, UA_BOLD, 231, -1, UA_BOLD, UA_BOLD) \
    X(MESSAGE, UC_YELLOW, UC_DEF, UA_BOLD, 226, -1, UA_BOLD, UA_BOLD) \
    X(PROMPT, UC_DEF, UC_DEF, UA_BOLD, -1, -1, UA_BOLD, UA_BOLD) \
    X(BOOKMARK, UC_MAGENTA, UC_DEF, UA_BOLD, 213, -1, UA_BOLD, UA_BOLD) \
    X(MATCH, UC_BLACK, UC_GREEN, 0, 16, 120, 0, UA_REVERSE) \
    X(WARN, UC_RED, UC_DEF, UA_BOLD, 196, -1, UA_BOLD, UA_BOLD) \
    X(CHANGED, UC_BLACK, UC_YELLOW, UA_BOLD, 16, 221, UA_BOLD, UA_REVERSE | UA_BOLD)

enum ui_role {
#define X(r, f, b, a, f2, b2, a2, m) R_##r,
    UI_ROLES(X)
#undef X
    R__COUNT
};

struct ui_role_style {
    const char *name;
    int fg, bg, attr;          /* 8 colours */
    int fg256, bg256, attr256; /* 256 colours */
    int mono;                  /* monochrome attributes */
};
extern const struct ui_role_style ui_roles[R__COUNT];

/* Line drawing and symbols: X(glyph, unicode, ascii) */
#define UI_GLYPHS(X) \
    X(HLINE, 0x2500, '-') \
    X(VLINE, 0x2502, '|') \
    X(TL, 0x250c, '+') \
    X(TR, 0x2510, '+') \
    X(BL, 0x2514, '+') \
    X(BR, 0x2518, '+') \
    X(HHEAVY, 0x2501, '=') \
    X(FULL, 0x2588, '#') \
    X(SHADE_M, 0x2592, '+') \
    X(SHADE_L, 0x2591, '.') \
    X(SUSP, 0x2508, '~') \
    X(DOT, 0x00b7, ' ') \
    X(ELLIPSIS, 0x2026, '~') \
    X(PLAY, 0x25b6, '>') \
    X(PAUSE, 0x2016, '=') \
    X(ARROW_R, 0x2192, '>') \
    X(ARROW_L, 0x2190, '<') \
    X(ARROW_U, 0x2191, '^') \
    X(ARROW_D, 0x2193, 'v') \
    X(TRI_UP, 0x25b2, '^') \
    X(TRI_R, 0x25b8, '>') \
    X(BULLET, 0x2022, '*') \
    X(MARK, 0x25c6, '*') \
    X(LEFTBAR, 0x258c, '[') \
    X(VDOTS, 0x2506, ':') \
    X(TICK, 0x2534, '\'')

enum ui_glyph {
#define X(g, u, a) G_##g,
    UI_GLYPHS(X)
#undef X
    G__COUNT
};

struct cell {
    uint32_t ch;  /* codepoint; 0 in a continuation cell */
    uint8_t role; /* enum ui_role */
    uint8_t w;    /* display width: 1, 2, or 0 for a continuation */
};

struct cbuf {
    int w, h;
    int ascii; /* draw glyphs in ASCII */
    struct cell *c;
};

struct rect {
    int x, y, w, h;
};

int cb_init(struct cbuf *cb, int w, int h);
int cb_resize(struct cbuf *cb, int w, int h);
void cb_free(struct cbuf *cb);
void cb_clear(struct cbuf *cb);

uint32_t cb_glyph(const struct cbuf *cb, int glyph);
/* One codepoint at (x, y); returns the width used (0 if it did not fit) */
int cb_put(struct cbuf *cb, int x, int y, uint32_t ch, int role);
/* A glyph n times */
void cb_rep(struct cbuf *cb, int x, int y, int n, int glyph, int role);
/*
 * UTF-8 text at (x, y) in at most maxw columns; a text that does not fit
 * ends with an ellipsis.  Control characters are shown as '?'.  Returns the
 * columns used.
 */
int cb_text(struct cbuf *cb, int x, int y, int maxw, const char *s, int role);
/*
 * A name (a task's, an fd's) in at most maxw columns: one that does not fit
 * loses its middle, not its end ("app/…ker2"), so that names that differ
 * only in their last characters stay told apart; a trailing " (...)" goes
 * first.  Returns the columns used.
 */
int cb_name(struct cbuf *cb, int x, int y, int maxw, const char *s, int role);
int cb_textf(struct cbuf *cb, int x, int y, int maxw, int role,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Same text, right-aligned so that it ends at column x + maxw */
int cb_text_right(struct cbuf *cb, int x, int y, int maxw, const char *s,
                  int role);
void cb_fill(struct cbuf *cb, struct rect r, uint32_t ch, int role);
/* Change the role of the cells in a row without changing their text */
void cb_recolour(struct cbuf *cb, int x, int y, int w, int role);
/* A frame around r with a title; returns the inside */
struct rect cb_box(struct cbuf *cb, struct rect r, const char *title,
                   int focus);
const struct cell *cb_at(const struct cbuf *cb, int x, int y);
/* The text of the grid, one line per row, trailing blanks removed */
int cb_dump(const struct cbuf *cb, FILE *out);
/* The text of one row into buf (UTF-8, trailing blanks removed) */
size_t cb_row_text(const struct cbuf *cb, int y, char *buf, size_t len);

/* Text helpers, all locale independent */
int ui_wcwidth(uint32_t cp);
/* Decode one UTF-8 codepoint from s; returns bytes used (>= 1 unless *s is
   0); invalid bytes decode as U+FFFD */
int ui_utf8_dec(const char *s, uint32_t *cp);
int ui_utf8_enc(uint32_t cp, char *out);
int ui_strwidth(const char *s);
/*
 * Word-wrap s to width columns: stores up to max (start, length) byte spans
 * and returns the number of lines (which may exceed max: then text is lost).
 */
struct ui_span {
    int off, len;
};
int ui_wrap(const char *s, int width, struct ui_span *lines, int max);

#endif
