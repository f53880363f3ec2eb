// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync objects: every validation rule of CREATE and DESTROY (each rule
 * its own test or table row, exact errnos), handles, ownership of
 * adaptors' inners, the nesting limit, and unknown ioctls. CALL's rules
 * are in dynasync_calls_test.c, STATS in dynasync_stats_test.c, LAYOUT in
 * dynasync_storages_test.c, the per-file limits in dynasync_limits_test.c.
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

#define KERNEL_PTR	((void *)0xffffffff81000000UL)
#define U64_MAX		(~0ULL)

#include "dynasync_dev_fixture.h"

/* ---- CREATE ---------------------------------------------------------- */

struct create_case {
	const char *name;
	int err;
	struct dynasync_create c;
};

#define IT	DYNASYNC_TRAIT_ITERATOR
#define WI	DYNASYNC_TRAIT_WIDGET

/* Each row breaks exactly one rule of a request that is otherwise valid. */
static const struct create_case create_invalid[] = {
	{ "trait 0", -EINVAL,
	  { .trait = 0, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = 1 } },
	{ "trait 3", -EINVAL,
	  { .trait = 3, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = 1 } },
	{ "trait ~0", -EINVAL,
	  { .trait = ~0U, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = 1 } },
	{ "impl 0", -EINVAL,
	  { .trait = IT, .impl = 0, .storage.strategy = 1 } },
	{ "impl MAX+1", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_MAX + 1, .storage.strategy = 1 } },
	{ "impl ~0", -EINVAL,
	  { .trait = IT, .impl = ~0U, .storage.strategy = 1 } },
	{ "iterator impl GADGET", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_GADGET, .storage.strategy = 1 } },
	{ "widget impl COUNTER", -EINVAL,
	  { .trait = WI, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = 1 } },
	{ "widget impl TICKER", -EINVAL,
	  { .trait = WI, .impl = DYNASYNC_IMPL_TICKER, .storage.strategy = 1 } },
	{ "widget impl 0", -EINVAL,
	  { .trait = WI, .impl = 0, .storage.strategy = 1 } },
	{ "reserved[0]", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = 1,
	    .reserved = { 1, 0 } } },
	{ "reserved[1]", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = 1,
	    .reserved = { 0, 1ULL << 63 } } },
	{ "storage.reserved", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = 1, .reserved = 1 } } },
	{ "gadget param[1]", -EINVAL,
	  { .trait = WI, .impl = DYNASYNC_IMPL_GADGET, .param = { 0, 1 },
	    .storage.strategy = 1 } },
	{ "strategy 0", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = 0 } },
	{ "strategy 7", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage.strategy = DYNASYNC_STRATEGY_MAX + 1 } },
	{ "strategy ~0", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = ~0U } },
	/* Storage fields the strategy does not use. */
	{ "BOXED slot_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_BOXED, .slot_size = 64 } } },
	{ "BOXED task_stack_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_BOXED,
			 .task_stack_size = 4096 } } },
	{ "BOXED reserve_frames", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_BOXED,
			 .reserve_frames = 4 } } },
	{ "INLINE gfp", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_INLINE, .gfp = 1 } } },
	{ "INLINE task_stack_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_INLINE,
			 .task_stack_size = 4096 } } },
	{ "INLINE reserve_frames", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_INLINE,
			 .reserve_frames = 4 } } },
	{ "MAYBE_BOXED task_stack_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_MAYBE_BOXED,
			 .task_stack_size = 4096 } } },
	{ "MAYBE_BOXED reserve_frames", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_MAYBE_BOXED,
			 .reserve_frames = 4 } } },
	{ "CACHED slot_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_CACHED, .slot_size = 64 } } },
	{ "CACHED task_stack_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_CACHED,
			 .task_stack_size = 4096 } } },
	{ "CACHED reserve_frames", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_CACHED,
			 .reserve_frames = 4 } } },
	{ "TASK_STACK slot_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_TASK_STACK,
			 .task_stack_size = 4096, .slot_size = 64 } } },
	{ "TASK_STACK reserve_frames", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_TASK_STACK,
			 .task_stack_size = 4096, .reserve_frames = 4 } } },
	{ "RESERVE gfp", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_RESERVE,
			 .reserve_frames = 4, .gfp = 1 } } },
	{ "RESERVE slot_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_RESERVE,
			 .reserve_frames = 4, .slot_size = 64 } } },
	{ "RESERVE task_stack_size", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_RESERVE,
			 .reserve_frames = 4, .task_stack_size = 4096 } } },
	/* gfp out of range (> DYNASYNC_GFP_ATOMIC). */
	{ "BOXED gfp 3", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_BOXED, .gfp = 3 } } },
	{ "BOXED gfp ~0", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_BOXED, .gfp = ~0U } } },
	{ "MAYBE_BOXED gfp 3", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_MAYBE_BOXED, .gfp = 3 } } },
	{ "CACHED gfp 3", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_CACHED, .gfp = 3 } } },
	{ "TASK_STACK gfp 3", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_TASK_STACK,
			 .task_stack_size = 4096, .gfp = 3 } } },
	/* Sizes out of range. */
	{ "INLINE slot_size MAX+1", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_INLINE,
			 .slot_size = DYNASYNC_MAX_SLOT_SIZE + 1 } } },
	{ "INLINE slot_size ~0", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_INLINE,
			 .slot_size = ~0U } } },
	{ "MAYBE_BOXED slot_size MAX+1", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_MAYBE_BOXED,
			 .slot_size = DYNASYNC_MAX_SLOT_SIZE + 1 } } },
	{ "TASK_STACK size 0", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_TASK_STACK } } },
	{ "TASK_STACK size MAX+1", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_TASK_STACK,
			 .task_stack_size = DYNASYNC_MAX_TASK_STACK + 1 } } },
	{ "TASK_STACK size ~0", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_TASK_STACK,
			 .task_stack_size = ~0U } } },
	{ "RESERVE frames 0", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_RESERVE } } },
	{ "RESERVE frames MAX+1", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_RESERVE,
			 .reserve_frames = DYNASYNC_MAX_RESERVE_FRAMES + 1 } } },
	/* Impl parameters. */
	{ "counter start+count overflows", -EOVERFLOW,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER, .param = { U64_MAX, 2 },
	    .storage.strategy = 1 } },
	{ "counter count ~0 from 1", -EOVERFLOW,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER, .param = { 1, U64_MAX },
	    .storage.strategy = 1 } },
	{ "counter 2^63 + 2^63", -EOVERFLOW,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .param = { 1ULL << 63, 1ULL << 63 }, .storage.strategy = 1 } },
	{ "ticker period 1e9+1", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_TICKER,
	    .param = { NSEC_PER_SEC + 1, 1 }, .storage.strategy = 1 } },
	{ "ticker period ~0", -EINVAL,
	  { .trait = IT, .impl = DYNASYNC_IMPL_TICKER, .param = { U64_MAX, 1 },
	    .storage.strategy = 1 } },
};

