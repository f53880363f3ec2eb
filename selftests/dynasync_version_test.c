// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync device selftests: device node, VERSION through the async
 * coroutine path, and the ABI's validation rules for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi/dynasync.h"

/* Returns 0 or -errno, so assertions name the errno. */
static int ds_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

TEST(device_node_is_char_0600)
{
	struct stat st;

	ASSERT_EQ(0, stat(DYNASYNC_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
}

FIXTURE(dev)
{
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, version_matches_uapi_and_is_async)
{
	struct dynasync_version v;

	memset(&v, 0, sizeof(v));
	ASSERT_EQ(0, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, &v));
	EXPECT_EQ(DYNASYNC_ABI_VERSION, v.abi_version);
	/* Produced by a coroutine resumed on the module's workqueue; the
	 * kernel-dependent bit is dynasync_cancel_test's.
	 */
	EXPECT_EQ(DYNASYNC_VERSION_F_ASYNC, v.flags & ~DYNASYNC_VERSION_F_URING_CANCEL);
	EXPECT_EQ(0, v.reserved[0]);
	EXPECT_EQ(0, v.reserved[1]);
}

TEST_F(dev, version_ignores_output_fields_on_input)
{
	struct dynasync_version v;

	memset(&v, 0, sizeof(v));
	v.abi_version = 0xdeadbeef;
	v.flags = 0xffffffff;
	ASSERT_EQ(0, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, &v));
	EXPECT_EQ(DYNASYNC_ABI_VERSION, v.abi_version);
	EXPECT_EQ(DYNASYNC_VERSION_F_ASYNC, v.flags & ~DYNASYNC_VERSION_F_URING_CANCEL);
}

TEST_F(dev, version_reserved_nonzero_einval)
{
	struct dynasync_version v;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&v, 0, sizeof(v));
		v.reserved[i] = 1ULL << (17 * i);
		EXPECT_EQ(-EINVAL, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, &v));
		/* Nothing written back on failure. */
		EXPECT_EQ(0, v.abi_version);
	}
}

TEST_F(dev, unknown_ioctls_enotty)
{
	struct dynasync_version v;
	const unsigned long cmds[] = {
		0,
		_IO(DYNASYNC_IOC_MAGIC, 0),			/* no size, no dir */
		_IOR(DYNASYNC_IOC_MAGIC, 0, struct dynasync_version),
		_IOW(DYNASYNC_IOC_MAGIC, 0, struct dynasync_version),
		_IOWR(DYNASYNC_IOC_MAGIC, 0, __u64),		/* wrong size */
		_IOWR(DYNASYNC_IOC_MAGIC, 0x7f, struct dynasync_version),
		_IOWR('x', 0, struct dynasync_version),		/* other magic */
	};
	size_t i;

	memset(&v, 0, sizeof(v));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		TH_LOG("cmd %#lx", cmds[i]);
		EXPECT_EQ(-ENOTTY, ds_ioctl(self->fd, cmds[i], &v));
	}
}

TEST_F(dev, version_null_pointer_efault)
{
	EXPECT_EQ(-EFAULT, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, NULL));
}

TEST_F(dev, version_unmapped_pointer_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, page));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, p));
}

TEST_F(dev, version_kernel_pointer_efault)
{
	void *kptr = (void *)0xffffffff81000000UL;

	EXPECT_EQ(-EFAULT, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, kptr));
}

TEST_F(dev, version_readonly_buffer_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dynasync_version *v = mmap(NULL, page, PROT_READ,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, v);
	/* Readable (all zero: valid request), but the reply cannot land. */
	EXPECT_EQ(-EFAULT, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, v));
	munmap(v, page);
}

TEST_F(dev, version_straddling_unmapped_page_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + page, page));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, p + page - 8));
	munmap(p, page);
}

TEST_F(dev, version_unaligned_buffer_ok)
{
	char buf[sizeof(struct dynasync_version) + 1];
	struct dynasync_version v;

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, buf + 1));
	memcpy(&v, buf + 1, sizeof(v));
	EXPECT_EQ(DYNASYNC_ABI_VERSION, v.abi_version);
}

