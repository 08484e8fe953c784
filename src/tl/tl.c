/*
 * tl.c - timeline storage and the names of its vocabulary.
 */
#include "tl/tl.h"
#include "tl/linux_sys.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct tl *tl_new(void)
{
    struct tl *tl = calloc(1, sizeof *tl);
    if (!tl)
        return NULL;
    tl->ncpus = 1;
    /* queue 0 is always the run queue (world.h relies on it) */
    if (tl_add_queue(tl, "run queue", TQK_RUN, -1) != 0) {
        free(tl);
        return NULL;
    }
    return tl;
}

void tl_free(struct tl *tl)
{
    if (!tl)
        return;
    while (tl->names) { /* the task names' blocks */
        char *b = tl->names;
        memcpy(&tl->names, b, sizeof(char *));
        free(b);
    }
    for (int i = 0; i < tl->nqueues; i++)
        free(tl->queues[i].name);
    /* equal texts share a copy: free each once, from the id that has it */
    for (int i = 0; i < tl->nstrs; i++)
        if (tl->strown[i >> 3] & (1u << (i & 7)))
            free(tl->strs[i]);
    free(tl->strown);
    for (int i = 0; i < tl->nscripts; i++) {
        for (int j = 0; j < tl->scripts[i].nlines; j++)
            free(tl->scripts[i].lines[j]);
        free(tl->scripts[i].lines);
        free(tl->scripts[i].title);
    }
    free(tl->scripts);
    free(tl->strs);
    free(tl->strhash);
    free(tl->queues);
    free(tl->objs);
    free(tl->tasks);
    free(tl->ev);
    free(tl->title);
    free(tl->source);
    free(tl->model);
    free(tl->note);
    free(tl);
}

/* Grow *arr (of *cap elements of size sz) to hold n+1; 0 or -ENOMEM */
static int grow(void **arr, int *cap, int n, size_t sz)
{
    if (n < *cap)
        return 0;
    int ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)ncap * sz);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

