// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync calls: every trait, impl and storage strategy over both paths
 * (blocking ioctl and IORING_OP_URING_CMD on a SQE128 ring) with exact
 * values; the strategies' own errnos (-E2BIG, -ENOSPC) and -EBUSY;
 * deadlines; DESTROY with a call pending; and completion semantics:
 * exactly one completion per submitted call on every path (success, each
 * errno, deadline expiry, the file closed or the ring torn down with
 * calls in flight), ready-at-once calls completing in the issue path.
 * Each test ends with every object destroyed and no live allocation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dynasync_util.h"

#define U64_MAX		(~0ULL)
#define MS(x)		((__u64)(x) * NSEC_PER_MSEC)

/* Indexes of dynasync_strategy_stats.failures[]. */
#define FAIL_ENOMEM	0
#define FAIL_E2BIG	1
#define FAIL_EBUSY	2
#define FAIL_ENOSPC	3

static long long frame_of(int fd, __u32 trait, __u32 impl, __u32 method)
{
	return ds_layout(fd, trait, impl, method, NULL);
}

/* ======================================================================
 * Every trait/impl over every strategy, on both paths.
 * ======================================================================
 */

FIXTURE(call)
{
	struct ds ds;
	struct dynasync_storage st;
};

FIXTURE_VARIANT(call)
{
	bool uring;
	struct dynasync_storage st;
};

#define S_BOXED		{ .strategy = DYNASYNC_STRATEGY_BOXED }
#define S_BOXED_NOWAIT	{ .strategy = DYNASYNC_STRATEGY_BOXED, .gfp = 1 }
#define S_INLINE	{ .strategy = DYNASYNC_STRATEGY_INLINE }
#define S_MAYBE		{ .strategy = DYNASYNC_STRATEGY_MAYBE_BOXED }
/* A 16-byte slot: every frame takes the kmalloc fallback. */
#define S_MAYBE_FB	{ .strategy = DYNASYNC_STRATEGY_MAYBE_BOXED, .slot_size = 16 }
#define S_CACHED	{ .strategy = DYNASYNC_STRATEGY_CACHED }
#define S_TASK_STACK	{ .strategy = DYNASYNC_STRATEGY_TASK_STACK, .task_stack_size = 16384 }
#define S_RESERVE	{ .strategy = DYNASYNC_STRATEGY_RESERVE, .reserve_frames = 4 }

FIXTURE_VARIANT_ADD(call, boxed_ioctl) { .uring = false, .st = S_BOXED };
FIXTURE_VARIANT_ADD(call, boxed_uring) { .uring = true, .st = S_BOXED };
FIXTURE_VARIANT_ADD(call, boxed_nowait_ioctl) { .uring = false, .st = S_BOXED_NOWAIT };
FIXTURE_VARIANT_ADD(call, boxed_nowait_uring) { .uring = true, .st = S_BOXED_NOWAIT };
FIXTURE_VARIANT_ADD(call, inline_ioctl) { .uring = false, .st = S_INLINE };
FIXTURE_VARIANT_ADD(call, inline_uring) { .uring = true, .st = S_INLINE };
FIXTURE_VARIANT_ADD(call, maybe_boxed_ioctl) { .uring = false, .st = S_MAYBE };
FIXTURE_VARIANT_ADD(call, maybe_boxed_uring) { .uring = true, .st = S_MAYBE };
FIXTURE_VARIANT_ADD(call, maybe_boxed_fallback_ioctl) { .uring = false, .st = S_MAYBE_FB };
FIXTURE_VARIANT_ADD(call, maybe_boxed_fallback_uring) { .uring = true, .st = S_MAYBE_FB };
FIXTURE_VARIANT_ADD(call, cached_ioctl) { .uring = false, .st = S_CACHED };
FIXTURE_VARIANT_ADD(call, cached_uring) { .uring = true, .st = S_CACHED };
FIXTURE_VARIANT_ADD(call, task_stack_ioctl) { .uring = false, .st = S_TASK_STACK };
FIXTURE_VARIANT_ADD(call, task_stack_uring) { .uring = true, .st = S_TASK_STACK };
FIXTURE_VARIANT_ADD(call, reserve_ioctl) { .uring = false, .st = S_RESERVE };
FIXTURE_VARIANT_ADD(call, reserve_uring) { .uring = true, .st = S_RESERVE };

FIXTURE_SETUP(call)
{
	/* A ring either way: cross-path checks submit through it. */
	ASSERT_EQ(0, ds_open(&self->ds, variant->uring, true));
	self->st = variant->st;
}

FIXTURE_TEARDOWN(call)
{
	ds_teardown(_metadata, &self->ds);
}

TEST_F(call, counter_items_then_end)
{
	const __u64 v[] = { 40, 41, 42 };
	const __u64 top[] = { U64_MAX - 2, U64_MAX - 1 };
	struct ds *ds = &self->ds;
	int c, e, t;

	c = create_counter(ds, &self->st, 40, 3);
	e = create_counter(ds, &self->st, 123, 0);
	t = create_counter(ds, &self->st, U64_MAX - 2, 2);
	ASSERT_LT(0, c);
	ASSERT_LT(0, e);
	ASSERT_LT(0, t);
	expect_items(_metadata, ds, c, v, 3, true);
	/* An ended iterator stays ended. */
	expect_items(_metadata, ds, c, NULL, 0, true);
	expect_items(_metadata, ds, e, NULL, 0, true);
	expect_items(_metadata, ds, t, top, 2, true);
}

/* The ticker really suspends: period_ns on an hrtimer before each item. */
TEST_F(call, ticker_sleeps_before_each_item)
{
	const __u64 v[] = { 0, 1, 2 };
	struct ds *ds = &self->ds;
	__u64 t0, dt;
	int t;

	t = create_ticker(ds, &self->st, MS(5), 3);
	ASSERT_LT(0, t);
	t0 = ds_now_ns();
	expect_items(_metadata, ds, t, v, 3, false);
	dt = ds_now_ns() - t0;
	EXPECT_LE(MS(15), dt);
	expect_items(_metadata, ds, t, NULL, 0, true);
}

TEST_F(call, map_take_chain_exact_values)
{
	const __u64 mv[] = { 5, 8, 11, 14 };
	const __u64 tv[] = { 10, 11, 12 };
	const __u64 cv[] = { 0, 1, 100, 101 };
	const __u64 wrap[] = { (1ULL << 63) + 5 };
	const struct dynasync_storage *st = &self->st;
	struct ds *ds = &self->ds;
	int h;

	/* x * 3 + 2 over 1..4. */
	h = create_map(ds, st, create_counter(ds, st, 1, 4), 3, 2);
	ASSERT_LT(0, h);
	expect_items(_metadata, ds, h, mv, 4, true);
	/* 3 of a long counter. */
	h = create_take(ds, st, create_counter(ds, st, 10, 100), 3);
	ASSERT_LT(0, h);
	expect_items(_metadata, ds, h, tv, 3, true);
	/* TAKE 0: ends at once. */
	h = create_take(ds, st, create_counter(ds, st, 10, 100), 0);
	ASSERT_LT(0, h);
	expect_items(_metadata, ds, h, NULL, 0, true);
	/* The first, then the second. */
	h = create_chain(ds, st, create_counter(ds, st, 0, 2),
			 create_counter(ds, st, 100, 2));
	ASSERT_LT(0, h);
	expect_items(_metadata, ds, h, cv, 4, true);
	/* mod 2^64: 3 * 2^63 + 5. */
	h = create_map(ds, st, create_counter(ds, st, 3, 1), 1ULL << 63, 5);
	ASSERT_LT(0, h);
	expect_items(_metadata, ds, h, wrap, 1, true);
}

