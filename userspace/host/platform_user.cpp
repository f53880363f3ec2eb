// SPDX-License-Identifier: GPL-2.0
// Userspace implementation of rt/platform.h, so the runtime's own sources
// run in host tests: malloc with accounting and fail-nth injection, and a
// single-threaded run queue standing in for the workqueue.
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "ds_platform_inline.h"
#include "host_counters.h"
#include "host_platform.h"

static_assert(DS_E2BIG == E2BIG && DS_ENOMEM == ENOMEM &&
	      DS_EFAULT == EFAULT && DS_EBUSY == EBUSY &&
	      DS_EINVAL == EINVAL && DS_ENOTTY == ENOTTY &&
	      DS_ENOSPC == ENOSPC && DS_EOVERFLOW == EOVERFLOW &&
	      DS_ETIMEDOUT == ETIMEDOUT && DS_ECANCELED == ECANCELED &&
	      DS_ENOENT == ENOENT && DS_EINTR == EINTR && DS_EMFILE == EMFILE &&
	      DS_ELOOP == ELOOP && DS_ENOBUFS == ENOBUFS && DS_EDQUOT == EDQUOT &&
	      DS_EIO == EIO && DS_EAGAIN == EAGAIN);

namespace {

// The thread's own counter block, inline (ds_platform_inline.h); the
// first add of a thread registers it.
inline void count(unsigned slot, long delta) noexcept
{
	if (std::atomic<long> *slots = ds_tls_counter_slots) [[likely]]
		ds_tls_counter_bump(slots[slot], delta);
	else
		host::counters::add(slot, delta);
}

// Live blocks and calls are per-thread counters (host_counters.h), as the
// kernel's are per CPU: no locked instruction per allocation.
std::atomic<long> calls_base; // the calls sum at the last reset
std::atomic<long> injected;
std::atomic<long> fail_countdown; // the call that takes it to 0 fails
std::atomic<unsigned> forced_sites;

// The run queue's lock: held for a few pointer moves, as the kernel's
// workqueue holds its pool's spinlock. A pthread mutex would cost more
// than the rest of a hop through the executor (benchmarks measure it).
inline void cpu_relax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

class SpinLock {
public:
	void lock() noexcept
	{
		while (held_.exchange(true, std::memory_order_acquire))
			while (held_.load(std::memory_order_relaxed))
				cpu_relax();
	}
	void unlock() noexcept { held_.store(false, std::memory_order_release); }

private:
	std::atomic<bool> held_{false};
};

// Queued work, linked through the items themselves (as the kernel's
// work_struct): queueing never allocates.
struct WorkImpl;
SpinLock queue_lock;
WorkImpl *queue_head;
WorkImpl *queue_tail;
size_t queue_len;
thread_local bool in_worker;

std::mutex timer_lock;
std::vector<ds_timer *> timers;
std::atomic<uint64_t> now_ns{1000};
thread_local int stashed_alloc_error;

std::mutex trace_lock;
std::vector<host::TraceEvent> trace_log;

struct WorkImpl {
	ds_work_fn fn;
	WorkImpl *next;
	bool queued; // as the kernel's WORK_STRUCT_PENDING
};
static_assert(sizeof(WorkImpl) <= sizeof(ds_work));

} // namespace

