// SPDX-License-Identifier: GPL-2.0
#include "ops/version_op.h"

#include "rt/future.hpp"
#include "rt/task.hpp"
#include "rt/worker_hop.hpp"

namespace ds {
namespace {

// Hops to the workqueue and reports whether it really got there.
Future<bool> version_reply(Storage &storage)
{
	(void)storage;
	co_await ResumeOnWorker{};
	co_return ds_in_worker();
}

void version_done(void *ctx, Result<bool> &&r)
{
	auto *op = static_cast<ds_version_op *>(ctx);
	op->complete(op, r.error(), r.ok() && *r);
}

} // namespace
} // namespace ds

extern "C" void ds_version_op_start(struct ds_version_op *op)
{
	ds::RootTask<bool>::spawn(ds::version_reply(ds::heap_storage()),
				  &ds::version_done, op);
}
