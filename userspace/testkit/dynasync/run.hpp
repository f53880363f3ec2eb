// SPDX-License-Identifier: GPL-2.0
// Running futures to the end on the host platform: the part of the test
// kit (dynasync/testkit.hpp) that needs no GoogleTest.
#pragma once

#include <utility>

#include "../../host/host_platform.h" // host::fail_nth, run_pending, ...
#include "rt/future.hpp"
#include "rt/task.hpp"

namespace ds::test {

// How a future completed: calls (exactly 1 when it did), err (0 or the
// negative errno) and, for a Future<T> with a value, value.
template <class T>
struct Outcome {
	int calls = 0;
	int err = 1;
	T value{};

	bool ok() const noexcept { return calls == 1 && err == 0; }
	static void record(void *ctx, Result<T> &&r) noexcept
	{
		auto *o = static_cast<Outcome *>(ctx);
		o->calls++;
		o->err = r.error();
		if (r.ok())
			o->value = std::move(*r);
	}
};

template <>
struct Outcome<void> {
	int calls = 0;
	int err = 1;

	bool ok() const noexcept { return calls == 1 && err == 0; }
	static void record(void *ctx, Result<void> &&r) noexcept
	{
		auto *o = static_cast<Outcome *>(ctx);
		o->calls++;
		o->err = r.error();
	}
};

// Runs queued work and fires timers (advancing the fake clock to each)
// until nothing is left to do.
void drive() noexcept;

// Spawns @f as a task and drives it to completion. A task still waiting
// when nothing is left to run (an Event nobody sets) is cancelled, so @o
// always ends with calls == 1 (-ECANCELED then).
template <class T>
void run_to_end(Future<T> &&f, Outcome<T> &o) noexcept
{
	TaskRef ref;
	RootTask<T>::spawn(std::move(f), &Outcome<T>::record, &o, &ref);
	drive();
	if (!o.calls) {
		ref.cancel();
		drive();
	}
}

template <class T>
Outcome<T> run(Future<T> &&f) noexcept
{
	Outcome<T> o;
	run_to_end(std::move(f), o);
	return o;
}

// Live heap blocks and frames of the runtime, and queued work.
long live_allocations() noexcept;
long live_frames() noexcept;

} // namespace ds::test
