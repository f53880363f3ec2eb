// SPDX-License-Identifier: GPL-2.0
// Fuzzing the module's other user inputs (root only): writes to
// /sys/module/dynasync/parameters/* and <debugfs>/dynasync/fault/*. Each
// write must be accepted or fail with -EINVAL exactly as predicted from
// the parsing rules (kstrto*, the ranges, the fault policy's validation);
// every original value is restored and read back afterwards.
#pragma once

#include <cstdint>
#include <string>

namespace harness::fuzz {

struct ParamCounts {
	uint64_t writes = 0, accepted = 0, rejected = 0, violations = 0;
	uint64_t files = 0;
	bool restored = true;
};

ParamCounts fuzz_params(uint64_t seed, uint64_t writes, bool verbose);

// kstrtou64()/kstrtos64() with base 0 as the kernel parses: "+", "0x", a
// leading 0 for octal, one trailing newline. 0 or -EINVAL / -ERANGE.
int parse_kstrtou64(const std::string &s, uint64_t &v);
int parse_kstrtos64(const std::string &s, int64_t &v);

// The outcome (0 or -errno) of writing @text to a module parameter that
// takes an unsigned int in [1, max].
int predict_uint_param(const std::string &text, unsigned max);

} // namespace harness::fuzz
