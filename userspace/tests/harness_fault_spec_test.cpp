// SPDX-License-Identifier: GPL-2.0
// The --fault spec parser and its inverse (userspace/harness/fault_spec.cpp):
// what each spec arms, what a report prints for it, and the errors.
#include <gtest/gtest.h>
#include <string>

#include "userspace/harness/fault_spec.h"

namespace {

using harness::describe_fault_policy;
using harness::parse_fault_spec;
using harness::site_name;

dynasync_fault_policy parse_ok(const std::string &spec)
{
	dynasync_fault_policy p{};
	std::string error;
	EXPECT_TRUE(parse_fault_spec(spec, p, error)) << spec << ": " << error;
	EXPECT_EQ("", error) << spec;
	return p;
}

std::string parse_error(const std::string &spec)
{
	dynasync_fault_policy p{};
	p.seed = 0x5eed;	// a failed parse leaves the output alone
	std::string error;
	EXPECT_FALSE(parse_fault_spec(spec, p, error)) << spec;
	EXPECT_EQ(0x5eedu, p.seed) << spec;
	return error;
}

// describe_fault_policy() back into spec syntax: fields are separated by
// spaces instead of commas, the probability carries a '%', and a policy
// that is off is only "off".
std::string respec(std::string text)
{
	if (text == "off")
		return "mode=off";
	std::string out;
	for (char c : text)
		if (c != '%')
			out += c == ' ' ? ',' : c;
	return out;
}

bool same(const dynasync_fault_policy &a, const dynasync_fault_policy &b)
{
	return a.mode == b.mode && a.flags == b.flags && a.sites == b.sites &&
	       a.strategies == b.strategies && a.trait == b.trait && a.method == b.method &&
	       a.nth == b.nth && a.probability == b.probability && a.interval == b.interval &&
	       a.times == b.times && a.space == b.space && a.seed == b.seed &&
	       a.reserved[0] == 0 && a.reserved[1] == 0 && b.reserved[0] == 0 && b.reserved[1] == 0;
}

TEST(HarnessFaultSpec, ProbabilityImpliesRateWithUnlimitedTimes)
{
	dynasync_fault_policy p = parse_ok("probability=10,seed=7");
	EXPECT_EQ(uint32_t{ DYNASYNC_FAULT_RATE }, p.mode);
	EXPECT_EQ(10u, p.probability);
	EXPECT_EQ(7u, p.seed);
	EXPECT_EQ(-1, p.times);
	EXPECT_EQ(0u, p.interval);
	EXPECT_EQ(0u, p.nth);
	EXPECT_EQ(0u, p.flags);
	EXPECT_EQ(0u, p.sites);
	EXPECT_EQ("probability=10% seed=7", describe_fault_policy(p));
}

TEST(HarnessFaultSpec, NthWithSiteAndStrategyLists)
{
	dynasync_fault_policy p = parse_ok("nth=3,sites=frame+task,strategies=boxed+reserve");
	EXPECT_EQ(uint32_t{ DYNASYNC_FAULT_NTH }, p.mode);
	EXPECT_EQ(3u, p.nth);
	EXPECT_EQ((1u << DYNASYNC_SITE_FRAME) | (1u << DYNASYNC_SITE_TASK), p.sites);
	EXPECT_EQ((1u << DYNASYNC_STRATEGY_BOXED) | (1u << DYNASYNC_STRATEGY_RESERVE),
		  p.strategies);
	EXPECT_EQ(0, p.times);	// NTH: the RATE fields stay zero
	EXPECT_EQ("nth=3 sites=frame+task strategies=boxed+reserve", describe_fault_policy(p));
}

TEST(HarnessFaultSpec, EveryRateFieldAndOperationFilter)
{
	dynasync_fault_policy p = parse_ok("mode=rate,probability=100,interval=5,times=20,"
					   "space=4096,seed=0x10,sites=object+reserve+misc,"
					   "trait=widget,method=augment");
	EXPECT_EQ(uint32_t{ DYNASYNC_FAULT_RATE }, p.mode);
	EXPECT_EQ(100u, p.probability);
	EXPECT_EQ(5u, p.interval);
	EXPECT_EQ(20, p.times);
	EXPECT_EQ(4096u, p.space);
	EXPECT_EQ(16u, p.seed);
	EXPECT_EQ((1u << DYNASYNC_SITE_OBJECT) | (1u << DYNASYNC_SITE_RESERVE) |
			  (1u << DYNASYNC_SITE_MISC),
		  p.sites);
	EXPECT_EQ(uint32_t{ DYNASYNC_TRAIT_WIDGET }, p.trait);
	EXPECT_EQ(uint32_t{ DYNASYNC_METHOD_AUGMENT }, p.method);
	EXPECT_EQ("probability=100% interval=5 times=20 space=4096 seed=16 "
		  "sites=object+reserve+misc trait=widget method=augment",
		  describe_fault_policy(p));
}

TEST(HarnessFaultSpec, ModeOffAndEmptySpec)
{
	dynasync_fault_policy p = parse_ok("mode=off");
	EXPECT_EQ(uint32_t{ DYNASYNC_FAULT_OFF }, p.mode);
	EXPECT_EQ("off", describe_fault_policy(p));
	p = parse_ok("");
	EXPECT_TRUE(same(dynasync_fault_policy{}, p));
	// Empty fields are skipped.
	p = parse_ok("probability=5,,seed=2,");
	EXPECT_EQ(5u, p.probability);
	EXPECT_EQ(2u, p.seed);
}

TEST(HarnessFaultSpec, ExplicitModeWinsOverImpliedOne)
{
	// The module rejects these (-EINVAL); the parser passes them on, so
	// an invalid-policy test can be written on the command line.
	dynasync_fault_policy p = parse_ok("mode=rate,nth=2");
	EXPECT_EQ(uint32_t{ DYNASYNC_FAULT_RATE }, p.mode);
	EXPECT_EQ(2u, p.nth);
	p = parse_ok("mode=nth,probability=50");
	EXPECT_EQ(uint32_t{ DYNASYNC_FAULT_NTH }, p.mode);
	EXPECT_EQ(50u, p.probability);
	EXPECT_EQ(0, p.times);	// RATE's default applies to RATE only
	p = parse_ok("probability=10,times=0");
	EXPECT_EQ(0, p.times);
}

TEST(HarnessFaultSpec, NamesAreCaseInsensitive)
{
	dynasync_fault_policy p = parse_ok("nth=1,sites=FRAME,strategies=Task-Stack,"
					   "trait=ITERATOR,method=Sum");
	EXPECT_EQ(1u << DYNASYNC_SITE_FRAME, p.sites);
	EXPECT_EQ(1u << DYNASYNC_STRATEGY_TASK_STACK, p.strategies);
	EXPECT_EQ(uint32_t{ DYNASYNC_TRAIT_ITERATOR }, p.trait);
	EXPECT_EQ(uint32_t{ DYNASYNC_METHOD_SUM }, p.method);
}

TEST(HarnessFaultSpec, DescribeParsesBackToTheSamePolicy)
{
	for (const char *spec : {
		     "probability=10,seed=1",
		     "nth=1",
		     "nth=7,sites=task,strategies=inline+maybe-boxed+cached",
		     "probability=100,interval=3,times=9,space=100,seed=5,trait=iterator,method=next",
		     "probability=1,seed=18446744073709551615,strategies=task-stack,method=transmit",
		     "mode=off",
	     }) {
		dynasync_fault_policy p = parse_ok(spec);
		std::string text = describe_fault_policy(p);
		dynasync_fault_policy back = parse_ok(respec(text));
		EXPECT_TRUE(same(p, back)) << spec << " -> " << text;
		EXPECT_EQ(text, describe_fault_policy(back)) << spec;
	}
}

TEST(HarnessFaultSpec, DescribeNamesWhatItDoesNotKnow)
{
	dynasync_fault_policy p{};
	p.mode = 7;
	EXPECT_EQ("mode7", describe_fault_policy(p));
	EXPECT_EQ("frame", site_name(DYNASYNC_SITE_FRAME));
	EXPECT_EQ("reserve", site_name(DYNASYNC_SITE_RESERVE));
	EXPECT_EQ("misc", site_name(DYNASYNC_SITE_MISC));
	EXPECT_EQ("site7", site_name(7));
}

TEST(HarnessFaultSpec, SyntaxErrorsSayWhich)
{
	EXPECT_EQ("fault spec: 'probability' is not key=value", parse_error("probability"));
	EXPECT_EQ("fault spec: unknown field 'bogus'", parse_error("bogus=1"));
	EXPECT_EQ("fault spec: unknown site 'heap'", parse_error("nth=1,sites=frame+heap"));
	EXPECT_EQ("fault spec: unknown strategy 'slab'", parse_error("nth=1,strategies=slab"));
	EXPECT_EQ("fault spec: bad value in 'mode=sometimes'", parse_error("mode=sometimes"));
	EXPECT_EQ("fault spec: bad value in 'trait=gizmo'", parse_error("nth=1,trait=gizmo"));
	EXPECT_EQ("fault spec: bad value in 'method=fly'", parse_error("nth=1,method=fly"));
	EXPECT_EQ("fault spec: bad value in 'probability=abc'", parse_error("probability=abc"));
	EXPECT_EQ("fault spec: bad value in 'probability=-1'", parse_error("probability=-1"));
	EXPECT_EQ("fault spec: bad value in 'probability=4294967296'",
		  parse_error("probability=4294967296"));
	EXPECT_EQ("fault spec: bad value in 'nth=-1'", parse_error("nth=-1"));
	EXPECT_EQ("fault spec: bad value in 'nth='", parse_error("nth="));
	EXPECT_EQ("fault spec: bad value in 'times=x'", parse_error("probability=1,times=x"));
	EXPECT_EQ("fault spec: bad value in 'seed=1z'", parse_error("probability=1,seed=1z"));
	EXPECT_EQ("fault spec: bad value in 'space=-5'", parse_error("probability=1,space=-5"));
}

} // namespace
