// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync fault injector ABI, one file's policy: FAULT_SET validation
 * (one test per rule, a rejected policy leaves the old one in force),
 * FAULT_GET's echo, NTH semantics with exact candidate and injection
 * counts on both paths, and each filter (sites, strategies, trait,
 * method) matching and not. RATE, seeds and counters are in
 * dynasync_faults_rate_test.c, the module-wide policy in
 * dynasync_faults_debugfs_test.c; the model of a run in dynasync_faults.h.
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
#include "dynasync_faults.h"

/* ======================================================================
 * FAULT_SET validation: one test per rule.
 * ======================================================================
 */

FIXTURE(bad)
{
	struct ds ds;
	struct dynasync_fault_policy prev;
	int h;
};

FIXTURE_VARIANT(bad)
{
	struct dynasync_fault_policy p;
};

#define P_NTH		.mode = F_NTH, .nth = 1
#define P_RATE		.mode = F_RATE, .probability = 50, .times = -1

FIXTURE_VARIANT_ADD(bad, mode_3) { .p = { .mode = 3 } };
FIXTURE_VARIANT_ADD(bad, mode_u32_max) { .p = { .mode = ~0U, .nth = 1 } };
FIXTURE_VARIANT_ADD(bad, flags_bit1) { .p = { P_NTH, .flags = BIT(1) } };
FIXTURE_VARIANT_ADD(bad, flags_bit31) { .p = { P_NTH, .flags = BIT(31) } };
FIXTURE_VARIANT_ADD(bad, reserved0) { .p = { P_NTH, .reserved = { 1, 0 } } };
FIXTURE_VARIANT_ADD(bad, reserved1) { .p = { P_NTH, .reserved = { 0, 1ULL << 63 } } };
FIXTURE_VARIANT_ADD(bad, site_bit6) { .p = { P_NTH, .sites = BIT(DYNASYNC_SITE_MISC + 1) } };
FIXTURE_VARIANT_ADD(bad, site_bit31) { .p = { P_NTH, .sites = BIT(31) | 1 } };
FIXTURE_VARIANT_ADD(bad, strategy_bit0) { .p = { P_NTH, .strategies = BIT(0) } };
FIXTURE_VARIANT_ADD(bad, strategy_bit7) { .p = { P_NTH, .strategies = BIT(DYNASYNC_STRATEGY_MAX + 1) } };
FIXTURE_VARIANT_ADD(bad, trait_3) { .p = { P_NTH, .trait = 3 } };
FIXTURE_VARIANT_ADD(bad, method_6) { .p = { P_NTH, .method = DYNASYNC_METHOD_MAX + 1 } };
FIXTURE_VARIANT_ADD(bad, method_6_of_iterator) { .p = { P_NTH, .trait = IT, .method = 6 } };
FIXTURE_VARIANT_ADD(bad, iterator_method_augment) { .p = { P_NTH, .trait = IT, .method = DYNASYNC_METHOD_AUGMENT } };
FIXTURE_VARIANT_ADD(bad, iterator_method_transmit) { .p = { P_NTH, .trait = IT, .method = DYNASYNC_METHOD_TRANSMIT } };
FIXTURE_VARIANT_ADD(bad, widget_method_next) { .p = { P_NTH, .trait = WI, .method = DYNASYNC_METHOD_NEXT } };
FIXTURE_VARIANT_ADD(bad, widget_method_sum) { .p = { P_NTH, .trait = WI, .method = DYNASYNC_METHOD_SUM } };
/* OFF: every field but flags RESET_COUNTERS must be zero. */
FIXTURE_VARIANT_ADD(bad, off_sites) { .p = { .mode = F_OFF, .sites = 1 } };
FIXTURE_VARIANT_ADD(bad, off_strategies) { .p = { .mode = F_OFF, .strategies = 2 } };
FIXTURE_VARIANT_ADD(bad, off_trait) { .p = { .mode = F_OFF, .trait = IT } };
FIXTURE_VARIANT_ADD(bad, off_method) { .p = { .mode = F_OFF, .method = 1 } };
FIXTURE_VARIANT_ADD(bad, off_nth) { .p = { .mode = F_OFF, .nth = 1 } };
FIXTURE_VARIANT_ADD(bad, off_probability) { .p = { .mode = F_OFF, .probability = 50 } };
FIXTURE_VARIANT_ADD(bad, off_interval) { .p = { .mode = F_OFF, .interval = 1 } };
FIXTURE_VARIANT_ADD(bad, off_times) { .p = { .mode = F_OFF, .times = -1 } };
FIXTURE_VARIANT_ADD(bad, off_space) { .p = { .mode = F_OFF, .space = 1 } };
FIXTURE_VARIANT_ADD(bad, off_seed) { .p = { .mode = F_OFF, .seed = 1 } };
/* NTH: nth >= 1, the RATE fields zero. */
FIXTURE_VARIANT_ADD(bad, nth_0) { .p = { .mode = F_NTH } };
FIXTURE_VARIANT_ADD(bad, nth_probability) { .p = { P_NTH, .probability = 50 } };
FIXTURE_VARIANT_ADD(bad, nth_interval) { .p = { P_NTH, .interval = 1 } };
FIXTURE_VARIANT_ADD(bad, nth_times) { .p = { P_NTH, .times = -1 } };
FIXTURE_VARIANT_ADD(bad, nth_space) { .p = { P_NTH, .space = 4096 } };
FIXTURE_VARIANT_ADD(bad, nth_seed) { .p = { P_NTH, .seed = 7 } };
/* RATE: probability 1..100, times -1 or >= 1, nth zero. */
FIXTURE_VARIANT_ADD(bad, rate_probability_0) { .p = { .mode = F_RATE, .times = -1 } };
FIXTURE_VARIANT_ADD(bad, rate_probability_101) { .p = { .mode = F_RATE, .probability = 101, .times = -1 } };
FIXTURE_VARIANT_ADD(bad, rate_probability_u32_max) { .p = { .mode = F_RATE, .probability = ~0U, .times = -1 } };
FIXTURE_VARIANT_ADD(bad, rate_times_minus2) { .p = { .mode = F_RATE, .probability = 50, .times = -2 } };
FIXTURE_VARIANT_ADD(bad, rate_times_s64_min) { .p = { .mode = F_RATE, .probability = 50, .times = -S64_MAX - 1 } };
FIXTURE_VARIANT_ADD(bad, rate_times_0) { .p = { .mode = F_RATE, .probability = 50 } };
FIXTURE_VARIANT_ADD(bad, rate_nth) { .p = { P_RATE, .nth = 1 } };

