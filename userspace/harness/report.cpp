// SPDX-License-Identifier: GPL-2.0
#include "report.h"

#include <cerrno>
#include <cinttypes>

#include "fault_spec.h"
#include "json.h"
#include "names.h"

namespace harness {

namespace {

uint64_t method_total(const RunReport &r, uint32_t method)
{
	uint64_t n = 0;
	for (uint32_t s : r.strategies)
		n += r.calls[s][method];
	return n;
}

uint64_t strategy_total(const RunReport &r, uint32_t s)
{
	uint64_t n = 0;
	for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++)
		n += r.calls[s][m];
	return n;
}

// Frames the strategy placed during the run (module-wide counters).
uint64_t frames(const RunReport &r, uint32_t s)
{
	return r.stats_after.strategy[s].placements - r.stats_before.strategy[s].placements;
}

bool allowed(const RunReport &r, int err)
{
	for (int e : r.allowed_errnos)
		if (e == err)
			return true;
	return false;
}

const char *outcome_note(const RunReport &r, int err)
{
	if (err == 0)
		return "";
	if (r.unexpected.count(err))
		return "UNEXPECTED";
	if (err == ENOENT)
		return "expected: calls on handles transmit consumed";
	if (err == ENOMEM && r.fault.enabled)
		return r.fault.enomem_unexplained ? "accepted (--fault), SOME UNEXPLAINED"
						  : "accepted (--fault): each explained by out.injected/alloc_failed";
	if (allowed(r, err))
		return "accepted (--allow-errno)";
	return "";
}

double rate(const RunReport &r)
{
	return r.run_s > 0 ? r.completed / r.run_s : 0;
}

void print_checks(const RunReport &r, FILE *out)
{
	std::fprintf(out, "\n  checks:\n");
	size_t failed = 0;
	for (const Check &c : r.checks) {
		std::fprintf(out, "    %s  %s: %s\n", c.ok ? "PASS" : "FAIL", c.name.c_str(),
			     c.detail.c_str());
		failed += !c.ok;
	}
	if (r.failure_count) {
		std::fprintf(out, "\n  failures (%zu shown of %" PRIu64 "):\n", r.failures.size(),
			     r.failure_count);
		for (const std::string &f : r.failures)
			std::fprintf(out, "    %s\n", f.c_str());
	}
	if (r.passed())
		std::fprintf(out, "\nresult: PASS (%zu checks, %" PRIu64 " calls verified in %.2f s)\n",
			     r.checks.size(), r.completed, r.run_s);
	else
		std::fprintf(out, "\nresult: FAIL (%zu of %zu checks failed, %" PRIu64 " failures)\n",
			     failed, r.checks.size(), r.failure_count);
}

std::string window_text(const FaultReport &f)
{
	if (!f.window)
		return "from the first call until the drain";
	std::string end = f.window_end == UINT64_MAX ? "the drain" : "call " + std::to_string(f.window_end);
	return "from call " + std::to_string(f.window_start) + " until " + end;
}

void print_fault(const RunReport &r, FILE *out)
{
	const FaultReport &f = r.fault;
	if (f.enabled)
		std::fprintf(out, "\n  fault injection: %s, armed %s\n", f.policy.c_str(),
			     window_text(f).c_str());
	else
		std::fprintf(out, "\n  fault injection: no --fault policy; the file's counters:\n");
	if (f.state_read)
		std::fprintf(out, "    policy state at disarm: %llu candidates, %llu injections, "
			     "times_left %lld, space_left %llu\n",
			     f.at_disarm.candidates, f.at_disarm.injections,
			     f.at_disarm.times_left, f.at_disarm.space_left);
	if (f.counters_read) {
		std::fprintf(out, "    %-10s %12s %10s %8s\n", "site", "attempted", "injected",
			     "failed");
		for (unsigned i = 0; i < DYNASYNC_SITES; i++) {
			const dynasync_fault_state &st = f.final_state;
			if (!st.attempted[i] && !st.injected[i] && !st.failed[i])
				continue;
			std::fprintf(out, "    %-10s %12llu %10llu %8llu\n", site_name(i).c_str(),
				     st.attempted[i], st.injected[i], st.failed[i]);
		}
		std::fprintf(out, "    %-10s %12" PRIu64 " %10" PRIu64 " %8" PRIu64 "\n", "total",
			     f.attempted_total(), f.injected_total(), f.failed_total());
	}
	std::fprintf(out, "    calls: %" PRIu64 " with injections (out.injected summed %" PRIu64
		     ", out.alloc_failed %" PRIu64 "); %" PRIu64 " succeeded despite them",
		     f.calls_injected, f.out_injected, f.out_alloc_failed,
		     f.absorbed[0]);
	bool first = true;
	for (uint32_t s : r.strategies) {
		if (!f.absorbed[s])
			continue;
		std::fprintf(out, "%s%s %" PRIu64, first ? " (" : ", ", strategy_name(s), f.absorbed[s]);
		first = false;
	}
	std::fprintf(out, "%s\n", first ? "" : ")");
	std::fprintf(out, "    -ENOMEM explained: calls %" PRIu64 " of %" PRIu64
		     ", CREATEs %" PRIu64 " of %" PRIu64 "\n",
		     f.enomem_explained, f.enomem_explained + f.enomem_unexplained,
		     f.create_enomem_explained,
		     f.create_enomem_explained + f.create_enomem_unexplained);
	if (f.disarmed_in_run)
		std::fprintf(out, "    disarmed before call %" PRIu64 " with %" PRIu64
			     " calls in flight; %s; %" PRIu64 " calls between (%" PRIu64
			     " failed), %" PRIu64 " calls after recovery (%" PRIu64
			     " failed), %" PRIu64 " CREATEs after (%" PRIu64 " failed)\n",
			     f.disarmed_at, f.inflight_at_disarm,
			     f.recovered ? "all of them completed" : "NOT all of them completed",
			     f.calls_between, f.failed_between, f.calls_after_recovery,
			     f.failed_after_recovery, f.creates_after_recovery,
			     f.create_failures_after_recovery);
}

void json_fault(const FaultReport &f, Json &j)
{
	j.begin_object("fault");
	j.str("policy", f.enabled ? f.policy : "none");
	if (f.window) {
		j.num("window_start", f.window_start);
		if (f.window_end == UINT64_MAX)
			j.str("window_end", "end");
		else
			j.num("window_end", f.window_end);
	}
	if (f.state_read) {
		j.num("candidates", f.at_disarm.candidates);
		j.num("injections", f.at_disarm.injections);
		j.num("times_left", f.at_disarm.times_left);
		j.num("space_left", f.at_disarm.space_left);
	}
	if (f.counters_read) {
		j.begin_object("sites");
		for (unsigned i = 0; i < DYNASYNC_SITES; i++) {
			const dynasync_fault_state &st = f.final_state;
			if (!st.attempted[i] && !st.injected[i] && !st.failed[i])
				continue;
			j.begin_object(site_name(i).c_str());
			j.num("attempted", st.attempted[i]);
			j.num("injected", st.injected[i]);
			j.num("failed", st.failed[i]);
			j.end_object();
		}
		j.end_object();
		j.num("attempted", f.attempted_total());
		j.num("injected", f.injected_total());
		j.num("failed", f.failed_total());
	}
	j.num("out_injected", f.out_injected);
	j.num("out_alloc_failed", f.out_alloc_failed);
	j.num("calls_injected", f.calls_injected);
	j.begin_object("absorbed");
	for (uint32_t s = 1; s <= DYNASYNC_STRATEGY_MAX; s++)
		if (f.absorbed[s])
			j.num(strategy_name(s), f.absorbed[s]);
	j.num("total", f.absorbed[0]);
	j.end_object();
	j.num("enomem_explained", f.enomem_explained);
	j.num("enomem_unexplained", f.enomem_unexplained);
	j.num("create_enomem_explained", f.create_enomem_explained);
	j.num("create_enomem_unexplained", f.create_enomem_unexplained);
	if (f.disarmed_in_run) {
		j.begin_object("recovery");
		j.boolean("recovered", f.recovered);
		j.num("disarmed_at", f.disarmed_at);
		j.num("inflight_at_disarm", f.inflight_at_disarm);
		j.num("completions_to_recover", f.completions_to_recover);
		j.num("calls_between", f.calls_between);
		j.num("failed_between", f.failed_between);
		j.num("calls_after", f.calls_after_recovery);
		j.num("failed_after", f.failed_after_recovery);
		j.num("creates_after", f.creates_after_recovery);
		j.num("create_failures_after", f.create_failures_after_recovery);
		j.end_object();
	}
	j.end_object();
}

uint64_t site_sum(const __u64 (&v)[DYNASYNC_SITES])
{
	uint64_t n = 0;
	for (__u64 x : v)
		n += x;
	return n;
}

} // namespace

