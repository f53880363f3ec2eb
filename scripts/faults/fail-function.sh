#!/bin/sh
# Scenario fail-function (debug kernels; SKIP elsewhere): the kernel's
# fail_function makes the module's one call into the slab (ds_slab_alloc,
# marked ALLOW_ERROR_INJECTION) return NULL from outside the module; no
# policy of ours is armed, so to the module every such failure is a real
# one (counted as failed, explained by out.alloc_failed).
#  1. With ds_slab_alloc a target (probability 0), the kernel fail-nth
#     sweep (failslab only, as in kernel-fail-nth) on the boxed, task-stack
#     and reserve strategies: each module allocation now has a third fault
#     point, fail_function's (ftrace-based kprobe, so in the task), and the
#     sweep must fail every allocation of every op there too
#     (--slab-points 2: the slab's and fail_function's).
#  2. A 60,000-call io_uring run is under way; fail_function is armed at
#     probability 5% for every task (kworkers included) until the module
#     has counted 300 failed allocations, then disarmed. The run must pass
#     with each -ENOMEM explained by its call's out.alloc_failed.
#  3. The target removed, a fresh run sees no errno at all.
. "$(dirname "$0")/lib/scenario.sh"

if ! why=$(kernel_faults_available fail_function failslab fail_page_alloc); then
	echo "fail-function: SKIP ($why)"
	exit 0
fi
ff=$ds_dbg/fail_function
# The module-wide counters, summed over sites: column 3 injected, 4 failed.
counter() {
	awk -v c="$1" 'NR > 1 { a += $c } END { print a + 0 }' "$ds_fault_dir/counters"
}

fault_global_off
echo 0 >"$ds_fault_dir/counters"
# The inject file lists targets as "%ps": "ds_slab_alloc [dynasync]".
check "ds_slab_alloc is an error-injection target" \
	sh -c "echo ds_slab_alloc >$ff/inject && grep -q '^ds_slab_alloc' $ff/inject"
check "its return value is NULL" [ "$(cat $ff/ds_slab_alloc/retval)" = 0 ]
ok=1
kernel_attr fail_function probability=0 interval=1 times=1000000 verbose=0 task-filter=N ||
	ok=0
kernel_attr failslab probability=0 verbose=0 task-filter=Y ignore-gfp-wait=N || ok=0
kernel_attr fail_page_alloc probability=0 verbose=0 task-filter=Y min-order=11 || ok=0
[ $ok = 1 ] || ds_status=1

# 1.
[ $ds_status = 0 ] && step dynasync sweep --kernel-fail-nth --slab-points 2 \
	--strategies boxed,task-stack,reserve

# 2.
echo 0 >"$ds_fault_dir/counters"
dynasync run --no-progress --path uring --ops 60000 --qd 64 --seed 21 \
	--allow-errno ENOMEM --verdict fail-function-uring >"$ds_tmp/run.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 500 ] && [ "$(counter 2)" -lt 1000 ]; do
	sleep 0.01
	i=$((i + 1))
done
check "the run is under way before fail_function is armed" kill -0 $pid
echo 5 >$ff/probability
i=0
while [ $i -lt 3000 ] && [ "$(counter 4)" -lt 300 ]; do
	sleep 0.01
	i=$((i + 1))
done
echo 0 >$ff/probability
failed=$(counter 4)
injected=$(counter 3)
echo "fail_function: the module counted $failed failed allocations, $injected injected"
check "fail_function failed at least 300 of the module's allocations" [ "$failed" -ge 300 ]
check "the module counted them as failed, not injected" [ "$injected" -eq 0 ]
check "the run outlived the failures (calls after them ran)" kill -0 $pid
wait $pid
st=$?
cat "$ds_tmp/run.out"
line=$(grep -E "$ds_verdict_re" "$ds_tmp/run.out" | tail -n 1)
if [ -n "$line" ]; then echo "$line" >>"$ds_tmp/verdicts"; else ds_status=1; fi
[ $st -eq 0 ] || { echo "scenario: FAIL: fail-function-uring exited $st"; ds_status=1; }
check "the failures reached the run as -ENOMEM" sh -c "echo '$line' | grep -q ' ENOMEM=[1-9]'"

# 3.
echo "!ds_slab_alloc" >$ff/inject
kernel_attrs_restore
check "the target is removed" sh -c "! grep -q ds_slab_alloc $ff/inject"
step dynasync run --no-progress --path uring --ops 10000 --qd 64 --seed 22 \
	--verdict fail-function-after
verdict fail-function