FIXTURE_SETUP(bad)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_fault_policy prev = nth_policy(1000);
	int h;

	ASSERT_EQ(0, ds_open(&self->ds, false, false));
	h = create_framed(&self->ds, &bx, 0, 10);
	ASSERT_LT(0, h);
	self->h = h;
	/* A policy in force that sees NEXT but never fires in this test. */
	prev.sites = BIT(SITE_FRAME) | BIT(SITE_TASK);
	prev.strategies = BIT(DYNASYNC_STRATEGY_BOXED);
	prev.trait = IT;
	prev.method = DYNASYNC_METHOD_NEXT;
	self->prev = prev;
	ASSERT_EQ(0, arm(self->ds.fd, prev));
	expect_item(_metadata, &self->ds, h, 0);
}

FIXTURE_TEARDOWN(bad)
{
	EXPECT_EQ(0, ds_fault_off(self->ds.fd, false));
	ds_teardown(_metadata, &self->ds);
}

TEST_F(bad, einval_and_the_policy_in_force_stays)
{
	struct dynasync_fault_policy p = variant->p;
	struct dynasync_fault_state before, after;
	__u32 h = self->h;

	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &before));
	ASSERT_LT(0, before.candidates);
	EXPECT_EQ(0, memcmp(&self->prev, &before.policy, sizeof(p)));
	EXPECT_EQ(-EINVAL, ds_fault_set(self->ds.fd, &p));
	/* Still invalid with RESET_COUNTERS, and nothing is reset. */
	p.flags |= F_RESET;
	EXPECT_EQ(-EINVAL, ds_fault_set(self->ds.fd, &p));
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(after)));
	/* Still armed, not re-armed: the next NEXT adds as many candidates. */
	expect_item(_metadata, &self->ds, h, 1);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &after));
	EXPECT_EQ(2 * before.candidates, after.candidates);
	EXPECT_EQ(0, after.injections);
}

