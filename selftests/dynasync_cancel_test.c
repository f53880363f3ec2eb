// SPDX-License-Identifier: GPL-2.0
/*
 * Cancellation of io_uring calls (uapi/dynasync.h, "Cancellation").
 *
 * With DYNASYNC_VERSION_F_URING_CANCEL (a module built for 6.7+; 6.12
 * here) a suspended call is cancelled at once when its ring is torn down
 * (io_uring_queue_exit, or the exit or SIGKILL of the process that held
 * the ring): -ECANCELED exactly once (STATS.cancelled), frames destroyed,
 * an iterator not advanced, a linked call that was never issued without
 * effect. Those tests SKIP without the flag (6.1, where a torn-down ring
 * waits for its calls: dynasync_uring_test's ring_exit_with_calls_in_flight
 * checks that). On both kernels: IORING_OP_ASYNC_CANCEL and
 * IORING_REGISTER_SYNC_CANCEL never reach a URING_CMD (-ENOENT, the call
 * runs on), and teardown racing with completions and deadlines still
 * reports every call exactly once and leaks nothing.
 */
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "dynasync_util.h"

#define MS(x) ((__u64)(x) * NSEC_PER_MSEC)

#define NEED_URING_CANCEL()						\
	do {								\
		if (!ds_uring_cancel())					\
			SKIP(return, "no DYNASYNC_VERSION_F_URING_CANCEL: " \
			     "this kernel does not cancel URING_CMDs");	\
	} while (0)

/* A small deterministic PRNG (xorshift32). */
static __u32 ds_rand(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Queues a call's SQE (not submitted) and returns it, for its flags. */
static struct io_uring_sqe *prep_call_sqe(struct io_uring *ring, int fd,
					  const struct dynasync_call *c, __u64 ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return NULL;
	memset(sqe, 0, 128);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = DYNASYNC_IOC_CALL;
	memcpy((char *)sqe + offsetof(struct io_uring_sqe, cmd), c, sizeof(*c));
	io_uring_sqe_set_data64(sqe, ud);
	return sqe;
}

FIXTURE(cancel) {
	struct ds ds;
};

FIXTURE_SETUP(cancel)
{
	ASSERT_EQ(0, ds_open(&self->ds, true, true));
}

FIXTURE_TEARDOWN(cancel)
{
	ds_teardown(_metadata, &self->ds);
}

/* The flag says what the kernel the module was built for can do. */
TEST(version_flag_matches_the_kernel)
{
	struct utsname u;
	int major = 0, minor = 0;
	__u32 flags = ds_version_flags();

	ASSERT_EQ(0, uname(&u));
	ASSERT_EQ(2, sscanf(u.release, "%d.%d", &major, &minor));
	EXPECT_TRUE(flags & DYNASYNC_VERSION_F_ASYNC);
	EXPECT_EQ(major > 6 || (major == 6 && minor >= 7),
		  !!(flags & DYNASYNC_VERSION_F_URING_CANCEL)) {
		TH_LOG("kernel %s, VERSION flags %#x", u.release, flags);
	}
	EXPECT_EQ(0, flags & ~(DYNASYNC_VERSION_F_ASYNC |
			       DYNASYNC_VERSION_F_URING_CANCEL));
}

/*
 * IORING_OP_ASYNC_CANCEL by user_data looks in io-wq, poll, waitid, futex
 * and timeouts, never at a URING_CMD: -ENOENT (with IORING_ASYNC_CANCEL_ANY:
 * 0, the number it cancelled), and the call completes normally, once. The
 * same on 6.1 and 6.12.
 */
TEST_F(cancel, async_cancel_does_not_reach_a_uring_cmd)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_call_out o;
	struct dynasync_call c;
	struct dynasync_stats s;
	struct io_uring_sqe *sqe;
	struct ds_cqe cqe[3];
	const __u64 uds[3] = { 0x51, 0x52, 0x53 };
	int t, n;

	t = create_ticker(ds, &bx, MS(300), 2);
	ASSERT_LT(0, t);
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, uds[0]));
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, 1, 2000));
	sqe = io_uring_get_sqe(&ds->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_cancel64(sqe, uds[0], 0);
	io_uring_sqe_set_data64(sqe, uds[1]);
	sqe = io_uring_get_sqe(&ds->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
	io_uring_sqe_set_data64(sqe, uds[2]);
	ASSERT_EQ(2, io_uring_submit(&ds->ring));
	n = ds_reap(_metadata, &ds->ring, cqe, 3);
	ASSERT_EQ(3, n);
	ds_expect_once(_metadata, cqe, n, uds);
	EXPECT_EQ(-ENOENT, ds_cqe_res(_metadata, cqe, n, uds[1]));
	/* With ANY (or ALL) the result is the number cancelled: 0. */
	EXPECT_EQ(0, ds_cqe_res(_metadata, cqe, n, uds[2]));
	EXPECT_EQ(1, ds_cqe_res(_metadata, cqe, n, uds[0]));
	EXPECT_EQ(0, o.value);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(0, s.cancelled);
	/* The call ran: the ticker is at its second item. */
	expect_item(_metadata, ds, t, 1);
}

/* The synchronous variant (io_uring_register IORING_REGISTER_SYNC_CANCEL). */
TEST_F(cancel, sync_cancel_does_not_reach_a_uring_cmd)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct io_uring_sync_cancel_reg reg;
	struct dynasync_call_out o;
	struct dynasync_call c;
	struct ds_cqe cqe;
	int t;

	t = create_ticker(ds, &bx, MS(300), 2);
	ASSERT_LT(0, t);
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, &o);
	ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 0x61));
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, 1, 2000));
	memset(&reg, 0, sizeof(reg));
	reg.addr = 0x61;
	reg.timeout.tv_sec = -1;
	reg.timeout.tv_nsec = -1;
	EXPECT_EQ(-ENOENT, io_uring_register_sync_cancel(&ds->ring, &reg));
	ASSERT_EQ(0, ds_wait_cqe(&ds->ring, &cqe, DS_WAIT_MS));
	EXPECT_EQ(0x61, cqe.ud);
	EXPECT_EQ(1, cqe.res);
	EXPECT_TRUE(ds_ring_idle(&ds->ring, 20));
}

