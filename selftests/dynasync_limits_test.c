// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync per-file limits set through the module parameters:
 * max_objects (-EMFILE), max_inflight (-ENOBUFS), max_call_ms (every
 * call's deadline capped), their ranges; the per-file byte limit
 * (max_file_bytes, -EDQUOT), STATS.bytes, the other limits' refusals
 * leaving the file as it was; and memory cgroup accounting of a file's
 * allocations (__GFP_ACCOUNT). Tests that change a module parameter
 * restore it in the fixture teardown.
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

#include <sys/mount.h>
#include <sys/stat.h>

#define U64_MAX		(~0ULL)

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

/* ---- the per-file byte limit ---------------------------------------------- */

#define DS_DEFAULT_FILE_BYTES	(64ULL << 20)
#define DS_MIN_FILE_BYTES	4096ULL
#define DS_MAX_FILE_BYTES	(1ULL << 40)

static const char * const lim_params[] = {
	"max_file_bytes", "max_objects", "max_inflight",
};

/* The file's live bytes (STATS.bytes). */
static long long file_bytes(int fd)
{
	struct dynasync_stats st;
	int ret = ds_stats(fd, &st);

	return ret ? ret : (long long)st.bytes;
}

static int set_file_bytes(unsigned long long v)
{
	return ds_param_set("max_file_bytes", (long)v);
}

/* No allocation of the file was failed, by injection or for real. */
static void expect_no_failures(struct __test_metadata *_metadata, int fd)
{
	struct dynasync_fault_state s;
	int i;

	ASSERT_EQ(0, ds_fault_get(fd, &s));
	for (i = 0; i < DYNASYNC_SITES; i++) {
		EXPECT_EQ(0, s.injected[i]) TH_LOG("site %d", i);
		EXPECT_EQ(0, s.failed[i]) TH_LOG("site %d", i);
	}
}

static struct dynasync_storage reserve_storage(__u32 frames)
{
	struct dynasync_storage s = ds_storage(DYNASYNC_STRATEGY_RESERVE);

	s.reserve_frames = frames;
	return s;
}

FIXTURE(bytes)
{
	struct ds ds;
	long saved[3];
	struct dynasync_storage boxed;
};

FIXTURE_SETUP(bytes)
{
	int i;

	for (i = 0; i < 3; i++) {
		self->saved[i] = ds_param_read(lim_params[i]);
		ASSERT_LT(0, self->saved[i]) TH_LOG("%s", lim_params[i]);
	}
	ASSERT_EQ(0, ds_open(&self->ds, false, true));
	self->boxed = ds_storage(DYNASYNC_STRATEGY_BOXED);
}

FIXTURE_TEARDOWN(bytes)
{
	int i;

	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, ds_param_set(lim_params[i], self->saved[i]));
	/* Every object destroyed, no call left: the file owes nothing. */
	while (self->ds.nh)
		if (ds_destroy(&self->ds, self->ds.h[self->ds.nh - 1]))
			break;
	EXPECT_EQ(0, file_bytes(self->ds.fd));
	ds_teardown(_metadata, &self->ds);
}

TEST_F(bytes, default_and_range)
{
	static const char * const bad[] = {
		"0", "4095", "1099511627777", "18446744073709551615",
		"99999999999999999999", "abc", "-1", "4096x", " ",
	};
	size_t i;

	EXPECT_EQ((long)DS_DEFAULT_FILE_BYTES, self->saved[0]);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, ds_param_write("max_file_bytes", bad[i]))
			TH_LOG("max_file_bytes <- '%s'", bad[i]);
		/* A refused write leaves the value alone. */
		EXPECT_EQ(self->saved[0], ds_param_read("max_file_bytes"));
	}
	EXPECT_EQ(0, ds_param_write("max_file_bytes", "4096"));
	EXPECT_EQ(4096, ds_param_read("max_file_bytes"));
	EXPECT_EQ(0, ds_param_write("max_file_bytes", "1099511627776"));
	EXPECT_EQ((long)DS_MAX_FILE_BYTES, ds_param_read("max_file_bytes"));
}

