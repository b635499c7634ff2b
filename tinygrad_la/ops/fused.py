"""Layers and losses as functions: PyTorch's ``torch.nn.functional`` (``F``), which nn/functional.py names.

Most functions are compositions of the ops below this file. A few are single fused ops with their
own backward, because they sit on every training step (one node instead of five is a large share
of a small step's time) or because the composed form loses precision:

    Addmm           Z = X Wᵀ + 1 bᵀ            dX = dZ W,  dW = dZᵀ X,  db = 1ᵀ dZ   (F.linear)
    SquaredError    ℓ = mean((x - y)²)         dx = g·2(x - y)/N,  dy = -dx           (F.mse_loss)
    NegativeLogLikelihood  ℓᵢ = -x[i, tᵢ]      dx[i, tᵢ] = -gᵢ   (F.cross_entropy is log_softmax, then this)
    BinaryCrossEntropy, BinaryCrossEntropyWithLogits, Softplus, Erf, LeakyRelu, Embedding (below)

The op classes are named for what they compute, apart from the nn modules (`Addmm` the op,
`nn.Linear` the module); their graph nodes keep PyTorch's names (AddmmBackward0, MseLossBackward0),
and a loss is one node with its reduction inside, as PyTorch's.
Each fused op is tested against the composition it replaces (values and gradients), and all of
them pass gradcheck and gradgradcheck: their backward formulas use operators that NumPy arrays
and Tensors share, as in elementwise.py, so they can be differentiated again under create_graph.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..core import dtypes
from ..core.function import Op, graph_node
from ..core.random import generator
from ..core.tensor_base import TensorBase, _as_array
from .elementwise import ElementwiseMethods, _data, sigmoid_pair
from .movement import index_add

__all__ = ["Addmm", "LinearNoBias", "SquaredError", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits",
           "NegativeLogLikelihood", "Softplus", "Erf", "LeakyRelu", "Embedding"]


class Addmm(Op):
    """Z = X Wᵀ + 1 bᵀ (23.10; X: (..., in), W: (out, in));  dX = dZ W,  dW = dZᵀ X,  db = 1ᵀ dZ"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        if type(x) is not np.ndarray:   # a list or a number: made an array as tensor() would
            x = _as_array(x)
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise RuntimeError(_linear_shape_error(x.shape, weight.shape))
        if x.dtype != weight.dtype:   # PyTorch mixes no dtypes here either (float32 input, float64 weight)
            raise RuntimeError(_linear_dtype_error(x.dtype, weight.shape, weight.dtype))
        ctx.save_for_backward(x, weight)
        z = x @ weight.T
        if bias is not None:
            z += bias
        return z

    @staticmethod
    def backward(ctx: Any, dZ: Any) -> Any:
        X, W = ctx.saved_tensors
        dX_needed, dW_needed, db_needed = ctx.needs_input_grad
        dX = dZ @ W if dX_needed else None
        if X.ndim != 2:   # (N, in) is the batch of 23.10; any leading dimensions are more rows of it
            dZ, X = dZ.reshape(-1, W.shape[0]), X.reshape(-1, W.shape[1])
        dW = dZ.T @ X if dW_needed else None
        db = dZ.sum(axis=0) if db_needed else None
        return dX, dW, db

    def _graph_parents(self) -> tuple[Any, ...]:
        # PyTorch's F.linear is addmm(b, X, Wᵀ): its inputs in that order, W under a TBackward0
        x, weight, bias = self._parents
        return bias, x, None if weight is None else WeightTransposed(weight)


class LinearNoBias(Addmm):
    """Z = X Wᵀ: F.linear without a bias, PyTorch's mm(X, Wᵀ)"""
    __slots__ = ()
    node_name = "MmBackward0"

    def _graph_parents(self) -> tuple[Any, ...]:
        x, weight, _ = self._parents
        return x, None if weight is None else WeightTransposed(weight)


