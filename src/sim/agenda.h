/*
 * agenda.h - the engine's timed items, taken in (time, sequence) order.
 *
 * Every item gets the next sequence number when it is scheduled, so two
 * items due at the same instant are taken in the order they were made
 * (libuv orders its timers the same way) and a run is deterministic.
 *
 * Three structures, one order.  Items due at the current instant (a CPU
 * that starts a task at no switching cost: a quarter to a half of all
 * items) go to a FIFO, which keeps them in sequence order at O(1).  Items
 * due after a delay the agenda has seen before (a 50 ms sleep, a network
 * latency, a syscall's cost) go to that delay's lane: since the engine's
 * time only moves forward, items scheduled now + D are made in (time,
 * sequence) order, so a lane is a FIFO too, and only its head waits in the
 * heap.  The heap is a 4-ary min-heap of 16-byte keys (time, sequence,
 * slot, task), whose four children share one cache line, while the items
 * themselves wait in a pool of slots.  With 10,000 sleeping clients the
 * heap holds a few dozen lane heads instead of 10,000 items (a binary heap
 * of whole items spent most of its time on cache misses).  ag_pop takes
 * the smaller of the heap's top and the FIFO's head, which is exactly the
 * item one heap of (time, sequence) would give.
 *
 * Bounds: AG_MAX_PENDING items at once, AG_MAX_SEQ items in a run (at 10 ns
 * an item, three hours); ag_push says -E2BIG past them, -ENOMEM when out of
 * memory.
 */
#ifndef IOSIM_AGENDA_H
#define IOSIM_AGENDA_H

#include <stddef.h>
#include <stdint.h>

/* An item as the engine schedules and takes it */
struct agenda {
    int64_t t;
    uint64_t seq;
    int32_t kind, task, obj, obj2;
    int64_t a;
    uint32_t gen;
    int32_t pad;
};

#define AG_SLOT_BITS 24
#define AG_TASK_BITS 18
#define AG_SEQ_BITS 40
#define AG_MAX_PENDING (((uint32_t)1 << AG_SLOT_BITS) - 1)
#define AG_MAX_SEQ (((uint64_t)1 << AG_SEQ_BITS) - 1)
/* The latest time a key holds (past TL_T_MAX, so past any `limit`): a
 * later item is kept at this time, where only the end of the run sees it */
#define AG_T_MAX (((int64_t)1 << 46) - 1)

/* time (46 bits) | seq (40) | slot (24) | task + 1 (18, 0 for none or
 * past the field): one comparison orders two items, by time then
 * sequence (times are never negative; sequence numbers are unique, so the
 * slot and task never decide).  The task is in the key so that the engine
 * can fetch the next item's task without reading its slot first. */
typedef unsigned __int128 ag_key;
_Static_assert(46 + AG_SEQ_BITS + AG_SLOT_BITS + AG_TASK_BITS == 128,
               "an agenda key's fields fill its 128 bits");
/* where the time starts in the key's high word */
#define AG_T_SHIFT (AG_SEQ_BITS + AG_SLOT_BITS + AG_TASK_BITS - 64)
#define AG_KEY_SLOT(k) ((uint32_t)((uint64_t)(k) >> AG_TASK_BITS) & AG_MAX_PENDING)
#define AG_KEY_TASK(k) \
    ((int32_t)((uint32_t)(uint64_t)(k) & (((uint32_t)1 << AG_TASK_BITS) - 1)) - 1)

struct ag_slot {
    int32_t kind, task, obj, obj2;
    int64_t a;
    uint32_t gen;
    uint32_t next; /* while free: the next free slot + 1; while pending:
                      its lane + 1, 0 for none */
};

/* Items scheduled with the same delay, in order; the head is in the heap */
struct ag_lane {
    int64_t delay;
    ag_key *ring;
    uint32_t head, n, cap;
};

#define AG_LANES 256 /* direct-mapped by delay */

struct agq {
    ag_key *heap; /* heap[0] is the root; 4i+1..4i+4 its children */
    void *heap_mem;      /* what heap points into (aligned) */
    size_t n, cap;
    ag_key *fifo; /* ring: items due now, oldest first */
    size_t fhead, fn, fcap;
    struct ag_slot *slots;
    uint32_t nslots, slotcap, free; /* free: first free slot + 1, 0 none */
    uint64_t seq;
    size_t pending;
    struct ag_lane *lanes; /* AG_LANES of them, made at the first push */
};

void ag_init(struct agq *q);
void ag_free(struct agq *q);
/* Schedule it (it->seq is ignored: the next sequence number is taken) at
 * it->t; now is the engine's current time.  0, -ENOMEM or -E2BIG. */
int ag_push(struct agq *q, const struct agenda *it, int64_t now);
/* Take the earliest item into *out; 0, or -1 if there is none. */
int ag_pop(struct agq *q, struct agenda *out);
static inline size_t ag_pending(const struct agq *q)
{
    return q->pending;
}
/* The task of the item ag_pop takes next, or -1 when there is none (or
 * its number is past the key's field); its slot is fetched from memory on
 * the way: the engine prefetches the task while it does the item in hand */
static inline int32_t ag_next_task(const struct agq *q)
{
    ag_key key;
    if (q->fn && (!q->n || q->fifo[q->fhead] < q->heap[0]))
        key = q->fifo[q->fhead];
    else if (q->n)
        key = q->heap[0];
    else
        return -1;
    __builtin_prefetch(&q->slots[AG_KEY_SLOT(key)]);
    return AG_KEY_TASK(key);
}
/* Bytes the agenda holds, from its capacities */
size_t ag_bytes(const struct agq *q);

#endif
