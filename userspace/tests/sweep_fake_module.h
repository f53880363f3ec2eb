// SPDX-License-Identifier: GPL-2.0
// A fake dynasync module for testing the nth-sweep (userspace/harness/
// sweep*.cpp) on the host: objects, calls and an NTH fault hook with the
// uapi's semantics, under simple deterministic allocation rules, plus
// switches that break one promise each, so the tests can show the sweep
// catches every kind of violation it claims to.
//
// Allocation rules (per call unless said): bookkeeping 0 (it is in the
// object, made at CREATE), a RESERVE object's 1 from its pool; a frame per level of the object
// (a nested iterator has one per object) and per SUM item, plus SUM's own
// frame: BOXED 1 each; INLINE 0 (SUM's 1); MAYBE_BOXED 0 for the top
// level, 1 nested (SUM's 1); CACHED 1 the first time per object level,
// kept (SUM's 1); TASK_STACK 1 stack per call, frames 0; RESERVE 1 each
// from the pool, which absorbs an injection. CREATE and COMPONENTS: the
// object 1, RESERVE also its pool 1 + kReserveFrames elements (no
// absorbing there).
#pragma once

#include <cerrno>
#include <map>
#include <memory>

#include "userspace/harness/model.h"
#include "userspace/harness/sweep_env.h"
#include "userspace/harness/sweep_ops.h"

namespace fake {

using harness::Completion;
using harness::ObjectModel;
using harness::PathKind;
using harness::Spec;

// Each breaks one promise of the uapi.
struct Bugs {
	bool next_advances_on_failure = false;
	bool augment_adds_on_failure = false;
	bool transmit_delivers_on_failure = false;
	bool components_object_on_failure = false;
	bool create_takes_inner_on_failure = false;
	bool sum_loses_failing_item = false;
	bool swallow_injection = false;		// BOXED: an injected frame "succeeds"
	bool no_out_counts = false;		// -ENOMEM without out.injected
	bool reserve_does_not_absorb = false;
	bool leak_frame_on_failure = false;
	bool duplicate_completion = false;
	bool lose_completion = false;
	bool late_duplicate = false;		// a second CQE after the call's
	bool destroy_allocates = false;		// an unreported candidate
	bool wrong_gear_weight = false;
	// Kernel fail-nth: an io_uring failure that still completes the
	// call with a result, and a module allocation the task's fail-nth
	// cannot reach (made outside task context: here CREATE's object).
	bool uring_failure_runs_call = false;
	bool alloc_outside_task = false;
};

// The kernel's per-task fail-nth as the fake sees it: each module
// allocation passes two fault points (fail_dynasync's hook, then the
// slab), and each io_uring call one before the module sees it (its
// request allocation: failing it refuses the submission with -EAGAIN).
struct Module {
	Bugs bugs;
	unsigned fail_nth = 0;
	// True when the next fault point fails (and disarms).
	bool fault_point()
	{
		if (!fail_nth)
			return false;
		return --fail_nth == 0;
	}
	uint64_t live[DYNASYNC_SITES] = {};
	uint64_t live_frames[DYNASYNC_STRATEGY_MAX + 1] = {};
	uint64_t opened = 0;
};

constexpr uint32_t kReserveFrames = harness::ShapeRun::kReserveFrames;

struct Object {
	Spec spec;
	ObjectModel model;
	uint32_t strategy = 0;
	unsigned depth = 1;
	// Allocations this object (and the inner ones it owns) holds.
	uint64_t held[DYNASYNC_SITES] = {};
	uint64_t held_frames = 0;
	std::vector<bool> cached;	// CACHED: a block per level
};

class File final : public harness::SweepFile {
public:
	File(Module &m, PathKind path) : m_(m), path_(path) { m_.opened++; }
	~File() override
	{
		for (auto &[h, o] : objects_)
			release(o);
	}

