// SPDX-License-Identifier: GPL-2.0
// Test controls of the userspace platform (userspace/host/platform_user.cpp):
// a deterministic single-threaded executor and allocation fault injection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rt/platform.h"

namespace host {

// Runs queued work until none is left; returns how many items ran.
size_t run_pending();
size_t pending();

// Advances the fake clock, firing due timers (as the hrtimer irq would);
// returns how many fired.
size_t advance_time(uint64_t ns);
size_t armed_timers();

// Fail the n-th ds_alloc from now (1 = the next one); 0 disarms.
void fail_nth(long n);
// ds_alloc calls since the last reset_alloc_counters().
long alloc_calls();
long injected_failures();
void reset_alloc_counters();

// Live blocks per site, and in total (same as ds_live_allocations()).
long live(ds_site site);

// The executor's trace hook (ds_trace_task): recorded while on.
struct TraceEvent {
	const void *cookie;
	unsigned int event; // DS_TRACE_*
};
void trace_tasks(bool on);
std::vector<TraceEvent> take_trace();

} // namespace host
