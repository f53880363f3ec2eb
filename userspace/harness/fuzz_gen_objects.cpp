// SPDX-License-Identifier: GPL-2.0
// The fuzzer's CREATE and DESTROY requests, and the pool of live objects
// (the model of the file's table) they keep.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <sys/ioctl.h>

#include "fuzz_engine.h"

namespace harness::fuzz {

namespace {

constexpr uint64_t kSmall = 1ULL << 40;
constexpr size_t kPoolMax = 40;

uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? ~0ULL : a + b; }

bool uses_gfp(uint32_t s)
{
	return s != DYNASYNC_STRATEGY_INLINE && s != DYNASYNC_STRATEGY_RESERVE;
}

} // namespace

void Engine::random_storage(Rng &r, dynasync_storage &s, uint32_t trait)
{
	(void)trait;
	s = {};
	s.strategy = 1 + r.below(DYNASYNC_STRATEGY_MAX);
	if (uses_gfp(s.strategy) && r.chance(30))
		s.gfp = 1 + r.below(2);
	switch (s.strategy) {
	case DYNASYNC_STRATEGY_INLINE:
	case DYNASYNC_STRATEGY_MAYBE_BOXED:
		if (r.chance(40))
			s.slot_size = 1 + r.below(DYNASYNC_MAX_SLOT_SIZE);
		break;
	case DYNASYNC_STRATEGY_TASK_STACK:
		s.task_stack_size = r.chance(30) ? 1 + r.below(512)
						 : 4096 + r.below(DYNASYNC_MAX_TASK_STACK - 4095);
		break;
	case DYNASYNC_STRATEGY_RESERVE:
		s.reserve_frames = r.chance(80) ? 1 + r.below(16)
						: 1 + r.below(DYNASYNC_MAX_RESERVE_FRAMES);
		break;
	default:
		break;
	}
}

bool Engine::gen_create(Rng &r, dynasync_create &c, bool adaptor)
{
	c = {};
	if (adaptor) {
		Obj *a = pick(r, DYNASYNC_TRAIT_ITERATOR, false);
		if (!a)
			return false;
		c.trait = DYNASYNC_TRAIT_ITERATOR;
		c.inner[0] = a->handle;
		switch (r.below(3)) {
		case 0:
			c.impl = DYNASYNC_IMPL_MAP;
			c.param[0] = r.chance(70) ? r.below(1000) : r.interesting();
			c.param[1] = r.chance(70) ? r.below(1000) : r.interesting();
			break;
		case 1:
			c.impl = DYNASYNC_IMPL_TAKE;
			c.param[0] = r.chance(70) ? r.below(100) : r.interesting();
			break;
		default: {
			c.impl = DYNASYNC_IMPL_CHAIN;
			Obj *b = nullptr;
			for (int k = 0; k < 4 && (!b || b->handle == c.inner[0]); k++)
				b = pick(r, DYNASYNC_TRAIT_ITERATOR, false);
			if (!b || b->handle == c.inner[0]) {
				c.impl = DYNASYNC_IMPL_TAKE;
				c.param[0] = r.below(100);
			} else {
				c.inner[1] = b->handle;
			}
		}
		}
	} else {
		uint64_t k = r.below(100);
		if (k < 45) {
			c.trait = DYNASYNC_TRAIT_ITERATOR;
			c.impl = DYNASYNC_IMPL_COUNTER;
			c.param[0] = r.chance(80) ? r.below(1000) : r.interesting();
			c.param[1] = r.chance(80) ? r.below(2000) : r.interesting();
			if (c.param[0] + c.param[1] < c.param[0])
				c.param[1] = ~0ULL - c.param[0];
		} else if (k < 60) {
			c.trait = DYNASYNC_TRAIT_ITERATOR;
			c.impl = DYNASYNC_IMPL_TICKER;
			c.param[0] = r.chance(95) ? r.below(20000) : 1000000000ULL;
			c.param[1] = r.chance(90) ? r.below(50) : r.interesting();
		} else {
			c.trait = DYNASYNC_TRAIT_WIDGET;
			c.impl = DYNASYNC_IMPL_GADGET;
			c.param[0] = r.chance(80) ? r.below(1000) : r.interesting();
		}
	}
	random_storage(r, c.storage, c.trait);
	return true;
}

