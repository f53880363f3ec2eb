// SPDX-License-Identifier: GPL-2.0
// Executor: timers, events, wake-ups and cancellation of suspended tasks.
#include <gtest/gtest.h>

#include "drive.hpp"
#include "fixture.h"
#include "rt/event.hpp"
#include "rt/sleep.hpp"
#include "rt/worker_hop.hpp"
#include "traits/async_iterator.hpp"

namespace {

using ds::Future;
using ds::Storage;

struct Guard {
	int *dtors;
	~Guard() { ++*dtors; }
};

Future<int> wait_event(ds::Event &e, Storage &s, int *dtors)
{
	Guard g{dtors};
	co_await e.wait();
	co_return ds::Ok{1};
}

using ExecutorTest = RuntimeTest;

TEST_F(ExecutorTest, SleepSuspendsUntilTheTimerFires)
{
	ds::Boxed boxed;
	ds::Ticker t(5000, 2);
	Outcome<ds::Next> o;
	ds::RootTask<ds::Next>::spawn(t.next(boxed), &Outcome<ds::Next>::record, &o);
	EXPECT_EQ(0, o.calls);
	EXPECT_EQ(1u, host::armed_timers());
	EXPECT_EQ(0u, host::run_pending()) << "nothing runs before the timer";
	EXPECT_EQ(0u, host::advance_time(4999));
	EXPECT_EQ(1u, host::advance_time(1));
	EXPECT_EQ(0, o.calls) << "the timer only wakes; the worker resumes";
	EXPECT_EQ(1u, host::run_pending());
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(0u, o.value.value);
	EXPECT_EQ(1u, t.position());
}

TEST_F(ExecutorTest, CancelWhileSleepingDestroysFramesAndDisarmsTheTimer)
{
	ds::TaskStack ts;
	ASSERT_EQ(0, ts.init(4096));
	ds::Ticker t(1000000, 3);
	ds::Map m(&t, 10, 0);
	ds::AsyncIterator &top = m;
	Outcome<ds::Next> o;
	ds::TaskRef ref;
	ds::RootTask<ds::Next>::spawn(top.next(ts), &Outcome<ds::Next>::record, &o, &ref);
	ASSERT_TRUE(ref);
	EXPECT_GT(ts.used(), 0u);
	ref.cancel();
	EXPECT_EQ(0, o.calls) << "cancellation happens on the worker";
	host::run_pending();
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_ECANCELED, o.err);
	EXPECT_EQ(0u, host::armed_timers());
	EXPECT_EQ(0u, ts.used()) << "every frame popped";
	EXPECT_EQ(0u, t.position()) << "the ticker did not advance";
	ref.cancel(); // after completion: no effect
	host::run_pending();
	EXPECT_EQ(1, o.calls) << "exactly once";
}

// The timer has woken the task but the worker has not resumed it yet: it is
// still suspended, so the cancel wins. Either way: exactly one completion.
TEST_F(ExecutorTest, CancelBetweenWakeAndResumeWins)
{
	ds::Boxed boxed;
	ds::Ticker t(100, 1);
	Outcome<ds::Next> o;
	ds::TaskRef ref;
	ds::RootTask<ds::Next>::spawn(t.next(boxed), &Outcome<ds::Next>::record, &o, &ref);
	host::advance_time(100); // queued for resumption
	EXPECT_EQ(1u, host::pending());
	ref.cancel();
	drive();
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_ECANCELED, o.err);
	EXPECT_EQ(0u, t.position());
}

TEST_F(ExecutorTest, EventWakesEveryWaiter)
{
	ds::Boxed boxed;
	ds::Event e;
	int dtors = 0;
	Outcome<int> a, b;
	ds::RootTask<int>::spawn(wait_event(e, boxed, &dtors), &Outcome<int>::record, &a);
	ds::RootTask<int>::spawn(wait_event(e, boxed, &dtors), &Outcome<int>::record, &b);
	EXPECT_EQ(2, e.waiters());
	e.set();
	EXPECT_EQ(0, e.waiters());
	drive();
	EXPECT_EQ(1, a.value);
	EXPECT_EQ(1, b.value);
	EXPECT_EQ(2, dtors);
	Outcome<int> c;
	ds::RootTask<int>::spawn(wait_event(e, boxed, &dtors), &Outcome<int>::record, &c);
	EXPECT_EQ(1, c.calls) << "a set event does not suspend";
}

