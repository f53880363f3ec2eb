#!/bin/bash
# The runtime's compile-time refusals, each proved both ways: every
# scripts/tests/compile-fail/NAME.cpp compiles cleanly as it is, and fails
# with -DDS_BAD (the one mistake it shows), the compiler's message matching
# its "// expect: REGEX" line (the refusal names what is wrong). Prints TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cxx=${CXX:-g++}
flags=(-std=gnu++20 -fsyntax-only -fno-exceptions -fno-rtti -Wall -Wextra -Werror
	-I"$top/kmod" -I"$top" -I"$top/userspace/host")
n=0
fail=0
echo "TAP version 13"
for src in "$top"/scripts/tests/compile-fail/*.cpp; do
	name=$(basename "$src" .cpp)
	want=$(sed -n 's|^// expect: ||p' "$src")
	n=$((n + 1))
	if out=$("$cxx" "${flags[@]}" "$src" 2>&1); then
		echo "ok $n compile-fail: $name compiles as written"
	else
		echo "not ok $n compile-fail: $name compiles as written"
		sed 's/^/# /' <<< "$out" | head -10
		fail=1
	fi
	n=$((n + 1))
	if out=$("$cxx" "${flags[@]}" -DDS_BAD "$src" 2>&1); then
		echo "not ok $n compile-fail: $name with DS_BAD is refused (it compiled)"
		fail=1
	elif [ -n "$want" ] && grep -qE -- "$want" <<< "$out"; then
		echo "ok $n compile-fail: $name with DS_BAD is refused: $want"
	else
		echo "not ok $n compile-fail: $name with DS_BAD is refused, saying /$want/"
		sed 's/^/# /' <<< "$out" | grep -E 'error' | head -5
		fail=1
	fi
done
echo "1..$n"
exit $fail
