// SPDX-License-Identifier: GPL-2.0
// Storage: where a coroutine frame lives. The caller passes a Storage& to
// every async method; the promise's operator new finds it among the
// parameters. A storage either returns memory or a negative errno, never
// aborts. Each block is released through the owner recorded at allocation
// (FrameOwner), so a frame always goes back to where it came from even
// when the Storage object the caller passed is gone.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rt/platform.h"

namespace ds {

// Frames get the alignment global operator new would give them.
inline constexpr size_t kFrameAlign = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
// Largest alignment any storage honours; beyond it -EINVAL.
inline constexpr size_t kMaxAlign = 4096;

// Frees what a storage handed out. Must outlive every frame it owns.
class FrameOwner {
public:
	virtual void release(void *p, size_t size) noexcept = 0;

protected:
	constexpr FrameOwner() = default;
	~FrameOwner() = default;
};

struct Allocation {
	void *ptr;		// nullptr on failure
	FrameOwner *owner;	// who frees ptr
	int err;		// negative errno when ptr is nullptr
};

class Storage {
public:
	// @size bytes aligned to @align (power of two).
	virtual Allocation allocate(size_t size, size_t align) noexcept = 0;

protected:
	constexpr Storage() = default;
	~Storage() = default;
};

// Boxed: one kmalloc per frame with the caller's GFP class; -ENOMEM.
class Boxed final : public Storage {
public:
	constexpr explicit Boxed(ds_gfp gfp = DS_GFP_KERNEL) : gfp_(gfp) {}
	Allocation allocate(size_t size, size_t align) noexcept override;

private:
	ds_gfp gfp_;
};

} // namespace ds
