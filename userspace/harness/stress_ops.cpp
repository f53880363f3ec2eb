// SPDX-License-Identifier: GPL-2.0
// The stress test's operations on pooled handles: CREATE, DESTROY and CALL
// with the errnos each race may produce (uapi/dynasync.h), and how a
// result changes the pool. Values are not modelled (many threads advance
// the same iterator); the shape of every output is.
#include <cerrno>
#include <sys/ioctl.h>

#include "names.h"
#include "progress.h"
#include "stress_impl.h"

namespace harness::stress {

namespace {

constexpr uint64_t kEndless = uint64_t{1} << 40;

uint64_t below(Rng &rng, uint64_t n)
{
	return n ? rng() % n : 0;
}

std::string where(const File &f, uint32_t handle)
{
	return std::string(f.is_volatile ? "volatile file " : "file ") + std::to_string(f.index) +
	       " handle " + std::to_string(handle);
}

// The errnos CALL documents at all: any of them may answer a handle that
// reached a replaced file, where it names something else or nothing.
bool call_errno_documented(int e)
{
	switch (e) {
	case ENOMEM: case E2BIG: case EBUSY: case ENOSPC: case ETIMEDOUT: case ENOENT:
	case EMFILE: case ENOBUFS: case EINVAL: case EDQUOT:
		return true;
	default:
		return false;
	}
}

bool create_errno_documented(int e)
{
	switch (e) {
	case ENOMEM: case EBUSY: case ENOENT: case EMFILE: case ELOOP: case EINVAL:
	case EOVERFLOW: case EDQUOT:
		return true;
	default:
		return false;
	}
}

} // namespace

// ---- counts ---------------------------------------------------------------

void Counts::outcome(int res)
{
	ops++;
	outcomes[res >= 0 ? "ok" : errno_name(-res)]++;
}

void Counts::fail(const std::string &what)
{
	nfail++;
	if (failures.size() < 20)
		failures.push_back(what);
}

void Counts::merge(const Counts &o)
{
	ops += o.ops;
	lost += o.lost;
	duplicated += o.duplicated;
	unobserved += o.unobserved;
	for (const auto &[k, n] : o.outcomes)
		outcomes[k] += n;
	for (const auto &f : o.failures)
		if (failures.size() < 40)
			failures.push_back(f);
	nfail += o.nfail;
	ring_teardowns += o.ring_teardowns;
	ring_teardowns_busy += o.ring_teardowns_busy;
	file_closes += o.file_closes;
	file_closes_busy += o.file_closes_busy;
	children += o.children;
	children_busy += o.children_busy;
	children_killed += o.children_killed;
	param_writes += o.param_writes;
}

bool Shared::take_op()
{
	if (stopped())
		return false;
	if (ops.fetch_add(1, std::memory_order_relaxed) >= opt.max_ops || now_s() >= end_time) {
		stop.store(true);
		return false;
	}
	return true;
}

// ---- pools ----------------------------------------------------------------

bool Pick::straddled() const
{
	return file->is_volatile && file->gen.load(std::memory_order_acquire) != gen;
}

void Pick::clear() const
{
	if (straddled())
		return;
	uint64_t want = packed;
	file->slots[slot].compare_exchange_strong(want, 0);
}

File *pick_file(Shared &s, Rng &rng, bool allow_volatile, uint64_t &gen)
{
	const size_t n = s.files.size();
	for (int tries = 0; tries < 8; tries++) {
		File *f = s.files[below(rng, n)].get();
		if (f->is_volatile && !allow_volatile)
			continue;
		gen = f->gen.load(std::memory_order_acquire);
		if (gen & 1)
			continue;
		return f;
	}
	gen = s.files[0]->gen.load();
	return s.files[0].get();	// stable: never replaced
}

bool pick_obj(File &f, uint64_t gen, Rng &rng, uint8_t trait, Pick &out)
{
	const unsigned start = below(rng, kSlots);
	for (unsigned i = 0; i < kSlots; i++) {
		const unsigned slot = (start + i) % kSlots;
		uint64_t v = f.slots[slot].load(std::memory_order_acquire);
		if (!v)
			continue;
		Obj o = Obj::unpack(v);
		if (o.tag != gen_tag(gen)) {	// left over from a replaced file
			f.slots[slot].compare_exchange_strong(v, 0);
			continue;
		}
		if (trait && o.trait != trait)
			continue;
		out.file = &f;
		out.slot = slot;
		out.packed = v;
		out.obj = o;
		out.gen = gen;
		return true;
	}
	return false;
}

bool place(File &f, Rng &rng, Obj o, uint64_t gen)
{
	o.tag = gen_tag(gen);
	const unsigned start = below(rng, kSlots);
	for (unsigned i = 0; i < kSlots; i++) {
		uint64_t zero = 0;
		if (f.slots[(start + i) % kSlots].compare_exchange_strong(zero, o.pack()))
			return true;
	}
	return false;
}

int xioctl(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);
	return r < 0 ? -errno : r;
}

