// SPDX-License-Identifier: GPL-2.0
#include "fuzz_oracle.h"

#include <cerrno>
#include <sys/ioctl.h>

#include "names.h"
#include "uapi/dynasync.h"

namespace harness::fuzz {

namespace {

constexpr const char *kCmdNames[kCmds] = {
	"VERSION", "RT_CHECK", "CREATE", "DESTROY", "CALL", "STATS", "LAYOUT",
	"FAULT_SET", "FAULT_GET", "BAD_IOCTL", "URING_CALL", "URING_BAD_OP",
	"URING_NO_SQE128",
};

constexpr const char *kMutNames[kMuts] = {
	"none", "arg-null", "arg-unmapped", "arg-straddle", "arg-kernel",
	"arg-misaligned", "arg-read-only", "reserved", "flags", "handle-stale",
	"handle-foreign", "handle-never", "handle-zero", "handle-huge", "out-null",
	"out-unmapped", "out-straddle", "out-kernel", "out-misaligned",
	"out-read-only", "bad-enum", "unused-nonzero", "size-too-big", "overflow",
	"wrong-trait", "inner-widget", "inner-twice", "too-deep", "deadline-zero",
	"deadline-cap", "deadline-above-cap", "busy", "fault-valid",
	"fault-invalid", "bad-number", "raw",
};

bool is_call(Cmd c) { return c == Cmd::Call || c == Cmd::UringCall; }
bool has_arg(Cmd c) { return c <= Cmd::FaultGet; }

// Ordered by how often the fuzzer sends them; slow ones (RT_CHECK runs a
// whole scenario, VERSION hops through the workqueue) seldom.
struct CmdWeight {
	Cmd cmd;
	unsigned weight;
};
constexpr CmdWeight kCmdWeights[] = {
	{ Cmd::Call, 260 },	{ Cmd::UringCall, 220 }, { Cmd::Create, 170 },
	{ Cmd::Destroy, 80 },	{ Cmd::Stats, 50 },	 { Cmd::Layout, 50 },
	{ Cmd::FaultSet, 40 },	{ Cmd::FaultGet, 40 },	 { Cmd::BadIoctl, 30 },
	{ Cmd::UringBadOp, 15 }, { Cmd::UringNo128, 15 }, { Cmd::Version, 15 },
	{ Cmd::RtCheck, 5 },
};

} // namespace

const char *cmd_name(Cmd c) { return kCmdNames[static_cast<int>(c)]; }
const char *mut_name(Mut m) { return kMutNames[static_cast<int>(m)]; }

std::string Outcomes::str() const
{
	std::string s = "{";
	for (int i = 0; i < kBits; i++) {
		if (!bits_.test(i))
			continue;
		if (s.size() > 1)
			s += ",";
		s += i ? errno_name(i) : "ok";
	}
	return s + "}";
}

Outcomes documented(Cmd c)
{
	Outcomes o = Outcomes::ok();
	switch (c) {
	case Cmd::Version:
	case Cmd::Layout:
	case Cmd::FaultSet:
		return o.add(EFAULT).add(EINVAL);
	case Cmd::RtCheck:
		// The self-check's own scenario may run out of memory.
		return o.add(EFAULT).add(EINVAL).add(ENOMEM);
	case Cmd::Stats:
		return o.add(EFAULT).add(EINVAL).add(ENOMEM);
	case Cmd::FaultGet:
		return o.add(EFAULT).add(ENOMEM);
	case Cmd::Create:
		for (int e : { EFAULT, EINVAL, ENOENT, EBUSY, EMFILE, ELOOP, EOVERFLOW, ENOMEM,
			       EDQUOT })
			o.add(e);
		return o;
	case Cmd::Destroy:
		return o.add(EFAULT).add(EINVAL).add(ENOENT).add(EBUSY);
	case Cmd::Call:
	case Cmd::UringCall:
		for (int e : { ENOMEM, E2BIG, EBUSY, ENOSPC, ETIMEDOUT, ENOENT, EMFILE, ENOBUFS,
			       EINVAL, EFAULT, EDQUOT })
			o.add(e);
		return c == Cmd::Call ? o.add(EINTR) : o.add(ECANCELED);
	case Cmd::BadIoctl:
	case Cmd::UringBadOp:
		return Outcomes::err(ENOTTY);
	case Cmd::UringNo128:
		return Outcomes::err(EINVAL);
	default:
		return Outcomes();
	}
}

Outcomes call_base(const CallTarget &t)
{
	Outcomes o = Outcomes::ok();
	if (t.tight_inline)
		o.add(E2BIG);
	if (t.task_stack)
		o.add(ENOSPC);
	if (t.small_reserve || t.nowait_gfp)
		o.add(ENOMEM);
	if (t.may_suspend && t.deadline_can_expire)
		o.add(ETIMEDOUT);
	return o;
}

Prediction predict(Cmd c, Mut m, const Outcomes &base)
{
	const bool late = c == Cmd::Create || is_call(c);
	switch (c) {
	case Cmd::BadIoctl:
	case Cmd::UringBadOp:
		return { Outcomes::err(ENOTTY) };	// whatever the argument
	case Cmd::UringNo128:
		return { Outcomes::err(EINVAL) };
	default:
		break;
	}
	switch (m) {
	case Mut::None:
	case Mut::ArgMisaligned:
	case Mut::OutNull:
	case Mut::OutMisaligned:
	case Mut::DeadlineZero:
	case Mut::DeadlineCap:
		return { base, late };
	case Mut::ArgNull:
	case Mut::ArgUnmapped:
	case Mut::ArgStraddle:
	case Mut::ArgKernel:
	case Mut::OutUnmapped:
	case Mut::OutStraddle:
	case Mut::OutKernel:
	case Mut::OutReadOnly:
		return { Outcomes::err(EFAULT) };
	case Mut::ArgReadOnly: {
		// Read fine; only the copy back fails, after the work was done.
		if (!writes_back(c))
			return { base, late };
		Outcomes o = base.without_ok();
		if (base.has_ok())
			o.add(EFAULT);
		return { o, late };
	}
	case Mut::Reserved:
		// FAULT_GET's struct is output only: its input is never read.
		return { c == Cmd::FaultGet ? base : Outcomes::err(EINVAL) };
	case Mut::HandleZero:
		// CREATE: 0 is "no inner" where the adaptor needs one.
		return { Outcomes::err(c == Cmd::Create ? EINVAL : ENOENT) };
	case Mut::HandleStale:
	case Mut::HandleForeign:
	case Mut::HandleNever:
	case Mut::HandleHuge:
		return { Outcomes::err(ENOENT) };
	case Mut::WrongTrait:
	case Mut::UnusedNonzero:
		// A CALL's arguments and trait are checked once it was set up.
		return { Outcomes::err(EINVAL), is_call(c) };
	case Mut::Flags:
	case Mut::BadEnum:
	case Mut::SizeTooBig:
	case Mut::InnerWidget:
	case Mut::InnerTwice:
	case Mut::DeadlineAboveCap:
	case Mut::FaultInvalid:
		return { Outcomes::err(EINVAL) };
	case Mut::Overflow:
		return { Outcomes::err(EOVERFLOW) };
	case Mut::TooDeep:
		return { Outcomes::err(ELOOP) };
	case Mut::Busy: {
		// It may have finished just before: then the valid outcome.
		Outcomes o = base;
		return { o.add(EBUSY), late };
	}
	case Mut::FaultValid:
		return { Outcomes::ok() };
	case Mut::Raw:
	default:
		return { documented(c) };
	}
}

Outcomes with_env(Cmd c, const Prediction &p, const Env &e)
{
	Outcomes o = p.out;
	if (!p.late || !(c == Cmd::Create || is_call(c)))
		return o;
	if (e.policy_armed)
		o.add(ENOMEM);
	if (e.limits)
		o.add(EDQUOT);
	return o;
}

unsigned long ioctl_number(Cmd c)
{
	switch (c) {
	case Cmd::Version: return DYNASYNC_IOC_VERSION;
	case Cmd::RtCheck: return DYNASYNC_IOC_RT_CHECK;
	case Cmd::Create: return DYNASYNC_IOC_CREATE;
	case Cmd::Destroy: return DYNASYNC_IOC_DESTROY;
	case Cmd::Call:
	case Cmd::UringCall:
	case Cmd::UringNo128: return DYNASYNC_IOC_CALL;
	case Cmd::Stats: return DYNASYNC_IOC_STATS;
	case Cmd::Layout: return DYNASYNC_IOC_LAYOUT;
	case Cmd::FaultSet: return DYNASYNC_IOC_FAULT_SET;
	case Cmd::FaultGet: return DYNASYNC_IOC_FAULT_GET;
	default: return 0;
	}
}

bool writes_back(Cmd c)
{
	return _IOC_DIR(ioctl_number(c)) & _IOC_READ;
}

size_t arg_size(Cmd c)
{
	return has_arg(c) || is_call(c) ? _IOC_SIZE(ioctl_number(c)) : 0;
}

bool vfs_generic_ioctl(unsigned long nr)
{
	// do_vfs_ioctl() (fs/ioctl.c): FIOCLEX, FIONBIO, FIOASYNC, FIONREAD,
	// FIOQSIZE ('T'), FIFREEZE/FITHAW/FS_IOC_FSGETXATTR ('X'), FIEMAP and
	// FS_IOC_GETFLAGS ('f'), FIGETBSZ (0), FICLONE/FIDEDUPERANGE (0x94),
	// FS_IOC_GETVERSION ('v'), FS_IOC_GETFSUUID (0x15).
	switch (_IOC_TYPE(nr)) {
	case 0x00: case 0x15: case 'T': case 'X': case 'f': case 'v': case 0x94:
		return true;
	default:
		return false;
	}
}

bool mut_applies(Cmd c, Mut m)
{
	switch (c) {
	case Cmd::BadIoctl:
	case Cmd::UringBadOp:
		return m == Mut::BadNumber;
	case Cmd::UringNo128:
		return m == Mut::None;
	default:
		break;
	}
	const bool ioctl = has_arg(c);
	switch (m) {
	case Mut::None:
	case Mut::Raw:
	case Mut::Reserved:
		return true;
	case Mut::ArgNull: case Mut::ArgUnmapped: case Mut::ArgStraddle:
	case Mut::ArgKernel: case Mut::ArgMisaligned: case Mut::ArgReadOnly:
		return ioctl;
	case Mut::Flags:
		return c == Cmd::Destroy || is_call(c) || c == Cmd::Stats || c == Cmd::FaultSet;
	case Mut::HandleStale: case Mut::HandleForeign: case Mut::HandleNever:
	case Mut::HandleZero: case Mut::HandleHuge: case Mut::Busy:
		return c == Cmd::Destroy || is_call(c) || c == Cmd::Create;
	case Mut::OutNull: case Mut::OutUnmapped: case Mut::OutStraddle:
	case Mut::OutKernel: case Mut::OutMisaligned: case Mut::OutReadOnly:
	case Mut::DeadlineZero: case Mut::DeadlineCap: case Mut::DeadlineAboveCap:
		return is_call(c);
	case Mut::BadEnum:
		return c == Cmd::RtCheck || c == Cmd::Create || is_call(c) || c == Cmd::Layout ||
		       c == Cmd::FaultSet;
	case Mut::UnusedNonzero:
		return c == Cmd::Create || is_call(c) || c == Cmd::FaultSet;
	case Mut::WrongTrait:
		return is_call(c) || c == Cmd::Layout || c == Cmd::FaultSet;
	case Mut::SizeTooBig: case Mut::Overflow: case Mut::InnerWidget:
	case Mut::InnerTwice: case Mut::TooDeep:
		return c == Cmd::Create;
	case Mut::FaultValid: case Mut::FaultInvalid:
		return c == Cmd::FaultSet;
	default:
		return false;
	}
}

PlanHead plan_head(Rng &r)
{
	unsigned total = 0;
	for (const CmdWeight &w : kCmdWeights)
		total += w.weight;
	uint64_t x = r.below(total);
	Cmd cmd = Cmd::Call;
	for (const CmdWeight &w : kCmdWeights) {
		if (x < w.weight) {
			cmd = w.cmd;
			break;
		}
		x -= w.weight;
	}
	// A third of the requests are valid: they keep the pool of objects
	// alive, so mutations reach deep states.
	if (r.below(3) == 0 && mut_applies(cmd, Mut::None))
		return { cmd, Mut::None };
	Mut applicable[kMuts];
	int n = 0;
	for (int i = 1; i < kMuts; i++)
		if (mut_applies(cmd, static_cast<Mut>(i)))
			applicable[n++] = static_cast<Mut>(i);
	if (!n)
		return { cmd, Mut::None };
	return { cmd, applicable[r.below(n)] };
}

PlanHead plan_head(uint64_t seed, uint64_t index)
{
	Rng r = Rng::for_request(seed, index);
	return plan_head(r);
}

} // namespace harness::fuzz
