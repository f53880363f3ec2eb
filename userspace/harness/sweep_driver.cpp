// SPDX-License-Identifier: GPL-2.0
// The sweep's loops: every (strategy, shape, path), and for each n = 1, 2,
// ... one run on a fresh file, then the checks only the whole run can
// make (FAULT_GET against what the ops reported, the file empty, no stray
// completion, the module's accounting back to zero after close).
#include <chrono>

#include "names.h"
#include "sweep_fail_nth.h"
#include "sweep_ops.h"

namespace harness {

const char *path_kind_name(PathKind p)
{
	return p == PathKind::kUring ? "uring" : "ioctl";
}

SweepOptions default_sweep_options()
{
	SweepOptions o;
	for (uint32_t s = 1; s <= DYNASYNC_STRATEGY_MAX; s++)
		o.strategies.push_back(s);
	o.shapes.assign(std::begin(kAllShapes), std::end(kAllShapes));
	o.paths = { PathKind::kUring, PathKind::kIoctl };
	return o;
}

namespace {

const char *const kSiteNames[DYNASYNC_SITES] = {
	"frame", "task", "object", "args", "reserve", "misc", "site6", "site7",
};

class Driver {
public:
	Driver(SweepEnv &env, const SweepOptions &opt, const SweepSinks &sinks)
		: env_(env), opt_(opt), sinks_(sinks)
	{
	}

	SweepResult run();

private:
	enum class Step { kNext, kDone, kStop };

	void combo(uint32_t strategy, Shape shape, PathKind path);
	Step one_n(ComboResult &cr, uint64_t n);
	void finish(std::unique_ptr<SweepFile> &file, const ShapeRun &run,
		    const std::string &where);
	// Kernel fail-nth: op @k of a run armed at @n.
	void combo_kernel(ComboResult &cr);
	Step one_op_n(ComboResult &cr, uint64_t k, uint64_t n, NthRecord &rec,
		      uint64_t &points, bool &reached);
	void report(const std::string &where, const std::string &what);
	// What the module holds beyond the baseline, "" when nothing.
	std::string held(const dynasync_stats &s) const;
	void check_module(const std::string &where);

