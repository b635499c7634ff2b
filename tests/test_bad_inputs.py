"""The bad-input catalogue: the public API fed what users really send.

Three tables:

  BAD     inputs that must raise: wrong shapes, wrong dtypes, class targets out of range, bad
          optimizer options, empty parameter lists, backward on what does not require grad, dim
          out of range, and more. Each case names the exception and pieces of its message (the
          argument, the expected and the received shape or value), and is run against a small
          "world" (a model, an Adam optimizer part-way through training, gradients, a leaf): after
          the failure every parameter, gradient and optimizer state must be exactly as before.
  ZERO    zero-size tensors, which must work (values asserted).
  MIXED   Python lists, NumPy arrays and scalars mixed with tensors, which must work too.

Each BAD case is written once against a library `lib` (tinygrad_la or torch: the same API) and
records what PyTorch does with it: the same exception (SAME), another exception type, or
ACCEPTS (PyTorch runs it without an error, usually silently doing the wrong thing). The tests
marked `torch` check those records against PyTorch itself, so "the type PyTorch raises" is
verified, not assumed. Where we differ, PyTorch's error is unhelpful or absent, and ours is
ValueError / TypeError / IndexError with a message that says what to do.
"""
from __future__ import annotations

import copy
import math
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_la as tg

SAME = "same"          # PyTorch raises the same exception type
ACCEPTS = "accepts"    # PyTorch raises nothing
NA = "n/a"             # not comparable (a different file format, a tinygrad_la-only function)


# --- the world a case runs in --------------------------------------------------------------------

class World:
    """A small model part-way through training, with everything a bad call could half-update."""

    def __init__(self, lib: Any, directory: Any) -> None:
        self.lib = lib
        self.dir = str(directory)   # for the checkpoint cases
        self.f64 = lib.float64
        rng = np.random.default_rng(0)
        lib.manual_seed(0)
        nn = lib.nn
        self.model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).double()
        self.x = lib.tensor(rng.normal(size=(5, 4)))
        self.y = lib.tensor(rng.normal(size=(5, 2)))
        self.opt = lib.optim.Adam(self.model.parameters(), lr=0.01)
        for _ in range(2):   # Adam's state exists, and fresh gradients are waiting
            self.opt.zero_grad()
            nn.functional.mse_loss(self.model(self.x), self.y).backward()
            if _ == 0:
                self.opt.step()
        self.w = lib.tensor([1.0, 2.0], dtype=self.f64, requires_grad=True)   # a leaf with a gradient
        (self.w * self.w).sum().backward()
        self.logits = lib.tensor(rng.normal(size=(3, 4)), requires_grad=True)

    def z(self, *shape: int) -> Any:
        return self.lib.zeros(*shape, dtype=self.f64)

    def params(self) -> list:
        return list(self.model.parameters())

    def snapshot(self) -> dict:
        """Everything a failed call must leave alone, copied."""
        def arr(t):
            return None if t is None else np.array(t.detach().numpy() if hasattr(t, "detach") else t, copy=True)

        tensors = self.params() + [self.w, self.logits]
        state = self.opt.state_dict()
        return {
            "data": [arr(t) for t in tensors],
            "grads": [arr(t.grad) for t in tensors],
            "opt_state": {k: {n: arr(v) if hasattr(v, "shape") else v for n, v in s.items()}
                          for k, s in state["state"].items()},
            "opt_groups": copy.deepcopy(state["param_groups"]),
            "n_groups": len(self.opt.param_groups),
        }


def assert_unchanged(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key in before:
        a, b = before[key], after[key]
        if key in ("data", "grads"):
            assert len(a) == len(b)
            for i, (x, y) in enumerate(zip(a, b)):
                assert (x is None) == (y is None), f"{key}[{i}] appeared or vanished"
                if x is not None:
                    assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), f"{key}[{i}] changed"
        elif key == "opt_state":
            assert a.keys() == b.keys()
            for k in a:
                assert a[k].keys() == b[k].keys()
                for n in a[k]:
                    x, y = a[k][n], b[k][n]
                    same = np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
                    assert same, f"optimizer state {k}/{n} changed"
        else:
            assert a == b, f"{key} changed"


# --- the catalogue of bad inputs -------------------------------------------------------------------

@dataclass
class Bad:
    id: str
    kind: str
    call: Callable[[Any, World], Any]                  # (lib, world): the bad call
    error: type                                        # what tinygrad_la raises
    says: tuple[str, ...]                              # pieces of the message: argument, expected, received
    torch: Any = SAME                                  # what PyTorch does: SAME, an exception type, ACCEPTS, NA
    setup: Callable[[Any, World], Any] | None = None   # done before the snapshot (it may change things)


def F(lib: Any) -> Any:
    return lib.nn.functional


def _dim_cases() -> list[Bad]:
    """dim out of range, for every function that takes one: IndexError, as PyTorch."""
    rng = "[-2, 1], but got 2"
    calls = {
        "sum": lambda lib, w: w.z(2, 3).sum(dim=2),
        "mean": lambda lib, w: w.z(2, 3).mean(dim=2),
        "amax": lambda lib, w: w.z(2, 3).amax(dim=2),
        "max(dim)": lambda lib, w: w.z(2, 3).max(dim=2),
        "min(dim)": lambda lib, w: w.z(2, 3).min(dim=2),
        "argmax": lambda lib, w: w.z(2, 3).argmax(dim=2),
        "var": lambda lib, w: w.z(2, 3).var(dim=2),
        "std": lambda lib, w: w.z(2, 3).std(dim=2),
        "prod": lambda lib, w: w.z(2, 3).prod(dim=2),
        "logsumexp": lambda lib, w: w.z(2, 3).logsumexp(dim=2),
        "softmax": lambda lib, w: w.z(2, 3).softmax(dim=2),
        "log_softmax": lambda lib, w: w.z(2, 3).log_softmax(dim=2),
        "F.softmax": lambda lib, w: F(lib).softmax(w.z(2, 3), dim=2),
        "nn.Softmax": lambda lib, w: lib.nn.Softmax(dim=2)(w.z(2, 3)),
        "nn.LogSoftmax": lambda lib, w: lib.nn.LogSoftmax(dim=2)(w.z(2, 3)),
        "cat": lambda lib, w: lib.cat([w.z(2, 3), w.z(2, 3)], dim=2),
        "squeeze": lambda lib, w: w.z(2, 3).squeeze(2),
        "transpose": lambda lib, w: w.z(2, 3).transpose(0, 2),
        "flatten": lambda lib, w: w.z(2, 3).flatten(0, 2),
        "split": lambda lib, w: w.z(2, 3).split(1, dim=2),
        "chunk": lambda lib, w: w.z(2, 3).chunk(2, dim=2),
        "size": lambda lib, w: w.z(2, 3).size(2),
        "all": lambda lib, w: (w.z(2, 3) > 0).all(dim=2),
        "any": lambda lib, w: (w.z(2, 3) > 0).any(dim=2),
    }
    cases = [Bad(f"dim-{name}", "dim out of range", call, IndexError, (rng,)) for name, call in calls.items()]
    cases += [
        Bad("dim-unsqueeze", "dim out of range", lambda lib, w: w.z(2, 3).unsqueeze(3), IndexError,
            ("[-3, 2], but got 3",)),
        Bad("dim-stack", "dim out of range", lambda lib, w: lib.stack([w.z(2, 3), w.z(2, 3)], dim=3), IndexError,
            ("[-3, 2], but got 3",)),
        Bad("dim-of-a-float", "dim out of range", lambda lib, w: w.z(2, 3).sum(dim=1.5), TypeError,
            ("dim", "float")),
    ]
    return cases


