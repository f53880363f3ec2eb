// SPDX-License-Identifier: GPL-2.0
#include "fuzz_engine.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "names.h"

namespace harness::fuzz {

uint64_t mono_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + ts.tv_nsec;
}

void Counts::add(const Counts &o)
{
	if (o.violations && (!violations || o.first_violation < first_violation))
		first_violation = o.first_violation;
	requests += o.requests;
	for (int c = 0; c < kCmds; c++) {
		per_cmd[c] += o.per_cmd[c];
		for (int e = 0; e < kResults; e++)
			per_cmd_res[c][e] += o.per_cmd_res[c][e];
	}
	for (int m = 0; m < kMuts; m++)
		per_mut[m] += o.per_mut[m];
	for (int c = 0; c < kCmds; c++)
		per_cmd_ns[c] += o.per_cmd_ns[c];
	reap_ns += o.reap_ns;
	trim_ns += o.trim_ns;
	setup_ns += o.setup_ns;
	stacked_too_deep += o.stacked_too_deep;
	violations += o.violations;
	lost += o.lost;
	duplicated += o.duplicated;
	leaked += o.leaked;
}

Engine::Engine(const FuzzOptions &o, Counts &counts) : opt_(o), n_(counts) {}

Engine::~Engine()
{
	if (ring_ok_)
		io_uring_queue_exit(&ring_);
	if (plain_ok_)
		io_uring_queue_exit(&plain_);
	if (fd_ >= 0)
		close(fd_);
	if (foreign_fd_ >= 0)
		close(foreign_fd_);
}

bool Engine::init(std::string &err)
{
	fd_ = open(opt_.path, O_RDWR | O_CLOEXEC);
	foreign_fd_ = open(opt_.path, O_RDWR | O_CLOEXEC);
	if (fd_ < 0 || foreign_fd_ < 0) {
		err = std::string("cannot open ") + opt_.path + ": " + std::strerror(errno);
		return false;
	}
	io_uring_params p{};
	p.flags = IORING_SETUP_SQE128;
	int r = io_uring_queue_init_params(kDepth * 2, &ring_, &p);
	if (r < 0) {
		err = std::string("io_uring (SQE128): ") + std::strerror(-r);
		return false;
	}
	ring_ok_ = true;
	r = io_uring_queue_init(4, &plain_, 0);
	if (r < 0) {
		err = std::string("io_uring: ") + std::strerror(-r);
		return false;
	}
	plain_ok_ = true;
	cap_ns_ = static_cast<uint64_t>(module_param("max_call_ms", 10000)) * 1000000ULL;
	// The layout table: CREATE's slot_size and LAYOUT's answers are checked
	// against it.
	for (uint32_t impl = 1; impl <= DYNASYNC_IMPL_MAX; impl++) {
		uint32_t trait = impl == DYNASYNC_IMPL_GADGET ? 2 : 1;
		for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++) {
			dynasync_layout l{};
			l.trait = trait;
			l.impl = impl;
			l.method = m;
			if (ioctl(fd_, DYNASYNC_IOC_LAYOUT, &l) == 0) {
				layout_frame_[impl][m] = l.frame_size;
				trait_slot_[trait] = l.slot_size;
			}
		}
	}
	if (!trait_slot_[1] || !trait_slot_[2]) {
		err = "LAYOUT gave no slot sizes";
		return false;
	}
	// Foreign handles: live on the other file, never on ours (handles
	// count up per file, so these are above anything ours reaches soon).
	for (int k = 0; k < 3000; k++) {
		dynasync_create c{};
		c.trait = 1;
		c.impl = 1;
		c.param[1] = 1;
		c.storage.strategy = DYNASYNC_STRATEGY_BOXED;
		if (ioctl(foreign_fd_, DYNASYNC_IOC_CREATE, &c))
			break;
		if (k >= 2990)
			foreign_.push_back(c.handle);
		else
			ioctl(foreign_fd_, DYNASYNC_IOC_DESTROY, &c.handle);
	}
	if (foreign_.empty()) {
		err = "cannot create objects on the second file";
		return false;
	}
	if (!mem_.map()) {
		err = "cannot map the fuzzer's pages (or its hole got filled)";
		return false;
	}
	return true;
}

long Engine::sys_ioctl(int fd, unsigned long nr, void *arg)
{
	long r = ioctl(fd, nr, arg);
	return r < 0 ? -errno : r;
}

