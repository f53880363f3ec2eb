#!/bin/bash
# make bench: joins the host and VM reports into OUTDIR/REPORT.md, with the
# machine it ran on (the ratios are meaningful, the absolute numbers are
# this machine's and its load's).
#   scripts/bench/report.sh OUTDIR
set -euo pipefail
out=$1
for f in host.md vm.md; do
	[ -s "$out/$f" ] || { echo "bench: no $out/$f (did bench-host / bench-vm run?)" >&2; exit 1; }
done
{
	echo "# dynasync benchmarks"
	echo
	echo "Measured $(date -u +%FT%TZ) on $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)),"
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Plots: host-*.png, vm-*.png."
	echo
	sed 's/^#/##/' "$out/host.md"
	echo
	sed 's/^#/##/' "$out/vm.md"
} >"$out/REPORT.md"
echo "bench: $out/REPORT.md"
ls "$out"/*.png | sed 's/^/bench: plot /'
