"""Tests of tinygrad_la/nn/utils.py: summary and gradient clipping.

summary's counts for the chapter's layers; clip_grad_norm_ / clip_grad_value_ for every norm
type, non-finite and huge gradients, and parameters given as any iterable. Tests marked `torch`
compare with PyTorch.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn as nn

from tests.nn.helpers import TwoLayer, t64


# =================================================================================================
# summary (23.18 and 23.22's counts)
# =================================================================================================

@pytest.mark.parametrize("in_features, out_features, count", [(784, 128, 100480), (20, 7, 147), (3072, 200, 614600)])
def test_summary_counts_the_chapter_layers(in_features: int, out_features: int, count: int) -> None:
    report = nn.summary(nn.Linear(in_features, out_features), (1, in_features))
    assert report.total_params == count == report.trainable_params
    assert report.rows[0].output_shape == (1, out_features) and report.rows[0].num_params == count
    assert f"{count:,}" in str(report)
    assert nn.Linear(in_features, out_features).num_parameters() == count


def test_summary_of_a_network_lists_layers_shapes_and_totals() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    model[3].requires_grad_(False)
    report = nn.utils.summary(model, (2, 28, 28))
    assert [(r.name, r.type, r.output_shape, r.num_params) for r in report.rows] == [
        ("0", "Flatten", (2, 784), 0), ("1", "Linear", (2, 128), 100480), ("2", "ReLU", (2, 128), 0),
        ("3", "Linear", (2, 10), 1290)]
    assert report.total_params == 101770 and report.trainable_params == 100480
    text = str(report)
    for piece in ("1 (Linear)", "(2, 128)", "100,480", "Total params: 101,770", "Trainable params: 100,480",
                  "Non-trainable params: 1,290"):
        assert piece in text
    assert all(not m._forward_hooks for m in model.modules())   # hooks are taken off again
    assert tg.is_grad_enabled()


def test_summary_of_a_custom_module_counts_nested_rows_once() -> None:
    report = nn.summary(TwoLayer(), (5, 2))
    assert [(r.name, r.output_shape) for r in report.rows] == [("hidden", (5, 3)), ("out", (5, 1))]
    assert report.total_params == 13


# =================================================================================================
# gradient clipping
# =================================================================================================

def test_clip_grad_norm_and_value() -> None:
    a, b = nn.Parameter(tg.zeros(2)), nn.Parameter(tg.zeros(1))
    a.grad, b.grad = tg.tensor([3.0, 0.0]), tg.tensor([4.0])
    norm = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert norm.item() == pytest.approx(5.0)
    total = math.sqrt((a.grad.numpy() ** 2).sum() + (b.grad.numpy() ** 2).sum())
    assert total == pytest.approx(1.0, rel=1e-5)
    a.grad = tg.tensor([3.0, -7.0])
    nn.utils.clip_grad_value_([a], 2.0)
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, -2.0])


def _with_grads(grads: list, dtype: Any = np.float64) -> list:
    params = []
    for g in grads:
        p = nn.Parameter(tg.zeros(*np.shape(g), dtype=dtype))
        p.grad = tg.tensor(np.array(g, dtype=dtype))
        params.append(p)
    return params


def test_clip_grad_norm_returns_the_norm_in_the_gradients_dtype_and_clips_to_max_norm() -> None:
    for dtype in (np.float64, np.float32):
        params = _with_grads([[3.0, 0.0], [4.0]], dtype)
        norm = nn.utils.clip_grad_norm_(params, max_norm=1.0)
        assert norm.dtype == dtype and norm.shape == () and norm.item() == pytest.approx(5.0)
        clipped = np.concatenate([p.grad.numpy() for p in params])
        np.testing.assert_allclose(clipped, np.array([3.0, 0.0, 4.0]) / (5.0 + 1e-6), rtol=1e-6)
    params = _with_grads([[0.3, 0.4]])
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == pytest.approx(0.5)   # under max_norm: unchanged
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.3, 0.4])


@pytest.mark.parametrize("norm_type, expected", [(1, 7.0), (float("inf"), 4.0), (3.0, (27 + 64) ** (1 / 3)),
                                                 (0, 2.0), (float("-inf"), 0.0)])
def test_clip_grad_norm_other_norm_types(norm_type: float, expected: float) -> None:
    # PyTorch's definition: the norm of the per-tensor norms (for 0: tensors with a nonzero entry)
    params = _with_grads([[3.0, 0.0], [-4.0], [0.0]])
    assert nn.utils.clip_grad_norm_(params, 100.0, norm_type=norm_type).item() == pytest.approx(expected)


def test_clip_grad_norm_with_nan_or_inf_gradients() -> None:
    params = _with_grads([[1.0, math.nan], [2.0]])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[1].grad.numpy(), [2.0])              # nothing changed
    assert math.isnan(nn.utils.clip_grad_norm_(params, 1.0).item())           # PyTorch: scaled by nan
    assert np.isnan(params[1].grad.numpy()).all()
    params = _with_grads([[1.0, math.inf], [2.0]])
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == math.inf           # scaled by 1/inf = 0
    np.testing.assert_array_equal(params[1].grad.numpy(), [0.0])


def test_clip_grad_norm_of_huge_gradients_does_not_overflow() -> None:
    # Σ g² overflows to inf for g = 1e200; the norm is computed scaled, so clipping still works
    # (PyTorch returns inf here and zeroes every gradient)
    params = _with_grads([[1e200, 1e200]])
    assert nn.utils.clip_grad_norm_(params, 1.0).item() == pytest.approx(math.sqrt(2) * 1e200)
    np.testing.assert_allclose(params[0].grad.numpy(), [2 ** -0.5] * 2, rtol=1e-12)


def test_clip_grad_norm_edge_cases() -> None:
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)
    p = nn.Parameter(tg.zeros(2))
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == 0.0                     # no grad yet: nothing to do
    p.grad = tg.tensor([6.0, 8.0])
    assert nn.utils.clip_grad_norm_(p, 5.0, foreach=True).item() == pytest.approx(10.0)   # a single tensor
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-6)
    total = nn.utils.get_total_norm([tg.tensor([6.0, 8.0])])
    assert total.item() == 10.0
    nn.utils.clip_grads_with_norm_([p], 1.0, total)
    np.testing.assert_allclose(p.grad.numpy(), [0.3, 0.4], rtol=1e-6)
    for bad in (-1.0, math.nan):
        with pytest.raises(ValueError, match="max_norm"):
            nn.utils.clip_grad_norm_([p], bad)
        with pytest.raises(ValueError, match="clip_value"):
            nn.utils.clip_grad_value_([p], bad)


def test_clip_grad_value_keeps_nan_and_returns_none() -> None:
    params = _with_grads([[3.0, -7.0, math.nan, 0.5]])
    assert nn.utils.clip_grad_value_(params, 1.0) is None
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, -1.0, math.nan, 0.5])


_ITERABLES = {"generator": lambda ps: (p for p in ps), "filter": lambda ps: filter(lambda p: p is not None, ps),
              "iter(list)": iter, "map": lambda ps: map(lambda p: p, ps), "tuple": tuple,
              "dict.values()": lambda ps: dict(enumerate(ps)).values()}


@pytest.mark.parametrize("kind", list(_ITERABLES))
def test_clip_grad_norm_clips_parameters_given_as_any_iterable(kind: str) -> None:
    # the iterable is read once: an iterator read again for the clipping would be empty
    params = _with_grads([[3.0, 0.0], [4.0]])
    norm = nn.utils.clip_grad_norm_(_ITERABLES[kind](params), max_norm=1.0)
    assert norm.item() == 5.0
    np.testing.assert_allclose([*params[0].grad.numpy(), *params[1].grad.numpy()],
                               np.array([3.0, 0.0, 4.0]) / (5.0 + 1e-6), rtol=1e-15)


@pytest.mark.parametrize("kind", list(_ITERABLES))
def test_clip_grad_value_and_clip_grads_with_norm_take_any_iterable(kind: str) -> None:
    params = _with_grads([[3.0, -7.0], [0.5]])
    nn.utils.clip_grad_value_(_ITERABLES[kind](params), 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, -1.0])
    nn.utils.clip_grads_with_norm_(_ITERABLES[kind](params), 0.5, tg.tensor(1.5, dtype=tg.float64))
    np.testing.assert_allclose(params[0].grad.numpy(), np.array([1.0, -1.0]) * 0.5 / (1.5 + 1e-6), rtol=1e-15)
    assert nn.utils.get_total_norm(_ITERABLES[kind]([p.grad for p in params])).item() > 0


@pytest.mark.parametrize("kind", list(_ITERABLES))
def test_parameters_to_vector_and_back_take_any_iterable(kind: str) -> None:
    params = [nn.Parameter(t64([1.0, 2.0])), nn.Parameter(t64([[3.0]]))]
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(_ITERABLES[kind](params)).numpy(), [1, 2, 3])
    nn.utils.vector_to_parameters(t64([4.0, 5.0, 6.0], False), _ITERABLES[kind](params))
    np.testing.assert_array_equal(params[1].numpy(), [[6.0]])


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0, 0.5, 0.0, float("-inf")])
@pytest.mark.parametrize("max_norm", [0.1, 100.0])
def test_clip_grad_norm_matches_torch(dtype: Any, norm_type: float, max_norm: float, pytorch) -> None:
    rng = np.random.default_rng(int(norm_type * 10) % 97 if math.isfinite(norm_type) else 5)
    grads = [rng.standard_normal(shape).astype(dtype) for shape in ((3, 4), (4,), (2, 2, 2))]
    grads[1][0] = 0.0

    def theirs(torch: Any) -> dict:
        params = []
        for g in grads:
            t = torch.zeros(g.shape, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
            t.grad = torch.tensor(g)
            params.append(t)
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        return {"norm": norm.numpy(), "dtype": str(norm.dtype), "grads": [t.grad.numpy() for t in params]}
    expected = pytorch("clip_grad_norm_", theirs)
    ours = _with_grads(grads, dtype)
    norm = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    assert norm.dtype == dtype and expected["dtype"] == f"torch.{np.dtype(dtype).name}"
    np.testing.assert_allclose(norm.numpy(), expected["norm"], rtol=rtol)
    for p, g in zip(ours, expected["grads"]):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=rtol)


@pytest.mark.torch
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_of_non_finite_gradients_matches_torch(bad: float, pytorch) -> None:
    grads = [np.array([1.0, bad]), np.array([2.0, -3.0])]

    def theirs(torch: Any) -> dict:
        params = [torch.zeros(2, dtype=torch.float64, requires_grad=True) for _ in grads]
        for t, g in zip(params, grads):
            t.grad = torch.tensor(g)
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        try:
            torch.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
            refused = ""
        except RuntimeError as error:
            refused = str(error)
        return {"norm": norm.numpy(), "grads": [t.grad.numpy() for t in params], "refused": refused}
    expected = pytorch("non-finite clip_grad_norm_", theirs)
    ours = _with_grads(grads)
    norm = nn.utils.clip_grad_norm_(ours, 1.0)
    np.testing.assert_array_equal(norm.numpy(), expected["norm"])
    for p, g in zip(ours, expected["grads"]):
        np.testing.assert_array_equal(p.grad.numpy(), g)
    assert "non-finite" in expected["refused"]


@pytest.mark.torch
def test_clip_grad_value_matches_torch(pytorch) -> None:
    g = np.array([[3.0, -7.0, 0.2], [math.nan, -0.1, 1.5]])

    def theirs(torch: Any) -> Any:
        param = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
        param.grad = torch.tensor(g)
        torch.nn.utils.clip_grad_value_([param], 1.0)
        return param.grad.numpy()
    clipped = pytorch("clip_grad_value_", theirs)
    ours = _with_grads([g])
    nn.utils.clip_grad_value_(ours, 1.0)
    np.testing.assert_array_equal(ours[0].grad.numpy(), clipped)
