// SPDX-License-Identifier: GPL-2.0
// Event: a one-shot flag tasks can co_await (event.wait()). set() may be
// called from any context and wakes every waiter; waiting on a set event
// does not suspend. A waiter whose task is cancelled unlinks itself. The
// event must outlive its waiters.
#pragma once

#include <coroutine>

#include "rt/task.hpp"

namespace ds {

class Event {
public:
	class Waiter {
	public:
		explicit Waiter(Event &e) noexcept : e_(e) {}
		Waiter(const Waiter &) = delete;
		~Waiter()
		{
			if (!linked_)
				return;
			unsigned long f = ds_lock_irqsave(&e_.lock_);
			e_.unlink(this);
			ds_unlock_irqrestore(&e_.lock_, f);
		}
		bool await_ready() const noexcept { return e_.is_set(); }
		template <class P>
		bool await_suspend(std::coroutine_handle<P> h) noexcept
		{
			task_ = h.promise().task;
			if (!task_)
				return false;
			unsigned long f = ds_lock_irqsave(&e_.lock_);
			if (e_.set_) {
				ds_unlock_irqrestore(&e_.lock_, f);
				return false;
			}
			next_ = e_.head_;
			prev_ = nullptr;
			if (next_)
				next_->prev_ = this;
			e_.head_ = this;
			linked_ = true;
			ds_unlock_irqrestore(&e_.lock_, f);
			task_->suspend_on(h);
			return true;
		}
		void await_resume() const noexcept {}

	private:
		friend class Event;
		Event &e_;
		TaskBase *task_ = nullptr;
		Waiter *next_ = nullptr;
		Waiter *prev_ = nullptr;
		bool linked_ = false;
	};

	Event() noexcept { ds_lock_init(&lock_); }
	Event(const Event &) = delete;

	Waiter wait() noexcept { return Waiter(*this); }
	bool is_set() const noexcept { return __atomic_load_n(&set_, __ATOMIC_ACQUIRE); }
	void set() noexcept
	{
		unsigned long f = ds_lock_irqsave(&lock_);
		__atomic_store_n(&set_, true, __ATOMIC_RELEASE);
		while (Waiter *w = head_) {
			unlink(w);
			w->task_->wake();
		}
		ds_unlock_irqrestore(&lock_, f);
	}
	// Waiters currently linked (tests and diagnostics).
	int waiters() noexcept
	{
		int n = 0;
		unsigned long f = ds_lock_irqsave(&lock_);
		for (Waiter *w = head_; w; w = w->next_)
			n++;
		ds_unlock_irqrestore(&lock_, f);
		return n;
	}

private:
	void unlink(Waiter *w) noexcept
	{
		if (w->prev_)
			w->prev_->next_ = w->next_;
		else
			head_ = w->next_;
		if (w->next_)
			w->next_->prev_ = w->prev_;
		w->linked_ = false;
	}

	ds_lock lock_;
	Waiter *head_ = nullptr;
	bool set_ = false;
};

} // namespace ds
