// SPDX-License-Identifier: GPL-2.0
// One call on a trait object (DYNASYNC_IOC_CALL / IORING_OP_URING_CMD):
// the method's future runs as a task whose header lives inside the call's
// bookkeeping (CallCtx), under a deadline timer. Exactly one report per
// call: either ds_call_start() returns 0 (it finished in the caller's
// context) or complete() is called once, after the task and every frame
// are gone. Which of the two is decided under the call's lock.
#include <cstddef>
#include <new>

#include "ops/object.hpp"
#include "rt/task.hpp"

namespace ds {
namespace {

static_assert(sizeof(Sink) == sizeof(ds_sink) &&
	      offsetof(Sink, received) == offsetof(ds_sink, received) &&
	      offsetof(Sink, deliveries) == offsetof(ds_sink, deliveries),
	      "the glue's sink is the widget's Sink");

constexpr size_t kHeaderSize = sizeof(RootTask<Next>) > sizeof(RootTask<uint64_t>)
				       ? sizeof(RootTask<Next>)
				       : sizeof(RootTask<uint64_t>);

class CallCtx final : public Storage, public FrameOwner {
public:
	CallCtx(ds_object *obj, bool from_pool) noexcept
		: Storage(Strategy::Boxed), obj_(obj), from_pool_(from_pool)
	{
		call.priv = this;
		ds_lock_init(&lock_);
		deadline_.ctx = this;
	}

	int start() noexcept;
	// Stops a running call at its next suspension (a suspended one at
	// once, on the worker): it ends with -@reason (EINTR, ECANCELED)
	// unless it finished first or an earlier stop (the deadline's
	// ETIMEDOUT included) named another reason: the first one wins.
	void stop(int reason) noexcept;
	ds_object *object() const noexcept { return obj_; }
	bool from_pool() const noexcept { return from_pool_; }

	// The task header's storage: one block, inside this context.
	Allocation allocate(size_t size, size_t align) noexcept override
	{
		if (header_taken_ || size > sizeof(header_) || align > kFrameAlign)
			return {nullptr, nullptr, -DS_E2BIG};
		header_taken_ = true;
		return {header_, this, 0};
	}
	// The task is gone (every frame freed, done reported to us): report
	// to the glue unless the starter has not returned yet (it will).
	void release(void *, size_t) noexcept override
	{
		unsigned long f = ds_lock_irqsave(&lock_);
		state_ |= kTaskGone;
		const bool starter_back = state_ & kStarterBack;
		ds_unlock_irqrestore(&lock_, f);
		if (starter_back)
			call.complete(&call); // last touch: the glue may free us
	}

	ds_call call{};

private:
	enum : unsigned int { kStarterBack = 1, kTaskGone = 2, kDone = 4, kArmed = 8 };

	// Standard layout, timer first: the callback finds the context.
	struct Deadline {
		ds_timer timer;
		CallCtx *ctx;
	};

	int check() const noexcept;
	Storage &frames() noexcept
	{
		return obj_->strategy == DS_STRATEGY_TASK_STACK ? stack_ : *obj_->own_storage();
	}
	Storage &loop_frames() noexcept
	{
		return obj_->strategy == DS_STRATEGY_TASK_STACK ? stack_ : obj_->loop_storage();
	}
	template <class T>
	void spawn(Future<T> &&f, typename RootTask<T>::Done done) noexcept
	{
		RootTask<T>::spawn(std::move(f), done, this, &task_, this, &call);
	}
	int components() noexcept;
	int finish_sync(int res) noexcept;
	void finish(int res, uint64_t value, unsigned int flags) noexcept;

