// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync objects: every validation rule of CREATE, CALL, DESTROY,
 * STATS and LAYOUT (each rule its own test or table row, exact errnos),
 * handles, ownership of adaptors' inners, the nesting limit, LAYOUT's
 * values, STATS' values, and the per-file limits set through the module
 * parameters. Calls on objects over both paths are in
 * dynasync_calls_test.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dynasync_util.h"

#define KERNEL_PTR	((void *)0xffffffff81000000UL)
#define U64_MAX		(~0ULL)

FIXTURE(dev)
{
	struct ds ds;
	struct dynasync_storage boxed;
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, ds_open(&self->ds, false, true));
	self->boxed = ds_storage(DYNASYNC_STRATEGY_BOXED);
}

FIXTURE_TEARDOWN(dev)
{
	ds_teardown(_metadata, &self->ds);
}

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

/* ---- CALL validation ---------------------------------------------------- */

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

/* ---- STATS ------------------------------------------------------------- */

TEST_F(dev, stats_validation)
{
	struct dynasync_stats st;
	void *ro;
	int i;

	memset(&st, 0, sizeof(st));
	st.flags = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	memset(&st, 0, sizeof(st));
	st.reserved0 = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++) {
		memset(&st, 0, sizeof(st));
		st.reserved[i] = 1ULL << (i * 20);
		EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	}
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, NULL));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS,
				    ds_unmapped_page()));
	memset(&st, 0, sizeof(st));
	ro = ds_readonly_copy(&st, sizeof(st));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, ro));
	munmap(ro, sysconf(_SC_PAGESIZE));
}

/* Output fields given on input are ignored. */
TEST_F(dev, stats_ignores_output_fields_on_input)
{
	struct dynasync_stats st;

	memset(&st, 0xff, sizeof(st));
	st.flags = 0;
	st.reserved0 = 0;
	memset(st.reserved, 0, sizeof(st.reserved));
	ASSERT_EQ(0, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.calls);
	EXPECT_EQ(0, st.bytes);	/* out only: was reserved[0] */
	EXPECT_EQ(0, st.live_allocs[DYNASYNC_SITES - 1]);
}

