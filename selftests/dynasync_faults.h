/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dynasync fault selftests' shared part (dynasync_faults_test.c,
 * dynasync_faults_rate_test.c, dynasync_faults_debugfs_test.c): names for
 * the ABI's numbers, policy constructors, a framed iterator, and the model
 * of a run.
 *
 * Exact counts come from a model of the run: the allocations one NEXT on
 * a BOXED framed iterator (a MAP over a counter; a counter's own NEXT is
 * frame-free) makes are measured per site with the injector off, then
 * each call makes that sequence of candidates (the frame; the call's
 * bookkeeping is its object's and allocates nothing) and stops at its
 * first failed allocation.
 *
 * Include after kselftest_harness.h and dynasync_util.h: the helpers that
 * take _metadata assert.
 */
#ifndef DYNASYNC_SELFTEST_FAULTS_H
#define DYNASYNC_SELFTEST_FAULTS_H

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

static inline struct dynasync_fault_policy nth_policy(__u64 n)
{
	struct dynasync_fault_policy p;

	memset(&p, 0, sizeof(p));
	p.mode = F_NTH;
	p.nth = n;
	return p;
}

static inline struct dynasync_fault_policy rate_policy(__u32 probability, __s64 times)
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
static inline int create_framed(struct ds *ds, const struct dynasync_storage *st,
			 __u64 start, __u64 count)
{
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	int c = create_counter(ds, &bx, start, count);

	if (c < 0)
		return c;
	return create_map(ds, st, c, 1, 0);
}

/* Arms @p on @fd, zeroing the file's counters: they count from here. */
static inline int arm(int fd, struct dynasync_fault_policy p)
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

static inline bool fail_nth(const struct model *m, __u64 cand, long k)
{
	return cand == (__u64)k;
}

static inline bool fail_every_kth(const struct model *m, __u64 cand, long k)
{
	return cand % k == 0;
}

static inline bool fail_first_t(const struct model *m, __u64 cand, long t)
{
	return m->injections < (__u64)t;
}

static inline void model_init(struct model *m, const struct alloc_seq *seq)
{
	memset(m, 0, sizeof(*m));
	m->seq = seq;
}

/*
 * One call under a policy without filters: every allocation is a
 * candidate; the call stops at its first failure. True if it fails.
 */
static inline bool model_call(struct model *m, fail_fn fails, long arg)
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
static inline void expect_model(struct __test_metadata *_metadata, int fd,
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
static inline void check_next(struct __test_metadata *_metadata, struct ds *ds,
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
static inline void next_allocs(struct __test_metadata *_metadata, bool uring,
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
static inline void run_model(struct __test_metadata *_metadata, bool uring,
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

#endif /* DYNASYNC_SELFTEST_FAULTS_H */
