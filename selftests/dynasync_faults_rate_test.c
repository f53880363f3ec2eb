// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync fault injector, RATE: probability, interval, times and space
 * with exact candidate and injection counts, seeded determinism, per-file
 * counters adding up, reset and staying per file, and a RESERVE pool
 * absorbing injected refills. The model of a run is in dynasync_faults.h.
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

/* ---- RATE ------------------------------------------------------------- */

static bool fail_always(const struct model *m, __u64 cand, long arg)
{
	return true;
}

TEST_F(file, rate_100_fails_every_candidate)
{
	struct alloc_seq seq;

	next_allocs(_metadata, false, &seq);
	run_model(_metadata, false, &seq, rate_policy(100, -1), 5,
		  fail_always, 100, "probability");
}

/* interval k, probability 100: exactly every k-th candidate fails. */
TEST_F(file, rate_interval_fails_every_kth)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	static const long ks[] = { 2, 3, 5 };
	struct alloc_seq seq;
	size_t i;

	next_allocs(_metadata, false, &seq);
	for (i = 0; i < ARRAY_SIZE(ks); i++) {
		p.interval = ks[i];
		run_model(_metadata, false, &seq, p, 12, fail_every_kth, ks[i],
			  "interval");
	}
}

/* times t: t injections, then none; times_left counts down to 0. */
TEST_F(file, rate_times_caps_injections)
{
	struct dynasync_fault_state s;
	struct alloc_seq seq;
	struct model m;
	__u64 item = 0;
	bool fail;
	int h, c;

	next_allocs(_metadata, false, &seq);
	h = create_framed(&self->ds, &self->bx, 0, 100);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, arm(self->ds.fd, rate_policy(100, 3)));
	model_init(&m, &seq);
	for (c = 0; c < 6; c++) {
		fail = model_call(&m, fail_first_t, 3);
		check_next(_metadata, &self->ds, h, fail, &item);
		expect_model(_metadata, self->ds.fd, &m, "times", 3);
		ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
		EXPECT_EQ(3 - (__s64)m.injections, s.times_left) {
			TH_LOG("after call %d", c);
		}
	}
	EXPECT_EQ(3, m.injections);
	EXPECT_EQ(3, item);
}

/* The bytes one NEXT's frame takes of the space budget (0 on error). */
static __u64 frame_bytes(struct __test_metadata *_metadata, struct ds *ds,
			 __u32 h, __u64 *item)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_fault_state s;

	p.sites = BIT(SITE_FRAME);
	p.space = 1ULL << 40;
	if (arm(ds->fd, p))
		return 0;
	check_next(_metadata, ds, h, false, item);
	if (ds_fault_get(ds->fd, &s))
		return 0;
	return p.space - s.space_left;
}

/* A BOXED frame is charged its LAYOUT frame_size. */
TEST_F(file, rate_space_charges_the_frame_size)
{
	long long fs = ds_layout(self->ds.fd, IT, DYNASYNC_IMPL_MAP,
				 DYNASYNC_METHOD_NEXT, NULL);
	__u64 item = 0;
	int h;

	ASSERT_LT(0, fs);
	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	EXPECT_EQ((__u64)fs, frame_bytes(_metadata, &self->ds, h, &item));
}

/*
 * space S: a candidate of size F succeeds while more than F is left
 * (space_left drops by F each time), then RATE's rules apply (100%).
 */
TEST_F(file, rate_space_lets_allocations_through)
{
	struct dynasync_fault_policy p = rate_policy(100, -1);
	struct dynasync_fault_state s;
	__u64 item = 0, f, space;
	int h, i, extra;

	h = create_framed(&self->ds, &self->bx, 0, 100);
	ASSERT_LT(0, h);
	f = frame_bytes(_metadata, &self->ds, h, &item);
	ASSERT_LT(0, f);
	p.sites = BIT(SITE_FRAME);
	/* 3F + 1: three frames fit (1 byte left); 3F: two (F is not more). */
	for (extra = 1; extra >= 0; extra--) {
		p.space = 3 * f + extra;
		ASSERT_EQ(0, arm(self->ds.fd, p));
		space = p.space;
		for (i = 0; i < 2 + extra; i++) {
			check_next(_metadata, &self->ds, h, false, &item);
			ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
			space -= f;
			EXPECT_EQ(space, s.space_left);
			EXPECT_EQ(0, s.injections);
		}
		check_next(_metadata, &self->ds, h, true, &item);
		check_next(_metadata, &self->ds, h, true, &item);
		ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
		EXPECT_EQ(extra ? 1 : f, s.space_left);
		EXPECT_EQ(2, s.injections);
		EXPECT_EQ(2 + extra + 2, s.candidates);
	}
}

