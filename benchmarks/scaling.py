"""scaling: one SGD step of a width-64 ReLU MLP as the batch grows and as the network deepens.

    A₀ = X;  Zₖ = Aₖ₋₁ Wₖᵀ + 1 bₖᵀ,  Aₖ = ReLU(Zₖ) (k < L), A_L = Z_L          (23.10)
    loss = mean((A_L - Y)²);  W ← W - η dW for every layer

X and Y are (N, 64) float32, every layer is 64 → 64 with PyTorch's nn.Linear initialization.
Two sweeps through one point: the batch N in 1, 8, 64, 512, 4096 at depth L = 4, and the depth
L in 1, 4, 16, 64 at batch 64. A small batch measures the engine's fixed cost per op (Python,
graph bookkeeping); a large one measures the arithmetic, where every engine should approach
hand NumPy; depth multiplies the number of ops at a fixed size of each.

Every point is a workload of its own, run through the same gate as the others: each engine must
reproduce hand NumPy's loss and gradients (two steps, so the update is checked too) before it
is timed, and the engines are timed interleaved.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .harness import BASELINE, Engine, Outcome, Workload, check, format_seconds, table, time_runs

F32 = np.float32
WIDTH = 64
BATCHES = (1, 8, 64, 512, 4096)
DEPTHS = (1, 4, 16, 64)
BATCH_SWEEP_DEPTH = 4     # the depth while the batch varies
DEPTH_SWEEP_BATCH = 64    # the batch while the depth varies
REPEATS = 7               # interleaved samples per point
SAMPLE_SECONDS = 0.02     # each timed sample repeats the step until hand NumPy has spent this long


@dataclass
class Problem:
    X: np.ndarray                                  # (N, WIDTH)
    Y: np.ndarray                                  # (N, WIDTH)
    layers: list[tuple[np.ndarray, np.ndarray]]    # (W (WIDTH, WIDTH), b (WIDTH,)) per layer
    lr: float = 0.01

    def weights(self) -> list[np.ndarray]:
        """Fresh copies of W1, b1, W2, b2, ... (nn.Sequential's parameters() order)."""
        return [a.copy() for W, b in self.layers for a in (W, b)]


def make_problem(batch: int = 64, depth: int = 4, width: int = WIDTH, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, width)).astype(F32)
    Y = rng.standard_normal((batch, width)).astype(F32)
    bound = 1 / np.sqrt(width)   # nn.Linear's default: U(-1/√fan_in, 1/√fan_in)
    layers = [(rng.uniform(-bound, bound, (width, width)).astype(F32),
               rng.uniform(-bound, bound, width).astype(F32)) for _ in range(depth)]
    return Problem(X, Y, layers)


def result(loss, grads) -> dict:
    return {"loss": loss, **{f"d{i}": g for i, g in enumerate(grads)}}


# --- engines --------------------------------------------------------------------------------------

def numpy_hand(p: Problem):
    X, Y, lr = p.X, p.Y, p.lr
    params = p.weights()
    Ws, bs = params[0::2], params[1::2]
    scale = F32(2 / Y.size)

    def run():
        A, Zs = [X], []
        for k, (W, b) in enumerate(zip(Ws, bs)):
            Z = A[-1] @ W.T + b
            Zs.append(Z)
            A.append(np.maximum(Z, 0) if k < len(Ws) - 1 else Z)
        E = A[-1] - Y
        loss = (E * E).mean()

        dA = scale * E                        # d mean((A_L - Y)²) / d A_L
        grads = [None] * len(params)
        for k in reversed(range(len(Ws))):
            dZ = dA if k == len(Ws) - 1 else dA * (Zs[k] > 0)
            grads[2 * k], grads[2 * k + 1] = dZ.T @ A[k], dZ.sum(axis=0)    # dW = dZᵀ Aₖ₋₁, db = 1ᵀ dZ
            dA = dZ @ Ws[k]
        for w, g in zip(params, grads):
            w -= lr * g
        return result(loss, grads)
    return run


def layers_of(nn, depth: int) -> list:
    """Linear, ReLU, Linear, ..., Linear: `depth` layers of WIDTH → WIDTH, with nn = tinygrad_la.nn or torch.nn."""
    modules = []
    for k in range(depth):
        modules.append(nn.Linear(WIDTH, WIDTH))
        if k < depth - 1:
            modules.append(nn.ReLU())
    return modules


def tinygrad_la_nn(p: Problem, compiled: bool = False):
    """nn.Sequential + nn.MSELoss + optim.SGD, as users write it (weights copied in)."""
    import tinygrad_la as tg
    from tinygrad_la import nn, optim
    X, Y = tg.from_numpy(p.X), tg.from_numpy(p.Y)
    model = nn.Sequential(*layers_of(nn, len(p.layers))).float()
    with tg.no_grad():
        for param, value in zip(model.parameters(), p.weights()):
            param.copy_(tg.from_numpy(value))
    params = list(model.parameters())
    loss_fn, optimizer = nn.MSELoss(), optim.SGD(params, lr=p.lr)

    def step(X, Y):
        optimizer.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
        return loss

    if compiled:
        step = tg.compile(step)

    def run():
        loss = step(X, Y)
        return result(loss.numpy(), [w.grad.numpy() for w in params])
    return run


def tinygrad_la_compiled(p: Problem):
    return tinygrad_la_nn(p, compiled=True)


