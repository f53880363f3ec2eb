// SPDX-License-Identifier: GPL-2.0
/*
 * The device's per-file object table and the call entry points: a blocking
 * ioctl and IORING_OP_URING_CMD. This file validates user input and owns
 * handles, limits and user memory; ops/ (C++) owns what objects and calls
 * mean. Every CALL is reported exactly once: the ioctl's return value, or
 * one CQE (inline from the issue path when the call finished there).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "uapi/dynasync.h"
#include "ops/objects.h"
#include "rt/platform.h"
#include "compat.h"
#include "dev_objects.h"
#include "fault.h"
#include "dynasync_trace.h"

static_assert(DS_TRAIT_ITERATOR == DYNASYNC_TRAIT_ITERATOR &&
	      DS_TRAIT_WIDGET == DYNASYNC_TRAIT_WIDGET);
static_assert(DS_IMPL_COUNTER == DYNASYNC_IMPL_COUNTER &&
	      DS_IMPL_TICKER == DYNASYNC_IMPL_TICKER &&
	      DS_IMPL_MAP == DYNASYNC_IMPL_MAP &&
	      DS_IMPL_TAKE == DYNASYNC_IMPL_TAKE &&
	      DS_IMPL_CHAIN == DYNASYNC_IMPL_CHAIN &&
	      DS_IMPL_GADGET == DYNASYNC_IMPL_GADGET &&
	      DS_IMPL_MAX == DYNASYNC_IMPL_MAX);
static_assert(DS_METHOD_NEXT == DYNASYNC_METHOD_NEXT &&
	      DS_METHOD_SUM == DYNASYNC_METHOD_SUM &&
	      DS_METHOD_AUGMENT == DYNASYNC_METHOD_AUGMENT &&
	      DS_METHOD_COMPONENTS == DYNASYNC_METHOD_COMPONENTS &&
	      DS_METHOD_TRANSMIT == DYNASYNC_METHOD_TRANSMIT &&
	      DS_METHOD_MAX == DYNASYNC_METHOD_MAX);
static_assert(DS_STRATEGY_BOXED == DYNASYNC_STRATEGY_BOXED &&
	      DS_STRATEGY_INLINE == DYNASYNC_STRATEGY_INLINE &&
	      DS_STRATEGY_MAYBE_BOXED == DYNASYNC_STRATEGY_MAYBE_BOXED &&
	      DS_STRATEGY_CACHED == DYNASYNC_STRATEGY_CACHED &&
	      DS_STRATEGY_TASK_STACK == DYNASYNC_STRATEGY_TASK_STACK &&
	      DS_STRATEGY_RESERVE == DYNASYNC_STRATEGY_RESERVE &&
	      DS_STRATEGY_MAX == DYNASYNC_STRATEGY_MAX);
static_assert(DS_COMPONENT_BOLT == DYNASYNC_COMPONENT_BOLT &&
	      DS_COMPONENT_GEAR == DYNASYNC_COMPONENT_GEAR &&
	      DS_OUT_F_END == DYNASYNC_OUT_F_END &&
	      DS_MAX_DEPTH == DYNASYNC_MAX_DEPTH &&
	      DS_MAX_SLOT_SIZE == DYNASYNC_MAX_SLOT_SIZE &&
	      DS_MAX_TASK_STACK == DYNASYNC_MAX_TASK_STACK &&
	      DS_MAX_RESERVE_FRAMES == DYNASYNC_MAX_RESERVE_FRAMES);
static_assert(DS_GFP_KERNEL == DYNASYNC_GFP_KERNEL &&
	      DS_GFP_NOWAIT == DYNASYNC_GFP_NOWAIT &&
	      DS_GFP_ATOMIC == DYNASYNC_GFP_ATOMIC);
static_assert(DS_SITE_FRAME == DYNASYNC_SITE_FRAME &&
	      DS_SITE_TASK == DYNASYNC_SITE_TASK &&
	      DS_SITE_OBJECT == DYNASYNC_SITE_OBJECT &&
	      DS_SITE_ARGS == DYNASYNC_SITE_ARGS &&
	      DS_SITE_RESERVE == DYNASYNC_SITE_RESERVE &&
	      DS_SITE_MISC == DYNASYNC_SITE_MISC &&
	      DS_SITE_COUNT <= DYNASYNC_SITES);
/* The call travels in the SQE's command area (IORING_SETUP_SQE128). */
static_assert(sizeof(struct dynasync_call) <= 80);
static_assert(sizeof(struct dynasync_call) == 64 &&
	      sizeof(struct dynasync_call_out) == 24 &&
	      sizeof(struct dynasync_create) == 80 &&
	      sizeof(struct dynasync_destroy) == 16 &&
	      sizeof(struct dynasync_cancel) == 16 &&
	      sizeof(struct dynasync_layout) == 48 &&
	      sizeof(struct dynasync_stats) == 816);

