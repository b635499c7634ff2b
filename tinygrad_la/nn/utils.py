"""nn.utils: a model summary (layers, output shapes, parameter counts) and gradient clipping.

    >>> from tinygrad_la import nn
    >>> print(summary(nn.Sequential(nn.Flatten(), nn.Linear(784, 128)), (1, 28, 28)))
    Sequential summary, input shape (1, 28, 28)
    ===================================
    Layer (type)  Output Shape  Param #
    ===================================
    0 (Flatten)   (1, 784)            0
    1 (Linear)    (1, 128)      100,480
    ===================================
    Total params: 100,480
    Trainable params: 100,480
    Non-trainable params: 0

counts what 23.18 counts by hand: Linear(784, 128) has 128·784 weights and 128 biases, 100,480.
"""
from __future__ import annotations

import math
import types
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..creation import zeros
from ..core.engine import _mode, no_grad
from ..core.version import bump as _bump
from ..ops.movement import cat
from ..tensor import Tensor
from .module import Module

__all__ = ["summary", "Summary", "SummaryRow", "clip_grad_norm_", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters"]


@dataclass
class SummaryRow:
    """One row of a Summary: a module's name, its type, its output shape, its own parameters."""
    name: str             # dotted name in the model ("0", "encoder.1"), "" for the model itself
    type: str             # class name ("Linear")
    output_shape: Any     # shape of the output (a tuple, or a list of them for several outputs)
    num_params: int       # the module's own parameters (not its children's)


@dataclass
class Summary:
    """What summary() returns: print it for the table; the numbers are attributes."""

    model_name: str
    input_shape: tuple[int, ...]
    rows: list[SummaryRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    @property
    def non_trainable_params(self) -> int:
        """Parameters that training leaves alone (requires_grad=False)."""
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        header = ("Layer (type)", "Output Shape", "Param #")
        body = [(f"{row.name or self.model_name} ({row.type})", str(row.output_shape), f"{row.num_params:,}")
                for row in self.rows]
        widths = [max(len(line[i]) for line in [header] + body) for i in range(3)]
        rule_width = sum(widths) + 4

        def line(cells: tuple[str, str, str]) -> str:
            return f"{cells[0]:<{widths[0]}}  {cells[1]:<{widths[1]}}  {cells[2]:>{widths[2]}}"

        out = [f"{self.model_name} summary, input shape {self.input_shape}", "=" * rule_width, line(header),
               "=" * rule_width]
        out += [line(cells) for cells in body]
        out += ["=" * rule_width,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}"]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:   # IPython shows the table
        printer.text(str(self))


def summary(model: Module, input_shape: Any = None, *, input: Any = None, dtype: Any = None) -> Summary:
    """One forward pass (under no_grad) of zeros of `input_shape` (batch dimension included), or of
    `input`, recording each layer's output shape with forward hooks and counting its parameters."""
    if input is None:
        if input_shape is None:
            raise ValueError("summary needs input_shape (e.g. (1, 784)) or input=")
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else (int(input_shape),)
        first = next(model.parameters(), None)
        input = zeros(*shape, dtype=dtype or (first.dtype if first is not None else None))
    report = Summary(type(model).__name__, tuple(np.shape(input._array if isinstance(input, Tensor) else input)))

    def record(name: str) -> Any:
        def hook(module: Module, inputs: tuple[Any, ...], output: Any) -> None:
            own = sum(p.numel() for p in module.parameters(recurse=False))
            report.rows.append(SummaryRow(name, type(module).__name__, _shape_of(output), own))
        return hook

    handles = []
    for name, module in model.named_modules():
        # a row per layer that does something itself: leaves, and containers with parameters of their own
        if not module._modules or any(True for _ in module.parameters(recurse=False)):
            handles.append(module.register_forward_hook(record(name)))
    try:
        with no_grad():
            model(input)
    finally:
        for handle in handles:
            handle.remove()
    report.total_params = sum(p.numel() for p in model.parameters())
    report.trainable_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return report


def _shape_of(output: Any) -> Any:
    if isinstance(output, (tuple, list)):
        return [_shape_of(o) for o in output]
    return tuple(np.shape(output._array if isinstance(output, Tensor) else output))


# --- gradient clipping ----------------------------------------------------------------------------
# PyTorch's semantics: the norm of all gradients together (as if concatenated into one vector),
# returned as a 0-d tensor of the gradients' dtype (before clipping); every gradient is multiplied
# by min(max_norm / (norm + 1e-6), 1), so a nan or inf norm gives nan (or zero) gradients unless
# error_if_nonfinite=True refuses it first. Nothing is changed before every check has passed.

def _parameter_list(parameters: Any) -> list[Tensor]:
    """`parameters` (a tensor, or any iterable of them: a list, a generator, filter(...)) as a list,
    read once: an iterator read a second time is empty, and nothing would be clipped."""
    if isinstance(parameters, Tensor):
        return [parameters]
    if isinstance(parameters, list):
        return parameters
    is_generator = isinstance(parameters, types.GeneratorType)
    read: list[Tensor] = list(parameters)
    if is_generator and not read:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    return read


def _grads(parameters: list[Tensor]) -> list[Tensor]:
    """The gradients of `parameters` (a list from _parameter_list) that exist."""
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters[{i}] is a {type(p).__name__}; gradient clipping takes Tensors "
                            "(model.parameters(), or a list of tensors)")
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(a: np.ndarray, p: float) -> float:
    """‖a‖_p of the entries of `a` (torch.linalg.vector_norm), in float64, without overflow: the
    p-norm of |a|/max|a| times max|a|, so gradients of 1e200 have a norm, not inf."""
    a = np.abs(a.ravel().astype(np.float64, copy=False))
    if p == math.inf:
        return float(a.max()) if a.size else 0.0
    if p == -math.inf:
        return float(a.min()) if a.size else math.inf
    if p == 0:
        return float(np.count_nonzero(a))
    top = float(a.max()) if a.size else 0.0
    if top == 0 or not math.isfinite(top):   # zeros, inf or nan: nothing to scale
        with np.errstate(divide="ignore"):
            return float(np.sum(a ** p) ** (1 / p))
    with np.errstate(divide="ignore", under="ignore"):
        return top * float(np.sum((a / top) ** p) ** (1 / p))


def get_total_norm(tensors: Any, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The norm of the norms of `tensors`: ‖(‖g₁‖, ‖g₂‖, ...)‖_p, which for p ≠ 0 is the p-norm of all
    their entries as one vector. A 0-d tensor of their (promoted) dtype; tensor(0.) for none."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if not tensors:
        return Tensor(0.0)
    norm_type = float(norm_type)
    arrays = [t._array if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    dtype = np.result_type(*arrays)
    total = _vector_norm(np.array([_vector_norm(a, norm_type) for a in arrays]), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite "
                           f"({total}), so it cannot be clipped. To disable this error and scale the gradients by "
                           "the non-finite norm anyway, set `error_if_nonfinite=False`")
    norm: Tensor = Tensor._make(np.asarray(total, dtype=dtype if dtype.kind == "f" else np.float64), None)
    return norm


def clip_grads_with_norm_(parameters: Any, max_norm: float, total_norm: Any, foreach: bool | None = None) -> None:
    """Multiply every gradient by min(max_norm / (total_norm + 1e-6), 1), in place."""
    _check_bound("max_norm", max_norm)
    grads = _grads(_parameter_list(parameters))
    if not grads:
        return
    norm = total_norm._array if isinstance(total_norm, Tensor) else np.asarray(total_norm, dtype=np.float64)
    coef = np.minimum(float(max_norm) / (norm + 1e-6), 1.0)   # in the norm's dtype, as PyTorch
    with no_grad(), np.errstate(invalid="ignore"):   # inf·0 = nan for a non-finite norm: PyTorch's answer
        for g in grads:
            if g._array.flags.writeable:
                np.multiply(g._array, coef, out=g._array, casting="unsafe")
                _bump(g)
            else:   # a read-only (e.g. broadcast) gradient array: give the parameter a new one
                g._array = (g._array * coef).astype(g._array.dtype)


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm` (PyTorch's function).

    Returns the total norm before clipping, a 0-d tensor of the gradients' dtype. ``norm_type`` is any
    p (``inf`` for the largest entry). With ``error_if_nonfinite=True`` a nan or inf norm raises and
    leaves the gradients as they were; otherwise they are scaled by it (to nan or zero), as PyTorch.
    """
    parameters = _parameter_list(parameters)   # read once: the norm and the clipping both need it
    if _mode.tracer is not None:   # tinygrad_la.compile: clip now, and again on every replay
        recorded: Tensor = _mode.tracer.call(clip_grad_norm_, parameters, max_norm, norm_type, error_if_nonfinite,
                                             foreach)
        return recorded
    _check_bound("max_norm", max_norm)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters: Any, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value] in place (nan stays nan)."""
    if _mode.tracer is not None:   # tinygrad_la.compile: clip now, and again on every replay
        _mode.tracer.call(clip_grad_value_, _parameter_list(parameters), clip_value, foreach)
        return
    _check_bound("clip_value", clip_value)
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(_parameter_list(parameters)):
            if g._array.flags.writeable:
                np.clip(g._array, -clip_value, clip_value, out=g._array)
                _bump(g)
            else:
                g._array = np.clip(g._array, -clip_value, clip_value)


def _check_bound(name: str, value: Any) -> None:
    # PyTorch takes a negative bound and silently flips or scrambles every gradient; here it is an error
    try:
        number = float(value.item() if isinstance(value, Tensor) else value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number; got {value!r} ({type(value).__name__})") from None
    if not number >= 0:
        raise ValueError(f"{name} must be a number >= 0 (or inf); got {name}={value!r}. A negative bound would "
                         "flip the gradients' signs.")


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters as one flat vector (a differentiable concatenation)."""
    flat: Tensor = cat([p.reshape(-1) for p in parameters])
    return flat


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive pieces of a flat vector into the parameters (in place).

    The vector's length is checked against the parameters' total size first, so a wrong vector
    changes no parameter (PyTorch's would fill the first ones, then fail)."""
    parameters = list(parameters)
    data = vec._array if isinstance(vec, Tensor) else np.asarray(vec)
    total = sum(p.numel() for p in parameters)
    if data.ndim != 1 or data.size != total:
        raise ValueError(f"vector_to_parameters: the parameters hold {total} numbers in all, so vec must have "
                         f"shape ({total},); got shape {tuple(data.shape)}")
    start = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            np.copyto(p._array, data[start:start + n].reshape(p.shape))
            _bump(p)
            start += n