/* Polls STATS until nothing is in flight: the time it took, or ~0 on timeout. */
static __u64 ds_time_to_idle(int fd, unsigned int ms)
{
	__u64 t0 = ds_now_ns();

	if (ds_wait_inflight(fd, 0, ms))
		return ~0ULL;
	return ds_now_ns() - t0;
}

/*
 * The ring torn down with suspended calls on every strategy: each is
 * cancelled at once (a SUM over a 1 s ticker that would run into its 10 s
 * deadline included), -ECANCELED once each, its output written (this
 * process lives), no iterator advanced, nothing left allocated.
 */
TEST_F(cancel, ring_teardown_cancels_every_strategy_at_once)
{
	enum { NS = DYNASYNC_STRATEGY_MAX, N = 2 * NS + 1 };
	struct ds *ds = &self->ds;
	struct dynasync_call_out o[N];
	struct dynasync_storage st;
	struct dynasync_call c;
	struct dynasync_stats s;
	int h[N], i;
	__u64 dt;

	NEED_URING_CANCEL();
	for (i = 0; i < NS; i++) {
		st = ds_storage(DYNASYNC_STRATEGY_BOXED + i);
		h[2 * i] = create_ticker(ds, &st, MS(400), 3);
		h[2 * i + 1] = create_ticker(ds, &st, NSEC_PER_SEC, 1000);
	}
	st = ds_storage(DYNASYNC_STRATEGY_BOXED);
	h[N - 1] = create_map(ds, &st, create_ticker(ds, &st, MS(400), 3), 2, 5);
	for (i = 0; i < N; i++) {
		struct io_uring_sqe *sqe;

		ASSERT_LT(0, h[i]);
		c = ds_mkcall(h[i], i % 2 ? DYNASYNC_METHOD_SUM :
			      DYNASYNC_METHOD_NEXT, i % 2 ? 1000 : 0, 0, &o[i]);
		sqe = prep_call_sqe(&ds->ring, ds->fd, &c, i + 1);
		ASSERT_NE(NULL, sqe);
		/* Some issued by io-wq: marked cancelable from there. */
		if (i % 4 >= 2)
			sqe->flags |= IOSQE_ASYNC;
	}
	ASSERT_EQ(N, io_uring_submit(&ds->ring));
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, N, 2000));
	io_uring_queue_exit(&ds->ring);
	ds->ring_up = false;
	ds->uring = false;
	dt = ds_time_to_idle(ds->fd, DS_WAIT_MS);
	TH_LOG("%d calls cancelled in %llu us", N, (unsigned long long)dt / 1000);
	/*
	 * Without cancellation the SUMs would run into their 10 s deadline
	 * (the NEXTs' 400 ms would advance their tickers: checked below).
	 * Loose: TCG on a shared machine.
	 */
	EXPECT_GT(MS(5000), dt);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(N, s.calls);
	EXPECT_EQ(N, s.completions);
	EXPECT_EQ(N, s.cancelled);
	for (i = 0; i < N; i++) {
		/* Written in this process: zeroed, never the poison. */
		EXPECT_EQ(0, o[i].value);
		EXPECT_EQ(0, o[i].flags);
	}
	/* No iterator advanced (the map yields 0 * 2 + 5 first). */
	for (i = 0; i < N; i += 2)
		expect_item(_metadata, ds, h[i], i == N - 1 ? 5 : 0);
}