/* ---- module parameters: limits, range-checked on every write ---------- */

static unsigned int max_objects = 1024;
static unsigned int max_inflight = 256;
static unsigned int max_call_ms = 10000;

/* Out of range is -EINVAL, also where kstrtouint says -ERANGE. */
static int ds_set_uint(const char *val, const struct kernel_param *kp,
		       unsigned int max)
{
	int ret = param_set_uint_minmax(val, kp, 1, max);

	return ret == -ERANGE ? -EINVAL : ret;
}

static int ds_set_limit(const char *val, const struct kernel_param *kp)
{
	return ds_set_uint(val, kp, 65536);
}

static int ds_set_call_ms(const char *val, const struct kernel_param *kp)
{
	return ds_set_uint(val, kp, 60000);
}

static const struct kernel_param_ops ds_limit_ops = {
	.set = ds_set_limit,
	.get = param_get_uint,
};

static const struct kernel_param_ops ds_call_ms_ops = {
	.set = ds_set_call_ms,
	.get = param_get_uint,
};

module_param_cb(max_objects, &ds_limit_ops, &max_objects, 0644);
MODULE_PARM_DESC(max_objects, "objects per open file (1..65536, default 1024)");
module_param_cb(max_inflight, &ds_limit_ops, &max_inflight, 0644);
MODULE_PARM_DESC(max_inflight, "calls in flight per open file (1..65536, default 256)");
module_param_cb(max_call_ms, &ds_call_ms_ops, &max_call_ms, 0644);
MODULE_PARM_DESC(max_call_ms, "deadline cap of every call in ms (1..60000, default 10000)");

/*
 * STATS' high_water_bytes costs a locked add per heap block for frames, so
 * it is kept only while asked for (from the moment it is turned on).
 */
static bool track_high_water;

static int ds_set_track_high_water(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	*(bool *)kp->arg = on;
	ds_stats_track_high_water(on);
	return 0;
}

static const struct kernel_param_ops ds_track_ops = {
	.set = ds_set_track_high_water,
	.get = param_get_bool,
};

module_param_cb(track_high_water, &ds_track_ops, &track_high_water, 0644);
MODULE_PARM_DESC(track_high_water, "keep STATS' exact heap high-water mark (0/1, default 0)");

/* ---- the per-file table ------------------------------------------------ */

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

