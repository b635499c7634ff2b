"""PyTorch programs that run on tinygrad_la with one line changed: ``import tinygrad_la as torch``.

Each program below is written the way a PyTorch user writes one (our own programs, on the
features PyTorch's beginner material teaches): fitting a cubic to sin(x) by hand, with a custom
``autograd.Function``, with ``nn.Sequential``, with an optimizer, with a custom ``nn.Module``; a
network whose depth is drawn at random on every call; a classifier trained on minibatches; a
checkpoint saved and resumed; Adagrad with a gradient hook and buffers; einsum with a gradient
penalty (a gradient of a gradient).

Each is one function that takes the module ``torch`` and returns its losses. It runs under
``tinygrad_la``, and, when PyTorch is installed, the very same source runs under PyTorch in
float64 and must give the same losses (to rtol 1e-9). The two libraries draw different random
numbers, so the starting weights come from NumPy and are copied into the model (and the
minibatch order is a NumPy permutation, given as a sampler).
"""
from __future__ import annotations

import math
import os
import random
import tempfile
from types import ModuleType
from typing import Any, Callable

import numpy as np
import pytest

import tinygrad_la


def copy_numpy_weights(torch: ModuleType, model: Any, seed: int, scale: float = 0.5) -> None:
    """The same starting point in any engine: every parameter drawn by NumPy, copied in."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.tensor(rng.uniform(-scale, scale, size=tuple(param.shape))))


class NumpyShuffle:
    """A sampler both engines accept: a new NumPy permutation of range(n) every epoch."""

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Any:
        return iter(self.rng.permutation(self.n).tolist())


# --- 1. a cubic through sin(x): raw tensors, backward(), updates by hand ---------------------------

def cubic_by_hand(torch: ModuleType) -> list[float]:
    x = torch.linspace(-math.pi, math.pi, 500)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(v, requires_grad=True) for v in np.random.default_rng(1).normal(size=4))
    step = 2e-6
    losses = []
    for _ in range(200):
        y_hat = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_hat - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for coefficient in (a, b, c, d):
                coefficient -= step * coefficient.grad
                coefficient.grad.zero_()
    return losses


# --- 2. the same idea with a hand-written autograd.Function ---------------------------------------

def cubic_with_function(torch: ModuleType) -> list[float]:
    class ChebyshevT3(torch.autograd.Function):
        """T₃(u) = 4u³ - 3u, and its derivative 12u² - 3 written by hand."""

        @staticmethod
        def forward(ctx: Any, u: Any) -> Any:
            ctx.save_for_backward(u)
            return 4 * u ** 3 - 3 * u

        @staticmethod
        def backward(ctx: Any, grad_output: Any) -> Any:
            u, = ctx.saved_tensors
            return grad_output * (12 * u ** 2 - 3) if ctx.needs_input_grad[0] else None

    t3 = ChebyshevT3.apply
    x = torch.linspace(-1, 1, 300)
    y = torch.sin(math.pi * x)
    start = np.array([0.0, -0.8, 0.0, 0.8]) + 0.1 * np.random.default_rng(2).normal(size=4)
    params = [torch.tensor(v, requires_grad=True) for v in start]
    a, b, c, d = params
    losses = []
    for _ in range(200):
        y_hat = a + b * t3(c + d * x)
        loss = ((y_hat - y) ** 2).mean()
        losses.append(loss.item())
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(0.05 * g)
    return losses


# --- 3. nn.Sequential, Flatten(0, 1), MSELoss(reduction="sum"), manual parameter updates ------------

def cubic_features(torch: ModuleType) -> tuple[Any, Any]:
    x = torch.linspace(-math.pi, math.pi, 500)
    powers = torch.tensor([1, 2, 3])
    return x.unsqueeze(-1).pow(powers), torch.sin(x)     # (500, 3): x, x², x³


def cubic_with_sequential(torch: ModuleType) -> list[float]:
    features, y = cubic_features(torch)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    copy_numpy_weights(torch, model, seed=3)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    losses = []
    for _ in range(200):
        loss = loss_fn(model(features), y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= 2e-6 * param.grad
    linear = model[0]
    losses += [linear.bias.item(), linear.weight[:, 2].item()]   # the constant and x³ coefficients
    return losses


# --- 4. the same model trained by optim.RMSprop ---------------------------------------------------

def cubic_with_rmsprop(torch: ModuleType) -> list[float]:
    features, y = cubic_features(torch)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    copy_numpy_weights(torch, model, seed=4)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(200):
        loss = loss_fn(model(features), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


# --- 5. a custom nn.Module of four scalar Parameters, SGD with momentum ----------------------------

def cubic_with_module(torch: ModuleType) -> list[float]:
    class Cubic(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))

        def forward(self, x: Any) -> Any:
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def formula(self) -> str:
            return f"y = {self.a.item():.3f} + {self.b.item():.3f} x + {self.c.item():.3f} x² + {self.d.item():.3f} x³"

    x = torch.linspace(-math.pi, math.pi, 500)
    y = torch.sin(x)
    model = Cubic()
    start = np.random.default_rng(5).normal(size=4)
    model.load_state_dict({name: torch.tensor(v) for name, v in zip("abcd", start)})
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=2e-6, momentum=0.9)
    losses = []
    for _ in range(200):
        loss = criterion(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert model.formula().startswith("y = ")
    return losses


# --- 6. data-dependent control flow: the hidden layer runs a random number of times ----------------

def random_depth(torch: ModuleType) -> list[float]:
    nn = torch.nn

    class RandomDepth(nn.Module):
        """tanh(first(x)), then tanh(hidden(h)) 0 to 3 times (drawn at every call), then last(h).
        The graph is built as the code runs, so each step differentiates the depth it drew."""

        def __init__(self, width: int, dice: random.Random) -> None:
            super().__init__()
            self.first = nn.Linear(1, width)
            self.hidden = nn.Linear(width, width)
            self.last = nn.Linear(width, 1)
            self.dice = dice

        def forward(self, x: Any) -> Any:
            h = torch.tanh(self.first(x))
            for _ in range(self.dice.randint(0, 3)):
                h = torch.tanh(self.hidden(h))
            return self.last(h)

    x = torch.linspace(-2, 2, 64).view(-1, 1)
    y = torch.sin(2 * x)
    model = RandomDepth(8, random.Random(6))
    copy_numpy_weights(torch, model, seed=6)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(150):
        loss = loss_fn(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


# --- 7. a classifier: Dataset, DataLoader minibatches, CrossEntropyLoss, evaluation under no_grad --

def three_clouds(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    labels = rng.integers(0, 3, n)
    return centers[labels] + rng.normal(scale=0.9, size=(n, 2)), labels


def classifier(torch: ModuleType) -> list[float]:
    nn = torch.nn
    DataLoader, Subset, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.Subset, torch.utils.data.TensorDataset

    device = "cuda" if torch.cuda.is_available() else "cpu"
    points, labels = three_clouds(seed=7, n=240)
    data = TensorDataset(torch.tensor(points), torch.tensor(labels))
    train_data, test_data = Subset(data, range(180)), Subset(data, range(180, 240))
    train_loader = DataLoader(train_data, batch_size=20, sampler=NumpyShuffle(len(train_data), seed=7))
    test_loader = DataLoader(test_data, batch_size=32)

    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    copy_numpy_weights(torch, model, seed=7)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for epoch in range(5):
        model.train()
        for batch, (X, y) in enumerate(train_loader):
            X, y = X.to(device), y.to(device)
            loss = loss_fn(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        test_loss, correct = 0.0, 0.0
        with torch.no_grad():
            for X, y in test_loader:
                scores = model(X)
                test_loss += loss_fn(scores, y).item() * X.size(0)
                _, predicted = torch.max(scores, dim=1)
                correct += (predicted == y).type(torch.float).sum().item()
        losses.append(test_loss / len(test_loader.dataset))
    assert correct / len(test_loader.dataset) > 0.8
    return losses


# --- 8. a checkpoint: torch.save a state_dict, torch.load it into a new model, train on -----------

def save_and_resume(torch: ModuleType) -> list[float]:
    nn = torch.nn
    rng = np.random.default_rng(8)
    x = torch.tensor(rng.uniform(-1, 1, size=(50, 2)))
    y = (x[:, 0] * x[:, 1]).view(-1, 1)

    def make() -> Any:
        return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()

    def train(model: Any, optimizer: Any, steps: int) -> list[float]:
        losses = []
        for _ in range(steps):
            loss = nn.functional.mse_loss(model(x), y.type_as(x))
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return losses

    model = make()
    copy_numpy_weights(torch, model, seed=8)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = train(model, optimizer, 30)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "checkpoint.pt")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "steps": 30}, path)
        restored = make()                          # new random weights, then the saved ones
        restored_optimizer = torch.optim.Adam(restored.parameters(), lr=0.02)
        checkpoint = torch.load(path)
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["steps"] == 30
    restored.eval()
    with torch.no_grad():
        losses.append(nn.functional.mse_loss(restored(x), y).item())   # the saved model's loss
    return losses + train(restored, restored_optimizer, 30)


# --- 9. Adagrad, a gradient hook, and buffers ------------------------------------------------------

def adagrad_hook_buffers(torch: ModuleType) -> list[float]:
    nn = torch.nn
    rng = np.random.default_rng(9)
    raw = rng.normal(loc=[10.0, -3.0, 100.0], scale=[2.0, 0.5, 20.0], size=(80, 3))
    x = torch.tensor(raw)
    y = torch.tensor(np.tanh((raw - [10.0, -3.0, 100.0]) / [2.0, 0.5, 20.0]) @ [1.0, -2.0, 0.5])

    class Standardized(nn.Module):
        """Standardizes its input with fixed statistics, kept as buffers (saved, never trained)."""

        def __init__(self, mean: Any, std: Any) -> None:
            super().__init__()
            self.register_buffer("mean", mean)
            self.register_buffer("std", std)
            self.body = nn.Sequential(nn.Linear(3, 10), nn.Sigmoid(), nn.Linear(10, 1))

        def forward(self, x: Any) -> Any:
            return self.body((x - self.mean) / self.std).squeeze(-1)

    model = Standardized(x.mean(dim=0), x.std(dim=0))
    copy_numpy_weights(torch, model, seed=9)
    assert len(list(model.buffers())) == 2 and len(list(model.parameters())) == 4
    assert [name for name, _ in model.named_modules()] == ["", "body", "body.0", "body.1", "body.2"]
    model.body[0].weight.register_hook(lambda grad: grad.clamp(-0.5, 0.5))   # clip one layer's gradient
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
    losses = []
    for _ in range(120):
        loss = ((model(x) - y) ** 2).mean()
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


# --- 10. einsum, outer and dot, and a penalty on the slope (a gradient of a gradient) --------------

def einsum_with_slope_penalty(torch: ModuleType) -> list[float]:
    rng = np.random.default_rng(10)
    u = torch.tensor(rng.normal(size=3))
    w_true = torch.outer(u, u) / torch.dot(u, u)                # a rank-1 projection
    x = torch.tensor(rng.normal(size=(64, 3)), requires_grad=True)
    with torch.no_grad():
        target = torch.einsum("ni,ij,nj->n", x, w_true, x)
    W = torch.tensor(0.1 * rng.normal(size=(3, 3)), requires_grad=True)
    v = torch.tensor(0.1 * rng.normal(size=3), requires_grad=True)
    optimizer = torch.optim.Adam([W, v], lr=0.05)
    losses = []
    for _ in range(80):
        y = torch.einsum("ni,ij,nj->n", x, W, x) + torch.einsum("i,ni->n", v, x)
        slope, = torch.autograd.grad(y.sum(), x, create_graph=True)      # ∂y/∂x per sample: (64, 3)
        loss = ((y - target) ** 2).mean() + 0.01 * slope.pow(2).sum(dim=1).mean()
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


# --- 11. a Dataset subclass, functional layers, nll_loss, a learning-rate schedule --------------------

def dataset_and_schedule(torch: ModuleType) -> list[float]:
    nn, F = torch.nn, torch.nn.functional

    class Parity(torch.utils.data.Dataset):
        """4-bit codes (as ±1 features) labelled by whether the count of ones is even: samples made on
        request, each an (x, label) pair of a tensor and a Python int."""

        def __len__(self) -> int:
            return 16

        def __getitem__(self, i: int) -> tuple[Any, int]:
            bits = [(i >> k) & 1 for k in range(4)]
            return torch.tensor([2.0 * b - 1 for b in bits]), sum(bits) % 2

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(4, 12)
            self.fc2 = nn.Linear(12, 2)

        def forward(self, x: Any) -> Any:
            return F.log_softmax(self.fc2(torch.tanh(self.fc1(x))), dim=1)

    model = Net()
    copy_numpy_weights(torch, model, seed=11, scale=1.0)
    loader = torch.utils.data.DataLoader(Parity(), batch_size=8, sampler=NumpyShuffle(16, seed=11))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.7)
    losses = []
    for epoch in range(60):
        for x, target in loader:
            loss = F.nll_loss(model(x), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    correct = 0
    with torch.no_grad():
        for x, target in torch.utils.data.DataLoader(Parity(), batch_size=16):
            pred = model(x).argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
            report = f"loss {F.nll_loss(model(x), target, reduction='sum'):.4f}, {correct}/16 right"
    assert report.startswith("loss ") and correct >= 12
    return losses


PROGRAMS: dict[str, Callable[[ModuleType], list[float]]] = {
    program.__name__: program for program in (
        cubic_by_hand, cubic_with_function, cubic_with_sequential, cubic_with_rmsprop, cubic_with_module,
        random_depth, classifier, save_and_resume, adagrad_hook_buffers, einsum_with_slope_penalty,
        dataset_and_schedule)
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_learns_under_tinygrad_la(name: str) -> None:
    losses = PROGRAMS[name](tinygrad_la)
    assert all(math.isfinite(v) for v in losses)
    last = losses[-3] if name == "cubic_with_sequential" else losses[-1]   # two coefficients come last
    assert last < 0.5 * losses[0]


def in_float64(fn: Callable[[ModuleType], Any]) -> Callable[[ModuleType], Any]:
    """fn(torch) with PyTorch's default dtype float64 for the call, as it is here."""
    def compute(torch: ModuleType) -> Any:
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)
        try:
            return fn(torch)
        finally:
            torch.set_default_dtype(previous)
    return compute


