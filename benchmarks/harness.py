"""What every workload shares: engines, the correctness gate, interleaved timing, goals.

A workload (sine.py, mlp.py, ...) is a *problem* (data and initial weights, made once) and a list
of *engines*. An engine is one function: given the problem, it sets up its own copy of the
weights and returns `run`, a callable that does one unit of work (a training run, one SGD step,
one forward + backward) and returns what it computed as a dict of arrays (losses, gradients).
Adding an engine, say tinygrad_la's nn layers, is one more such function and one line in the
workload's ENGINES list.

The first engine of every workload is the hand-written NumPy baseline. Before anything is timed,
each engine's first run(s) are compared with the baseline's: an engine that computes something
else is reported as wrong and is not timed. Those runs double as the warm-up.
"""
from __future__ import annotations

import gc
import importlib
import time
import tracemalloc
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Callable

import numpy as np

BASELINE = "hand NumPy"

Run = Callable[[], Any]


@dataclass
class Measured:
    """What `run` returns when only part of it is to be timed (the chain's backward pass)."""

    seconds: float
    result: dict


@dataclass
class Engine:
    """One way of doing a workload's work: `build(problem) -> run`."""

    name: str
    build: Callable[[Any], Run]
    needs: tuple[str, ...] = ()   # modules that must import, else the engine is "not installed"
    slow: bool = False            # skipped by --quick (a reference engine that takes many seconds)


@dataclass
class Goal:
    """One speed or memory goal; `evaluate(result)` says whether this run meets it."""

    text: str
    evaluate: Callable[[WorkloadResult], GoalStatus]


@dataclass
class GoalStatus:
    met: bool | None        # None: not measured in this run
    measured: str


@dataclass
class Workload:
    name: str
    title: str                                   # one line: what is computed
    unit: str                                    # what one timed run is
    make_problem: Callable[..., Any]             # keyword sizes; no arguments = the full size
    engines: list[Engine]
    tiny: dict = field(default_factory=dict)     # make_problem(**tiny): the size tests use
    rtol: float = 1e-9                           # the gate: |got - want| <= atol + rtol·|want|,
    atol: float = 1e-12                          # atol relative to the largest |want| of the entry
    check_runs: int = 1                          # runs compared (2: the second sees the update)
    inner: int = 1                               # runs per timed sample, for short units
    repeats: int = 7
    quick_repeats: int = 3
    per_unit: Callable[[float], str] | None = None    # e.g. seconds -> "4.1 µs/op"
    extra: Callable[[WorkloadResult, bool], None] | None = None   # more measurements (memory)
    goals: list[Goal] = field(default_factory=list)


@dataclass
class Outcome:
    """What happened to one engine on one workload."""

    engine: str
    status: str                        # ok | wrong | error | not installed | skipped
    note: str = ""
    samples: list[float] = field(default_factory=list)
    run: Run | None = None             # the warmed-up run, while timing

    @property
    def median(self) -> float | None:
        return median(self.samples) if self.samples else None


@dataclass
class WorkloadResult:
    workload: Workload
    outcomes: dict[str, Outcome]
    repeats: int = 0
    extra: dict = field(default_factory=dict)        # numbers the goals read (memory, ...)
    extra_lines: list[str] = field(default_factory=list)   # markdown shown under the table

    def median(self, engine: str) -> float | None:
        outcome = self.outcomes.get(engine)
        return outcome.median if outcome else None

    def ratio(self, engine: str) -> float | None:
        """Median time of `engine` over the hand NumPy baseline's."""
        mine, base = self.median(engine), self.median(BASELINE)
        return None if mine is None or not base else mine / base


# --- the correctness gate -------------------------------------------------------------------------

def missing_module(engine: Engine) -> str | None:
    for name in engine.needs:
        try:
            importlib.import_module(name)
        except Exception as error:   # ImportError, or a package that fails while importing
            return f"{name}: {type(error).__name__}"
    return None


def snapshot(result: Any) -> dict[str, np.ndarray]:
    """A copy of a run's result as plain arrays (later runs may update the arrays in place)."""
    if isinstance(result, Measured):
        result = result.result
    return {key: np.array(value, copy=True) for key, value in result.items()}


def difference(want: dict, got: dict, rtol: float, atol: float) -> str | None:
    """None when `got` matches `want` entry by entry, else a sentence on the first mismatch."""
    if set(want) != set(got):
        return f"returned {sorted(got)}, expected {sorted(want)}"
    for key, w in want.items():
        g = got[key]
        if w.shape != g.shape:
            return f"{key}: shape {g.shape}, expected {w.shape}"
        w64, g64 = w.astype(np.float64), g.astype(np.float64)
        scale = float(np.max(np.abs(w64))) if w64.size else 0.0
        if not np.all(np.isfinite(g64)) and np.all(np.isfinite(w64)):
            return f"{key}: has nan/inf"
        error = np.abs(g64 - w64)
        if np.any(error > atol * scale + rtol * np.abs(w64)):
            worst = float(np.max(error / (np.abs(w64) + atol * scale + 1e-300)))
            return f"{key}: differs from hand NumPy (worst relative error {worst:.2g}, allowed {rtol:g})"
    return None


