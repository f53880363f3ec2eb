// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync calls: every trait, impl and storage strategy over both paths
 * (blocking ioctl and IORING_OP_URING_CMD on a SQE128 ring) with exact
 * values; -EBUSY; deadlines; DESTROY with a call pending; every
 * validation rule of CALL (each its own table row, exact errnos, nothing
 * run); and a blocking call's completion when its file is closed or its
 * thread gets a fatal signal. The strategies' own errnos are in
 * dynasync_storages_test.c, io_uring's specifics in dynasync_uring_test.c.
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
#include "dynasync_dev_fixture.h"

#define U64_MAX		(~0ULL)
#define MS(x)		((__u64)(x) * NSEC_PER_MSEC)

/* Indexes of dynasync_strategy_stats.failures[]. */
#define FAIL_ENOMEM	0
#define FAIL_E2BIG	1
#define FAIL_EBUSY	2
#define FAIL_ENOSPC	3

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
 * CALL validation, on both paths; one call's struct and out pointers.
 * ======================================================================
 */

#define KERNEL_PTR	((void *)0xffffffff81000000UL)

enum { ON_COUNTER, ON_GADGET, ON_HANDLE };

struct call_case {
	const char *name;
	int target;		/* ON_*; ON_HANDLE: .c.handle as is */
	int err;
	struct dynasync_call c;
};

static const struct call_case call_invalid[] = {
	{ "handle 0", ON_HANDLE, -ENOENT,
	  { .handle = 0, .method = DYNASYNC_METHOD_NEXT } },
	{ "handle 2^31-1", ON_HANDLE, -ENOENT,
	  { .handle = 0x7fffffff, .method = DYNASYNC_METHOD_NEXT } },
	{ "handle 2^31", ON_HANDLE, -ENOENT,
	  { .handle = 0x80000000, .method = DYNASYNC_METHOD_NEXT } },
	{ "handle ~0", ON_HANDLE, -ENOENT,
	  { .handle = ~0U, .method = DYNASYNC_METHOD_NEXT } },
	{ "method 0", ON_COUNTER, -EINVAL, { .method = 0 } },
	{ "method MAX+1", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_MAX + 1 } },
	{ "method ~0", ON_COUNTER, -EINVAL, { .method = ~0U } },
	{ "AUGMENT on an iterator", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_AUGMENT,
	    .arg = { DYNASYNC_COMPONENT_BOLT, 1 } } },
	{ "COMPONENTS on an iterator", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_COMPONENTS } },
	{ "TRANSMIT on an iterator", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_TRANSMIT } },
	{ "NEXT on a widget", ON_GADGET, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT } },
	{ "SUM on a widget", ON_GADGET, -EINVAL,
	  { .method = DYNASYNC_METHOD_SUM, .arg = { 1, 0 } } },
	{ "method 0 on a widget", ON_GADGET, -EINVAL, { .method = 0 } },
	{ "flags bit 0", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT, .flags = 1 } },
	{ "flags bit 31", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT, .flags = 1U << 31 } },
	{ "reserved0", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT, .reserved0 = 1 } },
	{ "reserved[0]", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT, .reserved = { 1, 0 } } },
	{ "reserved[1]", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT, .reserved = { 0, 1ULL << 63 } } },
	{ "NEXT arg[0]", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT, .arg = { 1, 0 } } },
	{ "NEXT arg[1]", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT, .arg = { 0, 1 } } },
	{ "SUM arg[1]", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_SUM, .arg = { 1, 1 } } },
	{ "COMPONENTS arg[0]", ON_GADGET, -EINVAL,
	  { .method = DYNASYNC_METHOD_COMPONENTS, .arg = { 1, 0 } } },
	{ "COMPONENTS arg[1]", ON_GADGET, -EINVAL,
	  { .method = DYNASYNC_METHOD_COMPONENTS, .arg = { 0, 1 } } },
	{ "TRANSMIT arg[0]", ON_GADGET, -EINVAL,
	  { .method = DYNASYNC_METHOD_TRANSMIT, .arg = { 1, 0 } } },
	{ "TRANSMIT arg[1]", ON_GADGET, -EINVAL,
	  { .method = DYNASYNC_METHOD_TRANSMIT, .arg = { 0, 1 } } },
	{ "AUGMENT kind 0", ON_GADGET, -EINVAL,
	  { .method = DYNASYNC_METHOD_AUGMENT, .arg = { 0, 1 } } },
	{ "AUGMENT kind 3", ON_GADGET, -EINVAL,
	  { .method = DYNASYNC_METHOD_AUGMENT, .arg = { 3, 1 } } },
	{ "deadline ~0", ON_COUNTER, -EINVAL,
	  { .method = DYNASYNC_METHOD_NEXT, .deadline_ns = U64_MAX } },
};

