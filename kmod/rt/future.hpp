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
#include "rt/return_check.hpp"
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

// Precedes every frame: who frees it, how much was taken, for which
// strategy it is accounted, and which built-in storage placed it (the
// release fast path). Its size is the frame alignment, so the frame after
// it stays aligned. This is the whole per-call bookkeeping.
struct FrameHeader {
	// Other: the FrameOwner to release through (virtual); else the
	// storage itself (its Storage base is first: the cast is free).
	void *owner;
	uint32_t total;
	Strategy strategy;
	StorageKind kind;
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

[[gnu::always_inline]] inline void *place_header(void *p, void *owner, size_t total,
						 Strategy strategy, StorageKind kind) noexcept
{
	auto *h = static_cast<FrameHeader *>(p);
	h->owner = owner;
	h->total = static_cast<uint32_t>(total);
	h->strategy = strategy;
	h->kind = kind;
	stats_on_place(strategy, total);
	return h + 1;
}

// Everything the fast path below does not take: the heap, the reserve, a
// cached block that must grow, refusals (the errno travels to
// get_return_object_on_allocation_failure), storages written elsewhere.
[[gnu::noinline]] inline void *frame_alloc_failed(Storage &s, int err) noexcept
{
	if (s.strategy() != Strategy::Probe)
		stats_on_failure(s.strategy(), err);
	ds_alloc_error_stash(err);
	return nullptr;
}

[[gnu::noinline]] inline void *frame_alloc_slow(size_t total, Storage &s) noexcept
{
	const Strategy strategy = s.strategy();
	Allocation a = total > UINT32_MAX ? Allocation{nullptr, nullptr, -DS_E2BIG}
					  : s.allocate(total, kFrameAlign);
	if (!a.ptr)
		return frame_alloc_failed(s, a.err);
	return place_header(a.ptr, static_cast<void *>(a.owner), total, strategy,
			    StorageKind::Other);
}

// The fast path: a frame that fits a free inline slot, cached block or the
// top of a task stack is placed with inline code, no virtual call, no
// locked operation and no call out of line (stats are per-CPU adds).
[[gnu::always_inline]] inline void *frame_alloc(size_t n, Storage &s) noexcept
{
	const size_t total = n + sizeof(FrameHeader);
	void *p = nullptr;
	Storage *owner = &s;
	StorageKind kind = s.kind();

	// The two that need no allocator and no indirection are tested first,
	// the inline slot (the commonest) before all.
	if (kind == StorageKind::Inline) [[likely]] {
		p = static_cast<InlineSlot &>(s).try_take(total);
		if (!p) [[unlikely]]
			return frame_alloc_slow(total, s);
		return place_header(p, owner, total, s.strategy(), kind);
	}
	switch (kind) {
	case StorageKind::TaskStack: {
		p = static_cast<TaskStack &>(s).try_push(total);
		break;
	}
	case StorageKind::MaybeBoxed: {
		InlineSlot &slot = static_cast<MaybeBoxed &>(s).slot();
		p = slot.try_take(total);
		owner = &slot;
		kind = StorageKind::Inline;
		break;
	}
	case StorageKind::Cached: {
		p = static_cast<Cached &>(s).try_take(total);
		break;
	}
	case StorageKind::Boxed: {
		// The heap, without the virtual call; a failure goes the slow
		// way for its errno (the heap is asked only once).
		FrameOwner *heap_owner;
		if (total > UINT32_MAX)
			break;
		p = static_cast<Boxed &>(s).take_frame(total, &heap_owner);
		if (!p)
			return frame_alloc_failed(s, ds_alloc_errno(static_cast<Boxed &>(s).tag()));
		return place_header(p, static_cast<void *>(heap_owner), total, s.strategy(),
				    StorageKind::Other);
	}
	default:
		break;
	}
	if (!p)
		return frame_alloc_slow(total, s);
	return place_header(p, owner, total, s.strategy(), kind);
}

// The kinds in the order frame_alloc tests them; everything without a
// fast path releases through its FrameOwner (virtual).
[[gnu::always_inline]] inline void frame_free(void *p) noexcept
{
	auto *h = static_cast<FrameHeader *>(p) - 1;
	Storage *owner = static_cast<Storage *>(h->owner);

	stats_on_release(h->strategy, h->total);
	if (h->kind == StorageKind::Inline) [[likely]]
		static_cast<InlineSlot *>(owner)->give_back();
	else if (h->kind == StorageKind::TaskStack)
		static_cast<TaskStack *>(owner)->pop(h, h->total);
	else if (h->kind == StorageKind::Cached)
		static_cast<Cached *>(owner)->give_back();
	else
		static_cast<FrameOwner *>(h->owner)->release(h, h->total);
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
	[[gnu::always_inline]] static void *operator new(size_t n, A &...args) noexcept
	{
		static_assert(has_storage_v<A...>,
			      "an async method needs a ds::Storage& parameter");
		return frame_alloc(n, find_storage(args...));
	}
	[[gnu::always_inline]] static void operator delete(void *p, size_t) noexcept
	{
		frame_free(p);
	}
};

// Future<void>'s promise has an await_transform (for DS_CO_FAIL), so every
// co_await in a void coroutine goes through it. The others pass untouched: an awaitable with operator co_await (a Future)
// gives its awaiter; an awaiter itself is referred to, not copied (GCC
// copies an awaiter returned by reference, and Sleep or Event::Waiter
// must not move: a timer or a list points into them). The referred
// temporary lives to the end of the co_await's full-expression, across
// the suspension.
template <class A>
struct AwaitRef {
	A &a;
	bool await_ready() const noexcept { return a.await_ready(); }
	template <class P>
	auto await_suspend(std::coroutine_handle<P> h) const noexcept
	{
		return a.await_suspend(h);
	}
	decltype(auto) await_resume() const noexcept { return a.await_resume(); }
};

template <class A>
concept HasMemberCoAwait = requires(A &&a) { static_cast<A &&>(a).operator co_await(); };

template <class A>
[[gnu::always_inline]] inline decltype(auto) pass_await(A &&a) noexcept
{
	if constexpr (HasMemberCoAwait<A>)
		return static_cast<A &&>(a).operator co_await();
	else
		return AwaitRef<std::remove_reference_t<A>>{a};
}

// The result half of a Future<T>'s promise. co_return takes a value, a
// ds::Ok{v}, a Result<T> or a ds::Err{e} (checked: rt/return_check.hpp).
// DS_CO_FAIL(e) is `co_return co_await ds::Err{e}`: here Err is its own
// awaiter, ready at once, and yields itself back to co_return.
template <class T>
struct PromiseResult {
	Result<T> result{Err{-DS_ECANCELED}};

