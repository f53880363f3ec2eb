#!/bin/sh
# storm: every allocation fails for a while, then none does; everything
# must recover and nothing may be stuck.
#  1. The file's policy at 100% from the 5,000th to the 15,000th call of a
#     40,000-call io_uring run (--fault-window), 0% before and after: the
#     harness requires the calls after the window to succeed again.
#  2. The same window on the ioctl path.
#  3. A storm through the module-wide policy (debugfs) while a run is
#     going: armed at 100% once the run is under way, disarmed (mode 0)
#     after 2,000 injections. The run must pass with its -ENOMEMs
#     explained, and a fresh run afterwards must see no errno at all.
. "$(dirname "$0")/lib/scenario.sh"

step dynasync run --no-progress --path uring --ops 40000 --qd 64 --seed 11 \
	--fault probability=100 --fault-window 5000:15000 --verdict storm-window-uring
step dynasync run --no-progress --path ioctl --ops 10000 --seed 12 \
	--fault probability=100 --fault-window 2000:5000 --verdict storm-window-ioctl

# 3. The global storm. The run accepts -ENOMEM (each must be explained by
# its call's out.injected); the storm is bounded by injections, not time.
fault_global_off
echo 0 >"$ds_fault_dir/counters"
dynasync run --no-progress --path uring --ops 60000 --qd 64 --seed 13 \
	--allow-errno ENOMEM --verdict storm-global >"$ds_tmp/global.out" 2>&1 &
pid=$!
# Under way: the module has made allocations for it.
i=0
while [ $i -lt 500 ] && [ "$(awk 'NR > 1 { a += $2 } END { print a + 0 }' "$ds_fault_dir/counters")" -lt 1000 ]; do
	sleep 0.01
	i=$((i + 1))
done
check "the run is under way before the storm" kill -0 $pid
fault_global probability=100 times=-1 seed=13
i=0
while [ $i -lt 1000 ] && [ "$(fault_state injections)" -lt 2000 ]; do
	sleep 0.01
	i=$((i + 1))
done
storm=$(fault_state injections)
fault_global_off
echo "global storm: $storm injections, then off"
check "the global storm injected at least 2000 failures" [ "$storm" -ge 2000 ]
check "the run outlived the storm (calls after it ran)" kill -0 $pid
wait $pid
st=$?
cat "$ds_tmp/global.out"
line=$(grep -E "$ds_verdict_re" "$ds_tmp/global.out" | tail -n 1)
if [ -n "$line" ]; then echo "$line" >>"$ds_tmp/verdicts"; else ds_status=1; fi
[ $st -eq 0 ] || { echo "scenario: FAIL: storm-global exited $st"; ds_status=1; }
check "the storm's -ENOMEMs reached the run" sh -c "echo '$line' | grep -q ' ENOMEM=[1-9]'"

# After the storm: no policy, no errno accepted, everything must succeed.
step dynasync run --no-progress --path uring --ops 10000 --qd 64 --seed 14 \
	--verdict storm-after
verdict storm