/* ======================================================================
 * One file, the ioctl path: validation of valid policies, echo, filters,
 * RATE rules, counters, RESERVE.
 * ======================================================================
 */

FIXTURE(file)
{
	struct ds ds;
	struct dynasync_storage bx;
};

FIXTURE_SETUP(file)
{
	ASSERT_EQ(0, ds_open(&self->ds, false, false));
	self->bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
}

FIXTURE_TEARDOWN(file)
{
	/* Nothing the teardown does may be injected. */
	EXPECT_EQ(0, ds_fault_off(self->ds.fd, false));
	ds_teardown(_metadata, &self->ds);
}

TEST_F(file, fresh_file_is_off_with_zero_counters)
{
	struct dynasync_fault_policy zero;
	struct dynasync_fault_state s;
	int i;

	memset(&zero, 0, sizeof(zero));
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(0, memcmp(&zero, &s.policy, sizeof(zero)));
	EXPECT_EQ(0, s.candidates);
	EXPECT_EQ(0, s.injections);
	for (i = 0; i < DYNASYNC_SITES; i++) {
		EXPECT_EQ(0, s.attempted[i]);
		EXPECT_EQ(0, s.injected[i]);
		EXPECT_EQ(0, s.failed[i]);
	}
	EXPECT_EQ(0, s.reserved[0]);
	EXPECT_EQ(0, s.reserved[1]);
}

/* Boundary values that are valid. */
static const struct dynasync_fault_policy valid_policies[] = {
	{ .mode = F_OFF },
	{ .mode = F_OFF, .flags = F_RESET },
	{ .mode = F_NTH, .nth = 1 },
	{ .mode = F_NTH, .nth = U64_MAX, .flags = F_RESET },
	{ .mode = F_NTH, .nth = 7, .sites = SITE_BITS,
	  .strategies = STRATEGY_BITS, .trait = WI,
	  .method = DYNASYNC_METHOD_TRANSMIT },
	/* A method without a trait: any method of either trait. */
	{ .mode = F_NTH, .nth = 2, .method = DYNASYNC_METHOD_MAX },
	{ .mode = F_NTH, .nth = 2, .method = DYNASYNC_METHOD_NEXT },
	{ .mode = F_NTH, .nth = 3, .trait = IT, .method = DYNASYNC_METHOD_SUM,
	  .sites = BIT(SITE_RESERVE),
	  .strategies = BIT(DYNASYNC_STRATEGY_RESERVE) },
	{ .mode = F_NTH, .nth = 3, .trait = WI },
	{ .mode = F_RATE, .probability = 1, .times = -1 },
	{ .mode = F_RATE, .probability = 100, .times = 1 },
	{ .mode = F_RATE, .probability = 100, .interval = 1, .times = S64_MAX,
	  .space = U64_MAX, .seed = U64_MAX },
	{ .mode = F_RATE, .probability = 37, .interval = ~0U, .times = 5,
	  .space = 4096, .seed = 0x1234, .trait = IT,
	  .method = DYNASYNC_METHOD_NEXT, .sites = BIT(SITE_FRAME),
	  .strategies = BIT(DYNASYNC_STRATEGY_BOXED), .flags = F_RESET },
};

