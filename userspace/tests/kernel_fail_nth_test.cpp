// SPDX-License-Identifier: GPL-2.0
// The kernel fail-nth sweep (`dynasync sweep --kernel-fail-nth`) against
// the fake module's simulated /proc/thread-self/fail-nth: every op of every
// shape swept through all its fault points, the module's allocations each
// failed at both of their points, and a module or call path that breaks a
// promise under it caught with a message naming the problem.
#include <gtest/gtest.h>

#include "sweep_outcome.h"
#include "userspace/harness/names.h"

namespace {

using harness::ComboResult;
using harness::PathKind;
using harness::Shape;
using harness::SweepOptions;
using harness::SweepResult;

constexpr uint32_t kBoxed = DYNASYNC_STRATEGY_BOXED;
constexpr uint32_t kReserve = DYNASYNC_STRATEGY_RESERVE;

using fake::Outcome;
using fake::sweep;

SweepOptions kernel_options(std::vector<uint32_t> strategies, std::vector<Shape> shapes,
			    std::vector<PathKind> paths = { PathKind::kUring })
{
	SweepOptions o = harness::default_sweep_options();
	o.kernel_fail_nth = true;
	o.strategies = std::move(strategies);
	o.shapes = std::move(shapes);
	o.paths = std::move(paths);
	o.leak_poll_ms = 0;
	return o;
}

TEST(KernelFailNth, SweepsEveryOpOfEveryShapeThroughAllItsFaultPoints)
{
	SweepOptions opt = kernel_options({}, {}, { PathKind::kUring, PathKind::kIoctl });
	opt.strategies = harness::default_sweep_options().strategies;
	opt.shapes = harness::default_sweep_options().shapes;
	Outcome o = sweep(fake::Bugs{}, opt);
	ASSERT_TRUE(o.r.passed()) << o.all();
	ASSERT_EQ(o.r.combos.size(), 6u * 5u * 2u);
	for (const ComboResult &c : o.r.combos) {
		EXPECT_TRUE(c.complete);
		// The fake's module allocations have two fault points each, and
		// an io_uring call one more.
		EXPECT_GE(c.points, 2 * c.module_allocs);
		EXPECT_EQ(c.hit_dynasync, c.module_allocs);
		EXPECT_EQ(c.hit_slab, c.module_allocs);
		EXPECT_GT(c.ops_swept, 0u);
	}
	const harness::SweepTotals &t = o.r.totals;
	EXPECT_EQ(t.ops, t.ok + t.enomem + t.absorbed);
	EXPECT_GT(t.absorbed, 0u);	// RESERVE's pool
	EXPECT_EQ(t.lost + t.duplicated + t.leaked, 0u);
	EXPECT_EQ(harness::format_verdict(o.r, true).rfind("kernel-fail-nth: PASS ops=", 0), 0u);
}

TEST(KernelFailNth, CountsOpsPointsAndAllocationsOfTheFlatShape)
{
	// flat: CREATE counter (1 allocation), NEXT (its frame; the call's
	// bookkeeping is in the object), CREATE ticker (1), NEXT (1): 4 ops,
	// 4 allocations, 8 fault points, plus io_uring's request per call on
	// that path.
	SweepOptions opt = kernel_options({ kBoxed }, { Shape::kFlat },
					  { PathKind::kUring, PathKind::kIoctl });
	Outcome o = sweep(fake::Bugs{}, opt);
	ASSERT_TRUE(o.r.passed()) << o.all();
	ASSERT_EQ(o.r.combos.size(), 2u);
	EXPECT_EQ(o.r.combos[0].ops_swept, 4u);
	EXPECT_EQ(o.r.combos[0].module_allocs, 4u);
	EXPECT_EQ(o.r.combos[0].points, 10u);
	EXPECT_EQ(o.r.combos[1].points, 8u);
	EXPECT_EQ(harness::format_table(o.r, opt),
		  "ops/fault points/module allocations per strategy x path x shape (each op swept "
		  "with fail-nth = 1 .. its fault points + 1):\n"
		  "strategy    path      flat\n"
		  "boxed       uring   4/10/4\n"
		  "boxed       ioctl    4/8/4\n");
}

TEST(KernelFailNth, ARefusedSubmissionIsRetriedAndADoubleCompletionCaught)
{
	// Failing io_uring's request refuses the submission (-EAGAIN): the
	// op is made again, and the ioctl path has no such point.
	Outcome o = sweep(fake::Bugs{}, kernel_options({ kBoxed }, { Shape::kFlat }));
	ASSERT_TRUE(o.r.passed()) << o.all();

	fake::Bugs b;
	b.uring_failure_runs_call = true;
	o = sweep(b, kernel_options({ kBoxed }, { Shape::kFlat }));
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("boxed/flat/uring op=1 fail-nth=1: NEXT: 2 completions, 2 with its "
			       "user_data"))
		<< o.all();
}

