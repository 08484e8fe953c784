/*
 * test_scn.c - the scenario compiler: valid programs compile to the
 * encodings documented in prog.h; each kind of error is reported once, with
 * its exact FILE:LINE:COL.  Scenarios are inline strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scn.h"
#include "tl/tl.h"

#define PROC(body) "process p {\n" body "}\n"

static struct prog *parse_n(const char *text, size_t len)
{
    char err[512];
    struct prog *p = scn_parse("t.scn", text, len, err, sizeof err);
    if (!p)
        fail_msg("unexpected error: %s", err);
    return p;
}

static struct prog *parse(const char *text)
{
    return parse_n(text, strlen(text));
}

static void expect_error_n(const char *text, size_t len, const char *msg)
{
    char err[512];
    struct prog *p = scn_parse("t.scn", text, len, err, sizeof err);
    if (p) {
        prog_free(p);
        fail_msg("expected the error: %s", msg);
    }
    assert_string_equal(err, msg);
}

static void expect_error(const char *text, const char *msg)
{
    expect_error_n(text, strlen(text), msg);
}

static void assert_ins(const struct prog *p, int pc, int op, int jump)
{
    assert_true(pc < p->ncode);
    assert_string_equal(prog_op_name(p->code[pc].op), prog_op_name(op));
    assert_int_equal(p->code[pc].jump, jump);
}

static void assert_arg(const struct prog_arg *a, int kind, int64_t v)
{
    assert_int_equal(a->kind, kind);
    assert_int_equal(a->v, v);
}

/* ---- valid programs --------------------------------------------------- */

/* Every shipped scenario compiles (run from the top directory or tests/) */
static void test_shipped_scenarios(void **state)
{
    (void)state;
    const char *dirs[] = {"scenarios", "../scenarios"};
    char path[1024], err[512];
    int seen = 0;
    for (int d = 0; d < 2 && !seen; d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *e;
        while (dir && (e = readdir(dir))) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 4, ".scn") != 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
            struct prog *p = scn_load(path, err, sizeof err);
            if (!p) {
                closedir(dir);
                fail_msg("%s", err);
            }
            assert_true(p->ntasks >= 1);
            /* a Queue's feeder thread's steps come after every task */
            int last = p->ncode; /* generated code comes after them */
            if (p->feeder_pc >= 0 && p->feeder_pc < last)
                last = p->feeder_pc;
            if (p->hub_pc >= 0 && p->hub_pc < last)
                last = p->hub_pc;
            if (p->mgr_pc >= 0 && p->mgr_pc < last)
                last = p->mgr_pc;
            if (p->fsrv_pc >= 0 && p->fsrv_pc < last)
                last = p->fsrv_pc;
            last--;
            assert_int_equal(p->code[last].op, OP_EXIT);
            prog_free(p);
            seen++;
        }
        if (dir)
            closedir(dir);
    }
    if (!seen)
        skip();
}

static void test_blocking_example(void **state)
{
    (void)state;
    char err[512];
    struct prog *p = scn_load("scenarios/blocking.scn", err, sizeof err);
    if (!p && strstr(err, "cannot open"))
        p = scn_load("../scenarios/blocking.scn", err, sizeof err);
    if (!p && strstr(err, "cannot open"))
        skip();
    if (!p)
        fail_msg("%s", err);
    assert_string_equal(p->model, "blocking");
    assert_int_equal(p->tasks[0].kind, DECL_PROCESS);
    assert_string_equal(p->tasks[0].name, "server");
    assert_int_equal(p->tasks[0].entry, 0);
    prog_free(p);
}

static void test_defaults(void **state)
{
    (void)state;
    struct prog *p = parse("process p {\n}\n");
    struct cost c;
    cost_defaults(&c);
    assert_string_equal(p->path, "t.scn");
    assert_string_equal(p->title, "t.scn");
    assert_null(p->model);
    assert_int_equal(p->ncpus, 1);
    assert_int_equal(p->rcvbuf, 65536);
    assert_int_equal(p->sndbuf, 46080); /* net.c: NET_TCP_SNDBUF */
    assert_int_equal(p->pipebuf, 65536);
    assert_int_equal(p->latency, 50000);
    assert_int_equal(p->slice, 0);
    assert_int_equal(p->hz, 250);
    assert_int_equal(p->limit, 60000000000LL);
    assert_int_equal(p->max_events, 5000000);
    assert_int_equal(p->backlog, 128);
    assert_memory_equal(&p->cost, &c, sizeof c);
    assert_int_equal(p->ncode, 1);
    assert_ins(p, 0, OP_EXIT, -1);
    assert_int_equal(p->code[0].line, 2);
    prog_free(p);
}

