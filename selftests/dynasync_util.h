/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the dynasync object selftests: wrappers that return
 * -errno (so assertions name the errno), object constructors that keep
 * track of the handles a test owns, one call over either path (blocking
 * ioctl or IORING_OP_URING_CMD on a SQE128 ring) with exactly-once CQE
 * checks, STATS and module parameter access, and the common teardown
 * (every object destroyed, zero live allocations).
 *
 * Include after kselftest_harness.h: the helpers that take _metadata
 * use its EXPECT/ASSERT macros.
 */
#ifndef DYNASYNC_SELFTEST_UTIL_H
#define DYNASYNC_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "uapi/dynasync.h"

#define NSEC_PER_MSEC		1000000ULL
#define NSEC_PER_SEC		1000000000ULL
#define DS_PARAM_DIR		"/sys/module/dynasync/parameters/"
#define DS_MAX_TRACKED		512
#define DS_RING_ENTRIES		256
/* How long a test waits for a CQE, or for the module to go quiescent. */
#define DS_WAIT_MS		15000
#define DS_QUIESCE_MS		3000
/* Byte pattern written over out structs before a call: fields the
 * module must zero show up as nonzero if it did not.
 */
#define DS_POISON		0xa5

/* ioctl's return value (>= 0), or -errno. */
static inline int ds_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline __u64 ds_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static inline void ds_sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * (long)NSEC_PER_MSEC,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A page that is mapped, then unmapped: any access faults. */
static inline void *ds_unmapped_page(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, page);
	return p;
}

/* A read-only page holding @len bytes of @src (readable, not writable). */
static inline void *ds_readonly_copy(const void *src, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	if (mprotect(p, page, PROT_READ)) {
		munmap(p, page);
		return NULL;
	}
	return p;
}

/* A storage configuration with valid defaults for @strategy. */
static inline struct dynasync_storage ds_storage(__u32 strategy)
{
	struct dynasync_storage s;

	memset(&s, 0, sizeof(s));
	s.strategy = strategy;
	if (strategy == DYNASYNC_STRATEGY_TASK_STACK)
		s.task_stack_size = 16384;
	else if (strategy == DYNASYNC_STRATEGY_RESERVE)
		s.reserve_frames = 4;
	return s;
}

/* VERSION's flags (DYNASYNC_VERSION_F_*), 0 if it fails. */
static inline __u32 ds_version_flags(void)
{
	struct dynasync_version v;
	int fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 0;
	memset(&v, 0, sizeof(v));
	if (ds_ioctl(fd, DYNASYNC_IOC_VERSION, &v))
		v.flags = 0;
	close(fd);
	return v.flags;
}

/* io_uring cancels suspended calls (ring teardown, exec): 6.7+ builds. */
static inline bool ds_uring_cancel(void)
{
	return ds_version_flags() & DYNASYNC_VERSION_F_URING_CANCEL;
}

/* ---- the per-test context ------------------------------------------- */

struct ds {
	int fd;
	bool uring;		/* ds_call() goes through the ring */
	bool ring_up;
	struct io_uring ring;	/* SQE128 */
	__u64 next_ud;
	int nh;
	__u32 h[DS_MAX_TRACKED];	/* handles the test owns */
};

static inline void ds_track(struct ds *ds, __u32 h)
{
	if (ds->nh < DS_MAX_TRACKED)
		ds->h[ds->nh++] = h;
}

static inline void ds_untrack(struct ds *ds, __u32 h)
{
	int i;

	for (i = 0; i < ds->nh; i++) {
		if (ds->h[i] == h) {
			ds->h[i] = ds->h[--ds->nh];
			return;
		}
	}
}

/* Opens the device; sets up a SQE128 ring too when @ring. 0 or -errno. */
static inline int ds_open(struct ds *ds, bool uring, bool ring)
{
	int ret;

	memset(ds, 0, sizeof(*ds));
	ds->fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ds->fd < 0)
		return -errno;
	ds->uring = uring;
	ds->next_ud = 1;
	if (uring || ring) {
		ret = io_uring_queue_init(DS_RING_ENTRIES, &ds->ring,
					  IORING_SETUP_SQE128);
		if (ret)
			return ret;
		ds->ring_up = true;
	}
	return 0;
}

/* ---- objects -------------------------------------------------------- */

