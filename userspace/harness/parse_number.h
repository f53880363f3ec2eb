// SPDX-License-Identifier: GPL-2.0
// Numbers on the harness's command lines and in fault specs.
#pragma once

#include <cstdint>

namespace harness {

// The whole of @s as an unsigned number: decimal, 0x hex or 0 octal; no
// sign or blank, nothing after it, no overflow. With @suffixes a trailing k/K
// (x 1,000) or m/M (x 1,000,000) is accepted too.
bool parse_u64(const char *s, uint64_t &v, bool suffixes = false);

} // namespace harness
