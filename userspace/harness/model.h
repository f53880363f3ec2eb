// SPDX-License-Identifier: GPL-2.0
// The harness's model of what every object must answer: the expected item
// of an iterator (counter, ticker, map, take, chain as the ABI header
// defines them) and a widget's total, and the verification of one call's
// completion against it. No device here: this is plain logic, unit-tested
// on the host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "uapi/dynasync.h"

namespace harness {

// What CREATE is given for one object (adaptors: their inner objects too).
struct Spec {
	uint32_t impl = 0;
	uint64_t param[2] = {};
	std::vector<Spec> inner;

	uint32_t trait() const;
	// Kernel objects this creates: the object and every inner one.
	size_t objects() const;
};

// The remaining sequence of an iterator object (and of its inner ones).
class IterModel {
public:
	IterModel() = default;
	explicit IterModel(const Spec &spec);

	// The next item as the module computes it, or nullopt at the end;
	// advances the model (ended iterators stay ended, as in the module).
	std::optional<uint64_t> next();
	// SUM(n): sums up to @n items (mod 2^64), advancing.
	uint64_t sum(uint64_t n);
	// Items left before the end (saturating at UINT64_MAX).
	uint64_t remaining() const;

private:
	uint32_t impl_ = 0;
	uint64_t a_ = 0;	// counter: next value; ticker: next n; map: mul; take: left
	uint64_t b_ = 0;	// counter: end; ticker: left; map: add
	bool first_done_ = false;	// chain
	std::vector<IterModel> inner_;
};

// A widget's state: its total and how many components were added.
struct WidgetModel {
	uint64_t total = 0;
	uint64_t count = 0;

	// The ABI's component weights: BOLT = size, GEAR = 3 * size + 1.
	static uint64_t weight(uint64_t kind, uint64_t size);
};

// Which errnos a run accepts as outcomes (--allow-errno).
class ErrnoPolicy {
public:
	void allow(int err);
	bool allowed(int err) const;
	bool empty() const { return allowed_.empty(); }
	const std::vector<int> &list() const { return allowed_; }
	// The module promises no partial side effect for these: the call
	// could not place its frame, task or object, so nothing ran.
	static bool allocation_failure(int err);
	// A -ENOMEM must name its cause: an allocation of the call failed by
	// injection or for real (the call output counts both).
	static bool enomem_explained(const dynasync_call_out &out);

private:
	std::vector<int> allowed_;
};

// What a completion means for the workload besides pass/fail.
enum class Effect {
	kNone,		// the model advanced (or was left as it was)
	kEnded,		// NEXT reported the end: replace the iterator
	kComponents,	// COMPONENTS made a new counter object (new_handle)
	kConsumed,	// TRANSMIT consumed the widget: its handle is gone
	kGone,		// the stale handle answered -ENOENT: replace it
	kRetire,	// an accepted errno left the object's state unknown
};

struct Verdict {
	bool ok = true;
	std::string why;	// on failure: each mismatch, "what: expected X, got Y"
	Effect effect = Effect::kNone;
	int err = 0;		// the positive errno when res < 0
	uint32_t new_handle = 0;	// kComponents
	uint64_t component_count = 0;	// kComponents: its items 0 .. count-1
	uint64_t delivered = 0;		// kConsumed: the total sent to the sink
	bool unexplained = false;	// -ENOMEM with no allocation failure counted

	void mismatch(const char *what, uint64_t want, uint64_t got);
	void fail(const std::string &reason);
};

// One object's model: an iterator or a widget, possibly consumed.
struct ObjectModel {
	uint32_t trait = 0;
	IterModel iter;
	WidgetModel widget;
	bool consumed = false;	// TRANSMIT ran: the next call must get -ENOENT

	static ObjectModel from_spec(const Spec &spec);

	// Checks one completion of @call (res and out) and, when it is right,
	// applies it. On a mismatch the model is left as it was.
	Verdict complete(const dynasync_call &call, int res,
			 const dynasync_call_out &out, const ErrnoPolicy &policy);
};

} // namespace harness
