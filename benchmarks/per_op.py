"""per_op: the fixed cost of one op, on arrays so small that NumPy's own work is negligible.

    h₀ = x;  hₖ₊₁ = ReLU(hₖ · a + b)  for k < 33;  loss = Σ h₃₃

That is 99 elementwise ops (33 × mul, add, relu) on (4,) float64 arrays, then a sum; x, a and b
are leaves that require grad (a and b are used 33 times each, so their gradients accumulate).
One timed run is forward + backward + reading the gradients + resetting them to None. The
hand NumPy version does the same arithmetic, with the backward written out; the ratio is
roughly the engine's bookkeeping per op (recording a node, walking it, calling its backward)
over the cost of the two or three NumPy calls an op needs anyway.
"""
from __future__ import annotations

import importlib

from dataclasses import dataclass

import numpy as np

from .harness import BASELINE, Engine, Workload, ratio_goal

OPS_PER_LINK = 3   # mul, add, relu


@dataclass
class Problem:
    x: np.ndarray
    a: np.ndarray
    b: np.ndarray
    links: int

    @property
    def ops(self) -> int:
        return OPS_PER_LINK * self.links


def make_problem(links: int = 33, size: int = 4, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    return Problem(x=rng.uniform(0.5, 1.5, size), a=rng.uniform(0.9, 1.1, size),
                   b=rng.uniform(-0.05, 0.1, size), links=links)


def result(loss, dx, da, db) -> dict:
    return {"loss": loss, "x": dx, "a": da, "b": db}


# --- engines --------------------------------------------------------------------------------------

def numpy_hand(p: Problem):
    x, a, b = p.x, p.a, p.b

    def run():
        saved = []
        h = x
        for _ in range(p.links):
            z = h * a + b
            saved.append((h, z > 0))
            h = np.maximum(z, 0)
        loss = h.sum()

        g = np.ones_like(h)                 # d loss / d h₃₃
        da, db = np.zeros_like(a), np.zeros_like(b)
        for h_in, active in reversed(saved):
            g = g * active                  # through the ReLU
            db += g                         # through + b
            da += g * h_in                  # through · a
            g = g * a
        return result(loss, g, da, db)
    return run


def pytorch_api(library: str):
    """The chain of ops as PyTorch-API code, run on `library` (tinygrad_la or torch: the same source)."""
    def engine(p: Problem):
        torch = importlib.import_module(library)
        x, a, b = (torch.tensor(v, requires_grad=True) for v in (p.x, p.a, p.b))

        def run():
            h = x
            for _ in range(p.links):
                h = (h * a + b).relu()
            loss = h.sum()
            loss.backward()
            out = result(loss.item(), x.grad.numpy(), a.grad.numpy(), b.grad.numpy())
            x.grad = a.grad = b.grad = None
            return out
        return run
    return engine


def mygrad_tensors(p: Problem):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    x, a, b = (mg.tensor(v) for v in (p.x, p.a, p.b))

    def run():
        h = x
        for _ in range(p.links):
            h = relu(h * a + b)
        loss = h.sum()
        loss.backward()
        return result(loss.item(), x.grad, a.grad, b.grad)
    return run


def autograd_functional(p: Problem):
    import autograd.numpy as anp
    from autograd import value_and_grad

    def chain(leaves):
        x, a, b = leaves
        h = x
        for _ in range(p.links):
            h = anp.maximum(h * a + b, 0)
        return anp.sum(h)

    loss_and_grads = value_and_grad(chain)
    leaves = (p.x, p.a, p.b)

    def run():
        loss, (dx, da, db) = loss_and_grads(leaves)
        return result(loss, dx, da, db)
    return run


def micrograd_scalars(p: Problem):
    """micrograd has only scalars: the (4,) arrays become four independent scalar chains."""
    from micrograd.engine import Value
    xs, as_, bs = ([Value(float(v)) for v in arr] for arr in (p.x, p.a, p.b))
    leaves = xs + as_ + bs

    def run():
        loss = 0.0
        for x, a, b in zip(xs, as_, bs):
            h = x
            for _ in range(p.links):
                h = (h * a + b).relu()
            loss = h + loss
        loss.backward()
        out = result(loss.data, [v.grad for v in xs], [v.grad for v in as_], [v.grad for v in bs])
        for v in leaves:
            v.grad = 0
        return out
    return run


TINYGRAD = "tinygrad_la"

ENGINES = [
    Engine(BASELINE, numpy_hand),
    Engine(TINYGRAD, pytorch_api("tinygrad_la"), needs=("tinygrad_la",)),
    Engine("PyTorch", pytorch_api("torch"), needs=("torch",)),
    Engine("MyGrad", mygrad_tensors, needs=("mygrad",)),
    Engine("HIPS autograd", autograd_functional, needs=("autograd",)),
    Engine("micrograd (4 scalars)", micrograd_scalars, needs=("micrograd",)),
]

_OPS = make_problem().ops


WORKLOAD = Workload(
    name="per_op",
    title=f"{_OPS} tiny elementwise ops (mul/add/relu) on (4,) float64, forward + backward",
    unit=f"forward + backward of {_OPS} ops",
    make_problem=make_problem,
    engines=ENGINES,
    tiny=dict(links=2),
    rtol=1e-12, atol=1e-14,
    inner=100,
    repeats=15, quick_repeats=5,
    per_unit=lambda seconds: f"{seconds / _OPS * 1e6:.2f} µs/op",
    goals=[ratio_goal("per-op overhead <= 3.0x hand NumPy", [TINYGRAD], 3.0)],
)
