"""nn.functional: layers and losses as functions (PyTorch's ``torch.nn.functional``, usually ``F``).

Most functions are compositions of the core ops. A few are single ops with their own backward,
because they sit on every training step (issue 5) or because the composed form loses precision:

    Linear          Z = X Wᵀ + 1 bᵀ            dX = G W,  dW = Gᵀ X,  db = 1ᵀ G
    CrossEntropy    ℓᵢ = logsumexp(xᵢ) - xᵢ[tᵢ]  dxᵢ = gᵢ·(pᵢ - yᵢ)    (p = softmax x, y = one-hot t)
    MseLoss         ℓ = mean((x - y)²)         dx = g·2(x - y)/N,  dy = -dx
    BinaryCrossEntropy, Softplus, Erf, LeakyRelu, Embedding (below, each with its formula)

Each fused op is tested against the composition it replaces (values and gradients), and all of
them pass gradcheck and gradgradcheck: their backward formulas use operators that NumPy arrays
and Tensors share, as in ops.py, so they can be differentiated again under create_graph.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..creation import _generator
from ..ops import Op, index_add
from ..tensor import Tensor, _as_array

__all__ = ["linear", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softplus", "logsigmoid", "softmax",
           "log_softmax", "dropout", "embedding", "one_hot", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits"]


# --- layers ---------------------------------------------------------------------------------------

class Linear(Op):
    """Z = X Wᵀ + 1 bᵀ (23.10; X: (..., in), W: (out, in));  dX = G W,  dW = Gᵀ X,  db = 1ᵀ G"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, weight, bias):
        if type(x) is not np.ndarray:   # a list or a number: made an array as tensor() would
            x = _as_array(x)
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise RuntimeError(_linear_shape_error(x.shape, weight.shape))
        if x.dtype != weight.dtype and x.dtype.kind != "f":
            raise RuntimeError(_linear_dtype_error(x.dtype, weight.shape, weight.dtype))
        ctx.save_for_backward(x, weight)
        z = x @ weight.T
        if bias is not None:
            z += bias
        return z

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        dx_needed, dw_needed, db_needed = ctx.needs_input_grad
        dx = g @ weight if dx_needed else None
        if x.ndim != 2:   # (N, in) is the batch of 23.10; any leading dimensions are more rows of it
            g, x = g.reshape(-1, weight.shape[0]), x.reshape(-1, weight.shape[1])
        dw = g.T @ x if dw_needed else None
        db = g.sum(axis=0) if db_needed else None
        return dx, dw, db


def _linear_shape_error(x_shape: tuple, w_shape: tuple) -> str:
    if len(w_shape) != 2:
        return f"linear: the weight must be a matrix (out_features, in_features); got shape {w_shape}"
    out_features, in_features = w_shape
    message = (f"Linear({in_features} -> {out_features}) expects the last dimension to be {in_features}; "
               f"got input of shape {x_shape}.")
    if len(x_shape) > 2 and math.prod(x_shape[1:]) == in_features:
        return message + " Flatten the image first (nn.Flatten() or x.reshape(len(x), -1))."
    if len(x_shape) >= 1 and x_shape[0] == in_features:
        return message + " The features go in the last dimension: transpose the input (x.T)."
    return message + " Check in_features, or the out_features of the layer before."


def _linear_dtype_error(x_dtype: np.dtype, w_shape: tuple, w_dtype: np.dtype) -> str:
    out_features, in_features = w_shape
    return (f"Linear({in_features} -> {out_features}) expects a floating point input like its weight "
            f"({w_dtype}); got input of dtype {x_dtype}. Convert it with x.{'float' if w_dtype == np.float32 else 'double'}() "
            "(tensor([[1, 2]]) of Python ints is int64).")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Z = X Wᵀ + 1 bᵀ on a batch (N, in) or any (..., in), or z = W x + b on one vector (in,)."""
    return Linear.apply(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x) (23.2)."""
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x) (23.2)."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


