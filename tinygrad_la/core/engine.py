"""The backward algorithm, shared by Tensor and Value.

Reverse mode is one idea (chapter 23.15: move each weight against the gradient, and get the
gradient by the chain rule run backwards):

    1. count, for every node, the uses of it that the graph holds (edges into it);
    2. walk from the output, handing each node the sum of the gradients that reached it and
       letting it pass gradients on to its parents; a node is next once all its uses have
       been walked, so every node comes before the nodes it was computed from (Kahn's order).

Anything that follows the small *node protocol* below can be walked, which is how the scalar
`Value` and the array `Tensor` share this one algorithm:

    node._parents                     tuple of nodes (None where no gradient is wanted)
    node._backprop(grad, sweep)       gradients for the parents, aligned with _parents; drops
                                      what was saved for backward when sweep.release says so
    node._release()                   drop it anyway (a node the walk reached with no gradient)

A leaf tensor is its own node (it has no parents and its `_backprop` accumulates into .grad);
an op's node is its `Function` instance, the tensor's `grad_fn`. Grad mode (`no_grad`) lives here
too, because recording and walking are the two halves of the same machine.
"""
from __future__ import annotations

import functools
import gc
import inspect
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar, cast, overload

import numpy as np

from . import collector
from .tracer import Tracer

if TYPE_CHECKING:   # typing.Self is Python 3.11's (typing_extensions has it for 3.10); never needed at runtime
    from typing_extensions import Self

__all__ = ["no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled", "Sweep",
           "backward"]


# ---------------------------------------------------------------------------------------------
# grad mode: thread-local, as in PyTorch, so no_grad() in one thread does not stop another
# ---------------------------------------------------------------------------------------------

class _GradMode(threading.local):
    enabled = True     # class attribute: each new thread starts with recording on
    anomaly = False    # detect_anomaly: check every backward result for nan/inf
    tracer: Tracer | None = None   # compile's tracer while tinygrad_la.compile records a step
    _watching = False

    @property
    def watching(self) -> bool:
        """Anomaly mode or a tracer in this thread: one flag for Function.apply to test."""
        return self._watching

    @watching.setter
    def watching(self, on: bool) -> None:
        on = bool(on)
        if on != self._watching:
            _watched[0] += 1 if on else -1
        self._watching = on


_mode = _GradMode()
# How many threads are watching (see _GradMode.watching). Reading a thread-local attribute costs
# several times a global's, so the built-in ops read this first and look at their own thread's
# flag only when some thread watches. (A thread that ends while watching leaves the count up:
# the others then only read their own flag, which is still right.)
_watched = [0]

_F = TypeVar("_F", bound=Callable[..., Any])   # a decorated function keeps its own signature


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return _mode.enabled


class _ModeContext:
    """Base of no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""

    _target: bool

    def __enter__(self) -> None:
        """Switch recording to this mode for the block."""
        self._previous = _mode.enabled
        _mode.enabled = self._target

    def __exit__(self, *exc: Any) -> None:
        """Restore the mode that held before the block."""
        _mode.enabled = self._previous

    def __call__(self, fn: _F) -> _F:
        """Use as a decorator: every call of `fn` runs in this mode."""
        target = self._target
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Any:
                # each step of the generator runs in the mode, not just the call that creates it
                steps = _in_mode(target, fn, *args, **kwargs)
                resume, value = steps.send, None
                while True:
                    try:
                        item = _in_mode(target, resume, value)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        value = yield item
                        resume = steps.send
                    except GeneratorExit:
                        _in_mode(target, steps.close)
                        raise
                    except BaseException as error:   # thrown in: hand it to the body, in the mode
                        resume, value = steps.throw, error
            return cast(_F, generator)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return _in_mode(target, fn, *args, **kwargs)
        return cast(_F, wrapper)


def _in_mode(target: bool, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(*args) with recording switched to `target`, restored afterwards."""
    previous = _mode.enabled
    _mode.enabled = target
    try:
        return fn(*args, **kwargs)
    finally:
        _mode.enabled = previous


class no_grad(_ModeContext):
    """Stop recording: inside, results never require grad (use for updates and evaluation).

    A context manager (``with no_grad():``) or a decorator (``@no_grad()`` or ``@no_grad``).
    """

    _target = False

    @overload
    def __new__(cls, fn: None = None) -> Self: ...
    # bare @no_grad returns the decorated function itself, which mypy's rule for __new__ does not foresee
    @overload
    def __new__(cls, fn: _F) -> _F: ...  # type: ignore[misc]

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        context = super().__new__(cls)
        return context if fn is None else context(fn)


class enable_grad(no_grad):
    """Record again inside a no_grad() block."""

    _target = True


class inference_mode(_ModeContext):
    """PyTorch's inference_mode: here the same as no_grad() (``inference_mode(False)`` records)."""

    def __new__(cls, mode: Any = True) -> Any:
        context = super().__new__(cls)
        if callable(mode):   # used bare, as @inference_mode
            context._target = False
            return context(mode)
        context._target = not mode
        return context


class set_grad_enabled(_ModeContext):
    """Switch recording on or off: as a call, at once; as a context manager, for the block."""

    def __init__(self, mode: bool) -> None:
        self._target = bool(mode)
        self._previous = _mode.enabled
        _mode.enabled = self._target   # a plain call takes effect now, like PyTorch

    def __enter__(self) -> None:
        """Switch recording to this mode for the block."""
        _mode.enabled = self._target

    def __call__(self, fn: _F) -> _F:
        """Use as a decorator: every call of `fn` runs in this mode."""
        _mode.enabled = self._previous   # used as a decorator: the switch belongs to the calls
        return super().__call__(fn)


