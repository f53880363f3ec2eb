/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dynasync user ABI: shared by the kernel module and userspace.
 *
 * The device node is created with mode 0600 (root only): every open file
 * may pin up to max_file_bytes of kernel memory and keep hrtimers and
 * workqueue items busy, so access is a privilege the administrator grants
 * (chmod/chown or a udev rule), never a default.
 *
 * Rules: explicit sizes and padding, reserved fields must be zero (else
 * -EINVAL), no kernel pointers are ever returned. The command number
 * encodes the struct size, so a size mismatch is an unknown command
 * (-ENOTTY).
 */
#ifndef _UAPI_DYNASYNC_H
#define _UAPI_DYNASYNC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DYNASYNC_DEVICE_NAME	"dynasync"
#define DYNASYNC_DEVICE_PATH	"/dev/dynasync"

/*
 * Bumped on every incompatible change; userspace must refuse a mismatch.
 * Compatible changes keep it: a field carved from a reserved one that
 * callers had to pass as zero, with zero meaning what it meant before
 * (dynasync_stats.bytes), or a new errno for a new limit.
 */
/* 2: dynasync_strategy_stats counts placements and heap blocks apart. */
#define DYNASYNC_ABI_VERSION	2

#define DYNASYNC_IOC_MAGIC	0xDA

/* Set in dynasync_version.flags by the module. */
/* The reply was produced by a coroutine resumed on a workqueue. */
#define DYNASYNC_VERSION_F_ASYNC	(1U << 0)
/*
 * Suspended URING_CMD calls are cancelable: a ring's teardown (and so a
 * process's exit that closes its last reference to the ring) and an exec
 * cancel them at once (see Cancellation below). Set when the module was
 * built for a kernel with cancelable URING_CMDs (6.7 and later; tested:
 * 6.12); not on 6.1. Userspace must ignore flags it does not know.
 */
#define DYNASYNC_VERSION_F_URING_CANCEL	(1U << 1)

struct dynasync_version {
	__u32 abi_version;	/* out: DYNASYNC_ABI_VERSION of the module */
	__u32 flags;		/* out: DYNASYNC_VERSION_F_* */
	__u64 reserved[2];	/* in: must be zero */
};

#define DYNASYNC_IOC_VERSION \
	_IOWR(DYNASYNC_IOC_MAGIC, 0x00, struct dynasync_version)

/* Storage strategies: where a call's future (coroutine frame) lives. */
#define DYNASYNC_STRATEGY_BOXED		1	/* kmalloc per frame */
#define DYNASYNC_STRATEGY_INLINE	2	/* slot in the object */
#define DYNASYNC_STRATEGY_MAYBE_BOXED	3	/* slot, else kmalloc */
#define DYNASYNC_STRATEGY_CACHED	4	/* one reused block */
#define DYNASYNC_STRATEGY_TASK_STACK	5	/* bounded LIFO region per task */
#define DYNASYNC_STRATEGY_RESERVE	6	/* mempool with a reserve */
#define DYNASYNC_STRATEGY_MAX		6

/*
 * Runtime self-check: runs the module's fixed scenario for one strategy
 * inside the kernel (real suspensions on hrtimers and the workqueue,
 * nested and recursive dyn calls, the strategy's own errnos) and reports
 * what it saw. A diagnostic, not a workload: one call at a time per file
 * is enough.
 */
struct dynasync_rt_check {
	__u32 strategy;		/* in: DYNASYNC_STRATEGY_* */
	__u32 reserved0;	/* in: must be zero */
	__u64 value;		/* out: the scenario's computed result */
	__u32 checks;		/* out: in-kernel checks evaluated */
	__u32 failed_check;	/* out: 0, or the 1-based number of the first failed check */
	__u32 live_frames;	/* out: frames of any strategy still live after it */
	__u32 slot_size;	/* out: AsyncIterator layout table's slot size */
	__u64 reserved[2];	/* in: must be zero */
};

