"""23.16 A tiny regression training example: ŷ = w x + b, trained with autodiff.

    python -m demos.regression [--steps 300] [--seed 7] [--out out]

The chapter derives dL/dw and dL/db by hand; here the model is an nn.Linear(1, 1) (its weight is w,
its bias is b), the loss is nn.MSELoss (23.14) and optim.SGD takes the steps θ ← θ − η ∇L (23.15),
with the gradients found by backward(). With the chapter's settings the result must be the
chapter's (w, b, last loss) to 1e-9; with others, the chapter's own loop run with the same settings.
Figures: regression_loss.png (Training Reduces Loss), regression_fit.png (A Learned Linear Model).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import tinygrad_la as tg
from tinygrad_la import nn, optim

try:
    from demos import common
except ImportError:   # run as a file, `python demos/NAME.py`: this folder is on the path, not the repo
    import common

STEPS, SEED, ETA = 300, 7, 0.04
CHAPTER = {"w": 1.8025337939337942, "b": -0.6310421664257352, "last loss": 0.2776807055918692}


def make_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """80 points on the line y = 1.8 x - 0.6, plus noise, drawn exactly as the chapter does."""
    np.random.seed(seed)
    X_train = np.linspace(-3, 3, 80)
    y_train = 1.8 * X_train - 0.6 + 0.5 * np.random.normal(size=80)
    return X_train, y_train


def chapter_loop(X_train: np.ndarray, y_train: np.ndarray, steps: int, eta: float) -> tuple[float, float, list]:
    """The chapter's own loop, with the gradients of the mean squared error derived by hand."""
    w, b, loss_history = 0.0, 0.0, []
    for _ in range(steps):
        error = w * X_train + b - y_train
        loss_history.append(np.mean(error**2))
        grad_w, grad_b = 2 * np.mean(error * X_train), 2 * np.mean(error)
        w, b = w - eta * grad_w, b - eta * grad_b
    return w, b, loss_history


def make_model() -> nn.Linear:
    """ŷ = w x + b as a layer with one input and one output, started at w = b = 0 like the chapter."""
    model = nn.Linear(1, 1)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    return model


def as_columns(X_train: np.ndarray, y_train: np.ndarray) -> tuple[tg.Tensor, tg.Tensor]:
    """One example per row (23.10): X is (80, 1), y is (80, 1), the shapes a Linear(1, 1) reads and writes."""
    return tg.tensor(X_train).reshape(-1, 1), tg.tensor(y_train).reshape(-1, 1)


def train(X_train: np.ndarray, y_train: np.ndarray, steps: int, eta: float = ETA) -> tuple[nn.Linear, list[float]]:
    model = make_model()
    loss_fn = nn.MSELoss()                                # 23.14  L = (1/N) Σ (ŷ_i − y_i)²
    optimizer = optim.SGD(model.parameters(), lr=eta)     # 23.15  θ ← θ − η ∇L
    X, y = as_columns(X_train, y_train)
    loss_history = []
    bar = common.progress(steps, "regression")
    for _ in bar:
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)       # forward: ŷ = X wᵀ + 1 b, then the mean squared error
        loss_history.append(loss.item())  # the loss before this step's update, as the chapter records it
        loss.backward()                   # dL/dw and dL/db land in model.weight.grad and model.bias.grad
        optimizer.step()
        bar.set_postfix_str(f"loss {loss_history[-1]:.4f}", refresh=False)
    return model, loss_history


def graph_example() -> tuple[tg.Tensor, dict[str, tg.Tensor], nn.Module]:
    """One training step, for `python -m tinygrad_la.viz demos.regression`: (loss, parameters, model).

    The loss at w = b = 0, after loss.backward(retain_graph=True) so the picture shows the gradients
    and the inputs the ops saved; record_modules lets it box the layer's ops.
    """
    from tinygrad_la.viz import record_modules
    model = make_model()
    X, y = as_columns(*make_data(SEED))
    with record_modules(model):
        loss = nn.MSELoss()(model(X), y)
    loss.backward(retain_graph=True)
    return loss, dict(model.named_parameters()), model


def plot(report: common.Report, out: Path, X_train, y_train, w: float, b: float, loss_history: list[float]) -> None:
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(loss_history)
    ax.annotate(f"last loss {loss_history[-1]:.4f}", xy=(len(loss_history) - 1, loss_history[-1]),
                xytext=(0, 18), textcoords="offset points", ha="right")
    ax.set_yscale("log")   # the loss falls by orders of magnitude, then levels off at the noise
    ax.set(xlabel="training step", ylabel="mean squared error (log scale)", title="Training Reduces Loss")
    ax.grid(True, which="both", alpha=0.3)
    report.save(fig, out, "regression_loss.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(X_train, y_train, alpha=0.65, label="data")
    sign = "−" if b < 0 else "+"
    ax.plot(X_train, w * X_train + b, color="C1", linewidth=2,
            label=f"learned model: ŷ = {w:.3f} x {sign} {abs(b):.3f}")
    ax.set(xlabel="x", ylabel="y", title="A Learned Linear Model")
    ax.legend()
    ax.grid(True, alpha=0.3)
    report.save(fig, out, "regression_fit.png")


def run(steps: int = STEPS, seed: int = SEED, out: Path = Path("out")) -> common.Report:
    report = common.Report("regression")
    print(f"23.16 regression ŷ = w x + b: nn.Linear(1, 1) from zero, nn.MSELoss, optim.SGD(lr={ETA}), "
          f"{steps} steps, seed {seed}")
    X_train, y_train = make_data(seed)
    model, loss_history = train(X_train, y_train, steps)
    w, b = model.weight.item(), model.bias.item()

    w_ref, b_ref, history_ref = chapter_loop(X_train, y_train, steps, ETA)
    if (steps, seed) == (STEPS, SEED):
        print("  (w, b, last loss), against the numbers the chapter prints:")
        want = CHAPTER
    else:
        print("  (w, b, last loss), against the chapter's loop run with the same steps and seed:")
        want = {"w": w_ref, "b": b_ref, "last loss": history_ref[-1]}
    report.check("w", w, want["w"], tol=1e-9)
    report.check("b", b, want["b"], tol=1e-9)
    report.check("last loss", loss_history[-1], want["last loss"], tol=1e-9)
    deviation = common.max_relative_difference(loss_history, history_ref)
    report.values["max relative deviation"] = deviation
    report.goal("loss curve", deviation <= 1e-9,
                f"loss curve vs the chapter's hand-derived gradients: max relative difference {deviation:.1e}")

    plot(report, out, X_train, y_train, w, b, loss_history)
    return report


def main(argv: list[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv, steps=STEPS, seed=SEED, seed_help="NumPy seed for the data")
    return run(args.steps, args.seed, args.out).exit_code()


if __name__ == "__main__":
    sys.exit(main())
