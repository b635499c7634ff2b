"""Tests of tinygrad_la/nn/normalization.py and F.batch_norm / F.layer_norm.

Values against NumPy formulas; gradients and second derivatives by gradcheck/gradgradcheck in
float64, in training and eval mode; tests marked `torch` train the same layers side by side with
PyTorch's and compare outputs, gradients, running stats and state dicts.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn as nn
import tinygrad_la.nn.functional as F
from tinygrad_la import gradcheck, gradgradcheck

from tests.nn.helpers import t64


def _data(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(loc=1.5, scale=2.0, size=shape)


def _np_batch_norm(x: np.ndarray, mean: np.ndarray, var: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)


def _channel_axes(x: np.ndarray) -> tuple[int, ...]:
    return (0,) + tuple(range(2, x.ndim))


# =================================================================================================
# BatchNorm: construction, state_dict, repr
# =================================================================================================

def test_batch_norm_starts_as_pytorch_does() -> None:
    bn = nn.BatchNorm1d(3)
    assert (bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats) == (3, 1e-5, 0.1, True, True)
    np.testing.assert_array_equal(bn.weight.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(bn.bias.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1.0, 1.0, 1.0])
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == np.int64
    assert bn.num_batches_tracked.item() == 0
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert not bn.running_mean.requires_grad and bn.weight.requires_grad


def test_batch_norm_options_change_what_is_registered() -> None:
    plain = nn.BatchNorm2d(4, affine=False)
    assert plain.weight is None and plain.bias is None and list(plain.parameters()) == []
    assert list(plain.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    untracked = nn.BatchNorm1d(4, track_running_stats=False)
    assert untracked.running_mean is None and untracked.running_var is None and untracked.num_batches_tracked is None
    assert list(untracked.state_dict()) == ["weight", "bias"]
    no_bias = nn.BatchNorm1d(4, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict())[:1] == ["weight"]


def test_batch_norm_repr() -> None:
    assert repr(nn.BatchNorm2d(8)) == ("BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                                       "track_running_stats=True)")
    assert repr(nn.BatchNorm1d(2, momentum=None, affine=False)) == (
        "BatchNorm1d(2, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=True)")


def test_batch_norm_dtype_argument_and_module_conversions() -> None:
    bn = nn.BatchNorm1d(3, dtype=tg.float32)
    assert bn.weight.dtype == np.float32 and bn.running_var.dtype == np.float32
    bn.double()
    assert bn.weight.dtype == np.float64 and bn.running_mean.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64   # a count stays an integer


# =================================================================================================
# BatchNorm: values
# =================================================================================================

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batch_norm_1d_training_normalizes_with_the_biased_batch_variance(shape: tuple[int, ...]) -> None:
    x = _data(shape)
    bn = nn.BatchNorm1d(3)
    with tg.no_grad():
        bn.weight.copy_(np.array([2.0, -1.0, 0.5]))
        bn.bias.copy_(np.array([0.1, 0.2, -0.3]))
    out = bn(t64(x)).numpy()
    axes = _channel_axes(x)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    expected = _np_batch_norm(x, mean, var) * np.array([2.0, -1.0, 0.5]).reshape((1, 3) + (1,) * (x.ndim - 2)) \
        + np.array([0.1, 0.2, -0.3]).reshape((1, 3) + (1,) * (x.ndim - 2))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    n = x.size // 3
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var * n / (n - 1), rtol=1e-12)   # unbiased
    assert bn.num_batches_tracked.item() == 1


def test_batch_norm_2d_normalizes_each_channel_over_batch_and_pixels() -> None:
    x = _data((3, 2, 4, 5))
    out = nn.BatchNorm2d(2)(t64(x)).numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), [0.0, 0.0], atol=1e-12)
    # the biased variance of the output is var/(var + eps), a hair under 1
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-12)


def test_batch_norm_3d_takes_volumes() -> None:
    x = _data((2, 2, 3, 2, 2))
    out = nn.BatchNorm3d(2)(t64(x)).numpy()
    axes = (0, 2, 3, 4)
    np.testing.assert_allclose(out, _np_batch_norm(x, x.mean(axis=axes), x.var(axis=axes)), rtol=1e-12, atol=1e-12)


def test_running_stats_follow_the_momentum_rule_over_several_batches() -> None:
    bn = nn.BatchNorm1d(2, momentum=0.3)
    mean, var = np.zeros(2), np.ones(2)
    for seed in range(4):
        x = _data((5, 2), seed)
        bn(t64(x))
        mean = 0.7 * mean + 0.3 * x.mean(axis=0)
        var = 0.7 * var + 0.3 * x.var(axis=0, ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4


def test_momentum_none_is_the_cumulative_average_of_the_batches() -> None:
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [_data((4, 2), seed) for seed in range(3)]
    for x in batches:
        bn(t64(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(axis=0) for x in batches], axis=0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(axis=0, ddof=1) for x in batches], axis=0),
                               rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3


def test_eval_normalizes_with_the_running_stats_and_changes_nothing() -> None:
    bn = nn.BatchNorm1d(3)
    with tg.no_grad():
        bn.running_mean.copy_(np.array([1.0, -2.0, 0.5]))
        bn.running_var.copy_(np.array([4.0, 0.25, 1.0]))
    bn.eval()
    x = _data((1, 3))   # one example is fine in eval mode
    out = bn(t64(x)).numpy()
    np.testing.assert_allclose(out, _np_batch_norm(x, np.array([1.0, -2.0, 0.5]), np.array([4.0, 0.25, 1.0])),
                               rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.numpy(), [1.0, -2.0, 0.5])
    assert bn.num_batches_tracked.item() == 0


def test_untracked_stats_use_the_batch_in_eval_mode_too() -> None:
    bn = nn.BatchNorm1d(2, track_running_stats=False).eval()
    x = _data((5, 2))
    np.testing.assert_allclose(bn(t64(x)).numpy(), _np_batch_norm(x, x.mean(axis=0), x.var(axis=0)), rtol=1e-12)


def test_the_running_stats_update_is_not_recorded() -> None:
    bn = nn.BatchNorm1d(2)
    x = t64(_data((4, 2)))
    out = bn(x)
    for buffer in (bn.running_mean, bn.running_var, bn.num_batches_tracked):
        assert buffer.grad_fn is None and not buffer.requires_grad
    (out * t64(_data((4, 2), 1), requires_grad=False)).sum().backward()
    assert x.grad is not None and bn.weight.grad is not None and bn.running_mean.grad is None


def test_reset_running_stats_and_parameters() -> None:
    bn = nn.BatchNorm1d(2)
    bn(t64(_data((4, 2))))
    with tg.no_grad():
        bn.weight.fill_(3.0)
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1.0, 1.0])
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.weight.numpy(), [3.0, 3.0])
    bn.reset_parameters()
    np.testing.assert_array_equal(bn.weight.numpy(), [1.0, 1.0])


def test_f_batch_norm_with_and_without_running_stats() -> None:
    x = _data((5, 3))
    mean, var = tg.zeros(3, dtype=tg.float64), tg.ones(3, dtype=tg.float64)
    out = F.batch_norm(t64(x), mean, var, training=True, momentum=0.5)
    np.testing.assert_allclose(out.numpy(), _np_batch_norm(x, x.mean(0), x.var(0)), rtol=1e-12)
    np.testing.assert_allclose(mean.numpy(), 0.5 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-12)
    evaluated = F.batch_norm(t64(x), mean, var)   # training=False by default, as PyTorch
    np.testing.assert_allclose(evaluated.numpy(), _np_batch_norm(x, mean.numpy(), var.numpy()), rtol=1e-12)
    alone = F.batch_norm(t64(x), None, None, training=True)
    np.testing.assert_allclose(alone.numpy(), out.numpy(), rtol=1e-12)


def test_float32_in_float32_out() -> None:
    x32 = _data((4, 3, 2)).astype(np.float32)
    bn = nn.BatchNorm1d(3, dtype=tg.float32)
    x = tg.tensor(x32, requires_grad=True)
    out = bn(x)
    assert out.dtype == np.float32 and bn.running_mean.dtype == np.float32 and bn.running_var.dtype == np.float32
    (out * out).sum().backward()
    assert x.grad.dtype == np.float32 and bn.weight.grad.dtype == np.float32 and bn.bias.grad.dtype == np.float32
    reference = _np_batch_norm(x32.astype(np.float64), x32.mean((0, 2), dtype=np.float64),
                               x32.var((0, 2), dtype=np.float64))
    np.testing.assert_allclose(out.numpy(), reference, rtol=1e-4, atol=1e-5)
    bn.eval()
    assert bn(x).dtype == np.float32
    ln = nn.LayerNorm(2, dtype=tg.float32)
    y = tg.tensor(x32, requires_grad=True)
    z = ln(y)
    (z * z).sum().backward()
    assert z.dtype == np.float32 and y.grad.dtype == np.float32 and ln.weight.grad.dtype == np.float32


# =================================================================================================
# BatchNorm: errors
# =================================================================================================

def test_one_value_per_channel_cannot_be_normalized_in_training() -> None:
    # the size prints as the shape prints: (1, 3), or Size([1, 3]) as PyTorch's does
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"(\(1, 3\)|tinygrad_la\.Size\(\[1, 3\]\))$"):
        nn.BatchNorm1d(3)(t64(_data((1, 3))))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm2d(3)(t64(_data((1, 3, 1, 1))))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.batch_norm(t64(_data((1, 2, 1))), None, None, training=True)
    # (1, C, L) with L > 1 has L values per channel: fine
    assert nn.BatchNorm1d(3)(t64(_data((1, 3, 2)))).shape == (1, 3, 2)


def test_wrong_input_dims_name_the_layer_and_the_shape() -> None:
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input \(got 4D input of shape "
                                         r"\(2, 3, 4, 4\)\)"):
        nn.BatchNorm1d(3)(t64(_data((2, 3, 4, 4))))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 2D input of shape \(2, 3\)\)"):
        nn.BatchNorm2d(3)(t64(_data((2, 3))))
    with pytest.raises(ValueError, match=r"BatchNorm3d: expected 5D input"):
        nn.BatchNorm3d(3)(t64(_data((2, 3, 4, 4))))


def test_wrong_channel_count_names_the_layer_and_the_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\(3\): input of shape \(2, 4, 5, 5\) has 4 channels in "
                                           r"dim 1, but the layer was built with num_features=3"):
        nn.BatchNorm2d(3)(t64(_data((2, 4, 5, 5))))
    with pytest.raises(RuntimeError, match=r"running_mean must hold one value per channel, shape \(3,\)"):
        F.batch_norm(t64(_data((4, 3))), tg.zeros(2), tg.ones(3), training=True)
    with pytest.raises(RuntimeError, match=r"weight must hold one value per channel"):
        F.batch_norm(t64(_data((4, 3))), None, None, tg.ones(4), training=True)


def test_f_batch_norm_refuses_eval_without_running_stats_and_a_vector() -> None:
    with pytest.raises(RuntimeError, match="running_mean and running_var must be given in evaluation mode"):
        F.batch_norm(t64(_data((4, 3))), None, None)
    with pytest.raises(ValueError, match=r"channels in dim 1; got shape \(3,\)"):
        F.batch_norm(t64(_data((3,))), None, None, training=True)


def test_bad_num_features() -> None:
    with pytest.raises(ValueError, match="BatchNorm1d: num_features must be a whole number"):
        nn.BatchNorm1d(2.5)  # type: ignore[arg-type]


# =================================================================================================
# BatchNorm: gradients and second derivatives (float64)
# =================================================================================================

@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 4), (2, 3, 2, 3)])
def test_batch_norm_training_gradcheck_and_gradgradcheck(affine: bool, shape: tuple[int, ...]) -> None:
    x = t64(_data(shape))
    w, b = t64([1.5, -0.5, 2.0]), t64([0.3, -0.2, 0.1])
    inputs = (x, w, b) if affine else (x,)

    def fn(*args: Any) -> Any:
        return F.batch_norm(args[0], None, None, *args[1:], training=True)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_gradcheck_and_gradgradcheck(affine: bool) -> None:
    mean, var = t64([0.5, -1.0, 2.0], requires_grad=False), t64([2.0, 0.5, 1.5], requires_grad=False)
    x = t64(_data((4, 3, 2)))
    w, b = t64([1.5, -0.5, 2.0]), t64([0.3, -0.2, 0.1])
    inputs = (x, w, b) if affine else (x,)

    def fn(*args: Any) -> Any:
        return F.batch_norm(args[0], mean, var, *args[1:], training=False)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_module_gradcheck_of_its_input(training: bool) -> None:
    bn = nn.BatchNorm2d(2).train(training)
    with tg.no_grad():
        bn.weight.copy_(np.array([0.7, -1.3]))
        bn.running_var.copy_(np.array([0.5, 3.0]))
    x = t64(_data((2, 2, 3, 3)))
    assert gradcheck(bn, (x,))
    assert gradgradcheck(bn, (x,))


def test_batch_norm_input_gradient_matches_the_closed_form() -> None:
    # dx = γ/σ̂ · (g - mean(g) - x̂·mean(g·x̂)) per channel, σ̂ = √(σ² + ε), x̂ the normalized input
    x_np, g_np = _data((6, 2)), _data((6, 2), 1)
    gamma = np.array([1.5, -0.5])
    x = t64(x_np)
    bn = nn.BatchNorm1d(2)
    with tg.no_grad():
        bn.weight.copy_(gamma)
    bn(x).backward(t64(g_np, requires_grad=False))
    sigma = np.sqrt(x_np.var(0) + 1e-5)
    x_hat = (x_np - x_np.mean(0)) / sigma
    expected = gamma / sigma * (g_np - g_np.mean(0) - x_hat * (g_np * x_hat).mean(0))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.weight.grad.numpy(), (g_np * x_hat).sum(0), rtol=1e-10)
    np.testing.assert_allclose(bn.bias.grad.numpy(), g_np.sum(0), rtol=1e-12)


# =================================================================================================
# LayerNorm
# =================================================================================================

def test_layer_norm_starts_as_pytorch_does() -> None:
    ln = nn.LayerNorm((3, 4))
    assert ln.normalized_shape == (3, 4) and ln.eps == 1e-5 and ln.elementwise_affine
    np.testing.assert_array_equal(ln.weight.numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(ln.bias.numpy(), np.zeros((3, 4)))
    assert list(ln.state_dict()) == ["weight", "bias"]
    assert nn.LayerNorm(5).normalized_shape == (5,)
    assert repr(nn.LayerNorm(5)) == "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)"
    plain = nn.LayerNorm(5, elementwise_affine=False)
    assert plain.weight is None and plain.bias is None and list(plain.state_dict()) == []
    no_bias = nn.LayerNorm(5, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ["weight"]
    assert repr(no_bias) == "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=False)"


@pytest.mark.parametrize("normalized_shape", [4, (4,), (3, 4), [2, 3, 4]])
def test_layer_norm_values(normalized_shape: Any) -> None:
    x = _data((2, 2, 3, 4))
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    rng = np.random.default_rng(5)
    w, b = rng.normal(size=shape), rng.normal(size=shape)
    ln = nn.LayerNorm(normalized_shape)
    ln.load_state_dict({"weight": w, "bias": b})
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(ln(t64(x)).numpy(), x_hat * w + b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(F.layer_norm(t64(x), normalized_shape, eps=1e-5).numpy(), x_hat, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_gradcheck_and_gradgradcheck(affine: bool) -> None:
    x = t64(_data((3, 2, 4)))
    w, b = t64(_data((2, 4), 1)), t64(_data((2, 4), 2))
    inputs = (x, w, b) if affine else (x,)

    def fn(*args: Any) -> Any:
        return F.layer_norm(args[0], (2, 4), *args[1:])

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_layer_norm_errors() -> None:
    with pytest.raises(RuntimeError, match=r"given normalized_shape=\[3\], expected input with shape \[\*, 3\], but "
                                           r"got input of size \[2, 4\]"):
        nn.LayerNorm(3)(t64(_data((2, 4))))
    with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 2, 4\]"):
        F.layer_norm(t64(_data((4,))), (2, 4))
    with pytest.raises(RuntimeError, match=r"expected weight to be of same shape as normalized_shape \[4\], but got "
                                           r"weight of shape \[3\]"):
        F.layer_norm(t64(_data((2, 4))), 4, weight=tg.ones(3))


def test_identity_accepts_and_ignores_any_arguments() -> None:
    identity = nn.Identity(54, unused_argument1=0.1, unused_argument2=False)
    x = t64(_data((2, 3)))
    assert identity(x) is x
    assert list(identity.state_dict()) == []


# =================================================================================================
# Against PyTorch
# =================================================================================================

def _torch_dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "tinygrad_la.")


BN_CASES = [
    ("BatchNorm1d", (6, 3), {}),
    ("BatchNorm1d", (4, 3, 5), {}),
    ("BatchNorm1d", (6, 3), {"momentum": None}),
    ("BatchNorm1d", (4, 3, 5), {"momentum": None, "affine": False}),
    ("BatchNorm2d", (3, 3, 4, 4), {}),
    ("BatchNorm2d", (3, 3, 4, 4), {"momentum": None}),
    ("BatchNorm2d", (2, 3, 3, 3), {"track_running_stats": False}),
    ("BatchNorm2d", (2, 3, 3, 3), {"bias": False, "eps": 1e-3}),
]


def _batch_norm_run(lib: Any, name: str, shape: tuple[int, ...], options: dict) -> dict:
    """Three training steps (an SGD step on the weights between them), then one in eval mode, of
    `lib`'s batch norm from the same start: every output, gradient and buffer, as plain arrays."""
    module = getattr(lib.nn, name)(3, **options)
    if lib is not tg:
        module = module.double()
    rng = np.random.default_rng(11)
    if module.weight is not None:
        start = {"weight": rng.normal(size=3)}
        if module.bias is not None:
            start["bias"] = rng.normal(size=3)
        module.load_state_dict({k: lib.tensor(v) for k, v in start.items()}, strict=False)
    steps = []
    for step in range(3):
        x_np = rng.normal(loc=step, scale=1 + step, size=shape)
        weights = rng.normal(size=shape)       # a loss whose gradient is not zero: Σ r·y + Σ y²/2
        x = lib.tensor(x_np, requires_grad=True)
        y = module(x)
        (y * lib.tensor(weights) + y * y * 0.5).sum().backward()
        record = {"y": y.detach().numpy(), "dx": x.grad.numpy(),
                  "grads": [[k, p.grad.numpy()] for k, p in module.named_parameters()]}
        with lib.no_grad():   # an SGD step, so the weights move between steps
            for p in module.parameters():
                p -= 0.1 * p.grad
                p.grad = None
        record["buffers"] = [[k, b.numpy()] for k, b in module.named_buffers()]
        record["batches"] = None if module.num_batches_tracked is None else module.num_batches_tracked.item()
        steps.append(record)
    module.eval()
    x = lib.tensor(rng.normal(size=shape), requires_grad=True)
    y = module(x)
    (y * y).sum().backward()
    return {"steps": steps, "eval": [y.detach().numpy(), x.grad.numpy()]}


