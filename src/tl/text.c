/*
 * text.c - events in words (see text.h).
 */
#include "tl/text.h"

#include <errno.h>
#include <string.h>

#define SN(...) snprintf(buf, len, __VA_ARGS__)

/* fcntl access modes, as strace names them */
static const char *const acc_names[4] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_RDWR"};

char *tl_fdset_text(char *buf, size_t len, const int32_t *fds, int n, int max)
{
    size_t k = 0;
    if (len < 8) {
        if (len)
            buf[0] = 0;
        return buf;
    }
    buf[k++] = '[';
    for (int i = 0; i < n && k + 16 < len; i++) {
        if (i == max) {
            k += (size_t)snprintf(buf + k, len - k, " ...");
            break;
        }
        k += (size_t)snprintf(buf + k, len - k, i ? " %d" : "%d", fds[i]);
    }
    snprintf(buf + k, len - k, "]");
    return buf;
}

char *tl_ret_detail_text(char *buf, size_t len, const struct tl *tl,
                         const struct tl_ev *ret)
{
    int id = TL_OBJ_STR(ret->obj);
    if (ret->sub == SYS_SELECT && ret->a > 0 && ret->obj <= -2 &&
        id < tl->nstrs && tl->strs[id])
        SN(" (%s)", tl->strs[id]);
    else if (len)
        buf[0] = 0;
    return buf;
}

char *tl_epoll_events_text(char *buf, size_t len, unsigned ev)
{
    /* by value: EPOLLIN 0x1, EPOLLOUT 0x4, EPOLLEXCLUSIVE 1 << 28,
     * EPOLLONESHOT 1 << 30, EPOLLET 1 << 31 */
    static const struct { unsigned bit; const char *name; } b[] = {
        {TL_EP_IN, "EPOLLIN"}, {TL_EP_OUT, "EPOLLOUT"},
        {TL_EP_EXCLUSIVE, "EPOLLEXCLUSIVE"}, {TL_EP_ONESHOT, "EPOLLONESHOT"},
        {TL_EP_ET, "EPOLLET"}};
    size_t n = 0;
    if (len)
        buf[0] = 0;
    for (size_t i = 0; i < sizeof b / sizeof *b; i++)
        if ((ev & b[i].bit) && n < len) {
            int w = snprintf(buf + n, len - n, "%s%s", n ? "|" : "", b[i].name);
            n += w > 0 ? (size_t)w : 0;
        }
    if (!n && len)
        snprintf(buf, len, "0");
    return buf;
}

const char *tl_epoll_op_name(int op)
{
    static const char *const names[] = {"EPOLL_CTL_ADD", "EPOLL_CTL_MOD",
                                        "EPOLL_CTL_DEL"};
    return op >= 0 && op < 3 ? names[op] : "?";
}

char *tl_call_text(char *buf, size_t len, int sys, int fd, int64_t arg)
{
    return tl_call_wait_text(buf, len, sys, fd, arg, 0);
}

/* A timeout as the call's argument shows it: a timespec, or milliseconds */
static void tmo_ts(char *buf, size_t len, int64_t b)
{
    if (b >= 0) {
        SN("NULL");
        return;
    }
    long long ns = (long long)TL_TMO_NS(b);
    SN("{tv_sec=%lld, tv_nsec=%lld}", ns / 1000000000, ns % 1000000000);
}

static long long tmo_ms(int64_t b)
{
    return b >= 0 ? -1 : (long long)(TL_TMO_NS(b) / 1000000);
}

