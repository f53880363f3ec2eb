// SPDX-License-Identifier: GPL-2.0
/*
 * The fault injector (see fault.h and the uapi header). Policies follow
 * the kernel's fault_attr rules (times, space, interval, probability) plus
 * fail-nth, with a seeded PRNG so a seed reproduces its failures; the
 * kernel's own fault_attr cannot be seeded and has no notion of sites,
 * strategies or operations, so the engine is ours. Where the kernel has
 * CONFIG_FAULT_INJECTION, its fault_attr "fail_dynasync" is asked as well:
 * the kernel's task filter and /proc/<pid>/fail-nth then reach these
 * allocation sites too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "fault.h"
#include "dynasync_trace.h"

static_assert(sizeof(struct dynasync_fault_policy) == 80 &&
	      sizeof(struct dynasync_fault_state) == 320);

#define DS_FAULT_SITE_BITS	((1U << DS_SITE_COUNT) - 1)
#define DS_FAULT_STRATEGY_BITS	(((1U << (DYNASYNC_STRATEGY_MAX + 1)) - 1) & ~1U)

static struct ds_fault_policy ds_global_policy;
static struct ds_fault_counters ds_global_counters;
/*
 * Module-wide attempts are on every allocation's path: counted per CPU
 * (no locked op) instead of in ds_global_counters.attempted, which stays
 * 0; shown as the sum since the last reset (exact when quiescent).
 */
static DEFINE_PER_CPU(long [DS_SITE_COUNT], ds_attempted);
static long ds_attempted_base[DS_SITE_COUNT];

static long ds_attempted_sum(unsigned int site)
{
	long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(*per_cpu_ptr(&ds_attempted[site], cpu));
	return n;
}

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(ds_fail_attr);
#endif

static void ds_fault_policy_init(struct ds_fault_policy *p)
{
	memset(p, 0, sizeof(*p));
	spin_lock_init(&p->lock);
}

void ds_fault_scope_init(struct ds_fault_scope *s)
{
	memset(s, 0, sizeof(*s));
	ds_fault_policy_init(&s->policy);
}

