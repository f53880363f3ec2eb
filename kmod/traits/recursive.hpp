// SPDX-License-Identifier: GPL-2.0
// Recursion through dyn calls: down(n) awaits down(n - 1) through the
// vtable. Unbounded on the heap; a task stack turns it into -ENOSPC.
#pragma once

#include "rt/future.hpp"
#include "rt/trait.hpp"

namespace ds {

// down(n): awaits down(n - 1) through the vtable; n at the bottom.
#define DS_RECURSIVE_METHODS(X) X(kDown, int, down, int)

class Recursive {
	DS_TRAIT(Recursive, DS_RECURSIVE_METHODS)
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
