"""tinygrad_la: a small reverse-mode autodiff engine over NumPy, with PyTorch's API.

    import tinygrad_la as tg
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    h = (w @ tg.tensor([2.0, 3.0]) + 1).relu()      # chapter 23.1: h = ReLU(w·x + b)
    h.backward()
"""
from __future__ import annotations

from .tensor import Tensor                      # first: the other modules build on it
from . import ops as _ops
from .engine import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .function import Function
from .dtypes import (bool, double, float, float16, float32, float64, get_default_dtype, half,  # noqa: A004
                     int, int8, int16, int32, int64, long, set_default_dtype, short, uint8)
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace,
                       manual_seed, ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm,
                       tensor, zeros, zeros_like)
from .ops import cat, stack, where, MinMax
from . import autograd
from .value import Value
from .gradcheck import gradcheck, gradgradcheck
from .api import *  # noqa: F401,F403  (module-level versions of the tensor methods)
from . import data, nn, optim, utils
from .serialization import save, load, CheckpointError
from .compile import compile, CompileError

__version__ = "0.1.0"
