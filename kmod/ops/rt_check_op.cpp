// SPDX-License-Identifier: GPL-2.0
// The runtime self-check: one scenario per storage strategy, run inside
// the kernel, each check counted. What the host tests prove on the
// userspace platform, proved again on the real one (hrtimers, workqueue,
// mempool, kmalloc).
#include "ops/rt_check_op.h"

#include "rt/dyn.hpp"
#include "rt/task.hpp"
#include "traits/async_iterator.hpp"
#include "traits/recursive.hpp"

namespace ds {
namespace {

constinit LayoutTable<AsyncIterator> iterator_layout;

// Numbers the checks; remembers the first that failed.
class Checks {
public:
	explicit Checks(ds_rt_check_op &op) noexcept : op_(op) {}
	void expect(bool ok) noexcept
	{
		op_.checks++;
		if (!ok && !op_.failed_check)
			op_.failed_check = op_.checks;
	}

private:
	ds_rt_check_op &op_;
};

// A block the scenario owns for its inline slot (a trait object's slot in
// real use).
class SlotBuffer {
public:
	explicit SlotBuffer(size_t n) noexcept
		: p_(ds_alloc(n, kFrameAlign, DS_GFP_KERNEL, DS_SITE_OBJECT, nullptr)), n_(n) {}
	~SlotBuffer()
	{
		if (p_)
			ds_free(p_, n_, DS_SITE_OBJECT, nullptr);
	}
	void *get() const noexcept { return p_; }

private:
	void *p_;
	size_t n_;
};

// Suspends on an hrtimer under two adaptors; 1 + 3 + 5.
Future<uint64_t> boxed_scenario(Checks &c, Storage &s)
{
	Ticker t(200000, 4);
	Map m(&t, 2, 1);
	Take tk(&m, 3);
	DS_CO_TRY(uint64_t total, co_await sum(tk, 10, s));
	c.expect(total == 9);
	c.expect(t.position() == 3);
	co_return total;
}

Future<uint64_t> inline_scenario(Checks &c, Storage &root)
{
	const size_t size = iterator_layout.slot_size();
	c.expect(size > 0);
	SlotBuffer buf(size);
	if (!buf.get())
		co_return Err{-DS_ENOMEM};
	InlineSlot slot(buf.get(), size);
	Boxed heap;
	Counter cnt(10, 50);
	Ticker t(100000, 3);
	Map m(&cnt, 3, 0, &heap);

	DS_CO_TRY(Next a, co_await cnt.next(slot));
	DS_CO_TRY(Next b, co_await t.next(slot)); // suspends inside the slot
	DS_CO_TRY(Next d, co_await m.next(slot));
	c.expect(a.value == 10 && b.value == 0 && d.value == 33);

	Future<Next> first = t.next(slot);
	Future<Next> second = m.next(slot);
	c.expect(first.started());
	c.expect(!second.started() && second.error() == -DS_EBUSY);
	// Ready at once, the counter needs no frame: the busy slot is no bar.
	Future<Next> frame_free = cnt.next(slot);
	c.expect(frame_free.has_value());
	DS_CO_TRY(Next e, co_await first);
	c.expect(e.value == 1);

	InlineSlot tiny(buf.get(), 16);
	Result<Next> big = co_await t.next(tiny);
	c.expect(big.error() == -DS_E2BIG);
	c.expect(t.position() == 2); // the refused call did not advance it
	co_return a.value + b.value + d.value + e.value;
}

Future<uint64_t> maybe_boxed_scenario(Checks &c, Storage &root)
{
	const size_t size = iterator_layout.slot_size();
	SlotBuffer buf(size);
	if (!buf.get())
		co_return Err{-DS_ENOMEM};
	InlineSlot slot(buf.get(), size);
	MaybeBoxed mb(slot);
	Ticker t(100000, 2);
	Counter cnt(5, 5);
	Map mc(&cnt, 1, 0); // a frame (the counter alone has none)
	Future<Next> in_slot = t.next(mb);
	Future<Next> on_heap = mc.next(mb); // slot busy: the heap
	c.expect(in_slot.started() && on_heap.started());
	c.expect(slot.busy());
	DS_CO_TRY(Next a, co_await in_slot);
	DS_CO_TRY(Next b, co_await on_heap);
	c.expect(a.value == 0 && b.value == 5);
	co_return a.value + b.value;
}

Future<uint64_t> cached_scenario(Checks &c, Storage &root)
{
	Cached cache;
	Counter cnt(0, 100);
	Map mc(&cnt, 1, 0); // a frame (the counter alone has none)
	uint64_t total = 0;
	for (int i = 0; i < 10; i++) {
		DS_CO_TRY(Next x, co_await mc.next(cache));
		total += x.value;
	}
	size_t cap = cache.capacity();
	c.expect(cap > 0);
	Ticker t(100000, 1);
	Future<Next> held = t.next(cache);
	Future<Next> refused = mc.next(cache);
	c.expect(held.started());
	c.expect(!refused.started() && refused.error() == -DS_EBUSY);
	DS_CO_TRY(Next y, co_await held);
	c.expect(y.value == 0);
	c.expect(total == 45);
	co_return total;
}

Future<uint64_t> task_stack_scenario(Checks &c, Storage &root)
{
	TaskStack ts;
	int r = ts.init(2048);
	if (r)
		co_return Err{r};
	Counter cnt(1, 100);
	Map m1(&cnt, 2, 0), m2(&m1, 1, 1), m3(&m2, 3, 0);
	DS_CO_TRY(Next x, co_await m3.next(ts));
	c.expect(x.value == 9);
	c.expect(ts.used() == 0);

	Ticker t(100000, 2);
	Map mt(&t, 10, 0), mt2(&mt, 1, 7);
	DS_CO_TRY(Next y, co_await mt2.next(ts)); // suspends two frames deep
	c.expect(y.value == 7);

	Descend d;
	Recursive &rec = d;
	Result<int> shallow = co_await rec.down(4, ts);
	c.expect(shallow.ok() && *shallow == 4);
	Result<int> deep = co_await rec.down(100000, ts);
	c.expect(deep.error() == -DS_ENOSPC);
	c.expect(ts.used() == 0 && ts.high_water() <= ts.capacity());
	co_return x.value + y.value;
}

// Forces every refill (kmalloc) of the scenario's own pool to fail: the
// reserve alone serves. Through the pool's tag, not module-wide: other
// files' pools and other self-checks run meanwhile (they suspend here).
class ForceReserveFailure {
public:
	explicit ForceReserveFailure(ds_alloc_tag &tag) noexcept : tag_(tag)
	{
		__atomic_store_n(&tag_.forced_sites, 1u << DS_SITE_RESERVE, __ATOMIC_RELAXED);
	}
	~ForceReserveFailure() { __atomic_store_n(&tag_.forced_sites, 0, __ATOMIC_RELAXED); }

private:
	ds_alloc_tag &tag_;
};

Future<uint64_t> reserve_scenario(Checks &c, Storage &root)
{
	ds_alloc_tag tag{};	// outlives the pool (declared first)
	ReservePool pool;
	int r = pool.init(512, 4, &tag);
	if (r)
		co_return Err{r};
	uint64_t total = 0;
	{
		ForceReserveFailure force(tag);
		Ticker t(100000, 10);
		Map m(&t, 1, 100);
		for (int i = 0; i < 6; i++) {
			DS_CO_TRY(Next x, co_await m.next(pool));
			total += x.value;
		}
		Counter cnt;
		Map mc(&cnt, 1, 0); // a frame (the counter alone has none)
		Future<Next> h0 = mc.next(pool), h1 = mc.next(pool);
		Future<Next> h2 = mc.next(pool), h3 = mc.next(pool);
		Future<Next> extra = mc.next(pool);
		c.expect(h0.started() && h1.started() && h2.started() && h3.started());
		c.expect(!extra.started() && extra.error() == -DS_ENOMEM);
	}
	c.expect(total == 600 + 15);
	co_return total;
}

Future<uint64_t> scenario(ds_rt_check_op &op, Storage &root)
{
	Checks c(op);
	switch (op.strategy) {
	case 1:
		co_return co_await boxed_scenario(c, root);
	case 2:
		co_return co_await inline_scenario(c, root);
	case 3:
		co_return co_await maybe_boxed_scenario(c, root);
	case 4:
		co_return co_await cached_scenario(c, root);
	case 5:
		co_return co_await task_stack_scenario(c, root);
	default:
		co_return co_await reserve_scenario(c, root);
	}
}

void scenario_done(void *ctx, Result<uint64_t> &&r)
{
	auto *op = static_cast<ds_rt_check_op *>(ctx);
	op->value = r.ok() ? *r : 0;
	op->complete(op, r.error());
}

} // namespace
} // namespace ds