static void test_machine(void **state)
{
    (void)state;
    struct prog *p = parse(
        "title \"t\"\n"
        "model epoll\n"
        "machine {\n"
        "    cpus 4\n"
        "    rcvbuf 128K\n"
        "    sndbuf 1M\n"
        "    pipebuf 4096\n"
        "    latency 2ms # one way\n"
        "    slice 1ms\n"
        "    limit 2s\n"
        "    events 1000000\n"
        "    backlog 16\n"
        "    cost syscall 150ns\n"
        "    cost cache_fds 500\n"
        "}\n"
        "process p {\n}\n");
    assert_string_equal(p->title, "t");
    assert_string_equal(p->model, "epoll");
    assert_int_equal(p->ncpus, 4);
    assert_int_equal(p->rcvbuf, 128 * 1024);
    assert_int_equal(p->sndbuf, 1024 * 1024);
    assert_int_equal(p->pipebuf, 4096);
    assert_int_equal(p->latency, 2000000);
    assert_int_equal(p->slice, 1000000);
    assert_int_equal(p->limit, 2000000000);
    assert_int_equal(p->max_events, 1000000);
    assert_int_equal(p->backlog, 16);
    assert_int_equal(p->cost.syscall, 150);
    assert_int_equal(p->cost.cache_fds, 500);
    assert_int_equal(p->cost.fork, 60000);
    prog_free(p);
}

static void test_operands(void **state)
{
    (void)state;
    struct prog *p = parse(PROC(
        "    s = socket\n"
        "    listen s 8080\n"
        "    c = accept s\n"
        "    fcntl c O_NONBLOCK\n"
        "    n = read c 4K\n"
        "    r, w = pipe\n"
        "    a, b = socketpair\n"
        "    ep = epoll_create\n"
        "    epoll_ctl ep add c et\n"
        "    epoll_ctl ep del 5\n"
        "    write w 100B\n"
        "    compute n\n"
        "    say \"café \\\"q\\\" \\\\ \\n 你好\"\n"
        "    exit -1\n"));
    struct prog_ins *in = p->code;
    assert_int_equal(p->tasks[0].nslots, 8);
    assert_string_equal(p->tasks[0].slot_names[3], "r");
    assert_int_equal(in[0].dst, 0);
    assert_arg(&in[1].a[0], ARG_SLOT, 0);
    assert_arg(&in[1].a[1], ARG_CONST, 8080);
    assert_int_equal(in[3].flags, TL_FL_NONBLOCK);
    assert_arg(&in[3].a[1], ARG_CONST, TL_FL_NONBLOCK);
    assert_int_equal(in[4].dst, 2);
    assert_arg(&in[4].a[1], ARG_CONST, 4096);
    assert_int_equal(in[5].dst, 3);
    assert_int_equal(in[5].dst2, 4);
    assert_int_equal(in[6].op, OP_SOCKETPAIR);
    assert_int_equal(in[8].op, OP_EPOLL_CTL);
    assert_int_equal(in[8].flags, TL_EP_IN | TL_EP_ET);
    assert_int_equal(in[8].nargs, 3);
    assert_arg(&in[8].a[1], ARG_CONST, 0);
    assert_arg(&in[8].a[2], ARG_SLOT, 1);
    assert_int_equal(in[9].flags, 0);
    assert_arg(&in[9].a[1], ARG_CONST, 2);
    assert_arg(&in[9].a[2], ARG_CONST, 5);
    assert_arg(&in[10].a[1], ARG_CONST, 100);
    assert_arg(&in[11].a[0], ARG_SLOT, 2);
    assert_int_equal(in[12].op, OP_SAY);
    assert_string_equal(p->strs[in[12].a[0].v],
                        "café \"q\" \\ \n 你好");
    assert_int_equal(in[13].nargs, 1);
    assert_arg(&in[13].a[0], ARG_CONST, -1);
    assert_int_equal(in[14].nargs, 0);
    assert_int_equal(in[14].a[0].kind, ARG_NONE);
    prog_free(p);
}

static void test_positions(void **state)
{
    (void)state;
    struct prog *p = parse("# comment\r\n"
                           "process p {\r\n"
                           "\tsleep 1ms\r\n"
                           "\n"
                           "    n = read 0 1  # 读\n"
                           "}");
    assert_int_equal(p->nlines, 6);
    assert_string_equal(p->lines[1], "process p {");
    assert_string_equal(p->lines[4], "    n = read 0 1  # 读");
    assert_int_equal(p->code[0].line, 3);
    assert_int_equal(p->code[0].col, 2);
    assert_int_equal(p->code[1].line, 5);
    assert_int_equal(p->code[1].col, 9);
    assert_int_equal(p->tasks[0].line, 2);
    prog_free(p);
}

