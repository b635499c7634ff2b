"""tinygrad_la.compile: trace a training step once, then replay it as straight-line NumPy.

Eager mode pays for flexibility on every step: each op builds a Tensor and a graph node, and
backward sorts the graph and dispatches node by node. A training step usually does the same
work every time, so we can record it once and keep only the NumPy calls:

    @tinygrad_la.compile
    def train_step(X, y):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        return loss

    for epoch in range(1500):
        loss = train_step(X, y)          # first call: runs eagerly and records; later: replays

The first call runs the function eagerly while a tracer notes every op's forward (which arrays
went in, which came out), every backward pass (the graph's nodes in order), and the calls it
cannot look inside (optimizer.step, zero_grad). From that record it writes a Python function of
plain statements, one line per NumPy-level call (see ``train_step.source``), and later calls run
that instead. The ops' own forward and backward functions do the arithmetic, so replayed values
and gradients are the same as eager ones.

What a compiled function may do: tensor ops, backward(), optimizer steps, in-place updates
under no_grad. It must do the same tensor work on every call: a new shape or dtype of an
argument traces again, but a Python `if` on a tensor's value cannot be replayed, so reading a
value inside (item(), bool(), numpy()) raises CompileError, as do random numbers (dropout),
hooks and create_graph. Results come back as tensors without a graph.
"""
from __future__ import annotations

import functools
import itertools
from typing import Any, Callable

import numpy as np

from . import engine
from .engine import _mode
from .function import Function, unbroadcast
from .tensor import Tensor, _bump, _clock

__all__ = ["compile", "Compiled", "CompileError"]


class CompileError(RuntimeError):
    """The function does something a replay could not repeat faithfully."""


def compile(fn: Callable | None = None) -> Any:   # noqa: A001 (PyTorch's name)
    """Trace ``fn`` on its first call (per argument shapes and dtypes) and replay it after."""
    if fn is None:
        return compile
    return Compiled(fn)


class Compiled:
    """A traced function: one replay program per signature of its arguments."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn
        self.programs: dict[tuple, Program] = {}
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Any:
        key = _signature(args)
        program = self.programs.get(key)
        if program is None:
            program, result = _trace(self.fn, args)
            self.programs[key] = program
            return result
        previous = _mode.enabled
        _mode.enabled = False   # the replay computes values; no graph is built
        try:
            return program.replay(*args)
        finally:
            _mode.enabled = previous

    @property
    def source(self) -> str:
        """The replay code of the most recent trace (what each call runs)."""
        if not self.programs:
            return "(not traced yet: call the function once)"
        return list(self.programs.values())[-1].source


def _signature(args: tuple) -> tuple:
    """What must match for a replay: each argument's kind, shape and dtype (or its value)."""
    key = []
    for arg in args:
        if isinstance(arg, Tensor):
            data = arg.data
            key.append((data.shape, data.dtype, arg._requires_grad))
        elif isinstance(arg, np.ndarray):
            key.append((arg.shape, arg.dtype, None))
        else:
            try:
                hash(arg)
            except TypeError:
                raise CompileError(f"compiled functions take tensors, arrays and hashable constants; got "
                                   f"{type(arg).__name__}") from None
            key.append(("value", type(arg), arg))
    return tuple(key)


# --- tracing --------------------------------------------------------------------------------------

def _trace(fn: Callable, args: tuple) -> tuple[Program, Any]:
    if _mode.tracer is not None:
        raise CompileError("a compiled function cannot call another compiled function while tracing")
    tracer = Tracer(args)
    _mode.tracer = tracer
    _mode.watching = True
    try:
        result = fn(*args)
    finally:
        _mode.tracer = None
        _mode.watching = _mode.anomaly
    return tracer.program(result), result


