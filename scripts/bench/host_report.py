#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""host.json (Google Benchmark) -> host.md (ratio tables, targets met or
missed) and the data files the gnuplot script plots. Medians over the
repetitions; ns/call from items_per_second (items = calls)."""
import json
import sys

STRATEGIES = ["boxed", "inline", "maybe_boxed", "cached", "task_stack", "reserve"]
TARGETED = ["inline", "task_stack"]  # issue 7: <= 3x virtual, >= 2x heap
MAX_VIRTUAL_RATIO = 3.0
MIN_HEAP_SPEEDUP = 2.0
MAX_BOOKKEEPING = 64


def load(path):
    with open(path) as f:
        doc = json.load(f)
    ns, mem = {}, {}
    for b in doc["benchmarks"]:
        run = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            continue
        if run.startswith("mem/"):
            mem[run.split("/")[1]] = b
        elif b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
            ns[run] = 1e9 / b["items_per_second"]
        elif b.get("run_type") == "iteration" and run not in ns and "items_per_second" in b:
            ns.setdefault("single:" + run, 1e9 / b["items_per_second"])
    # Without repetitions there are no aggregates: take the single runs.
    for k in [k for k in ns if k.startswith("single:")]:
        ns.setdefault(k[len("single:"):], ns.pop(k))
    return doc.get("context", {}), ns, mem


def fmt(v, digits=1):
    return "n/a" if v is None else f"{v:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def verdict(ok):
    return "met" if ok else "MISSED"


def main(src, md_out, calls_dat, nest_dat):
    ctx, ns, mem = load(src)
    g = ns.get
    virt = g("call/virtual")
    heap = {m: g(f"call/{m}/heap") for m in ("ready", "hop", "yield")}
    out = []
    w = out.append
    reps = ctx.get("dynasync_repetitions", "?")
    w("# Host benchmarks: the cost of a dyn async call\n")
    w(f"Measured {ctx.get('date', '?')} on {ctx.get('num_cpus', '?')} CPUs at "
      f"{ctx.get('mhz_per_cpu', '?')} MHz (load average "
      f"{', '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}); medians of "
      f"{reps} repetitions; build/host-bench, -O2, no sanitizers.\n")
    w("Each call is `co_await obj.method(storage)` from a coroutine running as a "
      "`ds::RootTask`, through `Source&` (object chosen at run time); "
      "**ready**: the body returns at once; **suspend/executor**: the body does "
      "`co_await ds::ResumeOnWorker{}` and the host executor's run queue "
      "(mutex + deque, as the tests use) resumes it; **suspend/direct**: the body "
      "does `co_await Yield{}` and the benchmark loop resumes the parked handle "
      "(no queue, no lock: the cheapest honest resumption).\n")
    w("## Baselines\n")
    w("| baseline | ns/call | x virtual |")
    w("|---|---|---|")
    w(f"| plain virtual call returning the value | {fmt(virt, 2)} | 1.0 |")
    w(f"| heap-framed coroutine (global operator new), ready | {fmt(heap['ready'])} "
      f"| {fmt(ratio(heap['ready'], virt))} |")
    w(f"| heap-framed coroutine, suspend/executor | {fmt(heap['hop'])} "
      f"| {fmt(ratio(heap['hop'], virt))} |")
    w(f"| heap-framed coroutine, suspend/direct | {fmt(heap['yield'])} "
      f"| {fmt(ratio(heap['yield'], virt))} |")
    w("")
    w("## Per strategy\n")
    w("| strategy | ready ns | ready x virtual | ready speedup vs heap | ready x static "
      "| suspend/executor ns | speedup vs heap | x static "
      "| suspend/direct ns | speedup vs heap | frame B | bookkeeping B (header) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    targets = []
    for s in STRATEGIES:
        r = g(f"call/ready/dyn/{s}")
        rs = g(f"call/ready/static/{s}")
        h = g(f"call/hop/dyn/{s}")
        hs = g(f"call/hop/static/{s}")
        y = g(f"call/yield/dyn/{s}")
        m = mem.get(s, {})
        frame, book, hdr = m.get("frame_B"), m.get("bookkeeping_B"), m.get("header_B")
        w(f"| {s} | {fmt(r)} | {fmt(ratio(r, virt))} | {fmt(ratio(heap['ready'], r), 2)} "
          f"| {fmt(ratio(r, rs), 2)} | {fmt(h)} | {fmt(ratio(heap['hop'], h), 2)} "
          f"| {fmt(ratio(h, hs), 2)} | {fmt(y)} | {fmt(ratio(heap['yield'], y), 2)} "
          f"| {fmt(frame, 0)} | {fmt(book, 0)} ({fmt(hdr, 0)}) |")
        if s in TARGETED:
            rv, sp = ratio(r, virt), ratio(heap["ready"], r)
            targets.append((f"{s}: ready dyn call <= {MAX_VIRTUAL_RATIO:g}x a plain virtual call",
                            f"{fmt(rv, 1)}x", rv is not None and rv <= MAX_VIRTUAL_RATIO))
            targets.append((f"{s}: ready dyn call >= {MIN_HEAP_SPEEDUP:g}x faster than the heap-framed coroutine",
                            f"{fmt(sp, 2)}x", sp is not None and sp >= MIN_HEAP_SPEEDUP))
        if book is not None:
            targets.append((f"{s}: <= {MAX_BOOKKEEPING} B bookkeeping per in-flight call beyond its frame",
                            f"{book:.0f} B", book <= MAX_BOOKKEEPING))
    w("")
    w("ratios: `x virtual` = ns / virtual-call ns (lower is better); `speedup vs heap` = "
      "heap-framed ns / ns (higher is better); `x static` = dyn ns / static-dispatch ns "
      "(qualified call on the concrete type, same storage).\n")
    w("## Memory per in-flight call\n")
    w("64 calls of the same suspending method held in flight; counted from the runtime's "
      "per-strategy stats (frame + header, checked against the layout probe) and the "
      "allocator (glibc chunk = malloc_usable_size + 8), not estimated.\n")
    w("| storage | frame B | header B | held per call B | bookkeeping beyond frame B | promise B (in frame) |")
    w("|---|---|---|---|---|---|")
    for s in ["heap"] + STRATEGIES:
        m = mem.get(s)
        if not m:
            w(f"| {s} | n/a | | | | |")
            continue
        w(f"| {s} | {m['frame_B']:.0f} | {m['header_B']:.0f} | {m['held_B']:.0f} "
          f"| {m['bookkeeping_B']:.0f} | {m['promise_B']:.0f} |")
    task = next((m.get("task_B") for m in mem.values() if m.get("task_B")), None)
    w("")
    w(f"held per call: heap chunk (boxed, reserve, cached), the inline slot sized by the "
      f"layout probe (inline, maybe_boxed), task-stack bytes used / calls. A top-level "
      f"task adds one `RootTask` header ({fmt(task, 0)} B) per task, not per call.\n")
    w("## Nesting (dyn adaptor chain, ready at once)\n")
    w("| depth | task_stack ns/call | boxed ns/call | boxed / task_stack |")
    w("|---|---|---|---|")
    with open(nest_dat, "w") as f:
        f.write("# depth task_stack_ns boxed_ns\n")
        for d in range(1, 9):
            t, b = g(f"nest/task_stack/{d}"), g(f"nest/boxed/{d}")
            w(f"| {d} | {fmt(t)} | {fmt(b)} | {fmt(ratio(b, t), 2)} |")
            f.write(f"{d} {fmt(t, 3)} {fmt(b, 3)}\n")
    w("")
    w("## Targets\n")
    w("| target | measured | verdict |")
    w("|---|---|---|")
    for name, val, ok in targets:
        w(f"| {name} | {val} | {verdict(ok)} |")
    w("")
    w("Plots: [ns per call](host-calls.png), [nesting](host-nesting.png).")
    with open(md_out, "w") as f:
        f.write("\n".join(out) + "\n")
    with open(calls_dat, "w") as f:
        f.write("# strategy ready_dyn ready_static yield_dyn hop_dyn\n")
        f.write(f"virtual {fmt(virt, 3)} - - -\n")
        f.write(f"heap {fmt(heap['ready'], 3)} - {fmt(heap['yield'], 3)} {fmt(heap['hop'], 3)}\n")
        for s in STRATEGIES:
            vals = [g(f"call/ready/dyn/{s}"), g(f"call/ready/static/{s}"),
                    g(f"call/yield/dyn/{s}"), g(f"call/hop/dyn/{s}")]
            f.write(s + " " + " ".join("-" if v is None else f"{v:.3f}" for v in vals) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: host_report.py host.json host.md calls.dat nest.dat")
    sys.exit(main(*sys.argv[1:]))
