"""Loss modules (23.14: a loss measures how wrong the network is). Each calls its nn.functional form.

``reduction`` is 'mean' (the default), 'sum', or 'none' (one loss per example).
"""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss"]


class _Loss(Module):
    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F._reduction(reduction, size_average, reduce)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    weight: Tensor | None   # a buffer: per-class (or per-entry) weights, or None

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight if weight is None or isinstance(weight, Tensor) else Tensor(weight))


class MSELoss(_Loss):
    """L = (1/N) Σ (ŷ_i - y_i)² (23.14); input and target of the same shape."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of `input` against `target`, both of the same shape (*)."""
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """L = (1/N) Σ |ŷ_i - y_i|."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of `input` against `target`, both of the same shape (*)."""
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """ℓ = ½ d²/β where d = |ŷ - y| < β, else d - ½β (PyTorch's SmoothL1Loss)."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of `input` against `target`, both of the same shape (*)."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """ℓ = ½ d² where d = |ŷ - y| < δ, else δ(d - ½δ) (PyTorch's HuberLoss)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(None, None, reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of `input` against `target`, both of the same shape (*)."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_WeightedLoss):
    """-log softmax(scores)[true class] (23.13-23.14), from raw scores (logits), not probabilities.

    input (N, C) (or (C,), or (N, C, d1, ...)); target: class indices (N,) as int64, or class
    probabilities of the input's shape. Optional per-class `weight` (C,), `ignore_index` (entries
    with that target are skipped), `label_smoothing` ε (the target becomes (1-ε)·one-hot + ε/C).
    """

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """input: logits (N, C); target: class indices (N,) or probabilities (N, C)."""
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """-input[i, t_i] on log-probabilities (after LogSoftmax); NLLLoss(LogSoftmax(x)) = CrossEntropyLoss(x)."""

    def __init__(self, weight: Any = None, size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """input: log-probabilities (N, C); target: class indices (N,)."""
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """-[y log p + (1 - y) log(1 - p)] on probabilities p in [0, 1] (logs clamped at -100)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """input: probabilities in [0, 1], target: labels in [0, 1], both of the same shape (*)."""
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """BCE on raw scores x, stable for any x: max(x, 0) - x·y + log(1 + e^-|x|) (pos_weight optional)."""

    pos_weight: Tensor | None   # a buffer: the weight of positive examples, per class, or None

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight if pos_weight is None or isinstance(pos_weight, Tensor)
                             else Tensor(pos_weight))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """input: raw scores, target: labels in [0, 1], both of the same shape (*)."""
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
