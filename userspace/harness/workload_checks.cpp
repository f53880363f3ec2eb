// SPDX-License-Identifier: GPL-2.0
// What is checked once the calls are done: exactly-once, the model,
// STATS against the harness's own counts, and teardown to zero.
#include <cstdio>
#include <unistd.h>

#include "workload_impl.h"

namespace harness::workload_detail {

bool Workload::teardown_clean(const dynasync_stats &s, std::string &detail) const
{
	detail.clear();
	auto add = [&](const std::string &what, uint64_t v) {
		if (v)
			detail += (detail.empty() ? "" : ", ") + what + " " + std::to_string(v);
	};
	add("objects", s.objects);
	static const char *const kSites[DYNASYNC_SITES] = {
		"frame", "task", "object", "args", "reserve", "misc", "site6", "site7",
	};
	for (unsigned i = 0; i < DYNASYNC_SITES; i++)
		add(std::string("live_allocs[") + kSites[i] + "]", s.live_allocs[i]);
	for (unsigned st = 1; st <= DYNASYNC_STRATEGY_MAX; st++) {
		add(std::string(strategy_name(st)) + " live_frames", s.strategy[st].live_frames);
		add(std::string(strategy_name(st)) + " live_bytes", s.strategy[st].live_bytes);
	}
	return detail.empty();
}

// The module may free a call's bookkeeping a moment after its CQE: reads
// STATS until @done holds, for up to a second, and says in @how how long
// it took. 1: it held, 0: it did not, -errno: STATS failed.
template <class Pred>
int Workload::poll_stats(dynasync_stats &s, std::string &how, Pred done)
{
	double start = now_s();
	int polls = 0;
	bool ok = false;
	for (;;) {
		if (int r = dev_.stats(s); r < 0) {
			how = "STATS: " + describe_res(r);
			return r;
		}
		polls++;
		ok = done(s);
		if (ok || now_s() - start > 1.0)
			break;
		usleep(1000);
	}
	char buf[96];
	if (ok && polls == 1)
		std::snprintf(buf, sizeof(buf), "at the first STATS");
	else
		std::snprintf(buf, sizeof(buf), "%s after %d STATS reads (%.1f ms)",
			      ok ? "reached" : "not reached", polls, (now_s() - start) * 1000);
	how = buf;
	return ok ? 1 : 0;
}

void Workload::final_checks()
{
	uint64_t missing = 0;
	for (uint64_t seq = 1; seq < next_seq_; seq++)
		missing += completions_[seq] == 0;
	r_.missing = missing;
	check("exactly-once", !missing && !r_.duplicates && !r_.unknown,
	      std::to_string(r_.submitted) + " submitted, " + std::to_string(r_.completed) +
		      " completed once, " + std::to_string(r_.duplicates) + " duplicates, " +
		      std::to_string(missing) + " missing, " + std::to_string(r_.unknown) +
		      " unknown");
	uint64_t unexpected = 0;
	for (const auto &[err, n] : r_.unexpected)
		unexpected += n;
	check("every completion matched the model", model_failures_ == 0,
	      std::to_string(r_.completed - model_failures_) + " verified, " +
		      std::to_string(model_failures_) + " mismatches (" +
		      std::to_string(unexpected) + " unexpected errnos)");
	// Each strategy must really have placed frames, not only been named.
	if (r_.submitted >= 100 * r_.strategies.size() && !stalled_) {
		dynasync_stats s{};
		std::string unused;
		if (dev_.stats(s) == 0) {
			size_t asked = 0;
			for (uint32_t st : r_.strategies) {
				// Under --fault a strategy may have had every call
				// fail: only one whose calls succeeded must show it.
				uint64_t calls = 0;
				for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++)
					calls += r_.calls[st][m];
				if (opt_.fault.enabled && calls == r_.calls[st][0])
					continue;
				asked++;
				if (s.strategy[st].placements == r_.stats_before.strategy[st].placements)
					unused += std::string(unused.empty() ? "" : ", ") + strategy_name(st);
			}
			check("every strategy placed frames", unused.empty(),
			      unused.empty() ? "placements grew in each of the " +
						       std::to_string(asked) + " strategies" +
						       (asked < r_.strategies.size()
								? " whose calls succeeded"
								: "")
					     : "no frame placed by: " + unused);
		}
	}
	for (int err : opt_.required) {
		auto it = r_.outcomes.find(err);
		uint64_t n = it == r_.outcomes.end() ? 0 : it->second;
		check("-" + errno_name(err) + " occurred (--require-errno)", n > 0,
		      std::to_string(n) + " calls");
	}
	if (r_.submitted < r_.ops)
		check("all requested calls ran", false,
		      std::to_string(r_.submitted) + " of " + std::to_string(r_.ops) +
			      " submitted before the run stopped");
	if (stalled_) {
		check("drain", false, "calls still in flight: their objects cannot be destroyed");
		dev_.stats(r_.stats_after);	// what is left counts as leaked
		return;
	}

	dynasync_stats s{};
	double t0 = now_s();
	// No call is left, so neither is any call's bookkeeping.
	std::string waited;
	int idle = poll_stats(s, waited, [](const dynasync_stats &x) {
		return x.live_allocs[DYNASYNC_SITE_TASK] == 0;
	});
	if (idle < 0) {
		check("STATS after drain", false, waited);
		return;
	}
	check("no call bookkeeping live after drain", idle == 1,
	      "live_allocs[task] " + std::to_string(s.live_allocs[DYNASYNC_SITE_TASK]) + ", " +
		      waited);
	check("STATS after drain: calls, completions, in flight",
	      s.inflight == 0 && s.calls == calls_issued_ && s.completions == calls_issued_,
	      "inflight " + std::to_string(s.inflight) + ", calls " + std::to_string(s.calls) +
		      ", completions " + std::to_string(s.completions) + "; harness made " +
		      std::to_string(calls_issued_) + " calls");
	check("STATS sink matches the transmitted totals",
	      s.sink_total == r_.sink_total && s.sink_deliveries == r_.sink_deliveries,
	      "module: total " + std::to_string(s.sink_total) + " in " +
		      std::to_string(s.sink_deliveries) + " deliveries; model: total " +
		      std::to_string(r_.sink_total) + " in " +
		      std::to_string(r_.sink_deliveries));
	size_t expected_objects = 0;
	for (const Object &o : objects_)
		expected_objects += o.in_use ? o.kernel_objects : 0;
	check("STATS objects match the harness's", s.objects == expected_objects,
	      "module " + std::to_string(s.objects) + ", harness " +
		      std::to_string(expected_objects) + " (inner objects included)");

	// Teardown: DESTROY everything left, then the module-wide accounting
	// must be back to zero (this is the only open file in the test VM).
	uint64_t destroyed_before = r_.destroyed;
	uint64_t failures_before = r_.failure_count;
	for (Object &o : objects_)
		if (o.in_use && !o.model.consumed)
			destroy(o, false);
	check("DESTROY of every remaining object", r_.failure_count == failures_before,
	      std::to_string(r_.destroyed - destroyed_before) + " destroyed");
	std::string detail;
	bool clean = poll_stats(s, waited, [&](const dynasync_stats &x) {
		return teardown_clean(x, detail);
	}) == 1;
	r_.stats_after = s;
	check("teardown: 0 objects, 0 live allocations, 0 live frames", clean,
	      clean ? waited : detail + " (" + waited + ")");
	r_.teardown_s = now_s() - t0;
}

} // namespace harness::workload_detail
