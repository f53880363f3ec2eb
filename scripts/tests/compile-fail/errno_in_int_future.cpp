// SPDX-License-Identifier: GPL-2.0
// The kernel habit `co_return -EIO;` in a Future<int> would be a value.
// expect: Future of a signed integer reads like an errno
#include "rt/future.hpp"

ds::Future<int> read_byte(ds::Storage &, bool broken)
{
	if (broken)
#ifdef DS_BAD
		co_return -DS_EIO;
#else
		co_return ds::Err{-DS_EIO};
#endif
	co_return ds::Ok{0x5a};
}
