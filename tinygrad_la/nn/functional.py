"""nn.functional: layers and losses as functions (PyTorch's ``torch.nn.functional``, usually ``F``).

Most functions are compositions of Tensor's methods. The few that are one fused op with its own
backward (linear, nll_loss, mse_loss, binary_cross_entropy(_with_logits), softplus, gelu,
leaky_relu, embedding) call the op classes in ops/fused.py, where their formulas are; here are
PyTorch's signatures and the checks of what the user passed. Each records the graph PyTorch
records (cross_entropy is log_softmax, then nll_loss), so printed grad_fns and next_functions match.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..core import dtypes
from ..core.engine import no_grad
from ..core.random import generator
from ..ops.conv import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, max_pool2d
from ..ops.fused import (Addmm, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, Embedding, Erf, LeakyRelu,
                         LinearNoBias, NegativeLogLikelihood, Softplus, SquaredError)
from ..ops.movement import Reshape, SqueezeRow, UnsafeView
from ..tensor import Tensor

__all__ = ["linear", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softplus", "logsigmoid", "softmax",
           "log_softmax", "dropout", "embedding", "one_hot", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d", "conv2d", "max_pool2d",
           "avg_pool2d", "adaptive_avg_pool2d", "batch_norm", "layer_norm", "smooth_l1_loss", "huber_loss"]


# --- layers ---------------------------------------------------------------------------------------

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Z = X Wᵀ + 1 bᵀ on a batch (N, in) or any (..., in), or z = W x + b on one vector (in,)."""
    out: Tensor = (Addmm if bias is not None else LinearNoBias).apply(input, weight, bias)
    if out.grad_fn is None or np.ndim(input) == 2:
        return out
    # any other input PyTorch views as a batch of rows, and the result back: its graph shows that view
    view = Reshape if bias is not None else SqueezeRow if np.ndim(input) == 1 else UnsafeView
    viewed: Tensor = view.apply(out, out.shape)
    return viewed


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x) (23.2)."""
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x) (23.2)."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh(x) entry by entry (23.2): (e^x - e^-x) / (e^x + e^-x)."""
    return input.tanh()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, negative_slope·x elsewhere (a ReLU that still passes gradient for x < 0)."""
    out: Tensor = LeakyRelu.apply(input, negative_slope)
    return out


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """A smooth ReLU: log(1 + e^(βx))/β, computed without overflow."""
    out: Tensor = Softplus.apply(input, beta, threshold)
    return out


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x) = -softplus(-x): finite for every x (log(sigmoid(x)) is -inf below x ≈ -745)."""
    softplus_neg: Tensor = Softplus.apply(-input, 1.0, np.inf)
    return 0.0 - softplus_neg   # 0 - s, not -s: logsigmoid(inf) = +0, as PyTorch


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF: 0.5·x·(1 + erf(x/√2)); 'tanh' uses the tanh approximation."""
    if approximate == "none":
        erf: Tensor = Erf.apply(input * (1 / math.sqrt(2)))
        return 0.5 * input * (1 + erf)
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
    mask: np.ndarray = (generator().random(input.shape) >= p).astype(input.dtype) * input.dtype.type(1 / (1 - p))
    return input * mask


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) picked by integer indices: (*) -> (*, embedding_dim)."""
    indices = np.asarray(input._array if isinstance(input, Tensor) else input)
    n = weight.shape[0]
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers (tinygrad_la.int64); got dtype "
                        f"{dtypes.public(indices.dtype)}. Use x.long().")
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        bad = indices[(indices < 0) | (indices >= n)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for an Embedding with {n} rows "
                         f"(valid indices are 0..{n - 1})")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    out: Tensor = Embedding.apply(weight, indices, padding_idx)
    return out


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices (*) -> (*, num_classes) rows of zeros with a 1 at each index (int64)."""
    labels = np.asarray(tensor._array if isinstance(tensor, Tensor) else tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensors (integers); got dtype "
                        f"{dtypes.public(labels.dtype)}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative; got {labels.min()}")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"one_hot: class value {labels.max()} is too large for num_classes={num_classes}")
    out = np.zeros(labels.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1, axis=-1)
    result: Tensor = Tensor._make(out, None)
    return result


# --- normalization ----------------------------------------------------------------------------------
# Both are compositions of mean, var(correction=0), sqrt and broadcasting, so their gradients (and
# gradients of gradients) come from those ops' backwards.

def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """y = (x - μ_c) / √(σ²_c + ε) · γ_c + β_c per channel c (dim 1) of input (N, C, *).

    training=True: μ and σ² are the batch's mean and biased variance over every dim but 1, and the
    running stats (when given) move towards them without being recorded:
    running = (1 - momentum)·running + momentum·batch, with the unbiased variance for running_var.
    training=False: μ and σ² are running_mean and running_var.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, *) with the channels in dim 1; got shape "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    for name, given in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                        ("bias", bias)):
        if given is not None and tuple(given.shape) != (c,):
            raise RuntimeError(f"batch_norm: {name} must hold one value per channel, shape ({c},), for input of "
                               f"shape {tuple(input.shape)}; got shape {tuple(given.shape)}")
    dims = (0,) + tuple(range(2, input.ndim))
    per_channel = (1, c) + (1,) * (input.ndim - 2)
    if training:
        count = input.shape[0] * math.prod(input.shape[2:])
        if count == 1:   # PyTorch's check: a single value has no spread to normalize by
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(input.shape)}")
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, keepdim=True, correction=0)
        if count > 1:   # an empty batch leaves the running stats alone
            with no_grad():
                if running_mean is not None:
                    running_mean.copy_(momentum * mean._array.reshape(c) + (1 - momentum) * running_mean._array)
                if running_var is not None:
                    unbiased = var._array.reshape(c) * (count / (count - 1))
                    running_var.copy_(momentum * unbiased + (1 - momentum) * running_var._array)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given in evaluation mode "
                               "(training=False); pass training=True to normalize with the batch's statistics")
        mean, var = running_mean.reshape(per_channel), running_var.reshape(per_channel)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """y = (x - μ) / √(σ² + ε) · γ + β, μ and the biased σ² over the last len(normalized_shape) dims.

    weight γ and bias β have shape normalized_shape and apply entry by entry.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}")
    for name, given in (("weight", weight), ("bias", bias)):
        if given is not None and tuple(given.shape) != shape:
            raise RuntimeError(f"layer_norm: expected {name} to be of same shape as normalized_shape {list(shape)}, "
                               f"but got {name} of shape {list(given.shape)}")
    dims = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, keepdim=True, correction=0)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


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
        raise ValueError(f"{name}: input has shape {tuple(input.shape)} but target has shape {tuple(target.shape)}; they must "
                         f"match (broadcasting them would compare every prediction with every target). "
                         f"Reshape one of them, e.g. target.reshape{tuple(input.shape)}.")


def _float_target(name: str, input: Tensor, target: Tensor) -> None:
    if target.dtype.kind != "f" or input.dtype.kind != "f":
        raise TypeError(f"{name}: input has dtype {input.dtype} and target has dtype {target.dtype}; both must be "
                        "floating point. Convert with .double() or .float().")


def mse_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Mean squared error (23.14): L = (1/N) Σ (ŷ_i - y_i)²."""
    if not isinstance(target, Tensor):
        target = Tensor(target)
    if not isinstance(input, Tensor):
        input = Tensor(input)
    x, y = input._array, target._array      # checks on the arrays: this runs on every training step
    if x.shape != y.shape:
        _same_shape("mse_loss", input, target)
    if x.dtype.kind != "f" or y.dtype.kind != "f":
        _float_target("mse_loss", input, target)
    if size_average is not None or reduce is not None or reduction not in _REDUCTIONS:
        reduction = _reduction(reduction, size_average, reduce)
    out: Tensor = SquaredError.apply(input, target, reduction)
    return out


