// SPDX-License-Identifier: GPL-2.0
// Accounting of coroutine frames per storage strategy: live frames and
// bytes, high-water mark, and failures per errno. Updated by the frame
// allocator (future.hpp) for every strategy in one place.
#pragma once

#include <cstddef>
#include <cstdint>

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
	long live_frames;
	long live_bytes;
	long high_water_bytes;
	long allocations;
	long failures[kFailKindCount];
};

// A snapshot: each field read atomically, live_frames and allocations summed
// over CPUs (threads), so only a snapshot at a quiescent point is exact.
void stats_snapshot(Strategy s, StrategyCounters *out) noexcept;
// Live frames over all strategies (the probe never holds any).
long stats_live_frames() noexcept;
// Zero the cumulative counters (not the live ones): tests only.
void stats_reset_cumulative() noexcept;

void stats_on_alloc(Strategy s, size_t bytes) noexcept;
void stats_on_free(Strategy s, size_t bytes) noexcept;
void stats_on_failure(Strategy s, int err) noexcept;

} // namespace ds
