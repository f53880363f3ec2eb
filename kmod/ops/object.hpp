// SPDX-License-Identifier: GPL-2.0
// A trait object as the device hands it out: one impl of one trait, the
// storage its calls' frames live in, and the inner objects it owns. The
// inline slot's bytes follow the struct in the same allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/objects.h"
#include "rt/dyn.hpp"
#include "traits/async_iterator.hpp"
#include "traits/widget.hpp"

// Bytes of ds_object::call_space; call_op.cpp checks that they suffice.
constexpr size_t kCallSpace = 1024;

struct alignas(ds::kFrameAlign) ds_object {
	ds_object(const ds_object_params &p, unsigned int slot_size, size_t alloc_size) noexcept;
	~ds_object();

	// The storage calls on this object use (a TASK_STACK object's root
	// calls use their task stack instead).
	ds::Storage *own_storage() noexcept;
	// Where SUM puts its own frame when the call has no task stack.
	ds::Storage &loop_storage() noexcept
	{
		return strategy == DS_STRATEGY_RESERVE ? static_cast<ds::Storage &>(pool) : heap;
	}
	bool consumed() const noexcept { return trait == DS_TRAIT_WIDGET && !widget; }

	int refs = 1;
	int borrowed = 0;
	unsigned int trait;
	unsigned int impl;
	unsigned int strategy;
	ds_gfp gfp;
	unsigned int requested_slot;	// as asked (0 = auto), for COMPONENTS
	unsigned int slot_size;		// effective: inline slot or pool element
	unsigned int task_stack_size;
	unsigned int reserve_frames;
	unsigned int depth = 1;
	unsigned int weight = 1;
	size_t alloc_size;

	// Who this object's allocations are for (the storages below point
	// here); its operation and counters are reset at each call's start.
	ds_alloc_tag tag;
	ds::Boxed heap;		// frames of BOXED objects; SUM's loop frames
	ds::Boxed object_heap;	// where impls are placed (make_in)
	ds::InlineSlot slot;
	ds::MaybeBoxed maybe;
	ds::Cached cached;
	ds::ReservePool pool;
	ds::DynBox<ds::AsyncIterator> it;
	ds::DynBox<ds::Widget> widget;
	ds_object *inner[2] = {};
	// The suspended call on this object that DYNASYNC_IOC_CANCEL can
	// reach, or null: set and cleared by the glue under its table's lock.
	ds_call *cancelable = nullptr;
	// The bookkeeping of this object's call (ops/call_op.cpp), made at
	// CREATE so that a call allocates none: the borrow is exclusive and
	// is given back only once that bookkeeping is gone, so one is
	// enough. RESERVE objects take theirs from the pool instead (an
	// element per call, as their reserve_frames promise). Not zeroed
	// here: the call constructs what it uses.
	alignas(ds::kFrameAlign) unsigned char call_space[kCallSpace];
};

namespace ds {
// Bytes of one call's bookkeeping (ops/call_op.cpp): RESERVE pools hold
// elements at least this large.
size_t call_ctx_size() noexcept;
// A validated object with its storage but no impl yet (make_impl or
// COMPONENTS places it). Inner objects are checked, not taken. Its
// allocations are made for @creator (the operation that creates it), and
// any failure among them is counted there too.
int object_create_shell(const ds_object_params &p, ds_alloc_tag &creator,
			ds_object **out) noexcept;
// Tags @o and the inner objects it owns with an operation and zeroes their
// failure counters; the object must be borrowed.
void object_begin_op(ds_object &o, unsigned int trait, unsigned int method) noexcept;
// Adds @from's failure counters to @to (an object about to be dropped).
void charge_failures(ds_alloc_tag &to, const ds_alloc_tag &from) noexcept;
} // namespace ds
