// SPDX-License-Identifier: GPL-2.0
#include "model.h"

#include <algorithm>
#include <cerrno>
#include <limits>

#include "names.h"

namespace harness {

uint32_t Spec::trait() const
{
	return impl_trait(impl);
}

size_t Spec::objects() const
{
	size_t n = 1;
	for (const Spec &s : inner)
		n += s.objects();
	return n;
}

IterModel::IterModel(const Spec &spec) : impl_(spec.impl)
{
	for (const Spec &s : spec.inner)
		inner_.emplace_back(s);
	switch (impl_) {
	case DYNASYNC_IMPL_COUNTER:
		a_ = spec.param[0];
		b_ = spec.param[0] + spec.param[1];	// the module refuses overflow
		break;
	case DYNASYNC_IMPL_TICKER:
		a_ = 0;
		b_ = spec.param[1];
		break;
	case DYNASYNC_IMPL_MAP:
		a_ = spec.param[0];
		b_ = spec.param[1];
		break;
	case DYNASYNC_IMPL_TAKE:
		a_ = spec.param[0];
		break;
	default:
		break;
	}
}

std::optional<uint64_t> IterModel::next()
{
	switch (impl_) {
	case DYNASYNC_IMPL_COUNTER:
		if (a_ >= b_)
			return std::nullopt;
		return a_++;
	case DYNASYNC_IMPL_TICKER:
		if (!b_)
			return std::nullopt;
		b_--;
		return a_++;
	case DYNASYNC_IMPL_MAP: {
		std::optional<uint64_t> x = inner_[0].next();
		if (!x)
			return x;
		return *x * a_ + b_;
	}
	case DYNASYNC_IMPL_TAKE: {
		// The limit is checked first: an exhausted take does not call
		// its inner iterator.
		if (!a_)
			return std::nullopt;
		std::optional<uint64_t> x = inner_[0].next();
		if (x)
			a_--;
		return x;
	}
	case DYNASYNC_IMPL_CHAIN:
		if (!first_done_) {
			std::optional<uint64_t> x = inner_[0].next();
			if (x)
				return x;
			first_done_ = true;
		}
		return inner_[1].next();
	default:
		return std::nullopt;
	}
}

uint64_t IterModel::sum(uint64_t n)
{
	uint64_t total = 0;
	for (uint64_t i = 0; i < n; i++) {
		std::optional<uint64_t> x = next();
		if (!x)
			break;
		total += *x;
	}
	return total;
}

uint64_t IterModel::remaining() const
{
	constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
	switch (impl_) {
	case DYNASYNC_IMPL_COUNTER:
		return a_ < b_ ? b_ - a_ : 0;
	case DYNASYNC_IMPL_TICKER:
		return b_;
	case DYNASYNC_IMPL_MAP:
		return inner_[0].remaining();
	case DYNASYNC_IMPL_TAKE:
		return std::min(a_, inner_[0].remaining());
	case DYNASYNC_IMPL_CHAIN: {
		uint64_t first = first_done_ ? 0 : inner_[0].remaining();
		uint64_t second = inner_[1].remaining();
		return first > kMax - second ? kMax : first + second;
	}
	default:
		return 0;
	}
}

uint64_t WidgetModel::weight(uint64_t kind, uint64_t size)
{
	return kind == DYNASYNC_COMPONENT_GEAR ? 3 * size + 1 : size;
}

void ErrnoPolicy::allow(int err)
{
	if (!allowed(err))
		allowed_.push_back(err);
}

bool ErrnoPolicy::allowed(int err) const
{
	return std::find(allowed_.begin(), allowed_.end(), err) != allowed_.end();
}

bool ErrnoPolicy::allocation_failure(int err)
{
	return err == ENOMEM || err == E2BIG || err == ENOSPC;
}

bool ErrnoPolicy::enomem_explained(const dynasync_call_out &out)
{
	return out.injected || out.alloc_failed;
}

void Verdict::mismatch(const char *what, uint64_t want, uint64_t got)
{
	if (want == got)
		return;
	fail(std::string(what) + ": expected " + std::to_string(want) + ", got " +
	     std::to_string(got));
}

void Verdict::fail(const std::string &reason)
{
	ok = false;
	if (!why.empty())
		why += "; ";
	why += reason;
}

ObjectModel ObjectModel::from_spec(const Spec &spec)
{
	ObjectModel m;
	m.trait = spec.trait();
	if (m.trait == DYNASYNC_TRAIT_ITERATOR)
		m.iter = IterModel(spec);
	else
		m.widget.total = spec.param[0];
	return m;
}

namespace {

// Fields every completion must have: out.reserved is written as zero; a
// handle only comes back from COMPONENTS.
void check_common(Verdict &v, const dynasync_call_out &out, bool handle_expected)
{
	v.mismatch("out.reserved", 0, out.reserved);
	if (!handle_expected)
		v.mismatch("out.handle", 0, out.handle);
}

// res < 0: -ENOENT on a consumed handle, an accepted errno, or a failure.
Verdict complete_error(const dynasync_call &call, int res,
		       const dynasync_call_out &out, const ErrnoPolicy &policy)
{
	Verdict v;
	v.err = -res;
	// out is zeroed at submission and a failed call writes no result.
	v.mismatch("out.value of a failed call", 0, out.value);
	v.mismatch("out.flags of a failed call", 0, out.flags);
	v.mismatch("out.handle of a failed call", 0, out.handle);
	v.mismatch("out.reserved", 0, out.reserved);
	if (v.err == ENOMEM && !ErrnoPolicy::enomem_explained(out)) {
		v.unexplained = true;
		v.fail("-ENOMEM unexplained: out.injected 0, out.alloc_failed 0");
	}
	if (!policy.allowed(v.err)) {
		v.fail("unexpected -" + errno_name(v.err));
		return v;
	}
	if (!v.ok)
		return v;
	// Accepted. With an allocation failure nothing ran, so the model stays
	// as it was, except for SUM: an item fetched before the failing one
	// was consumed, and how many is not reported. A NEXT cut short by its
	// deadline does not advance either (the header says so; later items
	// check it). Any other case may have cut a call short mid-way: the
	// object's state is unknown.
	if (ErrnoPolicy::allocation_failure(v.err) && call.method != DYNASYNC_METHOD_SUM)
		return v;
	if (v.err == ETIMEDOUT && call.method == DYNASYNC_METHOD_NEXT)
		return v;
	v.effect = Effect::kRetire;
	return v;
}

} // namespace

Verdict ObjectModel::complete(const dynasync_call &call, int res,
			      const dynasync_call_out &out, const ErrnoPolicy &policy)
{
	// The call's bookkeeping may fail before the handle is looked up:
	// nothing ran, the handle stays gone and must still say -ENOENT.
	if (consumed && res == -ENOMEM)
		return complete_error(call, res, out, policy);
	if (consumed) {
		Verdict v;
		// Exactly one -ENOENT is how a consumed handle must answer.
		if (res != -ENOENT) {
			v.fail("call on a handle consumed by transmit: expected -ENOENT, got " +
			       (res < 0 ? "-" + errno_name(-res) : std::to_string(res)));
			return v;
		}
		v.err = ENOENT;
		v.effect = Effect::kGone;
		check_common(v, out, false);
		v.mismatch("out.value", 0, out.value);
		v.mismatch("out.flags", 0, out.flags);
		return v;
	}
	if (res < 0)
		return complete_error(call, res, out, policy);

	Verdict v;
	switch (call.method) {
	case DYNASYNC_METHOD_NEXT: {
		IterModel after = iter;
		std::optional<uint64_t> x = after.next();
		check_common(v, out, false);
		v.mismatch("res (1 item, 0 end)", x ? 1 : 0, static_cast<uint64_t>(res));
		v.mismatch("out.value", x ? *x : 0, out.value);
		v.mismatch("out.flags", x ? 0 : DYNASYNC_OUT_F_END, out.flags);
		if (v.ok) {
			iter = after;
			if (!x)
				v.effect = Effect::kEnded;
		}
		return v;
	}
	case DYNASYNC_METHOD_SUM: {
		IterModel after = iter;
		uint64_t want = after.sum(call.arg[0]);
		check_common(v, out, false);
		v.mismatch("res", 0, static_cast<uint64_t>(res));
		v.mismatch("out.value (sum)", want, out.value);
		v.mismatch("out.flags", 0, out.flags);
		if (v.ok)
			iter = after;
		return v;
	}
	case DYNASYNC_METHOD_AUGMENT: {
		uint64_t want = widget.total + WidgetModel::weight(call.arg[0], call.arg[1]);
		check_common(v, out, false);
		v.mismatch("res", 0, static_cast<uint64_t>(res));
		v.mismatch("out.value (new total)", want, out.value);
		v.mismatch("out.flags", 0, out.flags);
		if (v.ok) {
			widget.total = want;
			widget.count++;
		}
		return v;
	}
	case DYNASYNC_METHOD_COMPONENTS:
		check_common(v, out, true);
		if (res == 0)
			v.fail("res: expected a new handle > 0, got 0");
		v.mismatch("out.handle (= res)", static_cast<uint64_t>(res), out.handle);
		v.mismatch("out.value", 0, out.value);
		v.mismatch("out.flags", 0, out.flags);
		if (v.ok) {
			v.effect = Effect::kComponents;
			v.new_handle = static_cast<uint32_t>(res);
			v.component_count = widget.count;
		}
		return v;
	case DYNASYNC_METHOD_TRANSMIT:
		check_common(v, out, false);
		v.mismatch("res", 0, static_cast<uint64_t>(res));
		v.mismatch("out.value (total)", widget.total, out.value);
		v.mismatch("out.flags", 0, out.flags);
		if (v.ok) {
			consumed = true;
			v.effect = Effect::kConsumed;
			v.delivered = widget.total;
		}
		return v;
	default:
		v.fail("the harness issued an unknown method " + std::to_string(call.method));
		return v;
	}
}

} // namespace harness
