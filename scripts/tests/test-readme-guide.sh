#!/bin/bash
# The README's guide code is exactly the code the host tests compile
# (userspace/tests/guide_test.cpp between GUIDE-BEGIN and GUIDE-END).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
want=$(sed -n '/^\/\/ GUIDE-BEGIN$/,/^\/\/ GUIDE-END$/p' "$top/userspace/tests/guide_test.cpp" | sed '1d;$d')
have=$(sed -n '/^<!-- GUIDE-BEGIN -->$/,/^<!-- GUIDE-END -->$/p' "$top/README.md" | sed '1,2d;$d' | sed '$d')
echo "TAP version 13"
if [ -n "$want" ] && [ "$want" = "$have" ]; then
	echo "ok 1 readme: guide code matches userspace/tests/guide_test.cpp"
else
	echo "not ok 1 readme: guide code matches userspace/tests/guide_test.cpp"
	diff <(echo "$want") <(echo "$have") | sed 's/^/# /' | head -20
fi
echo "1..1"
[ -n "$want" ] && [ "$want" = "$have" ]