/*
 * The same on a IORING_SETUP_DEFER_TASKRUN ring: the cancelled calls'
 * completions are queued as the ring's local task work, which the exit
 * work must move to its fallback inside its cancel loop (upstream
 * da579f05ef0f, "io_uring: move local task_work in exit cancel loop";
 * without it the exit work spins).
 */
TEST_F(cancel, defer_taskrun_ring_teardown_cancels)
{
	enum { N = 4 };
	struct ds *ds = &self->ds;
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_call_out o[N];
	struct dynasync_call c;
	struct dynasync_stats s;
	struct io_uring dr;
	int h[N], i;

	NEED_URING_CANCEL();
	ASSERT_EQ(0, io_uring_queue_init(8, &dr, IORING_SETUP_SQE128 |
					 IORING_SETUP_SINGLE_ISSUER |
					 IORING_SETUP_DEFER_TASKRUN));
	for (i = 0; i < N; i++) {
		h[i] = create_ticker(ds, &bx, NSEC_PER_SEC, 3);
		ASSERT_LT(0, h[i]);
		c = ds_mkcall(h[i], i % 2 ? DYNASYNC_METHOD_SUM :
			      DYNASYNC_METHOD_NEXT, i % 2 ? 1000 : 0, 0, &o[i]);
		ASSERT_EQ(0, ds_prep_call(&dr, ds->fd, &c, i + 1));
	}
	ASSERT_EQ(N, io_uring_submit(&dr));
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, N, 2000));
	io_uring_queue_exit(&dr);
	EXPECT_GT(MS(5000), ds_time_to_idle(ds->fd, DS_WAIT_MS));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(N, s.calls);
	EXPECT_EQ(N, s.completions);
	EXPECT_EQ(N, s.cancelled);
	expect_item(_metadata, ds, h[0], 0);
}

enum leave_how { LEAVE_EXIT, LEAVE_SIGKILL };

/*
 * Child: on the parent's file (inherited: the same open file, so the
 * parent's STATS see the calls), its own ring, a NEXT and a SUM(1000) on
 * 1 s tickers in flight, then the handles to the parent and exit or wait
 * for SIGKILL. The ring dies with the child's files.
 */