def l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """Mean absolute error: (1/N) Σ |ŷ_i - y_i|."""
    input, target = _as_tensor(input), _as_tensor(target)
    _same_shape("l1_loss", input, target)
    _float_target("l1_loss", input, target)
    return _reduce((input - target).abs(), _reduction(reduction, size_average, reduce))


def smooth_l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """ℓ = ½ d²/β where d = |ŷ - y| < β, else d - ½β: quadratic near 0, linear far out (β = 0: l1_loss)."""
    return _piecewise_loss("smooth_l1_loss", input, target, size_average, reduce, reduction, beta, scaled=False)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """ℓ = ½ d² where d = |ŷ - y| < δ, else δ(d - ½δ): smooth_l1_loss times δ."""
    return _piecewise_loss("huber_loss", input, target, None, None, reduction, delta, scaled=True)


def _piecewise_loss(name: str, input: Any, target: Any, size_average: Any, reduce: Any, reduction: str,
                    threshold: float, scaled: bool) -> Tensor:
    input, target = _as_tensor(input), _as_tensor(target)
    _same_shape(name, input, target)
    _float_target(name, input, target)
    if not threshold >= 0:
        raise ValueError(f"{name}: {'delta' if scaled else 'beta'} must be >= 0; got {threshold}")
    d = (input - target).abs()
    if threshold == 0:
        loss = d
    elif scaled:   # Huber: ½d² inside, δ(d - ½δ) outside
        loss = (0.5 * d * d).where(d < threshold, threshold * (d - 0.5 * threshold))
    else:          # smooth L1: ½d²/β inside, d - ½β outside
        loss = (0.5 / threshold * d * d).where(d < threshold, d - 0.5 * threshold)
    return _reduce(loss, _reduction(reduction, size_average, reduce))


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """-[y log p + (1 - y) log(1 - p)] for probabilities p in [0, 1] (use the _with_logits form on scores)."""
    input, target = _as_tensor(input), _as_tensor(target)
    _same_shape("binary_cross_entropy", input, target)
    _float_target("binary_cross_entropy", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    data = input._array
    if data.size and not (data.min() >= 0 and data.max() <= 1):   # nan fails too, as in PyTorch
        raise ValueError(f"binary_cross_entropy: all elements of input should be between 0 and 1 (they are "
                         f"probabilities); got {_range_of(data)}. Apply sigmoid first, or use "
                         "binary_cross_entropy_with_logits on the raw scores.")
    labels = target._array
    if labels.size and not (labels.min() >= 0 and labels.max() <= 1):
        raise ValueError(f"binary_cross_entropy: all elements of target should be between 0 and 1 (a label, or "
                         f"the probability of class 1); got {_range_of(labels)}")
    loss: Tensor = BinaryCrossEntropy.apply(input, target, _fixed("binary_cross_entropy", "weight", weight), reduction)
    return loss


def _fixed(name: str, argument: str, value: Any) -> np.ndarray | None:
    """A loss's weight as an array: a constant, as PyTorch (which refuses one that requires grad)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise RuntimeError(f"The function '{name}' is not differentiable with respect to argument "
                               f"'{argument}'. This input cannot have requires_grad True (pass {argument}.detach()).")
        return value._array
    return np.asarray(value)


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
    name = "binary_cross_entropy_with_logits"
    loss: Tensor = BinaryCrossEntropyWithLogits.apply(input, target, _fixed(name, "weight", weight),
                                                      _fixed(name, "pos_weight", pos_weight), reduction)
    return loss


# --- classification: cross-entropy and NLL --------------------------------------------------------

def _scores(name: str, input: Any) -> Tensor:
    """The input of a classification loss: float scores (a list or array is taken as a tensor)."""
    scores = _as_tensor(input)
    if scores.dtype.kind != "f":
        raise TypeError(f"{name}: input (the scores) must be floating point; got dtype {scores.dtype}. Pass the "
                        f"model's output first and the class indices second: {name}(input, target).")
    return scores


def _class_target(name: str, input: Tensor, target: np.ndarray, ignore_index: int) -> tuple[np.ndarray, int]:
    """Check integer class targets against the input's shape and class count, before any computing."""
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    expected = () if input.ndim == 1 else tuple(input.shape[:1] + input.shape[2:])
    if target.shape != expected:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} needs class targets of shape {expected}; got target "
                         f"of shape {tuple(target.shape)}" + (f" (for class probabilities give a float target of shape "
                                                       f"{tuple(input.shape)})" if target.ndim == input.ndim else ""))
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
    array = np.asarray(weight._array if isinstance(weight, Tensor) else weight)
    if array.shape != (c,):
        raise ValueError(f"{name}: weight must have one entry per class, shape ({c},); got shape {tuple(array.shape)}")
    return array


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
                  reduce: Any = None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """-log softmax(x)[t] (23.14): logits (N, C), (C,) or (N, C, d1, ...) against class indices
    (N,)/()/(N, d1, ...) or class probabilities of the input's shape. One fused op for class
    indices; stable for any finite logits."""
    reduction = _reduction(reduction, size_average, reduce)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0 and 1; got {label_smoothing}")
    target_data = np.asarray(target._array if isinstance(target, Tensor) else target)
    input = _scores("cross_entropy", input)
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, shape (C,) or (N, C, ...); got a scalar")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    weight = _class_weight("cross_entropy", weight, c)
    if target_data.dtype.kind in "iu":
        target_data, c = _class_target("cross_entropy", input, target_data, ignore_index)
        logits, classes = _rows(input, target_data, c)
        log_p = logits.log_softmax(1)
        loss: Tensor = NegativeLogLikelihood.apply(log_p, classes, weight, ignore_index, reduction)
        if label_smoothing:
            loss = _smoothed(loss, log_p, classes, weight, ignore_index, reduction, label_smoothing)
        return loss.reshape(target_data.shape) if reduction == "none" and input.ndim != 2 else loss
    if target_data.dtype.kind != "f":
        raise TypeError(f"cross_entropy: target must hold class indices (tinygrad_la.int64) or class probabilities "
                        f"(floating point); got dtype {dtypes.public(target_data.dtype)}")
    if target_data.shape != input.shape:
        raise ValueError(f"cross_entropy: float targets are class probabilities and need the input's shape "
                         f"{tuple(input.shape)}; got target of shape {tuple(target_data.shape)}. For class indices use an "
                         "integer target (target.long()).")
    if ignore_index != -100:
        raise ValueError("cross_entropy: ignore_index is only for class-index targets, not class probabilities")
    return _soft_cross_entropy(input, _as_tensor(target), weight, reduction, label_smoothing, c)