class WeightTransposed:
    """The TBackward0 node over the weight in PyTorch's graph of F.linear, which multiplies by W.t();
    Addmm uses W itself, so this node exists only to be shown (by next_functions)."""

    __slots__ = ("weight", "__weakref__")

    def __init__(self, weight: Any) -> None:
        self.weight = weight   # the weight's graph parent: a leaf tensor, or the node that made it

    @staticmethod
    def name() -> str:
        """PyTorch's name for it."""
        return "TBackward0"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """The weight's node (its AccumulateGrad for a parameter)."""
        return ((graph_node(self.weight), 0),)

    def __repr__(self) -> str:
        """``<TBackward0 object at 0x7f...>``, as PyTorch prints it."""
        return f"<TBackward0 object at {id(self):#x}>"


def _linear_shape_error(x_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> str:
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


def _linear_dtype_error(x_dtype: np.dtype, w_shape: tuple[int, ...], w_dtype: np.dtype) -> str:
    out_features, in_features = w_shape
    convert = "float" if w_dtype == np.float32 else "double"
    x_name, w_name = dtypes.public(x_dtype), dtypes.public(w_dtype)   # tinygrad_la.float32, as a Tensor's dtype prints
    if x_dtype.kind != "f":
        return (f"Linear({in_features} -> {out_features}) expects a floating point input like its weight "
                f"({w_name}); got input of dtype {x_name}. Convert it with x.{convert}() "
                "(tensor([[1, 2]]) of Python ints is tinygrad_la.int64).")
    return (f"Linear({in_features} -> {out_features}) has {w_name} weights; got an input of dtype {x_name} "
            f"(mat1 and mat2 must have the same dtype, as in PyTorch). Convert the input with x.{convert}() "
            f"or the model with model.{'double' if x_dtype == np.float64 else 'float'}().")


class LeakyRelu(Op):
    """x if x > 0 else a·x;  dx = g·(1 if x > 0 else a)"""
    __slots__ = ()
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, negative_slope: float) -> np.ndarray:
        slope = np.where(x > 0, 1, negative_slope).astype(x.dtype, copy=False)
        ctx.save_for_backward(slope)
        return x * slope

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        slope, = ctx.saved_tensors
        return g * slope, None


class Softplus(Op):
    """log(1 + e^(βx))/β = (max(βx, 0) + log1p(e^-|βx|))/β, x itself where βx > threshold;  dx = g·σ(βx)"""
    __slots__ = ("beta", "threshold")
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        bx = x * beta if beta != 1 else x
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(x)
        soft = np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))   # never overflows
        return np.where(bx > threshold, x, soft / beta if beta != 1 else soft)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, = ctx.saved_tensors
        bx = x * ctx.beta if ctx.beta != 1 else x
        linear = _data(bx) > ctx.threshold
        s = bx.sigmoid() if isinstance(bx, ElementwiseMethods) else sigmoid_pair(bx)[0]   # a Tensor: create_graph
        return g * (s * ~linear + linear), None, None