/* Adaptors over a suspending inner: nested dyn calls that suspend. */
TEST_F(call, nested_adaptors_over_ticker)
{
	const __u64 v[] = { 51, 61, 1 };
	const __u64 w[] = { 0, 1, 7, 8 };
	const struct dynasync_storage *st = &self->st;
	struct ds *ds = &self->ds;
	int ch, h;

	/* take(map(chain(counter 5 6, ticker 0 1), *10 + 1), 3) */
	ch = create_chain(ds, st, create_counter(ds, st, 5, 2),
			  create_ticker(ds, st, MS(1), 2));
	ASSERT_LT(0, ch);
	h = create_take(ds, st, create_map(ds, st, ch, 10, 1), 3);
	ASSERT_LT(0, h);
	expect_items(_metadata, ds, h, v, 3, true);
	/* The ticker first. */
	h = create_chain(ds, st, create_ticker(ds, st, MS(1), 2),
			 create_counter(ds, st, 7, 2));
	ASSERT_LT(0, h);
	expect_items(_metadata, ds, h, w, 4, true);
}

TEST_F(call, sum_exact_values)
{
	const struct dynasync_storage *st = &self->st;
	struct ds *ds = &self->ds;
	int c, m, t;

	c = create_counter(ds, st, 1, 10);
	ASSERT_LT(0, c);
	expect_sum(_metadata, ds, c, 4, 1 + 2 + 3 + 4);
	/* SUM 0 takes nothing. */
	expect_sum(_metadata, ds, c, 0, 0);
	/* Fewer than asked when the iterator ends. */
	expect_sum(_metadata, ds, c, 100, 5 + 6 + 7 + 8 + 9 + 10);
	expect_sum(_metadata, ds, c, 5, 0);
	expect_items(_metadata, ds, c, NULL, 0, true);
	/* Over an adaptor, and over a suspending iterator. */
	m = create_map(ds, st, create_counter(ds, st, 0, 5), 2, 0);
	ASSERT_LT(0, m);
	expect_sum(_metadata, ds, m, 10, 0 + 2 + 4 + 6 + 8);
	t = create_ticker(ds, st, MS(1), 3);
	ASSERT_LT(0, t);
	expect_sum(_metadata, ds, t, 2, 0 + 1);
	expect_sum(_metadata, ds, t, 5, 2);
}

static void expect_augment(struct __test_metadata *_metadata, struct ds *ds,
			   __u32 g, __u64 kind, __u64 size, __u64 total)
{
	struct dynasync_call_out o;

	ASSERT_EQ(0, ds_method(_metadata, ds, g, DYNASYNC_METHOD_AUGMENT, kind,
			       size, &o));
	EXPECT_EQ(total, o.value) {
		TH_LOG("kind %llu size %llu", (unsigned long long)kind,
		       (unsigned long long)size);
	}
	EXPECT_EQ(0, o.flags);
	EXPECT_EQ(0, o.handle);
	EXPECT_EQ(0, o.reserved);
}

/* BOLT weighs its size, GEAR 3 * size + 1 (mod 2^64). */
TEST_F(call, gadget_augment_weights)
{
	struct ds *ds = &self->ds;
	int g;

	g = create_gadget(ds, &self->st, 100);
	ASSERT_LT(0, g);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 7, 107);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_GEAR, 5, 123);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 0, 123);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_GEAR, 0, 124);
	/* 3 * 2^63 + 1 = 2^63 + 1 (mod 2^64). */
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_GEAR, 1ULL << 63,
		       (1ULL << 63) + 125);
}

/* COMPONENTS: a new counter object over 0 .. augments-1. */
TEST_F(call, components_returns_new_iterator)
{
	const __u64 v3[] = { 0, 1, 2 };
	const __u64 v4[] = { 0, 1, 2, 3 };
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_stats s;
	int g, h0, h1, h2, i;

	g = create_gadget(ds, &self->st, 0);
	ASSERT_LT(0, g);
	h0 = ds_method(_metadata, ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
	ASSERT_LT(0, h0);
	ds_track(ds, h0);
	EXPECT_EQ(h0, o.handle);
	EXPECT_NE(g, h0);
	EXPECT_EQ(0, o.flags);
	EXPECT_EQ(0, o.reserved);
	expect_items(_metadata, ds, h0, NULL, 0, true);
	for (i = 0; i < 3; i++)
		expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 1, i + 1);
	h1 = ds_method(_metadata, ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
	ASSERT_LT(0, h1);
	ds_track(ds, h1);
	EXPECT_EQ(h1, o.handle);
	EXPECT_NE(h0, h1);
	expect_items(_metadata, ds, h1, v3, 3, true);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_GEAR, 1, 7);
	h2 = ds_method(_metadata, ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
	ASSERT_LT(0, h2);
	ds_track(ds, h2);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(4, s.objects);
	/* The new object lives on its own. */
	ASSERT_EQ(0, ds_destroy(ds, g));
	expect_items(_metadata, ds, h2, v4, 4, true);
	/* It is an iterator: an adaptor can take it. */
	ASSERT_LT(0, create_map(ds, &self->st, h1, 1, 0));
}

/* TRANSMIT consumes the widget and delivers its total to the sink. */
TEST_F(call, transmit_consumes_and_delivers)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_stats s;
	int g, g2;

	g = create_gadget(ds, &self->st, 5);
	g2 = create_gadget(ds, &self->st, 7);
	ASSERT_LT(0, g);
	ASSERT_LT(0, g2);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 10, 15);
	ASSERT_EQ(0, ds_method(_metadata, ds, g, DYNASYNC_METHOD_TRANSMIT, 0, 0,
			       &o));
	ds_untrack(ds, g);
	EXPECT_EQ(15, o.value);
	EXPECT_EQ(0, o.flags);
	EXPECT_EQ(0, o.handle);
	EXPECT_EQ(0, o.reserved);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(15, s.sink_total);
	EXPECT_EQ(1, s.sink_deliveries);
	EXPECT_EQ(1, s.objects);
	/* Its handle is gone. */
	EXPECT_EQ(-ENOENT, ds_method(_metadata, ds, g, DYNASYNC_METHOD_AUGMENT,
				     DYNASYNC_COMPONENT_BOLT, 1, &o));
	EXPECT_EQ(-ENOENT, ds_method(_metadata, ds, g, DYNASYNC_METHOD_TRANSMIT,
				     0, 0, &o));
	EXPECT_EQ(-ENOENT, ds_destroy(ds, g));
	ASSERT_EQ(0, ds_method(_metadata, ds, g2, DYNASYNC_METHOD_TRANSMIT, 0, 0,
			       &o));
	ds_untrack(ds, g2);
	EXPECT_EQ(7, o.value);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(22, s.sink_total);
	EXPECT_EQ(2, s.sink_deliveries);
	EXPECT_EQ(0, s.objects);
}

/* -ETIMEDOUT: the call was cancelled, next() did not advance. */
TEST_F(call, deadline_expiry_does_not_advance)
{
	const struct dynasync_storage *st = &self->st;
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_call c;
	__u64 t0;
	int t, m;

	t = create_ticker(ds, st, MS(100), 2);
	ASSERT_LT(0, t);
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	c.deadline_ns = MS(1);
	EXPECT_EQ(-ETIMEDOUT, ds_call(_metadata, ds, &c));
	/* Zeroed at submission; nothing produced. */
	EXPECT_EQ(0, o.value);
	EXPECT_EQ(0, o.flags);
	t0 = ds_now_ns();
	expect_item(_metadata, ds, t, 0);
	EXPECT_LE(MS(100), ds_now_ns() - t0);
	/* Through an adaptor too. */
	m = create_map(ds, st, create_ticker(ds, st, MS(100), 2), 1, 7);
	ASSERT_LT(0, m);
	c = ds_mkcall(m, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	c.deadline_ns = MS(1);
	EXPECT_EQ(-ETIMEDOUT, ds_call(_metadata, ds, &c));
	expect_item(_metadata, ds, m, 7);
	expect_item(_metadata, ds, t, 1);
}

/* One call per object at a time, whatever the path of either call. */
TEST_F(call, second_call_on_busy_object_ebusy)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_call c;
	struct ds_async a;
	int t;

	t = create_ticker(ds, &self->st, MS(250), 2);
	ASSERT_LT(0, t);
	ds_async_start(_metadata, ds, &a, t, DYNASYNC_METHOD_NEXT, 0, 0);
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	EXPECT_EQ(-EBUSY, call_ioctl(ds, &c));
	EXPECT_EQ(-EBUSY, call_uring(_metadata, ds, &c));
	c = ds_mkcall(t, DYNASYNC_METHOD_SUM, 2, 0, &o);
	EXPECT_EQ(-EBUSY, call_ioctl(ds, &c));
	EXPECT_EQ(-EBUSY, call_uring(_metadata, ds, &c));
	EXPECT_EQ(1, ds_async_finish(_metadata, &a));
	EXPECT_EQ(0, a.out.value);
	EXPECT_EQ(0, a.out.flags);
	/* The refused calls did not advance it. */
	expect_item(_metadata, ds, t, 1);
	expect_items(_metadata, ds, t, NULL, 0, true);
}