static inline void ds_create_req(struct dynasync_create *c, __u32 trait,
				 __u32 impl, __u32 in0, __u32 in1, __u64 p0,
				 __u64 p1, const struct dynasync_storage *st)
{
	memset(c, 0, sizeof(*c));
	c->trait = trait;
	c->impl = impl;
	c->inner[0] = in0;
	c->inner[1] = in1;
	c->param[0] = p0;
	c->param[1] = p1;
	c->storage = *st;
}

/* CREATE; the handle (> 0) or -errno. Tracks it, untracks moved inners. */
static inline int ds_create_full(struct ds *ds, struct dynasync_create *c)
{
	int ret = ds_ioctl(ds->fd, DYNASYNC_IOC_CREATE, c);

	if (ret)
		return ret;
	if (c->inner[0])
		ds_untrack(ds, c->inner[0]);
	if (c->inner[1])
		ds_untrack(ds, c->inner[1]);
	ds_track(ds, c->handle);
	return (int)c->handle;
}

static inline int ds_create(struct ds *ds, __u32 trait, __u32 impl, __u32 in0,
			    __u32 in1, __u64 p0, __u64 p1,
			    const struct dynasync_storage *st)
{
	struct dynasync_create c;

	ds_create_req(&c, trait, impl, in0, in1, p0, p1, st);
	return ds_create_full(ds, &c);
}

static inline int create_counter(struct ds *ds,
				 const struct dynasync_storage *st,
				 __u64 start, __u64 count)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER,
			 0, 0, start, count, st);
}

static inline int create_ticker(struct ds *ds,
				const struct dynasync_storage *st,
				__u64 period_ns, __u64 count)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_TICKER,
			 0, 0, period_ns, count, st);
}

static inline int create_map(struct ds *ds, const struct dynasync_storage *st,
			     __u32 inner, __u64 mul, __u64 add)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_MAP,
			 inner, 0, mul, add, st);
}

static inline int create_take(struct ds *ds, const struct dynasync_storage *st,
			      __u32 inner, __u64 limit)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_TAKE,
			 inner, 0, limit, 0, st);
}

static inline int create_chain(struct ds *ds, const struct dynasync_storage *st,
			       __u32 first, __u32 second)
{
	return ds_create(ds, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_CHAIN,
			 first, second, 0, 0, st);
}

static inline int create_gadget(struct ds *ds,
				const struct dynasync_storage *st, __u64 base)
{
	return ds_create(ds, DYNASYNC_TRAIT_WIDGET, DYNASYNC_IMPL_GADGET,
			 0, 0, base, 0, st);
}

/* DESTROY; 0 or -errno. Untracks on success. */
static inline int ds_destroy(struct ds *ds, __u32 h)
{
	struct dynasync_destroy d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.handle = h;
	ret = ds_ioctl(ds->fd, DYNASYNC_IOC_DESTROY, &d);
	if (!ret)
		ds_untrack(ds, h);
	return ret;
}

static inline int ds_stats(int fd, struct dynasync_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ds_ioctl(fd, DYNASYNC_IOC_STATS, st);
}

/* LAYOUT's frame_size (>= 0), or -errno; @slot gets slot_size if set. */
static inline long long ds_layout(int fd, __u32 trait, __u32 impl,
				  __u32 method, __u64 *slot)
{
	struct dynasync_layout l;
	int ret;

	memset(&l, 0, sizeof(l));
	l.trait = trait;
	l.impl = impl;
	l.method = method;
	ret = ds_ioctl(fd, DYNASYNC_IOC_LAYOUT, &l);
	if (ret)
		return ret;
	if (slot)
		*slot = l.slot_size;
	return (long long)l.frame_size;
}

/* ---- calls ---------------------------------------------------------- */

static inline struct dynasync_call ds_mkcall(__u32 h, __u32 method, __u64 a0,
					     __u64 a1,
					     struct dynasync_call_out *out)
{
	struct dynasync_call c;

	memset(&c, 0, sizeof(c));
	c.handle = h;
	c.method = method;
	c.arg[0] = a0;
	c.arg[1] = a1;
	c.out_ptr = (__u64)(uintptr_t)out;
	if (out)
		memset(out, DS_POISON, sizeof(*out));
	return c;
}

/*
 * Queues one IORING_OP_URING_CMD SQE carrying @c; @cmd_bytes of it are
 * copied into the command area (16 on a ring without SQE128). Not
 * submitted. 0 or -errno.
 */
