"""Tests for the autograd machinery: backward, the graph, grad mode, Function, in-place rules, memory.

The numbers are checked against closed forms (d/dx x³ = 3x², d²/dx² sin x = -sin x, ...) or
central differences; the semantics (what raises, what accumulates, what is freed) are
PyTorch's, checked by hand against torch 2.13 CPU.
"""
from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_la as tg
from tinygrad_la import autograd
from tinygrad_la.gradcheck import GradcheckError
from tinygrad_la.testing import shapes, tensors


def leaf(values, **kwargs) -> tg.Tensor:
    return tg.tensor(values, dtype=tg.float64, requires_grad=True, **kwargs)


# =================================================================================================
# backward(): seeds, accumulation, retain_grad
# =================================================================================================

def test_backward_implicit_seed_only_for_one_element_outputs():
    x = leaf([1.0, 2.0, 3.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"one-element.*shape \(3,\).*(\.sum\(\)|gradient=)") as info:
        y.backward()
    assert "gradient=" in str(info.value)        # says how to fix it: pass gradient= ...
    assert ".sum()" in str(info.value)           # ... or reduce
    assert x.grad is None                        # nothing was accumulated


def test_backward_implicit_seed_for_one_element_non_scalar():
    x = leaf([[3.0]])
    (x * x).backward()                           # shape (1, 1): one element, like PyTorch
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0]])


def test_backward_with_explicit_gradient_is_a_vector_jacobian_product():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(gradient=tg.tensor([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 40.0, 600.0])


def test_backward_gradient_of_wrong_shape_names_both_shapes():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        y.backward(gradient=tg.ones(3))
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(2, 1\)"):
        y.backward(gradient=tg.ones(2, 1))


def test_grads_accumulate_into_leaves_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()                     # 2x
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    first = x.grad
    (3 * x).sum().backward()                     # + 3, in a different graph
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])
    assert first is x.grad                       # accumulated into the same tensor (as PyTorch)


def test_a_leaf_used_twice_in_one_graph_gets_the_sum():
    x = leaf([1.5, -2.0])
    (x * x + x.exp() * x).sum().backward()
    expected = 2 * x.numpy() + np.exp(x.numpy()) * (1 + x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)


def test_accumulated_grad_does_not_alias_the_other_leaf_grad():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()                     # both receive the very same upstream array
    a.grad.data += 100                           # changing one must not change the other
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_non_leaf_grad_is_none_unless_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 3
    (h * h).sum().backward()
    assert not h.is_leaf
    assert h.grad is None
    assert not h.retains_grad
    np.testing.assert_array_equal(x.grad.numpy(), [18.0, 36.0])


def test_retain_grad_keeps_the_gradient_of_an_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    out = (h * h).sum()
    out.backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, 12.0])        # d(h²)/dh = 2h
    out.backward()                                                     # and it accumulates
    np.testing.assert_array_equal(h.grad.numpy(), [12.0, 24.0])


def test_retain_grad_on_a_leaf_changes_nothing():
    x = leaf([1.0, 2.0])
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.tensor([1.0, 2.0]).sum().backward()
    x = leaf([1.0])
    with tg.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad.*no_grad"):
        y.backward()


def test_backward_on_a_leaf_itself():
    x = leaf(3.0)
    x.backward()
    assert x.grad.item() == 1.0


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


def test_autograd_module_reexports_grad_mode():
    assert autograd.no_grad is tg.no_grad
    with autograd.no_grad():
        assert not autograd.is_grad_enabled()


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
# the graph: detach, requires_grad_, is_leaf, grad_fn, hooks
# =================================================================================================

def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert np.shares_memory(d.numpy(), y.numpy())
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.data[0] = 50.0                             # same memory: the change shows in y
    assert y.numpy()[0] == 50.0
    (d * y).sum().backward()                     # no gradient flows through d
    np.testing.assert_array_equal(x.grad.numpy(), 2 * d.numpy())


