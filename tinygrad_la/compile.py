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
cannot look inside. From that record it writes a Python function (``train_step.source``) in
which each op's forward and backward is written out as the NumPy statements the op itself runs
(`EMITTERS`, one entry per op kind), with the model's names: ``Z0 = X W0ᵀ + b0`` is

    np.matmul(X, W0.T, out=Z0)
    Z0 += b0

No Function, no Tensor and no graph is made in the loop. Arrays that live only inside a step
(Z0, the ReLU mask, dZ0, ...) are allocated once and rewritten through ``out=`` on every call;
what leaves the step is new every call, as in eager mode: the returned loss, and each ``.grad``
(a fresh array after ``zero_grad()``, accumulated into as eager does without it). ``zero_grad``
and the ``step`` of SGD and Adam(W) are written out too, updating the weights in place and
keeping the optimizer's state and step count as ``step()`` does.

The same operations run in the same order as in the eager step, so losses, gradients, weights and
optimizer state are the eager ones bit for bit. The tracer checks that claim once, on the traced
call: every inlined op is run a second time as the written text and compared, bit for bit, with
what the op itself computed; an op whose text differs, or that has no entry in `EMITTERS`, or
that is used in a way its entry does not cover, is replayed by calling its own forward and
backward (``Program.fallbacks`` lists which and why). Anything else the step does (gradient
clipping, other optimizers, in-place changes under no_grad) is replayed as before, by calling it.

The rule that keeps a replay right: every value the replay uses is one the tracer saw made.
Each array an op reads is an argument, the result of a recorded line, a tensor from before the
call (a weight, read fresh at every replay), or a constant given by Python code. A tensor made
during the call in any other way (its value read out of another tensor without an op the
tracer saw) raises CompileError where it is used, and so does a tensor from before the call
whose values change without a recorded write (NumPy writing into ``w.numpy()``). Values that decide Python
control flow (item(), bool(), numpy()), random numbers, boolean-mask indexing with a mask
computed in the call (the result's shape depends on values), hooks and create_graph raise
CompileError too. Results come back as tensors without a graph.

What a replay assumes is checked at its start, before anything changes: the weights' shapes,
dtypes and requires_grad (a weight given a new shape through ``.data`` traces again), the
optimizer's parameter groups and the switches that shaped its code (momentum on or off, ...;
changed, the step traces again; a learning rate from a scheduler is read on every call, and
checked as ``step()`` checks it), and class targets in range (out of range, or ignored, the call
runs eagerly, which raises or takes the ignored rows into account as eager mode does).

One program is kept per signature of the arguments (shapes, dtypes, and the values of Python
numbers), at most `max_programs` of them (8): past that the least recently used is dropped and
traced again if its signature comes back. Replacing a module's Parameter, buffer or submodule
(``model.fc = nn.Linear(...)``) makes every program trace again on its next call; rebinding a
plain Python name to a new tensor is not seen, so keep the tensors a step uses in modules.
A program's buffers are its own: do not call one compiled function from two threads at once.
"""
from __future__ import annotations

import builtins
import functools
import inspect
import itertools
import keyword
import linecache
import math
import operator
import re
from collections import OrderedDict
from typing import Any, Callable, Union

import numpy as np

from .core import engine, float_errors
from .core.engine import _mode
from .core.function import Function, unbroadcast
from .core.tensor_base import TensorBase
from .core.tracer import Tracer as Events
from .core.version import bump as _bump
from .core.version import clock as _clock
from .nn.module import Module, _structure
from .ops import elementwise, fused, linalg, reductions
from .ops.movement import Index, _region, _TwoStep
from .optim.adam import Adam, AdamW
from .optim.optimizer import Optimizer
from .optim.sgd import SGD
from .tensor import Tensor

__all__ = ["compile", "Compiled", "CompileError", "Program", "Tracer", "EMITTERS", "Emitter", "OpText", "GradText"]


class CompileError(RuntimeError):
    """The function does something a replay could not repeat faithfully."""


class _Retrace(Exception):
    """Raised by a replay's first lines: what it was traced for changed (a weight's shape, ...)."""


class _RunEagerly(Exception):
    """Raised by a replay's first lines: this call's values need the eager path (class targets
    out of range or ignored), which checks them and raises or computes as eager mode does."""


def compile(fn: Callable[..., Any] | None = None, *, max_programs: int = 8) -> Any:   # noqa: A001 (PyTorch's name)
    """Trace ``fn`` on its first call (per argument shapes and dtypes) and replay it after."""
    if fn is None:
        return functools.partial(compile, max_programs=max_programs)
    return Compiled(fn, max_programs)


class Compiled:
    """A traced function: one replay program per signature of its arguments (the most recently
    used `max_programs` of them)."""

    def __init__(self, fn: Callable[..., Any], max_programs: int = 8) -> None:
        if max_programs < 1:
            raise ValueError(f"max_programs must be at least 1; got {max_programs}")
        self.fn = fn
        self.max_programs = max_programs
        self.programs: OrderedDict[tuple[Any, ...], Program] = OrderedDict()
        self.last: Program | None = None   # the most recently used program, tried first
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Any:
        # Each program checks, first thing, that the arguments are the ones it was traced for, so the
        # last one used is simply tried; the signature is looked up only when it refuses.
        program = self.last
        if program is not None and program.structure == _structure[0]:
            try:
                return program.run(args)
            except _Retrace:
                pass
            except _RunEagerly:
                return self.fn(*args)
        key = _signature(args)
        program = self.programs.get(key)
        if program is None or program.structure != _structure[0]:   # new signature, or a weight replaced
            return self._trace(key, args)
        self.programs.move_to_end(key)
        self.last = program
        try:
            return program.run(args)
        except _Retrace:
            return self._trace(key, args)
        except _RunEagerly:
            return self.fn(*args)

    def _trace(self, key: tuple[Any, ...], args: tuple[Any, ...]) -> Any:
        program, result = _trace(self.fn, args)
        self.programs[key] = program
        self.last = program
        self.programs.move_to_end(key)
        if len(self.programs) > self.max_programs:
            self.programs.popitem(last=False)   # the least recently used
        return result

    @property
    def source(self) -> str:
        """The replay code of the most recently used program (what each call runs)."""
        if not self.programs:
            return "(not traced yet: call the function once)"
        return next(reversed(self.programs.values())).source

    @property
    def fallbacks(self) -> list[str]:
        """The ops of the most recently used program that run their own code instead of written-out
        NumPy, each with the reason (empty: every op is written out)."""
        if not self.programs:
            return []
        return list(next(reversed(self.programs.values())).fallbacks)


def _signature(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """What must match for a replay: each argument's kind, shape and dtype (or its value)."""
    key: list[tuple[Any, ...]] = []   # per argument: (shape, dtype, requires_grad), or ("value", type, value)
    for arg in args:
        if isinstance(arg, Tensor):
            data = arg._array
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

def _trace(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Program, Any]:
    if _mode.tracer is not None:
        raise CompileError("a compiled function cannot call another compiled function while tracing")
    tracer = Tracer(args, fn)
    _mode.tracer = tracer
    _mode.watching = True
    make, init = TensorBase.__dict__["_make"], TensorBase.__init__
    # The constructors are swapped for the trace and put back after it; setattr, as replacing a
    # method is deliberate here (a type checker flags a plain assignment to one).
    traced_make, traced_init = tracer.watched_constructors(make.__func__, init)
    setattr(TensorBase, "_make", traced_make)
    setattr(TensorBase, "__init__", traced_init)
    try:
        result = fn(*args)
        tracer.check_outside_tensors("by the end of the call")
    finally:
        setattr(TensorBase, "_make", make)
        setattr(TensorBase, "__init__", init)
        _mode.tracer = None
        _mode.watching = _mode.anomaly
    return tracer.program(result), result


# --- what the tracer records: values, statements, steps --------------------------------------------

_PLACEHOLDER = re.compile(r"«(\d+)(?::([tg]))?»")   # «7»: value 7's array; «7:t»: its Tensor; «7:g»: its .grad's array
_OUT = "«out»"                                       # in an out= form: the buffer written into


class _Value:
    """An array the replay reads or computes, written «key» in the recorded text and named only
    when the program is written (from `hint`: W0, Z0, dZ0, ...)."""

    __slots__ = ("key", "hint", "kind", "traced", "obj", "view_of", "owns", "name")

    def __init__(self, key: int, hint: str, kind: str, traced: Any = None, obj: Any = None) -> None:
        self.key, self.hint = key, hint
        self.kind = kind              # argument | outside | constant | computed
        self.traced = traced          # its array in the traced call (its shape, dtype and layout)
        self.obj = obj                # the Tensor (argument, outside) or object (constant) it is
        self.view_of: _Value | None = None   # a view of another value's memory
        self.owns = False             # a new array of its own, which a .grad may adopt
        self.name = ""

    def __str__(self) -> str:
        return f"«{self.key}»"

    @property
    def tensor(self) -> str:
        """The Tensor object of an argument or a tensor from outside."""
        return f"«{self.key}:t»"

    @property
    def grad(self) -> str:
        """The array of a leaf's .grad, as the program knows it at that point."""
        return f"«{self.key}:g»"


class _Def:
    """``value = fresh``, or, when the value lives only inside a step, the `out` form writing into
    a buffer allocated once; then `then`, lines that finish the value in place (``Z0 += b0``)."""

    __slots__ = ("value", "fresh", "out", "then", "errstate")

    def __init__(self, value: _Value, fresh: str, out: str | None, then: list[str], errstate: str | None) -> None:
        self.value, self.fresh, self.out, self.then, self.errstate = value, fresh, out, then, errstate


class _Text:
    """A line written as recorded. `safe`: written by an inlined op or the backward walk, so the
    values it reads stay inside the step; any other line (a call of an op's own forward, an
    in-place write, an opaque call) may keep or change them. `clobbers_grads`: it may rebind any
    .grad (an opaque call)."""

    __slots__ = ("text", "safe", "clobbers_grads")

    def __init__(self, text: str, safe: bool = False, clobbers_grads: bool = False) -> None:
        self.text, self.safe, self.clobbers_grads = text, safe, clobbers_grads


_Statement = Union[_Def, _Text]


class _Comment(_Text):
    """A comment line over an op's statements."""

    __slots__ = ()

    def __init__(self, text: str) -> None:
        super().__init__(text, safe=True)


class _Inline:
    """One op's forward or backward: its NumPy statements written out (`body`), or the call of the
    op's own forward/backward (`fallback`), whichever `inline` says; `why` says why not inline."""

    __slots__ = ("comment", "inline", "body", "fallback", "why", "backward_written")

    def __init__(self, comment: str, fallback: list[_Statement]) -> None:
        self.comment = comment
        self.inline = False
        self.body: list[_Statement] = []
        self.fallback = fallback
        self.why = ""
        self.backward_written = False

    def statements(self) -> list[_Statement]:
        return self.body if self.inline else self.fallback


class _Accumulate:
    """A backward pass ends at a leaf: its gradient goes into ``.grad`` (set, or added to)."""

    __slots__ = ("leaf", "grad", "sweep")

    def __init__(self, leaf: _Value | str, grad: _Value, sweep: int) -> None:
        self.leaf, self.grad, self.sweep = leaf, grad, sweep


class _GradNone:
    """``p.grad = None`` (by zero_grad(), or assigned)."""

    __slots__ = ("leaves", "optimizer")

    def __init__(self, leaves: list[_Value | str], optimizer: Optimizer | None = None) -> None:
        self.leaves, self.optimizer = leaves, optimizer


class _OptimizerStep:
    """optimizer.step() of SGD or Adam(W), written out (see _write_sgd, _write_adam)."""

    __slots__ = ("guard", "params")

    def __init__(self, guard: _OptimizerGuard, params: list[list[_Value]]) -> None:
        self.guard, self.params = guard, params


_Step = Union[_Text, _Inline, _Accumulate, _GradNone, _OptimizerStep]


