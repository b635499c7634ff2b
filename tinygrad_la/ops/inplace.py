"""In-place ops (x += y, add_, clamp_, fill_, copy_, x[i] = v, ...) and PyTorch's rules for them.

In-place changes write into the tensor's memory, so views (basic indexing, reshape/view, transpose,
expand, detach, ...) see them, as in PyTorch. They must not corrupt a gradient: a leaf that requires
grad changes only under no_grad() (an optimizer step), a recorded change becomes the tensor's new
grad_fn (and rewrites its base's graph when it is a view), and version counters catch a backward
that would read a value changed after it was saved (see _inplace). Notation as in elementwise.py.
Tensor inherits these methods from `InPlaceMethods`.
"""
from __future__ import annotations

import builtins
import re
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

from ..core import dtypes, engine
from ..core.engine import _mode
from ..core.function import Op
from ..core.random import generator
from ..core.tensor_base import _NUMBERS, TensorBase, _operand
from ..core.version import bump
from .elementwise import where
from .movement import _fitted, _plain_index, _region, _take, index_add
from .reductions import ReductionMethods

if TYPE_CHECKING:   # typing.Self is Python 3.11's (typing_extensions has it for 3.10); never needed at runtime
    from typing_extensions import Self

__all__ = ["InPlaceMethods"]

_T = TypeVar("_T", bound=TensorBase)   # the tensor changed in place is the one returned


class InPlaceMethods(ReductionMethods):
    """Tensor's in-place methods (Tensor inherits them; see tensor.py)."""

    __slots__ = ()

    # --- in place (PyTorch's rules: see _inplace) ----------------------------------------------

    def __iadd__(self, other: Any) -> Self:
        """x += y, in place (recorded when grad is wanted; see _inplace)."""
        return _inplace(self, np.add, ReductionMethods.__add__, other, False)

    def __isub__(self, other: Any) -> Self:
        """x -= y, in place."""
        return _inplace(self, np.subtract, ReductionMethods.__sub__, other, False)

    def __imul__(self, other: Any) -> Self:
        """x *= y, in place."""
        return _inplace(self, np.multiply, ReductionMethods.__mul__, other)

    def __itruediv__(self, other: Any) -> Self:
        """x /= y, in place."""
        return _inplace(self, np.true_divide, ReductionMethods.__truediv__, other)

    def add_(self, other: Any, alpha: Any = 1) -> Self:
        """x += alpha·other in place; returns x."""
        return _inplace(self, np.add, ReductionMethods.__add__, other if alpha == 1 else other * alpha, False)

    def sub_(self, other: Any, alpha: Any = 1) -> Self:
        """x -= alpha·other in place; returns x."""
        return _inplace(self, np.subtract, ReductionMethods.__sub__, other if alpha == 1 else other * alpha, False)

    def mul_(self, other: Any) -> Self:
        """x *= other in place; returns x."""
        return _inplace(self, np.multiply, ReductionMethods.__mul__, other)

    def div_(self, other: Any) -> Self:
        """x /= other in place; returns x."""
        return _inplace(self, np.true_divide, ReductionMethods.__truediv__, other)

    def clamp_(self, min: Any = None, max: Any = None) -> Self:
        """Limit x to [min, max] in place (see clamp); returns x."""
        return _inplace(self, None, lambda x, _: x.clamp(min, max), None)

    clip_ = clamp_

    def zero_(self) -> Self:
        """Set every entry to 0 in place; returns x."""
        return self.fill_(0)

    def fill_(self, value: Any) -> Self:
        """Set every entry to `value` in place; returns x."""
        return _inplace(self, None, _filled, value, False)

    def copy_(self, source: Any) -> Self:
        """Write `source`'s values (broadcast, cast to x's dtype) into x in place; returns x."""
        return _inplace(self, None, _filled, source, False)

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0) -> Self:
        """Fill x in place with samples uniform on [a, b), from the library's generator."""
        with engine.no_grad():
            return self.copy_(generator().uniform(a, b, self.shape))

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> Self:
        """Fill x in place with samples of N(mean, std²), from the library's generator."""
        with engine.no_grad():
            return self.copy_(generator().normal(mean, std, self.shape))

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value``: in place, recorded when it involves tensors that require grad."""
        setitem(self, index, value)

    def _refresh_view(self) -> None:
        """A view whose base changed in place reads the base's new graph: view = base at its positions."""
        base = self._base
        assert base is not None   # only a view has a base to refresh from
        self._view_of = base.grad_fn
        if base._requires_grad and _mode.enabled:
            fresh = AsStrided.apply(base, _positions(base._array, self._array))
            self.grad_fn = fresh.grad_fn
            self._requires_grad = True


