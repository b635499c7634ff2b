"""Module and Parameter: the containers a network is built from (PyTorch's ``torch.nn.Module``).

A Module owns Parameters (the chapter's W and b, 23.4) and sub-modules; setting one as an
attribute registers it, so ``parameters()`` finds every weight of a model without being told:

    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 3)    # registered as "hidden"
            self.out = nn.Linear(3, 1)       # registered as "out"

        def forward(self, x):               # 23.8: ŷ = W₂ σ(W₁x + b₁) + b₂
            return self.out(self.hidden(x).relu())

Speed, since a forward reads its weights on every step: a registered Parameter or Module lives in
its registry (`_parameters`, `_modules`, `_buffers`) *and* in the instance ``__dict__``, so
``self.weight`` in a forward is a plain attribute lookup (there is no ``__getattr__``). The
registries keep the mirror up to date however they are changed, and tick a global clock when
parameters or modules come and go, so ``parameters()`` can hand back a cached tuple until the
structure of some model changes.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from ..core import dtypes
from ..core.device import _check_device
from ..core.engine import no_grad
from ..core.version import bump as _bump
from ..tensor import Tensor, _target_dtype

__all__ = ["Module", "Parameter", "RemovableHandle"]


class Parameter(Tensor):
    """A Tensor that is a model's weight: a leaf that requires grad, registered by Modules.

    ``Parameter(data)`` shares ``data``'s memory (as PyTorch does): wrap a fresh tensor.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


# --- structure clock: parameters() caches are valid while it stands still -------------------------

_structure = [0]


