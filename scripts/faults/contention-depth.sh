#!/bin/sh
# contention-depth: a second call on an INLINE object in a call is exactly
# -EBUSY (io_uring, the first asleep on a ticker; each completes once), and
# frames past a task stack are exactly -ENOSPC (MAP towers 1..16 deep on
# task stacks sized from LAYOUT, and one byte less), with no side effect.
. "$(dirname "$0")/lib/scenario.sh"

step dynasync contention --objects 32 --rounds 20 --verdict contention
step dynasync depth --verdict depth
verdict contention-depth
