// SPDX-License-Identifier: GPL-2.0
// `dynasync sweep`'s command line.
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "names.h"
#include "parse_number.h"
#include "sweep.h"

namespace harness {

const char kSweepUsage[] =
	"sweep options (the nth-sweep scenario: for each strategy x call shape x path and\n"
	"n = 1 .. allocations + 1, a fresh file fails its nth allocation; every outcome,\n"
	"the absence of side effects and of leaks is checked; prints the allocation table\n"
	"and one verdict line \"nth-sweep: PASS|FAIL ...\"; exit 0 only on PASS. In it ops\n"
	"counts CREATEs and calls made, retries included: ok + ENOMEM + absorbed of them;\n"
	"injected the file policy's injections, one per n below a shape's allocations + 1):\n"
	"  --strategies LIST      comma-separated: boxed,inline,maybe-boxed,cached,task-stack,reserve\n"
	"                         (default all)\n"
	"  --shapes LIST          comma-separated: flat,nested,consuming,adapt,impl-trait (default all)\n"
	"  --path uring|ioctl|both  (default both)\n"
	"  --max-n N              no fault-free run by this n is a violation (default 200)\n"
	"  --ticker-period-ns P   the flat shape's ticker sleep (default 10000)\n"
	"  --verbose              one line per n on stderr: where the injection landed\n"
	"  --kernel-fail-nth      the kernel's fail-nth instead of the module's NTH policy (debug\n"
	"                         kernels with failslab and fail_page_alloc set up by the caller):\n"
	"                         each op k of a shape, in a fresh run, is made with\n"
	"                         /proc/thread-self/fail-nth = n for n = 1 .. its fault points + 1;\n"
	"                         the table then shows ops/fault points/module allocations per\n"
	"                         cell, --max-n caps n per op, and the verdict line starts\n"
	"                         \"kernel-fail-nth:\"\n"
	"  --slab-points N        kernel fail-nth coverage: each module allocation of an op must\n"
	"                         be failed at fail_dynasync's point and at N points after it\n"
	"                         (the slab's: 1; 2 with fail_function on ds_slab_alloc); 0: no\n"
	"                         coverage check (fault points from the page allocator make the\n"
	"                         sequence differ from run to run) (default 1)\n";

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

bool parse_number(const char *s, uint64_t min, uint64_t max, uint64_t &v)
{
	uint64_t x;
	if (!parse_u64(s, x) || x < min || x > max)
		return false;
	v = x;
	return true;
}

} // namespace

bool parse_sweep_options(int argc, char **argv, SweepOptions &opt, std::string &error)
{
	for (int i = 0; i < argc; i++) {
		std::string a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : nullptr;
		auto list = [&]() {
			if (!val || split(val).empty()) {
				error = a + " needs a list";
				return std::vector<std::string>{};
			}
			i++;
			return split(val);
		};
		if (a == "--verbose") {
			opt.verbose = true;
		} else if (a == "--kernel-fail-nth") {
			opt.kernel_fail_nth = true;
		} else if (a == "--strategies") {
			std::vector<std::string> names = list();
			if (names.empty())
				return false;
			opt.strategies.clear();
			for (const std::string &name : names) {
				uint32_t s = parse_strategy(name);
				if (!s) {
					error = "unknown strategy '" + name + "'";
					return false;
				}
				opt.strategies.push_back(s);
			}
		} else if (a == "--shapes") {
			std::vector<std::string> names = list();
			if (names.empty())
				return false;
			opt.shapes.clear();
			for (const std::string &name : names) {
				Shape s;
				if (!parse_shape(name, s)) {
					error = "unknown shape '" + name + "'";
					return false;
				}
				opt.shapes.push_back(s);
			}
		} else if (a == "--path") {
			std::string p = val ? val : "";
			if (p == "uring" || p == "io_uring")
				opt.paths = { PathKind::kUring };
			else if (p == "ioctl")
				opt.paths = { PathKind::kIoctl };
			else if (p == "both")
				opt.paths = { PathKind::kUring, PathKind::kIoctl };
			else {
				error = "--path is uring, ioctl or both";
				return false;
			}
			i++;
		} else if (a == "--slab-points") {
			uint64_t v = 0;
			if (!parse_number(val, 0, 8, v)) {
				error = "--slab-points needs a number in 0..8";
				return false;
			}
			opt.slab_points = static_cast<unsigned>(v);
			i++;
		} else if (a == "--max-n") {
			if (!parse_number(val, 1, 100000, opt.max_n)) {
				error = "--max-n needs a number in 1..100000";
				return false;
			}
			i++;
		} else if (a == "--ticker-period-ns") {
			if (!parse_number(val, 0, 1000000000, opt.ticker_period_ns)) {
				error = "--ticker-period-ns needs a number in 0..1000000000";
				return false;
			}
			i++;
		} else {
			error = "unknown sweep option '" + a + "'";
			return false;
		}
	}
	return true;
}

} // namespace harness
