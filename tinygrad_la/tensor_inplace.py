"""Tensor's in-place methods (x += y, add_, clamp_, fill_, copy_, ...) and PyTorch's rules for them.

In-place changes write into the tensor's memory, so views (basic indexing, reshape/view, transpose,
expand, detach, ...) see them, as in PyTorch. They must not corrupt a gradient: a leaf that requires
grad changes only under no_grad() (an optimizer step), a recorded change becomes the tensor's new
grad_fn (and rewrites its base's graph when it is a view), and version counters catch a backward
that would read a value changed after it was saved (see _inplace).
Tensor inherits these methods from `_InPlace`.
"""
from __future__ import annotations

import builtins
from typing import Any, Callable

import numpy as np

from . import engine
from .engine import _mode

# Tensor (which is built on this class, so this file loads first) and ops (which need Tensor) are
# bound here by tensor.py once they exist: see its last lines.
Tensor: Any = None
_ops: Any = None


class _InPlace:
    """Tensor's in-place methods (see tensor.py for the class itself)."""

    __slots__ = ()

    # --- in place (PyTorch's rules: see _inplace) ----------------------------------------------

    def __iadd__(self, other: Any) -> Tensor: return _inplace(self, np.add, Tensor.__add__, other, False)
    def __isub__(self, other: Any) -> Tensor: return _inplace(self, np.subtract, Tensor.__sub__, other, False)
    def __imul__(self, other: Any) -> Tensor: return _inplace(self, np.multiply, Tensor.__mul__, other)
    def __itruediv__(self, other: Any) -> Tensor: return _inplace(self, np.true_divide, Tensor.__truediv__, other)

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        return _inplace(self, np.add, Tensor.__add__, other if alpha == 1 else other * alpha, False)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        return _inplace(self, np.subtract, Tensor.__sub__, other if alpha == 1 else other * alpha, False)

    def mul_(self, other: Any) -> Tensor: return _inplace(self, np.multiply, Tensor.__mul__, other)
    def div_(self, other: Any) -> Tensor: return _inplace(self, np.true_divide, Tensor.__truediv__, other)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return _inplace(self, None, lambda x, _: x.clamp(min, max), None)

    clip_ = clamp_

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        return _inplace(self, None, _filled, value, False)

    def copy_(self, source: Any) -> Tensor:
        return _inplace(self, None, _filled, source, False)

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0) -> Tensor:
        from .creation import _generator
        with engine.no_grad():
            return self.copy_(_generator().uniform(a, b, self.shape))

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> Tensor:
        from .creation import _generator
        with engine.no_grad():
            return self.copy_(_generator().normal(mean, std, self.shape))


def _inplace(self: Tensor, ufunc: Any, op: Callable, other: Any, reads_self: builtins.bool = True) -> Tensor:
    """Change `self` in place, as PyTorch does: the new values are written into its array, so every
    view of the same memory sees them, and its version counter goes up, so a backward that saved
    the old values raises instead of silently using the new ones.

    When the change must be recorded (grad mode on and a tensor involved requires grad), `op`
    computes the new value out of place and this tensor takes its grad_fn; if the tensor is a
    view, its base's graph is rewritten too (see _rebase). A leaf that requires grad may only be
    changed under no_grad() (an optimizer step). `reads_self`: whether op's backward needs the old
    values (x * y does, x + y does not); then op sees a copy of them, which stays valid.
    """
    if not isinstance(other, Tensor) and other is not None and type(other) not in _NUMBERS:
        other = _operand(other)   # a NumPy scalar acts as a number; a Value or a string raises
    other_requires_grad = isinstance(other, Tensor) and other._requires_grad
    if _mode.enabled and (self._requires_grad or other_requires_grad
                          or self._base is not None and self._base._requires_grad):
        return _recorded_inplace(self, op, other, reads_self)
    if _mode.tracer is not None:
        _mode.tracer.inplace(self, ufunc, op, other)
    value = other.data if isinstance(other, Tensor) else other
    try:
        if ufunc is None:
            result = op(Tensor._make(self.data, None), other)
            np.copyto(self.data, result.data, casting="same_kind")
        else:
            ufunc(self.data, value, out=self.data, casting="same_kind")
    except (TypeError, ValueError) as error:
        raise _write_error(self, value, error) from None
    _bump(self)
    return self