def _load_bad_shape(lib: Any, w: World) -> Any:
    state = {k: v + 1 for k, v in w.model.state_dict().items()}   # every value new...
    state["2.weight"] = w.z(5, 3)                                  # ...and one of the wrong shape
    return w.model.load_state_dict(state)


def _load_missing(lib: Any, w: World) -> Any:
    state = {k: v + 1 for k, v in w.model.state_dict().items() if k != "2.bias"}
    return w.model.load_state_dict(state)


def _load_unexpected(lib: Any, w: World) -> Any:
    state = {k: v + 1 for k, v in w.model.state_dict().items()}
    state["extra.weight"] = w.z(1)
    return w.model.load_state_dict(state)


def _opt_state_wrong_shape(lib: Any, w: World) -> Any:
    state = w.opt.state_dict()
    state["state"][0]["exp_avg"] = w.z(7)
    return w.opt.load_state_dict(state)


def _opt_wrong_count(lib: Any, w: World) -> Any:
    state = w.opt.state_dict()
    state["param_groups"][0]["params"] = state["param_groups"][0]["params"][:1]
    return w.opt.load_state_dict(state)


def _consumed_generator(lib: Any, w: World) -> Any:
    params = w.model.parameters()
    list(params)
    return lib.optim.Adam(params)


def _second_backward(lib: Any, w: World) -> Any:
    return w.loss.backward()


def _first_backward(lib: Any, w: World) -> None:
    w.loss = (w.w * w.w).sum()
    w.loss.backward()


def _changed_after_use(lib: Any, w: World) -> None:
    w.loss = (w.w * w.w).sum()
    with lib.no_grad():
        w.w.mul_(2)


def _truncated(lib: Any, w: World) -> Any:
    path = os.path.join(w.dir, "ckpt.npz")
    with open(path, "wb") as f:
        f.write(b"PK\x03\x04 not a whole checkpoint")
    return tg.load(path)


def _nan_grad(lib: Any, w: World) -> None:
    w.params()[0].grad[0, 0] = math.nan


def _nan_lr(lib: Any, w: World) -> None:
    w.opt.param_groups[0]["lr"] = math.nan


