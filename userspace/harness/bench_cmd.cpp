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

#include "bench_sources.h"
#include "json.h"
#include "names.h"

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
	"  --rounds R           each measurement in R equal rounds; ops/s is their median\n"
	"                       (robust against a stall of the host; default 5)\n"
	"  --kinds LIST         what to measure (default nop,reject,ready,suspend,ioctl): reject\n"
	"                       is calls the module refuses at once (-EINVAL: bad flags;\n"
	"                       -ENOENT: no such handle), which split a call's cost\n"
	"  --out FILE           write the JSON there\n"
	"  --quick              a short run (smoke test): --ops 200 --warmup 20\n";

namespace {

struct BenchOptions {
	uint64_t ops = 4000;
	uint64_t suspend_ops = 0;	// 0: ops
	uint64_t warmup = UINT64_MAX;	// UINT64_MAX: ops / 10
	std::vector<unsigned> qds{ 1, 8, 64 };
	std::vector<unsigned> batches{ 1, 8, 64 };
	std::vector<uint32_t> strategies;
	uint64_t ticker_period_ns = 1;
	unsigned fault_percent = 10;
	unsigned rounds = 5;
	std::string out;
	// Which measurements run: NOPs, ready-at-once and suspending calls on
	// the ring, and the ioctl ones.
	bool nop = true, reject = true, ready = true, suspend = true, ioctl = true;
};

struct Record {
	std::string name;
	const char *path = "";		// uring_nop, uring_cmd, ioctl
	const char *kind = "";		// nop, ready, suspend
	const char *strategy = "-";
	unsigned qd = 1, batch = 1, fault_percent = 0;
	uint64_t ops = 0, ok = 0, injected = 0;
	double seconds = 0;
	double median_rate = 0;		// of the rounds
	uint64_t p50 = 0, p99 = 0;
	std::map<int, uint64_t> errnos;
};

bool parse_num(const char *s, uint64_t &v)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end = nullptr;
	errno = 0;
	unsigned long long x = std::strtoull(s, &end, 10);
	uint64_t mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	if (errno || *end || end == s)
		return false;
	v = x * mul;
	return true;
}

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
			if (!parse_num(val, v) || v < min || v > max) {
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
				if (!parse_num(s.c_str(), v) || v < 1 || v > 4096) {
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
			o.ops = 200;
			o.warmup = 20;
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

class Bench {
public:
	Bench(const Device &dev, const BenchOptions &o, FILE *out) : dev_(dev), o_(o), out_(out) {}

	bool run();
	void finish(bool ok);

private:
	bool nop(CallPath &path, unsigned qd, unsigned batch);
	bool reject(CallPath &path, unsigned qd, unsigned batch, int err);
	bool calls(CallPath &path, unsigned qd, unsigned batch, uint32_t strategy, BenchKind kind,
		   unsigned fault_percent);
	bool measure(CallPath &path, BenchSource &src, CallSource *calls, Record &rec,
		     uint64_t ops);
	bool strategy(CallPath &path, unsigned qd, unsigned batch, uint32_t s)
	{
		if (o_.ready && !calls(path, qd, batch, s, BenchKind::kReady, 0))
			return false;
		if (o_.suspend && !calls(path, qd, batch, s, BenchKind::kSuspend, 0))
			return false;
		return !o_.ready || !o_.fault_percent ||
		       calls(path, qd, batch, s, BenchKind::kReady, o_.fault_percent);
	}
	void emit(const Record &rec);
	bool fail(const std::string &what)
	{
		if (error_.empty())
			error_ = what;
		return false;
	}

	const Device &dev_;
	const BenchOptions &o_;
	FILE *out_;
	bool first_ = true;
	std::string error_;
};

bool Bench::measure(CallPath &path, BenchSource &src, CallSource *calls, Record &rec,
		    uint64_t ops)
{
	LoopResult r;
	if (o_.warmup && !bench_loop(path, src, rec.qd, rec.batch, o_.warmup, r))
		return fail(rec.name + ": warm-up: " + r.error);
	if (calls)
		calls->reset_counts();
	std::vector<uint64_t> latency;
	std::vector<double> rates;
	latency.reserve(ops);
	for (unsigned k = 0; k < o_.rounds; k++) {
		// The rounds split @ops; the first takes the remainder.
		uint64_t n = ops / o_.rounds + (k ? 0 : ops % o_.rounds);
		if (!n)
			continue;
		if (!bench_loop(path, src, rec.qd, rec.batch, n, r))
			return fail(rec.name + ": " + r.error);
		rec.ops += r.ops;
		rec.seconds += r.seconds;
		rates.push_back(r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0);
		latency.insert(latency.end(), r.latency_ns.begin(), r.latency_ns.end());
	}
	std::sort(rates.begin(), rates.end());
	rec.median_rate = rates.empty() ? 0 : rates[rates.size() / 2];
	rec.p50 = percentile(latency, 50);
	rec.p99 = percentile(latency, 99);
	if (calls) {
		rec.ok = calls->ok();
		rec.errnos = calls->errnos();
		rec.injected = calls->injected();
	} else {
		rec.ok = rec.ops;
	}
	emit(rec);
	return true;
}

bool Bench::nop(CallPath &path, unsigned qd, unsigned batch)
{
	Record rec;
	rec.path = "uring_nop";
	rec.kind = "nop";
	rec.qd = qd;
	rec.batch = batch;
	rec.name = "uring_nop/nop/qd" + std::to_string(qd) + "/b" + std::to_string(batch);
	NopSource src;
	return measure(path, src, nullptr, rec, o_.ops);
}

bool Bench::reject(CallPath &path, unsigned qd, unsigned batch, int err)
{
	Record rec;
	const bool uring = std::strcmp(path.name(), "ioctl") != 0;
	rec.path = uring ? "uring_cmd" : "ioctl";
	rec.kind = err == EINVAL ? "invalid" : "no-object";
	rec.qd = qd;
	rec.batch = batch;
	rec.name = std::string(rec.path) + "/" + rec.kind;
	if (uring)
		rec.name += "/qd" + std::to_string(qd) + "/b" + std::to_string(batch);
	RejectSource src(err);
	if (!measure(path, src, nullptr, rec, o_.ops))
		return false;
	return true;
}

bool Bench::calls(CallPath &path, unsigned qd, unsigned batch, uint32_t strategy,
		  BenchKind kind, unsigned fault_percent)
{
	Record rec;
	const bool uring = std::strcmp(path.name(), "ioctl") != 0;
	rec.path = uring ? "uring_cmd" : "ioctl";
	rec.kind = kind == BenchKind::kReady ? "ready" : "suspend";
	rec.strategy = strategy_name(strategy);
	rec.qd = qd;
	rec.batch = batch;
	rec.fault_percent = fault_percent;
	rec.name = std::string(rec.path) + "/" + rec.kind +
		   (fault_percent ? "+fault" + std::to_string(fault_percent) : "") + "/" +
		   rec.strategy;
	if (uring)
		rec.name += "/qd" + std::to_string(qd) + "/b" + std::to_string(batch);

	CallBenchConfig cfg;
	cfg.strategy = strategy;
	cfg.kind = kind;
	cfg.slots = qd;
	cfg.ticker_period_ns = o_.ticker_period_ns;
	cfg.fault_percent = fault_percent;
	std::string err;
	auto src = CallSource::make(dev_, cfg, err);
	if (!src)
		return fail(rec.name + ": " + err);
	bool good = measure(path, *src, src.get(), rec,
			    kind == BenchKind::kReady ? o_.ops : o_.suspend_ops);
	if (!src->finish(err))
		return fail(rec.name + ": " + err);
	return good;
}

void Bench::emit(const Record &rec)
{
	const double rate = rec.median_rate;
	const double mean_rate = rec.seconds > 0 ? static_cast<double>(rec.ops) / rec.seconds : 0;
	std::fputs(first_ ? "\n" : ",\n", out_);
	first_ = false;
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
		j.real("ops_per_s_overall", mean_rate);
		j.num("p50_ns", rec.p50);
		j.num("p99_ns", rec.p99);
		j.num("ok", rec.ok);
		j.num("injected", rec.injected);
		j.begin_object("errnos");
		for (const auto &[e, n] : rec.errnos)
			j.num(errno_name(e).c_str(), n);
		j.end_object();
		j.end_object();
	}).c_str(), out_);
	std::fflush(out_);

	std::string errs;
	for (const auto &[e, n] : rec.errnos)
		errs += " " + errno_name(e) + "=" + std::to_string(n);
	std::fprintf(stderr, "bench: %-40s %10.0f ops/s  p50 %8.1f us  p99 %8.1f us%s\n",
		     rec.name.c_str(), rate, rec.p50 / 1e3, rec.p99 / 1e3, errs.c_str());
}

