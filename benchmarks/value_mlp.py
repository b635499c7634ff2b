"""value_mlp: micrograd's demo, one training step of a scalar 2-16-16-1 MLP on 100 "moons" points.

Every weight, input and intermediate is one scalar `Value`, so one step records about 70 000
nodes; this measures the scalar engine (tinygrad_la.Value against the micrograd package).

    score = MLP(x)                       (ReLU, ReLU, linear; weights U(-1, 1), biases 0)
    loss  = mean(ReLU(1 - y·score)) + 1e-4 · Σ p²        (max-margin, y in {-1, +1})
    zero_grad, backward, p -= 1.0 · p.grad

The model code is micrograd's nn.MLP line for line (`sum((wᵢ·xᵢ ...), b)` per neuron) and runs
on either engine's Value class, so the two engines see the identical sequence of ops. The hand
NumPy version is the same model vectorized, with the backward written out: it is the reference
for the loss and the 337 gradients.

Each scalar engine runs twice: with Python's cycle collector on, as a user's script has it, and
with it off during the step (gc.disable() around it; the runner's gc.collect() between samples,
untimed, frees what the step left). micrograd's nodes hold closures that refer back to their
node, so its graph is cyclic garbage the collector must find: much of its time with the
collector on is the collector rescanning the growing graph, not the engine's arithmetic.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass

import numpy as np

from .harness import BASELINE, Engine, Goal, GoalStatus, Workload, WorkloadResult


@dataclass
class Problem:
    X: np.ndarray                                  # (N, 2)
    y: np.ndarray                                  # (N,) in {-1, +1}
    layers: list[tuple[np.ndarray, np.ndarray]]    # (W (out, in), b (out,)) per layer
    alpha: float = 1e-4
    lr: float = 1.0

    def flat_grads_order(self) -> list[tuple[int, int, int | None]]:
        """micrograd's parameters() order: layer by layer, neuron by neuron, its w's then its b."""
        order = []
        for k, (W, _) in enumerate(self.layers):
            for i in range(W.shape[0]):
                order += [(k, i, j) for j in range(W.shape[1])] + [(k, i, None)]
        return order


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's make_moons(n, noise) without sklearn: two interleaved half circles."""
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5])])
    y = np.hstack([np.zeros(n_out), np.ones(n_in)])
    return X + rng.normal(scale=noise, size=X.shape), y * 2 - 1


def make_problem(points: int = 100, sizes: tuple[int, ...] = (2, 16, 16, 1), seed: int = 1337) -> Problem:
    rng = np.random.default_rng(seed)
    X, y = moons(points, 0.1, rng)
    layers = [(rng.uniform(-1, 1, (n_out, n_in)), np.zeros(n_out)) for n_in, n_out in zip(sizes, sizes[1:])]
    return Problem(X, y, layers)


# --- the scalar model, for any micrograd-style Value class ----------------------------------------

class ScalarMLP:
    """micrograd.nn.MLP with given weights: neurons are lists of Values."""

    def __init__(self, Value, layers) -> None:
        self.layers = [[([Value(float(w)) for w in W[i]], Value(float(b[i]))) for i in range(len(b))]
                       for W, b in layers]
        self.params = [p for layer in self.layers for w, b in layer for p in w + [b]]

    def __call__(self, x):
        for k, layer in enumerate(self.layers):
            last = k == len(self.layers) - 1
            x = [self._neuron(w, b, x, relu=not last) for w, b in layer]
        return x[0]

    @staticmethod
    def _neuron(w, b, x, relu):
        act = sum((wi * xi for wi, xi in zip(w, x)), b)
        return act.relu() if relu else act


def scalar_engine(Value):
    """An engine function for one Value class (micrograd's or tinygrad_la's)."""
    def build(p: Problem):
        model = ScalarMLP(Value, p.layers)
        X, y = p.X.tolist(), p.y.tolist()

        def run():
            inputs = [[Value(v) for v in row] for row in X]
            scores = [model(row) for row in inputs]
            losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            reg_loss = p.alpha * sum(q * q for q in model.params)
            total = data_loss + reg_loss
            for q in model.params:
                q.grad = 0.0
            total.backward()
            grads = [q.grad for q in model.params]
            for q in model.params:
                q.data -= p.lr * q.grad
            return {"loss": total.data, "grads": grads}
        return run
    return build


