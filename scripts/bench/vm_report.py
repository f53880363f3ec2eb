#!/usr/bin/python3
# Usage: vm_report.py VM.JSON OUTDIR
# `dynasync bench`'s JSON (from the VM) -> OUTDIR/vm.md, a markdown table
# of ratios against the baselines measured in the same run, and the data
# files scripts/bench/vm_plots.gp draws (OUTDIR/vm-*.dat).
# Python 3 standard library only (Debian's python3).
import json
import os
import sys

STRATEGIES = ["boxed", "inline", "maybe-boxed", "cached", "task-stack", "reserve"]
# The targets (benchmarks, not test assertions).
TARGET_NOP_RATIO = 0.8     # ready-at-once URING_CMD vs NOP, queue depth 64
TARGET_BATCH_RATIO = 3.0   # io_uring batching vs one ioctl per call
TARGET_REFUSED_RATIO = 1.5  # ready URING_CMD cost vs a refused one (-EINVAL), qd 64


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if not doc.get("status", {}).get("ok"):
        sys.exit("vm_report: the bench run failed: %s" % doc.get("status"))
    return doc


class Results:
    def __init__(self, doc):
        self.meta = doc["meta"]
        self.recs = doc["results"]
        self.strategies = [s for s in STRATEGIES
                           if any(r["strategy"] == s for r in self.recs)]
        self.combos = sorted({(r["qd"], r["batch"]) for r in self.recs
                              if r["path"] == "uring_nop"})

    def get(self, path, kind="nop", strategy="-", qd=1, batch=1, fault=0):
        for r in self.recs:
            if (r["path"], r["kind"], r["strategy"], r["qd"], r["batch"],
                    r["fault_percent"]) == (path, kind, strategy, qd, batch, fault):
                return r
        return None

    def rate(self, *a, **k):
        r = self.get(*a, **k)
        return r["ops_per_s"] if r else None


def p50_cost(rec):
    """Per-operation cost in ns from the median latency, for qd == batch:
    a whole batch is submitted and reaped at once, so its median latency
    is one batch's service time. Robust against the host's stalls, which
    weigh on the mean (ops/s) and on p99 but rarely on the median."""
    if not rec or rec["qd"] != rec["batch"]:
        return None
    return rec["p50_ns"] / rec["qd"]


def fmt_rate(v):
    if v is None:
        return "-"
    return "%.0fk" % (v / 1e3) if v >= 1e4 else "%.0f" % v


def fmt_ratio(a, b):
    if a is None or not b:
        return "-"
    return "%.2fx" % (a / b)