def test_requires_grad_flag_and_requires_grad_():
    t = tg.tensor([1.0, 2.0])
    assert not t.requires_grad
    assert t.requires_grad_() is t
    assert t.requires_grad and t.is_leaf
    t.requires_grad_(False)
    assert not t.requires_grad
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match=r"leaf.*MulBackward0.*detach"):
        y.requires_grad_(False)


def test_is_leaf():
    x = leaf([1.0])
    c = tg.tensor([2.0])
    assert x.is_leaf and c.is_leaf
    assert not (x * c).is_leaf
    assert (c * 3).is_leaf                       # no grad needed: a leaf by convention
    with tg.no_grad():
        assert (x * 3).is_leaf


def test_grad_fn_names_and_next_functions_reach_the_leaf():
    x = leaf([1.0, 2.0])
    y = x * 2
    out = y.exp().sum()
    assert y.grad_fn.name() == "MulBackward0"
    assert repr(y.grad_fn) == "<MulBackward0>"
    assert out.grad_fn.name() == "SumBackward0"
    assert x.grad_fn is None

    names, reached_leaf = [], False
    node = out.grad_fn
    while node is not None:
        names.append(node.name())
        parents = [p for p, _ in node.next_functions if p is not None]
        assert len(parents) == 1                 # the constant 2 contributes no node
        parent = parents[0]
        if getattr(parent, "variable", parent) is x:   # PyTorch: AccumulateGrad(.variable=x)
            reached_leaf = True
            break
        node = parent
    assert names == ["SumBackward0", "ExpBackward0", "MulBackward0"]
    assert reached_leaf


def test_next_functions_of_a_binary_op():
    a, b = leaf(1.0), leaf(2.0)
    z = (a * b) + b.exp()
    (left, _), (right, _) = z.grad_fn.next_functions
    assert (left.name(), right.name()) == ("MulBackward0", "ExpBackward0")


def test_hook_on_a_leaf_sees_and_replaces_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 10

    handle = x.register_hook(hook)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert len(seen) == 1


def test_hook_on_a_non_leaf_changes_what_flows_further():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    handle = y.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    (y * y).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])               # dL/dy = 2y
    np.testing.assert_array_equal(x.grad.numpy(), [36.0, 72.0])       # doubled, times 3
    handle.remove()
    x.grad = None
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [18.0, 36.0])
    assert len(seen) == 1


def test_hook_returning_none_keeps_the_gradient_and_retain_grad_sees_the_hooked_value():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: None)
    y.register_hook(lambda g: g * 2)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [12.0, 24.0])      # as PyTorch 2: hooks first
    np.testing.assert_array_equal(x.grad.numpy(), [36.0, 72.0])


def test_hook_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="hook.*does not require grad"):
        tg.tensor([1.0]).register_hook(lambda g: g)


# =================================================================================================
# user-defined Functions
# =================================================================================================

class MyExp(tg.Function):
    """e^x with dx = g·e^x, saving the output (backward uses differentiable tensor ops)."""
    calls: list = []

    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        MyExp.calls.append(ctx.needs_input_grad)
        return g * out


class ScaledPower(tg.Function):
    """c · x**p with a non-tensor exponent p and a tensor scale c."""

    @staticmethod
    def forward(ctx, x, p, c):
        ctx.save_for_backward(x, c)
        ctx.p = p
        return c * x ** p

    @staticmethod
    def backward(ctx, g):
        x, c = ctx.saved_tensors
        needs_x, needs_p, needs_c = ctx.needs_input_grad
        assert needs_p is False                  # a Python number never needs a gradient
        dx = g * c * ctx.p * x ** (ctx.p - 1) if needs_x else None
        dc = g * x ** ctx.p if needs_c else None
        return dx, None, dc


class NumpyBackwardExp(tg.Function):
    """e^x whose backward leaves the graph (through NumPy): fine once, wrong twice."""

    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return tg.tensor(g.numpy() * out.numpy())


