/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the dynasync selftests that assert: they take
 * kselftest_harness.h's _metadata and use its EXPECT/ASSERT macros, so
 * they are inline here (the harness's definitions may exist in one object
 * of a program only): one call over the test's path with exactly-once
 * CQE checks, the expected items and sums of iterators, a call left in
 * flight, and the common teardown (every object destroyed, zero live
 * allocations). The rest is the helper library, dynasync_lib.h.
 *
 * Include after kselftest_harness.h.
 */
#ifndef DYNASYNC_SELFTEST_UTIL_H
#define DYNASYNC_SELFTEST_UTIL_H

#include "dynasync_lib.h"

/*
 * Reaps @n CQEs into @out (each within DS_WAIT_MS); returns how many
 * arrived. Then the ring must be idle: io_uring_peek_cqe says -EAGAIN
 * and nothing more arrives within 20 ms.
 */
static inline int ds_reap(struct __test_metadata *_metadata,
			  struct io_uring *ring, struct ds_cqe *out, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (ds_wait_cqe(ring, &out[i], DS_WAIT_MS)) {
			TH_LOG("only %d of %d CQEs arrived", i, n);
			return i;
		}
	}
	EXPECT_TRUE(ds_ring_idle(ring, 20)) {
		TH_LOG("an extra CQE arrived after the %d expected", n);
	}
	return n;
}

/* The res of the one CQE carrying @ud in @c[0..n-1]; fails unless
 * exactly one does.
 */
static inline int ds_cqe_res(struct __test_metadata *_metadata,
			     const struct ds_cqe *c, int n, __u64 ud)
{
	int i, seen = 0, res = INT32_MIN;

	for (i = 0; i < n; i++) {
		if (c[i].ud == ud) {
			seen++;
			res = c[i].res;
		}
	}
	EXPECT_EQ(1, seen) {
		TH_LOG("user_data %llu completed %d times",
		       (unsigned long long)ud, seen);
	}
	return res;
}

/* Every CQE's user_data is one of @uds[0..n-1], each exactly once. */
static inline void ds_expect_once(struct __test_metadata *_metadata,
				  const struct ds_cqe *c, int n,
				  const __u64 *uds)
{
	int i;

	for (i = 0; i < n; i++)
		ds_cqe_res(_metadata, c, n, uds[i]);
}

/* One call through the ring, waited for: the CQE's res. */
static inline int call_uring(struct __test_metadata *_metadata, struct ds *ds,
			     const struct dynasync_call *c)
{
	__u64 ud = ds->next_ud++;
	struct ds_cqe cqe;

	ASSERT_TRUE(ds->ring_up);
	ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, c, ud));
	ASSERT_EQ(0, ds_wait_cqe(&ds->ring, &cqe, DS_WAIT_MS));
	EXPECT_EQ(ud, cqe.ud);
	/* Exactly one completion: nothing else waits in the ring. */
	EXPECT_TRUE(ds_ring_idle(&ds->ring, 0));
	return cqe.res;
}

/* One call on the test's path: the result (>= 0) or -errno. */
static inline int ds_call(struct __test_metadata *_metadata, struct ds *ds,
			  const struct dynasync_call *c)
{
	if (ds->uring)
		return call_uring(_metadata, ds, c);
	return call_ioctl(ds, c);
}

/* A call with @out on the test's path. */
static inline int ds_method(struct __test_metadata *_metadata, struct ds *ds,
			    __u32 h, __u32 method, __u64 a0, __u64 a1,
			    struct dynasync_call_out *out)
{
	struct dynasync_call c = ds_mkcall(h, method, a0, a1, out);

	return ds_call(_metadata, ds, &c);
}

/* NEXT must yield @v[0..n-1], then END when @end. */
static inline void expect_items(struct __test_metadata *_metadata,
				struct ds *ds, __u32 h, const __u64 *v, int n,
				bool end)
{
	struct dynasync_call_out o;
	int i;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(1, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT,
				       0, 0, &o)) {
			TH_LOG("handle %u item %d", h, i);
		}
		EXPECT_EQ(v[i], o.value) {
			TH_LOG("handle %u item %d", h, i);
		}
		EXPECT_EQ(0, o.flags);
		EXPECT_EQ(0, o.handle);
		EXPECT_EQ(0, o.reserved);
	}
	if (!end)
		return;
	ASSERT_EQ(0, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0, 0,
			       &o)) {
		TH_LOG("handle %u: no END after %d items", h, n);
	}
	EXPECT_EQ(DYNASYNC_OUT_F_END, o.flags);
	EXPECT_EQ(0, o.handle);
	EXPECT_EQ(0, o.reserved);
}

/* One NEXT that must yield @v. */
static inline void expect_item(struct __test_metadata *_metadata,
			       struct ds *ds, __u32 h, __u64 v)
{
	expect_items(_metadata, ds, h, &v, 1, false);
}

