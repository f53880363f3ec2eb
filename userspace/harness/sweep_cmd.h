// SPDX-License-Identifier: GPL-2.0
// `dynasync sweep`: the nth-sweep scenario (sweep.h) on the real device.
#pragma once

namespace harness {

// Parses the options after `sweep`, runs it against @device_path, prints
// the allocation table and the verdict line on stdout (violations on
// stderr). The exit status: 0 on PASS, 1 on FAIL, 2 on a usage error.
int cmd_sweep(const char *device_path, int argc, char **argv);

} // namespace harness
