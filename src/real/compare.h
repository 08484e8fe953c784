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

/* Why a row is an allowed difference (docs/real.md, "What the comparison
 * compares") */
enum real_cmp_why {
    REAL_WHY_NONE,
    REAL_WHY_BATCH,  /* a wait that returned ready fds on one side only */
    REAL_WHY_JOIN,   /* pthread_join's futex of a thread already gone */
    REAL_WHY_SPLIT,  /* the same bytes split otherwise across reads */
    REAL_WHY_EAGAIN, /* a non-blocking call that found nothing, one side */
    REAL_WHY_ORDER,  /* REAL_CMP_MOVED: the order of independent arrivals */
    REAL_WHY_READY,  /* not allowed (a divergence): a wait on one side only
                        whose task's waits returned other fds or events than
                        the other side's, not only batched otherwise */
};

struct real_cmp_row {
    int sim_task, real_task;  /* task indexes, -1 where the other has none */
    long sim_ev, real_ev;     /* SYS_ENTER events, -1 for none */
    int mark;                 /* enum real_cmp_mark */
    int why;                  /* enum real_cmp_why */
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

/* 1 if the row is a divergence: a call on one side only, or the same call
 * with another result (what makes real_compare_agree() false) */
int real_compare_diverges(const struct real_cmp_row *r);
/* "read(5) = 100", "accept(3) = -1 EAGAIN", "epoll_wait(4) = ?" for the
 * SYS_ENTER event ev of tl */
void real_compare_call_text(const struct tl *tl, long ev, char *buf, size_t len);
/*
 * Row i in words, for the viewer's caption: what differs ("The simulation
 * predicts server's accept(3) = 5; the real run made no such call."), and
 * why where it is known: the rule of docs/real.md that allows it, what the
 * real timeline shows (a connect refused before any listen), or what
 * docs/real.md says of the scenario (real_compare_known).  why is "" when
 * no reason is known; a row that is the same on both sides says so.
 */
void real_compare_explain(const struct real_cmp *c, size_t i, char *what,
                          size_t wlen, char *why, size_t ylen);
/* What docs/real.md says makes a shipped scenario differ when run for
 * real, by the file's name (path and .scn ignored); NULL if nothing */
const char *real_compare_known(const char *source);

#endif
