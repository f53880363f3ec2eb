// SPDX-License-Identifier: GPL-2.0
#include "sweep_ops.h"

#include <algorithm>
#include <cerrno>

#include "names.h"

namespace harness {

std::string res_str(int res)
{
	return res < 0 ? "-" + errno_name(-res) : std::to_string(res);
}

uint64_t sum_sites(const __u64 (&v)[DYNASYNC_SITES])
{
	uint64_t n = 0;
	for (uint64_t x : v)
		n += x;
	return n;
}

ShapeRun::ShapeRun(SweepFile &file, uint32_t strategy, uint64_t &seq, Report violation)
	: f_(file), strategy_(strategy), seq_(seq), report_(std::move(violation))
{
	enomem_.allow(ENOMEM);
	external_errnos_.allow(ENOMEM);
	external_errnos_.allow(EAGAIN);
}

dynasync_storage ShapeRun::storage() const
{
	return default_storage(strategy_);
}

void ShapeRun::violation(const std::string &what)
{
	violations_++;
	stopped_ = true;
	if (report_)
		report_(what);
}

bool ShapeRun::file_stats(dynasync_stats &s)
{
	int r = f_.stats(s);
	if (r < 0)
		violation("STATS: " + res_str(r));
	return r == 0;
}

bool ShapeRun::fault_state(dynasync_fault_state &s)
{
	int r = f_.fault_get(s);
	if (r < 0)
		violation("FAULT_GET: " + res_str(r));
	return r == 0;
}

void ShapeRun::forget(uint32_t h)
{
	held_.erase(std::remove(held_.begin(), held_.end(), h), held_.end());
}

// A successful op: injected allocations are only absorbed by a RESERVE
// pool; anywhere else the op had to fail with -ENOMEM.
void ShapeRun::success(const char *what, uint64_t injected, uint64_t alloc_failed)
{
	if (!injected && !alloc_failed) {
		t_.ok++;
		return;
	}
	if (strategy_ != DYNASYNC_STRATEGY_RESERVE) {
		violation(std::string(what) + " succeeded although " + std::to_string(injected) +
			  " allocation(s) were injected and " + std::to_string(alloc_failed) +
			  " failed (only a RESERVE pool may absorb a failure)");
		return;
	}
	t_.absorbed++;
	if (t_.injected_at.empty()) {
		t_.injected_at = what;
		t_.injected_absorbed = true;
	}
}

uint32_t ShapeRun::create(const Spec &spec, uint32_t inner)
{
	std::string what = std::string("CREATE ") + impl_name(spec.impl);
	for (int attempt = 0; ok(); attempt++) {
		dynasync_stats before{}, after{};
		dynasync_fault_state fb{}, fa{};
		if (!file_stats(before) || !fault_state(fb))
			return 0;
		dynasync_create c{};
		c.trait = spec.trait();
		c.impl = spec.impl;
		c.inner[0] = inner;
		c.param[0] = spec.param[0];
		c.param[1] = spec.param[1];
		c.storage = storage();
		t_.ops++;
		int r = f_.create(c);
		if (!fault_state(fa) || !file_stats(after))
			return 0;
		// The file's per-site counters (either policy, like a call's
		// out.injected) explain a CREATE's -ENOMEM.
		uint64_t injected = sum_sites(fa.injected) - sum_sites(fb.injected);
		uint64_t real = sum_sites(fa.failed) - sum_sites(fb.failed);
		uint64_t explained = injected + real;
		t_.injected_seen += injected;
		if (r == -ENOMEM) {
			t_.enomem++;
			if (t_.injected_at.empty())
				t_.injected_at = what;
			if (!explained && !external()) {
				violation(what + ": -ENOMEM but FAULT_GET counted no injected or "
						 "failed allocation");
				return 0;
			}
			if (after.objects != before.objects) {
				violation(what + ": -ENOMEM left STATS.objects at " +
					  std::to_string(after.objects) + ", was " +
					  std::to_string(before.objects));
				return 0;
			}
			if (attempt >= 2) {
				violation(what + ": -ENOMEM on 3 attempts in a row (NTH fails one "
						 "allocation)");
				return 0;
			}
			// Again, with the same inner handle: it must still be ours.
			continue;
		}
		if (r < 0) {
			violation(what + ": " + res_str(r) + " (only -ENOMEM may fail)");
			return 0;
		}
		// CREATE cannot absorb a failure (mempool_create fails whole).
		if (injected || real) {
			violation(what + " succeeded although FAULT_GET counted " +
				  std::to_string(injected) + " injection(s) and " +
				  std::to_string(real) + " failed allocation(s) during it");
			return 0;
		}
		t_.ok++;
		if (!c.handle) {
			violation(what + ": handle 0");
			return 0;
		}
		if (after.objects != before.objects + 1) {
			violation(what + ": STATS.objects went from " +
				  std::to_string(before.objects) + " to " +
				  std::to_string(after.objects) + ", expected +1");
			return 0;
		}
		if (inner)
			forget(inner);
		held_.push_back(c.handle);
		return c.handle;
	}
	return 0;
}

bool ShapeRun::attempt(const char *what, dynasync_call &c, dynasync_call_out &out, int &res)
{
	out = dynasync_call_out{};
	c.out_ptr = reinterpret_cast<uintptr_t>(&out);
	uint64_t ud = seq_++;
	std::vector<Completion> got;
	t_.ops++;
	int r = f_.call(c, ud, got);
	if (r < 0 && external() && (r == -ENOMEM || r == -EAGAIN) && got.empty()) {
		// io_uring refused the submission: nothing was submitted, so
		// nothing may complete; the op is made again like after -ENOMEM.
		res = r;
		return true;
	}
	if (r < 0) {
		violation(std::string(what) + ": the call path failed: " + res_str(r));
		return false;
	}
	unsigned mine = 0;
	for (const Completion &x : got) {
		if (x.user_data == ud) {
			if (!mine++)
				res = x.res;
		}
	}
	uint64_t extra = got.size() - std::min<uint64_t>(mine, 1);
	if (!mine) {
		t_.lost++;
		pending_ = true;
		violation(std::string(what) + ": no completion (lost), " +
			  std::to_string(got.size()) + " other completion(s)");
		return false;
	}
	if (extra) {
		t_.duplicated += extra;
		violation(std::string(what) + ": " + std::to_string(got.size()) +
			  " completions, " + std::to_string(mine) +
			  " with its user_data (exactly one expected)");
		return false;
	}
	return true;
}

bool ShapeRun::until_ok(const char *what, dynasync_call &c, const ObjectModel &m, int &res,
			dynasync_call_out &out, const std::function<void()> &unchanged)
{
	for (int attempt = 0; ok(); attempt++) {
		if (!this->attempt(what, c, out, res))
			return false;
		t_.injected_seen += out.injected;
		bool ext = external();
		if (res != -ENOMEM && !(ext && res == -EAGAIN)) {
			if (res < 0) {
				violation(std::string(what) + ": " + res_str(res) +
					  " (only -ENOMEM may fail)");
				return false;
			}
			success(what, out.injected, out.alloc_failed);
			return ok();
		}
		t_.enomem++;
		if (t_.injected_at.empty())
			t_.injected_at = what;
		bool module_failed = out.injected || out.alloc_failed;
		if (!module_failed && !ext) {
			violation(std::string(what) + ": -ENOMEM with out.injected 0 and "
						      "out.alloc_failed 0");
			return false;
		}
		// A failure outside the module (io_uring's) is not the pool's to
		// absorb; one of the module's allocations is.
		if (strategy_ == DYNASYNC_STRATEGY_RESERVE && module_failed &&
		    c.method != DYNASYNC_METHOD_COMPONENTS) {
			violation(std::string(what) + ": -ENOMEM on a RESERVE object (out.injected " +
				  std::to_string(out.injected) + "): its pool should absorb one failure");
			return false;
		}
		// A failed call writes nothing but the two counts.
		ObjectModel probe = m;
		Verdict v = probe.complete(c, res, out, ext ? external_errnos_ : enomem_);
		if (!v.ok) {
			violation(std::string(what) + " -ENOMEM: " + v.why);
			return false;
		}
		unchanged();
		if (!ok())
			return false;
		if (attempt >= 2) {
			violation(std::string(what) + ": -ENOMEM on 3 attempts in a row (NTH fails "
						      "one allocation)");
			return false;
		}
	}
	return false;
}

namespace {

dynasync_call make_call(uint32_t h, uint32_t method, uint64_t a0 = 0, uint64_t a1 = 0)
{
	dynasync_call c{};
	c.handle = h;
	c.method = method;
	c.arg[0] = a0;
	c.arg[1] = a1;
	return c;
}

} // namespace

bool ShapeRun::next(uint32_t h, ObjectModel &m)
{
	dynasync_call c = make_call(h, DYNASYNC_METHOD_NEXT);
	dynasync_call_out out{};
	int res = 0;
	// A failed NEXT must not advance: the retry is checked against the
	// unchanged model, so it must return the item the failed one would.
	if (!until_ok("NEXT", c, m, res, out, [] {}))
		return false;
	Verdict v = m.complete(c, res, out, enomem_);
	if (!v.ok)
		violation("NEXT: " + v.why);
	return ok();
}

bool ShapeRun::sum(uint32_t h, ObjectModel &m, uint64_t n)
{
	dynasync_call c = make_call(h, DYNASYNC_METHOD_SUM, n);
	dynasync_call_out out{};
	int res = 0;
	bool failed = false;
	uint64_t enomem_before = t_.enomem;
	if (!until_ok("SUM", c, m, res, out, [] {}))
		return false;
	failed = t_.enomem != enomem_before;
	if (!failed) {
		Verdict v = m.complete(c, res, out, enomem_);
		if (!v.ok)
			violation("SUM: " + v.why);
		return ok();
	}
	// A SUM that failed keeps the items it took before the failing
	// next() (that one did not advance): k of them, 0 <= k < n. The
	// retry then sums items k .. k+n-1; exactly one k may explain it
	// (the shape's items increase).
	std::string tried;
	for (uint64_t k = 0; k < n; k++) {
		ObjectModel at = m;
		at.iter.sum(k);
		Verdict v = at.complete(c, res, out, enomem_);
		if (v.ok) {
			m = at;
			if (k)
				t_.sum_partial++;
			return true;
		}
		tried += (tried.empty() ? "" : "; ") + ("k=" + std::to_string(k) + ": " + v.why);
	}
	violation("SUM after -ENOMEM: no count of items taken by the failed SUM (0.." +
		  std::to_string(n - 1) + ") explains the retry: " + tried);
	return false;
}

bool ShapeRun::augment(uint32_t h, ObjectModel &m, uint64_t kind, uint64_t size)
{
	dynasync_call c = make_call(h, DYNASYNC_METHOD_AUGMENT, kind, size);
	dynasync_call_out out{};
	int res = 0;
	const char *what = kind == DYNASYNC_COMPONENT_GEAR ? "AUGMENT gear" : "AUGMENT bolt";
	// The retry's total is checked against the unchanged model: a failed
	// AUGMENT must not have added its weight.
	if (!until_ok(what, c, m, res, out, [] {}))
		return false;
	Verdict v = m.complete(c, res, out, enomem_);
	if (!v.ok)
		violation(std::string(what) + ": " + v.why);
	return ok();
}

uint32_t ShapeRun::components(uint32_t h, ObjectModel &m, ObjectModel &items)
{
	dynasync_call c = make_call(h, DYNASYNC_METHOD_COMPONENTS);
	dynasync_call_out out{};
	dynasync_stats before{};
	int res = 0;
	if (!file_stats(before))
		return 0;
	auto no_object = [&] {
		dynasync_stats s{};
		if (file_stats(s) && s.objects != before.objects)
			violation("COMPONENTS -ENOMEM left STATS.objects at " +
				  std::to_string(s.objects) + ", was " +
				  std::to_string(before.objects));
	};
	if (!until_ok("COMPONENTS", c, m, res, out, no_object))
		return 0;
	Verdict v = m.complete(c, res, out, enomem_);
	if (!v.ok) {
		violation("COMPONENTS: " + v.why);
		return 0;
	}
	dynasync_stats after{};
	if (!file_stats(after))
		return 0;
	if (after.objects != before.objects + 1) {
		violation("COMPONENTS: STATS.objects went from " + std::to_string(before.objects) +
			  " to " + std::to_string(after.objects) + ", expected +1");
		return 0;
	}
	Spec counter;
	counter.impl = DYNASYNC_IMPL_COUNTER;
	counter.param[1] = v.component_count;
	items = ObjectModel::from_spec(counter);
	held_.push_back(v.new_handle);
	return v.new_handle;
}

bool ShapeRun::transmit(uint32_t h, ObjectModel &m)
{
	dynasync_call c = make_call(h, DYNASYNC_METHOD_TRANSMIT);
	dynasync_call_out out{};
	dynasync_stats before{};
	int res = 0;
	if (!file_stats(before))
		return false;
	// A TRANSMIT that could not start leaves the widget as it was: nothing
	// delivered, the object still there (the retry then consumes it).
	auto untouched = [&] {
		dynasync_stats s{};
		if (!file_stats(s))
			return;
		if (s.sink_total != before.sink_total ||
		    s.sink_deliveries != before.sink_deliveries || s.objects != before.objects)
			violation("TRANSMIT -ENOMEM changed STATS: sink_total " +
				  std::to_string(before.sink_total) + " -> " +
				  std::to_string(s.sink_total) + ", sink_deliveries " +
				  std::to_string(before.sink_deliveries) + " -> " +
				  std::to_string(s.sink_deliveries) + ", objects " +
				  std::to_string(before.objects) + " -> " +
				  std::to_string(s.objects));
	};
	if (!until_ok("TRANSMIT", c, m, res, out, untouched))
		return false;
	Verdict v = m.complete(c, res, out, enomem_);
	if (!v.ok) {
		violation("TRANSMIT: " + v.why);
		return false;
	}
	forget(h);
	dynasync_stats after{};
	if (!file_stats(after))
		return false;
	if (after.sink_total != before.sink_total + v.delivered ||
	    after.sink_deliveries != before.sink_deliveries + 1 ||
	    after.objects + 1 != before.objects) {
		violation("TRANSMIT: STATS sink_total " + std::to_string(before.sink_total) +
			  " -> " + std::to_string(after.sink_total) + " (delivered " +
			  std::to_string(v.delivered) + "), sink_deliveries " +
			  std::to_string(before.sink_deliveries) + " -> " +
			  std::to_string(after.sink_deliveries) + ", objects " +
			  std::to_string(before.objects) + " -> " + std::to_string(after.objects) +
			  " (expected +total, +1, -1)");
		return false;
	}
	// The consumed handle was released with the completion.
	int r = f_.destroy(h);
	if (r != -ENOENT)
		violation("DESTROY of the handle TRANSMIT consumed: " + res_str(r) +
			  ", expected -ENOENT");
	return ok();
}

void ShapeRun::destroy_all()
{
	if (pending_)
		return;
	while (!held_.empty()) {
		uint32_t h = held_.back();
		held_.pop_back();
		int r = f_.destroy(h);
		if (r != 0) {
			violations_++;
			if (report_)
				report_("DESTROY " + std::to_string(h) + ": " + res_str(r) +
					", expected 0");
		}
	}
}

} // namespace harness
