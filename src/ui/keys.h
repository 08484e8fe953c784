/*
 * keys.h - every user action, declared once.
 *
 * UI_ACTIONS is the one table of actions: X(action, help text, default
 * keys...).  It generates the action enum, the key dispatch (ui_key_action)
 * and the help screen, so a binding cannot exist without its help line.
 * Keys are Unicode codepoints or the UK_* codes below; term.c translates
 * curses key codes into these, so nothing here depends on curses.
 */
#ifndef IOSIM_UI_KEYS_H
#define IOSIM_UI_KEYS_H

enum ui_keycode {
    UK_BASE = 0x110000, /* above every Unicode codepoint */
    UK_UP, UK_DOWN, UK_LEFT, UK_RIGHT, UK_HOME, UK_END, UK_PGUP, UK_PGDN,
    UK_BACKSPACE, UK_BTAB, UK_DELETE, UK_INSERT,
    UK_F1, UK_F2, UK_F3, UK_F4, UK_F5, UK_F6, UK_F7, UK_F8, UK_F9, UK_F10,
    UK_F11, UK_F12, /* UK_F1 + n - 1 is Fn */
    UK_RESIZE, /* the terminal changed size */
    UK_MOUSE,  /* a click: position in the viewer's mouse_x, mouse_y */
};

#define UK_CTRL(c) ((c) & 0x1f)
#define UK_ESC 27
#define UK_TAB '\t'
#define UK_ENTER '\n'

#define UI_ACTIONS(X) \
    X(NEXT_EVENT, "Next event", 'l', UK_RIGHT) \
    X(PREV_EVENT, "Previous event", 'h', UK_LEFT) \
    X(NEXT_CAPTION, "Next step of the lesson: its caption and what it narrates", ' ', UK_PGDN) \
    X(PREV_CAPTION, "Previous step of the lesson", UK_BACKSPACE, 'b', UK_PGUP) \
    X(NEXT_TASK_EVENT, "Next event of the selected task", ']', 'w') \
    X(PREV_TASK_EVENT, "Previous event of the selected task", '[', 'W') \
    X(NEXT_CHANGE, "Next change of the selected fd (or queue, see Tab)", 'c', '}') \
    X(PREV_CHANGE, "Previous change of the selected fd or queue", 'C', '{') \
    X(START, "Go to the start", UK_HOME, 'g') \
    X(END, "Go to the end", UK_END, 'G') \
    X(GOTO, "Go to an event number or a time (120, 5ms, 1.5s), or select fd N or task NAME (fd 1101, task client42)", ':', '#') \
    X(PLAY, "Play or pause; playback stops at each step of the lesson", 'p') \
    X(PLAY_THROUGH, "Play without stopping at the steps", 'P') \
    X(FASTER, "Play faster", '+', '=', '>') \
    X(SLOWER, "Play slower", '-', '<') \
    X(SEL_DOWN, "Select the next task (fd, queue when focused; side by side: the next call)", 'j', UK_DOWN) \
    X(SEL_UP, "Select the previous task (fd, queue when focused; side by side: the previous call)", 'k', UK_UP) \
    X(FOCUS_NEXT, "Move focus to the next panel: tasks, fds, queues", UK_TAB) \
    X(FOCUS_PREV, "Move focus to the previous panel", UK_BTAB) \
    X(SEARCH, "Search the event log for a text", '/') \
    X(SEARCH_NEXT, "Next match of the search", 'n') \
    X(SEARCH_PREV, "Previous match of the search", 'N') \
    X(INFO, "Show the whole text of the current event and caption", 'i', UK_ENTER) \
    X(BOOKMARK, "Set or clear a bookmark at this event", 'm', UK_INSERT) \
    X(NEXT_BOOKMARK, "Go to the next bookmark", '\'') \
    X(PREV_BOOKMARK, "Go to the previous bookmark", '"') \
    X(ZOOM_IN, "Zoom the timeline in around the cursor", 'z') \
    X(ZOOM_OUT, "Zoom the timeline out", 'Z') \
    X(OTHER_RUN, "With --real (or after s): switch between the real run and the simulation, at the same caption", 'r') \
    X(SIDE_BY_SIDE, "Side by side: the simulation beside the real run, each call aligned and every divergence marked (runs the scenario for real first); again: one run alone", 's') \
    X(NEXT_DIVERGENCE, "Side by side: the next divergence between the simulation and the real run", 'd') \
    X(PREV_DIVERGENCE, "Side by side: the previous divergence", 'D') \
    X(HELP, "Show or hide this help", '?', UK_F1) \
    X(CANCEL, "Close the help, cancel a prompt, clear the message", UK_ESC) \
    X(REDRAW, "Redraw the screen", UK_CTRL('l')) \
    X(QUIT, "Quit", 'q', 'Q')

enum ui_action {
    A_NONE,
#define X(a, h, ...) A_##a,
    UI_ACTIONS(X)
#undef X
    A__COUNT
};

/* Handlers return what should happen: a bitmask */
enum {
    UI_HANDLED = 1, /* the key meant something */
    UI_REDRAW = 2,  /* the screen changed */
    UI_QUIT = 4,    /* leave the viewer */
    UI_FULL = 8,    /* repaint the whole terminal (Ctrl-L, resize) */
    UI_OTHER = 16,  /* show the other run (ui_opts.other) */
    UI_PAIR = 32,   /* side by side with the other run, or back to one */
};

/* The action bound to key, or A_NONE */
int ui_key_action(int key);
const char *ui_action_help(int action);
const char *ui_action_name(int action);
/* The default keys of an action, 0-terminated (static) */
const int *ui_action_keys(int action);
/* "Right", "Space", "Ctrl-L", "q" ... into buf */
const char *ui_key_name(int key, char *buf, int len);

#endif