def test_custom_function_forward_backward_and_saved_tensors():
    MyExp.calls.clear()
    x = leaf([0.5, -1.0])
    y = MyExp.apply(x)
    np.testing.assert_allclose(y.numpy(), np.exp([0.5, -1.0]), rtol=1e-15)
    assert y.requires_grad and y.grad_fn.name().startswith("MyExpBackward")
    parent = y.grad_fn.next_functions[0][0]
    assert getattr(parent, "variable", parent) is x   # PyTorch: AccumulateGrad(.variable=x)
    (y * tg.tensor([1.0, 2.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, -1.0]) * [1.0, 2.0], rtol=1e-15)
    assert MyExp.calls == [(True,)]


def test_custom_function_forward_does_not_record_and_needs_no_grad_inputs():
    x = tg.tensor([0.5])                         # needs no grad: nothing recorded
    y = MyExp.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    with tg.no_grad():
        assert not MyExp.apply(leaf([0.5])).requires_grad


def test_custom_function_with_a_non_tensor_argument():
    x, c = leaf([0.5, 1.5]), leaf(2.0)
    y = ScaledPower.apply(x, 3, c)
    np.testing.assert_allclose(y.numpy(), 2.0 * np.array([0.5, 1.5]) ** 3, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * 3 * np.array([0.5, 1.5]) ** 2, rtol=1e-15)
    assert c.grad.item() == pytest.approx(0.5 ** 3 + 1.5 ** 3, rel=1e-15)


def test_custom_function_needs_input_grad_reports_which_inputs_want_gradients():
    seen = []

    class Spy(ScaledPower):
        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return ScaledPower.backward(ctx, g)

    x, c = leaf([0.5]), tg.tensor(2.0)           # c does not require grad
    Spy.apply(x, 2, c).sum().backward()
    assert seen == [(True, False, False)]
    np.testing.assert_allclose(x.grad.numpy(), [2.0 * 2 * 0.5])


def test_custom_function_passes_gradcheck_and_gradgradcheck():
    x = leaf([0.3, -0.7, 1.1])
    assert tg.gradcheck(MyExp.apply, (x,))
    assert tg.gradgradcheck(MyExp.apply, (x,))
    c = leaf([0.5, 2.0, -1.0])
    assert tg.gradcheck(lambda t, s: ScaledPower.apply(t, 3, s), (x, c))
    assert tg.gradgradcheck(lambda t, s: ScaledPower.apply(t, 3, s), (x, c))


def test_custom_function_double_backward_values():
    x = leaf([0.3, -0.7])
    g, = autograd.grad(ScaledPower.apply(x, 3, tg.tensor(2.0)).sum(), x, create_graph=True)
    g2, = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 2.0 * 6 * x.numpy(), rtol=1e-14)   # d²(2x³) = 12x


def test_gradgradcheck_catches_a_backward_that_leaves_the_graph():
    x = leaf([0.3, -0.7])
    assert tg.gradcheck(NumpyBackwardExp.apply, (x,))             # first order is right ...
    with pytest.raises(GradcheckError, match="gradcheck failed"):
        tg.gradgradcheck(NumpyBackwardExp.apply, (x,))            # ... second order is not
    assert not tg.gradgradcheck(NumpyBackwardExp.apply, (x,), raise_exception=False)


