// SPDX-License-Identifier: GPL-2.0
// The storage configuration the harness gives objects of each strategy
// (the workload, the nth-sweep and the benchmark share it): a 4 KiB task
// stack holds the deepest shape's frames and SUM's; a reserve of 4 frames
// covers one call at a time (bookkeeping, SUM's frame, next()'s frame);
// INLINE and MAYBE_BOXED get slot_size 0, the trait's largest frame. GFP
// KERNEL everywhere: failures come only from the fault injector (or real
// memory pressure).
#pragma once

#include <cstdint>

#include "uapi/dynasync.h"

namespace harness {

constexpr uint32_t kDefaultTaskStackSize = 4096;
constexpr uint32_t kDefaultReserveFrames = 4;

inline dynasync_storage default_storage(uint32_t strategy)
{
	dynasync_storage st{};
	st.strategy = strategy;
	st.gfp = DYNASYNC_GFP_KERNEL;
	if (strategy == DYNASYNC_STRATEGY_TASK_STACK)
		st.task_stack_size = kDefaultTaskStackSize;
	if (strategy == DYNASYNC_STRATEGY_RESERVE)
		st.reserve_frames = kDefaultReserveFrames;
	return st;
}

} // namespace harness