int ds_file_open(struct file *file)
{
	/* Charged to the opener's memcg, like everything made for the file. */
	struct ds_file *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return -ENOMEM;
	xa_init_flags(&f->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	ds_fault_scope_init(&f->fault);
	ds_account_open(&f->fault.account);
	file->private_data = f;
	return 0;
}

/* No call can be in flight: each holds a reference on the file. */
void ds_file_release(struct file *file)
{
	struct ds_file *f = file->private_data;
	struct ds_object *obj;
	unsigned long handle;

	xa_for_each(&f->objects, handle, obj) {
		xa_erase(&f->objects, handle);
		ds_object_put(obj);
	}
	xa_destroy(&f->objects);
	ds_account_release(&f->fault.account);
	kfree(f);
}

/* Counts @n more objects against the file's limit. */
static int ds_charge_objects(struct ds_file *f, unsigned int n)
{
	int cur = atomic_read(&f->nobjects);

	do {
		if (cur + n > READ_ONCE(max_objects))
			return -EMFILE;
	} while (!atomic_try_cmpxchg(&f->nobjects, &cur, cur + n));
	return 0;
}

/*
 * Handles are reserved first and published last: a handle the caller has
 * not been told about (its copy_to_user may still fail) names nothing, so
 * no other thread can call or destroy it meanwhile.
 */
static int ds_reserve(struct ds_file *f, u32 *handle)
{
	/* Its node goes to the file's memcg, also from a kworker's task work. */
	struct mem_cgroup *old = ds_account_enter(&f->fault.account);
	int ret = xa_alloc_cyclic(&f->objects, handle, NULL, XA_LIMIT(1, INT_MAX),
				  &f->next_handle, GFP_KERNEL_ACCOUNT);

	ds_account_leave(&f->fault.account, old);
	return ret < 0 ? ret : 0;
}

/* Fills a reserved handle: needs no memory (the slot exists). */
static int ds_publish(struct ds_file *f, u32 handle, struct ds_object *obj)
{
	return xa_err(xa_store(&f->objects, handle, obj, GFP_KERNEL_ACCOUNT));
}

/* Removes @handle if it still names @obj; drops the table's reference. */
static void ds_erase_if(struct ds_file *f, u32 handle, struct ds_object *obj)
{
	bool erased;

	xa_lock(&f->objects);
	erased = __xa_cmpxchg(&f->objects, handle, obj, NULL, 0) == obj;
	xa_unlock(&f->objects);
	if (erased) {
		atomic_sub(ds_object_weight(obj), &f->nobjects);
		ds_object_put(obj);
	}
}

/*
 * Finds @handle and takes it exclusively (borrow) with a reference, atomically
 * with respect to DESTROY and CREATE's move of inner objects.
 */
static int ds_borrow(struct ds_file *f, u32 handle, struct ds_object **out)
{
	struct ds_object *obj;
	int ret = 0;

	xa_lock(&f->objects);
	obj = handle ? xa_load(&f->objects, handle) : NULL;
	if (!obj)
		ret = -ENOENT;
	else if (!ds_object_try_borrow(obj))
		ret = -EBUSY;
	else
		ds_object_get(obj);
	xa_unlock(&f->objects);
	*out = ret ? NULL : obj;
	return ret;
}

static void ds_give_back(struct ds_object *obj)
{
	if (obj) {
		ds_object_unborrow(obj);
		ds_object_put(obj);
	}
}

/* ---- CREATE / DESTROY --------------------------------------------------- */

long ds_ioctl_create(struct file *file, struct dynasync_create __user *uarg)
{
	struct ds_file *f = file->private_data;
	struct ds_object *inner[2] = { NULL, NULL };
	struct ds_object_params p = {};
	struct dynasync_create c;
	struct ds_object *obj;
	int i, n, ret = 0;
	u32 handle;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.reserved[0] || c.reserved[1] || c.storage.reserved)
		return -EINVAL;
	/* Unused inner fields are zero, used ones given, before any lookup. */
	n = ds_object_inner_count(c.trait, c.impl);
	if (n < 0)
		return n;
	for (i = 0; i < 2; i++)
		if ((i < n) != (c.inner[i] != 0))
			return -EINVAL;
	if (c.inner[0] && c.inner[0] == c.inner[1])
		return -EINVAL;
	/* Borrowed: no call, DESTROY or other CREATE touches them meanwhile. */
	for (i = 0; i < 2 && !ret; i++)
		if (c.inner[i])
			ret = ds_borrow(f, c.inner[i], &inner[i]);
	if (ret)
		goto out;

	p.trait = c.trait;
	p.impl = c.impl;
	p.inner[0] = inner[0];
	p.inner[1] = inner[1];
	p.param[0] = c.param[0];
	p.param[1] = c.param[1];
	p.strategy = c.storage.strategy;
	p.gfp = c.storage.gfp;
	p.slot_size = c.storage.slot_size;
	p.task_stack_size = c.storage.task_stack_size;
	p.reserve_frames = c.storage.reserve_frames;
	p.fault_scope = &f->fault;
	ret = ds_object_create(&p, &obj);
	if (ret)
		goto out;
	/* From here the new object holds our (borrow) references to the inners. */
	ret = ds_charge_objects(f, 1); /* after validation: its errnos first */
	if (ret)
		goto undo;
	ret = ds_reserve(f, &handle);
	if (ret == -ENOMEM)	/* the table's node: FAULT_GET names the cause */
		ds_fault_scope_failure(&f->fault, DS_SITE_MISC);
	if (ret)
		goto uncharge;
	c.handle = handle;
	c.slot_size = ds_object_slot_size(obj);
	if (copy_to_user(uarg, &c, sizeof(c)))
		ret = -EFAULT;
	else
		ret = ds_publish(f, handle, obj);
	if (ret) {
		xa_erase(&f->objects, handle);
		goto uncharge;
	}
	/*
	 * Moved: the adaptor owns the inners and their handles go. Still
	 * borrowed here, so no DESTROY or CREATE can take them first.
	 */
	for (i = 0; i < 2; i++) {
		if (!inner[i])
			continue;
		xa_erase(&f->objects, c.inner[i]);
		ds_object_unborrow(inner[i]);
		ds_object_put(inner[i]); /* the table's reference */
	}
	return 0;
uncharge:
	atomic_dec(&f->nobjects);
undo:
	/* The inners stay where they were: give obj's references back. */
	for (i = 0; i < 2; i++)
		if (inner[i])
			ds_object_get(inner[i]);
	ds_object_put(obj);
out:
	ds_give_back(inner[0]);
	ds_give_back(inner[1]);
	return ret;
}

