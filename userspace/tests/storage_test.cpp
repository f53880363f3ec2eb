// SPDX-License-Identifier: GPL-2.0
// Storage strategies: every success path and every failure errno, with
// typed tests for what all strategies share.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "drive.hpp"
#include "fixture.h"
#include "rt/stats.hpp"
#include "rt/storage.hpp"
#include "rt/worker_hop.hpp"
#include "traits/async_iterator.hpp"
#include "traits/recursive.hpp"

namespace {

using ds::Future;
using ds::Storage;
using ds::Strategy;

Future<int> ready_call(Storage &s, int v) { co_return ds::Ok{v}; }

Future<int> hop_call(Storage &s, int v)
{
	co_await ds::ResumeOnWorker{};
	co_return ds::Ok{v * 2};
}

// Over-aligned locals live across a suspension.
template <size_t A>
Future<int> aligned_call(Storage &s)
{
	alignas(A) unsigned char buf[A];
	buf[0] = 1;
	co_await ds::ResumeOnWorker{};
	co_return ds::Ok{reinterpret_cast<uintptr_t>(buf) % A == 0 ? buf[0] : -1};
}

long live_frames(Strategy s)
{
	ds::StrategyCounters c;
	ds::stats_snapshot(s, &c);
	return c.live_frames;
}

long failures(Strategy s, ds::FailKind k)
{
	ds::StrategyCounters c;
	ds::stats_snapshot(s, &c);
	return c.failures[static_cast<int>(k)];
}

// One fixture per strategy, each able to hold one suspended frame.
struct BoxedFx {
	static constexpr Strategy kStrategy = Strategy::Boxed;
	ds::Boxed s;
	Storage &get() { return s; }
};
struct InlineFx {
	static constexpr Strategy kStrategy = Strategy::Inline;
	alignas(16) unsigned char buf[1024];
	ds::InlineSlot s{buf, sizeof(buf)};
	Storage &get() { return s; }
};
struct MaybeBoxedFx {
	static constexpr Strategy kStrategy = Strategy::MaybeBoxed;
	alignas(16) unsigned char buf[1024];
	ds::InlineSlot slot{buf, sizeof(buf)};
	ds::MaybeBoxed s{slot};
	Storage &get() { return s; }
};
struct CachedFx {
	static constexpr Strategy kStrategy = Strategy::Cached;
	ds::Cached s;
	Storage &get() { return s; }
};
struct TaskStackFx {
	static constexpr Strategy kStrategy = Strategy::TaskStack;
	ds::TaskStack s;
	TaskStackFx() { EXPECT_EQ(0, s.init(4096)); }
	Storage &get() { return s; }
};
struct ReserveFx {
	static constexpr Strategy kStrategy = Strategy::Reserve;
	ds::ReservePool s;
	ReserveFx() { EXPECT_EQ(0, s.init(1024, 2)); }
	Storage &get() { return s; }
};

template <class Fx>
class EveryStrategy : public RuntimeTest {
protected:
	void TearDown() override
	{
		drive();
		holder.reset(); // storages give their memory back before the leak check
		RuntimeTest::TearDown();
	}
	std::optional<Fx> holder{std::in_place};
	Fx &fx = *holder;
};

using Strategies = ::testing::Types<BoxedFx, InlineFx, MaybeBoxedFx, CachedFx,
				    TaskStackFx, ReserveFx>;
TYPED_TEST_SUITE(EveryStrategy, Strategies);

TYPED_TEST(EveryStrategy, ReadyCallCompletesInline)
{
	Outcome<int> o;
	ds::RootTask<int>::spawn(ready_call(this->fx.get(), 7), &Outcome<int>::record, &o);
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(7, o.value);
	EXPECT_EQ(0, live_frames(TypeParam::kStrategy));
}

TYPED_TEST(EveryStrategy, SuspendedFrameIsAccountedThenFreed)
{
	Outcome<int> o;
	ds::RootTask<int>::spawn(hop_call(this->fx.get(), 21), &Outcome<int>::record, &o);
	EXPECT_EQ(0, o.calls);
	EXPECT_EQ(1, live_frames(TypeParam::kStrategy));
	drive();
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(42, o.value);
	EXPECT_EQ(0, live_frames(TypeParam::kStrategy));
}

TYPED_TEST(EveryStrategy, OverAlignedLocalsAreAligned)
{
	Outcome<int> o64, o128;
	run_to_end(aligned_call<64>(this->fx.get()), o64);
	run_to_end(aligned_call<128>(this->fx.get()), o128);
	EXPECT_EQ(1, o64.value) << "misaligned 64-byte local";
	EXPECT_EQ(1, o128.value) << "misaligned 128-byte local";
}

TYPED_TEST(EveryStrategy, RefusesAlignmentItCannotGive)
{
	ds::Allocation a = this->fx.get().allocate(64, 8192);
	EXPECT_EQ(nullptr, a.ptr);
	EXPECT_EQ(-DS_EINVAL, a.err);
	a = this->fx.get().allocate(64, 48);
	EXPECT_EQ(-DS_EINVAL, a.err) << "not a power of two";
}

TYPED_TEST(EveryStrategy, ProbeSizeFitsTheRealFrame)
{
	// The probe's answer is exactly what the strategy is asked for.
	size_t probed = ds::probe_frame([](Storage &p) { return hop_call(p, 1); });
	ASSERT_GT(probed, sizeof(void *) * 2);
	ds::stats_reset_cumulative();
	Outcome<int> o;
	ds::RootTask<int>::spawn(hop_call(this->fx.get(), 1), &Outcome<int>::record, &o);
	ds::StrategyCounters c;
	ds::stats_snapshot(TypeParam::kStrategy, &c);
	EXPECT_EQ(static_cast<long>(probed), c.live_bytes);
	drive();
}

using InlineTest = RuntimeTest;

TEST_F(InlineTest, FrameLargerThanSlotIsE2BIG)
{
	alignas(16) unsigned char buf[32];
	ds::InlineSlot slot(buf, sizeof(buf));
	Outcome<int> o;
	ds::stats_reset_cumulative();
	ds::RootTask<int>::spawn(hop_call(slot, 1), &Outcome<int>::record, &o);
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_E2BIG, o.err);
	EXPECT_FALSE(slot.busy());
	EXPECT_EQ(1, failures(Strategy::Inline, ds::FailKind::TooBig));
}

