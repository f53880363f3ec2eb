// SPDX-License-Identifier: GPL-2.0
// IORING_OP_URING_CMD submission of struct dynasync_call, via liburing 2.3.
#include <cerrno>
#include <cstring>
#include <liburing.h>

#include "call_path.h"

namespace harness {

namespace {

// The command area of a 128-byte SQE: 80 bytes from sqe->cmd.
constexpr size_t kCmdBytes = 80;
static_assert(sizeof(dynasync_call) <= kCmdBytes, "dynasync_call must fit an SQE128 command");

class UringPath final : public CallPath {
public:
	UringPath(int fd, unsigned depth) : fd_(fd), depth_(depth) {}
	~UringPath() override
	{
		if (ready_)
			io_uring_queue_exit(&ring_);
	}

	int init()
	{
		io_uring_params p{};
		p.flags = IORING_SETUP_SQE128;
		// The CQ ring is twice the SQ ring by default; with at most
		// depth_ calls in flight it cannot overflow.
		int r = io_uring_queue_init_params(depth_, &ring_, &p);
		if (r < 0)
			return r;
		ready_ = true;
		if (!(p.features & IORING_FEAT_EXT_ARG)) {
			// reap()'s timeout needs it (Linux 5.11+).
			return -EOPNOTSUPP;
		}
		return 0;
	}

	const char *name() const override { return "io_uring"; }
	unsigned depth() const override { return depth_; }

	int queue(const dynasync_call &call, uint64_t user_data) override
	{
		io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
		if (!sqe)
			return -EBUSY;
		// liburing 2.3 has no io_uring_prep_uring_cmd: prep_rw zeroes
		// the common fields, then the command goes in place.
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd_, nullptr, 0, 0);
		sqe->cmd_op = DYNASYNC_IOC_CALL;
		// The second half of an SQE128 is not cleared by prep_rw: zero
		// the whole command area so no stale bytes reach the module.
		std::memset(sqe->cmd, 0, kCmdBytes);
		std::memcpy(sqe->cmd, &call, sizeof(call));
		io_uring_sqe_set_data64(sqe, user_data);
		return 0;
	}

	int queue_nop(uint64_t user_data) override
	{
		io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, user_data);
		return 0;
	}

	int submit() override { return io_uring_submit(&ring_); }

	unsigned ready() const override
	{
		return io_uring_cq_ready(const_cast<io_uring *>(&ring_));
	}

	int reap(unsigned min, int timeout_ms, std::vector<Completion> &out) override
	{
		__kernel_timespec ts{};
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
		io_uring_cqe *cqe = nullptr;
		int r = io_uring_wait_cqes(&ring_, &cqe, min, &ts, nullptr);
		if (r < 0 && r != -ETIME && r != -EINTR)
			return r;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&ring_, head, cqe) {
			out.push_back({ cqe->user_data, cqe->res });
			n++;
		}
		io_uring_cq_advance(&ring_, n);
		if (n == 0 && r < 0)
			return r == -EINTR ? -ETIME : r;
		return static_cast<int>(n);
	}

private:
	io_uring ring_{};
	int fd_;
	unsigned depth_;
	bool ready_ = false;
};

} // namespace

std::unique_ptr<CallPath> open_uring_path(const Device &dev, unsigned depth,
					  std::string &error)
{
	auto path = std::make_unique<UringPath>(dev.fd(), depth);
	int r = path->init();
	if (r < 0) {
		error = std::string("io_uring setup (SQE128, ") + std::to_string(depth) +
			" entries) failed: " + std::strerror(-r);
		if (r == -EOPNOTSUPP)
			error += " (the kernel lacks IORING_FEAT_EXT_ARG)";
		else if (r == -EPERM)
			error += " (io_uring disabled: sysctl kernel.io_uring_disabled?)";
		else if (r == -ENOMEM)
			error += " (RLIMIT_MEMLOCK too low for the ring?)";
		return nullptr;
	}
	return path;
}

} // namespace harness