long ds_ioctl_destroy(struct file *file, struct dynasync_destroy __user *uarg)
{
	struct ds_file *f = file->private_data;
	struct dynasync_destroy d;
	struct ds_object *obj;
	int ret = 0;

	if (copy_from_user(&d, uarg, sizeof(d)))
		return -EFAULT;
	if (d.flags || d.reserved)
		return -EINVAL;
	xa_lock(&f->objects);
	obj = d.handle ? xa_load(&f->objects, d.handle) : NULL;
	if (!obj)
		ret = -ENOENT;
	else if (ds_object_borrowed(obj))
		ret = -EBUSY; /* refused, never deferred */
	else
		__xa_erase(&f->objects, d.handle);
	xa_unlock(&f->objects);
	if (ret)
		return ret;
	atomic_sub(ds_object_weight(obj), &f->nobjects);
	ds_object_put(obj);
	return 0;
}

/* ---- CALL: shared by both paths ---------------------------------------- */

static u16 ds_sat16(unsigned int v)
{
	return min_t(unsigned int, v, U16_MAX);
}

/* The bookkeeping could not be allocated: say why in the output, if any. */
static void ds_report_alloc_failure(const struct dynasync_call *uc,
				    struct ds_object *obj)
{
	struct dynasync_call_out out = {};
	unsigned int injected, failed;

	if (!uc->out_ptr)
		return;
	ds_object_op_counts(obj, &injected, &failed);
	out.injected = ds_sat16(injected);
	out.alloc_failed = ds_sat16(failed);
	/* Checked writable at submission; the errno says -ENOMEM either way. */
	if (copy_to_user(u64_to_user_ptr(uc->out_ptr), &out, sizeof(out)))
		return;
}

/*
 * The call is about to start: name it for the tracepoints. The test is
 * the event's static key, inline: with tracing off the call path has a
 * patched-out jump here and nothing else.
 */
static atomic64_t ds_trace_next_id;

static noinline void ds_trace_call_started(struct ds_call *c,
					   struct io_uring_cmd *ioucmd)
{
	c->trace_id = atomic64_inc_return(&ds_trace_next_id);
	c->user_data = ioucmd ? ds_uring_cmd_user_data(ioucmd) : 0;
	trace_dynasync_call_start(c, ioucmd != NULL);
}

static __always_inline void ds_trace_call_start(struct ds_call *c,
						struct io_uring_cmd *ioucmd)
{
	if (trace_dynasync_call_start_enabled())
		ds_trace_call_started(c, ioucmd);
}

static int ds_call_prepare(struct ds_file *f, const struct dynasync_call *uc,
			   struct ds_call **out)
{
	const u64 cap_ns = (u64)READ_ONCE(max_call_ms) * NSEC_PER_MSEC;
	struct ds_object *obj;
	struct ds_call *c;
	int ret;

	if (uc->flags || uc->reserved0 || uc->reserved[0] || uc->reserved[1])
		return -EINVAL;
	if (uc->method < 1 || uc->method > DYNASYNC_METHOD_MAX ||
	    uc->deadline_ns > cap_ns)
		return -EINVAL;
	/* Fail a bad output pointer before the call has any effect. */
	if (uc->out_ptr && clear_user(u64_to_user_ptr(uc->out_ptr),
				      sizeof(struct dynasync_call_out)))
		return -EFAULT;
	ret = ds_borrow(f, uc->handle, &obj);
	if (ret)
		return ret;
	/* Counted once the object is taken: STATS.inflight says "running". */
	if (atomic_inc_return(&f->inflight) > READ_ONCE(max_inflight)) {
		ret = -ENOBUFS;
		goto out_inflight;
	}
	ret = ds_call_alloc(obj, uc->method, &c);
	if (ret) {
		/* -ENOMEM: a RESERVE object's pool is empty. */
		ds_report_alloc_failure(uc, obj);
		goto out_inflight;
	}
	c->method = uc->method;
	c->arg[0] = uc->arg[0];
	c->arg[1] = uc->arg[1];
	c->deadline_ns = uc->deadline_ns ?: cap_ns;
	c->sink = &f->sink;
	c->obj = obj;
	c->handle = uc->handle;
	c->out_ptr = uc->out_ptr;
	c->mm = current->mm;
	*out = c;
	return 0;
out_inflight:
	atomic_dec(&f->inflight);
	ds_give_back(obj);
	return ret;
}