BAD: list[Bad] = [
    # --- wrong shapes -----------------------------------------------------------------------------
    Bad("matmul-inner-sizes", "shape", lambda lib, w: w.z(2, 3) @ w.z(2, 3), RuntimeError,
        ("(2, 3) and (2, 3)", "(3)", "(2)")),
    Bad("matmul-vectors", "shape", lambda lib, w: w.z(3) @ w.z(4), RuntimeError, ("(3,)", "(4,)")),
    Bad("matmul-0d", "shape", lambda lib, w: lib.tensor(2.0) @ w.z(3), RuntimeError, ("()", "(3,)", "at least 1")),
    Bad("matmul-batch-dims", "shape", lambda lib, w: w.z(2, 3, 4) @ w.z(3, 4, 5), RuntimeError,
        ("(2, 3, 4)", "(3, 4, 5)")),
    Bad("mm-3d", "shape", lambda lib, w: lib.mm(w.z(2, 2, 2), w.z(2, 2)), RuntimeError, ("2-D", "(2, 2, 2)")),
    Bad("bmm-batch-sizes", "shape", lambda lib, w: lib.bmm(w.z(2, 3, 4), w.z(3, 4, 5)), RuntimeError,
        ("(2, 3, 4)", "(3, 4, 5)")),
    Bad("Linear-in_features", "shape", lambda lib, w: w.model(w.z(5, 7)), RuntimeError,
        ("Linear(4 -> 3)", "last dimension to be 4", "(5, 7)")),
    Bad("Linear-unflattened-image", "shape", lambda lib, w: w.model(w.z(5, 1, 2, 2)), RuntimeError,
        ("Linear(4 -> 3)", "(5, 1, 2, 2)", "Flatten")),
    Bad("Linear-transposed-batch", "shape", lambda lib, w: w.model(w.z(4, 5)), RuntimeError,
        ("Linear(4 -> 3)", "(4, 5)", "transpose")),
    Bad("Linear-0d-input", "shape", lambda lib, w: w.model(lib.tensor(1.0, dtype=w.f64)), RuntimeError,
        ("Linear(4 -> 3)", "()")),
    Bad("add-broadcast", "shape", lambda lib, w: w.z(3) + w.z(4), RuntimeError, ("(3,)", "(4,)", "broadcast")),
    Bad("mul-broadcast", "shape", lambda lib, w: w.z(2, 3) * w.z(3, 2), RuntimeError, ("(2, 3)", "(3, 2)")),
    Bad("where-broadcast", "shape", lambda lib, w: lib.where(lib.tensor([True, False, True]), w.z(2), w.z(3)),
        RuntimeError, ("(3,)", "(2,)")),
    Bad("mse_loss-(N,1)-vs-(N,)", "loss shapes", lambda lib, w: F(lib).mse_loss(w.z(4, 1), w.z(4)), ValueError,
        ("mse_loss", "(4, 1)", "(4,)"), torch=ACCEPTS),
    Bad("mse_loss-sizes", "loss shapes", lambda lib, w: F(lib).mse_loss(w.z(3), w.z(4)), ValueError,
        ("mse_loss", "(3,)", "(4,)"), torch=RuntimeError),
    Bad("MSELoss-model-output", "loss shapes", lambda lib, w: lib.nn.MSELoss()(w.model(w.x), w.z(5)), ValueError,
        ("(5, 2)", "(5,)"), torch=RuntimeError),
    Bad("l1_loss-(N,1)-vs-(N,)", "loss shapes", lambda lib, w: F(lib).l1_loss(w.z(4, 1), w.z(4)), ValueError,
        ("l1_loss", "(4, 1)", "(4,)"), torch=ACCEPTS),
    Bad("binary_cross_entropy-shapes", "loss shapes",
        lambda lib, w: F(lib).binary_cross_entropy(w.z(4, 1) + 0.5, w.z(4)), ValueError,
        ("binary_cross_entropy", "(4, 1)", "(4,)")),
    Bad("BCEWithLogitsLoss-shapes", "loss shapes", lambda lib, w: lib.nn.BCEWithLogitsLoss()(w.z(4, 1), w.z(4)),
        ValueError, ("(4, 1)", "(4,)")),
    Bad("cross_entropy-target-(N,1)", "loss shapes",
        lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([[1], [0], [2]])), ValueError,
        ("(3, 4)", "class targets of shape (3,)", "(3, 1)"), torch=RuntimeError),
    Bad("cross_entropy-batch-sizes", "loss shapes", lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([1, 2])),
        ValueError, ("(3, 4)", "(3,)", "(2,)")),
    Bad("cross_entropy-probabilities-shape", "loss shapes",
        lambda lib, w: F(lib).cross_entropy(w.logits, w.z(3, 3)), ValueError, ("(3, 4)", "(3, 3)"),
        torch=RuntimeError),
    Bad("cross_entropy-weight-shape", "loss shapes",
        lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([1, 0, 2]), weight=lib.ones(3, dtype=w.f64)),
        ValueError, ("weight", "(4,)", "(3,)"), torch=RuntimeError),
    Bad("NLLLoss-batch-sizes", "loss shapes", lambda lib, w: lib.nn.NLLLoss()(w.logits, lib.tensor([1, 2])),
        ValueError, ("(3, 4)", "(3,)", "(2,)")),
    Bad("cat-sizes", "shape", lambda lib, w: lib.cat([w.z(2, 3), w.z(2, 4)]), RuntimeError,
        ("tensor 1", "(2, 4)", "(2, 3)", "dim=0")),
    Bad("cat-ndims", "shape", lambda lib, w: lib.cat([w.z(2, 3), w.z(3)]), RuntimeError, ("(3,)", "(2, 3)")),
    Bad("cat-empty-list", "shape", lambda lib, w: lib.cat([]), ValueError, ("non-empty",)),
    Bad("cat-0d", "shape", lambda lib, w: lib.cat([lib.tensor(1.0), lib.tensor(2.0)]), RuntimeError,
        ("zero-dimensional",)),
    Bad("stack-shapes", "shape", lambda lib, w: lib.stack([w.z(2, 3), w.z(3, 2)]), RuntimeError,
        ("tensor 1", "(3, 2)", "(2, 3)")),
    Bad("stack-empty-list", "shape", lambda lib, w: lib.stack([]), RuntimeError, ("empty",)),
    Bad("reshape-size", "shape", lambda lib, w: w.z(2, 3).reshape(4, 2), RuntimeError, ("(4, 2)", "(2, 3)", "6")),
    Bad("view-two-inferred", "shape", lambda lib, w: w.z(6).view(-1, -1), RuntimeError, ("one dimension", "-1")),
    Bad("expand", "shape", lambda lib, w: w.z(2, 3).expand(4, 3), RuntimeError, ("(2, 3)", "(4, 3)")),
    Bad("permute-count", "shape", lambda lib, w: w.z(2, 3).permute(0, 1, 2), RuntimeError,
        ("2 dimensions", "(0, 1, 2)")),
    Bad("split-sizes", "shape", lambda lib, w: w.z(3).split([1, 1]), RuntimeError, ("[1, 1]", "size 3")),
    Bad("split-size-0", "shape", lambda lib, w: w.z(3).split(0), RuntimeError, ("split_size=0", "size 3")),
    Bad("backward-gradient-shape", "shape", lambda lib, w: (w.w * 2).backward(lib.ones(3, dtype=w.f64)), RuntimeError,
        ("(2,)", "(3,)")),
    Bad("backward-non-scalar", "shape", lambda lib, w: (w.w * 2).backward(), RuntimeError,
        ("one-element", "(2,)")),
    Bad("grad-assign-shape", "shape", lambda lib, w: setattr(w.w, "grad", w.z(3)), RuntimeError, ("(3,)", "(2,)")),
    Bad("setitem-shape", "shape", lambda lib, w: w.z(3).__setitem__(slice(None), w.z(2)), RuntimeError,
        ("(2,)", "(3,)")),
    Bad("load_state_dict-shape", "shape", _load_bad_shape, RuntimeError, ("size mismatch for 2.weight", "(5, 3)",
                                                                          "(2, 3)")),
    Bad("load_state_dict-missing", "state dict", _load_missing, RuntimeError, ("Missing", "2.bias")),
    Bad("load_state_dict-unexpected", "state dict", _load_unexpected, RuntimeError, ("Unexpected", "extra.weight")),
    Bad("optimizer-load-groups", "state dict", lambda lib, w: w.opt.load_state_dict({"state": {}, "param_groups": []}),
        ValueError, ("0 parameter groups", "has 1")),
    Bad("optimizer-load-param-count", "state dict", _opt_wrong_count, ValueError, ("1 parameters", "4")),
    Bad("optimizer-load-state-shape", "state dict", _opt_state_wrong_shape, ValueError,
        ("exp_avg", "(7,)", "(3, 4)"), torch=ACCEPTS),
    Bad("index-out-of-range", "index", lambda lib, w: w.z(3)[5], IndexError, ("5", "(3,)")),
    Bad("too-many-indices", "index", lambda lib, w: w.z(2, 2)[0, 0, 0], IndexError, ("(2, 2)",)),
    Bad("mask-length", "index", lambda lib, w: w.z(3)[lib.tensor([True, False])], IndexError, ("(3,)", "2")),
    Bad("Embedding-index", "index", lambda lib, w: lib.nn.Embedding(3, 2)(lib.tensor([3])), IndexError,
        ("3", "0..2")),
    Bad("one_hot-too-large", "index", lambda lib, w: F(lib).one_hot(lib.tensor([3]), 2), ValueError,
        ("3", "num_classes=2"), torch=RuntimeError),
    Bad("vector_to_parameters-length", "shape",
        lambda lib, w: lib.nn.utils.vector_to_parameters(lib.ones(20, dtype=w.f64), w.model.parameters()),
        ValueError, ("23", "(20,)"), torch=RuntimeError),

    # --- wrong dtypes -----------------------------------------------------------------------------
    Bad("mse_loss-int-target", "dtype", lambda lib, w: F(lib).mse_loss(w.z(3), lib.tensor([1, 2, 3])), TypeError,
        ("mse_loss", "float64", "int64"), torch=ACCEPTS),
    Bad("l1_loss-int-target", "dtype", lambda lib, w: F(lib).l1_loss(w.z(3), lib.tensor([1, 2, 3])), TypeError,
        ("l1_loss", "int64"), torch=ACCEPTS),
    Bad("BCELoss-int-target", "dtype", lambda lib, w: lib.nn.BCELoss()(w.z(3) + 0.5, lib.tensor([1, 0, 1])),
        TypeError, ("binary_cross_entropy", "int64"), torch=RuntimeError),
    Bad("BCEWithLogitsLoss-int-target", "dtype", lambda lib, w: lib.nn.BCEWithLogitsLoss()(w.z(3), lib.tensor([1, 0, 1])),
        TypeError, ("int64",), torch=RuntimeError),
    Bad("cross_entropy-float-class-target", "dtype",
        lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([1.0, 0.0, 2.0], dtype=w.f64)), ValueError,
        ("(3, 4)", "(3,)", "long"), torch=RuntimeError),
    Bad("nll_loss-float-target", "dtype",
        lambda lib, w: F(lib).nll_loss(w.logits, lib.tensor([1.0, 0.0, 2.0], dtype=w.f64)), TypeError,
        ("int64", "float64"), torch=RuntimeError),
    Bad("cross_entropy-bool-target", "dtype",
        lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([True, False, True])), TypeError, ("bool",),
        torch=RuntimeError),
    Bad("cross_entropy-int-scores", "dtype",
        lambda lib, w: F(lib).cross_entropy(lib.tensor([[1, 2], [3, 4]]), lib.tensor([0, 1])), TypeError,
        ("scores", "int64"), torch=NotImplementedError),
    Bad("cross_entropy-arguments-swapped", "dtype",
        lambda lib, w: F(lib).cross_entropy(lib.tensor([1, 0, 2]), w.logits), TypeError,
        ("int64", "model's output first"), torch=RuntimeError),
    Bad("Linear-int-input", "dtype", lambda lib, w: w.model(lib.tensor([[1, 2, 3, 4]])), RuntimeError,
        ("Linear(4 -> 3)", "float64", "int64", ".double()")),
    Bad("requires_grad-int", "dtype", lambda lib, w: lib.tensor([1, 2], requires_grad=True), RuntimeError,
        ("floating point", "int64")),
    Bad("requires_grad_-bool", "dtype", lambda lib, w: lib.tensor([True]).requires_grad_(), RuntimeError,
        ("floating point", "bool")),
    Bad("grad-assign-int", "dtype", lambda lib, w: setattr(w.w, "grad", lib.tensor([1, 2])), RuntimeError,
        ("int64", "float64")),
    Bad("bool-minus-bool", "dtype", lambda lib, w: lib.tensor([True]) - lib.tensor([True]), TypeError,
        ("subtract", "`-`"), torch=RuntimeError),
    Bad("negate-bool", "dtype", lambda lib, w: -lib.tensor([True, False]), TypeError, ("negative", "`~`"),
        torch=RuntimeError),
    Bad("softmax-int", "dtype", lambda lib, w: lib.tensor([1, 2]).softmax(0), TypeError, ("softmax", "int64"),
        torch=NotImplementedError),
    Bad("log_softmax-bool", "dtype", lambda lib, w: lib.tensor([True, False]).log_softmax(0), TypeError,
        ("log_softmax", "bool"), torch=NotImplementedError),
    Bad("Embedding-float-indices", "dtype", lambda lib, w: lib.nn.Embedding(3, 2)(lib.tensor([1.0])), TypeError,
        ("float", "long"), torch=RuntimeError),
    Bad("tensor-of-strings", "dtype", lambda lib, w: lib.tensor(["a", "b"]), TypeError, ("strings",),
        torch=ValueError),
    Bad("tensor-ragged", "shape", lambda lib, w: lib.tensor([[1.0, 2.0], [3.0]]), ValueError,
        ("length 2 at dim 1", "got 1")),
    Bad("tensor-None", "dtype", lambda lib, w: lib.tensor(None), TypeError, ("None",), torch=RuntimeError),
    Bad("optimizer-int-parameter", "dtype", lambda lib, w: lib.optim.SGD([lib.tensor([1, 2])], lr=0.1), TypeError,
        ("floating point", "int64"), torch=ACCEPTS),
    Bad("Module.to-int", "dtype", lambda lib, w: w.model.to(lib.int64), TypeError, ("floating point", "int64")),

    # --- class targets out of range ---------------------------------------------------------------
    Bad("cross_entropy-target-too-large", "class target",
        lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([1, 4, 2])), IndexError,
        ("target 4", "4 classes", "0 to 3")),
    Bad("cross_entropy-target-negative", "class target",
        lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([1, -1, 2])), IndexError, ("target -1", "4 classes")),
    Bad("cross_entropy-negative-besides-ignore_index", "class target",
        lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([1, -2, -1]), ignore_index=-1), IndexError,
        ("target -2", "ignore_index=-1")),
    Bad("CrossEntropyLoss-(N,C,d)-target", "class target",
        lambda lib, w: lib.nn.CrossEntropyLoss()(w.z(2, 3, 4), lib.tensor([[0, 1, 2, 3], [0, 0, 0, 0]])), IndexError,
        ("target 3", "3 classes")),
    Bad("nll_loss-target-too-large", "class target",
        lambda lib, w: F(lib).nll_loss(w.logits, lib.tensor([0, 9, 2])), IndexError, ("target 9", "4 classes")),
    Bad("NLLLoss-target-negative", "class target",
        lambda lib, w: lib.nn.NLLLoss()(w.logits, lib.tensor([0, -5, 2])), IndexError, ("target -5",)),

    # --- optimizer options ------------------------------------------------------------------------
    Bad("SGD-lr-negative", "optimizer option", lambda lib, w: lib.optim.SGD(w.params(), lr=-0.1), ValueError,
        ("lr=-0.1", ">= 0")),
    Bad("SGD-lr-nan", "optimizer option", lambda lib, w: lib.optim.SGD(w.params(), lr=math.nan), ValueError,
        ("lr=nan", "finite"), torch=ACCEPTS),
    Bad("SGD-lr-inf", "optimizer option", lambda lib, w: lib.optim.SGD(w.params(), lr=math.inf), ValueError,
        ("lr=inf", "finite"), torch=ACCEPTS),
    Bad("SGD-momentum-negative", "optimizer option",
        lambda lib, w: lib.optim.SGD(w.params(), lr=0.1, momentum=-0.9), ValueError, ("momentum=-0.9", ">= 0")),
    Bad("SGD-weight_decay-negative", "optimizer option",
        lambda lib, w: lib.optim.SGD(w.params(), lr=0.1, weight_decay=-1e-4), ValueError, ("weight_decay=-0.0001",)),
    Bad("SGD-nesterov-without-momentum", "optimizer option",
        lambda lib, w: lib.optim.SGD(w.params(), lr=0.1, nesterov=True), ValueError, ("nesterov", "momentum=0")),
    Bad("Adam-lr-negative", "optimizer option", lambda lib, w: lib.optim.Adam(w.params(), lr=-1e-3), ValueError,
        ("lr=-0.001",)),
    Bad("Adam-beta1-one", "optimizer option", lambda lib, w: lib.optim.Adam(w.params(), betas=(1.0, 0.999)),
        ValueError, ("betas[0]=1.0", "[0.0, 1.0)")),
    Bad("Adam-eps-negative", "optimizer option", lambda lib, w: lib.optim.Adam(w.params(), eps=-1e-8), ValueError,
        ("eps=-1e-08",)),
    Bad("Adam-lr-string", "optimizer option", lambda lib, w: lib.optim.Adam(w.params(), lr="0.01"), TypeError,
        ("lr='0.01'", "str")),
    Bad("RMSprop-alpha-negative", "optimizer option", lambda lib, w: lib.optim.RMSprop(w.params(), alpha=-0.1),
        ValueError, ("alpha=-0.1",)),
    Bad("Adagrad-lr_decay-negative", "optimizer option",
        lambda lib, w: lib.optim.Adagrad(w.params(), lr_decay=-1.0), ValueError, ("lr_decay=-1.0",)),
    Bad("add_param_group-lr-negative", "optimizer option",
        lambda lib, w: w.opt.add_param_group({"params": [lib.zeros(2, requires_grad=True)], "lr": -1.0}), ValueError,
        ("lr=-1.0", "parameter group 1"), torch=ACCEPTS),
    Bad("step-after-lr-set-to-nan", "optimizer option", lambda lib, w: w.opt.step(), ValueError, ("lr=nan",),
        torch=ACCEPTS, setup=_nan_lr),
    Bad("StepLR-on-a-string", "optimizer option", lambda lib, w: lib.optim.lr_scheduler.StepLR("adam", 2), TypeError,
        ("str",)),

    # --- empty and malformed parameter lists ------------------------------------------------------
    Bad("SGD-empty-list", "parameter list", lambda lib, w: lib.optim.SGD([], lr=0.1), ValueError,
        ("empty parameter list",)),
    Bad("Adam-consumed-generator", "parameter list", _consumed_generator, ValueError, ("empty parameter list",)),
    Bad("SGD-single-tensor", "parameter list", lambda lib, w: lib.optim.SGD(w.w, lr=0.1), TypeError,
        ("single Tensor", "[w]")),
    Bad("SGD-set", "parameter list", lambda lib, w: lib.optim.SGD({w.w}, lr=0.1), TypeError, ("ordered", "set"),
        torch=ACCEPTS),
    Bad("SGD-non-leaf", "parameter list", lambda lib, w: lib.optim.SGD([w.w * 2], lr=0.1), ValueError,
        ("non-leaf", "MulBackward0")),
    Bad("SGD-group-without-params", "parameter list", lambda lib, w: lib.optim.SGD([{"lr": 0.1}], lr=0.1), ValueError,
        ("'params'", "['lr']"), torch=KeyError),

    # --- autograd misuse --------------------------------------------------------------------------
    Bad("backward-without-requires_grad", "autograd", lambda lib, w: lib.tensor([1.0, 2.0]).sum().backward(),
        RuntimeError, ("does not require grad", "requires_grad=True")),
    Bad("backward-of-no_grad-result", "autograd", lambda lib, w: _under_no_grad(lib, w).backward(), RuntimeError,
        ("does not require grad", "no_grad()")),
    Bad("backward-twice", "autograd", _second_backward, RuntimeError, ("a second time", "retain_graph=True"),
        setup=_first_backward),
    Bad("backward-after-in-place-change", "autograd", _second_backward, RuntimeError,
        ("MulBackward0", "modified by an in-place operation"), setup=_changed_after_use),
    Bad("in-place-on-a-leaf", "autograd", lambda lib, w: w.w.add_(1.0), RuntimeError, ("leaf", "no_grad")),
    Bad("autograd.grad-unused-input", "autograd",
        lambda lib, w: lib.autograd.grad((w.w * 2).sum(), [w.w, w.logits]), RuntimeError, ("input 1", "allow_unused")),
    Bad("autograd.grad-input-without-grad", "autograd",
        lambda lib, w: lib.autograd.grad((w.w * 2).sum(), [lib.tensor([1.0])]), RuntimeError,
        ("input 0", "does not require grad")),
    Bad("requires_grad-off-on-a-non-leaf", "autograd", lambda lib, w: (w.w * 2).requires_grad_(False), RuntimeError,
        ("leaf", "detach")),
    Bad("item-of-many", "autograd", lambda lib, w: w.z(2).item(), RuntimeError, ("(2,)", "one element")),
    Bad("bool-of-many", "autograd", lambda lib, w: bool(w.z(2)), RuntimeError, ("ambiguous",)),

    # --- data, layers, clipping, checkpoints ------------------------------------------------------
    Bad("TensorDataset-sizes", "data", lambda lib, w: lib.utils.data.TensorDataset(w.z(3), w.z(4)), ValueError,
        ("[3, 4]",), torch=AssertionError),
    Bad("DataLoader-batch_size-0", "data",
        lambda lib, w: lib.utils.data.DataLoader(lib.utils.data.TensorDataset(w.z(3)), batch_size=0), ValueError,
        ("batch_size=0",)),
    Bad("random_split-lengths", "data",
        lambda lib, w: lib.utils.data.random_split(lib.utils.data.TensorDataset(w.z(3)), [1, 1]), ValueError,
        ("[1, 1]", "3")),
    Bad("Linear-negative-features", "layer option", lambda lib, w: lib.nn.Linear(-1, 3), ValueError,
        ("in_features=-1",), torch=RuntimeError),
    Bad("Dropout-p", "layer option", lambda lib, w: lib.nn.Dropout(p=1.5), ValueError, ("1.5",)),
    Bad("reduction-avg", "layer option", lambda lib, w: F(lib).mse_loss(w.z(3), w.z(3), reduction="avg"), ValueError,
        ("'avg'", "'mean'")),
    Bad("label_smoothing-1.5", "layer option",
        lambda lib, w: F(lib).cross_entropy(w.logits, lib.tensor([1, 0, 2]), label_smoothing=1.5), ValueError,
        ("label_smoothing", "1.5"), torch=RuntimeError),
    Bad("clip_grad_norm_-non-finite", "clipping",
        lambda lib, w: lib.nn.utils.clip_grad_norm_(w.model.parameters(), 1.0, error_if_nonfinite=True), RuntimeError,
        ("non-finite", "error_if_nonfinite=False"), setup=_nan_grad),
    Bad("clip_grad_norm_-negative-max_norm", "clipping",
        lambda lib, w: lib.nn.utils.clip_grad_norm_(w.model.parameters(), -1.0), ValueError, ("max_norm=-1.0",),
        torch=ACCEPTS),
    Bad("clip_grad_value_-negative", "clipping",
        lambda lib, w: lib.nn.utils.clip_grad_value_(w.model.parameters(), -0.5), ValueError, ("clip_value=-0.5",),
        torch=ACCEPTS),
    Bad("load-missing-file", "checkpoint", lambda lib, w: tg.load(os.path.join(w.dir, "nope.npz")), FileNotFoundError,
        ("nope.npz",), torch=NA),
    Bad("load-truncated-file", "checkpoint", _truncated, tg.serialization.CheckpointError, ("ckpt.npz", "corrupted"),
        torch=NA),
    Bad("save-a-function", "checkpoint",
        lambda lib, w: tg.save({"schedule": lambda epoch: 0.1}, os.path.join(w.dir, "x.npz")), TypeError,
        ("function", "'schedule'"), torch=NA),
] + _dim_cases()


