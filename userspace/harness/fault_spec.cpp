// SPDX-License-Identifier: GPL-2.0
#include "fault_spec.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <strings.h>
#include <vector>

#include "names.h"
#include "parse_number.h"

namespace harness {

namespace {

const char *const kSites[] = { "frame", "task", "object", "args", "reserve", "misc" };
constexpr unsigned kSiteCount = sizeof(kSites) / sizeof(kSites[0]);

std::vector<std::string> split(const std::string &s, char sep)
{
	std::vector<std::string> out;
	std::stringstream ss(s);
	std::string item;
	while (std::getline(ss, item, sep))
		if (!item.empty())
			out.push_back(item);
	return out;
}

bool parse_int(const std::string &s, long long &v)
{
	if (s.empty())
		return false;
	char *end = nullptr;
	errno = 0;
	v = std::strtoll(s.c_str(), &end, 0);
	return !errno && *end == '\0';
}

bool parse_uint(const std::string &s, unsigned long long &v)
{
	uint64_t x;
	if (!parse_u64(s.c_str(), x))
		return false;
	v = x;
	return true;
}

uint32_t parse_site(const std::string &name)
{
	for (unsigned i = 0; i < kSiteCount; i++)
		if (!strcasecmp(name.c_str(), kSites[i]))
			return i + 1;
	return 0;
}

uint32_t parse_trait(const std::string &name)
{
	for (uint32_t t = 1; t <= DYNASYNC_TRAIT_WIDGET; t++)
		if (!strcasecmp(name.c_str(), trait_name(t)))
			return t;
	return 0;
}

uint32_t parse_method(const std::string &name)
{
	for (uint32_t m = 1; m <= DYNASYNC_METHOD_MAX; m++)
		if (!strcasecmp(name.c_str(), method_name(m)))
			return m;
	return 0;
}

} // namespace

std::string site_name(unsigned site)
{
	return site < kSiteCount ? kSites[site] : "site" + std::to_string(site);
}

bool parse_fault_spec(const std::string &spec, dynasync_fault_policy &out, std::string &error)
{
	dynasync_fault_policy p{};
	bool mode_set = false, times_set = false;
	for (const std::string &field : split(spec, ',')) {
		size_t eq = field.find('=');
		if (eq == std::string::npos) {
			error = "fault spec: '" + field + "' is not key=value";
			return false;
		}
		std::string key = field.substr(0, eq), val = field.substr(eq + 1);
		unsigned long long u = 0;
		long long i = 0;
		bool ok = true;
		if (key == "mode") {
			mode_set = true;
			if (val == "off")
				p.mode = DYNASYNC_FAULT_OFF;
			else if (val == "nth")
				p.mode = DYNASYNC_FAULT_NTH;
			else if (val == "rate")
				p.mode = DYNASYNC_FAULT_RATE;
			else
				ok = false;
		} else if (key == "sites" || key == "strategies") {
			uint32_t mask = 0;
			for (const std::string &n : split(val, '+')) {
				uint32_t bit = key == "sites" ? parse_site(n) : parse_strategy(n);
				if (!bit) {
					error = std::string("fault spec: unknown ") +
						(key == "sites" ? "site" : "strategy") + " '" + n + "'";
					return false;
				}
				mask |= 1u << (key == "sites" ? bit - 1 : bit);
			}
			(key == "sites" ? p.sites : p.strategies) = mask;
		} else if (key == "trait") {
			ok = (p.trait = parse_trait(val)) != 0;
		} else if (key == "method") {
			ok = (p.method = parse_method(val)) != 0;
		} else if (key == "nth") {
			ok = parse_uint(val, u);
			p.nth = u;
			if (!mode_set)
				p.mode = DYNASYNC_FAULT_NTH;
		} else if (key == "probability" || key == "interval") {
			ok = parse_uint(val, u) && u <= UINT32_MAX;
			(key == "probability" ? p.probability : p.interval) = static_cast<uint32_t>(u);
			if (!mode_set)
				p.mode = DYNASYNC_FAULT_RATE;
		} else if (key == "times") {
			ok = parse_int(val, i);
			p.times = i;
			times_set = true;
		} else if (key == "space" || key == "seed") {
			ok = parse_uint(val, u);
			(key == "space" ? p.space : p.seed) = u;
		} else {
			error = "fault spec: unknown field '" + key + "'";
			return false;
		}
		if (!ok) {
			error = "fault spec: bad value in '" + field + "'";
			return false;
		}
	}
	if (p.mode == DYNASYNC_FAULT_RATE && !times_set)
		p.times = -1;
	out = p;
	return true;
}

std::string describe_fault_policy(const dynasync_fault_policy &p)
{
	std::string s;
	switch (p.mode) {
	case DYNASYNC_FAULT_OFF:
		return "off";
	case DYNASYNC_FAULT_NTH:
		s = "nth=" + std::to_string(p.nth);
		break;
	case DYNASYNC_FAULT_RATE:
		s = "probability=" + std::to_string(p.probability) + "%";
		if (p.interval > 1)
			s += " interval=" + std::to_string(p.interval);
		if (p.times >= 0)
			s += " times=" + std::to_string(p.times);
		if (p.space)
			s += " space=" + std::to_string(p.space);
		s += " seed=" + std::to_string(p.seed);
		break;
	default:
		return "mode" + std::to_string(p.mode);
	}
	auto list = [&](const char *key, uint32_t mask, bool sites) {
		if (!mask)
			return;
		s += std::string(" ") + key + "=";
		bool first = true;
		for (unsigned b = 0; b < 32; b++) {
			if (!(mask & (1u << b)))
				continue;
			s += first ? "" : "+";
			s += sites ? site_name(b) : strategy_name(b);
			first = false;
		}
	};
	list("sites", p.sites, true);
	list("strategies", p.strategies, false);
	if (p.trait)
		s += std::string(" trait=") + trait_name(p.trait);
	if (p.method)
		s += std::string(" method=") + method_name(p.method);
	return s;
}

} // namespace harness
