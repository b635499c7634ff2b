"""Tests of tinygrad_la/core/engine.py: the backward walk and grad mode.

The walk: retain_graph (a freed graph refuses a second backward), create_graph (higher-order
derivatives against closed forms and finite differences), what is freed and when, and chains deep
enough that a recursive walk would overflow the stack. Grad mode: no_grad, enable_grad,
set_grad_enabled and inference_mode as contexts and decorators (also on generator functions),
and the mode being per thread. Semantics are PyTorch's, checked by hand against torch 2.13 CPU.
"""
from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given

import tinygrad_la as tg
from tinygrad_la import autograd
from tinygrad_la.testing import shapes, tensors

from tests.helpers import leaf


# =================================================================================================
# retain_graph
# =================================================================================================

def test_second_backward_through_a_freed_graph_raises_mentioning_retain_graph():
    x = leaf([1.0, 2.0])
    out = x.exp().sum()
    out.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        out.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-15)   # first one counted once


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = leaf([1.0, 2.0])
    out = x.exp().sum()
    out.backward(retain_graph=True)
    out.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-15)
    out.backward()                   # the last one may free the graph
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp([1.0, 2.0]), rtol=1e-15)
    with pytest.raises(RuntimeError, match="retain_graph"):
        out.backward()


def test_graph_of_ops_that_saved_nothing_can_backward_twice():
    x = leaf([1.0, 2.0])
    out = (x + 1 - 3).sum()          # add/sub/sum save no tensors: PyTorch allows this too
    out.backward()
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


@given(tensors(shape=shapes(max_dims=2)))
def test_retained_double_backward_equals_twice_the_gradient(x):
    out = (x.tanh() * x).sum()
    out.backward(retain_graph=True)
    once = x.grad.numpy().copy()
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * once)    # g + g is exactly 2g


# =================================================================================================
# create_graph: higher-order derivatives
# =================================================================================================

