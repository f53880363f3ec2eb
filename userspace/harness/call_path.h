// SPDX-License-Identifier: GPL-2.0
// How calls reach the module: io_uring (IORING_OP_URING_CMD, many in
// flight) or blocking DYNASYNC_IOC_CALL ioctls (one at a time). The
// workload drives both through this interface, so the verification is the
// same code for either path.
#pragma once

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "device.h"

namespace harness {

struct Completion {
	uint64_t user_data;
	int res;	// the method's result or -errno
};

class CallPath {
public:
	virtual ~CallPath() = default;
	virtual const char *name() const = 0;
	// Calls that can be in the module at once (1 for ioctl).
	virtual unsigned depth() const = 0;
	// Queues one call. Its out_ptr must stay valid until it completes.
	// 0 or -errno (the submission queue is full: submit first).
	virtual int queue(const dynasync_call &call, uint64_t user_data) = 0;
	// Queues an IORING_OP_NOP (the benchmark's baseline): 0, -EBUSY as
	// queue(), or -EOPNOTSUPP on a path that is not a ring.
	virtual int queue_nop(uint64_t user_data) { (void)user_data; return -EOPNOTSUPP; }
	// Hands the queued calls to the module: how many, or -errno.
	virtual int submit() = 0;
	// Waits up to @timeout_ms for @min completions and appends every one
	// available to @out. Returns how many it appended, or -errno (-ETIME:
	// the timeout passed first; some may still have been appended).
	virtual int reap(unsigned min, int timeout_ms, std::vector<Completion> &out) = 0;
	// Completions posted and not yet reaped: calls that left the module.
	virtual unsigned ready() const = 0;
};

// The io_uring path: a ring of at least @depth entries set up with
// IORING_SETUP_SQE128, which the module requires for its 64-byte command.
std::unique_ptr<CallPath> open_uring_path(const Device &dev, unsigned depth,
					  std::string &error);
// The blocking ioctl path.
std::unique_ptr<CallPath> open_ioctl_path(const Device &dev);

} // namespace harness