static inline int ds_prep_cmd(struct io_uring *ring, int fd, __u32 cmd_op,
			      const struct dynasync_call *c, size_t cmd_bytes,
			      __u64 ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	size_t sqe_size = (ring->flags & IORING_SETUP_SQE128) ? 128 : 64;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, sqe_size);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	/* sqe->cmd: 16 bytes, 80 on a SQE128 ring. */
	memcpy((char *)sqe + offsetof(struct io_uring_sqe, cmd), c, cmd_bytes);
	io_uring_sqe_set_data64(sqe, ud);
	return 0;
}

static inline int ds_prep_call(struct io_uring *ring, int fd,
			       const struct dynasync_call *c, __u64 ud)
{
	return ds_prep_cmd(ring, fd, DYNASYNC_IOC_CALL, c, sizeof(*c), ud);
}

/* Queues and submits one call; 0 or -errno. */
static inline int ds_submit_call(struct io_uring *ring, int fd,
				 const struct dynasync_call *c, __u64 ud)
{
	int ret = ds_prep_call(ring, fd, c, ud);

	if (ret)
		return ret;
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	return ret == 1 ? 0 : -EIO;
}

struct ds_cqe {
	__u64 ud;
	int res;
};

/* Waits up to @ms for one CQE and consumes it. 0 or -errno (-ETIME). */
static inline int ds_wait_cqe(struct io_uring *ring, struct ds_cqe *out,
			      unsigned int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long long)(ms % 1000) * NSEC_PER_MSEC,
	};
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret;
	out->ud = cqe->user_data;
	out->res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* True when no CQE is waiting now, nor arrives within @ms. */
static inline bool ds_ring_idle(struct io_uring *ring, unsigned int ms)
{
	struct ds_cqe c;
	struct io_uring_cqe *cqe;

	if (io_uring_peek_cqe(ring, &cqe) != -EAGAIN)
		return false;
	return ms == 0 || ds_wait_cqe(ring, &c, ms) == -ETIME;
}

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

static inline int call_ioctl(struct ds *ds, const struct dynasync_call *c)
{
	return ds_ioctl(ds->fd, DYNASYNC_IOC_CALL, (void *)c);
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

/* ---- a call left in flight ------------------------------------------- */

/*
 * A call started on one path and finished later: through the ring (one
 * SQE), or a blocking ioctl on a thread.
 */
struct ds_async {
	bool uring;
	int fd;
	struct io_uring *ring;
	struct dynasync_call call;
	struct dynasync_call_out out;
	__u64 ud;
	pthread_t th;
	int res;
};

static inline void *ds_async_thread(void *arg)
{
	struct ds_async *a = arg;

	a->res = ds_ioctl(a->fd, DYNASYNC_IOC_CALL, &a->call);
	return NULL;
}

/* Polls STATS until this file has @n calls in flight (or ms pass). */
static inline int ds_wait_inflight(int fd, __u32 n, unsigned int ms)
{
	struct dynasync_stats st;
	__u64 end = ds_now_ns() + ms * NSEC_PER_MSEC;

	do {
		if (ds_stats(fd, &st))
			return -EIO;
		if (st.inflight == n)
			return 0;
		ds_sleep_ms(1);
	} while (ds_now_ns() < end);
	return -ETIMEDOUT;
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

/* ---- accounting ----------------------------------------------------- */

static inline bool ds_quiescent(const struct dynasync_stats *st)
{
	int i;

	for (i = 0; i < DYNASYNC_SITES; i++)
		if (st->live_allocs[i])
			return false;
	for (i = 0; i <= DYNASYNC_STRATEGY_MAX; i++)
		if (st->strategy[i].live_frames || st->strategy[i].live_bytes)
			return false;
	return true;
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

/* ---- module parameters ---------------------------------------------- */

/* Writes @val to the parameter; 0 or -errno of open/write. */
static inline int ds_param_write(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), DS_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(val))
		err = -EIO;
	close(fd);
	return err;
}

/* The parameter's value (>= 0), or -errno. */
static inline long ds_param_read(const char *name)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), DS_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

static inline int ds_param_set(const char *name, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", val);
	return ds_param_write(name, buf);
}

/* ---- fault injection ------------------------------------------------ */

#define DS_FAULT_DBG_DIR	"/sys/kernel/debug/dynasync/fault/"

static inline int ds_fault_set(int fd, const struct dynasync_fault_policy *p)
{
	return ds_ioctl(fd, DYNASYNC_IOC_FAULT_SET, (void *)p);
}

