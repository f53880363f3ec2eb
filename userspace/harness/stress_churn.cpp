// SPDX-License-Identifier: GPL-2.0
// The limits changing under the workers (--churn-ms): every few milliseconds
// one module parameter gets another valid value while calls, CREATEs and
// closes run; every value is restored (and read back) at the end. The
// workers then accept what a limit says anywhere (-EMFILE, -ENOBUFS,
// -EDQUOT, -ETIMEDOUT): what must still hold is that every call completes
// once, nothing leaks, and the kernel log stays clean.
#include <cerrno>
#include <unistd.h>

#include "names.h"
#include "stress_impl.h"
#include "text_file.h"

namespace harness::stress {

namespace {

const char *const kParamDir = "/sys/module/dynasync/parameters/";

struct Knob {
	const char *name;
	std::vector<uint64_t> values;
};

} // namespace

void churn_worker(Shared &s, Counts &c, uint64_t seed)
{
	Rng rng(seed);
	// max_call_ms never goes above the run's: the watchdog and the settle
	// checks wait max_call_ms as read at the start.
	const uint64_t call_ms = static_cast<uint64_t>(s.max_call_ms);
	const Knob knobs[] = {
		{ "max_objects", { 1, 2, 16, 64, 1024, 4096 } },
		{ "max_inflight", { 1, 2, 8, 64, 256 } },
		{ "max_call_ms", { 1, 2, 20, call_ms } },
		{ "max_file_bytes", { 4096, 65536, 1ULL << 20, 64ULL << 20 } },
	};
	constexpr size_t kKnobs = sizeof(knobs) / sizeof(knobs[0]);
	std::string orig[kKnobs];
	for (size_t k = 0; k < kKnobs; k++)
		if (!read_text(std::string(kParamDir) + knobs[k].name, orig[k])) {
			c.fail(std::string("churn: cannot read ") + kParamDir + knobs[k].name);
			return;
		}
	while (!s.stopped()) {
		const unsigned ms = s.opt.churn_ms;
		usleep(ms * 500 + rng() % (ms * 1000 + 1));
		if (s.stopped())
			break;
		// Half of the writes put a limit back: tight ones come and go.
		const size_t i = rng() % kKnobs;
		const Knob &k = knobs[i];
		const std::string v = rng() % 2 ? orig[i]
				      : std::to_string(k.values[rng() % k.values.size()]);
		if (int r = write_text(std::string(kParamDir) + k.name, v); r < 0)
			c.fail(std::string("churn: ") + k.name + " = " + v + " refused: " +
			       errno_name(-r));
		c.param_writes++;
	}
	for (size_t k = 0; k < kKnobs; k++) {
		const std::string path = std::string(kParamDir) + knobs[k].name;
		std::string now;
		if (int r = write_text(path, orig[k]); r < 0)
			c.fail("churn: restoring " + path + " = " + orig[k] + ": " + errno_name(-r));
		else if (!read_text(path, now) || now != orig[k])
			c.fail("churn: " + path + " reads '" + now + "' after restoring '" + orig[k] +
			       "'");
	}
}

} // namespace harness::stress
