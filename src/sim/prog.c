/*
 * prog.c - what every user of a compiled scenario needs: freeing it and
 * naming its operations.  The compiler itself is scn*.c (scn_int.h).
 */
#include <stdlib.h>

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
    prog_free_strv(p->kinds, p->nkinds);
    free(p);
}
