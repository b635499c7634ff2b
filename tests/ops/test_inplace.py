"""Tests of tinygrad_la/ops/inplace.py: in-place ops and x[i] = v, by PyTorch's rules.

In-place changes are written into memory that views share, recorded in the graph (rewriting a
view's base), refused on leaves that require grad, and caught when a backward needs a value they
overwrote. Expected numbers are PyTorch 2.13's answers to the same programs.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_la as tg
from tinygrad_la import Tensor
from tinygrad_la.testing import tensors

from tests.helpers import leaf
from tests.ops.helpers import NONEMPTY, boolean_masks, check


# =================================================================================================
# in-place changes through views, as PyTorch 2.13 makes them
# =================================================================================================

@pytest.mark.parametrize("make_view", [
    lambda x: x[1:],
    lambda x: x.reshape(3, 1),
    lambda x: x.view(1, 3),
    lambda x: x.unsqueeze(0),
    lambda x: x.detach(),
    lambda x: x.expand(2, 3),
], ids=["slice", "reshape", "view", "unsqueeze", "detach", "expand"])
def test_a_view_sees_an_in_place_change_of_its_base(make_view):
    x = tg.tensor([1.0, 2.0, 3.0])
    view = make_view(x)
    x += 10
    np.testing.assert_array_equal(view.numpy().reshape(-1)[-2:], [12.0, 13.0])


def test_a_base_sees_an_in_place_change_of_its_view():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    x.T[0].mul_(10)            # the first column of x
    np.testing.assert_array_equal(x.numpy(), [[10.0, 2.0], [30.0, 4.0]])


def test_a_transposed_view_changed_in_place_under_grad_rewrites_the_base_gradient():
    x = leaf([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    y = x.clone()
    y.T[0] += 1                # y's first column, through a transposed view
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.numpy(), [[1.0, 1.0, 2.0], [4.0, 4.0, 5.0]])
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 2.0, 4.0], [8.0, 8.0, 10.0]])
    assert y.grad_fn.name() == "CopySlices"


def test_an_in_place_product_on_a_view_scales_the_base_gradient():
    a = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = a.clone()
    y[0].mul_(2)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[2.0, 2.0], [1.0, 1.0]])


def test_a_view_taken_before_its_base_changed_reads_the_new_graph():
    w = tg.ones(3, requires_grad=True)
    z = tg.zeros(2, 3)
    row, column = z[0], z[:, 0]
    row.add_(w)                # z, and so its first column, now depends on w
    assert column.requires_grad
    column.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 0.0, 0.0])


def test_in_place_multiply_by_a_tensor_that_requires_grad_keeps_the_old_values_for_its_own_backward():
    x, w = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    a = x * 1
    a.mul_(w)
    a.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 5.0, 6.0])


def test_backward_through_a_value_changed_in_place_later_raises_naming_the_op():
    a = leaf([1.0, 2.0, 3.0])
    h = a * 2
    y = h.sin()                # Sin saved h
    h += 1
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*SinBackward0"):
        y.sum().backward()


def test_changing_a_view_of_a_saved_tensor_in_a_recorded_op_makes_backward_raise():
    a = leaf([1.0, 2.0, 3.0])
    h = a * 2
    y = h * h
    h[1:].add_(tg.tensor([1.0, 1.0], requires_grad=True))
    with pytest.raises(RuntimeError, match=r"MulBackward0.*in-place"):
        y.sum().backward()


def test_writing_into_an_expanded_view_raises_as_pytorch():
    e = tg.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="single memory location.*clone"):
        e.add_(1)
    np.testing.assert_array_equal(e.numpy(), np.ones((2, 3)))


def test_in_place_on_a_view_of_a_leaf_that_requires_grad_raises():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="view of a leaf tensor that requires grad"):
        w[0].mul_(2)
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_retain_grad_follows_a_tensor_through_an_in_place_change():
    x = tg.ones(3, requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.mul_(3)
    h.sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0, 6.0])


def test_a_hook_registered_before_an_in_place_change_sees_the_old_version_gradient():
    x = tg.ones(3, requires_grad=True)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    h.mul_(3)
    h.sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0, 3.0])


def test_a_residual_in_place_add_on_a_non_leaf_backpropagates_both_paths():
    x, w = leaf([1.0, -2.0]), leaf([3.0, 4.0])
    out = (x * w).relu()
    out += x                   # out += identity
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 1.0])
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 0.0])


def test_setitem_value_with_a_leading_one_backpropagates_in_its_own_shape():
    y = tg.zeros(2, 3)
    v = leaf([[1.0, 2.0, 3.0]])            # shape (1, 3) into the row y[0] of shape (3,)
    y[0] = v
    (y * tg.arange(6.0).reshape(2, 3)).sum().backward()
    assert v.grad.shape == (1, 3)
    np.testing.assert_array_equal(v.grad.numpy(), [[0.0, 1.0, 2.0]])


def test_setitem_value_that_broadcasts_backpropagates_summed_to_its_shape():
    y = tg.zeros(2, 3)
    v = leaf([5.0])                        # broadcast over a 2x2 block
    y[:, 1:] = v
    (y * tg.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [1.0 + 2.0 + 4.0 + 5.0])


def test_multiplying_a_tensor_in_place_by_itself_then_backward_raises_as_pytorch():
    a = leaf([1.0, 2.0, 3.0]) * 1
    a.mul_(a)                  # the second factor is the very memory being overwritten
    np.testing.assert_array_equal(a.numpy(), [1.0, 4.0, 9.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        a.sum().backward()


# =================================================================================================
# in-place operations (PyTorch's rules)
# =================================================================================================

@pytest.mark.parametrize("change", [
    lambda w: w.__iadd__(1.0),
    lambda w: w.mul_(2.0),
    lambda w: w.zero_(),
    lambda w: w.fill_(3.0),
    lambda w: w.copy_(tg.tensor([5.0, 6.0])),
    lambda w: w.add_(1.0, alpha=2),
    lambda w: w.clamp_(0, 1),
    lambda w: w.__setitem__(0, 9.0),
], ids=["+=", "mul_", "zero_", "fill_", "copy_", "add_", "clamp_", "setitem"])
def test_in_place_change_of_a_leaf_that_requires_grad_raises(change):
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad.*in-place.*no_grad"):
        change(w)
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])   # untouched


def test_in_place_update_under_no_grad_is_an_optimizer_step():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    data_before = w.numpy()
    with tg.no_grad():
        w -= 0.1 * w.grad
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-15)
    assert w.numpy() is data_before                 # truly in place
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_update_of_a_tensor_that_only_an_output_saving_op_used_is_fine():
    w = leaf([1.0, 2.0])
    y = w.exp()                                  # exp saves its output, not w
    with tg.no_grad():
        w -= 0.5
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-15)


def test_a_recorded_change_of_a_saved_output_makes_its_backward_raise():
    # PyTorch writes into the memory Exp saved, so its backward must raise, not use the new values
    x = leaf([1.0, 2.0])
    y = x.exp()                                  # Exp saved y itself
    y += 1                                       # recorded, written into y's array
    np.testing.assert_allclose(y.numpy(), np.exp([1.0, 2.0]) + 1)
    with pytest.raises(RuntimeError, match=r"ExpBackward0.*modified by an in-place operation"):
        y.sum().backward()


def test_modifying_a_saved_output_under_no_grad_then_backward_raises():
    x = leaf([1.0, 2.0])
    y = x.exp()                                  # Exp saved y itself
    with tg.no_grad():
        y += 1                                   # writes into the saved array
    with pytest.raises(RuntimeError, match=r"ExpBackward0.*in-place"):
        y.sum().backward()


def test_modifying_a_saved_input_under_no_grad_then_backward_raises():
    x = leaf([1.0, 2.0])
    a = x * 1
    y = a * a                                    # Mul saved a
    with tg.no_grad():
        a.mul_(2)
    with pytest.raises(RuntimeError, match=r"MulBackward0.*in-place"):
        y.sum().backward()


@pytest.mark.parametrize("change", [
    lambda a: a.mul_(2),
    lambda a: a.__iadd__(1.0),
    lambda a: a.__setitem__(0, 5.0),
], ids=["mul_", "+=", "setitem"])
def test_a_recorded_change_of_a_saved_input_makes_its_backward_raise(change):
    # As PyTorch: the in-place op writes into the array Mul saved, so y's backward cannot be right
    x = leaf([1.0, 2.0])
    a = x * 1
    y = a * a                                    # Mul saved a
    change(a)                                    # recorded, written into a's array
    with pytest.raises(RuntimeError, match=r"MulBackward0.*modified by an in-place operation"):
        y.sum().backward()


def test_modifying_a_view_of_a_saved_tensor_then_backward_raises():
    x = leaf([1.0, 2.0])
    y = x.exp()
    view = y.reshape(2, 1)
    with tg.no_grad():
        view += 1                                # writes into y's memory
    assert y.numpy()[0] == pytest.approx(np.e + 1)
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_in_place_on_a_non_leaf_that_nobody_saved_is_recorded():
    x = leaf([1.0, 2.0])
    y = x * 2
    y += 1
    np.testing.assert_array_equal(y.numpy(), [3.0, 5.0])
    assert y.grad_fn is not None and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_recorded_in_place_ops_have_the_right_gradients():
    x = leaf([-1.0, 0.5, 2.0])
    y = x * 1
    y.clamp_(0, 1)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.5, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])

    x = leaf([1.0, 2.0])
    y = x * 1
    y.add_(x, alpha=3)                           # y = x + 3x
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [4.0, 8.0])
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])

    x, s = leaf([1.0, 2.0]), leaf([5.0, 7.0])
    y = x * 3
    y.copy_(s * 2)                               # x no longer matters; s does
    (y * tg.tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(y.numpy(), [10.0, 14.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(s.grad.numpy(), [2.0, 20.0])

    x = leaf([1.0, 2.0])
    y = x * 3
    y.fill_(4.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_in_place_values_on_plain_tensors():
    t = tg.tensor([1.0, -2.0, 3.0])
    assert t.zero_() is t
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(t.fill_(2.5).numpy(), [2.5, 2.5, 2.5])
    np.testing.assert_array_equal(t.copy_(tg.tensor([4.0, 5.0, 6.0])).numpy(), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(t.copy_(np.array([7.0, 8.0, 9.0])).numpy(), [7.0, 8.0, 9.0])
    np.testing.assert_array_equal(t.clamp_(7.5, 8.5).numpy(), [7.5, 8.0, 8.5])
    np.testing.assert_array_equal(t.clamp_(max=8.0).numpy(), [7.5, 8.0, 8.0])
    np.testing.assert_array_equal(t.add_(tg.tensor([1.0, 1.0, 1.0]), alpha=2).numpy(), [9.5, 10.0, 10.0])
    np.testing.assert_array_equal(t.sub_(1.0, alpha=0.5).numpy(), [9.0, 9.5, 9.5])
    np.testing.assert_array_equal(t.mul_(2).numpy(), [18.0, 19.0, 19.0])
    np.testing.assert_array_equal(t.div_(2).numpy(), [9.0, 9.5, 9.5])
    t *= tg.tensor([2.0, 0.0, 1.0])
    np.testing.assert_array_equal(t.numpy(), [18.0, 0.0, 9.5])


def test_in_place_cannot_change_shape_or_dtype_kind():
    t = tg.zeros(2)
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*shape \(3,\)"):
        t.add_(tg.ones(3))
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*shape \(2, 2\)"):
        t.add_(tg.ones(2, 2))
    i = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="int64"):
        i += 1.5


# =================================================================================================
# x[i] = v
# =================================================================================================

def test_setitem():
    t = tg.zeros(2, 3)
    t[1] = 7.0
    t[0, 2] = -1.0
    t[:, 0] = tg.tensor([4.0, 5.0])
    np.testing.assert_array_equal(t.numpy(), [[4.0, 0.0, -1.0], [5.0, 7.0, 7.0]])
    t[t.numpy() > 4.5] = 0.0                     # boolean mask
    np.testing.assert_array_equal(t.numpy(), [[4.0, 0.0, -1.0], [0.0, 0.0, 0.0]])


def test_setitem_on_a_non_leaf_is_recorded():
    x, v = leaf([1.0, 2.0, 3.0]), leaf(10.0)
    y = x * 1
    y[1] = v * 2
    np.testing.assert_array_equal(y.numpy(), [1.0, 20.0, 3.0])
    (y * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 3.0])   # overwritten entry gets none
    assert v.grad.item() == 4.0                                       # 2 (weight) · 2 (v * 2)


def test_setitem_of_a_value_that_does_not_fit_names_the_shapes():
    t = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"shape \(4,\).*shape \(2, 3\)"):
        t[0] = np.ones(4)


def unique_integer_arrays(shape: tuple) -> st.SearchStrategy:
    """Integer-array indices for dimension 0 without repeats (x[idx] = v with repeats keeps one v)."""
    return st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=shape[0]).filter(
        lambda rows: len({r % shape[0] for r in rows}) == len(rows)).map(lambda rows: np.array(rows))


SET_INDICES = {
    "ints, slices, steps, ..., None": lambda shape: hnp.basic_indices(shape, allow_newaxis=True),
    "integer array (no repeats)": unique_integer_arrays,
    "boolean mask": boolean_masks,
}


@pytest.mark.parametrize("kind", SET_INDICES)
@given(data=st.data())
def test_setitem_inside_a_graph(kind: str, data: st.DataObject) -> None:
    x = data.draw(tensors(NONEMPTY), label="x")
    index = data.draw(SET_INDICES[kind](x.shape), label="index")
    target = x.numpy()[index].shape
    nonempty = [s for s in (target, target[1:]) if 0 not in s]   # gradcheck needs an input with entries
    v = data.draw(tensors(st.sampled_from(nonempty + [()])), label="value")   # v broadcasts to x[index]

    def assign(x: Tensor, v: Tensor) -> Tensor:
        y = x * 1.0          # a non-leaf: a leaf that requires grad cannot be changed in place
        y[index] = v
        return y.sin()       # something after the assignment, so its gradient flows through it

    def np_assign(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a[index] = b
        return np.sin(a)

    check(assign, np_assign, x, v)


def test_setitem_on_a_leaf_that_requires_grad_says_what_to_do() -> None:
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x[0] = 2.0


def cube(n=3):
    return np.arange(float(n ** 3)).reshape(n, n, n)


def test_setitem_with_integers_and_index_arrays_writes_where_pytorch_does():
    x = tg.zeros(3, 3, 3)
    x[0, :, [0, 2]] = tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    expected = np.zeros((3, 3, 3))
    expected[0][:, [0, 2]] = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    np.testing.assert_array_equal(x.numpy(), expected)


def test_setitem_with_integers_and_index_arrays_backpropagates_to_the_value():
    v = tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    x = tg.zeros(3, 3, 3)
    x[0, :, [0, 2]] = v
    (x * tg.tensor(cube())).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), cube()[0][:, [0, 2]])
