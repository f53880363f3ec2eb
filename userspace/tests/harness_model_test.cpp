// SPDX-License-Identifier: GPL-2.0
// The harness's model (userspace/harness/model.cpp): what it expects of
// each object, and how it judges a completion. A wrong model would make
// `dynasync run` fail a correct module or pass a broken one.
#include <cerrno>
#include <gtest/gtest.h>
#include <memory>
#include <random>

#include "drive.hpp"
#include "fixture.h"
#include "rt/storage.hpp"
#include "traits/async_iterator.hpp"
#include "userspace/harness/model.h"

namespace {

using harness::Effect;
using harness::ErrnoPolicy;
using harness::IterModel;
using harness::ObjectModel;
using harness::Spec;
using harness::Verdict;

Spec counter(uint64_t start, uint64_t count)
{
	Spec s;
	s.impl = DYNASYNC_IMPL_COUNTER;
	s.param[0] = start;
	s.param[1] = count;
	return s;
}

Spec ticker(uint64_t count)
{
	Spec s;
	s.impl = DYNASYNC_IMPL_TICKER;
	s.param[0] = 1000;
	s.param[1] = count;
	return s;
}

Spec adaptor(uint32_t impl, uint64_t p0, uint64_t p1, std::vector<Spec> inner)
{
	Spec s;
	s.impl = impl;
	s.param[0] = p0;
	s.param[1] = p1;
	s.inner = std::move(inner);
	return s;
}

std::vector<uint64_t> drain(IterModel m, size_t max = 100)
{
	std::vector<uint64_t> out;
	while (out.size() < max) {
		std::optional<uint64_t> x = m.next();
		if (!x)
			break;
		out.push_back(*x);
	}
	return out;
}

dynasync_call call(uint32_t method, uint64_t a0 = 0, uint64_t a1 = 0)
{
	dynasync_call c{};
	c.handle = 1;
	c.method = method;
	c.arg[0] = a0;
	c.arg[1] = a1;
	return c;
}

dynasync_call_out out(uint64_t value, uint32_t flags = 0, uint32_t handle = 0)
{
	dynasync_call_out o{};
	o.value = value;
	o.flags = flags;
	o.handle = handle;
	return o;
}

// What a call that failed an allocation writes: only the failure counts.
dynasync_call_out failed_out(uint16_t injected, uint16_t alloc_failed = 0)
{
	dynasync_call_out o{};
	o.injected = injected;
	o.alloc_failed = alloc_failed;
	return o;
}

TEST(HarnessModel, CounterYieldsStartToEndAndStaysEnded)
{
	IterModel m(counter(10, 3));
	EXPECT_EQ(3u, m.remaining());
	EXPECT_EQ((std::vector<uint64_t>{ 10, 11, 12 }), drain(m));
	EXPECT_EQ(10u, m.next());
	EXPECT_EQ(11u, m.next());
	EXPECT_EQ(12u, m.next());
	EXPECT_FALSE(m.next());
	EXPECT_FALSE(m.next());
	EXPECT_EQ(0u, m.remaining());
}

TEST(HarnessModel, TickerCountsFromZero)
{
	EXPECT_EQ((std::vector<uint64_t>{ 0, 1, 2 }), drain(IterModel(ticker(3))));
}

TEST(HarnessModel, MapWrapsModulo2To64)
{
	IterModel m(adaptor(DYNASYNC_IMPL_MAP, UINT64_MAX, 5, { counter(2, 2) }));
	// x * (2^64 - 1) + 5 = 5 - x (mod 2^64)
	EXPECT_EQ((std::vector<uint64_t>{ 3, 2 }), drain(m));
}

TEST(HarnessModel, TakeLimitsAndStopsCallingItsInner)
{
	IterModel m(adaptor(DYNASYNC_IMPL_TAKE, 2, 0, { ticker(5) }));
	EXPECT_EQ(2u, m.remaining());
	EXPECT_EQ((std::vector<uint64_t>{ 0, 1 }), drain(m));
	// An inner that ends first ends the take.
	IterModel short_inner(adaptor(DYNASYNC_IMPL_TAKE, 9, 0, { ticker(1) }));
	EXPECT_EQ(1u, short_inner.remaining());
	EXPECT_EQ((std::vector<uint64_t>{ 0 }), drain(short_inner));
}

TEST(HarnessModel, ChainYieldsFirstThenSecond)
{
	IterModel m(adaptor(DYNASYNC_IMPL_CHAIN, 0, 0, { counter(1, 2), counter(100, 2) }));
	EXPECT_EQ(4u, m.remaining());
	EXPECT_EQ((std::vector<uint64_t>{ 1, 2, 100, 101 }), drain(m));
}

TEST(HarnessModel, ChainRemainingSaturates)
{
	IterModel m(adaptor(DYNASYNC_IMPL_CHAIN, 0, 0,
			    { counter(0, UINT64_MAX - 1), counter(0, 5) }));
	EXPECT_EQ(UINT64_MAX, m.remaining());
}

TEST(HarnessModel, SumStopsAtTheEnd)
{
	IterModel m(counter(5, 3));
	EXPECT_EQ(5u + 6u, m.sum(2));
	EXPECT_EQ(7u, m.sum(8));
	EXPECT_EQ(0u, m.sum(8));
}

TEST(HarnessModel, NextVerifiesValueResAndFlags)
{
	ErrnoPolicy none;
	ObjectModel m = ObjectModel::from_spec(counter(7, 1));
	Verdict bad = m.complete(call(DYNASYNC_METHOD_NEXT), 1, out(8), none);
	EXPECT_FALSE(bad.ok);
	EXPECT_NE(std::string::npos, bad.why.find("out.value: expected 7, got 8")) << bad.why;
	// A mismatch leaves the model where it was.
	Verdict good = m.complete(call(DYNASYNC_METHOD_NEXT), 1, out(7), none);
	EXPECT_TRUE(good.ok) << good.why;
	EXPECT_EQ(Effect::kNone, good.effect);
	Verdict end = m.complete(call(DYNASYNC_METHOD_NEXT), 0, out(0, DYNASYNC_OUT_F_END), none);
	EXPECT_TRUE(end.ok) << end.why;
	EXPECT_EQ(Effect::kEnded, end.effect);
	// The end without the END flag is a mismatch.
	EXPECT_FALSE(m.complete(call(DYNASYNC_METHOD_NEXT), 0, out(0), none).ok);
}

TEST(HarnessModel, ReservedAndHandleMustBeZero)
{
	ErrnoPolicy none;
	ObjectModel m = ObjectModel::from_spec(counter(0, 10));
	dynasync_call_out o = out(0);
	o.reserved = 1;
	EXPECT_FALSE(m.complete(call(DYNASYNC_METHOD_NEXT), 1, o, none).ok);
	EXPECT_FALSE(m.complete(call(DYNASYNC_METHOD_NEXT), 1, out(0, 0, 3), none).ok);
}

TEST(HarnessModel, SumAdvancesByWhatItSummed)
{
	ErrnoPolicy none;
	ObjectModel m = ObjectModel::from_spec(counter(1, 3));
	Verdict v = m.complete(call(DYNASYNC_METHOD_SUM, 5), 0, out(1 + 2 + 3), none);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(0u, m.iter.remaining());
}

TEST(HarnessModel, WidgetAugmentComponentsTransmit)
{
	ErrnoPolicy none;
	Spec g;
	g.impl = DYNASYNC_IMPL_GADGET;
	g.param[0] = UINT64_MAX;
	ObjectModel m = ObjectModel::from_spec(g);
	EXPECT_EQ(uint32_t{ DYNASYNC_TRAIT_WIDGET }, m.trait);
	// GEAR: 3 * size + 1; the total wraps.
	Verdict v = m.complete(call(DYNASYNC_METHOD_AUGMENT, DYNASYNC_COMPONENT_GEAR, 2), 0,
			       out(6), none);
	EXPECT_TRUE(v.ok) << v.why;
	v = m.complete(call(DYNASYNC_METHOD_AUGMENT, DYNASYNC_COMPONENT_BOLT, 4), 0, out(10), none);
	EXPECT_TRUE(v.ok) << v.why;

	v = m.complete(call(DYNASYNC_METHOD_COMPONENTS), 42, out(0, 0, 42), none);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kComponents, v.effect);
	EXPECT_EQ(42u, v.new_handle);
	EXPECT_EQ(2u, v.component_count);
	EXPECT_FALSE(m.complete(call(DYNASYNC_METHOD_COMPONENTS), 42, out(0, 0, 41), none).ok);

