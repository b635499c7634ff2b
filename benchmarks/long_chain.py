"""long_chain: time and memory of a chain of 10⁴, 10⁵ and 10⁶ tiny ops, forward and backward.

    y₀ = x;  yₖ₊₁ = yₖ · w + c  (two ops: a mul and an add);  loss = Σ y

on (4,) float64 (the chain workload's graph, at three lengths counted in ops, not pairs). Each
(engine, length) runs in a fresh Python process, so one engine's freed memory and collector
state do not fall on the next: the process imports its engine, pins BLAS to one thread, runs
gc.collect() and gc.freeze() (as the main runner does) and measures

- forward: building the graph, with Python's cycle collector on, as a user's script has it;
- backward: loss.backward() (hand NumPy: its reversed loop over the saved inputs);
- peak memory: the process's peak resident set during the first forward + backward, above
  what was resident before it (Linux VmHWM, reset through /proc/self/clear_refs). Unlike
  tracemalloc this sees PyTorch's allocator too, and it counts what the process really holds
  (allocator overhead included); bytes per node = that peak / the number of ops.

Short chains run several times in their process (median); the longest runs once. The gradients
of x and w come back to the parent, which compares them with hand NumPy's before reporting.

    python -m benchmarks.long_chain ENGINE OPS RUNS    (one measurement; prints JSON)
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import numpy as np

from .harness import BASELINE, difference, format_seconds, table

LENGTHS = (10_000, 100_000, 1_000_000)     # ops
QUICK_LENGTHS = (10_000, 100_000)
TINYGRAD, PYTORCH = "tinygrad_la", "PyTorch"
ENGINES = {BASELINE: (), TINYGRAD: ("tinygrad_la",), PYTORCH: ("torch",)}   # engine: modules it needs
ROOT = Path(__file__).resolve().parents[1]


def runs_for(ops: int) -> int:
    """Repeats inside one process: 5 for 10⁴ ops, 3 for 10⁵, 1 for 10⁶."""
    return 5 if ops <= 10_000 else 3 if ops <= 100_000 else 1


# --- one measurement, inside the worker process ---------------------------------------------------

def make_inputs(seed: int = 0, size: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 1.5, size), 1 + rng.uniform(-1e-7, 1e-7, size),   # w^500000 stays near 1
            rng.uniform(-1e-3, 1e-3, size))


def numpy_chain(pairs: int):
    """forward() -> state; backward(state) -> (loss, dx, dw): the chain with its backward by hand."""
    x, w, c = make_inputs()

    def forward():
        ys, y = [], x
        for _ in range(pairs):
            ys.append(y)
            y = y * w + c
        return ys, y

    def backward(state):
        ys, y = state
        g, dw = np.ones_like(y), np.zeros_like(w)
        for y_in in reversed(ys):      # d(y·w + c): dy = g·w, dw += g·y
            dw += g * y_in
            g = g * w
        return float(y.sum()), g, dw
    return forward, backward


def api_chain(library: str, pairs: int):
    """The same chain as PyTorch-API code on `library` (tinygrad_la or torch)."""
    import importlib
    torch = importlib.import_module(library)
    x0, w0, c0 = make_inputs()
    x, w, c = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True), torch.tensor(c0)

    def forward():
        y = x
        for _ in range(pairs):
            y = y * w + c
        return y.sum()

    def backward(loss):
        loss.backward()
        out = (loss.item(), x.grad.numpy().copy(), w.grad.numpy().copy())
        x.grad = w.grad = None
        return out
    return forward, backward


def chain(engine: str, pairs: int):
    """The (forward, backward) pair of one engine."""
    return numpy_chain(pairs) if engine == BASELINE else api_chain(ENGINES[engine][0], pairs)


def resident_bytes(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise OSError(f"no {field_name} in /proc/self/status")


def reset_peak() -> bool:
    """Set the process's peak resident size (VmHWM) to its current size; False where Linux cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(engine: str, ops: int, runs: int) -> dict:
    """Forward and backward seconds of each run, the peak memory of the first, and the gradients."""
    pairs = ops // 2
    for module in ENGINES[engine]:
        __import__(module)
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=1)
    except ImportError:
        limiter = None
    if engine == PYTORCH:
        import torch
        torch.set_num_threads(1)
    forward, backward = chain(engine, pairs)
    warm_forward, warm_backward = chain(engine, 10)
    warm_backward(warm_forward())     # one-time set-up (PyTorch's autograd engine) is not the graph's cost
    gc.collect()
    gc.freeze()
    forwards, backwards, peak = [], [], None
    for r in range(runs):
        gc.collect()
        if r == 0:
            exact = reset_peak()
            before = resident_bytes("VmRSS")
        start = time.perf_counter()
        state = forward()
        middle = time.perf_counter()
        loss, dx, dw = backward(state)
        end = time.perf_counter()
        if r == 0:
            peak = resident_bytes("VmHWM") - before
        del state
        forwards.append(middle - start)
        backwards.append(end - middle)
    del limiter
    return {"engine": engine, "ops": ops, "forward": forwards, "backward": backwards, "peak": peak,
            "peak_exact": exact, "loss": loss, "x": dx.tolist(), "w": dw.tolist()}


