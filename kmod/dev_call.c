// SPDX-License-Identifier: GPL-2.0
/*
 * CALL, shared by both paths (validation, borrowing the object, the call's
 * bookkeeping, the output, exactly one report), the blocking ioctl path,
 * and CANCEL. ops/ (C++) owns what a call means; this file owns user
 * memory and the file's counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "uapi/dynasync.h"
#include "ops/objects.h"
#include "rt/platform.h"
#include "compat.h"
#include "dev.h"
#include "dev_file.h"
#include "fault.h"
#include "dynasync_trace.h"

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

/* Names the call for the tracepoints (dev_file.h: ds_trace_call_start()). */
static atomic64_t ds_trace_next_id;

noinline void ds_trace_call_started(struct ds_call *c, struct io_uring_cmd *ioucmd)
{
	c->trace_id = atomic64_inc_return(&ds_trace_next_id);
	c->user_data = ioucmd ? ds_uring_cmd_user_data(ioucmd) : 0;
	trace_dynasync_call_start(c, ioucmd != NULL);
}

int ds_call_prepare(struct ds_file *f, const struct dynasync_call *uc,
			   struct ds_call **out)
{
	const u64 cap_ns = (u64)ds_max_call_ms() * NSEC_PER_MSEC;
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
	if (atomic_inc_return(&f->inflight) > ds_max_inflight()) {
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
int ds_call_finish(struct ds_file *f, struct ds_call *c, bool user_ok)
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
void ds_call_publish(struct ds_file *f, struct ds_call *c)
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
int ds_cancel(struct ds_file *f, const struct dynasync_cancel *uc)
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
