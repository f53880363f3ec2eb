// SPDX-License-Identifier: GPL-2.0
// The kernel fail-nth sweep's view of a file: one op of a run (CREATEs and
// calls, counted from 0 in the order the run makes them, retries included)
// is made with the task's fail-nth armed at n, every other op without.
// The op's whole path in this thread is swept that way: the syscall, the
// module's allocations (fail_dynasync and failslab each see them), io_uring's
// own, and whatever the completion runs in task context. What the armed op
// showed is kept for the run's checks.
#pragma once

#include <string>

#include "sweep_env.h"

namespace harness {

class FailNthFile final : public SweepFile {
public:
	FailNthFile(SweepFile &inner, SweepEnv &env, uint64_t target, unsigned n)
		: f_(inner), env_(env), target_(target), n_(n)
	{
	}

	int create(dynasync_create &c) override;
	int call(const dynasync_call &c, uint64_t user_data, std::vector<Completion> &out) override;
	int destroy(uint32_t h) override { return f_.destroy(h); }
	int stats(dynasync_stats &s) override { return f_.stats(s); }
	int fault_set(const dynasync_fault_policy &p) override { return f_.fault_set(p); }
	int fault_get(dynasync_fault_state &s) override { return f_.fault_get(s); }
	void stray(std::vector<Completion> &out) override { f_.stray(out); }

	// The run made its target op.
	bool reached() const { return reached_; }
	// Its armed fault was injected (fail-nth read back 0).
	bool injected() const { return injected_; }
	// The fault points the target op passed when nothing was injected.
	unsigned points() const { return points_; }
	// The op just made is the target and its fault was injected: that
	// explains a -ENOMEM (or io_uring's -EAGAIN) the module's counters
	// cannot, e.g. one from io_uring's or the xarray's allocations.
	bool last_op_injected() const { return last_was_target_ && injected_; }
	// The module's counters (FAULT_GET, per site, summed) across the
	// target op: its allocations (attempted), and which of its points
	// hit them: fail_dynasync's (injected) or the slab's (failed).
	uint64_t module_attempted() const { return attempted_; }
	uint64_t module_injected() const { return mod_injected_; }
	uint64_t module_failed() const { return mod_failed_; }
	// Failures of kernel allocations made for the module outside its
	// allocator (FAULT_GET's failed[MISC]: the handle table, mempools).
	uint64_t outside_failed() const { return outside_failed_; }
	// Arming, reading back or the counters failed: why ("" if not).
	const std::string &error() const { return error_; }

private:
	// Runs @op armed if it is the target.
	template <typename Op> int op(Op &&do_op);

	SweepFile &f_;
	SweepEnv &env_;
	uint64_t target_;
	unsigned n_;
	uint64_t ops_ = 0;
	bool reached_ = false, injected_ = false, last_was_target_ = false;
	unsigned points_ = 0;
	uint64_t attempted_ = 0, mod_injected_ = 0, mod_failed_ = 0, outside_failed_ = 0;
	std::string error_;
};

} // namespace harness