TEST(KernelFailNth, CatchesSideEffectsAndLeaksOfFailedOps)
{
	struct Case {
		const char *name;
		void (*set)(fake::Bugs &);
		Shape shape;
		const char *message;
	};
	const Case cases[] = {
		{ "next advances", [](fake::Bugs &b) { b.next_advances_on_failure = true; },
		  Shape::kFlat, "NEXT: " },
		{ "augment adds", [](fake::Bugs &b) { b.augment_adds_on_failure = true; },
		  Shape::kAdapt, "AUGMENT bolt: " },
		{ "transmit delivers", [](fake::Bugs &b) { b.transmit_delivers_on_failure = true; },
		  Shape::kConsuming, "TRANSMIT -ENOMEM changed STATS" },
		{ "leaked frame", [](fake::Bugs &b) { b.leak_frame_on_failure = true; },
		  Shape::kNested, "after DESTROY of every object and close: live_allocs[" },
		{ "swallowed injection", [](fake::Bugs &b) { b.swallow_injection = true; },
		  Shape::kFlat, "succeeded although 1 allocation(s) were injected" },
	};
	for (const Case &c : cases) {
		fake::Bugs b;
		c.set(b);
		Outcome o = sweep(b, kernel_options({ kBoxed }, { c.shape }));
		EXPECT_FALSE(o.r.passed()) << c.name;
		EXPECT_TRUE(o.mentions(c.message)) << c.name << ":\n" << o.all();
	}
}

TEST(KernelFailNth, AnAllocationOutOfTheTasksReachIsACoverageGap)
{
	fake::Bugs b;
	b.alloc_outside_task = true;
	Outcome o = sweep(b, kernel_options({ kBoxed }, { Shape::kFlat }));
	EXPECT_FALSE(o.r.passed());
	// CREATE's object allocation is the one out of reach here.
	EXPECT_TRUE(o.mentions("boxed/flat/uring op=0: the op makes 1 module allocation(s) "
			       "fault-free, but the sweep failed 0 at fail_dynasync and 0 after it "
			       "(expected 1 and 1) in each of 3 passes"))
		<< o.all();
}

TEST(KernelFailNth, WithoutTheCoverageCheckAGapPassesButOutcomesAreStillChecked)
{
	fake::Bugs b;
	b.alloc_outside_task = true;
	SweepOptions opt = kernel_options({ kBoxed }, { Shape::kFlat });
	opt.slab_points = 0;
	Outcome o = sweep(b, opt);
	EXPECT_TRUE(o.r.passed()) << o.all();
	b.next_advances_on_failure = true;
	o = sweep(b, opt);
	EXPECT_FALSE(o.r.passed());
}

TEST(KernelFailNth, ReserveAbsorbsTheModulesFailuresButNotIoUrings)
{
	Outcome o = sweep(fake::Bugs{}, kernel_options({ kReserve }, { Shape::kNested }));
	ASSERT_TRUE(o.r.passed()) << o.all();
	EXPECT_GT(o.r.totals.absorbed, 0u);
	fake::Bugs b;
	b.reserve_does_not_absorb = true;
	o = sweep(b, kernel_options({ kReserve }, { Shape::kFlat }));
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("-ENOMEM on a RESERVE object")) << o.all();
}

TEST(KernelFailNth, TheCapIsAViolation)
{
	SweepOptions opt = kernel_options({ kBoxed }, { Shape::kFlat });
	opt.max_n = 3;
	Outcome o = sweep(fake::Bugs{}, opt);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("boxed/flat/uring op=1: still injecting at fail-nth 3 (the cap)"))
		<< o.all();
}

TEST(KernelFailNth, WithoutFailNthTheSweepStopsAtOnce)
{
	struct NoFailNth final : harness::SweepEnv {
		fake::Module m;
		fake::Env inner{ m };
		std::unique_ptr<harness::SweepFile> open(PathKind p, std::string &e) override
		{
			return inner.open(p, e);
		}
		int module_stats(dynasync_stats &s) override { return inner.module_stats(s); }
		void pause() override {}
	} env;
	Outcome o;
	harness::SweepSinks sinks;
	sinks.violation = [&](const std::string &v) { o.violations.push_back(v); };
	o.r = harness::run_sweep(env, kernel_options({ kBoxed }, { Shape::kFlat }), sinks);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("boxed/flat/uring op=0 fail-nth=1: arming fail-nth 1: -EOPNOTSUPP"))
		<< o.all();
	EXPECT_EQ(o.violations.size(), 1u) << o.all();
}

TEST(KernelFailNthOptions, TheFlagSelectsTheKernelSweep)
{
	SweepOptions o = harness::default_sweep_options();
	EXPECT_FALSE(o.kernel_fail_nth);
	EXPECT_EQ(o.slab_points, 1u);
	const char *argv[] = { "--kernel-fail-nth", "--path", "ioctl", "--slab-points", "0" };
	std::string err;
	ASSERT_TRUE(harness::parse_sweep_options(5, const_cast<char **>(argv), o, err)) << err;
	EXPECT_TRUE(o.kernel_fail_nth);
	EXPECT_EQ(o.slab_points, 0u);
	const char *bad[] = { "--slab-points", "9" };
	EXPECT_FALSE(harness::parse_sweep_options(2, const_cast<char **>(bad), o, err));
	EXPECT_EQ(o.paths, (std::vector<PathKind>{ PathKind::kIoctl }));
}

} // namespace
