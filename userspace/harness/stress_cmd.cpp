// SPDX-License-Identifier: GPL-2.0
// `dynasync stress`: options, the run (files, workers, watchdog) and the
// checks after it: each stable file's STATS settle (calls == completions,
// nothing in flight, our calls all counted, TRANSMIT deliveries exact), and
// with every file closed the module-wide live allocations and frames
// return to the baseline taken before the run.
#include "stress.h"

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

#include "device.h"
#include "names.h"
#include "parse_number.h"
#include "progress.h"
#include "stress_impl.h"

namespace harness {

const char kStressUsage[] =
	"stress: the concurrency stress test; ends with one verdict line\n"
	"  NAME: PASS|FAIL ops=N injected=N ok=N <ERRNO>=N ... unobserved=N lost=N\n"
	"        duplicated=N leaked=N workers=N children=N seconds=S\n"
	"  --seconds S (30)  --max-ops N (10000000): whichever ends first\n"
	"  --seed S (1)  --ioctl-threads N (2)  --uring-threads N (3)\n"
	"  --sqpoll 0|1 (1: the first io_uring thread's ring is SQPOLL)\n"
	"  --forkers N (1)  --stable-files N (3)  --volatile-files N (2)\n"
	"  --fault-rate P (3: RATE percent on stable file 1 and volatile file 0; 0: off)\n"
	"  --churn-ms N (0: off): every ~N ms a limit (max_objects, max_inflight,\n"
	"        max_call_ms, max_file_bytes) gets another valid value (root; all\n"
	"        restored); -EMFILE/-ENOBUFS/-EDQUOT/-ETIMEDOUT are then allowed\n"
	"  --verdict NAME (stress)\n";

namespace stress {
namespace {

struct Snapshot {
	uint64_t sites[DYNASYNC_SITES] = {};
	uint64_t frames[DYNASYNC_STRATEGY_MAX + 1] = {};
};

bool snapshot(int fd, Snapshot &out, dynasync_stats &st)
{
	st = dynasync_stats{};
	if (xioctl(fd, DYNASYNC_IOC_STATS, &st) < 0)
		return false;
	for (unsigned i = 0; i < DYNASYNC_SITES; i++)
		out.sites[i] = st.live_allocs[i];
	for (unsigned i = 1; i <= DYNASYNC_STRATEGY_MAX; i++)
		out.frames[i] = st.strategy[i].live_frames;
	return true;
}

// What exceeds the baseline, and where.
uint64_t excess(const Snapshot &base, const Snapshot &now, std::string &detail)
{
	uint64_t left = 0;
	detail.clear();
	for (unsigned i = 0; i < DYNASYNC_SITES; i++)
		if (now.sites[i] > base.sites[i]) {
			left += now.sites[i] - base.sites[i];
			detail += " live_allocs[site " + std::to_string(i) + "] +" +
				  std::to_string(now.sites[i] - base.sites[i]);
		}
	for (unsigned i = 1; i <= DYNASYNC_STRATEGY_MAX; i++)
		if (now.frames[i] > base.frames[i]) {
			left += now.frames[i] - base.frames[i];
			detail += std::string(" ") + strategy_name(i) + " live_frames +" +
				  std::to_string(now.frames[i] - base.frames[i]);
		}
	return left;
}

} // namespace

namespace {

struct FileStart {
	uint64_t calls = 0, completions = 0, deliveries = 0;
};

class Run {
public:
	Run(const Options &o, const char *dev) : opt_(o), s_(o, dev) {}
	int run();

private:
	bool open_files();
	void settle_file(File &f, const FileStart &start);
	void note(const std::string &what) { std::printf("  ok: %s\n", what.c_str()); }

