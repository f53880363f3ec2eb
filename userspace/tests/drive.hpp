// SPDX-License-Identifier: GPL-2.0
// Test helpers: run a future as a task to completion on the host executor
// and record how it completed (the test kit's, userspace/testkit).
#pragma once

#include "dynasync/run.hpp"

using ds::test::drive;
using ds::test::Outcome;
using ds::test::run_to_end;