	int create(dynasync_create &c) override
	{
		Spec spec;
		spec.impl = c.impl;
		spec.param[0] = c.param[0];
		spec.param[1] = c.param[1];
		Object *inner = nullptr;
		if (c.inner[0]) {
			auto it = objects_.find(c.inner[0]);
			if (it == objects_.end())
				return -ENOENT;
			inner = &it->second;
			spec.inner.push_back(inner->spec);
		}
		uint64_t got[DYNASYNC_SITES] = {};
		if (!alloc_object(c.storage.strategy, got)) {
			if (inner && m_.bugs.create_takes_inner_on_failure)
				erase(c.inner[0]);
			return -ENOMEM;
		}
		Object o;
		o.spec = spec;
		o.model = ObjectModel::from_spec(spec);
		o.strategy = c.storage.strategy;
		for (unsigned s = 0; s < DYNASYNC_SITES; s++)
			o.held[s] = got[s];
		if (inner) {
			o.depth = inner->depth + 1;
			for (unsigned s = 0; s < DYNASYNC_SITES; s++)
				o.held[s] += inner->held[s];
			o.held_frames = inner->held_frames;
			o.cached = inner->cached;
			objects_.erase(c.inner[0]);
		}
		o.cached.push_back(false);
		c.handle = next_handle_++;
		objects_[c.handle] = std::move(o);
		return 0;
	}

	int destroy(uint32_t h) override
	{
		if (m_.bugs.destroy_allocates)
			hook(DYNASYNC_SITE_MISC);	// result ignored
		auto it = objects_.find(h);
		if (it == objects_.end())
			return -ENOENT;
		release(it->second);
		objects_.erase(it);
		return 0;
	}

	int stats(dynasync_stats &s) override
	{
		s = dynasync_stats{};
		for (auto &[h, o] : objects_)
			s.objects += static_cast<uint32_t>(o.spec.objects());
		s.calls = calls_;
		s.completions = calls_;
		s.sink_total = sink_total_;
		s.sink_deliveries = sink_deliveries_;
		return 0;
	}

	int fault_set(const dynasync_fault_policy &p) override
	{
		if (p.mode != DYNASYNC_FAULT_NTH || !p.nth)
			return -EINVAL;
		nth_ = p.nth;
		candidates_ = injections_ = 0;
		if (p.flags & DYNASYNC_FAULT_F_RESET_COUNTERS)
			st_ = dynasync_fault_state{};
		return 0;
	}

	int fault_get(dynasync_fault_state &s) override
	{
		s = st_;
		s.policy.mode = DYNASYNC_FAULT_NTH;
		s.policy.nth = nth_;
		s.candidates = candidates_;
		s.injections = injections_;
		return 0;
	}

	int call(const dynasync_call &c, uint64_t ud, std::vector<Completion> &out) override
	{
		if (path_ == PathKind::kUring && m_.fault_point()) {
			if (!m_.bugs.uring_failure_runs_call)
				return -EAGAIN;
			out.push_back({ ud, -ENOMEM });
		}
		calls_++;
		auto *o = reinterpret_cast<dynasync_call_out *>(static_cast<uintptr_t>(c.out_ptr));
		dynasync_call_out local{};
		int res = run(c, o ? *o : local);
		if (!m_.bugs.lose_completion)
			out.push_back({ ud, res });
		if (m_.bugs.duplicate_completion)
			out.push_back({ ud, res });
		if (m_.bugs.late_duplicate)
			late_.push_back({ ud, res });
		return 0;
	}

	void stray(std::vector<Completion> &out) override
	{
		out.insert(out.end(), late_.begin(), late_.end());
		late_.clear();
	}

private:
	// The hook: false when this candidate is the nth, or the task's
	// fail-nth fails it (fail_dynasync's point, or the slab's after).
	bool hook(unsigned site)
	{
		candidates_++;
		st_.attempted[site]++;
		bool in_task = !(m_.bugs.alloc_outside_task && site == DYNASYNC_SITE_OBJECT);
		slab_failed_ = false;
		if (candidates_ == nth_ || (in_task && m_.fault_point())) {
			injections_ += candidates_ == nth_;
			st_.injected[site]++;
			return false;
		}
		if (in_task && m_.fault_point()) {
			st_.failed[site]++;
			slab_failed_ = true;
			return false;
		}
		return true;
	}

	// A call's out counts the hook's failure as the module does.
	void count_failure(dynasync_call_out &out)
	{
		if (slab_failed_)
			out.alloc_failed++;
		else
			out.injected++;
	}

	void take(uint64_t (&got)[DYNASYNC_SITES], unsigned site)
	{
		got[site]++;
		m_.live[site]++;
	}

	void give_back(const uint64_t (&got)[DYNASYNC_SITES])
	{
		for (unsigned s = 0; s < DYNASYNC_SITES; s++)
			m_.live[s] -= got[s];
	}