dynasync_storage stress_storage(uint32_t strategy)
{
	dynasync_storage st{};
	st.strategy = strategy;
	st.gfp = DYNASYNC_GFP_KERNEL;	// only injected failures, never real ones
	if (strategy == DYNASYNC_STRATEGY_RESERVE)
		st.reserve_frames = 4;
	if (strategy == DYNASYNC_STRATEGY_TASK_STACK)
		st.task_stack_size = 16384;	// a 16-deep tower fits
	return st;
}

// ---- CALL -----------------------------------------------------------------

void plan_call(Rng &rng, const Pick &p, CallPlan &plan)
{
	plan.pick = p;
	dynasync_call &c = plan.call;
	c = dynasync_call{};
	c.handle = p.obj.handle;
	if (p.obj.trait == DYNASYNC_TRAIT_ITERATOR) {
		if (below(rng, 10) < 6) {
			c.method = DYNASYNC_METHOD_NEXT;
		} else {
			c.method = DYNASYNC_METHOD_SUM;
			c.arg[0] = 1 + below(rng, 8);
		}
	} else {
		const uint64_t r = below(rng, 10);
		if (r < 6) {
			c.method = DYNASYNC_METHOD_AUGMENT;
			c.arg[0] = 1 + below(rng, 2);
			c.arg[1] = below(rng, 1000);
		} else if (r < 8) {
			c.method = DYNASYNC_METHOD_COMPONENTS;
		} else {
			c.method = DYNASYNC_METHOD_TRANSMIT;
		}
	}
	// Some calls race their own deadline (tickers sleep up to 1 ms per item).
	plan.has_deadline = below(rng, 100) < 15;
	if (plan.has_deadline)
		c.deadline_ns = 100000 + below(rng, 3000000);
}

void destroy_private(Counts &c, File &f, uint64_t gen, uint32_t handle)
{
	dynasync_destroy d{};
	d.handle = handle;
	int r = xioctl(f.fd, DYNASYNC_IOC_DESTROY, &d);
	c.outcome(r);
	bool straddled = f.is_volatile && f.gen.load() != gen;
	if (r != 0 && !(straddled && (r == -ENOENT || r == -EBUSY)))
		c.fail("DESTROY of " + where(f, handle) + " that no other thread knows: " +
		       errno_name(-r) + ", expected 0");
}

