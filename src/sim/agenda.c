/*
 * agenda.c - a FIFO for items due now, a FIFO per delay, and a 4-ary heap
 * of keys for the lanes' heads and the rest (agenda.h says why).
 */
#include "sim/agenda.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


void ag_init(struct agq *q)
{
    memset(q, 0, sizeof *q);
}

void ag_free(struct agq *q)
{
    if (q->lanes)
        for (int i = 0; i < AG_LANES; i++)
            free(q->lanes[i].ring);
    free(q->lanes);
    free(q->heap_mem);
    free(q->fifo);
    free(q->slots);
    memset(q, 0, sizeof *q);
}

size_t ag_bytes(const struct agq *q)
{
    size_t n = (q->cap + 4) * sizeof *q->heap + q->fcap * sizeof *q->fifo +
               (size_t)q->slotcap * sizeof *q->slots;
    if (q->lanes) {
        n += AG_LANES * sizeof *q->lanes;
        for (int i = 0; i < AG_LANES; i++)
            n += (size_t)q->lanes[i].cap * sizeof(ag_key);
    }
    return n;
}

/* Grow the heap to twice its size.  Children 4i+1..4i+4 start one cache
 * line each: heap[1] is 64-byte aligned. */
static int heap_grow(struct agq *q)
{
    size_t ncap = q->cap ? q->cap * 2 : 256;
    void *mem = aligned_alloc(64, (ncap + 4) * sizeof *q->heap);
    if (!mem)
        return -ENOMEM;
    ag_key *h = (ag_key *)mem + 3;
    if (q->n)
        memcpy(h, q->heap, q->n * sizeof *h);
    free(q->heap_mem);
    q->heap_mem = mem;
    q->heap = h;
    q->cap = ncap;
    return 0;
}

static void heap_push(struct agq *q, ag_key key)
{
    ag_key *h = q->heap;
    size_t i = q->n++;
    while (i > 0) {
        size_t up = (i - 1) / 4;
        if (key >= h[up])
            break;
        h[i] = h[up];
        i = up;
    }
    h[i] = key;
}