TEST_F(InlineTest, SecondCallInFlightIsEBUSYThenSlotIsReusable)
{
	alignas(16) unsigned char buf[512];
	ds::InlineSlot slot(buf, sizeof(buf));
	Outcome<int> first, second, third;
	ds::RootTask<int>::spawn(hop_call(slot, 1), &Outcome<int>::record, &first);
	EXPECT_TRUE(slot.busy());
	ds::RootTask<int>::spawn(hop_call(slot, 2), &Outcome<int>::record, &second);
	EXPECT_EQ(1, second.calls);
	EXPECT_EQ(-DS_EBUSY, second.err);
	drive();
	EXPECT_EQ(2, first.value);
	EXPECT_FALSE(slot.busy());
	run_to_end(hop_call(slot, 3), third);
	EXPECT_EQ(6, third.value);
}

TEST_F(InlineTest, TooBigWinsOverBusy)
{
	alignas(16) unsigned char buf[512];
	ds::InlineSlot slot(buf, sizeof(buf));
	Outcome<int> first;
	ds::RootTask<int>::spawn(hop_call(slot, 1), &Outcome<int>::record, &first);
	ds::Allocation a = slot.allocate(4096, 16);
	EXPECT_EQ(-DS_E2BIG, a.err);
	drive();
}

using MaybeBoxedTest = RuntimeTest;