char *tl_call_wait_text(char *buf, size_t len, int sys, int fd, int64_t arg,
                        int64_t tmo)
{
    long long n = (long long)arg;
    char ts[64];
    switch (sys) {
    case SYS_READ: SN("read(%d, ..., %lld)", fd, n); break;
    case SYS_WRITE: SN("write(%d, \"...\", %lld)", fd, n); break;
    case SYS_RECVFROM: SN("recvfrom(%d, ..., %lld, 0, NULL, NULL)", fd, n); break;
    case SYS_SENDTO: SN("sendto(%d, \"...\", %lld, 0, NULL, 0)", fd, n); break;
    case SYS_SOCKET: SN("socket(AF_INET, SOCK_STREAM, IPPROTO_IP)"); break;
    case SYS_BIND:
        SN("bind(%d, {sa_family=AF_INET, sin_port=htons(%lld), "
           "sin_addr=inet_addr(\"0.0.0.0\")}, 16)", fd, n);
        break;
    case SYS_LISTEN: SN("listen(%d, %lld)", fd, n); break;
    case SYS_ACCEPT: SN("accept(%d, NULL, NULL)", fd); break;
    case SYS_CONNECT:
        SN("connect(%d, {sa_family=AF_INET, sin_port=htons(%lld), "
           "sin_addr=inet_addr(\"127.0.0.1\")}, 16)", fd, n);
        break;
    case SYS_CLOSE: SN("close(%d)", fd); break;
    case SYS_FCNTL:
        if (arg & TL_F_SETOWN) {
            SN("fcntl(%d, F_SETOWN, %lld)", fd, (long long)(arg & ~TL_F_SETOWN));
            break;
        }
        if (arg & TL_F_GETFL) {
            SN("fcntl(%d, F_GETFL)", fd);
            break;
        }
        SN("fcntl(%d, F_SETFL, %s%s%s)", fd, acc_names[(arg >> 8) & 3],
           arg & TL_FL_NONBLOCK ? "|O_NONBLOCK" : "",
           arg & TL_FL_ASYNC ? "|O_ASYNC" : "");
        break;
    case SYS_PIPE2: /* a failed call fills no array: strace shows its address */
        if (TL_FD_PAIR_A(arg) < 0)
            SN("pipe2(..., 0)");
        else
            SN("pipe2([%d, %d], 0)", TL_FD_PAIR_A(arg), TL_FD_PAIR_B(arg));
        break;
    case SYS_SOCKETPAIR:
        if (TL_FD_PAIR_A(arg) < 0)
            SN("socketpair(AF_UNIX, SOCK_STREAM, 0, ...)");
        else
            SN("socketpair(AF_UNIX, SOCK_STREAM, 0, [%d, %d])",
               TL_FD_PAIR_A(arg), TL_FD_PAIR_B(arg));
        break;
    case SYS_SETSOCKOPT:
        SN("setsockopt(%d, SOL_SOCKET, %s, [%lld], 4)", fd,
           TL_SOCKOPT_OPT(arg) == TL_SO_RCVBUF ? "SO_RCVBUF" : "SO_SNDBUF",
           (long long)TL_SOCKOPT_VAL(arg));
        break;
    case SYS_GETSOCKOPT:
        SN("getsockopt(%d, SOL_SOCKET, %s, [%lld], [4])", fd,
           TL_SOCKOPT_OPT(arg) == TL_SO_RCVBUF ? "SO_RCVBUF" : "SO_SNDBUF",
           (long long)TL_SOCKOPT_VAL(arg));
        break;
    case SYS_PRLIMIT64:
        SN("prlimit64(0, RLIMIT_NOFILE, {rlim_cur=%lld, rlim_max=%lld}, NULL)",
           (long long)TL_RLIM_CUR(arg), (long long)TL_RLIM_MAX(arg));
        break;
    case SYS_CLOCK_NANOSLEEP:
        SN("clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=%lld, tv_nsec=%lld}, NULL)",
           n / 1000000000, n % 1000000000);
        break;
    case SYS_EXIT_GROUP: case SYS_EXIT: SN("%s(%lld)", tl_sys_name(sys), n); break;
    case SYS_CLONE: /* glibc 2.36's fork(), as strace shows it */
        SN("clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|"
           "CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=...)");
        break;
    case SYS_CLONE3: /* glibc 2.36's pthread_create() */
        SN("clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
           "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|"
           "CLONE_CHILD_CLEARTID, child_tid=..., parent_tid=..., "
           "exit_signal=0, stack=..., stack_size=0x7fff80, tls=...}, 88)");
        break;
    case SYS_WAIT4: /* arg 1: the program asked for the status */
        SN("wait4(%d, %s, 0, NULL)", fd > 0 ? fd : -1, arg ? "[...]" : "NULL");
        break;
    case SYS_FUTEX:
        if ((arg & TL_FUTEX_WAIT) && (arg & TL_FUTEX_TIMED)) /* timedwait */
            SN("futex(..., FUTEX_WAIT_BITSET_PRIVATE, %d, {...}, "
               "FUTEX_BITSET_MATCH_ANY)", TL_FUTEX_VAL(arg));
        else if (arg & TL_FUTEX_WAIT) /* glibc's lock, contended */
            SN("futex(..., FUTEX_WAIT_PRIVATE, %d, NULL)", TL_FUTEX_VAL(arg));
        else if (arg & TL_FUTEX_WAKE) /* glibc's unlock, with waiters */
            SN("futex(..., FUTEX_WAKE_PRIVATE, %d)", TL_FUTEX_VAL(arg));
        else /* glibc's pthread_join: a wait on the thread's tid */
            SN("futex(..., FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, %d, NULL, "
               "FUTEX_BITSET_MATCH_ANY)", fd);
        break;
    case SYS_SELECT: /* glibc's select() on x86_64 calls pselect6 */
        tmo_ts(ts, sizeof ts, tmo);
        SN("pselect6(%lld, [...], NULL, NULL, %s, NULL)", n, ts);
        break;
    case SYS_POLL: SN("poll([...], %lld, %lld)", n, tmo_ms(tmo)); break;
    case SYS_EPOLL_CREATE1: SN("epoll_create1(%s)", n ? "EPOLL_CLOEXEC" : "0"); break;
    case SYS_EVENTFD2: SN("eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK)"); break;
    case SYS_IOCTL: SN("ioctl(%d, FIONBIO, [%lld])", fd, n); break;
    case SYS_EPOLL_CTL: {
        int tfd = TL_EPCTL_FD(arg);
        if (!(arg & TL_EPCTL_FULL)) {
            SN("epoll_ctl(%d, ..., %d, {...})", fd, tfd);
            break;
        }
        if (TL_EPCTL_OP(arg) == 2) { /* DEL: no event */
            SN("epoll_ctl(%d, EPOLL_CTL_DEL, %d, NULL)", fd, tfd);
            break;
        }
        char ev[96];
        SN("epoll_ctl(%d, %s, %d, {events=%s, data={u32=%d, u64=%d}})", fd,
           tl_epoll_op_name(TL_EPCTL_OP(arg)), tfd,
           tl_epoll_events_text(ev, sizeof ev, TL_EPCTL_EV(arg)), tfd, tfd);
        break;
    }
    case SYS_EPOLL_WAIT:
        SN("epoll_wait(%d, [...], %lld, %lld)", fd, n > 0 ? n : 64, tmo_ms(tmo));
        break;
    case SYS_IO_URING_SETUP:
        SN("io_uring_setup(%lld, {flags=0, sq_thread_cpu=0, sq_thread_idle=0, "
           "...})", n);
        break;
    case SYS_IO_URING_ENTER: {
        long long sub = TL_URING_ENTER_SUB(arg), wait = TL_URING_ENTER_WAIT(arg);
        if (tmo < 0) { /* the timeout rides in struct io_uring_getevents_arg */
            tmo_ts(ts, sizeof ts, tmo);
            SN("io_uring_enter(%d, %lld, %lld, IORING_ENTER_GETEVENTS|"
               "IORING_ENTER_EXT_ARG, {ts=%s}, 24)", fd, sub, wait, ts);
            break;
        }
        SN("io_uring_enter(%d, %lld, %lld, %s, NULL, 0)", fd, sub, wait,
           wait > 0 ? "IORING_ENTER_GETEVENTS" : "0");
        break;
    }
    case SYS_RT_SIGACTION:
        SN("rt_sigaction(%s, {sa_handler=handler, sa_mask=[], "
           "sa_flags=SA_RESTORER%s, sa_restorer=__restore_rt}, NULL, 8)",
           tl_signal_name((int)(n & 0xffff)),
           arg & TL_SA_RESTART ? "|SA_RESTART" : "");
        break;
    case SYS_RT_SIGRETURN: SN("rt_sigreturn({mask=[]})"); break;
    case SYS_PAUSE: SN("pause()"); break;
    case SYS_TIMERFD_CREATE: SN("timerfd_create(CLOCK_MONOTONIC, 0)"); break;
    case SYS_TIMERFD_SETTIME: { /* tmo: the interval, as TL_TMO */
        long long iv = tmo < 0 ? (long long)TL_TMO_NS(tmo) : 0;
        SN("timerfd_settime(%d, 0, {it_interval={tv_sec=%lld, tv_nsec=%lld}, "
           "it_value={tv_sec=%lld, tv_nsec=%lld}}, NULL)", fd, iv / 1000000000,
           iv % 1000000000, n / 1000000000, n % 1000000000);
        break;
    }
    case SYS_WRITEV: /* __libc_message: three pieces, as strace cuts them */
        SN("writev(%d, [{iov_base=\"*** \", iov_len=4}, {iov_base=\"bit out "
           "of range 0 - FD_SETSIZE \"..., iov_len=41}, {iov_base=\" ***: "
           "terminated\\n\", iov_len=17}], 3)", fd);
        break;
    case SYS_MMAP: { /* strace prints the io_uring offsets as numbers */
        static const char *const off[] = {
            [TL_MMAP_SQ_RING] = "0", /* IORING_OFF_SQ_RING */
            [TL_MMAP_CQ_RING] = "0x8000000", /* IORING_OFF_CQ_RING */
            [TL_MMAP_SQES] = "0x10000000"}; /* IORING_OFF_SQES */
        int k = TL_MMAP_KIND(arg);
        if (k == TL_MMAP_ANON || k > TL_MMAP_SQES)
            SN("mmap(NULL, %lld, PROT_READ|PROT_WRITE, MAP_PRIVATE|"
               "MAP_ANONYMOUS, -1, 0)", (long long)TL_MMAP_LEN(arg));
        else
            SN("mmap(NULL, %lld, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, "
               "%d, %s)", (long long)TL_MMAP_LEN(arg), fd, off[k]);
        break;
    }
    case SYS_RT_SIGPROCMASK:
        SN("rt_sigprocmask(SIG_UNBLOCK, [%s], NULL, 8)",
           tl_signal_name((int)n) + 3);
        break;
    case SYS_GETTID: case SYS_GETPID: SN("%s()", tl_sys_name(sys)); break;
    case SYS_TGKILL:
        SN("tgkill(%d, %d, %s)", TL_TGKILL_PID(arg), TL_TGKILL_TID(arg),
           tl_signal_name(TL_TGKILL_SIG(arg)));
        break;
    default:
        if (fd >= 0)
            SN("%s(%d, ...)", tl_sys_name(sys), fd);
        else
            SN("%s(...)", tl_sys_name(sys));
        break;
    }
    return buf;
}

