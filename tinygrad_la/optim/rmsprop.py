"""RMSprop: divide the gradient by a running root-mean-square of it (PyTorch's formula)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, Params, check_number, zeros_state

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (PyTorch's ``torch.optim.RMSprop``, the same formula):

        g ← ∇L  (−∇L with maximize)  + λ θ             weight_decay λ
        v ← α v + (1 − α) g²                           running mean of g² (alpha α)
        ḡ ← α ḡ + (1 − α) g,  d ← √(v − ḡ²) + ε        centered=True: the variance of g
        d ← √v + ε                                     otherwise
        b ← μ b + g / d,  θ ← θ − η b                  momentum μ > 0
        θ ← θ − η g / d                                otherwise
    """

    _required_state = ("step", "square_avg")
    _optional_state = ("momentum_buffer", "grad_avg")

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        for name in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            check_number(name, group[name], index)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = {"step": 0, "square_avg": zeros_state(p._array)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_state(p._array)
        if group["centered"]:
            state["grad_avg"] = zeros_state(p._array)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        alpha, weight_decay, momentum = group["alpha"], group["weight_decay"], group["momentum"]
        state["step"] += 1
        if group["maximize"]:
            grad = np.negative(grad)
        if weight_decay != 0:
            grad = grad + weight_decay * param
        v = state["square_avg"]._array
        v *= alpha
        scratch = np.multiply(grad, grad)
        scratch *= 1 - alpha
        v += scratch                                               # v ← α v + (1 − α) g²
        if group["centered"]:
            g_avg = _buffer(state, "grad_avg", param)._array
            np.subtract(grad, g_avg, out=scratch)
            scratch *= 1 - alpha
            g_avg += scratch                                       # ḡ ← ḡ + (1 − α)(g − ḡ)
            np.multiply(g_avg, g_avg, out=scratch)
            np.subtract(v, scratch, out=scratch)
            np.sqrt(scratch, out=scratch)                          # √(v − ḡ²)
        else:
            np.sqrt(v, out=scratch)
        scratch += group["eps"]                                    # d
        np.divide(grad, scratch, out=scratch)                      # g / d
        if momentum > 0:
            b = _buffer(state, "momentum_buffer", param)._array
            b *= momentum
            b += scratch                                           # b ← μ b + g / d
            np.multiply(b, group["lr"], out=scratch)
        else:
            scratch *= group["lr"]
        param -= scratch


def _buffer(state: dict[str, Any], key: str, param: np.ndarray) -> Tensor:
    """A zero-initialised buffer, made on first use (also when an option is switched on later)."""
    buf = state.get(key)
    if buf is None:
        buf = state[key] = zeros_state(param)
    made: Tensor = buf
    return made
