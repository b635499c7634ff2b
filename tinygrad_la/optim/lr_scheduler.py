"""Learning-rate schedules: change each group's η as training goes (PyTorch's ``torch.optim.lr_scheduler``).

Call ``scheduler.step()`` once per epoch, after ``optimizer.step()``. Each schedule computes the
next η from the current one (PyTorch's "chainable" form, so the numbers match PyTorch's to the
last digit); ``step(epoch)`` jumps to an epoch with the closed form instead.
"""
from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from numbers import Integral, Real
from typing import Any, Callable, Iterable, Mapping

from .optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"]


class LRScheduler:
    """Base class: ``last_epoch``, ``base_lrs`` (each group's initial lr), ``get_last_lr()``, ``step()``.

    Subclasses write ``get_lr()`` (the next lrs from the current ones, at ``last_epoch``) and,
    where one exists, ``_get_closed_form_lr()``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer; got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming a "
                                   f"scheduler with last_epoch={last_epoch}: load the optimizer's state_dict "
                                   "first, or start from last_epoch=-1")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True   # the first step() below sets the starting lrs
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """Each parameter group's learning rate for the current epoch (subclasses define it)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self) -> list[float]:
        """The lrs the last step() set, one per parameter group."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Move to the next epoch (or to ``epoch``) and set each group's lr."""
        if self._step_count == 1 and type(self.optimizer).step is Optimizer.step and self.optimizer._step_count == 0:
            warnings.warn("lr_scheduler.step() was called before optimizer.step(): call optimizer.step() "
                          "first, or the first value of the schedule is skipped (as in PyTorch)",
                          UserWarning, stacklevel=2)
        counters = self._step_count, self.last_epoch
        self._step_count += 1
        try:   # get_lr reads last_epoch; if it raises, the schedule stays where it was
            if epoch is None:
                self.last_epoch += 1
                values = list(self.get_lr())
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = list(closed_form() if closed_form is not None else self.get_lr())
        except BaseException:
            self._step_count, self.last_epoch = counters
            raise
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (which has its own state_dict)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict()`` (as PyTorch: its entries become the scheduler's attributes),
        after checking the entries every scheduler shares, so a bad one changes nothing."""
        self.__dict__.update(self._checked(state_dict))

    def _checked(self, state_dict: Any) -> dict[str, Any]:
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name} expects a dict (what state_dict() returns); got a {type(state_dict).__name__}")
        state = dict(state_dict)
        for key in state:
            if not isinstance(key, str) or key == "optimizer" or key.startswith("__"):
                raise ValueError(f"{name}: the state dict has a key {key!r}, which no scheduler saves")
        if "last_epoch" in state and not _is_int(state["last_epoch"]):
            raise ValueError(f"{name}: 'last_epoch' is {state['last_epoch']!r}; it must be a whole number")
        groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            if key in state:
                lrs = state[key]
                if (not isinstance(lrs, (list, tuple)) or len(lrs) != groups
                        or not all(isinstance(lr, Real) and not isinstance(lr, bool) for lr in lrs)):
                    raise ValueError(f"{name}: {key!r} is {lrs!r}; it must be a list of {groups} learning "
                                     "rate(s), one per parameter group of the optimizer")
                state[key] = list(lrs)
        return state


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


class LambdaLR(LRScheduler):
    """η_t = η₀ · f(t), with one function f for all groups or one per group."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas (one per parameter "
                                 f"group), but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """η₀ · f(last_epoch) for each group."""
        return [base_lr * f(self.last_epoch) for f, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch: plain functions are not saved (None); callable objects save their __dict__."""
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(f.__dict__)
                               for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from state_dict(); each lambda saved as a dict of its attributes gets them back."""
        state_dict = self._checked(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        if not isinstance(lr_lambdas, (list, tuple)) or len(lr_lambdas) != len(self.lr_lambdas) or not all(
                saved is None or isinstance(saved, Mapping) for saved in lr_lambdas):
            raise ValueError(f"LambdaLR.load_state_dict: 'lr_lambdas' is {lr_lambdas!r}; it must be a list of "
                             f"{len(self.lr_lambdas)} entries, each None or a dict of the function's attributes")
        self.__dict__.update(state_dict)
        for f, saved in zip(self.lr_lambdas, lr_lambdas):
            if saved is not None:
                f.__dict__.update(saved)


class StepLR(LRScheduler):
    """η_t = η₀ · γ^⌊t / step_size⌋: multiply by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        if not isinstance(step_size, int) or step_size <= 0:
            raise ValueError(f"StepLR needs step_size to be a positive int; got step_size={step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Each group's lr, multiplied by gamma when last_epoch reaches a multiple of step_size."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """η_t = η₀ · γ^(number of milestones ≤ t): multiply by gamma at each milestone epoch."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Each group's lr, multiplied by gamma (once per repeat) at a milestone epoch."""
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from state_dict(), milestones included."""
        state = self._checked(state_dict)
        if "milestones" in state:
            milestones = state["milestones"]
            try:   # JSON and our checkpoints keep a Counter as a dict, perhaps with str keys
                state["milestones"] = Counter({int(k): int(v) for k, v in dict(milestones).items()})
            except (TypeError, ValueError):
                raise ValueError(f"MultiStepLR.load_state_dict: 'milestones' is {milestones!r}; it must map each "
                                 "milestone epoch to a count") from None
        self.__dict__.update(state)


class ExponentialLR(LRScheduler):
    """η_t = η₀ · γᵗ: multiply by gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Each group's lr multiplied by gamma (after the first epoch)."""
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (η₀ − η_min)(1 + cos(π t / T_max)) / 2: half a cosine from η₀ down to eta_min.

    Computed, as PyTorch does, from the previous lr (so it composes with other changes to lr):
        η_t = η_min + (η_{t−1} − η_min) · (1 + cos(π t / T_max)) / (1 + cos(π (t − 1) / T_max)).
    Past T_max it rises again (a cosine, not a clamp), as PyTorch's does.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR needs T_max > 0; got T_max={T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Each group's lr on the cosine from its initial lr down to eta_min over T_max epochs."""
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:   # resumed at epoch t: the closed form
            return [eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base_lr in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:        # at the bottom the ratio below is 0/0
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base_lr, lr in zip(self.base_lrs, self._current_lrs())]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta_min) + eta_min
                for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]
