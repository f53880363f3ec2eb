/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture several programs share: one open device file on the ioctl
 * path, a BOXED storage, and the common teardown (every object destroyed,
 * zero live allocations). Fixtures are per program: include this once,
 * after dynasync_util.h.
 */
#ifndef DYNASYNC_DEV_FIXTURE_H
#define DYNASYNC_DEV_FIXTURE_H

FIXTURE(dev)
{
	struct ds ds;
	struct dynasync_storage boxed;
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, ds_open(&self->ds, false, true));
	self->boxed = ds_storage(DYNASYNC_STRATEGY_BOXED);
}

FIXTURE_TEARDOWN(dev)
{
	ds_teardown(_metadata, &self->ds);
}

#endif
