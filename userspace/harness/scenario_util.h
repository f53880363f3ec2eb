// SPDX-License-Identifier: GPL-2.0
// What the scenario subcommands (scenario_cmds.h) share: the verdict line
// every scenario prints, small CREATE/CALL helpers, the module-wide leak
// check, and the global fault policy in debugfs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "device.h"
#include "model.h"

namespace harness::scenario {

// The counts behind one verdict line:
//   NAME: PASS|FAIL ops=N injected=N ok=N ENOMEM=N ... lost=N duplicated=N leaked=N
// ops: calls submitted; injected: allocations the injector failed (the
// calls' out.injected summed, or debugfs counters where outputs cannot be
// read); one count per outcome (ok, or the errno's name); lost: calls
// that never completed; duplicated: extra completions; leaked: live
// allocations and frames left after teardown. Any violation fails it.
class Tally {
public:
	// One call made and completed: res (>= 0: ok) and its out.injected.
	void outcome(int res, uint64_t injected);
	// The completion of a call already counted with add_ops().
	void completion(int res, uint64_t injected);
	void add_ops(uint64_t n) { ops_ += n; }
	void add_injected(uint64_t n) { injected_ += n; }
	void add_outcome(const std::string &key, uint64_t n) { outcomes_[key] += n; }
	void add_lost(uint64_t n) { lost_ += n; }
	void add_duplicated(uint64_t n) { duplicated_ += n; }
	void add_leaked(uint64_t n) { leaked_ += n; }
	// A violation: fails the verdict; printed as "FAIL: what".
	void fail(const std::string &what);
	// One more violation of a kind already printed (keeps logs short).
	void fail_again() { failures_++; }
	// A step that held, for the log: "  ok: what".
	void note(const std::string &what) const;

	bool passed() const { return failures_ == 0 && !lost_ && !duplicated_ && !leaked_; }
	uint64_t failures() const { return failures_; }
	// Prints the verdict line on stdout; returns the exit status (0: PASS).
	int finish(const std::string &name) const;

private:
	uint64_t ops_ = 0;
	uint64_t injected_ = 0;
	std::map<std::string, uint64_t> outcomes_;
	uint64_t lost_ = 0;
	uint64_t duplicated_ = 0;
	uint64_t leaked_ = 0;
	uint64_t failures_ = 0;
};

// "-ENOMEM", "1".
std::string res_str(int res);

// CREATE of @spec (inner objects first, all with @inner_storage; the top
// object with @storage). 0 and @handle, or -errno (nothing left behind).
int create_tree(const Device &dev, const Spec &spec, const dynasync_storage &storage,
		const dynasync_storage &inner_storage, uint32_t &handle);
dynasync_storage storage_of(uint32_t strategy, uint32_t reserve_frames = 4,
			    uint32_t task_stack = 4096);

// One blocking CALL with an output: its result or -errno.
int call(const Device &dev, uint32_t handle, uint32_t method, uint64_t arg0, uint64_t arg1,
	 dynasync_call_out &out);

// A file's fault policy from a --fault spec ("probability=100"): 0 or
// -errno; @error says why.
int arm_file(const Device &dev, const std::string &spec, std::string &error);
int disarm_file(const Device &dev);

// The module-wide policy in <debugfs>/dynasync/fault: every field, mode
// last. False and @error when a write fails.
bool arm_global(const std::string &spec, std::string &error);
bool disarm_global(std::string &error);
// The module-wide injected allocations (debugfs "counters", every site),
// or -1 when debugfs cannot be read.
long long global_injected();

// Waits (STATS from @dev, polled) until every site's live_allocs and every
// strategy's live_frames are 0, for at most @max_ms. Returns what is left
// (0: clean) and says in @detail what and how long it took.
uint64_t wait_quiescent(const Device &dev, long max_ms, std::string &detail);
// The common end of a scenario: what is left after teardown counts as
// leaked (a violation); then prints the verdict line @name and returns
// the exit status.
int finish_quiescent(const Device &dev, Tally &t, const std::string &name);

// LAYOUT's frame size of (impl, method), or 0 with @ok false.
uint64_t frame_size(const Device &dev, uint32_t impl, uint32_t method, bool &ok);

} // namespace harness::scenario