@pytest.mark.torch
@pytest.mark.parametrize("name", PROGRAMS)
def test_program_gives_pytorchs_losses(name: str, pytorch: Any) -> None:
    expected = pytorch("losses", in_float64(PROGRAMS[name]))
    np.testing.assert_allclose(PROGRAMS[name](tinygrad_la), expected, rtol=1e-9, atol=1e-12)


# --- the names PyTorch code reaches for, checked one by one against PyTorch ------------------------

def _m(torch: ModuleType) -> Any:
    return torch.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])


# name: fn(torch) -> what PyTorch gives (Tensors are compared by value and dtype)
EXPRESSIONS: dict[str, Callable[[ModuleType], Any]] = {
    "outer": lambda torch: torch.outer(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0, 5.0])),
    "dot": lambda torch: torch.dot(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0, 6.0])),
    "mm": lambda torch: torch.mm(_m(torch), _m(torch).t()),
    "Tensor.mm": lambda torch: _m(torch).mm(_m(torch).T),
    "bmm": lambda torch: torch.bmm(torch.arange(12.0).view(2, 2, 3), torch.arange(12.0).view(2, 3, 2)),
    "einsum trace": lambda torch: torch.einsum("ii", torch.arange(9.0).reshape(3, 3)),
    "einsum implicit": lambda torch: torch.einsum("ij,jk", _m(torch), _m(torch).t()),
    "einsum ellipsis": lambda torch: torch.einsum("...ij->...ji", torch.arange(12.0).view(2, 2, 3)),
    "einsum list": lambda torch: torch.einsum("i,i->", [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])]),
    "max(dim)": lambda torch: tuple(torch.max(_m(torch), dim=1)),
    "max(dim).values, .indices": lambda torch: (_m(torch).max(0).values, _m(torch).max(0, keepdim=True).indices),
    "min(dim)": lambda torch: torch.min(_m(torch), 1).indices,
    "max()": lambda torch: torch.max(_m(torch)),
    "argmax(dim)": lambda torch: torch.argmax(_m(torch), dim=1),
    "view(-1)": lambda torch: _m(torch).view(-1),
    "size(dim)": lambda torch: (_m(torch).size(1), _m(torch).size(-1), tuple(_m(torch).size())),
    "numel": lambda torch: (torch.numel(_m(torch)), _m(torch).numel()),
    "type_as": lambda torch: torch.tensor([1, 2]).type_as(_m(torch)),
    "float()": lambda torch: _m(torch).float(),
    "double()": lambda torch: _m(torch).float().double(),
    "long()": lambda torch: _m(torch).long(),
    "int()": lambda torch: _m(torch).int(),
    "bool()": lambda torch: _m(torch).bool(),
    "type(torch.float)": lambda torch: torch.tensor([True, False]).type(torch.float),
    "contiguous()": lambda torch: _m(torch).t().contiguous(),
    "pow": lambda torch: (_m(torch).pow(2), torch.pow(_m(torch), 3), torch.pow(2, _m(torch))),
    "x.unsqueeze(-1).pow(powers)": lambda torch: torch.tensor([1.0, 2.0]).unsqueeze(-1).pow(torch.tensor([1, 2, 3])),
    "dtype=torch.long": lambda torch: torch.zeros(2, dtype=torch.long),
    "dtype=torch.int": lambda torch: torch.ones(2, dtype=torch.int),
    "dtype=torch.bool": lambda torch: torch.tensor([1, 0], dtype=torch.bool),
    "dtype=torch.float": lambda torch: torch.arange(3, dtype=torch.float),
    "dtype=torch.double": lambda torch: torch.full((2,), 7, dtype=torch.double),
    "dtype=torch.float32 (linspace)": lambda torch: torch.linspace(0, 1, 3, dtype=torch.float32),
    "dtype=torch.int64 (zeros_like)": lambda torch: torch.zeros_like(_m(torch), dtype=torch.int64),
    "to(torch.int32)": lambda torch: torch.tensor([1.5, -2.5]).to(torch.int32),
    "to(dtype=torch.float32)": lambda torch: _m(torch).to(dtype=torch.float32),
    "to('cpu', torch.float32)": lambda torch: _m(torch).to("cpu", torch.float32),
    "sum(dtype=torch.float64)": lambda torch: torch.tensor([1, 2]).sum(dtype=torch.float64),
    "get_default_dtype": lambda torch: torch.get_default_dtype(),
    "default dtypes": lambda torch: (torch.tensor([1.0]).dtype, torch.tensor([1]).dtype, torch.tensor(True).dtype),
    "device": lambda torch: (str(_m(torch).device), _m(torch).device.type, torch.device("cpu").type,
                             _m(torch).device == torch.device("cpu"), _m(torch).is_cuda),
    "to('cpu'), cpu()": lambda torch: (_m(torch).to("cpu"), _m(torch).cpu(), torch.zeros(2, device="cpu")),
    "cuda.is_available": lambda torch: torch.cuda.is_available(),
    "randint(high, size)": lambda torch: (torch.randint(5, (3, 2)).shape, torch.randint(5, (3,)).dtype),
    "randn_like": lambda torch: (torch.randn_like(_m(torch)).shape, torch.rand_like(_m(torch).float()).dtype),
    "is_tensor, from_numpy, as_tensor": lambda torch: (torch.is_tensor(_m(torch)), torch.is_tensor(3),
                                                       torch.from_numpy(np.arange(3.0)), torch.as_tensor([1, 2])),
    "allclose": lambda torch: (torch.allclose(_m(torch), _m(torch) + 1e-9), torch.allclose(_m(torch), _m(torch) + 1)),
    "nn.Flatten(0, 1)": lambda torch: torch.nn.Flatten(0, 1)(torch.ones(4, 1, 2)).shape,
    "nn.Flatten()": lambda torch: torch.nn.Flatten()(torch.ones(4, 2, 3)).shape,
    "nn.Unflatten": lambda torch: torch.nn.Unflatten(1, (2, 3))(torch.ones(4, 6)).shape,
    "Module.float()": lambda torch: torch.nn.Linear(2, 3).float().weight.dtype,
    "Module.to(dtype)": lambda torch: torch.nn.Linear(2, 3).to(torch.float32).to(torch.float64).bias.dtype,
    "Module.requires_grad_": lambda torch: [p.requires_grad for p in torch.nn.Linear(2, 3).requires_grad_(False).parameters()],
    "eq, ne, gt, ... methods": lambda torch: (_m(torch).eq(1.0), _m(torch).ne(1.0), _m(torch).gt(0), _m(torch).lt(0),
                                           _m(torch).ge(0.5), _m(torch).le(0.5)),
    "torch.eq, torch.gt": lambda torch: (torch.eq(_m(torch), 1.0), torch.gt(_m(torch), 0)),
    "concat, concatenate": lambda torch: (torch.concat([_m(torch), _m(torch)], dim=1),
                                          torch.concatenate((_m(torch), _m(torch)))),
    "sign, all, any": lambda torch: (torch.sign(_m(torch)), torch.all(_m(torch) > -3), torch.any(_m(torch) > 3, dim=1)),
    "broadcast_to, swapaxes": lambda torch: (torch.broadcast_to(torch.ones(3), (2, 3)),
                                             torch.swapaxes(torch.ones(2, 3), 0, 1).shape),
    "f-string of a tensor": lambda torch: (f"{_m(torch).sum():.3f}", f"{_m(torch)[0, 1]:>8.2f}"),
    "nn.Linear(dtype=, device=)": lambda torch: torch.nn.Linear(2, 3, device="cpu", dtype=torch.float32).weight.dtype,
    "MSELoss(reduction)": lambda torch: tuple(torch.nn.MSELoss(reduction=r)(_m(torch), _m(torch) * 0)
                                              for r in ("sum", "mean", "none")),
}


