// SPDX-License-Identifier: GPL-2.0
#include "json.h"

namespace harness {

void Json::prefix(const char *key)
{
	if (!first_.empty()) {
		if (!first_.back())
			std::fputc(',', out_);
		first_.back() = false;
		std::fputc(' ', out_);
	}
	if (key) {
		quoted(key);
		std::fputs(": ", out_);
	}
}

void Json::open(const char *key, char c)
{
	prefix(key);
	std::fputc(c, out_);
	first_.push_back(true);
}

void Json::close(char c)
{
	first_.pop_back();
	std::fputc(' ', out_);
	std::fputc(c, out_);
}

void Json::unsigned_num(const char *key, unsigned long long v)
{
	prefix(key);
	std::fprintf(out_, "%llu", v);
}

void Json::signed_num(const char *key, long long v)
{
	prefix(key);
	std::fprintf(out_, "%lld", v);
}

void Json::real(const char *key, double v)
{
	prefix(key);
	std::fprintf(out_, "%.6g", v);
}

void Json::str(const char *key, const std::string &v)
{
	prefix(key);
	quoted(v);
}

void Json::boolean(const char *key, bool v)
{
	prefix(key);
	std::fputs(v ? "true" : "false", out_);
}

void Json::quoted(const std::string &s)
{
	std::fputc('"', out_);
	for (unsigned char c : s) {
		if (c == '"' || c == '\\')
			std::fprintf(out_, "\\%c", c);
		else if (c < 0x20)
			std::fprintf(out_, "\\u%04x", c);
		else
			std::fputc(c, out_);
	}
	std::fputc('"', out_);
}

} // namespace harness