static void child_calls_then_leave(int fd, int wfd, enum leave_how how)
{
	struct dynasync_storage st = ds_storage(DYNASYNC_STRATEGY_TASK_STACK);
	static struct dynasync_call_out out[2];
	struct dynasync_call c;
	struct ds d;
	__u32 h[2];
	int i, r;

	memset(&d, 0, sizeof(d));
	d.fd = fd;
	if (io_uring_queue_init(8, &d.ring, IORING_SETUP_SQE128))
		_exit(10);
	for (i = 0; i < 2; i++) {
		r = create_ticker(&d, &st, NSEC_PER_SEC, 1000);
		if (r <= 0)
			_exit(11);
		h[i] = r;
		c = ds_mkcall(h[i], i ? DYNASYNC_METHOD_SUM : DYNASYNC_METHOD_NEXT,
			      i ? 1000 : 0, 0, &out[i]);
		if (ds_prep_call(&d.ring, fd, &c, i + 1))
			_exit(12);
	}
	if (io_uring_submit(&d.ring) != 2 || ds_wait_inflight(fd, 2, 2000))
		_exit(13);
	if (write(wfd, h, sizeof(h)) != sizeof(h))
		_exit(14);
	if (how == LEAVE_EXIT)
		_exit(0);
	for (;;)
		pause();
}

static void process_leaves(struct __test_metadata *_metadata, struct ds *ds,
			   enum leave_how how)
{
	struct dynasync_stats s;
	int status, p[2];
	__u32 h[2];
	__u64 dt;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[0]);
		child_calls_then_leave(ds->fd, p[1], how);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(h), read(p[0], h, sizeof(h)));
	close(p[0]);
	ds_track(ds, h[0]);
	ds_track(ds, h[1]);
	if (how == LEAVE_SIGKILL)
		EXPECT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (how == LEAVE_SIGKILL) {
		EXPECT_TRUE(WIFSIGNALED(status));
	} else {
		EXPECT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	dt = ds_time_to_idle(ds->fd, DS_WAIT_MS);
	TH_LOG("the child's 2 calls ended %llu us after it was reaped",
	       (unsigned long long)dt / 1000);
	/* Without cancellation: 1 s for the NEXT, 10 s for the SUM. */
	EXPECT_GT(MS(5000), dt);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(2, s.calls);
	EXPECT_EQ(2, s.completions);
	EXPECT_EQ(2, s.cancelled);
	expect_item(_metadata, ds, h[0], 0);
}

TEST_F(cancel, process_exit_cancels_at_once)
{
	NEED_URING_CANCEL();
	process_leaves(_metadata, &self->ds, LEAVE_EXIT);
}

TEST_F(cancel, sigkill_cancels_at_once)
{
	NEED_URING_CANCEL();
	process_leaves(_metadata, &self->ds, LEAVE_SIGKILL);
}

/*
 * A TRANSMIT linked after a suspended NEXT: the teardown cancels the
 * NEXT, io_uring fails the TRANSMIT without issuing it, so the widget
 * stays where it was, whole, and one call was made (and cancelled).
 */
