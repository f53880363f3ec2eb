// SPDX-License-Identifier: GPL-2.0
// The ABI fuzzer's deterministic pieces: request sequences per seed, the
// oracle's exact predictions per mutation class, and the kernel's number
// parsing the parameter fuzzing predicts with.
#include <cerrno>
#include <gtest/gtest.h>

#include "userspace/harness/fuzz_oracle.h"
#include "userspace/harness/fuzz_params.h"

using namespace harness::fuzz;

TEST(FuzzPlan, SameSeedSameSequence)
{
	for (uint64_t i = 0; i < 20000; i++) {
		PlanHead a = plan_head(42, i), b = plan_head(42, i);
		ASSERT_EQ(a.cmd, b.cmd);
		ASSERT_EQ(a.mut, b.mut);
	}
	Rng x = Rng::for_request(7, 123), y = Rng::for_request(7, 123);
	for (int k = 0; k < 100; k++)
		ASSERT_EQ(x.next(), y.next());
}

TEST(FuzzPlan, SeedsDifferAndEveryCommandAndClassIsDrawn)
{
	int same = 0;
	bool cmd_seen[kCmds] = {}, mut_seen[kMuts] = {};
	for (uint64_t i = 0; i < 200000; i++) {
		PlanHead a = plan_head(1, i), b = plan_head(2, i);
		same += a.cmd == b.cmd && a.mut == b.mut;
		EXPECT_TRUE(mut_applies(a.cmd, a.mut));
		cmd_seen[static_cast<int>(a.cmd)] = true;
		mut_seen[static_cast<int>(a.mut)] = true;
	}
	EXPECT_LT(same, 200000 / 4);
	for (int c = 0; c < kCmds; c++)
		EXPECT_TRUE(cmd_seen[c]) << cmd_name(static_cast<Cmd>(c));
	for (int m = 0; m < kMuts; m++)
		EXPECT_TRUE(mut_seen[m]) << mut_name(static_cast<Mut>(m));
}

TEST(FuzzOracle, ExactErrnoPerMutationClass)
{
	const Outcomes ok = Outcomes::ok();
	struct Case {
		Cmd c;
		Mut m;
		int err;	// 0: success
	} cases[] = {
		{ Cmd::Create, Mut::Reserved, EINVAL },	{ Cmd::Call, Mut::Reserved, EINVAL },
		{ Cmd::Stats, Mut::Flags, EINVAL },	{ Cmd::Destroy, Mut::Flags, EINVAL },
		{ Cmd::Destroy, Mut::HandleNever, ENOENT }, { Cmd::Call, Mut::HandleStale, ENOENT },
		{ Cmd::UringCall, Mut::HandleForeign, ENOENT }, { Cmd::Call, Mut::HandleZero, ENOENT },
		{ Cmd::Create, Mut::HandleZero, EINVAL }, { Cmd::Create, Mut::HandleHuge, ENOENT },
		{ Cmd::Version, Mut::ArgNull, EFAULT },	{ Cmd::Layout, Mut::ArgUnmapped, EFAULT },
		{ Cmd::FaultGet, Mut::ArgStraddle, EFAULT }, { Cmd::Call, Mut::ArgKernel, EFAULT },
		{ Cmd::Stats, Mut::ArgReadOnly, EFAULT }, { Cmd::Version, Mut::ArgMisaligned, 0 },
		{ Cmd::Destroy, Mut::ArgReadOnly, 0 },	{ Cmd::FaultSet, Mut::ArgReadOnly, 0 },
		{ Cmd::Call, Mut::OutUnmapped, EFAULT }, { Cmd::UringCall, Mut::OutReadOnly, EFAULT },
		{ Cmd::Call, Mut::OutStraddle, EFAULT }, { Cmd::Call, Mut::OutKernel, EFAULT },
		{ Cmd::Call, Mut::OutNull, 0 },		{ Cmd::Call, Mut::OutMisaligned, 0 },
		{ Cmd::Create, Mut::BadEnum, EINVAL },	{ Cmd::Layout, Mut::WrongTrait, EINVAL },
		{ Cmd::Call, Mut::WrongTrait, EINVAL },	{ Cmd::Create, Mut::SizeTooBig, EINVAL },
		{ Cmd::Create, Mut::Overflow, EOVERFLOW }, { Cmd::Create, Mut::TooDeep, ELOOP },
		{ Cmd::Create, Mut::InnerWidget, EINVAL }, { Cmd::Create, Mut::InnerTwice, EINVAL },
		{ Cmd::Call, Mut::DeadlineAboveCap, EINVAL }, { Cmd::Call, Mut::DeadlineZero, 0 },
		{ Cmd::FaultSet, Mut::FaultInvalid, EINVAL }, { Cmd::FaultSet, Mut::FaultValid, 0 },
		{ Cmd::FaultGet, Mut::Reserved, 0 },	{ Cmd::BadIoctl, Mut::BadNumber, ENOTTY },
		{ Cmd::UringBadOp, Mut::BadNumber, ENOTTY }, { Cmd::UringNo128, Mut::None, EINVAL },
	};
	for (const Case &k : cases) {
		Prediction p = predict(k.c, k.m, ok);
		Outcomes want = k.err ? Outcomes::err(k.err) : ok;
		EXPECT_EQ(p.out, want) << cmd_name(k.c) << "/" << mut_name(k.m) << " "
				       << p.out.str();
		EXPECT_TRUE(p.out.subset_of(documented(k.c))) << cmd_name(k.c) << "/" << mut_name(k.m);
	}
}