class Tracer(Events):
    """Listens to the library during one eager call and records the replay program's steps.

    The events it hears are declared, each with what it means, in core/tracer.py; for each this
    class records steps (see above), or raises CompileError for what a replay cannot repeat
    (concrete, random, unsupported).

    Besides the events, the tracer sees every tensor made during the call (it wraps Tensor's
    constructors while tracing), so a tensor that none of the events explains is refused where it
    is used; and it keeps a copy of each tensor from before the call that the step reads, so a
    change the events do not explain is refused too.
    """

    def __init__(self, args: tuple[Any, ...], fn: Callable[..., Any] | None = None) -> None:
        self.names: dict[int, str] = {}     # id(array or tensor) -> expression for it in the program
        self.named_arrays: list[tuple[np.ndarray, str]] = []   # for finding views that alias a named array
        self.keep: list[Any] = []           # keeps traced objects alive, so their ids stay unique
        self.objects: dict[str, Any] = {}   # name -> object the program refers to
        self.steps: list[_Step] = []
        self.counter = itertools.count()
        self.object_names: dict[int, str] = {}       # id(object) -> its name, one name per object
        self.leaves: list[Tensor] = []                # leaves that backward passes accumulate into
        self.born: dict[int, Tensor] = {}             # tensors made during the call, by id
        self.born_arrays: dict[int, Tensor] = {}      # their arrays, by id
        self.outside: dict[int, tuple[Tensor, np.ndarray, np.ndarray]] = {}   # tensors from before: (t, array, copy)
        self.shares: dict[int, Tensor] = {}           # detach()/.data tensors made in the call, to their source
        self.values: dict[int, _Value] = {}            # by key
        self.tensor_values: dict[int, _Value] = {}     # id(tensor) -> the argument or outside value it is
        self.ops: dict[int, tuple[_Inline, OpText]] = {}   # id(ctx) -> its inlined forward
        self.guards: list[str] = []                   # lines that check this call fits the program
        self.optimizers: dict[int, _OptimizerGuard] = {}
        # key of a gradient -onehot(t)·q that a negative log-likelihood's backward wrote -> (q per
        # row as a column, q per picked entry, the rows, the targets), for the log-softmax below it
        self.nll_grads: dict[int, tuple[str, str, str, str]] = {}
        self.sweeps = 0
        self.grad_of: dict[Any, _Value] = {}          # in a backward pass: node -> its gradient so far
        self.scope = _scope_names(fn)
        name = getattr(fn, "__name__", "")
        self.fn_name = name if name.isidentifier() and not keyword.iskeyword(name) else "replay"
        params = _parameter_names(fn, len(args))
        self.arguments: list[_Value] = []
        for i, arg in enumerate(args):
            value = self._new_value(params[i], "argument", obj=arg)
            self.arguments.append(value)
            if isinstance(arg, Tensor):
                value.traced = arg._array
                self.tensor_values[id(arg)] = value
                self._bind(arg, str(value))
                self._bind(arg._array, str(value))
            elif isinstance(arg, np.ndarray):
                value.traced = arg
                self._bind(arg, str(value))

    def watched_constructors(self, make: Callable[..., Any],
                             init: Callable[..., Any]) -> tuple[Any, Callable[..., Any]]:
        """TensorBase._make and __init__ that also note each tensor made while this tracer listens."""
        tracer = self

        def note(t: Tensor) -> None:
            if _mode.tracer is tracer:   # not inside an opaque call (an optimizer's state is its own)
                tracer.born[id(t)] = t
                tracer.born_arrays[id(t._array)] = t
                tracer.keep.append(t._array)

        def traced_make(data: np.ndarray, grad_fn: Any) -> Tensor:
            t: Tensor = make(data, grad_fn)
            note(t)
            return t

        def traced_init(t: Tensor, *args: Any, **kwargs: Any) -> None:
            init(t, *args, **kwargs)
            note(t)

        return staticmethod(traced_make), traced_init

    # -- names for things

    def _new_value(self, hint: str, kind: str, traced: Any = None, obj: Any = None) -> _Value:
        value = _Value(next(self.counter), hint, kind, traced, obj)
        self.values[value.key] = value
        return value

    def _bind(self, obj: Any, name: str) -> None:
        self.names[id(obj)] = name
        self.keep.append(obj)
        if isinstance(obj, np.ndarray):
            self.named_arrays.append((obj, name))

    def _object(self, obj: Any, prefix: str) -> str:
        name = self.object_names.get(id(obj))
        if name is None:
            name = self.object_names[id(obj)] = f"{prefix}{next(self.counter)}"
            self.objects[name] = obj
            self.keep.append(obj)
        return name

    def _alias(self, array: np.ndarray) -> str | None:
        """The name of a named array that `array` is the very same view of (x.detach(), x.view())."""
        if array.base is None:
            return None
        where = array.__array_interface__["data"][0]
        for named, name in self.named_arrays[::-1]:
            if (named.shape == array.shape and named.strides == array.strides and named.dtype == array.dtype
                    and named.__array_interface__["data"][0] == where):
                return name
        return None

    def _source(self, t: Tensor) -> Tensor:
        """The tensor whose memory `t` is, through detach() and .data (t itself if neither)."""
        while id(t) in self.shares and t._array.base is not None:   # until .data = ... rebinds it
            t = self.shares[id(t)]
        return t

    def _outside_value(self, t: Tensor) -> _Value:
        """The value of a tensor from before the call (a weight): named after the model where known."""
        value = self.tensor_values.get(id(t))
        if value is None:
            value = self._new_value(self.scope.get(id(t), "t"), "outside", t._array, t)
            self.tensor_values[id(t)] = value
            self.keep.append(t)
        return value

    def _tensor_expr(self, t: Tensor) -> str:
        """How the program refers to the Tensor object `t` (to set its .grad, bump its version)."""
        value = self.tensor_values.get(id(t))
        if value is None and id(t) not in self.born:
            value = self._outside_value(t)
        return value.tensor if value is not None else self._object(t, "t")

    def _array_expr(self, value: Any) -> str:
        """How the program gets this argument's value at replay time."""
        if id(value) in self.shares:
            value = self._source(value)
        key = id(value)
        if key in self.names:
            return self.names[key]
        if isinstance(value, Tensor):
            for leaf in self.leaves:                   # some parameter's .grad: read it fresh
                if leaf._grad is value:
                    owner = self.tensor_values.get(id(leaf))
                    return owner.grad if owner is not None else f"{self._object(leaf, 'p')}.grad._array"
            data = value._array
            if id(data) in self.names:
                return self.names[id(data)]
            alias = self._alias(data)
            if alias is not None:
                return alias
            if key in self.born:
                self._unexplained(f"a tensor of shape {tuple(value.shape)}")
            self._watch_outside(value)
            return str(self._outside_value(value))     # a tensor from before the call (a weight): its current data
        if isinstance(value, np.ndarray):
            alias = self._alias(value)
            if alias is not None:
                return alias
            if key in self.born_arrays:
                self._unexplained(f"the array of a tensor of shape {tuple(value.shape)}")
            return self._object(value, "k")            # an array the Python code gave: a constant
        if isinstance(value, (tuple, list)):           # an index may hold arrays computed in the call
            parts = [self._array_expr(v) for v in value]
            if any(not (p.startswith("k") and p[1:].isdigit()) for p in parts):
                inner = ", ".join(parts)
                return f"({inner},)" if isinstance(value, tuple) else f"[{inner}]"
        elif type(value) is _TwoStep:
            basic, rest = self._array_expr(value.basic), self._array_expr(value.rest)
            return f"TwoStep({basic}, {rest})"
        return self._object(value, "k")                # a constant (a number, an index, a dtype)

    def _result(self, result: Tensor, expr: str, hint: str = "v") -> _Value:
        """`result` is computed by the line ``value = expr``."""
        value = self._new_value(hint, "computed", result._array)
        self.steps.append(_Text(f"{value} = {expr}"))
        self._bind_result(result, value)
        return value

    def _bind_result(self, result: Tensor, value: _Value) -> None:
        self._bind(result, str(value))
        self._bind(result._array, str(value))

    def _unexplained(self, what: str) -> None:
        raise CompileError(
            f"the compiled function uses {what} that was made during the call from values the tracer did "
            "not see computed (for example read out of another tensor's .numpy(), or by a function "
            "outside tinygrad_la's ops): a replay would reuse the value from the first call. Compute it "
            "with tensor ops (x.clone(), x.detach(), x.to(dtype), torch.stack(...)), or outside the "
            "compiled function.")

    # -- tensors from before the call: read fresh at replay, and must change only as recorded

    def _watch_outside(self, t: Tensor) -> None:
        if id(t) not in self.outside:
            self.outside[id(t)] = (t, t._array, t._array.copy())

    def check_outside_tensors(self, when: str) -> None:
        """Raise if a tensor from before the call changed without a recorded write."""
        for t, array, copy in self.outside.values():
            if t._array is not array or not np.array_equal(array, copy, equal_nan=array.dtype.kind in "fc"):
                raise CompileError(
                    f"a tensor of shape {tuple(t.shape)} from outside the compiled function changed {when} without "
                    "going through tinygrad_la (for example NumPy writing into w.numpy()): a replay could not "
                    "repeat the change. Update it with tensor methods under "
                    "no_grad (w.sub_(lr * w.grad)) or with an optimizer.")

    def _recopy_outside(self, array: np.ndarray | None = None) -> None:
        """A recorded write just changed `array` (None: anything): take new copies of what it touches."""
        for key, (t, old, _) in list(self.outside.items()):
            if array is None or np.may_share_memory(array, t._array):
                if t._array is not old:   # the program reads each weight's array once, at its start
                    self.unsupported("a call inside the step that gives a tensor from outside it a new "
                                     "array (w.data = ...)")
                self.outside[key] = (t, t._array, t._array.copy())

    # -- what the library reports

    def op(self, ctx: Function, args: tuple[Any, ...], result: Tensor) -> None:
        """A built-in op ran: record its forward, written out when EMITTERS has its kind."""
        cls = type(ctx)
        if not cls.on_arrays:
            self.unsupported(f"the user-defined Function {cls.__name__}")
        if cls is Index and self._masked(args[1]):
            raise CompileError(
                "the compiled function indexes with a boolean mask computed in the call (x[mask]): how many "
                "entries it selects, and every shape and count after it (a mean's divisor), would stay those "
                "of the first call. Use a masked sum instead: (x * mask).sum() / mask.sum(), or "
                "torch.where(mask, x, 0).")
        exprs = [self._array_expr(a) for a in args]
        out = self._new_value(self._op_hint(cls, exprs), "computed", result._array)
        fn = self._object(cls.forward, f"{cls.__name__}_forward")
        c = self._object(ctx, f"{cls.__name__}_ctx")
        call = f"{fn}({', '.join([c] + exprs)})"
        fallback: list[_Statement] = [_Text(f"{out} = {call}" if result._array.ndim else f"{out} = asarray({call})")]
        if ctx._parents and ctx._saved is not None:
            fallback.append(_Text(f"{c}._made_at = clock[0]"))   # its saved values are fresh again
        record = _Inline(_formula(cls, 0), fallback)
        emitter = EMITTERS.get(cls)
        if emitter is None:
            record.why = f"{cls.__name__}: no emitter"
        else:
            text = OpText(self, ctx, args, exprs, out)
            if not emitter.forward(text):
                record.why = f"{cls.__name__}: a case its emitter does not write out"
            elif not self._verified(text.body, {out.key: result._array}):
                record.why = f"{cls.__name__}: the written-out forward differs from the op's own (emitter out of date?)"
            else:
                record.inline, record.body = True, text.body
                self.ops[id(ctx)] = (record, text)
        self.steps.append(record)
        self._bind_result(result, out)

    def _op_hint(self, cls: type, exprs: list[str]) -> str:
        """The name an op's result gets: Z0 for a Linear with weight W0, H0 for the ReLU of Z0, ..."""
        def hint_of(expr: str) -> str:
            match = _PLACEHOLDER.fullmatch(expr)
            return self.values[int(match.group(1))].hint if match and not match.group(2) else ""
        if cls in (fused.Addmm, fused.LinearNoBias):
            return _swap_letter(hint_of(exprs[1]), "W", "Z")
        if cls is elementwise.ReLU:
            return _swap_letter(hint_of(exprs[0]), "Z", "H") if hint_of(exprs[0]) else "H"
        return _HINTS.get(cls, cls.__name__.lower())

    def _masked(self, index: Any) -> bool:
        """Does the index hold a boolean mask that is not a constant of the program?"""
        if type(index) is _TwoStep:
            return self._masked(index.basic) or self._masked(index.rest)
        items = index if isinstance(index, tuple) else (index,)
        return any(isinstance(i, np.ndarray) and i.dtype == np.bool_ and not self._array_expr(i).startswith("k")
                   for i in items)

    def constant(self, fn: Callable[..., Any], args: tuple[Any, ...], result: Tensor) -> None:
        """A result without gradient (comparison, argmax, indices): the replay calls `fn` on the same inputs."""
        f = self._object(fn, "f")
        self._result(result, f"asarray({f}({', '.join(self._array_expr(a) for a in args)}))",
                     getattr(fn, "__name__", "v"))

    def created(self, tensor: Tensor, source: Any = None) -> None:
        """A creation function made `tensor` inside the call: the replay makes it again (refused if it
        requires grad)."""
        if tensor._requires_grad:
            self.unsupported("a tensor that requires grad made inside the call (make parameters outside "
                             "the compiled function, or in a module)")
        if isinstance(source, (list, tuple)) and _holds_tensor(source):
            self._unexplained("tensor() of a list holding tensors, whose values")
        if isinstance(source, (Tensor, np.ndarray)):
            array = source._array if isinstance(source, Tensor) else source
            expr = self._array_expr(source)
            if tensor._array is array:                   # as_tensor/from_numpy: the same memory
                self._bind(tensor, expr)
                self._bind(tensor._array, expr)
            else:
                self._result(tensor, f"array({expr}, dtype={self._object(tensor.dtype, 'k')})", "tensor")
            return
        self._result(tensor, f"{self._object(tensor._array.copy(), 'k')}.copy()", "tensor")   # a fresh array each call

    def shared(self, tensor: Tensor, source: Tensor) -> None:
        """`tensor` is `source`'s memory (detach(), .data): the replay reads and writes source's array."""
        self.shares[id(tensor)] = source
        self.keep.append(tensor)

    def copied(self, copy: Tensor, source: Tensor) -> None:
        """`copy` is a copy of `source`: the replay copies the array."""
        self._result(copy, f"{self._array_expr(source)}.copy()", "copy")

    def inplace(self, target: Tensor, ufunc: Any, op: Callable[..., Any], other: Any) -> None:
        """An unrecorded in-place change of `target` by `ufunc` with `other` (under no_grad): the replay
        makes it too."""
        if ufunc is None:
            self.unsupported("fill_/copy_/clamp_ under no_grad")
        target = self._source(target)
        u = self._object(ufunc, "u")
        t = self._array_expr(target)
        self.steps.append(_Text(f"{u}({t}, {self._array_expr(other)}, out={t}, casting='same_kind')"))
        self._bump_line(target)
        entry = self.outside.get(id(target))
        if entry is not None:   # the write happens after this event: expect its result
            value = other._array if isinstance(other, Tensor) else other
            copy = entry[2].copy()
            ufunc(copy, value, out=copy, casting="same_kind")
            self.outside[id(target)] = (target, target._array, copy)
        elif any(np.may_share_memory(target._array, t._array) for t, _, _ in self.outside.values()):
            self.unsupported("an in-place change under no_grad of a view of a tensor from outside the call")

    def inplace_recorded(self, target: Tensor, result: Tensor) -> None:
        """`target` was overwritten with `result` by an in-place op the graph recorded."""
        target = self._source(target)
        t = self._array_expr(target)
        self.steps.append(_Text(f"copyto({t}, {self._array_expr(result)})"))
        self._bump_line(target)
        self._recopy_outside(target._array)

    def setitem(self, target: Tensor, index: Any, value: Any) -> None:
        """``target[index] = value`` without recording: the replay assigns the same entries."""
        target = self._source(target)
        t = self._array_expr(target)
        self.steps.append(_Text(f"assign({t}, {self._array_expr(index)}, {self._array_expr(value)})"))
        self._bump_line(target)
        self._recopy_outside(target._array)

    def _bump_line(self, target: Tensor) -> None:
        if id(target) in self.outside:   # eager graphs built outside see the change, as after an eager step
            self.steps.append(_Text(f"bump({self._tensor_expr(target)})"))

    def set_grad(self, tensor: Tensor, value: Any) -> None:
        """A tensor's .grad was set (to None; a tensor assigned there is refused)."""
        if value is not None:
            self.unsupported("assigning a tensor to .grad")
        self.steps.append(_GradNone([self._leaf_ref(tensor)]))

    def _leaf_ref(self, t: Tensor) -> _Value | str:
        """A leaf the program sets the .grad of: its value (argument, outside), else an object."""
        value = self.tensor_values.get(id(t))
        if value is None and id(t) not in self.born:
            value = self._outside_value(t)
        return value if value is not None else self._object(t, "p")

    def call(self, method: Callable[..., Any], *args: Any, replay: Callable[..., Any] | None = None) -> Any:
        """An opaque call (optimizer.step, zero_grad, clip_grad_norm_): run it now untraced, and on
        every replay: written out for zero_grad() and the step of SGD and Adam(W), else called (as
        `replay` when the method offers a cheaper version for replays). A tensor it returns is read
        from the replay's own call."""
        self.check_outside_tensors("before " + getattr(method, "__qualname__", "a call"))
        owner, func = getattr(method, "__self__", None), getattr(method, "__func__", None)
        written: _Step | None = None
        if isinstance(owner, Optimizer) and func is Optimizer.zero_grad and args in ((True,), ()):
            guard = self._optimizer_guard(owner)
            written = _GradNone([self._leaf_ref(p) for group in guard.groups for p in group["params"]], owner)
        elif isinstance(owner, Optimizer) and func is Optimizer.step and not args and _written_out(owner):
            guard = self._optimizer_guard(owner)
            params = [[self._optimizer_param(p) for p in group["params"]] for group in guard.groups]
            written = _OptimizerStep(guard, params)
        again = self._object(replay or method, "m")
        line = f"{again}({', '.join(self._call_arg(a) for a in args)})"
        _mode.tracer = None
        try:
            result = method(*args)
        finally:
            _mode.tracer = self
        self._recopy_outside()   # the call may update weights: that is recorded by the call itself
        if written is not None:
            self.steps.append(written)
            return result
        if isinstance(result, Tensor):
            value = self._new_value(getattr(method, "__name__", "v").strip("_"), "computed", result._array)
            self.steps.append(_Text(f"{value} = {line}._array", clobbers_grads=True))
            self._bind_result(result, value)
        else:
            self.steps.append(_Text(line, clobbers_grads=True))
        return result

    def _optimizer_guard(self, optimizer: Optimizer) -> _OptimizerGuard:
        guard = self.optimizers.get(id(optimizer))
        if guard is None:
            guard = self.optimizers[id(optimizer)] = _OptimizerGuard(optimizer)
            self.keep.append(optimizer)
        return guard

    def _optimizer_param(self, p: Tensor) -> _Value:
        """A parameter the written-out step updates in place (read fresh at the program's start)."""
        value = self.tensor_values.get(id(p))
        if value is None:
            if id(p) in self.born:
                self.unsupported("an optimizer over a tensor made inside the call")
            value = self._outside_value(p)
        return value

    def _call_arg(self, arg: Any) -> str:
        if isinstance(arg, Tensor) and id(arg) in self.names:   # computed in the call: this replay's value
            return f"Tensor._make({self.names[id(arg)]}, None)"
        return self._object(arg, "k")

    def backward(self, roots: list[Any], root_grads: list[Any], create_graph: bool, capture: Any) -> None:
        """A backward pass begins: seed the gradients of its roots."""
        if create_graph or capture is not None:
            self.unsupported("create_graph=True or autograd.grad")
        self.grad_of = {}
        self.sweeps += 1
        for root, seed in zip(roots, root_grads):
            seed = np.array(seed, copy=True)
            if not np.all(seed == 1):   # the event sees a copy: where its values came from is unknown
                self.unsupported("backward(gradient=...) with a gradient other than ones, whose values a "
                                 "replay could not follow (they may come from the arguments); call backward "
                                 "on a sum instead: (y * gradient).sum().backward()")
            value = self._new_value("d" + self._node_hint(root), "constant", seed, seed)
            self._add_grad(root, value)

    def _node_hint(self, node: Any) -> str:
        """The name of the value a graph node stands for (its op's result, or the leaf itself)."""
        if isinstance(node, Tensor):
            value = self.tensor_values.get(id(node))
            return value.hint if value is not None else "leaf"
        entry = self.ops.get(id(node))
        if entry is not None:
            return entry[1].out.hint
        return _HINTS.get(type(node), type(node).__name__.lower())

    def node(self, node: Any, grad: Any, parent_grads: list[Any]) -> None:
        """The engine has just run one node's backward: record the same step, written out when the
        op's forward was."""
        g = self.grad_of[node]
        if not node._parents:                              # a leaf: its gradient ends here
            if node._hooks:
                self.unsupported("hooks on tensors")
            self.steps.append(_Accumulate(self._leaf_ref(node), g, self.sweeps))
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
        wanted = [i for i, (parent, out) in enumerate(zip(node._parents, parent_grads))
                  if parent is not None and out is not None]
        record = _Inline(_formula(cls, 1), [])
        entry = self.ops.get(id(node))
        contributions: dict[int, _Value] = {}
        why = f"{cls.__name__}: its forward is not written out"
        if entry is not None:
            forward, text = entry
            grads = GradText(self, node, text, g, raw)
            if not EMITTERS[cls].backward(grads):
                why = f"{cls.__name__}: a backward case its emitter does not write out"
            else:
                for i in wanted:
                    given = grads.given.get(i)
                    finished = None if given is None else grads.finish(given, np.shape(raw[i]), node._parents[i]._shape)
                    if finished is None:
                        break
                    contributions[i] = finished
                expected = {contributions[i].key: parent_grads[i] for i in contributions}
                if len(contributions) < len(wanted):
                    why = f"{cls.__name__}: its emitter gives no gradient for an input that needs one"
                elif not self._verified(grads.body, expected):
                    why = f"{cls.__name__}: the written-out backward differs from the op's own (emitter out of date?)"
                else:
                    why = ""
            if why:
                if forward.backward_written:
                    self.unsupported(f"{cls.__name__} twice in backward, written out once and not the next time")
                forward.inline, forward.why = False, why   # its forward then runs the op, for the saved values
                del self.ops[id(node)]
                contributions = {}
            else:
                record.inline, record.body = True, grads.body
                forward.backward_written = True
                for i in wanted:   # what the engine passes on: the op's own arrays (the same bits)
                    if contributions[i] is not g:
                        contributions[i].traced = parent_grads[i]
        record.why = "" if record.inline else why
        # the fallback: the op's own backward, its results brought to each input's shape
        d = self._new_value("d" + self._node_hint(node) + "_inputs", "computed")
        record.fallback.append(_Text(f"{d} = {self._object(cls.backward, f'{cls.__name__}_backward')}"
                                    f"({self._object(node, f'{cls.__name__}_ctx')}, {g})"))
        for i in wanted:
            parent = node._parents[i]
            value = contributions.get(i)
            if value is None:
                value = contributions[i] = self._new_value("d" + self._node_hint(parent), "computed", parent_grads[i])
            expr = str(d) if single else f"{d}[{i}]"
            if type(raw[i]) is not np.ndarray:
                expr = f"asarray({expr})"
            if np.shape(raw[i]) != parent._shape:
                expr = f"unbroadcast({expr}, {self._object(tuple(parent._shape), 's')})"
            record.fallback.append(_Text(f"{value} = {expr}"))
        self.steps.append(record)
        for i in wanted:
            self._add_grad(node._parents[i], contributions[i])

    def _add_grad(self, node: Any, contribution: _Value) -> None:
        """The engine's sum: a node's gradient is the sum of what reaches it, in the order it arrives."""
        current = self.grad_of.get(node)
        if current is None:
            self.grad_of[node] = contribution
            return
        total = self._new_value(contribution.hint, "computed")
        total.traced = current.traced + contribution.traced
        if isinstance(total.traced, np.generic):   # the engine keeps 0-d sums arrays
            total.traced = np.asarray(total.traced)
            fresh, out = f"np.asarray({current} + {contribution})", None
        else:
            fresh, out = f"{current} + {contribution}", f"np.add({current}, {contribution}, out={_OUT})"
        total.owns = True
        record = _Inline("", [])
        record.inline, record.body = True, [_Def(total, fresh, out, [], None)]
        self.steps.append(record)
        self.grad_of[node] = total

    def _verified(self, body: list[_Statement], expected: dict[int, Any]) -> bool:
        """Run the written-out statements on the traced values: do they give, bit for bit, the arrays
        the op itself gave (`expected`, by value key)? The other values they define keep their results
        (their shapes and layouts decide the buffers)."""
        computed: dict[int, Any] = {}
        try:
            with np.errstate(all="ignore"):
                for statement in body:
                    if isinstance(statement, _Def):
                        computed[statement.value.key] = self._evaluate(statement, computed)
        except Exception:   # noqa: BLE001 (text that does not run is text that does not match)
            return False
        for key, want in expected.items():   # (a value passed on as it came, dx = g, was computed before)
            got = computed[key] if key in computed else self.values[key].traced
            if got is None or not _same_bits(got, want):
                return False
        for key, array in computed.items():
            value = self.values[key]
            if key not in expected:
                value.traced = array
        return True

    def _evaluate(self, statement: _Def, computed: dict[int, Any]) -> Any:
        namespace: dict[str, Any] = dict(self.objects, np=np, unbroadcast=unbroadcast)

        def name(match: re.Match[str]) -> str:
            key, part = int(match.group(1)), match.group(2)
            value = self.values[key]
            if part == "t":
                namespace[f"_t{key}"] = value.obj
                return f"_t{key}"
            if part == "g":
                namespace[f"_g{key}"] = value.obj._grad._array
                return f"_g{key}"
            namespace[f"_v{key}"] = computed[key] if key in computed else value.traced
            return f"_v{key}"

        target = f"_v{statement.value.key}"
        code = "\n".join([f"{target} = {_PLACEHOLDER.sub(name, statement.fresh)}"]
                         + [_PLACEHOLDER.sub(name, line) for line in statement.then])
        exec(_code(code, "<tinygrad_la.compile check>"), namespace)   # noqa: S102 (our own text, on the traced arrays)
        result = namespace[target]
        if isinstance(result, np.generic):   # a 0-d result: the program keeps it an array, as Function.apply does
            statement.fresh, statement.out = f"np.asarray({statement.fresh})", None
            result = np.asarray(result)
        return result

    def concrete(self, tensor: Tensor, how: str) -> None:
        """Refuse a value read into Python: a replay could not follow a decision made on it."""
        raise CompileError(
            f"the compiled function reads a tensor's value with {how}: a replay could not follow a "
            "Python decision made on it, nor refresh a value taken out of the graph. Return the tensor "
            "and read it outside the compiled function (loss = step(...); loss.item()).")

    def random(self) -> None:
        """Refuse random numbers: a replay would repeat the same draws."""
        raise CompileError("the compiled function draws random numbers (dropout, rand, randn): a replay "
                           "would repeat the same draws. Keep random layers out of compiled steps (model.eval()).")

    def unsupported(self, what: str) -> None:
        """Refuse what a replay cannot repeat, naming it (`what`)."""
        raise CompileError(f"tinygrad_la.compile cannot replay {what}; run this function eagerly instead")

    # -- the program

    def program(self, result: Any) -> Program:
        """The replay program: the recorded steps written as a Python function, with `result`'s outputs."""
        outputs = _map_outputs(result, self._output_expr)
        return _Writer(self, outputs).program()

    def _output_expr(self, tensor: Tensor) -> str:
        key = id(tensor)
        expr = self.names.get(key) or self.names.get(id(tensor._array)) or self._alias(tensor._array)
        if expr is None:
            raise CompileError("the compiled function returns a tensor it did not compute from its arguments "
                               "or weights with tensor ops; return only results of tensor ops")
        return f"Tensor._make({expr}, None)"


