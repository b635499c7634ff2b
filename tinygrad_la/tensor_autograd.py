"""Tensor's autograd methods: backward(), gradient accumulation into .grad, hooks, detach.

`backward()` seeds d(loss)/d(loss) = 1 and hands the graph to engine.py, the one backward
algorithm; a leaf tensor is the graph's end, where its gradient is added into `.grad`
(chapter 23.15). Tensor inherits these methods from `_Autograd`.
"""
from __future__ import annotations

import builtins
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import engine
from .tensor_inplace import _bump, _counter

# Tensor (which is built on this class, so this file loads first) and ops (which need Tensor) are
# bound here by tensor.py once they exist: see its last lines.
Tensor: Any = None
_ops: Any = None


class _Autograd:
    """The autograd part of Tensor's methods (see tensor.py for the class itself)."""

    __slots__ = ()

    # --- autograd ------------------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: builtins.bool | None = None,
                 create_graph: builtins.bool = False, inputs: Sequence[Tensor] | None = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (chapter 23.15's gradient).

        ``gradient`` is d(loss)/d(self): it may be left out only when self has one element.
        The graph's saved arrays are freed afterwards unless ``retain_graph=True``;
        ``create_graph=True`` records the backward pass so gradients can be differentiated again.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward() was called on a tensor that does not require grad: it was not computed from "
                "any tensor with requires_grad=True (or it was computed under no_grad()). Create the "
                "inputs with requires_grad=True.")
        seed = _seed_gradient(self, gradient, create_graph)
        if retain_graph is None:
            retain_graph = create_graph
        root = self.grad_fn or self
        if inputs is None:
            engine.backward([root], [seed], retain_graph=retain_graph, create_graph=create_graph)
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = engine.backward([root], [seed], retain_graph=retain_graph, create_graph=create_graph,
                                capture=[t.grad_fn or t for t in inputs])
        sweep = engine.Sweep(create_graph, accumulate=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                t._accumulate(g, sweep)

    def _backprop(self, grad: Any, sweep: engine.Sweep) -> tuple:
        # a leaf as a node of the graph: its gradient ends here
        if self._hooks is not None:
            grad = _run_hooks(self._hooks, grad, sweep)
            if sweep.wanted is not None and self in sweep.wanted:
                sweep.wanted[self] = grad   # autograd.grad returns the gradient its hooks made
        if sweep.accumulate:
            self._accumulate(grad, sweep)
        return ()

    def _release(self) -> None:
        pass

    def _accumulate(self, grad: Any, sweep: engine.Sweep) -> None:
        """.grad += grad, into a buffer this tensor owns (no aliasing with other gradients)."""
        if isinstance(grad, Tensor):   # create_graph: keep the graph of the gradient
            self._grad = grad if self._grad is None else self._grad + grad
            return
        if grad.dtype != self.data.dtype:
            grad = grad.astype(self.data.dtype)
        current = self._grad
        if current is None:
            if (type(grad) is not np.ndarray or not grad.flags.owndata or not grad.flags.writeable
                    or id(grad) in sweep.claimed):
                grad = np.array(grad, copy=True)
            sweep.claimed.add(id(grad))
            self._grad = Tensor._make(grad, None)
        elif current._requires_grad or not current.data.flags.writeable or current.shape != grad.shape:
            self._grad = Tensor._make(current.data + grad, None)
        else:
            current.data += grad
            _bump(current)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward()."""
        if self.grad_fn is not None:
            self.grad_fn._extras()["retained"] = weakref.ref(self)

    @property
    def retains_grad(self) -> builtins.bool:
        return self.grad_fn is not None and "retained" in (self.grad_fn._extra or {})

    def register_hook(self, hook: Callable[[Tensor], Any]) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self.grad_fn is not None:
            return _HookHandle(self.grad_fn.register_hook(hook), hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and version counter)."""
        # a new array object over the same memory: shared values, but never mistaken for self's
        # array when an op matches what it saved to its inputs
        t = Tensor._make(self.data.view(), None)
        t._version = _counter(self)
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self


class _HookHandle:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _seed_gradient(output: Tensor, gradient: Any, create_graph: builtins.bool) -> Any:
    if gradient is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"backward() can create the gradient implicitly only for one-element outputs; this "
                f"tensor has shape {output.shape}. Reduce it first (.sum() or .mean()) or pass "
                "backward(gradient=...) with a tensor of the same shape.")
        data = output.data   # one element: a 1 of its dtype (np.array is much cheaper than ones_like for 0-d)
        seed = np.array(1, dtype=data.dtype) if data.ndim == 0 else np.ones_like(data)
    else:
        seed_tensor = gradient if isinstance(gradient, Tensor) else None
        seed = np.array(gradient.data if seed_tensor is not None else gradient, dtype=output.dtype)
        if seed.shape != output.shape:
            raise RuntimeError(f"backward(gradient=...) needs a gradient of the output's shape "
                               f"{output.shape}; got shape {seed.shape}")
        if create_graph and seed_tensor is not None and seed_tensor.requires_grad:
            return seed_tensor
    return Tensor._make(seed, None) if create_graph else seed


def _run_hooks(hooks: list, grad: Any, sweep: engine.Sweep | None = None) -> Any:
    as_tensor = isinstance(grad, Tensor)
    value = grad if as_tensor else Tensor._make(grad, None)
    for hook in hooks:
        replaced = hook(value)
        if replaced is not None:
            value = replaced if isinstance(replaced, Tensor) else Tensor(replaced)
    if as_tensor:
        return value
    if sweep is not None:   # a hook may keep what it saw: .grad must never become that array
        sweep.claimed.add(id(grad))
        sweep.claimed.add(id(value.data))
    return value.data
