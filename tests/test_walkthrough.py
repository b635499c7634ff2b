"""Tests for tinygrad_la.walkthrough: the steps of a forward and backward pass, as numbers.

For the chapter's neuron (Values) and the XOR network (Tensors): the leaves' totals equal the
.grad that backward() gives, each `+=` adds up, the backward order is the order in which a real
backward() reaches the nodes (seen through hooks), and nothing the caller holds changes.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_la as tg
from demos.graphs import neuron, xor_loss, xor_network
from tests.helpers import values_of
from tinygrad_la import nn
from tinygrad_la.walkthrough import describe, summary, walkthrough


def _engine_nodes(steps, output):
    """The graph's nodes in the walkthrough's backward order (numbered as walkthrough numbers them)."""
    from tinygrad_la.walkthrough import _execution_order
    nodes = _execution_order(output.grad_fn)
    return [nodes[b.node] for b in steps.backward]


def _leaves_by_name(steps):
    return {steps.nodes[i]: total for i, total in steps.grads.items()}


def test_neuron_leaf_totals_are_the_grads_backward_gives() -> None:
    h = neuron()
    steps = walkthrough(h)
    totals = _leaves_by_name(steps)
    assert all(v.grad == 0.0 for v in values_of(h))   # the walk changed no .grad
    h.backward()
    grads = {v.label: v.grad for v in values_of(h) if not v._parents}
    assert set(totals) == set(grads) == {"x1", "x2", "w1", "w2", "b"}
    for name, grad in grads.items():
        assert totals[name] == grad, name
    # dh/dz = 1 - tanh(z)², z = -1
    assert totals["b"] == pytest.approx(1 - np.tanh(-1.0) ** 2, abs=1e-15)
    assert totals["w1"] == pytest.approx(2.0 * (1 - np.tanh(-1.0) ** 2), abs=1e-15)



def test_forward_steps_come_after_their_inputs_and_backward_before() -> None:
    steps = walkthrough(neuron())
    position = {f.node: k for k, f in enumerate(steps.forward)}
    for f in steps.forward:
        for i in f.inputs:
            assert i not in position or position[i] < position[f.node]
    walked = [b.node for b in steps.backward]
    assert sorted(walked) == list(range(len(steps.nodes)))   # every node once
    where = {node: k for k, node in enumerate(walked)}
    for f in steps.forward:   # a node's backward runs before those of the nodes it was made from
        for i in f.inputs:
            assert where[f.node] < where[i]
    assert [steps.nodes[b.node] for b in steps.backward][:2] == ["tanh", "+"]
    assert [b.leaf for b in steps.backward] == [False] * 5 + [True] * 5   # the walk ends at the leaves
    assert steps.backward[0].formula == "d/da tanh a = 1 - tanh² a = 1 - out²"
    assert len(steps) == len(steps.forward) + len(steps.backward) == 5 + 10   # 5 ops; 10 nodes: the 5 ops and 5 leaves


def test_xor_steps_match_backward_and_its_order() -> None:
    model, X, _, _, _ = xor_network()
    with tg.no_grad():
        model[2].weight.copy_(tg.tensor([[0.9, -1.8]]))
    Z1 = model[0](X)
    H = model[1](Z1)
    y_hat = model[2](H)
    loss = nn.MSELoss()(y_hat, tg.tensor([[0.0], [1.0], [1.0], [0.0]]))
    named = {**dict(model.named_parameters()), "Z1": Z1, "H": H, "y_hat": y_hat, "loss": loss}
    steps = walkthrough(loss, names={id(t): n for n, t in named.items()})
    assert all(p.grad is None for p in model.parameters())   # the walk filled no .grad
    # The engine's own order, seen independently: a tensor's hook fires when a real backward()
    # reaches its node, an op's output when that op's backward runs, a leaf's where the walk ends.
    order: list[Any] = []
    for t in named.values():
        t.register_hook(lambda g, t=t: order.append(t.grad_fn or t))
    loss.backward()
    walked = [node for node in _engine_nodes(steps, loss) if node in set(order)]
    assert walked == order
    totals = _leaves_by_name(steps)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(totals[name], p.grad.numpy(), err_msg=name)
        assert totals[name].dtype == p.grad.numpy().dtype
    assert np.abs(totals["2.weight"]).sum() > 0   # the weights are off the solution: real gradients


def test_xor_accumulation_is_visible_where_paths_meet() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w + x).sum()   # x reaches y along two paths
    steps = walkthrough(y, names={id(x): "x", id(w): "w"})
    meets = [p for b in steps.backward for p in b.passed if p.before is not None]
    assert len(meets) == 1
    met = meets[0]
    assert steps.nodes[met.parent] == "x"
    np.testing.assert_array_equal(met.before, [1.0, 1.0])
    np.testing.assert_array_equal(met.grad, [3.0, 4.0])
    np.testing.assert_array_equal(met.after, [4.0, 5.0])
    y.backward()
    np.testing.assert_array_equal(steps.grads[met.parent], x.grad.numpy())
    page = describe(steps)
    assert [s["phase"] for s in page] == ["forward"] * 3 + ["backward"] * 5
    assert page[0]["formula"].startswith("x * y;  dx = g·y")
    assert any(p["before"] == "[1., 1.]" and p["after"] == "[4., 5.]" for s in page[3:] for p in s["passed"])


def test_after_backward_it_needs_the_graph_retained() -> None:
    loss, _, _ = xor_loss()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        walkthrough(loss)
    loss, model, _ = xor_loss()
    loss.backward(retain_graph=True)
    before = [p.grad.numpy().copy() for p in model.parameters()]
    steps = walkthrough(loss)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.grad.numpy(), b)   # unchanged: the walk adds into nothing
    assert len(steps.backward) > 0


def test_bad_outputs_are_refused_with_a_reason() -> None:
    with pytest.raises(TypeError, match="Tensor or a Value"):
        walkthrough(3.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        walkthrough(tg.ones(2))
    with pytest.raises(RuntimeError, match="gradient="):
        walkthrough(nn.Linear(2, 3)(tg.ones(1, 2)))
    with pytest.raises(RuntimeError, match=r"shape \(1, 3\); got shape \(3,\)"):
        walkthrough(nn.Linear(2, 3)(tg.ones(1, 2)), gradient=tg.ones(3))
    layer = nn.Linear(2, 3)
    out = layer(tg.tensor([[1.0, 2.0]]))
    seed = tg.tensor([[1.0, -2.0, 0.5]])
    steps = walkthrough(out, gradient=seed, names={id(layer.weight): "W", id(layer.bias): "b"})
    out.backward(seed)   # the same seed, as backward(gradient=...)
    totals = _leaves_by_name(steps)
    np.testing.assert_array_equal(totals["W"], layer.weight.grad.numpy())   # dW = gᵀ x
    np.testing.assert_array_equal(totals["b"], [1.0, -2.0, 0.5])


def test_summary_shows_numbers_when_few_and_statistics_when_many() -> None:
    assert summary(np.array([1.0, 2.5])) == "[1. , 2.5]"
    assert summary(0.25) == "0.25"
    big = summary(np.arange(100.0))
    assert big.startswith("shape (100,), norm ") and "min 0" in big and "max 99" in big
