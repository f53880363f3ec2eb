// SPDX-License-Identifier: GPL-2.0
// The host test kit: the runtime on the userspace platform (malloc, a
// deterministic single-threaded executor, a fake clock, allocation fault
// injection), with helpers for a GoogleTest file of your own. One include:
//   #include "dynasync/testkit.hpp"
// compiled with -std=gnu++20 -fno-rtti -fsanitize=address,undefined
// -I DYNASYNC/kmod -I DYNASYNC/userspace/testkit, and one link line:
//   g++ -fsanitize=address,undefined your_test.o DYNASYNC/build/libdynasync-host.a
//       -lgtest -lgtest_main -pthread
// (make build/libdynasync-host.a builds it; see the README's guide).
#pragma once

#include <gtest/gtest.h>

#include <type_traits>

#include "run.hpp" // Outcome, drive, run_to_end, run

namespace ds::test {

// The fail-nth sweep: for n = 1, 2, ... makes the n-th allocation fail
// (every heap block: frames, task headers, objects, pools), runs @make()
// (returning a Future<T>) to the end and calls @check(n, outcome,
// injected). It stops after the first run where no allocation was failed
// (n then passed every allocation point) and returns the number of points
// swept. Each run is checked to complete exactly once and to leave no
// live allocation, frame or queued work (GoogleTest failures naming n).
template <class Make, class Check>
long sweep_fail_nth(Make &&make, Check &&check, long limit = 10000)
{
	using T = typename std::remove_cvref_t<decltype(make())>::value_type;
	for (long n = 1; n <= limit; n++) {
		host::reset_alloc_counters();
		host::fail_nth(n);
		Outcome<T> o;
		run_to_end(make(), o);
		host::fail_nth(0);
		const bool injected = host::injected_failures() > 0;
		EXPECT_EQ(1, o.calls) << "fail-nth n=" << n;
		EXPECT_EQ(0, live_frames()) << "fail-nth n=" << n;
		EXPECT_EQ(0, live_allocations()) << "fail-nth n=" << n;
		EXPECT_EQ(0u, host::pending()) << "fail-nth n=" << n;
		check(n, o, injected);
		if (!injected)
			return n - 1;
	}
	ADD_FAILURE() << "fail-nth sweep did not end within " << limit << " runs";
	return -1;
}

// A fixture: every test starts with no injected faults and must end with
// no live allocation and no queued work.
class Test : public ::testing::Test {
protected:
	void SetUp() override { host::reset_alloc_counters(); }
	void TearDown() override
	{
		host::run_pending();
		host::fail_nth(0);
		EXPECT_EQ(0, live_allocations()) << "leaked allocations";
		EXPECT_EQ(0u, host::pending()) << "work left queued";
	}
};

} // namespace ds::test
