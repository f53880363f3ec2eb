// SPDX-License-Identifier: GPL-2.0
#include "sweep_fail_nth.h"

#include "sweep_ops.h"

namespace harness {

template <typename Op> int FailNthFile::op(Op &&do_op)
{
	uint64_t index = ops_++;
	last_was_target_ = index == target_;
	if (!last_was_target_)
		return do_op();
	reached_ = true;
	dynasync_fault_state before{}, after{};
	if (int r = f_.fault_get(before); r < 0)
		error_ = "FAULT_GET before the armed op: " + res_str(r);
	// Nothing of this thread may run between arming and the op: every
	// fault point it passed would be counted as the op's.
	if (int r = env_.task_fail_nth(n_); r < 0) {
		error_ = "arming fail-nth " + std::to_string(n_) + ": " + res_str(r);
		last_was_target_ = false;
		return do_op();
	}
	int res = do_op();
	unsigned left = 0;
	int r = env_.task_fail_nth_left(left);
	// Disarm before anything else: a fault point the op did not reach
	// must not fail the harness's own syscalls.
	int d = env_.task_fail_nth(0);
	if (r < 0 || d < 0) {
		error_ = "reading back fail-nth: " + res_str(r < 0 ? r : d);
		return res;
	}
	injected_ = left == 0;
	points_ = injected_ ? 0 : n_ - left;
	if (int g = f_.fault_get(after); g < 0) {
		error_ = "FAULT_GET after the armed op: " + res_str(g);
		return res;
	}
	attempted_ = sum_sites(after.attempted) - sum_sites(before.attempted);
	mod_injected_ = sum_sites(after.injected) - sum_sites(before.injected);
	// MISC's failed[] also counts kernel allocations outside the module's
	// allocator (uapi): those are not the op's module allocations.
	uint64_t misc = after.failed[DYNASYNC_SITE_MISC] - before.failed[DYNASYNC_SITE_MISC];
	mod_failed_ = sum_sites(after.failed) - sum_sites(before.failed) - misc;
	outside_failed_ = misc;
	return res;
}

int FailNthFile::create(dynasync_create &c)
{
	return op([&] { return f_.create(c); });
}

int FailNthFile::call(const dynasync_call &c, uint64_t user_data, std::vector<Completion> &out)
{
	return op([&] { return f_.call(c, user_data, out); });
}

} // namespace harness
