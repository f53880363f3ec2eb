# Sourced by the scenario scripts in scripts/faults/ (busybox sh).
#
# A scenario is one or more harness invocations ("steps"), each ending with
# a verdict line
#   NAME: PASS|FAIL ops=N injected=N ok=N <ERRNO>=N ... lost=N duplicated=N leaked=N
# and the scenario prints ONE such line of its own, the steps' counts
# summed, PASS only if every step passed and exited 0.
#
#   step COMMAND...   run one step; its output is shown, its verdict kept
#   verdict NAME      print the scenario's line; returns its exit status
#   fault_global FIELD=VALUE ...   arm the module-wide policy (debugfs), mode last
#   fault_global_off               disarm it and zero its fields

ds_fault_dir=/sys/kernel/debug/dynasync/fault
ds_tmp=${TMPDIR:-/tmp}/ds-scenario.$$
mkdir -p "$ds_tmp"
: >"$ds_tmp/verdicts"
ds_status=0

# A verdict line: "name: PASS" or "name: FAIL", then key=value counts.
ds_verdict_re='^[A-Za-z0-9_.+-]+: (PASS|FAIL)( |$)'

step() {
	"$@" >"$ds_tmp/out" 2>&1
	st=$?
	cat "$ds_tmp/out"
	line=$(grep -E "$ds_verdict_re" "$ds_tmp/out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "scenario: FAIL: no verdict line from: $*"
		ds_status=1
	else
		echo "$line" >>"$ds_tmp/verdicts"
	fi
	if [ $st -ne 0 ]; then
		echo "scenario: FAIL: exit status $st from: $*"
		ds_status=1
	fi
	return $st
}

# check WHAT COMMAND...: a shell-level assertion of the scenario; a failure
# fails the verdict.
check() {
	what=$1
	shift
	if "$@"; then
		echo "  ok: $what"
	else
		echo "  FAIL: $what"
		ds_status=1
	fi
}

verdict() {
	awk -v name="$1" -v status="$ds_status" '
	{
		if ($2 != "PASS")
			status = 1
		for (i = 3; i <= NF; i++) {
			eq = index($i, "=")
			if (!eq)
				continue
			k = substr($i, 1, eq - 1)
			if (!(k in sum))
				order[n++] = k
			sum[k] += substr($i, eq + 1) + 0
		}
		steps++
	}
	END {
		if (!steps)
			status = 1
		if (sum["lost"] || sum["duplicated"] || sum["leaked"] || sum["violations"])
			status = 1
		line = name ": " (status ? "FAIL" : "PASS")
		# ops and injected first, lost/duplicated/leaked last, outcomes between.
		split("ops injected", first, " ")
		for (j = 1; j <= 2; j++)
			line = line " " first[j] "=" sum[first[j]] + 0
		for (j = 0; j < n; j++) {
			k = order[j]
			if (k != "ops" && k != "injected" && k != "lost" && k != "duplicated" &&
			    k != "leaked" && k != "violations")
				line = line " " k "=" sum[k]
		}
		split("lost duplicated leaked", last, " ")
		for (j = 1; j <= 3; j++)
			line = line " " last[j] "=" sum[last[j]] + 0
		if (sum["violations"])
			line = line " violations=" sum["violations"]
		print line
		exit status
	}' "$ds_tmp/verdicts"
	st=$?
	rm -rf "$ds_tmp"
	return $st
}

fault_global() {
	echo 0 >"$ds_fault_dir/mode" || return 1
	mode=
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		if [ "$k" = mode ]; then
			mode=$v
		else
			echo "$v" >"$ds_fault_dir/$k" || return 1
		fi
	done
	echo "${mode:-2}" >"$ds_fault_dir/mode"
}

fault_global_off() {
	echo 0 >"$ds_fault_dir/mode" || return 1
	for f in sites strategies trait method nth probability interval times space seed; do
		echo 0 >"$ds_fault_dir/$f" || return 1
	done
}

# fault_state KEY: a number from the global policy's state file.
fault_state() {
	sed -n "s/^$1 //p" "$ds_fault_dir/state"
}

# The kernel's own fault injection (debug kernels: CONFIG_FAULT_INJECTION).
ds_dbg=/sys/kernel/debug

# kernel_faults_available ATTR...: true when /proc/self/fail-nth and each
# <debugfs>/ATTR exist; else prints why.
kernel_faults_available() {
	if [ ! -e /proc/self/fail-nth ]; then
		echo "no /proc/self/fail-nth: this kernel has no CONFIG_FAULT_INJECTION"
		return 1
	fi
	for a in "$@"; do
		if [ ! -d "$ds_dbg/$a" ]; then
			echo "no $ds_dbg/$a: this kernel lacks it"
			return 1
		fi
	done
	return 0
}

# kernel_attr ATTR FIELD=VALUE ...: sets <debugfs>/ATTR/FIELD, remembering
# the old value for kernel_attrs_restore (the next scenario starts from the
# kernel's defaults).
kernel_attr() {
	a=$1
	shift
	for kv in "$@"; do
		f=$ds_dbg/$a/${kv%%=*}
		echo "$f $(cat "$f")" >>"$ds_tmp/kernel_attrs"
		echo "${kv#*=}" >"$f" || { echo "cannot set $f to ${kv#*=}"; return 1; }
	done
}

# Restores what kernel_attr changed, newest first.
kernel_attrs_restore() {
	[ -e "$ds_tmp/kernel_attrs" ] || return 0
	sed '1!G;h;$!d' "$ds_tmp/kernel_attrs" | while read -r f v; do
		echo "$v" >"$f"
	done
	rm -f "$ds_tmp/kernel_attrs"
}