class LeakyRelu(Op):
    """x if x > 0 else a·x;  dx = g·(1 if x > 0 else a)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, negative_slope):
        slope = np.where(x > 0, 1, negative_slope).astype(x.dtype, copy=False)
        ctx.save_for_backward(slope)
        return x * slope

    @staticmethod
    def backward(ctx, g):
        slope, = ctx.saved_tensors
        return g * slope, None


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return LeakyRelu.apply(input, negative_slope)


class Softplus(Op):
    """log(1 + e^(βx))/β = (max(βx, 0) + log1p(e^-|βx|))/β, x itself where βx > threshold;  dx = g·σ(βx)"""
    __slots__ = ("beta", "linear")

    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x * beta if beta != 1 else x
        ctx.beta = beta
        ctx.linear = bx > threshold
        ctx.save_for_backward(x)
        soft = np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))   # never overflows
        return np.where(ctx.linear, x, soft / beta if beta != 1 else soft)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        bx = x * ctx.beta if ctx.beta != 1 else x
        s = bx.sigmoid() if isinstance(bx, Tensor) else _sigmoid(bx)
        return g * (s * ~ctx.linear + ctx.linear), None, None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """A smooth ReLU: log(1 + e^(βx))/β, computed without overflow."""
    return Softplus.apply(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x) = -softplus(-x): finite for every x (log(sigmoid(x)) is -inf below x ≈ -745)."""
    return 0.0 - Softplus.apply(-input, 1.0, np.inf)   # 0 - s, not -s: logsigmoid(inf) = +0, as PyTorch


class Erf(Op):
    """erf x = (2/√π) ∫₀ˣ e^(-t²) dt;  dx = g·(2/√π)·e^(-x²)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * np.exp(-(x * x))


# W. J. Cody's rational Chebyshev approximations (Math. Comp. 23 (1969) 631-637, as in his CALERF):
# erf on |x| <= 0.46875, erfc on 0.46875 < |x| <= 4 and beyond. Largest error against math.erf on
# a fine grid of [-7, 7]: 2.2e-16 (one unit in the last place; tests/test_nn.py checks it).
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
          1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
           8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
           2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
           3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
           6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
           2.33520497626869185e-3)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf of every entry, vectorised (NumPy has no erf), accurate to about 1e-16."""
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    y = np.abs(x64)
    out = np.full_like(y, np.nan)          # nan stays nan
    small = y <= 0.46875                   # erf x = x·A(x²)/B(x²)
    z = y[small] ** 2
    num, den = _ERF_A[4] * z, z
    for a, b in zip(_ERF_A[:3], _ERF_B[:3]):
        num, den = (num + a) * z, (den + b) * z
    out[small] = x64[small] * (num + _ERF_A[3]) / (den + _ERF_B[3])

    middle = (y > 0.46875) & (y <= 4)      # erfc y = e^(-y²)·C(y)/D(y)
    t = y[middle]
    num, den = _ERFC_C[8] * t, t
    for c, d in zip(_ERFC_C[:7], _ERFC_D[:7]):
        num, den = (num + c) * t, (den + d) * t
    out[middle] = _exp_minus_square(t) * (num + _ERFC_C[7]) / (den + _ERFC_D[7])

    large = y > 4                          # erfc y = e^(-y²)/y·(1/√π - P(1/y²)/(y²Q(1/y²)))
    t = y[large]
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        z = 1 / (t * t)
        num, den = _ERFC_P[5] * z, z
        for p, q in zip(_ERFC_P[:4], _ERFC_Q[:4]):
            num, den = (num + p) * z, (den + q) * z
        tail = (1 / math.sqrt(math.pi) - z * (num + _ERFC_P[4]) / (den + _ERFC_Q[4])) / t
        out[large] = np.where(t < 27, _exp_minus_square(t) * tail, 0.0)   # erfc underflows past 27

    beyond = ~small & ~np.isnan(y)         # from erfc back to erf, with the sign of x
    out[beyond] = np.copysign(1 - out[beyond], x64[beyond])
    return out.astype(x.dtype) if x.dtype.kind == "f" else out


