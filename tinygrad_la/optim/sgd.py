"""SGD: chapter 23.15's θ ← θ − η ∇L, with PyTorch's momentum, Nesterov and weight decay."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, Params, check_number

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch's ``torch.optim.SGD``, the same formula).

        g ← ∇L  (−∇L with maximize)  + λ θ                    weight_decay λ
        b ← g on the first step, then μ b + (1 − τ) g         momentum μ, dampening τ
        g ← g + μ b  (nesterov)  or  b                        (only when μ ≠ 0)
        θ ← θ − η g                                           lr η

    With μ = λ = 0 this is exactly the chapter's gradient descent.
    """

    _optional_state = ("momentum_buffer",)

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, fused: bool | None = None) -> None:
        # foreach/fused are PyTorch's speed switches; accepted so ported code runs, with nothing to switch
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        check_number("lr", group["lr"], index)
        check_number("momentum", group["momentum"], index)
        check_number("dampening", group["dampening"], index, low=-float("inf"))
        check_number("weight_decay", group["weight_decay"], index)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"nesterov=True needs a momentum > 0 and zero dampening; got "
                             f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        owned = True   # is d_p a scratch array of ours (so it may be overwritten)?
        if weight_decay != 0:
            d_p = np.multiply(param, weight_decay)                     # λθ
            if group["maximize"]:
                np.subtract(d_p, grad, out=d_p)                         # −∇L + λθ
            else:
                np.add(grad, d_p, out=d_p)                              # ∇L + λθ
        elif group["maximize"]:
            d_p = np.negative(grad)
        else:
            d_p, owned = grad, False
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:                                             # first step: b = g
                buf = state["momentum_buffer"] = Tensor._make(d_p.astype(param.dtype, copy=True), None)
            else:                                                       # b = μ b + (1 − τ) g
                b = buf._array
                b *= momentum
                dampening = group["dampening"]
                b += d_p if dampening == 0 else (1 - dampening) * d_p
            if group["nesterov"]:                                       # g = g + μ b
                step = np.multiply(buf._array, momentum)
                np.add(d_p, step, out=step)
                d_p = step
            else:                                                       # g = b
                d_p, owned = buf._array, False
        if owned:
            np.multiply(d_p, group["lr"], out=d_p)
            np.subtract(param, d_p, out=param)                          # θ = θ − η g
        else:
            param -= group["lr"] * d_p
