/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trait objects and calls on them, as seen from the C glue (the device's
 * per-file table, the ioctl and io_uring entry points). The C++ side
 * (ops/object.cpp, ops/call_op.cpp) owns the semantics; the glue owns
 * handles, user memory and completion delivery. Numbers (traits, impls,
 * methods, strategies, GFP classes) are the uapi's DYNASYNC_* values.
 */
#ifndef DYNASYNC_OPS_OBJECTS_H
#define DYNASYNC_OPS_OBJECTS_H

#ifdef __cplusplus
#include <cstdint>
extern "C" {
#else
#include <linux/types.h>
#endif

/*
 * The uapi numbers, mirrored: the C++ side cannot include the uapi header
 * (it includes kernel headers); main.c asserts they match.
 */
enum {
	DS_TRAIT_ITERATOR = 1, DS_TRAIT_WIDGET = 2,
	DS_IMPL_COUNTER = 1, DS_IMPL_TICKER, DS_IMPL_MAP, DS_IMPL_TAKE,
	DS_IMPL_CHAIN, DS_IMPL_GADGET, DS_IMPL_MAX = DS_IMPL_GADGET,
	DS_METHOD_NEXT = 1, DS_METHOD_SUM, DS_METHOD_AUGMENT,
	DS_METHOD_COMPONENTS, DS_METHOD_TRANSMIT,
	DS_METHOD_MAX = DS_METHOD_TRANSMIT,
	DS_STRATEGY_BOXED = 1, DS_STRATEGY_INLINE, DS_STRATEGY_MAYBE_BOXED,
	DS_STRATEGY_CACHED, DS_STRATEGY_TASK_STACK, DS_STRATEGY_RESERVE,
	DS_STRATEGY_MAX = DS_STRATEGY_RESERVE,
	DS_COMPONENT_BOLT = 1, DS_COMPONENT_GEAR = 2,
	DS_OUT_F_END = 1,
	DS_MAX_DEPTH = 16,
	DS_MAX_SLOT_SIZE = 4096,
	DS_MAX_TASK_STACK = 65536,
	DS_MAX_RESERVE_FRAMES = 256,
	DS_MAX_TICKER_PERIOD_NS = 1000000000,
};

struct ds_object;

struct ds_object_params {
	unsigned int trait;
	unsigned int impl;
	/* Adaptors' inner objects: references moved in on success only. */
	struct ds_object *inner[2];
	uint64_t param[2];
	unsigned int strategy;
	unsigned int gfp;
	unsigned int slot_size;		/* 0: auto */
	unsigned int task_stack_size;
	unsigned int reserve_frames;
	/* The open file's fault-injection scope (struct ds_fault_scope), or NULL. */
	void *fault_scope;
};

/*
 * Validates @p against the traits (impl of the trait, parameters, inner
 * objects' trait and depth, storage parameters) and builds the object
 * with one reference. 0 or -EINVAL, -EOVERFLOW, -ELOOP, -ENOMEM, -EDQUOT.
 */
int ds_object_create(const struct ds_object_params *p, struct ds_object **out);
/* Inner objects @impl of @trait takes (0..2), or -EINVAL for a bad pair. */
int ds_object_inner_count(unsigned int trait, unsigned int impl);
void ds_object_get(struct ds_object *o);
void ds_object_put(struct ds_object *o);
unsigned int ds_object_trait(const struct ds_object *o);
/* Effective inline slot or pool element size (0 for other strategies). */
unsigned int ds_object_slot_size(const struct ds_object *o);
/* How many objects this one accounts for: itself and its owned inners. */
unsigned int ds_object_weight(const struct ds_object *o);
/* For the tracepoints: the storage strategy (DS_STRATEGY_*) ... */
unsigned int ds_object_strategy(const struct ds_object *o);
/* ... and the layout table's frame size of @method (0: frame-free or none). */
unsigned int ds_object_frame_bytes(const struct ds_object *o, unsigned int method);

/*
 * One call at a time per object: methods take it exclusively (Rust's
 * &mut self, checked at run time). Never sleeps; callable under a spinlock.
 */
bool ds_object_try_borrow(struct ds_object *o);
void ds_object_unborrow(struct ds_object *o);
bool ds_object_borrowed(const struct ds_object *o);
/* True once a consuming call (TRANSMIT) took the trait object. */
bool ds_object_consumed(const struct ds_object *o);

struct ds_call;
/*
 * The object's suspended call that DYNASYNC_IOC_CANCEL may stop, or NULL.
 * Plain fields: the glue reads and writes them under its table's lock, and
 * clears one before the call is freed.
 */
void ds_object_set_cancelable(struct ds_object *o, struct ds_call *c);
struct ds_call *ds_object_cancelable(const struct ds_object *o);

/* What TRANSMIT delivers to (per file); updated atomically. */
struct ds_sink {
	uint64_t received;
	uint64_t deliveries;
};

struct ds_call {
	/* in: set by the glue before ds_call_start() */
	unsigned int method;
	uint64_t arg[2];
	uint64_t deadline_ns;		/* > 0 */
	struct ds_sink *sink;
	/* Async completion: called exactly once, any process context. */
	void (*complete)(struct ds_call *c);
	/* the glue's own fields */
	void *glue;
	struct ds_object *obj;
	unsigned int handle;
	uint64_t out_ptr;
	void *mm;
	/*
	 * Tracing (kmod/dynasync_trace.h): set while dynasync_call_start is
	 * enabled, else 0. The io_uring request's user_data; the call's id.
	 */
	uint64_t user_data;
	uint64_t trace_id;
	int glue_state;			/* io_uring: issue/completion handshake */
	bool cancelable;		/* published for DYNASYNC_IOC_CANCEL */

	/* out: valid once the call completed */
	int res;			/* >= 0 result or -errno */
	uint64_t value;
	unsigned int out_flags;		/* DYNASYNC_OUT_F_* */
	struct ds_object *new_obj;	/* COMPONENTS: one reference, for the glue */
	/* Allocations for this call failed by injection / for real. */
	unsigned int injected;
	unsigned int alloc_failed;
	/* ds_call_cancel() ended it: res is -ECANCELED */
	unsigned int cancelled;

	void *priv;			/* the runtime's; the glue leaves it alone */
};

/*
 * Bookkeeping for one call of @method on @obj, which the caller has
 * borrowed and holds a reference on; both pass to the call (released by
 * ds_call_free()). 0 and *@out, or -ENOMEM (borrow and reference stay
 * with the caller; ds_object_op_counts() says why). Allocates nothing: the
 * bookkeeping is the object's call_space, made at CREATE, or for the
 * RESERVE strategy an element of the object's reserve pool (the only
 * way this fails). From here on every allocation made for @obj and
 * the inner objects it owns is tagged with this operation.
 */
int ds_call_alloc(struct ds_object *obj, unsigned int method, struct ds_call **out);
/* Allocation failures (injected, real) of the borrowed @obj's current operation. */
void ds_object_op_counts(const struct ds_object *obj, unsigned int *injected,
			 unsigned int *failed);
/*
 * Starts the call. 0: it completed in the caller's context (ready at once,
 * or refused: c->res says which) and complete() is not called; 1: it is
 * running, complete() will be called exactly once. The object is
 * unborrowed before the result is reported either way.
 */
int ds_call_start(struct ds_call *c);
/*
 * A running call ends with -EINTR at its next suspension (ioctl signals);
 * a suspended one at once: its task is cancelled on the worker, which
 * destroys every frame (an iterator's next() does not advance), then
 * complete() is called as for any other end. A call that finished first
 * keeps its result, and the first reason to stop a call wins (its
 * deadline's -ETIMEDOUT included): exactly one report either way. Any
 * context that may take a spinlock; @c must not have been freed.
 */
void ds_call_interrupt(struct ds_call *c);
/*
 * The same, ending with -ECANCELED (io_uring cancelled the command, or
 * DYNASYNC_IOC_CANCEL).
 */
void ds_call_cancel(struct ds_call *c);
/*
 * After the result was consumed, before it is reported: gives the object
 * back (a caller that saw the report never meets this call's -EBUSY) and
 * drops the reference.
 */
void ds_call_free(struct ds_call *c);

/*
 * The layout table: frame size (header included) of @method of @impl,
 * and the trait's auto slot size. 0 or -EINVAL.
 */
int ds_layout(unsigned int trait, unsigned int impl, unsigned int method,
	      uint64_t *frame_size, uint64_t *slot_size);

/* Frame accounting of one strategy (DS_STRATEGY_*), module-wide. */
struct ds_strategy_counters {
	uint64_t live_frames;
	uint64_t live_bytes;
	uint64_t high_water_bytes;
	uint64_t placements;
	/* ENOMEM, E2BIG, EBUSY, ENOSPC, EINVAL, other */
	uint64_t failures[6];
	uint64_t heap_allocations;
	uint64_t heap_bytes;
};
void ds_stats_strategy(unsigned int strategy, struct ds_strategy_counters *out);
/* The exact heap high-water mark (a locked add per heap block): on/off. */
void ds_stats_track_high_water(bool on);

/* Module init: computes the layout tables. */
void ds_objects_init(void);
/* Objects alive module-wide (leak check at unload). */
long ds_objects_live(void);

#ifdef __cplusplus
}
#endif
#endif /* DYNASYNC_OPS_OBJECTS_H */
