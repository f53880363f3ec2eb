// SPDX-License-Identifier: GPL-2.0
#include "rt/storage.hpp"

namespace ds {
namespace {

// Boxed frames need no per-call state to be freed: one shared owner.
class HeapOwner final : public FrameOwner {
public:
	constexpr HeapOwner() = default;
	void release(void *p, size_t size) noexcept override
	{
		ds_free(p, size, DS_SITE_FRAME);
	}
};

constinit HeapOwner heap_owner;

} // namespace

Allocation Boxed::allocate(size_t size, size_t align) noexcept
{
	if (align > kMaxAlign || (align & (align - 1)))
		return {nullptr, nullptr, -DS_EINVAL};
	void *p = ds_alloc(size, align, gfp_, DS_SITE_FRAME);
	if (!p)
		return {nullptr, nullptr, -DS_ENOMEM};
	return {p, &heap_owner, 0};
}

} // namespace ds
