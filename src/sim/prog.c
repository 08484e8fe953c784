/*
 * prog.c - what every user of a compiled scenario needs: freeing it and
 * naming its operations.  The compiler itself is scn*.c (scn_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sim/prog.h"

static const char *const op_names[] = {
#define X(e, k, s, h) k,
    PROG_OPS(X)
#undef X
};

const char *prog_op_name(int op)
{
    if (op < 0 || op >= OP__COUNT)
        return "?";
    return op_names[op];
}

static void prog_free_strv(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void prog_free(struct prog *p)
{
    if (!p)
        return;
    free(p->path);
    free(p->title);
    free(p->model);
    free(p->code);
    for (int i = 0; i < p->ntasks; i++) {
        free(p->tasks[i].name);
        prog_free_strv(p->tasks[i].slot_names, p->tasks[i].nslots);
        free(p->tasks[i].slot_shared);
    }
    free(p->tasks);
    for (int i = 0; i < p->ncaptions; i++)
        free(p->captions[i].text);
    free(p->captions);
    prog_free_strv(p->strs, p->nstrs);
    free(p->kinds);
    for (int i = 0; i < p->nlists; i++)
        free(p->lists[i].v);
    free(p->lists);
    prog_free_strv(p->lines, p->nlines);
    for (int i = 0; i < p->nscripts; i++) {
        free(p->scripts[i].title);
        prog_free_strv(p->scripts[i].lines, p->scripts[i].nlines);
    }
    free(p->scripts);
    for (int i = 0; i < p->nhandlers; i++)
        free(p->handlers[i].name);
    free(p->handlers);
    free(p);
}

/* The pickle CPython 3.11 makes of the tuple (kind, v) (protocol 4, the
 * default up to 3.13; 3.14's protocol 5 is the same size here): PROTO 2
 * bytes, FRAME 9, SHORT_BINUNICODE 2 + len, MEMOIZE 1, the int (BININT1
 * 2 bytes for 0..255, BININT2 3 up to 65535, BININT 5 for an int32, else
 * LONG1 2 + its bytes), TUPLE2 1, MEMOIZE 1, STOP 1.  Measured: ('task',
 * 0) is 23 bytes, ('result', 42) 25. */
int64_t prog_pickle_size(const char *kind, int64_t v)
{
    int64_t n = 17 + (int64_t)strlen(kind);
    if (v >= 0 && v <= 255)
        n += 2;
    else if (v >= 0 && v <= 65535)
        n += 3;
    else if (v >= INT32_MIN && v <= INT32_MAX)
        n += 5;
    else { /* LONG1: little-endian two's complement, as short as it goes */
        int b = 1;
        while (b < 8 && (v < -((int64_t)1 << (8 * b - 1)) ||
                         v >= ((int64_t)1 << (8 * b - 1))))
            b++;
        n += 2 + b;
    }
    return n;
}