uint64_t FaultReport::injected_total() const
{
	return site_sum(final_state.injected);
}

uint64_t FaultReport::attempted_total() const
{
	return site_sum(final_state.attempted);
}

uint64_t FaultReport::failed_total() const
{
	return site_sum(final_state.failed);
}

uint64_t leaked(const dynasync_stats &after)
{
	uint64_t n = after.objects + site_sum(after.live_allocs);
	for (unsigned s = 1; s <= DYNASYNC_STRATEGY_MAX; s++)
		n += after.strategy[s].live_frames;
	return n;
}

std::string verdict_line(const RunReport &r, const std::string &name)
{
	auto count = [](const std::map<int, uint64_t> &m, int err) {
		auto it = m.find(err);
		return it == m.end() ? uint64_t{0} : it->second;
	};
	std::string s = name + (r.passed() ? ": PASS" : ": FAIL");
	s += " ops=" + std::to_string(r.completed);
	s += " injected=" + std::to_string(r.fault.injected_total());
	s += " ok=" + std::to_string(count(r.outcomes, 0));
	s += " ENOMEM=" + std::to_string(count(r.outcomes, ENOMEM));
	for (const auto &[err, n] : r.outcomes)
		if (err && err != ENOMEM)
			s += " " + errno_name(err) + "=" + std::to_string(n);
	s += " lost=" + std::to_string(r.missing);
	s += " duplicated=" + std::to_string(r.duplicates + r.unknown);
	s += " leaked=" + std::to_string(leaked(r.stats_after));
	return s;
}

