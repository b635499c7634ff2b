"""Layers: Linear (23.4-23.10), the activations (23.2), and the containers that chain them (23.8)."""
from __future__ import annotations

import math
import operator
from collections import OrderedDict
from typing import Any, Iterable, Iterator, cast

import numpy as np

from ..core import dtypes
from ..core.device import _check_device
from ..ops.fused import Addmm, LeakyRelu
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "Identity", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "GELU", "Softplus", "Softmax",
           "LogSoftmax", "Flatten", "Unflatten", "Dropout", "Embedding", "Sequential", "ModuleList", "ModuleDict"]


class Linear(Module):
    """A layer of `out_features` neurons on `in_features` inputs (23.4):  Z = X Wᵀ + 1 bᵀ.

    weight: W (out_features, in_features), one row per neuron, the chapter's W ∈ R^{m×n};
    bias: b (out_features,). Input (..., in_features) -> output (..., out_features); one vector
    (in_features,) gives z = W x + b. Initialised as PyTorch: W and b uniform on ±1/√in_features.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_device("cpu" if device is None else device)
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Linear: {name} must be a whole number >= 0; got {name}={value!r}")
        self.in_features = in_features
        self.out_features = out_features
        dtype = dtypes.default_float() if dtype is None else np.dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_(a=√5) is uniform on ±1/√in_features, and the bias uses the same bound
        """Draw W and b again, uniform on ±1/√in_features (PyTorch's initialisation)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        """input: (N, in_features) or (..., in_features) -> (..., out_features)."""
        out: Tensor = Addmm.apply(input, self.weight, self.bias)   # one fused op: Z = X Wᵀ + 1 bᵀ
        return out

    def extra_repr(self) -> str:
        """in_features, out_features and whether there is a bias, for the repr."""
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input (a placeholder, e.g. to switch a layer off)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        """Return `input` unchanged."""
        return input


class ReLU(Module):
    """max(0, z) (23.2), entry by entry."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace   # accepted for PyTorch code; the result is always a new tensor

    def forward(self, input: Any) -> Any:
        """max(0, z) entry by entry; input and output of any shape (*)."""
        return input.relu()

    def extra_repr(self) -> str:
        """'inplace=True' when set, for the repr."""
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """1 / (1 + e^-z) (23.2)."""

    def forward(self, input: Any) -> Any:
        """σ(z) = 1 / (1 + e^-z) entry by entry; any shape (*)."""
        return input.sigmoid()


class Tanh(Module):
    """(e^z - e^-z) / (e^z + e^-z) (23.2)."""

    def forward(self, input: Any) -> Any:
        """tanh(z) entry by entry; any shape (*)."""
        return input.tanh()


class LeakyReLU(Module):
    """z if z > 0 else negative_slope·z: a ReLU whose negative side still passes a little gradient."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Any) -> Any:
        """z where z > 0, negative_slope·z elsewhere; any shape (*)."""
        out: Tensor = LeakyRelu.apply(input, self.negative_slope)
        return out

    def extra_repr(self) -> str:
        """negative_slope (and inplace when set), for the repr."""
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """z·Φ(z) with Φ the standard normal CDF (approximate='tanh' for the tanh formula)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh'; got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Any) -> Any:
        """z·Φ(z) entry by entry; any shape (*)."""
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        """approximate, for the repr."""
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + e^(βz))/β: a smooth ReLU."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Any) -> Any:
        """log(1 + e^(βz))/β entry by entry (z itself where βz > threshold); any shape (*)."""
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        """beta and threshold, for the repr."""
        return f"beta={self.beta}, threshold={self.threshold}"


class _AlongDim(Module):
    """A function of scores along one dimension `dim` (softmax, log softmax)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        """dim, for the repr."""
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """Scores to probabilities along `dim` (23.13): p_i = e^{s_i} / Σ_j e^{s_j}."""

    def forward(self, input: Any) -> Any:
        """Probabilities along `dim`: each slice along it is positive and sums to 1."""
        return F.softmax(input, self.dim)


class LogSoftmax(_AlongDim):
    """log softmax along `dim`: s_i - logsumexp(s), finite where log(softmax) is not."""

    def forward(self, input: Any) -> Any:
        """log softmax along `dim`."""
        return F.log_softmax(input, self.dim)


class Flatten(Module):
    """(N, 28, 28) -> (N, 784) (23.18: an image becomes a vector); dims start_dim..end_dim are merged."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Any) -> Any:
        """input (N, d1, d2, ...) -> (N, d1·d2·...) for the default start_dim=1, end_dim=-1."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """start_dim and end_dim, for the repr."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Undo Flatten: dimension `dim` becomes `unflattened_size`, e.g. (N, 784) -> (N, 28, 28)."""

    def __init__(self, dim: int, unflattened_size: Iterable[int]) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Any) -> Any:
        """Split dimension `dim` of `input` into `unflattened_size`."""
        dim = self.dim % input.ndim
        return input.reshape(input.shape[:dim] + self.unflattened_size + input.shape[dim + 1:])

    def extra_repr(self) -> str:
        """dim and unflattened_size, for the repr."""
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """In training, zero each entry with probability p and scale the rest by 1/(1-p); in eval, identity."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Any) -> Any:
        """Dropout of `input` while training (self.training), the input itself in eval mode."""
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        """p and inplace, for the repr."""
        return f"p={self.p}, inplace={self.inplace}"


class Embedding(Module):
    """A lookup table (23.19): token i -> row i of weight (num_embeddings, embedding_dim), init N(0, 1)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None, _weight: Any = None) -> None:
        super().__init__()
        _check_device("cpu" if device is None else device)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx {padding_idx} must be within num_embeddings ({num_embeddings})")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        dtype = dtypes.default_float() if dtype is None else np.dtype(dtype)
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None) -> Embedding:
        """An Embedding holding given vectors (num_embeddings, embedding_dim); frozen unless freeze=False."""
        table = np.array(embeddings._array if isinstance(embeddings, Tensor) else embeddings)
        if table.ndim != 2:
            raise ValueError(f"Embeddings parameter is expected to be 2-dimensional; got shape {tuple(table.shape)}")
        layer = cls(table.shape[0], table.shape[1], padding_idx=padding_idx, _weight=table)
        layer.weight.requires_grad = not freeze
        return layer

    def reset_parameters(self) -> None:
        """Draw the table again from N(0, 1), with the padding_idx row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._array[self.padding_idx] = 0

    def forward(self, input: Any) -> Any:
        """input: integer indices (*) -> their rows of weight, (*, embedding_dim)."""
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        """num_embeddings, embedding_dim (and padding_idx when set), for the repr."""
        return f"{self.num_embeddings}, {self.embedding_dim}" + (
            f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


# --- containers -----------------------------------------------------------------------------------

def _position(index: Any, length: int, kind: str) -> int:
    i = operator.index(index)
    if not -length <= i < length:
        raise IndexError(f"index {i} is out of range for a {kind} of length {length}")
    return i % length


def _members(container: Module) -> dict[str, Module]:
    """A container's registry of modules, typed as what it holds. A Module's registry allows None
    (a declared but absent sub-module); a container is only ever filled with modules."""
    return cast("dict[str, Module]", container._modules)


class Sequential(Module):
    """Layers applied in order (23.8: x ↦ h₁ ↦ h₂ ↦ ... ↦ ŷ); indexable, sliceable and iterable.

    ``Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Linear(12, 1))`` names them "0", "1", "2";
    an OrderedDict gives them your names.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (OrderedDict, dict)):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:
        """Feed `input` through each module in turn and return the last one's output."""
        # the registry itself, not _members(self): this runs on every step. It holds only modules.
        modules: Iterable[Module] = self._modules.values()  # type: ignore[assignment]
        for module in modules:
            input = module(input)
        return input

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_position(index, len(self), type(self).__name__)]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_position(index, len(self), type(self).__name__)]
        setattr(self, key, module)

    def __delitem__(self, index: Any) -> None:
        keys = list(self._modules)
        if isinstance(index, slice):
            doomed = keys[index]
        else:
            doomed = [keys[_position(index, len(self), type(self).__name__)]]
        for key in doomed:
            delattr(self, key)
        _renumber(self)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(_members(self).values())

    def append(self, module: Module) -> Sequential:
        """Add `module` at the end (named by its position); returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Append each of `modules`; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert `module` before position `index` (the modules are renumbered); returns self."""
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"index {index} is out of range for inserting into a {type(self).__name__} of length {n}")
        modules = list(_members(self).values())
        modules.insert(index, module)
        _renumber(self, modules)
        return self

    def pop(self, index: int = -1) -> Module:
        """Remove the module at `index` and return it."""
        module: Module = self[index]
        del self[index]
        return module


