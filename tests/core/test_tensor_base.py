"""Tests of tinygrad_la/core/tensor_base.py: what a tensor is to autograd.

backward() and its seed gradient, accumulation into leaves' .grad (also of 0-d tensors through
every op), retain_grad, hooks, detach, is_leaf and the requires_grad rules. Semantics are
PyTorch's, checked by hand against torch 2.13 CPU.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la import Tensor

from tests.helpers import leaf


# =================================================================================================
# backward(): seeds, accumulation, retain_grad
# =================================================================================================

def test_backward_implicit_seed_only_for_one_element_outputs():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"one-element.*shape \(3,\).*(\.sum\(\)|gradient=)") as info:
        y.backward()
    assert "gradient=" in str(info.value)        # says how to fix it: pass gradient= ...
    assert ".sum()" in str(info.value)           # ... or reduce
    assert x.grad is None                        # nothing was accumulated


def test_backward_implicit_seed_for_one_element_non_scalar():
    x = leaf([[3.0]])
    (x * x).backward()                           # shape (1, 1): one element, like PyTorch
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0]])


def test_backward_with_explicit_gradient_is_a_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(gradient=tg.tensor([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 40.0, 600.0])


def test_backward_gradient_of_wrong_shape_names_both_shapes():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        y.backward(gradient=tg.ones(3))
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(2, 1\)"):
        y.backward(gradient=tg.ones(2, 1))


def test_grads_accumulate_into_leaves_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()                     # 2x
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    first = x.grad
    (3 * x).sum().backward()                     # + 3, in a different graph
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])
    assert first is x.grad                       # accumulated into the same tensor (as PyTorch)


def test_a_leaf_used_twice_in_one_graph_gets_the_sum():
    x = leaf([1.5, -2.0])
    (x * x + x.exp() * x).sum().backward()
    expected = 2 * x.numpy() + np.exp(x.numpy()) * (1 + x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)


def test_accumulated_grad_does_not_alias_the_other_leaf_grad():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()                     # both receive the very same upstream array
    a.grad.data += 100                           # changing one must not change the other
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_non_leaf_grad_is_none_unless_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 3
    (h * h).sum().backward()
    assert not h.is_leaf
    assert h.grad is None
    assert not h.retains_grad
    np.testing.assert_array_equal(x.grad.numpy(), [18.0, 36.0])


def test_retain_grad_keeps_the_gradient_of_an_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    out = (h * h).sum()
    out.backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, 12.0])        # d(h²)/dh = 2h
    out.backward()                                                     # and it accumulates
    np.testing.assert_array_equal(h.grad.numpy(), [12.0, 24.0])


def test_retain_grad_on_a_leaf_changes_nothing():
    x = leaf([1.0, 2.0])
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.tensor([1.0, 2.0]).sum().backward()
    x = leaf([1.0])
    with tg.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad.*no_grad"):
        y.backward()


def test_backward_on_a_leaf_itself():
    x = leaf(3.0)
    x.backward()
    assert x.grad.item() == 1.0


# =================================================================================================
# the graph: detach, requires_grad_, is_leaf, grad_fn, hooks
# =================================================================================================

def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert np.shares_memory(d.numpy(), y.numpy())
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.data[0] = 50.0                             # same memory: the change shows in y
    assert y.numpy()[0] == 50.0
    (d * y).sum().backward()                     # no gradient flows through d
    np.testing.assert_array_equal(x.grad.numpy(), 2 * d.numpy())


def test_requires_grad_flag_and_requires_grad_():
    t = tg.tensor([1.0, 2.0])
    assert not t.requires_grad
    assert t.requires_grad_() is t
    assert t.requires_grad and t.is_leaf
    t.requires_grad_(False)
    assert not t.requires_grad
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match=r"leaf.*MulBackward0.*detach"):
        y.requires_grad_(False)


def test_is_leaf():
    x = leaf([1.0])
    c = tg.tensor([2.0])
    assert x.is_leaf and c.is_leaf
    assert not (x * c).is_leaf
    assert (c * 3).is_leaf                       # no grad needed: a leaf by convention
    with tg.no_grad():
        assert (x * 3).is_leaf


def test_hook_on_a_leaf_sees_and_replaces_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 10

    handle = x.register_hook(hook)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert len(seen) == 1


def test_hook_on_a_non_leaf_changes_what_flows_further():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    (y * y).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])               # dL/dy = 2y
    np.testing.assert_array_equal(x.grad.numpy(), [36.0, 72.0])       # doubled, times 3
    handle.remove()
    x.grad = None
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [18.0, 36.0])
    assert len(seen) == 1


def test_hook_returning_none_keeps_the_gradient_and_retain_grad_sees_the_hooked_value():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: None)
    y.register_hook(lambda g: g * 2)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [12.0, 24.0])      # as PyTorch 2: hooks first
    np.testing.assert_array_equal(x.grad.numpy(), [36.0, 72.0])


def test_hook_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="hook.*does not require grad"):
        tg.tensor([1.0]).register_hook(lambda g: g)


# --- answers PyTorch 2.13 gives (the numbers in the asserts are its outputs) -----------------------

def test_a_gradient_a_hook_kept_is_not_changed_by_the_next_accumulation():
    x = leaf([1.0, 1.0])
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0].numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_a_gradient_a_non_leaf_hook_kept_is_not_changed_by_the_next_accumulation():
    x = leaf([1.0, 1.0])
    h = x + 0
    seen = []
    h.register_hook(lambda g: seen.append(g))
    (h * 2).sum().backward(retain_graph=True)
    (h * 2).sum().backward()
    np.testing.assert_array_equal(seen[0].numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_backward_inputs_applies_hooks():
    x = leaf([1.0, 1.0])
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward(inputs=[x])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])


def test_a_float32_tensor_cast_to_float64_and_used_twice_backpropagates():
    w = tg.tensor(2.0, dtype=tg.float32, requires_grad=True)
    d = w.double()
    (d * d + d).backward()
    assert w.grad.dtype == np.float32
    assert w.grad.item() == 5.0


@pytest.mark.parametrize("make", [
    lambda: tg.tensor([1, 2], requires_grad=True),
    lambda: Tensor(np.arange(3), requires_grad=True),
    lambda: tg.tensor([1, 2]).requires_grad_(),
    lambda: tg.tensor([True, False], requires_grad=True),
], ids=["tensor", "Tensor", "requires_grad_", "bool"])
def test_integer_tensor_cannot_require_grad(make: Callable) -> None:
    with pytest.raises(RuntimeError, match=r"(?i)floating point.*dtype tinygrad_la\.(int64|bool)"):
        make()


# 0-d tensors: a gradient that sums two 0-d arrays is a NumPy scalar unless kept an array; every
# backward must take either. Each op is used twice on a 0-d float32 w (value 0.8), so its gradient
# is accumulated, then w.grad is checked against 2·f'(0.8).
ZERO_D_OPS = {
    "double": (lambda w: w.double(), 1.0), "float": (lambda w: w.float() * 1, 1.0),
    "exp": (lambda w: w.exp(), np.exp(0.8)), "log": (lambda w: w.log(), 1 / 0.8),
    "sigmoid": (lambda w: w.sigmoid(), 1 / (1 + np.exp(-0.8)) * (1 - 1 / (1 + np.exp(-0.8)))),
    "relu": (lambda w: w.relu(), 1.0), "abs": (lambda w: w.abs(), 1.0), "sqrt": (lambda w: w.sqrt(), 0.5 / np.sqrt(0.8)),
    "clamp": (lambda w: w.clamp(0.0, 1.0), 1.0), "pow": (lambda w: w ** 3, 3 * 0.8 ** 2), "2 ** w": (lambda w: 2.0 ** w, np.log(2) * 2 ** 0.8),
    "maximum": (lambda w: w.maximum(tg.tensor(0.5, dtype=tg.float32)), 1.0),
    "where": (lambda w: tg.where(w > 0, w, 0.0), 1.0), "sum": (lambda w: w.sum(), 1.0), "mean": (lambda w: w.mean(), 1.0),
    "amax": (lambda w: w.amax(), 1.0), "max()": (lambda w: w.max(), 1.0), "max(0)": (lambda w: w.max(0)[0], 1.0),
    "logsumexp": (lambda w: w.logsumexp(0), 1.0), "prod": (lambda w: w.prod(), 1.0), "softmax": (lambda w: w.softmax(0), 0.0),
    "reshape": (lambda w: w.reshape(1, 1)[0, 0], 1.0), "expand": (lambda w: w.expand(2).sum() / 2, 1.0),
    "clone": (lambda w: w.clone(), 1.0), "einsum": (lambda w: tg.einsum(",->", w, w), 1.6),
}


@pytest.mark.parametrize("name", ZERO_D_OPS)
def test_zero_d_gradients_accumulate_through_every_op(name: str) -> None:
    fn, slope = ZERO_D_OPS[name]
    w = tg.tensor(0.8, dtype=tg.float32, requires_grad=True)
    y = fn(w)
    (y + y).backward()
    assert isinstance(w.grad.numpy(), np.ndarray) and w.grad.shape == () and w.grad.dtype == np.float32
    assert w.grad.item() == pytest.approx(2 * slope, rel=1e-6)
    w.grad = None
    g, = tg.autograd.grad(fn(w) * fn(w), w, create_graph=True)   # and under create_graph
    assert g.shape == () and g.dtype == np.float32


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match=r"floating point.*int64"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"floating point.*int64"):
        tg.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match=r"floating point.*int32"):
        tg.zeros(2, dtype=tg.int32, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"floating point.*bool"):
        tg.tensor([True]).requires_grad = True
    converted = tg.tensor([1, 2]).double().requires_grad_()   # the fix the message suggests
    assert converted.requires_grad and converted.dtype == np.float64


# =================================================================================================
# .data: PyTorch's, a tensor on the same memory outside the graph
# =================================================================================================

def test_data_is_a_tensor_on_the_same_memory_that_does_not_require_grad():
    w = leaf([1.0, 2.0])
    y = w * 3
    for t in (w, y):
        d = t.data
        assert type(d) is Tensor and d is not t
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        assert np.shares_memory(d.numpy(), t.numpy()) and d.shape == t.shape and d.dtype == t.dtype
    assert y.data.tolist() == [3.0, 6.0] and y.data.norm().item() == pytest.approx(np.sqrt(45.0))


def test_hand_written_sgd_step_through_data_updates_the_parameter_in_place_unrecorded():
    w = leaf([1.0, -2.0])
    array = w.numpy()
    (w * w).sum().backward()
    w.data += -0.1 * w.grad                   # the lecture's step: w -= lr * dL/dw = 2w
    assert w.numpy() is array                 # the same array: written in place, not replaced
    assert w.tolist() == pytest.approx([0.8, -1.6])
    assert w.is_leaf and w.grad_fn is None and w.requires_grad   # nothing recorded
    w.data.zero_()
    w.data[1] = 5.0
    assert w.tolist() == [0.0, 5.0] and w.numpy() is array


def test_changing_saved_values_through_data_makes_backward_raise():
    # PyTorch would differentiate with the changed values silently; here the version check sees it
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()                      # saves w
    w.data.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    assert w.grad is None


def test_setting_data_replaces_the_memory_of_any_shape_and_keeps_grad():
    w = leaf([1.0, 2.0])
    (w * 2).sum().backward()
    new = tg.tensor([[7.0, 8.0, 9.0]])
    w.data = new
    assert w.shape == (1, 3) and np.shares_memory(w.numpy(), new.numpy())
    assert w.requires_grad and w.is_leaf and w.grad.tolist() == [2.0, 2.0]


def test_setting_data_to_something_else_raises_and_changes_nothing():
    w = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"\.data must be set to a Tensor.*got ndarray"):
        w.data = np.zeros(2)
    with pytest.raises(RuntimeError, match="requires grad.*int64"):
        w.data = tg.tensor([1, 2])
    assert w.tolist() == [1.0, 2.0] and w.dtype == np.float64


@pytest.mark.torch
def test_data_behaves_as_pytorchs(pytorch):
    def facts(lib):
        w = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        y = w * 3
        (w * w).sum().backward()
        w.data += -0.1 * w.grad
        d = y.data
        return [w.tolist(), w.is_leaf, w.grad_fn is None, d.requires_grad, d.grad_fn is None,
                d.is_leaf, d.tolist(), y.data.norm().item(), str(d.dtype).split(".")[-1]]
    assert facts(tg) == pytorch("facts", facts)
