// SPDX-License-Identifier: GPL-2.0
// Future<T>: the return type of every async method. A lazily started C++20
// coroutine whose frame lives in the Storage the caller passed; co_await on
// it yields Result<T>. When the frame could not be allocated the future is
// born ready and yields the storage's errno: failure is a value at the
// await point, never an abort.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "rt/result.hpp"
#include "rt/stats.hpp"
#include "rt/storage.hpp"

namespace ds {

class TaskBase; // rt/task.hpp

// Told when a top-level coroutine (no awaiting parent) finishes.
class RootHook {
public:
	virtual void finished() noexcept = 0;

protected:
	~RootHook() = default;
};

namespace detail {

// Precedes every frame: who frees it, how much was taken, and for which
// strategy it is accounted. Its size is the frame alignment, so the frame
// after it stays aligned. This is the whole per-call bookkeeping.
struct FrameHeader {
	FrameOwner *owner;
	uint32_t total;
	Strategy strategy;
};
static_assert(sizeof(FrameHeader) == kFrameAlign);

template <class A>
inline constexpr bool is_storage_v =
	std::is_base_of_v<Storage, std::remove_cvref_t<A>>;

template <class A, class... Rest>
constexpr Storage &find_storage(A &a, Rest &...rest) noexcept
{
	if constexpr (is_storage_v<A>)
		return a;
	else
		return find_storage(rest...);
}

template <class... A>
inline constexpr bool has_storage_v = (is_storage_v<A> || ...);

inline void *frame_alloc(size_t n, Storage &s) noexcept
{
	const size_t total = n + sizeof(FrameHeader);
	const Strategy strategy = s.strategy();
	Allocation a = total > UINT32_MAX ? Allocation{nullptr, nullptr, -DS_E2BIG}
					  : s.allocate(total, kFrameAlign);
	if (!a.ptr) {
		if (strategy != Strategy::Probe)
			stats_on_failure(strategy, a.err);
		ds_alloc_error_stash(a.err);
		return nullptr;
	}
	auto *h = static_cast<FrameHeader *>(a.ptr);
	h->owner = a.owner;
	h->total = static_cast<uint32_t>(total);
	h->strategy = strategy;
	stats_on_alloc(strategy, total);
	return h + 1;
}

inline void frame_free(void *p) noexcept
{
	auto *h = static_cast<FrameHeader *>(p) - 1;
	stats_on_free(h->strategy, h->total);
	h->owner->release(h, h->total);
}

struct PromiseBase {
	std::coroutine_handle<> continuation{};
	RootHook *root = nullptr;
	// The top-level task this frame runs in: awaitables that suspend
	// ask it to resume them (set by the root, inherited on co_await).
	TaskBase *task = nullptr;

	// Resume whoever awaited us (symmetric transfer: no stack growth), or
	// tell the root hook, which may destroy this frame.
	struct FinalAwaiter {
		bool await_ready() const noexcept { return false; }
		template <class P>
		std::coroutine_handle<>
		await_suspend(std::coroutine_handle<P> h) const noexcept
		{
			PromiseBase &p = h.promise();
			if (p.continuation)
				return p.continuation;
			if (p.root)
				p.root->finished();
			return std::noop_coroutine();
		}
		void await_resume() const noexcept {}
	};

	std::suspend_always initial_suspend() const noexcept { return {}; }
	FinalAwaiter final_suspend() const noexcept { return {}; }
	void unhandled_exception() const noexcept {}

	// The frame comes from the Storage among the coroutine's parameters
	// (after the object, for member coroutines). No Storage parameter is a
	// compile error: there is no hidden allocation.
	template <class... A>
	static void *operator new(size_t n, A &...args) noexcept
	{
		static_assert(has_storage_v<A...>,
			      "an async method needs a ds::Storage& parameter");
		return frame_alloc(n, find_storage(args...));
	}
	static void operator delete(void *p, size_t) noexcept
	{
		frame_free(p);
	}
};

} // namespace detail

template <class T>
class [[nodiscard]] Future {
public:
	struct promise_type;
	using Handle = std::coroutine_handle<promise_type>;

	struct promise_type : detail::PromiseBase {
		Result<T> result{Err{-DS_ECANCELED}};

		Future get_return_object() noexcept
		{
			return Future(Handle::from_promise(*this));
		}
		static Future get_return_object_on_allocation_failure() noexcept
		{
			return Future(Err{ds_alloc_error_take()});
		}
		template <class V>
		void return_value(V &&v) noexcept
		{
			result = Result<T>(std::forward<V>(v));
		}
	};

	explicit Future(Err e) noexcept : err_(e.code) {}
	Future(Future &&o) noexcept
		: h_(std::exchange(o.h_, nullptr)), err_(o.err_)
	{
	}
	Future &operator=(Future &&o) noexcept
	{
		if (this != &o) {
			reset();
			h_ = std::exchange(o.h_, nullptr);
			err_ = o.err_;
		}
		return *this;
	}
	Future(const Future &) = delete;
	Future &operator=(const Future &) = delete;
	// Destroying a future that is suspended cancels it: the frame's
	// locals are destroyed and its storage released.
	~Future() { reset(); }

	// False when the frame could not be allocated; error() says why.
	bool started() const noexcept { return h_ != nullptr; }
	int error() const noexcept { return err_; }

	struct Awaiter {
		Future &f;
		bool await_ready() const noexcept { return !f.h_ || f.h_.done(); }
		template <class P>
		std::coroutine_handle<>
		await_suspend(std::coroutine_handle<P> caller) const noexcept
		{
			f.h_.promise().continuation = caller;
			f.h_.promise().task = caller.promise().task;
			return f.h_;
		}
		Result<T> await_resume() const noexcept
		{
			if (!f.h_)
				return Err{f.err_};
			return std::move(f.h_.promise().result);
		}
	};
	Awaiter operator co_await() & noexcept { return Awaiter{*this}; }
	Awaiter operator co_await() && noexcept { return Awaiter{*this}; }

	// For the executor: the coroutine itself.
	Handle handle() const noexcept { return h_; }

private:
	explicit Future(Handle h) noexcept : h_(h), err_(0) {}
	void reset() noexcept
	{
		if (h_)
			h_.destroy();
		h_ = nullptr;
	}

	Handle h_{};
	int err_ = 0;
};

} // namespace ds
