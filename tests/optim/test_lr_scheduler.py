"""Tests of tinygrad_la/optim/lr_scheduler.py: each schedule against its closed form.

Stepping with an epoch, resuming from state_dict, the warning for a schedule stepped before the
optimizer, malformed state refused. Tests marked `torch` compare the schedules with PyTorch's.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la import optim
from tinygrad_la.optim import lr_scheduler

from tests.optim.helpers import _train_network


# --- lr schedulers ---------------------------------------------------------------------------------

def _scheduled(make, epochs, lr=0.1, groups=1):
    params = [{"params": [tg.tensor([1.0], requires_grad=True)], "lr": lr * (g + 1)} for g in range(groups)]
    opt = optim.SGD(params, lr=lr)
    scheduler = make(opt)
    lrs = [scheduler.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    return np.array(lrs)


def test_step_lr():
    got = _scheduled(lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 10, groups=2)
    t = np.arange(11)[:, None]
    np.testing.assert_allclose(got, np.array([[0.1, 0.2]]) * 0.5 ** (t // 3), rtol=1e-14)


def test_multistep_lr():
    got = _scheduled(lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.1), 10)
    expected = [0.1 * 0.1 ** sum(m <= t for m in [2, 5, 5, 8]) for t in range(11)]
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-12)


def test_exponential_lr():
    got = _scheduled(lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), 10)
    np.testing.assert_allclose(got[:, 0], 0.1 * 0.9 ** np.arange(11), rtol=1e-13)


def test_cosine_annealing_lr_follows_the_closed_form_through_two_periods():
    T, eta_min = 7, 0.01
    got = _scheduled(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=T, eta_min=eta_min), 3 * T)
    t = np.arange(3 * T + 1)
    expected = eta_min + (0.1 - eta_min) * (1 + np.cos(np.pi * t / T)) / 2
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-12, atol=1e-15)


def test_lambda_lr():
    got = _scheduled(lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.5 ** e]), 5, groups=2)
    t = np.arange(6)
    np.testing.assert_allclose(got, np.stack([0.1 / (t + 1), 0.2 * 0.5 ** t], axis=1), rtol=1e-14)


def test_scheduler_step_with_an_epoch_uses_the_closed_form_and_state_dict_resumes():
    w = tg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    scheduler = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    scheduler.step(5)
    assert scheduler.get_last_lr() == [0.1 * 0.5 ** 2]
    saved, opt_saved = scheduler.state_dict(), opt.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 5

    w2 = tg.tensor([1.0], requires_grad=True)
    opt2 = optim.SGD([w2], lr=0.1)
    scheduler2 = lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    opt2.load_state_dict(opt_saved)
    scheduler2.load_state_dict(saved)
    for s in (scheduler, scheduler2):
        s.optimizer.step()
        s.step()
    assert scheduler2.get_last_lr() == scheduler.get_last_lr() == [0.1 * 0.5 ** 3]


def test_scheduler_warns_when_stepped_before_the_optimizer():
    opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=0.1)
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="before optimizer.step"):
        scheduler.step()
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


def test_scheduler_resume_needs_initial_lr():
    opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)


SCHEDULES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=1e-3)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[n for n, _ in SCHEDULES])
def test_schedules_match_pytorch(name, kwargs, pytorch):
    def lrs(opt_module, sched_module, make_tensor):
        opt = opt_module.SGD([make_tensor(np.ones(1), requires_grad=True)], lr=0.1)
        scheduler = getattr(sched_module, name)(opt, **kwargs)
        values = []
        for _ in range(20):
            opt.step()
            scheduler.step()
            values.append(scheduler.get_last_lr()[0])
        return values

    ours = lrs(optim, lr_scheduler, lambda a, **k: tg.tensor(a, **k))
    theirs = pytorch("learning rates", lambda torch: lrs(torch.optim, torch.optim.lr_scheduler,
                                                         lambda a, **k: torch.tensor(a, **k)))
    assert ours == pytest.approx(theirs, rel=1e-14, abs=1e-16)


@pytest.mark.torch
def test_adam_with_a_cosine_schedule_matches_pytorch(pytorch):
    ours = _train_network(tg, lambda a, **k: tg.tensor(a, **k), optim.Adam, dict(lr=0.05), 25,
                          lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10))
    theirs = pytorch("losses", lambda torch: _train_network(
        torch, lambda a, **k: torch.tensor(a, dtype=torch.float64, **k), torch.optim.Adam, dict(lr=0.05), 25,
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


@pytest.mark.parametrize("damage, error, words", [
    (lambda sd: "abc", TypeError, ["expects a dict", "str"]),
    (lambda sd: {**sd, "last_epoch": "3"}, ValueError, ["'last_epoch' is '3'"]),
    (lambda sd: {**sd, "base_lrs": [0.1]}, ValueError, ["'base_lrs'", "2 learning rate(s)"]),
    (lambda sd: {**sd, "base_lrs": [0.1, "x"]}, ValueError, ["'base_lrs'"]),
    (lambda sd: {**sd, "optimizer": None}, ValueError, ["key 'optimizer'"]),
    (lambda sd: {**sd, 3: 1}, ValueError, ["key 3"]),
], ids=["not-a-dict", "epoch-str", "lrs-count", "lrs-str", "optimizer-key", "int-key"])
def test_scheduler_load_state_dict_names_what_is_malformed_and_changes_nothing(damage, error, words):
    opt = optim.SGD([{"params": [tg.tensor([1.0], requires_grad=True)]},
                     {"params": [tg.tensor([1.0], requires_grad=True)], "lr": 0.2}], lr=0.1)
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    opt.step()
    scheduler.step()
    before = dict(scheduler.__dict__)
    with pytest.raises(error) as caught:
        scheduler.load_state_dict(damage(scheduler.state_dict()))
    for word in words:
        assert word in str(caught.value)
    assert scheduler.__dict__ == before


def test_multistep_milestones_load_from_a_checkpoint_and_refuse_garbage():
    opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    saved = scheduler.state_dict()
    scheduler.load_state_dict({**saved, "milestones": {"2": 1, "4": 1}})   # as JSON keeps a Counter
    assert scheduler.milestones == {2: 1, 4: 1}
    with pytest.raises(ValueError, match="'milestones' is 'x'"):
        scheduler.load_state_dict({**saved, "milestones": "x"})


def test_a_failing_scheduler_step_leaves_the_schedule_where_it_was():
    opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=1.0)
    calls = []

    def schedule(epoch):
        calls.append(epoch)
        if epoch == 2:
            raise ZeroDivisionError("schedule undefined at 2")
        return 1.0 / (epoch + 1)

    scheduler = lr_scheduler.LambdaLR(opt, schedule)
    opt.step()
    scheduler.step()
    before = (scheduler.last_epoch, scheduler._step_count, opt.param_groups[0]["lr"], scheduler.get_last_lr())
    with pytest.raises(ZeroDivisionError):
        scheduler.step()
    assert (scheduler.last_epoch, scheduler._step_count, opt.param_groups[0]["lr"], scheduler.get_last_lr()) == before
    assert before == (1, 2, 0.5, [0.5])
