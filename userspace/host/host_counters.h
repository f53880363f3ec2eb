// SPDX-License-Identifier: GPL-2.0
// The host's per-CPU counters (ds_counter_add and the platform's own
// hot-path counts): one block of slots per thread, so an add is a plain
// load and store on the thread's own cache line, no locked instruction.
// A registry of live blocks is summed under a mutex when read; a thread's
// block is folded into a global one when it exits, so nothing is lost.
#pragma once

#include <cstddef>

#include "rt/platform.h"

namespace host::counters {

// Slots: the runtime's DS_COUNTER_SLOTS first, then the platform's.
enum : unsigned {
	kLive = DS_COUNTER_SLOTS,		// live blocks per site
	kCalls = kLive + DS_SITE_COUNT,		// ds_alloc calls
	kSlots
};

void add(unsigned slot, long delta) noexcept;
// Exact at a quiescent point, like the kernel's per-CPU sums.
long sum(unsigned slot) noexcept;
// Threads with a block now (tests: a thread's block goes when it exits).
size_t blocks() noexcept;

} // namespace host::counters
