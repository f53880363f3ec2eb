/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VERSION operation, produced by a coroutine that suspends once and is
 * resumed from the workqueue: the async path end to end.
 */
#ifndef DYNASYNC_OPS_VERSION_OP_H
#define DYNASYNC_OPS_VERSION_OP_H

#ifdef __cplusplus
extern "C" {
#endif

struct ds_version_op {
	/*
	 * Called exactly once: @err is 0 or a negative errno; @resumed_async
	 * says the coroutine was resumed on the workqueue.
	 */
	void (*complete)(struct ds_version_op *op, int err, bool resumed_async);
};

void ds_version_op_start(struct ds_version_op *op);

#ifdef __cplusplus
}
#endif
#endif /* DYNASYNC_OPS_VERSION_OP_H */