# --- the parent: one process per measurement --------------------------------------------------------

@dataclass
class Cell:
    engine: str
    ops: int
    status: str = "ok"                 # ok | wrong | error | not installed
    note: str = ""
    forward: float | None = None       # median seconds
    backward: float | None = None
    peak: int | None = None            # bytes above the resident set before the first run
    runs: int = 0

    @property
    def bytes_per_node(self) -> float | None:
        return None if self.peak is None else self.peak / self.ops


@dataclass
class ChainResult:
    lengths: tuple[int, ...]
    cells: dict[tuple[str, int], Cell] = field(default_factory=dict)
    peak_exact: bool = True

    def get(self, engine: str, ops: int) -> Cell | None:
        return self.cells.get((engine, ops))


def installed(engine: str) -> bool:
    import importlib.util
    return all(importlib.util.find_spec(m) is not None for m in ENGINES[engine])


def run_worker(engine: str, ops: int, runs: int) -> dict:
    """Measure in a fresh interpreter with this environment (so make bench's OpenBLAS settings hold)."""
    proc = subprocess.run([sys.executable, "-m", "benchmarks.long_chain", engine, str(ops), str(runs)],
                          cwd=ROOT, capture_output=True, text=True, env=os.environ.copy())
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"exit {proc.returncode}: {last[:120]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_chains(lengths, log, worker=run_worker) -> ChainResult:
    result = ChainResult(tuple(lengths))
    for ops in lengths:
        reference = None
        for engine in ENGINES:
            if not installed(engine):
                result.cells[(engine, ops)] = Cell(engine, ops, "not installed", ", ".join(ENGINES[engine]))
                continue
            log(f"long_chain: {engine}, {ops:,} ops")
            try:
                got = worker(engine, ops, runs_for(ops))
            except Exception as error:
                result.cells[(engine, ops)] = Cell(engine, ops, "error", f"{type(error).__name__}: {error}")
                continue
            arrays = {k: np.asarray(got[k], dtype=np.float64) for k in ("loss", "x", "w")}
            cell = Cell(engine, ops, forward=median(got["forward"]), backward=median(got["backward"]),
                        peak=got["peak"], runs=len(got["forward"]))
            result.peak_exact &= bool(got["peak_exact"])
            if engine == BASELINE:
                reference = arrays
            elif reference is None:
                cell.status, cell.note = "error", "no hand NumPy result to check against"
            else:
                problem = difference(reference, arrays, rtol=1e-9, atol=1e-12)
                if problem:
                    cell.status, cell.note = "wrong", problem
                    cell.forward = cell.backward = cell.peak = None
            result.cells[(engine, ops)] = cell
    return result