static void test_peers_and_captions(void **state)
{
    (void)state;
    struct prog *p = parse("caption \"开始\"\n"
                           "caption at 1500us \"later\"\n"
                           "peer c count 3 every 2ms at 1s {\n"
                           "    sleep 1ms\n"
                           "}\n"
                           "peer d {\n}\n");
    assert_int_equal(p->ntasks, 2);
    assert_int_equal(p->tasks[0].count, 3);
    assert_int_equal(p->tasks[0].every, 2000000);
    assert_int_equal(p->tasks[0].start, 1000000000);
    assert_int_equal(p->tasks[0].entry, 0);
    assert_int_equal(p->tasks[1].count, 1);
    assert_int_equal(p->tasks[1].entry, 2);
    assert_int_equal(p->ncaptions, 2);
    assert_string_equal(p->captions[0].text, "开始");
    assert_int_equal(p->captions[0].t, 0);
    assert_int_equal(p->captions[1].t, 1500000);
    prog_free(p);
}

static void test_if_else(void **state)
{
    (void)state;
    struct prog *p = parse(PROC(
        "    n = read 0 1\n"      /* 0 */
        "    if n == EAGAIN {\n"  /* 1 JIF -> 4 */
        "        sleep 1ms\n"     /* 2 */
        "    } else if n < 0 {\n" /* 3 JMP -> 8; 4 JIF -> 7 */
        "        exit 1\n"        /* 5 */
        "    } else {\n"          /* 6 JMP -> 8; */
        "        exit\n"          /* 7 */
        "    }\n"
        "    if n != 1K {\n"      /* 8 JIF -> 10 */
        "        exit\n"          /* 9 */
        "    }\n"));              /* 10 EXIT */
    assert_ins(p, 1, OP_JIF, 4);
    assert_int_equal(p->code[1].flags, CMP_EQ);
    assert_arg(&p->code[1].a[0], ARG_SLOT, 0);
    assert_arg(&p->code[1].a[1], ARG_CONST, tl_errno_value("EAGAIN"));
    assert_ins(p, 3, OP_JMP, 8);
    assert_int_equal(p->code[3].line, 5);
    assert_ins(p, 4, OP_JIF, 7);
    assert_int_equal(p->code[4].flags, CMP_LT);
    assert_int_equal(p->code[4].col, 12);
    assert_ins(p, 6, OP_JMP, 8);
    assert_ins(p, 7, OP_EXIT, -1);
    assert_ins(p, 8, OP_JIF, 10);
    assert_int_equal(p->code[8].flags, CMP_NE);
    assert_arg(&p->code[8].a[1], ARG_CONST, 1024);
    assert_ins(p, 10, OP_EXIT, -1);
    assert_int_equal(p->ncode, 11);
    prog_free(p);
}

static void test_while_loop(void **state)
{
    (void)state;
    struct prog *p = parse(PROC(
        "    n = set 1\n"         /* 0 SET */
        "    while n > 0 {\n"     /* 1 JIF -> 8 */
        "        n = read 0 1\n"  /* 2 */
        "        if n < 0 {\n"    /* 3 JIF -> 5 */
        "            continue\n"  /* 4 JMP -> 1 */
        "        }\n"
        "        loop {\n"
        "            break\n"     /* 5 JMP -> 7, the inner loop's end */
        "        }\n"             /* 6 JMP -> 5 */
        "    }\n"                 /* 7 JMP -> 1; 8 EXIT */
        ));
    assert_ins(p, 0, OP_SET, -1);
    assert_ins(p, 1, OP_JIF, 8);
    assert_int_equal(p->code[1].flags, CMP_GT);
    assert_ins(p, 3, OP_JIF, 5);
    assert_ins(p, 4, OP_JMP, 1);
    assert_ins(p, 5, OP_JMP, 7);
    assert_ins(p, 6, OP_JMP, 5);
    assert_ins(p, 7, OP_JMP, 1);
    assert_ins(p, 8, OP_EXIT, -1);
    prog_free(p);
}

