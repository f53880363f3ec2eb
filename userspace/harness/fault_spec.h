// SPDX-License-Identifier: GPL-2.0
// A fault-injection policy as the command line writes it, e.g.
//   "probability=10,seed=7"                        RATE (implied)
//   "nth=3,sites=frame+task,strategies=boxed"      NTH (implied)
//   "mode=rate,probability=100,interval=5,times=20,trait=widget,method=augment"
// Fields are the uapi's struct dynasync_fault_policy; lists use '+'.
// Names: sites frame|task|object|args|reserve|misc, strategies as in
// --strategies, traits iterator|widget, methods next|sum|augment|
// components|transmit. Unset fields: RATE's times = -1 (unlimited).
#pragma once

#include <string>

#include "uapi/dynasync.h"

namespace harness {

// False (and @error) on a syntax error; the module validates the rest.
bool parse_fault_spec(const std::string &spec, dynasync_fault_policy &out,
		      std::string &error);
// The inverse, for reports: "rate probability=10 seed=7 sites=frame".
std::string describe_fault_policy(const dynasync_fault_policy &p);
// "frame", ... or "site7".
std::string site_name(unsigned site);

} // namespace harness
