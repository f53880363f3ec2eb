// SPDX-License-Identifier: GPL-2.0
// What a sweep over the fake module gave, for the sweep tests: the result
// and every violation message, with lookups the assertions need.
#pragma once

#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "sweep_fake_module.h"

namespace fake {

struct Outcome {
	harness::SweepResult r;
	std::vector<std::string> violations;

	bool mentions(const std::string &what) const
	{
		for (const std::string &v : violations)
			if (v.find(what) != std::string::npos)
				return true;
		return false;
	}
	std::string all() const
	{
		std::string s;
		for (const std::string &v : violations)
			s += v + "\n";
		return s;
	}
	const harness::ComboResult *combo(uint32_t strategy, harness::Shape shape) const
	{
		for (const harness::ComboResult &c : r.combos)
			if (c.strategy == strategy && c.shape == shape)
				return &c;
		return nullptr;
	}
};

// One sweep with @opt over a fresh fake module that has @bugs; the task's
// fail-nth must be disarmed afterwards whichever sweep ran.
inline Outcome sweep(const Bugs &bugs, const harness::SweepOptions &opt)
{
	Module m;
	m.bugs = bugs;
	Env env(m);
	Outcome out;
	harness::SweepSinks sinks;
	sinks.violation = [&](const std::string &v) { out.violations.push_back(v); };
	out.r = harness::run_sweep(env, opt, sinks);
	EXPECT_EQ(m.fail_nth, 0u) << "the sweep left fail-nth armed";
	return out;
}

} // namespace fake
