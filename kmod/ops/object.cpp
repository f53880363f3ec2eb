// SPDX-License-Identifier: GPL-2.0
#include "ops/object.hpp"

#include <new>

namespace ds {
namespace {

// Frame sizes per impl and method, and each trait's largest (the "auto"
// inline slot), measured once at init by probing every impl.
struct Layout {
	size_t frame[DS_IMPL_MAX + 1][DS_METHOD_MAX + 1];
	size_t trait_slot[DS_TRAIT_WIDGET + 1];
	size_t sum_frame;
};
constinit Layout layout;
constinit long objects_live;

bool impl_of(unsigned int trait, unsigned int impl) noexcept
{
	if (trait == DS_TRAIT_ITERATOR)
		return impl >= DS_IMPL_COUNTER && impl <= DS_IMPL_CHAIN;
	if (trait == DS_TRAIT_WIDGET)
		return impl == DS_IMPL_GADGET;
	return false;
}

unsigned int inner_count(unsigned int impl) noexcept
{
	switch (impl) {
	case DS_IMPL_MAP:
	case DS_IMPL_TAKE:
		return 1;
	case DS_IMPL_CHAIN:
		return 2;
	default:
		return 0;
	}
}

// Storage fields a strategy does not use must be zero; used ones in range.
int check_storage(const ds_object_params &p) noexcept
{
	const bool uses_gfp = p.strategy != DS_STRATEGY_INLINE &&
			      p.strategy != DS_STRATEGY_RESERVE;
	const bool uses_slot = p.strategy == DS_STRATEGY_INLINE ||
			       p.strategy == DS_STRATEGY_MAYBE_BOXED;
	const bool uses_stack = p.strategy == DS_STRATEGY_TASK_STACK;
	const bool uses_reserve = p.strategy == DS_STRATEGY_RESERVE;

	if (p.strategy < DS_STRATEGY_BOXED || p.strategy > DS_STRATEGY_MAX)
		return -DS_EINVAL;
	if (p.gfp >= DS_GFP_COUNT || (!uses_gfp && p.gfp))
		return -DS_EINVAL;
	if ((!uses_slot && p.slot_size) || p.slot_size > DS_MAX_SLOT_SIZE)
		return -DS_EINVAL;
	if (uses_stack != (p.task_stack_size != 0) ||
	    p.task_stack_size > DS_MAX_TASK_STACK)
		return -DS_EINVAL;
	if (uses_reserve != (p.reserve_frames != 0) ||
	    p.reserve_frames > DS_MAX_RESERVE_FRAMES)
		return -DS_EINVAL;
	return 0;
}

int check_params(const ds_object_params &p) noexcept
{
	switch (p.impl) {
	case DS_IMPL_COUNTER:
		if (p.param[0] + p.param[1] < p.param[0])
			return -DS_EOVERFLOW;
		return 0;
	case DS_IMPL_TICKER:
		return p.param[0] > DS_MAX_TICKER_PERIOD_NS ? -DS_EINVAL : 0;
	case DS_IMPL_MAP:
		return 0;
	case DS_IMPL_TAKE:
	case DS_IMPL_GADGET:
		return p.param[1] ? -DS_EINVAL : 0;
	case DS_IMPL_CHAIN:
		return p.param[0] || p.param[1] ? -DS_EINVAL : 0;
	default:
		return -DS_EINVAL;
	}
}

unsigned int effective_slot(const ds_object_params &p) noexcept
{
	switch (p.strategy) {
	case DS_STRATEGY_INLINE:
	case DS_STRATEGY_MAYBE_BOXED:
		return p.slot_size ? p.slot_size
				   : static_cast<unsigned int>(layout.trait_slot[p.trait]);
	case DS_STRATEGY_RESERVE: {
		size_t elem = layout.trait_slot[p.trait];
		if (p.trait == DS_TRAIT_ITERATOR && layout.sum_frame > elem)
			elem = layout.sum_frame;
		if (call_ctx_size() > elem)
			elem = call_ctx_size();
		return static_cast<unsigned int>(align_up(elem, kFrameAlign));
	}
	default:
		return 0;
	}
}

// Places the impl; adaptors get their inners' trait objects and storages.
int make_impl(ds_object &o, const ds_object_params &p) noexcept
{
	AsyncIterator *in0 = o.inner[0] ? o.inner[0]->it.get() : nullptr;
	AsyncIterator *in1 = o.inner[1] ? o.inner[1]->it.get() : nullptr;
	Storage *s0 = o.inner[0] ? o.inner[0]->own_storage() : nullptr;
	Storage &oh = o.object_heap;

	switch (p.impl) {
	case DS_IMPL_COUNTER: {
		auto r = make_in<Counter, AsyncIterator>(oh, p.param[0], p.param[1]);
		if (!r)
			return r.error();
		o.it = std::move(*r);
		return 0;
	}
	case DS_IMPL_TICKER: {
		auto r = make_in<Ticker, AsyncIterator>(oh, p.param[0], p.param[1]);
		if (!r)
			return r.error();
		o.it = std::move(*r);
		return 0;
	}
	case DS_IMPL_MAP: {
		auto r = make_in<Map, AsyncIterator>(oh, in0, p.param[0], p.param[1], s0);
		if (!r)
			return r.error();
		o.it = std::move(*r);
		return 0;
	}
	case DS_IMPL_TAKE: {
		auto r = make_in<Take, AsyncIterator>(oh, in0, p.param[0], s0);
		if (!r)
			return r.error();
		o.it = std::move(*r);
		return 0;
	}
	case DS_IMPL_CHAIN: {
		Storage *s1 = o.inner[1]->own_storage();
		auto r = make_in<Chain, AsyncIterator>(oh, in0, in1, s0, s1);
		if (!r)
			return r.error();
		o.it = std::move(*r);
		return 0;
	}
	case DS_IMPL_GADGET: {
		auto r = make_in<Gadget, Widget>(oh, p.param[0]);
		if (!r)
			return r.error();
		o.widget = std::move(*r);
		return 0;
	}
	default:
		return -DS_EINVAL;
	}
}

} // namespace
} // namespace ds