#define DYNASYNC_IOC_RT_CHECK \
	_IOWR(DYNASYNC_IOC_MAGIC, 0x01, struct dynasync_rt_check)


/*
 * ---------------------------------------------------------------------
 * Objects and calls.
 *
 * Each open file has its own table of trait objects, named by handles
 * (1..2^31-1, handed out in increasing order, so not reused before 2^31
 * objects were created on the file). An object is one impl
 * of one trait plus a storage configuration: where the frames of calls on
 * it live. Calls go through DYNASYNC_IOC_CALL (a blocking ioctl) or
 * IORING_OP_URING_CMD with cmd_op DYNASYNC_IOC_CALL and the struct
 * dynasync_call in the SQE's command area (the ring needs
 * IORING_SETUP_SQE128, else the CQE carries -EINVAL).
 *
 * Result (ioctl return value, CQE res): a negative errno, or
 *   NEXT        1 an item was produced, 0 the iterator has ended
 *   COMPONENTS  the handle of the new iterator object
 *   others      0
 * and, when out_ptr is set, struct dynasync_call_out is written: value is
 * the method's value (0 for a NEXT that reports the end and for
 * COMPONENTS), flags only DYNASYNC_OUT_F_END (NEXT), handle only for
 * COMPONENTS; everything else 0. It is zeroed at submission, so a bad
 * out_ptr fails with -EFAULT before the call runs; io_uring writes it in
 * the submitter's context before the CQE is posted.
 *
 * Errnos, one cause each:
 *   -ENOMEM     a frame, task or object allocation failed (or was injected:
 *               see Fault injection below). The call had no effect: an
 *               iterator did not advance, a widget kept its total, a
 *               TRANSMIT that could not start left the widget in place, a
 *               COMPONENTS kept no object. Exception: a SUM keeps the items
 *               it consumed before the failing next() (as on -ETIMEDOUT)
 *   -EDQUOT     the file's byte limit (max_file_bytes): an allocation for
 *               the file's objects and calls (CREATE, CALL, COMPONENTS)
 *               would take its live bytes past the limit. Same promise as
 *               -ENOMEM (no effect; SUM keeps what it consumed); not an
 *               allocation failure: the fault injector never sees the
 *               refused allocation, FAULT_GET and out.injected /
 *               out.alloc_failed do not count it. A RESERVE object keeps
 *               serving calls from its (already charged) reserve
 *   -E2BIG      the frame does not fit the object's inline slot / pool element
 *   -EBUSY      the object is in a call already (one call per object at a
 *               time: methods take the object exclusively), or DESTROY of an
 *               object that is in a call, or CREATE of an adaptor whose
 *               inner object is in a call
 *   -ENOSPC     the call's task stack is exhausted (deep nesting)
 *   -ETIMEDOUT  the deadline expired (the call was cancelled; its frames
 *               were destroyed; an iterator's next() does not advance; a
 *               SUM keeps the items it consumed; a TRANSMIT cancelled
 *               after it took the widget destroys it, releases its handle
 *               and delivers nothing). The deadline timer starts when the
 *               call first suspends: the part that runs in the submitter's
 *               context is short by construction (SUM yields every 64
 *               items)
 *   -EINTR      ioctl path only: a fatal signal cancelled the wait
 *   -ENOENT     no such handle (or the object was consumed by TRANSMIT)
 *   -EMFILE     the file's object limit (module parameter max_objects)
 *   -ENOBUFS    the file's in-flight call limit (max_inflight)
 *   -ELOOP      adaptors nested deeper than DYNASYNC_MAX_DEPTH
 *   -EOVERFLOW  impl parameters overflow (counter start + count)
 *   -EINVAL     bad trait/impl/method/strategy/flags, nonzero reserved or
 *               unused fields, sizes out of range
 *   -EFAULT     bad user pointer. At submission nothing has happened;
 *               when the output cannot be written at completion (the
 *               buffer was unmapped meanwhile) the call did run: an
 *               iterator advanced, TRANSMIT delivered, a COMPONENTS
 *               object was not kept
 *   -ECANCELED  DYNASYNC_IOC_CANCEL or io_uring cancelled the call (see
 *               Cancellation below), or, io_uring only, the submitter
 *               exited before its output could be written (the call ran;
 *               nobody reads this CQE). STATS.cancelled counts the first
 *               kind
 * Every submitted call completes exactly once: one ioctl return or one CQE.
 *
 * Cancellation (io_uring; DYNASYNC_VERSION_F_URING_CANCEL says which case
 * applies):
 *   With the flag (a module built for 6.7+, tested on 6.12): a call that
 *   suspended is marked cancelable (io_uring_cmd_mark_cancelable). When
 *   io_uring cancels it, which it does when the ring is torn down (its
 *   last file reference closed: io_uring_queue_exit(), or the exit of the
 *   last process holding it) and when its submitter calls exec, the
 *   call's task is cancelled at once: its frames are destroyed on the
 *   module's workqueue, an iterator's next() does not advance, a SUM
 *   keeps the items it consumed, a TRANSMIT (which takes the widget
 *   before it first suspends) destroys the widget, releases its handle
 *   and delivers nothing, and the call completes exactly once with
 *   -ECANCELED (counted in STATS.cancelled; written out_ptr as on any
 *   completion, if the submitter's memory is still there). A call that
 *   finished, or hit its deadline, before the cancel reached it keeps
 *   its own result: exactly one CQE either way. A request io_uring
 *   cancels before it was issued (a linked one after a cancelled call)
 *   never reaches the module: it has no effect, a TRANSMIT leaves its
 *   widget in place.
 *   What the kernel does not do, on 6.12 as on 6.1: IORING_OP_ASYNC_CANCEL
 *   (and IORING_REGISTER_SYNC_CANCEL) never reaches a URING_CMD: it
 *   completes with -ENOENT (with IORING_ASYNC_CANCEL_ANY or _ALL: 0, the
 *   number cancelled) and the call runs on. A process that exits
 *   while another one (a fork sharing the ring) still holds the ring
 *   does not cancel its calls either: exit cancels only requests on
 *   io_uring files; those calls run to completion (exec and this case
 *   are read from 6.12's source, not tested). A DEFER_TASKRUN ring's
 *   teardown needs the exit work to run its local task work inside the
 *   cancel loop (upstream da579f05ef0f): it works on Debian's 6.12.118
 *   (tested).
 *   So to cancel one call, use DYNASYNC_IOC_CANCEL (below; any kernel).
 *   Without the flag (6.1): nothing but its deadline and
 *   DYNASYNC_IOC_CANCEL cancels a call. A ring torn down while calls are
 *   in flight (the process lives on) does not cancel them: they run to
 *   completion (at most max_call_ms) and their output is still written
 *   to out_ptr, so keep that memory until then.
 *
 * Module parameters (root may change them at run time through
 * /sys/module/dynasync/parameters; out-of-range or non-numeric writes fail
 * with -EINVAL and leave the old value):
 *   max_objects   per-file object limit (1..65536, default 1024): -EMFILE
 *   max_inflight  per-file in-flight call limit (1..65536, default 256):
 *                 -ENOBUFS
 *   max_file_bytes  per-file limit on the live bytes of the module's
 *                 allocations made for the file's objects and calls
 *                 (4096..2^40, default 67108864 = 64 MiB): -EDQUOT. Counted:
 *                 objects with their inline slots and impls, reserve pools
 *                 (struct, the mempool's own struct and element array,
 *                 every element), task stacks, boxed and cached frames,
 *                 calls' bookkeeping; requested sizes, not slab rounding.
 *                 Not counted: the file's own struct and handle table
 *                 (bounded by max_objects). STATS.bytes reports it; it is
 *                 0 again once every object is destroyed and every call
 *                 completed. Lowering the limit refuses new allocations
 *                 only
 *   max_call_ms   every call's deadline cap (1..60000, default 10000): a
 *                 torn-down ring (without DYNASYNC_VERSION_F_URING_CANCEL)
 *                 or a closed file waits at most this long for its calls,
 *                 which still complete exactly once
 *
 * Memory cgroup: every allocation made for an open file (all of the
 * above, the file's struct and handle table nodes, STATS and FAULT_GET's
 * temporary buffers) is charged with __GFP_ACCOUNT to the memory cgroup of
 * the process that opened the file, captured at open, also when it is made
 * later by a kworker (frames of suspended calls) or by another process
 * using the file. Not charged: RT_CHECK's and VERSION's short-lived frames
 * when made by a kworker (made by the caller, they are charged to it),
 * and the module's global state. A memcg limit shows as -ENOMEM.
 * ---------------------------------------------------------------------
 */

