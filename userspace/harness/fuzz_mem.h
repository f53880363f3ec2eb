// SPDX-License-Identifier: GPL-2.0
// User memory the fuzzer points the module at: a writable page, a hole
// (munmap'd) right after a second writable page so a struct can straddle
// into it, and a read-only page (a read-only view of a memfd page the
// fuzzer writes through a second, writable view: no mprotect per request,
// whose VMA splits cost as much as the request on a debug kernel).
// Pointers of every class are handed out from here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace harness::fuzz {

enum class Ptr : uint8_t { Good, Null, Unmapped, Straddle, Kernel, Misaligned, ReadOnly };

class Arena {
public:
	static constexpr size_t kPage = 4096;

	Arena() = default;
	~Arena();
	// Maps the pages; call after every other mapping the process needs
	// (io_uring rings), so none of them can fill the hole.
	bool map();
	Arena(const Arena &) = delete;
	Arena &operator=(const Arena &) = delete;
	bool ok() const { return base_ != nullptr; }
	// Still unmapped (nothing was mapped into the hole since).
	bool hole_intact() const;

	// Places @size bytes of @data where @kind says and returns the pointer
	// to pass (read-only: written through the writable view). @salt
	// picks the misalignment / straddle offset.
	void *place(Ptr kind, const void *data, size_t size, uint64_t salt);
	// Where a Good/Misaligned placement of @size lives (to read back).
	// Scratch for CALL outputs: slot @i of 64, 64-byte aligned.
	void *out_slot(unsigned i) { return out_ + 64 * (i % 64); }
	// A CALL's out_ptr of class @kind for output slot @slot (Good and
	// Misaligned ones are pre-filled with 0xa5 to see what is written).
	uint64_t out_ptr(Ptr kind, unsigned slot, uint64_t salt);

private:
	unsigned char *base_ = nullptr;	// [rw][rw: straddle][hole][ro][out]
	unsigned char *rw_ = nullptr, *edge_ = nullptr, *hole_ = nullptr, *ro_ = nullptr;
	unsigned char *out_ = nullptr;
	unsigned char *ro_writer_ = nullptr;	// the same page as ro_, writable
};

} // namespace harness::fuzz
