// SPDX-License-Identifier: GPL-2.0
// `dynasync depth`: recursion past the task stack is exactly -ENOSPC.
//
// Under a TASK_STACK call every frame of the call goes on its task stack,
// the inner objects' too, each rounded up to 16 bytes, and the stack
// holds exactly task_stack_size bytes. So a NEXT on a tower of d-1 MAPs
// over a COUNTER needs
//   next(d) = a16(counter NEXT) + (d-1) * a16(map NEXT)
// (the counter is frame-free: its NEXT is 0 bytes)
// bytes and a SUM a16(SUM) more, all from LAYOUT. For every depth 1..16
// (DYNASYNC_MAX_DEPTH) the scenario gives towers exactly those sizes and
// one byte less: one byte less is -ENOSPC (the strategy's ENOSPC counter
// grows by one, no frame stays live), the exact size runs, and after a
// -ENOSPC the iterator has not moved (the next call that fits returns the
// first item). The inner objects have 1-byte task stacks of their own:
// under a TASK_STACK call they are not used. A 17th level is -ELOOP.
#include <cerrno>
#include <cstdio>
#include <vector>

#include "scenario_cmds.h"
#include "scenario_util.h"

namespace harness::scenario {

namespace {

constexpr uint64_t kStart = 1000;
constexpr unsigned kFailEnospc = 3;	// dynasync_strategy_stats.failures[] index

uint64_t a16(uint64_t n)
{
	return (n + 15) & ~uint64_t{15};
}

Spec tower(unsigned depth)
{
	Spec s;
	s.impl = DYNASYNC_IMPL_COUNTER;
	s.param[0] = kStart;
	s.param[1] = 1000;
	for (unsigned i = 1; i < depth; i++) {
		Spec m;
		m.impl = DYNASYNC_IMPL_MAP;
		m.param[0] = 1;
		m.param[1] = 1;
		m.inner.push_back(s);
		s = m;
	}
	return s;
}

class Depth {
public:
	explicit Depth(const Device &dev) : dev_(dev) {}
	bool layout();
	void level(unsigned depth);
	void too_deep();
	Tally &tally() { return t_; }

private:
	// One call with its expected result (-ENOSPC, or res and value).
	void expect(uint32_t h, const std::string &what, uint32_t method, uint64_t n, int res,
		    uint64_t value);
	uint32_t make(unsigned depth, uint64_t stack);
	void drop(uint32_t h);
	uint64_t enospc_count();

