/* placeholder until the I/O model files land */
#include "sim/sim_int.h"
static int nyi(struct sim *s, struct task *t, const struct prog_ins *in)
{ (void)t; return sim_fail(s, in, "%s is not available yet", prog_op_name(in->op)); }
const struct mux_ops mux_select_ops = {"select", {OP_SELECT, OP__COUNT, 0, 0}, nyi, NULL, NULL};
const struct mux_ops mux_poll_ops = {"poll", {OP_POLL, OP__COUNT, 0, 0}, nyi, NULL, NULL};
const struct mux_ops mux_epoll_ops = {"epoll", {OP_EPOLL_CREATE, OP_EPOLL_CTL, OP_EPOLL_WAIT, OP__COUNT}, nyi, NULL, NULL};