def check(workload: Workload, problem: Any, engines: list[Engine] | None = None,
          skip_slow: bool = False) -> dict[str, Outcome]:
    """Run every engine `check_runs` times from the same start and compare with the baseline.

    Engines that pass keep their (now warm) `run` for timing; the others get status wrong/error.
    The baseline must be first in `engines`.
    """
    engines = workload.engines if engines is None else engines
    assert engines[0].name == BASELINE, "the first engine of a workload is the hand NumPy baseline"
    outcomes: dict[str, Outcome] = {}
    reference: list[dict] | None = None
    for engine in engines:
        if skip_slow and engine.slow:
            outcomes[engine.name] = Outcome(engine.name, "skipped", "slow, left out by --quick")
            continue
        missing = missing_module(engine)
        if missing:
            outcomes[engine.name] = Outcome(engine.name, "not installed", missing)
            continue
        try:
            run = engine.build(problem)
            results = [snapshot(run()) for _ in range(workload.check_runs)]
        except Exception as error:   # RecursionError in a deep graph is a result, not a crash
            message = str(error).splitlines()[0][:100] if str(error) else ""
            outcomes[engine.name] = Outcome(engine.name, "error", f"{type(error).__name__}: {message}")
            continue
        if reference is None:
            reference = results
            outcomes[engine.name] = Outcome(engine.name, "ok", run=run)
            continue
        for i, (want, got) in enumerate(zip(reference, results)):
            problem_text = difference(want, got, workload.rtol, workload.atol)
            if problem_text:
                where = f"run {i + 1}: " if workload.check_runs > 1 else ""
                outcomes[engine.name] = Outcome(engine.name, "wrong", "not timed: " + where + problem_text)
                break
        else:
            outcomes[engine.name] = Outcome(engine.name, "ok", run=run)
    if outcomes[BASELINE].status != "ok":
        raise RuntimeError(f"{workload.name}: the hand NumPy baseline failed: {outcomes[BASELINE].note}")
    return outcomes


# --- timing ---------------------------------------------------------------------------------------

def time_runs(outcomes: dict[str, Outcome], repeats: int, inner: int) -> None:
    """Median-ready samples for every checked engine, interleaved in one process.

    Each repeat times every engine once, starting from a different engine each time, so slow
    drift of the machine (frequency, caches, other load) falls on all engines alike. Garbage
    from one engine is collected before the next is timed; a collection the engine itself
    triggers counts as its own cost.
    """
    names = [name for name, outcome in outcomes.items() if outcome.status == "ok"]
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            outcome = outcomes[name]
            gc.collect()
            spent = 0.0
            start = time.perf_counter()
            for _ in range(inner):
                result = outcome.run()
                if isinstance(result, Measured):
                    spent += result.seconds
            total = time.perf_counter() - start
            outcome.samples.append((spent if spent else total) / inner)


def peak_memory(run: Run) -> int:
    """Bytes allocated at the peak of one call of `run`, above what was live before it.

    tracemalloc sees Python objects and NumPy's array buffers (NumPy reports them to it); it
    does not see PyTorch's allocator, so only NumPy-based engines are measured this way.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before


def run_workload(workload: Workload, repeats: int, quick: bool, log: Callable[[str], None]) -> WorkloadResult:
    started = time.perf_counter()
    log(f"{workload.name}: checking {len(workload.engines)} engines against hand NumPy")
    problem = workload.make_problem()
    outcomes = check(workload, problem, skip_slow=quick)
    for outcome in outcomes.values():
        if outcome.status != "ok":
            log(f"  {outcome.engine}: {outcome.status} ({outcome.note})")
    log(f"{workload.name}: timing {repeats} interleaved repeats")
    time_runs(outcomes, repeats, workload.inner)
    for outcome in outcomes.values():
        outcome.run = None   # let the graphs and weights go
    result = WorkloadResult(workload, outcomes, repeats)
    if workload.extra is not None:
        log(f"{workload.name}: extra measurements")
        workload.extra(result, quick)
    log(f"{workload.name}: done in {time.perf_counter() - started:.1f} s")
    return result


# --- goals ----------------------------------------------------------------------------------------

def first_measured(result: WorkloadResult, engines: list[str]) -> str | None:
    """The first engine in `engines` that was timed in this run (a preferred variant, then fallbacks)."""
    for name in engines:
        if result.median(name) is not None:
            return name
    return None


def ratio_goal(text: str, engines: list[str], limit: float, stand_in: str = "") -> Goal:
    """Met when the first measured of `engines` runs within `limit` times hand NumPy."""
    def evaluate(result: WorkloadResult) -> GoalStatus:
        name = first_measured(result, engines)
        if name is None:
            return GoalStatus(None, f"{' / '.join(engines)}: not measured")
        ratio = result.ratio(name)
        note = f" ({stand_in})" if stand_in and name != engines[0] else ""
        return GoalStatus(ratio <= limit, f"{name}: {ratio:.2f}x{note}")
    return Goal(text, evaluate)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def table(rows: list[list[str]], header: list[str]) -> list[str]:
    """A markdown table, padded so it also reads as plain text."""
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows]
