// SPDX-License-Identifier: GPL-2.0
#include "info_cmds.h"

#include <cstdio>
#include <cstring>

#include "json.h"
#include "names.h"

namespace harness {

namespace {

const char *const kSiteNames[DYNASYNC_SITES] = {
	"frame", "task", "object", "args", "reserve", "misc", "site6", "site7",
};
// dynasync_strategy_stats.failures[] order.
const char *const kFailureNames[6] = { "ENOMEM", "E2BIG", "EBUSY", "ENOSPC", "EINVAL", "other" };

} // namespace

int cmd_stats(const Device &dev, bool json)
{
	dynasync_stats s{};
	if (int r = dev.stats(s); r < 0) {
		std::fprintf(stderr, "dynasync: STATS failed: %s\n", std::strerror(-r));
		return 1;
	}
	if (json) {
		Json j(stdout);
		j.begin_object();
		j.begin_object("file");
		j.num("objects", s.objects);
		j.num("inflight", s.inflight);
		j.num("calls", s.calls);
		j.num("completions", s.completions);
		j.num("sink_total", s.sink_total);
		j.num("sink_deliveries", s.sink_deliveries);
		j.end_object();
		j.begin_object("live_allocs");
		for (unsigned i = 0; i < DYNASYNC_SITES; i++)
			j.num(kSiteNames[i], s.live_allocs[i]);
		j.end_object();
		j.begin_object("strategies");
		for (uint32_t st = 1; st <= DYNASYNC_STRATEGY_MAX; st++) {
			const dynasync_strategy_stats &x = s.strategy[st];
			j.begin_object(strategy_name(st));
			j.num("live_frames", x.live_frames);
			j.num("live_bytes", x.live_bytes);
			j.num("high_water_bytes", x.high_water_bytes);
			j.num("placements", x.placements);
			j.num("heap_allocations", x.heap_allocations);
			j.num("heap_bytes", x.heap_bytes);
			j.begin_object("failures");
			for (unsigned f = 0; f < 6; f++)
				j.num(kFailureNames[f], x.failures[f]);
			j.end_object();
			j.end_object();
		}
		j.end_object();
		j.end_object();
		return 0;
	}
	std::printf("this file: %u objects, %u calls in flight, %llu calls, %llu"
		    " completions, sink total %llu in %llu deliveries\n",
		    s.objects, s.inflight, s.calls, s.completions, s.sink_total,
		    s.sink_deliveries);
	std::printf("live allocations (module-wide):");
	for (unsigned i = 0; i < DYNASYNC_SITES; i++)
		if (i < 6 || s.live_allocs[i])
			std::printf(" %s %llu", kSiteNames[i], s.live_allocs[i]);
	std::printf("\n\n%-12s %11s %10s %10s %10s %10s %10s", "strategy", "live_frames",
		    "live_bytes", "placements", "heap_alloc", "heap_bytes", "high_water");
	for (const char *f : kFailureNames)
		std::printf(" %7s", f);
	std::printf("\n");
	for (uint32_t st = 1; st <= DYNASYNC_STRATEGY_MAX; st++) {
		const dynasync_strategy_stats &x = s.strategy[st];
		std::printf("%-12s %11llu %10llu %10llu %10llu %10llu %10llu",
			    strategy_name(st), x.live_frames, x.live_bytes, x.placements,
			    x.heap_allocations, x.heap_bytes, x.high_water_bytes);
		for (unsigned long long f : x.failures)
			std::printf(" %7llu", f);
		std::printf("\n");
	}
	return 0;
}

int cmd_layout(const Device &dev, bool json)
{
	struct Row {
		dynasync_layout l;
		int err;
	};
	Row rows[16];
	size_t n = 0;
	for (uint32_t impl = 1; impl <= DYNASYNC_IMPL_MAX; impl++) {
		for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++) {
			uint32_t t = impl_trait(impl);
			if (!method_of_trait(m, t) || n == sizeof(rows) / sizeof(rows[0]))
				continue;
			Row &r = rows[n++];
			r.l = dynasync_layout{};
			r.l.trait = t;
			r.l.impl = impl;
			r.l.method = m;
			r.err = dev.layout(r.l);
		}
	}
	int status = 0;
	if (json) {
		Json j(stdout);
		j.begin_array();
		for (size_t i = 0; i < n; i++) {
			const Row &r = rows[i];
			j.begin_object();
			j.str("trait", trait_name(r.l.trait));
			j.str("impl", impl_name(r.l.impl));
			j.str("method", method_name(r.l.method));
			if (r.err < 0) {
				j.str("error", errno_name(-r.err));
				status = 1;
			} else {
				j.num("frame_size", r.l.frame_size);
				j.num("slot_size", r.l.slot_size);
			}
			j.end_object();
		}
		j.end_array();
		return status;
	}
	std::printf("%-9s %-8s %-11s %10s %9s\n", "trait", "impl", "method", "frame_size",
		    "slot_size");
	for (size_t i = 0; i < n; i++) {
		const Row &r = rows[i];
		std::printf("%-9s %-8s %-11s ", trait_name(r.l.trait), impl_name(r.l.impl),
			    method_name(r.l.method));
		if (r.err < 0) {
			std::printf("LAYOUT failed: -%s\n", errno_name(-r.err).c_str());
			status = 1;
		} else {
			std::printf("%10llu %9llu\n", r.l.frame_size, r.l.slot_size);
		}
	}
	return status;
}

} // namespace harness
