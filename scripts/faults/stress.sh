#!/bin/sh
# stress: the concurrency stress test (dynasync stress: threads and forked
# processes, several io_uring rings and blocking ioctls on shared and on
# closed-while-busy files, rings torn down and processes killed with calls
# in flight, a fault rate on some files), and while it holds the device
# open, rmmod attempts: each must be refused (the module is in use), the
# module must stay loaded and answer, and the kernel log stay clean. Then a
# run a third as long while the limits (module parameters) keep changing.
#
# Length: ds_stress_s=N on the kernel command line (VM_APPEND, e.g.
# VM_APPEND=ds_stress_s=120 make check-debug), else 30 s on a stock kernel
# and 60 s on a debug one (kmemleak present). ds_stress_sqpoll=0 leaves the
# SQPOLL ring out. A run that cannot end (a call stuck in the module keeps
# the process from exiting) dumps every task's stack (sysrq t) and fails.
. "$(dirname "$0")/lib/scenario.sh"

secs=$(sed -n 's/.*ds_stress_s=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -z "$secs" ]; then
	if [ -e /sys/kernel/debug/kmemleak ]; then secs=60; else secs=30; fi
fi
mod=/sys/module/dynasync
# Kernel reports from here on are this scenario's.
dmesg_before=$(dmesg | wc -l)

# A descriptor of our own: if the stress run ended early, a "refused"
# rmmod would still be refused, never unload the module under the other
# scenarios.
exec 9<>/dev/dynasync

sqpoll=$(sed -n 's/.*ds_stress_sqpoll=\([0-9]*\).*/\1/p' /proc/cmdline)
dynasync stress --seconds "$secs" --seed 41 --sqpoll "${sqpoll:-1}" --verdict stress-main \
	>"$ds_tmp/main.out" 2>&1 &
pid=$!
# Under way: its files are open (ours is one reference, each of its more).
i=0
while [ $i -lt 500 ] && [ "$(cat $mod/refcnt)" -lt 4 ]; do
	sleep 0.01
	i=$((i + 1))
done
check "the stress run holds the device open (refcnt $(cat $mod/refcnt))" \
	[ "$(cat $mod/refcnt)" -ge 4 ]
attempts=0
refused=0
while [ $attempts -lt 5 ] && kill -0 $pid 2>/dev/null; do
	attempts=$((attempts + 1))
	if rmmod dynasync 2>"$ds_tmp/rmmod.err"; then
		echo "  rmmod $attempts: unloaded the module while it was in use"
	elif [ -d $mod ] && [ "$(cat $mod/initstate)" = live ]; then
		refused=$((refused + 1))
		echo "  rmmod $attempts refused: $(cat "$ds_tmp/rmmod.err") (refcnt $(cat $mod/refcnt))"
	fi
	# The module answers meanwhile (a new open, VERSION through a coroutine).
	dynasync version >/dev/null 2>&1 || echo "  VERSION failed during the stress run"
	sleep 1
done
check "rmmod refused $attempts times while the device is open ($refused refused)" \
	[ $attempts -ge 3 -a $refused -eq $attempts ]
# The run ends by itself (its own watchdog fails it at secs + 2 max_call_ms
# + 30 s); a process that cannot even exit is stuck in the kernel: dump
# every task's stack to the kernel log and fail.
limit=$((secs + 2 * $(cat $mod/parameters/max_call_ms) / 1000 + 60))
t=0
while kill -0 $pid 2>/dev/null && [ $t -lt $limit ]; do
	sleep 1
	t=$((t + 1))
done
if kill -0 $pid 2>/dev/null; then
	echo "  FAIL: the stress run did not end within $limit s: task stacks in the kernel log"
	ds_status=1
	echo t >/proc/sysrq-trigger
	cat "$ds_tmp/main.out"
	kill -9 $pid
	st=1
else
	wait $pid
	st=$?
	cat "$ds_tmp/main.out"
fi
line=$(grep -E "$ds_verdict_re" "$ds_tmp/main.out" | tail -n 1)
if [ -n "$line" ]; then echo "$line" >>"$ds_tmp/verdicts"; else ds_status=1; fi
[ $st -eq 0 ] || { echo "scenario: FAIL: stress-main exited $st"; ds_status=1; }
exec 9<&-

check "the module is still loaded and live" [ "$(cat $mod/initstate 2>/dev/null)" = live ]
# The limits change under a second, shorter run: every ~20 ms one of
# max_objects, max_inflight, max_call_ms, max_file_bytes gets another valid
# value (the run restores them; so does this script, should it die).
saved=""
for p in max_objects max_inflight max_call_ms max_file_bytes; do
	saved="$saved $p=$(cat $mod/parameters/$p)"
done
step dynasync stress --seconds $((secs / 3)) --seed 43 --sqpoll 0 --churn-ms 20 \
	--verdict stress-limits
for pv in $saved; do
	echo "${pv#*=}" >"$mod/parameters/${pv%%=*}"
done
limits_back() {
	for pv in $saved; do
		[ "$(cat "$mod/parameters/${pv%%=*}")" = "${pv#*=}" ] || return 1
	done
}
check "the limits are back:$saved" limits_back
# Still working: a short verified run from scratch, no errno accepted.
step dynasync run --no-progress --path uring --ops 2000 --qd 32 --seed 42 \
	--verdict stress-after
dmesg | tail -n +$((dmesg_before + 1)) >"$ds_tmp/dmesg"
check "no kernel warnings or reports during the stress run" \
	sh -c "! grep -E 'WARNING:|BUG:|Oops|KASAN|KFENCE|UBSAN|possible (circular|recursive)|blocked for more|kmemleak|general protection|refcount_t' '$ds_tmp/dmesg'"
verdict stress