/* A counter at 1000 and a gadget at 0 that no rejected call may touch. */
FIXTURE(callv)
{
	struct ds ds;
	int counter;
	int gadget;
	__u64 cap_ns;
};

FIXTURE_VARIANT(callv)
{
	bool uring;
};

FIXTURE_VARIANT_ADD(callv, ioctl) { .uring = false };
FIXTURE_VARIANT_ADD(callv, uring) { .uring = true };

FIXTURE_SETUP(callv)
{
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_BOXED);
	long cap = ds_param_read("max_call_ms");

	ASSERT_EQ(0, ds_open(&self->ds, variant->uring, true));
	ASSERT_LT(0, cap);
	self->cap_ns = cap * NSEC_PER_MSEC;
	self->counter = create_counter(&self->ds, &st, 1000, 10);
	ASSERT_LT(0, self->counter);
	self->gadget = create_gadget(&self->ds, &st, 0);
	ASSERT_LT(0, self->gadget);
}

FIXTURE_TEARDOWN(callv)
{
	ds_teardown(_metadata, &self->ds);
}

/* Nothing ran: the counter is at its first item, the gadget empty. */
static void expect_untouched(struct __test_metadata *_metadata,
			     struct ds *ds, int counter, int gadget)
{
	struct dynasync_call_out o;
	struct dynasync_stats st;
	int h;

	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_EQ(2, st.objects);
	EXPECT_EQ(0, st.sink_deliveries);
	EXPECT_EQ(0, st.inflight);
	/* No augment ran: COMPONENTS gives an empty counter. */
	h = ds_method(_metadata, ds, gadget, DYNASYNC_METHOD_COMPONENTS, 0, 0,
		      &o);
	ASSERT_LT(0, h);
	ds_track(ds, h);
	EXPECT_EQ(h, o.handle);
	expect_items(_metadata, ds, h, NULL, 0, true);
	ASSERT_EQ(0, ds_method(_metadata, ds, gadget,
			       DYNASYNC_METHOD_AUGMENT, DYNASYNC_COMPONENT_BOLT,
			       0, &o));
	EXPECT_EQ(0, o.value);
	expect_item(_metadata, ds, counter, 1000);
}

TEST_F(callv, rejects_each_invalid_field)
{
	struct dynasync_call_out o;
	struct dynasync_call c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(call_invalid); i++) {
		c = call_invalid[i].c;
		if (call_invalid[i].target == ON_COUNTER)
			c.handle = self->counter;
		else if (call_invalid[i].target == ON_GADGET)
			c.handle = self->gadget;
		c.out_ptr = (__u64)(uintptr_t)&o;
		EXPECT_EQ(call_invalid[i].err, ds_call(_metadata, &self->ds, &c)) {
			TH_LOG("row %zu: %s", i, call_invalid[i].name);
		}
	}
	expect_untouched(_metadata, &self->ds, self->counter, self->gadget);
}

