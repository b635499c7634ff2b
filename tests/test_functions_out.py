"""`out=` on the module functions and `torch.equal`, as PyTorch has them: the result is written into
the tensor given (cast to its dtype where PyTorch casts, resized where its shape differs), which is
returned; a call that would need a gradient raises before anything is written."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la.core.version import changed_at

_rng = np.random.default_rng(3)
A = _rng.random((2, 3)) + 0.5
B = _rng.random((2, 3)) + 0.5
M = _rng.random((3, 4))
V = _rng.random(3)
BATCH = _rng.random((2, 2, 3))

# name -> (the arguments, given the library as T)
CALLS = {
    "add": lambda T: (T.tensor(A), T.tensor(B)),
    "sub": lambda T: (T.tensor(A), 2.0),
    "mul": lambda T: (T.tensor(A), T.tensor(B)),
    "div": lambda T: (T.tensor(A), T.tensor(B)),
    "pow": lambda T: (T.tensor(A), 3),
    "maximum": lambda T: (T.tensor(A), T.tensor(B)),
    "minimum": lambda T: (T.tensor(A), T.tensor(B)),
    "matmul": lambda T: (T.tensor(A), T.tensor(M)),
    "mm": lambda T: (T.tensor(A), T.tensor(M)),
    "bmm": lambda T: (T.tensor(BATCH), T.tensor(BATCH).transpose(1, 2)),
    "dot": lambda T: (T.tensor(V), T.tensor(V)),
    "outer": lambda T: (T.tensor(V), T.tensor(V)),
    "exp": lambda T: (T.tensor(A),),
    "log": lambda T: (T.tensor(A),),
    "sqrt": lambda T: (T.tensor(A),),
    "tanh": lambda T: (T.tensor(A),),
    "sigmoid": lambda T: (T.tensor(A),),
    "abs": lambda T: (T.tensor(A) - 1,),
    "neg": lambda T: (T.tensor(A),),
    "sin": lambda T: (T.tensor(A),),
    "cos": lambda T: (T.tensor(A),),
    "square": lambda T: (T.tensor(A),),
    "log1p": lambda T: (T.tensor(A),),
    "expm1": lambda T: (T.tensor(A),),
    "log2": lambda T: (T.tensor(A),),
    "log10": lambda T: (T.tensor(A),),
    "clamp": lambda T: (T.tensor(A), 0.7, 1.2),
    "sum": lambda T: (T.tensor(A), 1),
    "mean": lambda T: (T.tensor(A), 0),
    "prod": lambda T: (T.tensor(A), 1),
    "cat": lambda T: ([T.tensor(A), T.tensor(B)], 1),
    "stack": lambda T: ([T.tensor(A), T.tensor(B)],),
    "where": lambda T: (T.tensor(A) > 1, T.tensor(A), T.tensor(B)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_holds_the_result_and_is_returned(name: str) -> None:
    function = getattr(tg, name)
    want = function(*CALLS[name](tg))
    out = tg.full(tuple(want.shape), -7.0)
    view = out.view(-1)
    version = changed_at(out._array)
    got = function(*CALLS[name](tg), out=out)
    assert got is out and out.dtype == tg.float64 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    np.testing.assert_array_equal(view.numpy(), want.numpy().reshape(-1))   # written in place: views see it
    assert changed_at(out._array) > version   # a backward that saved out's old values would raise


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_matches_pytorch(name: str, pytorch) -> None:
    def theirs(torch):
        want = torch.empty(0, dtype=torch.float64)
        getattr(torch, name)(*CALLS[name](torch), out=want)   # out= resized from empty, as here
        return want.numpy()
    want = pytorch("out", theirs)
    got = getattr(tg, name)(*CALLS[name](tg), out=tg.empty(0))
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-15, atol=0)


def test_out_casts_to_its_dtype_where_pytorch_casts() -> None:
    out = tg.zeros(2, dtype=tg.float32)
    tg.add(tg.tensor([1.5, 2.5], dtype=tg.float64), 1, out=out)   # float64 into float32: same kind
    assert out.dtype == tg.float32 and out.tolist() == [2.5, 3.5]
    out = tg.zeros(2)
    tg.add(tg.tensor([1, 2]), 1, out=out)   # an integer result into a float out
    assert out.tolist() == [2.0, 3.0]


def test_a_float_result_into_an_integer_out_raises_and_leaves_it() -> None:
    out = tg.tensor([4, 5])
    with pytest.raises(RuntimeError, match=r"mul\(\): result type tinygrad_la.float64 can't be cast to the "
                                           r"desired output type tinygrad_la.int64"):
        tg.mul(tg.ones(2), 2.5, out=out)
    assert out.tolist() == [4, 5]


def test_out_with_an_input_that_requires_grad_raises_before_writing() -> None:
    x = tg.ones(2, requires_grad=True)
    out = tg.tensor([4.0, 5.0])
    with pytest.raises(RuntimeError, match=r"mul\(\): functions with out=\.\.\. arguments don't support automatic "
                                           r"differentiation, but one of the arguments requires grad"):
        tg.mul(x, 2, out=out)
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.cat([tg.ones(1), x], out=out)   # a tensor inside a list counts
    with pytest.raises(RuntimeError, match="requires grad"):
        tg.mul(tg.ones(2), 3, out=tg.zeros(2, requires_grad=True))   # out itself counts too
    assert out.tolist() == [4.0, 5.0] and x.grad is None
    with tg.no_grad():   # where no gradient is recorded, out= is allowed
        assert tg.mul(x, 3, out=out).tolist() == [3.0, 3.0] and not out.requires_grad


def test_out_must_be_a_tensor() -> None:
    with pytest.raises(TypeError, match=r"add\(\): argument 'out' must be Tensor, not list"):
        tg.add(tg.ones(2), 1, out=[0, 0])


def test_out_of_another_shape_is_resized_with_pytorchs_warning() -> None:
    out = tg.zeros(3)
    with pytest.warns(UserWarning, match=r"resized since it had shape \[3\], which does not match the required "
                                         r"output shape \[2\]"):
        tg.add(tg.ones(2), 1, out=out)
    assert out.shape == (2,) and out.tolist() == [2.0, 2.0]
    empty = tg.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # an empty out is resized silently
        tg.matmul(tg.ones(2, 3), tg.ones(3, 4), out=empty)
    assert empty.shape == (2, 4) and empty.sum().item() == 24.0


def test_a_view_cannot_be_resized() -> None:
    base = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"a view cannot be resized: pass a tensor of shape \(2,\)"):
        tg.add(tg.ones(2), 1, out=base[0])
    assert base.sum().item() == 0.0


# --- torch.equal --------------------------------------------------------------------------------

EQUAL_CASES = {
    "same": (lambda T: (T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0])), True),
    "different_value": (lambda T: (T.tensor([1.0, 2.0]), T.tensor([1.0, 3.0])), False),
    "int_and_float": (lambda T: (T.tensor([1, 2]), T.tensor([1.0, 2.0])), True),
    "different_shape": (lambda T: (T.ones(2, 1), T.ones(2)), False),
    "nan": (lambda T: (T.tensor([float("nan")]), T.tensor([float("nan")])), False),
    "empty": (lambda T: (T.zeros(0), T.zeros(0)), True),
    "bool": (lambda T: (T.tensor([True]), T.tensor([1])), True),
}


@pytest.mark.parametrize("name", sorted(EQUAL_CASES))
def test_equal(name: str) -> None:
    build, want = EQUAL_CASES[name]
    a, b = build(tg)
    assert tg.equal(a, b) is want and a.equal(b) is want


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(EQUAL_CASES))
def test_equal_matches_pytorch(name: str, pytorch) -> None:
    build, want = EQUAL_CASES[name]
    assert pytorch("equal", lambda torch: torch.equal(*build(torch))) is want


def test_equal_takes_tensors_only() -> None:
    with pytest.raises(TypeError, match=r"equal\(\): argument 'other' must be Tensor, not list"):
        tg.equal(tg.ones(2), [1.0, 1.0])
