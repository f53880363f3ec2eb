// SPDX-License-Identifier: GPL-2.0
// The fuzzer's PRNG: splitmix64. Each request draws from its own generator
// seeded from (run seed, request index), so request i is the same for a
// seed whatever happened before it (replay needs no recorded state).
#pragma once

#include <cstdint>

namespace harness::fuzz {

class Rng {
public:
	explicit Rng(uint64_t seed) : s_(seed) {}
	// Request @index of the run seeded with @seed.
	static Rng for_request(uint64_t seed, uint64_t index)
	{
		Rng r(seed ^ (index * 0xd1342543de82ef95ULL));
		r.next();
		return r;
	}

	uint64_t next()
	{
		uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}
	// Uniform in [0, n) (n > 0; the modulo bias is irrelevant here).
	uint64_t below(uint64_t n) { return next() % n; }
	bool chance(unsigned percent) { return below(100) < percent; }
	// Values a fuzzer likes: edges of the integer types, small numbers,
	// powers of two and their neighbours, or anything.
	uint64_t interesting()
	{
		static constexpr uint64_t kEdges[] = {
			0, 1, 2, 3, 7, 15, 16, 64, 255, 256, 4095, 4096, 4097, 65535, 65536,
			65537, 0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL,
			0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 1,
		};
		switch (below(4)) {
		case 0:
			return kEdges[below(sizeof(kEdges) / sizeof(kEdges[0]))];
		case 1:
			return below(300);
		case 2: {
			uint64_t p = 1ULL << below(64);
			return p + below(3) - 1;
		}
		default:
			return next();
		}
	}

private:
	uint64_t s_;
};

} // namespace harness::fuzz
