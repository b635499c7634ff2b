"""Tensors print as PyTorch 2.13 prints them (torch/_tensor_str.py): the shared formatter, wrapping, summaries,
empty and 0-d tensors, suffixes, Parameter and subclasses, __format__, and set_printoptions.

The hand-written cases hold PyTorch's strings and run on both libraries: on tinygrad_la everywhere, and on
torch where it is installed, so each expected string is checked to be PyTorch's own. The sweep
(tests/record_pytorch_printing.py: hand-picked edges, then seeded draws of shapes, dtypes, magnitudes, nan/inf,
autograd states and print options) is compared with PyTorch's recorded strings (tests/fixtures/pytorch_printing.json)
everywhere, and with live PyTorch where installed, on the recorded cases, on 1000 more and on hypothesis's draws.
PyTorch's "torch." is read as "tinygrad_la." throughout.
"""
from __future__ import annotations

import time
import warnings
from typing import Any, Callable, Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_la as tg
from tinygrad_la import printing
from tinygrad_la.testing import shapes

from tests import record_pytorch_printing as recording

RECORDED = recording.load()


@pytest.fixture(autouse=True)
def _default_print_options() -> Iterator[None]:
    yield
    tg.set_printoptions(profile="default")


@pytest.fixture(params=["tinygrad_la", pytest.param("torch", marks=pytest.mark.torch)])
def lib(request: pytest.FixtureRequest) -> Iterator[Any]:
    """tinygrad_la, or torch where installed; float64 by default in both (tinygrad_la's default)."""
    module = tg if request.param == "tinygrad_la" else pytest.importorskip("torch")
    previous = module.get_default_dtype()
    module.set_default_dtype(module.float64)
    try:
        yield module
    finally:
        module.set_default_dtype(previous)
        module.set_printoptions(profile="default")


def printed(t: Any) -> str:
    """repr(t), which str(t) must equal, with PyTorch's "torch." read as "tinygrad_la."."""
    text = repr(t)
    assert str(t) == text
    return text.replace("torch.", "tinygrad_la.")


def complex_dtype(lib: Any, name: str) -> Any:
    """lib.complex64 or lib.complex128 (tinygrad_la names no complex dtypes yet: NumPy's stand in)."""
    return getattr(lib, name, np.dtype(name))


def options_module(lib: Any) -> Any:
    """Where get_printoptions and printoptions live: torch._tensor_str, and tinygrad_la.printing."""
    return printing if lib is tg else lib._tensor_str


# --- the rules, one example each ------------------------------------------------------------------------

Make = Callable[[Any], Any]