/* ---- determinism ------------------------------------------------------ */

#define DET_CALLS	200

/*
 * DET_CALLS NEXTs on a fresh file under RATE 30% seeded @seed: which
 * ones failed. Every failure is one injection; successes yield the
 * counter's items in order.
 */
static void failure_pattern(struct __test_metadata *_metadata, __u64 seed,
			    bool *failed)
{
	struct dynasync_fault_policy p = rate_policy(30, -1);
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_fault_state s;
	struct dynasync_call_out o;
	__u64 item = 0, nfail = 0;
	struct ds f;
	int h, i, ret;

	ASSERT_EQ(0, ds_open(&f, false, false));
	h = create_framed(&f, &bx, 0, 1000);
	ASSERT_LT(0, h);
	p.seed = seed;
	ASSERT_EQ(0, arm(f.fd, p));
	for (i = 0; i < DET_CALLS; i++) {
		ret = ds_method(_metadata, &f, h, DYNASYNC_METHOD_NEXT, 0, 0,
				&o);
		failed[i] = ret != 1;
		if (failed[i]) {
			EXPECT_EQ(-ENOMEM, ret);
			EXPECT_EQ(1, o.injected);
			nfail++;
		} else {
			EXPECT_EQ(item, o.value);
			EXPECT_EQ(0, o.injected);
			item++;
		}
	}
	ASSERT_EQ(0, ds_fault_get(f.fd, &s));
	EXPECT_EQ(nfail, s.injections);
	/* 30% of one candidate (the frame) per call: neither none nor all fail. */
	EXPECT_LT(0, nfail);
	EXPECT_GT(DET_CALLS, nfail);
	ASSERT_EQ(0, ds_fault_off(f.fd, false));
	ds_teardown(_metadata, &f);
}

TEST(same_seed_same_failures_other_seed_others)
{
	bool a[DET_CALLS], b[DET_CALLS], c[DET_CALLS];

	failure_pattern(_metadata, 0x5eed1234, a);
	failure_pattern(_metadata, 0x5eed1234, b);
	failure_pattern(_metadata, 0x5eed1235, c);
	EXPECT_EQ(0, memcmp(a, b, sizeof(a)));
	/*
	 * Each call fails with probability 0.3: two seeds give the same
	 * outcome of a call with probability 0.58, of all 200 with ~1e-47.
	 */
	EXPECT_NE(0, memcmp(a, c, sizeof(a)));
}

/* ---- counters ---------------------------------------------------------- */

/*
 * The workload of counters_add_up: a counter on each strategy but
 * RESERVE, a MAP (2x + 1) over a counter and a gadget; what its calls saw
 * so far.
 */
struct mixed {
	int cnt[5], m, g;
	__u64 items[5], total, sum_inj, sum_fail;
	int ok, nomem;
};

static void mixed_create(struct __test_metadata *_metadata, struct ds *ds,
			 const struct dynasync_storage *bx, struct mixed *w)
{
	static const __u32 strategies[] = {
		DYNASYNC_STRATEGY_BOXED, DYNASYNC_STRATEGY_INLINE,
		DYNASYNC_STRATEGY_MAYBE_BOXED, DYNASYNC_STRATEGY_CACHED,
		DYNASYNC_STRATEGY_TASK_STACK,
	};
	struct dynasync_storage st;
	int j;

	memset(w, 0, sizeof(*w));
	for (j = 0; j < 5; j++) {
		st = ds_storage(strategies[j]);
		w->cnt[j] = create_counter(ds, &st, 0, 1000);
		ASSERT_LT(0, w->cnt[j]);
	}
	w->m = create_map(ds, bx, create_counter(ds, bx, 0, 1000), 2, 1);
	w->g = create_gadget(ds, bx, 0);
	ASSERT_LT(0, w->m);
	ASSERT_LT(0, w->g);
}

