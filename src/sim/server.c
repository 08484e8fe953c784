/*
 * server.c - the templates behind `server NAME { model M ... }`.
 *
 * One table: each model's textbook loop (Stevens, UNP chapters 6 and 30),
 * with @NAME@, @PORT@, @WORK@, @REPLY@ and @BUFFER@ standing for the
 * settings.  Every template serves the same protocol: read a request (up to
 * BUFFER bytes), compute for WORK, write REPLY bytes; a read of 0 (end of
 * file) or an error ends the connection.  The multiplexing servers make the
 * listening socket non-blocking and accept until EAGAIN, so one wake-up
 * takes every waiting connection (the pattern epoll(7) recommends).
 */
#include "sim/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVE(fd, indent) \
    indent "r = read " fd " @BUFFER@\n" \
    indent "if r > 0 {\n" \
    indent "    compute @WORK@\n" \
    indent "    write " fd " @REPLY@\n"

static const char tpl_blocking[] =
    "# @NAME@: an iterative server with blocking I/O (UNP figure 6.1).\n"
    "# One client at a time: the others wait in the accept queue.\n"
    "process @NAME@ {\n"
    "    s = socket\n"
    "    listen s @PORT@\n"
    "    loop {\n"
    "        say once \"accept() blocks until a connection is in the accept queue.\"\n"
    "        c = accept s\n"
    "        loop {\n"
    "            n = read c @BUFFER@\n"
    "            if n <= 0 {\n"
    "                break\n"
    "            }\n"
    "            compute @WORK@\n"
    "            write c @REPLY@\n"
    "        }\n"
    "        say once \"This client closed. Only now can the server accept the next one: an iterative server serves one client at a time.\"\n"
    "        close c\n"
    "    }\n"
    "}\n";

static const char tpl_fork[] =
    "# @NAME@: a process per connection (UNP section 5.1, fork after accept).\n"
    "process @NAME@ {\n"
    "    s = socket\n"
    "    listen s @PORT@\n"
    "    loop {\n"
    "        c = accept s\n"
    "        pid = fork {\n"
    "            say once \"fork(): the child has a copy of the fd table. It closes its copy of the listening socket (only the parent accepts) and serves this client with blocking reads; the parent goes back to accept().\"\n"
    "            close s\n"
    "            loop {\n"
    "                n = read c @BUFFER@\n"
    "                if n <= 0 {\n"
    "                    break\n"
    "                }\n"
    "                compute @WORK@\n"
    "                write c @REPLY@\n"
    "            }\n"
    "            close c\n"
    "        }\n"
    "        close c\n"
    "    }\n"
    "}\n";

static const char tpl_thread[] =
    "# @NAME@: a thread per connection (one stack each, shared fd table).\n"
    "process @NAME@ {\n"
    "    s = socket\n"
    "    listen s @PORT@\n"
    "    loop {\n"
    "        c = accept s\n"
    "        tid = thread {\n"
    "            say once \"A new thread serves this client with blocking reads; it shares the process's fd table.\"\n"
    "            loop {\n"
    "                n = read c @BUFFER@\n"
    "                if n <= 0 {\n"
    "                    break\n"
    "                }\n"
    "                compute @WORK@\n"
    "                write c @REPLY@\n"
    "            }\n"
    "            close c\n"
    "        }\n"
    "    }\n"
    "}\n";

static const char tpl_nonblocking[] =
    "# @NAME@: one thread, every socket O_NONBLOCK, asked in turn (UNP 6.2).\n"
    "process @NAME@ {\n"
    "    s = socket\n"
    "    listen s @PORT@\n"
    "    fcntl s O_NONBLOCK\n"
    "    loop {\n"
    "        c = accept s\n"
    "        if c >= 0 {\n"
    "            fcntl c O_NONBLOCK\n"
    "            watch c\n"
    "        }\n"
    "        for fd in watched {\n"
    SERVE("fd", "            ")
    "            } else if r == 0 {\n"
    "                unwatch fd\n"
    "                close fd\n"
    "            }\n"
    "        }\n"
    "        say once \"One round done: a read() per connection, most of them EAGAIN. The loop never sleeps; its own bookkeeping takes a little CPU each round.\"\n"
    "        compute 20us\n"
    "    }\n"
    "}\n";

