"""Error messages name dtypes one way, PyTorch's as this library spells it: `tinygrad_la.int64`.

A message that formats a NumPy array's dtype prints NumPy's bare `int64`; one that formats a
Tensor's prints `tinygrad_la.int64`. Each case below makes one error site raise and checks that
every dtype name in its message carries the `tinygrad_la.` prefix, and that the dtypes the
mistake is about are named.
"""
from __future__ import annotations

import io
import json
import operator
import re
import zipfile
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn.functional as F
from tinygrad_la import nn
from tinygrad_la.core.function import Op
from tinygrad_la.serialization import CheckpointError

# a dtype name NumPy or PyTorch would print, anywhere in a message
_NAME = r"(?:u?int(?:8|16|32|64)|float(?:16|32|64)|complex(?:64|128)|bool|str\d+|bytes\d+)"
_BARE = re.compile(rf"(?<![\w.])(?<!tinygrad_la\.){_NAME}\b")
_REPR = re.compile(r"dtype\(|<[UfiSc]\d|\|[SbuV]\d")   # dtype('int64'), <f8, |S2: NumPy's reprs


def _message(call: Callable[[], Any], error: type[BaseException] = Exception) -> str:
    with pytest.raises(error) as caught:
        call()
    return str(caught.value)


# --- the calls ------------------------------------------------------------------------------------

def _sgd_int_param() -> None:
    tg.optim.SGD([tg.tensor([1, 2])], lr=0.1)


def _sgd_grad_of_another_shape() -> None:
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.SGD([p], lr=0.1)
    p._grad = tg.tensor([1, 2, 3])   # what a hand-written training loop can leave there
    opt.step()


def _adam_int_state() -> None:
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.Adam([p])
    p.sum().backward()
    opt.step()
    opt.state[p]["exp_avg"] = tg.tensor([0, 0])
    p.sum().backward()
    opt.step()


def _adam_loads_complex_state() -> None:
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.Adam([p])
    p.sum().backward()
    opt.step()
    state = opt.state_dict()
    state["state"][0]["exp_avg"] = np.array([1j, 2j])
    opt.load_state_dict(state)


def _linear_int_input() -> None:
    nn.Linear(2, 3)(tg.tensor([[1, 2]]))


def _linear_float32_input_float64_weight() -> None:
    nn.Linear(2, 3).double()(tg.tensor([[1.0, 2.0]], dtype=tg.float32))


def _conv_int_input() -> None:
    F.conv2d(tg.ones(1, 1, 3, 3, dtype=tg.int64), tg.ones(1, 1, 2, 2))


def _conv_float32_input_float64_weight() -> None:
    F.conv2d(tg.ones(1, 1, 3, 3, dtype=tg.float32), tg.ones(1, 1, 2, 2, dtype=tg.float64))


def _matmul_float32_float64() -> None:
    _ = tg.ones(2, 2, dtype=tg.float32) @ tg.ones(2, 2, dtype=tg.float64)


def _matmul_tensor_array() -> None:
    _ = tg.ones(2, 2, dtype=tg.float64) @ np.ones((2, 2), dtype=np.float32)


def _module_to_int() -> None:
    nn.Linear(2, 3).to(tg.int64)


def _module_loads_complex_weight() -> None:
    model = nn.Linear(2, 3)
    state: dict[str, Any] = dict(model.state_dict())
    state["weight"] = np.ones((3, 2), dtype=np.complex128)
    model.load_state_dict(state)


def _embedding_float_indices() -> None:
    F.embedding(tg.tensor([0.0, 1.0]), tg.ones(3, 2))


def _one_hot_float() -> None:
    F.one_hot(tg.tensor([0.0, 1.0]))


def _mse_int_target() -> None:
    F.mse_loss(tg.tensor([1.0, 2.0]), tg.tensor([1, 2]))


def _cross_entropy_int_scores() -> None:
    F.cross_entropy(tg.tensor([[1, 2]]), tg.tensor([0]))


def _cross_entropy_complex_target() -> None:
    F.cross_entropy(tg.ones(2, 3), np.array([0j, 1j]))


def _nll_float_target() -> None:
    F.nll_loss(tg.ones(2, 3), tg.tensor([0.0, 1.0]))


def _histc_int() -> None:
    tg.histc(tg.tensor([1, 2, 3]))


def _histogram_int() -> None:
    tg.histogram(tg.tensor([1, 2, 3]))


def _requires_grad_int() -> None:
    tg.tensor([1, 2]).requires_grad = True


def _grad_of_another_kind() -> None:
    tg.tensor([1.0, 2.0], requires_grad=True).grad = tg.tensor([1, 2])