	template <class V>
	void return_value(V &&v) noexcept
	{
		check_result_operand<T, V>();
		result = Result<T>(std::forward<V>(v));
	}
};

// Future<void>: `co_return;` (and falling off the end) is success. A
// promise may not have return_value next to return_void, so the error exit
// is DS_CO_FAIL(e): its co_await ds::Err{e} records the errno, and the
// co_return of that void expression ends the coroutine with it.
template <>
struct PromiseResult<void> {
	Result<void> result{Err{-DS_ECANCELED}};
	Result<void> exit{};

	void return_void() noexcept { result = exit; }
	std::suspend_never await_transform(Err e) noexcept
	{
		exit = Result<void>(e);
		return {};
	}
	template <class A>
	decltype(auto) await_transform(A &&a) const noexcept
	{
		return pass_await(static_cast<A &&>(a));
	}
};

} // namespace detail

// Either a coroutine (a frame in the caller's storage, run when awaited)
// or ready: a value an impl had at once (Future<T>::ready(v): no frame, no
// allocation, co_await does not suspend), or the errno of a frame that
// could not be placed. Both kinds come out of the same virtual method, so
// frame-free and coroutine impls of one trait mix freely.
template <class T>
class [[nodiscard]] Future {
public:
	using value_type = T;
	struct promise_type;
	using Handle = std::coroutine_handle<promise_type>;

	struct promise_type : detail::PromiseBase, detail::PromiseResult<T> {
		Future get_return_object() noexcept
		{
			return Future(Handle::from_promise(*this));
		}
		static Future get_return_object_on_allocation_failure() noexcept
		{
			return Future(Err{ds_alloc_error_take()});
		}
	};

	// The frame-free path: an impl that is ready at once returns its
	// value this way instead of being a coroutine (its layout probe
	// reports 0 bytes: it asks its storage for nothing).
	template <class V>
	static Future ready(V &&v) noexcept
	{
		detail::check_result_operand<T, V>();
		return Future(Result<T>(std::forward<V>(v)));
	}
	// The same as an impl writes it: runs @body (returning T or
	// Result<T>) now and returns its result ready. Under the layout probe
	// the body does not run (probing has no side effects): 0 bytes.
	template <class Body>
	static Future ready_in(Storage &s, Body &&body) noexcept
	{
		if (s.strategy() == Strategy::Probe) [[unlikely]]
			return Future(Err{LayoutProbe::kRefused});
		if constexpr (std::is_void_v<decltype(body())>) {
			body();
			return Future(Result<T>());
		} else {
			detail::check_result_operand<T, decltype(body())>();
			return Future(Result<T>(body()));
		}
	}
	explicit Future(Err e) noexcept : ready_(e) {}
	Future(Future &&o) noexcept
		: h_(std::exchange(o.h_, nullptr)), ready_(std::move(o.ready_))
	{
	}
	Future &operator=(Future &&o) noexcept
	{
		if (this != &o) {
			reset();
			h_ = std::exchange(o.h_, nullptr);
			ready_ = std::move(o.ready_);
		}
		return *this;
	}
	Future(const Future &) = delete;
	Future &operator=(const Future &) = delete;
	// Destroying a future that is suspended cancels it: the frame's
	// locals are destroyed and its storage released.
	~Future() { reset(); }

	// True for a coroutine (its frame was placed).
	bool started() const noexcept { return h_ != nullptr; }
	// A frame-free future that holds a value.
	bool has_value() const noexcept { return !h_ && ready_.ok(); }
	// The errno of a frame that could not be placed; 0 otherwise.
	int error() const noexcept { return h_ ? 0 : ready_.error(); }
	// A future without a frame: its result, taken (once).
	Result<T> take_ready() noexcept { return std::move(ready_); }

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
				return std::move(f.ready_);
			return std::move(f.h_.promise().result);
		}
	};
	Awaiter operator co_await() & noexcept { return Awaiter{*this}; }
	Awaiter operator co_await() && noexcept { return Awaiter{*this}; }

	// For the executor: the coroutine itself.
	Handle handle() const noexcept { return h_; }

private:
	explicit Future(Handle h) noexcept : h_(h), ready_(Err{-DS_ECANCELED}) {}
	explicit Future(Result<T> &&r) noexcept : ready_(std::move(r)) {}
	void reset() noexcept
	{
		if (h_)
			h_.destroy();
		h_ = nullptr;
	}

	Handle h_{};
	Result<T> ready_;
};

} // namespace ds