/*
 * STATS.bytes and .cancelled: out only (ignored on input), reserved[]
 * still checked.
 */
TEST_F(bytes, stats_bytes_field)
{
	struct dynasync_stats st;
	int i;

	memset(&st, 0, sizeof(st));
	st.bytes = 12345;
	st.cancelled = 678;
	ASSERT_EQ(0, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	EXPECT_EQ(0, st.bytes);
	EXPECT_EQ(0, st.cancelled);
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++) {
		memset(&st, 0, sizeof(st));
		st.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st))
			TH_LOG("reserved[%d]", i);
	}
}

/*
 * Objects charge what they hold (a RESERVE pool: at least its elements),
 * calls charge while they run (a suspended ticker's frames, freed by a
 * kworker, give theirs back), and everything returns to 0.
 */
TEST_F(bytes, stats_bytes_follow_objects_and_calls)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage rs = reserve_storage(DYNASYNC_MAX_RESERVE_FRAMES);
	struct dynasync_create c;
	struct ds_async a;
	long long b0, b1, b2, b3;
	int cnt, r, t;

	EXPECT_EQ(0, file_bytes(ds->fd));
	cnt = create_counter(ds, &self->boxed, 0, 10);
	ASSERT_LT(0, cnt);
	b0 = file_bytes(ds->fd);
	EXPECT_LT(0, b0);
	ds_create_req(&c, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER, 0, 0,
		      0, 10, &rs);
	r = ds_create_full(ds, &c);
	ASSERT_LT(0, r);
	ASSERT_LT(0, c.slot_size);
	b1 = file_bytes(ds->fd);
	EXPECT_LE(b0 + (long long)DYNASYNC_MAX_RESERVE_FRAMES * c.slot_size, b1)
		TH_LOG("pool of %u x %u bytes: %lld -> %lld",
		       DYNASYNC_MAX_RESERVE_FRAMES, c.slot_size, b0, b1);
	/* A call that finished gave everything back. */
	expect_item(_metadata, ds, cnt, 0);
	expect_item(_metadata, ds, r, 0);
	EXPECT_EQ(b1, file_bytes(ds->fd));
	/* A suspended call holds its frame. */
	t = create_ticker(ds, &self->boxed, 200 * NSEC_PER_MSEC, 1);
	ASSERT_LT(0, t);
	b2 = file_bytes(ds->fd);
	ds->uring = true;
	ds_async_start(_metadata, ds, &a, t, DYNASYNC_METHOD_NEXT, 0, 0);
	b3 = file_bytes(ds->fd);
	EXPECT_LT(b2, b3);
	EXPECT_EQ(1, ds_async_finish(_metadata, &a));
	ds->uring = false;
	EXPECT_EQ(b2, file_bytes(ds->fd));
	ASSERT_EQ(0, ds_destroy(ds, t));
	EXPECT_EQ(b1, file_bytes(ds->fd));
	ASSERT_EQ(0, ds_destroy(ds, r));
	EXPECT_EQ(b0, file_bytes(ds->fd));
	ASSERT_EQ(0, ds_destroy(ds, cnt));
	EXPECT_EQ(0, file_bytes(ds->fd));
}

/*
 * CREATE of an object whose storage does not fit what is left: -EDQUOT,
 * nothing kept, no allocation failure counted. The limit is exact: the
 * same CREATE with one byte more of budget succeeds. A call on it at that
 * limit needs no new bytes: its bookkeeping is the object's, made at
 * CREATE, and a counter's NEXT makes no frame.
 */
static void create_at_boundary(struct __test_metadata *_metadata,
			       struct ds *ds, const struct dynasync_storage *st)
{
	struct dynasync_create c;
	struct dynasync_stats s0, s1;
	long long before, cost;
	int h;

	/* Measure what one such object costs. */
	before = file_bytes(ds->fd);
	ds_create_req(&c, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER, 0, 0,
		      5, 3, st);
	h = ds_create_full(ds, &c);
	ASSERT_LT(0, h);
	cost = file_bytes(ds->fd) - before;
	ASSERT_EQ(0, ds_destroy(ds, h));
	ASSERT_EQ(before, file_bytes(ds->fd));

