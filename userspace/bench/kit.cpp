// SPDX-License-Identifier: GPL-2.0
#include "kit.hpp"

namespace bench {

int Kit::init(ds::Strategy which, size_t frame_total) noexcept
{
	which_ = which;
	const size_t slot = ds::align_up(frame_total, ds::kFrameAlign);
	switch (which) {
	case ds::Strategy::Inline:
	case ds::Strategy::MaybeBoxed:
		if (slot > kSlotMax)
			return -DS_E2BIG;
		slot_ = ds::InlineSlot(buf_, slot);
		return 0;
	case ds::Strategy::TaskStack:
		return stack_.init(kStackBytes);
	case ds::Strategy::Reserve:
		return pool_.init(frame_total, 4);
	default:
		return 0;
	}
}

ds::Storage &Kit::storage() noexcept
{
	switch (which_) {
	case ds::Strategy::Inline: return slot_;
	case ds::Strategy::MaybeBoxed: return maybe_;
	case ds::Strategy::Cached: return cached_;
	case ds::Strategy::TaskStack: return stack_;
	case ds::Strategy::Reserve: return pool_;
	default: return boxed_;
	}
}

} // namespace bench