TEST_F(dev, create_rejects_each_invalid_field)
{
	struct dynasync_stats st;
	struct dynasync_create c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(create_invalid); i++) {
		c = create_invalid[i].c;
		EXPECT_EQ(create_invalid[i].err,
			  ds_create_full(&self->ds, &c)) {
			TH_LOG("row %zu: %s", i, create_invalid[i].name);
		}
	}
	/* No failed CREATE left an object behind. */
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.live_allocs[DYNASYNC_SITE_OBJECT]);
}

/* Boundary values that are valid; each creates an object. */
static const struct create_case create_valid[] = {
	{ "counter ends at U64_MAX", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .param = { U64_MAX - 10, 10 }, .storage.strategy = 1 } },
	{ "counter 0 + ~0", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER, .param = { 0, U64_MAX },
	    .storage.strategy = 1 } },
	{ "counter empty", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER, .storage.strategy = 1 } },
	{ "ticker period 1e9", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_TICKER,
	    .param = { NSEC_PER_SEC, 1 }, .storage.strategy = 1 } },
	{ "ticker period 0", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_TICKER, .param = { 0, 3 },
	    .storage.strategy = 1 } },
	{ "gadget base ~0", 0,
	  { .trait = WI, .impl = DYNASYNC_IMPL_GADGET, .param = { U64_MAX, 0 },
	    .storage.strategy = 1 } },
	{ "BOXED gfp NOWAIT", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_BOXED,
			 .gfp = DYNASYNC_GFP_NOWAIT } } },
	{ "BOXED gfp ATOMIC", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_BOXED,
			 .gfp = DYNASYNC_GFP_ATOMIC } } },
	{ "INLINE slot_size MAX", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_INLINE,
			 .slot_size = DYNASYNC_MAX_SLOT_SIZE } } },
	{ "INLINE slot_size 1", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_INLINE, .slot_size = 1 } } },
	{ "MAYBE_BOXED slot MAX gfp ATOMIC", 0,
	  { .trait = WI, .impl = DYNASYNC_IMPL_GADGET,
	    .storage = { .strategy = DYNASYNC_STRATEGY_MAYBE_BOXED,
			 .slot_size = DYNASYNC_MAX_SLOT_SIZE,
			 .gfp = DYNASYNC_GFP_ATOMIC } } },
	{ "CACHED gfp NOWAIT", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_CACHED,
			 .gfp = DYNASYNC_GFP_NOWAIT } } },
	{ "TASK_STACK size 1", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_TASK_STACK,
			 .task_stack_size = 1 } } },
	{ "TASK_STACK size MAX gfp ATOMIC", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_TASK_STACK,
			 .task_stack_size = DYNASYNC_MAX_TASK_STACK,
			 .gfp = DYNASYNC_GFP_ATOMIC } } },
	{ "RESERVE frames 1", 0,
	  { .trait = WI, .impl = DYNASYNC_IMPL_GADGET,
	    .storage = { .strategy = DYNASYNC_STRATEGY_RESERVE,
			 .reserve_frames = 1 } } },
	{ "RESERVE frames MAX", 0,
	  { .trait = IT, .impl = DYNASYNC_IMPL_COUNTER,
	    .storage = { .strategy = DYNASYNC_STRATEGY_RESERVE,
			 .reserve_frames = DYNASYNC_MAX_RESERVE_FRAMES } } },
};

