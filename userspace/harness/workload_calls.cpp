// SPDX-License-Identifier: GPL-2.0
// The call loop: choose a call for an idle object, submit in batches,
// wait, verify each completion against the model and act on it.
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>

#include "workload_impl.h"

namespace harness::workload_detail {

// The next call for an idle object. Iterators: NEXT or SUM(1..8); an
// exhausted one is asked NEXT so it reports its end. Widgets: mostly
// AUGMENT; COMPONENTS and TRANSMIT end or spawn objects. A handle that
// TRANSMIT consumed is called once more (any widget method: -ENOENT).
dynasync_call Workload::make_call(Object &o)
{
	dynasync_call c{};
	c.handle = o.handle;
	auto augment = [&] {
		c.method = DYNASYNC_METHOD_AUGMENT;
		c.arg[0] = 1 + below(2);	// BOLT or GEAR
		// Small sizes, and full-range ones so totals wrap mod 2^64.
		c.arg[1] = below(2) ? below(1000) : rng_();
	};
	if (o.model.consumed) {
		uint64_t m = below(3);
		if (m == 0)
			augment();
		else
			c.method = m == 1 ? DYNASYNC_METHOD_COMPONENTS : DYNASYNC_METHOD_TRANSMIT;
		return c;
	}
	if (o.components) {
		// All items and one more, so the sum proves where it ends; then
		// NEXT must report the end.
		if (o.step++ == 0) {
			c.method = DYNASYNC_METHOD_SUM;
			c.arg[0] = o.component_count + 1;
		} else {
			c.method = DYNASYNC_METHOD_NEXT;
		}
		return c;
	}
	if (o.model.trait == DYNASYNC_TRAIT_ITERATOR) {
		if (o.model.iter.remaining() == 0 || below(10) < 6) {
			c.method = DYNASYNC_METHOD_NEXT;
		} else {
			c.method = DYNASYNC_METHOD_SUM;
			c.arg[0] = 1 + below(8);
		}
		return c;
	}
	uint64_t p = below(100);
	if (p < 70)
		augment();
	else
		c.method = p < 85 ? DYNASYNC_METHOD_COMPONENTS : DYNASYNC_METHOD_TRANSMIT;
	return c;
}

// Queues one call on a random idle object. False when there is none.
bool Workload::pick_and_queue()
{
	if (idle_.empty() || free_slots_.empty())
		return false;
	size_t pick = below(idle_.size());
	size_t idx = idle_[pick];
	idle_[pick] = idle_.back();
	idle_.pop_back();
	Object &o = objects_[idx];

	unsigned slot = free_slots_.back();
	free_slots_.pop_back();
	Inflight &f = slots_[slot];
	f.seq = next_seq_++;
	f.object = idx;
	f.out = dynasync_call_out{};
	f.call = make_call(o);
	f.call.out_ptr = reinterpret_cast<uintptr_t>(&f.out);
	completions_.push_back(0);

	int r = path_->queue(f.call, f.seq << kSlotBits | slot);
	if (r < 0) {
		// Cannot happen with a ring as deep as the calls in flight.
		fatal("queueing a call: " + describe_res(r));
		f.seq = 0;
		free_slots_.push_back(slot);
		idle_.push_back(idx);
		return false;
	}
	o.busy = true;
	inflight_++;
	r_.max_inflight = std::max(r_.max_inflight, inflight_);
	r_.submitted++;
	calls_issued_++;
	r_.calls[o.strategy][f.call.method]++;
	return true;
}

// Fills the free depth in batches of --batch calls, one submission each.
// Waits (in reap) until a whole batch fits, except at the tail of the run.
void Workload::submit_round()
{
	// Vacant entries (their CREATE failed with an accepted errno) retry.
	std::vector<size_t> retry;
	retry.swap(vacant_);
	for (size_t idx : retry)
		replace(idx);

	for (;;) {
		fault_boundary();
		// A submission never straddles the fault window's edges.
		uint64_t left = std::min(r_.ops - r_.submitted, window_.room(r_.submitted));
		unsigned free = r_.depth - inflight_;
		unsigned want = static_cast<unsigned>(std::min<uint64_t>(r_.batch, left));
		if (stop_ || !want || free < want)
			return;
		unsigned queued = 0;
		while (queued < want && pick_and_queue())
			queued++;
		if (!queued)
			return;
		int r = path_->submit();
		if (r < 0 || static_cast<unsigned>(r) != queued) {
			fatal("submitting " + std::to_string(queued) + " calls: " + describe_res(r));
			return;
		}
		if (queued < want)
			return;	// no idle object left: wait for completions
	}
}

// Waits for enough completions that the next batch fits, and verifies them.
void Workload::reap()
{
	unsigned free = r_.depth - inflight_;
	unsigned need = r_.batch > free ? r_.batch - free : 1;
	need = std::min(need, inflight_);
	std::vector<Completion> done;
	double waited_from = now_s();
	// Calls in the module right now: submitted, their CQE not posted yet
	// (those that completed inline at submission are not counted).
	inflight_samples_++;
	inflight_sum_ += inflight_ - std::min(inflight_, path_->ready());
	for (;;) {
		int r = path_->reap(need, 1000, done);
		if (r < 0 && r != -ETIME) {
			fatal("waiting for completions: " + describe_res(r));
			stalled_ = true;
			return;
		}
		if (!done.empty())
			break;
		progress_.update(r_.completed, r_.ops, inflight_, r_.failure_count);
		// Every call ends within max_call_ms (the module's deadline cap),
		// so a longer silence means completions are missing.
		if ((now_s() - waited_from) * 1000 > max_call_ms_ + 5000) {
			fatal(std::to_string(inflight_) + " calls in flight, no completion for " +
			      std::to_string(max_call_ms_ / 1000 + 5) +
			      " s (module max_call_ms " + std::to_string(max_call_ms_) + ")");
			stalled_ = true;
			return;
		}
	}
	for (const Completion &c : done)
		complete(c);
}

void Workload::complete(const Completion &c)
{
	uint64_t seq = c.user_data >> kSlotBits;
	unsigned slot = static_cast<unsigned>(c.user_data & ((1u << kSlotBits) - 1));
	if (seq == 0 || seq >= next_seq_) {
		r_.unknown++;
		failure("completion with user_data " + std::to_string(c.user_data) +
			" (res " + describe_res(c.res) + "): no such call was submitted");
		return;
	}
	if (completions_[seq]) {
		r_.duplicates++;
		if (completions_[seq] < UINT8_MAX)
			completions_[seq]++;	// saturates: it only says "more than once"
		failure("call #" + std::to_string(seq) + " completed again (completion " +
			std::to_string(completions_[seq]) + ", res " + describe_res(c.res) + ")");
		return;
	}
	completions_[seq] = 1;
	if (slot >= slots_.size() || slots_[slot].seq != seq) {
		failure("completion of call #" + std::to_string(seq) + " found no record in slot " +
			std::to_string(slot));
		return;
	}
	Inflight &f = slots_[slot];
	size_t idx = f.object;
	Object &o = objects_[idx];
	r_.completed++;
	inflight_--;

	Verdict v = o.model.complete(f.call, c.res, f.out, opt_.policy);
	fault_count(f, o, c.res, v);
	r_.outcomes[v.err]++;
	if (v.err)
		r_.calls[o.strategy][0]++;
	if (!v.ok) {
		model_failures_++;
		if (c.res < 0 && !opt_.policy.allowed(-c.res) && v.effect != Effect::kGone)
			r_.unexpected[-c.res]++;
		char buf[160];
		std::snprintf(buf, sizeof(buf),
			      "call #%" PRIu64 " %s(%llu, %llu) on %s%s/%s handle %u -> res %s: ", seq, method_name(f.call.method), f.call.arg[0], f.call.arg[1],
			      o.components ? "components " : "", impl_name(o.kind),
			      strategy_name(o.strategy), o.handle, describe_res(c.res).c_str());
		failure(buf + v.why);
		// The model no longer knows this object: start afresh.
		v.effect = Effect::kRetire;
		// A new object it cannot vouch for must not outlive the run.
		if (f.call.method == DYNASYNC_METHOD_COMPONENTS && c.res > 0) {
			int r = dev_.destroy(static_cast<uint32_t>(c.res));
			if (r < 0)
				failure("DESTROY of the unverified COMPONENTS object " +
					std::to_string(c.res) + ": " + describe_res(r));
		}
	}
	f.seq = 0;
	free_slots_.push_back(slot);
	o.busy = false;
	apply(idx, v);
}

void Workload::apply(size_t idx, const Verdict &v)
{
	Object &o = objects_[idx];
	switch (v.effect) {
	case Effect::kNone:
		idle_.push_back(idx);
		return;
	case Effect::kEnded:
		r_.ended++;
		if (o.components)
			r_.components_verified++;
		destroy(o, false);
		replace(idx);
		return;
	case Effect::kComponents: {
		r_.components++;
		uint32_t strategy = o.strategy;
		idle_.push_back(idx);	// before new_entry() may move objects_
		if (!handles_seen_.insert(v.new_handle).second)
			failure("COMPONENTS: handle " + std::to_string(v.new_handle) +
				" reused while the file is open");
		size_t n = new_entry();
		Object &c = objects_[n];
		Spec spec;
		spec.impl = DYNASYNC_IMPL_COUNTER;
		spec.param[1] = v.component_count;
		c.handle = v.new_handle;
		c.strategy = strategy;
		c.kind = DYNASYNC_IMPL_COUNTER;
		c.components = true;
		c.component_count = v.component_count;
		c.kernel_objects = 1;
		c.model = ObjectModel::from_spec(spec);
		idle_.push_back(n);
		return;
	}
	case Effect::kConsumed:
		r_.transmitted++;
		r_.sink_total += v.delivered;
		r_.sink_deliveries++;
		o.kernel_objects = 0;	// the module released it
		idle_.push_back(idx);	// for the one call that must get -ENOENT
		return;
	case Effect::kGone:
		r_.stale_enoent++;
		o.handle = 0;
		replace(idx);
		return;
	case Effect::kRetire:
		r_.retired++;
		destroy(o, true);
		replace(idx);
		return;
	}
}

} // namespace harness::workload_detail
