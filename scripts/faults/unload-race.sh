#!/bin/sh
# unload-race: rmmod racing the last close. 20 times: a verified io_uring
# run (2,000 calls, tickers asleep in the ring) holds the device while
# rmmod is tried in a tight loop; the module refcount must refuse every
# attempt until the run's files and ring are gone (the run still passes,
# every call completed once), the unload that then succeeds must find 0
# live allocations and no object or frame (it WARNs otherwise), and the
# module is loaded again for the next round and the next scenario.
. "$(dirname "$0")/lib/scenario.sh"

mod=/sys/module/dynasync
rounds=20
# The debug kernel loads the module and runs the calls ~10x slower.
[ -e /sys/kernel/debug/kmemleak ] && rounds=8
refused=0
raced=0
dmesg_before=$(dmesg | wc -l)
i=1
while [ $i -le $rounds ]; do
	dynasync run --no-progress --path uring --ops 2000 --qd 32 --seed $i \
		--verdict "unload-race-run$i" >"$ds_tmp/run.out" 2>&1 &
	pid=$!
	# Wait until it holds the device (refcnt 0 -> >0), then race its end.
	t=0
	while [ "$(cat $mod/refcnt 2>/dev/null || echo 0)" -eq 0 ] && kill -0 $pid 2>/dev/null &&
		[ $t -lt 500 ]; do
		t=$((t + 1))
	done
	n=0
	until rmmod dynasync 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 200000 ]; then
			echo "  FAIL: round $i: rmmod still refused after $n attempts"
			ds_status=1
			break
		fi
	done
	refused=$((refused + n))
	[ $n -gt 0 ] && raced=$((raced + 1))
	wait $pid
	st=$?
	line=$(grep -E "$ds_verdict_re" "$ds_tmp/run.out" | tail -n 1)
	if [ -n "$line" ]; then echo "$line" >>"$ds_tmp/verdicts"; else ds_status=1; fi
	[ $st -eq 0 ] || { cat "$ds_tmp/run.out"; echo "  FAIL: round $i: the run exited $st"; ds_status=1; }
	insmod /dynasync.ko || { echo "  FAIL: round $i: insmod"; ds_status=1; break; }
	i=$((i + 1))
done
# A round whose run ended before the first rmmod raced nothing: most must.
check "rmmod was refused while a run held the device in $raced of $rounds rounds ($refused refusals)" \
	[ $raced -ge $((rounds / 2)) ]
check "the module is loaded and live again" [ "$(cat $mod/initstate 2>/dev/null)" = live ]
dmesg | tail -n +$((dmesg_before + 1)) >"$ds_tmp/dmesg"
unloads=$(grep -c "dynasync: unloading: " "$ds_tmp/dmesg")
clean=$(grep -c "dynasync: unloading: 0 live allocations" "$ds_tmp/dmesg")
check "each of the $rounds unloads found 0 live allocations ($unloads unloads, $clean clean)" \
	[ "$unloads" -eq $rounds -a "$clean" -eq $rounds ]
check "no kernel warnings or reports during the unload races" \
	sh -c "! grep -E 'WARNING:|BUG:|Oops|KASAN|KFENCE|UBSAN|possible (circular|recursive)|blocked for more|kmemleak|general protection|refcount_t' '$ds_tmp/dmesg'"
verdict unload-race
