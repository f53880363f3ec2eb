// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync over io_uring: a ring without SQE128 and unknown cmd_ops
 * refused in their CQE, ready-at-once calls completing in the issue path
 * and suspending ones later, exactly one CQE per submitted call (mixed
 * batches, many in flight, the file closed or the ring torn down with
 * calls in flight: by io_uring_queue_exit, process exit or SIGKILL), and
 * calls that finish at submission through every issue path of 6.1
 * (inline, io-wq, SQPOLL): each posts exactly one CQE with its result and
 * does not fail the request linked after it. Regression: a positive
 * ->uring_cmd return was dropped by io-wq (no CQE ever, the file never
 * released) and failed the links inline.
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

#define U64_MAX		(~0ULL)
#define MS(x)		((__u64)(x) * NSEC_PER_MSEC)
/* How long a test waits for one CQE, in seconds. */
#define WAIT_S		15

/* ======================================================================
 * io_uring specifics and completion semantics.
 * ======================================================================
 */

FIXTURE(ring)
{
	struct ds ds;
	struct dynasync_storage bx;
};

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, ds_open(&self->ds, true, true));
	self->bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
}

FIXTURE_TEARDOWN(ring)
{
	ds_teardown(_metadata, &self->ds);
}

/* Without IORING_SETUP_SQE128 the command area cannot hold the call. */
TEST_F(ring, without_sqe128_cqe_einval)
{
	struct dynasync_call_out o;
	struct dynasync_call c;
	struct io_uring small;
	struct ds_cqe cqe;
	int h;

	h = create_counter(&self->ds, &self->bx, 60, 3);
	ASSERT_LT(0, h);
	ASSERT_EQ(0, io_uring_queue_init(8, &small, 0));
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	/* The first 16 bytes of the call: all the small SQE carries. */
	ASSERT_EQ(0, ds_prep_cmd(&small, self->ds.fd, DYNASYNC_IOC_CALL, &c,
				 16, 77));
	ASSERT_EQ(1, io_uring_submit(&small));
	ASSERT_EQ(0, ds_wait_cqe(&small, &cqe, DS_WAIT_MS));
	EXPECT_EQ(77, cqe.ud);
	EXPECT_EQ(-EINVAL, cqe.res);
	EXPECT_TRUE(ds_ring_idle(&small, 20));
	io_uring_queue_exit(&small);
	/* Nothing ran. */
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	EXPECT_EQ(1, call_ioctl(&self->ds, &c));
	EXPECT_EQ(60, o.value);
}

TEST_F(ring, unknown_cmd_op_enotty)
{
	const __u32 ops[] = {
		0,
		DYNASYNC_IOC_CREATE,
		DYNASYNC_IOC_STATS,
		_IOWR(DYNASYNC_IOC_MAGIC, 0x04, struct dynasync_call),
		_IOW(DYNASYNC_IOC_MAGIC, 0x04, __u64),
		_IOW('x', 0x04, struct dynasync_call),
	};
	__u64 uds[ARRAY_SIZE(ops)];
	struct ds_cqe cqe[ARRAY_SIZE(ops)];
	struct dynasync_call_out o;
	struct dynasync_call c;
	size_t i;
	int h, n;

	h = create_counter(&self->ds, &self->bx, 90, 3);
	ASSERT_LT(0, h);
	c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		uds[i] = 1000 + i;
		ASSERT_EQ(0, ds_prep_cmd(&self->ds.ring, self->ds.fd, ops[i], &c,
					 sizeof(c), uds[i]));
	}
	ASSERT_EQ(ARRAY_SIZE(ops), io_uring_submit(&self->ds.ring));
	n = ds_reap(_metadata, &self->ds.ring, cqe, ARRAY_SIZE(ops));
	ASSERT_EQ(ARRAY_SIZE(ops), n);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		EXPECT_EQ(-ENOTTY, ds_cqe_res(_metadata, cqe, n, uds[i])) {
			TH_LOG("cmd_op %#x", ops[i]);
		}
	}
	expect_item(_metadata, &self->ds, h, 90);
}

/* Ready-at-once calls complete inline: the CQE is there when submit
 * returns, for every strategy.
 */
