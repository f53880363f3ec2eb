#!/bin/bash
# make run: boot the test VM, insmod, run the demo workload, and print a
# short summary. Full logs stay in build/vm-run.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/vm-run
bash "$top/scripts/vm.sh" run "$top/build/initramfs.cpio.gz" "$out"
rc=$?
echo
echo "== dynasync demo (in the test VM)"
grep -avE '^(TAP version|DYNASYNC-VM-EXIT)' "$out/results.log" | sed 's/^# //; s/^/  /'
if [ $rc -eq 0 ]; then
	echo "== result: OK (kernel log clean; logs in build/vm-run)"
else
	echo "== result: FAILED (see build/vm-run/console.log and results.log)"
fi
exit $rc