RULES: list[tuple[Make, str]] = [
    (lambda lib: lib.tensor([1.0, 2.0, 3.0]), "tensor([1., 2., 3.])"),                 # integer mode
    (lambda lib: lib.tensor([0.42, 1.5]), "tensor([0.4200, 1.5000])"),                  # fixed, 4 decimals
    (lambda lib: lib.tensor([1.0, 1e5]), "tensor([1.0000e+00, 1.0000e+05])"),           # max/min > 1000
    (lambda lib: lib.tensor([1.0, 1000.0]), "tensor([   1., 1000.])"),                  # max/min = 1000: not past
    (lambda lib: lib.tensor([1e-4, 0.05]), "tensor([0.0001, 0.0500])"),                 # min = 1e-4: not below
    (lambda lib: lib.tensor([1e8, 2e5]), "tensor([100000000.,    200000.])"),           # max = 1e8: not past
    (lambda lib: lib.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),          # min < 1e-4
    (lambda lib: lib.tensor([123456789.0]), "tensor([1.2346e+08])"),                    # max > 1e8
    (lambda lib: lib.tensor(2.5e-3), "tensor(0.0025)"),
    (lambda lib: lib.tensor([1.0, np.nan, np.inf]), "tensor([1., nan, inf])"),         # no "." on nan, inf
    (lambda lib: lib.tensor([0.5, np.nan]), "tensor([0.5000,    nan])"),                # right-aligned
    (lambda lib: lib.tensor([[1.0, -np.inf]]), "tensor([[1., -inf]])"),
    (lambda lib: lib.tensor([np.nan, 0.0]), "tensor([nan, 0.])"),                      # nothing to choose by
    (lambda lib: lib.tensor([1e-5, 0.0, np.inf]), "tensor([1.0000e-05, 0.0000e+00,        inf])"),
    (lambda lib: lib.tensor([-0.0, 0.0]), "tensor([-0., 0.])"),
    (lambda lib: lib.tensor([1, -20, 300]), "tensor([  1, -20, 300])"),
    (lambda lib: lib.tensor([True, False]), "tensor([ True, False])"),
    (lambda lib: lib.tensor([1 + 2j, -0.5j]), "tensor([1.+2.0000j, -0.-0.5000j])"),   # real, imag: one each
    (lambda lib: lib.tensor(3.0), "tensor(3.)"),
    (lambda lib: lib.tensor(True), "tensor(True)"),
    (lambda lib: lib.tensor(7, dtype=lib.int32), "tensor(7, dtype=tinygrad_la.int32)"),
    (lambda lib: lib.tensor(0.5, requires_grad=True), "tensor(0.5000, requires_grad=True)"),
    (lambda lib: lib.tensor([]), "tensor([])"),
    (lambda lib: lib.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda lib: lib.zeros(0, dtype=lib.int64), "tensor([], dtype=tinygrad_la.int64)"),  # no elements tell int
    (lambda lib: lib.zeros(2, 0, dtype=lib.bool), "tensor([], size=(2, 0), dtype=tinygrad_la.bool)"),
    (lambda lib: lib.zeros(0, dtype=complex_dtype(lib, "complex128")), "tensor([], dtype=tinygrad_la.complex128)"),
    (lambda lib: lib.tensor([1.5, 2.5], dtype=lib.float32, requires_grad=True) * 2,
     "tensor([3., 5.], dtype=tinygrad_la.float32, grad_fn=<MulBackward0>)"),
    (lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float16), "tensor([1., 2.], dtype=tinygrad_la.float16)"),
    (lambda lib: lib.tensor([1, 2], dtype=lib.uint8), "tensor([1, 2], dtype=tinygrad_la.uint8)"),
    (lambda lib: lib.arange(12.0).reshape(2, 3, 2),                                     # blank line between blocks
     "tensor([[[ 0.,  1.],\n         [ 2.,  3.],\n         [ 4.,  5.]],\n\n"
     "        [[ 6.,  7.],\n         [ 8.,  9.],\n         [10., 11.]]])"),
    (lambda lib: lib.tensor(np.linspace(0, 1, 12)),                                      # 9 fit in 80 columns
     "tensor([0.0000, 0.0909, 0.1818, 0.2727, 0.3636, 0.4545, 0.5455, 0.6364, 0.7273,\n"
     "        0.8182, 0.9091, 1.0000])"),
    (lambda lib: lib.arange(30.0).reshape(3, 10) / 7,                                    # rows wrap one further in
     "tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n         1.2857],\n"
     "        [1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286, 2.5714,\n         2.7143],\n"
     "        [2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143, 3.8571, 4.0000,\n         4.1429]])"),
    (lambda lib: lib.arange(2000).reshape(2, 1000),                                      # past 1000: summarized
     "tensor([[   0,    1,    2,  ...,  997,  998,  999],\n        [1000, 1001, 1002,  ..., 1997, 1998, 1999]])"),
]


@pytest.mark.parametrize("make, expected", RULES)
def test_prints_as_pytorch(lib: Any, make: Make, expected: str) -> None:
    assert printed(make(lib)) == expected


def test_a_40_by_50_arange_summarizes_in_scientific_mode(lib: Any) -> None:
    # 2000 elements: the 36 shown range over 1..1999 once the zero is set aside, a ratio past 1000
    assert printed(lib.arange(2000.0).reshape(40, 50)) == (
        "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n"
        "         4.9000e+01],\n"
        "        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n"
        "         9.9000e+01],\n"
        "        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n"
        "         1.4900e+02],\n"
        "        ...,\n"
        "        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n"
        "         1.8990e+03],\n"
        "        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n"
        "         1.9490e+03],\n"
        "        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
        "         1.9990e+03]])")