/* Traits. */
#define DYNASYNC_TRAIT_ITERATOR		1	/* async next() -> item or end */
#define DYNASYNC_TRAIT_WIDGET		2	/* augment / components / transmit */

/*
 * Impls. param[] and inner[] not listed must be zero; an adaptor without
 * its inner handle(s) is -EINVAL (0 is "not given", never a handle).
 * Adaptors take ownership of their inner objects: the inner handles are
 * released by CREATE (like Rust's iter.map(f) moving iter) and the inner
 * objects are destroyed with the adaptor. Inner objects must be iterators.
 */
#define DYNASYNC_IMPL_COUNTER	1	/* ITERATOR: param[0] start, param[1] count;
					 * yields start .. start+count-1, ready at once */
#define DYNASYNC_IMPL_TICKER	2	/* ITERATOR: param[0] period_ns (<= 1e9),
					 * param[1] count; yields 0 .. count-1,
					 * sleeping period_ns on an hrtimer before each */
#define DYNASYNC_IMPL_MAP	3	/* ITERATOR: inner[0]; param[0] mul, param[1] add;
					 * yields x * mul + add (mod 2^64) */
#define DYNASYNC_IMPL_TAKE	4	/* ITERATOR: inner[0]; param[0] limit */
#define DYNASYNC_IMPL_CHAIN	5	/* ITERATOR: inner[0] then inner[1] */
#define DYNASYNC_IMPL_GADGET	6	/* WIDGET: param[0] base total */
#define DYNASYNC_IMPL_MAX	6