TEST_F(dev, create_accepts_boundary_values)
{
	__u32 seen[ARRAY_SIZE(create_valid)];
	struct dynasync_stats st;
	struct dynasync_create c;
	size_t i, j;
	int h;

	for (i = 0; i < ARRAY_SIZE(create_valid); i++) {
		c = create_valid[i].c;
		h = ds_create_full(&self->ds, &c);
		ASSERT_LT(0, h) {
			TH_LOG("row %zu: %s: %d", i, create_valid[i].name, h);
		}
		/* Handles are 1..2^31-1 and distinct. */
		EXPECT_GE(0x7fffffffU, c.handle);
		for (j = 0; j < i; j++)
			EXPECT_NE(seen[j], c.handle);
		seen[i] = c.handle;
		EXPECT_EQ(0, c.reserved[0]);
		EXPECT_EQ(0, c.reserved[1]);
	}
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(ARRAY_SIZE(create_valid), st.objects);
	/* The counter that ends at U64_MAX yields its last item. */
	expect_item(_metadata, &self->ds, seen[0], U64_MAX - 10);
}

/* Unused inner[] / param[] must be zero, checked with real handles. */
TEST_F(dev, create_unused_inner_or_param_einval)
{
	const struct dynasync_storage *st = &self->boxed;
	struct ds *ds = &self->ds;
	struct dynasync_stats s;
	int a, b;

	a = create_counter(ds, st, 100, 10);
	b = create_counter(ds, st, 200, 10);
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	/* Leaves take no inner. */
	EXPECT_EQ(-EINVAL, ds_create(ds, IT, DYNASYNC_IMPL_COUNTER, a, 0, 0, 1, st));
	EXPECT_EQ(-EINVAL, ds_create(ds, IT, DYNASYNC_IMPL_COUNTER, 0, a, 0, 1, st));
	EXPECT_EQ(-EINVAL, ds_create(ds, IT, DYNASYNC_IMPL_TICKER, a, 0, 0, 1, st));
	EXPECT_EQ(-EINVAL, ds_create(ds, WI, DYNASYNC_IMPL_GADGET, a, 0, 0, 0, st));
	EXPECT_EQ(-EINVAL, ds_create(ds, WI, DYNASYNC_IMPL_GADGET, 0, a, 0, 0, st));
	/* MAP and TAKE take inner[0] only; TAKE and CHAIN fewer params. */
	EXPECT_EQ(-EINVAL, ds_create(ds, IT, DYNASYNC_IMPL_MAP, a, b, 1, 0, st));
	EXPECT_EQ(-EINVAL, ds_create(ds, IT, DYNASYNC_IMPL_TAKE, a, b, 1, 0, st));
	EXPECT_EQ(-EINVAL, ds_create(ds, IT, DYNASYNC_IMPL_TAKE, a, 0, 1, 1, st));
	EXPECT_EQ(-EINVAL, ds_create(ds, IT, DYNASYNC_IMPL_CHAIN, a, b, 1, 0, st));
	EXPECT_EQ(-EINVAL, ds_create(ds, IT, DYNASYNC_IMPL_CHAIN, a, b, 0, 1, st));
	/* Nothing was moved: both are still ours, at their first item. */
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(2, s.objects);
	expect_item(_metadata, ds, a, 100);
	expect_item(_metadata, ds, b, 200);
}

