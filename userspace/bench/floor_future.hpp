// SPDX-License-Identifier: GPL-2.0
// FloorFuture<T>: the C++20 floor of a dyn async call in caller storage.
// The same lazily started coroutine and await protocol as ds::Future, its
// frame placed by promise_type::operator new in a slot the caller passes,
// with nothing else: no header, no accounting, no size check (the slot is
// big enough by construction), no errno path. What the runtime adds on top
// of this is what the benchmarks' "x floor" columns measure. Benchmarks only.
#pragma once

#include <coroutine>
#include <cstddef>
#include <utility>

#include "rt/result.hpp"
#include "rt/task.hpp"

namespace bench {

struct FloorSlot {
	alignas(16) unsigned char bytes[256];
};

template <class T>
class [[nodiscard]] FloorFuture {
public:
	struct promise_type {
		std::coroutine_handle<> continuation{};
		ds::TaskBase *task = nullptr; // as ds::PromiseBase: awaitables ask it
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

		FloorFuture get_return_object() noexcept
		{
			return FloorFuture(std::coroutine_handle<promise_type>::from_promise(*this));
		}
		std::suspend_always initial_suspend() const noexcept { return {}; }
		FinalAwaiter final_suspend() const noexcept { return {}; }
		void unhandled_exception() const noexcept {}
		template <class V>
		void return_value(V &&v) noexcept
		{
			result = ds::Result<T>(std::forward<V>(v));
		}

		// Member coroutine: the object first, then the slot.
		template <class Self>
		static void *operator new(size_t, Self &, FloorSlot &slot) noexcept
		{
			return slot.bytes;
		}
		static void operator delete(void *, size_t) noexcept {}
		static FloorFuture get_return_object_on_allocation_failure() noexcept
		{
			return FloorFuture(nullptr);
		}
	};
	using Handle = std::coroutine_handle<promise_type>;

	FloorFuture(FloorFuture &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
	FloorFuture(const FloorFuture &) = delete;
	~FloorFuture()
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

private:
	explicit FloorFuture(Handle h) noexcept : h_(h) {}
	Handle h_;
};

} // namespace bench
