"""Numerical stability at extreme inputs: one table of cases against their analytic answers.

Each row is a scalar function of one tensor, an input with extreme entries (logits of ±1e4 and
±1e30 in float64, ±80 and ±1e4 in float32, equal logits, one-hot-saturated softmax, -inf masks,
saturated probabilities), and the answer worked out by hand: the value and d(value)/d(input),
written with the stable forms of the math (e^-|x|, log1p, m + log Σ e^(x - m)) and evaluated in
float64 with Python's `math`. A row passes when

  * the value and every gradient entry are finite (where the analytic answer is),
  * both equal the analytic answer to the dtype's precision (relative 1e-12 in float64, 1e-5 in
    float32; absolute: the dtype's smallest normal number, so an answer that underflows may be 0),
  * the value and the gradient keep the input's dtype,
  * and NumPy raised no overflow, divide-by-zero or invalid-value warning on the way.

`python tests/test_stability.py` prints the table with the computed values and gradients.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn.functional as F

W = [0.3, -1.2, 2.0]          # weights that make softmax/log_softmax scalar: Σ w·softmax(x)
TARGETS = [1, 0, 2]


# --- the math, by hand, in float64 -----------------------------------------------------------------

def sigmoid(x: float) -> float:
    e = math.exp(-abs(x))
    return 1 / (1 + e) if x >= 0 else e / (1 + e)


def sigmoid_slope(x: float) -> float:
    """σ'(x) = σ(x)·σ(-x) = e^-|x| / (1 + e^-|x|)²"""
    e = math.exp(-abs(x))
    return e / (1 + e) ** 2