def _under_no_grad(lib: Any, w: World) -> Any:
    with lib.no_grad():
        return (w.w * 2).sum()


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_input_raises_a_clear_error_and_changes_nothing(case: Bad, tmp_path: Any) -> None:
    world = World(tg, tmp_path)
    if case.setup is not None:
        case.setup(tg, world)
    before = world.snapshot()
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # the error is the whole answer: no warnings on the side
        with pytest.raises(case.error) as info:
            case.call(tg, world)
    message = str(info.value)
    for piece in case.says:
        assert piece in message, f"{piece!r} not in the message: {message}"
    assert_unchanged(before, world.snapshot())


@pytest.mark.torch
@pytest.mark.parametrize("case", [c for c in BAD if c.torch is not NA], ids=[c.id for c in BAD if c.torch is not NA])
def test_pytorch_does_what_the_catalogue_says(case: Bad, tmp_path: Any, pytorch: Any) -> None:
    def outcome(torch: Any) -> dict:
        """What PyTorch did: accepted the input, or raised (the exception's classes, most derived first)."""
        world = World(torch, tmp_path)
        if case.setup is not None:
            case.setup(torch, world)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                case.call(torch, world)
            except Exception as error:   # noqa: BLE001 (any exception is an answer here)
                # the message as a reader sees it, without what changes from run to run
                message = re.sub(r"0x[0-9a-f]+", "0x…", str(error).replace(str(tmp_path), "<tmp>"))[:300]
                return {"raised": [c.__name__ for c in type(error).__mro__], "message": message}
        return {"raised": None, "message": ""}
    got = pytorch("outcome", outcome)
    expected = case.error if case.torch is SAME else case.torch
    if expected is ACCEPTS:
        assert got["raised"] is None, f"PyTorch raised {got['raised'][0]}: {got['message']}"
    else:
        assert got["raised"] is not None, "PyTorch accepted it"
        assert got["raised"][0] == expected.__name__ or (expected.__name__ in got["raised"] and expected is not Exception), \
            f"PyTorch raised {got['raised'][0]}: {got['message']}"