using namespace ds;

ds_object::ds_object(const ds_object_params &p, unsigned int slot, size_t alloc) noexcept
	: trait(p.trait), impl(p.impl), strategy(p.strategy),
	  gfp(static_cast<ds_gfp>(p.gfp)), requested_slot(p.slot_size),
	  slot_size(slot), task_stack_size(p.task_stack_size),
	  reserve_frames(p.reserve_frames), alloc_size(alloc),
	  tag{static_cast<uint8_t>(p.strategy), static_cast<uint8_t>(p.trait), 0, 0, 0, 0, 0,
	      p.fault_scope},
	  heap(static_cast<ds_gfp>(p.gfp), DS_SITE_FRAME, &tag),
	  object_heap(DS_GFP_KERNEL, DS_SITE_OBJECT, &tag),
	  slot(this + 1, strategy == DS_STRATEGY_INLINE ||
				 strategy == DS_STRATEGY_MAYBE_BOXED ? slot : 0),
	  maybe(this->slot, static_cast<ds_gfp>(p.gfp), &tag),
	  cached(static_cast<ds_gfp>(p.gfp), &tag)
{
	__atomic_add_fetch(&objects_live, 1, __ATOMIC_RELAXED);
}

ds_object::~ds_object()
{
	// The impl first: adaptors point at their inners' trait objects.
	it.reset();
	widget.reset();
	for (ds_object *in : inner)
		if (in)
			ds_object_put(in);
	__atomic_sub_fetch(&objects_live, 1, __ATOMIC_RELAXED);
}

Storage *ds_object::own_storage() noexcept
{
	switch (strategy) {
	case DS_STRATEGY_BOXED:
		return &heap;
	case DS_STRATEGY_INLINE:
		return &slot;
	case DS_STRATEGY_MAYBE_BOXED:
		return &maybe;
	case DS_STRATEGY_CACHED:
		return &cached;
	case DS_STRATEGY_RESERVE:
		return &pool;
	default:
		// TASK_STACK: a root call puts its frames on its task stack
		// and so does every call nested under one; called nested
		// under another strategy, the object boxes them.
		return &heap;
	}
}

static_assert(sizeof(ds_object) % kFrameAlign == 0,
	      "the inline slot follows the object, frame-aligned");

void ds::charge_failures(ds_alloc_tag &to, const ds_alloc_tag &from) noexcept
{
	to.injected += from.injected;
	to.failed += from.failed;
}

void ds::object_begin_op(ds_object &o, unsigned int trait, unsigned int method) noexcept
{
	o.tag.trait = static_cast<uint8_t>(trait);
	o.tag.method = static_cast<uint8_t>(method);
	o.tag.injected = 0;
	o.tag.failed = 0;
	for (ds_object *in : o.inner)
		if (in)
			object_begin_op(*in, trait, method);
}

static void op_counts(const ds_object &o, unsigned int &injected, unsigned int &failed) noexcept
{
	injected += o.tag.injected;
	failed += o.tag.failed;
	for (const ds_object *in : o.inner)
		if (in)
			op_counts(*in, injected, failed);
}

