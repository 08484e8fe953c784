/*
 * test_pair.c - the simulation and the real run side by side (ui/pair.h):
 * golden screens at 80x24 and 132x43 with a divergence marked, the keys
 * that jump between divergences and move through the calls, the real run
 * following the simulation's position, and the reasons the caption gives
 * (real_compare_explain), which docs/real.md must hold word for word.
 *
 * The real run here is a fixture, not a live run, so that the screens are
 * the same on every machine: the tracer's records (struct real_log) of
 * blocking.scn on a loaded machine, where the server process started 2 ms
 * late and the client's connect, made at 1 ms as the scenario says, found
 * nothing listening.  They become a timeline by real_timeline(), as a
 * live run's records do.
 *
 * UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "real/compare.h"
#include "real/real.h"
#include "real/runner.h"
#include "testlib.h"
#include "ui/keys.h"
#include "ui/pair.h"
#include "ui/view.h"
#include "ui/viewer.h"

static char *render(struct viewer *v, int cols, int rows)
{
    struct cbuf cb;
    assert_int_equal(cb_init(&cb, cols, rows), 0);
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

/* ---- the recorded real run ----------------------------------------------- */

#define US 1000LL
#define MS 1000000LL

static void add(struct real_log *log, const struct real_rec *r)
{
    if (log->n == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 64;
        log->rec = realloc(log->rec, log->cap * sizeof *log->rec);
        assert_non_null(log->rec);
    }
    log->rec[log->n++] = *r;
}

static int str(struct real_log *log, const char *s)
{
    if (log->nstrs == log->strcap) {
        log->strcap = log->strcap ? log->strcap * 2 : 8;
        log->strs = realloc(log->strs, (size_t)log->strcap * sizeof *log->strs);
        assert_non_null(log->strs);
    }
    log->strs[log->nstrs] = strdup(s);
    return log->nstrs++;
}

static struct real_rec rec(int kind, int tid, int64_t t)
{
    struct real_rec r;
    memset(&r, 0, sizeof r);
    r.kind = (uint8_t)kind;
    r.tid = r.pid = tid;
    r.t_enter = t;
    r.t_exit = t;
    r.str = -1;
    return r;
}

/* The START mark: tid is task NAME of declaration decl */
static void start(struct real_log *log, const struct prog *p, int tid,
                  const char *name, int64_t t)
{
    int decl = -1;
    for (int i = 0; i < p->ntasks; i++)
        if (!strcmp(p->tasks[i].name, name))
            decl = i;
    assert_true(decl >= 0);
    struct real_rec r = rec(REAL_REC_MARK, tid, t);
    r.sub = REAL_MARK_START;
    r.str = str(log, name);
    r.b = (p->tasks[decl].kind == DECL_PEER ? TK_PEER : TK_PROCESS) |
          (int64_t)decl << 8;
    add(log, &r);
}

/* A caption: the scenario's string that begins with text */
static void say(struct real_log *log, const struct prog *p, int tid, int64_t t,
                const char *text)
{
    struct real_rec r = rec(REAL_REC_MARK, tid, t);
    r.sub = REAL_MARK_SAY;
    r.a = -1;
    for (int i = 0; i < p->nstrs; i++)
        if (!strncmp(p->strs[i], text, strlen(text)))
            r.a = i;
    assert_true(r.a >= 0);
    add(log, &r);
}

/* A call from t to end (end < 0: it never returned), its fd, its result,
 * and the extra value of its kind (a port, the ns of a sleep) */
static void call(struct real_log *log, int tid, int64_t t, int64_t end, int nr,
                 int fd, int64_t ret, int64_t extra)
{
    struct real_rec r = rec(REAL_REC_CALL, tid, t);
    r.nr = nr;
    r.args[0] = fd;
    r.args[2] = nr == SYS_read || nr == SYS_recvfrom ? 4096 : ret > 0 ? ret : 100;
    if (nr == SYS_listen)
        r.args[1] = 128;
    if (nr == SYS_socket) {
        r.args[0] = 2;
        r.args[1] = 1;
    }
    r.t_exit = end;
    r.unfinished = end < 0;
    r.ret = ret;
    r.a = extra;
    add(log, &r);
}