TEST_F(cancel, linked_transmit_never_issued_keeps_its_widget)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_call_out o[2];
	struct dynasync_call c;
	struct dynasync_stats s;
	struct io_uring_sqe *sqe;
	int t, g;

	NEED_URING_CANCEL();
	t = create_ticker(ds, &bx, MS(400), 2);
	g = create_gadget(ds, &bx, 7);
	ASSERT_LT(0, t);
	ASSERT_LT(0, g);
	c = ds_mkcall(t, DYNASYNC_METHOD_NEXT, 0, 0, &o[0]);
	sqe = prep_call_sqe(&ds->ring, ds->fd, &c, 1);
	ASSERT_NE(NULL, sqe);
	sqe->flags |= IOSQE_IO_LINK;
	c = ds_mkcall(g, DYNASYNC_METHOD_TRANSMIT, 0, 0, &o[1]);
	ASSERT_NE(NULL, prep_call_sqe(&ds->ring, ds->fd, &c, 2));
	ASSERT_EQ(2, io_uring_submit(&ds->ring));
	ASSERT_EQ(0, ds_wait_inflight(ds->fd, 1, 2000));
	io_uring_queue_exit(&ds->ring);
	ds->ring_up = false;
	ds->uring = false;
	ASSERT_GT(MS(5000), ds_time_to_idle(ds->fd, DS_WAIT_MS));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(1, s.calls);
	EXPECT_EQ(1, s.completions);
	EXPECT_EQ(1, s.cancelled);
	EXPECT_EQ(0, s.sink_deliveries);
	/* The widget is whole: a TRANSMIT now delivers its 7. */
	c = ds_mkcall(g, DYNASYNC_METHOD_TRANSMIT, 0, 0, &o[1]);
	EXPECT_EQ(0, call_ioctl(ds, &c));
	EXPECT_EQ(7, o[1].value);
	ds_untrack(ds, g);
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(1, s.sink_deliveries);
	EXPECT_EQ(7, s.sink_total);
	expect_item(_metadata, ds, t, 0);
}

/* DYNASYNC_IOC_CANCEL on @h: 0 or -errno. */
static int ds_cancel_call(int fd, __u32 h)
{
	struct dynasync_cancel cc;

	memset(&cc, 0, sizeof(cc));
	cc.handle = h;
	return ds_ioctl(fd, DYNASYNC_IOC_CANCEL, &cc);
}

/*
 * CANCEL of a blocking call started on another thread: STATS.inflight
 * counts it from before it suspends, and CANCEL stops only a suspended
 * call (-ESRCH until then), so ask again until it is.
 */
static int ds_cancel_suspended(int fd, __u32 h)
{
	int i, ret = -ESRCH;

	for (i = 0; i < 2000 && ret == -ESRCH; i++) {
		ret = ds_cancel_call(fd, h);
		if (ret == -ESRCH)
			usleep(1000);
	}
	return ret;
}

/* CANCEL's own errnos, on any kernel. */
TEST_F(cancel, cancel_ioctl_errnos)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_cancel cc;
	int t;

	t = create_ticker(ds, &bx, MS(10), 2);
	ASSERT_LT(0, t);
	EXPECT_EQ(-ENOENT, ds_cancel_call(ds->fd, 0));
	EXPECT_EQ(-ENOENT, ds_cancel_call(ds->fd, t + 1000));
	/* No call in flight on it. */
	EXPECT_EQ(-ESRCH, ds_cancel_call(ds->fd, t));
	memset(&cc, 0, sizeof(cc));
	cc.handle = t;
	cc.flags = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(ds->fd, DYNASYNC_IOC_CANCEL, &cc));
	cc.flags = 0;
	cc.reserved = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(ds->fd, DYNASYNC_IOC_CANCEL, &cc));
	EXPECT_EQ(-EFAULT, ds_ioctl(ds->fd, DYNASYNC_IOC_CANCEL, ds_unmapped_page()));
	/* Nothing happened to the ticker. */
	expect_item(_metadata, ds, t, 0);
}

/*
 * CANCEL of a suspended io_uring call, on every strategy and any kernel:
 * one CQE with -ECANCELED, soon (the ticker sleeps 1 s), the output
 * written, STATS.cancelled counts it, the iterator did not advance.
 */