def _assign(array: np.ndarray, index: Any, value: Any) -> None:
    """array[index] = value, with PyTorch's reading of the index (as shape_ops.setitem)."""
    region, at = _region(array, index)
    region[at] = value


def _holds_tensor(items: Any) -> bool:
    return any(isinstance(i, Tensor) or isinstance(i, (list, tuple)) and _holds_tensor(i) for i in items)


def _map_outputs(result: Any, tensor_expr: Callable[[Tensor], str]) -> str:
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


def _same_bits(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return bool(a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes())


def _formula(cls: type, part: int) -> str:
    """The forward (0) or backward (1) half of an op's one-line docstring (``x * y;  dx = g·y, ...``)."""
    paragraph = (cls.__doc__ or cls.__name__).strip().split("\n\n")[0]
    doc = " ".join(line.strip() for line in paragraph.splitlines())
    halves = doc.split(";  ", 1)
    formula = halves[part].strip() if part < len(halves) else ""
    return f"{cls.__name__}: {formula}" if formula else cls.__name__


def _swap_letter(hint: str, old: str, new: str) -> str:
    """W0 -> Z0, fc1_W -> fc1_Z: the name of a layer's result after its weight's."""
    if hint.startswith(old) and (len(hint) == 1 or not hint[1].isalpha()):
        return new + hint[1:]
    if hint.endswith("_" + old):
        return hint[:-1] + new
    return new


def _scope_names(fn: Callable[..., Any] | None) -> dict[int, str]:
    """Names for the tensors the function can reach: the parameters and buffers of the modules in its
    closure and globals (``model[0].weight`` -> W0, ``fc1.bias`` -> fc1_b), and tensors held there
    directly (by their variable's name). Only for reading: nothing depends on these names."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    scope: dict[str, Any] = {}
    for var, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or ()):
        try:
            scope[var] = cell.cell_contents
        except ValueError:   # a cell not filled yet
            continue
    globals_ = getattr(fn, "__globals__", {})
    scope.update({var: globals_[var] for var in code.co_names if var in globals_})
    modules = {var: obj for var, obj in scope.items()
               if isinstance(obj, Module) and next(iter(obj.parameters()), None) is not None}
    names: dict[int, str] = {}
    for var, module in modules.items():
        for path, t in itertools.chain(module.named_parameters(), module.named_buffers()):
            name = _param_name(path)
            names.setdefault(id(t), name if len(modules) == 1 else f"{var}_{name}")
    for var, obj in scope.items():
        if isinstance(obj, (Tensor, Optimizer)):
            names.setdefault(id(obj), var)
    return names


def _param_name(path: str) -> str:
    """'0.weight' -> W0, '0.bias' -> b0, 'fc1.weight' -> fc1_W, '1.running_mean' -> running_mean1."""
    *modules, attr = path.split(".")
    letter = {"weight": "W", "bias": "b"}.get(attr, attr)
    where = "_".join(modules)
    if not where:
        return letter
    return letter + where if where[0].isdigit() else f"{where}_{letter}"


def _parameter_names(fn: Callable[..., Any] | None, count: int) -> list[str]:
    """The function's own names for its positional arguments (a0, a1, ... where it has none)."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()   # type: ignore[arg-type]
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params[:count]]
    return names + [f"a{i}" for i in range(len(names), count)]


