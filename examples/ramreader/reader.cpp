// SPDX-License-Identifier: GPL-2.0
// The example's impls and the C interface to them (reader.h). Compiled in
// the module's one C++ unit with the runtime (kmod/dynasync-rt.kbuild).
#include "reader.hpp"

#include <new>

#include "reader.h"
#include "rt/sleep.hpp"
#include "rt/task.hpp"

namespace rr {

namespace {

// The copy every impl ends with; the cursor moves only here, after every
// fallible step of the call succeeded.
uint32_t copy_block(uint32_t &cur, uint8_t *out) noexcept
{
	if (cur >= kBlocks)
		return kBlocks;
	__builtin_memcpy(out, rr_disk + cur * kBlockSize, kBlockSize);
	return cur++;
}

} // namespace

Future<uint32_t> RamReader::read(uint8_t *out, Storage &s)
{
	return Future<uint32_t>::ready_in(s, [this, out] { return copy_block(cur_, out); });
}

Future<uint32_t> SlowReader::read(uint8_t *out, Storage &s)
{
	co_await ds::sleep_for(delay_);
	co_return copy_block(cur_, out);
}

Future<uint32_t> XorReader::read(uint8_t *out, Storage &s)
{
	DS_CO_TRY(uint32_t block, co_await inner_->read(out, s));
	if (block < kBlocks)
		for (uint32_t i = 0; i < kBlockSize; i++)
			out[i] ^= key_;
	co_return block;
}

namespace {

// Max frame per method over the impls: read() of the adaptor is the
// largest, the ready impl asks for none.
constinit ds::LayoutTable<BlockReader> layout;

} // namespace

} // namespace rr

namespace rr {

// Where a call's task header lives: the heap, with the READ told when the
// header is taken and when it is freed. The executor frees it on the
// worker just after reporting the result, so a READ that returned at the
// result could leave it live for a moment; the ioctl waits for both.
class CallHeaders final : public ds::Storage, public ds::FrameOwner {
public:
	explicit CallHeaders(ds_alloc_tag *tag) noexcept
		: Storage(ds::Strategy::Boxed), heap_(DS_GFP_KERNEL, DS_SITE_TASK, tag) {}
	void set_call(rr_read_op *op) noexcept { op_ = op; }
	ds::Allocation allocate(size_t size, size_t align) noexcept override
	{
		ds::Allocation a = heap_.allocate(size, align);
		if (a.ptr) {
			heap_owner_ = a.owner;
			a.owner = this;
			op_->header_taken(op_);
		}
		return a;
	}
	void release(void *p, size_t size) noexcept override
	{
		rr_read_op *op = op_;

		heap_owner_->release(p, size);
		op->header_freed(op); // last: the READ may return at once
	}

private:
	ds::Boxed heap_;
	ds::FrameOwner *heap_owner_ = nullptr;
	rr_read_op *op_ = nullptr;
};

} // namespace rr

// What a handle names: the reader, the adaptor's inner reader (owned here,
// so an adaptor can never outlive it), and where its allocations go. The
// storages carry the file's tag: the file's fault hook sees every one.
struct rr_object {
	explicit rr_object(ds_alloc_tag *tag) noexcept
		: objects(DS_GFP_KERNEL, DS_SITE_OBJECT, tag),
		  frames(DS_GFP_KERNEL, DS_SITE_FRAME, tag),
		  headers(tag) {}
	ds::Boxed objects;
	ds::Boxed frames;
	rr::CallHeaders headers;
	ds::DynBox<rr::BlockReader> inner;
	ds::DynBox<rr::BlockReader> reader; // destroyed first
};

extern "C" {

void rr_rt_init(void)
{
	rr::layout.add<rr::RamReader>();
	rr::layout.add<rr::SlowReader>();
	rr::layout.add<rr::XorReader>();
	ds_log(DS_LOG_INFO, "read() frames: up to %zu bytes over %zu impls",
	       rr::layout.method(rr::BlockReader::kRead), rr::layout.impls());
}

size_t rr_rt_frame_size(void)
{
	return rr::layout.method(rr::BlockReader::kRead);
}

namespace {

ds::Result<ds::DynBox<rr::BlockReader>> make_reader(ds::Storage &s, uint32_t kind,
						    uint64_t delay_ns,
						    rr::BlockReader *inner, uint8_t key) noexcept
{
	switch (kind) {
	case RR_KIND_RAM:
		return ds::make_in<rr::RamReader, rr::BlockReader>(s);
	case RR_KIND_SLOW:
		return ds::make_in<rr::SlowReader, rr::BlockReader>(s, delay_ns);
	default:
		return ds::make_in<rr::XorReader, rr::BlockReader>(s, inner, key);
	}
}

} // namespace

int rr_object_create(const struct rr_spec *spec, struct ds_alloc_tag *tag,
		     struct rr_object **out)
{
	// The handle's own block straight from the platform: its storages
	// live inside it, so none of them can be the one it came from.
	void *p = ds_alloc(sizeof(rr_object), alignof(rr_object), DS_GFP_KERNEL,
			   DS_SITE_OBJECT, tag);
	if (!p)
		return ds_alloc_errno(tag);
	auto *o = new (p) rr_object(tag);
	if (spec->kind == RR_KIND_XOR) {
		auto inner = make_reader(o->objects, spec->inner_kind, spec->delay_ns,
					 nullptr, 0);
		if (!inner.ok()) {
			rr_object_destroy(o);
			return inner.error();
		}
		o->inner = std::move(inner.value());
	}
	auto r = make_reader(o->objects, spec->kind, spec->delay_ns, o->inner.get(),
			     static_cast<uint8_t>(spec->key));
	if (!r.ok()) {
		rr_object_destroy(o);
		return r.error();
	}
	o->reader = std::move(r.value());
	*out = o;
	return 0;
}

void rr_object_destroy(struct rr_object *o)
{
	ds_alloc_tag *tag = o->objects.tag();

	o->~rr_object();
	ds_free(o, sizeof(rr_object), DS_SITE_OBJECT, tag);
}

uint32_t rr_object_cursor(const struct rr_object *o)
{
	return o->reader->cursor();
}

namespace {

void read_done(void *ctx, ds::Result<uint32_t> &&r) noexcept
{
	auto *op = static_cast<rr_read_op *>(ctx);
	op->block = r.ok() ? r.value() : 0;
	op->complete(op, r.error());
}

} // namespace

void rr_read_start(struct rr_object *o, struct rr_read_op *op)
{
	o->headers.set_call(op);
	ds::RootTask<uint32_t>::spawn(o->reader->read(op->buf, o->frames), &read_done, op,
				      nullptr, &o->headers);
}

} // extern "C"
