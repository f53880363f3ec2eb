// SPDX-License-Identifier: GPL-2.0
// The fuzzer's CALL requests, through the blocking ioctl and io_uring, and
// what their results and outputs must look like.
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>

#include "fuzz_engine.h"
#include "names.h"

namespace harness::fuzz {

namespace {

constexpr uint64_t kMs = 1000000ULL;
// A call is "cheap" below this estimate; a deadline of at least kSafe then
// cannot expire (generous: TCG and debug kernels are slow).
constexpr uint64_t kCheapNs = 20 * kMs;
// (The debug kernel under TCG ran a 1780-item SUM past 1 s.)
constexpr uint64_t kSafeNs = 5000 * kMs;

// Items a SUM of @n walks (NEXT: one).
uint64_t touched(const Obj &o, uint64_t n)
{
	return std::min(n, o.items) + 1;
}

uint64_t touched(const Obj &o, uint32_t method, uint64_t n)
{
	return method == DYNASYNC_METHOD_SUM ? touched(o, n) : 1;
}

} // namespace

bool Engine::cheap(const Obj &o, uint32_t method, uint64_t n) const
{
	uint64_t t = touched(o, method, n);
	uint64_t per = o.ticker_ns + 2000;
	return t < kCheapNs / per;
}

CallTarget Engine::target(const Obj &o, uint32_t method, uint64_t n, uint64_t deadline) const
{
	CallTarget t;
	t.iterator = o.trait == DYNASYNC_TRAIT_ITERATOR;
	t.tight_inline = o.tight_inline && method != DYNASYNC_METHOD_COMPONENTS;
	t.task_stack = o.storage.strategy == DYNASYNC_STRATEGY_TASK_STACK &&
		       method != DYNASYNC_METHOD_COMPONENTS;
	t.small_reserve = o.small_reserve;
	t.nowait_gfp = o.nowait;
	const bool items = o.items > 0;
	t.may_suspend = method == DYNASYNC_METHOD_TRANSMIT ||
			((method == DYNASYNC_METHOD_NEXT || method == DYNASYNC_METHOD_SUM) &&
			 items && o.ticker_ns) ||
			(method == DYNASYNC_METHOD_SUM && std::min(n, o.items) >= 32);
	const uint64_t effective = deadline ? deadline : cap_ns_;	// 0: the cap
	t.deadline_can_expire = !cheap(o, method, n) || effective < kSafeNs;
	return t;
}

void Engine::do_call(uint64_t i, Rng &r, Mut m, Cmd c)
{
	Obj tgt;
	if (m == Mut::Busy) {
		Obj *b = pick(r, 0, true);
		if (b)
			tgt = *b;
		else
			m = Mut::None;
	}
	if (m != Mut::Busy) {
		uint32_t h = r.chance(3) ? ensure_tower(i, r) : 0;
		if (!h)
			h = ensure_free(i, r, 0);
		if (!h || !find(h))
			return;
		tgt = *find(h);
	}
	dynasync_call call{};
	call.handle = tgt.handle;
	if (tgt.trait == DYNASYNC_TRAIT_ITERATOR) {
		call.method = r.chance(60) ? DYNASYNC_METHOD_NEXT : DYNASYNC_METHOD_SUM;
		if (call.method == DYNASYNC_METHOD_SUM)
			call.arg[0] = r.chance(70) ? r.below(100)
				    : r.chance(70) ? r.below(5000) : r.interesting();
		const uint64_t cap = opt_.max_work;
		if (call.method == DYNASYNC_METHOD_SUM && cap &&
		    touched(tgt, call.arg[0]) > cap / tgt.depth)
			call.arg[0] = r.below(cap / tgt.depth + 1);
	} else {
		uint64_t k = r.below(100);
		call.method = k < 60 ? DYNASYNC_METHOD_AUGMENT
			    : k < 92 ? DYNASYNC_METHOD_COMPONENTS : DYNASYNC_METHOD_TRANSMIT;
		if (call.method == DYNASYNC_METHOD_AUGMENT) {
			call.arg[0] = 1 + r.below(2);
			call.arg[1] = r.chance(70) ? r.below(1000) : r.interesting();
		}
	}
	const bool is_cheap = cheap(tgt, call.method, call.arg[0]);
	if ((m == Mut::DeadlineZero || m == Mut::DeadlineCap) && !is_cheap)
		m = Mut::None;
	if (m == Mut::DeadlineZero)
		call.deadline_ns = 0;
	else if (m == Mut::DeadlineCap)
		call.deadline_ns = cap_ns_;
	else if (!is_cheap || r.chance(30))
		call.deadline_ns = 1 + r.below(2 * kMs);
	else
		call.deadline_ns = r.chance(50) || cap_ns_ <= kSafeNs
					   ? 0 : kSafeNs + r.below(cap_ns_ - kSafeNs + 1);
	const unsigned slot = c == Cmd::Call ? 63 : static_cast<unsigned>(std::max(free_pending(), 0));
	Ptr out_kind = r.chance(80) ? Ptr::Good : Ptr::Null;
	switch (m) {
	case Mut::Reserved:
		if (r.chance(30))
			call.reserved0 = 1 + r.below(UINT32_MAX);
		else
			call.reserved[r.below(2)] = r.next() | 1;
		break;
	case Mut::Flags:
		call.flags = 1U << r.below(32);
		break;
	case Mut::HandleStale: call.handle = stale_handle(r); break;
	case Mut::HandleForeign: call.handle = foreign_handle(r); break;
	case Mut::HandleNever: call.handle = never_handle(r); break;
	case Mut::HandleZero: call.handle = 0; break;
	case Mut::HandleHuge: call.handle = 0x80000000U + r.below(0x80000000U); break;
	case Mut::OutNull: out_kind = Ptr::Null; break;
	case Mut::OutUnmapped: out_kind = Ptr::Unmapped; break;
	case Mut::OutStraddle: out_kind = Ptr::Straddle; break;
	case Mut::OutKernel: out_kind = Ptr::Kernel; break;
	case Mut::OutMisaligned: out_kind = Ptr::Misaligned; break;
	case Mut::OutReadOnly: out_kind = Ptr::ReadOnly; break;
	case Mut::BadEnum:
		call.method = r.chance(30) ? 0 : DYNASYNC_METHOD_MAX + 1 + r.below(UINT32_MAX - 6);
		break;
	case Mut::UnusedNonzero:
		switch (call.method) {
		case DYNASYNC_METHOD_NEXT:
			call.arg[r.below(2)] = 1 + r.below(~0ULL - 1);
			break;
		case DYNASYNC_METHOD_AUGMENT:
			call.arg[0] = r.chance(30) ? 0 : 3 + r.below(~0ULL - 3);
			break;
		default:
			call.arg[1] = 1 + r.below(~0ULL - 1);
		}
		break;
	case Mut::WrongTrait:
		if (tgt.trait == DYNASYNC_TRAIT_ITERATOR) {
			call.method = DYNASYNC_METHOD_AUGMENT + r.below(3);
			call.arg[0] = call.method == DYNASYNC_METHOD_AUGMENT ? 1 : 0;
		} else {
			call.method = DYNASYNC_METHOD_NEXT + r.below(2);
		}
		call.arg[1] = 0;
		break;
	case Mut::DeadlineAboveCap:
		call.deadline_ns = r.chance(20) ? ~0ULL : cap_ns_ + 1 + r.below(r.chance(50) ? 2 : ~0ULL - cap_ns_ - 1);
		break;
	case Mut::Raw:
		flip_bytes(r, &call, sizeof(call), offsetof(dynasync_call, out_ptr), 8);
		// Still a valid deadline: keep it short, whatever the call became.
		if (call.deadline_ns <= cap_ns_)
			call.deadline_ns = 1 + call.deadline_ns % (2 * kMs);
		break;
	default:
		break;
	}
	call.out_ptr = mem_.out_ptr(out_kind, slot, r.next());
	const bool out_good = out_kind == Ptr::Good;

	Outcomes base = call_base(target(tgt, call.method, call.arg[0], call.deadline_ns));
	if (m == Mut::Raw && call.handle != tgt.handle && find(call.handle) && find(call.handle)->busy)
		base.add(EBUSY);
	// A TRANSMIT in flight on it may have run already (its CQE not
	// reaped yet): the handle is then released.
	const Obj *named = find(call.handle);
	if ((m == Mut::Busy || m == Mut::Raw) && named && named->consuming)
		base.add(ENOENT);
	Prediction pred = predict(c, m, base);
	Outcomes expect = with_env(c, pred, env());
	char what[128];
	std::snprintf(what, sizeof(what), "handle=%u method=%u arg=%" PRIu64 ",%" PRIu64
		      " deadline=%" PRIu64, call.handle, call.method, uint64_t(call.arg[0]), uint64_t(call.arg[1]),
		      uint64_t(call.deadline_ns));

	if (c == Cmd::UringNo128) {
		// The command area of a 64-byte SQE is 16 bytes: the module must
		// refuse before reading a dynasync_call from it.
		io_uring_sqe *sqe = io_uring_get_sqe(&plain_);
		if (!sqe)
			return;
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd_, nullptr, 0, 0);
		sqe->cmd_op = DYNASYNC_IOC_CALL;
		std::memcpy(sqe->cmd, &call, 16);
		io_uring_cqe *cqe;
		long res = io_uring_submit(&plain_);
		if (res == 1)
			res = io_uring_wait_cqe(&plain_, &cqe);
		if (res >= 0) {
			res = cqe->res;
			io_uring_cqe_seen(&plain_, cqe);
		}
		record(i, c, m, res, expect, what);
		return;
	}
	if (c == Cmd::Call) {
		long res = send(i, r, c, m, &call, sizeof(call));
		record(i, c, m, res, expect, what);
		call_done(i, c, m, call, res,
			  out_good ? static_cast<dynasync_call_out *>(mem_.out_slot(slot)) : nullptr);
		return;
	}
	// io_uring: the CQE is checked when it arrives.
	int k = free_pending();
	while (k < 0) {
		reap(true);
		k = free_pending();
	}
	if (static_cast<unsigned>(k) != slot)
		call.out_ptr = mem_.out_ptr(out_kind, k, r.next());
	io_uring_sqe *sqe = io_uring_get_sqe(&ring_);
	if (!sqe) {
		int s = io_uring_submit(&ring_);
		sqe = io_uring_get_sqe(&ring_);
		if (!sqe) {
			std::printf("fuzz: no SQE (submit: %d, in flight %d)\n", s, inflight_);
			n_.violations++;
			return;
		}
	}
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd_, nullptr, 0, 0);
	sqe->cmd_op = DYNASYNC_IOC_CALL;
	// The command area of an SQE128 is 80 bytes (sqe->cmd is declared
	// with 16): write through a plain pointer.
	unsigned char *area = reinterpret_cast<unsigned char *>(sqe) + offsetof(io_uring_sqe, cmd);
	std::memset(area, 0, 80);
	std::memcpy(area, &call, sizeof(call));
	io_uring_sqe_set_data64(sqe, k);
	Pending &p = pending_[k];
	p = Pending{};
	p.active = true;
	p.index = i;
	p.cmd = c;
	p.mut = m;
	p.expect = expect;
	p.out_good = out_good;
	p.slot = k;
	p.epoch = policy_epoch_;
	p.late = pred.late;
	p.call = call;
	inflight_++;
	// Any request naming a live object may take it (a mutated one too:
	// a raw flip can still be a valid call), until its CQE is reaped.
	if (Obj *o = find(call.handle)) {
		p.marked = true;
		o->busy++;
		if (call.method == DYNASYNC_METHOD_TRANSMIT)
			o->consuming++;
	}
	int s = io_uring_submit(&ring_);
	if (s < 0) {
		std::printf("fuzz: io_uring_submit: %s\n", std::strerror(-s));
		n_.violations++;
	}
}