@pytest.mark.parametrize("make, expected", [
    (lambda lib: lib.tensor(np.arange(9.0) / 8, dtype=lib.float32, requires_grad=True),   # the row fills the line
     "tensor([0.0000, 0.1250, 0.2500, 0.3750, 0.5000, 0.6250, 0.7500, 0.8750, 1.0000],\n"
     "       dtype=tinygrad_la.float32, requires_grad=True)"),
    (lambda lib: lib.tensor(np.arange(18.0) / 8, requires_grad=True) * 2,
     "tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000, 1.2500, 1.5000, 1.7500, 2.0000,\n"
     "        2.2500, 2.5000, 2.7500, 3.0000, 3.2500, 3.5000, 3.7500, 4.0000, 4.2500],\n"
     "       grad_fn=<MulBackward0>)"),
    (lambda lib: lib.tensor(np.arange(4) / 8, dtype=lib.float16, requires_grad=True) * 2,    # only the second moves
     "tensor([0.0000, 0.2500, 0.5000, 0.7500], dtype=tinygrad_la.float16,\n       grad_fn=<MulBackward0>)"),
    # measured with PyTorch's "torch.float16", this fits in 80 columns: the line breaks where PyTorch's does
    (lambda lib: lib.tensor(np.arange(3) / 8, dtype=lib.float16, requires_grad=True) * 2,
     "tensor([0.0000, 0.2500, 0.5000], dtype=tinygrad_la.float16, grad_fn=<MulBackward0>)"),
])
def test_a_suffix_that_would_pass_the_line_width_starts_a_new_line(lib: Any, make: Make, expected: str) -> None:
    assert printed(make(lib)) == expected


def test_under_a_float32_default_float64_shows_its_dtype(lib: Any) -> None:
    lib.set_default_dtype(lib.float32)
    assert printed(lib.tensor([0.5], dtype=lib.float64)) == "tensor([0.5000], dtype=tinygrad_la.float64)"
    assert printed(lib.tensor([0.5], dtype=lib.float32)) == "tensor([0.5000])"
    assert printed(lib.tensor([0.5j], dtype=complex_dtype(lib, "complex64"))) == "tensor([0.+0.5000j])"
    complex128 = complex_dtype(lib, "complex128")
    assert printed(lib.tensor([0.5j], dtype=complex128)) == "tensor([0.+0.5000j], dtype=tinygrad_la.complex128)"


