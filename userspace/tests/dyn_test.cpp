// SPDX-License-Identifier: GPL-2.0
// Dyn traits: static and dynamic dispatch, the layout probe and table,
// consuming calls, argument adaptation, impl-Trait return.
#include <gtest/gtest.h>

#include <algorithm>

#include "drive.hpp"
#include "fixture.h"
#include "rt/dyn.hpp"
#include "rt/worker_hop.hpp"
#include "traits/async_iterator.hpp"
#include "traits/recursive.hpp"
#include "traits/widget.hpp"

namespace {

using ds::Storage;

struct Bolt {
	uint64_t weight() const noexcept { return 3; }
};
struct Panel {
	uint64_t grams;
	uint64_t weight() const noexcept { return grams / 1000; }
};

using DynTest = RuntimeTest;

TEST_F(DynTest, StaticAndDynamicDispatchAgree)
{
	ds::Boxed boxed;
	ds::Counter a(5, 3), b(5, 3);
	ds::AsyncIterator &dyn = b;
	for (int i = 0; i < 4; i++) {
		Outcome<ds::Next> s, d;
		run_to_end(a.Counter::next(boxed), s); // qualified: no virtual call
		run_to_end(dyn.next(boxed), d);
		ASSERT_EQ(s.value.done, d.value.done);
		ASSERT_EQ(s.value.value, d.value.value);
	}
	EXPECT_EQ(8u, a.position());
}

TEST_F(DynTest, ProbeHasNoSideEffects)
{
	ds::Gadget g(10);
	ds::Counter c(0, 3);
	long calls = host::alloc_calls();
	size_t sizes[ds::Widget::kMethods] = {};
	ds::Widget::probe(g, sizes);
	size_t csize[1] = {};
	ds::AsyncIterator::probe(c, csize);
	// augment and next are ready at once (frame-free): 0 bytes, and their
	// bodies do not run under the probe either.
	EXPECT_EQ(0u, sizes[ds::Widget::kAugment]);
	EXPECT_GT(sizes[ds::Widget::kTransmit], 0u);
	EXPECT_EQ(0u, csize[0]);
	EXPECT_EQ(10u, g.total()) << "augment body ran";
	EXPECT_EQ(0u, g.count());
	EXPECT_EQ(0u, c.position()) << "next body ran";
	EXPECT_EQ(calls, host::alloc_calls()) << "the probe allocated";
	EXPECT_EQ(0, ds::stats_live_frames());
}

TEST_F(DynTest, LayoutTableSizesInlineSlotsExactly)
{
	ds::LayoutTable<ds::AsyncIterator> table;
	ds::Counter counter;
	ds::Ticker ticker;
	ds::Map map;
	ds::Take take;
	ds::Chain chain;
	table.add(counter);
	table.add(ticker);
	table.add(map);
	table.add(take);
	table.add(chain);
	EXPECT_EQ(5u, table.impls());
	size_t slot = table.slot_size();
	size_t ticker_frame = ds::probe_frame([&](Storage &p) { return ticker.Ticker::next(p); });
	EXPECT_GE(slot, ticker_frame);

	// A slot of exactly that size runs every impl's call; one byte less
	// refuses the largest with -E2BIG. (Adaptors' nested calls go to the
	// heap: the slot holds only the call made on the object itself.)
	alignas(16) unsigned char buf[1024];
	ASSERT_LE(slot, sizeof(buf));
	ds::Boxed heap;
	ds::Counter inner(1, 10);
	ds::Ticker t2(1000, 2);
	ds::Map m(&inner, 2, 0, &heap);
	ds::Take tk(&inner, 5, &heap);
	ds::Chain ch(&inner, &t2, &heap);
	ds::AsyncIterator *all[] = {&inner, &t2, &m, &tk, &ch};
	size_t largest = 0;
	ds::AsyncIterator *largest_it = nullptr;
	for (ds::AsyncIterator *it : all) {
		size_t need = ds::probe_frame([&](Storage &p) { return it->next(p); });
		if (need > largest) {
			largest = need;
			largest_it = it;
		}
		ds::InlineSlot exact(buf, slot);
		Outcome<ds::Next> o;
		run_to_end(it->next(exact), o);
		ASSERT_EQ(0, o.err);
	}
	EXPECT_EQ(slot, largest);
	ds::InlineSlot short_slot(buf, slot - 1);
	Outcome<ds::Next> o;
	run_to_end(largest_it->next(short_slot), o);
	EXPECT_EQ(-DS_E2BIG, o.err);
}

// DS_TRAIT's generated pieces: ids in list order, names, and the probe of
// a default-constructed impl equal to the probe of an instance.
TEST_F(DynTest, DeclaredTraitsGenerateIdsNamesAndProbes)
{
	static_assert(ds::AsyncIterator::kMethods == 1 && ds::AsyncIterator::kNext == 0);
	static_assert(ds::Widget::kMethods == 2);
	static_assert(ds::Widget::kAugment == 0 && ds::Widget::kTransmit == 1);
	static_assert(ds::Recursive::kMethods == 1 && ds::Recursive::kDown == 0);
	static_assert(ds::Implements<ds::Ticker, ds::AsyncIterator>);
	static_assert(ds::Implements<ds::Gadget, ds::Widget>);
	static_assert(ds::Implements<ds::Descend, ds::Recursive>);
	static_assert(!ds::Implements<ds::Gadget, ds::AsyncIterator>);
	EXPECT_STREQ("next", ds::AsyncIterator::kMethodNames[ds::AsyncIterator::kNext]);
	EXPECT_STREQ("augment_dyn", ds::Widget::kMethodNames[ds::Widget::kAugment]);
	EXPECT_STREQ("transmit", ds::Widget::kMethodNames[ds::Widget::kTransmit]);
	EXPECT_STREQ("down", ds::Recursive::kMethodNames[ds::Recursive::kDown]);

	long calls = host::alloc_calls();
	ds::LayoutTable<ds::AsyncIterator> by_type, by_instance;
	by_type.add<ds::Counter>();
	by_type.add<ds::Ticker>();
	by_type.add<ds::Map>();
	by_type.add<ds::Take>();
	by_type.add<ds::Chain>();
	ds::Counter counter(5, 5);
	ds::Ticker ticker;
	ds::Map map;
	ds::Take take;
	ds::Chain chain;
	by_instance.add(counter);
	by_instance.add(ticker);
	by_instance.add(map);
	by_instance.add(take);
	by_instance.add(chain);
	EXPECT_EQ(5u, by_type.impls());
	EXPECT_EQ(by_instance.slot_size(), by_type.slot_size());
	EXPECT_EQ(by_instance.method(ds::AsyncIterator::kNext),
		  by_type.method(ds::AsyncIterator::kNext));
	size_t ticker_frame = ds::probe_frame([&](Storage &p) { return ticker.Ticker::next(p); });
	size_t chain_frame = ds::probe_frame([&](Storage &p) { return chain.Chain::next(p); });
	EXPECT_EQ(std::max(ticker_frame, chain_frame), by_type.slot_size());
	EXPECT_EQ(5u, counter.position()) << "the probe ran a body";
	EXPECT_EQ(calls, host::alloc_calls()) << "the probe allocated";

	size_t w[ds::Widget::kMethods];
	ds::probe_impl<ds::Widget, ds::Gadget>(w);
	EXPECT_EQ(0u, w[ds::Widget::kAugment]);
	ds::Gadget g;
	EXPECT_EQ(ds::probe_frame([&](Storage &p) {
			  ds::DynBox<ds::Widget> none;
			  ds::Sink sink;
			  return g.Gadget::transmit(ds::Consume<ds::Widget>(none), sink, p);
		  }),
		  w[ds::Widget::kTransmit]);
	size_t r[1];
	ds::probe_impl<ds::Recursive, ds::Descend>(r);
	ds::Descend d;
	EXPECT_EQ(ds::probe_frame([&](Storage &p) { return d.Descend::down(3, p); }), r[0]);
	EXPECT_EQ(0, d.calls);
}

TEST_F(DynTest, ArgumentAdaptationTakesUnrelatedTypes)
{
	static_assert(sizeof(ds::ComponentRef) == 2 * sizeof(void *));
	ds::Boxed boxed;
	ds::Gadget g(0);
	ds::Widget &w = g;
	Outcome<uint64_t> a, b;
	run_to_end(w.augment(Bolt{}, boxed), a);
	run_to_end(w.augment(Panel{5000}, boxed), b);
	EXPECT_EQ(3u, a.value);
	EXPECT_EQ(8u, b.value);
	EXPECT_EQ(2u, g.count());
}

TEST_F(DynTest, ImplTraitReturnLivesInCallerStorage)
{
	ds::Gadget g(0);
	ds::Boxed boxed;
	Outcome<uint64_t> o;
	run_to_end(g.augment(Bolt{}, boxed), o);
	run_to_end(g.augment(Bolt{}, boxed), o);
	run_to_end(g.augment(Bolt{}, boxed), o);

	ds::Boxed objects(DS_GFP_KERNEL, DS_SITE_OBJECT);
	auto it = g.components(objects);
	ASSERT_TRUE(it.ok());
	EXPECT_EQ(1, host::live(DS_SITE_OBJECT));
	Outcome<uint64_t> total;
	run_to_end(ds::sum(**it, 10, boxed), total);
	EXPECT_EQ(0u + 1 + 2, total.value);

	alignas(16) unsigned char buf[sizeof(ds::Counter)];
	ds::InlineSlot exact(buf, sizeof(buf));
	auto in_slot = g.components(exact);
	ASSERT_TRUE(in_slot.ok());
	EXPECT_TRUE(exact.busy());
	in_slot->reset();
	EXPECT_FALSE(exact.busy()) << "freed back to the slot";

	ds::InlineSlot tiny(buf, sizeof(buf) - 1);
	EXPECT_EQ(-DS_E2BIG, g.components(tiny).error());
	host::fail_nth(1);
	EXPECT_EQ(-DS_ENOMEM, g.components(objects).error());
}

TEST_F(DynTest, ConsumingCallTakesTheObject)
{
	ds::Boxed objects(DS_GFP_KERNEL, DS_SITE_OBJECT);
	ds::Boxed boxed;
	auto made = ds::make_in<ds::Gadget, ds::Widget>(objects, uint64_t{40});
	ASSERT_TRUE(made.ok());
	ds::DynBox<ds::Widget> w = std::move(*made);
	ds::Sink sink;
	Outcome<uint64_t> o;
	ds::Widget *raw = w.get();
	run_to_end(raw->transmit(ds::Consume<ds::Widget>(w), sink, boxed), o);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(40u, o.value);
	EXPECT_EQ(40u, sink.received);
	EXPECT_FALSE(w) << "ownership moved into the call";
	EXPECT_EQ(0, host::live(DS_SITE_OBJECT)) << "consumed object freed";
}

TEST_F(DynTest, ConsumingCallThatCannotStartGivesTheObjectBack)
{
	ds::Boxed objects(DS_GFP_KERNEL, DS_SITE_OBJECT);
	ds::Boxed boxed;
	auto made = ds::make_in<ds::Gadget, ds::Widget>(objects, uint64_t{7});
	ASSERT_TRUE(made.ok());
	ds::DynBox<ds::Widget> w = std::move(*made);
	ds::Widget *raw = w.get();
	ds::Sink sink;
	Outcome<uint64_t> o;
	host::fail_nth(1);
	run_to_end(raw->transmit(ds::Consume<ds::Widget>(w), sink, boxed), o);
	EXPECT_EQ(-DS_ENOMEM, o.err);
	ASSERT_TRUE(w) << "the caller still owns it";
	EXPECT_EQ(raw, w.get());
	EXPECT_EQ(7u, w->total()) << "unchanged";
	EXPECT_EQ(0u, sink.deliveries);
	// And it can be sent again.
	Outcome<uint64_t> again;
	run_to_end(raw->transmit(ds::Consume<ds::Widget>(w), sink, boxed), again);
	EXPECT_EQ(7u, again.value);
	EXPECT_FALSE(w);
}

TEST_F(DynTest, AdaptorsComposeThroughDyn)
{
	ds::Boxed boxed;
	ds::Counter c(1, 100);
	ds::Map sq(&c, 2, 1);	 // 3, 5, 7, ...
	ds::Take first(&sq, 4);	 // 3, 5, 7, 9
	ds::Counter tail(100, 2); // 100, 101
	ds::Chain ch(&first, &tail);
	Outcome<uint64_t> total;
	run_to_end(ds::sum(ch, 100, boxed), total);
	EXPECT_EQ(0, total.err);
	EXPECT_EQ(3u + 5 + 7 + 9 + 100 + 101, total.value);
}

} // namespace

