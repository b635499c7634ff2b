"""``torch.utils.data`` by its PyTorch name; the code lives in ``tinygrad_la/data.py``."""
from __future__ import annotations

from ..data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate"]