TEST(FuzzOracle, EnvironmentWidensOnlyLateOutcomes)
{
	Env armed{ true, false };
	// Refused before any allocation: stays exact under an armed policy.
	EXPECT_EQ(with_env(Cmd::Create, predict(Cmd::Create, Mut::Reserved, Outcomes::ok()), armed),
		  Outcomes::err(EINVAL));
	// Refused after the call was set up: -ENOMEM may come first.
	Outcomes o = with_env(Cmd::Call, predict(Cmd::Call, Mut::WrongTrait, Outcomes::ok()), armed);
	EXPECT_TRUE(o.has(ENOMEM) && o.has(EINVAL) && !o.has_ok());
	EXPECT_EQ(with_env(Cmd::Stats, predict(Cmd::Stats, Mut::None, Outcomes::ok()), armed),
		  Outcomes::ok());
	// A busy object: EBUSY or the valid outcome.
	Outcomes b = predict(Cmd::Destroy, Mut::Busy, Outcomes::ok()).out;
	EXPECT_TRUE(b.has(EBUSY) && b.has_ok());
	EXPECT_TRUE(documented(Cmd::Create).has(EDQUOT) && documented(Cmd::Call).has(EDQUOT));
	EXPECT_FALSE(documented(Cmd::Destroy).has(EDQUOT));
}

TEST(FuzzOracle, CallBaseFromStorage)
{
	CallTarget t;
	EXPECT_EQ(call_base(t), Outcomes::ok());
	t.tight_inline = true;
	t.task_stack = true;
	t.may_suspend = true;
	t.deadline_can_expire = true;
	Outcomes o = call_base(t);
	EXPECT_TRUE(o.has(E2BIG) && o.has(ENOSPC) && o.has(ETIMEDOUT) && !o.has(ENOMEM));
}

TEST(FuzzOracle, KernelPointersAndIoctlNumbers)
{
	EXPECT_TRUE(looks_like_kernel_pointer(0xffff888012345678ULL));
	EXPECT_TRUE(looks_like_kernel_pointer(0xffffffff81000000ULL));
	EXPECT_FALSE(looks_like_kernel_pointer(0x00007fffffffe000ULL));
	EXPECT_TRUE(writes_back(Cmd::Create) && writes_back(Cmd::FaultGet));
	EXPECT_FALSE(writes_back(Cmd::Call) || writes_back(Cmd::Destroy));
	EXPECT_TRUE(vfs_generic_ioctl(0x5451));	// FIOCLEX
	EXPECT_FALSE(vfs_generic_ioctl(ioctl_number(Cmd::Create)));
}

TEST(FuzzParams, KernelNumberParsing)
{
	EXPECT_EQ(predict_uint_param("1024", 65536), 0);
	EXPECT_EQ(predict_uint_param("1024\n", 65536), 0);
	EXPECT_EQ(predict_uint_param("0x10", 65536), 0);
	EXPECT_EQ(predict_uint_param("010", 65536), 0);
	EXPECT_EQ(predict_uint_param("", 65536), 0);	// sysfs ignores it
	for (const char *bad : { "0", "65537", "-1", "abc", " 5", "5 ", "08", "1\n\n", "0x",
				 "99999999999999999999" })
		EXPECT_EQ(predict_uint_param(bad, 65536), -EINVAL) << bad;
	int64_t v;
	EXPECT_EQ(parse_kstrtos64("-1", v), 0);
	EXPECT_EQ(v, -1);
	EXPECT_EQ(parse_kstrtos64("9223372036854775808", v), -ERANGE);
	uint64_t u;
	EXPECT_EQ(parse_kstrtou64("+7", u), 0);
	EXPECT_EQ(u, 7u);
	EXPECT_EQ(parse_kstrtou64("18446744073709551616", u), -ERANGE);
}
