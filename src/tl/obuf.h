/*
 * obuf.h - a large output buffer and hand-written formatters for the
 * exports.
 *
 * `--dump` and `--export json` write a line per event, millions of them;
 * through fprintf, libc's format interpreter (vfprintf) was most of their
 * time.  The exports append into a 64 KiB buffer with these functions
 * (strings copied, integers converted two digits at a time) and hand it
 * to fwrite when it is full.  The text is the same as printf's: ob_i64 is
 * "%lld", ob_u0(v, 9) is "%09llu", ob_pad(s, w) is "%-*s".
 *
 * One struct obuf per output; nothing else may write to its FILE between
 * ob_init() and ob_flush().  A failed fwrite is remembered in err (-errno,
 * or -EIO) and later appends are dropped.
 */
#ifndef IOSIM_OBUF_H
#define IOSIM_OBUF_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define OBUF_SIZE 65536

struct obuf {
    FILE *f;
    size_t n;
    int err;
    char buf[OBUF_SIZE];
};

static inline void ob_init(struct obuf *o, FILE *f)
{
    o->f = f;
    o->n = 0;
    o->err = 0;
}

/* write what is buffered; returns 0 or the first failure */
static inline int ob_flush(struct obuf *o)
{
    if (o->n && !o->err) {
        errno = 0;
        if (fwrite(o->buf, 1, o->n, o->f) != o->n)
            o->err = errno > 0 ? -errno : -EIO;
    }
    o->n = 0;
    return o->err;
}

/* room for k more bytes (k <= OBUF_SIZE) */
static inline char *ob_room(struct obuf *o, size_t k)
{
    if (o->n + k > OBUF_SIZE)
        ob_flush(o);
    return o->buf + o->n;
}

static inline void ob_mem(struct obuf *o, const char *s, size_t k)
{
    while (k > OBUF_SIZE / 2) { /* a long string: in pieces */
        ob_mem(o, s, OBUF_SIZE / 2);
        s += OBUF_SIZE / 2;
        k -= OBUF_SIZE / 2;
    }
    memcpy(ob_room(o, k), s, k);
    o->n += k;
}

static inline void ob_s(struct obuf *o, const char *s)
{
    ob_mem(o, s, strlen(s));
}

static inline void ob_c(struct obuf *o, char c)
{
    *ob_room(o, 1) = c;
    o->n++;
}

/* the decimal digits of v, at least w of them (zeros in front), ending at
 * end; returns where they start.  end must have 20 bytes before it. */
static inline char *ob_digits(char *end, uint64_t v, int w)
{
    static const char two[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char *p = end;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = two[d + 1];
        *--p = two[d];
    }
    if (v >= 10) {
        *--p = two[v * 2 + 1];
        *--p = two[v * 2];
    } else
        *--p = (char)('0' + v);
    while (end - p < w)
        *--p = '0';
    return p;
}

/* "%0*llu" (w <= 20) */
static inline void ob_u0(struct obuf *o, uint64_t v, int w)
{
    char t[24], *e = t + sizeof t, *p = ob_digits(e, v, w);
    ob_mem(o, p, (size_t)(e - p));
}

/* "%lld" */
static inline void ob_i64(struct obuf *o, int64_t v)
{
    char t[24], *e = t + sizeof t;
    char *p = ob_digits(e, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 0);
    if (v < 0)
        *--p = '-';
    ob_mem(o, p, (size_t)(e - p));
}

/* "%-*s": s, then spaces up to w bytes */
static inline void ob_pad(struct obuf *o, const char *s, int w)
{
    size_t k = strlen(s);
    ob_mem(o, s, k);
    if ((size_t)w > k && w <= OBUF_SIZE / 2) {
        memset(ob_room(o, (size_t)w - k), ' ', (size_t)w - k);
        o->n += (size_t)w - k;
    }
}

#endif
