"""Tests of tinygrad_la/autograd.py: autograd.grad, autograd.backward and anomaly detection.

Semantics are PyTorch's, checked by hand against torch 2.13 CPU.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_la as tg
from tinygrad_la import autograd

from tests.helpers import leaf


# =================================================================================================
# autograd.grad and autograd.backward
# =================================================================================================

def test_autograd_grad_with_grad_outputs():
    x = leaf([1.0, 2.0])
    g, = autograd.grad(x * x, x, grad_outputs=tg.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(g.numpy(), [2.0, 40.0])


def test_autograd_grad_needs_grad_outputs_for_non_scalar_outputs():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        autograd.grad(x * x, x)


def test_autograd_grad_several_outputs_and_inputs():
    a, b = leaf(2.0), leaf(3.0)
    ga, gb = autograd.grad([a * b, a + b], [a, b])   # seeds of 1 for both outputs, summed
    assert (ga.item(), gb.item()) == (3.0 + 1.0, 2.0 + 1.0)


def test_autograd_grad_retain_graph():
    x = leaf([1.0, 2.0])
    out = (x ** 2).sum()
    first, = autograd.grad(out, x, retain_graph=True)
    second, = autograd.grad(out, x)
    np.testing.assert_array_equal(first.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(second.numpy(), [2.0, 4.0])
    assert first is not second
    with pytest.raises(RuntimeError, match="retain_graph"):
        autograd.grad(out, x)


def test_autograd_grad_without_create_graph_gives_plain_tensors():
    x = leaf([1.0, 2.0])
    g, = autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    assert g.dtype == x.dtype and g.shape == x.shape


def test_autograd_grad_allow_unused():
    a, b = leaf(1.0), leaf(2.0)
    with pytest.raises(RuntimeError, match=r"input 1.*not used.*allow_unused=True"):
        autograd.grad(a * 2, [a, b])
    ga, gb = autograd.grad(a * 2, [a, b], allow_unused=True)
    assert ga.item() == 2.0
    assert gb is None


def test_autograd_grad_does_not_touch_dot_grad():
    x, unrelated_leaf = leaf([1.0, 2.0]), leaf([5.0, 5.0])
    x.grad = tg.tensor([100.0, 100.0])
    before = x.grad
    g, = autograd.grad((x * x * unrelated_leaf).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [10.0, 20.0])
    assert x.grad is before
    np.testing.assert_array_equal(x.grad.numpy(), [100.0, 100.0])
    assert unrelated_leaf.grad is None


def test_autograd_grad_with_respect_to_a_non_leaf_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3
    out = (h * h).sum()
    gh, = autograd.grad(out, h, retain_graph=True)
    np.testing.assert_array_equal(gh.numpy(), [6.0, 12.0])    # 2h
    gx, = autograd.grad(out, x)
    np.testing.assert_array_equal(gx.numpy(), [18.0, 36.0])   # chain rule: 2h · 3
    assert h.grad is None and x.grad is None


def test_autograd_grad_errors_for_inputs_and_outputs_without_grad():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="input 0.*does not require grad"):
        autograd.grad(x.sum(), tg.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="output 0.*does not require grad"):
        autograd.grad(tg.tensor([1.0]).sum(), x)


def test_autograd_backward_with_several_roots():
    x = leaf([1.0, 2.0])
    autograd.backward([(x * x).sum(), (3 * x).sum()])
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])
    x.grad = None
    autograd.backward([x * x, x * 3], [tg.ones(2), tg.tensor([1.0, 2.0])])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 3.0, 4.0 + 6.0])


def test_autograd_backward_roots_sharing_a_subgraph():
    x = leaf(0.5)
    shared = x.exp()
    autograd.backward([shared * 2, shared.sin()])
    expected = np.exp(0.5) * 2 + np.cos(np.exp(0.5)) * np.exp(0.5)
    assert x.grad.item() == pytest.approx(expected, rel=1e-14)


def test_autograd_module_reexports_grad_mode():
    assert autograd.no_grad is tg.no_grad
    with autograd.no_grad():
        assert not autograd.is_grad_enabled()


# =================================================================================================
# anomaly detection
# =================================================================================================

@pytest.mark.parametrize("make_nan, op", [
    (lambda x: x.sqrt() * 0, "SqrtBackward0"),   # d√x at 0 is inf, times 0 is nan
    (lambda x: x.log() * 0, "LogBackward0"),     # d log x at 0 is inf, times 0 is nan
])
def test_detect_anomaly_names_the_op_and_where_it_was_created(make_nan, op):
    x = leaf(0.0)
    with np.errstate(all="ignore"):
        with autograd.detect_anomaly():
            assert autograd.is_anomaly_enabled()
            y = make_nan(x)
            with pytest.raises(RuntimeError, match=rf"{op}.*nan") as info:
                y.backward()
        assert not autograd.is_anomaly_enabled()
    message = str(info.value)
    assert "test_autograd.py" in message         # the traceback of the forward call
    assert "make_nan" in message or "lambda" in message


def test_without_anomaly_detection_nan_gradients_pass_silently():
    x = leaf(0.0)
    with np.errstate(all="ignore"):
        (x.sqrt() * 0).backward()
    assert np.isnan(x.grad.item())


def test_set_detect_anomaly():
    autograd.set_detect_anomaly(True)
    try:
        assert autograd.is_anomaly_enabled()
        x = leaf(0.0)
        with np.errstate(all="ignore"):
            y = x.log() * 0
            with pytest.raises(RuntimeError, match="LogBackward0"):
                y.backward()
    finally:
        autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()


@given(st.floats(0.1, 5.0))
def test_anomaly_detection_is_silent_on_finite_gradients(value):
    x = leaf(value)
    with autograd.detect_anomaly():
        (x.sqrt() * x.log()).backward()
    expected = np.log(value) / (2 * np.sqrt(value)) + np.sqrt(value) / value
    assert x.grad.item() == pytest.approx(expected, rel=1e-12)


def _a_model_with_a_log(x: tg.Tensor) -> tg.Tensor:
    hidden = tg.nn.Linear(2, 2).double()(x) * 0
    return hidden.abs().log()                                           # line: LOG_LINE (log 0 = -inf)


def test_detect_anomaly_shows_the_user_line_that_made_the_op():
    import inspect
    source, first = inspect.getsourcelines(_a_model_with_a_log)
    log_line = first + next(i for i, text in enumerate(source) if "LOG_LINE" in text)
    x = tg.ones(1, 2, dtype=tg.float64, requires_grad=True)
    with np.errstate(all="ignore"), autograd.detect_anomaly():
        out = _a_model_with_a_log(x)
        with pytest.raises(RuntimeError) as info:
            (out * 0).sum().backward()                                  # d log h = 0 / 0 = nan
    message = str(info.value)
    assert message.startswith("Function LogBackward0 returned nan")
    assert f'test_autograd.py", line {log_line}, in _a_model_with_a_log' in message
    assert "hidden.abs().log()" in message                             # the line's text, as in a traceback
    assert "tinygrad_la/" not in message.replace("tests/test_autograd.py", "")   # only the user's frames


def test_detect_anomaly_names_an_op_made_before_it_was_switched_on():
    x = leaf(0.0)
    with np.errstate(all="ignore"):
        y = x.log() * 0                                                # made with anomaly detection off
        with autograd.detect_anomaly(), pytest.raises(RuntimeError, match="(?s)LogBackward0.*not traced"):
            y.backward()


def test_detect_anomaly_catches_a_user_function():
    class BadGrad(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad * np.nan

    x = leaf([1.0, 2.0])
    with autograd.detect_anomaly():
        y = BadGrad.apply(x).sum()
        with pytest.raises(RuntimeError, match="BadGradBackward"):
            y.backward()


def test_autograd_grad_returns_what_the_inputs_hooks_made():
    x = leaf([1.0, 1.0])
    x.register_hook(lambda g: g * 10)
    g, = tg.autograd.grad((x * 3).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [30.0, 30.0])
    h = x * 2
    h.register_hook(lambda g: g * 10)
    g, = tg.autograd.grad((h * 3).sum(), h)
    np.testing.assert_array_equal(g.numpy(), [30.0, 30.0])


def test_autograd_backward_of_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="tensor 0 passed to autograd.backward does not require grad"):
        tg.autograd.backward(tg.zeros(3))


def test_the_legacy_variable_makes_a_leaf_tensor_sharing_the_data() -> None:
    from tinygrad_la.autograd import Variable
    data = tg.tensor([1.0, 2.0])
    x = Variable(data, requires_grad=True)
    assert type(x) is tg.Tensor and x.requires_grad and x.is_leaf and isinstance(x, Variable)
    assert not isinstance(data.numpy(), Variable) and isinstance(data, Variable)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    data[0] = 5.0   # the same memory, as PyTorch's Variable(t) shares t's storage
    assert x.tolist() == [5.0, 2.0]
    assert Variable([3.0]).tolist() == [3.0] and not Variable([3.0]).requires_grad