/*
 * Call @j of round @i: NEXT on counter @j (j < 5), SUM(3) on the MAP
 * (j == 5) or AUGMENT on the gadget (j == 6). A failed call had an
 * injection or a real failure; a call without either succeeded with its
 * value (counters and the gadget's total do not move on a failure).
 */
static void mixed_call(struct __test_metadata *_metadata, struct ds *ds,
		       struct mixed *w, int i, int j)
{
	struct dynasync_call_out o;
	int ret;

	if (j < 5)
		ret = ds_method(_metadata, ds, w->cnt[j], DYNASYNC_METHOD_NEXT,
				0, 0, &o);
	else if (j == 5)
		ret = ds_method(_metadata, ds, w->m, DYNASYNC_METHOD_SUM, 3, 0,
				&o);
	else
		ret = ds_method(_metadata, ds, w->g, DYNASYNC_METHOD_AUGMENT,
				DYNASYNC_COMPONENT_BOLT, 1, &o);
	w->sum_inj += o.injected;
	w->sum_fail += o.alloc_failed;
	if (ret == -ENOMEM) {
		w->nomem++;
		EXPECT_LT(0, o.injected + o.alloc_failed);
		return;
	}
	w->ok++;
	/* No RESERVE here: an injection fails the call. */
	EXPECT_EQ(0, o.injected) {
		TH_LOG("op %d.%d succeeded", i, j);
	}
	if (j < 5) {
		EXPECT_EQ(1, ret);
		EXPECT_EQ(w->items[j]++, o.value) {
			TH_LOG("op %d.%d", i, j);
		}
	} else if (j == 6) {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(++w->total, o.value);
	} else {
		EXPECT_EQ(0, ret);
	}
}

/*
 * A mixed workload at 50% (no CREATE while armed): per site, injected <=
 * attempted; the injections since arming are the injected counters'
 * sum and the sum of out.injected; the real failures are the sum of
 * out.alloc_failed; every candidate was attempted.
 */
TEST_F(file, counters_add_up)
{
	struct dynasync_fault_policy p = rate_policy(50, -1);
	struct dynasync_fault_state s;
	struct ds *ds = &self->ds;
	struct mixed w;
	int i, j;

	mixed_create(_metadata, ds, &self->bx, &w);
	p.seed = 42;
	ASSERT_EQ(0, arm(ds->fd, p));
	for (i = 0; i < 40; i++)
		for (j = 0; j < 7; j++)
			mixed_call(_metadata, ds, &w, i, j);
	ASSERT_EQ(0, ds_fault_get(ds->fd, &s));
	TH_LOG("%d calls: %d ok, %d -ENOMEM; %llu candidates, %llu injected",
	       w.ok + w.nomem, w.ok, w.nomem, (unsigned long long)s.candidates,
	       (unsigned long long)s.injections);
	EXPECT_EQ(w.sum_inj, s.injections);
	EXPECT_EQ(s.injections, ds_sum_sites(s.injected));
	EXPECT_EQ(w.sum_fail, ds_sum_sites(s.failed));
	EXPECT_EQ(s.candidates, ds_sum_sites(s.attempted));
	for (i = 0; i < DYNASYNC_SITES; i++)
		EXPECT_LE(s.injected[i] + s.failed[i], s.attempted[i]);
	/* A failed call stopped at its first failed allocation. */
	EXPECT_EQ(w.nomem, s.injections + w.sum_fail);
	EXPECT_LT(0, w.ok);
	EXPECT_LT(0, w.nomem);
}

