// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync: async methods on dynamically dispatched interfaces, with
 * caller-chosen, fallible future storage. Module entry, misc device, ioctl.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "uapi/dynasync.h"
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
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long ds_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case DYNASYNC_IOC_VERSION:
		return ds_ioctl_version((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ds_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = ds_ioctl,
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
	ret = misc_register(&ds_misc);
	if (ret) {
		ds_platform_exit();
		return ret;
	}
	pr_info("loaded, ABI version %d\n", DYNASYNC_ABI_VERSION);
	return 0;
}

static void __exit ds_exit(void)
{
	misc_deregister(&ds_misc);
	ds_platform_exit();
}

module_init(ds_init);
module_exit(ds_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dynasync: dyn async traits with fallible, caller-chosen future storage");