TEST_F(dev, create_inner_missing_enoent)
{
	const struct dynasync_storage *st = &self->boxed;
	struct ds *ds = &self->ds;
	int a;

	a = create_counter(ds, st, 5, 3);
	ASSERT_LT(0, a);
	EXPECT_EQ(-ENOENT, create_map(ds, st, a + 1000, 1, 0));
	EXPECT_EQ(-ENOENT, create_take(ds, st, 0x7fffffff, 1));
	/* One inner present, the other missing: the present one stays ours. */
	EXPECT_EQ(-ENOENT, create_chain(ds, st, a, a + 1000));
	EXPECT_EQ(-ENOENT, create_chain(ds, st, a + 1000, a));
	EXPECT_EQ(-ENOENT, create_chain(ds, st, a, 0x7fffffff));
	expect_item(_metadata, ds, a, 5);
}

/*
 * An adaptor's inner given as handle 0: 0 names no object, and -ENOENT is
 * the header's one errno for "no such handle" (CALL and DESTROY of handle
 * 0 give -ENOENT as well).
 */
TEST_F(dev, create_required_inner_zero_einval)
{
	const struct dynasync_storage *st = &self->boxed;
	struct ds *ds = &self->ds;
	int a;

	a = create_counter(ds, st, 5, 3);
	ASSERT_LT(0, a);
	EXPECT_EQ(-EINVAL, create_map(ds, st, 0, 1, 0));
	EXPECT_EQ(-EINVAL, create_take(ds, st, 0, 1));
	EXPECT_EQ(-EINVAL, create_chain(ds, st, 0, 0));
	EXPECT_EQ(-EINVAL, create_chain(ds, st, a, 0));
	EXPECT_EQ(-EINVAL, create_chain(ds, st, 0, a));
	expect_item(_metadata, ds, a, 5);
}

TEST_F(dev, create_inner_of_wrong_trait_einval)
{
	const struct dynasync_storage *st = &self->boxed;
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	int a, w;

	a = create_counter(ds, st, 9, 3);
	w = create_gadget(ds, st, 40);
	ASSERT_LT(0, a);
	ASSERT_LT(0, w);
	EXPECT_EQ(-EINVAL, create_map(ds, st, w, 1, 0));
	EXPECT_EQ(-EINVAL, create_take(ds, st, w, 1));
	EXPECT_EQ(-EINVAL, create_chain(ds, st, a, w));
	EXPECT_EQ(-EINVAL, create_chain(ds, st, w, a));
	/* Neither was moved. */
	expect_item(_metadata, ds, a, 9);
	ASSERT_EQ(0, ds_method(_metadata, ds, w, DYNASYNC_METHOD_AUGMENT,
			       DYNASYNC_COMPONENT_BOLT, 2, &o));
	EXPECT_EQ(42, o.value);
}

