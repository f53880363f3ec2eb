#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""host.json (Google Benchmark) -> host.md (ratio tables, targets met or
missed) and the data files the gnuplot script plots. Medians over the
repetitions; ns/call from items_per_second (items = calls)."""
import json
import sys

STRATEGIES = ["boxed", "inline", "maybe_boxed", "cached", "task_stack", "reserve"]
# Issue 16's targets. Ready dyn call against the C++20 floor (a coroutine
# framed in a caller slot, nothing else), in ns and in instructions:
MAX_FLOOR_RATIO = {"inline": 1.5, "task_stack": 1.5, "maybe_boxed": 1.7, "cached": 1.7}
MIN_HEAP_SPEEDUP = {"inline": 1.8, "task_stack": 1.8}  # ready, vs heap-framed
MAX_HEAP_RATIO = {"boxed": 1.2, "reserve": 1.5}         # ready, x heap-framed
MIN_HOP_SPEEDUP = {"inline": 1.3, "task_stack": 1.3}    # suspend/executor vs heap
MAX_FRAME_FREE_VIRTUAL = 1.5
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


def main(src, md_out, calls_dat, nest_dat, instr_path=None):
    ctx, ns, mem = load(src)
    g = ns.get
    instr = {}
    if instr_path:
        with open(instr_path) as f:
            instr = json.load(f)
    ig = instr.get
    virt = g("call/virtual")
    floor = g("call/ready/floor")
    free = g("call/ready/frame_free")
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
      "(an intrusive FIFO under a spin lock, as the tests use) resumes it; **suspend/direct**: the body "
      "does `co_await Yield{}` and the benchmark loop resumes the parked handle "
      "(no queue, no lock: the cheapest honest resumption).\n")
    w("Instructions per call: `valgrind --tool=callgrind` of `host-bench --instr CASE N` "
      "for N and 2N batches of 64 calls, the difference divided by N x 64 "
      "(scripts/bench/instr.sh): deterministic, unlike time on these machines.\n")
    w("## Baselines\n")
    w("| baseline | ns/call | instr/call | x virtual |")
    w("|---|---|---|---|")
    w(f"| plain virtual call returning the value | {fmt(virt, 2)} | {fmt(ig('virtual'))} | 1.0 |")
    w(f"| frame-free ready path (`Future<T>::ready_in`) through dyn dispatch "
      f"| {fmt(free, 2)} | {fmt(ig('ready/frame_free'))} | {fmt(ratio(free, virt), 2)} |")
    w(f"| C++20 floor: coroutine framed in a caller slot by promise `operator new`, "
      f"no header, no accounting, no errno path | {fmt(floor)} | {fmt(ig('ready/floor'))} "
      f"| {fmt(ratio(floor, virt))} |")
    w(f"| heap-framed coroutine (global operator new), ready | {fmt(heap['ready'])} "
      f"| {fmt(ig('ready/heap'))} | {fmt(ratio(heap['ready'], virt))} |")
    w(f"| heap-framed coroutine, suspend/executor | {fmt(heap['hop'])} "
      f"| {fmt(ig('hop/heap'))} | {fmt(ratio(heap['hop'], virt))} |")
    w(f"| heap-framed coroutine, suspend/direct | {fmt(heap['yield'])} "
      f"| | {fmt(ratio(heap['yield'], virt))} |")
    w("")
    w("## Per strategy\n")
    w("| strategy | ready ns | ready instr | ready x floor (ns / instr) | ready speedup vs heap "
      "| ready x static | suspend/executor ns | instr | speedup vs heap | x static "
      "| suspend/direct ns | speedup vs heap | frame B | bookkeeping B (header) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    targets = []
    fv = ratio(free, virt)
    targets.append((f"frame-free ready call through dyn dispatch <= {MAX_FRAME_FREE_VIRTUAL:g}x "
                    f"a plain virtual call", f"{fmt(fv, 2)}x",
                    fv is not None and fv <= MAX_FRAME_FREE_VIRTUAL))
    for s in STRATEGIES:
        r = g(f"call/ready/dyn/{s}")
        rs = g(f"call/ready/static/{s}")
        h = g(f"call/hop/dyn/{s}")
        hs = g(f"call/hop/static/{s}")
        y = g(f"call/yield/dyn/{s}")
        m = mem.get(s, {})
        frame, book, hdr = m.get("frame_B"), m.get("bookkeeping_B"), m.get("header_B")
        ri, hi = ig(f"ready/dyn/{s}"), ig(f"hop/dyn/{s}")
        rf, rfi = ratio(r, floor), ratio(ri, ig("ready/floor"))
        w(f"| {s} | {fmt(r)} | {fmt(ri)} | {fmt(rf, 2)} / {fmt(rfi, 2)} "
          f"| {fmt(ratio(heap['ready'], r), 2)} "
          f"| {fmt(ratio(r, rs), 2)} | {fmt(h)} | {fmt(hi)} | {fmt(ratio(heap['hop'], h), 2)} "
          f"| {fmt(ratio(h, hs), 2)} | {fmt(y)} | {fmt(ratio(heap['yield'], y), 2)} "
          f"| {fmt(frame, 0)} | {fmt(book, 0)} ({fmt(hdr, 0)}) |")
        if s in MAX_FLOOR_RATIO:
            lim = MAX_FLOOR_RATIO[s]
            targets.append((f"{s}: ready dyn call <= {lim:g}x the C++20 floor, in ns",
                            f"{fmt(rf, 2)}x", rf is not None and rf <= lim))
            targets.append((f"{s}: ready dyn call <= {lim:g}x the C++20 floor, in instructions",
                            f"{fmt(rfi, 2)}x", rfi is not None and rfi <= lim))
        if s in MIN_HEAP_SPEEDUP:
            lim, sp = MIN_HEAP_SPEEDUP[s], ratio(heap["ready"], r)
            targets.append((f"{s}: ready dyn call >= {lim:g}x faster than the heap-framed coroutine",
                            f"{fmt(sp, 2)}x", sp is not None and sp >= lim))
        if s in MAX_HEAP_RATIO:
            lim, hr = MAX_HEAP_RATIO[s], ratio(r, heap["ready"])
            targets.append((f"{s}: ready dyn call <= {lim:g}x the heap-framed coroutine",
                            f"{fmt(hr, 2)}x", hr is not None and hr <= lim))
        if s in MIN_HOP_SPEEDUP:
            lim, sp = MIN_HOP_SPEEDUP[s], ratio(heap["hop"], h)
            targets.append((f"{s}: suspend-once (executor) >= {lim:g}x faster than the heap-framed coroutine",
                            f"{fmt(sp, 2)}x", sp is not None and sp >= lim))
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
    if len(sys.argv) not in (5, 6):
        sys.exit("usage: host_report.py host.json host.md calls.dat nest.dat [instr.json]")
    sys.exit(main(*sys.argv[1:]))
