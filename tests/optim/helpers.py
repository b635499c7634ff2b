"""Helpers shared by the optimizer tests.

The loss L(θ) = Σ (½ c θ² + sin θ) has the gradient c θ + cos θ, which the references compute
by hand, so they share nothing with the engine. `run_ours` takes a few steps of an optimizer on it;
each optimizer's test file writes its update rule out in NumPy (`ref_<name>`) and compares.
"""
from __future__ import annotations

import numpy as np

import tinygrad_la as tg


SHAPES = [(3,), (2, 4)]
COEF = 1.7


def start_values(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for shape in SHAPES]


def loss_of(params: list[tg.Tensor]) -> tg.Tensor:
    return sum(((0.5 * COEF) * p * p + p.sin()).sum() for p in params)


def grad_by_hand(theta: np.ndarray) -> np.ndarray:
    return COEF * theta + np.cos(theta)


def run_ours(cls: type, kwargs: dict, steps: int = 6, seed: int = 0) -> list[np.ndarray]:
    params = [tg.tensor(v, requires_grad=True) for v in start_values(seed)]
    opt = cls(params, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(params).backward()
        opt.step()
    return [p.numpy() for p in params]


def _network_start(seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    weights = [rng.normal(size=(5, 3)) * 0.5, rng.normal(size=5) * 0.1, rng.normal(size=(1, 5)) * 0.5,
               rng.normal(size=1) * 0.1]
    return X, y, weights


def _train_network(lib, make_tensor, opt_cls, kwargs, steps, schedule=None):
    """The same loop for both libraries: a 3-5-1 tanh network, MSE loss, float64."""
    X, y, weights = _network_start()
    params = [make_tensor(w, requires_grad=True) for w in weights]
    X, y = make_tensor(X), make_tensor(y)
    opt = opt_cls(params, **kwargs)
    scheduler = schedule(opt) if schedule else None
    losses = []
    for _ in range(steps):
        W1, b1, W2, b2 = params
        loss = (((X @ W1.T + b1).tanh() @ W2.T + b2 - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return np.array(losses)


def case_ids(cases: list) -> list[str]:
    """Test ids for (optimizer class, reference, options) cases: "Adam-lr=0.1-amsgrad=True"."""
    return [f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, _, kw in cases]


def assert_update_matches(cls: type, reference, kwargs: dict, steps: int = 6) -> None:
    """`steps` steps of the optimizer give what its update rule, written out in NumPy, gives."""
    for got, start in zip(run_ours(cls, kwargs, steps), start_values()):
        np.testing.assert_allclose(got, reference(start, steps, **kwargs), rtol=1e-12, atol=1e-14)