class ModuleList(Module):
    """A list of modules that registers them (a plain Python list would hide their parameters)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return type(self)(list(_members(self).values())[index])
        return _members(self)[str(_position(index, len(self), type(self).__name__))]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, str(_position(index, len(self), type(self).__name__)), module)

    def __delitem__(self, index: Any) -> None:
        keys = list(self._modules)
        doomed = keys[index] if isinstance(index, slice) else [keys[_position(index, len(self), "ModuleList")]]
        for key in doomed:
            delattr(self, key)
        _renumber(self)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(_members(self).values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return type(self)(list(self) + list(other))

    def append(self, module: Module) -> ModuleList:
        """Add `module` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each of `modules` (an iterable of modules); returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(f"ModuleList.extend should be called with an iterable of modules, "
                            f"but got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before position `index` (the modules are renumbered)."""
        modules = list(_members(self).values())
        modules.insert(index, module)
        _renumber(self, modules)

    def pop(self, index: int = -1) -> Module:
        """Remove the module at `index` and return it."""
        module: Module = self[index]
        del self[index]
        return module


class ModuleDict(Module):
    """A dict of modules that registers them, in insertion order."""

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        """The module under `key`."""
        return _members(self)[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return _members(self).values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """(key, module) pairs, in insertion order."""
        return _members(self).items()

    def update(self, modules: Any) -> None:
        """Add (key, module) pairs from a mapping or an iterable of pairs."""
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self[key] = module

    def pop(self, key: str) -> Module:
        """Remove the module under `key` and return it."""
        module = _members(self)[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        for key in list(self._modules):
            del self[key]


def _renumber(container: Module, modules: list[Module] | None = None) -> None:
    """Give a container's modules the names "0", "1", ... again (after a delete or insert)."""
    if modules is None:
        modules = list(_members(container).values())
    for key in list(container._modules):
        delattr(container, key)
    for i, module in enumerate(modules):
        container.add_module(str(i), module)