void settle_call(Shared &s, Counts &c, Rng &rng, const CallPlan &plan, int res,
		 const dynasync_call_out *out)
{
	const bool churn = s.opt.churn_ms;
	const Pick &p = plan.pick;
	File &f = *p.file;
	const dynasync_call &call = plan.call;
	const bool straddled = plan.straddle >= 0 ? plan.straddle : p.straddled();
	const std::string what = std::string(method_name(call.method)) + " on " +
				 where(f, call.handle);
	c.outcome(res);
	if (res < 0) {
		const int e = -res;
		bool allowed = e == EBUSY || e == ENOENT || e == ENOBUFS ||
			       (e == ETIMEDOUT && plan.has_deadline) || (e == ENOMEM && f.armed) ||
			       (e == EMFILE && call.method == DYNASYNC_METHOD_COMPONENTS) ||
			       (churn && (e == ETIMEDOUT || e == EDQUOT || e == EMFILE)) ||
			       // A deadline above a lowered max_call_ms (1 ms at least).
			       (churn && e == EINVAL && call.deadline_ns > 1000000) ||
			       (straddled && call_errno_documented(e));
		if (!allowed)
			c.fail(what + ": " + errno_name(e) + " is not documented for this race");
		if (e == ENOMEM && out && !straddled && out->injected + out->alloc_failed == 0)
			c.fail(what + ": -ENOMEM with no allocation failure in its output");
		if (e == ENOENT)
			p.clear();
		if (out && (out->handle || out->reserved || out->flags))
			c.fail(what + ": failed call wrote handle/flags/reserved");
		return;
	}
	if (out && out->reserved)
		c.fail(what + ": out.reserved " + std::to_string(out->reserved));
	switch (call.method) {
	case DYNASYNC_METHOD_NEXT:
		if (res > 1 || (out && (out->handle || out->flags != (res ? 0u : DYNASYNC_OUT_F_END) ||
					(!res && out->value))))
			c.fail(what + ": res " + std::to_string(res) + " with out.flags " +
			       std::to_string(out ? out->flags : 0));
		// An ended iterator is replaced now and then: DESTROY races too.
		if (res == 0 && !p.straddled() && below(rng, 2)) {
			dynasync_destroy d{};
			d.handle = call.handle;
			int r = xioctl(f.fd, DYNASYNC_IOC_DESTROY, &d);
			c.outcome(r);
			if (r == 0 || r == -ENOENT)
				p.clear();
			else if (r != -EBUSY && !p.straddled())
				c.fail("DESTROY of ended " + where(f, call.handle) + ": " +
				       errno_name(-r));
		}
		break;
	case DYNASYNC_METHOD_COMPONENTS: {
		if (out && (out->handle != static_cast<uint32_t>(res) || out->value || out->flags))
			c.fail(what + ": res " + std::to_string(res) + " but out.handle " +
			       std::to_string(out->handle));
		if (res == 0) {
			c.fail(what + ": COMPONENTS returned handle 0");
			break;
		}
		if (straddled)
			break;	// which file holds it is unknown: the close frees it
		Obj n;
		n.handle = static_cast<uint32_t>(res);
		n.trait = DYNASYNC_TRAIT_ITERATOR;
		n.strategy = p.obj.strategy;
		n.depth = 1;
		if (!place(f, rng, n, p.gen))
			destroy_private(c, f, p.gen, n.handle);
		break;
	}
	case DYNASYNC_METHOD_TRANSMIT:
		if (res != 0 || (out && (out->handle || out->flags)))
			c.fail(what + ": res " + std::to_string(res));
		if (!straddled) {
			f.transmits_ok++;
			if (out)
				f.transmit_total += out->value;
			p.clear();
		}
		break;
	default:	// SUM, AUGMENT
		if (res != 0 || (out && (out->handle || out->flags)))
			c.fail(what + ": res " + std::to_string(res));
		break;
	}
}

void op_call_ioctl(Shared &s, Counts &c, Rng &rng, File &f, uint64_t gen)
{
	Pick p;
	if (!pick_obj(f, gen, rng, 0, p)) {
		op_create(s, c, rng, f, gen);
		return;
	}
	CallPlan plan;
	plan_call(rng, p, plan);
	dynasync_call_out out{};
	// Half the calls without output: the kernel's no-out_ptr path.
	const bool with_out = below(rng, 4) != 0;
	plan.call.out_ptr = with_out ? reinterpret_cast<uintptr_t>(&out) : 0;
	f.calls++;
	int r = xioctl(f.fd, DYNASYNC_IOC_CALL, &plan.call);
	settle_call(s, c, rng, plan, r, with_out ? &out : nullptr);
}

// ---- CREATE / DESTROY -----------------------------------------------------