bool RunReport::passed() const
{
	if (checks.empty() || failure_count)
		return false;
	for (const Check &c : checks)
		if (!c.ok)
			return false;
	return true;
}

void print_summary(const RunReport &r, FILE *out)
{
	std::fprintf(out, "dynasync run: %" PRIu64 " calls via %s, queue depth %u, batch %u, seed %" PRIu64 "\n",
		     r.ops, r.path.c_str(), r.depth, r.batch, r.seed);
	std::fprintf(out, "  objects: %u per kind (counter ticker map take chain gadget) x %zu strategies; "
		     "ticker period %" PRIu64 " ns\n",
		     r.objects_per_kind, r.strategies.size(), r.ticker_period_ns);
	std::fprintf(out, "  time: setup %.2f s, run %.2f s (%.0f calls/s), teardown %.2f s\n",
		     r.setup_s, r.run_s, rate(r), r.teardown_s);
	std::fprintf(out, "  in flight: up to %u submitted at once; when waiting, %.1f calls in the "
		     "module on average\n", r.max_inflight, r.mean_inflight);
	if (r.submitted == 0) {
		// Nothing ran (setup failed): the tables would be all zeros.
		print_checks(r, out);
		return;
	}

	std::fprintf(out, "\n  %-12s %9s %9s %9s %9s %10s %9s %7s %9s\n", "strategy", "calls",
		     "next", "sum", "augment", "components", "transmit", "errnos", "frames");
	for (uint32_t s : r.strategies) {
		std::fprintf(out, "  %-12s %9" PRIu64, strategy_name(s), strategy_total(r, s));
		for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++)
			std::fprintf(out, m == DYNASYNC_METHOD_COMPONENTS ? " %10" PRIu64 : " %9" PRIu64,
				     r.calls[s][m]);
		std::fprintf(out, " %7" PRIu64 " %9" PRIu64 "\n", r.calls[s][0], frames(r, s));
	}
	uint64_t errors = 0, all_frames = 0;
	for (uint32_t s : r.strategies) {
		errors += r.calls[s][0];
		all_frames += frames(r, s);
	}
	std::fprintf(out, "  %-12s %9" PRIu64, "total", r.submitted);
	for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++)
		std::fprintf(out, m == DYNASYNC_METHOD_COMPONENTS ? " %10" PRIu64 : " %9" PRIu64,
			     method_total(r, m));
	std::fprintf(out, " %7" PRIu64 " %9" PRIu64 "\n", errors, all_frames);

	std::fprintf(out, "\n  %-12s %9s\n", "outcome", "calls");
	for (const auto &[err, n] : r.outcomes)
		std::fprintf(out, "  %-12s %9" PRIu64 "  %s\n", err ? errno_name(err).c_str() : "ok",
			     n, outcome_note(r, err));
	for (const auto &[err, n] : r.create_errors)
		std::fprintf(out, "  CREATE %-5s %9" PRIu64 "  %s\n", errno_name(err).c_str(), n,
			     !allowed(r, err)	 ? "UNEXPECTED"
			     : err != ENOMEM	 ? "accepted (--allow-errno)"
			     : r.fault.create_enomem_unexplained
				     ? "accepted, SOME UNEXPLAINED"
				     : "accepted: each explained by the file's FAULT_GET counters");

	std::fprintf(out, "\n  objects: %" PRIu64 " created, %" PRIu64 " destroyed, %" PRIu64
		     " iterators ended, %" PRIu64 " widgets transmitted (sink total %" PRIu64
		     " in %" PRIu64 " deliveries),\n           %" PRIu64
		     " components iterators (%" PRIu64 " summed to their end), %" PRIu64 " retired\n",
		     r.created, r.destroyed, r.ended, r.transmitted, r.sink_total,
		     r.sink_deliveries, r.components, r.components_verified, r.retired);

	if (r.fault.enabled || (r.fault.counters_read && r.fault.injected_total()))
		print_fault(r, out);

	print_checks(r, out);
}

