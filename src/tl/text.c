/*
 * text.c - events in words (see text.h).
 */
#include "tl/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tl/obuf.h"

#define SN(...) snprintf(buf, len, __VA_ARGS__)

/*
 * A text being built: at most cap bytes, NUL included, truncated as
 * snprintf truncates.  The common events are put together from strings and
 * integers (sb_s, sb_i), which costs a tenth of snprintf: --dump writes a
 * line per event.  SB() appends through vsnprintf for the rare ones.
 */
struct sb {
    char *p;
    size_t n, cap;
};

static void sb_init(struct sb *sb, char *buf, size_t len)
{
    sb->p = buf;
    sb->n = 0;
    sb->cap = len;
    if (len)
        buf[0] = 0;
}

/* what is left of sb, as a builder of at most len bytes (the temporary
 * buffer the text used to be made in); sb_join() keeps what it wrote */
static struct sb sb_rest(struct sb *sb, size_t len)
{
    struct sb r = {sb->p + sb->n, 0, sb->cap - sb->n};
    if (!sb->cap)
        r.p = sb->p;
    if (r.cap > len)
        r.cap = len;
    return r;
}

static void sb_join(struct sb *sb, const struct sb *r)
{
    sb->n += r->n;
}

static void sb_mem(struct sb *sb, const char *s, size_t k)
{
    if (sb->n + 1 >= sb->cap)
        return;
    if (k > sb->cap - sb->n - 1)
        k = sb->cap - sb->n - 1;
    memcpy(sb->p + sb->n, s, k);
    sb->n += k;
    sb->p[sb->n] = 0;
}

static void sb_s(struct sb *sb, const char *s)
{
    sb_mem(sb, s, strlen(s));
}

static void sb_i(struct sb *sb, int64_t v)
{
    char t[24], *e = t + sizeof t;
    char *q = ob_digits(e, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 0);
    if (v < 0)
        *--q = '-';
    sb_mem(sb, q, (size_t)(e - q));
}

__attribute__((format(printf, 2, 3)))
static void sb_f(struct sb *sb, const char *fmt, ...)
{
    if (sb->n + 1 >= sb->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(sb->p + sb->n, sb->cap - sb->n, fmt, ap);
    va_end(ap);
    if (w > 0)
        sb->n += (size_t)w < sb->cap - sb->n ? (size_t)w : sb->cap - sb->n - 1;
}

#define SB(...) sb_f(sb, __VA_ARGS__)

static void ret_text(struct sb *sb, int64_t ret);
static void obj_now_text(struct sb *sb, int obj, int kind, int port);

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

/* The string SYSCALL.obj or SYS_ENTER.obj names instead of an fd, or NULL */
static const char *obj_str(const struct tl *tl, const struct tl_ev *e)
{
    int id = TL_OBJ_STR(e->obj);
    return e->obj <= -2 && id < tl->nstrs ? tl->strs[id] : NULL;
}

static void ret_detail(struct sb *sb, const struct tl *tl, const struct tl_ev *ret)
{
    const char *str = obj_str(tl, ret);
    if ((ret->sub == SYS_SELECT || ret->sub == SYS_POLL) && ret->a > 0 && str)
        SB(" (%s)", str);
}

char *tl_ret_detail_text(char *buf, size_t len, const struct tl *tl,
                         const struct tl_ev *ret)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    ret_detail(&sb, tl, ret);
    return buf;
}

/* Built from strings (the engine words every epoll_wait's events): the
 * same text, cut at the same place, as snprintf of each name made */
char *tl_poll_bits_text(char *buf, size_t len, unsigned bits, int epoll)
{
    /* <poll.h> and <sys/epoll.h>, by value */
    static const struct { unsigned bit; const char *name; } b[] = {
        {0x1, "IN"}, {0x2, "PRI"}, {0x4, "OUT"}, {0x8, "ERR"}, {0x10, "HUP"},
        {0x20, "NVAL"}, {0x40, "RDNORM"}, {0x80, "RDBAND"}, {0x100, "WRNORM"},
        {0x200, "WRBAND"}, {0x400, "MSG"}, {0x2000, "RDHUP"},
        {1u << 28, "EXCLUSIVE"}, {1u << 29, "WAKEUP"}, {1u << 30, "ONESHOT"},
        {1u << 31, "ET"}};
    struct sb sb_, *sb = &sb_;
    sb_init(sb, buf, len);
    for (size_t i = 0; i < sizeof b / sizeof *b && bits; i++) {
        if (!(bits & b[i].bit) || (!epoll && b[i].bit > 0x2000))
            continue;
        bits &= ~b[i].bit;
        if (sb->n)
            sb_mem(sb, "|", 1);
        sb_s(sb, epoll ? "EPOLL" : "POLL");
        sb_s(sb, b[i].name);
    }
    if (bits) /* what has no name: in hex, as strace does */
        SB("%s%#x", sb->n ? "|" : "", bits);
    else if (!sb->n)
        sb_mem(sb, "0", 1);
    return buf;
}

char *tl_wstatus_text(char *buf, size_t len, int wstatus)
{
    struct sb b, *sb = &b;
    sb_init(sb, buf, len);
    int sig = wstatus & 0x7f;
    if (sig == 0)
        SB("[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", (wstatus >> 8) & 0xff);
    else
        SB("[{WIFSIGNALED(s) && WTERMSIG(s) == %s%s}]", tl_signal_name(sig),
           wstatus & 0x80 ? " && WCOREDUMP(s)" : "");
    return buf;
}