class Program:
    """One traced signature: the generated replay function, its source, the module structure
    clock it was traced at (a replaced Parameter makes it stale), and which ops were not written
    out (each with the reason)."""

    def __init__(self, replay: Callable[..., Any], source: str, structure: int,
                 fallbacks: list[str] | None = None, plain: bool = False) -> None:
        self.replay, self.source, self.structure = replay, source, structure
        self.fallbacks = fallbacks or []
        self.plain = plain   # only NumPy and its own lines: no library call that could record a graph

    def run(self, args: tuple[Any, ...]) -> Any:
        """One replay (under no_grad when it calls into the library: the replay builds no graph)."""
        if self.plain:
            return self.replay(*args)
        previous = _mode.enabled
        _mode.enabled = False
        try:
            return self.replay(*args)
        finally:
            _mode.enabled = previous


# --- writing the program --------------------------------------------------------------------------

_NONE, _PRESENT = "none", "present"   # what the program knows of a leaf's .grad (or the _Value it is)

_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {
    "np", "Tensor", "Sweep", "bump", "clock", "asarray", "array", "copyto", "assign", "TwoStep", "unbroadcast",
    "Retrace", "RunEagerly", "state_of", "class_targets_fit", "sweep", "buffers", "traced", "float_errors",
    "errors"}