@pytest.mark.torch
@pytest.mark.parametrize("name,shape,options", BN_CASES)
def test_batch_norm_trains_and_evaluates_as_pytorch(name: str, shape: tuple[int, ...], options: dict, pytorch: Any) -> None:
    theirs = pytorch("three steps and eval", lambda torch: _batch_norm_run(torch, name, shape, options))
    ours = _batch_norm_run(tg, name, shape, options)
    for step, (mine, their) in enumerate(zip(ours["steps"], theirs["steps"])):
        np.testing.assert_allclose(mine["y"], their["y"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(mine["dx"], their["dx"], rtol=1e-9, atol=1e-9)
        for (key, g), (their_key, tg_) in zip(mine["grads"], their["grads"]):
            assert key == their_key
            np.testing.assert_allclose(g, tg_, rtol=1e-9, atol=1e-9)
        for (key, b), (their_key, tb) in zip(mine["buffers"], their["buffers"]):
            assert key == their_key
            np.testing.assert_allclose(b, tb, rtol=1e-9, atol=1e-12)
        assert mine["batches"] == their["batches"] and mine["batches"] in (None, step + 1)
    for a, b in zip(ours["eval"], theirs["eval"]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.torch
@pytest.mark.parametrize("options", [{}, {"affine": False}, {"track_running_stats": False}, {"bias": False},
                                     {"affine": False, "track_running_stats": False}])
def test_batch_norm_state_dict_matches_pytorch(options: dict, pytorch: Any) -> None:
    names = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")

    def theirs(torch: Any) -> list:
        return [[[[key, _torch_dtype_name(value.dtype), value.numpy()]
                  for key, value in getattr(torch.nn, name)(4, dtype=torch.float64, **options).state_dict().items()],
                 repr(getattr(torch.nn, name)(4, **options))] for name in names]
    for name, (their_entries, their_repr) in zip(names, pytorch("state_dicts and reprs", theirs)):
        ours = getattr(nn, name)(4, **options).state_dict()
        assert list(ours) == [key for key, _, _ in their_entries]
        for key, dtype, value in their_entries:
            assert str(ours[key].dtype) == dtype, key
            assert tuple(ours[key].shape) == value.shape
            np.testing.assert_array_equal(ours[key].numpy(), value)
        assert repr(getattr(nn, name)(4, **options)) == their_repr


@pytest.mark.torch
def test_batch_norm_loads_a_pytorch_state_dict(pytorch: Any) -> None:
    x = _data((2, 3, 4, 4), 7)

    def theirs(torch: Any) -> dict:
        module = torch.nn.BatchNorm2d(3).double()
        with torch.no_grad():
            module.weight.copy_(torch.tensor([1.5, 0.5, -1.0]))
            module.bias.copy_(torch.tensor([0.1, 0.2, 0.3]))
        for seed in range(2):
            module(torch.tensor(_data((2, 3, 4, 4), seed)))
        state = {key: value.numpy() for key, value in module.state_dict().items()}
        module.eval()
        return {"state": state, "eval": module(torch.tensor(x)).detach().numpy()}
    expected = pytorch("a trained state_dict and eval output", theirs)
    ours = nn.BatchNorm2d(3)
    assert repr(ours.load_state_dict({k: tg.tensor(v) for k, v in expected["state"].items()})) == \
        "<All keys matched successfully>"
    assert ours.num_batches_tracked.item() == 2 and ours.num_batches_tracked.dtype == np.int64
    np.testing.assert_array_equal(ours.running_var.numpy(), expected["state"]["running_var"])
    ours.eval()
    np.testing.assert_allclose(ours(t64(x)).numpy(), expected["eval"], rtol=1e-12)


@pytest.mark.torch
def test_f_batch_norm_matches_pytorch(pytorch: Any) -> None:
    x = _data((5, 3, 2))
    w, b = np.array([1.5, -0.5, 2.0]), np.array([0.3, -0.2, 0.1])

    def theirs(torch: Any) -> list:
        mean, var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
        out = []
        for training in (True, False):
            y = torch.nn.functional.batch_norm(torch.tensor(x), mean, var, torch.tensor(w), torch.tensor(b),
                                               training, 0.2, 1e-3)
            out.append([y.numpy(), mean.numpy().copy(), var.numpy().copy()])
        return out
    expected = pytorch("training then eval", theirs)
    mean, var = tg.zeros(3, dtype=tg.float64), tg.ones(3, dtype=tg.float64)
    for training, (y, their_mean, their_var) in zip((True, False), expected):
        ours = F.batch_norm(t64(x), mean, var, t64(w), t64(b), training, 0.2, 1e-3)
        np.testing.assert_allclose(ours.numpy(), y, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mean.numpy(), their_mean, rtol=1e-12)
        np.testing.assert_allclose(var.numpy(), their_var, rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("normalized_shape,options", [(4, {}), ((3, 4), {}), ((3, 4), {"bias": False}),
                                                      (4, {"elementwise_affine": False, "eps": 1e-3})])
def test_layer_norm_matches_pytorch(normalized_shape: Any, options: dict, pytorch: Any) -> None:
    rng = np.random.default_rng(3)
    shapes = {key: tuple(value.shape) for key, value in nn.LayerNorm(normalized_shape, **options).state_dict().items()}
    start = {key: rng.normal(size=shape) for key, shape in shapes.items()}
    x_np, r = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))

    def run(lib: Any) -> dict:
        module = lib.nn.LayerNorm(normalized_shape, **options)
        if lib is not tg:
            module = module.double()
        described = {"repr": repr(module), "keys": list(module.state_dict())}
        module.load_state_dict({k: lib.tensor(v) for k, v in start.items()})
        x = lib.tensor(x_np, requires_grad=True)
        y = module(x)
        (y * lib.tensor(r)).sum().backward()
        return {**described, "y": y.detach().numpy(), "dx": x.grad.numpy(),
                "grads": [[k, p.grad.numpy()] for k, p in module.named_parameters()]}
    theirs, ours = pytorch("layer norm", run), run(tg)
    assert ours["repr"] == theirs["repr"] and ours["keys"] == theirs["keys"]
    np.testing.assert_allclose(ours["y"], theirs["y"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours["dx"], theirs["dx"], rtol=1e-9, atol=1e-9)
    for (key, g), (their_key, their_g) in zip(ours["grads"], theirs["grads"]):
        assert key == their_key
        np.testing.assert_allclose(g, their_g, rtol=1e-9, atol=1e-9)