/* SUM(@n) must succeed with @sum. */
static inline void expect_sum(struct __test_metadata *_metadata,
			      struct ds *ds, __u32 h, __u64 n, __u64 sum)
{
	struct dynasync_call_out o;

	ASSERT_EQ(0, ds_method(_metadata, ds, h, DYNASYNC_METHOD_SUM, n, 0,
			       &o));
	EXPECT_EQ(sum, o.value);
	EXPECT_EQ(0, o.flags);
	EXPECT_EQ(0, o.handle);
	EXPECT_EQ(0, o.reserved);
}

/* AUGMENT(@kind, @size) must succeed with the gadget's new @total. */
static inline void expect_augment(struct __test_metadata *_metadata,
				  struct ds *ds, __u32 g, __u64 kind,
				  __u64 size, __u64 total)
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

/*
 * Starts @method on @h on the test's path and returns once the call is in
 * flight (STATS.inflight grew by one).
 */
static inline void ds_async_start(struct __test_metadata *_metadata,
				  struct ds *ds, struct ds_async *a, __u32 h,
				  __u32 method, __u64 a0, __u64 deadline_ns)
{
	struct dynasync_stats st;

	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	memset(a, 0, sizeof(*a));
	a->uring = ds->uring;
	a->fd = ds->fd;
	a->ring = &ds->ring;
	a->call = ds_mkcall(h, method, a0, 0, &a->out);
	a->call.deadline_ns = deadline_ns;
	if (a->uring) {
		a->ud = ds->next_ud++;
		ASSERT_EQ(0, ds_submit_call(a->ring, a->fd, &a->call, a->ud));
	} else {
		ASSERT_EQ(0, pthread_create(&a->th, NULL, ds_async_thread, a));
	}
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, st.inflight + 1, 2000));
}

/* Waits for the call's single completion: its result. */
static inline int ds_async_finish(struct __test_metadata *_metadata,
				  struct ds_async *a)
{
	struct ds_cqe cqe;

	if (!a->uring) {
		EXPECT_EQ(0, pthread_join(a->th, NULL));
		return a->res;
	}
	ASSERT_EQ(0, ds_wait_cqe(a->ring, &cqe, DS_WAIT_MS));
	EXPECT_EQ(a->ud, cqe.ud);
	EXPECT_TRUE(ds_ring_idle(a->ring, 0));
	return cqe.res;
}

static inline void ds_log_live(struct __test_metadata *_metadata,
			       const struct dynasync_stats *st)
{
	int i;

	for (i = 0; i < DYNASYNC_SITES; i++)
		if (st->live_allocs[i])
			TH_LOG("live_allocs[%d] = %llu", i,
			       (unsigned long long)st->live_allocs[i]);
	for (i = 0; i <= DYNASYNC_STRATEGY_MAX; i++)
		if (st->strategy[i].live_frames || st->strategy[i].live_bytes)
			TH_LOG("strategy %d: %llu live frames, %llu bytes", i,
			       (unsigned long long)st->strategy[i].live_frames,
			       (unsigned long long)st->strategy[i].live_bytes);
}

/*
 * Module-wide: no live allocation at any site and no live frame of any
 * strategy within @ms (polled). 0 or -ETIMEDOUT (logged).
 */
static inline int ds_wait_quiescent(struct __test_metadata *_metadata, int fd,
				    unsigned int ms)
{
	struct dynasync_stats st;
	__u64 end = ds_now_ns() + ms * NSEC_PER_MSEC;

	for (;;) {
		if (ds_stats(fd, &st))
			return -EIO;
		if (ds_quiescent(&st))
			return 0;
		if (ds_now_ns() >= end)
			break;
		ds_sleep_ms(5);
	}
	ds_log_live(_metadata, &st);
	return -ETIMEDOUT;
}

/*
 * The common teardown: the ring goes first (nothing may be left in it),
 * then every object the test still owns is destroyed, the file must have
 * no object and no call left, every call must have completed, and the
 * module must have no live allocation (this file is the only one open).
 */
static inline void ds_teardown(struct __test_metadata *_metadata,
			       struct ds *ds)
{
	struct dynasync_stats st;

	if (ds->fd < 0)
		return;
	if (ds->ring_up) {
		EXPECT_TRUE(ds_ring_idle(&ds->ring, 0));
		io_uring_queue_exit(&ds->ring);
		ds->ring_up = false;
	}
	while (ds->nh) {
		__u32 h = ds->h[ds->nh - 1];

		EXPECT_EQ(0, ds_destroy(ds, h)) {
			TH_LOG("teardown: DESTROY %u", h);
			ds_untrack(ds, h);
		}
	}
	EXPECT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.inflight);
	EXPECT_EQ(st.calls, st.completions);
	EXPECT_EQ(0, ds_wait_quiescent(_metadata, ds->fd, DS_QUIESCE_MS));
	close(ds->fd);
	ds->fd = -1;
}

#endif /* DYNASYNC_SELFTEST_UTIL_H */
