/*
 * term.c - everything that talks to curses (see term.h).
 */
#define NCURSES_WIDECHAR 1
#include "ui/term.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "ui/keys.h"

static int active;     /* curses is running */
static int utf8;       /* the terminal takes UTF-8 */
static int scheme;     /* 0 mono, 1 eight colours, 2 256 colours */
static SCREEN *screen;
static volatile sig_atomic_t quit_sig;
static attr_t role_attr[R__COUNT];
static short role_pair[R__COUNT];

/*
 * Leaving in a hurry.  A signal handler may not call curses, so term_init
 * keeps what a handler needs to give the terminal back with write(2) and
 * tcsetattr(3), both async-signal-safe: the terminal's modes from before
 * curses, and the sequence that ends curses' screen (attributes off,
 * cursor shown, keypad and mouse off, the alternate screen cleared and
 * left).
 */
static struct termios saved_tio;
static int have_tio;
static char restore_seq[512];
static size_t restore_len;

static void hurried_restore(void)
{
    if (!active)
        return;
    active = 0;
    /* output stopped by Ctrl-S would block the write below: turning IXON
     * off restarts it (n_tty_set_termios), TCOON undoes a tcflow(TCOOFF) */
    struct termios now;
    if (tcgetattr(STDOUT_FILENO, &now) == 0 && (now.c_iflag & IXON)) {
        now.c_iflag &= ~(tcflag_t)IXON;
        tcsetattr(STDOUT_FILENO, TCSANOW, &now);
    }
    tcflow(STDOUT_FILENO, TCOON);
    if (restore_len) {
        ssize_t r = write(STDOUT_FILENO, restore_seq, restore_len);
        (void)r;
    }
    if (have_tio)
        tcsetattr(STDOUT_FILENO, TCSANOW, &saved_tio);
}

/*
 * Between two keys the viewer works (a seek, a frame) with nobody reading
 * the terminal, so a timer looks at it every 50 ms: a q (unless a prompt
 * or the help screen takes it, or a key typed before it opens one), the
 * terminal's end, or SIGINT, SIGTERM or
 * SIGHUP then end the process at once, however long that work would take.
 * Other keys typed meanwhile are kept and given back to curses in order.
 */
#define WATCH_MS 50
static volatile sig_atomic_t busy;      /* between two term_getkey calls */
static volatile sig_atomic_t quit_keys; /* q ends the viewer */
static unsigned char typed[128];        /* keys read while busy (what
                                           curses' input queue holds) */
static volatile sig_atomic_t ntyped;

static void watch_terminal(void)
{
    struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
    while (poll(&pf, 1, 0) > 0) {
        unsigned char b[64];
        ssize_t n = read(STDIN_FILENO, b, sizeof b);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
            hurried_restore(); /* the terminal is gone */
            _exit(1);
        }
        if (n < 0)
            return;
        for (ssize_t i = 0; i < n; i++) {
            int a = ui_key_action(b[i]); /* a table lookup: safe here */
            if (quit_keys && a == A_QUIT) {
                hurried_restore();
                _exit(0);
            }
            if (a == A_SEARCH || a == A_GOTO || a == A_HELP)
                quit_keys = 0; /* what follows is typed into it */
            if ((size_t)ntyped < sizeof typed) /* past that, keys are lost */
                typed[ntyped++] = b[i];
        }
    }
}

static void define_keys(void);

static void on_quit_signal(int sig)
{
    quit_sig = sig;
    if (busy) { /* nobody waits in getch to see the flag soon */
        hurried_restore();
        _exit(128 + sig);
    }
}

/* A signal that ends the process (a crash, SIGQUIT, SIGUSR1, ...): give
 * the terminal back, then the signal's default action (SA_RESETHAND) */
static void on_fatal(int sig)
{
    int saved = errno;
    hurried_restore();
    raise(sig);
    errno = saved;
}

/* SIGALRM: the watch timer (SI_KERNEL), or someone's kill (fatal) */
static void on_alarm(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    if (si->si_code != SI_KERNEL) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(sig, &sa, NULL);
        on_fatal(sig);
    } else if (busy) {
        watch_terminal();
    }
    errno = saved;
}