TEST_F(dev, stats_values)
{
	const struct dynasync_storage *bx = &self->boxed;
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_stats st;
	int a, m, g, i, fd2;

	/* A fresh file. */
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_EQ(0, st.flags);
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.inflight);
	EXPECT_EQ(0, st.calls);
	EXPECT_EQ(0, st.completions);
	EXPECT_EQ(0, st.sink_total);
	EXPECT_EQ(0, st.sink_deliveries);
	EXPECT_EQ(0, st.reserved0);
	EXPECT_EQ(0, st.bytes);
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++)
		EXPECT_EQ(0, st.reserved[i]);
	/* Unused entries are 0. */
	for (i = DYNASYNC_SITE_MISC + 1; i < DYNASYNC_SITES; i++)
		EXPECT_EQ(0, st.live_allocs[i]);
	EXPECT_EQ(0, st.strategy[0].live_frames);
	EXPECT_EQ(0, st.strategy[0].placements);
	EXPECT_EQ(0, st.strategy[0].high_water_bytes);
	EXPECT_EQ(0, st.strategy[0].heap_allocations);
	EXPECT_EQ(0, st.strategy[0].heap_bytes);
	/* The exact heap high-water mark is kept only while asked for. */
	ASSERT_EQ(0, ds_param_write("track_high_water", "1"));

	a = create_counter(ds, bx, 0, 100);
	ASSERT_LT(0, a);
	m = create_map(ds, bx, a, 1, 0);
	ASSERT_LT(0, m);
	g = create_gadget(ds, bx, 0);
	ASSERT_LT(0, g);
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	/* Handles and owned inners. */
	EXPECT_EQ(3, st.objects);
	EXPECT_LE(3, st.live_allocs[DYNASYNC_SITE_OBJECT]);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(1, ds_method(_metadata, ds, m, DYNASYNC_METHOD_NEXT,
				       0, 0, &o));
	/* Counted as submitted or not, a rejected call leaves them equal. */
	EXPECT_EQ(-EINVAL, ds_method(_metadata, ds, m, 0, 0, 0, &o));
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_LE(5, st.calls);
	EXPECT_EQ(st.calls, st.completions);
	EXPECT_EQ(0, st.inflight);
	/*
	 * The BOXED frames of those calls (the map's: the counter is ready
	 * at once and places none) were placed on the heap, and are gone.
	 */
	EXPECT_LE(5, st.strategy[DYNASYNC_STRATEGY_BOXED].placements);
	EXPECT_LE(5, st.strategy[DYNASYNC_STRATEGY_BOXED].heap_allocations);
	EXPECT_LT(0, st.strategy[DYNASYNC_STRATEGY_BOXED].high_water_bytes);
	EXPECT_EQ(0, st.strategy[DYNASYNC_STRATEGY_BOXED].live_frames);
	EXPECT_EQ(0, st.strategy[DYNASYNC_STRATEGY_BOXED].live_bytes);
	EXPECT_EQ(0, st.strategy[DYNASYNC_STRATEGY_BOXED].heap_bytes);
	ASSERT_EQ(0, ds_param_write("track_high_water", "0"));
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_EQ(0, st.strategy[DYNASYNC_STRATEGY_BOXED].high_water_bytes);
	/* Per file: another file sees none of it. */
	fd2 = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ds_stats(fd2, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.calls);
	EXPECT_EQ(0, st.completions);
	/* ... except the module-wide parts. */
	EXPECT_LE(3, st.live_allocs[DYNASYNC_SITE_OBJECT]);
	close(fd2);
	ASSERT_EQ(0, ds_destroy(ds, m));
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_EQ(1, st.objects);
}

/* ---- LAYOUT ------------------------------------------------------------ */

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

/* ---- per-file limits and module parameters -------------------------------- */

static const char * const param_names[] = {
	"max_objects", "max_inflight", "max_call_ms"
};

FIXTURE(limits)
{
	struct ds ds;
	long saved[3];
	struct dynasync_storage boxed;
};

FIXTURE_SETUP(limits)
{
	int i;

	for (i = 0; i < 3; i++) {
		self->saved[i] = ds_param_read(param_names[i]);
		ASSERT_LT(0, self->saved[i]) {
			TH_LOG("%s%s: %ld", DS_PARAM_DIR, param_names[i],
			       self->saved[i]);
		}
	}
	ASSERT_EQ(0, ds_open(&self->ds, false, true));
	self->boxed = ds_storage(DYNASYNC_STRATEGY_BOXED);
}

FIXTURE_TEARDOWN(limits)
{
	int i;

	/* Restore the limits first: the teardown's calls may need them. */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, ds_param_set(param_names[i], self->saved[i]));
	ds_teardown(_metadata, &self->ds);
}

TEST_F(limits, defaults)
{
	EXPECT_EQ(1024, self->saved[0]);
	EXPECT_EQ(256, self->saved[1]);
	EXPECT_EQ(10000, self->saved[2]);
}

