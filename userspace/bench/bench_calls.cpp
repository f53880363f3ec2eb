// SPDX-License-Identifier: GPL-2.0
// ns per call: a dyn async call awaited from a task, per storage strategy,
// ready at once and suspending once, against the baselines measured in
// the same run: the plain virtual call, the heap-framed coroutine (global
// operator new) and static dispatch (qualified call on the concrete type)
// with the same storage.
#include <algorithm>

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

enum class Mode { Ready, Hop, Yield };
enum class Dispatch { Dyn, Static };

void bm_strategy(benchmark::State &st, Mode mode, Dispatch dispatch, ds::Strategy which)
{
	Kit kit;
	if (kit.init(which, source_frame_total())) {
		st.SkipWithError("storage setup failed");
		return;
	}
	ds::Storage *s = &kit.storage();
	Source *src = &pick_source(opaque_index());
	Up *up = &the_up();
	const bool dyn = dispatch == Dispatch::Dyn;
	switch (mode) {
	case Mode::Ready:
		if (dyn) {
			BatchRunner r([src, s] { return src->ready(*s); });
			run_batches(st, r);
		} else {
			BatchRunner r([up, s] { return up->Up::ready(*s); });
			run_batches(st, r);
		}
		break;
	case Mode::Hop:
		if (dyn) {
			BatchRunner r([src, s] { return src->hop(*s); });
			run_batches(st, r);
		} else {
			BatchRunner r([up, s] { return up->Up::hop(*s); });
			run_batches(st, r);
		}
		break;
	case Mode::Yield:
		if (dyn) {
			BatchRunner r([src, s] { return src->yield(*s); });
			run_batches(st, r);
		} else {
			BatchRunner r([up, s] { return up->Up::yield(*s); });
			run_batches(st, r);
		}
		break;
	}
}

void bm_heap(benchmark::State &st, Mode mode)
{
	Source *src = &pick_source(opaque_index());
	switch (mode) {
	case Mode::Ready: {
		BatchRunner r([src] { return src->ready_heap(); });
		run_batches(st, r);
		break;
	}
	case Mode::Hop: {
		BatchRunner r([src] { return src->hop_heap(); });
		run_batches(st, r);
		break;
	}
	case Mode::Yield: {
		BatchRunner r([src] { return src->yield_heap(); });
		run_batches(st, r);
		break;
	}
	}
}

// The floor: a virtual call returning the value, no coroutine at all.
void bm_virtual(benchmark::State &st)
{
	Source *src = &pick_source(opaque_index());
	uint64_t sum = 0;
	for (auto _ : st) {
		for (int i = 0; i < kBatch; i++) {
			sum += src->plain();
			benchmark::DoNotOptimize(sum);
		}
	}
	st.SetItemsProcessed(st.iterations() * kBatch);
}

} // namespace

void register_calls()
{
	struct {
		Mode mode;
		const char *name;
	} const modes[] = {{Mode::Ready, "ready"}, {Mode::Hop, "hop"}, {Mode::Yield, "yield"}};
	benchmark::RegisterBenchmark("call/virtual", bm_virtual);
	for (auto m : modes) {
		const std::string base = std::string("call/") + m.name + "/";
		benchmark::RegisterBenchmark((base + "heap").c_str(), bm_heap, m.mode);
		for (ds::Strategy s : kStrategies) {
			benchmark::RegisterBenchmark(name((base + "dyn/").c_str(), s).c_str(),
						     bm_strategy, m.mode, Dispatch::Dyn, s);
			benchmark::RegisterBenchmark(name((base + "static/").c_str(), s).c_str(),
						     bm_strategy, m.mode, Dispatch::Static, s);
		}
	}
}

} // namespace bench
