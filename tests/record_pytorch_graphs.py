"""Record the graphs PyTorch builds for a set of small expressions (the names of the nodes under
each result's grad_fn, through next_functions), so tests/test_graph_names.py compares
tinygrad_la's graphs against them on machines without PyTorch.

    .venv/bin/python tests/record_pytorch_graphs.py

A graph is written as nested lists: [name, [child, ...]] per node, "AccumulateGrad" for a leaf's
node, null for an input that needs no gradient, and null for a result with no grad_fn.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "pytorch_graphs.json"

_rng = np.random.default_rng(12)
X = _rng.standard_normal((3, 4))       # a matrix
B = _rng.standard_normal((2, 3, 4))    # a batch of matrices
V = _rng.standard_normal(4)            # a vector
W = _rng.standard_normal((5, 4))       # a weight (out, in)
BIAS = _rng.standard_normal(5)
CLASSES = np.array([1, 0, 4])          # targets for (3, 5) logits
PROBS = 1 / (1 + np.exp(-_rng.standard_normal((3, 4))))
LABELS = (_rng.random((3, 4)) < 0.5).astype(float)


def _leaf(T: Any, data: np.ndarray) -> Any:
    return T.tensor(data, requires_grad=True)


def _linear(T: Any, shape: tuple[int, ...], bias: bool) -> Any:
    x = _leaf(T, _rng_for(shape))
    return T.nn.functional.linear(x, _leaf(T, W), _leaf(T, BIAS) if bias else None)


def _rng_for(shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(sum(shape) + len(shape)).standard_normal(shape)


def _two_layer_mlp(T: Any) -> Any:
    T.manual_seed(0)
    model = T.nn.Sequential(T.nn.Linear(4, 5), T.nn.ReLU(), T.nn.Linear(5, 2))
    return model(T.tensor(X))


# name -> the expression, given the library as T (torch or tinygrad_la)
CASES: dict[str, Callable[[Any], Any]] = {
    # elementwise: a Python number is an input that needs no gradient, (None, 0) in next_functions
    "mul_scalar": lambda T: _leaf(T, X) * 2,
    "add": lambda T: _leaf(T, X) + _leaf(T, V),
    "add_number": lambda T: _leaf(T, X) + 2,
    "number_plus": lambda T: 2 + _leaf(T, X),
    "number_times": lambda T: 2 * _leaf(T, X),
    "sub_number": lambda T: _leaf(T, X) - 2,
    "div_number": lambda T: _leaf(T, X) / 2,
    "number_to_pow": lambda T: 2 ** _leaf(T, X),
    "clamp": lambda T: _leaf(T, X).clamp(0, 1),
    "maximum": lambda T: _leaf(T, X).maximum(_leaf(T, PROBS)),
    "add_constant_tensor": lambda T: _leaf(T, X) + T.tensor(V),
    "sub_rsub": lambda T: 1 - _leaf(T, X),
    "div": lambda T: _leaf(T, X) / _leaf(T, V),
    "neg": lambda T: -_leaf(T, X),
    "pow_scalar": lambda T: _leaf(T, X) ** 2,
    "pow_tensor": lambda T: _leaf(T, PROBS) ** _leaf(T, X),
    "exp_log": lambda T: _leaf(T, PROBS).log().exp(),
    "tanh_sigmoid_relu": lambda T: _leaf(T, X).tanh().sigmoid().relu(),
    "abs_sqrt": lambda T: _leaf(T, X).abs().sqrt(),
    "same_leaf_twice": lambda T: (lambda x: x * x)(_leaf(T, X)),
    "where": lambda T: T.where(T.tensor(X) > 0, _leaf(T, X), _leaf(T, PROBS)),
    # reductions
    "sum": lambda T: _leaf(T, X).sum(),
    "sum_dim": lambda T: _leaf(T, X).sum(0),
    "sum_dims_keepdim": lambda T: _leaf(T, B).sum((0, 2), keepdim=True),
    "mean": lambda T: _leaf(T, X).mean(),
    "mean_dim": lambda T: _leaf(T, X).mean(1),
    "max": lambda T: _leaf(T, X).max(),
    "max_dim_values": lambda T: _leaf(T, X).max(1).values,
    "amax": lambda T: _leaf(T, X).amax(1),
    "softmax": lambda T: _leaf(T, X).softmax(1),
    "log_softmax": lambda T: _leaf(T, X).log_softmax(-1),
    "var": lambda T: _leaf(T, X).var(),
    "norm": lambda T: _leaf(T, X).norm(),
    # movement and indexing
    "select": lambda T: _leaf(T, X)[0],
    "select_column": lambda T: _leaf(T, X)[:, 1],
    "slice": lambda T: _leaf(T, X)[1:],
    "slice_step": lambda T: _leaf(T, X)[:, ::2],
    "new_axis": lambda T: _leaf(T, X)[None],
    "ellipsis": lambda T: _leaf(T, X)[...],
    "select_then_slice": lambda T: _leaf(T, B)[0, 1:],
    "two_ints": lambda T: _leaf(T, X)[1, 2],
    "fancy_index": lambda T: _leaf(T, X)[T.tensor([0, 2])],
    "mask": lambda T: (lambda x: x[x > 0])(_leaf(T, X)),
    "t": lambda T: _leaf(T, X).t(),
    "T": lambda T: _leaf(T, X).T,
    "transpose": lambda T: _leaf(T, B).transpose(0, 2),
    "permute": lambda T: _leaf(T, B).permute(2, 0, 1),
    "view": lambda T: _leaf(T, X).view(-1),
    "reshape": lambda T: _leaf(T, X).reshape(4, 3),
    "reshape_after_transpose": lambda T: _leaf(T, X).t().reshape(-1),
    "flatten": lambda T: _leaf(T, B).flatten(1),
    "squeeze": lambda T: _leaf(T, X)[None].squeeze(),
    "squeeze_dim": lambda T: _leaf(T, X)[None].squeeze(0),
    "unsqueeze": lambda T: _leaf(T, X).unsqueeze(1),
    "expand": lambda T: _leaf(T, V).expand(3, 4),
    "cat": lambda T: T.cat([_leaf(T, X), _leaf(T, X)], 0),
    "stack": lambda T: T.stack([_leaf(T, V), _leaf(T, V)]),
    "clone": lambda T: _leaf(T, X).clone(),
    # matrix products
    "mm": lambda T: _leaf(T, X) @ _leaf(T, W.T),
    "mv": lambda T: _leaf(T, X) @ _leaf(T, V),
    "vm": lambda T: _leaf(T, V[:3]) @ _leaf(T, X),
    "dot": lambda T: _leaf(T, V) @ _leaf(T, V),
    "batch_times_matrix": lambda T: _leaf(T, B) @ _leaf(T, W.T),
    "bmm": lambda T: _leaf(T, B) @ _leaf(T, B.transpose(0, 2, 1)),
    # layers and losses
    "linear": lambda T: _linear(T, (3, 4), True),
    "linear_no_bias": lambda T: _linear(T, (3, 4), False),
    "linear_vector": lambda T: _linear(T, (4,), True),
    "linear_batch": lambda T: _linear(T, (2, 3, 4), True),
    "linear_batch_no_bias": lambda T: _linear(T, (2, 3, 4), False),
    "mlp": _two_layer_mlp,
    "cross_entropy": lambda T: T.nn.functional.cross_entropy(_leaf(T, _rng_for((3, 5))), T.tensor(CLASSES)),
    "cross_entropy_sum": lambda T: T.nn.functional.cross_entropy(_leaf(T, _rng_for((3, 5))), T.tensor(CLASSES),
                                                                 reduction="sum"),
    "nll_loss": lambda T: T.nn.functional.nll_loss(_leaf(T, _rng_for((3, 5))).log_softmax(1), T.tensor(CLASSES)),
    "mse_loss": lambda T: T.nn.functional.mse_loss(_leaf(T, X), T.tensor(PROBS)),
    "bce": lambda T: T.nn.functional.binary_cross_entropy(_leaf(T, X).sigmoid(), T.tensor(LABELS)),
    "bce_with_logits": lambda T: T.nn.functional.binary_cross_entropy_with_logits(_leaf(T, X), T.tensor(LABELS)),
    "bce_with_logits_none": lambda T: T.nn.functional.binary_cross_entropy_with_logits(
        _leaf(T, X), T.tensor(LABELS), reduction="none"),
    "leaky_relu": lambda T: T.nn.functional.leaky_relu(_leaf(T, X), 0.1),
    "gelu": lambda T: T.nn.functional.gelu(_leaf(T, X)),
    "softplus": lambda T: T.nn.functional.softplus(_leaf(T, X)),
    "embedding": lambda T: T.nn.functional.embedding(T.tensor([[0, 2], [4, 1]]), _leaf(T, W)),
    # a result that needs no gradient
    "no_grad_input": lambda T: T.tensor(X) * 2,
}


def graph(result: Any) -> Any:
    """The nested-list picture of the graph under result (see the module's docstring)."""
    root = result.grad_fn
    if root is None:
        return None
    # an explicit stack: a graph may be deeper than Python's recursion limit
    out: list[Any] = []
    stack: list[tuple[Any, list[Any]]] = [(root, out)]
    while stack:
        node, into = stack.pop()
        if node is None:
            into.append(None)
            continue
        name = type(node).__name__ if type(node).__name__ == "AccumulateGrad" else node.name()
        name = name.rpartition("::")[2]   # PyTorch's AccumulateGrad.name() has its C++ namespace
        children: list[Any] = []
        into.append([name, children])
        stack.extend((child, children) for child, _ in reversed(node.next_functions))
    return out[0]


def record(path: Path = FIXTURE) -> None:
    import torch
    torch.set_default_dtype(torch.float64)
    graphs = {name: graph(build(torch)) for name, build in CASES.items()}
    document = {"torch_version": torch.__version__, "graphs": graphs}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(graphs)} graphs, torch {torch.__version__})")


def load(path: Path = FIXTURE) -> dict[str, Any]:
    """case name -> PyTorch's graph of it, as graph() pictures it."""
    return dict(json.loads(path.read_text(encoding="utf-8"))["graphs"])


if __name__ == "__main__":
    record()
