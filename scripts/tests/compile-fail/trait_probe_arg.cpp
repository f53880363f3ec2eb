// SPDX-License-Identifier: GPL-2.0
// A parameter type the layout probe cannot make says what to add.
// expect: needs a ds::ProbeArg<T> specialization
#include "rt/trait.hpp"

struct Key {
	explicit Key(int v) noexcept : v(v) {}
	int v;
};

#ifndef DS_BAD
template <>
struct ds::ProbeArg<Key> {
	Key k{0};
	operator Key() const noexcept { return k; }
};
#endif

#define MAP_METHODS(X) X(kGet, int, get, Key)

class Map {
	DS_TRAIT(Map, MAP_METHODS)
};

class Empty final : public Map {
public:
	ds::Future<int> get(Key, ds::Storage &) override { co_return ds::Err{-DS_ENOENT}; }
};

void register_empty(ds::LayoutTable<Map> &table)
{
	table.add<Empty>();
}
