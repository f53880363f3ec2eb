// SPDX-License-Identifier: GPL-2.0
// Stress workers that need no ring: blocking ioctls on every file, and the
// cycler that closes a volatile file while the others submit on it.
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "names.h"
#include "stress_impl.h"

namespace harness::stress {

void ioctl_worker(Shared &s, Counts &c, uint64_t seed)
{
	Rng rng(seed);
	while (s.take_op()) {
		uint64_t gen = 0;
		File *f = pick_file(s, rng, true, gen);
		const uint64_t r = rng() % 100;
		if (r < 20) {
			op_create(s, c, rng, *f, gen);
		} else if (r < 30) {
			op_destroy(s, c, rng, *f, gen);
		} else if (r < 32) {
			// Readers race the writers too: STATS and FAULT_GET.
			dynasync_stats st{};
			int res = xioctl(f->fd, DYNASYNC_IOC_STATS, &st);
			c.outcome(res);
			if (res != 0)
				c.fail("STATS: " + errno_name(-res));
			dynasync_fault_state fs{};
			res = xioctl(f->fd, DYNASYNC_IOC_FAULT_GET, &fs);
			if (res != 0)
				c.fail("FAULT_GET: " + errno_name(-res));
		} else {
			op_call_ioctl(s, c, rng, *f, gen);
		}
	}
}

// Replaces a volatile file every few tens of milliseconds: dup2() drops the
// last descriptor of the old file while ioctls run on it and io_uring
// requests hold it (each call holds the file: it is released after the last
// completes). The fd number stays, so other threads' next operations reach
// the new, empty file: their handles answer -ENOENT there.
void cycler_worker(Shared &s, Counts &c, uint64_t seed)
{
	Rng rng(seed);
	std::vector<File *> vol;
	for (auto &f : s.files)
		if (f->is_volatile)
			vol.push_back(f.get());
	if (vol.empty())
		return;
	while (!s.stopped()) {
		usleep(20000 + rng() % 60000);
		if (s.stopped())
			break;
		File &f = *vol[rng() % vol.size()];
		int nfd = open(s.device.c_str(), O_RDWR | O_CLOEXEC);
		if (nfd < 0) {
			c.fail(std::string("reopening the device: ") + errno_name(errno));
			return;
		}
		if (f.armed && arm_rate(nfd, s.opt.fault_rate, seed + c.file_closes) < 0)
			c.fail("FAULT_SET on the reopened file");
		f.gen.fetch_add(1, std::memory_order_acq_rel);	// odd: being replaced
		dynasync_stats st{};
		const bool busy = xioctl(f.fd, DYNASYNC_IOC_STATS, &st) == 0 && st.inflight > 0;
		f.injected += injected_of(f.fd);
		if (dup2(nfd, f.fd) < 0)
			c.fail(std::string("dup2: ") + errno_name(errno));
		close(nfd);
		for (auto &slot : f.slots)
			slot.store(0);
		f.gen.fetch_add(1, std::memory_order_acq_rel);
		c.file_closes++;
		c.file_closes_busy += busy;
	}
}

} // namespace harness::stress
