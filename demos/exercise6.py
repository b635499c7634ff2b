"""Chapter 23, exercise 6, "train a tiny nonlinear model": the one definition the repo uses.

The chapter's Python practice (23.24; numbered 23.26.6 in the text) fits a 1-12-1 ReLU network

    Z1 = X W1ᵀ + 1 b1ᵀ,  H = ReLU(Z1),  Ŷ = H W2ᵀ + 1 b2ᵀ,  loss = mean((Ŷ - y)²)

to 120 noisy points of sin(3x) on [-2, 2], with gradients written by hand in NumPy and plain SGD
(η = 0.02, 1500 full-batch steps, np.random.seed(3)). The demos, the benchmarks and the tests
import it from here:

- make_data_and_weights: the data and the starting weights, drawn in the chapter's order;
- numpy_training: the chapter's loop, backward written by hand (dW2 = dYᵀ H, dW1 = dZ1ᵀ X, ...);
- tensor_training: the same model as raw tinygrad_la tensors, backward() finding the gradients;
- make_model, sgd_step, nn_training: the way users write it, nn.Sequential + nn.MSELoss +
  optim.SGD (and the same step under tinygrad_la.compile);
- first_step: the loss at the starting weights after one backward, for the graph pictures.

The chapter's code itself, as printed, is kept apart in tests/test_chapter.py as the oracle these
are tested against. The chapter only plots its loss curve and fit; FINAL_LOSS is what its code
gives when run.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

import tinygrad_la as tg
from tinygrad_la import nn, optim

SEED, POINTS, HIDDEN, ETA, STEPS = 3, 120, 12, 0.02, 1500
FINAL_LOSS = 0.12352043669982682   # the chapter's loop, run as printed: its loss after step 1500
NAMES = ("W1", "b1", "W2", "b2")    # the parameters in nn.Sequential's order

Weights = dict[str, np.ndarray]


def make_data_and_weights(seed: int = SEED, points: int = POINTS) -> tuple[np.ndarray, np.ndarray, Weights]:
    """X (points, 1) on [-2, 2], y = sin(3x) + 0.15 noise, then W1, b1, W2, b2, in the chapter's order.

    The weights come from the same stream after the noise, so the order of the draws is part of
    the data. A RandomState of its own gives the numbers np.random.seed(seed) gives, without
    resetting the global generator for everyone else.
    """
    rs = np.random.RandomState(seed)
    X = np.linspace(-2, 2, points).reshape(-1, 1)
    y = (np.sin(3 * X[:, 0]) + 0.15 * rs.randn(points)).reshape(-1, 1)
    weights = {
        "W1": 0.5 * rs.randn(HIDDEN, 1),   # (12, 1): one row per hidden neuron (23.4)
        "b1": np.zeros((HIDDEN,)),
        "W2": 0.5 * rs.randn(1, HIDDEN),   # (1, 12)
        "b2": np.zeros((1,)),
    }
    return X, y, weights


def numpy_training(X: np.ndarray, y: np.ndarray, weights: Weights, steps: int = STEPS,
                   eta: float = ETA) -> tuple[list[float], Weights]:
    """The chapter's loop with its hand-derived gradients: (the loss before each step, the final weights).

    `weights` is not changed: the loop updates copies in place, as the chapter does.
    """
    W1, b1, W2, b2 = (weights[name].copy() for name in NAMES)
    losses = []
    for _ in range(steps):
        Z1 = X @ W1.T + b1
        H = np.maximum(0, Z1)
        Yhat = H @ W2.T + b2
        E = Yhat - y
        losses.append(np.mean(E**2))

        dY = 2 * E / len(X)          # d loss / d Ŷ
        dW2, db2 = dY.T @ H, dY.sum(axis=0)
        dH = dY @ W2
        dZ1 = dH * (Z1 > 0)          # ReLU passes the gradient where its input was positive
        dW1, db1 = dZ1.T @ X, dZ1.sum(axis=0)

        W2 -= eta * dW2
        b2 -= eta * db2
        W1 -= eta * dW1
        b1 -= eta * db1
    return losses, dict(zip(NAMES, (W1, b1, W2, b2)))


def tensor_training(X: tg.Tensor, y: tg.Tensor, weights: Weights, steps: int = STEPS,
                    eta: float = ETA) -> tuple[list[float], Weights]:
    """The same network as four tensors: the chapter's forward pass, backward() instead of its dW's.

    X and y are tensors already (a caller that times this keeps the conversion outside).
    """
    params = [tg.tensor(weights[name], requires_grad=True) for name in NAMES]
    W1, b1, W2, b2 = params
    losses = []
    for _ in range(steps):
        Yhat = (X @ W1.T + b1).relu() @ W2.T + b2
        loss = ((Yhat - y) ** 2).mean()
        loss.backward()
        with tg.no_grad():   # the update is not part of anything to differentiate
            for w in params:
                w -= eta * w.grad
                w.grad = None
        losses.append(loss.item())
    return losses, {name: w.numpy() for name, w in zip(NAMES, params)}


def make_model(weights: Weights) -> nn.Sequential:
    """ŷ = W2 ReLU(W1 x + b1) + b2 (23.8) as nn.Sequential, holding the chapter's starting weights."""
    model = nn.Sequential(nn.Linear(1, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))
    with tg.no_grad():   # setting weights is not part of any computation to differentiate
        model[0].weight.copy_(weights["W1"])
        model[0].bias.copy_(weights["b1"])
        model[2].weight.copy_(weights["W2"])
        model[2].bias.copy_(weights["b2"])
    return model


def sgd_step(model: nn.Module, eta: float = ETA) -> Callable[[tg.Tensor, tg.Tensor], tg.Tensor]:
    """One training step as users write it, step(X, y) -> the loss before the update.

    Decorating the result with tinygrad_la.compile gives the traced and replayed version.
    """
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=eta)

    def step(X: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()      # all of the chapter's dW2, db2, dH, dZ1, dW1, db1, in one call
        optimizer.step()     # W ← W − η dW for all four parameters
        return loss
    return step


def nn_training(model: nn.Module, X: tg.Tensor, y: tg.Tensor, steps: int = STEPS, eta: float = ETA,
                compiled: bool = False) -> list[float]:
    """`steps` of sgd_step on (X, y) tensors, eagerly or under tinygrad_la.compile: each step's loss."""
    step = sgd_step(model, eta)
    if compiled:
        step = tg.compile(step)
    return [step(X, y).item() for _ in range(steps)]


def first_step(seed: int = SEED) -> tuple[tg.Tensor, nn.Sequential, dict[str, tg.Tensor]]:
    """The loss at the chapter's starting weights after loss.backward(retain_graph=True), the model,
    and the inputs by name ({"X": ..., "y (target)": ...}, for a picture to label them).

    The ops are recorded by module (so a picture can box each layer), and retain_graph keeps the
    inputs the ops saved, so X and y stay in the picture.
    """
    from tinygrad_la.viz import record_modules
    X, y, weights = make_data_and_weights(seed)
    model = make_model(weights)
    inputs = {"X": tg.tensor(X), "y (target)": tg.tensor(y)}
    with record_modules(model):
        loss = nn.MSELoss()(model(inputs["X"]), inputs["y (target)"])
    loss.backward(retain_graph=True)
    return loss, model, inputs
