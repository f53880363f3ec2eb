// SPDX-License-Identifier: GPL-2.0
/*
 * The module parameters: per-file limits and the call deadline cap, each
 * range-checked on every write, and the opt-in exact heap high-water mark.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>

#include "rt/platform.h"
#include "dev_file.h"

/* ---- module parameters: limits, range-checked on every write ---------- */

static unsigned int max_objects = 1024;
static unsigned int max_inflight = 256;
static unsigned int max_call_ms = 10000;

unsigned int ds_max_objects(void)
{
	return READ_ONCE(max_objects);
}

unsigned int ds_max_inflight(void)
{
	return READ_ONCE(max_inflight);
}

unsigned int ds_max_call_ms(void)
{
	return READ_ONCE(max_call_ms);
}

/* Out of range is -EINVAL, also where kstrtouint says -ERANGE. */
static int ds_set_uint(const char *val, const struct kernel_param *kp,
		       unsigned int max)
{
	int ret = param_set_uint_minmax(val, kp, 1, max);

	return ret == -ERANGE ? -EINVAL : ret;
}

static int ds_set_limit(const char *val, const struct kernel_param *kp)
{
	return ds_set_uint(val, kp, 65536);
}

static int ds_set_call_ms(const char *val, const struct kernel_param *kp)
{
	return ds_set_uint(val, kp, 60000);
}

static const struct kernel_param_ops ds_limit_ops = {
	.set = ds_set_limit,
	.get = param_get_uint,
};

static const struct kernel_param_ops ds_call_ms_ops = {
	.set = ds_set_call_ms,
	.get = param_get_uint,
};

module_param_cb(max_objects, &ds_limit_ops, &max_objects, 0644);
MODULE_PARM_DESC(max_objects, "objects per open file (1..65536, default 1024)");
module_param_cb(max_inflight, &ds_limit_ops, &max_inflight, 0644);
MODULE_PARM_DESC(max_inflight, "calls in flight per open file (1..65536, default 256)");
module_param_cb(max_call_ms, &ds_call_ms_ops, &max_call_ms, 0644);
MODULE_PARM_DESC(max_call_ms, "deadline cap of every call in ms (1..60000, default 10000)");

/*
 * STATS' high_water_bytes costs a locked add per heap block for frames, so
 * it is kept only while asked for (from the moment it is turned on).
 */
static bool track_high_water;

static int ds_set_track_high_water(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	*(bool *)kp->arg = on;
	ds_stats_track_high_water(on);
	return 0;
}

static const struct kernel_param_ops ds_track_ops = {
	.set = ds_set_track_high_water,
	.get = param_get_bool,
};

module_param_cb(track_high_water, &ds_track_ops, &track_high_water, 0644);
MODULE_PARM_DESC(track_high_water, "keep STATS' exact heap high-water mark (0/1, default 0)");
