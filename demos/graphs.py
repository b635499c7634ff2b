"""Pictures of the chapter's three graphs, drawn by tinygrad_la.viz.

    python -m demos.graphs --out out

(a) 23.1  the neuron h = tanh(x1·w1 + x2·w2 + b) in scalar Values, after backward: every number
          with its data and its gradient, as in the chapter;
(b) 23.17 the chapter's hand-built XOR network ŷ = W₂ ReLU(W₁x + b₁) + b₂ on the four points: the
          forward pass, with the hidden layer's numbers, and ŷ = 0, 1, 1, 0 at the output;
(c) 23.24 one training step of the sine network (Linear(1, 12), ReLU, Linear(12, 1), mean squared
          error on 120 points): shapes along every edge, each layer's weights and their gradients.

`write_chapter_graphs(out_dir)` writes neuron_graph.svg, xor_graph.svg and sine_step_graph.svg, and
`write_chapter_walks(out_dir)` the same three graphs as pages that step through the forward and
backward pass (viz.explain): neuron_walk.html, xor_walk.html and sine_step_walk.html.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import tinygrad_la as tg
from tinygrad_la import nn
from tinygrad_la.viz import Stepper, draw_graph, explain, record_modules

try:
    from demos import exercise6
except ImportError:   # run as a file, `python demos/graphs.py`: this folder is on the path, not the repo
    import exercise6


def neuron() -> tg.Value:
    """23.1 with tanh: x = (2, 3), w = (0.5, -1), b = 1, so z = -1 and h = tanh(-1); h, before backward."""
    x1, x2 = tg.Value(2.0, label="x1"), tg.Value(3.0, label="x2")
    w1, w2 = tg.Value(0.5, label="w1"), tg.Value(-1.0, label="w2")
    b = tg.Value(1.0, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    z = s + b
    z.label = "z"
    h = z.tanh()
    h.label = "h"
    return h


def neuron_graph() -> Any:
    h = neuron()
    h.backward()
    return draw_graph(h, title="23.1 a neuron: h = tanh(x1·w1 + x2·w2 + b), after h.backward()")


def xor_network() -> tuple[nn.Sequential, tg.Tensor, tg.Tensor, tg.Tensor, tg.Tensor]:
    """23.17: the hand-built network, W₁ = [[1, 1], [1, 1]], b₁ = (0, -1), W₂ = [[1, -2]], b₂ = 0,
    on the four points: (model, X, Z₁, H, ŷ), recorded layer by layer."""
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with tg.no_grad():
        model[0].weight.copy_(tg.tensor([[1.0, 1.0], [1.0, 1.0]]))
        model[0].bias.copy_(tg.tensor([0.0, -1.0]))
        model[2].weight.copy_(tg.tensor([[1.0, -2.0]]))
        model[2].bias.copy_(tg.tensor([0.0]))
    X = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    with record_modules(model):   # layer by layer, so the picture can name Z₁ and H
        Z1 = model[0](X)
        H = model[1](Z1)
        y_hat = model[2](H)
    return model, X, Z1, H, y_hat


def xor_graph() -> Any:
    model, X, Z1, H, y_hat = xor_network()
    names = {**dict(model.named_parameters()), "X": X, "Z₁ = X W₁ᵀ + b₁": Z1, "H = ReLU(Z₁)": H}
    return draw_graph(y_hat, params=names, module=model, show_data=True, show_grad=False,
                      title="23.17 XOR: ŷ = W₂ ReLU(W₁x + b₁) + b₂ on the four points (forward pass)")


def xor_loss() -> tuple[tg.Tensor, nn.Sequential, dict[str, tg.Tensor]]:
    """The XOR network's squared error against the targets 0, 1, 1, 0, from weights slightly off
    the hand-built ones (there the error, and so every gradient, is 0): (loss, model, names)."""
    model, X, Z1, H, _ = xor_network()
    with tg.no_grad():
        model[2].weight.copy_(tg.tensor([[0.9, -1.8]]))
    with record_modules(model):
        y_hat = model(X)
    loss = nn.MSELoss()(y_hat, tg.tensor([[0.0], [1.0], [1.0], [0.0]]))
    return loss, model, {**dict(model.named_parameters()), "X": X}


def sine_step() -> tuple[tg.Tensor, nn.Sequential, dict[str, tg.Tensor]]:
    """23.24 exercise 6 with tinygrad_la.nn: the chapter's data and starting weights, one step up
    to loss.backward() (retain_graph=True keeps the saved inputs, so X and y stay in the picture)."""
    return exercise6.first_step()


def sine_step_graph() -> Any:
    loss, model, inputs = sine_step()
    return draw_graph(loss, params={**dict(model.named_parameters()), **inputs}, module=model,
                      title="23.24 one training step of the sine network: loss = mean((ŷ - y)²), "
                            "after loss.backward()")


def write_chapter_graphs(out_dir: str | Path) -> list[Path]:
    """Render the three graphs as SVG files in `out_dir`; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in (("neuron_graph", neuron_graph), ("xor_graph", xor_graph),
                       ("sine_step_graph", sine_step_graph)):
        path = out / f"{name}.svg"
        path.write_bytes(make().pipe(format="svg"))
        paths.append(path)
    return paths


def write_chapter_walks(out_dir: str | Path) -> list[Path]:
    """The three graphs as step-through pages (viz.explain) in `out_dir`; returns their paths."""
    out = Path(out_dir)
    loss, model, names = xor_loss()
    sine_loss, sine_model, inputs = exercise6.first_step()
    pages: list[tuple[str, Stepper]] = [
        ("neuron_walk", explain(neuron(), title="23.1 a neuron: h = tanh(x1·w1 + x2·w2 + b)")),
        ("xor_walk", explain(loss, params=names, module=model,
                             title="23.17 XOR: squared error of ŷ = W₂ ReLU(W₁x + b₁) + b₂")),
        ("sine_step_walk", explain(sine_loss, params={**dict(sine_model.named_parameters()), **inputs},
                                   module=sine_model, title="23.24 one training step of the sine network")),
    ]
    return [stepper.save(out / f"{name}.html") for name, stepper in pages]


def graph_example() -> tuple:
    """For ``python -m tinygrad_la.viz demos.graphs``: the sine step's loss, weights and model."""
    loss, model, inputs = sine_step()
    return loss, {**dict(model.named_parameters()), **inputs}, model


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m demos.graphs", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="out", help="directory for the SVG files")
    out_dir = parser.parse_args().out
    for path in write_chapter_graphs(out_dir) + write_chapter_walks(out_dir):
        print(f"  wrote {path}")