def _inplace(self: _T, ufunc: Any, op: Callable[..., Any], other: Any, reads_self: builtins.bool = True) -> _T:
    """Change `self` in place, as PyTorch does: the new values are written into its array, so every
    view of the same memory sees them, and its version counter goes up, so a backward that saved
    the old values raises instead of silently using the new ones.

    When the change must be recorded (grad mode on and a tensor involved requires grad), `op`
    computes the new value out of place and this tensor takes its grad_fn; if the tensor is a
    view, its base's graph is rewritten too (see _rebase). A leaf that requires grad may only be
    changed under no_grad() (an optimizer step). `reads_self`: whether op's backward needs the old
    values (x * y does, x + y does not); then op sees a copy of them, which stays valid.
    """
    if not isinstance(other, TensorBase) and other is not None and type(other) not in _NUMBERS:
        other = _operand(other)   # a NumPy scalar acts as a number; a Value or a string raises
    other_requires_grad = isinstance(other, TensorBase) and other._requires_grad
    if _mode.enabled and (self._requires_grad or other_requires_grad
                          or self._base is not None and self._base._requires_grad):
        return _recorded_inplace(self, op, other, reads_self)
    if _mode.tracer is not None:
        _mode.tracer.inplace(self, ufunc, op, other)
    value = other._array if isinstance(other, TensorBase) else other
    try:
        if ufunc is None:
            result = op(TensorBase._make(self._array, None), other)
            np.copyto(self._array, result._array, casting="same_kind")
        else:
            ufunc(self._array, value, out=self._array, casting="same_kind")
    except (TypeError, ValueError) as error:
        raise _write_error(self, value, error) from None
    bump(self)
    return self


def _recorded_inplace(self: _T, op: Callable[..., Any], other: Any, reads_self: builtins.bool) -> _T:
    base = self._base
    if base is not None and base.grad_fn is not self._view_of:
        self._refresh_view()   # the base changed in place since this view was made
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(
            "a leaf tensor that requires grad is being changed by an in-place operation. Wrap the "
            "update in `with tinygrad_la.no_grad():` (as an optimizer step does), or use an "
            "out-of-place op (w = w - lr * w.grad).")
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf tensor that requires grad is being changed by an in-place operation. "
            "Change the leaf under `with tinygrad_la.no_grad():`, or clone it first (x = w.clone()).")
    if not self._array.flags.writeable:
        raise _write_error(self, other, ValueError("assignment destination is read-only"))
    old = self
    if reads_self:   # op's backward may read the old values, which are about to be overwritten
        old = TensorBase._make(self._array.copy(), self.grad_fn)
        old._requires_grad = self._requires_grad
        if _mode.tracer is not None: _mode.tracer.copied(old, self)
    result = op(old, other)   # x.mul_(x): other is x itself, overwritten below, so backward raises as in PyTorch
    if result.shape != self.shape:
        raise RuntimeError(f"in-place update of a tensor of shape {tuple(self.shape)} would give shape "
                           f"{tuple(result.shape)}; an in-place result must keep the tensor's shape")
    if result.dtype != self.dtype:
        if self.dtype.kind not in "fc":
            raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output type "
                               f"{self.dtype} of this in-place operation; convert the tensor first "
                               "(x = x.float()) or use an out-of-place op")
        result = result.to(self.dtype)
    np.copyto(self._array, result._array)
    bump(self)
    node = result.grad_fn
    if _mode.tracer is not None:
        _mode.tracer.inplace_recorded(self, result)
    retained = None if self.grad_fn is None else (self.grad_fn._extra or {}).pop("retained", None)
    if base is None:
        self.grad_fn = node
        self._requires_grad = node is not None
    else:
        _rebase(self, base, result)
    if retained is not None and self.grad_fn is not None:   # retain_grad() follows the tensor
        self.grad_fn._extras()["retained"] = retained
    return self


def _rebase(view: Any, base: Any, value: Any) -> None:
    """A view was changed in place to `value`: the base becomes "old base with value written at the
    view's positions" (CopySlices), and the view reads the new base (AsStrided)."""
    positions = _positions(base._array, view._array)
    old_base = TensorBase._make(base._array, base.grad_fn)   # values unused: CopySlices saves nothing
    old_base._requires_grad = base._requires_grad
    new_base = CopySlices.apply(old_base, value, positions)
    base.grad_fn = new_base.grad_fn
    base._requires_grad = new_base._requires_grad
    view._view_of = base.grad_fn
    if base._requires_grad:
        view.grad_fn = AsStrided.apply(base, positions).grad_fn
        view._requires_grad = True


