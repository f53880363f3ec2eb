// SPDX-License-Identifier: GPL-2.0
// The test kit's out-of-line part (dynasync/run.hpp).
#include "dynasync/run.hpp"

#include "rt/stats.hpp"

namespace ds::test {

void drive() noexcept
{
	for (;;) {
		size_t ran = host::run_pending();
		size_t fired = 0;
		// A second of fake time a step, up to an hour, to the next timer.
		for (int s = 0; !fired && host::armed_timers() && s < 3600; s++)
			fired = host::advance_time(1000000000ull);
		if (!ran && !fired)
			return;
	}
}

long live_allocations() noexcept { return ds_live_allocations(); }

long live_frames() noexcept { return stats_live_frames(); }

} // namespace ds::test
