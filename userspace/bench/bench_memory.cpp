// SPDX-License-Identifier: GPL-2.0
// Memory per in-flight call, counted, not guessed: kInFlight calls of the
// same suspending dyn method (Source::yield) are left suspended, then
//   frame_B        what the compiler asked for the frame (layout probe,
//                  cross-checked against the runtime's stats: every
//                  in-flight frame is accounted as frame + FrameHeader)
//   held_B         bytes the storage holds per call: a heap block's glibc
//                  chunk (malloc_usable_size + the 8-byte size word), the
//                  inline slot's size, the task stack's used bytes / calls
//   bookkeeping_B  held_B - frame_B: header, allocator and padding
// The heap-framed baseline counts its frames at its operator new.
// One iteration: these are sizes, not timings.
#include <malloc.h>

#include <memory>
#include <vector>

#include "common.hpp"
#include "kit.hpp"
#include "parked.hpp"
#include "rt/dyn.hpp"
#include "rt/task.hpp"
#include "source.hpp"

namespace bench {
namespace {

constexpr int kInFlight = 64;
constexpr size_t kHeader = sizeof(ds::detail::FrameHeader);

// glibc: a chunk is its usable bytes plus one size word.
double chunk_bytes(void *block) noexcept
{
	return static_cast<double>(malloc_usable_size(block) + sizeof(size_t));
}

bool per_call_storage(ds::Strategy s) noexcept
{
	return s == ds::Strategy::Inline || s == ds::Strategy::MaybeBoxed ||
	       s == ds::Strategy::Cached;
}

void measure(benchmark::State &st, ds::Strategy which)
{
	const size_t total = source_frame_total();
	const int nkits = per_call_storage(which) ? kInFlight : 1;
	std::vector<std::unique_ptr<Kit>> kits;
	for (int i = 0; i < nkits; i++) {
		kits.push_back(std::make_unique<Kit>());
		if (kits.back()->init(which, total)) {
			st.SkipWithError("storage setup failed");
			return;
		}
	}
	Source &src = pick_source(opaque_index());
	ds::StrategyCounters before, after;
	ds::stats_snapshot(which, &before);
	const size_t stack_before = kits[0]->stack().used();

	std::vector<ds::Future<uint64_t>> calls;
	calls.reserve(kInFlight);
	for (int i = 0; i < kInFlight; i++) {
		calls.push_back(src.yield(kits[i % nkits]->storage()));
		if (!calls.back().started())
			break;
		calls.back().handle().resume(); // runs to its Yield
	}
	ds::stats_snapshot(which, &after);
	const size_t inflight = parked.size();

	double held = 0;
	for (auto &c : calls) {
		if (!c.started())
			continue;
		void *block = static_cast<char *>(c.handle().address()) - kHeader;
		switch (which) {
		case ds::Strategy::Boxed:
		case ds::Strategy::Reserve:
		case ds::Strategy::Cached: // its one block, grown to this frame
			held += chunk_bytes(block);
			break;
		default:
			break;
		}
	}
	if (which == ds::Strategy::Inline || which == ds::Strategy::MaybeBoxed)
		held = static_cast<double>(kits[0]->slot_bytes()) * kInFlight;
	if (which == ds::Strategy::TaskStack)
		held = static_cast<double>(kits[0]->stack().used() - stack_before);

	resume_parked();
	calls.clear();

	const long frames = after.live_frames - before.live_frames;
	if (inflight != kInFlight || frames != kInFlight) {
		st.SkipWithError("not every call was in flight");
		return;
	}
	const double accounted = static_cast<double>(after.live_bytes - before.live_bytes) / frames;
	if (accounted != static_cast<double>(total)) {
		st.SkipWithError("runtime stats disagree with the layout probe");
		return;
	}
	const double frame = static_cast<double>(total - kHeader);
	held /= kInFlight;
	st.counters["frame_B"] = frame;
	st.counters["header_B"] = accounted - frame;
	st.counters["held_B"] = held;
	st.counters["bookkeeping_B"] = held - frame;
	st.counters["promise_B"] = sizeof(ds::Future<uint64_t>::promise_type);
	st.counters["task_B"] = sizeof(ds::RootTask<uint64_t>);
}

void measure_heap(benchmark::State &st)
{
	Source &src = pick_source(opaque_index());
	const HeapFrameCount before = heap_frames;
	std::vector<HeapFuture<uint64_t, true>> calls;
	calls.reserve(kInFlight);
	for (int i = 0; i < kInFlight; i++) {
		calls.push_back(src.yield_heap_counted());
		calls.back().handle().resume();
	}
	const HeapFrameCount after = heap_frames;
	const size_t inflight = parked.size();
	double held = 0;
	for (auto &c : calls)
		held += chunk_bytes(c.handle().address());
	resume_parked();
	calls.clear();
	const long frames = after.frames - before.frames;
	if (inflight != kInFlight || frames != kInFlight) {
		st.SkipWithError("not every call was in flight");
		return;
	}
	const double frame = static_cast<double>(after.bytes - before.bytes) / frames;
	held /= kInFlight;
	st.counters["frame_B"] = frame;
	st.counters["header_B"] = 0;
	st.counters["held_B"] = held;
	st.counters["bookkeeping_B"] = held - frame;
	st.counters["promise_B"] = sizeof(HeapFuture<uint64_t, true>::promise_type);
}

void bm_memory(benchmark::State &st, ds::Strategy which)
{
	for (auto _ : st)
		measure(st, which);
}

void bm_memory_heap(benchmark::State &st)
{
	for (auto _ : st)
		measure_heap(st);
}

} // namespace

void register_memory()
{
	benchmark::RegisterBenchmark("mem/heap", bm_memory_heap)->Iterations(1)->Repetitions(1);
	for (ds::Strategy s : kStrategies)
		benchmark::RegisterBenchmark(name("mem/", s).c_str(), bm_memory, s)
			->Iterations(1)
			->Repetitions(1);
}

} // namespace bench