static void watch_timer(int on)
{
    struct itimerval it = {{0, 0}, {0, 0}};
    if (on)
        it.it_interval.tv_usec = it.it_value.tv_usec = WATCH_MS * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal; /* no SA_RESTART: getch returns */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND;
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL,
                                SIGTRAP, SIGSYS, SIGQUIT, SIGUSR1, SIGUSR2,
                                SIGPIPE, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
        sigaction(fatal[i], &sa, NULL);
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sa.sa_sigaction = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    /* SIGTSTP/SIGCONT and SIGWINCH stay default: curses installs its own
       handlers (suspend with the terminal restored, redraw on resume;
       KEY_RESIZE on a size change). */
}

static void restore_add(const char *cap)
{
    const char *s = cap ? tigetstr(cap) : NULL;
    if (!cap)
        s = "\033[?1000l"; /* mouse reports off (xterm, as curses set them) */
    if (!s || s == (char *)-1)
        return;
    size_t n = strlen(s);
    if (restore_len + n < sizeof restore_seq) {
        memcpy(restore_seq + restore_len, s, n);
        restore_len += n;
    }
}

void term_quit_keys(int on)
{
    quit_keys = on;
}

static attr_t attrs_of(int ua)
{
    attr_t a = A_NORMAL;
    if (ua & UA_BOLD)
        a |= A_BOLD;
    if (ua & UA_REVERSE)
        a |= A_REVERSE;
    if (ua & UA_UNDERLINE)
        a |= A_UNDERLINE;
    if (ua & UA_DIM)
        a |= A_DIM;
    return a;
}

static void init_colours(const struct ui_opts *o)
{
    const char *nc = getenv("NO_COLOR");
    scheme = 0;
    if (!o->mono && !(nc && *nc) && has_colors() && start_color() == OK) {
        use_default_colors();
        scheme = COLORS >= 256 && COLOR_PAIRS > R__COUNT ? 2 : 1;
    }
    for (int r = 0; r < R__COUNT; r++) {
        const struct ui_role_style *s = &ui_roles[r];
        role_pair[r] = 0;
        if (scheme == 0) {
            role_attr[r] = attrs_of(s->mono);
            continue;
        }
        int fg = scheme == 2 ? s->fg256 : s->fg;
        int bg = scheme == 2 ? s->bg256 : s->bg;
        role_attr[r] = attrs_of(scheme == 2 ? s->attr256 : s->attr);
        if (fg >= 0 || bg >= 0) {
            init_pair((short)(r + 1), (short)fg, (short)bg);
            role_pair[r] = (short)(r + 1);
        }
    }
}

/* Does the environment ask for UTF-8 (LC_ALL, else LC_CTYPE, else LANG)? */
static int env_wants_utf8(void)
{
    static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *e = getenv(vars[i]);
        if (!e || !*e)
            continue;
        for (const char *p = e; *p; p++)
            if ((p[0] | 0x20) == 'u' && (p[1] | 0x20) == 't' &&
                (p[2] | 0x20) == 'f' && (p[3] == '8' || (p[3] == '-' && p[4] == '8')))
                return 1;
        return 0; /* the first one set decides */
    }
    return 0;
}

int term_init(const struct ui_opts *o, int *ascii)
{
    /* A UTF-8 locale that is not installed here (LANG=en_US.UTF-8 on a
       fresh Debian) falls back to C.UTF-8, which glibc always has: the
       terminal takes UTF-8 all the same, and Chinese must not become ???? */
    if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8")) {
        if (env_wants_utf8())
            setlocale(LC_CTYPE, "C.UTF-8");
    }
    utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
    *ascii = o->ascii || !utf8;
    /* a terminal that cannot move the cursor (TERM=dumb, an emacs shell)
       or that terminfo does not know: say so, and what works instead */
    const char *term = getenv("TERM");
    int err = 0;
    if (!term || !*term || setupterm(NULL, fileno(stdout), &err) != OK) {
        fprintf(stderr, "iosim: error: %s (TERM=%s): the viewer needs a "
                "terminal that terminfo knows, such as xterm-256color; "
                "'iosim --dump FILE' prints the timeline as text\n",
                !term || !*term ? "TERM is not set" : "unknown terminal type",
                term ? term : "");
        return -1;
    }
    const char *cup = tigetstr("cup");
    if (!cup || cup == (char *)-1) {
        fprintf(stderr, "iosim: error: this terminal (TERM=%s) cannot move "
                "the cursor, so the viewer cannot draw; run it in a terminal "
                "emulator (xterm, tmux ...), or use 'iosim --dump FILE' for "
                "the timeline as text\n", term);
        del_curterm(cur_term);
        return -1;
    }
    del_curterm(cur_term);
    have_tio = tcgetattr(STDOUT_FILENO, &saved_tio) == 0;
    install_signals();
    atexit(term_done);
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        fprintf(stderr, "iosim: error: cannot use this terminal (TERM=%s); "
                "'iosim --dump FILE' prints the timeline as text\n",
                term);
        return -1;
    }
    active = 1;
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    define_keys();
    set_escdelay(25); /* Esc acts at once, not after a second */
    curs_set(0);
    init_colours(o);
    int mouse = mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL) != 0;
    mouseinterval(0);
    restore_add("sgr0");
    restore_add("cnorm");
    restore_add("rmkx");
    if (mouse)
        restore_add(NULL);
    restore_add("clear");
    restore_add("rmcup");
    quit_keys = 1;
    busy = 1;
    watch_timer(1);
    return 0;
}