def softplus(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|)"""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def log_softmax(xs: list[float]) -> list[float]:
    """x - logsumexp(x) = (x - m) - log Σ e^(x - m), m = max x (never m + log S - x: m + log S rounds)"""
    m = max(xs)
    log_total = math.log(math.fsum(math.exp(x - m) for x in xs))
    return [(x - m) - log_total for x in xs]


def logsumexp(xs: list[float]) -> float:
    m = max(xs)
    if m in (math.inf, -math.inf):
        return m
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


def softmax(xs: list[float]) -> list[float]:
    m = max(xs)
    if m == math.inf:                     # the limit: the +inf entries share the mass
        top = [x == math.inf for x in xs]
        return [t / sum(top) for t in top]
    if m == -math.inf:                    # nothing left: no finite change of x moves logsumexp
        return [0.0] * len(xs)
    return [math.exp(v) for v in log_softmax(xs)]


def tanh_slope(x: float) -> float:
    """1 - tanh² x = sech² x = 4e^-2|x| / (1 + e^-2|x|)²"""
    e = math.exp(-2 * abs(x))
    return 4 * e / (1 + e) ** 2


# --- the analytic answers: (value, gradient) of each function --------------------------------------

def softmax_dot(xs):
    p = softmax(xs)
    value = math.fsum(w * q for w, q in zip(W, p))
    return value, [q * (w - value) for q, w in zip(p, W)]


def log_softmax_dot(xs):
    log_p, p = log_softmax(xs), softmax(xs)
    return math.fsum(w * v for w, v in zip(W, log_p)), [w - q * sum(W) for w, q in zip(W, p)]


def log_softmax_tail_dot(xs):
    """Σ_{c ≥ 1} w_c·log_softmax(x)_c: finite although x_0 = -inf (a masked entry)."""
    log_p, p = log_softmax(xs), softmax(xs)
    w = [0.0] + W[1:]
    return math.fsum(wc * v for wc, v in zip(w[1:], log_p[1:])), [wc - q * sum(w) for wc, q in zip(w, p)]


def lse(xs):
    return logsumexp(xs), softmax(xs)


def sum_of(f, slope):
    return lambda xs: (math.fsum(f(x) for x in xs), [slope(x) for x in xs])


def cross_entropy(rows, smoothing=0.0):
    """mean over rows of (1 - ε)(lse - x_t) + ε/C Σ_c (lse - x_c);  d/dx = (p - y)/N"""
    n, c = len(rows), len(rows[0])
    value, grad = [], []
    for xs, t in zip(rows, TARGETS):
        log_p, p = log_softmax(xs), softmax(xs)
        smooth = smoothing / c * math.fsum(-v for v in log_p) if smoothing else 0.0
        value.append((1 - smoothing) * -log_p[t] + smooth)
        y = [(1 - smoothing) * (k == t) + smoothing / c for k in range(c)]
        grad.append([(q - yk) / n for q, yk in zip(p, y)])
    return math.fsum(value) / n, grad


SOFT_TARGETS = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def soft_cross_entropy(rows):
    """mean over rows of -Σ_c y_c log p_c = Σ_c y_c (lse - x_c);  d/dx = (p·Σy - y)/N"""
    n = len(rows)
    value, grad = [], []
    for xs, ys in zip(rows, SOFT_TARGETS):
        log_p, p = log_softmax(xs), softmax(xs)
        value.append(math.fsum(-y * v for v, y in zip(log_p, ys) if y))
        grad.append([(q * sum(ys) - y) / n for q, y in zip(p, ys)])
    return math.fsum(value) / n, grad


BCE_LABELS = [1.0, 0.0, 0.0, 1.0, 0.5]


def bce_with_logits(xs, pos_weight=1.0):
    """mean of (1 - y)·x + (1 + (p - 1)y)·softplus(-x);  d/dx = ((1 - y) - (1 + (p - 1)y)·σ(-x))/N"""
    n = len(xs)
    value = math.fsum((1 - y) * x + (1 + (pos_weight - 1) * y) * softplus(-x) for x, y in zip(xs, BCE_LABELS))
    grad = [((1 - y) - (1 + (pos_weight - 1) * y) * sigmoid(-x)) / n for x, y in zip(xs, BCE_LABELS)]
    return value / n, grad


BCE_PROBABILITY_LABELS = [0.0, 1.0, 1.0, 0.0, 0.5, 1.0]


def bce(ps):
    """PyTorch's definition: -[y·max(log p, -100) + (1 - y)·max(log(1 - p), -100)], mean;
    d/dp = (p - y) / max(p(1 - p), 1e-12) / N"""
    def log(v):
        return -100.0 if v == 0 else max(math.log(v), -100.0)
    n = len(ps)
    value = math.fsum(-(y * log(p) + (1 - y) * log(1 - p)) for p, y in zip(ps, BCE_PROBABILITY_LABELS))
    grad = [(p - y) / max(p * (1 - p), 1e-12) / n for p, y in zip(ps, BCE_PROBABILITY_LABELS)]
    return value / n, grad


# --- the table ------------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    dtype: Any
    fn: Callable[[tg.Tensor], tg.Tensor]          # the tinygrad_la function (a scalar)
    x: list                                       # the input
    answer: Callable[[list], tuple]               # the analytic (value, gradient)

    @property
    def id(self) -> str:
        return f"{self.name}-{np.dtype(self.dtype).name}"


def _targets(dtype: Any, values: list) -> tg.Tensor:
    return tg.tensor(np.array(values, dtype=dtype))


def build_cases() -> list[Case]:
    cases = []
    for dtype, bigs in ((np.float64, (1e4, 1e30)), (np.float32, (80.0, 1e4))):
        w = np.array(W, dtype=dtype)
        for big in bigs:
            b = f"{big:g}"
            spread = [big, -big, 0.0]
            logits = [[big, -big, 0.0], [-big, big, big], [0.0, -big, big]]
            cases += [
                Case(f"softmax [{b}, -{b}, 0]", dtype, lambda x, w=w: (x.softmax(0) * w).sum(), spread, softmax_dot),
                Case(f"softmax one-hot-saturated [{b}, 0, 0]", dtype, lambda x, w=w: (x.softmax(0) * w).sum(),
                     [big, 0.0, 0.0], softmax_dot),
                Case(f"softmax equal logits [{b}]*3", dtype, lambda x, w=w: (x.softmax(0) * w).sum(), [big] * 3,
                     softmax_dot),
                Case(f"log_softmax [{b}, -{b}, 0]", dtype, lambda x, w=w: (x.log_softmax(0) * w).sum(), spread,
                     log_softmax_dot),
                Case(f"logsumexp [{b}, -{b}, 0]", dtype, lambda x: x.logsumexp(0), spread, lse),
                Case(f"logsumexp equal logits [{b}]*3", dtype, lambda x: x.logsumexp(0), [big] * 3, lse),
                Case(f"sigmoid [±{b}]", dtype, lambda x: x.sigmoid().sum(), [big, -big],
                     sum_of(sigmoid, sigmoid_slope)),
                Case(f"tanh [±{b}]", dtype, lambda x: x.tanh().sum(), [big, -big], sum_of(math.tanh, tanh_slope)),
                Case(f"softplus [±{b}]", dtype, lambda x: F.softplus(x).sum(), [big, -big], sum_of(softplus, sigmoid)),
                Case(f"logsigmoid [±{b}]", dtype, lambda x: F.logsigmoid(x).sum(), [big, -big],
                     sum_of(lambda v: -softplus(-v), lambda v: sigmoid(-v))),
                Case(f"cross_entropy ±{b}", dtype, lambda x: F.cross_entropy(x, tg.tensor(TARGETS)), logits,
                     cross_entropy),
                Case(f"cross_entropy equal logits {b}", dtype, lambda x: F.cross_entropy(x, tg.tensor(TARGETS)),
                     [[big] * 3] * 3, cross_entropy),
                Case(f"cross_entropy label_smoothing=0.1 ±{b}", dtype,
                     lambda x: F.cross_entropy(x, tg.tensor(TARGETS), label_smoothing=0.1), logits,
                     lambda rows: cross_entropy(rows, 0.1)),
                Case(f"cross_entropy soft targets ±{b}", dtype,
                     lambda x, d=dtype: F.cross_entropy(x, _targets(d, SOFT_TARGETS)), logits, soft_cross_entropy),
                Case(f"nll_loss(log_softmax) ±{b}", dtype,
                     lambda x: F.nll_loss(x.log_softmax(1), tg.tensor(TARGETS)), logits, cross_entropy),
                Case(f"BCEWithLogitsLoss ±{b}", dtype,
                     lambda x, d=dtype: tg.nn.BCEWithLogitsLoss()(x, _targets(d, BCE_LABELS)),
                     [big, -big, big, -big, 0.0], bce_with_logits),
                Case(f"BCEWithLogitsLoss pos_weight=3 ±{b}", dtype,
                     lambda x, d=dtype: F.binary_cross_entropy_with_logits(
                         x, _targets(d, BCE_LABELS), pos_weight=_targets(d, [3.0] * 5)),
                     [big, -big, big, -big, 0.0], lambda xs: bce_with_logits(xs, 3.0)),
            ]
        # per dtype: saturated probabilities, infinite and masked logits, sigmoid's far tails
        far = 40.0 if dtype == np.float64 else 20.0    # σ(far) rounds to 1, σ'(far) is still representable
        cases += [
            Case("BCELoss saturated p [0, 1, 0, 1, 0.5, 1e-30]", dtype,
                 lambda x, d=dtype: tg.nn.BCELoss()(x, _targets(d, BCE_PROBABILITY_LABELS)),
                 [0.0, 1.0, 0.0, 1.0, 0.5, 1e-30], bce),
            Case(f"sigmoid slope far out [±{far:g}, ±700]", dtype, lambda x: x.sigmoid().sum(),
                 [far, -far, 700.0, -700.0], sum_of(sigmoid, sigmoid_slope)),
            Case("softmax masked [-inf, 0, 1]", dtype, lambda x, w=np.array(W, dtype): (x.softmax(0) * w).sum(),
                 [-math.inf, 0.0, 1.0], softmax_dot),
            Case("log_softmax masked [-inf, 0, 1]", dtype,
                 lambda x, w=np.array(W[1:], dtype): (x.log_softmax(0)[1:] * w).sum(), [-math.inf, 0.0, 1.0],
                 log_softmax_tail_dot),
            Case("cross_entropy masked non-targets", dtype, lambda x: F.cross_entropy(x, tg.tensor(TARGETS)),
                 [[-math.inf, 0.0, 1.0], [2.0, -math.inf, -math.inf], [0.5, -math.inf, 3.0]], cross_entropy),
            Case("logsumexp [inf, 1]", dtype, lambda x: x.logsumexp(0), [math.inf, 1.0], lse),
            Case("logsumexp [inf, inf]", dtype, lambda x: x.logsumexp(0), [math.inf, math.inf], lse),
            Case("logsumexp [-inf, 1]", dtype, lambda x: x.logsumexp(0), [-math.inf, 1.0], lse),
            Case("logsumexp [-inf, -inf]", dtype, lambda x: x.logsumexp(0), [-math.inf, -math.inf], lse),
        ]
    return cases


CASES = build_cases()


def evaluate(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """The value and gradient, with NumPy's floating-point warnings turned into errors."""
    x = tg.tensor(np.array(case.x, dtype=case.dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("error")
        y = case.fn(x)
        y.backward()
    return y.numpy(), x.grad.numpy()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_extreme_input_gives_the_analytic_value_and_gradient(case: Case) -> None:
    value, grad = evaluate(case)
    expected_value, expected_grad = case.answer(case.x)
    expected_grad = np.array(expected_grad, dtype=np.float64)
    dtype = np.dtype(case.dtype)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    atol = np.finfo(dtype).tiny
    assert value.dtype == dtype and grad.dtype == dtype
    assert grad.shape == np.shape(case.x)
    if math.isfinite(expected_value):
        assert np.isfinite(value), value
    assert np.all(np.isfinite(grad)), grad
    np.testing.assert_allclose(value, expected_value, rtol=rtol, atol=atol)
    np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=atol)


def test_the_table_covers_every_function_at_every_extreme() -> None:
    # every function that overflows or loses its precision when written naively, at each extreme
    # magnitude of the table: 1e4 and 1e30 in float64, 80 and 1e4 in float32
    what = ("softmax", "log_softmax", "logsumexp", "sigmoid", "tanh", "cross_entropy", "BCEWithLogitsLoss", "BCELoss",
            "nll_loss", "logsigmoid", "softplus", "equal logits", "one-hot-saturated")
    for dtype, big in ((np.float64, "10000"), (np.float64, "1e+30"), (np.float32, "80"), (np.float32, "10000")):
        names = " ".join(c.name for c in CASES if c.dtype == dtype and big in c.name)
        assert all(w in names for w in what if w not in ("BCELoss",)), (dtype, big)
    assert sum("BCELoss" in c.name for c in CASES) == 2


def test_sigmoid_slope_is_exact_where_sigma_rounds_to_one() -> None:
    # the float32 fix: σ(80) rounds to 1, so σ(1 - σ) gave 0; σ(x)·σ(-x) keeps e^-80 = 1.8e-35
    x = tg.tensor(np.array([80.0, -80.0], dtype=np.float32), requires_grad=True)
    x.sigmoid().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [math.exp(-80)] * 2, rtol=1e-6)


