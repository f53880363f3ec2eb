// SPDX-License-Identifier: GPL-2.0
// `dynasync run`: its options and its output.
#pragma once

#include <string>

#include "device.h"
#include "workload.h"

namespace harness {

extern const char kRunUsage[];

// Parses the options after `run`. False with @error set on a bad one.
bool parse_run_options(int argc, char **argv, RunOptions &opt, std::string &error);

// Runs and prints the summary (or JSON on stdout); 0 only if every check passed.
int cmd_run(const Device &dev, const RunOptions &opt, bool json);

} // namespace harness