/* Re-arming without RESET_COUNTERS keeps them; with it, they are zeroed. */
TEST_F(file, reset_counters)
{
	struct dynasync_fault_state s0, s;
	__u64 item = 0;
	int h, i;

	h = create_framed(&self->ds, &self->bx, 0, 100);
	ASSERT_LT(0, h);
	/* The counters run since open, unarmed too: CREATE's object. */
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_LT(0, s.attempted[SITE_OBJECT]);
	ASSERT_EQ(0, arm(self->ds.fd, rate_policy(100, 2)));
	check_next(_metadata, &self->ds, h, true, &item);
	check_next(_metadata, &self->ds, h, true, &item);
	check_next(_metadata, &self->ds, h, false, &item);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s0));
	EXPECT_EQ(2, s0.injections);
	EXPECT_EQ(2, ds_sum_sites(s0.injected));
	EXPECT_EQ(0, s0.attempted[SITE_OBJECT]);
	s = s0;
	s.policy = nth_policy(50);
	ASSERT_EQ(0, ds_fault_set(self->ds.fd, &s.policy));
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(0, s.candidates);
	EXPECT_EQ(0, s.injections);
	for (i = 0; i < DYNASYNC_SITES; i++) {
		EXPECT_EQ(s0.attempted[i], s.attempted[i]);
		EXPECT_EQ(s0.injected[i], s.injected[i]);
		EXPECT_EQ(s0.failed[i], s.failed[i]);
	}
	/* OFF with RESET_COUNTERS: all zero. */
	ASSERT_EQ(0, ds_fault_off(self->ds.fd, true));
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(0, s.candidates);
	EXPECT_EQ(0, s.injections);
	for (i = 0; i < DYNASYNC_SITES; i++) {
		EXPECT_EQ(0, s.attempted[i]);
		EXPECT_EQ(0, s.injected[i]);
		EXPECT_EQ(0, s.failed[i]);
	}
}

/*
 * File A armed at 100%, file B not: B's calls succeed and A's counters
 * do not move; B counts its own allocations.
 */
TEST_F(file, files_are_independent)
{
	struct dynasync_fault_state a0, a1, b;
	struct alloc_seq seq;
	struct ds fb;
	__u64 item_a = 0, item_b = 0;
	int ha, hb, i;

	next_allocs(_metadata, false, &seq);
	ha = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, ha);
	ASSERT_EQ(0, ds_open(&fb, false, false));
	hb = create_framed(&fb, &self->bx, 0, 10);
	ASSERT_LT(0, hb);
	ASSERT_EQ(0, ds_fault_off(fb.fd, true));
	ASSERT_EQ(0, arm(self->ds.fd, rate_policy(100, -1)));
	check_next(_metadata, &self->ds, ha, true, &item_a);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &a0));
	for (i = 0; i < 3; i++)
		check_next(_metadata, &fb, hb, false, &item_b);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &a1));
	EXPECT_EQ(0, memcmp(&a0, &a1, sizeof(a1)));
	ASSERT_EQ(0, ds_fault_get(fb.fd, &b));
	for (i = 0; i < DYNASYNC_SITES; i++) {
		EXPECT_EQ(3 * seq.per_site[i], b.attempted[i]);
		EXPECT_EQ(0, b.injected[i]);
	}
	check_next(_metadata, &self->ds, ha, true, &item_a);
	/* fb's teardown wants the whole module quiescent. */
	ASSERT_EQ(0, ds_destroy(&self->ds, ha));
	ds_teardown(_metadata, &fb);
}

/* ---- RESERVE ------------------------------------------------------------ */

/*
 * Every refill of a RESERVE object's pool injected: its calls take
 * bookkeeping and frames from the reserve and succeed, reporting the
 * injected refills; the values are right.
 */
TEST_F(file, reserve_absorbs_injected_refills)
{
	struct dynasync_storage rs = ds_storage(DYNASYNC_STRATEGY_RESERVE);
	struct dynasync_fault_state s;
	struct dynasync_call_out o;
	__u64 sum_inj = 0;
	int h, i;

	h = create_counter(&self->ds, &rs, 100, 20);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, arm(self->ds.fd, rate_policy(100, -1)));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(1, ds_method(_metadata, &self->ds, h,
				       DYNASYNC_METHOD_NEXT, 0, 0, &o)) {
			TH_LOG("NEXT %d", i);
		}
		EXPECT_EQ(100 + i, o.value);
		EXPECT_LT(0, o.injected);
		EXPECT_EQ(0, o.alloc_failed);
		EXPECT_EQ(0, o.flags);
		sum_inj += o.injected;
	}
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(sum_inj, s.injections);
	EXPECT_EQ(sum_inj, s.injected[SITE_RESERVE]);
	EXPECT_EQ(sum_inj, ds_sum_sites(s.injected));
	EXPECT_EQ(0, ds_sum_sites(s.failed));
	ASSERT_EQ(0, ds_fault_off(self->ds.fd, false));
	expect_item(_metadata, &self->ds, h, 110);
}

TEST_HARNESS_MAIN