char *tl_fdev_text(char *buf, size_t len, int kind, const int32_t *fd,
                   const uint32_t *ev, int n, int64_t total)
{
    if (len < 16) {
        if (len)
            buf[0] = 0;
        return buf;
    }
    int shown = n < TL_FDEV_SHOWN ? n : TL_FDEV_SHOWN, i;
    size_t k = 1, room = len - 7; /* keep room for ", ...]" */
    buf[0] = '[';
    buf[1] = 0;
    for (i = 0; i < shown; i++) {
        char bits[160], one[256];
        struct sb o = {one, 0, sizeof one}, *sb = &o;
        one[0] = 0;
        tl_poll_bits_text(bits, sizeof bits, ev[i], kind == TL_FDEV_EPOLL);
        if (i)
            sb_mem(sb, ", ", 2);
        if (kind == TL_FDEV_EPOLL) {
            sb_s(sb, "{events=");
            sb_s(sb, bits);
            sb_s(sb, ", data={u32=");
            sb_i(sb, (uint32_t)fd[i]);
            sb_s(sb, ", u64=");
            sb_i(sb, (uint32_t)fd[i]);
            sb_s(sb, "}}");
        } else if (fd[i] < 0) { /* poll skips it: strace shows the fd alone */
            sb_s(sb, "{fd=");
            sb_i(sb, fd[i]);
            sb_s(sb, "}");
        } else {
            sb_s(sb, "{fd=");
            sb_i(sb, fd[i]);
            sb_s(sb, kind == TL_FDEV_REVENTS ? ", revents=" : ", events=");
            sb_s(sb, bits);
            sb_s(sb, "}");
        }
        size_t w = o.n;
        if (k + w > room)
            break;
        memcpy(buf + k, one, w + 1);
        k += w;
    }
    /* strace stops at 32 entries; a caller may also have kept fewer */
    struct sb rest = {buf, k, len};
    if (i < n || total > i)
        sb_s(&rest, i ? ", ...]" : "...]");
    else
        sb_s(&rest, "]");
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

static void call_text(struct sb *sb, int sys, int fd, int64_t arg, int64_t tmo)
{
    long long n = (long long)arg;
    char ts[64];
    switch (sys) {
    case SYS_READ: case SYS_WRITE: case SYS_RECVFROM: case SYS_SENDTO:
        /* the commonest calls: without vsnprintf */
        sb_s(sb, tl_sys_name(sys));
        sb_mem(sb, "(", 1);
        sb_i(sb, fd);
        sb_s(sb, sys == SYS_READ || sys == SYS_RECVFROM ? ", ..., " : ", \"...\", ");
        sb_i(sb, n);
        sb_s(sb, sys == SYS_RECVFROM ? ", 0, NULL, NULL)"
                 : sys == SYS_SENDTO ? ", 0, NULL, 0)" : ")");
        break;
    case SYS_SOCKET: SB("socket(AF_INET, SOCK_STREAM, IPPROTO_IP)"); break;
    case SYS_BIND:
        SB("bind(%d, {sa_family=AF_INET, sin_port=htons(%lld), "
           "sin_addr=inet_addr(\"0.0.0.0\")}, 16)", fd, n);
        break;
    case SYS_LISTEN: SB("listen(%d, %lld)", fd, n); break;
    case SYS_ACCEPT:
        sb_s(sb, "accept(");
        sb_i(sb, fd);
        sb_s(sb, ", NULL, NULL)");
        break;
    case SYS_CONNECT:
        SB("connect(%d, {sa_family=AF_INET, sin_port=htons(%lld), "
           "sin_addr=inet_addr(\"127.0.0.1\")}, 16)", fd, n);
        break;
    case SYS_CLOSE:
        sb_s(sb, "close(");
        sb_i(sb, fd);
        sb_mem(sb, ")", 1);
        break;
    case SYS_FCNTL:
        if (arg & TL_F_SETOWN) {
            SB("fcntl(%d, F_SETOWN, %lld)", fd, (long long)(arg & ~TL_F_SETOWN));
            break;
        }
        if (arg & TL_F_GETFL) {
            SB("fcntl(%d, F_GETFL)", fd);
            break;
        }
        SB("fcntl(%d, F_SETFL, %s%s%s)", fd, acc_names[(arg >> 8) & 3],
           arg & TL_FL_NONBLOCK ? "|O_NONBLOCK" : "",
           arg & TL_FL_ASYNC ? "|O_ASYNC" : "");
        break;
    case SYS_PIPE2: /* a failed call fills no array: strace shows its address */
        if (TL_FD_PAIR_A(arg) < 0)
            SB("pipe2(..., 0)");
        else
            SB("pipe2([%d, %d], 0)", TL_FD_PAIR_A(arg), TL_FD_PAIR_B(arg));
        break;
    case SYS_SOCKETPAIR:
        if (TL_FD_PAIR_A(arg) < 0)
            SB("socketpair(AF_UNIX, SOCK_STREAM, 0, ...)");
        else
            SB("socketpair(AF_UNIX, SOCK_STREAM, 0, [%d, %d])",
               TL_FD_PAIR_A(arg), TL_FD_PAIR_B(arg));
        break;
    case SYS_SETSOCKOPT:
        SB("setsockopt(%d, SOL_SOCKET, %s, [%lld], 4)", fd,
           TL_SOCKOPT_OPT(arg) == TL_SO_RCVBUF ? "SO_RCVBUF" : "SO_SNDBUF",
           (long long)TL_SOCKOPT_VAL(arg));
        break;
    case SYS_GETSOCKOPT:
        SB("getsockopt(%d, SOL_SOCKET, %s, [%lld], [4])", fd,
           TL_SOCKOPT_OPT(arg) == TL_SO_RCVBUF ? "SO_RCVBUF" : "SO_SNDBUF",
           (long long)TL_SOCKOPT_VAL(arg));
        break;
    case SYS_PRLIMIT64:
        SB("prlimit64(0, RLIMIT_NOFILE, {rlim_cur=%lld, rlim_max=%lld}, NULL)",
           (long long)TL_RLIM_CUR(arg), (long long)TL_RLIM_MAX(arg));
        break;
    case SYS_CLOCK_NANOSLEEP:
        SB("clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=%lld, tv_nsec=%lld}, NULL)",
           n / 1000000000, n % 1000000000);
        break;
    case SYS_EXIT_GROUP: case SYS_EXIT: SB("%s(%lld)", tl_sys_name(sys), n); break;
    case SYS_CLONE: /* glibc 2.36's fork(), as strace shows it */
        SB("clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|"
           "CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=...)");
        break;
    case SYS_CLONE3: /* glibc 2.36's pthread_create() */
        SB("clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
           "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|"
           "CLONE_CHILD_CLEARTID, child_tid=..., parent_tid=..., "
           "exit_signal=0, stack=..., stack_size=0x7fff80, tls=...}, 88)");
        break;
    case SYS_WAIT4: /* arg 1: the program asked for the status */
        SB("wait4(%d, %s, 0, NULL)", fd > 0 ? fd : -1, arg ? "[...]" : "NULL");
        break;
    case SYS_FUTEX:
        if ((arg & TL_FUTEX_WAIT) && (arg & TL_FUTEX_TIMED)) /* timedwait */
            SB("futex(..., FUTEX_WAIT_BITSET_PRIVATE, %d, {...}, "
               "FUTEX_BITSET_MATCH_ANY)", TL_FUTEX_VAL(arg));
        else if (arg & TL_FUTEX_WAIT) /* glibc's lock, contended */
            SB("futex(..., FUTEX_WAIT_PRIVATE, %d, NULL)", TL_FUTEX_VAL(arg));
        else if (arg & TL_FUTEX_WAKE) /* glibc's unlock, with waiters */
            SB("futex(..., FUTEX_WAKE_PRIVATE, %d)", TL_FUTEX_VAL(arg));
        else if (arg & TL_FUTEX_SEM) /* CPython's join: sem_wait */
            SB("futex(..., FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, "
               "NULL, FUTEX_BITSET_MATCH_ANY)");
        else /* glibc's pthread_join: a wait on the thread's tid */
            SB("futex(..., FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, %d, NULL, "
               "FUTEX_BITSET_MATCH_ANY)", fd);
        break;
    case SYS_SELECT: /* glibc's select() on x86_64 calls pselect6 */
        tmo_ts(ts, sizeof ts, tmo);
        SB("pselect6(%lld, [...], NULL, NULL, %s, NULL)", n, ts);
        break;
    case SYS_POLL: SB("poll([...], %lld, %lld)", n, tmo_ms(tmo)); break;
    case SYS_EPOLL_CREATE1: SB("epoll_create1(%s)", n ? "EPOLL_CLOEXEC" : "0"); break;
    case SYS_EVENTFD2: SB("eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK)"); break;
    case SYS_IOCTL: SB("ioctl(%d, FIONBIO, [%lld])", fd, n); break;
    case SYS_EPOLL_CTL: {
        int tfd = TL_EPCTL_FD(arg);
        if (!(arg & TL_EPCTL_FULL)) {
            SB("epoll_ctl(%d, ..., %d, {...})", fd, tfd);
            break;
        }
        if (TL_EPCTL_OP(arg) == 2) { /* DEL: no event */
            SB("epoll_ctl(%d, EPOLL_CTL_DEL, %d, NULL)", fd, tfd);
            break;
        }
        char ev[96];
        SB("epoll_ctl(%d, %s, %d, {events=%s, data={u32=%d, u64=%d}})", fd,
           tl_epoll_op_name(TL_EPCTL_OP(arg)), tfd,
           tl_epoll_events_text(ev, sizeof ev, TL_EPCTL_EV(arg)), tfd, tfd);
        break;
    }
    case SYS_EPOLL_WAIT:
        sb_s(sb, "epoll_wait(");
        sb_i(sb, fd);
        sb_s(sb, ", [...], ");
        sb_i(sb, n > 0 ? n : 64);
        sb_s(sb, ", ");
        sb_i(sb, tmo_ms(tmo));
        sb_mem(sb, ")", 1);
        break;
    case SYS_IO_URING_SETUP:
        SB("io_uring_setup(%lld, {flags=0, sq_thread_cpu=0, sq_thread_idle=0, "
           "...})", n);
        break;
    case SYS_IO_URING_ENTER: {
        long long sub = TL_URING_ENTER_SUB(arg), wait = TL_URING_ENTER_WAIT(arg);
        if (tmo < 0) { /* the timeout rides in struct io_uring_getevents_arg */
            tmo_ts(ts, sizeof ts, tmo);
            SB("io_uring_enter(%d, %lld, %lld, IORING_ENTER_GETEVENTS|"
               "IORING_ENTER_EXT_ARG, {ts=%s}, 24)", fd, sub, wait, ts);
            break;
        }
        SB("io_uring_enter(%d, %lld, %lld, %s, NULL, 0)", fd, sub, wait,
           wait > 0 ? "IORING_ENTER_GETEVENTS" : "0");
        break;
    }
    case SYS_RT_SIGACTION:
        SB("rt_sigaction(%s, {sa_handler=handler, sa_mask=[], "
           "sa_flags=SA_RESTORER%s, sa_restorer=__restore_rt}, NULL, 8)",
           tl_signal_name((int)(n & 0xffff)),
           arg & TL_SA_RESTART ? "|SA_RESTART" : "");
        break;
    case SYS_RT_SIGRETURN: SB("rt_sigreturn({mask=[]})"); break;
    case SYS_PAUSE: SB("pause()"); break;
    case SYS_TIMERFD_CREATE: SB("timerfd_create(CLOCK_MONOTONIC, 0)"); break;
    case SYS_OPENAT: /* a = 1: the model's input device; else a path
                        the record does not keep */
        SB("openat(AT_FDCWD, %s, O_RDONLY)", arg == 1 ? "\"/dev/input/event0\""
                                                      : "...");
        break;
    case SYS_TIMERFD_SETTIME: { /* tmo: the interval, as TL_TMO */
        long long iv = tmo < 0 ? (long long)TL_TMO_NS(tmo) : 0;
        SB("timerfd_settime(%d, 0, {it_interval={tv_sec=%lld, tv_nsec=%lld}, "
           "it_value={tv_sec=%lld, tv_nsec=%lld}}, NULL)", fd, iv / 1000000000,
           iv % 1000000000, n / 1000000000, n % 1000000000);
        break;
    }
    case SYS_WRITEV: /* __libc_message: three pieces, as strace cuts them */
        SB("writev(%d, [{iov_base=\"*** \", iov_len=4}, {iov_base=\"bit out "
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
            SB("mmap(NULL, %lld, PROT_READ|PROT_WRITE, MAP_PRIVATE|"
               "MAP_ANONYMOUS, -1, 0)", (long long)TL_MMAP_LEN(arg));
        else
            SB("mmap(NULL, %lld, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, "
               "%d, %s)", (long long)TL_MMAP_LEN(arg), fd, off[k]);
        break;
    }
    case SYS_RT_SIGPROCMASK:
        SB("rt_sigprocmask(SIG_UNBLOCK, [%s], NULL, 8)",
           tl_signal_name((int)n) + 3);
        break;
    case SYS_GETTID: case SYS_GETPID: SB("%s()", tl_sys_name(sys)); break;
    case SYS_TGKILL:
        SB("tgkill(%d, %d, %s)", TL_TGKILL_PID(arg), TL_TGKILL_TID(arg),
           tl_signal_name(TL_TGKILL_SIG(arg)));
        break;
    default:
        if (fd >= 0)
            SB("%s(%d, ...)", tl_sys_name(sys), fd);
        else
            SB("%s(...)", tl_sys_name(sys));
        break;
    }
}

char *tl_call_wait_text(char *buf, size_t len, int sys, int fd, int64_t arg,
                        int64_t tmo)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    call_text(&sb, sys, fd, arg, tmo);
    return buf;
}

