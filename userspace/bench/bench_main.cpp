// SPDX-License-Identifier: GPL-2.0
// build/host-bench: the runtime's cost per call, per strategy, against
// baselines measured in the same run (make bench-host; issue 7).
#include "common.hpp"
#include "rt/stats.hpp"

#include <cstdlib>
#include <cstring>

int main(int argc, char **argv)
{
	// host-bench --instr CASE BATCHES: one case, no timing (for callgrind).
	if (argc == 4 && !std::strcmp(argv[1], "--instr")) {
		int rc = bench::run_instr(argv[2], std::strtol(argv[3], nullptr, 10));
		return rc ? rc : (ds::stats_live_frames() ? 2 : 0);
	}
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
