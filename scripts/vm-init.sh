#!/bin/busybox sh
# /init of the test VM. Kernel messages go to the console (ttyS0); test
# output goes to ttyS1 so the two never interleave. The mode comes from the
# kernel command line (ds_mode=check|run|faults|bench|selftests|kselftest); ds_scenario=NAME[,NAME...]
# limits the fault scenarios (modes check and faults) to
# /scripts/faults/NAME.sh; ds_bench_args=--ops:4000:--qd:1,8 are `dynasync
# bench`'s options (colons for spaces) in mode bench. Mode selftests runs
# the selftests alone; ds_selftest=NAME[,NAME...] limits them to
# /selftests/NAME (e.g. dynasync_trace_test) or an example module
# (/examples/NAME.ko, e.g. ramreader). Mode check runs the examples after
# dynasync's selftests. Mode kselftest runs the selftests through the
# kernel's run_kselftest.sh (/kselftest, see mkinitramfs.sh).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# The tracepoints' selftest (dynasync_trace_test) needs tracefs.
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

mode=$(sed -n 's/.*ds_mode=\([a-z-]*\).*/\1/p' /proc/cmdline)
only=$(sed -n 's/.*ds_scenario=\([A-Za-z0-9_.,-]*\).*/\1/p' /proc/cmdline)
# ds_scenario_timeout=SECONDS (make fuzz: longer campaigns).
t=$(sed -n 's/.*ds_scenario_timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
[ -n "$t" ] && DS_SCENARIO_TIMEOUT=$t
exec >/dev/ttyS1 2>&1

rc=0
n=0
# check NAME COMMAND...: one counted TAP line for a VM-level step.
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n vm: $name"
	else
		echo "not ok $n vm: $name"
		rc=1
	fi
}

# commented COMMAND...: runs it with its output as TAP comments ("# ..."),
# keeping its exit status (busybox sh has no pipefail).
commented() {
	"$@" >/tmp/commented.out 2>&1
	st=$?
	sed 's/^/# /' /tmp/commented.out
	return $st
}

# selftest PATH: one kselftest program; its TAP lines count as they are
# (kselftest_harness.h's "ok N name" per test), then a comment with its
# exit status and time (selftests/settings' timeout covers the slowest).
selftest() {
	echo "# selftest: $1"
	t0=$(date +%s)
	"$1"
	st=$?
	echo "# selftest: $1: exit status $st in $(($(date +%s) - t0)) s"
	[ "$st" -eq 0 ] || rc=1
}

kmemleak=/sys/kernel/debug/kmemleak

# Debug kernels: leaks suspected before the module was loaded (boot code's)
# are not ours. kmemleak only reports objects older than 5 s, so wait for
# that age, scan, and mark every suspect so far as seen.
kmemleak_baseline() {
	while [ "$(cut -d. -f1 /proc/uptime)" -lt 7 ]; do
		sleep 1
	done
	echo scan >$kmemleak && echo clear >$kmemleak
}

# After rmmod: two scans (the second sees objects the first found too
# young), then the report must be empty. Any report also goes to the
# console, where the host's log checker fails the run on it.
kmemleak_empty() {
	echo scan >$kmemleak || return 1
	sleep 6
	echo scan >$kmemleak || return 1
	cat $kmemleak >/tmp/kmemleak.out
	[ -s /tmp/kmemleak.out ] || return 0
	sed 's/^/# /' /tmp/kmemleak.out
	cat /tmp/kmemleak.out >/dev/console
	return 1
}

params=/sys/module/dynasync/parameters
fault=/sys/kernel/debug/dynasync/fault

# The module's parameters as loaded, restored after every scenario.
save_params() {
	for p in "$params"/*; do
		[ -w "$p" ] && echo "${p##*/} $(cat "$p")"
	done >/tmp/params.saved
}

# Between scenarios: the module-wide fault policy off (mode first, then
# its fields and counters zeroed) and the module parameters as loaded.
reset_state() {
	if [ -d "$fault" ]; then
		echo 0 >"$fault/mode"
		for f in sites strategies trait method nth probability interval times space seed \
			counters; do
			echo 0 >"$fault/$f"
		done
	fi
	while read -r name value; do
		echo "$value" >"$params/$name"
	done </tmp/params.saved
}

