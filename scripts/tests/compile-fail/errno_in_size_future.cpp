// SPDX-License-Identifier: GPL-2.0
// `co_return -EIO;` in a Future<size_t> would wrap to a huge length.
// expect: Future of an unsigned integer would wrap a negative errno
#include <cstddef>

#include "rt/future.hpp"

ds::Future<size_t> copy(ds::Storage &, size_t n)
{
	if (!n)
#ifdef DS_BAD
		co_return -DS_EINVAL;
#else
		co_return ds::Err{-DS_EINVAL};
#endif
	co_return n;
}