static void test_repeat(void **state)
{
    (void)state;
    struct prog *p = parse(PROC(
        "    repeat 3 {\n"        /* 0 SET k 0; 1 JIF k < 3 -> 6 */
        "        continue\n"      /* 2 JMP -> 4 */
        "        break\n"         /* 3 JMP -> 6 */
        "    }\n"));              /* 4 ADD; 5 JMP -> 1; 6 EXIT */
    int k = p->code[0].dst;
    assert_ins(p, 0, OP_SET, -1);
    assert_arg(&p->code[0].a[0], ARG_CONST, 0);
    assert_string_equal(p->tasks[0].slot_names[k], "(repeat)");
    assert_ins(p, 1, OP_JIF, 6);
    assert_int_equal(p->code[1].flags, CMP_LT);
    assert_arg(&p->code[1].a[0], ARG_SLOT, k);
    assert_arg(&p->code[1].a[1], ARG_CONST, 3);
    assert_ins(p, 2, OP_JMP, 4);
    assert_ins(p, 3, OP_JMP, 6);
    assert_ins(p, 4, OP_ADD, -1);
    assert_int_equal(p->code[4].dst, k);
    assert_arg(&p->code[4].a[0], ARG_SLOT, k);
    assert_arg(&p->code[4].a[1], ARG_CONST, 1);
    assert_ins(p, 5, OP_JMP, 1);
    assert_ins(p, 6, OP_EXIT, -1);
    prog_free(p);
}

static void test_select_for(void **state)
{
    (void)state;
    struct prog *p = parse(PROC(
        "    a = socket\n"            /* 0 */
        "    n = select a 0 a\n"      /* 1 */
        "    for fd in ready {\n"     /* 2 FOR_START -> 7 */
        "        if fd == a {\n"      /* 3 JIF -> 5 */
        "            continue\n"      /* 4 JMP -> 6 */
        "        }\n"
        "        break\n"             /* 5 JMP -> 7 */
        "    }\n"                     /* 6 FOR_NEXT -> 3 */
        "    for fd in ready {\n"     /* 7 a second loop is fine */
        "    }\n"));
    struct prog_ins *in = p->code;
    assert_int_equal(in[1].op, OP_SELECT);
    assert_int_equal(in[1].nargs, 0);
    assert_int_equal(in[1].list, 0);
    assert_int_equal(p->nlists, 1);
    assert_int_equal(p->lists[0].n, 3);
    assert_arg(&p->lists[0].v[0], ARG_SLOT, 0);
    assert_arg(&p->lists[0].v[1], ARG_CONST, 0);
    assert_ins(p, 2, OP_FOR_START, 7);
    assert_int_equal(in[2].dst, 2);
    assert_ins(p, 4, OP_JMP, 6);
    assert_ins(p, 5, OP_JMP, 7);
    assert_ins(p, 6, OP_FOR_NEXT, 3);
    assert_int_equal(in[6].dst, 2);
    assert_ins(p, 7, OP_FOR_START, 9);
    assert_ins(p, 8, OP_FOR_NEXT, 8);
    prog_free(p);
}

static void test_fork_thread(void **state)
{
    (void)state;
    struct prog *p = parse(PROC(
        "    loop {\n"
        "        pid = fork {\n"       /* 0 FORK -> 4 */
        "            loop {\n"
        "                break\n"      /* 1 JMP -> 3 */
        "            }\n"              /* 2 JMP -> 1 */
        "        }\n"                  /* 3 EXIT */
        "        thread {\n"           /* 4 THREAD -> 7 */
        "            sleep 1ms\n"      /* 5 */
        "        }\n"                  /* 6 EXIT */
        "        wait pid\n"           /* 7 */
        "    }\n"));                   /* 8 JMP -> 0; 9 EXIT */
    assert_ins(p, 0, OP_FORK, 4);
    assert_int_equal(p->code[0].dst, 0);
    assert_ins(p, 1, OP_JMP, 3);
    assert_ins(p, 3, OP_EXIT, -1);
    assert_ins(p, 4, OP_THREAD, 7);
    assert_int_equal(p->code[4].dst, -1);
    assert_ins(p, 6, OP_EXIT, -1);
    assert_ins(p, 7, OP_WAIT, -1);
    assert_arg(&p->code[7].a[0], ARG_SLOT, 0);
    assert_ins(p, 8, OP_JMP, 0);
    assert_ins(p, 9, OP_EXIT, -1);
    prog_free(p);
}

static void test_op_names(void **state)
{
    (void)state;
    assert_string_equal(prog_op_name(OP_ACCEPT), "accept");
    assert_string_equal(prog_op_name(OP_JIF), "(if)");
    assert_string_equal(prog_op_name(-1), "?");
    assert_string_equal(prog_op_name(OP__COUNT), "?");
    prog_free(NULL);
}

/* ---- errors: one test per kind ----------------------------------------- */

static void test_err_empty(void **state)
{
    (void)state;
    expect_error("", "t.scn:1:1: error: no process or peer declared");
    expect_error("# only\n\n  # comments\n",
                 "t.scn:1:1: error: no process or peer declared");
}

static void test_err_invalid_utf8(void **state)
{
    (void)state;
    expect_error(PROC("    say \"caf\xC3(\"\n"),
                 "t.scn:2:13: error: invalid UTF-8: the file must be UTF-8 "
                 "text");
}