/* FAULT_GET gives back the policy as set (flags 0), freshly armed. */
TEST_F(file, valid_policies_accepted_and_echoed)
{
	struct dynasync_fault_policy want;
	struct dynasync_fault_state s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(valid_policies); i++) {
		want = valid_policies[i];
		EXPECT_EQ(0, ds_fault_set(self->ds.fd, &want)) {
			TH_LOG("row %zu", i);
		}
		want.flags = 0;
		ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
		EXPECT_EQ(0, memcmp(&want, &s.policy, sizeof(want))) {
			TH_LOG("row %zu: mode %u flags %u nth %llu p %u", i,
			       s.policy.mode, s.policy.flags,
			       (unsigned long long)s.policy.nth,
			       s.policy.probability);
		}
		EXPECT_EQ(0, s.candidates);
		EXPECT_EQ(0, s.injections);
		if (want.mode == F_RATE) {
			EXPECT_EQ(want.times, s.times_left) {
				TH_LOG("row %zu", i);
			}
			EXPECT_EQ(want.space, s.space_left) {
				TH_LOG("row %zu", i);
			}
		}
		EXPECT_EQ(0, s.reserved[0]);
		EXPECT_EQ(0, s.reserved[1]);
	}
}

/* A rejected SET does not touch RATE's running state either. */
TEST_F(file, rejected_set_keeps_rate_state)
{
	struct dynasync_fault_policy p = rate_policy(100, 3), bad;
	struct dynasync_fault_state before, after;
	__u64 item = 0;
	int h;

	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	p.sites = BIT(SITE_FRAME);
	ASSERT_EQ(0, arm(self->ds.fd, p));
	check_next(_metadata, &self->ds, h, true, &item);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &before));
	EXPECT_EQ(2, before.times_left);
	bad = p;
	bad.probability = 101;
	EXPECT_EQ(-EINVAL, ds_fault_set(self->ds.fd, &bad));
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(after)));
	check_next(_metadata, &self->ds, h, true, &item);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &after));
	EXPECT_EQ(1, after.times_left);
	EXPECT_EQ(2, after.injections);
	EXPECT_EQ(2, after.candidates);
}

/* ---- NTH over both paths --------------------------------------------- */

FIXTURE(fpath)
{
	struct ds ds;
};

FIXTURE_VARIANT(fpath)
{
	bool uring;
};

FIXTURE_VARIANT_ADD(fpath, ioctl) { .uring = false };
FIXTURE_VARIANT_ADD(fpath, uring) { .uring = true };

FIXTURE_SETUP(fpath)
{
	ASSERT_EQ(0, ds_open(&self->ds, variant->uring, variant->uring));
}

FIXTURE_TEARDOWN(fpath)
{
	ds_teardown(_metadata, &self->ds);
}

/*
 * nth = k on a fresh file: exactly the k-th candidate fails (the call
 * that made it reports -ENOMEM with out.injected 1), no other call fails,
 * and the candidates are counted exactly, call by call.
 */
TEST_F(fpath, nth_fails_exactly_the_kth_candidate)
{
	struct alloc_seq seq;
	long k;

	next_allocs(_metadata, variant->uring, &seq);
	TH_LOG("one NEXT on a BOXED map: %llu TASK + %llu FRAME allocations",
	       (unsigned long long)seq.per_site[SITE_TASK],
	       (unsigned long long)seq.per_site[SITE_FRAME]);
	for (k = 1; k <= 4; k++)
		run_model(_metadata, variant->uring, &seq, nth_policy(k),
			  5, fail_nth, k, "nth");
}

/* The first candidate of a call is its frame (its bookkeeping allocates
 * nothing): -ENOMEM, out still written, the object given back.
 */
