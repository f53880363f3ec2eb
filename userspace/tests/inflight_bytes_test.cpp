// SPDX-License-Identifier: GPL-2.0
// What the host benchmark's memory counters (userspace/bench/bench_memory.cpp)
// rely on: an in-flight call is accounted as exactly its frame plus one
// FrameHeader, the layout probe reports that same total, and each storage
// holds it as the benchmark counts it (task stack: the total rounded up
// to the frame alignment; inline slot: the slot).
#include <gtest/gtest.h>

#include <coroutine>
#include <vector>

#include "fixture.h"
#include "rt/dyn.hpp"
#include "rt/future.hpp"
#include "rt/stats.hpp"

namespace {

using ds::Storage;
using ds::Strategy;

// Suspends once with no task: its frame stays in flight until resumed.
ds::Future<int> parked(Storage &s, int v)
{
	co_await std::suspend_always{};
	co_return ds::Ok{v};
}

constexpr size_t kHeader = sizeof(ds::detail::FrameHeader);

size_t probed() noexcept
{
	return ds::probe_frame([](Storage &p) { return parked(p, 0); });
}

// Starts @n calls in @s and leaves them suspended; returns the accounted
// bytes per call.
long accounted_per_call(Storage &s, Strategy which, int n,
			std::vector<ds::Future<int>> &calls)
{
	ds::StrategyCounters before, after;
	ds::stats_snapshot(which, &before);
	for (int i = 0; i < n; i++) {
		calls.push_back(parked(s, i));
		EXPECT_TRUE(calls.back().started());
		calls.back().handle().resume();
		EXPECT_FALSE(calls.back().handle().done());
	}
	ds::stats_snapshot(which, &after);
	EXPECT_EQ(n, after.live_frames - before.live_frames);
	return (after.live_bytes - before.live_bytes) / n;
}

using InflightBytesTest = RuntimeTest;

TEST_F(InflightBytesTest, HeaderIsOneFrameAlignmentUnit)
{
	EXPECT_EQ(ds::kFrameAlign, kHeader);
	EXPECT_EQ(2 * sizeof(void *), kHeader) << "owner pointer, total and strategy";
}

TEST_F(InflightBytesTest, BoxedCallIsAccountedAsFramePlusHeader)
{
	ds::Boxed boxed;
	std::vector<ds::Future<int>> calls;
	const size_t total = probed();
	ASSERT_GT(total, kHeader);
	EXPECT_EQ(static_cast<long>(total), accounted_per_call(boxed, Strategy::Boxed, 8, calls));
	EXPECT_EQ(8, host::live(DS_SITE_FRAME));
	calls.clear(); // destroying suspended futures frees their frames
	EXPECT_EQ(0, host::live(DS_SITE_FRAME));
}

TEST_F(InflightBytesTest, TaskStackHoldsTheAlignedTotal)
{
	ds::TaskStack stack;
	ASSERT_EQ(0, stack.init(4096));
	std::vector<ds::Future<int>> calls;
	const size_t total = probed();
	EXPECT_EQ(static_cast<long>(total),
		  accounted_per_call(stack, Strategy::TaskStack, 4, calls));
	EXPECT_EQ(4 * ds::align_up(total, ds::kFrameAlign), stack.used());
	calls.clear();
	EXPECT_EQ(0u, stack.used());
}

TEST_F(InflightBytesTest, InlineSlotOfTheProbedSizeHoldsOneCall)
{
	alignas(ds::kFrameAlign) unsigned char buf[512];
	const size_t total = probed();
	ASSERT_LE(total, sizeof(buf));
	ds::InlineSlot slot(buf, total);
	std::vector<ds::Future<int>> calls;
	EXPECT_EQ(static_cast<long>(total), accounted_per_call(slot, Strategy::Inline, 1, calls));
	EXPECT_EQ(static_cast<void *>(buf + kHeader), calls[0].handle().address())
		<< "the frame follows its header at the start of the slot";
	calls.clear();
	EXPECT_FALSE(slot.busy());
}

} // namespace
