// SPDX-License-Identifier: GPL-2.0
// The frame-free path takes the same operands as co_return.
// expect: Future of a signed integer reads like an errno
#include "rt/future.hpp"

ds::Future<long> position(ds::Storage &s, long pos)
{
	return ds::Future<long>::ready_in(s, [&] {
#ifdef DS_BAD
		return pos < 0 ? -DS_EINVAL : pos;
#else
		return pos < 0 ? ds::Result<long>(ds::Err{-DS_EINVAL}) : ds::Result<long>(ds::Ok{pos});
#endif
	});
}
