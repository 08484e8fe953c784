/*
 * viewer.h - the viewer's state, independent of any terminal.
 *
 * A viewer holds a cursor over a finished timeline (a wcur: the world after
 * v->cur.w.idx events), the selection (task, fd, queue), focus, playback,
 * bookmarks, search and prompt.  Everything the screen shows is a function
 * of this struct and the timeline; keys change it only through ui_act() and
 * ui_key() (actions.c), which return a UI_* bitmask, so tests drive the
 * viewer with no terminal at all.
 *
 * Precomputed once at open (O(events)): each task's state changes (the
 * gantt lanes), each task's calls (an index of its events), the caption
 * events, and the display order of tasks.  A frame never scans the whole
 * timeline.
 */
#ifndef IOSIM_UI_VIEWER_H
#define IOSIM_UI_VIEWER_H

#include <stdint.h>

#include "tl/tl.h"
#include "tl/world.h"
#include "ui/cell.h"

/* A task's state changes, oldest first (its gantt lane): the indexes of
   its TASK_NEW and STATE events, 4 bytes each; the state and the time are
   the event's (lane_st, lane_t).  viewer_lane() gives task t's. */
struct lane {
    const uint32_t *s;
    long n;
};

/* The state the event at idx of a lane sets */
static inline int lane_st(const struct tl *tl, uint32_t idx)
{
    const struct tl_ev *e = &tl->ev[idx];
    return e->type == EV_STATE ? (int)e->sub : TS_NEW;
}

static inline int64_t lane_t(const struct tl *tl, uint32_t idx)
{
    return tl->ev[idx].t;
}

enum ui_prompt { P_NONE, P_GOTO, P_SEARCH };

#define UI_MAXPLACED 16

struct placed {
    int view; /* enum ui_view */
    struct rect r;
    int side; /* side by side: 0 the simulation, 1 the real run */
};

struct ui_pair;

struct viewer {
    const struct tl *tl;
    int has_other;   /* ui_opts.other: the key r shows it */
    int can_real;    /* ui_opts.run_real: the key s can run it for real */
    struct ui_pair *pair; /* side by side with the other run (pair.h), or
                             NULL */
    const char *run_name; /* side by side: "Simulation", "Real run", put
                             before each panel's title; NULL alone */
    struct wcur cur; /* cur.w: the world after cur.w.idx events */

    /* selection */
    int sel_task;  /* task index, -1 if none */
    int sel_fd;    /* fd number in the selected task's process, -1 */
    int sel_queue; /* queue index, -1 */
    int focus;     /* enum ui_view: V_TASKS, V_FDS or V_QUEUES */

    /* playback */
    int playing;
    int speed; /* index into the speed table (actions.c) */

    /* timeline zoom: the gantt shows total time / 2^zoom */
    int zoom;

    long *marks; /* bookmarks: event positions, sorted */
    int nmarks, markcap;

    char search[128];
    int prompt; /* enum ui_prompt */
    char input[128];
    char msg[200]; /* one-line message in the status bar, "" if none */
    int help;      /* the help screen is shown */
    int help_top;
    int info;      /* the whole text of the current event is shown */
    int play_through; /* playback does not stop at the steps */

    /*
     * What changed: the events [chg_from, position), the last move's (one
     * event, or the whole step after Space).  chg_task[t], chg_obj[o] and
     * chg_queue[q] equal chg_gen when the task's state, the object's
     * buffers or flags, or the queue changed; chg_items are the items
     * pushed (at most UI_MAXCHG; the newest).  Computed at each move over
     * at most UI_CHG_SCAN events, so a frame never scans.
     */
    long chg_from;
    int chg_cut;        /* the move was longer: only its last events count */
    uint32_t chg_gen;
    uint32_t *chg_task, *chg_obj, *chg_queue;
    int nchg_items;
    struct { int q; int64_t item; } chg_items[16];

    int mouse_x, mouse_y; /* of the last UK_MOUSE */

    /* precomputed */
    /* each task's state changes (its lane: viewer_lane), the events
       lane_ev[lane_off[t]] up to lane_ev[lane_off[t + 1]] */
    uint32_t *lane_off, *lane_ev;
    /* each task's calls, oldest first: the indexes of its SYS_ENTER,
       SYSCALL, SIGNAL and QUEUE events, calls[call_off[t]] up to
       calls[call_off[t + 1]] (4 bytes an event); the two phases panel
       and what a task is doing look a task's last or next call up here
       instead of scanning the timeline */
    uint32_t *call_off, *calls;
    long *caps;         /* indexes of CAPTION events: the steps of the
                           lesson (a sentence repeated many times in a
                           row is one step: viewer.c) */
    long *stops;        /* stops[k]: the position where step k is shown,
                           its caption with what it narrates on screen
                           (the step rule: viewer.c) */
    long ncaps;
    int *order;         /* tasks in display order (grouped by process),
                           the peers (clients on other hosts) last */
    int *depth;         /* indentation of order[i] */
    int *order_ix;      /* index in order of each task */
    int first_peer;     /* index in order of the first peer */
    int npeers;
    int model_queues;   /* queues besides run and accept queues */
    int named_queues;   /* captions name a queue ('GIL holder (worker)') */
    int crowd;          /* the peers are a crowd: three or more alike, with
                           the same script, none named or saying a caption
                           (viewer.c, find_crowd) */
    int *qorder;        /* queues in display order: the model's first */
    int64_t t_end;      /* time of the last event */
    /* for a layout that keeps its place from step to step: the distinct
       caption texts (the caption panel is as tall as the longest), and per
       task whether it ever waits for input (the two phases panel) and the
       most fds its process has open at once (the fd table) */
    int *capstr;
    int ncapstr;
    uint8_t *has_input;
    int *max_fds;

