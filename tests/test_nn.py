"""Tests for tinygrad_la.nn: modules, layers, losses, functional, init and summary.

Layout follows the package: Module mechanics (registration, state_dict, hooks, repr), layers
(Linear against the chapter's numbers, activations, Dropout, Embedding, containers), losses
(each against a hand-written NumPy formula, then gradcheck), the fused ops against the
compositions they replace (values, gradients, gradgradcheck), init, summary, and the chapter's
sine network trained end to end. Tests marked `torch` compare with PyTorch in float64.
"""
from __future__ import annotations

import copy
import math
import pickle
from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_la as tg
import tinygrad_la.nn as nn
import tinygrad_la.nn.functional as F
from tinygrad_la import Tensor, gradcheck, gradgradcheck
from tinygrad_la.nn import init
from tinygrad_la.testing import tensors

nan, inf = math.nan, math.inf


def t64(array: Any, requires_grad: bool = True) -> Tensor:
    return tg.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


def value_and_grads(fn: Callable, *inputs: Tensor) -> tuple[np.ndarray, list[np.ndarray]]:
    """fn's value and d(sum of fn)/d(each input) as arrays."""
    out = fn(*inputs)
    grads = tg.autograd.grad(out.sum(), list(inputs), allow_unused=True)
    return out.numpy().copy(), [None if g is None else g.numpy() for g in grads]


def assert_same_function(fn: Callable, reference: Callable, *inputs: Tensor, rtol: float = 1e-10) -> None:
    """Two implementations agree in value and gradient on the same inputs."""
    value, grads = value_and_grads(fn, *inputs)
    ref_value, ref_grads = value_and_grads(reference, *inputs)
    np.testing.assert_allclose(value, ref_value, rtol=rtol, atol=1e-12)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=rtol, atol=1e-12)


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.hidden(x).relu())


def sine_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Linear(12, 1))


# =================================================================================================
# Module: registration
# =================================================================================================

def test_attributes_register_parameters_and_submodules_in_order() -> None:
    model = TwoLayer()
    assert [name for name, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert list(model.parameters())[0] is model.hidden.weight
    assert [name for name, _ in model.named_children()] == ["hidden", "out"]
    assert [name for name, _ in model.named_modules()] == ["", "hidden", "out"]
    assert [type(m).__name__ for m in model.modules()] == ["TwoLayer", "Linear", "Linear"]
    assert model.num_parameters() == (2 * 3 + 3) + (3 + 1)


def test_registered_attributes_live_in_the_instance_dict_for_fast_lookup() -> None:
    layer = nn.Linear(2, 3)
    assert layer.__dict__["weight"] is layer._parameters["weight"] is layer.weight
    model = TwoLayer()
    assert model.__dict__["hidden"] is model._modules["hidden"]


def test_sequential_names_are_indices() -> None:
    model = sine_model()
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in model.named_parameters(prefix="net")][0] == "net.0.weight"
    assert list(model.named_parameters(recurse=False)) == []
    assert len(list(model[0].parameters(recurse=False))) == 2


def test_module_list_registers_and_a_plain_list_does_not() -> None:
    class Stack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
            self.hidden_from_parameters = [nn.Linear(2, 2)]   # a plain list: not registered, as PyTorch

        def forward(self, x: Tensor) -> Tensor:
            for layer in self.layers:
                x = layer(x)
            return x

    model = Stack()
    names = [n for n, _ in model.named_parameters()]
    assert names == [f"layers.{i}.{p}" for i in range(3) for p in ("weight", "bias")]
    assert model(tg.ones(4, 2)).shape == (4, 2)


def test_reassignment_keeps_registry_and_attribute_in_step() -> None:
    layer = nn.Linear(2, 3)
    old = layer.weight
    new = nn.Parameter(tg.zeros(3, 2))
    layer.weight = new
    assert layer.weight is new and layer._parameters["weight"] is new and old is not new
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]     # kept its place
    layer.bias = None
    assert layer.bias is None and list(layer.parameters()) == [new]
    layer.bias = nn.Parameter(tg.zeros(3))
    assert len(list(layer.parameters())) == 2
    del layer.bias
    assert "bias" not in layer._parameters and not hasattr(layer, "bias")
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'.*nn.Parameter"):
        layer.weight = tg.zeros(3, 2)


def test_a_name_moves_between_kinds_cleanly() -> None:
    model = nn.Module()
    model.thing = nn.Parameter(tg.zeros(2))
    model.thing = nn.Linear(1, 1)            # a parameter name becomes a module
    assert "thing" not in model._parameters and model._modules["thing"] is model.thing
    model.thing = nn.Parameter(tg.zeros(1))  # and back
    assert "thing" not in model._modules and model._parameters["thing"] is model.thing
    with pytest.raises(KeyError, match="attribute 'thing' already exists"):   # as PyTorch
        model.register_buffer("thing", tg.zeros(3))
    del model.thing
    model.register_buffer("thing", tg.zeros(3))
    model.thing = tg.ones(3)                 # a buffer slot takes tensors
    assert model._buffers["thing"] is model.thing and not model._parameters
    del model.thing
    assert not hasattr(model, "thing") and not model._buffers


def test_module_slot_rejects_non_modules() -> None:
    model = nn.Module()
    model.child = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="cannot assign int as module 'child'"):
        model.child = 3
    model.child = None
    assert model.child is None and list(model.children()) == []


def test_assigning_before_init_says_what_to_do() -> None:
    class Forgetful(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_shared_parameters_and_modules_appear_once() -> None:
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert len(model.state_dict()) == 4    # state_dict keeps both names, as PyTorch


def test_parameters_cache_follows_structure_changes() -> None:
    model = nn.Sequential(nn.Linear(1, 2))
    assert len(list(model.parameters())) == 2
    model.append(nn.Linear(2, 2))
    assert len(list(model.parameters())) == 4
    model[1].bias = None                         # a change deep inside
    assert len(list(model.parameters())) == 3
    model[0]._parameters["extra"] = nn.Parameter(tg.zeros(1))   # straight into a registry
    assert len(list(model.parameters())) == 4
    assert model[0].extra is model[0]._parameters["extra"]       # found by __getattr__


def test_register_parameter_buffer_module_and_name_checks() -> None:
    model = nn.Module()
    model.register_parameter("w", nn.Parameter(tg.ones(2)))
    model.register_buffer("running", tg.zeros(2))
    model.register_buffer("scratch", tg.zeros(1), persistent=False)
    model.add_module("child", nn.Linear(1, 1))
    assert [n for n, _ in model.named_buffers()] == ["running", "scratch"]
    assert list(model.state_dict()) == ["w", "running", "child.weight", "child.bias"]
    with pytest.raises(KeyError, match="attribute 'train' already exists"):
        model.add_module("train", nn.Linear(1, 1))
    with pytest.raises(KeyError, match="empty or contain"):
        model.register_buffer("a.b", tg.zeros(1))
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        model.register_parameter("v", tg.ones(2))
    assert model.get_submodule("child") is model.child


def test_train_eval_apply_requires_grad_and_zero_grad() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.1)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())

    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Dropout", "Dropout", "Sequential", "Sequential"]   # children first

    model.requires_grad_(False)
    assert model.num_parameters() == 0 and model.num_parameters(only_trainable=False) == 6
    model.requires_grad_(True)

    model(tg.ones(3, 2)).sum().backward()
    assert model[0].weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert np.all(model[0].weight.grad.numpy() == 0)
    model.zero_grad()
    assert model[0].weight.grad is None


def test_to_dtype_converts_in_place_and_keeps_the_parameter_objects() -> None:
    model = sine_model()
    weight = model[0].weight
    model.float()
    assert model[0].weight is weight and weight.dtype == np.float32
    assert model(tg.ones(4, 1, dtype=tg.float32)).dtype == np.float32
    model.to(tg.float64)
    assert weight.dtype == np.float64
    model.to("cpu")
    with pytest.raises(RuntimeError, match="cuda"):
        model.to("cuda")