	v = m.complete(call(DYNASYNC_METHOD_TRANSMIT), 0, out(10), none);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kConsumed, v.effect);
	EXPECT_EQ(10u, v.delivered);
	// The handle is gone: anything but -ENOENT is wrong, -ENOENT ends it.
	EXPECT_FALSE(m.complete(call(DYNASYNC_METHOD_TRANSMIT), 0, out(10), none).ok);
	v = m.complete(call(DYNASYNC_METHOD_AUGMENT, 1, 1), -ENOENT, out(0), none);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kGone, v.effect);
}

TEST(HarnessModel, ErrnosFailUnlessAllowed)
{
	ErrnoPolicy none;
	ObjectModel m = ObjectModel::from_spec(counter(3, 10));
	Verdict v = m.complete(call(DYNASYNC_METHOD_NEXT), -EBUSY, out(0), none);
	EXPECT_FALSE(v.ok);
	EXPECT_EQ(EBUSY, v.err);
	EXPECT_NE(std::string::npos, v.why.find("unexpected -EBUSY")) << v.why;

	ErrnoPolicy enomem;
	enomem.allow(ENOMEM);
	v = m.complete(call(DYNASYNC_METHOD_NEXT), -ENOMEM, failed_out(1), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kNone, v.effect);
	EXPECT_FALSE(v.unexplained);
	// Nothing ran: the next item is still the first.
	EXPECT_TRUE(m.complete(call(DYNASYNC_METHOD_NEXT), 1, out(3), enomem).ok);
	// SUM may have consumed items before the failing one.
	v = m.complete(call(DYNASYNC_METHOD_SUM, 4), -ENOMEM, failed_out(2), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kRetire, v.effect);
	// A failed call writes no result.
	dynasync_call_out o = failed_out(1);
	o.value = 4;
	EXPECT_FALSE(m.complete(call(DYNASYNC_METHOD_NEXT), -ENOMEM, o, enomem).ok);
}

