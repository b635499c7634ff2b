"""Tensor's shape methods: reshape/view, squeeze, permute/transpose, expand, split/chunk, indexing.

These move entries without changing them (the ops in shape_ops.py); reshapes, transposes, expands
and basic indexing give views. Tensor inherits these from `_Shapes`.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

# Tensor (which is built on this class, so this file loads first) and ops (which need Tensor) are
# bound here by tensor.py once they exist: see its last lines.
Tensor: Any = None
_ops: Any = None

Shape = tuple[int, ...]


class _Shapes:
    """Tensor's shape and indexing methods (see tensor.py for the class itself)."""

    __slots__ = ()

    # --- shapes --------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """Same data, new shape (one dimension may be -1)."""
        shape = _shape_arg(shape)
        try:
            new_shape = _infer_shape(self.shape, shape)
        except ValueError as error:
            raise RuntimeError(str(error)) from None
        return _ops.Reshape.apply(self, new_shape)

    def view(self, *shape: Any) -> Tensor:
        """Same memory, new shape (one dimension may be -1); raises where only a copy could do it."""
        out = self.reshape(*shape)
        if out.data.size and not np.may_share_memory(out.data, self.data):
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (a tensor of shape "
                f"{self.shape} whose memory is not laid out in order, e.g. after transpose, cannot be "
                f"viewed as shape {out.shape}). Use .reshape(...) instead.")
        return out

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        shape = self.shape
        return self.reshape(shape[:start] + (-1,) + shape[end + 1:])

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = {_dim(d, self.ndim) for d in (dim if isinstance(dim, tuple) else (dim,))}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        d = _dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims: Any) -> Tensor:
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute: the tensor has {self.ndim} dimensions (shape {self.shape}) but the "
                               f"order {dims} names {len(dims)}; give each dimension once")
        dims = tuple(_dim(d, self.ndim) for d in dims)
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute needs each of the {self.ndim} dimensions once; got {dims}")
        return _ops.Permute.apply(self, dims)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Swap two dimensions (PyTorch's meaning, not NumPy's)."""
        if self.ndim < 2 and dim0 in (-2, -1) and dim1 in (-2, -1):
            return self
        order = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        order[a], order[b] = order[b], order[a]
        return _ops.Permute.apply(self, tuple(order))

    swapaxes = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions; got shape {self.shape}. "
                               "Use .transpose(dim0, dim1) or .mT")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:
        """Reversed dimensions: Wᵀ for a matrix."""
        return self if self.ndim < 2 else _ops.Permute.apply(self, tuple(range(self.ndim))[::-1])

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast to a larger shape without copying (-1 keeps a dimension)."""
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the target shape {shape} has fewer dimensions than the tensor {self.shape}")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        shape = tuple(shape)
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise RuntimeError(f"cannot broadcast a tensor of shape {self.shape} to shape {shape}") from None
        if shape == self.shape:
            return self
        return _ops.Expand.apply(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
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

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        if chunks <= 0:
            raise RuntimeError(f"chunk expects chunks to be greater than 0; got {chunks}")
        n = self.shape[_dim(dim, self.ndim)]
        return self.split(builtins.max(-(-n // chunks), 1), dim)

    def __getitem__(self, index: Any) -> Tensor:
        """NumPy indexing: ints, slices, None, ..., integer arrays, boolean masks."""
        return _ops.index(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value``: in place, recorded when it involves tensors that require grad."""
        _ops.setitem(self, index, value)


def _dim(dim: Any, ndim: int) -> int:
    """A dimension index, checked and made non-negative."""
    lo = -builtins.max(ndim, 1)
    hi = builtins.max(ndim, 1) - 1
    if not isinstance(dim, (builtins.int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"dim must be an int; got {type(dim).__name__}")
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return builtins.int(dim) % builtins.max(ndim, 1)


def _shape_arg(shape: tuple) -> tuple:
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