TEST_F(limits, out_of_range_writes_einval)
{
	static const char * const bad[] = {
		"0", "65537", "100000", "abc", "-1", "1x",
	};
	static const char * const bad_ms[] = {
		"0", "60001", "1000000", "abc", "-1", "10s",
	};
	size_t i, p;

	for (p = 0; p < 2; p++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			EXPECT_EQ(-EINVAL, ds_param_write(param_names[p], bad[i])) {
				TH_LOG("%s <- '%s'", param_names[p], bad[i]);
			}
		}
		/* A refused write leaves the value alone. */
		EXPECT_EQ(self->saved[p], ds_param_read(param_names[p]));
		/* The bounds themselves are accepted. */
		EXPECT_EQ(0, ds_param_write(param_names[p], "1"));
		EXPECT_EQ(1, ds_param_read(param_names[p]));
		EXPECT_EQ(0, ds_param_write(param_names[p], "65536"));
		EXPECT_EQ(65536, ds_param_read(param_names[p]));
	}
	for (i = 0; i < ARRAY_SIZE(bad_ms); i++) {
		EXPECT_EQ(-EINVAL, ds_param_write("max_call_ms", bad_ms[i])) {
			TH_LOG("max_call_ms <- '%s'", bad_ms[i]);
		}
	}
	EXPECT_EQ(self->saved[2], ds_param_read("max_call_ms"));
	EXPECT_EQ(0, ds_param_write("max_call_ms", "1"));
	EXPECT_EQ(1, ds_param_read("max_call_ms"));
	EXPECT_EQ(0, ds_param_write("max_call_ms", "60000"));
	EXPECT_EQ(60000, ds_param_read("max_call_ms"));
}

/* Values past what the parameter's type holds are out of range too. */
TEST_F(limits, overflowing_writes_einval)
{
	static const char * const bad[] = {
		"4294967297", "99999999999999999999",
	};
	size_t i, p;

	for (p = 0; p < 3; p++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			EXPECT_EQ(-EINVAL, ds_param_write(param_names[p], bad[i])) {
				TH_LOG("%s <- '%s'", param_names[p], bad[i]);
			}
		}
		EXPECT_EQ(self->saved[p], ds_param_read(param_names[p]));
	}
}

TEST_F(limits, max_objects_emfile)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_stats st;
	struct ds other;
	int a, b, g, i;

	ASSERT_EQ(0, ds_param_set("max_objects", 3));
	a = create_counter(ds, &self->boxed, 0, 5);
	b = create_counter(ds, &self->boxed, 10, 5);
	g = create_gadget(ds, &self->boxed, 0);
	ASSERT_LT(0, a);
	ASSERT_LT(0, b);
	ASSERT_LT(0, g);
	EXPECT_EQ(-EMFILE, create_counter(ds, &self->boxed, 0, 1));
	EXPECT_EQ(-EMFILE, create_gadget(ds, &self->boxed, 0));
	/* COMPONENTS makes an object too: the same limit, on both paths. */
	ASSERT_EQ(0, ds_method(_metadata, ds, g, DYNASYNC_METHOD_AUGMENT,
			       DYNASYNC_COMPONENT_BOLT, 1, &o));
	EXPECT_EQ(-EMFILE, ds_method(_metadata, ds, g,
				     DYNASYNC_METHOD_COMPONENTS, 0, 0, &o));
	ds->uring = true;
	EXPECT_EQ(-EMFILE, ds_method(_metadata, ds, g,
				     DYNASYNC_METHOD_COMPONENTS, 0, 0, &o));
	ds->uring = false;
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_EQ(3, st.objects);
	/* Per file: another file has its own three. */
	ASSERT_EQ(0, ds_open(&other, false, false));
	for (i = 0; i < 3; i++)
		EXPECT_LT(0, create_counter(&other, &self->boxed, i, 1));
	EXPECT_EQ(-EMFILE, create_counter(&other, &self->boxed, 0, 1));
	close(other.fd);
	/* A slot freed is a slot usable again. */
	ASSERT_EQ(0, ds_destroy(ds, a));
	a = ds_method(_metadata, ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
	ASSERT_LT(0, a);
	ds_track(ds, a);
	EXPECT_EQ(a, o.handle);
	EXPECT_EQ(-EMFILE, create_counter(ds, &self->boxed, 0, 1));
	expect_item(_metadata, ds, a, 0);
	expect_item(_metadata, ds, b, 10);
}

