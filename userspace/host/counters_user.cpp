// SPDX-License-Identifier: GPL-2.0
// Per-thread counter blocks (see host_counters.h).
#include <atomic>
#include <mutex>

#include "ds_platform_inline.h"
#include "host_counters.h"

__thread std::atomic<long> *ds_tls_counter_slots [[gnu::tls_model("local-exec")]];

namespace host::counters {
namespace {

// Each slot is written only by its thread, read by any: relaxed atomics
// make that race-free while compiling to plain moves (no lock prefix).
struct Block {
	std::atomic<long> slot[kSlots];
	Block *prev, *next;
};

constinit std::mutex registry_lock;
// Sentinel of the list of live threads' blocks; it also holds what exited
// threads left behind.
constinit Block global{{}, &global, &global};

// The fast path reads a plain thread-local pointer; the owner, whose
// destructor folds the block at thread exit, is touched only on first use.
thread_local Block *tls_block;
thread_local bool tls_exited;

struct Owner {
	Owner() {}
	~Owner();
};

Block *mine() noexcept
{
	if (Block *b = tls_block)
		return b;
	if (tls_exited) // a later thread-exit destructor: count globally
		return nullptr;
	Block *b = new Block{{}, nullptr, nullptr};
	{
		std::lock_guard<std::mutex> g(registry_lock);
		b->prev = global.prev;
		b->next = &global;
		global.prev->next = b;
		global.prev = b;
	}
	static thread_local Owner owner; // its destructor runs at thread exit
	tls_block = b;
	ds_tls_counter_slots = b->slot;
	return b;
}

Owner::~Owner()
{
	Block *b = tls_block;
	tls_exited = true;
	tls_block = nullptr;
	ds_tls_counter_slots = nullptr;
	if (!b)
		return;
	std::lock_guard<std::mutex> g(registry_lock);
	for (unsigned i = 0; i < kSlots; i++)
		global.slot[i].fetch_add(b->slot[i].load(std::memory_order_relaxed),
					 std::memory_order_relaxed);
	b->prev->next = b->next;
	b->next->prev = b->prev;
	delete b;
}

} // namespace

size_t blocks() noexcept
{
	size_t n = 0;
	std::lock_guard<std::mutex> g(registry_lock);
	for (Block *b = global.next; b != &global; b = b->next)
		n++;
	return n;
}

void add(unsigned slot, long delta) noexcept
{
	if (slot >= kSlots)
		return;
	if (Block *b = mine()) {
		std::atomic<long> &s = b->slot[slot];
		s.store(s.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
	} else {
		global.slot[slot].fetch_add(delta, std::memory_order_relaxed);
	}
}

long sum(unsigned slot) noexcept
{
	if (slot >= kSlots)
		return 0;
	std::lock_guard<std::mutex> g(registry_lock);
	long n = global.slot[slot].load(std::memory_order_relaxed);
	for (Block *b = global.next; b != &global; b = b->next)
		n += b->slot[slot].load(std::memory_order_relaxed);
	return n;
}

} // namespace host::counters

void ds_counter_add2_slow(unsigned int a, long da, unsigned int b, long db)
{
	ds_counter_add(a, da);
	ds_counter_add(b, db);
}

extern "C" {

void ds_counter_add(unsigned int slot, long delta)
{
	if (slot < DS_COUNTER_SLOTS)
		host::counters::add(slot, delta);
}

void ds_counter_add2(unsigned int a, long da, unsigned int b, long db)
{
	ds_counter_add(a, da);
	ds_counter_add(b, db);
}

long ds_counter_sum(unsigned int slot)
{
	return slot < DS_COUNTER_SLOTS ? host::counters::sum(slot) : 0;
}

} // extern "C"
