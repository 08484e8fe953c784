/*
 * cost.h - the cost model: how much virtual time each thing takes.
 *
 * One table: X(field, name in the scenario language, default ns, meaning).
 * A scenario overrides any of them in its machine block with
 * `cost NAME TIME`.  The defaults and where they come from are documented in
 * docs/scenario-language.md ("The cost model"); they are round figures of
 * measurements on an x86_64 Linux 6.x machine, not promises.
 *
 * Scan costs (select, poll) are summed per fd as the call walks them, by
 * the file's type (its poll method), as bench/scan_cost.c measures them:
 *   select: select_base + words * select_per_word + sum over set bits
 *   poll:   poll_base + sum over pollfd entries
 * where each fd costs scan_<type>, plus scan_<type>_miss for every fd
 * after the first cache_fds (their files no longer stay in the caches).
 */
#ifndef IOSIM_COST_H
#define IOSIM_COST_H

#include <stdint.h>

#define COST_PARAMS(X) \
    X(syscall, "syscall", 100, "entering and leaving the kernel, part of every syscall") \
    X(copy_per_kb, "copy_per_kb", 100, "copying 1 KiB between kernel and user space (about 10 GB/s)") \
    X(ctx_switch, "ctx_switch", 2000, "switching a CPU from one task to another") \
    X(fork, "fork", 60000, "fork(): copying the page tables and fd table of a small process") \
    X(vfork, "vfork", 20000, "vfork(): a child that borrows its parent's memory until it execs (no page tables copied)") \
    X(exec, "exec", 500000, "execve(): the kernel replacing a process's program with python3 (mapping it and its loader)") \
    X(py_start, "py_start", 22000000, "CPython's start-up in a spawned child: site and the imports of its -c command, until it reads its task") \
    X(thread, "thread", 10000, "pthread_create(): a new stack and a clone3()") \
    X(co_create, "co_create", 1000, "creating a coroutine: a stack and a context, in user space") \
    X(co_switch, "co_switch", 100, "switching coroutines: saving and loading registers, in user space") \
    X(mem, "mem", 50, "a load or a store of a shared variable whose cache line another CPU wrote last") \
    X(futex, "futex", 1000, "futex(): the kernel part of FUTEX_WAIT or FUTEX_WAKE (hashing the address, the wait queue)") \
    X(select_base, "select_base", 550, "select(): fixed part") \
    X(select_per_word, "select_per_word", 2, "select(): per 64-bit word of the fd_set below nfds (the bitmap walk)") \
    X(poll_base, "poll_base", 100, "poll(): fixed part") \
    X(scan_socket, "scan_socket", 65, "select()/poll(): asking a socket whether it is ready (tcp_poll), per fd") \
    X(scan_pipe, "scan_pipe", 27, "select()/poll(): asking a pipe (pipe_poll), per fd") \
    X(scan_tty, "scan_tty", 150, "select()/poll(): asking a terminal (tty_poll), per fd") \
    X(scan_socket_miss, "scan_socket_miss", 400, "select()/poll(): extra per socket beyond cache_fds (cache misses)") \
    X(scan_pipe_miss, "scan_pipe_miss", 7, "select()/poll(): extra per pipe beyond cache_fds") \
    X(scan_tty_miss, "scan_tty_miss", 0, "select()/poll(): extra per terminal beyond cache_fds (not measured: kernel.pty.max)") \
    X(cache_fds, "cache_fds", 5000, "how many watched fds stay in the CPU caches (a count, not a time)") \
    X(epoll_wait_base, "epoll_wait_base", 150, "epoll_wait(): fixed part, whatever the number of watched fds") \
    X(epoll_per_event, "epoll_per_event", 100, "epoll_wait(): per returned event") \
    X(epoll_ctl, "epoll_ctl", 1000, "epoll_ctl(): one change to the interest list") \
    X(signal, "signal", 2000, "delivering a signal and running its handler frame") \
    X(uring_enter, "uring_enter", 400, "io_uring_enter(): fixed part") \
    X(uring_per_sqe, "uring_per_sqe", 150, "io_uring_enter(): per submitted entry") \
    X(clock, "clock", 40, "clock_gettime(CLOCK_MONOTONIC) through the vDSO, in user space (the TSC clocksource)") \
    X(timer_slack, "timer_slack", 50000, "how late a select/poll/epoll_wait timeout may fire (the task's timer_slack_ns)")

struct cost {
#define X(f, n, d, h) int64_t f;
    COST_PARAMS(X)
#undef X
};

static inline void cost_defaults(struct cost *c)
{
#define X(f, n, d, h) c->f = (d);
    COST_PARAMS(X)
#undef X
}

#endif
