// SPDX-License-Identifier: GPL-2.0
/*
 * The per-file object table: handles, the object limit, borrowing, and
 * CREATE / DESTROY. A handle names an object exactly while it is in the
 * table; a call or CREATE borrows the objects it uses, so no DESTROY or
 * other CREATE takes them meanwhile.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "uapi/dynasync.h"
#include "ops/objects.h"
#include "rt/platform.h"
#include "compat.h"
#include "dev.h"
#include "dev_file.h"
#include "fault.h"

/* The uapi numbers are ops/objects.h's (the C++ side's) and sizes fixed. */
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

int ds_charge_objects(struct ds_file *f, unsigned int n)
{
	int cur = atomic_read(&f->nobjects);

	do {
		if (cur + n > ds_max_objects())
			return -EMFILE;
	} while (!atomic_try_cmpxchg(&f->nobjects, &cur, cur + n));
	return 0;
}

/*
 * Handles are reserved first and published last: a handle the caller has
 * not been told about (its copy_to_user may still fail) names nothing, so
 * no other thread can call or destroy it meanwhile.
 */
int ds_reserve(struct ds_file *f, u32 *handle)
{
	/* Its node goes to the file's memcg, also from a kworker's task work. */
	struct mem_cgroup *old = ds_account_enter(&f->fault.account);
	int ret = xa_alloc_cyclic(&f->objects, handle, NULL, XA_LIMIT(1, INT_MAX),
				  &f->next_handle, GFP_KERNEL_ACCOUNT);

	ds_account_leave(&f->fault.account, old);
	return ret < 0 ? ret : 0;
}

/* Fills a reserved handle: needs no memory (the slot exists). */
int ds_publish(struct ds_file *f, u32 handle, struct ds_object *obj)
{
	return xa_err(xa_store(&f->objects, handle, obj, GFP_KERNEL_ACCOUNT));
}

/* Removes @handle if it still names @obj; drops the table's reference. */
void ds_erase_if(struct ds_file *f, u32 handle, struct ds_object *obj)
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
int ds_borrow(struct ds_file *f, u32 handle, struct ds_object **out)
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

void ds_give_back(struct ds_object *obj)
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
