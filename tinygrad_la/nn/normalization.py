"""Normalization layers: BatchNorm1d/2d/3d (per channel, over the batch) and LayerNorm (per example).

Both compute y = (x - μ) / √(σ² + ε) · γ + β with the biased variance σ²; they differ in what the
mean and variance are taken over. The formulas are in functional.batch_norm and layer_norm, built
from Tensor ops, so backward and double backward need nothing of their own.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core import dtypes
from ..core.device import _check_device
from ..core.engine import no_grad
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm"]


class _BatchNorm(Module):
    """What BatchNorm1d/2d/3d share; they differ only in the input dims they accept."""

    _dims: tuple[int, ...] = ()
    _expected = ""
    weight: Parameter | None
    bias: Parameter | None
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        _check_device("cpu" if device is None else device)
        if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) or num_features < 0:
            raise ValueError(f"{type(self).__name__}: num_features must be a whole number >= 0 (the number of "
                             f"channels C); got {num_features!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = dtypes.default_float() if dtype is None else np.dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """running_mean to 0, running_var to 1, num_batches_tracked to 0 (when tracked)."""
        with no_grad():
            if self.running_mean is not None:
                self.running_mean.zero_()
            if self.running_var is not None:
                self.running_var.fill_(1)
            if self.num_batches_tracked is not None:
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """The running stats reset, and γ = 1, β = 0 (PyTorch's initialisation)."""
        self.reset_running_stats()
        with no_grad():
            if self.weight is not None:
                self.weight.fill_(1)
            if self.bias is not None:
                self.bias.zero_()

    def _check_input_dim(self, input: Tensor) -> None:
        name = type(self).__name__
        if input.ndim not in self._dims:
            raise ValueError(f"{name}: expected {self._expected} input (got {input.ndim}D input of shape "
                             f"{tuple(input.shape)})")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{name}({self.num_features}): input of shape {tuple(input.shape)} has "
                               f"{input.shape[1]} channels in dim 1, but the layer was built with "
                               f"num_features={self.num_features}")

    def forward(self, input: Tensor) -> Tensor:
        """Normalize each channel (dim 1): with the batch's stats while training (and update the
        running stats), with the running stats in eval mode (unless they are not tracked)."""
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:   # a cumulative moving average: the mean of every batch so far
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep_stats = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep_stats else None,
                            self.running_var if keep_stats else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        """num_features, eps, momentum, affine, bias and track_running_stats, for the repr."""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L): each of the C channels normalized over the batch
    (and L), y = (x - μ_c) / √(σ²_c + ε) · γ_c + β_c; running stats for eval mode."""

    _dims = (2, 3)
    _expected = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of images (N, C, H, W): each channel normalized over N, H and W."""

    _dims = (4,)
    _expected = "4D"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of volumes (N, C, D, H, W): each channel normalized over N, D, H and W."""

    _dims = (5,)
    _expected = "5D"


class LayerNorm(Module):
    """Layer normalization: each example normalized over its last dims, normalized_shape (an int is
    the last dim), y = (x - μ) / √(σ² + ε) · γ + β with γ, β of shape normalized_shape."""

    weight: Parameter | None
    bias: Parameter | None

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_device("cpu" if device is None else device)
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = dtypes.default_float() if dtype is None else np.dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """γ = 1 and β = 0 (PyTorch's initialisation)."""
        with no_grad():
            if self.weight is not None:
                self.weight.fill_(1)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, input: Tensor) -> Tensor:
        """input (*, *normalized_shape) -> the same shape, each slice over normalized_shape normalized."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """normalized_shape, eps, elementwise_affine and bias, for the repr."""
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
