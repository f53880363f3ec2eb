// SPDX-License-Identifier: GPL-2.0
/*
 * ramreader: the example module's selftest. Its three readers (ready,
 * suspending on an hrtimer, an adaptor awaiting an inner dyn call) read
 * the ramdisk with exact contents; the module's fault hook fails the nth
 * allocation of a file, and every such failure must come back as -ENOMEM
 * from that very call with the reader's cursor unchanged; a sweep over
 * every allocation of a read gives each reader's exact count of
 * allocations. Every test ends with 0 live allocations in the module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ramreader.h"

#define DEV		"/dev/" RAMREADER_DEVICE_NAME
#define BS		RAMREADER_BLOCK_SIZE
#define ALL_SITES	((1U << RAMREADER_SITE_FRAME) | (1U << RAMREADER_SITE_TASK) | \
			 (1U << RAMREADER_SITE_OBJECT) | (1U << RAMREADER_SITE_ARGS))
#define SITE(s)		(1U << RAMREADER_SITE_##s)
#define DELAY_NS	100000ULL

/* The ioctl's result: >= 0, or -errno. */
static long rr_call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static long rr_create(int fd, __u32 kind, __u32 inner, __u64 delay, __u32 key)
{
	struct ramreader_create c = {
		.kind = kind, .inner_kind = inner, .delay_ns = delay, .key = key,
	};
	long ret = rr_call(fd, RAMREADER_IOC_CREATE, &c);

	return ret ? ret : c.handle;
}

/* Bytes read (block in *@block), or -errno. */
static long rr_read(int fd, __u32 h, __u8 *buf, __u32 *block)
{
	struct ramreader_read r = { .handle = h, .buf = (__u64)(unsigned long)buf };
	long ret = rr_call(fd, RAMREADER_IOC_READ, &r);

	if (ret)
		return ret;
	if (block)
		*block = r.block;
	return r.bytes;
}

static long rr_fault(int fd, __u32 sites, __u32 nth)
{
	struct ramreader_fault f = { .sites = sites, .nth = nth };

	return rr_call(fd, RAMREADER_IOC_FAULT, &f);
}

static struct ramreader_stats rr_stats(int fd, __u32 h)
{
	struct ramreader_stats s = { .handle = h };

	if (rr_call(fd, RAMREADER_IOC_STATS, &s))
		s.cursor = ~0U;
	return s;
}

static long long live(int fd)
{
	struct ramreader_stats s = { 0 };

	return rr_call(fd, RAMREADER_IOC_STATS, &s) ? -1 : (long long)s.live_allocations;
}

/* @buf holds block @b as a reader with @key delivers it. */
static int block_ok(const __u8 *buf, __u32 b, __u8 key)
{
	__u32 i;

	for (i = 0; i < BS; i++)
		if (buf[i] != (ramreader_byte(b, i) ^ key))
			return 0;
	return 1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

FIXTURE(rr)
{
	int fd;
};

FIXTURE_SETUP(rr)
{
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s (is ramreader.ko loaded?)", DEV,
				       strerror(errno));
	ASSERT_EQ(0, live(self->fd));
}

/* Closing frees every reader: a fresh file then sees 0 live allocations. */
FIXTURE_TEARDOWN(rr)
{
	int fd;

	close(self->fd);
	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, live(fd));
	close(fd);
}

TEST_F(rr, ram_reads_every_block_then_the_end)
{
	__u8 buf[BS];
	__u32 b, block = ~0U;
	long h = rr_create(self->fd, RAMREADER_KIND_RAM, 0, 0, 0);

	ASSERT_LT(0, h);
	/* The handle's block and the reader; a ready read allocates no frame. */
	EXPECT_EQ(2, live(self->fd));
	for (b = 0; b < RAMREADER_BLOCKS; b++) {
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(BS, rr_read(self->fd, h, buf, &block));
		EXPECT_EQ(b, block);
		EXPECT_TRUE(block_ok(buf, b, 0));
		EXPECT_EQ(b + 1, rr_stats(self->fd, h).cursor);
	}
	ASSERT_EQ(0, rr_read(self->fd, h, buf, &block));
	EXPECT_EQ(RAMREADER_BLOCKS, block);
	EXPECT_EQ(RAMREADER_BLOCKS, rr_stats(self->fd, h).cursor);
	EXPECT_EQ(2, live(self->fd));
	EXPECT_EQ(0, rr_call(self->fd, RAMREADER_IOC_DESTROY, &(__u32){ h }));
	EXPECT_EQ(0, live(self->fd));
}

