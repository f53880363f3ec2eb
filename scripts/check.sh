#!/bin/bash
# make check: every test, host first, then the VM, then the VM on the debug
# kernel. Each step's full output
# is in build/logs/STEP.log; TAP and GoogleTest results are counted, and a
# step that dies without reporting counts as a failure. Ends with one line:
#   N passed, N failed, N skipped
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=$top/build/logs
mkdir -p "$logs"
make=${MAKE:-make}
passed=0
failed=0
skipped=0
t0=$(date +%s)

# count_tap LOG: add TAP results (ok / not ok / # SKIP) to the totals.
count_tap() {
	local p f s
	p=$(grep -aE '^ok [0-9]+ ' "$1" | grep -vc '# SKIP')
	s=$(grep -aE '^ok [0-9]+ .*# SKIP' "$1" | wc -l)
	f=$(grep -acE '^not ok [0-9]+ ' "$1")
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	echo "  $p passed, $f failed, $s skipped"
	grep -aE '^not ok [0-9]+ ' "$1" | sed 's/^/  FAIL: /'
}

# count_gtest LOG: per-test result lines carry a duration.
count_gtest() {
	local p f s
	p=$(grep -acE '^\[       OK \] .* \([0-9]+ ms\)$' "$1")
	f=$(grep -acE '^\[  FAILED  \] .* \([0-9]+ ms\)$' "$1")
	s=$(grep -acE '^\[  SKIPPED \] .* \([0-9]+ ms\)$' "$1")
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	echo "  $p passed, $f failed, $s skipped"
	grep -aE '^\[  FAILED  \] .* \([0-9]+ ms\)$' "$1" | sed 's/^/  FAIL: /'
}

# step NAME COMMAND...: run, log, and count the step itself as one result
# only when it fails (a crash, a build error) so nothing fails silently.
step_rc=0
step() {
	local name=$1
	shift
	echo "== $name"
	"$@" > "$logs/$name.log" 2>&1
	step_rc=$?
	if [ $step_rc -ne 0 ]; then
		echo "  step '$name' exited $step_rc (log: build/logs/$name.log)"
		tail -n 20 "$logs/$name.log" | sed 's/^/  | /'
	fi
	return $step_rc
}
step_failed() { failed=$((failed + 1)); }

# The kernels of the stock VM steps: Debian 12's 6.1 (linux-headers-amd64)
# and 6.12 LTS, both fetched by deps.sh (make check's prerequisite).
cache=${DS_CACHE:-/var/cache/dynasync}
kdir_61=/lib/modules/$(cat "$cache/krel" 2>/dev/null)/build
kdir_612=$(cat "$cache/kdir-6.12" 2>/dev/null)

# 1. The module builds with no compiler, objtool, modpost or pahole warning,
#    against each kernel.
for k in 6.1 6.12; do
	if [ $k = 6.1 ]; then kd=$kdir_61; name=module; else kd=$kdir_612; name=module-6.12; fi
	if step $name $make module KDIR="$kd"; then
		passed=$((passed + 1)); echo "  ok: module builds warning-free against $k ($kd)"
	else
		step_failed
	fi
done

# 2. Host unit tests of the C++ runtime (ASan + UBSan).
if step host-build $make host-tests; then
	ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=1 \
		step host-tests "$top/build/host-tests"
	rc=$step_rc
	count_gtest "$logs/host-tests.log"
	# A crash leaves fewer result lines than tests: count it.
	if [ $rc -ne 0 ] && ! grep -qE '^\[  FAILED  \] .* \([0-9]+ ms\)$' "$logs/host-tests.log"; then
		step_failed
	fi
else
	step_failed
fi

# 3. Host tests of the scripts (splat detector, build guards) and kernel style.
for t in check-log build-guards checkpatch readme-guide compile-fail; do
	step "$t" bash "scripts/tests/test-$t.sh"
	rc=$step_rc
	count_tap "$logs/$t.log"
	grep -qE '^1\.\.[0-9]+' "$logs/$t.log" || step_failed
done

# 3b. Installing like any out-of-tree module, for 6.1 and 6.12, into
#    temporary trees only (never the host's /lib/modules, never loaded):
#    make install INSTALL_MOD_PATH=TMP and dkms add/build/install with
#    --dkmstree/--sourcetree/--installtree in TMP, modinfo of each module.
t_install=$(date +%s)
step install bash scripts/tests/test-install.sh
count_tap "$logs/install.log"
grep -qE '^1\.\.[0-9]+' "$logs/install.log" || step_failed
echo "  install: $(( $(date +%s) - t_install ))s (make install and DKMS, both kernels)"

