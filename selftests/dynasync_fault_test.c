// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync fault injector ABI: FAULT_SET validation (one test per rule,
 * a rejected policy leaves the old one in force), FAULT_GET's echo,
 * NTH/RATE semantics with exact candidate and injection counts (fail-nth,
 * probability, interval, times, space), each filter matching and not,
 * seeded determinism, per-file counters adding up and staying per file,
 * a RESERVE pool absorbing injected refills, and the module-wide policy in
 * debugfs (skipped when debugfs has no dynasync/fault directory).
 *
 * Exact counts come from a model of the run: the allocations one NEXT on
 * a BOXED framed iterator (a MAP over a counter; a counter's own NEXT is
 * frame-free) makes are measured per site with the injector off, then
 * each call makes that sequence of candidates (the frame; the call's
 * bookkeeping is its object's and allocates nothing) and stops at its
 * first failed allocation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dynasync_util.h"

#define U64_MAX		(~0ULL)
#define S64_MAX		((__s64)(U64_MAX >> 1))
#define BIT(n)		(1U << (n))

#define IT		DYNASYNC_TRAIT_ITERATOR
#define WI		DYNASYNC_TRAIT_WIDGET
#define F_OFF		DYNASYNC_FAULT_OFF
#define F_NTH		DYNASYNC_FAULT_NTH
#define F_RATE		DYNASYNC_FAULT_RATE
#define F_RESET		DYNASYNC_FAULT_F_RESET_COUNTERS
#define SITE_FRAME	DYNASYNC_SITE_FRAME
#define SITE_TASK	DYNASYNC_SITE_TASK
#define SITE_OBJECT	DYNASYNC_SITE_OBJECT
#define SITE_RESERVE	DYNASYNC_SITE_RESERVE
/* The defined sites (FRAME .. MISC) and strategies (BOXED .. RESERVE). */
#define SITE_BITS	(BIT(DYNASYNC_SITE_MISC + 1) - 1)
#define STRATEGY_BITS	((BIT(DYNASYNC_STRATEGY_MAX + 1) - 1) & ~1U)

static struct dynasync_fault_policy nth_policy(__u64 n)
{
	struct dynasync_fault_policy p;

	memset(&p, 0, sizeof(p));
	p.mode = F_NTH;
	p.nth = n;
	return p;
}

static struct dynasync_fault_policy rate_policy(__u32 probability, __s64 times)
{
	struct dynasync_fault_policy p;

	memset(&p, 0, sizeof(p));
	p.mode = F_RATE;
	p.probability = probability;
	p.times = times;
	return p;
}

/*
 * An iterator yielding @start, @start + 1, ... (@count items) whose NEXT
 * places a frame in @st: a MAP (x1 + 0) over a BOXED counter. A counter's
 * own NEXT is ready at once and makes no frame (no SITE_FRAME candidate);
 * the MAP's is a coroutine, and its inner counter's call adds nothing.
 */
static int create_framed(struct ds *ds, const struct dynasync_storage *st,
			 __u64 start, __u64 count)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	int c = create_counter(ds, &bx, start, count);

	if (c < 0)
		return c;
	return create_map(ds, st, c, 1, 0);
}

/* Arms @p on @fd, zeroing the file's counters: they count from here. */
static int arm(int fd, struct dynasync_fault_policy p)
{
	p.flags |= F_RESET;
	return ds_fault_set(fd, &p);
}

/* ---- the model of a run ---------------------------------------------- */

/*
 * The allocations of one NEXT on a BOXED framed iterator (create_framed),
 * in order: SITE_TASK ones (none since the call's bookkeeping is in the
 * object), then the frame.
 */
struct alloc_seq {
	int n;
	unsigned int site[32];
	__u64 per_site[DYNASYNC_SITES];
};

/* What the file's FAULT_GET must say after the calls made so far. */
struct model {
	const struct alloc_seq *seq;
	__u64 candidates;
	__u64 injections;
	__u64 attempted[DYNASYNC_SITES];
	__u64 injected[DYNASYNC_SITES];
};

/* Whether candidate @cand (1-based, since arming) fails. */
typedef bool (*fail_fn)(const struct model *m, __u64 cand, long arg);

static bool fail_nth(const struct model *m, __u64 cand, long k)
{
	return cand == (__u64)k;
}

static bool fail_every_kth(const struct model *m, __u64 cand, long k)
{
	return cand % k == 0;
}

