"""Chapter 23's worked numbers, computed with tinygrad_la: every value the chapter prints, checked.

    python -m demos.chapter

(a) 23.1  the small neuron, with Tensors and with scalar Values, and its gradients;
(b) 23.6, 23.9, 23.10  a layer as nn.Linear, a forward pass through two layers, the same on a batch;
(c) 23.13 softmax, and worked examples 23.3 (linear layers collapse) and 23.4;
(d) 23.18 and 23.22 parameter counts, from nn.Linear itself;
(e) 23.23-23.24 the practice problems and Python exercises 1, 2, 3, 5.
The training examples have their own demos: demos.regression (23.16), demos.xor (23.17),
demos.sine (exercise 6); the pictures are in demos.figures. The demo exits non-zero if a value differs.
"""
from __future__ import annotations

import sys

import numpy as np

import tinygrad_la as tg
from tinygrad_la import nn

try:
    from demos import common
except ImportError:   # run as a file, `python demos/NAME.py`: this folder is on the path, not the repo
    import common


def layer(W, b) -> nn.Linear:
    """An nn.Linear holding the chapter's W (m×n, one row per neuron) and b (m,) instead of random ones."""
    W = np.asarray(W, dtype=float)
    linear = nn.Linear(W.shape[1], W.shape[0])
    with tg.no_grad():
        linear.weight.copy_(W)
        linear.bias.copy_(b)
    return linear


def neuron(report: common.Report) -> None:
    """23.1, Example 23.1: z = w·x + b, h = ReLU(z), then backward."""
    print("(a) 23.1 a small neuron: x = [2, 3], w = [0.5, -1], b = 1")
    x = tg.tensor([2.0, 3.0])
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    b = tg.tensor(1.0, requires_grad=True)
    z = w @ x + b
    h = z.relu()
    h.backward()
    report.check("z", z.item(), -1.0)
    report.check("h", h.item(), 0.0)
    # The score is negative, so the ReLU is flat there: no gradient reaches w or b.
    report.check("dh/dw", w.grad.numpy(), [0.0, 0.0])
    report.check("dh/db", b.grad.item(), 0.0)

    print("  the same neuron with scalar Values, with ReLU and with tanh, whose slope is never 0:")
    for activation in ("relu", "tanh"):
        x1, x2 = tg.Value(2.0), tg.Value(3.0)
        w1, w2, bv = tg.Value(0.5), tg.Value(-1.0), tg.Value(1.0)
        zv = w1 * x1 + w2 * x2 + bv
        hv = zv.relu() if activation == "relu" else zv.tanh()
        hv.backward()
        slope = 0.0 if activation == "relu" else 1.0 - np.tanh(-1.0) ** 2   # dh/dz by hand
        report.check(f"{activation}: h", hv.data, 0.0 if activation == "relu" else np.tanh(-1.0))
        report.check(f"{activation}: dh/dw", [w1.grad, w2.grad], [slope * 2.0, slope * 3.0])
        report.check(f"{activation}: dh/db", bv.grad, slope)


def layers_and_batches(report: common.Report) -> None:
    """23.6 a tiny layer, 23.9 forward propagation, 23.10 the batch version Z = X W1ᵀ + 1 b1ᵀ."""
    W1, b1 = [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], [0.0, 0.0, 1.0]
    first = layer(W1, b1)                        # R² -> R³
    second = layer([[1.0, 1.0, -1.0]], [0.5])    # R³ -> R¹
    network = nn.Sequential(first, nn.ReLU(), second)
    x = tg.tensor([2.0, 3.0])
    with tg.no_grad():
        print("(b) 23.6 a tiny layer: z = W x + b, h = ReLU(z), with nn.Linear(2, 3)")
        report.check("z", first(x).numpy(), [2.0, 3.0, 0.0])
        report.check("h", first(x).relu().numpy(), [2.0, 3.0, 0.0])

        print("(b) 23.9 forward pass: h = ReLU(W1 x + b1), ŷ = W2 h + b2, as nn.Sequential")
        report.check("y_hat", network(x).numpy(), [5.5])

        print("(b) 23.10 a batch of 4 examples, one per row: H = ReLU(X W1ᵀ + 1 b1ᵀ)")
        X = tg.tensor([[2.0, 3.0], [1.0, 1.0], [4.0, 0.5], [-1.0, 2.0]])
        report.check("H", network[:2](X).numpy(),
                     [[2.0, 3.0, 0.0], [1.0, 1.0, 1.0], [4.0, 0.5, 4.5], [0.0, 2.0, 0.0]])