TEST(HarnessModel, EnomemMustBeExplainedByTheCallOutput)
{
	ErrnoPolicy enomem;
	enomem.allow(ENOMEM);
	ObjectModel m = ObjectModel::from_spec(counter(3, 10));
	// No allocation of the call failed: the -ENOMEM has no cause.
	Verdict v = m.complete(call(DYNASYNC_METHOD_NEXT), -ENOMEM, out(0), enomem);
	EXPECT_FALSE(v.ok);
	EXPECT_TRUE(v.unexplained);
	EXPECT_EQ(ENOMEM, v.err);
	EXPECT_NE(std::string::npos, v.why.find("-ENOMEM unexplained")) << v.why;
	// A real failure explains it as well as an injected one.
	v = m.complete(call(DYNASYNC_METHOD_NEXT), -ENOMEM, failed_out(0, 1), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_FALSE(v.unexplained);
	// Not accepted: unexpected, and unexplained when it is.
	ErrnoPolicy none;
	v = m.complete(call(DYNASYNC_METHOD_NEXT), -ENOMEM, out(0), none);
	EXPECT_FALSE(v.ok);
	EXPECT_TRUE(v.unexplained);
	EXPECT_NE(std::string::npos, v.why.find("unexpected -ENOMEM")) << v.why;
	// Other errnos do not need the counts.
	ErrnoPolicy busy;
	busy.allow(EBUSY);
	v = m.complete(call(DYNASYNC_METHOD_NEXT), -EBUSY, out(0), busy);
	EXPECT_FALSE(v.unexplained);
	EXPECT_TRUE(ErrnoPolicy::enomem_explained(failed_out(65535, 0)));
	EXPECT_FALSE(ErrnoPolicy::enomem_explained(out(0)));
}

TEST(HarnessModel, AbsorbedInjectionsStillReturnExactlyTheModelsValue)
{
	ErrnoPolicy enomem;
	enomem.allow(ENOMEM);
	ObjectModel m = ObjectModel::from_spec(counter(3, 10));
	// A RESERVE pool absorbed two injected refills: the call succeeded.
	dynasync_call_out o = out(3);
	o.injected = 2;
	Verdict v = m.complete(call(DYNASYNC_METHOD_NEXT), 1, o, enomem);
	EXPECT_TRUE(v.ok) << v.why;
	o = out(99);
	o.injected = 1;
	v = m.complete(call(DYNASYNC_METHOD_NEXT), 1, o, enomem);
	EXPECT_FALSE(v.ok);
	EXPECT_NE(std::string::npos, v.why.find("out.value: expected 4, got 99")) << v.why;
	o = out(4 + 5 + 6);
	o.injected = 3;
	o.alloc_failed = 1;
	EXPECT_TRUE(m.complete(call(DYNASYNC_METHOD_SUM, 3), 0, o, enomem).ok);
	// out.reserved is still written as zero.
	o = out(7);
	o.reserved = 1;
	EXPECT_FALSE(m.complete(call(DYNASYNC_METHOD_NEXT), 1, o, enomem).ok);
}

TEST(HarnessModel, FailedAllocationsLeaveWidgetsAsTheyWere)
{
	ErrnoPolicy enomem;
	enomem.allow(ENOMEM);
	Spec gadget;
	gadget.impl = DYNASYNC_IMPL_GADGET;
	gadget.param[0] = 10;
	ObjectModel m = ObjectModel::from_spec(gadget);
	Verdict v = m.complete(call(DYNASYNC_METHOD_AUGMENT, DYNASYNC_COMPONENT_BOLT, 5), -ENOMEM,
			       failed_out(1), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kNone, v.effect);
	EXPECT_TRUE(m.complete(call(DYNASYNC_METHOD_AUGMENT, DYNASYNC_COMPONENT_BOLT, 5), 0,
			       out(15), enomem).ok);
	// COMPONENTS that failed made no object and counted nothing.
	v = m.complete(call(DYNASYNC_METHOD_COMPONENTS), -ENOMEM, failed_out(1), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kNone, v.effect);
	EXPECT_EQ(0u, v.new_handle);
	// TRANSMIT that could not start left the widget: it is not consumed.
	v = m.complete(call(DYNASYNC_METHOD_TRANSMIT), -ENOMEM, failed_out(0, 1), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kNone, v.effect);
	EXPECT_FALSE(m.consumed);
	v = m.complete(call(DYNASYNC_METHOD_COMPONENTS), 7, out(0, 0, 7), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(1u, v.component_count);
	v = m.complete(call(DYNASYNC_METHOD_TRANSMIT), 0, out(15), enomem);
	EXPECT_EQ(Effect::kConsumed, v.effect);
	// A consumed handle may fail its bookkeeping first: still consumed.
	v = m.complete(call(DYNASYNC_METHOD_AUGMENT, 1, 1), -ENOMEM, failed_out(1), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kNone, v.effect);
	EXPECT_TRUE(m.consumed);
	EXPECT_FALSE(m.complete(call(DYNASYNC_METHOD_AUGMENT, 1, 1), -ENOMEM, out(0), enomem).ok);
	v = m.complete(call(DYNASYNC_METHOD_AUGMENT, 1, 1), -ENOENT, out(0), enomem);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kGone, v.effect);
}

TEST(HarnessModel, TimedOutNextDoesNotAdvanceOtherCallsRetire)
{
	ErrnoPolicy deadline;
	deadline.allow(ETIMEDOUT);
	ObjectModel m = ObjectModel::from_spec(ticker(5));
	Verdict v = m.complete(call(DYNASYNC_METHOD_NEXT), -ETIMEDOUT, out(0), deadline);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kNone, v.effect);
	EXPECT_TRUE(m.complete(call(DYNASYNC_METHOD_NEXT), 1, out(0), deadline).ok);
	v = m.complete(call(DYNASYNC_METHOD_SUM, 3), -ETIMEDOUT, out(0), deadline);
	EXPECT_TRUE(v.ok) << v.why;
	EXPECT_EQ(Effect::kRetire, v.effect);
}