/* FAULT_GET into a poisoned @s: fields it does not write show up. */
static inline int ds_fault_get(int fd, struct dynasync_fault_state *s)
{
	memset(s, DS_POISON, sizeof(*s));
	return ds_ioctl(fd, DYNASYNC_IOC_FAULT_GET, s);
}

/* Disarms the file's policy, zeroing its counters when @reset. */
static inline int ds_fault_off(int fd, bool reset)
{
	struct dynasync_fault_policy p;

	memset(&p, 0, sizeof(p));
	p.flags = reset ? DYNASYNC_FAULT_F_RESET_COUNTERS : 0;
	return ds_fault_set(fd, &p);
}

static inline __u64 ds_sum_sites(const __u64 *v)
{
	__u64 sum = 0;
	int i;

	for (i = 0; i < DYNASYNC_SITES; i++)
		sum += v[i];
	return sum;
}

/* The whole text of @path, NUL-terminated: its length, or -errno. */
static inline int ds_read_text(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	buf[got] = 0;
	return (int)got;
}

/* Writes @val to @path in one write(); 0 or -errno. */
static inline int ds_write_text(const char *path, const char *val)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(val))
		err = -EIO;
	close(fd);
	return err;
}

static inline bool ds_dbg_present(void)
{
	return access(DS_FAULT_DBG_DIR "mode", F_OK) == 0;
}

/* Writes @val to the global policy's file @name; 0 or -errno. */
static inline int ds_dbg_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), DS_FAULT_DBG_DIR "%s", name);
	return ds_write_text(path, val);
}

static inline int ds_dbg_set(const char *name, long long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld\n", val);
	return ds_dbg_write(name, buf);
}

/* Parses decimal, 0x hex or a negative decimal; 0 or -EPROTO. */
static inline int ds_parse_num(const char *s, long long *v)
{
	char *end;

	errno = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-')
		*v = strtoll(s, &end, 0);
	else
		*v = (long long)strtoull(s, &end, 0);
	if (errno || end == s || (*end && *end != '\n'))
		return -EPROTO;
	return 0;
}

/* The value a global policy field reads as; 0 or -errno. */
static inline int ds_dbg_get(const char *name, long long *v)
{
	char path[128], buf[64];
	int ret;

	snprintf(path, sizeof(path), DS_FAULT_DBG_DIR "%s", name);
	ret = ds_read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return ds_parse_num(buf, v);
}

/* The "@key N" line of the global "state" file; 0 or -errno. */
static inline int ds_dbg_state(const char *key, long long *v)
{
	char buf[512], *line, *save = NULL;
	size_t klen = strlen(key);
	int ret;

	ret = ds_read_text(DS_FAULT_DBG_DIR "state", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return ds_parse_num(line + klen + 1, v);
	}
	return -ENOENT;
}

/* A site as "counters" names it: its number or its name; -1 if neither. */
static inline int ds_site_index(const char *tok)
{
	static const char *const names[] = {
		"frame", "task", "object", "args", "reserve", "misc",
	};
	long long v;
	size_t i;

	if (!ds_parse_num(tok, &v))
		return v >= 0 && v < DYNASYNC_SITES ? (int)v : -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(tok, names[i]))
			return (int)i;
	return -1;
}

/*
 * The module-wide "counters" file: a header line, then one line per site
 * "<site> <attempted> <injected> <failed>". Fills the arrays (sites not
 * listed stay 0); the number of site lines, or -errno (-EPROTO: a line
 * that does not parse).
 */
static inline int ds_dbg_counters(__u64 *att, __u64 *inj, __u64 *fail)
{
	char buf[2048], tok[32], *line, *save = NULL;
	unsigned long long a, i, f;
	int n = 0, site, ret;

	memset(att, 0, DYNASYNC_SITES * sizeof(*att));
	memset(inj, 0, DYNASYNC_SITES * sizeof(*inj));
	memset(fail, 0, DYNASYNC_SITES * sizeof(*fail));
	ret = ds_read_text(DS_FAULT_DBG_DIR "counters", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	line = strtok_r(buf, "\n", &save);	/* the header */
	if (!line)
		return -EPROTO;
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (sscanf(line, "%31s %llu %llu %llu", tok, &a, &i, &f) != 4)
			return -EPROTO;
		site = ds_site_index(tok);
		if (site < 0)
			return -EPROTO;
		att[site] = a;
		inj[site] = i;
		fail[site] = f;
		n++;
	}
	return n;
}

#endif /* DYNASYNC_SELFTEST_UTIL_H */