def softmax_and_collapse(report: common.Report) -> None:
    """23.13 scores to probabilities; Example 23.3 two linear layers are one matrix; Example 23.4."""
    print("(c) 23.13 class scores [1.2, 3.5, 0.7] for cat, dog, bird")
    scores = tg.tensor([1.2, 3.5, 0.7])
    classes = ["cat", "dog", "bird"]
    predicted = classes[scores.argmax().item()]
    report.goal("23.13 predicted class", predicted == "dog", f"predicted class = {predicted!r}")
    report.check("softmax", scores.softmax(dim=0).numpy(), [0.08635047, 0.86127533, 0.05237421], tol=5e-9)

    print("(c) Example 23.3 two linear layers without activation collapse into one matrix W2 W1")
    W1 = tg.tensor([[1.0, 2.0], [0.0, 1.0]])
    W2 = tg.tensor([[2.0, 0.0], [1.0, 1.0]])
    report.check("W2 @ W1", (W2 @ W1).numpy(), [[2.0, 4.0], [1.0, 3.0]])
    print("(c) Example 23.4 softmax of [1.0, 2.0, 0.5]")
    report.check("softmax", tg.tensor([1.0, 2.0, 0.5]).softmax(dim=0).numpy(), [0.2312239, 0.62853172, 0.14024438],
                 tol=5e-9)


def parameter_counts(report: common.Report) -> None:
    """23.18, Example 23.2, Problems 3-4: a Linear(n -> m) has m·n weights and m biases."""
    print("(d) parameter counts, from nn.Linear's own parameters")
    for n, m, count, where in ((784, 128, 100480, "23.18 a 28×28 image into 128 neurons"),
                               (20, 7, 147, "Example 23.2"),
                               (3072, 200, 614400 + 200, "Problem 4 a 32×32×3 image into 200 neurons")):
        linear = nn.Linear(n, m)
        report.check(f"{where}: Linear({n}, {m}) parameters", linear.num_parameters(), count)
    linear = nn.Linear(50, 12)
    report.check("Problem 3: Linear(50, 12) weight shape", linear.weight.shape, (12, 50))
    report.check("Problem 3: Linear(50, 12) bias shape", linear.bias.shape, (12,))


def exercises(report: common.Report) -> None:
    """23.23 Problems 1-2 (= exercises 1-2), exercise 3 (the batch version) and exercise 5 (softmax)."""
    print("(e) Problem 1 / exercise 1: one neuron")
    x = tg.tensor([1.0, 2.0, -1.0])
    z = tg.tensor([3.0, -1.0, 2.0]) @ x + 4.0
    report.check("z", z.item(), 3.0)
    report.check("h", z.relu().item(), 3.0)

    print("(e) Problem 2 / exercise 2: one layer, and exercise 3: the same layer on a batch")
    linear = layer([[1, 0], [0, 1], [1, 1]], [0, 0, -3])
    with tg.no_grad():
        report.check("z", linear(tg.tensor([2.0, 4.0])).numpy(), [2.0, 4.0, 3.0])
        X = tg.tensor([[2, 4], [1, 1], [3, 0], [0, 2]], dtype=tg.float64)
        report.check("H", linear(X).relu().numpy(),
                     [[2.0, 4.0, 3.0], [1.0, 1.0, 0.0], [3.0, 0.0, 0.0], [0.0, 2.0, 0.0]])

    print("(e) exercise 5: softmax of [2.0, 0.5, 1.2, 3.1]")
    report.check("softmax", tg.tensor([2.0, 0.5, 1.2, 3.1]).softmax(dim=0).numpy(),
                 [0.21382941, 0.04771179, 0.09607975, 0.64237905], tol=5e-9)


def run() -> common.Report:
    report = common.Report("chapter")
    neuron(report)
    layers_and_batches(report)
    softmax_and_collapse(report)
    parameter_counts(report)
    exercises(report)
    return report


def main(argv: list[str] | None = None) -> int:
    common.parse_args(__doc__, argv, steps=None, seed=None)   # only --help does something here
    return run().exit_code()


if __name__ == "__main__":
    sys.exit(main())