def test_the_catalogue_covers_every_kind_of_bad_input() -> None:
    # the mistakes users make most: a kind with no case would go untested without a failure
    kinds = {c.kind for c in BAD}
    assert {"shape", "loss shapes", "dtype", "class target", "optimizer option", "parameter list", "autograd",
            "dim out of range"} <= kinds


# --- a backward that fails halfway ----------------------------------------------------------------

def test_a_backward_that_fails_midway_changes_no_grad() -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    c = tg.tensor([5.0], requires_grad=True)
    loss = (c * 2).sum() + (a * b).sum()     # c's gradient is ready before MulBackward0 runs
    with tg.no_grad():
        b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
    assert a.grad is None and b.grad is None and c.grad is None


# --- zero-size tensors: they must work ------------------------------------------------------------

def _sum_of_nothing() -> tuple:
    x = tg.zeros(0, requires_grad=True)
    total = x.sum()
    total.backward()
    return total.item(), x.grad.shape


def _zero_linear() -> tuple:
    model = tg.nn.Linear(4, 2)
    out = model(tg.zeros(0, 4))
    out.sum().backward()
    return out.shape, model.weight.grad.numpy(), model.bias.grad.numpy()


def _zero_matmul() -> tuple:
    a, b = tg.ones(3, 0, requires_grad=True), tg.ones(0, 4, requires_grad=True)
    out = a @ b
    out.sum().backward()
    return out.numpy(), a.grad.shape, b.grad.shape


