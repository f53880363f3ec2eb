// SPDX-License-Identifier: GPL-2.0
#include "workload.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <memory>
#include <random>
#include <unordered_set>
#include <unistd.h>

#include "call_path.h"
#include "names.h"
#include "progress.h"

namespace harness {

namespace {

// The kinds of object every strategy gets, named by their top-level impl.
constexpr uint32_t kKinds[] = {
	DYNASYNC_IMPL_COUNTER, DYNASYNC_IMPL_TICKER, DYNASYNC_IMPL_MAP,
	DYNASYNC_IMPL_TAKE, DYNASYNC_IMPL_CHAIN, DYNASYNC_IMPL_GADGET,
};
constexpr size_t kNumKinds = sizeof(kKinds) / sizeof(kKinds[0]);
// Kernel objects one of each kind makes (adaptors own their inners).
constexpr size_t kObjectsPerKindSet = 1 + 1 + 2 + 2 + 3 + 1;

// "Never ends" within any run, and far from overflowing start + count.
constexpr uint64_t kEndless = uint64_t{1} << 40;
constexpr uint64_t kMaxStart = uint64_t{1} << 48;

// Storage parameters: a 4 KiB task stack holds an adaptor's nested frames
// and SUM's; a reserve of 4 frames is enough for one call at a time per
// object. The GFP class is KERNEL (0) everywhere: no injected failures.
constexpr uint32_t kTaskStackSize = 4096;
constexpr uint32_t kReserveFrames = 4;

// user_data = seq << 16 | in-flight slot: unique per call (seq), and the
// slot finds the call's record without a map.
constexpr unsigned kSlotBits = 16;
constexpr unsigned kMaxDepth = 4096;

// Where a call is, end to end.
struct Object {
	uint32_t handle = 0;	// 0: none (vacant, or a free entry)
	uint32_t strategy = 0;
	uint32_t kind = 0;
	bool in_use = false;	// entry holds an object (possibly vacant)
	bool busy = false;	// a call on it is in flight
	// Made by a widget's COMPONENTS: summed to its end, then destroyed.
	bool components = false;
	unsigned step = 0;
	uint64_t component_count = 0;
	size_t kernel_objects = 0;	// what STATS.objects counts for it
	ObjectModel model;
};

struct Inflight {
	uint64_t seq = 0;	// 0: slot free
	size_t object = 0;
	dynasync_call call{};
	dynasync_call_out out{};
};

std::string describe_res(int res)
{
	return res < 0 ? "-" + errno_name(-res) : std::to_string(res);
}

class Workload {
public:
	Workload(const Device &dev, const RunOptions &opt)
		: dev_(dev), opt_(opt), rng_(opt.seed), progress_(opt.progress)
	{
	}

	RunReport run();

private:
	// Setup and object life cycle.
	bool setup();
	dynasync_storage storage_for(uint32_t strategy) const;
	Spec make_spec(uint32_t kind);
	Spec counter(uint64_t count);
	Spec ticker(uint64_t count) const;
	int create_tree(const Spec &spec, uint32_t strategy, uint32_t &handle);
	bool fill(Object &o);
	void replace(size_t idx);
	void destroy(Object &o, bool tolerate_gone);
	void remove(size_t idx);
	size_t new_entry();
	void check_inner_handle_released();

	// The call loop.
	void submit_round();
	bool pick_and_queue();
	dynasync_call make_call(Object &o);
	void reap();
	void complete(const Completion &c);
	void apply(size_t idx, const Verdict &v);

	// Results.
	void failure(const std::string &what);
	void fatal(const std::string &what);
	void final_checks();
	bool teardown_clean(const dynasync_stats &s, std::string &detail) const;
	template <class Pred>
	int poll_stats(dynasync_stats &s, std::string &how, Pred done);
	void check(const std::string &name, bool ok, const std::string &detail);
	uint64_t below(uint64_t n) { return n ? rng_() % n : 0; }

	const Device &dev_;
	RunOptions opt_;
	std::mt19937_64 rng_;
	Progress progress_;
	std::unique_ptr<CallPath> path_;
	RunReport r_;

	std::vector<Object> objects_;
	std::vector<size_t> idle_;	// entries with an object and no call in flight
	std::vector<size_t> vacant_;	// entries whose replacement CREATE failed
	std::vector<size_t> free_entries_;
	std::unordered_set<uint32_t> handles_seen_;
	uint32_t released_inner_ = 0;	// an inner handle an adaptor took

	std::vector<Inflight> slots_;
	std::vector<unsigned> free_slots_;
	unsigned inflight_ = 0;
	uint64_t next_seq_ = 1;
	std::vector<uint8_t> completions_;	// per seq: how many arrived
	uint64_t inflight_samples_ = 0;
	uint64_t inflight_sum_ = 0;
	uint64_t calls_issued_ = 0;	// every CALL on this file (both paths)
	uint64_t model_failures_ = 0;

