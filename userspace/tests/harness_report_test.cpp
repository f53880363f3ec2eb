// SPDX-License-Identifier: GPL-2.0
// The --verdict line (userspace/harness/report.cpp): scenario scripts
// parse it, so its format is a contract.
#include <cerrno>
#include <gtest/gtest.h>

#include "userspace/harness/report.h"

namespace {

using harness::RunReport;
using harness::leaked;
using harness::verdict_line;

RunReport passing()
{
	RunReport r;
	r.checks.push_back({ "exactly-once", true, "" });
	return r;
}

TEST(HarnessReport, VerdictLineCountsEveryOutcome)
{
	RunReport r = passing();
	r.completed = 100;
	r.outcomes[0] = 90;
	r.outcomes[ENOMEM] = 7;
	r.outcomes[ETIMEDOUT] = 1;
	r.outcomes[ENOENT] = 2;
	r.fault.final_state.injected[DYNASYNC_SITE_FRAME] = 5;
	r.fault.final_state.injected[DYNASYNC_SITE_RESERVE] = 4;
	r.fault.final_state.failed[DYNASYNC_SITE_FRAME] = 100;	// real failures: not injected
	EXPECT_EQ("soak-uring: PASS ops=100 injected=9 ok=90 ENOMEM=7 ENOENT=2 ETIMEDOUT=1 "
		  "lost=0 duplicated=0 leaked=0",
		  verdict_line(r, "soak-uring"));
}

TEST(HarnessReport, VerdictLineAlwaysNamesOkAndEnomem)
{
	RunReport r = passing();
	EXPECT_EQ("x: PASS ops=0 injected=0 ok=0 ENOMEM=0 lost=0 duplicated=0 leaked=0",
		  verdict_line(r, "x"));
}

TEST(HarnessReport, VerdictFailsOnAnyViolation)
{
	RunReport r = passing();
	r.completed = 10;
	r.outcomes[0] = 10;
	r.missing = 2;
	r.duplicates = 1;
	r.unknown = 1;	// a completion for no call: extra too
	r.stats_after.objects = 1;
	r.stats_after.live_allocs[DYNASYNC_SITE_TASK] = 2;
	r.stats_after.strategy[DYNASYNC_STRATEGY_INLINE].live_frames = 3;
	r.stats_after.strategy[DYNASYNC_STRATEGY_INLINE].live_bytes = 4096;	// bytes: not counted
	r.checks.push_back({ "teardown", false, "" });
	EXPECT_EQ(6u, leaked(r.stats_after));
	EXPECT_EQ("storm: FAIL ops=10 injected=0 ok=10 ENOMEM=0 lost=2 duplicated=2 leaked=6",
		  verdict_line(r, "storm"));

	RunReport f = passing();
	f.failure_count = 1;	// a failure without a failed check still fails
	EXPECT_EQ(0u, verdict_line(f, "n").find("n: FAIL "));
	RunReport none;		// no check ran at all (setup never started)
	EXPECT_EQ(0u, verdict_line(none, "n").find("n: FAIL "));
}

} // namespace
