#!/bin/bash
# Host test: the module build refuses what can never work in a module.
# Builds a scratch copy of the module with one extra C++ file each time:
#  - a throwing operator new      -> modpost error (left undefined on purpose)
#  - a global constructor         -> refused by check-no-ctors.sh
#  - a pure virtual class         -> builds (the project defines __cxa_pure_virtual)
# and checks check-build-log.sh on sample warning lines. Prints TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${KDIR:-/lib/modules/$(cat "${DS_CACHE:-/var/cache/dynasync}/krel")/build}
work=$top/build/guard-tree
n=0
fail=0
echo "TAP version 13"

result() { # result OK NAME DETAIL
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n build-guard: $2"
	else
		echo "not ok $n build-guard: $2"
		printf '%s\n' "$3" | sed 's/^/# /' | tail -n 15
		fail=1
	fi
}

# build_with NAME SOURCE: prints the build output; returns make's status.
build_with() {
	rm -rf "$work"
	mkdir -p "$work/kmod/guard"
	cp -r "$top/Kbuild" "$top/kmod" "$top/uapi" "$top/scripts" "$work/"
	mkdir -p "$work/kmod/guard"
	printf '%s\n' "$2" > "$work/kmod/guard/$1.cpp"
	make -C "$kdir" M="$work" DS_EXTRA_CXX="kmod/guard/$1.o" modules 2>&1
}

out=$(build_with throwing_new '#include <cstddef>
int *make_int() { return new int(42); }')
rc=$?
ok=0
[ $rc -ne 0 ] && grep -q 'ERROR: modpost: "_Znwm"' <<< "$out" && ok=1
result $ok "throwing operator new fails at modpost" "$out"

out=$(build_with global_ctor '#include "rt/platform.h"
struct Counter { long n; Counter() : n(ds_live_allocations()) {} };
Counter counter;
long read_counter() { return counter.n; }')
rc=$?
ok=0
[ $rc -ne 0 ] && grep -q 'has global constructor/destructor sections: .init_array' <<< "$out" && ok=1
result $ok "global constructor is refused" "$out"

out=$(build_with pure_virtual 'struct Shape { virtual int area() const = 0; };
struct Square final : Shape { int s = 2; int area() const override { return s * s; } };
int square_area() { Square q; const Shape &r = q; return r.area(); }')
rc=$?
ok=0
[ $rc -eq 0 ] && ! grep -qiE 'warning|error' <<< "$out" && ok=1
result $ok "abstract classes build without warnings" "$out"
rm -rf "$work"

check_log() { # check_log EXPECTED_RC LINE
	local f=$top/build/guard-build.log
	mkdir -p "$top/build"
	printf '%s\n' "$2" > "$f"
	bash "$top/scripts/check-build-log.sh" "$f" >/dev/null 2>&1
	[ $? -eq "$1" ] && echo 1 || echo 0
}
result "$(check_log 1 'kmod/ops/x.o: warning: objtool: foo() falls through to next function bar()')" \
	"objtool warning fails the build log check" ""
result "$(check_log 1 'WARNING: modpost: missing MODULE_LICENSE() in dynasync.o')" \
	"modpost warning fails the build log check" ""
result "$(check_log 0 '  CXX [M]  kmod/rt/storage.o
Skipping BTF generation for dynasync.ko due to unavailability of vmlinux')" \
	"a clean build log passes" ""
rm -f "$top/build/guard-build.log"
echo "1..$n"
exit $fail
