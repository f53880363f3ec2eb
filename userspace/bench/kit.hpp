// SPDX-License-Identifier: GPL-2.0
// One storage of each strategy, set up the way the device sets up an
// object's storage: the inline slot and the reserve pool's elements sized
// exactly to the frame the layout probe reports (header included), the
// task stack a 4 KiB region. A Kit serves one call at a time, except the
// heap and the task stack, which serve any number.
#pragma once

#include <cstddef>

#include "rt/storage.hpp"

namespace bench {

inline constexpr ds::Strategy kStrategies[] = {
	ds::Strategy::Boxed,  ds::Strategy::Inline,    ds::Strategy::MaybeBoxed,
	ds::Strategy::Cached, ds::Strategy::TaskStack, ds::Strategy::Reserve,
};

class Kit {
public:
	static constexpr size_t kSlotMax = 512;
	static constexpr size_t kStackBytes = 16384; // 64 frames in flight (memory benchmark)

	Kit() = default;
	Kit(const Kit &) = delete;
	// @frame_total: the largest frame (header included) the calls ask.
	// 0 or a negative errno.
	int init(ds::Strategy which, size_t frame_total) noexcept;
	ds::Storage &storage() noexcept;
	ds::Strategy which() const noexcept { return which_; }
	ds::TaskStack &stack() noexcept { return stack_; }
	size_t slot_bytes() const noexcept { return slot_.capacity(); }

private:
	ds::Strategy which_ = ds::Strategy::Boxed;
	alignas(ds::kFrameAlign) unsigned char buf_[kSlotMax];
	ds::InlineSlot slot_;
	ds::MaybeBoxed maybe_{slot_};
	ds::Boxed boxed_;
	ds::Cached cached_;
	ds::TaskStack stack_;
	ds::ReservePool pool_;
};

} // namespace bench
