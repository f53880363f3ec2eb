// SPDX-License-Identifier: GPL-2.0
// Blocking DYNASYNC_IOC_CALL: each queued call runs to completion at once,
// and its result waits in a list until reap() hands it out.
#include "call_path.h"

namespace harness {

namespace {

class IoctlPath final : public CallPath {
public:
	explicit IoctlPath(const Device &dev) : dev_(dev) {}

	const char *name() const override { return "ioctl"; }
	unsigned depth() const override { return 1; }

	int queue(const dynasync_call &call, uint64_t user_data) override
	{
		done_.push_back({ user_data, dev_.call(call) });
		ran_++;
		return 0;
	}

	// The calls already ran; report them as submitted, like the ring.
	int submit() override
	{
		int n = ran_;
		ran_ = 0;
		return n;
	}

	unsigned ready() const override { return static_cast<unsigned>(done_.size()); }

	int reap(unsigned, int, std::vector<Completion> &out) override
	{
		int n = static_cast<int>(done_.size());
		out.insert(out.end(), done_.begin(), done_.end());
		done_.clear();
		return n;
	}

private:
	const Device &dev_;
	std::vector<Completion> done_;
	int ran_ = 0;
};

} // namespace

std::unique_ptr<CallPath> open_ioctl_path(const Device &dev)
{
	return std::make_unique<IoctlPath>(dev);
}

} // namespace harness
