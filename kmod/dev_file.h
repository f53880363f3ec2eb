/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the device's C files (dev_*.c): the per-file state, its table
 * operations, the call steps both paths share, and the limits.
 */
#ifndef DYNASYNC_DEV_FILE_H
#define DYNASYNC_DEV_FILE_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "ops/objects.h"
#include "fault.h"
#include "dynasync_trace.h"

struct io_uring_cmd;
struct dynasync_call;
struct dynasync_cancel;

/* The module parameters (dev_params.c), read once per use. */
unsigned int ds_max_objects(void);
unsigned int ds_max_inflight(void);
unsigned int ds_max_call_ms(void);

struct ds_file {
	struct xarray objects;	/* handle -> struct ds_object *, one reference */
	u32 next_handle;	/* xa_alloc_cyclic() cursor */
	atomic_t nobjects;	/* objects, owned inners included */
	atomic_t inflight;	/* calls between prepare and finish */
	atomic64_t calls;
	atomic64_t completions;
	atomic64_t cancelled;	/* completions with -ECANCELED by io_uring */
	struct ds_sink sink;
	struct ds_fault_scope fault;	/* the file's policy and counters */
};

/* The table (dev_table.c). */
int ds_charge_objects(struct ds_file *f, unsigned int n);
int ds_reserve(struct ds_file *f, u32 *handle);
int ds_publish(struct ds_file *f, u32 handle, struct ds_object *obj);
void ds_erase_if(struct ds_file *f, u32 handle, struct ds_object *obj);
int ds_borrow(struct ds_file *f, u32 handle, struct ds_object **out);
void ds_give_back(struct ds_object *obj);

/* A call's steps (dev_call.c). */
int ds_call_prepare(struct ds_file *f, const struct dynasync_call *uc,
		    struct ds_call **out);
int ds_call_finish(struct ds_file *f, struct ds_call *c, bool user_ok);
void ds_call_publish(struct ds_file *f, struct ds_call *c);
int ds_cancel(struct ds_file *f, const struct dynasync_cancel *uc);
void ds_trace_call_started(struct ds_call *c, struct io_uring_cmd *ioucmd);

/*
 * The call is about to start: name it for the tracepoints. The test is
 * the event's static key, inline: with tracing off the call path has a
 * patched-out jump here and nothing else.
 */
static __always_inline void ds_trace_call_start(struct ds_call *c,
						struct io_uring_cmd *ioucmd)
{
	if (trace_dynasync_call_start_enabled())
		ds_trace_call_started(c, ioucmd);
}

#endif
