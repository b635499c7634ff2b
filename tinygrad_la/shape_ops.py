"""Shape ops: reshape, permute, expand, join and index. They move entries without changing them.

So each backward only moves g back: reshaped or permuted back, summed over the copies an expand
made, cut into the pieces a cat joined, scattered to where an index read (entries read twice add
up). Basic indexing and reshapes are views: in-place edits of the result reach the input.
Notation as in ops.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .engine import _mode
from .ops import Op
from .tensor import Tensor, _bump, _counter, _dim, _inplace


# --- shapes ---------------------------------------------------------------------------------------

class Reshape(Op):
    """x viewed with a new shape;  dx = g reshaped back"""
    __slots__ = ("in_shape",)
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Permute(Op):
    """x with its axes reordered (xᵀ for a matrix);  dx = g with the inverse order"""
    __slots__ = ("inverse",)
    is_view = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return Permute.apply(g, ctx.inverse)
        return g.transpose(ctx.inverse)


class Expand(Op):
    """x broadcast to a larger shape (no copy);  dx = g summed over the copies (by unbroadcast)"""
    __slots__ = ()
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g


def broadcast_to(g: Any, shape: tuple) -> Any:
    """np.broadcast_to for arrays, the differentiable Expand for Tensors."""
    if isinstance(g, Tensor):
        return g if g.shape == shape else Expand.apply(g, shape)
    return np.broadcast_to(g, shape)


class Cat(Op):
    """[x₁, x₂, ...] joined along axis;  dxᵢ = the slice of g that xᵢ filled"""
    __slots__ = ("axis", "bounds")

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [x.shape[axis] for x in xs]).tolist()
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        b = ctx.bounds
        return (None,) + tuple(g[lead + (slice(b[i], b[i + 1]),)] for i in range(len(b) - 1))


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; the other dimensions must match."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat() needs a non-empty list of tensors")
    shapes = [np.shape(t) for t in tensors]
    ndim = len(shapes[0])
    if ndim == 0:
        raise RuntimeError("cat(): zero-dimensional tensors cannot be joined; use stack()")
    axis = _dim(dim, ndim)
    for i, shape in enumerate(shapes):
        if len(shape) != ndim or any(a != b for j, (a, b) in enumerate(zip(shape, shapes[0])) if j != axis):
            raise RuntimeError(f"cat(): tensor {i} has shape {shape} but tensor 0 has shape {shapes[0]}; "
                               f"all dimensions except dim={axis} must match")
    return Cat.apply(axis, *tensors)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dimension."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack() needs a non-empty list of tensors; got an empty list")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack(): tensor {i} has shape {t.shape} but tensor 0 has shape "
                               f"{tensors[0].shape}; stack needs tensors of equal shape")
    axis = _dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(axis) for t in tensors], axis)


# --- indexing -------------------------------------------------------------------------------------

def _plain_index(index: Any) -> Any:
    """Tensors and lists inside an index become arrays, so NumPy reads it as NumPy would."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        array = np.asarray(index)
        return array.astype(np.intp) if array.size == 0 else array   # x[[]]: no entries (NumPy reads [] as floats)
    return index


def _is_basic(index: Any) -> bool:
    """Only ints, slices, None and ...: the result is a view and no entry repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) for i in items)


class Index(Op):
    """x[index];  dx = g scattered back to where it came from (repeats add up)"""
    __slots__ = ("index", "in_shape")

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        ctx.in_shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return index_add(g, ctx.index, ctx.in_shape)


class IndexAdd(Op):
    """zeros(shape) with g added at index (np.add.at);  dg = G[index]  (the adjoint of Index)"""
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out

    @staticmethod
    def backward(ctx, G):
        return G[ctx.index]


def index_add(g: Any, index: Any, shape: tuple) -> Any:
    if isinstance(g, Tensor):
        return IndexAdd.apply(g, index, shape)
    return IndexAdd.forward(IndexAdd.__new__(IndexAdd), g, index, shape)


def index(x: Tensor, idx: Any) -> Tensor:
    idx = _plain_index(idx)
    try:
        out = Index.apply(x, idx)
    except IndexError as error:
        raise IndexError(f"index {idx!r} does not fit a tensor of shape {x.shape}: {error}") from None
    if _is_basic(idx):
        out._version = _counter(x)   # a basic index is a view: in-place edits reach x
    return out


class SetItem(Op):
    """x with x[index] = v;  dx = g with zeros at index,  dv = g[index]"""
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        out = x.copy()
        out[index] = v
        kept = np.ones(x.shape, dtype=bool)
        kept[index] = False
        ctx.save_for_backward(kept)
        return out

    @staticmethod
    def backward(ctx, g):
        kept, = ctx.saved_tensors
        return g * kept, g[ctx.index]


def setitem(x: Tensor, idx: Any, value: Any) -> None:
    """x[idx] = value: recorded (SetItem) when a tensor involved requires grad, else written in place."""
    idx = _plain_index(idx)
    recorded = _mode.enabled and (x._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    try:
        if recorded:
            _inplace(x, None, lambda t, v: SetItem.apply(t, v, idx), value)
        else:
            x.data[idx] = value.data if isinstance(value, Tensor) else value
            _bump(x)
    except (IndexError, ValueError) as error:
        kind = IndexError if isinstance(error, IndexError) else RuntimeError
        raise kind(f"cannot assign a value of shape {np.shape(value)} to index {idx!r} of a tensor "
                   f"of shape {x.shape}: {error}") from None
