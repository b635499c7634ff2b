"""23.24 Exercise 6: train a tiny nonlinear model, a 1-12-1 ReLU network learning a noisy sine curve.

    python -m demos.sine [--steps 1500] [--seed 3] [--out out]

The chapter writes this network's backward pass by hand in NumPy (dY, dW2, db2, dH, dZ1, dW1, db1).
Here it is nn.Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Linear(12, 1)) with nn.MSELoss and
optim.SGD, started from the very weights the chapter draws with np.random, and backward() finds
the gradients. The demo runs the chapter's NumPy loop too and compares the two loss curves step
by step; with the chapter's settings the final loss must be 0.12352043669982682 to 1e-9 (the
chapter only plots its curve: this is what its code gives). Data, weights and both training
loops are demos/exercise6.py's.
Figures: sine_loss.png (Training a Tiny ReLU Network), sine_fit.png (... Learns a Nonlinear Curve).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import tinygrad_la as tg
from tinygrad_la import nn

try:
    from demos import common, exercise6
except ImportError:   # run as a file, `python demos/NAME.py`: this folder is on the path, not the repo
    import common
    import exercise6

STEPS, SEED, HIDDEN, ETA = exercise6.STEPS, exercise6.SEED, exercise6.HIDDEN, exercise6.ETA


def train(X: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray],
          steps: int) -> tuple[nn.Sequential, list[float]]:
    model = exercise6.make_model(weights)
    step = exercise6.sgd_step(model)
    X_t, y_t = tg.tensor(X), tg.tensor(y)   # (120, 1) each: one example per row
    losses = []
    bar = common.progress(steps, "sine")
    for _ in bar:
        losses.append(step(X_t, y_t).item())
        bar.set_postfix_str(f"loss {losses[-1]:.4f}", refresh=False)
    return model, losses


def graph_example() -> tuple[tg.Tensor, dict[str, tg.Tensor], nn.Module]:
    """One training step, for `python -m tinygrad_la.viz demos.sine`: (loss, the parameters and the
    inputs by name, model).

    The loss at the chapter's starting weights after backward, with the gradients and the inputs
    the ops saved, each layer's ops recorded by module.
    """
    loss, model, inputs = exercise6.first_step(SEED)
    return loss, {**dict(model.named_parameters()), **inputs}, model


def visible_bends(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, low: float = -2.0, high: float = 2.0,
                  share: float = 0.05, apart: float = 0.08) -> np.ndarray:
    """Where the fit bends (23.12), as one marker per bend that can be seen.

    Hidden unit j switches on where its score w1ⱼ x + b1ⱼ crosses 0, at x = -b1ⱼ / w1ⱼ, and there
    the fit's slope changes by w2ⱼ w1ⱼ. A bend is kept when it lies in [low, high] and changes the
    slope by at least `share` of the largest change (smaller ones cannot be seen), and bends closer
    than `apart` are drawn as one marker, at their middle.
    """
    change = np.abs(w2 * w1)
    with np.errstate(divide="ignore", invalid="ignore"):
        where = -b1 / w1
    keep = (w1 != 0) & (where >= low) & (where <= high) & (change >= share * change.max())
    bends = np.sort(where[keep])
    groups: list[list[float]] = []
    for x in bends:
        if groups and x - groups[-1][-1] < apart:
            groups[-1].append(float(x))
        else:
            groups.append([float(x)])
    return np.array([(g[0] + g[-1]) / 2 for g in groups])


def plot(report: common.Report, out: Path, X, y, prediction, kinks, losses, reference) -> None:
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, label="tinygrad_la: nn.Linear, backward(), optim.SGD")
    ax.plot(reference, linestyle=(0, (4, 4)), color="k", linewidth=1, label="the chapter's NumPy backprop")
    ax.set(xlabel="step", ylabel="MSE", title="Training a Tiny ReLU Network")
    ax.legend()
    ax.grid(True, alpha=0.3)
    report.save(fig, out, "sine_loss.png")

    fig, ax = plt.subplots(figsize=(9.5, 4))
    ax.scatter(X[:, 0], y[:, 0], s=20, alpha=0.55, label="data")
    ax.plot(X[:, 0], np.sin(3 * X[:, 0]), color="gray", linestyle=":", linewidth=1.5, label="sin(3x), without noise")
    ax.plot(X[:, 0], prediction[:, 0], color="C1", linewidth=2, label="network fit")
    bottom = ax.get_ylim()[0]
    ax.plot(kinks, np.full_like(kinks, bottom), "^", color="C3", markersize=7, clip_on=False,
            label="bends: a hidden unit switches on\n(its score w x + b = 0, 23.12); only\nbends that change the slope visibly,\nnear ones as one")
    ax.set(xlabel="x", ylabel="y", title="A Tiny Neural Network Learns a Nonlinear Curve", ylim=(bottom, None))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9)
    ax.grid(True, alpha=0.3)
    report.save(fig, out, "sine_fit.png")


def run(steps: int = STEPS, seed: int = SEED, out: Path = Path("out")) -> common.Report:
    report = common.Report("sine")
    print(f"23.24 exercise 6: 1-{HIDDEN}-1 ReLU network on a noisy sine, optim.SGD(lr={ETA}), {steps} steps, "
          f"seed {seed}")
    X, y, weights = exercise6.make_data_and_weights(seed)
    model, losses = train(X, y, weights, steps)
    reference, _ = exercise6.numpy_training(X, y, weights, steps)

    if (steps, seed) == (STEPS, SEED):
        print("  the final loss, against the chapter's code run as printed:")
        report.check("final loss", losses[-1], exercise6.FINAL_LOSS, tol=1e-9)
    else:
        print("  the final loss, against the chapter's NumPy loop run with the same steps and seed:")
        report.check("final loss", losses[-1], reference[-1], tol=1e-9)
    deviation = common.max_relative_difference(losses, reference)
    report.values["max relative deviation"] = deviation
    report.goal("loss curve", deviation <= 1e-9,
                f"loss curve vs the chapter's NumPy backprop, {steps} steps: max relative difference {deviation:.1e}")

    with tg.no_grad():
        prediction = model(tg.tensor(X)).numpy()
    w1, b1 = model[0].weight.numpy()[:, 0], model[0].bias.numpy()
    w2 = model[2].weight.numpy()[0]
    plot(report, out, X, y, prediction, visible_bends(w1, b1, w2), losses, reference)
    return report


def main(argv: list[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv, steps=STEPS, seed=SEED, seed_help="NumPy seed for data and weights")
    return run(args.steps, args.seed, args.out).exit_code()


if __name__ == "__main__":
    sys.exit(main())
