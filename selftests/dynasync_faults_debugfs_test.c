// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync fault injector, the module-wide policy in debugfs
 * (/sys/kernel/debug/dynasync/fault/): field validation when armed, RATE
 * on frames failing every file's calls, re-arming, and a file's policy
 * asked first. SKIP when debugfs has no dynasync/fault directory.
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
#include "dynasync_faults.h"

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
 * Files @fd1 and @fd2 each had one frame injected (by the module-wide
 * policy: their own policies saw no candidate), and the module-wide
 * counters are the two files' counters.
 */
static void expect_two_files_one_frame_each(struct __test_metadata *_metadata,
					    int fd1, int fd2)
{
	__u64 att[DYNASYNC_SITES], inj[DYNASYNC_SITES], fail[DYNASYNC_SITES];
	struct dynasync_fault_state s1, s2;
	int i;

	ASSERT_EQ(0, ds_fault_get(fd1, &s1));
	ASSERT_EQ(0, ds_fault_get(fd2, &s2));
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
	struct ds f2;
	__u64 i1 = 0, i2 = 0;
	int h1, h2;

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

	expect_two_files_one_frame_each(_metadata, self->ds.fd, f2.fd);

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
