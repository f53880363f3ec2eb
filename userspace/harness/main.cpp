// SPDX-License-Identifier: GPL-2.0
// dynasync: the userspace harness that drives the module.
#include <cstdio>
#include <cstring>
#include <string>

#include "bench_cmd.h"
#include "device.h"
#include "fuzz_cmd.h"
#include "info_cmds.h"
#include "run_cmd.h"
#include "scenario_cmds.h"
#include "stress.h"
#include "sweep.h"
#include "sweep_cmd.h"

namespace {

int usage(FILE *out)
{
	std::fprintf(out,
		     "usage: dynasync [--device PATH] [--json] COMMAND [OPTIONS]\n"
		     "commands:\n"
		     "  version   print the module's ABI version and how it was produced\n"
		     "  run       a verified workload: every object kind x storage strategy,\n"
		     "            every method, through io_uring or ioctls (exit 0: all checks passed)\n"
		     "  stats     the module's accounting (this file, allocation sites, strategies)\n"
		     "  layout    frame size of every (trait, impl, method) and the inline slot size\n"
		     "  sweep     the nth-sweep fault-injection scenario (exit 0: PASS)\n"
		     "  reserve, contention, depth, teardown   fault scenarios (see below)\n"
		     "  bench     ops/s and p50/p99 latency: io_uring calls vs NOP vs ioctls\n"
		     "  stress    the concurrency stress test (see below)\n"
		     "  fuzz      the ABI fuzzer (exit 0: PASS)\n"
		     "--json: machine-readable output on stdout (not for sweep and the\n"
		     "scenario commands).\n\n%s\n%s\n%s\n%s\n%s\n%s",
		     harness::kRunUsage, harness::kSweepUsage, harness::kScenarioUsage,
		     harness::kBenchUsage, harness::kStressUsage, harness::kFuzzUsage);
	return out == stderr ? 2 : 0;
}

int cmd_version(const harness::Device &dev, bool json)
{
	const dynasync_version &v = dev.version();
	bool async = v.flags & DYNASYNC_VERSION_F_ASYNC;
	if (json)
		std::printf("{\"abi_version\": %u, \"async\": %s}\n", v.abi_version,
			    async ? "true" : "false");
	else
		std::printf("dynasync ABI version %u (reply produced by a coroutine "
			    "resumed on the module's workqueue: %s)\n",
			    v.abi_version, async ? "yes" : "no");
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	const char *path = DYNASYNC_DEVICE_PATH;
	bool json = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!std::strcmp(argv[i], "--json"))
			json = true;
		else if (!std::strcmp(argv[i], "--device") && i + 1 < argc)
			path = argv[++i];
		else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h"))
			return usage(stdout);
		else
			return usage(stderr);
	}
	if (i >= argc)
		return usage(stderr);
	std::string cmd = argv[i++];
	// --json is also accepted after the command.
	int rest = i;
	for (int k = i; k < argc; k++) {
		if (!std::strcmp(argv[k], "--json"))
			json = true;
		else
			argv[rest++] = argv[k];
	}
	int nrest = rest - i;

	// Scenario commands open the device themselves (some more than once).
	if (harness::is_scenario_cmd(cmd))
		return harness::cmd_scenario(cmd, nrest, argv + i, path);
	if (cmd == "sweep")
		return harness::cmd_sweep(path, nrest, argv + i);
	if (cmd == "bench")
		return harness::cmd_bench(path, nrest, argv + i);
	if (cmd == "stress")
		return harness::cmd_stress(path, nrest, argv + i);
	if (cmd == "fuzz")
		return harness::cmd_fuzz(path, nrest, argv + i);
	harness::RunOptions run_opt;
	if (cmd == "run") {
		std::string err;
		if (!harness::parse_run_options(nrest, argv + i, run_opt, err)) {
			std::fprintf(stderr, "dynasync run: %s\n\n", err.c_str());
			return usage(stderr);
		}
	} else if (cmd != "version" && cmd != "stats" && cmd != "layout") {
		std::fprintf(stderr, "dynasync: unknown command '%s'\n", cmd.c_str());
		return usage(stderr);
	} else if (nrest) {
		std::fprintf(stderr, "dynasync %s: unexpected argument '%s'\n", cmd.c_str(), argv[i]);
		return usage(stderr);
	}

	harness::Device dev = harness::Device::open(path);
	if (dev.fd() < 0) {
		std::fprintf(stderr, "dynasync: %s\n", dev.error().c_str());
		return 1;
	}
	if (cmd == "version")
		return cmd_version(dev, json);
	if (cmd == "stats")
		return harness::cmd_stats(dev, json);
	if (cmd == "layout")
		return harness::cmd_layout(dev, json);
	return harness::cmd_run(dev, run_opt, json);
}
