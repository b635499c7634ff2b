"""Movement ops: reshape, permute, expand, join and index. They move entries without changing them.

So each backward only moves g back: reshaped or permuted back, summed over the copies an expand
made, cut into the pieces a cat joined, scattered to where an index read (entries read twice add
up). Basic indexing and reshapes are views: in-place edits of the result reach the input.
Notation as in elementwise.py. Below the ops, the Tensor methods that call them (`MovementMethods`).
"""
from __future__ import annotations

import builtins
import math
from typing import TYPE_CHECKING, Any, Iterable, TypeVar

import numpy as np

from ..core.function import Op
from ..core.tensor_base import Shape, TensorBase, _dim
from .elementwise import Clone, ElementwiseMethods

if TYPE_CHECKING:   # typing.Self is Python 3.11's (typing_extensions has it for 3.10); never needed at runtime
    from typing_extensions import Self

__all__ = ["MovementMethods", "cat", "stack", "broadcast_to", "index_add"]

_T = TypeVar("_T", bound="MovementMethods")   # joined tensors give a tensor of their class (Tensor)


# --- shapes ---------------------------------------------------------------------------------------

class Reshape(Op):
    """x viewed with a new shape;  dx = g reshaped back"""
    __slots__ = ("in_shape",)
    node_name = "ViewBackward0"
    graph_inputs = slice(0, 1)   # the shape is a parameter, not an input (PyTorch's next_functions)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: Shape) -> np.ndarray:
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g.reshape(ctx.in_shape)


# Reshapes PyTorch records under other names: the same op, named as PyTorch names its node
class Squeeze(Reshape):
    """x.squeeze(): dimensions of size 1 removed"""
    __slots__ = ()
    node_name = "SqueezeBackward0"


class SqueezeDim(Reshape):
    """x.squeeze(dim)"""
    __slots__ = ()
    node_name = "SqueezeBackward1"


class SqueezeDims(Reshape):
    """x.squeeze((dim, ...))"""
    __slots__ = ()
    node_name = "SqueezeBackward2"


class SqueezeRow(Reshape):
    """the (1, n) row of a vector-matrix product made an (n,) vector again (PyTorch's matmul squeezes)"""
    __slots__ = ()
    node_name = "SqueezeBackward4"


class Unsqueeze(Reshape):
    """x.unsqueeze(dim): a dimension of size 1 inserted"""
    __slots__ = ()
    node_name = "UnsqueezeBackward0"


class UnsafeView(Reshape):
    """a fresh result viewed in its final shape: reshape of a copy, and batched matmul's result"""
    __slots__ = ()
    node_name = "UnsafeViewBackward0"


class Permute(Op):
    """x with its axes reordered (xᵀ for a matrix);  dx = g with the inverse order"""
    __slots__ = ("inverse",)
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        ctx.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        if isinstance(g, TensorBase):
            return Permute.apply(g, ctx.inverse)
        return g.transpose(ctx.inverse)


class Transpose(Permute):
    """x.transpose(dim0, dim1): two dimensions swapped"""
    __slots__ = ()


class MatrixTranspose(Permute):
    """x.t(): Xᵀ of a matrix"""
    __slots__ = ()
    node_name = "TBackward0"


class Expand(Op):
    """x broadcast to a larger shape (no copy);  dx = g summed over the copies (by unbroadcast)"""
    __slots__ = ()
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: Shape) -> np.ndarray:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g


# Up to this many entries, a gradient spread over summed axes is written out as a new array:
# cheaper than np.broadcast_to's view (a Python function that costs as much as writing a few
# thousand numbers), and a leaf's .grad can then keep the array itself instead of copying a view.
_WRITTEN_OUT = 4096


def broadcast_to(g: Any, shape: Shape) -> Any:
    """g repeated to `shape`: for arrays, a new array when small and a view when large; for Tensors,
    the differentiable Expand."""
    if isinstance(g, TensorBase):
        return g if g.shape == shape else Expand.apply(g, shape)
    if math.prod(shape) <= _WRITTEN_OUT:
        out = np.empty(shape, dtype=g.dtype)
        out[...] = g
        return out
    return np.broadcast_to(g, shape)


class Cat(Op):
    """[x₁, x₂, ...] joined along axis;  dxᵢ = the slice of g that xᵢ filled"""
    __slots__ = ("axis", "bounds")
    graph_inputs = slice(1, None)

    @staticmethod
    def forward(ctx: Any, axis: int, *xs: np.ndarray) -> np.ndarray:
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [x.shape[axis] for x in xs]).tolist()
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        lead = (slice(None),) * ctx.axis
        b = ctx.bounds
        return (None,) + tuple(g[lead + (slice(b[i], b[i + 1]),)] for i in range(len(b) - 1))


