// SPDX-License-Identifier: GPL-2.0
// Storage: where a coroutine frame lives. The caller passes a Storage& to
// every async method; the promise's operator new finds it among the
// parameters. A storage either returns memory or a negative errno, never
// aborts. Each block is released through the owner recorded at allocation
// (FrameOwner), so a frame always goes back to where it came from.
//
// Strategies (each its own errno):
//   Boxed        one kmalloc per frame, caller's GFP class   -ENOMEM
//   InlineSlot   buffer owned by the object, one call at a time
//                                           -E2BIG (too large), -EBUSY
//   MaybeBoxed   inline slot, else the heap  -ENOMEM only if both fail
//   Cached       one block reused across calls, grown fallibly
//                                           -ENOMEM, -EBUSY (in use)
//   TaskStack    bounded LIFO region per top-level task      -ENOSPC
//   ReservePool  mempool with min_nr frames kept in reserve  -ENOMEM
//                (only when the reserve is exhausted), -E2BIG
// Heap allocations made for an open file (a tag with a scope) may also be
// refused by the file's byte limit: -EDQUOT where -ENOMEM would be.
//
// Dispatch: every built-in storage carries its kind, so the frame
// allocator (future.hpp) places a frame in an inline slot, a task stack or
// a cached block with inline code and no virtual call; only the heap, the
// reserve pool, growth, refusals and storages written elsewhere go through
// the virtual allocate()/release().
//
// Concurrency: a storage belongs to one caller at a time, like Rust's
// &mut self: the inline slot's and cached block's busy flags and the task
// stack's top are plain fields. Calls that run on several CPUs one after
// the other are ordered by whoever hands the object over (the device
// borrows an object for each call, with acquire/release; a task resumed on
// a worker is ordered by the workqueue). Two calls racing on one storage
// from two CPUs without such a hand-over are a bug of the caller.
// Lifetime: the frame keeps the Storage& it was called with, and nested
// calls made after a suspension allocate through it, so a Storage must
// outlive every call it is passed to (heap_storage() always does).
// Alignment: frames need only kFrameAlign (GCC pads the frame for
// over-aligned locals itself); requests above what a storage can give
// are refused with -EINVAL, never served misaligned.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rt/platform.h"
#include "rt/stats.hpp"

namespace ds {

inline constexpr size_t kFrameAlign = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
inline constexpr size_t kMaxAlign = 4096;

constexpr size_t align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }
constexpr bool valid_align(size_t a) { return a && !(a & (a - 1)); }

// Which built-in class a Storage is: lets the frame allocator take the
// fast path of the four that need no allocator, and call the heap for a
// boxed frame without a virtual call. Other is anything else (ReservePool,
// the probe, storages written elsewhere).
enum class StorageKind : uint8_t { Other, Inline, MaybeBoxed, Cached, TaskStack, Boxed };

// Frees what a storage handed out. Must outlive every block it owns.
class FrameOwner {
public:
	virtual void release(void *p, size_t size) noexcept = 0;

protected:
	constexpr FrameOwner() = default;
	~FrameOwner() = default;
};

// Frees heap blocks: the site they are counted under, and the tag whose
// open file's byte budget they were charged to (nullptr: nobody's).
class HeapOwner final : public FrameOwner {
public:
	constexpr HeapOwner(ds_site site, ds_alloc_tag *tag, Strategy strategy = Strategy::Boxed)
		: site_(site), strategy_(strategy), tag_(tag) {}
	void release(void *p, size_t size) noexcept override;

private:
	ds_site site_;
	Strategy strategy_; // whose heap accounting the block is in
	ds_alloc_tag *tag_;
};

struct Allocation {
	void *ptr;		// nullptr on failure
	FrameOwner *owner;	// who frees ptr
	int err;		// negative errno when ptr is nullptr
};

class Storage {
public:
	// @size bytes aligned to @align (a power of two). The general path:
	// frames take the inline fast path first where the kind has one.
	virtual Allocation allocate(size_t size, size_t align) noexcept = 0;
	// What the accounting calls this storage.
	Strategy strategy() const noexcept { return strategy_; }
	StorageKind kind() const noexcept { return kind_; }

protected:
	constexpr explicit Storage(Strategy strategy, StorageKind kind = StorageKind::Other)
		: strategy_(strategy), kind_(kind) {}
	~Storage() = default;

private:
	Strategy strategy_;
	StorageKind kind_;
};

