// SPDX-License-Identifier: GPL-2.0
// A method declared with another signature (here without override, so it
// only hides the trait's) is not an implementation.
// expect: does not override the async method read .*ds::Future<size_t> read\(char \*, size_t, ds::Storage &\)
#include <cstddef>

#include "rt/trait.hpp"

#define READER_METHODS(X) X(kRead, size_t, read, char *, size_t)

class Reader {
	DS_TRAIT(Reader, READER_METHODS)
};

class Zeros : public Reader {
public:
#ifdef DS_BAD
	ds::Future<size_t> read(char *buf, int n, ds::Storage &s)
#else
	ds::Future<size_t> read(char *buf, size_t n, ds::Storage &s) override
#endif
	{
		return ds::Future<size_t>::ready_in(s, [&] {
			buf[0] = 0;
			return size_t(n);
		});
	}
};

static_assert(Reader::check_impl<Zeros>());
