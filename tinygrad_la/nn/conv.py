"""Convolution and pooling layers: Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.

A convolution layer is a Linear layer shared by every window of its input: weight W
(out_channels, in_channels/groups, *kernel_size) and bias b (out_channels,), the names and shapes
of PyTorch's, so state_dicts load either way. The op and its formulas are in ops/conv.py.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import dtypes
from ..core.device import _check_device
from ..ops.conv import _conv_nd, _tuple, adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d and Conv2d share: the checks, the parameters, PyTorch's initialisation and repr."""

    _dims = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_device("cpu" if device is None else device)
        name, d = type(self).__name__, self._dims
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < (1 if what == "groups" else 0):
                raise ValueError(f"{name}: {what} must be a whole number >= {1 if what == 'groups' else 0}; "
                                 f"got {what}={value!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups; got in_channels={in_channels}, "
                             f"groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups; got out_channels={out_channels}, "
                             f"groups={groups}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}; got {padding_mode!r}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not implemented here; only "
                                      "padding_mode='zeros' is (pad the input yourself for the others)")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, d, "kernel_size", name)
        self.stride = _tuple(stride, d, "stride", name)
        self.dilation = _tuple(dilation, d, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: invalid padding string {padding!r}; use 'valid', 'same' or a number")
            if padding == "same" and max(self.stride) != 1:
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions "
                                 f"(stride={self.stride})")
            self.padding: Any = padding
        else:
            self.padding = _tuple(padding, d, "padding", name)
        self.padding_mode = padding_mode
        dtype = dtypes.default_float() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((out_channels, in_channels // groups) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw W and b again as PyTorch does: kaiming_uniform_(a=√5) for W, which is uniform on
        ±1/√fan_in, and b uniform on ±1/√fan_in (fan_in = in_channels/groups · kernel entries)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _name(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def forward(self, input: Tensor) -> Tensor:
        """input (N, in_channels, *L) or unbatched (in_channels, *L) -> (N, out_channels, *L_out)."""
        out: Tensor = _conv_nd(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                               self._dims, self._name())
        return out

    def extra_repr(self) -> str:
        """The arguments that differ from the defaults, as PyTorch prints them."""
        d = self._dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * d:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * d:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation, as PyTorch) over sequences: (N, C_in, L) -> (N, C_out, L_out),
    L_out = ⌊(L + 2·padding - dilation·(kernel_size - 1) - 1)/stride⌋ + 1."""

    _dims = 1


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation, as PyTorch) over images: (N, C_in, H, W) -> (N, C_out, H_out, W_out),
    each size ⌊(L + 2·padding - dilation·(kernel_size - 1) - 1)/stride⌋ + 1."""

    _dims = 2


class MaxPool2d(Module):
    """The largest entry of each kernel_size window (stride defaults to kernel_size; padding is -inf)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        """(N, C, H, W) or (C, H, W) -> the window maxima (and their indices with return_indices)."""
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self) -> str:
        """kernel_size, stride, padding, dilation and ceil_mode, as PyTorch prints them."""
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each kernel_size window (stride defaults to kernel_size; the padding's zeros count
    unless count_include_pad=False)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        """(N, C, H, W) or (C, H, W) -> the window means."""
        out: Tensor = avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                 self.count_include_pad, self.divisor_override)
        return out

    def extra_repr(self) -> str:
        """kernel_size, stride and padding, as PyTorch prints them."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """The mean over windows chosen to give output_size (int, or (H_out, W_out) with None keeping a size)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        """(N, C, H, W) or (C, H, W) -> (N, C, *output_size)."""
        out: Tensor = adaptive_avg_pool2d(input, self.output_size)
        return out

    def extra_repr(self) -> str:
        """output_size, as PyTorch prints it."""
        return f"output_size={self.output_size}"