# --- engines --------------------------------------------------------------------------------------

def numpy_hand(p: Problem):
    """The same model vectorized over the 100 points, backward by hand."""
    X, y, alpha, lr = p.X, p.y[:, None], p.alpha, p.lr
    layers = [(W.copy(), b.copy()) for W, b in p.layers]
    order = p.flat_grads_order()

    def run():
        acts, pre = [X], []
        for k, (W, b) in enumerate(layers):
            Z = acts[-1] @ W.T + b
            pre.append(Z)
            acts.append(np.maximum(Z, 0) if k < len(layers) - 1 else Z)
        margins = 1 - y * acts[-1]
        data_loss = np.maximum(margins, 0).mean()
        reg_loss = alpha * sum((W * W).sum() + (b * b).sum() for W, b in layers)

        G = -y * (margins > 0) / len(X)        # d loss / d score
        grads = []
        for k in reversed(range(len(layers))):
            W, b = layers[k]
            if k < len(layers) - 1:
                G = G * (pre[k] > 0)
            grads.insert(0, (G.T @ acts[k] + 2 * alpha * W, G.sum(axis=0) + 2 * alpha * b))
            G = G @ W
        flat = [grads[k][0][i, j] if j is not None else grads[k][1][i] for k, i, j in order]
        for (W, b), (dW, db) in zip(layers, grads):
            W -= lr * dW
            b -= lr * db
        return {"loss": data_loss + reg_loss, "grads": flat}
    return run


def tinygrad_la_value(p: Problem):
    from tinygrad_la.value import Value
    return scalar_engine(Value)(p)


def micrograd_value(p: Problem):
    from micrograd.engine import Value
    return scalar_engine(Value)(p)


def collector_off(build):
    """The same engine with Python's cycle collector disabled while a step runs."""
    def build_off(p: Problem):
        step = build(p)

        def run():
            was_on = gc.isenabled()
            gc.disable()
            try:
                return step()
            finally:
                if was_on:
                    gc.enable()
        return run
    return build_off


TINYGRAD = "tinygrad_la Value"
MICROGRAD = "micrograd"
OFF = " (collector off)"

ENGINES = [
    Engine(BASELINE, numpy_hand),
    Engine(TINYGRAD, tinygrad_la_value, needs=("tinygrad_la.value",)),
    Engine(MICROGRAD, micrograd_value, needs=("micrograd",)),
    Engine(TINYGRAD + OFF, collector_off(tinygrad_la_value), needs=("tinygrad_la.value",)),
    Engine(MICROGRAD + OFF, collector_off(micrograd_value), needs=("micrograd",)),
]


def speedup_goal(suffix: str, limit: float) -> Goal:
    """tinygrad_la's Value at least `limit` times faster than micrograd, both with the collector as `suffix` says."""
    ours_name, theirs_name = TINYGRAD + suffix, MICROGRAD + suffix
    state = "off" if suffix else "on"

    def evaluate(res: WorkloadResult) -> GoalStatus:
        ours, theirs = res.median(ours_name), res.median(theirs_name)
        if ours is None or theirs is None:
            return GoalStatus(None, f"needs both {ours_name} and {theirs_name}")
        return GoalStatus(theirs / ours >= limit, f"{theirs / ours:.2f}x micrograd's speed (collector {state})")
    return Goal(f"Value engine >= {limit:g}x faster than micrograd on its MLP, collector {state}", evaluate)


WORKLOAD = Workload(
    name="value_mlp",
    title="micrograd's scalar MLP 2-16-16-1 on 100 moons points (max-margin + L2), float64",
    unit="one step (forward, backward, update)",
    make_problem=make_problem,
    engines=ENGINES,
    tiny=dict(points=6, sizes=(2, 4, 3, 1)),
    rtol=1e-9, atol=1e-12,
    repeats=5, quick_repeats=1,
    goals=[speedup_goal("", 2.0), speedup_goal(OFF, 2.0)],
)
