// SPDX-License-Identifier: GPL-2.0
// BlockReader: the example's trait, declared once with DS_TRAIT
// (kmod/rt/trait.hpp: the method list, dyn dispatch, layout probe and the
// impl check come from one line per method). read() copies the block at
// the reader's cursor and advances it; a call that fails (its frame could
// not be placed, or a nested call failed) leaves the cursor where it was.
#pragma once

#include <cstdint>

#include "rt/dyn.hpp"
#include "rt/future.hpp"
#include "rt/trait.hpp"

namespace rr {

using ds::Future;
using ds::Storage;

inline constexpr uint32_t kBlockSize = 512;
inline constexpr uint32_t kBlocks = 8;

// read(out): copies the block at the cursor into @out (kBlockSize bytes)
// and yields the block number; kBlocks once past the end.
#define RR_BLOCK_READER_METHODS(X) X(kRead, uint32_t, read, uint8_t *)

class BlockReader {
	DS_TRAIT(BlockReader, RR_BLOCK_READER_METHODS)

public:
	virtual uint32_t cursor() const noexcept = 0;
};

// Ready at once: no frame, nothing asked of the storage.
class RamReader final : public BlockReader {
public:
	Future<uint32_t> read(uint8_t *out, Storage &s) override;
	uint32_t cursor() const noexcept override { return cur_; }

private:
	uint32_t cur_ = 0;
};

// Sleeps @delay_ns on an hrtimer before each block: a real suspension,
// resumed from the runtime's workqueue.
class SlowReader final : public BlockReader {
public:
	explicit SlowReader(uint64_t delay_ns = 0) noexcept : delay_(delay_ns) {}
	Future<uint32_t> read(uint8_t *out, Storage &s) override;
	uint32_t cursor() const noexcept override { return cur_; }

private:
	uint64_t delay_;
	uint32_t cur_ = 0;
};

// The adaptor: awaits its inner reader through dyn dispatch (a nested
// frame in the same storage), then XORs the block with @key.
class XorReader final : public BlockReader {
public:
	explicit XorReader(BlockReader *inner = nullptr, uint8_t key = 0) noexcept
		: inner_(inner), key_(key) {}
	Future<uint32_t> read(uint8_t *out, Storage &s) override;
	uint32_t cursor() const noexcept override { return inner_->cursor(); }

private:
	BlockReader *inner_;
	uint8_t key_;
};

} // namespace rr
