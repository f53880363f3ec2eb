// SPDX-License-Identifier: GPL-2.0
// The trait every call benchmark goes through: one body, reached as a
// plain virtual function, as a dyn async method in caller-chosen storage
// (ready at once, suspending once via the executor, suspending once via
// Yield), and as the same coroutine framed by the global operator new.
// Two impls, so a call through Source& has more than one possible target;
// their bodies live in source.cpp, out of the benchmarks' sight.
#pragma once

#include <cstdint>

#include "floor_future.hpp"
#include "heap_future.hpp"
#include "rt/future.hpp"

namespace bench {

class Source {
public:
	virtual ~Source() = default;
	virtual uint64_t plain() noexcept = 0;
	virtual ds::Future<uint64_t> ready(ds::Storage &s) = 0;
	// The same body, frame-free (ds::Future<T>::ready_in): no coroutine.
	virtual ds::Future<uint64_t> ready_free(ds::Storage &s) = 0;
	// The same body as the C++20 floor: frame in a slot, nothing else.
	virtual FloorFuture<uint64_t> ready_floor(FloorSlot &slot) = 0;
	// co_await ResumeOnWorker{}: resumed by the host executor's run queue.
	virtual ds::Future<uint64_t> hop(ds::Storage &s) = 0;
	// co_await Yield{}: resumed by the benchmark loop.
	virtual ds::Future<uint64_t> yield(ds::Storage &s) = 0;
	virtual HeapFuture<uint64_t> ready_heap() = 0;
	virtual HeapFuture<uint64_t> hop_heap() = 0;
	virtual HeapFuture<uint64_t> yield_heap() = 0;
	// yield_heap with the frame bytes counted (memory benchmark).
	virtual HeapFuture<uint64_t, true> yield_heap_counted() = 0;
};

class Up final : public Source {
public:
	uint64_t plain() noexcept override;
	ds::Future<uint64_t> ready(ds::Storage &s) override;
	ds::Future<uint64_t> ready_free(ds::Storage &s) override;
	FloorFuture<uint64_t> ready_floor(FloorSlot &slot) override;
	ds::Future<uint64_t> hop(ds::Storage &s) override;
	ds::Future<uint64_t> yield(ds::Storage &s) override;
	HeapFuture<uint64_t> ready_heap() override;
	HeapFuture<uint64_t> hop_heap() override;
	HeapFuture<uint64_t> yield_heap() override;
	HeapFuture<uint64_t, true> yield_heap_counted() override;

private:
	uint64_t n_ = 0;
};

class Down final : public Source {
public:
	uint64_t plain() noexcept override;
	ds::Future<uint64_t> ready(ds::Storage &s) override;
	ds::Future<uint64_t> ready_free(ds::Storage &s) override;
	FloorFuture<uint64_t> ready_floor(FloorSlot &slot) override;
	ds::Future<uint64_t> hop(ds::Storage &s) override;
	ds::Future<uint64_t> yield(ds::Storage &s) override;
	HeapFuture<uint64_t> ready_heap() override;
	HeapFuture<uint64_t> hop_heap() override;
	HeapFuture<uint64_t> yield_heap() override;
	HeapFuture<uint64_t, true> yield_heap_counted() override;

private:
	uint64_t n_ = ~uint64_t{0};
};

// The object a benchmark calls, chosen at run time (the compiler cannot
// tell which impl it is): Up unless the opaque index says otherwise.
Source &pick_source(int index) noexcept;
Up &the_up() noexcept;

} // namespace bench