TEST_F(ring, ready_at_once_completes_in_issue_path)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage st;
	struct dynasync_call_out o;
	struct io_uring_cqe *cqe;
	struct dynasync_call c;
	int s, h, m, g;

	for (s = DYNASYNC_STRATEGY_BOXED; s <= DYNASYNC_STRATEGY_MAX; s++) {
		st = ds_storage(s);
		h = create_counter(ds, &st, 10 * s, 5);
		m = create_map(ds, &st, create_counter(ds, &st, 1, 5), 2, 0);
		g = create_gadget(ds, &st, 0);
		ASSERT_LT(0, h);
		ASSERT_LT(0, m);
		ASSERT_LT(0, g);
		c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 1));
		ASSERT_EQ(0, io_uring_peek_cqe(&ds->ring, &cqe)) {
			TH_LOG("strategy %d: counter NEXT not completed inline", s);
		}
		EXPECT_EQ(1, cqe->user_data);
		EXPECT_EQ(1, cqe->res);
		EXPECT_EQ(10 * s, o.value);
		io_uring_cqe_seen(&ds->ring, cqe);
		c = ds_mkcall(m, DYNASYNC_METHOD_NEXT, 0, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 2));
		ASSERT_EQ(0, io_uring_peek_cqe(&ds->ring, &cqe)) {
			TH_LOG("strategy %d: MAP NEXT not completed inline", s);
		}
		EXPECT_EQ(2, cqe->user_data);
		EXPECT_EQ(1, cqe->res);
		EXPECT_EQ(2, o.value);
		io_uring_cqe_seen(&ds->ring, cqe);
		c = ds_mkcall(h, DYNASYNC_METHOD_SUM, 2, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 3));
		ASSERT_EQ(0, io_uring_peek_cqe(&ds->ring, &cqe)) {
			TH_LOG("strategy %d: SUM not completed inline", s);
		}
		EXPECT_EQ(3, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		EXPECT_EQ(20 * s + 3, o.value);
		io_uring_cqe_seen(&ds->ring, cqe);
		/* COMPONENTS is synchronous. */
		c = ds_mkcall(g, DYNASYNC_METHOD_COMPONENTS, 0, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 4));
		ASSERT_EQ(0, io_uring_peek_cqe(&ds->ring, &cqe)) {
			TH_LOG("strategy %d: COMPONENTS not completed inline", s);
		}
		EXPECT_EQ(4, cqe->user_data);
		EXPECT_LT(0, cqe->res);
		EXPECT_EQ(cqe->res, o.handle);
		if (cqe->res > 0)
			ds_track(ds, cqe->res);
		io_uring_cqe_seen(&ds->ring, cqe);
		EXPECT_TRUE(ds_ring_idle(&ds->ring, 0));
	}
}

/* A suspending call is not completed by submit; it completes once. */
TEST_F(ring, suspending_call_completes_later_once)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct io_uring_cqe *cqe;
	struct dynasync_call c;
	struct dynasync_stats s;
	struct ds_cqe got;
	int t;

	t = create_ticker(ds, &self->bx, MS(200), 1);
	ASSERT_LT(0, t);
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 5));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ds->ring, &cqe));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(1, s.inflight);
	EXPECT_EQ(s.calls, s.completions + 1);
	ASSERT_EQ(0, ds_wait_cqe(&ds->ring, &got, DS_WAIT_MS));
	EXPECT_EQ(5, got.ud);
	EXPECT_EQ(1, got.res);
	EXPECT_EQ(0, o.value);
	EXPECT_EQ(0, o.flags);
	EXPECT_TRUE(ds_ring_idle(&ds->ring, 50));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.inflight);
	EXPECT_EQ(s.calls, s.completions);
}

/*
 * A batch of calls submitted at once (one io_uring_submit), on the
 * objects of struct batch_objs: each SQE's call, its expected result and
 * its out struct.
 */
enum { BATCH_MAX = 16, WANT_HANDLE = INT32_MAX };

struct batch_objs {
	int c1, c2, c3, t1, t2, t3, m, ci, cs, g, g2, gc;
};

struct batch {
	int n;
	__u32 op[BATCH_MAX];
	struct dynasync_call c[BATCH_MAX];
	struct dynasync_call_out o[BATCH_MAX];
	__u64 ud[BATCH_MAX];
	int want[BATCH_MAX];	/* WANT_HANDLE: a new object's handle */
	int res[BATCH_MAX];
};

