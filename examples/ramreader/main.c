// SPDX-License-Identifier: GPL-2.0
/*
 * ramreader: an example module built on the dynasync runtime as an
 * out-of-tree user would (Kbuild includes kmod/dynasync-rt.kbuild). A misc
 * device whose readers (a dyn trait with a ready impl, a suspending impl
 * and an adaptor, reader.cpp) read a ramdisk block by block, one async
 * call per READ ioctl, and a fault hook of its own (the platform's
 * DS_RT_HOOK_FAULT) that fails the nth allocation made for an open file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "ramreader.h"
#include "reader.h"
#include "platform_glue.h"
#include "rt_hooks.h"

static_assert(RAMREADER_BLOCK_SIZE == 512 && RAMREADER_BLOCKS == 8);
static_assert((int)RAMREADER_KIND_RAM == (int)RR_KIND_RAM &&
	      (int)RAMREADER_KIND_SLOW == (int)RR_KIND_SLOW &&
	      (int)RAMREADER_KIND_XOR == (int)RR_KIND_XOR);
static_assert(RAMREADER_SITE_FRAME == DS_SITE_FRAME &&
	      RAMREADER_SITE_TASK == DS_SITE_TASK &&
	      RAMREADER_SITE_OBJECT == DS_SITE_OBJECT &&
	      RAMREADER_SITE_ARGS == DS_SITE_ARGS);

#define RR_SITE_BITS ((1U << RAMREADER_SITE_FRAME) | (1U << RAMREADER_SITE_TASK) | \
		      (1U << RAMREADER_SITE_OBJECT) | (1U << RAMREADER_SITE_ARGS))

u8 rr_disk[RAMREADER_BLOCKS * RAMREADER_BLOCK_SIZE];

/* An open file: its readers, and its fault policy (the tags' scope). */
struct rr_file {
	struct mutex lock;		/* readers[]; one call at a time */
	struct rr_object *readers[RAMREADER_MAX_READERS];	/* handle - 1 */
	struct ds_alloc_tag tag;	/* every allocation for this file */
	spinlock_t fault_lock;
	u32 fault_sites;
	u32 fault_nth;
	u64 candidates;
	u64 injected;
};

/*
 * The platform's fault hook (rt_hooks.h): asked before each allocation.
 * Only allocations for a file (tag->scope) can be made to fail.
 */
bool ds_fault_should_fail(unsigned int site, size_t size,
			  struct ds_alloc_tag *tag)
{
	struct rr_file *f = tag ? tag->scope : NULL;
	unsigned long flags;
	bool fail = false;

	if (!f || site >= DS_SITE_COUNT)
		return false;
	spin_lock_irqsave(&f->fault_lock, flags);
	if (f->fault_nth && (f->fault_sites & (1U << site))) {
		fail = ++f->candidates == f->fault_nth;
		if (fail)
			f->injected++;
	}
	spin_unlock_irqrestore(&f->fault_lock, flags);
	return fail;
}

void ds_fault_real_failure(unsigned int site, struct ds_alloc_tag *tag)
{
}

static int rr_open(struct inode *inode, struct file *file)
{
	struct rr_file *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	spin_lock_init(&f->fault_lock);
	f->tag.scope = f;
	file->private_data = f;
	return 0;
}

static int rr_release(struct inode *inode, struct file *file)
{
	struct rr_file *f = file->private_data;
	int i;

	for (i = 0; i < RAMREADER_MAX_READERS; i++)
		if (f->readers[i])
			rr_object_destroy(f->readers[i]);
	kfree(f);
	return 0;
}

/* The reader named by @handle (1-based), or NULL. Under f->lock. */
static struct rr_object *rr_lookup(struct rr_file *f, u32 handle)
{
	if (!handle || handle > RAMREADER_MAX_READERS)
		return NULL;
	return f->readers[handle - 1];
}

