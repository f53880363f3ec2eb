// SPDX-License-Identifier: GPL-2.0
// A Future<void> ends with `co_return;`; C++ allows no return_value next
// to return_void, so its error exit is DS_CO_FAIL (co_return ds::Err{..}
// is refused, never silently a success).
// expect: return_value
#include "rt/future.hpp"

ds::Future<void> flush(ds::Storage &, bool dirty)
{
	if (dirty)
#ifdef DS_BAD
		co_return ds::Err{-DS_EIO};
#else
		DS_CO_FAIL(-DS_EIO);
#endif
	co_return;
}
