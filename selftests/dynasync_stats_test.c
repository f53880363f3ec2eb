// SPDX-License-Identifier: GPL-2.0
/*
 * dynasync STATS: its validation rules (exact errnos), output fields
 * ignored on input, and its values: a fresh file's zeros, objects, calls
 * and completions, per-strategy placements and heap accounting, the
 * heap high-water mark while track_high_water is set, and what is per
 * file and what module-wide. STATS.bytes is in dynasync_limits_test.c.
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

#include "dynasync_dev_fixture.h"

TEST_F(dev, stats_validation)
{
	struct dynasync_stats st;
	void *ro;
	int i;

	memset(&st, 0, sizeof(st));
	st.flags = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	memset(&st, 0, sizeof(st));
	st.reserved0 = 1;
	EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++) {
		memset(&st, 0, sizeof(st));
		st.reserved[i] = 1ULL << (i * 20);
		EXPECT_EQ(-EINVAL, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	}
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, NULL));
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS,
				    ds_unmapped_page()));
	memset(&st, 0, sizeof(st));
	ro = ds_readonly_copy(&st, sizeof(st));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, ro));
	munmap(ro, sysconf(_SC_PAGESIZE));
}

/* Output fields given on input are ignored. */
TEST_F(dev, stats_ignores_output_fields_on_input)
{
	struct dynasync_stats st;

	memset(&st, 0xff, sizeof(st));
	st.flags = 0;
	st.reserved0 = 0;
	memset(st.reserved, 0, sizeof(st.reserved));
	ASSERT_EQ(0, ds_ioctl(self->ds.fd, DYNASYNC_IOC_STATS, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.calls);
	EXPECT_EQ(0, st.bytes);	/* out only: was reserved[0] */
	EXPECT_EQ(0, st.live_allocs[DYNASYNC_SITES - 1]);
}

/* A fresh file: every field 0. */
TEST_F(dev, stats_fresh_file_zero)
{
	struct dynasync_stats st;
	int i;

	ASSERT_EQ(0, ds_stats(self->ds.fd, &st));
	EXPECT_EQ(0, st.flags);
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.inflight);
	EXPECT_EQ(0, st.calls);
	EXPECT_EQ(0, st.completions);
	EXPECT_EQ(0, st.sink_total);
	EXPECT_EQ(0, st.sink_deliveries);
	EXPECT_EQ(0, st.reserved0);
	EXPECT_EQ(0, st.bytes);
	for (i = 0; i < ARRAY_SIZE(st.reserved); i++)
		EXPECT_EQ(0, st.reserved[i]);
	/* Unused entries are 0. */
	for (i = DYNASYNC_SITE_MISC + 1; i < DYNASYNC_SITES; i++)
		EXPECT_EQ(0, st.live_allocs[i]);
	EXPECT_EQ(0, st.strategy[0].live_frames);
	EXPECT_EQ(0, st.strategy[0].placements);
	EXPECT_EQ(0, st.strategy[0].high_water_bytes);
	EXPECT_EQ(0, st.strategy[0].heap_allocations);
	EXPECT_EQ(0, st.strategy[0].heap_bytes);
}

/*
 * Objects (handles and owned inners), calls and completions, the BOXED
 * frames' placements and heap accounting, the exact heap high-water mark
 * while track_high_water is set; per file, except the module-wide parts.
 */
TEST_F(dev, stats_values)
{
	const struct dynasync_storage *bx = &self->boxed;
	struct ds *ds = &self->ds;
	struct dynasync_call_out o;
	struct dynasync_stats st;
	int a, m, g, i, fd2;

	/* The exact heap high-water mark is kept only while asked for. */
	ASSERT_EQ(0, ds_param_write("track_high_water", "1"));

	a = create_counter(ds, bx, 0, 100);
	ASSERT_LT(0, a);
	m = create_map(ds, bx, a, 1, 0);
	ASSERT_LT(0, m);
	g = create_gadget(ds, bx, 0);
	ASSERT_LT(0, g);
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	/* Handles and owned inners. */
	EXPECT_EQ(3, st.objects);
	EXPECT_LE(3, st.live_allocs[DYNASYNC_SITE_OBJECT]);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(1, ds_method(_metadata, ds, m, DYNASYNC_METHOD_NEXT,
				       0, 0, &o));
	/* Counted as submitted or not, a rejected call leaves them equal. */
	EXPECT_EQ(-EINVAL, ds_method(_metadata, ds, m, 0, 0, 0, &o));
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_LE(5, st.calls);
	EXPECT_EQ(st.calls, st.completions);
	EXPECT_EQ(0, st.inflight);
	/*
	 * The BOXED frames of those calls (the map's: the counter is ready
	 * at once and places none) were placed on the heap, and are gone.
	 */
	EXPECT_LE(5, st.strategy[DYNASYNC_STRATEGY_BOXED].placements);
	EXPECT_LE(5, st.strategy[DYNASYNC_STRATEGY_BOXED].heap_allocations);
	EXPECT_LT(0, st.strategy[DYNASYNC_STRATEGY_BOXED].high_water_bytes);
	EXPECT_EQ(0, st.strategy[DYNASYNC_STRATEGY_BOXED].live_frames);
	EXPECT_EQ(0, st.strategy[DYNASYNC_STRATEGY_BOXED].live_bytes);
	EXPECT_EQ(0, st.strategy[DYNASYNC_STRATEGY_BOXED].heap_bytes);
	ASSERT_EQ(0, ds_param_write("track_high_water", "0"));
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_EQ(0, st.strategy[DYNASYNC_STRATEGY_BOXED].high_water_bytes);
	/* Per file: another file sees none of it. */
	fd2 = open(DYNASYNC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ds_stats(fd2, &st));
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.calls);
	EXPECT_EQ(0, st.completions);
	/* ... except the module-wide parts. */
	EXPECT_LE(3, st.live_allocs[DYNASYNC_SITE_OBJECT]);
	close(fd2);
	ASSERT_EQ(0, ds_destroy(ds, m));
	ASSERT_EQ(0, ds_stats(ds->fd, &st));
	EXPECT_EQ(1, st.objects);
}

TEST_HARNESS_MAIN
