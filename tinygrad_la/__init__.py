"""tinygrad_la: a small reverse-mode autodiff engine over NumPy, with PyTorch's API.

    import tinygrad_la as tg
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    h = (w @ tg.tensor([2.0, 3.0]) + 1).relu()      # chapter 23.1: h = ReLU(w·x + b)
    h.backward()

The layers, bottom to top (each imports only the ones below it): core/ (the backward walk, grad
mode, Function), ops/ (the differentiable ops and their Tensor methods), tensor.py (Tensor), then
value, creation, functions, autograd, gradcheck; nn, optim, utils.data, serialization; and the
tools viz, compile, testing.
"""
from __future__ import annotations

from . import autograd, nn, optim, utils
# Names that are also Python builtins are re-exported one by one (`name as name`, which tells a type
# checker they are public) and kept out of __all__, so `from tinygrad_la import *` shadows none of
# Python's own: use them as tinygrad_la.sum, tinygrad_la.float, as one does torch.sum.
from .compile import CompileError
from .compile import compile as compile
from .core.device import device
from .core.dtypes import bool as bool
from .core.dtypes import double, float16, float32, float64, get_default_dtype, half, int8, int16, int32, int64, long
from .core.dtypes import float as float
from .core.dtypes import int as int
from .core.dtypes import dtype, set_default_dtype, short, uint8
from .core.engine import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .core.function import Function
from .core.random import Generator, initial_seed, manual_seed, seed
from .core.tensor_base import Size
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones,
                       ones_like, multinomial, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros,
                       zeros_like)
from .functions import abs as abs
from .functions import all as all
from .functions import any as any
from .functions import max as max
from .functions import min as min
from .functions import pow as pow
from .functions import sum as sum
from .functions import (accelerator, cat, equal, stack, where, add, allclose, amax, amin, argmax, argmin, backends, bmm, broadcast_to, chunk,
                        clamp, clip, clone, concat, concatenate, cos, cuda, detach, div, dot, einsum, eq, exp,
                        flatten, ge, gt, is_floating_point, is_tensor, isfinite, isnan, le, log, log_softmax,
                        logsumexp, lt, matmul, maximum, mean, minimum, mm, mul, ne, neg, numel, outer, permute,
                        prod, relu, reshape, sigmoid, sign, sin, softmax, split, sqrt, square, squeeze, std, sub,
                        swapaxes, t, tanh, transpose, unsqueeze, var)
from .functions import expm1, histc, histogram, linalg, log1p, log2, log10, norm, set_default_device
from .gradcheck import gradcheck, gradgradcheck
from .printing import set_printoptions as set_printoptions   # as torch; get_printoptions, printoptions: in printing
from .serialization import CheckpointError, load, save
from .tensor import Tensor
from .value import Value

__version__ = "0.1.0"

# Every public name but the eleven above that share a builtin's name (abs, all, any, bool, compile,
# float, int, max, min, pow, sum).
__all__ = [
    "Tensor", "Value", "Function", "Size", "CheckpointError", "CompileError",
    # submodules
    "autograd", "nn", "optim", "utils",
    # device and dtypes
    "device", "double", "dtype", "float16", "float32", "float64", "half", "int8", "int16", "int32", "int64", "long",
    "short", "uint8", "get_default_dtype", "set_default_dtype",
    # grad mode and randomness
    "enable_grad", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled", "manual_seed",
    "Generator", "initial_seed", "seed", "multinomial",
    # creation
    "arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like", "linspace", "ones",
    "ones_like", "rand", "rand_like", "randint", "randn", "randn_like", "randperm", "tensor", "zeros",
    "zeros_like",
    # functions of tensors
    "accelerator", "add", "allclose", "amax", "amin", "argmax", "argmin", "backends", "bmm", "broadcast_to",
    "cat", "chunk", "equal", "clamp", "clip", "clone", "concat", "concatenate", "cos", "cuda", "detach", "div", "dot",
    "einsum", "eq", "exp", "flatten", "ge", "gt", "is_floating_point", "is_tensor", "isfinite", "isnan", "le",
    "log", "log_softmax", "logsumexp", "lt", "matmul", "maximum", "mean", "minimum", "mm", "mul", "ne", "neg",
    "numel", "outer", "permute", "prod", "relu", "reshape", "sigmoid", "sign", "sin", "softmax", "split", "sqrt",
    "square", "squeeze", "stack", "std", "sub", "swapaxes", "t", "tanh", "transpose", "unsqueeze", "var",
    "where", "expm1", "linalg", "log1p", "log2", "log10", "norm", "set_default_device", "set_printoptions", "histc", "histogram",
    # gradient checks and checkpoints
    "gradcheck", "gradgradcheck", "save", "load",
]
