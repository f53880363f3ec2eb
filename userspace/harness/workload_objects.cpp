// SPDX-License-Identifier: GPL-2.0
// Objects of the workload: what to create for each kind, CREATE of an
// adaptor tree, replacement and DESTROY.
#include <algorithm>
#include <cerrno>
#include <map>

#include "workload_impl.h"
#include "workload_storage.h"

namespace harness::workload_detail {

dynasync_storage Workload::storage_for(uint32_t strategy) const
{
	return default_storage(strategy);
}

// A quarter of the iterators are finite, so ends (and replacements) are
// part of every run; the rest never end within one.
Spec Workload::counter(uint64_t count)
{
	Spec s;
	s.impl = DYNASYNC_IMPL_COUNTER;
	s.param[0] = below(kMaxStart);
	s.param[1] = count;
	return s;
}

Spec Workload::ticker(uint64_t count) const
{
	Spec s;
	s.impl = DYNASYNC_IMPL_TICKER;
	s.param[0] = opt_.ticker_period_ns;
	s.param[1] = count;
	return s;
}

Spec Workload::make_spec(uint32_t kind)
{
	auto maybe_finite = [this](uint64_t max) {
		return below(4) == 0 ? 1 + below(max) : kEndless;
	};
	Spec s;
	s.impl = kind;
	switch (kind) {
	case DYNASYNC_IMPL_COUNTER:
		return counter(maybe_finite(64));
	case DYNASYNC_IMPL_TICKER:
		return ticker(maybe_finite(32));
	case DYNASYNC_IMPL_MAP:
		// Any mul and add: the items wrap mod 2^64, as in the module.
		s.param[0] = rng_();
		s.param[1] = rng_();
		s.inner.push_back(counter(maybe_finite(64)));
		return s;
	case DYNASYNC_IMPL_TAKE:
		// Always finite: the limit ends an endless ticker.
		s.param[0] = 1 + below(48);
		s.inner.push_back(ticker(kEndless));
		return s;
	case DYNASYNC_IMPL_CHAIN:
		s.inner.push_back(counter(1 + below(32)));
		s.inner.push_back(counter(maybe_finite(64)));
		return s;
	default:
		s.param[0] = rng_();	// the gadget's base total
		return s;
	}
}

// CREATEs @spec's inner objects, then the object that takes them. On
// failure nothing is left behind: the inners made so far are destroyed.
int Workload::create_tree(const Spec &spec, uint32_t strategy, uint32_t &handle)
{
	dynasync_create c{};
	std::string what = std::string("CREATE ") + impl_name(spec.impl) + "/" +
			   strategy_name(strategy);
	// A failed CREATE moved nothing: its inner handles are still ours,
	// and DESTROY of each must succeed (no side effect of the failure).
	auto undo = [&](size_t n) {
		for (size_t j = 0; j < n; j++)
			if (int d = dev_.destroy(c.inner[j]); d < 0)
				failure("DESTROY of inner handle " + std::to_string(c.inner[j]) +
					" after " + what + " failed: " + describe_res(d));
	};
	for (size_t i = 0; i < spec.inner.size(); i++) {
		int r = create_tree(spec.inner[i], strategy, c.inner[i]);
		if (r < 0) {
			undo(i);
			return r;
		}
	}
	c.trait = spec.trait();
	c.impl = spec.impl;
	c.param[0] = spec.param[0];
	c.param[1] = spec.param[1];
	c.storage = storage_for(strategy);
	int r = create_one(c, what);
	if (r < 0) {
		undo(spec.inner.size());
		return r;
	}
	handle = c.handle;
	if (!handle || handle > 0x7fffffffu)
		failure(what + ": handle " + std::to_string(handle) + " outside 1..2^31-1");
	if (!handles_seen_.insert(handle).second)
		failure(what + ": handle " + std::to_string(handle) +
			" reused while the file is open");
	for (uint32_t inner : c.inner)
		if (inner)
			released_inner_ = inner;
	// The effective slot: the trait's (LAYOUT) for INLINE and MAYBE_BOXED
	// with slot_size 0, a pool element for RESERVE, else none.
	uint32_t t = c.trait;
	if (strategy == DYNASYNC_STRATEGY_INLINE || strategy == DYNASYNC_STRATEGY_MAYBE_BOXED) {
		if (slot_size_[t] && c.slot_size != slot_size_[t])
			failure(what + ": slot_size " + std::to_string(c.slot_size) +
				", LAYOUT says " + std::to_string(slot_size_[t]));
	} else if (strategy == DYNASYNC_STRATEGY_RESERVE) {
		if (!c.slot_size)
			failure(what + ": slot_size 0 (expected the pool element size)");
	} else if (c.slot_size) {
		failure(what + ": slot_size " + std::to_string(c.slot_size) + " (expected 0)");
	}
	return 0;
}

// Gives entry @o a fresh object of its kind. False (and the entry stays
// vacant) when CREATE fails; that is fatal unless the errno is accepted.
bool Workload::fill(Object &o)
{
	Spec spec = make_spec(o.kind);
	uint32_t handle = 0;
	int r = create_tree(spec, o.strategy, handle);
	if (r < 0) {
		std::string what = std::string("CREATE ") + impl_name(o.kind) + "/" +
				   strategy_name(o.strategy) + ": " + describe_res(r);
		r_.create_errors[-r]++;
		if (!opt_.policy.allowed(-r))
			fatal(what);
		o.backoff = std::min(o.backoff ? 2 * o.backoff : 1, kMaxCreateBackoff);
		o.retry_at = r_.submitted + o.backoff;
		return false;
	}
	o.backoff = 0;
	o.handle = handle;
	o.model = ObjectModel::from_spec(spec);
	o.kernel_objects = spec.objects();
	o.components = false;
	o.step = 0;
	r_.created++;
	return true;
}

size_t Workload::new_entry()
{
	if (!free_entries_.empty()) {
		size_t idx = free_entries_.back();
		free_entries_.pop_back();
		objects_[idx] = Object{};
		objects_[idx].in_use = true;
		return idx;
	}
	objects_.push_back(Object{});
	objects_.back().in_use = true;
	return objects_.size() - 1;
}

// DESTROY: the object is idle, so it must succeed (or, for an object
// whose state is unknown, say it is already gone).
void Workload::destroy(Object &o, bool tolerate_gone)
{
	if (!o.handle)
		return;
	int r = dev_.destroy(o.handle);
	if (r == 0)
		r_.destroyed++;
	else if (!(tolerate_gone && r == -ENOENT))
		failure("DESTROY " + std::to_string(o.handle) + " (" + impl_name(o.kind) + "/" +
			strategy_name(o.strategy) + ", idle): " + describe_res(r));
	o.handle = 0;
	o.kernel_objects = 0;
}

// A finished object makes room for a fresh one of the same kind and
// strategy; objects from COMPONENTS are not replaced.
void Workload::replace(size_t idx)
{
	Object &o = objects_[idx];
	if (o.components) {
		remove(idx);
		return;
	}
	if (fill(o))
		idle_.push_back(idx);
	else
		vacant_.push_back(idx);
}

// Vacant entries whose wait is over (@all: every one) try CREATE again.
void Workload::retry_vacant(bool all)
{
	std::vector<size_t> retry;
	retry.swap(vacant_);
	for (size_t idx : retry) {
		if (all || objects_[idx].retry_at <= r_.submitted)
			replace(idx);
		else
			vacant_.push_back(idx);
	}
}

void Workload::remove(size_t idx)
{
	objects_[idx] = Object{};
	free_entries_.push_back(idx);
}

// -E2BIG and -ENOSPC are never expected in this workload, because its
// storage is made to fit: INLINE and MAYBE_BOXED slots and RESERVE pool
// elements are the trait's largest frame (slot_size 0), and the task
// stack holds the deepest call. Checked here against LAYOUT, so an
// -E2BIG/-ENOSPC later is a violation (unless --allow-errno names it).
void Workload::check_storage_fits()
{
	std::map<std::pair<uint32_t, uint32_t>, uint64_t> sizes;
	std::string error;
	FrameSize frame = [&](uint32_t impl, uint32_t method) -> uint64_t {
		auto key = std::make_pair(impl, method);
		if (auto it = sizes.find(key); it != sizes.end())
			return it->second;
		dynasync_layout l{};
		l.trait = impl_trait(impl);
		l.impl = impl;
		l.method = method;
		int r = dev_.layout(l);
		if (r < 0 && error.empty())
			error = std::string("LAYOUT ") + impl_name(impl) + "/" + method_name(method) +
				": " + describe_res(r);
		return sizes[key] = r < 0 ? 0 : l.frame_size;
	};
	auto leaf = [](uint32_t impl) {
		Spec s;
		s.impl = impl;
		return s;
	};
	// The shapes make_spec() builds (parameters do not change frame sizes).
	std::vector<Spec> shapes;
	for (uint32_t kind : kKinds) {
		Spec s = leaf(kind);
		if (kind == DYNASYNC_IMPL_MAP)
			s.inner = { leaf(DYNASYNC_IMPL_COUNTER) };
		else if (kind == DYNASYNC_IMPL_TAKE)
			s.inner = { leaf(DYNASYNC_IMPL_TICKER) };
		else if (kind == DYNASYNC_IMPL_CHAIN)
			s.inner = { leaf(DYNASYNC_IMPL_COUNTER), leaf(DYNASYNC_IMPL_COUNTER) };
		shapes.push_back(s);
	}
	uint64_t deepest = 0, largest[DYNASYNC_TRAIT_WIDGET + 1] = {};
	std::string deepest_what;
	for (const Spec &s : shapes) {
		uint32_t t = s.trait();
		for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++) {
			if (!method_of_trait(m, t))
				continue;
			uint64_t need = task_stack_need(s, m, frame);
			if (need > deepest) {
				deepest = need;
				deepest_what = std::string(impl_name(s.impl)) + " " + method_name(m);
			}
			largest[t] = std::max(largest[t], largest_frame(s, m, frame));
		}
	}
	if (!error.empty()) {
		check("storage fits every frame (LAYOUT)", false, error);
		return;
	}
	bool fits = deepest <= kTaskStackSize;
	std::string detail = "deepest task stack " + std::to_string(deepest) + " of " +
			     std::to_string(kTaskStackSize) + " bytes (" + deepest_what + ")";
	for (uint32_t t : { DYNASYNC_TRAIT_ITERATOR, DYNASYNC_TRAIT_WIDGET }) {
		fits = fits && largest[t] <= slot_size_[t];
		detail += std::string(", ") + trait_name(t) + " largest frame " +
			  std::to_string(largest[t]) + " <= slot " + std::to_string(slot_size_[t]);
	}
	check("storage fits every frame (LAYOUT): no -E2BIG/-ENOSPC expected", fits, detail);
}

// Adaptors take their inner handles at CREATE: a call on one must find
// nothing, and so must DESTROY.
void Workload::check_inner_handle_released()
{
	if (!released_inner_)
		return;
	dynasync_call c{};
	dynasync_call_out out{};
	c.handle = released_inner_;
	c.method = DYNASYNC_METHOD_NEXT;
	c.out_ptr = reinterpret_cast<uintptr_t>(&out);
	calls_issued_++;
	int call_r = dev_.call(c);
	int destroy_r = dev_.destroy(released_inner_);
	check("adaptor CREATE took its inner handle",
	      call_r == -ENOENT && destroy_r == -ENOENT,
	      "NEXT on inner handle " + std::to_string(released_inner_) + ": " +
		      describe_res(call_r) + ", DESTROY: " + describe_res(destroy_r) +
		      " (expected -ENOENT, -ENOENT)");
}

} // namespace harness::workload_detail