	ASSERT_EQ(0, set_file_bytes(before + cost - 1));
	ASSERT_EQ(0, ds_stats(ds->fd, &s0));
	ds_create_req(&c, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER, 0, 0,
		      5, 3, st);
	EXPECT_EQ(-EDQUOT, ds_create_full(ds, &c))
		TH_LOG("strategy %u: cost %lld, limit %lld", st->strategy,
		       cost, before + cost - 1);
	ASSERT_EQ(0, ds_stats(ds->fd, &s1));
	EXPECT_EQ(s0.objects, s1.objects);
	EXPECT_EQ(s0.bytes, s1.bytes);
	expect_no_failures(_metadata, ds->fd);

	ASSERT_EQ(0, set_file_bytes(before + cost));
	ds_create_req(&c, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER, 0, 0,
		      5, 3, st);
	h = ds_create_full(ds, &c);
	ASSERT_LT(0, h);
	EXPECT_EQ(before + cost, file_bytes(ds->fd));
	expect_item(_metadata, ds, h, 5);
	EXPECT_EQ(before + cost, file_bytes(ds->fd));
	expect_no_failures(_metadata, ds->fd);
	ASSERT_EQ(0, set_file_bytes(DS_DEFAULT_FILE_BYTES));
	ASSERT_EQ(0, ds_destroy(ds, h));
}

TEST_F(bytes, create_reserve_edquot_exact)
{
	struct dynasync_storage rs = reserve_storage(DYNASYNC_MAX_RESERVE_FRAMES);

	/* Something else already charged: the limit counts the whole file. */
	ASSERT_LT(0, create_counter(&self->ds, &self->boxed, 0, 1));
	create_at_boundary(_metadata, &self->ds, &rs);
}

TEST_F(bytes, create_inline_edquot_exact)
{
	struct dynasync_storage in = ds_storage(DYNASYNC_STRATEGY_INLINE);

	in.slot_size = DYNASYNC_MAX_SLOT_SIZE;
	create_at_boundary(_metadata, &self->ds, &in);
}

/*
 * A TASK_STACK call whose stack does not fit: -EDQUOT on both paths, with
 * no effect (the iterator does not advance) and no failure counted. The
 * stack comes with the call's first frame: a MAP's NEXT places one; a
 * counter's NEXT is ready at once, places none, and runs under the same
 * limit without charging a byte.
 */
TEST_F(bytes, call_task_stack_edquot)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage ts = ds_storage(DYNASYNC_STRATEGY_TASK_STACK);
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_call_out o;
	struct dynasync_stats s0, s1;
	long long b0;
	int h, ready, path;

	ts.task_stack_size = DYNASYNC_MAX_TASK_STACK;
	h = create_map(ds, &ts, create_counter(ds, &bx, 40, 5), 1, 0);
	ASSERT_LT(0, h);
	ready = create_counter(ds, &ts, 7, 5);
	ASSERT_LT(0, ready);
	b0 = file_bytes(ds->fd);
	ASSERT_EQ(0, set_file_bytes(b0 + DYNASYNC_MAX_TASK_STACK - 1));
	expect_item(_metadata, ds, ready, 7);
	EXPECT_EQ(b0, file_bytes(ds->fd));
	for (path = 0; path < 2; path++) {
		ds->uring = path;
		ASSERT_EQ(0, ds_stats(ds->fd, &s0));
		EXPECT_EQ(-EDQUOT, ds_method(_metadata, ds, h,
					     DYNASYNC_METHOD_NEXT, 0, 0, &o))
			TH_LOG("path %d", path);
		EXPECT_EQ(0, o.injected);
		EXPECT_EQ(0, o.alloc_failed);
		EXPECT_EQ(-EDQUOT, ds_method(_metadata, ds, h,
					     DYNASYNC_METHOD_SUM, 3, 0, &o));
		ASSERT_EQ(0, ds_stats(ds->fd, &s1));
		EXPECT_EQ(s0.objects, s1.objects);
		EXPECT_EQ(b0, s1.bytes);
		EXPECT_EQ(0, s1.inflight);
	}
	ds->uring = false;
	expect_no_failures(_metadata, ds->fd);
	/* Room again: the iterator starts where it was. */
	ASSERT_EQ(0, set_file_bytes(DS_DEFAULT_FILE_BYTES));
	expect_item(_metadata, ds, h, 40);
	EXPECT_EQ(b0, file_bytes(ds->fd));
}

