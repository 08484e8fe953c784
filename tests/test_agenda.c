/*
 * test_agenda.c - the engine's agenda takes items in (time, sequence)
 * order, whether they went to its FIFO (due now) or its heap, as one
 * sorted list of every item would give them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/agenda.h"

struct ref {
    int64_t t;
    uint64_t seq;
    int32_t id;
};

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Insert r into v[0..n), kept in descending (t, seq) order */
static void ref_insert(struct ref *v, int n, struct ref r)
{
    int i = n;
    while (i > 0 && ref_cmp(&v[i - 1], &r) < 0) {
        v[i] = v[i - 1];
        i--;
    }
    v[i] = r;
}

/* A simulation's pattern: pop the earliest, push a few items, some due
 * now, some later (many at the same later instant) */
static void test_order(void **state)
{
    (void)state;
    enum { N = 60000, CAP = 600 };
    struct agq q;
    ag_init(&q);
    struct ref *pending = malloc(N * sizeof *pending); /* latest first */
    assert_non_null(pending);
    int np = 0, id = 0, taken = 0, drain = 0;
    uint64_t seq = 0;
    int64_t now = 0;
    srand(7);
    while (id < N || np > 0) {
        int k = drain || id >= N ? 0 : rand() % 4;
        for (int j = 0; j < k && id < N; j++) {
            int64_t t = now;
            int r = rand() % 8;
            if (r >= 3)
                t = now + (r == 3 ? 1000 : rand() % 50000);
            struct agenda it = {.t = t, .kind = id % 10, .task = id,
                                .obj = -id, .obj2 = id * 3,
                                .a = (int64_t)id << 33,
                                .gen = (uint32_t)id ^ 0x5a5a};
            assert_int_equal(ag_push(&q, &it, now), 0);
            ref_insert(pending, np++, (struct ref){t, seq++, id++});
        }
        if (np > CAP) /* empty it now and then, as a run's end does */
            drain = 1;
        if (np == 0) {
            drain = 0;
            continue;
        }
        struct ref want = pending[--np];
        struct agenda out;
        assert_int_equal(ag_next_task(&q), want.id); /* the key's task */
        assert_int_equal(ag_pop(&q, &out), 0);
        assert_int_equal(out.task, want.id);
        assert_int_equal(out.t, want.t);
        assert_int_equal(out.seq, want.seq);
        assert_int_equal(out.kind, want.id % 10);
        assert_int_equal(out.obj, -want.id);
        assert_int_equal(out.obj2, want.id * 3);
        assert_true(out.a == (int64_t)want.id << 33);
        assert_int_equal(out.gen, (uint32_t)want.id ^ 0x5a5a);
        assert_int_equal(ag_pending(&q), np);
        now = out.t;
        taken++;
    }
    struct agenda out;
    assert_int_equal(ag_pop(&q, &out), -1);
    assert_int_equal(taken, N);
    assert_true(ag_bytes(&q) > 0);
    free(pending);
    ag_free(&q);
}

/* Items due now wait behind items of the same instant scheduled earlier
 * (which are in the heap), and ahead of later ones */
static void test_now_behind_heap(void **state)
{
    (void)state;
    struct agq q;
    ag_init(&q);
    struct agenda it = {.t = 100, .task = 1};
    assert_int_equal(ag_push(&q, &it, 0), 0);   /* heap: due later */
    it.t = 200, it.task = 2;
    assert_int_equal(ag_push(&q, &it, 0), 0);
    struct agenda out;
    assert_int_equal(ag_pop(&q, &out), 0);
    assert_int_equal(out.task, 1);
    it.t = 100, it.task = 3; /* now = 100: the FIFO */
    assert_int_equal(ag_push(&q, &it, 100), 0);
    it.t = 150, it.task = 4;
    assert_int_equal(ag_push(&q, &it, 100), 0);
    int want[] = {3, 4, 2};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ag_pop(&q, &out), 0);
        assert_int_equal(out.task, want[i]);
    }
    assert_int_equal(ag_pop(&q, &out), -1);
    ag_free(&q);
}

/* The next item's task comes from its key: none (-1), or past the key's
 * field (-1 too, while the item keeps it); an item later than a key holds
 * is taken last, at AG_T_MAX */
static void test_key_edges(void **state)
{
    (void)state;
    struct agq q;
    ag_init(&q);
    struct agenda it = {.t = INT64_MAX / 2, .task = 5};
    assert_int_equal(ag_push(&q, &it, 0), 0);
    it.t = AG_T_MAX - 1, it.task = -1;
    assert_int_equal(ag_push(&q, &it, 0), 0);
    it.t = 10, it.task = 1 << AG_TASK_BITS;
    assert_int_equal(ag_push(&q, &it, 0), 0);
    it.t = 10, it.task = (1 << AG_TASK_BITS) - 2; /* the largest it holds */
    assert_int_equal(ag_push(&q, &it, 0), 0);
    struct agenda out;
    assert_int_equal(ag_next_task(&q), -1);
    assert_int_equal(ag_pop(&q, &out), 0);
    assert_int_equal(out.task, 1 << AG_TASK_BITS);
    assert_int_equal(out.t, 10);
    assert_int_equal(ag_next_task(&q), (1 << AG_TASK_BITS) - 2);
    assert_int_equal(ag_pop(&q, &out), 0);
    assert_int_equal(ag_next_task(&q), -1);
    assert_int_equal(ag_pop(&q, &out), 0);
    assert_int_equal(out.task, -1);
    assert_true(out.t == AG_T_MAX - 1);
    assert_int_equal(ag_next_task(&q), 5);
    assert_int_equal(ag_pop(&q, &out), 0);
    assert_true(out.t == AG_T_MAX);
    assert_int_equal(out.task, 5);
    assert_int_equal(ag_next_task(&q), -1);
    ag_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_now_behind_heap),
        cmocka_unit_test(test_key_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