static void ends(struct real_log *log, int tid, int64_t t, int sig)
{
    struct real_rec r = rec(REAL_REC_EXIT, tid, t);
    r.a = sig;
    r.b = sig != 0; /* killed by sig */
    add(log, &r);
}

/*
 * blocking.scn for real, the server 2 ms late: the client's connect at 1 ms
 * is refused, the runner closes its socket (as it does for a refused
 * connect), and the client's send and recv find a closed fd; the server
 * waits in accept() until the run ends and kills it.
 */
static struct tl *real_blocking(const struct prog *p)
{
    struct real_log log;
    memset(&log, 0, sizeof log);
    enum { SERVER = 4001, CLIENT = 4002 };
    start(&log, p, CLIENT, "client", 12 * US);
    call(&log, CLIENT, 31 * US, 1081 * US, SYS_clock_nanosleep, -1, 0, 1 * MS);
    call(&log, CLIENT, 1090 * US, 1102 * US, SYS_socket, -1, 3, 0);
    call(&log, CLIENT, 1110 * US, 1151 * US, SYS_connect, 3, -ECONNREFUSED, 8080);
    call(&log, CLIENT, 1160 * US, 1171 * US, SYS_close, 3, 0, 0);
    call(&log, CLIENT, 1180 * US, 5230 * US, SYS_clock_nanosleep, -1, 0, 4 * MS);
    say(&log, p, CLIENT, 5240 * US, "The client sends 100 bytes");
    call(&log, CLIENT, 5250 * US, 5262 * US, SYS_sendto, 3, -EBADF, 0);
    call(&log, CLIENT, 5270 * US, 5279 * US, SYS_recvfrom, 3, -EBADF, 0);
    call(&log, CLIENT, 5290 * US, 5297 * US, SYS_close, 3, -EBADF, 0);
    call(&log, CLIENT, 5310 * US, -1, SYS_exit_group, 0, 0, 0);
    ends(&log, CLIENT, 5330 * US, 0);
    start(&log, p, SERVER, "server", 2080 * US);
    call(&log, SERVER, 2101 * US, 2129 * US, SYS_socket, -1, 3, 0);
    call(&log, SERVER, 2140 * US, 2166 * US, SYS_bind, 3, 0, 8080);
    call(&log, SERVER, 2175 * US, 2191 * US, SYS_listen, 3, 0, 0);
    say(&log, p, SERVER, 2200 * US, "The server calls accept()");
    call(&log, SERVER, 2213 * US, -1, SYS_accept, 3, 0, 0);
    ends(&log, SERVER, 26 * MS, 9 /* SIGKILL */);
    /* the builder orders the records by time, as the tracer's come */
    struct tl *tl = NULL;
    assert_int_equal(real_timeline(&log, p, 1, &tl), 0);
    real_log_free(&log);
    return tl;
}

struct fix {
    struct tl *sim, *real;
    struct ui_pair p;
};

static void fix_open(struct fix *f)
{
    struct prog *p = scn_load("scenarios/blocking.scn", err, sizeof err);
    if (!p)
        fail_msg("%s", err);
    f->real = real_blocking(p);
    f->sim = sim_run(p, NULL, err, sizeof err);
    prog_free(p);
    assert_non_null(f->sim);
    assert_int_equal(ui_pair_open(&f->p, f->sim, f->real), 0);
}

static void fix_close(struct fix *f)
{
    ui_pair_close(&f->p);
    tl_free(f->real);
    tl_free(f->sim);
}

static const struct real_cmp_row *cur(const struct fix *f)
{
    return ui_pair_at(&f->p, f->p.row);
}

/* the call at the cursor on one side, as the dump words it ("" if none) */
static const char *side_text(const struct fix *f, int real, char *buf, size_t len)
{
    const struct real_cmp_row *r = cur(f);
    long ev = !r ? -1 : real ? r->real_ev : r->sim_ev;
    buf[0] = 0;
    if (ev >= 0)
        real_compare_call_text(real ? f->real : f->sim, ev, buf, len);
    return buf;
}

/* ---- tests --------------------------------------------------------------- */