Obj Engine::describe(const dynasync_create &c) const
{
	Obj o;
	o.trait = c.trait;
	o.impl = c.impl;
	o.storage = c.storage;
	const dynasync_storage &s = c.storage;
	o.tight_inline = s.strategy == DYNASYNC_STRATEGY_INLINE && s.slot_size &&
			 c.trait < 3 && s.slot_size < trait_slot_[c.trait];
	o.small_reserve = s.strategy == DYNASYNC_STRATEGY_RESERVE && s.reserve_frames < 8;
	o.nowait = s.gfp != DYNASYNC_GFP_KERNEL;
	const Obj *in[2] = {};
	for (int k = 0; k < 2; k++) {
		for (const Obj &p : pool_)
			if (c.inner[k] && p.handle == c.inner[k])
				in[k] = &p;
		if (!in[k])
			continue;
		o.depth = std::max(o.depth, in[k]->depth + 1);
		o.weight += in[k]->weight;
		o.ticker_ns = std::max(o.ticker_ns, in[k]->ticker_ns);
		o.tight_inline |= in[k]->tight_inline;
		o.small_reserve |= in[k]->small_reserve;
		o.nowait |= in[k]->nowait;
		o.small_values &= in[k]->small_values;
	}
	switch (c.impl) {
	case DYNASYNC_IMPL_COUNTER:
		o.items = c.param[1];
		o.small_values = c.param[0] + c.param[1] < kSmall;
		break;
	case DYNASYNC_IMPL_TICKER:
		o.items = c.param[1];
		o.ticker_ns = c.param[1] ? c.param[0] : 0;
		break;
	case DYNASYNC_IMPL_MAP:
		o.items = in[0] ? in[0]->items : ~0ULL;
		o.small_values &= c.param[0] < (1 << 16) && c.param[1] < kSmall;
		break;
	case DYNASYNC_IMPL_TAKE:
		o.items = std::min(c.param[0], in[0] ? in[0]->items : ~0ULL);
		break;
	case DYNASYNC_IMPL_CHAIN:
		o.items = sat_add(in[0] ? in[0]->items : ~0ULL, in[1] ? in[1]->items : ~0ULL);
		break;
	case DYNASYNC_IMPL_GADGET:
		o.small_values = c.param[0] < kSmall;
		break;
	}
	return o;
}

void Engine::created(const dynasync_create &c, uint32_t handle, uint32_t slot_size, uint64_t i)
{
	char why[160];
	if (!handle || handle > INT_MAX || handle <= max_handle_ || find(handle)) {
		std::snprintf(why, sizeof(why), "CREATE gave handle %u (last issued %u)", handle,
			      max_handle_);
		violation(i, Cmd::Create, Mut::None, why);
	}
	uint32_t want = 0;
	const uint32_t st = c.storage.strategy;
	if (st == DYNASYNC_STRATEGY_INLINE || st == DYNASYNC_STRATEGY_MAYBE_BOXED)
		want = c.storage.slot_size ? c.storage.slot_size : trait_slot_[c.trait];
	bool bad = st == DYNASYNC_STRATEGY_RESERVE ? !slot_size || slot_size > 65536
						   : slot_size != want;
	if (bad) {
		std::snprintf(why, sizeof(why), "CREATE (strategy %u, slot %u) reported slot_size %u",
			      st, c.storage.slot_size, slot_size);
		violation(i, Cmd::Create, Mut::None, why);
	}
	max_handle_ = std::max(max_handle_, handle);
	Obj o = describe(c);
	o.handle = handle;
	for (uint32_t in : c.inner) {
		if (in && find(in)) {
			forget(in);
			stale_.push_back(in);
		}
	}
	pool_.push_back(o);
}

