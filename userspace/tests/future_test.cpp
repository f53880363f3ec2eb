// SPDX-License-Identifier: GPL-2.0
// Result, Future and RootTask basics on the host platform.
#include <gtest/gtest.h>

#include "fixture.h"
#include "rt/future.hpp"
#include "rt/task.hpp"
#include "rt/worker_hop.hpp"

namespace {

using ds::Err;
using ds::Future;
using ds::Result;

struct Outcome {
	int calls = 0;
	int err = 1;
	int value = -1;
};

template <class T>
void record(void *ctx, Result<T> &&r)
{
	auto *o = static_cast<Outcome *>(ctx);
	o->calls++;
	o->err = r.error();
	if constexpr (!std::is_void_v<T>)
		if (r.ok())
			o->value = static_cast<int>(*r);
}

Future<int> ready(ds::Storage &s, int v)
{
	co_return ds::Ok{v};
}

Future<int> hop_then(ds::Storage &s, int v)
{
	co_await ds::ResumeOnWorker{};
	co_return ds::Ok{v + 1};
}

Future<int> fails_with(ds::Storage &s, int err)
{
	co_return Err{err};
}

// Awaits two children; DS_CO_TRY propagates the first error.
Future<int> sum_children(ds::Storage &s)
{
	DS_CO_TRY(int a, co_await ready(s, 20));
	DS_CO_TRY(int b, co_await hop_then(s, 21));
	co_return ds::Ok{a + b};
}

Future<int> sum_with_failure(ds::Storage &s, int err)
{
	DS_CO_TRY(int a, co_await ready(s, 1));
	DS_CO_TRY(int b, co_await fails_with(s, err));
	co_return ds::Ok{a + b + 1000};
}

Future<void> void_op(ds::Storage &s, bool fail)
{
	if (fail)
		DS_CO_FAIL(-DS_EBUSY);
	co_return;
}

struct Counter {
	int n = 0;
	// Member coroutine: the object comes first, the storage after it.
	Future<int> bump(ds::Storage &s, int by)
	{
		n += by;
		co_return ds::Ok{n};
	}
};

} // namespace

TEST(ResultTest, ValueAndError)
{
	Result<int> ok = 7;
	ASSERT_TRUE(ok.ok());
	EXPECT_EQ(0, ok.error());
	EXPECT_EQ(7, *ok);
	Result<int> bad = Err{-DS_ENOMEM};
	EXPECT_FALSE(bad.ok());
	EXPECT_EQ(-DS_ENOMEM, bad.error());
	// A positive code is a programming error: it becomes -EINVAL.
	Result<int> wrong = Err{5};
	EXPECT_EQ(-DS_EINVAL, wrong.error());
	Result<void> v;
	EXPECT_TRUE(v.ok());
	Result<void> ve = Err{-DS_ENOSPC};
	EXPECT_EQ(-DS_ENOSPC, ve.error());
}

TEST(ResultTest, MoveKeepsState)
{
	Result<int> a = Err{-DS_EBUSY};
	Result<int> b = std::move(a);
	EXPECT_EQ(-DS_EBUSY, b.error());
	Result<int> c = 3;
	b = std::move(c);
	EXPECT_EQ(3, *b);
}

using FutureTest = RuntimeTest;

TEST_F(FutureTest, ReadyAtOnceCompletesInlineWithoutQueuing)
{
	ds::Boxed boxed;
	Outcome o;
	ds::RootTask<int>::spawn(ready(boxed, 5), &record<int>, &o);
	EXPECT_EQ(1, o.calls) << "completed before spawn returned";
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(5, o.value);
	EXPECT_EQ(0u, host::pending());
	EXPECT_EQ(0, ds_live_allocations());
}

TEST_F(FutureTest, SuspendsOnceAndResumesOnWorker)
{
	ds::Boxed boxed;
	Outcome o;
	ds::RootTask<int>::spawn(hop_then(boxed, 1), &record<int>, &o);
	EXPECT_EQ(0, o.calls);
	EXPECT_EQ(1u, host::pending());
	EXPECT_EQ(1, host::live(DS_SITE_FRAME));
	EXPECT_EQ(1, host::live(DS_SITE_TASK));
	EXPECT_EQ(1u, host::run_pending());
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(2, o.value);
}

