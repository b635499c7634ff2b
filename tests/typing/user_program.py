"""A user's program, written as one would against PyTorch: it must type-check under `mypy --strict`
(tests/test_typing.py runs mypy on it) and run (the test runs it and reads the losses it prints).

The README's tour (tensors, backward, .grad, no_grad), then an MLP trained with SGD and Adam on
minibatches, a saved and reloaded state_dict, and a custom autograd Function.
"""
from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

import numpy as np

import tinygrad_la as tg
from tinygrad_la import nn, optim
from tinygrad_la.utils.data import DataLoader, TensorDataset


# --- the tour: a neuron, backward, a layer on a batch, no_grad ------------------------------------

def tour() -> None:
    """One neuron h = tanh(w·x + b), its gradients, and one gradient step on a layer's weights."""
    x = tg.tensor([2.0, 3.0])
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    b = tg.tensor(1.0, requires_grad=True)
    h: tg.Tensor = (w @ x + b).tanh()
    h.backward()
    assert w.grad is not None and b.grad is not None
    print("neuron:", h.item(), w.grad.tolist(), b.grad.item())

    X = tg.tensor([[2.0, 3.0], [1.0, 1.0], [4.0, 0.5], [-1.0, 2.0]])
    W = tg.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], requires_grad=True)
    b1 = tg.zeros(3, requires_grad=True)
    H = (X @ W.T + b1).relu()
    total = tg.sum(H)            # tg.sum, as torch.sum
    total.backward()
    grad = W.grad
    assert grad is not None
    with tg.no_grad():
        W -= 0.1 * grad
    print("layer:", W.requires_grad, W.grad_fn is None, tg.max(H).item())
    p = tg.softmax(tg.tensor([1.2, 3.5, 0.7]), dim=0)
    print("softmax:", [round(v, 4) for v in p.tolist()])


# --- a custom autograd Function -------------------------------------------------------------------

class Cube(tg.autograd.Function):
    """y = x³, with its derivative written by hand: dx = 3x² · g."""

    @staticmethod
    def forward(ctx: Any, x: tg.Tensor) -> tg.Tensor:
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx: Any, grad: tg.Tensor) -> tg.Tensor:
        x: tg.Tensor = ctx.saved_tensors[0]   # ctx is Any (as in PyTorch): say what it holds
        return 3 * x * x * grad


def custom_function() -> None:
    """Cube.apply against autograd.grad of x*x*x, and a gradcheck."""
    x = tg.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y: tg.Tensor = Cube.apply(x)
    (dx,) = tg.autograd.grad(y.sum(), [x])
    expected = 3 * x.detach() ** 2
    assert tg.allclose(dx, expected), (dx, expected)
    assert tg.gradcheck(Cube.apply, (x,))
    print("custom function:", dx.tolist())


# --- a model ----------------------------------------------------------------------------------------

class Regressor(nn.Module):
    """ŷ = W₂ ReLU(W₁ x + b₁) + b₂ for x: (N, 1)."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        out: tg.Tensor = self.body(x)
        return out


def train_regression(steps: int = 150) -> list[float]:
    """Fit sin(x) on [-3, 3] with MSELoss, SGD with momentum on minibatches from a DataLoader."""
    tg.manual_seed(0)
    X = tg.linspace(-3.0, 3.0, 64).reshape(-1, 1)
    y = tg.sin(X)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    model = Regressor()
    loss_fn = nn.MSELoss()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses: list[float] = []
    for _ in range(steps // len(loader)):
        epoch_loss = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss: tg.Tensor = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            epoch_loss += loss.item() * xb.shape[0]
        losses.append(epoch_loss / len(X))
    return losses


def train_classifier(epochs: int = 30) -> tuple[list[float], float, nn.Module]:
    """Two Gaussian blobs, an MLP with CrossEntropyLoss and Adam; returns losses, accuracy, model."""
    tg.manual_seed(1)
    rng = np.random.default_rng(1)
    points = np.concatenate([rng.normal(-1.0, 0.7, (50, 2)), rng.normal(1.0, 0.7, (50, 2))])
    labels = np.array([0] * 50 + [1] * 50, dtype=np.int64)
    X, y = tg.tensor(points), tg.tensor(labels)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=0.05)
    loader = DataLoader(TensorDataset(X, y), batch_size=20, shuffle=True)
    losses: list[float] = []
    for _ in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss: tg.Tensor = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(total / len(loader))
    model.eval()
    with tg.no_grad():
        logits: tg.Tensor = model(X)
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    return losses, accuracy, model


def save_and_reload(model: nn.Module) -> None:
    """state_dict through tg.save/tg.load into a fresh model gives the same outputs."""
    state: dict[str, tg.Tensor] = model.state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pt")
        tg.save(state, path)
        loaded = tg.load(path)
    twin = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    result = twin.load_state_dict(loaded)
    assert not result.missing_keys and not result.unexpected_keys
    probe = tg.randn(5, 2)
    with tg.no_grad():
        assert tg.allclose(model(probe), twin(probe))
    print("reloaded:", sorted(state))


def main() -> int:
    tour()
    custom_function()
    losses = train_regression()
    print(f"regression loss: first {losses[0]:.6f} last {losses[-1]:.6f}")
    class_losses, accuracy, model = train_classifier()
    print(f"classifier loss: first {class_losses[0]:.6f} last {class_losses[-1]:.6f} accuracy {accuracy:.2f}")
    save_and_reload(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
