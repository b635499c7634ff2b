"""The chapter's other pictures, computed with tinygrad_la instead of NumPy.

    python -m demos.figures [--seed 10] [--out out]

(a) 23.2  the three activation functions ReLU, sigmoid, tanh (Tensor.relu/.sigmoid/.tanh), and
          their derivatives, found by backward() rather than by formula: activations.png;
(b) 23.11 a ReLU neuron's linear boundary and nonlinear output, as nn.Linear(2, 1) + nn.ReLU()
          run on a 300×300 grid in one batch: relu_boundary.png;
(c) 23.24 exercise 4, the hidden representation of 300 random 2-D points through a ReLU layer
          with the exercise's W and b: hidden_representation.png.
Each picture's numbers are checked against the chapter's NumPy formulas.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import tinygrad_la as tg
from tinygrad_la import nn

try:
    from demos import common
except ImportError:   # run as a file, `python demos/NAME.py`: this folder is on the path, not the repo
    import common

SEED = 10   # exercise 4 draws its points with np.random.default_rng(10)


def activations(report: common.Report, out: Path) -> None:
    """23.2: ReLU(z) = max(0, z), sigmoid(z) = 1/(1 + e^-z), tanh(z); and d/dz of each by backward()."""
    print("(a) 23.2 activation functions, and their slopes from backward()")
    z_grid = np.linspace(-5, 5, 500)
    values, slopes = {}, {}
    for name in ("relu", "sigmoid", "tanh"):
        z = tg.tensor(z_grid, requires_grad=True)
        a = getattr(z, name)()          # z.relu(), z.sigmoid(), z.tanh(): one value per grid point
        a.sum().backward()              # d(Σ a_i)/dz_i = a'(z_i): each entry depends on its own z only
        values[name], slopes[name] = a.detach().numpy(), z.grad.numpy()

    # the chapter's formulas, and the slopes a calculus book gives: autodiff must agree with both
    sigmoid = 1 / (1 + np.exp(-z_grid))
    formulas = {"relu": (np.maximum(0, z_grid), (z_grid > 0).astype(float)),
                "sigmoid": (sigmoid, sigmoid * (1 - sigmoid)),
                "tanh": (np.tanh(z_grid), 1 - np.tanh(z_grid) ** 2)}
    for name, (value, slope) in formulas.items():
        differences = [np.max(np.abs(values[name] - value)), np.max(np.abs(slopes[name] - slope))]
        report.check(f"{name}: largest difference from the formula, value and slope", differences, [0, 0], tol=1e-15)

    plt = common.pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
    labels = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh"}
    for name, label in labels.items():
        left.plot(z_grid, values[name], label=label)
        if name != "relu":
            right.plot(z_grid, slopes[name], label=f"{label}'")
            continue
        # ReLU' is a step: 0 left of 0, 1 right of it, and no line between, as it is undefined at
        # z = 0 itself; there backward() gives 0 (PyTorch's choice): the filled dot
        negative = z_grid < 0
        (line,) = right.plot(z_grid[negative], slopes[name][negative], label=f"{label}'")
        right.plot(z_grid[~negative], slopes[name][~negative], color=line.get_color())
        right.plot([0], [1], "o", markerfacecolor="white", color=line.get_color(), zorder=3)
        right.plot([0], [0], "o", color=line.get_color(), zorder=3)
        right.annotate("ReLU' is undefined at z = 0;\nbackward() gives 0 there", xy=(0, 0), xytext=(0.6, -0.32),
                       fontsize=9, arrowprops={"arrowstyle": "->", "color": "0.4"})
    left.set(xlabel="z", ylabel="activation", title="Three Common Activation Functions")
    right.set(xlabel="z", ylabel="slope", title="Their Derivatives, from backward()", ylim=(-0.45, 1.15))
    for ax in (left, right):
        ax.axhline(0, linewidth=0.8, color="k")
        ax.axvline(0, linewidth=0.8, color="k")
        ax.legend()
        ax.grid(True, alpha=0.3)
    report.save(fig, out, "activations.png")


def relu_boundary(report: common.Report, out: Path) -> None:
    """23.11: ReLU(w·x + b) is 0 on one side of the line w·x + b = 0 and grows linearly on the other."""
    print("(b) 23.11 a ReLU neuron's boundary: w = [1, -0.7], b = -0.2")
    neuron = nn.Sequential(nn.Linear(2, 1), nn.ReLU())
    with tg.no_grad():
        neuron[0].weight.copy_([[1.0, -0.7]])   # one neuron: a weight matrix with one row (23.4)
        neuron[0].bias.copy_([-0.2])

    X1, X2 = np.meshgrid(np.linspace(-3, 3, 300), np.linspace(-3, 3, 300))
    points = np.column_stack([X1.ravel(), X2.ravel()])   # (90000, 2): the whole grid as one batch
    with tg.no_grad():
        Z = neuron[0](tg.tensor(points)).numpy().reshape(X1.shape)   # the score w·x + b
        A = neuron(tg.tensor(points)).numpy().reshape(X1.shape)      # the activation ReLU(w·x + b)
    report.check("max |A - ReLU(x1 - 0.7 x2 - 0.2)|", np.max(np.abs(A - np.maximum(0, X1 - 0.7 * X2 - 0.2))), 0.0,
                 tol=1e-15)

    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    filled = ax.contourf(X1, X2, A, levels=20)
    ax.contour(X1, X2, Z, levels=[0], colors="w", linewidths=2)
    ax.text(-2.8, 2.6, "ReLU = 0 here", color="w")
    ax.text(-0.15, -1.2, "w·x + b = 0", color="w", rotation=np.degrees(np.arctan(1 / 0.7)), rotation_mode="anchor")
    ax.text(2.85, -2.75, "ReLU = w·x + b here", color="w", ha="right")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title="A ReLU Neuron: Linear Boundary, Nonlinear Output")
    fig.colorbar(filled, ax=ax, label="activation")
    ax.set_aspect("equal", adjustable="box")
    report.save(fig, out, "relu_boundary.png")


def hidden_representation(report: common.Report, out: Path, seed: int) -> None:
    """Exercise 4: a 2 -> 3 ReLU layer gives each 2-D point new coordinates (h1, h2, h3)."""
    print(f"(c) 23.24 exercise 4: the hidden representation of 300 points (np.random.default_rng({seed}))")
    layer = nn.Sequential(nn.Linear(2, 3), nn.ReLU())   # tiny_hidden_features, as a layer
    with tg.no_grad():
        layer[0].weight.copy_([[1, 1], [1, -1], [-1, 1]])
        layer[0].bias.copy_([-0.5, 0.0, 0.0])

    rng = np.random.default_rng(seed)
    points = rng.normal(size=(300, 2))
    with tg.no_grad():
        H = layer(tg.tensor(points)).numpy()             # (300, 3): row i is point i's hidden vector
    W, b = np.array([[1, 1], [1, -1], [-1, 1]], dtype=float), np.array([-0.5, 0.0, 0.0])
    report.check("max |H - relu(points Wᵀ + b)|", np.max(np.abs(H - np.maximum(0, points @ W.T + b))), 0.0, tol=1e-15)

    plt = common.pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
    left.scatter(points[:, 0], points[:, 1], c=H[:, 2], s=25, alpha=0.8)
    left.set(xlabel="$x_1$", ylabel="$x_2$", title="The Points, Colored by Hidden Feature 3")
    left.set_aspect("equal", adjustable="datalim")
    dots = right.scatter(H[:, 0], H[:, 1], c=H[:, 2], s=25, alpha=0.8)
    right.set(xlabel="hidden feature 1", ylabel="hidden feature 2", title="A Hidden Representation of 2D Points")
    fig.colorbar(dots, ax=[left, right], label="hidden feature 3")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
    report.save(fig, out, "hidden_representation.png")


def run(seed: int = SEED, out: Path = Path("out")) -> common.Report:
    report = common.Report("figures")
    activations(report, out)
    relu_boundary(report, out)
    hidden_representation(report, out, seed)
    return report


def main(argv: list[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv, steps=None, seed=SEED,
                             seed_help="np.random.default_rng seed for exercise 4's points")
    return run(args.seed, args.out).exit_code()


if __name__ == "__main__":
    sys.exit(main())
