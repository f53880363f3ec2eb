// SPDX-License-Identifier: GPL-2.0
// Userspace implementation of rt/platform.h, so the runtime's own sources
// run in host tests: malloc with accounting and fail-nth injection, and a
// single-threaded run queue standing in for the workqueue.
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>

#include "host_platform.h"

static_assert(DS_E2BIG == E2BIG && DS_ENOMEM == ENOMEM &&
	      DS_EFAULT == EFAULT && DS_EBUSY == EBUSY &&
	      DS_EINVAL == EINVAL && DS_ENOTTY == ENOTTY &&
	      DS_ENOSPC == ENOSPC && DS_EOVERFLOW == EOVERFLOW &&
	      DS_ETIMEDOUT == ETIMEDOUT && DS_ECANCELED == ECANCELED);

namespace {

std::atomic<long> live_blocks[DS_SITE_COUNT];
std::atomic<long> calls;
std::atomic<long> injected;
std::atomic<long> fail_at; // the calls value that fails; 0 = never

std::mutex queue_lock;
std::deque<ds_work *> queue;
thread_local bool in_worker;
thread_local int stashed_alloc_error;

struct WorkImpl {
	ds_work_fn fn;
};
static_assert(sizeof(WorkImpl) <= sizeof(ds_work));

} // namespace

extern "C" {

void *ds_alloc(size_t size, size_t align, unsigned int gfp, unsigned int site)
{
	if (gfp >= DS_GFP_COUNT || site >= DS_SITE_COUNT || !size || !align ||
	    (align & (align - 1)) || align > 4096)
		return nullptr;
	long n = ++calls;
	long f = fail_at.load();
	if (f && n == f) {
		++injected;
		return nullptr;
	}
	if (align < sizeof(void *))
		align = sizeof(void *);
	void *p = nullptr;
	if (posix_memalign(&p, align, size))
		return nullptr;
	++live_blocks[site];
	return p;
}

void ds_free(void *p, size_t, unsigned int site)
{
	if (!p || site >= DS_SITE_COUNT)
		return;
	--live_blocks[site];
	free(p);
}

long ds_live_allocations(void)
{
	long n = 0;
	for (auto &l : live_blocks)
		n += l.load();
	return n;
}

void ds_alloc_error_stash(int err) { stashed_alloc_error = err; }
int ds_alloc_error_take(void) { return stashed_alloc_error; }

void ds_work_init(struct ds_work *w, ds_work_fn fn)
{
	reinterpret_cast<WorkImpl *>(w)->fn = fn;
}

void ds_work_queue(struct ds_work *w)
{
	std::lock_guard<std::mutex> g(queue_lock);
	queue.push_back(w);
}

bool ds_in_worker(void) { return in_worker; }

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

size_t run_pending()
{
	size_t ran = 0;
	for (;;) {
		ds_work *w;
		{
			std::lock_guard<std::mutex> g(queue_lock);
			if (queue.empty())
				return ran;
			w = queue.front();
			queue.pop_front();
		}
		in_worker = true;
		reinterpret_cast<WorkImpl *>(w)->fn(w);
		in_worker = false;
		ran++;
	}
}

size_t pending()
{
	std::lock_guard<std::mutex> g(queue_lock);
	return queue.size();
}

void fail_nth(long n) { fail_at = n ? calls.load() + n : 0; }
long alloc_calls() { return calls.load(); }
long injected_failures() { return injected.load(); }
void reset_alloc_counters()
{
	calls = 0;
	injected = 0;
	fail_at = 0;
}

long live(ds_site site) { return live_blocks[site].load(); }

} // namespace host
