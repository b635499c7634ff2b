"""Check gradients against finite differences: the test every op (yours too) should pass.

For f: inputs -> outputs, reverse mode gives the Jacobian J one row at a time (a backward pass
per output element); central differences give it one column at a time:

    J[:, i] ≈ (f(x + eps·e_i) - f(x - eps·e_i)) / (2·eps)

`gradcheck` compares the two entry by entry; `gradgradcheck` does the same for the gradient
itself (built with create_graph=True), which checks second derivatives. Work in float64: in
float32 the differences drown in rounding.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import autograd
from .core.engine import enable_grad, no_grad
from .tensor import Tensor
from .value import Value, value_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree (the message says where and by how much)."""


def gradcheck(fn: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """True when every d(output)/d(input) entry from backward matches central differences.

    `inputs` is a tensor (or Value) or a tuple of them; only those that require grad are checked
    (Values always are). `fn` may return one tensor/Value or a tuple of them.
    """
    inputs = _as_tuple(inputs)
    try:
        if any(isinstance(x, Value) for x in inputs):
            _check(_ValueSide(fn, inputs), eps, atol, rtol)
        else:
            _check(_TensorSide(fn, inputs), eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
                  raise_exception: bool = True) -> bool:
    """gradcheck of the gradient: checks second derivatives (and that backward is differentiable).

    The first-order gradient is taken against `grad_outputs` (random float64 tensors by
    default, themselves checked as inputs, as PyTorch does) with create_graph=True.
    """
    inputs = _as_tuple(inputs)
    if any(isinstance(x, Value) for x in inputs):
        def first_derivatives(*xs: Value) -> tuple[Any, ...]:
            grads = value_grad(fn(*xs), list(xs), create_graph=True)
            return tuple(g if isinstance(g, Value) else Value(0.0 if g is None else g) for g in grads)
        return gradcheck(first_derivatives, inputs, eps=eps, atol=atol, rtol=rtol,
                         raise_exception=raise_exception)

    wanted = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = _as_tuple(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def tensor_first_derivatives(*args: Any) -> tuple[Any, ...]:
        xs, vs = args[:n], args[n:]
        with enable_grad():   # the numeric side calls this under no_grad(); the gradient needs a graph
            return _first_derivatives(xs, vs)

    def _first_derivatives(xs: tuple[Any, ...], vs: tuple[Any, ...]) -> tuple[Any, ...]:
        outs = list(_as_tuple(fn(*xs)))
        pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        if not pairs:
            return tuple(Tensor(np.zeros(xs[i].shape)) for i in wanted)
        grads = autograd.grad([o for o, _ in pairs], [xs[i] for i in wanted],
                              grad_outputs=[v for _, v in pairs], create_graph=True, allow_unused=True)
        return tuple(Tensor(np.zeros(xs[i].shape)) if g is None else g for i, g in zip(wanted, grads))

    return gradcheck(tensor_first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


# --- the comparison, shared by tensors and Values -------------------------------------------------

def _check(side: Any, eps: float, atol: float, rtol: float) -> None:
    numeric = side.numeric_jacobian(eps)      # numeric[i]: (n_outputs_total, input i size)
    analytic = side.analytic_jacobian()
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        bad = np.abs(a - n) > atol + rtol * np.abs(n)
        bad |= np.isnan(a) != np.isnan(n)
        if bad.any():
            row, col = (int(k) for k in np.argwhere(bad)[0])
            raise GradcheckError(
                f"gradcheck failed for input {side.names[i]} at element {side.element(i, col)} (with respect "
                f"to output element {side.output_element(row)}): analytic gradient {a[row, col]:.10g}, "
                f"numeric gradient {n[row, col]:.10g} (difference {abs(a[row, col] - n[row, col]):.3g} > "
                f"atol {atol} + rtol {rtol} * |numeric|). {int(bad.sum())} of {bad.size} entries differ.")


class _TensorSide:
    def __init__(self, fn: Callable[..., Any], inputs: tuple[Any, ...]) -> None:
        self.fn, self.inputs = fn, inputs
        self.checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
        if not self.checked:
            raise ValueError("gradcheck: no input requires grad; create the inputs with requires_grad=True")
        for i in self.checked:
            if inputs[i].dtype != np.float64:
                raise TypeError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need "
                                "tinygrad_la.float64 (x.double()), otherwise rounding swamps the differences")
        self.names = [f"{i} (shape {tuple(inputs[i].shape)})" for i in self.checked]
        with no_grad():
            self.out_shapes = [o.shape for o in _as_tuple(fn(*inputs))]
        self.out_sizes = [int(np.prod(s)) for s in self.out_shapes]

    def _outputs_flat(self) -> np.ndarray:
        with no_grad():
            outs = _as_tuple(self.fn(*self.inputs))
        return np.concatenate([np.asarray(o._array, dtype=np.float64).ravel() for o in outs]) if outs else np.zeros(0)

    def numeric_jacobian(self, eps: float) -> list[np.ndarray]:
        jacobians = []
        for i in self.checked:
            x = self.inputs[i]._array
            flat = x.reshape(-1)   # a view: perturbing it perturbs the input
            if x.size and not np.shares_memory(flat, x):
                raise ValueError(f"gradcheck: input {i} is not contiguous; pass x.clone()")
            J = np.zeros((sum(self.out_sizes), x.size))
            for k in range(x.size):
                original = flat[k]
                flat[k] = original + eps
                plus = self._outputs_flat()
                flat[k] = original - eps
                minus = self._outputs_flat()
                flat[k] = original
                J[:, k] = (plus - minus) / (2 * eps)
            jacobians.append(J)
        return jacobians

    def analytic_jacobian(self) -> list[np.ndarray]:
        outs = _as_tuple(self.fn(*self.inputs))
        xs = [self.inputs[i] for i in self.checked]
        jacobians = [np.zeros((sum(self.out_sizes), x._array.size)) for x in xs]
        row = 0
        for o in outs:
            for k in range(o._array.size):
                if o.requires_grad:
                    seed = np.zeros(o.shape)
                    seed.reshape(-1)[k] = 1.0
                    grads = autograd.grad(o, xs, grad_outputs=Tensor(seed), retain_graph=True, allow_unused=True)
                    for J, g in zip(jacobians, grads):
                        if g is not None:
                            J[row] = g._array.reshape(-1)
                row += 1
        return jacobians

    def element(self, i: int, col: int) -> tuple[int, ...]:
        return tuple(int(k) for k in np.unravel_index(col, self.inputs[self.checked[i]].shape))

    def output_element(self, row: int) -> str:
        for j, size in enumerate(self.out_sizes):
            if row < size:
                index = tuple(int(k) for k in np.unravel_index(row, self.out_shapes[j]))
                return f"{index} of output {j}" if len(self.out_sizes) > 1 else str(index)
            row -= size
        return str(row)


class _ValueSide:
    def __init__(self, fn: Callable[..., Any], inputs: tuple[Any, ...]) -> None:
        self.fn, self.inputs = fn, inputs
        self.names = [f"{i} (Value)" for i in range(len(inputs))]
        self.n_out = len(_as_tuple(fn(*inputs)))

    def _outputs(self) -> np.ndarray:
        return np.array([float(o.data if isinstance(o, Value) else o) for o in _as_tuple(self.fn(*self.inputs))])

    def numeric_jacobian(self, eps: float) -> list[np.ndarray]:
        jacobians = []
        for x in self.inputs:
            original = x.data
            x.data = original + eps
            plus = self._outputs()
            x.data = original - eps
            minus = self._outputs()
            x.data = original
            jacobians.append(((plus - minus) / (2 * eps)).reshape(-1, 1))
        return jacobians

    def analytic_jacobian(self) -> list[np.ndarray]:
        jacobians = [np.zeros((self.n_out, 1)) for _ in self.inputs]
        for row, o in enumerate(_as_tuple(self.fn(*self.inputs))):
            if not isinstance(o, Value):
                continue
            grads = value_grad(o, list(self.inputs))
            for J, g in zip(jacobians, grads):
                J[row, 0] = 0.0 if g is None else float(g.data if isinstance(g, Value) else g)
        return jacobians

    def element(self, i: int, col: int) -> tuple[int, ...]:
        return ()

    def output_element(self, row: int) -> str:
        return f"output {row}"


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)