TEST_F(rr, slow_reader_sleeps_before_each_block)
{
	__u8 buf[BS];
	__u32 b, block = ~0U;
	long long t0;
	long h = rr_create(self->fd, RAMREADER_KIND_SLOW, 0, 2000000, 0);

	ASSERT_LT(0, h);
	t0 = now_ns();
	for (b = 0; b < 3; b++) {
		ASSERT_EQ(BS, rr_read(self->fd, h, buf, &block));
		EXPECT_EQ(b, block);
		EXPECT_TRUE(block_ok(buf, b, 0));
	}
	/* Three 2 ms sleeps on the hrtimer: the calls really suspended. */
	EXPECT_LE(6000000LL, now_ns() - t0);
	/* Frames and task headers are gone once each call completed. */
	EXPECT_EQ(2, live(self->fd));
}

FIXTURE(xor)
{
	int fd;
};

FIXTURE_VARIANT(xor)
{
	__u32 inner;
	__u64 delay;
};

FIXTURE_VARIANT_ADD(xor, over_ram) { .inner = RAMREADER_KIND_RAM, .delay = 0 };
FIXTURE_VARIANT_ADD(xor, over_slow) { .inner = RAMREADER_KIND_SLOW, .delay = DELAY_NS };

FIXTURE_SETUP(xor)
{
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, live(self->fd));
}

FIXTURE_TEARDOWN(xor)
{
	int fd;

	close(self->fd);
	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, live(fd));
	close(fd);
}

TEST_F(xor, adaptor_xors_every_block_of_its_inner_reader)
{
	__u8 buf[BS];
	__u32 b, block = ~0U;
	long h = rr_create(self->fd, RAMREADER_KIND_XOR, variant->inner, variant->delay, 0x5a);

	ASSERT_LT(0, h);
	/* The handle's block, the inner reader, the adaptor. */
	EXPECT_EQ(3, live(self->fd));
	for (b = 0; b < RAMREADER_BLOCKS; b++) {
		ASSERT_EQ(BS, rr_read(self->fd, h, buf, &block));
		EXPECT_EQ(b, block);
		EXPECT_TRUE(block_ok(buf, b, 0x5a));
	}
	ASSERT_EQ(0, rr_read(self->fd, h, buf, &block));
	EXPECT_EQ(RAMREADER_BLOCKS, block);
	EXPECT_EQ(3, live(self->fd));
}

/* The adaptor's own frame (1st) and its inner call's frame (2nd, or none). */
TEST_F(xor, frame_failures_are_enomem_at_the_call_and_leave_the_cursor)
{
	__u8 buf[BS];
	__u32 block = ~0U;
	struct ramreader_stats s;
	long h = rr_create(self->fd, RAMREADER_KIND_XOR, variant->inner, variant->delay, 1);
	__u32 nth, frames = variant->inner == RAMREADER_KIND_SLOW ? 2 : 1;

	ASSERT_LT(0, h);
	ASSERT_EQ(BS, rr_read(self->fd, h, buf, &block));
	for (nth = 1; nth <= frames; nth++) {
		ASSERT_EQ(0, rr_fault(self->fd, SITE(FRAME), nth));
		EXPECT_EQ(-ENOMEM, rr_read(self->fd, h, buf, &block)) TH_LOG("nth %u", nth);
		s = rr_stats(self->fd, h);
		EXPECT_EQ(1, s.cursor);
		EXPECT_EQ(nth, s.candidates);
		EXPECT_EQ(1, s.injected);
		EXPECT_EQ(3, s.live_allocations);
	}
	/* One frame more than a read asks for: nothing fails. */
	ASSERT_EQ(0, rr_fault(self->fd, SITE(FRAME), frames + 1));
	ASSERT_EQ(BS, rr_read(self->fd, h, buf, &block));
	EXPECT_EQ(1, block);
	EXPECT_TRUE(block_ok(buf, 1, 1));
	s = rr_stats(self->fd, h);
	EXPECT_EQ(frames, s.candidates);
	EXPECT_EQ(0, s.injected);
}