class Erf(Op):
    """erf x = (2/√π) ∫₀ˣ e^(-t²) dt;  dx = g·(2/√π)·e^(-x²)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return _erf(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * np.exp(-(x * x))


# W. J. Cody's rational Chebyshev approximations (Math. Comp. 23 (1969) 631-637, as in his CALERF):
# erf on |x| <= 0.46875, erfc on 0.46875 < |x| <= 4 and beyond. Largest error against math.erf on
# a fine grid of [-7, 7]: 2.2e-16 (one unit in the last place; tests/ops/test_fused.py checks it).


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


class Embedding(Op):
    """E[i] for each index i (23.19: a token becomes a vector);  dE = g added back into the rows it read"""
    __slots__ = ("indices", "shape", "padding_idx")
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, weight: np.ndarray, indices: np.ndarray, padding_idx: int | None) -> np.ndarray:
        ctx.indices, ctx.shape, ctx.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        if ctx.padding_idx is not None:   # the padding row gets no gradient, as in PyTorch
            g = g * (ctx.indices != ctx.padding_idx)[..., None]
        return index_add(g, ctx.indices, ctx.shape), None, None


class SquaredError(Op):
    """ℓ = mean((x - y)²) (23.14);  dx = g·2(x - y)/N,  dy = -dx"""
    __slots__ = ("reduction", "count")
    node_name = "MseLossBackward0"
    graph_inputs = slice(0, 2)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
        e = x - y
        ctx.save_for_backward(x, y, e)   # x and y too: under create_graph e is recomputed from them
        ctx.reduction, ctx.count = reduction, e.size
        if reduction == "none":
            return e * e
        flat = e.reshape(-1)
        total = flat @ flat
        if reduction == "sum":
            return total
        return total / e.size if e.size else np.full((), np.nan, dtype=total.dtype)   # an empty mean is nan

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y, e = ctx.saved_tensors
        if isinstance(g, TensorBase):   # create_graph: a saved e would be a constant; x - y is not
            e = x - y
        n = ctx.count or 1   # an empty batch has an empty gradient, whatever the scale
        dx = e * (g * (2 / n if ctx.reduction == "mean" else 2))
        return dx, (-dx if ctx.needs_input_grad[1] else None), None


class BinaryCrossEntropy(Op):
    """ℓ = w·-[y log x + (1 - y) log(1 - x)], each log clamped at -100 (as PyTorch), then reduced;
    dx = g·w·(x - y) / max(x(1 - x), 1e-12),  dy = g·w·(log(1 - x) - log x)  (g / N for the mean)"""
    __slots__ = ("weight", "reduction", "count")
    graph_inputs = slice(0, 2)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, y: np.ndarray, weight: np.ndarray | None, reduction: str) -> np.ndarray:
        ctx.save_for_backward(x, y)
        log_x, log_1mx = _clamped_logs(x)
        loss = -(y * log_x + (1 - y) * log_1mx)
        if weight is not None:
            loss = loss * weight
        ctx.weight, ctx.reduction, ctx.count = weight, reduction, loss.size
        return _reduce_rows(loss, reduction, loss.size)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y = ctx.saved_tensors
        g = _entry_scale(ctx, g)
        dx = g * (x - y) / np.maximum(x * (1 - x), 1e-12)
        dy = None
        if ctx.needs_input_grad[1]:
            log_x, log_1mx = _clamped_logs(x)
            dy = g * (log_1mx - log_x)
        return dx, dy, None, None


class BinaryCrossEntropyWithLogits(Op):
    """ℓ = w·[(1 - y)·x + L·softplus(-x)] with L = 1 + (p - 1)·y (p the pos_weight; L = 1 without),
    the BCE of σ(x) without computing σ, then reduced;  dx = g·w·((1 - y) - L·σ(-x)),
    dy = g·w·(-x + (p - 1)·softplus(-x))  (g / N for the mean)"""
    __slots__ = ("weight", "pos_weight", "reduction", "count")
    graph_inputs = slice(0, 2)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, y: np.ndarray, weight: np.ndarray | None, pos_weight: np.ndarray | None,
                reduction: str) -> np.ndarray:
        ctx.save_for_backward(x, y)
        softplus_neg = _softplus_neg(x)
        if pos_weight is not None:
            softplus_neg = (1 + (pos_weight - 1) * y) * softplus_neg
        loss = (1 - y) * x + softplus_neg
        if weight is not None:
            loss = loss * weight
        ctx.weight, ctx.pos_weight, ctx.reduction, ctx.count = weight, pos_weight, reduction, loss.size
        return _reduce_rows(loss, reduction, loss.size)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y = ctx.saved_tensors
        g = _entry_scale(ctx, g)
        # σ(-x), not 1 - σ(x): at x = 80 the gradient -σ(-80) survives in float32, 1 - σ(80) rounds to 0
        s = (-x).sigmoid() if isinstance(x, ElementwiseMethods) else sigmoid_pair(-x)[0]   # a Tensor: create_graph
        p = ctx.pos_weight
        dx = g * ((1 - y) - (s if p is None else (1 + (p - 1) * y) * s))
        dy = None
        if ctx.needs_input_grad[1]:
            dy = g * (-x if p is None else (p - 1) * _softplus_neg(x) - x)
        return dx, dy, None, None, None


def _softplus_neg(x: Any) -> Any:
    """softplus(-x) = log(1 + e^-x) = max(-x, 0) + log1p(e^-|x|), never overflowing (a Tensor: recorded)."""
    if isinstance(x, ElementwiseMethods):
        return Softplus.apply(-x, 1.0, np.inf)
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


def _entry_scale(ctx: Any, g: Any) -> Any:
    """d(reduced loss)/d(each entry's loss), times the entry's weight: g, g / N for the mean."""
    if ctx.reduction == "mean":
        g = g / (ctx.count or 1)   # an empty batch has an empty gradient, whatever the scale
    return g if ctx.weight is None else g * ctx.weight


def _clamped_logs(x: Any) -> tuple[Any, Any]:
    with np.errstate(divide="ignore"):   # log 0 = -inf, then clamped
        return np.maximum(np.log(x), -100), np.maximum(np.log(1 - x), -100)


def _reduce_rows(loss: np.ndarray, reduction: str, denominator: Any) -> np.ndarray:
    """Losses reduced: 'none' keeps them, 'sum' adds them, 'mean' divides the sum by `denominator`
    (the entries' count, or the rows' kept weight), nan for a mean over nothing (no entries, every
    row ignored, or weighted 0): 0/0."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if denominator == 0:
        return np.full((), np.nan, dtype=loss.dtype)
    return loss.sum() / denominator


class NegativeLogLikelihood(Op):
    """ℓᵢ = -wᵢ·x[i, tᵢ] on log-probabilities x (N, C), wᵢ = weight[tᵢ] (1 without weights, 0 on ignored
    rows);  dx[i, tᵢ] = -gᵢ·wᵢ, 0 elsewhere. 'mean' divides by Σᵢ wᵢ, as PyTorch."""
    __slots__ = ("target", "kept", "row_weight", "classes", "dtype", "reduction", "denominator")
    node_name = "NllLossBackward0"
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, target: np.ndarray, weight: np.ndarray | None, ignore_index: int, reduction: str) -> np.ndarray:
        ctx.classes, ctx.dtype, ctx.reduction = x.shape[1], x.dtype, reduction
        kept = target != ignore_index
        if weight is None and kept.all():   # every row counts once (wᵢ = 1): the training step's case
            ctx.target, ctx.kept, ctx.row_weight, ctx.denominator = target, None, None, len(target)
            return _reduce_rows(-x[np.arange(len(target)), target], reduction, ctx.denominator)
        target = np.where(kept, target, 0)
        row_weight = kept.astype(x.dtype) if weight is None else weight.astype(x.dtype)[target] * kept
        # an ignored row's loss is +0 (not -0 or -x·0): PyTorch skips it rather than weighting it by 0
        loss = np.where(kept, -(x[np.arange(len(target)), target] * row_weight), 0.0).astype(x.dtype, copy=False)
        ctx.target, ctx.kept, ctx.row_weight = target, kept, row_weight
        ctx.denominator = row_weight.sum()
        return _reduce_rows(loss, reduction, ctx.denominator)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        n = len(ctx.target)
        rows = np.arange(n)
        dloss = np.zeros((n, ctx.classes), dtype=ctx.dtype)
        kept = ctx.kept
        if kept is None:
            dloss[rows, ctx.target] = -1                              # dℓᵢ/dx[i, tᵢ] = -1
        else:
            dloss[rows[kept], ctx.target[kept]] = -ctx.row_weight[kept]   # dℓᵢ/dx[i, tᵢ] = -wᵢ
        if ctx.reduction == "none":
            return dloss * g.reshape(-1, 1), None, None, None, None
        if ctx.reduction == "mean":
            if ctx.denominator == 0:   # 0/0 on the kept targets; an ignored row has gradient 0
                dloss[rows, ctx.target] = np.nan if kept is None else np.where(kept, np.nan, 0.0)
            else:
                g = g / ctx.denominator
        return dloss * g, None, None, None, None

