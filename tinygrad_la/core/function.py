"""Function: one differentiable operation, and the node it leaves in the graph.

Every op, built in or written by a user, is a subclass with two static methods side by side:

    forward(ctx, *inputs)  -> output          what the op computes
    backward(ctx, grad)    -> input grads     the chain rule: d(loss)/d(input) from d(loss)/d(output)

`Function.apply` runs forward and, when an input requires grad and grad mode is on, keeps the
`ctx` as the output's `grad_fn`: the node the engine walks. This is PyTorch's
`torch.autograd.Function` API; the built-in ops in ops/ use the very same mechanism with one
difference, chosen for speed: they subclass `Op` (`on_arrays = True`) and so see NumPy arrays
where user ops see Tensors.

Two conventions keep each op's backward down to its formula:
  * broadcasting is undone here, once, for every op (`unbroadcast`), not in each backward;
  * backward formulas are written with operators and methods that NumPy arrays and Tensors share
    (`g * y`, `g @ b.swapaxes(-1, -2)`, `g.sum(axis=0)`), so the same line computes a plain
    gradient on arrays or, under `create_graph=True`, records itself on Tensors for the next
    order of differentiation.

Built-in ops take a lean path through `Op.apply` and `Op._backprop`: they run thousands of times a
second on small arrays, where the bookkeeping around two NumPy calls is most of the time. What the
lean path leaves out (anomaly mode, compile's tracer, hooks, retain_grad, create_graph, user
Functions) goes through `Function.apply` and `Function._backprop`, which do everything; an op
switches to them whenever one of those is on, so the features cost only when they are used.
"""
from __future__ import annotations

import os
import traceback
import weakref
from typing import Any, Callable

import numpy as np

from .dtypes import get_default_dtype, public
from .engine import Sweep, _mode, _watched
from .tensor_base import TensorBase, _run_hooks
from .version import changed_at, clock

__all__ = ["Function", "Op", "AccumulateGrad", "unbroadcast"]


class _FreedValues(tuple[Any, ...]):
    """What ``ctx.saved_tensors`` holds once released: reading it raises, as in PyTorch (the
    engine says so first, naming the op; this catches a backward called by hand)."""

    __slots__ = ()

    def __iter__(self) -> Any:
        """Raise: the values are gone."""
        raise _freed_error("an op")

    def __getitem__(self, index: Any) -> Any:
        """Raise: the values are gone."""
        raise _freed_error("an op")

    def __len__(self) -> int:
        """Raise: the values are gone."""
        raise _freed_error("an op")

    def __bool__(self) -> bool:
        """True, unlike an empty tuple: there were values (the engine tests this first)."""
        return True


_FREED_VALUES = _FreedValues()


def _freed_error(name: str) -> RuntimeError:
    return RuntimeError(
        f"Trying to backward through the graph a second time: the values {name} saved for backward "
        "were freed by the first backward(). Pass retain_graph=True to the first backward() (or "
        "autograd.grad()) if you need to go through the graph again.")


_new = object.__new__

# needs_input_grad tuples, made once: _NEEDS[n][mask] has True at i where bit i of mask is set
_NEEDS = [[tuple(bool(mask >> i & 1) for i in range(n)) for mask in range(1 << n)] for n in range(7)]

# Tuples every node would otherwise hold its own copy of (output shapes, where saved values came
# from): a node keeps the shared one. Only a memory saving, so the table is simply emptied when it
# grows past any real program's variety.
_INTERNED: dict[tuple[int, ...], tuple[int, ...]] = {}


def _interned(key: tuple[int, ...]) -> tuple[int, ...]:
    if len(_INTERNED) > 4096:
        _INTERNED.clear()
    return _INTERNED.setdefault(key, key)


