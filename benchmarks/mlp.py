"""mlp: one SGD step of a 784-128-10 ReLU network on a batch of 128, cross-entropy loss, float32.

    Z1 = X W1ᵀ + 1 b1ᵀ,  H = ReLU(Z1),  S = H W2ᵀ + 1 b2ᵀ                  (23.10)
    loss = -(1/N) Σᵢ log softmax(Sᵢ)[yᵢ]                                   (23.13)

Every engine writes the loss the same way: log_softmax, then the target column of each row
picked by integer-array indexing, then the mean. The hand NumPy step uses the fused backward
dS = (P - Y)/N (P the softmax, Y the one-hot targets), which is what a fused cross-entropy op
in the engine would do. The matrix products dominate, so this measures copies, up-casts and
per-step overhead rather than Python dispatch.

The gate runs two steps from the same start and compares loss and gradients of both (the second
step's numbers depend on the first update). Float32: rtol 1e-4.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .harness import BASELINE, Engine, Goal, GoalStatus, Workload, WorkloadResult, peak_memory, ratio_goal

F32 = np.float32


@dataclass
class Problem:
    X: np.ndarray        # (N, 784) float32
    labels: np.ndarray   # (N,) int64 class of each row
    Y: np.ndarray        # (N, 10) float32 one-hot of labels
    W1: np.ndarray       # (128, 784)
    b1: np.ndarray       # (128,)
    W2: np.ndarray       # (10, 128)
    b2: np.ndarray       # (10,)
    lr: float

    def weights(self) -> list[np.ndarray]:
        return [self.W1.copy(), self.b1.copy(), self.W2.copy(), self.b2.copy()]


def make_problem(batch: int = 128, sizes: tuple[int, int, int] = (784, 128, 10), seed: int = 0) -> Problem:
    n_in, n_hidden, n_out = sizes
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, n_in)).astype(F32)       # standardized pixels
    labels = rng.integers(0, n_out, batch)
    Y = np.eye(n_out, dtype=F32)[labels]

    def uniform(shape, fan_in):   # PyTorch's nn.Linear default: U(-1/√fan_in, 1/√fan_in)
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(F32)

    return Problem(X, labels, Y, uniform((n_hidden, n_in), n_in), uniform((n_hidden,), n_in),
                   uniform((n_out, n_hidden), n_hidden), uniform((n_out,), n_hidden), lr=0.1)


def result(loss, grads) -> dict:
    return {"loss": loss, **dict(zip(("dW1", "db1", "dW2", "db2"), grads))}


# --- engines --------------------------------------------------------------------------------------

def numpy_hand(p: Problem):
    X, Y, labels, lr = p.X, p.Y, p.labels, p.lr
    rows = np.arange(len(X))
    N = len(X)
    params = p.weights()
    W1, b1, W2, b2 = params

    def run():
        Z1 = X @ W1.T + b1
        H = np.maximum(Z1, 0)
        S = H @ W2.T + b2
        shifted = S - S.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -logp[rows, labels].mean()

        dS = (np.exp(logp) - Y) / N          # softmax + NLL backward, fused
        dW2 = dS.T @ H
        db2 = dS.sum(axis=0)
        dZ1 = (dS @ W2) * (Z1 > 0)
        dW1 = dZ1.T @ X
        db1 = dZ1.sum(axis=0)

        grads = (dW1, db1, dW2, db2)
        for w, g in zip(params, grads):
            w -= lr * g
        return result(loss, grads)
    return run


def tinygrad_la_tensors(p: Problem):
    import tinygrad_la as tg
    X, labels, lr = tg.from_numpy(p.X), p.labels, p.lr
    rows = np.arange(len(p.X))
    params = [tg.tensor(w, requires_grad=True) for w in p.weights()]
    W1, b1, W2, b2 = params

    def run():
        S = (X @ W1.T + b1).relu() @ W2.T + b2
        loss = -S.log_softmax(dim=1)[rows, labels].mean()
        loss.backward()
        grads = [w.grad.numpy() for w in params]
        with tg.no_grad():
            for w in params:
                w -= lr * w.grad
                w.grad = None
        return result(loss.numpy(), grads)
    return run


def tinygrad_la_nn(p: Problem, compiled: bool = False):
    """The way users write it: nn.Sequential of Linear/ReLU, F.cross_entropy, optim.SGD."""
    import tinygrad_la as tg
    from tinygrad_la import nn, optim
    X, labels = tg.from_numpy(p.X), tg.from_numpy(p.labels)
    n_in, n_hidden, n_out = p.X.shape[1], p.weights()[0].shape[0], p.weights()[2].shape[0]
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out)).float()
    with tg.no_grad():
        for param, value in zip(model.parameters(), p.weights()):
            param.copy_(tg.from_numpy(value))
    params = list(model.parameters())
    optimizer = optim.SGD(params, lr=p.lr)

    def step(X, labels):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X), labels)
        loss.backward()
        optimizer.step()
        return loss

    if compiled:
        step = tg.compile(step)

    def run():
        loss = step(X, labels)
        return result(loss.numpy(), [w.grad.numpy() for w in params])
    return run


def tinygrad_la_compiled(p: Problem):
    """The nn step under tinygrad_la.compile: traced once, then replayed."""
    return tinygrad_la_nn(p, compiled=True)


def torch_tensors(p: Problem):
    import torch
    X, lr = torch.from_numpy(p.X), p.lr
    labels = torch.from_numpy(p.labels)
    rows = torch.arange(len(p.X))
    params = [torch.tensor(w, requires_grad=True) for w in p.weights()]
    W1, b1, W2, b2 = params

    def run():
        S = torch.relu(X @ W1.T + b1) @ W2.T + b2
        loss = -torch.log_softmax(S, dim=1)[rows, labels].mean()
        loss.backward()
        grads = [w.grad.numpy() for w in params]
        with torch.no_grad():
            for w in params:
                w -= lr * w.grad
                w.grad = None
        return result(loss.detach().numpy(), grads)
    return run


def mygrad_tensors(p: Problem):
    import mygrad as mg
    from mygrad.nnet.activations import logsoftmax, relu
    X, labels, lr = p.X, p.labels, p.lr
    rows = np.arange(len(X))
    params = [mg.tensor(w) for w in p.weights()]
    W1, b1, W2, b2 = params

    def run():
        S = mg.matmul(relu(mg.matmul(X, W1.T) + b1), W2.T) + b2
        loss = -mg.mean(logsoftmax(S, axis=1)[rows, labels])
        loss.backward()
        grads = [w.grad for w in params]
        for w in params:
            w.data -= lr * w.grad
        return result(loss.data, grads)
    return run


def autograd_functional(p: Problem):
    import autograd.numpy as anp
    from autograd import value_and_grad
    X, labels, lr = p.X, p.labels, p.lr
    rows = np.arange(len(X))
    params = p.weights()

    def cross_entropy(params):
        W1, b1, W2, b2 = params
        S = anp.maximum(X @ W1.T + b1, 0) @ W2.T + b2
        shifted = S - anp.max(S, axis=1, keepdims=True)
        logp = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(logp[rows, labels])

    loss_and_grads = value_and_grad(cross_entropy)

    def run():
        loss, grads = loss_and_grads(params)
        for w, g in zip(params, grads):
            w -= lr * g
        return result(loss, grads)
    return run


TINYGRAD_RAW = "tinygrad_la (tensors)"
TINYGRAD_NN = "tinygrad_la (nn)"   # nn.Linear + F.cross_entropy + optim.SGD
TINYGRAD_COMPILED = "tinygrad_la (compiled)"

ENGINES = [
    Engine(BASELINE, numpy_hand),
    Engine(TINYGRAD_NN, tinygrad_la_nn, needs=("tinygrad_la.nn", "tinygrad_la.optim")),
    Engine(TINYGRAD_COMPILED, tinygrad_la_compiled, needs=("tinygrad_la.nn", "tinygrad_la.optim")),
    Engine(TINYGRAD_RAW, tinygrad_la_tensors, needs=("tinygrad_la",)),
    Engine("PyTorch (tensors)", torch_tensors, needs=("torch",)),
    Engine("MyGrad", mygrad_tensors, needs=("mygrad",)),
    Engine("HIPS autograd", autograd_functional, needs=("autograd",)),
]

# engines whose arrays tracemalloc can see (PyTorch allocates outside it)
MEMORY_ENGINES = [BASELINE, TINYGRAD_NN, TINYGRAD_COMPILED, TINYGRAD_RAW, "MyGrad", "HIPS autograd"]


def measure_memory(res: WorkloadResult, quick: bool) -> None:
    """Peak memory of one step above what is live before it (weights and data excluded)."""
    problem = make_problem()
    peaks = {}
    for engine in ENGINES:
        outcome = res.outcomes.get(engine.name)
        if engine.name not in MEMORY_ENGINES or outcome is None or outcome.status != "ok":
            continue
        run = engine.build(problem)
        run()                      # first step allocates the lasting .grad buffers of some engines
        peaks[engine.name] = peak_memory(run)
    base = peaks[BASELINE]
    res.extra["peak"] = peaks
    res.extra_lines.append("Peak memory of one MLP step (tracemalloc; PyTorch's allocator is not traced):")
    res.extra_lines.append("")
    res.extra_lines.append("| engine | peak above live | vs hand NumPy |")
    res.extra_lines.append("|---|---|---|")
    for name, peak in peaks.items():
        res.extra_lines.append(f"| {name} | {peak / 2**20:.2f} MiB | {peak / base:.2f}x |")


def _memory_goal(res: WorkloadResult) -> GoalStatus:
    peaks = res.extra.get("peak", {})
    name = next((n for n in (TINYGRAD_NN, TINYGRAD_RAW) if n in peaks), None)
    if name is None:
        return GoalStatus(None, "not measured")
    ratio = peaks[name] / peaks[BASELINE]
    return GoalStatus(ratio <= 1.0, f"{name}: {ratio:.2f}x ({peaks[name] / 2**20:.2f} MiB vs "
                                    f"{peaks[BASELINE] / 2**20:.2f} MiB)")


WORKLOAD = Workload(
    name="mlp",
    title="784-128-10 ReLU MLP, batch 128, log_softmax + NLL by indexing, SGD, float32",
    unit="one SGD step",
    make_problem=make_problem,
    engines=ENGINES,
    tiny=dict(batch=8, sizes=(20, 16, 5)),
    rtol=1e-4, atol=1e-5,
    check_runs=2,
    inner=10,
    repeats=15, quick_repeats=5,
    extra=measure_memory,
    goals=[
        ratio_goal("MLP step <= 1.10x hand NumPy", [TINYGRAD_NN, TINYGRAD_RAW], 1.10,
                   stand_in="raw tensors standing in until nn exists"),
        ratio_goal("MLP step compiled (tinygrad_la.compile) <= 1.0x hand NumPy", [TINYGRAD_COMPILED], 1.0),
        Goal("MLP step peak memory <= hand NumPy's", _memory_goal),
    ],
)