static void enter_text(struct sb *sb, const struct tl *tl, const struct tl_ev *e)
{
    if (e->b > 0 && e->b <= tl->nstrs && tl->strs[e->b - 1]) {
        SB("%s(%s)", tl_sys_name(e->sub), tl->strs[e->b - 1]);
        return;
    }
    int id = TL_OBJ_STR(e->obj);
    if (e->sub == SYS_SELECT && e->obj <= -2 && id < tl->nstrs &&
        tl->strs[id]) { /* the sets, as the simulator saw them */
        char ts[64];
        tmo_ts(ts, sizeof ts, e->b < 0 ? e->b : 0);
        SB("pselect6(%lld, %s, NULL, %s, NULL)", (long long)e->a, tl->strs[id],
           ts);
        return;
    }
    const char *str = obj_str(tl, e);
    if (e->sub == SYS_POLL && str) { /* the pollfd array passed */
        SB("poll(%s, %lld, %lld)", str, (long long)e->a,
           tmo_ms(e->b < 0 ? e->b : 0));
        return;
    }
    call_text(sb, e->sub, e->obj, e->a, e->b < 0 ? e->b : 0);
}

/* An epoll_wait the dump shows as strace does, its events written at its
 * return: one that has no argument list as strace printed it */
static int epoll_split(const struct tl *tl, const struct tl_ev *e)
{
    return e->sub == SYS_EPOLL_WAIT && !(e->b > 0 && e->b <= tl->nstrs);
}

