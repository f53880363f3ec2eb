// SPDX-License-Identifier: GPL-2.0
// The README's guide, compiled and run: the text between the GUIDE markers
// is copied into README.md verbatim (scripts/tests/test-readme-guide.sh
// checks they match).
#include <gtest/gtest.h>

#include "drive.hpp"
#include "fixture.h"

// GUIDE-BEGIN
#include "rt/dyn.hpp"	 // DynBox, make_in, LayoutTable, probe_frame
#include "rt/future.hpp" // Future<T>, Result<T>, DS_CO_TRY
#include "rt/sleep.hpp"	 // sleep_for
#include "rt/storage.hpp" // Boxed, InlineSlot, MaybeBoxed, Cached, TaskStack, ReservePool

// 1. Declare a trait: an abstract class whose async methods return
//    ds::Future<T> and take the caller's ds::Storage& (the frame lives there).
class Thermometer {
public:
	static constexpr size_t kMethods = 1;
	virtual ~Thermometer() = default;
	virtual ds::Future<int> read(ds::Storage &s) = 0;

	// For the layout table: each method probed statically, body never runs.
	template <class Impl>
	static void probe(Impl &t, size_t out[kMethods]) noexcept
	{
		out[0] = ds::probe_frame([&](ds::Storage &p) { return t.Impl::read(p); });
	}
};

// 2. Implement it. A coroutine body: co_await, co_return a value or an errno.
class SlowSensor final : public Thermometer {
public:
	ds::Future<int> read(ds::Storage &s) override
	{
		co_await ds::sleep_for(1000000); // 1 ms on an hrtimer
		if (broken)
			co_return ds::Err{-DS_ETIMEDOUT};
		co_return ds::Ok{21 + reads++};
	}
	bool broken = false;
	int reads = 0;
};

// 3. Call it. Dynamically through the trait, or statically on the concrete
//    (final) type. Awaiting yields ds::Result<int>: a value or -errno, and
//    allocation failure is just another errno.
ds::Future<int> average(Thermometer &t, ds::Storage &s)
{
	DS_CO_TRY(int a, co_await t.read(s));	// dyn call
	DS_CO_TRY(int b, co_await t.read(s));
	co_return ds::Ok{(a + b) / 2};
}

ds::Future<int> read_static(SlowSensor &t, ds::Storage &s)
{
	co_return co_await t.read(s); // static: SlowSensor is final
}
// GUIDE-END

namespace {

using GuideTest = RuntimeTest;

TEST_F(GuideTest, EveryStrategy)
{
	SlowSensor sensor;
	Thermometer &dyn = sensor;

	// 4. Choose where each future lives.
	ds::Boxed boxed(DS_GFP_KERNEL); // kmalloc per frame: -ENOMEM

	ds::LayoutTable<Thermometer> layout; // computed once, sizes slots exactly
	layout.add(sensor);
	alignas(16) unsigned char slot_buf[256];
	ASSERT_LE(layout.slot_size(), sizeof(slot_buf));
	ds::InlineSlot slot(slot_buf, layout.slot_size()); // -E2BIG, -EBUSY
	ds::MaybeBoxed maybe(slot);			 // slot, else heap
	ds::Cached cached;				 // one reused block
	ds::TaskStack stack;				 // LIFO region: -ENOSPC
	ASSERT_EQ(0, stack.init(1024));
	ds::ReservePool reserve;			 // mempool: progress when kmalloc fails
	ASSERT_EQ(0, reserve.init(layout.slot_size(), 4));

	ds::Storage *all[] = {&boxed, &slot, &maybe, &cached, &stack, &reserve};
	for (ds::Storage *s : all) {
		Outcome<int> one, avg, stat;
		run_to_end(dyn.read(*s), one);
		EXPECT_EQ(0, one.err);
		// Nested calls hold two frames at once: a slot or a cached block
		// holds one (the second would get -EBUSY), so use another storage.
		ds::Storage &nested = (s == &slot || s == &cached) ? boxed : *s;
		run_to_end(average(sensor, nested), avg);
		EXPECT_EQ(0, avg.err);
		run_to_end(read_static(sensor, nested), stat);
		EXPECT_EQ(0, stat.err);
	}
	EXPECT_EQ(6 * 4, sensor.reads);

	Outcome<int> fails;
	host::fail_nth(1);
	run_to_end(dyn.read(boxed), fails);
	EXPECT_EQ(-DS_ENOMEM, fails.err);
	sensor.broken = true;
	Outcome<int> timeout;
	run_to_end(average(sensor, boxed), timeout);
	EXPECT_EQ(-DS_ETIMEDOUT, timeout.err);
}

} // namespace