/* select and poll: the same loop, one word apart */
#define TPL_SCAN(call, what) \
    "# @NAME@: one thread, " call "() over all its connections (UNP 6.3).\n" \
    "process @NAME@ {\n" \
    "    s = socket\n" \
    "    listen s @PORT@\n" \
    "    fcntl s O_NONBLOCK\n" \
    "    watch s\n" \
    "    loop {\n" \
    "        say once \"" call "(): the " what " goes into the kernel, which checks every fd in it; the task sleeps until one is readable.\"\n" \
    "        n = " call "\n" \
    "        for fd in ready {\n" \
    "            if fd == s {\n" \
    "                loop {\n" \
    "                    c = accept s\n" \
    "                    if c < 0 {\n" \
    "                        break\n" \
    "                    }\n" \
    "                    watch c\n" \
    "                }\n" \
    "                continue\n" \
    "            }\n" \
    SERVE("fd", "            ") \
    "            } else {\n" \
    "                unwatch fd\n" \
    "                close fd\n" \
    "            }\n" \
    "        }\n" \
    "    }\n" \
    "}\n"

static const char tpl_select[] = TPL_SCAN("select", "whole fd_set (nfds bits)");
static const char tpl_poll[] = TPL_SCAN("poll", "whole pollfd array");

static const char tpl_epoll[] =
    "# @NAME@: one thread, epoll_wait() on an epoll instance (epoll(7)).\n"
    "process @NAME@ {\n"
    "    s = socket\n"
    "    listen s @PORT@\n"
    "    fcntl s O_NONBLOCK\n"
    "    ep = epoll_create\n"
    "    epoll_ctl ep add s\n"
    "    loop {\n"
    "        say once \"epoll_wait(): the kernel only reads the ready list; the fds on the interest list cost nothing while idle.\"\n"
    "        n = epoll_wait ep\n"
    "        for fd in ready {\n"
    "            if fd == s {\n"
    "                loop {\n"
    "                    c = accept s\n"
    "                    if c < 0 {\n"
    "                        break\n"
    "                    }\n"
    "                    epoll_ctl ep add c\n"
    "                }\n"
    "                continue\n"
    "            }\n"
    SERVE("fd", "            ")
    "            } else {\n"
    "                close fd\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n";

/* epoll with EPOLLET: the same loop, but a report means "something new
 * arrived", not "something is there", so every reader drains to EAGAIN */
static const char tpl_epoll_et[] =
    "# @NAME@: one thread, epoll_wait() with EPOLLET on every fd (epoll(7)).\n"
    "process @NAME@ {\n"
    "    s = socket\n"
    "    listen s @PORT@\n"
    "    fcntl s O_NONBLOCK\n"
    "    ep = epoll_create\n"
    "    epoll_ctl ep add s et\n"
    "    loop {\n"
    "        say once \"epoll_wait() with EPOLLET: an fd is reported once per arrival. Bytes left in a buffer are not reported again, so every fd must be drained to EAGAIN.\"\n"
    "        n = epoll_wait ep\n"
    "        for fd in ready {\n"
    "            if fd == s {\n"
    "                loop {\n"
    "                    c = accept s\n"
    "                    if c < 0 {\n"
    "                        say once \"accept() returned EAGAIN: the accept queue is empty. Stopping earlier would leave connections there until a new one arrives.\"\n"
    "                        break\n"
    "                    }\n"
    "                    fcntl c O_NONBLOCK\n"
    "                    epoll_ctl ep add c et\n"
    "                }\n"
    "                continue\n"
    "            }\n"
    "            loop {\n"
    "                r = read fd @BUFFER@\n"
    "                if r == EAGAIN {\n"
    "                    say once \"read() returned EAGAIN: this connection is drained, so it is safe to go back to epoll_wait(). That last read is the price of edge-triggering: one more syscall per wake-up.\"\n"
    "                    break\n"
    "                }\n"
    "                if r <= 0 {\n"
    "                    close fd\n"
    "                    break\n"
    "                }\n"
    "                compute @WORK@\n"
    "                write fd @REPLY@\n"
    "                say once \"Request answered, but the buffer may hold more: with EPOLLET the server keeps reading until EAGAIN instead of waiting to be told again.\"\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n";

