"""The benchmark runner: `python -m benchmarks` (what `make bench` runs).

    python -m benchmarks                  full run, writes benchmarks/RESULTS.md (a few minutes)
    python -m benchmarks --quick          fewer repeats (about a minute), writes nothing
    python -m benchmarks --only per_op    some workloads (repeatable, or comma-separated)
    python -m benchmarks --only sine --profile    cProfile of the tinygrad_la engines, no timing

BLAS is pinned to one thread with threadpoolctl when it is installed (the `bench` extra), so
that NumPy, PyTorch and the rest compare one core against one core; without threadpoolctl
nothing is pinned and the output says so. Environment variables are left alone.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import importlib
import importlib.metadata
import io
import os
import platform
import pstats
import subprocess
import sys
import time
from pathlib import Path

from . import workloads
from .harness import BASELINE, WorkloadResult, format_seconds, run_workload

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PACKAGES = ["numpy", "tinygrad_la", "torch", "mygrad", "autograd", "micrograd", "threadpoolctl"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the machine and the software -------------------------------------------------------------

def pin_threads() -> tuple[object, str]:
    """Limit BLAS (and OpenMP, and PyTorch's intra-op pool) to one thread, if threadpoolctl is here.

    threadpoolctl only sees libraries already loaded, so NumPy and PyTorch are imported first.
    The returned limiter must be kept alive for the limit to hold.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return None, ("BLAS threads NOT pinned: threadpoolctl is not installed (`pip install threadpoolctl`, "
                      "or `make bench`, which installs the bench extra); libraries use their default threads")
    import numpy  # noqa: F401
    try:
        import torch
    except ImportError:
        torch = None
    limiter = threadpool_limits(limits=1)
    if torch is not None:
        torch.set_num_threads(1)
    pools = "; ".join(f"{p['internal_api']} {p.get('version') or ''} ({p['prefix']}): {p['num_threads']}"
                      for p in threadpool_info())
    torch_note = ", torch.set_num_threads(1)" if torch is not None else ""
    return limiter, f"pinned to 1 thread with threadpoolctl{torch_note} [{pools}]"


def prepare(selected: list) -> tuple[object, str]:
    """Import every engine's packages, pin threads, then gc.freeze() everything imported.

    Imports come first so that threadpoolctl sees every library's thread pool. The freeze:
    importing PyTorch alone leaves ~150 000 objects that Python's cyclic collector would scan
    again on every full collection, which slows the engines that build their graphs from Python
    objects (tinygrad_la, micrograd, MyGrad) by up to 2x for a reason no user script has (seen
    on value_mlp). Frozen objects are left out of those scans.
    """
    for name in sorted({module for w in selected for e in w.engines for module in e.needs}):
        try:
            importlib.import_module(name)
        except Exception:   # reported per engine as "not installed" later
            pass
    limiter, pinning = pin_threads()
    gc.collect()
    gc.freeze()
    return limiter, pinning


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 2**20:.0f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    return {"cpu": cpu, "cores": f"{os.cpu_count()} ({usable} usable)", "memory": memory,
            "platform": platform.platform()}


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=HERE,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (head + (" (with uncommitted changes)" if dirty else "")) if head else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# --- reporting --------------------------------------------------------------------------------------

def table(rows: list[list[str]], header: list[str]) -> list[str]:
    """A markdown table, padded so it also reads as plain text."""
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows]


def result_rows(results: list[WorkloadResult]) -> list[list[str]]:
    rows = []
    for res in results:
        w = res.workload
        for name, outcome in res.outcomes.items():
            seconds = outcome.median
            ratio = res.ratio(name)
            if outcome.status == "ok":
                note = w.per_unit(seconds) if w.per_unit and seconds is not None else ""
            elif outcome.status == "wrong":
                note = "WRONG, " + outcome.note
            else:
                note = f"{outcome.status}: {outcome.note}"
            rows.append([w.name, name, format_seconds(seconds), "—" if ratio is None else f"{ratio:.2f}x", note])
    return rows


def goal_rows(results: list[WorkloadResult], selected: list) -> list[list[str]]:
    by_name = {res.workload.name: res for res in results}
    rows = []
    for w in selected:
        res = by_name.get(w.name)
        for goal in w.goals:
            if res is None:
                rows.append([goal.text, "—", "workload not run"])
                continue
            status = goal.evaluate(res)
            verdict = {True: "met", False: "MISSED", None: "not measured"}[status.met]
            rows.append([goal.text, status.measured, verdict])
    return rows