def test_sigmoid_second_derivative_is_still_right() -> None:
    x = tg.tensor(np.linspace(-6, 6, 7), requires_grad=True)
    assert tg.gradgradcheck(lambda t: t.sigmoid(), x)


@pytest.mark.parametrize("dims", [None, 0, 1, (0, 2), -1])
def test_fused_logsumexp_matches_the_composed_form_and_gradchecks(dims: Any) -> None:
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal((3, 4, 2)) * 3, requires_grad=True)
    composed = (x - x.amax(dims, keepdim=True).detach()).exp().sum(dims, keepdim=True).log() \
        + x.amax(dims, keepdim=True).detach()
    fused = x.logsumexp(dims, keepdim=True)
    np.testing.assert_allclose(fused.numpy(), composed.numpy(), rtol=1e-14)
    assert tg.gradcheck(lambda t: t.logsumexp(dims), x)
    assert tg.gradgradcheck(lambda t: t.logsumexp(dims, keepdim=True), x)


def test_logsumexp_of_empty_groups_is_minus_inf() -> None:
    x = tg.zeros(0, 3, requires_grad=True)
    with np.errstate(all="raise"):
        out = x.logsumexp(0)
        out.sum().backward()
    assert out.tolist() == [-math.inf] * 3 and x.grad.shape == (0, 3)
    assert x.logsumexp(1).shape == (0,)



