// SPDX-License-Identifier: GPL-2.0
// Whether the storage the workload configures can ever answer -E2BIG or
// -ENOSPC: from the module's LAYOUT frame sizes, the bytes a call pushes
// on a TASK_STACK task stack (its frame and, nested under it, its inner
// objects' frames) and the largest single frame (an INLINE slot or a
// RESERVE element holds one). Plain logic, unit-tested on the host.
#pragma once

#include <cstdint>
#include <functional>

#include "model.h"

namespace harness {

// LAYOUT's frame_size of (impl, method); 0: the method makes no frame.
using FrameSize = std::function<uint64_t(uint32_t impl, uint32_t method)>;

// Task stack bytes of @method on an object made from @spec: frames take
// multiples of 16 bytes; an adaptor's inner frame sits on top of its own
// (a chain calls one inner at a time); SUM's frame sits under NEXT's.
uint64_t task_stack_need(const Spec &spec, uint32_t method, const FrameSize &frame);

// The largest single frame of @method over @spec and its inner objects.
uint64_t largest_frame(const Spec &spec, uint32_t method, const FrameSize &frame);

} // namespace harness
