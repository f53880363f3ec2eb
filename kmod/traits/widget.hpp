// SPDX-License-Identifier: GPL-2.0
// Widget: the seeds' second example, one method per hard case of dyn async
// traits: argument-position impl Trait (augment), non-async
// return-position impl Trait (components), by-value self (transmit).
#pragma once

#include <cstdint>

#include "rt/dyn.hpp"
#include "traits/async_iterator.hpp"

namespace ds {

// A non-owning dyn reference to anything with `uint64_t weight() const`,
// built on the caller's stack; 16 bytes, copied by value into the frame.
class ComponentRef {
public:
	template <class C>
	static ComponentRef of(const C &c) noexcept
	{
		return ComponentRef(&c, &weight_of<C>);
	}
	uint64_t weight() const noexcept { return fn_(obj_); }

private:
	ComponentRef(const void *obj, uint64_t (*fn)(const void *)) noexcept
		: obj_(obj), fn_(fn) {}
	template <class C>
	static uint64_t weight_of(const void *p) noexcept
	{
		return static_cast<const C *>(p)->weight();
	}
	const void *obj_;
	uint64_t (*fn_)(const void *);
};

// Where transmit() delivers a widget's total. Deliveries may come from
// several tasks at once (a file's sink), so they are atomic.
struct Sink {
	uint64_t received = 0;
	uint64_t deliveries = 0;

	void deliver(uint64_t total) noexcept
	{
		__atomic_add_fetch(&received, total, __ATOMIC_RELAXED);
		__atomic_add_fetch(&deliveries, 1, __ATOMIC_RELAXED);
	}
};

// Two component types for augment's front door: different C++ types, one
// dyn method.
struct Bolt {
	uint64_t size;
	uint64_t weight() const noexcept { return size; }
};
struct Gear {
	uint64_t teeth;
	uint64_t weight() const noexcept { return 3 * teeth + 1; }
};

// The probe's component: weighs nothing (never asked, the body does not
// run under the probe).
template <>
struct ProbeArg<ComponentRef> {
	struct Nothing {
		uint64_t weight() const noexcept { return 0; }
	} nothing;
	operator ComponentRef() noexcept { return ComponentRef::of(nothing); }
};

class Widget;

// augment_dyn(c): adds the component's weight; returns the new total.
// transmit(self, sink): consumes the widget: delivers its total to @sink
// after one hop to the worker, returns it. If the call cannot start,
// @self is untouched.
#define DS_WIDGET_METHODS(X)                                    \
	X(kAugment, uint64_t, augment_dyn, ComponentRef)        \
	X(kTransmit, uint64_t, transmit, Consume<Widget>, Sink &)

class Widget {
	DS_TRAIT(Widget, DS_WIDGET_METHODS)

	// Front door: any type with weight(); one dyn method serves them all.
	template <class C>
	Future<uint64_t> augment(const C &component, Storage &s)
	{
		return augment_dyn(ComponentRef::of(component), s);
	}
	// A dyn iterator over the component indices, placed in @s.
	virtual Result<DynBox<AsyncIterator>> components(Storage &s) = 0;
	virtual uint64_t total() const noexcept = 0;
};

class Gadget final : public Widget {
public:
	explicit Gadget(uint64_t base = 0) noexcept : total_(base) {}
	Future<uint64_t> augment_dyn(ComponentRef c, Storage &s) override;
	Result<DynBox<AsyncIterator>> components(Storage &s) override;
	Future<uint64_t> transmit(Consume<Widget> self, Sink &sink, Storage &s) override;
	uint64_t total() const noexcept override { return total_; }
	uint64_t count() const noexcept { return count_; }

private:
	uint64_t total_;
	uint64_t count_ = 0;
};

} // namespace ds