/*
 * Counters at 10, 20, 30; tickers of 20 ms (3 items), 200 ms (2) and 30 ms
 * (1); a MAP (2x + 1) over a 10 ms ticker; MAPs over counters on a 16-byte
 * inline slot and on a 1-byte task stack (a MAP's NEXT has a frame, a
 * counter's has none); gadgets at 1, 4 and 0.
 */
static void batch_objs_create(struct __test_metadata *_metadata,
			      struct ds *ds, const struct dynasync_storage *bx,
			      struct batch_objs *ob)
{
	struct dynasync_storage tiny = ds_inline_slot(16);
	struct dynasync_storage ts1 = ds_task_stack(1);

	ob->c1 = create_counter(ds, bx, 10, 5);
	ob->c2 = create_counter(ds, bx, 20, 5);
	ob->c3 = create_counter(ds, bx, 30, 5);
	ob->t1 = create_ticker(ds, bx, MS(20), 3);
	ob->t2 = create_ticker(ds, bx, MS(200), 2);
	ob->t3 = create_ticker(ds, bx, MS(30), 1);
	ob->m = create_map(ds, bx, create_ticker(ds, bx, MS(10), 2), 2, 1);
	ob->ci = create_map(ds, &tiny, create_counter(ds, bx, 0, 5), 1, 0);
	ob->cs = create_map(ds, &ts1, create_counter(ds, bx, 0, 5), 1, 0);
	ob->g = create_gadget(ds, bx, 1);
	ob->g2 = create_gadget(ds, bx, 4);
	ob->gc = create_gadget(ds, bx, 0);
	ASSERT_LT(0, ob->c1);
	ASSERT_LT(0, ob->c2);
	ASSERT_LT(0, ob->c3);
	ASSERT_LT(0, ob->t1);
	ASSERT_LT(0, ob->t2);
	ASSERT_LT(0, ob->t3);
	ASSERT_LT(0, ob->m);
	ASSERT_LT(0, ob->ci);
	ASSERT_LT(0, ob->cs);
	ASSERT_LT(0, ob->g);
	ASSERT_LT(0, ob->g2);
	ASSERT_LT(0, ob->gc);
}

/* Appends a call of @method on @h (IOC_CALL unless @op): its index. */
static int batch_add(struct batch *b, __u32 op, __u32 h, __u32 method,
		     __u64 a0, __u64 a1, int want)
{
	int i = b->n++;

	b->op[i] = op ? op : DYNASYNC_IOC_CALL;
	b->c[i] = ds_mkcall(h, method, a0, a1, &b->o[i]);
	b->want[i] = want;
	return i;
}

/*
 * Submits the batch in one io_uring_submit: every SQE completes exactly
 * once with its expected result (a handle: positive, and in the out).
 */
static void batch_run(struct __test_metadata *_metadata, struct ds *ds,
		      struct batch *b)
{
	struct ds_cqe cqe[BATCH_MAX];
	int i, n;

	for (i = 0; i < b->n; i++) {
		b->ud[i] = 0x100 + i;
		ASSERT_EQ(0, ds_prep_cmd(&ds->ring, ds->fd, b->op[i], &b->c[i],
					 sizeof(b->c[i]), b->ud[i]));
	}
	ASSERT_EQ(b->n, io_uring_submit(&ds->ring));
	n = ds_reap(_metadata, &ds->ring, cqe, b->n);
	ASSERT_EQ(b->n, n);
	ds_expect_once(_metadata, cqe, n, b->ud);
	for (i = 0; i < b->n; i++) {
		b->res[i] = ds_cqe_res(_metadata, cqe, n, b->ud[i]);
		if (b->want[i] == WANT_HANDLE) {
			EXPECT_LT(0, b->res[i]);
			EXPECT_EQ(b->res[i], b->o[i].handle);
			if (b->res[i] > 0)
				ds_track(ds, b->res[i]);
			continue;
		}
		EXPECT_EQ(b->want[i], b->res[i]) {
			TH_LOG("SQE %d", i);
		}
	}
}

/* The indexes of the successful calls' SQEs. */
struct batch_ok {
	int next, sum, map, augment, transmit, components, ticker_sum;
};

/*
 * Calls that succeed: ready at once (a counter's NEXT and SUM, AUGMENT,
 * TRANSMIT, COMPONENTS) and suspending (a MAP over a ticker, a ticker's
 * SUM past its end).
 */
