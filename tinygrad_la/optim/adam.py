"""Adam and AdamW: gradient descent with running averages of g and g², PyTorch's formulas."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, Params, check_number, zeros_state

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (PyTorch's ``torch.optim.Adam``, the same formula), at step t = 1, 2, ...:

        g ← ∇L  (−∇L with maximize)  + λ θ                 weight_decay λ (L2; AdamW: see below)
        m ← β₁ m + (1 − β₁) g                              running mean of g
        v ← β₂ v + (1 − β₂) g²                             running mean of g²
        v̂ ← max(v̂, v) with amsgrad, else v
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)    bias-corrected step

    With ``decoupled_weight_decay=True`` (what AdamW is) the decay is not added to g but
    shrinks the weights directly before the step: θ ← θ (1 − η λ).
    """

    _required_state = ("step", "exp_avg", "exp_avg_sq")
    _optional_state = ("max_exp_avg_sq",)

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False,
                 foreach: bool | None = None, fused: bool | None = None) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        check_number("lr", group["lr"], index)
        check_number("eps", group["eps"], index)
        check_number("weight_decay", group["weight_decay"], index)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Invalid betas value: betas={betas!r}; give two numbers (β₁, β₂) in [0, 1)")
        check_number("betas[0]", betas[0], index, high=1.0, high_open=True)
        check_number("betas[1]", betas[1], index, high=1.0, high_open=True)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": zeros_state(p._array),
                 "exp_avg_sq": zeros_state(p._array)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_state(p._array)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, weight_decay, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"]._array, state["exp_avg_sq"]._array
        state["step"] = t = state["step"] + 1
        if group["maximize"]:
            grad = np.negative(grad)
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay                     # AdamW: θ ← θ (1 − η λ)
            else:
                grad = grad + weight_decay * param                 # Adam: g ← g + λ θ
        scratch = np.subtract(grad, m)                             # the one buffer this step needs
        scratch *= 1 - beta1
        m += scratch                                               # m ← m + (1 − β₁)(g − m)
        v *= beta2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - beta2
        v += scratch                                               # v ← β₂ v + (1 − β₂) g²
        if group["amsgrad"]:
            v_max = state.get("max_exp_avg_sq")
            if v_max is None:   # amsgrad switched on after the first step
                v_max = state["max_exp_avg_sq"] = zeros_state(param)
            v = np.maximum(v_max._array, v, out=v_max._array)
        step_size = lr / (1 - beta1 ** t)
        np.sqrt(v, out=scratch)
        scratch /= (1 - beta2 ** t) ** 0.5
        scratch += eps                                             # √v̂ / √(1 − β₂ᵗ) + ε
        np.divide(m, scratch, out=scratch)
        scratch *= step_size
        param -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``): θ ← θ (1 − η λ) each step,
    then the Adam step. Its weight_decay defaults to 1e-2."""

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