/* Signal-driven (UNP 6.4, section 25.2): SIGIO names no fd and merges
 * with a pending one, so the handler accepts and reads everything it has */
static const char tpl_sigio[] =
    "# @NAME@: signal-driven I/O, a SIGIO handler does the work (UNP 6.4).\n"
    "process @NAME@ {\n"
    "    s = socket\n"
    "    listen s @PORT@\n"
    "    fcntl s O_NONBLOCK\n"
    "    sigaction SIGIO {\n"
    "        say once \"SIGIO: something arrived, but the signal does not say where, and several arrivals may have merged into this one. The handler accepts until EAGAIN, then reads every connection until EAGAIN.\"\n"
    "        loop {\n"
    "            c = accept s\n"
    "            if c < 0 {\n"
    "                break\n"
    "            }\n"
    "            fcntl c O_NONBLOCK\n"
    "            fcntl c O_ASYNC\n"
    "            watch c\n"
    "        }\n"
    "        for fd in watched {\n"
    "            loop {\n"
    "                r = read fd @BUFFER@\n"
    "                if r == EAGAIN {\n"
    "                    break\n"
    "                }\n"
    "                if r <= 0 {\n"
    "                    unwatch fd\n"
    "                    close fd\n"
    "                    break\n"
    "                }\n"
    "                compute @WORK@\n"
    "                write fd @REPLY@\n"
    "            }\n"
    "        }\n"
    "        say once \"Every connection read until EAGAIN: SIGIO named no fd, so with many connections most reads find nothing. rt_sigreturn ends the handler: pause() returns EINTR and the loop calls it again. A SIGIO raised during the handler is held pending and comes right after.\"\n"
    "    }\n"
    "    say once \"fcntl(F_SETOWN) and fcntl(F_SETFL, O_ASYNC) on the listening socket: a connection arriving will raise SIGIO.\"\n"
    "    fcntl s O_ASYNC\n"
    "    loop {\n"
    "        n = pause\n"
    "    }\n"
    "}\n";

/*
 * io_uring (UNP 6.5): reads are requests the kernel completes on its own.
 * iosim's io_uring has no IORING_OP_ACCEPT, so a thread blocks in accept()
 * and submits the first recv of each new connection to the same ring (a
 * real program would hold a lock around the SQ, or give each thread a
 * ring).  `cqe` makes the completed request's fd the ready list, standing
 * for the connection a C program finds through its user_data.  Replies go
 * out with a plain send(): it does not wait while the send buffer has room,
 * and it keeps every CQE a read's.
 */
static const char tpl_io_uring[] =
    "# @NAME@: reads submitted to an io_uring and completed by the kernel (UNP 6.5).\n"
    "process @NAME@ {\n"
    "    s = socket\n"
    "    listen s @PORT@\n"
    "    ring = io_uring_setup 4096\n"
    "    acceptor = thread {\n"
    "        loop {\n"
    "            c = accept s\n"
    "            say once \"The acceptor thread blocks in accept() (this io_uring has no accept request). For each new connection it writes a recv request into the SQ and submits it: bytes already there are copied at once, otherwise the kernel waits for them itself.\"\n"
    "            rq = prep ring recv c @BUFFER@\n"
    "            m = io_uring_enter ring\n"
    "        }\n"
    "    }\n"
    "    loop {\n"
    "        id, res = cqe ring\n"
    "        if id == EAGAIN {\n"
    "            say once \"The completion ring is empty: io_uring_enter(min_complete = 1) sleeps until the kernel posts a completion. The server never sleeps in recv().\"\n"
    "            n = io_uring_enter ring 1\n"
    "            continue\n"
    "        }\n"
    "        for fd in ready {\n"
    "            if res <= 0 {\n"
    "                close fd\n"
    "                continue\n"
    "            }\n"
    "            say once \"A recv completed: the kernel copied the request into the buffer (at submission if it was there, else when it arrived); res is its size. The server computes, replies with send(), and submits the next recv for this connection.\"\n"
    "            compute @WORK@\n"
    "            w = send fd @REPLY@\n"
    "            rq = prep ring recv fd @BUFFER@\n"
    "            n = io_uring_enter ring\n"
    "        }\n"
    "    }\n"
    "}\n";