class Stack(Op):
    """[x₁, x₂, ...] stacked along a new axis;  dxᵢ = g's entry i along that axis"""
    __slots__ = ("axis",)
    graph_inputs = slice(1, None)

    @staticmethod
    def forward(ctx: Any, axis: int, *xs: np.ndarray) -> np.ndarray:
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        lead = (slice(None),) * ctx.axis
        return (None,) + tuple(g[lead + (i,)] for i in range(g.shape[ctx.axis]))


def cat(tensors: Iterable[_T], dim: int = 0) -> _T:
    """Join tensors along an existing dimension; the other dimensions must match."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat() needs a non-empty list of tensors")
    shapes = [tuple(np.shape(t)) for t in tensors]
    ndim = len(shapes[0])
    if ndim == 0:
        raise RuntimeError("cat(): zero-dimensional tensors cannot be joined; use stack()")
    axis = _dim(dim, ndim)
    for i, shape in enumerate(shapes):
        if len(shape) != ndim or any(a != b for j, (a, b) in enumerate(zip(shape, shapes[0])) if j != axis):
            raise RuntimeError(f"cat(): tensor {i} has shape {shape} but tensor 0 has shape {shapes[0]}; "
                               f"all dimensions except dim={axis} must match")
    return Cat.apply(axis, *tensors)


def stack(tensors: Iterable[_T], dim: int = 0) -> _T:
    """Join equal-shaped tensors along a new dimension."""
    tensors = [t if isinstance(t, TensorBase) else TensorBase._results(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack() needs a non-empty list of tensors; got an empty list")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack(): tensor {i} has shape {tuple(t.shape)} but tensor 0 has shape "
                               f"{tuple(tensors[0].shape)}; stack needs tensors of equal shape")
    return Stack.apply(_dim(dim, tensors[0].ndim + 1), *tensors)


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
    if isinstance(item, TensorBase):
        return item._array
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

    def __init__(self, basic: tuple[Any, ...], rest: tuple[Any, ...]) -> None:
        self.basic, self.rest = basic, rest

    def __repr__(self) -> str:
        """The two steps, as x[basic][rest] reads."""
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
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, index: Any) -> np.ndarray:
        ctx.index = index
        ctx.in_shape = x.shape
        out = _take(x, index)
        if not _is_basic(index) and not out.flags.c_contiguous:
            # an advanced index makes a new array, and PyTorch's is laid out in order (x[:, [0, 2]]
            # from NumPy is not), so that .view() of it works as in PyTorch
            out = np.ascontiguousarray(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return index_add(g, ctx.index, ctx.in_shape)


# A basic index is one Index op here; PyTorch applies its items one by one (an int selects, a slice
# slices, None unsqueezes) and the result's node is named after the last of them (_basic_op).
class Select(Index):
    """x[i]: one entry along a dimension"""
    __slots__ = ()


class Slice(Index):
    """x[a:b:c]: a range of entries along a dimension"""
    __slots__ = ()


class NewAxis(Index):
    """x[None]: a new dimension of size 1"""
    __slots__ = ()
    node_name = "UnsqueezeBackward0"


class Alias(Index):
    """x[...] or x[:, :]: the whole tensor, a new view of it"""
    __slots__ = ()


class IndexAdd(Op):
    """zeros(shape) with v added at index (np.add.at);  dv = g[index]  (the adjoint of Index)"""
    __slots__ = ("index",)
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, v: np.ndarray, index: Any, shape: Shape) -> np.ndarray:
        ctx.index = index
        out = np.zeros(shape, dtype=v.dtype)
        region, at = _region(out, index)
        if _is_basic(at):
            region[at] = v
        else:
            np.add.at(region, at, v)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return _take(g, ctx.index)


def index_add(g: Any, index: Any, shape: Shape) -> Any:
    """zeros(shape) with g added at index (repeats add up): the adjoint of reading x[index]."""
    if isinstance(g, TensorBase):
        return IndexAdd.apply(g, index, shape)
    return IndexAdd.forward(IndexAdd.__new__(IndexAdd), g, index, shape)


def read_index(x: TensorBase, idx: Any) -> Any:
    """x[idx] with PyTorch's reading of the index (a basic index gives a view)."""
    idx = _plain_index(idx)
    op: type[Index] = Index
    if _is_basic(idx):
        items = idx if isinstance(idx, tuple) else (idx,)
        op = _basic_op(items, isinstance(idx, tuple), x.shape)
        if Ellipsis not in items:   # x[0, 1] of a matrix: a 0-d view, as PyTorch (NumPy would copy the number)
            idx = items + (Ellipsis,)
    try:
        return op.apply(x, idx)   # a basic index gives a view (see function._link_view)
    except IndexError as error:
        raise IndexError(f"index {idx!r} does not fit a tensor of shape {tuple(x.shape)}: {error}") from None