static void batch_add_successes(struct batch *b, const struct batch_objs *ob,
				struct batch_ok *k)
{
	k->next = batch_add(b, 0, ob->c1, DYNASYNC_METHOD_NEXT, 0, 0, 1);
	k->sum = batch_add(b, 0, ob->c2, DYNASYNC_METHOD_SUM, 3, 0, 0);
	k->map = batch_add(b, 0, ob->m, DYNASYNC_METHOD_NEXT, 0, 0, 1);
	k->augment = batch_add(b, 0, ob->g, DYNASYNC_METHOD_AUGMENT,
			       DYNASYNC_COMPONENT_GEAR, 2, 0);
	k->transmit = batch_add(b, 0, ob->g2, DYNASYNC_METHOD_TRANSMIT, 0, 0, 0);
	k->components = batch_add(b, 0, ob->gc, DYNASYNC_METHOD_COMPONENTS, 0,
				  0, WANT_HANDLE);
	k->ticker_sum = batch_add(b, 0, ob->t3, DYNASYNC_METHOD_SUM, 5, 0, 0);
}

/* Their values; the transmitted gadget went to the sink. */
static void batch_check_successes(struct __test_metadata *_metadata,
				  struct ds *ds, const struct batch *b,
				  const struct batch_objs *ob,
				  const struct batch_ok *k)
{
	struct dynasync_stats s;

	ds_untrack(ds, ob->g2);
	EXPECT_EQ(10, b->o[k->next].value);
	EXPECT_EQ(20 + 21 + 22, b->o[k->sum].value);
	EXPECT_EQ(1, b->o[k->map].value);
	EXPECT_EQ(1 + 3 * 2 + 1, b->o[k->augment].value);
	EXPECT_EQ(4, b->o[k->transmit].value);
	EXPECT_EQ(0, b->o[k->ticker_sum].value);
	expect_item(_metadata, ds, ob->c2, 23);
	EXPECT_EQ(-ENOENT, ds_destroy(ds, ob->g2));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(4, s.sink_total);
	EXPECT_EQ(1, s.sink_deliveries);
}

/*
 * Every errno a call can get: -EBUSY (the same ticker in flight from the
 * SQE before, which yields its first item), -ETIMEDOUT, -ENOENT, -EINVAL,
 * -EFAULT (an unmapped out), -E2BIG, -ENOSPC, -ENOTTY (an unknown
 * cmd_op). The index of the busy ticker's first NEXT.
 */
static int batch_add_errnos(struct batch *b, const struct batch_objs *ob)
{
	int first, i;

	first = batch_add(b, 0, ob->t1, DYNASYNC_METHOD_NEXT, 0, 0, 1);
	batch_add(b, 0, ob->t1, DYNASYNC_METHOD_NEXT, 0, 0, -EBUSY);
	i = batch_add(b, 0, ob->t2, DYNASYNC_METHOD_NEXT, 0, 0, -ETIMEDOUT);
	b->c[i].deadline_ns = MS(2);
	batch_add(b, 0, 0x7ffffff0, DYNASYNC_METHOD_NEXT, 0, 0, -ENOENT);
	batch_add(b, 0, ob->c1, DYNASYNC_METHOD_AUGMENT, 1, 1, -EINVAL);
	i = batch_add(b, 0, ob->c3, DYNASYNC_METHOD_NEXT, 0, 0, -EFAULT);
	b->c[i].out_ptr = (__u64)(uintptr_t)ds_unmapped_page();
	batch_add(b, 0, ob->ci, DYNASYNC_METHOD_NEXT, 0, 0, -E2BIG);
	batch_add(b, 0, ob->cs, DYNASYNC_METHOD_NEXT, 0, 0, -ENOSPC);
	batch_add(b, DYNASYNC_IOC_STATS, ob->c2, DYNASYNC_METHOD_NEXT, 0, 0,
		  -ENOTTY);
	return first;
}

/* The failed calls advanced nothing. */
static void batch_check_errnos(struct __test_metadata *_metadata,
			       struct ds *ds, const struct batch *b,
			       const struct batch_objs *ob, int first)
{
	EXPECT_EQ(0, b->o[first].value);
	expect_item(_metadata, ds, ob->c3, 30);
	expect_item(_metadata, ds, ob->t2, 0);
	expect_item(_metadata, ds, ob->t1, 1);
}

static void batch_check_drained(struct __test_metadata *_metadata,
				struct ds *ds)
{
	struct dynasync_stats s;

	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.inflight);
	EXPECT_EQ(s.calls, s.completions);
}

