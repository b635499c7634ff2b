"""The graph a result carries reads as PyTorch's: the same node names under grad_fn, and the same
next_functions down to each leaf's AccumulateGrad (None for an input that needs no gradient), for
the expressions in tests/record_pytorch_graphs.py. Against PyTorch's recorded graphs
(tests/fixtures/pytorch_graphs.json) everywhere, and against PyTorch live where it is installed.

A few graphs differ by design, each written below with its reason (and in the README's "What
differs"); those are checked to still differ as written, so the entry goes red the day it matches.
"""
from __future__ import annotations

import re

import pytest

import tinygrad_la
from tests import record_pytorch_graphs as recording

RECORDED = recording.load()

# Where PyTorch records more nodes than tinygrad_la does (the values and gradients are the same).
DIFFERS = {
    # composed here from other ops, one fused node in PyTorch
    "var": "composed of mean, sub, mul, sum and div",
    "norm": "composed of mul, sum and pow",
    "gelu": "composed of erf, mul and add",
    # a basic index is one node here, named after its last item; PyTorch applies item by item
    "select_then_slice": "one node for x[0, 1:]",
    "two_ints": "one node for x[1, 2]",
    # PyTorch reshapes matmul's and linear's inputs into matrices, and its graph shows those views
    "vm": "no UnsqueezeBackward0 over the vector",
    "batch_times_matrix": "no ViewBackward0 over the batch",
    "bmm": "no ExpandBackward0 and views over the batches",
    "linear_vector": "no ViewBackward0 over the input",
    "linear_batch": "no ViewBackward0 over the input",
    "linear_batch_no_bias": "no ViewBackward0 over the input",
}


@pytest.fixture(autouse=True)
def float64() -> None:
    tinygrad_la.set_default_dtype(tinygrad_la.float64)   # the conftest restores the default after


def _ours(name: str) -> object:
    return recording.graph(recording.CASES[name](tinygrad_la))


@pytest.mark.parametrize("name", sorted(set(recording.CASES) - set(DIFFERS)))
def test_graph_matches_recorded_pytorch(name: str) -> None:
    assert _ours(name) == RECORDED[name]


@pytest.mark.parametrize("name", sorted(DIFFERS))
def test_the_written_differences_still_differ(name: str) -> None:
    ours = _ours(name)
    assert ours != RECORDED[name], f"{name} now matches PyTorch: remove it from DIFFERS"
    assert ours[0] is not None   # still a graph, reaching the leaves


@pytest.mark.torch
def test_recorded_graphs_are_pytorchs_own() -> None:
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        live = {name: recording.graph(build(torch)) for name, build in recording.CASES.items()}
    finally:
        torch.set_default_dtype(previous)
    stale = sorted(name for name in recording.CASES if live[name] != RECORDED.get(name))
    assert not stale, f"the fixture is stale for {stale}: run tests/record_pytorch_graphs.py"


def test_the_same_leaf_shows_the_same_accumulate_grad_holding_it() -> None:
    x = tinygrad_la.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    (left, n_left), (right, n_right) = y.grad_fn.next_functions
    assert left is right and (n_left, n_right) == (0, 0)
    assert left.variable is x and left.next_functions == ()
    assert (x + 1).grad_fn.next_functions[0][0] is left   # while one is held, every node shows it
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(left))
    assert left.name() == "torch::autograd::AccumulateGrad"


def test_next_functions_reach_the_node_that_made_an_input() -> None:
    x = tinygrad_la.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    out = (h * 3).sum()
    (mul, _), = out.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    (exp, _), (number, _) = mul.next_functions
    assert exp is h.grad_fn and number is None


def test_a_user_function_lists_its_tensor_arguments_only() -> None:
    class Scale(tinygrad_la.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None

    x = tinygrad_la.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, 3.0)
    assert y.grad_fn.name() == "ScaleBackward"   # PyTorch names a user Function's node without the 0
    (node, _), = y.grad_fn.next_functions
    assert node.variable is x