def _exp_minus_square(t: np.ndarray) -> np.ndarray:
    # e^(-t²) as e^(-s²)·e^(-(t-s)(t+s)) with s = t rounded down to 1/16: keeps full precision (Cody)
    with np.errstate(under="ignore"):
        s = np.trunc(t * 16) / 16
        return np.exp(-s * s) * np.exp(-(t - s) * (t + s))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF: 0.5·x·(1 + erf(x/√2)); 'tanh' uses the tanh approximation."""
    if approximate == "none":
        return 0.5 * input * (1 + Erf.apply(input * (1 / math.sqrt(2))))
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh'; got {approximate!r}")


def _softmax_dim(ndim: int) -> int:
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """p_i = e^{s_i} / Σ_j e^{s_j} along `dim` (23.13)."""
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(_softmax_dim(input.ndim) if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """log p_i = s_i - logsumexp(s) along `dim`: finite where log(softmax) underflows to -inf."""
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(_softmax_dim(input.ndim) if dim is None else dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each entry with probability p and scale the rest by 1/(1-p) (so the mean is kept); identity
    when not training. The mask comes from the library's generator, so manual_seed reproduces it."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * np.zeros(input.shape, dtype=input.dtype)
    mask = (_generator().random(input.shape) >= p).astype(input.dtype) * input.dtype.type(1 / (1 - p))
    return input * mask


class Embedding(Op):
    """E[i] for each index i (23.19: a token becomes a vector);  dE = g added back into the rows it read"""
    __slots__ = ("indices", "shape", "padding_idx")

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.indices, ctx.shape, ctx.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        if ctx.padding_idx is not None:   # the padding row gets no gradient, as in PyTorch
            g = g * (ctx.indices != ctx.padding_idx)[..., None]
        return index_add(g, ctx.indices, ctx.shape), None, None


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) picked by integer indices: (*) -> (*, embedding_dim)."""
    indices = np.asarray(input.data if isinstance(input, Tensor) else input)
    n = weight.shape[0]
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers (int64); got dtype {indices.dtype}. Use x.long().")
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        bad = indices[(indices < 0) | (indices >= n)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for an Embedding with {n} rows "
                         f"(valid indices are 0..{n - 1})")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return Embedding.apply(weight, indices, padding_idx)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices (*) -> (*, num_classes) rows of zeros with a 1 at each index (int64)."""
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensors (integers); got dtype {labels.dtype}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative; got {labels.min()}")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"one_hot: class value {labels.max()} is too large for num_classes={num_classes}")
    out = np.zeros(labels.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._make(out, None)


# --- losses (23.14) -------------------------------------------------------------------------------

_REDUCTIONS = frozenset(("mean", "sum", "none"))


def _reduction(reduction: str, size_average: Any = None, reduce: Any = None) -> str:
    if size_average is not None or reduce is not None:   # PyTorch's deprecated arguments
        if reduce is False:
            return "none"
        return "sum" if size_average is False else "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction!r} is not a valid value for reduction; use 'mean', 'sum' or 'none'")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(f"{name}: input has shape {input.shape} but target has shape {target.shape}; they must "
                         f"match (broadcasting them would compare every prediction with every target). "
                         f"Reshape one of them, e.g. target.reshape{input.shape}.")


def _float_target(name: str, input: Tensor, target: Tensor) -> None:
    if target.dtype.kind != "f" or input.dtype.kind != "f":
        raise TypeError(f"{name}: input has dtype {input.dtype} and target has dtype {target.dtype}; both must be "
                        "floating point. Convert with .double() or .float().")


class MseLoss(Op):
    """ℓ = mean((x - y)²) (23.14);  dx = g·2(x - y)/N,  dy = -dx"""
    __slots__ = ("error", "reduction")

    @staticmethod
    def forward(ctx, x, y, reduction):
        e = x - y
        ctx.save_for_backward(x, y)
        ctx.error, ctx.reduction = e, reduction
        if reduction == "none":
            return e * e
        flat = e.reshape(-1)
        total = flat @ flat
        if reduction == "sum":
            return total
        return total / e.size if e.size else np.full((), np.nan, dtype=total.dtype)   # an empty mean is nan

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        e = ctx.error
        if isinstance(g, Tensor):   # create_graph: the error must stay a function of x and y
            e = x - y
        n = ctx.error.size or 1   # an empty batch has an empty gradient, whatever the scale
        dx = e * (g * (2 / n if ctx.reduction == "mean" else 2))
        return dx, (-dx if ctx.needs_input_grad[1] else None), None


def mse_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Mean squared error (23.14): L = (1/N) Σ (ŷ_i - y_i)²."""
    if not isinstance(target, Tensor):
        target = Tensor(target)
    if not isinstance(input, Tensor):
        input = Tensor(input)
    x, y = input.data, target.data      # checks on the arrays: this runs on every training step
    if x.shape != y.shape:
        _same_shape("mse_loss", input, target)
    if x.dtype.kind != "f" or y.dtype.kind != "f":
        _float_target("mse_loss", input, target)
    if size_average is not None or reduce is not None or reduction not in _REDUCTIONS:
        reduction = _reduction(reduction, size_average, reduce)
    return MseLoss.apply(input, target, reduction)


