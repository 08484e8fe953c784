/*
 * test_ui.c - the viewer without a terminal: the cell buffer, golden
 * screens (tests/golden/ui_*.txt) of hand-built and real timelines at
 * 80x24 and 132x43 (blocking, the default epoll scenario, io_uring), what
 * the two phases say for each I/O model, key handling driven through
 * ui_key(), mouse clicks, layout at every size, and the cost of a keypress
 * on 10^6 events and on 10,000 clients.
 *
 * UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/scn.h"
#include "sim/sim.h"
#include "ui/cell.h"
#include "ui/keys.h"
#include "ui/ui.h"
#include "ui/view.h"
#include "ui/viewer.h"
#include "testlib.h"

/* ---- helpers ------------------------------------------------------------ */

static char *render_viewer(struct viewer *v, int cols, int rows, int ascii)
{
    struct cbuf cb;
    assert_int_equal(cb_init(&cb, cols, rows), 0);
    cb.ascii = ascii;
    ui_render(v, &cb);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(cb_dump(&cb, f), 0);
    fclose(f);
    cb_free(&cb);
    return buf;
}

static char *render_text(struct tl *tl, int cols, int rows, long ev, int task)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(ui_render_text(tl, cols, rows, ev, task, 0, f), 0);
    fclose(f);
    return buf;
}

static void push(struct tl *tl, int64_t t, int type, int task, int sub,
                 int obj, int64_t a, int64_t b, int line)
{
    struct tl_ev e = {.t = t, .a = a, .b = b, .obj = obj,
                      .line = (uint64_t)line,
                      .task = (uint16_t)(task < 0 ? (int)TL_NOTASK : task),
                      .type = (uint16_t)type, .sub = (uint16_t)sub};
    assert_true(tl_push(tl, &e) >= 0);
}

/*
 * A hand-built timeline: an epoll server with a worker thread and a peer
 * whose name and caption are Chinese (wide characters), two CPUs, an
 * accept queue and an epoll ready list.
 */
static struct tl *hand_tl(void)
{
    struct tl *tl = tl_new();
    assert_non_null(tl);
    tl->ncpus = 2;
    tl_set_str(&tl->title, "Hand-built: epoll wakes a server");
    tl_set_str(&tl->model, "epoll");
    tl_set_str(&tl->source, "hand.scn");
    char *lines[] = {
        "process web {",
        "    ep = epoll_create",
        "    n = epoll_wait ep",
        "    n = read c 4K",
        "    n = read c 4K",
        "    exit",
        "}",
        "thread worker {",
        "    compute 2us",
        "}",
    };
    int sc = tl_add_script(tl, "tests/hand.scn", lines, 10);
    int web = tl_add_task(tl, "web", TK_PROCESS, -1, -1, sc);
    int wk = tl_add_task(tl, "worker", TK_THREAD, web, web, sc);
    int cl = tl_add_task(tl, "客户端", TK_PEER, -1, -1, -1);
    struct tl_obj lo = { OK_LISTEN, -1, 0, 0, 80, -1, web };
    struct tl_obj so = { OK_SOCKET, -1, 4096, 4096, 80, -1, web };
    struct tl_obj eo = { OK_EPOLL, -1, 0, 0, 0, -1, web };
    int l = tl_add_obj(tl, &lo), s = tl_add_obj(tl, &so), e = tl_add_obj(tl, &eo);
    int qa = tl_add_queue(tl, "accept queue :80", TQK_ACCEPT, l);
    int qr = tl_add_queue(tl, "epoll ready list", TQK_READY, e);
    int c1 = tl_add_str(tl, "The web server waits in epoll_wait(); its worker thread computes.");
    int c2 = tl_add_str(tl, "数据到达内核缓冲区：第一阶段结束 (data reached the kernel buffer: phase one ends)");
    int c3 = tl_add_str(tl, "read() again: the buffer is empty and the fd is non-blocking, so EAGAIN.");
    push(tl, 0, EV_OBJ_NEW, -1, OK_LISTEN, l, 80, 0, 0);
    push(tl, 0, EV_OBJ_NEW, -1, OK_SOCKET, s, 80, 0, 0);
    push(tl, 0, EV_OBJ_NEW, -1, OK_EPOLL, e, 0, 0, 0);
    push(tl, 0, EV_TASK_NEW, web, TK_PROCESS, -1, -1, 0, 1);
    push(tl, 0, EV_TASK_NEW, wk, TK_THREAD, -1, web, 0, 8);
    push(tl, 0, EV_TASK_NEW, cl, TK_PEER, -1, -1, 0, 0);
    push(tl, 0, EV_FD_OPEN, web, 0, l, 3, 0, 0);
    push(tl, 0, EV_FD_OPEN, web, 0, s, 4, 0, 0);
    push(tl, 0, EV_FD_OPEN, web, 0, e, 5, 0, 0);
    push(tl, 0, EV_FLAGS, web, TL_FL_NONBLOCK, s, 4, 0, 0);
    push(tl, 0, EV_CAPTION, -1, 0, -1, c1, 0, 0);
    push(tl, 0, EV_STATE, web, TS_RUNNING, -1, 0, 0, 2);
    push(tl, 0, EV_STATE, cl, TS_RUNNING, -1, -1, 0, 0); /* a peer: no CPU here */
    push(tl, 100, EV_SYS_ENTER, web, SYS_EPOLL_WAIT, 5, 64, 0, 3);
    push(tl, 100, EV_STATE, web, TS_BLOCKED, e, TW_EVENTS, 0, 3);
    push(tl, 100, EV_STATE, wk, TS_READY, -1, 0, 0, 9);
    push(tl, 2100, EV_STATE, wk, TS_RUNNING, -1, 0, 0, 9);
    push(tl, 3000, EV_QUEUE, -1, TQ_PUSH, qa, s, 0, 0);
    push(tl, 3000, EV_QUEUE, -1, TQ_POP, qa, s, 0, 0);
    push(tl, 5000, EV_DATA, -1, 0, s, 100, -1, 0);
    push(tl, 5000, EV_QUEUE, -1, TQ_PUSH, qr, 4, 0, 0);
    push(tl, 5000, EV_CAPTION, cl, 0, -1, c2, 0, 0);
    push(tl, 5000, EV_STATE, cl, TS_EXITED, -1, 0, 0, 0);
    push(tl, 6000, EV_STATE, web, TS_READY, -1, 0, 0, 3);
    push(tl, 7000, EV_STATE, web, TS_RUNNING, -1, 1, 0, 3);
    push(tl, 7000, EV_QUEUE, -1, TQ_POP, qr, 4, 0, 0);
    push(tl, 7100, EV_SYSCALL, web, SYS_EPOLL_WAIT, 5, 1, 7000, 3);
    push(tl, 7100, EV_SYS_ENTER, web, SYS_READ, 4, 4096, 0, 4);
    push(tl, 7110, EV_COPY, web, TC_TO_USER, s, 100, 10, 4);
    push(tl, 7200, EV_SYSCALL, web, SYS_READ, 4, 100, 100, 4);
    push(tl, 7200, EV_CAPTION, web, 0, -1, c3, 0, 0);
    push(tl, 7300, EV_SYS_ENTER, web, SYS_READ, 4, 4096, 0, 5);
    push(tl, 7400, EV_SYSCALL, web, SYS_READ, 4, -EAGAIN, 100, 5);
    push(tl, 8000, EV_STATE, wk, TS_EXITED, -1, 0, 0, 9);
    return tl;
}

/* ---- cell buffer -------------------------------------------------------- */

static void test_cell_widths(void **st)
{
    (void)st;
    assert_int_equal(ui_wcwidth('a'), 1);
    assert_int_equal(ui_wcwidth(0x4e2d), 2);  /* 中 */
    assert_int_equal(ui_wcwidth(0xff21), 2);  /* fullwidth A */
    assert_int_equal(ui_wcwidth(0x0301), 0);  /* combining acute */
    assert_int_equal(ui_strwidth("中文ab"), 6);
    struct cbuf cb;
    assert_int_equal(cb_init(&cb, 10, 2), 0);
    /* a wide char that does not fit at the end is not drawn half */
    assert_int_equal(cb_text(&cb, 0, 0, 10, "abcdefghi中", R_DEFAULT), 10);
    char row[64];
    cb_row_text(&cb, 0, row, sizeof row);
    assert_string_equal(row, "abcdefghi\xe2\x80\xa6"); /* ellipsis */
    /* overwriting half of a wide char blanks the other half */
    cb_text(&cb, 0, 1, 10, "中文", R_DEFAULT);
    cb_put(&cb, 1, 1, 'x', R_DEFAULT);
    cb_row_text(&cb, 1, row, sizeof row);
    assert_string_equal(row, " x文");
    cb_put(&cb, 2, 1, 'y', R_DEFAULT);
    cb_row_text(&cb, 1, row, sizeof row);
    assert_string_equal(row, " xy");
    /* a name that does not fit loses its middle, so its end still tells
       it apart; one that fits is drawn whole */
    assert_int_equal(cb_name(&cb, 0, 0, 10, "app/worker2", R_DEFAULT), 10);
    cb_row_text(&cb, 0, row, sizeof row);
    assert_string_equal(row, "app/\xe2\x80\xa6rker2");
    cb_fill(&cb, (struct rect){0, 0, 10, 1}, ' ', R_DEFAULT);
    assert_int_equal(cb_name(&cb, 0, 0, 10, "web.2", R_DEFAULT), 5);
    cb_row_text(&cb, 0, row, sizeof row);
    assert_string_equal(row, "web.2");
    cb_fill(&cb, (struct rect){0, 0, 10, 1}, ' ', R_DEFAULT);
    /* a CPython thread's "(target)" goes before the middle of its name */
    cb_name(&cb, 0, 0, 10, "Thread-2 (handle_request)", R_DEFAULT);
    cb_row_text(&cb, 0, row, sizeof row);
    assert_string_equal(row, "Thread-2");
    cb_fill(&cb, (struct rect){0, 0, 10, 1}, ' ', R_DEFAULT);
    /* wide characters are never cut in half */
    assert_true(cb_name(&cb, 0, 0, 7, "中文中文中文", R_DEFAULT) <= 7);
    cb_row_text(&cb, 0, row, sizeof row);
    assert_string_equal(row, "中\xe2\x80\xa6文");
    cb_fill(&cb, (struct rect){0, 0, 10, 1}, ' ', R_DEFAULT);
    /* ASCII glyphs */
    cb.ascii = 1;
    assert_int_equal(cb_glyph(&cb, G_HLINE), '-');
    cb.ascii = 0;
    assert_int_equal(cb_glyph(&cb, G_HLINE), 0x2500);
    /* nothing is ever written outside */
    cb_text(&cb, -5, 7, 100, "outside", R_DEFAULT);
    cb_put(&cb, 10, 0, 'z', R_DEFAULT);
    cb_free(&cb);
}

