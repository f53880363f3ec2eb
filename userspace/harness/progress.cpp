// SPDX-License-Identifier: GPL-2.0
#include "progress.h"

#include <cinttypes>
#include <cstring>
#include <ctime>
#include <unistd.h>

namespace harness {

double now_s()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

namespace {

// A terminal a person watches. A serial port or the console is a tty too,
// but what is written there ends up in a log: carriage returns and
// escapes would only garble it.
bool interactive()
{
	if (!isatty(STDERR_FILENO))
		return false;
	const char *name = ttyname(STDERR_FILENO);
	return name && std::strncmp(name, "/dev/ttyS", 9) != 0 &&
	       std::strcmp(name, "/dev/console") != 0;
}

} // namespace

Progress::Progress(bool enabled)
	: enabled_(enabled), tty_(interactive()), start_(now_s())
{
}

void Progress::start()
{
	start_ = now_s();
	last_ = 0;
}

void Progress::update(uint64_t completed, uint64_t total, unsigned inflight,
		      uint64_t failures)
{
	if (!enabled_)
		return;
	double t = now_s();
	double interval = tty_ ? 0.5 : 2.0;
	if (t - start_ < 1.0 || t - last_ < interval)
		return;
	last_ = t;
	double rate = completed / (t - start_);
	std::fprintf(stderr, "%sprogress: %" PRIu64 "/%" PRIu64 " calls (%.0f%%), %.0f calls/s, "
		     "%u in flight, %" PRIu64 " failures, %.1f s%s",
		     tty_ ? "\r" : "", completed, total,
		     total ? 100.0 * completed / total : 100.0, rate, inflight, failures,
		     t - start_, tty_ ? "\033[K" : "\n");
	dirty_ = tty_;
}

void Progress::finish()
{
	if (dirty_)
		std::fputc('\n', stderr);
	dirty_ = false;
}

} // namespace harness