/*
 * A BOXED call: the smallest limit it runs under is found by bisection
 * (bytes charged are deterministic); one byte less is -EDQUOT on both
 * paths, and every refused probe left the counter where it was.
 */
TEST_F(bytes, call_boxed_frame_edquot_exact)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage in = ds_storage(DYNASYNC_STRATEGY_INLINE);
	struct dynasync_call_out o;
	long long b0, lo, hi, mid, frame;
	__u64 next = 100;
	int h, ret, path;

	/* A MAP's NEXT has a frame (a counter's makes none). */
	frame = ds_layout(ds->fd, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_MAP,
			  DYNASYNC_METHOD_NEXT, NULL);
	ASSERT_LT(0, frame);
	/* Ballast, so that every limit probed is a valid one (>= 4096). */
	in.slot_size = DYNASYNC_MAX_SLOT_SIZE;
	ASSERT_LT(0, create_counter(ds, &in, 0, 1));
	h = create_map(ds, &self->boxed,
		       create_counter(ds, &self->boxed, next, 1000), 1, 0);
	ASSERT_LT(0, h);
	b0 = file_bytes(ds->fd);
	ASSERT_LE((long long)DS_MIN_FILE_BYTES, b0);
	/* Invariant: a call runs under hi and not under lo. */
	lo = b0;
	hi = b0 + 65536;
	ASSERT_EQ(0, set_file_bytes(hi));
	ASSERT_EQ(1, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0, 0, &o));
	EXPECT_EQ(next++, o.value);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		ASSERT_EQ(0, set_file_bytes(mid));
		ret = ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
		if (ret == 1) {
			EXPECT_EQ(next++, o.value);
			hi = mid;
		} else {
			ASSERT_EQ(-EDQUOT, ret);
			lo = mid;
		}
		ASSERT_EQ(b0, file_bytes(ds->fd));
	}
	/* The call charges exactly its frame: its bookkeeping is the object's. */
	EXPECT_EQ(frame, hi - b0) TH_LOG("call needs %lld, frame %lld",
					 hi - b0, frame);
	for (path = 0; path < 2; path++) {
		ds->uring = path;
		ASSERT_EQ(0, set_file_bytes(hi - 1));
		EXPECT_EQ(-EDQUOT, ds_method(_metadata, ds, h,
					     DYNASYNC_METHOD_NEXT, 0, 0, &o));
		EXPECT_EQ(0, o.injected);
		EXPECT_EQ(0, o.alloc_failed);
		ASSERT_EQ(0, set_file_bytes(hi));
		EXPECT_EQ(1, ds_method(_metadata, ds, h,
				       DYNASYNC_METHOD_NEXT, 0, 0, &o));
		EXPECT_EQ(next++, o.value);
	}
	ds->uring = false;
	expect_no_failures(_metadata, ds->fd);
}

/* COMPONENTS' new object does not fit: -EDQUOT, no object kept. */
TEST_F(bytes, components_edquot)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage in = ds_storage(DYNASYNC_STRATEGY_INLINE);
	struct dynasync_call_out o;
	struct dynasync_stats s0, s1;
	long long b0;
	int g, path, n;

	in.slot_size = DYNASYNC_MAX_SLOT_SIZE;
	g = create_gadget(ds, &in, 7);
	ASSERT_LT(0, g);
	ASSERT_EQ(0, ds_method(_metadata, ds, g, DYNASYNC_METHOD_AUGMENT,
			       DYNASYNC_COMPONENT_BOLT, 1, &o));
	b0 = file_bytes(ds->fd);
	/* Room for the call's bookkeeping, not for an object with its slot. */
	ASSERT_EQ(0, set_file_bytes(b0 + DYNASYNC_MAX_SLOT_SIZE));
	for (path = 0; path < 2; path++) {
		ds->uring = path;
		ASSERT_EQ(0, ds_stats(ds->fd, &s0));
		EXPECT_EQ(-EDQUOT, ds_method(_metadata, ds, g,
					     DYNASYNC_METHOD_COMPONENTS, 0, 0,
					     &o)) TH_LOG("path %d", path);
		EXPECT_EQ(0, o.handle);
		ASSERT_EQ(0, ds_stats(ds->fd, &s1));
		EXPECT_EQ(s0.objects, s1.objects);
		EXPECT_EQ(b0, s1.bytes);
	}
	ds->uring = false;
	expect_no_failures(_metadata, ds->fd);
	ASSERT_EQ(0, set_file_bytes(DS_DEFAULT_FILE_BYTES));
	n = ds_method(_metadata, ds, g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
	ASSERT_LT(0, n);
	ds_track(ds, n);
	expect_item(_metadata, ds, n, 0);
}