TEST_F(cancel, cancel_ioctl_ends_a_uring_call_on_every_strategy)
{
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_storage st;
	struct dynasync_call c;
	struct dynasync_stats s;
	struct ds_cqe cqe;
	__u32 strategy;
	__u64 t0, dt;
	int h, m;

	for (strategy = DYNASYNC_STRATEGY_BOXED;
	     strategy <= DYNASYNC_STRATEGY_MAX; strategy++) {
		st = ds_storage(strategy);
		h = create_ticker(ds, &st, NSEC_PER_SEC, 3);
		ASSERT_LT(0, h);
		/* And an adaptor: its inner's frames go too. */
		m = create_map(ds, &st, create_ticker(ds, &st, NSEC_PER_SEC, 3), 3, 1);
		ASSERT_LT(0, m);
		c = ds_mkcall(h, DYNASYNC_METHOD_NEXT, 0, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 0x100 + strategy));
		ASSERT_EQ(0, ds_wait_inflight(ds->fd, 1, 2000));
		t0 = ds_now_ns();
		EXPECT_EQ(0, ds_cancel_call(ds->fd, h));
		ASSERT_EQ(0, ds_wait_cqe(&ds->ring, &cqe, DS_WAIT_MS));
		dt = ds_now_ns() - t0;
		EXPECT_EQ(0x100 + strategy, cqe.ud);
		EXPECT_EQ(-ECANCELED, cqe.res);
		/* A NEXT that ran would take 1 s and yield 1. */
		EXPECT_GT(MS(900), dt);
		EXPECT_EQ(0, o.value);
		EXPECT_EQ(0, o.flags);
		EXPECT_TRUE(ds_ring_idle(&ds->ring, 20));
		/* Nothing left to cancel. */
		EXPECT_EQ(-ESRCH, ds_cancel_call(ds->fd, h));

		c = ds_mkcall(m, DYNASYNC_METHOD_NEXT, 0, 0, &o);
		ASSERT_EQ(0, ds_submit_call(&ds->ring, ds->fd, &c, 0x200 + strategy));
		ASSERT_EQ(0, ds_wait_inflight(ds->fd, 1, 2000));
		EXPECT_EQ(0, ds_cancel_call(ds->fd, m));
		ASSERT_EQ(0, ds_wait_cqe(&ds->ring, &cqe, DS_WAIT_MS));
		EXPECT_EQ(0x200 + strategy, cqe.ud);
		EXPECT_EQ(-ECANCELED, cqe.res);
		EXPECT_TRUE(ds_ring_idle(&ds->ring, 20));
	}
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(2 * DYNASYNC_STRATEGY_MAX, s.cancelled);
	EXPECT_EQ(s.calls, s.completions);
	/* Frames all gone while the objects live on. */
	for (strategy = DYNASYNC_STRATEGY_BOXED;
	     strategy <= DYNASYNC_STRATEGY_MAX; strategy++)
		EXPECT_EQ(0, s.strategy[strategy].live_frames);
	/* One object of each strategy: the next item is still the first. */
	expect_item(_metadata, ds, ds->h[0], 0);
	expect_item(_metadata, ds, ds->h[1], 1);
}