def test_gradcheck_catches_a_wrong_derivative():
    class WrongSquare(tg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x                           # should be 2·g·x

    with pytest.raises(GradcheckError, match=r"input 0.*analytic gradient.*numeric gradient"):
        tg.gradcheck(WrongSquare.apply, (leaf([1.0, 2.0]),))


def test_function_forward_must_return_a_tensor():
    class ReturnsArray(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x.numpy() * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with pytest.raises(TypeError, match=r"ReturnsArray.forward must return a Tensor.*ndarray"):
        ReturnsArray.apply(leaf([1.0]))


def test_function_backward_returning_too_many_gradients_raises():
    class TooMany(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    with pytest.raises(RuntimeError, match=r"TooMany.backward returned 2 gradients.*1 argument"):
        TooMany.apply(leaf([1.0])).sum().backward()


def test_function_backward_of_the_wrong_shape_raises_naming_the_shapes():
    class BadShape(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return tg.ones(5)

    with pytest.raises(RuntimeError, match=r"BadShapeBackward0.*\(5,\).*\(2,\)"):
        BadShape.apply(leaf([1.0, 2.0])).sum().backward()


# =================================================================================================
# in-place operations (PyTorch's rules)
# =================================================================================================

@pytest.mark.parametrize("change", [
    lambda w: w.__iadd__(1.0),
    lambda w: w.mul_(2.0),
    lambda w: w.zero_(),
    lambda w: w.fill_(3.0),
    lambda w: w.copy_(tg.tensor([5.0, 6.0])),
    lambda w: w.add_(1.0, alpha=2),
    lambda w: w.clamp_(0, 1),
    lambda w: w.__setitem__(0, 9.0),
], ids=["+=", "mul_", "zero_", "fill_", "copy_", "add_", "clamp_", "setitem"])
def test_in_place_change_of_a_leaf_that_requires_grad_raises(change):
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad.*in-place.*no_grad"):
        change(w)
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])   # untouched


def test_in_place_update_under_no_grad_is_an_optimizer_step():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    data_before = w.data
    with tg.no_grad():
        w -= 0.1 * w.grad
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-15)
    assert w.data is data_before                 # truly in place
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_in_place_update_under_no_grad_bumps_the_version():
    w = leaf([1.0, 2.0])
    y = w * w                                    # saves w for backward
    with tg.no_grad():
        w -= 0.5
    with pytest.raises(RuntimeError, match=r"MulBackward0.*modified by an in-place operation"):
        y.sum().backward()


def test_update_of_a_tensor_that_only_an_output_saving_op_used_is_fine():
    w = leaf([1.0, 2.0])
    y = w.exp()                                  # exp saves its output, not w
    with tg.no_grad():
        w -= 0.5
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-15)


def test_a_recorded_change_of_a_saved_output_makes_its_backward_raise():
    # PyTorch writes into the memory Exp saved, so its backward must raise, not use the new values
    x = leaf([1.0, 2.0])
    y = x.exp()                                  # Exp saved y itself
    y += 1                                       # recorded, written into y's array
    np.testing.assert_allclose(y.numpy(), np.exp([1.0, 2.0]) + 1)
    with pytest.raises(RuntimeError, match=r"ExpBackward0.*modified by an in-place operation"):
        y.sum().backward()


def test_modifying_a_saved_output_under_no_grad_then_backward_raises():
    x = leaf([1.0, 2.0])
    y = x.exp()                                  # Exp saved y itself
    with tg.no_grad():
        y += 1                                   # writes into the saved array
    with pytest.raises(RuntimeError, match=r"ExpBackward0.*in-place"):
        y.sum().backward()


def test_modifying_a_saved_input_under_no_grad_then_backward_raises():
    x = leaf([1.0, 2.0])
    a = x * 1
    y = a * a                                    # Mul saved a
    with tg.no_grad():
        a.mul_(2)
    with pytest.raises(RuntimeError, match=r"MulBackward0.*in-place"):
        y.sum().backward()


@pytest.mark.parametrize("change", [
    lambda a: a.mul_(2),
    lambda a: a.__iadd__(1.0),
    lambda a: a.__setitem__(0, 5.0),
], ids=["mul_", "+=", "setitem"])
def test_a_recorded_change_of_a_saved_input_makes_its_backward_raise(change):
    # As PyTorch: the in-place op writes into the array Mul saved, so y's backward cannot be right
    x = leaf([1.0, 2.0])
    a = x * 1
    y = a * a                                    # Mul saved a
    change(a)                                    # recorded, written into a's array
    with pytest.raises(RuntimeError, match=r"MulBackward0.*modified by an in-place operation"):
        y.sum().backward()