/*
 * In the submitter's context (@user_ok: its memory may be written): hands
 * out COMPONENTS' new object, releases a consumed object's handle, writes
 * the output, frees the call. Returns the call's result.
 */
static int ds_call_finish(struct ds_file *f, struct ds_call *c, bool user_ok)
{
	struct dynasync_call_out out = {
		.value = c->value,
		.flags = c->out_flags,
		.injected = ds_sat16(c->injected),
		.alloc_failed = ds_sat16(c->alloc_failed),
	};
	struct ds_object *new_obj = c->new_obj;
	int res = c->res;
	u32 handle = 0;

	if (c->cancelable) {	/* CANCEL can no longer reach it */
		xa_lock(&f->objects);
		ds_object_set_cancelable(c->obj, NULL);
		xa_unlock(&f->objects);
	}
	if (new_obj) {
		res = ds_charge_objects(f, 1);
		if (!res) {
			res = ds_reserve(f, &handle);
			if (res)
				atomic_dec(&f->nobjects);
			/* The table's node allocation: counted like ours. */
			if (res == -ENOMEM) {
				ds_fault_scope_failure(&f->fault, DS_SITE_MISC);
				out.alloc_failed = ds_sat16(c->alloc_failed + 1);
			}
		}
		if (!res) {
			out.handle = handle;
			res = handle;
		}
	}
	if (ds_object_consumed(c->obj))
		ds_erase_if(f, c->handle, c->obj);
	if (c->out_ptr) {
		if (!user_ok)
			res = -ECANCELED; /* the submitter is gone */
		else if (copy_to_user(u64_to_user_ptr(c->out_ptr), &out, sizeof(out)))
			res = -EFAULT;
	}
	if (new_obj && handle) {
		if (res >= 0)
			res = ds_publish(f, handle, new_obj) ?: res;
		if (res < 0) {
			xa_erase(&f->objects, handle);
			atomic_dec(&f->nobjects);
		}
	}
	if (new_obj && res < 0)
		ds_object_put(new_obj);
	trace_dynasync_call_complete(c, res);
	if (c->cancelled)
		atomic64_inc(&f->cancelled);
	ds_call_free(c);
	atomic_dec(&f->inflight);
	atomic64_inc(&f->completions);
	return res;
}

/*
 * A suspended call: DYNASYNC_IOC_CANCEL may stop it from now on, until
 * ds_call_finish(). Only suspended calls pay for this (one lock round).
 */
static void ds_call_publish(struct ds_file *f, struct ds_call *c)
{
	xa_lock(&f->objects);
	ds_object_set_cancelable(c->obj, c);
	xa_unlock(&f->objects);
	c->cancelable = true;
}

/*
 * Stops the suspended call on @uc->handle: 0 (it completes with
 * -ECANCELED, or with its own result if it finished first), -ENOENT (no
 * such handle), -ESRCH (no suspended call on it). Under the table's lock,
 * which ds_call_finish() takes before the call is freed.
 */
static int ds_cancel(struct ds_file *f, const struct dynasync_cancel *uc)
{
	struct ds_object *obj;
	struct ds_call *c = NULL;

	if (uc->flags || uc->reserved)
		return -EINVAL;
	xa_lock(&f->objects);
	obj = uc->handle ? xa_load(&f->objects, uc->handle) : NULL;
	if (obj) {
		c = ds_object_cancelable(obj);
		if (c)
			ds_call_cancel(c);
	}
	xa_unlock(&f->objects);
	if (!obj)
		return -ENOENT;
	return c ? 0 : -ESRCH;
}

long ds_ioctl_cancel(struct file *file, struct dynasync_cancel __user *uarg)
{
	struct dynasync_cancel uc;

	if (copy_from_user(&uc, uarg, sizeof(uc)))
		return -EFAULT;
	return ds_cancel(file->private_data, &uc);
}

