// SPDX-License-Identifier: GPL-2.0
#include "rt/storage.hpp"

namespace ds {
namespace {

// Untagged heap blocks need no per-call state to be freed: one owner per site.
constinit HeapOwner heap_owners[DS_SITE_COUNT] = {
	HeapOwner(DS_SITE_FRAME, nullptr), HeapOwner(DS_SITE_TASK, nullptr),
	HeapOwner(DS_SITE_OBJECT, nullptr), HeapOwner(DS_SITE_ARGS, nullptr),
	HeapOwner(DS_SITE_RESERVE, nullptr), HeapOwner(DS_SITE_MISC, nullptr),
};
static_assert(DS_SITE_COUNT == 6, "one heap owner per site");

// @owner frees tagged blocks (it knows the tag); untagged ones go to the
// site's static owner.
Allocation heap_allocate(size_t size, size_t align, ds_gfp gfp, ds_site site,
			 ds_alloc_tag *tag, FrameOwner *owner) noexcept
{
	if (!valid_align(align) || align > kMaxAlign)
		return {nullptr, nullptr, -DS_EINVAL};
	void *p = ds_alloc(size, align, gfp, site, tag);
	if (!p)
		return {nullptr, nullptr, ds_alloc_errno(tag)};
	return {p, tag ? owner : &heap_owners[site], 0};
}

bool try_claim(bool *busy) noexcept
{
	bool expected = false;
	return __atomic_compare_exchange_n(busy, &expected, true, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void unclaim(bool *busy) noexcept { __atomic_store_n(busy, false, __ATOMIC_RELEASE); }

} // namespace

void HeapOwner::release(void *p, size_t size) noexcept
{
	ds_free(p, size, site_, tag_);
}

Allocation Boxed::allocate(size_t size, size_t align) noexcept
{
	return heap_allocate(size, align, gfp_, site_, tag_, &owner_);
}

// A frame that can never fit is reported as such (-E2BIG) even when the
// slot is also busy: that answer does not depend on timing.
Allocation InlineSlot::allocate(size_t size, size_t align) noexcept
{
	if (!valid_align(align) || align > kFrameAlign || !buf_)
		return {nullptr, nullptr, -DS_EINVAL};
	if (size > cap_)
		return {nullptr, nullptr, -DS_E2BIG};
	if (!try_claim(&busy_))
		return {nullptr, nullptr, -DS_EBUSY};
	return {buf_, this, 0};
}

void InlineSlot::release(void *, size_t) noexcept { unclaim(&busy_); }

Allocation MaybeBoxed::allocate(size_t size, size_t align) noexcept
{
	Allocation a = slot_.allocate(size, align);
	if (a.ptr)
		return a;
	// Either the heap's errno: -ENOMEM, -EDQUOT, or -EINVAL (alignment).
	return heap_allocate(size, align, gfp_, DS_SITE_FRAME, tag_, &owner_);
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
		ds_free(block_, cap_, DS_SITE_FRAME, tag_);
}

Allocation Cached::allocate(size_t size, size_t align) noexcept
{
	if (!valid_align(align) || align > kFrameAlign)
		return {nullptr, nullptr, -DS_EINVAL};
	if (!try_claim(&busy_))
		return {nullptr, nullptr, -DS_EBUSY};
	if (size > cap_) {
		void *p = ds_alloc(size, kFrameAlign, gfp_, DS_SITE_FRAME, tag_);
		if (!p) {
			unclaim(&busy_);
			return {nullptr, nullptr, ds_alloc_errno(tag_)};
		}
		if (block_)
			ds_free(block_, cap_, DS_SITE_FRAME, tag_);
		block_ = p;
		cap_ = size;
	}
	return {block_, this, 0};
}

void Cached::release(void *, size_t) noexcept { unclaim(&busy_); }

TaskStack::~TaskStack()
{
	if (live_) {
		ds_log(DS_LOG_ERR, "task stack destroyed with %ld live frames", live_);
		return;
	}
	if (base_)
		ds_free(base_, region_, DS_SITE_FRAME, tag_);
}

int TaskStack::init(size_t capacity, ds_gfp gfp, ds_alloc_tag *tag) noexcept
{
	if (base_ || !capacity)
		return -DS_EINVAL;
	const size_t region = align_up(capacity, kFrameAlign);
	base_ = static_cast<char *>(ds_alloc(region, kFrameAlign, gfp, DS_SITE_FRAME, tag));
	if (!base_)
		return ds_alloc_errno(tag);
	tag_ = tag;
	cap_ = capacity;
	region_ = region;
	return 0;
}

Allocation TaskStack::allocate(size_t size, size_t align) noexcept
{
	if (!valid_align(align) || align > kFrameAlign || !base_)
		return {nullptr, nullptr, -DS_EINVAL};
	size_t need = align_up(size, kFrameAlign);
	if (need < size || need > cap_ - top_)
		return {nullptr, nullptr, -DS_ENOSPC};
	void *p = base_ + top_;
	top_ += need;
	if (top_ > high_)
		high_ = top_;
	live_++;
	return {p, this, 0};
}

void TaskStack::release(void *p, size_t size) noexcept
{
	size_t need = align_up(size, kFrameAlign);
	live_--;
	if (static_cast<char *>(p) + need == base_ + top_)
		top_ -= need;
	if (!live_)
		top_ = 0;
}

ReservePool::~ReservePool()
{
	if (pool_)
		ds_pool_destroy(pool_);
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