	bool alloc_object(uint32_t strategy, uint64_t (&got)[DYNASYNC_SITES])
	{
		unsigned n = strategy == DYNASYNC_STRATEGY_RESERVE ? 2 + kReserveFrames : 1;
		for (unsigned i = 0; i < n; i++) {
			unsigned site = i ? DYNASYNC_SITE_RESERVE : DYNASYNC_SITE_OBJECT;
			// mempool_create()'s own allocation, outside the hook: a
			// fail-nth point whose failure counts under MISC (uapi).
			if (i == 1 && m_.fault_point()) {
				st_.failed[DYNASYNC_SITE_MISC]++;
				give_back(got);
				return false;
			}
			if (!hook(site)) {
				give_back(got);
				return false;
			}
			take(got, site);
		}
		return true;
	}

	void release(Object &o)
	{
		give_back(o.held);
		m_.live[DYNASYNC_SITE_FRAME] -= o.held_frames;
		m_.live_frames[o.strategy] -= o.held_frames;
	}

	void erase(uint32_t h)
	{
		auto it = objects_.find(h);
		release(it->second);
		objects_.erase(it);
	}

	// One call's allocations, freed when it ends.
	struct Call {
		File &f;
		Object &o;
		dynasync_call_out &out;
		uint64_t frames = 0;
		uint64_t task = 0;
		bool failed = false;

		// One allocation; RESERVE's pool absorbs an injection.
		bool get(unsigned site, bool pool)
		{
			if (f.hook(site))
				return true;
			f.count_failure(out);
			if (pool && !f.m_.bugs.reserve_does_not_absorb)
				return true;
			if (f.m_.bugs.swallow_injection && o.strategy == DYNASYNC_STRATEGY_BOXED)
				return true;
			failed = true;
			return false;
		}
		bool frame(unsigned level, bool sum_frame = false)
		{
			uint32_t s = o.strategy;
			bool pool = s == DYNASYNC_STRATEGY_RESERVE;
			bool needs = s == DYNASYNC_STRATEGY_BOXED || pool;
			if (sum_frame)
				needs = s != DYNASYNC_STRATEGY_TASK_STACK;
			else if (s == DYNASYNC_STRATEGY_MAYBE_BOXED)
				needs = level > 0;
			else if (s == DYNASYNC_STRATEGY_CACHED && !o.cached[level]) {
				if (!get(DYNASYNC_SITE_FRAME, false))
					return false;
				o.cached[level] = true;
				o.held_frames++;
				f.m_.live[DYNASYNC_SITE_FRAME]++;
				f.m_.live_frames[s]++;
				return true;
			}
			if (!needs)
				return true;
			if (!get(DYNASYNC_SITE_FRAME, pool))
				return false;
			frames++;
			f.m_.live[DYNASYNC_SITE_FRAME]++;
			f.m_.live_frames[s]++;
			return true;
		}
		bool start()
		{
			// Only a RESERVE object's bookkeeping is taken per
			// call (from its pool); others' is in the object.
			if (o.strategy == DYNASYNC_STRATEGY_RESERVE) {
				if (!get(DYNASYNC_SITE_RESERVE, true))
					return false;
				task++;
				f.m_.live[DYNASYNC_SITE_TASK]++;
			}
			if (o.strategy == DYNASYNC_STRATEGY_TASK_STACK) {
				if (!get(DYNASYNC_SITE_FRAME, false))
					return false;
				frames++;
				f.m_.live[DYNASYNC_SITE_FRAME]++;
				f.m_.live_frames[o.strategy]++;
			}
			return true;
		}
		// The frames of one next() through every level.
		bool levels()
		{
			for (unsigned l = 0; l < o.depth; l++)
				if (!frame(l))
					return false;
			return true;
		}
		~Call()
		{
			if (failed && f.m_.bugs.leak_frame_on_failure)
				return;
			f.m_.live[DYNASYNC_SITE_FRAME] -= frames;
			f.m_.live_frames[o.strategy] -= frames;
			f.m_.live[DYNASYNC_SITE_TASK] -= task;
		}
	};

	int run(const dynasync_call &c, dynasync_call_out &out)
	{
		auto it = objects_.find(c.handle);
		if (it == objects_.end())
			return -ENOENT;
		Object &o = it->second;
		int res = 0;
		{
			Call call{ *this, o, out };
			res = method(c, o, call);
			if (res == -ENOMEM && m_.bugs.no_out_counts)
				out.injected = 0;
		}
		if (c.method == DYNASYNC_METHOD_TRANSMIT && res == 0)
			erase(c.handle);
		return res;
	}