void Engine::call_done(uint64_t i, Cmd c, Mut m, const dynasync_call &call, long res,
		       const dynasync_call_out *out)
{
	Obj *o = find(call.handle);
	const bool small = o && o->small_values &&
			   !(call.method == DYNASYNC_METHOD_AUGMENT && call.arg[1] >= (1ULL << 40));
	if (out)
		check_out(i, c, m, call, res, *out, small);
	if (!o)
		return;
	if (res < 0) {
		// A TRANSMIT that was cut short or could not write its output
		// may have consumed the widget: find out (either is fine).
		if (call.method == DYNASYNC_METHOD_TRANSMIT &&
		    (res == -ETIMEDOUT || res == -EINTR || res == -EFAULT || res == -ECANCELED))
			destroy_quietly(i, call.handle, Outcomes::ok().add(ENOENT));
		return;
	}
	char why[128];
	switch (call.method) {
	case DYNASYNC_METHOD_NEXT:
		if (res > 1)
			violation(i, c, m, "NEXT returned " + std::to_string(res));
		if (res == 0)
			o->items = 0;
		else if (o->items && o->items != ~0ULL)
			o->items--;
		break;
	case DYNASYNC_METHOD_SUM:
		if (res)
			violation(i, c, m, "SUM returned " + std::to_string(res));
		break;
	case DYNASYNC_METHOD_AUGMENT:
		o->augments++;
		o->small_values = small;
		break;
	case DYNASYNC_METHOD_COMPONENTS: {
		const uint32_t h = static_cast<uint32_t>(res);
		if (!h || res > INT_MAX || h <= max_handle_ || find(h)) {
			std::snprintf(why, sizeof(why), "COMPONENTS gave handle %ld (last issued %u)",
				      res, max_handle_);
			violation(i, c, m, why);
			break;
		}
		dynasync_create like{};
		like.trait = DYNASYNC_TRAIT_ITERATOR;
		like.impl = DYNASYNC_IMPL_COUNTER;
		like.param[1] = o->augments;
		like.storage = o->storage;
		Obj n = describe(like);
		n.handle = h;
		max_handle_ = h;
		pool_.push_back(n);
		break;
	}
	case DYNASYNC_METHOD_TRANSMIT:
		forget(call.handle);
		stale_.push_back(call.handle);
		break;
	default:
		break;
	}
}