static void test_err_nul(void **state)
{
    (void)state;
    static const char t[] = "process p {\n  x\0y\n}\n";
    expect_error_n(t, sizeof t - 1, "t.scn:2:4: error: NUL byte in the file");
}

static void test_err_line_too_long(void **state)
{
    (void)state;
    size_t n = PROG_MAX_LINE + 100;
    char *t = malloc(n + 32);
    assert_non_null(t);
    strcpy(t, "process p {\n#");
    memset(t + 13, 'x', n - 1);
    strcpy(t + 12 + n, "\n}\n");
    expect_error(t, "t.scn:2:4097: error: line too long: 4196 bytes, the "
                 "limit is 4096");
    free(t);
}

static void test_err_file_too_large(void **state)
{
    (void)state;
    size_t n = PROG_MAX_FILE + 1;
    char *t = malloc(n);
    assert_non_null(t);
    memset(t, '\n', n);
    expect_error_n(t, n, "t.scn:1:1: error: file too large: 4194305 bytes, "
                   "the limit is 4194304");
    free(t);
}

static void test_err_too_deep(void **state)
{
    (void)state;
    char t[2048] = "process p {\n";
    for (int i = 0; i < PROG_MAX_DEPTH; i++)
        strcat(t, "loop {\n");
    expect_error(t, "t.scn:33:6: error: blocks nested too deeply: the limit "
                 "is 32");
}

static void test_err_number_overflow(void **state)
{
    (void)state;
    expect_error(PROC("    sleep 9223372036854775808ns\n"),
                 "t.scn:2:11: error: number too large: the limit is "
                 "9223372036854775807");
    expect_error(PROC("    sleep 9223372036854775807s\n"),
                 "t.scn:2:11: error: number too large: the limit is "
                 "9223372036854775807");
}

static void test_err_too_many_tasks(void **state)
{
    (void)state;
    expect_error("process p {\n}\npeer c count 20000 {\n}\n",
                 "t.scn:3:14: error: too many task instances: the limit is "
                 "20000 in total");
}

static void test_err_too_much_code(void **state)
{
    (void)state;
    const char *stmt = "    sleep 1ms\n";
    size_t sl = strlen(stmt), n = PROG_MAX_CODE + 1;
    char *t = malloc(16 + n * sl + 8);
    assert_non_null(t);
    strcpy(t, "process p {\n");
    char *o = t + strlen(t);
    for (size_t i = 0; i < n; i++, o += sl)
        memcpy(o, stmt, sl);
    strcpy(o, "}\n");
    expect_error(t, "t.scn:100002:5: error: too many instructions: the limit "
                 "is 100000");
    free(t);
}

static void test_err_unknown_operation(void **state)
{
    (void)state;
    expect_error(PROC("    s = socket\n    c = acept s\n"),
                 "t.scn:3:9: error: unknown operation 'acept'; did you mean "
                 "'accept'?");
    expect_error(PROC("    frobnicate\n"),
                 "t.scn:2:5: error: unknown operation 'frobnicate'");
}

static void test_err_operand_count(void **state)
{
    (void)state;
    expect_error(PROC("    c = socket\n    n = read c\n"),
                 "t.scn:3:9: error: read takes FD SIZE (found 1 operand)");
    expect_error(PROC("    c = socket\n    close c c\n"),
                 "t.scn:3:13: error: close takes FD (found 2 operands)");
    expect_error(PROC("    s = socket 1\n"),
                 "t.scn:2:16: error: socket takes no operands (found 1)");
    expect_error(PROC("    watch\n"),
                 "t.scn:2:5: error: watch takes FD [in] [out] (found 0 operands)");
}

static void test_err_duration_unit(void **state)
{
    (void)state;
    expect_error(PROC("    sleep 5\n"),
                 "t.scn:2:11: error: expected a duration such as 5ms, found "
                 "'5'");
}

static void test_err_size_unit(void **state)
{
    (void)state;
    expect_error(PROC("    read 0 5ms\n"),
                 "t.scn:2:12: error: expected a size such as 4K or 100, found "
                 "'5ms'");
}

static void test_err_negative(void **state)
{
    (void)state;
    expect_error(PROC("    compute -5ms\n"),
                 "t.scn:2:13: error: a duration cannot be negative");
}

static void test_err_port(void **state)
{
    (void)state;
    expect_error(PROC("    s = socket\n    listen s 70000\n"),
                 "t.scn:3:14: error: expected a port number 1..65535, found "
                 "'70000'");
}

