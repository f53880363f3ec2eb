// SPDX-License-Identifier: GPL-2.0
#include "rt/stats.hpp"

namespace ds {
namespace {

// live_frames and allocations are per-CPU platform counters (no locked op
// on the hot path). live_bytes stays one shared atomic: high_water_bytes
// is the exact maximum of its running total, so each alloc does one
// add-and-fetch and a CAS only when it sets a new maximum.
struct alignas(64) Shared {
	long live_bytes;
	long high_water_bytes;
	long allocations_base; // the allocations sum at the last reset
	long failures[kFailKindCount];
};
constinit Shared shared[kStrategyCount];

static_assert(2 * kStrategyCount <= DS_COUNTER_SLOTS);
unsigned live_slot(Strategy s) { return static_cast<unsigned>(s); }
unsigned alloc_slot(Strategy s) { return kStrategyCount + static_cast<unsigned>(s); }

long load(const long &v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
void add(long &v, long d) { __atomic_add_fetch(&v, d, __ATOMIC_RELAXED); }

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
	const Shared &c = shared[static_cast<int>(s)];
	out->live_frames = ds_counter_sum(live_slot(s));
	out->live_bytes = load(c.live_bytes);
	out->high_water_bytes = load(c.high_water_bytes);
	out->allocations = ds_counter_sum(alloc_slot(s)) - load(c.allocations_base);
	for (int i = 0; i < kFailKindCount; i++)
		out->failures[i] = load(c.failures[i]);
}

long stats_live_frames() noexcept
{
	long n = 0;
	for (int i = 0; i < kStrategyCount; i++)
		n += ds_counter_sum(live_slot(static_cast<Strategy>(i)));
	return n;
}

void stats_reset_cumulative() noexcept
{
	for (int i = 0; i < kStrategyCount; i++) {
		Shared &c = shared[i];
		__atomic_store_n(&c.allocations_base,
				 ds_counter_sum(alloc_slot(static_cast<Strategy>(i))),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&c.high_water_bytes, load(c.live_bytes), __ATOMIC_RELAXED);
		for (long &f : c.failures)
			__atomic_store_n(&f, 0, __ATOMIC_RELAXED);
	}
}

void stats_on_alloc(Strategy s, size_t bytes) noexcept
{
	Shared &c = shared[static_cast<int>(s)];
	long now = __atomic_add_fetch(&c.live_bytes, static_cast<long>(bytes),
				      __ATOMIC_RELAXED);
	long hw = load(c.high_water_bytes);
	while (now > hw &&
	       !__atomic_compare_exchange_n(&c.high_water_bytes, &hw, now, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	// Bytes before frames, here and on free: a snapshot (it reads frames
	// first) that sees a frame live sees its bytes, and one that sees it
	// freed sees its bytes gone (x86 keeps stores and loads in order).
	ds_counter_add(live_slot(s), 1);
	ds_counter_add(alloc_slot(s), 1);
}

void stats_on_free(Strategy s, size_t bytes) noexcept
{
	add(shared[static_cast<int>(s)].live_bytes, -static_cast<long>(bytes));
	ds_counter_add(live_slot(s), -1);
}

void stats_on_failure(Strategy s, int err) noexcept
{
	add(shared[static_cast<int>(s)].failures[static_cast<int>(fail_kind(err))], 1);
}

} // namespace ds
