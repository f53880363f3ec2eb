// SPDX-License-Identifier: GPL-2.0
#include "parse_number.h"

#include <cerrno>
#include <cstdlib>

namespace harness {

bool parse_u64(const char *s, uint64_t &v, bool suffixes)
{
	// strtoull() would take a sign and leading blanks.
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end = nullptr;
	errno = 0;
	const unsigned long long x = std::strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	uint64_t mul = 1;
	if (suffixes && (*end == 'k' || *end == 'K'))
		mul = 1000, end++;
	else if (suffixes && (*end == 'm' || *end == 'M'))
		mul = 1000000, end++;
	if (*end || x > UINT64_MAX / mul)
		return false;
	v = x * mul;
	return true;
}

} // namespace harness
