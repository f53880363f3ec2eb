// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync: async methods on dynamically dispatched interfaces, with
 * caller-chosen, fallible future storage. Module entry, misc device, ioctl.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/stringify.h>
#include <linux/uaccess.h>

#include "uapi/dynasync.h"
#include "compat.h"
#include "dev.h"
#include "fault.h"
#include "ops/objects.h"
#include "ops/rt_check_op.h"
#include "ops/version_op.h"
#include "platform_glue.h"

struct ds_version_wait {
	struct ds_version_op op;
	struct completion done;
	int err;
	bool resumed_async;
};

static void ds_version_complete(struct ds_version_op *op, int err,
				bool resumed_async)
{
	struct ds_version_wait *w = container_of(op, struct ds_version_wait, op);

	w->err = err;
	w->resumed_async = resumed_async;
	complete(&w->done);
}

static long ds_ioctl_version(struct dynasync_version __user *uarg)
{
	struct dynasync_version v;
	struct ds_version_wait w = { .op.complete = ds_version_complete };

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	if (v.reserved[0] || v.reserved[1])
		return -EINVAL;
	init_completion(&w.done);
	ds_version_op_start(&w.op);
	/* The coroutine only hops once through the workqueue: bounded wait. */
	wait_for_completion(&w.done);
	if (w.err)
		return w.err;
	v.abi_version = DYNASYNC_ABI_VERSION;
	v.flags = w.resumed_async ? DYNASYNC_VERSION_F_ASYNC : 0;
	if (DS_HAVE_URING_CANCEL)
		v.flags |= DYNASYNC_VERSION_F_URING_CANCEL;
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

struct ds_rt_check_wait {
	struct ds_rt_check_op op;
	struct completion done;
	int err;
};

static void ds_rt_check_complete(struct ds_rt_check_op *op, int err)
{
	struct ds_rt_check_wait *w = container_of(op, struct ds_rt_check_wait, op);

	w->err = err;
	complete(&w->done);
}

static long ds_ioctl_rt_check(struct dynasync_rt_check __user *uarg)
{
	struct dynasync_rt_check c;
	struct ds_rt_check_wait w = { .op.complete = ds_rt_check_complete };
	int ret;

	static_assert(DYNASYNC_STRATEGY_BOXED == 1 &&
		      DYNASYNC_STRATEGY_RESERVE == DS_RT_CHECK_STRATEGIES &&
		      DYNASYNC_STRATEGY_MAX == DS_RT_CHECK_STRATEGIES);
	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.reserved0 || c.reserved[0] || c.reserved[1])
		return -EINVAL;
	if (c.strategy < 1 || c.strategy > DYNASYNC_STRATEGY_MAX)
		return -EINVAL;
	init_completion(&w.done);
	w.op.strategy = c.strategy;
	ret = ds_rt_check_start(&w.op);
	if (ret)
		return ret;
	/* Bounded: the scenarios sleep a few hundred microseconds in total. */
	wait_for_completion(&w.done);
	if (w.err)
		return w.err;
	c.value = w.op.value;
	c.checks = w.op.checks;
	c.failed_check = w.op.failed_check;
	c.live_frames = (__u32)min_t(long, ds_rt_live_frames(false), U32_MAX);
	c.slot_size = ds_rt_iterator_slot_size();
	if (copy_to_user(uarg, &c, sizeof(c)))
		return -EFAULT;
	return 0;
}

static long ds_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case DYNASYNC_IOC_VERSION:
		return ds_ioctl_version((void __user *)arg);
	case DYNASYNC_IOC_RT_CHECK:
		return ds_ioctl_rt_check((void __user *)arg);
	case DYNASYNC_IOC_CREATE:
		return ds_ioctl_create(file, (void __user *)arg);
	case DYNASYNC_IOC_DESTROY:
		return ds_ioctl_destroy(file, (void __user *)arg);
	case DYNASYNC_IOC_CALL:
		return ds_ioctl_call(file, (void __user *)arg);
	case DYNASYNC_IOC_CANCEL:
		return ds_ioctl_cancel(file, (void __user *)arg);
	case DYNASYNC_IOC_STATS:
		return ds_ioctl_stats(file, (void __user *)arg);
	case DYNASYNC_IOC_LAYOUT:
		return ds_ioctl_layout(file, (void __user *)arg);
	case DYNASYNC_IOC_FAULT_SET:
		return ds_ioctl_fault_set(file, (void __user *)arg);
	case DYNASYNC_IOC_FAULT_GET:
		return ds_ioctl_fault_get(file, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int ds_open(struct inode *inode, struct file *file)
{
	return ds_file_open(file);
}

static int ds_release(struct inode *inode, struct file *file)
{
	ds_file_release(file);
	return 0;
}

static const struct file_operations ds_fops = {
	.owner = THIS_MODULE,
	.open = ds_open,
	.release = ds_release,
	.unlocked_ioctl = ds_ioctl,
	.uring_cmd = ds_uring_cmd,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice ds_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = DYNASYNC_DEVICE_NAME,
	.fops = &ds_fops,
	.mode = 0600,
};

static int __init ds_init(void)
{
	int ret;

	ret = ds_platform_init();
	if (ret)
		return ret;
	ds_rt_init();
	ds_objects_init();
	ds_fault_init();
	ret = misc_register(&ds_misc);
	if (ret) {
		ds_fault_exit();
		ds_platform_exit();
		return ret;
	}
	pr_info("loaded, ABI version %d\n", DYNASYNC_ABI_VERSION);
	return 0;
}

static void __exit ds_exit(void)
{
	long frames;

	misc_deregister(&ds_misc);
	ds_fault_exit();
	/* Every file is closed (each holds the module): no object may remain. */
	WARN(ds_objects_live(), KBUILD_MODNAME ": %ld objects live at unload\n",
	     ds_objects_live());
	frames = ds_rt_live_frames(true);
	WARN(frames, KBUILD_MODNAME ": %ld coroutine frames live at unload\n",
	     frames);
	ds_platform_exit();
}

module_init(ds_init);
module_exit(ds_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dynasync: dyn async traits with fallible, caller-chosen future storage");
MODULE_AUTHOR("The dynasync authors");
/*
 * The module's version is its ABI version (uapi/dynasync.h), the one
 * number userspace checks; dkms.conf reads the same macro.
 */
MODULE_VERSION(__stringify(DYNASYNC_ABI_VERSION));
