// SPDX-License-Identifier: GPL-2.0
// Printable names of the ABI's numbers (strategies, traits, impls,
// methods, errnos) and the reverse lookups the command line needs.
#pragma once

#include <cstdint>
#include <string>

namespace harness {

const char *strategy_name(uint32_t strategy);	// "boxed", ... or "?"
const char *trait_name(uint32_t trait);
const char *impl_name(uint32_t impl);
const char *method_name(uint32_t method);
// "ENOMEM" for 12 (a positive errno); "E123" for ones it does not know.
std::string errno_name(int err);

// Reverse lookups: 0 when @name is unknown (names are case-insensitive).
uint32_t parse_strategy(const std::string &name);
int parse_errno(const std::string &name);	// "ENOMEM" or "12"

// The trait an impl belongs to; the impls and methods of a trait.
uint32_t impl_trait(uint32_t impl);
bool method_of_trait(uint32_t method, uint32_t trait);

} // namespace harness
