// SPDX-License-Identifier: GPL-2.0
// The benchmark's plan and runner. Every measurement (a "cell": what is
// measured, on which path, at which queue depth and batch) is set up
// first, then all of them run interleaved, round after round, so a
// change of load on the host (other VMs, builds) weighs on all of them
// alike and their ratios stay meaningful; ops/s is the median round's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "device.h"

namespace harness {

struct BenchOptions {
	uint64_t ops = 4000;
	uint64_t suspend_ops = 0;	// 0: ops
	uint64_t warmup = UINT64_MAX;	// UINT64_MAX: ops / 10
	std::vector<unsigned> qds{ 1, 8, 64 };
	std::vector<unsigned> batches{ 1, 8, 64 };
	std::vector<uint32_t> strategies;
	uint64_t ticker_period_ns = 1;
	unsigned fault_percent = 10;
	unsigned rounds = 10;
	std::string out;
	// Which measurements run: NOPs, calls the module refuses, ready-at-once
	// and suspending calls, and the ioctl path's.
	bool nop = true, reject = true, ready = true, suspend = true, ioctl = true;
};

struct Record {
	std::string name;
	const char *path = "";		// uring_nop, uring_cmd, ioctl
	const char *kind = "";		// nop, invalid, no-object, ready, suspend
	const char *strategy = "-";
	unsigned qd = 1, batch = 1, fault_percent = 0;
	uint64_t ops = 0, ok = 0, injected = 0;
	double seconds = 0;
	double median_rate = 0;		// of the rounds
	uint64_t p50 = 0, p99 = 0;
	std::map<int, uint64_t> errnos;
};

// Runs the plan @o on the module at @device_path (@dev is open on it; the
// failure runs get a second file of their own, for their policy).
// @records get one entry per measurement, in plan order. False and @error
// on a wrong completion or a failed setup.
bool run_bench(const char *device_path, const Device &dev, const BenchOptions &o,
	       std::vector<Record> &records, std::string &error);

} // namespace harness