class _Registry(OrderedDict[str, Any]):
    """A module's parameters, buffers or sub-modules by name.

    Every entry is mirrored into the module's ``__dict__`` (`namespace`), so ``module.weight`` is a
    plain attribute lookup: no ``__getattr__``, whose mere presence slows every attribute access.
    Changes tick the structure clock (for parameters and modules), which parameters() caches check.
    """

    def __init__(self, namespace: dict[str, Any] | None = None, ticks: bool = True) -> None:
        super().__init__()
        self.namespace = namespace
        self.ticks = ticks

    def __setitem__(self, key: str, value: Any) -> None:
        if self.ticks:
            _structure[0] += 1
        super().__setitem__(key, value)
        if self.namespace is not None:
            self.namespace[key] = value

    def __delitem__(self, key: str) -> None:
        if self.ticks:
            _structure[0] += 1
        super().__delitem__(key)
        if self.namespace is not None:
            self.namespace.pop(key, None)

    # the other ways to change a dict, routed through the two above
    def pop(self, key: str, *default: Any) -> Any:
        if key not in self:
            if default:
                return default[0]
            raise KeyError(key)
        value = self[key]
        del self[key]
        return value

    def popitem(self, last: bool = True) -> tuple[str, Any]:
        if not self:
            raise KeyError("popitem(): registry is empty")
        key = next(reversed(self)) if last else next(iter(self))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in OrderedDict(*args, **kwargs).items():
            self[key] = value

    def move_to_end(self, key: str, last: bool = True) -> None:
        _structure[0] += self.ticks
        super().move_to_end(key, last)

    def __reduce__(self) -> tuple[Any, ...]:
        # copies and pickles leave the namespace out; Module.__setstate__ points it at the new module
        return (type(self), (None, self.ticks), None, None, iter(self.items()))


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``handle.remove()`` takes the hook off again."""

    _ids = itertools.count()

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        """Take the hook off (removing it twice does nothing)."""
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict(strict=False)`` returns, as PyTorch."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of every layer and model: subclass it, set layers as attributes, write forward()."""

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Module | None]
    _non_persistent_buffers: set[str]                     # buffers left out of state_dict
    _forward_pre_hooks: dict[int, Callable[..., Any]]    # handle id -> hook(module, inputs)
    _forward_hooks: dict[int, Callable[..., Any]]        # handle id -> hook(module, inputs, output)

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = _Registry(d)
        d["_buffers"] = _Registry(d, ticks=False)   # buffers change often and never affect parameters()
        d["_non_persistent_buffers"] = set()
        d["_modules"] = _Registry(d)
        d["_forward_pre_hooks"] = {}
        d["_forward_hooks"] = {}
        _structure[0] += 1

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The module's computation; every subclass defines it, and calling the module runs it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_hooks or self._forward_pre_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)   # the hot path: nothing else to do

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        for hook in tuple(self._forward_pre_hooks.values()):
            changed = hook(self, args)
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)
        output = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            changed = hook(self, args, output)
            if changed is not None:
                output = changed
        return output

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any], *,
                              prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a returned value replaces the output."""
        return _add_hook(self._forward_hooks, hook, prepend)

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple[Any, ...]], Any], *,
                                  prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, inputs)`` before every forward; a returned value replaces the inputs."""
        return _add_hook(self._forward_pre_hooks, hook, prepend)

    # --- registration ----------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self._registry("_parameters", "parameters")
            _forget(d, name, keep="_parameters")   # a reassigned weight keeps its place in the order
            d["_parameters"][name] = value
            d[name] = value
        elif isinstance(value, Module):
            self._registry("_modules", "modules")
            _forget(d, name, keep="_modules")
            d["_modules"][name] = value
            d[name] = value
        else:
            for registry, expected in (("_parameters", Parameter), ("_modules", Module), ("_buffers", Tensor)):
                entries = d.get(registry)
                if entries is not None and name in entries:
                    if value is not None and not isinstance(value, expected):
                        raise TypeError(f"cannot assign {type(value).__name__} as {registry[1:-1]} '{name}' of "
                                        f"{type(self).__name__} ({expected.__name__} or None expected)"
                                        + (". Wrap it: nn.Parameter(tensor)." if expected is Parameter else ""))
                    entries[name] = value
                    d[name] = value
                    return
            if name in ("_parameters", "_buffers", "_modules"):
                _structure[0] += 1
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if not _forget(self.__dict__, name):
            object.__delattr__(self, name)

    def _registry(self, registry: str, what: str) -> dict[str, Any]:
        entries: dict[str, Any] | None = self.__dict__.get(registry)
        if entries is None:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call: call "
                                 f"super().__init__() first in {type(self).__name__}.__init__")
        return entries

    def _check_name(self, name: Any, kind: str, registry: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string; got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f'{kind} name can\'t be empty or contain ".": got "{name}"')
        if hasattr(self, name) and name not in self.__dict__[registry]:   # as PyTorch: no silent shadowing
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or None, a declared-but-absent one such as a missing bias)."""
        self._registry("_parameters", "parameters")
        self._check_name(name, "parameter", "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter '{name}' "
                            "(nn.Parameter or None expected). Wrap it: nn.Parameter(tensor).")
        _forget(self.__dict__, name, keep="_parameters")
        self._parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add state that is not trained (running statistics, constants); saved in state_dict if persistent."""
        self._registry("_buffers", "buffers")
        self._check_name(name, "buffer", "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer '{name}' (Tensor or None expected)")
        _forget(self.__dict__, name, keep="_buffers")
        self._buffers[name] = tensor
        self.__dict__[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a sub-module under `name` (what ``self.name = module`` does)."""
        self._registry("_modules", "modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module", "_modules")
        _forget(self.__dict__, name, keep="_modules")
        self._modules[name] = module
        self.__dict__[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at a dotted path such as ``"encoder.0"``."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no sub-module '{part}' (looking for '{target}')")
            module = child
        return module

    # --- walking the tree ------------------------------------------------------------------------

    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every one below it, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every module below it, each once, depth first."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-module, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, each once."""
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs such as ("0.weight", ...), each shared parameter once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter of this module and its sub-modules (each once), in registration order."""
        if not recurse:
            return (p for p in self._parameters.values() if p is not None)
        cached = self.__dict__.get("_parameters_cache")
        if cached is None or cached[0] != _structure[0]:
            cached = (_structure[0], tuple(p for _, p in self.named_parameters()))
            self.__dict__["_parameters_cache"] = cached
        return iter(cached[1])

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs of this module and (with recurse) those below it."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers (state that is not trained) of this module and those below it."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        seen: set[int] = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def num_parameters(self, only_trainable: bool = True) -> int:
        """How many numbers training adjusts (chapter 23.18: Linear(784, 128) has 100480)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not only_trainable)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn(module)`` on every sub-module (children first) and on this module; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- training state --------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout active) for this module and all below; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode (Dropout off): ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last backward(): ``.grad = None`` (or zeros)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                grad = p.grad
                if grad.grad_fn is not None or not grad._array.flags.writeable:
                    p.grad = Tensor(np.zeros_like(grad._array))
                else:
                    grad._array.fill(0)
                    _bump(grad)

    # --- dtype -----------------------------------------------------------------------------------

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)`` converts floating point parameters and buffers in place; ``to("cpu")`` does nothing."""
        dtype = _target_dtype(args, kwargs)
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype="
                            f"{dtypes.public(dtype)}")
        return self._apply_to_tensors(lambda array: array.astype(dtype) if array.dtype.kind == "f" else array)

    def double(self) -> Module:
        """Convert floating point parameters and buffers to float64 in place; returns self."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Convert floating point parameters and buffers to float32 in place; returns self."""
        return self.to(np.float32)

    def half(self) -> Module:
        """Convert floating point parameters and buffers to float16 in place; returns self."""
        return self.to(np.float16)

    def cpu(self) -> Module:
        """Return self: everything already lives on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raise RuntimeError, naming the device: there is no GPU here, only NumPy on the CPU."""
        _check_device("cuda" if device is None else f"cuda:{device}")
        return self

    def _apply_to_tensors(self, convert: Callable[[np.ndarray], np.ndarray]) -> Module:
        # The Parameter objects stay the same (an optimizer holding them keeps working); their data changes.
        seen: set[int] = set()
        for module in self.modules():
            for t in itertools.chain(module._parameters.values(), module._buffers.values()):
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                t._array = convert(t._array)
                if t.grad is not None:
                    t.grad = Tensor(convert(t.grad._array))
        return self

    # --- saving and loading ----------------------------------------------------------------------

    def state_dict(self, destination: dict[str, Tensor] | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """name -> tensor for every parameter and persistent buffer, module by module (as PyTorch).

        The tensors share memory with the model (detached unless keep_vars=True): save or copy them.
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> _IncompatibleKeys:
        """Copy values from a state_dict into this model's parameters and buffers.

        Every key and shape is checked first; if anything is wrong (missing or unexpected keys when
        strict, or a shape that differs, always), a RuntimeError lists all of it and nothing is copied.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like (name -> tensor, what model.state_dict() returns), "
                            f"got {type(state_dict).__name__}.")
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors, arrays = [], []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = _as_array(value)
            if array is None:   # ragged nested lists, or something NumPy cannot make an array of
                errors.append(f'While copying the parameter named "{key}", expected a Tensor or array of numbers '
                              f"from the checkpoint but received a {type(value).__name__} that is not one "
                              "(nested lists of different lengths?); give a Tensor of shape "
                              f"{tuple(target.shape)}.")
            elif array.dtype == object or array.dtype.kind not in "biuf":
                of_dtype = f" of dtype {dtypes.public(array.dtype)}" if isinstance(value, (np.ndarray, Tensor)) else ""
                errors.append(f'While copying the parameter named "{key}", expected a Tensor or array of numbers '
                              f"from the checkpoint but received {type(value).__name__}{of_dtype}.")
            elif array.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} from checkpoint, "
                              f"the shape in current model is {tuple(target.shape)}.")
            else:
                arrays.append((target, array))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        with no_grad():
            for target, array in arrays:
                np.copyto(target._array, array, casting="unsafe")
                _bump(target)   # a graph that saved the old value now refuses to backward
        return _IncompatibleKeys(missing, unexpected)

    # --- printing --------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's repr (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): {_indent(repr(module), 2)}" for name, module in self._modules.items()]
        body = lines + children
        if not body:
            return self._get_name() + "()"
        if len(lines) == 1 and not children:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(body) + "\n)"

    def __getstate__(self) -> dict[str, Any]:
        # copies and pickles rebuild the parameters() cache rather than trust a stale one
        state = self.__dict__.copy()
        state.pop("_parameters_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = state.get(registry)
            if isinstance(entries, _Registry):
                entries.namespace = self.__dict__


def _as_array(value: Any) -> np.ndarray | None:
    """A state_dict value as an array, or None when NumPy cannot make one (a ragged list)."""
    if isinstance(value, Tensor):
        return value._array
    try:
        return np.asarray(value)
    except (ValueError, TypeError, RuntimeError):   # RuntimeError: e.g. a PyTorch tensor that requires grad
        return None


def _forget(d: dict[str, Any], name: str, keep: str = "") -> bool:
    """Remove `name` from the registries (but `keep`) of the module whose __dict__ is `d`; True if found."""
    found = False
    for registry in ("_parameters", "_buffers", "_modules"):
        entries = d.get(registry)
        if registry != keep and entries is not None and name in entries:
            del entries[name]
            found = True
    if found:
        d.pop(name, None)
        nonpersistent = d.get("_non_persistent_buffers")
        if nonpersistent is not None:
            nonpersistent.discard(name)
    return found


def _add_hook(hooks: dict[int, Callable[..., Any]], hook: Callable[..., Any], prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        for key in [k for k in hooks if k != handle.id]:
            hooks[key] = hooks.pop(key)
    return handle


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])