def l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """Mean absolute error: (1/N) Σ |ŷ_i - y_i|."""
    input, target = _as_tensor(input), _as_tensor(target)
    _same_shape("l1_loss", input, target)
    _float_target("l1_loss", input, target)
    return _reduce((input - target).abs(), _reduction(reduction, size_average, reduce))


class BinaryCrossEntropy(Op):
    """ℓ = -[y log x + (1 - y) log(1 - x)], each log clamped at -100 (as PyTorch);
    dx = g·(x - y) / max(x(1 - x), 1e-12),  dy = g·(log(1 - x) - log x)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        log_x, log_1mx = _clamped_logs(x)
        return -(y * log_x + (1 - y) * log_1mx)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dx = g * (x - y) / np.maximum(x * (1 - x), 1e-12)
        dy = None
        if ctx.needs_input_grad[1]:
            log_x, log_1mx = _clamped_logs(x)
            dy = g * (log_1mx - log_x)
        return dx, dy


def _clamped_logs(x: Any) -> tuple:
    with np.errstate(divide="ignore"):   # log 0 = -inf, then clamped
        return np.maximum(np.log(x), -100), np.maximum(np.log(1 - x), -100)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """-[y log p + (1 - y) log(1 - p)] for probabilities p in [0, 1] (use the _with_logits form on scores)."""
    input, target = _as_tensor(input), _as_tensor(target)
    _same_shape("binary_cross_entropy", input, target)
    _float_target("binary_cross_entropy", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    data = input.data
    if data.size and not (data.min() >= 0 and data.max() <= 1):   # nan fails too, as in PyTorch
        raise ValueError(f"binary_cross_entropy: all elements of input should be between 0 and 1 (they are "
                         f"probabilities); got {_range_of(data)}. Apply sigmoid first, or use "
                         "binary_cross_entropy_with_logits on the raw scores.")
    labels = target.data
    if labels.size and not (labels.min() >= 0 and labels.max() <= 1):
        raise ValueError(f"binary_cross_entropy: all elements of target should be between 0 and 1 (a label, or "
                         f"the probability of class 1); got {_range_of(labels)}")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _range_of(data: np.ndarray) -> str:
    if np.isnan(data).all():
        return "nan"
    where = f"values from {np.nanmin(data)} to {np.nanmax(data)}"
    return where + " and nan" if np.isnan(data).any() else where


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                                     reduce: Any = None, reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """BCE of σ(x) without computing σ: (1 - y)·x + softplus(-x) = max(x, 0) - x·y + log(1 + e^-|x|).

    Finite for any logits; with pos_weight p: (1 - y)·x + (1 + (p - 1)·y)·softplus(-x).
    """
    input, target = _as_tensor(input), _as_tensor(target)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    _float_target("binary_cross_entropy_with_logits", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    softplus_neg = Softplus.apply(-input, 1.0, np.inf)
    if pos_weight is not None:
        softplus_neg = (1 + (pos_weight - 1) * target) * softplus_neg
    loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# --- classification: cross-entropy and NLL --------------------------------------------------------

def _reduce_rows(loss: np.ndarray, reduction: str, denominator: Any) -> np.ndarray:
    """Per-row losses reduced: 'none' keeps them, 'sum' adds them, 'mean' divides the sum by the
    kept weight, which is nan for a mean over no weight (every row ignored, or weighted 0): 0/0."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if denominator == 0:
        return np.full((), np.nan, dtype=loss.dtype)
    return loss.sum() / denominator


