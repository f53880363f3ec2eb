// SPDX-License-Identifier: GPL-2.0
// Fail-nth sweeps: for each representative call graph, fail the n-th
// allocation for n = 1, 2, ... until a run sees no injection, and check
// the invariants every time: exactly one completion, the errno exactly as
// injected, no side effects of the failed call, nothing left allocated.
#include <gtest/gtest.h>

#include <functional>

#include "drive.hpp"
#include "fixture.h"
#include "traits/async_iterator.hpp"
#include "traits/recursive.hpp"
#include "traits/widget.hpp"

namespace {

using ds::Storage;

// Runs @scenario(n_injected_expected) for n = 1.. ; returns the number of
// allocation points (runs that saw an injection).
long sweep(const std::function<void(long n, bool injected)> &check,
	   const std::function<void()> &scenario)
{
	for (long n = 1; n < 10000; n++) {
		host::reset_alloc_counters();
		host::fail_nth(n);
		scenario();
		host::run_pending();
		bool injected = host::injected_failures() > 0;
		check(n, injected);
		EXPECT_EQ(0, ds::stats_live_frames()) << "n=" << n;
		EXPECT_EQ(0u, host::pending()) << "n=" << n;
		if (!injected)
			return n - 1;
	}
	ADD_FAILURE() << "sweep did not end";
	return -1;
}

struct Bolt {
	uint64_t weight() const noexcept { return 3; }
};

// Each storage under test: the sweep fails heap allocations.
enum class Kind { Boxed, MaybeBoxed, Reserve };

struct StorageUnderTest {
	explicit StorageUnderTest(Kind k) : kind(k)
	{
		if (k == Kind::Reserve) {
			EXPECT_EQ(0, pool.init(512, 16));
		}
	}
	Storage &get()
	{
		switch (kind) {
		case Kind::Boxed: return boxed;
		case Kind::MaybeBoxed: return maybe;
		default: return pool;
		}
	}
	// With a reserve, an injected heap failure is absorbed: calls succeed.
	bool absorbs() const { return kind == Kind::Reserve; }
	// Task headers come from the reserve too, for forward progress.
	Storage *header() { return kind == Kind::Reserve ? &pool : nullptr; }

