// SPDX-License-Identifier: GPL-2.0
// The device's object and call layer (kmod/ops/object.cpp, call_op.cpp) on
// the userspace platform: what the C glue relies on. One report per call
// (inline or complete() once), deadlines, errnos per strategy, no partial
// side effects on allocation failure, nothing left allocated.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "fixture.h"
#include "ops/objects.h"
#include "rt/stats.hpp"

namespace {

constexpr uint64_t kSecond = 1000000000;

struct Params {
	unsigned int trait = DS_TRAIT_ITERATOR;
	unsigned int impl = DS_IMPL_COUNTER;
	ds_object *inner[2] = {};
	uint64_t p0 = 0, p1 = 0;
	unsigned int strategy = DS_STRATEGY_BOXED;
	unsigned int slot = 0, stack = 0, reserve = 0;
};

int create(const Params &q, ds_object **out)
{
	ds_object_params p{};
	p.trait = q.trait;
	p.impl = q.impl;
	p.inner[0] = q.inner[0];
	p.inner[1] = q.inner[1];
	p.param[0] = q.p0;
	p.param[1] = q.p1;
	p.strategy = q.strategy;
	p.slot_size = q.slot;
	p.task_stack_size = q.stack;
	p.reserve_frames = q.reserve;
	return ds_object_create(&p, out);
}

// The storage parameters each strategy needs to be valid.
Params with_strategy(Params q, unsigned int s)
{
	q.strategy = s;
	if (s == DS_STRATEGY_TASK_STACK)
		q.stack = 4096;
	if (s == DS_STRATEGY_RESERVE)
		q.reserve = 4;
	return q;
}

ds_object *must_create(const Params &q)
{
	ds_object *o = nullptr;
	EXPECT_EQ(0, create(q, &o));
	return o;
}

struct Outcome {
	bool inline_done = false;
	int completions = 0;
	int res = 0;
	uint64_t value = 0;
	unsigned int flags = 0;
	ds_object *new_obj = nullptr;
	unsigned int injected = 0;	// failures the platform injected for the call
	unsigned int alloc_failed = 0;
	unsigned int cancelled = 0;
};

// What the glue does for one call: borrow, start, wait (driving the fake
// clock and the executor), read, free. @interrupt_after_ns: @stop the
// call (ds_call_interrupt, ds_call_cancel) once that much fake time passed.
Outcome call(ds_object *o, unsigned int method, uint64_t a0 = 0, uint64_t a1 = 0,
	     uint64_t deadline_ns = kSecond, uint64_t interrupt_after_ns = 0,
	     void (*stop)(ds_call *) = ds_call_interrupt)
{
	Outcome out;
	if (!ds_object_try_borrow(o)) {
		out.res = -EBUSY;
		out.inline_done = true;
		return out;
	}
	ds_object_get(o);
	ds_call *c = nullptr;
	int err = ds_call_alloc(o, method, &c);
	if (err) {
		ds_object_op_counts(o, &out.injected, &out.alloc_failed);
		ds_object_unborrow(o);
		ds_object_put(o);
		out.res = err;
		out.inline_done = true;
		return out;
	}
	ds_sink sink{};
	c->method = method;
	c->arg[0] = a0;
	c->arg[1] = a1;
	c->deadline_ns = deadline_ns;
	c->sink = &sink;
	c->glue = &out.completions;
	c->complete = [](ds_call *cc) { ++*static_cast<int *>(cc->glue); };
	if (ds_call_start(c) == 0) {
		out.inline_done = true;
		EXPECT_TRUE(ds_object_borrowed(o)) << "held until ds_call_free";
	} else {
		uint64_t t = 0;
		for (int i = 0; i < 100000 && !out.completions; i++) {
			host::run_pending();
			if (out.completions)
				break;
			host::advance_time(10000);
			t += 10000;
			if (interrupt_after_ns && t >= interrupt_after_ns) {
				stop(c);
				interrupt_after_ns = 0;
			}
		}
		host::run_pending();
		EXPECT_EQ(1, out.completions);
	}
	out.res = c->res;
	out.value = c->value;
	out.flags = c->out_flags;
	out.new_obj = c->new_obj;
	out.injected = c->injected;
	out.alloc_failed = c->alloc_failed;
	out.cancelled = c->cancelled;
	ds_call_free(c);
	EXPECT_FALSE(ds_object_borrowed(o)) << "given back by ds_call_free, before the report";
	return out;
}

class CallTest : public RuntimeTest {
protected:
	void SetUp() override
	{
		RuntimeTest::SetUp();
		ds_objects_init();
	}
	void TearDown() override
	{
		for (ds_object *o : objs_)
			ds_object_put(o);
		EXPECT_EQ(0, ds_objects_live());
		RuntimeTest::TearDown();
	}
	ds_object *own(ds_object *o)
	{
		objs_.push_back(o);
		return o;
	}
	std::vector<ds_object *> objs_;
};

TEST_F(CallTest, ReadyAtOnceCallCompletesInlineWithNothingQueued)
{
	ds_object *c = own(must_create({.p0 = 10, .p1 = 2}));
	Outcome a = call(c, DS_METHOD_NEXT);
	EXPECT_TRUE(a.inline_done);
	EXPECT_EQ(0, a.completions);
	EXPECT_EQ(1, a.res);
	EXPECT_EQ(10u, a.value);
	EXPECT_EQ(0u, host::pending());
	EXPECT_EQ(11u, call(c, DS_METHOD_NEXT).value);
	Outcome end = call(c, DS_METHOD_NEXT);
	EXPECT_EQ(0, end.res);
	EXPECT_EQ(unsigned(DS_OUT_F_END), end.flags);
}

TEST_F(CallTest, SuspendingCallCompletesExactlyOnceLater)
{
	ds_object *t = own(must_create({.impl = DS_IMPL_TICKER, .p0 = 50000, .p1 = 3}));
	Outcome a = call(t, DS_METHOD_NEXT);
	EXPECT_FALSE(a.inline_done);
	EXPECT_EQ(1, a.completions);
	EXPECT_EQ(1, a.res);
	EXPECT_EQ(0u, a.value);
	EXPECT_EQ(0u, host::armed_timers()) << "deadline timer left armed";
}

// The tracepoints' hook (kmod/dynasync_trace.h): a call's task reports its
// call with every suspension and resumption, a ready call reports nothing,
// and nothing is reported while tracing is off.
TEST_F(CallTest, CallTasksReportSuspendThenResumeToTheTraceHook)
{
	ds_object *c = own(must_create({.p0 = 1, .p1 = 5}));
	ds_object *t = own(must_create({.impl = DS_IMPL_TICKER, .p0 = 50000, .p1 = 3}));
	host::trace_tasks(true);
	EXPECT_TRUE(call(c, DS_METHOD_NEXT).inline_done);
	EXPECT_TRUE(host::take_trace().empty()) << "a ready call has no task events";
	EXPECT_EQ(1, call(t, DS_METHOD_NEXT).res);
	std::vector<host::TraceEvent> ev = host::take_trace();
	ASSERT_EQ(2u, ev.size());
	EXPECT_EQ(unsigned(DS_TRACE_SUSPEND), ev[0].event);
	EXPECT_EQ(unsigned(DS_TRACE_RESUME), ev[1].event);
	EXPECT_NE(nullptr, ev[0].cookie);
	EXPECT_EQ(ev[0].cookie, ev[1].cookie);
	// Cancelled by its deadline while suspended: suspend, then cancel.
	ds_object *slow = own(must_create({.impl = DS_IMPL_TICKER, .p0 = 1000000, .p1 = 3}));
	EXPECT_EQ(-ETIMEDOUT, call(slow, DS_METHOD_NEXT, 0, 0, 100000).res);
	ev = host::take_trace();
	ASSERT_EQ(2u, ev.size());
	EXPECT_EQ(unsigned(DS_TRACE_SUSPEND), ev[0].event);
	EXPECT_EQ(unsigned(DS_TRACE_CANCEL), ev[1].event);
	host::trace_tasks(false);
	EXPECT_EQ(1, call(t, DS_METHOD_NEXT).res);
	EXPECT_TRUE(host::take_trace().empty());
}

TEST_F(CallTest, DeadlineCancelsWithEtimedoutAndTheIteratorDoesNotAdvance)
{
	ds_object *t = own(must_create({.impl = DS_IMPL_TICKER, .p0 = 1000000, .p1 = 3}));
	Outcome a = call(t, DS_METHOD_NEXT, 0, 0, 100000);
	EXPECT_EQ(1, a.completions);
	EXPECT_EQ(-ETIMEDOUT, a.res);
	EXPECT_EQ(0u, ds::stats_live_frames());
	Outcome b = call(t, DS_METHOD_NEXT);
	EXPECT_EQ(1, b.res);
	EXPECT_EQ(0u, b.value);
}

TEST_F(CallTest, InterruptEndsTheCallWithEintr)
{
	ds_object *t = own(must_create({.impl = DS_IMPL_TICKER, .p0 = 1000000, .p1 = 3}));
	Outcome a = call(t, DS_METHOD_NEXT, 0, 0, kSecond, 50000);
	EXPECT_EQ(1, a.completions);
	EXPECT_EQ(-EINTR, a.res);
	EXPECT_EQ(0u, a.cancelled);
}

// io_uring's cancel (the glue's IO_URING_F_CANCEL path): -ECANCELED once,
// frames gone, the iterator not advanced, on every strategy.
TEST_F(CallTest, CancelEndsASuspendedCallWithEcanceledOnEveryStrategy)
{
	for (unsigned int s = DS_STRATEGY_BOXED; s <= DS_STRATEGY_MAX; s++) {
		SCOPED_TRACE(s);
		ds_object *t = own(must_create(
			with_strategy({.impl = DS_IMPL_TICKER, .p0 = 1000000, .p1 = 3}, s)));
		Outcome a = call(t, DS_METHOD_NEXT, 0, 0, kSecond, 50000, ds_call_cancel);
		EXPECT_EQ(1, a.completions);
		EXPECT_EQ(-ECANCELED, a.res);
		EXPECT_EQ(1u, a.cancelled);
		EXPECT_EQ(0u, ds::stats_live_frames());
		EXPECT_EQ(0u, host::armed_timers()) << "deadline timer left armed";
		Outcome b = call(t, DS_METHOD_NEXT);
		EXPECT_EQ(1, b.res);
		EXPECT_EQ(0u, b.value) << "a cancelled next() does not advance";
		// A SUM keeps what it consumed: items 0 and 1 (of 3) after 2.5 ms.
		ds_object *u = own(must_create(
			with_strategy({.impl = DS_IMPL_TICKER, .p0 = 1000000, .p1 = 3}, s)));
		Outcome c = call(u, DS_METHOD_SUM, 3, 0, kSecond, 2500000, ds_call_cancel);
		EXPECT_EQ(-ECANCELED, c.res);
		Outcome d = call(u, DS_METHOD_NEXT);
		EXPECT_EQ(1, d.res);
		EXPECT_EQ(2u, d.value);
	}
}

// The first reason to stop a call wins: a deadline that fired first keeps
// -ETIMEDOUT, a cancel that came first keeps -ECANCELED.
TEST_F(CallTest, CancelAfterTheDeadlineKeepsEtimedout)
{
	ds_object *t = own(must_create({.impl = DS_IMPL_TICKER, .p0 = 1000000, .p1 = 3}));
	Outcome a = call(t, DS_METHOD_NEXT, 0, 0, 100000, 200000, ds_call_cancel);
	EXPECT_EQ(1, a.completions);
	EXPECT_EQ(-ETIMEDOUT, a.res);
	EXPECT_EQ(0u, a.cancelled);
	Outcome b = call(t, DS_METHOD_NEXT, 0, 0, 200000, 100000, ds_call_cancel);
	EXPECT_EQ(1, b.completions);
	EXPECT_EQ(-ECANCELED, b.res);
	EXPECT_EQ(1u, b.cancelled);
}

TEST_F(CallTest, SumOverReadyItemsYieldsToTheExecutor)
{
	ds_object *c = own(must_create({.p0 = 1, .p1 = 1000}));
	Outcome a = call(c, DS_METHOD_SUM, 200);
	EXPECT_FALSE(a.inline_done) << "200 ready items must not run in one go";
	EXPECT_EQ(0, a.res);
	EXPECT_EQ(200u * 201 / 2, a.value);
}

class EveryStrategy : public CallTest, public ::testing::WithParamInterface<unsigned int> {};

TEST_P(EveryStrategy, AdaptorsIteratorsAndWidgetsGiveTheModelsValues)
{
	const unsigned int s = GetParam();
	ds_object *c1 = must_create(with_strategy({.p0 = 5, .p1 = 2}, s));
	ds_object *tk = must_create(with_strategy({.impl = DS_IMPL_TICKER, .p0 = 20000, .p1 = 2}, s));
	ds_object *ch = must_create(with_strategy({.impl = DS_IMPL_CHAIN, .inner = {c1, tk}}, s));
	ds_object *m = own(must_create(with_strategy({.impl = DS_IMPL_MAP, .inner = {ch}, .p0 = 10, .p1 = 1}, s)));
	const uint64_t want[] = {51, 61, 1, 11};
	for (uint64_t w : want) {
		Outcome o = call(m, DS_METHOD_NEXT);
		EXPECT_EQ(1, o.res);
		EXPECT_EQ(w, o.value);
	}
	EXPECT_EQ(0, call(m, DS_METHOD_NEXT).res);

	ds_object *g = must_create(with_strategy({.trait = DS_TRAIT_WIDGET, .impl = DS_IMPL_GADGET, .p0 = 100}, s));
	EXPECT_EQ(107u, call(g, DS_METHOD_AUGMENT, DS_COMPONENT_BOLT, 7).value);
	EXPECT_EQ(114u, call(g, DS_METHOD_AUGMENT, DS_COMPONENT_GEAR, 2).value);
	Outcome comp = call(g, DS_METHOD_COMPONENTS);
	ASSERT_EQ(0, comp.res);
	ASSERT_NE(nullptr, comp.new_obj);
	own(comp.new_obj);
	EXPECT_EQ(1u, call(comp.new_obj, DS_METHOD_SUM, 10).value); // 0 + 1
	Outcome tx = call(g, DS_METHOD_TRANSMIT);
	EXPECT_EQ(0, tx.res);
	EXPECT_EQ(114u, tx.value);
	EXPECT_TRUE(ds_object_consumed(g));
	EXPECT_EQ(-ENOENT, call(g, DS_METHOD_AUGMENT, DS_COMPONENT_BOLT, 1).res);
	ds_object_put(g);
}

INSTANTIATE_TEST_SUITE_P(Strategies, EveryStrategy,
			 ::testing::Range<unsigned int>(DS_STRATEGY_BOXED, DS_STRATEGY_MAX + 1));

TEST_F(CallTest, TooSmallInlineSlotIsE2bigAndNothingMoves)
{
	ds_object *in = must_create({.p0 = 7, .p1 = 5});
	ds_object *m = own(must_create({.impl = DS_IMPL_MAP, .inner = {in}, .p0 = 1,
					.strategy = DS_STRATEGY_INLINE, .slot = 16}));
	EXPECT_EQ(-E2BIG, call(m, DS_METHOD_NEXT).res);
	EXPECT_EQ(-E2BIG, call(m, DS_METHOD_NEXT).res);
	// A counter is ready at once: it needs no frame, so no slot is too small.
	ds_object *c = own(must_create({.p0 = 7, .p1 = 5, .strategy = DS_STRATEGY_INLINE, .slot = 16}));
	EXPECT_EQ(7u, call(c, DS_METHOD_NEXT).value);
	ds_object *in2 = must_create({.p0 = 7, .p1 = 5});
	ds_object *ok = own(must_create({.impl = DS_IMPL_MAP, .inner = {in2}, .p0 = 1,
					 .strategy = DS_STRATEGY_INLINE}));
	EXPECT_EQ(7u, call(ok, DS_METHOD_NEXT).value) << "the refused calls did not advance";
}

TEST_F(CallTest, DeepChainOverflowsASmallTaskStackWithEnospc)
{
	auto chain = [&](unsigned int stack) {
		ds_object *o = must_create({.p0 = 3, .p1 = 9});
		for (int d = 2; d <= DS_MAX_DEPTH; d++)
			o = must_create({.impl = DS_IMPL_MAP, .inner = {o}, .p0 = 1,
					 .strategy = DS_STRATEGY_TASK_STACK, .stack = stack});
		return own(o);
	};
	EXPECT_EQ(-ENOSPC, call(chain(512), DS_METHOD_NEXT).res);
	Outcome big = call(chain(DS_MAX_TASK_STACK), DS_METHOD_NEXT);
	EXPECT_EQ(1, big.res);
	EXPECT_EQ(3u, big.value);
}

TEST_F(CallTest, CreateValidatesEveryField)
{
	ds_object *o = nullptr;
	ds_object *w = own(must_create({.trait = DS_TRAIT_WIDGET, .impl = DS_IMPL_GADGET}));
	EXPECT_EQ(-EINVAL, create({.trait = 3}, &o));
	EXPECT_EQ(-EINVAL, create({.trait = DS_TRAIT_WIDGET, .impl = DS_IMPL_COUNTER}, &o));
	EXPECT_EQ(-EINVAL, create({.impl = DS_IMPL_GADGET}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = 0}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = DS_STRATEGY_MAX + 1}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = DS_STRATEGY_BOXED, .slot = 64}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = DS_STRATEGY_INLINE, .slot = DS_MAX_SLOT_SIZE + 1}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = DS_STRATEGY_TASK_STACK}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = DS_STRATEGY_TASK_STACK, .stack = DS_MAX_TASK_STACK + 1}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = DS_STRATEGY_RESERVE}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = DS_STRATEGY_RESERVE, .reserve = DS_MAX_RESERVE_FRAMES + 1}, &o));
	EXPECT_EQ(-EINVAL, create({.strategy = DS_STRATEGY_BOXED, .reserve = 1}, &o));
	EXPECT_EQ(-EOVERFLOW, create({.p0 = ~0ull, .p1 = 1}, &o));
	EXPECT_EQ(-EINVAL, create({.impl = DS_IMPL_TICKER, .p0 = DS_MAX_TICKER_PERIOD_NS + 1ull}, &o));
	EXPECT_EQ(-EINVAL, create({.impl = DS_IMPL_MAP}, &o)) << "adaptor without inner";
	EXPECT_EQ(-EINVAL, create({.impl = DS_IMPL_MAP, .inner = {w}}, &o)) << "inner is a widget";
	EXPECT_EQ(-EINVAL, create({.impl = DS_IMPL_TAKE, .inner = {nullptr}, .p1 = 1}, &o));
	EXPECT_EQ(0, ds_objects_live() - 1) << "refused creates leave nothing";
}

