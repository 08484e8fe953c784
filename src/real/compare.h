/*
 * compare.h - the simulated and the real timeline of one scenario, aligned.
 *
 * real_compare() pairs the tasks of the two timelines by name and aligns
 * each pair's syscalls (compare.c says what is and is not compared); the
 * rows it makes point at SYS_ENTER events of either timeline.  Both
 * timelines must outlive the struct real_cmp.
 */
#ifndef IOSIM_COMPARE_H
#define IOSIM_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "tl/tl.h"

enum real_cmp_mark {
    REAL_CMP_SAME,    /* the same call with the same kind of result */
    REAL_CMP_DIFF,    /* a call on one side only */
    REAL_CMP_ALLOWED, /* one side only, a documented difference */
    REAL_CMP_RESULT,  /* the same call, another result */
    REAL_CMP_MOVED,   /* one side only here, the other side's elsewhere in
                         the task: the order of independent events */
};

struct real_cmp_row {
    int sim_task, real_task;  /* task indexes, -1 where the other has none */
    long sim_ev, real_ev;     /* SYS_ENTER events, -1 for none */
    int mark;                 /* enum real_cmp_mark */
};

struct real_cmp {
    const struct tl *sim, *real;
    struct real_cmp_row *rows;
    size_t n, cap;
    int ndiff, nresult, nallowed, nmoved;
    int missing; /* simulated tasks with calls that the real run lacks */
    int extra;   /* real tasks with calls that the simulation lacks */
};

int real_compare(const struct tl *sim, const struct tl *real, struct real_cmp *c);
/* 1 if there is no divergence and no different result */
int real_compare_agree(const struct real_cmp *c);
/* The alignment as text, a row a call; 0 or -EIO */
int real_compare_dump(const struct real_cmp *c, FILE *f);
void real_compare_free(struct real_cmp *c);

#endif