class CrossEntropy(Op):
    """ℓᵢ = -log softmax(xᵢ)[tᵢ] = logsumexp(xᵢ) - xᵢ[tᵢ] (23.13-23.14);  dxᵢ = gᵢ·(aᵢ pᵢ - yᵢ)

    x: (N, C) logits, t: (N,) classes. y is the target distribution: one-hot t, times the class
    weight w[t], mixed with ε/C·w by label smoothing, zero on ignored rows; aᵢ = Σ_c yᵢc (1 when
    plain). 'mean' divides by Σᵢ w[tᵢ] over kept rows (N when plain), as PyTorch.
    """
    __slots__ = ("target", "kept", "row_weight", "weight", "smoothing", "reduction", "denominator")

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing):
        n, c = x.shape
        rows = np.arange(n)
        kept = target != ignore_index
        row_weight = None                  # w[tᵢ], 0 on ignored rows; None: all 1
        if kept.all():
            kept = None
        else:
            target = np.where(kept, target, 0)
            kept = row_weight = kept.astype(x.dtype)
        if weight is not None:
            weight = weight.astype(x.dtype, copy=False)
            row_weight = weight[target] if row_weight is None else weight[target] * row_weight
        shifted = x - x.max(axis=1, keepdims=True)      # logits of ±1e30 stay finite
        exp = np.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        log_sum = np.log(sum_exp)
        loss = log_sum[:, 0] - shifted[rows, target]   # -log p[t]
        if row_weight is not None:
            loss = loss * row_weight
        if label_smoothing:
            log_p = shifted - log_sum
            smooth = -(log_p.sum(axis=1) if weight is None else log_p @ weight)
            if kept is not None:
                smooth = smooth * kept
            loss = (1 - label_smoothing) * loss + (label_smoothing / c) * smooth
        ctx.save_for_backward(x, exp / sum_exp)
        ctx.target, ctx.kept, ctx.row_weight, ctx.weight = target, kept, row_weight, weight
        ctx.smoothing, ctx.reduction = label_smoothing, reduction
        ctx.denominator = n if row_weight is None else row_weight.sum()
        return _reduce_rows(loss, reduction, ctx.denominator)

    @staticmethod
    def backward(ctx, g):
        x, p = ctx.saved_tensors
        if isinstance(g, Tensor):          # create_graph: p must be a function of x
            p = x.softmax(-1)
        y, a = CrossEntropy._target_distribution(ctx, p.shape, p.dtype)
        d = p - y if a is None else p * a - y
        if ctx.reduction == "none":
            scale = g.reshape(-1, 1)
        elif ctx.reduction == "sum":
            scale = g
        elif ctx.denominator != 0:
            scale = g / ctx.denominator
        else:   # the mean over no weight: 0/0 (nan) on the kept rows, and an ignored row has gradient 0
            scale = g * (np.nan if ctx.kept is None else np.where(ctx.kept[:, None] > 0, np.nan, 0.0))
        return d * scale, None, None, None, None, None

    @staticmethod
    def _target_distribution(ctx, shape: tuple, dtype: Any) -> tuple:
        """y (N, C) and its row sums a (N, 1) (None when all 1): constants of the backward formula."""
        n, c = shape
        eps, weight, row_weight = ctx.smoothing, ctx.weight, ctx.row_weight
        y = np.zeros(shape, dtype=dtype)
        y[np.arange(n), ctx.target] = (1 - eps) * (1 if row_weight is None else row_weight)
        a = None if row_weight is None else row_weight[:, None]
        if eps:
            kept = 1 if ctx.kept is None else ctx.kept[:, None]
            if weight is None:             # then row_weight is the kept mask, and a = kept
                y += (eps / c) * kept
            else:
                y += (eps / c) * weight * kept
                a = (1 - eps) * row_weight[:, None] + (eps / c) * weight.sum() * kept
        return y, a


