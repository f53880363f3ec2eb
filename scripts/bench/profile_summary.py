#!/usr/bin/python3
# Usage: profile_summary.py VM-PROFILE.TXT OUT.MD
# Groups the flat `perf report --sort dso,sym` of scripts/bench/profile-vm.sh
# into where a call's time goes: the module's own code, the slab allocator
# (and init_on_alloc's zeroing), io_uring, user copies, locks and
# interrupts, the harness; idle samples (the other vCPU) are left out.
import re
import sys

# First match wins: (category, regex on the symbol).
CATEGORIES = [
    ("idle (other vCPU)", r"native_safe_halt|default_idle|cpuidle|do_idle"),
    ("harness (userspace)", r"^\[\.\]"),
    ("dynasync: allocation hook (fault injection, counters)", r"ds_kmalloc|ds_alloc|ds_free|"
     r"ds_fault_should_fail|stats_on_alloc|stats_on_free"),
    ("slab: kmalloc/kfree", r"kmem_cache|kmalloc|kfree|slab|memcg|should_failslab|"
                            r"obj_cgroup|__slab"),
    ("memset (init_on_alloc zeroing, value-init)", r"\bmemset\b"),
    ("dynasync: coroutines and tasks", r"_ZN2ds8RootTask|Counter4next|Frame\.actor|_ZN2ds5Boxed|"
                                       r"_ZN2ds6Inline|TaskStack|_ZN2ds.*Future|_ZN2ds8TaskBase"),
    ("dynasync: call glue and bookkeeping", r"\bds_|_ZN2ds|_ZThn"),
    ("handle lookup (xarray)", r"\bxa_|xas_"),
    ("io_uring core", r"\bio_|__io_|io_uring|fget|fput|security_uring_cmd|"
                      r"task_work|tctx"),
    ("user copies", r"copy_user|clear_user|_copy_to_user|_copy_from_user|"
                    r"do_user_addr_fault|handle_mm_fault|exc_page_fault"),
    ("locks, irq, softirq, timers", r"spin|irq|softirq|hrtimer|rcu|lock"),
    ("syscall entry/exit", r"entry_SYSCALL|syscall|do_syscall|__x64_sys|"
                           r"exit_to_user|static_call|indirect_thunk|"
                           r"__static_call_text_end"),
]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: profile_summary.py VM-PROFILE.TXT OUT.MD")
    rows = []
    for line in open(sys.argv[1]):
        m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+(\[[k.]\])\s+(\S+)", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3), m.group(4)))
    totals = {}
    tops = {}
    for pct, dso, kind, sym in rows:
        key = "%s %s" % (kind, sym)
        cat = "other kernel"
        for name, rx in CATEGORIES:
            if re.search(rx, key):
                cat = name
                break
        totals[cat] = totals.get(cat, 0.0) + pct
        tops.setdefault(cat, []).append((pct, sym))
    busy = sum(v for k, v in totals.items() if not k.startswith("idle"))
    out = ["# Where a ready-at-once URING_CMD call's time goes (perf in the VM)\n\n",
           "Samples of `perf record -a -e cpu-clock` over both vCPUs while `dynasync bench` "
           "ran ready-at-once NEXT calls at queue depth 64, batch 64 (see "
           "scripts/bench/profile-vm.sh); shares of the non-idle samples, grouped by "
           "symbol. Under TCG an instruction's cost is the emulator's, so the shares are a "
           "guide, not a native profile.\n\n",
           "| where | share of busy samples | top symbols |\n|---|---:|---|\n"]
    for cat, v in sorted(totals.items(), key=lambda kv: -kv[1]):
        if cat.startswith("idle"):
            continue
        top = ", ".join("%s %.1f%%" % (s[:48], 100 * p / busy)
                        for p, s in sorted(tops[cat], reverse=True)[:4])
        out.append("| %s | %.1f%% | %s |\n" % (cat, 100 * v / busy, top))
    with open(sys.argv[2], "w") as f:
        f.write("".join(out))


if __name__ == "__main__":
    main()