TEST_F(fpath, first_candidate_injected_out_written)
{
	struct dynasync_fault_policy p = nth_policy(1);
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_fault_state s;
	struct dynasync_stats st;
	__u64 item = 0;
	int h;

	h = create_framed(&self->ds, &bx, 0, 10);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, arm(self->ds.fd, p));
	check_next(_metadata, &self->ds, h, true, &item);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(1, s.injected[SITE_FRAME]);
	EXPECT_EQ(0, s.attempted[SITE_TASK]);
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(0, st.inflight);
	EXPECT_EQ(st.calls, st.completions);
	check_next(_metadata, &self->ds, h, false, &item);
}

/* ---- filters ---------------------------------------------------------- */

/*
 * The policy sees this NEXT (a matching filter): the call fails at its
 * first candidate, one of @site: one candidate, one injection.
 */
static void expect_next_fails_once(struct __test_metadata *_metadata,
				   struct ds *ds, __u32 h, unsigned int site)
{
	struct dynasync_fault_state s;
	__u64 item = 0;
	int i;

	check_next(_metadata, ds, h, true, &item);
	ASSERT_EQ(0, ds_fault_get(ds->fd, &s));
	EXPECT_EQ(1, s.candidates);
	EXPECT_EQ(1, s.injections);
	for (i = 0; i < DYNASYNC_SITES; i++)
		EXPECT_EQ(i == (int)site, s.injected[i]) {
			TH_LOG("injected[%d]", i);
		}
}

/*
 * The policy does not see NEXT: @n NEXTs yield *@item on, nothing is a
 * candidate, nothing injected.
 */
static void expect_next_unseen(struct __test_metadata *_metadata,
			       struct ds *ds, __u32 h, int n, __u64 *item)
{
	struct dynasync_fault_state s;
	int i;

	for (i = 0; i < n; i++)
		check_next(_metadata, ds, h, false, item);
	ASSERT_EQ(0, ds_fault_get(ds->fd, &s));
	EXPECT_EQ(0, s.candidates);
	EXPECT_EQ(0, s.injections);
	EXPECT_EQ(0, ds_sum_sites(s.injected));
}

/* Each site NEXT allocates at, alone: the first allocation there fails. */
TEST_F(file, filter_sites_matching)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_fault_state s;
	struct alloc_seq seq;
	unsigned int site;
	int h;

	next_allocs(_metadata, false, &seq);
	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	for (site = 0; site < DYNASYNC_SITES; site++) {
		if (!seq.per_site[site])
			continue;
		p.sites = BIT(site);
		ASSERT_EQ(0, arm(self->ds.fd, p));
		expect_next_fails_once(_metadata, &self->ds, h, site);
		/* SITE_TASK ones (if any) come first: a FRAME failure follows them. */
		ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
		EXPECT_EQ(site == SITE_FRAME ? seq.per_site[SITE_TASK] : 1,
			  s.attempted[SITE_TASK]);
		EXPECT_EQ(site == SITE_FRAME ? 1 : 0, s.attempted[SITE_FRAME]);
	}
	ASSERT_EQ(0, ds_fault_off(self->ds.fd, false));
	expect_item(_metadata, &self->ds, h, 0);
}

/* Every defined site NEXT does not allocate at: nothing is seen. */
TEST_F(file, filter_sites_not_matching)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct alloc_seq seq;
	__u64 item = 0;
	unsigned int site;
	int h;

	next_allocs(_metadata, false, &seq);
	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	for (site = 0; site < DYNASYNC_SITES; site++)
		if (BIT(site) & SITE_BITS && !seq.per_site[site])
			p.sites |= BIT(site);
	ASSERT_NE(0, p.sites);
	ASSERT_EQ(0, arm(self->ds.fd, p));
	expect_next_unseen(_metadata, &self->ds, h, 3, &item);
}

