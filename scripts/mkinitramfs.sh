#!/bin/bash
# Usage: mkinitramfs.sh OUT.cpio.gz
# A busybox initramfs with the module, the selftests (also laid out for
# the kernel's run_kselftest.sh), the harness, the example modules and
# their selftests (examples/), the fault scenarios (scripts/faults/) and
# the in-VM script (scripts/vm-init.sh as /init).
set -euo pipefail
out=$1
top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
stage=$b/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,selftests,scripts}
cp /bin/busybox "$stage/bin/busybox"
install -m 0755 "$top/scripts/vm-init.sh" "$stage/init"
cp "$top/dynasync.ko" "$stage/"
# The kselftest programs selftests/Makefile lists (lib.mk's emit_tests),
# not whatever else build/selftests holds (the helper object, programs of
# older builds).
progs=$(make -s --no-print-directory -C "$top/selftests" OUTPUT="$b/selftests" \
	KSFT_DIR="$b/ksft" COLLECTION=dynasync emit_tests)
[ -n "$progs" ] || { echo "mkinitramfs: selftests/Makefile lists no program" >&2; exit 1; }
for t in $progs; do
	cp "$b/selftests/${t#dynasync:}" "$stage/selftests/"
done
# The same programs as the kernel's run_kselftest.sh finds them after
# "make -C tools/testing/selftests install" (/kselftest: the runner, the
# list, dynasync/ with settings and the programs), for the VM's mode
# kselftest.
mkdir -p "$stage/kselftest/kselftest" "$stage/kselftest/dynasync"
install -m 0755 "$b/ksft/run_kselftest.sh" "$stage/kselftest/"
install -m 0755 "$b/ksft/kselftest/runner.sh" "$stage/kselftest/kselftest/"
printf '%s\n' $progs >"$stage/kselftest/kselftest-list.txt"
install -m 0644 "$top/selftests/settings" "$stage/kselftest/dynasync/"
for t in $progs; do
	ln -s "/selftests/${t#dynasync:}" "$stage/kselftest/dynasync/${t#dynasync:}"
done
cp "$b/dynasync" "$stage/bin/dynasync"
# Example modules on the runtime (examples/NAME): /examples/NAME.ko and
# their selftests /examples/NAME_test, run by vm-init.sh next to dynasync.
mkdir -p "$stage/examples"
for t in "$b"/examples/*_test; do
	[ -e "$t" ] || continue
	name=${t##*/}
	name=${name%_test}
	cp "$top/examples/$name/$name.ko" "$t" "$stage/examples/"
done
# In-VM scenario scripts, when there are any.
for f in "$top"/scripts/vm/*.sh; do
	[ -e "$f" ] && install -m 0755 "$f" "$stage/scripts/"
done
# Fault-injection scenarios: /scripts/faults/NAME.sh, each runnable alone
# (sh /scripts/faults/storm.sh), and the library they source.
mkdir -p "$stage/scripts/faults/lib"
for f in "$top"/scripts/faults/*.sh; do
	[ -e "$f" ] && install -m 0755 "$f" "$stage/scripts/faults/"
done
for f in "$top"/scripts/faults/lib/*.sh; do
	[ -e "$f" ] && install -m 0644 "$f" "$stage/scripts/faults/lib/"
done
(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