int tl_grow(void *pv, int *cap, int need, size_t size)
{
    void **p = pv;
    if (need <= *cap)
        return 0;
    int n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

/* Make the pages of the next EV_AHEAD bytes of the event block resident
 * at once.  A first write to each 4 KiB page is otherwise a page fault of
 * its own (a fifth of a long run's CPU time went to them); one
 * madvise(MADV_POPULATE_WRITE) over many pages is cheaper, and touches
 * only what the next events will use, never past the producer's limit
 * (tl->evmax: a run stopped by `events` would pay up to 2 MiB for nothing).
 * Kernels before 5.14 say EINVAL, and the pages fault in one by one as
 * before. */
#define EV_AHEAD (2u << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static void ev_populate(struct tl *tl)
{
    uintptr_t page = 4096, base = (uintptr_t)tl->ev;
    uintptr_t a = ((uintptr_t)(tl->ev + tl->nev) + page - 1) & ~(page - 1);
    size_t end = tl->evmax && tl->evmax < tl->evcap ? tl->evmax : tl->evcap;
    uintptr_t e = (uintptr_t)(tl->ev + end) & ~(page - 1);
    if (e > a + EV_AHEAD)
        e = a + EV_AHEAD;
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
    tl->evready = e > a ? (e - base) / sizeof *tl->ev : tl->evcap;
}

long tl_push_slow(struct tl *tl, const struct tl_ev *ev)
{
    if (tl->nev == tl->evcap) {
        size_t ncap = tl->evcap ? tl->evcap * 2 : 1024;
        struct tl_ev *p = realloc(tl->ev, ncap * sizeof *p);
        if (!p)
            return -ENOMEM;
        tl->ev = p;
        tl->evcap = ncap;
        tl->evready = ncap * sizeof *p >= 4 * EV_AHEAD ? tl->nev : ncap;
    }
    if (tl->nev >= tl->evready)
        ev_populate(tl);
    tl->ev[tl->nev] = *ev;
    return (long)tl->nev++;
}

/* Make *arr exactly n elements of sz (a smaller block, when realloc
   gives one) */
static void shrink_to(void **arr, int *cap, int n, size_t sz)
{
    if (n <= 0 || n >= *cap)
        return;
    void *p = realloc(*arr, (size_t)n * sz);
    if (p) {
        *arr = p;
        *cap = n;
    }
}

void tl_shrink(struct tl *tl)
{
    free(tl->strhash);
    tl->strhash = NULL;
    tl->strhashcap = tl->strhashn = 0;
    shrink_to((void **)&tl->tasks, &tl->taskcap, tl->ntasks, sizeof *tl->tasks);
    shrink_to((void **)&tl->objs, &tl->objcap, tl->nobjs, sizeof *tl->objs);
    shrink_to((void **)&tl->queues, &tl->queuecap, tl->nqueues, sizeof *tl->queues);
    shrink_to((void **)&tl->strs, &tl->strcap, tl->nstrs, sizeof *tl->strs);
    shrink_to((void **)&tl->strown, &tl->strowncap, (tl->nstrs + 7) / 8, 1);
    shrink_to((void **)&tl->scripts, &tl->scriptcap, tl->nscripts, sizeof *tl->scripts);
    if (tl->nev == 0 || tl->nev == tl->evcap)
        return;
    struct tl_ev *p = realloc(tl->ev, tl->nev * sizeof *p);
    if (p) {
        tl->ev = p;
        tl->evcap = tl->nev;
        if (tl->evready > tl->evcap)
            tl->evready = tl->evcap;
    }
}

size_t tl_malloc_bytes(size_t n)
{
    if (n == 0)
        return 0;
    size_t b = (n + 8 + 15) & ~(size_t)15;
    return b < 32 ? 32 : b;
}

static size_t str_bytes(const char *s)
{
    return s ? tl_malloc_bytes(strlen(s) + 1) : 0;
}

size_t tl_bytes(const struct tl *tl)
{
    /* the events' block is mmap'd past 128 KiB: pages, no header */
    size_t n = tl_malloc_bytes(sizeof *tl) + tl->evcap * sizeof *tl->ev +
               tl_malloc_bytes((size_t)tl->taskcap * sizeof *tl->tasks) +
               tl_malloc_bytes((size_t)tl->objcap * sizeof *tl->objs) +
               tl_malloc_bytes((size_t)tl->queuecap * sizeof *tl->queues) +
               tl_malloc_bytes((size_t)tl->strcap * sizeof *tl->strs) +
               tl_malloc_bytes((size_t)tl->strowncap) +
               tl_malloc_bytes((size_t)tl->scriptcap * sizeof *tl->scripts) +
               tl_malloc_bytes((size_t)tl->strhashcap * sizeof *tl->strhash) +
               str_bytes(tl->title) + str_bytes(tl->source) +
               str_bytes(tl->model) + str_bytes(tl->note);
    n += tl->names_bytes;
    for (int i = 0; i < tl->nqueues; i++)
        n += str_bytes(tl->queues[i].name);
    n += tl->strbytes;
    for (int i = 0; i < tl->nscripts; i++) {
        const struct tl_script *s = &tl->scripts[i];
        n += str_bytes(s->title) +
             tl_malloc_bytes((size_t)(s->nlines > 0 ? s->nlines : 1) * sizeof *s->lines);
        for (int j = 0; j < s->nlines; j++)
            n += str_bytes(s->lines[j]);
    }
    return n;
}

int tl_set_str(char **dst, const char *s)
{
    char *c = s ? strdup(s) : NULL;
    if (s && !c)
        return -ENOMEM;
    free(*dst);
    *dst = c;
    return 0;
}

/* Task names are copied into blocks of NAMES_BLOCK bytes (10,000 peers'
 * names were as many malloc'd blocks of 32 bytes); a block starts with
 * the address of the one made before it, for tl_free */
#define NAMES_BLOCK 16384

static char *name_copy(struct tl *tl, const char *s)
{
    size_t n = strlen(s) + 1;
    if (n > tl->names_left) {
        size_t sz = sizeof(char *) + n > NAMES_BLOCK ? sizeof(char *) + n
                                                     : NAMES_BLOCK;
        char *b = malloc(sz);
        if (!b)
            return NULL;
        memcpy(b, &tl->names, sizeof(char *));
        tl->names = b;
        tl->names_at = b + sizeof(char *);
        tl->names_left = sz - sizeof(char *);
        tl->names_bytes += tl_malloc_bytes(sz);
    }
    char *d = tl->names_at;
    memcpy(d, s, n);
    tl->names_at += n;
    tl->names_left -= n;
    return d;
}

int tl_add_task(struct tl *tl, const char *name, int kind, int parent, int proc,
                int script)
{
    if (grow((void **)&tl->tasks, &tl->taskcap, tl->ntasks, sizeof *tl->tasks))
        return -ENOMEM;
    struct tl_task *t = &tl->tasks[tl->ntasks];
    memset(t, 0, sizeof *t);
    if (name && !(t->name = name_copy(tl, name)))
        return -ENOMEM;
    t->kind = (uint8_t)kind;
    t->parent = parent;
    t->proc = proc < 0 ? tl->ntasks : proc;
    t->script = script;
    return tl->ntasks++;
}

void tl_task_set_module(struct tl *tl, int task, int module)
{
    if (task >= 0 && task < tl->ntasks)
        tl->tasks[task].module = (uint8_t)module;
}

const char *tl_module_name(int module)
{
    return module == TL_MOD_MAIN ? "__main__"
           : module == TL_MOD_MP_MAIN ? "__mp_main__" : NULL;
}

int tl_add_obj(struct tl *tl, const struct tl_obj *o)
{
    if (grow((void **)&tl->objs, &tl->objcap, tl->nobjs, sizeof *tl->objs))
        return -ENOMEM;
    tl->objs[tl->nobjs] = *o;
    return tl->nobjs++;
}

int tl_add_queue(struct tl *tl, const char *name, int kind, int owner)
{
    if (grow((void **)&tl->queues, &tl->queuecap, tl->nqueues,
             sizeof *tl->queues))
        return -ENOMEM;
    struct tl_queue *q = &tl->queues[tl->nqueues];
    memset(q, 0, sizeof *q);
    if (tl_set_str(&q->name, name))
        return -ENOMEM;
    q->kind = (uint8_t)kind;
    q->owner = owner;
    return tl->nqueues++;
}

/*
 * Equal texts share one copy: a producer that words the same array or
 * message thousands of times (an epoll server's epoll_wait returning the
 * listening socket) adds it thousands of times, each with an id of its
 * own (ids are part of what the exports write: TL_MSG items), all
 * pointing at the first one's text.  The table that finds it (open
 * addressing, ids + 1, at most half full) lives while the timeline is
 * produced; tl_shrink frees it and the next tl_add_str rebuilds it.
 */
static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int strhash_grow(struct tl *tl)
{
    /* rebuilt after tl_shrink: as many texts as ids, at most */
    int need = tl->strhash ? tl->strhashn : tl->nstrs;
    int cap = tl->strhashcap ? tl->strhashcap * 2 : 64;
    while (cap < 2 * (need + 1))
        cap *= 2;
    int32_t *h = calloc((size_t)cap, sizeof *h);
    if (!h)
        return -ENOMEM;
    int n = 0;
    for (int i = 0; i < tl->nstrs; i++) {
        if (!tl->strs[i])
            continue;
        uint32_t k = str_hash(tl->strs[i]) & (uint32_t)(cap - 1);
        while (h[k] && strcmp(tl->strs[h[k] - 1], tl->strs[i]))
            k = (k + 1) & (uint32_t)(cap - 1);
        if (!h[k]) {
            h[k] = i + 1;
            n++;
        }
    }
    tl->strhashn = n;
    free(tl->strhash);
    tl->strhash = h;
    tl->strhashcap = cap;
    return 0;
}

/* Room for one more string id: its pointer and its owner bit */
static int str_room(struct tl *tl)
{
    if (grow((void **)&tl->strs, &tl->strcap, tl->nstrs, sizeof *tl->strs))
        return -ENOMEM;
    if (tl->nstrs / 8 >= tl->strowncap) {
        int ncap = (tl->strcap + 7) / 8;
        uint8_t *p = realloc(tl->strown, (size_t)ncap);
        if (!p)
            return -ENOMEM;
        memset(p + tl->strowncap, 0, (size_t)(ncap - tl->strowncap));
        tl->strown = p;
        tl->strowncap = ncap;
    }
    return 0;
}

int tl_add_str(struct tl *tl, const char *s)
{
    if (str_room(tl))
        return -ENOMEM;
    tl->strs[tl->nstrs] = NULL;
    if (!s)
        return tl->nstrs++;
    if (2 * (tl->strhashn + 1) > tl->strhashcap && strhash_grow(tl))
        return -ENOMEM;
    uint32_t mask = (uint32_t)tl->strhashcap - 1, k = str_hash(s) & mask;
    for (; tl->strhash[k]; k = (k + 1) & mask)
        if (!strcmp(tl->strs[tl->strhash[k] - 1], s)) {
            tl->strs[tl->nstrs] = tl->strs[tl->strhash[k] - 1];
            return tl->nstrs++;
        }
    if (tl_set_str(&tl->strs[tl->nstrs], s))
        return -ENOMEM;
    tl->strown[tl->nstrs >> 3] |= (uint8_t)(1u << (tl->nstrs & 7));
    tl->strbytes += str_bytes(s);
    tl->strhash[k] = tl->nstrs + 1;
    tl->strhashn++;
    return tl->nstrs++;
}

int tl_add_str_again(struct tl *tl, int id)
{
    if (id < 0 || id >= tl->nstrs || !tl->strs[id])
        return -EINVAL;
    if (str_room(tl))
        return -ENOMEM;
    tl->strs[tl->nstrs] = tl->strs[id];
    return tl->nstrs++;
}

int tl_add_script(struct tl *tl, const char *title, char **lines, int n)
{
    if (grow((void **)&tl->scripts, &tl->scriptcap, tl->nscripts,
             sizeof *tl->scripts))
        return -ENOMEM;
    struct tl_script *s = &tl->scripts[tl->nscripts];
    memset(s, 0, sizeof *s);
    s->lines = calloc(n > 0 ? (size_t)n : 1, sizeof *s->lines);
    if (!s->lines || tl_set_str(&s->title, title))
        goto err;
    for (int i = 0; i < n; i++) {
        if (tl_set_str(&s->lines[i], lines[i] ? lines[i] : ""))
            goto err;
        s->nlines = i + 1;
    }
    return tl->nscripts++;
err:
    for (int i = 0; i < s->nlines; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s->title);
    return -ENOMEM;
}

/* ---- names -------------------------------------------------------------- */

static const char *const ev_names[] = {
#define X(e, j, h) j,
    TL_EVENTS(X)
#undef X
};
static const char *const ev_helps[] = {
#define X(e, j, h) h,
    TL_EVENTS(X)
#undef X
};
static const char *const sys_names[] = {
#define X(e, n) n,
    TL_SYSCALLS(X)
#undef X
};
static const char *const state_names[] = {
#define X(e, n, h) n,
    TL_STATES(X)
#undef X
};
static const char *const wait_names[] = {
#define X(e, n) n,
    TL_WAITS(X)
#undef X
};
static const char *const task_kind_names[] = {
#define X(e, n) n,
    TL_TASK_KINDS(X)
#undef X
};
static const char *const obj_kind_names[] = {
#define X(e, n) n,
    TL_OBJ_KINDS(X)
#undef X
};

#define NAME_OR(arr, i, cnt) ((i) >= 0 && (i) < (cnt) ? (arr)[i] : "?")

const char *tl_ev_name(int t) { return NAME_OR(ev_names, t, EV__COUNT); }
const char *tl_ev_help(int t) { return NAME_OR(ev_helps, t, EV__COUNT); }
/* Linux's names by x86_64 number; gaps are NULL */
static const char *const linux_sys_names[TL_LINUX_NSYS] = {
#define X(nr, n) [nr] = n,
    TL_LINUX_SYSCALLS(X)
#undef X
};

const char *tl_sys_name(int s)
{
    if (s >= 0 && s < SYS__COUNT)
        return sys_names[s];
    if (s >= TL_SYS_LINUX && s < TL_SYS_ALL && linux_sys_names[s - TL_SYS_LINUX])
        return linux_sys_names[s - TL_SYS_LINUX];
    return "?";
}

int tl_sys_of_nr(int nr)
{
    if (nr < 0 || nr >= TL_LINUX_NSYS || !linux_sys_names[nr])
        return -1;
    int m = tl_sys_lookup(linux_sys_names[nr]);
    return m >= 0 && m < SYS__COUNT ? m : TL_SYS_LINUX + nr;
}
const char *tl_state_name(int s) { return NAME_OR(state_names, s, TS__COUNT); }
const char *tl_wait_name(int w) { return NAME_OR(wait_names, w, TW__COUNT); }
const char *tl_task_kind_name(int k)
{
    return NAME_OR(task_kind_names, k, TK__COUNT);
}
const char *tl_obj_kind_name(int k)
{
    return NAME_OR(obj_kind_names, k, OK__COUNT);
}

int tl_sys_lookup(const char *name)
{
    for (int i = 0; i < SYS__COUNT; i++)
        if (strcmp(sys_names[i], name) == 0)
            return i;
    for (int nr = 0; nr < TL_LINUX_NSYS; nr++)
        if (linux_sys_names[nr] && strcmp(linux_sys_names[nr], name) == 0)
            return TL_SYS_LINUX + nr;
    return -1;
}

/* Linux's errnos (asm-generic/errno-base.h, errno.h) and the kernel's
 * own restart codes that strace shows (include/linux/errno.h). */
#define TL_ERRNOS(X) \
    X(EPERM, 1) X(ENOENT, 2) X(ESRCH, 3) X(EINTR, 4) X(EIO, 5) X(ENXIO, 6) \
    X(E2BIG, 7) X(ENOEXEC, 8) X(EBADF, 9) X(ECHILD, 10) X(EAGAIN, 11) \
    X(ENOMEM, 12) X(EACCES, 13) X(EFAULT, 14) X(ENOTBLK, 15) X(EBUSY, 16) \
    X(EEXIST, 17) X(EXDEV, 18) X(ENODEV, 19) X(ENOTDIR, 20) X(EISDIR, 21) \
    X(EINVAL, 22) X(ENFILE, 23) X(EMFILE, 24) X(ENOTTY, 25) X(ETXTBSY, 26) \
    X(EFBIG, 27) X(ENOSPC, 28) X(ESPIPE, 29) X(EROFS, 30) X(EMLINK, 31) \
    X(EPIPE, 32) X(EDOM, 33) X(ERANGE, 34) X(EDEADLK, 35) \
    X(ENAMETOOLONG, 36) X(ENOLCK, 37) X(ENOSYS, 38) X(ENOTEMPTY, 39) \
    X(ELOOP, 40) X(ENOMSG, 42) X(EIDRM, 43) X(ECHRNG, 44) X(EL2NSYNC, 45) \
    X(EL3HLT, 46) X(EL3RST, 47) X(ELNRNG, 48) X(EUNATCH, 49) X(ENOCSI, 50) \
    X(EL2HLT, 51) X(EBADE, 52) X(EBADR, 53) X(EXFULL, 54) X(ENOANO, 55) \
    X(EBADRQC, 56) X(EBADSLT, 57) X(EBFONT, 59) X(ENOSTR, 60) \
    X(ENODATA, 61) X(ETIME, 62) X(ENOSR, 63) X(ENONET, 64) X(ENOPKG, 65) \
    X(EREMOTE, 66) X(ENOLINK, 67) X(EADV, 68) X(ESRMNT, 69) X(ECOMM, 70) \
    X(EPROTO, 71) X(EMULTIHOP, 72) X(EDOTDOT, 73) X(EBADMSG, 74) \
    X(EOVERFLOW, 75) X(ENOTUNIQ, 76) X(EBADFD, 77) X(EREMCHG, 78) \
    X(ELIBACC, 79) X(ELIBBAD, 80) X(ELIBSCN, 81) X(ELIBMAX, 82) \
    X(ELIBEXEC, 83) X(EILSEQ, 84) X(ERESTART, 85) X(ESTRPIPE, 86) \
    X(EUSERS, 87) X(ENOTSOCK, 88) X(EDESTADDRREQ, 89) X(EMSGSIZE, 90) \
    X(EPROTOTYPE, 91) X(ENOPROTOOPT, 92) X(EPROTONOSUPPORT, 93) \
    X(ESOCKTNOSUPPORT, 94) X(EOPNOTSUPP, 95) X(EPFNOSUPPORT, 96) \
    X(EAFNOSUPPORT, 97) X(EADDRINUSE, 98) X(EADDRNOTAVAIL, 99) \
    X(ENETDOWN, 100) X(ENETUNREACH, 101) X(ENETRESET, 102) \
    X(ECONNABORTED, 103) X(ECONNRESET, 104) X(ENOBUFS, 105) \
    X(EISCONN, 106) X(ENOTCONN, 107) X(ESHUTDOWN, 108) \
    X(ETOOMANYREFS, 109) X(ETIMEDOUT, 110) X(ECONNREFUSED, 111) \
    X(EHOSTDOWN, 112) X(EHOSTUNREACH, 113) X(EALREADY, 114) \
    X(EINPROGRESS, 115) X(ESTALE, 116) X(EUCLEAN, 117) X(ENOTNAM, 118) \
    X(ENAVAIL, 119) X(EISNAM, 120) X(EREMOTEIO, 121) X(EDQUOT, 122) \
    X(ENOMEDIUM, 123) X(EMEDIUMTYPE, 124) X(ECANCELED, 125) \
    X(ENOKEY, 126) X(EKEYEXPIRED, 127) X(EKEYREVOKED, 128) \
    X(EKEYREJECTED, 129) X(EOWNERDEAD, 130) X(ENOTRECOVERABLE, 131) \
    X(ERFKILL, 132) X(EHWPOISON, 133) \
    X(ERESTARTSYS, 512) X(ERESTARTNOINTR, 513) X(ERESTARTNOHAND, 514) \
    X(ENOIOCTLCMD, 515) X(ERESTART_RESTARTBLOCK, 516) X(EPROBE_DEFER, 517) \
    X(EOPENSTALE, 518) X(ENOPARAM, 519) X(EBADHANDLE, 521) \
    X(ENOTSYNC, 522) X(EBADCOOKIE, 523) X(ENOTSUPP, 524) X(ETOOSMALL, 525) \
    X(ESERVERFAULT, 526) X(EBADTYPE, 527) X(EJUKEBOX, 528) \
    X(EIOCBQUEUED, 529) X(ERECALLCONFLICT, 530)

static const struct {
    const char *name;
    int val;
} errnos[] = {
#define X(n, v) {#n, v},
    TL_ERRNOS(X)
#undef X
    /* other names glibc gives the same numbers */
    {"EWOULDBLOCK", 11}, {"EDEADLOCK", 35}, {"ENOTSUP", 95},
};

const char *tl_errno_name(int64_t ret)
{
    if (ret >= 0)
        return NULL;
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (-ret == errnos[i].val)
            return errnos[i].name;
    return "E?";
}

int tl_errno_value(const char *name)
{
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (strcmp(errnos[i].name, name) == 0)
            return -errnos[i].val;
    return 0;
}
