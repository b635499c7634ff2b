"""PyTorch's ``torch.autograd`` names: grad, backward, Function, and anomaly detection."""
from __future__ import annotations

from typing import Any

import numpy as np

from .core import engine
from .core.engine import _mode, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .core.function import Function
from .core.tensor_base import _seed_gradient
from .tensor import Tensor
from .value import value_grad

__all__ = ["Function", "Variable", "grad", "backward", "no_grad", "enable_grad", "inference_mode",
           "set_grad_enabled", "is_grad_enabled", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


class _VariableType(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor)   # every tensor is a Variable, as in PyTorch since 0.4


class Variable(metaclass=_VariableType):
    """The legacy ``torch.autograd.Variable(data, requires_grad=False)``: since PyTorch 0.4 it makes
    a plain tensor, which old tutorials still write; here too it returns a Tensor (no copy of a Tensor's data)."""

    def __new__(cls, data: Any, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # type: ignore[misc]
        tensor = data.detach() if isinstance(data, Tensor) else Tensor(data)
        if requires_grad:
            tensor.requires_grad_(True)
        return tensor


def _as_list(x: Any) -> list[Any]:
    return [x] if isinstance(x, (Tensor,)) or not isinstance(x, (list, tuple)) else list(x)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Any, ...]:
    """d(outputs)/d(inputs), returned instead of accumulated into ``.grad``.

    One gradient per input, of the input's shape: a Tensor (None for an unused input with
    ``allow_unused=True``), or a Value when the output is a Value.

    With ``create_graph=True`` the returned gradients are themselves differentiable
    (Hessian-vector products, gradient penalties, gradgradcheck).
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    if outputs and not isinstance(outputs[0], Tensor):
        if len(outputs) != 1:
            raise ValueError("autograd.grad on Values takes one output Value")
        return tuple(value_grad(outputs[0], inputs, create_graph=create_graph))
    seeds_given = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    if len(seeds_given) != len(outputs):
        raise ValueError(f"grad_outputs has {len(seeds_given)} entries but there are {len(outputs)} outputs")
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"output {i} of autograd.grad does not require grad: it was not computed "
                               "from a tensor with requires_grad=True (or was computed under no_grad())")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"input {i} of autograd.grad does not require grad; every input must be "
                               "a tensor with requires_grad=True that the outputs were computed from")
    seeds = [_seed_gradient(out, g, create_graph) for out, g in zip(outputs, seeds_given)]
    if retain_graph is None:
        retain_graph = create_graph
    results = engine.backward([out.grad_fn or out for out in outputs], seeds, retain_graph=retain_graph,
                              create_graph=create_graph, capture=[t.grad_fn or t for t in inputs])
    assert results is not None   # with capture= the engine returns the captured gradients
    grads: list[Tensor | None] = []
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"input {i} (shape {tuple(t.shape)}) was not used to compute the outputs, so it "
                                   "has no gradient. Pass allow_unused=True to get None for it.")
            grads.append(None)
        elif isinstance(g, Tensor):
            grads.append(g)
        else:
            if g.dtype != t.dtype:
                g = g.astype(t.dtype)
            grads.append(Tensor._make(g if g.flags.owndata and g.flags.writeable else np.array(g), None))
    return tuple(grads)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate the gradients of several outputs at once (``torch.autograd.backward``)."""
    tensors = _as_list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"tensor {i} passed to autograd.backward does not require grad: it was not "
                               "computed from a tensor with requires_grad=True (or was computed under "
                               "no_grad()), so there is nothing to differentiate")
    given = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
    if len(given) != len(tensors):
        raise RuntimeError(f"grad_tensors has {len(given)} entries but there are {len(tensors)} tensors")
    seeds = [_seed_gradient(t, g, create_graph) for t, g in zip(tensors, given)]
    if retain_graph is None:
        retain_graph = create_graph
    engine.backward([t.grad_fn or t for t in tensors], seeds, retain_graph=retain_graph,
                    create_graph=create_graph)


def set_detect_anomaly(mode: bool) -> None:
    """Check every gradient for nan/inf during backward and name the op that made it.

    Costs a finiteness check per op and a stack trace per recorded op; off by default.
    """
    _mode.anomaly = bool(mode)
    _mode.watching = _mode.anomaly or _mode.tracer is not None


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return _mode.anomaly


class detect_anomaly:
    """Context manager: anomaly detection on inside the block (see set_detect_anomaly)."""

    def __init__(self, check_nan: bool = True) -> None:
        self._target = bool(check_nan)

    def __enter__(self) -> None:
        self._previous = _mode.anomaly
        set_detect_anomaly(self._target)

    def __exit__(self, *exc: Any) -> None:
        set_detect_anomaly(self._previous)

