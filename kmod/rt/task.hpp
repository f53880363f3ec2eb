// SPDX-License-Identifier: GPL-2.0
// Tasks: a top-level Future run to completion by the executor (the
// runtime's workqueue; a run queue on the host). Its header is allocated
// fallibly. The result is reported exactly once: inline when the future
// is ready at once, else from the worker that resumes it last.
//
// Wake-ups come from any context (hrtimer callbacks included): a waker
// only flips the task from SUSPENDED to queued and queues the task's one
// work item; only that work item resumes or cancels the task, so a task
// is never resumed twice or resumed while being destroyed.
#pragma once

#include <coroutine>
#include <new>
#include <utility>

#include "rt/future.hpp"

namespace ds {

// Default home of task headers.
inline constinit Boxed task_header_heap{DS_GFP_KERNEL, DS_SITE_TASK};

class TaskBase : public RootHook {
public:
	// The awaitable protocol: in await_suspend, first arm whatever will
	// call wake() (timer, event, work), then call suspend_on(h) as the
	// very last thing, and never touch the awaitable after it: the task
	// may be resumed or destroyed on another CPU from then on. A wake
	// that arrives before suspend_on is remembered. Each suspension has
	// exactly one waker.
	void suspend_on(std::coroutine_handle<> h) noexcept
	{
		// Before the transition: once suspended, the resume may be
		// traced on another CPU.
		trace(DS_TRACE_SUSPEND);
		resume_ = h;
		// An earlier wake or a cancel: go at once; else wait suspended.
		int old = transition([](int s) {
			return (s & (kWakePending | kCancel)) ? (s & ~kWakePending)
							      : (s | kSuspended);
		});
		if (old & (kWakePending | kCancel))
			queue();
	}
	// Any context (hrtimer callbacks included).
	void wake() noexcept
	{
		int old = transition([](int s) {
			return (s & kSuspended) ? (s & ~kSuspended) : (s | kWakePending);
		});
		if (old & kSuspended)
			queue();
	}
	// Any context. A suspended task is destroyed on the worker (its frames'
	// destructors run, their storage is released) and reports -ECANCELED;
	// a running one at its next suspension; a finished one is unaffected.
	void cancel() noexcept
	{
		int old = transition([](int s) { return (s | kCancel) & ~kSuspended; });
		if (old & kSuspended)
			queue();
	}
	void get() noexcept { __atomic_add_fetch(&refs_, 1, __ATOMIC_RELAXED); }
	void put() noexcept
	{
		if (__atomic_sub_fetch(&refs_, 1, __ATOMIC_ACQ_REL) == 0)
			destroy();
	}

protected:
	static constexpr int kSuspended = 1;
	static constexpr int kWakePending = 2;
	static constexpr int kCancel = 4;
	static constexpr int kDone = 8;

	TaskBase() noexcept
	{
		link_.task = this;
		ds_work_init(&link_.work, &run);
	}
	~TaskBase() = default;

	// Tracing (rt/platform.h): @cookie is reported with each suspension
	// and resumption while ds_trace_tasks is set. Set before the first run.
	void set_trace(const void *cookie) noexcept { trace_ = cookie; }

	// Reports -ECANCELED after destroying the frames.
	virtual void cancel_now() noexcept = 0;
	// Frees the header (last reference gone).
	virtual void destroy() noexcept = 0;
	void mark_done() noexcept { __atomic_fetch_or(&state_, kDone, __ATOMIC_ACQ_REL); }

private:
	void trace(unsigned int event) const noexcept
	{
		if (__builtin_expect(__atomic_load_n(&ds_trace_tasks, __ATOMIC_RELAXED), 0) &&
		    trace_)
			ds_trace_task(trace_, event);
	}