def fmt_us(ns):
    return "%.1f" % (ns / 1e3)


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def report(res):
    m = res.meta
    S = res.strategies
    qd_max = max(q for q, _ in res.combos)
    best_b = max(b for q, b in res.combos if q == qd_max)
    md = []
    md.append("# VM benchmark: dyn async calls through io_uring\n\n")
    md.append("`dynasync bench` in the test VM (kernel %s, %d vCPUs, QEMU TCG, clocksource %s). "
              "%d measured operations per measurement (%d for suspending calls) after %d "
              "warm-up operations, in %d rounds that interleave all measurements (so a change of "
              "the host's load weighs on all alike; ops/s is the median round's, latency "
              "percentiles are over all rounds); suspending calls sleep %d ns on an hrtimer; failure runs "
              "inject allocation failures at %d%% (RATE policy on every site). Every completion "
              "was checked (item values, errnos). TCG emulates the CPU: absolute numbers are "
              "far below native ones; read the ratios, measured in the same run.\n\n"
              % (m["kernel"], m["cpus"], m["clocksource"], m["ops"], m["suspend_ops"],
                 m["warmup"], m.get("rounds", 1), m["ticker_period_ns"], m["fault_percent"]))

    # Targets first.
    md.append("## Targets\n\n")
    rows = []
    for s in S:
        nop = res.rate("uring_nop", qd=qd_max, batch=best_b)
        rdy = res.rate("uring_cmd", "ready", s, qd_max, best_b)
        ratio = rdy / nop if rdy and nop else 0
        best_uring = max((res.rate("uring_cmd", "ready", s, q, b) or 0) for q, b in res.combos)
        ioc = res.rate("ioctl", "ready", s)
        bratio = best_uring / ioc if ioc else 0
        # The same from median latencies (qd = batch), robust against stalls.
        c_nop = p50_cost(res.get("uring_nop", qd=qd_max, batch=best_b))
        c_rdy = p50_cost(res.get("uring_cmd", "ready", s, qd_max, best_b))
        c_ioc = p50_cost(res.get("ioctl", "ready", s))
        p_ratio = c_nop / c_rdy if c_nop and c_rdy else 0
        p_bratio = c_ioc / c_rdy if c_ioc and c_rdy else 0
        rows.append([s, "%.2fx %s" % (ratio, "met" if ratio >= TARGET_NOP_RATIO else "MISSED"),
                     "%.2fx" % p_ratio,
                     "%.2fx %s" % (bratio, "met" if bratio >= TARGET_BATCH_RATIO else "MISSED"),
                     "%.2fx" % p_bratio])
    md.append(table(["strategy",
                     "ready URING_CMD / NOP, qd %d / b %d, ops/s (target >= %.1fx)"
                     % (qd_max, best_b, TARGET_NOP_RATIO),
                     "same, from p50",
                     "best io_uring ready / one ioctl per call, ops/s (target >= %.0fx)"
                     % TARGET_BATCH_RATIO,
                     "qd %d / b %d vs ioctl, from p50" % (qd_max, best_b)], rows))
    md.append("\n\"from p50\": per-call cost = median latency / batch (qd = batch), which "
              "stalls of a loaded host hardly move; ops/s includes them.\n")

    # The kernel call path's floor: a URING_CMD the module refuses at its
    # first check (-EINVAL) pays io_uring's command path and the module's
    # entry; a ready call should add little to it.
    md.append("\nA ready call's cost against the refused-URING_CMD floor (cost = 1e9 / ops/s, "
              "and p50 / batch), qd %d / batch %d, same run (target <= %.1fx):\n\n"
              % (qd_max, best_b, TARGET_REFUSED_RATIO))
    rows = []
    inv_rate = res.rate("uring_cmd", "invalid", "-", qd_max, best_b)
    inv_p50 = p50_cost(res.get("uring_cmd", "invalid", "-", qd_max, best_b))
    for s in S:
        rdy_rate = res.rate("uring_cmd", "ready", s, qd_max, best_b)
        rdy_p50 = p50_cost(res.get("uring_cmd", "ready", s, qd_max, best_b))
        sus_rate = res.rate("uring_cmd", "suspend", s, qd_max, best_b)
        r_rate = inv_rate / rdy_rate if inv_rate and rdy_rate else None
        r_p50 = rdy_p50 / inv_p50 if inv_p50 and rdy_p50 else None

        def verdict(r):
            if r is None:
                return "-"
            return "%.2fx %s" % (r, "met" if r <= TARGET_REFUSED_RATIO else "MISSED")
        rows.append([s, "%.0f" % (1e9 / rdy_rate) if rdy_rate else "-",
                     "%.0f" % (1e9 / inv_rate) if inv_rate else "-",
                     verdict(r_rate),
                     "%.0f" % rdy_p50 if rdy_p50 else "-",
                     "%.0f" % inv_p50 if inv_p50 else "-",
                     verdict(r_p50),
                     "%.0f" % (1e9 / sus_rate) if sus_rate else "-"])
    md.append(table(["strategy", "ready ns/op", "refused ns/op", "ready / refused, ops/s",
                     "ready p50 ns/op", "refused p50 ns/op", "ready / refused, p50",
                     "suspending ns/op"], rows))

    md.append("\n## Ready-at-once URING_CMD (NEXT on a COUNTER) vs IORING_OP_NOP\n\n")
    md.append("ops/s of NOP on the same ring, and each strategy's ops/s as a ratio to it.\n\n")
    rows = []
    for q, b in res.combos:
        nop = res.rate("uring_nop", qd=q, batch=b)
        rows.append(["qd %d / batch %d" % (q, b), fmt_rate(nop)] +
                    [fmt_ratio(res.rate("uring_cmd", "ready", s, q, b), nop) for s in S])
    md.append(table(["", "NOP ops/s"] + S, rows))

    md.append("\n## Where the time goes: cost per operation (ns, from ops/s)\n\n")
    md.append("1e9 / ops/s of each kind of operation. Each column adds a step to the one before: "
              "NOP is the ring alone; *invalid* is a URING_CMD the module refuses at its first "
              "check (-EINVAL), so it adds io_uring's command path (file reference, command "
              "copy, LSM hook) and the module's entry; *no-object* (-ENOENT) adds the output "
              "pointer's clear_user and the handle lookup; *ready* is a whole NEXT call "
              "(borrow the object, set up the call's bookkeeping in it, run the coroutine, "
              "write the output, free). The ioctl row is the same through one system call "
              "per operation.\n\n")
    rows = []

    def ns(v):
        return "%.0f" % (1e9 / v) if v else "-"
    for q, b in res.combos:
        rows.append(["io_uring qd %d / b %d" % (q, b), ns(res.rate("uring_nop", qd=q, batch=b)),
                     ns(res.rate("uring_cmd", "invalid", "-", q, b)),
                     ns(res.rate("uring_cmd", "no-object", "-", q, b))] +
                    [ns(res.rate("uring_cmd", "ready", s, q, b)) for s in S])
    rows.append(["ioctl", "-", ns(res.rate("ioctl", "invalid")),
                 ns(res.rate("ioctl", "no-object"))] +
                [ns(res.rate("ioctl", "ready", s)) for s in S])
    md.append(table(["", "NOP", "invalid", "no-object"] + ["ready " + s for s in S], rows))

    md.append("\nThe same from median latencies (p50 / batch, qd = batch; ns per operation), "
              "robust against the host's stalls:\n\n")
    rows = []
    diag = [(q, b) for q, b in res.combos if q == b]

    def pc(rec):
        c = p50_cost(rec)
        return "%.0f" % c if c else "-"
    for q, b in diag:
        rows.append(["io_uring qd %d / b %d" % (q, b), pc(res.get("uring_nop", qd=q, batch=b)),
                     pc(res.get("uring_cmd", "invalid", "-", q, b)),
                     pc(res.get("uring_cmd", "no-object", "-", q, b))] +
                    [pc(res.get("uring_cmd", "ready", s, q, b)) for s in S])
    rows.append(["ioctl", "-", pc(res.get("ioctl", "invalid")), pc(res.get("ioctl", "no-object"))] +
                [pc(res.get("ioctl", "ready", s)) for s in S])
    md.append(table(["", "NOP", "invalid", "no-object"] + ["ready " + s for s in S], rows))

    md.append("\n## io_uring vs one blocking ioctl per call\n\n")
    md.append("ops/s of one DYNASYNC_IOC_CALL per call, and io_uring's (qd / batch) as a "
              "ratio to it, for ready-at-once and suspending calls.\n\n")
    rows = []
    for kind in ("ready", "suspend"):
        for s in S:
            ioc = res.rate("ioctl", kind, s)
            rows.append(["%s %s" % (kind, s), fmt_rate(ioc)] +
                        [fmt_ratio(res.rate("uring_cmd", kind, s, q, b), ioc)
                         for q, b in res.combos])
    md.append(table(["", "ioctl ops/s"] + ["qd %d / b %d" % c for c in res.combos], rows))

    md.append("\n## Latency, submit to completion (us)\n\n")
    md.append("p50 / p99 per call. At a queue depth above 1 a call waits behind the "
              "others in flight, so latency grows with the depth while throughput rises.\n\n")
    cols = [(1, 1), (qd_max, 1), (qd_max, best_b)]
    cols = [c for c in cols if c in res.combos]
    rows = []
    r = [res.get("uring_nop", qd=q, batch=b) for q, b in cols]
    rows.append(["NOP", "-"] + ["%s / %s" % (fmt_us(x["p50_ns"]), fmt_us(x["p99_ns"])) for x in r])
    for kind in ("ready", "suspend"):
        for s in S:
            cells = []
            for q, b in cols:
                x = res.get("uring_cmd", kind, s, q, b)
                cells.append("%s / %s" % (fmt_us(x["p50_ns"]), fmt_us(x["p99_ns"])) if x else "-")
            x = res.get("ioctl", kind, s)
            cells.append("%s / %s" % (fmt_us(x["p50_ns"]), fmt_us(x["p99_ns"])) if x else "-")
            rows.append([kind, s] + cells)
    # The NOP row has no ioctl cell.
    rows[0].append("-")
    md.append(table(["", "strategy"] + ["io_uring qd %d / b %d" % c for c in cols] + ["ioctl"],
                    rows))

    fp = m["fault_percent"]
    if fp:
        md.append("\n## With %d%% injected allocation failures vs clean\n\n" % fp)
        md.append("Ready-at-once calls; ops/s with failures as a ratio to the clean run, "
                  "and the share of calls that got -ENOMEM (a call makes one to three "
                  "allocations; RESERVE's pool absorbs injected failures).\n\n")
        rows = []
        for s in S:
            for path, q, b in (("uring_cmd", qd_max, best_b), ("ioctl", 1, 1)):
                clean = res.get(path, "ready", s, q, b)
                bad = res.get(path, "ready", s, q, b, fp)
                if not clean or not bad:
                    continue
                enomem = bad["errnos"].get("ENOMEM", 0)
                rows.append([s, path if path == "ioctl" else "%s qd %d / b %d" % (path, q, b),
                             fmt_rate(clean["ops_per_s"]), fmt_rate(bad["ops_per_s"]),
                             fmt_ratio(bad["ops_per_s"], clean["ops_per_s"]),
                             "%s / %s" % (fmt_us(clean["p50_ns"]), fmt_us(bad["p50_ns"])),
                             fmt_ratio(clean["p50_ns"], bad["p50_ns"]),
                             "%.1f%%" % (100.0 * enomem / bad["ops"])])
        md.append(table(["strategy", "path", "clean ops/s", "failing ops/s", "ratio",
                         "p50 us clean / failing", "ratio from p50", "-ENOMEM"], rows))

    md.append("\n## Plots\n\n")
    md.append("![ops/s by queue depth](vm-ops-by-qd.png)\n\n")
    md.append("![latency by queue depth](vm-latency.png)\n\n")
    md.append("![ops/s per strategy](vm-strategies.png)\n\n")
    md.append("![cost per operation from median latency](vm-cost.png)\n\n")

    md.append("\n## Every measurement\n\n")
    rows = []
    for x in res.recs:
        errs = " ".join("%s=%d" % kv for kv in sorted(x["errnos"].items())) or "-"
        rows.append([x["name"], x["ops"], fmt_rate(x["ops_per_s"]), fmt_us(x["p50_ns"]),
                     fmt_us(x["p99_ns"]), errs])
    md.append(table(["measurement", "ops", "ops/s", "p50 us", "p99 us", "errnos"], rows))
    return "".join(md)