/* DESTROY is refused while a call is in flight, never deferred. */
TEST_F(call, destroy_with_call_pending_ebusy)
{
	const struct dynasync_storage *st = &self->st;
	struct ds *ds = &self->ds;
	struct dynasync_stats s;
	struct ds_async a;
	int m;

	m = create_map(ds, st, create_ticker(ds, st, MS(250), 1), 2, 3);
	ASSERT_LT(0, m);
	ds_async_start(_metadata, ds, &a, m, DYNASYNC_METHOD_NEXT, 0, 0);
	EXPECT_EQ(-EBUSY, ds_destroy(ds, m));
	EXPECT_EQ(-EBUSY, ds_destroy(ds, m));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(2, s.objects);
	EXPECT_EQ(1, s.inflight);
	EXPECT_EQ(1, ds_async_finish(_metadata, &a));
	EXPECT_EQ(3, a.out.value);
	/* After the completion: destroyed, inner included, frames gone. */
	ASSERT_EQ(0, ds_destroy(ds, m));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.objects);
	EXPECT_EQ(0, s.inflight);
	EXPECT_EQ(0, s.strategy[self->st.strategy].live_frames);
}

/* The strategy accounts the suspended call's frames, and only then. */
TEST_F(call, frames_live_only_while_suspended)
{
	__u32 sg = self->st.strategy;
	struct ds *ds = &self->ds;
	struct dynasync_stats s;
	struct ds_async a;
	int t, i;

	t = create_ticker(ds, &self->st, MS(250), 1);
	ASSERT_LT(0, t);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.strategy[sg].live_frames);
	ds_async_start(_metadata, ds, &a, t, DYNASYNC_METHOD_NEXT, 0, 0);
	/* In flight means taken; its frame is placed a moment later. */
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, ds_stats(ds->fd, &s));
		if (s.strategy[sg].live_frames)
			break;
		usleep(10000);
	}
	EXPECT_LE(1, s.strategy[sg].live_frames);
	EXPECT_LT(0, s.strategy[sg].live_bytes);
	/* A call's bookkeeping is no allocation: its object's call_space
	 * (made at CREATE) or, under RESERVE, an element of its pool.
	 */
	EXPECT_EQ(0, s.live_allocs[DYNASYNC_SITE_TASK]);
	EXPECT_EQ(1, s.inflight);
	EXPECT_EQ(1, ds_async_finish(_metadata, &a));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.strategy[sg].live_frames);
	EXPECT_EQ(0, s.strategy[sg].live_bytes);
	EXPECT_LT(0, s.strategy[sg].placements);
	/* With the object gone too, nothing at all is left. */
	ASSERT_EQ(0, ds_destroy(ds, t));
	EXPECT_EQ(0, ds_wait_quiescent(_metadata, ds->fd, DS_QUIESCE_MS));
}

/* STATS: every call this file submitted, completed once. */
TEST_F(call, calls_equal_completions)
{
	struct ds *ds = &self->ds;
	struct dynasync_stats s;
	int c, g;

	c = create_counter(ds, &self->st, 0, 5);
	g = create_gadget(ds, &self->st, 0);
	ASSERT_LT(0, c);
	ASSERT_LT(0, g);
	expect_sum(_metadata, ds, c, 2, 1);
	expect_item(_metadata, ds, c, 2);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 3, 3);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(3, s.calls);
	EXPECT_EQ(3, s.completions);
	EXPECT_EQ(0, s.inflight);
}

/* ======================================================================
 * The strategies' own errnos, on both paths.
 * ======================================================================
 */

FIXTURE(path)
{
	struct ds ds;
};

FIXTURE_VARIANT(path)
{
	bool uring;
};

FIXTURE_VARIANT_ADD(path, ioctl) { .uring = false };
FIXTURE_VARIANT_ADD(path, uring) { .uring = true };

FIXTURE_SETUP(path)
{
	ASSERT_EQ(0, ds_open(&self->ds, variant->uring, true));
}

FIXTURE_TEARDOWN(path)
{
	ds_teardown(_metadata, &self->ds);
}

static struct dynasync_storage inline_slot(__u32 slot)
{
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_INLINE);

	st.slot_size = slot;
	return st;
}

static struct dynasync_storage task_stack(__u32 size)
{
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_TASK_STACK);

	st.task_stack_size = size;
	return st;
}

static __u64 failures(int fd, __u32 strategy, int idx)
{
	struct dynasync_stats s;

	if (ds_stats(fd, &s))
		return U64_MAX;
	return s.strategy[strategy].failures[idx];
}

/*
 * A frame larger than the inline slot: -E2BIG, and nothing ran. A MAP's
 * NEXT is a coroutine with a frame; a counter's NEXT makes none, so a
 * counter on the same 16-byte slot runs and counts no failure.
 */
TEST_F(path, inline_tiny_slot_e2big)
{
	struct dynasync_storage tiny = inline_slot(16);
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_create c;
	struct dynasync_stats s0, s1;
	long long f;
	__u64 f0;
	int h, m;

	f = frame_of(ds->fd, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_MAP,
		     DYNASYNC_METHOD_NEXT);
	ASSERT_LT(16, f);
	ds_create_req(&c, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_MAP,
		      create_counter(ds, &bx, 3, 5), 0, 1, 0, &tiny);
	h = ds_create_full(ds, &c);
	ASSERT_LT(0, h);
	ASSERT_GT(f, c.slot_size);
	f0 = failures(ds->fd, DYNASYNC_STRATEGY_INLINE, FAIL_E2BIG);
	EXPECT_EQ(-E2BIG, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0,
				    0, &o));
	/* Zeroed at submission, nothing produced. */
	EXPECT_EQ(0, o.value);
	EXPECT_EQ(0, o.flags);
	EXPECT_EQ(-E2BIG, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0,
				    0, &o));
	/* SUM's own frame is boxed; its first next() does not fit. */
	EXPECT_EQ(-E2BIG, ds_method(_metadata, ds, h, DYNASYNC_METHOD_SUM, 3,
				    0, &o));
	EXPECT_EQ(f0 + 3, failures(ds->fd, DYNASYNC_STRATEGY_INLINE,
				   FAIL_E2BIG));
	/* A nested call that does not fit fails the outer call. */
	h = create_map(ds, &tiny, create_counter(ds, &bx, 0, 3), 1, 0);
	m = create_map(ds, &bx, h, 1, 0);
	ASSERT_LT(0, m);
	EXPECT_EQ(-E2BIG, ds_method(_metadata, ds, m, DYNASYNC_METHOD_NEXT, 0,
				    0, &o));
	EXPECT_EQ(f0 + 4, failures(ds->fd, DYNASYNC_STRATEGY_INLINE,
				   FAIL_E2BIG));
	/*
	 * A counter's NEXT has no frame (LAYOUT says 0): on the same slot it
	 * runs, places nothing and refuses nothing; SUM over it too.
	 */
	EXPECT_EQ(0, frame_of(ds->fd, DYNASYNC_TRAIT_ITERATOR,
			      DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_NEXT));
	h = create_counter(ds, &tiny, 3, 5);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, ds_stats(ds->fd, &s0));
	expect_item(_metadata, ds, h, 3);
	expect_item(_metadata, ds, h, 4);
	ASSERT_EQ(0, ds_stats(ds->fd, &s1));
	EXPECT_EQ(s0.strategy[DYNASYNC_STRATEGY_INLINE].placements,
		  s1.strategy[DYNASYNC_STRATEGY_INLINE].placements);
	EXPECT_EQ(s0.strategy[DYNASYNC_STRATEGY_INLINE].failures[FAIL_E2BIG],
		  s1.strategy[DYNASYNC_STRATEGY_INLINE].failures[FAIL_E2BIG]);
	expect_sum(_metadata, ds, h, 2, 5 + 6);
	expect_item(_metadata, ds, h, 7);
	EXPECT_EQ(f0 + 4, failures(ds->fd, DYNASYNC_STRATEGY_INLINE,
				   FAIL_E2BIG));
}