TEST_F(MaybeBoxedTest, BusySlotFallsBackToTheHeap)
{
	alignas(16) unsigned char buf[512];
	ds::InlineSlot slot(buf, sizeof(buf));
	ds::MaybeBoxed mb(slot);
	Outcome<int> a, b;
	ds::RootTask<int>::spawn(hop_call(mb, 1), &Outcome<int>::record, &a);
	long heap_before = host::live(DS_SITE_FRAME);
	ds::RootTask<int>::spawn(hop_call(mb, 2), &Outcome<int>::record, &b);
	EXPECT_EQ(heap_before + 1, host::live(DS_SITE_FRAME)) << "second frame on the heap";
	EXPECT_EQ(2, live_frames(Strategy::MaybeBoxed));
	drive();
	EXPECT_EQ(2, a.value);
	EXPECT_EQ(4, b.value);
}

TEST_F(MaybeBoxedTest, TooSmallSlotFallsBackToTheHeap)
{
	alignas(16) unsigned char buf[16];
	ds::InlineSlot slot(buf, sizeof(buf));
	ds::MaybeBoxed mb(slot);
	Outcome<int> o;
	run_to_end(hop_call(mb, 5), o);
	EXPECT_EQ(10, o.value);
}

TEST_F(MaybeBoxedTest, ENOMEMOnlyWhenBothFail)
{
	alignas(16) unsigned char buf[16];
	ds::InlineSlot slot(buf, sizeof(buf));
	ds::MaybeBoxed mb(slot);
	host::fail_nth(1);
	Outcome<int> o;
	ds::RootTask<int>::spawn(hop_call(mb, 5), &Outcome<int>::record, &o);
	EXPECT_EQ(-DS_ENOMEM, o.err);
	EXPECT_EQ(1, host::injected_failures());
}

using CachedTest = RuntimeTest;

TEST_F(CachedTest, SequentialCallsReuseOneBlock)
{
	ds::Cached cached;
	for (int i = 0; i < 5; i++) {
		Outcome<int> o;
		run_to_end(hop_call(cached, i), o);
		ASSERT_EQ(2 * i, o.value);
	}
	// One block for the frame, one task header per call.
	EXPECT_EQ(1 + 5, host::alloc_calls());
	EXPECT_EQ(1, host::live(DS_SITE_FRAME)) << "the cached block stays";
}

TEST_F(CachedTest, GrowsForALargerFrameAndKeepsTheBlockWhenGrowingFails)
{
	ds::Cached cached;
	Outcome<int> small, big_fail, big, small_again;
	run_to_end(ready_call(cached, 1), small);
	size_t cap = cached.capacity();
	host::fail_nth(1);
	run_to_end(aligned_call<128>(cached), big_fail);
	EXPECT_EQ(-DS_ENOMEM, big_fail.err);
	EXPECT_EQ(cap, cached.capacity()) << "old block kept";
	host::reset_alloc_counters();
	run_to_end(ready_call(cached, 2), small_again);
	EXPECT_EQ(2, small_again.value);
	EXPECT_EQ(1, host::alloc_calls()) << "only the task header: the frame used the kept block";
	run_to_end(aligned_call<128>(cached), big);
	EXPECT_EQ(1, big.value);
	EXPECT_GT(cached.capacity(), cap);
}

TEST_F(CachedTest, InUseIsEBUSY)
{
	ds::Cached cached;
	Outcome<int> a, b;
	ds::RootTask<int>::spawn(hop_call(cached, 1), &Outcome<int>::record, &a);
	ds::RootTask<int>::spawn(hop_call(cached, 1), &Outcome<int>::record, &b);
	EXPECT_EQ(-DS_EBUSY, b.err);
	drive();
	EXPECT_EQ(2, a.value);
}

using TaskStackTest = RuntimeTest;

