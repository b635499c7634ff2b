"""Optimizer: what every update rule shares (PyTorch's ``torch.optim.Optimizer``).

Chapter 23.15: training moves every parameter against the gradient,

    θ_new = θ_old − η ∇L(θ_old).

SGD, Adam, RMSprop and Adagrad differ only in what they put in place of ∇L (a running average, a
per-coordinate scale). Everything else lives here: parameter groups with their own options
(`lr`, ...), per-parameter state (the running averages), `zero_grad`, and `state_dict` to save
and resume. A subclass writes two small methods, `_init_state` and `_update`; the base class's
`step()` checks everything first and only then changes parameters, so a step that fails leaves
every parameter as it was.

Updates write into `param.data` (the NumPy array itself) with `out=`, never recording a graph.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any, Callable, Iterable

import numpy as np

from ..engine import _mode, enable_grad
from ..tensor import Tensor, _bump

Params = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class of the optimizers: parameter groups, state, zero_grad, step, state_dict.

    ``params`` is an iterable of Tensors, or of dicts (parameter groups) such as
    ``[{"params": base, "lr": 1e-3}, {"params": head}]``, where a group's options override
    ``defaults``. ``state[p]`` holds what the update rule keeps for parameter ``p``.
    """

    _required_state: tuple[str, ...] = ()   # keys _init_state always makes (checked before a step)

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._step_count = 0   # how many steps were taken (the lr schedulers look at it)
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts (parameter groups); got a "
                            "single Tensor. Pass a list: [w], or model.parameters().")
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered collection (a list or model.parameters()); a set's "
                            "order changes from run to run, and state_dict() depends on the order.")
        if isinstance(params, dict):
            params = [params]
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list (params=[]): there is "
                             "nothing to optimize. Did the model register its parameters?")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- parameter groups ------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (those not given come from defaults)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict such as {{'params': [...], 'lr': 0.1}}; "
                            f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"a parameter group needs a 'params' entry; got keys {sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("a parameter group's params must be an ordered collection (a list), not a set")
        params = list(params)
        where = f"parameter group {len(self.param_groups)}"
        if not params:
            raise ValueError(f"{name} got an empty parameter list in {where}")
        seen: set[int] = set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimize Tensors; params[{i}] in {where} is a "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name} can't optimize a non-leaf tensor: params[{i}] in {where} was "
                                 f"computed by {p.grad_fn.name()}. Optimize the leaf tensors it was made "
                                 "from (create parameters with requires_grad=True).")
            if p.dtype.kind != "f":
                raise TypeError(f"{name} can only optimize floating point tensors; params[{i}] in {where} "
                                f"has dtype {p.dtype}")
            if id(p) in seen:
                raise ValueError(f"{name}: params[{i}] in {where} appears twice in the group; each "
                                 "parameter may be given once")
            seen.add(id(p))
        for j, group in enumerate(self.param_groups):
            if any(id(p) in seen for p in group["params"]):
                raise ValueError(f"{name}: some parameters of {where} are already in parameter group {j}; "
                                 "each parameter may belong to one group only")
        group = dict(self.defaults)
        group.update(param_group)
        group["params"] = params
        self._check_group(group, len(self.param_groups))
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        """Raise ValueError if one of the group's options is out of range (subclasses add rules)."""

    # --- gradients -------------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or fill them with zeros in place."""
        if _mode.tracer is not None:   # tinygrad_la.compile: run now, and again on every replay
            return _mode.tracer.call(self.zero_grad, set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None   # what the .grad setter does with None (no tracer is listening here)
                elif grad.grad_fn is not None or grad.requires_grad or not grad.data.flags.writeable:
                    p.grad = Tensor._make(np.zeros_like(p.data), None)   # a gradient of a gradient: cut it
                else:
                    grad.data.fill(0)
                    _bump(grad)

    # --- the step --------------------------------------------------------------------------------

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (those with ``grad is None`` are skipped).

        ``closure`` re-evaluates the model and returns the loss (it runs with grad mode on). All
        checks run before the first parameter changes: a step that raises changes nothing.
        """
        if _mode.tracer is not None:   # tinygrad_la.compile: run now, and again on every replay
            if closure is not None:
                _mode.tracer.unsupported("optimizer.step(closure)")
            return _mode.tracer.call(self.step, replay=self._replayed_step)
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work = self._checked_work()
        self._apply(work)
        return loss

    def _replayed_step(self) -> None:
        """step() as a compiled training step replays it: the gradients' shapes and dtypes were
        checked when the step was traced and cannot have changed, so only the options are."""
        work = []
        for g, group in enumerate(self.param_groups):
            self._check_group(group, g)
            work.append((group, [(p, p._grad.data) for p in group["params"] if p._grad is not None]))
        self._apply(work)

    def _apply(self, work: list) -> None:
        state = self.state
        previous = _mode.enabled
        _mode.enabled = False   # the update is plain NumPy; this keeps any Tensor math in a subclass unrecorded
        try:
            for group, items in work:
                for p, grad in items:
                    p_state = state.get(p)
                    if p_state is None or (not p_state and self._required_state):
                        p_state = state[p] = self._init_state(p, group)
                    self._update(p.data, grad, p_state, group)
                    _bump(p)   # graphs that saved the old value now refuse to backward through it
        finally:
            _mode.enabled = previous
        self._step_count += 1

    def _checked_work(self) -> list[tuple[dict[str, Any], list[tuple[Tensor, np.ndarray]]]]:
        """Validate options, gradients and state; return (group, [(param, grad array)]) to update."""
        work = []
        for g, group in enumerate(self.param_groups):
            self._check_group(group, g)
            items = []
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                grad = grad.data
                data = p.data
                if grad.shape != data.shape or grad.dtype.kind != "f" or data.dtype.kind != "f":
                    raise RuntimeError(
                        f"{type(self).__name__}.step(): parameter {self._index(p)} has shape {data.shape} "
                        f"and dtype {data.dtype} but its grad has shape {grad.shape} and dtype {grad.dtype}; "
                        "a parameter and its gradient must be float arrays of the same shape")
                if not data.flags.writeable:
                    raise RuntimeError(f"{type(self).__name__}.step(): parameter {self._index(p)}'s array is "
                                       "read-only, so it cannot be updated in place; give it its own copy "
                                       "(p.data = p.data.copy())")
                p_state = self.state.get(p)
                if p_state:
                    self._check_state(p, p_state)
                items.append((p, grad))
            work.append((group, items))
        return work

    def _check_state(self, p: Tensor, p_state: dict[str, Any], error: type = RuntimeError) -> None:
        missing = [key for key in self._required_state if key not in p_state]
        if missing:
            raise error(f"{type(self).__name__}: the state of parameter {self._index(p)} lacks "
                        f"{missing} (was it loaded from another optimizer's state_dict?)")
        for key, value in p_state.items():
            if type(value) is Tensor and value.data.shape != p.data.shape:
                raise error(f"{type(self).__name__}: state {key!r} of parameter {self._index(p)} has "
                            f"shape {value.shape} but the parameter has shape {p.shape}")

    def _index(self, p: Tensor) -> int:
        """The parameter's position across all groups (its key in state_dict()['state'])."""
        flat = [q for group in self.param_groups for q in group["params"]]
        return next(i for i, q in enumerate(flat) if q is p)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        """The state of a parameter before its first step."""
        return {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        """Change ``param`` in place from its gradient and state (the update rule)."""
        raise NotImplementedError(f"{type(self).__name__} must define _update (or override step)")

    # --- saving and resuming ---------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A snapshot: {"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}.

        PyTorch's layout: parameters are numbered in order across the groups; the state's arrays
        are copies (Tensors), so later steps do not change a snapshot already taken.
        """
        index: dict[Tensor, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(p, len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[p]: {key: _snapshot(value) for key, value in p_state.items()}
                 for p, p_state in self.state.items() if p in index and p_state}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict()``: the same groups with the same numbers of parameters.

        Everything is checked before anything changes. Arrays are copied and cast to their
        parameter's dtype; the groups' options (lr, ...) are taken from the saved groups.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict or "state" not in state_dict:
            raise ValueError(f"{name}.load_state_dict expects a dict with 'state' and 'param_groups' (what "
                             "state_dict() returns)")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the loaded state dict has {len(saved_groups)} parameter "
                             f"groups but the optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        new_groups = []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            saved_params = list(saved["params"])
            if len(saved_params) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: loaded parameter group {g} has {len(saved_params)} "
                                 f"parameters but the optimizer's group {g} has {len(group['params'])}")
            for i, p in zip(saved_params, group["params"]):
                by_index[int(i)] = p
            new_group = dict(self.defaults)
            new_group.update({key: value for key, value in saved.items() if key != "params"})
            new_group["params"] = group["params"]
            self._check_group(new_group, g)
            new_groups.append(new_group)
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, saved_state in state_dict["state"].items():
            try:
                p = by_index[int(key)]
            except (KeyError, ValueError):
                raise ValueError(f"{name}.load_state_dict: state for parameter {key!r}, which no parameter "
                                 f"group lists (indices {sorted(by_index)})") from None
            new_state[p] = {k: _restore(k, v, p, key, name) for k, v in saved_state.items()}
            self._check_state(p, new_state[p], ValueError)
        for group, new_group in zip(self.param_groups, new_groups):
            group.clear()
            group.update(new_group)
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for g, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {g}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])


# --- helpers for the subclasses and the state dict --------------------------------------------------

def check_number(name: str, value: Any, group: int, *, low: float = 0.0, high: float | None = None,
                 high_open: bool = False) -> None:
    """Raise ValueError naming `name` unless value is a finite real number in [low, high] (or [low, high))."""
    if type(value) is float or type(value) is int:   # the common case, checked without the ABC machinery
        ok = low <= value and -math.inf < value < math.inf
    else:
        ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value) and value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        bound = f">= {low}" if high is None else f"in [{low}, {high}{')' if high_open else ']'}"
        where = f" (parameter group {group})" if group else ""
        if not isinstance(value, Real) or isinstance(value, bool):   # a string, None, a tensor: the kind is wrong
            raise TypeError(f"Invalid {name} value: {name}={value!r}{where} is a {type(value).__name__}; it must "
                            f"be a finite number {bound}")
        raise ValueError(f"Invalid {name} value: {name}={value!r}{where}; it must be a finite number {bound}")


def _snapshot(value: Any) -> Any:
    if isinstance(value, Tensor):
        return Tensor._make(value.data.copy(), None)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _restore(key: str, value: Any, p: Tensor, index: Any, name: str) -> Any:
    """One loaded state entry: step as an int, arrays as fresh Tensors of the parameter's dtype."""
    if key == "step":
        return int(float(value.data if isinstance(value, Tensor) else value))
    if isinstance(value, (Tensor, np.ndarray)) or hasattr(value, "__array__"):   # also PyTorch's tensors
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        if array.shape != p.shape:
            raise ValueError(f"{name}.load_state_dict: state {key!r} of parameter {index} has shape "
                             f"{array.shape} but the parameter has shape {p.shape}")
        return Tensor._make(np.array(array, dtype=p.dtype), None)
    return value