/* Adaptor nesting limit (an object with no inner has depth 1). */
#define DYNASYNC_MAX_DEPTH	16

/* Methods. */
#define DYNASYNC_METHOD_NEXT		1	/* ITERATOR: out.value = item, out.flags END */
#define DYNASYNC_METHOD_SUM		2	/* ITERATOR: arg[0] = n; sums up to n items
						 * (fewer if it ends); out.value = sum */
#define DYNASYNC_METHOD_AUGMENT		3	/* WIDGET: arg[0] component kind,
						 * arg[1] its size; adds the
						 * component's weight; out.value = new total */
#define DYNASYNC_METHOD_COMPONENTS	4	/* WIDGET: a new COUNTER object over
						 * 0 .. (augments so far)-1, with the
						 * widget's storage configuration */
#define DYNASYNC_METHOD_TRANSMIT	5	/* WIDGET: consumes the widget (its
						 * handle is released once the call
						 * ran), delivers its total to the
						 * file's sink; out.value = total.
						 * A call that cannot start leaves
						 * the widget untouched. */
#define DYNASYNC_METHOD_MAX		5

/* AUGMENT component kinds (one dyn method serves every component type). */
#define DYNASYNC_COMPONENT_BOLT		1	/* weight = size */
#define DYNASYNC_COMPONENT_GEAR		2	/* weight = 3 * size + 1 (mod 2^64) */