static void test_cell_wrap(void **st)
{
    (void)st;
    struct ui_span l[8];
    const char *s = "blocked in read(): waiting for data";
    int n = ui_wrap(s, 20, l, 8);
    assert_int_equal(n, 2);
    assert_int_equal(l[0].len, 18); /* "blocked in read():" */
    assert_memory_equal(s + l[1].off, "waiting for data", 16);
    /* CJK text breaks between wide characters */
    n = ui_wrap("数据到达内核缓冲区", 8, l, 8);
    assert_int_equal(n, 3);
    assert_int_equal(l[0].len, 12); /* four characters of 3 bytes */
    /* invalid UTF-8 is shown as U+FFFD, never skipped silently */
    uint32_t cp;
    assert_int_equal(ui_utf8_dec("\xff" "a", &cp), 1);
    assert_int_equal(cp, 0xfffd);
}

/* ---- golden screens ----------------------------------------------------- */

static void test_golden_hand(void **st)
{
    (void)st;
    struct tl *tl = hand_tl();
    static const struct {
        int cols, rows;
        long ev;
    } shots[] = {
        { 80, 24, 0 }, { 80, 24, 15 }, { 80, 24, 22 }, { 80, 24, 29 },
        { 132, 43, 22 }, { 132, 43, 34 }, { 200, 60, 29 },
    };
    for (size_t i = 0; i < sizeof shots / sizeof *shots; i++) {
        char name[96];
        snprintf(name, sizeof name, "ui_hand_%dx%d_%ld", shots[i].cols,
                 shots[i].rows, shots[i].ev);
        char *txt = render_text(tl, shots[i].cols, shots[i].rows, shots[i].ev, -1);
        check_golden(name, txt);
        free(txt);
    }
    tl_free(tl);
}

static void test_golden_blocking(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/blocking.scn");
    long evs[] = { -1, 45, 58, 60, 61, (long)tl->nev };
    for (size_t i = 0; i < sizeof evs / sizeof *evs; i++) {
        for (int big = 0; big < 2; big++) {
            char name[96];
            int cols = big ? 132 : 80, rows = big ? 43 : 24;
            snprintf(name, sizeof name, "ui_blocking_%dx%d_%s%ld", cols, rows,
                     evs[i] < 0 ? "start" : "", evs[i] < 0 ? 0 : evs[i]);
            char *txt = render_text(tl, cols, rows, evs[i], -1);
            check_golden(name, txt);
            free(txt);
        }
    }
    /* the client selected */
    char *txt = render_text(tl, 80, 24, 60, 1);
    check_golden("ui_blocking_80x24_60_client", txt);
    free(txt);
    tl_free(tl);
}

static void test_golden_nonblocking(void **st)
{
    (void)st;
    FILE *f = fopen("scenarios/nonblocking.scn", "r");
    if (!f) {
        skip();
        return;
    }
    fclose(f);
    struct tl *tl = run_file("scenarios/nonblocking.scn");
    long mid = (long)tl->nev / 3;
    char *txt = render_text(tl, 132, 43, mid, 0);
    check_golden("ui_nonblocking_132x43_third", txt);
    free(txt);
    tl_free(tl);
}

/* the screen after step k of the lesson (k = 0: the start) */
static char *render_step(struct tl *tl, int cols, int rows, long k, int ascii)
{
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_true(k <= v.ncaps);
    if (k > 0)
        viewer_goto_step(&v, k - 1);
    else
        viewer_seek(&v, 0);
    char *txt = render_viewer(&v, cols, rows, ascii);
    viewer_close(&v);
    return txt;
}

/* index + 1 of the first event of a type by a task (TL_NOTASK for none) */
static long after_first(const struct tl *tl, int type, int task)
{
    for (size_t i = 0; i < tl->nev; i++)
        if (tl->ev[i].type == type && tl->ev[i].task == task)
            return (long)i + 1;
    fail_msg("no event of type %d", type);
    return -1;
}

/*
 * The default scenario (the README opens it) at 80x24 and 132x43: the
 * epoll interest and ready lists must be on screen, and the caption whole.
 */
static void test_golden_epoll(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/epoll.scn");
    static const struct {
        int cols, rows;
        long step;
    } shots[] = {
        { 80, 24, 1 }, { 80, 24, 9 }, { 80, 24, 16 },
        { 132, 43, 14 }, { 132, 43, 16 },
    };
    for (size_t i = 0; i < sizeof shots / sizeof *shots; i++) {
        char name[96];
        snprintf(name, sizeof name, "ui_epoll_%dx%d_step%ld", shots[i].cols,
                 shots[i].rows, shots[i].step);
        char *txt = render_step(tl, shots[i].cols, shots[i].rows, shots[i].step, 0);
        assert_non_null(strstr(txt, "interest list"));
        assert_non_null(strstr(txt, "ready list"));
        assert_non_null(strstr(txt, "peers (outside the machine)"));
        assert_null(strstr(txt, "CPU -1"));
        check_golden(name, txt);
        free(txt);
    }
    /* after alice's request landed: fd 5 on the ready list */
    char *txt = render_step(tl, 80, 24, 15, 0);
    assert_non_null(strstr(txt, "ready list         [fd 5]"));
    free(txt);
    /* ASCII */
    txt = render_step(tl, 80, 24, 9, 1);
    for (const char *c = txt; *c; c++)
        assert_true((unsigned char)*c < 0x80);
    check_golden("ui_epoll_ascii_80x24_step9", txt);
    free(txt);
    tl_free(tl);
}

/*
 * io_uring: the two phases are the kernel's (a copy with no task, then a
 * completion); the task never blocks in read().  Queue items in words.
 */
static void test_golden_io_uring(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/io_uring.scn");
    long copy = after_first(tl, EV_COPY, TL_NOTASK);
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_seek(&v, copy);
    char *txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "Phase 2: the kernel copies the data"));
    assert_non_null(strstr(txt, "the kernel copies 100 B kernel -> user"));
    assert_non_null(strstr(txt, "(kernel filled it)"));
    assert_null(strstr(txt, "read() copies it"));
    check_golden("ui_io_uring_132x43_kcopy", txt);
    free(txt);
    /* the completion is posted, then taken: no raw numbers in the rings */
    viewer_seek(&v, copy + 1);
    txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "[read fd 4: res 100]"));
    assert_non_null(strstr(txt, "a completion (CQE) is posted"));
    free(txt);
    long k;
    for (k = 0; k < v.ncaps; k++)
        if (strstr(tl->strs[tl->ev[v.caps[k]].a], "A read completed"))
            break;
    assert_true(k < v.ncaps);
    viewer_close(&v);
    for (int big = 0; big < 2; big++) {
        txt = render_step(tl, big ? 132 : 80, big ? 43 : 24, k + 1, 0);
        assert_non_null(strstr(txt, "never blocked in read()"));
        check_golden(big ? "ui_io_uring_132x43_cqe" : "ui_io_uring_80x24_cqe", txt);
        free(txt);
    }
    tl_free(tl);
}