/* The same as a URING_CMD on a plain ring (no SQE128), and on the ioctl path. */
TEST_F(cancel, cancel_uring_cmd_and_blocking_call)
{
	struct ds *ds = &self->ds;
	struct dynasync_storage bx = ds_storage(DYNASYNC_STRATEGY_BOXED);
	struct dynasync_cancel cc;
	struct dynasync_stats s;
	struct io_uring plain;
	struct io_uring_sqe *sqe;
	struct ds_async a;
	struct ds_cqe cqe[2];
	const __u64 uds[2] = { 0x71, 0x72 };
	int t;

	t = create_ticker(ds, &bx, NSEC_PER_SEC, 3);
	ASSERT_LT(0, t);
	ds_async_start(_metadata, ds, &a, t, DYNASYNC_METHOD_NEXT, 0, 0);
	ASSERT_EQ(0, io_uring_queue_init(4, &plain, 0));
	sqe = io_uring_get_sqe(&plain);
	ASSERT_NE(NULL, sqe);
	memset(&cc, 0, sizeof(cc));
	cc.handle = t;
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, ds->fd, NULL, 0, 0);
	sqe->cmd_op = DYNASYNC_IOC_CANCEL;
	memcpy((char *)sqe + offsetof(struct io_uring_sqe, cmd), &cc, sizeof(cc));
	io_uring_sqe_set_data64(sqe, uds[1]);
	ASSERT_EQ(1, io_uring_submit(&plain));
	ASSERT_EQ(0, ds_wait_cqe(&plain, &cqe[1], DS_WAIT_MS));
	EXPECT_EQ(uds[1], cqe[1].ud);
	EXPECT_EQ(0, cqe[1].res);
	EXPECT_EQ(-ECANCELED, ds_async_finish(_metadata, &a));
	io_uring_queue_exit(&plain);

	/* A blocking CALL on another thread returns -ECANCELED. */
	ds->uring = false;
	ds_async_start(_metadata, ds, &a, t, DYNASYNC_METHOD_NEXT, 0, 0);
	EXPECT_EQ(0, ds_cancel_suspended(ds->fd, t));
	EXPECT_EQ(-ECANCELED, ds_async_finish(_metadata, &a));
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(2, s.cancelled);
	EXPECT_EQ(2, s.calls);	/* a CANCEL is not a call */
	EXPECT_EQ(2, s.completions);
	expect_item(_metadata, ds, t, 0);
}

/* @k endless tickers of 1..3 ms over the strategies, for the races. */
static void race_tickers(struct __test_metadata *_metadata, struct ds *ds,
			 int *h, int k)
{
	struct dynasync_storage st;
	int i;

	for (i = 0; i < k; i++) {
		st = ds_storage(DYNASYNC_STRATEGY_BOXED + i % DYNASYNC_STRATEGY_MAX);
		h[i] = create_ticker(ds, &st, MS(1 + i % 3), 1ULL << 40);
		ASSERT_LT(0, h[i]);
	}
}

/*
 * CANCEL racing completions and deadlines: tickers of 1..3 ms under
 * deadlines of 1..3 ms, each call's CANCEL 0..3 ms after the submission.
 * Every call completes exactly once with an item, -ETIMEDOUT or
 * -ECANCELED; every CANCEL says 0 or -ESRCH; STATS.cancelled grows by the
 * -ECANCELED CQEs; nothing leaks. Any kernel.
 */
TEST_F(cancel, cancel_races_completion_and_deadline_exactly_once)
{
	enum { K = 16, ROUNDS = 40 };
	struct ds *ds = &self->ds;
	struct dynasync_call_out o[K];
	struct dynasync_call c;
	struct dynasync_stats s;
	struct ds_cqe cqe[K];
	__u64 uds[K], ecanceled = 0, calls = 0, told = 0;
	__u32 seed = 777;
	int h[K], i, r, n, res;

	race_tickers(_metadata, ds, h, K);
	for (i = 0; i < K; i++)
		uds[i] = i + 1;
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < K; i++) {
			struct io_uring_sqe *sqe;

			c = ds_mkcall(h[i], DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
			c.deadline_ns = MS(1 + ds_rand(&seed) % 3);
			sqe = prep_call_sqe(&ds->ring, ds->fd, &c, uds[i]);
			ASSERT_NE(NULL, sqe);
			/* io-wq issues race their own completions too. */
			if (ds_rand(&seed) % 2)
				sqe->flags |= IOSQE_ASYNC;
		}
		ASSERT_EQ(K, io_uring_submit(&ds->ring));
		calls += K;
		usleep(ds_rand(&seed) % 3000);
		for (i = 0; i < K; i++) {
			res = ds_cancel_call(ds->fd, h[(i + r) % K]);
			EXPECT_TRUE(res == 0 || res == -ESRCH) {
				TH_LOG("CANCEL: %d", res);
			}
			told += res == 0;
		}
		n = ds_reap(_metadata, &ds->ring, cqe, K);
		ASSERT_EQ(K, n);
		ds_expect_once(_metadata, cqe, n, uds);
		for (i = 0; i < K; i++) {
			EXPECT_TRUE(cqe[i].res == 1 || cqe[i].res == -ETIMEDOUT ||
				    cqe[i].res == -ECANCELED) {
				TH_LOG("round %d: res %d", r, cqe[i].res);
			}
			ecanceled += cqe[i].res == -ECANCELED;
		}
	}
	ASSERT_EQ(0, ds_stats(ds->fd, &s));
	EXPECT_EQ(calls, s.calls);
	EXPECT_EQ(calls, s.completions);
	EXPECT_EQ(ecanceled, s.cancelled);
	EXPECT_LE(ecanceled, told);
	TH_LOG("%llu calls: %llu CANCELs took, %llu calls ended -ECANCELED",
	       (unsigned long long)calls, (unsigned long long)told,
	       (unsigned long long)ecanceled);
}

