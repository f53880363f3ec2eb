// SPDX-License-Identifier: GPL-2.0
// Recursion through dyn calls: down(n) awaits down(n - 1) through the
// vtable. Unbounded on the heap; a task stack turns it into -ENOSPC.
#pragma once

#include "rt/future.hpp"

namespace ds {

class Recursive {
public:
	virtual ~Recursive() = default;
	virtual Future<int> down(int n, Storage &s) = 0;
};

class Descend final : public Recursive {
public:
	Future<int> down(int n, Storage &s) override
	{
		calls++;
		if (n == 0)
			co_return ds::Ok{0};
		Recursive &self = *this;
		DS_CO_TRY(int d, co_await self.down(n - 1, s));
		co_return ds::Ok{d + 1};
	}
	int calls = 0;
};

} // namespace ds
