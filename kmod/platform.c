// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel implementation of the runtime's platform boundary (rt/platform.h):
 * allocation, the runtime's workqueue, timers, locks, logging. Generic:
 * every module that uses the runtime links its own copy (Kbuild fragment
 * kmod/dynasync-rt.kbuild); fault injection, accounting and tracing are
 * the module's optional hooks (rt_hooks.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/error-injection.h>
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mempool.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "rt/platform.h"
#include "rt_hooks.h"
#include "platform_glue.h"

static_assert(DS_E2BIG == E2BIG && DS_ENOMEM == ENOMEM &&
	      DS_EFAULT == EFAULT && DS_EBUSY == EBUSY &&
	      DS_EINVAL == EINVAL && DS_ENOTTY == ENOTTY &&
	      DS_ENOSPC == ENOSPC && DS_EOVERFLOW == EOVERFLOW &&
	      DS_ETIMEDOUT == ETIMEDOUT && DS_ECANCELED == ECANCELED &&
	      DS_ENOENT == ENOENT && DS_EINTR == EINTR && DS_EMFILE == EMFILE &&
	      DS_ELOOP == ELOOP && DS_ENOBUFS == ENOBUFS && DS_EDQUOT == EDQUOT &&
	      DS_EIO == EIO && DS_EAGAIN == EAGAIN);

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

/*
 * Hot-path counters, per CPU: this_cpu_add() is one unlocked instruction
 * on x86 and safe against preemption and irqs (allocations happen in task,
 * kworker and hrtimer context). A block freed on another CPU than it was
 * allocated on leaves +1 and -1 on two CPUs: the sums stay exact.
 */
struct ds_pcpu_counters {
	long slot[DS_COUNTER_SLOTS];	/* the runtime's (ds_counter_add) */
	long live[DS_SITE_COUNT];	/* blocks allocated minus freed */
	long live_bytes[DS_SITE_COUNT];
};
static DEFINE_PER_CPU(struct ds_pcpu_counters, ds_pcpu);

/* Exact at a quiescent point; concurrent adds may be missed or seen. */
static long ds_pcpu_sum(long __percpu *field)
{
	long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(*per_cpu_ptr(field, cpu));
	return n;
}

void ds_counter_add(unsigned int slot, long delta)
{
	if (slot < DS_COUNTER_SLOTS)
		this_cpu_add(ds_pcpu.slot[slot], delta);
}

void ds_counter_add2(unsigned int a, long da, unsigned int b, long db)
{
	if (a < DS_COUNTER_SLOTS)
		this_cpu_add(ds_pcpu.slot[a], da);
	if (b < DS_COUNTER_SLOTS)
		this_cpu_add(ds_pcpu.slot[b], db);
}

long ds_counter_sum(unsigned int slot)
{
	return slot < DS_COUNTER_SLOTS ? ds_pcpu_sum(&ds_pcpu.slot[slot]) : 0;
}

static struct workqueue_struct *ds_wq;
static DEFINE_PER_CPU(int, ds_stashed_alloc_error);
static unsigned int ds_forced_sites;

void ds_fault_force(unsigned int site_mask)
{
	WRITE_ONCE(ds_forced_sites, site_mask);
}

/*
 * The module's one call into the slab, kept out of line so debug kernels'
 * fail_function can make it return NULL (the failure is then counted as a
 * real one, like any kmalloc failure).
 */
noinline __noclone void *ds_slab_alloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags);
}
ALLOW_ERROR_INJECTION(ds_slab_alloc, NULL);

/* Why the allocation on @tag failed: ds_alloc_errno() reads it. */
static void ds_note_failure(struct ds_alloc_tag *tag, bool quota)
{
	if (tag)
		WRITE_ONCE(tag->quota_refused, quota);
}

/*
 * Every allocation of the module: the owner's byte budget (hook), the fault hook,
 * then kmalloc, charged to the file's memcg (__GFP_ACCOUNT under its
 * active memcg; without a file, to the caller's, if it is a user task). A
 * refusal by the budget is no allocation attempt: the fault injector
 * neither sees nor counts it, and it is no failure (-EDQUOT, not -ENOMEM).
 */