def _scores(name: str, input: Any) -> Tensor:
    """The input of a classification loss: float scores (a list or array is taken as a tensor)."""
    input = _as_tensor(input)
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input (the scores) must be floating point; got dtype {input.dtype}. Pass the "
                        f"model's output first and the class indices second: {name}(input, target).")
    return input


def _class_target(name: str, input: Tensor, target: np.ndarray, ignore_index: int) -> tuple[np.ndarray, int]:
    """Check integer class targets against the input's shape and class count, before any computing."""
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    expected = () if input.ndim == 1 else input.shape[:1] + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{name}: input of shape {input.shape} needs class targets of shape {expected}; got target "
                         f"of shape {target.shape}" + (f" (for class probabilities give a float target of shape "
                                                       f"{input.shape})" if target.ndim == input.ndim else ""))
    if target.size:
        low, high = target.min(), target.max()
        if low < 0 or high >= c:
            bad = target[((target < 0) | (target >= c)) & (target != ignore_index)]
            if bad.size:
                raise IndexError(f"{name}: target {bad.flat[0]} is out of bounds for {c} classes (class indices "
                                 f"go from 0 to {c - 1}; ignore_index={ignore_index} marks entries to skip)")
    return target, c


def _rows(input: Tensor, target: np.ndarray, c: int) -> tuple[Tensor, np.ndarray]:
    """(N, C, d1, ...) scores and (N, d1, ...) targets as (M, C) rows and (M,) classes."""
    if input.ndim == 2:
        return input, target
    if input.ndim == 1:
        return input.reshape(1, c), target.reshape(1)
    moved = input.permute(0, *range(2, input.ndim), 1)
    return moved.reshape(-1, c), target.reshape(-1)


def _class_weight(name: str, weight: Any, c: int) -> np.ndarray | None:
    if weight is None:
        return None
    array = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if array.shape != (c,):
        raise ValueError(f"{name}: weight must have one entry per class, shape ({c},); got shape {array.shape}")
    return array


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                  reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """-log softmax(x)[t] (23.14): logits (N, C), (C,) or (N, C, d1, ...) against class indices
    (N,)/()/(N, d1, ...) or class probabilities of the input's shape. One fused op for class
    indices; stable for any finite logits."""
    reduction = _reduction(reduction, size_average, reduce)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0 and 1; got {label_smoothing}")
    target_data = np.asarray(target.data if isinstance(target, Tensor) else target)
    input = _scores("cross_entropy", input)
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, shape (C,) or (N, C, ...); got a scalar")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    weight = _class_weight("cross_entropy", weight, c)
    if target_data.dtype.kind in "iu":
        target_data, c = _class_target("cross_entropy", input, target_data, ignore_index)
        logits, classes = _rows(input, target_data, c)
        loss = CrossEntropy.apply(logits, classes, weight, ignore_index, reduction, label_smoothing)
        return loss.reshape(target_data.shape) if reduction == "none" and input.ndim != 2 else loss
    if target_data.dtype.kind != "f":
        raise TypeError(f"cross_entropy: target must hold class indices (int64) or class probabilities (float); "
                        f"got dtype {target_data.dtype}")
    if target_data.shape != input.shape:
        raise ValueError(f"cross_entropy: float targets are class probabilities and need the input's shape "
                         f"{input.shape}; got target of shape {target_data.shape}. For class indices use an "
                         "integer target (target.long()).")
    if ignore_index != -100:
        raise ValueError("cross_entropy: ignore_index is only for class-index targets, not class probabilities")
    return _soft_cross_entropy(input, _as_tensor(target), weight, reduction, label_smoothing, c)