class Function:
    """Base class of differentiable operations (PyTorch's ``torch.autograd.Function``).

    Subclass it, write ``forward(ctx, ...)`` and ``backward(ctx, grad)`` as static methods, and
    call ``MyOp.apply(x, ...)``. In forward, ``ctx.save_for_backward(...)`` keeps what backward
    needs; in backward, ``ctx.saved_tensors`` gives it back and ``ctx.needs_input_grad[i]`` says
    whether input i wants a gradient. backward returns one gradient per forward argument (None
    for arguments that are not tensors or need none); trailing Nones may be left out.
    """

    __slots__ = ("_parents", "needs_input_grad", "saved_tensors", "_saved_from", "_made_at", "_shape", "_dtype",
                 "_extra", "__weakref__")

    # what the slots hold (set in apply and its steps below)
    _parents: tuple[Any, ...]          # the graph nodes the inputs came from (None: no gradient)
    needs_input_grad: tuple[bool, ...]
    # What save_for_backward kept, as backward reads it: a plain slot, so reading it in a backward
    # formula costs nothing. The engine checks it (versions, freed) before it calls backward, and
    # for user Functions and create_graph puts Tensors here for the call (see _backprop).
    saved_tensors: tuple[Any, ...]
    _saved_from: tuple[int, ...]       # per saved value: its argument's position, -1 the output, -2 neither
    _made_at: int                      # the version clock's tick when the op ran
    _shape: tuple[int, ...]            # the output's shape and dtype (the node protocol's)
    _dtype: np.dtype
    _extra: dict[str, Any] | None      # rare per-node state (see _extras)

    on_arrays = False        # built-in ops: forward/backward see NumPy arrays instead of Tensors
    integer_outputs = True   # may forward return integers (which never require grad)? Built-in ops say no
    float_inputs = False     # functions of reals (e^x, log x, ...): an integer input is computed as a float

    # --- what a subclass writes --------------------------------------------------------------

    # ctx is Any: it is an instance of the subclass, with whatever attributes its forward sets
    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        """The op's output from its inputs; a subclass defines it (see the class docstring)."""
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        """d(loss)/d(input) for each forward argument from d(loss)/d(output); a subclass defines it."""
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    # --- the ctx API used inside forward/backward --------------------------------------------

    def save_for_backward(self, *values: Any) -> None:
        """Keep inputs, the output or other values for backward (checked against in-place edits)."""
        self.saved_tensors = values

    @property
    def _saved(self) -> tuple[Any, ...] | None:
        """What forward saved (None: nothing; _FREED_VALUES once released), for pictures and the tracer."""
        return self.saved_tensors or None

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Say that an output of forward gets no gradient: it will not require grad."""
        self._extras().setdefault("non_differentiable", []).extend(outputs)

    # --- the node protocol (see engine.py) -----------------------------------------------------

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run the op on its arguments and, if anything requires grad, record it: the result's
        grad_fn is this node, whose parents are the nodes the inputs came from."""
        return _apply(cls, args)

    def _check_versions(self) -> None:
        """Raise if the memory of a value this node saved was changed in place since it ran."""
        for value in self.saved_tensors:
            if changed_at(value._array if isinstance(value, TensorBase) else value) > self._made_at:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: a tensor saved by {self.name()} was modified by an in-place "
                    "operation after it was used. Use an out-of-place op (x = x + 1, not x += 1) or "
                    ".clone() the tensor before changing it.")

    def _saved_tensor(self, value: Any, source: int, create_graph: bool) -> Any:
        # A saved value as a Tensor, for user Functions and create_graph. Under create_graph a
        # saved input or output is rebuilt as a Tensor attached to the node it came from, so the
        # backward formula that uses it is itself differentiable.
        if not isinstance(value, (np.ndarray, np.generic, TensorBase)):
            return value   # a Python number (an exponent, a bound) stays a number
        array = value._array if isinstance(value, TensorBase) else np.asarray(value)
        if not create_graph:
            return TensorBase._make(array, None)
        if source == -1:
            return TensorBase._make(array, self)
        if source >= 0:
            parent = self._parents[source]
            if isinstance(parent, TensorBase):
                return parent
            return TensorBase._make(array, parent)
        return TensorBase._make(array, None)

    def _backprop(self, grad: Any, sweep: Sweep) -> Any:
        # Everything a node's backward can involve: hooks and retain_grad (extras), saved values
        # rebuilt as Tensors (user Functions, create_graph), gradients brought to their input's
        # dtype. Op._backprop is the built-in ops' lean version of the same steps.
        if self._extra is not None:
            grad = self._run_extras(grad, sweep)
        cls = type(self)
        create_graph = sweep.create_graph
        saved = self.saved_tensors
        if saved is _FREED_VALUES:
            raise _freed_error(self.name())
        if saved:
            if clock[0] != self._made_at:   # something changed in place since this op ran
                self._check_versions()
            if create_graph or not cls.on_arrays:   # backward sees Tensors, for this call
                self.saved_tensors = tuple(self._saved_tensor(value, source, create_graph)
                                           for value, source in zip(saved, self._saved_from))
        try:
            if cls.on_arrays or create_graph:
                grads = cls.backward(self, grad)
            else:
                grads = cls.backward(self, TensorBase._make(grad, None))
        finally:
            self.saved_tensors = saved
        if saved and sweep.release:
            self.saved_tensors = _FREED_VALUES
        if type(grads) is not tuple:
            grads = (grads,)
        parents = self._parents
        if len(grads) > len(parents):
            _check_count(cls, grads, parents)
        return [self._checked(g, parent, create_graph) for g, parent in zip(grads, parents)]

    def _checked(self, grad: Any, parent: Any, create_graph: bool) -> Any:
        """Bring one input gradient to its input's shape (undo broadcasting) and plain form."""
        if parent is None or grad is None:
            return None
        if not create_graph:
            if isinstance(grad, TensorBase):
                grad = grad._array
            elif type(grad) is not np.ndarray:
                grad = np.asarray(grad)
        elif not isinstance(grad, TensorBase):
            grad = TensorBase._make(np.asarray(grad), None)
        shape = parent._shape
        if grad.shape != shape:
            grad = unbroadcast(grad, shape, self)
        dtype = parent._dtype
        if grad.dtype != dtype:   # a gradient has its input's dtype, whatever backward computed in
            grad = grad.astype(dtype) if not create_graph else grad.to(dtype)
        return grad

    def _check_finite(self, grads: Any) -> None:
        """Anomaly mode: raise if a gradient this node returned holds nan or inf, naming the op
        and where its forward ran."""
        for i, grad in enumerate(grads):
            if grad is None:
                continue
            data = grad._array if isinstance(grad, TensorBase) else np.asarray(grad)
            if not np.all(np.isfinite(data)):
                where = (self._extra or {}).get("trace") or (
                    "(not traced: the forward ran before anomaly detection was switched on)\n")
                kind = "nan" if np.isnan(data).any() else "inf"
                raise RuntimeError(f"Function {self.name()} returned {kind} values in its gradient for input "
                                   f"{i}. The forward op was created at:\n{where}")

    def _extras(self) -> dict[str, Any]:
        """Rarely used per-node state: hooks, the retain_grad tensor, the anomaly trace."""
        if self._extra is None:
            self._extra = {}
        return self._extra

    def _run_extras(self, grad: Any, sweep: Sweep) -> Any:
        extra = self._extra
        assert extra is not None   # called only for a node that has extras
        hooks = extra.get("hooks")
        if hooks:
            grad = _run_hooks(hooks, grad, sweep)
            if sweep.wanted is not None and self in sweep.wanted:
                sweep.wanted[self] = grad   # autograd.grad returns the gradient its hooks made
        retained = extra.get("retained")
        if retained is not None and sweep.accumulate:
            tensor = retained()
            if tensor is not None:
                tensor._accumulate(grad, sweep)
        return grad

    def _release(self) -> None:
        saved = self.saved_tensors
        if saved is not _FREED_VALUES and saved:
            self.saved_tensors = _FREED_VALUES

    # --- for people and pictures ---------------------------------------------------------------

    node_name: str | None = None   # PyTorch's name for the node where it is not the class's (fused ops)
    # Which of forward's arguments PyTorch lists in next_functions: its tensor inputs, not the
    # parameters (a shape, a dim, an index). All of them by default: for `x * 2` PyTorch lists the 2
    # too, as (None, 0), having made it a tensor.
    graph_inputs = slice(None)

    @classmethod
    def name(cls) -> str:
        """PyTorch's node name: ``MulBackward0`` for a built-in op, ``MyFnBackward`` for a user Function."""
        return cls.node_name or f"{cls.__name__}Backward{'0' if cls.on_arrays else ''}"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """PyTorch's view of the graph below this node: for each tensor input, (the node that made
        it, 0), (an AccumulateGrad holding it, 0) for a leaf that requires grad, or (None, 0) for
        one that needs no gradient. The 0 is the input's output number in its node: every node
        here has one output."""
        shown = _next_functions.get(self)
        if shown is None:   # made once per node, so the same leaf shows the same AccumulateGrad
            shown = _next_functions[self] = tuple((graph_node(parent), 0) for parent in self._graph_parents())
        return shown

    def _graph_parents(self) -> tuple[Any, ...]:
        """The parents of the tensor inputs, in PyTorch's order (a fused op may reorder them)."""
        if self._extra is not None and "tensor_inputs" in self._extra:   # a user Function: as it was called
            return tuple(self._parents[i] for i in self._extra["tensor_inputs"])
        return self._parents[type(self).graph_inputs]

    def register_hook(self, hook: Callable[[Any], Any]) -> list[Callable[..., Any]]:
        """Call ``hook(grad)`` with the gradient of this node's output; a returned value replaces it."""
        hooks: list[Callable[..., Any]] = self._extras().setdefault("hooks", [])
        hooks.append(hook)
        return hooks

    def __repr__(self) -> str:
        """``<MulBackward0 object at 0x7f...>``, as PyTorch prints a node."""
        return f"<{self.name()} object at {id(self):#x}>"


