// SPDX-License-Identifier: GPL-2.0
// Scenario subcommands: the checks of scripts/faults/*.sh that need more
// control than `dynasync run` gives (exact pool and stack boundaries, two
// calls racing for one object, a process dying with calls in flight).
// Each prints its steps, then one verdict line (scenario_util.h: Tally)
// and exits 0 only if it is PASS.
#pragma once

#include <string>

namespace harness {

extern const char kScenarioUsage[];

bool is_scenario_cmd(const std::string &cmd);
// Parses the options after the command and runs it: 0 PASS, 1 FAIL,
// 2 usage error. The scenario opens @device_path itself (some open it
// more than once, or in a child process).
int cmd_scenario(const std::string &cmd, int argc, char **argv, const char *device_path);

namespace scenario {

// Options of every scenario command (each uses the ones it lists).
struct Options {
	std::string verdict;	// name on the verdict line (default: the command)
	uint64_t calls = 0;	// 0: the command's default
	uint64_t seed = 1;
	unsigned objects = 0;
	unsigned rounds = 0;
	uint64_t period_ns = 0;
	std::string policy = "file";	// reserve: file | global
	std::string how;		// teardown: close | close-ring | exit | kill | ...
	std::string fault;		// teardown: the file's policy
	std::string global_fault;	// teardown: also the module-wide one
};

int run_reserve(const std::string &device, const Options &opt);
int run_contention(const std::string &device, const Options &opt);
int run_depth(const std::string &device, const Options &opt);
int run_teardown(const std::string &device, const Options &opt);

} // namespace scenario
} // namespace harness
