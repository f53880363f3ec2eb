// SPDX-License-Identifier: GPL-2.0
// When the --fault policy is armed (--fault-window A:B: from call index A
// until B), and whether the workload recovered after the disarm: once
// every call submitted before it has completed, every later call and
// CREATE must succeed. Bookkeeping only, no device: the workload reports
// what it submits and what completes (unit-tested on the host).
#pragma once

#include <cstdint>

namespace harness {

class FaultWindow {
public:
	enum class Phase {
		kBefore,	// not armed yet
		kArmed,
		kDraining,	// disarmed; calls submitted before are in flight
		kRecovered,	// ... and all of them have completed
	};

	// Calls still in the module when the policy went off, and what came after.
	struct Recovery {
		uint64_t disarmed_at = 0;	// call index of the disarm
		uint64_t inflight_at_disarm = 0;
		uint64_t completions_to_recover = 0;	// of those, before the last one
		uint64_t calls_between = 0;	// submitted after the disarm, completed before recovery
		uint64_t failed_between = 0;	// ... with an allocation errno
		uint64_t calls_after = 0;	// submitted after recovery
		uint64_t failed_after = 0;	// ... with an allocation errno
		uint64_t creates_after = 0;	// CREATEs (each node) after recovery
		uint64_t create_failures_after = 0;
	};

	// Armed from call index @start until index @end (exclusive);
	// @end UINT64_MAX: until the workload disarms it after the drain.
	FaultWindow(uint64_t start, uint64_t end) : start_(start), end_(end) {}

	// Before call index @index goes out: arm first, or disarm first.
	bool arm_before(uint64_t index) const { return phase_ == Phase::kBefore && index >= start_; }
	bool disarm_before(uint64_t index) const { return phase_ == Phase::kArmed && index >= end_; }
	// Calls from @index that may share one submission: up to the next
	// boundary, so every call is submitted wholly before or after it.
	uint64_t room(uint64_t index) const;

	void armed() { phase_ = Phase::kArmed; }
	// Disarmed before call index @index with @inflight calls in flight, all
	// with sequence numbers below @next_seq.
	void disarmed(uint64_t index, uint64_t inflight, uint64_t next_seq);
	// The first completion of call @seq (@failed: an allocation errno);
	// @next_seq: what the next call submitted will get.
	void call_completed(uint64_t seq, bool failed, uint64_t next_seq);
	void create_done(bool failed);

	Phase phase() const { return phase_; }
	// The policy went off during the run (not only at the drain).
	bool disarmed_in_run() const { return phase_ >= Phase::kDraining; }
	const Recovery &recovery() const { return rec_; }
	// Recovered, and nothing failed after: the storm passed without a trace.
	bool recovered_cleanly() const;

private:
	uint64_t start_;
	uint64_t end_;
	Phase phase_ = Phase::kBefore;
	uint64_t disarm_seq_ = 0;	// first call submitted after the disarm
	uint64_t recovery_seq_ = 0;	// first call submitted after recovery
	uint64_t pending_ = 0;		// pre-disarm calls not completed yet
	Recovery rec_;
};

} // namespace harness