static void test_err_unknown_variable(void **state)
{
    (void)state;
    expect_error(PROC("    cc = socket\n    close c\n"),
                 "t.scn:3:11: error: unknown variable 'c'; did you mean "
                 "'cc'?");
    expect_error(PROC("    close x\n"),
                 "t.scn:2:11: error: unknown variable 'x': expected an fd: a "
                 "variable assigned earlier, such as c = accept s");
    /* bound only after its operands: c is not known in its own accept */
    expect_error(PROC("    c = accept c\n"),
                 "t.scn:2:16: error: unknown variable 'c': expected an fd: a "
                 "variable assigned earlier, such as c = accept s");
}

static void test_err_not_an_fd(void **state)
{
    (void)state;
    expect_error(PROC("    close \"x\"\n"),
                 "t.scn:2:11: error: expected an fd: a variable assigned "
                 "earlier, such as c = accept s, found '\"x\"'");
}

static void test_err_duplicate_task(void **state)
{
    (void)state;
    expect_error("process a {\n}\npeer a {\n}\n",
                 "t.scn:3:6: error: 'a' is already declared on line 1");
}

static void test_err_break_outside_loop(void **state)
{
    (void)state;
    expect_error(PROC("    break\n"),
                 "t.scn:2:5: error: 'break' outside a loop");
    /* a fork's block is a new task: it cannot leave its parent's loop */
    expect_error(PROC("    loop {\n        fork {\n            continue\n"
                      "        }\n    }\n"),
                 "t.scn:4:13: error: 'continue' outside a loop");
}

static void test_err_nested_for(void **state)
{
    (void)state;
    expect_error(PROC("    for a in ready {\n        loop {\n"
                      "            for b in ready {\n"),
                 "t.scn:4:13: error: 'for' loops cannot be nested: a task "
                 "iterates over one ready list at a time");
}

static void test_err_for_syntax(void **state)
{
    (void)state;
    expect_error(PROC("    for a in fds {\n    }\n"),
                 "t.scn:2:14: error: expected 'ready' or 'watched': for a in "
                 "ready {, found 'fds'");
}

static void test_err_unclosed(void **state)
{
    (void)state;
    expect_error("process p {\n    loop {\n        sleep 1ms\n}\n",
                 "t.scn:1:11: error: this '{' is never closed: add a line "
                 "with '}'");
}

static void test_err_unmatched_brace(void **state)
{
    (void)state;
    expect_error("process p {\n}\n}\n", "t.scn:3:1: error: unmatched '}'");
}

static void test_err_else_without_if(void **state)
{
    (void)state;
    expect_error(PROC("    loop {\n    } else {\n    }\n"),
                 "t.scn:3:7: error: 'else' without 'if'");
    expect_error(PROC("    else {\n"),
                 "t.scn:2:5: error: 'else' must follow the '}' of an if: "
                 "} else {");
}

static void test_err_brace_not_last(void **state)
{
    (void)state;
    expect_error(PROC("    loop { sleep 1ms }\n"),
                 "t.scn:2:12: error: '{' must end its line: put the block's "
                 "statements on the next lines");
    expect_error(PROC("    loop\n"),
                 "t.scn:2:9: error: expected '{' at the end of the line, "
                 "found end of line");
}

static void test_err_close_not_alone(void **state)
{
    (void)state;
    expect_error(PROC("    loop {\n    } sleep 1ms\n"),
                 "t.scn:3:7: error: '}' must be alone on its line (or "
                 "'} else {')");
}

static void test_err_unterminated_string(void **state)
{
    (void)state;
    expect_error(PROC("    say \"你好\n"),
                 "t.scn:2:9: error: unterminated string: add the closing "
                 "'\"'");
}

static void test_err_escape(void **state)
{
    (void)state;
    expect_error(PROC("    say \"a\\tb\"\n"),
                 "t.scn:2:11: error: unknown escape in a string: use \\\", "
                 "\\\\ or \\n");
}

static void test_err_unknown_unit(void **state)
{
    (void)state;
    expect_error(PROC("    sleep 5sec\n"),
                 "t.scn:2:12: error: unknown unit 'sec': use ns, us, ms or s "
                 "for a time, B, K, M or G for a size");
}

static void test_err_fraction(void **state)
{
    (void)state;
    expect_error(PROC("    sleep 1.5ms\n"),
                 "t.scn:2:11: error: numbers are whole: write 1500us, not "
                 "1.5ms");
}

static void test_err_unexpected_character(void **state)
{
    (void)state;
    expect_error(PROC("    say \"é\" ； x\n"),
                 "t.scn:2:13: error: unexpected character '；'");
}

static void test_err_utf8_columns(void **state)
{
    (void)state;
    expect_error(PROC("    say \"你好，世界\" x\n"),
                 "t.scn:2:17: error: say takes [once] \"TEXT\" (found 2 operands)");
}