/* Successful calls of every kind in one batch, each CQE once. */
TEST_F(ring, batch_of_successes_exactly_once)
{
	struct batch_objs ob;
	struct batch b = { 0 };
	struct batch_ok k;

	batch_objs_create(_metadata, &self->ds, &self->bx, &ob);
	batch_add_successes(&b, &ob, &k);
	batch_run(_metadata, &self->ds, &b);
	batch_check_successes(_metadata, &self->ds, &b, &ob, &k);
	batch_check_drained(_metadata, &self->ds);
}

/* Every errno in one batch, each CQE once, nothing advanced. */
TEST_F(ring, batch_of_errnos_exactly_once)
{
	struct batch_objs ob;
	struct batch b = { 0 };
	int first;

	batch_objs_create(_metadata, &self->ds, &self->bx, &ob);
	first = batch_add_errnos(&b, &ob);
	batch_run(_metadata, &self->ds, &b);
	batch_check_errnos(_metadata, &self->ds, &b, &ob, first);
	/* Neither the -EINVAL nor the -ENOTTY call touched its counter. */
	expect_item(_metadata, &self->ds, ob.c1, 10);
	expect_item(_metadata, &self->ds, ob.c2, 20);
	batch_check_drained(_metadata, &self->ds);
}

/* One batch: success and every errno a call can get, each CQE once. */
TEST_F(ring, mixed_batch_exactly_once)
{
	struct batch_objs ob;
	struct batch b = { 0 };
	struct batch_ok k;
	int first;

	batch_objs_create(_metadata, &self->ds, &self->bx, &ob);
	batch_add_successes(&b, &ob, &k);
	first = batch_add_errnos(&b, &ob);
	ASSERT_EQ(BATCH_MAX, b.n);
	batch_run(_metadata, &self->ds, &b);
	batch_check_errnos(_metadata, &self->ds, &b, &ob, first);
	batch_check_successes(_metadata, &self->ds, &b, &ob, &k);
	batch_check_drained(_metadata, &self->ds);
}

/* Many calls in flight at once: each completes once, with its item. */
TEST_F(ring, many_inflight_exactly_once)
{
	enum { N = 48 };
	struct dynasync_call_out o[N];
	struct ds *ds = &self->ds;
	struct dynasync_call c;
	struct ds_cqe cqe[N];
	__u64 uds[N];
	int t[N], i, n;

	for (i = 0; i < N; i++) {
		t[i] = create_ticker(ds, &self->bx, MS(300), 2);
		ASSERT_LT(0, t[i]);
		c = ds_mkcall(t[i], DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
		uds[i] = 0x5000 + i;
		ASSERT_EQ(0, ds_prep_call(&ds->ring, ds->fd, &c, uds[i]));
	}
	ASSERT_EQ(N, io_uring_submit(&ds->ring));
	EXPECT_EQ(0, ds_wait_inflight(ds->fd, N, 200));
	n = ds_reap(_metadata, &ds->ring, cqe, N);
	ASSERT_EQ(N, n);
	ds_expect_once(_metadata, cqe, n, uds);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(1, ds_cqe_res(_metadata, cqe, n, uds[i]));
		EXPECT_EQ(0, o[i].value);
		EXPECT_EQ(0, o[i].flags);
	}
}

/* The device file closed with calls in flight: every CQE still arrives,
 * once, with the right values; then everything is freed.
 */
