// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring CALLs that finish at submission (a COUNTER's NEXT, COMPONENTS,
 * a refused call) through every issue path of 6.1: inline, io-wq
 * (IOSQE_ASYNC) and SQPOLL. Each must post exactly one CQE with the
 * call's result (positive ones included: NEXT's 1, the COMPONENTS
 * handle), and a successful call must not fail the request linked after
 * it. Regression: a positive ->uring_cmd return was dropped by io-wq (no
 * CQE ever, the file never released) and failed the links inline.
 */
#include "kselftest_harness.h"
#include "dynasync_util.h"

#define WAIT_S	15

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
