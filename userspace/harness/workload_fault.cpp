// SPDX-License-Identifier: GPL-2.0
#include "workload_fault.h"

namespace harness {

uint64_t FaultWindow::room(uint64_t index) const
{
	uint64_t next = UINT64_MAX;
	if (phase_ == Phase::kBefore && index < start_)
		next = start_;
	else if (phase_ <= Phase::kArmed && index < end_)
		next = end_;
	return next - index;
}

void FaultWindow::disarmed(uint64_t index, uint64_t inflight, uint64_t next_seq)
{
	phase_ = Phase::kDraining;
	rec_.disarmed_at = index;
	rec_.inflight_at_disarm = inflight;
	disarm_seq_ = next_seq;
	pending_ = inflight;
	if (!pending_) {
		phase_ = Phase::kRecovered;
		recovery_seq_ = next_seq;
	}
}

void FaultWindow::call_completed(uint64_t seq, bool failed, uint64_t next_seq)
{
	if (phase_ == Phase::kDraining) {
		if (seq < disarm_seq_) {
			rec_.completions_to_recover++;
			if (--pending_ == 0) {
				phase_ = Phase::kRecovered;
				recovery_seq_ = next_seq;
			}
		} else {
			rec_.calls_between++;
			rec_.failed_between += failed;
		}
	} else if (phase_ == Phase::kRecovered && seq >= disarm_seq_) {
		if (seq >= recovery_seq_) {
			rec_.calls_after++;
			rec_.failed_after += failed;
		} else {
			rec_.calls_between++;
			rec_.failed_between += failed;
		}
	}
}

void FaultWindow::create_done(bool failed)
{
	if (phase_ != Phase::kRecovered)
		return;
	rec_.creates_after++;
	rec_.create_failures_after += failed;
}

bool FaultWindow::recovered_cleanly() const
{
	return phase_ == Phase::kRecovered && rec_.calls_after > 0 && !rec_.failed_after &&
	       !rec_.create_failures_after;
}

} // namespace harness