/* A slot of exactly a MAP NEXT's frame size (header included) fits; one
 * less does not; MAYBE_BOXED falls back to the heap instead. (The inner
 * counter's NEXT has no frame.)
 */
TEST_F(path, inline_slot_boundary)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_storage st;
	struct ds *ds = &self->ds;
	struct dynasync_create c;
	long long f;
	int h;

	f = frame_of(ds->fd, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_MAP,
		     DYNASYNC_METHOD_NEXT);
	ASSERT_LT(1, f);
	st = inline_slot(f);
	h = create_map(ds, &st, create_counter(ds, &bx, 20, 2), 1, 0);
	ASSERT_LT(0, h);
	expect_item(_metadata, ds, h, 20);
	st = inline_slot(f - 1);
	ds_create_req(&c, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_MAP,
		      create_counter(ds, &bx, 30, 2), 0, 1, 0, &st);
	h = ds_create_full(ds, &c);
	ASSERT_LT(0, h);
	EXPECT_LE(f - 1, c.slot_size);
	if (c.slot_size < f) {
		struct dynasync_call_out o;

		EXPECT_EQ(-E2BIG, ds_method(_metadata, ds, h,
					    DYNASYNC_METHOD_NEXT, 0, 0, &o));
	} else {
		TH_LOG("slot %lld rounded up to %u: holds the %lld-byte frame",
		       f - 1, c.slot_size, f);
		expect_item(_metadata, ds, h, 30);
	}
	st.strategy = DYNASYNC_STRATEGY_MAYBE_BOXED;
	h = create_map(ds, &st, create_counter(ds, &bx, 40, 2), 1, 0);
	ASSERT_LT(0, h);
	expect_item(_metadata, ds, h, 40);
}

/*
 * A widget's AUGMENT makes no frame (ready at once) and TRANSMIT's frame
 * does not fit a 16-byte slot: AUGMENT runs on it, TRANSMIT gets -E2BIG
 * and leaves the widget untouched (total intact, not consumed).
 */
TEST_F(path, inline_e2big_leaves_widget_untouched)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_storage st;
	struct dynasync_create c;
	struct dynasync_stats s;
	long long fa, ft;
	__u64 f0;
	int g;

	fa = frame_of(ds->fd, DYNASYNC_TRAIT_WIDGET, DYNASYNC_IMPL_GADGET,
		      DYNASYNC_METHOD_AUGMENT);
	ft = frame_of(ds->fd, DYNASYNC_TRAIT_WIDGET, DYNASYNC_IMPL_GADGET,
		      DYNASYNC_METHOD_TRANSMIT);
	EXPECT_EQ(0, fa);
	ASSERT_LT(16, ft);
	st = inline_slot(16);
	ds_create_req(&c, DYNASYNC_TRAIT_WIDGET, DYNASYNC_IMPL_GADGET, 0, 0, 9,
		      0, &st);
	g = ds_create_full(ds, &c);
	ASSERT_LT(0, g);
	ASSERT_GT(ft, c.slot_size);
	f0 = failures(ds->fd, DYNASYNC_STRATEGY_INLINE, FAIL_E2BIG);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 5, 14);
	EXPECT_EQ(-E2BIG, ds_method(_metadata, ds, g,
				    DYNASYNC_METHOD_TRANSMIT, 0, 0, &o));
	EXPECT_EQ(f0 + 1, failures(ds->fd, DYNASYNC_STRATEGY_INLINE,
				   FAIL_E2BIG));
	/* Still ours, total intact, nothing delivered. */
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 1, 15);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.sink_deliveries);
	EXPECT_EQ(1, s.objects);
	EXPECT_EQ(f0 + 1, failures(ds->fd, DYNASYNC_STRATEGY_INLINE,
				   FAIL_E2BIG));
}

/*
 * The smallest task stack on which a fresh MAP's NEXT (over a boxed
 * counter, whose NEXT makes no frame) runs.
 */
static __u32 min_task_stack(struct __test_metadata *_metadata, struct ds *ds)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_storage st;
	struct dynasync_call_out o;
	__u32 lo = 1, hi = DYNASYNC_MAX_TASK_STACK, mid;
	int h, r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		st = task_stack(mid);
		h = create_map(ds, &st, create_counter(ds, &bx, 0, 1), 1, 0);
		ASSERT_LT(0, h);
		r = ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
		ASSERT_EQ(0, ds_destroy(ds, h));
		if (r == 1) {
			hi = mid;
		} else {
			ASSERT_EQ(-ENOSPC, r) {
				TH_LOG("task stack of %u bytes", mid);
			}
			lo = mid + 1;
		}
	}
	return lo;
}

/*
 * A task stack holds task_stack_size bytes: the smallest one on which a
 * MAP's NEXT runs is at least that NEXT's frame (header included).
 */
TEST_F(path, task_stack_holds_no_frame_larger_than_itself)
{
	long long f;
	__u32 small;

	f = frame_of(self->ds.fd, DYNASYNC_TRAIT_ITERATOR,
		     DYNASYNC_IMPL_MAP, DYNASYNC_METHOD_NEXT);
	ASSERT_LT(1, f);
	small = min_task_stack(_metadata, &self->ds);
	EXPECT_LE(f, small) {
		TH_LOG("a %lld-byte frame ran on a %u-byte task stack", f, small);
	}
}

/*
 * Every frame of a TASK_STACK call goes on its stack: a deep MAP tower
 * (depth 16) exhausts a small one (-ENOSPC) and runs on a large one.
 */
TEST_F(path, task_stack_deep_map_enospc)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_storage st;
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	__u32 small;
	__u64 f0;
	int h, big, i;

	small = min_task_stack(_metadata, ds);
	/* Inner objects' own storage does not matter under TASK_STACK. */
	h = create_counter(ds, &bx, 0, 3);
	big = create_counter(ds, &bx, 0, 3);
	for (i = 2; i < DYNASYNC_MAX_DEPTH; i++) {
		h = create_map(ds, &bx, h, 1, 1);
		big = create_map(ds, &bx, big, 1, 1);
	}
	ASSERT_LT(0, h);
	ASSERT_LT(0, big);
	st = task_stack(small);
	h = create_map(ds, &st, h, 1, 1);
	st = task_stack(DYNASYNC_MAX_TASK_STACK);
	big = create_map(ds, &st, big, 1, 1);
	ASSERT_LT(0, h);
	ASSERT_LT(0, big);
	f0 = failures(ds->fd, DYNASYNC_STRATEGY_TASK_STACK, FAIL_ENOSPC);
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0,
				     0, &o));
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0,
				     0, &o));
	EXPECT_LE(f0 + 2, failures(ds->fd, DYNASYNC_STRATEGY_TASK_STACK,
				   FAIL_ENOSPC));
	/* 15 maps of +1 over 0, 1, 2. */
	expect_item(_metadata, ds, big, DYNASYNC_MAX_DEPTH - 1);
	expect_sum(_metadata, ds, big, 5, DYNASYNC_MAX_DEPTH * 2 + 1);
}