static bool fail_first_t(const struct model *m, __u64 cand, long t)
{
	return m->injections < (__u64)t;
}

static void model_init(struct model *m, const struct alloc_seq *seq)
{
	memset(m, 0, sizeof(*m));
	m->seq = seq;
}

/*
 * One call under a policy without filters: every allocation is a
 * candidate; the call stops at its first failure. True if it fails.
 */
static bool model_call(struct model *m, fail_fn fails, long arg)
{
	const struct alloc_seq *seq = m->seq;
	int i;

	for (i = 0; i < seq->n; i++) {
		m->candidates++;
		m->attempted[seq->site[i]]++;
		if (fails(m, m->candidates, arg)) {
			m->injections++;
			m->injected[seq->site[i]]++;
			return true;
		}
	}
	return false;
}

/* The file's FAULT_GET agrees with the model, site by site. */
static void expect_model(struct __test_metadata *_metadata, int fd,
			 const struct model *m, const char *what, long arg)
{
	struct dynasync_fault_state s;
	int i;

	ASSERT_EQ(0, ds_fault_get(fd, &s));
	EXPECT_EQ(m->candidates, s.candidates) {
		TH_LOG("%s %ld: candidates", what, arg);
	}
	EXPECT_EQ(m->injections, s.injections) {
		TH_LOG("%s %ld: injections", what, arg);
	}
	for (i = 0; i < DYNASYNC_SITES; i++) {
		EXPECT_EQ(m->attempted[i], s.attempted[i]) {
			TH_LOG("%s %ld: attempted[%d]", what, arg, i);
		}
		EXPECT_EQ(m->injected[i], s.injected[i]) {
			TH_LOG("%s %ld: injected[%d]", what, arg, i);
		}
		EXPECT_EQ(0, s.failed[i]) {
			TH_LOG("%s %ld: failed[%d]", what, arg, i);
		}
	}
}

/*
 * One NEXT on counter @h: fails with exactly one injected allocation, or
 * yields *@item (then advanced). A failed NEXT does not advance.
 */
static void check_next(struct __test_metadata *_metadata, struct ds *ds,
		       __u32 h, bool fail, __u64 *item)
{
	struct dynasync_call_out o;
	int ret;

	ret = ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	if (fail) {
		EXPECT_EQ(-ENOMEM, ret) {
			TH_LOG("NEXT at item %llu should fail",
			       (unsigned long long)*item);
		}
		EXPECT_EQ(1, o.injected);
		EXPECT_EQ(0, o.value);
	} else {
		EXPECT_EQ(1, ret) {
			TH_LOG("NEXT at item %llu should succeed",
			       (unsigned long long)*item);
		}
		EXPECT_EQ(0, o.injected);
		EXPECT_EQ(*item, o.value);
		(*item)++;
	}
	EXPECT_EQ(0, o.alloc_failed);
	EXPECT_EQ(0, o.flags);
	EXPECT_EQ(0, o.handle);
	EXPECT_EQ(0, o.reserved);
}

/*
 * Measures, with the injector off, the allocations per site of one NEXT
 * on a BOXED map over a counter (create_framed) on a fresh file of the
 * path: two NEXTs must make the same ones, at SITE_FRAME only (the call's
 * bookkeeping is the object's, made at CREATE), and nothing fails.
 */
static void next_allocs(struct __test_metadata *_metadata, bool uring,
			struct alloc_seq *seq)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_fault_state s1, s2;
	struct ds f;
	int h, i, k;

	memset(seq, 0, sizeof(*seq));
	ASSERT_EQ(0, ds_open(&f, uring, uring));
	h = create_framed(&f, &bx, 0, 10);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, ds_fault_off(f.fd, true));
	expect_item(_metadata, &f, h, 0);
	ASSERT_EQ(0, ds_fault_get(f.fd, &s1));
	expect_item(_metadata, &f, h, 1);
	ASSERT_EQ(0, ds_fault_get(f.fd, &s2));
	for (i = 0; i < DYNASYNC_SITES; i++) {
		seq->per_site[i] = s1.attempted[i];
		EXPECT_EQ(s1.attempted[i], s2.attempted[i] - s1.attempted[i]) {
			TH_LOG("site %d: the second NEXT allocated differently", i);
		}
		EXPECT_EQ(0, s2.injected[i]);
		EXPECT_EQ(0, s2.failed[i]);
		if (i != SITE_TASK && i != SITE_FRAME)
			EXPECT_EQ(0, s1.attempted[i]) {
				TH_LOG("NEXT allocates at site %d", i);
			}
	}
	EXPECT_EQ(0, seq->per_site[SITE_TASK]);
	ASSERT_LE(1, seq->per_site[SITE_FRAME]);
	ASSERT_GE(32, seq->per_site[SITE_TASK] + seq->per_site[SITE_FRAME]);
	for (k = 0; k < (int)seq->per_site[SITE_TASK]; k++)
		seq->site[seq->n++] = SITE_TASK;
	for (k = 0; k < (int)seq->per_site[SITE_FRAME]; k++)
		seq->site[seq->n++] = SITE_FRAME;
	ds_teardown(_metadata, &f);
}