def test_modifying_a_view_of_a_saved_tensor_then_backward_raises():
    x = leaf([1.0, 2.0])
    y = x.exp()
    view = y.reshape(2, 1)
    with tg.no_grad():
        view += 1                                # writes into y's memory
    assert y.numpy()[0] == pytest.approx(np.e + 1)
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_in_place_on_a_non_leaf_that_nobody_saved_is_recorded():
    x = leaf([1.0, 2.0])
    y = x * 2
    y += 1
    np.testing.assert_array_equal(y.numpy(), [3.0, 5.0])
    assert y.grad_fn is not None and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_recorded_in_place_ops_have_the_right_gradients():
    x = leaf([-1.0, 0.5, 2.0])
    y = x * 1
    y.clamp_(0, 1)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.5, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])

    x = leaf([1.0, 2.0])
    y = x * 1
    y.add_(x, alpha=3)                           # y = x + 3x
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [4.0, 8.0])
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])

    x, s = leaf([1.0, 2.0]), leaf([5.0, 7.0])
    y = x * 3
    y.copy_(s * 2)                               # x no longer matters; s does
    (y * tg.tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(y.numpy(), [10.0, 14.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(s.grad.numpy(), [2.0, 20.0])

    x = leaf([1.0, 2.0])
    y = x * 3
    y.fill_(4.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_in_place_values_on_plain_tensors():
    t = tg.tensor([1.0, -2.0, 3.0])
    assert t.zero_() is t
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(t.fill_(2.5).numpy(), [2.5, 2.5, 2.5])
    np.testing.assert_array_equal(t.copy_(tg.tensor([4.0, 5.0, 6.0])).numpy(), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(t.copy_(np.array([7.0, 8.0, 9.0])).numpy(), [7.0, 8.0, 9.0])
    np.testing.assert_array_equal(t.clamp_(7.5, 8.5).numpy(), [7.5, 8.0, 8.5])
    np.testing.assert_array_equal(t.clamp_(max=8.0).numpy(), [7.5, 8.0, 8.0])
    np.testing.assert_array_equal(t.add_(tg.tensor([1.0, 1.0, 1.0]), alpha=2).numpy(), [9.5, 10.0, 10.0])
    np.testing.assert_array_equal(t.sub_(1.0, alpha=0.5).numpy(), [9.0, 9.5, 9.5])
    np.testing.assert_array_equal(t.mul_(2).numpy(), [18.0, 19.0, 19.0])
    np.testing.assert_array_equal(t.div_(2).numpy(), [9.0, 9.5, 9.5])
    t *= tg.tensor([2.0, 0.0, 1.0])
    np.testing.assert_array_equal(t.numpy(), [18.0, 0.0, 9.5])


def test_in_place_cannot_change_shape_or_dtype_kind():
    t = tg.zeros(2)
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*shape \(3,\)"):
        t.add_(tg.ones(3))
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*shape \(2, 2\)"):
        t.add_(tg.ones(2, 2))
    i = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="int64"):
        i += 1.5


def test_setitem():
    t = tg.zeros(2, 3)
    t[1] = 7.0
    t[0, 2] = -1.0
    t[:, 0] = tg.tensor([4.0, 5.0])
    np.testing.assert_array_equal(t.numpy(), [[4.0, 0.0, -1.0], [5.0, 7.0, 7.0]])
    t[t.numpy() > 4.5] = 0.0                     # boolean mask
    np.testing.assert_array_equal(t.numpy(), [[4.0, 0.0, -1.0], [0.0, 0.0, 0.0]])


def test_setitem_on_a_non_leaf_is_recorded():
    x, v = leaf([1.0, 2.0, 3.0]), leaf(10.0)
    y = x * 1
    y[1] = v * 2
    np.testing.assert_array_equal(y.numpy(), [1.0, 20.0, 3.0])
    (y * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 3.0])   # overwritten entry gets none
    assert v.grad.item() == 4.0                                       # 2 (weight) · 2 (v * 2)


def test_setitem_of_a_value_that_does_not_fit_names_the_shapes():
    t = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"shape \(4,\).*shape \(2, 3\)"):
        t[0] = np.ones(4)


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
    saved = weakref.ref(e.data)
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
    kept = weakref.ref(h.data)
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
        with pytest.raises(RuntimeError, match="BadGradBackward0"):
            y.backward()


def test_anomaly_detection_costs_no_stack_walk_when_off(monkeypatch):
    # free when off: with detection off no op asks for the stack (which is what makes it slow when on)
    import traceback
    calls = []
    real = traceback.extract_stack
    monkeypatch.setattr(traceback, "extract_stack", lambda *a, **k: calls.append(1) or real(*a, **k))
    x = leaf([1.0, 2.0])
    (x.exp() * x).sum().backward()
    assert calls == []
    with autograd.detect_anomaly():
        (x.exp() * x).sum().backward()
    assert len(calls) >= 3


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


# --- answers PyTorch 2.13 gives (the numbers in the asserts are its outputs) -----------------------

def test_a_gradient_a_hook_kept_is_not_changed_by_the_next_accumulation():
    x = leaf([1.0, 1.0])
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0].numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_a_gradient_a_non_leaf_hook_kept_is_not_changed_by_the_next_accumulation():
    x = leaf([1.0, 1.0])
    h = x + 0
    seen = []
    h.register_hook(lambda g: seen.append(g))
    (h * 2).sum().backward(retain_graph=True)
    (h * 2).sum().backward()
    np.testing.assert_array_equal(seen[0].numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_autograd_grad_returns_what_the_inputs_hooks_made():
    x = leaf([1.0, 1.0])
    x.register_hook(lambda g: g * 10)
    g, = tg.autograd.grad((x * 3).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [30.0, 30.0])
    h = x * 2
    h.register_hook(lambda g: g * 10)
    g, = tg.autograd.grad((h * 3).sum(), h)
    np.testing.assert_array_equal(g.numpy(), [30.0, 30.0])


def test_backward_inputs_applies_hooks():
    x = leaf([1.0, 1.0])
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward(inputs=[x])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])


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


