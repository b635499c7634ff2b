"""sine: the chapter's exercise 6 (23.26.6), a 1-12-1 ReLU network fitted to sin(3x), float64.

The hand NumPy version is the chapter's own loop; every other engine trains the same model
from the same initial weights for the same 1500 full-batch SGD steps (η = 0.02):

    Z1 = X W1ᵀ + 1 b1ᵀ,  H = ReLU(Z1),  Ŷ = H W2ᵀ + 1 b2ᵀ,  loss = mean((Ŷ - y)²)

and must reproduce the chapter's loss curve and final weights before it is timed. One timed run
is the whole training loop, including reading each step's loss (the chapter keeps them all).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demos import exercise6

from .harness import BASELINE, Engine, Goal, GoalStatus, Workload, WorkloadResult, ratio_goal


@dataclass
class Problem:
    X: np.ndarray    # (120, 1) inputs in [-2, 2]
    y: np.ndarray    # (120, 1) noisy sin(3x)
    W1: np.ndarray   # (12, 1)
    b1: np.ndarray   # (12,)
    W2: np.ndarray   # (1, 12)
    b2: np.ndarray   # (1,)
    steps: int
    eta: float

    def weights(self) -> list[np.ndarray]:
        """Fresh copies of the initial weights, in the order W1, b1, W2, b2."""
        return [self.W1.copy(), self.b1.copy(), self.W2.copy(), self.b2.copy()]

    def initial(self) -> dict[str, np.ndarray]:
        """The initial weights by name, as demos.exercise6 takes them (it copies what it changes)."""
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2, "b2": self.b2}


def make_problem(steps: int = exercise6.STEPS, points: int = exercise6.POINTS) -> Problem:
    """The chapter's data and initial weights: np.random.seed(3), then the same draws in order."""
    X, y, weights = exercise6.make_data_and_weights(exercise6.SEED, points)
    return Problem(X, y, **weights, steps=steps, eta=exercise6.ETA)


def result(losses, weights) -> dict:
    """What the gate compares: each step's loss and the final W1, b1, W2, b2 (by name, or a list in that order)."""
    named = weights if isinstance(weights, dict) else dict(zip(exercise6.NAMES, weights))
    return {"losses": np.asarray(losses), **named}


# --- engines --------------------------------------------------------------------------------------

def numpy_hand(p: Problem):
    """The chapter's loop (gradients derived by hand)."""
    def run():
        return result(*exercise6.numpy_training(p.X, p.y, p.initial(), p.steps, p.eta))
    return run


def tinygrad_la_tensors(p: Problem):
    """The same model written with raw tensors: backward() instead of the hand-derived gradients."""
    import tinygrad_la as tg
    X, y = tg.tensor(p.X), tg.tensor(p.y)

    def run():
        return result(*exercise6.tensor_training(X, y, p.initial(), p.steps, p.eta))
    return run


def tinygrad_la_nn(p: Problem, compiled: bool = False):
    """The way users write it: nn.Sequential, nn.MSELoss, optim.SGD (chapter weights copied in)."""
    import tinygrad_la as tg
    X, y = tg.tensor(p.X), tg.tensor(p.y)

    def run():
        model = exercise6.make_model(p.initial())
        losses = exercise6.nn_training(model, X, y, p.steps, p.eta, compiled=compiled)
        return result(losses, [w.numpy().copy() for w in model.parameters()])
    return run


def tinygrad_la_compiled(p: Problem):
    """The nn version's step under tinygrad_la.compile: traced once, replayed as plain NumPy calls."""
    return tinygrad_la_nn(p, compiled=True)


def torch_tensors(p: Problem):
    import torch
    X, y, eta = torch.from_numpy(p.X), torch.from_numpy(p.y), p.eta

    def run():
        params = [torch.tensor(w, requires_grad=True) for w in p.weights()]
        W1, b1, W2, b2 = params
        losses = np.empty(p.steps)
        for step in range(p.steps):
            Yhat = torch.relu(X @ W1.T + b1) @ W2.T + b2
            loss = ((Yhat - y) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                for w in params:
                    w -= eta * w.grad
                    w.grad = None
            losses[step] = loss.item()
        return result(losses, [w.detach().numpy() for w in params])
    return run


def mygrad_tensors(p: Problem):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    X, y, eta = p.X, p.y, p.eta

    def run():
        params = [mg.tensor(w) for w in p.weights()]
        W1, b1, W2, b2 = params
        losses = np.empty(p.steps)
        for step in range(p.steps):
            Yhat = mg.matmul(relu(mg.matmul(X, W1.T) + b1), W2.T) + b2
            loss = mg.mean((Yhat - y) ** 2)
            loss.backward()
            for w in params:
                w.data -= eta * w.grad
            losses[step] = loss.item()
        return result(losses, [w.data for w in params])
    return run


def autograd_functional(p: Problem):
    """HIPS autograd differentiates a function of the weights; the update is plain NumPy."""
    import autograd.numpy as anp
    from autograd import value_and_grad
    X, y, eta = p.X, p.y, p.eta

    def mse(params):
        W1, b1, W2, b2 = params
        Yhat = anp.maximum(0, X @ W1.T + b1) @ W2.T + b2
        return anp.mean((Yhat - y) ** 2)

    loss_and_grads = value_and_grad(mse)

    def run():
        params = p.weights()
        losses = np.empty(p.steps)
        for step in range(p.steps):
            loss, grads = loss_and_grads(params)
            for w, g in zip(params, grads):
                w -= eta * g
            losses[step] = loss
        return result(losses, params)
    return run


TINYGRAD_RAW = "tinygrad_la (tensors)"
TINYGRAD_NN = "tinygrad_la (nn)"
TINYGRAD_COMPILED = "tinygrad_la (compiled)"

ENGINES = [
    Engine(BASELINE, numpy_hand),
    Engine(TINYGRAD_NN, tinygrad_la_nn, needs=("tinygrad_la.nn", "tinygrad_la.optim")),
    Engine(TINYGRAD_COMPILED, tinygrad_la_compiled, needs=("tinygrad_la.nn", "tinygrad_la.optim")),
    Engine(TINYGRAD_RAW, tinygrad_la_tensors, needs=("tinygrad_la",)),
    Engine("PyTorch (tensors)", torch_tensors, needs=("torch",)),
    Engine("MyGrad", mygrad_tensors, needs=("mygrad",)),
    Engine("HIPS autograd", autograd_functional, needs=("autograd",)),
]


def _compiled_goal(result: WorkloadResult) -> GoalStatus:
    ratio = result.ratio(TINYGRAD_COMPILED)
    if ratio is None:
        return GoalStatus(None, "no compiled engine yet")
    return GoalStatus(ratio <= 0.95, f"{ratio:.2f}x")


WORKLOAD = Workload(
    name="sine",
    title="chapter 23 ex. 6: 1-12-1 ReLU net on sin(3x), full-batch SGD, float64",
    unit="1500 training steps",
    make_problem=make_problem,
    engines=ENGINES,
    tiny=dict(steps=20, points=16),
    rtol=1e-8, atol=1e-12,
    repeats=7, quick_repeats=3,
    goals=[
        ratio_goal("sine, nn.Sequential + MSELoss + SGD, <= 2.0x hand NumPy", [TINYGRAD_NN, TINYGRAD_RAW],
                   2.0, stand_in="raw tensors standing in until nn exists"),
        Goal("sine compiled (tinygrad_la.compile) <= 0.95x hand NumPy", _compiled_goal),
    ],
)
