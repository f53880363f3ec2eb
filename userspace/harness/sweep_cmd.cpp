// SPDX-License-Identifier: GPL-2.0
#include "sweep_cmd.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

#include "device.h"
#include "names.h"
#include "sweep.h"
#include "sweep_ops.h"

namespace harness {

namespace {

// A file of the device with its own ring (or the ioctl path).
class DeviceFile final : public SweepFile {
public:
	DeviceFile(Device dev, int timeout_ms) : dev_(std::move(dev)), timeout_ms_(timeout_ms) {}

	bool init(PathKind kind, std::string &error)
	{
		if (kind == PathKind::kIoctl) {
			path_ = open_ioctl_path(dev_);
			return true;
		}
		// One call at a time: a small ring is plenty.
		path_ = open_uring_path(dev_, 4, error);
		return path_ != nullptr;
	}

	int create(dynasync_create &c) override { return dev_.create(c); }
	int destroy(uint32_t h) override { return dev_.destroy(h); }
	int stats(dynasync_stats &s) override { return dev_.stats(s); }
	int fault_set(const dynasync_fault_policy &p) override { return dev_.fault_set(p); }
	int fault_get(dynasync_fault_state &s) override { return dev_.fault_get(s); }

	int call(const dynasync_call &c, uint64_t user_data, std::vector<Completion> &out) override
	{
		int r = path_->queue(c, user_data);
		if (r < 0)
			return r;
		r = path_->submit();
		if (r != 1)
			return r < 0 ? r : -EIO;
		// Every call ends within the module's deadline cap; past that
		// (and a margin for the emulated VM) it is lost.
		r = path_->reap(1, timeout_ms_, out);
		if (r < 0 && r != -ETIME)
			return r;
		// A duplicate would be right behind the first: take what is there.
		stray(out);
		return 0;
	}

	void stray(std::vector<Completion> &out) override
	{
		if (path_->ready())
			path_->reap(0, 0, out);
	}

private:
	Device dev_;	// declared first: the ring closes before the file
	std::unique_ptr<CallPath> path_;
	int timeout_ms_;
};

class DeviceEnv final : public SweepEnv {
public:
	DeviceEnv(const char *path, Device stats_dev)
		: path_(path), stats_dev_(std::move(stats_dev)),
		  timeout_ms_(static_cast<int>(module_param("max_call_ms", 10000)) + 5000)
	{
	}

	std::unique_ptr<SweepFile> open(PathKind kind, std::string &error) override
	{
		Device d = Device::open(path_);
		if (d.fd() < 0) {
			error = d.error();
			return nullptr;
		}
		auto f = std::make_unique<DeviceFile>(std::move(d), timeout_ms_);
		if (!f->init(kind, error))
			return nullptr;
		return f;
	}

	~DeviceEnv() override
	{
		if (fail_nth_fd_ >= 0)
			close(fail_nth_fd_);
	}

	int module_stats(dynasync_stats &s) override { return stats_dev_.stats(s); }
	void pause() override { usleep(1000); }

	// /proc/thread-self/fail-nth, opened once (the sweep is one thread):
	// arming and reading back are then one syscall each, and neither
	// passes a fault point.
	int task_fail_nth(unsigned n) override
	{
		if (int r = open_fail_nth(); r < 0)
			return r;
		char buf[16];
		int len = std::snprintf(buf, sizeof(buf), "%u", n);
		if (pwrite(fail_nth_fd_, buf, len, 0) != len)
			return -errno;
		return 0;
	}

	int task_fail_nth_left(unsigned &left) override
	{
		if (int r = open_fail_nth(); r < 0)
			return r;
		char buf[16] = {};
		ssize_t len = pread(fail_nth_fd_, buf, sizeof(buf) - 1, 0);
		if (len <= 0)
			return len < 0 ? -errno : -EIO;
		char *end = nullptr;
		unsigned long v = std::strtoul(buf, &end, 10);
		if (end == buf || v > UINT_MAX)
			return -EIO;
		left = static_cast<unsigned>(v);
		return 0;
	}

private:
	int open_fail_nth()
	{
		if (fail_nth_fd_ >= 0)
			return 0;
		fail_nth_fd_ = ::open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		if (fail_nth_fd_ < 0)
			return errno == ENOENT ? -EOPNOTSUPP : -errno;
		return 0;
	}