def test_second_and_third_derivative_of_x_cubed():
    x = leaf([-1.5, 0.5, 2.0])
    d1, = autograd.grad((x ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(d1.numpy(), 3 * x.numpy() ** 2, rtol=1e-14)
    assert d1.requires_grad and d1.grad_fn is not None
    d2, = autograd.grad(d1.sum(), x, create_graph=True)
    np.testing.assert_allclose(d2.numpy(), 6 * x.numpy(), rtol=1e-14)
    d3, = autograd.grad(d2.sum(), x)
    np.testing.assert_allclose(d3.numpy(), [6.0, 6.0, 6.0], rtol=1e-14)
    assert not d3.requires_grad


def test_second_derivative_of_sin():
    x = leaf(np.linspace(-3, 3, 7))
    d1, = autograd.grad(x.sin().sum(), x, create_graph=True)
    d2, = autograd.grad(d1.sum(), x)
    np.testing.assert_allclose(d1.detach().numpy(), np.cos(x.numpy()), rtol=1e-14)
    np.testing.assert_allclose(d2.numpy(), -np.sin(x.numpy()), rtol=1e-13, atol=1e-15)


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = leaf(2.0)
    (x ** 3).backward(create_graph=True)
    first = x.grad
    assert first.item() == 12.0 and first.requires_grad
    x.grad = None
    first.backward()
    assert x.grad.item() == 12.0                 # d/dx 3x² = 6x at 2


def _mlp_loss(W, v, X):
    """A small MLP-like scalar: ‖tanh(X Wᵀ) v‖² + Σ σ(tanh(X Wᵀ)) (smooth, with mixed second derivatives)."""
    h = (X @ W.T).tanh()
    out = h @ v
    return (out * out).sum() + h.sigmoid().sum()


def test_hessian_vector_product_of_a_small_mlp_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = tg.tensor(rng.standard_normal((5, 3)))
    W = leaf(rng.standard_normal((4, 3)) * 0.5)
    v = leaf(rng.standard_normal(4))
    dW, dv = rng.standard_normal(W.shape), rng.standard_normal(v.shape)

    gW, gv = autograd.grad(_mlp_loss(W, v, X), [W, v], create_graph=True)
    directional = (gW * tg.tensor(dW)).sum() + (gv * tg.tensor(dv)).sum()
    HvW, Hvv = autograd.grad(directional, [W, v])

    def gradient_at(W_arr, v_arr):
        Wt, vt = leaf(W_arr), leaf(v_arr)
        return [g.numpy() for g in autograd.grad(_mlp_loss(Wt, vt, X), [Wt, vt])]

    eps = 1e-5
    plus = gradient_at(W.numpy() + eps * dW, v.numpy() + eps * dv)
    minus = gradient_at(W.numpy() - eps * dW, v.numpy() - eps * dv)
    np.testing.assert_allclose(HvW.numpy(), (plus[0] - minus[0]) / (2 * eps), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(Hvv.numpy(), (plus[1] - minus[1]) / (2 * eps), rtol=1e-6, atol=1e-7)
    assert W.grad is None and v.grad is None     # autograd.grad never touches .grad


# =================================================================================================
# grad mode: no_grad / enable_grad / set_grad_enabled
# =================================================================================================

def test_no_grad_context_results_do_not_require_grad():
    x = leaf([1.0, 2.0])
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])


def test_enable_grad_inside_no_grad_and_nesting():
    x = leaf([1.0])
    with tg.no_grad():
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            assert (x * 2).requires_grad
            with tg.no_grad():
                assert not tg.is_grad_enabled()
                with tg.no_grad():
                    assert not tg.is_grad_enabled()
                assert not tg.is_grad_enabled()
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_is_restored_when_the_block_raises():
    with pytest.raises(ValueError, match="boom"):
        with tg.no_grad():
            raise ValueError("boom")
    assert tg.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    x = leaf([1.0])

    @tg.no_grad()
    def frozen(t):
        return t * 2, tg.is_grad_enabled()

    @tg.enable_grad()
    def recorded(t):
        return t * 2, tg.is_grad_enabled()

    y, mode = frozen(x)
    assert (y.requires_grad, mode, tg.is_grad_enabled()) == (False, False, True)
    with tg.no_grad():
        y, mode = recorded(x)
        assert (y.requires_grad, mode) == (True, True)
        assert not tg.is_grad_enabled()
    assert frozen.__name__ == "frozen"           # functools.wraps


def test_no_grad_as_a_bare_decorator_like_pytorch():
    x = leaf([1.0])

    @tg.no_grad
    def frozen(t):
        return t * 2

    assert not frozen(x).requires_grad
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_call_context_and_decorator():
    x = leaf([1.0])
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
        with tg.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()

    tg.set_grad_enabled(False)                   # a plain call switches at once, like PyTorch
    assert not tg.is_grad_enabled()
    assert not (x * 2).requires_grad
    tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()

    @tg.set_grad_enabled(False)
    def frozen():
        return tg.is_grad_enabled(), (x * 2).requires_grad

    assert tg.is_grad_enabled()                  # decorating does not switch the mode
    assert frozen() == (False, False)
    assert tg.is_grad_enabled()


def _run_in_lockstep(schedule: list) -> list:
    """Run (thread, action) steps in exactly this order across threads "A" and "B": a Barrier
    starts and ends every step, so each step sees the other thread's state as the schedule left
    it. An action gets its thread's stack of open contexts and returns what it observed."""
    barrier = threading.Barrier(2, timeout=10)
    seen, errors = [], []

    def worker(name: str) -> None:
        contexts: list = []
        try:
            for owner, action in schedule:
                barrier.wait()
                if owner == name:
                    seen.append((owner, action(contexts)))
                barrier.wait()
        except BaseException as error:   # a failure in one thread must not hang the other
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(name,)) for name in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return seen


def _enter(make):
    def action(contexts):
        context = make()
        context.__enter__()
        contexts.append(context)
        return tg.is_grad_enabled()
    return action


def _exit(contexts):
    contexts.pop().__exit__(None, None, None)
    return tg.is_grad_enabled()


X = leaf([1.0])


def _record(contexts):
    return (X * 2).requires_grad