/* The fixture compares as a real run with these faults would */
static void test_fixture_alignment(void **st)
{
    (void)st;
    struct fix f;
    fix_open(&f);
    assert_false(real_compare_agree(&f.p.cmp));
    assert_true(f.p.ndiv > 0);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    real_compare_dump(&f.p.cmp, m);
    fclose(m);
    if (getenv("PAIR_DUMP"))
        fputs(out, stderr);
    assert_non_null(strstr(out, "?   1.000 ms connect(3) = 0"));
    assert_non_null(strstr(out, "connect(3) = -1 ECONNREFUSED"));
    assert_non_null(strstr(out, "accept(3) = ?"));
    free(out);
    fix_close(&f);
}

/* Golden screens: the first divergence and the refused connect, at 80x24
 * and 132x43 */
static void test_golden_pair(void **st)
{
    (void)st;
    static const int sizes[][2] = { { 80, 24 }, { 132, 43 } };
    for (int s = 0; s < 2; s++) {
        struct fix f;
        fix_open(&f);
        struct viewer *v = &f.p.sim;
        int w = sizes[s][0], h = sizes[s][1];
        char name[80];
        viewer_goto_step(v, 0);
        ui_pair_follow(&f.p, -1);
        char *txt = render(v, w, h);
        snprintf(name, sizeof name, "ui_pair_%dx%d_start", w, h);
        check_golden(name, txt);
        free(txt);
        ui_key(v, 'd'); /* the first divergence: the server's accept */
        txt = render(v, w, h);
        snprintf(name, sizeof name, "ui_pair_%dx%d_div1", w, h);
        check_golden(name, txt);
        free(txt);
        char b[96];
        for (int k = 0; strcmp(side_text(&f, 0, b, sizeof b), "connect(3) = 0"); k++) {
            assert_true(k < 20);
            ui_key(v, 'd');
        }
        txt = render(v, w, h);
        snprintf(name, sizeof name, "ui_pair_%dx%d_refused", w, h);
        check_golden(name, txt);
        assert_non_null(strstr(txt, "nothing listened on the port yet"));
        assert_non_null(strstr(txt, "ECONNREFUSED"));
        free(txt);
        fix_close(&f);
    }
}

/* d and D go from divergence to divergence in the order shown, and say
 * when there is none further; j and k move a call at a time */
static void test_divergence_keys(void **st)
{
    (void)st;
    struct fix f;
    fix_open(&f);
    struct viewer *v = &f.p.sim;
    viewer_goto_step(v, 0);
    ui_pair_follow(&f.p, -1);
    long seen = 0, last = -1;
    for (;;) {
        ui_key(v, 'd');
        if (f.p.row == last)
            break;
        assert_true(f.p.row > last);
        assert_true(real_compare_diverges(cur(&f)));
        for (long d = last + 1; d < f.p.row; d++) /* none skipped */
            assert_false(real_compare_diverges(ui_pair_at(&f.p, d)));
        last = f.p.row;
        seen++;
        char want[64];
        snprintf(want, sizeof want, "Divergence %ld of %ld", seen, f.p.ndiv);
        assert_non_null(strstr(v->msg, want));
    }
    assert_int_equal(seen, f.p.ndiv);
    assert_non_null(strstr(v->msg, "No later divergence"));
    for (long k = seen - 1; k >= 1; k--) {
        long was = f.p.row;
        ui_key(v, 'D');
        assert_true(f.p.row < was);
        assert_true(real_compare_diverges(cur(&f)));
    }
    ui_key(v, 'D');
    assert_non_null(strstr(v->msg, "No earlier divergence"));
    /* j/k: the next and previous call; both viewers go with it */
    long r0 = f.p.row;
    ui_key(v, 'j');
    assert_int_equal(f.p.row, r0 + 1);
    assert_int_equal(viewer_pos(v), ui_pair_sim_pos(&f.p, r0 + 1));
    assert_int_equal(viewer_pos(&f.p.real), ui_pair_real_pos(&f.p, r0 + 1, viewer_pos(v)));
    ui_key(v, 'k');
    assert_int_equal(f.p.row, r0);
    /* a click on a row of the calls puts the cursor there */
    free(render(v, 80, 24));
    int clicked = 0;
    for (int i = 0; i < v->nplaced; i++)
        if (v->placed[i].view == V_ALIGN) {
            clicked = 1;
            struct rect r = v->placed[i].r;
            long top = f.p.row - (r.h - 2) / 3 < 0 ? 0 : f.p.row - (r.h - 2) / 3;
            if (top > f.p.n - (r.h - 2))
                top = f.p.n - (r.h - 2) < 0 ? 0 : f.p.n - (r.h - 2);
            v->mouse_x = r.x + 5;
            v->mouse_y = r.y + 2; /* the second row shown */
            assert_true(ui_key(v, UK_MOUSE) & UI_HANDLED);
            assert_int_equal(f.p.row, top + 1);
            assert_int_equal(viewer_pos(v), ui_pair_sim_pos(&f.p, top + 1));
        }
    assert_true(clicked);
    ui_pair_goto_row(&f.p, r0);
    /* the caption's words for a divergence */
    char what[400], why[600];
    real_compare_explain(&f.p.cmp, (size_t)f.p.order[f.p.row], what, sizeof what,
                         why, sizeof why);
    assert_true(what[0] && why[0]);
    fix_close(&f);
}