/* signal-driven I/O and select: what the two phases say */
static void test_phases_models(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/sigio.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    long handled = -1, copy = -1;
    for (size_t i = 0; i < tl->nev; i++) {
        if (handled < 0 && tl->ev[i].type == EV_SIGNAL && tl->ev[i].sub == 1)
            handled = (long)i + 1;
        if (handled > 0 && copy < 0 && tl->ev[i].type == EV_COPY &&
            tl->ev[i].sub == TC_TO_USER && tl->ev[i].task == 0)
            copy = (long)i + 1;
    }
    assert_true(handled > 0 && copy > 0);
    viewer_seek(&v, handled);
    char *txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "raises SIGIO"));
    assert_non_null(strstr(txt, "SIGIO handler runs"));
    free(txt);
    viewer_seek(&v, copy);
    txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "Phase 2: read() copies the data from kernel to user"));
    assert_non_null(strstr(txt, "(synchronous)"));
    free(txt);
    /* the client's send while the handler runs: its step takes in the
       landing and the SIGIO it raises, pending (blocked in the handler) */
    int k = 0;
    while (viewer_goto_step(&v, k) == 0 &&
           !strstr(tl->strs[v.cur.w.caption], "two more messages"))
        k++;
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "two more messages"));
    txt = render_viewer(&v, 80, 24, 0);
    assert_non_null(strstr(txt, "[SIGIO]"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);

    tl = run_file("scenarios/select.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    /* the first read of the server: select() then read() in one figure */
    long rd = -1;
    for (size_t i = 0; i < tl->nev && rd < 0; i++)
        if (tl->ev[i].type == EV_COPY && tl->ev[i].task == 0 &&
            tl->ev[i].sub == TC_TO_USER)
            rd = (long)i + 1;
    assert_true(rd > 0);
    viewer_seek(&v, rd);
    txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "Phase 2: read() copies"));
    assert_non_null(strstr(txt, "pselect6()"));
    assert_non_null(strstr(txt, "wait for a ready fd"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * 10,000 clients: the tasks panel and the timeline group them under one
 * heading with a count by state, keep the server and the selected client
 * on screen, and keys work (how fast is make bench's: frame.*).
 */
static void test_c10k(void **st)
{
    (void)st;
    char err[1024];
    struct prog *p = scn_load_model("scenarios/c10k.scn", "poll", err, sizeof err);
    if (!p)
        fail_msg("load c10k: %s", err);
    struct tl *tl = sim_run(p, NULL, err, sizeof err);
    prog_free(p);
    assert_non_null(tl);
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(v.npeers, 10000);
    assert_true(v.ncaps < 10); /* the template's repeated sentence: 1 step */
    viewer_seek(&v, (long)tl->nev / 2);
    int peer = v.order[v.first_peer + 5000];
    v.sel_task = peer;
    for (int big = 0; big < 2; big++) {
        char *txt = render_viewer(&v, big ? 132 : 80, big ? 43 : 24, 0);
        assert_non_null(strstr(txt, "10000 peers (outside the machine)"));
        assert_non_null(strstr(txt, " blocked"));
        assert_non_null(strstr(txt, "c10k "));                /* the server */
        assert_non_null(strstr(txt, tl->tasks[peer].name));  /* selected */
        free(txt);
    }
    struct cbuf cb;
    assert_int_equal(cb_init(&cb, 132, 43), 0);
    const char *keys = "jjjjkkkkllllhhhh  G g";
    for (const char *k = keys; *k; k++) {
        ui_key(&v, *k);
        ui_render(&v, &cb);
        if (*k == 'G') /* the end */
            assert_true(v.cur.w.idx == (long)tl->nev);
    }
    cb_free(&cb);
    viewer_close(&v);
    tl_free(tl);
}

static void test_golden_special(void **st)
{
    (void)st;
    struct tl *tl = hand_tl();
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_seek(&v, 22);
    /* too small */
    char *txt = render_viewer(&v, 60, 20, 0);
    assert_non_null(strstr(txt, "Terminal too small: 60x20"));
    check_golden("ui_too_small_60x20", txt);
    free(txt);
    txt = render_viewer(&v, 79, 24, 0);
    assert_non_null(strstr(txt, "Terminal too small"));
    free(txt);
    /* 80x23: an 80x24 terminal with a tmux or screen status line */
    txt = render_viewer(&v, 80, 22, 0);
    assert_non_null(strstr(txt, "iosim needs at least 80x23."));
    free(txt);
    txt = render_viewer(&v, 80, 23, 0);
    assert_null(strstr(txt, "too small"));
    assert_non_null(strstr(txt, "fd table of web"));
    free(txt);
    txt = render_viewer(&v, 1, 1, 0);
    free(txt);
    /* help */
    assert_true(ui_key(&v, '?') & UI_REDRAW);
    txt = render_viewer(&v, 80, 24, 0);
    check_golden("ui_help_80x24", txt);
    free(txt);
    ui_key(&v, UK_ESC);
    assert_int_equal(v.help, 0);
    /* ASCII line drawing */
    txt = render_viewer(&v, 80, 24, 1);
    for (const unsigned char *p = (const unsigned char *)txt; *p; p++)
        if (*p >= 0x80) { /* only the task and caption text may be wide */
            assert_true(strstr(txt, "客户端") || strstr(txt, "数据"));
            break;
        }
    assert_null(strstr(txt, "\xe2\x94\x80")); /* no U+2500 */
    check_golden("ui_hand_ascii_80x24_22", txt);
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/* ---- what a teacher found at 80x24 ------------------------------------- */

static void type(struct viewer *v, const char *s);

/* Row y of a screen dump (0-based), without its newline */
static char *row_of(const char *txt, int y, char *buf, size_t len)
{
    for (int i = 0; i < y && txt; i++) {
        txt = strchr(txt, '\n');
        if (txt)
            txt++;
    }
    buf[0] = 0;
    if (txt)
        sscanf(txt, "%1023[^\n]", buf);
    (void)len;
    return buf;
}

/* Is the text on one row of a panel whose title contains panel? */
static int in_panel(const char *txt, const char *panel, const char *text)
{
    const char *t = strstr(txt, panel);
    if (!t)
        return 0;
    /* the panel's column: count the columns before the title on its row */
    const char *ls = t;
    while (ls > txt && ls[-1] != '\n')
        ls--;
    char pre[1024];
    snprintf(pre, sizeof pre, "%.*s", (int)(t - ls), ls);
    int col = ui_strwidth(pre) - 2;
    for (const char *l = strchr(t, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        char row[1024];
        sscanf(l + 1, "%1023[^\n]", row);
        /* the part of the row from the panel's column */
        const char *c = row;
        for (int x = 0; *c && x < col;) {
            uint32_t cp;
            c += ui_utf8_dec(c, &cp);
            x += ui_wcwidth(cp) > 0 ? ui_wcwidth(cp) : 0;
        }
        if (!strncmp(c, "\xe2\x94\x94", 3)) /* └: the panel ends */
            return 0;
        const char *hit = strstr(c, text);
        if (hit) {
            /* inside this panel: before its right border (past the bar
               that marks a changed row, right after the left border) */
            const char *b = c + 3;
            if (!strncmp(b, "\xe2\x94\x82", 3))
                b += 3;
            const char *end = strstr(b, "\xe2\x94\x82");
            return !end || hit < end;
        }
    }
    return 0;
}

/* The two phases panel finds a task's last input however far back it is:
 * here 250,000 events of another process lie between the read and the
 * cursor (a scan back used to stop at 200,000 and say "No read() yet") */
static void test_phases_far_input(void **st)
{
    (void)st;
    struct tl *tl = run_text("process r {\n    s = socket\n    listen s 80\n"
                             "    c = accept s\n    n = read c 4K\n    sleep 2s\n}\n"
                             "process spin {\n    repeat 60000 {\n        sleep 1us\n"
                             "    }\n}\n"
                             "peer p at 1ms {\n    c = connect 80\n    send c 100\n"
                             "    sleep 3s\n}\n");
    long read_at = -1;
    for (size_t i = 0; i < tl->nev && read_at < 0; i++)
        if (tl->ev[i].type == EV_SYSCALL && tl->ev[i].sub == SYS_READ && tl->ev[i].task == 0)
            read_at = (long)i;
    assert_true(read_at >= 0 && (long)tl->nev > read_at + 250001);
    char *txt = render_text(tl, 132, 43, read_at + 250000, 0);
    assert_true(in_panel(txt, "Two phases of an input: r", "read() returned 100"));
    assert_false(in_panel(txt, "Two phases of an input: r", "No read()"));
    free(txt);
    tl_free(tl);
}

/*
 * At 80x24 the fd table is on screen with a model's queues, and follows the
 * fd that changed last; the selection starts at the first fd that is not a
 * terminal and moves by rows, never splitting "0-2 tty #0".
 */
/* Threads with long names stay told apart at 80x24: in the tree, a thread
   under its process drops the process's "NAME/"; elsewhere a name too long
   loses its middle, never its end */
static void test_narrow_names(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/shared-counter.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_goto_step(&v, 4);
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Tasks", "   adder2 "));
    assert_false(in_panel(txt, "Tasks", "racy/"));
    assert_true(in_panel(txt, "Timeline", "racy\xe2\x80\xa6" "der2"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

static void test_small_fd_table(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/epoll.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    for (int rows = 23; rows <= 24; rows++) {
        /* step 15: alice's 100 bytes wait in fd 5 */
        viewer_goto_step(&v, 14);
        char *txt = render_viewer(&v, 80, rows, 0);
        assert_true(in_panel(txt, "fd table of server", "5 socket #5 :8080"));
        assert_true(in_panel(txt, "fd table of server", "100 B/64 KiB"));
        assert_true(in_panel(txt, "Queues", "[fd 5]"));
        free(txt);
        /* the last accept: fd 7 is the newest fd */
        long at = 0;
        for (size_t i = 0; i < tl->nev && !at; i++)
            if (tl->ev[i].type == EV_FD_OPEN && tl->ev[i].a == 7 &&
                tl->ev[i].task == v.sel_task)
                at = (long)i + 1;
        assert_true(at > 0);
        viewer_seek(&v, at);
        txt = render_viewer(&v, 80, rows, 0);
        assert_true(in_panel(txt, "fd table of server", "7 socket #9 :8080"));
        free(txt);
    }
    /* focus: the listening socket, and the terminals stay one row */
    char *txt = render_viewer(&v, 80, 24, 0);
    free(txt);
    ui_key(&v, UK_TAB);
    assert_int_equal(v.focus, V_FDS);
    assert_int_equal(v.sel_fd, 3);
    txt = render_viewer(&v, 80, 24, 0);
    assert_null(strstr(txt, "1-2 tty"));
    free(txt);
    ui_key(&v, 'k');
    assert_int_equal(v.sel_fd, 0);
    txt = render_viewer(&v, 80, 24, 0);
    assert_non_null(strstr(txt, "0-2 tty #0"));
    free(txt);
    ui_key(&v, 'k');
    assert_int_equal(v.sel_fd, 0);
    ui_key(&v, 'j');
    assert_int_equal(v.sel_fd, 3);
    ui_key(&v, 'j');
    assert_int_equal(v.sel_fd, 4);
    viewer_close(&v);
    tl_free(tl);

    /* select: when the caption speaks of nfds, the highest fd is shown,
       in a row of its own or as the end of a folded run ("4-6 3 sockets") */
    tl = run_file("scenarios/select.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    for (long k = 0; k < v.ncaps; k++) {
        viewer_goto_step(&v, k);
        const char *cap = tl->strs[v.cur.w.caption];
        if (!strstr(cap, "nfds"))
            continue;
        const struct w_proc *pr = &v.cur.w.procs[v.sel_task];
        int hi = pr->nfds - 1;
        char want[32], end[32];
        snprintf(want, sizeof want, "%d sock", hi);
        snprintf(end, sizeof end, "-%d ", hi);
        txt = render_viewer(&v, 80, 24, 0);
        if (world_fd_obj(&v.cur.w, v.sel_task, hi) >= 0 &&
            v.cur.w.objs[world_fd_obj(&v.cur.w, v.sel_task, hi)].kind == OK_SOCKET)
            if (!in_panel(txt, "fd table of", want) && !in_panel(txt, "fd table of", end))
                fail_msg("select step %ld: fd %d not in the fd table:\n%s", k + 1, hi, txt);
        free(txt);
    }
    viewer_close(&v);
    tl_free(tl);
}

/* Go to the step whose caption has needle in it (there must be one) */
static void goto_caption(struct viewer *v, const struct tl *tl,
                         const char *needle)
{
    long k = 0;
    while (k < v->ncaps && !strstr(tl->strs[tl->ev[v->caps[k]].a], needle))
        k++;
    if (k == v->ncaps)
        fail_msg("no caption says \"%s\"", needle);
    assert_int_equal(viewer_goto_step(v, k), 0);
}

/*
 * emfile.scn, the step "capped holds 11 connections (fds 5 to 15); the
 * others wait in its accept queue": the fd table shows fds 5 to 15 and the
 * queues panel capped's accept queue, at 80x24 and at 132x43.  The 28
 * clients are a crowd: the task list and the timeline give their rows to
 * the machine's panels; at 80x24 the eleven sockets fold into one row.
 */
static void test_emfile_fd_table_in_view(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/emfile.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "fds 5 to 15");
    assert_string_equal(tl->tasks[v.sel_task].name, "capped");
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "fd table of capped", "5-15 11 sockets :8080"));
    assert_true(in_panel(txt, "Queues", "accept queue :8080"));
    assert_true(in_panel(txt, "Tasks", "28 blocked"));
    free(txt);
    txt = render_viewer(&v, 132, 43, 0);
    for (int fd = 5; fd <= 15; fd++) {
        char row[32];
        snprintf(row, sizeof row, "%3d socket #", fd);
        if (!in_panel(txt, "fd table of capped", row))
            fail_msg("fd %d not in view:\n%s", fd, txt);
    }
    assert_true(in_panel(txt, "Queues", "accept queue :8080"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * A crowd of peers is known by what the peers are, not by their names:
 * three peers written out by hand with one body fold like `peer client
 * count 3`; they are no crowd when their scripts differ, when one of
 * them says a caption, or when a caption names one (it is a character,
 * and two alike are left).  A crowd's rows are the last the task list
 * gets: at 80x24, under six machine tasks, only the peers' count.
 */
static const char crowd_head[] =
    "model blocking\n"
    "process server {\n"
    "    s = socket\n"
    "    listen s 8080\n"
    "    repeat 5 {\n"
    "        pid = fork {\n"
    "            loop {\n"
    "                c = accept s\n"
    "                n = read c 4K\n"
    "                close c\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "    wait\n"
    "}\n";

static int crowd_of(const char *peers, int *core_rows, char **screen)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s", crowd_head, peers);
    struct tl *tl = run_text(text);
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(v.npeers, 3);
    int crowd = v.crowd;
    if (core_rows)
        *core_rows = viewer_task_core_rows(&v);
    if (screen) {
        viewer_seek(&v, (long)tl->nev / 2);
        *screen = render_viewer(&v, 80, 24, 0);
    }
    viewer_close(&v);
    tl_free(tl);
    return crowd;
}

static void test_crowd_by_script(void **st)
{
    (void)st;
    static const char body[] = " {\n    c = connect 8080\n    send c 100\n"
                               "    sleep 1ms\n    close c\n}\n";
    char three[512], named[1024], differs[1024], says[1024];
    snprintf(three, sizeof three, "peer client1 at 1ms%speer client2 at 2ms%s"
             "peer client3 at 3ms%s", body, body, body);
    int rows = 0;
    char *txt = NULL;
    assert_int_equal(crowd_of(three, &rows, &txt), 1);
    assert_int_equal(rows, 6 + 2); /* the machine's tasks, heading, count */
    assert_true(in_panel(txt, "Tasks", "3 peers (outside the machine)"));
    assert_false(in_panel(txt, "Tasks", "client2"));
    free(txt);
    char counted[512];
    snprintf(counted, sizeof counted, "peer client count 3 every 1ms at 1ms%s",
             body);
    assert_int_equal(crowd_of(counted, NULL, NULL), 1);
    snprintf(named, sizeof named, "caption \"client2 connects first.\"\n%s",
             three);
    assert_int_equal(crowd_of(named, NULL, NULL), 0);
    snprintf(differs, sizeof differs, "peer alice at 1ms%speer bob at 2ms%s"
             "peer carol at 3ms {\n    c = connect 8080\n    send c 200\n"
             "    sleep 1ms\n    close c\n}\n", body, body);
    assert_int_equal(crowd_of(differs, &rows, NULL), 0);
    assert_int_equal(rows, 6 + 1 + 3); /* every peer keeps its row */
    snprintf(says, sizeof says, "peer alice at 1ms%speer bob at 2ms%s"
             "peer carol at 3ms {\n    c = connect 8080\n"
             "    say \"carol sends 100 bytes.\"\n    send c 100\n"
             "    sleep 1ms\n    close c\n}\n", body, body);
    assert_int_equal(crowd_of(says, NULL, NULL), 0);
}

/*
 * select.scn and herd.scn at 80x24: the fd table is not squeezed to a row
 * or two by the queues panel.  The queues of the step's process come
 * first, then the fd table gets its rows, then the other queues: the
 * third client's connection shows the three connected fds, and the
 * worker that won herd's connection shows its epoll instance and the new
 * socket (at 132x43 its whole table).
 */
static void test_fd_table_rows_beside_queues(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/select.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    long k = 0; /* the third client's connection */
    for (int seen = 0; k < v.ncaps; k++)
        if (strstr(tl->strs[tl->ev[v.caps[k]].a], "A new connection: FD_SET") &&
            ++seen == 3)
            break;
    assert_true(k < v.ncaps);
    assert_int_equal(viewer_goto_step(&v, k), 0);
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "fd table of server", "4 socket #"));
    assert_true(in_panel(txt, "fd table of server", "5 socket #"));
    assert_true(in_panel(txt, "fd table of server", "6 socket #"));
    assert_true(in_panel(txt, "Queues", "watched fds (server)"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);

    tl = run_file("scenarios/herd.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "This worker won the connection");
    txt = render_viewer(&v, 80, 24, 0);
    char title[64];
    snprintf(title, sizeof title, "fd table of %s", tl->tasks[v.sel_task].name);
    assert_true(in_panel(txt, title, "4 epoll #"));
    assert_true(in_panel(txt, title, "5 socket #"));
    free(txt);
    txt = render_viewer(&v, 132, 43, 0);
    assert_true(in_panel(txt, title, "3 listening socket #"));
    assert_true(in_panel(txt, title, "5 socket #"));
    assert_true(in_panel(txt, "Queues", "ready list"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * forkserver.scn, the timed caption "forkserver is up: ... the four fds
 * (now its fds 9 to 12)": the step selects the server (the caption
 * begins with its name), and at 132x43 its fd table shows the four fds
 * recvmsg() brought.
 */
static void test_forkserver_step_shows_its_fds(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/forkserver.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "forkserver is up");
    assert_string_equal(tl->tasks[v.sel_task].name, "forkserver");
    char *txt = render_viewer(&v, 132, 43, 0);
    for (int fd = 9; fd <= 12; fd++) {
        char row[32];
        snprintf(row, sizeof row, "%4d pipe (", fd);
        if (!in_panel(txt, "fd table of forkserver", row))
            fail_msg("fd %d not in view:\n%s", fd, txt);
    }
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * writeout.scn: epoll_wait() returned EPOLLOUT alone (nothing to read):
 * the two phases say there is room to write, not that read() will copy.
 */
static void test_epollout_phases(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/writeout.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "returned EPOLLOUT");
    char *txt = render_viewer(&v, 132, 43, 0);
    assert_true(in_panel(txt, "Two phases", "nothing to read, but room to write"));
    assert_false(in_panel(txt, "Two phases", "read() will copy"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * Every step of every bundled scenario at 80x24 and 80x23: a caption that
 * points at "the queues panel" or "the buffers panel" finds it on screen.
 */
static void test_small_captions_find_panels(void **st)
{
    (void)st;
    static const char *const files[] = {
        "blocking", "nonblocking", "select", "poll", "epoll", "epoll-et",
        "sigio", "io_uring", "sticky",
    };
    static const struct {
        const char *words, *title;
    } refs[] = { { "queues panel", "Queues" }, { "buffers panel", "Buffers" },
                 { "fd table", "fd table" } };
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[96];
        snprintf(path, sizeof path, "scenarios/%s.scn", files[f]);
        struct tl *tl = run_file(path);
        struct viewer v;
        assert_int_equal(viewer_open(&v, tl), 0);
        for (long k = 0; k < v.ncaps; k++) {
            viewer_goto_step(&v, k);
            const char *cap = tl->strs[v.cur.w.caption];
            for (int rows = 23; rows <= 24; rows++) {
                char *txt = render_viewer(&v, 80, rows, 0);
                assert_null(strstr(txt, "Terminal too small"));
                for (size_t r = 0; r < sizeof refs / sizeof *refs; r++)
                    if (strstr(cap, refs[r].words) && !strstr(txt, refs[r].title))
                        fail_msg("%s step %ld at 80x%d: the caption speaks of the "
                                 "%s, which is not on screen", files[f], k + 1,
                                 rows, refs[r].words);
                free(txt);
            }
        }
        viewer_close(&v);
        tl_free(tl);
    }
}

/* Header, caption and status bar keep their parts apart at 80 columns */
static void test_small_bars(void **st)
{
    (void)st;
    char row[1024];
    struct tl *tl = run_file("scenarios/epoll.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_goto_step(&v, 0);
    /* playing: the title is cut with an ellipsis before "▶ 2/s" */
    ui_key(&v, 'p');
    char *txt = render_viewer(&v, 80, 24, 0);
    row_of(txt, 0, row, sizeof row);
    assert_non_null(strstr(row, "\xe2\x80\xa6 \xe2\x96\xb6 2/s  t = "));
    free(txt);
    ui_key(&v, 'p');
    ui_key(&v, UK_ESC);
    /* the status bar: always "? help" and "q quit" */
    txt = render_viewer(&v, 80, 24, 0);
    row_of(txt, 23, row, sizeof row);
    assert_non_null(strstr(row, "? help"));
    assert_non_null(strstr(row, "q quit"));
    free(txt);
    /* the timeline's legend, and the help's, reachable by scrolling */
    txt = render_viewer(&v, 80, 24, 0);
    assert_non_null(strstr(txt, "\xe2\x96\x88 run \xe2\x96\x92 ready \xe2\x96\x91 blocked"));
    free(txt);
    ui_key(&v, '?');
    for (int i = 0; i < 60; i++)
        ui_key(&v, 'j');
    txt = render_viewer(&v, 80, 24, 0);
    assert_non_null(strstr(txt, "\xe2\x96\x88 running \xe2\x96\x92 ready \xe2\x96\x91 blocked"));
    assert_non_null(strstr(txt, "Blank: the task does not exist yet"));
    free(txt);
    txt = render_viewer(&v, 80, 24, 1);
    assert_non_null(strstr(txt, "# running + ready . blocked"));
    free(txt);
    ui_key(&v, UK_ESC);
    /* the prompt: Backspace on an empty prompt does nothing, Esc cancels */
    ui_key(&v, ':');
    ui_key(&v, UK_BACKSPACE);
    assert_int_equal(v.prompt, P_GOTO);
    long pos = viewer_pos(&v);
    ui_key(&v, UK_BACKSPACE);
    assert_int_equal(viewer_pos(&v), pos);
    ui_key(&v, '\n'); /* Enter on nothing: the prompt closes, nothing moves */
    assert_int_equal(v.prompt, P_NONE);
    assert_int_equal(viewer_pos(&v), pos);
    assert_false(v.playing);
    assert_int_equal(v.msg[0], 0);
    ui_key(&v, ':');
    ui_key(&v, UK_ESC);
    assert_int_equal(v.prompt, P_NONE);
    ui_key(&v, '/');
    ui_key(&v, UK_BACKSPACE);
    assert_int_equal(v.prompt, P_SEARCH);
    ui_key(&v, UK_ESC);
    /* times in the message as everywhere: "10.000 s" */
    ui_key(&v, ':');
    type(&v, "10s\n");
    assert_non_null(strstr(v.msg, "At time 10.000 s"));
    ui_key(&v, ':');
    type(&v, "3ms\n");
    assert_non_null(strstr(v.msg, "At time 3.000 ms"));
    viewer_close(&v);
    tl_free(tl);

    /* a wide step counter keeps a blank before it */
    tl = tl_new();
    assert_non_null(tl);
    int t = tl_add_task(tl, "server", TK_PROCESS, -1, -1, -1);
    push(tl, 0, EV_TASK_NEW, t, TK_PROCESS, -1, -1, 0, 0);
    for (int i = 0; i < 10112; i++) {
        char b[160];
        snprintf(b, sizeof b, "Step %05d: the busy clients send again and the server "
                 "answers them in turn. Compare the two runs.", i);
        push(tl, i, EV_CAPTION, -1, 0, -1, tl_add_str(tl, b), 0, 0);
    }
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_seek(&v, 9993);
    txt = render_viewer(&v, 80, 24, 0);
    row_of(txt, 1, row, sizeof row);
    const char *sp = strstr(row, "step 99");
    assert_non_null(sp);
    assert_non_null(strstr(sp, "/10112"));
    assert_true(sp > row && sp[-1] == ' ' && sp[-2] == ' ');
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/* Words use the room there is, and abbreviate rather than lose the port */
static void test_fd_words(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/epoll.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_goto_step(&v, 14);
    char *txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "3 listening socket #2 :8080 O_NONBLOCK "));
    assert_non_null(strstr(txt, "epoll #3 interest list [fd 3]"));
    /* a listening socket has no data buffers: say so */
    free(txt);
    viewer_seek(&v, viewer_pos_at_time(&v, 3000));
    txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "fd 3 is a listening socket: no data buffers;"));
    assert_null(strstr(txt, "no socket or pipe open"));
    free(txt);
    viewer_goto_step(&v, 5); /* the first accept */
    txt = render_viewer(&v, 80, 24, 0);
    assert_non_null(strstr(txt, "listen sock :8080"));
    assert_null(strstr(txt, "socket #\xe2\x80\xa6")); /* never "listening socket #…" */
    free(txt);
    viewer_close(&v);
    tl_free(tl);

    /* a pipe's write end shows the pipe buffer it writes into */
    tl = run_text("process writer {\n    r, w = pipe\n"
                  "    pid = fork {\n        close w\n        sleep 5ms\n"
                  "        n = read r 4K\n    }\n"
                  "    close r\n    n = write w 100\n    sleep 1ms\n}\n");
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_seek(&v, viewer_pos_at_time(&v, 500000));
    txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "fd 4 pipe "));
    assert_non_null(strstr(txt, "100 B / 64 KiB"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/* ---- steps: a caption with its effect on screen --------------------------- */

/* Is there a cell of role at the start of text on screen?  (cb rendered) */
static int text_has_role(const struct cbuf *cb, const char *text, int role)
{
    for (int y = 0; y < cb->h; y++) {
        char row[2048];
        cb_row_text(cb, y, row, sizeof row);
        const char *at = strstr(row, text);
        if (!at)
            continue;
        /* the column of the match: the width of what comes before it */
        char pre[2048];
        snprintf(pre, sizeof pre, "%.*s", (int)(at - row), row);
        int x = ui_strwidth(pre);
        const struct cell *c = cb_at(cb, x, y);
        if (c && c->role == role)
            return 1;
    }
    return 0;
}

/*
 * blocking.scn: step 2 says the server blocks in accept(), and shows it
 * blocked there; step 4 says the client's bytes travel to the server's
 * receive buffer, and shows them there (marked as what changed), before
 * read() copies them; the panels follow the caption's task.
 */
static void test_steps_show_effects(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/blocking.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, 1), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "accept()"));
    assert_int_equal(v.cur.w.tasks[0].state, TS_BLOCKED);
    assert_int_equal(v.cur.w.tasks[0].sys, SYS_ACCEPT);
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Tasks", "accept(): connection on fd 3"));
    check_golden("ui_blocking_80x24_step2", txt);
    free(txt);
    /* step 4: 100 B in the kernel buffer, not yet copied */
    assert_int_equal(viewer_goto_step(&v, 3), 0);
    int ob = world_fd_obj(&v.cur.w, 0, 4);
    assert_true(ob >= 0);
    assert_int_equal(v.cur.w.objs[ob].rx, 100);
    assert_int_equal(v.cur.w.tasks[0].state, TS_BLOCKED);
    assert_int_equal(v.sel_task, 0); /* the client spoke: the server stays */
    struct cbuf cb;
    assert_int_equal(cb_init(&cb, 80, 24), 0);
    ui_render(&v, &cb);
    /* the change mark: the buffer that just filled, in the fd table and
       the buffers strip */
    assert_true(text_has_role(&cb, "100 B/64 KiB", R_CHANGED));
    assert_true(text_has_role(&cb, "fd 4 rx 100 B/64 KiB", R_CHANGED));
    cb_free(&cb);
    txt = render_viewer(&v, 80, 24, 0);
    check_golden("ui_blocking_80x24_step4", txt);
    free(txt);
    /* one event on: the mark is on that event's change only */
    ui_key(&v, 'l');
    assert_int_equal(v.chg_from, viewer_pos(&v) - 1);
    assert_false(viewer_obj_changed(&v, ob));
    /* step 5: copied; the user buffer holds the bytes */
    assert_int_equal(viewer_goto_step(&v, 4), 0);
    assert_int_equal(v.cur.w.objs[ob].rx, 0);
    txt = render_viewer(&v, 80, 24, 0);
    assert_non_null(strstr(txt, "user 100 B/4 KiB"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * A constructor of several calls is one statement: ipc-queue.scn's first
 * step (Queue()) shows its three SemLocks made, not the first alone.  The
 * Queues panel keeps the step's process's words: at pool-apply.scn's
 * worker handler step (80x24) the forked workers' copies of the parent's
 * shared words give way, and at mp-cpu.scn's worker step the quiet GIL
 * queues of other processes before the worker's own.  And pool.close()'s
 * put shows the change notifier's pipe holding two Nones, 16 bytes.
 */
static void test_step_of_a_constructor(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/ipc-queue.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, 0), 0);
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Queues", "_wlock               [1]"));
    assert_true(in_panel(txt, "Queues", "_sem                 [2147483647]"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
    tl = run_file("scenarios/pool-apply.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "The worker handler thread");
    txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Queues", "value"));
    assert_false(in_panel(txt, "Queues", "(worker)"));
    assert_false(in_panel(txt, "Queues", "(worker2)"));
    free(txt);
    goto_caption(&v, tl, "close() then puts None");
    txt = render_viewer(&v, 132, 43, 0);
    assert_true(in_panel(txt, "fd table of main", "16 B/64 KiB"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
    /* mp-cpu.scn: at worker's step its GIL's queues stay, another
       process's quiet ones give way first */
    tl = run_file("scenarios/mp-cpu.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "worker runs its target");
    txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Queues", "GIL holder (worker)"));
    assert_true(in_panel(txt, "Queues", "GIL waiters (worker)"));
    free(txt);
    /* a queue the caption names keeps its row, quiet or not */
    goto_caption(&v, tl, "worker2 takes its own GIL too");
    txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Queues", "GIL holder (worker)  [worker]"));
    assert_true(in_panel(txt, "Queues", "GIL holder (worker2) [worker2]"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * A caption before a statement that makes a task with a block narrates
 * that statement: ipc-pipe.scn's "Process.start() with the fork method" shows the worker
 * made, with both ends of the socketpair; spawn-main.scn's start with the
 * spawn method (pipes, then vfork) shows app asleep in vfork() and kid2
 * made; gil-io.scn's "enters a blocking call" shows the thread asleep in
 * clock_nanosleep(), past the GIL's two queues; gevent.scn's spawn shows
 * the new greenlet.
 */
static void test_step_of_a_fork(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/ipc-pipe.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, 1), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "Process.start() with the fork method"));
    int w = task_id(tl, "worker");
    assert_true(v.cur.w.tasks[w].state != TS_NONE);
    assert_true(world_fd_obj(&v.cur.w, w, 3) >= 0);
    assert_true(world_fd_obj(&v.cur.w, w, 4) >= 0);
    viewer_close(&v);
    tl_free(tl);
    tl = run_file("scenarios/spawn-main.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, 7), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "start with the spawn method"));
    int app = task_id(tl, "app"), kid2 = task_id(tl, "kid2");
    assert_int_equal(v.cur.w.tasks[app].state, TS_BLOCKED);
    assert_int_equal(v.cur.w.tasks[app].sys, TL_SYS_LINUX + 58); /* vfork */
    assert_true(v.cur.w.tasks[kid2].state != TS_NONE);
    viewer_close(&v);
    tl_free(tl);
    /* gil-io.scn: a GIL release changes two queues (its holder, then its
       waiters), which is not the statement run again: the step goes on to
       the sleep it narrates */
    tl = run_file("scenarios/gil-io.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, 1), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "enters a blocking call"));
    int f = task_id(tl, "app/fetcher");
    assert_int_equal(v.cur.w.tasks[f].state, TS_BLOCKED);
    assert_int_equal(v.cur.w.tasks[f].sys, SYS_CLOCK_NANOSLEEP);
    viewer_close(&v);
    tl_free(tl);
    /* gevent.scn: gevent.spawn makes the greenlet with no event of the
       caller's own; the step shows it made (suspended, not started) */
    tl = run_file("scenarios/gevent.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, 4), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "gevent.spawn(handler)"));
    assert_int_equal(v.cur.w.tasks[task_id(tl, "srv/conn")].state, TS_SUSPENDED);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * pool-apply.scn's worker takes the task queue's reader lock: the step
 * changes the SemLock's word (an atomic compare-and-swap, a MEM event),
 * which the Queues panel marks and, at 80x24 where it is below the fold,
 * brings into view; mp-cpu.scn's caption names a quiet queue, which is
 * shown all the same.
 */
static void test_step_shows_changed_word(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/pool-apply.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, 2), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "reader lock, a SemLock"));
    int q = -1;
    for (int i = 0; i < tl->nqueues && q < 0; i++)
        if (tl->queues[i].name && !strcmp(tl->queues[i].name, "Lock #1 value"))
            q = i;
    assert_true(q >= 0);
    assert_true(viewer_queue_changed(&v, q));
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Queues", "#1 value"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
    /* mp-cpu.scn names the queue 'GIL holder (worker)', an uncontended
       GIL's (quiet): its lesson gets the Queues panel at 80x24 too, and
       the step that fills the queue shows it */
    tl = run_file("scenarios/mp-cpu.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_true(v.named_queues);
    assert_int_equal(viewer_goto_step(&v, 1), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "'GIL holder (worker)'"));
    txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Queues", "GIL holder (worker)  [worker]"));
    free(txt);
    txt = render_viewer(&v, 132, 43, 0);
    assert_true(in_panel(txt, "Queues", "GIL holder (worker)"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * zombie.scn: the step of wait4 says the shell gets worker's exit status 3;
 * the Tasks panel shows it, at 80 and at 132 columns, where the log's
 * sentence ("reaped by shell: its wait4 returned the pid and status 3; ...")
 * is cut before the status; the wait4 line keeps the status and the pid.
 */
static void test_zombie_reaped_status(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/zombie.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, 5), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "exit status 3"));
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Tasks", "reaped: status 3"));
    /* the Events panel's wait4 line keeps the status and the pid */
    assert_true(in_panel(txt, "Events", "wait4 …== 3}]"));
    assert_true(in_panel(txt, "Events", "= 1001"));
    free(txt);
    txt = render_viewer(&v, 132, 43, 0);
    assert_true(in_panel(txt, "Tasks", "reaped by shell: wait4 returned status 3"));
    assert_true(in_panel(txt, "Events",
                         "wait4 …WEXITSTATUS(s) == 3}], 0, NULL) = 1001"));
    free(txt);
    /* the next step: the shell exits, and its step shows sleeper orphaned
       and adopted by init, as its caption says */
    assert_int_equal(viewer_goto_step(&v, 6), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "init (pid 1) adopts it"));
    long reparent = -1;
    for (size_t i = 0; i < tl->nev && reparent < 0; i++)
        if (tl->ev[i].type == EV_REPARENT)
            reparent = (long)i;
    assert_true(reparent >= 0);
    assert_true(viewer_pos(&v) > reparent);
    txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Events", "+++ orphaned"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * sticky.scn, the last step: the client's close(d) came right after its
 * send returned, with 6K still on the way; the step runs until the end of
 * file lands after them at the server (not to the first of those bytes),
 * and the client, whose calls take no time, has exited, as the caption
 * says.
 */
static void test_close_step_runs_to_eof(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/sticky.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(viewer_goto_step(&v, (int)v.ncaps - 1), 0);
    assert_non_null(strstr(tl->strs[v.cur.w.caption], "then the end of file"));
    long pos = viewer_pos(&v), eof = -1;
    for (long i = 0; i < pos; i++)
        if (tl->ev[i].type == EV_EOF)
            eof = i;
    assert_true(eof >= 0);
    /* the step ends with the end of file: no byte lands after it */
    for (long i = eof + 1; i < pos; i++)
        assert_false(tl->ev[i].type == EV_DATA && tl->ev[i].a > 0);
    assert_int_equal(v.cur.w.tasks[task_id(tl, "client")].state, TS_EXITED);
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "fd table", "2 KiB/4 KiB EOF"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * herd.scn, the step where herd.3 won the connection: the two other herd
 * workers are woken and will find nothing; herd.1 first moves to CPU 1's
 * run queue (READY again), which is not a return from epoll_wait().
 */
static void test_herd_woken_for_nothing(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/herd.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "This worker won");
    char *txt = render_viewer(&v, 132, 43, 0);
    assert_non_null(strstr(txt, "herd.1      ▒ ready: woken for nothing"));
    assert_non_null(strstr(txt, "herd.2      ▒ ready: woken for nothing"));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/*
 * Long tables: select.scn's bigset has fds 0 to 1102; the fd table reaches
 * fd 1101 (the fd the lesson is about) and says how many rows are out of
 * view; ":fd N" and ":task NAME" jump.  epoll-et: the step about careful
 * shows careful's fd table.
 */
static void test_long_tables(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/select.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "bigset opened 550 pipes");
    assert_string_equal(tl->tasks[v.sel_task].name, "bigset");
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "fd table of bigset", "1101 pipe"));
    assert_non_null(strstr(txt, " above "));
    free(txt);
    ui_key(&v, ':');
    type(&v, "fd 40\n");
    assert_int_equal(v.focus, V_FDS);
    assert_int_equal(v.sel_fd, 40);
    txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "fd table of bigset", "  40 pipe"));
    assert_non_null(strstr(txt, " more "));
    free(txt);
    ui_key(&v, ':');
    type(&v, "fd 1101\n");
    assert_int_equal(v.sel_fd, 1101);
    txt = render_viewer(&v, 132, 43, 0);
    assert_true(in_panel(txt, "fd table of bigset", "1101 pipe"));
    free(txt);
    ui_key(&v, ':');
    type(&v, "fd 5000\n");
    assert_non_null(strstr(v.msg, "not open"));
    /* the step of FD_SET's abort ends with bigset dead, status 134, as
       its caption says: past the close of each of its 1,103 fds */
    goto_caption(&v, tl, "bit out of range");
    txt = render_viewer(&v, 80, 24, 0);
    assert_true(in_panel(txt, "Tasks", "killed by SIGABRT"));
    free(txt);
    ui_key(&v, ':');
    type(&v, "task alice\n");
    assert_string_equal(tl->tasks[v.sel_task].name, "alice");
    viewer_close(&v);
    tl_free(tl);

    tl = run_file("scenarios/epoll-et.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    goto_caption(&v, tl, "careful read until EAGAIN");
    txt = render_viewer(&v, 80, 24, 0);
    assert_non_null(strstr(txt, "fd table of careful"));
    check_golden("ui_epoll-et_80x24_careful", txt);
    free(txt);
    viewer_close(&v);
    tl_free(tl);

    /* c10k: the server's 10,000 fds, to the last */
    tl = run_file("scenarios/c10k.scn");
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_goto_step(&v, v.ncaps - 1); /* 40 ms: every client connected */
    ui_key(&v, ':');
    type(&v, "task c10k\n");
    const struct w_proc *pr = &v.cur.w.procs[tl->tasks[v.sel_task].proc];
    int hi = pr->nfds - 1;
    assert_true(hi > 9000);
    char cmd[32], want[32];
    snprintf(cmd, sizeof cmd, "fd %d\n", hi);
    ui_key(&v, ':');
    type(&v, cmd);
    assert_int_equal(v.sel_fd, hi);
    txt = render_viewer(&v, 80, 24, 0);
    snprintf(want, sizeof want, "%d sock", hi);
    assert_non_null(strstr(txt, want));
    free(txt);
    viewer_close(&v);
    tl_free(tl);
}

/* The panels keep their place from step to step while the lesson stays
   with one task (epoll.scn's server, every step) */
static void test_layout_still(void **st)
{
    (void)st;
    static const char *const files[] = { "scenarios/epoll.scn",
                                         "scenarios/nonblocking.scn",
                                         "scenarios/blocking.scn" };
    static const int sizes[][2] = { { 80, 24 }, { 132, 43 } };
    for (size_t f = 0; f < 3; f++)
        for (int z = 0; z < 2; z++) {
            struct tl *tl = run_file(files[f]);
            struct viewer v;
            assert_int_equal(viewer_open(&v, tl), 0);
            struct placed first[UI_MAXPLACED];
            int nfirst = -1;
            for (long k = 0; k < v.ncaps; k++) {
                viewer_goto_step(&v, k);
                v.sel_task = 0; /* the server */
                free(render_viewer(&v, sizes[z][0], sizes[z][1], 0));
                if (nfirst < 0) {
                    nfirst = v.nplaced;
                    memcpy(first, v.placed, sizeof first);
                    continue;
                }
                if (v.nplaced != nfirst ||
                    memcmp(first, v.placed, (size_t)nfirst * sizeof *first))
                    fail_msg("%s %dx%d: the panels moved at step %ld", files[f],
                             sizes[z][0], sizes[z][1], k + 1);
            }
            viewer_close(&v);
            tl_free(tl);
        }
}

/* Playback stops at each step; P plays through */
static void test_play_stops_at_steps(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/blocking.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    v.speed = 13; /* the fastest: many events a tick */
    ui_key(&v, 'p');
    for (int i = 0; i < 1000 && v.playing; i++)
        ui_tick(&v);
    assert_false(v.playing);
    assert_int_equal(viewer_pos(&v), v.stops[0]);
    ui_key(&v, 'p');
    for (int i = 0; i < 1000 && v.playing; i++)
        ui_tick(&v);
    assert_int_equal(viewer_pos(&v), v.stops[1]);
    ui_key(&v, 'P');
    for (int i = 0; i < 100000 && v.playing; i++)
        ui_tick(&v);
    assert_int_equal(viewer_pos(&v), (long)tl->nev);
    /* i and Enter: the whole text of the event */
    ui_key(&v, 'i');
    assert_true(v.info);
    char *txt = render_viewer(&v, 80, 24, 0);
    assert_non_null(strstr(txt, "Whole text"));
    free(txt);
    ui_key(&v, 'x');
    assert_false(v.info);
    ui_key(&v, UK_ENTER);
    assert_true(v.info);
    ui_key(&v, UK_ESC);
    assert_false(v.info);
    viewer_close(&v);
    tl_free(tl);
}

/* Every bundled scenario at 80x24: the buffers strip is on screen where
   the selected task copies bytes between kernel and user */
static void test_small_buffers_strip(void **st)
{
    (void)st;
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    struct dirent *de;
    int seen = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".scn"))
            continue;
        seen++;
        char path[300];
        snprintf(path, sizeof path, "scenarios/%s", de->d_name);
        struct tl *tl = run_file(path);
        struct viewer v;
        assert_int_equal(viewer_open(&v, tl), 0);
        long at = -1;
        for (size_t i = 0; i < tl->nev && at < 0; i++)
            if (tl->ev[i].type == EV_COPY && tl->ev[i].task < tl->ntasks &&
                tl->tasks[tl->ev[i].task].kind != TK_PEER)
                at = (long)i;
        if (at < 0) { /* coroutines: no I/O; the strip says so */
            viewer_goto_step(&v, v.ncaps - 1);
        } else {
            viewer_seek(&v, at + 1);
            v.sel_task = tl->ev[at].task;
        }
        char *txt = render_viewer(&v, 80, 24, 0);
        int by = -1;
        for (int i = 0; i < v.nplaced; i++)
            if (v.placed[i].view == V_BUFFERS)
                by = v.placed[i].r.y;
        /* the strip's line: kernel -> user, or why there is none */
        const char *line = txt;
        for (int y = 0; by >= 0 && y < by && line; y++) {
            line = strchr(line, '\n');
            line = line ? line + 1 : NULL;
        }
        char row[400] = "";
        if (by >= 0 && line)
            sscanf(line, "%399[^\n]", row);
        if (by < 0 || (!strstr(row, "user") && !strstr(row, "no read")) ||
            (at >= 0 && strstr(txt, "no read or write yet")))
            fail_msg("%s at 80x24: no buffers strip (row %d: %s)", path, by, row);
        free(txt);
        viewer_close(&v);
        tl_free(tl);
    }
    closedir(d);
    assert_true(seen >= 12);
}

/* ---- keys --------------------------------------------------------------- */

static void type(struct viewer *v, const char *s)
{
    for (; *s; s++)
        ui_key(v, (unsigned char)*s);
}

static void test_keys_navigation(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/blocking.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    long n = (long)tl->nev;
    assert_int_equal(viewer_pos(&v), 0);
    assert_int_equal(ui_key(&v, 'l'), UI_HANDLED | UI_REDRAW);
    assert_int_equal(viewer_pos(&v), 1);
    ui_key(&v, UK_RIGHT);
    assert_int_equal(viewer_pos(&v), 2);
    ui_key(&v, UK_LEFT);
    ui_key(&v, 'h');
    assert_int_equal(viewer_pos(&v), 0);
    ui_key(&v, 'h');
    assert_int_equal(viewer_pos(&v), 0);
    assert_non_null(strstr(v.msg, "start"));
    /* captions: each space lands where the step's caption and its effect
       are on screen; PgDn does the same */
    long prev = -1;
    for (long k = 0; k < v.ncaps; k++) {
        ui_key(&v, k % 2 ? UK_PGDN : ' ');
        assert_int_equal(viewer_pos(&v), v.stops[k]);
        assert_int_equal(v.cur.w.caption_ev, v.caps[k]);
        assert_true(viewer_pos(&v) > prev);
        prev = viewer_pos(&v);
    }
    ui_key(&v, ' ');
    assert_int_equal(viewer_pos(&v), n);
    ui_key(&v, UK_BACKSPACE);
    assert_int_equal(viewer_pos(&v), v.stops[v.ncaps - 1]);
    ui_key(&v, 127);
    assert_int_equal(viewer_pos(&v), v.stops[v.ncaps - 2]);
    ui_key(&v, UK_PGUP);
    assert_int_equal(viewer_pos(&v), v.stops[v.ncaps - 3]);
    ui_key(&v, 'G');
    assert_int_equal(viewer_pos(&v), n);
    ui_key(&v, UK_HOME);
    assert_int_equal(viewer_pos(&v), 0);
    ui_key(&v, UK_END);
    assert_int_equal(viewer_pos(&v), n);
    ui_key(&v, 'g');
    /* go to an event number, then a time */
    ui_key(&v, ':');
    assert_int_equal(v.prompt, P_GOTO);
    type(&v, "45\n");
    assert_int_equal(v.prompt, P_NONE);
    assert_int_equal(viewer_pos(&v), 45);
    ui_key(&v, ':');
    type(&v, "5ms\r");
    assert_int_equal(viewer_pos(&v), viewer_pos_at_time(&v, 5000000));
    assert_true(v.cur.w.t <= 5000000);
    ui_key(&v, ':');
    type(&v, "nonsense\n");
    assert_non_null(strstr(v.msg, "Not an event number"));
    ui_key(&v, ':');
    type(&v, "12");
    ui_key(&v, UK_BACKSPACE);
    ui_key(&v, UK_ESC);
    assert_int_equal(v.prompt, P_NONE);
    /* next/previous event of the selected task */
    ui_key(&v, 'g');
    v.sel_task = 1; /* client */
    ui_key(&v, ']');
    assert_int_equal(tl->ev[viewer_pos(&v) - 1].task, 1);
    long p1 = viewer_pos(&v);
    ui_key(&v, ']');
    assert_true(viewer_pos(&v) > p1);
    assert_int_equal(tl->ev[viewer_pos(&v) - 1].task, 1);
    ui_key(&v, '[');
    assert_int_equal(viewer_pos(&v), p1);
    viewer_close(&v);
    tl_free(tl);
}

static void test_keys_search_marks_focus(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/blocking.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    /* search by the text of the log line */
    ui_key(&v, '/');
    type(&v, "READ(4\n");
    long p = viewer_pos(&v);
    assert_true(p > 0);
    char txt[512];
    ui_ev_text(tl, p - 1, txt, sizeof txt);
    assert_non_null(strstr(txt, "read(4"));
    ui_key(&v, 'n');
    assert_true(viewer_pos(&v) > p);
    ui_key(&v, 'N');
    assert_int_equal(viewer_pos(&v), p);
    ui_key(&v, '/');
    type(&v, "no such text anywhere\n");
    assert_int_equal(viewer_pos(&v), p);
    assert_non_null(strstr(v.msg, "Not found"));
    /* bookmarks */
    ui_key(&v, 'm');
    ui_key(&v, 'G');
    ui_key(&v, 'm');
    assert_int_equal(v.nmarks, 2);
    ui_key(&v, 'g');
    ui_key(&v, '\'');
    assert_int_equal(viewer_pos(&v), p);
    ui_key(&v, '\'');
    assert_int_equal(viewer_pos(&v), (long)tl->nev);
    ui_key(&v, '"');
    assert_int_equal(viewer_pos(&v), p);
    ui_key(&v, 'm'); /* clears it */
    assert_int_equal(v.nmarks, 1);
    /* selection and focus */
    ui_key(&v, 'g');
    ui_key(&v, ' ');
    ui_key(&v, ' ');
    ui_key(&v, ' '); /* the server has its socket fds */
    assert_int_equal(v.sel_task, 0);
    ui_key(&v, 'j');
    assert_int_equal(v.sel_task, 1);
    ui_key(&v, 'j');
    assert_int_equal(v.sel_task, 1);
    ui_key(&v, UK_UP);
    assert_int_equal(v.sel_task, 0);
    ui_key(&v, UK_TAB);
    assert_int_equal(v.focus, V_FDS);
    assert_true(v.sel_fd >= 0);
    int fd0 = v.sel_fd;
    ui_key(&v, 'j');
    assert_true(v.sel_fd > fd0);
    while (ui_key(&v, 'j') && world_fd_obj(&v.cur.w, 0, v.sel_fd + 1) >= 0)
        ;
    /* next change of the fd: the data arriving in the socket */
    int fd = v.sel_fd;
    int obj = world_fd_obj(&v.cur.w, 0, fd);
    assert_true(obj >= 0);
    ui_key(&v, 'c');
    const struct tl_ev *e = &tl->ev[viewer_pos(&v) - 1];
    assert_true(e->obj == obj || (e->type == EV_FD_CLOSE && e->a == fd));
    ui_key(&v, UK_TAB);
    assert_int_equal(v.focus, V_QUEUES);
    ui_key(&v, UK_BTAB);
    assert_int_equal(v.focus, V_FDS);
    ui_key(&v, UK_TAB);
    ui_key(&v, UK_TAB);
    assert_int_equal(v.focus, V_TASKS);
    /* playback */
    ui_key(&v, 'g');
    ui_key(&v, 'p');
    assert_true(v.playing);
    assert_true(ui_play_timeout(&v) > 0);
    ui_tick(&v);
    assert_int_equal(viewer_pos(&v), 1);
    int t = ui_play_timeout(&v);
    ui_key(&v, '+');
    assert_true(ui_play_timeout(&v) < t);
    ui_key(&v, '-');
    ui_key(&v, '-');
    assert_true(ui_play_timeout(&v) > t);
    ui_key(&v, 'p');
    assert_false(v.playing);
    assert_int_equal(ui_play_timeout(&v), -1);
    /* unknown key: a message, not an action */
    assert_int_equal(ui_key(&v, 'X') & UI_HANDLED, 0);
    assert_non_null(strstr(v.msg, "? shows the keys"));
    /* quit */
    assert_true(ui_key(&v, 'q') & UI_QUIT);
    viewer_close(&v);
    tl_free(tl);
}

static void test_key_table(void **st)
{
    (void)st;
    /* every action has a help line and a key; no key is bound twice */
    int seen[256] = { 0 };
    for (int a = 1; a < A__COUNT; a++) {
        assert_true(strlen(ui_action_help(a)) > 3);
        const int *k = ui_action_keys(a);
        assert_true(k[0] != 0);
        for (; *k; k++) {
            assert_int_equal(ui_key_action(*k), a);
            if (*k < 256) {
                assert_int_equal(seen[*k], 0);
                seen[*k] = a;
            }
        }
    }
    char b[32];
    assert_string_equal(ui_key_name(UK_RIGHT, b, sizeof b), "Right");
    assert_string_equal(ui_key_name(' ', b, sizeof b), "Space");
    assert_string_equal(ui_key_name(UK_CTRL('l'), b, sizeof b), "Ctrl-L");
}

static void test_mouse(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/blocking.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_seek(&v, (long)tl->nev);
    free(render_viewer(&v, 132, 43, 0));
    struct rect g = { 0, 0, 0, 0 };
    for (int i = 0; i < v.nplaced; i++)
        if (v.placed[i].view == V_GANTT)
            g = v.placed[i].r;
    assert_true(g.w > 0);
    /* a click on the heading of the clients selects nothing */
    v.mouse_x = 2;
    v.mouse_y = g.y + 2;
    ui_key(&v, UK_MOUSE);
    assert_int_equal(v.sel_task, 0);
    /* a click a quarter of the way along the client's lane (under the
       server's lane and the heading of the clients) */
    v.mouse_x = g.x + g.w / 4;
    v.mouse_y = g.y + 3;
    assert_true(ui_key(&v, UK_MOUSE) & UI_REDRAW);
    assert_int_equal(v.sel_task, 1);
    assert_true(viewer_pos(&v) < (long)tl->nev);
    assert_true(v.cur.w.t > 0 && v.cur.w.t < v.t_end / 2);
    /* a click on a line of the event log goes to that event */
    struct rect lg = { 0, 0, 0, 0 };
    for (int i = 0; i < v.nplaced; i++)
        if (v.placed[i].view == V_LOG)
            lg = v.placed[i].r;
    assert_true(lg.h > 4);
    long before = viewer_pos(&v);
    v.mouse_x = lg.x + 5;
    v.mouse_y = lg.y + 1; /* the first line shown: the oldest */
    assert_true(ui_key(&v, UK_MOUSE) & UI_REDRAW);
    assert_int_equal(viewer_pos(&v), before - (lg.h - 2) + 1);
    free(render_viewer(&v, 132, 43, 0));
    /* a click outside any view does nothing */
    v.mouse_x = 0;
    v.mouse_y = 0;
    assert_int_equal(ui_key(&v, UK_MOUSE), 0);
    viewer_close(&v);
    tl_free(tl);
}

/* every size: views inside the screen and never overlapping */
static void test_layout_sizes(void **st)
{
    (void)st;
    struct tl *tl = hand_tl();
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    viewer_seek(&v, 22);
    for (int w = 70; w <= 260; w += 7)
        for (int h = 20; h <= 90; h += 5) {
            struct placed p[UI_MAXPLACED];
            int n = ui_layout(&v, w, h, p, UI_MAXPLACED);
            if (w < UI_MIN_COLS || h < UI_MIN_ROWS) {
                assert_int_equal(n, 0);
                continue;
            }
            assert_true(n >= 8); /* the essential views at least */
            for (int i = 0; i < n; i++) {
                struct rect a = p[i].r;
                assert_true(a.x >= 0 && a.y >= 0 && a.x + a.w <= w && a.y + a.h <= h);
                /* a view may ask for less than its minimum: then it
                   gets what it asked for, never a useless sliver */
                int m = ui_views[p[i].view]->min_h;
                int want = ui_views[p[i].view]->want_h(&v, a.w);
                assert_true(a.h >= (want < m ? want : m) || p[i].view == V_CAPTION);
                assert_true(a.h >= 3 || p[i].r.y == 0 || p[i].view == V_CAPTION ||
                            p[i].view == V_STATUS || p[i].view == V_BUFFERS);
                for (int j = i + 1; j < n; j++) {
                    struct rect b = p[j].r;
                    int ov = a.x < b.x + b.w && b.x < a.x + a.w &&
                             a.y < b.y + b.h && b.y < a.y + a.h;
                    assert_false(ov);
                }
            }
            free(render_viewer(&v, w, h, 0));
        }
    viewer_close(&v);
    tl_free(tl);
}

/* ---- a large timeline (how fast is make bench's, not a test's) ---------- */

static void test_million_events(void **st)
{
    (void)st;
    struct tl *tl = tl_new();
    tl->ncpus = 1;
    int a = tl_add_task(tl, "a", TK_PROCESS, -1, -1, -1);
    int b = tl_add_task(tl, "b", TK_PROCESS, -1, -1, -1);
    struct tl_obj so = { OK_SOCKET, -1, 65536, 0, 0, -1, a };
    int s = tl_add_obj(tl, &so);
    int cap = tl_add_str(tl, "tick");
    push(tl, 0, EV_OBJ_NEW, -1, OK_SOCKET, s, 0, 0, 0);
    push(tl, 0, EV_TASK_NEW, a, 0, -1, -1, 0, 0);
    push(tl, 0, EV_TASK_NEW, b, 0, -1, -1, 0, 0);
    push(tl, 0, EV_FD_OPEN, a, 0, s, 3, 0, 0);
    int64_t t = 0;
    while (tl->nev < 1000000) {
        t += 1000;
        push(tl, t, EV_STATE, a, TS_RUNNING, -1, 0, 0, 0);
        push(tl, t, EV_STATE, b, TS_READY, -1, 0, 0, 0);
        push(tl, t + 10, EV_SYS_ENTER, a, SYS_READ, 3, 4096, 0, 0);
        push(tl, t + 20, EV_DATA, -1, 0, s, 10, -1, 0);
        push(tl, t + 30, EV_COPY, a, TC_TO_USER, s, 10, 10, 0);
        push(tl, t + 40, EV_SYSCALL, a, SYS_READ, 3, 10, 30, 0);
        push(tl, t + 500, EV_STATE, a, TS_READY, -1, 0, 0, 0);
        push(tl, t + 500, EV_STATE, b, TS_RUNNING, -1, 0, 0, 0);
        if (tl->nev % 1000 < 8)
            push(tl, t + 600, EV_CAPTION, -1, 0, -1, cap, 0, 0);
    }
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    struct cbuf cb;
    cb_init(&cb, 132, 43);
    unsigned seed = 1;
    int keys[] = { 'l', 'h', ' ', UK_BACKSPACE, 'G', 'g', ']', '[' };
    for (int i = 0; i < 60; i++) {
        if (i % 3 == 0) {
            seed = seed * 1103515245u + 12345u;
            long to = (long)(seed % tl->nev);
            assert_int_equal(viewer_seek(&v, to), 0);
            assert_true(v.cur.w.idx == to);
        } else {
            ui_key(&v, keys[i % 8]);
        }
        ui_render(&v, &cb);
    }
    cb_free(&cb);
    viewer_close(&v);
    tl_free(tl);
}

/* An uncontended GIL (no thread ever waited for it: the fork server's
 * helpers, a one-thread app) is quiet: the Queues panel lists its queues
 * last, after the epoll lists and messages the lesson is about; a GIL two
 * threads fight over (gil-cpu) is not */
static void test_quiet_gil_last(void **state)
{
    (void)state;
    const char *files[] = {"scenarios/forkserver.scn", "scenarios/gil-cpu.scn"};
    for (int k = 0; k < 2; k++) {
        struct tl *tl = run_file(files[k]);
        int gils = 0, quiet = 0;
        for (int q = 0; q < tl->nqueues; q++)
            if (!strncmp(tl->queues[q].name, "GIL ", 4)) {
                gils++;
                quiet += tl->queues[q].quiet;
            }
        assert_true(gils >= 2);
        assert_int_equal(quiet, k ? 0 : gils);
        struct viewer v;
        assert_int_equal(viewer_open(&v, tl), 0);
        int seen_quiet = 0;
        for (int i = 0; i < tl->nqueues; i++) {
            int qi = tl->queues[v.qorder[i]].quiet;
            assert_true(qi || !seen_quiet); /* none loud after a quiet one */
            seen_quiet |= qi;
        }
        viewer_close(&v);
        tl_free(tl);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cell_widths),
        cmocka_unit_test(test_cell_wrap),
        cmocka_unit_test(test_narrow_names),
        cmocka_unit_test(test_golden_hand),
        cmocka_unit_test(test_golden_blocking),
        cmocka_unit_test(test_golden_nonblocking),
        cmocka_unit_test(test_golden_special),
        cmocka_unit_test(test_golden_epoll),
        cmocka_unit_test(test_golden_io_uring),
        cmocka_unit_test(test_small_fd_table),
        cmocka_unit_test(test_small_captions_find_panels),
        cmocka_unit_test(test_small_bars),
        cmocka_unit_test(test_fd_words),
        cmocka_unit_test(test_phases_models),
        cmocka_unit_test(test_c10k),
        cmocka_unit_test(test_phases_far_input),
        cmocka_unit_test(test_steps_show_effects),
        cmocka_unit_test(test_step_of_a_fork),
        cmocka_unit_test(test_step_of_a_constructor),
        cmocka_unit_test(test_step_shows_changed_word),
        cmocka_unit_test(test_zombie_reaped_status),
        cmocka_unit_test(test_close_step_runs_to_eof),
        cmocka_unit_test(test_emfile_fd_table_in_view),
        cmocka_unit_test(test_crowd_by_script),
        cmocka_unit_test(test_fd_table_rows_beside_queues),
        cmocka_unit_test(test_forkserver_step_shows_its_fds),
        cmocka_unit_test(test_epollout_phases),
        cmocka_unit_test(test_herd_woken_for_nothing),
        cmocka_unit_test(test_play_stops_at_steps),
        cmocka_unit_test(test_long_tables),
        cmocka_unit_test(test_layout_still),
        cmocka_unit_test(test_small_buffers_strip),
        cmocka_unit_test(test_keys_navigation),
        cmocka_unit_test(test_keys_search_marks_focus),
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_mouse),
        cmocka_unit_test(test_layout_sizes),
        cmocka_unit_test(test_million_events),
        cmocka_unit_test(test_quiet_gil_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