def test_pickle_round_trip_keeps_structure_and_values() -> None:
    model = TwoLayer()
    list(model.parameters())                                    # fill the parameters() cache
    clone = pickle.loads(pickle.dumps(model))
    assert "_parameters_cache" not in pickle.loads(pickle.dumps(model)).__dict__
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert list(clone.parameters())[0] is clone.hidden.weight
    x = tg.ones(2, 2)
    np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())


def test_registries_mirror_into_the_instance_dict_whichever_way_they_change() -> None:
    layer = nn.Linear(2, 2)
    twin = copy.deepcopy(layer)
    twin._parameters["extra"] = nn.Parameter(tg.zeros(1))
    assert twin.extra is twin._parameters["extra"] and not hasattr(layer, "extra")
    twin._parameters.pop("extra")
    assert not hasattr(twin, "extra")
    twin._parameters.update(extra=nn.Parameter(tg.ones(1)))
    assert twin.extra.item() == 1.0
    twin._parameters.clear()
    assert not hasattr(twin, "weight") and list(twin.parameters()) == []
    assert not hasattr(type(layer), "__getattr__")           # attribute lookup stays the plain, fast one


def test_deepcopy_makes_an_independent_model() -> None:
    model = sine_model()
    twin = copy.deepcopy(model)
    x = tg.linspace(-1, 1, 5).reshape(5, 1)
    np.testing.assert_array_equal(model(x).numpy(), twin(x).numpy())
    assert twin[0].weight is not model[0].weight
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight.requires_grad
    with tg.no_grad():
        twin[0].weight += 1
    assert not np.array_equal(model[0].weight.numpy(), twin[0].weight.numpy())


def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed() -> None:
    model = sine_model()
    seen = []
    handle = model[0].register_forward_hook(lambda m, inputs, output: seen.append((m, inputs[0].shape, output.shape)))
    x = tg.ones(5, 1)
    model(x)
    assert seen == [(model[0], (5, 1), (5, 12))]
    handle.remove()
    model(x)
    assert len(seen) == 1

    with model.register_forward_hook(lambda m, inputs, output: output * 0):   # a returned value replaces
        assert np.all(model(x).numpy() == 0)
    assert not np.all(model(x).numpy() == 0)

    with model[0].register_forward_pre_hook(lambda m, inputs: (inputs[0] * 0,)):
        np.testing.assert_allclose(model[0](x).numpy(), np.broadcast_to(model[0].bias.numpy(), (5, 12)))


def test_forward_without_definition_raises() -> None:
    with pytest.raises(NotImplementedError, match="missing the required \"forward\""):
        nn.Module()(1)


# =================================================================================================
# state_dict / load_state_dict
# =================================================================================================

def test_state_dict_order_and_memory_sharing() -> None:
    model = sine_model()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert not state["0.weight"].requires_grad
    assert np.shares_memory(state["0.weight"].numpy(), model[0].weight.numpy())
    assert model.state_dict(keep_vars=True)["0.weight"] is model[0].weight


def test_state_dict_round_trip_gives_identical_outputs() -> None:
    tg.manual_seed(1)
    model = TwoLayer()
    saved = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    tg.manual_seed(2)
    fresh = TwoLayer()
    x = tg.randn(7, 2)
    assert not np.allclose(model(x).numpy(), fresh(x).numpy())
    result = fresh.load_state_dict(saved)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    np.testing.assert_array_equal(model(x).numpy(), fresh(x).numpy())
    fresh.load_state_dict(model.state_dict())      # Tensors work as well as arrays
    np.testing.assert_array_equal(model(x).numpy(), fresh(x).numpy())


def test_state_dict_survives_save_and_load_to_a_file(tmp_path: Any) -> None:
    if not hasattr(tg, "save"):
        pytest.skip("tinygrad_la.save is not there yet")
    model, fresh = TwoLayer(), TwoLayer()
    tg.save(model.state_dict(), tmp_path / "model.npz")
    fresh.load_state_dict(tg.load(tmp_path / "model.npz"))
    x = tg.randn(3, 2)
    np.testing.assert_array_equal(model(x).numpy(), fresh(x).numpy())


def test_strict_load_lists_every_problem_and_changes_nothing() -> None:
    model = sine_model()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    bad = {k: v.numpy().copy() + 1 for k, v in model.state_dict().items()}
    del bad["2.bias"]
    bad["extra.weight"] = np.zeros(3)
    bad["0.weight"] = np.zeros((12, 2))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "2.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in message
    assert "size mismatch for 0.weight: copying a param with shape (12, 2) from checkpoint, " \
           "the shape in current model is (12, 1)" in message
    for key, value in model.state_dict().items():            # nothing was copied, not even 0.bias
        np.testing.assert_array_equal(value.numpy(), before[key])


def test_non_strict_load_returns_the_key_lists_but_still_checks_shapes() -> None:
    model = sine_model()
    state = {k: v.numpy() * 0 for k, v in model.state_dict().items() if k != "2.bias"}
    state["junk"] = np.ones(1)
    result = model.load_state_dict(state, strict=False)
    assert result == (["2.bias"], ["junk"])
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["junk"]
    assert np.all(model[0].weight.numpy() == 0)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.bias.*\(3,\).*\(12,\)"):
        model.load_state_dict({"0.bias": np.zeros(3)}, strict=False)


def test_load_into_a_model_whose_old_values_a_graph_saved_refuses_backward() -> None:
    model = sine_model()
    loss = model(tg.ones(3, 1)).sum()
    model.load_state_dict({k: v.numpy() + 1 for k, v in model.state_dict().items()})
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


# =================================================================================================
# repr
# =================================================================================================

def test_repr_is_nested_like_pytorch() -> None:
    model = nn.Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Sequential(nn.Linear(12, 1, bias=False), nn.Dropout(0.2)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=1, out_features=12, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=12, out_features=1, bias=False)\n"
        "    (1): Dropout(p=0.2, inplace=False)\n"
        "  )\n"
        ")")
    assert repr(TwoLayer()) == ("TwoLayer(\n  (hidden): Linear(in_features=2, out_features=3, bias=True)\n"
                                "  (out): Linear(in_features=3, out_features=1, bias=True)\n)")
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.MSELoss()) == "MSELoss()"


def test_parameter_repr_and_identity() -> None:
    p = nn.Parameter(tg.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert p.is_leaf and p.requires_grad and isinstance(p, Tensor)
    frozen = nn.Parameter(tg.tensor([1.0]), requires_grad=False)
    assert not frozen.requires_grad
    source = tg.tensor([3.0])
    assert nn.Parameter(source).numpy() is source.numpy()      # shares memory, as PyTorch


def test_extra_repr_on_a_custom_module() -> None:
    class Scale(nn.Module):
        def __init__(self, factor: float) -> None:
            super().__init__()
            self.factor = factor

        def extra_repr(self) -> str:
            return f"factor={self.factor}"

    assert repr(nn.Sequential(Scale(2.0))) == "Sequential(\n  (0): Scale(factor=2.0)\n)"


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


# =================================================================================================
# fused ops against the compositions they replace
# =================================================================================================

@given(st.sampled_from([(3,), (4, 3), (2, 2, 3)]), st.booleans(), st.data())
def test_fused_linear_matches_composed(shape: tuple, with_bias: bool, data: Any) -> None:
    x = data.draw(tensors(shape))
    w = data.draw(tensors((2, 3)))
    b = data.draw(tensors((2,))) if with_bias else None
    fused = (lambda x, w, b: F.linear(x, w, b)) if with_bias else (lambda x, w: F.linear(x, w))
    composed = (lambda x, w, b: x @ w.T + b) if with_bias else (lambda x, w: x @ w.T)
    inputs = (x, w, b) if with_bias else (x, w)
    assert_same_function(fused, composed, *inputs)
    assert gradcheck(fused, inputs)
    assert gradgradcheck(fused, inputs)


def test_fused_linear_with_an_input_that_needs_no_grad() -> None:
    x = t64(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=False)
    w, b = t64(np.ones((2, 3))), t64(np.zeros(2))
    assert gradcheck(lambda w, b: F.linear(x, w, b), (w, b))
    assert gradgradcheck(lambda w, b: F.linear(x, w, b), (w, b))
    assert F.linear(x, w.detach(), b.detach()).grad_fn is None


def composed_cross_entropy(x: Tensor, t: np.ndarray, weight: Any = None, ignore_index: int = -100,
                           reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """The formula of cross_entropy built from core ops, as PyTorch defines it (for (N, C) inputs)."""
    n, c = x.shape
    log_p = x.log_softmax(1)
    kept = t != ignore_index
    safe = np.where(kept, t, 0)
    w = np.ones(c) if weight is None else np.asarray(weight)
    row_weight = w[safe] * kept
    nll = -(log_p[np.arange(n), safe] * row_weight)
    smooth = -(log_p * w).sum(1) * kept
    loss = (1 - label_smoothing) * nll + (label_smoothing / c) * smooth
    if reduction == "mean":
        return loss.sum() / row_weight.sum()
    return loss.sum() if reduction == "sum" else loss


CE_OPTIONS = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"ignore_index": 1},
    {"weight": [0.5, 2.0, 1.0, 3.0]},
    {"label_smoothing": 0.2},
    {"weight": [0.5, 2.0, 1.0, 3.0], "ignore_index": 0, "label_smoothing": 0.1},
    {"weight": [0.0, 2.0, 1.0, 3.0], "label_smoothing": 0.2},       # a zero weight is not an ignored row
    {"weight": [0.5, 2.0, 1.0, 3.0], "ignore_index": 2, "label_smoothing": 0.3, "reduction": "none"},
]


