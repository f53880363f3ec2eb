// SPDX-License-Identifier: GPL-2.0
#include "fuzz_cmd.h"

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz_engine.h"
#include "fuzz_params.h"
#include "names.h"
#include "parse_number.h"

namespace harness {

const char *const kFuzzUsage =
	"fuzz [--seed S] [--iters N] [--jobs J] [--params] [--param-writes N]\n"
	"     [--replay-to I] [--verbose-from I] [--require-all] [--verdict NAME]\n"
	"     [--max-work W]\n"
	"          the ABI fuzzer: N requests (default 100000) of every ioctl and\n"
	"          io_uring command, valid and mutated, each checked against the\n"
	"          errno the ABI documents (exactly, for single-field mutations);\n"
	"          J processes (seeds S, S+1, ...); --params first fuzzes the\n"
	"          module parameters and debugfs fault files (root), restoring\n"
	"          them; --replay-to I reruns a seed up to request I and prints it;\n"
	"          --require-all fails when a command got no request; --max-work W\n"
	"          caps a valid SUM's items x adaptor depth (edge values stay, their\n"
	"          product is bounded: for the debug kernel). Exit 0: PASS\n";

namespace {

using namespace harness::fuzz;

struct Args {
	FuzzOptions opt;
	unsigned jobs = 1;
	bool params = false;
	uint64_t param_writes = 3000;
	bool require_all = false;
	std::string verdict = "fuzz";
};

bool parse(int argc, char **argv, Args &a)
{
	for (int i = 0; i < argc; i++) {
		std::string k = argv[i];
		auto num = [&](uint64_t &v) { return i + 1 < argc && parse_u64(argv[++i], v); };
		uint64_t v;
		if (k == "--seed" && num(v))
			a.opt.seed = v;
		else if (k == "--iters" && num(v))
			a.opt.iters = v;
		else if (k == "--jobs" && num(v) && v >= 1 && v <= 16)
			a.jobs = static_cast<unsigned>(v);
		else if (k == "--replay-to" && num(v))
			a.opt.replay_to = static_cast<int64_t>(v);
		else if (k == "--verbose-from" && num(v))
			a.opt.verbose_from = static_cast<int64_t>(v);
		else if (k == "--max-work" && num(v))
			a.opt.max_work = v;
		else if (k == "--param-writes" && num(v))
			a.param_writes = v;
		else if (k == "--params")
			a.params = true;
		else if (k == "--require-all")
			a.require_all = true;
		else if (k == "--progress")
			a.opt.progress = true;
		else if (k == "--verdict" && i + 1 < argc)
			a.verdict = argv[++i];
		else
			return false;
	}
	return true;
}

bool read_stats(const char *path, dynasync_stats &s)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	s = {};
	bool ok = ioctl(fd, DYNASYNC_IOC_STATS, &s) == 0;
	close(fd);
	return ok;
}

// One worker: its own files, rings and pool. 0: it ran (see @n).
int work(const FuzzOptions &opt, Counts &n)
{
	Engine e(opt, n);
	std::string err;
	uint64_t t0 = mono_ns();
	if (!e.init(err)) {
		std::printf("fuzz: %s\n", err.c_str());
		return 1;
	}
	n.setup_ns += mono_ns() - t0;
	e.run();
	t0 = mono_ns();
	e.finish();
	n.setup_ns += mono_ns() - t0;
	return 0;
}

void report(const Counts &n, const Args &a, const ParamCounts &pc, bool missing, double secs)
{
	std::printf("fuzz: %" PRIu64 " requests in %.1f s (%.0f/s), seed %" PRIu64 ", %u job(s)\n",
		    n.requests, secs, secs > 0 ? n.requests / secs : 0.0, a.opt.seed, a.jobs);
	std::string line = "fuzz-commands:";
	for (int c = 0; c < kCmds; c++)
		line += std::string(" ") + cmd_name(static_cast<Cmd>(c)) + "=" +
			std::to_string(n.per_cmd[c]);
	std::printf("%s\n", line.c_str());
	for (int c = 0; c < kCmds; c++) {
		line = std::string("  ") + cmd_name(static_cast<Cmd>(c)) + ":";
		for (int e = 0; e < kResults; e++)
			if (n.per_cmd_res[c][e])
				line += " " + (e ? errno_name(e) : std::string("ok")) + "=" +
					std::to_string(n.per_cmd_res[c][e]);
		std::printf("%s\n", line.c_str());
	}
	// Where the time went (summed over the jobs): ms in all, us per request.
	line = "fuzz-time-ms:";
	for (int c = 0; c < kCmds; c++)
		if (n.per_cmd[c])
			line += std::string(" ") + cmd_name(static_cast<Cmd>(c)) + "=" +
				std::to_string(n.per_cmd_ns[c] / 1000000) + "(" +
				std::to_string(n.per_cmd_ns[c] / 1000 / n.per_cmd[c]) + "us)";
	line += " reap=" + std::to_string(n.reap_ns / 1000000) +
		" trim=" + std::to_string(n.trim_ns / 1000000) +
		" init+finish=" + std::to_string(n.setup_ns / 1000000);
	std::printf("%s\n", line.c_str());
	std::printf("fuzz-depth: %" PRIu64 " CREATEs over an inner 16 deep besides the too-deep "
		    "mutation (-ELOOP predicted)\n", n.stacked_too_deep);
	line = "fuzz-mutations:";
	for (int m = 0; m < kMuts; m++)
		line += std::string(" ") + mut_name(static_cast<Mut>(m)) + "=" +
			std::to_string(n.per_mut[m]);
	std::printf("%s\n", line.c_str());
	if (pc.files)
		std::printf("fuzz-params: %" PRIu64 " writes to %" PRIu64 " files, %" PRIu64
			    " accepted, %" PRIu64 " rejected, %" PRIu64 " unexpected, restored: %s\n",
			    pc.writes, pc.files, pc.accepted, pc.rejected, pc.violations,
			    pc.restored ? "yes" : "NO");
	if (missing)
		std::printf("fuzz: FAIL: a command got no request (--require-all)\n");
	if (n.violations)
		std::printf("fuzz: first violation at request %" PRIu64 "\n", n.first_violation);

	// The verdict line (scripts/faults/lib/scenario.sh): outcomes summed
	// over the commands.
	uint64_t by_res[kResults] = {};
	for (int c = 0; c < kCmds; c++)
		for (int e = 0; e < kResults; e++)
			by_res[e] += n.per_cmd_res[c][e];
	const uint64_t viol = n.violations + pc.violations;
	const bool pass = !viol && !n.lost && !n.duplicated && !n.leaked && !missing;
	line = a.verdict + ": " + (pass ? "PASS" : "FAIL") + " ops=" + std::to_string(n.requests) +
	       " injected=0";
	for (int e = 0; e < kResults; e++)
		if (by_res[e])
			line += " " + (e ? errno_name(e) : std::string("ok")) + "=" +
				std::to_string(by_res[e]);
	line += " params=" + std::to_string(pc.writes);
	line += " lost=" + std::to_string(n.lost) + " duplicated=" + std::to_string(n.duplicated) +
		" leaked=" + std::to_string(n.leaked) + " violations=" + std::to_string(viol);
	std::printf("%s\n", line.c_str());
}

} // namespace

