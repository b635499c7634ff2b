"""23.17 A tiny nonlinear network for XOR: the chapter's hand-built one, then one that learns.

    python -m demos.xor [--steps 200] [--seed 0] [--out out]

(a) The chapter's network, h₁ = ReLU(x₁ + x₂), h₂ = ReLU(x₁ + x₂ − 1), ŷ = h₁ − 2h₂, with its
    weights W1_xor, b1_xor, W2_xor, b2_xor set into nn.Linear layers: it reproduces the chapter's
    table [x, h, ŷ] and scores [0, 1, 1, 0].
(b) A 2-8-1 tanh network from random weights (tinygrad_la.manual_seed), trained with
    nn.BCEWithLogitsLoss and optim.Adam: it must classify all four points (checked at --steps 200
    or more; a shorter run only reports).
Figures: xor_regions.png (the decision regions, and the hand-built network's hidden space),
xor_loss.png (the trained network's loss).
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

STEPS, SEED, HIDDEN, LR = 200, 0, 8, 0.05

X_xor = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y_xor = np.array([0, 1, 1, 0], dtype=float)
# the chapter's weights: the rows of W1_xor are the two hidden neurons' patterns (23.4)
W1_xor = np.array([[1, 1], [1, 1]], dtype=float)
b1_xor = np.array([0, -1], dtype=float)
W2_xor = np.array([[1, -2]], dtype=float)
b2_xor = np.array([0], dtype=float)
# the table the chapter prints: np.c_[X_xor, H_xor, y_xor_score]
CHAPTER_TABLE = [[0, 0, 0, 0, 0], [0, 1, 1, 0, 1], [1, 0, 1, 0, 1], [1, 1, 2, 1, 0]]


def hand_built() -> nn.Sequential:
    """ŷ = W2 ReLU(W1 x + b1) + b2 with the chapter's weights in place of random ones."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with tg.no_grad():
        model[0].weight.copy_(W1_xor)
        model[0].bias.copy_(b1_xor)
        model[2].weight.copy_(W2_xor)
        model[2].bias.copy_(b2_xor)
    return model


def make_learner(seed: int) -> nn.Sequential:
    """2 inputs -> 8 tanh units -> 1 score (a logit: positive means class 1), PyTorch's random start."""
    tg.manual_seed(seed)
    # tanh rather than ReLU: with few hidden units a ReLU net can start with dead units and get stuck
    return nn.Sequential(nn.Linear(2, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, 1))


def train(seed: int, steps: int) -> tuple[nn.Sequential, list[float]]:
    model = make_learner(seed)
    loss_fn = nn.BCEWithLogitsLoss()   # -[y log σ(s) + (1 - y) log(1 - σ(s))], computed stably from the score s
    optimizer = optim.Adam(model.parameters(), lr=LR)
    X, y = tg.tensor(X_xor), tg.tensor(y_xor).reshape(-1, 1)
    losses = []
    bar = common.progress(steps, "xor")
    for _ in bar:
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        bar.set_postfix_str(f"loss {losses[-1]:.4f}", refresh=False)
    return model, losses


def graph_example() -> tuple[tg.Tensor, dict[str, tg.Tensor], nn.Module]:
    """One training step, for `python -m tinygrad_la.viz demos.xor`: (loss, parameters, model).

    The learner's loss at its random start, after loss.backward(retain_graph=True) so the picture
    shows the gradients and the inputs the ops saved; record_modules lets it box each layer's ops.
    """
    from tinygrad_la.viz import record_modules
    model = make_learner(SEED)
    with record_modules(model):
        loss = nn.BCEWithLogitsLoss()(model(tg.tensor(X_xor)), tg.tensor(y_xor).reshape(-1, 1))
    loss.backward(retain_graph=True)
    return loss, dict(model.named_parameters()), model


def on_grid(model: nn.Module, lo: float = -0.5, hi: float = 1.5, n: int = 241):
    """The model's output at every point of an n×n grid over [lo, hi]², as one batch (23.10)."""
    x1, x2 = np.meshgrid(np.linspace(lo, hi, n), np.linspace(lo, hi, n))
    points = np.column_stack([x1.ravel(), x2.ravel()])   # (n², 2): one point per row
    with tg.no_grad():
        values = model(tg.tensor(points)).numpy().reshape(n, n)
    return x1, x2, values


def plot_points(ax, points: np.ndarray, labels: np.ndarray) -> None:
    for label, marker, color in ((0, "o", "C0"), (1, "s", "C3")):
        chosen = points[labels == label]
        ax.scatter(chosen[:, 0], chosen[:, 1], marker=marker, s=110, color=color, edgecolor="k", zorder=3,
                   label=f"label {label}")