	// Applies @next to the state atomically; returns the state before.
	template <class Next>
	int transition(Next next) noexcept
	{
		int s = __atomic_load_n(&state_, __ATOMIC_ACQUIRE);
		while (!__atomic_compare_exchange_n(&state_, &s, next(s), false,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			;
		return s;
	}

	// Standard layout, work first: run() finds the task from the work.
	struct WorkLink {
		ds_work work;
		TaskBase *task;
	};

	void queue() noexcept
	{
		get(); // dropped by run()
		ds_work_queue(&link_.work);
	}

	// The only place a suspended task is resumed or cancelled.
	static void run(ds_work *w) noexcept
	{
		TaskBase *t = reinterpret_cast<WorkLink *>(w)->task;
		int s = __atomic_load_n(&t->state_, __ATOMIC_ACQUIRE);
		if (!(s & kDone)) {
			if (s & kCancel) {
				t->trace(DS_TRACE_CANCEL);
				t->cancel_now();
			} else {
				t->trace(DS_TRACE_RESUME);
				t->resume_.resume();
			}
		}
		t->put();
	}

	WorkLink link_;
	std::coroutine_handle<> resume_{};
	const void *trace_ = nullptr;
	int state_ = 0;
	int refs_ = 1; // the running task itself
};

// A reference to a running task, for cancelling it; safe to hold after it
// finished.
class TaskRef {
public:
	TaskRef() = default;
	explicit TaskRef(TaskBase *t) noexcept : t_(t) {}
	TaskRef(TaskRef &&o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
	TaskRef &operator=(TaskRef &&o) noexcept
	{
		reset();
		t_ = std::exchange(o.t_, nullptr);
		return *this;
	}
	~TaskRef() { reset(); }
	void cancel() noexcept
	{
		if (t_)
			t_->cancel();
	}
	void reset() noexcept
	{
		if (t_)
			t_->put();
		t_ = nullptr;
	}
	explicit operator bool() const noexcept { return t_; }

private:
	TaskBase *t_ = nullptr;
};

template <class T>
class RootTask final : public TaskBase {
public:
	using Done = void (*)(void *ctx, Result<T> &&result);

	// Starts @f in the caller's context. @done(@ctx, result) runs exactly
	// once: inline if @f is ready (frame-free), finishes without suspending
	// or cannot start (its errno, or the header storage's errno), else from the worker.
	// Every frame is freed before @done runs. @ref, if given, receives a
	// reference for cancel() (left empty if the task never started).
	// @header: where the task header lives (default: kmalloc, GFP_KERNEL);
	// pass a ReservePool to keep forward progress when kmalloc fails.
	// @trace: the task's trace cookie (TaskBase::set_trace), if any.
	static void spawn(Future<T> &&f, Done done, void *ctx,
			  TaskRef *ref = nullptr, Storage *header = nullptr,
			  const void *trace = nullptr) noexcept
	{
		// Ready at once (frame-free) or refused: no task, no header.
		if (!f.started()) {
			done(ctx, f.take_ready());
			return;
		}
		Storage &hs = header ? *header : task_header_heap;
		Allocation a = hs.allocate(sizeof(RootTask), alignof(RootTask));
		if (!a.ptr) {
			Future<T> drop = std::move(f);
			done(ctx, Err{a.err});
			return;
		}
		auto *task = new (a.ptr) RootTask(std::move(f), done, ctx, a.owner);
		auto h = task->fut_.handle();
		h.promise().root = task;
		h.promise().task = task;
		task->set_trace(trace);
		if (ref) {
			task->get();
			*ref = TaskRef(task);
		}
		task->get(); // held across the first run
		h.resume();
		task->put();
	}

private:
	RootTask(Future<T> &&f, Done done, void *ctx, FrameOwner *owner) noexcept
		: fut_(std::move(f)), done_(done), ctx_(ctx), owner_(owner)
	{
	}

	void finished() noexcept override
	{
		Result<T> r = std::move(fut_.handle().promise().result);
		complete(std::move(r));
	}

	void cancel_now() noexcept override { complete(Err{-DS_ECANCELED}); }

	void complete(Result<T> &&r) noexcept
	{
		mark_done();
		// Suspended at its final point or at an await: either way
		// destroying it runs the destructors and frees every frame.
		fut_ = Future<T>(Err{0});
		done_(ctx_, std::move(r));
		put();
	}

	void destroy() noexcept override
	{
		FrameOwner *owner = owner_;
		this->~RootTask();
		owner->release(this, sizeof(RootTask));
	}

	Future<T> fut_;
	Done done_;
	void *ctx_;
	FrameOwner *owner_;
};

} // namespace ds
