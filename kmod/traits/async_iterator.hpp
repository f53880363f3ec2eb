// SPDX-License-Identifier: GPL-2.0
// AsyncIterator: the seeds' running example. next() yields the next item
// or "done"; a call that fails (its frame could not be placed, or a nested
// call failed) leaves the iterator where it was.
#pragma once

#include <cstdint>

#include "rt/dyn.hpp"
#include "rt/future.hpp"
#include "rt/trait.hpp"

namespace ds {

struct Next {
	uint64_t value;
	bool done;
};

// next(): the next item, or done.
#define DS_ASYNC_ITERATOR_METHODS(X) X(kNext, Next, next)

class AsyncIterator {
	DS_TRAIT(AsyncIterator, DS_ASYNC_ITERATOR_METHODS)
};

// 0, 1, 2 ... count-1 from start; ready at once (never suspends).
class Counter final : public AsyncIterator {
public:
	Counter(uint64_t start = 0, uint64_t count = 0) noexcept
		: cur_(start), end_(start + count) {}
	Future<Next> next(Storage &s) override;
	uint64_t position() const noexcept { return cur_; }

private:
	uint64_t cur_;
	uint64_t end_;
};

// 0, 1, 2 ... count-1, sleeping @period_ns (hrtimer) before each item.
class Ticker final : public AsyncIterator {
public:
	Ticker(uint64_t period_ns = 0, uint64_t count = 0) noexcept
		: period_(period_ns), left_(count) {}
	Future<Next> next(Storage &s) override;
	uint64_t position() const noexcept { return n_; }

private:
	uint64_t period_;
	uint64_t left_;
	uint64_t n_ = 0;
};

// Adaptors await another object's next() through dyn dispatch. The nested
// call's storage is @inner_storage when given, else the caller's; but a
// call running on a task stack keeps every nested frame on that stack
// (an async stack carries the whole call tree).
inline Storage &nested_storage(Storage &caller, Storage *inner) noexcept
{
	return (!inner || caller.strategy() == Strategy::TaskStack) ? caller : *inner;
}

class Map final : public AsyncIterator {
public:
	Map(AsyncIterator *inner = nullptr, uint64_t mul = 1, uint64_t add = 0,
	    Storage *inner_storage = nullptr) noexcept
		: inner_(inner), inner_storage_(inner_storage), mul_(mul), add_(add) {}
	Future<Next> next(Storage &s) override;

private:
	AsyncIterator *inner_;
	Storage *inner_storage_;
	uint64_t mul_;
	uint64_t add_;
};

class Take final : public AsyncIterator {
public:
	Take(AsyncIterator *inner = nullptr, uint64_t limit = 0,
	     Storage *inner_storage = nullptr) noexcept
		: inner_(inner), inner_storage_(inner_storage), left_(limit) {}
	Future<Next> next(Storage &s) override;

private:
	AsyncIterator *inner_;
	Storage *inner_storage_;
	uint64_t left_;
};

class Chain final : public AsyncIterator {
public:
	Chain(AsyncIterator *first = nullptr, AsyncIterator *second = nullptr,
	      Storage *inner_storage = nullptr) noexcept
		: Chain(first, second, inner_storage, inner_storage) {}
	// Each inner called through its own storage.
	Chain(AsyncIterator *first, AsyncIterator *second, Storage *first_storage,
	      Storage *second_storage) noexcept
		: first_(first), second_(second), first_storage_(first_storage),
		  second_storage_(second_storage) {}
	Future<Next> next(Storage &s) override;

private:
	AsyncIterator *first_;
	AsyncIterator *second_;
	Storage *first_storage_;
	Storage *second_storage_;
	bool first_done_ = false;
};

// Sums up to @n items (fewer if the iterator ends): sum_dyn of the seeds.
// Every kSumYieldEvery items it hops through the executor.
inline constexpr uint64_t kSumYieldEvery = 64;
// Its own frame and every next() frame go in @s.
Future<uint64_t> sum(AsyncIterator &it, uint64_t n, Storage &s);
// The same, with its own frame in @frame and each next() frame in @items.
Future<uint64_t> sum(AsyncIterator &it, uint64_t n, Storage &frame, Storage &items);

} // namespace ds