static void test_err_machine_setting(void **state)
{
    (void)state;
    expect_error("machine {\n    rcvbuff 1K\n}\n",
                 "t.scn:2:5: error: unknown machine setting 'rcvbuff'; did "
                 "you mean 'rcvbuf'?");
}

static void test_err_machine_value(void **state)
{
    (void)state;
    expect_error("machine {\n    latency 5\n}\n",
                 "t.scn:2:13: error: latency takes a duration such as 5ms, "
                 "found '5'");
    expect_error("machine {\n    cpus 0\n}\n",
                 "t.scn:2:10: error: cpus must be between 1 and 1024");
    /* an event's time holds 2^45 - 1 ns (tl.h) */
    expect_error("machine {\n    limit 40000s\n}\n",
                 "t.scn:2:11: error: limit must be between 1 and 35184372088831");
}

static void test_err_cost_name(void **state)
{
    (void)state;
    expect_error("machine {\n    cost syscal 1us\n}\n",
                 "t.scn:2:10: error: unknown cost 'syscal'; did you mean "
                 "'syscall'?");
}

static void test_err_unknown_declaration(void **state)
{
    (void)state;
    expect_error("procss p {\n}\n",
                 "t.scn:1:1: error: unknown declaration 'procss'; did you "
                 "mean 'process'?");
}

static void test_err_statement_at_top(void **state)
{
    (void)state;
    expect_error("s = socket\n",
                 "t.scn:1:1: error: statements belong inside a process or "
                 "peer block");
}

static void test_err_two_results(void **state)
{
    (void)state;
    expect_error(PROC("    r = pipe\n"),
                 "t.scn:2:9: error: pipe returns two fds: write a, b = pipe");
    expect_error(PROC("    r, w = socket\n"),
                 "t.scn:2:8: error: only pipe, socketpair, mp_pipe, cqe, take, "
                 "getevent, wait, conn_recv and get return two values");
}

static void test_err_fcntl_flag(void **state)
{
    (void)state;
    expect_error(PROC("    fcntl 0 NONBLOCK\n"),
                 "t.scn:2:13: error: expected O_NONBLOCK or O_ASYNC, found "
                 "'NONBLOCK'");
}

static void test_err_epoll_ctl(void **state)
{
    (void)state;
    expect_error(PROC("    ep = epoll_create\n    epoll_ctl ep insert 0\n"),
                 "t.scn:3:18: error: expected add, mod or del, found 'insert'");
    expect_error(PROC("    ep = epoll_create\n    epoll_ctl ep add 0 lt\n"),
                 "t.scn:3:24: error: expected an epoll event (in, out, et, "
                 "oneshot or exclusive) or the end of the line, found 'lt'");
    expect_error(PROC("    ep = epoll_create\n    epoll_ctl ep add 0 et in et\n"),
                 "t.scn:3:30: error: 'et' is already in the event list");
    expect_error(PROC("    ep = epoll_create\n    epoll_ctl ep del 0 in\n"),
                 "t.scn:3:24: error: epoll_ctl del takes no events: "
                 "epoll_ctl EP del FD");
}

/* The event list after the fd: any order, in by default */
static void test_epoll_events(void **state)
{
    (void)state;
    struct prog *p = parse(PROC(
        "    ep = epoll_create\n"
        "    epoll_ctl ep add 0\n"
        "    epoll_ctl ep add 0 oneshot et\n"
        "    epoll_ctl ep mod 0 out\n"
        "    epoll_ctl ep add 0 exclusive in out\n"));
    struct prog_ins *in = p->code;
    assert_int_equal(in[1].flags, TL_EP_IN);
    assert_int_equal(in[1].nargs, 3);
    assert_int_equal(in[2].flags, TL_EP_IN | TL_EP_ONESHOT | TL_EP_ET);
    assert_int_equal(in[3].flags, TL_EP_OUT);
    assert_int_equal(in[4].flags, TL_EP_IN | TL_EP_OUT | TL_EP_EXCLUSIVE);
    prog_free(p);
}

static void test_err_comparison(void **state)
{
    (void)state;
    expect_error(PROC("    n = read 0 1\n    if n = 0 {\n"),
                 "t.scn:3:10: error: use '==' to compare, found '='");
    expect_error(PROC("    n = read 0 1\n    while n {\n"),
                 "t.scn:3:13: error: expected a comparison (== != < <= > >=), "
                 "found '{'");
}

static void test_err_errno_name(void **state)
{
    (void)state;
    expect_error(PROC("    n = read 0 1\n    if n == EAGIAN {\n"),
                 "t.scn:3:13: error: unknown errno name 'EAGIAN'; did you "
                 "mean 'EAGAIN'?");
}