def _write_error(self: Any, value: Any, error: Exception) -> RuntimeError:
    if "read-only" in str(error):
        return RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single "
            "memory location (it is an expand()ed or broadcast view). Please clone() the tensor "
            "before performing the operation.")
    # NumPy names dtypes as dtype('float64'); say them as a Tensor's dtype prints (tinygrad_la.float64)
    said = _NUMPY_DTYPE.findall(str(error))
    if isinstance(error, TypeError) and str(error).startswith("Cannot cast") and len(said) == 2:
        return RuntimeError(f"result type {dtypes.public(said[0])} can't be cast to the desired output type "
                            f"{dtypes.public(said[1])} of this in-place operation; convert the tensor first "
                            "(x = x.float()) or use an out-of-place op")
    reason = _NUMPY_DTYPE.sub(lambda name: str(dtypes.public(name.group(1))), str(error))
    value_shape = getattr(value, "shape", ())
    return RuntimeError(f"in-place update of a tensor of shape {tuple(self.shape)} and dtype {self.dtype} "
                        f"with a value of shape {tuple(value_shape)} failed: {reason}. An in-place "
                        "result must keep the tensor's shape and dtype.")


_NUMPY_DTYPE = re.compile(r"dtype\('([^']+)'\)")   # how NumPy's error messages name a dtype


def _filled(x: Any, value: Any) -> Any:
    """A fresh tensor of x's shape and dtype holding `value` (broadcast): fill_ and copy_.
    x is kept in the graph with a zero gradient, as PyTorch does."""
    value = value if isinstance(value, TensorBase) else TensorBase._make(np.asarray(value, dtype=x.dtype), None)
    nowhere = np.zeros(x.shape, dtype=bool)
    return where(nowhere, x, value.to(x.dtype))


# --- x[index] = value ----------------------------------------------------------------------------

class SetItem(Op):
    """x with x[index] = v;  dx = g with zeros at index,  dv = g[index]"""
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, v: Any, index: Any) -> np.ndarray:
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
    def backward(ctx: Any, g: Any) -> Any:
        kept, = ctx.saved_tensors
        return g * kept, _take(g, ctx.index)


def setitem(x: Any, idx: Any, value: Any) -> None:
    """x[idx] = value: recorded (SetItem) when a tensor involved requires grad, else written in place."""
    idx = _plain_index(idx)
    recorded = _mode.enabled and (x._requires_grad or (isinstance(value, TensorBase) and value._requires_grad)
                                  or x._base is not None and x._base._requires_grad)
    try:
        if recorded:
            _inplace(x, None, lambda t, v: SetItem.apply(t, v, idx), value, False)
        else:
            region, at = _region(x._array, idx)
            region[at] = _fitted(value._array if isinstance(value, TensorBase) else value, region, at)
            bump(x)
            if _mode.tracer is not None: _mode.tracer.setitem(x, idx, value)
    except (IndexError, ValueError) as error:
        kind = IndexError if isinstance(error, IndexError) else RuntimeError
        raise kind(f"cannot assign a value of shape {tuple(np.shape(value))} to index {idx!r} of a tensor "
                   f"of shape {tuple(x.shape)}: {error}") from None


# --- views changed in place (see _rebase) ---------------------------------------------------------

class AsStrided(Op):
    """x read at flat positions p (a view of x, as PyTorch's as_strided);  dx = g added back at p"""
    __slots__ = ("in_shape", "positions")

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
        ctx.in_shape = x.shape
        ctx.positions = positions
        return x.reshape(-1)[positions]

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        n = int(np.prod(ctx.in_shape))
        return index_add(g, ctx.positions, (n,)).reshape(ctx.in_shape)


class CopySlices(Op):
    """base with v written at flat positions p;  dbase = g with zeros at p,  dv = g at p"""
    __slots__ = ("positions",)

    @classmethod
    def name(cls) -> str:
        """PyTorch's node name for a write into a view: ``CopySlices``."""
        return "CopySlices"   # PyTorch's name for this node

    @staticmethod
    def forward(ctx: Any, base: np.ndarray, v: np.ndarray, positions: np.ndarray) -> np.ndarray:
        ctx.positions = positions
        return base   # the write itself already happened in place: this node only records it

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        p = ctx.positions
        kept = np.ones(g.shape, dtype=bool)
        kept.reshape(-1)[p] = False
        return g * kept, g.reshape(-1)[p]


def _positions(base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """For each entry of `view` (a NumPy view into `base`'s memory), its flat index in base (C order)."""
    itemsize = base.itemsize
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    view_addresses = start + _addresses(view)
    if base.flags.c_contiguous:
        return view_addresses // itemsize
    base_addresses = _addresses(base).reshape(-1)
    order = np.argsort(base_addresses, kind="stable")
    found = order[np.searchsorted(base_addresses[order], view_addresses)]
    return found


def _addresses(a: np.ndarray) -> np.ndarray:
    """Byte offset of every entry of `a` from its first entry."""
    offsets = np.zeros(a.shape, dtype=np.intp)
    for axis, (n, stride) in enumerate(zip(a.shape, a.strides)):
        shape = [1] * a.ndim
        shape[axis] = n
        offsets = offsets + (np.arange(n, dtype=np.intp) * stride).reshape(shape)
    return offsets


