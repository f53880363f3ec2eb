// SPDX-License-Identifier: GPL-2.0
#include "rt/stats.hpp"

namespace ds {
namespace detail {
constinit bool track_high_water = false;
} // namespace detail

namespace {

using detail::counter_slot;

// What no hot path touches: the reset bases, failures (a refused frame is
// off the fast path anyway), and the high-water running total.
struct alignas(64) Shared {
	long heap_bytes;	// running total, only while tracking
	long high_water_bytes;
	long placements_base;	// the sums at the last reset
	long heap_blocks_base;
	long failures[kFailKindCount];
};
constinit Shared shared[kStrategyCount];

long load(const long &v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
void store(long &v, long x) { __atomic_store_n(&v, x, __ATOMIC_RELAXED); }
long sum(Strategy s, detail::CounterKind k) { return ds_counter_sum(counter_slot(s, k)); }
// A net per-CPU counter (heap bytes: added on one CPU, taken off on
// another) read while blocks move can sum below 0 for a moment; STATS
// must never show that (it would read as a huge, pointer-like value).
long at_least_0(long v) { return v > 0 ? v : 0; }

} // namespace

const char *strategy_name(Strategy s) noexcept
{
	switch (s) {
	case Strategy::Boxed: return "boxed";
	case Strategy::Inline: return "inline";
	case Strategy::MaybeBoxed: return "maybe_boxed";
	case Strategy::Cached: return "cached";
	case Strategy::TaskStack: return "task_stack";
	case Strategy::Reserve: return "reserve";
	case Strategy::Probe: return "probe";
	default: return "?";
	}
}

FailKind fail_kind(int err) noexcept
{
	switch (-err) {
	case DS_ENOMEM: return FailKind::NoMem;
	case DS_E2BIG: return FailKind::TooBig;
	case DS_EBUSY: return FailKind::Busy;
	case DS_ENOSPC: return FailKind::NoSpace;
	case DS_EINVAL: return FailKind::Invalid;
	default: return FailKind::Other;
	}
}

void stats_snapshot(Strategy s, StrategyCounters *out) noexcept
{
	using namespace detail;
	const Shared &c = shared[static_cast<int>(s)];
	// Releases before placements, here and in live_frames: a frame
	// placed and released while we read is seen placed, never released
	// only, so the count does not dip below what is really live.
	const long released = sum(s, kReleased);
	const long released_bytes = sum(s, kReleasedBytes);
	const long placed = sum(s, kPlaced);
	const long placed_bytes = sum(s, kPlacedBytes);
	out->live_frames = at_least_0(placed - released);
	out->live_bytes = at_least_0(placed_bytes - released_bytes);
	out->placements = placed - load(c.placements_base);
	out->heap_allocations = sum(s, kHeapBlocks) - load(c.heap_blocks_base);
	out->heap_bytes = at_least_0(sum(s, kHeapBytes));
	out->high_water_bytes = stats_tracking_high_water() ? load(c.high_water_bytes) : 0;
	for (int i = 0; i < kFailKindCount; i++)
		out->failures[i] = load(c.failures[i]);
}

long stats_live_frames() noexcept
{
	long n = 0;
	for (int i = 0; i < kStrategyCount; i++) {
		const auto s = static_cast<Strategy>(i);
		const long released = sum(s, detail::kReleased);
		n += sum(s, detail::kPlaced) - released;
	}
	return n;
}

void stats_reset_cumulative() noexcept
{
	for (int i = 0; i < kStrategyCount; i++) {
		const auto s = static_cast<Strategy>(i);
		Shared &c = shared[i];
		store(c.placements_base, sum(s, detail::kPlaced));
		store(c.heap_blocks_base, sum(s, detail::kHeapBlocks));
		store(c.high_water_bytes, load(c.heap_bytes));
		for (long &f : c.failures)
			store(f, 0);
	}
}

void stats_track_high_water(bool on) noexcept
{
	if (on && !stats_tracking_high_water()) {
		for (int i = 0; i < kStrategyCount; i++) {
			const long now = at_least_0(sum(static_cast<Strategy>(i), detail::kHeapBytes));
			store(shared[i].heap_bytes, now);
			store(shared[i].high_water_bytes, now);
		}
	}
	__atomic_store_n(&detail::track_high_water, on, __ATOMIC_RELEASE);
}

bool stats_tracking_high_water() noexcept
{
	return __atomic_load_n(&detail::track_high_water, __ATOMIC_ACQUIRE);
}

void detail::heap_high_water_add(Strategy s, long bytes) noexcept
{
	Shared &c = shared[static_cast<int>(s)];
	const long now = __atomic_add_fetch(&c.heap_bytes, bytes, __ATOMIC_RELAXED);
	long hw = load(c.high_water_bytes);
	while (now > hw &&
	       !__atomic_compare_exchange_n(&c.high_water_bytes, &hw, now, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void stats_on_failure(Strategy s, int err) noexcept
{
	__atomic_add_fetch(&shared[static_cast<int>(s)].failures[static_cast<int>(fail_kind(err))],
			   1, __ATOMIC_RELAXED);
}

} // namespace ds
