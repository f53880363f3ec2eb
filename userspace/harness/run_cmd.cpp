// SPDX-License-Identifier: GPL-2.0
#include "run_cmd.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "fault_spec.h"
#include "names.h"
#include "parse_number.h"

namespace harness {

const char kRunUsage[] =
	"run options:\n"
	"  --ops N                calls to make and verify (default 100000; k/M suffixes)\n"
	"  --qd D                 calls in flight on the io_uring path (default 64)\n"
	"  --batch B              SQEs per io_uring submission (default 16)\n"
	"  --path uring|ioctl     io_uring (IORING_OP_URING_CMD) or blocking ioctls (default uring)\n"
	"  --objects-per-kind K   objects per kind x strategy (default: 2 x qd over all of them)\n"
	"  --strategies LIST      comma-separated: boxed,inline,maybe-boxed,cached,task-stack,reserve\n"
	"                         (default all)\n"
	"  --seed S               workload seed (default 1)\n"
	"  --ticker-period-ns P   tickers' sleep before each item (default 20000)\n"
	"  --allow-errno LIST     errnos accepted as outcomes, e.g. ENOMEM,E2BIG (fault injection);\n"
	"                         allocation failures and a timed-out NEXT leave the model as it\n"
	"                         was; after any other accepted errno the object is replaced\n"
	"  --require-errno LIST   as --allow-errno, and fail unless each occurred at least once\n"
	"  --fault SPEC           arm this file's fault-injection policy once the objects exist,\n"
	"                         e.g. probability=10,seed=1 or nth=3,sites=frame+task or\n"
	"                         mode=rate,probability=100,interval=5,times=20,strategies=reserve\n"
	"                         (fields of struct dynasync_fault_policy; lists use '+'). -ENOMEM is\n"
	"                         then accepted, but each must be explained: a call's out.injected +\n"
	"                         out.alloc_failed > 0, a CREATE's by the file's FAULT_GET counters.\n"
	"                         Disarmed after the drain; the report shows per-site counters\n"
	"  --fault-window A:B     with --fault: armed from call index A until B (0-based; 'A:' = to\n"
	"                         the end); after B every call and CREATE must succeed once the calls\n"
	"                         submitted before B completed (recovery)\n"
	"  --verdict NAME         finish with one line 'NAME: PASS|FAIL ops=N injected=N ok=N\n"
	"                         ENOMEM=N [EXXX=N...] lost=N duplicated=N leaked=N' (exit 0 iff PASS),\n"
	"                         on stdout after the summary (or the --json document)\n"
	"  --no-progress          no progress line on stderr\n";

namespace {

std::vector<std::string> split(const std::string &list)
{
	std::vector<std::string> out;
	std::stringstream ss(list);
	std::string item;
	while (std::getline(ss, item, ','))
		if (!item.empty())
			out.push_back(item);
	return out;
}

} // namespace

// "ENOMEM,E2BIG" after option @opt: the errno numbers, or false and @error.
bool parse_errno_list(const std::string &opt, const char *val, std::vector<int> &out,
		      std::string &error)
{
	if (!val) {
		error = opt + " needs a list";
		return false;
	}
	for (const std::string &name : split(val)) {
		int e = parse_errno(name);
		if (!e) {
			error = "unknown errno '" + name + "'";
			return false;
		}
		out.push_back(e);
	}
	return true;
}

// "A:B" or "A:" (to the end): the fault window's call indexes.
bool parse_window(const char *val, uint64_t &start, uint64_t &end)
{
	const char *colon = val ? std::strchr(val, ':') : nullptr;
	if (!colon)
		return false;
	std::string a(val, colon), b(colon + 1);
	if (!parse_u64(a.c_str(), start, true))
		return false;
	if (b.empty()) {
		end = UINT64_MAX;
		return true;
	}
	return parse_u64(b.c_str(), end, true) && end > start && end != UINT64_MAX;
}

bool parse_run_options(int argc, char **argv, RunOptions &opt, std::string &error)
{
	bool window = false;
	for (int i = 0; i < argc; i++) {
		std::string a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : nullptr;
		auto number = [&](uint64_t &out, uint64_t min, uint64_t max) {
			uint64_t v;
			if (!parse_u64(val, v, true) || v < min || v > max) {
				error = a + " needs a number in " + std::to_string(min) + ".." +
					std::to_string(max) + (val ? std::string(", not '") + val + "'" : "");
				return false;
			}
			out = v;
			i++;
			return true;
		};
		uint64_t v = 0;
		if (a == "--ops") {
			if (!number(opt.ops, 1, uint64_t{1} << 40))
				return false;
		} else if (a == "--qd") {
			if (!number(v, 1, 4096))
				return false;
			opt.depth = static_cast<unsigned>(v);
		} else if (a == "--batch") {
			if (!number(v, 1, 4096))
				return false;
			opt.batch = static_cast<unsigned>(v);
		} else if (a == "--objects-per-kind") {
			if (!number(v, 1, 4096))
				return false;
			opt.objects_per_kind = static_cast<unsigned>(v);
		} else if (a == "--seed") {
			if (!number(opt.seed, 0, UINT64_MAX))
				return false;
		} else if (a == "--ticker-period-ns") {
			if (!number(opt.ticker_period_ns, 0, 1000000000))
				return false;
		} else if (a == "--path") {
			std::string p = val ? val : "";
			if (p == "uring" || p == "io_uring")
				opt.uring = true;
			else if (p == "ioctl")
				opt.uring = false;
			else {
				error = "--path is uring or ioctl";
				return false;
			}
			i++;
		} else if (a == "--strategies") {
			opt.strategies.clear();
			for (const std::string &name : split(val ? val : "")) {
				if (name == "all") {
					opt.strategies.clear();
					break;
				}
				uint32_t s = parse_strategy(name);
				if (!s) {
					error = "unknown strategy '" + name + "'";
					return false;
				}
				opt.strategies.push_back(s);
			}
			if (!val) {
				error = "--strategies needs a list";
				return false;
			}
			i++;
		} else if (a == "--allow-errno" || a == "--require-errno") {
			std::vector<int> errnos;
			if (!parse_errno_list(a, val, errnos, error))
				return false;
			for (int e : errnos) {
				opt.policy.allow(e);
				if (a == "--require-errno")
					opt.required.push_back(e);
			}
			i++;
		} else if (a == "--fault") {
			if (!val) {
				error = "--fault needs a policy, e.g. probability=10,seed=1";
				return false;
			}
			if (!parse_fault_spec(val, opt.fault.policy, error))
				return false;
			opt.fault.enabled = true;
			i++;
		} else if (a == "--fault-window") {
			if (!parse_window(val, opt.fault.window_start, opt.fault.window_end)) {
				error = "--fault-window needs A:B with A < B, or A: (call indexes)" +
					(val ? std::string(", not '") + val + "'" : std::string());
				return false;
			}
			window = true;
			i++;
		} else if (a == "--verdict") {
			if (!val || !*val || std::strpbrk(val, " \t\n")) {
				error = "--verdict needs a name (one word)";
				return false;
			}
			opt.verdict = val;
			i++;
		} else if (a == "--no-progress") {
			opt.progress = false;
		} else {
			error = "unknown run option '" + a + "'";
			return false;
		}
	}
	if (window && !opt.fault.enabled) {
		error = "--fault-window needs --fault";
		return false;
	}
	opt.fault.window = window;
	return true;
}

int cmd_run(const Device &dev, const RunOptions &opt, bool json)
{
	RunReport r = run_workload(dev, opt);
	if (json) {
		print_json(r, stdout);
		// Scripts read stdout; a person watching stderr still sees why.
		if (!r.passed())
			for (const Check &c : r.checks)
				if (!c.ok)
					std::fprintf(stderr, "dynasync run: FAIL %s: %s\n",
						     c.name.c_str(), c.detail.c_str());
	} else {
		print_summary(r, stdout);
	}
	if (!opt.verdict.empty())
		std::printf("%s\n", verdict_line(r, opt.verdict).c_str());
	std::fflush(stdout);
	return r.passed() ? 0 : 1;
}

} // namespace harness
