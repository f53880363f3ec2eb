// SPDX-License-Identifier: GPL-2.0
// The fuzzer's other requests: VERSION, RT_CHECK, STATS, LAYOUT, the
// file's fault policy, unknown ioctl numbers and io_uring cmd_ops.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sys/ioctl.h>

#include "fuzz_engine.h"

namespace harness::fuzz {

namespace {

Ptr arg_kind(Mut m)
{
	switch (m) {
	case Mut::ArgNull: return Ptr::Null;
	case Mut::ArgUnmapped: return Ptr::Unmapped;
	case Mut::ArgStraddle: return Ptr::Straddle;
	case Mut::ArgKernel: return Ptr::Kernel;
	case Mut::ArgMisaligned: return Ptr::Misaligned;
	case Mut::ArgReadOnly: return Ptr::ReadOnly;
	default: return Ptr::Good;
	}
}

bool any_kernel_pointer(const uint64_t *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (looks_like_kernel_pointer(v[k]))
			return true;
	return false;
}

constexpr uint32_t kSiteBits = 0x3f;		// DYNASYNC_SITE_FRAME..MISC
constexpr uint32_t kStrategyBits = 0x7e;	// 1 << BOXED .. 1 << RESERVE

void valid_policy(Rng &r, dynasync_fault_policy &p)
{
	p = {};
	p.mode = r.chance(40) ? DYNASYNC_FAULT_NTH : DYNASYNC_FAULT_RATE;
	if (r.chance(40))
		p.sites = r.below(kSiteBits + 1);
	if (r.chance(40))
		p.strategies = r.below(kStrategyBits + 1) & kStrategyBits;
	if (r.chance(40)) {
		p.trait = r.below(3);
		p.method = p.trait == 1 ? r.below(3) : p.trait == 2 ? (r.chance(30) ? 0 : 3 + r.below(3))
									: r.below(6);
	}
	if (p.mode == DYNASYNC_FAULT_NTH) {
		p.nth = r.chance(80) ? 1 + r.below(20) : 1 + r.below(~0ULL - 1);
	} else {
		p.probability = 1 + r.below(100);
		p.interval = r.below(10);
		p.times = r.chance(50) ? -1 : 1 + static_cast<int64_t>(r.below(1000));
		p.space = r.chance(70) ? 0 : r.interesting();
		p.seed = r.next();
	}
	if (r.chance(20))
		p.flags = DYNASYNC_FAULT_F_RESET_COUNTERS;
}

} // namespace

void Engine::flip_bytes(Rng &r, void *data, size_t size, size_t skip_off, size_t skip_len)
{
	auto *b = static_cast<unsigned char *>(data);
	int n = 1 + r.below(4);
	for (int k = 0; k < n; k++) {
		size_t at = r.below(size);
		if (skip_len && at >= skip_off && at < skip_off + skip_len)
			continue;
		b[at] ^= static_cast<unsigned char>(1 + r.below(255));
	}
}

long Engine::send(uint64_t i, Rng &r, Cmd c, Mut m, void *data, size_t size)
{
	(void)i;
	const Ptr kind = arg_kind(m);
	void *p = mem_.place(kind, data, size, r.next());
	long res = sys_ioctl(fd_, ioctl_number(c), p);
	if (kind == Ptr::Good || kind == Ptr::Misaligned)
		std::memcpy(data, p, size);
	return res;
}

void Engine::do_version(uint64_t i, Rng &r, Mut m)
{
	dynasync_version v{};
	if (m == Mut::Reserved)
		v.reserved[r.below(2)] = r.next() | 1;
	else if (m == Mut::Raw)
		flip_bytes(r, &v, sizeof(v));
	Outcomes expect = with_env(Cmd::Version, predict(Cmd::Version, m, Outcomes::ok()), env());
	long res = send(i, r, Cmd::Version, m, &v, sizeof(v));
	record(i, Cmd::Version, m, res, expect, "");
	if (res == 0 && arg_kind(m) == Ptr::Good &&
	    (v.abi_version != DYNASYNC_ABI_VERSION || (v.flags & ~(DYNASYNC_VERSION_F_ASYNC | DYNASYNC_VERSION_F_URING_CANCEL))))
		violation(i, Cmd::Version, m, "VERSION says abi " + std::to_string(v.abi_version) +
						      " flags " + std::to_string(v.flags));
}

void Engine::do_rt_check(uint64_t i, Rng &r, Mut m)
{
	dynasync_rt_check c{};
	c.strategy = 1 + r.below(DYNASYNC_STRATEGY_MAX);
	if (m == Mut::Reserved) {
		if (r.chance(30))
			c.reserved0 = 1;
		else
			c.reserved[r.below(2)] = r.next() | 1;
	} else if (m == Mut::BadEnum) {
		c.strategy = r.chance(30) ? 0 : DYNASYNC_STRATEGY_MAX + 1 + r.below(UINT32_MAX - 7);
	} else if (m == Mut::Raw) {
		flip_bytes(r, &c, sizeof(c));
	}
	Outcomes expect = with_env(Cmd::RtCheck, predict(Cmd::RtCheck, m, Outcomes::ok()), env());
	long res = send(i, r, Cmd::RtCheck, m, &c, sizeof(c));
	record(i, Cmd::RtCheck, m, res, expect, "strategy=" + std::to_string(c.strategy));
	if (res == 0 && arg_kind(m) == Ptr::Good &&
	    (c.failed_check || !c.checks || c.slot_size != trait_slot_[1] ||
	     looks_like_kernel_pointer(c.value)))
		violation(i, Cmd::RtCheck, m,
			  "RT_CHECK strategy " + std::to_string(c.strategy) + ": checks " +
				  std::to_string(c.checks) + " failed_check " +
				  std::to_string(c.failed_check) + " slot " + std::to_string(c.slot_size));
}

void Engine::check_stats(uint64_t i, Mut m, const dynasync_stats &s, bool own_file)
{
	char why[200];
	const uint64_t *words = reinterpret_cast<const uint64_t *>(&s);
	if (any_kernel_pointer(words, sizeof(s) / 8)) {
		violation(i, Cmd::Stats, m, "STATS has a value that looks like a kernel address");
		return;
	}
	if (s.flags || s.reserved0 || s.reserved[0] || s.reserved[1] ||
	    s.strategy[0].placements || s.strategy[0].live_bytes ||
	    s.strategy[0].heap_allocations || s.strategy[0].heap_bytes) {
		violation(i, Cmd::Stats, m, "STATS: reserved or unused fields are not zero");
		return;
	}
	if (!own_file || inflight_)
		return;
	if (s.objects != live_weight() || s.inflight || s.calls != s.completions) {
		std::snprintf(why, sizeof(why),
			      "STATS: objects %u (model %" PRIu64 "), inflight %u, calls %" PRIu64
			      " completions %" PRIu64, s.objects, live_weight(), s.inflight, uint64_t(s.calls),
			      uint64_t(s.completions));
		violation(i, Cmd::Stats, m, why);
	}
}

void Engine::do_stats(uint64_t i, Rng &r, Mut m)
{
	static dynasync_stats s;
	s = {};
	if (m == Mut::Flags)
		s.flags = 1U << r.below(32);
	else if (m == Mut::Reserved) {
		if (r.chance(30))
			s.reserved0 = 1;
		else
			s.reserved[r.below(2)] = r.next() | 1;	// bytes, cancelled (were reserved[0], [1]) are output only
	} else if (m == Mut::Raw) {
		flip_bytes(r, &s, 16);	// the input fields
	}
	Outcomes expect = with_env(Cmd::Stats, predict(Cmd::Stats, m, Outcomes::ok()), env());
	long res = send(i, r, Cmd::Stats, m, &s, sizeof(s));
	record(i, Cmd::Stats, m, res, expect, "");
	if (res == 0 && arg_kind(m) == Ptr::Good)
		check_stats(i, m, s, true);
}

void Engine::do_layout(uint64_t i, Rng &r, Mut m)
{
	dynasync_layout l{};
	l.impl = 1 + r.below(DYNASYNC_IMPL_MAX);
	l.trait = l.impl == DYNASYNC_IMPL_GADGET ? 2 : 1;
	l.method = l.trait == 1 ? 1 + r.below(2) : 3 + r.below(3);
	switch (m) {
	case Mut::Reserved:
		if (r.chance(30))
			l.reserved0 = 1;
		else
			l.reserved[r.below(2)] = r.next() | 1;
		break;
	case Mut::BadEnum:
		switch (r.below(4)) {
		case 0: l.trait = r.chance(50) ? 0 : 3 + r.below(1000); break;
		case 1: l.impl = r.chance(50) ? 0 : DYNASYNC_IMPL_MAX + 1 + r.below(1000); break;
		case 2: l.method = r.chance(50) ? 0 : DYNASYNC_METHOD_MAX + 1 + r.below(1000); break;
		default: l.trait = 3 - l.trait;	// the impl of the other trait
		}
		break;
	case Mut::WrongTrait:
		l.method = l.trait == 1 ? 3 + r.below(3) : 1 + r.below(2);
		break;
	case Mut::Raw:
		flip_bytes(r, &l, 16);
		break;
	default:
		break;
	}
	const dynasync_layout sent = l;
	Outcomes expect = with_env(Cmd::Layout, predict(Cmd::Layout, m, Outcomes::ok()), env());
	long res = send(i, r, Cmd::Layout, m, &l, sizeof(l));
	char what[64];
	std::snprintf(what, sizeof(what), "trait=%u impl=%u method=%u", sent.trait, sent.impl,
		      sent.method);
	record(i, Cmd::Layout, m, res, expect, what);
	if (res == 0 && arg_kind(m) == Ptr::Good &&
	    (l.frame_size != layout_frame_[sent.impl][sent.method] ||
	     l.slot_size != trait_slot_[sent.trait] || l.reserved[0] || l.reserved[1]))
		violation(i, Cmd::Layout, m,
			  std::string("LAYOUT answered differently from the first time: ") + what);
}

void Engine::policy_off(uint64_t i)
{
	dynasync_fault_policy p{};
	long res = sys_ioctl(fd_, DYNASYNC_IOC_FAULT_SET, &p);
	record(i, Cmd::FaultSet, Mut::None, res, Outcomes::ok(), "mode off");
	if (res == 0) {
		policy_ = {};
		policy_known_ = true;
	}
}

void Engine::do_fault_set(uint64_t i, Rng &r, Mut m)
{
	dynasync_fault_policy p{};
	if (m == Mut::FaultValid)
		valid_policy(r, p);
	else if (r.chance(50))
		valid_policy(r, p);	// the base of the mutation
	switch (m) {
	case Mut::Reserved:
		p.reserved[r.below(2)] = r.next() | 1;
		break;
	case Mut::Flags:
		p.flags |= 2U << r.below(31);
		break;
	case Mut::BadEnum:
		switch (r.below(5)) {
		case 0: p.mode = 3 + r.below(UINT32_MAX - 3); break;
		case 1: p.trait = 3 + r.below(1000); break;
		case 2: p.method = DYNASYNC_METHOD_MAX + 1 + r.below(1000); break;
		case 3: p.sites |= (kSiteBits + 1) << r.below(26); break;
		default: p.strategies |= r.chance(50) ? 1 : (kStrategyBits + 2) << r.below(24);
		}
		break;
	case Mut::WrongTrait:
		p.trait = 1 + r.below(2);
		p.method = p.trait == 1 ? 3 + r.below(3) : 1 + r.below(2);
		break;
	case Mut::UnusedNonzero:
		// OFF takes no field; NTH no RATE field; RATE no nth.
		if (p.mode == DYNASYNC_FAULT_OFF)
			p.nth = 1 + r.below(100);
		else if (p.mode == DYNASYNC_FAULT_NTH)
			p.probability = 1 + r.below(100);
		else
			p.nth = 1 + r.below(100);
		break;
	case Mut::FaultInvalid:
		valid_policy(r, p);
		if (p.mode == DYNASYNC_FAULT_NTH) {
			p.nth = 0;
		} else if (r.chance(50)) {
			p.probability = r.chance(50) ? 0 : 101 + r.below(UINT32_MAX - 101);
		} else {
			p.times = r.chance(50) ? 0 : -2 - static_cast<int64_t>(r.below(1000));
		}
		break;
	case Mut::Raw:
		flip_bytes(r, &p, sizeof(p));
		break;
	default:
		break;
	}
	const dynasync_fault_policy sent = p;
	Outcomes expect = with_env(Cmd::FaultSet, predict(Cmd::FaultSet, m, Outcomes::ok()), env());
	long res = send(i, r, Cmd::FaultSet, m, &p, sizeof(p));
	record(i, Cmd::FaultSet, m, res, expect, "mode=" + std::to_string(sent.mode));
	if (res == 0) {
		policy_ = sent;
		policy_.flags = 0;
		policy_known_ = true;
		if (policy_.mode != DYNASYNC_FAULT_OFF) {
			policy_epoch_++;
			armed_since_ = i;
		}
	}
}

void Engine::do_fault_get(uint64_t i, Rng &r, Mut m)
{
	static dynasync_fault_state st;
	std::memset(&st, 0, sizeof(st));
	if (m == Mut::Reserved)
		st.reserved[r.below(2)] = r.next() | 1;	// output only: ignored
	else if (m == Mut::Raw)
		flip_bytes(r, &st, sizeof(st));
	Outcomes expect = with_env(Cmd::FaultGet, predict(Cmd::FaultGet, m, Outcomes::ok()), env());
	long res = send(i, r, Cmd::FaultGet, m, &st, sizeof(st));
	record(i, Cmd::FaultGet, m, res, expect, "");
	if (res || arg_kind(m) != Ptr::Good)
		return;
	// times_left (-1: unlimited) and space_left (the user's budget) are
	// the user's own numbers; the counters are the module's.
	const uint64_t *w = reinterpret_cast<const uint64_t *>(&st.attempted);
	const size_t nw = 3 * DYNASYNC_SITES;
	dynasync_fault_policy want = policy_;
	if (any_kernel_pointer(w, nw) || looks_like_kernel_pointer(st.candidates) || st.reserved[0] || st.reserved[1] ||
	    st.injections > st.candidates ||
	    (policy_known_ && std::memcmp(&st.policy, &want, sizeof(want))))
	{
		std::string diff;
		const auto *a = reinterpret_cast<const uint32_t *>(&st.policy);
		const auto *b = reinterpret_cast<const uint32_t *>(&want);
		for (size_t w = 0; w < sizeof(want) / 4; w++)
			if (a[w] != b[w])
				diff += " word" + std::to_string(w) + ":" + std::to_string(a[w]) +
					"!=" + std::to_string(b[w]);
		violation(i, Cmd::FaultGet, m,
			  "FAULT_GET: policy differs from the one set (" + diff +
				  "), or reserved/counters are not sane");
	}
}

void Engine::do_bad_ioctl(uint64_t i, Rng &r)
{
	static constexpr Cmd kValid[] = { Cmd::Version, Cmd::RtCheck, Cmd::Create, Cmd::Destroy,
					  Cmd::Call, Cmd::Stats, Cmd::Layout, Cmd::FaultSet,
					  Cmd::FaultGet };
	unsigned long nr = 0;
	for (int tries = 0; tries < 100; tries++) {
		const unsigned long base = ioctl_number(kValid[r.below(9)]);
		switch (r.below(5)) {
		case 0:	// the size field differs from the struct's
			nr = (base & ~(static_cast<unsigned long>(_IOC_SIZEMASK) << _IOC_SIZESHIFT)) |
			     (r.below(_IOC_SIZEMASK + 1) << _IOC_SIZESHIFT);
			break;
		case 1:	// another direction
			nr = (base & ~(static_cast<unsigned long>(_IOC_DIRMASK) << _IOC_DIRSHIFT)) |
			     (r.below(4) << _IOC_DIRSHIFT);
			break;
		case 2:	// our magic, an unused number (0x09 is CANCEL)
			nr = _IOC(r.below(4), DYNASYNC_IOC_MAGIC, 10 + r.below(246),
				  r.below(_IOC_SIZEMASK + 1));
			break;
		case 3:	// another magic
			nr = _IOC(r.below(4), r.below(256), r.below(256), r.below(_IOC_SIZEMASK + 1));
			break;
		default:
			nr = static_cast<uint32_t>(r.next());
		}
		// CANCEL is not fuzzed (it is not in kValid): never sent as "bad".
		bool known = vfs_generic_ioctl(nr) || nr == DYNASYNC_IOC_CANCEL;
		for (Cmd c : kValid)
			known |= nr == ioctl_number(c);
		if (!known)
			break;
		nr = 0;
	}
	if (!nr)
		return;
	static constexpr Ptr kPtrs[] = { Ptr::Good, Ptr::Null, Ptr::Unmapped, Ptr::Kernel };
	unsigned char junk[64];
	for (unsigned char &b : junk)
		b = static_cast<unsigned char>(r.next());
	void *p = mem_.place(kPtrs[r.below(4)], junk, sizeof(junk), r.next());
	long res = sys_ioctl(fd_, nr, p);
	char what[32];
	std::snprintf(what, sizeof(what), "nr=%#lx", nr);
	record(i, Cmd::BadIoctl, Mut::BadNumber, res, predict(Cmd::BadIoctl, Mut::BadNumber, {}).out,
	       what);
}

void Engine::do_uring_bad(uint64_t i, Rng &r, Cmd c)
{
	uint32_t op;
	do
		op = r.chance(50) ? static_cast<uint32_t>(r.next())
				  : static_cast<uint32_t>(ioctl_number(static_cast<Cmd>(r.below(9))));
	while (op == DYNASYNC_IOC_CALL || op == DYNASYNC_IOC_CANCEL);
	const bool plain = r.chance(25);
	io_uring *ring = plain ? &plain_ : &ring_;
	int k = -1;
	if (!plain) {
		while ((k = free_pending()) < 0)
			reap(true);
	}
	io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe) {
		int s = io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
		if (!sqe) {
			std::printf("fuzz: no SQE (%s ring, submit: %d)\n", plain ? "plain" : "SQE128", s);
			n_.violations++;
			return;
		}
	}
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd_, nullptr, 0, 0);
	sqe->cmd_op = op;
	const size_t area = plain ? 16 : 80;
	unsigned char *cmd = reinterpret_cast<unsigned char *>(sqe) + offsetof(io_uring_sqe, cmd);
	for (size_t b = 0; b < area; b++)
		cmd[b] = static_cast<uint8_t>(r.next());
	const Outcomes expect = predict(c, Mut::BadNumber, {}).out;
	char what[32];
	std::snprintf(what, sizeof(what), "cmd_op=%#x%s", op, plain ? " (no SQE128)" : "");
	if (plain) {
		long res = io_uring_submit(ring);
		io_uring_cqe *cqe;
		if (res == 1)
			res = io_uring_wait_cqe(ring, &cqe);
		if (res >= 0) {
			res = cqe->res;
			io_uring_cqe_seen(ring, cqe);
		}
		record(i, c, Mut::BadNumber, res, expect, what);
		return;
	}
	io_uring_sqe_set_data64(sqe, k);
	Pending &p = pending_[k];
	p = Pending{};
	p.active = true;
	p.index = i;
	p.cmd = c;
	p.mut = Mut::BadNumber;
	p.expect = expect;
	p.epoch = policy_epoch_;
	inflight_++;
	io_uring_submit(ring);
}

} // namespace harness::fuzz