	static void done_next(void *p, Result<Next> &&r) noexcept
	{
		auto *c = static_cast<CallCtx *>(p);
		if (!r.ok())
			c->finish(r.error(), 0, 0);
		else if (r->done)
			c->finish(0, 0, DS_OUT_F_END);
		else
			c->finish(1, r->value, 0);
	}
	static void done_value(void *p, Result<uint64_t> &&r) noexcept
	{
		auto *c = static_cast<CallCtx *>(p);
		c->finish(r.ok() ? 0 : r.error(), r.ok() ? *r : 0, 0);
	}
	// Hard-irq context: only ask the task to stop.
	static void on_deadline(ds_timer *t) noexcept
	{
		CallCtx *c = reinterpret_cast<Deadline *>(t)->ctx;
		c->set_reason(DS_ETIMEDOUT);
		c->task_.cancel();
	}
	// The first reason to stop the call is the one it reports.
	void set_reason(int reason) noexcept
	{
		int none = 0;
		__atomic_compare_exchange_n(&reason_, &none, reason, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}

	ds_object *obj_;
	bool from_pool_;
	bool header_taken_ = false;
	unsigned int state_ = 0;
	int reason_ = 0; // why the task was cancelled: 0 or a DS_E* errno
	ds_lock lock_;
	Deadline deadline_;
	TaskRef task_;
	TaskStack stack_;
	Bolt bolt_{};
	Gear gear_{};
	alignas(kFrameAlign) unsigned char header_[kHeaderSize];
};

int CallCtx::check() const noexcept
{
	const ds_call &c = call;
	const bool iterator = obj_->trait == DS_TRAIT_ITERATOR;

	switch (c.method) {
	case DS_METHOD_NEXT:
		return iterator && !c.arg[0] && !c.arg[1] ? 0 : -DS_EINVAL;
	case DS_METHOD_SUM:
		return iterator && !c.arg[1] ? 0 : -DS_EINVAL;
	case DS_METHOD_AUGMENT:
		if (iterator || (c.arg[0] != DS_COMPONENT_BOLT && c.arg[0] != DS_COMPONENT_GEAR))
			return -DS_EINVAL;
		break;
	case DS_METHOD_COMPONENTS:
	case DS_METHOD_TRANSMIT:
		if (iterator || c.arg[0] || c.arg[1])
			return -DS_EINVAL;
		break;
	default:
		return -DS_EINVAL;
	}
	return obj_->consumed() ? -DS_ENOENT : 0;
}

int CallCtx::start() noexcept
{
	ds_object &o = *obj_;
	int err = check();
	if (err)
		return finish_sync(err);
	// The stack's region comes with the call's first frame: a call that
	// places none (a frame-free NEXT, COMPONENTS) allocates nothing, and
	// one that cannot get it fails at that frame with its errno, before
	// the body runs (no effect).
	if (o.strategy == DS_STRATEGY_TASK_STACK) {
		err = stack_.init_on_first_frame(o.task_stack_size, o.gfp, &o.tag);
		if (err)
			return finish_sync(err);
	}

	switch (call.method) {
	case DS_METHOD_NEXT:
		spawn(o.it->next(frames()), &done_next);
		break;
	case DS_METHOD_SUM:
		spawn(sum(*o.it, call.arg[0], loop_frames(), frames()), &done_value);
		break;
	case DS_METHOD_AUGMENT:
		// The components live here, not on this stack: the call may
		// outlive it.
		if (call.arg[0] == DS_COMPONENT_BOLT) {
			bolt_.size = call.arg[1];
			spawn(o.widget->augment(bolt_, frames()), &done_value);
		} else {
			gear_.teeth = call.arg[1];
			spawn(o.widget->augment(gear_, frames()), &done_value);
		}
		break;
	case DS_METHOD_COMPONENTS:
		return finish_sync(components());
	case DS_METHOD_TRANSMIT:
		spawn(o.widget->transmit(Consume<Widget>(o.widget),
					 *reinterpret_cast<Sink *>(call.sink), frames()),
		      &done_value);
		break;
	}

	// The future never started (frame-free, or its header refused): no
	// task, no release(), finish() already ran on this thread. Nobody
	// else can touch the state: no lock.
	if (!header_taken_) {
		state_ |= kStarterBack | kTaskGone;
		return 0;
	}
	unsigned long f = ds_lock_irqsave(&lock_);
	state_ |= kStarterBack;
	const bool gone = state_ & kTaskGone;
	if (!gone && !(state_ & kDone)) {
		state_ |= kArmed;
		// Set up only here: a call that is ready at once (most of
		// them) never pays for the timer (finish() cancels only an
		// armed one).
		ds_timer_init(&deadline_.timer, &on_deadline);
		ds_timer_start(&deadline_.timer, call.deadline_ns);
	}
	ds_unlock_irqrestore(&lock_, f);
	return gone ? 0 : 1;
}

// The non-async "return-position impl Trait": the widget places a counter
// in the new object's storage; the new object gets the widget's storage
// configuration.
int CallCtx::components() noexcept
{
	ds_object &w = *obj_;
	ds_object_params p{};
	p.trait = DS_TRAIT_ITERATOR;
	p.impl = DS_IMPL_COUNTER;
	p.strategy = w.strategy;
	p.gfp = w.gfp;
	p.slot_size = w.requested_slot;
	p.task_stack_size = w.task_stack_size;
	p.reserve_frames = w.reserve_frames;
	p.fault_scope = w.tag.scope;
	ds_object *n;
	int err = object_create_shell(p, w.tag, &n);
	if (err)
		return err;
	auto r = w.widget->components(n->object_heap);
	if (!r) {
		charge_failures(w.tag, n->tag);
		ds_object_put(n);
		return r.error();
	}
	n->it = std::move(*r);
	call.new_obj = n;
	return 0;
}

int CallCtx::finish_sync(int res) noexcept
{
	call.res = res;
	ds_object_op_counts(obj_, &call.injected, &call.alloc_failed);
	state_ = kStarterBack | kTaskGone | kDone;
	return 0;
}

// The task's result: record it, stop the deadline.
void CallCtx::finish(int res, uint64_t value, unsigned int flags) noexcept
{
	// The task reports -ECANCELED when it was cancelled: say why. A
	// call that finished before the stop reached it keeps its result.
	if (res == -DS_ECANCELED) {
		const int reason = __atomic_load_n(&reason_, __ATOMIC_ACQUIRE);
		if (reason)
			res = -reason;
		call.cancelled = reason == DS_ECANCELED;
	}
	call.res = res;
	call.value = value;
	call.out_flags = flags;
	// While the object is still borrowed (ds_call_free() gives it back):
	// the next call resets the counters.
	ds_object_op_counts(obj_, &call.injected, &call.alloc_failed);

	// No task (see start()): called from spawn on the starter, before
	// any deadline was armed; no lock, nothing to cancel.
	if (!header_taken_) {
		state_ |= kDone;
		task_.reset();
		return;
	}
	unsigned long f = ds_lock_irqsave(&lock_);
	state_ |= kDone;
	const bool armed = state_ & kArmed;
	ds_unlock_irqrestore(&lock_, f);
	if (armed)
		ds_timer_cancel(&deadline_.timer); // waits for a running callback
	task_.reset();
}

// Under the lock: finish() sets kDone before it drops task_, so a call
// that is not done yet still holds its task reference here.
void CallCtx::stop(int reason) noexcept
{
	unsigned long f = ds_lock_irqsave(&lock_);
	if (!(state_ & kDone)) {
		set_reason(reason);
		task_.cancel();
	}
	ds_unlock_irqrestore(&lock_, f);
}

} // namespace

size_t call_ctx_size() noexcept { return sizeof(CallCtx); }

} // namespace ds

using namespace ds;

static_assert(sizeof(CallCtx) <= kCallSpace && alignof(CallCtx) <= kFrameAlign,
	      "a call's bookkeeping fits its object's call_space");

extern "C" int ds_call_alloc(struct ds_object *o, unsigned int method, struct ds_call **out)
{
	const bool from_pool = o->strategy == DS_STRATEGY_RESERVE;
	void *p = o->call_space;

	object_begin_op(*o, o->trait, method);
	// Any other object's bookkeeping is its call_space: the caller holds
	// the borrow, and ds_call_free() gives it back only after the
	// previous call's context is destroyed, so the space is free.
	if (from_pool) {
		Allocation a = o->pool.allocate(sizeof(CallCtx), alignof(CallCtx));
		if (!a.ptr)
			return a.err;
		p = a.ptr;
	}
	*out = &(new (p) CallCtx(o, from_pool))->call;
	return 0;
}

extern "C" int ds_call_start(struct ds_call *c)
{
	return static_cast<CallCtx *>(c->priv)->start();
}

extern "C" void ds_call_interrupt(struct ds_call *c)
{
	static_cast<CallCtx *>(c->priv)->stop(DS_EINTR);
}

extern "C" void ds_call_cancel(struct ds_call *c)
{
	static_cast<CallCtx *>(c->priv)->stop(DS_ECANCELED);
}

// The object is given back here, after its call_space is free again and
// before the glue reports the result (so a caller that saw the report
// never meets -EBUSY from this call).
extern "C" void ds_call_free(struct ds_call *c)
{
	auto *ctx = static_cast<CallCtx *>(c->priv);
	ds_object *o = ctx->object();
	const bool from_pool = ctx->from_pool();

	ctx->~CallCtx();
	if (from_pool)
		o->pool.release(ctx, sizeof(CallCtx));
	ds_object_unborrow(o);
	ds_object_put(o);
}
