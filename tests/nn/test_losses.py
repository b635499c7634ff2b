"""Tests of the losses, as nn.*Loss modules (tinygrad_la/nn/losses.py) and as F.*_loss functions.

Each loss against a hand-written NumPy formula, then gradcheck; the checks made before computing
(shapes, dtypes, class targets); ignored and padding-only batches; empty batches. Tests marked
`torch` compare with PyTorch in float64.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_la as tg
import tinygrad_la.nn as nn
import tinygrad_la.nn.functional as F
from tinygrad_la import Tensor, gradcheck, gradgradcheck
from tinygrad_la.testing import tensors

from tests.nn.helpers import CE_OPTIONS, compare_with, np_log_softmax, pytorch_result, t64


# =================================================================================================
# losses against NumPy formulas (23.14)
# =================================================================================================

def reduce_np(loss: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(5)
    x, y = t64(rng.standard_normal((4, 3))), t64(rng.standard_normal((4, 3)))
    d = x.numpy() - y.numpy()
    np.testing.assert_allclose(nn.MSELoss(reduction=reduction)(x, y).numpy(), reduce_np(d ** 2, reduction))
    np.testing.assert_allclose(nn.L1Loss(reduction=reduction)(x, y).numpy(), reduce_np(np.abs(d), reduction))
    assert gradcheck(lambda x, y: F.l1_loss(x, y, reduction=reduction), (x, y))


def test_mse_is_the_chapter_formula() -> None:
    # 23.14: L = (1/N) Σ (y_i - ŷ_i)²
    assert nn.MSELoss()(tg.tensor([1.0, 2.0, 4.0]), tg.tensor([1.0, 0.0, 1.0])).item() == pytest.approx(13 / 3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(6)
    x = t64(rng.standard_normal((5, 3)))
    t = np.array([2, 0, 1, 1, 0])
    per_example = -np_log_softmax(x.numpy())[np.arange(5), t]
    expected = reduce_np(per_example, reduction)
    np.testing.assert_allclose(nn.CrossEntropyLoss(reduction=reduction)(x, tg.tensor(t)).numpy(), expected, rtol=1e-12)
    # the same loss from class probabilities (one-hot) and through NLLLoss(LogSoftmax)
    one_hot = np.eye(3)[t]
    np.testing.assert_allclose(F.cross_entropy(x, tg.tensor(one_hot), reduction=reduction).numpy(), expected)
    nll = nn.NLLLoss(reduction=reduction)(nn.LogSoftmax(dim=1)(x), tg.tensor(t))
    np.testing.assert_allclose(nll.numpy(), expected, rtol=1e-12)


def test_cross_entropy_is_the_chapter_minus_log_p() -> None:
    # 23.13: softmax([1.2, 3.5, 0.7]) = [0.0864, 0.8613, 0.0524]; true class "dog" (1): L = -log 0.8613
    loss = F.cross_entropy(tg.tensor([1.2, 3.5, 0.7]), tg.tensor(1))
    assert loss.item() == pytest.approx(-math.log(0.86127533), rel=1e-7)


def test_cross_entropy_options_against_numpy() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 4))
    t = np.array([0, 3, 1, 1, 2, 3])
    w = np.array([1.0, 2.0, 0.5, 3.0])
    log_p = np_log_softmax(x)
    picked = -log_p[np.arange(6), t]
    got = F.cross_entropy(t64(x), tg.tensor(t), weight=tg.tensor(w))
    assert got.item() == pytest.approx((w[t] * picked).sum() / w[t].sum(), rel=1e-12)
    kept = t != 1
    got = F.cross_entropy(t64(x), tg.tensor(t), ignore_index=1)
    assert got.item() == pytest.approx(picked[kept].mean(), rel=1e-12)
    eps = 0.1
    smooth_target = (1 - eps) * np.eye(4)[t] + eps / 4
    got = F.cross_entropy(t64(x), tg.tensor(t), label_smoothing=eps)
    assert got.item() == pytest.approx(-(smooth_target * log_p).sum(1).mean(), rel=1e-12)
    probs = rng.dirichlet(np.ones(4), 6)
    got = F.cross_entropy(t64(x), t64(probs, False), weight=tg.tensor(w))
    assert got.item() == pytest.approx(-(probs * w * log_p).sum(1).mean(), rel=1e-12)


def test_cross_entropy_on_extra_dimensions_and_single_vectors() -> None:
    rng = np.random.default_rng(8)
    x = t64(rng.standard_normal((2, 3, 4, 5)))          # (N, C, d1, d2)
    t = rng.integers(0, 3, (2, 4, 5))
    per_example = -np.take_along_axis(np_log_softmax(x.numpy(), axis=1), t[:, None], axis=1)[:, 0]
    got = F.cross_entropy(x, tg.tensor(t), reduction="none")
    assert got.shape == (2, 4, 5)
    np.testing.assert_allclose(got.numpy(), per_example, rtol=1e-12)
    assert F.cross_entropy(x, tg.tensor(t)).item() == pytest.approx(per_example.mean(), rel=1e-12)
    assert gradcheck(lambda x: F.cross_entropy(x, tg.tensor(t)), (x,))
    v = t64([1.0, 2.0, 0.5])
    assert F.cross_entropy(v, tg.tensor(1)).item() == pytest.approx(-np_log_softmax(v.numpy())[1], rel=1e-12)


@pytest.mark.parametrize("big", [1e4, 1e30])
def test_cross_entropy_is_finite_for_extreme_logits(big: float) -> None:
    x = t64([[big, -big, 0.0], [-big, big, big], [0.0, -big, big]])
    t = tg.tensor([1, 0, 2])
    loss = F.cross_entropy(x, t)
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.numpy()))
    assert loss.item() == pytest.approx((2 * big + (2 * big + math.log(2)) + 0) / 3, rel=1e-12)
    for probs in (np.eye(3)[[1, 0, 2]], np.full((3, 3), 1 / 3)):
        x.grad = None
        soft = F.cross_entropy(x, t64(probs, False), label_smoothing=0.1)
        soft.backward()
        assert np.isfinite(soft.item()) and np.all(np.isfinite(x.grad.numpy()))


@pytest.mark.parametrize("big", [1e4, 1e30])
def test_bce_with_logits_is_finite_and_exact_for_extreme_logits(big: float) -> None:
    x = t64([big, -big, big, -big, 0.0])
    y = t64([1.0, 0.0, 0.0, 1.0, 0.5], False)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, big, big, math.log(2)], rtol=1e-12, atol=1e-300)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(9)
    log_p = t64(np_log_softmax(rng.standard_normal((5, 4))))
    t = np.array([3, -100, 1, 0, 3])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    got = F.nll_loss(log_p, tg.tensor(t), weight=tg.tensor(w), reduction=reduction)
    kept = t != -100
    per = np.where(kept, -log_p.numpy()[np.arange(5), np.where(kept, t, 0)] * w[np.where(kept, t, 0)], 0)
    expected = {"mean": per.sum() / w[t[kept]].sum(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda z: F.nll_loss(z, tg.tensor(t), weight=tg.tensor(w), reduction=reduction), (log_p,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(10)
    p = t64(rng.uniform(0.05, 0.95, (4, 3)))
    y = t64(rng.uniform(0, 1, (4, 3)))
    w = rng.uniform(0.5, 2, (4, 3))
    per = -(y.numpy() * np.log(p.numpy()) + (1 - y.numpy()) * np.log(1 - p.numpy()))
    np.testing.assert_allclose(nn.BCELoss(reduction=reduction)(p, y).numpy(), reduce_np(per, reduction), rtol=1e-12)
    np.testing.assert_allclose(nn.BCELoss(weight=tg.tensor(w), reduction=reduction)(p, y).numpy(),
                               reduce_np(w * per, reduction), rtol=1e-12)
    fn = lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction)        # noqa: E731
    assert gradcheck(fn, (p, y)) and gradgradcheck(fn, (p, y))


def test_bce_clamps_its_logs_at_minus_100_as_pytorch() -> None:
    p = t64([0.0, 1.0, 0.0, 1.0])
    y = t64([1.0, 0.0, 0.0, 1.0], False)
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.numpy()))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_against_numpy(reduction: str) -> None:
    rng = np.random.default_rng(11)
    x = t64(rng.standard_normal((4, 3)) * 4)
    y = t64(rng.uniform(0, 1, (4, 3)))
    pos_weight = np.array([0.5, 2.0, 3.0])
    sig = 1 / (1 + np.exp(-x.numpy()))
    per = -(y.numpy() * np.log(sig) + (1 - y.numpy()) * np.log(1 - sig))
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction=reduction)(x, y).numpy(), reduce_np(per, reduction),
                               rtol=1e-10)
    per_pw = -(pos_weight * y.numpy() * np.log(sig) + (1 - y.numpy()) * np.log(1 - sig))
    got = nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=tg.tensor(pos_weight))(x, y)
    np.testing.assert_allclose(got.numpy(), reduce_np(per_pw, reduction), rtol=1e-10)
    fn = lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=tg.tensor(pos_weight))  # noqa: E731
    assert gradcheck(fn, (x, y)) and gradgradcheck(fn, (x, y))


@given(tensors((3, 4)), st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_gradient_is_softmax_minus_one_hot(x: Tensor, reduction: str) -> None:
    t = np.array([0, 3, 2])
    loss = F.cross_entropy(x, tg.tensor(t), reduction=reduction)
    loss.sum().backward()
    p = np.exp(np_log_softmax(x.numpy()))
    expected = (p - np.eye(4)[t]) / (3 if reduction == "mean" else 1)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10, atol=1e-14)


# --- loss errors: raised before computing, naming shapes, dtypes, values -----------------------------

def test_regression_losses_refuse_mismatched_shapes_and_dtypes() -> None:
    with pytest.raises(ValueError, match=r"mse_loss: input has shape \(120, 1\) but target has shape \(120,\)"):
        nn.MSELoss()(tg.zeros(120, 1), tg.zeros(120))
    with pytest.raises(ValueError, match=r"l1_loss: input has shape \(3,\) but target has shape \(1, 3\)"):
        F.l1_loss(tg.zeros(3), tg.zeros(1, 3))
    with pytest.raises(TypeError, match="target has dtype tinygrad_la.int64.*floating point"):
        F.mse_loss(tg.zeros(3), tg.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match=r"_with_logits: input has shape \(4,\) but target has shape \(4, 1\)"):
        F.binary_cross_entropy_with_logits(tg.zeros(4), tg.zeros(4, 1))
    with pytest.raises(ValueError, match="'average' is not a valid value for reduction"):
        nn.MSELoss(reduction="average")


def test_class_targets_are_checked_before_computing() -> None:
    logits = tg.zeros(3, 4, requires_grad=True)
    with pytest.raises(IndexError, match="target 4 is out of bounds for 4 classes"):
        F.cross_entropy(logits, tg.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="target -1 is out of bounds for 4 classes"):
        nn.CrossEntropyLoss()(logits, tg.tensor([0, -1, 1]))
    with pytest.raises(IndexError, match="target 7 is out of bounds for 4 classes"):
        F.nll_loss(logits, tg.tensor([7, 0, 1]))
    with pytest.raises(ValueError, match=r"input of shape \(3, 4\) needs class targets of shape \(3,\); "
                                         r"got target of shape \(3, 1\)"):
        F.cross_entropy(logits, tg.tensor([[0], [1], [2]]))
    with pytest.raises(ValueError, match=r"float targets are class probabilities and need the input's shape "
                                         r"\(3, 4\); got target of shape \(3,\)"):
        F.cross_entropy(logits, tg.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(4,\); got shape \(3,\)"):
        F.cross_entropy(logits, tg.tensor([0, 1, 2]), weight=tg.ones(3))
    with pytest.raises(TypeError, match="nll_loss: target must hold class indices.*float64"):
        F.nll_loss(logits, tg.tensor([0.0, 1.0, 2.0]))
    assert logits.grad is None


def test_bce_refuses_inputs_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="between 0 and 1.*from -0.5 to 2.0.*sigmoid"):
        F.binary_cross_entropy(tg.tensor([-0.5, 2.0]), tg.tensor([0.0, 1.0]))


@pytest.mark.parametrize("bad", [1.5, -0.1, math.nan])
def test_bce_refuses_targets_outside_zero_one_as_pytorch(bad: float) -> None:
    with pytest.raises(ValueError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(t64([0.5, 0.2]), t64([bad, 1.0], False))


def test_bce_names_a_nan_input() -> None:
    with pytest.raises(ValueError, match="between 0 and 1.*from 0.5 to 0.5 and nan"):
        F.binary_cross_entropy(t64([0.5, math.nan]), t64([1.0, 0.0], False))


def test_ignore_index_skips_entries_and_out_of_range_ignore_value_is_fine() -> None:
    x = t64(np.random.default_rng(12).standard_normal((4, 3)))
    t = tg.tensor([0, -100, 2, -100])
    full = F.cross_entropy(x, t, reduction="none")
    assert full.numpy()[1] == 0 and full.numpy()[3] == 0
    assert F.cross_entropy(x, t).item() == pytest.approx(full.numpy()[[0, 2]].mean())
    F.cross_entropy(x, t).backward()
    assert np.all(x.grad.numpy()[[1, 3]] == 0)


# PyTorch 2.13 on x = [[1, 2, -0.5], [0, -1, 3]]: a mean over no kept weight is 0/0 = nan, but an
# ignored row's gradient is 0, so one padding-only batch does not turn every weight into nan.
_PADDING_ONLY_LOSS = {"mean": math.nan, "sum": 0.0, "none": [0.0, 0.0]}
_LOGITS = [[1.0, 2.0, -0.5], [0.0, -1.0, 3.0]]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 0.5]])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_of_a_padding_only_batch_has_zero_gradient(reduction: str, weight: Any,
                                                                 label_smoothing: float) -> None:
    x = t64(_LOGITS)
    loss = F.cross_entropy(x, tg.tensor([-100, -100]), weight=None if weight is None else t64(weight, False),
                           reduction=reduction, label_smoothing=label_smoothing)
    np.testing.assert_array_equal(loss.numpy(), _PADDING_ONLY_LOSS[reduction])
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 0.5]])
def test_nll_loss_of_a_padding_only_batch_has_zero_gradient(reduction: str, weight: Any) -> None:
    x = t64(_LOGITS)
    loss = F.nll_loss(x, tg.tensor([-100, -100]), weight=None if weight is None else t64(weight, False),
                      reduction=reduction)
    np.testing.assert_array_equal(loss.numpy(), _PADDING_ONLY_LOSS[reduction])
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_a_padding_only_batch_leaves_the_model_finite_after_a_step() -> None:
    tg.manual_seed(0)
    model = nn.Linear(3, 4).double()
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    before = [p.numpy().copy() for p in model.parameters()]
    for loss_fn in (F.cross_entropy, lambda z, t: F.nll_loss(F.log_softmax(z, 1), t)):
        opt.zero_grad()
        loss = loss_fn(model(t64(_LOGITS, False)), tg.tensor([-100, -100]))
        assert math.isnan(loss.item())
        loss.backward()
        opt.step()
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_mean_over_zero_total_weight_is_nan_on_kept_rows_only(label_smoothing: float) -> None:
    # row 0 is kept with a class of weight 0, row 1 is ignored: PyTorch's loss nan (not inf, even where the
    # smoothing term is not 0), gradient nan on row 0 and 0 on row 1
    x = t64(_LOGITS)
    loss = F.cross_entropy(x, tg.tensor([0, -100]), weight=t64([0.0, 2.0, 0.5], False),
                           label_smoothing=label_smoothing)
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[math.nan] * 3, [0.0] * 3])


def test_nll_loss_mean_over_zero_total_weight_is_nan_at_kept_targets_only() -> None:
    x = t64(_LOGITS)
    loss = F.nll_loss(x, tg.tensor([0, -100]), weight=t64([0.0, 2.0, 0.5], False))
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[math.nan, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_nll_loss_of_an_ignored_row_is_plus_zero() -> None:
    # PyTorch skips an ignored row (+0.0), where -(x·0) would be -0.0 for a positive x
    for x in (_LOGITS, -np.array(_LOGITS)):
        loss = F.nll_loss(t64(x, False), tg.tensor([-100, 1]), reduction="none").numpy()
        assert math.copysign(1.0, loss[0]) == 1.0 and loss[1] == -x[1][1]


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "soft cross_entropy", "mse_loss", "l1_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_of_an_empty_batch(name: str, reduction: str) -> None:
    # PyTorch: the mean of nothing is nan, the sum 0, 'none' empty; the gradient is empty, never an error
    classes = name in ("cross_entropy", "nll_loss", "soft cross_entropy")
    x = t64(np.zeros((0, 3) if classes else (0,)))
    if name == "soft cross_entropy":
        target = t64(np.zeros((0, 3)), False)
    elif classes:
        target = tg.tensor(np.zeros(0, dtype=np.int64))
    else:
        target = t64(np.zeros(0), False)
    loss = getattr(F, name.split()[-1])(x, target, reduction=reduction)
    np.testing.assert_array_equal(loss.numpy(), {"mean": math.nan, "sum": 0.0, "none": np.zeros(0)}[reduction])
    loss.sum().backward()
    assert x.grad.shape == x.shape


# =================================================================================================
# PyTorch, float64 (optional: pytest -m torch)
# =================================================================================================

@pytest.mark.torch
@pytest.mark.parametrize("options", CE_OPTIONS + [{"reduction": "sum", "label_smoothing": 0.5, "ignore_index": 3}],
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "plain")
def test_cross_entropy_matches_torch(options: dict, pytorch) -> None:
    rng = np.random.default_rng(20)
    logits = rng.standard_normal((6, 4)) * 3
    t = np.array([0, 3, 1, 1, 2, 0])
    weight = options.get("weight")
    expected = pytorch_result(pytorch, "cross_entropy", lambda torch, xt: torch.nn.functional.cross_entropy(
        xt, torch.tensor(t), **dict(options, weight=None if weight is None else torch.tensor(weight, dtype=torch.float64))),
        [logits])
    x = t64(logits)
    ours = F.cross_entropy(x, tg.tensor(t), **dict(options, weight=None if weight is None else tg.tensor(weight)))
    compare_with(expected, ours, [x])


@pytest.mark.torch
@pytest.mark.parametrize("big", [1e4, 1e30])
def test_extreme_losses_match_torch(big: float, pytorch) -> None:
    logits = np.array([[big, -big, 0.0], [-big, big, big], [0.0, -big, big]])
    expected = pytorch_result(pytorch, "cross_entropy", lambda torch, xt: torch.nn.functional.cross_entropy(
        xt, torch.tensor([1, 0, 2])), [logits])
    x = t64(logits)
    compare_with(expected, F.cross_entropy(x, tg.tensor([1, 0, 2])), [x], rtol=1e-12)
    y = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.2], [1.0, 1.0, 0.0]])
    expected = pytorch_result(pytorch, "bce_with_logits", lambda torch, xt: torch.nn.functional.
                              binary_cross_entropy_with_logits(xt, torch.tensor(y)), [logits])
    x = t64(logits)
    compare_with(expected, F.binary_cross_entropy_with_logits(x, t64(y, False)), [x], rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_other_losses_match_torch(reduction: str, pytorch) -> None:
    rng = np.random.default_rng(21)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    probs, targets01 = rng.uniform(0.01, 0.99, (5, 3)), rng.uniform(0, 1, (5, 3))
    w, pw = rng.uniform(0.5, 2, (5, 3)), rng.uniform(0.5, 2, (3,))
    cases = [
        ("mse_loss", lambda x, y: F.mse_loss(x, y, reduction=reduction),
         lambda torch, x, y: torch.nn.functional.mse_loss(x, y, reduction=reduction), a, b),
        ("l1_loss", lambda x, y: F.l1_loss(x, y, reduction=reduction),
         lambda torch, x, y: torch.nn.functional.l1_loss(x, y, reduction=reduction), a, b),
        ("binary_cross_entropy", lambda x, y: F.binary_cross_entropy(x, y, weight=tg.tensor(w), reduction=reduction),
         lambda torch, x, y: torch.nn.functional.binary_cross_entropy(x, y, weight=torch.tensor(w), reduction=reduction),
         probs, targets01),
        ("binary_cross_entropy_with_logits",
         lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=tg.tensor(w), pos_weight=tg.tensor(pw),
                                                         reduction=reduction),
         lambda torch, x, y: torch.nn.functional.binary_cross_entropy_with_logits(
             x, y, weight=torch.tensor(w), pos_weight=torch.tensor(pw), reduction=reduction), a * 3, targets01),
        ("soft cross_entropy", lambda x, y: F.cross_entropy(x, F.softmax(y, 1), label_smoothing=0.2, reduction=reduction),
         lambda torch, x, y: torch.nn.functional.cross_entropy(x, torch.nn.functional.softmax(y, 1), label_smoothing=0.2,
                                                               reduction=reduction), a, b),
    ]
    for question, ours_fn, their_fn, first, second in cases:
        expected = pytorch_result(pytorch, question, their_fn, [first, second])
        x, y = t64(first), t64(second)
        compare_with(expected, ours_fn(x, y), [x, y])
    t = np.array([2, 0, -100, 1, 2])
    expected = pytorch_result(pytorch, "nll_loss", lambda torch, x: torch.nn.functional.nll_loss(
        x, torch.tensor(t), weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64), reduction=reduction),
        [np_log_softmax(a)])
    x = t64(np_log_softmax(a))
    compare_with(expected, F.nll_loss(x, tg.tensor(t), weight=tg.tensor([1.0, 2.0, 0.5]), reduction=reduction), [x])


@pytest.mark.parametrize("name, kwargs", [("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
                                          ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}),
                                          ("huber_loss", {"delta": 2.0, "reduction": "sum"})])
def test_smooth_l1_and_huber_are_quadratic_inside_and_linear_outside(name, kwargs):
    x = tg.tensor([0.0, 0.3, 1.0, -2.5, 4.0], requires_grad=True)
    y = tg.zeros(5)
    loss = getattr(F, name)(x, y, **kwargs)
    t = kwargs.get("beta", kwargs.get("delta", 1.0))
    d = np.abs(x.numpy())
    if t == 0:
        expected = d
    elif name == "huber_loss":
        expected = np.where(d < t, 0.5 * d * d, t * (d - 0.5 * t))
    else:
        expected = np.where(d < t, 0.5 * d * d / t, d - 0.5 * t)
    reduce = np.sum if kwargs.get("reduction") == "sum" else np.mean
    np.testing.assert_allclose(loss.item(), reduce(expected), rtol=1e-14)
    assert gradgradcheck(lambda a: getattr(F, name)(a, tg.tensor([0.1, 0.2, -0.1, 0.3, 0.0]), **kwargs),
                         (tg.tensor([0.05, 0.75, 1.6, -2.5, 4.0], requires_grad=True),))   # no |d| on a kink
    module = nn.SmoothL1Loss(beta=t) if name == "smooth_l1_loss" else nn.HuberLoss(delta=t)
    module.reduction = kwargs.get("reduction", "mean")
    assert module(x, y).item() == loss.item()


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", [("smooth_l1_loss", {"beta": 0.7}), ("huber_loss", {"delta": 1.5}),
                                          ("smooth_l1_loss", {"reduction": "none"})])
def test_smooth_l1_and_huber_match_pytorch(name, kwargs, pytorch):
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3))

    def theirs(torch):
        xt = torch.tensor(x, requires_grad=True)
        b = getattr(torch.nn.functional, name)(xt, torch.tensor(y), **kwargs)
        b.sum().backward()
        return {"loss": b.detach().numpy(), "grad": xt.grad.numpy()}
    expected = pytorch("loss and gradient", theirs)
    ours = tg.tensor(x, requires_grad=True)
    a = getattr(F, name)(ours, tg.tensor(y), **kwargs)
    np.testing.assert_allclose(a.detach().numpy(), expected["loss"], rtol=1e-12)
    a.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), expected["grad"], rtol=1e-12)