TEST_F(rr, slow_read_frame_and_task_header_failures)
{
	__u8 buf[BS];
	__u32 block = ~0U;
	struct ramreader_stats s;
	long h = rr_create(self->fd, RAMREADER_KIND_SLOW, 0, DELAY_NS, 0);

	ASSERT_LT(0, h);
	ASSERT_EQ(0, rr_fault(self->fd, SITE(FRAME), 1));
	EXPECT_EQ(-ENOMEM, rr_read(self->fd, h, buf, &block));
	s = rr_stats(self->fd, h);
	EXPECT_EQ(0, s.cursor);
	EXPECT_EQ(1, s.injected);
	/* The frame was placed; the task header to suspend it was not. */
	ASSERT_EQ(0, rr_fault(self->fd, SITE(TASK), 1));
	EXPECT_EQ(-ENOMEM, rr_read(self->fd, h, buf, &block));
	s = rr_stats(self->fd, h);
	EXPECT_EQ(0, s.cursor);
	EXPECT_EQ(1, s.candidates);
	EXPECT_EQ(1, s.injected);
	EXPECT_EQ(2, s.live_allocations);
	ASSERT_EQ(0, rr_fault(self->fd, 0, 0));
	ASSERT_EQ(BS, rr_read(self->fd, h, buf, &block));
	EXPECT_EQ(0, block);
	EXPECT_TRUE(block_ok(buf, 0, 0));
}

TEST_F(rr, ready_reader_asks_for_no_frame_and_no_task)
{
	__u8 buf[BS];
	__u32 block = ~0U;
	struct ramreader_stats s;
	long h = rr_create(self->fd, RAMREADER_KIND_RAM, 0, 0, 0);

	ASSERT_LT(0, h);
	ASSERT_EQ(0, rr_fault(self->fd, SITE(FRAME) | SITE(TASK), 1));
	ASSERT_EQ(BS, rr_read(self->fd, h, buf, &block));
	EXPECT_EQ(0, block);
	s = rr_stats(self->fd, h);
	EXPECT_EQ(0, s.candidates);
	EXPECT_EQ(0, s.injected);
}

TEST_F(rr, bounce_buffer_failure)
{
	__u8 buf[BS];
	__u32 block = ~0U;
	long h = rr_create(self->fd, RAMREADER_KIND_RAM, 0, 0, 0);

	ASSERT_LT(0, h);
	ASSERT_EQ(0, rr_fault(self->fd, SITE(ARGS), 1));
	EXPECT_EQ(-ENOMEM, rr_read(self->fd, h, buf, &block));
	EXPECT_EQ(0, rr_stats(self->fd, h).cursor);
	EXPECT_EQ(1, rr_stats(self->fd, h).injected);
	EXPECT_EQ(2, live(self->fd));
}

/* Each allocation of CREATE failing leaves nothing behind. */
TEST_F(rr, create_failures_leave_nothing_allocated)
{
	struct ramreader_stats s;
	__u32 nth;

	for (nth = 1; nth <= 2; nth++) {
		ASSERT_EQ(0, rr_fault(self->fd, SITE(OBJECT), nth));
		EXPECT_EQ(-ENOMEM, rr_create(self->fd, RAMREADER_KIND_RAM, 0, 0, 0));
		EXPECT_EQ(0, live(self->fd));
	}
	for (nth = 1; nth <= 3; nth++) {
		ASSERT_EQ(0, rr_fault(self->fd, SITE(OBJECT), nth));
		EXPECT_EQ(-ENOMEM, rr_create(self->fd, RAMREADER_KIND_XOR, RAMREADER_KIND_SLOW,
					     DELAY_NS, 7));
		s = rr_stats(self->fd, 0);
		EXPECT_EQ(nth, s.candidates);
		EXPECT_EQ(1, s.injected);
		EXPECT_EQ(0, s.live_allocations);
	}
	ASSERT_EQ(0, rr_fault(self->fd, SITE(OBJECT), 4));
	EXPECT_EQ(1, rr_create(self->fd, RAMREADER_KIND_XOR, RAMREADER_KIND_SLOW, DELAY_NS, 7));
	s = rr_stats(self->fd, 0);
	EXPECT_EQ(3, s.candidates);
	EXPECT_EQ(0, s.injected);
	EXPECT_EQ(3, s.live_allocations);
}