/* A wait4 that asked for the status, which the dump shows at its return
 * as strace does ("<... wait4 resumed>[{WIFEXITED(s) && ...}], 0, NULL)"):
 * one of the simulator's, which has no argument list as strace printed it */
static int wait_split(const struct tl *tl, const struct tl_ev *e)
{
    return e->sub == SYS_WAIT4 && e->a && !(e->b > 0 && e->b <= tl->nstrs);
}

/* wait4's arguments after the pid, once it returned ret: the status (a
 * failed call wrote none: strace shows the pointer, "...") */
static void wait_args(struct sb *sb, const struct tl *tl, const struct tl_ev *ret)
{
    const char *st = ret->a > 0 ? obj_str(tl, ret) : NULL;
    sb_s(sb, st ? st : ret->a > 0 ? "[...]" : "...");
    sb_s(sb, ", 0, NULL)");
}

/* epoll_wait's arguments after the fd, once it returned ret: the events
 * it wrote ("[]" for none, "[...]" if the timeline does not say them;
 * "..." for a failure, where strace shows the array's address),
 * maxevents and the timeout */
static void epoll_args(struct sb *sb, const struct tl *tl,
                       const struct tl_ev *e, const struct tl_ev *ret)
{
    const char *str = obj_str(tl, ret);
    SB("%s, %lld, %lld",
       ret->a > 0 ? (str ? str : "[...]") : ret->a == 0 ? "[]" : "...",
       (long long)(e->a > 0 ? e->a : 64), tmo_ms(e->b < 0 ? e->b : 0));
}

char *tl_enter_text(char *buf, size_t len, const struct tl *tl,
                    const struct tl_ev *e)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    enter_text(&sb, tl, e);
    return buf;
}

static void sys_ret_text(struct sb *sb, int sys, int64_t arg, int64_t ret)
{
    if (sys == SYS_FCNTL && (arg & TL_F_GETFL) && ret >= 0) {
        SB(" = %#llx (flags %s%s%s)", (long long)ret, acc_names[ret & 3],
           ret & 04000 ? "|O_NONBLOCK" : "", ret & 020000 ? "|O_ASYNC" : "");
        return;
    }
    if (sys == SYS_MMAP && ret >= 0) { /* an address */
        SB(" = %#llx", (long long)ret);
        return;
    }
    if ((sys == SYS_SELECT || sys == SYS_POLL) && ret == 0) {
        SB(" = 0 (Timeout)"); /* as strace says it */
        return;
    }
    ret_text(sb, ret);
}

char *tl_sys_ret_text(char *buf, size_t len, int sys, int64_t arg, int64_t ret)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    sys_ret_text(&sb, sys, arg, ret);
    return buf;
}

static void ret_text(struct sb *sb, int64_t ret)
{
    const char *en = tl_errno_name(ret);
    if (ret <= -TL_ERESTARTSYS && ret >= -TL_ERESTART_RESTARTBLOCK &&
        ret != -515) { /* cut short by a signal: strace's words */
        SB(" = ? %s (%s)", en,
           ret == -TL_ERESTARTSYS ? "To be restarted if SA_RESTART is set"
           : ret == -TL_ERESTARTNOHAND ? "To be restarted if no handler"
           : ret == -TL_ERESTARTSYS - 1 ? "To be restarted"
                                        : "Interrupted by signal");
        return;
    }
    if (ret < 0 && en) {
        sb_s(sb, " = -1 ");
        sb_s(sb, en);
        sb_s(sb, " (");
        sb_s(sb, strerror((int)-ret));
        sb_mem(sb, ")", 1);
    } else if (ret >= (int64_t)1 << 32) /* an address (mmap, brk): as strace */
        SB(" = %#llx", (long long)ret);
    else {
        sb_s(sb, " = ");
        sb_i(sb, ret);
    }
}

char *tl_ret_text(char *buf, size_t len, int64_t ret)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    ret_text(&sb, ret);
    return buf;
}

static void obj_text(struct sb *sb, const struct tl *tl, int obj)
{
    if (obj < 0 || obj >= tl->nobjs) {
        SB("object #%d", obj);
        return;
    }
    const struct tl_obj *o = &tl->objs[obj];
    obj_now_text(sb, obj, o->kind, (int)o->port);
}

