// SPDX-License-Identifier: GPL-2.0
#include "source.hpp"

#include "parked.hpp"
#include "rt/worker_hop.hpp"

namespace bench {

uint64_t Up::plain() noexcept { return ++n_; }
ds::Future<uint64_t> Up::ready(ds::Storage &s) { co_return ++n_; }
ds::Future<uint64_t> Up::ready_free(ds::Storage &s)
{
	return ds::Future<uint64_t>::ready_in(s, [this] { return ++n_; });
}
FloorFuture<uint64_t> Up::ready_floor(FloorSlot &slot) { co_return ++n_; }
ds::Future<uint64_t> Up::hop(ds::Storage &s)
{
	co_await ds::ResumeOnWorker{};
	co_return ++n_;
}
ds::Future<uint64_t> Up::yield(ds::Storage &s)
{
	co_await Yield{};
	co_return ++n_;
}
HeapFuture<uint64_t> Up::ready_heap() { co_return ++n_; }
HeapFuture<uint64_t> Up::hop_heap()
{
	co_await ds::ResumeOnWorker{};
	co_return ++n_;
}
HeapFuture<uint64_t> Up::yield_heap()
{
	co_await Yield{};
	co_return ++n_;
}
HeapFuture<uint64_t, true> Up::yield_heap_counted()
{
	co_await Yield{};
	co_return ++n_;
}

uint64_t Down::plain() noexcept { return --n_; }
ds::Future<uint64_t> Down::ready(ds::Storage &s) { co_return --n_; }
ds::Future<uint64_t> Down::ready_free(ds::Storage &s)
{
	return ds::Future<uint64_t>::ready_in(s, [this] { return --n_; });
}
FloorFuture<uint64_t> Down::ready_floor(FloorSlot &slot) { co_return --n_; }
ds::Future<uint64_t> Down::hop(ds::Storage &s)
{
	co_await ds::ResumeOnWorker{};
	co_return --n_;
}
ds::Future<uint64_t> Down::yield(ds::Storage &s)
{
	co_await Yield{};
	co_return --n_;
}
HeapFuture<uint64_t> Down::ready_heap() { co_return --n_; }
HeapFuture<uint64_t> Down::hop_heap()
{
	co_await ds::ResumeOnWorker{};
	co_return --n_;
}
HeapFuture<uint64_t> Down::yield_heap()
{
	co_await Yield{};
	co_return --n_;
}
HeapFuture<uint64_t, true> Down::yield_heap_counted()
{
	co_await Yield{};
	co_return --n_;
}

Up &the_up() noexcept
{
	static Up up;
	return up;
}

Source &pick_source(int index) noexcept
{
	static Down down;
	return index ? static_cast<Source &>(down) : the_up();
}

} // namespace bench
