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

from .harness import BASELINE, Engine, Goal, GoalStatus, Workload, WorkloadResult, ratio_goal

HIDDEN = 12


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


def make_problem(steps: int = 1500, points: int = 120) -> Problem:
    """The chapter's data and initial weights: np.random.seed(3), then the same draws in order."""
    rs = np.random.RandomState(3)   # the generator behind np.random.seed / np.random.randn
    X = np.linspace(-2, 2, points).reshape(-1, 1)
    y = (np.sin(3 * X[:, 0]) + 0.15 * rs.randn(points)).reshape(-1, 1)
    W1 = 0.5 * rs.randn(HIDDEN, 1)
    b1 = np.zeros((HIDDEN,))
    W2 = 0.5 * rs.randn(1, HIDDEN)
    b2 = np.zeros((1,))
    return Problem(X, y, W1, b1, W2, b2, steps, eta=0.02)


def result(losses: np.ndarray, weights: list) -> dict:
    return {"losses": losses, **dict(zip(("W1", "b1", "W2", "b2"), weights))}


# --- engines --------------------------------------------------------------------------------------

def numpy_hand(p: Problem):
    """The chapter's loop, verbatim (gradients derived by hand)."""
    X, y, eta = p.X, p.y, p.eta

    def run():
        W1, b1, W2, b2 = p.weights()
        losses = []
        for step in range(p.steps):
            Z1 = X @ W1.T + b1
            H = np.maximum(0, Z1)
            Yhat = H @ W2.T + b2
            E = Yhat - y
            loss = np.mean(E**2)
            losses.append(loss)

            dY = 2*E/len(X)
            dW2 = dY.T @ H
            db2 = dY.sum(axis=0)
            dH = dY @ W2
            dZ1 = dH * (Z1 > 0)
            dW1 = dZ1.T @ X
            db1 = dZ1.sum(axis=0)

            W2 -= eta*dW2
            b2 -= eta*db2
            W1 -= eta*dW1
            b1 -= eta*db1
        return result(np.array(losses), [W1, b1, W2, b2])
    return run


def tinygrad_la_tensors(p: Problem):
    """The same model written with raw tensors: backward() instead of the hand-derived gradients."""
    import tinygrad_la as tg
    X, y, eta = tg.tensor(p.X), tg.tensor(p.y), p.eta

    def run():
        params = [tg.tensor(w, requires_grad=True) for w in p.weights()]
        W1, b1, W2, b2 = params
        losses = np.empty(p.steps)
        for step in range(p.steps):
            Yhat = (X @ W1.T + b1).relu() @ W2.T + b2
            loss = ((Yhat - y) ** 2).mean()
            loss.backward()
            with tg.no_grad():
                for w in params:
                    w -= eta * w.grad
                    w.grad = None
            losses[step] = loss.item()
        return result(losses, [w.numpy() for w in params])
    return run


def tinygrad_la_nn(p: Problem):
    """The way users write it: nn.Sequential, nn.MSELoss, optim.SGD (chapter weights copied in)."""
    import tinygrad_la as tg
    from tinygrad_la import nn, optim
    X, y = tg.tensor(p.X), tg.tensor(p.y)

    def run():
        model = nn.Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Linear(12, 1))
        W1, b1, W2, b2 = p.weights()
        with tg.no_grad():
            for param, value in zip(model.parameters(), (W1, b1, W2, b2)):
                param.copy_(tg.tensor(value))
        loss_fn = nn.MSELoss()
        optimizer = optim.SGD(model.parameters(), lr=p.eta)
        losses = np.empty(p.steps)
        for step in range(p.steps):
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            losses[step] = loss.item()
        return result(losses, [w.numpy().copy() for w in model.parameters()])
    return run


def tinygrad_la_compiled(p: Problem):
    """The nn version's step under tinygrad_la.compile: traced once, replayed as plain NumPy calls."""
    import tinygrad_la as tg
    from tinygrad_la import nn, optim
    X, y = tg.tensor(p.X), tg.tensor(p.y)

    def run():
        model = nn.Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Linear(12, 1))
        with tg.no_grad():
            for param, value in zip(model.parameters(), p.weights()):
                param.copy_(tg.tensor(value))
        loss_fn = nn.MSELoss()
        optimizer = optim.SGD(model.parameters(), lr=p.eta)

        @tg.compile
        def train_step(X, y):
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            return loss

        losses = np.empty(p.steps)
        for step in range(p.steps):
            losses[step] = train_step(X, y).item()
        return result(losses, [w.numpy().copy() for w in model.parameters()])
    return run


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
TINYGRAD_COMPILED = "tinygrad_la (compiled)"  # issue 5, step 3

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
    return GoalStatus(ratio <= 1.2, f"{ratio:.2f}x")


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
        Goal("sine compiled (tinygrad_la.compile) <= 1.2x hand NumPy", _compiled_goal),
    ],
)