TEST_F(CallTest, NestingDeeperThanTheLimitIsEloop)
{
	ds_object *o = must_create({});
	for (int d = 2; d <= DS_MAX_DEPTH; d++)
		o = must_create({.impl = DS_IMPL_MAP, .inner = {o}});
	own(o);
	ds_object *deeper = nullptr;
	EXPECT_EQ(-ELOOP, create({.impl = DS_IMPL_MAP, .inner = {o}}, &deeper));
}

TEST_F(CallTest, CallValidatesMethodAndArguments)
{
	ds_object *c = own(must_create({.p1 = 5}));
	ds_object *g = own(must_create({.trait = DS_TRAIT_WIDGET, .impl = DS_IMPL_GADGET}));
	EXPECT_EQ(-EINVAL, call(c, DS_METHOD_AUGMENT, DS_COMPONENT_BOLT, 1).res);
	EXPECT_EQ(-EINVAL, call(g, DS_METHOD_NEXT).res);
	EXPECT_EQ(-EINVAL, call(c, DS_METHOD_NEXT, 1).res);
	EXPECT_EQ(-EINVAL, call(c, DS_METHOD_SUM, 1, 1).res);
	EXPECT_EQ(-EINVAL, call(g, DS_METHOD_AUGMENT, 3, 1).res);
	EXPECT_EQ(-EINVAL, call(g, DS_METHOD_TRANSMIT, 1).res);
	EXPECT_EQ(-EINVAL, call(c, 0).res);
	EXPECT_EQ(-EINVAL, call(c, DS_METHOD_MAX + 1).res);
	EXPECT_EQ(0u, call(c, DS_METHOD_NEXT).value) << "refused calls had no effect";
}