class AccumulateGrad:
    """PyTorch's node under a leaf that requires grad, which adds the gradient arriving there into
    ``variable.grad``. Here the engine accumulates into the leaf itself, so this object only shows
    the graph as PyTorch does: next_functions makes it when asked (one per leaf while it is held)."""

    __slots__ = ("variable", "__weakref__")

    def __init__(self, variable: TensorBase) -> None:
        self.variable = variable

    @staticmethod
    def name() -> str:
        """PyTorch's name for it: ``torch::autograd::AccumulateGrad``."""
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """A leaf's node is where the walk ends: ()."""
        return ()

    def __eq__(self, other: object) -> bool:
        """The same node when it holds the same leaf."""
        return type(other) is AccumulateGrad and other.variable is self.variable

    def __hash__(self) -> int:
        """By the leaf it holds (so a set of nodes meets each leaf once)."""
        return id(self.variable)

    def __repr__(self) -> str:
        """``<AccumulateGrad object at 0x7f...>``, as PyTorch prints it."""
        return f"<AccumulateGrad object at {id(self):#x}>"


# What next_functions showed, kept off the hot path and out of the nodes: per node (while it
# lives), and the AccumulateGrad of each leaf (while something holds it, e.g. a node's entry), so
# every node over a leaf shows the same object, as in PyTorch. The leaves are keyed by id: an entry
# lives only while its AccumulateGrad does, which keeps its leaf, and so the id, alive.
_next_functions: weakref.WeakKeyDictionary[Function, tuple[tuple[Any, int], ...]] = weakref.WeakKeyDictionary()
_accumulators: weakref.WeakValueDictionary[int, AccumulateGrad] = weakref.WeakValueDictionary()


