// SPDX-License-Identifier: GPL-2.0
// The workload's insides, shared by its files: workload.cpp (setup and
// the run), workload_objects.cpp (object life cycle), workload_calls.cpp
// (the call loop), workload_checks.cpp (what is checked at the end).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "call_path.h"
#include "default_storage.h"
#include "names.h"
#include "progress.h"
#include "workload.h"
#include "workload_fault.h"

namespace harness::workload_detail {

// The kinds of object every strategy gets, named by their top-level impl.
constexpr uint32_t kKinds[] = {
	DYNASYNC_IMPL_COUNTER, DYNASYNC_IMPL_TICKER, DYNASYNC_IMPL_MAP,
	DYNASYNC_IMPL_TAKE, DYNASYNC_IMPL_CHAIN, DYNASYNC_IMPL_GADGET,
};
constexpr size_t kNumKinds = sizeof(kKinds) / sizeof(kKinds[0]);
// Kernel objects one of each kind makes (adaptors own their inners).
constexpr size_t kObjectsPerKindSet = 1 + 1 + 2 + 2 + 3 + 1;

// "Never ends" within any run, and far from overflowing start + count.
constexpr uint64_t kEndless = uint64_t{1} << 40;
constexpr uint64_t kMaxStart = uint64_t{1} << 48;

// Storage parameters: a 4 KiB task stack holds an adaptor's nested frames
// and SUM's (setup checks it against LAYOUT); a reserve of 4 frames is
// enough for one call at a time per object (bookkeeping, SUM's frame and
// NEXT's). The GFP class is KERNEL (0) everywhere: failures come only from
// the fault injector (or real memory pressure).
constexpr uint32_t kTaskStackSize = kDefaultTaskStackSize;
constexpr uint32_t kReserveFrames = kDefaultReserveFrames;

constexpr unsigned kMaxCreateBackoff = 64;

// user_data = seq << 16 | in-flight slot: unique per call (seq), and the
// slot finds the call's record without a map.
constexpr unsigned kSlotBits = 16;
constexpr unsigned kMaxDepth = 4096;

// One entry of the workload's object table: a trait object (or a vacant
// place for one), its model, and whether a call on it is in flight.
struct Object {
	uint32_t handle = 0;	// 0: none (vacant, or a free entry)
	uint32_t strategy = 0;
	uint32_t kind = 0;
	bool in_use = false;	// entry holds an object (possibly vacant)
	bool busy = false;	// a call on it is in flight
	// Made by a widget's COMPONENTS: summed to its end, then destroyed.
	bool components = false;
	unsigned step = 0;
	uint64_t component_count = 0;
	size_t kernel_objects = 0;	// what STATS.objects counts for it
	// Vacant: CREATE is retried once r_.submitted reaches retry_at; the
	// wait doubles with each failure (up to kMaxCreateBackoff calls), so
	// a storm of failures is not mostly CREATEs.
	uint64_t retry_at = 0;
	unsigned backoff = 0;
	ObjectModel model;
};

// A call between submission and completion, found by user_data's slot.
// out is the call's out_ptr target: it must not move until completion.
struct Inflight {
	uint64_t seq = 0;	// 0: slot free
	size_t object = 0;
	dynasync_call call{};
	dynasync_call_out out{};
};

inline std::string describe_res(int res)
{
	return res < 0 ? "-" + errno_name(-res) : std::to_string(res);
}

class Workload {
public:
	Workload(const Device &dev, const RunOptions &opt)
		: dev_(dev), opt_(opt), rng_(opt.seed), progress_(opt.progress),
		  window_(opt.fault.enabled ? opt.fault.window_start : UINT64_MAX,
			  opt.fault.enabled ? opt.fault.window_end : UINT64_MAX)
	{
	}

	RunReport run();

private:
	// Setup and object life cycle.
	bool setup();
	dynasync_storage storage_for(uint32_t strategy) const;
	Spec make_spec(uint32_t kind);
	Spec counter(uint64_t count);
	Spec ticker(uint64_t count) const;
	int create_tree(const Spec &spec, uint32_t strategy, uint32_t &handle);
	bool fill(Object &o);
	void replace(size_t idx);
	void retry_vacant(bool all);
	void destroy(Object &o, bool tolerate_gone);
	void remove(size_t idx);
	size_t new_entry();
	void check_inner_handle_released();
	void check_storage_fits();
	int create_one(dynasync_create &c, const std::string &what);

	// Fault injection (workload_inject.cpp).
	void fault_boundary();
	void fault_disarm();
	void fault_finish();
	bool fault_totals(uint64_t &sum);
	void fault_count(const Inflight &f, const Object &o, int res, const Verdict &v);

	// The call loop.
	void submit_round();
	bool pick_and_queue();
	dynasync_call make_call(Object &o);
	void reap();
	void complete(const Completion &c);
	void apply(size_t idx, const Verdict &v);

	// Results.
	void failure(const std::string &what);
	void fatal(const std::string &what);
	void final_checks();
	bool teardown_clean(const dynasync_stats &s, std::string &detail) const;
	template <class Pred>
	int poll_stats(dynasync_stats &s, std::string &how, Pred done);
	void check(const std::string &name, bool ok, const std::string &detail);
	uint64_t below(uint64_t n) { return n ? rng_() % n : 0; }

	const Device &dev_;
	RunOptions opt_;
	std::mt19937_64 rng_;
	Progress progress_;
	std::unique_ptr<CallPath> path_;
	RunReport r_;

	std::vector<Object> objects_;
	std::vector<size_t> idle_;	// entries with an object and no call in flight
	std::vector<size_t> vacant_;	// entries whose replacement CREATE failed
	std::vector<size_t> free_entries_;
	std::unordered_set<uint32_t> handles_seen_;
	uint32_t released_inner_ = 0;	// an inner handle an adaptor took

	std::vector<Inflight> slots_;
	std::vector<unsigned> free_slots_;
	unsigned inflight_ = 0;
	uint64_t next_seq_ = 1;
	std::vector<uint8_t> completions_;	// per seq: how many arrived
	uint64_t inflight_samples_ = 0;
	uint64_t inflight_sum_ = 0;
	uint64_t calls_issued_ = 0;	// every CALL on this file (both paths)
	uint64_t model_failures_ = 0;

	uint64_t slot_size_[DYNASYNC_TRAIT_WIDGET + 1] = {};	// LAYOUT's, per trait
	long max_call_ms_ = 10000;
	FaultWindow window_;
	bool armed_ = false;	// the file's policy is armed now
	bool arm_failed_ = false;	// FAULT_SET refused it (a failed check says why)
	bool fault_get_failed_ = false;	// reported once
	bool stop_ = false;	// a fatal problem: submit no more
	bool stalled_ = false;	// calls never completed: cannot tear down
};

} // namespace harness::workload_detail