extern "C" void ds_object_op_counts(const ds_object *o, unsigned int *injected,
				    unsigned int *failed)
{
	*injected = 0;
	*failed = 0;
	op_counts(*o, *injected, *failed);
}

int ds::object_create_shell(const ds_object_params &p, ds_alloc_tag &creator,
			    ds_object **out) noexcept
{
	unsigned int depth = 0, weight = 1;
	int err;

	if (!impl_of(p.trait, p.impl))
		return -DS_EINVAL;
	err = check_storage(p);
	if (err)
		return err;
	err = check_params(p);
	if (err)
		return err;
	for (unsigned int i = 0; i < 2; i++) {
		ds_object *in = p.inner[i];
		if ((i < inner_count(p.impl)) != (in != nullptr))
			return -DS_EINVAL;
		if (!in)
			continue;
		if (in->trait != DS_TRAIT_ITERATOR || in == p.inner[1 - i])
			return -DS_EINVAL;
		if (in->depth > depth)
			depth = in->depth;
		weight += in->weight;
	}
	if (depth + 1 > DS_MAX_DEPTH)
		return -DS_ELOOP;

	const unsigned int slot = effective_slot(p);
	const bool has_slot = p.strategy == DS_STRATEGY_INLINE ||
			      p.strategy == DS_STRATEGY_MAYBE_BOXED;
	const size_t alloc = sizeof(ds_object) + (has_slot ? align_up(slot, kFrameAlign) : 0);
	void *mem = ds_alloc(alloc, kFrameAlign, DS_GFP_KERNEL, DS_SITE_OBJECT, &creator);
	if (!mem)
		return ds_alloc_errno(&creator);
	auto *o = new (mem) ds_object(p, slot, alloc);
	o->depth = depth + 1;
	o->weight = weight;
	o->tag.trait = creator.trait;
	o->tag.method = creator.method;
	if (p.strategy == DS_STRATEGY_RESERVE) {
		err = o->pool.init(slot, p.reserve_frames, &o->tag);
		if (err) {
			charge_failures(creator, o->tag);
			ds_object_put(o);
			return err;
		}
	}
	*out = o;
	return 0;
}

extern "C" int ds_object_create(const ds_object_params *p, ds_object **out)
{
	// Creation is an operation of its own: the new object's trait, method 0.
	ds_alloc_tag creator{static_cast<uint8_t>(p->strategy), static_cast<uint8_t>(p->trait),
			     0, 0, 0, 0, 0, p->fault_scope};
	ds_object *o;
	int err = object_create_shell(*p, creator, &o);
	if (err)
		return err;
	// The inners are moved in only on success: on failure the caller
	// keeps its references.
	o->inner[0] = p->inner[0];
	o->inner[1] = p->inner[1];
	err = make_impl(*o, *p);
	if (err) {
		o->inner[0] = o->inner[1] = nullptr;
		ds_object_put(o);
		return err;
	}
	*out = o;
	return 0;
}

static_assert(static_cast<int>(Strategy::Boxed) == DS_STRATEGY_BOXED - 1 &&
	      static_cast<int>(Strategy::Reserve) == DS_STRATEGY_RESERVE - 1,
	      "DS_STRATEGY_* n is Strategy n-1");

extern "C" int ds_object_inner_count(unsigned int trait, unsigned int impl)
{
	return impl_of(trait, impl) ? static_cast<int>(inner_count(impl)) : -DS_EINVAL;
}

extern "C" void ds_object_get(ds_object *o)
{
	__atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
}

extern "C" void ds_object_put(ds_object *o)
{
	if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL))
		return;
	const size_t alloc = o->alloc_size;
	// Its file, for the bytes (the creator's tag had the same scope).
	const ds_alloc_tag tag = o->tag;
	o->~ds_object();
	ds_free(o, alloc, DS_SITE_OBJECT, &tag);
}

extern "C" unsigned int ds_object_trait(const ds_object *o) { return o->trait; }
extern "C" unsigned int ds_object_slot_size(const ds_object *o) { return o->slot_size; }
extern "C" unsigned int ds_object_weight(const ds_object *o) { return o->weight; }

extern "C" bool ds_object_try_borrow(ds_object *o)
{
	return !__atomic_exchange_n(&o->borrowed, 1, __ATOMIC_ACQUIRE);
}

extern "C" void ds_object_unborrow(ds_object *o)
{
	__atomic_store_n(&o->borrowed, 0, __ATOMIC_RELEASE);
}