/* Space steps the lesson in the simulation: the cursor's row is the call
 * the caption's task has entered last, and the real run shows its
 * counterpart */
static void test_positions_follow(void **st)
{
    (void)st;
    struct fix f;
    fix_open(&f);
    struct viewer *v = &f.p.sim;
    viewer_goto_step(v, 0);
    ui_pair_follow(&f.p, -1);
    for (int k = 0; k < 8; k++) {
        ui_key(v, ' ');
        const struct real_cmp_row *r = cur(&f);
        if (!r)
            continue;
        long pos = viewer_pos(v);
        assert_true(ui_pair_sim_pos(&f.p, f.p.row) <= pos);
        assert_int_equal(r->sim_task, v->sel_task);
        for (long d = f.p.row + 1; d < f.p.n; d++) /* its next call is not entered */
            if (ui_pair_at(&f.p, d)->sim_task == v->sel_task) {
                assert_true(ui_pair_sim_pos(&f.p, d) > pos);
                break;
            }
        assert_int_equal(viewer_pos(&f.p.real),
                         ui_pair_real_pos(&f.p, f.p.row, viewer_pos(v)));
        if (r->real_ev >= 0) /* the real viewer is inside that very call */
            assert_true(viewer_pos(&f.p.real) > r->real_ev);
        /* and past its return once the simulated call has returned */
        long sret = -1, rret = -1;
        for (size_t i = (size_t)r->sim_ev + 1; r->sim_ev >= 0 && i < f.sim->nev && sret < 0; i++)
            if (f.sim->ev[i].task == r->sim_task && f.sim->ev[i].type == EV_SYSCALL)
                sret = (long)i;
        for (size_t i = (size_t)r->real_ev + 1; r->real_ev >= 0 && i < f.real->nev && rret < 0; i++)
            if (f.real->ev[i].task == r->real_task && f.real->ev[i].type == EV_SYSCALL)
                rret = (long)i;
        if (sret >= 0 && sret < pos && rret >= 0)
            assert_true(viewer_pos(&f.p.real) > rret);
    }
    /* back to the start: before the first call */
    ui_key(v, 'g');
    assert_int_equal(viewer_pos(v), 0);
    assert_true(f.p.row < 0);
    fix_close(&f);
}

/* A run beside itself: at every step of the lesson the right side shows
 * the selected task in the state and the call the left side shows it */
static void test_pair_with_itself(void **st)
{
    (void)st;
    static const char *const files[] = { "scenarios/blocking.scn",
                                         "scenarios/epoll.scn" };
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        struct tl *tl = run_file(files[k]);
        struct ui_pair p;
        assert_int_equal(ui_pair_open(&p, tl, tl), 0);
        assert_int_equal(p.ndiv, 0);
        viewer_goto_step(&p.sim, 0);
        ui_pair_follow(&p, -1);
        int steps = 0;
        for (long s = 1; s < p.sim.ncaps; s++) {
            ui_key(&p.sim, ' ');
            int t = p.sim.sel_task;
            if (p.row < 0 || t < 0)
                continue;
            const struct w_task *a = &p.sim.cur.w.tasks[t], *b = &p.real.cur.w.tasks[t];
            if (a->sys != b->sys || a->state != b->state)
                fail_msg("%s step %ld: %s is %d in %d on the left, %d in %d "
                         "on the right", files[k], s + 1, tl->tasks[t].name,
                         a->state, a->sys, b->state, b->sys);
            steps++;
        }
        assert_true(steps > 3);
        ui_pair_close(&p);
        tl_free(tl);
    }
}