# The scenarios to run: ds_scenario's, or all of /scripts/faults, the
# nth-sweep first, then the others by name.
scenario_list() {
	if [ -n "$only" ]; then
		echo "$only" | tr ',' ' '
		return
	fi
	[ -e /scripts/faults/nth-sweep.sh ] && echo nth-sweep
	for f in /scripts/faults/*.sh; do
		name=${f##*/}
		name=${name%.sh}
		[ -e "$f" ] && [ "$name" != nth-sweep ] && echo "$name"
	done
}

# scenario NAME: one TAP line named by the scenario's verdict line
# ("NAME: PASS ops=... lost=0 duplicated=0 leaked=0") and its time; its
# output as TAP comments. A scenario that does not finish within
# DS_SCENARIO_TIMEOUT seconds (else its own "# scenario-timeout: N" line,
# else 300) is killed and fails.
scenario() {
	name=$1
	t0=$(date +%s)
	if [ -e "/scripts/faults/$name.sh" ]; then
		limit=${DS_SCENARIO_TIMEOUT:-$(sed -n 's/^# scenario-timeout: \([0-9]*\)$/\1/p' \
			"/scripts/faults/$name.sh")}
		timeout -s KILL "${limit:-300}" sh "/scripts/faults/$name.sh" \
			>/tmp/scenario.out 2>&1
		st=$?
	else
		echo "no scenario /scripts/faults/$name.sh" >/tmp/scenario.out
		st=1
	fi
	secs=$(($(date +%s) - t0))
	sed 's/^/# /' /tmp/scenario.out
	line=$(grep -E "^$name: (PASS|FAIL|SKIP)( |\$)" /tmp/scenario.out | tail -n 1)
	n=$((n + 1))
	case "$line" in
	"$name: SKIP"*)
		# Needs what this kernel lacks (e.g. its fault injection).
		echo "ok $n vm: scenario $name # SKIP ${line#"$name: SKIP "}"
		reset_state
		return
		;;
	esac
	if [ -z "$line" ]; then
		line="$name: FAIL (no verdict line)"
		st=1
	fi
	case "$line" in
	"$name: PASS"*) ;;
	*) [ "$st" -eq 0 ] && st=1 ;;
	esac
	if [ "$st" -eq 0 ]; then
		echo "ok $n vm: scenario $line (${secs}s)"
	else
		echo "not ok $n vm: scenario $line (${secs}s, exit status $st)"
		rc=1
	fi
	reset_state
}

# example NAME: an example module on the runtime (examples/NAME), loaded
# next to dynasync: insmod, its selftest, rmmod, and its exit's report of
# 0 live allocations (its platform layer's own count).
example() {
	check "example $1: insmod /examples/$1.ko (dynasync loaded too)" insmod "/examples/$1.ko" ||
		return
	selftest "/examples/$1_test"
	check "example $1: rmmod" rmmod "$1"
	check "example $1: unload reports 0 live allocations" \
		sh -c "dmesg | grep '$1: unloading: ' | tail -n 1 | grep -q ': 0 live allocations'"
}

examples() {
	for ko in /examples/*.ko; do
		[ -e "$ko" ] || continue
		name=${ko##*/}
		example "${name%.ko}"
	done
}

run_scenarios() {
	save_params
	reset_state
	for s in $(scenario_list); do
		scenario "$s"
	done
}

echo "# dynasync VM: mode=$mode kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "TAP version 13"
if [ -e $kmemleak ]; then
	check "kmemleak: baseline before insmod (boot's suspects cleared)" kmemleak_baseline