TEST_F(ExecutorTest, CancelledWaiterUnlinksAndRunsDestructors)
{
	ds::Boxed boxed;
	ds::Event e;
	int dtors = 0;
	Outcome<int> o;
	ds::TaskRef ref;
	ds::RootTask<int>::spawn(wait_event(e, boxed, &dtors), &Outcome<int>::record, &o, &ref);
	EXPECT_EQ(1, e.waiters());
	ref.cancel();
	host::run_pending();
	EXPECT_EQ(-DS_ECANCELED, o.err);
	EXPECT_EQ(0, e.waiters());
	EXPECT_EQ(1, dtors);
	e.set(); // nobody left to wake
	EXPECT_EQ(0u, host::pending());
}

TEST_F(ExecutorTest, DoubleCancelCompletesOnce)
{
	ds::Boxed boxed;
	ds::Event e;
	int dtors = 0;
	Outcome<int> o;
	ds::TaskRef ref;
	ds::RootTask<int>::spawn(wait_event(e, boxed, &dtors), &Outcome<int>::record, &o, &ref);
	ref.cancel();
	ref.cancel();
	drive();
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_ECANCELED, o.err);
	EXPECT_EQ(1, dtors);
}

// The task is cancelled while it runs (here: by itself, through the ref
// spawn filled in before starting it); the cancel takes effect at its next
// suspension, which then does not wait for any waker.
Future<int> cancel_self_then_hop(ds::TaskRef *ref, Storage &s, int *dtors, int *after)
{
	Guard g{dtors};
	ref->cancel();
	co_await ds::ResumeOnWorker{};
	++*after; // never reached
	co_return ds::Ok{1};
}

TEST_F(ExecutorTest, CancelWhileRunningTakesEffectAtNextSuspension)
{
	ds::Boxed boxed;
	int dtors = 0, after = 0;
	Outcome<int> o;
	ds::TaskRef ref;
	ds::RootTask<int>::spawn(cancel_self_then_hop(&ref, boxed, &dtors, &after),
				 &Outcome<int>::record, &o, &ref);
	EXPECT_EQ(0, o.calls);
	EXPECT_EQ(1u, host::pending()) << "queued by the suspension itself";
	drive();
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(-DS_ECANCELED, o.err);
	EXPECT_EQ(0, after);
	EXPECT_EQ(1, dtors);
}

TEST_F(ExecutorTest, ReadyFutureNeedsNoTask)
{
	ds::Boxed boxed;
	ds::Counter c(0, 1);
	Outcome<ds::Next> o;
	ds::TaskRef ref;
	const long calls = host::alloc_calls();
	ds::RootTask<ds::Next>::spawn(c.next(boxed), &Outcome<ds::Next>::record, &o, &ref);
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(0u, o.value.value);
	EXPECT_FALSE(ref) << "no task to cancel";
	EXPECT_EQ(0, host::live(DS_SITE_TASK));
	EXPECT_EQ(calls, host::alloc_calls()) << "nothing allocated";
}

TEST_F(ExecutorTest, TaskRefKeepsTheHeaderUntilReleased)
{
	ds::Boxed boxed;
	ds::Counter cnt(0, 1);
	ds::Map c(&cnt, 1, 0); // a coroutine, ready without suspending
	Outcome<ds::Next> o;
	ds::TaskRef ref;
	ds::RootTask<ds::Next>::spawn(c.next(boxed), &Outcome<ds::Next>::record, &o, &ref);
	EXPECT_EQ(1, o.calls);
	EXPECT_EQ(1, host::live(DS_SITE_TASK)) << "held by the ref";
	EXPECT_EQ(0, ds::stats_live_frames()) << "frames already freed";
	ref.reset();
	EXPECT_EQ(0, host::live(DS_SITE_TASK));
}

} // namespace
