"""Tests of tinygrad_la/nn/layers.py: Linear, the activation modules, Dropout, Embedding, containers.

Linear against the chapter's numbers, and the chapter's sine network (exercise 6) trained with nn
step for step against its hand-written backprop loop. Tests marked `torch` compare with PyTorch.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from demos import exercise6
import tinygrad_la as tg
import tinygrad_la.nn as nn
import tinygrad_la.nn.functional as F
from tinygrad_la import gradcheck
from tinygrad_la.nn import init
from tinygrad_la.testing import tensors

from tests.nn.helpers import np_log_softmax, sine_model, t64


# =================================================================================================
# Linear (23.4-23.10)
# =================================================================================================

def test_linear_reproduces_the_chapter_forward_pass() -> None:
    # 23.9: h = ReLU(W1 x + b1), ŷ = W2 h + b2 = [5.5]; 23.10: the batch H
    hidden, out = nn.Linear(2, 3), nn.Linear(3, 1)
    hidden.load_state_dict({"weight": [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]], "bias": [0.0, 0.0, 1.0]})
    out.load_state_dict({"weight": [[1.0, 1.0, -1.0]], "bias": [0.5]})
    model = nn.Sequential(hidden, nn.ReLU(), out)
    np.testing.assert_array_equal(hidden(tg.tensor([2.0, 3.0])).relu().numpy(), [2.0, 3.0, 0.0])
    np.testing.assert_array_equal(model(tg.tensor([2.0, 3.0])).numpy(), [5.5])
    X = tg.tensor([[2.0, 3.0], [1.0, 1.0], [4.0, 0.5], [-1.0, 2.0]])
    np.testing.assert_array_equal(model[:2](X).numpy(), [[2, 3, 0], [1, 1, 1], [4, 0.5, 4.5], [0, 2, 0]])


@given(st.sampled_from([(3,), (4, 3), (2, 4, 3), (2, 1, 2, 3)]), st.booleans(), st.data())
def test_linear_is_x_wt_plus_b_for_any_leading_dims(shape: tuple, bias: bool, data: Any) -> None:
    layer = nn.Linear(3, 2, bias=bias)
    x = data.draw(tensors(shape))
    expected = x.numpy() @ layer.weight.numpy().T + (layer.bias.numpy() if bias else 0)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)
    assert layer(x).shape == shape[:-1] + (2,)


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in() -> None:
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.numpy()).max() <= bound
        assert np.abs(p.numpy()).max() > 0.95 * bound                 # spread over the whole range
    assert abs(layer.weight.numpy().std() - bound / math.sqrt(3)) < 0.02 * bound   # std of U(-a, a) is a/√3
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    assert layer.weight.dtype == tg.get_default_dtype()
    assert nn.Linear(2, 2, dtype=tg.float32).weight.dtype == np.float32


def test_linear_init_is_reproducible_with_manual_seed() -> None:
    tg.manual_seed(7)
    a = nn.Linear(5, 4)
    tg.manual_seed(7)
    b = nn.Linear(5, 4)
    c = nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    assert not np.array_equal(b.weight.numpy(), c.weight.numpy())


def test_linear_without_bias() -> None:
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    x = t64(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() @ layer.weight.numpy().T)


def test_linear_shape_errors_name_both_shapes_and_the_fix() -> None:
    with pytest.raises(RuntimeError, match=r"Linear\(784 -> 128\) expects the last dimension to be 784; got input "
                                           r"of shape \(32, 28, 28\)\. Flatten the image first"):
        nn.Linear(784, 128)(tg.zeros(32, 28, 28))
    with pytest.raises(RuntimeError, match=r"Linear\(3 -> 2\).*shape \(3, 5\).*transpose"):
        nn.Linear(3, 2)(tg.zeros(3, 5))
    with pytest.raises(RuntimeError, match=r"Linear\(3 -> 2\).*shape \(4, 4\)"):
        F.linear(tg.zeros(4, 4), tg.zeros(2, 3))


def test_activation_modules_against_numpy() -> None:
    x = t64(np.linspace(-4, 4, 17))
    a = x.numpy()
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-a)), rtol=1e-14)
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(a), rtol=1e-14)
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).numpy(), np.where(a > 0, a, 0.1 * a))
    np.testing.assert_allclose(nn.Softplus()(x).numpy(), np.log1p(np.exp(a)), rtol=1e-14)
    np.testing.assert_allclose(F.logsigmoid(x).numpy(), np.log(1 / (1 + np.exp(-a))), rtol=1e-13)
    np.testing.assert_allclose(nn.GELU(approximate="tanh")(x).numpy(),
                               0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3))), rtol=1e-14)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in a])
    np.testing.assert_allclose(nn.GELU()(x).numpy(), exact, rtol=1e-14, atol=1e-16)
    assert nn.Identity(3, unused=True)(x) is x


def test_softmax_modules_and_implicit_dim_warning() -> None:
    scores = tg.tensor([[1.0, 2.0, 0.5], [2.0, 0.5, 1.2]])
    np.testing.assert_allclose(nn.Softmax(dim=1)(scores).numpy()[0], [0.2312239, 0.62853172, 0.14024438], rtol=1e-7)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(scores).numpy(), np_log_softmax(scores.numpy()), rtol=1e-14)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        assert F.softmax(scores).shape == (2, 3)


def test_flatten_and_unflatten() -> None:
    images = tg.zeros(32, 28, 28)
    flat = nn.Flatten()(images)
    assert flat.shape == (32, 784)
    assert nn.Unflatten(1, (28, 28))(flat).shape == (32, 28, 28)
    assert nn.Flatten(0, 1)(tg.zeros(2, 3, 4)).shape == (6, 4)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    assert model(images).shape == (32, 10)


# =================================================================================================
# Dropout
# =================================================================================================

def test_dropout_is_the_identity_in_eval_mode() -> None:
    layer = nn.Dropout(0.5).eval()
    x = tg.ones(100)
    assert layer(x) is x
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout_zeroes_about_p_and_scales_the_rest() -> None:
    layer = nn.Dropout(0.25)
    x = tg.ones(20000, requires_grad=True)
    out = layer(x)
    values = out.numpy()
    assert set(np.unique(values)) == {0.0, 1 / 0.75}
    assert abs((values == 0).mean() - 0.25) < 0.02
    assert abs(values.mean() - 1) < 0.03            # the expected value is kept
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)     # gradient: the same mask and scale


def test_dropout_follows_manual_seed_and_edge_probabilities() -> None:
    x = tg.ones(50)
    tg.manual_seed(3)
    a = nn.Dropout(0.5)(x).numpy()
    tg.manual_seed(3)
    b = nn.Dropout(0.5)(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert np.all(nn.Dropout(1.0)(x).numpy() == 0)
    assert nn.Dropout(0.0)(x) is x
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


# =================================================================================================
# Embedding (23.19)
# =================================================================================================

def test_embedding_looks_up_rows_and_accumulates_gradients() -> None:
    tg.manual_seed(0)
    table = nn.Embedding(10, 3)
    tokens = tg.tensor([[1, 2, 1], [9, 0, 1]])
    out = table(tokens)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.numpy()[0, 0], table.weight.numpy()[1])
    out.sum().backward()
    counts = np.bincount(tokens.numpy().ravel(), minlength=10)[:, None] * np.ones(3)
    np.testing.assert_array_equal(table.weight.grad.numpy(), counts)
    assert gradcheck(lambda w: F.embedding(tokens, w), (table.weight,))


def test_embedding_init_and_padding_idx() -> None:
    tg.manual_seed(1)
    big = nn.Embedding(1000, 20)
    assert abs(big.weight.numpy().mean()) < 0.02 and abs(big.weight.numpy().std() - 1) < 0.02
    padded = nn.Embedding(5, 2, padding_idx=0)
    assert np.all(padded.weight.numpy()[0] == 0)
    padded(tg.tensor([0, 1, 0])).sum().backward()
    np.testing.assert_array_equal(padded.weight.grad.numpy()[0], [0, 0])
    np.testing.assert_array_equal(padded.weight.grad.numpy()[1], [1, 1])


def test_embedding_from_pretrained() -> None:
    vectors = np.arange(6.0).reshape(3, 2)
    table = nn.Embedding.from_pretrained(vectors)
    np.testing.assert_array_equal(table(tg.tensor([2, 0])).numpy(), [[4.0, 5.0], [0.0, 1.0]])
    assert not table.weight.requires_grad and table.num_parameters() == 0
    assert nn.Embedding.from_pretrained(vectors, freeze=False).weight.requires_grad


def test_embedding_index_errors_name_the_range() -> None:
    table = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"index 10 is out of range for an Embedding with 10 rows "
                                         r"\(valid indices are 0..9\)"):
        table(tg.tensor([3, 10]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        table(tg.tensor([-1]))
    with pytest.raises(TypeError, match="indices must be integers"):
        table(tg.tensor([1.0]))


# =================================================================================================
# containers
# =================================================================================================

def test_sequential_indexing_slicing_and_editing() -> None:
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 2), nn.Tanh())
    assert len(model) == 4 and isinstance(model[0], nn.Linear) and isinstance(model[-1], nn.Tanh)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear", "Tanh"]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and head[0] is model[0] and len(head) == 2
    x = tg.ones(3, 1)
    np.testing.assert_allclose(model[2:](model[:2](x)).numpy(), model(x).numpy())
    with pytest.raises(IndexError, match="index 4 is out of range for a Sequential of length 4"):
        model[4]
    model.append(nn.Sigmoid())
    assert len(model) == 5 and [n for n, _ in model.named_children()][-1] == "4"
    del model[1]
    assert [n for n, _ in model.named_children()] == ["0", "1", "2", "3"]
    assert isinstance(model[1], nn.Linear) and model[1] is model.__dict__["1"]
    model.insert(1, nn.ReLU())
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear", "Tanh", "Sigmoid"]
    model[3] = nn.Identity()
    assert isinstance(model[3], nn.Identity)
    assert model.pop() is not None and len(model) == 4


def test_sequential_from_an_ordered_dict_keeps_the_names() -> None:
    model = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))]))
    assert [n for n, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert model.hidden is model[0]
    assert "(hidden): Linear" in repr(model)


def test_module_list_and_module_dict() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    layers.append(nn.Linear(2, 1))
    layers += [nn.Sigmoid()]
    assert len(layers) == 4 and isinstance(layers[-1], nn.Sigmoid)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2"]
    layers.insert(0, nn.Tanh())
    assert isinstance(layers[0], nn.Tanh) and len(list(layers.parameters())) == 2
    with pytest.raises(NotImplementedError):
        layers(tg.ones(1))

    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    assert list(heads) == ["a", "b"] and "a" in heads and heads["b"].out_features == 3
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    heads.pop("a")
    assert list(heads.keys()) == ["b"]


# =================================================================================================
# the chapter's exercise 6, written with nn (23.26.6)
# =================================================================================================

def test_sine_network_reproduces_the_chapter_loss_curve_step_for_step() -> None:
    # the PyTorch tutorial's way of stepping by hand: p -= lr * p.grad under no_grad
    X, y, weights = exercise6.make_data_and_weights()
    model = sine_model()
    model.load_state_dict({"0.weight": weights["W1"], "0.bias": weights["b1"], "2.weight": weights["W2"],
                           "2.bias": weights["b2"]})
    loss_fn = nn.MSELoss()
    X_t, y_t = tg.tensor(X), tg.tensor(y)
    losses = []
    for step in range(exercise6.STEPS):
        loss = loss_fn(model(X_t), y_t)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p -= exercise6.ETA * p.grad
    assert losses[-1] == pytest.approx(exercise6.FINAL_LOSS, abs=1e-9)
    np.testing.assert_allclose(losses, exercise6.numpy_training(X, y, weights)[0], rtol=1e-9)


@pytest.mark.torch
def test_linear_and_activations_match_torch(pytorch) -> None:
    rng = np.random.default_rng(22)
    W, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    inputs = [rng.standard_normal(shape) for shape in [(5, 4), (4,), (2, 3, 4)]]
    grid = rng.standard_normal(50) * 4
    table, idx = rng.standard_normal((6, 2)), np.array([[0, 5], [5, 2]])
    gains = [("relu", None), ("tanh", None), ("leaky_relu", 0.3), ("selu", None), ("sigmoid", None)]

    def run(lib) -> dict:
        """The same calls on either library, as plain data: values and the gradients of their sums."""
        fn = lib.nn.functional
        linear = lib.nn.Linear(4, 3)
        linear = linear if lib is tg else linear.double()
        with lib.no_grad():
            linear.weight.copy_(lib.tensor(W))
            linear.bias.copy_(lib.tensor(b))
        results = {"linear": []}
        for a in inputs:
            x = lib.tensor(a, requires_grad=True)
            linear.zero_grad()
            y = linear(x)
            y.sum().backward()
            results["linear"].append([y.detach().numpy(), x.grad.numpy(), linear.weight.grad.numpy(),
                                      linear.bias.grad.numpy()])
        results["names"] = [n for n, _ in linear.named_parameters()]
        results["repr"] = repr(linear)
        sequential = lib.nn.Sequential(lib.nn.Linear(1, 12), lib.nn.ReLU(), lib.nn.Linear(12, 1))
        results["sequential"] = [repr(sequential), list(sequential.state_dict())]
        results["activations"] = []
        for activation in (fn.gelu, lambda v: fn.gelu(v, approximate="tanh"), fn.softplus,
                           lambda v: fn.softplus(v, 2.0, 3.0), fn.logsigmoid, lambda v: fn.leaky_relu(v, 0.2)):
            x = lib.tensor(grid, requires_grad=True)
            y = activation(x)
            y.sum().backward()
            results["activations"].append([y.detach().numpy(), x.grad.numpy()])
        results["gains"] = [lib.nn.init.calculate_gain(name, a) for name, a in gains]
        w = lib.tensor(table, requires_grad=True)
        e = fn.embedding(lib.tensor(idx), w, padding_idx=5)
        e.sum().backward()
        results["embedding"] = [e.detach().numpy(), w.grad.numpy()]
        return results
    ours, theirs = run(tg), pytorch("layers and activations", run)
    for mine, their in zip(ours["linear"], theirs["linear"]):
        for a, e in zip(mine, their):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
    assert ours["names"] == theirs["names"] and ours["repr"] == theirs["repr"]
    assert ours["sequential"] == theirs["sequential"]
    for mine, their in zip(ours["activations"], theirs["activations"]):
        for a, e in zip(mine, their):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
    assert ours["gains"] == pytest.approx(theirs["gains"])
    for a, e in zip(ours["embedding"], theirs["embedding"]):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
