// SPDX-License-Identifier: GPL-2.0
#include "fuzz_mem.h"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

namespace harness::fuzz {

namespace {
constexpr size_t kPages = 5;
}

bool Arena::map()
{
	// The writable view first: nothing mapped after the arena may land in
	// its hole.
	int fd = memfd_create("dynasync-fuzz-ro", MFD_CLOEXEC);
	if (fd < 0)
		return false;
	void *w = MAP_FAILED;
	if (ftruncate(fd, kPage) == 0)
		w = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	void *p = w == MAP_FAILED ? MAP_FAILED
				  : mmap(nullptr, kPages * kPage, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		if (w != MAP_FAILED)
			munmap(w, kPage);
		close(fd);
		return false;
	}
	ro_writer_ = static_cast<unsigned char *>(w);
	base_ = static_cast<unsigned char *>(p);
	rw_ = base_;
	edge_ = base_ + kPage;
	hole_ = base_ + 2 * kPage;
	ro_ = base_ + 3 * kPage;
	out_ = base_ + 4 * kPage;
	bool ok = munmap(hole_, kPage) == 0 &&
		  mmap(ro_, kPage, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == ro_;
	close(fd);
	if (!ok) {
		munmap(base_, kPages * kPage);
		base_ = nullptr;
	}
	return base_ && hole_intact();
}

Arena::~Arena()
{
	if (ro_writer_)
		munmap(ro_writer_, kPage);
	if (!base_)
		return;
	munmap(base_, 2 * kPage);
	munmap(ro_, 2 * kPage);
}

bool Arena::hole_intact() const
{
	// msync() on an unmapped range fails with ENOMEM.
	return msync(hole_, kPage, MS_ASYNC) == -1 && errno == ENOMEM;
}

void *Arena::place(Ptr kind, const void *data, size_t size, uint64_t salt)
{
	switch (kind) {
	case Ptr::Good:
		std::memcpy(rw_, data, size);
		return rw_;
	case Ptr::Null:
		return nullptr;
	case Ptr::Unmapped:
		return hole_ + salt % (kPage - size);
	case Ptr::Straddle: {
		// Starts 1..size-1 bytes before the hole; what fits is written.
		size_t in = 1 + salt % (size - 1);
		unsigned char *p = hole_ - in;
		std::memcpy(p, data, in);
		return p;
	}
	case Ptr::Kernel:
		// The direct map and the kernel text: never user memory.
		return reinterpret_cast<void *>(salt & 1 ? 0xffff888000000000ULL + (salt & 0xffff000)
							 : 0xffffffff81000000ULL);
	case Ptr::Misaligned: {
		unsigned char *p = rw_ + 1 + salt % 7;
		std::memcpy(p, data, size);
		return p;
	}
	case Ptr::ReadOnly:
		std::memcpy(ro_writer_, data, size);
		return ro_;
	}
	return nullptr;
}

uint64_t Arena::out_ptr(Ptr kind, unsigned slot, uint64_t salt)
{
	unsigned char *p;
	switch (kind) {
	case Ptr::Good:
	case Ptr::Misaligned:
		p = static_cast<unsigned char *>(out_slot(slot));
		std::memset(p, 0xa5, 64);
		return reinterpret_cast<uint64_t>(kind == Ptr::Good ? p : p + 1 + salt % 7);
	case Ptr::Null:
		return 0;
	case Ptr::Unmapped:
		return reinterpret_cast<uint64_t>(hole_ + 64 * (salt % 60));
	case Ptr::Straddle:
		return reinterpret_cast<uint64_t>(hole_ - 1 - salt % 23);
	case Ptr::Kernel:
		return reinterpret_cast<uint64_t>(place(Ptr::Kernel, nullptr, 0, salt));
	case Ptr::ReadOnly:
		return reinterpret_cast<uint64_t>(ro_ + 64 * (salt % 60));
	}
	return 0;
}

} // namespace harness::fuzz