	int method(const dynasync_call &c, Object &o, Call &call)
	{
		const Bugs &b = m_.bugs;
		dynasync_call_out &out = call.out;
		bool ok = call.start();
		switch (c.method) {
		case DYNASYNC_METHOD_NEXT: {
			if (ok)
				ok = call.levels();
			if (!ok) {
				if (b.next_advances_on_failure)
					o.model.iter.next();
				return -ENOMEM;
			}
			std::optional<uint64_t> x = o.model.iter.next();
			out.value = x ? *x : 0;
			out.flags = x ? 0 : DYNASYNC_OUT_F_END;
			return x ? 1 : 0;
		}
		case DYNASYNC_METHOD_SUM: {
			if (ok)
				ok = call.frame(0, true);
			uint64_t total = 0;
			for (uint64_t i = 0; ok && i < c.arg[0]; i++) {
				if (!call.levels()) {
					if (b.sum_loses_failing_item)
						o.model.iter.next();
					return -ENOMEM;
				}
				std::optional<uint64_t> x = o.model.iter.next();
				if (!x)
					break;
				total += *x;
			}
			if (!ok)
				return -ENOMEM;
			out.value = total;
			return 0;
		}
		case DYNASYNC_METHOD_AUGMENT: {
			uint64_t w = harness::WidgetModel::weight(c.arg[0], c.arg[1]);
			if (b.wrong_gear_weight && c.arg[0] == DYNASYNC_COMPONENT_GEAR)
				w = 3 * c.arg[1];
			if (ok)
				ok = call.frame(0);
			if (!ok) {
				if (b.augment_adds_on_failure)
					o.model.widget.total += w;
				return -ENOMEM;
			}
			o.model.widget.total += w;
			o.model.widget.count++;
			out.value = o.model.widget.total;
			return 0;
		}
		case DYNASYNC_METHOD_COMPONENTS: {
			uint64_t got[DYNASYNC_SITES] = {};
			if (ok && !alloc_object(o.strategy, got)) {
				count_failure(out);
				ok = false;
			}
			if (!ok && !b.components_object_on_failure)
				return -ENOMEM;
			Spec s;
			s.impl = DYNASYNC_IMPL_COUNTER;
			s.param[1] = o.model.widget.count;
			Object n;
			n.spec = s;
			n.model = ObjectModel::from_spec(s);
			n.strategy = o.strategy;
			n.cached.push_back(false);
			for (unsigned i = 0; i < DYNASYNC_SITES; i++)
				n.held[i] = got[i];
			uint32_t h = next_handle_++;
			objects_[h] = std::move(n);
			if (!ok)
				return -ENOMEM;
			out.handle = h;
			return static_cast<int>(h);
		}
		case DYNASYNC_METHOD_TRANSMIT:
			if (ok)
				ok = call.frame(0);
			if (ok || b.transmit_delivers_on_failure) {
				sink_total_ += o.model.widget.total;
				sink_deliveries_++;
			}
			if (!ok)
				return -ENOMEM;
			out.value = o.model.widget.total;
			return 0;
		default:
			return -EINVAL;
		}
	}

	Module &m_;
	PathKind path_;
	bool slab_failed_ = false;	// the hook's last failure was the slab's
	std::map<uint32_t, Object> objects_;
	uint32_t next_handle_ = 1;
	uint64_t nth_ = 0, candidates_ = 0, injections_ = 0;
	dynasync_fault_state st_{};
	uint64_t calls_ = 0;
	uint64_t sink_total_ = 0, sink_deliveries_ = 0;
	std::vector<Completion> late_;
};

class Env final : public harness::SweepEnv {
public:
	explicit Env(Module &m) : m_(m) {}

	std::unique_ptr<harness::SweepFile> open(PathKind path, std::string &) override
	{
		return std::make_unique<File>(m_, path);
	}
	int module_stats(dynasync_stats &s) override
	{
		s = dynasync_stats{};
		for (unsigned i = 0; i < DYNASYNC_SITES; i++)
			s.live_allocs[i] = m_.live[i];
		for (unsigned i = 1; i <= DYNASYNC_STRATEGY_MAX; i++)
			s.strategy[i].live_frames = m_.live_frames[i];
		return 0;
	}
	void pause() override {}
	int task_fail_nth(unsigned n) override
	{
		m_.fail_nth = n;
		return 0;
	}
	int task_fail_nth_left(unsigned &left) override
	{
		left = m_.fail_nth;
		return 0;
	}

private:
	Module &m_;
};

} // namespace fake