TEST_F(limits, max_objects_raised_allows_more)
{
	struct ds *ds = &self->ds;
	int i;

	ASSERT_EQ(0, ds_param_set("max_objects", 2));
	ASSERT_LT(0, create_counter(ds, &self->boxed, 0, 1));
	ASSERT_LT(0, create_counter(ds, &self->boxed, 0, 1));
	EXPECT_EQ(-EMFILE, create_counter(ds, &self->boxed, 0, 1));
	ASSERT_EQ(0, ds_param_set("max_objects", 40));
	for (i = 2; i < 40; i++)
		ASSERT_LT(0, create_counter(ds, &self->boxed, i, 1));
	EXPECT_EQ(-EMFILE, create_counter(ds, &self->boxed, 0, 1));
}

TEST_F(limits, max_inflight_enobufs)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o[4];
	struct dynasync_call c;
	struct ds_cqe cqe[4];
	__u64 uds[3] = { 101, 102, 103 };
	int t[3], cnt, i, n;

	ASSERT_EQ(0, ds_param_set("max_inflight", 2));
	for (i = 0; i < 3; i++) {
		t[i] = create_ticker(ds, &self->boxed, 300 * NSEC_PER_MSEC, 2);
		ASSERT_LT(0, t[i]);
	}
	cnt = create_counter(ds, &self->boxed, 70, 3);
	ASSERT_LT(0, cnt);
	/* Two calls in flight: the limit. */
	for (i = 0; i < 2; i++) {
		c = ds_mkcall(t[i], DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, uds[i]));
	}
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, 2, 1000));
	/* A third, on either path, even a ready-at-once one: -ENOBUFS. */
	c = ds_mkcall(t[2], DYNASYNC_METHOD_NEXT, 0, 0, &o[2]);
	ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, uds[2]));
	ASSERT_EQ(0, ds_wait_cqe(&ds->ring, &cqe[0], DS_WAIT_MS));
	EXPECT_EQ(uds[2], cqe[0].ud);
	EXPECT_EQ(-ENOBUFS, cqe[0].res);
	EXPECT_EQ(-ENOBUFS, ds_method(_metadata, ds, t[2],
				      DYNASYNC_METHOD_NEXT, 0, 0, &o[3]));
	EXPECT_EQ(-ENOBUFS, ds_method(_metadata, ds, cnt,
				      DYNASYNC_METHOD_NEXT, 0, 0, &o[3]));
	/* The two complete, once each, with their items. */
	n = ds_reap(_metadata, &ds->ring, cqe, 2);
	ASSERT_EQ(2, n);
	ds_expect_once(_metadata, cqe, n, uds);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(1, ds_cqe_res(_metadata, cqe, n, uds[i]));
		EXPECT_EQ(0, o[i].value);
	}
	/* Below the limit again; the refused calls advanced nothing. */
	expect_item(_metadata, ds, cnt, 70);
	expect_item(_metadata, ds, t[2], 0);
}

TEST_F(limits, max_call_ms_caps_every_call)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_call c;
	int t;

	ASSERT_EQ(0, ds_param_set("max_call_ms", 50));
	t = create_ticker(ds, &self->boxed, 400 * NSEC_PER_MSEC, 2);
	ASSERT_LT(0, t);
	/* deadline 0 means the cap: 50 ms < the 400 ms period. */
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	EXPECT_EQ(-ETIMEDOUT, call_ioctl(ds, &c));
	EXPECT_EQ(-ETIMEDOUT, call_uring(_metadata, ds, &c));
	/* Above the new cap: -EINVAL; at it: accepted (and times out). */
	c.deadline_ns = 50 * NSEC_PER_MSEC + 1;
	EXPECT_EQ(-EINVAL, call_ioctl(ds, &c));
	EXPECT_EQ(-EINVAL, call_uring(_metadata, ds, &c));
	c.deadline_ns = 50 * NSEC_PER_MSEC;
	EXPECT_EQ(-ETIMEDOUT, call_ioctl(ds, &c));
	/* Nothing advanced. */
	ASSERT_EQ(0, ds_param_set("max_call_ms", self->saved[2]));
	expect_item(_metadata, ds, t, 0);
}

TEST_HARNESS_MAIN
