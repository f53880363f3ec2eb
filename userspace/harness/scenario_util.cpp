// SPDX-License-Identifier: GPL-2.0
#include "scenario_util.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include "fault_spec.h"
#include "names.h"
#include "progress.h"

namespace harness::scenario {

namespace {

const char kDebugfs[] = "/sys/kernel/debug/dynasync/fault/";

bool write_field(const char *name, const std::string &value, std::string &error)
{
	std::string path = std::string(kDebugfs) + name;
	FILE *f = std::fopen(path.c_str(), "w");
	if (!f) {
		error = path + ": " + std::strerror(errno);
		return false;
	}
	// One write(2) per value: the module validates each write whole.
	bool ok = std::fputs(value.c_str(), f) >= 0;
	ok = std::fflush(f) == 0 && ok;
	int e = errno;
	ok = std::fclose(f) == 0 && ok;
	if (!ok)
		error = "echo " + value + " > " + path + ": " + std::strerror(e ? e : errno);
	return ok;
}

bool write_policy(const dynasync_fault_policy &p, std::string &error)
{
	// Off first, so the field writes are only stored; mode last arms it.
	if (!write_field("mode", "0", error))
		return false;
	const std::pair<const char *, std::string> fields[] = {
		{ "sites", std::to_string(p.sites) },
		{ "strategies", std::to_string(p.strategies) },
		{ "trait", std::to_string(p.trait) },
		{ "method", std::to_string(p.method) },
		{ "nth", std::to_string(p.nth) },
		{ "probability", std::to_string(p.probability) },
		{ "interval", std::to_string(p.interval) },
		{ "times", std::to_string(p.times) },
		{ "space", std::to_string(p.space) },
		{ "seed", std::to_string(p.seed) },
	};
	for (const auto &[name, value] : fields)
		if (!write_field(name, value, error))
			return false;
	return p.mode == DYNASYNC_FAULT_OFF || write_field("mode", std::to_string(p.mode), error);
}

} // namespace

void Tally::outcome(int res, uint64_t injected)
{
	ops_++;
	completion(res, injected);
}

void Tally::completion(int res, uint64_t injected)
{
	injected_ += injected;
	outcomes_[res >= 0 ? "ok" : errno_name(-res)]++;
}

void Tally::fail(const std::string &what)
{
	failures_++;
	std::printf("  FAIL: %s\n", what.c_str());
	std::fflush(stdout);
}

void Tally::note(const std::string &what) const
{
	std::printf("  ok: %s\n", what.c_str());
	std::fflush(stdout);
}

int Tally::finish(const std::string &name) const
{
	std::string line = name + ": " + (passed() ? "PASS" : "FAIL") +
			   " ops=" + std::to_string(ops_) +
			   " injected=" + std::to_string(injected_);
	// ok first, then the errnos by name.
	auto ok = outcomes_.find("ok");
	line += " ok=" + std::to_string(ok == outcomes_.end() ? 0 : ok->second);
	for (const auto &[key, n] : outcomes_)
		if (key != "ok")
			line += " " + key + "=" + std::to_string(n);
	line += " lost=" + std::to_string(lost_) + " duplicated=" + std::to_string(duplicated_) +
		" leaked=" + std::to_string(leaked_);
	if (failures_)
		line += " violations=" + std::to_string(failures_);
	std::printf("%s\n", line.c_str());
	std::fflush(stdout);
	return passed() ? 0 : 1;
}

std::string res_str(int res)
{
	return res < 0 ? "-" + errno_name(-res) : std::to_string(res);
}

dynasync_storage storage_of(uint32_t strategy, uint32_t reserve_frames, uint32_t task_stack)
{
	dynasync_storage st{};
	st.strategy = strategy;
	if (strategy == DYNASYNC_STRATEGY_RESERVE)
		st.reserve_frames = reserve_frames;
	if (strategy == DYNASYNC_STRATEGY_TASK_STACK)
		st.task_stack_size = task_stack;
	return st;
}

int create_tree(const Device &dev, const Spec &spec, const dynasync_storage &storage,
		const dynasync_storage &inner_storage, uint32_t &handle)
{
	dynasync_create c{};
	for (size_t i = 0; i < spec.inner.size() && i < 2; i++) {
		int r = create_tree(dev, spec.inner[i], inner_storage, inner_storage, c.inner[i]);
		if (r < 0) {
			for (size_t j = 0; j < i; j++)
				dev.destroy(c.inner[j]);
			return r;
		}
	}
	c.trait = spec.trait();
	c.impl = spec.impl;
	c.param[0] = spec.param[0];
	c.param[1] = spec.param[1];
	c.storage = storage;
	int r = dev.create(c);
	if (r < 0) {
		for (uint32_t h : c.inner)
			if (h)
				dev.destroy(h);
		return r;
	}
	handle = c.handle;
	return 0;
}

int call(const Device &dev, uint32_t handle, uint32_t method, uint64_t arg0, uint64_t arg1,
	 dynasync_call_out &out)
{
	dynasync_call c{};
	c.handle = handle;
	c.method = method;
	c.arg[0] = arg0;
	c.arg[1] = arg1;
	out = dynasync_call_out{};
	c.out_ptr = reinterpret_cast<uintptr_t>(&out);
	return dev.call(c);
}

int arm_file(const Device &dev, const std::string &spec, std::string &error)
{
	dynasync_fault_policy p{};
	if (!parse_fault_spec(spec, p, error))
		return -EINVAL;
	p.flags = DYNASYNC_FAULT_F_RESET_COUNTERS;
	int r = dev.fault_set(p);
	if (r < 0)
		error = "FAULT_SET " + describe_fault_policy(p) + ": " + res_str(r);
	return r;
}

int disarm_file(const Device &dev)
{
	dynasync_fault_policy p{};
	return dev.fault_set(p);
}

bool arm_global(const std::string &spec, std::string &error)
{
	dynasync_fault_policy p{};
	if (!parse_fault_spec(spec, p, error))
		return false;
	return write_policy(p, error);
}

bool disarm_global(std::string &error)
{
	dynasync_fault_policy off{};
	return write_policy(off, error);
}

long long global_injected()
{
	std::string path = std::string(kDebugfs) + "counters";
	FILE *f = std::fopen(path.c_str(), "r");
	if (!f)
		return -1;
	char line[256];
	long long total = 0;
	bool header = true;
	while (std::fgets(line, sizeof(line), f)) {
		if (header) {	// column names
			header = false;
			continue;
		}
		char site[64];
		unsigned long long attempted, injected, failed;
		if (std::sscanf(line, "%63s %llu %llu %llu", site, &attempted, &injected,
				&failed) == 4)
			total += static_cast<long long>(injected);
	}
	std::fclose(f);
	return total;
}

int finish_quiescent(const Device &dev, Tally &t, const std::string &name)
{
	std::string detail;
	uint64_t left = wait_quiescent(dev, 1000, detail);
	t.add_leaked(left);
	if (left)
		t.fail("after DESTROY of everything: " + detail);
	else
		t.note("teardown: " + detail);
	return t.finish(name);
}

uint64_t wait_quiescent(const Device &dev, long max_ms, std::string &detail)
{
	double start = now_s();
	dynasync_stats s{};
	uint64_t left = 0;
	int polls = 0;
	for (;;) {
		if (int r = dev.stats(s); r < 0) {
			detail = "STATS: " + res_str(r);
			return 1;
		}
		polls++;
		left = 0;
		detail.clear();
		for (unsigned i = 0; i < DYNASYNC_SITES; i++) {
			left += s.live_allocs[i];
			if (s.live_allocs[i])
				detail += " live_allocs[site " + std::to_string(i) + "] " +
					  std::to_string(s.live_allocs[i]);
		}
		for (unsigned st = 1; st <= DYNASYNC_STRATEGY_MAX; st++) {
			left += s.strategy[st].live_frames;
			if (s.strategy[st].live_frames)
				detail += std::string(" ") + strategy_name(st) + " live_frames " +
					  std::to_string(s.strategy[st].live_frames);
		}
		if (!left || (now_s() - start) * 1000 > max_ms)
			break;
		usleep(2000);
	}
	char buf[128];
	std::snprintf(buf, sizeof(buf), "%s after %d STATS reads (%.0f ms, limit %ld ms)",
		      left ? "still live" : "all 0", polls, (now_s() - start) * 1000, max_ms);
	detail = std::string(buf) + (left ? ":" + detail : "");
	return left;
}

uint64_t frame_size(const Device &dev, uint32_t impl, uint32_t method, bool &ok)
{
	dynasync_layout l{};
	l.trait = impl_trait(impl);
	l.impl = impl;
	l.method = method;
	ok = dev.layout(l) == 0;
	return ok ? l.frame_size : 0;
}

} // namespace harness::scenario