/* GFP classes for a storage's heap allocations. */
#define DYNASYNC_GFP_KERNEL	0	/* may sleep */
#define DYNASYNC_GFP_NOWAIT	1	/* never sleeps, no reserves */
#define DYNASYNC_GFP_ATOMIC	2	/* never sleeps, may use reserves */

/* Limits of the storage parameters. */
#define DYNASYNC_MAX_SLOT_SIZE		4096
#define DYNASYNC_MAX_TASK_STACK		65536
#define DYNASYNC_MAX_RESERVE_FRAMES	256

/*
 * Where the frames of calls on an object live. Fields a strategy does
 * not use must be zero.
 *   BOXED        gfp
 *   INLINE       slot_size (0 = auto: the trait's largest frame over all
 *                impls, from the layout table)
 *   MAYBE_BOXED  slot_size (0 = auto), gfp of the fallback
 *   CACHED       gfp of the (re)allocation
 *   TASK_STACK   task_stack_size (1..DYNASYNC_MAX_TASK_STACK) bytes per
 *                top-level call, allocated with gfp (exactly that many
 *                are usable; frames take multiples of 16 bytes); nested calls into
 *                inner objects push their frames on it too
 *   RESERVE      reserve_frames (1..DYNASYNC_MAX_RESERVE_FRAMES) frames of
 *                the trait's largest size kept in a mempool; the call's
 *                bookkeeping comes from the same pool
 * Nested calls (an adaptor calling its inner object) use the inner
 * object's own storage, except under a TASK_STACK call, where every frame
 * of the call goes on its task stack. A TASK_STACK object called nested
 * under another strategy boxes its frames with its gfp.
 * SUM's own frame (the loop around next()) lives on the task stack or
 * in the reserve pool for those strategies, else it is boxed with gfp.
 */
struct dynasync_storage {
	__u32 strategy;		/* DYNASYNC_STRATEGY_* */
	__u32 gfp;		/* DYNASYNC_GFP_* */
	__u32 slot_size;
	__u32 task_stack_size;
	__u32 reserve_frames;
	__u32 reserved;		/* must be zero */
};

struct dynasync_create {
	__u32 trait;		/* in: DYNASYNC_TRAIT_* */
	__u32 impl;		/* in: DYNASYNC_IMPL_* of that trait */
	__u32 inner[2];		/* in: adaptors' inner handles (moved in), else 0 */
	__u64 param[2];		/* in: impl parameters */
	struct dynasync_storage storage;	/* in */
	__u32 handle;		/* out */
	__u32 slot_size;	/* out: effective inline slot / pool element bytes, else 0 */
	__u64 reserved[2];	/* must be zero */
};

#define DYNASYNC_IOC_CREATE \
	_IOWR(DYNASYNC_IOC_MAGIC, 0x02, struct dynasync_create)

/*
 * Destroys an object (and the inner objects it owns). -EBUSY while a call
 * on it is running: destruction is refused, never deferred, so a
 * successful DESTROY means every frame of the object is gone. A call stops
 * running when its frames are gone, a moment before its CQE or ioctl
 * return arrives.
 */
struct dynasync_destroy {
	__u32 handle;
	__u32 flags;		/* must be zero */
	__u64 reserved;		/* must be zero */
};

#define DYNASYNC_IOC_DESTROY \
	_IOW(DYNASYNC_IOC_MAGIC, 0x03, struct dynasync_destroy)

/* Set in dynasync_call_out.flags. */
#define DYNASYNC_OUT_F_END	(1U << 0)	/* NEXT: the iterator has ended */

