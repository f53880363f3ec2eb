// SPDX-License-Identifier: GPL-2.0
// co_await sleep_for(ns): suspend for @ns on a high-resolution timer (kernel
// hrtimer; host: the fake clock). The timer lives in the awaiting frame;
// destroying the frame (cancellation) cancels it.
#pragma once

#include <coroutine>
#include <cstdint>

#include "rt/task.hpp"

namespace ds {

class Sleep {
public:
	explicit Sleep(uint64_t ns) noexcept : ns_(ns) {}
	Sleep(const Sleep &) = delete;
	~Sleep()
	{
		if (armed_)
			ds_timer_cancel(&timer_);
	}
	bool await_ready() const noexcept { return ns_ == 0; }
	template <class P>
	bool await_suspend(std::coroutine_handle<P> h) noexcept
	{
		task_ = h.promise().task;
		if (!task_)
			return false;
		ds_timer_init(&timer_, &fire);
		armed_ = true;
		ds_timer_start(&timer_, ns_);
		task_->suspend_on(h);
		return true;
	}
	void await_resume() const noexcept {}

private:
	// Hard-irq context on the kernel: only wake the task.
	static void fire(ds_timer *t) noexcept
	{
		reinterpret_cast<Sleep *>(t)->task_->wake();
	}

	ds_timer timer_; // first member: fire() recovers the Sleep from it
	TaskBase *task_ = nullptr;
	uint64_t ns_;
	bool armed_ = false;
};

inline Sleep sleep_for(uint64_t ns) noexcept { return Sleep(ns); }

} // namespace ds