bool Engine::verbose(uint64_t i) const
{
	return (opt_.verbose_from >= 0 && i >= static_cast<uint64_t>(opt_.verbose_from)) ||
	       (opt_.replay_to >= 0 && i == static_cast<uint64_t>(opt_.replay_to));
}

Env Engine::env() const
{
	Env e;
	e.policy_armed = policy_.mode != DYNASYNC_FAULT_OFF || !policy_known_;
	e.limits = true;	// max_file_bytes may be reached: -EDQUOT is state
	return e;
}

void Engine::violation(uint64_t i, Cmd c, Mut m, const std::string &why)
{
	if (!n_.violations || i < n_.first_violation)
		n_.first_violation = i;
	n_.violations++;
	if (n_.violations <= 20)
		std::printf("VIOLATION seed=%" PRIu64 " index=%" PRIu64 " %s/%s: %s\n"
			    "  replay: dynasync fuzz --seed %" PRIu64 " --replay-to %" PRIu64
			    " --max-work %" PRIu64 "\n",
			    opt_.seed, i, cmd_name(c), mut_name(m), why.c_str(), opt_.seed, i,
			    opt_.max_work);
}

bool Engine::record(uint64_t i, Cmd c, Mut m, long res, const Outcomes &expect,
		    const std::string &what)
{
	const int ci = static_cast<int>(c);
	n_.requests++;
	n_.per_cmd[ci]++;
	n_.per_mut[static_cast<int>(m)]++;
	int slot = res >= 0 ? 0 : static_cast<int>(-res);
	if (slot >= kResults)
		slot = kResults - 1;
	n_.per_cmd_res[ci][slot]++;
	if (verbose(i))
		std::printf("#%" PRIu64 " %s/%s %s -> %s (expected %s)\n", i, cmd_name(c),
			    mut_name(m), what.c_str(),
			    res >= 0 ? std::to_string(res).c_str() : errno_name(-res).c_str(),
			    expect.str().c_str());
	std::string got = res >= 0 ? "success " + std::to_string(res) : errno_name(-res);
	if (!documented(c).allows(res)) {
		violation(i, c, m, "undocumented outcome " + got + " (documented " +
					   documented(c).str() + ") " + what);
		return false;
	}
	if (!expect.allows(res)) {
		violation(i, c, m, "got " + got + ", expected " + expect.str() + " " + what);
		return false;
	}
	return true;
}

int Engine::free_pending() const
{
	for (int k = 0; k < kDepth; k++)
		if (!pending_[k].active)
			return k;
	return -1;
}

uint64_t Engine::live_weight() const
{
	uint64_t w = 0;
	for (const Obj &o : pool_)
		w += o.weight;
	return w;
}

void Engine::reap(bool wait_one)
{
	io_uring_cqe *cqe;
	bool waited = false;
	for (;;) {
		int r = io_uring_peek_cqe(&ring_, &cqe);
		if (r == -EAGAIN && wait_one && !waited && inflight_) {
			__kernel_timespec ts{ 30, 0 };
			r = io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
			waited = true;
		}
		if (r)
			break;
		uint64_t k = io_uring_cqe_get_data64(cqe);
		long res = cqe->res;
		io_uring_cqe_seen(&ring_, cqe);
		if (k >= static_cast<uint64_t>(kDepth) || !pending_[k].active) {
			if (n_.duplicated++ < 5)
				std::printf("fuzz: CQE nobody waits for: user_data %" PRIu64 " res %ld\n",
					    k, res);
			continue;
		}
		complete_uring(pending_[k], res);
	}
	if (plain_inflight_ && io_uring_peek_cqe(&plain_, &cqe) == 0) {
		// The ring without SQE128: one request at a time, see do_call.
		io_uring_cqe_seen(&plain_, cqe);
		plain_inflight_ = false;
	}
}

void Engine::complete_uring(Pending &p, long res)
{
	p.active = false;
	inflight_--;
	Obj *o = p.marked ? find(p.call.handle) : nullptr;
	if (o) {
		o->busy--;
		if (p.call.method == DYNASYNC_METHOD_TRANSMIT)
			o->consuming--;
	}
	Outcomes expect = p.expect;
	// Armed at any time while it ran: an injected -ENOMEM is allowed.
	if (p.late && (p.epoch != policy_epoch_ || env().policy_armed))
		expect.add(ENOMEM);
	dynasync_call_out *out = p.out_good
		? static_cast<dynasync_call_out *>(mem_.out_slot(p.slot)) : nullptr;
	char what[96];
	std::snprintf(what, sizeof(what), "handle=%u method=%u arg0=%" PRIu64 " (io_uring)",
		      p.call.handle, p.call.method, uint64_t(p.call.arg[0]));
	record(p.index, p.cmd, p.mut, res, expect, what);
	call_done(p.index, p.cmd, p.mut, p.call, res, out);
}

