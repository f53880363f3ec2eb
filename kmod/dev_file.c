// SPDX-License-Identifier: GPL-2.0
/*
 * An open file of the device: its object table's life, and what it
 * reports (STATS, LAYOUT) or sets (its fault policy).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "uapi/dynasync.h"
#include "ops/objects.h"
#include "rt/platform.h"
#include "compat.h"
#include "dev.h"
#include "dev_file.h"
#include "fault.h"

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
