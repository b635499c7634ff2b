"""tinygrad_la.nn: networks as trainable chains of matrix machines (chapter 23), with PyTorch's names.

    import tinygrad_la.nn as nn
    model = nn.Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Linear(12, 1))   # 23.8: ŷ = W₂ σ(W₁x + b₁) + b₂
    loss = nn.MSELoss()(model(X), y)                                        # 23.14
    loss.backward()                                                         # every W and b gets .grad

Files: module.py (Module, Parameter), layers.py (Linear, activations, Sequential, ...),
normalization.py (BatchNorm, LayerNorm), losses.py (loss modules), functional.py (everything as
functions, and the fused ops), init.py (weight initialisation), utils.py (summary, gradient clipping),
conv.py (Conv1d, Conv2d, the pools).
"""
from __future__ import annotations

from . import functional, init, utils
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .layers import (GELU, Dropout, Embedding, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ModuleDict,
                     ModuleList, ReLU, Sequential, Sigmoid, Softmax, Softplus, Tanh, Unflatten)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                     SmoothL1Loss)
from .module import Module, Parameter, RemovableHandle
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm
from .utils import Summary, summary

__all__ = ["Module", "Parameter", "RemovableHandle", "Linear", "Identity", "ReLU", "Sigmoid", "Tanh", "LeakyReLU",
           "GELU", "Softplus", "Softmax", "LogSoftmax", "Flatten", "Unflatten", "Dropout", "Embedding", "Sequential",
           "ModuleList", "ModuleDict", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "functional", "init", "utils", "summary", "Summary",
           "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
           "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm"]
