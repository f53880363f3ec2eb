// SPDX-License-Identifier: GPL-2.0
#include "bench_sources.h"

#include <cerrno>
#include <cstring>

#include "default_storage.h"
#include "names.h"

namespace harness {

namespace {

// Iterators that never end within a run; COUNTER starts are 2^32 apart
// so a value read from the wrong slot's object cannot pass.
constexpr uint64_t kEndless = uint64_t{1} << 40;
constexpr uint64_t kStartStride = uint64_t{1} << 32;
std::string res_name(int res)
{
	return res < 0 ? "-" + errno_name(-res) : std::to_string(res);
}

} // namespace

bool NopSource::complete(unsigned slot, int res)
{
	if (res == 0)
		return true;
	error_ = "NOP in slot " + std::to_string(slot) + " completed with " + res_name(res);
	return false;
}

std::unique_ptr<CallSource> CallSource::make(const Device &dev, const CallBenchConfig &cfg,
					     std::string &error)
{
	std::unique_ptr<CallSource> s(new CallSource(dev, cfg));
	const bool ready = cfg.kind == BenchKind::kReady;
	for (unsigned i = 0; i < cfg.slots; i++) {
		dynasync_create c{};
		c.trait = DYNASYNC_TRAIT_ITERATOR;
		c.impl = ready ? DYNASYNC_IMPL_COUNTER : DYNASYNC_IMPL_TICKER;
		c.param[0] = ready ? i * kStartStride : cfg.ticker_period_ns;
		c.param[1] = kEndless;
		c.storage = default_storage(cfg.strategy);
		int r = dev.create(c);
		if (r < 0) {
			error = std::string("CREATE ") + impl_name(c.impl) + " (" +
				strategy_name(cfg.strategy) + "): " + res_name(r);
			return nullptr;	// the destructor destroys those made so far
		}
		s->handles_.push_back(c.handle);
		s->expect_.push_back(ready ? c.param[0] : 0);
	}
	s->out_.assign(cfg.slots, dynasync_call_out{});
	return s;
}

int arm_rate_faults(const Device &dev, unsigned percent, uint64_t seed)
{
	dynasync_fault_policy p{};
	p.mode = DYNASYNC_FAULT_RATE;
	p.flags = DYNASYNC_FAULT_F_RESET_COUNTERS;
	p.probability = percent;
	p.times = -1;
	p.seed = seed;
	return dev.fault_set(p);
}

CallSource::~CallSource()
{
	std::string ignored;
	finish(ignored);
}

bool CallSource::finish(std::string &error)
{
	bool good = true;
	for (uint32_t h : handles_) {
		int r = dev_.destroy(h);
		if (r < 0 && good) {
			error = "DESTROY " + std::to_string(h) + ": " + res_name(r);
			good = false;
		}
	}
	handles_.clear();
	return good;
}

int CallSource::queue(CallPath &path, unsigned slot)
{
	dynasync_call c{};
	c.handle = handles_[slot];
	c.method = DYNASYNC_METHOD_NEXT;
	c.out_ptr = reinterpret_cast<uintptr_t>(&out_[slot]);
	return path.queue(c, slot);
}

bool CallSource::complete(unsigned slot, int res)
{
	const dynasync_call_out &o = out_[slot];
	injected_ += o.injected;
	if (res == 1 && o.value == expect_[slot] && !o.flags && !o.handle && !o.reserved) {
		expect_[slot]++;
		ok_++;
		return true;
	}
	// The one errno a call here may have: an allocation failure, which
	// leaves the iterator where it was and names its cause in the output.
	if (res == -ENOMEM && o.injected + o.alloc_failed > 0 && !o.value && !o.flags &&
	    (cfg_.fault_percent || !o.injected)) {
		errnos_[ENOMEM]++;
		return true;
	}
	// Wrong: say how (strings only here, off the measured path's way).
	error_ = std::string(strategy_name(cfg_.strategy)) + " slot " + std::to_string(slot) +
		 ": NEXT completed with " + res_name(res) + ", item " + std::to_string(o.value) +
		 " flags " + std::to_string(o.flags) + " (expected 1, item " +
		 std::to_string(expect_[slot]) + "; injected " + std::to_string(o.injected) +
		 ", alloc_failed " + std::to_string(o.alloc_failed) +
		 (o.injected && !cfg_.fault_percent ? ", with no fault policy armed)" : ")");
	return false;
}

bool RejectSource::complete(unsigned slot, int res)
{
	if (res == expect_)
		return true;
	error_ = "slot " + std::to_string(slot) + ": a call the module must refuse with " +
		 res_name(expect_) + " completed with " + res_name(res);
	return false;
}

void CallSource::reset_counts()
{
	ok_ = 0;
	injected_ = 0;
	errnos_.clear();
}

} // namespace harness
