// SPDX-License-Identifier: GPL-2.0
// co_await ResumeOnWorker{}: suspend, and be resumed from the runtime's
// workqueue (host: its executor). The work item lives in the awaiting
// frame, so the hop itself allocates nothing.
#pragma once

#include <coroutine>

#include "rt/platform.h"

namespace ds {

class ResumeOnWorker {
public:
	bool await_ready() const noexcept { return false; }
	void await_suspend(std::coroutine_handle<> h) noexcept
	{
		h_ = h;
		ds_work_init(&work_, &fire);
		ds_work_queue(&work_);
	}
	void await_resume() const noexcept {}

private:
	static void fire(ds_work *w) noexcept
	{
		// work_ is the first member of a standard-layout class.
		reinterpret_cast<ResumeOnWorker *>(w)->h_.resume();
	}

	ds_work work_;
	std::coroutine_handle<> h_;
};

} // namespace ds
