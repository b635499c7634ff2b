"""Helpers shared by the tests of tinygrad_la.nn: float64 tensors, small models, PyTorch comparisons."""
from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_la as tg
import tinygrad_la.nn as nn
from tinygrad_la import Tensor


def t64(array: Any, requires_grad: bool = True) -> Tensor:
    return tg.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.hidden(x).relu())


def sine_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Linear(12, 1))


CE_OPTIONS = [
    {},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"ignore_index": 1},
    {"weight": [0.5, 2.0, 1.0, 3.0]},
    {"label_smoothing": 0.2},
    {"weight": [0.5, 2.0, 1.0, 3.0], "ignore_index": 0, "label_smoothing": 0.1},
    {"weight": [0.0, 2.0, 1.0, 3.0], "label_smoothing": 0.2},       # a zero weight is not an ignored row
    {"weight": [0.5, 2.0, 1.0, 3.0], "ignore_index": 2, "label_smoothing": 0.3, "reduction": "none"},
]


def np_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def pytorch_result(pytorch: Any, question: str, theirs: Any, arrays: list) -> dict:
    """PyTorch's ``theirs(torch, *tensors)`` on float64 tensors of `arrays` that require grad, and
    the gradient of its sum for each, asked through the `pytorch` fixture (live or recorded)."""
    def compute(torch: Any) -> dict:
        tensors = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
        out = theirs(torch, *tensors)
        out.sum().backward()
        return {"out": out.detach().numpy(), "grads": [None if t.grad is None else t.grad.numpy() for t in tensors]}
    return pytorch(question, compute)


def compare_with(expected: dict, ours: Tensor, ours_inputs: list, rtol: float = 1e-10) -> None:
    """Our value and the gradients of its sum against `expected` (from pytorch_result)."""
    np.testing.assert_allclose(ours.numpy(), expected["out"], rtol=rtol, atol=1e-12)
    ours.sum().backward()
    for a, g in zip(ours_inputs, expected["grads"]):
        np.testing.assert_allclose(a.grad.numpy(), g, rtol=rtol, atol=1e-12)