void Engine::check_out(uint64_t i, Cmd c, Mut m, const dynasync_call &call, long res,
		       const dynasync_call_out &out, bool small)
{
	unsigned char untouched[sizeof(out)];
	std::memset(untouched, 0xa5, sizeof(untouched));
	char why[200];
	if (!std::memcmp(&out, untouched, sizeof(out))) {
		// Not written: only a request refused before its output was
		// checked (-EINVAL of the call's own fields) may leave it.
		if (res != -EINVAL && res != -EFAULT) {
			std::snprintf(why, sizeof(why), "result %ld but out was never written", res);
			violation(i, c, m, why);
		}
		return;
	}
	const bool nonempty_next = call.method == DYNASYNC_METHOD_NEXT && res == 1;
	bool bad = out.reserved != 0 || (out.flags & ~DYNASYNC_OUT_F_END);
	if (res >= 0) {
		if (call.method == DYNASYNC_METHOD_COMPONENTS)
			bad |= out.handle != static_cast<uint32_t>(res) || out.value || out.flags;
		else
			bad |= out.handle != 0;
		if (call.method == DYNASYNC_METHOD_NEXT)
			bad |= nonempty_next ? out.flags != 0
					     : out.flags != DYNASYNC_OUT_F_END || out.value != 0;
		else
			bad |= out.flags != 0;
		if (small && looks_like_kernel_pointer(out.value))
			bad = true;
	} else {
		bad |= out.handle != 0;
		if (res == -ENOMEM && !out.injected && !out.alloc_failed) {
			std::snprintf(why, sizeof(why), "-ENOMEM with out.injected = out.alloc_failed = 0");
			violation(i, c, m, why);
		}
	}
	if (bad) {
		std::snprintf(why, sizeof(why),
			      "method %u result %ld: out value=%#" PRIx64 " flags=%#x handle=%u "
			      "reserved=%#x", call.method, res, uint64_t(out.value), out.flags, out.handle,
			      out.reserved);
		violation(i, c, m, why);
	}
}

} // namespace harness::fuzz