TEST(HarnessModel, SpecCountsInnerObjects)
{
	Spec chain = adaptor(DYNASYNC_IMPL_CHAIN, 0, 0, { counter(0, 1), counter(0, 1) });
	EXPECT_EQ(3u, chain.objects());
	EXPECT_EQ(uint32_t{ DYNASYNC_TRAIT_ITERATOR }, chain.trait());
}

} // namespace

// The model against the runtime's own impls (the code the module runs):
// random adaptor trees, random NEXT/SUM sequences, every answer equal.
namespace {

struct Built {
	std::vector<std::unique_ptr<ds::AsyncIterator>> owned;
	ds::AsyncIterator *top = nullptr;
};

Spec random_spec(std::mt19937_64 &rng, int depth)
{
	uint32_t impl = depth >= 3 ? DYNASYNC_IMPL_COUNTER + rng() % 2
				   : DYNASYNC_IMPL_COUNTER + rng() % 5;
	switch (impl) {
	case DYNASYNC_IMPL_COUNTER:
		return counter(rng() >> 20, rng() % 12);
	case DYNASYNC_IMPL_TICKER:
		return ticker(rng() % 12);
	case DYNASYNC_IMPL_MAP:
		return adaptor(impl, rng(), rng(), { random_spec(rng, depth + 1) });
	case DYNASYNC_IMPL_TAKE:
		return adaptor(impl, rng() % 12, 0, { random_spec(rng, depth + 1) });
	default:
		return adaptor(impl, 0, 0,
			       { random_spec(rng, depth + 1), random_spec(rng, depth + 1) });
	}
}

ds::AsyncIterator *build(const Spec &s, Built &b)
{
	std::unique_ptr<ds::AsyncIterator> it;
	switch (s.impl) {
	case DYNASYNC_IMPL_COUNTER:
		it = std::make_unique<ds::Counter>(s.param[0], s.param[1]);
		break;
	case DYNASYNC_IMPL_TICKER:
		it = std::make_unique<ds::Ticker>(s.param[0], s.param[1]);
		break;
	case DYNASYNC_IMPL_MAP:
		it = std::make_unique<ds::Map>(build(s.inner[0], b), s.param[0], s.param[1]);
		break;
	case DYNASYNC_IMPL_TAKE:
		it = std::make_unique<ds::Take>(build(s.inner[0], b), s.param[0]);
		break;
	default: {
		ds::AsyncIterator *first = build(s.inner[0], b);
		it = std::make_unique<ds::Chain>(first, build(s.inner[1], b));
		break;
	}
	}
	b.owned.push_back(std::move(it));
	return b.owned.back().get();
}

using HarnessModelVsRuntime = RuntimeTest;

TEST_F(HarnessModelVsRuntime, RandomTreesAgree)
{
	std::mt19937_64 rng(7);
	for (int tree = 0; tree < 200; tree++) {
		Spec spec = random_spec(rng, 1);
		Built b;
		b.top = build(spec, b);
		IterModel model(spec);
		for (int step = 0; step < 30; step++) {
			if (rng() % 2) {
				Outcome<ds::Next> o;
				run_to_end(b.top->next(ds::heap_storage()), o);
				ASSERT_EQ(0, o.err);
				std::optional<uint64_t> want = model.next();
				ASSERT_EQ(!want, o.value.done) << "tree " << tree << " step " << step;
				if (want) {
					ASSERT_EQ(*want, o.value.value) << "tree " << tree;
				}
			} else {
				uint64_t n = rng() % 6;
				Outcome<uint64_t> o;
				run_to_end(ds::sum(*b.top, n, ds::heap_storage()), o);
				ASSERT_EQ(0, o.err);
				ASSERT_EQ(model.sum(n), o.value) << "tree " << tree << " step " << step;
			}
		}
	}
}

} // namespace
