// SPDX-License-Identifier: GPL-2.0
// `dynasync stress`: the concurrency stress test (issue 8). Threads and
// forked processes create, call and destroy the same handles at once,
// through blocking ioctls and several io_uring rings, on shared files and
// on files that are closed (replaced) while others submit; rings are torn
// down and processes exit or are killed with calls in flight. Bounded by
// time and by count, seeded (the interleaving itself is not reproducible).
#pragma once

#include <cstdint>
#include <string>

namespace harness {

extern const char kStressUsage[];

// Parses the options after `stress` and runs it: 0 PASS, 1 FAIL, 2 usage.
int cmd_stress(const char *device_path, int argc, char **argv);

} // namespace harness
