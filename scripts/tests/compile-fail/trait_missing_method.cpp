// SPDX-License-Identifier: GPL-2.0
// Registering an impl that lacks an async method names the method.
// expect: does not override the async method close
#include <cstddef>

#include "rt/trait.hpp"

#define READER_METHODS(X)                  \
	X(kRead, size_t, read, char *, size_t) \
	X(kClose, void, close)

class Reader {
	DS_TRAIT(Reader, READER_METHODS)
};

class Zeros final : public Reader {
public:
	ds::Future<size_t> read(char *buf, size_t n, ds::Storage &s) override
	{
		return ds::Future<size_t>::ready_in(s, [&] {
			for (size_t i = 0; i < n; i++)
				buf[i] = 0;
			return n;
		});
	}
#ifndef DS_BAD
	// noexcept on an override is allowed, and found.
	ds::Future<void> close(ds::Storage &s) noexcept override
	{
		return ds::Future<void>::ready_in(s, [] {});
	}
#endif
};

void register_zeros(ds::LayoutTable<Reader> &table)
{
	table.add<Zeros>();
}