extern "C" {

void *ds_alloc(size_t size, size_t align, unsigned int gfp, unsigned int site,
	       struct ds_alloc_tag *tag)
{
	if (gfp >= DS_GFP_COUNT || site >= DS_SITE_COUNT || !size || !align ||
	    (align & (align - 1)) || align > 4096)
		return nullptr;
	count(host::counters::kCalls, 1);
	// Armed fail-nth: one shared countdown, so "the n-th call" is exact
	// even across threads; disarmed (the usual case) it is only a load.
	bool nth = fail_countdown.load(std::memory_order_relaxed) > 0 &&
		   fail_countdown.fetch_sub(1) == 1;
	const bool forced = (forced_sites.load(std::memory_order_relaxed) & (1u << site)) ||
			    (tag && (__atomic_load_n(&tag->forced_sites, __ATOMIC_RELAXED) &
				     (1u << site)));
	if (nth || forced) {
		++injected;
		if (tag) {
			__atomic_add_fetch(&tag->injected, 1, __ATOMIC_RELAXED);
			tag->quota_refused = 0; // the host has no byte limit
		}
		return nullptr;
	}
	// malloc's own alignment (16 on x86-64) serves frames; above it, ask.
	void *p = nullptr;
	if (align <= alignof(std::max_align_t))
		p = malloc(size);
	else if (posix_memalign(&p, align, size))
		p = nullptr;
	if (!p)
		return nullptr;
	count(host::counters::kLive + site, 1);
	return p;
}

void ds_free(void *p, size_t, unsigned int site, const struct ds_alloc_tag *)
{
	if (!p || site >= DS_SITE_COUNT)
		return;
	count(host::counters::kLive + site, -1);
	free(p);
}

long ds_live_allocations(void)
{
	long n = 0;
	for (unsigned i = 0; i < DS_SITE_COUNT; i++)
		n += host::counters::sum(host::counters::kLive + i);
	return n;
}

long ds_live_allocations_at(unsigned int site)
{
	return site < DS_SITE_COUNT ? host::counters::sum(host::counters::kLive + site) : 0;
}

void ds_fault_force(unsigned int site_mask) { forced_sites = site_mask; }

// The host reserve: a free list of min_nr blocks, refilled on free.
struct ds_pool {
	size_t elem_size;
	unsigned min_nr;
	ds_alloc_tag *tag;
	std::mutex lock;
	std::vector<void *> reserve;
	std::atomic<size_t> curr{0}; // reserve.size(), readable without the lock
};

struct ds_pool *ds_pool_create(size_t elem_size, unsigned int min_nr,
			       struct ds_alloc_tag *tag)
{
	if (!elem_size || !min_nr)
		return nullptr;
	void *mem = ds_alloc(sizeof(ds_pool), alignof(ds_pool), DS_GFP_KERNEL,
			     DS_SITE_RESERVE, tag);
	if (!mem)
		return nullptr;
	auto *pool = new (mem) ds_pool{elem_size, min_nr, tag, {}, {}};
	pool->reserve.reserve(min_nr);
	for (unsigned i = 0; i < min_nr; i++) {
		void *p = ds_alloc(elem_size, 16, DS_GFP_KERNEL, DS_SITE_RESERVE, tag);
		if (!p) {
			ds_pool_destroy(pool);
			return nullptr;
		}
		pool->reserve.push_back(p);
	}
	pool->curr = min_nr;
	return pool;
}

void ds_pool_destroy(struct ds_pool *pool)
{
	if (!pool)
		return;
	for (void *p : pool->reserve)
		ds_free(p, pool->elem_size, DS_SITE_RESERVE, pool->tag);
	pool->~ds_pool();
	ds_free(pool, sizeof(ds_pool), DS_SITE_RESERVE, nullptr);
}

void *ds_pool_alloc(struct ds_pool *pool)
{
	void *p = ds_alloc(pool->elem_size, 16, DS_GFP_NOWAIT, DS_SITE_RESERVE, pool->tag);
	if (p)
		return p;
	std::lock_guard<std::mutex> g(pool->lock);
	if (pool->reserve.empty())
		return nullptr;
	p = pool->reserve.back();
	pool->reserve.pop_back();
	pool->curr.store(pool->reserve.size(), std::memory_order_relaxed);
	return p;
}

// As the kernel's mempool_free: a full reserve (the usual case) is seen
// without the lock, and the block goes straight back to the heap.
void ds_pool_free(struct ds_pool *pool, void *p)
{
	if (pool->curr.load(std::memory_order_relaxed) >= pool->min_nr) {
		ds_free(p, pool->elem_size, DS_SITE_RESERVE, pool->tag);
		return;
	}
	std::lock_guard<std::mutex> g(pool->lock);
	if (pool->reserve.size() < pool->min_nr) {
		pool->reserve.push_back(p);
		pool->curr.store(pool->reserve.size(), std::memory_order_relaxed);
	} else {
		ds_free(p, pool->elem_size, DS_SITE_RESERVE, pool->tag);
	}
}

static_assert(sizeof(std::mutex) <= sizeof(ds_lock));

void ds_lock_init(struct ds_lock *l) { new (l) std::mutex; }
unsigned long ds_lock_irqsave(struct ds_lock *l)
{
	reinterpret_cast<std::mutex *>(l)->lock();
	return 0;
}
void ds_unlock_irqrestore(struct ds_lock *l, unsigned long)
{
	reinterpret_cast<std::mutex *>(l)->unlock();
}

// Host timers fire only when a test advances the fake clock.
struct TimerImpl {
	ds_timer_fn fn;
	uint64_t due;
	bool armed;
};
static_assert(sizeof(TimerImpl) <= sizeof(ds_timer));

void ds_timer_init(struct ds_timer *t, ds_timer_fn fn)
{
	*reinterpret_cast<TimerImpl *>(t) = TimerImpl{fn, 0, false};
}

void ds_timer_start(struct ds_timer *t, uint64_t delay_ns)
{
	std::lock_guard<std::mutex> g(timer_lock);
	auto *impl = reinterpret_cast<TimerImpl *>(t);
	impl->due = now_ns + delay_ns;
	impl->armed = true;
	timers.push_back(t);
}

void ds_timer_cancel(struct ds_timer *t)
{
	std::lock_guard<std::mutex> g(timer_lock);
	reinterpret_cast<TimerImpl *>(t)->armed = false;
	std::erase(timers, t);
}

uint64_t ds_now_ns(void) { return now_ns; }

void ds_alloc_error_stash(int err) { stashed_alloc_error = err; }
int ds_alloc_error_take(void) { return stashed_alloc_error; }

void ds_work_init(struct ds_work *w, ds_work_fn fn)
{
	auto *impl = reinterpret_cast<WorkImpl *>(w);
	impl->fn = fn;
	impl->next = nullptr;
	impl->queued = false;
}

// As queue_work(): an item already queued stays queued once.
void ds_work_queue(struct ds_work *w)
{
	auto *impl = reinterpret_cast<WorkImpl *>(w);
	std::lock_guard<SpinLock> g(queue_lock);
	if (impl->queued)
		return;
	impl->queued = true;
	impl->next = nullptr;
	if (queue_tail)
		queue_tail->next = impl;
	else
		queue_head = impl;
	queue_tail = impl;
	queue_len++;
}

bool ds_in_worker(void) { return in_worker; }

// Tracing: no tracepoints here; tests record the hook's reports instead.
int ds_trace_tasks;

void ds_trace_task(const void *cookie, unsigned int event)
{
	std::lock_guard<std::mutex> g(trace_lock);
	trace_log.push_back({cookie, event});
}

void ds_log(int level, const char *fmt, ...)
{
	static const char *const names[] = {"err", "warn", "info", "debug"};
	va_list ap;
	va_start(ap, fmt);
	std::fprintf(stderr, "dynasync[%s]: ", names[level & 3]);
	std::vfprintf(stderr, fmt, ap);
	std::fputc('\n', stderr);
	va_end(ap);
}

} // extern "C"