TEST_F(dev, create_failing_adaptor_moves_nothing)
{
	struct dynasync_storage bad = ds_storage(DYNASYNC_STRATEGY_MAX + 1);
	const struct dynasync_storage *st = &self->boxed;
	struct ds *ds = &self->ds;
	struct dynasync_stats s;
	int a, b, r;

	a = create_counter(ds, st, 1, 3);
	b = create_counter(ds, st, 7, 3);
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	EXPECT_EQ(-EINVAL, create_map(ds, &bad, a, 1, 0));
	EXPECT_EQ(-EINVAL, create_chain(ds, &bad, a, b));
	bad = ds_storage(DYNASYNC_STRATEGY_INLINE);
	bad.slot_size = DYNASYNC_MAX_SLOT_SIZE + 1;
	EXPECT_EQ(-EINVAL, create_take(ds, &bad, a, 1));
	/* The same object as both inners cannot be moved twice. */
	r = create_chain(ds, st, a, a);
	EXPECT_GT(0, r) {
		TH_LOG("CHAIN(a, a) succeeded: %d", r);
	}
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(2, s.objects);
	expect_item(_metadata, ds, a, 1);
	expect_item(_metadata, ds, b, 7);
}

TEST_F(dev, create_adaptor_moves_its_inners)
{
	const struct dynasync_storage *st = &self->boxed;
	struct ds *ds = &self->ds;
	const __u64 v[] = { 2, 4, 20, 22 };
	struct dynasync_call_out o;
	struct dynasync_stats s;
	int a, b, c, m;

	a = create_counter(ds, st, 1, 2);
	b = create_counter(ds, st, 10, 2);
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	c = create_chain(ds, st, a, b);
	ASSERT_LT(0, c);
	EXPECT_NE(a, c);
	EXPECT_NE(b, c);
	/* The inner handles are released: no such handle any more. */
	EXPECT_EQ(-ENOENT, ds_method(_metadata, ds, a, DYNASYNC_METHOD_NEXT,
				     0, 0, &o));
	EXPECT_EQ(-ENOENT, ds_destroy(ds, b));
	EXPECT_EQ(-ENOENT, create_map(ds, st, a, 1, 0));
	/* Objects count the owned inners. */
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(3, s.objects);
	m = create_map(ds, st, c, 2, 0);
	ASSERT_LT(0, m);
	EXPECT_EQ(-ENOENT, ds_destroy(ds, c));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(4, s.objects);
	expect_items(_metadata, ds, m, v, 4, true);
	/* Destroying the outer destroys its inners. */
	ASSERT_EQ(0, ds_destroy(ds, m));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.objects);
	EXPECT_EQ(0, s.live_allocs[DYNASYNC_SITE_OBJECT]);
}

/* An object with no inner has depth 1; deeper than MAX_DEPTH: -ELOOP. */
TEST_F(dev, create_nesting_deeper_than_max_depth_eloop)
{
	const struct dynasync_storage *st = &self->boxed;
	struct ds *ds = &self->ds;
	struct dynasync_stats s;
	int h, spare, i;

	h = create_counter(ds, st, 0, 4);
	ASSERT_LT(0, h);
	for (i = 2; i <= DYNASYNC_MAX_DEPTH; i++) {
		h = create_map(ds, st, h, 1, 1);
		ASSERT_LT(0, h) {
			TH_LOG("MAP at depth %d: %d", i, h);
		}
	}
	/* h: 15 maps over a counter, depth 16 (the limit). One more: no. */
	spare = create_counter(ds, st, 50, 1);
	ASSERT_LT(0, spare);
	EXPECT_EQ(-ELOOP, create_map(ds, st, h, 1, 0));
	EXPECT_EQ(-ELOOP, create_take(ds, st, h, 1));
	EXPECT_EQ(-ELOOP, create_chain(ds, st, h, spare));
	EXPECT_EQ(-ELOOP, create_chain(ds, st, spare, h));
	/* Nothing was moved; the tower yields 0 + 15. */
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(DYNASYNC_MAX_DEPTH + 1, s.objects);
	expect_item(_metadata, ds, h, DYNASYNC_MAX_DEPTH - 1);
	expect_item(_metadata, ds, spare, 50);
}

