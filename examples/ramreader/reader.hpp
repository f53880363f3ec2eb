// SPDX-License-Identifier: GPL-2.0
// BlockReader: the example's trait, in the runtime's hand-written style
// (kMethods, a method enum, probe(), a LayoutTable). read() copies the
// block at the reader's cursor and advances it; a call that fails (its
// frame could not be placed, or a nested call failed) leaves the cursor
// where it was.
#pragma once

#include <cstdint>

#include "rt/dyn.hpp"
#include "rt/future.hpp"

namespace rr {

using ds::Future;
using ds::Storage;

inline constexpr uint32_t kBlockSize = 512;
inline constexpr uint32_t kBlocks = 8;

class BlockReader {
public:
	static constexpr size_t kMethods = 1;
	enum Method : size_t { kRead };

	virtual ~BlockReader() = default;
	// Copies the block at the cursor into @out (kBlockSize bytes) and
	// yields the block number; kBlocks once past the end.
	virtual Future<uint32_t> read(Storage &s, uint8_t *out) = 0;
	virtual uint32_t cursor() const noexcept = 0;

	// The layout probe: Impl::read called statically, body never runs.
	template <class Impl>
	static void probe(Impl &r, size_t out[kMethods]) noexcept
	{
		out[kRead] = ds::probe_frame([&](Storage &p) { return r.Impl::read(p, nullptr); });
	}
};

// Ready at once: no frame, nothing asked of the storage.
class RamReader final : public BlockReader {
public:
	Future<uint32_t> read(Storage &s, uint8_t *out) override;
	uint32_t cursor() const noexcept override { return cur_; }

private:
	uint32_t cur_ = 0;
};

// Sleeps @delay_ns on an hrtimer before each block: a real suspension,
// resumed from the runtime's workqueue.
class SlowReader final : public BlockReader {
public:
	explicit SlowReader(uint64_t delay_ns = 0) noexcept : delay_(delay_ns) {}
	Future<uint32_t> read(Storage &s, uint8_t *out) override;
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
	Future<uint32_t> read(Storage &s, uint8_t *out) override;
	uint32_t cursor() const noexcept override { return inner_->cursor(); }

private:
	BlockReader *inner_;
	uint8_t key_;
};

} // namespace rr
