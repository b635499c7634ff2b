"""Tests of tinygrad_la/nn/conv.py: the conv and pooling modules against PyTorch's (state_dict, init, repr, errors)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn as nn


@pytest.mark.torch
@pytest.mark.parametrize("cls,args", [("Conv1d", (4, 6, 3)), ("Conv2d", (4, 6, (3, 2))),
                                      ("Conv2d", dict(in_channels=4, out_channels=8, kernel_size=3, groups=2,
                                                      bias=False))])
def test_state_dict_keys_and_shapes_match_pytorch(cls: str, args: object, pytorch) -> None:
    make = (lambda m: m(**args)) if isinstance(args, dict) else (lambda m: m(*args))

    def describe(module) -> dict:
        return {"shapes": {k: list(v.shape) for k, v in module.state_dict().items()}, "repr": repr(module)}
    assert describe(make(getattr(nn, cls))) == pytorch("state_dict and repr",
                                                     lambda torch: describe(make(getattr(torch.nn, cls))))


@pytest.mark.torch
def test_conv_module_with_pytorchs_weights_gives_pytorchs_output(pytorch) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 9))

    def theirs(torch) -> dict:
        torch.manual_seed(0)
        conv = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1, dtype=torch.float64)
        return {"weights": {k: v.detach().numpy() for k, v in conv.state_dict().items()},
                "out": conv(torch.tensor(x)).detach().numpy()}
    expected = pytorch("weights and output", theirs)
    ours = nn.Conv2d(3, 4, 3, stride=2, padding=1, dtype=np.float64)
    ours.load_state_dict({k: tg.tensor(v) for k, v in expected["weights"].items()})
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), expected["out"], rtol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("ours,theirs", [
    ("nn.MaxPool2d(2)", "torch.nn.MaxPool2d(2)"), ("nn.MaxPool2d(3, 2, 1, ceil_mode=True)", "torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)"),
    ("nn.AvgPool2d(3, 2, 1)", "torch.nn.AvgPool2d(3, 2, 1)"), ("nn.AdaptiveAvgPool2d((2, None))", "torch.nn.AdaptiveAvgPool2d((2, None))"),
    ("nn.Conv2d(4, 6, 3, padding='same', dilation=2)", "torch.nn.Conv2d(4, 6, 3, padding='same', dilation=2)"),
    ("nn.Conv1d(4, 6, 5, stride=2, padding=2, groups=2, bias=False)", "torch.nn.Conv1d(4, 6, 5, stride=2, padding=2, groups=2, bias=False)"),
])
def test_repr_matches_pytorch(ours: str, theirs: str, pytorch) -> None:
    assert repr(eval(ours)) == pytorch("repr", lambda torch: repr(eval(theirs, {"torch": torch})))


def test_default_init_is_uniform_within_one_over_root_fan_in() -> None:
    tg.manual_seed(0)
    conv = nn.Conv2d(8, 64, 3, groups=2)
    bound = 1 / math.sqrt(4 * 9)   # fan_in = in_channels/groups · kernel entries
    w, b = conv.weight.numpy(), conv.bias.numpy()
    assert w.shape == (64, 4, 3, 3) and b.shape == (64,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound   # it fills the interval: uniform, not a narrower spread
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound   # the standard deviation of U(-a, a) is a/√3


def test_modules_compute_their_functions() -> None:
    x = tg.tensor(np.arange(32.0).reshape(1, 2, 4, 4))
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).numpy()[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(nn.AvgPool2d(2)(x).numpy()[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_array_equal(nn.AdaptiveAvgPool2d(1)(x).numpy().ravel(), [7.5, 23.5])
    out, indices = nn.MaxPool2d(2, return_indices=True)(x)
    np.testing.assert_array_equal(indices.numpy()[0, 1], [[5, 7], [13, 15]])
    conv = nn.Conv1d(2, 3, 3, padding=1)
    assert conv(tg.ones(5, 2, 7)).shape == (5, 3, 7)


def test_errors_name_the_layer_and_the_shapes() -> None:
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 8, kernel_size=\(3, 3\)\): expected input of shape "
                                           r"\(N, 3, H, W\).*got input of shape \(2, 4, 8, 8\)"):
        conv(tg.ones(2, 4, 8, 8))
    with pytest.raises(NotImplementedError, match="padding_mode='reflect'"):
        nn.Conv2d(3, 8, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv1d(3, 8, 3, stride=2, padding="same")
