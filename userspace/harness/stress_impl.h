// SPDX-License-Identifier: GPL-2.0
// What the stress workers share: the files, their handle pools, the run's
// budget, and each worker's own counts (merged at the end, no locking on
// the hot path).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "uapi/dynasync.h"

namespace harness::stress {

struct Options {
	std::string verdict = "stress";
	double seconds = 30;
	uint64_t max_ops = 10000000;
	uint64_t seed = 1;
	unsigned ioctl_threads = 2;
	unsigned uring_threads = 3;
	bool sqpoll = true;		// the first io_uring thread's ring is SQPOLL
	unsigned forkers = 1;		// threads forking children, one at a time each
	unsigned stable_files = 3;	// open for the whole run; file 0 is shared with children
	unsigned volatile_files = 2;	// closed and reopened (dup2) while others submit
	unsigned fault_rate = 3;	// RATE percent on file 1 and volatile file 0; 0: none
	// Every ~N ms a module parameter (limit) gets another valid value; 0:
	// none. What a limit answers is then allowed everywhere.
	unsigned churn_ms = 0;
};

// A pooled object: what a worker needs to pick a method without asking.
// Handles are never reused on a file (uapi: not before 2^31 CREATEs), so a
// stale entry only ever names nothing (-ENOENT).
struct Obj {
	uint32_t handle = 0;
	uint8_t trait = 0;
	uint8_t strategy = 0;
	uint8_t depth = 0;
	// The file generation it was placed under (low bits): entries left over
	// from a replaced file are never picked.
	uint8_t tag = 0;

	uint64_t pack() const
	{
		return handle | uint64_t{trait} << 32 | uint64_t{strategy} << 40 |
		       uint64_t{depth} << 48 | uint64_t{tag} << 56;
	}
	static Obj unpack(uint64_t v)
	{
		Obj o;
		o.handle = static_cast<uint32_t>(v);
		o.trait = static_cast<uint8_t>(v >> 32);
		o.strategy = static_cast<uint8_t>(v >> 40);
		o.depth = static_cast<uint8_t>(v >> 48);
		o.tag = static_cast<uint8_t>(v >> 56);
		return o;
	}
};

constexpr unsigned kSlots = 48;

struct File {
	unsigned index = 0;
	int fd = -1;		// a fixed number: volatile files are replaced with dup2
	bool is_volatile = false;
	bool child_shared = false;	// children call on it too (STATS.calls is a lower bound)
	bool armed = false;	// the file's fault policy is RATE (-ENOMEM allowed)
	// Volatile files: odd while the file is being replaced. An operation
	// that saw another generation after it ran may have reached either
	// file: its handle meant nothing there, so any documented errno goes.
	std::atomic<uint64_t> gen{0};
	std::array<std::atomic<uint64_t>, kSlots> slots{};
	// Our CALL submissions (ioctl + io_uring, torn-down rings included).
	std::atomic<uint64_t> calls{0};
	std::atomic<uint64_t> transmits_ok{0};
	std::atomic<uint64_t> transmit_total{0};
	std::atomic<uint64_t> transmits_unseen{0};	// results nobody reaps
	// Calls of torn-down rings io_uring may drop before the module sees
	// them: IOSQE_ASYNC ones (io-wq cancels them), and SQPOLL ones the
	// poller had not consumed.
	std::atomic<uint64_t> calls_maybe_unseen{0};
	std::atomic<uint64_t> injected{0};	// volatile: summed over replaced files
};

// Outcomes and violations of one worker.
struct Counts {
	uint64_t ops = 0;
	uint64_t lost = 0;
	uint64_t duplicated = 0;
	uint64_t unobserved = 0;	// calls of torn-down rings and dead children
	std::map<std::string, uint64_t> outcomes;
	std::vector<std::string> failures;
	uint64_t nfail = 0;
	// Coverage: the races happened with calls in flight.
	uint64_t ring_teardowns = 0, ring_teardowns_busy = 0;
	uint64_t file_closes = 0, file_closes_busy = 0;
	uint64_t children = 0, children_busy = 0, children_killed = 0;
	uint64_t param_writes = 0;	// churn