void print_json(const RunReport &r, FILE *out)
{
	Json j(out);
	j.begin_object();
	j.str("result", r.passed() ? "pass" : "fail");
	j.str("path", r.path);
	j.num("queue_depth", r.depth);
	j.num("batch", r.batch);
	j.num("seed", r.seed);
	j.num("objects_per_kind", r.objects_per_kind);
	j.num("ticker_period_ns", r.ticker_period_ns);
	j.begin_array("allowed_errnos");
	for (int e : r.allowed_errnos)
		j.str(nullptr, errno_name(e));
	j.end_array();
	j.num("ops", r.ops);
	j.num("submitted", r.submitted);
	j.num("completed", r.completed);
	j.num("duplicates", r.duplicates);
	j.num("missing", r.missing);
	j.num("unknown", r.unknown);
	j.num("leaked", leaked(r.stats_after));
	j.num("max_inflight", r.max_inflight);
	j.real("mean_inflight", r.mean_inflight);
	j.real("setup_s", r.setup_s);
	j.real("elapsed_s", r.run_s);
	j.real("teardown_s", r.teardown_s);
	j.real("ops_per_s", rate(r));

	j.begin_object("methods");
	for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++)
		j.num(method_name(m), method_total(r, m));
	j.end_object();
	j.begin_object("errnos");
	for (const auto &[err, n] : r.outcomes)
		j.num(err ? errno_name(err).c_str() : "ok", n);
	j.end_object();
	j.begin_object("unexpected_errnos");
	for (const auto &[err, n] : r.unexpected)
		j.num(errno_name(err).c_str(), n);
	j.end_object();
	j.begin_object("create_errnos");
	for (const auto &[err, n] : r.create_errors)
		j.num(errno_name(err).c_str(), n);
	j.end_object();
	j.begin_object("strategies");
	for (uint32_t s : r.strategies) {
		j.begin_object(strategy_name(s));
		j.num("calls", strategy_total(r, s));
		for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++)
			j.num(method_name(m), r.calls[s][m]);
		j.num("errnos", r.calls[s][0]);
		j.num("frames", frames(r, s));
		j.num("high_water_bytes", r.stats_after.strategy[s].high_water_bytes);
		j.end_object();
	}
	j.end_object();
	j.begin_object("objects");
	j.num("created", r.created);
	j.num("destroyed", r.destroyed);
	j.num("ended", r.ended);
	j.num("transmitted", r.transmitted);
	j.num("components", r.components);
	j.num("components_verified", r.components_verified);
	j.num("retired", r.retired);
	j.num("stale_enoent", r.stale_enoent);
	j.end_object();
	j.begin_object("sink");
	j.num("total", r.sink_total);
	j.num("deliveries", r.sink_deliveries);
	j.end_object();
	if (r.fault.enabled || r.fault.counters_read)
		json_fault(r.fault, j);
	j.begin_array("checks");
	for (const Check &c : r.checks) {
		j.begin_object();
		j.str("name", c.name);
		j.boolean("ok", c.ok);
		j.str("detail", c.detail);
		j.end_object();
	}
	j.end_array();
	j.num("failure_count", r.failure_count);
	j.begin_array("failures");
	for (const std::string &f : r.failures)
		j.str(nullptr, f);
	j.end_array();
	j.end_object();
}

} // namespace harness