class _Writer:
    """Writes the recorded steps as the text of one Python function and makes it.

    Three passes: choose each op's statements (written out or its fallback) and drop values nothing
    reads; decide which values get a buffer (those that never leave the step: only written-out
    statements read them); then write the lines in order, knowing at each point whether a leaf's
    .grad is None, an array the program made, or unknown, to write the plain case plainly.
    """

    def __init__(self, tracer: Tracer, outputs: str) -> None:
        self.t = tracer
        self.outputs = outputs
        self.taken = _RESERVED | set(tracer.objects) | {tracer.fn_name}
        self.namespace: dict[str, Any] = {}
        self.extra_buffers: dict[str, np.ndarray] = {}   # scratch arrays of the written-out optimizer steps
        self.fallbacks = [step.why for step in tracer.steps if isinstance(step, _Inline) and not step.inline and step.why]

    # -- pass 1 and 2: what is read where

    def analyse(self) -> None:
        chosen: list[_Step | _Statement] = []
        for step in self.t.steps:
            if isinstance(step, _Inline):
                if step.comment:
                    chosen.append(_Comment(f"# {step.comment}" + ("" if step.inline else "  (the op's own code)")))
                chosen.extend(step.statements())
            else:
                chosen.append(step)
        uses: dict[int, int] = {}
        escapes: set[int] = set()
        defined: dict[int, _Def] = {}

        def reads(text: str, safe: bool, own: int = -1) -> None:
            for match in _PLACEHOLDER.finditer(text):
                key = int(match.group(1))
                if key == own and not match.group(2):
                    continue
                uses[key] = uses.get(key, 0) + 1
                if not safe or match.group(2):
                    escapes.add(key)

        for item in chosen:
            if isinstance(item, _Def):
                defined[item.value.key] = item
        # drop what nothing reads (a ReLU mask in a step without backward), until nothing changes
        alive = list(chosen)
        while True:
            uses.clear()
            escapes.clear()
            for item in alive:
                if isinstance(item, _Def):
                    for text in [item.fresh, item.out or ""] + item.then:
                        reads(text, True, item.value.key)
                elif isinstance(item, _Text):
                    reads(item.text, item.safe)
                elif isinstance(item, _Accumulate):
                    reads(str(item.grad), False)
                elif isinstance(item, _OptimizerStep):
                    for group in item.params:
                        for value in group:
                            reads(str(value) + value.tensor, False)
                elif isinstance(item, _GradNone):
                    for leaf in item.leaves:
                        if isinstance(leaf, _Value):
                            reads(leaf.tensor, False)
            reads(self.outputs, False)
            dead = [item for item in alive if isinstance(item, _Def) and uses.get(item.value.key, 0) == 0]
            if not dead:
                break
            alive = [item for item in alive if not any(item is d for d in dead)]
        alive = [item for i, item in enumerate(alive)   # a comment over nothing left goes too
                 if not isinstance(item, _Comment) or i + 1 < len(alive) and not isinstance(alive[i + 1], _Comment)]
        for key in list(escapes):   # a view that leaves the step takes its base's memory with it
            base = self.t.values[key].view_of
            while base is not None:
                escapes.add(base.key)
                base = base.view_of
        self.chosen, self.uses, self.escapes, self.defined = alive, uses, escapes, defined
        self.buffers: dict[int, _Value] = {}
        self.views: dict[int, _Def] = {}
        for item in alive:
            if not isinstance(item, _Def):
                continue
            value = item.value
            traced = value.traced
            if value.view_of is not None:
                continue
            if (item.out is not None and value.key not in escapes and isinstance(traced, np.ndarray)
                    and traced.ndim > 0 and traced.flags.c_contiguous and traced.flags.owndata):
                self.buffers[value.key] = value
        self.folded: dict[int, _Def] = {}
        for item in alive:   # computed from constants only (dloss·2/N): computed once, when the program is made
            if isinstance(item, _Def) and not item.then and item.errstate is None and item.value.key not in escapes:
                keys = {int(m.group(1)) for m in _PLACEHOLDER.finditer(item.fresh)}
                if keys and all(self.t.values[k].kind == "constant" or k in self.folded for k in keys):
                    self.folded[item.value.key] = item
        for item in alive:   # a view of a buffer over nothing else is made once, with the buffer
            if isinstance(item, _Def) and item.value.view_of is not None and not item.then and item.errstate is None:
                keys = {int(m.group(1)) for m in _PLACEHOLDER.finditer(item.fresh)}
                if keys and all(k in self.buffers or k in self.views for k in keys):
                    self.views[item.value.key] = item

    # -- names

    def name(self, value: _Value) -> str:
        if not value.name:
            value.name = self.fresh_name(value.hint)
        return value.name

    def fresh_name(self, hint: str) -> str:
        base = re.sub(r"\W", "_", hint) or "v"
        if base[0].isdigit():
            base = "v" + base
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def tensor_name(self, value: _Value) -> str:
        key = f"tensor:{value.key}"
        if key not in self.tensor_names:
            if value.kind == "argument":
                name = self.fresh_name(self.name(value) + "_tensor")
            else:
                suffix = "_param" if value.obj._requires_grad else "_tensor"
                name = self.fresh_name(self.name(value) + suffix)
                self.namespace[name] = value.obj
            self.tensor_names[key] = name
        return self.tensor_names[key]

    def substitute(self, text: str) -> str:
        def name(match: re.Match[str]) -> str:
            value = self.t.values[int(match.group(1))]
            part = match.group(2)
            if part == "t":
                return self.tensor_name(value)
            if part == "g":
                known = self.grads.get(value.key)
                if isinstance(known, _Value):
                    return self.substitute(str(known))
                return f"{self.tensor_name(value)}._grad._array"
            if value.kind == "argument" or value.kind == "outside":
                self.read_arrays.setdefault(value.key, value)
            elif value.kind == "constant":
                self.namespace.setdefault(self.name(value), value.obj)
            return self.name(value)
        return _PLACEHOLDER.sub(name, text)

    # -- pass 3: the lines

    def program(self) -> Program:
        self.analyse()
        self.tensor_names: dict[str, str] = {}
        self.read_arrays: dict[int, _Value] = {}
        self.grads: dict[int, _Value | str] = {}   # leaf key -> what its .grad is now (absent: unknown)
        self.sweeps: set[int] = set()
        for value in self.t.arguments:   # the function's own argument names first
            self.name(value)
        for value in self.buffers.values():
            self.name(value)
        body: list[str] = []
        for item in self.chosen:
            body.extend(self.lines(item))
        returned = self.substitute(self.outputs)
        for item in self.views.values():
            self.name(item.value)
        head = self.head()
        for item in self.folded.values():
            self.name(item.value)
        held = [v.name for v in self.buffers.values()] + [d.value.name for d in self.views.values()] + list(self.extra_buffers)
        held += [d.value.name for d in self.folded.values()]
        if held:
            head.insert(0, _wrap(held, " = buffers   # allocated once, rewritten by every call"))
        params = ", ".join(self.parameter(v) for v in self.t.arguments)
        lines = [f"def {self.t.fn_name}({params}):",
                 f'    """{self.t.fn_name} as tinygrad_la.compile traced it: its ops written out in NumPy."""']
        lines += ["    " + physical for line in head + body for physical in line.split("\n")]
        lines.append(f"    return {returned}")
        source = "\n".join(lines) + "\n"
        for key, value in self.buffers.items():
            self.namespace[value.name] = np.empty(value.traced.shape, value.traced.dtype)
        self.namespace.update(self.extra_buffers)
        made_once = [self.substitute(item.fresh) for item in itertools.chain(self.folded.values(), self.views.values())]
        words = set(re.findall(r"[A-Za-z_]\w*", "\n".join([source] + made_once)))
        self.namespace.update({name: obj for name, obj in self.t.objects.items() if name in words})
        self.namespace.update(np=np, Tensor=Tensor, Sweep=engine.Sweep, bump=_bump, clock=_clock,
                              asarray=np.asarray, array=np.array, copyto=np.copyto, assign=_assign,
                              TwoStep=_TwoStep, unbroadcast=unbroadcast, Retrace=_Retrace, RunEagerly=_RunEagerly,
                              state_of=_state_of, class_targets_fit=_class_targets_fit)
        for key, item in itertools.chain(self.folded.items(), self.views.items()):   # made once
            self.namespace[item.value.name] = eval(self.substitute(item.fresh), self.namespace)   # noqa: S307
        self.namespace["buffers"] = tuple(self.namespace[name] for name in held)
        filename = f"<tinygrad_la.compile {self.t.fn_name} {hash(source) & 0xFFFFFFFF:08x}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)   # tracebacks show it
        exec(_code(source, filename), self.namespace)   # noqa: S102 (our own generated code)
        return Program(self.namespace[self.t.fn_name], source, _structure[0], self.fallbacks)

    def head(self) -> list[str]:
        """The arguments' and weights' arrays, and the checks that this call fits the program."""
        lines: list[str] = []
        kinds, checked, traced, unwrap = [], [], [], []
        for value in self.t.arguments:   # what _signature keys a program by, checked in place
            param, arg = self.parameter(value), value.obj
            if isinstance(arg, Tensor):
                kinds.append(f"isinstance({param}, Tensor)")
                checked.append(f"{param}._array.shape, {param}._array.dtype, {param}._requires_grad")
                traced += [arg._array.shape, arg._array.dtype, arg._requires_grad]
                if value.key in self.read_arrays:
                    unwrap.append((value.name, f"{param}._array"))
            elif isinstance(arg, np.ndarray):
                kinds.append(f"isinstance({param}, np.ndarray)")
                checked.append(f"{param}.shape, {param}.dtype")
                traced += [arg.shape, arg.dtype]
            else:
                checked.append(f"type({param}), {param}")
                traced += [type(arg), arg]
        outside = [v for v in self.read_arrays.values() if v.kind == "outside"]
        if kinds:
            lines += [f"if not ({' and '.join(kinds)}):", "    raise Retrace"]
        if outside:
            lines.append(f"{', '.join(v.name for v in outside)} = "
                         f"{', '.join(self.tensor_name(v) + '._array' for v in outside)}")
            checked += [f"{v.name}.shape, {v.name}.dtype, {self.tensor_name(v)}._requires_grad" for v in outside]
            traced += [x for v in outside for x in (v.traced.shape, v.traced.dtype, v.obj._requires_grad)]
        if checked:
            self.namespace["traced"] = tuple(traced)
            lines.append("# the arguments and weights as traced: shapes, dtypes, requires_grad (else trace again)")
            lines.append(_wrap(checked, ") != traced:", opening="if (", closing=""))
            lines.append("    raise Retrace")
        if unwrap:
            lines.append(f"{', '.join(n for n, _ in unwrap)} = {', '.join(e for _, e in unwrap)}")
        for guard in self.t.optimizers.values():
            lines += self.optimizer_check(guard)
        for line in self.t.guards:
            lines.append(self.substitute(line))
        return lines

    def optimizer_check(self, guard: _OptimizerGuard) -> list[str]:
        """The optimizer as traced: the same group dicts holding the same parameters, the same options
        (the plain case, checked in line); anything else goes to guard.check(), which checks changed
        options as step() does and has the step traced again if its code would change."""
        name = self.object_name(guard.optimizer, "optimizer")
        self.namespace[f"{name}_guard"] = guard
        groups = self.fresh_name(f"{name}_groups")
        lines = [f"{groups} = {name}.param_groups   # as traced: the same groups, parameters, options"]
        tests = [f"len({groups}) != {len(guard.groups)}"]
        for i, (group, params) in enumerate(zip(guard.groups, guard.params)):
            g = self.object_name(group, f"{name}_group{i}")
            held = self.fresh_name(f"{name}_params{i}")
            lines.append(f"{held} = {g}['params']")
            tests += [f"{groups}[{i}] is not {g}", f"{name}_guard.keys({g}) != {name}_guard.options[{i}]",
                      f"len({held}) != {len(params)}"]
            tests += [f"{held}[{j}] is not {self.tensor_name(self.t.tensor_values[id(p)])}" for j, p in enumerate(params)]
        lines.append(_wrap(tests, ":", opening="if (", closing=")", separator=" or"))
        lines.append(f"    {name}_guard.check()   # something changed: checked as step() would, or traced again")
        return lines

    def parameter(self, value: _Value) -> str:
        """The name of an argument in the function's signature: its array's name (X = X._array after
        the checks), or X_tensor where the program refers to the tensor itself (its .grad)."""
        return self.tensor_names.get(f"tensor:{value.key}", value.name)

    def object_name(self, obj: Any, hint: str) -> str:
        for name, held in self.namespace.items():
            if held is obj:
                return name
        name = self.fresh_name(self.t.scope.get(id(obj), hint))
        self.namespace[name] = obj
        return name

    def lines(self, item: _Step | _Statement) -> list[str]:
        if isinstance(item, _Def):
            return self.def_lines(item)
        if isinstance(item, _Text):
            if item.clobbers_grads:
                self.grads.clear()
            return [self.substitute(item.text)]
        if isinstance(item, _Accumulate):
            return self.accumulate_lines(item)
        if isinstance(item, _GradNone):
            targets = [self.leaf_name(leaf) for leaf in item.leaves]
            for leaf in item.leaves:
                if isinstance(leaf, _Value):
                    self.grads[leaf.key] = _NONE
            lines = [" = ".join(f"{t}._grad" for t in targets) + " = None"]
            if item.optimizer is not None:
                lines.insert(0, f"# {self.object_name(item.optimizer, 'optimizer')}.zero_grad()")
            return lines
        assert isinstance(item, _OptimizerStep)
        return _write_step(self, item)

    def leaf_name(self, leaf: _Value | str) -> str:
        return self.tensor_name(leaf) if isinstance(leaf, _Value) else leaf

    def def_lines(self, item: _Def) -> list[str]:
        value = item.value
        if value.key in self.views or value.key in self.folded:
            self.name(value)
            self.substitute(item.fresh)   # (names what it reads)
            return []
        if value.key in self.buffers:
            first = self.substitute(item.out.replace(_OUT, str(value)) if item.out else "")
        else:
            first = f"{self.name(value)} = {self.substitute(item.fresh)}"
        lines = [first] + [self.substitute(line) for line in item.then]
        if item.errstate is not None:
            return [f"with np.errstate({item.errstate}):"] + ["    " + line for line in lines]
        return lines

    def accumulate_lines(self, item: _Accumulate) -> list[str]:
        """Into .grad as Tensor._accumulate does: a fresh array of the program's own is adopted
        where the .grad is known to be None; anything else goes through _accumulate itself."""
        grad, leaf = item.grad, item.leaf
        known = self.grads.get(leaf.key) if isinstance(leaf, _Value) else None
        definition = self.defined.get(grad.key)
        if (known == _NONE and isinstance(leaf, _Value) and grad.owns and definition is not None
                and grad.key not in self.buffers and self.uses.get(grad.key) == 1
                and isinstance(grad.traced, np.ndarray) and grad.traced.dtype == leaf.traced.dtype):
            self.grads[leaf.key] = grad
            return [f"{self.tensor_name(leaf)}._grad = Tensor._make({self.name(grad)}, None)"]
        lines = []
        if item.sweep not in self.sweeps:
            self.sweeps.add(item.sweep)
            lines.append("sweep = Sweep(False, True)   # the leaves' .grad, as the engine adds into them")
        expr = self.substitute(str(grad)) + (".copy()" if grad.kind == "constant" else "")
        lines.append(f"{self.leaf_name(leaf)}._accumulate({expr}, sweep)")
        if isinstance(leaf, _Value):
            self.grads[leaf.key] = _PRESENT
        return lines