void Engine::step(uint64_t i)
{
	Rng r = Rng::for_request(opt_.seed, i);
	PlanHead h = plan_head(r);
	// A policy armed long enough is switched off (a valid FAULT_SET): the
	// run is not to become one long -ENOMEM.
	if (policy_.mode != DYNASYNC_FAULT_OFF && i - armed_since_ > 300)
		policy_off(i);
	const uint64_t t0 = mono_ns();
	switch (h.cmd) {
	case Cmd::Version: do_version(i, r, h.mut); break;
	case Cmd::RtCheck: do_rt_check(i, r, h.mut); break;
	case Cmd::Create: do_create(i, r, h.mut); break;
	case Cmd::Destroy: do_destroy(i, r, h.mut); break;
	case Cmd::Call:
	case Cmd::UringCall:
	case Cmd::UringNo128: do_call(i, r, h.mut, h.cmd); break;
	case Cmd::Stats: do_stats(i, r, h.mut); break;
	case Cmd::Layout: do_layout(i, r, h.mut); break;
	case Cmd::FaultSet: do_fault_set(i, r, h.mut); break;
	case Cmd::FaultGet: do_fault_get(i, r, h.mut); break;
	case Cmd::BadIoctl: do_bad_ioctl(i, r); break;
	case Cmd::UringBadOp: do_uring_bad(i, r, h.cmd); break;
	default: break;
	}
	const uint64_t t1 = mono_ns();
	reap(false);
	const uint64_t t2 = mono_ns();
	trim_pool(i, r);
	n_.per_cmd_ns[static_cast<int>(h.cmd)] += t1 - t0;
	n_.reap_ns += t2 - t1;
	n_.trim_ns += mono_ns() - t2;
}

void Engine::run()
{
	uint64_t end = opt_.iters;
	if (opt_.replay_to >= 0 && static_cast<uint64_t>(opt_.replay_to) + 1 < end)
		end = opt_.replay_to + 1;
	for (uint64_t i = 0; i < end; i++) {
		step(i);
		if ((i & 4095) == 4095 && !mem_.hole_intact()) {
			std::printf("fuzz: something was mapped into the fuzzer's hole page\n");
			n_.violations++;
			break;
		}
		if (opt_.progress && (i % 100000) == 99999)
			std::fprintf(stderr, "fuzz: seed %" PRIu64 ": %" PRIu64 " requests\n", opt_.seed,
				     i + 1);
	}
}

void Engine::finish()
{
	// Every io_uring call completes exactly once, within max_call_ms of
	// its start: wait that long past the last submission (plus slack for
	// a loaded TCG host), however many calls finish one by one. A fixed
	// number of waits called slow calls lost.
	const uint64_t give_up = mono_ns() + cap_ns_ + 60ULL * 1000000000ULL;
	while (inflight_ && mono_ns() < give_up)
		reap(true);
	n_.lost += inflight_;
	if (inflight_)
		std::printf("fuzz: %d io_uring calls never completed\n", inflight_);
	uint64_t i = opt_.iters;
	if (policy_.mode != DYNASYNC_FAULT_OFF || !policy_known_)
		policy_off(i);
	while (!pool_.empty())
		destroy_quietly(i, pool_.back().handle, Outcomes::ok());
	dynasync_stats s{};
	if (sys_ioctl(fd_, DYNASYNC_IOC_STATS, &s) == 0 && (s.objects || s.inflight)) {
		std::printf("fuzz: after destroying every object the file still has %u objects, "
			    "%u calls in flight\n", s.objects, s.inflight);
		n_.leaked += s.objects + s.inflight;
	}
	if (s.calls != s.completions) {
		std::printf("fuzz: %" PRIu64 " calls submitted, %" PRIu64 " completed\n", uint64_t(s.calls),
			    uint64_t(s.completions));
		n_.lost += s.calls - s.completions;
	}
	if (ring_ok_)
		io_uring_queue_exit(&ring_);
	if (plain_ok_)
		io_uring_queue_exit(&plain_);
	ring_ok_ = plain_ok_ = false;
	close(fd_);
	close(foreign_fd_);
	fd_ = foreign_fd_ = -1;
}

} // namespace harness::fuzz
