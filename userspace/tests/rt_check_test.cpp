// SPDX-License-Identifier: GPL-2.0
// The module's runtime self-check scenarios (DYNASYNC_IOC_RT_CHECK), run
// on the host platform: same code, sanitizers watching.
#include <gtest/gtest.h>

#include "drive.hpp"
#include "fixture.h"
#include "ops/rt_check_op.h"

namespace {

struct Wait {
	ds_rt_check_op op;
	int calls = 0;
	int err = 1;
};

void on_complete(ds_rt_check_op *op, int err)
{
	auto *w = reinterpret_cast<Wait *>(op);
	w->calls++;
	w->err = err;
}

class RtCheck : public RuntimeTest, public ::testing::WithParamInterface<unsigned> {
protected:
	static void SetUpTestSuite() { ds_rt_init(); }
};

TEST_P(RtCheck, ScenarioPasses)
{
	const uint64_t expected[] = {0, 9, 44, 5, 45, 16, 615};
	const unsigned checks[] = {0, 2, 8, 3, 5, 6, 3};
	Wait w{};
	w.op.strategy = GetParam();
	w.op.complete = &on_complete;
	ASSERT_EQ(0, ds_rt_check_start(&w.op));
	drive();
	ASSERT_EQ(1, w.calls);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(0u, w.op.failed_check) << "check " << w.op.failed_check << " failed";
	EXPECT_EQ(checks[GetParam()], w.op.checks);
	EXPECT_EQ(expected[GetParam()], w.op.value);
	EXPECT_EQ(0, ds_rt_live_frames(true));
	EXPECT_GT(ds_rt_iterator_slot_size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Strategies, RtCheck, ::testing::Range(1u, 7u));

TEST(RtCheckInput, UnknownStrategyIsEINVALWithoutCompletion)
{
	Wait w{};
	w.op.complete = &on_complete;
	w.op.strategy = 0;
	EXPECT_EQ(-DS_EINVAL, ds_rt_check_start(&w.op));
	w.op.strategy = 7;
	EXPECT_EQ(-DS_EINVAL, ds_rt_check_start(&w.op));
	EXPECT_EQ(0, w.calls);
}

} // namespace