def test_mark_non_differentiable_output_does_not_require_grad():
    class Doubled(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, g):
            return g

    out = Doubled.apply(leaf([1.0, 2.0]))
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), [2.0, 4.0])


def test_a_custom_backward_returning_float64_gives_float32_gradients():
    class Twice(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.double() * 2

    x = tg.tensor([1.0, 1.0], dtype=tg.float32, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.dtype))
    Twice.apply(x).sum().backward()
    assert x.grad.dtype == np.float32 and seen == [np.float32]
    g, = tg.autograd.grad(Twice.apply(x).sum(), x, create_graph=True)
    assert g.dtype == np.float32


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


def test_a_float32_tensor_cast_to_float64_and_used_twice_backpropagates():
    w = tg.tensor(2.0, dtype=tg.float32, requires_grad=True)
    d = w.double()
    (d * d + d).backward()
    assert w.grad.dtype == np.float32
    assert w.grad.item() == 5.0


def test_autograd_backward_of_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="tensor 0 passed to autograd.backward does not require grad"):
        tg.autograd.backward(tg.zeros(3))


def test_a_forward_error_that_is_not_about_shapes_does_not_say_shapes():
    from tinygrad_la.core.function import _forward_error
    error = _forward_error(type("Pow", (), {}), (tg.tensor([1, 2]),), ValueError("Integers to negative "
                                                                                 "integer powers are not allowed."))
    assert "shapes (2,)" in str(error) and "do not fit" not in str(error)
    assert "negative integer powers" in str(error)