int cmd_fuzz(const char *path, int argc, char **argv)
{
	Args a;
	if (!parse(argc, argv, a)) {
		std::fprintf(stderr, "usage: dynasync %s", kFuzzUsage);
		return 2;
	}
	a.opt.path = path;
	// Workers may die: what they printed must not stay in a buffer.
	std::setvbuf(stdout, nullptr, _IOLBF, 0);
	if (a.opt.replay_to >= 0)
		a.jobs = 1;
	dynasync_stats base;
	if (!read_stats(path, base)) {
		std::printf("fuzz: cannot open %s: %s\n", path, std::strerror(errno));
		return 1;
	}
	ParamCounts pc;
	if (a.params) {
		const uint64_t tp = mono_ns();
		pc = fuzz_params(a.opt.seed, a.param_writes, false);
		std::printf("fuzz-params: %.1f s\n", (mono_ns() - tp) / 1e9);
		if (!pc.files)
			std::printf("fuzz: no writable module parameters or debugfs files: "
				    "--params skipped\n");
	}
	auto t0 = std::chrono::steady_clock::now();
	// Workers count into shared memory.
	void *mem = mmap(nullptr, sizeof(Counts) * (a.jobs + 1), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	auto *counts = static_cast<Counts *>(mem);
	int failed = 0;
	std::fflush(stdout);
	if (a.jobs == 1) {
		failed = work(a.opt, counts[0]);
	} else {
		for (unsigned j = 0; j < a.jobs; j++) {
			pid_t pid = fork();
			if (pid == 0) {
				FuzzOptions o = a.opt;
				o.seed = a.opt.seed + j;
				o.iters = a.opt.iters / a.jobs;
				int st = work(o, counts[j]);
				std::fflush(stdout);
				std::_Exit(st ? 1 : 0);
			}
			if (pid < 0)
				failed = 1;
		}
		int st;
		pid_t pid;
		while ((pid = wait(&st)) > 0) {
			if (WIFSIGNALED(st))
				std::printf("fuzz: worker %d died of signal %d (%s): rerun its seed "
					    "with --jobs 1 to find the request\n", static_cast<int>(pid),
					    WTERMSIG(st), strsignal(WTERMSIG(st)));
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				failed = 1;
		}
	}
	double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	Counts &total = counts[a.jobs];
	for (unsigned j = 0; j < a.jobs; j++)
		total.add(counts[j]);

	// Nothing is left: a fresh file has no objects, and the module's live
	// allocations are back where they were (calls finish asynchronously:
	// poll a little).
	dynasync_stats s{};
	bool clean = false;
	for (int tries = 0; tries < 100 && !clean; tries++) {
		if (tries)
			usleep(50000);
		clean = read_stats(path, s) && !s.objects && !s.inflight &&
			!std::memcmp(s.live_allocs, base.live_allocs, sizeof(s.live_allocs));
	}
	if (!clean) {
		std::printf("fuzz: leak: fresh file objects %u inflight %u; live allocations per site:",
			    s.objects, s.inflight);
		for (int k = 0; k < DYNASYNC_SITES; k++)
			std::printf(" %" PRIu64 "->%" PRIu64, uint64_t(base.live_allocs[k]),
				    uint64_t(s.live_allocs[k]));
		std::printf("\n");
		total.leaked++;
	}
	bool missing = false;
	if (a.require_all)
		for (int c = 0; c < kCmds; c++)
			missing |= !total.per_cmd[c];
	if (failed)
		total.violations++;
	report(total, a, pc, missing, secs);
	const bool pass = !total.violations && !pc.violations && !total.lost &&
			  !total.duplicated && !total.leaked && !missing;
	munmap(mem, sizeof(Counts) * (a.jobs + 1));
	return pass ? 0 : 1;
}

} // namespace harness