static int rr_valid_spec(const struct ramreader_create *c)
{
	bool slow = c->kind == RAMREADER_KIND_SLOW ||
		    (c->kind == RAMREADER_KIND_XOR &&
		     c->inner_kind == RAMREADER_KIND_SLOW);

	if (c->handle)
		return -EINVAL;
	if (c->kind == RAMREADER_KIND_XOR) {
		if (c->inner_kind != RAMREADER_KIND_RAM &&
		    c->inner_kind != RAMREADER_KIND_SLOW)
			return -EINVAL;
		if (c->key > 255)
			return -EINVAL;
	} else if (c->kind == RAMREADER_KIND_RAM || c->kind == RAMREADER_KIND_SLOW) {
		if (c->inner_kind || c->key)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (slow ? !c->delay_ns || c->delay_ns > RAMREADER_MAX_DELAY_NS : c->delay_ns)
		return -EINVAL;
	return 0;
}

static long rr_ioctl_create(struct rr_file *f, struct ramreader_create __user *uarg)
{
	struct ramreader_create c;
	struct rr_object *o;
	struct rr_spec spec;
	int ret, slot;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	ret = rr_valid_spec(&c);
	if (ret)
		return ret;
	spec.kind = c.kind;
	spec.inner_kind = c.inner_kind;
	spec.delay_ns = c.delay_ns;
	spec.key = c.key;
	mutex_lock(&f->lock);
	for (slot = 0; slot < RAMREADER_MAX_READERS && f->readers[slot]; slot++)
		;
	if (slot == RAMREADER_MAX_READERS) {
		ret = -EMFILE;
		goto out;
	}
	ret = rr_object_create(&spec, &f->tag, &o);
	if (ret)
		goto out;
	c.handle = slot + 1;
	if (copy_to_user(uarg, &c, sizeof(c))) {
		rr_object_destroy(o);
		ret = -EFAULT;
		goto out;
	}
	f->readers[slot] = o;
out:
	mutex_unlock(&f->lock);
	return ret;
}

static long rr_ioctl_destroy(struct rr_file *f, u32 __user *uarg)
{
	struct rr_object *o;
	u32 handle;

	if (get_user(handle, uarg))
		return -EFAULT;
	mutex_lock(&f->lock);
	o = rr_lookup(f, handle);
	if (o)
		f->readers[handle - 1] = NULL;
	mutex_unlock(&f->lock);
	if (!o)
		return -ENOENT;
	rr_object_destroy(o);
	return 0;
}

/* Done when the result is in and the task header (if any) is freed. */
struct rr_read_wait {
	struct rr_read_op op;
	struct completion done;
	atomic_t pending;
	int err;
};

static void rr_read_put(struct rr_read_op *op)
{
	struct rr_read_wait *w = container_of(op, struct rr_read_wait, op);

	if (atomic_dec_and_test(&w->pending))
		complete(&w->done);
}

static void rr_read_hold(struct rr_read_op *op)
{
	struct rr_read_wait *w = container_of(op, struct rr_read_wait, op);

	atomic_inc(&w->pending);
}

static void rr_read_complete(struct rr_read_op *op, int err)
{
	struct rr_read_wait *w = container_of(op, struct rr_read_wait, op);

	w->err = err;
	rr_read_put(op);
}

static long rr_ioctl_read(struct rr_file *f, struct ramreader_read __user *uarg)
{
	struct rr_read_wait w = {
		.op.complete = rr_read_complete,
		.op.header_taken = rr_read_hold,
		.op.header_freed = rr_read_put,
		.pending = ATOMIC_INIT(1),
	};
	struct ramreader_read r;
	struct rr_object *o;
	long ret;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.reserved || r.bytes || r.block)
		return -EINVAL;
	/* The bounce buffer is an allocation of the file's like any other. */
	w.op.buf = ds_alloc(RAMREADER_BLOCK_SIZE, 16, DS_GFP_KERNEL, DS_SITE_ARGS,
			    &f->tag);
	if (!w.op.buf)
		return ds_alloc_errno(&f->tag);
	init_completion(&w.done);
	mutex_lock(&f->lock);
	o = rr_lookup(f, r.handle);
	if (!o) {
		ret = -ENOENT;
		goto unlock;
	}
	rr_read_start(o, &w.op);
	/* Bounded: a slow read sleeps at most RAMREADER_MAX_DELAY_NS. */
	wait_for_completion(&w.done);
	ret = w.err;
unlock:
	mutex_unlock(&f->lock);
	if (!ret) {
		r.block = w.op.block;
		r.bytes = r.block < RAMREADER_BLOCKS ? RAMREADER_BLOCK_SIZE : 0;
		if ((r.bytes && copy_to_user(u64_to_user_ptr(r.buf), w.op.buf, r.bytes)) ||
		    copy_to_user(uarg, &r, sizeof(r)))
			ret = -EFAULT;
	}
	ds_free(w.op.buf, RAMREADER_BLOCK_SIZE, DS_SITE_ARGS, &f->tag);
	return ret;
}