@pytest.mark.parametrize("options", CE_OPTIONS, ids=lambda o: ",".join(o) or "plain")
def test_fused_cross_entropy_matches_composed_and_passes_gradgradcheck(options: dict) -> None:
    rng = np.random.default_rng(3)
    x = t64(rng.standard_normal((6, 4)) * 3)
    t = np.array([0, 3, 1, 1, 2, 0])
    weight = options.get("weight")
    fused_options = dict(options, weight=None if weight is None else tg.tensor(weight))
    fused = lambda x: F.cross_entropy(x, tg.tensor(t), **fused_options)       # noqa: E731
    assert_same_function(fused, lambda x: composed_cross_entropy(x, t, **options), x)
    assert gradcheck(fused, (x,))
    assert gradgradcheck(fused, (x,))


@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_fused_cross_entropy_matches_composed_on_drawn_shapes(n: int, c: int, data: Any) -> None:
    x = data.draw(tensors((n, c)))
    t = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    assert_same_function(lambda x: F.cross_entropy(x, tg.tensor(t)), lambda x: composed_cross_entropy(x, t), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_mse_matches_composed_and_passes_gradgradcheck(reduction: str) -> None:
    rng = np.random.default_rng(4)
    x, y = t64(rng.standard_normal((5, 2))), t64(rng.standard_normal((5, 2)))
    composed = {"mean": lambda x, y: ((x - y) ** 2).mean(), "sum": lambda x, y: ((x - y) ** 2).sum(),
                "none": lambda x, y: (x - y) ** 2}[reduction]
    fused = lambda x, y: F.mse_loss(x, y, reduction=reduction)                # noqa: E731
    assert_same_function(fused, composed, x, y)
    assert gradcheck(fused, (x, y))
    assert gradgradcheck(fused, (x, y))


def test_fused_ops_free_their_graph_and_refuse_a_second_backward() -> None:
    x = t64(np.ones((2, 3)))
    loss = F.cross_entropy(F.linear(x, t64(np.ones((4, 3)))), tg.tensor([0, 1]))
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


# =================================================================================================
# losses against NumPy formulas (23.14)
# =================================================================================================

def np_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def np_softplus(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def reduce_np(loss: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(5)
    x, y = t64(rng.standard_normal((4, 3))), t64(rng.standard_normal((4, 3)))
    d = x.numpy() - y.numpy()
    np.testing.assert_allclose(nn.MSELoss(reduction=reduction)(x, y).numpy(), reduce_np(d ** 2, reduction))
    np.testing.assert_allclose(nn.L1Loss(reduction=reduction)(x, y).numpy(), reduce_np(np.abs(d), reduction))
    assert gradcheck(lambda x, y: F.l1_loss(x, y, reduction=reduction), (x, y))


def test_mse_is_the_chapter_formula() -> None:
    # 23.14: L = (1/N) Σ (y_i - ŷ_i)²
    assert nn.MSELoss()(tg.tensor([1.0, 2.0, 4.0]), tg.tensor([1.0, 0.0, 1.0])).item() == pytest.approx(13 / 3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(6)
    x = t64(rng.standard_normal((5, 3)))
    t = np.array([2, 0, 1, 1, 0])
    per_example = -np_log_softmax(x.numpy())[np.arange(5), t]
    expected = reduce_np(per_example, reduction)
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction=reduction)(x, tg.tensor(t)).numpy(), expected, rtol=1e-12)
    # the same loss from class probabilities (one-hot) and through NLLLoss(LogSoftmax)
    one_hot = np.eye(3)[t]
    np.testing.assert_allclose(F.cross_entropy(x, tg.tensor(one_hot), reduction=reduction).numpy(), expected)
    nll = nn.NLLLoss(reduction=reduction)(nn.LogSoftmax(dim=1)(x), tg.tensor(t))
    np.testing.assert_allclose(nll.numpy(), expected, rtol=1e-12)


def test_cross_entropy_is_the_chapter_minus_log_p() -> None:
    # 23.13: softmax([1.2, 3.5, 0.7]) = [0.0864, 0.8613, 0.0524]; true class "dog" (1): L = -log 0.8613
    loss = F.cross_entropy(tg.tensor([1.2, 3.5, 0.7]), tg.tensor(1))
    assert loss.item() == pytest.approx(-math.log(0.86127533), rel=1e-7)


def test_cross_entropy_options_against_numpy() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 4))
    t = np.array([0, 3, 1, 1, 2, 3])
    w = np.array([1.0, 2.0, 0.5, 3.0])
    log_p = np_log_softmax(x)
    picked = -log_p[np.arange(6), t]
    got = F.cross_entropy(t64(x), tg.tensor(t), weight=tg.tensor(w))
    assert got.item() == pytest.approx((w[t] * picked).sum() / w[t].sum(), rel=1e-12)
    kept = t != 1
    got = F.cross_entropy(t64(x), tg.tensor(t), ignore_index=1)
    assert got.item() == pytest.approx(picked[kept].mean(), rel=1e-12)
    eps = 0.1
    smooth_target = (1 - eps) * np.eye(4)[t] + eps / 4
    got = F.cross_entropy(t64(x), tg.tensor(t), label_smoothing=eps)
    assert got.item() == pytest.approx(-(smooth_target * log_p).sum(1).mean(), rel=1e-12)
    probs = rng.dirichlet(np.ones(4), 6)
    got = F.cross_entropy(t64(x), t64(probs, False), weight=tg.tensor(w))
    assert got.item() == pytest.approx(-(probs * w * log_p).sum(1).mean(), rel=1e-12)


def test_cross_entropy_on_extra_dimensions_and_single_vectors() -> None:
    rng = np.random.default_rng(8)
    x = t64(rng.standard_normal((2, 3, 4, 5)))          # (N, C, d1, d2)
    t = rng.integers(0, 3, (2, 4, 5))
    per_example = -np.take_along_axis(np_log_softmax(x.numpy(), axis=1), t[:, None], axis=1)[:, 0]
    got = F.cross_entropy(x, tg.tensor(t), reduction="none")
    assert got.shape == (2, 4, 5)
    np.testing.assert_allclose(got.numpy(), per_example, rtol=1e-12)
    assert F.cross_entropy(x, tg.tensor(t)).item() == pytest.approx(per_example.mean(), rel=1e-12)
    assert gradcheck(lambda x: F.cross_entropy(x, tg.tensor(t)), (x,))
    v = t64([1.0, 2.0, 0.5])
    assert F.cross_entropy(v, tg.tensor(1)).item() == pytest.approx(-np_log_softmax(v.numpy())[1], rel=1e-12)


