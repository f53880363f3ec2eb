// SPDX-License-Identifier: GPL-2.0
// The progress line of a long run, on stderr. Nothing during the first
// second. On a terminal one line rewritten in place; otherwise (the VM's
// serial log, a pipe) a plain line every few seconds, so logs stay short.
#pragma once

#include <cstdint>
#include <cstdio>

namespace harness {

class Progress {
public:
	explicit Progress(bool enabled);
	// The run starts now (rates and the one-second grace count from here).
	void start();
	// Called often; prints only when the interval has passed.
	void update(uint64_t completed, uint64_t total, unsigned inflight,
		    uint64_t failures);
	// Ends an in-place line before the summary is printed.
	void finish();

private:
	bool enabled_;
	bool tty_;
	bool dirty_ = false;
	double start_;
	double last_ = 0;
};

// Monotonic seconds.
double now_s();

} // namespace harness
