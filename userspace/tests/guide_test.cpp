// SPDX-License-Identifier: GPL-2.0
// The README's guide, compiled and run: the text between the GUIDE markers
// is copied into README.md verbatim (scripts/tests/test-readme-guide.sh
// checks they match). It is built as a user's own test file would be:
// only the test kit's include paths and flags (-Wall -Wextra -Werror, no
// warning relaxed), linked with build/libdynasync-host.a (Makefile,
// KIT_USER_SRCS).
// GUIDE-BEGIN
#include "rt/dyn.hpp"	 // DynBox, make_in, LayoutTable
#include "rt/future.hpp" // Future<T>, Result<T>, Ok, Err, DS_CO_TRY, DS_CO_FAIL
#include "rt/sleep.hpp"	 // sleep_for
#include "rt/storage.hpp" // Boxed, InlineSlot, MaybeBoxed, Cached, TaskStack, ReservePool
#include "rt/trait.hpp"	 // DS_TRAIT, ds::Implements
#include "dynasync/testkit.hpp" // host tests: ds::test::run, sweep_fail_nth, Test

// 1. Declare a trait once: one line X(id, T, name, params...) per async
//    method `ds::Future<T> name(params..., ds::Storage &)`; the caller's
//    storage, where the call's frame lives, always comes last. DS_TRAIT
//    makes the pure virtuals, the method ids, the layout probe and the
//    compile-time check of impls from that list.
#define THERMOMETER_METHODS(X) \
	X(kRead, int, read)    \
	X(kCalibrate, void, calibrate, int)

class Thermometer {
	DS_TRAIT(Thermometer, THERMOMETER_METHODS)
};

// 2. Implement it. A coroutine body: co_await, then co_return a value
//    (ds::Ok{v}: in a Future<int> a bare integer could be an errno and is
//    refused) or an error (ds::Err{-E...}). A body that makes no nested
//    call leaves its storage parameter unnamed.
class SlowSensor final : public Thermometer {
public:
	ds::Future<int> read(ds::Storage &) override
	{
		co_await ds::sleep_for(1000000); // 1 ms on an hrtimer
		if (broken)
			co_return ds::Err{-DS_ETIMEDOUT};
		co_return ds::Ok{21 + offset + reads++};
	}
	// Future<void>: `co_return;`, and DS_CO_FAIL(e) for an error.
	ds::Future<void> calibrate(int by, ds::Storage &) override
	{
		co_await ds::sleep_for(1000);
		if (by < -10 || by > 10)
			DS_CO_FAIL(-DS_EINVAL);
		offset = by;
		co_return;
	}
	bool broken = false;
	int offset = 0;
	int reads = 0;
};

// Ready at once: no frame at all (ready_in runs the body now; under the
// layout probe it does not run, and the probe reports 0 bytes).
class FixedSensor final : public Thermometer {
public:
	ds::Future<int> read(ds::Storage &s) override
	{
		return ds::Future<int>::ready_in(s, [] { return ds::Ok{20}; });
	}
	ds::Future<void> calibrate(int, ds::Storage &s) override
	{
		return ds::Future<void>::ready_in(s, [] {});
	}
};

// The compiler checks every method: a missing one or another signature
// fails here (and where the impl is registered), naming the method.
static_assert(ds::Implements<SlowSensor, Thermometer>);
static_assert(ds::Implements<FixedSensor, Thermometer>);

// 3. Call it. Dynamically through the trait, or statically on the concrete
//    (final) type. Awaiting yields ds::Result<T>: a value or -errno, and
//    allocation failure is just another errno. DS_CO_TRY returns the
//    errno from any Future<T> (void too) or binds the value.
ds::Future<int> average(Thermometer &t, ds::Storage &s)
{
	DS_CO_TRY(int a, co_await t.read(s)); // dyn call
	DS_CO_TRY(int b, co_await t.read(s));
	co_return ds::Ok{(a + b) / 2};
}

ds::Future<int> read_static(SlowSensor &t, ds::Storage &s)
{
	co_return co_await t.read(s); // static: SlowSensor is final
}

