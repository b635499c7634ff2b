"""Chapter 23, *Neural Networks as Matrix Machines*, computed with tinygrad_la.

    python -m demos.chapter --out out [--steps N] [--seed S]

(a) 23.1  the small neuron, with Tensors and with scalar Values, and its gradients;
(b) 23.9  a forward pass through a two-layer network, and 23.10 the same layer on a batch;
(c) 23.16 the tiny regression, trained with autodiff instead of hand-derived gradients.

Every number the chapter prints is checked; the demo exits non-zero if one differs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import tinygrad_la as tg

F64 = np.float64  # the chapter computes in float64, and so do we (dtype=tg.float64), to match it to 1e-9
failures: list[str] = []


def check(name: str, got, want, tol: float = 1e-12) -> None:
    """Print `name = got` and record a failure if it is not within `tol` of the chapter's `want`."""
    got, want = np.asarray(got, dtype=F64), np.asarray(want, dtype=F64)
    ok = got.shape == want.shape and np.allclose(got, want, rtol=0.0, atol=tol)
    prefix = f"  {name} = "
    shown = repr(float(got)) if got.ndim == 0 else np.array2string(got, separator=", ", prefix=prefix)
    print(prefix + shown + ("" if ok else f"   MISMATCH: the chapter has {want.tolist()}"))
    if not ok:
        failures.append(name)


def neuron() -> None:
    """23.1, Example 23.1: z = w·x + b, h = ReLU(z), then backward."""
    print("(a) 23.1 a small neuron: x=[2,3], w=[0.5,-1], b=1")
    x = tg.tensor([2.0, 3.0], dtype=tg.float64)
    w = tg.tensor([0.5, -1.0], requires_grad=True, dtype=tg.float64)
    b = tg.tensor(1.0, requires_grad=True, dtype=tg.float64)
    z = w @ x + b
    h = z.relu()
    h.backward()
    check("z", z.item(), -1.0)
    check("h", h.item(), 0.0)
    # The score is negative, so the ReLU is flat there: no gradient reaches w.
    check("dh/dw", w.grad.numpy(), [0.0, 0.0])
    check("dh/dz", b.grad.item(), 0.0)  # dz/db = 1, so dh/db is dh/dz

    print("  the same neuron with scalar Values, and with tanh, whose slope is never 0:")
    for activation in ("relu", "tanh"):
        x1, x2 = tg.Value(2.0), tg.Value(3.0)
        w1, w2, bv = tg.Value(0.5), tg.Value(-1.0), tg.Value(1.0)
        zv = w1 * x1 + w2 * x2 + bv
        hv = zv.relu() if activation == "relu" else zv.tanh()
        hv.backward()
        slope = 0.0 if activation == "relu" else 1.0 - np.tanh(-1.0) ** 2  # dh/dz by hand
        check(f"{activation}: h", hv.data, 0.0 if activation == "relu" else np.tanh(-1.0))
        check(f"{activation}: dh/dw", [w1.grad, w2.grad], [slope * 2.0, slope * 3.0])
        check(f"{activation}: dh/dz", bv.grad, slope)


def forward_and_batch() -> None:
    """23.9 forward propagation, and 23.10 the batch version Z = X W1ᵀ + 1 b1ᵀ."""
    print("(b) 23.9 forward pass: h = ReLU(W1 x + b1), y_hat = W2 h + b2")
    x = tg.tensor([2.0, 3.0], dtype=tg.float64)
    W1 = tg.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], dtype=tg.float64)
    b1 = tg.tensor([0.0, 0.0, 1.0], dtype=tg.float64)
    W2 = tg.tensor([[1.0, 1.0, -1.0]], dtype=tg.float64)
    b2 = tg.tensor([0.5], dtype=tg.float64)
    h = (W1 @ x + b1).relu()
    y_hat = W2 @ h + b2
    check("h", h.numpy(), [2.0, 3.0, 0.0])
    check("y_hat", y_hat.numpy(), [5.5])

    print("(b) 23.10 a batch of 4 examples, one per row: H = ReLU(X W1ᵀ + 1 b1ᵀ)")
    X = tg.tensor([[2.0, 3.0], [1.0, 1.0], [4.0, 0.5], [-1.0, 2.0]], dtype=tg.float64)
    H = (X @ W1.T + b1).relu()
    check("H", H.numpy(), [[2.0, 3.0, 0.0], [1.0, 1.0, 1.0], [4.0, 0.5, 4.5], [0.0, 2.0, 0.0]])


