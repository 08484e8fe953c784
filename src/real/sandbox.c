/*
 * sandbox.c - a process of its own user and network namespace, with limits.
 *
 * A scenario file may come from anywhere, and the language can only make
 * sockets, pipes and processes: no paths, so it touches no file.  What is
 * left to contain is the network and the machine's resources:
 *   - unshare(CLONE_NEWUSER | CLONE_NEWNET): a network namespace whose only
 *     interface is its own loopback (brought up here), so a scenario's
 *     connect() cannot reach any other address, and its listen() cannot
 *     take a port of the machine.  The user namespace maps only the
 *     caller's own uid and gid; it is what lets an unprivileged user make
 *     the network namespace (user_namespaces(7)).  As root the user
 *     namespace is still made: it keeps RLIMIT_NPROC in force (root in the
 *     first user namespace is exempt from it).
 *   - setrlimit: processes and threads, open fds, CPU seconds, no core
 *     dumps, no file growth.
 * The wall-clock deadline and the killing of the process group are the
 * tracer's (tracer.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "real/real.h"

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = n < 0 ? -errno : 0;
    close(fd);
    return e;
}

/* ifconfig lo up: a new network namespace has its loopback down */
static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = r < 0 ? -errno : 0;
    close(s);
    return e;
}

static int set_limit(int res, rlim_t v)
{
    struct rlimit rl;
    if (getrlimit(res, &rl) < 0)
        return -errno;
    if (rl.rlim_max != RLIM_INFINITY && v > rl.rlim_max)
        v = rl.rlim_max; /* never above what the caller may have */
    rl.rlim_cur = rl.rlim_max = v;
    return setrlimit(res, &rl) < 0 ? -errno : 0;
}

static int namespaces(char *why, size_t len)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
        int e = errno;
        snprintf(why, len,
                 "this system does not let %s make a user and network "
                 "namespace (unshare: %s)%s",
                 uid == 0 ? "root" : "this user", strerror(e),
                 e == EPERM || e == ENOSPC
                     ? "; see user.max_user_namespaces and "
                       "kernel.unprivileged_userns_clone"
                     : "");
        return -e;
    }
    char map[64];
    int r = write_file("/proc/self/setgroups", "deny");
    if (r == 0 || r == -ENOENT) {
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
        r = write_file("/proc/self/uid_map", map);
    }
    if (r == 0) {
        snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
        r = write_file("/proc/self/gid_map", map);
    }
    if (r < 0) {
        snprintf(why, len, "cannot map the user into its namespace: %s",
                 strerror(-r));
        return r;
    }
    r = loopback_up();
    if (r < 0) {
        snprintf(why, len, "cannot bring up the namespace's loopback: %s",
                 strerror(-r));
        return r;
    }
    return 0;
}

int real_sandbox_enter(const struct real_limits *lim, char *why, size_t len)
{
    int r = namespaces(why, len);
    if (r < 0)
        return r;
    const struct {
        int res;
        rlim_t v;
        const char *name;
    } limits[] = {
        {RLIMIT_NPROC, (rlim_t)lim->max_tasks, "RLIMIT_NPROC"},
        {RLIMIT_NOFILE, (rlim_t)lim->max_fds, "RLIMIT_NOFILE"},
        {RLIMIT_CPU, (rlim_t)lim->cpu_s, "RLIMIT_CPU"},
        {RLIMIT_CORE, 0, "RLIMIT_CORE"},
        {RLIMIT_FSIZE, 0, "RLIMIT_FSIZE"},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        r = set_limit(limits[i].res, limits[i].v);
        if (r < 0) {
            snprintf(why, len, "setrlimit(%s): %s", limits[i].name,
                     strerror(-r));
            return r;
        }
    }
    return 0;
}

/* May this process be traced, and filter its syscalls?  (A container's
 * own seccomp profile may forbid ptrace or seccomp.)  The probe's child
 * asks for both and exits: an allow-all filter changes nothing. */
static int tracing(char *why, size_t len)
{
    if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) < 0) {
        snprintf(why, len, "ptrace is not permitted here (PTRACE_TRACEME: %s)",
                 strerror(errno));
        return -errno;
    }
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {.len = 1, .filter = &allow};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
        snprintf(why, len, "seccomp filters are not permitted here (%s)",
                 strerror(errno));
        return -errno;
    }
    return 0;
}

int real_sandbox_probe(char *why, size_t len)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(why, len, "pipe: %s", strerror(errno));
        return -errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        snprintf(why, len, "fork: %s", strerror(e));
        return -e;
    }
    if (pid == 0) {
        close(p[0]);
        char msg[256] = "";
        if (namespaces(msg, sizeof msg) < 0 || tracing(msg, sizeof msg) < 0) {
            ssize_t k = write(p[1], msg, strlen(msg));
            (void)k;
            _exit(1);
        }
        _exit(0);
    }
    close(p[1]);
    char msg[256];
    ssize_t n, got = 0;
    while ((n = read(p[0], msg + got, sizeof msg - 1 - (size_t)got)) > 0)
        got += n;
    close(p[0]);
    msg[got > 0 ? got : 0] = 0;
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (got > 0) {
        snprintf(why, len, "%s", msg);
        return -EPERM;
    }
    return 0;
}