/* The call's frame carries the object's strategy. */
TEST_F(file, filter_strategies_matching)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	int h;

	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	p.strategies = BIT(DYNASYNC_STRATEGY_BOXED);
	ASSERT_EQ(0, arm(self->ds.fd, p));
	expect_next_fails_once(_metadata, &self->ds, h, SITE_FRAME);
}

TEST_F(file, filter_strategies_not_matching)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	__u64 item = 0;
	int h;

	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	p.strategies = STRATEGY_BITS & ~BIT(DYNASYNC_STRATEGY_BOXED);
	ASSERT_EQ(0, arm(self->ds.fd, p));
	expect_next_unseen(_metadata, &self->ds, h, 3, &item);
}

/* trait ITERATOR: NEXT fails, the widget's AUGMENT is not seen. */
TEST_F(file, filter_trait_matching)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_call_out o;
	struct dynasync_fault_state s;
	int h, g;

	h = create_framed(&self->ds, &self->bx, 0, 10);
	g = create_gadget(&self->ds, &self->bx, 5);
	ASSERT_LT(0, h);
	ASSERT_LT(0, g);
	p.trait = IT;
	ASSERT_EQ(0, arm(self->ds.fd, p));
	expect_next_fails_once(_metadata, &self->ds, h, SITE_FRAME);
	ASSERT_EQ(0, ds_method(_metadata, &self->ds, g, DYNASYNC_METHOD_AUGMENT,
			       DYNASYNC_COMPONENT_BOLT, 2, &o));
	EXPECT_EQ(7, o.value);
	EXPECT_EQ(0, o.injected);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(1, s.candidates);
}

/*
 * trait WIDGET: NEXT is not seen; COMPONENTS (whose object is an
 * allocation: a gadget's AUGMENT is frame-free) fails and makes nothing.
 */
TEST_F(file, filter_trait_not_matching)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_call_out o;
	struct dynasync_stats st;
	__u64 item = 0;
	int h, g;

	h = create_framed(&self->ds, &self->bx, 0, 10);
	g = create_gadget(&self->ds, &self->bx, 5);
	ASSERT_LT(0, h);
	ASSERT_LT(0, g);
	p.trait = WI;
	ASSERT_EQ(0, arm(self->ds.fd, p));
	expect_next_unseen(_metadata, &self->ds, h, 3, &item);
	EXPECT_EQ(-ENOMEM, ds_method(_metadata, &self->ds, g,
				     DYNASYNC_METHOD_COMPONENTS, 0, 0, &o));
	EXPECT_EQ(1, o.injected);
	EXPECT_EQ(0, o.handle);
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(3, st.objects);
	ASSERT_EQ(0, ds_fault_off(self->ds.fd, false));
	ASSERT_EQ(0, ds_method(_metadata, &self->ds, g, DYNASYNC_METHOD_AUGMENT,
			       DYNASYNC_COMPONENT_BOLT, 1, &o));
	EXPECT_EQ(6, o.value);
}

/* CREATE is seen as the new object's trait (method 0). */
TEST_F(file, filter_trait_applies_to_create)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_fault_state s;
	struct dynasync_stats st;
	int h;

	p.trait = WI;
	ASSERT_EQ(0, arm(self->ds.fd, p));
	h = create_counter(&self->ds, &self->bx, 3, 2);
	ASSERT_LT(0, h);
	EXPECT_EQ(-ENOMEM, create_gadget(&self->ds, &self->bx, 5));
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(1, s.candidates);
	EXPECT_EQ(1, s.injections);
	EXPECT_EQ(1, s.injected[SITE_OBJECT]);
	EXPECT_EQ(1, ds_sum_sites(s.injected));
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(1, st.objects);
	expect_item(_metadata, &self->ds, h, 3);
}