def _zero_cross_entropy() -> tuple:
    logits = tg.zeros(0, 5, requires_grad=True)
    loss = tg.nn.functional.cross_entropy(logits, tg.tensor(np.zeros(0, dtype=np.int64)), reduction="sum")
    loss.backward()
    with np.errstate(invalid="ignore"):
        mean = tg.nn.functional.cross_entropy(tg.zeros(0, 5), tg.tensor(np.zeros(0, dtype=np.int64))).item()
    return loss.item(), logits.grad.shape, math.isnan(mean)


def _zero_optimizer_step() -> tuple:
    empty, full = tg.zeros(0, 3, requires_grad=True), tg.ones(2, requires_grad=True)
    opt = tg.optim.Adam([empty, full], lr=0.1)
    (empty.sum() + full.sum()).backward()
    opt.step()
    return empty.shape, full.numpy().round(6).tolist()


def _zero_checkpoint() -> tuple:
    with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "Initializing zero-element tensors is a no-op", as PyTorch says
        path = os.path.join(d, "ckpt.npz")
        tg.save({"empty": tg.zeros(0, 3), "model": tg.nn.Linear(0, 2).state_dict()}, path)
        back = tg.load(path)
    return back["empty"].shape, back["model"]["weight"].shape


def _zero_loader() -> list:
    loader = tg.utils.data.DataLoader(tg.utils.data.TensorDataset(tg.zeros(0, 2), tg.zeros(0)), batch_size=4)
    return list(loader)