def _basic_op(items: tuple[Any, ...], in_tuple: bool, shape: Shape) -> type[Index]:
    """The node PyTorch leaves for a basic index: its last item that does something names it (an
    int Select, a slice Slice, None NewAxis); a slice over a whole dimension does nothing, unless it
    is the whole index (x[:] is a Slice), and an index that does nothing is an Alias (x[...])."""
    if not in_tuple:
        item = items[0]
        if type(item) is slice:
            return Slice
        return NewAxis if item is None else Alias if item is Ellipsis else Select if _is_int(item) else Index
    op: type[Index] = Alias
    dim = 0
    for item in items:
        if item is None:
            op = NewAxis
        elif item is Ellipsis:   # stands for the dimensions the other items leave
            dim = len(shape) - builtins.sum(1 for i in items if i is not None and i is not Ellipsis) + dim
        elif type(item) is slice:
            if not (dim < len(shape) and _whole(item, shape[dim])):
                op = Slice
            dim += 1
        elif _is_int(item):
            op = Select
            dim += 1
        else:            # a bool: PyTorch indexes with it as a mask
            return Index
    return op


def _whole(item: slice, n: int) -> bool:
    """Does the slice keep a dimension of size n as it is (PyTorch then records no slice)?"""
    return ((item.start is None or item.start == 0) and (item.step is None or item.step == 1)
            and (item.stop is None or item.stop >= n))


def _fitted(value: Any, region: np.ndarray, at: Any) -> Any:
    """The value as NumPy can write it at region[at]: leading 1s beyond the target's dimensions
    dropped (PyTorch writes a (1,) value into one entry, or a (1, 3) value into a row)."""
    shape = np.shape(value)
    target = region[at].shape if shape else ()
    extra = len(shape) - len(target)
    if extra > 0 and all(n == 1 for n in shape[:extra]):
        return np.reshape(value, shape[extra:])
    return value


# --- the Tensor methods ---------------------------------------------------------------------------

