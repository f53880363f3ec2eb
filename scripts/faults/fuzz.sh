#!/bin/sh
# fuzz: the ABI fuzzer (dynasync fuzz). First the module parameters and the
# debugfs fault files get random writes (each accepted or -EINVAL as
# predicted, all restored), then two processes with seeds S and S+1 send
# 1,000,000 requests between them (250,000 on the debug kernel): every ioctl and io_uring command, valid
# and mutated, each checked against the errno uapi/dynasync.h documents
# (exactly for single-field mutations). PASS needs 0 violations, every
# command exercised, nothing live afterwards; check-log.sh watches the
# kernel log. make fuzz SEED=.. ITER=.. passes ds_fuzz_seed= and
# ds_fuzz_iters= on the kernel command line.
# scenario-timeout: 1200
. "$(dirname "$0")/lib/scenario.sh"

seed=$(sed -n 's/.*ds_fuzz_seed=\([0-9]*\).*/\1/p' /proc/cmdline)
iters=$(sed -n 's/.*ds_fuzz_iters=\([0-9]*\).*/\1/p' /proc/cmdline)
# The debug kernel (KASAN, kmemleak, lockdep) under TCG pays a stack walk
# for every slab allocation and free: a valid SUM over thousands of items
# took seconds there. Its run caps a SUM's items x adaptor depth at 64
# (--max-work; edge values such as n = ~0 stay), which brings it from ~1,300
# to ~4,000 requests/s: 1,000,000 take about five minutes. make check's
# debug run sends 250,000 (about a minute and a quarter): the stock kernels
# send 1,000,000 each, with the same seeds, so the debug kernel's sanitizers
# see every command and mutation kind without a third full campaign
# (make fuzz / ds_fuzz_iters= for a longer one).
work=0
def_iters=1000000
if [ -e /sys/kernel/debug/kmemleak ]; then
	work=64
	def_iters=250000
fi
log_before=$(dmesg | wc -l)
step dynasync fuzz --seed "${seed:-8}" --iters "${iters:-$def_iters}" --jobs 2 --params \
	--max-work "$work" --require-all --progress --verdict fuzz-abi
# Nothing userspace sends may write to the kernel log (a flood of lines is
# a denial of service of its own, and slows everything under TCG).
dmesg | tail -n +$((log_before + 1)) >"$ds_tmp/dmesg"
check "the fuzz run wrote $(wc -l <"$ds_tmp/dmesg") lines to the kernel log (0 allowed)" \
	[ ! -s "$ds_tmp/dmesg" ]
head -n 5 "$ds_tmp/dmesg"
verdict fuzz