def _zero_clip() -> tuple:
    p = tg.zeros(0, requires_grad=True)
    p.grad = tg.zeros(0)
    return tg.nn.utils.clip_grad_norm_([p], 1.0).item(), p.grad.shape


def _zero_gradcheck() -> bool:
    return tg.gradcheck(lambda t: (t * 2).sum(1), tg.zeros(0, 3, requires_grad=True))


ZERO: list[tuple[str, Callable[[], Any], Any]] = [
    ("broadcast (0, 3) + (3,)", lambda: (tg.zeros(0, 3) + tg.ones(3)).shape, (0, 3)),
    ("matmul (0, 3) @ (3, 4)", lambda: (tg.zeros(0, 3) @ tg.ones(3, 4)).shape, (0, 4)),
    ("matmul (3, 0) @ (0, 4): zeros, and gradients of the empty shapes", _zero_matmul,
     (np.zeros((3, 4)), (3, 0), (0, 4))),
    ("Linear on an empty batch", _zero_linear, ((0, 2), np.zeros((2, 4)), np.zeros(2))),
    ("sum of nothing is 0, and its gradient", lambda: _sum_of_nothing(), (0.0, (0,))),
    ("sum over an empty dim", lambda: tg.zeros(2, 0).sum(1).tolist(), [0.0, 0.0]),
    ("mean of nothing is nan, as PyTorch", lambda: math.isnan(tg.zeros(0).mean().item()), True),
    ("softmax of (0, 3)", lambda: tg.zeros(0, 3).softmax(1).shape, (0, 3)),
    ("log_softmax of (0, 3)", lambda: tg.zeros(0, 3).log_softmax(-1).shape, (0, 3)),
    ("logsumexp over an empty dim is -inf", lambda: tg.zeros(0, 2).logsumexp(0).tolist(), [-math.inf, -math.inf]),
    ("amax over a non-empty dim of an empty tensor", lambda: tg.zeros(0, 3).amax(1).shape, (0,)),
    ("cross_entropy of an empty batch: sum 0, mean nan", _zero_cross_entropy, (0.0, (0, 5), True)),
    ("mse_loss of nothing, summed", lambda: tg.nn.functional.mse_loss(tg.zeros(0), tg.zeros(0), reduction="sum").item(),
     0.0),
    ("BCEWithLogits of nothing, summed",
     lambda: tg.nn.BCEWithLogitsLoss(reduction="sum")(tg.zeros(0, 2), tg.zeros(0, 2)).item(), 0.0),
    ("cat with an empty tensor", lambda: tg.cat([tg.zeros(0, 3), tg.ones(2, 3)]).numpy(), np.ones((2, 3))),
    ("stack of empty tensors", lambda: tg.stack([tg.zeros(0), tg.zeros(0)]).shape, (2, 0)),
    ("index with an empty list", lambda: tg.ones(3)[[]].shape, (0,)),
    ("reshape(-1) of (0, 3)", lambda: tg.zeros(0, 3).reshape(-1).shape, (0,)),
    ("Embedding of no indices", lambda: tg.nn.Embedding(4, 2)(tg.tensor(np.zeros(0, dtype=np.int64))).shape, (0, 2)),
    ("optimizer step with an empty parameter", _zero_optimizer_step, ((0, 3), [0.9, 0.9])),
    ("clip_grad_norm_ of empty gradients", _zero_clip, (0.0, (0,))),
    ("save and load empty tensors and a Linear(0, 2)", _zero_checkpoint, ((0, 3), (2, 0))),
    ("DataLoader over an empty dataset", _zero_loader, []),
    ("gradcheck of an empty input", _zero_gradcheck, True),
]


@pytest.mark.parametrize("name, run, expected", ZERO, ids=[z[0] for z in ZERO])
def test_zero_size_tensors_work(name: str, run: Callable[[], Any], expected: Any) -> None:
    result = run()
    _assert_equal(result, expected)


def _assert_equal(result: Any, expected: Any) -> None:
    if isinstance(expected, tuple) and isinstance(result, tuple) and not all(isinstance(e, int) for e in expected):
        assert len(result) == len(expected)
        for r, e in zip(result, expected):
            _assert_equal(r, e)
    elif isinstance(expected, np.ndarray):
        np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-12)
    else:
        assert result == expected


# --- Python lists, NumPy arrays and scalars mixed with tensors: they must work --------------------

def _leaf(values: list, dtype: Any = np.float64) -> tg.Tensor:
    return tg.tensor(np.array(values, dtype=dtype), requires_grad=True)


def _value_and_grad(make: Callable[[tg.Tensor], tg.Tensor], values: list, dtype: Any = np.float64) -> tuple:
    x = _leaf(values, dtype)
    out = make(x)
    out.sum().backward()
    return out.numpy(), x.grad.numpy(), out.dtype


def _model_on(data: Any) -> tuple:
    tg.manual_seed(0)
    model = tg.nn.Linear(2, 1)
    out = model(data)
    out.sum().backward()
    expected = np.asarray(data, dtype=np.float64) @ model.weight.numpy().T + model.bias.numpy()
    return bool(np.allclose(out.numpy(), expected)), isinstance(out, tg.Tensor), model.weight.grad is not None


def _in_place_with_array() -> list:
    t = tg.ones(3)
    t += np.array([1.0, 2.0, 3.0])
    t *= 2
    return t.tolist()