@pytest.mark.parametrize("big", [1e4, 1e30])
def test_cross_entropy_is_finite_for_extreme_logits(big: float) -> None:
    x = t64([[big, -big, 0.0], [-big, big, big], [0.0, -big, big]])
    t = tg.tensor([1, 0, 2])
    loss = F.cross_entropy(x, t)
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.numpy()))
    assert loss.item() == pytest.approx((2 * big + (2 * big + math.log(2)) + 0) / 3, rel=1e-12)
    for probs in (np.eye(3)[[1, 0, 2]], np.full((3, 3), 1 / 3)):
        x.grad = None
        soft = F.cross_entropy(x, t64(probs, False), label_smoothing=0.1)
        soft.backward()
        assert np.isfinite(soft.item()) and np.all(np.isfinite(x.grad.numpy()))


@pytest.mark.parametrize("big", [1e4, 1e30])
def test_bce_with_logits_is_finite_and_exact_for_extreme_logits(big: float) -> None:
    x = t64([big, -big, big, -big, 0.0])
    y = t64([1.0, 0.0, 0.0, 1.0, 0.5], False)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, big, big, math.log(2)], rtol=1e-12, atol=1e-300)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(9)
    log_p = t64(np_log_softmax(rng.standard_normal((5, 4))))
    t = np.array([3, -100, 1, 0, 3])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    got = F.nll_loss(log_p, tg.tensor(t), weight=tg.tensor(w), reduction=reduction)
    kept = t != -100
    per = np.where(kept, -log_p.numpy()[np.arange(5), np.where(kept, t, 0)] * w[np.where(kept, t, 0)], 0)
    expected = {"mean": per.sum() / w[t[kept]].sum(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda z: F.nll_loss(z, tg.tensor(t), weight=tg.tensor(w), reduction=reduction), (log_p,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(10)
    p = t64(rng.uniform(0.05, 0.95, (4, 3)))
    y = t64(rng.uniform(0, 1, (4, 3)))
    w = rng.uniform(0.5, 2, (4, 3))
    per = -(y.numpy() * np.log(p.numpy()) + (1 - y.numpy()) * np.log(1 - p.numpy()))
    np.testing.assert_allclose(nn.BCELoss(reduction=reduction)(p, y).numpy(), reduce_np(per, reduction), rtol=1e-12)
    np.testing.assert_allclose(nn.BCELoss(weight=tg.tensor(w), reduction=reduction)(p, y).numpy(),
                               reduce_np(w * per, reduction), rtol=1e-12)
    fn = lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction)        # noqa: E731
    assert gradcheck(fn, (p, y)) and gradgradcheck(fn, (p, y))


def test_bce_clamps_its_logs_at_minus_100_as_pytorch() -> None:
    p = t64([0.0, 1.0, 0.0, 1.0])
    y = t64([1.0, 0.0, 0.0, 1.0], False)
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.numpy()))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(11)
    x = t64(rng.standard_normal((4, 3)) * 4)
    y = t64(rng.uniform(0, 1, (4, 3)))
    pos_weight = np.array([0.5, 2.0, 3.0])
    sig = 1 / (1 + np.exp(-x.numpy()))
    per = -(y.numpy() * np.log(sig) + (1 - y.numpy()) * np.log(1 - sig))
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction=reduction)(x, y).numpy(), reduce_np(per, reduction),
                               rtol=1e-10)
    per_pw = -(pos_weight * y.numpy() * np.log(sig) + (1 - y.numpy()) * np.log(1 - sig))
    got = nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=tg.tensor(pos_weight))(x, y)
    np.testing.assert_allclose(got.numpy(), reduce_np(per_pw, reduction), rtol=1e-10)
    fn = lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=tg.tensor(pos_weight))  # noqa: E731
    assert gradcheck(fn, (x, y)) and gradgradcheck(fn, (x, y))


@given(tensors((3, 4)), st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_gradient_is_softmax_minus_one_hot(x: Tensor, reduction: str) -> None:
    t = np.array([0, 3, 2])
    loss = F.cross_entropy(x, tg.tensor(t), reduction=reduction)
    loss.sum().backward()
    p = np.exp(np_log_softmax(x.numpy()))
    expected = (p - np.eye(4)[t]) / (3 if reduction == "mean" else 1)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10, atol=1e-14)


# --- loss errors: raised before computing, naming shapes, dtypes, values -----------------------------

def test_regression_losses_refuse_mismatched_shapes_and_dtypes() -> None:
    with pytest.raises(ValueError, match=r"mse_loss: input has shape \(120, 1\) but target has shape \(120,\)"):
        nn.MSELoss()(tg.zeros(120, 1), tg.zeros(120))
    with pytest.raises(ValueError, match=r"l1_loss: input has shape \(3,\) but target has shape \(1, 3\)"):
        F.l1_loss(tg.zeros(3), tg.zeros(1, 3))
    with pytest.raises(TypeError, match="target has dtype int64.*floating point"):
        F.mse_loss(tg.zeros(3), tg.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"_with_logits: input has shape \(4,\) but target has shape \(4, 1\)"):
        F.binary_cross_entropy_with_logits(tg.zeros(4), tg.zeros(4, 1))
    with pytest.raises(ValueError, match="'average' is not a valid value for reduction"):
        nn.MSELoss(reduction="average")


def test_class_targets_are_checked_before_computing() -> None:
    logits = tg.zeros(3, 4, requires_grad=True)
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(logits, tg.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="target -1 is out of bounds for 4 classes"):
        nn.CrossEntropyLoss()(logits, tg.tensor([0, -1, 1]))
    with pytest.raises(IndexError, match="target 7 is out of bounds for 4 classes"):
        F.nll_loss(logits, tg.tensor([7, 0, 1]))
    with pytest.raises(ValueError, match=r"input of shape \(3, 4\) needs class targets of shape \(3,\); "
                                         r"got target of shape \(3, 1\)"):
        F.cross_entropy(logits, tg.tensor([[0], [1], [2]]))
    with pytest.raises(ValueError, match=r"float targets are class probabilities and need the input's shape "
                                         r"\(3, 4\); got target of shape \(3,\)"):
        F.cross_entropy(logits, tg.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(4,\); got shape \(3,\)"):
        F.cross_entropy(logits, tg.tensor([0, 1, 2]), weight=tg.ones(3))
    with pytest.raises(TypeError, match="nll_loss: target must hold class indices.*float64"):
        F.nll_loss(logits, tg.tensor([0.0, 1.0, 2.0]))
    assert logits.grad is None


def test_bce_refuses_inputs_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="between 0 and 1.*from -0.5 to 2.0.*sigmoid"):
        F.binary_cross_entropy(tg.tensor([-0.5, 2.0]), tg.tensor([0.0, 1.0]))