/*
 * @ncalls NEXTs on a BOXED framed iterator made before arming @p on a fresh file
 * of the path, each checked against the model (@fails, @arg) after it.
 */
static void run_model(struct __test_metadata *_metadata, bool uring,
		      const struct alloc_seq *seq,
		      struct dynasync_fault_policy p, int ncalls,
		      fail_fn fails, long arg, const char *what)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct model m;
	struct ds f;
	__u64 item = 0;
	bool fail;
	int h, c;

	ASSERT_EQ(0, ds_open(&f, uring, uring));
	h = create_framed(&f, &bx, 0, 1000);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, arm(f.fd, p));
	model_init(&m, seq);
	for (c = 0; c < ncalls; c++) {
		fail = model_call(&m, fails, arg);
		check_next(_metadata, &f, h, fail, &item);
		expect_model(_metadata, f.fd, &m, what, arg);
	}
	ASSERT_EQ(0, ds_fault_off(f.fd, false));
	/* The failed calls took no item. */
	expect_item(_metadata, &f, h, item);
	ds_teardown(_metadata, &f);
}

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
 * A mixed workload at 50% (no CREATE while armed): per site, injected <=
 * attempted; the injections since arming are the injected counters'
 * sum and the sum of out.injected; the real failures are the sum of
 * out.alloc_failed; every candidate was attempted. A failed call had an
 * injection or a real failure; a call without either succeeded with its
 * value (counters and the gadget's total do not move on a failure).
 */
TEST_F(file, counters_add_up)
{
	static const __u32 strategies[] = {
		DYNASYNC_STRATEGY_BOXED, DYNASYNC_STRATEGY_INLINE,
		DYNASYNC_STRATEGY_MAYBE_BOXED, DYNASYNC_STRATEGY_CACHED,
		DYNASYNC_STRATEGY_TASK_STACK,
	};
	struct dynasync_fault_policy p = rate_policy(50, -1);
	struct dynasync_storage st;
	struct dynasync_fault_state s;
	struct dynasync_call_out o;
	__u64 items[5] = { 0 }, total = 0, sum_inj = 0, sum_fail = 0;
	int cnt[5], m, g, i, j, ret, ok = 0, nomem = 0;
	struct ds *ds = &self->ds;

	for (j = 0; j < 5; j++) {
		st = ds_storage(strategies[j]);
		cnt[j] = create_counter(ds, &st, 0, 1000);
		ASSERT_LT(0, cnt[j]);
	}
	m = create_map(ds, &self->bx, create_counter(ds, &self->bx, 0, 1000),
		       2, 1);
	g = create_gadget(ds, &self->bx, 0);
	ASSERT_LT(0, m);
	ASSERT_LT(0, g);
	p.seed = 42;
	ASSERT_EQ(0, arm(ds->fd, p));
	for (i = 0; i < 40; i++) {
		for (j = 0; j < 7; j++) {
			if (j < 5)
				ret = ds_method(_metadata, ds, cnt[j],
						DYNASYNC_METHOD_NEXT, 0, 0, &o);
			else if (j == 5)
				ret = ds_method(_metadata, ds, m,
						DYNASYNC_METHOD_SUM, 3, 0, &o);
			else
				ret = ds_method(_metadata, ds, g,
						DYNASYNC_METHOD_AUGMENT,
						DYNASYNC_COMPONENT_BOLT, 1,
						&o);
			sum_inj += o.injected;
			sum_fail += o.alloc_failed;
			if (ret == -ENOMEM) {
				nomem++;
				EXPECT_LT(0, o.injected + o.alloc_failed);
				continue;
			}
			ok++;
			/* No RESERVE here: an injection fails the call. */
			EXPECT_EQ(0, o.injected) {
				TH_LOG("op %d.%d succeeded", i, j);
			}
			if (j < 5) {
				EXPECT_EQ(1, ret);
				EXPECT_EQ(items[j]++, o.value) {
					TH_LOG("op %d.%d", i, j);
				}
			} else if (j == 6) {
				EXPECT_EQ(0, ret);
				EXPECT_EQ(++total, o.value);
			} else {
				EXPECT_EQ(0, ret);
			}
		}
	}
	ASSERT_EQ(0, ds_fault_get(ds->fd, &s));
	TH_LOG("%d calls: %d ok, %d -ENOMEM; %llu candidates, %llu injected",
	       ok + nomem, ok, nomem, (unsigned long long)s.candidates,
	       (unsigned long long)s.injections);
	EXPECT_EQ(sum_inj, s.injections);
	EXPECT_EQ(s.injections, ds_sum_sites(s.injected));
	EXPECT_EQ(sum_fail, ds_sum_sites(s.failed));
	EXPECT_EQ(s.candidates, ds_sum_sites(s.attempted));
	for (i = 0; i < DYNASYNC_SITES; i++)
		EXPECT_LE(s.injected[i] + s.failed[i], s.attempted[i]);
	/* A failed call stopped at its first failed allocation. */
	EXPECT_EQ(nomem, s.injections + sum_fail);
	EXPECT_LT(0, ok);
	EXPECT_LT(0, nomem);
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

/* ======================================================================
 * The module-wide policy in debugfs.
 * ======================================================================
 */

static const char *const dbg_fields[] = {
	"sites", "strategies", "trait", "method", "nth", "probability",
	"interval", "times", "space", "seed",
};

/* Disarms the global policy, then zeroes its fields (only stored). */
static int global_off(void)
{
	size_t i;
	int ret;

	ret = ds_dbg_write("mode", "0\n");
	for (i = 0; !ret && i < ARRAY_SIZE(dbg_fields); i++)
		ret = ds_dbg_write(dbg_fields[i], "0\n");
	return ret;
}

static long long dbg_value(const char *name)
{
	long long v;

	return ds_dbg_get(name, &v) ? -12345 : v;
}

static long long dbg_state(const char *key)
{
	long long v;

	return ds_dbg_state(key, &v) ? -12345 : v;
}

FIXTURE(dbgfs)
{
	struct ds ds;
	struct dynasync_storage bx;
	bool present;
};

FIXTURE_SETUP(dbgfs)
{
	ASSERT_EQ(0, ds_open(&self->ds, false, false));
	self->bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	self->present = ds_dbg_present();
	if (self->present)
		ASSERT_EQ(0, global_off());
}

FIXTURE_TEARDOWN(dbgfs)
{
	/* Always off again: later tests must not see it. */
	if (self->present) {
		EXPECT_EQ(0, global_off());
		EXPECT_EQ(0, ds_fault_off(self->ds.fd, false));
	}
	ds_teardown(_metadata, &self->ds);
}

/* SKIP(), not a pass, without the directory (set up before the test). */
#define NEED_DEBUGFS() do {						\
	if (!self->present)						\
		SKIP(return, "no " DS_FAULT_DBG_DIR);			\
} while (0)

/* Arms the global policy: RATE @probability, @times, on @sites. */
static int global_rate(int probability, int times, unsigned int sites)
{
	int ret;

	ret = ds_dbg_set("probability", probability);
	if (!ret)
		ret = ds_dbg_set("times", times);
	if (!ret)
		ret = ds_dbg_set("sites", sites);
	if (!ret)
		ret = ds_dbg_write("mode", "2\n");
	return ret;
}

/*
 * While off, field writes are only stored; arming validates the whole
 * policy. While armed, every write is validated (-EINVAL, the old value
 * stays) and re-arms.
 */
TEST_F(dbgfs, invalid_writes_einval_old_value_stays)
{
	NEED_DEBUGFS();
	ASSERT_EQ(0, ds_dbg_write("probability", "101\n"));
	EXPECT_EQ(101, dbg_value("probability"));
	ASSERT_EQ(0, ds_dbg_write("times", "-1\n"));
	EXPECT_EQ(-EINVAL, ds_dbg_write("mode", "2\n"));
	EXPECT_EQ(0, dbg_value("mode"));

	/* Sees only TRANSMIT frames, which this test never makes. */
	ASSERT_EQ(0, ds_dbg_write("probability", "50\n"));
	ASSERT_EQ(0, ds_dbg_set("sites", BIT(SITE_FRAME)));
	ASSERT_EQ(0, ds_dbg_set("trait", WI));
	ASSERT_EQ(0, ds_dbg_set("method", DYNASYNC_METHOD_TRANSMIT));
	ASSERT_EQ(0, ds_dbg_write("mode", "2\n"));
	EXPECT_EQ(2, dbg_value("mode"));

	EXPECT_EQ(-EINVAL, ds_dbg_write("probability", "101\n"));
	EXPECT_EQ(50, dbg_value("probability"));
	EXPECT_EQ(-EINVAL, ds_dbg_write("probability", "0\n"));
	EXPECT_EQ(50, dbg_value("probability"));
	EXPECT_EQ(-EINVAL, ds_dbg_write("mode", "3\n"));
	EXPECT_EQ(2, dbg_value("mode"));
	EXPECT_EQ(-EINVAL, ds_dbg_write("times", "0\n"));
	EXPECT_EQ(-EINVAL, ds_dbg_write("times", "-2\n"));
	EXPECT_EQ(-1, dbg_value("times"));
	EXPECT_EQ(-EINVAL, ds_dbg_set("method", DYNASYNC_METHOD_NEXT));
	EXPECT_EQ(DYNASYNC_METHOD_TRANSMIT, dbg_value("method"));
	EXPECT_EQ(-EINVAL, ds_dbg_write("nth", "1\n"));
	EXPECT_EQ(0, dbg_value("nth"));
	EXPECT_EQ(-EINVAL, ds_dbg_set("sites", BIT(DYNASYNC_SITE_MISC + 1)));
	EXPECT_EQ(BIT(SITE_FRAME), dbg_value("sites"));
	EXPECT_EQ(-EINVAL, ds_dbg_set("strategies", 1));
	EXPECT_EQ(0, dbg_value("strategies"));
	EXPECT_EQ(-EINVAL, ds_dbg_set("trait", 3));
	EXPECT_EQ(WI, dbg_value("trait"));
	/* Hex is accepted. */
	ASSERT_EQ(0, ds_dbg_write("seed", "0x1234\n"));
	EXPECT_EQ(0x1234, dbg_value("seed"));
	EXPECT_EQ(2, dbg_value("mode"));
}

/*
 * Armed 100% on frames: a NEXT on any file fails at its frame (out and
 * the file's counters say injected; the file's own policy saw nothing);
 * the module-wide counters are the two files' counters (nothing else
 * allocates meanwhile); "0" resets them; mode 0 disarms and the iterators
 * did not advance.
 */
TEST_F(dbgfs, rate_100_on_frames_fails_every_file)
{
	__u64 att[DYNASYNC_SITES], inj[DYNASYNC_SITES], fail[DYNASYNC_SITES];
	struct dynasync_fault_state s1, s2;
	struct ds f2;
	__u64 i1 = 0, i2 = 0;
	int h1, h2, i;

	NEED_DEBUGFS();
	ASSERT_EQ(0, ds_open(&f2, false, false));
	h1 = create_framed(&self->ds, &self->bx, 0, 10);
	h2 = create_framed(&f2, &self->bx, 0, 10);
	ASSERT_LT(0, h1);
	ASSERT_LT(0, h2);
	ASSERT_EQ(0, ds_fault_off(self->ds.fd, true));
	ASSERT_EQ(0, ds_fault_off(f2.fd, true));
	ASSERT_EQ(0, ds_dbg_write("counters", "0\n"));
	ASSERT_LE(DYNASYNC_SITE_MISC + 1, ds_dbg_counters(att, inj, fail));
	EXPECT_EQ(0, ds_sum_sites(att));

	ASSERT_EQ(0, global_rate(100, -1, BIT(SITE_FRAME)));
	EXPECT_EQ(0, dbg_state("candidates"));
	EXPECT_EQ(0, dbg_state("injections"));
	check_next(_metadata, &self->ds, h1, true, &i1);
	check_next(_metadata, &f2, h2, true, &i2);
	EXPECT_EQ(2, dbg_state("candidates"));
	EXPECT_EQ(2, dbg_state("injections"));
	EXPECT_EQ(-1, dbg_state("times_left"));

	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s1));
	ASSERT_EQ(0, ds_fault_get(f2.fd, &s2));
	EXPECT_EQ(0, s1.candidates);
	EXPECT_EQ(0, s1.injections);
	EXPECT_EQ(1, s1.injected[SITE_FRAME]);
	EXPECT_EQ(1, s2.injected[SITE_FRAME]);
	EXPECT_EQ(1, ds_sum_sites(s1.injected));
	EXPECT_EQ(1, ds_sum_sites(s2.injected));
	ASSERT_LE(DYNASYNC_SITE_MISC + 1, ds_dbg_counters(att, inj, fail));
	for (i = 0; i < DYNASYNC_SITES; i++) {
		EXPECT_EQ(s1.attempted[i] + s2.attempted[i], att[i]) {
			TH_LOG("site %d", i);
		}
		EXPECT_EQ(s1.injected[i] + s2.injected[i], inj[i]) {
			TH_LOG("site %d", i);
		}
		EXPECT_EQ(0, fail[i]);
	}
	EXPECT_EQ(2, inj[SITE_FRAME]);

	ASSERT_EQ(0, ds_dbg_write("counters", "0\n"));
	ASSERT_LE(DYNASYNC_SITE_MISC + 1, ds_dbg_counters(att, inj, fail));
	EXPECT_EQ(0, ds_sum_sites(att));
	EXPECT_EQ(0, ds_sum_sites(inj));
	EXPECT_EQ(0, ds_sum_sites(fail));

	ASSERT_EQ(0, ds_dbg_write("mode", "0\n"));
	check_next(_metadata, &self->ds, h1, false, &i1);
	check_next(_metadata, &f2, h2, false, &i2);
	ASSERT_LE(DYNASYNC_SITE_MISC + 1, ds_dbg_counters(att, inj, fail));
	EXPECT_LT(0, att[SITE_FRAME]);
	EXPECT_EQ(0, ds_sum_sites(inj));
	/* f2's teardown wants the whole module quiescent. */
	ASSERT_EQ(0, ds_destroy(&self->ds, h1));
	ds_teardown(_metadata, &f2);
}

