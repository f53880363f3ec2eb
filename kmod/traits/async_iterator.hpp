// SPDX-License-Identifier: GPL-2.0
// AsyncIterator: the seeds' running example. next() yields the next item
// or "done"; a call that fails (its frame could not be placed, or a nested
// call failed) leaves the iterator where it was.
#pragma once

#include <cstdint>

#include "rt/dyn.hpp"
#include "rt/future.hpp"

namespace ds {

struct Next {
	uint64_t value;
	bool done;
};

class AsyncIterator {
public:
	static constexpr size_t kMethods = 1;
	enum Method : size_t { kNext };

	virtual ~AsyncIterator() = default;
	virtual Future<Next> next(Storage &s) = 0;

	// The layout probe: Impl::next called statically, body never runs.
	template <class Impl>
	static void probe(Impl &it, size_t out[kMethods]) noexcept
	{
		out[kNext] = probe_frame([&](Storage &p) { return it.Impl::next(p); });
	}
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
// call's storage is @inner_storage when given, else the caller's.
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
		: first_(first), second_(second), inner_storage_(inner_storage) {}
	Future<Next> next(Storage &s) override;

private:
	AsyncIterator *first_;
	AsyncIterator *second_;
	Storage *inner_storage_;
	bool first_done_ = false;
};

// Sums up to @n items (fewer if the iterator ends): sum_dyn of the seeds.
Future<uint64_t> sum(AsyncIterator &it, uint64_t n, Storage &s);

} // namespace ds
