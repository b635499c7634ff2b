"""The benchmark runner: `python -m benchmarks` (what `make bench` runs).

    python -m benchmarks                  full run, writes benchmarks/RESULTS.md and scaling.png
    python -m benchmarks --quick          fewer repeats and shorter chains, writes nothing
    python -m benchmarks --only per_op    some workloads (repeatable, or comma-separated);
                                          `scaling` and `long_chain` name the scaling studies
    python -m benchmarks --chain-ops 10000,100000     the long chains' lengths (default 1e4, 1e5, 1e6)
    python -m benchmarks --only sine --profile    cProfile of the tinygrad_la engines, no timing

BLAS is pinned to one thread with threadpoolctl when it is installed (the `bench` extra), so
that NumPy, PyTorch and the rest compare one core against one core; without threadpoolctl
nothing is pinned and the output says so. The runner changes no environment variable: `make
bench` unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for its own command, and the report says
which OpenBLAS kernel was then in use.
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

from . import long_chain, scaling, workloads
from .harness import WorkloadResult, format_seconds, run_workload, table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PLOT = HERE / "scaling.png"
PACKAGES = ["numpy", "tinygrad_la", "torch", "mygrad", "autograd", "micrograd", "threadpoolctl", "matplotlib"]
THREADS = 1
OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")   # make bench unsets both for its run
STUDIES = ("scaling", "long_chain")   # run after the workloads, reported in their own section


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
    limiter = threadpool_limits(limits=THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)
    pools = "; ".join(f"{p['internal_api']} {p.get('version') or ''} ({p['prefix']}): {p['num_threads']}"
                      for p in threadpool_info())
    torch_note = f", torch.set_num_threads({THREADS})" if torch is not None else ""
    return limiter, f"pinned to {THREADS} thread with threadpoolctl{torch_note} [{pools}]"


def blas_kernels() -> list[str]:
    """Which kernel each OpenBLAS (or other BLAS) in the process runs, as threadpoolctl reports it."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["unknown (threadpoolctl is not installed)"]
    found = []
    for pool in threadpool_info():
        if pool.get("user_api") != "blas":
            continue
        kernel = pool.get("architecture") or pool.get("corename") or "not reported"
        found.append(f"{pool['internal_api']} {pool.get('version') or ''} ({Path(pool['filepath']).name}): "
                     f"kernel {kernel}, {pool['num_threads']} thread{'s' * (pool['num_threads'] != 1)}, "
                     f"{pool.get('threading_layer', '')} threading")
    return found or ["no BLAS library loaded"]


