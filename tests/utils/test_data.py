"""Tests of tinygrad_la/utils/data.py: Datasets, DataLoader and random_split: batching, shuffling, reproducibility, the fast path."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def make_dataset(n: int = 10) -> TensorDataset:
    X = tg.tensor(np.arange(n * 2, dtype=np.float64).reshape(n, 2))
    y = tg.arange(n)
    return TensorDataset(X, y)


class Squares(Dataset):
    """A dataset that is not a TensorDataset: read sample by sample, joined by default_collate."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, i):
        return tg.tensor([float(i), float(2 * i)]), i

    def __len__(self) -> int:
        return self.n


def test_tensor_dataset_rows():
    ds = make_dataset(5)
    x, y = ds[3]
    assert len(ds) == 5 and x.tolist() == [6.0, 7.0] and y.item() == 3
    assert TensorDataset(np.zeros((4, 2)))[0][0].shape == (2,)   # arrays are accepted too


def test_tensor_dataset_names_mismatched_sizes():
    with pytest.raises(ValueError, match=r"first dimensions are \[5, 4\]"):
        TensorDataset(tg.zeros(5, 2), tg.zeros(4))
    with pytest.raises(ValueError, match="0-dimensional"):
        TensorDataset(tg.tensor(1.0))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_batches_in_order_with_a_short_last_batch():
    loader = DataLoader(make_dataset(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [yb.tolist() for _, yb in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    xb, yb = batches[0]
    assert isinstance(xb, tg.Tensor) and xb.shape == (4, 2) and yb.dtype == np.int64


def test_drop_last():
    loader = DataLoader(make_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [yb.tolist() for _, yb in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(make_dataset(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(make_dataset(3), batch_size=4, drop_last=True)) == 0


def test_batch_size_none_gives_single_samples():
    samples = list(DataLoader(make_dataset(3), batch_size=None))
    assert len(samples) == 3 and samples[1][1].item() == 1


def test_shuffle_covers_every_sample_once_and_changes_each_epoch():
    loader = DataLoader(make_dataset(20), batch_size=6, shuffle=True)
    epochs = [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(20))
    assert not np.array_equal(epochs[0], epochs[1])


def test_shuffle_is_reproducible_with_manual_seed():
    def epoch():
        return np.concatenate([yb.numpy() for _, yb in DataLoader(make_dataset(20), batch_size=3, shuffle=True)])

    tg.manual_seed(7)
    first = epoch()
    tg.manual_seed(7)
    assert np.array_equal(epoch(), first)


def test_shuffle_with_its_own_seed_or_generator_ignores_the_global_one():
    def epochs(**kwargs):
        loader = DataLoader(make_dataset(12), batch_size=5, shuffle=True, **kwargs)
        return [np.concatenate([yb.numpy() for _, yb in loader]) for _ in range(2)]

    tg.manual_seed(1)
    a = epochs(seed=3)
    tg.manual_seed(2)
    b = epochs(seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    c = epochs(generator=np.random.default_rng(3))
    assert all(np.array_equal(x, y) for x, y in zip(a, c))
    with pytest.raises(ValueError, match="not both"):
        DataLoader(make_dataset(3), seed=1, generator=np.random.default_rng(1))


def test_fast_path_matches_sample_by_sample_collation():
    ds = make_dataset(11)
    fast = DataLoader(ds, batch_size=4, shuffle=True, seed=5)
    slow = DataLoader(ds, batch_size=4, shuffle=True, seed=5, collate_fn=default_collate)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert np.array_equal(xf.numpy(), xs.numpy()) and np.array_equal(yf.numpy(), ys.numpy())
        assert xf.dtype == xs.dtype and yf.dtype == ys.dtype


def test_batches_are_copies():
    ds = make_dataset(4)
    xb, _ = next(iter(DataLoader(ds, batch_size=2)))
    xb.data[:] = -1
    assert ds.tensors[0].data[0].tolist() == [0.0, 1.0]


def test_generic_dataset_is_collated_field_by_field():
    loader = DataLoader(Squares(5), batch_size=2)
    xb, ib = next(iter(loader))
    assert xb.tolist() == [[0.0, 0.0], [1.0, 2.0]] and ib.tolist() == [0, 1] and ib.dtype == np.int64
    assert len(loader) == 3


def test_default_collate_kinds():
    batch = default_collate([{"x": np.ones(2), "y": 1.5, "name": "a"}, {"x": np.zeros(2), "y": 2.5, "name": "b"}])
    assert batch["x"].shape == (2, 2) and batch["y"].dtype == np.float64 and batch["name"] == ["a", "b"]
    assert default_collate([[1, True], [2, False]])[1].dtype == np.bool_
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])


def test_custom_collate_fn():
    loader = DataLoader(make_dataset(4), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2]


def test_bad_batch_size():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            DataLoader(make_dataset(3), batch_size=bad)


def test_random_split_lengths():
    ds = make_dataset(10)
    train, test = random_split(ds, [7, 3], generator=np.random.default_rng(0))
    assert isinstance(train, Subset) and (len(train), len(test)) == (7, 3)
    ids = [ds_item[1].item() for part in (train, test) for ds_item in (part[i] for i in range(len(part)))]
    assert sorted(ids) == list(range(10))


def test_random_split_fractions_follow_pytorchs_rounding():
    parts = random_split(make_dataset(10), [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]   # floors 3, 3, 3; the one left over goes to the first
    with pytest.warns(UserWarning) as record:
        parts = random_split(make_dataset(3), [0.9, 0.05, 0.05])
    assert [len(p) for p in parts] == [3, 0, 0]
    assert ["index 1 is 0" in str(w.message) for w in record] == [True, False]


def test_random_split_is_reproducible_and_checks_lengths():
    tg.manual_seed(0)
    a = random_split(make_dataset(10), [5, 5])[0].indices
    tg.manual_seed(0)
    assert random_split(make_dataset(10), [5, 5])[0].indices == a
    with pytest.raises(ValueError, match="add up to 9"):
        random_split(make_dataset(10), [5, 4])
    with pytest.raises(ValueError, match="non-negative ints"):
        random_split(make_dataset(10), [12, -2])


def test_loader_over_a_subset_uses_the_subset_order():
    ds = make_dataset(10)
    part = Subset(Subset(ds, [9, 8, 7, 6, 5]), [4, 0, 2])
    (xb, yb), = list(DataLoader(part, batch_size=3))
    assert yb.tolist() == [5, 9, 7] and xb[0].tolist() == [10.0, 11.0]
    (_, ys), = list(DataLoader(part, batch_size=3, collate_fn=default_collate))
    assert ys.tolist() == [5, 9, 7]


def test_pytorch_module_path():
    from tinygrad_la.utils import data as utils_data
    from tinygrad_la.utils.data import DataLoader as Loader
    assert Loader is DataLoader and utils_data.random_split is random_split
    assert utils_data.TensorDataset is TensorDataset and utils_data.Dataset is Dataset


@pytest.mark.torch
def test_random_split_lengths_match_pytorch(pytorch):
    cases = [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (101, [0.8, 0.1, 0.1])]
    theirs = pytorch("lengths", lambda torch: [[len(p) for p in torch.utils.data.random_split(range(n), fractions)]
                                               for n, fractions in cases])
    for (n, fractions), their_lengths in zip(cases, theirs):
        assert [len(p) for p in random_split(make_dataset(n), fractions)] == their_lengths


def test_collating_samples_that_require_grad_stacks_them_with_their_graph() -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    batch = default_collate([a, b])
    assert batch.shape == (2, 2) and batch.requires_grad
    (batch * tg.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0] and b.grad.tolist() == [3.0, 4.0]
