// SPDX-License-Identifier: GPL-2.0
// `dynasync reserve`: RESERVE objects while every allocation fails.
//
// A RESERVE object's call takes its bookkeeping, SUM's loop frame and its
// own method frame from the object's pool (the header says so); an
// adaptor's inner objects serve their frames from their own pools, one at
// a time. With every refill failing (a 100% policy armed after CREATE,
// so the pools hold exactly their reserve) a call therefore needs
//   need = 1 (bookkeeping) + 1 if SUM (loop frame) + 1 (its frame, if
//   the method makes one: a counter's NEXT and a gadget's AUGMENT are
//   ready at once and make none)
// elements of the top object's reserve at once. Phase 1 asserts the exact
// boundary per call shape: reserve_frames = need - k is -ENOMEM with
// exactly reserve_frames + 1 injected allocations (every reserve element
// was handed out after its refill was failed, then one found the pool
// empty), and no side effect; reserve_frames = need succeeds with the
// right value, every one of the call's pool allocations injected. Phase 2
// runs many calls through io_uring on objects with exactly that reserve:
// all complete with the right value while every refill fails.
#include <cerrno>
#include <cstdio>
#include <optional>
#include <vector>

#include "call_path.h"
#include "names.h"
#include "progress.h"
#include "scenario_cmds.h"
#include "scenario_util.h"

namespace harness::scenario {

namespace {

constexpr uint64_t kEndless = uint64_t{1} << 40;

struct Shape {
	const char *name;
	Spec spec;
	uint32_t method;
	uint64_t arg0, arg1;
	// Pool elements the top object's call holds at once, and every pool
	// allocation the call makes (all of them injected, all absorbed).
	unsigned need;
	unsigned allocs;
};

Spec leaf(uint32_t impl, uint64_t p0, uint64_t p1)
{
	Spec s;
	s.impl = impl;
	s.param[0] = p0;
	s.param[1] = p1;
	return s;
}

Spec adaptor(uint32_t impl, uint64_t p0, uint64_t p1, std::vector<Spec> inner)
{
	Spec s = leaf(impl, p0, p1);
	s.inner = std::move(inner);
	return s;
}

std::vector<Shape> shapes()
{
	const Spec counter = leaf(DYNASYNC_IMPL_COUNTER, 100, kEndless);
	const Spec ticker = leaf(DYNASYNC_IMPL_TICKER, 20000, kEndless);
	const Spec map = adaptor(DYNASYNC_IMPL_MAP, 3, 1, { counter });
	const uint32_t NEXT = DYNASYNC_METHOD_NEXT, SUM = DYNASYNC_METHOD_SUM;
	return {
		// bookkeeping only: a counter's NEXT is ready at once, no frame
		{ "NEXT counter", counter, NEXT, 0, 0, 1, 1 },
		// + SUM's loop frame; its 5 counter NEXTs make no frame
		{ "SUM(5) counter", counter, SUM, 5, 0, 2, 2 },
		// the map's frame in its pool; the counter's NEXT makes none
		{ "NEXT map(counter)", map, NEXT, 0, 0, 2, 2 },
		// 5 items: the two maps' frames each (the counter's none)
		{ "SUM(5) map(map(counter))", adaptor(DYNASYNC_IMPL_MAP, 5, 7, { map }), SUM, 5, 0,
		  3, 2 + 5 * 2 },
		{ "NEXT ticker", ticker, NEXT, 0, 0, 2, 2 },
		{ "SUM(3) take(ticker)", adaptor(DYNASYNC_IMPL_TAKE, kEndless, 0, { ticker }), SUM,
		  3, 0, 3, 2 + 3 * 2 },
		// each of the 4 items: the chain's frame (the counters' NEXTs make none)
		{ "SUM(4) chain(counter(2), counter)",
		  adaptor(DYNASYNC_IMPL_CHAIN, 0, 0,
			  { leaf(DYNASYNC_IMPL_COUNTER, 50, 2), counter }),
		  SUM, 4, 0, 3, 2 + 4 },
		// bookkeeping only: AUGMENT is ready at once, no frame
		{ "AUGMENT gadget", leaf(DYNASYNC_IMPL_GADGET, 1000, 0), DYNASYNC_METHOD_AUGMENT,
		  DYNASYNC_COMPONENT_GEAR, 9, 1, 1 },
		{ "TRANSMIT gadget", leaf(DYNASYNC_IMPL_GADGET, 1000, 0), DYNASYNC_METHOD_TRANSMIT,
		  0, 0, 2, 2 },
	};
}

// What a successful call on a fresh object of @s returns: res and value.
std::pair<int, uint64_t> expected(const Shape &s, ObjectModel &m)
{
	switch (s.method) {
	case DYNASYNC_METHOD_NEXT: {
		std::optional<uint64_t> x = m.iter.next();
		return { x ? 1 : 0, x ? *x : 0 };
	}
	case DYNASYNC_METHOD_SUM:
		return { 0, m.iter.sum(s.arg0) };
	case DYNASYNC_METHOD_AUGMENT:
		m.widget.total += WidgetModel::weight(s.arg0, s.arg1);
		return { 0, m.widget.total };
	default:	// TRANSMIT
		return { 0, m.widget.total };
	}
}

class Reserve {
public:
	Reserve(const Device &dev, const Options &opt) : dev_(dev), opt_(opt) {}
	void boundaries();
	void progress();
	Tally &tally() { return t_; }

private:
	bool arm();
	void disarm();
	uint64_t site_injected(uint64_t &other);
	void boundary(const Shape &s, unsigned frames);

