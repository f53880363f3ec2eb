// SPDX-License-Identifier: GPL-2.0
// What `dynasync sweep` prints: the allocation table and the verdict line.
#include <algorithm>
#include <cstdio>

#include "names.h"
#include "sweep.h"

namespace harness {

namespace {

const ComboResult *find(const SweepResult &r, uint32_t strategy, Shape shape, PathKind path)
{
	for (const ComboResult &c : r.combos)
		if (c.strategy == strategy && c.shape == shape && c.path == path)
			return &c;
	return nullptr;
}

std::string cell(const ComboResult *c, bool kernel)
{
	if (!c)
		return "-";
	if (kernel && c->complete && !c->violated)
		return std::to_string(c->ops_swept) + "/" + std::to_string(c->points) + "/" +
		       std::to_string(c->module_allocs);
	if (c->complete && !c->violated)
		return std::to_string(c->allocations);
	return (kernel ? "FAIL@op=" + std::to_string(c->ops_swept) + ",n=" : "FAIL@n=") +
	       std::to_string(c->last_n);
}

std::string pad(const std::string &s, size_t width, bool left)
{
	if (s.size() >= width)
		return s;
	std::string fill(width - s.size(), ' ');
	return left ? s + fill : fill + s;
}

} // namespace

std::string format_table(const SweepResult &r, const SweepOptions &opt)
{
	const bool k = opt.kernel_fail_nth;
	std::string out =
		k ? "ops/fault points/module allocations per strategy x path x shape (each op swept "
		    "with fail-nth = 1 .. its fault points + 1):\n"
		  : "allocations per strategy x path x shape (each swept with n = 1 .. allocations + 1):\n";
	std::vector<size_t> widths;
	std::string line = pad("strategy", 12, true) + pad("path", 6, true);
	for (Shape s : opt.shapes) {
		size_t w = std::string(shape_name(s)).size() + 2;
		for (const ComboResult &c : r.combos)
			if (c.shape == s)
				w = std::max(w, cell(&c, k).size() + 2);
		widths.push_back(w);
		line += pad(shape_name(s), w, false);
	}
	out += line + "\n";
	for (uint32_t st : opt.strategies) {
		for (PathKind p : opt.paths) {
			line = pad(strategy_name(st), 12, true) + pad(path_kind_name(p), 6, true);
			for (size_t i = 0; i < opt.shapes.size(); i++)
				line += pad(cell(find(r, st, opt.shapes[i], p), k), widths[i], false);
			out += line + "\n";
		}
	}
	return out;
}

std::string format_verdict(const SweepResult &r, bool kernel_fail_nth)
{
	const SweepTotals &t = r.totals;
	char buf[256];
	std::snprintf(buf, sizeof(buf),
		      "%s: %s ops=%llu injected=%llu ok=%llu ENOMEM=%llu absorbed=%llu "
		      "lost=%llu duplicated=%llu leaked=%llu",
		      kernel_fail_nth ? "kernel-fail-nth" : "nth-sweep", r.passed() ? "PASS" : "FAIL",
		      static_cast<unsigned long long>(t.ops),
		      static_cast<unsigned long long>(t.injected),
		      static_cast<unsigned long long>(t.ok),
		      static_cast<unsigned long long>(t.enomem),
		      static_cast<unsigned long long>(t.absorbed),
		      static_cast<unsigned long long>(t.lost),
		      static_cast<unsigned long long>(t.duplicated),
		      static_cast<unsigned long long>(t.leaked));
	return buf;
}

} // namespace harness