	const Options &opt_;
	Shared s_;
	Counts total_;
	std::vector<FileStart> start_;
};

bool Run::open_files()
{
	const unsigned n = opt_.stable_files + opt_.volatile_files;
	for (unsigned i = 0; i < n; i++) {
		auto f = std::make_unique<File>();
		f->index = i < opt_.stable_files ? i : i - opt_.stable_files;
		f->is_volatile = i >= opt_.stable_files;
		f->child_shared = i == 0;
		f->fd = open(s_.device.c_str(), O_RDWR | O_CLOEXEC);
		if (f->fd < 0) {
			total_.fail(s_.device + ": " + std::strerror(errno));
			return false;
		}
		const bool arm = opt_.fault_rate &&
				 (f->is_volatile ? f->index == 0 : f->index == 1);
		if (arm) {
			if (int r = arm_rate(f->fd, opt_.fault_rate, opt_.seed + i); r < 0) {
				total_.fail("FAULT_SET RATE " + std::to_string(opt_.fault_rate) + ": " +
					    errno_name(-r));
				return false;
			}
			f->armed = true;
		}
		FileStart fs;
		dynasync_stats st{};
		if (xioctl(f->fd, DYNASYNC_IOC_STATS, &st) == 0) {
			fs.calls = st.calls;
			fs.completions = st.completions;
			fs.deliveries = st.sink_deliveries;
		}
		start_.push_back(fs);
		s_.files.push_back(std::move(f));
	}
	return true;
}

// A stable file after the run: every call it saw completed exactly once.
void Run::settle_file(File &f, const FileStart &start)
{
	const double limit = now_s() + (s_.max_call_ms + 5000) / 1000.0;
	dynasync_stats st{};
	for (;;) {
		if (int r = xioctl(f.fd, DYNASYNC_IOC_STATS, &st); r < 0) {
			total_.fail("STATS of file " + std::to_string(f.index) + ": " + errno_name(-r));
			return;
		}
		if (!st.inflight || now_s() > limit)
			break;
		usleep(2000);
	}
	const uint64_t calls = st.calls - start.calls;
	const uint64_t done = st.completions - start.completions;
	const uint64_t delivered = st.sink_deliveries - start.deliveries;
	const std::string name = "file " + std::to_string(f.index);
	if (st.inflight) {
		total_.lost += st.inflight;
		total_.fail(name + ": STATS.inflight " + std::to_string(st.inflight) +
			    " after max_call_ms + 5 s");
	}
	if (done != calls) {
		if (done > calls)
			total_.duplicated += done - calls;
		else if (!st.inflight)
			total_.lost += calls - done;
		total_.fail(name + ": STATS " + std::to_string(calls) + " calls, " +
			    std::to_string(done) + " completions");
	}
	// Children call on file 0 too: ours are a lower bound there. io_uring
	// itself may drop calls of torn-down rings before they reach the
	// module (IOSQE_ASYNC, SQPOLL).
	const uint64_t ours = f.calls.load();
	const uint64_t maybe = f.calls_maybe_unseen.load();
	if (calls + maybe < ours || (!f.child_shared && calls > ours))
		total_.fail(name + ": STATS counts " + std::to_string(calls) + " calls, we made " +
			    std::to_string(ours) + " (" + std::to_string(maybe) +
			     " of them IOSQE_ASYNC or SQPOLL on torn-down rings)");
	const uint64_t seen = f.transmits_ok.load();
	if (f.transmits_unseen ? delivered < seen : delivered != seen)
		total_.fail(name + ": " + std::to_string(delivered) + " TRANSMIT deliveries, " +
			    std::to_string(seen) + " successes seen (" +
			    std::to_string(f.transmits_unseen.load()) + " unseen)");
	if (!total_.nfail)
		note(name + ": " + std::to_string(calls) + " calls (" + std::to_string(ours) +
		     " ours), each completed once; " + std::to_string(delivered) +
		     " TRANSMIT deliveries");
}

int Run::run()
{
	const double t0 = now_s();
	s_.max_call_ms = module_param("max_call_ms", 10000);
	std::printf("stress: %.0f s or %llu ops, seed %llu: %u ioctl threads, %u io_uring "
		    "threads, %u forkers, %u stable + %u volatile files, fault rate %u%%%s\n",
		    opt_.seconds, static_cast<unsigned long long>(opt_.max_ops),
		    static_cast<unsigned long long>(opt_.seed), opt_.ioctl_threads,
		    opt_.uring_threads, opt_.forkers, opt_.stable_files, opt_.volatile_files,
		    opt_.fault_rate,
		    opt_.churn_ms ? (", limits changed every ~" + std::to_string(opt_.churn_ms) +
				     " ms").c_str() : "");
	std::fflush(stdout);

	// The module-wide baseline, before any file of ours exists.
	Snapshot base;
	dynasync_stats st{};
	{
		Device probe = Device::open(s_.device.c_str());
		if (probe.fd() < 0 || !snapshot(probe.fd(), base, st)) {
			std::printf("  FAIL: %s\n", probe.fd() < 0 ? probe.error().c_str()
								    : "STATS failed");
			std::printf("%s: FAIL ops=0 injected=0 ok=0 lost=0 duplicated=0 leaked=0 "
				    "violations=1\n", opt_.verdict.c_str());
			return 1;
		}
	}

	unsigned workers = 0;
	std::vector<Counts> counts(opt_.ioctl_threads + opt_.uring_threads + 1 + opt_.forkers + 1);
	std::vector<std::thread> threads;
	std::mutex mu;
	std::condition_variable cv;
	bool done = false;
	std::thread watchdog;
	if (open_files()) {
		s_.end_time = now_s() + opt_.seconds;
		unsigned w = 0;
		for (unsigned i = 0; i < opt_.ioctl_threads; i++, w++)
			threads.emplace_back(ioctl_worker, std::ref(s_), std::ref(counts[w]),
					     opt_.seed * 1000 + w);
		for (unsigned i = 0; i < opt_.uring_threads; i++, w++)
			threads.emplace_back(uring_worker, std::ref(s_), std::ref(counts[w]),
					     opt_.seed * 1000 + w, opt_.sqpoll && i == 0);
		if (opt_.volatile_files)
			threads.emplace_back(cycler_worker, std::ref(s_), std::ref(counts[w]),
					     opt_.seed * 1000 + w);
		w++;
		for (unsigned i = 0; i < opt_.forkers; i++, w++)
			threads.emplace_back(forker_worker, std::ref(s_), std::ref(counts[w]),
					     opt_.seed * 1000 + w);
		if (opt_.churn_ms)
			threads.emplace_back(churn_worker, std::ref(s_), std::ref(counts[w]),
					     opt_.seed * 1000 + w);
		w++;
		workers = threads.size();
		// A worker stuck in the module is a lost completion: say so and end.
		const double hang_s = opt_.seconds + 2.0 * s_.max_call_ms / 1000 + 30;
		watchdog = std::thread([&] {
			std::unique_lock<std::mutex> l(mu);
			if (!cv.wait_for(l, std::chrono::duration<double>(hang_s), [&] { return done; })) {
				std::printf("  FAIL: workers still running %.0f s after the start "
					    "(a call or ioctl never returned)\n%s: FAIL ops=%llu "
					    "injected=0 ok=0 lost=1 duplicated=0 leaked=0 "
					    "violations=1\n", hang_s, opt_.verdict.c_str(),
					    static_cast<unsigned long long>(s_.ops.load()));
				std::fflush(stdout);
				_exit(1);
			}
		});
		for (auto &t : threads)
			t.join();
		{
			std::lock_guard<std::mutex> l(mu);
			done = true;
		}
		cv.notify_all();
		watchdog.join();
	}
	const double run_s = now_s() - t0;
	std::printf("  workers done after %.1f s; settling\n", run_s);
	std::fflush(stdout);
	for (const Counts &c : counts)
		total_.merge(c);
	for (const auto &f : s_.files)
		std::printf("  file %s%u: %llu calls of ours%s\n", f->is_volatile ? "volatile " : "",
			    f->index, static_cast<unsigned long long>(f->calls.load()),
			    f->armed ? ", fault policy RATE armed" : "");

	uint64_t injected = 0;
	for (size_t i = 0; i < s_.files.size(); i++) {
		File &f = *s_.files[i];
		if (!f.is_volatile)
			settle_file(f, start_[i]);
		injected += f.injected + injected_of(f.fd);
	}
	for (const auto &f : s_.files)
		close(f->fd);
	std::printf("  files closed\n");
	std::fflush(stdout);

	// Every file closed (children reaped, rings gone): back to the baseline.
	uint64_t leaked = 0;
	{
		Device dev = Device::open(s_.device.c_str());
		Snapshot now;
		std::string detail;
		const double limit = now_s() + (s_.max_call_ms + 5000) / 1000.0;
		const double w0 = now_s();
		for (;;) {
			if (dev.fd() < 0 || !snapshot(dev.fd(), now, st)) {
				total_.fail("STATS after the run failed");
				break;
			}
			leaked = excess(base, now, detail);
			if (!leaked || now_s() > limit)
				break;
			usleep(2000);
		}
		if (leaked)
			total_.fail("module-wide above the baseline after every file closed:" + detail);
		else
			note("module-wide live allocations and frames back to the baseline (" +
			     std::to_string(static_cast<int>((now_s() - w0) * 1000)) + " ms)");
	}

	// The races happened with calls in flight, or the run proved little.
	if (opt_.seconds >= 5 && s_.ops.load() < opt_.max_ops) {
		if (opt_.uring_threads && !total_.ring_teardowns_busy)
			total_.fail("no ring was torn down with calls in flight");
		if (opt_.volatile_files && !total_.file_closes_busy)
			total_.fail("no file was closed with calls in flight");
		if (opt_.forkers && !total_.children_busy)
			total_.fail("no child died with calls in flight");
		if (opt_.churn_ms && !total_.param_writes)
			total_.fail("no module parameter was changed during the run");
	}
	std::printf("  races: %llu ring teardowns (%llu with calls in flight), %llu file closes "
		    "(%llu busy), %llu children died (%llu with calls in flight, %llu SIGKILLed)\n",
		    (unsigned long long)total_.ring_teardowns,
		    (unsigned long long)total_.ring_teardowns_busy,
		    (unsigned long long)total_.file_closes, (unsigned long long)total_.file_closes_busy,
		    (unsigned long long)total_.children, (unsigned long long)total_.children_busy,
		    (unsigned long long)total_.children_killed);
	if (opt_.churn_ms)
		std::printf("  limits: %llu module parameter writes during the run, all restored\n",
			    (unsigned long long)total_.param_writes);
	for (const auto &f : total_.failures)
		std::printf("  FAIL: %s\n", f.c_str());
	if (total_.nfail > total_.failures.size())
		std::printf("  ... %llu violations in all\n", (unsigned long long)total_.nfail);

	const bool pass = !total_.nfail && !total_.lost && !total_.duplicated && !leaked;
	std::string line = opt_.verdict + ": " + (pass ? "PASS" : "FAIL") +
			   " ops=" + std::to_string(total_.ops) +
			   " injected=" + std::to_string(injected);
	auto ok = total_.outcomes.find("ok");
	line += " ok=" + std::to_string(ok == total_.outcomes.end() ? 0 : ok->second);
	for (const auto &[key, n] : total_.outcomes)
		if (key != "ok")
			line += " " + key + "=" + std::to_string(n);
	char tail[160];
	std::snprintf(tail, sizeof(tail), " lost=%llu duplicated=%llu leaked=%llu workers=%u "
		      "children=%llu seconds=%.1f", (unsigned long long)total_.lost,
		      (unsigned long long)total_.duplicated, (unsigned long long)leaked, workers,
		      (unsigned long long)total_.children, run_s);
	line += tail;
	if (total_.nfail)
		line += " violations=" + std::to_string(total_.nfail);
	std::printf("%s\n", line.c_str());
	std::fflush(stdout);
	return pass ? 0 : 1;
}

} // namespace
} // namespace stress

int cmd_stress(const char *device_path, int argc, char **argv)
{
	stress::Options opt;
	for (int i = 0; i < argc; i++) {
		const std::string a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : nullptr;
		uint64_t v = 0;
		bool ok = parse_u64(val, v);
		if (a == "--verdict" && val)
			opt.verdict = val, ok = true;
		else if (a == "--seconds")
			ok = ok && v >= 1 && v <= 86400, opt.seconds = static_cast<double>(v);
		else if (a == "--max-ops")
			ok = ok && v >= 1, opt.max_ops = v;
		else if (a == "--seed")
			opt.seed = v;
		else if (a == "--ioctl-threads")
			ok = ok && v <= 64, opt.ioctl_threads = v;
		else if (a == "--uring-threads")
			ok = ok && v <= 64, opt.uring_threads = v;
		else if (a == "--sqpoll")
			ok = ok && v <= 1, opt.sqpoll = v;
		else if (a == "--forkers")
			ok = ok && v <= 16, opt.forkers = v;
		else if (a == "--stable-files")
			ok = ok && v >= 1 && v <= 64, opt.stable_files = v;
		else if (a == "--volatile-files")
			ok = ok && v <= 64, opt.volatile_files = v;
		else if (a == "--fault-rate")
			ok = ok && v <= 100, opt.fault_rate = v;
		else if (a == "--churn-ms")
			ok = ok && v <= 60000, opt.churn_ms = v;
		else {
			std::fprintf(stderr, "dynasync stress: unknown option '%s'\n\n%s", a.c_str(),
				     kStressUsage);
			return 2;
		}
		if (!ok) {
			std::fprintf(stderr, "dynasync stress: bad or missing value for %s\n\n%s",
				     a.c_str(), kStressUsage);
			return 2;
		}
		i++;
	}
	if (!opt.ioctl_threads && !opt.uring_threads) {
		std::fprintf(stderr, "dynasync stress: no ioctl and no io_uring threads\n");
		return 2;
	}
	stress::Run r(opt, device_path);
	return r.run();
}

} // namespace harness