/*
 * Teardown racing with completions and deadlines: tickers of 1..3 ms
 * under deadlines of 1..3 ms, the ring torn down 0..3 ms after the
 * submission, CQEs reaped until then (an item or -ETIMEDOUT each). Each
 * call completes exactly once (no user_data twice among the reaped CQEs;
 * STATS completions == calls), and nothing leaks. On both kernels (without cancellation
 * the teardown just waits).
 */
TEST_F(cancel, teardown_races_completion_and_deadline_exactly_once)
{
	enum { K = 16, ROUNDS = 40 };
	struct ds *ds = &self->ds;
	struct dynasync_call_out o[K];
	struct dynasync_call c;
	struct dynasync_stats s;
	struct io_uring_cqe *cqe;
	__u64 calls = 0, cancelled = 0;
	__u32 seed = 12345;
	int h[K], seen[K], r, i;

	race_tickers(_metadata, ds, h, K);
	for (r = 0; r < ROUNDS; r++) {
		if (!ds->ring_up) {
			ASSERT_EQ(0, io_uring_queue_init(64, &ds->ring,
							 IORING_SETUP_SQE128));
			ds->ring_up = true;
		}
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < K; i++) {
			c = ds_mkcall(h[i], DYNASYNC_METHOD_NEXT, 0, 0, &o[i]);
			c.deadline_ns = MS(1 + ds_rand(&seed) % 3);
			ASSERT_EQ(0, ds_prep_call(&ds->ring, ds->fd, &c, i + 1));
		}
		ASSERT_EQ(K, io_uring_submit(&ds->ring));
		calls += K;
		usleep(ds_rand(&seed) % 3000);
		while (io_uring_peek_cqe(&ds->ring, &cqe) == 0) {
			__u64 ud = cqe->user_data;

			ASSERT_TRUE(ud >= 1 && ud <= K);
			seen[ud - 1]++;
			/* Before the teardown nothing is cancelled. */
			EXPECT_TRUE(cqe->res == 1 || cqe->res == -ETIMEDOUT) {
				TH_LOG("round %d call %llu: res %d", r,
				       (unsigned long long)ud, cqe->res);
			}
			io_uring_cqe_seen(&ds->ring, cqe);
		}
		for (i = 0; i < K; i++)
			EXPECT_GE(1, seen[i]);
		io_uring_queue_exit(&ds->ring);
		ds->ring_up = false;
		ASSERT_EQ(0, ds_wait_inflight(ds->fd, 0, DS_WAIT_MS));
		ASSERT_EQ(0, ds_stats(ds->fd, &s));
		EXPECT_EQ(calls, s.calls);
		EXPECT_EQ(calls, s.completions);
		EXPECT_LE(cancelled, s.cancelled);
		cancelled = s.cancelled;
	}
	TH_LOG("%llu calls, %llu cancelled by the teardowns",
	       (unsigned long long)calls, (unsigned long long)cancelled);
	if (!ds_uring_cancel())
		EXPECT_EQ(0, cancelled);
	ds->uring = false;
}

TEST_HARNESS_MAIN
