// SPDX-License-Identifier: GPL-2.0
// Processes that die with calls in flight. A forker thread forks one child
// at a time; the child makes tickers on its own file and on the parent's
// shared file 0 (and calls the parent's pooled handles there too, as they
// were at fork), submits NEXT/SUM calls through its own ring, blocks a
// second thread in a CALL ioctl, reports what it submitted, and then
// _exit()s at once, _exit()s a moment later, tears its ring down first,
// or waits to be SIGKILLed. Nobody reaps those calls ("unobserved"): the
// shared file's STATS must still settle (calls == completions) and the
// module's live allocations return to the baseline.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "names.h"
#include "stress_impl.h"

namespace harness::stress {

namespace {

enum Mode { kExit, kExitLater, kCloseRingFirst, kKilled, kModes };

struct Report {
	long submitted = -1;	// calls in flight, or -errno
	long inflight = 0;	// STATS.inflight of its files just before
};

uint32_t child_ticker(Rng &rng, int fd)
{
	dynasync_create c{};
	c.trait = DYNASYNC_TRAIT_ITERATOR;
	c.impl = DYNASYNC_IMPL_TICKER;
	c.param[0] = 200000 + rng() % 2000000;
	c.param[1] = uint64_t{1} << 40;
	c.storage = stress_storage(1 + rng() % DYNASYNC_STRATEGY_MAX);
	return xioctl(fd, DYNASYNC_IOC_CREATE, &c) == 0 ? c.handle : 0;
}

[[noreturn]] void child_main(Shared &s, uint64_t seed, int report_fd, Mode mode)
{
	Rng rng(seed);
	const int shared_fd = s.files[0]->fd;
	const int own_fd = open(s.device.c_str(), O_RDWR | O_CLOEXEC);
	struct Target {
		int fd;
		uint32_t handle;
	};
	std::vector<Target> targets;
	const unsigned k = 4 + rng() % 9;
	for (unsigned i = 0; i < k; i++) {
		const int fd = own_fd >= 0 && i % 2 ? own_fd : shared_fd;
		if (uint32_t h = child_ticker(rng, fd))
			targets.push_back({ fd, h });
	}
	// The parent's iterators as they were at fork: busy, gone or callable.
	Pick p;
	for (unsigned i = 0; i < 6; i++)
		if (pick_obj(*s.files[0], 0, rng, DYNASYNC_TRAIT_ITERATOR, p))
			targets.push_back({ shared_fd, p.obj.handle });

	// A second thread blocked in the CALL ioctl when the process dies.
	std::atomic<bool> entered{false};
	static dynasync_call_out blocked_out;
	const int bfd = own_fd >= 0 ? own_fd : shared_fd;
	const uint32_t bh = child_ticker(rng, bfd);
	if (bh) {
		std::thread([&entered, bfd, bh] {
			dynasync_call c{};
			c.handle = bh;
			c.method = DYNASYNC_METHOD_SUM;
			c.arg[0] = 64;
			c.out_ptr = reinterpret_cast<uintptr_t>(&blocked_out);
			entered.store(true);
			xioctl(bfd, DYNASYNC_IOC_CALL, &c);
		}).detach();
	}

	Report rep;
	io_uring ring;
	io_uring_params params{};
	params.flags = IORING_SETUP_SQE128;
	int r = io_uring_queue_init_params(32, &ring, &params);
	if (r < 0) {
		rep.submitted = r;
		(void)!write(report_fd, &rep, sizeof(rep));
		_exit(2);
	}
	static dynasync_call_out outs[32];
	unsigned n = 0;
	for (const Target &t : targets) {
		if (n == 32)
			break;
		io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		if (!sqe)
			break;
		dynasync_call c{};
		c.handle = t.handle;
		c.method = rng() % 2 ? DYNASYNC_METHOD_NEXT : DYNASYNC_METHOD_SUM;
		c.arg[0] = c.method == DYNASYNC_METHOD_SUM ? 1 + rng() % 8 : 0;
		c.out_ptr = reinterpret_cast<uintptr_t>(&outs[n]);
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, t.fd, nullptr, 0, 0);
		sqe->cmd_op = DYNASYNC_IOC_CALL;
		std::memset(sqe->cmd, 0, 80);
		std::memcpy(sqe->cmd, &c, sizeof(c));
		n++;
	}
	r = io_uring_submit(&ring);
	rep.submitted = r < 0 ? r : r + (bh ? 1 : 0);
	for (int i = 0; i < 1000 && bh && !entered.load(); i++)
		usleep(100);
	for (int fd : { shared_fd, own_fd }) {
		dynasync_stats st{};
		if (fd >= 0 && xioctl(fd, DYNASYNC_IOC_STATS, &st) == 0)
			rep.inflight += st.inflight;
	}
	if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(3);
	switch (mode) {
	case kExitLater:
		usleep(rng() % 3000);
		break;
	case kCloseRingFirst:
		io_uring_queue_exit(&ring);
		break;
	case kKilled: {
		// Killed while waiting for completions in io_uring_enter.
		io_uring_cqe *cqe;
		io_uring_wait_cqe_nr(&ring, &cqe, n ? n : 1);
		for (;;)
			pause();
	}
	default:
		break;
	}
	_exit(r < 0 ? 2 : 0);
}

bool read_report(int fd, Report &rep, long timeout_ms)
{
	pollfd pfd{ fd, POLLIN, 0 };
	if (poll(&pfd, 1, static_cast<int>(timeout_ms)) != 1)
		return false;
	return read(fd, &rep, sizeof(rep)) == sizeof(rep);
}

} // namespace

void forker_worker(Shared &s, Counts &c, uint64_t seed)
{
	Rng rng(seed);
	while (!s.stopped()) {
		const Mode mode = static_cast<Mode>(rng() % kModes);
		const uint64_t child_seed = rng();
		int pfd[2];
		if (pipe2(pfd, O_CLOEXEC) < 0) {
			c.fail(std::string("pipe: ") + errno_name(errno));
			return;
		}
		pid_t pid = fork();
		if (pid < 0) {
			c.fail(std::string("fork: ") + errno_name(errno));
			close(pfd[0]);
			close(pfd[1]);
			return;
		}
		if (pid == 0) {
			close(pfd[0]);
			child_main(s, child_seed, pfd[1], mode);
		}
		close(pfd[1]);
		Report rep;
		const bool got = read_report(pfd[0], rep, s.max_call_ms + 5000);
		close(pfd[0]);
		if (mode == kKilled || !got) {
			usleep(rng() % 10000);
			kill(pid, SIGKILL);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		c.children++;
		if (!got || rep.submitted < 0) {
			c.fail("child " + std::to_string(pid) + ": no report (" +
			       (got ? errno_name(static_cast<int>(-rep.submitted)) : "none") + ")");
			continue;
		}
		c.ops += rep.submitted;
		c.unobserved += rep.submitted;
		c.outcomes["unobserved"] += rep.submitted;
		c.children_busy += rep.inflight > 0;
		const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		c.children_killed += killed;
		const bool expected = mode == kKilled ? killed
						      : WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (!expected)
			c.fail("child " + std::to_string(pid) + " (mode " + std::to_string(mode) +
			       "): wait status " + std::to_string(status));
		usleep(rng() % 20000);
	}
}

} // namespace harness::stress
