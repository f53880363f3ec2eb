// SPDX-License-Identifier: GPL-2.0
// Shared test fixture: every test starts with no injected faults and must
// end with no live allocations and no queued work.
#pragma once

#include <gtest/gtest.h>

#include "host_platform.h"

class RuntimeTest : public ::testing::Test {
protected:
	void SetUp() override { host::reset_alloc_counters(); }
	void TearDown() override
	{
		host::run_pending();
		host::fail_nth(0);
		EXPECT_EQ(0, ds_live_allocations()) << "leaked allocations";
		EXPECT_EQ(0u, host::pending()) << "work left queued";
	}
};
