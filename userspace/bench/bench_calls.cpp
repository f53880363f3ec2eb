// SPDX-License-Identifier: GPL-2.0
// ns per call: a dyn async call awaited from a task, per storage strategy,
// ready at once and suspending once, against the baselines measured in
// the same run: the plain virtual call, the C++20 floor (a coroutine
// framed in a caller slot, nothing else), the heap-framed coroutine
// (global operator new) and static dispatch (qualified call on the
// concrete type) with the same storage; and the frame-free ready path.
// The same cases run outside Google Benchmark for callgrind
// (host-bench --instr CASE BATCHES): instructions per call.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common.hpp"
#include "driver.hpp"
#include "kit.hpp"
#include "rt/dyn.hpp"
#include "source.hpp"

namespace bench {

size_t source_frame_total() noexcept
{
	Up up;
	Down down;
	size_t m = 0;
	auto take = [&](size_t n) { m = std::max(m, n); };
	take(ds::probe_frame([&](ds::Storage &p) { return up.Up::ready(p); }));
	take(ds::probe_frame([&](ds::Storage &p) { return up.Up::hop(p); }));
	take(ds::probe_frame([&](ds::Storage &p) { return up.Up::yield(p); }));
	take(ds::probe_frame([&](ds::Storage &p) { return down.Down::ready(p); }));
	take(ds::probe_frame([&](ds::Storage &p) { return down.Down::hop(p); }));
	take(ds::probe_frame([&](ds::Storage &p) { return down.Down::yield(p); }));
	return m;
}

namespace {

const char *const kModes[] = {"ready", "hop", "yield"};

ds::Strategy strategy_named(const std::string &s, bool *ok) noexcept
{
	for (ds::Strategy x : kStrategies)
		if (s == ds::strategy_name(x)) {
			*ok = true;
			return x;
		}
	*ok = false;
	return ds::Strategy::Boxed;
}

// Builds the named case's BatchRunner and hands it to @use; false for an
// unknown name. Names: MODE/heap, ready/floor, ready/frame_free,
// MODE/dyn/STRATEGY, MODE/static/STRATEGY (MODE: ready, hop, yield).
template <class Use>
bool with_case(const std::string &name, Kit &kit, Use &&use)
{
	const size_t slash = name.find('/');
	if (slash == std::string::npos)
		return false;
	const std::string mode = name.substr(0, slash), rest = name.substr(slash + 1);
	const int m = mode == "ready" ? 0 : mode == "hop" ? 1 : mode == "yield" ? 2 : -1;
	if (m < 0)
		return false;
	Source *src = &pick_source(opaque_index());
	Up *up = &the_up();
	if (rest == "heap") {
		if (m == 0) {
			BatchRunner r([src] { return src->ready_heap(); });
			use(r);
		} else if (m == 1) {
			BatchRunner r([src] { return src->hop_heap(); });
			use(r);
		} else {
			BatchRunner r([src] { return src->yield_heap(); });
			use(r);
		}
		return true;
	}
	if (m == 0 && rest == "floor") {
		static FloorSlot slot;
		FloorSlot *sl = &slot;
		BatchRunner r([src, sl] { return src->ready_floor(*sl); });
		use(r);
		return true;
	}
	if (m == 0 && rest == "frame_free") {
		if (kit.init(ds::Strategy::Inline, source_frame_total()))
			return false;
		ds::Storage *s = &kit.storage();
		BatchRunner r([src, s] { return src->ready_free(*s); });
		use(r);
		return true;
	}
	const size_t slash2 = rest.find('/');
	if (slash2 == std::string::npos)
		return false;
	const std::string dispatch = rest.substr(0, slash2);
	bool ok;
	const ds::Strategy which = strategy_named(rest.substr(slash2 + 1), &ok);
	if (!ok || (dispatch != "dyn" && dispatch != "static"))
		return false;
	if (kit.init(which, source_frame_total()))
		return false;
	ds::Storage *s = &kit.storage();
	const bool dyn = dispatch == "dyn";
	switch (m) {
	case 0:
		if (dyn) {
			BatchRunner r([src, s] { return src->ready(*s); });
			use(r);
		} else {
			BatchRunner r([up, s] { return up->Up::ready(*s); });
			use(r);
		}
		break;
	case 1:
		if (dyn) {
			BatchRunner r([src, s] { return src->hop(*s); });
			use(r);
		} else {
			BatchRunner r([up, s] { return up->Up::hop(*s); });
			use(r);
		}
		break;
	default:
		if (dyn) {
			BatchRunner r([src, s] { return src->yield(*s); });
			use(r);
		} else {
			BatchRunner r([up, s] { return up->Up::yield(*s); });
			use(r);
		}
		break;
	}
	return true;
}

void bm_case(benchmark::State &st, std::string name)
{
	Kit kit;
	if (!with_case(name, kit, [&](BatchRunner &r) { run_batches(st, r); }))
		st.SkipWithError("case setup failed");
}

// The floor: a virtual call returning the value, no coroutine at all.
uint64_t virtual_batch(Source *src) noexcept
{
	uint64_t sum = 0;
	for (int i = 0; i < kBatch; i++) {
		sum += src->plain();
		benchmark::DoNotOptimize(sum);
	}
	return sum;
}

void bm_virtual(benchmark::State &st)
{
	Source *src = &pick_source(opaque_index());
	for (auto _ : st)
		virtual_batch(src);
	st.SetItemsProcessed(st.iterations() * kBatch);
}

} // namespace

// Runs @batches batches of the named case (callgrind counts them): 0, or
// 2 for an unknown case, 3 for a failed call.
int run_instr(const char *name, long batches)
{
	if (!std::strcmp(name, "virtual")) {
		Source *src = &pick_source(opaque_index());
		for (long b = 0; b < batches; b++)
			virtual_batch(src);
		return 0;
	}
	Kit kit;
	long errors = 0;
	bool known = with_case(name, kit, [&](BatchRunner &r) {
		for (long b = 0; b < batches; b++)
			r.run();
		errors = r.errors();
	});
	if (!known) {
		std::fprintf(stderr, "host-bench --instr: unknown case %s\n", name);
		return 2;
	}
	return errors ? 3 : 0;
}

void register_calls()
{
	benchmark::RegisterBenchmark("call/virtual", bm_virtual);
	benchmark::RegisterBenchmark("call/ready/floor", bm_case, std::string("ready/floor"));
	benchmark::RegisterBenchmark("call/ready/frame_free", bm_case,
				     std::string("ready/frame_free"));
	for (const char *m : kModes) {
		const std::string base = std::string(m) + "/";
		benchmark::RegisterBenchmark(("call/" + base + "heap").c_str(), bm_case,
					     base + "heap");
		for (ds::Strategy s : kStrategies) {
			for (const char *d : {"dyn/", "static/"}) {
				const std::string n = base + d + ds::strategy_name(s);
				benchmark::RegisterBenchmark(("call/" + n).c_str(), bm_case, n);
			}
		}
	}
}

} // namespace bench
