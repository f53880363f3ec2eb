// SPDX-License-Identifier: GPL-2.0
// --fault: the file's policy armed around the calls it covers, every
// -ENOMEM explained (a call by its output, a CREATE by the file's
// counters), the counters read back, and recovery after a window.
#include <cerrno>

#include "fault_spec.h"
#include "workload_impl.h"

namespace harness::workload_detail {

// The file's injected + failed counters over every site.
bool Workload::fault_totals(uint64_t &sum)
{
	dynasync_fault_state st;
	if (int r = dev_.fault_get(st); r < 0) {
		if (!fault_get_failed_)
			failure("FAULT_GET: " + describe_res(r) +
				" (needed to explain a CREATE's -ENOMEM)");
		fault_get_failed_ = true;
		return false;
	}
	sum = 0;
	for (unsigned i = 0; i < DYNASYNC_SITES; i++)
		sum += st.injected[i] + st.failed[i];
	return true;
}

// One CREATE. When -ENOMEM is an accepted outcome it must be explained:
// the file's injected + failed counters grew across the CREATE. (Calls in
// flight may make them grow too, so this is necessary, not sufficient.)
int Workload::create_one(dynasync_create &c, const std::string &what)
{
	uint64_t before = 0;
	bool explain = opt_.policy.allowed(ENOMEM) && fault_totals(before);
	int r = dev_.create(c);
	if (r == -ENOMEM && explain) {
		uint64_t after = 0;
		if (fault_totals(after) && after > before) {
			r_.fault.create_enomem_explained++;
		} else {
			r_.fault.create_enomem_unexplained++;
			failure(what + ": -ENOMEM unexplained: the file's injected + failed "
				       "counters stayed at " + std::to_string(before));
		}
	}
	window_.create_done(r < 0);
	return r;
}

// Before call index r_.submitted goes out: arm or disarm as the window says.
void Workload::fault_boundary()
{
	if (!opt_.fault.enabled || stop_)
		return;
	uint64_t index = r_.submitted;
	if (window_.arm_before(index)) {
		dynasync_fault_policy p = opt_.fault.policy;
		p.flags |= DYNASYNC_FAULT_F_RESET_COUNTERS;
		int r = dev_.fault_set(p);
		if (r < 0) {
			check("FAULT_SET arms the policy", false,
			      describe_fault_policy(p) + ": " + describe_res(r));
			stop_ = true;
			return;
		}
		window_.armed();
		armed_ = true;
	}
	if (window_.disarm_before(index)) {
		fault_disarm();
		window_.disarmed(index, inflight_, next_seq_);
	}
}

// Reads the policy's state (it restarts when set), then sets mode OFF.
void Workload::fault_disarm()
{
	if (!armed_)
		return;
	armed_ = false;
	dynasync_fault_state st;
	if (int r = dev_.fault_get(st); r == 0) {
		r_.fault.at_disarm = st;
		r_.fault.state_read = true;
	} else {
		failure("FAULT_GET before the disarm: " + describe_res(r));
	}
	dynasync_fault_policy off{};
	if (int r = dev_.fault_set(off); r < 0)
		fatal("FAULT_SET mode off: " + describe_res(r));
}

// What one completed call says about injections.
void Workload::fault_count(const Inflight &f, const Object &o, int res, const Verdict &v)
{
	FaultReport &fr = r_.fault;
	fr.out_injected += f.out.injected;
	fr.out_alloc_failed += f.out.alloc_failed;
	if (f.out.injected) {
		fr.calls_injected++;
		if (res >= 0) {
			fr.absorbed[0]++;
			fr.absorbed[o.strategy]++;
		}
	}
	if (v.err == ENOMEM)
		(v.unexplained ? fr.enomem_unexplained : fr.enomem_explained)++;
	bool failed = res < 0 && ErrnoPolicy::allocation_failure(-res);
	window_.call_completed(f.seq, failed, next_seq_);
}

// After the drain: disarm, read the counters, check what they say.
void Workload::fault_finish()
{
	FaultReport &fr = r_.fault;
	if (!opt_.fault.enabled) {
		// Injections by the module-wide policy reach this file's
		// counters too: --verdict and a report of -ENOMEM show them.
		if (!opt_.verdict.empty() || opt_.policy.allowed(ENOMEM)) {
			int r = dev_.fault_get(fr.final_state);
			fr.counters_read = r == 0;
			if (r < 0 && !opt_.verdict.empty())
				check("FAULT_GET after the drain (for --verdict)", false,
				      describe_res(r));
		}
		return;
	}
	bool ever_armed = window_.phase() != FaultWindow::Phase::kBefore;
	fault_disarm();
	if (int r = dev_.fault_get(fr.final_state); r == 0)
		fr.counters_read = true;
	else
		check("FAULT_GET after the drain", false, describe_res(r));
	check("fault policy armed", ever_armed,
	      ever_armed ? describe_fault_policy(opt_.fault.policy)
			 : "never: the window starts at call " +
				   std::to_string(opt_.fault.window_start) + " and " +
				   std::to_string(r_.submitted) + " calls were made");

	uint64_t calls = fr.enomem_explained + fr.enomem_unexplained;
	uint64_t creates = fr.create_enomem_explained + fr.create_enomem_unexplained;
	check("every -ENOMEM explained", !fr.enomem_unexplained && !fr.create_enomem_unexplained,
	      "calls " + std::to_string(fr.enomem_explained) + " of " + std::to_string(calls) +
		      " (out.injected + out.alloc_failed > 0), CREATEs " +
		      std::to_string(fr.create_enomem_explained) + " of " +
		      std::to_string(creates) + " (the file's counters grew)");
	if (fr.counters_read) {
		// A call's counts are a part of the file's (CREATEs make the
		// rest), and the policy's own injections are among them.
		uint64_t inj = fr.injected_total(), fail = fr.failed_total();
		uint64_t policy_inj = fr.state_read ? fr.at_disarm.injections : 0;
		check("the calls' counts add up within FAULT_GET's",
		      fr.out_injected <= inj && fr.out_alloc_failed <= fail && policy_inj <= inj,
		      "out.injected summed " + std::to_string(fr.out_injected) +
			      ", policy injections " + std::to_string(policy_inj) + " <= injected " +
			      std::to_string(inj) + "; out.alloc_failed summed " +
			      std::to_string(fr.out_alloc_failed) + " <= failed " +
			      std::to_string(fail));
	}

	const FaultWindow::Recovery &rec = window_.recovery();
	fr.disarmed_in_run = window_.disarmed_in_run();
	fr.recovered = window_.phase() == FaultWindow::Phase::kRecovered;
	fr.disarmed_at = rec.disarmed_at;
	fr.inflight_at_disarm = rec.inflight_at_disarm;
	fr.completions_to_recover = rec.completions_to_recover;
	fr.calls_between = rec.calls_between;
	fr.failed_between = rec.failed_between;
	fr.calls_after_recovery = rec.calls_after;
	fr.failed_after_recovery = rec.failed_after;
	fr.creates_after_recovery = rec.creates_after;
	fr.create_failures_after_recovery = rec.create_failures_after;
	if (opt_.fault.window && opt_.fault.window_end != UINT64_MAX) {
		std::string detail;
		if (!fr.disarmed_in_run)
			detail = "never disarmed: only " + std::to_string(r_.submitted) +
				 " calls were made";
		else
			detail = std::to_string(rec.inflight_at_disarm) +
				 " calls in flight at the disarm " +
				 (fr.recovered ? "all completed" : "NOT all completed") + "; " +
				 std::to_string(rec.calls_after) + " calls after recovery, " +
				 std::to_string(rec.failed_after) + " failed; " +
				 std::to_string(rec.creates_after) + " CREATEs after, " +
				 std::to_string(rec.create_failures_after) + " failed" +
				 (rec.calls_after ? "" : " (no call after recovery: lower B)") +
				 (stalled_ ? "; the drain did not finish" : "");
		check("recovered after the window", window_.recovered_cleanly() && !stalled_,
		      detail);
	}
}

} // namespace harness::workload_detail
