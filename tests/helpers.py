"""Helpers shared by test modules in several folders."""
from __future__ import annotations

import tinygrad_la as tg


def leaf(values, **kwargs) -> tg.Tensor:
    return tg.tensor(values, dtype=tg.float64, requires_grad=True, **kwargs)