static long rr_ioctl_fault(struct rr_file *f, struct ramreader_fault __user *uarg)
{
	struct ramreader_fault p;
	unsigned long flags;

	if (copy_from_user(&p, uarg, sizeof(p)))
		return -EFAULT;
	if ((p.sites & ~RR_SITE_BITS) || !p.nth != !p.sites)
		return -EINVAL;
	spin_lock_irqsave(&f->fault_lock, flags);
	f->fault_sites = p.sites;
	f->fault_nth = p.nth;
	f->candidates = 0;
	f->injected = 0;
	spin_unlock_irqrestore(&f->fault_lock, flags);
	return 0;
}

static long rr_ioctl_stats(struct rr_file *f, struct ramreader_stats __user *uarg)
{
	struct ramreader_stats s;
	struct rr_object *o = NULL;
	unsigned long flags;

	if (copy_from_user(&s, uarg, sizeof(s)))
		return -EFAULT;
	if (s.cursor || s.live_allocations || s.candidates || s.injected)
		return -EINVAL;
	mutex_lock(&f->lock);
	if (s.handle) {
		o = rr_lookup(f, s.handle);
		if (o)
			s.cursor = rr_object_cursor(o);
	}
	mutex_unlock(&f->lock);
	if (s.handle && !o)
		return -ENOENT;
	s.live_allocations = ds_live_allocations();
	spin_lock_irqsave(&f->fault_lock, flags);
	s.candidates = f->candidates;
	s.injected = f->injected;
	spin_unlock_irqrestore(&f->fault_lock, flags);
	return copy_to_user(uarg, &s, sizeof(s)) ? -EFAULT : 0;
}

static long rr_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct rr_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case RAMREADER_IOC_CREATE:
		return rr_ioctl_create(f, uarg);
	case RAMREADER_IOC_DESTROY:
		return rr_ioctl_destroy(f, uarg);
	case RAMREADER_IOC_READ:
		return rr_ioctl_read(f, uarg);
	case RAMREADER_IOC_FAULT:
		return rr_ioctl_fault(f, uarg);
	case RAMREADER_IOC_STATS:
		return rr_ioctl_stats(f, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations rr_fops = {
	.owner = THIS_MODULE,
	.open = rr_open,
	.release = rr_release,
	.unlocked_ioctl = rr_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice rr_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = RAMREADER_DEVICE_NAME,
	.fops = &rr_fops,
	.mode = 0600,
};

static int __init rr_init(void)
{
	u32 b, i;
	int ret;

	for (b = 0; b < RAMREADER_BLOCKS; b++)
		for (i = 0; i < RAMREADER_BLOCK_SIZE; i++)
			rr_disk[b * RAMREADER_BLOCK_SIZE + i] = ramreader_byte(b, i);
	ret = ds_platform_init();
	if (ret)
		return ret;
	rr_rt_init();
	ret = misc_register(&rr_misc);
	if (ret) {
		ds_platform_exit();
		return ret;
	}
	pr_info("loaded: %u blocks of %u bytes, read() frames up to %zu bytes\n",
		RAMREADER_BLOCKS, RAMREADER_BLOCK_SIZE, rr_rt_frame_size());
	return 0;
}

static void __exit rr_exit(void)
{
	misc_deregister(&rr_misc);
	/* Prints "unloading: N live allocations" (and WARNs unless 0). */
	ds_platform_exit();
}

module_init(rr_init);
module_exit(rr_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ramreader: an async block reader on the dynasync runtime (example)");
MODULE_AUTHOR("The dynasync authors");
