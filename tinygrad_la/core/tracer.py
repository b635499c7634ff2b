"""The events a tracer hears while `tinygrad_la.compile` records one eager call.

Grad mode holds at most one tracer (`_mode.tracer`, None almost always). Each event below is sent
from one place in the library, as ``if _mode.tracer is not None: _mode.tracer.<event>(...)``,
so with no tracer listening an event costs one attribute test. `compile.Tracer` implements them
to write a replay program; this base class is the list of what it can hear.
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["Tracer"]


class Tracer:
    """What the library tells a listening tracer. Every event does nothing here."""

    # --- recording ops (core/function.py, ops/, creation.py) -------------------------------------

    def op(self, node: Any, args: tuple[Any, ...], result: Any) -> None:
        """Function.apply ran an op: `node` is its ctx, `result` the tensor it made."""

    def constant(self, fn: Callable[..., Any], args: tuple[Any, ...], result: Any) -> None:
        """A result without gradient computed by `fn` from tensors (comparisons, argmax, indices)."""

    def created(self, tensor: Any, source: Any = None) -> None:
        """A creation function made `tensor`, from Python data or from an array or tensor `source`."""

    def shared(self, tensor: Any, source: Any) -> None:
        """`tensor` is `source`'s memory as it is, cut from the graph (``detach()``, ``.data``)."""

    # --- in-place changes (ops/inplace.py) --------------------------------------------------------

    def copied(self, copy: Any, source: Any) -> None:
        """A fresh copy of `source`'s values was made (the old values an in-place backward reads)."""

    def inplace(self, target: Any, ufunc: Any, op: Callable[..., Any], other: Any) -> None:
        """An unrecorded in-place change of `target` (under no_grad), before it is written."""

    def inplace_recorded(self, target: Any, result: Any) -> None:
        """A recorded in-place change was written: `target` now holds `result`'s values."""

    def setitem(self, target: Any, index: Any, value: Any) -> None:
        """``target[index] = value`` was written without recording."""

    def set_grad(self, tensor: Any, value: Any) -> None:
        """``tensor.grad = value`` (core/tensor_base.py)."""

    # --- backward (core/engine.py) ----------------------------------------------------------------

    def backward(self, roots: list[Any], root_grads: list[Any], create_graph: bool, capture: Any) -> None:
        """A backward pass begins from `roots`, seeded with `root_grads`."""

    def node(self, node: Any, grad: Any, parent_grads: Any) -> None:
        """The walk ran one node's backward (a leaf's: `parent_grads` is empty)."""

    # --- what a replay cannot repeat --------------------------------------------------------------

    def call(self, method: Callable[..., Any], *args: Any, replay: Callable[..., Any] | None = None) -> Any:
        """An opaque call run again at every replay (optimizer step, zero_grad, gradient clipping)."""
        return method(*args)

    def concrete(self, tensor: Any, how: str) -> None:
        """A value was read into Python (item(), bool(), numpy(), ...)."""

    def random(self) -> None:
        """Random numbers were drawn from the library's generator."""

    def unsupported(self, what: str) -> None:
        """Anything else a replay cannot repeat."""
