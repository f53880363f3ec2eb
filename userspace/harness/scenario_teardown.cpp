// SPDX-License-Identifier: GPL-2.0
// `dynasync teardown --how H`: calls in flight when their file or their
// ring goes away, with fault policies armed.
//
// K objects (tickers, and adaptors over tickers, over every strategy) get
// one call each (NEXT or SUM(1..4): tens of milliseconds asleep on the
// tickers' hrtimers) through one io_uring submission at queue depth K,
// with the file's policy (--fault) and optionally the module-wide one
// (--global-fault, debugfs) armed. Then:
//   close        the file is closed; the process then reaps every CQE:
//                each call completes exactly once, with the right value or
//                an -ENOMEM the injector explains (out.injected > 0)
//   close-ring   the file and the ring are closed, nothing reaped
//   exit         a child that owns the file and the ring submits and exits
//   kill         ... is SIGKILLed while it waits in io_uring_enter
//   exit-shared, kill-shared
//                the same, but the file is the parent's: its STATS must
//                show every call completed once (calls == completions)
// Outcomes nobody reaps are counted as "unobserved" on the verdict line.
// Afterwards (the global policy disarmed) a fresh open polls STATS for up
// to max_call_ms + 5 s until every live allocation and live frame is 0;
// whatever remains is "leaked". rmmod after the scenarios is vm-init's.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <liburing.h>
#include <optional>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "scenario_cmds.h"
#include "scenario_util.h"

namespace harness::scenario {

namespace {

constexpr uint64_t kEndless = uint64_t{1} << 40;
constexpr size_t kCmdBytes = 80;	// an SQE128's command area

// The calls of one ring, and the memory their outputs go to: it must stay
// mapped until every call completed (a torn-down ring still writes it).
struct Batch {
	std::vector<uint32_t> handles;
	std::vector<Spec> specs;
	std::vector<dynasync_call> calls;
	std::vector<dynasync_call_out> outs;
};

Spec ticker(uint64_t period, uint64_t count)
{
	Spec s;
	s.impl = DYNASYNC_IMPL_TICKER;
	s.param[0] = period;
	s.param[1] = count;
	return s;
}

Spec kind_spec(unsigned kind, uint64_t period)
{
	Spec s;
	switch (kind % 4) {
	case 0:
		return ticker(period, kEndless);
	case 1:
		s.impl = DYNASYNC_IMPL_TAKE;
		s.param[0] = kEndless;
		break;
	case 2:
		s.impl = DYNASYNC_IMPL_MAP;
		s.param[0] = 3;
		s.param[1] = 1;
		break;
	default:
		s.impl = DYNASYNC_IMPL_CHAIN;
		s.inner.push_back(ticker(period, 2));
		break;
	}
	s.inner.push_back(ticker(period, kEndless));
	return s;
}

// CREATEs @k objects on @dev; -ENOMEM (a global policy may be armed) is
// retried. 0 or -errno with @error.
int make_objects(const Device &dev, unsigned k, uint64_t period, Batch &b, std::string &error)
{
	for (unsigned i = 0; i < k; i++) {
		const uint32_t strategy = 1 + i % DYNASYNC_STRATEGY_MAX;
		const dynasync_storage st = storage_of(strategy);
		Spec spec = kind_spec(i / DYNASYNC_STRATEGY_MAX, period);
		uint32_t h = 0;
		int r = -ENOMEM;
		for (int tries = 0; tries < 1000 && r == -ENOMEM; tries++)
			r = create_tree(dev, spec, st, st, h);
		if (r < 0) {
			error = "CREATE: " + res_str(r);
			return r;
		}
		b.handles.push_back(h);
		b.specs.push_back(spec);
	}
	return 0;
}

// Queues and submits one call per object on @ring: K in flight.
int submit_all(io_uring &ring, int fd, Batch &b)
{
	const size_t k = b.handles.size();
	b.calls.assign(k, dynasync_call{});
	b.outs.assign(k, dynasync_call_out{});
	for (size_t i = 0; i < k; i++) {
		dynasync_call &c = b.calls[i];
		c.handle = b.handles[i];
		c.method = i % 2 ? DYNASYNC_METHOD_SUM : DYNASYNC_METHOD_NEXT;
		c.arg[0] = i % 2 ? 1 + (i / 2) % 4 : 0;
		c.out_ptr = reinterpret_cast<uintptr_t>(&b.outs[i]);
		io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, nullptr, 0, 0);
		sqe->cmd_op = DYNASYNC_IOC_CALL;
		std::memset(sqe->cmd, 0, kCmdBytes);
		std::memcpy(sqe->cmd, &c, sizeof(c));
		io_uring_sqe_set_data64(sqe, i);
	}
	int r = io_uring_submit(&ring);
	return r < 0 ? r : (static_cast<size_t>(r) == k ? 0 : -EIO);
}

// The file's calls not yet completed (STATS.inflight), or -errno.
long inflight_of(int fd)
{
	dynasync_stats s{};
	if (ioctl(fd, DYNASYNC_IOC_STATS, &s) < 0)
		return -errno;
	return s.inflight;
}

int ring_init(io_uring &ring, unsigned k)
{
	io_uring_params p{};
	p.flags = IORING_SETUP_SQE128;
	return io_uring_queue_init_params(k, &ring, &p);
}

class Teardown {
public:
	Teardown(const std::string &device, const Options &opt) : device_(device), opt_(opt) {}
	int run();

private:
	bool arm(const Device &dev);
	void close_file(bool reap);
	void child(bool shared, bool kill_it);
	// In the child: objects (own file only), policy, ring, submit.
	int child_submit(const Device *shared, io_uring &ring, long &inflight,
			 std::string &error);
	void verify(const Batch &b, size_t i, int res);
	// The teardown happened with calls in flight, else it proves nothing.
	void in_flight(long n);
	void wait_file(const Device &dev, uint64_t calls_before);