class Tracer:
    """Listens to the engine during one eager call and writes the replay program's lines."""

    def __init__(self, args: tuple) -> None:
        self.names: dict[int, str] = {}     # id(array or tensor) -> variable name in the program
        self.keep: list[Any] = []           # keeps traced objects alive, so their ids stay unique
        self.objects: dict[str, Any] = {}   # name -> object the program refers to
        self.lines: list[str] = []
        self.counter = itertools.count()
        self.object_names: dict[int, str] = {}       # id(object) -> its name, one name per object
        self.leaves: list[Tensor] = []                # leaves that backward passes accumulate into
        self._arity = len(args)
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                self._bind(arg, f"a{i}.data")
                self._bind(arg.data, f"a{i}.data")
            elif isinstance(arg, np.ndarray):
                self._bind(arg, f"a{i}")

    # -- names for things

    def _bind(self, obj: Any, name: str) -> None:
        self.names[id(obj)] = name
        self.keep.append(obj)

    def _object(self, obj: Any, prefix: str) -> str:
        name = self.object_names.get(id(obj))
        if name is None:
            name = self.object_names[id(obj)] = f"{prefix}{next(self.counter)}"
            self.objects[name] = obj
            self.keep.append(obj)
        return name

    def _array_expr(self, value: Any) -> str:
        """How the program gets this argument's value at replay time."""
        key = id(value)
        if key in self.names:
            return self.names[key]
        if isinstance(value, Tensor):
            for leaf in self.leaves:                   # some parameter's .grad: read it fresh
                if leaf._grad is value:
                    return f"{self._object(leaf, 'p')}.grad.data"
            if id(value.data) in self.names:
                return self.names[id(value.data)]
            return f"{self._object(value, 't')}.data"   # a tensor from outside (a weight): its current data
        return self._object(value, "k")                # a constant (a number, an index, an array)

    def _result(self, result: Tensor, expr: str) -> None:
        name = f"v{next(self.counter)}"
        self.lines.append(f"{name} = {expr}")
        self._bind(result, name)
        self._bind(result.data, name)

    # -- what the engine reports

    def op(self, ctx: Function, args: tuple, result: Tensor) -> None:
        cls = type(ctx)
        if not cls.on_arrays:
            self.unsupported(f"the user-defined Function {cls.__name__}")
        fn = self._object(cls.forward, "f")
        c = self._object(ctx, "c")
        call = f"{fn}({', '.join([c] + [self._array_expr(a) for a in args])})"
        self._result(result, call if result.data.ndim else f"asarray({call})")   # NumPy gives 0-d scalars
        if ctx._parents and ctx._saved is not None:
            self.lines.append(f"{c}._made_at = clock[0]")   # its saved values are fresh again

    def constant(self, fn: Callable, args: tuple, result: Tensor) -> None:
        f = self._object(fn, "f")
        self._result(result, f"asarray({f}({', '.join(self._array_expr(a) for a in args)}))")

    def inplace(self, target: Tensor, ufunc: Any, op: Callable, other: Any) -> None:
        if ufunc is None:
            self.unsupported("fill_/copy_/clamp_/setitem under no_grad")
        u = self._object(ufunc, "u")
        t = self._array_expr(target)
        self.lines.append(f"{u}({t}, {self._array_expr(other)}, out={t}, casting='same_kind')")
        self.lines.append(f"bump({self._object(target, 't')})")

    def set_grad(self, tensor: Tensor, value: Any) -> None:
        if value is not None:
            self.unsupported("assigning a tensor to .grad")
        self.lines.append(f"{self._object(tensor, 'p')}.grad = None")

    def call(self, method: Callable, *args: Any, replay: Callable | None = None) -> Any:
        """An opaque call (optimizer.step, zero_grad): run it now untraced, and on every replay
        (as `replay` when the method offers a cheaper version for replays)."""
        again = self._object(replay or method, "m")
        self.lines.append(f"{again}({', '.join(self._object(a, 'k') for a in args)})")
        _mode.tracer = None
        try:
            return method(*args)
        finally:
            _mode.tracer = self

    def backward(self, roots: list, root_grads: list, create_graph: bool, capture: Any) -> None:
        """A backward pass begins: seed the gradients of its roots."""
        if create_graph or capture is not None:
            self.unsupported("create_graph=True or autograd.grad")
        self.grad_names: dict[Any, str] = {}
        self.sweep = f"sweep{next(self.counter)}"
        self.lines.append(f"{self.sweep} = Sweep(False, True)")
        for root, seed in zip(roots, root_grads):
            self._add_grad(root, self._object(np.array(seed, copy=True), "k"))

    def node(self, node: Any, grad: Any, parent_grads: list) -> None:
        """The engine has just run one node's backward: write the same step as plain statements."""
        g = self.grad_names[node]
        if not node._parents:                              # a leaf: its gradient ends here
            if node._hooks:
                self.unsupported("hooks on tensors")
            self.lines.append(f"{self._object(node, 'p')}._accumulate({g}, {self.sweep})")
            self.leaves.append(node)
            return
        cls = type(node)
        if not cls.on_arrays:
            self.unsupported(f"backward through the user-defined Function {cls.__name__}")
        if node._extra:
            self.unsupported("hooks or retain_grad on a traced tensor")
        # run the formula once more to see its raw results: tuple or not, shapes to undo broadcasting of
        raw = cls.backward(node, grad)
        single = type(raw) is not tuple
        raw = (raw,) if single else raw
        d = f"d{next(self.counter)}"
        self.lines.append(f"{d} = {self._object(cls.backward, 'b')}({self._object(node, 'c')}, {g})")
        for i, (parent, out) in enumerate(zip(node._parents, parent_grads)):
            if parent is None or out is None:
                continue
            expr = d if single else f"{d}[{i}]"
            if type(raw[i]) is not np.ndarray:
                expr = f"asarray({expr})"
            if np.shape(raw[i]) != parent._shape:
                expr = f"unbroadcast({expr}, {self._object(tuple(parent._shape), 's')})"
            self._add_grad(parent, expr)

    def _add_grad(self, node: Any, expr: str) -> None:
        name = self.grad_names.get(node)
        if name is None:
            name = self.grad_names[node] = f"g{next(self.counter)}"
            self.lines.append(f"{name} = {expr}")
        else:
            self.lines.append(f"{name} = {name} + {expr}")

    def concrete(self, tensor: Tensor, how: str) -> None:
        raise CompileError(
            f"the compiled function reads a tensor's value with {how}: a replay could not follow a "
            "Python decision made on it, nor refresh a value taken out of the graph. Return the tensor "
            "and read it outside the compiled function (loss = step(...); loss.item()).")

    def random(self) -> None:
        raise CompileError("the compiled function draws random numbers (dropout, rand, randn): a replay "
                           "would repeat the same draws. Keep random layers out of compiled steps (model.eval()).")

    def unsupported(self, what: str) -> None:
        raise CompileError(f"tinygrad_la.compile cannot replay {what}; run this function eagerly instead")

    # -- the program

    def program(self, result: Any) -> Program:
        outputs = _map_outputs(result, self._output_expr)
        body = ["def replay(" + ", ".join(f"a{i}" for i in range(self._arity)) + "):"]
        body += ["    " + line for line in self.lines] or ["    pass"]
        body.append(f"    return {outputs}")
        source = "\n".join(body)
        namespace = dict(self.objects, asarray=np.asarray, ndarray=np.ndarray, unbroadcast=unbroadcast,
                         clock=_clock, bump=_bump, Sweep=engine.Sweep, Tensor=Tensor)
        exec(source, namespace)   # noqa: S102 (our own generated code)
        return Program(namespace["replay"], source)

    def _output_expr(self, tensor: Tensor) -> str:
        key = id(tensor)
        if key not in self.names:
            raise CompileError("the compiled function returns a tensor it did not compute from its arguments "
                               "or weights; return only results of tensor ops")
        return f"Tensor._make({self.names[key]}, None)"


def _map_outputs(result: Any, tensor_expr: Callable) -> str:
    if result is None:
        return "None"
    if isinstance(result, Tensor):
        return tensor_expr(result)
    if isinstance(result, (tuple, list)):
        inner = ", ".join(_map_outputs(r, tensor_expr) for r in result)
        return f"({inner},)" if isinstance(result, tuple) else f"[{inner}]"
    if isinstance(result, (int, float, str, bool)):
        return repr(result)
    raise CompileError(f"a compiled function returns tensors, tuples of them, or None; got {type(result).__name__}")


class Program:
    """One traced signature: the generated replay function and its source."""

    def __init__(self, replay: Callable, source: str) -> None:
        self.replay, self.source = replay, source
