"""The smaller parts of PyTorch's surface: printing a 0-d tensor, Size, nelement, log1p/expm1/log2/log10,
the norms, set_default_device and PyTorch's keyword names on the module functions."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_la as tg

X = [0.3, -1.7, 2.2, 0.0, 4.1, -0.05]


def test_a_0d_tensor_formats_its_number_and_others_their_repr() -> None:
    assert f"{tg.tensor(2.4543561935424805, dtype=tg.float64)}" == "2.4543561935424805"
    assert format(tg.tensor(3), "") == "3"
    assert f"{tg.tensor(2.5, requires_grad=True) * 1:.3f}" == "2.500"
    assert f"{tg.tensor([1.0, 2.0])}" == "tensor([1., 2.])"


def test_size_prints_counts_and_slices_as_a_size() -> None:
    s = tg.Size([3, 784])
    assert repr(s) == str(s) == "tinygrad_la.Size([3, 784])"
    assert s == (3, 784) and isinstance(s, tuple) and s.numel() == 2352
    assert isinstance(s[1:], tg.Size) and s[1:] == (784,) and s[0] == 3 and type(s[0]) is int
    assert isinstance(s + (2,), tg.Size) and (1,) + s == (1, 3, 784) and isinstance((1,) + s, tg.Size)
    assert repr(tg.Size([])) == "tinygrad_la.Size([])" and tg.Size([]).numel() == 1
    assert tg.Size([tg.tensor(2), np.int64(5)]) == (2, 5)
    with pytest.raises(TypeError, match="item 0 is 'float'"):
        tg.Size([1.5])


def test_nelement_is_numel() -> None:
    assert tg.zeros(3, 4).nelement() == 12 and tg.tensor(1.0).nelement() == 1


NEW_OPS = ["log1p", "expm1", "log2", "log10"]


@pytest.mark.parametrize("name", NEW_OPS)
def test_new_elementwise_ops_have_their_derivatives(name: str) -> None:
    x = tg.tensor([0.3, 1.7, 2.2, 0.05], requires_grad=True)
    out = getattr(x, name)()
    np.testing.assert_allclose(out.numpy(), getattr(np, name)(x.numpy()), rtol=1e-15)
    out.sum().backward()
    slope = {"log1p": 1 / (1 + x.numpy()), "expm1": np.exp(x.numpy()),
             "log2": 1 / (x.numpy() * math.log(2)), "log10": 1 / (x.numpy() * math.log(10))}[name]
    np.testing.assert_allclose(x.grad.numpy(), slope, rtol=1e-14)
    assert tg.gradcheck(lambda t: getattr(t, name)(), (tg.tensor([0.3, 1.7], requires_grad=True),))
    assert tg.gradgradcheck(lambda t: getattr(t, name)(), (tg.tensor([0.3, 1.7], requires_grad=True),))
    assert getattr(tg, name)(tg.tensor([1, 2])).dtype == tg.get_default_dtype()   # integers compute as floats


NORMS = [2, 1, math.inf, -math.inf, 3, 0.5, 0]


def _norm_expected(x: np.ndarray, p: float) -> float:
    a = np.abs(x)
    if p == math.inf:
        return float(a.max())
    if p == -math.inf:
        return float(a.min())
    if p == 0:
        return float(np.count_nonzero(x))
    return float((a ** p).sum() ** (1 / p))


@pytest.mark.parametrize("p", NORMS)
def test_vector_norm_values(p: float) -> None:
    x = np.array(X)
    expected = _norm_expected(x, p)
    assert tg.linalg.vector_norm(tg.tensor(X), ord=p).item() == pytest.approx(expected, rel=1e-14)
    assert tg.tensor(X).norm(p).item() == pytest.approx(expected, rel=1e-14)


def test_norm_gradients_at_zero_are_zero_not_nan() -> None:
    for p in (2, 3, 0.5, 1, math.inf):
        x = tg.zeros(3, requires_grad=True)
        tg.linalg.vector_norm(x, p).backward()
        assert x.grad is not None and x.grad.tolist() == [0.0, 0.0, 0.0], p
    x = tg.tensor([0.0, 3.0, -4.0], requires_grad=True)
    x.norm().backward()
    assert x.grad is not None and x.grad.tolist() == pytest.approx([0.0, 0.6, -0.8], rel=1e-15)


def test_matrix_norms_and_dims() -> None:
    A = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, 0.5]])
    t = tg.tensor(A)
    assert tg.linalg.norm(t).item() == pytest.approx(np.linalg.norm(A), rel=1e-14)
    for ord in ("fro", 1, -1, math.inf, -math.inf):
        assert tg.linalg.norm(t, ord).item() == pytest.approx(np.linalg.norm(A, ord), rel=1e-14), ord
    np.testing.assert_allclose(tg.norm(t, dim=1).numpy(), np.linalg.norm(A, axis=1), rtol=1e-14)
    assert tg.linalg.vector_norm(t, 1, dim=0, keepdim=True).shape == (1, 3)
    with pytest.raises(NotImplementedError, match="singular values"):
        tg.linalg.norm(t, 2)


def test_set_default_device_takes_the_cpu_only() -> None:
    tg.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="cuda"):
        tg.set_default_device("cuda")


def test_module_functions_take_pytorchs_keyword_names() -> None:
    a, b = tg.tensor([[1.0, 2.0], [3.0, 4.0]]), tg.tensor([[0.5, -1.0], [2.0, 1.0]])
    assert tg.matmul(input=a, other=b).tolist() == (a @ b).tolist()
    assert tg.add(a, b, alpha=2).tolist() == (a + 2 * b).tolist()
    assert tg.add(input=a, other=b).tolist() == (a + b).tolist()
    assert tg.clamp(input=a, min=1.5, max=3.5).tolist() == [[1.5, 2.0], [3.0, 3.5]]
    assert tg.mm(input=a, mat2=b).tolist() == (a @ b).tolist()
    assert tg.dot(input=a[0], tensor=b[0]).item() == -1.5
    assert tg.outer(input=a[0], vec2=b[0]).shape == (2, 2)
    assert tg.sum(input=a, dim=1, keepdim=True).tolist() == [[3.0], [7.0]]
    assert tg.pow(input=a, exponent=2).tolist() == [[1.0, 4.0], [9.0, 16.0]]
    assert tg.maximum(input=a, other=b).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert tg.swapaxes(input=a, axis0=0, axis1=1).tolist() == a.T.tolist()
    assert len(tg.split(tensor=a, split_size_or_sections=1, dim=0)) == 2
    assert tg.broadcast_to(input=a[0], size=(3, 2)).shape == (3, 2)
    assert tg.allclose(input=a, other=a)
    assert tg.exp(input=a).tolist() == np.exp(a.numpy()).tolist()


# --- against PyTorch ----------------------------------------------------------------------------

@pytest.mark.torch
def test_formatting_matches_pytorch(pytorch) -> None:
    cases = [(2.4543561935424805, "float64"), (0.1, "float32"), (3, "int64"), (True, "bool")]

    def theirs(torch):
        formats = [[f"{t}"] + ([f"{t:.3e}"] if dtype.startswith("float") else [])
                   for t, dtype in ((torch.tensor(v, dtype=getattr(torch, dtype)), dtype) for v, dtype in cases)]
        return {"formats": formats, "size": repr(torch.Size([3, 784])), "numel": torch.Size([3, 4]).numel()}
    expected = pytorch("formats", theirs)
    for (v, dtype), their_formats in zip(cases, expected["formats"]):
        ours = tg.tensor(v, dtype=getattr(tg, dtype))
        assert [f"{ours}"] + ([f"{ours:.3e}"] if dtype.startswith("float") else []) == their_formats
    assert repr(tg.Size([3, 784])).replace("tinygrad_la", "torch") == expected["size"]
    assert tg.Size([3, 4]).numel() == expected["numel"]


@pytest.mark.torch
@pytest.mark.parametrize("name", NEW_OPS)
def test_new_elementwise_ops_match_pytorch(name: str, pytorch) -> None:
    data = [0.3, 1.7, 2.2, 0.05, 1e-10]
    weights = [1.0, -2.0, 0.5, 3.0, 1.0]

    def theirs(torch):
        xt = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        out_t = getattr(torch, name)(xt)
        (out_t * torch.tensor(weights, dtype=torch.float64)).sum().backward()
        return {"out": out_t.detach().numpy(), "grad": xt.grad.numpy()}
    expected = pytorch("value and gradient", theirs)
    x = tg.tensor(data, requires_grad=True)
    out = getattr(tg, name)(x)
    np.testing.assert_allclose(out.numpy(), expected["out"], rtol=1e-12, atol=0)
    (out * tg.tensor(weights)).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), expected["grad"], rtol=1e-12, atol=0)


@pytest.mark.torch
@pytest.mark.parametrize("p", NORMS)
@pytest.mark.parametrize("data", [X, [0.0, 0.0, 0.0], [[1.0, -2.0, 3.0], [-4.0, 0.0, 0.5]]])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_vector_norm_matches_pytorch(p: float, data: list[float], dim: int | None, pytorch) -> None:
    def theirs(torch):
        xt = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        out_t = torch.linalg.vector_norm(xt, p, dim=dim)
        answer = {"out": out_t.detach().numpy(), "norm": torch.norm(xt, p, dim).tolist(), "grad": None}
        if p != 0:   # PyTorch's 0-"norm" counts entries: no gradient reaches x
            out_t.sum().backward()
            answer["grad"] = xt.grad.numpy()
        return answer
    expected = pytorch("norm and gradient", theirs)
    x = tg.tensor(data, requires_grad=True)
    out = tg.linalg.vector_norm(x, p, dim=dim)
    np.testing.assert_allclose(out.numpy(), expected["out"], rtol=1e-12, atol=1e-300)
    assert tg.norm(x, p, dim).tolist() == pytest.approx(expected["norm"], rel=1e-12)
    if p == 0:
        return
    out.sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), expected["grad"], rtol=1e-12, atol=1e-300)


@pytest.mark.torch
@pytest.mark.parametrize("ord", [None, "fro", 1, -1, math.inf, -math.inf])
@pytest.mark.parametrize("dim", [None, (0, 1), (1, 0)])
def test_matrix_norm_matches_pytorch(ord: object, dim: tuple[int, int] | None, pytorch) -> None:
    data = [[1.0, -2.0, 3.0], [-4.0, 5.0, 0.5]]

    def theirs(torch):
        xt = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        out_t = torch.linalg.norm(xt, ord, dim)
        out_t.backward()
        return {"out": out_t.item(), "grad": xt.grad.numpy()}
    expected = pytorch("norm and gradient", theirs)
    x = tg.tensor(data, requires_grad=True)
    out = tg.linalg.norm(x, ord, dim)
    assert out.item() == pytest.approx(expected["out"], rel=1e-12)
    out.backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), expected["grad"], rtol=1e-12, atol=1e-300)


@pytest.mark.torch
def test_keyword_calls_run_under_pytorch_too(pytorch) -> None:
    def calls(lib):
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)
        b = lib.tensor([[0.5, -1.0], [2.0, 1.0]], dtype=lib.float64)
        return [lib.matmul(input=a, other=b).tolist(), lib.add(a, b, alpha=2).tolist(),
                lib.clamp(input=a, min=1.5, max=3.5).tolist(), lib.mm(input=a, mat2=b).tolist(),
                lib.sum(input=a, dim=1, keepdim=True).tolist(), lib.swapaxes(input=a, axis0=0, axis1=1).tolist()]
    assert calls(tg) == pytorch("the same calls", calls)


def test_histc_and_histogram_count_as_pytorch_does():
    x = tg.tensor([0.0, 0.5, 1.0, 1.0, 2.5, -1.0])
    assert tg.histc(x, bins=4, min=0, max=2).tolist() == [1.0, 1.0, 2.0, 0.0]   # -1 and 2.5 left out
    assert tg.histc(x, bins=2).tolist() == [3.0, 3.0]                          # over the data's range
    assert tg.histc(tg.tensor([2.0, 2.0]), bins=3).tolist() == [0.0, 2.0, 0.0]  # a point: range widened by 1
    hist, edges = tg.histogram(x, bins=2, range=(0.0, 2.0))
    assert hist.tolist() == [2.0, 2.0] and edges.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="floating point"):
        tg.histc(tg.tensor([1, 2]))


@pytest.mark.torch
def test_histc_and_histogram_match_pytorch(pytorch):
    x = np.random.default_rng(3).standard_normal(200)
    w = np.random.default_rng(4).random(200)
    histc_cases = [dict(bins=7), dict(bins=5, min=-1, max=1), dict(bins=1)]
    histogram_cases = [dict(bins=6), dict(bins=4, range=(-1.0, 1.0), density=True)]

    def theirs(torch):
        weighted = torch.histogram(torch.tensor(x), bins=torch.tensor([-2.0, 0.0, 0.5, 3.0], dtype=torch.float64),
                                   weight=torch.tensor(w))
        return {"histc": [torch.histc(torch.tensor(x), **kwargs).tolist() for kwargs in histc_cases],
                "histogram": [[h.hist.numpy(), h.bin_edges.numpy()]
                              for h in (torch.histogram(torch.tensor(x), **kwargs) for kwargs in histogram_cases)],
                "weighted": weighted.hist.numpy()}
    expected = pytorch("histograms", theirs)
    for kwargs, counts in zip(histc_cases, expected["histc"]):
        assert tg.histc(tg.tensor(x), **kwargs).tolist() == counts
    for kwargs, (hist, edges) in zip(histogram_cases, expected["histogram"]):
        ours = tg.histogram(tg.tensor(x), **kwargs)
        np.testing.assert_allclose(ours.hist.numpy(), hist, rtol=1e-12)
        np.testing.assert_allclose(ours.bin_edges.numpy(), edges, rtol=1e-12)
    ours = tg.histogram(tg.tensor(x), bins=tg.tensor([-2.0, 0.0, 0.5, 3.0]), weight=tg.tensor(w))
    np.testing.assert_allclose(ours.hist.numpy(), expected["weighted"], rtol=1e-12)


def test_shapes_are_sizes_that_print_as_pytorchs_and_compare_as_tuples():
    x = tg.zeros(3, 784)
    assert isinstance(x.shape, tg.Size) and isinstance(x.size(), tg.Size) and x.size(1) == 784
    assert repr(x.shape) == str(x.shape) == f"{x.shape}" == "tinygrad_la.Size([3, 784])"
    assert x.shape == (3, 784) and x.shape.numel() == 2352 and x.shape[1:] == tg.Size([784])
    assert tg.zeros(()).shape == () and repr(tg.zeros(()).shape) == "tinygrad_la.Size([])"
    with pytest.raises(RuntimeError, match=r"shape \(3, 784\)"):   # messages keep the tuple form
        x.reshape(5, 5)


@pytest.mark.torch
def test_one_dimensional_tensors_wrap_as_pytorch_prints_them(pytorch):
    arrays = [np.linspace(0, 1, 25), np.arange(40.0), np.random.default_rng(1).standard_normal(30) * 100]
    printed = pytorch("reprs", lambda torch: [repr(torch.tensor(a, dtype=torch.float64)) for a in arrays])
    for a, theirs in zip(arrays, printed):
        theirs = theirs.replace(",\n       dtype=torch.float64)", ")")
        assert repr(tg.tensor(a)) == theirs.replace(", dtype=torch.float64)", ")")   # float64 is the default here
