// SPDX-License-Identifier: GPL-2.0
// The fuzzer's oracle: which outcomes the ABI (uapi/dynasync.h) allows for
// a command, and which exact outcome a single-field mutation of a valid
// request must give. Pure logic: no device, unit-tested on the host.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>

#include "fuzz_rng.h"

namespace harness::fuzz {

// What is sent: each ioctl, an ioctl number the module does not know, and
// IORING_OP_URING_CMD requests (a CALL, another cmd_op, a ring without
// IORING_SETUP_SQE128).
enum class Cmd : uint8_t {
	Version, RtCheck, Create, Destroy, Call, Stats, Layout, FaultSet, FaultGet,
	BadIoctl, UringCall, UringBadOp, UringNo128, Count
};
constexpr int kCmds = static_cast<int>(Cmd::Count);
const char *cmd_name(Cmd c);

// How a request differs from a valid one (one mutation per request).
enum class Mut : uint8_t {
	None,		// valid
	// The ioctl's argument pointer.
	ArgNull, ArgUnmapped, ArgStraddle, ArgKernel, ArgMisaligned, ArgReadOnly,
	Reserved,	// a reserved field nonzero
	Flags,		// a flags field with an unknown bit
	// A handle (CALL, DESTROY, CREATE's inner).
	HandleStale, HandleForeign, HandleNever, HandleZero, HandleHuge,
	// CALL's out_ptr.
	OutNull, OutUnmapped, OutStraddle, OutKernel, OutMisaligned, OutReadOnly,
	BadEnum,	// trait/impl/method/strategy/gfp out of range
	UnusedNonzero,	// a field the request does not use is nonzero
	SizeTooBig,	// slot/task stack/reserve/ticker period above its maximum
	Overflow,	// COUNTER start + count overflows
	WrongTrait,	// a method (or layout entry) of the other trait
	InnerWidget,	// an adaptor over a widget
	InnerTwice,	// CHAIN over the same handle twice
	TooDeep,	// adaptor nesting beyond DYNASYNC_MAX_DEPTH
	DeadlineZero, DeadlineCap, DeadlineAboveCap,
	Busy,		// the target (or inner) is in a call on io_uring
	FaultValid, FaultInvalid,
	BadNumber,	// an unknown ioctl number / cmd_op
	Raw,		// random bytes in the whole struct
	Count
};
constexpr int kMuts = static_cast<int>(Mut::Count);
const char *mut_name(Mut m);

// A set of outcomes: success (bit 0) and errnos (bit = errno).
class Outcomes {
public:
	Outcomes() = default;
	static Outcomes ok() { Outcomes o; o.bits_.set(0); return o; }
	static Outcomes err(int e) { Outcomes o; o.add(e); return o; }
	Outcomes &add(int e) { bits_.set(e > 0 && e < kBits ? e : 0); return *this; }
	Outcomes &add_ok() { bits_.set(0); return *this; }
	Outcomes &operator|=(const Outcomes &o) { bits_ |= o.bits_; return *this; }
	bool has_ok() const { return bits_.test(0); }
	bool has(int e) const { return e > 0 && e < kBits && bits_.test(e); }
	// @res: a result >= 0 (success) or -errno.
	bool allows(long res) const { return res >= 0 ? has_ok() : has(static_cast<int>(-res)); }
	bool exact() const { return bits_.count() == 1; }
	bool subset_of(const Outcomes &o) const { return (bits_ & ~o.bits_).none(); }
	bool empty() const { return bits_.none(); }
	Outcomes without_ok() const { Outcomes o = *this; o.bits_.reset(0); return o; }
	bool operator==(const Outcomes &o) const { return bits_ == o.bits_; }
	std::string str() const;	// "{ok,EINVAL}"

private:
	static constexpr int kBits = 134;
	std::bitset<kBits> bits_;
};

// Every outcome uapi/dynasync.h documents for @c (the per-file byte limit's
// -EDQUOT included for CREATE and CALL).
Outcomes documented(Cmd c);

// Errnos a CALL can get from its object's storage or from the clock, given
// what the fuzzer knows about the object (the valid request's outcomes).
struct CallTarget {
	bool iterator = true;
	bool tight_inline = false;	// an INLINE slot smaller than auto in the tree
	bool task_stack = false;	// the root object is TASK_STACK
	bool small_reserve = false;	// a RESERVE pool of < 8 frames in the tree
	bool nowait_gfp = false;	// NOWAIT/ATOMIC allocations in the tree
	bool may_suspend = false;	// the call can sleep (ticker, SUM > 64 items, TRANSMIT)
	bool deadline_can_expire = false; // ... longer than its deadline
};
Outcomes call_base(const CallTarget &t);

// The exact prediction for mutation @m of a request of @c whose valid form
// gives @base. The result is "late" when it arises after the module made
// allocations for the request (then an armed fault policy may turn it into
// -ENOMEM): see with_env().
struct Prediction {
	Outcomes out;
	bool late = false;
};
Prediction predict(Cmd c, Mut m, const Outcomes &base);

// The environment that legitimately widens a prediction.
struct Env {
	bool policy_armed = false;	// the file's fault policy may inject
	bool limits = false;		// the per-file byte limit may be reached
};
Outcomes with_env(Cmd c, const Prediction &p, const Env &e);

// The ioctl numbers of the commands, and whether the module copies its
// struct back (_IOR/_IOWR): a read-only argument then fails with -EFAULT.
unsigned long ioctl_number(Cmd c);
bool writes_back(Cmd c);
size_t arg_size(Cmd c);
// True for numbers the VFS handles itself before the driver (FIOCLEX,
// FIONBIO, FIFREEZE, ...): the fuzzer never sends those.
bool vfs_generic_ioctl(unsigned long nr);

// A value that looks like a kernel address (x86-64: the upper half).
inline bool looks_like_kernel_pointer(uint64_t v) { return v >= 0xffff800000000000ULL; }

// The deterministic head of request @index of the run seeded @seed: which
// command and which mutation. The same seed gives the same sequence.
struct PlanHead {
	Cmd cmd;
	Mut mut;
};
PlanHead plan_head(Rng &r);	// the request's first draws
PlanHead plan_head(uint64_t seed, uint64_t index);
// Mutations that make sense for @c (plan_head only draws these).
bool mut_applies(Cmd c, Mut m);

} // namespace harness::fuzz