/*
 * SUM's frame goes on the task stack under the item's: on a stack that
 * holds a MAP's NEXT alone, SUM gets -ENOSPC and the iterator does not
 * advance.
 */
TEST_F(path, task_stack_sum_enospc_does_not_advance)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_storage st;
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	__u32 small;
	int h;

	small = min_task_stack(_metadata, ds);
	ASSERT_LT(1, small);
	st = task_stack(small - 1);
	h = create_map(ds, &st, create_counter(ds, &bx, 7, 5), 1, 0);
	ASSERT_LT(0, h);
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0,
				     0, &o));
	ASSERT_EQ(0, ds_destroy(ds, h));
	st = task_stack(small);
	h = create_map(ds, &st, create_counter(ds, &bx, 7, 5), 1, 0);
	ASSERT_LT(0, h);
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_SUM, 1,
				     0, &o));
	expect_item(_metadata, ds, h, 7);
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_SUM, 3,
				     0, &o));
	expect_item(_metadata, ds, h, 8);
}

/*
 * COMPONENTS' new counter has the widget's storage configuration. AUGMENT
 * and a counter's NEXT make no frame, so they run on any storage; SUM's
 * and TRANSMIT's frames show which storage the objects have.
 */
TEST_F(path, components_inherit_widget_storage)
{
	struct dynasync_storage ts1 = task_stack(1), tiny = inline_slot(16);
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_stats s;
	int g, h;

	/* A 1-byte task stack: no call of the widget with a frame starts... */
	g = create_gadget(ds, &ts1, 3);
	ASSERT_LT(0, g);
	/* ... AUGMENT has none and runs ... */
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 1, 4);
	/* ... TRANSMIT does not, which leaves the widget untouched. */
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, g,
				     DYNASYNC_METHOD_TRANSMIT, 0, 0, &o));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.sink_deliveries);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 1, 5);
	/*
	 * COMPONENTS makes no frame; its counter has the 1-byte stack too:
	 * SUM's frame does not fit it, and the iterator does not advance.
	 */
	h = ds_method(_metadata, ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
	ASSERT_LT(0, h);
	ds_track(ds, h);
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_SUM, 1,
				     0, &o));
	/* Two augments: the counter counts 0, 1. */
	expect_item(_metadata, ds, h, 0);
	expect_item(_metadata, ds, h, 1);
	expect_items(_metadata, ds, h, NULL, 0, true);
	/* The same with a 16-byte inline slot: TRANSMIT's frame is larger. */
	g = create_gadget(ds, &tiny, 3);
	ASSERT_LT(0, g);
	expect_augment(_metadata, ds, g, DYNASYNC_COMPONENT_BOLT, 1, 4);
	EXPECT_EQ(-E2BIG, ds_method(_metadata, ds, g,
				    DYNASYNC_METHOD_TRANSMIT, 0, 0, &o));
	h = ds_method(_metadata, ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
	ASSERT_LT(0, h);
	ds_track(ds, h);
	/* Its counter's NEXT makes no frame: the 16-byte slot refuses nothing. */
	expect_item(_metadata, ds, h, 0);
	expect_items(_metadata, ds, h, NULL, 0, true);
	/* Boxed: the empty counter just ends. */
	g = create_gadget(ds, &bx, 3);
	ASSERT_LT(0, g);
	h = ds_method(_metadata, ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
	ASSERT_LT(0, h);
	ds_track(ds, h);
	expect_items(_metadata, ds, h, NULL, 0, true);
}

/*
 * Under a TASK_STACK call every frame goes on its task stack, the inner
 * objects' included; a TASK_STACK object called nested under another
 * strategy boxes its frames with its gfp. A counter's NEXT makes no frame:
 * it runs even on a 1-byte stack.
 */
TEST_F(path, task_stack_nesting_rules)
{
	struct dynasync_storage ts1 = task_stack(1), tiny = inline_slot(16);
	struct dynasync_storage big = task_stack(DYNASYNC_MAX_TASK_STACK);
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	int h, m;

	/* Top-level on a 1-byte stack: a MAP's NEXT gets -ENOSPC... */
	h = create_map(ds, &ts1, create_counter(ds, &bx, 0, 3), 1, 0);
	ASSERT_LT(0, h);
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0,
				     0, &o));
	/* ... a counter's NEXT (no frame) runs, its SUM (a frame) does not. */
	h = create_counter(ds, &ts1, 0, 3);
	ASSERT_LT(0, h);
	expect_item(_metadata, ds, h, 0);
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_SUM, 2,
				     0, &o));
	expect_item(_metadata, ds, h, 1);
	/* The same kind of object nested under a BOXED map: boxed. */
	m = create_map(ds, &bx, create_map(ds, &ts1,
					   create_counter(ds, &bx, 4, 3), 1, 0),
		       10, 0);
	ASSERT_LT(0, m);
	expect_item(_metadata, ds, m, 40);
	expect_sum(_metadata, ds, m, 5, 50 + 60);
	/* A 16-byte inline inner under a TASK_STACK map: on the stack. */
	m = create_map(ds, &big, create_map(ds, &tiny,
					    create_counter(ds, &bx, 7, 2), 1, 0),
		       1, 1);
	ASSERT_LT(0, m);
	expect_item(_metadata, ds, m, 8);
	expect_sum(_metadata, ds, m, 5, 9);
}

/*
 * CACHED keeps one block across calls; BOXED frees each frame. A MAP's
 * NEXT places a frame; a counter's places none, so a CACHED counter never
 * allocates its block.
 */
TEST_F(path, cached_keeps_one_block_boxed_none)
{
	struct dynasync_storage ca = ds_storage(DYNASYNC_STRATEGY_CACHED);
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct ds *ds = &self->ds;
	struct dynasync_stats s, s0;
	int h, i;

	h = create_map(ds, &bx, create_counter(ds, &bx, 0, 20), 1, 0);
	ASSERT_LT(0, h);
	for (i = 0; i < 10; i++)
		expect_item(_metadata, ds, h, i);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.live_allocs[DYNASYNC_SITE_FRAME]);
	ASSERT_EQ(0, ds_destroy(ds, h));
	h = create_map(ds, &ca, create_counter(ds, &bx, 0, 20), 1, 0);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.live_allocs[DYNASYNC_SITE_FRAME]);
	s0 = s;
	for (i = 0; i < 10; i++) {
		expect_item(_metadata, ds, h, i);
		ASSERT_EQ(0, ds_stats(ds->fd, &s));
		EXPECT_EQ(1, s.live_allocs[DYNASYNC_SITE_FRAME]) {
			TH_LOG("after call %d", i);
		}
	}
	/* Ten frames placed in one block, allocated once. */
	EXPECT_EQ(s0.strategy[DYNASYNC_STRATEGY_CACHED].placements + 10,
		  s.strategy[DYNASYNC_STRATEGY_CACHED].placements);
	EXPECT_EQ(s0.strategy[DYNASYNC_STRATEGY_CACHED].heap_allocations + 1,
		  s.strategy[DYNASYNC_STRATEGY_CACHED].heap_allocations);
	/* Destroying the object frees the block. */
	ASSERT_EQ(0, ds_destroy(ds, h));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.live_allocs[DYNASYNC_SITE_FRAME]);
	/* A CACHED counter: NEXT places nothing, allocates no block. */
	h = create_counter(ds, &ca, 0, 20);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, ds_stats(ds->fd, &s0));
	for (i = 0; i < 10; i++)
		expect_item(_metadata, ds, h, i);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.live_allocs[DYNASYNC_SITE_FRAME]);
	EXPECT_EQ(s0.strategy[DYNASYNC_STRATEGY_CACHED].placements,
		  s.strategy[DYNASYNC_STRATEGY_CACHED].placements);
	EXPECT_EQ(s0.strategy[DYNASYNC_STRATEGY_CACHED].heap_allocations,
		  s.strategy[DYNASYNC_STRATEGY_CACHED].heap_allocations);
	ASSERT_EQ(0, ds_destroy(ds, h));
}

