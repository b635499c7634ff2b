"""nn.utils: a model summary (layers, output shapes, parameter counts) and gradient clipping.

    >>> print(summary(nn.Sequential(nn.Flatten(), nn.Linear(784, 128)), (1, 28, 28)))

counts what 23.18 counts by hand: Linear(784, 128) has 128·784 weights and 128 biases, 100,480.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..creation import zeros
from ..engine import no_grad
from ..tensor import Tensor, _bump
from .module import Module

__all__ = ["summary", "Summary", "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


@dataclass
class SummaryRow:
    name: str             # dotted name in the model ("0", "encoder.1"), "" for the model itself
    type: str             # class name ("Linear")
    output_shape: Any     # shape of the output (a tuple, or a list of them for several outputs)
    num_params: int       # the module's own parameters (not its children's)


@dataclass
class Summary:
    """What summary() returns: print it for the table; the numbers are attributes."""

    model_name: str
    input_shape: tuple
    rows: list[SummaryRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        header = ("Layer (type)", "Output Shape", "Param #")
        body = [(f"{row.name or self.model_name} ({row.type})", str(row.output_shape), f"{row.num_params:,}")
                for row in self.rows]
        widths = [max(len(line[i]) for line in [header] + body) for i in range(3)]
        rule_width = sum(widths) + 4

        def line(cells: tuple) -> str:
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
    report = Summary(type(model).__name__, tuple(np.shape(input.data if isinstance(input, Tensor) else input)))

    def record(name: str) -> Any:
        def hook(module: Module, inputs: tuple, output: Any) -> None:
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
    return tuple(np.shape(output.data if isinstance(output, Tensor) else output))


# --- gradient clipping ----------------------------------------------------------------------------

def _grads(parameters: Any) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so their joint norm is at most max_norm; returns the norm before."""
    params = _grads(parameters)
    if not params:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        total = max(float(np.max(np.abs(p.grad.data))) if p.grad.data.size else 0.0 for p in params)
    else:
        total = float(sum(np.sum(np.abs(p.grad.data) ** norm_type) for p in params) ** (1 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error, set `error_if_nonfinite=False`")
    factor = min(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for p in params:
            p.grad.data *= factor
            _bump(p.grad)
    return Tensor(total)


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value] in place."""
    with no_grad():
        for p in _grads(parameters):
            np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
            _bump(p.grad)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters as one flat vector (a differentiable concatenation)."""
    from ..ops import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive pieces of a flat vector into the parameters (in place)."""
    start = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            np.copyto(p.data, vec.data[start:start + n].reshape(p.shape))
            _bump(p)
            start += n
