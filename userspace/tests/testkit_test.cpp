// SPDX-License-Identifier: GPL-2.0
// The host test kit's own behaviour (userspace/testkit): run() always
// completes (a task left waiting is cancelled), drive() reaches timers of
// any distance, Outcome<void>, and sweep_fail_nth's count of allocation
// points and its leak check.
#include <gtest/gtest-spi.h>

#include "dynasync/testkit.hpp"
#include "rt/event.hpp"
#include "rt/sleep.hpp"
#include "rt/worker_hop.hpp"

namespace {

using ds::Future;
using ds::Storage;

struct Guard {
	int *dtors;
	~Guard() { ++*dtors; }
};

Future<int> wait_forever(ds::Event &e, Storage &, int *dtors)
{
	Guard g{dtors};
	co_await e.wait();
	co_return ds::Ok{1};
}

Future<void> sleep_long(Storage &)
{
	co_await ds::sleep_for(5ull * 1000 * 1000 * 1000); // 5 s of fake time
}

Future<int> leaf(Storage &, int v)
{
	co_await ds::ResumeOnWorker{};
	co_return ds::Ok{v};
}

Future<int> two_leaves(Storage &s)
{
	DS_CO_TRY(int a, co_await leaf(s, 1));
	DS_CO_TRY(int b, co_await leaf(s, 2));
	co_return ds::Ok{a + b};
}

using TestkitTest = ds::test::Test;

TEST_F(TestkitTest, RunCancelsATaskLeftWaiting)
{
	ds::Boxed boxed;
	ds::Event never;
	int dtors = 0;
	ds::test::Outcome<int> o = ds::test::run(wait_forever(never, boxed, &dtors));
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_ECANCELED, o.err);
	EXPECT_FALSE(o.ok());
	EXPECT_EQ(1, dtors) << "the frame was destroyed";
}

TEST_F(TestkitTest, DriveReachesDistantTimers)
{
	ds::Boxed boxed;
	ds::test::Outcome<void> o = ds::test::run(sleep_long(boxed));
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(0, o.err);
	EXPECT_TRUE(o.ok());
}

TEST_F(TestkitTest, SweepCountsEveryAllocationPoint)
{
	ds::Boxed boxed;
	long injected_runs = 0;
	long points = ds::test::sweep_fail_nth(
		[&] { return two_leaves(boxed); },
		[&](long n, const ds::test::Outcome<int> &o, bool injected) {
			if (injected) {
				injected_runs++;
				EXPECT_EQ(-DS_ENOMEM, o.err) << n;
			} else {
				EXPECT_EQ(3, o.value);
			}
		});
	// two_leaves' frame, the task header, two leaf frames.
	EXPECT_EQ(4, points);
	EXPECT_EQ(4, injected_runs);

	// Frame-free: nothing to fail, the first run is complete.
	points = ds::test::sweep_fail_nth(
		[&] { return Future<int>::ready(ds::Ok{7}); },
		[&](long, const ds::test::Outcome<int> &o, bool injected) {
			EXPECT_FALSE(injected);
			EXPECT_EQ(7, o.value);
		});
	EXPECT_EQ(0, points);
}

// Run n=2 leaves a block behind (freed again by its check, which runs
// after the sweep's own checks): exactly one failure, naming n=2.
void sweep_a_leak()
{
	ds::Boxed boxed;
	long run = 0;
	void *leaked = nullptr;
	ds::test::sweep_fail_nth(
		[&] {
			if (++run == 2)
				leaked = ds_alloc(32, 8, DS_GFP_KERNEL, DS_SITE_OBJECT, nullptr);
			return two_leaves(boxed);
		},
		[&](long, const ds::test::Outcome<int> &, bool) {
			if (leaked)
				ds_free(leaked, 32, DS_SITE_OBJECT, nullptr);
			leaked = nullptr;
		});
}

TEST_F(TestkitTest, SweepReportsALeakWithItsN)
{
	EXPECT_NONFATAL_FAILURE(sweep_a_leak(), "fail-nth n=2");
}

} // namespace
