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
    """The index as NumPy reads it, with PyTorch's rule where the two differ: integers are applied
    first, like basic indexing, so x[0, :, [0, 2]] is x[0][:, [0, 2]] (NumPy would count the 0 as
    an index array and move the selected dimension to the front)."""
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(_plain_item(i) for i in items)
    if not any(isinstance(i, np.ndarray) for i in items) or not any(_is_int(i) for i in items):
        return items if isinstance(index, tuple) else items[0]
    basic = tuple(i if _is_int(i) or i is None or i is Ellipsis else slice(None)
                  for i in items if not (isinstance(i, np.ndarray) and i.dtype == bool and i.ndim > 1))
    if len(basic) != len(items):   # a multi-dimensional mask spans several dims: leave it to NumPy
        return items
    rest = tuple(slice(None) if i is None else i for i in items if not _is_int(i))
    return _TwoStep(basic, rest)


def _plain_item(item: Any) -> Any:
    """Tensors and lists inside an index become arrays."""
    if isinstance(item, Tensor):
        return item.data
    if isinstance(item, list):
        array = np.asarray(item)
        return array.astype(np.intp) if array.size == 0 else array   # x[[]]: no entries (NumPy reads [] as floats)
    return item


def _is_int(item: Any) -> bool:
    return isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))


class _TwoStep:
    """An index applied in two steps, x[basic][rest]: integers (and slices) first, then the index
    arrays, which is how PyTorch reads an index mixing integers and index arrays."""
    __slots__ = ("basic", "rest")

    def __init__(self, basic: tuple, rest: tuple) -> None:
        self.basic, self.rest = basic, rest

    def __repr__(self) -> str:
        return f"[{self.basic!r}][{self.rest!r}]"


def _take(a: Any, index: Any) -> Any:
    """a[index] for arrays and Tensors."""
    if type(index) is _TwoStep:
        return a[index.basic][index.rest]
    return a[index]


def _region(a: np.ndarray, index: Any) -> tuple[np.ndarray, Any]:
    """An array to write through and the index to write at: a[index] = v is region[at] = v."""
    if type(index) is _TwoStep:
        return a[index.basic], index.rest
    return a, index


def _is_basic(index: Any) -> bool:
    """Only ints, slices, None and ...: the result is a view and no entry repeats."""
    if type(index) is _TwoStep:
        return False
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) for i in items)


class Index(Op):
    """x[index];  dx = g scattered back to where it came from (repeats add up)"""
    __slots__ = ("index", "in_shape")

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        ctx.in_shape = x.shape
        return _take(x, index)

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
        region, at = _region(out, index)
        if _is_basic(at):
            region[at] = g
        else:
            np.add.at(region, at, g)
        return out

    @staticmethod
    def backward(ctx, G):
        return _take(G, ctx.index)


def index_add(g: Any, index: Any, shape: tuple) -> Any:
    if isinstance(g, Tensor):
        return IndexAdd.apply(g, index, shape)
    return IndexAdd.forward(IndexAdd.__new__(IndexAdd), g, index, shape)


def index(x: Tensor, idx: Any) -> Tensor:
    idx = _plain_index(idx)
    if _is_basic(idx):   # x[0, 1] of a matrix: a 0-d view, as PyTorch (NumPy would copy the number)
        items = idx if isinstance(idx, tuple) else (idx,)
        if Ellipsis not in items:
            idx = items + (Ellipsis,)
    try:
        return Index.apply(x, idx)   # a basic index gives a view (see function._link_view)
    except IndexError as error:
        raise IndexError(f"index {idx!r} does not fit a tensor of shape {x.shape}: {error}") from None


def _fitted(value: Any, region: np.ndarray, at: Any) -> Any:
    """The value as NumPy can write it at region[at]: leading 1s beyond the target's dimensions
    dropped (PyTorch writes a (1,) value into one entry, or a (1, 3) value into a row)."""
    shape = np.shape(value)
    target = region[at].shape if shape else ()
    extra = len(shape) - len(target)
    if extra > 0 and all(n == 1 for n in shape[:extra]):
        return np.reshape(value, shape[extra:])
    return value


class SetItem(Op):
    """x with x[index] = v;  dx = g with zeros at index,  dv = g[index]"""
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        out = x.copy()
        region, at = _region(out, index)
        region[at] = _fitted(v, region, at)
        kept = np.ones(x.shape, dtype=bool)
        region, at = _region(kept, index)
        region[at] = False
        ctx.save_for_backward(kept)
        return out

    @staticmethod
    def backward(ctx, g):
        kept, = ctx.saved_tensors
        return g * kept, _take(g, ctx.index)


def setitem(x: Tensor, idx: Any, value: Any) -> None:
    """x[idx] = value: recorded (SetItem) when a tensor involved requires grad, else written in place."""
    idx = _plain_index(idx)
    recorded = _mode.enabled and (x._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
                                  or x._base is not None and x._base._requires_grad)
    try:
        if recorded:
            _inplace(x, None, lambda t, v: SetItem.apply(t, v, idx), value, False)
        else:
            region, at = _region(x.data, idx)
            region[at] = _fitted(value.data if isinstance(value, Tensor) else value, region, at)
            _bump(x)
            if _mode.tracer is not None: _mode.tracer.setitem(x, idx, value)
    except (IndexError, ValueError) as error:
        kind = IndexError if isinstance(error, IndexError) else RuntimeError
        raise kind(f"cannot assign a value of shape {np.shape(value)} to index {idx!r} of a tensor "
                   f"of shape {x.shape}: {error}") from None


# --- views changed in place (see tensor_inplace._rebase) ------------------------------------------

class AsStrided(Op):
    """x read at flat positions p (a view of x, as PyTorch's as_strided);  dx = g added back at p"""
    __slots__ = ("in_shape", "positions")

    @staticmethod
    def forward(ctx, x, positions):
        ctx.in_shape = x.shape
        ctx.positions = positions
        return x.reshape(-1)[positions]

    @staticmethod
    def backward(ctx, g):
        n = int(np.prod(ctx.in_shape))
        return index_add(g, ctx.positions, (n,)).reshape(ctx.in_shape)


class CopySlices(Op):
    """base with v written at flat positions p;  dbase = g with zeros at p,  dv = g at p"""
    __slots__ = ("positions",)

    @classmethod
    def name(cls) -> str:
        return "CopySlices"   # PyTorch's name for this node

    @staticmethod
    def forward(ctx, base, v, positions):
        ctx.positions = positions
        return base   # the write itself already happened in place: this node only records it

    @staticmethod
    def backward(ctx, g):
        p = ctx.positions
        kept = np.ones(g.shape, dtype=bool)
        kept.reshape(-1)[p] = False
        return g * kept, g.reshape(-1)[p]
