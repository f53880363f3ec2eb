// SPDX-License-Identifier: GPL-2.0
// The workload's storage fit (userspace/harness/workload_storage.cpp): how
// much of a task stack a call takes and the largest frame it places, from
// LAYOUT-like frame sizes. If these were wrong, setup would call storage
// safe that can answer -E2BIG/-ENOSPC, and a fault run would pass them.
#include <gtest/gtest.h>
#include <map>

#include "userspace/harness/workload_storage.h"

namespace {

using harness::FrameSize;
using harness::Spec;
using harness::largest_frame;
using harness::task_stack_need;

Spec leaf(uint32_t impl)
{
	Spec s;
	s.impl = impl;
	return s;
}

Spec over(uint32_t impl, std::vector<Spec> inner)
{
	Spec s = leaf(impl);
	s.inner = std::move(inner);
	return s;
}

// Sizes chosen so that rounding to 16 shows (40 -> 48, 100 -> 112).
const FrameSize kFrames = [](uint32_t impl, uint32_t method) -> uint64_t {
	static const std::map<std::pair<uint32_t, uint32_t>, uint64_t> sizes = {
		{ { DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_NEXT }, 40 },
		{ { DYNASYNC_IMPL_TICKER, DYNASYNC_METHOD_NEXT }, 130 },
		{ { DYNASYNC_IMPL_MAP, DYNASYNC_METHOD_NEXT }, 64 },
		{ { DYNASYNC_IMPL_TAKE, DYNASYNC_METHOD_NEXT }, 72 },
		{ { DYNASYNC_IMPL_CHAIN, DYNASYNC_METHOD_NEXT }, 100 },
		{ { DYNASYNC_IMPL_GADGET, DYNASYNC_METHOD_AUGMENT }, 200 },
		{ { DYNASYNC_IMPL_GADGET, DYNASYNC_METHOD_TRANSMIT }, 17 },
		{ { DYNASYNC_IMPL_GADGET, DYNASYNC_METHOD_COMPONENTS }, 0 },
	};
	if (method == DYNASYNC_METHOD_SUM)
		return 88;	// the same for every impl
	auto it = sizes.find({ impl, method });
	return it == sizes.end() ? 0 : it->second;
};

TEST(HarnessStorage, LeafFramesRoundUpTo16)
{
	EXPECT_EQ(48u, task_stack_need(leaf(DYNASYNC_IMPL_COUNTER), DYNASYNC_METHOD_NEXT, kFrames));
	EXPECT_EQ(144u, task_stack_need(leaf(DYNASYNC_IMPL_TICKER), DYNASYNC_METHOD_NEXT, kFrames));
	EXPECT_EQ(208u, task_stack_need(leaf(DYNASYNC_IMPL_GADGET), DYNASYNC_METHOD_AUGMENT, kFrames));
	EXPECT_EQ(32u, task_stack_need(leaf(DYNASYNC_IMPL_GADGET), DYNASYNC_METHOD_TRANSMIT, kFrames));
	EXPECT_EQ(0u, task_stack_need(leaf(DYNASYNC_IMPL_GADGET), DYNASYNC_METHOD_COMPONENTS, kFrames));
}

TEST(HarnessStorage, InnerFramesStackOnTheAdaptorsAndSumUnderNext)
{
	Spec map = over(DYNASYNC_IMPL_MAP, { leaf(DYNASYNC_IMPL_COUNTER) });
	EXPECT_EQ(64u + 48u, task_stack_need(map, DYNASYNC_METHOD_NEXT, kFrames));
	EXPECT_EQ(96u + 64u + 48u, task_stack_need(map, DYNASYNC_METHOD_SUM, kFrames));
	// A chain calls one inner at a time: the deeper one counts.
	Spec chain = over(DYNASYNC_IMPL_CHAIN,
			  { leaf(DYNASYNC_IMPL_COUNTER), leaf(DYNASYNC_IMPL_TICKER) });
	EXPECT_EQ(112u + 144u, task_stack_need(chain, DYNASYNC_METHOD_NEXT, kFrames));
	Spec nested = over(DYNASYNC_IMPL_TAKE, { chain });
	EXPECT_EQ(96u + 80u + 112u + 144u, task_stack_need(nested, DYNASYNC_METHOD_SUM, kFrames));
}

TEST(HarnessStorage, LargestFrameLooksIntoInnerObjects)
{
	Spec take = over(DYNASYNC_IMPL_TAKE, { leaf(DYNASYNC_IMPL_TICKER) });
	EXPECT_EQ(130u, largest_frame(take, DYNASYNC_METHOD_NEXT, kFrames));
	EXPECT_EQ(130u, largest_frame(take, DYNASYNC_METHOD_SUM, kFrames));
	Spec counter = leaf(DYNASYNC_IMPL_COUNTER);
	EXPECT_EQ(40u, largest_frame(counter, DYNASYNC_METHOD_NEXT, kFrames));
	EXPECT_EQ(88u, largest_frame(counter, DYNASYNC_METHOD_SUM, kFrames));
	EXPECT_EQ(200u, largest_frame(leaf(DYNASYNC_IMPL_GADGET), DYNASYNC_METHOD_AUGMENT, kFrames));
}

} // namespace
