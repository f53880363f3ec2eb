#!/bin/sh
# reserve: RESERVE objects keep completing calls while every allocation
# fails, and fail (-ENOMEM) only once their reserve is exhausted: the exact
# number of reserve frames each call shape needs at once, one less is
# -ENOMEM with no side effect; then 20,000 io_uring calls on objects with
# exactly that reserve, all right, every refill injected. Once with the
# file's policy, once with the module-wide (debugfs) one.
. "$(dirname "$0")/lib/scenario.sh"

step dynasync reserve --policy file --calls 20000 --verdict reserve-file
step dynasync reserve --policy global --calls 5000 --verdict reserve-global
verdict reserve
