// SPDX-License-Identifier: GPL-2.0
// A minimal JSON writer for --json output: nested objects and arrays,
// numbers, strings and booleans, commas placed for the caller.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

namespace harness {

class Json {
public:
	explicit Json(FILE *out) : out_(out) {}
	~Json() { std::fputc('\n', out_); }

	// @key is ignored (must be null) inside arrays.
	void begin_object(const char *key = nullptr) { open(key, '{'); }
	void end_object() { close('}'); }
	void begin_array(const char *key = nullptr) { open(key, '['); }
	void end_array() { close(']'); }

	// Any integer (the ABI's __u64 is unsigned long long, uint64_t is not).
	template <class T>
		requires std::integral<T>
	void num(const char *key, T v)
	{
		if constexpr (std::is_signed_v<T>)
			signed_num(key, static_cast<long long>(v));
		else
			unsigned_num(key, static_cast<unsigned long long>(v));
	}
	void real(const char *key, double v);
	void str(const char *key, const std::string &v);
	void boolean(const char *key, bool v);

private:
	void signed_num(const char *key, long long v);
	void unsigned_num(const char *key, unsigned long long v);
	void open(const char *key, char c);
	void close(char c);
	void prefix(const char *key);
	void quoted(const std::string &s);

	FILE *out_;
	std::vector<bool> first_;	// per open container: nothing written yet
};

} // namespace harness
