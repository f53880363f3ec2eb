// SPDX-License-Identifier: GPL-2.0
// The io_uring stress worker: one SQE128 ring at a time (the first worker's
// is SQPOLL), calls on pooled handles of every file at queue depth up to
// kDepth, some punted to io-wq (IOSQE_ASYNC). Every SQE has a token; each
// CQE must match one outstanding token exactly once. Now and then the ring
// is torn down with calls in flight (tickers asleep): those calls are
// "unobserved"; their outputs stay mapped (the module still writes them)
// until the run ends, and the files' STATS must still settle.
#include <cerrno>
#include <cstring>
#include <liburing.h>

#include "names.h"
#include "progress.h"
#include "stress_impl.h"

namespace harness::stress {

namespace {

constexpr unsigned kDepth = 64;
constexpr size_t kCmdBytes = 80;	// an SQE128's command area

struct Entry {
	bool active = false;
	uint32_t seq = 0;
	CallPlan plan;
	bool with_out = false;
	bool async = false;	// IOSQE_ASYNC: issued from io-wq
};

// One ring and what is in flight on it. The outputs live in their own
// block so a torn-down ring's can outlive it.
struct Ring {
	io_uring ring{};
	bool sqpoll = false;
	std::unique_ptr<dynasync_call_out[]> outs;
	Entry entries[kDepth];
	std::vector<unsigned> free_list;
	uint64_t submitted = 0, reaped = 0;

	int init(bool want_sqpoll)
	{
		io_uring_params p{};
		p.flags = IORING_SETUP_SQE128;
		if (want_sqpoll) {
			p.flags |= IORING_SETUP_SQPOLL;
			p.sq_thread_idle = 20;	// ms: the poller sleeps between bursts
		}
		int r = io_uring_queue_init_params(kDepth, &ring, &p);
		if (r < 0)
			return r;
		sqpoll = want_sqpoll;
		outs.reset(new dynasync_call_out[kDepth]());
		free_list.clear();
		for (unsigned i = 0; i < kDepth; i++) {
			entries[i].active = false;
			free_list.push_back(i);
		}
		submitted = reaped = 0;
		return 0;
	}
	unsigned inflight() const { return kDepth - free_list.size(); }
};

class UringWorker {
public:
	UringWorker(Shared &s, Counts &c, uint64_t seed, bool sqpoll)
		: s_(s), c_(c), rng_(seed), sqpoll_(sqpoll) {}
	void run();

private:
	bool open_ring();
	void fill();
	void reap(bool wait);
	void complete(const io_uring_cqe *cqe);
	void teardown();
	void drain();

