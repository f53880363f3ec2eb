#!/bin/bash
# make bench-profile: `dynasync bench` (ready-at-once calls and NOPs at one
# queue depth, by default) under `perf record -a` in the test VM, for where
# the module's time goes. perf comes from the host's linux-perf with its
# shared libraries, in a second cpio archive appended to the initramfs
# (the kernel unpacks both). The flat profile (perf report --sort sym) is
# in build/bench/vm-profile.txt, grouped by where the time goes in
# build/bench/vm-profile.md (scripts/bench/profile_summary.py).
#   BENCH_ARGS  the bench options, colon-separated (default below)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib/install-missing.sh
. "$top/scripts/lib/install-missing.sh"
install_missing bench-profile linux-perf

out=$top/build/bench
vmout=$top/build/vm-bench-profile
stage=$top/build/initramfs-perf
mkdir -p "$out"
rm -rf "$stage"
mkdir -p "$stage/usr/bin"
perf=$(command -v perf)
cp "$perf" "$stage/usr/bin/perf"
# The binary's libraries and the dynamic loader, at their own paths.
for lib in $(ldd "$perf" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
	mkdir -p "$stage$(dirname "$lib")"
	cp -L "$lib" "$stage$lib"
done
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$stage-extra.cpio.gz"
cat "$top/build/initramfs.cpio.gz" "$stage-extra.cpio.gz" >"$top/build/initramfs-perf.cpio.gz"

args=${BENCH_ARGS:---ops:200000:--qd:64:--batch:64:--strategies:boxed,inline:--kinds:ready:--fault-percent:0:--rounds:1:--warmup:1000}
VM_APPEND="${VM_APPEND:-} clocksource=tsc tsc=reliable ds_bench_perf=1 ds_bench_args=$args" \
	VM_TIMEOUT=${VM_TIMEOUT:-900} \
	bash "$top/scripts/vm.sh" bench "$top/build/initramfs-perf.cpio.gz" "$vmout"
sed -n 's/^DYNASYNC-PERF: //p' "$vmout/results.log" | tr -d '\r' >"$out/vm-profile.txt"
echo "bench-profile: $out/vm-profile.txt ($(wc -l <"$out/vm-profile.txt") lines)"
/usr/bin/python3 "$top/scripts/bench/profile_summary.py" "$out/vm-profile.txt" "$out/vm-profile.md"
cat "$out/vm-profile.md"
