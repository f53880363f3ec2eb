/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The platform boundary: everything the C++ runtime needs from its host,
 * as plain C. The kernel implementation is kmod/platform.c; the userspace
 * one (host tests, benchmarks) is userspace/host/platform_user.cpp. The
 * runtime never includes a kernel header; it reaches the kernel only here.
 */
#ifndef DYNASYNC_RT_PLATFORM_H
#define DYNASYNC_RT_PLATFORM_H

#ifdef __cplusplus
#include <cstddef>
#include <cstdint>
extern "C" {
#else
#include <linux/types.h>
#endif

/*
 * Errno values the runtime produces (asm-generic numbering; both
 * implementations assert they match their own headers).
 */
#define DS_ENOENT	2
#define DS_EINTR	4
#define DS_EIO		5
#define DS_E2BIG	7
#define DS_EAGAIN	11
#define DS_ENOMEM	12
#define DS_EFAULT	14
#define DS_EBUSY	16
#define DS_EINVAL	22
#define DS_EMFILE	24
#define DS_ENOTTY	25
#define DS_ENOSPC	28
#define DS_ELOOP	40
#define DS_EOVERFLOW	75
#define DS_ENOBUFS	105
#define DS_EDQUOT	122
#define DS_ETIMEDOUT	110
#define DS_ECANCELED	125

/* Allocation flags the caller chooses (mapped to GFP_* by the kernel). */
enum ds_gfp {
	DS_GFP_KERNEL = 0,	/* may sleep */
	DS_GFP_NOWAIT = 1,	/* no sleeping, no reserves */
	DS_GFP_ATOMIC = 2,	/* no sleeping, may dip into reserves */
	DS_GFP_COUNT
};

/* Allocation sites: accounting and fault-injection filters key on them. */
enum ds_site {
	DS_SITE_FRAME = 0,	/* coroutine frames (every storage strategy) */
	DS_SITE_TASK = 1,	/* top-level task headers */
	DS_SITE_OBJECT = 2,	/* trait objects */
	DS_SITE_ARGS = 3,	/* argument buffers */
	DS_SITE_RESERVE = 4,	/* reserve pool refills */
	DS_SITE_MISC = 5,	/* global operator new; failures outside the hook */
	DS_SITE_COUNT
};

/*
 * Who an allocation is for, as the fault injector's filters and counters
 * see it. Each trait object owns one; the runtime only passes pointers
 * along (storages keep the one they were given). NULL: nobody in
 * particular, so only the module-wide policy applies and filters on
 * strategy, trait or method do not match.
 */
struct ds_alloc_tag {
	uint8_t strategy;	/* DYNASYNC_STRATEGY_* of the owner; 0 = none */
	uint8_t trait;		/* the operation's trait; 0 = none */
	uint8_t method;		/* the operation's method; 0 = none (creation) */
	/*
	 * The last allocation that failed on this tag was refused by the
	 * open file's byte limit (-EDQUOT), not by the allocator or the
	 * fault injector (-ENOMEM). Set by ds_alloc() and pool refills.
	 */
	uint8_t quota_refused;
	/*
	 * Sites (1 << DS_SITE_*) whose allocations for this tag always fail,
	 * uncounted: the self-check's own forced failures, kept to its own
	 * allocations so that no other caller sees them.
	 */
	uint8_t forced_sites;
	uint32_t injected;	/* failures injected on this tag (the owner resets) */
	uint32_t failed;	/* real failures on this tag */
	void *scope;		/* kernel: the open file's struct ds_fault_scope */
};

/*
 * Allocate @size bytes aligned to @align (a power of two, at most 4096),
 * or return NULL: ds_alloc_errno(@tag) says why (-ENOMEM: the allocation
 * failed or was injected to fail; -EDQUOT: the open file @tag is for has
 * no byte budget left). Every block is freed with ds_free() and the same
 * @size, @site and a tag of the same open file (its bytes are given back
 * there). @tag may be NULL (nobody's: no byte limit).
 */
void *ds_alloc(size_t size, size_t align, unsigned int gfp, unsigned int site,
	       struct ds_alloc_tag *tag);
void ds_free(void *p, size_t size, unsigned int site,
	     const struct ds_alloc_tag *tag);

/* The errno of the allocation that just failed on @tag. */
static inline int ds_alloc_errno(const struct ds_alloc_tag *tag)
{
	return tag && tag->quota_refused ? -DS_EDQUOT : -DS_ENOMEM;
}

/* Live allocations (all sites), for leak checks: exact when quiescent. */
long ds_live_allocations(void);
/* Live allocations of one site (0 for an unknown site). */
long ds_live_allocations_at(unsigned int site);

/*
 * Hot-path counters: DS_COUNTER_SLOTS longs the runtime numbers itself
 * (stats.cpp), kept per CPU (kernel: this_cpu_add, no locked op, safe in
 * any context) or per thread (host) and summed when read. An add on one
 * CPU and the matching subtract on another still sum exactly; a sum taken
 * while others add may miss or see in-flight adds (a live count can read
 * momentarily off, even negative), so exact values need a quiescent point.
 * A platform may also offer an inline add (rt/hot_counter.hpp).
 */
#define DS_COUNTER_SLOTS 64
void ds_counter_add(unsigned int slot, long delta);
/* Two adds in one call (a frame's placement counts two things). */
void ds_counter_add2(unsigned int a, long da, unsigned int b, long db);
long ds_counter_sum(unsigned int slot);

/*
 * Forced failure, for host tests only: every ds_alloc() (and pool refill)
 * on a site whose bit is set in @site_mask fails, before any policy is
 * asked. 0 disarms. Module-wide, so never used by the module itself (a
 * concurrent caller would get an -ENOMEM no counter names): the
 * self-check uses its tag's forced_sites instead.
 */
void ds_fault_force(unsigned int site_mask);

/*
 * Reserve pools of @elem_size blocks (aligned to 16), @min_nr of them kept
 * in reserve (kernel: mempool_t). ds_pool_alloc() never sleeps: it tries a
 * fresh block, then the reserve, and returns NULL only when both fail.
 * The pool's own allocations (its struct, the reserve, fresh blocks) are
 * made with @tag, which must outlive the pool; when create or alloc
 * return NULL, ds_alloc_errno(@tag) says why.
 */
struct ds_pool;
struct ds_pool *ds_pool_create(size_t elem_size, unsigned int min_nr,
			       struct ds_alloc_tag *tag);
void ds_pool_destroy(struct ds_pool *pool);
void *ds_pool_alloc(struct ds_pool *pool);
void ds_pool_free(struct ds_pool *pool, void *p);

/* An irq-safe spinlock (opaque: room for spinlock_t with lockdep). */
struct ds_lock {
	unsigned long opaque[16];
};
void ds_lock_init(struct ds_lock *l);
unsigned long ds_lock_irqsave(struct ds_lock *l);
void ds_unlock_irqrestore(struct ds_lock *l, unsigned long flags);

/*
 * One-shot high-resolution timers: @fn runs in hard-irq context (it may
 * only wake things up). ds_timer_cancel() waits for a running callback.
 */
struct ds_timer {
	unsigned long opaque[16];
};
typedef void (*ds_timer_fn)(struct ds_timer *t);
void ds_timer_init(struct ds_timer *t, ds_timer_fn fn);
void ds_timer_start(struct ds_timer *t, uint64_t delay_ns);
void ds_timer_cancel(struct ds_timer *t);
uint64_t ds_now_ns(void);

/*
 * The errno of a failed coroutine-frame allocation crosses from the
 * promise's operator new to get_return_object_on_allocation_failure(),
 * which the compiler calls right after, with no arguments. It travels in
 * a per-CPU (kernel) / thread-local (host) slot; stash pins the CPU until
 * take.
 */
void ds_alloc_error_stash(int err);
int ds_alloc_error_take(void);

/*
 * Deferred work: run @fn(@w) later in process context (a workqueue). The
 * storage is opaque; large enough for a work_struct with lockdep.
 */
struct ds_work {
	unsigned long opaque[16];
};
typedef void (*ds_work_fn)(struct ds_work *w);
void ds_work_init(struct ds_work *w, ds_work_fn fn);
void ds_work_queue(struct ds_work *w);
/* True when called from the runtime's workqueue (host: its executor). */
bool ds_in_worker(void);

/*
 * Tracing (kernel: the dynasync tracepoints, README "Tracing"). While
 * ds_trace_tasks is nonzero (an event that wants them is enabled), the
 * executor reports each suspension and each resumption (or cancellation)
 * of a task that was given a trace cookie, before it happens: the module's
 * call tasks carry their struct ds_call. Read without ordering: an event
 * enabled while a task runs may miss a step. The disabled cost is one
 * load and an untaken branch, and only on the suspend and resume paths.
 */
extern int ds_trace_tasks;
enum ds_trace_task_event {
	DS_TRACE_SUSPEND = 0,
	DS_TRACE_RESUME = 1,
	DS_TRACE_CANCEL = 2,	/* destroyed on the worker instead */
};
void ds_trace_task(const void *cookie, unsigned int event);

enum ds_log_level { DS_LOG_ERR, DS_LOG_WARN, DS_LOG_INFO, DS_LOG_DEBUG };
void ds_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif /* DYNASYNC_RT_PLATFORM_H */
