// SPDX-License-Identifier: GPL-2.0
// The runtime's hot-path counters (platform.h: DS_COUNTER_SLOTS, summed
// over CPUs / threads when read). A platform that can add to its counter
// block with inline code (the host: a thread-local pointer) ships a header
// ds_platform_inline.h on the include path defining ds_counter_add_inline();
// elsewhere each add is the out-of-line ds_counter_add() (the kernel: one
// this_cpu_add behind a call).
#pragma once

#include "rt/platform.h"

#if __has_include(<ds_platform_inline.h>)
#include <ds_platform_inline.h>
#else
static inline void ds_counter_add_inline(unsigned int slot, long delta)
{
	ds_counter_add(slot, delta);
}

static inline void ds_counter_add2_inline(unsigned int a, long da, unsigned int b, long db)
{
	ds_counter_add2(a, da, b, db);
}
#endif