TEST_F(ring, close_with_calls_in_flight)
{
	enum { N = 7 };
	struct dynasync_storage bx = self->bx;
	struct dynasync_call_out o[N];
	struct dynasync_call c[N];
	struct ds_cqe cqe[N];
	const __u64 val[N] = { 0, 0, 0, 0, 4, 5, 0 + 1 + 2 };
	const int want[N] = { 1, 1, 1, 1, 1, 1, 0 };
	__u64 uds[N];
	struct ds d;
	int h[N], i, n;

	ASSERT_EQ(0, ds_open(&d, true, true));
	for (i = 0; i < 4; i++)
		h[i] = create_ticker(&d, &bx, MS(80 * (i + 1)), 2);
	h[4] = create_map(&d, &bx, create_ticker(&d, &bx, MS(50), 1), 3, 4);
	h[5] = create_counter(&d, &bx, 5, 1);
	h[6] = create_ticker(&d, &bx, MS(30), 3);
	for (i = 0; i < N; i++) {
		ASSERT_LT(0, h[i]);
		c[i] = ds_mkcall(h[i], i == 6 ? DYNASYNC_METHOD_SUM :
				 DYNASYNC_METHOD_NEXT, i == 6 ? 10 : 0, 0, &o[i]);
		uds[i] = 0x900 + i;
		ASSERT_EQ(0, ds_prep_call(&d.ring, d.fd, &c[i], uds[i]));
	}
	ASSERT_EQ(N, io_uring_submit(&d.ring));
	ASSERT_EQ(0, close(d.fd));
	n = ds_reap(_metadata, &d.ring, cqe, N);
	ASSERT_EQ(N, n);
	ds_expect_once(_metadata, cqe, n, uds);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(want[i], ds_cqe_res(_metadata, cqe, n, uds[i])) {
			TH_LOG("call %d", i);
		}
		EXPECT_EQ(val[i], o[i].value) {
			TH_LOG("call %d", i);
		}
	}
	io_uring_queue_exit(&d.ring);
	/* The file's objects went with its release. */
	EXPECT_EQ(0, ds_wait_quiescent(_metadata, self->ds.fd, DS_QUIESCE_MS));
}

/* The ring torn down (this process lives on, the file stays open):
 * every call still completes once, as this file's STATS show. Without
 * DYNASYNC_VERSION_F_URING_CANCEL (6.1) the calls run to completion;
 * with it (6.12) they are cancelled (dynasync_cancel_test has the rest).
 */
TEST_F(ring, ring_exit_with_calls_in_flight)
{
	enum { N = 6 };
	struct ds *ds = &self->ds;
	struct dynasync_call_out o[N];
	struct dynasync_call c;
	struct dynasync_stats s;
	int t[N], i;

	for (i = 0; i < N; i++) {
		t[i] = create_ticker(ds, &self->bx, MS(100 + 20 * i), 2);
		ASSERT_LT(0, t[i]);
		c = ds_mkcall(t[i], DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
		ASSERT_EQ(0, ds_prep_call(&ds->ring, ds->fd, &c, i + 1));
	}
	ASSERT_EQ(N, io_uring_submit(&ds->ring));
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, N, 100));
	io_uring_queue_exit(&ds->ring);
	ds->ring_up = false;
	ds->uring = false;
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, 0, DS_QUIESCE_MS));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(N, s.calls);
	EXPECT_EQ(N, s.completions);
	if (ds_uring_cancel()) {
		/* Cancelled: no ticker advanced. */
		EXPECT_EQ(N, s.cancelled);
		for (i = 0; i < N; i++)
			expect_item(_metadata, ds, t[i], 0);
		return;
	}
	/* The calls ran: each ticker is at its second item. */
	EXPECT_EQ(0, s.cancelled);
	for (i = 0; i < N; i++)
		expect_item(_metadata, ds, t[i], 1);
}

enum leave_how { LEAVE_EXIT, LEAVE_QUEUE_EXIT, LEAVE_SIGKILL };

/*
 * Child side: open the device, put calls in flight on a SQE128 ring
 * (their out structs in this process' memory), then leave without
 * reaping. Exit status 0: the calls were in flight (and accounted).
 */
static void child_leave_inflight(enum leave_how how, int wfd)
{
	static struct dynasync_call_out out[8];
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_stats s;
	struct dynasync_call c;
	struct ds d;
	int h, i;

	if (ds_open(&d, true, true))
		_exit(10);
	for (i = 0; i < 5; i++) {
		h = create_ticker(&d, &bx, MS(150), 2);
		if (i == 4)
			h = create_map(&d, &bx, h, 2, 2);
		if (h <= 0)
			_exit(11);
		c = ds_mkcall(h, i == 3 ? DYNASYNC_METHOD_SUM :
			      DYNASYNC_METHOD_NEXT, i == 3 ? 2 : 0, 0, &out[i]);
		if (ds_prep_call(&d.ring, d.fd, &c, i + 1))
			_exit(12);
	}
	if (io_uring_submit(&d.ring) != 5)
		_exit(13);
	if (ds_wait_inflight(d.fd, 5, 100))
		_exit(14);
	if (ds_stats(d.fd, &s) ||
	    s.strategy[DYNASYNC_STRATEGY_BOXED].live_frames < 5)
		_exit(15);
	switch (how) {
	case LEAVE_EXIT:
		_exit(0);
	case LEAVE_QUEUE_EXIT:
		io_uring_queue_exit(&d.ring);
		close(d.fd);
		_exit(0);
	case LEAVE_SIGKILL:
		if (write(wfd, "k", 1) != 1)
			_exit(16);
		for (;;)
			pause();
	}
	_exit(17);
}

