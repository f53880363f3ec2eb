// SPDX-License-Identifier: GPL-2.0
// Test helpers: run a future as a task to completion on the host executor
// and record how it completed.
#pragma once

#include <cstdint>
#include <type_traits>

#include "host_platform.h"
#include "rt/task.hpp"

template <class T>
struct Outcome {
	int calls = 0;
	int err = 1;
	T value{};

	static void record(void *ctx, ds::Result<T> &&r)
	{
		auto *o = static_cast<Outcome *>(ctx);
		o->calls++;
		o->err = r.error();
		if (r.ok())
			o->value = *r;
	}
};

// Future<void>: the errno alone.
template <>
struct Outcome<void> {
	int calls = 0;
	int err = 1;

	static void record(void *ctx, ds::Result<void> &&r)
	{
		auto *o = static_cast<Outcome *>(ctx);
		o->calls++;
		o->err = r.error();
	}
};

// Runs queued work and fires timers (advancing the fake clock) until
// nothing is left to do.
inline void drive()
{
	for (;;) {
		size_t ran = host::run_pending();
		size_t fired = host::armed_timers() ? host::advance_time(1000000000ull) : 0;
		if (!ran && !fired)
			return;
	}
}

// Spawns @f and drives it to completion.
template <class T>
void run_to_end(ds::Future<T> &&f, Outcome<T> &o)
{
	ds::RootTask<T>::spawn(std::move(f), &Outcome<T>::record, &o);
	drive();
}
