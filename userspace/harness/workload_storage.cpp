// SPDX-License-Identifier: GPL-2.0
#include "workload_storage.h"

#include <algorithm>

namespace harness {

namespace {

uint64_t round16(uint64_t n)
{
	return (n + 15) & ~uint64_t{15};
}

} // namespace

uint64_t task_stack_need(const Spec &spec, uint32_t method, const FrameSize &frame)
{
	uint64_t own = round16(frame(spec.impl, method));
	if (method == DYNASYNC_METHOD_SUM)
		return own + task_stack_need(spec, DYNASYNC_METHOD_NEXT, frame);
	if (method != DYNASYNC_METHOD_NEXT)
		return own;
	uint64_t inner = 0;
	for (const Spec &s : spec.inner)
		inner = std::max(inner, task_stack_need(s, DYNASYNC_METHOD_NEXT, frame));
	return own + inner;
}

uint64_t largest_frame(const Spec &spec, uint32_t method, const FrameSize &frame)
{
	uint64_t most = frame(spec.impl, method);
	if (method == DYNASYNC_METHOD_SUM)
		return std::max(most, largest_frame(spec, DYNASYNC_METHOD_NEXT, frame));
	if (method == DYNASYNC_METHOD_NEXT)
		for (const Spec &s : spec.inner)
			most = std::max(most, largest_frame(s, DYNASYNC_METHOD_NEXT, frame));
	return most;
}

} // namespace harness