fi
check "insmod dynasync.ko" insmod /dynasync.ko
if [ $rc -eq 0 ]; then
	case "$mode" in
	check)
		for t in /selftests/*; do
			selftest "$t"
		done
		examples
		check "harness: version" dynasync version
		# The harness's verified workload: every object kind x every
		# storage strategy, every method, each completion checked against
		# its model, exactly-once, STATS and zero live allocations after.
		check "harness: run: 100000 calls through io_uring, queue depth 64, all strategies" \
			commented dynasync run --ops 100000 --qd 64 --batch 16 --path uring
		check "harness: run: 10000 calls through blocking ioctls" \
			commented dynasync run --ops 10000 --path ioctl
		# Deadlines: every call capped at 1 ms (max_call_ms) while tickers
		# sleep 0.9 ms per item, so many calls are cancelled: each must
		# still complete once, a timed-out NEXT must not advance (later
		# items show it), and nothing may leak.
		p=/sys/module/dynasync/parameters/max_call_ms
		old_cap=$(cat $p)
		echo 1 >$p
		check "harness: run: 20000 io_uring calls under a 1 ms deadline cap (-ETIMEDOUT)" \
			commented dynasync run --ops 20000 --ticker-period-ns 900000 \
			--require-errno ETIMEDOUT
		echo "$old_cap" >$p
		# The benchmark's smoke test: every measurement runs and every
		# completion is right (no timing is asserted).
		check "harness: bench --quick: every measurement ran, every completion right" \
			commented dynasync bench --quick --out /tmp/bench.json
		# The fault-injection scenarios (scripts/faults/*.sh).
		run_scenarios
		;;
	faults)
		run_scenarios
		;;
	selftests)
		sel=$(sed -n 's/.*ds_selftest=\([A-Za-z0-9_,-]*\).*/\1/p' /proc/cmdline | tr ',' ' ')
		[ -n "$sel" ] || sel=$(cd /selftests && echo *)
		for t in $sel; do
			if [ -e "/examples/$t.ko" ]; then
				example "$t"
				continue
			fi
			selftest "/selftests/$t"
		done
		;;
	kselftest)
		# The selftests through the kernel's own runner, as after
		# "make -C tools/testing/selftests TARGETS=dynasync install":
		# one TAP line per program ("ok N selftests: dynasync: NAME"),
		# each program's own TAP indented as comments. The runner exits
		# 0 either way: a "not ok" line fails the mode. Through a pipe,
		# not a file: the runner appends the programs' output to
		# /dev/stdout, which would reopen a file at its own offset.
		# devtmpfs has no /dev/std* links (udev makes them elsewhere).
		[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
		[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
		[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
		{
			/kselftest/run_kselftest.sh 2>&1
			echo $? >/tmp/kselftest.st
		} | tee /tmp/kselftest.out
		[ "$(cat /tmp/kselftest.st)" = 0 ] || rc=1
		grep -q '^not ok ' /tmp/kselftest.out && rc=1
		grep -q '^ok ' /tmp/kselftest.out || rc=1
		;;
	bench)
		# The JSON goes to this serial line, each line prefixed, for
		# scripts/bench/vm.sh to extract; per-measurement lines as comments.
		args=$(sed -n 's/.*ds_bench_args=\([A-Za-z0-9_.,:-]*\).*/\1/p' /proc/cmdline |
			tr ':' ' ')
		# shellcheck disable=SC2086 # $args: one word per option
		if grep -q ds_bench_perf=1 /proc/cmdline && [ -x /usr/bin/perf ]; then
			# scripts/bench/profile-vm.sh: the same under a sampling
			# profile of both vCPUs; the report goes to this line too.
			check "bench: dynasync bench $args under perf record" \
				commented /usr/bin/perf record -a -F 2000 -e cpu-clock -o /tmp/perf.data \
				dynasync bench $args --out /tmp/bench.json
			/usr/bin/perf report -i /tmp/perf.data --stdio --no-children --sort dso,sym \
				2>&1 | head -n 300 | sed 's/^/DYNASYNC-PERF: /'
		else
			check "bench: dynasync bench $args (every completion checked)" \
				commented dynasync bench $args --out /tmp/bench.json
		fi
		[ -e /tmp/bench.json ] && sed 's/^/DYNASYNC-BENCH-JSON: /' /tmp/bench.json
		;;
	run)
		echo "# demo: the module answers VERSION through a coroutine"
		dynasync version || rc=1
		echo "# demo: 100000 verified calls through io_uring (every object kind x storage strategy)"
		dynasync run --ops 100000 --qd 64 --batch 16 --path uring || rc=1
		;;
	*)
		echo "# unknown ds_mode '$mode'"
		rc=1
		;;
	esac
	check "rmmod dynasync" rmmod dynasync || echo "dynasync-vm: rmmod failed" >/dev/console
	# The last unload's line (scenario unload-race unloads more often).
	check "unload reports 0 live allocations" \
		sh -c 'dmesg | grep "dynasync: unloading: " | tail -n 1 | grep -q ": 0 live allocations"'
	if [ -e $kmemleak ]; then
		check "kmemleak: no unreferenced objects after rmmod (scan, 6 s, scan)" \
			kmemleak_empty
	fi
fi
# The console keeps only err-level messages: replay the whole kernel log
# there so the host's splat checker sees every WARN and report.
{
	echo "=== dynasync-vm: kernel log ==="
	dmesg
	echo "=== dynasync-vm: end of kernel log ==="
	echo "DYNASYNC-VM-EXIT: $rc"
} >/dev/console
echo "DYNASYNC-VM-EXIT: $rc"
sync
poweroff -f
