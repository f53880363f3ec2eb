// SPDX-License-Identifier: GPL-2.0
// The C++ runtime symbols the compiler may emit calls to. Only the nothrow
// forms of operator new exist: a throwing new is left undefined on
// purpose, so any use fails the build at modpost. Blocks carry their size
// in a header so unsized delete frees and accounts exactly.
#include <cstddef>
#include <new>

#include "rt/platform.h"

namespace {

struct alignas(__STDCPP_DEFAULT_NEW_ALIGNMENT__) BlockHeader {
	size_t size;
};

void *block_alloc(size_t n) noexcept
{
	const size_t total = n + sizeof(BlockHeader);
	if (total < n)
		return nullptr;
	auto *h = static_cast<BlockHeader *>(
		ds_alloc(total, alignof(BlockHeader), DS_GFP_KERNEL, DS_SITE_MISC, nullptr));
	if (!h)
		return nullptr;
	h->size = total;
	return h + 1;
}

void block_free(void *p) noexcept
{
	if (!p)
		return;
	auto *h = static_cast<BlockHeader *>(p) - 1;
	ds_free(h, h->size, DS_SITE_MISC, nullptr);
}

} // namespace

void *operator new(size_t n, const std::nothrow_t &) noexcept
{
	return block_alloc(n);
}

void *operator new[](size_t n, const std::nothrow_t &) noexcept
{
	return block_alloc(n);
}

void operator delete(void *p) noexcept { block_free(p); }
void operator delete[](void *p) noexcept { block_free(p); }
void operator delete(void *p, size_t) noexcept { block_free(p); }
void operator delete[](void *p, size_t) noexcept { block_free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { block_free(p); }

// Referenced by new (std::nothrow); constant-initialized, no constructor.
namespace std {
constinit const nothrow_t nothrow{};
}