class MovementMethods(ElementwiseMethods):
    """Tensor's shape and indexing methods (Tensor inherits them; see tensor.py)."""

    __slots__ = ()

    # --- shapes --------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Self:
        """Same data, new shape (one dimension may be -1): a view where the memory allows one, else
        a copy (PyTorch's clone, then a view of it)."""
        shape = _shape_arg(shape)
        try:
            new_shape = _infer_shape(self._array.shape, shape)
        except ValueError as error:
            raise RuntimeError(str(error)) from None
        return self._reshaped(Reshape, new_shape)

    def _reshaped(self, op: type[Reshape], shape: Shape) -> Self:
        """Reshape recorded as `op` (View, Squeeze, ...), or as a copy viewed where no view can do it."""
        array = self._array
        if not array.flags.c_contiguous:
            try:
                np.reshape(array, shape, copy=False)
            except ValueError:   # the memory is out of order (after a transpose): copy, then view
                return UnsafeView.apply(Clone.apply(self), shape)
        return op.apply(self, shape)

    def view(self, *shape: Any) -> Self:
        """Same memory, new shape (one dimension may be -1); raises where only a copy could do it."""
        out = self.reshape(*shape)
        if out._array.size and not np.may_share_memory(out._array, self._array):
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (a tensor of shape "
                f"{tuple(self.shape)} whose memory is not laid out in order, e.g. after transpose, cannot be "
                f"viewed as shape {tuple(out.shape)}). Use .reshape(...) instead.")
        return out

    def view_as(self, other: TensorBase) -> Self:
        """Same data in `other`'s shape."""
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Self:
        """Dimensions start_dim..end_dim merged into one (all of them by default); merging one
        dimension gives the tensor itself, as PyTorch."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        if start == end:
            return self
        shape = self.shape
        return self.reshape(shape[:start] + (-1,) + shape[end + 1:])

    def squeeze(self, dim: Any = None) -> Self:
        """Dimensions of size 1 removed (only `dim`, an int or tuple, if given)."""
        if dim is None:
            return self._reshaped(Squeeze, tuple(n for n in self.shape if n != 1))
        dims = {_dim(d, self.ndim) for d in (dim if isinstance(dim, tuple) else (dim,))}
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self._reshaped(SqueezeDims if isinstance(dim, tuple) else SqueezeDim, shape)

    def unsqueeze(self, dim: int) -> Self:
        """A dimension of size 1 inserted at `dim`."""
        d = _dim(dim, self.ndim + 1)
        return self._reshaped(Unsqueeze, self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims: Any) -> Self:
        """The dimensions reordered: result dimension i is input dimension dims[i];  dx = g permuted back."""
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute: the tensor has {self.ndim} dimensions (shape {tuple(self.shape)}) but the "
                               f"order {dims} names {len(dims)}; give each dimension once")
        dims = tuple(_dim(d, self.ndim) for d in dims)
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute needs each of the {self.ndim} dimensions once; got {dims}")
        return Permute.apply(self, dims)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Self:
        """Swap two dimensions (PyTorch's meaning, not NumPy's)."""
        if self.ndim < 2 and dim0 in (-2, -1) and dim1 in (-2, -1):
            return self
        order = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        order[a], order[b] = order[b], order[a]
        return Transpose.apply(self, tuple(order))

    swapaxes = transpose

    def t(self) -> Self:
        """Xᵀ of a matrix (a view of a 0-D or 1-D tensor as it is)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions; got shape {tuple(self.shape)}. "
                               "Use .transpose(dim0, dim1) or .mT")
        return MatrixTranspose.apply(self, (1, 0) if self.ndim == 2 else tuple(range(self.ndim)))

    @property
    def T(self) -> Self:
        """Reversed dimensions: Wᵀ for a matrix (a view of a 0-D or 1-D tensor as it is)."""
        return Permute.apply(self, tuple(range(self.ndim))[::-1])

    @property
    def mT(self) -> Self:
        """The last two dimensions swapped: a batch of transposed matrices."""
        return self.transpose(-2, -1)

    def expand(self, *shape: Any) -> Self:
        """Broadcast to a larger shape without copying (-1 keeps a dimension)."""
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the target shape {shape} has fewer dimensions than the tensor {tuple(self.shape)}")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Any) -> Self:
        """Broadcast (without copying) to `shape`;  dx = g summed over the copies."""
        shape = tuple(shape)
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise RuntimeError(f"cannot broadcast a tensor of shape {tuple(self.shape)} to shape {shape}") from None
        return Expand.apply(self, shape)   # a new view even of the same shape, as PyTorch

    def expand_as(self, other: TensorBase) -> Self:
        """Broadcast to `other`'s shape."""
        return self.broadcast_to(other.shape)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Self, ...]:
        """Pieces of `split_size` along `dim` (the last may be smaller), or of the listed sizes."""
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = builtins.int(split_size_or_sections)
            if step <= 0 and not (step == 0 and n == 0):
                raise RuntimeError(f"split_size must be positive (or 0 for an empty dimension); got "
                                   f"split_size={step} for dimension {d} of size {n}")
            step = builtins.max(step, 1)
            sizes = [builtins.min(step, n - start) for start in range(0, n, step)] or [0]
        else:
            sizes = [builtins.int(s) for s in split_size_or_sections]
            if builtins.sum(sizes) != n or builtins.any(size < 0 for size in sizes):
                raise RuntimeError(f"split sizes {sizes} add up to {builtins.sum(sizes)}, but dimension {d} "
                                   f"has size {n}; give non-negative sizes that add up to {n}")
        pieces, start = [], 0
        for size in sizes:
            index = (slice(None),) * d + (slice(start, start + size),)
            pieces.append(self[index])
            start += size
        return tuple(pieces)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Self, ...]:
        """`chunks` pieces of (nearly) equal size along `dim` (the last may be smaller)."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects chunks to be greater than 0; got {chunks}")
        n = self.shape[_dim(dim, self.ndim)]
        return self.split(builtins.max(-(-n // chunks), 1), dim)

    def __getitem__(self, index: Any) -> Self:
        """NumPy indexing: ints, slices, None, ..., integer arrays, boolean masks."""
        return read_index(self, index)


def _shape_arg(shape: tuple[Any, ...]) -> Shape:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(builtins.int(n) for n in shape)


def _infer_shape(old: Shape, new: Shape) -> Shape:
    size = builtins.int(np.prod(old, dtype=np.int64))
    unknown = [i for i, n in enumerate(new) if n == -1]
    if len(unknown) > 1:
        raise ValueError(f"only one dimension can be -1 in the shape {new}")
    known = builtins.int(np.prod([n for n in new if n != -1], dtype=np.int64))
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"shape {new} is invalid for a tensor of shape {old} ({size} elements)")
        new = tuple(size // known if n == -1 else n for n in new)
    if builtins.int(np.prod(new, dtype=np.int64)) != size:
        raise ValueError(f"shape {new} is invalid for a tensor of shape {old} ({size} elements)")
    return new
