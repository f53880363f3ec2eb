// SPDX-License-Identifier: GPL-2.0
// Accounting of coroutine frames per storage strategy. Two things are
// counted apart, because they cost apart:
//   placements   frames placed in a strategy's storage (an inline slot,
//                a task stack and a cached block place without allocating)
//   heap         blocks the strategy took from the heap for frames (a boxed
//                frame, a maybe-boxed fallback, a cached block, a task-stack
//                region, a reserve pool's reserve) and the bytes it holds
// Every count is a per-CPU (kernel) / per-thread (host) counter added with
// plain instructions, no locked operation, and summed when read: exact at a
// quiescent point. The exact peak of the heap bytes needs one running total
// shared by all CPUs, a locked add per heap block: it is kept only while
// stats_track_high_water(true) is on (module parameter track_high_water).
#pragma once

#include <cstddef>
#include <cstdint>

#include "rt/hot_counter.hpp"
#include "rt/platform.h"

namespace ds {

enum class Strategy : uint8_t {
	Boxed,
	Inline,
	MaybeBoxed,
	Cached,
	TaskStack,
	Reserve,
	Probe,
	Count
};
inline constexpr int kStrategyCount = static_cast<int>(Strategy::Count);

const char *strategy_name(Strategy s) noexcept;

// The errnos a storage can fail with, as counter slots.
enum class FailKind : uint8_t { NoMem, TooBig, Busy, NoSpace, Invalid, Other, Count };
inline constexpr int kFailKindCount = static_cast<int>(FailKind::Count);
FailKind fail_kind(int err) noexcept;

struct StrategyCounters {
	long live_frames;	// placed minus released
	long live_bytes;	// bytes of live frames (headers included)
	long placements;	// frames placed (cumulative)
	long heap_allocations;	// heap blocks taken for frames (cumulative)
	long heap_bytes;	// bytes held from the heap now
	long high_water_bytes;	// peak of heap_bytes while tracked, else 0
	long failures[kFailKindCount];
};

// A snapshot: exact when nothing runs (see above).
void stats_snapshot(Strategy s, StrategyCounters *out) noexcept;
// Live frames over all strategies (the probe never holds any).
long stats_live_frames() noexcept;
// Zero the cumulative counters (not the live ones): tests only.
void stats_reset_cumulative() noexcept;
// Keep the exact heap high-water mark (a locked add per heap block); when
// turned on it starts from the heap bytes held then (exact if quiescent).
void stats_track_high_water(bool on) noexcept;
bool stats_tracking_high_water() noexcept;

namespace detail {

enum CounterKind : unsigned {
	kPlaced,
	kPlacedBytes,
	kReleased,
	kReleasedBytes,
	kHeapBlocks,
	kHeapBytes,
	kCounterKinds
};
// One strategy's counters side by side, a power of two apart: the hot path
// shifts the strategy once and reaches each counter at a constant offset.
inline constexpr unsigned kCounterStride = 8;
static_assert(kCounterKinds <= kCounterStride);
static_assert(kCounterStride * kStrategyCount <= DS_COUNTER_SLOTS);

constexpr unsigned counter_slot(Strategy s, CounterKind k)
{
	return static_cast<unsigned>(s) * kCounterStride + k;
}

void heap_high_water_add(Strategy s, long bytes) noexcept;
extern bool track_high_water;

} // namespace detail

// The per-frame hot path: inline, no locked operation.
inline void stats_on_place(Strategy s, size_t bytes) noexcept
{
	ds_counter_add2_inline(detail::counter_slot(s, detail::kPlaced), 1,
			       detail::counter_slot(s, detail::kPlacedBytes),
			       static_cast<long>(bytes));
}

inline void stats_on_release(Strategy s, size_t bytes) noexcept
{
	ds_counter_add2_inline(detail::counter_slot(s, detail::kReleased), 1,
			       detail::counter_slot(s, detail::kReleasedBytes),
			       static_cast<long>(bytes));
}

// A heap block taken (@bytes > 0) or given back (< 0) for @s's frames.
inline void stats_on_heap(Strategy s, long bytes) noexcept
{
	if (bytes > 0)
		ds_counter_add_inline(detail::counter_slot(s, detail::kHeapBlocks), 1);
	ds_counter_add_inline(detail::counter_slot(s, detail::kHeapBytes), bytes);
	if (__atomic_load_n(&detail::track_high_water, __ATOMIC_RELAXED))
		detail::heap_high_water_add(s, bytes);
}

void stats_on_failure(Strategy s, int err) noexcept;

} // namespace ds
