// SPDX-License-Identifier: GPL-2.0
// Shared test fixture: every test starts with no injected faults and must
// end with no live allocations and no queued work (the test kit's).
#pragma once

#include "dynasync/testkit.hpp"

using RuntimeTest = ds::test::Test;