/* CHAIN's depth is 1 + the deeper inner's. */
TEST_F(dev, create_chain_depth_is_one_plus_deeper_inner)
{
	const struct dynasync_storage *st = &self->boxed;
	const __u64 v[] = { 100, DYNASYNC_MAX_DEPTH - 2, DYNASYNC_MAX_DEPTH - 1 };
	struct ds *ds = &self->ds;
	int tower, leaf, c, i;

	tower = create_counter(ds, st, 0, 2);
	ASSERT_LT(0, tower);
	for (i = 2; i < DYNASYNC_MAX_DEPTH; i++) {
		tower = create_map(ds, st, tower, 1, 1);
		ASSERT_LT(0, tower);
	}
	/* tower has depth 15: a CHAIN over it has depth 16, allowed. */
	leaf = create_counter(ds, st, 100, 1);
	ASSERT_LT(0, leaf);
	c = create_chain(ds, st, leaf, tower);
	ASSERT_LT(0, c);
	/* ... and anything over that chain is too deep. */
	leaf = create_counter(ds, st, 200, 1);
	ASSERT_LT(0, leaf);
	EXPECT_EQ(-ELOOP, create_chain(ds, st, leaf, c));
	EXPECT_EQ(-ELOOP, create_map(ds, st, c, 1, 0));
	expect_items(_metadata, ds, c, v, 3, true);
	expect_item(_metadata, ds, leaf, 200);
}

TEST_F(dev, create_bad_pointer_efault)
{
	struct dynasync_create c, *ro;
	struct dynasync_stats st;
	void *unmapped = ds_unmapped_page();

	ASSERT_NE(NULL, unmapped);
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CREATE, NULL));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CREATE, unmapped));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CREATE,
				    KERNEL_PTR));
	/* A valid request whose handle cannot be written back. */
	ds_create_req(&c, IT, DYNASYNC_IMPL_COUNTER, 0, 0, 0, 3, &self->boxed);
	ro = ds_readonly_copy(&c, sizeof(c));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CREATE, ro));
	munmap(ro, sysconf(_SC_PAGESIZE));
	/* No object was left behind under a handle nobody knows. */
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.live_allocs[DYNASYNC_SITE_OBJECT]);
}

/* An adaptor whose handle cannot be written back moves nothing. */
TEST_F(dev, create_adaptor_bad_pointer_keeps_inner)
{
	struct dynasync_create c, *ro;
	struct dynasync_stats st;
	int a;

	a = create_counter(&self->ds, &self->boxed, 40, 3);
	ASSERT_LT(0, a);
	ds_create_req(&c, IT, DYNASYNC_IMPL_MAP, a, 0, 2, 0, &self->boxed);
	ro = ds_readonly_copy(&c, sizeof(c));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CREATE, ro));
	munmap(ro, sysconf(_SC_PAGESIZE));
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(1, st.objects);
	/* The inner is still its own object, untouched and callable. */
	expect_item(_metadata, &self->ds, a, 40);
}

/*
 * CREATE moving an inner handle races DESTROY of that handle from another
 * thread: exactly one of them wins. A DESTROY that succeeded means the
 * adaptor's CREATE failed with -ENOENT; an adaptor that was created means
 * its inner was never destroyed (its first item is the inner's).
 */
struct move_race {
	int fd;
	volatile __u32 target;
	volatile int stop;
	volatile int destroyed;
};