def regression_by_hand(X: np.ndarray, y: np.ndarray, steps: int, eta: float):
    """The chapter's own loop (23.16), with the gradients of the MSE derived by hand."""
    w = b = loss = 0.0
    for _ in range(steps):
        error = w * X + b - y
        loss = np.mean(error**2)
        w, b = w - eta * 2 * np.mean(error * X), b - eta * 2 * np.mean(error)
    return w, b, loss


def regression(steps: int, seed: int, out: Path) -> None:
    """23.16 fit y_hat = w x + b by gradient descent; backward() finds dL/dw and dL/db."""
    print(f"(c) 23.16 regression y_hat = w x + b, trained with autodiff ({steps} steps, seed {seed})")
    np.random.seed(seed)
    X_train = np.linspace(-3, 3, 80)
    y_train = 1.8 * X_train - 0.6 + 0.5 * np.random.normal(size=80)
    X, y = tg.tensor(X_train, dtype=tg.float64), tg.tensor(y_train, dtype=tg.float64)

    w = tg.tensor(0.0, requires_grad=True, dtype=tg.float64)
    b = tg.tensor(0.0, requires_grad=True, dtype=tg.float64)
    eta = 0.04
    loss_history = []
    for _ in range(steps):
        loss = ((w * X + b - y) ** 2).mean()  # 23.14 mean squared error
        loss_history.append(loss.item())
        loss.backward()
        with tg.no_grad():  # 23.15 theta <- theta - eta * grad L; the update is not part of the graph
            w -= eta * w.grad
            b -= eta * b.grad
        w.grad = None
        b.grad = None

    got = (w.item(), b.item(), loss_history[-1])
    if (steps, seed) == (300, 7):
        want = (1.8025337939337942, -0.6310421664257352, 0.2776807055918692)
        print("  the chapter's (w, b, last loss):")
    else:
        want = regression_by_hand(X_train, y_train, steps, eta)
        print("  (w, b, last loss), against the chapter's loop with hand-derived gradients:")
    for name, g, v in zip(("w", "b", "last loss"), got, want):
        check(name, g, v, tol=1e-9)
    plot_regression(X_train, y_train, got[0], got[1], loss_history, out)


def plot_regression(X, y, w: float, b: float, loss_history: list[float], out: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        print("  (matplotlib is not installed: no figures; `pip install -e '.[demos]'` adds it)")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(loss_history)
    ax.set(xlabel="training step", ylabel="mean squared error", title="Training Reduces Loss")
    ax.grid(True, alpha=0.3)
    fig.savefig(out / "regression_loss.png", dpi=120, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(X, y, alpha=0.65, label="data")
    ax.plot(X, w * X + b, color="C1", label=f"learned model: y = {w:.3f} x {'-' if b < 0 else '+'} {abs(b):.3f}")
    ax.set(xlabel="x", ylabel="y", title="A Learned Linear Model")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.savefig(out / "regression_fit.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"  wrote {out / 'regression_loss.png'}")
    print(f"  wrote {out / 'regression_fit.png'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for figures (default: out)")
    parser.add_argument("--steps", type=int, default=300, help="gradient steps for 23.16 (default: 300)")
    parser.add_argument("--seed", type=int, default=7, help="NumPy seed for 23.16's data (default: 7)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")

    neuron()
    forward_and_batch()
    regression(args.steps, args.seed, args.out)
    if failures:
        print(f"FAILED: {len(failures)} value(s) differ from the chapter: {', '.join(failures)}")
        return 1
    print("all values match the chapter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
