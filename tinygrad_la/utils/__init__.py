"""PyTorch's ``torch.utils`` layout: datasets and loaders are in ``tinygrad_la.utils.data``."""
from __future__ import annotations

from . import data

__all__ = ["data"]
