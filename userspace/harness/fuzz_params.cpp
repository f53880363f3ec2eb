// SPDX-License-Identifier: GPL-2.0
#include "fuzz_params.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <unistd.h>
#include <vector>

#include "fuzz_rng.h"
#include "names.h"
#include "text_file.h"
#include "uapi/dynasync.h"

namespace harness::fuzz {

namespace {

const char *const kParamDir = "/sys/module/dynasync/parameters";
const char *const kFaultDir = "/sys/kernel/debug/dynasync/fault";
const char *const kFields[] = { "mode", "sites", "strategies", "trait", "method", "nth",
				"probability", "interval", "times", "space", "seed" };

std::string strim(const std::string &s)
{
	size_t b = 0, e = s.size();
	while (b < e && isspace(static_cast<unsigned char>(s[b])))
		b++;
	while (e > b && isspace(static_cast<unsigned char>(s[e - 1])))
		e--;
	return s.substr(b, e - b);
}

// The module-wide policy as staged in debugfs (fault.c: fields as written).
struct Staged {
	uint64_t v[11] = {};	// in kFields order; times as its bits
};

bool method_of_trait(uint64_t m, uint64_t t)
{
	return t == 1 ? (m == 1 || m == 2) : (m >= 3 && m <= 5);
}

// ds_fault_validate() for the staged fields.
bool policy_valid(const Staged &s)
{
	const uint64_t mode = s.v[0], sites = s.v[1], strat = s.v[2], trait = s.v[3],
		       method = s.v[4], nth = s.v[5], prob = s.v[6], interval = s.v[7],
		       space = s.v[9], seed = s.v[10];
	const int64_t times = static_cast<int64_t>(s.v[8]);
	if ((sites & ~0x3fULL) || (strat & ~0x7eULL))
		return false;
	if (trait > 2 || method > 5)
		return false;
	if (trait && method && !method_of_trait(method, trait))
		return false;
	switch (mode) {
	case 0:
		return !(sites || strat || trait || method || nth || prob || interval || times ||
			 space || seed);
	case 1:
		return nth && !prob && !interval && !times && !space && !seed;
	case 2:
		return !nth && prob && prob <= 100 && times >= -1 && times;
	default:
		return false;
	}
}

// fault.c's field write: 0 or -EINVAL; updates @s when accepted.
int predict_field(Staged &s, int field, const std::string &text)
{
	if (text.empty() || text.size() >= 32)
		return -EINVAL;
	std::string t = strim(text);
	Staged next = s;
	const char *name = kFields[field];
	if (!strcmp(name, "nth") || !strcmp(name, "space") || !strcmp(name, "seed")) {
		uint64_t v;
		if (parse_kstrtou64(t, v))
			return -EINVAL;
		next.v[field] = v;
	} else if (!strcmp(name, "times")) {
		int64_t v;
		if (parse_kstrtos64(t, v))
			return -EINVAL;
		next.v[field] = static_cast<uint64_t>(v);
	} else {
		uint64_t v;
		if (parse_kstrtou64(t, v) || v > UINT_MAX)
			return -EINVAL;
		next.v[field] = v;
	}
	if (next.v[0] != 0 && !policy_valid(next))
		return -EINVAL;
	s = next;
	return 0;
}

std::string random_text(Rng &r, uint64_t max)
{
	char buf[64];
	switch (r.below(14)) {
	case 0: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(1 + r.below(max))); break;
	case 1: snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)(1 + r.below(max))); break;
	case 2: snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)r.below(max + 2)); break;
	case 3: snprintf(buf, sizeof(buf), "0%llo", (unsigned long long)r.below(max + 2)); break;
	case 4: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(max + r.below(3))); break;
	case 5: snprintf(buf, sizeof(buf), "-%llu", (unsigned long long)r.below(3)); break;
	case 6: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r.interesting()); break;
	case 7: return r.chance(50) ? "18446744073709551616" : "99999999999999999999999";
	case 8: return "";
	case 9: {
		static const char *const kJunk[] = { "abc", "1x", " 5", "5 ", "+7", "0x", "0x1g",
						     "--1", "\n", "1\n\n", "08", "1.5", "-",
						     "0000000000000000000000000000000001" };
		return kJunk[r.below(sizeof(kJunk) / sizeof(kJunk[0]))];
	}
	case 10: {
		std::string s(1 + r.below(40), 'x');
		for (char &c : s)
			c = static_cast<char>(32 + r.below(95));
		return s;
	}
	case 11: return "0";
	case 12: return std::string(31 + r.below(3), '1');
	default: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r.below(8)); break;
	}
	return buf;
}

} // namespace

int parse_kstrtou64(const std::string &str, uint64_t &v)
{
	const char *s = str.c_str();
	if (*s == '+')
		s++;
	unsigned base = 10;
	if (s[0] == '0') {
		if (tolower(s[1]) == 'x' && isxdigit(static_cast<unsigned char>(s[2]))) {
			base = 16;
			s += 2;
		} else {
			base = 8;
		}
	}
	uint64_t acc = 0;
	bool overflow = false;
	const char *start = s;
	for (;; s++) {
		int c = tolower(static_cast<unsigned char>(*s));
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		if (acc > (~0ULL - d) / base)
			overflow = true;
		acc = acc * base + d;
	}
	if (s == start)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	v = acc;
	return 0;
}