def plain(x: Any) -> Any:
    """What a result says, in terms both engines share: arrays, dtype names, numbers, strings."""
    if isinstance(x, (tuple, list)):
        return tuple(plain(item) for item in x)
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return x.detach().numpy()
    if isinstance(x, np.dtype) or type(x).__name__ == "dtype":
        return str(x).replace("torch.", "tinygrad_la.")
    return x


def assert_same(actual: Any, expected: Any) -> None:
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_same(a, e)
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray) and actual.dtype == expected.dtype and actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, rtol=1e-12)
    else:
        assert actual == expected


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_pytorch_name_works(name: str) -> None:
    plain(EXPRESSIONS[name](tinygrad_la))


@pytest.mark.torch
@pytest.mark.parametrize("name", EXPRESSIONS)
def test_pytorch_name_means_what_it_means_in_pytorch(name: str, pytorch: Any) -> None:
    expected = pytorch("result", in_float64(lambda torch: plain(EXPRESSIONS[name](torch))))
    assert_same(plain(EXPRESSIONS[name](tinygrad_la)), expected)


# name: fn(torch) that PyTorch refuses, and so must we (with a message that says what to do)
REFUSED: dict[str, Callable[[ModuleType], Any]] = {
    "dot of matrices": lambda torch: torch.dot(_m(torch), _m(torch)),
    "mm of a vector": lambda torch: torch.mm(torch.ones(3), _m(torch).t()),
    "bmm of different batches": lambda torch: torch.bmm(torch.ones(2, 2, 3), torch.ones(3, 3, 2)),
    "bmm of matrices": lambda torch: torch.bmm(_m(torch), _m(torch).t()),
    "outer of a matrix": lambda torch: torch.outer(_m(torch), torch.ones(2)),
    "randint without a size": lambda torch: torch.randint(0, 5),
    "a cuda tensor": lambda torch: torch.zeros(2, device="cuda"),
    "a cuda layer": lambda torch: torch.nn.Linear(2, 3, device="cuda"),
    "einsum with a wrong size": lambda torch: torch.einsum("ij,jk->ik", _m(torch), _m(torch)),
}


