// SPDX-License-Identifier: GPL-2.0
// The VERSION operation's coroutine, exactly as the module runs it.
#include <gtest/gtest.h>

#include "fixture.h"
#include "ops/version_op.h"

namespace {

struct VersionWait {
	ds_version_op op;
	int calls = 0;
	int err = 1;
	bool async = false;
};

void on_complete(ds_version_op *op, int err, bool async)
{
	auto *w = reinterpret_cast<VersionWait *>(op);
	w->calls++;
	w->err = err;
	w->async = async;
}

} // namespace

using VersionOpTest = RuntimeTest;

TEST_F(VersionOpTest, SuspendsOnceAndCompletesFromWorker)
{
	VersionWait w{{&on_complete}};
	ds_version_op_start(&w.op);
	EXPECT_EQ(0, w.calls) << "must suspend, not complete inline";
	EXPECT_EQ(1u, host::run_pending());
	EXPECT_EQ(1, w.calls);
	EXPECT_EQ(0, w.err);
	EXPECT_TRUE(w.async);
}

TEST_F(VersionOpTest, EveryAllocationFailureCompletesOnceWithENOMEM)
{
	long n = 1;
	for (;; n++) {
		host::reset_alloc_counters();
		host::fail_nth(n);
		VersionWait w{{&on_complete}};
		ds_version_op_start(&w.op);
		host::run_pending();
		ASSERT_EQ(1, w.calls) << "n=" << n;
		ASSERT_EQ(0, ds_live_allocations()) << "n=" << n;
		if (!host::injected_failures()) {
			EXPECT_EQ(0, w.err);
			break;
		}
		EXPECT_EQ(-DS_ENOMEM, w.err) << "n=" << n;
		EXPECT_FALSE(w.async);
	}
	EXPECT_EQ(3, n) << "frame and task header, then success";
}
