// SPDX-License-Identifier: GPL-2.0
// The per-thread (kernel: per-CPU) hot-path counters: sums are exact at a
// quiescent point however adds and subtracts were spread over threads,
// including threads that have exited (their block is folded, not lost).
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "fixture.h"
#include "host_counters.h"
#include "rt/stats.hpp"

namespace {

using Counters = RuntimeTest;
using ds::Strategy;

TEST_F(Counters, ConcurrentAddsSumExactly)
{
	constexpr int kThreads = 4, kAdds = 20000;
	const unsigned slot = DS_COUNTER_SLOTS - 1;
	const long before = ds_counter_sum(slot);
	std::vector<std::thread> threads;
	for (int t = 0; t < kThreads; t++)
		threads.emplace_back([&] {
			for (int i = 0; i < kAdds; i++)
				ds_counter_add(slot, 3);
		});
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(before + 3L * kThreads * kAdds, ds_counter_sum(slot));
	ds_counter_add(slot, -3L * kThreads * kAdds);
	EXPECT_EQ(before, ds_counter_sum(slot));
}

TEST_F(Counters, OutOfRangeSlotIsIgnored)
{
	ds_counter_add(DS_COUNTER_SLOTS, 1);
	EXPECT_EQ(0, ds_counter_sum(DS_COUNTER_SLOTS));
}

// Blocks allocated on one thread (a reserve pool: its struct and its
// reserve), counted while it lives, still counted after it exits, and
// freed on another thread.
TEST_F(Counters, LiveBlocksSurviveTheirThread)
{
	constexpr unsigned kReserve = 4;
	constexpr long kBlocks = 1 + kReserve;
	const size_t threads_before = host::counters::blocks();
	ds_pool *pool = nullptr;
	bool go = false, allocated = false;
	std::mutex m;
	std::condition_variable cv;
	std::thread a([&] {
		pool = ds_pool_create(32, kReserve, nullptr);
		std::unique_lock<std::mutex> l(m);
		allocated = true;
		cv.notify_all();
		cv.wait(l, [&] { return go; });
	});
	{
		std::unique_lock<std::mutex> l(m);
		cv.wait(l, [&] { return allocated; });
	}
	ASSERT_NE(nullptr, pool);
	EXPECT_EQ(threads_before + 1, host::counters::blocks());
	EXPECT_EQ(kBlocks, host::live(DS_SITE_RESERVE)) << "read from a live thread's block";
	EXPECT_EQ(kBlocks, host::alloc_calls());
	{
		std::lock_guard<std::mutex> l(m);
		go = true;
		cv.notify_all();
	}
	a.join();
	EXPECT_EQ(threads_before, host::counters::blocks()) << "the exited thread's block";
	EXPECT_EQ(kBlocks, host::live(DS_SITE_RESERVE)) << "folded at thread exit";
	EXPECT_EQ(kBlocks, host::alloc_calls());
	std::thread([&] { ds_pool_destroy(pool); }).join();
	EXPECT_EQ(0, host::live(DS_SITE_RESERVE));
	EXPECT_EQ(0, ds_live_allocations());
}

// Frames placed on several threads at once: counts exact afterwards,
// with no shared counter on the path (per-thread blocks, summed on read).
TEST_F(Counters, PlacementsAcrossThreads)
{
	constexpr int kThreads = 4, kCalls = 5000;
	constexpr size_t kBytes = 100;
	const Strategy s = Strategy::Cached;
	ds::stats_reset_cumulative();
	ds::StrategyCounters before{};
	ds::stats_snapshot(s, &before);
	ASSERT_EQ(0, before.live_frames);
	ASSERT_EQ(0, before.placements);
	std::vector<std::thread> threads;
	for (int t = 0; t < kThreads; t++)
		threads.emplace_back([&] {
			for (int i = 0; i < kCalls; i++) {
				ds::stats_on_place(s, kBytes);
				ds::stats_on_release(s, kBytes);
			}
		});
	for (auto &t : threads)
		t.join();
	ds::StrategyCounters after{};
	ds::stats_snapshot(s, &after);
	EXPECT_EQ(0, after.live_frames);
	EXPECT_EQ(0, after.live_bytes);
	EXPECT_EQ(long{kThreads} * kCalls, after.placements);
	EXPECT_EQ(0, after.heap_allocations) << "placing is not allocating";

	// One thread places, another releases: live counts balance exactly.
	std::thread([&] {
		for (int i = 0; i < 3; i++)
			ds::stats_on_place(s, kBytes);
	}).join();
	ds::stats_snapshot(s, &after);
	EXPECT_EQ(3, after.live_frames);
	EXPECT_EQ(3 * long{kBytes}, after.live_bytes);
	std::thread([&] {
		for (int i = 0; i < 3; i++)
			ds::stats_on_release(s, kBytes);
	}).join();
	ds::stats_snapshot(s, &after);
	EXPECT_EQ(0, after.live_frames);
	EXPECT_EQ(0, after.live_bytes);
	EXPECT_EQ(long{kThreads} * kCalls + 3, after.placements);
	ds::stats_reset_cumulative();
	ds::stats_snapshot(s, &after);
	EXPECT_EQ(0, after.placements);
}

// Heap blocks: counted always; the high-water mark only while tracked,
// and then it is the exact running maximum of the shared total.
TEST_F(Counters, HeapHighWaterOnlyWhileTracked)
{
	constexpr int kThreads = 4, kCalls = 5000;
	constexpr long kBytes = 100;
	const Strategy s = Strategy::Boxed;
	ds::stats_reset_cumulative();
	ds::StrategyCounters c{};
	ds::stats_on_heap(s, kBytes);
	ds::stats_snapshot(s, &c);
	EXPECT_EQ(1, c.heap_allocations);
	EXPECT_EQ(kBytes, c.heap_bytes);
	EXPECT_EQ(0, c.high_water_bytes) << "not tracked";

	ds::stats_track_high_water(true);
	ds::stats_snapshot(s, &c);
	EXPECT_EQ(kBytes, c.high_water_bytes) << "starts from what is held";
	std::vector<std::thread> threads;
	for (int t = 0; t < kThreads; t++)
		threads.emplace_back([&] {
			for (int i = 0; i < kCalls; i++) {
				ds::stats_on_heap(s, kBytes);
				ds::stats_on_heap(s, -kBytes);
			}
		});
	for (auto &t : threads)
		t.join();
	ds::stats_snapshot(s, &c);
	EXPECT_EQ(kBytes, c.heap_bytes);
	EXPECT_EQ(1 + long{kThreads} * kCalls, c.heap_allocations);
	EXPECT_GE(c.high_water_bytes, 2 * kBytes);
	EXPECT_LE(c.high_water_bytes, (1 + kThreads) * kBytes)
		<< "never more than one block per thread on top of the first";
	const long hw = c.high_water_bytes;
	std::thread([&] {
		for (int i = 0; i < 6; i++)
			ds::stats_on_heap(s, kBytes);
	}).join();
	ds::stats_snapshot(s, &c);
	EXPECT_EQ(std::max(hw, 7 * kBytes), c.high_water_bytes);
	for (int i = 0; i < 7; i++)
		ds::stats_on_heap(s, -kBytes);
	ds::stats_snapshot(s, &c);
	EXPECT_EQ(0, c.heap_bytes);
	ds::stats_reset_cumulative();
	ds::stats_snapshot(s, &c);
	EXPECT_EQ(0, c.heap_allocations);
	EXPECT_EQ(0, c.high_water_bytes) << "reset to what is held: nothing";
	ds::stats_track_high_water(false);
	ds::stats_snapshot(s, &c);
	EXPECT_EQ(0, c.high_water_bytes);
}

} // namespace