char *tl_enter_text(char *buf, size_t len, const struct tl *tl,
                    const struct tl_ev *e)
{
    if (e->b > 0 && e->b <= tl->nstrs && tl->strs[e->b - 1]) {
        SN("%s(%s)", tl_sys_name(e->sub), tl->strs[e->b - 1]);
        return buf;
    }
    int id = TL_OBJ_STR(e->obj);
    if (e->sub == SYS_SELECT && e->obj <= -2 && id < tl->nstrs &&
        tl->strs[id]) { /* the sets, as the simulator saw them */
        char ts[64];
        tmo_ts(ts, sizeof ts, e->b < 0 ? e->b : 0);
        SN("pselect6(%lld, %s, NULL, %s, NULL)", (long long)e->a, tl->strs[id],
           ts);
        return buf;
    }
    return tl_call_wait_text(buf, len, e->sub, e->obj, e->a, e->b < 0 ? e->b : 0);
}

char *tl_sys_ret_text(char *buf, size_t len, int sys, int64_t arg, int64_t ret)
{
    if (sys == SYS_FCNTL && (arg & TL_F_GETFL) && ret >= 0) {
        SN(" = %#llx (flags %s%s%s)", (long long)ret, acc_names[ret & 3],
           ret & 04000 ? "|O_NONBLOCK" : "", ret & 020000 ? "|O_ASYNC" : "");
        return buf;
    }
    if (sys == SYS_MMAP && ret >= 0) { /* an address */
        SN(" = %#llx", (long long)ret);
        return buf;
    }
    if ((sys == SYS_SELECT || sys == SYS_POLL) && ret == 0) {
        SN(" = 0 (Timeout)"); /* as strace says it */
        return buf;
    }
    return tl_ret_text(buf, len, ret);
}