static void *move_race_destroyer(void *arg)
{
	struct move_race *r = arg;
	struct dynasync_destroy d;

	while (!r->stop) {
		__u32 h = __atomic_load_n(&r->target, __ATOMIC_ACQUIRE);
		int ret;

		if (!h)
			continue;
		memset(&d, 0, sizeof(d));
		d.handle = h;
		ret = ds_ioctl(r->fd, DYNASYNC_IOC_DESTROY, &d);
		if (ret == 0)
			__atomic_store_n(&r->destroyed, 1, __ATOMIC_RELEASE);
		if (ret == 0 || ret == -ENOENT)
			__atomic_store_n(&r->target, 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * 3000 rounds of two threads spinning on each other: seconds on a stock
 * kernel, tens of seconds on the debug kernel under TCG on a loaded host
 * (the default 30 s timeout was hit once), so a hang guard of 180 s.
 */
TEST_F_TIMEOUT(dev, create_move_races_destroy_one_winner, 180)
{
	struct move_race r = { .fd = self->ds.fd };
	struct dynasync_destroy d;
	struct dynasync_create c;
	struct dynasync_stats st;
	struct dynasync_call_out o;
	struct dynasync_call cl;
	int i, won_create = 0, won_destroy = 0, bad = 0;
	pthread_t th;

	ASSERT_EQ(0, pthread_create(&th, NULL, move_race_destroyer, &r));
	for (i = 0; i < 3000 && !bad; i++) {
		int a, m;

		ds_create_req(&c, IT, DYNASYNC_IMPL_COUNTER, 0, 0, i, 2,
			      &self->boxed);
		a = ds_ioctl(self->ds.fd, DYNASYNC_IOC_CREATE, &c) ?: (int)c.handle;
		ASSERT_LT(0, a);
		__atomic_store_n(&r.destroyed, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&r.target, a, __ATOMIC_RELEASE);
		ds_create_req(&c, IT, DYNASYNC_IMPL_MAP, a, 0, 1, 0, &self->boxed);
		m = ds_ioctl(self->ds.fd, DYNASYNC_IOC_CREATE, &c) ?: (int)c.handle;
		/* Let the destroyer finish with a (it gets -ENOENT if moved). */
		while (__atomic_load_n(&r.target, __ATOMIC_ACQUIRE))
			;
		if (m > 0) {
			won_create++;
			bad += r.destroyed;
			cl = ds_mkcall(m, DYNASYNC_METHOD_NEXT, 0, 0, &o);
			EXPECT_EQ(1, ds_ioctl(self->ds.fd, DYNASYNC_IOC_CALL, &cl));
			EXPECT_EQ((__u64)i, o.value);
			bad += o.value != (__u64)i;
			memset(&d, 0, sizeof(d));
			d.handle = m;
			EXPECT_EQ(0, ds_ioctl(self->ds.fd, DYNASYNC_IOC_DESTROY, &d));
		} else {
			won_destroy++;
			EXPECT_EQ(-ENOENT, m);
			bad += !r.destroyed;
		}
	}
	r.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, bad);
	TH_LOG("%d adaptors created, %d inners destroyed first", won_create,
	       won_destroy);
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(0, st.objects);
}

TEST_F(dev, handles_in_range_and_never_reused)
{
	const struct dynasync_storage *st = &self->boxed;
	struct ds *ds = &self->ds;
	__u32 seen[64];
	int i, h;

	for (i = 0; i < 64; i++) {
		h = create_counter(ds, st, i, 1);
		ASSERT_LT(0, h);
		seen[i] = h;
		/* Handed out in increasing order. */
		if (i)
			ASSERT_LT(seen[i - 1], seen[i]);
		/* Destroy every other one right away: its number stays used. */
		if (i % 2 == 0)
			ASSERT_EQ(0, ds_destroy(ds, h));
	}
	for (i = 1; i < 64; i += 2)
		expect_item(_metadata, ds, seen[i], i);
}

TEST_F(dev, handles_are_per_file)
{
	struct dynasync_destroy d;
	struct dynasync_call c;
	struct dynasync_call_out o;
	struct dynasync_stats st;
	int fd2, h;

	h = create_counter(&self->ds, &self->boxed, 3, 2);
	ASSERT_LT(0, h);
	fd2 = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ds_stats(fd2, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.calls);
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	EXPECT_EQ(-ENOENT, ds_ioctl(fd2, DYNASYNC_IOC_CALL, &c));
	memset(&d, 0, sizeof(d));
	d.handle = h;
	EXPECT_EQ(-ENOENT, ds_ioctl(fd2, DYNASYNC_IOC_DESTROY, &d));
	ASSERT_EQ(0, ds_stats(fd2, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(st.calls, st.completions);
	close(fd2);
	/* This file saw none of fd2's calls. */
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(0, st.calls);
	EXPECT_EQ(1, st.objects);
	expect_item(_metadata, &self->ds, h, 3);
}

/* ---- DESTROY ----------------------------------------------------------- */

TEST_F(dev, destroy_validation)
{
	struct dynasync_call_out o;
	struct dynasync_destroy d;
	int h;

	h = create_counter(&self->ds, &self->boxed, 4, 2);
	ASSERT_LT(0, h);
	memset(&d, 0, sizeof(d));
	d.handle = h;
	d.flags = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_DESTROY, &d));
	d.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_DESTROY, &d));
	d.flags = 0;
	d.reserved = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_DESTROY, &d));
	d.reserved = 1ULL << 63;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_DESTROY, &d));
	EXPECT_EQ(-ENOENT, ds_destroy(&self->ds, 0));
	EXPECT_EQ(-ENOENT, ds_destroy(&self->ds, h + 1));
	EXPECT_EQ(-ENOENT, ds_destroy(&self->ds, 0x7fffffff));
	EXPECT_EQ(-ENOENT, ds_destroy(&self->ds, ~0U));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_DESTROY, NULL));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_DESTROY,
				    ds_unmapped_page()));
	/* Still there, untouched. */
	expect_item(_metadata, &self->ds, h, 4);
	ASSERT_EQ(0, ds_destroy(&self->ds, h));
	EXPECT_EQ(-ENOENT, ds_destroy(&self->ds, h));
	EXPECT_EQ(-ENOENT, ds_method(_metadata, &self->ds, h,
				     DYNASYNC_METHOD_NEXT, 0, 0, &o));
}

