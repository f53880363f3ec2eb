// SPDX-License-Identifier: GPL-2.0
#include "bench_loop.h"

#include <algorithm>
#include <cstring>
#include <ctime>

namespace harness {

uint64_t mono_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t percentile(std::vector<uint64_t> &v, unsigned pct)
{
	if (v.empty())
		return 0;
	// Nearest rank: the smallest value with pct% of the samples <= it.
	size_t rank = (v.size() * pct + 99) / 100;
	size_t k = rank ? rank - 1 : 0;
	std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
	return v[k];
}

bool bench_loop(CallPath &path, BenchSource &src, unsigned qd, unsigned batch, uint64_t ops,
		LoopResult &r)
{
	std::vector<unsigned> free_slots;
	for (unsigned s = qd; s-- > 0;)
		free_slots.push_back(s);
	std::vector<uint64_t> queued_at(qd, 0);
	std::vector<bool> busy(qd, false);
	std::vector<Completion> done;
	done.reserve(qd);
	r = LoopResult{};
	r.latency_ns.reserve(ops);

	uint64_t issued = 0, completed = 0;
	unsigned inflight = 0;
	const uint64_t t0 = mono_ns();
	while (completed < ops) {
		const unsigned want = static_cast<unsigned>(std::min<uint64_t>(batch, ops - issued));
		if (want && qd - inflight >= want) {
			const uint64_t t = mono_ns();
			for (unsigned k = 0; k < want; k++) {
				unsigned slot = free_slots.back();
				free_slots.pop_back();
				queued_at[slot] = t;
				busy[slot] = true;
				int q = src.queue(path, slot);
				if (q < 0) {
					r.error = std::string("queue: ") + std::strerror(-q);
					return false;
				}
			}
			int n = path.submit();
			if (n != static_cast<int>(want)) {
				r.error = "submit returned " + std::to_string(n) + " of " +
					  std::to_string(want) +
					  (n < 0 ? std::string(" (") + std::strerror(-n) + ")" : "");
				return false;
			}
			inflight += want;
			issued += want;
			continue;
		}
		// Wait until the next batch fits (or, at the tail, for one).
		unsigned need = want ? want - (qd - inflight) : 1;
		done.clear();
		int n = path.reap(need, 10000, done);
		const uint64_t t = mono_ns();
		if (n < 0 && done.empty()) {
			r.error = std::string("reap: ") + std::strerror(-n) + " with " +
				  std::to_string(inflight) + " in flight";
			return false;
		}
		for (const Completion &c : done) {
			const unsigned slot = static_cast<unsigned>(c.user_data);
			if (slot >= qd || !busy[slot]) {
				r.error = "completion with user_data " + std::to_string(c.user_data) +
					  " that is not in flight (duplicate or unknown)";
				return false;
			}
			busy[slot] = false;
			r.latency_ns.push_back(t - queued_at[slot]);
			if (!src.complete(slot, c.res)) {
				r.error = src.error();
				return false;
			}
			free_slots.push_back(slot);
			inflight--;
			completed++;
		}
	}
	r.seconds = static_cast<double>(mono_ns() - t0) / 1e9;
	r.ops = completed;
	return true;
}

} // namespace harness
