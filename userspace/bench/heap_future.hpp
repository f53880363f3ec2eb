// SPDX-License-Identifier: GPL-2.0
// HeapFuture<T>: the baseline the seeds criticise. The same lazily started
// coroutine and await protocol as ds::Future, but its frame comes from the
// global operator new: implicit, unbounded, and infallible (no storage
// parameter, no errno at the await point). Benchmarks only.
#pragma once

#include <coroutine>
#include <cstddef>
#include <utility>

#include "rt/result.hpp"
#include "rt/task.hpp"

namespace bench {

// Frames the counting variant asked for (bytes, frames), for the memory
// benchmark; the timed variant never touches it.
struct HeapFrameCount {
	size_t bytes = 0;
	long frames = 0;
};
inline HeapFrameCount heap_frames;

template <class T, bool kCounting = false>
class [[nodiscard]] HeapFuture {
public:
	struct promise_type {
		std::coroutine_handle<> continuation{};
		// Same field ds::PromiseBase has: ResumeOnWorker asks it.
		ds::TaskBase *task = nullptr;
		ds::Result<T> result{ds::Err{-DS_ECANCELED}};

		struct FinalAwaiter {
			bool await_ready() const noexcept { return false; }
			std::coroutine_handle<>
			await_suspend(std::coroutine_handle<promise_type> h) const noexcept
			{
				auto c = h.promise().continuation;
				return c ? c : std::noop_coroutine();
			}
			void await_resume() const noexcept {}
		};

		HeapFuture get_return_object() noexcept
		{
			return HeapFuture(std::coroutine_handle<promise_type>::from_promise(*this));
		}
		std::suspend_always initial_suspend() const noexcept { return {}; }
		FinalAwaiter final_suspend() const noexcept { return {}; }
		void unhandled_exception() const noexcept {}
		template <class V>
		void return_value(V &&v) noexcept
		{
			result = ds::Result<T>(std::forward<V>(v));
		}

		// The counting variant records the frame size and forwards to
		// the global operator new: same allocator, same bytes.
		static void *operator new(size_t n)
		{
			if constexpr (kCounting) {
				heap_frames.bytes += n;
				heap_frames.frames++;
			}
			return ::operator new(n);
		}
		static void operator delete(void *p, size_t n)
		{
			if constexpr (kCounting) {
				heap_frames.bytes -= n;
				heap_frames.frames--;
			}
			::operator delete(p, n);
		}
	};
	using Handle = std::coroutine_handle<promise_type>;

	HeapFuture(HeapFuture &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
	HeapFuture(const HeapFuture &) = delete;
	~HeapFuture()
	{
		if (h_)
			h_.destroy();
	}

	struct Awaiter {
		Handle h;
		bool await_ready() const noexcept { return h.done(); }
		template <class P>
		std::coroutine_handle<> await_suspend(std::coroutine_handle<P> caller) const noexcept
		{
			h.promise().continuation = caller;
			h.promise().task = caller.promise().task;
			return h;
		}
		ds::Result<T> await_resume() const noexcept { return std::move(h.promise().result); }
	};
	Awaiter operator co_await() && noexcept { return Awaiter{h_}; }
	Handle handle() const noexcept { return h_; }

private:
	explicit HeapFuture(Handle h) noexcept : h_(h) {}
	Handle h_;
};

} // namespace bench