	const char *path_;
	Device stats_dev_;
	int timeout_ms_;
	int fail_nth_fd_ = -1;
};

} // namespace

int cmd_sweep(const char *device_path, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
			std::fputs(kSweepUsage, stdout);
			return 0;
		}
	}
	SweepOptions opt = default_sweep_options();
	std::string err;
	if (!parse_sweep_options(argc, argv, opt, err)) {
		std::fprintf(stderr, "dynasync sweep: %s\n\n%s", err.c_str(), kSweepUsage);
		return 2;
	}
	Device stats_dev = Device::open(device_path);
	if (stats_dev.fd() < 0) {
		std::fprintf(stderr, "dynasync sweep: %s\n", stats_dev.error().c_str());
		SweepResult none;
		none.totals.violations = 1;
		std::printf("%s\n", format_verdict(none, opt.kernel_fail_nth).c_str());
		return 1;
	}
	DeviceEnv env(device_path, std::move(stats_dev));
	if (opt.kernel_fail_nth) {
		unsigned left = 0;
		int r = env.task_fail_nth_left(left);
		if (r < 0) {
			std::fprintf(stderr, "dynasync sweep: --kernel-fail-nth: "
					     "/proc/thread-self/fail-nth: %s (the kernel needs "
					     "CONFIG_FAULT_INJECTION)\n",
				     res_str(r).c_str());
			SweepResult none;
			none.totals.violations = 1;
			std::printf("%s\n", format_verdict(none, true).c_str());
			return 1;
		}
	}

	uint64_t runs = 0;
	SweepSinks sinks;
	sinks.violation = [](const std::string &what) {
		std::fprintf(stderr, "violation: %s\n", what.c_str());
	};
	sinks.resweep = [](const std::string &what) {
		std::fprintf(stderr, "note: %s\n", what.c_str());
	};
	sinks.nth = [&](const ComboResult &c, const NthRecord &rec) {
		runs++;
		if (!opt.verbose)
			return;
		std::string at = rec.injected_at.empty()
					 ? "nothing injected"
					 : "injected at " + rec.injected_at +
						   (rec.absorbed ? " (absorbed)" : " (-ENOMEM)");
		if (opt.kernel_fail_nth) {
			std::fprintf(stderr,
				     "%s/%s/%s op=%llu fail-nth=%llu: %s; module: %llu injected, "
				     "%llu failed; %s, %u ops\n",
				     strategy_name(c.strategy), shape_name(c.shape),
				     path_kind_name(c.path), static_cast<unsigned long long>(rec.op),
				     static_cast<unsigned long long>(rec.n),
				     rec.kernel_injected ? "injected" : "not reached",
				     static_cast<unsigned long long>(rec.module_injected),
				     static_cast<unsigned long long>(rec.module_failed),
				     rec.injected_at.empty() ? "every op succeeded"
							     : ("first failure at " + rec.injected_at).c_str(),
				     rec.ops);
			return;
		}
		std::fprintf(stderr, "%s/%s/%s n=%llu: %s; %llu candidates, %u ops\n",
			     strategy_name(c.strategy), shape_name(c.shape), path_kind_name(c.path),
			     static_cast<unsigned long long>(rec.n), at.c_str(),
			     static_cast<unsigned long long>(rec.candidates), rec.ops);
	};

	auto start = std::chrono::steady_clock::now();
	SweepResult r = run_sweep(env, opt, sinks);
	double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

	std::fputs(format_table(r, opt).c_str(), stdout);
	std::printf("%zu combinations, %llu runs (one open file each) in %.1f s; "
		    "%llu SUM(s) failed after taking items (kept, as the model allows)\n",
		    r.combos.size(), static_cast<unsigned long long>(runs), secs,
		    static_cast<unsigned long long>(r.totals.sum_partial));
	if (opt.kernel_fail_nth) {
		uint64_t resweeps = 0;
		for (const ComboResult &c : r.combos)
			resweeps += c.resweeps;
		std::printf("%llu op(s) swept again because a fault point moved between runs "
			    "(the exact coverage must hold in one of 3 passes)\n",
			    static_cast<unsigned long long>(resweeps));
	}
	if (!r.passed())
		std::fprintf(stderr, "%llu violation(s), listed above\n",
			     static_cast<unsigned long long>(r.totals.violations));
	std::fflush(stderr);
	std::printf("%s\n", format_verdict(r, opt.kernel_fail_nth).c_str());
	return r.passed() ? 0 : 1;
}

} // namespace harness