@pytest.mark.parametrize("bad", [1.5, -0.1, math.nan])
def test_bce_refuses_targets_outside_zero_one_as_pytorch(bad: float) -> None:
    with pytest.raises(ValueError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(t64([0.5, 0.2]), t64([bad, 1.0], False))


def test_bce_names_a_nan_input() -> None:
    with pytest.raises(ValueError, match="between 0 and 1.*from 0.5 to 0.5 and nan"):
        F.binary_cross_entropy(t64([0.5, math.nan]), t64([1.0, 0.0], False))


def test_ignore_index_skips_entries_and_out_of_range_ignore_value_is_fine() -> None:
    x = t64(np.random.default_rng(12).standard_normal((4, 3)))
    t = tg.tensor([0, -100, 2, -100])
    full = F.cross_entropy(x, t, reduction="none")
    assert full.numpy()[1] == 0 and full.numpy()[3] == 0
    assert F.cross_entropy(x, t).item() == pytest.approx(full.numpy()[[0, 2]].mean())
    F.cross_entropy(x, t).backward()
    assert np.all(x.grad.numpy()[[1, 3]] == 0)


# PyTorch 2.13 on x = [[1, 2, -0.5], [0, -1, 3]]: a mean over no kept weight is 0/0 = nan, but an
# ignored row's gradient is 0, so one padding-only batch does not turn every weight into nan.
_PADDING_ONLY_LOSS = {"mean": math.nan, "sum": 0.0, "none": [0.0, 0.0]}
_LOGITS = [[1.0, 2.0, -0.5], [0.0, -1.0, 3.0]]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 0.5]])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_of_a_padding_only_batch_has_zero_gradient(reduction: str, weight: Any,
                                                                 label_smoothing: float) -> None:
    x = t64(_LOGITS)
    loss = F.cross_entropy(x, tg.tensor([-100, -100]), weight=None if weight is None else t64(weight, False),
                           reduction=reduction, label_smoothing=label_smoothing)
    np.testing.assert_array_equal(loss.numpy(), _PADDING_ONLY_LOSS[reduction])
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 0.5]])
def test_nll_loss_of_a_padding_only_batch_has_zero_gradient(reduction: str, weight: Any) -> None:
    x = t64(_LOGITS)
    loss = F.nll_loss(x, tg.tensor([-100, -100]), weight=None if weight is None else t64(weight, False),
                      reduction=reduction)
    np.testing.assert_array_equal(loss.numpy(), _PADDING_ONLY_LOSS[reduction])
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_a_padding_only_batch_leaves_the_model_finite_after_a_step() -> None:
    tg.manual_seed(0)
    model = nn.Linear(3, 4).double()
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    before = [p.numpy().copy() for p in model.parameters()]
    for loss_fn in (F.cross_entropy, lambda z, t: F.nll_loss(F.log_softmax(z, 1), t)):
        opt.zero_grad()
        loss = loss_fn(model(t64(_LOGITS, False)), tg.tensor([-100, -100]))
        assert math.isnan(loss.item())
        loss.backward()
        opt.step()
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_mean_over_zero_total_weight_is_nan_on_kept_rows_only(label_smoothing: float) -> None:
    # row 0 is kept with a class of weight 0, row 1 is ignored: PyTorch's loss nan (not inf, even where the
    # smoothing term is not 0), gradient nan on row 0 and 0 on row 1
    x = t64(_LOGITS)
    loss = F.cross_entropy(x, tg.tensor([0, -100]), weight=t64([0.0, 2.0, 0.5], False),
                           label_smoothing=label_smoothing)
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[math.nan] * 3, [0.0] * 3])


def test_nll_loss_mean_over_zero_total_weight_is_nan_at_kept_targets_only() -> None:
    x = t64(_LOGITS)
    loss = F.nll_loss(x, tg.tensor([0, -100]), weight=t64([0.0, 2.0, 0.5], False))
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[math.nan, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_nll_loss_of_an_ignored_row_is_plus_zero() -> None:
    # PyTorch skips an ignored row (+0.0), where -(x·0) would be -0.0 for a positive x
    for x in (_LOGITS, -np.array(_LOGITS)):
        loss = F.nll_loss(t64(x, False), tg.tensor([-100, 1]), reduction="none").numpy()
        assert math.copysign(1.0, loss[0]) == 1.0 and loss[1] == -x[1][1]


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "soft cross_entropy", "mse_loss", "l1_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_of_an_empty_batch(name: str, reduction: str) -> None:
    # PyTorch: the mean of nothing is nan, the sum 0, 'none' empty; the gradient is empty, never an error
    classes = name in ("cross_entropy", "nll_loss", "soft cross_entropy")
    x = t64(np.zeros((0, 3) if classes else (0,)))
    if name == "soft cross_entropy":
        target = t64(np.zeros((0, 3)), False)
    elif classes:
        target = tg.tensor(np.zeros(0, dtype=np.int64))
    else:
        target = t64(np.zeros(0), False)
    loss = getattr(F, name.split()[-1])(x, target, reduction=reduction)
    np.testing.assert_array_equal(loss.numpy(), {"mean": math.nan, "sum": 0.0, "none": np.zeros(0)}[reduction])
    loss.sum().backward()
    assert x.grad.shape == x.shape


# =================================================================================================
# activations and small layers
# =================================================================================================

# PyTorch 2.13 (float64) at x = nan, 1, inf, -inf: (values, gradients). nan stays nan (relu's and
# leaky_relu's gradient at nan is the x > 0 branch's test failing: 1 for relu's threshold, the slope).
_NON_FINITE_ACTIVATIONS = {
    "relu": (F.relu, [nan, 1.0, inf, 0.0], [1.0, 1.0, 1.0, 0.0]),
    "sigmoid": (F.sigmoid, [nan, 0.7310585786300049, 1.0, 0.0], [nan, 0.19661193324148185, 0.0, 0.0]),
    "tanh": (F.tanh, [nan, 0.7615941559557649, 1.0, -1.0], [nan, 0.41997434161402614, 0.0, 0.0]),
    "softplus": (F.softplus, [nan, 1.3132616875182228, inf, 0.0], [nan, 0.7310585786300049, 1.0, 0.0]),
    "logsigmoid": (F.logsigmoid, [nan, -0.31326168751822286, 0.0, -inf], [nan, 0.2689414213699951, 0.0, 1.0]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), [nan, 1.0, inf, -inf], [0.2, 1.0, 1.0, 0.2]),
    "gelu": (F.gelu, [nan, 0.841344746068543, inf, nan], [nan, 1.0833154705876864, nan, nan]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [nan, 0.8411919906082768, inf, nan],
                  [nan, 1.0829640838457826, nan, nan]),
}


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # NumPy's note on inf·0; the answer is nan
@pytest.mark.parametrize("name", _NON_FINITE_ACTIVATIONS)
def test_activations_of_nan_and_inf_give_pytorchs_values_and_gradients(name: str) -> None:
    fn, value, grad = _NON_FINITE_ACTIVATIONS[name]
    x = t64([nan, 1.0, inf, -inf])
    out = fn(x)
    out.sum().backward()
    np.testing.assert_allclose(out.numpy(), value, rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-15)
    # the sign of a zero too: logsigmoid(inf) is +0, softplus(-inf) is +0
    zeros = np.array(value) == 0
    assert np.array_equal(np.signbit(out.numpy()[zeros]), np.signbit(np.array(value)[zeros]))


_FLOAT32_OPS = {
    "linear": lambda x: F.linear(x, tg.ones(4, 3, dtype=tg.float32), tg.zeros(4, dtype=tg.float32)),
    "relu": F.relu, "leaky_relu": F.leaky_relu, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "sigmoid": F.sigmoid, "tanh": F.tanh, "softplus": F.softplus, "softplus_beta": lambda x: F.softplus(x, 2.0, 1.0),
    "logsigmoid": F.logsigmoid, "softmax": lambda x: F.softmax(x, 1), "log_softmax": lambda x: F.log_softmax(x, 1),
    "dropout": lambda x: F.dropout(x, 0.5), "cross_entropy": lambda x: F.cross_entropy(x, tg.tensor([0, 2])),
    "cross_entropy_weighted": lambda x: F.cross_entropy(x, tg.tensor([0, -100]), weight=tg.tensor([1.0, 2.0, 3.0]),
                                                        label_smoothing=0.1),
    "cross_entropy_soft": lambda x: F.cross_entropy(x, tg.full((2, 3), 1 / 3, dtype=tg.float32)),
    "nll_loss": lambda x: F.nll_loss(x, tg.tensor([0, 2]), weight=tg.tensor([1.0, 2.0, 3.0])),
    "nll_loss_none": lambda x: F.nll_loss(x, tg.tensor([0, -100]), reduction="none"),
    "mse_loss": lambda x: F.mse_loss(x, tg.zeros(2, 3, dtype=tg.float32)),
    "l1_loss": lambda x: F.l1_loss(x, tg.zeros(2, 3, dtype=tg.float32)),
    "binary_cross_entropy": lambda x: F.binary_cross_entropy(x.sigmoid(), tg.ones(2, 3, dtype=tg.float32)),
    "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(
        x, tg.ones(2, 3, dtype=tg.float32), pos_weight=tg.ones(3, dtype=tg.float32)),
    "embedding": None,
}


