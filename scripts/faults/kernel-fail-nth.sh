#!/bin/sh
# Scenario kernel-fail-nth (debug kernels; SKIP elsewhere): the kernel's own
# fail-nth under KASAN and kmemleak. For each strategy x call shape x path,
# each op of the shape in a fresh run is made with /proc/thread-self/fail-nth
# = n, n = 1 .. its fault points + 1: every fault point the op passes in the
# submitting thread fails once (the module's allocations at fail_dynasync's
# point and at the slab's, io_uring's and the xarray's, kmemleak's own, the
# completion's task work). Each op must complete exactly once with the right
# value or a clean -ENOMEM/-EAGAIN and no side effect, and the module's
# accounting must be back to zero after each run (kmemleak is read at the
# end of the VM run). failslab and fail_page_alloc see sleeping allocations
# too (ignore-gfp-wait N), never fail at random (probability 0) and stay
# quiet (verbose 0: a report has a call trace, a splat to the log checker).
#  1. failslab only (fail_page_alloc's min-order above every order): the
#     fault points are then the same from run to run, so the sweep also
#     checks coverage: every module allocation of every op was failed at
#     fail_dynasync's point once and at the slab's once.
#  2. fail_page_alloc too, order 0 up (slab refills, kmalloc_large, stack
#     depot): the points shift with the slabs' state, so outcomes and leaks
#     only (--slab-points 0); the flat and nested shapes.
# Extra arguments go to both sweeps.
. "$(dirname "$0")/lib/scenario.sh"

if ! why=$(kernel_faults_available failslab fail_page_alloc); then
	echo "kernel-fail-nth: SKIP ($why)"
	exit 0
fi
mode=$ds_fault_dir/mode
if [ "$(cat $mode)" != "0" ]; then
	echo "the module-wide fault policy is armed (mode $(cat $mode)); it must be off"
	ds_status=1
fi
# fail_dynasync (the module's fault_attr) keeps its defaults: probability
# 0, verbose 0; fail-nth reaches it regardless.
ok=1
kernel_attr failslab probability=0 verbose=0 task-filter=Y ignore-gfp-wait=N || ok=0
kernel_attr fail_page_alloc probability=0 verbose=0 task-filter=Y ignore-gfp-wait=N \
	min-order=11 || ok=0
[ $ok = 1 ] || ds_status=1
[ $ds_status = 0 ] && step dynasync sweep --kernel-fail-nth "$@"
if [ $ds_status = 0 ] && kernel_attr fail_page_alloc min-order=0; then
	step dynasync sweep --kernel-fail-nth --slab-points 0 --shapes flat,nested "$@"
fi
kernel_attrs_restore
verdict kernel-fail-nth
