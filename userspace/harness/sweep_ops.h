// SPDX-License-Identifier: GPL-2.0
// One run of a call shape at one n of the sweep: its CREATEs and calls,
// made one at a time, each checked as it completes:
//   - exactly one completion, with the call's user_data;
//   - the right value (the model's), or exactly -ENOMEM explained by the
//     call's out.injected/out.alloc_failed (a CREATE: by FAULT_GET's
//     counters) and leaving nothing behind: the op is then made again and
//     must give what it would have given the first time (an iterator did
//     not advance, a total did not change, a consumed widget came back, no
//     object appeared, an adaptor's inner handle is still ours);
//   - success with an injection only where a RESERVE pool absorbs it.
// The first violation stops the run; the shape's code checks ok().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "default_storage.h"
#include "model.h"
#include "sweep.h"

namespace harness {

// What the ops of one run saw.
struct RunTally {
	uint64_t ops = 0;
	uint64_t ok = 0;
	uint64_t enomem = 0;
	uint64_t absorbed = 0;
	uint64_t lost = 0;
	uint64_t duplicated = 0;
	uint64_t sum_partial = 0;
	// Injections the ops reported: out.injected, and for a CREATE the
	// delta of FAULT_GET's per-site injected counters.
	uint64_t injected_seen = 0;
	std::string injected_at;	// the first op that reported one
	bool injected_absorbed = false;
};

class ShapeRun {
public:
	using Report = std::function<void(const std::string &)>;

	// @seq: the sweep's user_data counter; @violation gets each problem.
	ShapeRun(SweepFile &file, uint32_t strategy, uint64_t &seq, Report violation);

	// False once a violation stopped the run: make no more ops.
	bool ok() const { return !stopped_; }
	// Calls may still be in the module (a lost completion): do not DESTROY.
	bool calls_pending() const { return pending_; }
	const RunTally &tally() const { return t_; }
	uint64_t violations() const { return violations_; }

	// Under the kernel's fail-nth: @injected says whether the op just
	// made had an armed fault injected anywhere on its path. Such an op
	// may also fail where the module's counters cannot see it (io_uring's
	// or the xarray's allocations): -ENOMEM, or at io_uring's submission
	// -ENOMEM/-EAGAIN with nothing submitted; the no-side-effect checks
	// are the same.
	void explain_with(std::function<bool()> injected) { external_ = std::move(injected); }

	// CREATE of @spec's top object; an adaptor takes @inner (the handle
	// of its spec.inner[0], created before). The handle, or 0 after a
	// violation.
	uint32_t create(const Spec &spec, uint32_t inner = 0);
	// Calls on @h, checked against and applied to @m.
	bool next(uint32_t h, ObjectModel &m);
	bool sum(uint32_t h, ObjectModel &m, uint64_t n);
	bool augment(uint32_t h, ObjectModel &m, uint64_t kind, uint64_t size);
	// The new iterator's handle (0 after a violation); @items: its model.
	uint32_t components(uint32_t h, ObjectModel &m, ObjectModel &items);
	bool transmit(uint32_t h, ObjectModel &m);
	// DESTROY of every object still held, newest first.
	void destroy_all();

	dynasync_storage storage() const;

	// Storage parameters: a 4 KiB task stack holds the nested shape's
	// frames and SUM's; a reserve of 4 frames covers one call's
	// bookkeeping, SUM's frame and the top object's next() frame.
	static constexpr uint32_t kTaskStackSize = kDefaultTaskStackSize;
	static constexpr uint32_t kReserveFrames = kDefaultReserveFrames;

private:
	void violation(const std::string &what);
	// One CALL: false (and the run stops) unless exactly one completion
	// with this call's user_data arrived.
	bool attempt(const char *what, dynasync_call &c, dynasync_call_out &out, int &res);
	// Makes @c until it does not fail with -ENOMEM; checks each failure
	// with @m (nothing written) and @unchanged (nothing visible changed).
	// The successful attempt's res and out; false after a violation.
	bool until_ok(const char *what, dynasync_call &c, const ObjectModel &m, int &res,
		      dynasync_call_out &out, const std::function<void()> &unchanged);
	void success(const char *what, uint64_t injected, uint64_t alloc_failed);
	bool file_stats(dynasync_stats &s);
	bool fault_state(dynasync_fault_state &s);
	void forget(uint32_t h);

	SweepFile &f_;
	uint32_t strategy_;
	uint64_t &seq_;
	Report report_;
	RunTally t_;
	bool external() const { return external_ && external_(); }

	bool stopped_ = false;
	bool pending_ = false;
	uint64_t violations_ = 0;
	std::vector<uint32_t> held_;	// top-level handles this run owns
	ErrnoPolicy enomem_;
	ErrnoPolicy external_errnos_;	// -ENOMEM, -EAGAIN
	std::function<bool()> external_;
};

// "-ENOMEM" or "3".
std::string res_str(int res);
// The sum of FAULT_GET's per-site counters.
uint64_t sum_sites(const __u64 (&v)[DYNASYNC_SITES]);

// The five shapes, written against ShapeRun.
void run_shape(Shape shape, ShapeRun &run, uint64_t ticker_period_ns);

} // namespace harness
