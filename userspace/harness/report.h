// SPDX-License-Identifier: GPL-2.0
// What a run did and what it verified, and the two ways to print it: a
// human summary table and a JSON document for scripts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "uapi/dynasync.h"

namespace harness {

// One verified property of the run: PASS/FAIL plus the numbers behind it.
struct Check {
	std::string name;
	bool ok;
	std::string detail;
};

struct RunReport {
	// What was asked for.
	std::string path;
	unsigned depth = 0;
	unsigned batch = 0;
	uint64_t seed = 0;
	unsigned objects_per_kind = 0;
	std::vector<uint32_t> strategies;
	uint64_t ticker_period_ns = 0;
	std::vector<int> allowed_errnos;
	uint64_t ops = 0;

	// Calls: each got a unique user_data; completions are counted per call.
	uint64_t submitted = 0;
	uint64_t completed = 0;
	uint64_t duplicates = 0;
	uint64_t unknown = 0;	// completions for no call the harness made
	uint64_t missing = 0;
	unsigned max_inflight = 0;
	// Calls in the module (CQE not yet posted), sampled each time the
	// harness waits for completions.
	double mean_inflight = 0;
	// [strategy][method]: calls; [strategy][0]: calls that got an errno.
	uint64_t calls[DYNASYNC_STRATEGY_MAX + 1][DYNASYNC_METHOD_MAX + 1] = {};
	// Outcome (0 = success, else errno) -> completions.
	std::map<int, uint64_t> outcomes;
	std::map<int, uint64_t> unexpected;	// the subset that failed the run
	uint64_t stale_enoent = 0;	// -ENOENT from a handle transmit consumed

	// Object life cycle.
	uint64_t created = 0;		// top-level CREATEs (adaptors' inners not counted)
	uint64_t destroyed = 0;
	uint64_t ended = 0;		// iterators that reported their end
	uint64_t transmitted = 0;
	uint64_t components = 0;	// COMPONENTS objects made ...
	uint64_t components_verified = 0;	// ... and summed, ended and destroyed
	std::map<int, uint64_t> create_errors;	// errno -> failed CREATEs
	uint64_t retired = 0;		// objects replaced after an accepted errno or a mismatch
	uint64_t sink_total = 0;	// what TRANSMIT delivered, by the model
	uint64_t sink_deliveries = 0;

	// Timing (seconds).
	double setup_s = 0;
	double run_s = 0;
	double teardown_s = 0;

	// Module-wide frame accounting at the start and after teardown.
	dynasync_stats stats_before{};
	dynasync_stats stats_after{};

	std::vector<Check> checks;
	std::vector<std::string> failures;	// the first few, in detail
	uint64_t failure_count = 0;

	bool passed() const;
};

void print_summary(const RunReport &r, FILE *out);
void print_json(const RunReport &r, FILE *out);

} // namespace harness