@pytest.mark.parametrize("first, second", [("A", "B"), ("B", "A")])
def test_grad_mode_is_thread_local_in_either_order(first, second):
    # Interleaved so that a process-wide flag would fail: the second thread's no_grad() starts
    # inside the first's and ends after it; with one global flag (saved and restored by each
    # context) the first thread's exit would switch recording back on for the second.
    schedule = [
        (first, _enter(tg.no_grad)),              # first: off
        (second, _record),                        # second still records
        (first, _record),                         # first does not
        (second, _enter(lambda: tg.set_grad_enabled(False))),
        (first, _exit),                           # first: on again...
        (second, _record),                        # ...second still off
        (first, _record),
        (second, _enter(tg.enable_grad)),         # enable_grad nested inside no_grad, in one thread only
        (first, _enter(tg.no_grad)),
        (second, _record),
        (first, _record),
        (second, _exit),
        (second, _exit),
        (first, _exit),
        (second, _record),
        (first, _record),
    ]
    seen = _run_in_lockstep(schedule)
    assert seen == [(first, False), (second, True), (first, False), (second, False), (first, True),
                    (second, False), (first, True), (second, True), (first, False), (second, True),
                    (first, False), (second, False), (second, True), (first, True), (second, True),
                    (first, True)]
    assert tg.is_grad_enabled()


def test_a_backward_in_one_thread_does_not_stop_recording_in_another():
    # backward() switches recording off in its own thread while it runs (unless create_graph)
    x = leaf([1.0, 2.0])
    inside_backward, other_recorded = threading.Event(), threading.Event()
    seen = {}

    def hook(grad):
        inside_backward.set()
        assert other_recorded.wait(10)
        seen["during backward"] = tg.is_grad_enabled()
        return grad

    def run_backward():
        y = (x * 3).sum()
        y.grad_fn.register_hook(hook)
        y.backward()

    def record():
        assert inside_backward.wait(10)
        seen["other thread"] = (tg.is_grad_enabled(), (x * 2).requires_grad)
        other_recorded.set()

    threads = [threading.Thread(target=run_backward), threading.Thread(target=record)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen == {"during backward": False, "other thread": (True, True)}
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_set_grad_enabled_called_in_a_thread_stays_in_that_thread():
    done = []
    t = threading.Thread(target=lambda: (tg.set_grad_enabled(False), done.append(tg.is_grad_enabled())))
    t.start()
    t.join(10)
    assert done == [False] and tg.is_grad_enabled() and (X * 2).requires_grad


def test_new_threads_start_with_grad_enabled_even_under_no_grad():
    seen = []
    with tg.no_grad():
        t = threading.Thread(target=lambda: seen.append(tg.is_grad_enabled()))
        t.start()
        t.join(10)
    assert seen == [True]


# =================================================================================================
# memory: saved arrays and graphs are released
# =================================================================================================

def _chain_with_saved_exp():
    """x -> h = 2x -> e = exp(h) -> pred = 3e -> loss = Σ pred. Exp saves e; Mul saves e too.

    Returns the tensors a caller keeps (x, pred, loss) and a weak reference to e's array.
    """
    x = leaf(np.linspace(0.1, 1.0, 1000))
    h = x * 2
    e = h.exp()
    saved = weakref.ref(e.numpy())
    pred = e * 3
    loss = pred.sum()
    return x, pred, loss, saved


def test_graph_holds_saved_arrays_before_backward_and_with_retain_graph():
    # the control for the next test: the weak reference is sound and the graph does hold e
    x, pred, loss, saved = _chain_with_saved_exp()
    gc.collect()
    assert saved() is not None
    loss.backward(retain_graph=True)
    del loss
    gc.collect()
    assert saved() is not None                   # retained on purpose
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.exp(2 * x.numpy()), rtol=1e-14)


def test_backward_frees_the_arrays_saved_for_it():
    x, pred, loss, saved = _chain_with_saved_exp()
    exp_node = weakref.ref(pred.grad_fn.next_functions[0][0])
    loss.backward()
    del loss
    gc.collect()
    # pred (and through it the Mul and Exp nodes) is still alive, like a prediction kept for metrics ...
    assert exp_node() is not None and exp_node().name() == "ExpBackward0"
    # ... but what they saved for backward is gone
    assert saved() is None
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.exp(2 * x.numpy()), rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph"):
        pred.sum().backward()                    # the freed graph says so, instead of reading junk


