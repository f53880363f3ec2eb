// SPDX-License-Identifier: GPL-2.0
#include "bench_run.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>

#include "bench_loop.h"
#include "bench_sources.h"
#include "names.h"

namespace harness {

namespace {

struct Cell {
	Record rec;
	CallPath *path = nullptr;
	BenchSource *src = nullptr;
	CallSource *calls = nullptr;	// null: NOPs or refused calls
	uint64_t ops = 0;		// over all rounds
	std::vector<uint64_t> latency;
	std::vector<double> rates;
};

class Runner {
public:
	Runner(const Device &dev, const BenchOptions &o) : dev_(dev), o_(o) {}
	~Runner();

	bool setup(const char *device_path);
	bool run();
	bool teardown();
	void records(std::vector<Record> &out) const;
	const std::string &error() const { return error_; }

private:
	// The two files: 0 runs clean, 1 has the failure runs' policy.
	const Device &dev(int which) const { return which ? *faulty_ : dev_; }
	CallPath *ring(int which, unsigned qd);
	CallSource *calls(int which, unsigned qd, uint32_t strategy, BenchKind kind);
	void add(CallPath *path, BenchSource *src, CallSource *calls, const char *kind,
		 uint32_t strategy, unsigned qd, unsigned batch, unsigned fault);
	void add_strategies(int ring_or_ioctl, unsigned qd, unsigned batch);
	bool check_clean(const Device &d, const char *which);
	bool fail(const std::string &what)
	{
		if (error_.empty())
			error_ = what;
		return false;
	}