char *tl_obj_text(char *buf, size_t len, const struct tl *tl, int obj)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    obj_text(&sb, tl, obj);
    return buf;
}

static void obj_now_text(struct sb *sb, int obj, int kind, int port)
{
    sb_s(sb, tl_obj_kind_name(kind));
    sb_s(sb, " #");
    sb_i(sb, obj);
    if (port > 0) {
        sb_s(sb, " :");
        sb_i(sb, port);
    }
}

char *tl_obj_now_text(char *buf, size_t len, int obj, int kind, int port)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    obj_now_text(&sb, obj, kind, port);
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

static void queue_item(struct sb *sb, const struct tl *tl, int q, int64_t item)
{
    int kind = q >= 0 && q < tl->nqueues ? tl->queues[q].kind : -1;
    switch (kind) {
    case TQK_RUN: sb_s(sb, task_name(tl, (int)item)); break;
    case TQK_ACCEPT: obj_text(sb, tl, (int)item); break;
    case TQK_INTEREST: case TQK_READY:
        sb_s(sb, "fd ");
        sb_i(sb, item);
        break;
    case TQK_SIGNALS: sb_s(sb, tl_signal_name((int)item)); break;
    case TQK_TICKS: {
        char t[40];
        SB("expired at %s", tl_time_text(t, sizeof t, item));
        break;
    }
    case TQK_FUTEX: sb_s(sb, task_name(tl, (int)item)); break;
    case TQK_EVENTS: {
        int n = TL_EVQ_NAME(item);
        SB("%s(%lld)", n < tl->nstrs ? tl->strs[n] : "?",
           (long long)TL_EVQ_VALUE(item));
        break;
    }
    case TQK_TIMERS: {
        char t[40];
        int n = TL_TIMER_NAME(item);
        SB("%s at %s", n < tl->nstrs ? tl->strs[n] : "?",
           tl_time_text(t, sizeof t, TL_TIMER_T(item)));
        break;
    }
    case TQK_MSGS: { /* a message: its kind and value, "task 5" */
        int k = TL_MSG_KIND(item);
        const char *kn = k >= 0 && k < tl->nstrs && tl->strs[k] ? tl->strs[k] : "?";
        if (TL_MSG_VAL(item) == TL_MSG_NOVAL)
            SB("%s", kn);
        else
            SB("%s %lld", kn, (long long)TL_MSG_VAL(item));
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
            SB("%s fd %d, %lld bytes", on, TL_URING_FD(item), (long long)v);
        else if (en)
            SB("%s fd %d: res %s", on, TL_URING_FD(item), en);
        else
            SB("%s fd %d: res %lld", on, TL_URING_FD(item), (long long)v);
        break;
    }
    default: sb_i(sb, item); break;
    }
}

char *tl_qitem_text(char *buf, size_t len, const struct tl *tl, int q,
                    int64_t item)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    queue_item(&sb, tl, q, item);
    return buf;
}

static void dur_text(struct sb *sb, int64_t ns)
{
    if (ns < 0) {
        SB(" <%lld.%09lld>", (long long)(ns / 1000000000),
           (long long)(ns % 1000000000));
        return;
    }
    char t[24], *e = t + sizeof t;
    sb_s(sb, " <");
    sb_i(sb, ns / 1000000000);
    sb_mem(sb, ".", 1);
    char *q = ob_digits(e, (uint64_t)(ns % 1000000000), 9);
    sb_mem(sb, q, (size_t)(e - q));
    sb_mem(sb, ">", 1);
}

static char *dur_buf(char *buf, size_t len, int64_t ns)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    dur_text(&sb, ns);
    return buf;
}

/* what follows a call's name and arguments: " = 3 <0.000001000>", as
 * "%s%s%s" of the return (128 bytes), its detail (256) and duration (40) */
static void ret_tail(struct sb *sb, const struct tl *tl, int sys, int64_t arg,
                     const struct tl_ev *x)
{
    struct sb r = sb_rest(sb, 128);
    sys_ret_text(&r, sys, arg, x->a);
    sb_join(sb, &r);
    r = sb_rest(sb, TL_TEXT_MAX);
    ret_detail(&r, tl, x);
    sb_join(sb, &r);
    r = sb_rest(sb, 40);
    dur_text(&r, x->b);
    sb_join(sb, &r);
}

/* The signal that killed the task exiting at i: the task's own event
 * before it is that signal raised, and the code is 128 + its number.  The
 * process's fds close in between, at the same instant (do_exit's
 * exit_files comes before exit_notify): those are looked past, however
 * many; of earlier events, 64 at most */
static int killed_by(const struct tl *tl, long i)
{
    const struct tl_ev *e = &tl->ev[i];
    for (long j = i - 1, n = 64; j >= 0; j--) {
        const struct tl_ev *s = &tl->ev[j];
        if (s->t != e->t && --n < 0)
            break;
        if (s->task != e->task || s->type == EV_FD_CLOSE)
            continue;
        if (s->type == EV_SIGNAL && s->sub == 0 && e->a == 128 + s->a)
            return (int)s->a;
        return 0;
    }
    return 0;
}

long tl_enter_of(const struct tl *tl, long i)
{
    const struct tl_ev *e = &tl->ev[i];
    if (e->type != EV_SYSCALL)
        return -1;
    /* it entered at t - duration: the first event of that instant */
    int64_t t0 = e->t - e->b;
    long lo = 0, hi = i;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (tl->ev[mid].t < t0)
            lo = mid + 1;
        else
            hi = mid;
    }
    long found = -1;
    for (long j = lo; j < i && tl->ev[j].t == t0; j++)
        if (tl->ev[j].type == EV_SYS_ENTER && tl->ev[j].task == e->task &&
            tl->ev[j].sub == e->sub)
            found = j; /* the last one: a peer's calls take no time */
    for (long j = i - 1; found < 0 && j >= 0 && j >= i - 64; j--)
        if (tl->ev[j].type == EV_SYS_ENTER && tl->ev[j].task == e->task)
            found = j; /* a duration that does not lead back to it */
    return found;
}