static void *ds_kmalloc(size_t size, size_t align, gfp_t flags,
			unsigned int site, struct ds_alloc_tag *tag)
{
	struct ds_account *acct = ds_account_of(tag);
	struct mem_cgroup *old;
	void *p;

	if (site >= DS_SITE_COUNT || !size || size > KMALLOC_MAX_SIZE ||
	    !is_power_of_2(align) || align > PAGE_SIZE)
		goto fail;
	if (READ_ONCE(ds_forced_sites) & (1U << site))
		goto fail;
	if (acct && !ds_account_charge(acct, size)) {
		ds_note_failure(tag, true);
		return NULL;
	}
	if (tag && (READ_ONCE(tag->forced_sites) & (1U << site)))
		goto fail;
	if (ds_fault_should_fail(site, size, tag))
		goto uncharge;
	flags |= __GFP_ACCOUNT;
	old = ds_account_enter(acct);
	p = ds_slab_alloc(size, flags);
	if (p && !IS_ALIGNED((unsigned long)p, align)) {
		/* Power-of-two kmalloc sizes are naturally aligned. */
		kfree(p);
		p = ds_slab_alloc(roundup_pow_of_two(max(size, align)), flags);
	}
	ds_account_leave(acct, old);
	if (!p) {
		ds_fault_real_failure(site, tag);
		goto uncharge;
	}
	this_cpu_inc(ds_pcpu.live[site]);
	this_cpu_add(ds_pcpu.live_bytes[site], size);
	return p;
uncharge:
	if (acct)
		ds_account_uncharge(acct, size);
fail:
	ds_note_failure(tag, false);
	return NULL;
}

void *ds_alloc(size_t size, size_t align, unsigned int gfp, unsigned int site,
	       struct ds_alloc_tag *tag)
{
	if (gfp >= DS_GFP_COUNT) {
		ds_note_failure(tag, false);
		return NULL;
	}
	return ds_kmalloc(size, align, ds_gfp_map[gfp], site, tag);
}

/* Gives the bytes back to the file that paid for them, exactly once. */
void ds_free(void *p, size_t size, unsigned int site,
	     const struct ds_alloc_tag *tag)
{
	struct ds_account *acct = ds_account_of(tag);

	if (!p || site >= DS_SITE_COUNT)
		return;
	this_cpu_dec(ds_pcpu.live[site]);
	this_cpu_sub(ds_pcpu.live_bytes[site], size);
	if (acct)
		ds_account_uncharge(acct, size);
	kfree(p);
}

long ds_live_allocations(void)
{
	long n = 0;
	int i;

	for (i = 0; i < DS_SITE_COUNT; i++)
		n += ds_pcpu_sum(&ds_pcpu.live[i]);
	return n;
}

