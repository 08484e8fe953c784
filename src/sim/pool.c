/*
 * pool.c - the template behind `pool NAME { ... }` (pool.h).
 *
 * The text is scenarios/pool-apply.scn's and pool-apply-async.scn's
 * process, part for part (pool.py's Pool.__init__, _handle_workers,
 * _handle_tasks, _handle_results, worker(), apply, apply_async, close
 * and join; docs/scenario-language.md, "multiprocessing: Pool"), with the
 * counts, the work and the captions that depend on them made from the
 * settings.  The lessons' settings give the lessons' text, line for line
 * (tests/test_mp.c compares the timelines).
 */
#include "sim/pool.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pool_cfg_default(struct pool_cfg *c)
{
    c->workers = 2;
    c->tasks = 2;
    c->work = 20 * 1000 * 1000;
    c->async = 1;
    c->callback = 0;
    c->cpus = 1;
}

struct buf {
    char *s;
    size_t n, cap;
    int oom;
};

static void add(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(struct buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || b->n + (size_t)k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (k >= 0 && b->n + (size_t)k + 1 > cap)
            cap *= 2;
        char *s = k < 0 ? NULL : realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* "two", "12": how a caption counts */
static const char *word(int64_t n, char *tmp, size_t len)
{
    static const char *const w[] = {"no", "one", "two", "three", "four",
        "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"};
    if (n >= 0 && n <= 12)
        return w[n];
    snprintf(tmp, len, "%lld", (long long)n);
    return tmp;
}

/* A duration as the language writes it (20ms) and as a caption says it
 * (20 ms) */
static void dur(int64_t ns, int spaced, char *out, size_t len)
{
    const char *sp = spaced ? " " : "";
    if (ns % 1000000000 == 0 && ns)
        snprintf(out, len, "%lld%ss", (long long)(ns / 1000000000), sp);
    else if (ns % 1000000 == 0)
        snprintf(out, len, "%lld%sms", (long long)(ns / 1000000), sp);
    else if (ns % 1000 == 0)
        snprintf(out, len, "%lld%sus", (long long)(ns / 1000), sp);
    else
        snprintf(out, len, "%lld%sns", (long long)ns, sp);
}

/* The caller's last caption: what the pool's calls took */
static void took(struct buf *b, const struct pool_cfg *c)
{
    char t1[24], t2[24], t3[24], d[32], total[32];
    int64_t w = c->workers, t = c->tasks, cpus = c->cpus > 0 ? c->cpus : 1;
    dur(c->work, 1, d, sizeof d);
    if (!c->async) {
        dur(c->work * t, 1, total, sizeof total);
        if (t == 1)
            add(b, "    say \"One apply() call took one task's time: %s.\"\n",
                d);
        else
            add(b, "    say \"%c%s apply() calls took %s tasks' time, one after "
                "the other: %s of work on %s idle CPU%s.\"\n",
                toupper((unsigned char)word(t, t1, sizeof t1)[0]),
                word(t, t1, sizeof t1) + 1, word(t, t2, sizeof t2), total,
                word(cpus, t3, sizeof t3), cpus == 1 ? "" : "s");
        return;
    }
    int64_t par = w < cpus ? w : cpus; /* workers computing at once */
    int64_t rounds = (t + par - 1) / par;
    if (t == 1) {
        add(b, "    say \"The result is back after one task's time: %s.\"\n", d);
    } else if (rounds == 1) {
        char who[80];
        if (t == w)
            snprintf(who, sizeof who, "the %s workers", word(w, t1, sizeof t1));
        else
            snprintf(who, sizeof who, "%s of the %s workers",
                     word(t, t1, sizeof t1), word(w, t2, sizeof t2));
        add(b, "    say \"%s results are back after one task's time: %s, %s "
            "computing at once.\"\n", t == 2 ? "Both" : "All", d, who);
    } else {
        dur(c->work * rounds, 1, total, sizeof total);
        add(b, "    say \"All %s results are back after %s tasks' time, about "
            "%s: no more than %s of the workers compute at once.\"\n",
            word(t, t1, sizeof t1), word(rounds, t2, sizeof t2), total,
            word(par, t3, sizeof t3));
    }
}

char *pool_expand(const char *name, const struct pool_cfg *c)
{
    struct buf b = {0};
    char t1[24], t2[24], d[32], dc[32];
    int64_t w = c->workers, t = c->tasks, cpus = c->cpus > 0 ? c->cpus : 1;
    dur(c->work, 0, dc, sizeof dc);
    dur(c->work, 1, d, sizeof d);
    add(&b, "process %s python {\n", name);
    add(&b, "    shared taskq done closing cached\n");
    add(&b, "    say \"Pool(%lld) makes its task queue, a SimpleQueue: a one-way "
        "pipe, a lock for its readers and one for its writers (SemLocks).\"\n",
        (long long)w);
    add(&b, "    inr, inw = mp_pipe oneway\n"
            "    inrl = mp_lock\n"
            "    inwl = mp_lock\n"
            "    outr, outw = mp_pipe oneway\n"
            "    outrl = mp_lock\n"
            "    outwl = mp_lock\n");
    if (w == 1)
        add(&b, "    say \"The result queue and the change notifier are "
            "SimpleQueues too. Now the worker is forked.\"\n");
    else
        add(&b, "    say \"The result queue and the change notifier are "
            "SimpleQueues too. Now %s workers are forked, at once.\"\n",
            word(w, t1, sizeof t1));
    add(&b, "    cnr, cnw = mp_pipe oneway\n"
            "    cnrl = mp_lock\n"
            "    cnwl = mp_lock\n");
    add(&b, "    repeat %lld {\n", (long long)w);
    add(&b, "        w = start fork worker {\n"
            "            close inw\n"
            "            close outr\n"
            "            loop {\n");
    if (w == 1)
        add(&b, "                say once \"The worker takes the task queue's "
            "reader lock, a SemLock: one atomic instruction on its word, 1 to "
            "0, no syscall. Then it blocks in read() until a task comes.\"\n");
    else
        add(&b, "                say once \"A worker takes the task queue's "
            "reader lock, a SemLock: one atomic instruction on its word, 1 to "
            "0, no syscall. Then it blocks in read(), and the next worker, "
            "finding the word 0, sleeps in futex() on the lock.\"\n");
    add(&b, "                acquire inrl\n"
            "                k, v = conn_recv inr\n"
            "                release inrl\n"
            "                if k == \"None\" {\n"
            "                    break\n"
            "                }\n");
    add(&b, "                say \"The worker runs the task's function, %s of "
        "Python, %s.\"\n", d, w <= cpus ? "on a CPU of its own"
                                       : "sharing the CPUs with the others");
    add(&b, "                compute %s\n", dc);
    add(&b, "                acquire outwl\n"
            "                conn_send outw \"result\" v 23\n"
            "                release outwl\n"
            "            }\n"
            "            say \"A worker read None: it leaves its loop, and its "
            "process exits (exit_group): its fds close, and it is a zombie "
            "until the parent's wait4.\"\n"
            "            exit 0\n"
            "        }\n"
            "    }\n");
    add(&b, "    wh = thread workers {\n"
            "        say \"The worker handler thread (pool.py's _handle_workers) "
            "waits in poll() for news: a worker's end, or the change "
            "notifier.\"\n"
            "        loop {\n"
            "            n = poll cnr\n"
            "            loop {\n"
            "                n = poll cnr 0ms\n"
            "                if n == 0 {\n"
            "                    break\n"
            "                }\n"
            "                acquire cnrl\n"
            "                k, v = conn_recv cnr\n"
            "                release cnrl\n"
            "            }\n"
            "            if closing == 1 {\n"
            "                say \"The worker handler has emptied the change "
            "notifier (get() until a poll() with timeout 0 finds nothing) and "
            "finds the pool's state CLOSE, no result pending: it leaves its "
            "loop and puts None on the pool's task list, waking the task "
            "handler.\"\n"
            "                sem_post taskq\n"
            "                break\n"
            "            }\n"
            "        }\n"
            "    }\n");
    add(&b, "    th = thread tasks {\n"
            "        say \"The task handler thread (_handle_tasks) waits for "
            "tasks on the pool's own list (queue.SimpleQueue: a futex).\"\n"
            "        job = set 0\n"
            "        loop {\n"
            "            sem_wait taskq\n"
            "            if closing == 1 {\n");
    add(&b, "                say \"The task handler took None, the end of the "
        "list: it puts None on the result queue for the result handler, then "
        "%s.\"\n", w == 1 ? "a None for the worker on the task queue"
                           : "a None for each worker on the task queue");
    add(&b, "                conn_send outw \"None\" 0 4\n");
    for (int64_t i = 0; i < w; i++)
        add(&b, "                conn_send inw \"None\" 0 4\n");
    add(&b, "                break\n"
            "            }\n"
            "            job = job + 1\n"
            "            say \"The task handler writes the task into the task "
            "queue's pipe: one write, its length and the pickle.\"\n"
            "            conn_send inw \"task\" job 45\n"
            "        }\n"
            "    }\n");
    add(&b, "    rh = thread results {\n"
            "        say \"The result handler thread (_handle_results) blocks in "
            "read() on the result queue.\"\n"
            "        loop {\n"
            "            k, v = conn_recv outr\n"
            "            if k == \"None\" {\n"
            "                break\n"
            "            }\n");
    if (c->callback)
        add(&b, "            say \"The callback runs here, in %s's result "
            "handler thread, %s/results: the worker only sent the result "
            "back. It prints it.\"\n"
            "            write 1 40\n", name, name);
    else if (c->async)
        add(&b, "            say \"The result handler reads the result and sets "
            "the AsyncResult's Event, which get() waits on.\"\n");
    else
        add(&b, "            say \"The result handler reads the result and sets "
            "the ApplyResult's Event: the apply() that waits for it "
            "returns.\"\n");
    add(&b, "            sem_post done\n"
            "            cached = cached - 1\n"
            "            if cached == 0 {\n"
            "                acquire cnwl\n"
            "                conn_send cnw \"None\" 0 4\n"
            "                release cnwl\n"
            "            }\n"
            "        }\n"
            "        say \"The result handler read None: it leaves its loop, "
            "makes sure the result queue's pipe is empty (poll() with timeout "
            "0) and ends.\"\n"
            "        n = poll outr 0ms\n"
            "    }\n");
    add(&b, "    repeat %lld {\n", (long long)t);
    if (c->async)
        add(&b, "        say \"apply_async(): put the task on the pool's list "
            "(waking the task handler) and return at once.\"\n");
    else
        add(&b, "        say \"apply(): put the task on the pool's list (waking "
            "the task handler), then wait for its result. Nothing else runs "
            "meanwhile.\"\n");
    add(&b, "        cached = cached + 1\n"
            "        sem_post taskq\n");
    if (!c->async)
        add(&b, "        sem_wait done\n");
    add(&b, "    }\n");
    if (c->async) {
        if (t == 1)
            add(&b, "    say \"The task is on its way. The caller now waits for "
                "its result (AsyncResult.get()).\"\n");
        else
            add(&b, "    say \"%s%s tasks are on their way. The caller now "
                "waits for the %s results (AsyncResult.get()).\"\n",
                t == 2 ? "Both" : "All ", t == 2 ? "" : word(t, t1, sizeof t1),
                word(t, t2, sizeof t2));
        for (int64_t i = 0; i < t; i++)
            add(&b, "    sem_wait done\n");
    }
    took(&b, c);
    add(&b, "    say \"pool.close(): the pool's state becomes CLOSE, and so "
        "does the worker handler thread's _state ('closing (%s)' is 1): stores "
        "to memory, no syscall.\"\n", name);
    add(&b,
        "    closing = set 1\n"
        "    acquire cnwl\n"
        "    say \"close() then puts None on the change notifier, under its "
        "writer lock: one write of 8 bytes, the length and the pickle. The "
        "worker handler is awake already: the result handler put a None there "
        "too, when the last result emptied the pool's cache.\"\n"
        "    conn_send cnw \"None\" 0 4\n"
        "    release cnwl\n"
        "    say \"pool.join() waits for the worker handler thread to end "
        "(Thread.join: a futex wait on its lock), then for the task handler, the result handler and "
        "each worker.\"\n"
        "    join wh\n"
        "    join th\n"
        "    join rh\n");
    for (int64_t i = 0; i < w; i++)
        add(&b, "    wait\n");
    add(&b, "    say \"pool.join() has returned: the three threads ended, and %s, "
        "given None, left its loop and exited: its fds closed first, then it "
        "was a zombie and SIGCHLD came, and the parent's wait4 reaped it.\"\n",
        w == 1 ? "the worker" : "each worker");
    add(&b, "}\n");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