static void ev_text(struct sb *sb, const struct tl *tl, long i)
{
    const struct tl_ev *e = &tl->ev[i];
    char o[96], d[40];
    switch (e->type) {
    case EV_TASK_NEW: {
        int k = e->task < tl->ntasks ? tl->tasks[e->task].kind : 0;
        sb_s(sb, "+++ new ");
        sb_s(sb, tl_task_kind_name(k));
        if (e->a >= 0) {
            sb_s(sb, " (parent ");
            sb_s(sb, task_name(tl, (int)e->a));
            sb_mem(sb, ")", 1);
        }
        sb_s(sb, " +++");
        break;
    }
    case EV_STATE:
        if (e->sub == TS_RUNNING && e->a >= 0) {
            sb_s(sb, "--- running on CPU ");
            sb_i(sb, e->a);
            sb_s(sb, " ---");
        } else if (e->sub == TS_BLOCKED && *tl_wait_name((int)e->a)) {
            sb_s(sb, "--- blocked: waiting for ");
            sb_s(sb, tl_wait_name((int)e->a));
            sb_s(sb, " ---");
        }
        else if (e->sub == TS_EXITED && e->obj >= 0)
            SB("+++ reaped by %s: its wait4 returned the pid and status %lld; "
               "the zombie is gone +++", task_name(tl, e->obj),
               (long long)e->a);
        else if (e->sub == TS_EXITED && e->obj == TL_REAP_INIT_ZOMBIE)
            SB("+++ reaped by init (pid 1), its parent now: the zombie is gone "
               "+++");
        else if ((e->sub == TS_EXITED || e->sub == TS_ZOMBIE) &&
                 killed_by(tl, i) > 0)
            /* killed by a signal it raised just before: strace's words (a
               shell reports the status as 128 + the signal number) */
            SB("+++ killed by %s +++%s", tl_signal_name(killed_by(tl, i)),
               e->sub == TS_ZOMBIE ? " (a zombie until its parent waits)" : "");
        else if (e->sub == TS_ZOMBIE)
            SB("+++ exited with %lld: a zombie until its parent waits (the "
               "kernel keeps its pid and exit status) +++", (long long)e->a);
        else if (e->sub == TS_EXITED && e->obj == TL_REAP_INIT)
            SB("+++ exited with %lld; init (pid 1), its parent since its own "
               "exited, reaps it at once +++", (long long)e->a);
        else if (e->sub == TS_EXITED && e->task < tl->ntasks &&
                 tl->tasks[e->task].kind == TK_COROUTINE)
            SB("--- coroutine finished ---"); /* in user space: no exit */
        else if (e->sub == TS_EXITED)
            SB("+++ exited with %lld +++", (long long)e->a);
        else if (e->sub == TS_READY && tl_cpu_queues(tl))
            SB("--- ready, in the run queue of CPU %d ---",
               tl_run_queue(tl, e->a));
        else {
            sb_s(sb, "--- ");
            sb_s(sb, tl_state_name(e->sub));
            sb_s(sb, " ---");
        }
        break;
    case EV_SYS_ENTER: /* exit and exit_group never return: strace's "= ?" */
    {
        if (epoll_split(tl, e)) { /* the events come at the return */
            SB("epoll_wait(%d, <unfinished ...>", e->obj);
            break;
        }
        if (wait_split(tl, e)) { /* and the status */
            SB("wait4(%d, <unfinished ...>", e->obj > 0 ? e->obj : -1);
            break;
        }
        struct sb c = sb_rest(sb, TL_TEXT_MAX);
        enter_text(&c, tl, e);
        sb_join(sb, &c);
        sb_s(sb, e->sub == SYS_EXIT_GROUP || e->sub == SYS_EXIT ? " = ?"
                                                                : " <unfinished ...>");
        break;
    }
    case EV_SYSCALL: {
        long ei = tl_enter_of(tl, i); /* the entry, for results that need it */
        const struct tl_ev *in = ei >= 0 ? &tl->ev[ei] : NULL;
        sb_s(sb, "<... ");
        sb_s(sb, tl_sys_name(e->sub));
        sb_s(sb, " resumed>");
        if (in && in->sub == e->sub && epoll_split(tl, in)) {
            struct sb c = sb_rest(sb, TL_TEXT_MAX);
            epoll_args(&c, tl, in, e);
            sb_join(sb, &c);
            sb_mem(sb, ")", 1);
        } else if (in && in->sub == e->sub && wait_split(tl, in)) {
            wait_args(sb, tl, e);
        }
        ret_tail(sb, tl, e->sub, in ? in->a : 0, e);
        break;
    }
    case EV_FD_OPEN:
    case EV_FD_CLOSE:
        sb_s(sb, "fd ");
        sb_i(sb, e->a);
        sb_s(sb, e->type == EV_FD_OPEN ? " -> " : " closed (was ");
        obj_text(sb, tl, e->obj);
        if (e->type == EV_FD_CLOSE)
            sb_mem(sb, ")", 1);
        break;
    case EV_FLAGS:
        SB("%s: file status flags %s%s%s", tl_obj_text(o, sizeof o, tl, e->obj),
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
                SB("the timer of %s expires: it is readable (8 bytes, the "
                   "expiration count)", tl_obj_text(o, sizeof o, tl, e->obj));
            else
                SB("%s: the expiration count is cleared (a new setting)",
                   tl_obj_text(o, sizeof o, tl, e->obj));
            break;
        }
        sb_i(sb, e->a);
        sb_s(sb, e->obj >= 0 && e->obj < tl->nobjs && tl->objs[e->obj].kind == OK_TTY
                     ? " bytes land in the input buffer of "
                     : " bytes land in the receive buffer of ");
        obj_text(sb, tl, e->obj);
        break;
    case EV_COPY:
        if (e->sub == TC_TO_USER && e->task == TL_NOTASK)
            SB("the kernel copies %lld bytes kernel -> user (from %s, for an "
               "io_uring request)%s", (long long)e->a,
               tl_obj_text(o, sizeof o, tl, e->obj), dur_buf(d, sizeof d, e->b));
        else {
            sb_s(sb, "copy ");
            sb_i(sb, e->a);
            sb_s(sb, e->sub == TC_TO_USER ? " bytes kernel -> user (from "
                                          : " bytes user -> kernel (into ");
            obj_text(sb, tl, e->obj);
            sb_mem(sb, ")", 1);
            dur_text(sb, e->b);
        }
        break;
    case EV_EOF:
        obj_text(sb, tl, e->obj);
        sb_s(sb, ": the other end closed (end of file)");
        break;
    case EV_QUEUE:
    {
        sb_s(sb, e->obj >= 0 && e->obj < tl->nqueues ? tl->queues[e->obj].name
                                                      : "queue");
        sb_s(sb, e->sub == TQ_PUSH || e->sub == TQ_INSERT ? ": + " : ": - ");
        struct sb q = sb_rest(sb, 1024);
        queue_item(&q, tl, e->obj, e->a);
        sb_join(sb, &q);
        break;
    }
    case EV_CAPTION:
        SB("# %s", e->a >= 0 && e->a < tl->nstrs ? tl->strs[e->a] : "");
        break;
    case EV_OBJ_NEW: /* as it is at creation: a socket has no port yet */
        sb_s(sb, "new ");
        obj_now_text(sb, e->obj, e->sub, (int)e->a);
        break;
    case EV_OBJ_SET:
        if (e->a == 0) /* an AF_UNIX socket: its address is a path */
            SB("%s now listens", tl_obj_text(o, sizeof o, tl, e->obj));
        else
            SB("%s now listens on 0.0.0.0:%lld",
               tl_obj_text(o, sizeof o, tl, e->obj), (long long)e->a);
        break;
    case EV_OBJ_FREE:
        obj_text(sb, tl, e->obj);
        sb_s(sb, " released");
        break;
    case EV_REPARENT:
        if (e->a >= 0)
            SB("+++ orphaned: its parent exited; %s adopts it +++",
               task_name(tl, (int)e->a));
        else
            SB("+++ orphaned: its parent exited; init (pid 1) adopts it +++");
        break;
    case EV_SIGNAL:
        if (e->sub == 3 && e->a == TL_SIGCHLD)
            SB("--- SIGCHLD {si_signo=SIGCHLD, si_code=%s, si_pid=%d, "
               "si_status=%d} --- ignored (SIGCHLD's default action)",
               TL_CHLD_KILLED(e->b) ? "CLD_KILLED" : "CLD_EXITED",
               TL_CHLD_PID(e->b), TL_CHLD_STATUS(e->b));
        else if (e->sub == 3)
            SB("--- %s --- ignored", tl_signal_name((int)e->a));
        else if (e->sub == 2)
            SB("--- %s raised while one is pending: merged (standard signals "
               "do not queue) ---", tl_signal_name((int)e->a));
        else if (e->sub == 1 && e->a == TL_SIGCHLD && TL_CHLD_PID(e->b) > 0)
            SB("--- SIGCHLD {si_signo=SIGCHLD, si_code=%s, si_pid=%d, "
               "si_status=%d} --- handler runs",
               TL_CHLD_KILLED(e->b) ? "CLD_KILLED" : "CLD_EXITED",
               TL_CHLD_PID(e->b), TL_CHLD_STATUS(e->b));
        else if (e->sub == 1)
            SB("--- %s {si_signo=%s%s} --- handler runs",
               tl_signal_name((int)e->a), tl_signal_name((int)e->a),
               /* F_SETOWN without F_SETSIG: send_sigio() sends
                  SEND_SIG_PRIV */
               e->a == TL_SIGIO ? ", si_code=SI_KERNEL" : "");
        else
            SB("--- %s raised ---", tl_signal_name((int)e->a));
        break;
    case EV_ARGCOPY:
        sb_s(sb, "copy ");
        sb_i(sb, e->a);
        sb_s(sb, " bytes of ");
        sb_s(sb, tl_sys_name(e->obj));
        sb_s(sb, e->obj == SYS_POLL ? "'s pollfd array "
                 : e->obj == SYS_EPOLL_WAIT ? "'s ready events " : "'s fd_set ");
        sb_s(sb, e->sub == TC_TO_USER ? "kernel -> user" : "user -> kernel");
        dur_text(sb, e->b);
        break;
    case EV_MEM: {
        const char *qn = e->obj >= 0 && e->obj < tl->nqueues
                             ? tl->queues[e->obj].name : "?";
        if (e->sub == TM_LOAD)
            SB("load %s: %lld (into a register)", qn, (long long)e->a);
        else if (e->sub == TM_STORE)
            SB("store %s = %lld", qn, (long long)e->a);
        else if (e->sub == TM_CAS && e->a == e->b)
            SB("atomic compare-and-swap %s: it holds %lld, not 0: unchanged",
               qn, (long long)e->b);
        else if (e->sub == TM_CAS)
            SB("atomic compare-and-swap %s: %lld -> %lld", qn,
               (long long)e->b, (long long)e->a);
        else if (e->sub == TM_XCHG)
            SB("atomic exchange %s: %lld -> %lld", qn, (long long)e->b,
               (long long)e->a);
        else
            SB("%s = %lld: the child's own copy (copy-on-write: same value, "
               "separate memory)", qn, (long long)e->a);
        break;
    }
    case EV_SCAN:
        sb_s(sb, "kernel checks ");
        sb_i(sb, e->a);
        sb_s(sb, e->a == 1 ? " fd for readiness" : " fds for readiness");
        dur_text(sb, e->b);
        break;
    case EV_SWITCH: {
        const char *to = task_name(tl, e->obj);
        char v[32];
        if (e->a == TL_STOP_ITERATION)
            snprintf(v, sizeof v, "StopIteration");
        else
            snprintf(v, sizeof v, "%lld", (long long)e->a);
        switch (e->sub) {
        case TSW_NEXT: SB("next(): %s runs to its next yield (in user space, no syscall)", to); break;
        case TSW_SEND: SB("send(%s): %s runs on, its yield returns %s", v, to, v); break;
        case TSW_YIELD: SB("yield %s: suspended here, %s gets %s", v, to, v); break;
        case TSW_STOP: SB("the generator is done: StopIteration for %s", to); break;
        case TSW_SWITCH: SB("switch(%s): %s runs", v, to); break;
        case TSW_WAIT:
            if (e->a >= 0)
                SB("would block on fd %lld: a watcher is started, switch to %s", (long long)e->a, to);
            else if (e->a == -1)
                SB("gevent.sleep: a timer is started, switch to %s", to);
            else if (e->a == -2)
                SB("gevent.sleep(0): a callback is queued, switch to %s", to);
            else
                SB("join: waits for the end of a greenlet, switch to %s", to);
            break;
        case TSW_READY:
            if (e->a >= 0)
                SB("fd %lld is ready: the hub switches to %s, which tries again", (long long)e->a, to);
            else if (e->a == -1)
                SB("the timer is due: the hub switches to %s", to);
            else
                SB("the hub runs a callback: it switches to %s", to);
            break;
        case TSW_START: SB("the hub runs a callback: %s starts (gevent.spawn)", to); break;
        default: SB("the greenlet is done: back to its parent %s", to); break;
        }
        break;
    }
    case EV_CALL: {
        const char *h = e->b >= 0 && e->b < tl->nstrs ? tl->strs[e->b] : "?";
        if (e->sub == TCALL_CALL)
            SB("call %s(%lld): a function call in this task (user space, no "
               "syscall)", h, (long long)e->a);
        else
            SB("%s returns", h);
        break;
    }
    default:
        SB("(unknown event %d)", e->type);
        break;
    }
}