char *tl_ret_text(char *buf, size_t len, int64_t ret)
{
    const char *en = tl_errno_name(ret);
    if (ret <= -TL_ERESTARTSYS && ret >= -TL_ERESTART_RESTARTBLOCK &&
        ret != -515) { /* cut short by a signal: strace's words */
        SN(" = ? %s (%s)", en,
           ret == -TL_ERESTARTSYS ? "To be restarted if SA_RESTART is set"
           : ret == -TL_ERESTARTNOHAND ? "To be restarted if no handler"
           : ret == -TL_ERESTARTSYS - 1 ? "To be restarted"
                                        : "Interrupted by signal");
        return buf;
    }
    if (ret < 0 && en)
        SN(" = -1 %s (%s)", en, strerror((int)-ret));
    else if (ret >= (int64_t)1 << 32) /* an address (mmap, brk): as strace */
        SN(" = %#llx", (long long)ret);
    else
        SN(" = %lld", (long long)ret);
    return buf;
}

char *tl_obj_text(char *buf, size_t len, const struct tl *tl, int obj)
{
    if (obj < 0 || obj >= tl->nobjs) {
        SN("object #%d", obj);
        return buf;
    }
    const struct tl_obj *o = &tl->objs[obj];
    return tl_obj_now_text(buf, len, obj, o->kind, (int)o->port);
}

char *tl_obj_now_text(char *buf, size_t len, int obj, int kind, int port)
{
    if (port > 0)
        SN("%s #%d :%d", tl_obj_kind_name(kind), obj, port);
    else
        SN("%s #%d", tl_obj_kind_name(kind), obj);
    return buf;
}

char *tl_fl_text(char *buf, size_t len, int flags)
{
    SN("%s%s%s", flags & TL_FL_NONBLOCK ? "O_NONBLOCK" : "",
       (flags & TL_FL_NONBLOCK) && (flags & TL_FL_ASYNC) ? "|" : "",
       flags & TL_FL_ASYNC ? "O_ASYNC" : "");
    return buf;
}

char *tl_time_text(char *buf, size_t len, int64_t ns)
{
    const char *sg = ns < 0 ? "-" : "";
    long long a = ns < 0 ? -(long long)ns : (long long)ns;
    if (a < 1000)
        SN("%s%lld ns", sg, a);
    else if (a < 1000000)
        SN("%s%lld.%01lld us", sg, a / 1000, a % 1000 / 100);
    else if (a < 1000000000)
        SN("%s%lld.%03lld ms", sg, a / 1000000, a % 1000000 / 1000);
    else if (a % 1000000 == 0) /* like "3.000 ms": "10.000 s" */
        SN("%s%lld.%03lld s", sg, a / 1000000000, a % 1000000000 / 1000000);
    else
        SN("%s%lld.%06lld s", sg, a / 1000000000, a % 1000000000 / 1000);
    return buf;
}

