// SPDX-License-Identifier: GPL-2.0
// What a Future<T> body may return, and how (rt/return_check.hpp,
// PromiseResult in rt/future.hpp): `co_return;` in Future<void>, one error
// exit (DS_CO_FAIL, DS_CO_TRY) for every T, values written ds::Ok{v}
// where a bare integer could be an errno. The refusals are compile errors:
// scripts/tests/test-compile-fail.sh.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "drive.hpp"
#include "fixture.h"
#include "rt/future.hpp"
#include "rt/sleep.hpp"
#include "rt/worker_hop.hpp"

namespace {

using ds::Future;
using ds::Storage;

Future<int> value_or(Storage &s, int err, int v)
{
	if (err)
		co_return ds::Err{err};
	co_return ds::Ok{v};
}

// Success is `co_return;`; an error DS_CO_FAIL; a nested error DS_CO_TRY,
// whether the nested call yields a value or nothing.
Future<void> store(Storage &s, int err, int *out)
{
	co_await ds::ResumeOnWorker{};
	if (err == -DS_EIO)
		DS_CO_FAIL(err);
	DS_CO_TRY(int v, co_await value_or(s, err, 7));
	*out = v;
	co_return;
}

Future<void> store_twice(Storage &s, int err, int *out)
{
	DS_CO_TRY_VOID(co_await store(s, 0, out));
	DS_CO_TRY_VOID(co_await store(s, err, out));
	*out += 100;
	// Falling off the end of a Future<void> is `co_return;`.
}

struct Guard {
	int *dtors;
	~Guard() { ++*dtors; }
};

// The locals of a void coroutine that fails are destroyed when it ends,
// before its caller resumes (a real co_return, not a parked frame).
Future<void> fail_with_guard(Storage &s, int *dtors)
{
	Guard g{dtors};
	co_await ds::sleep_for(1000);
	DS_CO_FAIL(-DS_ENOSPC);
}

Future<int> after_guard(Storage &s, int *dtors)
{
	ds::Result<void> r = co_await fail_with_guard(s, dtors);
	co_return ds::Ok{r.error() * 10 + *dtors};
}

// A value held in an Ok lvalue, and one of another integer type.
Future<long> kept(Storage &, int v)
{
	const ds::Ok<int> ok{v};
	if (v > 100)
		co_return ds::Ok{v * 1000000000L};
	co_return ok;
}

Future<size_t> length(Storage &s, bool fail, size_t n)
{
	if (fail)
		DS_CO_FAIL(-DS_EFAULT);
	co_return n; // unsigned: no errno fits, it passes bare
}

Future<uint64_t> zero(Storage &s)
{
	co_return 0u;
}

using NoTrapsTest = RuntimeTest;

TEST_F(NoTrapsTest, VoidFutureCoReturnsAndFails)
{
	ds::Boxed boxed;
	int out = 0;
	Outcome<void> ok, fail, nested;
	run_to_end(store(boxed, 0, &out), ok);
	EXPECT_EQ(1, ok.calls);
	EXPECT_EQ(0, ok.err);
	EXPECT_EQ(7, out);

	out = 0;
	run_to_end(store(boxed, -DS_EIO, &out), fail);
	EXPECT_EQ(-DS_EIO, fail.err);
	EXPECT_EQ(0, out);

	run_to_end(store(boxed, -DS_EAGAIN, &out), nested);
	EXPECT_EQ(-DS_EAGAIN, nested.err) << "DS_CO_TRY in a Future<void>";
	EXPECT_EQ(0, out);
}

TEST_F(NoTrapsTest, TryVoidPropagatesAndFallingOffTheEndSucceeds)
{
	ds::Boxed boxed;
	int out = 0;
	Outcome<void> ok, fail;
	run_to_end(store_twice(boxed, 0, &out), ok);
	EXPECT_EQ(0, ok.err);
	EXPECT_EQ(107, out);
	out = 0;
	run_to_end(store_twice(boxed, -DS_EIO, &out), fail);
	EXPECT_EQ(-DS_EIO, fail.err);
	EXPECT_EQ(7, out) << "the first store ran, the tail did not";
}

TEST_F(NoTrapsTest, FailedVoidCoroutineDestroysItsLocalsBeforeTheCallerResumes)
{
	ds::Boxed boxed;
	int dtors = 0;
	Outcome<int> o;
	run_to_end(after_guard(boxed, &dtors), o);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(-DS_ENOSPC * 10 + 1, o.value);
}

TEST_F(NoTrapsTest, VoidFrameAllocationFailureIsTheErrno)
{
	ds::Boxed boxed;
	int out = 0;
	Outcome<void> o;
	host::fail_nth(1);
	run_to_end(store(boxed, 0, &out), o);
	EXPECT_EQ(-DS_ENOMEM, o.err);
	EXPECT_EQ(0, out);
}

TEST_F(NoTrapsTest, IntegerFuturesSayWhichIsTheValue)
{
	ds::Boxed boxed;
	Outcome<int> v, e;
	run_to_end(value_or(boxed, 0, -5), v);
	EXPECT_EQ(0, v.err) << "ds::Ok{-5} is a value, even a negative one";
	EXPECT_EQ(-5, v.value);
	run_to_end(value_or(boxed, -DS_EIO, 1), e);
	EXPECT_EQ(-DS_EIO, e.err);

	Outcome<size_t> n, f;
	run_to_end(length(boxed, false, 42), n);
	EXPECT_EQ(0, n.err);
	EXPECT_EQ(42u, n.value);
	run_to_end(length(boxed, true, 42), f);
	EXPECT_EQ(-DS_EFAULT, f.err);

	Outcome<long> k, big;
	run_to_end(kept(boxed, -7), k);
	EXPECT_EQ(0, k.err);
	EXPECT_EQ(-7, k.value);
	run_to_end(kept(boxed, 101), big);
	EXPECT_EQ(101000000000L, big.value);

	Outcome<uint64_t> z;
	run_to_end(zero(boxed), z);
	EXPECT_EQ(0, z.err);
	EXPECT_EQ(0u, z.value);
}

TEST_F(NoTrapsTest, ReadyTakesTheSameOperands)
{
	ds::Boxed boxed;
	Future<int> a = Future<int>::ready(ds::Ok{-1});
	EXPECT_TRUE(a.has_value());
	EXPECT_EQ(-1, *a.take_ready());
	Future<int> b = Future<int>::ready(ds::Err{-DS_EIO});
	EXPECT_EQ(-DS_EIO, b.error());
	Future<void> c = Future<void>::ready_in(boxed, [] {});
	EXPECT_TRUE(c.has_value());
	Future<void> d = Future<void>::ready(ds::Ok{});
	EXPECT_TRUE(d.has_value());
	Future<size_t> e = Future<size_t>::ready_in(boxed, [] { return size_t{3}; });
	EXPECT_EQ(3u, *e.take_ready());
}

} // namespace