TEST_F(FutureTest, NestedAwaitsAndPropagation)
{
	ds::Boxed boxed;
	Outcome o;
	ds::RootTask<int>::spawn(sum_children(boxed), &record<int>, &o);
	host::run_pending();
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(42, o.value);

	Outcome e;
	ds::RootTask<int>::spawn(sum_with_failure(boxed, -DS_ETIMEDOUT), &record<int>, &e);
	EXPECT_EQ(1, e.calls);
	EXPECT_EQ(-DS_ETIMEDOUT, e.err);
}

TEST_F(FutureTest, VoidFutures)
{
	ds::Boxed boxed;
	Outcome ok, bad;
	ds::RootTask<void>::spawn(void_op(boxed, false), &record<void>, &ok);
	ds::RootTask<void>::spawn(void_op(boxed, true), &record<void>, &bad);
	EXPECT_EQ(0, ok.err);
	EXPECT_EQ(-DS_EBUSY, bad.err);
}

TEST_F(FutureTest, MemberCoroutineFindsStorageAfterObject)
{
	ds::Boxed boxed;
	Counter c;
	Outcome o;
	ds::RootTask<int>::spawn(c.bump(boxed, 3), &record<int>, &o);
	EXPECT_EQ(3, o.value);
	EXPECT_EQ(3, c.n);
}

TEST_F(FutureTest, FrameAllocationFailureIsAValue)
{
	ds::Boxed boxed;
	host::fail_nth(1);
	Future<int> f = ready(boxed, 1);
	EXPECT_FALSE(f.started());
	EXPECT_EQ(-DS_ENOMEM, f.error());
	EXPECT_EQ(1, host::injected_failures());
	Outcome o;
	ds::RootTask<int>::spawn(std::move(f), &record<int>, &o);
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_ENOMEM, o.err);
}

TEST_F(FutureTest, ChildFrameFailureSurfacesAtAwait)
{
	ds::Boxed boxed;
	Outcome o;
	// Allocations: 1 parent frame, 2 task header, 3 first child.
	host::fail_nth(3);
	ds::RootTask<int>::spawn(sum_children(boxed), &record<int>, &o);
	host::run_pending();
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_ENOMEM, o.err);
	EXPECT_EQ(1, host::injected_failures());
}

TEST_F(FutureTest, TaskHeaderFailureFreesTheFrame)
{
	ds::Boxed boxed;
	Outcome o;
	host::fail_nth(2);
	ds::RootTask<int>::spawn(hop_then(boxed, 1), &record<int>, &o);
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_ENOMEM, o.err);
	EXPECT_EQ(0u, host::pending()) << "the body never ran";
}

// Every allocation point of a nested call graph, failed in turn: exactly
// one completion with -ENOMEM, or the right value once n passes them all.
TEST_F(FutureTest, FailNthSweepNested)
{
	ds::Boxed boxed;
	long n = 1;
	for (;; n++) {
		host::reset_alloc_counters();
		host::fail_nth(n);
		Outcome o;
		ds::RootTask<int>::spawn(sum_children(boxed), &record<int>, &o);
		host::run_pending();
		ASSERT_EQ(1, o.calls) << "n=" << n;
		ASSERT_EQ(0, ds_live_allocations()) << "n=" << n;
		if (host::injected_failures() == 0) {
			EXPECT_EQ(0, o.err);
			EXPECT_EQ(42, o.value);
			break;
		}
		EXPECT_EQ(-DS_ENOMEM, o.err) << "n=" << n;
	}
	EXPECT_EQ(5, n) << "parent, task, two children: 4 points, then success";
}

TEST_F(FutureTest, BoxedRefusesBadAlignment)
{
	ds::Boxed boxed;
	ds::Allocation a = boxed.allocate(64, 8192);
	EXPECT_EQ(nullptr, a.ptr);
	EXPECT_EQ(-DS_EINVAL, a.err);
	a = boxed.allocate(64, 24);
	EXPECT_EQ(-DS_EINVAL, a.err);
	a = boxed.allocate(64, 64);
	ASSERT_NE(nullptr, a.ptr);
	EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(a.ptr) % 64);
	a.owner->release(a.ptr, 64);
}
