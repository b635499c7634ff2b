"""Optimizer: what every update rule shares (PyTorch's ``torch.optim.Optimizer``).

Chapter 23.15: training moves every parameter against the gradient,

    θ_new = θ_old − η ∇L(θ_old).

SGD, Adam, RMSprop and Adagrad differ only in what they put in place of ∇L (a running average, a
per-coordinate scale). Everything else lives here: parameter groups with their own options
(`lr`, ...), per-parameter state (the running averages), `zero_grad`, and `state_dict` to save
and resume. A subclass writes two small methods, `_init_state` and `_update`; the base class's
`step()` checks everything first and only then changes parameters, so a step that fails leaves
every parameter as it was.

Updates write into `param._array` (the NumPy array itself) with `out=`, never recording a graph.
"""
from __future__ import annotations

import math
import operator
from numbers import Integral, Real
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..core import dtypes, float_errors
from ..core.engine import _mode, enable_grad
from ..core.version import bump as _bump
from ..tensor import Tensor

_same = operator.is_   # an option is unchanged while it is the very same object

__all__ = ["Optimizer", "Params", "check_number", "zeros_state"]

Params = Iterable[Tensor] | Iterable[dict[str, Any]]

# what a step updates: per parameter group, its options and the (parameter, gradient array) pairs
_Work = list[tuple[dict[str, Any], list[tuple[Tensor, np.ndarray]]]]


