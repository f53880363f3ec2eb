#!/bin/bash
# Usage: vm.sh MODE INITRD OUTDIR
# Boots the test VM (QEMU, TCG unless VM_KVM=1) with the initramfs, which
# runs scripts/vm-init.sh in MODE (check|run|faults|selftests|kselftest|bench); VM_SCENARIO=NAME[,NAME]
# runs only those fault scenarios (scripts/faults/NAME.sh; modes check and faults).
# Saves console.log (kernel) and results.log (test output) in OUTDIR. Fails
# on a nonzero in-VM status, a missing exit marker (crash, hang, timeout)
# or any kernel splat.
set -euo pipefail
mode=$1
initrd=$2
out=$3
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=${VM_KERNEL:-/var/cache/dynasync/vmlinuz}
timeout_s=${VM_TIMEOUT:-900}
mem=${VM_MEM:-1024}
extra_append=${VM_APPEND:-}
[ -n "${VM_SCENARIO:-}" ] && extra_append="$extra_append ds_scenario=$VM_SCENARIO"
# Mode selftests: VM_SELFTEST=NAME[,NAME] runs only /selftests/NAME.
[ -n "${VM_SELFTEST:-}" ] && extra_append="$extra_append ds_selftest=$VM_SELFTEST"

[ -r "$kernel" ] || { echo "vm: no kernel image at $kernel (run scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out/console.log" "$out/results.log"
accel=(-accel tcg)
[ "${VM_KVM:-0}" = 1 ] && accel=(-enable-kvm -cpu host)

start=$(date +%s)
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 "${accel[@]}" -m "$mem" -smp 2 \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=4 panic=-1 ds_mode=$mode $extra_append" \
	-display none -monitor none -nic none -no-reboot \
	-serial "file:$out/console.log" -serial "file:$out/results.log"
qrc=$?
set -e
secs=$(( $(date +%s) - start ))

status=0
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	echo "vm: TIMEOUT after ${timeout_s}s" >&2
	status=1
elif [ $qrc -ne 0 ]; then
	echo "vm: qemu exited with $qrc" >&2
	status=1
fi
vmrc=$(sed -n 's/^DYNASYNC-VM-EXIT: \([0-9]*\).*/\1/p' "$out/console.log" | tail -n 1)
if [ -z "$vmrc" ]; then
	echo "vm: no exit status from the VM (crashed or hung): see $out/console.log" >&2
	status=1
elif [ "$vmrc" != 0 ]; then
	echo "vm: in-VM tests failed (status $vmrc): see $out/results.log" >&2
	status=1
fi
if ! bash "$top/scripts/check-log.sh" "$out/console.log"; then
	echo "vm: kernel log has splats: see $out/console.log" >&2
	status=1
fi
echo "vm: $mode finished in ${secs}s; logs: $out/console.log $out/results.log" >&2
exit $status