def plot(report: common.Report, out: Path, hand: nn.Sequential, learner: nn.Sequential, losses: list[float]) -> None:
    plt = common.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")
    fig.get_layout_engine().set(wspace=0.06)

    # (1) the hand-built network in the input plane: its score ŷ, and the line ŷ = 1/2
    ax = axes[0]
    x1, x2, score = on_grid(hand)
    filled = ax.contourf(x1, x2, score, levels=20, cmap="RdBu_r", vmin=-1.5, vmax=1.5)
    ax.contour(x1, x2, score, levels=[0.5], colors="k", linewidths=2)
    fig.colorbar(filled, ax=ax, label="score ŷ = h₁ − 2h₂")
    plot_points(ax, X_xor, y_xor)
    ax.set(title="Hand-built (23.17): ŷ = 1/2 in black", xlabel="$x_1$", ylabel="$x_2$")

    # (2) the same network seen from its hidden layer: there one straight line separates the labels
    ax = axes[1]
    with tg.no_grad():
        H = hand[:2](tg.tensor(X_xor)).numpy()   # the hidden representation h = ReLU(W1 x + b1)
    h1 = np.linspace(-0.3, 2.4, 2)
    ax.fill_between(h1, (h1 - 0.5) / 2, 1.4, color="C0", alpha=0.12)
    ax.fill_between(h1, -0.4, (h1 - 0.5) / 2, color="C3", alpha=0.12)
    ax.plot(h1, (h1 - 0.5) / 2, color="k", linewidth=2, label="h₁ − 2h₂ = 1/2")
    plot_points(ax, H, y_xor)
    ax.annotate("(0,1) and (1,0)\nboth land here", xy=(1, 0), xytext=(1.25, 0.55),
                arrowprops=dict(arrowstyle="->"), ha="center")
    ax.set(title="Its hidden space: h = ReLU(W₁x + b₁)", xlabel="hidden feature $h_1$",
           ylabel="hidden feature $h_2$", xlim=(-0.3, 2.4), ylim=(-0.4, 1.4))
    ax.legend(loc="upper left", fontsize=9)

    # (3) the trained network: the probability σ(score) of label 1, and its 1/2 line
    ax = axes[2]
    x1, x2, logit = on_grid(learner)
    probability = 1 / (1 + np.exp(-logit))
    filled = ax.contourf(x1, x2, probability, levels=np.linspace(0, 1, 21), cmap="RdBu_r")
    ax.contour(x1, x2, probability, levels=[0.5], colors="k", linewidths=2)
    fig.colorbar(filled, ax=ax, label="P(label 1) = σ(score)")
    plot_points(ax, X_xor, y_xor)
    ax.set(title=f"Trained 2-{HIDDEN}-1 tanh network", xlabel="$x_1$", ylabel="$x_2$")

    for ax in (axes[0], axes[2]):
        ax.set_aspect("equal", adjustable="box")
    fig.suptitle("XOR: No Single Line Separates the Labels, a Hidden Layer Bends the Boundary")
    report.save(fig, out, "xor_regions.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses)
    ax.set(xlabel="training step", ylabel="binary cross-entropy", title="Learning XOR with Adam", yscale="log")
    ax.grid(True, alpha=0.3, which="both")
    report.save(fig, out, "xor_loss.png")


def run(steps: int = STEPS, seed: int = SEED, out: Path = Path("out")) -> common.Report:
    report = common.Report("xor")
    print("23.17 (a) the chapter's hand-built ReLU network, as nn.Linear layers with W1_xor, b1_xor, W2_xor, b2_xor")
    hand = hand_built()
    X = tg.tensor(X_xor)
    with tg.no_grad():
        H_xor = hand[:2](X).numpy()        # Linear then ReLU: the hidden features h₁, h₂
        y_xor_score = hand(X).numpy()      # the whole network: ŷ = h₁ − 2h₂
    print("  np.c_[X_xor, H_xor, y_xor_score], the chapter's table:")
    report.check("table", np.c_[X_xor, H_xor, y_xor_score], CHAPTER_TABLE)
    report.check("scores", y_xor_score[:, 0], [0, 1, 1, 0])

    print(f"23.17 (b) a 2-{HIDDEN}-1 tanh network from random weights (seed {seed}): nn.BCEWithLogitsLoss, "
          f"optim.Adam(lr={LR}), {steps} steps")
    learner, losses = train(seed, steps)
    with tg.no_grad():
        probability = learner(X).sigmoid().numpy()[:, 0]
    predicted = (probability > 0.5).astype(float)
    accuracy = float(np.mean(predicted == y_xor))
    report.values.update(probabilities=probability, predicted=predicted, accuracy=accuracy, final_loss=losses[-1])
    print(f"  P(label 1) at (0,0), (0,1), (1,0), (1,1): {np.array2string(probability, precision=4)}")
    print(f"  final loss {losses[-1]:.5f}; predicted labels {predicted.astype(int).tolist()}, "
          f"true labels {y_xor.astype(int).tolist()}")
    message = f"accuracy {accuracy:.0%} on the four XOR points"
    if steps >= STEPS:
        report.goal("XOR accuracy", accuracy == 1.0, message + " (goal: 100%)")
    else:
        print(f"  {message} (a short run: the 100% goal is checked at --steps {STEPS} or more)")

    plot(report, out, hand, learner, losses)
    return report


def main(argv: list[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv, steps=STEPS, seed=SEED, steps_help="Adam steps for the learned network",
                             seed_help="tinygrad_la.manual_seed for its starting weights")
    return run(args.steps, args.seed, args.out).exit_code()


if __name__ == "__main__":
    sys.exit(main())