@pytest.mark.parametrize("name", REFUSED)
def test_refused_like_pytorch(name: str) -> None:
    with pytest.raises((RuntimeError, TypeError)) as error:
        REFUSED[name](tinygrad_la)
    assert len(str(error.value)) > 40     # an explanation, not just a word


@pytest.mark.torch
@pytest.mark.parametrize("name", REFUSED)
def test_refused_by_pytorch_too(name: str, pytorch: Any) -> None:
    def refused(torch: ModuleType) -> bool:
        try:
            REFUSED[name](torch)
        except Exception:   # noqa: BLE001 (PyTorch's exception types vary)
            return True
        return False
    assert pytorch("refused", in_float64(refused))


def test_dataloader_sampler_gives_the_order_each_epoch() -> None:
    data = tinygrad_la.utils.data.TensorDataset(tinygrad_la.arange(6))
    sampler = NumpyShuffle(6, seed=0)
    loader = tinygrad_la.utils.data.DataLoader(data, batch_size=4, sampler=sampler)
    epochs = [[int(i) for (batch,) in loader for i in batch] for _ in range(2)]
    assert len(loader) == 2 and all(sorted(epoch) == list(range(6)) for epoch in epochs)
    assert epochs[0] != epochs[1]                  # the sampler is iterated afresh every epoch
    with pytest.raises(ValueError, match="sampler"):
        tinygrad_la.utils.data.DataLoader(data, sampler=sampler, shuffle=True)


# --- manual_seed: one seed, the same run -----------------------------------------------------------

def seeded_run(torch: ModuleType, seed: int) -> list[float]:
    """Every random choice made by the library: init, randn/rand/randint/randperm, shuffling, splits."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    torch.nn.init.normal_(model[2].weight, std=0.1)
    x = torch.randn(40, 2) + torch.rand(40, 2)
    y = torch.randint(0, 2, (40, 1)).double() + 0.1 * torch.randperm(40).view(40, 1).double()
    train, _ = torch.utils.data.random_split(torch.utils.data.TensorDataset(x, y), [30, 10])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for xb, yb in torch.utils.data.DataLoader(train, batch_size=8, shuffle=True):
        loss = torch.nn.functional.mse_loss(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_manual_seed_makes_a_run_reproducible() -> None:
    first = seeded_run(tinygrad_la, 0)
    assert seeded_run(tinygrad_la, 0) == first
    assert seeded_run(tinygrad_la, 1) != first