TEST_F(callv, deadline_above_cap_einval)
{
	struct dynasync_call_out o;
	struct dynasync_call c;

	c = ds_mkcall(self->counter, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	c.deadline_ns = self->cap_ns + 1;
	EXPECT_EQ(-EINVAL, ds_call(_metadata, &self->ds, &c));
	c.deadline_ns = self->cap_ns * 2;
	EXPECT_EQ(-EINVAL, ds_call(_metadata, &self->ds, &c));
	expect_untouched(_metadata, &self->ds, self->counter, self->gadget);
	/* At the cap exactly, and at 1 ns: accepted. */
	c = ds_mkcall(self->counter, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	c.deadline_ns = self->cap_ns;
	EXPECT_EQ(1, ds_call(_metadata, &self->ds, &c));
	EXPECT_EQ(1001, o.value);
}

/* The out struct is zeroed at submission: a bad out_ptr is -EFAULT before
 * the call runs, so nothing advances and nothing is consumed.
 */
TEST_F(callv, bad_out_ptr_efault_call_not_run)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dynasync_call_out o;
	struct dynasync_call c;
	void *bad[4];
	char *two;
	size_t i;

	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + page, page));
	memset(&o, 0, sizeof(o));
	bad[0] = ds_unmapped_page();
	bad[1] = KERNEL_PTR;
	bad[2] = ds_readonly_copy(&o, sizeof(o));
	bad[3] = two + page - 8;	/* straddles into the unmapped page */
	ASSERT_NE(NULL, bad[0]);
	ASSERT_NE(NULL, bad[2]);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		c = ds_mkcall(self->counter, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
		c.out_ptr = (__u64)(uintptr_t)bad[i];
		EXPECT_EQ(-EFAULT, ds_call(_metadata, &self->ds, &c)) {
			TH_LOG("NEXT, bad out_ptr %zu", i);
		}
		c = ds_mkcall(self->counter, DYNASYNC_METHOD_SUM, 3, 0, NULL);
		c.out_ptr = (__u64)(uintptr_t)bad[i];
		EXPECT_EQ(-EFAULT, ds_call(_metadata, &self->ds, &c)) {
			TH_LOG("SUM, bad out_ptr %zu", i);
		}
		c = ds_mkcall(self->gadget, DYNASYNC_METHOD_AUGMENT,
			      DYNASYNC_COMPONENT_GEAR, 5, NULL);
		c.out_ptr = (__u64)(uintptr_t)bad[i];
		EXPECT_EQ(-EFAULT, ds_call(_metadata, &self->ds, &c)) {
			TH_LOG("AUGMENT, bad out_ptr %zu", i);
		}
		c = ds_mkcall(self->gadget, DYNASYNC_METHOD_TRANSMIT, 0, 0, NULL);
		c.out_ptr = (__u64)(uintptr_t)bad[i];
		EXPECT_EQ(-EFAULT, ds_call(_metadata, &self->ds, &c)) {
			TH_LOG("TRANSMIT, bad out_ptr %zu", i);
		}
		c = ds_mkcall(self->gadget, DYNASYNC_METHOD_COMPONENTS, 0, 0,
			      NULL);
		c.out_ptr = (__u64)(uintptr_t)bad[i];
		EXPECT_EQ(-EFAULT, ds_call(_metadata, &self->ds, &c)) {
			TH_LOG("COMPONENTS, bad out_ptr %zu", i);
		}
	}
	munmap(bad[2], page);
	munmap(two, page);
	/* No object from COMPONENTS, no transmit, no advance. */
	expect_untouched(_metadata, &self->ds, self->counter, self->gadget);
}

/* out_ptr 0: no out struct, the result alone. */
TEST_F(callv, no_out_ptr_result_only)
{
	struct dynasync_call c;

	c = ds_mkcall(self->counter, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	EXPECT_EQ(1, ds_call(_metadata, &self->ds, &c));
	c = ds_mkcall(self->counter, DYNASYNC_METHOD_SUM, 100, 0, NULL);
	EXPECT_EQ(0, ds_call(_metadata, &self->ds, &c));
	c = ds_mkcall(self->counter, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	EXPECT_EQ(0, ds_call(_metadata, &self->ds, &c));
}

/* ======================================================================
 * Calls through blocking ioctls only.
 * ======================================================================
 */

TEST_F(dev, call_bad_struct_pointer_efault)
{
	struct dynasync_call *ro, c;
	int h;

	h = create_counter(&self->ds, &self->boxed, 7, 2);
	ASSERT_LT(0, h);
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CALL, NULL));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CALL,
				    ds_unmapped_page()));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CALL, KERNEL_PTR));
	/* CALL only reads its struct: a read-only one is fine. */
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, NULL);
	ro = ds_readonly_copy(&c, sizeof(c));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(1, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CALL, ro));
	munmap(ro, sysconf(_SC_PAGESIZE));
	expect_item(_metadata, &self->ds, h, 8);
}

/* SUM past the 64-item yield, and a deadline cutting a long SUM short. */
TEST_F(dev, sum_across_yields_and_deadline)
{
	struct dynasync_call_out o;
	struct dynasync_call cl;
	int a, b;

	a = create_counter(&self->ds, &self->boxed, 0, 1000);
	ASSERT_LT(0, a);
	cl = ds_mkcall(a, DYNASYNC_METHOD_SUM, 1000, 0, &o);
	EXPECT_EQ(0, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CALL, &cl));
	EXPECT_EQ(999ULL * 1000 / 2, o.value);
	b = create_counter(&self->ds, &self->boxed, 0, 1ULL << 40);
	ASSERT_LT(0, b);
	cl = ds_mkcall(b, DYNASYNC_METHOD_SUM, 1ULL << 40, 0, &o);
	cl.deadline_ns = 20 * 1000 * 1000;
	EXPECT_EQ(-ETIMEDOUT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CALL, &cl));
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
