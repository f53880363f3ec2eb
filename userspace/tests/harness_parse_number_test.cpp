// SPDX-License-Identifier: GPL-2.0
// The harness's one number parser (command lines, fault specs).
#include <gtest/gtest.h>

#include "userspace/harness/parse_number.h"

using harness::parse_u64;

TEST(ParseNumberTest, WholeUnsignedNumbersInEveryBase)
{
	uint64_t v = 7;
	EXPECT_TRUE(parse_u64("0", v));
	EXPECT_EQ(0u, v);
	EXPECT_TRUE(parse_u64("1234", v));
	EXPECT_EQ(1234u, v);
	EXPECT_TRUE(parse_u64("0x10", v));
	EXPECT_EQ(16u, v);
	EXPECT_TRUE(parse_u64("010", v));
	EXPECT_EQ(8u, v);
	EXPECT_TRUE(parse_u64("18446744073709551615", v));
	EXPECT_EQ(UINT64_MAX, v);
}

TEST(ParseNumberTest, RefusesSignsGarbageAndOverflowLeavingTheValue)
{
	uint64_t v = 7;
	for (const char *s : { "", "-1", "+1", "12x", "x", " 1", "1 ", "18446744073709551616",
			       "0x", "1k" }) {
		EXPECT_FALSE(parse_u64(s, v)) << s;
		EXPECT_EQ(7u, v) << s;
	}
	EXPECT_FALSE(parse_u64(nullptr, v));
	EXPECT_EQ(7u, v);
}

TEST(ParseNumberTest, SuffixesOnlyWhenAskedAndOverflowChecked)
{
	uint64_t v = 7;
	EXPECT_TRUE(parse_u64("2k", v, true));
	EXPECT_EQ(2000u, v);
	EXPECT_TRUE(parse_u64("3M", v, true));
	EXPECT_EQ(3000000u, v);
	EXPECT_TRUE(parse_u64("5", v, true));
	EXPECT_EQ(5u, v);
	v = 7;
	EXPECT_FALSE(parse_u64("2kk", v, true));
	EXPECT_FALSE(parse_u64("k", v, true));
	EXPECT_FALSE(parse_u64("18446744073709552M", v, true));
	EXPECT_FALSE(parse_u64("2G", v, true));
	EXPECT_EQ(7u, v);
}
