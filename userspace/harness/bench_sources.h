// SPDX-License-Identifier: GPL-2.0
// What the benchmark measures: IORING_OP_NOP (the ring's own cost) and
// NEXT calls on one iterator per slot, each completion checked against
// the item the iterator must produce.
#pragma once

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_loop.h"
#include "device.h"

namespace harness {

class NopSource final : public BenchSource {
public:
	int queue(CallPath &path, unsigned slot) override { return path.queue_nop(slot); }
	bool complete(unsigned slot, int res) override;
	const std::string &error() const override { return error_; }

private:
	std::string error_;
};

// Calls the module refuses, each with one errno, to split a call's cost:
// -EINVAL (flags set) at its first check, after io_uring handed the
// command over; -ENOENT (a handle never made) after the checks, the
// output pointer's clear_user and the handle lookup.
class RejectSource final : public BenchSource {
public:
	explicit RejectSource(int expect_errno) : expect_(-expect_errno) {}
	int queue(CallPath &path, unsigned slot) override
	{
		dynasync_call c{};
		c.handle = kNoHandle;
		c.method = DYNASYNC_METHOD_NEXT;
		c.out_ptr = reinterpret_cast<uintptr_t>(&out_);
		c.flags = expect_ == -EINVAL ? 1 : 0;
		return path.queue(c, slot);
	}
	bool complete(unsigned slot, int res) override;
	const std::string &error() const override { return error_; }

private:
	// Handles are handed out in increasing order from 1: the file never
	// gets this many objects.
	static constexpr uint32_t kNoHandle = 0x7fffffff;
	int expect_;
	dynasync_call_out out_{};	// written (cleared) by the -ENOENT calls only
	std::string error_;
};

enum class BenchKind {
	kReady,		// NEXT on a COUNTER: completes without suspending
	kSuspend,	// NEXT on a TICKER: sleeps on an hrtimer once per item
};

struct CallBenchConfig {
	uint32_t strategy = DYNASYNC_STRATEGY_BOXED;
	BenchKind kind = BenchKind::kReady;
	unsigned slots = 1;
	uint64_t ticker_period_ns = 1;
	// The file has a RATE policy of this probability armed (by
	// arm_rate_faults): injected -ENOMEM is then an expected outcome.
	unsigned fault_percent = 0;
};

// Arms the file's RATE policy at @percent on every allocation site (after
// its objects exist: a CREATE would fail too): 0 or -errno.
int arm_rate_faults(const Device &dev, unsigned percent, uint64_t seed);

class CallSource final : public BenchSource {
public:
	// CREATEs one object per slot: nullptr and @error on failure, with
	// nothing left behind.
	static std::unique_ptr<CallSource> make(const Device &dev, const CallBenchConfig &cfg,
						std::string &error);
	~CallSource() override;

	int queue(CallPath &path, unsigned slot) override;
	bool complete(unsigned slot, int res) override;
	const std::string &error() const override { return error_; }

	// DESTROYs every object: false and @error if the module refused (an
	// object still in a call).
	bool finish(std::string &error);

	// Outcomes since the last reset (the warm-up's are reset away).
	void reset_counts();
	uint64_t ok() const { return ok_; }
	const std::map<int, uint64_t> &errnos() const { return errnos_; }
	uint64_t injected() const { return injected_; }

private:
	CallSource(const Device &dev, const CallBenchConfig &cfg) : dev_(dev), cfg_(cfg) {}

	const Device &dev_;
	CallBenchConfig cfg_;
	std::vector<uint32_t> handles_;
	std::vector<uint64_t> expect_;		// the slot's next item
	std::vector<dynasync_call_out> out_;	// the slot's output buffer
	uint64_t ok_ = 0;
	uint64_t injected_ = 0;
	std::map<int, uint64_t> errnos_;	// positive errno -> count
	std::string error_;
};

} // namespace harness
