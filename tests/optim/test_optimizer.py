"""Tests of tinygrad_la/optim/optimizer.py: what every optimizer shares.

How step() changes parameters, param groups, zero_grad, closures, bad arguments, state_dict (its
layout is PyTorch's; malformed state is refused and a failing step changes nothing). Each update
rule is checked against its formula in the file named after it. Tests marked `torch` train the
same tiny network here and in PyTorch and compare the losses step by step.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_la as tg
from tinygrad_la import optim
from tinygrad_la.testing import arrays

from tests.optim.helpers import _network_start, _train_network, loss_of, start_values


# --- a first step from any values ---------------------------------------------------------------

@given(theta=arrays((5,)), grad=arrays((5,)), lr=st.floats(1e-4, 1.0))
def test_one_sgd_and_adam_step_on_any_values(theta, grad, lr):
    # first steps from arbitrary values: SGD moves by −η g; Adam by −η g/(|g| + ε) coordinate-wise
    p = tg.tensor(theta, requires_grad=True)
    p.grad = grad.copy()
    optim.SGD([p], lr=lr).step()
    np.testing.assert_allclose(p.numpy(), theta - lr * grad, rtol=1e-12, atol=1e-12)
    q = tg.tensor(theta, requires_grad=True)
    q.grad = grad.copy()
    optim.Adam([q], lr=lr).step()
    np.testing.assert_allclose(q.numpy(), theta - lr * grad / (np.abs(grad) + 1e-8), rtol=1e-9, atol=1e-12)


# --- how step() changes parameters -----------------------------------------------------------------

def test_step_writes_into_the_parameter_arrays():
    for cls in (optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad):
        p = tg.tensor([1.0, -2.0], requires_grad=True)
        array = p.numpy()
        p.grad = np.array([0.5, 0.25])
        cls([p], lr=0.1, **({"momentum": 0.9} if cls is optim.SGD else {})).step()
        assert p.numpy() is array and not np.array_equal(array, [1.0, -2.0])
        assert p.is_leaf and p.requires_grad and p.grad_fn is None


def test_step_keeps_the_dtype_of_float32_parameters():
    p = tg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32


def test_parameters_without_grad_are_skipped():
    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([2.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    opt.step()
    assert b.numpy().tolist() == [2.0] and b not in opt.state
    assert a.data[0] != 1.0 and opt.state[a]["step"] == 1


def test_frozen_parameters_are_accepted_and_left_alone():
    # as in PyTorch: requires_grad=False parameters never get a grad, so step() skips them
    frozen = tg.tensor([1.0])
    live = tg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([frozen, live], lr=0.5)
    (live * 2).sum().backward()
    opt.step()
    assert frozen.numpy().tolist() == [1.0] and live.numpy().tolist() == [0.0]


def test_a_graph_saved_before_the_step_refuses_to_backward():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    stale = (w * w).sum()       # saves w's old value
    opt.step()                  # changes it in place
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        stale.backward()


def test_closure_is_evaluated_with_grad_on_and_its_loss_returned():
    w = tg.tensor([3.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and w.numpy().tolist() == pytest.approx([3.0 - 0.1 * 6.0])


def test_param_groups_have_their_own_learning_rates():
    a = tg.tensor([1.0, 1.0], requires_grad=True)
    b = tg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.01}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["momentum"] == 0.0   # missing options come from the defaults
    (a.sum() + b.sum()).backward()
    opt.step()
    assert a.numpy().tolist() == [0.9, 0.9] and b.numpy().tolist() == [0.99]


def test_add_param_group_later():
    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([1.0], requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.5, "amsgrad": True})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["amsgrad"]
    (a + b).sum().backward()
    opt.step()
    assert b.data[0] == pytest.approx(0.5) and "max_exp_avg_sq" in opt.state[b]
    with pytest.raises(ValueError, match="already in parameter group 0"):
        opt.add_param_group({"params": [a]})


def test_zero_grad_both_ways():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    buffer = w.grad.numpy()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.numpy() is buffer and buffer.tolist() == [0.0, 0.0]
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    opt.zero_grad()
    assert w.grad is None


def test_step_count_and_repr():
    w = tg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.1" in text


# --- bad arguments ---------------------------------------------------------------------------------

def _param():
    return tg.tensor([1.0], requires_grad=True)


BAD = [
    (optim.SGD, dict(lr=-0.1), "lr"),
    (optim.SGD, dict(lr=float("nan")), "lr"),
    (optim.SGD, dict(lr=float("inf")), "lr"),
    (optim.SGD, dict(momentum=-0.5), "momentum"),
    (optim.SGD, dict(weight_decay=-1e-4), "weight_decay"),
    (optim.SGD, dict(nesterov=True), "nesterov"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    (optim.Adam, dict(lr=-1.0), "lr"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    (optim.Adam, dict(betas=(0.9,)), "betas"),
    (optim.Adam, dict(eps=-1e-8), "eps"),
    (optim.Adam, dict(weight_decay=-0.1), "weight_decay"),
    (optim.AdamW, dict(betas=(0.9, float("nan"))), r"betas\[1\]"),
    (optim.RMSprop, dict(alpha=-0.1), "alpha"),
    (optim.RMSprop, dict(momentum=-0.1), "momentum"),
    (optim.RMSprop, dict(eps=float("nan")), "eps"),
    (optim.Adagrad, dict(lr_decay=-1.0), "lr_decay"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (optim.Adagrad, dict(eps=-1.0), "eps"),
]


@pytest.mark.parametrize("cls, kwargs, name", BAD, ids=[f"{c.__name__}-{n}-{kw}" for c, kw, n in BAD])
def test_bad_options_raise_value_error_naming_the_argument(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls([_param()], **kwargs)
    with pytest.raises(ValueError, match=name):   # the same check guards a group's own options
        cls([{"params": [_param()], **kwargs}])


@pytest.mark.parametrize("kwargs", [dict(lr="0.1"), dict(lr=None), dict(momentum=True)])
def test_options_of_the_wrong_kind_raise_type_error_naming_the_argument(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(TypeError, match=rf"{name}={kwargs[name]!r} is a {type(kwargs[name]).__name__}"):
        optim.SGD([_param()], **kwargs)


def test_bad_parameter_lists():
    w = _param()
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam(iter([]))
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="already in parameter group 0"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="ordered"):
        optim.SGD({w}, lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="floating point"):
        optim.SGD([tg.tensor([1, 2])], lr=0.1)
    with pytest.raises(ValueError, match="'params'"):
        optim.SGD([{"lr": 0.1}])


def test_a_failing_step_changes_nothing():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0], requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b]}], lr=0.1)
    (a.sum() + b.sum()).backward()
    opt.step()
    before = (a.numpy().copy(), b.numpy().copy(), {k: v.numpy().copy() for k, v in opt.state[a].items() if k != "step"})
    opt.param_groups[1]["lr"] = float("nan")          # e.g. a schedule gone wrong, in the last group
    with pytest.raises(ValueError, match="lr=nan"):
        opt.step()
    assert np.array_equal(a.numpy(), before[0]) and np.array_equal(b.numpy(), before[1])
    assert opt.state[a]["step"] == 1 and all(np.array_equal(opt.state[a][k].numpy(), v) for k, v in before[2].items())
    opt.param_groups[1]["lr"] = 0.1
    b.data = tg.zeros(2)                               # the parameter changed shape under its state
    b.grad = np.ones(2)
    with pytest.raises(RuntimeError, match="state 'exp_avg' of parameter 1 has shape"):
        opt.step()
    assert np.array_equal(a.numpy(), before[0]) and opt.state[a]["step"] == 1
    b.data = tg.as_tensor(np.broadcast_to(np.zeros(1), (2,)))     # a read-only array (a broadcast view)
    opt.state.pop(b)
    with pytest.raises(RuntimeError, match="read-only"):
        opt.step()
    assert np.array_equal(a.numpy(), before[0]) and opt.state[a]["step"] == 1


# --- state_dict ------------------------------------------------------------------------------------

OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.05, amsgrad=True)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
]


def _train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss_of(params).backward()
        opt.step()


@pytest.mark.parametrize("cls, kwargs", OPTIMIZERS, ids=[c.__name__ for c, _ in OPTIMIZERS])
def test_state_dict_resumes_training_exactly(cls, kwargs):
    straight = [tg.tensor(v, requires_grad=True) for v in start_values()]
    _train(cls(straight, **kwargs), straight, 8)

    first = [tg.tensor(v, requires_grad=True) for v in start_values()]
    opt = cls(first, **kwargs)
    _train(opt, first, 4)
    saved = opt.state_dict()
    weights = [p.numpy().copy() for p in first]
    _train(opt, first, 3)    # later steps must not change the snapshot

    resumed = [tg.tensor(w, requires_grad=True) for w in weights]
    opt2 = cls(resumed, lr=123.0)   # options come back from the state dict
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == kwargs["lr"]
    _train(opt2, resumed, 4)
    for p, q in zip(straight, resumed):
        assert np.array_equal(p.numpy(), q.numpy())


def test_state_dict_layout_is_pytorchs():
    a = tg.tensor([1.0], requires_grad=True)
    b = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([1.0], requires_grad=True)
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}])
    (a.sum() + c.sum()).backward()
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sorted(sd["state"]) == [0, 2] and sd["state"][0]["step"] == 1
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert isinstance(sd["state"][0]["exp_avg"], tg.Tensor)
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)


def test_load_state_dict_rejects_a_different_layout_and_changes_nothing():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([1.0], requires_grad=True)
    source = optim.Adam([a, b], lr=0.1)
    (a.sum() + b.sum()).backward()
    source.step()
    sd = source.state_dict()

    target_params = [tg.tensor([0.0, 0.0], requires_grad=True), tg.tensor([0.0], requires_grad=True)]
    target = optim.Adam(target_params, lr=0.2)
    with pytest.raises(ValueError, match="2 parameter groups but the optimizer has 1"):
        target.load_state_dict({"state": {}, "param_groups": sd["param_groups"] * 2})
    with pytest.raises(ValueError, match="has 1 parameters but the optimizer's group 0 has 2"):
        target.load_state_dict({"state": {}, "param_groups": [{**sd["param_groups"][0], "params": [0]}]})
    wrong_shape = {"state": {0: {**sd["state"][0], "exp_avg": tg.zeros(5)}}, "param_groups": sd["param_groups"]}
    with pytest.raises(ValueError, match="'exp_avg' of parameter 0 has shape"):
        target.load_state_dict(wrong_shape)
    bad_lr = {"state": sd["state"], "param_groups": [{**sd["param_groups"][0], "lr": -1.0}]}
    with pytest.raises(ValueError, match="lr"):
        target.load_state_dict(bad_lr)
    assert target.state == {} and target.param_groups[0]["lr"] == 0.2
    from_sgd = optim.SGD([tg.tensor([0.0, 0.0], requires_grad=True), tg.tensor([0.0], requires_grad=True)],
                         lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="lacks"):   # an SGD state has no exp_avg
        target.load_state_dict({"state": {0: {"momentum_buffer": tg.zeros(2)}},
                                "param_groups": from_sgd.state_dict()["param_groups"]})


# --- the same training in PyTorch (optional) ------------------------------------------------------

TORCH_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.2)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=1e-2)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6)),
    ("Adam", dict(lr=0.01, maximize=True, weight_decay=1e-2)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=1e-2)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=1e-2, initial_accumulator_value=0.1, weight_decay=1e-3)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", TORCH_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH_CASES)])
def test_losses_match_pytorch_step_by_step(name, kwargs, pytorch):
    ours = _train_network(tg, lambda a, **k: tg.tensor(a, **k), getattr(optim, name), kwargs, 30)
    theirs = pytorch("losses", lambda torch: _train_network(
        torch, lambda a, **k: torch.tensor(a, dtype=torch.float64, **k), getattr(torch.optim, name), kwargs, 30))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert (ours[-1] > ours[0]) if kwargs.get("maximize") else (ours[-1] < ours[0])


@pytest.mark.torch
def test_state_dict_has_pytorchs_keys(pytorch):
    cases = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
             ("RMSprop", dict(centered=True, momentum=0.5)), ("Adagrad", {})]

    def keys(lib):
        found = []
        for name, kwargs in cases:
            p = lib.tensor([1.0, 2.0], requires_grad=True)
            opt = getattr(lib.optim, name)([p], **kwargs)
            (p * p).sum().backward()
            opt.step()
            state = opt.state_dict()
            found.append([sorted(state["state"][0]), sorted(state["param_groups"][0]),
                          float(state["param_groups"][0]["lr"])])
        return found
    for (name, _), (state_keys, group_keys, lr), (their_state, their_group, their_lr) in zip(
            cases, keys(tg), pytorch("state_dict keys", keys)):
        assert state_keys == their_state, name
        assert set(group_keys) <= set(their_group), name
        assert math.isclose(lr, their_lr)


@pytest.mark.torch
def test_a_pytorch_optimizer_state_dict_loads_and_training_continues_alike(pytorch):
    X, y, weights = _network_start()

    def theirs(torch):
        """Five Adam steps, the state_dict then (tensors as arrays), and the losses of five more."""
        params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
        opt = torch.optim.Adam(params, lr=0.02, amsgrad=True)
        Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

        def step():
            W1, b1, W2, b2 = params
            loss = (((Xt @ W1.T + b1).tanh() @ W2.T + b2 - yt) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()
        for _ in range(5):
            step()
        state = opt.state_dict()
        # copies: the state_dict holds the optimizer's live tensors, which the next steps change
        saved = {"state": {i: {k: v.numpy().copy() for k, v in entry.items()} for i, entry in state["state"].items()},
                 "param_groups": [{k: v for k, v in group.items()} for group in state["param_groups"]]}
        return {"weights": [p.detach().numpy().copy() for p in params], "state_dict": saved,
                "losses": [step() for _ in range(5)]}
    expected = pytorch("state_dict and the steps after it", theirs)
    ours = [tg.tensor(w.copy(), requires_grad=True) for w in expected["weights"]]
    opt = optim.Adam(ours, lr=0.02, amsgrad=True)
    state = expected["state_dict"]
    opt.load_state_dict({"state": {i: {k: tg.tensor(v) for k, v in entry.items()} for i, entry in state["state"].items()},
                         "param_groups": state["param_groups"]})
    assert opt.state[ours[0]]["step"] == 5
    Xo, yo = tg.tensor(X), tg.tensor(y)
    for their_loss in expected["losses"]:
        W1, b1, W2, b2 = ours
        loss = (((Xo @ W1.T + b1).tanh() @ W2.T + b2 - yo) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert loss.item() == pytest.approx(their_loss, rel=1e-12)


# --- malformed state: refused at load, and a failing step changes nothing at all -------------------

def _four_params_after_one_step(cls=optim.Adam, **kwargs):
    params = [tg.tensor(np.arange(3.0) + i, requires_grad=True) for i in range(4)]
    opt = cls(params, **{"lr": 0.1, **kwargs})
    for p in params:
        p.grad = np.ones(3)
    opt.step()
    return params, opt


def _snapshot(params, opt):
    """Everything a step may change: the parameters, every state entry, the step counter."""
    state = [{k: (v.numpy().copy() if isinstance(v, tg.Tensor) else v) for k, v in opt.state[p].items()}
             if isinstance(opt.state.get(p), dict) else opt.state.get(p) for p in params]
    return [p.numpy().copy() for p in params], state, opt._step_count, [dict(g) for g in opt.param_groups]


def _assert_unchanged(before, params, opt):
    weights, state, count, groups = before
    now_weights, now_state, now_count, now_groups = _snapshot(params, opt)
    for w, v in zip(weights, now_weights):
        np.testing.assert_array_equal(w, v)
    for s, t in zip(state, now_state):
        if not isinstance(s, dict):
            assert s == t
            continue
        assert s.keys() == t.keys()
        for k in s:
            if isinstance(s[k], np.ndarray):
                np.testing.assert_array_equal(s[k], t[k])
            else:
                assert type(s[k]) is type(t[k]) and (s[k] is t[k] or s[k] == t[k])
    assert count == now_count and groups == now_groups


def test_load_state_dict_rejects_string_state_and_step_changes_nothing():
    params, opt = _four_params_after_one_step()
    saved = opt.state_dict()
    saved["state"][3] = "garbage"
    before = _snapshot(params, opt)
    with pytest.raises(ValueError, match=r"state of parameter 3 is a str \('garbage'\)"):
        opt.load_state_dict(saved)
    _assert_unchanged(before, params, opt)
    opt.step()   # the optimizer still works, on all four parameters
    assert all(opt.state[p]["step"] == 2 for p in params)


@pytest.mark.parametrize("damage, error, words", [
    (lambda sd: "abc", TypeError, ["expects a dict", "str"]),
    (lambda sd: {**sd, "state": [1, 2]}, TypeError, ["'state' is a list"]),
    (lambda sd: {**sd, "param_groups": "g"}, TypeError, ["'param_groups' is a str"]),
    (lambda sd: {**sd, "param_groups": ["g"]}, ValueError, ["group 0", "'params' list"]),
    (lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "params": [0, 1, 1, 2]}]}, ValueError,
     ["lists 1", "distinct"]),
    (lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "params": [0, 1, 2, True]}]}, ValueError,
     ["lists True"]),
    (lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "amsgrad": "no"}]}, TypeError,
     ["amsgrad='no'", "True or False"]),
    (lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "lr": float("nan")}]}, ValueError, ["lr=nan"]),
    (lambda sd: {**sd, "state": {**sd["state"], 7: sd["state"][0]}}, ValueError, ["parameter 7", "no parameter"]),
    (lambda sd: {**sd, "state": {**sd["state"], 2: {**sd["state"][2], "step": "5"}}}, ValueError,
     ["'step' of parameter 2", "whole number"]),
    (lambda sd: {**sd, "state": {**sd["state"], 2: {**sd["state"][2], "step": -1}}}, ValueError,
     ["'step' of parameter 2"]),
    (lambda sd: {**sd, "state": {**sd["state"], 2: {**sd["state"][2], "exp_avg": "x"}}}, ValueError,
     ["'exp_avg' of parameter 2 is a str"]),
    (lambda sd: {**sd, "state": {**sd["state"], 2: {**sd["state"][2], "exp_avg": [[1, 2], [3]]}}}, ValueError,
     ["'exp_avg' of parameter 2 is a list"]),
    (lambda sd: {**sd, "state": {**sd["state"], 2: {**sd["state"][2], "exp_avg": np.array(["a", "b", "c"])}}},
     ValueError, ["'exp_avg' of parameter 2 has dtype tinygrad_la.str32"]),
    (lambda sd: {**sd, "state": {**sd["state"], 2: {**sd["state"][2], "exp_avg": None}}}, ValueError,
     ["'exp_avg' of parameter 2 is None"]),
    (lambda sd: {**sd, "state": {**sd["state"], 2: {**sd["state"][2], "momentum_buffer": tg.zeros(3)}}},
     ValueError, ["key 'momentum_buffer'", "another optimizer"]),
    (lambda sd: {**sd, "state": {**sd["state"], 2: {**sd["state"][2], 5: tg.zeros(3)}}}, ValueError,
     ["parameter 2 has a key 5"]),
], ids=["not-a-dict", "state-list", "groups-str", "group-str", "index-twice", "index-bool", "switch-str",
        "lr-nan", "unknown-index", "step-str", "step-negative", "buffer-str", "buffer-ragged", "buffer-strings",
        "buffer-none", "foreign-key", "key-int"])
def test_load_state_dict_names_what_is_malformed_and_changes_nothing(damage, error, words):
    params, opt = _four_params_after_one_step()
    damaged = damage(opt.state_dict())
    before = _snapshot(params, opt)
    with pytest.raises(error) as caught:
        opt.load_state_dict(damaged)
    for word in words:
        assert word in str(caught.value)
    _assert_unchanged(before, params, opt)


@pytest.mark.parametrize("damage, words", [
    (lambda st: st.__setitem__("exp_avg", np.zeros(3)), ["'exp_avg' of parameter 3 is a ndarray"]),
    (lambda st: st.__setitem__("exp_avg", tg.zeros(3, dtype=tg.int64)), ["'exp_avg' of parameter 3 has dtype tinygrad_la.int64"]),
    (lambda st: st.__setitem__("exp_avg_sq", tg.zeros(5)), ["'exp_avg_sq' of parameter 3 has shape (5,)"]),
    (lambda st: st.__setitem__("step", "1"), ["'step' of parameter 3 is '1'"]),
    (lambda st: st.pop("exp_avg_sq"), ["parameter 3 lacks ['exp_avg_sq']"]),
], ids=["ndarray-buffer", "int-buffer", "shape", "step-str", "missing"])
def test_a_step_on_bad_state_changes_nothing_at_all(damage, words):
    params, opt = _four_params_after_one_step()
    damage(opt.state[params[3]])   # the last parameter: three would be updated before it is reached
    before = _snapshot(params, opt)
    with pytest.raises(RuntimeError) as caught:
        opt.step()
    for word in words:
        assert word in str(caught.value)
    _assert_unchanged(before, params, opt)


def test_a_step_with_a_state_that_is_not_a_dict_changes_nothing():
    params, opt = _four_params_after_one_step()
    opt.state[params[3]] = "garbage"
    before = _snapshot(params, opt)
    with pytest.raises(RuntimeError, match="state of parameter 3 is a str"):
        opt.step()
    _assert_unchanged(before, params, opt)


def test_bad_switches_and_missing_options_raise_before_any_update():
    params, opt = _four_params_after_one_step(optim.SGD, momentum=0.9)
    before = _snapshot(params, opt)
    opt.param_groups[0]["nesterov"] = "yes"
    with pytest.raises(TypeError, match="nesterov='yes'.*True or False"):
        opt.step()
    opt.param_groups[0]["nesterov"] = False
    del opt.param_groups[0]["lr"]
    with pytest.raises(KeyError, match=r"parameter group 0 lacks the option\(s\) \['lr'\]"):
        opt.step()
    opt.param_groups[0]["lr"] = 0.1
    _assert_unchanged(before, params, opt)


def test_step_under_numpy_raise_mode_updates_every_parameter_as_pytorch():
    # PyTorch's answer: the overflowing entry becomes -inf, the others take their usual step.
    a, b, c = (tg.tensor([1.0], requires_grad=True), tg.tensor([-1e308], requires_grad=True),
               tg.tensor([3.0], requires_grad=True))
    opt = optim.SGD([a, b, c], lr=10.0)
    a.grad, b.grad, c.grad = np.ones(1), np.array([1e308]), np.ones(1)
    with np.errstate(all="raise"):
        opt.step()
        assert np.geterr()["over"] == "raise"   # the caller's setting is back
    assert a.numpy().tolist() == [-9.0] and b.numpy().tolist() == [-math.inf] and c.numpy().tolist() == [-7.0]


@pytest.mark.parametrize("damage, error, words", [
    (lambda opt, p: setattr(p, "_grad", tg.tensor(np.ones(2))), RuntimeError,
     ["parameter 3 has shape (3,)", "grad has shape (2,)"]),
    (lambda opt, p: setattr(p, "_grad", tg.tensor(np.ones(3, dtype=np.int64))), RuntimeError,
     ["parameter 3", "dtype tinygrad_la.int64"]),
    (lambda opt, p: opt.param_groups[0].__setitem__("lr", float("nan")), ValueError, ["lr=nan"]),
    (lambda opt, p: opt.param_groups[0].__setitem__("betas", (0.9, "x")), TypeError, ["betas[1]='x'"]),
], ids=["grad-shape", "grad-int", "lr-nan", "beta-str"])
def test_a_step_with_a_bad_grad_or_option_names_it_and_changes_nothing(damage, error, words):
    params, opt = _four_params_after_one_step()
    damage(opt, params[3])   # (p._grad: past the .grad setter, which refuses these itself)
    before = _snapshot(params, opt)
    with pytest.raises(error) as caught:
        opt.step()
    for word in words:
        assert word in str(caught.value)
    _assert_unchanged(before, params, opt)


def test_a_custom_update_rule_may_keep_any_values_in_its_state():
    class Scaled(optim.Optimizer):
        """θ ← θ − η s g, with a per-parameter scale s kept in the state as a Python float."""

        def __init__(self, params, lr=0.25):
            super().__init__(params, dict(lr=lr))

        def _init_state(self, p, group):
            return {"scale": 0.5, "note": "any value", "seen": tg.tensor(np.zeros(p.shape))}

        def _update(self, param, grad, state, group):
            param -= group["lr"] * state["scale"] * grad

    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = Scaled([w])
    for _ in range(2):
        w.grad = np.ones(2)
        opt.step()
    assert w.numpy().tolist() == [0.75, 1.75]
    opt.load_state_dict(opt.state_dict())
    opt.state[w]["seen"] = tg.tensor(np.zeros(3))   # its Tensors must still fit the parameter
    with pytest.raises(RuntimeError, match="state 'seen' of parameter 0 has shape"):
        opt.step()


def test_an_option_changed_between_steps_is_checked_again_at_the_next_step():
    params, opt = _four_params_after_one_step(optim.SGD, momentum=0.9)
    opt.step()                                  # the options passed, and are remembered as passed
    before = _snapshot(params, opt)
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr"):
        opt.step()
    opt.param_groups[0]["lr"] = 0.1
    _assert_unchanged(before, params, opt)     # the refused step changed nothing
    opt.step()
    assert not np.array_equal(params[0].detach().numpy(), before[0][0])