@pytest.mark.parametrize("name", _FLOAT32_OPS)
def test_functional_ops_on_float32_give_float32_values_and_gradients(name: str) -> None:
    if name == "embedding":
        x = tg.tensor(np.ones((5, 3), dtype=np.float32), requires_grad=True)
        out = F.embedding(tg.tensor([0, 4, 4]), x)
    else:
        x = tg.tensor(np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]], dtype=np.float32), requires_grad=True)
        out = _FLOAT32_OPS[name](x)
    out.sum().backward()
    assert out.dtype == tg.float32 and x.grad.dtype == tg.float32, (out.dtype, x.grad.dtype)



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


def test_erf_matches_math_erf_to_the_last_digit() -> None:
    grid = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1e-300, -1e-12, 0.46875, 4.0, 27.0, 40.0, -40.0]])
    expected = np.array([math.erf(v) for v in grid])
    np.testing.assert_allclose(tg.ops.fused._erf(grid), expected, rtol=5e-16, atol=3e-16)
    assert np.isnan(tg.ops.fused._erf(np.array([np.nan]))[0])
    np.testing.assert_array_equal(tg.ops.fused._erf(np.array([np.inf, -np.inf])), [1.0, -1.0])
    assert tg.ops.fused._erf(np.array([0.5], dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("fn", [F.leaky_relu, F.gelu, lambda x: F.gelu(x, approximate="tanh"), F.softplus,
                                lambda x: F.softplus(x, beta=2.0, threshold=3.0), F.logsigmoid, F.sigmoid, F.tanh],
                         ids=["leaky_relu", "gelu", "gelu_tanh", "softplus", "softplus_beta", "logsigmoid", "sigmoid",
                              "tanh"])
def test_activation_gradients(fn: Callable) -> None:
    x = t64([-3.3, -1.2, -0.4, 0.3, 0.9, 2.2, 5.1])
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_softplus_and_logsigmoid_stay_finite_far_out() -> None:
    x = t64([-800.0, -40.0, 40.0, 800.0])
    np.testing.assert_allclose(F.softplus(x, threshold=np.inf).numpy(), np_softplus(x.numpy()), rtol=1e-15)
    logsig = F.logsigmoid(x)
    np.testing.assert_allclose(logsig.numpy(), -np_softplus(-x.numpy()), rtol=1e-15)
    logsig.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, math.exp(-40), 0.0], rtol=1e-12)
    assert F.softplus(t64([30.0])).item() == 30.0         # above the threshold: x itself, as PyTorch


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


def test_one_hot() -> None:
    out = F.one_hot(tg.tensor([0, 2, 1]))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(tg.tensor([[1], [0]]), num_classes=4).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="class value 3 is too large for num_classes=3"):
        F.one_hot(tg.tensor([3]), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(tg.tensor([-1]))
    with pytest.raises(TypeError, match="index tensors"):
        F.one_hot(tg.tensor([1.0]))


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
# init
# =================================================================================================

def test_calculate_gain_and_fans() -> None:
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init._calculate_fan_in_and_fan_out(tg.zeros(128, 784)) == (784, 128)
    assert init._calculate_fan_in_and_fan_out(tg.zeros(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tg.zeros(3))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_init_distributions_have_their_documented_scale() -> None:
    tg.manual_seed(0)
    w = nn.Parameter(tg.zeros(500, 400))
    fan_in, fan_out = 400, 500
    assert init.xavier_uniform_(w) is w
    assert abs(w.numpy().std() - math.sqrt(2 / (fan_in + fan_out))) < 0.01 * math.sqrt(2 / (fan_in + fan_out))
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / (fan_in + fan_out))
    init.xavier_normal_(w, gain=2.0)
    assert w.numpy().std() == pytest.approx(2 * math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    init.kaiming_normal_(w, nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.01)
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / fan_out)
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.01)
    init.uniform_(w, -2, -1)
    assert w.numpy().min() >= -2 and w.numpy().max() < -1
    init.normal_(w, 3.0, 0.5)
    assert w.numpy().mean() == pytest.approx(3.0, abs=0.01)
    assert w.requires_grad and w.is_leaf              # changed under no_grad: still a leaf parameter


def test_deterministic_inits_and_orthogonal() -> None:
    w = nn.Parameter(tg.zeros(3, 4))
    np.testing.assert_array_equal(init.ones_(w).numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(init.zeros_(w).numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal(init.constant_(w, 0.5).numpy(), np.full((3, 4), 0.5))
    np.testing.assert_array_equal(init.eye_(w).numpy(), np.eye(3, 4))
    tall = init.orthogonal_(nn.Parameter(tg.zeros(6, 3))).numpy()
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-12)        # orthonormal columns
    wide = init.orthogonal_(nn.Parameter(tg.zeros(3, 6)), gain=2.0).numpy()
    np.testing.assert_allclose(wide @ wide.T, 4 * np.eye(3), atol=1e-12)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(nn.Parameter(tg.zeros(2, 2, 2)))


def test_init_is_reproducible_and_keeps_dtype() -> None:
    w = nn.Parameter(tg.zeros(4, 4, dtype=tg.float32))
    tg.manual_seed(5)
    a = init.kaiming_uniform_(w).numpy().copy()
    tg.manual_seed(5)
    b = init.kaiming_uniform_(w).numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert w.dtype == np.float32


# =================================================================================================
# summary (23.18 and 23.22's counts)
# =================================================================================================

@pytest.mark.parametrize("in_features, out_features, count", [(784, 128, 100480), (20, 7, 147), (3072, 200, 614600)])
def test_summary_counts_the_chapter_layers(in_features: int, out_features: int, count: int) -> None:
    report = nn.summary(nn.Linear(in_features, out_features), (1, in_features))
    assert report.total_params == count == report.trainable_params
    assert report.rows[0].output_shape == (1, out_features) and report.rows[0].num_params == count
    assert f"{count:,}" in str(report)
    assert nn.Linear(in_features, out_features).num_parameters() == count


def test_summary_of_a_network_lists_layers_shapes_and_totals() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    model[3].requires_grad_(False)
    report = nn.utils.summary(model, (2, 28, 28))
    assert [(r.name, r.type, r.output_shape, r.num_params) for r in report.rows] == [
        ("0", "Flatten", (2, 784), 0), ("1", "Linear", (2, 128), 100480), ("2", "ReLU", (2, 128), 0),
        ("3", "Linear", (2, 10), 1290)]
    assert report.total_params == 101770 and report.trainable_params == 100480
    text = str(report)
    for piece in ("1 (Linear)", "(2, 128)", "100,480", "Total params: 101,770", "Trainable params: 100,480",
                  "Non-trainable params: 1,290"):
        assert piece in text
    assert all(not m._forward_hooks for m in model.modules())   # hooks are taken off again
    assert tg.is_grad_enabled()


def test_summary_of_a_custom_module_counts_nested_rows_once() -> None:
    report = nn.summary(TwoLayer(), (5, 2))
    assert [(r.name, r.output_shape) for r in report.rows] == [("hidden", (5, 3)), ("out", (5, 1))]
    assert report.total_params == 13


# =================================================================================================
# gradient clipping
# =================================================================================================

def test_clip_grad_norm_and_value() -> None:
    a, b = nn.Parameter(tg.zeros(2)), nn.Parameter(tg.zeros(1))
    a.grad, b.grad = tg.tensor([3.0, 0.0]), tg.tensor([4.0])
    norm = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert norm.item() == pytest.approx(5.0)
    total = math.sqrt((a.grad.numpy() ** 2).sum() + (b.grad.numpy() ** 2).sum())
    assert total == pytest.approx(1.0, rel=1e-5)
    a.grad = tg.tensor([3.0, -7.0])
    nn.utils.clip_grad_value_([a], 2.0)
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, -2.0])


def _with_grads(grads: list, dtype: Any = np.float64) -> list:
    params = []
    for g in grads:
        p = nn.Parameter(tg.zeros(*np.shape(g), dtype=dtype))
        p.grad = tg.tensor(np.array(g, dtype=dtype))
        params.append(p)
    return params