extern "C" bool ds_object_borrowed(const ds_object *o)
{
	return __atomic_load_n(&o->borrowed, __ATOMIC_ACQUIRE);
}

extern "C" bool ds_object_consumed(const ds_object *o) { return o->consumed(); }

extern "C" void ds_object_set_cancelable(ds_object *o, ds_call *c) { o->cancelable = c; }

extern "C" ds_call *ds_object_cancelable(const ds_object *o) { return o->cancelable; }

extern "C" long ds_objects_live(void)
{
	return __atomic_load_n(&objects_live, __ATOMIC_RELAXED);
}

extern "C" void ds_objects_init(void)
{
	Layout &l = layout;
	Counter counter;
	size_t next[AsyncIterator::kMethods];

	probe_impl<AsyncIterator, Counter>(next);
	l.frame[DS_IMPL_COUNTER][DS_METHOD_NEXT] = next[AsyncIterator::kNext];
	probe_impl<AsyncIterator, Ticker>(next);
	l.frame[DS_IMPL_TICKER][DS_METHOD_NEXT] = next[AsyncIterator::kNext];
	probe_impl<AsyncIterator, Map>(next);
	l.frame[DS_IMPL_MAP][DS_METHOD_NEXT] = next[AsyncIterator::kNext];
	probe_impl<AsyncIterator, Take>(next);
	l.frame[DS_IMPL_TAKE][DS_METHOD_NEXT] = next[AsyncIterator::kNext];
	probe_impl<AsyncIterator, Chain>(next);
	l.frame[DS_IMPL_CHAIN][DS_METHOD_NEXT] = next[AsyncIterator::kNext];

	l.sum_frame = probe_frame([&](Storage &p) { return sum(counter, 1, p, p); });
	for (unsigned int i = DS_IMPL_COUNTER; i <= DS_IMPL_CHAIN; i++) {
		l.frame[i][DS_METHOD_SUM] = l.sum_frame;
		if (l.frame[i][DS_METHOD_NEXT] > l.trait_slot[DS_TRAIT_ITERATOR])
			l.trait_slot[DS_TRAIT_ITERATOR] = l.frame[i][DS_METHOD_NEXT];
	}

	size_t w[Widget::kMethods];
	probe_impl<Widget, Gadget>(w);
	l.frame[DS_IMPL_GADGET][DS_METHOD_AUGMENT] = w[Widget::kAugment];
	l.frame[DS_IMPL_GADGET][DS_METHOD_TRANSMIT] = w[Widget::kTransmit];
	l.trait_slot[DS_TRAIT_WIDGET] = w[Widget::kAugment] > w[Widget::kTransmit]
						? w[Widget::kAugment] : w[Widget::kTransmit];
}

extern "C" int ds_layout(unsigned int trait, unsigned int impl, unsigned int method,
			 uint64_t *frame_size, uint64_t *slot_size)
{
	if (!impl_of(trait, impl) || method < 1 || method > DS_METHOD_MAX)
		return -DS_EINVAL;
	const bool iterator_method = method == DS_METHOD_NEXT || method == DS_METHOD_SUM;
	if (iterator_method != (trait == DS_TRAIT_ITERATOR))
		return -DS_EINVAL;
	*frame_size = layout.frame[impl][method];
	*slot_size = layout.trait_slot[trait];
	return 0;
}

extern "C" unsigned int ds_object_strategy(const ds_object *o) { return o->strategy; }

extern "C" unsigned int ds_object_frame_bytes(const ds_object *o, unsigned int method)
{
	if (o->impl > DS_IMPL_MAX || method > DS_METHOD_MAX)
		return 0;
	return static_cast<unsigned int>(layout.frame[o->impl][method]);
}

extern "C" void ds_stats_strategy(unsigned int strategy, ds_strategy_counters *out)
{
	static_assert(kFailKindCount == 6 && DS_STRATEGY_MAX == 6);
	StrategyCounters c;
	*out = {};
	if (strategy < DS_STRATEGY_BOXED || strategy > DS_STRATEGY_MAX)
		return;
	stats_snapshot(static_cast<Strategy>(strategy - 1), &c);
	out->live_frames = c.live_frames;
	out->live_bytes = c.live_bytes;
	out->high_water_bytes = c.high_water_bytes;
	out->placements = c.placements;
	for (int i = 0; i < kFailKindCount; i++)
		out->failures[i] = c.failures[i];
	out->heap_allocations = c.heap_allocations;
	out->heap_bytes = c.heap_bytes;
}

extern "C" void ds_stats_track_high_water(bool on)
{
	stats_track_high_water(on);
}
