// SPDX-License-Identifier: GPL-2.0
// The nth-sweep's logic (userspace/harness/sweep*.cpp) against a fake
// module: it passes a module that keeps every promise, with the allocation
// counts the fake's rules give, and it fails (with the right counter and a
// message naming the problem) a module that breaks any one of them.
#include <gtest/gtest.h>
#include <numeric>

#include "sweep_outcome.h"
#include "userspace/harness/names.h"

namespace {

using harness::ComboResult;
using harness::PathKind;
using harness::Shape;
using harness::SweepOptions;
using harness::SweepResult;

using fake::Outcome;
using fake::sweep;

SweepOptions options(std::vector<uint32_t> strategies, std::vector<Shape> shapes)
{
	SweepOptions o = harness::default_sweep_options();
	o.strategies = std::move(strategies);
	o.shapes = std::move(shapes);
	o.paths = { PathKind::kUring };
	o.leak_poll_ms = 0;
	return o;
}

Outcome sweep(const fake::Bugs &bugs, uint32_t strategy, Shape shape)
{
	return sweep(bugs, options({ strategy }, { shape }));
}

constexpr uint32_t kBoxed = DYNASYNC_STRATEGY_BOXED;
constexpr uint32_t kReserve = DYNASYNC_STRATEGY_RESERVE;

TEST(NthSweep, PassesACorrectModuleWithTheFakesAllocationCounts)
{
	SweepOptions opt = harness::default_sweep_options();
	opt.leak_poll_ms = 0;
	Outcome o = sweep(fake::Bugs{}, opt);
	ASSERT_TRUE(o.r.passed()) << o.all();
	ASSERT_EQ(o.r.combos.size(), 6u * 5u * 2u);
	uint64_t allocations = 0;
	for (const ComboResult &c : o.r.combos) {
		EXPECT_TRUE(c.complete);
		EXPECT_EQ(c.last_n, c.allocations + 1);
		allocations += c.allocations;
	}
	// See sweep_fake_module.h for the rules these follow.
	struct Want {
		uint32_t strategy;
		Shape shape;
		uint64_t allocations;
	};
	const Want want[] = {
		{ kBoxed, Shape::kFlat, 4 },
		{ DYNASYNC_STRATEGY_INLINE, Shape::kFlat, 2 },
		{ kReserve, Shape::kFlat, 16 },
		{ kBoxed, Shape::kNested, 21 },
		{ DYNASYNC_STRATEGY_INLINE, Shape::kNested, 5 },
		{ DYNASYNC_STRATEGY_MAYBE_BOXED, Shape::kNested, 17 },
		{ DYNASYNC_STRATEGY_CACHED, Shape::kNested, 9 },
		{ DYNASYNC_STRATEGY_TASK_STACK, Shape::kNested, 6 },
		{ kReserve, Shape::kNested, 43 },
		{ kBoxed, Shape::kConsuming, 3 },
		{ kBoxed, Shape::kAdapt, 3 },
		{ kBoxed, Shape::kImplTrait, 5 },
	};
	for (const Want &w : want) {
		const ComboResult *c = o.combo(w.strategy, w.shape);
		ASSERT_NE(c, nullptr);
		EXPECT_EQ(c->allocations, w.allocations)
			<< harness::strategy_name(w.strategy) << "/" << harness::shape_name(w.shape);
	}
	const harness::SweepTotals &t = o.r.totals;
	// Every n up to a shape's allocations injected exactly once.
	EXPECT_EQ(t.injected, allocations);
	EXPECT_EQ(t.ops, t.ok + t.enomem + t.absorbed);
	EXPECT_EQ(t.enomem + t.absorbed, t.injected);
	EXPECT_GT(t.absorbed, 0u);
	EXPECT_GT(t.sum_partial, 0u);
	EXPECT_EQ(t.lost + t.duplicated + t.leaked, 0u);
	EXPECT_EQ(harness::format_verdict(o.r).rfind("nth-sweep: PASS ops=", 0), 0u);
}

TEST(NthSweep, ReserveAbsorbsCallInjectionsAndOnlyCreationFails)
{
	Outcome o = sweep(fake::Bugs{}, options({ kReserve }, { Shape::kFlat }));
	ASSERT_TRUE(o.r.passed()) << o.all();
	// Two CREATEs of 1 + 1 + 4 allocations each fail; the 4 call
	// allocations are absorbed.
	EXPECT_EQ(o.r.totals.enomem, 12u);
	EXPECT_EQ(o.r.totals.absorbed, 4u);
	EXPECT_EQ(o.r.totals.injected, 16u);
}

TEST(NthSweep, ANextThatAdvancesOnFailureIsCaught)
{
	fake::Bugs b;
	b.next_advances_on_failure = true;
	Outcome o = sweep(b, kBoxed, Shape::kFlat);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("boxed/flat/uring n=2: NEXT: out.value: expected 10, got 11"))
		<< o.all();
	EXPECT_FALSE(o.combo(kBoxed, Shape::kFlat)->complete);
}