Obj *Engine::find(uint32_t handle)
{
	for (Obj &o : pool_)
		if (handle && o.handle == handle)
			return &o;
	return nullptr;
}

Obj *Engine::pick(Rng &r, uint32_t trait, bool busy)
{
	Obj *cand[kPoolMax * 2];
	size_t n = 0;
	for (Obj &o : pool_)
		if ((!trait || o.trait == trait) && (o.busy > 0) == busy && !o.tower &&
		    n < sizeof(cand) / sizeof(cand[0]))
			cand[n++] = &o;
	return n ? cand[r.below(n)] : nullptr;
}

void Engine::forget(uint32_t handle)
{
	pool_.erase(std::remove_if(pool_.begin(), pool_.end(),
				   [&](const Obj &o) { return o.handle == handle; }),
		    pool_.end());
}

void Engine::destroy_quietly(uint64_t i, uint32_t handle, const Outcomes &expect)
{
	dynasync_destroy d{};
	d.handle = handle;
	long res = sys_ioctl(fd_, DYNASYNC_IOC_DESTROY, &d);
	record(i, Cmd::Destroy, Mut::None, res, expect, "handle=" + std::to_string(handle));
	if (res == 0 || res == -ENOENT) {
		forget(handle);
		stale_.push_back(handle);
	} else if (find(handle)) {
		// Still there (busy): it stays in the pool.
	}
	while (stale_.size() > 64)
		stale_.pop_front();
}

uint32_t Engine::stale_handle(Rng &r)
{
	return stale_.empty() ? never_handle(r) : stale_[r.below(stale_.size())];
}

uint32_t Engine::never_handle(Rng &r)
{
	uint64_t h = static_cast<uint64_t>(max_handle_) + 1 + 100000 + r.below(1 << 20);
	return static_cast<uint32_t>(std::min<uint64_t>(h, INT_MAX));
}

uint32_t Engine::foreign_handle(Rng &r)
{
	for (int k = 0; k < 8; k++) {
		uint32_t h = foreign_[r.below(foreign_.size())];
		if (!find(h) && h > max_handle_)
			return h;
	}
	return never_handle(r);
}

uint32_t Engine::ensure_free(uint64_t i, Rng &r, uint32_t trait)
{
	if (Obj *o = pick(r, trait, false))
		return o->handle;
	dynasync_create c;
	do
		gen_create(r, c, false);
	while (trait && c.trait != trait);
	long res = sys_ioctl(fd_, DYNASYNC_IOC_CREATE, &c);
	Prediction p{ Outcomes::ok(), true };
	record(i, Cmd::Create, Mut::None, res, with_env(Cmd::Create, p, env()), "setup");
	if (res)
		return 0;
	created(c, c.handle, c.slot_size, i);
	return c.handle;
}

uint32_t Engine::ensure_tower(uint64_t i, Rng &r)
{
	for (const Obj &o : pool_)
		if (o.tower)
			return o.handle;
	dynasync_create c{};
	c.trait = DYNASYNC_TRAIT_ITERATOR;
	c.impl = DYNASYNC_IMPL_COUNTER;
	c.param[1] = 1 + r.below(100);
	c.storage.strategy = DYNASYNC_STRATEGY_BOXED;
	Prediction p{ Outcomes::ok(), true };
	for (unsigned depth = 1; depth <= DYNASYNC_MAX_DEPTH; depth++) {
		long res = sys_ioctl(fd_, DYNASYNC_IOC_CREATE, &c);
		record(i, Cmd::Create, Mut::None, res, with_env(Cmd::Create, p, env()),
		       "tower depth " + std::to_string(depth));
		if (res)
			return 0;
		created(c, c.handle, c.slot_size, i);
		uint32_t h = c.handle;
		c = {};
		c.trait = DYNASYNC_TRAIT_ITERATOR;
		c.impl = DYNASYNC_IMPL_MAP;
		c.inner[0] = h;
		c.param[0] = 1;
		c.storage.strategy = DYNASYNC_STRATEGY_BOXED;
		if (depth == DYNASYNC_MAX_DEPTH) {
			find(h)->tower = true;
			return h;
		}
	}
	return 0;
}

