#!/bin/bash
# make bench-vm: the VM part of the benchmarks. Boots the test VM (stock
# Debian kernel, QEMU TCG) in mode bench, where `dynasync bench` measures
# io_uring URING_CMD calls against IORING_OP_NOP and one ioctl per call;
# extracts its JSON from the results serial line into build/bench/vm.json
# and writes build/bench/vm.md (ratios to the baselines) and
# build/bench/vm-*.png (gnuplot).
#   BENCH_OPS          measured operations per NOP / ready-at-once measurement
#   BENCH_SUSPEND_OPS  ... per suspending measurement
#   BENCH_ARGS         more `dynasync bench` options, colon-separated
#                      (e.g. --strategies:boxed,inline:--qd:1,64)
# Expects build/initramfs.cpio.gz (make initramfs).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib/install-missing.sh
. "$top/scripts/lib/install-missing.sh"
install_missing bench gnuplot-nox python3

ops=${BENCH_OPS:-30000}
sops=${BENCH_SUSPEND_OPS:-6000}
out=$top/build/bench
vmout=$top/build/vm-bench
mkdir -p "$out"
rm -f "$out"/vm.json "$out"/vm.md "$out"/vm-*.png "$out"/vm-*.dat
echo "bench-vm: $ops measured operations per NOP / refused / ready-at-once measurement," \
	"$sops per suspending one, in 10 interleaved rounds, each after $((ops / 10)) warm-up operations"
args="--ops:$ops:--suspend-ops:$sops${BENCH_ARGS:+:$BENCH_ARGS}"
# TCG's default clocksource (hpet) makes every clock read a system call
# and an emulated MMIO access, which would weigh on the cheapest
# operations the benchmark compares: use the TSC (vDSO) instead.
t0=$(date +%s)
VM_APPEND="${VM_APPEND:-} clocksource=tsc tsc=reliable ds_bench_args=$args" \
	VM_TIMEOUT=${VM_TIMEOUT:-900} \
	bash "$top/scripts/vm.sh" bench "$top/build/initramfs.cpio.gz" "$vmout"
sed -n 's/^DYNASYNC-BENCH-JSON: //p' "$vmout/results.log" | tr -d '\r' >"$out/vm.json"
/usr/bin/python3 "$top/scripts/bench/vm_report.py" "$out/vm.json" "$out"
gnuplot -e "dir='$out'" "$top/scripts/bench/vm_plots.gp"
sed -n '/^## Targets/,/^## Ready/p' "$out/vm.md" | sed '$d'
echo "bench-vm: done in $(($(date +%s) - t0))s: $out/vm.json, $out/vm.md, $out/vm-*.png"