long ds_live_allocations_at(unsigned int site)
{
	return site < DS_SITE_COUNT ? ds_pcpu_sum(&ds_pcpu.live[site]) : 0;
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

struct ds_pool {
	mempool_t *mempool;
	size_t elem_size;
	size_t internal;	/* bytes of the mempool's own struct and array */
	struct ds_alloc_tag *tag;
};

static void *ds_pool_refill(gfp_t gfp, void *data)
{
	struct ds_pool *pool = data;

	return ds_kmalloc(pool->elem_size, 16, gfp | __GFP_NOWARN,
			  DS_SITE_RESERVE, pool->tag);
}

static void ds_pool_release(void *p, void *data)
{
	struct ds_pool *pool = data;

	ds_free(p, pool->elem_size, DS_SITE_RESERVE, pool->tag);
}

struct ds_pool *ds_pool_create(size_t elem_size, unsigned int min_nr,
			       struct ds_alloc_tag *tag)
{
	struct ds_account *acct = ds_account_of(tag);
	struct mem_cgroup *old;
	struct ds_pool *pool;
	u32 counted;

	if (!elem_size || elem_size > KMALLOC_MAX_SIZE || !min_nr ||
	    min_nr > (KMALLOC_MAX_SIZE - sizeof(mempool_t)) / sizeof(void *)) {
		ds_note_failure(tag, false);
		return NULL;
	}
	pool = ds_alloc(sizeof(*pool), __alignof__(*pool), DS_GFP_KERNEL,
			DS_SITE_RESERVE, tag);
	if (!pool)
		return NULL;
	pool->elem_size = elem_size;
	pool->tag = tag;
	/* mempool's own allocations count against the file's budget too. */
	pool->internal = sizeof(mempool_t) + min_nr * sizeof(void *);
	if (acct && !ds_account_charge(acct, pool->internal)) {
		ds_free(pool, sizeof(*pool), DS_SITE_RESERVE, tag);
		ds_note_failure(tag, true);
		return NULL;
	}
	counted = tag ? READ_ONCE(tag->injected) + READ_ONCE(tag->failed) : 0;
	ds_note_failure(tag, false);
	/* Its struct and element array are charged to the file's memcg too. */
	old = ds_account_enter(acct);
	pool->mempool = mempool_create_node(min_nr, ds_pool_refill, ds_pool_release,
					    pool, GFP_KERNEL | __GFP_ACCOUNT,
					    NUMA_NO_NODE);
	ds_account_leave(acct, old);
	if (!pool->mempool) {
		/*
		 * mempool_create() also allocates its own struct and element
		 * array, outside our hook: a failure there is a real failure
		 * too, so that the -ENOMEM names its cause like every other.
		 * A refill the byte budget refused is no failure (-EDQUOT).
		 */
		if (tag && !READ_ONCE(tag->quota_refused) &&
		    READ_ONCE(tag->injected) + READ_ONCE(tag->failed) == counted)
			ds_fault_real_failure(DS_SITE_MISC, tag);
		if (acct)
			ds_account_uncharge(acct, pool->internal);
		ds_free(pool, sizeof(*pool), DS_SITE_RESERVE, tag);
		return NULL;
	}
	return pool;
}

void ds_pool_destroy(struct ds_pool *pool)
{
	struct ds_account *acct;

	if (!pool)
		return;
	acct = ds_account_of(pool->tag);
	mempool_destroy(pool->mempool);
	if (acct)
		ds_account_uncharge(acct, pool->internal);
	ds_free(pool, sizeof(*pool), DS_SITE_RESERVE, pool->tag);
}

void *ds_pool_alloc(struct ds_pool *pool)
{
	/* NOWAIT: a fresh block or the reserve, never a sleep for a free. */
	return mempool_alloc(pool->mempool, GFP_NOWAIT);
}

void ds_pool_free(struct ds_pool *pool, void *p)
{
	mempool_free(p, pool->mempool);
}

static_assert(sizeof(spinlock_t) <= sizeof(struct ds_lock));

void ds_lock_init(struct ds_lock *l)
{
	spin_lock_init((spinlock_t *)l);
}

unsigned long ds_lock_irqsave(struct ds_lock *l)
{
	unsigned long flags;

	spin_lock_irqsave((spinlock_t *)l, flags);
	return flags;
}

void ds_unlock_irqrestore(struct ds_lock *l, unsigned long flags)
{
	spin_unlock_irqrestore((spinlock_t *)l, flags);
}

struct ds_timer_impl {
	struct hrtimer timer;
	ds_timer_fn fn;
};

static_assert(sizeof(struct ds_timer_impl) <= sizeof(struct ds_timer));

static enum hrtimer_restart ds_timer_run(struct hrtimer *timer)
{
	struct ds_timer_impl *impl = container_of(timer, struct ds_timer_impl, timer);

	impl->fn((struct ds_timer *)impl);
	return HRTIMER_NORESTART;
}

void ds_timer_init(struct ds_timer *t, ds_timer_fn fn)
{
	struct ds_timer_impl *impl = (struct ds_timer_impl *)t;

	hrtimer_init(&impl->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	impl->timer.function = ds_timer_run;
	impl->fn = fn;
}

void ds_timer_start(struct ds_timer *t, uint64_t delay_ns)
{
	struct ds_timer_impl *impl = (struct ds_timer_impl *)t;

	hrtimer_start(&impl->timer, ns_to_ktime(delay_ns), HRTIMER_MODE_REL);
}

void ds_timer_cancel(struct ds_timer *t)
{
	hrtimer_cancel(&((struct ds_timer_impl *)t)->timer);
}

uint64_t ds_now_ns(void)
{
	return ktime_get_ns();
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

#ifndef DS_RT_HOOK_TRACE
/* No tracing hook: the executor's test of this stays false. */
int ds_trace_tasks;

void ds_trace_task(const void *cookie, unsigned int event)
{
}
#endif

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
		if (ds_pcpu_sum(&ds_pcpu.live[i]))
			pr_err("leak: site %s: %ld blocks, %ld bytes\n",
			       ds_site_names[i], ds_pcpu_sum(&ds_pcpu.live[i]),
			       ds_pcpu_sum(&ds_pcpu.live_bytes[i]));
	}
	WARN(live, KBUILD_MODNAME ": %ld allocations leaked\n", live);
	return live;
}
