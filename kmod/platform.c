// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel implementation of the runtime's platform boundary (rt/platform.h):
 * allocation with accounting, the runtime's workqueue, logging.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "rt/platform.h"
#include "platform_glue.h"

static_assert(DS_E2BIG == E2BIG && DS_ENOMEM == ENOMEM &&
	      DS_EFAULT == EFAULT && DS_EBUSY == EBUSY &&
	      DS_EINVAL == EINVAL && DS_ENOTTY == ENOTTY &&
	      DS_ENOSPC == ENOSPC && DS_EOVERFLOW == EOVERFLOW &&
	      DS_ETIMEDOUT == ETIMEDOUT && DS_ECANCELED == ECANCELED);

/* Failure is always handled by the caller: never warn about it. */
static const gfp_t ds_gfp_map[DS_GFP_COUNT] = {
	[DS_GFP_KERNEL] = GFP_KERNEL | __GFP_NOWARN,
	[DS_GFP_NOWAIT] = GFP_NOWAIT | __GFP_NOWARN,
	[DS_GFP_ATOMIC] = GFP_ATOMIC | __GFP_NOWARN,
};

static const char *const ds_site_names[DS_SITE_COUNT] = {
	[DS_SITE_FRAME] = "frame",
	[DS_SITE_TASK] = "task",
	[DS_SITE_OBJECT] = "object",
	[DS_SITE_ARGS] = "args",
	[DS_SITE_RESERVE] = "reserve",
	[DS_SITE_MISC] = "misc",
};

static atomic_long_t ds_live[DS_SITE_COUNT];
static atomic_long_t ds_live_bytes[DS_SITE_COUNT];
static struct workqueue_struct *ds_wq;
static DEFINE_PER_CPU(int, ds_stashed_alloc_error);

void *ds_alloc(size_t size, size_t align, unsigned int gfp, unsigned int site)
{
	gfp_t flags;
	void *p;

	if (gfp >= DS_GFP_COUNT || site >= DS_SITE_COUNT || !size ||
	    size > KMALLOC_MAX_SIZE || !is_power_of_2(align) ||
	    align > PAGE_SIZE)
		return NULL;
	flags = ds_gfp_map[gfp];
	p = kmalloc(size, flags);
	if (p && !IS_ALIGNED((unsigned long)p, align)) {
		/* Power-of-two kmalloc sizes are naturally aligned. */
		kfree(p);
		p = kmalloc(roundup_pow_of_two(max(size, align)), flags);
	}
	if (!p)
		return NULL;
	atomic_long_inc(&ds_live[site]);
	atomic_long_add(size, &ds_live_bytes[site]);
	return p;
}

void ds_free(void *p, size_t size, unsigned int site)
{
	if (!p || site >= DS_SITE_COUNT)
		return;
	atomic_long_dec(&ds_live[site]);
	atomic_long_sub(size, &ds_live_bytes[site]);
	kfree(p);
}

long ds_live_allocations(void)
{
	long n = 0;
	int i;

	for (i = 0; i < DS_SITE_COUNT; i++)
		n += atomic_long_read(&ds_live[i]);
	return n;
}

void ds_alloc_error_stash(int err)
{
	/* Released by ds_alloc_error_take(), which the compiler calls next. */
	get_cpu();
	this_cpu_write(ds_stashed_alloc_error, err);
}

int ds_alloc_error_take(void)
{
	int err = this_cpu_read(ds_stashed_alloc_error);

	put_cpu();
	return err;
}

struct ds_work_impl {
	struct work_struct work;
	ds_work_fn fn;
};

static_assert(sizeof(struct ds_work_impl) <= sizeof(struct ds_work));
static_assert(__alignof__(struct ds_work_impl) <= __alignof__(struct ds_work));

static void ds_work_run(struct work_struct *work)
{
	struct ds_work_impl *impl = container_of(work, struct ds_work_impl, work);

	impl->fn((struct ds_work *)impl);
}

void ds_work_init(struct ds_work *w, ds_work_fn fn)
{
	struct ds_work_impl *impl = (struct ds_work_impl *)w;

	INIT_WORK(&impl->work, ds_work_run);
	impl->fn = fn;
}

void ds_work_queue(struct ds_work *w)
{
	queue_work(ds_wq, &((struct ds_work_impl *)w)->work);
}

bool ds_in_worker(void)
{
	struct work_struct *work = current_work();

	return work && work->func == ds_work_run;
}

void ds_log(int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	switch (level) {
	case DS_LOG_ERR:
		pr_err("%pV\n", &vaf);
		break;
	case DS_LOG_WARN:
		pr_warn("%pV\n", &vaf);
		break;
	case DS_LOG_INFO:
		pr_info("%pV\n", &vaf);
		break;
	default:
		pr_debug("%pV\n", &vaf);
		break;
	}
	va_end(args);
}

int ds_platform_init(void)
{
	/* MEM_RECLAIM: a rescuer keeps resumptions moving under memory pressure. */
	ds_wq = alloc_workqueue(KBUILD_MODNAME, WQ_MEM_RECLAIM, 0);
	return ds_wq ? 0 : -ENOMEM;
}

long ds_platform_exit(void)
{
	long live;
	int i;

	destroy_workqueue(ds_wq);
	live = ds_live_allocations();
	pr_info("unloading: %ld live allocations\n", live);
	for (i = 0; i < DS_SITE_COUNT; i++) {
		if (atomic_long_read(&ds_live[i]))
			pr_err("leak: site %s: %ld blocks, %ld bytes\n",
			       ds_site_names[i], atomic_long_read(&ds_live[i]),
			       atomic_long_read(&ds_live_bytes[i]));
	}
	WARN(live, KBUILD_MODNAME ": %ld allocations leaked\n", live);
	return live;
}