TEST_F(TaskStackTest, NestedDynCallsPushAndPopLIFO)
{
	ds::TaskStack ts;
	ASSERT_EQ(0, ts.init(4096));
	ds::Counter c(10, 5);
	ds::Map m1(&c, 2, 0), m2(&m1, 1, 1), m3(&m2, 3, 0);
	ds::AsyncIterator &top = m3;
	Outcome<ds::Next> o;
	run_to_end(top.next(ts), o);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ((10 * 2 + 1) * 3u, o.value.value);
	EXPECT_EQ(0u, ts.used());
	size_t frame = ds::probe_frame([&](Storage &p) { return m1.ds::Map::next(p); });
	EXPECT_GE(ts.high_water(), 3 * frame) << "three Map frames stacked";
}

TEST_F(TaskStackTest, TooDeepIsENOSPCAndNothingAdvances)
{
	ds::TaskStack ts;
	size_t frame = ds::probe_frame([](Storage &p) {
		ds::Map m;
		return m.ds::Map::next(p);
	});
	ASSERT_EQ(0, ts.init(2 * ds::align_up(frame, 16)));
	ds::Counter c(0, 5);
	ds::Map m1(&c), m2(&m1), m3(&m2);
	ds::AsyncIterator &top = m3;
	Outcome<ds::Next> o;
	run_to_end(top.next(ts), o);
	EXPECT_EQ(-DS_ENOSPC, o.err);
	EXPECT_EQ(0u, c.position()) << "the innermost call never ran";
	EXPECT_EQ(0u, ts.used());
}

// A stack whose region comes with its first frame: a frame-free call
// allocates nothing; a framed one allocates the region once, and a failed
// region is the frame's errno, with no effect, retried by the next call.
TEST_F(TaskStackTest, RegionOnFirstFrame)
{
	ds::TaskStack ts;
	ASSERT_EQ(0, ts.init_on_first_frame(4096));
	EXPECT_EQ(-DS_EINVAL, ts.init_on_first_frame(4096)) << "already set";
	ds::Counter c(10, 5);
	ds::AsyncIterator &ready = c;
	const long heap0 = host::live(DS_SITE_FRAME);
	Outcome<ds::Next> o1;
	run_to_end(ready.next(ts), o1);
	EXPECT_EQ(0, o1.err);
	EXPECT_EQ(10u, o1.value.value);
	EXPECT_EQ(heap0, host::live(DS_SITE_FRAME)) << "frame-free: no region";
	EXPECT_EQ(0u, ts.capacity());

	ds::Map m(&c, 2, 0);
	ds::AsyncIterator &framed = m;
	host::fail_nth(1);
	Outcome<ds::Next> o2;
	run_to_end(framed.next(ts), o2);
	EXPECT_EQ(-DS_ENOMEM, o2.err);
	EXPECT_EQ(11u, c.position()) << "the refused call had no effect";
	EXPECT_EQ(heap0, host::live(DS_SITE_FRAME));

	Outcome<ds::Next> o3;
	run_to_end(framed.next(ts), o3);
	EXPECT_EQ(0, o3.err);
	EXPECT_EQ(22u, o3.value.value);
	EXPECT_EQ(4096u, ts.capacity());
	EXPECT_EQ(heap0 + 1, host::live(DS_SITE_FRAME)) << "the region, kept";
	EXPECT_EQ(0u, ts.used());
}

using ds::Descend;
using ds::Recursive;

TEST_F(TaskStackTest, RecursionPastTheStackIsENOSPC)
{
	ds::TaskStack ts;
	ASSERT_EQ(0, ts.init(2048));
	Descend d;
	Recursive &r = d;
	Outcome<int> shallow, deep;
	run_to_end(r.down(3, ts), shallow);
	EXPECT_EQ(3, shallow.value);
	run_to_end(r.down(1000, ts), deep);
	EXPECT_EQ(-DS_ENOSPC, deep.err);
	EXPECT_EQ(0u, ts.used());
	EXPECT_LE(ts.high_water(), ts.capacity());
}

TEST_F(TaskStackTest, RecursionOnTheHeapGoesDeep)
{
	ds::Boxed boxed;
	Descend d;
	Recursive &r = d;
	Outcome<int> o;
	run_to_end(r.down(1000, boxed), o);
	EXPECT_EQ(1000, o.value);
}