	uint64_t slot_size_[DYNASYNC_TRAIT_WIDGET + 1] = {};	// LAYOUT's, per trait
	long max_call_ms_ = 10000;
	bool stop_ = false;	// a fatal problem: submit no more
	bool stalled_ = false;	// calls never completed: cannot tear down
};

void Workload::check(const std::string &name, bool ok, const std::string &detail)
{
	r_.checks.push_back({ name, ok, detail });
}

void Workload::failure(const std::string &what)
{
	r_.failure_count++;
	if (r_.failures.size() < opt_.max_failures_shown)
		r_.failures.push_back(what);
	// A broken module could fail every call: 1000 reasons are plenty.
	if (r_.failure_count >= 1000 && !stop_) {
		stop_ = true;
		r_.failures.push_back("1000 failures: submitting no more calls");
	}
}

void Workload::fatal(const std::string &what)
{
	failure(what);
	stop_ = true;
}

dynasync_storage Workload::storage_for(uint32_t strategy) const
{
	dynasync_storage st{};
	st.strategy = strategy;
	st.gfp = DYNASYNC_GFP_KERNEL;
	if (strategy == DYNASYNC_STRATEGY_TASK_STACK)
		st.task_stack_size = kTaskStackSize;
	if (strategy == DYNASYNC_STRATEGY_RESERVE)
		st.reserve_frames = kReserveFrames;
	// INLINE and MAYBE_BOXED: slot_size 0, the trait's largest frame.
	return st;
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
	for (size_t i = 0; i < spec.inner.size(); i++) {
		int r = create_tree(spec.inner[i], strategy, c.inner[i]);
		if (r < 0) {
			for (size_t j = 0; j < i; j++)
				dev_.destroy(c.inner[j]);
			return r;
		}
	}
	c.trait = spec.trait();
	c.impl = spec.impl;
	c.param[0] = spec.param[0];
	c.param[1] = spec.param[1];
	c.storage = storage_for(strategy);
	int r = dev_.create(c);
	if (r < 0) {
		// The handles were not moved: they are still ours.
		for (size_t i = 0; i < spec.inner.size(); i++)
			dev_.destroy(c.inner[i]);
		return r;
	}
	handle = c.handle;
	std::string what = std::string("CREATE ") + impl_name(spec.impl) + "/" +
			   strategy_name(strategy);
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
		return false;
	}
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

void Workload::remove(size_t idx)
{
	objects_[idx] = Object{};
	free_entries_.push_back(idx);
}

// Adaptors take their inner handles at CREATE: a call on one must find
// nothing, and so must DESTROY.
void Workload::check_inner_handle_released()
{
	if (!released_inner_)
		return;
	dynasync_call c{};
	c.handle = released_inner_;
	c.method = DYNASYNC_METHOD_NEXT;
	calls_issued_++;
	int call_r = dev_.call(c);
	int destroy_r = dev_.destroy(released_inner_);
	check("adaptor CREATE took its inner handle",
	      call_r == -ENOENT && destroy_r == -ENOENT,
	      "NEXT on inner handle " + std::to_string(released_inner_) + ": " +
		      describe_res(call_r) + ", DESTROY: " + describe_res(destroy_r) +
		      " (expected -ENOENT, -ENOENT)");
}

bool Workload::setup()
{
	r_.path = opt_.uring ? "io_uring" : "ioctl";
	r_.batch = opt_.uring ? opt_.batch : 1;
	r_.seed = opt_.seed;
	r_.strategies = opt_.strategies;
	r_.ticker_period_ns = opt_.ticker_period_ns;
	r_.allowed_errnos = opt_.policy.list();
	r_.ops = opt_.ops;

	if (opt_.uring) {
		if (opt_.depth < 1 || opt_.depth > kMaxDepth || opt_.batch < 1) {
			check("options", false, "--qd must be 1.." + std::to_string(kMaxDepth) +
						       " and --batch >= 1");
			return false;
		}
		std::string err;
		path_ = open_uring_path(dev_, opt_.depth, err);
		if (!path_) {
			check("io_uring setup", false, err);
			return false;
		}
	} else {
		path_ = open_ioctl_path(dev_);
	}
	r_.depth = path_->depth();
	r_.batch = std::min(r_.batch, r_.depth);

	// Enough objects that every call in flight has its own, with as many
	// idle again to choose from.
	size_t sets = r_.strategies.size() * kNumKinds;
	unsigned k = opt_.objects_per_kind;
	if (!k)
		k = std::max<unsigned>(1, static_cast<unsigned>((2 * r_.depth + sets - 1) / sets));
	r_.objects_per_kind = k;
	size_t top_level = sets * k;
	long max_objects = module_param("max_objects", 1024);
	long max_inflight = module_param("max_inflight", 256);
	max_call_ms_ = module_param("max_call_ms", 10000);
	if (static_cast<long>(r_.depth) > max_inflight) {
		check("options", false, "--qd " + std::to_string(r_.depth) +
						" exceeds the module parameter max_inflight " +
						std::to_string(max_inflight));
		return false;
	}
	// Each widget may have one COMPONENTS object alive besides.
	size_t needed = r_.strategies.size() * k * (kObjectsPerKindSet + 1);
	if (static_cast<long>(needed) > max_objects) {
		check("options", false, std::to_string(needed) + " objects needed (" +
						std::to_string(k) + " per kind x strategy), module " +
						"parameter max_objects is " + std::to_string(max_objects));
		return false;
	}
	if (top_level < r_.depth)
		std::fprintf(stderr, "dynasync: note: %zu objects for queue depth %u: "
			     "fewer calls than that will be in flight\n", top_level, r_.depth);

	for (uint32_t t : { DYNASYNC_TRAIT_ITERATOR, DYNASYNC_TRAIT_WIDGET }) {
		dynasync_layout l{};
		l.trait = t;
		l.impl = t == DYNASYNC_TRAIT_ITERATOR ? DYNASYNC_IMPL_COUNTER : DYNASYNC_IMPL_GADGET;
		l.method = t == DYNASYNC_TRAIT_ITERATOR ? DYNASYNC_METHOD_NEXT : DYNASYNC_METHOD_AUGMENT;
		int r = dev_.layout(l);
		if (r < 0) {
			check("LAYOUT", false, std::string("LAYOUT ") + trait_name(t) + ": " +
						       describe_res(r));
			return false;
		}
		slot_size_[t] = static_cast<uint32_t>(l.slot_size);
	}

	if (int r = dev_.stats(r_.stats_before); r < 0) {
		check("STATS", false, "STATS before the run: " + describe_res(r));
		return false;
	}
	for (uint32_t s : r_.strategies) {
		for (uint32_t kind : kKinds) {
			for (unsigned i = 0; i < k && !stop_; i++) {
				size_t idx = new_entry();
				objects_[idx].strategy = s;
				objects_[idx].kind = kind;
				if (fill(objects_[idx]))
					idle_.push_back(idx);
				else
					vacant_.push_back(idx);
			}
		}
	}
	if (stop_)
		return false;
	check_inner_handle_released();

	slots_.resize(r_.depth);
	for (unsigned i = r_.depth; i-- > 0;)
		free_slots_.push_back(i);
	completions_.push_back(0);	// seq 0 is never used
	return true;
}

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
		uint64_t left = r_.ops - r_.submitted;
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
	if (++completions_[seq] > 1) {
		r_.duplicates++;
		failure("call #" + std::to_string(seq) + " completed " +
			std::to_string(completions_[seq]) + " times (res " + describe_res(c.res) + ")");
		return;
	}
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
			for (uint32_t st : r_.strategies)
				if (s.strategy[st].allocations == r_.stats_before.strategy[st].allocations)
					unused += std::string(unused.empty() ? "" : ", ") + strategy_name(st);
			check("every strategy placed frames", unused.empty(),
			      unused.empty() ? "allocations grew in each of the " +
						       std::to_string(r_.strategies.size()) + " strategies"
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

RunReport Workload::run()
{
	double t0 = now_s();
	bool ok = setup();
	r_.setup_s = now_s() - t0;
	if (!ok) {
		// Whatever was created goes away with the file; say why we stop.
		if (r_.checks.empty() || r_.checks.back().ok)
			check("setup", false, r_.failures.empty() ? "failed" : r_.failures.back());
		return r_;
	}
	double start = now_s();
	progress_.start();
	while (!stalled_) {
		submit_round();
		if (!inflight_) {
			if (r_.submitted >= r_.ops || stop_)
				break;
			if (idle_.empty()) {
				fatal("no object left to call (every replacement CREATE failed)");
				break;
			}
			continue;
		}
		reap();
		progress_.update(r_.completed, r_.ops, inflight_, r_.failure_count);
	}
	r_.run_s = now_s() - start;
	if (inflight_samples_)
		r_.mean_inflight = static_cast<double>(inflight_sum_) / inflight_samples_;
	progress_.finish();
	final_checks();
	return r_;
}

} // namespace

RunReport run_workload(const Device &dev, const RunOptions &opt)
{
	RunOptions o = opt;
	if (o.strategies.empty())
		for (uint32_t s = 1; s <= DYNASYNC_STRATEGY_MAX; s++)
			o.strategies.push_back(s);
	Workload w(dev, o);
	return w.run();
}

} // namespace harness