/* ---- unknown commands ---------------------------------------------------- */

TEST_F(dev, unknown_ioctls_enotty)
{
	char buf[4096];
	const unsigned long cmds[] = {
		_IOW(DYNASYNC_IOC_MAGIC, 0x02, struct dynasync_create),
		_IOR(DYNASYNC_IOC_MAGIC, 0x02, struct dynasync_create),
		_IOWR(DYNASYNC_IOC_MAGIC, 0x02, struct dynasync_call),
		_IOWR(DYNASYNC_IOC_MAGIC, 0x03, struct dynasync_destroy),
		_IOW(DYNASYNC_IOC_MAGIC, 0x03, __u64),
		_IOWR(DYNASYNC_IOC_MAGIC, 0x04, struct dynasync_call),
		_IOW(DYNASYNC_IOC_MAGIC, 0x04, struct dynasync_create),
		_IOW(DYNASYNC_IOC_MAGIC, 0x04, __u64),
		_IOR(DYNASYNC_IOC_MAGIC, 0x05, struct dynasync_stats),
		_IOWR(DYNASYNC_IOC_MAGIC, 0x05, struct dynasync_layout),
		_IOWR(DYNASYNC_IOC_MAGIC, 0x06, struct dynasync_stats),
		_IOW(DYNASYNC_IOC_MAGIC, 0x06, struct dynasync_layout),
		_IOWR(DYNASYNC_IOC_MAGIC, 0x07, struct dynasync_call),
		_IOW(DYNASYNC_IOC_MAGIC, 0x08, struct dynasync_call),
		_IO(DYNASYNC_IOC_MAGIC, 0x04),
		_IOW('x', 0x04, struct dynasync_call),
	};
	size_t i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-ENOTTY, ds_ioctl(self->ds.fd, cmds[i], buf)) {
			TH_LOG("cmd %#lx", cmds[i]);
		}
	}
}

TEST_HARNESS_MAIN