TEST(NthSweep, AnAugmentThatAddsOnFailureIsCaught)
{
	fake::Bugs b;
	b.augment_adds_on_failure = true;
	Outcome o = sweep(b, kBoxed, Shape::kAdapt);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("AUGMENT bolt: out.value (new total): expected 107, got 114"))
		<< o.all();
}

TEST(NthSweep, AWrongGearWeightIsCaught)
{
	fake::Bugs b;
	b.wrong_gear_weight = true;
	Outcome o = sweep(b, kBoxed, Shape::kAdapt);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("n=1: AUGMENT gear: out.value (new total): expected 120, got 119"))
		<< o.all();
}

TEST(NthSweep, ATransmitThatDeliversOnFailureIsCaught)
{
	fake::Bugs b;
	b.transmit_delivers_on_failure = true;
	Outcome o = sweep(b, kBoxed, Shape::kConsuming);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("TRANSMIT -ENOMEM changed STATS: sink_total 0 -> 1005")) << o.all();
}

TEST(NthSweep, AComponentsObjectLeftByAFailureIsCaught)
{
	fake::Bugs b;
	b.components_object_on_failure = true;
	Outcome o = sweep(b, kBoxed, Shape::kImplTrait);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("COMPONENTS -ENOMEM left STATS.objects at 2, was 1")) << o.all();
}

TEST(NthSweep, ACreateThatTakesTheInnerOnFailureIsCaught)
{
	fake::Bugs b;
	b.create_takes_inner_on_failure = true;
	Outcome o = sweep(b, kBoxed, Shape::kNested);
	EXPECT_FALSE(o.r.passed());
	// n=2 fails the first MAP's CREATE, which took the counter with it.
	EXPECT_TRUE(o.mentions("boxed/nested/uring n=2: CREATE map: -ENOMEM left STATS.objects "
			       "at 0, was 1"))
		<< o.all();
}

TEST(NthSweep, ASumThatLosesTheFailingItemIsCaught)
{
	fake::Bugs b;
	b.sum_loses_failing_item = true;
	Outcome o = sweep(b, kBoxed, Shape::kNested);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("SUM after -ENOMEM: no count of items")) << o.all();
}

TEST(NthSweep, ASwallowedInjectionIsCaught)
{
	fake::Bugs b;
	b.swallow_injection = true;
	Outcome o = sweep(b, kBoxed, Shape::kFlat);
	EXPECT_FALSE(o.r.passed());
	// n=2: the first NEXT's bookkeeping.
	EXPECT_TRUE(o.mentions("n=2: NEXT succeeded although 1 allocation(s) were injected"))
		<< o.all();
}

TEST(NthSweep, AnUnexplainedEnomemIsCaught)
{
	fake::Bugs b;
	b.no_out_counts = true;
	Outcome o = sweep(b, kBoxed, Shape::kFlat);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("n=2: NEXT: -ENOMEM with out.injected 0 and out.alloc_failed 0"))
		<< o.all();
}

TEST(NthSweep, AReserveThatDoesNotAbsorbIsCaught)
{
	fake::Bugs b;
	b.reserve_does_not_absorb = true;
	Outcome o = sweep(b, kReserve, Shape::kFlat);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("reserve/flat/uring n=7: NEXT: -ENOMEM on a RESERVE object"))
		<< o.all();
}

TEST(NthSweep, ALeakIsCaughtAndLaterRunsAreJudgedOnTheirOwn)
{
	fake::Bugs b;
	b.leak_frame_on_failure = true;
	Outcome o = sweep(b, options({ kBoxed, DYNASYNC_STRATEGY_MAYBE_BOXED }, { Shape::kNested }));
	EXPECT_FALSE(o.r.passed());
	// n=6: a nested NEXT's inner frame failed after its outer frame was
	// taken (a call's bookkeeping is in the object: no allocation).
	EXPECT_TRUE(o.mentions("boxed/nested/uring n=6: after DESTROY of every object and close: "
			       "live_allocs[frame] 1"))
		<< o.all();
	// The next strategy is judged from the leaked baseline: it is
	// reported for its own leak, not for the first one.
	EXPECT_TRUE(o.mentions("maybe-boxed/nested/uring n=6: after DESTROY of every object and "
			       "close: live_allocs[frame] 2 (baseline 1)"))
		<< o.all();
	EXPECT_EQ(o.r.totals.leaked, 2u);
}

