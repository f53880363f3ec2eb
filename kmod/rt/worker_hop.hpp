// SPDX-License-Identifier: GPL-2.0
// co_await ResumeOnWorker{}: suspend, and be resumed from the runtime's
// workqueue (host: its run queue) by the task's own work item. Allocates
// nothing. Outside a task it does not suspend.
#pragma once

#include <coroutine>

#include "rt/task.hpp"

namespace ds {

class ResumeOnWorker {
public:
	bool await_ready() const noexcept { return false; }
	template <class P>
	bool await_suspend(std::coroutine_handle<P> h) noexcept
	{
		TaskBase *task = h.promise().task;
		if (!task)
			return false;
		task->wake(); // remembered: suspend_on queues us at once
		task->suspend_on(h);
		return true;
	}
	void await_resume() const noexcept {}
};

} // namespace ds