	Shared &s_;
	Counts &c_;
	Rng rng_;
	bool sqpoll_;
	Ring r_;
	uint32_t seq_ = 0;
	std::vector<unsigned> batch_;	// entries of the current submission
	// Outputs of torn-down rings: the module may still write them.
	std::vector<std::unique_ptr<dynasync_call_out[]>> graveyard_;
};

bool UringWorker::open_ring()
{
	int e = r_.init(sqpoll_);
	if (e < 0 && sqpoll_)
		e = r_.init(false);	// no SQPOLL here: a plain ring still stresses
	if (e < 0) {
		c_.fail("io_uring setup: " + errno_name(-e));
		return false;
	}
	return true;
}

void UringWorker::fill()
{
	const unsigned want = 1 + rng_() % 16;
	unsigned queued = 0;
	batch_.clear();
	while (queued < want && !r_.free_list.empty() && s_.take_op()) {
		uint64_t gen = 0;
		// Volatile files only from io_uring_enter's own context, where the fd
		// is looked up before submit returns (not SQPOLL, not io-wq).
		File *f = pick_file(s_, rng_, !r_.sqpoll, gen);
		Pick p;
		if (!pick_obj(*f, gen, rng_, 0, p)) {
			op_create(s_, c_, rng_, *f, gen);
			continue;
		}
		const unsigned idx = r_.free_list.back();
		Entry &e = r_.entries[idx];
		plan_call(rng_, p, e.plan);
		e.with_out = rng_() % 4 != 0;
		r_.outs[idx] = dynasync_call_out{};
		e.plan.call.out_ptr = e.with_out ? reinterpret_cast<uintptr_t>(&r_.outs[idx]) : 0;
		io_uring_sqe *sqe = io_uring_get_sqe(&r_.ring);
		if (!sqe)
			break;
		r_.free_list.pop_back();
		e.active = true;
		e.seq = ++seq_;
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, f->fd, nullptr, 0, 0);
		sqe->cmd_op = DYNASYNC_IOC_CALL;
		std::memset(sqe->cmd, 0, kCmdBytes);
		std::memcpy(sqe->cmd, &e.plan.call, sizeof(e.plan.call));
		e.async = !f->is_volatile && rng_() % 10 == 0;
		if (e.async)
			sqe->flags |= IOSQE_ASYNC;
		io_uring_sqe_set_data64(sqe, uint64_t{e.seq} << 32 | idx);
		f->calls++;
		queued++;
		batch_.push_back(idx);
	}
	if (!queued)
		return;
	// SQPOLL: submit reports every SQE the poller has not consumed yet.
	int r = io_uring_submit(&r_.ring);
	if (r < 0 || (r_.sqpoll ? static_cast<unsigned>(r) < queued
				: static_cast<unsigned>(r) != queued))
		c_.fail("io_uring_submit: " + (r < 0 ? errno_name(-r) : std::to_string(r)) +
			" of " + std::to_string(queued));
	else
		r_.submitted += queued;
	// io_uring_enter looked the files up: a generation read now tells
	// whether a volatile file was replaced before that.
	for (unsigned i : batch_) {
		CallPlan &plan = r_.entries[i].plan;
		plan.straddle = plan.pick.file->is_volatile &&
				plan.pick.file->gen.load(std::memory_order_acquire) != plan.pick.gen;
	}
}

void UringWorker::complete(const io_uring_cqe *cqe)
{
	const uint64_t ud = cqe->user_data;
	const unsigned idx = ud & 0xffffffffu;
	const uint32_t seq = ud >> 32;
	if (idx >= kDepth || !r_.entries[idx].active || r_.entries[idx].seq != seq) {
		c_.duplicated++;
		c_.fail("a CQE for no outstanding call (user_data " + std::to_string(ud) + ")");
		return;
	}
	Entry &e = r_.entries[idx];
	e.active = false;
	r_.free_list.push_back(idx);
	r_.reaped++;
	settle_call(s_, c_, rng_, e.plan, cqe->res, e.with_out ? &r_.outs[idx] : nullptr);
}

void UringWorker::reap(bool wait)
{
	io_uring_cqe *cqe = nullptr;
	if (wait) {
		__kernel_timespec ts{};
		ts.tv_nsec = 5000000;
		if (io_uring_wait_cqe_timeout(&r_.ring, &cqe, &ts) < 0)
			return;
	}
	unsigned head, n = 0;
	io_uring_for_each_cqe(&r_.ring, head, cqe) {
		complete(cqe);
		n++;
	}
	io_uring_cq_advance(&r_.ring, n);
}

// The ring goes with its calls in flight; they run to completion.
void UringWorker::teardown()
{
	const unsigned n = r_.inflight();
	for (auto &e : r_.entries) {
		if (!e.active)
			continue;
		if (e.plan.call.method == DYNASYNC_METHOD_TRANSMIT)
			e.plan.pick.file->transmits_unseen++;
		// io-wq cancels queued IOSQE_ASYNC work, and an SQPOLL ring
		// drops the SQEs its poller had not consumed yet.
		if (e.async || r_.sqpoll)
			e.plan.pick.file->calls_maybe_unseen++;
		e.active = false;
	}
	c_.unobserved += n;
	c_.ops += n;
	c_.outcomes["unobserved"] += n;
	c_.ring_teardowns++;
	c_.ring_teardowns_busy += n > 0;
	io_uring_queue_exit(&r_.ring);
	graveyard_.push_back(std::move(r_.outs));
}

// The end: every outstanding call must complete within max_call_ms.
void UringWorker::drain()
{
	const double limit = now_s() + (s_.max_call_ms + 5000) / 1000.0;
	while (r_.inflight() && now_s() < limit)
		reap(true);
	if (r_.inflight()) {
		for (const Entry &e : r_.entries) {
			if (!e.active)
				continue;
			const CallPlan &p = e.plan;
			c_.fail(std::string("never completed: ") + method_name(p.call.method) + " on " +
				(p.pick.file->is_volatile ? "volatile file " : "file ") +
				std::to_string(p.pick.file->index) + " handle " +
				std::to_string(p.call.handle) + " (" + strategy_name(p.pick.obj.strategy) +
				", depth " + std::to_string(p.pick.obj.depth) + ", deadline " +
				std::to_string(p.call.deadline_ns) + " ns" +
				(e.async ? ", IOSQE_ASYNC" : "") + ", submitted under generation " +
				std::to_string(p.pick.gen) + ", now " +
				std::to_string(p.pick.file->gen.load()) + ")");
		}
		c_.lost += r_.inflight();
		c_.fail(std::to_string(r_.inflight()) + " io_uring calls never completed (" +
			std::to_string(r_.submitted) + " submitted, " + std::to_string(r_.reaped) +
			" reaped)");
	}
	io_uring_cqe *cqe = nullptr;
	if (io_uring_peek_cqe(&r_.ring, &cqe) == 0) {
		c_.duplicated++;
		c_.fail("a CQE after every call completed");
	}
	io_uring_queue_exit(&r_.ring);
}

void UringWorker::run()
{
	if (!open_ring())
		return;
	while (!s_.stopped()) {
		fill();
		reap(r_.inflight() > kDepth / 2 || r_.free_list.empty());
		// Tear the ring down now and then with tickers asleep in it.
		// Under changing limits (max_inflight may be 1, max_call_ms 1)
		// a single one will do, and more often: few calls stay long.
		const bool churn = s_.opt.churn_ms;
		if (r_.inflight() >= (churn ? 1U : 4U) && rng_() % (churn ? 100 : 400) == 0) {
			teardown();
			if (!open_ring())
				return;
		}
	}
	drain();
	// The graveyard's outputs are written by max_call_ms: the final STATS
	// wait of the run covers it; keep them until the worker is destroyed.
	s_.graveyard_hold(std::move(graveyard_));
}

} // namespace

void uring_worker(Shared &s, Counts &c, uint64_t seed, bool sqpoll)
{
	UringWorker w(s, c, seed, sqpoll);
	w.run();
}

} // namespace harness::stress
