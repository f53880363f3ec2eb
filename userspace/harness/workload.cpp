// SPDX-License-Identifier: GPL-2.0
#include "workload.h"

#include <algorithm>
#include <cerrno>

#include "fault_spec.h"
#include "workload_impl.h"

namespace harness {

namespace workload_detail {

void Workload::check(const std::string &name, bool ok, const std::string &detail)
{
	r_.checks.push_back({ name, ok, detail });
}

void Workload::failure(const std::string &what)
{
	r_.failure_count++;
	if (r_.failures.size() < opt_.max_failures_shown)
		r_.failures.push_back(what);
	// A broken module could fail every call: 1000 reasons are plenty.
	if (r_.failure_count >= 1000 && !stop_) {
		stop_ = true;
		r_.failures.push_back("1000 failures: submitting no more calls");
	}
}

void Workload::fatal(const std::string &what)
{
	failure(what);
	stop_ = true;
}

bool Workload::setup()
{
	r_.path = opt_.uring ? "io_uring" : "ioctl";
	r_.batch = opt_.uring ? opt_.batch : 1;
	r_.seed = opt_.seed;
	r_.strategies = opt_.strategies;
	r_.ticker_period_ns = opt_.ticker_period_ns;
	r_.allowed_errnos = opt_.policy.list();
	r_.ops = opt_.ops;
	r_.fault.enabled = opt_.fault.enabled;
	if (opt_.fault.enabled) {
		r_.fault.policy = describe_fault_policy(opt_.fault.policy);
		r_.fault.window = opt_.fault.window;
		r_.fault.window_start = opt_.fault.window_start;
		r_.fault.window_end = opt_.fault.window_end;
	}

	if (opt_.uring) {
		if (opt_.depth < 1 || opt_.depth > kMaxDepth || opt_.batch < 1) {
			check("options", false, "--qd must be 1.." + std::to_string(kMaxDepth) +
						       " and --batch >= 1");
			return false;
		}
		std::string err;
		path_ = open_uring_path(dev_, opt_.depth, err);
		if (!path_) {
			check("io_uring setup", false, err);
			return false;
		}
	} else {
		path_ = open_ioctl_path(dev_);
	}
	r_.depth = path_->depth();
	r_.batch = std::min(r_.batch, r_.depth);

	// Enough objects that every call in flight has its own, with as many
	// idle again to choose from.
	size_t sets = r_.strategies.size() * kNumKinds;
	unsigned k = opt_.objects_per_kind;
	if (!k)
		k = std::max<unsigned>(1, static_cast<unsigned>((2 * r_.depth + sets - 1) / sets));
	r_.objects_per_kind = k;
	size_t top_level = sets * k;
	long max_objects = module_param("max_objects", 1024);
	long max_inflight = module_param("max_inflight", 256);
	max_call_ms_ = module_param("max_call_ms", 10000);
	if (static_cast<long>(r_.depth) > max_inflight) {
		check("options", false, "--qd " + std::to_string(r_.depth) +
						" exceeds the module parameter max_inflight " +
						std::to_string(max_inflight));
		return false;
	}
	// Each widget may have one COMPONENTS object alive besides.
	size_t needed = r_.strategies.size() * k * (kObjectsPerKindSet + 1);
	if (static_cast<long>(needed) > max_objects) {
		check("options", false, std::to_string(needed) + " objects needed (" +
						std::to_string(k) + " per kind x strategy), module " +
						"parameter max_objects is " + std::to_string(max_objects));
		return false;
	}
	if (top_level < r_.depth)
		std::fprintf(stderr, "dynasync: note: %zu objects for queue depth %u: "
			     "fewer calls than that will be in flight\n", top_level, r_.depth);

	for (uint32_t t : { DYNASYNC_TRAIT_ITERATOR, DYNASYNC_TRAIT_WIDGET }) {
		dynasync_layout l{};
		l.trait = t;
		l.impl = t == DYNASYNC_TRAIT_ITERATOR ? DYNASYNC_IMPL_COUNTER : DYNASYNC_IMPL_GADGET;
		l.method = t == DYNASYNC_TRAIT_ITERATOR ? DYNASYNC_METHOD_NEXT : DYNASYNC_METHOD_AUGMENT;
		int r = dev_.layout(l);
		if (r < 0) {
			check("LAYOUT", false, std::string("LAYOUT ") + trait_name(t) + ": " +
						       describe_res(r));
			return false;
		}
		slot_size_[t] = static_cast<uint32_t>(l.slot_size);
	}
	check_storage_fits();
	if (opt_.fault.enabled && opt_.fault.window_start >= opt_.ops) {
		check("options", false, "--fault-window starts at call " +
						std::to_string(opt_.fault.window_start) +
						", after the last of --ops " + std::to_string(opt_.ops));
		return false;
	}

	if (int r = dev_.stats(r_.stats_before); r < 0) {
		check("STATS", false, "STATS before the run: " + describe_res(r));
		return false;
	}
	for (uint32_t s : r_.strategies) {
		for (uint32_t kind : kKinds) {
			for (unsigned i = 0; i < k && !stop_; i++) {
				size_t idx = new_entry();
				objects_[idx].strategy = s;
				objects_[idx].kind = kind;
				if (fill(objects_[idx]))
					idle_.push_back(idx);
				else
					vacant_.push_back(idx);
			}
		}
	}
	if (stop_)
		return false;
	check_inner_handle_released();

	slots_.resize(r_.depth);
	for (unsigned i = r_.depth; i-- > 0;)
		free_slots_.push_back(i);
	completions_.push_back(0);	// seq 0 is never used
	return true;
}

RunReport Workload::run()
{
	double t0 = now_s();
	bool ok = setup();
	r_.setup_s = now_s() - t0;
	if (!ok) {
		// Say why we stop, and leave nothing behind: what STATS then
		// still counts is a leak.
		if (r_.checks.empty() || r_.checks.back().ok)
			check("setup", false, r_.failures.empty() ? "failed" : r_.failures.back());
		for (Object &o : objects_)
			destroy(o, false);
		dev_.stats(r_.stats_after);
		return r_;
	}
	double start = now_s();
	progress_.start();
	while (!stalled_) {
		submit_round();
		if (!inflight_) {
			if (r_.submitted >= r_.ops || stop_)
				break;
			if (idle_.empty()) {
				fatal("no object left to call (every replacement CREATE failed)");
				break;
			}
			continue;
		}
		reap();
		progress_.update(r_.completed, r_.ops, inflight_, r_.failure_count);
	}
	r_.run_s = now_s() - start;
	if (inflight_samples_)
		r_.mean_inflight = static_cast<double>(inflight_sum_) / inflight_samples_;
	progress_.finish();
	fault_finish();
	final_checks();
	return r_;
}

} // namespace workload_detail

RunReport run_workload(const Device &dev, const RunOptions &opt)
{
	RunOptions o = opt;
	if (o.strategies.empty())
		for (uint32_t s = 1; s <= DYNASYNC_STRATEGY_MAX; s++)
			o.strategies.push_back(s);
	// A --fault run accepts -ENOMEM (each must be explained).
	if (o.fault.enabled)
		o.policy.allow(ENOMEM);
	workload_detail::Workload w(dev, o);
	return w.run();
}

} // namespace harness
