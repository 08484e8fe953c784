/*
 * pair.h - the simulation and the real run of one scenario, side by side.
 *
 * A pair holds a viewer over each timeline and their alignment
 * (real/compare.h).  The simulation leads: every key moves the simulated
 * viewer as it would alone, and the pair then puts the real viewer at the
 * counterpart of that position.  The alignment's rows are shown in the
 * simulation's order (a task's rows in the real run only come right after
 * that task's previous row), and one of them is the cursor's row: the call
 * the selected task (after a step, the caption's) has entered last at the
 * simulation's position, or the row a jump (j/k, d/D, a click) chose.
 *
 * Both viewers point at the pair (viewer.pair), which is how the views,
 * the keys and the layout know they are side by side.  The timelines must
 * outlive the pair; the pair owns its viewers and its alignment.
 */
#ifndef IOSIM_UI_PAIR_H
#define IOSIM_UI_PAIR_H

#include "real/compare.h"
#include "ui/viewer.h"

struct ui_pair {
    struct viewer sim, real;
    struct real_cmp cmp;
    long *order; /* display rows: indexes into cmp.rows */
    long *key;   /* per display row: the simulated position that shows it
                    (SYS_ENTER + 1, or the task's previous row's) */
    long n;
    long row;    /* the cursor's display row, -1 before the first */
    long ndiv;   /* rows that diverge (real_compare_diverges) */
    int jumped;  /* the last key chose the row (j/k, d/D, a click): the
                    position does not choose it again */
};

/* Align sim and real and open a viewer over each; 0 or -errno */
int ui_pair_open(struct ui_pair *p, const struct tl *sim, const struct tl *real);
void ui_pair_close(struct ui_pair *p);

/* The simulated viewer moved (from position from): the row and the real
 * viewer follow, unless the move was a jump to a row (p->jumped, which the
 * caller clears before each key) */
void ui_pair_follow(struct ui_pair *p, long from);
/* Put the cursor on display row d: both viewers go to its calls */
int ui_pair_goto_row(struct ui_pair *p, long d);
/* The display row showing the real viewer's position pos (for a switch
 * from the real run alone), and the simulated position of row d */
long ui_pair_row_of_real(const struct ui_pair *p, long pos);
long ui_pair_sim_pos(const struct ui_pair *p, long d);
/* The real position that shows row d when the simulation is at sim_pos:
 * its real call entered, or returned once the simulated call has; for a
 * call the real run did not make, where that task's previous real call is */
long ui_pair_real_pos(const struct ui_pair *p, long d, long sim_pos);
/* The next (dir 1) or previous (-1) diverging display row after d, -1 */
long ui_pair_next_div(const struct ui_pair *p, long d, int dir);
/* Row d of cmp.rows (display row d), NULL if out of range */
const struct real_cmp_row *ui_pair_at(const struct ui_pair *p, long d);

#endif
