#!/bin/bash
# make faults / make fault SCENARIO=NAME[,NAME...]: boots the test VM in mode
# "faults" (every scenario of scripts/faults/, or VM_SCENARIO's only) and
# prints one line per scenario: its verdict (ops, injected failures,
# outcomes per errno, lost / duplicated / leaked) and its time. Logs in
# build/vm-faults/{console.log,results.log} (each scenario's whole output
# is in results.log as TAP comments).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/vm-faults
for s in $(echo "${VM_SCENARIO:-}" | tr ',' ' '); do
	if [ ! -e "$top/scripts/faults/$s.sh" ]; then
		echo "no scenario '$s'; there are:" \
			$(cd "$top/scripts/faults" && ls *.sh | sed 's/\.sh$//') >&2
		exit 2
	fi
done
t0=$(date +%s)
bash "$top/scripts/vm.sh" faults "$top/build/initramfs.cpio.gz" "$out"
rc=$?
echo "== fault scenarios (in the test VM${VM_SCENARIO:+: $VM_SCENARIO only})"
grep -aE '^(not )?ok [0-9]+ vm: ' "$out/results.log" 2>/dev/null | sed 's/^/  /'
failed=$(grep -acE '^not ok [0-9]+ ' "$out/results.log" 2>/dev/null)
echo "== $([ $rc -eq 0 ] && echo OK || echo FAILED) in $(($(date +%s) - t0))s;" \
	"${failed:-?} failed; logs: $out/results.log, $out/console.log"
exit $rc