/*
 * Every allocation of one READ fails in turn (all sites): each failure is
 * -ENOMEM with the cursor unchanged, and the count of them is exactly the
 * reader's: the bounce buffer, plus the frame and task header of a call
 * that suspends, plus the adaptor's frame.
 */
FIXTURE(sweep)
{
	int fd;
};

FIXTURE_VARIANT(sweep)
{
	__u32 kind, inner;
	__u64 delay;
	__u32 allocations;
};

FIXTURE_VARIANT_ADD(sweep, ram) { RAMREADER_KIND_RAM, 0, 0, 1 };
FIXTURE_VARIANT_ADD(sweep, slow) { RAMREADER_KIND_SLOW, 0, DELAY_NS, 3 };
FIXTURE_VARIANT_ADD(sweep, xor_ram) { RAMREADER_KIND_XOR, RAMREADER_KIND_RAM, 0, 3 };
FIXTURE_VARIANT_ADD(sweep, xor_slow) { RAMREADER_KIND_XOR, RAMREADER_KIND_SLOW, DELAY_NS, 4 };

FIXTURE_SETUP(sweep)
{
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(sweep)
{
	int fd;

	close(self->fd);
	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, live(fd));
	close(fd);
}

TEST_F(sweep, every_allocation_of_a_read_fails_as_a_value)
{
	__u8 buf[BS];
	__u32 nth, block = ~0U, b = 0, failures = 0;
	long ret, h = rr_create(self->fd, variant->kind, variant->inner, variant->delay,
				variant->kind == RAMREADER_KIND_XOR ? 3 : 0);
	__u8 key = variant->kind == RAMREADER_KIND_XOR ? 3 : 0;
	long long objects = live(self->fd);

	ASSERT_LT(0, h);
	for (nth = 1; nth <= 16; nth++) {
		ASSERT_EQ(0, rr_fault(self->fd, ALL_SITES, nth));
		ret = rr_read(self->fd, h, buf, &block);
		if (ret == -ENOMEM) {
			failures++;
			EXPECT_EQ(b, rr_stats(self->fd, h).cursor);
			EXPECT_EQ(1, rr_stats(self->fd, h).injected);
			EXPECT_EQ(objects, live(self->fd));
			continue;
		}
		ASSERT_EQ(BS, ret) TH_LOG("nth %u: %s", nth, strerror(-ret));
		EXPECT_EQ(b, block);
		EXPECT_TRUE(block_ok(buf, b, key));
		EXPECT_EQ(0, rr_stats(self->fd, h).injected);
		EXPECT_EQ(nth - 1, rr_stats(self->fd, h).candidates);
		b++;
		break;
	}
	EXPECT_EQ(variant->allocations, failures);
	EXPECT_EQ(1, b);
	EXPECT_EQ(objects, live(self->fd));
}

