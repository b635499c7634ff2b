"""chain: backward through a very deep graph, 100 000 (mul, add) pairs, and its memory.

    y₀ = x;  yₖ₊₁ = yₖ · w + c  for k < 100 000;  loss = Σ y

x and w are (4,) float64 leaves that require grad (w is used 100 000 times, so its gradient
accumulates that many contributions); c is a constant. Building the graph is not timed, only
`loss.backward()` (the hand NumPy version: its backward loop). A recursive topological sort
fails here (micrograd: RecursionError); a graph walk that keeps per-node garbage shows up as
memory that grows faster than the graph. The extra measurement traces peak memory of
forward + backward at 25k, 50k and 100k pairs: linear growth means 4x from 25k to 100k.
"""
from __future__ import annotations

import importlib

import time
from dataclasses import dataclass

import numpy as np

from .harness import (BASELINE, Engine, Goal, GoalStatus, Measured, Workload, WorkloadResult, peak_memory,
                      ratio_goal)

PAIRS = 100_000
MEMORY_PAIRS = (25_000, 50_000, 100_000)
QUICK_MEMORY_PAIRS = (10_000, 20_000, 40_000)   # --quick: the same 4x step, smaller


@dataclass
class Problem:
    x: np.ndarray
    w: np.ndarray
    c: np.ndarray
    pairs: int


def make_problem(pairs: int = PAIRS, size: int = 4, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    return Problem(x=rng.uniform(0.5, 1.5, size),
                   w=1 + rng.uniform(-1e-5, 1e-5, size),     # w^100000 stays within [1/e, e]
                   c=rng.uniform(-1e-3, 1e-3, size), pairs=pairs)


def result(loss, dx, dw) -> dict:
    return {"loss": loss, "x": dx, "w": dw}


# --- engines: each run builds the graph, then times backward only ---------------------------------

def numpy_hand(p: Problem):
    x, w, c = p.x, p.w, p.c

    def run():
        ys = []
        y = x
        for _ in range(p.pairs):
            ys.append(y)
            y = y * w + c
        loss = y.sum()
        start = time.perf_counter()
        g = np.ones_like(y)
        dw = np.zeros_like(w)
        for y_in in reversed(ys):     # d(y·w + c):  dy = g·w,  dw += g·y
            dw += g * y_in
            g = g * w
        return Measured(time.perf_counter() - start, result(loss, g, dw))
    return run


def pytorch_api(library: str):
    """The chain as PyTorch-API code, run on `library` (tinygrad_la or torch: the same source)."""
    def engine(p: Problem):
        torch = importlib.import_module(library)
        x, w = torch.tensor(p.x, requires_grad=True), torch.tensor(p.w, requires_grad=True)
        c = torch.tensor(p.c)

        def run():
            y = x
            for _ in range(p.pairs):
                y = y * w + c
            loss = y.sum()
            start = time.perf_counter()
            loss.backward()
            seconds = time.perf_counter() - start
            out = result(loss.item(), x.grad.numpy(), w.grad.numpy())
            x.grad = w.grad = None
            return Measured(seconds, out)
        return run
    return engine


def mygrad_tensors(p: Problem):
    import mygrad as mg
    x, w, c = mg.tensor(p.x), mg.tensor(p.w), p.c

    def run():
        y = x
        for _ in range(p.pairs):
            y = y * w + c
        loss = y.sum()
        start = time.perf_counter()
        loss.backward()
        seconds = time.perf_counter() - start
        return Measured(seconds, result(loss.item(), x.grad, w.grad))
    return run


def micrograd_scalars(p: Problem):
    """Four scalar chains; micrograd's recursive topological sort is expected to overflow."""
    from micrograd.engine import Value
    xs, ws = [Value(float(v)) for v in p.x], [Value(float(v)) for v in p.w]
    cs = [float(v) for v in p.c]

    def run():
        loss = 0.0
        for x, w, c in zip(xs, ws, cs):
            y = x
            for _ in range(p.pairs):
                y = y * w + c
            loss = y + loss
        start = time.perf_counter()
        loss.backward()
        seconds = time.perf_counter() - start
        out = result(loss.data, [v.grad for v in xs], [v.grad for v in ws])
        for v in xs + ws:
            v.grad = 0
        return Measured(seconds, out)
    return run


TINYGRAD = "tinygrad_la"

ENGINES = [
    Engine(BASELINE, numpy_hand),
    Engine(TINYGRAD, pytorch_api("tinygrad_la"), needs=("tinygrad_la",)),
    Engine("PyTorch", pytorch_api("torch"), needs=("torch",)),
    Engine("MyGrad", mygrad_tensors, needs=("mygrad",), slow=True),                  # ~10 s a run
    Engine("micrograd (4 scalars)", micrograd_scalars, needs=("micrograd",), slow=True),  # ~15 s to fail
]

MEMORY_ENGINES = [BASELINE, TINYGRAD]   # NumPy-based and quick enough to trace three times


def measure_memory(res: WorkloadResult, quick: bool) -> None:
    """Peak traced memory of forward + backward at each size, and bytes per (mul, add) pair."""
    sizes = QUICK_MEMORY_PAIRS if quick else MEMORY_PAIRS
    peaks: dict[str, dict[int, int]] = {}
    for engine in ENGINES:
        outcome = res.outcomes.get(engine.name)
        if engine.name not in MEMORY_ENGINES or outcome is None or outcome.status != "ok":
            continue
        peaks[engine.name] = {n: peak_memory(engine.build(make_problem(pairs=n))) for n in sizes}
    res.extra["peak"] = peaks
    head = " | ".join(f"{n // 1000}k pairs" for n in sizes)
    res.extra_lines += [
        "Peak memory of forward + backward through the chain (tracemalloc), and bytes per pair:",
        "",
        f"| engine | {head} | growth {sizes[0] // 1000}k → {sizes[-1] // 1000}k |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for name, by_size in peaks.items():
        cells = " | ".join(f"{by_size[n] / 2**20:.1f} MiB ({by_size[n] / n:.0f} B)" for n in sizes)
        growth = by_size[sizes[-1]] / by_size[sizes[0]]
        res.extra_lines.append(f"| {name} | {cells} | {growth:.2f}x |")


def _memory_goal(res: WorkloadResult) -> GoalStatus:
    by_size = res.extra.get("peak", {}).get(TINYGRAD)
    if not by_size:
        return GoalStatus(None, "not measured")
    small, large = min(by_size), max(by_size)
    expected = large / small
    growth = by_size[large] / by_size[small]
    # linear: the peak grows like the graph, within 10% (a fixed overhead makes it a bit less)
    return GoalStatus(growth <= expected * 1.1, f"{growth:.2f}x for {expected:.0f}x the pairs "
                      f"({small // 1000}k → {large // 1000}k), {by_size[large] / large:.0f} B/pair")


WORKLOAD = Workload(
    name="chain",
    title=f"backward through {PAIRS:,} (mul, add) pairs on (4,) float64",
    unit="loss.backward() only",
    make_problem=make_problem,
    engines=ENGINES,
    tiny=dict(pairs=50),
    rtol=1e-9, atol=1e-12,
    repeats=3, quick_repeats=1,
    extra=measure_memory,
    goals=[
        ratio_goal(f"{PAIRS:,}-pair chain backward <= 1.5x hand NumPy", [TINYGRAD], 1.5),
        Goal("chain memory linear in graph size", _memory_goal),
    ],
)
