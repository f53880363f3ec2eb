// SPDX-License-Identifier: GPL-2.0
// What the nth-sweep drives: freshly opened files of the device, each with
// one call path, and the module-wide accounting. `dynasync sweep`
// implements it over /dev/dynasync; host tests over a fake module, so the
// sweep's own logic (and that it catches a broken module) is tested
// without a kernel.
#pragma once

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "call_path.h"
#include "uapi/dynasync.h"

namespace harness {

enum class PathKind { kUring, kIoctl };

const char *path_kind_name(PathKind p);	// "uring", "ioctl"

// One open file of the device and the call path to it. Destroying it
// closes both (the ring first).
class SweepFile {
public:
	virtual ~SweepFile() = default;
	// Each returns 0 or -errno, as Device's.
	virtual int create(dynasync_create &c) = 0;
	virtual int destroy(uint32_t handle) = 0;
	virtual int stats(dynasync_stats &s) = 0;
	virtual int fault_set(const dynasync_fault_policy &p) = 0;
	virtual int fault_get(dynasync_fault_state &s) = 0;
	// Submits @c and waits for its completion; appends every completion
	// that arrived (exactly one is right) to @out. 0, or -errno when the
	// path itself failed (nothing was submitted).
	virtual int call(const dynasync_call &c, uint64_t user_data,
			 std::vector<Completion> &out) = 0;
	// Completions that arrived after their call's was reaped (none is
	// right): appends them to @out without waiting.
	virtual void stray(std::vector<Completion> &out) = 0;
};

class SweepEnv {
public:
	virtual ~SweepEnv() = default;
	// A freshly opened file with a call path of kind @path, or nullptr
	// and @error.
	virtual std::unique_ptr<SweepFile> open(PathKind path, std::string &error) = 0;
	// STATS through a file of its own that lives for the whole sweep:
	// the module-wide fields (live_allocs, strategy[]) are what it is for.
	virtual int module_stats(dynasync_stats &s) = 0;
	// Waits a little before STATS is read again (the module frees a
	// call's frames a moment after it reports the call).
	virtual void pause() = 0;
	// The kernel's per-task fail-nth (/proc/thread-self/fail-nth, debug
	// kernels): the nth fault point this thread passes from now on fails
	// (every fault_attr counts: failslab, fail_page_alloc, fail_dynasync,
	// fail_function); 0 disarms. 0 or -errno (-EOPNOTSUPP: not there).
	virtual int task_fail_nth(unsigned n)
	{
		(void)n;
		return -EOPNOTSUPP;
	}
	// What is left of it in @left: 0 once the armed fault was injected,
	// else n minus the fault points passed since it was armed.
	virtual int task_fail_nth_left(unsigned &left)
	{
		left = 0;
		return -EOPNOTSUPP;
	}
};

} // namespace harness
