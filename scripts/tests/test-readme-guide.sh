#!/bin/bash
# The README's guide code is exactly the code the host tests compile
# (userspace/tests/guide_test.cpp between GUIDE-BEGIN and GUIDE-END), and
# its Kbuild lines of "Using the runtime in your module" are exactly the
# example module's Kbuild (examples/ramreader/Kbuild), which make check builds.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
echo "TAP version 13"
want=$(sed -n '/^\/\/ GUIDE-BEGIN$/,/^\/\/ GUIDE-END$/p' "$top/userspace/tests/guide_test.cpp" | sed '1d;$d')
have=$(sed -n '/^<!-- GUIDE-BEGIN -->$/,/^<!-- GUIDE-END -->$/p' "$top/README.md" | sed '1,2d;$d' | sed '$d')
if [ -n "$want" ] && [ "$want" = "$have" ]; then
	echo "ok 1 readme: guide code matches userspace/tests/guide_test.cpp"
else
	echo "not ok 1 readme: guide code matches userspace/tests/guide_test.cpp"
	diff <(echo "$want") <(echo "$have") | sed 's/^/# /' | head -20
	fail=1
fi
want=$(cat "$top/examples/ramreader/Kbuild")
have=$(sed -n '/^<!-- KBUILD-BEGIN -->$/,/^<!-- KBUILD-END -->$/p' "$top/README.md" | sed '1,2d;$d' | sed '$d')
if [ -n "$want" ] && [ "$want" = "$have" ]; then
	echo "ok 2 readme: the Kbuild lines match examples/ramreader/Kbuild"
else
	echo "not ok 2 readme: the Kbuild lines match examples/ramreader/Kbuild"
	diff <(echo "$want") <(echo "$have") | sed 's/^/# /' | head -20
	fail=1
fi
echo "1..2"
exit $fail