extern "C" int ds_rt_check_start(struct ds_rt_check_op *op)
{
	if (op->strategy < 1 || op->strategy > DS_RT_CHECK_STRATEGIES)
		return -DS_EINVAL;
	op->checks = 0;
	op->failed_check = 0;
	// Not a local: nested calls allocate through it after suspensions.
	ds::RootTask<uint64_t>::spawn(ds::scenario(*op, ds::heap_storage()),
				      &ds::scenario_done, op);
	return 0;
}

extern "C" void ds_rt_init(void)
{
	ds::iterator_layout.add<ds::Counter>();
	ds::iterator_layout.add<ds::Ticker>();
	ds::iterator_layout.add<ds::Map>();
	ds::iterator_layout.add<ds::Take>();
	ds::iterator_layout.add<ds::Chain>();
}

extern "C" unsigned int ds_rt_iterator_slot_size(void)
{
	return static_cast<unsigned int>(ds::iterator_layout.slot_size());
}

extern "C" long ds_rt_live_frames(bool report)
{
	long total = 0;
	for (int i = 0; i < ds::kStrategyCount; i++) {
		ds::StrategyCounters c;
		ds::stats_snapshot(static_cast<ds::Strategy>(i), &c);
		total += c.live_frames;
		if (report && c.live_frames)
			ds_log(DS_LOG_ERR, "live frames: %s: %ld (%ld bytes)",
			       ds::strategy_name(static_cast<ds::Strategy>(i)),
			       c.live_frames, c.live_bytes);
	}
	return total;
}