def test_an_intermediate_nobody_saved_is_freed_before_backward():
    x = leaf(np.linspace(0.1, 1.0, 1000))
    h = x * 2                                    # Mul by a constant: saves x and 2, not h
    kept = weakref.ref(h.numpy())
    e = h.exp()                                  # Exp saves its output e, not its input h
    del h
    gc.collect()
    assert kept() is None                        # PyTorch frees h here
    e.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.numpy()), rtol=1e-14)


def test_everything_is_freed_once_the_root_is_dropped():
    x, pred, loss, saved = _chain_with_saved_exp()
    loss.backward()
    del loss, pred
    gc.collect()
    assert saved() is None


def test_the_graph_is_freed_when_the_output_is_dropped():
    x = leaf([1.0, 2.0])
    y = (x * 2).exp().sin()
    nodes = [weakref.ref(y.grad_fn)]
    nodes.append(weakref.ref(y.grad_fn.next_functions[0][0]))
    nodes.append(weakref.ref(nodes[-1]().next_functions[0][0]))
    assert [n().name() for n in nodes] == ["SinBackward0", "ExpBackward0", "MulBackward0"]
    gc.disable()                                 # reference counting alone must do it: no cycles
    try:
        del y
        assert [n() for n in nodes] == [None, None, None]
    finally:
        gc.enable()


def test_retain_grad_does_not_keep_the_graph_alive():
    x = leaf([1.0, 2.0])
    y = x.exp()
    y.retain_grad()
    node = weakref.ref(y.grad_fn)
    gc.disable()
    try:
        del y
        assert node() is None
    finally:
        gc.enable()


# =================================================================================================
# deep graphs
# =================================================================================================

def test_a_100k_op_chain_backpropagates_without_recursion():
    x = leaf(1.0)
    y = x
    for _ in range(50_000):                      # 50 000 multiplications + 50 000 additions
        y = y * 1.0001
        y = y + 0.0
    y.backward()
    expected = 1.0001 ** 50_000
    assert x.grad.item() == pytest.approx(expected, rel=1e-9)
    assert y.item() == pytest.approx(expected, rel=1e-9)
    del y                                        # and the chain is taken apart without crashing
    gc.collect()


def test_deleting_a_100k_op_chain_that_was_never_backpropagated():
    x = leaf(1.0)
    y = x
    for i in range(100_000):
        y = y * 1.0001 if i % 2 == 0 else y + 0.0
    first = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert first() is None


def test_inference_mode_is_no_grad_in_every_form():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad

    @tg.inference_mode
    def bare(t):
        return t * 2

    @tg.inference_mode()
    def called(t):
        return t * 2

    assert not bare(x).requires_grad and not called(x).requires_grad
    assert (x * 2).requires_grad and tg.is_grad_enabled()


def test_a_detached_input_is_a_constant_in_the_second_order():
    x = leaf([1.0, 2.0])
    g, = tg.autograd.grad((x * x.detach()).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0])
    assert not g.requires_grad     # d/dx of x·c is c: nothing left to differentiate


def test_a_second_order_through_x_times_detached_x_plus_x_squared():
    x = leaf([1.0, 2.0])
    g, = tg.autograd.grad((x * x.detach() + x * x).sum(), x, create_graph=True)
    gg, = tg.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(gg.numpy(), [2.0, 2.0])


def test_no_grad_on_a_generator_function_holds_at_every_step():
    x = leaf([1.0])

    @tg.no_grad()
    def steps(n):
        for _ in range(n):
            received = yield (x * 2).requires_grad
            assert received is None or received == "sent"

    gen = steps(3)
    assert tg.is_grad_enabled()
    results = [next(gen), gen.send("sent"), next(gen)]
    assert results == [False, False, False]
    assert tg.is_grad_enabled()


def test_enable_grad_on_a_generator_function_records_inside_no_grad():
    x = leaf([1.0])

    @tg.enable_grad()
    def steps():
        yield (x * 2).requires_grad

    with tg.no_grad():
        assert list(steps()) == [True]
