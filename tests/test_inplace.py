"""In-place changes as PyTorch makes them: written into memory that views share, recorded in the
graph (rewriting a view's base), and caught by version counters when a backward needs old values.
Expected numbers are PyTorch 2.13's answers to the same programs."""
import numpy as np
import pytest

import tinygrad_la as tg


def leaf(values):
    return tg.tensor(values, requires_grad=True)


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


@pytest.mark.parametrize("make_view", [
    lambda t: t.reshape(2, 2), lambda t: t.T, lambda t: t[0], lambda t: t[:, ::2],
    lambda t: t[0, 1], lambda t: t.squeeze(), lambda t: t.expand(2, 2, 2),
    lambda t: tg.einsum("ii->i", t),
], ids=["reshape", "T", "int", "step slice", "two ints", "squeeze", "expand", "einsum diagonal"])
def test_every_op_whose_result_is_a_view_shares_the_version_counter(make_view):
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    h = x * 1
    y = make_view(h) * 2 * make_view(h)   # Mul saved the view
    with tg.no_grad():
        h.add_(1)              # changes what the view sees
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


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


def test_a_detached_tensor_shares_the_version_counter():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = h * h
    with tg.no_grad():
        h.detach().add_(1)
    np.testing.assert_array_equal(h.numpy(), [2.0, 3.0])
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_multiplying_a_tensor_in_place_by_itself_then_backward_raises_as_pytorch():
    a = leaf([1.0, 2.0, 3.0]) * 1
    a.mul_(a)                  # the second factor is the very memory being overwritten
    np.testing.assert_array_equal(a.numpy(), [1.0, 4.0, 9.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        a.sum().backward()
