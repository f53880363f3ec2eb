// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync storage strategies: their own errnos on both paths (-E2BIG of
 * an inline slot too small, -ENOSPC of a task stack too small or nested
 * too deep) with nothing run and nothing advanced, what COMPONENTS' new
 * objects inherit, the task stack's nesting rules, CACHED keeping one
 * block; and LAYOUT: its validation rules and values (the frame sizes and
 * slots the strategies are sized by).
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
#define IT		DYNASYNC_TRAIT_ITERATOR
#define WI		DYNASYNC_TRAIT_WIDGET

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

static __u64 failures(int fd, __u32 strategy, int idx)
{
	struct dynasync_stats s;

	if (ds_stats(fd, &s))
		return U64_MAX;
	return s.strategy[strategy].failures[idx];
}

/*
 * A frame larger than the inline slot: -E2BIG, and nothing ran. A MAP's
 * NEXT is a coroutine with a frame (a counter's NEXT makes none: see
 * inline_tiny_slot_counter_runs).
 */
TEST_F(path, inline_tiny_slot_e2big)
{
	struct dynasync_storage tiny = ds_inline_slot(16);
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_create c;
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
}

/*
 * A counter's NEXT has no frame (LAYOUT says 0): on a 16-byte inline slot
 * it runs, places nothing and refuses nothing; SUM over it too.
 */
TEST_F(path, inline_tiny_slot_counter_runs)
{
	struct dynasync_storage tiny = ds_inline_slot(16);
	struct ds *ds = &self->ds;
	struct dynasync_stats s0, s1;
	__u64 f0;
	int h;

	f0 = failures(ds->fd, DYNASYNC_STRATEGY_INLINE, FAIL_E2BIG);
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
	EXPECT_EQ(f0, failures(ds->fd, DYNASYNC_STRATEGY_INLINE, FAIL_E2BIG));
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
	st = ds_inline_slot(f);
	h = create_map(ds, &st, create_counter(ds, &bx, 20, 2), 1, 0);
	ASSERT_LT(0, h);
	expect_item(_metadata, ds, h, 20);
	st = ds_inline_slot(f - 1);
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
	st = ds_inline_slot(16);
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
		st = ds_task_stack(mid);
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
	st = ds_task_stack(small);
	h = create_map(ds, &st, h, 1, 1);
	st = ds_task_stack(DYNASYNC_MAX_TASK_STACK);
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
	st = ds_task_stack(small - 1);
	h = create_map(ds, &st, create_counter(ds, &bx, 7, 5), 1, 0);
	ASSERT_LT(0, h);
	EXPECT_EQ(-ENOSPC, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0,
				     0, &o));
	ASSERT_EQ(0, ds_destroy(ds, h));
	st = ds_task_stack(small);
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
	struct dynasync_storage ts1 = ds_task_stack(1), tiny = ds_inline_slot(16);
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
	struct dynasync_storage ts1 = ds_task_stack(1), tiny = ds_inline_slot(16);
	struct dynasync_storage big = ds_task_stack(DYNASYNC_MAX_TASK_STACK);
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
 * LAYOUT.
 * ======================================================================
 */

TEST_F(dev, layout_validation)
{
	static const struct {
		__u32 trait, impl, method;
	} bad[] = {
		{ 0, DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_NEXT },
		{ 3, DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_NEXT },
		{ ~0U, DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_NEXT },
		{ IT, 0, DYNASYNC_METHOD_NEXT },
		{ IT, DYNASYNC_IMPL_MAX + 1, DYNASYNC_METHOD_NEXT },
		{ IT, DYNASYNC_IMPL_GADGET, DYNASYNC_METHOD_NEXT },
		{ WI, DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_AUGMENT },
		{ WI, DYNASYNC_IMPL_MAP, DYNASYNC_METHOD_TRANSMIT },
		{ IT, DYNASYNC_IMPL_COUNTER, 0 },
		{ IT, DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_MAX + 1 },
		{ IT, DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_AUGMENT },
		{ IT, DYNASYNC_IMPL_CHAIN, DYNASYNC_METHOD_COMPONENTS },
		{ IT, DYNASYNC_IMPL_TICKER, DYNASYNC_METHOD_TRANSMIT },
		{ WI, DYNASYNC_IMPL_GADGET, DYNASYNC_METHOD_NEXT },
		{ WI, DYNASYNC_IMPL_GADGET, DYNASYNC_METHOD_SUM },
		{ WI, DYNASYNC_IMPL_GADGET, 0 },
	};
	struct dynasync_layout l;
	void *ro;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, ds_layout(self->ds.fd, bad[i].trait,
					     bad[i].impl, bad[i].method, NULL)) {
			TH_LOG("row %zu", i);
		}
	}
	memset(&l, 0, sizeof(l));
	l.trait = IT;
	l.impl = DYNASYNC_IMPL_COUNTER;
	l.method = DYNASYNC_METHOD_NEXT;
	l.reserved0 = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_LAYOUT, &l));
	l.reserved0 = 0;
	l.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_LAYOUT, &l));
	l.reserved[0] = 0;
	l.reserved[1] = 1ULL << 40;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_LAYOUT, &l));
	l.reserved[1] = 0;
	EXPECT_EQ(0, ds_ioctl(self->ds.fd, DYNASYNC_IOC_LAYOUT, &l));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_LAYOUT, NULL));
	ro = ds_readonly_copy(&l, sizeof(l));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_LAYOUT, ro));
	munmap(ro, sysconf(_SC_PAGESIZE));
}

