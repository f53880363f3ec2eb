// SPDX-License-Identifier: GPL-2.0
// The host's inline counter add (rt/hot_counter.hpp picks it up from the
// include path): one unlocked add to the calling thread's own
// counter block, reached through a thread-local pointer; the first add of
// a thread, which registers its block, goes out of line.
#pragma once

#include <atomic>

#include "rt/platform.h"

// Set once a thread's block is registered (counters_user.cpp); __thread,
// not thread_local: no dynamic initialisation, so no TLS wrapper call.
// local-exec: the host benchmarks and tests are executables, so the slot is
// at a fixed %fs offset (no GOT load per add).
extern __thread std::atomic<long> *ds_tls_counter_slots [[gnu::tls_model("local-exec")]];

[[gnu::cold, gnu::noinline]] void ds_counter_add2_slow(unsigned int a, long da, unsigned int b,
						      long db);

// Only the owning thread writes its block; readers load it relaxed. On
// x86-64 one unlocked add to memory does that (as the kernel's
// this_cpu_add): an aligned 8-byte write is never seen torn, and it is one
// instruction where a relaxed load and store are three.
static inline void ds_tls_counter_bump(std::atomic<long> &c, long delta)
{
#if defined(__x86_64__)
	asm volatile("addq %1, %0" : "+m"(c) : "er"(delta));
#else
	c.store(c.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
#endif
}

static inline void ds_counter_add_inline(unsigned int slot, long delta)
{
	if (std::atomic<long> *slots = ds_tls_counter_slots) [[likely]]
		ds_tls_counter_bump(slots[slot], delta);
	else
		ds_counter_add(slot, delta);
}

// Two adds, one thread-local load.
static inline void ds_counter_add2_inline(unsigned int a, long da, unsigned int b, long db)
{
	if (std::atomic<long> *slots = ds_tls_counter_slots) [[likely]] {
		ds_tls_counter_bump(slots[a], da);
		ds_tls_counter_bump(slots[b], db);
	} else {
		ds_counter_add2_slow(a, da, b, db);
	}
}