int parse_kstrtos64(const std::string &str, int64_t &v)
{
	uint64_t t;
	if (!str.empty() && str[0] == '-') {
		int r = parse_kstrtou64(str.substr(1), t);
		if (r)
			return r;
		if (static_cast<int64_t>(0 - t) > 0)
			return -ERANGE;
		v = static_cast<int64_t>(0 - t);
		return 0;
	}
	int r = parse_kstrtou64(str, t);
	if (r)
		return r;
	if (static_cast<int64_t>(t) < 0)
		return -ERANGE;
	v = static_cast<int64_t>(t);
	return 0;
}

int predict_uint_param(const std::string &text, unsigned max)
{
	if (text.empty())
		return 0;	// sysfs ignores an empty write
	uint64_t v;
	if (parse_kstrtou64(text, v) || v > UINT_MAX || v < 1 || v > max)
		return -EINVAL;
	return 0;
}

ParamCounts fuzz_params(uint64_t seed, uint64_t writes, bool verbose)
{
	ParamCounts n;
	struct Target {
		std::string path, orig;
		int field;	// debugfs field index, -1 sysfs, -2 counters
		unsigned max;	// sysfs: known range, 0 unknown
	};
	std::vector<Target> t;
	static const std::map<std::string, unsigned> kKnown = {
		{ "max_objects", 65536 }, { "max_inflight", 65536 }, { "max_call_ms", 60000 },
	};
	if (DIR *d = opendir(kParamDir)) {
		while (dirent *e = readdir(d)) {
			if (e->d_name[0] == '.')
				continue;
			std::string p = std::string(kParamDir) + "/" + e->d_name, v;
			if (access(p.c_str(), W_OK) || !read_text(p, v))
				continue;
			auto k = kKnown.find(e->d_name);
			t.push_back({ p, v, -1, k == kKnown.end() ? 0 : k->second });
		}
		closedir(d);
	}
	Staged staged;
	bool fault = true;
	for (int f = 0; f < 11; f++) {
		std::string p = std::string(kFaultDir) + "/" + kFields[f], v;
		if (!read_text(p, v)) {
			fault = false;
			break;
		}
		int64_t x = 0;
		parse_kstrtos64(v, x);
		staged.v[f] = static_cast<uint64_t>(x);
		t.push_back({ p, v, f, 0 });
	}
	if (fault)
		t.push_back({ std::string(kFaultDir) + "/counters", "", -2, 0 });
	n.files = t.size();
	if (t.empty())
		return n;
	Rng r(seed ^ 0x70617261ULL);
	for (uint64_t w = 0; w < writes; w++) {
		Target &x = t[r.below(t.size())];
		std::string text = random_text(r, x.field == -1 && x.max ? x.max : 100);
		int want;
		bool exact = true;
		if (x.field >= 0) {
			want = predict_field(staged, x.field, text);
		} else if (x.field == -2) {
			uint64_t v;
			std::string head = text.substr(0, 34);
			want = head.empty() || parse_kstrtou64(head, v) || v ? -EINVAL : 0;
		} else if (x.max) {
			want = predict_uint_param(text, x.max);
		} else {
			want = 0;
			exact = false;	// a parameter this fuzzer does not know
		}
		int got = write_text(x.path, text);
		n.writes++;
		(got ? n.rejected : n.accepted)++;
		bool ok = exact ? got == want : (got == 0 || got == -EINVAL);
		if (verbose || !ok)
			std::printf("%sparam write %s <- \"%s\": %s (expected %s)\n",
				    ok ? "" : "VIOLATION ", x.path.c_str(), text.c_str(),
				    got ? errno_name(-got).c_str() : "ok",
				    want ? errno_name(-want).c_str() : "ok");
		if (!ok)
			n.violations++;
		if (!ok && x.field >= 0) {
			// Re-read the staged fields: the model went wrong.
			for (const Target &y : t)
				if (y.field >= 0) {
					std::string v;
					int64_t z = 0;
					if (read_text(y.path, v) && !parse_kstrtos64(v, z))
						staged.v[y.field] = static_cast<uint64_t>(z);
				}
		}
	}
	// Restore: the module-wide policy off first (every field is then
	// accepted), its fields, its mode last; then the parameters.
	if (fault)
		write_text(std::string(kFaultDir) + "/mode", "0");
	for (const Target &x : t)
		if (x.field > 0 || x.field == -1)
			write_text(x.path, x.orig);
	for (const Target &x : t)
		if (x.field == 0)
			write_text(x.path, x.orig);
	for (const Target &x : t) {
		std::string v;
		if (x.field == -2)
			continue;
		if (!read_text(x.path, v) || v != x.orig) {
			std::printf("VIOLATION param %s not restored: \"%s\", was \"%s\"\n",
				    x.path.c_str(), v.c_str(), x.orig.c_str());
			n.restored = false;
			n.violations++;
		}
	}
	return n;
}

} // namespace harness::fuzz
