"""Tensor's in-place methods (x += y, add_, clamp_, fill_, copy_, ...) and PyTorch's rules for them.

An in-place change must not corrupt a gradient: a leaf that requires grad changes only under
no_grad() (an optimizer step), a recorded change becomes the tensor's new grad_fn, and version
counters catch a backward that would read a value changed after it was saved (see _inplace).
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

    def __iadd__(self, other: Any) -> Tensor: return _inplace(self, np.add, Tensor.__add__, other)
    def __isub__(self, other: Any) -> Tensor: return _inplace(self, np.subtract, Tensor.__sub__, other)
    def __imul__(self, other: Any) -> Tensor: return _inplace(self, np.multiply, Tensor.__mul__, other)
    def __itruediv__(self, other: Any) -> Tensor: return _inplace(self, np.true_divide, Tensor.__truediv__, other)

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        return _inplace(self, np.add, Tensor.__add__, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        return _inplace(self, np.subtract, Tensor.__sub__, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor: return _inplace(self, np.multiply, Tensor.__mul__, other)
    def div_(self, other: Any) -> Tensor: return _inplace(self, np.true_divide, Tensor.__truediv__, other)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return _inplace(self, None, lambda x, _: x.clamp(min, max), None)

    clip_ = clamp_

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        return _inplace(self, None, _filled, value)

    def copy_(self, source: Any) -> Tensor:
        return _inplace(self, None, _filled, source)

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0) -> Tensor:
        from .creation import _generator
        with engine.no_grad():
            return self.copy_(_generator().uniform(a, b, self.shape))

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> Tensor:
        from .creation import _generator
        with engine.no_grad():
            return self.copy_(_generator().normal(mean, std, self.shape))


def _inplace(self: Tensor, ufunc: Any, op: Callable, other: Any) -> Tensor:
    """Change `self` in place, as PyTorch does.

    A leaf that requires grad may only be changed under no_grad() (an optimizer step). When the
    change must be recorded (grad mode on and a tensor involved requires grad), the result is
    computed out of place and becomes this tensor's new value and grad_fn; the old array is left
    as it was, so any backward that saved it still computes the right gradient. Otherwise the
    array is written in place and its version counter goes up, so a backward that needs the
    old value raises instead of silently using the new one.
    """
    other_requires_grad = isinstance(other, Tensor) and other._requires_grad
    if _mode.enabled and (self._requires_grad or other_requires_grad):
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(
                "a leaf tensor that requires grad is being changed by an in-place operation. Wrap the "
                "update in `with tinygrad_la.no_grad():` (as an optimizer step does), or use an "
                "out-of-place op (w = w - lr * w.grad).")
        result = op(self, other)
        if result.shape != self.shape:
            raise RuntimeError(f"in-place update of a tensor of shape {self.shape} would give shape "
                               f"{result.shape}; an in-place result must keep the tensor's shape")
        if result.dtype != self.dtype:
            result = result.to(self.dtype)
        self.data = result.data
        self.grad_fn = result.grad_fn
        self._requires_grad = result._requires_grad
        return self
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
        value_shape = getattr(value, "shape", ())
        raise RuntimeError(f"in-place update of a tensor of shape {self.shape} and dtype {self.dtype} "
                           f"with a value of shape {tuple(value_shape)} failed: {error}. An in-place "
                           "result must keep the tensor's shape and dtype.") from None
    _bump(self)
    return self


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