bool Bench::run()
{
	utsname u{};
	uname(&u);
	std::fputs("{\"meta\": ", out_);
	std::fputs(json_line([&](Json &j) {
		j.begin_object();
		j.num("ops", o_.ops);
		j.num("suspend_ops", o_.suspend_ops);
		j.num("warmup", o_.warmup);
		j.num("rounds", o_.rounds);
		j.num("ticker_period_ns", o_.ticker_period_ns);
		j.num("fault_percent", o_.fault_percent);
		j.str("kernel", u.release);
		j.num("cpus", sysconf(_SC_NPROCESSORS_ONLN));
		j.str("clocksource",
		      read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource"));
		j.end_object();
	}).c_str(), out_);
	std::fputs(",\n\"results\": [", out_);
	std::fprintf(stderr,
		     "bench: %llu measured ops per measurement (%llu for suspending calls), "
		     "%llu warm-up ops before each; ticker period %llu ns; failure runs at %u%%\n",
		     (unsigned long long)o_.ops, (unsigned long long)o_.suspend_ops,
		     (unsigned long long)o_.warmup, (unsigned long long)o_.ticker_period_ns,
		     o_.fault_percent);

	for (unsigned qd : o_.qds) {
		std::string err;
		auto path = open_uring_path(dev_, qd, err);
		if (!path)
			return fail(err);
		for (unsigned batch : o_.batches) {
			if (batch > qd)
				continue;
			if (o_.nop && !nop(*path, qd, batch))
				return false;
			if (o_.reject && (!reject(*path, qd, batch, EINVAL) ||
					  !reject(*path, qd, batch, ENOENT)))
				return false;
			for (uint32_t s : o_.strategies)
				if (!strategy(*path, qd, batch, s))
					return false;
		}
	}
	auto ioctl = open_ioctl_path(dev_);
	if (o_.ioctl && o_.reject &&
	    (!reject(*ioctl, 1, 1, EINVAL) || !reject(*ioctl, 1, 1, ENOENT)))
		return false;
	for (uint32_t s : o_.strategies)
		if (o_.ioctl && !strategy(*ioctl, 1, 1, s))
			return false;

	// Nothing may be left: every call completed once, no object remains.
	dynasync_stats st;
	int r = dev_.stats(st);
	if (r < 0)
		return fail("STATS: " + errno_name(-r));
	if (st.objects || st.inflight || st.calls != st.completions)
		return fail("after the runs: " + std::to_string(st.objects) + " objects, " +
			    std::to_string(st.inflight) + " in flight, " +
			    std::to_string(st.calls) + " calls vs " +
			    std::to_string(st.completions) + " completions");
	return true;
}

void Bench::finish(bool ok)
{
	std::fputs("\n],\n\"status\": ", out_);
	std::fputs(json_line([&](Json &j) {
		j.begin_object();
		j.boolean("ok", ok);
		j.str("error", error_);
		j.end_object();
	}).c_str(), out_);
	std::fputs("}\n", out_);
	std::fflush(out_);
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
	bool ok;
	{
		Bench b(dev, o, out);
		ok = b.run();
		b.finish(ok);
	}
	if (out != stdout)
		std::fclose(out);
	if (!ok)
		std::fprintf(stderr, "dynasync bench: FAILED\n");
	return ok ? 0 : 1;
}

} // namespace harness
