// SPDX-License-Identifier: GPL-2.0
// co_await Yield{}: the cheapest honest suspension. The coroutine really
// suspends (its frame stays in flight) and its handle goes on a small
// LIFO list; whoever drives the benchmark resumes it from there, with no
// task, no queue and no lock. Single-threaded, benchmarks only.
#pragma once

#include <coroutine>
#include <cstddef>

namespace bench {

class Parked {
public:
	static constexpr size_t kMax = 256;
	bool push(std::coroutine_handle<> h) noexcept
	{
		if (n_ == kMax)
			return false;
		slots_[n_++] = h;
		return true;
	}
	std::coroutine_handle<> pop() noexcept { return n_ ? slots_[--n_] : nullptr; }
	size_t size() const noexcept { return n_; }

private:
	std::coroutine_handle<> slots_[kMax];
	size_t n_ = 0;
};

inline Parked parked;

struct Yield {
	bool await_ready() const noexcept { return false; }
	// A full list: do not suspend (the memory benchmark checks the count).
	bool await_suspend(std::coroutine_handle<> h) const noexcept { return parked.push(h); }
	void await_resume() const noexcept {}
};

// Resumes parked coroutines until none is left; returns how many.
inline size_t resume_parked() noexcept
{
	size_t n = 0;
	while (auto h = parked.pop()) {
		h.resume();
		n++;
	}
	return n;
}

} // namespace bench