def plot_data(res, outdir):
    """Whitespace-separated columns for gnuplot; '?' is a missing value."""
    S = res.strategies
    pick = [s for s in ("boxed", "inline", "task-stack") if s in S] or S[:1]
    # Batch = qd (the best batching each depth allows, up to the largest).
    qds = sorted({q for q, _ in res.combos})
    diag = [(q, max(b for qq, b in res.combos if qq == q)) for q in qds]

    def v(x, key="ops_per_s"):
        return "?" if x is None else "%g" % x[key]

    with open(os.path.join(outdir, "vm-by-qd.dat"), "w") as f:
        f.write("# qd batch nop " + " ".join("ready_" + s for s in pick) + " " +
                " ".join("suspend_" + s for s in pick) + " ioctl_ready_%s ioctl_suspend_%s\n"
                % (pick[0], pick[0]))
        for q, b in diag:
            cells = [str(q), str(b), v(res.get("uring_nop", qd=q, batch=b))]
            cells += [v(res.get("uring_cmd", "ready", s, q, b)) for s in pick]
            cells += [v(res.get("uring_cmd", "suspend", s, q, b)) for s in pick]
            cells += [v(res.get("ioctl", "ready", pick[0])), v(res.get("ioctl", "suspend", pick[0]))]
            f.write(" ".join(cells) + "\n")
    with open(os.path.join(outdir, "vm-latency.dat"), "w") as f:
        f.write("# qd batch nop_p50 nop_p99 ready_p50 ready_p99 suspend_p50 suspend_p99 "
                "(strategy %s; ns)\n" % pick[0])
        for q, b in diag:
            cells = [str(q), str(b)]
            for x in (res.get("uring_nop", qd=q, batch=b),
                      res.get("uring_cmd", "ready", pick[0], q, b),
                      res.get("uring_cmd", "suspend", pick[0], q, b)):
                cells += [v(x, "p50_ns"), v(x, "p99_ns")]
            f.write(" ".join(cells) + "\n")
    qd_max, best_b = diag[-1]
    fp = res.meta["fault_percent"]
    with open(os.path.join(outdir, "vm-strategies.dat"), "w") as f:
        f.write("# strategy ready suspend ready_fault ioctl_ready ioctl_suspend "
                "(io_uring at qd %d / batch %d)\n" % (qd_max, best_b))
        for s in S:
            cells = [s, v(res.get("uring_cmd", "ready", s, qd_max, best_b)),
                     v(res.get("uring_cmd", "suspend", s, qd_max, best_b)),
                     v(res.get("uring_cmd", "ready", s, qd_max, best_b, fp)) if fp else "?",
                     v(res.get("ioctl", "ready", s)), v(res.get("ioctl", "suspend", s))]
            f.write(" ".join(cells) + "\n")
    with open(os.path.join(outdir, "vm-cost.dat"), "w") as f:
        f.write("# what io_uring_ns ioctl_ns (median latency / batch; io_uring at qd %d / batch %d)\n"
                % (qd_max, best_b))

        def pc(rec):
            c = p50_cost(rec)
            return "%g" % c if c else "?"
        f.write("NOP %s ?\n" % pc(res.get("uring_nop", qd=qd_max, batch=best_b)))
        for kind in ("invalid", "no-object"):
            f.write("%s %s %s\n" % (kind, pc(res.get("uring_cmd", kind, "-", qd_max, best_b)),
                                    pc(res.get("ioctl", kind))))
        for s in S:
            f.write("ready-%s %s %s\n" % (s, pc(res.get("uring_cmd", "ready", s, qd_max, best_b)),
                                          pc(res.get("ioctl", "ready", s))))
    with open(os.path.join(outdir, "vm-plot-labels.gp"), "w") as f:
        f.write('pick1 = "%s"\npick2 = "%s"\npick3 = "%s"\nnpick = %d\nqdmax = %d\nbmax = %d\n'
                % tuple((pick + ["", "", ""])[:3] + [len(pick), qd_max, best_b]))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: vm_report.py VM.JSON OUTDIR")
    res = Results(load(sys.argv[1]))
    outdir = sys.argv[2]
    with open(os.path.join(outdir, "vm.md"), "w") as f:
        f.write(report(res))
    plot_data(res, outdir)


if __name__ == "__main__":
    main()