@functools.lru_cache(maxsize=512)
def _code(source: str, filename: str) -> Any:
    """The code object of generated text: the same step traced again (a new model, a new compile())
    writes the same text, so it is compiled once."""
    return builtins.compile(source, filename, "exec")


def _wrap(names: list[str], tail: str, width: int = 100, opening: str = "", closing: str = "",
          separator: str = ",") -> str:
    """``a, b, c`` + tail, wrapped in parentheses over lines of at most `width` when long."""
    rows, row = [], ""
    for name in names:
        if row and len(row) + len(name) + 2 > width - 12:
            rows.append(row + separator)
            row = ""
        row = f"{row}{separator} {name}" if row else name
    rows.append(row)
    if len(rows) == 1 and not opening:
        return rows[0] + ("," if len(names) == 1 else "") + tail
    opening = opening or "("
    return opening + ("\n" + " " * len(opening)).join(rows) + (closing or (")" if opening == "(" else "")) + tail


# --- the emitters: each op kind's forward and backward as NumPy text --------------------------------

class OpText:
    """What an emitter writes one traced op's forward with.

    ``x[i]``: input i as text («7» for an array, a literal for a Python number; None when it is
    neither and so cannot be written out); ``arrays[i]``: its traced value; ``out``: the op's result;
    ``ctx``: the op's node as traced (needs_input_grad, and what forward stored on it). The emitter
    appends statements with `define` and returns True, or False to leave the op to its own forward.
    """

    def __init__(self, tracer: Tracer, ctx: Function, args: tuple[Any, ...], exprs: list[str], out: _Value) -> None:
        self.tracer, self.out = tracer, out
        self.ctx: Any = ctx   # an instance of the op's class, with whatever its forward stored on it
        self.arrays = [a._array if isinstance(a, TensorBase) else a for a in args]
        self.x: list[str | None] = [_input_text(a, e) for a, e in zip(self.arrays, exprs)]
        self.needs = ctx.needs_input_grad
        self.body: list[_Statement] = []
        self.kept: dict[str, _Value] = {}   # values its backward reads (a ReLU's mask)

    def define(self, hint: str | _Value, fresh: str, out: str | None = None, *, view_of: _Value | None = None,
               then: tuple[str, ...] = (), errstate: str | None = None) -> _Value:
        """``value = fresh`` (or, into a buffer, `out` with «out» for it), then the `then` lines."""
        value = hint if isinstance(hint, _Value) else self.tracer._new_value(hint, "computed")
        value.view_of, value.owns = view_of, view_of is None
        self.body.append(_Def(value, fresh, out, list(then), errstate))
        return value

    def floats(self, *indices: int) -> bool:
        """Are these inputs float arrays (the op computes in their dtype, without casting them)?"""
        return all(isinstance(self.arrays[i], np.ndarray) and self.arrays[i].dtype.kind == "f"
                   and self.x[i] is not None for i in indices)


class GradText(OpText):
    """What an emitter writes one node's backward with: ``g`` (the gradient reaching the op's output),
    ``fwd`` (the OpText its forward was written with: its inputs, result and kept values), ``raw``
    (what the op's own backward returned, per input). `give(i, value)` hands input i its gradient;
    undoing broadcasting is not the emitter's work (`finish` does it, as Function._backprop)."""

    def __init__(self, tracer: Tracer, node: Function, fwd: OpText, g: _Value, raw: tuple[Any, ...]) -> None:
        self.tracer, self.fwd, self.g, self.raw = tracer, fwd, g, raw
        self.ctx = node
        self.x, self.arrays, self.out, self.kept = fwd.x, fwd.arrays, fwd.out, fwd.kept
        self.needs = node.needs_input_grad
        self.body = []
        self.given: dict[int, _Value] = {}

    def give(self, i: int, value: _Value) -> None:
        """Input i's gradient is `value` (at the shape the op's own backward gives it)."""
        self.given[i] = value

    def finish(self, value: _Value, shape: tuple[int, ...], target: tuple[int, ...]) -> _Value | None:
        """Input i's gradient at its input's shape: unbroadcast as core.function.unbroadcast does."""
        if shape == target:
            return value
        extra = len(shape) - len(target)
        hint = value.hint + "_summed"
        if extra < 0:
            return self.define(hint, f"unbroadcast({value}, {target!r})")
        axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(target) if n == 1 and shape[extra + i] != 1)
        summed = list(shape)
        if axes:
            value = _reduce(self, hint, "add", str(value), repr(axes), "True")
            summed = [1 if i in axes else n for i, n in enumerate(shape)]
        if tuple(summed) != target:
            if math.prod(summed) != math.prod(target):
                return None
            value = self.define(hint.replace("_summed", "_reshaped"), f"{value}.reshape({target!r})", view_of=value)
        return value


def _axes_text(axes: Any) -> str | None:
    """A reduction's axes as text (None: all of them), or None when they are not plain ints."""
    if axes is None:
        return "None"
    if isinstance(axes, tuple) and all(type(a) is int for a in axes):
        return repr(axes)
    return None


def _input_text(value: Any, expr: str) -> str | None:
    """An op's input as an emitter writes it: the value's placeholder, a constant array's name, or a literal."""
    if type(value) in (int, float) and math.isfinite(value) or type(value) in (bool, str) or value is None:
        return repr(value)
    if isinstance(value, np.ndarray) and (_PLACEHOLDER.fullmatch(expr) or re.fullmatch(r"k\d+", expr)):
        return expr
    return None


class Emitter:
    """One op kind written as NumPy text: its forward and its backward, side by side."""

    def __init__(self, forward: Callable[[OpText], bool], backward: Callable[[GradText], bool]) -> None:
        self.forward, self.backward = forward, backward


EMITTERS: dict[type[Function], Emitter] = {}


def _emits(*kinds: type[Function]) -> Callable[[type], type]:
    """Register a class of two static methods, forward(t) and backward(t), for these op kinds."""
    def register(cls: type) -> type:
        for kind in kinds:
            EMITTERS[kind] = Emitter(cls.forward, cls.backward)   # type: ignore[attr-defined]
        return cls
    return register


def _ufunc(t: OpText, hint: str | _Value, name: str, *operands: str, fresh: str) -> _Value:
    """A NumPy ufunc call: `fresh` as written in the op, or np.<name>(operands..., out=buffer)."""
    return t.define(hint, fresh, f"np.{name}({', '.join(operands)}, out={_OUT})")


def _binary(t: OpText, name: str, symbol: str) -> bool:
    """The forward of x <symbol> y as np.<name> into the output's buffer (False: an operand cannot be written)."""
    x, y = t.x
    if x is None or y is None:
        return False
    _ufunc(t, t.out, name, x, y, fresh=f"{x} {symbol} {y}")
    return True


def _unary(t: OpText, name: str) -> bool:
    """The forward of np.<name>(x) of a float input into the output's buffer (False: the input is not a float array)."""
    if not t.floats(0):
        return False
    _ufunc(t, t.out, name, str(t.x[0]), fresh=f"np.{name}({t.x[0]})")
    return True


def _reduce(t: OpText, hint: str | _Value, ufunc: str, x: str, axis: str, keepdims: str) -> _Value:
    """x.sum(axis, keepdims) (x.max(...) for "maximum") as NumPy computes it underneath, np.add.reduce:
    the same sum without the method's Python wrapper."""
    keep = ", keepdims=True" if keepdims == "True" else ""
    return t.define(hint, f"np.{ufunc}.reduce({x}, axis={axis}{keep})",
                    f"np.{ufunc}.reduce({x}, axis={axis}{keep}, out={_OUT})")


def _d(t: GradText, i: int) -> str:
    """The name input i's gradient gets (dW0 for the weight W0)."""
    expr = t.x[i] or ""
    match = _PLACEHOLDER.fullmatch(expr)
    return "d" + t.tracer.values[int(match.group(1))].hint if match and not match.group(2) else "d_input"


# The op kinds whose result gets a name of its own (the rest are named after their class)
_HINTS: dict[type, str] = {reductions.Sum: "total", reductions.SumDims: "total", fused.SquaredError: "loss", fused.NegativeLogLikelihood: "loss",
                           reductions.LogSoftmax: "logp", elementwise.PowByNumber: "power"}


@_emits(elementwise.Add)
class _Add:
    """x + y;  dx = g,  dy = g"""

    @staticmethod
    def forward(t: OpText) -> bool:
        return _binary(t, "add", "+")

    @staticmethod
    def backward(t: GradText) -> bool:
        t.give(0, t.g)
        t.give(1, t.g)
        return True


@_emits(elementwise.Sub, elementwise.Rsub)
class _Sub:
    """x - y;  dx = g,  dy = -g"""

    @staticmethod
    def forward(t: OpText) -> bool:
        return _binary(t, "subtract", "-")

    @staticmethod
    def backward(t: GradText) -> bool:
        t.give(0, t.g)
        if t.needs[1]:
            t.give(1, _ufunc(t, _d(t, 1), "negative", str(t.g), fresh=f"-{t.g}"))
        return True


@_emits(elementwise.Mul)
class _Mul:
    """x * y;  dx = g·y,  dy = g·x"""

    @staticmethod
    def forward(t: OpText) -> bool:
        return _binary(t, "multiply", "*")

    @staticmethod
    def backward(t: GradText) -> bool:
        x, y = t.x
        g = str(t.g)
        if t.needs[0]:
            t.give(0, _ufunc(t, _d(t, 0), "multiply", g, str(y), fresh=f"{g} * {y}"))
        if t.needs[1]:
            t.give(1, _ufunc(t, _d(t, 1), "multiply", g, str(x), fresh=f"{g} * {x}"))
        return True


@_emits(elementwise.Div)
class _Div:
    """x / y;  dx = g / y,  dy = -g·x / y²"""

    @staticmethod
    def forward(t: OpText) -> bool:
        return _binary(t, "divide", "/")

    @staticmethod
    def backward(t: GradText) -> bool:
        x, y = t.x
        g = str(t.g)
        if t.needs[0]:
            t.give(0, _ufunc(t, _d(t, 0), "divide", g, str(y), fresh=f"{g} / {y}"))
        if t.needs[1]:
            t.give(1, t.define(_d(t, 1), f"-{g} * {x} / ({y} * {y})"))
        return True


@_emits(elementwise.Neg)
class _Neg:
    """-x;  dx = -g"""

    @staticmethod
    def forward(t: OpText) -> bool:
        x, = t.x
        if x is None:
            return False
        _ufunc(t, t.out, "negative", x, fresh=f"-{x}")
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        t.give(0, _ufunc(t, _d(t, 0), "negative", str(t.g), fresh=f"-{t.g}"))
        return True


@_emits(elementwise.Exp)
class _Exp:
    """e^x;  dx = g·e^x"""

    @staticmethod
    def forward(t: OpText) -> bool:
        return _unary(t, "exp")

    @staticmethod
    def backward(t: GradText) -> bool:
        t.give(0, _ufunc(t, _d(t, 0), "multiply", str(t.g), str(t.out), fresh=f"{t.g} * {t.out}"))
        return True


@_emits(elementwise.Log)
class _Log:
    """log x;  dx = g / x"""

    @staticmethod
    def forward(t: OpText) -> bool:
        return _unary(t, "log")

    @staticmethod
    def backward(t: GradText) -> bool:
        t.give(0, _ufunc(t, _d(t, 0), "divide", str(t.g), str(t.x[0]), fresh=f"{t.g} / {t.x[0]}"))
        return True


