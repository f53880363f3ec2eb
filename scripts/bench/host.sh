#!/bin/bash
# Runs the host benchmarks and writes, into OUTDIR: host.json (Google
# Benchmark's JSON), instr.json (callgrind instructions per call), host.md
# (ratio tables and targets), host-*.png.
#   scripts/bench/host.sh BINARY OUTDIR
# BENCH_REPS (default 7) repetitions, BENCH_MIN_TIME (default 0.1 s) each:
# about a minute in all on two cores. Repetitions of all cases run
# interleaved in random order, so a noisy moment spreads over every case.
set -euo pipefail
bin=$1 out=$2
reps=${BENCH_REPS:-7}
min_time=${BENCH_MIN_TIME:-0.1}
here=$(dirname "$0")
mkdir -p "$out"
"$bin" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
	--benchmark_display_aggregates_only=true \
	--benchmark_enable_random_interleaving=true \
	--benchmark_context=dynasync_repetitions="$reps" \
	--benchmark_out="$out/host.json" --benchmark_out_format=json
bash "$here/instr.sh" "$bin" "$out/instr.json"
python3 "$here/host_report.py" "$out/host.json" "$out/host.md" \
	"$out/host-calls.dat" "$out/host-nest.dat" "$out/instr.json"
gnuplot -e "dir='$out'" "$here/host.gp"
echo "bench-host: $out/host.md, $out/host-calls.png, $out/host-nesting.png"