/* The keys outside side by side say what they need */
static void test_keys_alone(void **st)
{
    (void)st;
    struct tl *tl = run_file("scenarios/blocking.scn");
    struct viewer v;
    assert_int_equal(viewer_open(&v, tl), 0);
    assert_int_equal(ui_key(&v, 'd') & UI_PAIR, 0);
    assert_non_null(strstr(v.msg, "side by side"));
    /* an imported trace cannot run for real */
    assert_int_equal(ui_key(&v, 's') & UI_PAIR, 0);
    assert_non_null(strstr(v.msg, "Only a scenario runs for real"));
    v.can_real = 1;
    assert_true(ui_key(&v, 's') & UI_PAIR);
    viewer_close(&v);
    tl_free(tl);
    /* the help screen has the keys */
    int found = 0;
    for (int a = 1; a < A__COUNT; a++)
        found += !strcmp(ui_action_name(a), "NEXT_DIVERGENCE") ||
                 !strcmp(ui_action_name(a), "SIDE_BY_SIDE");
    assert_int_equal(found, 2);
    assert_int_equal(ui_key_action('d'), A_NEXT_DIVERGENCE);
    assert_int_equal(ui_key_action('D'), A_PREV_DIVERGENCE);
    assert_int_equal(ui_key_action('s'), A_SIDE_BY_SIDE);
}

/* What the caption says of a scenario's known differences is what
 * docs/real.md says, word for word */
static void test_reasons_in_docs(void **st)
{
    (void)st;
    char *doc = slurp("docs/real.md", NULL);
    assert_non_null(doc);
    /* the docs' code spans are plain words in a caption */
    char *w = doc;
    for (char *r = doc; *r; r++)
        if (*r != '`')
            *w++ = *r;
    *w = 0;
    static const char *const differ[] = { "writeout", "shared-counter",
        "gil-cpu", "gil-io", "mp-cpu", "free-threaded", "sticky", "herd",
        "emfile", "spawn-main", "ipc-queue", "print-lock", "three-designs",
        "pool-apply", "pool-apply-async", "forkserver" };
    for (size_t i = 0; i < sizeof differ / sizeof *differ; i++) {
        char path[80];
        snprintf(path, sizeof path, "scenarios/%s.scn", differ[i]);
        const char *k = real_compare_known(path);
        if (!k)
            fail_msg("%s: no reason for its differences", differ[i]);
        if (!strstr(doc, k))
            fail_msg("docs/real.md does not say, word for word: %s", k);
    }
    assert_null(real_compare_known("scenarios/blocking.scn"));
    assert_null(real_compare_known(NULL));
    free(doc);
}

/* Every size a terminal may have, with the cursor anywhere: no crash, and
 * the calls panel is there from 80x23 up */
static void test_pair_sizes(void **st)
{
    (void)st;
    struct fix f;
    fix_open(&f);
    struct viewer *v = &f.p.sim;
    for (int w = 60; w <= 200; w += 7)
        for (int h = 18; h <= 60; h += 5)
            for (long d = -1; d < f.p.n; d += 3) {
                if (d >= 0)
                    ui_pair_goto_row(&f.p, d);
                char *txt = render(v, w, h);
                if (w >= UI_MIN_COLS && h >= UI_MIN_ROWS)
                    assert_non_null(strstr(txt, "Calls, aligned"));
                free(txt);
            }
    fix_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_alignment),
        cmocka_unit_test(test_golden_pair),
        cmocka_unit_test(test_divergence_keys),
        cmocka_unit_test(test_positions_follow),
        cmocka_unit_test(test_pair_with_itself),
        cmocka_unit_test(test_keys_alone),
        cmocka_unit_test(test_reasons_in_docs),
        cmocka_unit_test(test_pair_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