static const struct {
    const char *name, *text;
} templates[] = {
#define X(id, n, h) {n, tpl_##id},
    SERVER_MODELS(X)
#undef X
};

#define NTPL ((int)(sizeof templates / sizeof templates[0]))

void server_cfg_default(struct server_cfg *c)
{
    c->port = 8080;
    c->work = 100 * 1000;
    c->reply = 1024;
    c->buffer = 4096;
    c->nofile = 0;
}

int server_model_known(const char *name)
{
    for (int i = 0; i < NTPL; i++)
        if (!strcmp(templates[i].name, name))
            return 1;
    return 0;
}

const char *server_model_list(void)
{
    static const char list[] =
#define X(id, n, h) ", " n
        SERVER_MODELS(X)
#undef X
        ;
    return list + 2;
}

/* A duration in the largest unit that keeps it whole: 100us, 3ms, 250ns */
static void fmt_time(char *b, size_t n, int64_t ns)
{
    static const struct { const char *u; int64_t m; } us[] = {
        {"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1}};
    for (int i = 0; i < 4; i++)
        if (ns % us[i].m == 0 || i == 3) {
            snprintf(b, n, "%lld%s", (long long)(ns / us[i].m), us[i].u);
            return;
        }
}

/* The template with `setrlimit RLIMIT_NOFILE N` as the process's first
 * statement; frees text */
static char *raise_nofile(char *text, int64_t n)
{
    char line[512];
    snprintf(line, sizeof line,
             "    say once \"setrlimit(RLIMIT_NOFILE): the server raises its soft "
             "fd limit to %lld (any process may, up to its hard limit: 524288 "
             "by default), as servers do at start-up (nginx: "
             "worker_rlimit_nofile). Without it, accept() fails with EMFILE "
             "once fds 0 to 1023 are in use.\"\n"
             "    setrlimit RLIMIT_NOFILE %lld\n",
             (long long)n, (long long)n);
    char *proc = strstr(text, "\nprocess ");
    char *body = proc ? strchr(proc, '{') : NULL;
    char *out = body ? malloc(strlen(text) + strlen(line) + 1) : NULL;
    if (!out) {
        free(text);
        return NULL;
    }
    size_t head = (size_t)(body - text) + 2; /* through "{\n" */
    memcpy(out, text, head);
    strcpy(out + head, line);
    strcat(out, text + head);
    free(text);
    return out;
}

char *server_expand(const char *model, const char *name,
                    const struct server_cfg *c)
{
    const char *t = NULL;
    for (int i = 0; i < NTPL; i++)
        if (!strcmp(templates[i].name, model))
            t = templates[i].text;
    if (!t)
        return NULL;
    char port[24], work[32], reply[24], buffer[24];
    snprintf(port, sizeof port, "%lld", (long long)c->port);
    fmt_time(work, sizeof work, c->work);
    snprintf(reply, sizeof reply, "%lld", (long long)c->reply);
    snprintf(buffer, sizeof buffer, "%lld", (long long)c->buffer);
    const struct { const char *key, *val; } sub[] = {
        {"@NAME@", name}, {"@PORT@", port}, {"@WORK@", work},
        {"@REPLY@", reply}, {"@BUFFER@", buffer}};
    size_t cap = strlen(t) + 1, len = 0;
    for (const char *p = t; (p = strchr(p, '@')); p++) /* worst case */
        cap += strlen(name) + 32;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = t; *p;) {
        size_t k = 0;
        while (*p == '@' && k < sizeof sub / sizeof sub[0] &&
               strncmp(p, sub[k].key, strlen(sub[k].key)))
            k++;
        if (*p == '@' && k < sizeof sub / sizeof sub[0]) {
            size_t l = strlen(sub[k].val);
            memcpy(out + len, sub[k].val, l);
            len += l;
            p += strlen(sub[k].key);
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = 0;
    if (c->nofile > 0) /* setrlimit first, as servers do at start-up */
        return raise_nofile(out, c->nofile);
    return out;
}
