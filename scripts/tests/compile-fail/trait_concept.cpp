// SPDX-License-Identifier: GPL-2.0
// ds::Implements as a constraint: the unsatisfied part names the method.
// expect: does not override the async method flush
#include "rt/trait.hpp"

#define SINK_METHODS(X)            \
	X(kPut, void, put, int)    \
	X(kFlush, void, flush)

class Sink {
	DS_TRAIT(Sink, SINK_METHODS)
};

class Null : public Sink {
public:
	ds::Future<void> put(int, ds::Storage &s) override
	{
		return ds::Future<void>::ready_in(s, [] {});
	}
#ifndef DS_BAD
	ds::Future<void> flush(ds::Storage &s) override
	{
		return ds::Future<void>::ready_in(s, [] {});
	}
#endif
};

template <ds::Implements<Sink> S>
ds::Future<void> put_static(S &sink, int v, ds::Storage &s)
{
	return sink.S::put(v, s);
}

ds::Future<void> use(Null &n, ds::Storage &s)
{
	return put_static(n, 1, s);
}