void term_done(void)
{
    busy = 0;
    if (!active)
        return;
    watch_timer(0);
    active = 0;
    /*
     * Leave the alternate screen blank.  A terminal that restores the
     * normal screen after the window grew (tmux: alternate_off resizes to
     * the saved size, then back) keeps the non-blank rows of the alternate
     * screen above the restored text: pieces of the viewer would stay
     * above the shell prompt.  Blank rows are dropped instead.
     */
    erase();
    refresh();
    curs_set(1);
    endwin();
    fflush(stdout);
}

void term_size(int *cols, int *rows)
{
    *cols = COLS;
    *rows = LINES;
}

int term_signalled(void)
{
    return quit_sig;
}

_Noreturn void term_fatal(const char *msg)
{
    term_done();
    fprintf(stderr, "iosim: fatal: %s\n", msg);
    exit(1);
}

/*
 * The sequences the common terminals send for the editing and function
 * keys, whatever TERM says: a terminal inside tmux or screen sends
 * tmux's own (Home = \e[1~) while TERM may still name xterm, whose
 * terminfo says \eOH, and curses would hand us "\e", "[", "1", "~".
 * Teaching with a presentation clicker (PgUp/PgDn) must not depend on it.
 */
static const struct {
    const char *seq;
    int key;
} extra_keys[] = {
    /* xterm (normal and application mode), vt220/screen/tmux, rxvt */
    { "\033[H", KEY_HOME }, { "\033OH", KEY_HOME }, { "\033[1~", KEY_HOME },
    { "\033[7~", KEY_HOME },
    { "\033[F", KEY_END }, { "\033OF", KEY_END }, { "\033[4~", KEY_END },
    { "\033[8~", KEY_END },
    { "\033[5~", KEY_PPAGE }, { "\033[6~", KEY_NPAGE },
    { "\033[2~", KEY_IC }, { "\033[3~", KEY_DC },
    /* F1-F4: xterm (SS3), vt220/rxvt (CSI n ~), the Linux console */
    { "\033OP", KEY_F(1) }, { "\033OQ", KEY_F(2) }, { "\033OR", KEY_F(3) },
    { "\033OS", KEY_F(4) },
    { "\033[11~", KEY_F(1) }, { "\033[12~", KEY_F(2) }, { "\033[13~", KEY_F(3) },
    { "\033[14~", KEY_F(4) },
    { "\033[[A", KEY_F(1) }, { "\033[[B", KEY_F(2) }, { "\033[[C", KEY_F(3) },
    { "\033[[D", KEY_F(4) }, { "\033[[E", KEY_F(5) },
    { "\033[15~", KEY_F(5) }, { "\033[17~", KEY_F(6) }, { "\033[18~", KEY_F(7) },
    { "\033[19~", KEY_F(8) }, { "\033[20~", KEY_F(9) }, { "\033[21~", KEY_F(10) },
    { "\033[23~", KEY_F(11) }, { "\033[24~", KEY_F(12) },
};

static void define_keys(void)
{
    for (size_t i = 0; i < sizeof extra_keys / sizeof *extra_keys; i++)
        if (key_defined(extra_keys[i].seq) <= 0) /* unbound, or a prefix */
            define_key(extra_keys[i].seq, extra_keys[i].key);
}