namespace {

// What each storage does with a nested dyn call (an adaptor awaiting its
// inner object's next() through the same storage): the README's storage
// table, column "nested dyn calls".
TEST_F(DynTest, NestedDynCallsPerStorage)
{
	ds::LayoutTable<ds::AsyncIterator> layout;
	layout.add<ds::Ticker>();
	layout.add<ds::Map>();
	const size_t slot_size = layout.slot_size();
	alignas(16) unsigned char buf[1024];
	ASSERT_LE(slot_size, sizeof(buf));

	ds::Boxed boxed;
	ds::InlineSlot slot(buf, slot_size);
	ds::InlineSlot slot2(buf, slot_size);
	ds::MaybeBoxed maybe(slot2);
	ds::Cached cached;
	ds::TaskStack stack;
	ASSERT_EQ(0, stack.init(2 * slot_size));
	ds::ReservePool reserve;
	ASSERT_EQ(0, reserve.init(slot_size, 2));
	struct Case {
		ds::Storage *s;
		int err;
	} cases[] = {
		{&boxed, 0},		// a heap block per frame
		{&slot, -DS_EBUSY},	// one frame: the inner call finds it taken
		{&maybe, 0},		// the outer frame in the slot, the inner on the heap
		{&cached, -DS_EBUSY},	// one block: as the slot
		{&stack, 0},		// pushed on top of the outer frame
		{&reserve, 0},		// another pool element
	};
	for (const Case &c : cases) {
		ds::Ticker ticker(1000, 5);
		ds::Map map(&ticker, 2, 1);
		Outcome<ds::Next> o;
		run_to_end(map.next(*c.s), o);
		EXPECT_EQ(c.err, o.err) << ds::strategy_name(c.s->strategy());
		if (c.err) {
			EXPECT_EQ(0u, ticker.position()) << "the inner call must not have run";
		} else {
			EXPECT_EQ(1u, o.value.value);
			EXPECT_EQ(1u, ticker.position());
		}
	}

	// A task stack too small for both frames: -ENOSPC, nothing ran.
	ds::TaskStack small;
	ASSERT_EQ(0, small.init(slot_size));
	ds::Ticker ticker(1000, 5);
	ds::Map map(&ticker, 2, 1);
	Outcome<ds::Next> o;
	run_to_end(map.next(small), o);
	EXPECT_EQ(-DS_ENOSPC, o.err);
	EXPECT_EQ(0u, ticker.position());

	// The fallback for a slot or a cached block: the adaptor's inner
	// calls in a storage of their own (here the heap).
	ds::Map map2(&ticker, 2, 1, &boxed);
	Outcome<ds::Next> in_slot, in_cache;
	run_to_end(map2.next(slot), in_slot);
	EXPECT_EQ(0, in_slot.err);
	run_to_end(map2.next(cached), in_cache);
	EXPECT_EQ(0, in_cache.err);
	EXPECT_EQ(3u, in_cache.value.value);
}

} // namespace

namespace {

// A trait in the hand-written style (kMethods and probe(), no DS_TRAIT)
// still goes into a LayoutTable.
class HandWritten {
public:
	static constexpr size_t kMethods = 1;
	virtual ~HandWritten() = default;
	virtual ds::Future<uint64_t> get(ds::Storage &s, uint64_t v) = 0;

	template <class Impl>
	static void probe(Impl &h, size_t out[kMethods]) noexcept
	{
		out[0] = ds::probe_frame([&](Storage &p) { return h.Impl::get(p, 0); });
	}
};

class Hop final : public HandWritten {
public:
	ds::Future<uint64_t> get(ds::Storage &, uint64_t v) override
	{
		co_await ds::ResumeOnWorker{};
		co_return v + 1;
	}
};

TEST_F(DynTest, HandWrittenTraitsStillGoInALayoutTable)
{
	ds::LayoutTable<HandWritten> a, b;
	Hop hop;
	a.add(hop);
	b.add<Hop>();
	EXPECT_GT(a.slot_size(), 0u);
	EXPECT_EQ(a.slot_size(), b.slot_size());
	EXPECT_EQ(ds::probe_frame([&](Storage &p) { return hop.Hop::get(p, 5); }), a.slot_size());
}

} // namespace