def report_lines(result: ChainResult) -> list[str]:
    rows = []
    for ops in result.lengths:
        base = result.get(BASELINE, ops)
        for engine in ENGINES:
            c = result.get(engine, ops)
            if c is None:
                continue
            if c.status != "ok":
                rows.append([f"{ops:,}", engine] + ["—"] * 5 + [f"{c.status}: {c.note}"])
                continue
            ratio = ""
            if engine != BASELINE and base is not None and base.status == "ok" and base.backward:
                ratio = f" ({c.backward / base.backward:.2f}x)"
            rows.append([f"{ops:,}", engine, format_seconds(c.forward), f"{c.forward / ops * 1e6:.2f} µs",
                         format_seconds(c.backward) + ratio, f"{c.peak / 2**20:.1f} MiB",
                         f"{c.bytes_per_node:.0f} B", f"{c.runs} run{'s' * (c.runs != 1)}"])
    lines = ["y ← y · w + c repeated on (4,) float64 (two ops per step), then a sum and loss.backward(); "
             "each engine and length in a fresh process; forward with the cycle collector on; peak = the "
             "process's peak resident memory during the first forward + backward above what was resident "
             "before it" + ("" if result.peak_exact else
                            " (this kernel cannot reset the peak: the figure is the peak since start)")
             + "; in brackets the backward's ratio to hand NumPy's.", ""]
    lines += table(rows, ["ops", "engine", "forward", "forward/op", "backward", "peak memory",
                          "bytes/node", "median of"])
    return lines


# --- goals: the chain's, per op, so that they read the same at any length ----------------------------

FORWARD_US_PER_OP = 3.0          # 6 s for 10⁶ (mul, add) pairs
BACKWARD_VS_NUMPY = 1.5
BYTES_VS_PYTORCH = 0.6


def goal_rows(result: ChainResult) -> list[list[str]]:
    """[goal, measured, status] rows, read at the longest chain where tinygrad_la was measured."""
    texts = [f"chain forward <= {FORWARD_US_PER_OP:g} µs/op (6 s per 1e6 (mul, add) pairs), collector on",
             f"chain backward <= {BACKWARD_VS_NUMPY:g}x hand NumPy's time",
             f"chain peak bytes per node <= {BYTES_VS_PYTORCH:.0%} of PyTorch's"]
    measured = [n for n in result.lengths if (c := result.get(TINYGRAD, n)) is not None and c.status == "ok"]
    if not measured:
        return [[text, "tinygrad_la: not measured", "not measured"] for text in texts]
    ops = max(measured)
    ours, base, torch = result.get(TINYGRAD, ops), result.get(BASELINE, ops), result.get(PYTORCH, ops)
    at = f" at {ops:,} ops"
    per_op = ours.forward / ops * 1e6
    rows = [[texts[0], f"{per_op:.2f} µs/op ({format_seconds(ours.forward)}){at}",
             "met" if per_op <= FORWARD_US_PER_OP else "MISSED"]]
    if base is not None and base.status == "ok":
        ratio = ours.backward / base.backward
        rows.append([texts[1], f"{ratio:.2f}x ({format_seconds(ours.backward)} vs {format_seconds(base.backward)}){at}",
                     "met" if ratio <= BACKWARD_VS_NUMPY else "MISSED"])
    else:
        rows.append([texts[1], "hand NumPy: not measured", "not measured"])
    if torch is not None and torch.status == "ok":
        share = ours.bytes_per_node / torch.bytes_per_node
        rows.append([texts[2], f"{share:.0%} ({ours.bytes_per_node:.0f} B vs {torch.bytes_per_node:.0f} B){at}",
                     "met" if share <= BYTES_VS_PYTORCH else "MISSED"])
    else:
        rows.append([texts[2], "PyTorch: not measured", "not measured"])
    return rows


if __name__ == "__main__":
    name, n_ops, n_runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(measure(name, n_ops, n_runs)))