def _smoothed(nll: Tensor, log_p: Tensor, classes: np.ndarray, weight: np.ndarray | None, ignore_index: int,
              reduction: str, eps: float) -> Tensor:
    """Label smoothing as PyTorch composes it: (1 - ε)·nll + ε/C·smooth, where smooth is the loss
    against the uniform target, -Σ_c w_c log p_c per row (0 on ignored rows), reduced as nll is
    (the mean divides by the same Σ w[tᵢ] over kept rows)."""
    c = log_p.shape[1]
    terms = log_p if weight is None else log_p * weight.astype(log_p.dtype, copy=False)
    smooth = -terms.sum(1)
    kept = classes != ignore_index
    if reduction == "none":
        if not kept.all():
            smooth = smooth.where(kept, 0.0)
        return (1 - eps) * nll + smooth * (eps / c)
    if not kept.all():   # the kept rows picked out: an ignored row's gradient is 0 even from a nan mean
        smooth = smooth[np.flatnonzero(kept)]
    smooth = smooth.sum()
    if reduction == "mean":
        kept_weight = kept.sum() if weight is None else weight[classes[kept]].sum()
        smooth = smooth / kept_weight if kept_weight else smooth * math.nan   # 0/0 over no weight
    return (1 - eps) * nll + smooth * (eps / c)


