// SPDX-License-Identifier: GPL-2.0
// `dynasync contention`: two calls at once on one INLINE object.
//
// Each round queues, in one io_uring submission, NEXT on each of K INLINE
// tickers and then a second NEXT on each of them. The kernel issues the
// SQEs in order, so each first call has taken its object (and its inline
// slot) and is asleep on the ticker's hrtimer (period P, 50 ms by
// default: far longer than issuing 2K SQEs) when its second call arrives:
// that one must be refused with exactly -EBUSY, its output zeroed and
// nothing allocated, while the first completes with the ticker's next
// item (the round number). Every call completes exactly once.
#include <cerrno>
#include <cstdio>
#include <vector>

#include "call_path.h"
#include "progress.h"
#include "scenario_cmds.h"
#include "scenario_util.h"

namespace harness::scenario {

int run_contention(const std::string &device, const Options &opt)
{
	const unsigned k = opt.objects ? opt.objects : 32;
	const unsigned rounds = opt.rounds ? opt.rounds : 20;
	const uint64_t period = opt.period_ns ? opt.period_ns : 50000000;
	Tally t;
	Device dev = Device::open(device.c_str());
	if (dev.fd() < 0) {
		std::fprintf(stderr, "dynasync: %s\n", dev.error().c_str());
		return 1;
	}
	std::printf("contention: %u rounds x %u INLINE tickers (period %llu ns): NEXT, then a"
		    " second NEXT on the same object, in one io_uring submission\n",
		    rounds, k, static_cast<unsigned long long>(period));
	std::vector<uint32_t> handles;
	for (unsigned i = 0; i < k; i++) {
		Spec s;
		s.impl = DYNASYNC_IMPL_TICKER;
		s.param[0] = period;
		s.param[1] = rounds;
		uint32_t h = 0;
		const dynasync_storage inl = storage_of(DYNASYNC_STRATEGY_INLINE);
		if (int r = create_tree(dev, s, inl, inl, h); r < 0) {
			t.fail("CREATE INLINE ticker: " + res_str(r));
			return t.finish(opt.verdict);
		}
		handles.push_back(h);
	}
	std::string error;
	std::unique_ptr<CallPath> path = open_uring_path(dev, 2 * k, error);
	if (!path) {
		t.fail(error);
		return t.finish(opt.verdict);
	}
	const long wait_ms = module_param("max_call_ms", 10000) + 5000;
	std::vector<dynasync_call> calls(2 * k);
	std::vector<dynasync_call_out> outs(2 * k);
	std::vector<uint8_t> seen(2 * k);
	std::vector<Completion> got;
	uint64_t firsts_ok = 0, seconds_busy = 0, bad = 0;
	double t0 = now_s();
	for (unsigned round = 0; round < rounds; round++) {
		// Slot j < k: the first call on object j; j >= k: the second.
		for (unsigned j = 0; j < 2 * k; j++) {
			dynasync_call &c = calls[j];
			c = dynasync_call{};
			c.handle = handles[j % k];
			c.method = DYNASYNC_METHOD_NEXT;
			outs[j] = dynasync_call_out{};
			outs[j].value = ~0ull;	// the module zeroes it at submission
			c.out_ptr = reinterpret_cast<uintptr_t>(&outs[j]);
			seen[j] = 0;
			if (int r = path->queue(c, (uint64_t{round} << 32) | j); r < 0) {
				t.fail("io_uring queue: " + res_str(r));
				return t.finish(opt.verdict);
			}
		}
		int sub = path->submit();
		if (sub != static_cast<int>(2 * k)) {
			t.fail("io_uring submit: " + res_str(sub) + " of " + std::to_string(2 * k));
			return t.finish(opt.verdict);
		}
		unsigned completed = 0;
		while (completed < 2 * k) {
			got.clear();
			int n = path->reap(1, static_cast<int>(wait_ms), got);
			if (n <= 0)
				break;
			for (const Completion &c : got) {
				unsigned j = c.user_data & 0xffffffffu;
				if ((c.user_data >> 32) != round || j >= 2 * k || seen[j]++) {
					t.add_duplicated(1);
					continue;
				}
				completed++;
				const dynasync_call_out &o = outs[j];
				t.outcome(c.res, o.injected);
				bool ok;
				if (j < k) {
					ok = c.res == 1 && o.value == round && !o.flags && !o.injected;
					firsts_ok += ok;
				} else {
					ok = c.res == -EBUSY && !o.value && !o.flags && !o.handle &&
					     !o.injected && !o.alloc_failed;
					seconds_busy += ok;
				}
				if (!ok && bad++ < 5)
					t.fail(std::string(j < k ? "first" : "second") + " call on object " +
					       std::to_string(handles[j % k]) + ", round " +
					       std::to_string(round) + ": expected " +
					       (j < k ? "res 1 value " + std::to_string(round)
						      : std::string("-EBUSY with a zeroed output")) +
					       ", got res " + res_str(c.res) + " value " +
					       std::to_string(o.value) + " flags " + std::to_string(o.flags));
				else if (!ok)
					t.fail_again();
			}
		}
		if (completed < 2 * k) {
			t.add_lost(2 * k - completed);
			t.fail("round " + std::to_string(round) + ": " + std::to_string(2 * k - completed) +
			       " calls did not complete within " + std::to_string(wait_ms) + " ms");
			return t.finish(opt.verdict);
		}
	}
	if (!bad)
		t.note(std::to_string(firsts_ok) + " first calls returned the ticker's item, " +
		       std::to_string(seconds_busy) + " second calls got exactly -EBUSY, each once (" +
		       std::to_string(static_cast<int>((now_s() - t0) * 1000)) + " ms)");
	for (uint32_t h : handles)
		if (int r = dev.destroy(h); r < 0)
			t.fail("DESTROY " + std::to_string(h) + ": " + res_str(r));
	return finish_quiescent(dev, t, opt.verdict);
}

} // namespace harness::scenario