	void outcome(int res);
	void fail(const std::string &what);
	void merge(const Counts &o);
};

using Rng = std::mt19937_64;

class Shared {
public:
	Shared(const Options &o, std::string dev) : opt(o), device(std::move(dev)) {}

	// One more operation within the budget (time and count)?
	bool take_op();
	bool stopped() const { return stop.load(std::memory_order_relaxed); }

	const Options &opt;
	const std::string device;
	std::vector<std::unique_ptr<File>> files;
	std::atomic<bool> stop{false};
	std::atomic<uint64_t> ops{0};
	double end_time = 0;
	long max_call_ms = 10000;

	// Outputs of torn-down rings, kept until the run's end.
	void graveyard_hold(std::vector<std::unique_ptr<dynasync_call_out[]>> &&g)
	{
		std::lock_guard<std::mutex> l(mu_);
		for (auto &x : g)
			graveyard_.push_back(std::move(x));
	}

private:
	std::mutex mu_;
	std::vector<std::unique_ptr<dynasync_call_out[]>> graveyard_;
};

// A pooled entry as read, and the file generation it was read under.
struct Pick {
	File *file = nullptr;
	unsigned slot = 0;
	uint64_t packed = 0;
	Obj obj;
	uint64_t gen = 0;

	bool straddled() const;	// a volatile file was replaced meanwhile
	void clear() const;	// the handle is gone: empty its slot if unchanged
};

// A file to work on (volatile ones only when @allow_volatile and not being
// replaced), with its generation. Null when every choice is being replaced.
File *pick_file(Shared &s, Rng &rng, bool allow_volatile, uint64_t &gen);
// A non-empty slot of @f, of @trait (0: any). False when none was found.
bool pick_obj(File &f, uint64_t gen, Rng &rng, uint8_t trait, Pick &out);
// Puts @o (tagged with @gen) in an empty slot of @f; false when the pool
// is full.
bool place(File &f, Rng &rng, Obj o, uint64_t gen);
inline uint8_t gen_tag(uint64_t gen) { return static_cast<uint8_t>(gen >> 1); }

// ioctl(2) as 0 / result or -errno.
int xioctl(int fd, unsigned long cmd, void *arg);

// ---- operations (stress_ops.cpp), shared by the ioctl and io_uring workers

// A CALL chosen for a pooled object.
struct CallPlan {
	Pick pick;
	dynasync_call call{};
	bool has_deadline = false;
	// -1: whether the volatile file was replaced is checked at settle
	// time (ioctls); io_uring fixes it right after submit, when the
	// request's file was looked up.
	int straddle = -1;
};
void plan_call(Rng &rng, const Pick &p, CallPlan &plan);
// Checks one completed call (res; @out when its output was written) and
// updates the pool (consumed, ended, new COMPONENTS object, gone handle).
void settle_call(Shared &s, Counts &c, Rng &rng, const CallPlan &plan, int res,
		 const dynasync_call_out *out);
// A CREATE (counter, ticker, gadget, or an adaptor over pooled iterators).
void op_create(Shared &s, Counts &c, Rng &rng, File &f, uint64_t gen);
void op_destroy(Shared &s, Counts &c, Rng &rng, File &f, uint64_t gen);
// One blocking CALL on a pooled object.
void op_call_ioctl(Shared &s, Counts &c, Rng &rng, File &f, uint64_t gen);
// DESTROY of a handle no other thread knows of: exactly 0 expected.
void destroy_private(Counts &c, File &f, uint64_t gen, uint32_t handle);
dynasync_storage stress_storage(uint32_t strategy);

// ---- workers (stress_workers.cpp, stress_uring.cpp, stress_procs.cpp)
void ioctl_worker(Shared &s, Counts &c, uint64_t seed);
void uring_worker(Shared &s, Counts &c, uint64_t seed, bool sqpoll);
void cycler_worker(Shared &s, Counts &c, uint64_t seed);
void forker_worker(Shared &s, Counts &c, uint64_t seed);
void churn_worker(Shared &s, Counts &c, uint64_t seed);	// stress_churn.cpp

// A RATE fault policy on @fd (@percent, seeded), counters reset.
int arm_rate(int fd, unsigned percent, uint64_t seed);
// The file's injected allocations (FAULT_GET), 0 when it fails.
uint64_t injected_of(int fd);

} // namespace harness::stress