def test_clip_grad_norm_returns_the_norm_in_the_gradients_dtype_and_clips_to_max_norm() -> None:
    for dtype in (np.float64, np.float32):
        params = _with_grads([[3.0, 0.0], [4.0]], dtype)
        norm = nn.utils.clip_grad_norm_(params, max_norm=1.0)
        assert norm.dtype == dtype and norm.shape == () and norm.item() == pytest.approx(5.0)
        clipped = np.concatenate([p.grad.numpy() for p in params])
        np.testing.assert_allclose(clipped, np.array([3.0, 0.0, 4.0]) / (5.0 + 1e-6), rtol=1e-6)
    params = _with_grads([[0.3, 0.4]])
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == pytest.approx(0.5)   # under max_norm: unchanged
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.3, 0.4])


@pytest.mark.parametrize("norm_type, expected", [(1, 7.0), (float("inf"), 4.0), (3.0, (27 + 64) ** (1 / 3)),
                                                 (0, 2.0), (float("-inf"), 0.0)])
def test_clip_grad_norm_other_norm_types(norm_type: float, expected: float) -> None:
    # PyTorch's definition: the norm of the per-tensor norms (for 0: tensors with a nonzero entry)
    params = _with_grads([[3.0, 0.0], [-4.0], [0.0]])
    assert nn.utils.clip_grad_norm_(params, 100.0, norm_type=norm_type).item() == pytest.approx(expected)


def test_clip_grad_norm_with_nan_or_inf_gradients() -> None:
    params = _with_grads([[1.0, math.nan], [2.0]])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[1].grad.numpy(), [2.0])              # nothing changed
    assert math.isnan(nn.utils.clip_grad_norm_(params, 1.0).item())           # PyTorch: scaled by nan
    assert np.isnan(params[1].grad.numpy()).all()
    params = _with_grads([[1.0, math.inf], [2.0]])
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == math.inf           # scaled by 1/inf = 0
    np.testing.assert_array_equal(params[1].grad.numpy(), [0.0])


def test_clip_grad_norm_of_huge_gradients_does_not_overflow() -> None:
    # Σ g² overflows to inf for g = 1e200; the norm is computed scaled, so clipping still works
    # (PyTorch returns inf here and zeroes every gradient)
    params = _with_grads([[1e200, 1e200]])
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == pytest.approx(math.sqrt(2) * 1e200)
    np.testing.assert_allclose(params[0].grad.numpy(), [2 ** -0.5] * 2, rtol=1e-12)


def test_clip_grad_norm_edge_cases() -> None:
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)
    p = nn.Parameter(tg.zeros(2))
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 0.0                     # no grad yet: nothing to do
    p.grad = tg.tensor([6.0, 8.0])
    assert nn.utils.clip_grad_norm_(p, 5.0, foreach=True).item() == pytest.approx(10.0)   # a single tensor
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-6)
    total = nn.utils.get_total_norm([tg.tensor([6.0, 8.0])])
    assert total.item() == 10.0
    nn.utils.clip_grads_with_norm_([p], 1.0, total)
    np.testing.assert_allclose(p.grad.numpy(), [0.3, 0.4], rtol=1e-6)
    for bad in (-1.0, math.nan):
        with pytest.raises(ValueError, match="max_norm"):
            nn.utils.clip_grad_norm_([p], bad)
        with pytest.raises(ValueError, match="clip_value"):
            nn.utils.clip_grad_value_([p], bad)


def test_clip_grad_value_keeps_nan_and_returns_none() -> None:
    params = _with_grads([[3.0, -7.0, math.nan, 0.5]])
    assert nn.utils.clip_grad_value_(params, 1.0) is None
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, -1.0, math.nan, 0.5])


_ITERABLES = {"generator": lambda ps: (p for p in ps), "filter": lambda ps: filter(lambda p: p is not None, ps),
              "iter(list)": iter, "map": lambda ps: map(lambda p: p, ps), "tuple": tuple,
              "dict.values()": lambda ps: dict(enumerate(ps)).values()}


@pytest.mark.parametrize("kind", list(_ITERABLES))
def test_clip_grad_norm_clips_parameters_given_as_any_iterable(kind: str) -> None:
    # the iterable is read once: an iterator read again for the clipping would be empty
    params = _with_grads([[3.0, 0.0], [4.0]])
    norm = nn.utils.clip_grad_norm_(_ITERABLES[kind](params), max_norm=1.0)
    assert norm.item() == 5.0
    np.testing.assert_allclose([*params[0].grad.numpy(), *params[1].grad.numpy()],
                               np.array([3.0, 0.0, 4.0]) / (5.0 + 1e-6), rtol=1e-15)


@pytest.mark.parametrize("kind", list(_ITERABLES))
def test_clip_grad_value_and_clip_grads_with_norm_take_any_iterable(kind: str) -> None:
    params = _with_grads([[3.0, -7.0], [0.5]])
    nn.utils.clip_grad_value_(_ITERABLES[kind](params), 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, -1.0])
    nn.utils.clip_grads_with_norm_(_ITERABLES[kind](params), 0.5, tg.tensor(1.5, dtype=tg.float64))
    np.testing.assert_allclose(params[0].grad.numpy(), np.array([1.0, -1.0]) * 0.5 / (1.5 + 1e-6), rtol=1e-15)
    assert nn.utils.get_total_norm(_ITERABLES[kind]([p.grad for p in params])).item() > 0


@pytest.mark.parametrize("kind", list(_ITERABLES))
def test_parameters_to_vector_and_back_take_any_iterable(kind: str) -> None:
    params = [nn.Parameter(t64([1.0, 2.0])), nn.Parameter(t64([[3.0]]))]
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(_ITERABLES[kind](params)).numpy(), [1, 2, 3])
    nn.utils.vector_to_parameters(t64([4.0, 5.0, 6.0], False), _ITERABLES[kind](params))
    np.testing.assert_array_equal(params[1].numpy(), [[6.0]])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0, 0.5, 0.0, float("-inf")])
@pytest.mark.parametrize("max_norm", [0.1, 100.0])
def test_clip_grad_norm_matches_torch(dtype: Any, norm_type: float, max_norm: float) -> None:
    torch = _torch()
    rng = np.random.default_rng(int(norm_type * 10) % 97 if math.isfinite(norm_type) else 5)
    grads = [rng.standard_normal(shape).astype(dtype) for shape in ((3, 4), (4,), (2, 2, 2))]
    grads[1][0] = 0.0
    ours = _with_grads(grads, dtype)
    theirs = []
    for g in grads:
        t = torch.zeros(g.shape, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
        t.grad = torch.tensor(g)
        theirs.append(t)
    norm = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    their_norm = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    assert norm.dtype == dtype and str(their_norm.dtype) == f"torch.{np.dtype(dtype).name}"
    np.testing.assert_allclose(norm.numpy(), their_norm.numpy(), rtol=rtol)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=rtol)


@pytest.mark.torch
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_of_non_finite_gradients_matches_torch(bad: float) -> None:
    torch = _torch()
    grads = [np.array([1.0, bad]), np.array([2.0, -3.0])]
    ours = _with_grads(grads)
    theirs = [torch.zeros(2, dtype=torch.float64, requires_grad=True) for _ in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g)
    norm = nn.utils.clip_grad_norm_(ours, 1.0)
    their_norm = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    np.testing.assert_array_equal(norm.numpy(), their_norm.numpy())
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)


@pytest.mark.torch
def test_clip_grad_value_matches_torch() -> None:
    torch = _torch()
    g = np.array([[3.0, -7.0, 0.2], [math.nan, -0.1, 1.5]])
    ours = _with_grads([g])
    theirs = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    theirs.grad = torch.tensor(g)
    nn.utils.clip_grad_value_(ours, 1.0)
    torch.nn.utils.clip_grad_value_([theirs], 1.0)
    np.testing.assert_array_equal(ours[0].grad.numpy(), theirs.grad.numpy())


# =================================================================================================
# the chapter's exercise 6, written with nn (23.26.6)
# =================================================================================================