/* splitmix64: small, and every seed (0 included) gives a full sequence. */
static u64 ds_fault_rng_next(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool ds_method_of_trait(u32 method, u32 trait)
{
	if (trait == DYNASYNC_TRAIT_ITERATOR)
		return method == DYNASYNC_METHOD_NEXT || method == DYNASYNC_METHOD_SUM;
	return method >= DYNASYNC_METHOD_AUGMENT && method <= DYNASYNC_METHOD_TRANSMIT;
}

/* -EINVAL unless @p is a policy that can be armed as given. */
static int ds_fault_validate(const struct dynasync_fault_policy *p)
{
	if (p->reserved[0] || p->reserved[1])
		return -EINVAL;
	if (p->flags & ~DYNASYNC_FAULT_F_RESET_COUNTERS)
		return -EINVAL;
	if ((p->sites & ~DS_FAULT_SITE_BITS) ||
	    (p->strategies & ~DS_FAULT_STRATEGY_BITS))
		return -EINVAL;
	if (p->trait > DYNASYNC_TRAIT_WIDGET || p->method > DYNASYNC_METHOD_MAX)
		return -EINVAL;
	if (p->trait && p->method && !ds_method_of_trait(p->method, p->trait))
		return -EINVAL;
	switch (p->mode) {
	case DYNASYNC_FAULT_OFF:
		if (p->sites || p->strategies || p->trait || p->method ||
		    p->nth || p->probability || p->interval || p->times ||
		    p->space || p->seed)
			return -EINVAL;
		return 0;
	case DYNASYNC_FAULT_NTH:
		if (!p->nth || p->probability || p->interval || p->times ||
		    p->space || p->seed)
			return -EINVAL;
		return 0;
	case DYNASYNC_FAULT_RATE:
		if (p->nth || !p->probability || p->probability > 100)
			return -EINVAL;
		if (p->times < -1 || !p->times)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Arms @pol (already valid) on @p with fresh state; mode OFF disarms. */
static void ds_fault_arm(struct ds_fault_policy *p,
			 const struct dynasync_fault_policy *pol)
{
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	p->pol = *pol;
	p->pol.flags = 0;
	p->candidates = 0;
	p->injections = 0;
	p->times_left = pol->times;
	p->space_left = pol->space;
	p->interval_count = 0;
	p->rng = pol->seed;
	WRITE_ONCE(p->armed, pol->mode != DYNASYNC_FAULT_OFF);
	spin_unlock_irqrestore(&p->lock, flags);
}

static bool ds_fault_matches(const struct dynasync_fault_policy *pol,
			     unsigned int site, const struct ds_alloc_tag *tag)
{
	const u32 strategy = tag ? tag->strategy : 0;
	const u32 trait = tag ? tag->trait : 0;
	const u32 method = tag ? tag->method : 0;

	if (pol->sites && !(pol->sites & (1U << site)))
		return false;
	if (pol->strategies && !(pol->strategies & (1U << strategy)))
		return false;
	if (pol->trait && pol->trait != trait)
		return false;
	return !pol->method || pol->method == method;
}

/* One candidate through the policy's rules (caller holds p->lock). */
static bool ds_fault_decide(struct ds_fault_policy *p, size_t size)
{
	const struct dynasync_fault_policy *pol = &p->pol;

	p->candidates++;
	if (pol->mode == DYNASYNC_FAULT_NTH)
		return p->candidates == pol->nth;
	if (!p->times_left)
		return false;
	if (p->space_left > size) {
		p->space_left -= size;
		return false;
	}
	if (pol->interval > 1 && ++p->interval_count % pol->interval)
		return false;
	if (pol->probability < 100 &&
	    ds_fault_rng_next(&p->rng) % 100 >= pol->probability)
		return false;
	if (p->times_left > 0)
		p->times_left--;
	return true;
}

/* On a failure, *@nth is the candidate it was (for the tracepoint). */
static bool ds_fault_policy_says(struct ds_fault_policy *p, unsigned int site,
				 size_t size, const struct ds_alloc_tag *tag,
				 u64 *nth)
{
	unsigned long flags;
	bool fail = false;

	if (!READ_ONCE(p->armed))
		return false;
	spin_lock_irqsave(&p->lock, flags);
	if (p->armed && ds_fault_matches(&p->pol, site, tag)) {
		fail = ds_fault_decide(p, size);
		if (fail) {
			p->injections++;
			*nth = p->candidates;
		}
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return fail;
}

static struct ds_fault_scope *ds_scope_of(const struct ds_alloc_tag *tag)
{
	return tag ? tag->scope : NULL;
}

/* The platform's accounting hook (rt_hooks.h): an open file pays. */
struct ds_account *ds_account_of(const struct ds_alloc_tag *tag)
{
	struct ds_fault_scope *scope = ds_scope_of(tag);

	return scope ? &scope->account : NULL;
}

bool ds_fault_should_fail(unsigned int site, size_t size,
			  struct ds_alloc_tag *tag)
{
	struct ds_fault_scope *scope = ds_scope_of(tag);
	unsigned int policy = DS_TRACE_POLICY_FILE;
	u64 nth = 0;
	bool fail;

	this_cpu_inc(ds_attempted[site]);
	if (scope)
		atomic64_inc(&scope->counters.attempted[site]);
	fail = scope && ds_fault_policy_says(&scope->policy, site, size, tag, &nth);
	if (!fail) {
		policy = DS_TRACE_POLICY_MODULE;
		fail = ds_fault_policy_says(&ds_global_policy, site, size, tag, &nth);
	}
#ifdef CONFIG_FAULT_INJECTION
	if (!fail) {
		policy = DS_TRACE_POLICY_KERNEL;
		fail = should_fail(&ds_fail_attr, size);
	}
#endif
	if (!fail)
		return false;
	trace_dynasync_fault_inject(site, size, nth, policy, tag);
	atomic64_inc(&ds_global_counters.injected[site]);
	if (scope)
		atomic64_inc(&scope->counters.injected[site]);
	if (tag)
		WRITE_ONCE(tag->injected, tag->injected + 1);
	return true;
}

void ds_fault_scope_failure(struct ds_fault_scope *scope, unsigned int site)
{
	atomic64_inc(&ds_global_counters.failed[site]);
	if (scope)
		atomic64_inc(&scope->counters.failed[site]);
}

void ds_fault_real_failure(unsigned int site, struct ds_alloc_tag *tag)
{
	ds_fault_scope_failure(ds_scope_of(tag), site);
	if (tag)
		WRITE_ONCE(tag->failed, tag->failed + 1);
}

static void ds_fault_counters_reset(struct ds_fault_counters *c)
{
	int i;

	for (i = 0; i < DS_SITE_COUNT; i++) {
		atomic64_set(&c->attempted[i], 0);
		atomic64_set(&c->injected[i], 0);
		atomic64_set(&c->failed[i], 0);
	}
}

long ds_fault_ioctl_set(struct ds_fault_scope *s,
			struct dynasync_fault_policy __user *uarg)
{
	struct dynasync_fault_policy pol;
	int ret;

	if (copy_from_user(&pol, uarg, sizeof(pol)))
		return -EFAULT;
	ret = ds_fault_validate(&pol);
	if (ret)
		return ret;
	if (pol.flags & DYNASYNC_FAULT_F_RESET_COUNTERS)
		ds_fault_counters_reset(&s->counters);
	ds_fault_arm(&s->policy, &pol);
	return 0;
}

long ds_fault_ioctl_get(struct ds_fault_scope *s,
			struct dynasync_fault_state __user *uarg)
{
	struct ds_fault_policy *p = &s->policy;
	struct dynasync_fault_state *st;
	unsigned long flags;
	long ret = 0;
	int i;

	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	spin_lock_irqsave(&p->lock, flags);
	st->policy = p->pol;
	st->candidates = p->candidates;
	st->injections = p->injections;
	st->times_left = p->times_left;
	st->space_left = p->space_left;
	spin_unlock_irqrestore(&p->lock, flags);
	for (i = 0; i < DS_SITE_COUNT; i++) {
		st->attempted[i] = atomic64_read(&s->counters.attempted[i]);
		st->injected[i] = atomic64_read(&s->counters.injected[i]);
		st->failed[i] = atomic64_read(&s->counters.failed[i]);
	}
	if (copy_to_user(uarg, st, sizeof(*st)))
		ret = -EFAULT;
	kfree(st);
	return ret;
}

/* ---- debugfs: the module-wide policy ------------------------------------ */

enum ds_fault_field {
	DS_FF_MODE, DS_FF_SITES, DS_FF_STRATEGIES, DS_FF_TRAIT, DS_FF_METHOD,
	DS_FF_NTH, DS_FF_PROBABILITY, DS_FF_INTERVAL, DS_FF_TIMES, DS_FF_SPACE,
	DS_FF_SEED, DS_FF_COUNT
};

static const char *const ds_fault_field_names[DS_FF_COUNT] = {
	[DS_FF_MODE] = "mode", [DS_FF_SITES] = "sites",
	[DS_FF_STRATEGIES] = "strategies", [DS_FF_TRAIT] = "trait",
	[DS_FF_METHOD] = "method", [DS_FF_NTH] = "nth",
	[DS_FF_PROBABILITY] = "probability", [DS_FF_INTERVAL] = "interval",
	[DS_FF_TIMES] = "times", [DS_FF_SPACE] = "space", [DS_FF_SEED] = "seed",
};

static const char *const ds_site_names[DS_SITE_COUNT] = {
	[DS_SITE_FRAME] = "frame", [DS_SITE_TASK] = "task",
	[DS_SITE_OBJECT] = "object", [DS_SITE_ARGS] = "args",
	[DS_SITE_RESERVE] = "reserve", [DS_SITE_MISC] = "misc",
};

/* Fields as written (armed or not); serialises debugfs writers. */
static DEFINE_MUTEX(ds_fault_staged_lock);
static struct dynasync_fault_policy ds_fault_staged;
static struct dentry *ds_debugfs_root;
static unsigned int ds_fault_field_ids[DS_FF_COUNT];

static s64 ds_fault_field_get(const struct dynasync_fault_policy *p,
			      enum ds_fault_field f)
{
	switch (f) {
	case DS_FF_MODE:
		return p->mode;
	case DS_FF_SITES:
		return p->sites;
	case DS_FF_STRATEGIES:
		return p->strategies;
	case DS_FF_TRAIT:
		return p->trait;
	case DS_FF_METHOD:
		return p->method;
	case DS_FF_NTH:
		return p->nth;
	case DS_FF_PROBABILITY:
		return p->probability;
	case DS_FF_INTERVAL:
		return p->interval;
	case DS_FF_TIMES:
		return p->times;
	case DS_FF_SPACE:
		return p->space;
	case DS_FF_SEED:
		return p->seed;
	default:
		return 0;
	}
}

/* -EINVAL when @v does not fit the field. */
static int ds_fault_field_set(struct dynasync_fault_policy *p,
			      enum ds_fault_field f, const char *buf)
{
	u32 v32;
	u64 v64;
	s64 s64v;
	int ret;

	switch (f) {
	case DS_FF_NTH:
	case DS_FF_SPACE:
	case DS_FF_SEED:
		ret = kstrtou64(buf, 0, &v64);
		if (ret)
			return -EINVAL;
		if (f == DS_FF_NTH)
			p->nth = v64;
		else if (f == DS_FF_SPACE)
			p->space = v64;
		else
			p->seed = v64;
		return 0;
	case DS_FF_TIMES:
		ret = kstrtos64(buf, 0, &s64v);
		if (ret)
			return -EINVAL;
		p->times = s64v;
		return 0;
	default:
		ret = kstrtou32(buf, 0, &v32);
		if (ret)
			return -EINVAL;
		break;
	}
	switch (f) {
	case DS_FF_MODE:
		p->mode = v32;
		break;
	case DS_FF_SITES:
		p->sites = v32;
		break;
	case DS_FF_STRATEGIES:
		p->strategies = v32;
		break;
	case DS_FF_TRAIT:
		p->trait = v32;
		break;
	case DS_FF_METHOD:
		p->method = v32;
		break;
	case DS_FF_PROBABILITY:
		p->probability = v32;
		break;
	case DS_FF_INTERVAL:
		p->interval = v32;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static ssize_t ds_fault_field_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	enum ds_fault_field f = *(unsigned int *)file->private_data;
	char buf[32];
	s64 v;
	int n;

	mutex_lock(&ds_fault_staged_lock);
	v = ds_fault_field_get(&ds_fault_staged, f);
	mutex_unlock(&ds_fault_staged_lock);
	if (f == DS_FF_TIMES)
		n = scnprintf(buf, sizeof(buf), "%lld\n", v);
	else
		n = scnprintf(buf, sizeof(buf), "%llu\n", (u64)v);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

/*
 * While the policy is off, a write only stores the field. Otherwise the
 * whole policy is validated and re-armed, or nothing changes (-EINVAL).
 */
static ssize_t ds_fault_field_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	enum ds_fault_field f = *(unsigned int *)file->private_data;
	struct dynasync_fault_policy next;
	char buf[32];
	int ret;

	if (*ppos || !count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	mutex_lock(&ds_fault_staged_lock);
	next = ds_fault_staged;
	ret = ds_fault_field_set(&next, f, strim(buf));
	if (!ret && next.mode != DYNASYNC_FAULT_OFF)
		ret = ds_fault_validate(&next);
	if (!ret) {
		ds_fault_staged = next;
		if (next.mode == DYNASYNC_FAULT_OFF) {
			struct dynasync_fault_policy off = {};

			ds_fault_arm(&ds_global_policy, &off);
		} else {
			ds_fault_arm(&ds_global_policy, &next);
		}
	}
	mutex_unlock(&ds_fault_staged_lock);
	return ret ? ret : count;
}

static const struct file_operations ds_fault_field_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ds_fault_field_read,
	.write = ds_fault_field_write,
	.llseek = ds_no_llseek,
};

static int ds_fault_counters_show(struct seq_file *m, void *unused)
{
	int i;

	seq_puts(m, "site attempted injected failed\n");
	for (i = 0; i < DS_SITE_COUNT; i++)
		seq_printf(m, "%s %ld %lld %lld\n", ds_site_names[i],
			   ds_attempted_sum(i) - READ_ONCE(ds_attempted_base[i]),
			   atomic64_read(&ds_global_counters.injected[i]),
			   atomic64_read(&ds_global_counters.failed[i]));
	return 0;
}

static int ds_fault_counters_open(struct inode *inode, struct file *file)
{
	return single_open(file, ds_fault_counters_show, NULL);
}

/* Only "0" (reset) can be written. */
static ssize_t ds_fault_counters_write(struct file *file, const char __user *ubuf,
				       size_t count, loff_t *ppos)
{
	u32 v;
	int ret = kstrtou32_from_user(ubuf, count, 0, &v);

	if (ret || v)
		return -EINVAL;
	ds_fault_counters_reset(&ds_global_counters);
	for (v = 0; v < DS_SITE_COUNT; v++)
		WRITE_ONCE(ds_attempted_base[v], ds_attempted_sum(v));
	return count;
}

static const struct file_operations ds_fault_counters_fops = {
	.owner = THIS_MODULE,
	.open = ds_fault_counters_open,
	.read = seq_read,
	.write = ds_fault_counters_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int ds_fault_state_show(struct seq_file *m, void *unused)
{
	struct ds_fault_policy *p = &ds_global_policy;
	u64 candidates, injections, space_left;
	unsigned long flags;
	s64 times_left;

	spin_lock_irqsave(&p->lock, flags);
	candidates = p->candidates;
	injections = p->injections;
	times_left = p->times_left;
	space_left = p->space_left;
	spin_unlock_irqrestore(&p->lock, flags);
	seq_printf(m, "candidates %llu\ninjections %llu\ntimes_left %lld\nspace_left %llu\n",
		   candidates, injections, times_left, space_left);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(ds_fault_state);

void ds_fault_init(void)
{
	struct dentry *dir;
	int i;

	ds_fault_policy_init(&ds_global_policy);
	/* debugfs is optional: without it only the per-file policies exist. */
	ds_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	dir = debugfs_create_dir("fault", ds_debugfs_root);
	for (i = 0; i < DS_FF_COUNT; i++) {
		ds_fault_field_ids[i] = i;
		debugfs_create_file(ds_fault_field_names[i], 0600, dir,
				    &ds_fault_field_ids[i], &ds_fault_field_fops);
	}
	debugfs_create_file("counters", 0600, dir, NULL, &ds_fault_counters_fops);
	debugfs_create_file("state", 0400, dir, NULL, &ds_fault_state_fops);
#ifdef CONFIG_FAULT_INJECTION
	/* Quiet by default: a stack dump per failure would flood the log. */
	ds_fail_attr.verbose = 0;
	fault_create_debugfs_attr("fail_dynasync", ds_debugfs_root, &ds_fail_attr);
#endif
}

void ds_fault_exit(void)
{
	debugfs_remove(ds_debugfs_root);
	ds_debugfs_root = NULL;
#ifdef CONFIG_FAULT_INJECTION
	/*
	 * fault_create_debugfs_attr() keeps a reference of its own on the
	 * directory (attr->dname) that debugfs_remove() does not drop: drop
	 * it, or every unload leaks that dentry (and pins its parent's).
	 */
	dput(ds_fail_attr.dname);
	ds_fail_attr.dname = NULL;
#endif
}
