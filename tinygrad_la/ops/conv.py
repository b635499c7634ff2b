"""Convolution and pooling: the layers of image and sequence networks, each one fused op.

A convolution is a Linear layer applied to every window of the input. Unfold the windows into the
rows of a matrix (im2col: X_col has one row per output position, one column per input channel and
kernel offset) and the layer is one matrix product per group, with Addmm's formulas again:

    Convolution     Z = X_col Wᵀ + 1 bᵀ      dW = dZᵀ X_col,  db = 1ᵀ dZ,  dX = col2im(dZ W)

col2im adds each row of dZ W back onto the window it came from (the adjoint of unfolding). The
three maps are bilinear and each one's backward is made of the other two, so the same lines serve a
plain backward on arrays and, under create_graph, a differentiable one on Tensors:

    Z = conv(X, W)               dX = conv_transpose(dZ, W),  dW = conv_weight(X, dZ)
    conv_transpose(G, W) = dX    dG = conv(H, W),             dW = conv_weight(H, G)
    conv_weight(X, G) = dW       dX = conv_transpose(G, H),   dG = conv(X, H)

Pooling reads the same windows: MaxPool keeps each window's largest entry (its gradient goes to
that entry), AvgPool its mean (a convolution with a kernel of ones, divided by the window's count),
AdaptiveAvgPool the mean over windows chosen to give an output size (two averaging matrices).
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..core.function import Op
from ..core.tensor_base import TensorBase
from .movement import index_add

__all__ = ["Geometry", "Convolution", "ConvolutionTranspose", "ConvolutionWeight", "MaxPool", "AvgPool",
           "AdaptiveAvgPool", "conv", "conv_transpose", "conv_weight", "adaptive_matrix", "conv1d", "conv2d",
           "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


class Geometry(NamedTuple):
    """How the windows are laid out, one entry per spatial dimension: step between windows
    (stride), zeros added (padding, before and after), gap between kernel taps (dilation), and the
    number of channel groups (each output channel sees only its group's input channels)."""
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int = 1

    def span(self, kernel: tuple[int, ...]) -> tuple[int, ...]:
        """The extent of one window in the input: dilation·(k - 1) + 1 per dimension."""
        return tuple(d * (k - 1) + 1 for k, d in zip(kernel, self.dilation))

    def output_size(self, size: tuple[int, ...], kernel: tuple[int, ...]) -> tuple[int, ...]:
        """Windows per dimension: ⌊(L + before + after - span)/stride⌋ + 1."""
        return tuple((n + lo + hi - s) // st + 1
                     for n, (lo, hi), s, st in zip(size, self.padding, self.span(kernel), self.stride))


def _padded(x: np.ndarray, geometry: Geometry, value: float = 0.0) -> np.ndarray:
    if not any(lo or hi for lo, hi in geometry.padding):
        return x
    return np.pad(x, ((0, 0), (0, 0)) + geometry.padding, constant_values=value)


def _windows(padded: np.ndarray, kernel: tuple[int, ...], geometry: Geometry) -> np.ndarray:
    """The view (N, C, *out, *kernel) of every window of a padded input (no copy)."""
    d = len(kernel)
    view = sliding_window_view(padded, geometry.span(kernel), axis=tuple(range(2, 2 + d)))
    steps = tuple(slice(None, None, s) for s in geometry.stride)
    taps = tuple(slice(None, None, t) for t in geometry.dilation)
    return view[(slice(None), slice(None)) + steps + taps]


def _columns(x: np.ndarray, kernel: tuple[int, ...], geometry: Geometry) -> tuple[np.ndarray, tuple[int, ...]]:
    """im2col: X_col per group, (groups, N·P, C_g·K) for P output positions, and the output size."""
    n, c = x.shape[:2]
    d, groups = len(kernel), geometry.groups
    windows = _windows(_padded(x, geometry), kernel, geometry)
    out = windows.shape[2:2 + d]
    windows = windows.reshape((n, groups, c // groups) + windows.shape[2:])
    order = (1, 0) + tuple(range(3, 3 + d)) + (2,) + tuple(range(3 + d, 3 + 2 * d))
    return windows.transpose(order).reshape(groups, n * math.prod(out), -1), out


def _rows(g: np.ndarray, groups: int) -> np.ndarray:
    """dZ as rows per group: (N, C_out, *out) -> (groups, N·P, C_out/groups)."""
    n, c_out = g.shape[:2]
    d = g.ndim - 2
    split = g.reshape((n, groups, c_out // groups) + g.shape[2:])
    return split.transpose((1, 0) + tuple(range(3, 3 + d)) + (2,)).reshape(groups, -1, c_out // groups)


def _unrows(z: np.ndarray, n: int, out: tuple[int, ...]) -> np.ndarray:
    """The inverse of _rows: (groups, N·P, C_g) -> (N, groups·C_g, *out)."""
    groups, _, c = z.shape
    d = len(out)
    z = z.reshape((groups, n) + out + (c,)).transpose((1, 0, 2 + d) + tuple(range(2, 2 + d)))
    return z.reshape((n, groups * c) + out)


def _conv(x: np.ndarray, w: np.ndarray, geometry: Geometry) -> np.ndarray:
    cols, out = _columns(x, w.shape[2:], geometry)
    wm = w.reshape(geometry.groups, w.shape[0] // geometry.groups, -1)
    return _unrows(cols @ wm.transpose(0, 2, 1), x.shape[0], out)   # Z = X_col Wᵀ, one product per group


def _conv_weight(x: np.ndarray, g: np.ndarray, w_shape: tuple[int, ...], geometry: Geometry) -> np.ndarray:
    cols, _ = _columns(x, w_shape[2:], geometry)
    return (_rows(g, geometry.groups).transpose(0, 2, 1) @ cols).reshape(w_shape)   # dW = dZᵀ X_col


def _conv_transpose(g: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], geometry: Geometry) -> np.ndarray:
    groups = geometry.groups
    kernel, out = w.shape[2:], g.shape[2:]
    d = len(kernel)
    n, c = x_shape[:2]
    dcols = _rows(g, groups) @ w.reshape(groups, w.shape[0] // groups, -1)   # dX_col = dZ W
    dcols = dcols.reshape((groups, n) + out + (c // groups,) + kernel)
    dcols = dcols.transpose((1, 0, 2 + d) + tuple(range(2, 2 + d)) + tuple(range(3 + d, 3 + 2 * d)))
    size = x_shape[2:]
    padded = tuple(L + lo + hi for L, (lo, hi) in zip(size, geometry.padding))
    dx = np.zeros((n, groups, c // groups) + padded, dtype=dcols.dtype)
    for tap in np.ndindex(*kernel):   # col2im: each kernel offset adds its column back onto the input
        at = tuple(slice(k * t, k * t + s * (o - 1) + 1, s)
                   for k, t, s, o in zip(tap, geometry.dilation, geometry.stride, out))
        dx[(slice(None),) * 3 + at] += dcols[(Ellipsis,) + tap]
    crop = tuple(slice(lo, lo + L) for L, (lo, _) in zip(size, geometry.padding))
    return dx[(slice(None),) * 3 + crop].reshape(x_shape)


def conv(x: Any, w: Any, geometry: Geometry) -> Any:
    """The convolution of x by w (no bias): arrays in, an array out; a Tensor in, a recorded op."""
    if isinstance(x, TensorBase) or isinstance(w, TensorBase):
        return Convolution.apply(x, w, None, geometry)
    return _conv(x, w, geometry)


def conv_transpose(g: Any, w: Any, x_shape: tuple[int, ...], geometry: Geometry) -> Any:
    """col2im(G W): the gradient of conv(X, W) with respect to X, for an X of shape x_shape."""
    if isinstance(g, TensorBase) or isinstance(w, TensorBase):
        return ConvolutionTranspose.apply(g, w, tuple(x_shape), geometry)
    return _conv_transpose(g, w, tuple(x_shape), geometry)


def conv_weight(x: Any, g: Any, w_shape: tuple[int, ...], geometry: Geometry) -> Any:
    """Gᵀ X_col: the gradient of conv(X, W) with respect to W, for a W of shape w_shape."""
    if isinstance(x, TensorBase) or isinstance(g, TensorBase):
        return ConvolutionWeight.apply(x, g, tuple(w_shape), geometry)
    return _conv_weight(x, g, tuple(w_shape), geometry)


class Convolution(Op):
    """Z = X_col Wᵀ + 1 bᵀ per group (cross-correlation, as PyTorch);
    dX = col2im(dZ W),  dW = dZᵀ X_col,  db = 1ᵀ dZ

    x: (N, C_in, *L), weight: (C_out, C_in/groups, *kernel), bias: (C_out,) or None.
    """
    __slots__ = ("geometry",)
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geometry: Geometry) -> np.ndarray:
        ctx.geometry = geometry
        ctx.save_for_backward(x, weight)
        z = _conv(x, weight, geometry)
        if bias is not None:
            z += bias.reshape((-1,) + (1,) * (x.ndim - 2))
        return z

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, w = ctx.saved_tensors
        dx_needed, dw_needed, db_needed = ctx.needs_input_grad[:3]
        geometry = ctx.geometry
        dx = conv_transpose(g, w, x.shape, geometry) if dx_needed else None
        dw = conv_weight(x, g, w.shape, geometry) if dw_needed else None
        db = g.sum(axis=(0,) + tuple(range(2, g.ndim))) if db_needed else None
        return dx, dw, db, None


class ConvolutionTranspose(Op):
    """dX = col2im(G W), the input gradient of a convolution;  dG = conv(H, W),  dW = conv_weight(H, G)"""
    __slots__ = ("geometry",)
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx: Any, g: np.ndarray, weight: np.ndarray, x_shape: tuple[int, ...], geometry: Geometry) -> np.ndarray:
        ctx.geometry = geometry
        ctx.save_for_backward(g, weight)
        return _conv_transpose(g, weight, x_shape, geometry)

    @staticmethod
    def backward(ctx: Any, h: Any) -> Any:
        g, w = ctx.saved_tensors
        dg_needed, dw_needed = ctx.needs_input_grad[:2]
        dg = conv(h, w, ctx.geometry) if dg_needed else None
        dw = conv_weight(h, g, w.shape, ctx.geometry) if dw_needed else None
        return dg, dw, None, None


class ConvolutionWeight(Op):
    """dW = Gᵀ X_col, the weight gradient of a convolution;  dX = conv_transpose(G, H),  dG = conv(X, H)"""
    __slots__ = ("geometry",)
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, g: np.ndarray, w_shape: tuple[int, ...], geometry: Geometry) -> np.ndarray:
        ctx.geometry = geometry
        ctx.save_for_backward(x, g)
        return _conv_weight(x, g, w_shape, geometry)

    @staticmethod
    def backward(ctx: Any, h: Any) -> Any:
        x, g = ctx.saved_tensors
        dx_needed, dg_needed = ctx.needs_input_grad[:2]
        dx = conv_transpose(g, h, x.shape, ctx.geometry) if dx_needed else None
        dg = conv(x, h, ctx.geometry) if dg_needed else None
        return dx, dg, None, None


class MaxPool(Op):
    """yᵢ = max of window i;  dx = g added at each window's argmax (the first of equal maxima, the
    last nan, as PyTorch); padding is -inf, so it is never chosen over a real entry"""
    __slots__ = ("indices", "shape")
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, kernel: tuple[int, ...], geometry: Geometry, holder: list[Any]) -> np.ndarray:
        size, d = x.shape[2:], len(kernel)
        windows = _windows(_padded(x, geometry, -np.inf), kernel, geometry)
        out = windows.shape[2:2 + d]
        flat = windows.reshape(windows.shape[:2 + d] + (-1,))
        best = flat.argmax(axis=-1)
        if np.isnan(flat).any():   # PyTorch keeps the last nan it meets
            is_nan = np.isnan(flat)
            last_nan = is_nan.shape[-1] - 1 - is_nan[..., ::-1].argmax(axis=-1)
            best = np.where(is_nan.any(axis=-1), last_nan, best)
        values = np.take_along_axis(flat, best[..., None], axis=-1)[..., 0]
        taps = np.unravel_index(best, kernel)
        positions, outside = [], np.zeros(best.shape, dtype=bool)
        for axis, (tap, t, s, (lo, _), L) in enumerate(zip(taps, geometry.dilation, geometry.stride,
                                                            geometry.padding, size)):
            start = (np.arange(out[axis]) * s - lo).reshape((-1,) + (1,) * (d - 1 - axis))
            position = start + tap * t
            outside |= (position < 0) | (position >= L)
            positions.append((position, start))
        if outside.any():   # a window of -inf only: PyTorch points at its first entry inside the input
            positions = [(np.where(outside, np.maximum(start, 0), p), start) for p, start in positions]
        coords = [np.broadcast_to(p, best.shape) for p, _ in positions]
        ctx.indices = np.ravel_multi_index(coords, size) if best.size else np.zeros(best.shape, dtype=np.int64)
        ctx.shape = x.shape
        holder.append(ctx.indices)   # for return_indices
        return values

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        n, c = ctx.shape[:2]
        plane = math.prod(ctx.shape[2:])
        offsets = (np.arange(n * c) * plane).reshape((n, c) + (1,) * (len(ctx.shape) - 2))
        where = (ctx.indices + offsets).reshape(-1)
        dx = index_add(g.reshape(-1), where, (n * c * plane,))
        return dx.reshape(ctx.shape), None, None, None


class AvgPool(Op):
    """yᵢ = (sum of window i)/countᵢ: a convolution of each channel by a kernel of ones;
    dx = col2im(g/count) (each entry of g shared out over its window)"""
    __slots__ = ("kernel", "geometry", "count", "shape")
    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, kernel: tuple[int, ...], geometry: Geometry, count: np.ndarray) -> np.ndarray:
        d = len(kernel)
        windows = _windows(_padded(x, geometry), kernel, geometry)
        ctx.kernel, ctx.geometry, ctx.shape = kernel, geometry, x.shape
        ctx.count = count = count.astype(x.dtype, copy=False)
        return windows.sum(axis=tuple(range(-d, 0))) / count

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        n, c = ctx.shape[:2]
        planes = (g / ctx.count).reshape((n * c, 1) + tuple(g.shape[2:]))
        ones = np.ones((1, 1) + ctx.kernel, dtype=ctx.count.dtype)
        dx = conv_transpose(planes, ones, (n * c, 1) + tuple(ctx.shape[2:]), ctx.geometry)
        return dx.reshape(ctx.shape), None, None, None


def adaptive_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
    """A (out, size): row i averages entries ⌊i·size/out⌋ to ⌈(i+1)·size/out⌉ - 1 (PyTorch's windows)."""
    a = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        a[i, start:end] = 1 / (end - start)
    return a


class AdaptiveAvgPool(Op):
    """Y = A_h X A_wᵀ on each channel (A: adaptive_matrix, rows that average a window);
    dX = A_hᵀ G A_w"""
    __slots__ = ("matrices",)
    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, matrices: tuple[np.ndarray, ...]) -> np.ndarray:
        ctx.matrices = matrices
        y = x @ matrices[-1].T
        if len(matrices) == 2:
            y = matrices[0] @ y
        return y

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        matrices = ctx.matrices
        dx = g @ matrices[-1]
        if len(matrices) == 2:
            dx = (dx.mT @ matrices[0]).mT   # A_hᵀ G with the Tensor (when create_graph) on the left
        return dx, None


# --- the functions nn.functional exposes, with PyTorch's signatures and checks ---------------------

_DIMS = {1: "L", 2: "H, W", 3: "D, H, W"}


def _tuple(value: Any, d: int, name: str, where: str) -> tuple[int, ...]:
    """An int or a sequence of d ints as a d-tuple (PyTorch's _single/_pair)."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * d
    if len(items) == 1 and d > 1:
        items = items * d
    if len(items) != d or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
        raise ValueError(f"{where}: {name} must be an int or a tuple of {d} ints; got {name}={value!r}")
    return tuple(int(i) for i in items)


def _batched(input: Any, d: int, where: str) -> tuple[Any, bool]:
    """The input with its batch dimension (an unbatched (C, *L) input gets one of size 1)."""
    if not isinstance(input, TensorBase):
        raise TypeError(f"{where}: the input must be a Tensor; got {type(input).__name__}. "
                        "Wrap it: torch.tensor(x, dtype=torch.float32).")
    if input.ndim == d + 1:
        tensor: Any = input   # a Tensor (TensorBase, the type checked for, has no reshape)
        return tensor.reshape((1,) + tuple(input.shape)), True
    if input.ndim != d + 2:
        raise RuntimeError(f"{where}: expected a {d + 1}-D (unbatched: C, {_DIMS[d]}) or {d + 2}-D (batched: N, C, "
                           f"{_DIMS[d]}) input; got a {input.ndim}-D input of shape {tuple(input.shape)}. "
                           + ("Add the channel dimension: x.unsqueeze(1) for a batch of one-channel inputs."
                              if input.ndim == d else "Reshape the input to (N, C, " + _DIMS[d] + ")."))
    return input, False


def _float(where: str, what: str, t: Any) -> None:
    if t.dtype.kind != "f":
        raise RuntimeError(f"{where}: the {what} must be floating point; got dtype {t.dtype}. "
                           "Convert it with .float() (or .double()).")


def _conv_nd(input: Any, weight: Any, bias: Any, stride: Any, padding: Any, dilation: Any, groups: Any, d: int,
             where: str) -> Any:
    """conv1d/conv2d: check what was passed, say what to change, then run the Convolution op."""
    if not isinstance(weight, TensorBase) or weight.ndim != d + 2:
        shape = tuple(weight.shape) if hasattr(weight, "shape") else type(weight).__name__
        raise RuntimeError(f"{where}: the weight must be a {d + 2}-D tensor (out_channels, in_channels/groups, "
                           f"{'kernel' if d == 1 else 'kH, kW'}); got {shape}")
    x, unbatched = _batched(input, d, where)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise RuntimeError(f"{where}: groups must be a positive integer; got groups={groups!r}")
    c_out, c_group = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    c_in = x.shape[1]
    if c_out % groups:
        raise RuntimeError(f"{where}: out_channels ({c_out}, the weight's first dimension) must be divisible by "
                           f"groups={groups}")
    if c_in != c_group * groups:
        hint = (f" The channels go in dimension 1: for channels-last data use x.permute(0, {d + 1}, "
                f"{', '.join(str(i) for i in range(1, d + 1))})." if x.shape[-1] == c_group * groups else
                " Check in_channels, or the out_channels of the layer before.")
        raise RuntimeError(f"{where}: expected input of shape (N, {c_group * groups}, {_DIMS[d]}) (weight of shape "
                           f"{tuple(weight.shape)}, groups={groups}: {c_group * groups} input channels); got input "
                           f"of shape {tuple(input.shape)} with {c_in} channels.{hint}")
    if bias is not None and (not isinstance(bias, TensorBase) or tuple(bias.shape) != (c_out,)):
        shape = tuple(bias.shape) if hasattr(bias, "shape") else type(bias).__name__
        raise RuntimeError(f"{where}: the bias must have one entry per output channel, shape ({c_out},); got {shape}")
    _float(where, "input", x)
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(f"{where}: input type ({x.dtype}) and {what} type ({t.dtype}) should be the same. "
                               f"Convert one of them: x.{'float' if t.dtype == np.float32 else 'double'}() or "
                               f"the module's .{'float' if x.dtype == np.float32 else 'double'}().")
    stride_t = _tuple(stride, d, "stride", where)
    dilation_t = _tuple(dilation, d, "dilation", where)
    if min(stride_t) < 1 or min(dilation_t) < 1:
        raise RuntimeError(f"{where}: stride and dilation must be at least 1; got stride={stride!r}, "
                           f"dilation={dilation!r}")
    if isinstance(padding, str):
        if padding == "valid":
            pads: tuple[tuple[int, int], ...] = ((0, 0),) * d
        elif padding == "same":
            if max(stride_t) != 1:
                raise ValueError(f"{where}: padding='same' is not supported for strided convolutions "
                                 f"(stride={stride!r}); give the padding as a number")
            totals = [t * (k - 1) for k, t in zip(kernel, dilation_t)]
            pads = tuple((total // 2, total - total // 2) for total in totals)   # the extra one after, as PyTorch
        else:
            raise ValueError(f"{where}: invalid padding string {padding!r}; use 'valid', 'same' or a number")
    else:
        padding_t = _tuple(padding, d, "padding", where)
        if min(padding_t) < 0:
            raise RuntimeError(f"{where}: negative padding is not supported; got padding={padding!r}")
        pads = tuple((p, p) for p in padding_t)
    geometry = Geometry(stride_t, pads, dilation_t, int(groups))
    size = tuple(x.shape[2:])
    padded = tuple(L + lo + hi for L, (lo, hi) in zip(size, pads))
    span = geometry.span(kernel)
    if any(p < s for p, s in zip(padded, span)):
        raise RuntimeError(f"{where}: the padded input is {' x '.join(map(str, padded))} per channel but the "
                           f"kernel spans {' x '.join(map(str, span))} (kernel {kernel}, dilation {dilation_t}): "
                           f"the kernel can't be larger than the input. Pad the input, or use a smaller kernel.")
    out = Convolution.apply(x, weight, bias, geometry)
    return out.reshape(tuple(out.shape[1:])) if unbatched else out


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Any:
    """1-D cross-correlation: input (N, C_in, L) (or (C_in, L)), weight (C_out, C_in/groups, k) ->
    (N, C_out, ⌊(L + 2·padding - dilation·(k - 1) - 1)/stride⌋ + 1). padding may be 'valid' or 'same'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Any:
    """2-D cross-correlation: input (N, C_in, H, W) (or (C_in, H, W)), weight (C_out, C_in/groups, kH, kW)
    -> (N, C_out, H_out, W_out), each size ⌊(L + 2·padding - dilation·(k - 1) - 1)/stride⌋ + 1."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _pool_geometry(where: str, size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                   padding: tuple[int, ...], dilation: tuple[int, ...], ceil_mode: bool) -> Geometry:
    """The windows of a pool: the output size by PyTorch's rule (ceil_mode rounds up, but a window
    must start inside the input or its left padding), padded after as far as the last window reaches."""
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise RuntimeError(f"{where}: kernel_size, stride and dilation must be at least 1; got kernel_size={kernel}, "
                           f"stride={stride}, dilation={dilation}")
    pads, out = [], []
    for L, k, s, p, t in zip(size, kernel, stride, padding, dilation):
        span = t * (k - 1) + 1
        if p < 0 or 2 * p > span:
            raise RuntimeError(f"{where}: pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={t}. Use a smaller padding.")
        o = (L + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= L + p:
            o -= 1
        out.append(o)
        pads.append((p, max(p, (o - 1) * s + span - L - p)))
    if min(out) < 1:
        raise RuntimeError(f"{where}: given input size {size}, the calculated output size {tuple(out)} is too small "
                           f"(kernel_size={kernel}, stride={stride}, padding={padding}). Use a smaller kernel or "
                           "more padding.")
    return Geometry(stride, tuple(pads), dilation)


def _pool_input(input: Any, where: str) -> tuple[Any, bool]:
    x, unbatched = _batched(input, 2, where)
    _float(where, "input", x)
    return x, unbatched


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The largest entry of each kernel_size window (stride defaults to kernel_size; padding is -inf).
    With return_indices, also where each maximum is: its index in the flattened H·W plane (int64)."""
    where = "max_pool2d"
    x, unbatched = _pool_input(input, where)
    kernel = _tuple(kernel_size, 2, "kernel_size", where)
    stride_t = kernel if stride is None or stride == [] or stride == () else _tuple(stride, 2, "stride", where)
    geometry = _pool_geometry(where, tuple(x.shape[2:]), kernel, stride_t, _tuple(padding, 2, "padding", where),
                              _tuple(dilation, 2, "dilation", where), ceil_mode)
    holder: list[np.ndarray] = []
    out = MaxPool.apply(x, kernel, geometry, holder)
    indices = TensorBase._make(holder[0], None)
    if unbatched:
        out, indices = out.reshape(tuple(out.shape[1:])), indices.reshape(tuple(indices.shape[1:]))
    return (out, indices) if return_indices else out


def _window_count(size: int, k: int, s: int, pads: tuple[int, int], out: int, reach: tuple[int, int]) -> np.ndarray:
    """Per output position, how many of its window's entries lie in [reach[0], reach[1])."""
    lo, hi = pads
    positions = np.arange(-lo, size + hi)
    inside = ((positions >= reach[0]) & (positions < reach[1])).astype(np.int64)
    sums = np.concatenate(([0], np.cumsum(inside)))
    starts = np.arange(out) * s
    return sums[starts + k] - sums[starts]


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Any:
    """The mean of each kernel_size window (stride defaults to kernel_size). The zeros of the padding
    count in the mean unless count_include_pad=False; divisor_override divides by that number instead."""
    where = "avg_pool2d"
    x, unbatched = _pool_input(input, where)
    kernel = _tuple(kernel_size, 2, "kernel_size", where)
    stride_t = kernel if stride is None or stride == [] or stride == () else _tuple(stride, 2, "stride", where)
    padding_t = _tuple(padding, 2, "padding", where)
    size = tuple(x.shape[2:])
    geometry = _pool_geometry(where, size, kernel, stride_t, padding_t, (1, 1), ceil_mode)
    out = geometry.output_size(size, kernel)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError(f"{where}: divisor_override must not be zero")
        count = np.full(out, float(divisor_override))
    else:
        counts = [_window_count(L, k, s, pads, o, (-p, L + p) if count_include_pad else (0, L))
                  for L, k, s, pads, o, p in zip(size, kernel, stride_t, geometry.padding, out, padding_t)]
        count = np.multiply.outer(counts[0], counts[1]).astype(np.float64)
    result = AvgPool.apply(x, kernel, geometry, count)
    return result.reshape(tuple(result.shape[1:])) if unbatched else result


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Any:
    """The mean over windows chosen to give output_size (an int, or (H_out, W_out) where None keeps
    that size): window i of a dimension of size L covers ⌊i·L/out⌋ to ⌈(i+1)·L/out⌉ - 1."""
    where = "adaptive_avg_pool2d"
    x, unbatched = _pool_input(input, where)
    size = tuple(x.shape[2:])
    items = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(items) != 2:
        raise ValueError(f"{where}: output_size must be an int or a pair (H_out, W_out); got {output_size!r}")
    out = tuple(L if o is None else _tuple(o, 1, "output_size", where)[0] for L, o in zip(size, items))
    if min(out) < 1 or min(size) < 1:
        raise RuntimeError(f"{where}: the input size {size} and output size {out} must both be at least 1")
    matrices = tuple(adaptive_matrix(L, o, x.dtype) for L, o in zip(size, out))
    result = AdaptiveAvgPool.apply(x, matrices)
    return result.reshape(tuple(result.shape[1:])) if unbatched else result