/* ======================================================================
 * io_uring specifics and completion semantics.
 * ======================================================================
 */

FIXTURE(ring)
{
	struct ds ds;
	struct dynasync_storage bx;
};

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, ds_open(&self->ds, true, true));
	self->bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
}

FIXTURE_TEARDOWN(ring)
{
	ds_teardown(_metadata, &self->ds);
}

/* Without IORING_SETUP_SQE128 the command area cannot hold the call. */
TEST_F(ring, without_sqe128_cqe_einval)
{
	struct dynasync_call_out o;
	struct dynasync_call c;
	struct io_uring small;
	struct ds_cqe cqe;
	int h;

	h = create_counter(&self->ds, &self->bx, 60, 3);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, io_uring_queue_init(8, &small, 0));
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	/* The first 16 bytes of the call: all the small SQE carries. */
	ASSERT_EQ(0, ds_prep_cmd(&small, self->ds.fd, DYNASYNC_IOC_CALL, &c,
				 16, 77));
	ASSERT_EQ(1, io_uring_submit(&small));
	ASSERT_EQ(0, ds_wait_cqe(&small, &cqe, DS_WAIT_MS));
	EXPECT_EQ(77, cqe.ud);
	EXPECT_EQ(-EINVAL, cqe.res);
	EXPECT_TRUE(ds_ring_idle(&small, 20));
	io_uring_queue_exit(&small);
	/* Nothing ran. */
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	EXPECT_EQ(1, call_ioctl(&self->ds, &c));
	EXPECT_EQ(60, o.value);
}

TEST_F(ring, unknown_cmd_op_enotty)
{
	const __u32 ops[] = {
		0,
		DYNASYNC_IOC_CREATE,
		DYNASYNC_IOC_STATS,
		_IOWR(DYNASYNC_IOC_MAGIC, 0x04, struct dynasync_call),
		_IOW(DYNASYNC_IOC_MAGIC, 0x04, __u64),
		_IOW('x', 0x04, struct dynasync_call),
	};
	__u64 uds[ARRAY_SIZE(ops)];
	struct ds_cqe cqe[ARRAY_SIZE(ops)];
	struct dynasync_call_out o;
	struct dynasync_call c;
	size_t i;
	int h, n;

	h = create_counter(&self->ds, &self->bx, 90, 3);
	ASSERT_LT(0, h);
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		uds[i] = 1000 + i;
		ASSERT_EQ(0, ds_prep_cmd(&self->ds.ring, self->ds.fd, ops[i], &c,
					 sizeof(c), uds[i]));
	}
	ASSERT_EQ(ARRAY_SIZE(ops), io_uring_submit(&self->ds.ring));
	n = ds_reap(_metadata, &self->ds.ring, cqe, ARRAY_SIZE(ops));
	ASSERT_EQ(ARRAY_SIZE(ops), n);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		EXPECT_EQ(-ENOTTY, ds_cqe_res(_metadata, cqe, n, uds[i])) {
			TH_LOG("cmd_op %#x", ops[i]);
		}
	}
	expect_item(_metadata, &self->ds, h, 90);
}

/* Ready-at-once calls complete inline: the CQE is there when submit
 * returns, for every strategy.
 */
TEST_F(ring, ready_at_once_completes_in_issue_path)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage st;
	struct dynasync_call_out o;
	struct io_uring_cqe *cqe;
	struct dynasync_call c;
	int s, h, m, g;

	for (s = DYNASYNC_STRATEGY_BOXED; s <= DYNASYNC_STRATEGY_MAX; s++) {
		st = ds_storage(s);
		h = create_counter(ds, &st, 10 * s, 5);
		m = create_map(ds, &st, create_counter(ds, &st, 1, 5), 2, 0);
		g = create_gadget(ds, &st, 0);
		ASSERT_LT(0, h);
		ASSERT_LT(0, m);
		ASSERT_LT(0, g);
		c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 1));
		ASSERT_EQ(0, io_uring_peek_cqe(&ds->ring, &cqe)) {
			TH_LOG("strategy %d: counter NEXT not completed inline", s);
		}
		EXPECT_EQ(1, cqe->user_data);
		EXPECT_EQ(1, cqe->res);
		EXPECT_EQ(10 * s, o.value);
		io_uring_cqe_seen(&ds->ring, cqe);
		c = ds_mkcall(m, DYNASYNC_METHOD_NEXT, 0, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 2));
		ASSERT_EQ(0, io_uring_peek_cqe(&ds->ring, &cqe)) {
			TH_LOG("strategy %d: MAP NEXT not completed inline", s);
		}
		EXPECT_EQ(2, cqe->user_data);
		EXPECT_EQ(1, cqe->res);
		EXPECT_EQ(2, o.value);
		io_uring_cqe_seen(&ds->ring, cqe);
		c = ds_mkcall(h, DYNASYNC_METHOD_SUM, 2, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 3));
		ASSERT_EQ(0, io_uring_peek_cqe(&ds->ring, &cqe)) {
			TH_LOG("strategy %d: SUM not completed inline", s);
		}
		EXPECT_EQ(3, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		EXPECT_EQ(20 * s + 3, o.value);
		io_uring_cqe_seen(&ds->ring, cqe);
		/* COMPONENTS is synchronous. */
		c = ds_mkcall(g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 4));
		ASSERT_EQ(0, io_uring_peek_cqe(&ds->ring, &cqe)) {
			TH_LOG("strategy %d: COMPONENTS not completed inline", s);
		}
		EXPECT_EQ(4, cqe->user_data);
		EXPECT_LT(0, cqe->res);
		EXPECT_EQ(cqe->res, o.handle);
		if (cqe->res > 0)
			ds_track(ds, cqe->res);
		io_uring_cqe_seen(&ds->ring, cqe);
		EXPECT_TRUE(ds_ring_idle(&ds->ring, 0));
	}
}

/* A suspending call is not completed by submit; it completes once. */
TEST_F(ring, suspending_call_completes_later_once)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct io_uring_cqe *cqe;
	struct dynasync_call c;
	struct dynasync_stats s;
	struct ds_cqe got;
	int t;

	t = create_ticker(ds, &self->bx, MS(200), 1);
	ASSERT_LT(0, t);
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 5));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ds->ring, &cqe));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(1, s.inflight);
	EXPECT_EQ(s.calls, s.completions + 1);
	ASSERT_EQ(0, ds_wait_cqe(&ds->ring, &got, DS_WAIT_MS));
	EXPECT_EQ(5, got.ud);
	EXPECT_EQ(1, got.res);
	EXPECT_EQ(0, o.value);
	EXPECT_EQ(0, o.flags);
	EXPECT_TRUE(ds_ring_idle(&ds->ring, 50));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.inflight);
	EXPECT_EQ(s.calls, s.completions);
}

