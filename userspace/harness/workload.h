// SPDX-License-Identifier: GPL-2.0
// `dynasync run`: a mix of objects (every kind x every chosen strategy)
// and methods, driven through one call path with many calls in flight but
// never two on one object (the module would answer -EBUSY, and the model
// could not tell their order). Every completion is checked against the
// object's model; exactly-once, the module's STATS and its accounting
// after teardown are checked at the end.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "device.h"
#include "model.h"
#include "report.h"

namespace harness {

// --fault and --fault-window: the file's fault-injection policy, armed
// from call index window_start until window_end (exclusive; UINT64_MAX:
// until the drain). Calls and CREATEs made meanwhile are subject to it.
struct FaultOptions {
	bool enabled = false;
	dynasync_fault_policy policy{};
	bool window = false;		// --fault-window given
	uint64_t window_start = 0;
	uint64_t window_end = UINT64_MAX;
};

struct RunOptions {
	uint64_t ops = 100000;		// calls to complete
	unsigned depth = 64;		// calls in flight (io_uring)
	unsigned batch = 16;		// SQEs per submission
	bool uring = true;		// else blocking ioctls, one at a time
	unsigned objects_per_kind = 0;	// per kind x strategy; 0: enough for depth
	std::vector<uint32_t> strategies;	// empty: all
	uint64_t seed = 1;
	uint64_t ticker_period_ns = 20000;
	ErrnoPolicy policy;		// errnos accepted as outcomes
	std::vector<int> required;	// ... that must occur (a scenario's point)
	FaultOptions fault;		// accepts -ENOMEM, if every one is explained
	bool progress = true;
	unsigned max_failures_shown = 10;
	std::string verdict;		// --verdict NAME: one final summary line
};

// Runs the workload. Setup problems (the ring, object limits) are failed
// checks in the report too, so the caller has one thing to print.
RunReport run_workload(const Device &dev, const RunOptions &opt);

} // namespace harness