	std::string device_;
	const Options &opt_;
	Tally t_;
	unsigned k_ = 64;
	uint64_t period_ = 20000000;
	Batch batch_;	// kept until the end: outputs may still be written
};

bool Teardown::arm(const Device &dev)
{
	if (opt_.fault.empty())
		return true;
	std::string error;
	if (arm_file(dev, opt_.fault, error) < 0) {
		t_.fail("--fault " + opt_.fault + ": " + error);
		return false;
	}
	return true;
}

void Teardown::in_flight(long n)
{
	if (n <= 0)
		t_.fail("STATS.inflight " + std::to_string(n) +
			" at the teardown: no call was in flight");
	else
		t_.note(std::to_string(n) + " calls in flight at the teardown");
}

// One completion seen by the process: the right value, or an -ENOMEM
// the injector explains.
void Teardown::verify(const Batch &b, size_t i, int res)
{
	const dynasync_call &c = b.calls[i];
	const dynasync_call_out &o = b.outs[i];
	t_.completion(res, 0);	// injected: debugfs counts them all
	IterModel m(b.specs[i]);
	uint64_t want = 0;
	int want_res = 0;
	if (c.method == DYNASYNC_METHOD_NEXT) {
		std::optional<uint64_t> x = m.next();
		want = x ? *x : 0;
		want_res = x ? 1 : 0;
	} else {
		want = m.sum(c.arg[0]);
	}
	bool ok = res == -ENOMEM ? o.injected + o.alloc_failed > 0 && !o.value
				 : res == want_res && o.value == want;
	if (!ok)
		t_.fail("call " + std::to_string(i) + " (handle " + std::to_string(c.handle) +
			"): expected res " + std::to_string(want_res) + " value " +
			std::to_string(want) + " or an explained -ENOMEM, got res " + res_str(res) +
			" value " + std::to_string(o.value) + " injected " +
			std::to_string(o.injected));
}

void Teardown::close_file(bool reap)
{
	Device dev = Device::open(device_.c_str());
	if (dev.fd() < 0) {
		t_.fail(dev.error());
		return;
	}
	std::string error;
	if (make_objects(dev, k_, period_, batch_, error) < 0) {
		t_.fail(error);
		return;
	}
	if (!arm(dev))
		return;
	io_uring ring;
	if (int r = ring_init(ring, k_); r < 0) {
		t_.fail("io_uring setup: " + res_str(r));
		return;
	}
	// Our own descriptor for the file: closing it is the scenario.
	int fd = dup(dev.fd());
	{
		Device gone(std::move(dev));	// closes the original now
	}
	int r = submit_all(ring, fd, batch_);
	t_.add_ops(batch_.calls.size());
	long inflight = inflight_of(fd);
	close(fd);
	in_flight(inflight);
	if (r < 0) {
		t_.fail("io_uring submit: " + res_str(r));
		io_uring_queue_exit(&ring);
		return;
	}
	if (!reap) {
		io_uring_queue_exit(&ring);	// the ring too, calls still in flight
		t_.add_outcome("unobserved", batch_.calls.size());
		t_.note("closed the file and the ring with " + std::to_string(k_) +
			" calls in flight");
		return;
	}
	std::vector<unsigned> seen(k_);
	unsigned completed = 0;
	const long wait_ms = module_param("max_call_ms", 10000) + 5000;
	while (completed < k_) {
		__kernel_timespec ts{};
		ts.tv_sec = wait_ms / 1000;
		io_uring_cqe *cqe = nullptr;
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) < 0)
			break;
		uint64_t i = cqe->user_data;
		int res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (i >= k_ || seen[i]++) {
			t_.add_duplicated(1);
			continue;
		}
		completed++;
		verify(batch_, i, res);
	}
	// Anything more would be a duplicate.
	io_uring_cqe *cqe = nullptr;
	while (io_uring_peek_cqe(&ring, &cqe) == 0) {
		t_.add_duplicated(1);
		io_uring_cqe_seen(&ring, cqe);
	}
	t_.add_lost(k_ - completed);
	io_uring_queue_exit(&ring);
	if (completed == k_)
		t_.note("closed the file with " + std::to_string(k_) +
			" calls in flight: each completed once");
}