TEST_F(CallTest, ReserveKeepsCallsCompletingWhileTheHeapFails)
{
	ds_object *t = own(must_create({.impl = DS_IMPL_TICKER, .p0 = 10000, .p1 = 100,
					 .strategy = DS_STRATEGY_RESERVE, .reserve = 4}));
	ds_object *b = own(must_create({.impl = DS_IMPL_TICKER, .p0 = 10000, .p1 = 100}));
	ds_fault_force(~0u); // every site, pool refills included
	for (uint64_t i = 0; i < 5; i++)
		EXPECT_EQ(i, call(t, DS_METHOD_NEXT).value);
	EXPECT_EQ(-ENOMEM, call(b, DS_METHOD_NEXT).res);
	ds_fault_force(0);
	EXPECT_EQ(0u, call(b, DS_METHOD_NEXT).value) << "the failed call did not advance";
}

// Fail each allocation of one call in turn: exactly one report, the
// errno, no advance, nothing left behind.
TEST_P(EveryStrategy, EveryAllocationFailureIsAnErrnoWithNoSideEffects)
{
	const unsigned int s = GetParam();
	long points = 0;
	for (long n = 1; n < 100; n++) {
		ds_object *inner = must_create(with_strategy({.impl = DS_IMPL_TICKER, .p0 = 20000, .p1 = 9}, s));
		ds_object *m = must_create(with_strategy({.impl = DS_IMPL_MAP, .inner = {inner}, .p0 = 2}, s));
		host::reset_alloc_counters();
		host::fail_nth(n);
		Outcome o = call(m, DS_METHOD_NEXT);
		const bool injected = host::injected_failures() > 0;
		host::fail_nth(0);
		// The failure is charged to the call, wherever in its tree it was.
		EXPECT_EQ(injected ? 1u : 0u, o.injected) << "n=" << n;
		if (injected && s == DS_STRATEGY_RESERVE) {
			points++;
			// The pool's reserve absorbs a failed fresh allocation.
			EXPECT_EQ(1, o.res) << "n=" << n;
			EXPECT_EQ(0u, o.value) << "n=" << n;
		} else if (injected) {
			points++;
			EXPECT_EQ(-ENOMEM, o.res) << "n=" << n;
			Outcome again = call(m, DS_METHOD_NEXT);
			EXPECT_EQ(0u, again.value) << "n=" << n << ": the failed call advanced";
		} else {
			EXPECT_EQ(0u, o.value);
		}
		EXPECT_EQ(0, ds::stats_live_frames()) << "n=" << n;
		ds_object_put(m);
		EXPECT_EQ(0, ds_objects_live()) << "n=" << n;
		EXPECT_EQ(0, ds_live_allocations()) << "n=" << n;
		if (!injected)
			break;
	}
	// Allocation points of one Map(Ticker) next(), exactly: per strategy
	// the frames (map's, the ticker's) or the task stack region; the
	// call's bookkeeping is the object's (made at CREATE) but a RESERVE
	// object's, from its pool; slots allocate nothing; the pool's fresh
	// allocations fail into its reserve.
	// Indexed by strategy: -, boxed, inline, maybe-boxed, cached,
	// task stack, reserve.
	const long want[DS_STRATEGY_MAX + 1] = {0, 2, 0, 0, 2, 1, 3};
	EXPECT_EQ(want[s], points);
}

} // namespace