/* method NEXT: NEXT fails; SUM (whose nested next() calls are SUM's) not. */
TEST_F(file, filter_method_matching)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_fault_state s;
	int h, c;

	h = create_framed(&self->ds, &self->bx, 0, 10);
	c = create_counter(&self->ds, &self->bx, 1, 4);
	ASSERT_LT(0, h);
	ASSERT_LT(0, c);
	p.trait = IT;
	p.method = DYNASYNC_METHOD_NEXT;
	ASSERT_EQ(0, arm(self->ds.fd, p));
	expect_next_fails_once(_metadata, &self->ds, h, SITE_FRAME);
	expect_sum(_metadata, &self->ds, c, 10, 1 + 2 + 3 + 4);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(1, s.candidates);
}

/* method SUM: NEXT is not seen; SUM fails and takes no item. */
TEST_F(file, filter_method_not_matching)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_call_out o;
	__u64 item = 0;
	int h;

	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	p.trait = IT;
	p.method = DYNASYNC_METHOD_SUM;
	ASSERT_EQ(0, arm(self->ds.fd, p));
	expect_next_unseen(_metadata, &self->ds, h, 2, &item);
	EXPECT_EQ(-ENOMEM, ds_method(_metadata, &self->ds, h,
				     DYNASYNC_METHOD_SUM, 3, 0, &o));
	EXPECT_EQ(1, o.injected);
	ASSERT_EQ(0, ds_fault_off(self->ds.fd, false));
	expect_sum(_metadata, &self->ds, h, 3, 2 + 3 + 4);
}

/* A method without a trait matches that method on any object. */
TEST_F(file, filter_method_without_trait)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_call_out o;
	__u64 item = 0;
	int h, g;

	h = create_framed(&self->ds, &self->bx, 0, 10);
	g = create_gadget(&self->ds, &self->bx, 0);
	ASSERT_LT(0, h);
	ASSERT_LT(0, g);
	p.method = DYNASYNC_METHOD_COMPONENTS;
	ASSERT_EQ(0, arm(self->ds.fd, p));
	expect_next_unseen(_metadata, &self->ds, h, 2, &item);
	EXPECT_EQ(-ENOMEM, ds_method(_metadata, &self->ds, g,
				     DYNASYNC_METHOD_COMPONENTS, 0, 0, &o));
	EXPECT_EQ(1, o.injected);
	EXPECT_EQ(0, o.handle);
}

/*
 * The COMPONENTS object is the call's (trait WIDGET, method COMPONENTS,
 * SITE_OBJECT): it fails, the widget stays as it was.
 */
TEST_F(file, filter_components_object)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	const __u64 v[] = { 0 };
	struct dynasync_call_out o;
	struct dynasync_fault_state s;
	struct dynasync_stats st;
	int g, c;

	g = create_gadget(&self->ds, &self->bx, 0);
	ASSERT_LT(0, g);
	p.trait = WI;
	p.method = DYNASYNC_METHOD_COMPONENTS;
	p.sites = BIT(SITE_OBJECT);
	ASSERT_EQ(0, arm(self->ds.fd, p));
	ASSERT_EQ(0, ds_method(_metadata, &self->ds, g, DYNASYNC_METHOD_AUGMENT,
			       DYNASYNC_COMPONENT_BOLT, 4, &o));
	EXPECT_EQ(0, o.injected);
	EXPECT_EQ(-ENOMEM, ds_method(_metadata, &self->ds, g,
				     DYNASYNC_METHOD_COMPONENTS, 0, 0, &o));
	EXPECT_EQ(1, o.injected);
	EXPECT_EQ(0, o.handle);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(1, s.candidates);
	EXPECT_EQ(1, s.injected[SITE_OBJECT]);
	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(1, st.objects);
	ASSERT_EQ(0, ds_fault_off(self->ds.fd, false));
	c = ds_method(_metadata, &self->ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0,
		      &o);
	ASSERT_LT(0, c);
	ds_track(&self->ds, c);
	expect_items(_metadata, &self->ds, c, v, 1, true);
}

TEST_HARNESS_MAIN