/* Put key in the root's place and let it sink (the heap keeps q->n) */
static void sift_down(struct agq *q, ag_key key)
{
    ag_key *h = q->heap;
    size_t i = 0, n = q->n;
    for (;;) {
        size_t c = 4 * i + 1, m;
        if (c + 3 < n) { /* a tournament of the four children */
            size_t a = h[c + 1] < h[c] ? c + 1 : c;
            size_t b = h[c + 3] < h[c + 2] ? c + 3 : c + 2;
            m = h[b] < h[a] ? b : a;
        } else if (c < n) {
            m = c;
            for (size_t j = c + 1; j < n; j++)
                if (h[j] < h[m])
                    m = j;
        } else {
            break;
        }
        if (h[m] >= key)
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = key;
}

static void heap_pop(struct agq *q)
{
    ag_key last = q->heap[--q->n];
    if (q->n)
        sift_down(q, last);
}

/* The lane for items due delay ns from now, or NULL (the heap takes
 * them): direct-mapped, a lane taken by another delay while it has
 * items */
static struct ag_lane *lane_for(struct agq *q, int64_t delay)
{
    if (delay <= 0)
        return NULL;
    if (!q->lanes && !(q->lanes = calloc(AG_LANES, sizeof *q->lanes)))
        return NULL;
    struct ag_lane *l =
        &q->lanes[((uint64_t)delay * 0x9E3779B97F4A7C15ull) >> 56];
    if (l->n == 0)
        l->delay = delay;
    return l->delay == delay ? l : NULL;
}

static int lane_push(struct ag_lane *l, ag_key key)
{
    if (l->n == l->cap) {
        uint32_t ncap = l->cap ? l->cap * 2 : 16;
        ag_key *r = malloc(ncap * sizeof *r);
        if (!r)
            return -ENOMEM;
        for (uint32_t i = 0; i < l->n; i++) /* unwrap the ring */
            r[i] = l->ring[(l->head + i) & (l->cap - 1)];
        free(l->ring);
        l->ring = r;
        l->head = 0;
        l->cap = ncap;
    }
    l->ring[(l->head + l->n++) & (l->cap - 1)] = key;
    return 0;
}

static int fifo_push(struct agq *q, ag_key key)
{
    if (q->fn == q->fcap) {
        size_t ncap = q->fcap ? q->fcap * 2 : 64;
        ag_key *f = malloc(ncap * sizeof *f);
        if (!f)
            return -ENOMEM;
        for (size_t i = 0; i < q->fn; i++) /* unwrap the ring */
            f[i] = q->fifo[(q->fhead + i) & (q->fcap - 1)];
        free(q->fifo);
        q->fifo = f;
        q->fhead = 0;
        q->fcap = ncap;
    }
    q->fifo[(q->fhead + q->fn++) & (q->fcap - 1)] = key; /* fcap: a power
                                                            of two */
    return 0;
}

static int slot_get(struct agq *q, uint32_t *out)
{
    if (q->free) {
        *out = q->free - 1;
        q->free = q->slots[*out].next;
        return 0;
    }
    if (q->nslots >= AG_MAX_PENDING)
        return -E2BIG;
    if (q->nslots == q->slotcap) {
        uint32_t ncap = q->slotcap ? q->slotcap * 2 : 256;
        if (ncap > AG_MAX_PENDING)
            ncap = AG_MAX_PENDING;
        struct ag_slot *s = realloc(q->slots, (size_t)ncap * sizeof *s);
        if (!s)
            return -ENOMEM;
        q->slots = s;
        q->slotcap = ncap;
    }
    *out = q->nslots++;
    return 0;
}

int ag_push(struct agq *q, const struct agenda *it, int64_t now)
{
    if (q->seq > AG_MAX_SEQ)
        return -E2BIG;
    int due_now = it->t == now;
    if (!due_now && q->n == q->cap && heap_grow(q))
        return -ENOMEM;
    uint32_t slot;
    int rc = slot_get(q, &slot);
    if (rc)
        return rc;
    struct ag_lane *l = due_now ? NULL : lane_for(q, it->t - now);
    struct ag_slot *s = &q->slots[slot];
    s->kind = it->kind;
    s->task = it->task;
    s->obj = it->obj;
    s->obj2 = it->obj2;
    s->a = it->a;
    s->gen = it->gen;
    s->next = l ? (uint32_t)(l - q->lanes) + 1 : 0;
    uint64_t t = it->t <= 0 ? 0 /* sim_at never is < 0 */
                 : it->t > AG_T_MAX ? (uint64_t)AG_T_MAX : (uint64_t)it->t;
    uint64_t task = it->task >= 0 && it->task < ((int32_t)1 << AG_TASK_BITS) - 1
                        ? (uint64_t)it->task + 1 : 0;
    /* the key's two words: time and the sequence's top bits; the rest */
    uint64_t hi = t << AG_T_SHIFT | q->seq >> (AG_SEQ_BITS - AG_T_SHIFT);
    uint64_t lo = q->seq << (AG_SLOT_BITS + AG_TASK_BITS) |
                  (uint64_t)slot << AG_TASK_BITS | task;
    ag_key key = (ag_key)hi << 64 | lo;
    if (due_now)
        rc = fifo_push(q, key);
    else if (l)
        rc = lane_push(l, key);
    if (rc) {
        s->next = q->free;
        q->free = slot + 1;
        return rc;
    }
    if (!due_now && (!l || l->n == 1)) /* a lane's head waits in the heap */
        heap_push(q, key);
    q->seq++;
    q->pending++;
    return 0;
}

int ag_pop(struct agq *q, struct agenda *out)
{
    ag_key key;
    if (q->fn && (!q->n || q->fifo[q->fhead] < q->heap[0])) {
        key = q->fifo[q->fhead];
        q->fhead = (q->fhead + 1) & (q->fcap - 1);
        q->fn--;
    } else if (q->n) {
        key = q->heap[0];
        uint32_t lane = q->slots[AG_KEY_SLOT(key)].next;
        struct ag_lane *l = lane ? &q->lanes[lane - 1] : NULL;
        if (l) { /* the lane's next item takes its head's place */
            l->head = (l->head + 1) & (l->cap - 1);
            l->n--;
        }
        if (l && l->n)
            sift_down(q, l->ring[l->head]);
        else
            heap_pop(q);
    } else {
        return -1;
    }
    uint32_t slot = AG_KEY_SLOT(key);
    struct ag_slot *s = &q->slots[slot];
    out->t = (int64_t)((uint64_t)(key >> 64) >> AG_T_SHIFT);
    out->seq = (uint64_t)(key >> (AG_SLOT_BITS + AG_TASK_BITS)) & AG_MAX_SEQ;
    out->kind = s->kind;
    out->task = s->task;
    out->obj = s->obj;
    out->obj2 = s->obj2;
    out->a = s->a;
    out->gen = s->gen;
    out->pad = 0;
    s->next = q->free;
    q->free = slot + 1;
    q->pending--;
    return 0;
}