@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_std_gradient_is_zero_where_the_std_is_zero(dtype: Any) -> None:
    # a constant row, and in float64 one whose variance underflows to 0: PyTorch 2.13 gives gradient 0
    second = [1e-200, 1e-200, 0.0] if dtype == np.float64 else [0.5, 0.5, 0.5]
    x = tg.tensor(np.array([[2.0, 2.0, 2.0], second, [1.0, 2.0, 3.0]], dtype), requires_grad=True)
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        std = x.std(1)
        std.sum().backward()
    assert std.dtype == dtype and x.grad.dtype == dtype
    assert std.tolist()[:2] == [0.0, 0.0]
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]], rtol=1e-6)
    g, = tg.autograd.grad(x.std(1).sum(), x, create_graph=True)   # and the second order stays finite
    h, = tg.autograd.grad((g * g).sum(), x)
    assert np.isfinite(h.numpy()).all() and np.all(h.numpy()[:2] == 0)


def test_var_gradient_at_a_constant_row_is_zero() -> None:
    x = tg.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.var(1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [-1.0, 0.0, 1.0]]   # 2(x - mean)/(N - 1), as PyTorch

def table() -> str:
    """The table as text, with what tinygrad_la computes (`python tests/test_stability.py` prints it)."""
    lines = ["| case | dtype | value | analytic value | gradient | result |", "|---|---|---|---|---|---|"]
    for case in CASES:
        try:
            test_extreme_input_gives_the_analytic_value_and_gradient(case)
            result = "pass"
        except AssertionError as error:
            result = f"FAIL {str(error).splitlines()[0][:60]}"
        value, grad = evaluate(case)
        expected_value = case.answer(case.x)[0]
        shown = np.array2string(grad.ravel(), precision=4, separator=", ", max_line_width=1000)
        lines.append(f"| {case.name} | {np.dtype(case.dtype).name} | {float(value):.6g} | {expected_value:.6g} | "
                     f"{shown} | {result} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
