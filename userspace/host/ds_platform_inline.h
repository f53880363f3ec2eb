// SPDX-License-Identifier: GPL-2.0
// The host's inline counter add (rt/hot_counter.hpp picks it up from the
// include path): a plain load and store on the calling thread's own
// counter block, reached through a thread-local pointer; the first add of
// a thread, which registers its block, goes out of line.
#pragma once

#include <atomic>

#include "rt/platform.h"

// Set once a thread's block is registered (counters_user.cpp); __thread,
// not thread_local: no dynamic initialisation, so no TLS wrapper call.
extern __thread std::atomic<long> *ds_tls_counter_slots;

static inline void ds_counter_add_inline(unsigned int slot, long delta)
{
	if (std::atomic<long> *slots = ds_tls_counter_slots) [[likely]] {
		std::atomic<long> &c = slots[slot];
		c.store(c.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
	} else {
		ds_counter_add(slot, delta);
	}
}