    /* last layout, for mouse clicks */
    struct placed placed[UI_MAXPLACED];
    int nplaced;
    int cols, rows;
    int ascii;
    int has_coroutines; /* the timeline has coroutine tasks */
};

int viewer_open(struct viewer *v, const struct tl *tl);
void viewer_close(struct viewer *v);
/* Move the cursor: world after idx events (clamped); 0 or -errno */
int viewer_seek(struct viewer *v, long idx);
/* The same, marking as changed everything since position from (a step) */
int viewer_seek_from(struct viewer *v, long idx, long from);
/* Go to step k (0-based): its stop, the changes since the previous step's,
   and the selection moves to the task that said its caption (a task of
   the machine: a peer's caption is about what it does to the machine) */
int viewer_goto_step(struct viewer *v, long k);
/* Did it change in the last move? */
int viewer_task_changed(const struct viewer *v, int task);
int viewer_obj_changed(const struct viewer *v, int obj);
int viewer_queue_changed(const struct viewer *v, int q);
int viewer_item_changed(const struct viewer *v, int q, int64_t item);
#define UI_CHG_SCAN 20000L
static inline long viewer_pos(const struct viewer *v) { return v->cur.w.idx; }
/* The first of task t's calls (an index into v->calls) at or after event
   idx: v->call_off[t + 1] if none */
long viewer_call_at(const struct viewer *v, int t, long idx);
/* Task t's lane */
static inline struct lane viewer_lane(const struct viewer *v, int t)
{
    return (struct lane){v->lane_ev + v->lane_off[t],
                         (long)(v->lane_off[t + 1] - v->lane_off[t])};
}
/* The first of task t's state changes (an index into its lane) at or
   after event idx: the lane's n if none */
long viewer_lane_at(const struct viewer *v, int t, long idx);
/* The start position used by ui_run and ui_render_text for -1 */
long viewer_first_caption_pos(const struct viewer *v);
/* Position of the last event with time <= t (events applied) */
long viewer_pos_at_time(const struct viewer *v, int64_t t);
/* State of task at time t from its lane, counting only the events before
   position limit (TS_NONE before it exists) */
int viewer_state_at(const struct viewer *v, int task, int64_t t, long limit);
/* The same, the STATE event that set it (-1 before the task exists) */
long viewer_state_ev_at(const struct viewer *v, int task, int64_t t, long limit);
/* index in v->qorder of queue q, or -1 */
int viewer_queue_index(const struct viewer *v, int q);
/* index in v->order of task, or -1 */
int viewer_order_index(const struct viewer *v, int task);
/*
 * The rows of a list of tasks (the tasks panel, the timeline's lanes) that
 * has room for rows rows: indexes into v->order, and UI_ROW_PEERS for the
 * heading of the peers ("peers (outside the machine)"), which run outside the
 * simulated machine.  The machine's tasks come first and stay; the peers
 * get the rows left, as a window around the selected task, so 10,000
 * clients cost a screenful.  Returns how many rows are used.
 */
#define UI_ROW_PEERS (-1)
#define UI_ROW_PEER_COUNTS (-2) /* "10 running, 9990 blocked" */
int viewer_task_rows(const struct viewer *v, int rows, int *out);
/* The rows viewer_task_rows needs before the rows of a crowd of peers
   (three or more of `peer NAME count N`): the machine's tasks, the
   peers' heading and their count by state (and the selected peer); every
   task when the peers are no crowd */
int viewer_task_core_rows(const struct viewer *v);
/* How many peers are in each state (TS_*) at the cursor: counts[TS__COUNT] */
void viewer_peer_counts(const struct viewer *v, int *counts);
/* The same in words: "10 running, 9990 blocked" */
char *viewer_peer_summary(const struct viewer *v, char *buf, int len);
void viewer_msg(struct viewer *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* actions.c */
int ui_act(struct viewer *v, int action);
int ui_key(struct viewer *v, int key);
/* Playback: milliseconds until the next tick, -1 when paused */
int ui_play_timeout(const struct viewer *v);
int ui_tick(struct viewer *v);
/* Events per second at a speed index */
int ui_speed_rate(int speed);

/* render.c: lay out and draw the whole screen into cb (sized cb->w x cb->h) */
void ui_render(struct viewer *v, struct cbuf *cb);

/*
 * evtext.c: the viewer's own words.  Words for events, objects, queue items,
 * signals and times come from tl/text.h (tl_ev_text, tl_obj_text,
 * tl_qitem_text, tl_time_text ...), so the viewer says exactly what
 * `iosim --dump` says; nothing here may rephrase an event.
 */
/* The text of event i (tl_ev_text) and its colour role */
int ui_ev_text(const struct tl *tl, long i, char *buf, int len);
/* Parse "5ms", "1.5s", "300us", "120ns": ns, or -1 */
int64_t ui_parse_time(const char *s);
/* Describe what a task is doing now, e.g. "blocked in read(): waiting for
   data" (narrow: "read(): waits for data"); a peer runs "on its own host".
   Returns the role of its state */
int ui_task_doing(const struct viewer *v, int task, int narrow, char *buf,
                  int len);
int ui_state_role(int st);

#endif
