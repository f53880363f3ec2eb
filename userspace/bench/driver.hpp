// SPDX-License-Identifier: GPL-2.0
// The awaiting side of every call benchmark: a root task (ds::RootTask,
// as the device runs calls) whose coroutine co_awaits kBatch calls, then
// parks until the benchmark loop asks for the next batch. So each call is
// a real co_await from a coroutine in a task; the park/resume of the
// driver itself is paid once per kBatch calls.
#pragma once

#include <benchmark/benchmark.h>

#include <coroutine>
#include <cstdint>
#include <utility>

#include "host_platform.h"
#include "parked.hpp"
#include "rt/task.hpp"
#include "traits/async_iterator.hpp"

namespace bench {

inline constexpr int kBatch = 64;

struct Loop {
	std::coroutine_handle<> driver; // parked between batches
	bool stop = false;
	long errors = 0;
};

struct Pause {
	Loop &loop;
	bool await_ready() const noexcept { return false; }
	void await_suspend(std::coroutine_handle<> h) const noexcept { loop.driver = h; }
	void await_resume() const noexcept {}
};

// What the driver adds up (so no result is dead).
inline uint64_t value_of(uint64_t v) noexcept { return v; }
inline uint64_t value_of(const ds::Next &n) noexcept { return n.value; }

// @call() returns an awaitable yielding a Result.
template <class Call>
ds::Future<uint64_t> batch_loop(Call call, Loop &loop, ds::Storage &frame)
{
	uint64_t sum = 0;
	for (;;) {
		co_await Pause{loop};
		if (loop.stop)
			co_return sum;
		for (int i = 0; i < kBatch; i++) {
			auto r = co_await call();
			if (!r.ok())
				loop.errors++;
			else
				sum += value_of(*r);
			benchmark::DoNotOptimize(sum);
		}
	}
}

class BatchRunner {
public:
	template <class Call>
	explicit BatchRunner(Call call) noexcept
	{
		ds::RootTask<uint64_t>::spawn(batch_loop(std::move(call), loop_, frame_),
					      &done, this);
		started_ = loop_.driver != nullptr;
	}
	BatchRunner(const BatchRunner &) = delete;
	~BatchRunner()
	{
		if (!started_)
			return;
		loop_.stop = true;
		run();
	}

	// One batch: resume the driver, then whatever it suspended on (the
	// executor's queue, Yield's list) until it parks again.
	void run() noexcept
	{
		std::exchange(loop_.driver, nullptr).resume();
		while (!loop_.driver && (host::run_pending() || resume_parked()))
			;
	}
	// Calls that failed, or the driver that could not start.
	long errors() const noexcept { return loop_.errors + (started_ ? 0 : 1); }

private:
	static void done(void *ctx, ds::Result<uint64_t> &&) noexcept
	{
		static_cast<BatchRunner *>(ctx)->finished_ = true;
	}

	ds::Boxed frame_;
	Loop loop_;
	bool started_ = false;
	bool finished_ = false;
};

// Runs batches for @st; items = calls, so items_per_second gives ns/call.
inline void run_batches(benchmark::State &st, BatchRunner &r)
{
	if (r.errors()) {
		st.SkipWithError("the driver did not start");
		return;
	}
	for (auto _ : st)
		r.run();
	st.SetItemsProcessed(st.iterations() * kBatch);
	if (r.errors())
		st.SkipWithError("a call failed");
}

} // namespace bench