	const Device &dev_;
	const Options &opt_;
	Tally t_;
};

bool Reserve::arm()
{
	std::string error;
	const std::string spec = "probability=100,seed=" + std::to_string(opt_.seed);
	bool ok = opt_.policy == "global" ? arm_global(spec, error)
					  : arm_file(dev_, spec, error) == 0;
	if (!ok)
		t_.fail("arming " + spec + " (" + opt_.policy + " policy): " + error);
	// The file's counters count injections by either policy from here.
	dynasync_fault_policy reset{};
	reset.flags = DYNASYNC_FAULT_F_RESET_COUNTERS;
	if (ok && opt_.policy == "global" && dev_.fault_set(reset) < 0)
		t_.fail("FAULT_SET off with RESET_COUNTERS failed");
	return ok;
}

void Reserve::disarm()
{
	std::string error;
	bool ok = opt_.policy == "global" ? disarm_global(error) : disarm_file(dev_) == 0;
	if (!ok)
		t_.fail("disarming the " + opt_.policy + " policy: " + error);
}

// The file's injected allocations at the RESERVE site (and elsewhere).
uint64_t Reserve::site_injected(uint64_t &other)
{
	dynasync_fault_state st{};
	other = 0;
	if (int r = dev_.fault_get(st); r < 0) {
		t_.fail("FAULT_GET: " + res_str(r));
		return 0;
	}
	for (unsigned i = 0; i < DYNASYNC_SITES; i++)
		if (i != DYNASYNC_SITE_RESERVE)
			other += st.injected[i];
	return st.injected[DYNASYNC_SITE_RESERVE];
}

void Reserve::boundary(const Shape &s, unsigned frames)
{
	const std::string what = std::string(s.name) + " with reserve_frames " +
				 std::to_string(frames);
	uint32_t h = 0;
	int r = create_tree(dev_, s.spec, storage_of(DYNASYNC_STRATEGY_RESERVE, frames),
			    storage_of(DYNASYNC_STRATEGY_RESERVE, 1), h);
	if (r < 0) {
		t_.fail("CREATE " + what + ": " + res_str(r));
		return;
	}
	ObjectModel m = ObjectModel::from_spec(s.spec);
	auto [want_res, want_value] = expected(s, m);
	dynasync_call_out out{};
	if (!arm())
		return;
	r = call(dev_, h, s.method, s.arg0, s.arg1, out);
	// A TRANSMIT that ran took the handle.
	bool consumed = r == 0 && s.method == DYNASYNC_METHOD_TRANSMIT;
	disarm();
	t_.outcome(r, out.injected);
	char got[160];
	std::snprintf(got, sizeof(got), "res %s value %llu injected %u alloc_failed %u",
		      res_str(r).c_str(), static_cast<unsigned long long>(out.value),
		      out.injected, out.alloc_failed);
	if (frames < s.need) {
		// The pool is empty at the (frames + 1)-th allocation.
		if (r != -ENOMEM || out.injected != frames + 1 || out.alloc_failed || out.value ||
		    out.flags)
			t_.fail(what + ": expected -ENOMEM after " + std::to_string(frames + 1) +
				" injected allocations (the reserve exhausted), got " + got);
		// Nothing happened: the same call, unarmed, gives the first result.
		dynasync_call_out again{};
		int r2 = call(dev_, h, s.method, s.arg0, s.arg1, again);
		t_.outcome(r2, again.injected);
		consumed = r2 == 0 && s.method == DYNASYNC_METHOD_TRANSMIT;
		if (r2 != want_res || again.value != want_value || again.injected)
			t_.fail(what + ": after -ENOMEM, unarmed: expected res " +
				std::to_string(want_res) + " value " + std::to_string(want_value) +
				" (no side effect), got res " + res_str(r2) + " value " +
				std::to_string(again.value) + " injected " +
				std::to_string(again.injected));
	} else if (r != want_res || out.value != want_value || out.injected != s.allocs ||
		   out.alloc_failed) {
		t_.fail(what + ": expected res " + std::to_string(want_res) + " value " +
			std::to_string(want_value) + " with all " + std::to_string(s.allocs) +
			" pool allocations injected, got " + got);
	}
	int d = dev_.destroy(h);
	if (d != (consumed ? -ENOENT : 0))
		t_.fail("DESTROY after " + what + ": " + res_str(d));
}

void Reserve::boundaries()
{
	std::printf("phase 1: exact reserve boundaries (every refill failing; inner objects"
		    " with reserve_frames 1)\n");
	for (const Shape &s : shapes()) {
		uint64_t before = t_.failures();
		for (unsigned frames = 1; frames <= s.need + 1; frames++)
			boundary(s, frames);
		if (t_.failures() == before)
			t_.note(std::string(s.name) + ": needs exactly " + std::to_string(s.need) +
				" reserve frames (" + std::to_string(s.need - 1) +
				": -ENOMEM, no side effect); a call makes " +
				std::to_string(s.allocs) + " pool allocations, all injected");
	}
}

// Many calls on objects whose reserve is exactly what one call needs.
void Reserve::progress()
{
	const uint64_t calls = opt_.calls ? opt_.calls : 20000;
	const unsigned copies = opt_.objects ? opt_.objects : 4;
	std::vector<Shape> all = shapes();
	all.pop_back();	// TRANSMIT consumes its object
	struct Obj {
		const Shape *shape;
		uint32_t handle;
		ObjectModel model;
		bool busy;
	};
	std::vector<Obj> objs;
	for (const Shape &s : all) {
		for (unsigned i = 0; i < copies; i++) {
			uint32_t h = 0;
			int r = create_tree(dev_, s.spec,
					    storage_of(DYNASYNC_STRATEGY_RESERVE, s.need),
					    storage_of(DYNASYNC_STRATEGY_RESERVE, 1), h);
			if (r < 0) {
				t_.fail(std::string("CREATE ") + s.name + ": " + res_str(r));
				return;
			}
			objs.push_back({ &s, h, ObjectModel::from_spec(s.spec), false });
		}
	}
	std::string error;
	std::unique_ptr<CallPath> path = open_uring_path(dev_, objs.size(), error);
	if (!path) {
		t_.fail(error);
		return;
	}
	std::printf("phase 2: %llu calls through io_uring on %zu objects (reserve_frames ="
		    " what one call needs), every refill failing\n",
		    static_cast<unsigned long long>(calls), objs.size());
	std::vector<dynasync_call> cs(objs.size());
	std::vector<dynasync_call_out> outs(objs.size());
	std::vector<uint8_t> done;
	uint64_t submitted = 0, completed = 0, injected_sum = 0, bad = 0;
	double t0 = now_s();
	if (!arm())
		return;
	std::vector<Completion> got;
	while (completed < calls) {
		for (size_t i = 0; i < objs.size() && submitted < calls; i++) {
			if (objs[i].busy)
				continue;
			dynasync_call &c = cs[i];
			c = dynasync_call{};
			c.handle = objs[i].handle;
			c.method = objs[i].shape->method;
			c.arg[0] = objs[i].shape->arg0;
			c.arg[1] = objs[i].shape->arg1;
			outs[i] = dynasync_call_out{};
			c.out_ptr = reinterpret_cast<uintptr_t>(&outs[i]);
			// user_data: the call's sequence number and the object.
			if (path->queue(c, (submitted << 16) | i) < 0)
				break;
			objs[i].busy = true;
			submitted++;
			done.push_back(0);
		}
		if (int r = path->submit(); r < 0) {
			t_.fail("io_uring submit: " + res_str(r));
			break;
		}
		got.clear();
		int n = path->reap(1, 15000, got);
		if (n <= 0) {
			t_.fail("no completion within 15 s (" + res_str(n) + ")");
			break;
		}
		for (const Completion &c : got) {
			uint64_t seq = c.user_data >> 16;
			size_t i = c.user_data & 0xffff;
			if (seq >= done.size() || i >= objs.size() || done[seq]++) {
				t_.add_duplicated(1);
				continue;
			}
			completed++;
			Obj &o = objs[i];
			o.busy = false;
			const dynasync_call_out &out = outs[i];
			t_.outcome(c.res, out.injected);
			injected_sum += out.injected;
			auto [want_res, want_value] = expected(*o.shape, o.model);
			if (c.res != want_res || out.value != want_value || !out.injected ||
			    out.alloc_failed) {
				if (bad++ < 5)
					t_.fail(std::string(o.shape->name) + ": expected res " +
						std::to_string(want_res) + " value " +
						std::to_string(want_value) +
						" with injected > 0, got res " + res_str(c.res) +
						" value " + std::to_string(out.value) + " injected " +
						std::to_string(out.injected) + " alloc_failed " +
						std::to_string(out.alloc_failed));
				else
					t_.fail_again();
			}
		}
	}
	disarm();
	t_.add_lost(submitted - completed);
	uint64_t other = 0, at_reserve = site_injected(other);
	if (at_reserve != injected_sum || other)
		t_.fail("FAULT_GET: injected at the RESERVE site " + std::to_string(at_reserve) +
			", elsewhere " + std::to_string(other) + "; the calls' out.injected sum to " +
			std::to_string(injected_sum));
	else
		t_.note(std::to_string(completed) + " calls completed with the right values in " +
			std::to_string(static_cast<int>((now_s() - t0) * 1000)) + " ms; " +
			std::to_string(injected_sum) +
			" refills injected, all absorbed by the reserves (FAULT_GET agrees)");
	for (const Obj &o : objs)
		if (int r = dev_.destroy(o.handle); r < 0)
			t_.fail("DESTROY " + std::to_string(o.handle) + ": " + res_str(r));
}

} // namespace

int run_reserve(const std::string &device, const Options &opt)
{
	Device dev = Device::open(device.c_str());
	if (dev.fd() < 0) {
		std::fprintf(stderr, "dynasync: %s\n", dev.error().c_str());
		return 1;
	}
	std::printf("reserve: RESERVE objects created first, then every allocation failing"
		    " (%s policy, probability=100)\n", opt.policy.c_str());
	Reserve s(dev, opt);
	s.boundaries();
	s.progress();
	return finish_quiescent(dev, s.tally(), opt.verdict);
}

} // namespace harness::scenario