def _data_set_to_int() -> None:
    tg.tensor([1.0, 2.0], requires_grad=True).data = tg.tensor([1, 2])


def _multinomial_3d() -> None:
    tg.multinomial(tg.ones(1, 1, 2), 1)


def _gradcheck_float32() -> None:
    tg.gradcheck(lambda x: x * 2, (tg.tensor([1.0], dtype=tg.float32, requires_grad=True),))


def _index_of_float() -> None:
    operator.index(tg.tensor(1.5))


def _vector_norm_int() -> None:
    tg.linalg.vector_norm(tg.tensor([3, 4]))


def _mean_int() -> None:
    tg.tensor([1, 2]).mean()


def _log_softmax_int() -> None:
    tg.tensor([1, 2]).log_softmax(0)


def _int_tensor_added_in_place_a_float() -> None:
    x = tg.tensor([1, 2])
    x += 0.5


def _int_tensor_clamped_in_place_to_a_float() -> None:
    tg.tensor([1, 2]).clamp_(0.5)


class _Refuses(Op):   # a built-in op: NumPy's errors in its forward are said with its inputs' shapes and dtypes
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        raise ValueError("this function takes no inputs")   # what a NumPy call inside a forward may raise


def _function_with_an_array_argument() -> None:
    _Refuses.apply(tg.tensor([1.0], requires_grad=True), np.ones(1, dtype=np.float32))


def _set_default_int() -> None:
    tg.set_default_dtype(tg.int64)


# --- crafted checkpoints (serialization) ------------------------------------------------------------

def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _manifest(root: Any) -> bytes:
    return _npy(np.array(json.dumps({"format": "tinygrad_la.checkpoint", "version": 1, "root": root})))


def _load_crafted(members: list[tuple[str, bytes]]) -> Callable[[], Any]:
    def load() -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in members:
                archive.writestr(name, data)
        buffer.seek(0)
        tg.load(buffer)
    return load


def _short_member() -> bytes:
    header = io.BytesIO()   # declares four int64 entries, holds 8 bytes
    np.lib.format.write_array_header_1_0(header, {"descr": "<i8", "fortran_order": False, "shape": (4,)})
    return header.getvalue() + bytes(8)