static void ring_torn_down(struct __test_metadata *_metadata, int fd,
			   enum leave_how how)
{
	int status, p[2];
	pid_t pid;
	char b;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		child_leave_inflight(how, p[1]);
	}
	close(p[1]);
	if (how == LEAVE_SIGKILL) {
		EXPECT_EQ(1, read(p[0], &b, 1));
		EXPECT_EQ(0, kill(pid, SIGKILL));
	}
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (how == LEAVE_SIGKILL) {
		ASSERT_TRUE(WIFSIGNALED(status));
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
	} else {
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	/* Module-wide: every frame, task and object of the child is freed. */
	EXPECT_EQ(0, ds_wait_quiescent(_metadata, fd, DS_QUIESCE_MS));
}

TEST_F(ring, ring_torn_down_by_process_exit)
{
	ring_torn_down(_metadata, self->ds.fd, LEAVE_EXIT);
}

TEST_F(ring, ring_torn_down_by_queue_exit_and_close)
{
	ring_torn_down(_metadata, self->ds.fd, LEAVE_QUEUE_EXIT);
}

TEST_F(ring, ring_torn_down_by_sigkill)
{
	ring_torn_down(_metadata, self->ds.fd, LEAVE_SIGKILL);
}

/* ======================================================================
 * Calls that finish at submission, through every issue path.
 * ======================================================================
 */

FIXTURE(inline_cqe)
{
	int fd;
	struct io_uring ring;
};

FIXTURE_VARIANT(inline_cqe)
{
	unsigned int sqe_flags;
	unsigned int setup_flags;
};

FIXTURE_VARIANT_ADD(inline_cqe, inline) { .sqe_flags = 0, .setup_flags = 0 };
FIXTURE_VARIANT_ADD(inline_cqe, iowq) { .sqe_flags = IOSQE_ASYNC, .setup_flags = 0 };
FIXTURE_VARIANT_ADD(inline_cqe, sqpoll) { .sqe_flags = 0, .setup_flags = IORING_SETUP_SQPOLL };
FIXTURE_VARIANT_ADD(inline_cqe, sqpoll_iowq) {
	.sqe_flags = IOSQE_ASYNC, .setup_flags = IORING_SETUP_SQPOLL
};

FIXTURE_SETUP(inline_cqe)
{
	struct io_uring_params p;

	self->fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQE128 | variant->setup_flags;
	p.sq_thread_idle = 50;
	ASSERT_EQ(0, io_uring_queue_init_params(8, &self->ring, &p));
}

FIXTURE_TEARDOWN(inline_cqe)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
}

static void prep_call(struct io_uring_sqe *sqe, int fd, const struct dynasync_call *c,
		      unsigned int flags, __u64 ud)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = DYNASYNC_IOC_CALL;
	memset(sqe->cmd, 0, 80);
	memcpy(sqe->cmd, c, sizeof(*c));
	sqe->flags |= flags;
	io_uring_sqe_set_data64(sqe, ud);
}

/* Waits for the CQE of @ud (the only one outstanding): its res, or -ETIME. */
static int reap_one(struct __test_metadata *_metadata, struct io_uring *ring, __u64 ud)
{
	struct __kernel_timespec ts = { .tv_sec = WAIT_S };
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_wait_cqe_timeout(ring, &cqe, &ts))
		return -ETIME;
	EXPECT_EQ(ud, cqe->user_data);
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/* One call, submitted alone: its CQE's res. */
static int one_call(struct __test_metadata *_metadata, struct _test_data_inline_cqe *self,
		    const struct _fixture_variant_inline_cqe *variant, struct dynasync_call *c,
		    struct dynasync_call_out *out)
{
	static __u64 ud = 100;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);
	struct io_uring_cqe *cqe;
	int res;

	if (!sqe)
		return -EBUSY;
	memset(out, DS_POISON, sizeof(*out));
	c->out_ptr = (__u64)(uintptr_t)out;
	prep_call(sqe, self->fd, c, variant->sqe_flags, ++ud);
	/*
	 * With SQPOLL, io_uring_submit() counts the SQ ring's unconsumed
	 * entries: the poller commits the head after its batch, which can be
	 * after an io-wq worker already posted the previous call's CQE, so
	 * that entry may still be counted. Exactly one CQE is checked below.
	 */
	EXPECT_LE(1, io_uring_submit(&self->ring));
	res = reap_one(_metadata, &self->ring, ud);
	/* Exactly once: nothing more arrives. */
	EXPECT_NE(0, io_uring_peek_cqe(&self->ring, &cqe));
	return res;
}

