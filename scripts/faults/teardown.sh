#!/bin/sh
# teardown: 64 calls in flight (tickers) when the file is closed, the ring
# is torn down, or the process owning the ring exits or is SIGKILLed, with
# the file's policy at 10% and then also the module-wide one at 10%. Every
# call the process can still see completes once; afterwards every live
# allocation and frame of the module must reach 0 (polled up to
# max_call_ms + 5 s). vm-init's rmmod after the scenarios checks the rest.
. "$(dirname "$0")/lib/scenario.sh"

seed=21
for how in close close-ring exit kill exit-shared kill-shared; do
	step dynasync teardown --how $how --fault probability=10,seed=$seed \
		--verdict teardown-$how
	step dynasync teardown --how $how --fault probability=10,seed=$seed \
		--global-fault probability=10,seed=$((seed + 100)) --verdict teardown-$how-global
	seed=$((seed + 1))
done
verdict teardown