CASES: list[tuple[str, Callable[[], Any], type[BaseException], list[str]]] = [
    ("optimizer: int parameter", _sgd_int_param, TypeError, ["tinygrad_la.int64"]),
    ("optimizer.step: grad of another shape", _sgd_grad_of_another_shape, RuntimeError,
     ["dtype tinygrad_la.float64", "dtype tinygrad_la.int64"]),
    ("optimizer: int state", _adam_int_state, RuntimeError, ["tinygrad_la.int64"]),
    ("optimizer.load_state_dict: complex state", _adam_loads_complex_state, ValueError,
     ["tinygrad_la.complex128"]),
    ("linear: int input", _linear_int_input, Exception, ["tinygrad_la.int64", "tinygrad_la.float64"]),
    ("linear: float32 input, float64 weight", _linear_float32_input_float64_weight, Exception,
     ["tinygrad_la.float32", "tinygrad_la.float64"]),
    ("conv2d: int input", _conv_int_input, RuntimeError, ["tinygrad_la.int64"]),
    ("conv2d: float32 input, float64 weight", _conv_float32_input_float64_weight, RuntimeError,
     ["tinygrad_la.float32", "tinygrad_la.float64"]),
    ("matmul: float32 @ float64", _matmul_float32_float64, RuntimeError,
     ["tinygrad_la.float32 != tinygrad_la.float64"]),
    ("matmul: tensor @ array", _matmul_tensor_array, RuntimeError, ["tinygrad_la.float64 != tinygrad_la.float32"]),
    ("Module.to(int64)", _module_to_int, TypeError, ["dtype=tinygrad_la.int64"]),
    ("Module.load_state_dict: complex array", _module_loads_complex_weight, RuntimeError,
     ["of dtype tinygrad_la.complex128"]),
    ("embedding: float indices", _embedding_float_indices, TypeError, ["tinygrad_la.float64"]),
    ("one_hot: float labels", _one_hot_float, TypeError, ["tinygrad_la.float64"]),
    ("mse_loss: int target", _mse_int_target, TypeError, ["tinygrad_la.float64", "tinygrad_la.int64"]),
    ("cross_entropy: int scores", _cross_entropy_int_scores, TypeError, ["tinygrad_la.int64"]),
    ("cross_entropy: complex target", _cross_entropy_complex_target, TypeError, ["tinygrad_la.complex128"]),
    ("nll_loss: float target", _nll_float_target, TypeError, ["tinygrad_la.float64"]),
    ("histc: int input", _histc_int, RuntimeError, ["tinygrad_la.int64"]),
    ("histogram: int input", _histogram_int, RuntimeError, ["tinygrad_la.int64"]),
    ("requires_grad on an int tensor", _requires_grad_int, RuntimeError, ["dtype tinygrad_la.int64"]),
    ("grad of another kind", _grad_of_another_kind, RuntimeError, ["tinygrad_la.int64", "tinygrad_la.float64"]),
    ("data set to an int tensor", _data_set_to_int, RuntimeError, ["tinygrad_la.int64"]),
    ("multinomial: 3-d weights", _multinomial_3d, RuntimeError, ["tinygrad_la.float64"]),
    ("gradcheck: float32 input", _gradcheck_float32, TypeError, ["tinygrad_la.float32"]),
    ("__index__ of a float tensor", _index_of_float, TypeError, ["tinygrad_la.float64"]),
    ("vector_norm: int input", _vector_norm_int, RuntimeError, ["tinygrad_la.int64"]),
    ("mean: int input", _mean_int, RuntimeError, ["tinygrad_la.int64"]),
    ("log_softmax: int input", _log_softmax_int, TypeError, ["tinygrad_la.int64"]),
    ("in-place: int += float", _int_tensor_added_in_place_a_float, RuntimeError,
     ["tinygrad_la.float64", "tinygrad_la.int64"]),
    ("in-place: int.clamp_(float)", _int_tensor_clamped_in_place_to_a_float, RuntimeError,
     ["result type tinygrad_la.float64 can't be cast to the desired output type tinygrad_la.int64"]),
    ("Function.forward raising for an array argument", _function_with_an_array_argument, RuntimeError,
     ["dtypes tinygrad_la.float64, tinygrad_la.float32"]),
    ("set_default_dtype(int64)", _set_default_int, TypeError, ["tinygrad_la.int64"]),
    ("load: a member shorter than its header declares",
     _load_crafted([("__tinygrad_la__.npy", _manifest({"tensor": "w"})), ("w.npy", _short_member())]),
     CheckpointError, ["dtype tinygrad_la.int64"]),
    ("load: a manifest that is not a string",
     _load_crafted([("__tinygrad_la__.npy", _npy(np.ones(2)))]), CheckpointError, ["dtype tinygrad_la.float64"]),
]


@pytest.mark.parametrize("call, error, names", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_an_error_names_dtypes_as_tinygrad_la_does(call: Callable[[], Any], error: type[BaseException],
                                                   names: list[str]) -> None:
    message = _message(call, error)
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"
    assert not _BARE.findall(message), f"bare NumPy dtype names {_BARE.findall(message)} in {message!r}"
    assert not _REPR.search(message), f"a NumPy dtype repr in {message!r}"


def test_the_crafting_helper_makes_a_loadable_checkpoint() -> None:
    loaded = _load_crafted([("__tinygrad_la__.npy", _manifest({"tensor": "s"})), ("s.npy", _npy(np.array([True])))])
    loaded()   # a bool member is a tensor of numbers: it loads, so the crafted failures fail for their reason


def test_the_check_catches_numpys_spelling() -> None:
    """The check itself can fail: NumPy's names and reprs are caught, ours pass."""
    for bare in ["got dtype int64", "(float32)", "dtype('int64')", "has dtype <f8", "bool and float16", "str96"]:
        assert _BARE.search(bare) or _REPR.search(bare), bare
    for ours in ["got dtype tinygrad_la.int64", "(tinygrad_la.float32)", "tinygrad_la.bool", "x.float()",
                 "floating point", "int64x", "x.double()"]:
        assert not _BARE.search(ours) and not _REPR.search(ours), ours


def test_public_names_every_numpy_dtype_the_messages_meet() -> None:
    for numpy_dtype, name in [(np.int64, "tinygrad_la.int64"), (np.float32, "tinygrad_la.float32"),
                              (np.bool_, "tinygrad_la.bool"), (np.complex128, "tinygrad_la.complex128")]:
        assert str(tg.core.dtypes.public(np.dtype(numpy_dtype))) == name
        assert str(tg.core.dtypes.public(tg.core.dtypes.public(numpy_dtype))) == name
    for kind in ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool", "complex128",
                 "<U3", "S2"]:   # core.random spells a dtype as tinygrad_la.<NumPy's name> (it sits below core.dtypes)
        assert str(tg.core.dtypes.public(np.dtype(kind))) == f"tinygrad_la.{np.dtype(kind).name}"
