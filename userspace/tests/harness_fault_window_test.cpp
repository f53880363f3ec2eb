// SPDX-License-Identifier: GPL-2.0
// --fault-window's bookkeeping (userspace/harness/workload_fault.cpp):
// when the policy is armed and disarmed, and what counts as recovered.
#include <cerrno>
#include <cstdint>
#include <gtest/gtest.h>

#include "userspace/harness/workload_fault.h"

namespace {

using harness::FaultWindow;
using Phase = FaultWindow::Phase;

TEST(HarnessFaultWindow, ArmsAtStartDisarmsAtEndAndSubmissionsStopAtEdges)
{
	FaultWindow w(10, 20);
	EXPECT_FALSE(w.arm_before(0));
	EXPECT_FALSE(w.arm_before(9));
	EXPECT_EQ(10u, w.room(0));
	EXPECT_EQ(1u, w.room(9));
	EXPECT_TRUE(w.arm_before(10));
	EXPECT_FALSE(w.disarm_before(20));	// not armed yet
	w.armed();
	EXPECT_EQ(Phase::kArmed, w.phase());
	EXPECT_FALSE(w.arm_before(10));
	EXPECT_EQ(10u, w.room(10));
	EXPECT_EQ(1u, w.room(19));
	EXPECT_FALSE(w.disarm_before(19));
	EXPECT_TRUE(w.disarm_before(20));
	EXPECT_FALSE(w.disarmed_in_run());
	w.disarmed(20, 0, 21);
	EXPECT_TRUE(w.disarmed_in_run());
	EXPECT_FALSE(w.disarm_before(20));
	EXPECT_EQ(UINT64_MAX - 20, w.room(20));	// no edge left
}

TEST(HarnessFaultWindow, RecoveredOnceEveryCallFromBeforeTheDisarmCompleted)
{
	FaultWindow w(0, 100);
	w.armed();
	// Calls 98..100 (seq 99..101) in flight; the next call gets seq 102.
	w.disarmed(100, 3, 102);
	EXPECT_EQ(Phase::kDraining, w.phase());
	w.call_completed(99, true, 102);
	w.call_completed(102, false, 104);	// submitted after the disarm
	w.call_completed(100, true, 104);
	w.create_done(true);			// not after recovery: not counted
	EXPECT_EQ(Phase::kDraining, w.phase());
	w.call_completed(101, false, 106);	// the last one: recovered
	EXPECT_EQ(Phase::kRecovered, w.phase());
	EXPECT_FALSE(w.recovered_cleanly());	// no call after recovery yet
	w.call_completed(103, true, 106);	// submitted before recovery
	w.call_completed(106, false, 107);
	w.call_completed(107, false, 108);
	w.create_done(false);
	EXPECT_TRUE(w.recovered_cleanly());

	const FaultWindow::Recovery &r = w.recovery();
	EXPECT_EQ(100u, r.disarmed_at);
	EXPECT_EQ(3u, r.inflight_at_disarm);
	EXPECT_EQ(3u, r.completions_to_recover);
	EXPECT_EQ(2u, r.calls_between);		// seq 102 and 103
	EXPECT_EQ(1u, r.failed_between);
	EXPECT_EQ(2u, r.calls_after);
	EXPECT_EQ(0u, r.failed_after);
	EXPECT_EQ(1u, r.creates_after);
	EXPECT_EQ(0u, r.create_failures_after);
}

TEST(HarnessFaultWindow, AFailureAfterRecoveryIsNotClean)
{
	FaultWindow calls(0, 5);
	calls.armed();
	calls.disarmed(5, 0, 6);	// the ioctl path: nothing in flight
	EXPECT_EQ(Phase::kRecovered, calls.phase());
	calls.call_completed(6, false, 7);
	EXPECT_TRUE(calls.recovered_cleanly());
	calls.call_completed(7, true, 8);
	EXPECT_FALSE(calls.recovered_cleanly());
	EXPECT_EQ(1u, calls.recovery().failed_after);

	FaultWindow creates(0, 5);
	creates.armed();
	creates.disarmed(5, 0, 6);
	creates.call_completed(6, false, 7);
	creates.create_done(true);
	EXPECT_FALSE(creates.recovered_cleanly());
	EXPECT_EQ(1u, creates.recovery().create_failures_after);
}

TEST(HarnessFaultWindow, OpenEndedAndDisabledWindows)
{
	FaultWindow open(0, UINT64_MAX);
	EXPECT_TRUE(open.arm_before(0));
	open.armed();
	EXPECT_FALSE(open.disarm_before(UINT64_MAX - 1));
	EXPECT_EQ(UINT64_MAX - 1000, open.room(1000));

	FaultWindow late(7, UINT64_MAX);
	EXPECT_EQ(7u, late.room(0));

	// What a run without --fault uses: never armed, no edges.
	FaultWindow off(UINT64_MAX, UINT64_MAX);
	EXPECT_FALSE(off.arm_before(UINT64_MAX - 1));
	EXPECT_EQ(UINT64_MAX, off.room(0));
	off.call_completed(1, true, 2);
	off.create_done(true);
	EXPECT_EQ(Phase::kBefore, off.phase());
	EXPECT_EQ(0u, off.recovery().calls_after);
}

} // namespace
