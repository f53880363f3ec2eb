#!/bin/bash
# Usage: check-log.sh CONSOLE_LOG
# Fails when a kernel log holds a splat: WARN, BUG, Oops, general protection
# fault, KASAN, KFENCE, UBSAN, lockdep or kmemleak reports, a call trace, a
# panic, a hung task or stall, or a failed rmmod. Prints one line per
# finding: "splat: KIND: LINE". Patterns match report headers, not the
# debug features' boot banners (which say "kasan:", "kmemleak:", ...).
set -uo pipefail
log=$1
[ -r "$log" ] || { echo "check-log: cannot read $log" >&2; exit 2; }

# kind<TAB>extended regex
patterns='warn	WARNING:|-+\[ cut here \]-+
bug	kernel BUG at|(^|[^A-Za-z_])BUG: 
oops	(^|[^A-Za-z])Oops(:| )
gpf	general protection fault
kasan	KASAN:
kfence	KFENCE:
ubsan	UBSAN:
lockdep	possible (circular|recursive) locking|inconsistent lock state|lock held when returning to user|DEBUG_LOCKS_WARN_ON|suspicious RCU usage|possible irq lock inversion|lockdep: (BUG|WARNING)
kmemleak	unreferenced object 0x|kmemleak: [0-9]+ new suspected memory leaks
calltrace	Call Trace:|Call trace:
panic	Kernel panic
hang	INFO: task .* blocked for more than|soft lockup|hard LOCKUP|rcu_.* detected stalls
rmmod	dynasync-vm: rmmod failed'

found=0
while IFS=$'\t' read -r kind re; do
	hits=$(grep -aE -- "$re" "$log" | head -n 5)
	if [ -n "$hits" ]; then
		found=1
		while IFS= read -r line; do
			echo "splat: $kind: $line"
		done <<< "$hits"
	fi
done <<< "$patterns"
exit $found