def test_printing_the_extremes_warns_of_nothing(lib: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # the ratio 1e308 / 1e-308 overflows to inf, which is fine
        assert printed(lib.tensor([1e308, 1e-308, 5e-324])) == "tensor([1.0000e+308, 1.0000e-308, 4.9407e-324])"


def test_a_summary_formats_only_the_shown_elements(lib: Any) -> None:
    x = lib.ones(1000, 1000)
    x[500, 500] = 1e30              # hidden by the summary: it must not switch the style to scientific
    rows = ["[1., 1., 1.,  ..., 1., 1., 1.]"] * 3
    assert printed(x) == ("tensor([" + ",\n        ".join(rows + ["..."] + rows) + "])")


def test_a_million_elements_print_fast() -> None:
    x = tg.randn(1000, 1000)
    best = min(_seconds(lambda: repr(x)) for _ in range(3))
    assert best < 0.05, f"repr of a 1000x1000 tensor took {best:.3f} s"


def _seconds(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


# --- Parameter, subclasses, __format__ -------------------------------------------------------------------

def test_a_parameter_prints_a_header_above_its_tensor(lib: Any) -> None:
    assert printed(lib.nn.Parameter(lib.tensor([1.0, 2.0]))) == (
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    assert printed(lib.nn.Parameter(lib.tensor([1.0, 2.0]), requires_grad=False)) == (
        "Parameter containing:\ntensor([1., 2.])")
    assert printed(lib.nn.Parameter(lib.tensor(2.0))) == "Parameter containing:\ntensor(2., requires_grad=True)"


def _subclass(lib: Any, name: str, base: type) -> type:
    return type(name, (base,), {"__slots__": ()} if lib is tg else {})


def test_a_subclass_prints_its_name_and_a_parameter_subclass_is_wrapped(lib: Any) -> None:
    scaled = _subclass(lib, "Scaled", lib.Tensor)
    x = scaled(np.array([1.0, 2.0])) if lib is tg else lib.tensor([1.0, 2.0]).as_subclass(scaled)
    assert printed(x) == "Scaled([1., 2.])"
    mine = _subclass(lib, "MyParameter", lib.nn.Parameter)
    assert printed(mine(lib.tensor([1.0, 2.0]))) == (
        "Parameter containing:\nParameter(MyParameter([1., 2.], requires_grad=True))")


def test_a_0d_tensor_formats_its_number_and_others_their_str(lib: Any) -> None:
    assert f"{lib.tensor(0.123456):.2f}" == "0.12" and f"{lib.tensor(0.5)}" == "0.5"
    assert f"{lib.tensor(0.5, requires_grad=True) * 2:>5}" == "  1.0" and f"{lib.tensor(3)}" == "3"
    assert f"{lib.tensor([0.5])}" == "tensor([0.5000])"
    parameter = lib.nn.Parameter(lib.tensor(0.5))
    assert f"{parameter}".replace("torch.", "tinygrad_la.") == "Parameter containing:\ntensor(0.5000, requires_grad=True)"


@pytest.mark.parametrize("make, name", [(lambda lib: lib.tensor([0.5]), "Tensor"),
                                        (lambda lib: lib.nn.Parameter(lib.tensor(0.5)), "Parameter")])
def test_a_format_spec_on_anything_but_a_0d_tensor_raises(lib: Any, make: Make, name: str) -> None:
    with pytest.raises(TypeError, match=f"unsupported format string passed to {name}.__format__"):
        f"{make(lib):.2f}"


# --- set_printoptions ------------------------------------------------------------------------------------

def test_set_printoptions_sets_the_options_and_profiles_set_them_all(lib: Any) -> None:
    x = lib.tensor([1.0 / 3, 2.0, 10.0])
    lib.set_printoptions(precision=2)
    assert printed(x) == "tensor([ 0.33,  2.00, 10.00])"
    lib.set_printoptions(threshold=2, edgeitems=1)
    assert printed(x) == "tensor([ 0.33,  ..., 10.00])"     # the formatter saw 1/3 and 10 only
    lib.set_printoptions(profile="default")
    assert printed(x) == "tensor([ 0.3333,  2.0000, 10.0000])"
    lib.set_printoptions(profile="short")
    assert options_module(lib).get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 2,
                                                      "linewidth": 80, "sci_mode": None}
    lib.set_printoptions(profile="full")
    assert printed(lib.arange(1001)).count("...") == 0
    lib.set_printoptions(profile="short", precision=3)       # the profile first, then the options given
    assert printed(x) == "tensor([ 0.333,  2.000, 10.000])"


def test_sci_mode_is_forced_until_the_next_call_leaves_it_out(lib: Any) -> None:
    lib.set_printoptions(sci_mode=True)
    assert printed(lib.tensor([1.0, 2.5])) == "tensor([1.0000e+00, 2.5000e+00])"
    lib.set_printoptions(sci_mode=False)
    assert printed(lib.tensor([1.0, 1e5])) == "tensor([     1., 100000.])"   # one width for all
    assert printed(lib.tensor([1e-5, 1.0])) == "tensor([0.0000, 1.0000])"
    lib.set_printoptions(precision=4)        # sci_mode left out is the automatic choice again
    assert printed(lib.tensor([1.0, 1e5])) == "tensor([1.0000e+00, 1.0000e+05])"


def test_edgeitems_zero_shows_the_size_and_dots(lib: Any) -> None:
    lib.set_printoptions(threshold=5, edgeitems=0)
    assert printed(lib.zeros(2, 4)) == "tensor([...], size=(2, 4))"
    assert printed(lib.zeros(8)) == "tensor([...], size=(8,))"
    assert printed(lib.zeros(3)) == "tensor([0., 0., 0.], size=(3,))"   # not summarized, but the size shows


def test_linewidth_sets_how_many_fit_on_a_line(lib: Any) -> None:
    lib.set_printoptions(precision=1, linewidth=20)
    # (20 - len("tensor(")) // len("0.2, ") = 2 a line
    assert printed(lib.tensor([0.25, 1.5, 2.0, 3.0, 4.0])) == "tensor([0.2, 1.5,\n        2.0, 3.0,\n        4.0])"
    lib.set_printoptions(linewidth=1)                         # one a line, however narrow
    assert printed(lib.tensor([1, 2])) == "tensor([1,\n        2])"


def test_printoptions_sets_the_options_for_the_block_only(lib: Any) -> None:
    module = options_module(lib)
    lib.set_printoptions(edgeitems=2)
    with module.printoptions(precision=1, linewidth=20):
        assert printed(lib.tensor([0.25, 1.5, 2.0])) == "tensor([0.2, 1.5,\n        2.0])"
        assert module.get_printoptions() == {"precision": 1, "threshold": 1000, "edgeitems": 2, "linewidth": 20,
                                             "sci_mode": None}
    assert module.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 2, "linewidth": 80,
                                         "sci_mode": None}
    assert printed(lib.tensor([0.25, 1.5, 2.0])) == "tensor([0.2500, 1.5000, 2.0000])"


def test_the_print_options_api_is_pytorchs() -> None:
    # torch has set_printoptions at the top and get_printoptions, printoptions in torch._tensor_str only
    assert callable(tg.set_printoptions) and callable(printing.get_printoptions) and callable(printing.printoptions)
    assert not hasattr(tg, "get_printoptions") and not hasattr(tg, "printoptions")


@pytest.mark.torch
def test_the_print_options_api_is_pytorchs_live() -> None:
    torch = pytest.importorskip("torch")
    for name in ("set_printoptions", "get_printoptions", "printoptions"):
        assert hasattr(tg, name) == hasattr(torch, name), name
        assert hasattr(printing, name) == hasattr(torch._tensor_str, name), name


@pytest.mark.parametrize("options, message", [
    ({"profile": "long"}, "unknown profile 'long'; use one of default, short, full"),
    ({"edgeitems": -1}, "edgeitems must be a non-negative int; got -1"),
    ({"precision": 2.5}, "precision must be a non-negative int; got 2.5"),
    ({"linewidth": "80"}, "linewidth must be a non-negative int; got '80'"),
    ({"threshold": "all"}, r"threshold must be a number of elements \(math.inf for all\); got 'all'"),
    ({"threshold": float("nan")}, "threshold must be a number of elements"),
    ({"sci_mode": "yes"}, "sci_mode must be True, False or None"),
    ({"profile": "short", "edgeitems": -2}, "edgeitems must be"),          # and the profile is not set either
])
def test_set_printoptions_rejects_what_it_cannot_print(options: dict[str, Any], message: str) -> None:
    # PyTorch takes these and fails at the next print (or ignores an unknown profile); here the call raises
    before = printing.get_printoptions()
    with pytest.raises(ValueError, match=message):
        tg.set_printoptions(**options)
    assert printing.get_printoptions() == before


# --- the sweep: recorded PyTorch strings everywhere, live PyTorch where installed ------------------------

@pytest.mark.parametrize("index", range(recording.CASES))
def test_prints_as_recorded_pytorch(index: int) -> None:
    entry = RECORDED["cases"][index]
    case = recording.case(index)
    assert entry["case"] == case and entry["fingerprint"] == recording.fingerprint(recording.array(case)), (
        "the case generator changed since PyTorch's strings were recorded: run python tests/record_pytorch_printing.py")
    assert recording.render(case, tg) == entry["text"], case


def test_the_sweep_covers_every_rule() -> None:
    texts = [entry["text"] for entry in RECORDED["cases"]]
    assert len(texts) == recording.CASES
    for needle in ["e+", "e-", "nan", "inf", "-0.", "...", "\n\n", "\n\n\n", "size=(", "tensor([])", "True",
                   "dtype=tinygrad_la.float32", "dtype=tinygrad_la.float16", "dtype=tinygrad_la.float64",
                   "dtype=tinygrad_la.int8", "dtype=tinygrad_la.uint8", "dtype=tinygrad_la.complex64",
                   "dtype=tinygrad_la.complex128", "j,", "grad_fn=<MulBackward0>", "grad_fn=<AddBackward0>",
                   "requires_grad=True", ",\n       dtype=", ",\n       grad_fn=", ",\n       requires_grad",
                   "Parameter containing:\ntensor(", "[...]"]:
        assert any(needle in text for text in texts), f"no recorded case prints {needle!r}"
    assert any(text.startswith("tensor(") and "[" not in text for text in texts)          # 0-d
    assert any(text.count("\n") > 100 for text in texts)                                  # a long unsummarized one


@pytest.mark.torch
def test_recorded_strings_are_pytorchs_own() -> None:
    torch = pytest.importorskip("torch")
    assert RECORDED["torch_version"].split("+")[0] == torch.__version__.split("+")[0], (
        "the fixture was recorded with another PyTorch: run python tests/record_pytorch_printing.py")
    stale = [index for index in range(recording.CASES)
             if recording.render(recording.case(index), torch) != RECORDED["cases"][index]["text"]]
    assert not stale, f"the fixture is stale for cases {stale}: run python tests/record_pytorch_printing.py"


@pytest.mark.torch
@pytest.mark.parametrize("block", range(10))
def test_prints_as_live_pytorch(block: int) -> None:
    torch = pytest.importorskip("torch")
    for index in range(recording.CASES + 100 * block, recording.CASES + 100 * (block + 1)):   # beyond the fixture
        case = recording.case(index)
        assert recording.render(case, tg) == recording.render(case, torch), case


@st.composite
def _drawn(draw: Any) -> tuple[np.ndarray, dict[str, Any], str]:
    dtype = draw(st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int32, np.bool_, np.complex128]))
    shape = draw(st.one_of(shapes(min_dims=0, max_dims=4, max_side=5), st.just((3, 400)), st.just((0, 2))))
    kind = np.dtype(dtype).kind
    elements: st.SearchStrategy[Any]
    if kind == "c":
        elements = st.complex_numbers()
    elif kind == "f":
        elements = st.floats(width=np.dtype(dtype).itemsize * 8)
    elif kind == "b":
        elements = st.booleans()
    else:
        elements = st.integers(-(2 ** 31), 2 ** 31 - 1)
    values = draw(hnp.arrays(dtype, shape, elements=elements))
    options = draw(st.sampled_from([{}, {"precision": 2}, {"linewidth": 50}, {"threshold": 20, "edgeitems": 2},
                                    {"sci_mode": False}, {"sci_mode": True}]))
    grad = draw(st.sampled_from(["none", "requires_grad", "mul"])) if kind == "f" else "none"
    return values, options, grad


@pytest.mark.torch
@given(_drawn())
def test_drawn_tensors_print_as_live_pytorch(drawn: tuple[np.ndarray, dict[str, Any], str]) -> None:
    torch = pytest.importorskip("torch")
    values, options, grad = drawn
    texts = []
    for lib in (tg, torch):
        previous = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            with recording.printing_options(lib, options):
                t = lib.tensor(values, requires_grad=grad != "none")
                texts.append(printed(t * 2 if grad == "mul" else t))
        finally:
            lib.set_default_dtype(previous)
    ours, theirs = texts
    assert ours == theirs, (values, options, grad)