	const Device &dev_;
	Tally t_;
	uint64_t counter_ = 0, map_ = 0, sum_ = 0;
};

bool Depth::layout()
{
	bool a, b, c;
	counter_ = a16(frame_size(dev_, DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_NEXT, a));
	map_ = a16(frame_size(dev_, DYNASYNC_IMPL_MAP, DYNASYNC_METHOD_NEXT, b));
	sum_ = a16(frame_size(dev_, DYNASYNC_IMPL_COUNTER, DYNASYNC_METHOD_SUM, c));
	// The counter is ready at once, frame-free: its NEXT is 0 bytes.
	if (!a || !b || !c || counter_ || !map_ || !sum_) {
		t_.fail("LAYOUT of counter NEXT (0: frame-free), map NEXT, SUM failed or gave "
			"an unexpected size");
		return false;
	}
	std::printf("LAYOUT (rounded to 16): counter NEXT %llu, map NEXT %llu, SUM %llu bytes\n",
		    static_cast<unsigned long long>(counter_), static_cast<unsigned long long>(map_),
		    static_cast<unsigned long long>(sum_));
	return true;
}

uint64_t Depth::enospc_count()
{
	dynasync_stats s{};
	if (dev_.stats(s) < 0)
		return 0;
	return s.strategy[DYNASYNC_STRATEGY_TASK_STACK].failures[kFailEnospc];
}

uint32_t Depth::make(unsigned depth, uint64_t stack)
{
	uint32_t h = 0;
	int r = create_tree(dev_, tower(depth),
			    storage_of(DYNASYNC_STRATEGY_TASK_STACK, 0, static_cast<uint32_t>(stack)),
			    storage_of(DYNASYNC_STRATEGY_TASK_STACK, 0, 1), h);
	if (r < 0) {
		t_.fail("CREATE a depth-" + std::to_string(depth) + " tower with a " +
			std::to_string(stack) + "-byte task stack: " + res_str(r));
		return 0;
	}
	return h;
}

void Depth::drop(uint32_t h)
{
	if (int r = dev_.destroy(h); r < 0)
		t_.fail("DESTROY " + std::to_string(h) + ": " + res_str(r));
}

void Depth::expect(uint32_t h, const std::string &what, uint32_t method, uint64_t n, int res,
		   uint64_t value)
{
	uint64_t before = enospc_count();
	dynasync_call_out out{};
	int r = call(dev_, h, method, n, 0, out);
	t_.outcome(r, out.injected);
	std::string name = what + (method == DYNASYNC_METHOD_SUM ? ": SUM(" + std::to_string(n) + ")"
								 : std::string(": NEXT"));
	if (r != res || out.value != value || out.injected || out.alloc_failed) {
		t_.fail(name + ": expected res " + res_str(res) + " value " + std::to_string(value) +
			", got res " + res_str(r) + " value " + std::to_string(out.value));
		return;
	}
	if (res != -ENOSPC)
		return;
	dynasync_stats s{};
	uint64_t grew = enospc_count() - before;
	if (dev_.stats(s) < 0 || grew != 1 ||
	    s.strategy[DYNASYNC_STRATEGY_TASK_STACK].live_frames)
		t_.fail(name + ": after -ENOSPC the TASK_STACK ENOSPC counter grew by " +
			std::to_string(grew) + " (expected 1), live frames " +
			std::to_string(s.strategy[DYNASYNC_STRATEGY_TASK_STACK].live_frames));
}

void Depth::level(unsigned d)
{
	const uint64_t next = counter_ + (d - 1) * map_;
	const uint64_t sum = sum_ + next;
	const uint64_t item = kStart + (d - 1);	// d-1 maps of +1
	const uint64_t before = t_.failures();
	auto tag = [&](uint64_t stack) {
		return "depth " + std::to_string(d) + ", " + std::to_string(stack) + "-byte stack";
	};
	// One byte short of NEXT's frames: nothing runs. (A lone counter
	// needs none: there is nothing to be short of.)
	if (next > 0) {
		if (uint32_t h = make(d, next - 1)) {
			expect(h, tag(next - 1), DYNASYNC_METHOD_NEXT, 0, -ENOSPC, 0);
			expect(h, tag(next - 1), DYNASYNC_METHOD_SUM, 3, -ENOSPC, 0);
			drop(h);
		}
	}
	// Exactly NEXT's frames (the smallest stack, 1 byte, for a frame-free
	// counter): NEXT runs, SUM does not and moves nothing.
	const uint64_t exact = next ? next : 1;
	if (uint32_t h = make(d, exact)) {
		expect(h, tag(exact), DYNASYNC_METHOD_NEXT, 0, 1, item);
		expect(h, tag(exact), DYNASYNC_METHOD_SUM, 3, -ENOSPC, 0);
		expect(h, tag(exact), DYNASYNC_METHOD_NEXT, 0, 1, item + 1);
		drop(h);
	}
	// One byte short of SUM's frames.
	if (uint32_t h = make(d, sum - 1)) {
		expect(h, tag(sum - 1), DYNASYNC_METHOD_SUM, 3, -ENOSPC, 0);
		expect(h, tag(sum - 1), DYNASYNC_METHOD_NEXT, 0, 1, item);
		drop(h);
	}
	// Exactly SUM's frames.
	if (uint32_t h = make(d, sum)) {
		expect(h, tag(sum), DYNASYNC_METHOD_SUM, 3, 0, 3 * item + 3);
		expect(h, tag(sum), DYNASYNC_METHOD_NEXT, 0, 1, item + 3);
		drop(h);
	}
	if (t_.failures() == before)
		t_.note("depth " + std::to_string(d) + ": NEXT needs exactly " + std::to_string(next) +
			" bytes, SUM " + std::to_string(sum) + "; one less is -ENOSPC, no side effect");
}

// A MAP over a 16-deep tower would be 17 deep: -ELOOP, the inner kept.
void Depth::too_deep()
{
	uint32_t h = make(DYNASYNC_MAX_DEPTH, 65536);
	if (!h)
		return;
	dynasync_create c{};
	c.trait = DYNASYNC_TRAIT_ITERATOR;
	c.impl = DYNASYNC_IMPL_MAP;
	c.inner[0] = h;
	c.param[0] = 1;
	c.storage = storage_of(DYNASYNC_STRATEGY_TASK_STACK, 0, 65536);
	int r = dev_.create(c);
	int d = dev_.destroy(h);
	if (r != -ELOOP || d != 0)
		t_.fail("MAP over a " + std::to_string(DYNASYNC_MAX_DEPTH) +
			"-deep tower: expected -ELOOP and the inner still ours, got " + res_str(r) +
			", DESTROY of the inner " + res_str(d));
	else
		t_.note("depth " + std::to_string(DYNASYNC_MAX_DEPTH + 1) + ": CREATE is -ELOOP");
}

} // namespace

int run_depth(const std::string &device, const Options &opt)
{
	Device dev = Device::open(device.c_str());
	if (dev.fd() < 0) {
		std::fprintf(stderr, "dynasync: %s\n", dev.error().c_str());
		return 1;
	}
	std::printf("depth: MAP towers on TASK_STACK objects sized from LAYOUT\n");
	Depth s(dev);
	if (s.layout()) {
		for (unsigned d = 1; d <= DYNASYNC_MAX_DEPTH; d++)
			s.level(d);
		s.too_deep();
	}
	return finish_quiescent(dev, s.tally(), opt.verdict);
}

} // namespace harness::scenario