def graph_node(parent: Any) -> Any:
    """What next_functions shows for a parent: the node itself, an AccumulateGrad for a leaf, or None."""
    if not isinstance(parent, TensorBase):
        return parent
    node = _accumulators.get(id(parent))
    if node is None:
        node = _accumulators[id(parent)] = AccumulateGrad(parent)
    return node


class Op(Function):
    """A built-in op: forward and backward see NumPy arrays (Tensors under create_graph).

    Its apply and _backprop are Function's, cut down to what a built-in op needs when nothing is
    watching: every step below has its counterpart there, which handles the rest.
    """

    __slots__ = ()
    on_arrays = True
    integer_outputs = False   # float in, float out (Cast is the exception, and says so)

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run the op on its arguments and, if anything requires grad, record it: the result's
        grad_fn is this node, whose parents are the nodes the inputs came from."""
        if _watched[0] and _mode.watching:   # anomaly mode or compile's tracer, in this thread
            return _apply(cls, args)
        ctx = _new(cls)
        ctx.saved_tensors = ()
        ctx._extra = None
        # 1. unwrap: arrays for forward; which inputs want a gradient (grad mode read at most once)
        inputs = []
        parents: list[Any] | None = None
        recording = None
        mask = i = 0
        for arg in args:
            if isinstance(arg, TensorBase):
                base = arg._base
                if base is not None and base.grad_fn is not arg._view_of:
                    arg._refresh_view()   # its base was changed in place: it reads the new graph
                inputs.append(arg._array)
                if arg._requires_grad:
                    if recording is None:
                        recording = _mode.enabled
                    if recording:
                        if parents is None:
                            parents = [None] * len(args)
                        parents[i] = arg.grad_fn or arg
                        mask |= 1 << i
            else:
                inputs.append(arg)
            i += 1
        ctx.needs_input_grad = _NEEDS[i][mask] if i < 7 else tuple(bool(mask >> k & 1) for k in range(i))
        if cls.float_inputs and inputs[0].dtype.kind not in "fc":
            inputs[0] = inputs[0].astype(get_default_dtype())
        # 2. run forward
        try:
            returned = out = cls.forward(ctx, *inputs)
        except ValueError as error:   # NumPy's errors, said with the op's name and shapes
            raise _forward_error(cls, args, error) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)   # NumPy turns 0-d results into scalars; keep arrays throughout
        if parents is not None and cls.integer_outputs and out.dtype.kind not in "fc":
            parents = None   # an integer or bool result never requires grad
        # 3. the result (TensorBase._make, written out) and its node
        result = _new(TensorBase._results)
        result._array = out
        result._grad = None
        result._hooks = None
        result._base = None
        if parents is None:
            ctx._parents = ()
            result._requires_grad = False
            result.grad_fn = None
            if out.base is not None:
                _link_view(result, args, out)
            return result
        result._requires_grad = True
        result.grad_fn = ctx
        ctx._parents = tuple(parents)
        shape = out.shape
        ctx._shape = _INTERNED.get(shape) or _interned(shape)
        ctx._dtype = out.dtype
        if out.base is not None:
            _link_view(result, args, out)
        if ctx.saved_tensors:   # 4. note what was saved, for the version checks
            _note_saved(ctx, args, inputs, returned)
        return result

    def _backprop(self, grad: Any, sweep: Sweep) -> Any:
        if self._extra is not None or sweep.create_graph:   # hooks, retain_grad, create_graph
            return Function._backprop(self, grad, sweep)
        saved = self.saved_tensors
        if saved:
            if saved is _FREED_VALUES:
                raise _freed_error(self.name())
            if clock[0] != self._made_at:   # something changed in place since this op ran
                self._check_versions()
        grads = type(self).backward(self, grad)
        if saved and sweep.release:
            self.saved_tensors = _FREED_VALUES
        parents = self._parents
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) > len(parents):
            _check_count(type(self), grads, parents)
        # arrays in, arrays out, broadcasting undone
        checked = []
        for g, parent in zip(grads, parents):
            if g is not None and parent is not None:
                if type(g) is not np.ndarray:
                    g = np.asarray(g)
                shape = parent._shape
                if g.shape != shape:
                    g = unbroadcast(g, shape, self)
            checked.append(g)
        return checked


def _check_count(cls: type, grads: tuple[Any, ...], parents: tuple[Any, ...]) -> None:
    """Raise if backward gave gradients past forward's arguments (trailing Nones are allowed)."""
    if any(g is not None for g in grads[len(parents):]):
        raise RuntimeError(f"{cls.__name__}.backward returned {len(grads)} gradients but forward "
                           f"had {len(parents)} arguments")


