// SPDX-License-Identifier: GPL-2.0
#include "rt/storage.hpp"

namespace ds {
namespace {

// Untagged heap blocks need no per-call state to be freed: one owner per
// site (frames among them are boxed ones: the only untagged frame blocks).
constinit HeapOwner heap_owners[DS_SITE_COUNT] = {
	HeapOwner(DS_SITE_FRAME, nullptr), HeapOwner(DS_SITE_TASK, nullptr),
	HeapOwner(DS_SITE_OBJECT, nullptr), HeapOwner(DS_SITE_ARGS, nullptr),
	HeapOwner(DS_SITE_RESERVE, nullptr), HeapOwner(DS_SITE_MISC, nullptr),
};
static_assert(DS_SITE_COUNT == 6, "one heap owner per site");
// ... and one for untagged maybe-boxed fallbacks, in their own accounting.
constinit HeapOwner maybe_boxed_owner(DS_SITE_FRAME, nullptr, Strategy::MaybeBoxed);

FrameOwner *untagged_owner(ds_site site, Strategy strategy) noexcept
{
	if (site == DS_SITE_FRAME && strategy == Strategy::MaybeBoxed)
		return &maybe_boxed_owner;
	return &heap_owners[site];
}

// Frame blocks are in their strategy's heap accounting; objects and task
// headers (other sites) are only in the platform's per-site counts.
void *heap_take(size_t size, size_t align, ds_gfp gfp, ds_site site, ds_alloc_tag *tag,
		Strategy strategy) noexcept
{
	void *p = ds_alloc(size, align, gfp, site, tag);
	if (p && site == DS_SITE_FRAME)
		stats_on_heap(strategy, static_cast<long>(size));
	return p;
}

void heap_give(void *p, size_t size, ds_site site, const ds_alloc_tag *tag,
	       Strategy strategy) noexcept
{
	if (site == DS_SITE_FRAME)
		stats_on_heap(strategy, -static_cast<long>(size));
	ds_free(p, size, site, tag);
}

// @owner frees tagged blocks (it knows the tag); untagged ones go to the
// site's static owner.
Allocation heap_allocate(size_t size, size_t align, ds_gfp gfp, ds_site site,
			 ds_alloc_tag *tag, FrameOwner *owner, Strategy strategy) noexcept
{
	if (!valid_align(align) || align > kMaxAlign)
		return {nullptr, nullptr, -DS_EINVAL};
	void *p = heap_take(size, align, gfp, site, tag, strategy);
	if (!p)
		return {nullptr, nullptr, ds_alloc_errno(tag)};
	return {p, tag ? owner : untagged_owner(site, strategy), 0};
}

} // namespace

void HeapOwner::release(void *p, size_t size) noexcept
{
	heap_give(p, size, site_, tag_, strategy_);
}

void *Boxed::take_frame(size_t size, FrameOwner **owner) noexcept
{
	void *p = heap_take(size, kFrameAlign, gfp_, site_, tag_, Strategy::Boxed);
	*owner = tag_ ? &owner_ : untagged_owner(site_, Strategy::Boxed);
	return p;
}

Allocation Boxed::allocate(size_t size, size_t align) noexcept
{
	return heap_allocate(size, align, gfp_, site_, tag_, &owner_, Strategy::Boxed);
}

// The slow path (try_take() failed, or a caller that is not a frame): says
// why. A frame that can never fit is reported as such (-E2BIG) even when
// the slot is also busy: that answer does not depend on timing.
Allocation InlineSlot::allocate(size_t size, size_t align) noexcept
{
	if (!valid_align(align) || align > kFrameAlign || !buf_)
		return {nullptr, nullptr, -DS_EINVAL};
	if (size > cap_)
		return {nullptr, nullptr, -DS_E2BIG};
	if (busy_)
		return {nullptr, nullptr, -DS_EBUSY};
	busy_ = true;
	return {buf_, this, 0};
}

void InlineSlot::release(void *, size_t) noexcept { give_back(); }

Allocation MaybeBoxed::allocate(size_t size, size_t align) noexcept
{
	Allocation a = slot_.allocate(size, align);
	if (a.ptr)
		return a;
	// Either the heap's errno: -ENOMEM, -EDQUOT, or -EINVAL (alignment).
	return heap_allocate(size, align, gfp_, DS_SITE_FRAME, tag_, &owner_,
			     Strategy::MaybeBoxed);
}

Cached::~Cached()
{
	if (busy_) {
		// A frame still lives in the block: freeing it would be a
		// use-after-free; leaking it is visible in the accounting.
		ds_log(DS_LOG_ERR, "cached storage destroyed with a live frame");
		return;
	}
	if (block_)
		heap_give(block_, cap_, DS_SITE_FRAME, tag_, Strategy::Cached);
}

Allocation Cached::allocate(size_t size, size_t align) noexcept
{
	if (!valid_align(align) || align > kFrameAlign)
		return {nullptr, nullptr, -DS_EINVAL};
	if (busy_)
		return {nullptr, nullptr, -DS_EBUSY};
	if (size > cap_) {
		void *p = heap_take(size, kFrameAlign, gfp_, DS_SITE_FRAME, tag_, Strategy::Cached);
		if (!p)
			return {nullptr, nullptr, ds_alloc_errno(tag_)};
		if (block_)
			heap_give(block_, cap_, DS_SITE_FRAME, tag_, Strategy::Cached);
		block_ = p;
		cap_ = size;
	}
	busy_ = true;
	return {block_, this, 0};
}

void Cached::release(void *, size_t) noexcept { give_back(); }

TaskStack::~TaskStack()
{
	if (live_) {
		ds_log(DS_LOG_ERR, "task stack destroyed with %ld live frames", live_);
		return;
	}
	if (base_)
		heap_give(base_, region_, DS_SITE_FRAME, tag_, Strategy::TaskStack);
}

int TaskStack::init(size_t capacity, ds_gfp gfp, ds_alloc_tag *tag) noexcept
{
	if (base_ || !capacity)
		return -DS_EINVAL;
	const size_t region = align_up(capacity, kFrameAlign);
	base_ = static_cast<char *>(heap_take(region, kFrameAlign, gfp, DS_SITE_FRAME, tag,
					      Strategy::TaskStack));
	if (!base_)
		return ds_alloc_errno(tag);
	tag_ = tag;
	cap_ = capacity;
	region_ = region;
	return 0;
}

int TaskStack::init_on_first_frame(size_t capacity, ds_gfp gfp, ds_alloc_tag *tag) noexcept
{
	if (base_ || deferred_ || !capacity)
		return -DS_EINVAL;
	deferred_ = capacity;
	gfp_ = gfp;
	tag_ = tag;
	return 0;
}

// The slow path: the deferred region, or why try_push() refused.
Allocation TaskStack::allocate(size_t size, size_t align) noexcept
{
	if (!valid_align(align) || align > kFrameAlign)
		return {nullptr, nullptr, -DS_EINVAL};
	if (!base_) {
		if (!deferred_)
			return {nullptr, nullptr, -DS_EINVAL};
		int err = init(deferred_, gfp_, tag_);
		if (err)
			return {nullptr, nullptr, err}; // deferred_ kept: a later frame retries
		deferred_ = 0;
	}
	void *p = try_push(size);
	if (!p)
		return {nullptr, nullptr, -DS_ENOSPC};
	return {p, this, 0};
}

void TaskStack::release(void *p, size_t size) noexcept { pop(p, size); }

ReservePool::~ReservePool()
{
	if (pool_) {
		ds_pool_destroy(pool_);
		stats_on_heap(Strategy::Reserve, -static_cast<long>(held_));
	}
}

int ReservePool::init(size_t frame_size, unsigned int min_frames, ds_alloc_tag *tag) noexcept
{
	if (pool_ || !frame_size || !min_frames)
		return -DS_EINVAL;
	frame_size = align_up(frame_size, kFrameAlign);
	pool_ = ds_pool_create(frame_size, min_frames, tag);
	if (!pool_)
		return ds_alloc_errno(tag);
	tag_ = tag;
	elem_ = frame_size;
	held_ = frame_size * min_frames;
	stats_on_heap(Strategy::Reserve, static_cast<long>(held_));
	return 0;
}

Allocation ReservePool::allocate(size_t size, size_t align) noexcept
{
	if (!valid_align(align) || align > kFrameAlign || !pool_)
		return {nullptr, nullptr, -DS_EINVAL};
	if (size > elem_)
		return {nullptr, nullptr, -DS_E2BIG};
	void *p = ds_pool_alloc(pool_);
	if (!p)
		return {nullptr, nullptr, ds_alloc_errno(tag_)};
	return {p, this, 0};
}

void ReservePool::release(void *p, size_t) noexcept { ds_pool_free(pool_, p); }

} // namespace ds