int Teardown::child_submit(const Device *shared, io_uring &ring, long &inflight,
			   std::string &error)
{
	const Device *dev = shared;
	if (!dev) {
		// Never closed: the process ends with the file open.
		auto *own = new Device(Device::open(device_.c_str()));
		if (own->fd() < 0) {
			error = own->error();
			return -ENODEV;
		}
		dev = own;
		if (int r = make_objects(*dev, k_, period_, batch_, error); r < 0)
			return r;
		if (!opt_.fault.empty() && arm_file(*dev, opt_.fault, error) < 0)
			return -EINVAL;
	}
	if (int r = ring_init(ring, k_); r < 0) {
		error = "io_uring setup: " + res_str(r);
		return r;
	}
	if (int r = submit_all(ring, dev->fd(), batch_); r < 0) {
		error = "io_uring submit: " + res_str(r);
		return r;
	}
	inflight = inflight_of(dev->fd());
	return static_cast<int>(k_);
}

// Polls the parent's file until every call the child made completed.
void Teardown::wait_file(const Device &dev, uint64_t calls_before)
{
	const long wait_ms = module_param("max_call_ms", 10000) + 5000;
	dynasync_stats s{};
	for (long waited = 0;; waited += 2) {
		if (dev.stats(s) < 0) {
			t_.fail("STATS failed");
			return;
		}
		if (!s.inflight || waited > wait_ms)
			break;
		usleep(2000);
	}
	const uint64_t calls = s.calls - calls_before;
	const uint64_t done = s.completions - calls_before;
	if (calls != k_)
		t_.fail("STATS: " + std::to_string(calls) + " calls on the file, the child made " +
			std::to_string(k_));
	t_.add_lost(s.inflight);
	t_.add_duplicated(done > calls ? done - calls : 0);
	if (s.inflight || done != calls)
		t_.fail("STATS: " + std::to_string(calls) + " calls, " + std::to_string(done) +
			" completions, " + std::to_string(s.inflight) + " in flight");
	else
		t_.note("the file's STATS: " + std::to_string(calls) + " calls, each completed once");
}