char *tl_ev_text(char *buf, size_t len, const struct tl *tl, long i)
{
    struct sb sb;
    sb_init(&sb, buf, len);
    ev_text(&sb, tl, i);
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

/*
 * Text from a scenario (captions, say) goes to a terminal as often as to
 * a file: its control characters must not reach it raw (ESC could set the
 * window title or clear the screen, CR hide what came before, a newline
 * break the one-event-a-line format).  They are written as C escapes, as
 * strace does: \n \t \r, and octal \033 for the other C0 controls, DEL
 * and the C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F).  A backslash
 * stays as it is: a call read from an strace log is escaped already.
 */
static void dump_text(struct obuf *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *run;
    for (;;) {
        for (run = p; *p >= 0x20 && *p != 0x7f && *p != 0xc2; p++)
            ;
        ob_mem(o, (const char *)run, (size_t)(p - run));
        if (!*p)
            return;
        int c = *p;
        char oct[8];
        if (c == '\n')
            ob_s(o, "\\n");
        else if (c == '\t')
            ob_s(o, "\\t");
        else if (c == '\r')
            ob_s(o, "\\r");
        else if (c < 0x20 || c == 0x7f) {
            snprintf(oct, sizeof oct, "\\%03o", (unsigned)c);
            ob_s(o, oct);
        } else if (p[1] >= 0x80 && p[1] <= 0x9f) { /* c is 0xc2 */
            snprintf(oct, sizeof oct, "\\%03o", (unsigned)p[1]);
            ob_s(o, "\\302");
            ob_s(o, oct);
            p++;
        } else
            ob_c(o, (char)c);
        p++;
    }
}

/* "%lld.%09lld %-*s " of the time and the task */
static void dump_head(struct obuf *o, int64_t t, int w, const char *who)
{
    if (t >= 0) {
        ob_i64(o, t / 1000000000);
        ob_c(o, '.');
        ob_u0(o, (uint64_t)(t % 1000000000), 9);
    } else {
        char ts[48];
        snprintf(ts, sizeof ts, "%lld.%09lld", (long long)(t / 1000000000),
                 (long long)(t % 1000000000));
        ob_s(o, ts);
    }
    ob_c(o, ' ');
    ob_pad(o, who, w);
    ob_c(o, ' ');
}

/* The line's text is made in place, in the buffer (at most DUMP_TEXT
 * bytes); only a text with a byte to escape is copied out and escaped */
#define DUMP_TEXT (TL_TEXT_MAX + 1024)

static struct sb dump_sb(struct obuf *o)
{
    struct sb sb;
    sb_init(&sb, ob_room(o, DUMP_TEXT + 1), DUMP_TEXT);
    return sb;
}

static void dump_end(struct obuf *o, const struct sb *sb)
{
    const unsigned char *p = (const unsigned char *)sb->p;
    size_t k = 0;
    while (k < sb->n && p[k] >= 0x20 && p[k] != 0x7f && p[k] != 0xc2)
        k++;
    if (k == sb->n)
        o->n += k;
    else {
        char text[DUMP_TEXT];
        memcpy(text, sb->p, sb->n + 1);
        dump_text(o, text);
    }
    ob_c(o, '\n');
}

/* A failed write's reason (ENOSPC on a full disk), else EIO */
static int out_err(struct obuf *o)
{
    int rc = ob_flush(o);
    free(o);
    return rc ? rc : -EIO;
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
    struct obuf *o = malloc(sizeof *o);
    if (!o)
        return -ENOMEM;
    ob_init(o, out);
    for (size_t i = 0; i < tl->nev && !o->err; i++) {
        const struct tl_ev *e = &tl->ev[i];
        const char *who = e->task == TL_NOTASK ? "-" : task_name(tl, e->task);
        size_t j = e->type == EV_SYS_ENTER ? call_end(tl, i) : 0;
        dump_head(o, e->t, w, who);
        struct sb sb = dump_sb(o);
        if (!j) {
            ev_text(&sb, tl, (long)i);
            dump_end(o, &sb);
            continue;
        }
        /* strace prints a syscall that nothing interrupts on one line, at
         * its start; its effects follow */
        const struct tl_ev *x = &tl->ev[j];
        struct sb c = sb_rest(&sb, TL_TEXT_MAX);
        if (epoll_split(tl, e) && x->sub == e->sub) {
            sb_s(&c, "epoll_wait(");
            sb_i(&c, e->obj);
            sb_s(&c, ", ");
            epoll_args(&c, tl, e, x);
            sb_mem(&c, ")", 1);
        } else if (wait_split(tl, e) && x->sub == e->sub) {
            sb_s(&c, "wait4(");
            sb_i(&c, e->obj > 0 ? e->obj : -1);
            sb_s(&c, ", ");
            wait_args(&c, tl, x);
        } else {
            enter_text(&c, tl, e);
        }
        sb_join(&sb, &c);
        ret_tail(&sb, tl, e->sub, e->a, x);
        dump_end(o, &sb);
        for (size_t k = i + 1; k < j; k++) {
            const struct tl_ev *y = &tl->ev[k];
            dump_head(o, y->t, w, y->task == TL_NOTASK ? "-" : task_name(tl, y->task));
            sb = dump_sb(o);
            ev_text(&sb, tl, (long)k);
            dump_end(o, &sb);
        }
        i = j;
    }
    if (tl->note) {
        ob_s(o, "# ");
        dump_text(o, tl->note);
        ob_c(o, '\n');
    }
    if (ob_flush(o))
        return out_err(o);
    free(o);
    return 0;
}
