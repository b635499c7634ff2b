"""Datasets and minibatches (PyTorch's ``torch.utils.data``).

Chapter 23.10 computes a whole batch at once: the rows of X are samples. A `DataLoader` cuts a
dataset into such batches, shuffled each epoch if asked:

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for xb, yb in loader:          # xb: (32, features), yb: (32,)
        ...

Shuffling draws from the library's generator (`tinygrad_la.manual_seed` makes it reproducible)
unless the loader is given its own `generator` or `seed`.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Callable, Iterable, Iterator, Sequence, Sized

import numpy as np

from .. import creation
from ..core.random import generator as _generator
from ..ops.movement import stack
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate"]

# a TensorDataset's arrays, and the row of each sample in them when Subsets wrap it (None: row = index)
_Arrays = tuple[tuple[np.ndarray, ...], np.ndarray | None]


class Dataset:
    """A collection of samples: ``dataset[i]`` is sample i, ``len(dataset)`` how many there are."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")


class TensorDataset(Dataset):
    """Samples are rows: ``dataset[i] = (t[i] for t in tensors)``; all tensors share the first dimension."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else creation.as_tensor(t) for t in tensors)
        for i, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional; each tensor needs a first "
                                 "dimension that indexes the samples")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes} (shapes "
                             f"{[t.shape for t in tensors]}); every tensor needs one row per sample")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        """How many samples: the tensors' first dimension."""
        rows: int = self.tensors[0].shape[0]
        return rows


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths, or fractions summing to 1.

    Fractions are floored, and the samples left over go one each to the first subsets (PyTorch's rule).
    """
    n = len(dataset)
    sizes: Sequence[float] = list(lengths)   # fractions until they are turned into counts
    if math.isclose(sum(sizes), 1) and sum(sizes) <= 1:
        counts: list[int] = []
        for i, fraction in enumerate(sizes):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {fraction}; fractions must be in [0, 1]")
            counts.append(int(math.floor(n * fraction)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this subset will be empty",
                              stacklevel=2)
        sizes = counts
    if any(not isinstance(k, numbers.Integral) or k < 0 for k in sizes):
        raise ValueError(f"random_split: lengths must be non-negative ints (or fractions summing to 1); "
                         f"got {sizes}")
    if sum(sizes) != n:
        raise ValueError(f"random_split: lengths {sizes} add up to {sum(sizes)}, but the dataset has {n} "
                         "samples")
    order = _generator(generator).permutation(n).tolist()
    subsets: list[Subset] = []
    start = 0
    for length in (int(k) for k in sizes):
        subsets.append(Subset(dataset, order[start:start + length]))
        start += length
    return subsets


def default_collate(samples: list[Any]) -> Any:
    """Stack a list of samples into a batch: tensors, arrays and numbers become a Tensor with a new
    first dimension; tuples, lists and dicts are collated field by field."""
    first = samples[0]
    if isinstance(first, Tensor):
        if any(s.requires_grad for s in samples):
            return stack(samples)
        return Tensor._make(np.stack([s._array for s in samples]), None)
    if isinstance(first, (np.ndarray, np.generic)):
        return Tensor._make(np.stack(samples), None)
    if isinstance(first, bool):
        return Tensor._make(np.array(samples, dtype=np.bool_), None)
    if isinstance(first, numbers.Integral):
        return Tensor._make(np.array(samples, dtype=np.int64), None)
    if isinstance(first, numbers.Real):
        return Tensor._make(np.array(samples, dtype=np.float64), None)
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise RuntimeError("default_collate: the samples of a batch have different numbers of fields")
        fields = [default_collate(list(field)) for field in zip(*samples)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):   # a namedtuple
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(f"default_collate: don't know how to batch samples of type {type(first).__name__}; "
                    "give tensors, arrays, numbers, or tuples/lists/dicts of them, or pass collate_fn=")


class DataLoader:
    """Batches of a dataset: ``for xb, yb in DataLoader(TensorDataset(X, y), batch_size=32): ...``

    shuffle    a new random order every epoch (every ``iter(loader)``), drawn from ``generator``,
               or a generator seeded once with ``seed``, or else the library's generator
               (``tinygrad_la.manual_seed``) at the start of the epoch.
    sampler    the indices to visit, in order: any iterable of ints, iterated afresh every epoch
               (instead of shuffle).
    drop_last  leave out a last batch smaller than batch_size.
    batch_size None yields single samples, unbatched.

    A TensorDataset (or a Subset of one) is batched by indexing its arrays with all of a batch's
    indices at once; other datasets are read sample by sample and joined by ``collate_fn``.
    Batches are copies: changing one in place leaves the dataset as it was. ``num_workers`` and
    ``pin_memory`` are accepted so PyTorch code runs; loading happens in this process.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False, drop_last: bool = False,
                 collate_fn: Callable[[list[Any]], Any] | None = None, generator: Any = None,
                 seed: int | None = None, num_workers: int = 0, pin_memory: bool = False,
                 sampler: Iterable[int] | None = None) -> None:
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool)
                                       or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer (or None); got "
                             f"batch_size={batch_size!r}")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: give generator= or seed=, not both")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler= gives the order itself, so it cannot be combined with "
                             "shuffle=True; shuffle inside the sampler instead")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = np.random.default_rng(seed) if seed is not None else generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        if self.sampler is not None and not isinstance(self.sampler, Sized):
            raise TypeError(f"DataLoader: its sampler ({type(self.sampler).__name__}) has no len(), so the "
                            "number of batches is unknown")
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return _generator(self.generator).permutation(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()   # drawn now, at the start of the epoch
        if self.batch_size is None:
            return (self.dataset[int(i)] for i in order)
        arrays = _tensor_arrays(self.dataset) if self.collate_fn is None else None
        return self._batches(order, arrays, self.batch_size)

    def _batches(self, order: np.ndarray, arrays: _Arrays | None, size: int) -> Iterator[Any]:
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        collate = self.collate_fn or default_collate
        for start in range(0, stop, size):
            batch = order[start:start + size]
            if arrays is not None:   # fast path: one fancy index per tensor, no per-sample loop
                data, mapping = arrays
                rows = batch if mapping is None else mapping[batch]
                yield tuple(Tensor._make(a[rows], None) for a in data)
            else:
                yield collate([self.dataset[int(i)] for i in batch])


def _tensor_arrays(dataset: Any) -> _Arrays | None:
    """(the arrays of a TensorDataset, index map of the Subsets around it), or None for other datasets."""
    mapping = None
    while type(dataset) is Subset:
        indices = np.asarray(dataset.indices, dtype=np.int64)
        mapping = indices if mapping is None else indices[mapping]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset or any(t.requires_grad for t in dataset.tensors):
        return None
    return tuple(t._array for t in dataset.tensors), mapping
