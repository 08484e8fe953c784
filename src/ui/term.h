/*
 * term.h - the terminal, and the only way to it: term.c is the one file
 * that includes curses.  It owns initialisation, colours (8, 256 or none:
 * --mono and NO_COLOR), line drawing (UTF-8 or ASCII by locale), keys
 * (translated to keys.h codes), mouse clicks, signals and restoring the
 * terminal on every way out: q, SIGINT/SIGTERM/SIGHUP (reported by
 * term_signalled), every signal whose default action ends the process
 * (restored, then that action), a fatal error (term_fatal), exit().
 * Ctrl-Z (SIGTSTP) suspends and resuming redraws (curses' own handler).
 */
#ifndef IOSIM_UI_TERM_H
#define IOSIM_UI_TERM_H

#include "ui/cell.h"
#include "ui/ui.h"

/* Start full-screen mode; *ascii says if line drawing must be ASCII.
   Returns 0, or -1 with a message on stderr. */
int term_init(const struct ui_opts *o, int *ascii);
/* Leave full-screen mode; safe to call twice */
void term_done(void);
void term_size(int *cols, int *rows);
/*
 * Wait up to timeout_ms (-1: forever) for a key: returns a codepoint or a
 * UK_* code, 0 on timeout or interruption, -1 when the terminal has gone
 * (end of file, EIO, a hangup).  A click returns UK_MOUSE with its cell in
 * *mx, *my.  From its return to its next call the caller may work as long
 * as it likes: q (see term_quit_keys), SIGINT, SIGTERM, SIGHUP or the
 * terminal's end meanwhile end the process within 100 ms, the terminal
 * restored (exit status 0, 128 + the signal, 1); other keys wait.
 */
int term_getkey(int timeout_ms, int *mx, int *my);
/* Whether q ends the viewer during such work (not while a prompt or the
   help screen would take it) */
void term_quit_keys(int on);
/* Show the buffer; full repaints every cell of the terminal */
void term_draw(const struct cbuf *cb, int full);
/* The signal (SIGINT, SIGTERM, SIGHUP) that asked us to quit, or 0 */
int term_signalled(void);
_Noreturn void term_fatal(const char *msg);

#endif