/*
 * A RESERVE object at the limit keeps serving calls from its reserve,
 * which was charged when it was created: no failure, no -EDQUOT.
 */
TEST_F(bytes, reserve_serves_calls_at_the_limit)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage rs = reserve_storage(16);
	struct dynasync_call_out o;
	long long b0;
	int h;

	h = create_counter(ds, &rs, 1, 100);
	ASSERT_LT(0, h);
	b0 = file_bytes(ds->fd);
	/* 16 elements of at least a call's bookkeeping: above the minimum. */
	ASSERT_LE((long long)DS_MIN_FILE_BYTES, b0);
	ASSERT_EQ(0, set_file_bytes(b0));
	expect_item(_metadata, ds, h, 1);
	ds->uring = true;
	expect_item(_metadata, ds, h, 2);
	ds->uring = false;
	ASSERT_EQ(0, ds_method(_metadata, ds, h, DYNASYNC_METHOD_SUM, 3, 0, &o));
	EXPECT_EQ(3 + 4 + 5, o.value);
	EXPECT_EQ(0, o.injected);
	EXPECT_EQ(0, o.alloc_failed);
	EXPECT_EQ(b0, file_bytes(ds->fd));
	expect_no_failures(_metadata, ds->fd);
}

/* The byte budget is per file: another file has its own. */
TEST_F(bytes, per_file)
{
	struct ds other;
	long long b0;
	int h;

	h = create_counter(&self->ds, &self->boxed, 0, 1);
	ASSERT_LT(0, h);
	b0 = file_bytes(self->ds.fd);
	ASSERT_EQ(0, set_file_bytes(b0 + b0 / 2 > 4096 ? b0 + b0 / 2 : 4096));
	ASSERT_EQ(0, ds_open(&other, false, false));
	EXPECT_EQ(0, file_bytes(other.fd));
	EXPECT_LT(0, create_counter(&other, &self->boxed, 0, 1));
	EXPECT_EQ(b0, file_bytes(other.fd));
	EXPECT_EQ(b0, file_bytes(self->ds.fd));
	close(other.fd);
}

/* -EMFILE and -ENOBUFS refusals leave objects and bytes as they were. */
TEST_F(bytes, other_limits_refuse_without_effect)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_stats s0, s1;
	struct ds_async a;
	int t, h;

	ASSERT_EQ(0, ds_param_set("max_objects", 2));
	ASSERT_EQ(0, ds_param_set("max_inflight", 1));
	t = create_ticker(ds, &self->boxed, NSEC_PER_SEC, 1);
	ASSERT_LT(0, t);
	h = create_counter(ds, &self->boxed, 9, 2);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, ds_stats(ds->fd, &s0));
	EXPECT_EQ(-EMFILE, create_counter(ds, &self->boxed, 0, 1));
	ASSERT_EQ(0, ds_stats(ds->fd, &s1));
	EXPECT_EQ(s0.objects, s1.objects);
	EXPECT_EQ(s0.bytes, s1.bytes);
	/* One ticker in flight through io_uring: the in-flight limit. */
	ds->uring = true;
	ds_async_start(_metadata, ds, &a, t, DYNASYNC_METHOD_NEXT, 0, 0);
	ASSERT_EQ(0, ds_stats(ds->fd, &s0));
	EXPECT_EQ(-ENOBUFS, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT,
				      0, 0, &o));
	ds->uring = false;
	EXPECT_EQ(-ENOBUFS, ds_method(_metadata, ds, h, DYNASYNC_METHOD_NEXT,
				      0, 0, &o));
	ASSERT_EQ(0, ds_stats(ds->fd, &s1));
	EXPECT_EQ(s0.bytes, s1.bytes);
	EXPECT_EQ(1, s1.inflight);
	EXPECT_EQ(1, ds_async_finish(_metadata, &a));
	expect_item(_metadata, ds, h, 9);
}