class Optimizer:
    """Base class of the optimizers: parameter groups, state, zero_grad, step, state_dict.

    ``params`` is an iterable of Tensors, or of dicts (parameter groups) such as
    ``[{"params": base, "lr": 1e-3}, {"params": head}]``, where a group's options override
    ``defaults``. ``state[p]`` holds what the update rule keeps for parameter ``p``.
    """

    _required_state: tuple[str, ...] = ()   # keys _init_state always makes (checked before a step)
    _optional_state: tuple[str, ...] | None = None   # keys made on demand; None: any key is accepted

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._step_count = 0   # how many steps were taken (the lr schedulers look at it)
        # id(group) -> (group, its option values when they last passed _check_options)
        self._options_passed: dict[int, tuple[dict[str, Any], tuple[Any, ...]]] = {}
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts (parameter groups); got a "
                            "single Tensor. Pass a list: [w], or model.parameters().")
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered collection (a list or model.parameters()); a set's "
                            "order changes from run to run, and state_dict() depends on the order.")
        if isinstance(params, dict):
            params = [params]
        groups: list[Any] = list(params)
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
        self._check_options(group, len(self.param_groups))
        self.param_groups.append(group)

    def _check_options(self, group: dict[str, Any], index: int) -> None:
        """Every option present, the switches booleans, then the update rule's own ranges."""
        for key, default in self.defaults.items():
            if key not in group:
                missing = [k for k in self.defaults if k not in group]
                raise KeyError(f"{type(self).__name__}: parameter group {index} lacks the option(s) {missing}; "
                               "set them (e.g. from optimizer.defaults) before stepping")
            if default.__class__ is bool and group[key].__class__ is not bool and not isinstance(group[key], np.bool_):
                raise TypeError(f"Invalid {key} value: {key}={group[key]!r} (parameter group {index}) is a "
                                f"{type(group[key]).__name__}; it must be True or False")
        self._check_group(group, index)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        """Raise ValueError if one of the group's options is out of range (subclasses add rules)."""

    def _check_options_at_step(self, group: dict[str, Any], index: int) -> None:
        """_check_options, run again only when an option was set (or removed) since the group last
        passed: a step then costs a look at each option instead of every rule."""
        values = tuple(map(group.get, self.defaults))
        passed = self._options_passed.get(id(group))
        if passed is not None and passed[0] is group and all(map(_same, passed[1], values)):
            return
        self._check_options(group, index)
        self._options_passed[id(group)] = (group, values)

    # --- gradients -------------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or fill them with zeros in place."""
        if _mode.tracer is not None:   # tinygrad_la.compile: run now, and again on every replay
            _mode.tracer.call(self.zero_grad, set_to_none)
            return
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None   # what the .grad setter does with None (no tracer is listening here)
                elif grad.grad_fn is not None or grad.requires_grad or not grad._array.flags.writeable:
                    p.grad = Tensor._make(np.zeros_like(p._array), None)   # a gradient of a gradient: cut it
                else:
                    grad._array.fill(0)
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
        work: _Work = []
        for g, group in enumerate(self.param_groups):
            self._check_options_at_step(group, g)
            work.append((group, [(p, p._grad._array) for p in group["params"] if p._grad is not None]))
        self._apply(work)

    def _apply(self, work: _Work) -> None:
        state = self.state
        previous = _mode.enabled
        _mode.enabled = False   # the update is plain NumPy; this keeps any Tensor math in a subclass unrecorded
        # An overflow gives inf, as in PyTorch; under np.seterr(all="raise") it would stop the loop
        # halfway, with some parameters updated and others not.
        errors = float_errors.ignore()
        try:
            for group, items in work:
                for p, grad in items:
                    p_state = state.get(p)
                    if p_state is None or (not p_state and self._required_state):
                        p_state = state[p] = self._init_state(p, group)
                    self._update(p._array, grad, p_state, group)
                    _bump(p)   # graphs that saved the old value now refuse to backward through it
        finally:
            float_errors.restore(errors)
            _mode.enabled = previous
        self._step_count += 1

    def _checked_work(self) -> _Work:
        """Validate options, gradients and state; return (group, [(param, grad array)]) to update."""
        work: _Work = []
        for g, group in enumerate(self.param_groups):
            self._check_options_at_step(group, g)
            items = []
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                grad = grad._array
                data = p._array
                if grad.shape != data.shape or grad.dtype.kind != "f" or data.dtype.kind != "f":
                    raise RuntimeError(
                        f"{type(self).__name__}.step(): parameter {self._index(p)} has shape {tuple(data.shape)} "
                        f"and dtype {dtypes.public(data.dtype)} but its grad has shape {tuple(grad.shape)} and dtype "
                        f"{dtypes.public(grad.dtype)}; a parameter and its gradient must be float arrays of the same "
                        "shape")
                if not data.flags.writeable:
                    raise RuntimeError(f"{type(self).__name__}.step(): parameter {self._index(p)}'s array is "
                                       "read-only, so it cannot be updated in place; give it its own copy "
                                       "(p._array = p._array.copy())")
                p_state = self.state.get(p)
                if p_state is not None:
                    self._check_state(p, p_state)
                items.append((p, grad))
            work.append((group, items))
        return work

    def _check_state(self, p: Tensor, p_state: Any, error: type = RuntimeError) -> None:
        """Raise `error` naming the key unless p_state is a state this update rule can step from:
        the required keys, "step" a count, every other entry a float Tensor of p's shape (or None)."""
        if type(p_state) is not dict:
            self._state_error(p, error, f"is a {type(p_state).__name__}; it must be a dict such as "
                                        "optimizer.state_dict()['state'][i]")
        if not p_state:   # an empty state is made afresh at the next step
            return
        required, known = self._required_state, self._optional_state
        for key in required:
            if key not in p_state:
                missing = [k for k in required if k not in p_state]
                self._state_error(p, error, f"lacks {missing} (was it loaded from another optimizer's state_dict?)")
        shape = p._array.shape
        for key, value in p_state.items():
            if type(value) is Tensor:   # the common cases first, each one cheap look
                data = value._array
                if data.shape == shape and data.dtype.kind == "f" and data.flags.writeable:
                    if known is None or key in required or key in known:
                        continue
            elif type(value) is int and key == "step" and value >= 0:
                continue
            self._check_entry(p, key, value, error)

    def _check_entry(self, p: Tensor, key: Any, value: Any, error: type) -> None:
        """Raise `error` naming `key` if this one state entry is not what the update rule needs."""
        name, required, known = type(self).__name__, self._required_state, self._optional_state
        if known is None and not isinstance(value, Tensor):
            return   # an update rule that did not declare its state may keep anything; its Tensors must fit
        if known is not None and key not in required and key not in known:
            self._state_error(p, error, f"has a key {key!r} that {name} does not keep (its keys are "
                                        f"{list(required + known)}); was it saved by another optimizer?")
        if key == "step":
            if not _is_count(value):
                self._state_error(p, error, f"is {value!r}; it must be a whole number >= 0", key)
        elif value is None:
            if key in required:
                self._state_error(p, error, f"is None; it must be a Tensor of the parameter's shape {tuple(p.shape)}", key)
        elif not isinstance(value, Tensor):
            self._state_error(p, error, f"is a {type(value).__name__}; it must be a Tensor of the parameter's "
                                        f"shape {tuple(p.shape)}", key)
        elif value._array.shape != p._array.shape:
            self._state_error(p, error, f"has shape {tuple(value.shape)} but the parameter has shape {tuple(p.shape)}", key)
        elif value._array.dtype.kind != "f" or not value._array.flags.writeable:
            read_only = "" if value._array.flags.writeable else " and is read-only"
            self._state_error(p, error, f"has dtype {value.dtype}{read_only}; it must be a writable floating "
                                        "point Tensor", key)

    def _state_error(self, p: Tensor, error: type, what: str, key: Any = None) -> None:
        subject = f"state {key!r} of parameter" if key is not None else "the state of parameter"
        raise error(f"{type(self).__name__}: {subject} {self._index(p)} {what}")

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

        Everything is checked before anything changes (the layout, every option, and every state
        entry's kind, shape and dtype); an error names the group, parameter or key. Arrays are
        copied and cast to their parameter's dtype; the groups' options (lr, ...) are taken from
        the saved groups.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name} expects a dict with 'state' and 'param_groups' (what state_dict() returns); "
                            f"got a {type(state_dict).__name__}")
        if "param_groups" not in state_dict or "state" not in state_dict:
            raise ValueError(f"{name} expects a dict with 'state' and 'param_groups' (what state_dict() returns); "
                             f"got keys {list(state_dict)}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)):
            raise TypeError(f"{name}: 'param_groups' is a {type(saved_groups).__name__}; it must be a list of "
                            "dicts, one per parameter group")
        if not isinstance(saved_state, Mapping):
            raise TypeError(f"{name}: 'state' is a {type(saved_state).__name__}; it must be a dict from parameter "
                            "index to that parameter's state")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the loaded state dict has {len(saved_groups)} parameter "
                             f"groups but the optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        new_groups = []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, Mapping) or not isinstance(saved.get("params"), (list, tuple)):
                raise ValueError(f"{name}: loaded parameter group {g} must be a dict with a 'params' list of "
                                 f"parameter indices; got {_brief(saved)}")
            saved_params = saved["params"]
            if len(saved_params) != len(group["params"]):
                raise ValueError(f"{name}: loaded parameter group {g} has {len(saved_params)} "
                                 f"parameters but the optimizer's group {g} has {len(group['params'])}")
            for i, p in zip(saved_params, group["params"]):
                index = _as_index(i)
                if index is None or index in by_index:
                    raise ValueError(f"{name}: loaded parameter group {g} lists {i!r} as a parameter index; "
                                     "indices must be distinct whole numbers")
                by_index[index] = p
            new_group = dict(self.defaults)
            new_group.update({key: value for key, value in saved.items() if key != "params"})
            new_group["params"] = group["params"]
            self._check_options(new_group, g)
            new_groups.append(new_group)
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, saved_p_state in saved_state.items():
            index = _as_index(key)
            if index not in by_index:
                raise ValueError(f"{name}: state for parameter {key!r}, which no parameter "
                                 f"group lists (indices {sorted(by_index)})")
            p = by_index[index]
            if not isinstance(saved_p_state, Mapping):
                raise ValueError(f"{name}: the state of parameter {key!r} is {_brief(saved_p_state)}; it must be "
                                 "a dict such as {'step': 3, 'exp_avg': tensor}")
            strict = self._optional_state is not None   # a custom update rule may keep any values
            new_state[p] = {k: _restore(k, v, p, key, name, strict) for k, v in saved_p_state.items()}
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

def zeros_state(like: np.ndarray) -> Tensor:
    """A buffer of the optimizer's state (a moment, a momentum): zeros of a parameter's shape and dtype."""
    buffer: Tensor = Tensor._make(np.zeros_like(like), None)
    return buffer


def check_number(name: str, value: Any, group: int, *, low: float = 0.0, high: float | None = None,
                 high_open: bool = False) -> None:
    """Raise ValueError naming `name` unless value is a finite real number in [low, high] (or [low, high))."""
    if type(value) is float or type(value) is int:   # the common case, checked without the ABC machinery
        ok = low <= value and -math.inf < value < math.inf
    else:
        ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value) and float(value) >= low
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
        return Tensor._make(value._array.copy(), None)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _restore(key: Any, value: Any, p: Tensor, index: Any, name: str, strict: bool = True) -> Any:
    """One loaded state entry: step as an int, arrays as fresh Tensors of the parameter's dtype
    (and, unless `strict`, any other value as it is)."""
    where = f"state {key!r} of parameter {index!r}"
    if not isinstance(key, str):
        raise ValueError(f"{name}: the state of parameter {index!r} has a key {key!r} ({type(key).__name__}); "
                         "state keys are strings such as 'step' or 'exp_avg'")
    if key == "step":
        step = value._array if isinstance(value, Tensor) else value
        if hasattr(step, "__array__") and not isinstance(step, Real):   # a 0-d array, also PyTorch's tensor
            array = np.asarray(step)
            step = array[()] if array.shape == () and array.dtype.kind in "iuf" else step
        if not _is_count(step):
            raise ValueError(f"{name}: {where} is {_brief(value)}; it must be a whole number >= 0 (the number "
                             "of steps taken)")
        return int(step)
    if value is None:
        return None
    if not strict and not isinstance(value, (Tensor, np.ndarray)) and not hasattr(value, "__array__"):
        return value
    if not isinstance(value, (Tensor, np.ndarray)) and not hasattr(value, "__array__"):
        raise ValueError(f"{name}: {where} is {_brief(value)}; it must be a Tensor or array of the parameter's "
                         f"shape {tuple(p.shape)}")
    array = value._array if isinstance(value, Tensor) else np.asarray(value)   # also PyTorch's tensors
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{name}: {where} has dtype {dtypes.public(array.dtype)}; it must hold real numbers")
    if array.shape != p.shape:
        raise ValueError(f"{name}: {where} has shape {tuple(array.shape)} but the parameter has shape {tuple(p.shape)}")
    return Tensor._make(np.array(array, dtype=p.dtype), None)


def _is_count(value: Any) -> bool:
    """A step count: a whole number >= 0 (an int, or a float such as PyTorch's 5.0)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    if isinstance(value, Integral):
        return int(value) >= 0
    number = float(value)
    return math.isfinite(number) and number >= 0 and number == int(number)


def _as_index(key: Any) -> int | None:
    """A parameter's index in a state dict: an int (or a string of digits, as JSON keeps it)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, str) and key.isdecimal():
        return int(key)
    return None


def _brief(value: Any) -> str:
    """A value for an error message: its type, and its repr when short."""
    text = repr(value)
    return f"a {type(value).__name__}" + (f" ({text})" if len(text) <= 40 else "")