def unbroadcast(grad: Any, shape: tuple[int, ...], node: Any = None) -> Any:
    """Sum `grad` down to `shape`: the adjoint of NumPy broadcasting (dx = sum over copied axes)."""
    extra = grad.ndim - len(shape)
    if extra < 0 and all(n == 1 for n in shape[:-extra]):
        # the input had leading 1s that NumPy dropped (x[0] = v with v of shape (1, 3)): sum to the
        # rest of the shape, then put them back
        return unbroadcast(grad, shape[-extra:], node).reshape(shape)
    if extra >= 0:
        axes = tuple(range(extra)) + tuple(
            extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
        if grad.shape != shape and int(np.prod(grad.shape)) == int(np.prod(shape)):
            grad = grad.reshape(shape)
    if grad.shape != shape:
        where = f"{node.name()} returned" if node is not None else "got"
        raise RuntimeError(f"{where} a gradient of shape {tuple(grad.shape)} for an input of shape "
                           f"{tuple(shape)}; a gradient must have its input's shape")
    return grad


# --- Function.apply and its steps -----------------------------------------------------------------

def _apply(cls: type[Function], args: tuple[Any, ...]) -> Any:
    """Function.apply: run forward, and record the node when an input requires grad."""
    ctx = _new(cls)
    ctx.saved_tensors = ()
    ctx._extra = None
    # 1. unwrap the inputs: arrays for forward; the parents and needs_input_grad on ctx
    inputs, record = _unwrap(ctx, args)
    # 2. run forward
    if cls.on_arrays:
        try:
            returned = out = cls.forward(ctx, *inputs)
        except ValueError as error:   # NumPy's errors, said with the op's name and shapes
            raise _forward_error(cls, args, error) from None
    else:
        returned, out = _forward_on_tensors(cls, ctx, args)
    if type(out) is not np.ndarray:
        out = np.asarray(out)   # NumPy turns 0-d results into scalars; keep arrays throughout
    # 3. record the node: the result's grad_fn is ctx (integer results never require grad)
    if record and (cls.integer_outputs and out.dtype.kind not in "fc"
                   or ctx._extra is not None and _non_differentiable(ctx, returned)):
        record = False   # integer and bool results, and outputs marked so, never require grad
        ctx._parents = ()
    result = TensorBase._make(out, ctx if record else None)
    if out.base is not None:
        _link_view(result, args, out)
    if record:
        ctx._shape = _interned(out.shape)
        ctx._dtype = out.dtype
        if ctx.saved_tensors:   # 4. note what was saved, for the version checks
            _note_saved(ctx, args, inputs if cls.on_arrays else args, returned)
    if _mode.watching:
        _watch(ctx, args, result)
    return result


def _unwrap(ctx: Function, args: tuple[Any, ...]) -> tuple[list[Any], bool]:
    """What forward sees (the arrays inside tensors, other arguments as given) and whether the op
    is to be recorded; notes on ctx the graph node each input came from (None: no gradient wanted)
    and, for backward, which inputs want a gradient."""
    inputs: list[Any] = []
    parents: list[Any] = []
    needs: list[bool] = []
    record = False
    grad_mode = _mode.enabled
    for arg in args:
        if isinstance(arg, TensorBase):
            if arg._base is not None and arg._base.grad_fn is not arg._view_of:
                arg._refresh_view()   # its base was changed in place: it reads the new graph
            inputs.append(arg._array)
            if grad_mode and arg._requires_grad:
                parents.append(arg.grad_fn or arg)
                needs.append(True)
                record = True
                continue
        else:
            inputs.append(arg)
        parents.append(None)
        needs.append(False)
    if ctx.float_inputs and inputs[0].dtype.kind not in "fc":
        inputs[0] = inputs[0].astype(get_default_dtype())
    ctx.needs_input_grad = tuple(needs)
    ctx._parents = tuple(parents) if record else ()
    return inputs, record


def _note_saved(ctx: Function, args: tuple[Any, ...], items: Any, returned: Any) -> None:
    """Note which argument each saved value is (-1: the output, -2: neither; `items` are what
    forward was given), for create_graph to attach it to its node, and the version clock's tick, so
    that backward can tell whether anything was changed in place since (see version.py)."""
    sources = []
    n = len(items)
    j = 0
    for value in ctx.saved_tensors:
        if value is None:   # a slot backward will not read (Mul keeps only what its backward needs)
            sources.append(-2)
        elif j < n and value is items[j] and isinstance(args[j], TensorBase):
            sources.append(j)   # the usual case: forward saved its j-th input as its j-th value
        elif value is returned:
            sources.append(-1)
        else:
            source = 0
            for item in items:
                if item is value and isinstance(args[source], TensorBase):
                    break
                source += 1
            else:
                source = -2
            sources.append(source)
        j += 1
    ctx._saved_from = _interned(tuple(sources))
    ctx._made_at = clock[0]


def _forward_on_tensors(cls: type[Function], ctx: Function, args: tuple[Any, ...]) -> tuple[Any, np.ndarray]:
    """A user Function's forward: Tensors in, a Tensor out, nothing recorded inside."""
    previous = _mode.enabled
    _mode.enabled = False
    try:
        returned = cls.forward(ctx, *args)
    finally:
        _mode.enabled = previous
    if not isinstance(returned, TensorBase):
        raise TypeError(f"{cls.__name__}.forward must return a Tensor; it returned "
                        f"{type(returned).__name__}. Wrap the result: Tensor(result).")
    if ctx._parents and not all(isinstance(arg, TensorBase) for arg in args):
        # PyTorch's next_functions of a user Function lists its tensor arguments only
        ctx._extras()["tensor_inputs"] = tuple(i for i, arg in enumerate(args) if isinstance(arg, TensorBase))
    return returned, returned._array


# NumPy's words for "these shapes do not fit": only these errors are said as shape errors
_SHAPE_WORDS = ("broadcast", "shape", "mismatch", "aligned", "dimension")


def _forward_error(cls: type[Function], args: tuple[Any, ...], error: ValueError) -> Exception:
    """A NumPy ValueError from a built-in forward, said with the op's name (and the shapes, when
    the shapes are what is wrong)."""
    tensors = [a for a in args if isinstance(a, (TensorBase, np.ndarray))]
    shapes = ", ".join(str(tuple(np.shape(a._array if isinstance(a, TensorBase) else a))) for a in tensors)
    if any(word in str(error) for word in _SHAPE_WORDS):
        return RuntimeError(f"{cls.__name__}: inputs of shapes {shapes} do not fit together ({error}). "
                            "Shapes broadcast when, from the right, each pair of sizes is equal or one "
                            "of them is 1.")
    dtypes = ", ".join(str(public(a.dtype)) for a in tensors)
    return RuntimeError(f"{cls.__name__} cannot compute this for inputs of shapes {shapes} and dtypes "
                        f"{dtypes}: {error}")


def _non_differentiable(ctx: Function, returned: Any) -> bool:
    """Did forward call ctx.mark_non_differentiable on its output?"""
    assert ctx._extra is not None   # called only for a node that has extras
    marked = ctx._extra.get("non_differentiable", ())
    return any(m is returned for m in marked)


def _link_view(result: TensorBase, args: tuple[Any, ...], out: np.ndarray) -> None:
    """`out` is a NumPy view: if it shares memory with an input tensor, `result` is a view of that
    tensor's base: an in-place change of the view rewrites the base's graph (see ops/inplace.py).
    (Version checks need no link: they follow the memory itself, see version.py.)"""
    for arg in args:
        if isinstance(arg, TensorBase) and np.may_share_memory(out, arg._array):
            base = arg if arg._base is None else arg._base
            result._base = base
            result._view_of = base.grad_fn
            return


def _watch(ctx: Function, args: tuple[Any, ...], result: TensorBase) -> None:
    """The rare extras of apply: anomaly mode's creation trace, and tinygrad_la.compile's tracer."""
    if _mode.anomaly and result.grad_fn is not None:
        ctx._extras()["trace"] = _creation_trace()
    if _mode.tracer is not None:
        _mode.tracer.op(ctx, args, result)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep   # tinygrad_la/


def _creation_trace() -> str:
    """Where the user's code created an op (the last frames outside this package)."""
    frames = [f for f in traceback.extract_stack()[:-2] if not f.filename.startswith(_PACKAGE_DIR)]
    return "".join(traceback.format_list(frames[-6:]))