	const Device &dev_;
	const BenchOptions &o_;
	std::optional<Device> faulty_;
	std::map<std::pair<int, unsigned>, std::unique_ptr<CallPath>> rings_;
	std::unique_ptr<CallPath> ioctl_[2];
	std::map<std::tuple<int, unsigned, uint32_t, int>, std::unique_ptr<CallSource>> calls_;
	NopSource nop_;
	RejectSource invalid_{ EINVAL };
	RejectSource missing_{ ENOENT };
	std::vector<Cell> cells_;
	bool armed_ = false;
	std::string error_;
};

Runner::~Runner()
{
	if (armed_)
		faulty_->fault_set(dynasync_fault_policy{});
}

CallPath *Runner::ring(int which, unsigned qd)
{
	auto &r = rings_[{ which, qd }];
	if (!r) {
		std::string err;
		r = open_uring_path(dev(which), qd, err);
		if (!r)
			fail(err);
	}
	return r.get();
}

CallSource *Runner::calls(int which, unsigned qd, uint32_t strategy, BenchKind kind)
{
	auto &c = calls_[{ which, qd, strategy, static_cast<int>(kind) }];
	if (!c) {
		CallBenchConfig cfg;
		cfg.strategy = strategy;
		cfg.kind = kind;
		cfg.slots = qd;
		cfg.ticker_period_ns = o_.ticker_period_ns;
		cfg.fault_percent = which ? o_.fault_percent : 0;
		std::string err;
		c = CallSource::make(dev(which), cfg, err);
		if (!c)
			fail(err);
	}
	return c.get();
}

void Runner::add(CallPath *path, BenchSource *src, CallSource *calls, const char *kind,
		 uint32_t strategy, unsigned qd, unsigned batch, unsigned fault)
{
	if (!path || !src)
		return;	// setup failed: error_ says why
	Cell c;
	const bool ioctl = std::string(path->name()) == "ioctl";
	c.rec.path = ioctl ? "ioctl" : src == &nop_ ? "uring_nop" : "uring_cmd";
	c.rec.kind = kind;
	c.rec.strategy = strategy ? strategy_name(strategy) : "-";
	c.rec.qd = qd;
	c.rec.batch = batch;
	c.rec.fault_percent = fault;
	c.rec.name = std::string(c.rec.path) + "/" + kind +
		     (fault ? "+fault" + std::to_string(fault) : "");
	if (strategy)
		c.rec.name += std::string("/") + c.rec.strategy;
	if (!ioctl)
		c.rec.name += "/qd" + std::to_string(qd) + "/b" + std::to_string(batch);
	c.path = path;
	c.src = src;
	c.calls = calls;
	c.ops = std::string(kind) == "suspend" ? o_.suspend_ops : o_.ops;
	cells_.push_back(std::move(c));
}

// @qd 0: the ioctl path.
void Runner::add_strategies(int, unsigned qd, unsigned batch)
{
	const unsigned slots = qd ? qd : 1;
	for (uint32_t s : o_.strategies) {
		CallPath *clean = qd ? ring(0, qd) : ioctl_[0].get();
		if (o_.ready)
			add(clean, calls(0, slots, s, BenchKind::kReady), calls(0, slots, s, BenchKind::kReady),
			    "ready", s, slots, batch, 0);
		if (o_.suspend)
			add(clean, calls(0, slots, s, BenchKind::kSuspend),
			    calls(0, slots, s, BenchKind::kSuspend), "suspend", s, slots, batch, 0);
		if (o_.ready && o_.fault_percent) {
			CallPath *faulty = qd ? ring(1, qd) : ioctl_[1].get();
			CallSource *src = calls(1, slots, s, BenchKind::kReady);
			add(faulty, src, src, "ready", s, slots, batch, o_.fault_percent);
		}
	}
}

bool Runner::setup(const char *device_path)
{
	// Objects each file needs at once: one per slot of every source.
	uint64_t slots = 1;
	for (unsigned qd : o_.qds)
		slots += qd;
	const uint64_t per_file = slots * o_.strategies.size() * ((o_.ready ? 1 : 0) + (o_.suspend ? 1 : 0));
	const long max_objects = module_param("max_objects", 1024);
	if (static_cast<long>(per_file) > max_objects)
		return fail("the plan needs " + std::to_string(per_file) +
			    " objects on one file, above max_objects " + std::to_string(max_objects) +
			    " (raise it in /sys/module/dynasync/parameters, or fewer --qd/--strategies)");

	faulty_.emplace(Device::open(device_path));
	if (faulty_->fd() < 0)
		return fail("the failure runs' file: " + faulty_->error());
	ioctl_[0] = open_ioctl_path(dev_);
	ioctl_[1] = open_ioctl_path(*faulty_);

	for (unsigned qd : o_.qds) {
		for (unsigned batch : o_.batches) {
			if (batch > qd)
				continue;
			if (o_.nop)
				add(ring(0, qd), &nop_, nullptr, "nop", 0, qd, batch, 0);
			if (o_.reject) {
				add(ring(0, qd), &invalid_, nullptr, "invalid", 0, qd, batch, 0);
				add(ring(0, qd), &missing_, nullptr, "no-object", 0, qd, batch, 0);
			}
			add_strategies(0, qd, batch);
		}
	}
	if (o_.ioctl) {
		if (o_.reject) {
			add(ioctl_[0].get(), &invalid_, nullptr, "invalid", 0, 1, 1, 0);
			add(ioctl_[0].get(), &missing_, nullptr, "no-object", 0, 1, 1, 0);
		}
		add_strategies(0, 0, 1);
	}
	if (!error_.empty())
		return false;
	// Armed once every object exists: CREATEs would fail too.
	if (o_.fault_percent && o_.ready) {
		int r = arm_rate_faults(*faulty_, o_.fault_percent, 1);
		if (r < 0)
			return fail("FAULT_SET rate probability=" + std::to_string(o_.fault_percent) +
				    ": " + errno_name(-r));
		armed_ = true;
	}
	return true;
}

bool Runner::run()
{
	LoopResult r;
	for (Cell &c : cells_) {
		if (o_.warmup && !bench_loop(*c.path, *c.src, c.rec.qd, c.rec.batch, o_.warmup, r))
			return fail(c.rec.name + ": warm-up: " + r.error);
		c.latency.reserve(c.ops);
	}
	const double t0 = static_cast<double>(mono_ns()) / 1e9;
	for (unsigned k = 0; k < o_.rounds; k++) {
		for (Cell &c : cells_) {
			// The rounds split the ops; the first takes the remainder.
			const uint64_t n = c.ops / o_.rounds + (k ? 0 : c.ops % o_.rounds);
			if (!n)
				continue;
			if (c.calls)
				c.calls->reset_counts();
			if (!bench_loop(*c.path, *c.src, c.rec.qd, c.rec.batch, n, r))
				return fail(c.rec.name + ": " + r.error);
			c.rec.ops += r.ops;
			c.rec.seconds += r.seconds;
			c.rates.push_back(r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0);
			c.latency.insert(c.latency.end(), r.latency_ns.begin(), r.latency_ns.end());
			if (c.calls) {
				c.rec.ok += c.calls->ok();
				c.rec.injected += c.calls->injected();
				for (const auto &[e, cnt] : c.calls->errnos())
					c.rec.errnos[e] += cnt;
			} else {
				c.rec.ok += r.ops;
			}
		}
		std::fprintf(stderr, "bench: round %u of %u done (%.1f s)\n", k + 1, o_.rounds,
			     static_cast<double>(mono_ns()) / 1e9 - t0);
	}
	for (Cell &c : cells_) {
		std::sort(c.rates.begin(), c.rates.end());
		c.rec.median_rate = c.rates.empty() ? 0 : c.rates[c.rates.size() / 2];
		c.rec.p50 = percentile(c.latency, 50);
		c.rec.p99 = percentile(c.latency, 99);
		std::vector<uint64_t>().swap(c.latency);
	}
	return true;
}

// Nothing may be left on a file: every call completed once, no object.
bool Runner::check_clean(const Device &d, const char *which)
{
	dynasync_stats st;
	int r = d.stats(st);
	if (r < 0)
		return fail(std::string("STATS (") + which + "): " + errno_name(-r));
	if (st.objects || st.inflight || st.calls != st.completions)
		return fail(std::string("after the runs (") + which + " file): " +
			    std::to_string(st.objects) + " objects, " + std::to_string(st.inflight) +
			    " in flight, " + std::to_string(st.calls) + " calls vs " +
			    std::to_string(st.completions) + " completions");
	return true;
}

bool Runner::teardown()
{
	bool good = true;
	if (armed_) {
		int r = faulty_->fault_set(dynasync_fault_policy{});
		if (r < 0)
			good = fail("FAULT_SET off: " + errno_name(-r));
		armed_ = false;
	}
	for (auto &[key, c] : calls_) {
		std::string err;
		if (c && !c->finish(err))
			good = fail(err);
	}
	if (!good)
		return false;
	return check_clean(dev_, "clean") && (!faulty_ || check_clean(*faulty_, "failure runs'"));
}

void Runner::records(std::vector<Record> &out) const
{
	for (const Cell &c : cells_)
		out.push_back(c.rec);
}

} // namespace

bool run_bench(const char *device_path, const Device &dev, const BenchOptions &o,
	       std::vector<Record> &records, std::string &error)
{
	Runner r(dev, o);
	bool good = r.setup(device_path) && r.run();
	good = r.teardown() && good;
	if (good)
		r.records(records);
	error = r.error();
	return good;
}

} // namespace harness