/* ---- memory cgroup ---------------------------------------------------- */

#define CG_ROOT		"/sys/fs/cgroup"

static int cg_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -errno;
}

static int cg_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static long long cg_current(const char *dir)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	if (cg_read(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/* True when cgroup2 is mounted at CG_ROOT (mounting it if need be). */
static bool cg_mounted(bool *we_mounted)
{
	char buf[16];

	*we_mounted = false;
	if (!cg_read(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)))
		return true;
	if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
		return false;
	*we_mounted = true;
	return true;
}

FIXTURE(memcg)
{
	struct ds ds;
	bool mounted;
	bool ready;
	char dir[128];
};

FIXTURE_SETUP(memcg)
{
	char buf[512], procs[160], pid[32];

	self->ds.fd = -1;
	snprintf(self->dir, sizeof(self->dir), CG_ROOT "/dynasync-test-%d",
		 getpid());
	if (!cg_mounted(&self->mounted))
		return;
	if (cg_read(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)) ||
	    !strstr(buf, "memory"))
		return;
	ASSERT_EQ(0, cg_write(CG_ROOT "/cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", self->dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, cg_write(procs, pid));
	self->ready = true;
}

FIXTURE_TEARDOWN(memcg)
{
	char pid[32];

	if (self->ds.fd >= 0)
		ds_teardown(_metadata, &self->ds);
	if (self->ready) {
		snprintf(pid, sizeof(pid), "%d", getpid());
		EXPECT_EQ(0, cg_write(CG_ROOT "/cgroup.procs", pid));
		EXPECT_EQ(0, rmdir(self->dir));
	}
	if (self->mounted)
		umount(CG_ROOT);
}

/*
 * RESERVE pools of a file opened inside a memcg are charged to it: its
 * memory.current grows by at least the pools' elements, and gives most
 * of it back once the file is closed (the per-CPU charge caches keep a
 * few pages, so "most", not "all").
 */
TEST_F(memcg, reserve_pools_charged_to_opener)
{
	struct dynasync_storage rs = reserve_storage(DYNASYNC_MAX_RESERVE_FRAMES);
	struct dynasync_create c;
	long long m0, m1, m2, pool = 0;
	int i;

	if (!self->ready)
		SKIP(return, "no cgroup2 memory controller on this kernel");
	ASSERT_LE(0, m0 = cg_current(self->dir));
	ASSERT_EQ(0, ds_open(&self->ds, false, false));
	for (i = 0; i < 32; i++) {
		ds_create_req(&c, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER,
			      0, 0, i, 1, &rs);
		ASSERT_LT(0, ds_create_full(&self->ds, &c));
		pool += (long long)DYNASYNC_MAX_RESERVE_FRAMES * c.slot_size;
	}
	m1 = cg_current(self->dir);
	TH_LOG("memory.current %lld -> %lld with %lld bytes of pools (file: %lld)",
	       m0, m1, pool, file_bytes(self->ds.fd));
	EXPECT_LE(m0 + pool, m1) TH_LOG("memory.current %lld -> %lld, pools %lld",
				       m0, m1, pool);
	EXPECT_LE(pool, file_bytes(self->ds.fd));
	ds_teardown(_metadata, &self->ds);
	m2 = cg_current(self->dir);
	TH_LOG("memory.current after close: %lld", m2);
	EXPECT_GE(m0 + pool / 4, m2) TH_LOG("after close: %lld (%lld before)",
					    m2, m0);
}

TEST_HARNESS_MAIN
