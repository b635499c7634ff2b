"""Indexing by PyTorch's rules, where they differ from NumPy's. Expected shapes and values are
PyTorch 2.13's."""
import numpy as np
import pytest

import tinygrad_la as tg


def cube(n=3):
    return np.arange(float(n ** 3)).reshape(n, n, n)


@pytest.mark.parametrize("index, torch_equivalent", [
    ((0, slice(None), [0, 2]), lambda a: a[0][:, [0, 2]]),
    ((slice(None), 1, slice(None), [0, 1]), None),
    (([0, 2], slice(None), 1), lambda a: a[:, :, 1][[0, 2]]),
    ((1, slice(None), np.array([True, False, True])), lambda a: a[1][:, [0, 2]]),
    ((0, None, slice(None), [1]), lambda a: a[0][None][:, :, [1]]),
], ids=["int-slice-list", "4d", "list-slice-int", "int-slice-mask", "int-None-slice-list"])
def test_integers_apply_before_index_arrays_as_in_pytorch(index, torch_equivalent):
    if torch_equivalent is None:
        data = np.arange(float(3 ** 4)).reshape(3, 3, 3, 3)
        expected = data[:, 1][:, :, [0, 1]]
    else:
        data = cube()
        expected = torch_equivalent(data)
    x = tg.tensor(data, requires_grad=True)
    out = x[index]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)
    out.sum().backward()
    hits = np.zeros_like(data)
    np.add.at(hits.reshape(-1), (np.arange(data.size).reshape(data.shape)[index] if False else
                                 _flat_hits(data, index)), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), hits)


def _flat_hits(data, index):
    """Flat positions read by x[index] under PyTorch's rule (ints first, then the rest)."""
    flat = tg.tensor(np.arange(data.size, dtype=np.int64).reshape(data.shape))
    return flat[index].numpy().reshape(-1)


def test_int_slice_list_on_a_square_tensor_is_not_transposed():
    x = tg.tensor(cube())
    np.testing.assert_array_equal(x[0, :, [0, 2]].numpy(), [[0.0, 2.0], [3.0, 5.0], [6.0, 8.0]])


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
