"""Tests of tinygrad_la/ops/conv.py: convolution and pooling, first and second derivatives, and PyTorch.

gradcheck and gradgradcheck run over a grid of stride/padding/dilation/groups/bias in float64 (the
second derivative exercises the three ops that are each other's backward); the PyTorch tests compare
values, every first-order gradient and a second-order gradient to 1e-9, and dtypes in float32.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn.functional as F
from tinygrad_la import Tensor, gradcheck, gradgradcheck

# (stride, padding, dilation, groups, bias): each option away from its default at least once
CONV_GRID = [(1, 0, 1, 1, True), (2, 1, 1, 1, False), (1, 2, 2, 1, True), (3, 1, 1, 2, True),
             (2, 0, 2, 3, False), (1, "same", 2, 1, True), (1, "valid", 1, 3, True)]


def _t(rng: np.random.Generator, shape: tuple[int, ...]) -> Tensor:
    return tg.tensor(rng.standard_normal(shape), requires_grad=True)


def _conv_case(d: int, stride: Any, padding: Any, dilation: Any, groups: int, bias: bool,
               seed: int = 0) -> tuple[Callable[..., Tensor], tuple[Tensor, ...]]:
    rng = np.random.default_rng(seed)
    conv = F.conv1d if d == 1 else F.conv2d
    x = _t(rng, (2, 6) + (6,) * d)
    w = _t(rng, (3, 6 // groups) + (3,) * d) if groups == 3 else _t(rng, (4, 6 // groups) + (2,) * d)
    b = _t(rng, (w.shape[0],))
    if bias:
        return (lambda x, w, b: conv(x, w, b, stride, padding, dilation, groups)), (x, w, b)
    return (lambda x, w: conv(x, w, None, stride, padding, dilation, groups)), (x, w)


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("stride,padding,dilation,groups,bias", CONV_GRID)
def test_conv_gradcheck_and_gradgradcheck(d: int, stride: Any, padding: Any, dilation: Any, groups: int,
                                          bias: bool) -> None:
    fn, inputs = _conv_case(d, stride, padding, dilation, groups, bias)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_conv_matches_its_definition_as_a_sum_over_the_kernel() -> None:
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
    out = F.conv2d(tg.tensor(x), tg.tensor(w), tg.tensor(b), stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    h_out, w_out = (7 + 2 - 3) // 2 + 1, (6 + 2 - 3) // 1 + 1
    expected = np.zeros((2, 6, h_out, w_out))
    for n, o, i, j in itertools.product(range(2), range(6), range(h_out), range(w_out)):
        group = o // 3
        patch = xp[n, 2 * group:2 * group + 2, 2 * i:2 * i + 3, j:j + 3:2]
        expected[n, o, i, j] = (patch * w[o]).sum() + b[o]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_conv_unbatched_input_gives_an_unbatched_output() -> None:
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 5, 5)), rng.standard_normal((2, 3, 3, 3))
    alone = F.conv2d(tg.tensor(x), tg.tensor(w))
    batched = F.conv2d(tg.tensor(x[None]), tg.tensor(w))
    assert alone.shape == (2, 3, 3)
    np.testing.assert_array_equal(alone.numpy(), batched.numpy()[0])


def test_conv_node_name_is_pytorchs() -> None:
    fn, inputs = _conv_case(2, 1, 0, 1, 1, True)
    assert fn(*inputs).grad_fn.name() == "ConvolutionBackward0"


@pytest.mark.parametrize("call,message", [
    (lambda: F.conv2d(tg.ones(1, 4, 5, 5), tg.ones(2, 3, 3, 3)), "expected input of shape (N, 3, H, W)"),
    (lambda: F.conv2d(tg.ones(1, 5, 5, 3), tg.ones(2, 3, 3, 3)), "x.permute(0, 3, 1, 2)"),
    (lambda: F.conv2d(tg.ones(5, 5), tg.ones(2, 3, 3, 3)), "got a 2-D input of shape (5, 5)"),
    (lambda: F.conv2d(tg.ones(1, 3, 2, 2), tg.ones(2, 3, 3, 3)), "the kernel can't be larger than the input"),
    (lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 3, 3, 3), tg.ones(3)), "shape (2,); got (3,)"),
    (lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 3, 3, 3), padding=-1), "negative padding"),
    (lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 3, 3, 3), stride=2, padding="same"), "strided"),
    (lambda: F.conv1d(tg.ones(1, 3, 5), tg.ones(2, 3, 3, 3)), "weight must be a 3-D tensor"),
    (lambda: F.conv2d(tg.ones(1, 3, 5, 5).float(), tg.ones(2, 3, 3, 3).double()), "should be the same"),
    (lambda: F.conv2d(tg.ones(1, 3, 5, 5, dtype=tg.int64), tg.ones(2, 3, 3, 3)), "floating point"),
    (lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 2, padding=2), "at most half"),
    (lambda: F.avg_pool2d(tg.ones(1, 1, 2, 2), 3), "too small"),
])
def test_conv_and_pool_errors_say_what_is_wrong(call: Callable[[], Any], message: str) -> None:
    with pytest.raises((RuntimeError, ValueError)) as error:
        call()
    assert message in str(error.value)


# --- pooling --------------------------------------------------------------------------------------

POOL_GRID = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=1),
             dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)]


def _distinct(shape: tuple[int, ...], seed: int = 0) -> Tensor:
    """Entries far apart (a shuffled range), so no window has two maxima for the numerical derivative to split."""
    rng = np.random.default_rng(seed)
    return tg.tensor(rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1, requires_grad=True)


@pytest.mark.parametrize("options", POOL_GRID + [dict(kernel_size=2, dilation=2)])
def test_max_pool_gradcheck_and_gradgradcheck(options: dict) -> None:
    x = _distinct((2, 2, 7, 6))
    fn = lambda x: F.max_pool2d(x, **options)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("options", POOL_GRID + [dict(kernel_size=3, padding=1, count_include_pad=False),
                                                 dict(kernel_size=2, divisor_override=3)])
def test_avg_pool_gradcheck_and_gradgradcheck(options: dict) -> None:
    x = _t(np.random.default_rng(3), (2, 2, 7, 6))
    fn = lambda x: F.avg_pool2d(x, **options)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("output_size", [1, 3, (4, None), (5, 4), (7, 6)])
def test_adaptive_avg_pool_gradcheck_and_gradgradcheck(output_size: Any) -> None:
    x = _t(np.random.default_rng(4), (2, 2, 7, 6))
    fn = lambda x: F.adaptive_avg_pool2d(x, output_size)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_max_pool_gradient_goes_to_the_first_of_equal_maxima() -> None:
    x = tg.tensor([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 3.0]]]], requires_grad=True)
    out, indices = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), [[[[3.0, 3.0]]]])
    np.testing.assert_array_equal(indices.numpy(), [[[[1, 2]]]])
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])


def test_avg_pool_counts_the_padding_unless_told_not_to() -> None:
    x = tg.ones(1, 1, 2, 2)
    np.testing.assert_allclose(F.avg_pool2d(x, 2, padding=1).numpy(), np.full((1, 1, 2, 2), 0.25))
    np.testing.assert_allclose(F.avg_pool2d(x, 2, padding=1, count_include_pad=False).numpy(), np.ones((1, 1, 2, 2)))


def test_adaptive_avg_pool_windows_overlap_as_pytorchs() -> None:
    x = tg.tensor(np.arange(5.0).reshape(1, 1, 1, 5))
    # size 5 into 3: windows [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, (1, 3)).numpy(), [[[[0.5, 2.0, 3.5]]]])


# --- against PyTorch ------------------------------------------------------------------------------

def _pytorch_answers(theirs: Callable[..., Any], arrays: list[np.ndarray]) -> Callable[[Any], dict]:
    """compute(torch) for the oracle: PyTorch's value, gradients (against a fixed random seed) and
    the gradient of Σ (gradients)², on float64 copies of `arrays`."""
    def compute(torch: Any) -> dict:
        ref = [torch.tensor(a, requires_grad=True) for a in arrays]
        ref_out = theirs(torch, *ref)
        seed = np.random.default_rng(9).standard_normal(tuple(ref_out.shape))
        ref_grads = torch.autograd.grad((ref_out * torch.tensor(seed)).sum(), ref, create_graph=True)
        ref_total = sum((r * r).sum() for r in ref_grads)
        ref_second = (torch.autograd.grad(ref_total, ref, allow_unused=True) if ref_total.requires_grad
                      else [None] * len(ref))
        return {"out": ref_out.detach().numpy(), "grads": [r.detach().numpy() for r in ref_grads],
                "second": [None if r is None else r.numpy() for r in ref_second]}
    return compute


def _compare_with_torch(ours: Callable[..., Any], theirs: Callable[..., Any], arrays: list[np.ndarray],
                        pytorch: Any) -> None:
    """Values, first-order gradients, and the gradient of Σ (first-order gradients)² (a second order), to 1e-9,
    against PyTorch's (`theirs(torch, *tensors)`, live or recorded)."""
    expected = pytorch("values and gradients", _pytorch_answers(theirs, arrays))
    mine = [tg.tensor(a, requires_grad=True) for a in arrays]
    out = ours(*mine)
    np.testing.assert_allclose(out.numpy(), expected["out"], rtol=1e-9, atol=1e-9)
    seed = np.random.default_rng(9).standard_normal(out.shape)
    grads = tg.autograd.grad((out * tg.tensor(seed)).sum(), mine, create_graph=True)
    for g, r in zip(grads, expected["grads"]):
        np.testing.assert_allclose(g.numpy(), r, rtol=1e-9, atol=1e-9)
    # a pool's gradient does not depend on its input: our graph says so (nothing requires grad),
    # PyTorch's computes zeros
    if any(g.requires_grad for g in grads):
        second = [None if s is None else s.numpy() for s in
                  tg.autograd.grad(sum((g * g).sum() for g in grads), mine, allow_unused=True)]
    else:
        second = [None] * len(mine)
    for s, r, a in zip(second, expected["second"], arrays):
        np.testing.assert_allclose(np.zeros(a.shape) if s is None else s, np.zeros(a.shape) if r is None else r,
                                   rtol=1e-9, atol=1e-9)


