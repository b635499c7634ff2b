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

import builtins as _builtins

from . import autograd, nn, optim, utils
from .compile import CompileError, compile
from .core.device import device
from .core.dtypes import (bool, double, float, float16, float32, float64, get_default_dtype, half, int, int8,
                          int16, int32, int64, long, set_default_dtype, short, uint8)
from .core.engine import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .core.function import Function
from .core.random import manual_seed
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones,
                       ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like)
from .functions import (abs, accelerator, add, all, allclose, amax, amin, any, argmax, argmin, backends, bmm,
                        broadcast_to, chunk, clamp, clip, clone, concat, concatenate, cos, cuda, detach, div, dot,
                        einsum, eq, exp, flatten, ge, gt, is_floating_point, is_tensor, isfinite, isnan, le, log,
                        log_softmax, logsumexp, lt, matmul, max, maximum, mean, min, minimum, mm, mul, ne, neg,
                        numel, outer, permute, pow, prod, relu, reshape, sigmoid, sign, sin, softmax, split, sqrt,
                        square, squeeze, std, sub, sum, swapaxes, t, tanh, transpose, unsqueeze, var)
from .gradcheck import gradcheck, gradgradcheck
from .ops.elementwise import where
from .ops.movement import cat, stack
from .serialization import CheckpointError, load, save
from .tensor import Tensor
from .value import Value

__version__ = "0.1.0"

# Every public name; `from tinygrad_la import *` leaves out those that would shadow Python's own
# builtins (sum, max, abs, bool, compile, ...): use them as tinygrad_la.sum, as one does torch.sum.
_PUBLIC = ["Tensor", "Value", "Function", "CheckpointError", "CompileError", "autograd", "nn", "optim", "utils",
           "device", "bool", "double", "float", "float16", "float32", "float64", "half", "int", "int8", "int16",
           "int32", "int64", "long", "short", "uint8", "get_default_dtype", "set_default_dtype", "enable_grad",
           "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled", "manual_seed", "arange",
           "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like", "linspace", "ones",
           "ones_like", "rand", "rand_like", "randint", "randn", "randn_like", "randperm", "tensor", "zeros",
           "zeros_like", "abs", "accelerator", "add", "all", "allclose", "amax", "amin", "any", "argmax", "argmin",
           "backends", "bmm", "broadcast_to", "chunk", "clamp", "clip", "clone", "concat", "concatenate", "cos",
           "cuda", "detach", "div", "dot", "einsum", "eq", "exp", "flatten", "ge", "gt", "is_floating_point",
           "is_tensor", "isfinite", "isnan", "le", "log", "log_softmax", "logsumexp", "lt", "matmul", "max",
           "maximum", "mean", "min", "minimum", "mm", "mul", "ne", "neg", "numel", "outer", "permute", "pow",
           "prod", "relu", "reshape", "sigmoid", "sign", "sin", "softmax", "split", "sqrt", "square", "squeeze",
           "std", "sub", "sum", "swapaxes", "t", "tanh", "transpose", "unsqueeze", "var", "gradcheck",
           "gradgradcheck", "where", "cat", "stack", "save", "load", "compile"]
__all__ = [name for name in _PUBLIC if not hasattr(_builtins, name)]