void Teardown::child(bool shared, bool kill_it)
{
	std::optional<Device> parent;
	uint64_t calls_before = 0;
	if (shared) {
		parent.emplace(Device::open(device_.c_str()));
		if (parent->fd() < 0) {
			t_.fail(parent->error());
			return;
		}
		std::string error;
		if (make_objects(*parent, k_, period_, batch_, error) < 0) {
			t_.fail(error);
			return;
		}
		if (!arm(*parent))
			return;
		dynasync_stats s{};
		parent->stats(s);
		calls_before = s.calls;
	}
	int pipefd[2];
	if (pipe(pipefd) < 0) {
		t_.fail(std::string("pipe: ") + std::strerror(errno));
		return;
	}
	std::fflush(nullptr);
	pid_t pid = fork();
	if (pid < 0) {
		t_.fail(std::string("fork: ") + std::strerror(errno));
		return;
	}
	if (pid == 0) {
		close(pipefd[0]);
		std::string error;
		io_uring ring;
		long report[2] = { 0, 0 };	// calls submitted (or -errno), in flight
		int n = child_submit(shared ? &*parent : nullptr, ring, report[1], error);
		report[0] = n;
		if (n < 0)
			std::fprintf(stderr, "teardown child: %s\n", error.c_str());
		if (write(pipefd[1], report, sizeof(report)) != sizeof(report))
			_exit(3);
		if (n > 0 && kill_it) {
			// Killed while waiting in io_uring_enter for completions
			// (the calls sleep for tens of milliseconds).
			io_uring_cqe *cqe;
			io_uring_wait_cqe_nr(&ring, &cqe, n);
			pause();
		}
		// The ring and the file are left to the process's end.
		_exit(n < 0 ? 2 : 0);
	}
	close(pipefd[1]);
	long report[2] = { -1, 0 };
	if (read(pipefd[0], report, sizeof(report)) != sizeof(report))
		report[0] = -1;
	close(pipefd[0]);
	const long n = report[0];
	if (kill_it)
		kill(pid, SIGKILL);
	int status = 0;
	waitpid(pid, &status, 0);
	if (n < 0) {
		t_.fail("the child could not submit its calls");
		return;
	}
	t_.add_ops(static_cast<uint64_t>(n));
	t_.add_outcome("unobserved", static_cast<uint64_t>(n));	// nobody reaps them
	in_flight(report[1]);
	const bool expected = kill_it ? WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
				      : WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!expected)
		t_.fail("child status " + std::to_string(status));
	else
		t_.note(std::string("a child with ") + std::to_string(n) + " calls in flight " +
			(kill_it ? "was SIGKILLed" : "exited") +
			(shared ? " (the file is the parent's)" : " (its own file and ring)"));
	if (shared) {
		wait_file(*parent, calls_before);
		for (uint32_t h : batch_.handles)
			if (int r = parent->destroy(h); r < 0)
				t_.fail("DESTROY " + std::to_string(h) + " after the calls: " +
					res_str(r));
	}
}

int Teardown::run()
{
	if (opt_.objects)
		k_ = opt_.objects;
	if (opt_.period_ns)
		period_ = opt_.period_ns;
	const std::string &how = opt_.how;
	if (how != "close" && how != "close-ring" && how != "exit" && how != "kill" &&
	    how != "exit-shared" && how != "kill-shared") {
		std::fprintf(stderr, "dynasync teardown: --how close|close-ring|exit|kill|"
				     "exit-shared|kill-shared\n");
		return 2;
	}
	std::printf("teardown --how %s: %u calls in flight (tickers of %llu ns); file policy %s,"
		    " global policy %s\n", how.c_str(), k_,
		    static_cast<unsigned long long>(period_),
		    opt_.fault.empty() ? "off" : opt_.fault.c_str(),
		    opt_.global_fault.empty() ? "off" : opt_.global_fault.c_str());
	long long injected0 = global_injected();
	std::string error;
	if (!opt_.global_fault.empty() && !arm_global(opt_.global_fault, error)) {
		t_.fail("--global-fault " + opt_.global_fault + ": " + error);
		disarm_global(error);
		return t_.finish(opt_.verdict);
	}
	if (how == "close" || how == "close-ring")
		close_file(how == "close");
	else
		child(how.find("shared") != std::string::npos, how.rfind("kill", 0) == 0);
	if (!opt_.global_fault.empty() && !disarm_global(error))
		t_.fail("disarming the global policy: " + error);

	// From a fresh open: everything the calls and objects held is freed.
	Device dev = Device::open(device_.c_str());
	if (dev.fd() < 0) {
		t_.fail(dev.error());
		return t_.finish(opt_.verdict);
	}
	std::string detail;
	uint64_t left = wait_quiescent(dev, module_param("max_call_ms", 10000) + 5000, detail);
	t_.add_leaked(left);
	if (left)
		t_.fail("module-wide after teardown: " + detail);
	else
		t_.note("module-wide live allocations and frames: " + detail);
	long long injected1 = global_injected();
	if (injected0 >= 0 && injected1 >= injected0)
		t_.add_injected(static_cast<uint64_t>(injected1 - injected0));
	return t_.finish(opt_.verdict);
}

} // namespace

int run_teardown(const std::string &device, const Options &opt)
{
	Teardown t(device, opt);
	return t.run();
}

} // namespace harness::scenario