@_emits(elementwise.Tanh)
class _Tanh:
    """tanh x;  dx = g·(1 - tanh²x)"""

    @staticmethod
    def forward(t: OpText) -> bool:
        return _unary(t, "tanh")

    @staticmethod
    def backward(t: GradText) -> bool:
        t.give(0, t.define(_d(t, 0), f"{t.g} * (1 - {t.out} * {t.out})"))
        return True


@_emits(elementwise.ReLU)
class _ReLU:
    """H = max(0, Z), active = H != 0;  dZ = dH·active"""

    @staticmethod
    def forward(t: OpText) -> bool:
        x, = t.x
        if x is None:
            return False
        out = _ufunc(t, t.out, "maximum", x, "0", fresh=f"np.maximum({x}, 0)")
        t.kept["active"] = _ufunc(t, out.hint + "_active", "not_equal", str(out), "0", fresh=f"{out} != 0")
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        active = t.kept["active"]
        t.give(0, _ufunc(t, _d(t, 0), "multiply", str(t.g), str(active), fresh=f"{t.g} * {active}"))
        return True


@_emits(elementwise.PowByNumber)
class _PowByNumber:
    """x ** c for a number c;  dx = g·(c·x^(c-1))  (0 for c = 0)"""

    @staticmethod
    def forward(t: OpText) -> bool:
        x, c = t.x
        if not t.floats(0) or type(t.arrays[1]) not in (int, float):
            return False
        _ufunc(t, t.out, "power", str(x), str(c), fresh=f"np.power({x}, {c})")
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        x, c = t.x[0], t.arrays[1]
        if c == 0:
            return False
        t.give(0, t.define(_d(t, 0), f"{t.g} * ({c!r} * {x} ** {c - 1!r})",
                           errstate="divide='ignore', invalid='ignore'"))
        return True


@_emits(reductions.Sum, reductions.SumDims)
class _Sum:
    """Σ x over axes;  dx = g copied back along the summed axes"""

    @staticmethod
    def forward(t: OpText) -> bool:
        x, keep, axes = t.x[0], t.x[2], _axes_text(t.arrays[1])
        if x is None or axes is None or keep is None:
            return False
        _reduce(t, t.out, "add", x, axes, keep)
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        ctx = t.ctx
        shaped = t.define(t.g.hint + "_kept", f"{t.g}.reshape({ctx.keep_shape!r})", view_of=t.g)
        t.give(0, t.define(_d(t, 0), f"np.broadcast_to({shaped}, {ctx.in_shape!r})", view_of=shaped))
        return True


@_emits(reductions.Mean, reductions.MeanDims)
class _Mean:
    """Σ x / N over axes;  dx = g / N copied back along the reduced axes"""

    @staticmethod
    def forward(t: OpText) -> bool:
        x, keep, axes = t.x[0], t.x[2], _axes_text(t.arrays[1])
        if x is None or axes is None or keep is None:
            return False
        total = _reduce(t, t.out.hint + "_sum", "add", x, axes, keep)
        _ufunc(t, t.out, "divide", str(total), repr(t.ctx.count), fresh=f"{total} / {t.ctx.count!r}")
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        ctx = t.ctx
        shared = t.define(t.g.hint + "_share", f"{t.g}.reshape({ctx.keep_shape!r}) / {ctx.count!r}")
        t.give(0, t.define(_d(t, 0), f"np.broadcast_to({shared}, {ctx.in_shape!r})", view_of=shared))
        return True


@_emits(linalg.Mm)
class _MatMul:
    """A @ B of matrices;  dA = G Bᵀ,  dB = Aᵀ G"""

    @staticmethod
    def forward(t: OpText) -> bool:
        a, b = t.x
        if not t.floats(0, 1) or t.arrays[0].ndim != 2 or t.arrays[1].ndim != 2:
            return False
        _ufunc(t, t.out, "matmul", str(a), str(b), fresh=f"{a} @ {b}")
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        a, b = t.x
        g = str(t.g)
        if t.needs[0]:
            t.give(0, _ufunc(t, _d(t, 0), "matmul", g, f"{b}.swapaxes(-1, -2)", fresh=f"{g} @ {b}.swapaxes(-1, -2)"))
        if t.needs[1]:
            t.give(1, _ufunc(t, _d(t, 1), "matmul", f"{a}.swapaxes(-1, -2)", g, fresh=f"{a}.swapaxes(-1, -2) @ {g}"))
        return True


@_emits(fused.Addmm, fused.LinearNoBias)
class _Linear:
    """Z = X Wᵀ + 1 bᵀ;  dX = dZ W,  dW = dZᵀ X,  db = 1ᵀ dZ"""

    @staticmethod
    def forward(t: OpText) -> bool:
        x, w, b = t.x
        if not t.floats(0, 1) or t.arrays[0].ndim != 2 or t.arrays[0].dtype != t.arrays[1].dtype or b is None:
            return False
        then = () if t.arrays[2] is None else (f"{t.out} += {b}",)
        t.define(t.out, f"{x} @ {w}.T", f"np.matmul({x}, {w}.T, out={_OUT})", then=then)
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        x, w, _ = t.x
        g = str(t.g)
        if t.needs[0]:
            t.give(0, _ufunc(t, _d(t, 0), "matmul", g, str(w), fresh=f"{g} @ {w}"))
        if t.needs[1]:
            t.give(1, _ufunc(t, _d(t, 1), "matmul", f"{g}.T", str(x), fresh=f"{g}.T @ {x}"))
        if t.needs[2]:
            t.give(2, _reduce(t, _d(t, 2), "add", g, "0", "False"))
        return True


@_emits(fused.SquaredError)
class _SquaredError:
    """E = x - y, loss = mean(E²) = (E·E)/N;  dx = E·(g·2/N),  dy = -dx"""

    @staticmethod
    def forward(t: OpText) -> bool:
        x, y = t.x[0], t.x[1]
        if not t.floats(0, 1) or t.ctx.count == 0:
            return False
        e = t.kept["E"] = _ufunc(t, "E", "subtract", str(x), str(y), fresh=f"{x} - {y}")
        if t.arrays[2] == "none":
            _ufunc(t, t.out, "multiply", str(e), str(e), fresh=f"{e} * {e}")
            return True
        flat = t.define("E_flat", f"{e}.reshape(-1)", view_of=e)
        total = f"{flat} @ {flat}"
        t.define(t.out, total if t.arrays[2] == "sum" else f"{total} / {t.ctx.count!r}")
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        scale = 2 / t.ctx.count if t.ctx.reduction == "mean" else 2
        e = t.kept["E"]
        g = t.define(f"{t.g.hint}_scaled", f"{t.g} * {scale!r}")   # g·2/N
        dx = _ufunc(t, _d(t, 0), "multiply", str(e), str(g), fresh=f"{e} * {g}")
        t.give(0, dx)
        if t.needs[1]:
            t.give(1, _ufunc(t, _d(t, 1), "negative", str(dx), fresh=f"-{dx}"))
        return True


@_emits(reductions.LogSoftmax)
class _LogSoftmax:
    """log p = s - log Σ e^(s - max s) - ... ;  ds = g - p·Σ g"""

    @staticmethod
    def forward(t: OpText) -> bool:
        s, _ = t.x
        if not t.floats(0):
            return False
        axis = repr(t.ctx.axis)
        top = _reduce(t, f"{t.out.hint}_max", "maximum", str(s), axis, "True")
        shifted = _ufunc(t, f"{t.out.hint}_shifted", "subtract", str(s), str(top), fresh=f"{s} - {top}")
        exps = _ufunc(t, f"{t.out.hint}_exp", "exp", str(shifted), fresh=f"np.exp({shifted})")
        total = _reduce(t, f"{t.out.hint}_sumexp", "add", str(exps), axis, "True")
        logs = _ufunc(t, f"{t.out.hint}_logsumexp", "log", str(total), fresh=f"np.log({total})")
        _ufunc(t, t.out, "subtract", str(shifted), str(logs), fresh=f"{shifted} - {logs}")
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        axis, g = repr(t.ctx.axis), str(t.g)
        p = _ufunc(t, "P", "exp", str(t.out), fresh=f"np.exp({t.out})")
        nll = t.tracer.nll_grads.get(t.g.key)
        if nll is not None and t.ctx.axis in (1, -1) and t.arrays[0].ndim == 2:
            # g = -onehot(t)·q (the negative log-likelihood's gradient): each row sums to -q, so
            # g - P·Σg = P·q - onehot(t)·q, the same numbers in two passes instead of five
            q_rows, q_picked, rows, target = nll
            ds = t.tracer._new_value(_d(t, 0), "computed")
            t.define(ds, f"{p} * {q_rows}", f"np.multiply({p}, {q_rows}, out={_OUT})",
                     then=(f"{ds}[{rows}, {target}] -= {q_picked}",))
            t.give(0, ds)
            return True
        total = _reduce(t, f"{t.g.hint}_sum", "add", g, axis, "True")
        part = _ufunc(t, f"P_{t.g.hint}_sum", "multiply", str(p), str(total), fresh=f"{p} * {total}")
        t.give(0, _ufunc(t, _d(t, 0), "subtract", g, str(part), fresh=f"{g} - {part}"))
        return True


@_emits(fused.NegativeLogLikelihood)
class _NegativeLogLikelihood:
    """loss = -(1/N) Σᵢ logp[i, tᵢ];  dlogp = -onehot(t)·g/N  (no class weights, no ignored rows)"""

    @staticmethod
    def forward(t: OpText) -> bool:
        logp, target = t.x[0], t.x[1]
        ctx = t.ctx
        if (not t.floats(0) or target is None or t.arrays[2] is not None or ctx.kept is not None
                or ctx.row_weight is not None or len(ctx.target) == 0 or t.arrays[0].ndim != 2
                or type(t.arrays[3]) is not int):
            return False
        # the targets' range is checked first thing in a replay: they must be there before it starts
        # (an argument, a tensor from outside, an array the code gave) and not written in the step
        match = _PLACEHOLDER.fullmatch(target)
        if match and t.tracer.values[int(match.group(1))].kind not in ("argument", "outside"):
            return False
        if any(isinstance(step, _Text) and target in step.text for step in t.tracer.steps):
            return False
        t.tracer.guards.append(f"if not class_targets_fit({target}, {ctx.classes!r}, {t.arrays[3]!r}):   "
                               "# out of range, or ignored: the eager path checks and counts them")
        t.tracer.guards.append("    raise RunEagerly")
        rows = t.tracer._new_value("rows", "constant", np.arange(len(ctx.target)), np.arange(len(ctx.target)))
        t.kept["rows"] = rows
        picked = t.define("picked", f"{logp}[{rows}, {target}]")
        losses = _ufunc(t, "losses", "negative", str(picked), fresh=f"-{picked}")
        if ctx.reduction == "none":
            t.define(t.out, f"{losses}", view_of=losses)
        elif ctx.reduction == "sum":
            t.define(t.out, f"np.add.reduce({losses}, axis=None)")
        else:
            t.define(t.out, f"np.add.reduce({losses}, axis=None) / {ctx.denominator!r}")
        return True

    @staticmethod
    def backward(t: GradText) -> bool:
        ctx, g = t.ctx, str(t.g)
        rows, target = t.kept["rows"], t.x[1]
        n, classes = len(ctx.target), ctx.classes
        onehot = t.tracer._new_value("minus_onehot", "computed")
        t.define(onehot, f"np.zeros(({n}, {classes}), dtype=np.{np.dtype(ctx.dtype).name})", f"{_OUT}.fill(0)",
                 then=(f"{onehot}[{rows}, {target}] = -1",))                 # dℓᵢ/dlogp[i, tᵢ] = -1
        if ctx.reduction == "none":
            scaled = f"{g}.reshape(-1, 1)"
        elif ctx.reduction == "mean":
            scaled = str(t.define(f"{t.g.hint}_share", f"{g} / {ctx.denominator!r}"))   # g/N
        else:
            scaled = g
        dlogp = _ufunc(t, _d(t, 0), "multiply", str(onehot), scaled, fresh=f"{onehot} * {scaled}")
        t.tracer.nll_grads[dlogp.key] = (scaled, g if ctx.reduction == "none" else scaled, str(rows), str(target))
        t.give(0, dlogp)
        return True