/* Any field write while armed re-arms (state starts over); times caps. */
TEST_F(dbgfs, rearm_resets_state_times_caps)
{
	__u64 item = 0;
	int h;

	NEED_DEBUGFS();
	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, global_rate(100, 2, BIT(SITE_FRAME)));
	EXPECT_EQ(2, dbg_state("times_left"));
	check_next(_metadata, &self->ds, h, true, &item);
	EXPECT_EQ(1, dbg_state("candidates"));
	EXPECT_EQ(1, dbg_state("injections"));
	EXPECT_EQ(1, dbg_state("times_left"));
	ASSERT_EQ(0, ds_dbg_write("probability", "100\n"));
	EXPECT_EQ(0, dbg_state("candidates"));
	EXPECT_EQ(0, dbg_state("injections"));
	EXPECT_EQ(2, dbg_state("times_left"));
	check_next(_metadata, &self->ds, h, true, &item);
	check_next(_metadata, &self->ds, h, true, &item);
	check_next(_metadata, &self->ds, h, false, &item);
	EXPECT_EQ(3, dbg_state("candidates"));
	EXPECT_EQ(2, dbg_state("injections"));
	EXPECT_EQ(0, dbg_state("times_left"));
}

/*
 * The file's policy is asked first: it counts the frame as a candidate
 * and lets it through, the global one fails it.
 */
TEST_F(dbgfs, file_policy_asked_first_global_fails)
{
	struct dynasync_fault_state s;
	struct alloc_seq seq;
	__u64 item = 0;
	int h;

	NEED_DEBUGFS();
	next_allocs(_metadata, false, &seq);
	h = create_framed(&self->ds, &self->bx, 0, 10);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, arm(self->ds.fd, nth_policy(1000)));
	ASSERT_EQ(0, global_rate(100, -1, BIT(SITE_FRAME)));
	check_next(_metadata, &self->ds, h, true, &item);
	ASSERT_EQ(0, ds_fault_get(self->ds.fd, &s));
	EXPECT_EQ(seq.per_site[SITE_TASK] + 1, s.candidates);
	EXPECT_EQ(0, s.injections);
	EXPECT_EQ(1, s.injected[SITE_FRAME]);
	EXPECT_EQ(1, dbg_state("injections"));
}

TEST_HARNESS_MAIN
