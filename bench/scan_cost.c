/*
 * scan_cost.c - what one select(), poll() and epoll_wait() call costs on
 * this machine, by the number and the type of the fds it watches: the
 * measurements iosim's cost model (src/sim/cost.h) is calibrated against,
 * shown in docs/scenario-language.md, "The cost model".
 *
 *   cc -O2 -o scan_cost bench/scan_cost.c && ./scan_cost [rounds]
 *
 * For each file type (TCP sockets over loopback, pipes, a terminal) and
 * each count N (10 .. 10,000), it opens N idle fds of that type plus makes
 * one of them readable, then times calls with a zero timeout (so the call
 * walks its fds once and returns at once, never sleeping):
 *   select   pselect6 on an fd_set of nfds = highest fd + 1 with the N
 *            bits set (the raw syscall, so that fds past FD_SETSIZE work)
 *   poll     an array of N pollfd entries, POLLIN
 *   epoll    epoll_wait on an instance with the N fds added (EPOLLIN)
 * and a sparse select: one fd near 1000 alone in its set (nfds 1005), as
 * do_select() walks the bitmap a word at a time and polls only set bits.
 * Each call is timed as the mean of a batch of calls, `rounds` batches
 * (default 21); a line is "type call N fastest median", nanoseconds per
 * call: the fastest batch is the cost when nothing else competes for the
 * CPU and its caches (the figure the model is fitted to), the median what
 * a busy shared machine gives.
 *
 * Sockets: N/2 connections, both ends watched (a server's accepted socket
 * and a client's are the same kind of file: tcp_poll).  Pipes: N/2 pipes,
 * both ends watched (pipe_poll serves both).  Terminals: N
 * pseudo-terminals' masters, as many as the system allows (kernel.pty.max,
 * 4096 by default), skipped past that.
 * Needs RLIMIT_NOFILE above 2 N: the soft limit is raised to the hard one.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 24000

static int fds[MAXFD];
static int nfd;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static int pty_slave;

static void close_all(void)
{
    for (int i = 0; i < nfd; i++)
        close(fds[i]);
    nfd = 0;
    if (pty_slave > 0)
        close(pty_slave);
    pty_slave = -1;
}

/* n idle fds of one type, the first one readable; 0 on success */
static int open_sockets(int n)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) ||
        getsockname(l, (struct sockaddr *)&a, &al) || listen(l, 4096))
        die("listen");
    for (int i = 0; i < n / 2; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a))
            die("connect");
        int s = accept(l, NULL, NULL);
        if (s < 0)
            die("accept");
        fds[nfd++] = s;
        fds[nfd++] = c;
    }
    close(l);
    if (write(fds[1], "x", 1) != 1) /* the first accepted socket reads */
        die("write");
    usleep(1000);
    return 0;
}

static int open_pipes(int n)
{
    for (int i = 0; i < n / 2; i++) {
        int p[2];
        if (pipe(p))
            die("pipe");
        fds[nfd++] = p[0];
        fds[nfd++] = p[1];
    }
    if (write(fds[1], "x", 1) != 1)
        die("write");
    return 0;
}

/* n pseudo-terminal masters (each its own terminal: tty_poll, n_tty_poll);
 * a byte written into the first one's slave makes it readable */
static int open_ttys(int n)
{
    for (int i = 0; i < n; i++) {
        int m = posix_openpt(O_RDWR | O_NOCTTY);
        if (m < 0 || grantpt(m) || unlockpt(m)) {
            if (m >= 0)
                close(m);
            return -1;
        }
        fds[nfd++] = m;
    }
    pty_slave = open(ptsname(fds[0]), O_RDWR | O_NOCTTY);
    if (pty_slave < 0 || write(pty_slave, "x\n", 2) != 2)
        return -1;
    usleep(1000);
    return 0;
}

/* The fastest and the median of `rounds` batch means, ns per call */
static void time_call(int call, int n, int rounds, double *fast, double *med)
{
    static unsigned long set[MAXFD / 64 + 1], work[MAXFD / 64 + 1];
    static struct pollfd pfd[MAXFD];
    static struct epoll_event evs[64];
    int ep = -1, top = -1;
    int sparse = n < 0;
    if (sparse)
        n = 1;
    memset(set, 0, sizeof set);
    for (int i = 0; i < n; i++) {
        int f = sparse ? fds[0] : fds[i];
        set[f / 64] |= 1UL << (f % 64);
        top = f > top ? f : top;
        pfd[i] = (struct pollfd){.fd = f, .events = POLLIN};
    }
    if (call == 2) {
        ep = epoll_create1(0);
        for (int i = 0; i < n; i++) {
            struct epoll_event e = {.events = EPOLLIN, .data.fd = fds[i]};
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e))
                die("epoll_ctl");
        }
    }
    int batch = n >= 5000 ? 20 : n >= 1000 ? 100 : 2000;
    double v[64];
    if (rounds > 64)
        rounds = 64;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();
        for (int k = 0; k < batch; k++) {
            long got;
            if (call == 0) {
                struct timespec z = {0, 0};
                memcpy(work, set, (size_t)(top / 64 + 1) * sizeof *work);
                got = syscall(SYS_pselect6, top + 1, work, NULL, NULL, &z, NULL);
            } else if (call == 1) {
                got = poll(pfd, (nfds_t)n, 0);
            } else {
                got = epoll_wait(ep, evs, 64, 0);
            }
            if (got < 1)
                die("no ready fd");
        }
        v[r] = (now_ns() - t0) / batch;
    }
    if (ep >= 0)
        close(ep);
    qsort(v, (size_t)rounds, sizeof v[0], cmp_d);
    *fast = v[0];
    *med = v[rounds / 2];
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 21;
    if (rounds < 1)
        rounds = 21;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    static const int sizes[] = {10, 100, 1000, 2000, 3000, 5000, 10000};
    static const char *const types[] = {"socket", "pipe", "tty"};
    static const char *const calls[] = {"select", "poll", "epoll_wait"};
    for (int ty = 0; ty < 3; ty++) {
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            int n = sizes[z];
            if ((rlim_t)(n + 64) > rl.rlim_cur || n > MAXFD - 64)
                continue;
            int ok = ty == 0 ? open_sockets(n) : ty == 1 ? open_pipes(n)
                                                         : open_ttys(n);
            if (ok) {
                fprintf(stderr, "%s: cannot open %d fds, skipped\n",
                        types[ty], n);
                close_all();
                break;
            }
            for (int c = 0; c < 3; c++) {
                double fast, med;
                time_call(c, n, rounds, &fast, &med);
                printf("%s %s %d %.0f %.0f\n", types[ty], calls[c], n, fast,
                       med);
            }
            fflush(stdout);
            close_all();
        }
    }
    /* sparse: one readable socket whose fd is about 1000, nfds = fd + 1 */
    for (int f = 3; f < 1000; f++)
        if (dup2(0, f) < 0)
            die("dup2");
    open_sockets(2);
    double fast, med;
    time_call(0, -1, rounds, &fast, &med);
    printf("sparse select %d %.0f %.0f\n", fds[0] + 1, fast, med);
    for (int f = 3; f < 1000; f++)
        close(f);
    close_all();
    return 0;
}