@pytest.mark.torch
@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("stride,padding,dilation,groups,bias", CONV_GRID)
def test_conv_matches_pytorch(d: int, stride: Any, padding: Any, dilation: Any, groups: int, bias: bool,
                              pytorch: Any) -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 6) + (8,) * d)
    w = rng.standard_normal((6, 6 // groups) + (3,) * d)
    arrays = [x, w] + ([rng.standard_normal(6)] if bias else [])
    ours_fn = F.conv1d if d == 1 else F.conv2d
    _compare_with_torch(lambda x, w, *b: ours_fn(x, w, *b, stride=stride, padding=padding, dilation=dilation,
                                                 groups=groups),
                        lambda torch, x, w, *b: getattr(torch.nn.functional, f"conv{d}d")(
                            x, w, *b, stride=stride, padding=padding, dilation=dilation, groups=groups),
                        arrays, pytorch)


@pytest.mark.torch
@pytest.mark.parametrize("options", POOL_GRID + [dict(kernel_size=2, dilation=2), dict(kernel_size=3, padding=1)])
def test_max_pool_matches_pytorch(options: dict, pytorch: Any) -> None:
    x = np.random.default_rng(6).standard_normal((2, 3, 7, 6))
    x[0, 0, :3, :3] = 1.0   # a window of equal maxima
    x[1, 2, -2:, -2:] = -np.inf   # a window with nothing above its padding
    _compare_with_torch(lambda x: F.max_pool2d(x, **options),
                        lambda torch, x: torch.nn.functional.max_pool2d(x, **options), [x], pytorch)
    _, indices = F.max_pool2d(tg.tensor(x), **options, return_indices=True)
    ref_indices = pytorch("indices", lambda torch: torch.nn.functional.max_pool2d(
        torch.tensor(x), **options, return_indices=True)[1].numpy())
    np.testing.assert_array_equal(indices.numpy(), ref_indices)
    assert indices.dtype == np.int64


@pytest.mark.torch
@pytest.mark.parametrize("options", POOL_GRID)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_matches_pytorch(options: dict, count_include_pad: bool, pytorch: Any) -> None:
    x = np.random.default_rng(7).standard_normal((2, 3, 7, 6))
    _compare_with_torch(lambda x: F.avg_pool2d(x, **options, count_include_pad=count_include_pad),
                        lambda torch, x: torch.nn.functional.avg_pool2d(x, **options,
                                                                        count_include_pad=count_include_pad),
                        [x], pytorch)


@pytest.mark.torch
@pytest.mark.parametrize("output_size", [1, 2, 3, (4, None), (5, 4), (7, 6), (None, 5)])
def test_adaptive_avg_pool_matches_pytorch(output_size: Any, pytorch: Any) -> None:
    x = np.random.default_rng(8).standard_normal((2, 3, 7, 6))
    _compare_with_torch(lambda x: F.adaptive_avg_pool2d(x, output_size),
                        lambda torch, x: torch.nn.functional.adaptive_avg_pool2d(x, output_size), [x], pytorch)


@pytest.mark.torch
def test_float32_results_and_gradients_stay_float32(pytorch: Any) -> None:
    rng = np.random.default_rng(10)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((2, 4, 6, 6), (4, 2, 3, 3), (4,)))

    def theirs(torch: Any) -> dict:
        ref = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        F_t = torch.nn.functional
        outs = [F_t.conv2d(*ref, padding=1, groups=2), F_t.max_pool2d(ref[0], 2), F_t.avg_pool2d(ref[0], 3, 1, 1),
                F_t.adaptive_avg_pool2d(ref[0], 4)]
        sum(o.sum() for o in outs).backward()
        return {"dtypes": [str(o.dtype) for o in outs], "outs": [o.detach().numpy() for o in outs],
                "grads": [r.grad.numpy() for r in ref]}
    expected = pytorch("float32 values and gradients", theirs)
    mine = [tg.tensor(a, requires_grad=True) for a in (x, w, b)]
    ours = [F.conv2d(*mine, padding=1, groups=2), F.max_pool2d(mine[0], 2), F.avg_pool2d(mine[0], 3, 1, 1),
            F.adaptive_avg_pool2d(mine[0], 4)]
    for out, dtype, ref_out in zip(ours, expected["dtypes"], expected["outs"]):
        assert str(out.dtype) == dtype.replace("torch.", "tinygrad_la.") == "tinygrad_la.float32"
        np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-5, atol=1e-5)
    sum(o.sum() for o in ours).backward()
    for t, r in zip(mine, expected["grads"]):
        assert t.grad.dtype == np.float32 and r.dtype == np.float32
        np.testing.assert_allclose(t.grad.numpy(), r, rtol=1e-4, atol=1e-4)
