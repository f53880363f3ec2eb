#!/bin/bash
# Host test of check-log.sh: the clean sample passes; every other sample
# fails and is reported as its own kind (the file name up to the first '-'
# or '.'). Prints TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
checker=$here/../check-log.sh
n=0
fail=0
echo "TAP version 13"
for log in "$here"/logs/*.log; do
	name=$(basename "$log")
	kind=${name%%[-.]*}
	n=$((n + 1))
	out=$(bash "$checker" "$log")
	rc=$?
	if [ "$kind" = clean ]; then
		if [ $rc -eq 0 ] && [ -z "$out" ]; then
			echo "ok $n check-log: $name passes"
		else
			echo "not ok $n check-log: $name passes (rc=$rc: $out)"
			fail=1
		fi
	elif [ $rc -eq 1 ] && grep -q "^splat: $kind: " <<< "$out"; then
		echo "ok $n check-log: $name fails as $kind"
	else
		echo "not ok $n check-log: $name fails as $kind (rc=$rc: $out)"
		fail=1
	fi
done
# A missing log is an error, not a pass.
n=$((n + 1))
if bash "$checker" "$here/logs/does-not-exist.log" 2>/dev/null; then
	echo "not ok $n check-log: missing log is an error"
	fail=1
else
	echo "ok $n check-log: missing log is an error"
fi
echo "1..$n"
exit $fail