def environment_notes() -> list[str]:
    """The environment variables that change which kernel OpenBLAS picks, as this process got them."""
    notes = []
    for name in OPENBLAS_VARIABLES:
        value = os.environ.get(name)
        notes.append(f"{name}: " + ("unset" if value is None else f"set to {value!r}"))
    return notes


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
           command: str = "python -m benchmarks", notes: dict | None = None,
           scaled: scaling.ScalingResult | None = None, chains: long_chain.ChainResult | None = None,
           plot: str | None = None) -> list[str]:
    """RESULTS.md as lines: when, what and how it ran, the tables, the goals, the machine."""
    notes = notes or {}
    lines = ["# tinygrad_la benchmarks", ""]
    lines += ["Generated by the benchmark run (do not edit by hand): "
              f"`{command}`, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
              f"commit {git_commit()}, {seconds:.0f} s in all.", ""]
    lines += ["## How it ran", ""]
    lines += [f"- BLAS threads: {pinning}."]
    lines += [f"- BLAS kernel: {kernel}." for kernel in notes.get("kernels", blas_kernels())]
    lines += [f"- {note} in this run's environment." for note in notes.get("environment", environment_notes())]
    if "load" in notes:
        lines += [f"- load average (1, 5, 15 min) at start {notes['load'][0]}, at end {notes['load'][1]}: "
                  "the machine (2 cores) is shared with other work, so figures carry that noise; ratios "
                  "within one run are steadier than times across runs."]
    lines += ["- Python's cycle collector: all engines' packages are imported first and then gc.freeze()-d, so "
              "the collector does not rescan PyTorch's ~150 000 objects while a pure-Python engine runs; it "
              "stays on while engines run, as in a user's script, except in the rows marked "
              "\"collector off\" (value_mlp shows both engines both ways). Each timed sample starts after "
              "gc.collect().", ""]
    lines += ["Median time of one run per engine, over interleaved repeats in one process; ratios are to the "
              "hand-written NumPy version of the same computation. Every engine was first checked to give "
              "the same loss and gradients as hand NumPy from the same initial weights; one that did not "
              "is marked WRONG and was not timed.", ""]
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
    if scaled is not None or chains is not None:
        lines += ["", "## Scaling", ""]
        if plot:
            lines += [f"![step time against batch and depth, long chains' time and memory]({plot})", "",
                      f"({plot}: the two tables below, drawn.)", ""]
        if scaled is not None:
            lines += ["### Step time against batch size and depth", ""] + scaling.report_lines(scaled) + [""]
        if chains is not None:
            lines += ["### Long chains: time and memory", ""] + long_chain.report_lines(chains) + [""]
    lines += ["", "## Goals", ""]
    rows = goal_rows(results, selected) + (long_chain.goal_rows(chains) if chains is not None else [])
    lines += table(rows, ["goal", "measured", "status"])
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
    names = [w.name for w in everything] + list(STUDIES)
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repeats, shorter chains (a few minutes)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these: {', '.join(names)} (repeatable or comma-separated)")
    parser.add_argument("--repeats", type=int, help="repeats per workload (overrides the defaults)")
    parser.add_argument("--chain-ops", metavar="N,N,...",
                        help="lengths of the long chains in ops (default "
                             f"{','.join(str(n) for n in long_chain.LENGTHS)}; --quick: "
                             f"{','.join(str(n) for n in long_chain.QUICK_LENGTHS)})")
    parser.add_argument("--out", type=Path, help="write the report here (default: benchmarks/RESULTS.md "
                                                 "for a full run; a quick or partial run writes nothing); "
                                                 "the plot goes beside it as scaling.png")
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
    studies = [name for name in STUDIES if not only or name in only]
    if args.chain_ops:
        lengths = tuple(int(float(n)) for n in args.chain_ops.split(",") if n.strip())
    else:
        lengths = long_chain.QUICK_LENGTHS if args.quick else long_chain.LENGTHS

    notes = {"environment": environment_notes(), "load": [None, None]}
    notes["load"][0] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    limiter, pinning = prepare(selected + ([scaling.workload(1, 1)] if "scaling" in studies else []))
    notes["kernels"] = blas_kernels()
    log(f"threads: {pinning}")
    for line in notes["kernels"] + notes["environment"]:
        log(f"  {line}")
    if args.profile:
        profile(selected, args.top)
        return 0

    start = time.perf_counter()
    results = []
    for w in selected:
        repeats = args.repeats or (w.quick_repeats if args.quick else w.repeats)
        results.append(run_workload(w, repeats, args.quick, log))
    scaled = chains = None
    if "scaling" in studies:
        scaled = scaling.run_scaling(args.repeats or (3 if args.quick else scaling.REPEATS), args.quick, log)
    if "long_chain" in studies:
        chains = long_chain.run_chains(lengths, log)
    notes["load"][1] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    command = os.environ.get("BENCH_COMMAND") or " ".join(
        ["python -m benchmarks"] + (sys.argv[1:] if argv is None else argv))

    out = args.out
    if out is None and not args.quick and not only and not args.chain_ops:
        out = RESULTS
    plot_path = None
    if out is not None and not args.no_write and (scaled is not None or chains is not None):
        from . import plot
        plot_path = plot.draw(scaled, chains, out.parent / PLOT.name)
        log(f"wrote {plot_path}")
    lines = report(results, selected, pinning, time.perf_counter() - start, command, notes, scaled, chains,
                   plot_path.name if plot_path else None)
    print("\n".join(lines))
    if out is not None and not args.no_write:
        out.write_text("\n".join(lines) + "\n")
        log(f"wrote {out}")
    elif not args.no_write:
        log("quick or partial run: no report file written (pass --out PATH to write one)")
    del limiter
    return 0


if __name__ == "__main__":
    sys.exit(main())
