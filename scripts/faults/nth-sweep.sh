#!/bin/sh
# Scenario nth-sweep (runs in the VM: installed at /scripts/faults/, run
# from /, `dynasync` on PATH). For each storage strategy x call shape
# (flat, nested 3 deep, consuming, argument adaptation, impl-Trait return)
# x path (io_uring, ioctl) and n = 1 .. allocations + 1, a fresh file fails
# its nth allocation; every outcome must be the right value or an
# explained -ENOMEM without side effects, and nothing may leak. Prints the
# allocation table and ONE verdict line "nth-sweep: PASS|FAIL ops=...";
# exits nonzero on any violation. Extra arguments go to `dynasync sweep`
# (e.g. --strategies boxed --shapes nested --verbose).

# The module-wide policy applies to every allocation too: an armed one
# would inject failures the per-file counts do not predict.
mode=/sys/kernel/debug/dynasync/fault/mode
if [ -r $mode ] && [ "$(cat $mode)" != "0" ]; then
	echo "the global fault policy is armed (mode $(cat $mode)); it must be off" >&2
	echo "nth-sweep: FAIL ops=0 injected=0 ok=0 ENOMEM=0 absorbed=0 lost=0 duplicated=0 leaked=0"
	exit 1
fi

dynasync sweep "$@"
exit $?