const char *tl_signal_name(int sig)
{
    static const char *const names[] = {
        [1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [6] = "SIGABRT",
        [8] = "SIGFPE",
        [9] = "SIGKILL", [10] = "SIGUSR1", [11] = "SIGSEGV", [12] = "SIGUSR2",
        [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM", [17] = "SIGCHLD",
        [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP", [23] = "SIGURG",
        [28] = "SIGWINCH", [29] = "SIGIO",
    };
    if (sig > 0 && sig < (int)(sizeof names / sizeof *names) && names[sig])
        return names[sig];
    return "SIG?";
}

static const char *task_name(const struct tl *tl, int t)
{
    return t >= 0 && t < tl->ntasks ? tl->tasks[t].name : "?";
}

static char *queue_item(char *buf, size_t len, const struct tl *tl, int q,
                        int64_t item)
{
    int kind = q >= 0 && q < tl->nqueues ? tl->queues[q].kind : -1;
    switch (kind) {
    case TQK_RUN: SN("%s", task_name(tl, (int)item)); break;
    case TQK_ACCEPT: tl_obj_text(buf, len, tl, (int)item); break;
    case TQK_INTEREST: case TQK_READY: SN("fd %lld", (long long)item); break;
    case TQK_SIGNALS: SN("%s", tl_signal_name((int)item)); break;
    case TQK_TICKS: {
        char t[40];
        SN("expired at %s", tl_time_text(t, sizeof t, item));
        break;
    }
    case TQK_FUTEX: SN("%s", task_name(tl, (int)item)); break;
    case TQK_MSGS: { /* a message: its kind and value, "task 5" */
        int k = TL_MSG_KIND(item);
        const char *kn = k >= 0 && k < tl->nstrs && tl->strs[k] ? tl->strs[k] : "?";
        if (TL_MSG_VAL(item) == TL_MSG_NOVAL)
            SN("%s", kn);
        else
            SN("%s %lld", kn, (long long)TL_MSG_VAL(item));
        break;
    }
    case TQK_SQ: case TQK_CQ: {
        static const char *const op[] = {
#define X(e, n, k) k,
            TL_URING_OPS(X)
#undef X
        };
        int o = TL_URING_OP(item);
        const char *on = o < TU__COUNT ? op[o] : "?";
        int64_t v = kind == TQK_SQ ? TL_URING_LEN(item) : TL_URING_RES(item);
        const char *en = kind == TQK_CQ ? tl_errno_name(v) : NULL;
        if (kind == TQK_SQ)
            SN("%s fd %d, %lld bytes", on, TL_URING_FD(item), (long long)v);
        else if (en)
            SN("%s fd %d: res %s", on, TL_URING_FD(item), en);
        else
            SN("%s fd %d: res %lld", on, TL_URING_FD(item), (long long)v);
        break;
    }
    default: SN("%lld", (long long)item); break;
    }
    return buf;
}

char *tl_qitem_text(char *buf, size_t len, const struct tl *tl, int q,
                    int64_t item)
{
    return queue_item(buf, len, tl, q, item);
}

static char *dur_text(char *buf, size_t len, int64_t ns)
{
    SN(" <%lld.%09lld>", (long long)(ns / 1000000000), (long long)(ns % 1000000000));
    return buf;
}

/* The signal that killed the task exiting at i: the task's own event
 * before it is that signal raised, and the code is 128 + its number */
static int killed_by(const struct tl *tl, long i)
{
    const struct tl_ev *e = &tl->ev[i];
    for (long j = i - 1; j >= 0 && j >= i - 64; j--) {
        const struct tl_ev *s = &tl->ev[j];
        if (s->task != e->task)
            continue;
        if (s->type == EV_SIGNAL && s->sub == 0 && e->a == 128 + s->a)
            return (int)s->a;
        return 0;
    }
    return 0;
}

char *tl_ev_text(char *buf, size_t len, const struct tl *tl, long i)
{
    const struct tl_ev *e = &tl->ev[i];
    char o[96], s[1024], r[128], d[40];
    switch (e->type) {
    case EV_TASK_NEW: {
        int k = e->task < tl->ntasks ? tl->tasks[e->task].kind : 0;
        if (e->a >= 0)
            SN("+++ new %s (parent %s) +++", tl_task_kind_name(k),
               task_name(tl, (int)e->a));
        else
            SN("+++ new %s +++", tl_task_kind_name(k));
        break;
    }
    case EV_STATE:
        if (e->sub == TS_RUNNING && e->a >= 0)
            SN("--- running on CPU %lld ---", (long long)e->a);
        else if (e->sub == TS_BLOCKED && *tl_wait_name((int)e->a))
            SN("--- blocked: waiting for %s ---", tl_wait_name((int)e->a));
        else if (e->sub == TS_EXITED && e->obj >= 0)
            SN("+++ reaped by %s: its wait4 returned the pid and status %lld; "
               "the zombie is gone +++", task_name(tl, e->obj),
               (long long)e->a);
        else if (e->sub == TS_EXITED && e->obj == TL_REAP_INIT_ZOMBIE)
            SN("+++ reaped by init (pid 1), its parent now: the zombie is gone "
               "+++");
        else if ((e->sub == TS_EXITED || e->sub == TS_ZOMBIE) &&
                 killed_by(tl, i) > 0)
            /* killed by a signal it raised just before: strace's words (a
               shell reports the status as 128 + the signal number) */
            SN("+++ killed by %s +++%s", tl_signal_name(killed_by(tl, i)),
               e->sub == TS_ZOMBIE ? " (a zombie until its parent waits)" : "");
        else if (e->sub == TS_ZOMBIE)
            SN("+++ exited with %lld: a zombie until its parent waits (the "
               "kernel keeps its pid and exit status) +++", (long long)e->a);
        else if (e->sub == TS_EXITED && e->obj == TL_REAP_INIT)
            SN("+++ exited with %lld; init (pid 1), its parent since its own "
               "exited, reaps it at once +++", (long long)e->a);
        else if (e->sub == TS_EXITED && e->task < tl->ntasks &&
                 tl->tasks[e->task].kind == TK_COROUTINE)
            SN("--- coroutine finished ---"); /* in user space: no exit */
        else if (e->sub == TS_EXITED)
            SN("+++ exited with %lld +++", (long long)e->a);
        else
            SN("--- %s ---", tl_state_name(e->sub));
        break;
    case EV_SYS_ENTER: /* exit and exit_group never return: strace's "= ?" */
        SN(e->sub == SYS_EXIT_GROUP || e->sub == SYS_EXIT ? "%s = ?"
                                                          : "%s <unfinished ...>",
           tl_enter_text(s, sizeof s, tl, e));
        break;
    case EV_SYSCALL: {
        int64_t arg = 0; /* the entry's argument, for results that need it */
        for (long j = i - 1; j >= 0 && j >= i - 64; j--)
            if (tl->ev[j].type == EV_SYS_ENTER && tl->ev[j].task == e->task) {
                arg = tl->ev[j].a;
                break;
            }
        char det[256];
        SN("<... %s resumed>%s%s%s", tl_sys_name(e->sub),
           tl_sys_ret_text(r, sizeof r, e->sub, arg, e->a),
           tl_ret_detail_text(det, sizeof det, tl, e),
           dur_text(d, sizeof d, e->b));
        break;
    }
    case EV_FD_OPEN:
        SN("fd %lld -> %s", (long long)e->a, tl_obj_text(o, sizeof o, tl, e->obj));
        break;
    case EV_FD_CLOSE:
        SN("fd %lld closed (was %s)", (long long)e->a,
           tl_obj_text(o, sizeof o, tl, e->obj));
        break;
    case EV_FLAGS:
        SN("%s: file status flags %s%s%s", tl_obj_text(o, sizeof o, tl, e->obj),
           acc_names[e->obj >= 0 && e->obj < tl->nobjs
                         ? tl->objs[e->obj].kind == OK_PIPE_R ? 0
                           : tl->objs[e->obj].kind == OK_PIPE_W ? 1 : 2
                         : 2],
           e->sub & TL_FL_NONBLOCK ? "|O_NONBLOCK" : "",
           e->sub & TL_FL_ASYNC ? "|O_ASYNC" : "");
        break;
    case EV_DATA:
        if (e->obj >= 0 && e->obj < tl->nobjs && tl->objs[e->obj].kind == OK_TIMERFD) {
            if (e->a > 0)
                SN("the timer of %s expires: it is readable (8 bytes, the "
                   "expiration count)", tl_obj_text(o, sizeof o, tl, e->obj));
            else
                SN("%s: the expiration count is cleared (a new setting)",
                   tl_obj_text(o, sizeof o, tl, e->obj));
            break;
        }
        SN("%lld bytes land in the %s buffer of %s", (long long)e->a,
           e->obj >= 0 && e->obj < tl->nobjs && tl->objs[e->obj].kind == OK_TTY
               ? "input" : "receive",
           tl_obj_text(o, sizeof o, tl, e->obj));
        break;
    case EV_COPY:
        if (e->sub == TC_TO_USER && e->task == TL_NOTASK)
            SN("the kernel copies %lld bytes kernel -> user (from %s, for an "
               "io_uring request)%s", (long long)e->a,
               tl_obj_text(o, sizeof o, tl, e->obj), dur_text(d, sizeof d, e->b));
        else if (e->sub == TC_TO_USER)
            SN("copy %lld bytes kernel -> user (from %s)%s", (long long)e->a,
               tl_obj_text(o, sizeof o, tl, e->obj), dur_text(d, sizeof d, e->b));
        else
            SN("copy %lld bytes user -> kernel (into %s)%s", (long long)e->a,
               tl_obj_text(o, sizeof o, tl, e->obj), dur_text(d, sizeof d, e->b));
        break;
    case EV_EOF:
        SN("%s: the other end closed (end of file)",
           tl_obj_text(o, sizeof o, tl, e->obj));
        break;
    case EV_QUEUE:
        SN("%s: %s %s", e->obj >= 0 && e->obj < tl->nqueues ? tl->queues[e->obj].name
                                                             : "queue",
           e->sub == TQ_PUSH ? "+" : "-", queue_item(s, sizeof s, tl, e->obj, e->a));
        break;
    case EV_CAPTION:
        SN("# %s", e->a >= 0 && e->a < tl->nstrs ? tl->strs[e->a] : "");
        break;
    case EV_OBJ_NEW: /* as it is at creation: a socket has no port yet */
        SN("new %s", tl_obj_now_text(o, sizeof o, e->obj, e->sub, (int)e->a));
        break;
    case EV_OBJ_SET:
        if (e->a == 0) /* an AF_UNIX socket: its address is a path */
            SN("%s now listens", tl_obj_text(o, sizeof o, tl, e->obj));
        else
            SN("%s now listens on 0.0.0.0:%lld",
               tl_obj_text(o, sizeof o, tl, e->obj), (long long)e->a);
        break;
    case EV_OBJ_FREE:
        SN("%s released", tl_obj_text(o, sizeof o, tl, e->obj));
        break;
    case EV_REPARENT:
        if (e->a >= 0)
            SN("+++ orphaned: its parent exited; %s adopts it +++",
               task_name(tl, (int)e->a));
        else
            SN("+++ orphaned: its parent exited; init (pid 1) adopts it +++");
        break;
    case EV_SIGNAL:
        if (e->sub == 3 && e->a == TL_SIGCHLD)
            SN("--- SIGCHLD {si_signo=SIGCHLD, si_code=%s, si_pid=%d, "
               "si_status=%d} --- ignored (SIGCHLD's default action)",
               TL_CHLD_KILLED(e->b) ? "CLD_KILLED" : "CLD_EXITED",
               TL_CHLD_PID(e->b), TL_CHLD_STATUS(e->b));
        else if (e->sub == 3)
            SN("--- %s --- ignored", tl_signal_name((int)e->a));
        else if (e->sub == 2)
            SN("--- %s raised while one is pending: merged (standard signals "
               "do not queue) ---", tl_signal_name((int)e->a));
        else if (e->sub == 1)
            SN("--- %s {si_signo=%s%s} --- handler runs",
               tl_signal_name((int)e->a), tl_signal_name((int)e->a),
               /* F_SETOWN without F_SETSIG: send_sigio() sends
                  SEND_SIG_PRIV */
               e->a == TL_SIGIO ? ", si_code=SI_KERNEL" : "");
        else
            SN("--- %s raised ---", tl_signal_name((int)e->a));
        break;
    case EV_ARGCOPY:
        SN("copy %lld bytes of %s's %s %s%s", (long long)e->a,
           tl_sys_name(e->obj),
           e->obj == SYS_POLL ? "pollfd array"
           : e->obj == SYS_EPOLL_WAIT ? "ready events" : "fd_set",
           e->sub == TC_TO_USER ? "kernel -> user" : "user -> kernel",
           dur_text(d, sizeof d, e->b));
        break;
    case EV_MEM: {
        const char *qn = e->obj >= 0 && e->obj < tl->nqueues
                             ? tl->queues[e->obj].name : "?";
        if (e->sub == TM_LOAD)
            SN("load %s: %lld (into a register)", qn, (long long)e->a);
        else if (e->sub == TM_STORE)
            SN("store %s = %lld", qn, (long long)e->a);
        else if (e->sub == TM_CAS && e->a == e->b)
            SN("atomic compare-and-swap %s: it holds %lld, not 0: unchanged",
               qn, (long long)e->b);
        else if (e->sub == TM_CAS)
            SN("atomic compare-and-swap %s: %lld -> %lld", qn,
               (long long)e->b, (long long)e->a);
        else if (e->sub == TM_XCHG)
            SN("atomic exchange %s: %lld -> %lld", qn, (long long)e->b,
               (long long)e->a);
        else
            SN("%s = %lld: the child's own copy (copy-on-write: same value, "
               "separate memory)", qn, (long long)e->a);
        break;
    }
    case EV_SCAN:
        SN("kernel checks %lld fd%s for readiness%s", (long long)e->a,
           e->a == 1 ? "" : "s", dur_text(d, sizeof d, e->b));
        break;
    case EV_SWITCH: {
        const char *to = task_name(tl, e->obj);
        char v[32];
        if (e->a == TL_STOP_ITERATION)
            snprintf(v, sizeof v, "StopIteration");
        else
            snprintf(v, sizeof v, "%lld", (long long)e->a);
        switch (e->sub) {
        case TSW_NEXT: SN("next(): %s runs to its next yield (in user space, no syscall)", to); break;
        case TSW_SEND: SN("send(%s): %s runs on, its yield returns %s", v, to, v); break;
        case TSW_YIELD: SN("yield %s: suspended here, %s gets %s", v, to, v); break;
        case TSW_STOP: SN("the generator is done: StopIteration for %s", to); break;
        case TSW_SWITCH: SN("switch(%s): %s runs", v, to); break;
        case TSW_WAIT:
            if (e->a >= 0)
                SN("would block on fd %lld: a watcher is started, switch to %s", (long long)e->a, to);
            else
                SN("waits in the hub (a timer, a callback or a join): switch to %s", to);
            break;
        case TSW_READY:
            if (e->a >= 0)
                SN("fd %lld is ready: the hub switches to %s, which tries again", (long long)e->a, to);
            else if (e->a == -1)
                SN("the timer is due: the hub switches to %s", to);
            else
                SN("the hub runs a callback: it switches to %s", to);
            break;
        case TSW_START: SN("the hub runs a callback: %s starts (gevent.spawn)", to); break;
        default: SN("the greenlet is done: back to its parent %s", to); break;
        }
        break;
    }
    default:
        SN("(unknown event %d)", e->type);
        break;
    }
    return buf;
}

/* The SYSCALL that ends the syscall entered at i, if nothing but the call's
 * own effects (fds, objects, copies, queues) comes between; else 0 */
static size_t call_end(const struct tl *tl, size_t i)
{
    const struct tl_ev *e = &tl->ev[i];
    int proc = e->task < tl->ntasks ? tl->tasks[e->task].proc : -1;
    for (size_t j = i + 1; j < tl->nev && j < i + 64; j++) {
        const struct tl_ev *x = &tl->ev[j];
        if (x->type == EV_SYSCALL)
            return x->task == e->task ? j : 0;
        if (x->task != e->task && x->task != TL_NOTASK && x->task != proc)
            return 0;
        switch (x->type) {
        case EV_FLAGS: case EV_FD_OPEN: case EV_FD_CLOSE: case EV_OBJ_NEW:
        case EV_OBJ_SET: case EV_OBJ_FREE: case EV_COPY: case EV_QUEUE:
        case EV_SCAN: case EV_ARGCOPY:
            continue;
        default:
            return 0;
        }
    }
    return 0;
}

/* A failed write's reason (ENOSPC on a full disk), else EIO */
static int out_err(void)
{
    return errno > 0 ? -errno : -EIO;
}

/*
 * Text from a scenario (captions, say) goes to a terminal as often as to
 * a file: its control characters must not reach it raw (ESC could set the
 * window title or clear the screen, CR hide what came before, a newline
 * break the one-event-a-line format).  They are written as C escapes, as
 * strace does: \n \t \r, and octal \033 for the other C0 controls, DEL
 * and the C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F).  A backslash
 * stays as it is: a call read from an strace log is escaped already.
 */
static int dump_text(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        int c = *p, r;
        if (c == '\n')
            r = fputs("\\n", out);
        else if (c == '\t')
            r = fputs("\\t", out);
        else if (c == '\r')
            r = fputs("\\r", out);
        else if (c < 0x20 || c == 0x7f)
            r = fprintf(out, "\\%03o", (unsigned)c);
        else if (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            r = fprintf(out, "\\302\\%03o", (unsigned)p[1]);
            p++;
        } else
            r = putc(c, out);
        if (r < 0)
            return out_err();
    }
    return 0;
}

static int dump_line(FILE *out, int64_t t, int w, const char *who,
                     const char *text)
{
    errno = 0;
    if (fprintf(out, "%lld.%09lld %-*s ", (long long)(t / 1000000000),
                (long long)(t % 1000000000), w, who) < 0 ||
        dump_text(out, text) || putc('\n', out) < 0)
        return out_err();
    return 0;
}

int tl_dump(const struct tl *tl, FILE *out)
{
    int w = 6;
    for (int i = 0; i < tl->ntasks; i++) {
        int n = (int)strlen(tl->tasks[i].name);
        if (n > w)
            w = n;
    }
    if (w > 24)
        w = 24;
    char text[1536], call[1024], ret[128], d[40];
    for (size_t i = 0; i < tl->nev; i++) {
        const struct tl_ev *e = &tl->ev[i];
        const char *who = e->task == TL_NOTASK ? "-" : task_name(tl, e->task);
        size_t j = e->type == EV_SYS_ENTER ? call_end(tl, i) : 0;
        if (!j) {
            int r = dump_line(out, e->t, w, who,
                              tl_ev_text(text, sizeof text, tl, (long)i));
            if (r)
                return r;
            continue;
        }
        /* strace prints a syscall that nothing interrupts on one line, at
         * its start; its effects follow */
        const struct tl_ev *x = &tl->ev[j];
        char det[256];
        snprintf(text, sizeof text, "%s%s%s%s",
                 tl_enter_text(call, sizeof call, tl, e),
                 tl_sys_ret_text(ret, sizeof ret, e->sub, e->a, x->a),
                 tl_ret_detail_text(det, sizeof det, tl, x),
                 dur_text(d, sizeof d, x->b));
        int r = dump_line(out, e->t, w, who, text);
        if (r)
            return r;
        for (size_t k = i + 1; k < j; k++) {
            const struct tl_ev *y = &tl->ev[k];
            r = dump_line(out, y->t, w, y->task == TL_NOTASK ? "-" : task_name(tl, y->task),
                          tl_ev_text(text, sizeof text, tl, (long)k));
            if (r)
                return r;
        }
        i = j;
    }
    errno = 0;
    if (tl->note && (fputs("# ", out) < 0 || dump_text(out, tl->note) ||
                     putc('\n', out) < 0))
        return out_err();
    return 0;
}
