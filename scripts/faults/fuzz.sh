#!/bin/sh
# fuzz: the ABI fuzzer (dynasync fuzz). First the module parameters and the
# debugfs fault files get random writes (each accepted or -EINVAL as
# predicted, all restored), then two processes with seeds S and S+1 send
# 1,000,000 requests between them (15,000 on the debug kernel): every
# ioctl and io_uring command, valid and mutated, each checked against the
# errno uapi/dynasync.h documents (exactly for single-field mutations).
# PASS needs 0 violations, every command exercised, nothing live
# afterwards; check-log.sh watches the kernel log. make fuzz SEED=..
# ITER=.. passes ds_fuzz_seed= and ds_fuzz_iters= on the kernel command
# line.
. "$(dirname "$0")/lib/scenario.sh"

seed=$(sed -n 's/.*ds_fuzz_seed=\([0-9]*\).*/\1/p' /proc/cmdline)
iters=$(sed -n 's/.*ds_fuzz_iters=\([0-9]*\).*/\1/p' /proc/cmdline)
# The debug kernel (KASAN, kmemleak, lockdep) under TCG runs ~130 requests/s
# against ~10,000 on the stock one: 1,000,000 would take two hours, so it
# gets a run that fits the scenario timeout (make fuzz can ask for more).
default=1000000
[ -e /sys/kernel/debug/kmemleak ] && default=15000
step dynasync fuzz --seed "${seed:-8}" --iters "${iters:-$default}" --jobs 2 --params \
	--require-all --verdict fuzz-abi
verdict fuzz
