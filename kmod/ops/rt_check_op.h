/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The runtime self-check (DYNASYNC_IOC_RT_CHECK) and the runtime's module
 * init/exit hooks, as seen from the C glue.
 */
#ifndef DYNASYNC_OPS_RT_CHECK_OP_H
#define DYNASYNC_OPS_RT_CHECK_OP_H

#ifdef __cplusplus
#include <cstdint>
extern "C" {
#else
#include <linux/types.h>
#endif

/* The scenarios are numbered like DYNASYNC_STRATEGY_* (1..6). */
#define DS_RT_CHECK_STRATEGIES 6

struct ds_rt_check_op {
	unsigned int strategy;		/* DYNASYNC_STRATEGY_* */
	/* out */
	uint64_t value;
	unsigned int checks;
	unsigned int failed_check;
	/* Called exactly once; @err is 0 or a negative errno. */
	void (*complete)(struct ds_rt_check_op *op, int err);
};

/* Starts the scenario; -EINVAL for an unknown strategy (no completion). */
int ds_rt_check_start(struct ds_rt_check_op *op);

/* Module init: computes the layout tables. */
void ds_rt_init(void);
/*
 * Frames still live, all strategies; with @report, logs each strategy with
 * any (module unload, where one is a bug; never on an ioctl path, which
 * would let userspace fill the kernel log).
 */
long ds_rt_live_frames(bool report);
unsigned int ds_rt_iterator_slot_size(void);

#ifdef __cplusplus
}
#endif
#endif /* DYNASYNC_OPS_RT_CHECK_OP_H */