/* One batch: success and every errno a call can get, each CQE once. */
TEST_F(ring, mixed_batch_exactly_once)
{
	enum { N = 16 };
	struct dynasync_storage tiny = inline_slot(16);
	struct dynasync_storage ts1 = task_stack(1);
	const struct dynasync_storage *bx = &self->bx;
	struct dynasync_call_out o[N];
	struct ds *ds = &self->ds;
	struct dynasync_call c[N];
	struct ds_cqe cqe[N];
	struct dynasync_stats s;
	__u32 op[N];
	__u64 uds[N];
	int want[N];
	int c1, c2, c3, t1, t2, t3, m, ci, cs, g, g2, gc, i, n;

	c1 = create_counter(ds, bx, 10, 5);
	c2 = create_counter(ds, bx, 20, 5);
	c3 = create_counter(ds, bx, 30, 5);
	t1 = create_ticker(ds, bx, MS(20), 3);
	t2 = create_ticker(ds, bx, MS(200), 2);
	t3 = create_ticker(ds, bx, MS(30), 1);
	m = create_map(ds, bx, create_ticker(ds, bx, MS(10), 2), 2, 1);
	/* MAPs: their NEXT has a frame (a counter's has none). */
	ci = create_map(ds, &tiny, create_counter(ds, bx, 0, 5), 1, 0);
	cs = create_map(ds, &ts1, create_counter(ds, bx, 0, 5), 1, 0);
	g = create_gadget(ds, bx, 1);
	g2 = create_gadget(ds, bx, 4);
	gc = create_gadget(ds, bx, 0);
	ASSERT_LT(0, c1);
	ASSERT_LT(0, c2);
	ASSERT_LT(0, c3);
	ASSERT_LT(0, t1);
	ASSERT_LT(0, t2);
	ASSERT_LT(0, t3);
	ASSERT_LT(0, m);
	ASSERT_LT(0, ci);
	ASSERT_LT(0, cs);
	ASSERT_LT(0, g);
	ASSERT_LT(0, g2);
	ASSERT_LT(0, gc);
	for (i = 0; i < N; i++)
		op[i] = DYNASYNC_IOC_CALL;
	i = 0;
	c[i] = ds_mkcall(c1, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	want[i++] = 1;
	c[i] = ds_mkcall(c2, DYNASYNC_METHOD_SUM, 3, 0, &o[i]);
	want[i++] = 0;
	c[i] = ds_mkcall(t1, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	want[i++] = 1;
	/* Same object, in flight from the SQE before: -EBUSY. */
	c[i] = ds_mkcall(t1, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	want[i++] = -EBUSY;
	c[i] = ds_mkcall(t2, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	c[i].deadline_ns = MS(2);
	want[i++] = -ETIMEDOUT;
	c[i] = ds_mkcall(m, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	want[i++] = 1;
	c[i] = ds_mkcall(0x7ffffff0, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	want[i++] = -ENOENT;
	c[i] = ds_mkcall(c1, DYNASYNC_METHOD_AUGMENT, 1, 1, &o[i]);
	want[i++] = -EINVAL;
	c[i] = ds_mkcall(c3, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	c[i].out_ptr = (__u64)(uintptr_t)ds_unmapped_page();
	want[i++] = -EFAULT;
	c[i] = ds_mkcall(ci, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	want[i++] = -E2BIG;
	c[i] = ds_mkcall(cs, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	want[i++] = -ENOSPC;
	c[i] = ds_mkcall(c2, DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
	op[i] = DYNASYNC_IOC_STATS;
	want[i++] = -ENOTTY;
	c[i] = ds_mkcall(g, DYNASYNC_METHOD_AUGMENT, DYNASYNC_COMPONENT_GEAR, 2,
			 &o[i]);
	want[i++] = 0;
	c[i] = ds_mkcall(g2, DYNASYNC_METHOD_TRANSMIT, 0, 0, &o[i]);
	want[i++] = 0;
	c[i] = ds_mkcall(gc, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o[i]);
	want[i++] = 1;		/* a handle: checked apart */
	c[i] = ds_mkcall(t3, DYNASYNC_METHOD_SUM, 5, 0, &o[i]);
	want[i++] = 0;
	ASSERT_EQ(N, i);
	for (i = 0; i < N; i++) {
		uds[i] = 0x100 + i;
		ASSERT_EQ(0, ds_prep_cmd(&ds->ring, ds->fd, op[i], &c[i],
					 sizeof(c[i]), uds[i]));
	}
	ASSERT_EQ(N, io_uring_submit(&ds->ring));
	n = ds_reap(_metadata, &ds->ring, cqe, N);
	ASSERT_EQ(N, n);
	ds_expect_once(_metadata, cqe, n, uds);
	for (i = 0; i < N; i++) {
		int res = ds_cqe_res(_metadata, cqe, n, uds[i]);

		if (i == 14) {
			EXPECT_LT(0, res);
			EXPECT_EQ(res, o[i].handle);
			if (res > 0)
				ds_track(ds, res);
			continue;
		}
		EXPECT_EQ(want[i], res) {
			TH_LOG("SQE %d", i);
		}
	}
	ds_untrack(ds, g2);
	EXPECT_EQ(10, o[0].value);
	EXPECT_EQ(20 + 21 + 22, o[1].value);
	EXPECT_EQ(0, o[2].value);
	EXPECT_EQ(1, o[5].value);
	EXPECT_EQ(1 + 3 * 2 + 1, o[12].value);
	EXPECT_EQ(4, o[13].value);
	EXPECT_EQ(0, o[15].value);
	/* The failed calls advanced nothing; g2 went to the sink. */
	expect_item(_metadata, ds, c3, 30);
	expect_item(_metadata, ds, t2, 0);
	expect_item(_metadata, ds, t1, 1);
	expect_item(_metadata, ds, c2, 23);
	EXPECT_EQ(-ENOENT, ds_destroy(ds, g2));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(4, s.sink_total);
	EXPECT_EQ(1, s.sink_deliveries);
	EXPECT_EQ(0, s.inflight);
	EXPECT_EQ(s.calls, s.completions);
}

/* Many calls in flight at once: each completes once, with its item. */
TEST_F(ring, many_inflight_exactly_once)
{
	enum { N = 48 };
	struct dynasync_call_out o[N];
	struct ds *ds = &self->ds;
	struct dynasync_call c;
	struct ds_cqe cqe[N];
	__u64 uds[N];
	int t[N], i, n;

	for (i = 0; i < N; i++) {
		t[i] = create_ticker(ds, &self->bx, MS(300), 2);
		ASSERT_LT(0, t[i]);
		c = ds_mkcall(t[i], DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
		uds[i] = 0x5000 + i;
		ASSERT_EQ(0, ds_prep_call(&ds->ring, ds->fd, &c, uds[i]));
	}
	ASSERT_EQ(N, io_uring_submit(&ds->ring));
	EXPECT_EQ(0, ds_wait_inflight(ds->fd, N, 200));
	n = ds_reap(_metadata, &ds->ring, cqe, N);
	ASSERT_EQ(N, n);
	ds_expect_once(_metadata, cqe, n, uds);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(1, ds_cqe_res(_metadata, cqe, n, uds[i]));
		EXPECT_EQ(0, o[i].value);
		EXPECT_EQ(0, o[i].flags);
	}
}

/* The device file closed with calls in flight: every CQE still arrives,
 * once, with the right values; then everything is freed.
 */
TEST_F(ring, close_with_calls_in_flight)
{
	enum { N = 7 };
	struct dynasync_storage bx = self->bx;
	struct dynasync_call_out o[N];
	struct dynasync_call c[N];
	struct ds_cqe cqe[N];
	const __u64 val[N] = { 0, 0, 0, 0, 4, 5, 0 + 1 + 2 };
	const int want[N] = { 1, 1, 1, 1, 1, 1, 0 };
	__u64 uds[N];
	struct ds d;
	int h[N], i, n;

	ASSERT_EQ(0, ds_open(&d, true, true));
	for (i = 0; i < 4; i++)
		h[i] = create_ticker(&d, &bx, MS(80 * (i + 1)), 2);
	h[4] = create_map(&d, &bx, create_ticker(&d, &bx, MS(50), 1), 3, 4);
	h[5] = create_counter(&d, &bx, 5, 1);
	h[6] = create_ticker(&d, &bx, MS(30), 3);
	for (i = 0; i < N; i++) {
		ASSERT_LT(0, h[i]);
		c[i] = ds_mkcall(h[i], i == 6 ? DYNASYNC_METHOD_SUM :
				 DYNASYNC_METHOD_NEXT, i == 6 ? 10 : 0, 0, &o[i]);
		uds[i] = 0x900 + i;
		ASSERT_EQ(0, ds_prep_call(&d.ring, d.fd, &c[i], uds[i]));
	}
	ASSERT_EQ(N, io_uring_submit(&d.ring));
	ASSERT_EQ(0, close(d.fd));
	n = ds_reap(_metadata, &d.ring, cqe, N);
	ASSERT_EQ(N, n);
	ds_expect_once(_metadata, cqe, n, uds);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(want[i], ds_cqe_res(_metadata, cqe, n, uds[i])) {
			TH_LOG("call %d", i);
		}
		EXPECT_EQ(val[i], o[i].value) {
			TH_LOG("call %d", i);
		}
	}
	io_uring_queue_exit(&d.ring);
	/* The file's objects went with its release. */
	EXPECT_EQ(0, ds_wait_quiescent(_metadata, self->ds.fd, DS_QUIESCE_MS));
}

/* The ring torn down (this process lives on, the file stays open):
 * every call still completes once, as this file's STATS show. Without
 * DYNASYNC_VERSION_F_URING_CANCEL (6.1) the calls run to completion;
 * with it (6.12) they are cancelled (dynasync_cancel_test has the rest).
 */
TEST_F(ring, ring_exit_with_calls_in_flight)
{
	enum { N = 6 };
	struct ds *ds = &self->ds;
	struct dynasync_call_out o[N];
	struct dynasync_call c;
	struct dynasync_stats s;
	int t[N], i;

	for (i = 0; i < N; i++) {
		t[i] = create_ticker(ds, &self->bx, MS(100 + 20 * i), 2);
		ASSERT_LT(0, t[i]);
		c = ds_mkcall(t[i], DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
		ASSERT_EQ(0, ds_prep_call(&ds->ring, ds->fd, &c, i + 1));
	}
	ASSERT_EQ(N, io_uring_submit(&ds->ring));
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, N, 100));
	io_uring_queue_exit(&ds->ring);
	ds->ring_up = false;
	ds->uring = false;
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, 0, DS_QUIESCE_MS));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(N, s.calls);
	EXPECT_EQ(N, s.completions);
	if (ds_uring_cancel()) {
		/* Cancelled: no ticker advanced. */
		EXPECT_EQ(N, s.cancelled);
		for (i = 0; i < N; i++)
			expect_item(_metadata, ds, t[i], 0);
		return;
	}
	/* The calls ran: each ticker is at its second item. */
	EXPECT_EQ(0, s.cancelled);
	for (i = 0; i < N; i++)
		expect_item(_metadata, ds, t[i], 1);
}

enum leave_how { LEAVE_EXIT, LEAVE_QUEUE_EXIT, LEAVE_SIGKILL };

/*
 * Child side: open the device, put calls in flight on a SQE128 ring
 * (their out structs in this process' memory), then leave without
 * reaping. Exit status 0: the calls were in flight (and accounted).
 */
static void child_leave_inflight(enum leave_how how, int wfd)
{
	static struct dynasync_call_out out[8];
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_stats s;
	struct dynasync_call c;
	struct ds d;
	int h, i;

	if (ds_open(&d, true, true))
		_exit(10);
	for (i = 0; i < 5; i++) {
		h = create_ticker(&d, &bx, MS(150), 2);
		if (i == 4)
			h = create_map(&d, &bx, h, 2, 2);
		if (h <= 0)
			_exit(11);
		c = ds_mkcall(h, i == 3 ? DYNASYNC_METHOD_SUM :
			      DYNASYNC_METHOD_NEXT, i == 3 ? 2 : 0, 0, &out[i]);
		if (ds_prep_call(&d.ring, d.fd, &c, i + 1))
			_exit(12);
	}
	if (io_uring_submit(&d.ring) != 5)
		_exit(13);
	if (ds_wait_inflight(d.fd, 5, 100))
		_exit(14);
	if (ds_stats(d.fd, &s) ||
	    s.strategy[DYNASYNC_STRATEGY_BOXED].live_frames < 5)
		_exit(15);
	switch (how) {
	case LEAVE_EXIT:
		_exit(0);
	case LEAVE_QUEUE_EXIT:
		io_uring_queue_exit(&d.ring);
		close(d.fd);
		_exit(0);
	case LEAVE_SIGKILL:
		if (write(wfd, "k", 1) != 1)
			_exit(16);
		for (;;)
			pause();
	}
	_exit(17);
}

static void ring_torn_down(struct __test_metadata *_metadata, int fd,
			   enum leave_how how)
{
	int status, p[2];
	pid_t pid;
	char b;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		child_leave_inflight(how, p[1]);
	}
	close(p[1]);
	if (how == LEAVE_SIGKILL) {
		EXPECT_EQ(1, read(p[0], &b, 1));
		EXPECT_EQ(0, kill(pid, SIGKILL));
	}
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (how == LEAVE_SIGKILL) {
		ASSERT_TRUE(WIFSIGNALED(status));
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
	} else {
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	/* Module-wide: every frame, task and object of the child is freed. */
	EXPECT_EQ(0, ds_wait_quiescent(_metadata, fd, DS_QUIESCE_MS));
}

TEST_F(ring, ring_torn_down_by_process_exit)
{
	ring_torn_down(_metadata, self->ds.fd, LEAVE_EXIT);
}

TEST_F(ring, ring_torn_down_by_queue_exit_and_close)
{
	ring_torn_down(_metadata, self->ds.fd, LEAVE_QUEUE_EXIT);
}

TEST_F(ring, ring_torn_down_by_sigkill)
{
	ring_torn_down(_metadata, self->ds.fd, LEAVE_SIGKILL);
}

/* The device file closed while another thread's ioctl call waits: the
 * call completes normally, once.
 */
TEST(close_with_ioctl_call_in_flight)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct ds_async a;
	struct ds d;
	int t, fd;

	ASSERT_EQ(0, ds_open(&d, false, false));
	t = create_ticker(&d, &bx, MS(200), 1);
	ASSERT_LT(0, t);
	ds_async_start(_metadata, &d, &a, t, DYNASYNC_METHOD_NEXT, 0, 0);
	ASSERT_EQ(0, close(d.fd));
	EXPECT_EQ(1, ds_async_finish(_metadata, &a));
	EXPECT_EQ(0, a.out.value);
	EXPECT_EQ(0, a.out.flags);
	fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ds_wait_quiescent(_metadata, fd, DS_QUIESCE_MS));
	close(fd);
}

/*
 * A fatal signal cancels an ioctl call's wait (-EINTR, unseen by the dying
 * process): a 10-item SUM over a 1 s ticker is gone long before its 10 s,
 * and nothing of it stays allocated.
 */
TEST(fatal_signal_cancels_ioctl_call)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_call_out o;
	struct dynasync_call c;
	int status, p[2], fd;
	__u64 t0, dt;
	struct ds d;
	pid_t pid;
	char b;
	int t;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		if (ds_open(&d, false, false))
			_exit(10);
		t = create_ticker(&d, &bx, NSEC_PER_SEC, 10);
		if (t <= 0)
			_exit(11);
		c = ds_mkcall(t, DYNASYNC_METHOD_SUM, 10, 0, &o);
		if (write(p[1], "s", 1) != 1)
			_exit(12);
		call_ioctl(&d, &c);
		_exit(13);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &b, 1));
	close(p[0]);
	ds_sleep_ms(200);
	t0 = ds_now_ns();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	dt = ds_now_ns() - t0;
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_GT(MS(2000), dt);
	fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ds_wait_quiescent(_metadata, fd, DS_QUIESCE_MS));
	close(fd);
}

TEST_HARNESS_MAIN