# 4. Selftests, harness and fault scenarios in the VM on each stock kernel
#    (6.1, then Debian's 6.12 image, extracted by deps.sh, never installed),
#    splat check included. vm_step NAME KDIR VMLINUZ OUT.
vm_step() {
	local name=$1 kd=$2 kernel=$3 out=$4 rc t1
	t1=$(date +%s)
	if step $name-build $make initramfs KDIR="$kd"; then
		VM_KERNEL=$kernel step $name bash scripts/vm.sh check "$top/build/initramfs.cpio.gz" "$out"
		rc=$step_rc
		sed -n 's/^# dynasync VM: \(.*\)/  \1/p' "$out/results.log" 2>/dev/null | head -n 1
		count_tap "$out/results.log"
		# The fault scenarios' verdicts: ops, injected failures, outcomes per
		# errno, lost / duplicated / leaked, and each one's time in the VM.
		grep -aE '^(not )?ok [0-9]+ vm: scenario ' "$out/results.log" |
			sed -E 's/^(not ok|ok) [0-9]+ vm: scenario /  \1: /'
		grep -E '^vm: ' "$logs/$name.log" | sed 's/^/  /'
		if bash scripts/check-log.sh "$out/console.log" > "$logs/$name-splats.log"; then
			passed=$((passed + 1)); echo "  ok: kernel log free of splats"
		else
			failed=$((failed + 1)); echo "  FAIL: kernel log has splats:"; sed 's/^/  | /' "$logs/$name-splats.log"
		fi
		# No exit marker, timeout, qemu failure: the counted lines are not the whole story.
		grep -q '^DYNASYNC-VM-EXIT: 0' "$out/console.log" 2>/dev/null || step_failed
	else
		step_failed
	fi
	echo "  $name: $(( $(date +%s) - t1 ))s (build and VM)"
}
vm_step vm "$kdir_61" "$cache/vmlinuz" "$top/build/vm-check"
vm_step vm-6.12 "$kdir_612" "$cache/vmlinuz-6.12" "$top/build/vm-check-6.12"

# 5. Everything of step 4 again on the debug kernel (KASAN, KFENCE, kmemleak,
#    lockdep, UBSAN; built from linux-source-6.1 on first use, then cached),
#    plus the kernel's own fail-nth and fail_function scenarios there, the
#    kmemleak scans after rmmod, and the splat check. DS_CHECK_DEBUG=0 skips
#    it (counted as skipped, so a short run says what it left out).
if [ "${DS_CHECK_DEBUG:-1}" = 0 ]; then
	echo "== vm-debug"
	echo "  skipped: DS_CHECK_DEBUG=0 (make check-debug runs it alone)"
	skipped=$((skipped + 1))
else
	t_debug=$(date +%s)
	step vm-debug $make check-debug
	rc=$step_rc
	res=$top/build/vm-debug/results.log
	if [ -e "$res" ]; then
		count_tap "$res"
		grep -aE '^(not )?ok [0-9]+ vm: (scenario|kmemleak)' "$res" |
			sed -E 's/^(not ok|ok) [0-9]+ vm: /  \1: /'
	fi
	grep -E '^(vm|debug-kernel): ' "$logs/vm-debug.log" | sed 's/^/  /'
	if [ -e "$top/build/vm-debug/console.log" ] &&
	   bash scripts/check-log.sh "$top/build/vm-debug/console.log" > "$logs/vm-debug-splats.log"; then
		passed=$((passed + 1)); echo "  ok: debug kernel log free of KASAN/KFENCE/UBSAN/lockdep/kmemleak reports and splats"
	else
		failed=$((failed + 1)); echo "  FAIL: debug kernel log has splats (or no log):"
		sed 's/^/  | /' "$logs/vm-debug-splats.log" 2>/dev/null
	fi
	grep -q '^DYNASYNC-VM-EXIT: 0' "$top/build/vm-debug/console.log" 2>/dev/null || step_failed
	[ $rc -eq 0 ] || [ -e "$res" ] || step_failed
	echo "  vm-debug: $(( $(date +%s) - t_debug ))s (debug kernel build included when not cached)"
fi

echo "check: $(( $(date +%s) - t0 ))s; logs in build/logs, VM logs in build/vm-check, build/vm-check-6.12, build/vm-debug"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