struct dynasync_call_out {
	__u64 value;
	__u32 flags;		/* DYNASYNC_OUT_F_* */
	__u32 handle;		/* COMPONENTS: the new object */
	/*
	 * Allocations made for this call (its bookkeeping, every frame,
	 * nested ones included, a COMPONENTS object) that the fault injector
	 * failed, and that failed for real. A call that got -ENOMEM has at
	 * least one of the two; one with injections may still succeed (a
	 * RESERVE pool absorbs them). Also written when the call's
	 * bookkeeping could not be allocated (-ENOMEM or -EDQUOT before it
	 * ran).
	 */
	__u16 injected;		/* saturates at 65535 */
	__u16 alloc_failed;	/* saturates at 65535 */
	__u32 reserved;		/* written as zero */
};

struct dynasync_call {
	__u32 handle;
	__u32 method;		/* DYNASYNC_METHOD_* of the object's trait */
	__u64 arg[2];		/* method arguments; unused ones must be zero */
	__u64 deadline_ns;	/* relative; 0 = the module's max_call_ms cap;
				 * above the cap: -EINVAL */
	__u64 out_ptr;		/* struct dynasync_call_out *, or 0 */
	__u32 flags;		/* must be zero */
	__u32 reserved0;	/* must be zero */
	__u64 reserved[2];	/* must be zero */
};

#define DYNASYNC_IOC_CALL \
	_IOW(DYNASYNC_IOC_MAGIC, 0x04, struct dynasync_call)

/*
 * Cancels the suspended call on an object (one call per object: the
 * handle names it), on any kernel and either path: a blocking CALL
 * returns, an io_uring call posts its CQE, with -ECANCELED exactly once,
 * as described under Cancellation above (frames destroyed on the
 * workqueue, an iterator's next() not advanced, counted in
 * STATS.cancelled). Also as IORING_OP_URING_CMD with cmd_op
 * DYNASYNC_IOC_CANCEL and this struct in the command area (16 bytes: any
 * ring, SQE128 or not; not counted as a call); its CQE carries the result.
 * Result: 0 the call was told to stop (if it had finished meanwhile it
 * keeps its own result: one completion either way), -ENOENT no such
 * handle, -ESRCH no suspended call on it (none, or one that has not
 * suspended yet: a call that never suspends completes in its submission),
 * -EINVAL nonzero flags or reserved.
 */
struct dynasync_cancel {
	__u32 handle;
	__u32 flags;		/* must be zero */
	__u64 reserved;		/* must be zero */
};

#define DYNASYNC_IOC_CANCEL \
	_IOW(DYNASYNC_IOC_MAGIC, 0x09, struct dynasync_cancel)

/*
 * Frame accounting of one storage strategy (module-wide). Every field but
 * failures[] is a sum of per-CPU counters (the call path takes no locked
 * operation for them): exact when nothing runs; a read during activity
 * may be momentarily inconsistent. Placing a frame and allocating memory
 * are counted apart: an inline slot, a task stack or a cached block
 * places frames without allocating.
 *   live_frames       frames placed and not yet released
 *   live_bytes        their bytes (frame headers included)
 *   high_water_bytes  the exact peak of heap_bytes since the module
 *                     parameter track_high_water was turned on (it costs a
 *                     locked add per heap block); 0 while it is off
 *   placements        frames placed (cumulative); frame-free calls
 *                     (an impl ready at once) place none
 *   failures[]        placements refused, by errno: ENOMEM, E2BIG, EBUSY,
 *                     ENOSPC, EINVAL, other
 *   heap_allocations  heap blocks taken for this strategy's frames
 *                     (cumulative): boxed frames, maybe-boxed fallbacks,
 *                     cached blocks (first and each growth), task-stack
 *                     regions, reserve pools' reserves at creation (a
 *                     fresh block a reserve pool hands out is counted in
 *                     live_allocs[DYNASYNC_SITE_RESERVE], not here)
 *   heap_bytes        bytes held from the heap for them now (a cached
 *                     object's kept block included)
 */
struct dynasync_strategy_stats {
	__u64 live_frames;
	__u64 live_bytes;
	__u64 high_water_bytes;
	__u64 placements;
	__u64 failures[6];
	__u64 heap_allocations;
	__u64 heap_bytes;
};

