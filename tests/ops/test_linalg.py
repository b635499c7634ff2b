"""Tests of tinygrad_la/ops/linalg.py: matmul in every case NumPy defines, and einsum."""
from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_la as tg
from tinygrad_la.testing import matmul_shapes, tensors

from tests.ops.helpers import assert_close, check


# --- matmul: every case NumPy defines -------------------------------------------------------------

MATMUL_CASES = {
    "1-D @ 1-D": ((3,), (3,)),
    "2-D @ 1-D": ((2, 3), (3,)),
    "1-D @ 2-D": ((3,), (3, 2)),
    "2-D @ 2-D": ((2, 3), (3, 4)),
    "N-D @ N-D, broadcast batch": ((2, 1, 2, 3), (3, 3, 2)),
    "1-D @ N-D": ((3,), (2, 3, 2)),
    "N-D @ 1-D": ((2, 2, 3), (3,)),
    "N-D @ 2-D": ((2, 2, 3), (3, 2)),
}


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_CASES.values(), ids=MATMUL_CASES)
@given(data=st.data())
def test_matmul_cases(shape_a: tuple, shape_b: tuple, data: st.DataObject) -> None:
    a, b = data.draw(tensors(shape_a), label="a"), data.draw(tensors(shape_b), label="b")
    check(operator.matmul, np.matmul, a, b)


@given(shape_pair=matmul_shapes(max_batch_dims=2, max_side=3), data=st.data())
def test_matmul_shapes(shape_pair: tuple, data: st.DataObject) -> None:
    a, b = data.draw(tensors(shape_pair[0]), label="a"), data.draw(tensors(shape_pair[1]), label="b")
    check(operator.matmul, np.matmul, a, b)


def test_matmul_spellings_agree() -> None:
    a, b = tg.randn(2, 3), tg.randn(3, 4)
    expected = a.numpy() @ b.numpy()
    for product in (a @ b, a.matmul(b), a.mm(b), tg.matmul(a, b), tg.mm(a, b), np.matmul(a, b)):
        assert_close(product, expected)
    v = tg.randn(3)
    assert_close(v.dot(v), v.numpy() @ v.numpy())


# --- einsum: its backward is an einsum too (so create_graph works) ---------------------------------

# equation: operand shapes
EINSUM_CASES = {
    "ij,jk->ik": ((2, 3), (3, 4)),                     # matrix product
    "ij,jk (implicit output)": ((2, 3), (3, 4)),
    "ji (implicit transpose)": ((2, 3),),
    "ij->j": ((2, 3),),                                # column sums
    "ij->": ((2, 3),),
    "ii->i": ((3, 3),),                                # diagonal
    "ii (trace)": ((3, 3),),
    "iij->j": ((2, 2, 3),),
    "i,j->ij": ((3,), (2,)),                           # outer product
    "i,i->": ((3,), (3,)),                             # dot product
    "bij,bjk->bik": ((2, 2, 3), (2, 3, 2)),            # batched matrix product
    "...ij,...jk->...ik": ((2, 1, 2, 3), (3, 3, 2)),   # broadcast batch dimensions
    "...ij,jk": ((2, 2, 3), (3, 2)),
    "ij,ij->j (broadcast 1)": ((1, 3), (2, 3)),
    "ij,jk,kl->il": ((2, 3), (3, 2), (2, 2)),          # three operands
    "ij,k->ijk": ((1, 2), (3,)),
}


@pytest.mark.parametrize("case", EINSUM_CASES)
@given(data=st.data())
def test_einsum(case: str, data: st.DataObject) -> None:
    equation = case.split(" ")[0]
    xs = [data.draw(tensors(shape), label=f"x{i}") for i, shape in enumerate(EINSUM_CASES[case])]
    check(lambda *xs: tg.einsum(equation, *xs), lambda *arrays: np.einsum(equation, *arrays), *xs)


def test_einsum_spellings_and_errors() -> None:
    a, b = tg.randn(2, 3), tg.randn(3, 4)
    expected = a.numpy() @ b.numpy()
    assert_close(tg.einsum("ij,jk->ik", [a, b]), expected)       # operands as one list
    assert_close(tg.einsum("i j , j k -> i k", a, b), expected)   # spaces are ignored
    with pytest.raises(RuntimeError, match=r"subscript 'j' has size 3 .* and 2"):
        tg.einsum("ij,jk->ik", a, tg.randn(2, 2))
    with pytest.raises(RuntimeError, match="operand 0 has shape"):
        tg.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="'z' .* is not in any operand"):
        tg.einsum("ij->z", a)
    with pytest.raises(ValueError, match="2 operand"):
        tg.einsum("ij,jk->ik", a)


# --- errors: the message names the problem --------------------------------------------------------

def test_matmul_inner_dims_mismatch_names_both_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(2, 4\)"):
        tg.ones(2, 3) @ tg.ones(2, 4)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(4,\)"):
        tg.ones(3) @ tg.ones(4)
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        tg.tensor(2.0) @ tg.ones(3)


def test_matmul_of_mixed_float_widths_raises_as_pytorch_does() -> None:
    a = tg.tensor(np.ones((2, 3)), dtype=tg.float32, requires_grad=True)
    b = tg.tensor(np.ones((3, 4)), dtype=tg.float64)
    for product in (lambda: a @ b, lambda: b.T @ a.T, lambda: a.mm(b), lambda: tg.matmul(a, b)):
        with pytest.raises(RuntimeError, match=r"same dtype.*float(32|64) != float(64|32).*\.to\(|same dtype.*double"):
            product()
    assert a.grad is None
    assert (a @ b.float()).dtype == np.float32   # converted, it works


def test_linear_with_an_input_of_another_float_width_raises_saying_which_to_convert() -> None:
    layer = tg.nn.Linear(3, 2)   # float64 weights (the default dtype)
    with pytest.raises(RuntimeError, match=r"float64 weights.*float32.*x\.double\(\).*model\.float\(\)"):
        layer(tg.ones(4, 3, dtype=tg.float32))
    assert layer(tg.ones(4, 3)).dtype == np.float64