def torch_nn(p: Problem):
    """The same program on PyTorch: torch.nn.Sequential + MSELoss + SGD."""
    import torch
    X, Y = torch.from_numpy(p.X), torch.from_numpy(p.Y)
    model = torch.nn.Sequential(*layers_of(torch.nn, len(p.layers)))
    with torch.no_grad():
        for param, value in zip(model.parameters(), p.weights()):
            param.copy_(torch.from_numpy(value))
    params = list(model.parameters())
    loss_fn, optimizer = torch.nn.MSELoss(), torch.optim.SGD(params, lr=p.lr)

    def run():
        optimizer.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
        return result(loss.detach().numpy(), [w.grad.numpy() for w in params])
    return run


TINYGRAD_NN = "tinygrad_la (nn)"
TINYGRAD_COMPILED = "tinygrad_la (compiled)"
PYTORCH = "PyTorch (nn)"

ENGINES = [
    Engine(BASELINE, numpy_hand),
    Engine(TINYGRAD_NN, tinygrad_la_nn, needs=("tinygrad_la.nn", "tinygrad_la.optim")),
    Engine(TINYGRAD_COMPILED, tinygrad_la_compiled, needs=("tinygrad_la.nn", "tinygrad_la.optim")),
    Engine(PYTORCH, torch_nn, needs=("torch",)),
]


def points(batches=BATCHES, depths=DEPTHS) -> list[tuple[str, int, int]]:
    """(sweep, batch, depth) of every row: the batch sweep, then the depth sweep."""
    return ([("batch", n, BATCH_SWEEP_DEPTH) for n in batches]
            + [("depth", DEPTH_SWEEP_BATCH, d) for d in depths])


def workload(batch: int, depth: int) -> Workload:
    return Workload(name=f"scaling N={batch} L={depth}",
                    title=f"{depth} x Linear({WIDTH}, {WIDTH}) MLP step, batch {batch}, MSE + SGD, float32",
                    unit="one SGD step", make_problem=make_problem, engines=ENGINES,
                    rtol=1e-4, atol=1e-5, check_runs=2)


# --- the sweep ------------------------------------------------------------------------------------

@dataclass
class Row:
    sweep: str
    batch: int
    depth: int
    outcomes: dict[str, Outcome]
    inner: int = 1

    def median(self, engine: str) -> float | None:
        outcome = self.outcomes.get(engine)
        return outcome.median if outcome else None


@dataclass
class ScalingResult:
    rows: list[Row] = field(default_factory=list)
    repeats: int = 0


def run_point(sweep: str, batch: int, depth: int, repeats: int, quick: bool = False,
              timed: bool = True) -> Row:
    """Check every engine at one (batch, depth), then time them interleaved (unless timed=False)."""
    w = workload(batch, depth)
    outcomes = check(w, make_problem(batch=batch, depth=depth), skip_slow=quick)
    inner = 1
    if timed:
        start = time.perf_counter()
        outcomes[BASELINE].run()
        one = time.perf_counter() - start
        inner = max(1, math.ceil(SAMPLE_SECONDS / max(one, 1e-7)))
        time_runs(outcomes, repeats, inner)
    for outcome in outcomes.values():
        outcome.run = None
    return Row(sweep, batch, depth, outcomes, inner)


def run_scaling(repeats: int, quick: bool, log, batches=BATCHES, depths=DEPTHS, timed: bool = True) -> ScalingResult:
    """Every point of both sweeps, in the table's order."""
    result = ScalingResult(repeats=repeats if timed else 0)
    done: dict[tuple[int, int], Row] = {}
    for sweep, batch, depth in points(batches, depths):
        if (batch, depth) in done:             # the point both sweeps pass through: measured once
            result.rows.append(dataclasses.replace(done[batch, depth], sweep=sweep))
            continue
        log(f"scaling: batch {batch}, depth {depth}")
        row = done[batch, depth] = run_point(sweep, batch, depth, repeats, quick, timed)
        for outcome in row.outcomes.values():
            if outcome.status not in ("ok", "not installed"):
                log(f"  {outcome.engine}: {outcome.status} ({outcome.note})")
        result.rows.append(row)
    return result


# --- the report -----------------------------------------------------------------------------------

def cell(row: Row, engine: str) -> str:
    """'812.4 µs (2.31x)': the median step and its ratio to hand NumPy, or why there is none."""
    outcome = row.outcomes.get(engine)
    if outcome is None:
        return "—"
    if outcome.status != "ok":
        return outcome.status if outcome.status != "wrong" else "WRONG"
    seconds, base = outcome.median, row.median(BASELINE)
    if seconds is None:
        return "checked, not timed"
    if engine == BASELINE or not base:
        return format_seconds(seconds)
    return f"{format_seconds(seconds)} ({seconds / base:.2f}x)"


def report_lines(result: ScalingResult) -> list[str]:
    names = [e.name for e in ENGINES]
    rows = [[r.sweep, str(r.batch), str(r.depth)] + [cell(r, n) for n in names] for r in result.rows]
    lines = [f"One SGD step (forward, backward, update) of `L` × Linear({WIDTH}, {WIDTH}) with ReLU between, "
             f"MSE loss, float32; the batch sweep at depth {BATCH_SWEEP_DEPTH}, the depth sweep at batch "
             f"{DEPTH_SWEEP_BATCH}. Median of {result.repeats} interleaved samples, each the mean of as many "
             f"steps as hand NumPy needs for {SAMPLE_SECONDS * 1e3:.0f} ms; in brackets the ratio to hand "
             "NumPy. Each engine was first checked against hand NumPy's loss and gradients over two steps.",
             ""]
    lines += table(rows, ["sweep", "batch N", "depth L"] + names)
    notes = [f"- {r.batch}/{r.depth} {o.engine}: {o.status}: {o.note}" for r in result.rows
             for o in r.outcomes.values() if o.status not in ("ok",)]
    if notes:
        lines += ["", "Engines not timed:", ""] + notes
    return lines