/* Indexes of dynasync_stats.live_allocs (allocation sites). */
#define DYNASYNC_SITE_FRAME	0
#define DYNASYNC_SITE_TASK	1	/* calls' tasks and bookkeeping */
#define DYNASYNC_SITE_OBJECT	2
#define DYNASYNC_SITE_ARGS	3	/* argument buffers (no current trait needs one) */
#define DYNASYNC_SITE_RESERVE	4
/*
 * Kernel allocations made for the module outside its allocator (the handle
 * table's nodes, a reserve pool's own struct and element array) count
 * their failures under MISC (FAULT_GET's failed[], out.alloc_failed, but
 * not attempted[]), so every -ENOMEM names a cause.
 */
#define DYNASYNC_SITE_MISC	5
#define DYNASYNC_SITES		8	/* array size; unused entries are 0 */

struct dynasync_stats {
	__u32 flags;		/* must be zero */
	__u32 objects;		/* out: this file's objects (handles and owned inners) */
	__u32 inflight;		/* out: this file's calls not yet completed */
	__u32 reserved0;	/* must be zero */
	__u64 calls;		/* out: this file's calls submitted */
	__u64 completions;	/* out: this file's calls completed */
	__u64 sink_total;	/* out: sum of the totals TRANSMIT delivered */
	__u64 sink_deliveries;	/* out: TRANSMIT deliveries */
	__u64 live_allocs[DYNASYNC_SITES];	/* out: module-wide, per site */
	/* out: module-wide, indexed by DYNASYNC_STRATEGY_* ([0] unused) */
	struct dynasync_strategy_stats strategy[DYNASYNC_STRATEGY_MAX + 1];
	/*
	 * out: this file's live bytes charged against max_file_bytes. Was
	 * reserved[0] (zero on input, written as zero): ignored on input.
	 */
	__u64 bytes;
	/*
	 * out: this file's calls that io_uring or DYNASYNC_IOC_CANCEL
	 * cancelled (each completed with -ECANCELED; see Cancellation
	 * above). Was reserved[0]: ignored on input.
	 */
	__u64 cancelled;
	__u64 reserved[2];	/* must be zero */
};

#define DYNASYNC_IOC_STATS \
	_IOWR(DYNASYNC_IOC_MAGIC, 0x05, struct dynasync_stats)

/*
 * Frame size (header included) a method of an impl asks for, from the
 * layout table computed at module load. 0: the method makes no frame
 * (COMPONENTS is synchronous). SUM's frame is the same for every impl.
 * slot_size: what INLINE/MAYBE_BOXED with slot_size 0 give objects of
 * this trait.
 */
struct dynasync_layout {
	__u32 trait;		/* in */
	__u32 impl;		/* in */
	__u32 method;		/* in */
	__u32 reserved0;	/* must be zero */
	__u64 frame_size;	/* out */
	__u64 slot_size;	/* out */
	__u64 reserved[2];	/* must be zero */
};

#define DYNASYNC_IOC_LAYOUT \
	_IOWR(DYNASYNC_IOC_MAGIC, 0x06, struct dynasync_layout)

