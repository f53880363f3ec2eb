// SPDX-License-Identifier: GPL-2.0
// The nth-sweep: for each storage strategy x call shape x call path, and
// n = 1, 2, ...: a fresh file whose fault policy fails exactly its nth
// allocation (NTH, every site), the shape's objects created and its calls
// made one at a time, each outcome checked (the right value, or -ENOMEM
// explained by an injection and without a side effect), then everything
// destroyed and the module's accounting checked for leaks. The first n
// that injects nothing ran the shape fault-free: allocations = n - 1.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sweep_env.h"

namespace harness {

enum class Shape {
	kFlat,		// COUNTER NEXT (ready at once), TICKER NEXT (suspends)
	kNested,	// MAP(TAKE(MAP(COUNTER))): NEXT, SUM(3)
	kConsuming,	// GADGET: AUGMENT, TRANSMIT (consumes the widget)
	kAdapt,		// GADGET: AUGMENT with a BOLT, with a GEAR
	kImplTrait,	// GADGET: AUGMENT, COMPONENTS, NEXT x2 on the new iterator
};
constexpr Shape kAllShapes[] = {
	Shape::kFlat, Shape::kNested, Shape::kConsuming, Shape::kAdapt, Shape::kImplTrait,
};

const char *shape_name(Shape s);	// "flat", "nested", ...
bool parse_shape(const std::string &name, Shape &out);

struct SweepOptions {
	std::vector<uint32_t> strategies;	// DYNASYNC_STRATEGY_*
	std::vector<Shape> shapes;
	std::vector<PathKind> paths;
	// n past this without a fault-free run is a violation.
	uint64_t max_n = 200;
	uint64_t ticker_period_ns = 10000;
	// How long the module's accounting may take to reach zero after a
	// file was closed.
	unsigned leak_poll_ms = 2000;
	bool verbose = false;	// one line per n on stderr
	// The kernel fail-nth sweep instead of the module's NTH policy: for
	// each op k of a shape and n = 1, 2, ..., a fresh run whose op k is
	// made with /proc/thread-self/fail-nth = n (debug kernels), until op
	// k passes all its fault points; max_n caps n per op.
	bool kernel_fail_nth = false;
	// Kernel fail-nth coverage: each module allocation of an op is
	// failed at fail_dynasync's point once and at slab_points points
	// after it (the slab's; fail_function's too when ds_slab_alloc is
	// its target). Needs a fault-point sequence that is the same from
	// run to run, i.e. no page-allocator points (fail_page_alloc's
	// refills depend on the slabs' state): 0 turns the check off.
	unsigned slab_points = 1;
};

// The defaults above, with every strategy, shape and path.
SweepOptions default_sweep_options();

extern const char kSweepUsage[];
// Parses the options after `sweep` into @opt (which starts as the
// defaults). False with @error set on a bad one.
bool parse_sweep_options(int argc, char **argv, SweepOptions &opt, std::string &error);

// What one n showed, for --verbose: where the injection landed.
struct NthRecord {
	uint64_t n = 0;
	uint64_t injections = 0;	// FAULT_GET's
	uint64_t candidates = 0;
	std::string injected_at;	// "CREATE map", "NEXT", ... or ""
	bool absorbed = false;		// the injected op succeeded (RESERVE)
	unsigned ops = 0;
	// Kernel fail-nth: the armed op, whether its fault was injected,
	// and where (the module's counters across it).
	uint64_t op = 0;
	bool kernel_injected = false;
	uint64_t module_injected = 0, module_failed = 0;
	int op_res = 0;		// the armed op's first result
};

// One (strategy, shape, path): its allocation count, or why it has none.
struct ComboResult {
	uint32_t strategy = 0;
	Shape shape = Shape::kFlat;
	PathKind path = PathKind::kUring;
	bool complete = false;		// reached a fault-free n
	uint64_t allocations = 0;	// n - 1 of that run
	uint64_t last_n = 0;		// the last n run
	bool violated = false;
	// Kernel fail-nth: ops swept (each through all its fault points),
	// their fault points in the last (fault-free) run of each, and the
	// module's allocations among them: made fault-free, and how many n
	// failed one of them at fail_dynasync's point and at the slab's.
	uint64_t ops_swept = 0;
	uint64_t points = 0;
	uint64_t module_allocs = 0;
	uint64_t hit_dynasync = 0, hit_slab = 0;
	// Ops swept again because their counts disagreed in a pass.
	uint64_t resweeps = 0;
};

struct SweepTotals {
	uint64_t ops = 0;	// CREATEs and CALLs issued (retries included)
	uint64_t injected = 0;	// FAULT_GET injections, summed over every n
	uint64_t ok = 0;	// succeeded, nothing injected
	uint64_t enomem = 0;	// failed with -ENOMEM (explained)
	uint64_t absorbed = 0;	// succeeded although injected (RESERVE's pool)
	uint64_t lost = 0;	// calls without a completion
	uint64_t duplicated = 0;	// completions beyond the first, or unknown
	uint64_t leaked = 0;	// runs after which the module was not back to zero
	uint64_t sum_partial = 0;	// SUMs whose -ENOMEM came after items were taken
	uint64_t violations = 0;
};

struct SweepResult {
	std::vector<ComboResult> combos;
	SweepTotals totals;
	bool passed() const { return totals.violations == 0; }
};

// Where the sweep reports as it goes: each violation (already prefixed
// with strategy/shape/path and n), and each n when verbose.
struct SweepSinks {
	std::function<void(const std::string &)> violation;
	std::function<void(const ComboResult &, const NthRecord &)> nth;
	// Kernel fail-nth: an op whose coverage counts disagreed, swept again.
	std::function<void(const std::string &)> resweep;
};

SweepResult run_sweep(SweepEnv &env, const SweepOptions &opt, const SweepSinks &sinks);

// The table of allocations (rows strategy x path, columns shapes) and the
// one verdict line, as `dynasync sweep` prints them.
std::string format_table(const SweepResult &r, const SweepOptions &opt);
std::string format_verdict(const SweepResult &r, bool kernel_fail_nth = false);

} // namespace harness
