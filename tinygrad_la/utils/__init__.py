"""PyTorch's ``torch.utils`` layout: ``tinygrad_la.utils.data.DataLoader`` is ``tinygrad_la.data.DataLoader``."""
from __future__ import annotations

from . import data

__all__ = ["data"]
