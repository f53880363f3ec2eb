// SPDX-License-Identifier: GPL-2.0
// build/host-bench: the runtime's cost per call, per strategy, against
// baselines measured in the same run (make bench-host; issue 7).
#include "common.hpp"
#include "rt/stats.hpp"

int main(int argc, char **argv)
{
	bench::register_calls();
	bench::register_nesting();
	bench::register_memory();
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	// Every frame the benchmarks made is gone.
	return ds::stats_live_frames() ? 2 : 0;
}
