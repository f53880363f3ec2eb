// SPDX-License-Identifier: GPL-2.0
// `dynasync stats` and `dynasync layout`: the module's accounting and its
// frame-size table, as tables or JSON. Both return the exit status.
#pragma once

#include "device.h"

namespace harness {

int cmd_stats(const Device &dev, bool json);
int cmd_layout(const Device &dev, bool json);

} // namespace harness