def _soft_cross_entropy(input: Tensor, target: Tensor, weight: Any, reduction: str, eps: float, c: int) -> Tensor:
    class_dim = 0 if input.ndim == 1 else 1
    if eps:
        target = target * (1 - eps) + eps / c
    log_p = input.log_softmax(class_dim)
    terms = log_p * target
    if weight is not None:
        terms = terms * weight.reshape((c,) + (1,) * (input.ndim - class_dim - 1))
    loss = -terms.sum(class_dim)
    if reduction == "mean":
        rows = input.data.size // c if c else 1
        return loss.sum() / rows if rows else loss.sum() + math.nan   # the mean of no rows is nan
    return _reduce(loss, reduction)


class NllLoss(Op):
    """ℓᵢ = -wᵢ·x[i, tᵢ] on log-probabilities x (N, C), wᵢ = weight[tᵢ] (1 without weights, 0 on ignored
    rows);  dx[i, tᵢ] = -gᵢ·wᵢ, 0 elsewhere. 'mean' divides by Σᵢ wᵢ, as PyTorch."""
    __slots__ = ("target", "kept", "row_weight", "classes", "reduction", "denominator")

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        kept = target != ignore_index
        target = np.where(kept, target, 0)
        row_weight = kept.astype(x.dtype) if weight is None else weight.astype(x.dtype)[target] * kept
        # an ignored row's loss is +0 (not -0 or -x·0): PyTorch skips it rather than weighting it by 0
        loss = np.where(kept, -(x[np.arange(len(target)), target] * row_weight), 0.0).astype(x.dtype, copy=False)
        ctx.target, ctx.kept, ctx.row_weight, ctx.classes = target, kept, row_weight, x.shape[1]
        ctx.reduction = reduction
        ctx.denominator = row_weight.sum()
        return _reduce_rows(loss, reduction, ctx.denominator)

    @staticmethod
    def backward(ctx, g):
        n = len(ctx.target)
        rows = np.arange(n)
        dloss = np.zeros((n, ctx.classes), dtype=ctx.row_weight.dtype)
        kept = ctx.kept
        dloss[rows[kept], ctx.target[kept]] = -ctx.row_weight[kept]   # dℓᵢ/dx[i, tᵢ] = -wᵢ
        if ctx.reduction == "none":
            return dloss * g.reshape(-1, 1), None, None, None, None
        if ctx.reduction == "mean":
            if ctx.denominator == 0:   # 0/0 on the kept targets; an ignored row has gradient 0
                dloss[rows, ctx.target] = np.where(ctx.kept, np.nan, 0.0)
            else:
                g = g / ctx.denominator
        return dloss * g, None, None, None, None


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
             reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood: -input[i, t_i] for log-probabilities input (N, C) (or (C,), (N, C, d...)).

    cross_entropy(x, t) = nll_loss(log_softmax(x, 1), t).
    """
    reduction = _reduction(reduction, size_average, reduce)
    input = _scores("nll_loss", input)
    if input.ndim == 0:
        raise ValueError("nll_loss: input must have a class dimension, shape (C,) or (N, C, ...); got a scalar")
    target_data = np.asarray(target.data if isinstance(target, Tensor) else target)
    if target_data.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold class indices (int64); got dtype {target_data.dtype}")
    target_data, c = _class_target("nll_loss", input, target_data, ignore_index)
    weight = _class_weight("nll_loss", weight, c)
    log_p, classes = _rows(input, target_data, c)
    loss = NllLoss.apply(log_p, classes, weight, ignore_index, reduction)
    return loss.reshape(target_data.shape) if reduction == "none" and input.ndim != 2 else loss
