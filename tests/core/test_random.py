"""Tests of tinygrad_la/core/random.py: manual_seed makes every random draw reproducible."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg


@pytest.mark.parametrize("draw", [
    lambda: tg.rand(5), lambda: tg.randn(2, 3), lambda: tg.randint(0, 1000, (8,)), lambda: tg.randperm(20),
], ids=["rand", "randn", "randint", "randperm"])
def test_manual_seed_reproducibility(draw):
    tg.manual_seed(1234)
    first = draw().numpy().copy()
    then = draw().numpy().copy()
    tg.manual_seed(1234)
    np.testing.assert_array_equal(draw().numpy(), first)     # same seed: same numbers
    np.testing.assert_array_equal(draw().numpy(), then)      # ... and the same sequence
    tg.manual_seed(4321)
    assert not np.array_equal(draw().numpy(), first)         # different seed: different numbers


def test_a_generator_of_ones_own_is_a_stream_nothing_else_draws_from():
    g = tg.Generator().manual_seed(2147483647)
    assert g.initial_seed() == 2147483647 and isinstance(tg.manual_seed(3), tg.Generator)
    first = [tg.randn(3, generator=g).tolist(), tg.rand(2, generator=g).tolist(),
             tg.randint(0, 10, (4,), generator=g).tolist(), tg.randperm(5, generator=g).tolist(),
             tg.multinomial(tg.tensor([1.0, 2.0, 3.0]), 4, True, generator=g).tolist()]
    g.manual_seed(2147483647)
    tg.randn(100)   # the default generator moving on does not touch g
    again = [tg.randn(3, generator=g).tolist(), tg.rand(2, generator=g).tolist(),
             tg.randint(0, 10, (4,), generator=g).tolist(), tg.randperm(5, generator=g).tolist(),
             tg.multinomial(tg.tensor([1.0, 2.0, 3.0]), 4, True, generator=g).tolist()]
    assert first == again
    state = g.get_state()
    x = tg.randn(4, generator=g)
    g.set_state(state)
    assert tg.randn(4, generator=g).tolist() == x.tolist()
    weights = tg.nn.init.normal_(tg.empty(3, 3), generator=tg.Generator().manual_seed(5))
    assert weights.tolist() == tg.nn.init.normal_(tg.empty(3, 3), generator=tg.Generator().manual_seed(5)).tolist()
    with pytest.raises(RuntimeError, match="CPU"):
        tg.Generator("cuda")
    with pytest.raises(TypeError, match="generator must be"):
        tg.rand(2, generator=42)


def test_multinomial_draws_with_the_weights_probabilities():
    g = tg.Generator().manual_seed(0)
    w = tg.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 0.0, 0.0, 5.0]])   # rows need not sum to 1
    draws = tg.multinomial(w, 20000, replacement=True, generator=g)
    assert draws.shape == (2, 20000) and draws.dtype == np.int64
    freq = np.bincount(draws[0].numpy(), minlength=4) / 20000
    np.testing.assert_allclose(freq, [1 / 8, 0, 3 / 8, 4 / 8], atol=0.015)
    assert (draws[1] == 3).all()
    once = w[0].multinomial(3, generator=g)   # without replacement: each index at most once, never a 0 weight
    assert once.shape == (3,) and sorted(once.tolist()) == [0, 2, 3]
    # without replacement, the first draw follows the weights too
    firsts = np.array([w[0].multinomial(1, generator=g).item() for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(firsts, minlength=4) / 4000, [1 / 8, 0, 3 / 8, 4 / 8], atol=0.03)


@pytest.mark.parametrize("weights, n, replacement, message", [
    ([0.5, -0.1], 1, True, "element < 0"),
    ([0.0, 0.0], 1, True, "sum of probabilities <= 0"),
    ([1.0, float("nan")], 1, True, "nan"),
    ([1.0, 2.0], 3, False, "without replacement"),
    ([1.0, 0.0, 0.0], 2, False, "non-zero"),
    ([[[1.0]]], 1, True, "1 or 2 dim"),
])
def test_multinomial_refuses_what_pytorch_refuses(weights, n, replacement, message):
    with pytest.raises(RuntimeError, match=message):
        tg.multinomial(tg.tensor(weights), n, replacement)


@pytest.mark.torch
def test_multinomial_shapes_and_dtypes_are_pytorchs(pytorch):
    cases = [((5,), 3, False), ((2, 5), 7, True), ((1, 5), 5, False)]

    def theirs(torch):
        drawn = [torch.multinomial(torch.tensor(np.random.default_rng(1).random(shape) + 0.1), n, replacement)
                 for shape, n, replacement in cases]
        return [[list(t.shape), str(t.dtype)] for t in drawn]   # shapes and dtypes: the draws themselves differ
    for (shape, n, replacement), (their_shape, their_dtype) in zip(cases, pytorch("shapes and dtypes", theirs)):
        ours = tg.multinomial(tg.tensor(np.random.default_rng(1).random(shape) + 0.1), n, replacement)
        assert list(ours.shape) == their_shape and their_dtype == "torch.int64" and ours.dtype == np.int64