class Boxed final : public Storage {
public:
	// @site: what the heap accounting calls these blocks (frames, or
	// objects placed by make_in()).
	// With a @tag, the blocks are released through this storage (the
	// tag's file gets their bytes back), so it must outlive them, as an
	// object's storages outlive its calls and impls; without one they go
	// through a static owner.
	constexpr explicit Boxed(ds_gfp gfp = DS_GFP_KERNEL,
				 ds_site site = DS_SITE_FRAME,
				 ds_alloc_tag *tag = nullptr)
		: Storage(Strategy::Boxed, StorageKind::Boxed), gfp_(gfp), site_(site), tag_(tag),
		  owner_(site, tag) {}
	Allocation allocate(size_t size, size_t align) noexcept override;
	// A frame (kFrameAlign): the block and who frees it, or nullptr
	// (allocate() then says why).
	void *take_frame(size_t size, FrameOwner **owner) noexcept;
	ds_alloc_tag *tag() const noexcept { return tag_; }

private:
	ds_gfp gfp_;
	ds_site site_;
	ds_alloc_tag *tag_;
	HeapOwner owner_;
};

// Stateless and constant-initialized: a Storage that outlives everything.
inline constinit Boxed kernel_heap{DS_GFP_KERNEL, DS_SITE_FRAME};
inline Storage &heap_storage() noexcept { return kernel_heap; }

// The fast paths below are reached by a cast on the storage's kind (see
// frame_alloc in future.hpp); where GCC knows a call's storage is another
// class, it still inlines the branches not taken and warns that they would
// read past that object. They never run: silence that one warning here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"

// A fixed buffer that holds one frame at a time. Does not own the buffer
// (it lives in the trait object's allocation).
class InlineSlot final : public Storage, public FrameOwner {
public:
	constexpr InlineSlot() : Storage(Strategy::Inline, StorageKind::Inline) {}
	// @buf must be kFrameAlign-aligned and outlive the slot's frames.
	InlineSlot(void *buf, size_t capacity) noexcept
		: Storage(Strategy::Inline, StorageKind::Inline), buf_(buf), cap_(capacity) {}
	Allocation allocate(size_t size, size_t align) noexcept override;
	void release(void *p, size_t size) noexcept override;
	size_t capacity() const noexcept { return cap_; }
	bool busy() const noexcept { return busy_; }

	// The fast path: the frame fits and the slot is free (else nullptr,
	// and allocate() says why).
	void *try_take(size_t size) noexcept
	{
		if (size > cap_ || busy_)
			return nullptr;
		busy_ = true;
		return buf_; // nullptr for an unset slot: allocate() says -EINVAL
	}
	void give_back() noexcept { busy_ = false; }

private:
	void *buf_ = nullptr;
	size_t cap_ = 0;
	bool busy_ = false;
};

class MaybeBoxed final : public Storage {
public:
	// Tagged: must outlive its heap blocks (see Boxed).
	MaybeBoxed(InlineSlot &slot, ds_gfp gfp = DS_GFP_KERNEL,
		   ds_alloc_tag *tag = nullptr) noexcept
		: Storage(Strategy::MaybeBoxed, StorageKind::MaybeBoxed), slot_(slot),
		  gfp_(gfp), tag_(tag), owner_(DS_SITE_FRAME, tag, Strategy::MaybeBoxed) {}
	Allocation allocate(size_t size, size_t align) noexcept override;
	InlineSlot &slot() noexcept { return slot_; }

private:
	InlineSlot &slot_;
	ds_gfp gfp_;
	ds_alloc_tag *tag_;
	HeapOwner owner_;
};

// One heap block reused by sequential calls; grows when a larger frame
// comes (the old block is kept if growing fails).
class Cached final : public Storage, public FrameOwner {
public:
	constexpr explicit Cached(ds_gfp gfp = DS_GFP_KERNEL, ds_alloc_tag *tag = nullptr)
		: Storage(Strategy::Cached, StorageKind::Cached), gfp_(gfp), tag_(tag) {}
	Cached(const Cached &) = delete;
	Cached &operator=(const Cached &) = delete;
	~Cached();
	Allocation allocate(size_t size, size_t align) noexcept override;
	void release(void *p, size_t size) noexcept override;
	size_t capacity() const noexcept { return cap_; }

	// The fast path: the kept block is large enough and free.
	void *try_take(size_t size) noexcept
	{
		if (size > cap_ || busy_)
			return nullptr;
		busy_ = true;
		return block_;
	}
	void give_back() noexcept { busy_ = false; }

private:
	ds_gfp gfp_;
	ds_alloc_tag *tag_;
	void *block_ = nullptr;
	size_t cap_ = 0;
	bool busy_ = false;
};