def _class_targets_fit(target: np.ndarray, classes: int, ignore_index: int) -> bool:
    """Is every target a class index in [0, classes) and none of them ignore_index (the path the
    negative log-likelihood was written out for)?"""
    low, high = target.min(), target.max()
    if low < 0 or high >= classes:
        return False
    return not 0 <= ignore_index < classes or not (target == ignore_index).any()


# --- the optimizers written out ---------------------------------------------------------------------

def _written_out(optimizer: Optimizer) -> bool:
    """Is this optimizer's step one the program writes out (plain SGD or Adam(W), no amsgrad)?"""
    if type(optimizer) is SGD:
        return True
    return type(optimizer) in (Adam, AdamW) and not any(g["amsgrad"] for g in optimizer.param_groups)


def _switches(optimizer: Optimizer, group: dict[str, Any]) -> tuple[Any, ...]:
    """The options that shape an optimizer's written-out code (the others are numbers read each call)."""
    if type(optimizer) is SGD:
        return (group["momentum"] != 0, group["weight_decay"] != 0, bool(group["maximize"]),
                bool(group["nesterov"]), group["dampening"] == 0)
    return (group["weight_decay"] != 0, bool(group["maximize"]), bool(group["decoupled_weight_decay"]),
            bool(group["amsgrad"]))


class _OptimizerGuard:
    """What a program's written-out zero_grad and step assume of an optimizer: its parameter groups
    (the same dicts, the same parameters) and its switches. check() runs first in every replay.
    Options that only change numbers (a scheduler's lr) are read each call; when one changed since
    the last call it is checked as step() checks it (raising as step() would)."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.groups = list(optimizer.param_groups)
        self.params = [list(group["params"]) for group in self.groups]
        self.keys = _options_getter(tuple(optimizer.defaults))
        self.options = [self.keys(group) for group in self.groups]
        self.switches = [_switches(optimizer, group) for group in self.groups]

    def check(self) -> None:
        """Raise _Retrace unless the optimizer is as traced; validate options that changed."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.groups):
            raise _Retrace
        for i, (group, known, params) in enumerate(zip(groups, self.groups, self.params)):
            current = group["params"]
            if group is not known or len(current) != len(params) or not all(map(operator.is_, current, params)):
                raise _Retrace
            options = self.keys(group)
            if options != self.options[i]:
                self.optimizer._check_options(group, i)   # raises as step() would
                if _switches(self.optimizer, group) != self.switches[i]:
                    raise _Retrace
                self.options[i] = options


def _options_getter(keys: tuple[str, ...]) -> Callable[[dict[str, Any]], Any]:
    """group -> its options as a tuple (None when one is missing, which check() then reports as step() does)."""
    get = operator.itemgetter(*keys)

    def options(group: dict[str, Any]) -> Any:
        try:
            return get(group)
        except KeyError:
            return None
    return options


def _state_of(optimizer: Optimizer, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
    """optimizer.state[p], made as the optimizer's step makes it when missing (Optimizer._apply)."""
    state = optimizer.state
    p_state = state.get(p)
    if p_state is None or (not p_state and optimizer._required_state):
        p_state = state[p] = optimizer._init_state(p, group)
    return p_state


def _write_step(w: _Writer, step: _OptimizerStep) -> list[str]:
    """optimizer.step() as Optimizer._apply runs it: group by group, parameter by parameter, with
    np.errstate(all='ignore') (an overflow gives inf, never stops an update halfway)."""
    guard = step.guard
    opt = w.object_name(guard.optimizer, "optimizer")
    kind = type(guard.optimizer).__name__
    lines = [f"# {opt}.step(): {kind}, its options read from its param groups on every call"]
    opening, closing = _ignoring_errors(w)
    lines += opening
    body: list[str] = []
    for i, (group, params) in enumerate(zip(guard.groups, step.params)):
        g = w.object_name(group, f"{opt}_group{i}")
        switches = guard.switches[i]
        updates: list[tuple[_Value, str, bool]] = []   # (param, its grad's array, known to be there)
        for p in params:
            known = w.grads.get(p.key)
            if known == _NONE:
                continue
            if isinstance(known, _Value):
                updates.append((p, w.substitute(str(known)), True))
            else:
                updates.append((p, f"{w.tensor_name(p)}._grad._array", known == _PRESENT))
        if not updates:
            continue
        write = _write_sgd if type(guard.optimizer) is SGD else _write_adam
        body += write(w, opt, g, switches, updates)
    body.append(f"{opt}._step_count += 1")
    return lines + ["    " + line for line in body] + closing


def _ignoring_errors(w: _Writer) -> tuple[list[str], list[str]]:
    """The lines around an optimizer step that ignore floating point errors, as Optimizer.step does
    (np.errstate(all='ignore'): an overflow gives inf, never stops an update halfway)."""
    w.namespace.update(float_errors=float_errors)
    return (["errors = float_errors.ignore()   # np.errstate(all='ignore'), as Optimizer.step", "try:"],
            ["finally:", "    float_errors.restore(errors)"])


def _param_lines(w: _Writer, p: _Value, grad: str, present: bool, update: list[str]) -> list[str]:
    """One parameter's update (skipped, as in step(), when its .grad may be None), then its version bump."""
    lines = update + [f"bump({w.tensor_name(p)})"]
    if present:
        return lines
    return [f"if {w.tensor_name(p)}._grad is not None:"] + ["    " + line for line in lines]


def _write_sgd(w: _Writer, opt: str, g: str, switches: tuple[Any, ...],
               updates: list[tuple[_Value, str, bool]]) -> list[str]:
    """SGD._update, line for line: θ ← θ − η g (with weight decay, momentum, Nesterov as switched)."""
    momentum, weight_decay, maximize, nesterov, no_dampening = switches
    lr = w.fresh_name("lr")
    lines = [f"{lr} = {g}['lr']"]
    names = {}
    for option, used in (("momentum", momentum), ("weight_decay", weight_decay), ("dampening", momentum and not no_dampening)):
        if used:
            names[option] = w.fresh_name(option)
            lines.append(f"{names[option]} = {g}[{option!r}]")
    state = w.fresh_name(f"{opt}_state")
    lines.append(f"{state} = {opt}.state")
    for p, grad, present in updates:
        W, P = w.substitute(str(p)), w.tensor_name(p)
        if present and grad.endswith("._grad._array"):
            local = w.fresh_name("d" + W)
            update = [f"{local} = {grad}"]
            grad = local
        else:
            update = []
        owned = True
        if weight_decay:
            d_p = w.fresh_name(f"d{W}_decayed")
            update.append(f"{d_p} = np.multiply({W}, {names['weight_decay']})")
            update.append(f"np.subtract({d_p}, {grad}, out={d_p})" if maximize else f"np.add({grad}, {d_p}, out={d_p})")
        elif maximize:
            d_p = w.fresh_name(f"d{W}_negated")
            update.append(f"{d_p} = np.negative({grad})")
        else:
            d_p, owned = grad, False
        if momentum:
            p_state, buf = w.fresh_name(f"{W}_state"), w.fresh_name(f"{W}_momentum")
            added = d_p if no_dampening else f"(1 - {names['dampening']}) * {d_p}"
            update += [f"{p_state} = {state}.get({P})",
                       f"if {p_state} is None:",
                       f"    {p_state} = state_of({opt}, {P}, {g})",
                       f"{buf} = {p_state}.get('momentum_buffer')",
                       f"if {buf} is None:   # the first step: b = g",
                       f"    {buf} = {p_state}['momentum_buffer'] = Tensor._make({d_p}.astype({W}.dtype, copy=True), None)",
                       "else:              # b = μ b + (1 − τ) g",
                       f"    {buf}_array = {buf}._array",
                       f"    {buf}_array *= {names['momentum']}",
                       f"    {buf}_array += {added}"]
            if nesterov:
                step = w.fresh_name(f"d{W}_nesterov")
                update += [f"{step} = np.multiply({buf}._array, {names['momentum']})",
                           f"np.add({d_p}, {step}, out={step})"]
                d_p, owned = step, True
            else:
                d_p, owned = f"{buf}._array", False
        else:
            update += [f"if {P} not in {state}:",
                       f"    {state}[{P}] = {{}}"]
        if owned:
            update += [f"np.multiply({d_p}, {lr}, out={d_p})", f"np.subtract({W}, {d_p}, out={W})"]
        else:
            update.append(f"{W} -= {lr} * {d_p}")
        lines += _param_lines(w, p, grad, present, update)
    return lines


def _write_adam(w: _Writer, opt: str, g: str, switches: tuple[Any, ...],
                updates: list[tuple[_Value, str, bool]]) -> list[str]:
    """Adam._update, line for line: the running moments m and v, then the bias-corrected step."""
    weight_decay, maximize, decoupled, _ = switches
    lr, eps, decay, beta1, beta2 = (w.fresh_name(n) for n in ("lr", "eps", "weight_decay", "beta1", "beta2"))
    lines = [f"{lr}, {eps}, {decay} = {g}['lr'], {g}['eps'], {g}['weight_decay']",
             f"{beta1}, {beta2} = {g}['betas']"]
    state = w.fresh_name(f"{opt}_state")
    lines.append(f"{state} = {opt}.state")
    for p, grad, present in updates:
        W, P = w.substitute(str(p)), w.tensor_name(p)
        p_state, m, v, t, scratch = (w.fresh_name(f"{n}_{W}") for n in ("state", "m", "v", "t", "scratch"))
        update = []
        if present and grad.endswith("._grad._array"):
            local = w.fresh_name("d" + W)
            update.append(f"{local} = {grad}")
            grad = local
        update += [f"{p_state} = {state}.get({P})",
                   f"if not {p_state}:",
                   f"    {p_state} = state_of({opt}, {P}, {g})",
                   f"{m}, {v} = {p_state}['exp_avg']._array, {p_state}['exp_avg_sq']._array",
                   f"{p_state}['step'] = {t} = {p_state}['step'] + 1"]
        if maximize:
            negated = w.fresh_name(f"d{W}_negated")
            update.append(f"{negated} = np.negative({grad})")
            grad = negated
        if weight_decay:
            if decoupled:
                update.append(f"{W} *= 1 - {lr} * {decay}                 # AdamW: θ ← θ (1 − η λ)")
            else:
                decayed = w.fresh_name(f"d{W}_decayed")
                update.append(f"{decayed} = {grad} + {decay} * {W}")
                grad = decayed
        buffer = isinstance(p.traced, np.ndarray) and p.traced.flags.c_contiguous
        if buffer:   # the one scratch array a step needs: Adam allocates it, the program keeps one
            w.extra_buffers[scratch] = np.empty(p.traced.shape, p.traced.dtype)
            update.append(f"np.subtract({grad}, {m}, out={scratch})")
        else:
            update.append(f"{scratch} = np.subtract({grad}, {m})")
        update += [f"{scratch} *= 1 - {beta1}",
                   f"{m} += {scratch}                           # m ← m + (1 − β₁)(g − m)",
                   f"{v} *= {beta2}",
                   f"np.multiply({grad}, {grad}, out={scratch})",
                   f"{scratch} *= 1 - {beta2}",
                   f"{v} += {scratch}                           # v ← β₂ v + (1 − β₂) g²",
                   f"{scratch}_size = {lr} / (1 - {beta1} ** {t})",
                   f"np.sqrt({v}, out={scratch})",
                   f"{scratch} /= (1 - {beta2} ** {t}) ** 0.5",
                   f"{scratch} += {eps}",
                   f"np.divide({m}, {scratch}, out={scratch})",
                   f"{scratch} *= {scratch}_size",
                   f"{W} -= {scratch}"]
        lines += _param_lines(w, p, grad, present, update)
    return lines
