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

// --fault: the policy, what the module counted, and what the calls said.
struct FaultReport {
	bool enabled = false;
	std::string policy;		// describe_fault_policy()
	bool window = false;
	uint64_t window_start = 0;
	uint64_t window_end = UINT64_MAX;	// UINT64_MAX: to the end
	// FAULT_GET just before the disarm: the policy's own state (candidates,
	// injections since arming, times/space left).
	bool state_read = false;
	dynasync_fault_state at_disarm{};
	// FAULT_GET after the drain: the file's per-site counters since the
	// policy was armed (RESET_COUNTERS), CREATEs included.
	bool counters_read = false;
	dynasync_fault_state final_state{};

	// Summed over the calls' outputs.
	uint64_t out_injected = 0;
	uint64_t out_alloc_failed = 0;
	uint64_t calls_injected = 0;	// calls with out.injected > 0
	// Calls that succeeded although an allocation of theirs was failed
	// (a RESERVE pool absorbed it), per strategy ([0]: all).
	uint64_t absorbed[DYNASYNC_STRATEGY_MAX + 1] = {};
	uint64_t enomem_explained = 0;	// calls: out.injected + alloc_failed > 0
	uint64_t enomem_unexplained = 0;
	uint64_t create_enomem_explained = 0;	// FAULT_GET totals grew across it
	uint64_t create_enomem_unexplained = 0;

	// --fault-window: the disarm and what came after.
	bool disarmed_in_run = false;
	bool recovered = false;
	uint64_t disarmed_at = 0;
	uint64_t inflight_at_disarm = 0;
	uint64_t completions_to_recover = 0;
	uint64_t calls_between = 0;
	uint64_t failed_between = 0;
	uint64_t calls_after_recovery = 0;
	uint64_t failed_after_recovery = 0;
	uint64_t creates_after_recovery = 0;
	uint64_t create_failures_after_recovery = 0;

	// Sums over the sites of the final counters.
	uint64_t injected_total() const;
	uint64_t attempted_total() const;
	uint64_t failed_total() const;
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

	FaultReport fault;

	std::vector<Check> checks;
	std::vector<std::string> failures;	// the first few, in detail
	uint64_t failure_count = 0;

	bool passed() const;
};

void print_summary(const RunReport &r, FILE *out);
void print_json(const RunReport &r, FILE *out);

// What the module still holds after teardown: objects, live allocations
// (every site) and live frames (every strategy), from STATS.
uint64_t leaked(const dynasync_stats &after);
// The one line --verdict NAME prints last (no newline):
//   NAME: PASS ops=N injected=N ok=N ENOMEM=N [EXXX=N ...] lost=N duplicated=N leaked=N
std::string verdict_line(const RunReport &r, const std::string &name);

} // namespace harness
