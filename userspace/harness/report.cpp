// SPDX-License-Identifier: GPL-2.0
#include "report.h"

#include <cerrno>
#include <cinttypes>

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
	return r.stats_after.strategy[s].allocations - r.stats_before.strategy[s].allocations;
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

} // namespace

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
			     allowed(r, err) ? "accepted (--allow-errno)" : "UNEXPECTED");

	std::fprintf(out, "\n  objects: %" PRIu64 " created, %" PRIu64 " destroyed, %" PRIu64
		     " iterators ended, %" PRIu64 " widgets transmitted (sink total %" PRIu64
		     " in %" PRIu64 " deliveries),\n           %" PRIu64
		     " components iterators (%" PRIu64 " summed to their end), %" PRIu64 " retired\n",
		     r.created, r.destroyed, r.ended, r.transmitted, r.sink_total,
		     r.sink_deliveries, r.components, r.components_verified, r.retired);

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