def report(results: list[WorkloadResult], selected: list, pinning: str, seconds: float,
           command: str = "python -m benchmarks") -> list[str]:
    lines = ["# tinygrad_la benchmarks", ""]
    lines += [f"`{command}`, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
              f"commit {git_commit()}, {seconds:.0f} s in all.", ""]
    lines += ["Median time of one run per engine, over interleaved repeats in one process; ratios are to the "
              "hand-written NumPy version of the same computation. Every engine was first checked to give "
              "the same loss and gradients as hand NumPy from the same initial weights; one that did not "
              "is marked WRONG and was not timed. All engines' packages are imported before timing and "
              "then gc.freeze()-d, so the collector does not rescan PyTorch's objects while a pure-Python "
              "engine runs; each timed run starts after gc.collect().", ""]
    lines += ["## Results", ""]
    lines += table(result_rows(results), ["workload", "engine", "median", "vs hand NumPy", "note"])
    lines += [""]
    for res in results:
        w = res.workload
        lines += [f"- **{w.name}**: {w.title}; one run = {w.unit}; {res.repeats} repeat{'s' * (res.repeats != 1)}"
                  + (f" of {w.inner} runs each" if w.inner > 1 else "") + "."]
    for res in results:
        if res.extra_lines:
            lines += ["", f"### {res.workload.name}: more measurements", ""] + res.extra_lines
    lines += ["", "## Goals", ""]
    lines += table(goal_rows(results, selected), ["goal", "measured", "status"])
    lines += ["", "## Environment", ""]
    for key, value in {**machine(), **versions()}.items():
        lines.append(f"- {key}: {value}")
    lines.append(f"- threads: {pinning}")
    return lines


# --- profiling ------------------------------------------------------------------------------------

def profile(selected: list, top: int) -> None:
    """cProfile of each tinygrad_la engine on the full-size problem: where its time goes."""
    for w in selected:
        problem = w.make_problem()
        for engine in w.engines:
            if not engine.name.startswith("tinygrad_la"):
                continue
            try:
                for module in engine.needs:
                    importlib.import_module(module)
            except ImportError:
                continue
            run = engine.build(problem)
            run()   # warm-up
            calls = max(1, w.inner)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(calls):
                run()
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime")
            print(f"\n=== {w.name} / {engine.name}: {calls} run(s), top {top} by own time ===")
            stats.print_stats(top)
            print(out.getvalue())


# --- main -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    everything = workloads()
    names = [w.name for w in everything]
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repeats (about a minute in all)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these workloads: {', '.join(names)} (repeatable or comma-separated)")
    parser.add_argument("--repeats", type=int, help="repeats per workload (overrides the defaults)")
    parser.add_argument("--out", type=Path, help="write the report here (default: benchmarks/RESULTS.md "
                                                 "for a full run; a quick or partial run writes nothing)")
    parser.add_argument("--no-write", action="store_true", help="do not write a report file")
    parser.add_argument("--profile", action="store_true",
                        help="profile the tinygrad_la engines with cProfile instead of timing")
    parser.add_argument("--top", type=int, default=25, help="rows of each profile (default 25)")
    args = parser.parse_args(argv)

    only = [n.strip() for item in (args.only or []) for n in item.split(",") if n.strip()]
    unknown = [n for n in only if n not in names]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    selected = [w for w in everything if not only or w.name in only]

    limiter, pinning = prepare(selected)
    log(f"threads: {pinning}")
    if args.profile:
        profile(selected, args.top)
        return 0

    start = time.perf_counter()
    results = []
    for w in selected:
        repeats = args.repeats or (w.quick_repeats if args.quick else w.repeats)
        results.append(run_workload(w, repeats, args.quick, log))
    command = " ".join(["python -m benchmarks"] + (sys.argv[1:] if argv is None else argv))
    lines = report(results, selected, pinning, time.perf_counter() - start, command)
    print("\n".join(lines))

    out = args.out
    if out is None and not args.quick and not only:
        out = RESULTS
    if out is not None and not args.no_write:
        out.write_text("\n".join(lines) + "\n")
        log(f"wrote {out}")
    elif not args.no_write:
        log("quick or partial run: no report file written (pass --out PATH to write one)")
    del limiter
    return 0


if __name__ == "__main__":
    sys.exit(main())