static int map_key(int k)
{
    if (k >= KEY_F(1) && k <= KEY_F(12))
        return UK_F1 + (k - KEY_F(1));
    switch (k) {
    case KEY_UP: return UK_UP;
    case KEY_DOWN: return UK_DOWN;
    case KEY_LEFT: return UK_LEFT;
    case KEY_RIGHT: return UK_RIGHT;
    /* the keypad's corners, and vt220's Find and Select (\e[1~, \e[4~,
       where a terminal has Home and End) */
    case KEY_HOME: case KEY_A1: case KEY_FIND: return UK_HOME;
    case KEY_END: case KEY_C1: case KEY_SELECT: return UK_END;
    case KEY_PPAGE: case KEY_A3: return UK_PGUP;
    case KEY_NPAGE: case KEY_C3: return UK_PGDN;
    case KEY_BACKSPACE: return UK_BACKSPACE;
    case KEY_BTAB: return UK_BTAB;
    case KEY_DC: return UK_DELETE;
    case KEY_IC: return UK_INSERT;
    case KEY_ENTER: return UK_ENTER;
    case KEY_RESIZE: return UK_RESIZE;
    default: return 0;
    }
}

/* The terminal has gone (a hangup, the pty closed): poll says so, or it
 * keeps saying there is input that get_wch cannot read */
static int terminal_gone(int *strange)
{
    struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&pf, 1, 0) < 0)
        return errno != EINTR;
    if (pf.revents & (POLLHUP | POLLERR | POLLNVAL))
        return 1;
    if (!(pf.revents & POLLIN))
        *strange = 0;
    else if (++*strange > 20)
        return 1;
    return 0;
}

/*
 * Give curses back the bytes the watch read, as keys: a byte curses gets
 * back is taken as it is, so the sequences of the terminal's keys (arrows,
 * Home, ...) are turned into their key codes here, by the terminal's own
 * definitions.  Mouse reports typed meanwhile are dropped.
 */
static void give_back_typed(void)
{
    int keys[sizeof typed], nk = 0, n = ntyped;
    for (int i = 0; i < n;) {
        int code = 0, len = 0;
        for (int l = 1; typed[i] == 27 && l < 16 && i + l <= n; l++) {
            char seq[16];
            memcpy(seq, typed + i, (size_t)l);
            seq[l] = 0;
            int k = key_defined(seq);
            if (k > 0) {
                code = k;
                len = l;
                break;
            }
            if (k == 0) /* no key begins so */
                break;
        }
        if (code == KEY_MOUSE) {
            i += len + 3; /* the report's button, column and row */
            continue;
        }
        keys[nk++] = code ? code : typed[i];
        i += code ? len : 1;
    }
    for (int k = nk; k > 0; k--)
        ungetch(keys[k - 1]);
    ntyped = 0;
}

int term_getkey(int timeout_ms, int *mx, int *my)
{
    static int strange;
    wint_t ch;
    /* the keys typed while the viewer was busy go first, in order */
    watch_timer(0);
    busy = 0;
    give_back_typed();
    timeout(timeout_ms);
    int r = get_wch(&ch);
    busy = 1;
    watch_timer(1);
    if (r == ERR)
        return quit_sig || !terminal_gone(&strange) ? 0 : -1;
    strange = 0;
    if (r == KEY_CODE_YES) {
        if (ch == KEY_MOUSE) {
            MEVENT me;
            if (getmouse(&me) == OK &&
                (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) {
                *mx = me.x;
                *my = me.y;
                return UK_MOUSE;
            }
            return 0;
        }
        return map_key((int)ch);
    }
    if (ch == 127 || ch == 8)
        return UK_BACKSPACE;
    if (ch == '\r')
        return UK_ENTER;
    return (int)ch;
}

void term_draw(const struct cbuf *cb, int full)
{
    if (!active)
        return;
    if (full)
        clearok(curscr, TRUE);
    int h = cb->h < LINES ? cb->h : LINES, w = cb->w < COLS ? cb->w : COLS;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const struct cell *c = cb_at(cb, x, y);
            if (c->w == 0)
                continue;
            wchar_t wc[2] = { (wchar_t)c->ch, 0 };
            if (!utf8 && c->ch > 0x7e)
                wc[0] = '?';
            if (c->w == 2 && x + 1 >= w)
                wc[0] = ' ';
            cchar_t cc;
            setcchar(&cc, wc, role_attr[c->role], role_pair[c->role], NULL);
            mvadd_wch(y, x, &cc); /* the bottom-right cell may say ERR */
            if (!utf8 && c->w == 2 && x + 1 < w)
                mvaddch(y, x + 1, '?');
        }
    }
    wnoutrefresh(stdscr);
    doupdate();
}
