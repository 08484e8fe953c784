/*
 * server.h - the textbook server loop of each I/O model, written in the
 * scenario language itself.
 *
 * A `server NAME { ... }` declaration (scn.c) is expanded into a process
 * whose script is its model's template with the settings filled in, so the
 * same workload (the peers) can be run against every model:
 * `iosim --model select web.scn`.  The generated text is kept in the prog
 * (struct prog_script) and shown by the viewer like any other script.
 */
#ifndef IOSIM_SERVER_H
#define IOSIM_SERVER_H

#include <stdint.h>

/* X(identifier, name, what the server does): the order of `iosim --help`
 * and errors.  The name is what --model takes; the identifier names the
 * template (a name such as epoll-et is not a C identifier). */
#define SERVER_MODELS(X) \
    X(blocking, "blocking", "iterative: one client at a time, blocking accept and read") \
    X(fork, "fork", "a child process per connection (blocking I/O in each)") \
    X(thread, "thread", "a thread per connection (blocking I/O in each)") \
    X(nonblocking, "nonblocking", "one thread busy-polling every connection with O_NONBLOCK") \
    X(select, "select", "one thread, select() over its fd_set") \
    X(poll, "poll", "one thread, poll() over its pollfd array") \
    X(epoll, "epoll", "one thread, epoll_wait() on an epoll instance (level-triggered)") \
    X(epoll_et, "epoll-et", "one thread, epoll_wait() with EPOLLET: every read drains to EAGAIN") \
    X(sigio, "sigio", "signal-driven: a SIGIO handler accepts and reads until EAGAIN") \
    X(io_uring, "io_uring", "reads as io_uring requests; a blocking accept thread submits them")

struct server_cfg {
    int64_t port;   /* `port P`, default 8080 */
    int64_t work;   /* `work DURATION`: CPU time per request, default 100us */
    int64_t reply;  /* `reply SIZE`: bytes written per request, default 1K */
    int64_t buffer; /* `buffer SIZE`: bytes asked of each read, default 4K */
    int64_t nofile; /* `nofile N`: the server first raises its soft
                       RLIMIT_NOFILE to N (setrlimit); 0: it does not */
};

void server_cfg_default(struct server_cfg *c);
/* 1 if name is a model in SERVER_MODELS */
int server_model_known(const char *name);
/* "blocking, fork, thread, ..., io_uring": every name, in order */
const char *server_model_list(void);
/*
 * The model's loop for a process called name, as scenario text (one
 * `process` declaration); NULL if the model is unknown or out of memory.
 * The caller frees it.
 */
char *server_expand(const char *model, const char *name,
                    const struct server_cfg *c);

#endif
