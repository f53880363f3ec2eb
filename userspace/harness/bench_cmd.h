// SPDX-License-Identifier: GPL-2.0
// `dynasync bench`: operations/s and p50/p99 latency of NEXT calls
// through io_uring (IORING_OP_URING_CMD) and blocking ioctls, against
// IORING_OP_NOP on the same ring, per storage strategy, queue depth and
// submission batch; JSON out. Every completion is checked.
#pragma once

#include "device.h"

namespace harness {

extern const char kBenchUsage[];

// Exit status: 0 when every measurement ran and every completion was
// right, 1 otherwise, 2 on a bad option.
int cmd_bench(const char *device_path, int argc, char **argv);

} // namespace harness