static __u32 create(struct __test_metadata *_metadata, int fd, __u32 trait, __u32 impl,
		    __u64 p0, __u64 p1)
{
	struct dynasync_create c;

	memset(&c, 0, sizeof(c));
	c.trait = trait;
	c.impl = impl;
	c.param[0] = p0;
	c.param[1] = p1;
	c.storage = ds_storage(DYNASYNC_STRATEGY_BOXED);
	EXPECT_EQ(0, ds_ioctl(fd, DYNASYNC_IOC_CREATE, &c));
	return c.handle;
}

TEST_F(inline_cqe, next_positive_result_posts_one_cqe)
{
	struct dynasync_call_out out;
	struct dynasync_call c;
	__u32 h = create(_metadata, self->fd, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER,
			 5, 2);

	ASSERT_NE(0, h);
	memset(&c, 0, sizeof(c));
	c.handle = h;
	c.method = DYNASYNC_METHOD_NEXT;
	EXPECT_EQ(1, one_call(_metadata, self, variant, &c, &out));
	EXPECT_EQ(5, out.value);
	EXPECT_EQ(1, one_call(_metadata, self, variant, &c, &out));
	EXPECT_EQ(6, out.value);
	EXPECT_EQ(0, one_call(_metadata, self, variant, &c, &out));
	EXPECT_EQ(DYNASYNC_OUT_F_END, out.flags);
	/* A refused call (bad argument) takes the same path. */
	c.arg[0] = 1;
	EXPECT_EQ(-EINVAL, one_call(_metadata, self, variant, &c, &out));
}

TEST_F(inline_cqe, components_handle_posts_one_cqe)
{
	struct dynasync_destroy d;
	struct dynasync_call_out out;
	struct dynasync_call c;
	__u32 w = create(_metadata, self->fd, DYNASYNC_TRAIT_WIDGET, DYNASYNC_IMPL_GADGET, 0, 0);
	int res;

	ASSERT_NE(0, w);
	memset(&c, 0, sizeof(c));
	c.handle = w;
	c.method = DYNASYNC_METHOD_COMPONENTS;
	res = one_call(_metadata, self, variant, &c, &out);
	ASSERT_LT(0, res);
	EXPECT_EQ((__u32)res, out.handle);
	memset(&d, 0, sizeof(d));
	d.handle = res;
	EXPECT_EQ(0, ds_ioctl(self->fd, DYNASYNC_IOC_DESTROY, &d));
}

TEST_F(inline_cqe, success_does_not_fail_the_linked_request)
{
	struct dynasync_call c;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	__u32 h = create(_metadata, self->fd, DYNASYNC_TRAIT_ITERATOR, DYNASYNC_IMPL_COUNTER,
			 0, 4);
	int i, seen = 0;

	ASSERT_NE(0, h);
	memset(&c, 0, sizeof(c));
	c.handle = h;
	c.method = DYNASYNC_METHOD_NEXT;
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	prep_call(sqe, self->fd, &c, variant->sqe_flags | IOSQE_IO_LINK, 1);
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, 2);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	for (i = 0; i < 2; i++) {
		struct __kernel_timespec ts = { .tv_sec = WAIT_S };

		ASSERT_EQ(0, io_uring_wait_cqe_timeout(&self->ring, &cqe, &ts));
		if (cqe->user_data == 1) {
			EXPECT_EQ(1, cqe->res);	/* NEXT: an item */
		} else {
			EXPECT_EQ(0, cqe->res);	/* the NOP ran, not -ECANCELED */
		}
		seen |= 1 << cqe->user_data;
		io_uring_cqe_seen(&self->ring, cqe);
	}
	EXPECT_EQ(6, seen);
}

TEST_HARNESS_MAIN