void Engine::trim_pool(uint64_t i, Rng &r)
{
	while (pool_.size() > kPoolMax || live_weight() > 3 * kPoolMax) {
		Obj *o = pick(r, 0, false);
		if (!o)
			return;
		destroy_quietly(i, o->handle, Outcomes::ok());
	}
}

void Engine::do_create(uint64_t i, Rng &r, Mut m)
{
	const bool adaptor = m == Mut::HandleStale || m == Mut::HandleForeign ||
			     m == Mut::HandleNever || m == Mut::HandleZero || m == Mut::HandleHuge ||
			     m == Mut::InnerTwice || m == Mut::Busy ||
			     (m != Mut::Overflow && m != Mut::SizeTooBig && r.chance(30));
	dynasync_create c;
	if (adaptor) {
		uint32_t a = ensure_free(i, r, DYNASYNC_TRAIT_ITERATOR);
		if (r.chance(50))
			ensure_free(i, r, DYNASYNC_TRAIT_ITERATOR);
		if (!a)
			return;
	}
	if (!gen_create(r, c, adaptor))
		return;
	const bool is_adaptor = c.inner[0] != 0;
	switch (m) {
	case Mut::Reserved:
		if (r.chance(30))
			c.storage.reserved = 1 + r.below(UINT32_MAX);
		else
			c.reserved[r.below(2)] = r.next() | 1;
		break;
	case Mut::HandleStale:
	case Mut::HandleForeign:
	case Mut::HandleNever:
	case Mut::HandleZero:
	case Mut::HandleHuge: {
		int k = c.inner[1] && r.chance(50) ? 1 : 0;
		c.inner[k] = m == Mut::HandleStale ? stale_handle(r)
			   : m == Mut::HandleForeign ? foreign_handle(r)
			   : m == Mut::HandleNever ? never_handle(r)
			   : m == Mut::HandleZero ? 0
			   : static_cast<uint32_t>(0x80000000U + r.below(0x80000000U));
		if (c.inner[k] && c.inner[k] == c.inner[1 - k])
			c.inner[k] = never_handle(r);
		if (!c.inner[0] && c.inner[1])	// the "given" check comes first
			break;
		break;
	}
	case Mut::BadEnum:
		switch (r.below(4)) {
		case 0:
			c.trait = r.chance(50) ? 0 : 3 + r.below(UINT32_MAX - 3);
			break;
		case 1:
			c.impl = r.chance(30) ? 0
				: r.chance(50) ? (c.trait == 1 ? DYNASYNC_IMPL_GADGET : 1 + r.below(5))
				: DYNASYNC_IMPL_MAX + 1 + r.below(1000);
			break;
		case 2:
			c.storage.strategy = r.chance(50) ? 0 : DYNASYNC_STRATEGY_MAX + 1 + r.below(1000);
			break;
		default:
			if (uses_gfp(c.storage.strategy))
				c.storage.gfp = 3 + r.below(1000);
			else
				c.storage.strategy = 0;
		}
		break;
	case Mut::UnusedNonzero: {
		const uint32_t st = c.storage.strategy;
		switch (r.below(4)) {
		case 0:	// a storage field the strategy does not use
			if (st != DYNASYNC_STRATEGY_INLINE && st != DYNASYNC_STRATEGY_MAYBE_BOXED)
				c.storage.slot_size = 1 + r.below(4096);
			else if (st == DYNASYNC_STRATEGY_INLINE)
				c.storage.gfp = 1 + r.below(2);
			else
				c.storage.reserve_frames = 1 + r.below(4);
			break;
		case 1:
			if (st != DYNASYNC_STRATEGY_TASK_STACK)
				c.storage.task_stack_size = 1 + r.below(65536);
			else
				c.storage.reserve_frames = 1 + r.below(200);
			break;
		case 2:	// an inner handle the impl does not take
			if (c.impl == DYNASYNC_IMPL_CHAIN)
				c.param[r.below(2)] = 1 + r.below(100);
			else
				c.inner[is_adaptor ? 1 : 0] = ensure_free(i, r, 1) ?: 1;
			break;
		default:	// a parameter the impl does not take
			if (c.impl == DYNASYNC_IMPL_TAKE || c.impl == DYNASYNC_IMPL_GADGET ||
			    c.impl == DYNASYNC_IMPL_CHAIN)
				c.param[1] = 1 + r.below(1000);
			else
				c.storage.slot_size = st == DYNASYNC_STRATEGY_INLINE ||
						      st == DYNASYNC_STRATEGY_MAYBE_BOXED
					? 0 : 1 + r.below(100);
			if (c.impl != DYNASYNC_IMPL_TAKE && c.impl != DYNASYNC_IMPL_GADGET &&
			    c.impl != DYNASYNC_IMPL_CHAIN && !c.storage.slot_size)
				c.storage.task_stack_size = c.storage.strategy ==
					DYNASYNC_STRATEGY_TASK_STACK ? 0 : 7;
		}
		break;
	}
	case Mut::SizeTooBig: {
		if (c.impl == DYNASYNC_IMPL_TICKER && r.chance(50)) {
			c.param[0] = 1000000001ULL + r.below(UINT32_MAX);
			break;
		}
		dynasync_storage &s = c.storage;
		s = {};
		switch (r.below(5)) {
		case 0:
			s.strategy = r.chance(50) ? DYNASYNC_STRATEGY_INLINE : DYNASYNC_STRATEGY_MAYBE_BOXED;
			s.slot_size = DYNASYNC_MAX_SLOT_SIZE + 1 + r.below(UINT32_MAX - 4097);
			break;
		case 1:
			s.strategy = DYNASYNC_STRATEGY_TASK_STACK;
			s.task_stack_size = DYNASYNC_MAX_TASK_STACK + 1 + r.below(UINT32_MAX - 65537);
			break;
		case 2:
			s.strategy = DYNASYNC_STRATEGY_TASK_STACK;	// 0: below the range
			break;
		case 3:
			s.strategy = DYNASYNC_STRATEGY_RESERVE;
			s.reserve_frames = r.chance(30) ? 0
				: DYNASYNC_MAX_RESERVE_FRAMES + 1 + r.below(UINT32_MAX - 257);
			break;
		default:
			s.strategy = DYNASYNC_STRATEGY_RESERVE;
			s.reserve_frames = UINT32_MAX;
		}
		break;
	}
	case Mut::Overflow:
		c = {};
		c.trait = DYNASYNC_TRAIT_ITERATOR;
		c.impl = DYNASYNC_IMPL_COUNTER;
		c.param[0] = 1 + r.below(~0ULL - 1);
		c.param[1] = ~0ULL - c.param[0] + 1 + r.below(c.param[0]);
		random_storage(r, c.storage, 1);
		break;
	case Mut::InnerWidget: {
		uint32_t w = ensure_free(i, r, DYNASYNC_TRAIT_WIDGET);
		if (!w)
			return;
		c = {};
		c.trait = DYNASYNC_TRAIT_ITERATOR;
		c.impl = DYNASYNC_IMPL_MAP;
		c.inner[0] = w;
		random_storage(r, c.storage, 1);
		break;
	}
	case Mut::InnerTwice:
		c.impl = DYNASYNC_IMPL_CHAIN;
		c.param[0] = c.param[1] = 0;
		c.inner[1] = c.inner[0];
		break;
	case Mut::TooDeep: {
		uint32_t t = ensure_tower(i, r);
		if (!t)
			return;
		c = {};
		c.trait = DYNASYNC_TRAIT_ITERATOR;
		c.impl = r.chance(50) ? DYNASYNC_IMPL_MAP : DYNASYNC_IMPL_TAKE;
		c.inner[0] = t;
		random_storage(r, c.storage, 1);
		break;
	}
	case Mut::Busy: {
		Obj *b = pick(r, DYNASYNC_TRAIT_ITERATOR, true);
		if (!b) {
			m = Mut::None;
			break;
		}
		c.inner[0] = b->handle;
		if (c.inner[1] == b->handle)
			c.inner[1] = 0, c.impl = DYNASYNC_IMPL_MAP;
		break;
	}
	case Mut::Raw:
		flip_bytes(r, &c, offsetof(dynasync_create, handle));
		break;
	default:
		break;
	}
	// A RESERVE pool is allocated at CREATE: up to 256 elements in one
	// kernel allocation, which may fail for real (-ENOMEM, documented).
	Outcomes base = Outcomes::ok();
	if (c.storage.strategy == DYNASYNC_STRATEGY_RESERVE && c.storage.reserve_frames > 16)
		base.add(ENOMEM);
	// Adaptors stacked at random (or over what is left of a tower whose
	// build failed) reach the depth limit too: -ELOOP, checked before
	// anything is allocated.
	unsigned depth = 1;
	for (uint32_t h : c.inner)
		if (const Obj *in = h ? find(h) : nullptr)
			depth = std::max(depth, in->depth + 1);
	const bool too_deep = depth > DYNASYNC_MAX_DEPTH;
	if (too_deep)
		base = Outcomes::err(ELOOP);
	n_.stacked_too_deep += too_deep && m != Mut::TooDeep;
	Prediction p = predict(Cmd::Create, m, base);
	if (too_deep)
		p.late = false;
	Outcomes expect = with_env(Cmd::Create, p, env());
	const dynasync_create sent = c;
	long res = send(i, r, Cmd::Create, m, &c, sizeof(c));
	char what[160];
	std::snprintf(what, sizeof(what), "trait=%u impl=%u inner=%u,%u strategy=%u", sent.trait,
		      sent.impl, sent.inner[0], sent.inner[1], sent.storage.strategy);
	record(i, Cmd::Create, m, res, expect, what);
	if (res == 0) {
		// Placements that are not read back: the handle is unknown, so
		// it is found by listing... not possible: only Good/Misaligned
		// succeed (read-only cannot), and those are read back.
		created(sent, c.handle, c.slot_size, i);
	} else if (res > 0) {
		violation(i, Cmd::Create, m, "CREATE returned " + std::to_string(res));
	}
}