def _operand(x: Any) -> Any:
    from .tensor import _operand as as_operand   # tensor.py imports this file first
    return as_operand(x)


_NUMBERS = (builtins.float, builtins.int, builtins.bool)


def _recorded_inplace(self: Tensor, op: Callable, other: Any, reads_self: builtins.bool) -> Tensor:
    base = self._base
    if base is not None and base.grad_fn is not self._view_of:
        from .function import _refresh_view
        _refresh_view(self)   # the base changed in place since this view was made
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(
            "a leaf tensor that requires grad is being changed by an in-place operation. Wrap the "
            "update in `with tinygrad_la.no_grad():` (as an optimizer step does), or use an "
            "out-of-place op (w = w - lr * w.grad).")
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf tensor that requires grad is being changed by an in-place operation. "
            "Change the leaf under `with tinygrad_la.no_grad():`, or clone it first (x = w.clone()).")
    if not self.data.flags.writeable:
        raise _write_error(self, other, ValueError("assignment destination is read-only"))
    old = self
    if reads_self:   # op's backward may read the old values, which are about to be overwritten
        old = Tensor._make(self.data.copy(), self.grad_fn)
        old._requires_grad = self._requires_grad
        if _mode.tracer is not None: _mode.tracer.copied(old, self)
    result = op(old, other)   # x.mul_(x): other is x itself, overwritten below, so backward raises as in PyTorch
    if result.shape != self.shape:
        raise RuntimeError(f"in-place update of a tensor of shape {self.shape} would give shape "
                           f"{result.shape}; an in-place result must keep the tensor's shape")
    if result.dtype != self.dtype:
        if self.dtype.kind not in "fc":
            raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output type "
                               f"{self.dtype} of this in-place operation; convert the tensor first "
                               "(x = x.float()) or use an out-of-place op")
        result = result.to(self.dtype)
    np.copyto(self.data, result.data)
    _bump(self)
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


def _rebase(view: Tensor, base: Tensor, value: Tensor) -> None:
    """A view was changed in place to `value`: the base becomes "old base with value written at the
    view's positions" (CopySlices), and the view reads the new base (AsStrided)."""
    from .function import _positions
    from .shape_ops import AsStrided, CopySlices
    positions = _positions(base.data, view.data)
    old_base = Tensor._make(base.data, base.grad_fn)   # values unused: CopySlices saves nothing
    old_base._requires_grad = base._requires_grad
    new_base = CopySlices.apply(old_base, value, positions)
    base.grad_fn = new_base.grad_fn
    base._requires_grad = new_base._requires_grad
    view._view_of = base.grad_fn
    if base._requires_grad:
        view.grad_fn = AsStrided.apply(base, positions).grad_fn
        view._requires_grad = True


def _write_error(self: Tensor, value: Any, error: Exception) -> RuntimeError:
    if "read-only" in str(error):
        return RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single "
            "memory location (it is an expand()ed or broadcast view). Please clone() the tensor "
            "before performing the operation.")
    value_shape = getattr(value, "shape", ())
    return RuntimeError(f"in-place update of a tensor of shape {self.shape} and dtype {self.dtype} "
                        f"with a value of shape {tuple(value_shape)} failed: {error}. An in-place "
                        "result must keep the tensor's shape and dtype.")


def _filled(x: Tensor, value: Any) -> Tensor:
    """A fresh tensor of x's shape and dtype holding `value` (broadcast): fill_ and copy_.
    x is kept in the graph with a zero gradient, as PyTorch does."""
    value = value if isinstance(value, Tensor) else Tensor._make(np.asarray(value, dtype=x.dtype), None)
    nowhere = np.zeros(x.shape, dtype=bool)
    return _ops.where(nowhere, x, value.to(x.dtype))


# Version counters catch a backward that would read a value changed in place after it was saved.
# Versions are ticks of one clock, so a node needs only the tick at which it was made: a tensor
# changed later has a larger version. Tensors that share memory (views) share one counter.
_clock = [0]


def _counter(t: Tensor) -> list:
    """The tensor's version counter, made on first use (most tensors never need one)."""
    if t._version is None:
        t._version = [0]
    return t._version


def _bump(t: Tensor) -> None:
    """Record an in-place change of `t` (and of every view sharing its memory)."""
    _clock[0] += 1
    _counter(t)[0] = _clock[0]
