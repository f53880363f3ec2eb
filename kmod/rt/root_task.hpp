// SPDX-License-Identifier: GPL-2.0
// RootTask: runs a Future with no awaiting parent (a top-level operation)
// and reports its result exactly once. The task header is allocated
// fallibly like everything else; if that fails the result is -ENOMEM.
#pragma once

#include <new>
#include <utility>

#include "rt/future.hpp"

namespace ds {

template <class T>
class RootTask final : RootHook {
public:
	using Done = void (*)(void *ctx, Result<T> &&result);

	// Start @f in the caller's context. @done(@ctx, result) runs exactly
	// once: inline if @f finishes without suspending (or could not start),
	// else from whatever context resumes it last. Every frame and the task
	// header are freed before @done runs.
	static void spawn(Future<T> &&f, Done done, void *ctx,
			  ds_gfp gfp = DS_GFP_KERNEL) noexcept
	{
		if (!f.started()) {
			done(ctx, Err{f.error()});
			return;
		}
		void *mem = ds_alloc(sizeof(RootTask), alignof(RootTask), gfp,
				     DS_SITE_TASK);
		if (!mem) {
			Future<T> drop = std::move(f);
			done(ctx, Err{-DS_ENOMEM});
			return;
		}
		auto *task = new (mem) RootTask(std::move(f), done, ctx);
		auto h = task->fut_.handle();
		h.promise().root = task;
		// May finish (and free task) before returning.
		h.resume();
	}

private:
	RootTask(Future<T> &&f, Done done, void *ctx) noexcept
		: fut_(std::move(f)), done_(done), ctx_(ctx)
	{
	}

	void finished() noexcept override
	{
		Result<T> r = std::move(fut_.handle().promise().result);
		Done done = done_;
		void *ctx = ctx_;
		// The frame is suspended at its final point: safe to destroy.
		this->~RootTask();
		ds_free(this, sizeof(RootTask), DS_SITE_TASK);
		done(ctx, std::move(r));
	}

	Future<T> fut_;
	Done done_;
	void *ctx_;
};

} // namespace ds
