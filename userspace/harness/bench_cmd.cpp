// SPDX-License-Identifier: GPL-2.0
#include "bench_cmd.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_run.h"
#include "json.h"
#include "names.h"
#include "parse_number.h"

namespace harness {

const char kBenchUsage[] =
	"bench options (JSON on stdout or --out; one line per measurement on stderr):\n"
	"  --ops N              measured operations per measurement (default 4000)\n"
	"  --suspend-ops N      ... for suspending calls (default: --ops)\n"
	"  --warmup N           unmeasured operations before each (default: ops / 10)\n"
	"  --qd LIST            io_uring queue depths (default 1,8,64)\n"
	"  --batch LIST         SQEs per submission, those <= qd (default 1,8,64)\n"
	"  --strategies LIST    default all: boxed,inline,maybe-boxed,cached,task-stack,reserve\n"
	"  --ticker-period-ns P suspending calls' hrtimer sleep (default 1)\n"
	"  --fault-percent P    RATE probability of the failure runs (default 10; 0: none)\n"
	"  --rounds R           every measurement in R rounds, all interleaved; ops/s is the\n"
	"                       median round's (robust against the host's load; default 10)\n"
	"  --kinds LIST         what to measure (default nop,reject,ready,suspend,ioctl): reject\n"
	"                       is calls the module refuses at once (-EINVAL: bad flags;\n"
	"                       -ENOENT: no such handle), which split a call's cost\n"
	"  --out FILE           write the JSON there\n"
	"  --quick              a smoke test: --ops 128 --warmup 64 --rounds 2 --qd 1,64\n"
	"                       --batch 1,64 (later options override it)\n";

namespace {

std::vector<std::string> split(const char *list)
{
	std::vector<std::string> out;
	std::stringstream ss(list ? list : "");
	std::string item;
	while (std::getline(ss, item, ','))
		if (!item.empty())
			out.push_back(item);
	return out;
}

bool parse_options(int argc, char **argv, BenchOptions &o, std::string &error)
{
	for (int i = 0; i < argc; i++) {
		std::string a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : nullptr;
		auto number = [&](uint64_t &out, uint64_t min, uint64_t max) {
			uint64_t v;
			if (!parse_u64(val, v, true) || v < min || v > max) {
				error = a + " needs a number in " + std::to_string(min) + ".." +
					std::to_string(max);
				return false;
			}
			out = v;
			i++;
			return true;
		};
		auto numbers = [&](std::vector<unsigned> &out) {
			out.clear();
			for (const std::string &s : split(val)) {
				uint64_t v;
				if (!parse_u64(s.c_str(), v, true) || v < 1 || v > 4096) {
					error = a + ": '" + s + "' is not a number in 1..4096";
					return false;
				}
				out.push_back(static_cast<unsigned>(v));
			}
			if (out.empty()) {
				error = a + " needs a list of numbers";
				return false;
			}
			i++;
			return true;
		};
		uint64_t v = 0;
		bool good = true;
		if (a == "--ops") {
			good = number(o.ops, 1, uint64_t{1} << 32);
		} else if (a == "--suspend-ops") {
			good = number(o.suspend_ops, 1, uint64_t{1} << 32);
		} else if (a == "--warmup") {
			good = number(o.warmup, 0, uint64_t{1} << 32);
		} else if (a == "--qd") {
			good = numbers(o.qds);
		} else if (a == "--batch") {
			good = numbers(o.batches);
		} else if (a == "--ticker-period-ns") {
			good = number(o.ticker_period_ns, 1, 1000000000);
		} else if (a == "--fault-percent") {
			good = number(v, 0, 100);
			o.fault_percent = static_cast<unsigned>(v);
		} else if (a == "--strategies") {
			o.strategies.clear();
			for (const std::string &s : split(val)) {
				uint32_t st = parse_strategy(s);
				if (!st) {
					error = "unknown strategy '" + s + "'";
					return false;
				}
				o.strategies.push_back(st);
			}
			if (o.strategies.empty()) {
				error = "--strategies needs a list";
				return false;
			}
			i++;
		} else if (a == "--rounds") {
			good = number(v, 1, 100);
			o.rounds = static_cast<unsigned>(v);
		} else if (a == "--kinds") {
			o.nop = o.reject = o.ready = o.suspend = o.ioctl = false;
			for (const std::string &k : split(val)) {
				if (k == "nop")
					o.nop = true;
				else if (k == "reject")
					o.reject = true;
				else if (k == "ready")
					o.ready = true;
				else if (k == "suspend")
					o.suspend = true;
				else if (k == "ioctl")
					o.ioctl = true;
				else {
					error = "--kinds: unknown kind '" + k + "'";
					return false;
				}
			}
			i++;
		} else if (a == "--out" && val) {
			o.out = val;
			i++;
		} else if (a == "--quick") {
			// Every kind of measurement once, on both ends of the
			// queue depths: a smoke test, not a measurement.
			o.ops = 128;
			o.warmup = 64;
			o.rounds = 2;
			o.qds = { 1, 64 };
			o.batches = { 1, 64 };
		} else {
			error = "unknown option '" + a + "'";
			return false;
		}
		if (!good)
			return false;
	}
	if (o.strategies.empty())
		for (uint32_t s = 1; s <= DYNASYNC_STRATEGY_MAX; s++)
			o.strategies.push_back(s);
	if (!o.suspend_ops)
		o.suspend_ops = o.ops;
	if (o.warmup == UINT64_MAX)
		o.warmup = o.ops / 10;
	return true;
}

std::string read_line(const char *file)
{
	char buf[128] = "";
	FILE *f = std::fopen(file, "r");
	if (f) {
		if (!std::fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		std::fclose(f);
	}
	std::string s = buf;
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	return s;
}

// One JSON object on one line, without the writer's final newline (the
// document puts its own separators between records).
template <class F>
std::string json_line(F &&fill)
{
	char *buf = nullptr;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return "{}";
	{
		Json j(mem);
		fill(j);
	}
	std::fclose(mem);
	std::string s(buf, len);
	std::free(buf);
	while (!s.empty() && s.back() == '\n')
		s.pop_back();
	return s;
}

void emit(FILE *out, const Record &rec, bool first)
{
	const double rate = rec.median_rate;
	const double overall = rec.seconds > 0 ? static_cast<double>(rec.ops) / rec.seconds : 0;
	std::fputs(first ? "\n" : ",\n", out);
	std::fputs(json_line([&](Json &j) {
		j.begin_object();
		j.str("name", rec.name);
		j.str("path", rec.path);
		j.str("kind", rec.kind);
		j.str("strategy", rec.strategy);
		j.num("qd", rec.qd);
		j.num("batch", rec.batch);
		j.num("fault_percent", rec.fault_percent);
		j.num("ops", rec.ops);
		j.real("seconds", rec.seconds);
		j.real("ops_per_s", rate);
		j.real("ops_per_s_overall", overall);
		j.num("p50_ns", rec.p50);
		j.num("p99_ns", rec.p99);
		j.num("ok", rec.ok);
		j.num("injected", rec.injected);
		j.begin_object("errnos");
		for (const auto &[e, n] : rec.errnos)
			j.num(errno_name(e).c_str(), n);
		j.end_object();
		j.end_object();
	}).c_str(), out);

	std::string errs;
	for (const auto &[e, n] : rec.errnos)
		errs += " " + errno_name(e) + "=" + std::to_string(n);
	std::fprintf(stderr, "bench: %-40s %10.0f ops/s  p50 %8.1f us  p99 %8.1f us%s\n",
		     rec.name.c_str(), rate, rec.p50 / 1e3, rec.p99 / 1e3, errs.c_str());
}

void write_meta(FILE *out, const BenchOptions &o)
{
	utsname u{};
	uname(&u);
	std::fputs("{\"meta\": ", out);
	std::fputs(json_line([&](Json &j) {
		j.begin_object();
		j.num("ops", o.ops);
		j.num("suspend_ops", o.suspend_ops);
		j.num("warmup", o.warmup);
		j.num("rounds", o.rounds);
		j.num("ticker_period_ns", o.ticker_period_ns);
		j.num("fault_percent", o.fault_percent);
		j.str("kernel", u.release);
		j.num("cpus", sysconf(_SC_NPROCESSORS_ONLN));
		j.str("clocksource",
		      read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource"));
		j.end_object();
	}).c_str(), out);
	std::fputs(",\n\"results\": [", out);
}

void write_status(FILE *out, bool ok, const std::string &error)
{
	std::fputs("\n],\n\"status\": ", out);
	std::fputs(json_line([&](Json &j) {
		j.begin_object();
		j.boolean("ok", ok);
		j.str("error", error);
		j.end_object();
	}).c_str(), out);
	std::fputs("}\n", out);
}

} // namespace

int cmd_bench(const char *device_path, int argc, char **argv)
{
	BenchOptions o;
	std::string error;
	if (!parse_options(argc, argv, o, error)) {
		std::fprintf(stderr, "dynasync bench: %s\n\n%s", error.c_str(), kBenchUsage);
		return 2;
	}
	Device dev = Device::open(device_path);
	if (dev.fd() < 0) {
		std::fprintf(stderr, "dynasync: %s\n", dev.error().c_str());
		return 1;
	}
	FILE *out = stdout;
	if (!o.out.empty()) {
		out = std::fopen(o.out.c_str(), "w");
		if (!out) {
			std::fprintf(stderr, "dynasync bench: %s: %s\n", o.out.c_str(),
				     std::strerror(errno));
			return 1;
		}
	}
	std::fprintf(stderr,
		     "bench: %llu measured ops per measurement (%llu for suspending calls) in %u "
		     "interleaved rounds, %llu warm-up ops before; ticker period %llu ns; failure "
		     "runs at %u%%\n",
		     (unsigned long long)o.ops, (unsigned long long)o.suspend_ops, o.rounds,
		     (unsigned long long)o.warmup, (unsigned long long)o.ticker_period_ns,
		     o.fault_percent);
	write_meta(out, o);
	std::vector<Record> records;
	bool ok = run_bench(device_path, dev, o, records, error);
	for (size_t k = 0; k < records.size(); k++)
		emit(out, records[k], k == 0);
	write_status(out, ok, error);
	if (!ok)
		std::fprintf(stderr, "dynasync bench: %s\n", error.c_str());
	if (out != stdout)
		std::fclose(out);
	if (!ok)
		std::fprintf(stderr, "dynasync bench: FAILED\n");
	return ok ? 0 : 1;
}

} // namespace harness