TEST_F(rr, bad_input_gets_its_errno)
{
	struct ramreader_create c = { .kind = RAMREADER_KIND_RAM, .handle = 1 };
	struct ramreader_read r = { 0 };
	struct ramreader_fault f = { .sites = 1U << 4, .nth = 1 };
	struct ramreader_stats s = { .live_allocations = 1 };
	__u8 buf[BS];
	long h;

	EXPECT_EQ(-EINVAL, rr_create(self->fd, 0, 0, 0, 0));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, 4, 0, 0, 0));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, RAMREADER_KIND_RAM, 0, 1, 0));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, RAMREADER_KIND_RAM, 0, 0, 1));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, RAMREADER_KIND_SLOW, 0, 0, 0));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, RAMREADER_KIND_SLOW, 0,
				     RAMREADER_MAX_DELAY_NS + 1, 0));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, RAMREADER_KIND_XOR, RAMREADER_KIND_XOR, 0, 0));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, RAMREADER_KIND_XOR, 0, 0, 0));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, RAMREADER_KIND_XOR, RAMREADER_KIND_RAM, 0, 256));
	EXPECT_EQ(-EINVAL, rr_create(self->fd, RAMREADER_KIND_XOR, RAMREADER_KIND_RAM, 1, 0));
	EXPECT_EQ(-EINVAL, rr_call(self->fd, RAMREADER_IOC_CREATE, &c));
	EXPECT_EQ(0, live(self->fd));

	EXPECT_EQ(-ENOENT, rr_read(self->fd, 0, buf, NULL));
	EXPECT_EQ(-ENOENT, rr_read(self->fd, 1, buf, NULL));
	EXPECT_EQ(-ENOENT, rr_read(self->fd, RAMREADER_MAX_READERS + 1, buf, NULL));
	EXPECT_EQ(-ENOENT, rr_call(self->fd, RAMREADER_IOC_DESTROY, &(__u32){ 1 }));
	h = rr_create(self->fd, RAMREADER_KIND_RAM, 0, 0, 0);
	ASSERT_EQ(1, h);
	r.handle = h;
	r.reserved = 1;
	EXPECT_EQ(-EINVAL, rr_call(self->fd, RAMREADER_IOC_READ, &r));
	EXPECT_EQ(0, rr_stats(self->fd, h).cursor);
	EXPECT_EQ(-EFAULT, rr_call(self->fd, RAMREADER_IOC_READ, NULL));
	EXPECT_EQ(-EINVAL, rr_call(self->fd, RAMREADER_IOC_FAULT, &f));
	f.sites = SITE(FRAME);
	f.nth = 0;
	EXPECT_EQ(-EINVAL, rr_call(self->fd, RAMREADER_IOC_FAULT, &f));
	f.sites = 0;
	f.nth = 1;
	EXPECT_EQ(-EINVAL, rr_call(self->fd, RAMREADER_IOC_FAULT, &f));
	EXPECT_EQ(-EINVAL, rr_call(self->fd, RAMREADER_IOC_STATS, &s));
	s.live_allocations = 0;
	s.handle = 2;
	EXPECT_EQ(-ENOENT, rr_call(self->fd, RAMREADER_IOC_STATS, &s));
	EXPECT_EQ(-ENOTTY, rr_call(self->fd, _IO(RAMREADER_IOC_MAGIC, 0x7f), NULL));
}

TEST_F(rr, a_full_table_is_emfile_and_handles_are_reused)
{
	long i, h;

	for (i = 1; i <= RAMREADER_MAX_READERS; i++)
		ASSERT_EQ(i, rr_create(self->fd, RAMREADER_KIND_RAM, 0, 0, 0));
	EXPECT_EQ(-EMFILE, rr_create(self->fd, RAMREADER_KIND_RAM, 0, 0, 0));
	EXPECT_EQ(2 * RAMREADER_MAX_READERS, live(self->fd));
	EXPECT_EQ(0, rr_call(self->fd, RAMREADER_IOC_DESTROY, &(__u32){ 3 }));
	h = rr_create(self->fd, RAMREADER_KIND_SLOW, 0, DELAY_NS, 0);
	EXPECT_EQ(3, h);
}

TEST_F(rr, closing_a_file_frees_its_readers)
{
	int fd2 = open(DEV, O_RDWR);
	__u8 buf[BS];

	ASSERT_LE(0, fd2);
	ASSERT_LT(0, rr_create(fd2, RAMREADER_KIND_RAM, 0, 0, 0));
	ASSERT_LT(0, rr_create(fd2, RAMREADER_KIND_XOR, RAMREADER_KIND_SLOW, DELAY_NS, 9));
	ASSERT_EQ(BS, rr_read(fd2, 2, buf, NULL));
	EXPECT_EQ(5, live(self->fd));
	close(fd2);
	EXPECT_EQ(0, live(self->fd));
}

TEST_HARNESS_MAIN