// 4. Test it on the host: your GoogleTest file includes the kit, links
//    build/libdynasync-host.a, and runs the same code on the userspace
//    platform (fake clock, single-threaded executor, fail-nth injection).
using GuideTest = ds::test::Test; // fails a test that leaks or leaves work queued

TEST_F(GuideTest, EveryStrategy)
{
	SlowSensor sensor;
	Thermometer &dyn = sensor;

	// Choose where each future lives.
	ds::Boxed boxed(DS_GFP_KERNEL); // kmalloc per frame: -ENOMEM

	ds::LayoutTable<Thermometer> layout; // computed once, sizes slots exactly
	layout.add<SlowSensor>();	     // one line per impl
	layout.add<FixedSensor>();
	alignas(16) unsigned char slot_buf[512];
	ASSERT_LE(layout.slot_size(), sizeof(slot_buf));
	ds::InlineSlot slot(slot_buf, layout.slot_size()); // -E2BIG, -EBUSY
	ds::MaybeBoxed maybe(slot);			 // slot, else heap
	ds::Cached cached;				 // one reused block
	ds::TaskStack stack;				 // LIFO region: -ENOSPC
	ASSERT_EQ(0, stack.init(1024));
	ds::ReservePool reserve; // mempool: progress when kmalloc fails
	ASSERT_EQ(0, reserve.init(layout.slot_size(), 4));

	ds::Storage *all[] = {&boxed, &slot, &maybe, &cached, &stack, &reserve};
	for (ds::Storage *s : all) {
		ds::test::Outcome<int> one = ds::test::run(dyn.read(*s));
		EXPECT_TRUE(one.ok());
		// Nested calls hold two frames at once: a slot or a cached block
		// holds one (the second would get -EBUSY), so use another storage.
		ds::Storage &nested = (s == &slot || s == &cached) ? boxed : *s;
		EXPECT_TRUE(ds::test::run(average(sensor, nested)).ok());
		EXPECT_TRUE(ds::test::run(read_static(sensor, nested)).ok());
	}
	EXPECT_EQ(6 * 4, sensor.reads);

	sensor.broken = true;
	EXPECT_EQ(-DS_ETIMEDOUT, ds::test::run(average(sensor, boxed)).err);
	ds::test::Outcome<void> cal = ds::test::run(sensor.calibrate(11, boxed));
	EXPECT_EQ(-DS_EINVAL, cal.err);
}

// Every allocation fails in turn: each run ends with -ENOMEM and no
// effect, or (past the last allocation point) with the value.
TEST_F(GuideTest, EveryAllocationFailureIsAnErrno)
{
	SlowSensor sensor;
	ds::Boxed boxed;
	long points = ds::test::sweep_fail_nth(
		[&] {
			sensor.reads = 0;
			return average(sensor, boxed);
		},
		[&](long n, const ds::test::Outcome<int> &o, bool injected) {
			if (injected)
				EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
			else
				EXPECT_EQ((21 + 22) / 2, o.value);
		});
	// average's frame, its task, two reads: four points, then success.
	EXPECT_EQ(4, points);
}
// GUIDE-END

namespace {

TEST_F(GuideTest, VoidMethodAndFrameFreeImpl)
{
	SlowSensor slow;
	FixedSensor fixed;
	ds::Boxed boxed;
	EXPECT_TRUE(ds::test::run(slow.calibrate(3, boxed)).ok());
	EXPECT_EQ(-DS_EINVAL, ds::test::run(slow.calibrate(11, boxed)).err);
	EXPECT_EQ(3, slow.offset);
	ds::test::Outcome<int> r = ds::test::run(average(fixed, boxed));
	EXPECT_TRUE(r.ok());
	EXPECT_EQ(20, r.value);

	size_t sizes[Thermometer::kMethods];
	ds::probe_impl<Thermometer, FixedSensor>(sizes);
	EXPECT_EQ(0u, sizes[Thermometer::kRead]) << "frame-free";
	EXPECT_EQ(0u, sizes[Thermometer::kCalibrate]);
	ds::probe_impl<Thermometer, SlowSensor>(sizes);
	EXPECT_GT(sizes[Thermometer::kRead], 0u);
	EXPECT_GT(sizes[Thermometer::kCalibrate], 0u);
}

} // namespace