	Kind kind;
	ds::Boxed boxed;
	alignas(16) unsigned char tiny[16];
	ds::InlineSlot slot{tiny, sizeof(tiny)}; // too small: every frame goes to the heap
	ds::MaybeBoxed maybe{slot};
	ds::ReservePool pool;
};

class Sweep : public RuntimeTest, public ::testing::WithParamInterface<Kind> {};

TEST_P(Sweep, FlatCall)
{
	StorageUnderTest st(GetParam());
	ds::Counter c(5, 3);
	Outcome<ds::Next> o;
	uint64_t pos = 5;
	long points = sweep(
		[&](long n, bool injected) {
			ASSERT_EQ(1, o.calls) << "n=" << n;
			if (injected && !st.absorbs()) {
				EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
				EXPECT_EQ(pos, c.position()) << "advanced on failure, n=" << n;
			} else {
				EXPECT_EQ(0, o.err) << "n=" << n;
				EXPECT_EQ(pos, o.value.value);
				EXPECT_EQ(++pos, c.position());
			}
		},
		[&] {
			o = {};
			ds::AsyncIterator &it = c;
			ds::RootTask<ds::Next>::spawn(it.next(st.get()), &Outcome<ds::Next>::record, &o, nullptr, st.header());
		});
	// The counter is ready at once: no frame, and a ready future needs
	// no task header either (spawn reports it inline).
	EXPECT_EQ(0, points) << "frame-free call allocated";
}

// The same flat call as a coroutine: its frame and the task header.
class CoCounter final : public ds::AsyncIterator {
public:
	CoCounter(uint64_t start, uint64_t count) noexcept : cur_(start), end_(start + count) {}
	ds::Future<ds::Next> next(Storage &s) override
	{
		if (cur_ >= end_)
			co_return ds::Next{0, true};
		co_return ds::Next{cur_++, false};
	}
	uint64_t position() const noexcept { return cur_; }

private:
	uint64_t cur_;
	uint64_t end_;
};

TEST_P(Sweep, FlatCoroutineCall)
{
	StorageUnderTest st(GetParam());
	CoCounter c(5, 3);
	Outcome<ds::Next> o;
	uint64_t pos = 5;
	long points = sweep(
		[&](long n, bool injected) {
			ASSERT_EQ(1, o.calls) << "n=" << n;
			if (injected && !st.absorbs()) {
				EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
				EXPECT_EQ(pos, c.position()) << "advanced on failure, n=" << n;
			} else {
				EXPECT_EQ(0, o.err) << "n=" << n;
				EXPECT_EQ(pos, o.value.value);
				EXPECT_EQ(++pos, c.position());
			}
		},
		[&] {
			o = {};
			ds::AsyncIterator &it = c;
			ds::RootTask<ds::Next>::spawn(it.next(st.get()), &Outcome<ds::Next>::record, &o, nullptr, st.header());
		});
	EXPECT_EQ(2, points) << "frame, task header";
}

TEST_P(Sweep, NestedThreeDeep)
{
	StorageUnderTest st(GetParam());
	ds::Counter c(1, 100);
	ds::Map m1(&c, 2, 0), m2(&m1, 1, 1), m3(&m2, 3, 0);
	Outcome<ds::Next> o;
	uint64_t pos = 1;
	long points = sweep(
		[&](long n, bool injected) {
			ASSERT_EQ(1, o.calls) << "n=" << n;
			if (injected && !st.absorbs()) {
				EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
				EXPECT_EQ(pos, c.position()) << "n=" << n;
			} else {
				EXPECT_EQ(0, o.err) << "n=" << n;
				EXPECT_EQ((pos * 2 + 1) * 3, o.value.value);
				EXPECT_EQ(++pos, c.position());
			}
		},
		[&] {
			o = {};
			ds::AsyncIterator &top = m3;
			ds::RootTask<ds::Next>::spawn(top.next(st.get()), &Outcome<ds::Next>::record, &o, nullptr, st.header());
		});
	EXPECT_EQ(4, points) << "three map frames (the counter has none), task header";
}

TEST_P(Sweep, RecursionThroughDynCalls)
{
	StorageUnderTest st(GetParam());
	ds::Descend d;
	ds::Recursive &rec = d;
	Outcome<int> o;
	long points = sweep(
		[&](long n, bool injected) {
			ASSERT_EQ(1, o.calls) << "n=" << n;
			if (injected && !st.absorbs()) {
				EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
			} else {
				EXPECT_EQ(6, o.value) << "n=" << n;
			}
		},
		[&] {
			o = {};
			ds::RootTask<int>::spawn(rec.down(6, st.get()), &Outcome<int>::record, &o, nullptr, st.header());
		});
	EXPECT_EQ(8, points) << "seven frames, task header";
}

TEST_P(Sweep, ConsumingCall)
{
	StorageUnderTest st(GetParam());
	ds::Boxed objects(DS_GFP_KERNEL, DS_SITE_OBJECT);
	ds::Sink sink;
	ds::DynBox<ds::Widget> w;
	ds::Widget *raw = nullptr;
	auto make_widget = [&] {
		auto made = ds::make_in<ds::Gadget, ds::Widget>(objects, uint64_t{9});
		ASSERT_TRUE(made.ok());
		w = std::move(*made);
		raw = w.get();
	};
	make_widget();
	Outcome<uint64_t> o;
	long points = sweep(
		[&](long n, bool injected) {
			ASSERT_EQ(1, o.calls) << "n=" << n;
			if (injected && !st.absorbs()) {
				EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
				ASSERT_TRUE(w) << "object not given back, n=" << n;
				EXPECT_EQ(raw, w.get());
				EXPECT_EQ(9u, w->total());
			} else {
				EXPECT_EQ(9u, o.value) << "n=" << n;
				EXPECT_FALSE(w);
				EXPECT_EQ(0, host::live(DS_SITE_OBJECT));
				host::fail_nth(0);
				make_widget(); // for the next run
			}
		},
		[&] {
			o = {};
			ds::RootTask<uint64_t>::spawn(
				raw->transmit(ds::Consume<ds::Widget>(w), sink, st.get()),
				&Outcome<uint64_t>::record, &o, nullptr, st.header());
		});
	EXPECT_EQ(2, points) << "frame, task header";
	EXPECT_EQ(st.absorbs() ? 3u : 1u, sink.deliveries);
	w.reset();
}

TEST_P(Sweep, ArgumentAdaptation)
{
	StorageUnderTest st(GetParam());
	ds::Gadget g(0);
	ds::Widget &w = g;
	Outcome<uint64_t> o;
	uint64_t expect = 0;
	long points = sweep(
		[&](long n, bool injected) {
			ASSERT_EQ(1, o.calls) << "n=" << n;
			if (injected && !st.absorbs()) {
				EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
				EXPECT_EQ(expect, g.total()) << "augmented on failure, n=" << n;
			} else {
				expect += 3;
				EXPECT_EQ(expect, o.value) << "n=" << n;
			}
		},
		[&] {
			o = {};
			ds::RootTask<uint64_t>::spawn(w.augment(Bolt{}, st.get()),
						      &Outcome<uint64_t>::record, &o, nullptr, st.header());
		});
	// The gadget's augment is ready at once: nothing to fail.
	EXPECT_EQ(0, points) << "frame-free call allocated";
}

TEST_P(Sweep, ImplTraitReturnThenSum)
{
	StorageUnderTest st(GetParam());
	ds::Gadget g(0);
	for (int i = 0; i < 3; i++) {
		Outcome<uint64_t> o;
		run_to_end(g.augment(Bolt{}, st.boxed), o);
	}
	ds::Boxed objects(DS_GFP_KERNEL, DS_SITE_OBJECT);
	Outcome<uint64_t> o;
	int made_errs = 0;
	long points = sweep(
		[&](long n, bool injected) {
			if (made_errs) {
				EXPECT_TRUE(injected);
				EXPECT_EQ(0, o.calls) << "no call without an iterator";
				made_errs = 0;
				return;
			}
			ASSERT_EQ(1, o.calls) << "n=" << n;
			if (injected && !st.absorbs()) {
				EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
			} else {
				EXPECT_EQ(0u + 1 + 2, o.value) << "n=" << n;
			}
		},
		[&] {
			o = {};
			auto it = g.components(objects);
			if (!it.ok()) {
				EXPECT_EQ(-DS_ENOMEM, it.error());
				made_errs = 1;
				return;
			}
			ds::RootTask<uint64_t>::spawn(ds::sum(**it, 10, st.get()),
						      &Outcome<uint64_t>::record, &o, nullptr, st.header());
		});
	// object, sum frame, task header; the counter's next() is frame-free
	EXPECT_EQ(3, points);
}

INSTANTIATE_TEST_SUITE_P(Strategies, Sweep,
			 ::testing::Values(Kind::Boxed, Kind::MaybeBoxed, Kind::Reserve),
			 [](const ::testing::TestParamInfo<Kind> &i) {
				 switch (i.param) {
				 case Kind::Boxed: return "Boxed";
				 case Kind::MaybeBoxed: return "MaybeBoxed";
				 default: return "Reserve";
				 }
			 });

} // namespace