void op_create(Shared &s, Counts &c, Rng &rng, File &f, uint64_t gen)
{
	dynasync_create cr{};
	Pick inner[2];
	unsigned ninner = 0;
	uint8_t depth = 1;
	const uint64_t kind = below(rng, 100);
	cr.trait = DYNASYNC_TRAIT_ITERATOR;
	if (kind < 25) {
		cr.impl = DYNASYNC_IMPL_COUNTER;
		cr.param[0] = below(rng, 1000);
		cr.param[1] = 1 + below(rng, 64);
	} else if (kind < 50) {
		cr.impl = DYNASYNC_IMPL_TICKER;
		cr.param[0] = 20000 + below(rng, 1000000);
		cr.param[1] = below(rng, 5) ? 1 + below(rng, 300) : kEndless;
	} else if (kind < 65) {
		cr.trait = DYNASYNC_TRAIT_WIDGET;
		cr.impl = DYNASYNC_IMPL_GADGET;
		cr.param[0] = below(rng, 100);
	} else {
		const uint64_t a = below(rng, 3);
		cr.impl = a == 0 ? DYNASYNC_IMPL_MAP : a == 1 ? DYNASYNC_IMPL_TAKE
							    : DYNASYNC_IMPL_CHAIN;
		ninner = cr.impl == DYNASYNC_IMPL_CHAIN ? 2 : 1;
		for (unsigned i = 0; i < ninner; i++)
			if (!pick_obj(f, gen, rng, DYNASYNC_TRAIT_ITERATOR, inner[i]))
				ninner = 0;
		if (ninner == 2 && inner[0].obj.handle == inner[1].obj.handle)
			ninner = 0;
		if (!ninner) {	// nothing to wrap yet
			cr.impl = DYNASYNC_IMPL_COUNTER;
			cr.param[1] = 1 + below(rng, 64);
		} else if (cr.impl == DYNASYNC_IMPL_MAP) {
			cr.param[0] = rng();
			cr.param[1] = rng();
		} else if (cr.impl == DYNASYNC_IMPL_TAKE) {
			cr.param[0] = 1 + below(rng, 100);
		}
		for (unsigned i = 0; i < ninner; i++) {
			cr.inner[i] = inner[i].obj.handle;
			depth = std::max<uint8_t>(depth, inner[i].obj.depth + 1);
		}
	}
	const uint32_t strategy = 1 + below(rng, DYNASYNC_STRATEGY_MAX);
	cr.storage = stress_storage(strategy);
	int r = xioctl(f.fd, DYNASYNC_IOC_CREATE, &cr);
	c.outcome(r);
	const bool straddled = f.is_volatile && f.gen.load(std::memory_order_acquire) != gen;
	const std::string what = std::string("CREATE ") + impl_name(cr.impl) + " on " +
				 where(f, cr.handle);
	const bool too_deep = depth > DYNASYNC_MAX_DEPTH;
	if (r < 0) {
		const int e = -r;
		bool allowed = e == EMFILE || (e == ENOMEM && f.armed) ||
			       (s.opt.churn_ms && e == EDQUOT) ||
			       (ninner && (e == ENOENT || e == EBUSY)) || (too_deep && e == ELOOP) ||
			       (straddled && create_errno_documented(e));
		if (!allowed)
			c.fail(what + ": " + errno_name(e) + " is not documented for this race");
		if (e == ENOENT)
			for (unsigned i = 0; i < ninner; i++)
				inner[i].clear();
		return;
	}
	if (straddled)
		return;	// it may be on the replaced file or the new one: the closes free it
	if (too_deep)
		c.fail(what + ": a tower " + std::to_string(depth) + " deep was created");
	if (!cr.handle)
		c.fail(what + ": handle 0");
	// Moved into the adaptor: the inner handles are gone.
	for (unsigned i = 0; i < ninner; i++)
		inner[i].clear();
	Obj o;
	o.handle = cr.handle;
	o.trait = static_cast<uint8_t>(cr.trait);
	o.strategy = static_cast<uint8_t>(strategy);
	o.depth = depth;
	if (!place(f, rng, o, gen))
		destroy_private(c, f, gen, o.handle);
}

void op_destroy(Shared &s, Counts &c, Rng &rng, File &f, uint64_t gen)
{
	(void)s;
	Pick p;
	if (!pick_obj(f, gen, rng, 0, p))
		return;
	dynasync_destroy d{};
	d.handle = p.obj.handle;
	int r = xioctl(f.fd, DYNASYNC_IOC_DESTROY, &d);
	c.outcome(r);
	if (r == 0 || r == -ENOENT)
		p.clear();
	else if (r != -EBUSY && !p.straddled())
		c.fail("DESTROY of " + where(f, p.obj.handle) + ": " + errno_name(-r) +
		       " is not documented for this race");
}

// ---- fault policy ----------------------------------------------------------

int arm_rate(int fd, unsigned percent, uint64_t seed)
{
	dynasync_fault_policy p{};
	p.mode = DYNASYNC_FAULT_RATE;
	p.flags = DYNASYNC_FAULT_F_RESET_COUNTERS;
	p.probability = percent;
	p.times = -1;
	p.seed = seed;
	return xioctl(fd, DYNASYNC_IOC_FAULT_SET, &p);
}

uint64_t injected_of(int fd)
{
	dynasync_fault_state st{};
	if (xioctl(fd, DYNASYNC_IOC_FAULT_GET, &st) < 0)
		return 0;
	uint64_t n = 0;
	for (uint64_t v : st.injected)
		n += v;
	return n;
}

} // namespace harness::stress