def _soft_cross_entropy(input: Tensor, target: Tensor, weight: Any, reduction: str, eps: float, c: int) -> Tensor:
    """-Σ_c y_c log p_c against class probabilities y, composed as PyTorch does (the sum over all
    entries, then the division by the number of rows, for the mean)."""
    class_dim = 0 if input.ndim == 1 else 1
    if eps:
        target = target * (1 - eps) + eps / c
    log_p = input.log_softmax(class_dim)
    terms = log_p * target
    if weight is not None:
        terms = terms * weight.reshape((c,) + (1,) * (input.ndim - class_dim - 1))
    if reduction == "none":
        return -terms.sum(class_dim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    rows = input._array.size // c if c else 1
    return total / rows if rows else total + math.nan   # the mean of no rows is nan


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: Any = None, ignore_index: int = -100,
             reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood: -input[i, t_i] for log-probabilities input (N, C) (or (C,), (N, C, d...)).

    cross_entropy(x, t) = nll_loss(log_softmax(x, 1), t).
    """
    reduction = _reduction(reduction, size_average, reduce)
    input = _scores("nll_loss", input)
    if input.ndim == 0:
        raise ValueError("nll_loss: input must have a class dimension, shape (C,) or (N, C, ...); got a scalar")
    target_data = np.asarray(target._array if isinstance(target, Tensor) else target)
    if target_data.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold class indices (tinygrad_la.int64); got dtype "
                        f"{dtypes.public(target_data.dtype)}")
    target_data, c = _class_target("nll_loss", input, target_data, ignore_index)
    weight = _class_weight("nll_loss", weight, c)
    log_p, classes = _rows(input, target_data, c)
    loss: Tensor = NegativeLogLikelihood.apply(log_p, classes, weight, ignore_index, reduction)
    return loss.reshape(target_data.shape) if reduction == "none" and input.ndim != 2 else loss