namespace host {

void trace_tasks(bool on)
{
	__atomic_store_n(&ds_trace_tasks, on ? 1 : 0, __ATOMIC_RELAXED);
	std::lock_guard<std::mutex> g(trace_lock);
	trace_log.clear();
}

std::vector<TraceEvent> take_trace()
{
	std::lock_guard<std::mutex> g(trace_lock);
	return std::exchange(trace_log, {});
}

size_t run_pending()
{
	size_t ran = 0;
	for (;;) {
		WorkImpl *w;
		{
			std::lock_guard<SpinLock> g(queue_lock);
			w = queue_head;
			if (!w)
				return ran;
			queue_head = w->next;
			if (!queue_head)
				queue_tail = nullptr;
			queue_len--;
			w->queued = false; // may be queued again while it runs
		}
		in_worker = true;
		w->fn(reinterpret_cast<ds_work *>(w));
		in_worker = false;
		ran++;
	}
}

size_t advance_time(uint64_t ns)
{
	size_t fired = 0;
	now_ns += ns;
	for (;;) {
		ds_timer *due = nullptr;
		{
			std::lock_guard<std::mutex> g(timer_lock);
			for (ds_timer *t : timers) {
				auto *impl = reinterpret_cast<TimerImpl *>(t);
				if (impl->armed && impl->due <= now_ns) {
					due = t;
					impl->armed = false;
					std::erase(timers, t);
					break;
				}
			}
		}
		if (!due)
			return fired;
		reinterpret_cast<TimerImpl *>(due)->fn(due);
		fired++;
	}
}

size_t armed_timers()
{
	std::lock_guard<std::mutex> g(timer_lock);
	return timers.size();
}

size_t pending()
{
	std::lock_guard<SpinLock> g(queue_lock);
	return queue_len;
}

void fail_nth(long n) { fail_countdown = n > 0 ? n : 0; }
long alloc_calls() { return counters::sum(counters::kCalls) - calls_base.load(); }
long injected_failures() { return injected.load(); }
void reset_alloc_counters()
{
	calls_base = counters::sum(counters::kCalls);
	injected = 0;
	fail_countdown = 0;
	forced_sites = 0;
}

long live(ds_site site) { return ds_live_allocations_at(site); }

} // namespace host
