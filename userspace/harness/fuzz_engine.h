// SPDX-License-Identifier: GPL-2.0
// The ABI fuzzer's engine: builds request i of a seed (fuzz_oracle.h's
// plan head, then fields drawn from the request's own generator), resolves
// it against a live pool of objects (a model of the file's table), sends
// it (ioctl or io_uring), and checks the outcome and the data returned.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <liburing.h>

#include "fuzz_mem.h"
#include "fuzz_oracle.h"
#include "uapi/dynasync.h"

namespace harness::fuzz {

constexpr int kResults = 134;

uint64_t mono_ns();	// index 0: success, else the errno

// What a run counted; plain data (children write it to shared memory).
struct Counts {
	uint64_t requests;
	uint64_t per_cmd[kCmds];
	uint64_t per_cmd_res[kCmds][kResults];
	uint64_t per_mut[kMuts];
	// Wall time spent in each command's request (sending, checking, and
	// the setup CREATEs it made), in reaping CQEs, in trimming the pool,
	// and in init/finish: where a slow kernel's time goes.
	uint64_t per_cmd_ns[kCmds];
	uint64_t reap_ns, trim_ns, setup_ns;
	// CREATEs over an inner already at the depth limit that no too-deep
	// mutation asked for (random stacking, a tower whose build failed).
	uint64_t stacked_too_deep;
	uint64_t violations;
	uint64_t lost;		// io_uring calls without a CQE at the end
	uint64_t duplicated;	// CQEs nobody was waiting for
	uint64_t leaked;	// objects or allocations left after close
	uint64_t first_violation;	// request index (valid when violations)
	void add(const Counts &o);
};

struct FuzzOptions {
	const char *path = DYNASYNC_DEVICE_PATH;
	uint64_t seed = 1;
	uint64_t iters = 100000;
	int64_t replay_to = -1;		// stop after this index, printing it
	int64_t verbose_from = -1;	// print every request from this index
	bool progress = false;
	// Bounds a valid SUM's work, items walked x adaptors they pass (0: no
	// bound). Edge values stay (n = ~0 on a short iterator, a count of ~0
	// summed a little): only their product is capped. For slow kernels.
	uint64_t max_work = 0;
};

// One object of the file as the fuzzer knows it.
struct Obj {
	uint32_t handle = 0;
	uint32_t trait = 0, impl = 0;
	dynasync_storage storage{};
	unsigned depth = 1, weight = 1;
	uint64_t items = 0;		// upper bound of items left (iterators)
	uint64_t ticker_ns = 0;		// slowest ticker period in the tree
	bool tight_inline = false, small_reserve = false, nowait = false;
	bool small_values = true;	// values stay far below kernel addresses
	uint64_t augments = 0;		// widgets
	int busy = 0;			// io_uring calls in flight on it
	int consuming = 0;		// of which TRANSMITs (it may be gone)
	bool tower = false;		// the depth-16 adaptor stack (TooDeep)
};

class Engine {
public:
	Engine(const FuzzOptions &o, Counts &counts);
	~Engine();
	// Opens the files and rings, reads the layout table and the deadline cap.
	bool init(std::string &err);
	// Requests [0, iters) (or to replay_to).
	void run();
	// Drains io_uring, destroys every object (each must go), checks the
	// file's STATS (0 objects, 0 in flight), closes everything.
	void finish();

private:
	// ---- fuzz_engine.cpp: sending, checking, io_uring -----------------
	struct Pending {
		bool active = false;
		uint64_t index = 0;
		Cmd cmd = Cmd::UringCall;
		Mut mut = Mut::None;
		Outcomes expect;
		bool out_good = false;
		unsigned slot = 0;
		uint64_t epoch = 0;	// fault-policy epoch at submission
		bool late = false;
		bool marked = false;	// counted in its object's busy
		dynasync_call call{};
	};
	long sys_ioctl(int fd, unsigned long nr, void *arg);
	// Counts @res and checks it against @expect and the documented set.
	bool record(uint64_t i, Cmd c, Mut m, long res, const Outcomes &expect,
		    const std::string &what);
	void violation(uint64_t i, Cmd c, Mut m, const std::string &why);
	bool verbose(uint64_t i) const;
	Env env() const;
	void step(uint64_t i);
	void reap(bool wait_one);
	void complete_uring(Pending &p, long res);
	int free_pending() const;
	uint64_t live_weight() const;
	int inflight() const { return inflight_; }

