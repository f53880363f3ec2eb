#!/bin/bash
# Kernel style: every C source and C header (.h; C++ headers are .hpp) of the module, the uapi, the examples and the
# selftests passes the kernel's checkpatch.pl with no ERROR (warnings are
# shown, not counted). checkpatch comes from Debian's linux-source-6.1.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cp_dir=$top/build/checkpatch
tar=/usr/src/linux-source-6.1.tar.xz
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	mkdir -p "$cp_dir"
	tar -xJf "$tar" -C "$cp_dir" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch || exit 2
fi
n=0
fail=0
echo "TAP version 13"
cd "$top"
for f in $(git ls-files 'kmod/*.c' 'kmod/*.h' 'uapi/*.h' 'selftests/*.c' 'selftests/*.h' \
	'examples/*.c' 'examples/*.h'); do
	n=$((n + 1))
	out=$(perl "$cp_dir/scripts/checkpatch.pl" --no-tree --terse -f "$f" 2>&1)
	if grep -q ': ERROR:' <<< "$out"; then
		echo "not ok $n checkpatch: $f"
		grep ': ERROR:' <<< "$out" | sed 's/^/# /'
		fail=1
	else
		echo "ok $n checkpatch: $f"
		grep ': WARNING:' <<< "$out" | sed 's/^/# /'
	fi
done
echo "1..$n"
exit $fail
