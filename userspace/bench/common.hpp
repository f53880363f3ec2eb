// SPDX-License-Identifier: GPL-2.0
// Helpers shared by the benchmark files.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

#include "rt/stats.hpp"

namespace bench {

// 0, but the compiler cannot know it: picks the object at run time.
inline int opaque_index() noexcept
{
	int i = 0;
	benchmark::DoNotOptimize(i);
	return i;
}

// The largest frame (header included) of the dyn async methods of
// Source's impls, from the layout probe.
size_t source_frame_total() noexcept;

inline std::string name(const char *prefix, ds::Strategy s)
{
	return std::string(prefix) + ds::strategy_name(s);
}

void register_calls();
// host-bench --instr: see bench_calls.cpp.
int run_instr(const char *name, long batches);
void register_nesting();
void register_memory();

} // namespace bench