void Engine::do_destroy(uint64_t i, Rng &r, Mut m)
{
	dynasync_destroy d{};
	Outcomes base = Outcomes::ok();
	switch (m) {
	case Mut::HandleStale: d.handle = stale_handle(r); break;
	case Mut::HandleForeign: d.handle = foreign_handle(r); break;
	case Mut::HandleNever: d.handle = never_handle(r); break;
	case Mut::HandleZero: d.handle = 0; break;
	case Mut::HandleHuge: d.handle = 0x80000000U + r.below(0x80000000U); break;
	case Mut::Busy: {
		Obj *b = pick(r, 0, true);
		if (b) {
			d.handle = b->handle;
			break;
		}
		m = Mut::None;
	}
		[[fallthrough]];
	default:
		d.handle = ensure_free(i, r, 0);
		if (!d.handle)
			return;
		if (m == Mut::Reserved)
			d.reserved = r.next() | 1;
		else if (m == Mut::Flags)
			d.flags = 1U << r.below(32);
		else if (m == Mut::Raw)
			flip_bytes(r, &d, sizeof(d));
	}
	if (m == Mut::Raw && d.handle && find(d.handle) && find(d.handle)->busy)
		base.add(EBUSY);
	const uint32_t h = d.handle;
	Outcomes expect = with_env(Cmd::Destroy, predict(Cmd::Destroy, m, base), env());
	long res = send(i, r, Cmd::Destroy, m, &d, sizeof(d));
	record(i, Cmd::Destroy, m, res, expect, "handle=" + std::to_string(h));
	if (res == 0) {
		if (!find(h))
			violation(i, Cmd::Destroy, m,
				  "DESTROY of handle " + std::to_string(h) + " the file does not have");
		forget(h);
		stale_.push_back(h);
		while (stale_.size() > 64)
			stale_.pop_front();
	}
}

} // namespace harness::fuzz