using ReserveTest = RuntimeTest;

TEST_F(ReserveTest, KeepsCompletingWhileTheHeapFailsUntilExhausted)
{
	ds::ReservePool pool;
	ASSERT_EQ(0, pool.init(1024, 2));
	ds::stats_reset_cumulative();
	ds_fault_force(1u << DS_SITE_RESERVE);
	Outcome<int> a, b, c;
	ds::RootTask<int>::spawn(hop_call(pool, 1), &Outcome<int>::record, &a);
	ds::RootTask<int>::spawn(hop_call(pool, 2), &Outcome<int>::record, &b);
	ds::RootTask<int>::spawn(hop_call(pool, 3), &Outcome<int>::record, &c);
	EXPECT_EQ(-DS_ENOMEM, c.err) << "reserve of two exhausted";
	EXPECT_EQ(1, failures(Strategy::Reserve, ds::FailKind::NoMem));
	drive();
	EXPECT_EQ(2, a.value);
	EXPECT_EQ(4, b.value);
	// Freed frames went back to the reserve: progress continues.
	for (int i = 0; i < 10; i++) {
		Outcome<int> o;
		run_to_end(hop_call(pool, i), o);
		ASSERT_EQ(2 * i, o.value);
	}
	ds_fault_force(0);
}

// A tag's forced sites fail that tag's allocations only (the self-check
// forces its own pool's refills while other pools keep refilling).
TEST_F(ReserveTest, ForcedSitesOfATagFailOnlyItsOwnPool)
{
	ds_alloc_tag forced{}, other{};
	ds::ReservePool mine, theirs;
	ASSERT_EQ(0, mine.init(256, 1, &forced));
	ASSERT_EQ(0, theirs.init(256, 1, &other));
	forced.forced_sites = 1u << DS_SITE_RESERVE;
	ds::Allocation a = mine.allocate(64, 16);	// the reserve
	ds::Allocation b = mine.allocate(64, 16);	// refill forced, reserve empty
	ds::Allocation c = theirs.allocate(64, 16);	// fresh block
	ds::Allocation d = theirs.allocate(64, 16);	// fresh block, reserve untouched
	EXPECT_NE(nullptr, a.ptr);
	EXPECT_EQ(nullptr, b.ptr);
	EXPECT_EQ(-DS_ENOMEM, b.err);
	EXPECT_NE(nullptr, c.ptr);
	EXPECT_NE(nullptr, d.ptr);
	forced.forced_sites = 0;
	ds::Allocation e = mine.allocate(64, 16);
	EXPECT_NE(nullptr, e.ptr) << "refills work again once unforced";
	for (ds::Allocation *x : { &a, &c, &d, &e })
		if (x->ptr)
			x->owner->release(x->ptr, 64);
}

TEST_F(ReserveTest, FrameLargerThanAPoolElementIsE2BIG)
{
	ds::ReservePool pool;
	ASSERT_EQ(0, pool.init(32, 1));
	Outcome<int> o;
	run_to_end(hop_call(pool, 1), o);
	EXPECT_EQ(-DS_E2BIG, o.err);
}

TEST_F(ReserveTest, InitValidatesAndFailsCleanly)
{
	ds::ReservePool a, b;
	EXPECT_EQ(-DS_EINVAL, a.init(0, 1));
	EXPECT_EQ(-DS_EINVAL, a.init(64, 0));
	host::fail_nth(2); // the second reserve block
	EXPECT_EQ(-DS_ENOMEM, b.init(64, 4));
	EXPECT_EQ(0, host::live(DS_SITE_RESERVE));
	ds::TaskStack ts;
	host::fail_nth(1);
	EXPECT_EQ(-DS_ENOMEM, ts.init(1024));
	EXPECT_EQ(-DS_EINVAL, ts.init(0));
}

} // namespace
