/*
 * hub.h - the text of gevent's hub loop, shared by the compiler (which
 * compiles it once, after every declaration, when a file has a
 * monkey_patch) and the engine (sim/hub.c) and the real runner, which run
 * it.  Each step is one OP_HUB instruction (.flags = the step) on its own
 * line of the generated script, so the viewer shows where the hub is.
 */
#ifndef IOSIM_HUB_H
#define IOSIM_HUB_H

/* The steps of one turn of libev's ev_run, as gevent 22.10 runs it */
enum hub_step { HUB_CALLBACKS, HUB_REIFY, HUB_POLL, HUB_INVOKE, HUB__STEPS };

/* The generated script's lines (NULL-terminated), and the line (from 1)
 * of each step and of the loop's closing brace */
extern const char *const hub_script_lines[];
int hub_step_line(int step);
int hub_loop_end_line(void);

/* libev's MAX_BLOCKTIME: epoll_wait's timeout with no timer, in ms */
#define HUB_MAX_BLOCK_MS 59743
/* the most events one epoll_wait takes (gevent's libev: 64 at first) */
#define HUB_MAX_EVENTS 64

#endif