	// ---- fuzz_gen_objects.cpp: CREATE / DESTROY and the pool ----------
	void do_create(uint64_t i, Rng &r, Mut m);
	void do_destroy(uint64_t i, Rng &r, Mut m);
	bool gen_create(Rng &r, dynasync_create &c, bool adaptor);
	void random_storage(Rng &r, dynasync_storage &s, uint32_t trait);
	Obj describe(const dynasync_create &c) const;
	void created(const dynasync_create &c, uint32_t handle, uint32_t slot_size, uint64_t i);
	// A setup CREATE (a valid one, recorded like any request).
	// Handles (0: could not); pool_ pointers do not survive a CREATE.
	uint32_t ensure_free(uint64_t i, Rng &r, uint32_t trait);
	uint32_t ensure_tower(uint64_t i, Rng &r);
	Obj *find(uint32_t handle);
	Obj *pick(Rng &r, uint32_t trait, bool busy);
	void forget(uint32_t handle);
	void destroy_quietly(uint64_t i, uint32_t handle, const Outcomes &expect);
	uint32_t stale_handle(Rng &r);
	uint32_t never_handle(Rng &r);
	uint32_t foreign_handle(Rng &r);
	void trim_pool(uint64_t i, Rng &r);

	// ---- fuzz_gen_calls.cpp: CALL on both paths ------------------------
	void do_call(uint64_t i, Rng &r, Mut m, Cmd c);
	bool cheap(const Obj &o, uint32_t method, uint64_t n) const;
	CallTarget target(const Obj &o, uint32_t method, uint64_t n, uint64_t deadline) const;
	void call_done(uint64_t i, Cmd c, Mut m, const dynasync_call &call, long res,
		       const dynasync_call_out *out);
	void check_out(uint64_t i, Cmd c, Mut m, const dynasync_call &call, long res,
		       const dynasync_call_out &out, bool small);

	// ---- fuzz_gen_misc.cpp: the other commands -------------------------
	void do_version(uint64_t i, Rng &r, Mut m);
	void do_rt_check(uint64_t i, Rng &r, Mut m);
	void do_stats(uint64_t i, Rng &r, Mut m);
	void do_layout(uint64_t i, Rng &r, Mut m);
	void do_fault_set(uint64_t i, Rng &r, Mut m);
	void do_fault_get(uint64_t i, Rng &r, Mut m);
	void do_bad_ioctl(uint64_t i, Rng &r);
	void do_uring_bad(uint64_t i, Rng &r, Cmd c);
	void policy_off(uint64_t i);
	// Sends a struct-argument ioctl with the pointer class of @m.
	long send(uint64_t i, Rng &r, Cmd c, Mut m, void *data, size_t size);
	void flip_bytes(Rng &r, void *data, size_t size, size_t skip_off = 0, size_t skip_len = 0);
	void check_stats(uint64_t i, Mut m, const dynasync_stats &s, bool own_file);

	const FuzzOptions opt_;
	Counts &n_;
	Arena mem_;	// mapped after the rings: nothing may land in its hole
	int fd_ = -1, foreign_fd_ = -1;
	io_uring ring_{}, plain_{};
	bool ring_ok_ = false, plain_ok_ = false;
	std::vector<Obj> pool_;
	std::deque<uint32_t> stale_;
	std::vector<uint32_t> foreign_;
	uint32_t max_handle_ = 0;
	uint64_t cap_ns_ = 0;
	uint64_t layout_frame_[DYNASYNC_IMPL_MAX + 1][DYNASYNC_METHOD_MAX + 1] = {};
	uint64_t trait_slot_[3] = {};
	// The file's fault policy as set (armed: mode != OFF).
	dynasync_fault_policy policy_{};
	bool policy_known_ = true;
	uint64_t policy_epoch_ = 0;	// bumped whenever it is armed
	uint64_t armed_since_ = 0;
	static constexpr int kDepth = 32;	// io_uring calls in flight at most
	Pending pending_[kDepth];
	int inflight_ = 0;
	bool plain_inflight_ = false;
};

} // namespace harness::fuzz