def test_sine_network_reproduces_the_chapter_loss_curve_step_for_step() -> None:
    rs = np.random.RandomState(3)
    X = np.linspace(-2, 2, 120).reshape(-1, 1)
    y = (np.sin(3 * X[:, 0]) + 0.15 * rs.randn(120)).reshape(-1, 1)
    W1, W2 = 0.5 * rs.randn(12, 1), 0.5 * rs.randn(1, 12)
    model = sine_model()
    model.load_state_dict({"0.weight": W1, "0.bias": np.zeros(12), "2.weight": W2, "2.bias": np.zeros(1)})
    loss_fn = nn.MSELoss()
    X_t, y_t = tg.tensor(X), tg.tensor(y)
    losses = []
    for step in range(1500):
        loss = loss_fn(model(X_t), y_t)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p -= 0.02 * p.grad
    assert losses[-1] == pytest.approx(0.12352043669982682, abs=1e-9)   # the chapter's final loss
    np.testing.assert_allclose(losses, chapter_sine_losses(X, y, W1, W2), rtol=1e-9)


def chapter_sine_losses(X: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> list[float]:
    """The chapter's hand-written backprop loop (23.26.6), verbatim."""
    W1, W2, b1, b2, losses = W1.copy(), W2.copy(), np.zeros(12), np.zeros(1), []
    for step in range(1500):
        Z1 = X @ W1.T + b1
        H = np.maximum(0, Z1)
        E = H @ W2.T + b2 - y
        losses.append(np.mean(E ** 2))
        dY = 2 * E / len(X)
        dW2, db2, dH = dY.T @ H, dY.sum(axis=0), dY @ W2
        dZ1 = dH * (Z1 > 0)
        W2 -= 0.02 * dW2
        b2 -= 0.02 * db2
        W1 -= 0.02 * (dZ1.T @ X)
        b1 -= 0.02 * dZ1.sum(axis=0)
    return losses


# =================================================================================================
# PyTorch, float64 (optional: pytest -m torch)
# =================================================================================================

def _torch() -> Any:
    return pytest.importorskip("torch")


def _both(array: np.ndarray, torch: Any) -> tuple[Tensor, Any]:
    return t64(array), torch.tensor(np.array(array, dtype=np.float64), requires_grad=True)


def _compare(ours: Tensor, theirs: Any, ours_inputs: list, their_inputs: list, rtol: float = 1e-10) -> None:
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    for a, b in zip(ours_inputs, their_inputs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("options", CE_OPTIONS + [{"reduction": "sum", "label_smoothing": 0.5, "ignore_index": 3}],
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain")
def test_cross_entropy_matches_torch(options: dict) -> None:
    torch = _torch()
    rng = np.random.default_rng(20)
    x, xt = _both(rng.standard_normal((6, 4)) * 3, torch)
    t = np.array([0, 3, 1, 1, 2, 0])
    weight = options.get("weight")
    ours = F.cross_entropy(x, tg.tensor(t), **dict(options, weight=None if weight is None else tg.tensor(weight)))
    their_weight = None if weight is None else torch.tensor(weight, dtype=torch.float64)
    theirs = torch.nn.functional.cross_entropy(xt, torch.tensor(t), **dict(options, weight=their_weight))
    _compare(ours, theirs, [x], [xt])


@pytest.mark.torch
@pytest.mark.parametrize("big", [1e4, 1e30])
def test_extreme_losses_match_torch(big: float) -> None:
    torch = _torch()
    logits = np.array([[big, -big, 0.0], [-big, big, big], [0.0, -big, big]])
    x, xt = _both(logits, torch)
    _compare(F.cross_entropy(x, tg.tensor([1, 0, 2])), torch.nn.functional.cross_entropy(xt, torch.tensor([1, 0, 2])),
             [x], [xt], rtol=1e-12)
    y = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.2], [1.0, 1.0, 0.0]])
    x, xt = _both(logits, torch)
    _compare(F.binary_cross_entropy_with_logits(x, t64(y, False)),
             torch.nn.functional.binary_cross_entropy_with_logits(xt, torch.tensor(y)), [x], [xt], rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_other_losses_match_torch(reduction: str) -> None:
    torch = _torch()
    tf = torch.nn.functional
    rng = np.random.default_rng(21)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    probs, targets01 = rng.uniform(0.01, 0.99, (5, 3)), rng.uniform(0, 1, (5, 3))
    w, pw = rng.uniform(0.5, 2, (5, 3)), rng.uniform(0.5, 2, (3,))
    cases = [
        (lambda x, y: F.mse_loss(x, y, reduction=reduction), lambda x, y: tf.mse_loss(x, y, reduction=reduction), a, b),
        (lambda x, y: F.l1_loss(x, y, reduction=reduction), lambda x, y: tf.l1_loss(x, y, reduction=reduction), a, b),
        (lambda x, y: F.binary_cross_entropy(x, y, weight=tg.tensor(w), reduction=reduction),
         lambda x, y: tf.binary_cross_entropy(x, y, weight=torch.tensor(w), reduction=reduction), probs, targets01),
        (lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=tg.tensor(w), pos_weight=tg.tensor(pw),
                                                         reduction=reduction),
         lambda x, y: tf.binary_cross_entropy_with_logits(x, y, weight=torch.tensor(w), pos_weight=torch.tensor(pw),
                                                          reduction=reduction), a * 3, targets01),
        (lambda x, y: F.cross_entropy(x, F.softmax(y, 1), label_smoothing=0.2, reduction=reduction),
         lambda x, y: tf.cross_entropy(x, tf.softmax(y, 1), label_smoothing=0.2, reduction=reduction), a, b),
    ]
    for ours_fn, their_fn, first, second in cases:
        x, xt = _both(first, torch)
        y, yt = _both(second, torch)
        _compare(ours_fn(x, y), their_fn(xt, yt), [x, y], [xt, yt])
    t = np.array([2, 0, -100, 1, 2])
    x, xt = _both(np_log_softmax(a), torch)
    _compare(F.nll_loss(x, tg.tensor(t), weight=tg.tensor([1.0, 2.0, 0.5]), reduction=reduction),
             tf.nll_loss(xt, torch.tensor(t), weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64),
                         reduction=reduction), [x], [xt])


@pytest.mark.torch
def test_linear_and_activations_match_torch() -> None:
    torch = _torch()
    rng = np.random.default_rng(22)
    ours = nn.Linear(4, 3)
    theirs = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    for shape in [(5, 4), (4,), (2, 3, 4)]:
        x, xt = _both(rng.standard_normal(shape), torch)
        ours.zero_grad()
        theirs.zero_grad()
        _compare(ours(x), theirs(xt), [x, ours.weight, ours.bias], [xt, theirs.weight, theirs.bias])
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    seq_ours = sine_model()
    seq_theirs = torch.nn.Sequential(torch.nn.Linear(1, 12), torch.nn.ReLU(), torch.nn.Linear(12, 1))
    assert repr(seq_ours) == repr(seq_theirs)
    assert list(seq_ours.state_dict()) == list(seq_theirs.state_dict())

    tf = torch.nn.functional
    grid = rng.standard_normal(50) * 4
    pairs = [(F.gelu, tf.gelu),
             (lambda v: F.gelu(v, approximate="tanh"), lambda v: tf.gelu(v, approximate="tanh")),
             (F.softplus, tf.softplus),
             (lambda v: F.softplus(v, 2.0, 3.0), lambda v: tf.softplus(v, 2.0, 3.0)),
             (F.logsigmoid, tf.logsigmoid),
             (lambda v: F.leaky_relu(v, 0.2), lambda v: tf.leaky_relu(v, 0.2))]
    for ours_fn, their_fn in pairs:
        x, xt = _both(grid, torch)
        _compare(ours_fn(x), their_fn(xt), [x], [xt], rtol=1e-12)
    for name, a in [("relu", 0), ("tanh", 0), ("leaky_relu", 0.3), ("selu", 0), ("sigmoid", 0)]:
        assert init.calculate_gain(name, a if name == "leaky_relu" else None) == pytest.approx(
            torch.nn.init.calculate_gain(name, a if name == "leaky_relu" else None))
    table = rng.standard_normal((6, 2))
    w, wt = _both(table, torch)
    idx = np.array([[0, 5], [5, 2]])
    _compare(F.embedding(tg.tensor(idx), w, padding_idx=5), tf.embedding(torch.tensor(idx), wt, padding_idx=5),
             [w], [wt])