static void test_err_twice(void **state)
{
    (void)state;
    expect_error("title \"a\"\ntitle \"b\"\n",
                 "t.scn:2:1: error: title already given on line 1");
}

static void test_err_set(void **state)
{
    (void)state;
    expect_error(PROC("    set 5\n"),
                 "t.scn:2:5: error: set needs a variable: x = set VALUE");
    expect_error(PROC("    x = 5\n"),
                 "t.scn:2:9: error: expected an operation after '=', found "
                 "'5'; to assign a value write x = set 5");
}

static void test_err_no_value(void **state)
{
    (void)state;
    expect_error(PROC("    x = say \"hi\"\n"),
                 "t.scn:2:5: error: say returns no value");
}

static void test_err_repeat_count(void **state)
{
    (void)state;
    expect_error(PROC("    repeat 5ms {\n"),
                 "t.scn:2:12: error: repeat takes a count: repeat 3 {");
}

static void test_err_peer_option(void **state)
{
    (void)state;
    expect_error("peer c times 3 {\n}\n",
                 "t.scn:1:8: error: unknown peer option 'times': expected "
                 "count, every or at");
}

static void test_err_load(void **state)
{
    (void)state;
    char err[512];
    assert_null(scn_load("/nonexistent/x.scn", err, sizeof err));
    assert_string_equal(err, "/nonexistent/x.scn: error: cannot open: No "
                        "such file or directory");
    assert_null(scn_load("/", err, sizeof err));
    assert_string_equal(err, "/: error: is a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_scenarios),
        cmocka_unit_test(test_blocking_example),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_machine),
        cmocka_unit_test(test_operands),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_peers_and_captions),
        cmocka_unit_test(test_if_else),
        cmocka_unit_test(test_while_loop),
        cmocka_unit_test(test_repeat),
        cmocka_unit_test(test_select_for),
        cmocka_unit_test(test_fork_thread),
        cmocka_unit_test(test_op_names),
        cmocka_unit_test(test_err_empty),
        cmocka_unit_test(test_err_invalid_utf8),
        cmocka_unit_test(test_err_nul),
        cmocka_unit_test(test_err_line_too_long),
        cmocka_unit_test(test_err_file_too_large),
        cmocka_unit_test(test_err_too_deep),
        cmocka_unit_test(test_err_number_overflow),
        cmocka_unit_test(test_err_too_many_tasks),
        cmocka_unit_test(test_err_too_much_code),
        cmocka_unit_test(test_err_unknown_operation),
        cmocka_unit_test(test_err_operand_count),
        cmocka_unit_test(test_err_duration_unit),
        cmocka_unit_test(test_err_size_unit),
        cmocka_unit_test(test_err_negative),
        cmocka_unit_test(test_err_port),
        cmocka_unit_test(test_err_unknown_variable),
        cmocka_unit_test(test_err_not_an_fd),
        cmocka_unit_test(test_err_duplicate_task),
        cmocka_unit_test(test_err_break_outside_loop),
        cmocka_unit_test(test_err_nested_for),
        cmocka_unit_test(test_err_for_syntax),
        cmocka_unit_test(test_err_unclosed),
        cmocka_unit_test(test_err_unmatched_brace),
        cmocka_unit_test(test_err_else_without_if),
        cmocka_unit_test(test_err_brace_not_last),
        cmocka_unit_test(test_err_close_not_alone),
        cmocka_unit_test(test_err_unterminated_string),
        cmocka_unit_test(test_err_escape),
        cmocka_unit_test(test_err_unknown_unit),
        cmocka_unit_test(test_err_fraction),
        cmocka_unit_test(test_err_unexpected_character),
        cmocka_unit_test(test_err_utf8_columns),
        cmocka_unit_test(test_err_machine_setting),
        cmocka_unit_test(test_err_machine_value),
        cmocka_unit_test(test_err_cost_name),
        cmocka_unit_test(test_err_unknown_declaration),
        cmocka_unit_test(test_err_statement_at_top),
        cmocka_unit_test(test_err_two_results),
        cmocka_unit_test(test_err_fcntl_flag),
        cmocka_unit_test(test_err_epoll_ctl),
        cmocka_unit_test(test_epoll_events),
        cmocka_unit_test(test_err_comparison),
        cmocka_unit_test(test_err_errno_name),
        cmocka_unit_test(test_err_twice),
        cmocka_unit_test(test_err_set),
        cmocka_unit_test(test_err_no_value),
        cmocka_unit_test(test_err_repeat_count),
        cmocka_unit_test(test_err_peer_option),
        cmocka_unit_test(test_err_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