MIXED: list[tuple[str, Callable[[], Any], Any]] = [
    ("tensor + list", lambda: _value_and_grad(lambda x: x + [1.0, 2.0, 3.0], [1.0, 1.0, 1.0]),
     (np.array([2.0, 3.0, 4.0]), np.ones(3), np.dtype(np.float64))),
    ("list - tensor", lambda: _value_and_grad(lambda x: [1.0, 2.0, 3.0] - x, [1.0, 1.0, 1.0]),
     (np.array([0.0, 1.0, 2.0]), -np.ones(3), np.dtype(np.float64))),
    ("ndarray * tensor (NumPy on the left)", lambda: _value_and_grad(lambda x: np.array([2.0, 3.0]) * x, [1.0, 2.0]),
     (np.array([2.0, 6.0]), np.array([2.0, 3.0]), np.dtype(np.float64))),
    ("tensor @ ndarray", lambda: _value_and_grad(lambda x: x @ np.eye(2) * 3, [1.0, 2.0]),
     (np.array([3.0, 6.0]), np.array([3.0, 3.0]), np.dtype(np.float64))),
    ("ndarray @ tensor", lambda: _value_and_grad(lambda x: np.array([[1.0, 1.0]]) @ x.reshape(2, 1), [1.0, 2.0]),
     (np.array([[3.0]]), np.array([1.0, 1.0]), np.dtype(np.float64))),
    ("Python scalar ** tensor", lambda: _value_and_grad(lambda x: 2 ** x, [1.0, 3.0]),
     (np.array([2.0, 8.0]), np.array([2.0, 8.0]) * math.log(2), np.dtype(np.float64))),
    ("float32 tensor - NumPy float64 scalar stays float32",
     lambda: _value_and_grad(lambda x: x - np.float64(1.5), [1.0, 2.0], np.float32),
     (np.array([-0.5, 0.5]), np.ones(2), np.dtype(np.float32))),
    ("float32 tensor * Python float stays float32",
     lambda: _value_and_grad(lambda x: x * 0.5, [1.0, 2.0], np.float32),
     (np.array([0.5, 1.0]), np.full(2, 0.5), np.dtype(np.float32))),
    ("float tensor * int tensor is float", lambda: _value_and_grad(lambda x: x * tg.tensor([2, 3]), [1.0, 1.0]),
     (np.array([2.0, 3.0]), np.array([2.0, 3.0]), np.dtype(np.float64))),
    ("float32 tensor * bool mask", lambda: _value_and_grad(lambda x: x * tg.tensor([True, False]), [1.0, 2.0],
                                                           np.float32),
     (np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.dtype(np.float32))),
    ("np.exp(tensor) keeps the graph", lambda: _value_and_grad(lambda x: np.exp(x), [0.0, 1.0]),
     (np.array([1.0, math.e]), np.array([1.0, math.e]), np.dtype(np.float64))),
    ("maximum with a Python float", lambda: _value_and_grad(lambda x: x.maximum(0.0), [-1.0, 2.0]),
     (np.array([0.0, 2.0]), np.array([0.0, 1.0]), np.dtype(np.float64))),
    ("where with a list condition and a scalar", lambda: _value_and_grad(lambda x: tg.where([True, False], x, 0.0),
                                                                         [1.0, 2.0]),
     (np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.dtype(np.float64))),
    ("clamp with NumPy bounds", lambda: _value_and_grad(lambda x: x.clamp(np.float64(0.0), np.float64(1.5)),
                                                        [-1.0, 1.0, 2.0]),
     (np.array([0.0, 1.0, 1.5]), np.array([0.0, 1.0, 0.0]), np.dtype(np.float64))),
    ("cat of a tensor and an ndarray", lambda: _value_and_grad(lambda x: tg.cat([x, np.array([5.0])]), [1.0, 2.0]),
     (np.array([1.0, 2.0, 5.0]), np.ones(2), np.dtype(np.float64))),
    ("stack of a tensor and a list", lambda: _value_and_grad(lambda x: tg.stack([x, [3.0, 4.0]]), [1.0, 2.0]),
     (np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones(2), np.dtype(np.float64))),
    ("index with a list and with an ndarray", lambda: _value_and_grad(lambda x: x[[0, 2]] + x[np.array([2])],
                                                                      [1.0, 2.0, 3.0]),
     (np.array([4.0, 6.0]), np.array([1.0, 0.0, 3.0]), np.dtype(np.float64))),
    ("tensor() of a list of 0-d tensors", lambda: tg.tensor([tg.tensor(1.0), tg.tensor(2.0)]).tolist(), [1.0, 2.0]),
    ("comparison with a list", lambda: (tg.tensor([0.0, 1.0, 2.0]) > [1, 0, 2]).tolist(), [False, True, False]),
    ("in-place with an ndarray", _in_place_with_array, [4.0, 6.0, 8.0]),
    ("Python sum() of tensors", lambda: sum([tg.tensor(1.0), tg.tensor(2.5)]).item(), 3.5),
    ("float() and int() of one element", lambda: (float(tg.tensor([2.5])), int(tg.tensor(3))), (2.5, 3)),
    ("mse_loss against a list target",
     lambda: tg.nn.functional.mse_loss(tg.tensor([1.0, 2.0]), [1.0, 4.0]).item(), 2.0),
    ("mse_loss against an ndarray target",
     lambda: tg.nn.MSELoss(reduction="sum")(tg.tensor([1.0, 2.0]), np.array([0.0, 0.0])).item(), 5.0),
    ("cross_entropy with a list of class indices",
     lambda: round(tg.nn.functional.cross_entropy(tg.zeros(2, 4), [1, 3]).item(), 12), round(math.log(4), 12)),
    ("cross_entropy with an int ndarray target",
     lambda: round(tg.nn.CrossEntropyLoss()(tg.zeros(2, 4), np.array([0, 2])).item(), 12), round(math.log(4), 12)),
    ("BCEWithLogitsLoss with an ndarray target",
     lambda: round(tg.nn.BCEWithLogitsLoss()(tg.zeros(2), np.array([0.0, 1.0])).item(), 12), round(math.log(2), 12)),
    ("a model on an ndarray", lambda: _model_on(np.array([[1.0, 2.0], [3.0, 4.0]])), (True, True, True)),
    ("a model on a list of lists", lambda: _model_on([[1.0, 2.0], [3.0, 4.0]]), (True, True, True)),
]


@pytest.mark.parametrize("name, run, expected", MIXED, ids=[m[0] for m in MIXED])
def test_lists_arrays_and_scalars_mix_with_tensors(name: str, run: Callable[[], Any], expected: Any) -> None:
    _assert_equal(run(), expected)


def test_catalogue_size() -> None:
    """The README says this file feeds the public API 150 bad inputs and 50 that must work."""
    assert len(BAD) >= 150
    assert len(ZERO) >= 20 and len(MIXED) >= 25 and len(ZERO) + len(MIXED) >= 50
