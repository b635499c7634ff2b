"""Tests of tinygrad_la/nn/module.py: Module mechanics.

Registration of parameters, buffers and submodules, train/eval, to(), pickling and deepcopy,
hooks, repr, and state_dict / load_state_dict (strict and not, malformed values refused before
anything is loaded).
"""
from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn as nn
from tinygrad_la import Tensor

from tests.nn.helpers import TwoLayer, sine_model


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


# --- Module.load_state_dict -----------------------------------------------------------------------

def _linear_and_its_values():
    model = nn.Linear(2, 2)
    return model, {k: v.numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("value", [[[1.0, 2.0], [3.0]], [[1.0, 2.0], "ab"]], ids=["ragged", "mixed"])
def test_module_load_state_dict_names_the_key_of_a_ragged_value_and_loads_nothing(value):
    model, before = _linear_and_its_values()
    with pytest.raises(RuntimeError) as caught:
        model.load_state_dict({"weight": value, "bias": tg.tensor([5.0, 6.0])})
    message = str(caught.value)
    assert 'parameter named "weight"' in message and "(2, 2)" in message
    for key, param in model.state_dict().items():   # the good bias was not copied either
        np.testing.assert_array_equal(param.numpy(), before[key])


def test_module_load_state_dict_of_a_string_is_a_type_error_as_in_pytorch():
    model, before = _linear_and_its_values()
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like.*got str"):
        model.load_state_dict("model.npz")
    np.testing.assert_array_equal(model.weight.numpy(), before["weight"])


def test_module_load_state_dict_still_takes_regular_nested_lists():
    model, _ = _linear_and_its_values()
    model.load_state_dict({"weight": [[1.0, 2.0], [3.0, 4.0]], "bias": [5.0, 6.0]})
    assert model.weight.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]] and model.bias.numpy().tolist() == [5.0, 6.0]