/*
 * ---------------------------------------------------------------------
 * Fault injection.
 *
 * Every allocation the module makes goes through one hook that knows its
 * site (DYNASYNC_SITE_*), the storage strategy of the object it is for,
 * and the operation (trait and method of the call; method 0 while an
 * object is created). A failure the hook injects is indistinguishable
 * from a real one: the operation reports -ENOMEM, or a RESERVE pool falls
 * back to its reserve.
 *
 * Two policies apply to every allocation, the file's first:
 *   - one per open file, set with FAULT_SET: it sees the allocations made
 *     for that file's objects and calls (CREATE, CALL, COMPONENTS);
 *   - one module-wide, in debugfs: <debugfs>/dynasync/fault/ has one file
 *     per field below (mode, sites, strategies, trait, method, nth,
 *     probability, interval, times, space, seed), "counters" (module-wide
 *     counters per site; writing 0 resets them) and "state".
 *     Writes are validated as a whole policy (-EINVAL, the old one stays)
 *     and re-arm it: set the fields, then mode last.
 *
 * An allocation is a candidate of a policy when it passes every filter
 * (0 in a filter matches everything). Modes:
 *   OFF    no candidate fails; every other field must be zero.
 *   NTH    the nth candidate after arming fails, no other one (as
 *          /proc/self/fail-nth does for a task). nth >= 1; the RATE fields
 *          must be zero.
 *   RATE   the kernel's fault_attr rules, in this order for each candidate:
 *          times == 0: no more failures; while more than the candidate's
 *          size of the space budget remains, the size is subtracted and it
 *          succeeds; with interval > 1 only every interval-th candidate
 *          goes on; it fails with probability percent, drawn from a PRNG
 *          seeded with seed (the same seed and the same sequence of
 *          candidates give the same failures); a failure decrements times
 *          unless it is -1. probability 1..100 (100 with interval k: every
 *          k-th candidate), times -1 or >= 1; nth must be zero.
 * On a kernel with CONFIG_FAULT_INJECTION the module also registers the
 * kernel's own fault_attr "fail_dynasync" (debugfs, the standard files)
 * and asks should_fail() on every allocation: the kernel's task filter
 * and /proc/<pid>/fail-nth then reach the module's allocation sites too.
 * ---------------------------------------------------------------------
 */
#define DYNASYNC_FAULT_OFF	0
#define DYNASYNC_FAULT_NTH	1
#define DYNASYNC_FAULT_RATE	2

/* FAULT_SET only: also zero the file's counters. */
#define DYNASYNC_FAULT_F_RESET_COUNTERS	(1U << 0)

struct dynasync_fault_policy {
	__u32 mode;		/* DYNASYNC_FAULT_* */
	__u32 flags;		/* DYNASYNC_FAULT_F_* */
	__u32 sites;		/* 1 << DYNASYNC_SITE_*; 0 = every site */
	__u32 strategies;	/* 1 << DYNASYNC_STRATEGY_*; 0 = every one */
	__u32 trait;		/* DYNASYNC_TRAIT_* of the operation; 0 = any */
	__u32 method;		/* DYNASYNC_METHOD_* (of trait, if set); 0 = any */
	__u64 nth;		/* NTH: 1-based */
	__u32 probability;	/* RATE: percent */
	__u32 interval;		/* RATE: 0 or 1 = every candidate */
	__s64 times;		/* RATE: -1 = unlimited */
	__u64 space;		/* RATE: byte budget that succeeds first */
	__u64 seed;		/* RATE: PRNG seed */
	__u64 reserved[2];	/* must be zero */
};

/* Arms (or, with mode OFF, disarms) the file's policy. */
#define DYNASYNC_IOC_FAULT_SET \
	_IOW(DYNASYNC_IOC_MAGIC, 0x07, struct dynasync_fault_policy)

struct dynasync_fault_state {
	struct dynasync_fault_policy policy;	/* as set (flags 0) */
	__u64 candidates;	/* since arming */
	__u64 injections;	/* since arming */
	__s64 times_left;	/* RATE */
	__u64 space_left;	/* RATE */
	/*
	 * Allocations made for the file's objects and calls, per site, since
	 * open or the last DYNASYNC_FAULT_F_RESET_COUNTERS: attempted, failed
	 * by injection (either policy), failed for real.
	 */
	__u64 attempted[DYNASYNC_SITES];
	__u64 injected[DYNASYNC_SITES];
	__u64 failed[DYNASYNC_SITES];
	__u64 reserved[2];	/* written as zero */
};

#define DYNASYNC_IOC_FAULT_GET \
	_IOR(DYNASYNC_IOC_MAGIC, 0x08, struct dynasync_fault_state)

#endif /* _UAPI_DYNASYNC_H */