// An async stack: one bounded region per top-level task. Nested calls
// push frames and pop them LIFO. Used by one task at a time (tasks run
// serialized), so it takes no lock. A frame freed out of order is
// reclaimed when the region empties.
class TaskStack final : public Storage, public FrameOwner {
public:
	constexpr TaskStack() : Storage(Strategy::TaskStack, StorageKind::TaskStack) {}
	TaskStack(const TaskStack &) = delete;
	TaskStack &operator=(const TaskStack &) = delete;
	~TaskStack();
	// Allocates the region: 0, -ENOMEM, -EDQUOT, or -EINVAL (0 bytes /
	// already set).
	int init(size_t capacity, ds_gfp gfp = DS_GFP_KERNEL,
		 ds_alloc_tag *tag = nullptr) noexcept;
	// The same, but the region is allocated with the first frame pushed:
	// a call that places no frame (a frame-free method) allocates
	// nothing, and one that does gets the region's errno (-ENOMEM,
	// -EDQUOT) as its first frame's. 0, or -EINVAL (0 bytes / already
	// set). @tag must outlive the stack.
	int init_on_first_frame(size_t capacity, ds_gfp gfp = DS_GFP_KERNEL,
				ds_alloc_tag *tag = nullptr) noexcept;
	Allocation allocate(size_t size, size_t align) noexcept override;
	void release(void *p, size_t size) noexcept override;
	size_t capacity() const noexcept { return cap_; }
	size_t used() const noexcept { return top_; }
	size_t high_water() const noexcept { return high_; }

	// The fast path: @size fits on top (else nullptr: allocate() says why).
	// An unset stack has cap_ 0, so nothing fits it: no test of base_.
	void *try_push(size_t size) noexcept
	{
		const size_t need = align_up(size, kFrameAlign);
		if (need < size || need > cap_ - top_)
			return nullptr;
		void *p = base_ + top_;
		top_ += need;
		if (top_ > high_)
			high_ = top_;
		live_++;
		return p;
	}
	// The last frame out empties the region (frames freed out of order
	// included); otherwise only the top frame gives its bytes back.
	void pop(void *p, size_t size) noexcept
	{
		const size_t need = align_up(size, kFrameAlign);
		if (!--live_)
			top_ = 0;
		else if (static_cast<char *>(p) + need == base_ + top_)
			top_ -= need;
	}

private:
	ds_alloc_tag *tag_ = nullptr;
	char *base_ = nullptr;
	size_t deferred_ = 0;		// init_on_first_frame()'s capacity, until then
	ds_gfp gfp_ = DS_GFP_KERNEL;	// and its GFP class
	size_t cap_ = 0;		// usable bytes: exactly what init() was asked
	size_t region_ = 0;		// allocated bytes (cap_ rounded up)
	size_t top_ = 0;
	size_t high_ = 0;
	long live_ = 0;
};

#pragma GCC diagnostic pop

// Frames from a reserve pool (kernel mempool_t): calls keep completing
// while kmalloc fails, until the reserve itself runs out.
class ReservePool final : public Storage, public FrameOwner {
public:
	constexpr ReservePool() : Storage(Strategy::Reserve) {}
	ReservePool(const ReservePool &) = delete;
	ReservePool &operator=(const ReservePool &) = delete;
	~ReservePool();
	// 0, -ENOMEM, -EDQUOT, or -EINVAL (zero sizes / already set).
	// @tag must outlive the pool.
	int init(size_t frame_size, unsigned int min_frames,
		 ds_alloc_tag *tag = nullptr) noexcept;
	Allocation allocate(size_t size, size_t align) noexcept override;
	void release(void *p, size_t size) noexcept override;
	size_t frame_size() const noexcept { return elem_; }

private:
	ds_pool *pool_ = nullptr;
	ds_alloc_tag *tag_ = nullptr;
	size_t elem_ = 0;
	size_t held_ = 0; // bytes of the pool's reserve, in the heap accounting
};

// Records the size of the frame a call asks for and refuses it, so the
// body never runs: the layout of a future, without side effects. A
// frame-free method (Future<T>::ready) never asks: it probes as 0 bytes.
class LayoutProbe final : public Storage {
public:
	static constexpr int kRefused = -DS_ECANCELED;
	constexpr LayoutProbe() : Storage(Strategy::Probe) {}
	Allocation allocate(size_t size, size_t align) noexcept override
	{
		size_ = size;
		align_ = align;
		return {nullptr, nullptr, kRefused};
	}
	size_t size() const noexcept { return size_; }
	size_t align() const noexcept { return align_; }

private:
	size_t size_ = 0;
	size_t align_ = 0;
};

} // namespace ds