# ---------------------------------------------------------------------------------------------
# the walk
# ---------------------------------------------------------------------------------------------

class Sweep:
    """What one backward pass needs to know while it runs."""

    __slots__ = ("create_graph", "accumulate", "claimed", "wanted", "release")

    def __init__(self, create_graph: bool, accumulate: bool, wanted: dict[Any, Any] | None = None,
                 release: bool = False) -> None:
        self.create_graph = create_graph   # record the backward pass itself (higher order)
        self.accumulate = accumulate       # add into .grad (backward) or only return (grad)
        self.claimed: set[int] = set()     # ids of arrays that .grad must not adopt (held elsewhere)
        self.wanted = wanted               # autograd.grad: node -> its gradient, after its hooks
        self.release = release             # a node frees its saved values once its backward ran


def _uses(roots: Iterable[Any]) -> tuple[dict[Any, int], list[Any]]:
    """How many times each node reachable from `roots` is a parent of another reachable node, and
    the roots (once each). Iterative, so a chain of a million ops is as easy as a chain of ten;
    nodes hash by identity, so they serve as their own keys."""
    uses: dict[Any, int] = {}
    starts: list[Any] = []
    for root in roots:
        if root not in uses:
            uses[root] = 0
            starts.append(root)
    stack = list(starts)
    while stack:
        for parent in stack.pop()._parents:
            if parent is not None:
                count = uses.get(parent)
                if count is None:
                    uses[parent] = 1
                    stack.append(parent)
                else:
                    uses[parent] = count + 1
    return uses, starts


def backward(roots: list[Any], root_grads: list[Any], *, retain_graph: bool = False,
             create_graph: bool = False, capture: list[Any] | None = None) -> list[Any] | None:
    """Run reverse mode from `roots`, seeding each with its gradient.

    Without `capture`, gradients are accumulated into the leaves' `.grad` (what `.backward()`
    does). With `capture` (a list of nodes), nothing is accumulated and the total gradient that
    reached each captured node is returned instead (what `autograd.grad` does).
    """
    tracer = _mode.tracer   # tinygrad_la.compile: note this pass so it can be replayed
    if tracer is not None:
        tracer.backward(roots, root_grads, create_graph, capture)
    anomaly = _mode.anomaly
    observing = anomaly or tracer is not None
    wanted = None if capture is None else dict.fromkeys(capture)
    # a node frees its saved values as soon as its backward ran, unless the graph is retained or
    # someone looks at the step afterwards (the tracer runs the backward formula again)
    sweep = Sweep(create_graph, accumulate=capture is None, wanted=wanted,
                  release=not retain_graph and not observing)
    grads: dict[Any, Any] = {}
    for root, grad in zip(roots, root_grads):
        grads[root] = grad if root not in grads else grads[root] + grad

    previous_mode = _mode.enabled
    _mode.enabled = create_graph   # the backward pass is recorded only when asked to be
    # The walk makes no reference cycles, so the cycle collector has nothing to find here; left on,
    # it rescans the whole graph again and again as the walk allocates, doubling a big backward's time.
    collecting = gc.isenabled()
    gc.disable()
    leaves = []   # (leaf, grad): the .grads change only once the whole walk has succeeded
    try:
        uses, starts = _uses(roots)
        ready = [root for root in starts if uses[root] == 0]
        pop = grads.pop
        while ready:
            node = ready.pop()
            grad = pop(node, None)
            parents = node._parents
            if not parents:
                if grad is not None:
                    if wanted is not None and node in wanted:
                        wanted[node] = grad
                    leaves.append((node, grad))
                continue
            if grad is None:   # nothing reached it: only its parents' counts move on
                if not retain_graph:
                    node._release()
                parent_grads: Any = ()
            else:
                if wanted is not None and node in wanted:
                    wanted[node] = grad
                parent_grads = node._backprop(grad, sweep)
                if observing:
                    _observe(node, grad, parent_grads, anomaly, tracer)
                    if not retain_graph:
                        node._release()
            for parent, parent_grad in zip(parents, parent_grads):
                if parent is None or parent_grad is None:
                    continue
                total = grads.get(parent)
                if total is None:
                    grads[parent] = parent_grad
                else:
                    total = total + parent_grad
                    if type(total) is not np.ndarray and isinstance(total, np.generic):
                        total = np.asarray(total)   # NumPy makes 0-d sums scalars: keep arrays
                    grads[parent] = total
            for parent in parents:   # each use of a parent is now walked; the last makes it ready
                if parent is not None:
                    count = uses[parent] - 1
                    uses[parent] = count
                    if not count:
                        ready.append(parent)
        for node, grad in leaves:   # a leaf's gradient ends here: into its .grad
            node._backprop(grad, sweep)
            if tracer is not None:
                _observe(node, grad, (), anomaly, tracer)
    finally:
        _mode.enabled = previous_mode
        if collecting:
            gc.enable()
        collector.thaw()   # the graph is walked: what froze while it grew goes back to the collector
    if wanted is None or capture is None:   # (one is None exactly when the other is)
        return None
    return [wanted[node] for node in capture]


def _observe(node: Any, grad: Any, parent_grads: Any, anomaly: bool, tracer: Tracer | None) -> None:
    """What anomaly mode and compile's tracer see of one step of the walk."""
    if anomaly:   # a node that returns nan or inf gradients names itself (Function nodes)
        check = getattr(node, "_check_finite", None)
        if check is not None:
            check(parent_grads)
    if tracer is not None:
        tracer.node(node, grad, parent_grads)