static void ds_ioctl_call_done(struct ds_call *c)
{
	complete(c->glue);
}

long ds_ioctl_call(struct file *file, struct dynasync_call __user *uarg)
{
	struct ds_file *f = file->private_data;
	struct dynasync_call uc;
	struct completion done;
	struct ds_call *c;
	int ret;

	atomic64_inc(&f->calls);
	if (copy_from_user(&uc, uarg, sizeof(uc)))
		ret = -EFAULT;
	else
		ret = ds_call_prepare(f, &uc, &c);
	if (ret) {
		atomic64_inc(&f->completions);
		return ret;
	}
	init_completion(&done);
	c->glue = &done;
	c->complete = ds_ioctl_call_done;
	ds_trace_call_start(c, NULL);
	if (ds_call_start(c)) {
		ds_call_publish(f, c);
		/* Bounded by the call's deadline; a fatal signal cuts it short. */
		if (wait_for_completion_killable(&done)) {
			ds_call_interrupt(c);
			wait_for_completion(&done);
		}
	}
	return ds_call_finish(f, c, true);
}

/* ---- CALL through io_uring ----------------------------------------------- */

static struct ds_call **ds_uring_pdu(struct io_uring_cmd *ioucmd)
{
	static_assert(sizeof(struct ds_call *) <= sizeof(ioucmd->pdu));
	return (struct ds_call **)ioucmd->pdu;
}

/*
 * Task work of the submitter (a kworker if it is exiting). Runs under the
 * ring's uring_lock, like io_uring's cancel of a marked command: c is
 * freed and the command done (unmarked) before a cancel can look at it.
 */
static void ds_uring_task_cb(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct ds_file *f = ioucmd->file->private_data;
	struct ds_call *c = *ds_uring_pdu(ioucmd);
	int res = ds_call_finish(f, c, current->mm && current->mm == c->mm);

	io_uring_cmd_done(ioucmd, res, 0, issue_flags);
}

/*
 * A suspended call's completion and its issue's end (the command marked
 * cancelable) meet here: the last of the two queues the task work, so the
 * command is never done before it is marked, also when it was issued by
 * io-wq and the submitter runs its task work meanwhile.
 */
enum { DS_URING_RUNNING, DS_URING_ISSUED, DS_URING_COMPLETED };

static void ds_uring_call_done(struct ds_call *c)
{
	if (xchg(&c->glue_state, DS_URING_COMPLETED) == DS_URING_ISSUED)
		io_uring_cmd_complete_in_task(c->glue, ds_uring_task_cb);
}

int ds_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct ds_file *f = ioucmd->file->private_data;
	struct dynasync_call uc;
	struct ds_call *c;
	int ret;

	/*
	 * io_uring cancels a call we marked (6.7+: ring teardown, exec): it
	 * is not done, so c is live. Its task is cancelled on the worker and
	 * the call completes as any other, with -ECANCELED unless it ended
	 * first; io_uring asks again until then, which changes nothing.
	 */
	if (ds_uring_cmd_cancelling(issue_flags)) {
		ds_call_cancel(*ds_uring_pdu(ioucmd));
		return 0;
	}
	/* Not a call: answered here, in the CQE (any ring: 16 bytes). */
	if (ioucmd->cmd_op == DYNASYNC_IOC_CANCEL) {
		struct dynasync_cancel cc;

		memcpy(&cc, ds_uring_cmd_payload(ioucmd), sizeof(cc));
		io_uring_cmd_done(ioucmd, ds_cancel(f, &cc), 0, issue_flags);
		return -EIOCBQUEUED;
	}
	atomic64_inc(&f->calls);
	if (ioucmd->cmd_op != DYNASYNC_IOC_CALL) {
		ret = -ENOTTY;
	} else if (!(issue_flags & IO_URING_F_SQE128)) {
		ret = -EINVAL;
	} else {
		/* The SQE is shared with userspace: read it exactly once. */
		memcpy(&uc, ds_uring_cmd_payload(ioucmd), sizeof(uc));
		ret = ds_call_prepare(f, &uc, &c);
	}
	if (ret) {
		atomic64_inc(&f->completions);
		goto done;
	}
	c->glue = ioucmd;
	c->complete = ds_uring_call_done;
	*ds_uring_pdu(ioucmd) = c;
	ds_trace_call_start(c, ioucmd);
	if (ds_call_start(c)) {
		/* Suspended: CANCEL, and io_uring (6.7+), may stop it now. */
		ds_call_publish(f, c);
		ds_uring_cmd_mark_cancelable(ioucmd, issue_flags);
		if (xchg(&c->glue_state, DS_URING_ISSUED) == DS_URING_COMPLETED)
			io_uring_cmd_complete_in_task(ioucmd, ds_uring_task_cb);
		return -EIOCBQUEUED;
	}
	/* Ready at once: the CQE carries the result, no task work. */
	ret = ds_call_finish(f, c, true);