TEST_F(dev, layout_values)
{
	int fd = self->ds.fd;
	__u64 it_slot = 0, wi_slot = 0, slot = 0, max_next = 0, max_w = 0;
	long long f, sum0 = -1;
	__u32 impl;

	for (impl = DYNASYNC_IMPL_COUNTER; impl <= DYNASYNC_IMPL_CHAIN; impl++) {
		f = ds_layout(fd, IT, impl, DYNASYNC_METHOD_NEXT, &slot);
		/* A counter's NEXT is ready at once: no coroutine frame. */
		if (impl == DYNASYNC_IMPL_COUNTER) {
			EXPECT_EQ(0, f);
		} else {
			EXPECT_LT(0, f) {
				TH_LOG("NEXT of impl %u: %lld", impl, f);
			}
		}
		if (f > (long long)max_next)
			max_next = f;
		if (impl == DYNASYNC_IMPL_COUNTER)
			it_slot = slot;
		/* slot_size is the trait's, whatever the impl and method. */
		EXPECT_EQ(it_slot, slot);
		f = ds_layout(fd, IT, impl, DYNASYNC_METHOD_SUM, &slot);
		EXPECT_LT(0, f);
		/* SUM's frame is the same for every impl. */
		if (sum0 < 0)
			sum0 = f;
		EXPECT_EQ(sum0, f);
		EXPECT_EQ(it_slot, slot);
	}
	/* The slot holds the largest NEXT frame of any impl. */
	EXPECT_LE(max_next, it_slot);
	EXPECT_GE(DYNASYNC_MAX_SLOT_SIZE, it_slot);

	/* A gadget's AUGMENT is ready at once: no coroutine frame. */
	f = ds_layout(fd, WI, DYNASYNC_IMPL_GADGET, DYNASYNC_METHOD_AUGMENT,
		      &wi_slot);
	EXPECT_EQ(0, f);
	max_w = f;
	f = ds_layout(fd, WI, DYNASYNC_IMPL_GADGET, DYNASYNC_METHOD_TRANSMIT,
		      &slot);
	EXPECT_LT(0, f);
	EXPECT_EQ(wi_slot, slot);
	if (f > (long long)max_w)
		max_w = f;
	/* COMPONENTS is synchronous: no frame. */
	EXPECT_EQ(0, ds_layout(fd, WI, DYNASYNC_IMPL_GADGET,
			       DYNASYNC_METHOD_COMPONENTS, &slot));
	EXPECT_EQ(wi_slot, slot);
	EXPECT_LE(max_w, wi_slot);
	EXPECT_GE(DYNASYNC_MAX_SLOT_SIZE, wi_slot);
	TH_LOG("iterator slot %llu (largest NEXT %llu, SUM %lld), widget slot %llu",
	       (unsigned long long)it_slot, (unsigned long long)max_next,
	       sum0, (unsigned long long)wi_slot);
}

/* CREATE's out slot_size: the layout's slot with slot_size 0 (auto). */
TEST_F(dev, layout_slot_matches_create_auto_slot)
{
	static const __u32 traits[] = { IT, WI };
	static const __u32 impls[] = { DYNASYNC_IMPL_COUNTER,
				       DYNASYNC_IMPL_GADGET };
	struct dynasync_storage st;
	struct dynasync_create c;
	__u64 slot = 0;
	int i, s;

	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, ds_layout(self->ds.fd, traits[i], impls[i],
				       i ? DYNASYNC_METHOD_AUGMENT :
					   DYNASYNC_METHOD_NEXT, &slot));
		for (s = DYNASYNC_STRATEGY_BOXED; s <= DYNASYNC_STRATEGY_MAX; s++) {
			st = ds_storage(s);
			ds_create_req(&c, traits[i], impls[i], 0, 0, 0, 0, &st);
			ASSERT_LT(0, ds_create_full(&self->ds, &c));
			switch (s) {
			case DYNASYNC_STRATEGY_INLINE:
			case DYNASYNC_STRATEGY_MAYBE_BOXED:
				EXPECT_EQ(slot, c.slot_size) {
					TH_LOG("trait %u strategy %d", traits[i], s);
				}
				break;
			case DYNASYNC_STRATEGY_RESERVE:
				/* Pool elements hold the trait's largest frame. */
				EXPECT_LE(slot, c.slot_size);
				break;
			default:
				EXPECT_EQ(0, c.slot_size) {
					TH_LOG("trait %u strategy %d", traits[i], s);
				}
			}
		}
		/* An explicit slot is the slot. */
		st = ds_storage(DYNASYNC_STRATEGY_INLINE);
		st.slot_size = 256;
		ds_create_req(&c, traits[i], impls[i], 0, 0, 0, 0, &st);
		ASSERT_LT(0, ds_create_full(&self->ds, &c));
		EXPECT_EQ(256, c.slot_size);
	}
}

TEST_HARNESS_MAIN
