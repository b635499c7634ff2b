"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients (PyTorch's formula)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, Params, check_number

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (PyTorch's ``torch.optim.Adagrad``, the same formula), at step t = 1, 2, ...:

        g ← ∇L  (−∇L with maximize)  + λ θ              weight_decay λ
        η_t ← η / (1 + (t − 1) · lr_decay)
        s ← s + g²                                      s starts at initial_accumulator_value
        θ ← θ − η_t g / (√s + ε)
    """

    _required_state = ("step", "sum")
    _optional_state = ()

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, fused: bool | None = None) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:   # PyTorch makes Adagrad's state at once, not at the first step
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number(name, group[name], index)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": Tensor._make(np.full_like(p._array, group["initial_accumulator_value"]), None)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        state["step"] = t = state["step"] + 1
        if group["maximize"]:
            grad = np.negative(grad)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        lr_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        s = state["sum"]._array
        scratch = np.multiply(grad, grad)
        s += scratch                                               # s ← s + g²
        np.sqrt(s, out=scratch)
        scratch += group["eps"]
        np.divide(grad, scratch, out=scratch)
        scratch *= lr_t
        param -= scratch                                           # θ ← θ − η_t g / (√s + ε)