done:
	/*
	 * Completed here, never by returning the result: 6.1's io-wq path
	 * (IOSQE_ASYNC) drops a positive ->uring_cmd return (NEXT's 1, a
	 * COMPONENTS handle) without posting a CQE, and the inline path
	 * fails such a request's links. ublk completes inline the same way.
	 */
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
	return -EIOCBQUEUED;
}

/* ---- fault injection: the file's policy --------------------------------- */

long ds_ioctl_fault_set(struct file *file, struct dynasync_fault_policy __user *uarg)
{
	struct ds_file *f = file->private_data;

	return ds_fault_ioctl_set(&f->fault, uarg);
}

long ds_ioctl_fault_get(struct file *file, struct dynasync_fault_state __user *uarg)
{
	struct ds_file *f = file->private_data;

	return ds_fault_ioctl_get(&f->fault, uarg);
}

/* ---- STATS / LAYOUT ---------------------------------------------------- */

long ds_ioctl_stats(struct file *file, struct dynasync_stats __user *uarg)
{
	struct ds_file *f = file->private_data;
	struct ds_strategy_counters sc;
	struct dynasync_stats *s;
	long ret = 0;
	int i, j;

	s = kmalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	if (copy_from_user(s, uarg, sizeof(*s))) {
		ret = -EFAULT;
		goto out;
	}
	/*
	 * bytes and cancelled are out only (they were reserved[0] and [1]:
	 * zero from older callers).
	 */
	if (s->flags || s->reserved0 || s->reserved[0] || s->reserved[1]) {
		ret = -EINVAL;
		goto out;
	}
	memset(s, 0, sizeof(*s));
	s->objects = atomic_read(&f->nobjects);
	s->inflight = atomic_read(&f->inflight);
	s->calls = atomic64_read(&f->calls);
	s->completions = atomic64_read(&f->completions);
	s->cancelled = atomic64_read(&f->cancelled);
	s->sink_total = READ_ONCE(f->sink.received);
	s->sink_deliveries = READ_ONCE(f->sink.deliveries);
	s->bytes = ds_account_bytes(&f->fault.account);
	for (i = 0; i < DS_SITE_COUNT; i++)
		s->live_allocs[i] = ds_live_allocations_at(i);
	for (i = DYNASYNC_STRATEGY_BOXED; i <= DYNASYNC_STRATEGY_MAX; i++) {
		ds_stats_strategy(i, &sc);
		s->strategy[i].live_frames = sc.live_frames;
		s->strategy[i].live_bytes = sc.live_bytes;
		s->strategy[i].high_water_bytes = sc.high_water_bytes;
		s->strategy[i].placements = sc.placements;
		for (j = 0; j < ARRAY_SIZE(sc.failures); j++)
			s->strategy[i].failures[j] = sc.failures[j];
		s->strategy[i].heap_allocations = sc.heap_allocations;
		s->strategy[i].heap_bytes = sc.heap_bytes;
	}
	if (copy_to_user(uarg, s, sizeof(*s)))
		ret = -EFAULT;
out:
	kfree(s);
	return ret;
}

long ds_ioctl_layout(struct file *file, struct dynasync_layout __user *uarg)
{
	struct dynasync_layout l;
	u64 frame, slot;
	int ret;

	if (copy_from_user(&l, uarg, sizeof(l)))
		return -EFAULT;
	if (l.reserved0 || l.reserved[0] || l.reserved[1])
		return -EINVAL;
	ret = ds_layout(l.trait, l.impl, l.method, &frame, &slot);
	if (ret)
		return ret;
	l.frame_size = frame;
	l.slot_size = slot;
	if (copy_to_user(uarg, &l, sizeof(l)))
		return -EFAULT;
	return 0;
}