TEST_F(dev, version_repeated)
{
	struct dynasync_version v;
	int i;

	for (i = 0; i < 2000; i++) {
		memset(&v, 0, sizeof(v));
		ASSERT_EQ(0, ds_ioctl(self->fd, DYNASYNC_IOC_VERSION, &v));
		ASSERT_EQ(DYNASYNC_VERSION_F_ASYNC, v.flags & ~DYNASYNC_VERSION_F_URING_CANCEL);
	}
}

#define NTHREADS 8
#define PER_THREAD 250

static void *version_worker(void *arg)
{
	int fd = *(int *)arg;
	struct dynasync_version v;
	long bad = 0;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		memset(&v, 0, sizeof(v));
		if (ds_ioctl(fd, DYNASYNC_IOC_VERSION, &v) ||
		    v.abi_version != DYNASYNC_ABI_VERSION ||
		    (v.flags & ~DYNASYNC_VERSION_F_URING_CANCEL) !=
		    DYNASYNC_VERSION_F_ASYNC)
			bad++;
	}
	return (void *)bad;
}

TEST_F(dev, version_concurrent_threads)
{
	pthread_t th[NTHREADS];
	long bad = 0;
	void *ret;
	int i;

	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, version_worker, &self->fd));
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], &ret));
		bad += (long)ret;
	}
	EXPECT_EQ(0, bad);
}

/* DYNASYNC_IOC_RT_CHECK: the runtime's strategies, inside the kernel. */
FIXTURE(rt)
{
	int fd;
};

FIXTURE_VARIANT(rt)
{
	__u32 strategy;
	__u64 value;		/* what the scenario must compute */
	__u32 checks;		/* how many in-kernel checks it runs */
};

FIXTURE_VARIANT_ADD(rt, boxed) { DYNASYNC_STRATEGY_BOXED, 9, 2 };
FIXTURE_VARIANT_ADD(rt, inline_slot) { DYNASYNC_STRATEGY_INLINE, 44, 8 };
FIXTURE_VARIANT_ADD(rt, maybe_boxed) { DYNASYNC_STRATEGY_MAYBE_BOXED, 5, 3 };
FIXTURE_VARIANT_ADD(rt, cached) { DYNASYNC_STRATEGY_CACHED, 45, 5 };
FIXTURE_VARIANT_ADD(rt, task_stack) { DYNASYNC_STRATEGY_TASK_STACK, 16, 6 };
FIXTURE_VARIANT_ADD(rt, reserve_under_kmalloc_failure) { DYNASYNC_STRATEGY_RESERVE, 615, 3 };

FIXTURE_SETUP(rt)
{
	self->fd = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(rt)
{
	close(self->fd);
}

TEST_F(rt, scenario_passes_in_kernel)
{
	struct dynasync_rt_check c;
	int i;

	/* Twice: nothing carried over from the first run. */
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		c.strategy = variant->strategy;
		ASSERT_EQ(0, ds_ioctl(self->fd, DYNASYNC_IOC_RT_CHECK, &c));
		EXPECT_EQ(0, c.failed_check);
		EXPECT_EQ(variant->checks, c.checks);
		EXPECT_EQ(variant->value, c.value);
		EXPECT_EQ(0, c.live_frames);
		EXPECT_LT(0, c.slot_size);
	}
}

TEST_F(dev, rt_check_validates_input)
{
	struct dynasync_rt_check c;

	memset(&c, 0, sizeof(c));
	EXPECT_EQ(-EINVAL, ds_ioctl(self->fd, DYNASYNC_IOC_RT_CHECK, &c));
	c.strategy = DYNASYNC_STRATEGY_MAX + 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->fd, DYNASYNC_IOC_RT_CHECK, &c));
	c.strategy = 0xffffffff;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->fd, DYNASYNC_IOC_RT_CHECK, &c));
	c.strategy = DYNASYNC_STRATEGY_BOXED;
	c.reserved0 = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->fd, DYNASYNC_IOC_RT_CHECK, &c));
	c.reserved0 = 0;
	c.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->fd, DYNASYNC_IOC_RT_CHECK, &c));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->fd, DYNASYNC_IOC_RT_CHECK, NULL));
}

TEST(many_opens)
{
	int fds[64];
	int i;

	for (i = 0; i < 64; i++) {
		fds[i] = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST_HARNESS_MAIN
