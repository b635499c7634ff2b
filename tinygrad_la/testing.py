"""Hypothesis strategies for property tests of tinygrad_la code: our ops and the ones you write.

A gradient test has two halves: inputs where the function is smooth, and a comparison with
finite differences (`tinygrad_la.gradcheck`). These strategies give the first half:

    from hypothesis import given
    from tinygrad_la import gradcheck
    from tinygrad_la.testing import tensors, positive_tensors

    @given(tensors(), positive_tensors())
    def test_my_op(x, y): ...            # x: float64 in [-10, 10], y: in [0.1, 10]

Everything is float64 by default (finite differences drown in float32 rounding) and small
(at most 3 dimensions of at most 4), because gradcheck runs two forward passes per element.

Kinks and ties are where a derivative does not exist, so finite differences there are
meaningless: `avoid=` keeps entries `margin` away from given points (0 for relu and abs, the
bounds of clamp), and `distinct_tensors` keeps all entries `margin` apart (max, min, maximum).

hypothesis is a test dependency, not a runtime one: ``pip install tinygrad_la[dev]``.
"""
from __future__ import annotations

from typing import Any, Sequence, Union

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as error:   # pragma: no cover - depends on the environment
    raise ImportError("tinygrad_la.testing needs hypothesis, a test dependency: "
                      "`pip install hypothesis` or `pip install tinygrad_la[dev]`") from error

from .tensor import Tensor

__all__ = ["shapes", "broadcastable_shapes", "matmul_shapes", "dims", "scalars", "arrays", "tensors",
           "positive_tensors", "distinct_tensors"]

Shape = tuple[int, ...]
ShapeLike = Union[Shape, "st.SearchStrategy[Shape]", None]
Avoid = Union[float, Sequence[float], None]


# --- shapes ---------------------------------------------------------------------------------------

def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[Shape]:
    """Array shapes such as (), (3,), (2, 1, 4): `min_dims`..`max_dims` axes of `min_side`..`max_side`."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy[tuple[Shape, ...]]:
    """`num_shapes` shapes that broadcast together, e.g. ((2, 1, 3), (4, 3)) or ((3,), ())."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(
        lambda shapes: shapes.input_shapes)


def matmul_shapes(max_batch_dims: int = 2, min_side: int = 1,
                  max_side: int = 4) -> st.SearchStrategy[tuple[Shape, Shape]]:
    """Pairs (a, b) that `a @ b` accepts under NumPy's rules.

    Every case comes up: (k,)·(k,), (m, k)·(k,), (k,)·(k, n), (m, k)·(k, n), and batched stacks
    whose leading (batch) dimensions broadcast, e.g. (2, 1, m, k)·(3, k, n).
    """
    return hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=max_batch_dims,
                                             min_side=min_side, max_side=max_side).map(
        lambda shapes: (shapes.input_shapes[0], shapes.input_shapes[1]))


def dims(ndim: int, allow_none: bool = True) -> st.SearchStrategy[Any]:
    """A `dim=` argument for a reduction over `ndim` axes: None, an int (maybe negative), or a tuple."""
    if ndim == 0:
        return st.none() if allow_none else st.sampled_from([0, -1])
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
        lambda axes: st.tuples(*[st.sampled_from([a, a - ndim]) for a in axes]))
    choices = [one, several]
    return st.one_of([st.none()] + choices if allow_none else choices)


# --- numbers --------------------------------------------------------------------------------------

def _far_from(avoid: Avoid, margin: float) -> Any:
    points = () if avoid is None else np.atleast_1d(np.asarray(avoid, dtype=np.float64)).ravel()
    return lambda v: bool(np.all(np.abs(v - points) >= margin))


def scalars(min_value: float = -10.0, max_value: float = 10.0, *, avoid: Avoid = None,
            margin: float = 1e-2) -> st.SearchStrategy[float]:
    """Finite Python floats in [min_value, max_value]; for Value tests: ``scalars().map(Value)``."""
    numbers = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
    return numbers if avoid is None else numbers.filter(_far_from(avoid, margin))


def arrays(shape: ShapeLike = None, dtype: Any = np.float64, min_value: float = -10.0,
           max_value: float = 10.0, *, avoid: Avoid = None, margin: float = 1e-2,
           distinct: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Float arrays with entries in [min_value, max_value] (no nan or inf).

    `shape` is a tuple, a strategy of tuples, or None for ``shapes()``. `avoid` is a point or a
    list of points the entries stay `margin` away from. With `distinct`, all entries are at least
    `margin` apart (they are drawn from the grid k·margin, without repeats).
    """
    dtype = np.dtype(dtype)
    if distinct:
        lo, hi = int(np.ceil(min_value / margin)), int(np.floor(max_value / margin))
        elements = st.integers(lo, hi).map(lambda k: k * margin)
    else:
        elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                             width=8 * dtype.itemsize)
    if avoid is not None:
        elements = elements.filter(_far_from(avoid, margin))
    return hnp.arrays(dtype, shapes() if shape is None else shape, elements=elements, unique=distinct)


# --- tensors --------------------------------------------------------------------------------------

def tensors(shape: ShapeLike = None, requires_grad: bool = True, dtype: Any = np.float64,
            min_value: float = -10.0, max_value: float = 10.0, *, avoid: Avoid = None,
            margin: float = 1e-2, distinct: bool = False) -> st.SearchStrategy[Tensor]:
    """Tensors of `dtype` (float64) that require grad, with entries drawn as by `arrays`."""
    return arrays(shape, dtype, min_value, max_value, avoid=avoid, margin=margin, distinct=distinct).map(
        lambda a: Tensor(a, requires_grad=requires_grad))


def positive_tensors(shape: ShapeLike = None, requires_grad: bool = True, min_value: float = 0.1,
                     max_value: float = 10.0, **kwargs: Any) -> st.SearchStrategy[Tensor]:
    """Tensors with entries in [0.1, 10]: safely inside the domain of log, sqrt and 1/x."""
    return tensors(shape, requires_grad, min_value=min_value, max_value=max_value, **kwargs)


@st.composite
def distinct_tensors(draw: Any, *shapes: Shape | st.SearchStrategy[Shape], requires_grad: bool = True,
                     min_value: float = -10.0, max_value: float = 10.0,
                     margin: float = 1e-2) -> tuple[Tensor, ...]:
    """One tensor per shape, no two entries (within or across the tensors) closer than `margin`.

    For max, min, maximum and minimum: with no ties, each has a derivative, and it survives the
    small nudges of finite differences. ``distinct_tensors((2, 3), (3,))`` gives a pair.
    """
    drawn: list[Shape] = [draw(s) if isinstance(s, st.SearchStrategy) else tuple(s) for s in shapes]
    sizes = [int(np.prod(s)) for s in drawn]
    flat = draw(arrays((sum(sizes),), min_value=min_value, max_value=max_value, margin=margin, distinct=True))
    pieces = np.split(flat, np.cumsum(sizes)[:-1])
    return tuple(Tensor(piece.reshape(s), requires_grad=requires_grad) for piece, s in zip(pieces, drawn))
