// SPDX-License-Identifier: GPL-2.0
// `dynasync fuzz`: the ABI fuzzer's command line, worker processes, the
// after-run leak check and the verdict line.
#pragma once

namespace harness {

extern const char *const kFuzzUsage;
int cmd_fuzz(const char *path, int argc, char **argv);

} // namespace harness
