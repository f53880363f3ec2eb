// SPDX-License-Identifier: GPL-2.0
// The benchmark's closed loop: keeps up to qd operations in flight and
// hands them to the path in submissions of `batch`, for a fixed number of
// operations. Per-operation latency is submit -> completion seen: one
// CLOCK_MONOTONIC read before a batch is queued and one after each reap
// (not one per operation: under TCG a clock read may be a system call,
// which would bias the cheap operations the benchmark compares).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "call_path.h"

namespace harness {

// What one operation is and how its completion is checked. Slots are
// 0..qd-1; a slot has at most one operation in flight, so a source may
// give each slot its own object and output buffer.
class BenchSource {
public:
	virtual ~BenchSource() = default;
	// Queues slot @slot's next operation with user_data @slot.
	virtual int queue(CallPath &path, unsigned slot) = 0;
	// Its completion: false if the result is wrong (error() says why).
	virtual bool complete(unsigned slot, int res) = 0;
	virtual const std::string &error() const = 0;
};

struct LoopResult {
	uint64_t ops = 0;
	double seconds = 0;
	std::vector<uint64_t> latency_ns;	// one per operation
	std::string error;			// empty: every completion was right
};

// Runs @ops operations through @path; false (and @r.error) on a wrong
// completion or a path error. @qd <= path.depth(), @batch <= @qd.
bool bench_loop(CallPath &path, BenchSource &src, unsigned qd, unsigned batch, uint64_t ops,
		LoopResult &r);

// The @pct-th percentile (nearest rank) of @v; reorders @v. 0 if empty.
uint64_t percentile(std::vector<uint64_t> &v, unsigned pct);

// CLOCK_MONOTONIC in nanoseconds.
uint64_t mono_ns();

} // namespace harness
