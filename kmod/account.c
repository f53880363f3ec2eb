// SPDX-License-Identifier: GPL-2.0
/*
 * Per-file byte limit and memory cgroup (see account.h and the uapi
 * header: max_file_bytes, -EDQUOT).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/memcontrol.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include "account.h"

#define DS_FILE_BYTES_MIN	4096UL
#define DS_FILE_BYTES_MAX	(1UL << 40)

static unsigned long max_file_bytes = 64UL << 20;

/* Out of range or not a number: -EINVAL, and the old value stays. */
static int ds_set_file_bytes(const char *val, const struct kernel_param *kp)
{
	unsigned long v;

	if (kstrtoul(val, 0, &v) || v < DS_FILE_BYTES_MIN || v > DS_FILE_BYTES_MAX)
		return -EINVAL;
	WRITE_ONCE(*(unsigned long *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops ds_file_bytes_ops = {
	.set = ds_set_file_bytes,
	.get = param_get_ulong,
};

module_param_cb(max_file_bytes, &ds_file_bytes_ops, &max_file_bytes, 0644);
MODULE_PARM_DESC(max_file_bytes,
		 "live bytes of storage per open file (4096..2^40, default 64 MiB)");

void ds_account_open(struct ds_account *a)
{
	atomic_long_set(&a->bytes, 0);
	/* A reference: the file's allocations may outlive the opener. */
	a->memcg = get_mem_cgroup_from_mm(current->mm);
}

void ds_account_release(struct ds_account *a)
{
	/* Every block was freed, so every charge was given back once. */
	WARN(atomic_long_read(&a->bytes), KBUILD_MODNAME
	     ": %ld bytes still charged to a released file\n",
	     atomic_long_read(&a->bytes));
	mem_cgroup_put(a->memcg);
	a->memcg = NULL;
}

bool ds_account_charge(struct ds_account *a, size_t bytes)
{
	const unsigned long limit = READ_ONCE(max_file_bytes);
	long cur = atomic_long_read(&a->bytes);

	do {
		if (bytes > limit || (unsigned long)cur > limit - bytes)
			return false;
	} while (!atomic_long_try_cmpxchg(&a->bytes, &cur, cur + bytes));
	return true;
}

void ds_account_uncharge(struct ds_account *a, size_t bytes)
{
	WARN_ON_ONCE(atomic_long_sub_return(bytes, &a->bytes) < 0);
}

u64 ds_account_bytes(const struct ds_account *a)
{
	return atomic_long_read(&a->bytes);
}

struct mem_cgroup *ds_account_enter(const struct ds_account *a)
{
	/*
	 * Hard-irq context would switch the per-CPU int_active_memcg; the
	 * module allocates only in process context, but stay correct anyway.
	 */
	return a ? set_active_memcg(a->memcg) : NULL;
}

void ds_account_leave(const struct ds_account *a, struct mem_cgroup *old)
{
	if (a)
		set_active_memcg(old);
}