TEST(NthSweep, LostAndDuplicatedCompletionsAreCaught)
{
	fake::Bugs lose;
	lose.lose_completion = true;
	Outcome o = sweep(lose, kBoxed, Shape::kFlat);
	EXPECT_FALSE(o.r.passed());
	EXPECT_EQ(o.r.totals.lost, 1u);
	EXPECT_TRUE(o.mentions("NEXT: no completion (lost)")) << o.all();

	fake::Bugs dup;
	dup.duplicate_completion = true;
	o = sweep(dup, kBoxed, Shape::kFlat);
	EXPECT_EQ(o.r.totals.duplicated, 1u);
	EXPECT_TRUE(o.mentions("NEXT: 2 completions, 2 with its user_data")) << o.all();

	fake::Bugs late;
	late.late_duplicate = true;
	o = sweep(late, kBoxed, Shape::kFlat);
	EXPECT_EQ(o.r.totals.duplicated, 2u);	// both NEXTs of n=1
	EXPECT_TRUE(o.mentions("2 completion(s) arrived after their call's")) << o.all();
	EXPECT_EQ(harness::format_verdict(o.r).rfind("nth-sweep: FAIL ", 0), 0u);
}

TEST(NthSweep, AnInjectionNoOpReportedIsCaught)
{
	fake::Bugs b;
	b.destroy_allocates = true;
	Outcome o = sweep(b, kBoxed, Shape::kFlat);
	EXPECT_FALSE(o.r.passed());
	// The 5th candidate is DESTROY's, after the shape's 4.
	EXPECT_TRUE(o.mentions("n=5: FAULT_GET counted 1 injection(s), the ops reported 0"))
		<< o.all();
}

TEST(NthSweep, TheCapIsAViolation)
{
	SweepOptions opt = options({ kBoxed }, { Shape::kNested });
	opt.max_n = 5;
	Outcome o = sweep(fake::Bugs{}, opt);
	EXPECT_FALSE(o.r.passed());
	EXPECT_TRUE(o.mentions("boxed/nested/uring: still injecting at nth 5 (the cap)")) << o.all();
	EXPECT_EQ(o.r.combos[0].last_n, 5u);
}

TEST(NthSweep, TableHasARowPerStrategyAndPath)
{
	SweepOptions opt = options({ kBoxed, DYNASYNC_STRATEGY_INLINE }, { Shape::kFlat, Shape::kAdapt });
	opt.paths = { PathKind::kUring, PathKind::kIoctl };
	Outcome o = sweep(fake::Bugs{}, opt);
	ASSERT_TRUE(o.r.passed()) << o.all();
	EXPECT_EQ(harness::format_table(o.r, opt),
		  "allocations per strategy x path x shape (each swept with n = 1 .. allocations + 1):\n"
		  "strategy    path    flat  adapt\n"
		  "boxed       uring      4      3\n"
		  "boxed       ioctl      4      3\n"
		  "inline      uring      2      1\n"
		  "inline      ioctl      2      1\n");
}

TEST(NthSweepOptions, ParsesListsAndRejectsUnknownNames)
{
	SweepOptions o = harness::default_sweep_options();
	const char *argv[] = { "--strategies", "task_stack,reserve", "--shapes", "impl-trait,flat",
			       "--path", "ioctl", "--max-n", "50", "--verbose" };
	std::string err;
	ASSERT_TRUE(harness::parse_sweep_options(9, const_cast<char **>(argv), o, err)) << err;
	EXPECT_EQ(o.strategies, (std::vector<uint32_t>{ DYNASYNC_STRATEGY_TASK_STACK, kReserve }));
	EXPECT_EQ(o.shapes, (std::vector<Shape>{ Shape::kImplTrait, Shape::kFlat }));
	EXPECT_EQ(o.paths, (std::vector<PathKind>{ PathKind::kIoctl }));
	EXPECT_EQ(o.max_n, 50u);
	EXPECT_TRUE(o.verbose);

	const char *bad_shape[] = { "--shapes", "flat,round" };
	EXPECT_FALSE(harness::parse_sweep_options(2, const_cast<char **>(bad_shape), o, err));
	EXPECT_EQ(err, "unknown shape 'round'");
	const char *bad_path[] = { "--path", "pigeon" };
	EXPECT_FALSE(harness::parse_sweep_options(2, const_cast<char **>(bad_path), o, err));
	const char *no_list[] = { "--strategies" };
	EXPECT_FALSE(harness::parse_sweep_options(1, const_cast<char **>(no_list), o, err));
	EXPECT_EQ(err, "--strategies needs a list");
	const char *zero[] = { "--max-n", "0" };
	EXPECT_FALSE(harness::parse_sweep_options(2, const_cast<char **>(zero), o, err));
}

} // namespace