	SweepEnv &env_;
	const SweepOptions &opt_;
	const SweepSinks &sinks_;
	SweepResult r_;
	uint64_t seq_ = 1;	// user_data of the next call, never reused
	dynasync_stats baseline_{};
	bool violated_ = false;	// in the current n
};

void Driver::report(const std::string &where, const std::string &what)
{
	r_.totals.violations++;
	violated_ = true;
	if (sinks_.violation)
		sinks_.violation(where + ": " + what);
}

std::string Driver::held(const dynasync_stats &s) const
{
	std::string out;
	auto add = [&](const std::string &what, uint64_t now, uint64_t base) {
		if (now != base)
			out += (out.empty() ? "" : ", ") + what + " " + std::to_string(now) +
			       (base ? " (baseline " + std::to_string(base) + ")" : "");
	};
	for (unsigned i = 0; i < DYNASYNC_SITES; i++)
		add(std::string("live_allocs[") + kSiteNames[i] + "]", s.live_allocs[i],
		    baseline_.live_allocs[i]);
	for (unsigned st = 1; st <= DYNASYNC_STRATEGY_MAX; st++) {
		add(std::string(strategy_name(st)) + " live_frames", s.strategy[st].live_frames,
		    baseline_.strategy[st].live_frames);
		add(std::string(strategy_name(st)) + " live_bytes", s.strategy[st].live_bytes,
		    baseline_.strategy[st].live_bytes);
	}
	return out;
}

// After close: the module's accounting back where it was. It frees a
// call's frames a moment after reporting it, so poll a little.
void Driver::check_module(const std::string &where)
{
	auto start = std::chrono::steady_clock::now();
	dynasync_stats s{};
	std::string left;
	unsigned polls = 0;
	for (;;) {
		int r = env_.module_stats(s);
		polls++;
		if (r < 0) {
			report(where, "module STATS: " + res_str(r));
			return;
		}
		left = held(s);
		auto waited = std::chrono::steady_clock::now() - start;
		if (left.empty() || waited > std::chrono::milliseconds(opt_.leak_poll_ms))
			break;
		env_.pause();
	}
	if (left.empty())
		return;
	r_.totals.leaked++;
	report(where, "after DESTROY of every object and close: " + left + " (after " +
			      std::to_string(polls) + " STATS reads)");
	// Judge later runs on their own.
	baseline_ = s;
}

// The checks after every run: the file empty, no stray completion, and
// after close the module's accounting back to its baseline; the run's
// tally added to the totals.
void Driver::finish(std::unique_ptr<SweepFile> &file, const ShapeRun &run,
		    const std::string &where)
{
	auto violation = [&](const std::string &what) { report(where, what); };
	const RunTally &t = run.tally();
	if (!run.calls_pending()) {
		dynasync_stats fs{};
		if (int r = file->stats(fs); r < 0)
			violation("STATS: " + res_str(r));
		else if (fs.objects || fs.inflight || fs.calls != fs.completions)
			violation("the file after DESTROY of everything: objects " +
				  std::to_string(fs.objects) + ", inflight " +
				  std::to_string(fs.inflight) + ", calls " +
				  std::to_string(fs.calls) + ", completions " +
				  std::to_string(fs.completions) + " (expected 0, 0, equal)");
	}
	std::vector<Completion> stray;
	file->stray(stray);
	if (!stray.empty()) {
		r_.totals.duplicated += stray.size();
		violation(std::to_string(stray.size()) +
			  " completion(s) arrived after their call's (first user_data " +
			  std::to_string(stray[0].user_data) + ")");
	}
	file.reset();	// close: the ring, then the file
	check_module(where);

	SweepTotals &T = r_.totals;
	T.ops += t.ops;
	T.ok += t.ok;
	T.enomem += t.enomem;
	T.absorbed += t.absorbed;
	T.lost += t.lost;
	T.duplicated += t.duplicated;
	T.sum_partial += t.sum_partial;
}

Driver::Step Driver::one_n(ComboResult &cr, uint64_t n)
{
	const std::string where = std::string(strategy_name(cr.strategy)) + "/" +
				  shape_name(cr.shape) + "/" + path_kind_name(cr.path) +
				  " n=" + std::to_string(n);
	auto violation = [&](const std::string &what) { report(where, what); };
	violated_ = false;
	NthRecord rec;
	rec.n = n;

	std::string err;
	std::unique_ptr<SweepFile> file = env_.open(cr.path, err);
	if (!file) {
		violation("open: " + err);
		return Step::kStop;
	}
	// Armed before the first CREATE: creation's allocations are swept too.
	dynasync_fault_policy p{};
	p.mode = DYNASYNC_FAULT_NTH;
	p.flags = DYNASYNC_FAULT_F_RESET_COUNTERS;
	p.nth = n;
	if (int r = file->fault_set(p); r < 0) {
		violation("FAULT_SET nth=" + std::to_string(n) + ": " + res_str(r));
		return Step::kStop;
	}

	ShapeRun run(*file, cr.strategy, seq_, violation);
	run_shape(cr.shape, run, opt_.ticker_period_ns);
	run.destroy_all();
	const RunTally &t = run.tally();
	rec.ops = static_cast<unsigned>(t.ops);
	rec.injected_at = t.injected_at;
	rec.absorbed = t.injected_absorbed;

	dynasync_fault_state st{};
	if (int r = file->fault_get(st); r < 0) {
		violation("FAULT_GET: " + res_str(r));
	} else {
		rec.injections = st.injections;
		rec.candidates = st.candidates;
		r_.totals.injected += st.injections;
		if (st.injections > 1)
			violation("FAULT_GET: " + std::to_string(st.injections) +
				  " injections (NTH fails exactly one candidate)");
		if (st.injections != t.injected_seen)
			violation("FAULT_GET counted " + std::to_string(st.injections) +
				  " injection(s), the ops reported " +
				  std::to_string(t.injected_seen) +
				  " (out.injected, CREATE's per-site counter deltas)");
		if (sum_sites(st.injected) != st.injections)
			violation("FAULT_GET per-site injected counters sum to " +
				  std::to_string(sum_sites(st.injected)) + ", injections " +
				  std::to_string(st.injections));
		if (st.injections && st.candidates < n)
			violation("FAULT_GET: an injection with only " +
				  std::to_string(st.candidates) + " candidates (nth " +
				  std::to_string(n) + ")");
		if (!st.injections && !violated_) {
			if (t.enomem || t.absorbed)
				violation("no injection, yet " + std::to_string(t.enomem) +
					  " op(s) failed with -ENOMEM and " +
					  std::to_string(t.absorbed) + " absorbed a failure");
			// n - 1 candidates ran fault-free at n - 1 up to the last one
			// (failed there); a different count now means the sequence of
			// allocations is not the same from run to run.
			if (st.candidates != n - 1)
				violation("fault-free at nth " + std::to_string(n) + " with " +
					  std::to_string(st.candidates) +
					  " candidates (expected n - 1: the runs before "
					  "failed their nth)");
		}
	}
	finish(file, run, where);
	if (sinks_.nth)
		sinks_.nth(cr, rec);
	if (violated_)
		return Step::kStop;
	return rec.injections ? Step::kNext : Step::kDone;
}

Driver::Step Driver::one_op_n(ComboResult &cr, uint64_t k, uint64_t n, NthRecord &rec,
			      uint64_t &points, bool &reached)
{
	const std::string where = std::string(strategy_name(cr.strategy)) + "/" +
				  shape_name(cr.shape) + "/" + path_kind_name(cr.path) +
				  " op=" + std::to_string(k) + " fail-nth=" + std::to_string(n);
	auto violation = [&](const std::string &what) { report(where, what); };
	violated_ = false;
	rec = NthRecord{};
	rec.n = n;
	rec.op = k;

	std::string err;
	std::unique_ptr<SweepFile> file = env_.open(cr.path, err);
	if (!file) {
		violation("open: " + err);
		return Step::kStop;
	}
	FailNthFile armed(*file, env_, k, static_cast<unsigned>(n));
	ShapeRun run(armed, cr.strategy, seq_, violation);
	run.explain_with([&armed] { return armed.last_op_injected(); });
	run_shape(cr.shape, run, opt_.ticker_period_ns);
	run.destroy_all();
	const RunTally &t = run.tally();
	rec.ops = static_cast<unsigned>(t.ops);
	rec.injected_at = t.injected_at;
	rec.absorbed = t.injected_absorbed;
	rec.kernel_injected = armed.injected();
	rec.module_injected = armed.module_injected();
	rec.module_failed = armed.module_failed();
	reached = armed.reached();
	if (!armed.error().empty())
		violation(armed.error());
	if (reached && !armed.injected() && !violated_) {
		points = armed.points();
		if (armed.module_injected() || armed.module_failed() || armed.outside_failed())
			violation("nothing injected, yet the module counted " +
				  std::to_string(armed.module_injected()) + " injected and " +
				  std::to_string(armed.module_failed()) +
				  " failed allocation(s) across the op");
		if (points >= n)
			violation("fail-nth " + std::to_string(n) + " not injected after " +
				  std::to_string(points) + " fault points");
	}
	if (reached && armed.injected()) {
		r_.totals.injected++;
		if (armed.module_injected() + armed.module_failed() + armed.outside_failed() > 1)
			violation("one fail-nth injection, yet the module counted " +
				  std::to_string(armed.module_injected()) + " injected and " +
				  std::to_string(armed.module_failed()) +
				  " failed allocation(s) across the op");
	}
	uint64_t allocs = armed.module_attempted();
	finish(file, run, where);
	if (sinks_.nth)
		sinks_.nth(cr, rec);
	if (violated_)
		return Step::kStop;
	if (!reached)
		return Step::kDone;
	if (armed.injected())
		return Step::kNext;
	cr.module_allocs += allocs;
	return Step::kDone;
}

// Each op k of the shape in turn, each swept with n = 1, 2, ... until a run
// passes all of op k's fault points; done when a run ends before op k.
// Every allocation the module makes in op k has two fault points in the
// task (fail_dynasync's, then the slab's): the sweep must have failed each
// at both, so per op the n that hit the module at fail_dynasync's point,
// and at the slab's, each number its allocations.
void Driver::combo_kernel(ComboResult &cr)
{
	const std::string name = std::string(strategy_name(cr.strategy)) + "/" +
				 shape_name(cr.shape) + "/" + path_kind_name(cr.path);
	// Rarely a fault point moves between runs (work the kernel does in
	// the task only sometimes): a pass whose counts disagree is repeated,
	// and one pass of kPasses must show the exact coverage.
	constexpr unsigned kPasses = 3;
	for (uint64_t k = 0;; k++) {
		for (unsigned pass = 0;; pass++) {
			const ComboResult before = cr;
			uint64_t hit_dynasync = 0, hit_slab = 0;
			for (uint64_t n = 1;; n++) {
				if (n > opt_.max_n) {
					report(name + " op=" + std::to_string(k),
					       "still injecting at fail-nth " +
						       std::to_string(opt_.max_n) + " (the cap)");
					cr.violated = true;
					return;
				}
				cr.last_n = n;
				NthRecord rec;
				uint64_t points = 0;
				bool reached = false;
				Step s = one_op_n(cr, k, n, rec, points, reached);
				if (s == Step::kStop) {
					cr.violated = true;
					return;
				}
				if (!reached) {
					cr.complete = true;
					return;
				}
				if (s == Step::kNext) {
					hit_dynasync += rec.module_injected ? 1 : 0;
					hit_slab += rec.module_failed ? 1 : 0;
					continue;
				}
				cr.ops_swept++;
				cr.points += points;
				break;
			}
			uint64_t allocs = cr.module_allocs - before.module_allocs;
			uint64_t want_slab = allocs * opt_.slab_points;
			if (!opt_.slab_points || (hit_dynasync == allocs && hit_slab == want_slab)) {
				cr.hit_dynasync += hit_dynasync;
				cr.hit_slab += hit_slab;
				break;
			}
			std::string what = "the op makes " + std::to_string(allocs) +
					   " module allocation(s) fault-free, but the sweep failed " +
					   std::to_string(hit_dynasync) + " at fail_dynasync and " +
					   std::to_string(hit_slab) + " after it (expected " +
					   std::to_string(allocs) + " and " +
					   std::to_string(want_slab) + ")";
			if (pass + 1 == kPasses) {
				report(name + " op=" + std::to_string(k),
				       what + " in each of " + std::to_string(kPasses) + " passes");
				cr.violated = true;
				return;
			}
			const uint64_t resweeps = cr.resweeps + 1;
			cr = before;
			cr.resweeps = resweeps;
			if (sinks_.resweep)
				sinks_.resweep(name + " op=" + std::to_string(k) + ": " + what +
					       "; sweeping the op again");
		}
	}
}

void Driver::combo(uint32_t strategy, Shape shape, PathKind path)
{
	ComboResult cr;
	cr.strategy = strategy;
	cr.shape = shape;
	cr.path = path;
	if (opt_.kernel_fail_nth) {
		combo_kernel(cr);
		r_.combos.push_back(cr);
		return;
	}
	for (uint64_t n = 1;; n++) {
		if (n > opt_.max_n) {
			report(std::string(strategy_name(strategy)) + "/" + shape_name(shape) + "/" +
				       path_kind_name(path),
			       "still injecting at nth " + std::to_string(opt_.max_n) +
				       " (the cap): no fault-free run");
			cr.violated = true;
			break;
		}
		cr.last_n = n;
		Step s = one_n(cr, n);
		if (s == Step::kStop) {
			cr.violated = true;
			break;
		}
		if (s == Step::kDone) {
			cr.complete = true;
			cr.allocations = n - 1;
			break;
		}
	}
	r_.combos.push_back(cr);
}

SweepResult Driver::run()
{
	if (int r = env_.module_stats(baseline_); r < 0) {
		report("start", "module STATS: " + res_str(r));
		return r_;
	}
	dynasync_stats zero{};
	std::string before;
	{
		dynasync_stats b = baseline_;
		baseline_ = zero;
		before = held(b);
		baseline_ = b;
	}
	if (!before.empty())
		report("start", "the module holds allocations before the sweep: " + before);
	for (uint32_t strategy : opt_.strategies)
		for (Shape shape : opt_.shapes)
			for (PathKind path : opt_.paths)
				combo(strategy, shape, path);
	return r_;
}

} // namespace

SweepResult run_sweep(SweepEnv &env, const SweepOptions &opt, const SweepSinks &sinks)
{
	return Driver(env, opt, sinks).run();
}

} // namespace harness
