#!/bin/bash
# Instructions per call, counted by callgrind (deterministic, unlike time on
# these shared machines): each case runs N and 2N batches of 64 calls under
# valgrind --tool=callgrind; the difference over N*64 calls is the cost of
# one call with every setup and teardown cancelled out.
#   scripts/bench/instr.sh BINARY OUT.json [CASE...]
# BENCH_INSTR_BATCHES (default 200) is N.
set -euo pipefail
bin=$1 out=$2
shift 2
n=${BENCH_INSTR_BATCHES:-200}
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
	cases=(virtual ready/floor ready/frame_free ready/heap hop/heap)
	for m in ready hop; do
		for s in boxed inline maybe_boxed cached task_stack reserve; do
			cases+=("$m/dyn/$s")
		done
	done
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# total instructions of one run of @case with @batches batches
count() {
	local f=$tmp/cg.out
	valgrind --tool=callgrind --callgrind-out-file="$f" "$bin" --instr "$1" "$2" \
		>"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; return 1; }
	callgrind_annotate "$f" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}
{
	echo "{"
	first=1
	for c in "${cases[@]}"; do
		a=$(count "$c" "$n")
		b=$(count "$c" $((2 * n)))
		per=$(python3 -c "print(f'{($b - $a) / ($n * 64):.1f}')")
		[ $first -eq 1 ] || echo ","
		first=0
		printf '  "%s": %s' "$c" "$per"
		echo "instr: $c $per instructions/call" >&2
	done
	echo
	echo "}"
} >"$out"
