// SPDX-License-Identifier: GPL-2.0
#include "scenario_cmds.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "parse_number.h"

namespace harness {

const char kScenarioUsage[] =
	"scenario commands (each ends with one verdict line\n"
	"  NAME: PASS|FAIL ops=N injected=N ok=N <ERRNO>=N ... lost=N duplicated=N leaked=N;\n"
	"  options: --verdict NAME (default: the command), --seed S):\n"
	"  reserve     RESERVE objects with every allocation failing (a 100% policy armed\n"
	"              after CREATE): a call needs bookkeeping + SUM's loop frame + its own\n"
	"              frame from the object's pool at once; one frame less is exactly\n"
	"              -ENOMEM, and with enough, calls keep completing with the right values\n"
	"              --policy file|global (file)  --calls N (20000)  --objects K (4 per shape)\n"
	"  contention  two calls at once on one INLINE ticker through io_uring: the first\n"
	"              runs, the second is exactly -EBUSY, each completes once\n"
	"              --objects K (32)  --rounds R (20)  --period-ns P (50000000)\n"
	"  depth       MAP towers 1..16 deep on TASK_STACK objects sized from LAYOUT: one\n"
	"              byte less than the frames need is exactly -ENOSPC, with no side effect\n"
	"  teardown    calls in flight (tickers, queue depth --objects, 64) when the file is\n"
	"              closed or the process owning the ring exits or is killed; then every\n"
	"              call must complete and nothing stay allocated (polled up to max_call_ms)\n"
	"              --how close|close-ring|exit|kill|exit-shared|kill-shared\n"
	"              --fault SPEC (the file's policy)  --global-fault SPEC (debugfs too)\n"
	"              --period-ns P (20000000)\n";

bool is_scenario_cmd(const std::string &cmd)
{
	return cmd == "reserve" || cmd == "contention" || cmd == "depth" || cmd == "teardown";
}

namespace {

} // namespace

int cmd_scenario(const std::string &cmd, int argc, char **argv, const char *device_path)
{
	scenario::Options opt;
	opt.verdict = cmd;
	for (int i = 0; i < argc; i++) {
		std::string a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : nullptr;
		uint64_t v = 0;
		bool ok = val != nullptr;
		if (a == "--verdict" && val)
			opt.verdict = val;
		else if (a == "--policy" && val)
			opt.policy = val, ok = opt.policy == "file" || opt.policy == "global";
		else if (a == "--how" && val)
			opt.how = val;
		else if (a == "--fault" && val)
			opt.fault = val;
		else if (a == "--global-fault" && val)
			opt.global_fault = val;
		else if (a == "--calls")
			ok = parse_u64(val, opt.calls) && opt.calls > 0;
		else if (a == "--seed")
			ok = parse_u64(val, opt.seed);
		else if (a == "--period-ns")
			ok = parse_u64(val, opt.period_ns) && opt.period_ns <= 1000000000;
		else if (a == "--objects")
			ok = parse_u64(val, v) && v > 0 && v <= 1024, opt.objects = v;
		else if (a == "--rounds")
			ok = parse_u64(val, v) && v > 0 && v <= 100000, opt.rounds = v;
		else {
			std::fprintf(stderr, "dynasync %s: unknown option '%s'\n\n%s", cmd.c_str(),
				     a.c_str(), kScenarioUsage);
			return 2;
		}
		if (!ok) {
			std::fprintf(stderr, "dynasync %s: bad or missing value for %s\n\n%s",
				     cmd.c_str(), a.c_str(), kScenarioUsage);
			return 2;
		}
		i++;
	}
	if (cmd == "reserve")
		return scenario::run_reserve(device_path, opt);
	if (cmd == "contention")
		return scenario::run_contention(device_path, opt);
	if (cmd == "depth")
		return scenario::run_depth(device_path, opt);
	return scenario::run_teardown(device_path, opt);
}

} // namespace harness
