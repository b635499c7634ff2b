"""Random PyTorch programs, run on tinygrad_la and on PyTorch, with everything they compute compared.

A program is Python source over a module named `T` (`t3 = t1[0, :, [0, 2]]`, `t4 = t3.var(1, False)`,
`t5 = t2 * 1; t5.add_(t0)`), drawn from the op table below by `generate(seed)`. The generator
tracks shapes itself with PyTorch's rules, so seed n is the same program whatever the library under
test does. `run(program, T)` executes it with `T` bound to `tinygrad_la` or to `torch` and returns
what it computed: every variable's value, dtype and requires_grad, every leaf's `.grad` and every
retained `.grad` after `backward()`, the first-order gradients of `autograd.grad(create_graph=True)`
and the second-order ones through them, and where the program raised, if it did. `compare` lists
the differences; a failing test prints the program so it can be pasted and rerun.
"""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

LEAF_SHAPES = [(3,), (4,), (2, 3), (3, 1), (1, 3), (3, 3), (2, 3, 4), (2, 1, 3), (3, 2, 2)]


class Builder:
    """Draws the lines of one program, keeping the shape of every float variable."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.dtype = "float32" if self.rng.random() < 0.4 else "float64"
        self.lines: list[str] = []
        self.arrays: dict[str, np.ndarray] = {}   # the data the program reads: leaves, masks, weights
        self.shapes: dict[str, tuple] = {}        # float variables that require grad
        self.leaves: list[str] = []
        self.retained: list[str] = []
        self.products: set[str] = set()
        self.count = 0

    def new_name(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def leaf(self, shape: tuple) -> str:
        name = f"x{len(self.leaves)}"
        self.arrays[name] = self.rng.standard_normal(shape).astype(self.dtype)
        self.lines.append(f"{name} = T.tensor(A['{name}'], requires_grad=True)")
        self.leaves.append(name)
        self.shapes[name] = tuple(shape)
        return name

    def emit(self, expr: str, shape: tuple) -> str:
        name = self.new_name()
        self.lines.append(f"{name} = {expr}")
        self.shapes[name] = tuple(shape)
        return name

    def pick(self, min_ndim: int = 0) -> tuple[str, tuple] | None:
        names = [n for n, s in self.shapes.items() if len(s) >= min_ndim and all(d >= 1 for d in s)]
        if not names:
            return None
        name = names[self.rng.integers(len(names))]
        return name, self.shapes[name]

    def partner(self, shape: tuple) -> str:
        """A variable whose shape broadcasts with `shape` (a new leaf if none does)."""
        fits = [n for n, s in self.shapes.items() if _broadcasts(s, shape) and s != () or s == shape]
        if fits and self.rng.random() < 0.6:
            return fits[self.rng.integers(len(fits))]
        options = [shape, shape[-1:], (1,) * len(shape), ()]
        return self.leaf(options[self.rng.integers(len(options))])

    def dim(self, ndim: int) -> int:
        return int(self.rng.integers(-ndim, ndim))

    # --- the op table --------------------------------------------------------------------------

    def unary(self) -> None:
        a, s = self.pick()
        forms = ["{a}.exp()", "T.log({a}.abs() + 0.5)", "{a}.sin()", "{a}.cos()", "{a}.tanh()",
                 "{a}.sigmoid()", "{a}.relu()", "{a}.abs()", "T.sqrt({a}.abs() + 0.1)", "-{a}",
                 "{a}.square()", "({a}.abs() + 0.5) ** 1.5", "{a} ** 2", "{a} ** 3", "2.0 ** {a}",
                 "{a}.clamp(-0.5, 0.5)", "{a}.clamp(min=0.1)", "T.softmax({a}, dim={d})",
                 "{a}.log_softmax({d})"]
        form = forms[self.rng.integers(len(forms))]
        if "{d}" in form and not s:
            form = "{a}.tanh()"
        self.emit(form.format(a=a, d=self.dim(len(s)) if s else 0), s)

    def binary(self) -> None:
        a, s = self.pick()
        b = self.partner(s)
        out = np.broadcast_shapes(s, self.shapes[b])
        forms = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / ({b}.abs() + 0.5)", "T.maximum({a}, {b})",
                 "T.minimum({a}, {b})", "({a}.abs() + 0.5) ** {b}", "T.where({a} > 0, {a}, {b})",
                 "{a}.clamp(min={b})", "{a}.clamp(min={b}, max={b} + 1)"]
        form = forms[self.rng.integers(len(forms))]
        if "clamp" in form and out != s:
            form = "{a} * {b}"
        self.emit(form.format(a=a, b=b), out)

    def reduce(self) -> None:
        picked = self.pick(1)
        if picked is None:
            return self.unary()
        a, s = picked
        n = len(s)
        choice = self.rng.integers(4)
        if choice == 0:
            dims: Any = self.dim(n)
        elif choice == 1 and n >= 2:
            first = int(self.rng.integers(n))
            dims = (first, (first + 1) % n - n)   # two distinct dims, one negative
        elif choice == 2:
            dims = ()
        else:
            dims = None
        keepdim = bool(self.rng.random() < 0.5)
        axes = set(range(n)) if dims in (None, ()) else {d % n for d in (dims if isinstance(dims, tuple) else (dims,))}
        out = tuple(1 if i in axes else k for i, k in enumerate(s) if keepdim or i not in axes)
        kw = f", keepdim={keepdim}"
        names = ["sum", "mean", "amax", "amin", "var", "std", "logsumexp", "prod", "max"]
        op = names[self.rng.integers(len(names))]
        if op in ("var", "std") and int(np.prod([k for i, k in enumerate(s) if i in axes])) < 2:
            op = "mean"   # a variance of one entry divides by zero degrees of freedom
        if dims is None:
            if op in ("logsumexp", "max"):
                op = "sum"
            expr = f"{a}.{op}()"
            out = ()
        elif dims == () and op in ("var", "std", "logsumexp"):
            # PyTorch 2.13's var/std backward over dim=() is inf/nan and its logsumexp(dim=())
            # keeps the shape: compare only what it gets right
            expr = f"{a}.sum()"
            out = ()
        elif op == "var" or op == "std":
            form = self.rng.integers(3)
            if form == 0 and not isinstance(dims, tuple):
                expr = f"{a}.{op}({dims}, False{kw})"          # (dim, unbiased, keepdim)
            elif form == 1:
                expr = f"{a}.{op}(dim={dims!r}, correction=0{kw})"
            else:
                expr = f"{a}.{op}({dims!r}{kw})"
        elif op in ("prod", "max"):
            if isinstance(dims, tuple):
                op, expr = "sum", f"{a}.sum({dims!r}{kw})"
            else:
                expr = f"{a}.{op}({dims}{kw})" + ("[0]" if op == "max" else "")
        else:
            expr = f"{a}.{op}({dims!r}{kw})"
        name = self.emit(expr, out)
        if ".prod(" in expr:
            self.products.add(name)

    def matmul(self) -> None:
        picked = self.pick(1)
        if picked is None:
            return self.unary()
        a, s = picked
        k = s[-1]
        if self.rng.random() < 0.3:
            w = self.leaf((k,))
            self.emit(f"{a} @ {w}", s[:-1])
        else:
            m = int(self.rng.integers(1, 4))
            w = self.leaf((k, m))
            self.emit(f"T.matmul({a}, {w})", s[:-1] + (m,))

    def movement(self) -> None:
        a, s = self.pick()
        n = len(s)
        options = [("{a}.reshape(-1)", (int(np.prod(s)),)), ("{a}.unsqueeze(0)", (1,) + s),
                   (f"{{a}}.expand(2, {', '.join(map(str, s))})" if s else "{a}.expand(2)", (2,) + s),
                   ("T.cat([{a}, {a} * 2], dim=0)", (2 * s[0],) + s[1:] if s else None),
                   ("T.stack([{a}, {a}.tanh()], dim=-1)", s + (2,))]
        if n >= 2:
            options += [("{a}.transpose(0, -1)", (s[-1],) + s[1:-1] + (s[0],)),
                        (f"{{a}}.permute({', '.join(str(i) for i in reversed(range(n)))})", s[::-1]),
                        ("{a}.squeeze()", tuple(d for d in s if d != 1)),
                        ("{a}.split(1, dim=1)[0]", (s[0], 1) + s[2:])]
        if n == 2:
            options.append(("{a}.T", s[::-1]))
        form, out = options[self.rng.integers(len(options))]
        if out is None:
            return self.unary()
        self.emit(form.format(a=a), out)

    def index(self) -> None:
        picked = self.pick(1)
        if picked is None:
            return self.unary()
        a, s = picked
        n = len(s)
        options = [("{a}[0]", s[1:]), ("{a}[..., ::2]", s[:-1] + ((s[-1] + 1) // 2,)),
                   ("{a}[None, -1:]", (1, 1) + s[1:]), ("{a}[[0, -1, 0]]", (3,) + s[1:])]
        if n >= 2:
            options += [("{a}[:, [0, -1]]", (s[0], 2) + s[2:]), ("{a}[1:, 0]", (s[0] - 1,) + s[2:]),
                        ("{a}[T.tensor([0, 0, 1])[:s0], ...]".replace("s0", str(min(3, s[0]))),
                         (min(3, s[0]),) + s[1:])]
        if n >= 3:
            options.append(("{a}[0, :, [0, -1]]", (s[1], 2)))
        mask = self.rng.random(s) < 0.5
        mask_name = f"M{self.count}"
        self.arrays[mask_name] = mask
        options.append((f"{{a}}[T.tensor(A['{mask_name}'])]", (int(mask.sum()),)))
        form, out = options[self.rng.integers(len(options))]
        self.emit(form.format(a=a), out)

    def inplace(self) -> None:
        a, s = self.pick()
        c = self.emit(f"{a} * 1", s)
        b = self.partner(s) if self.rng.random() < 0.5 else None
        if b is not None and np.broadcast_shapes(s, self.shapes[b]) != s:
            b = None
        forms = ["{c}.mul_(2.5)", "{c}.add_({b})", "{c} += {b}.tanh()", "{c}.clamp_(-0.5, 0.5)",
                 "{c}.sub_({b}, alpha=0.5)", "{c}.div_(2.0)", "{c} *= {b}"]
        if s:
            forms += ["{c}[0].mul_(3)", "{c}.view(-1)[::2].add_(1)", "{c}[0] = {b0}"]
        if len(s) == 2:
            forms.append("{c}.T[0] += 1")
        form = forms[self.rng.integers(len(forms))]
        if "{b}" in form and b is None:
            form = "{c}.mul_(2.5)"
        b0 = None
        if "{b0}" in form:
            b0 = self.leaf((1,) + s[1:] if self.rng.random() < 0.5 else s[1:])
        self.lines.append(form.format(c=c, b=b, b0=b0))

    def setitem(self) -> None:
        picked = self.pick(1)
        if picked is None:
            return self.unary()
        a, s = picked
        c = self.emit(f"{a}.clone()", s)
        v = self.leaf(s[1:] if self.rng.random() < 0.5 else (1,) + s[1:])
        self.lines.append(f"{c}[0] = {v}")

    def hook(self) -> None:
        # not on a prod: PyTorch's backward reads prod's output, so a hook there also scales the
        # second order; ours is a product tree whose backward does not (both are chain-rule right)
        names = [n for n in self.shapes if n not in self.leaves and n not in self.products]
        if not names:
            return self.unary()
        name = names[self.rng.integers(len(names))]
        if self.rng.random() < 0.5:
            self.lines.append(f"{name}.register_hook(lambda g: g * 2)")
        else:
            self.lines.append(f"{name}.retain_grad()")
            self.retained.append(name)

    def finish(self) -> None:
        """loss = Σ (variable · fixed weights), so every variable reaches the loss."""
        terms = []
        for name, shape in self.shapes.items():
            w = f"W_{name}"
            self.arrays[w] = self.rng.standard_normal(shape).astype(self.dtype)
            terms.append(f"({name} * T.tensor(A['{w}'])).sum()")
        self.lines.append("loss = " + " + ".join(terms))


OPS = ["unary", "binary", "reduce", "matmul", "movement", "index", "inplace", "setitem", "hook"]
WEIGHTS = np.array([3, 3, 3, 1, 2, 2, 2, 1, 1], dtype=float)


def generate(seed: int) -> tuple[str, dict, list, list]:
    """Program `seed`: (source, the arrays it reads, leaf names, retained names)."""
    builder = Builder(seed)
    for _ in range(int(builder.rng.integers(1, 3))):
        builder.leaf(LEAF_SHAPES[builder.rng.integers(len(LEAF_SHAPES))])
    for _ in range(int(builder.rng.integers(2, 7))):
        op = OPS[builder.rng.choice(len(OPS), p=WEIGHTS / WEIGHTS.sum())]
        getattr(builder, op)()
    builder.finish()
    return "\n".join(builder.lines), builder.arrays, builder.leaves, builder.retained


def fingerprint(seed: int) -> str:
    """A hash of program `seed` and its data: a recorded answer belongs to exactly this program."""
    source, arrays, _, _ = generate(seed)
    digest = hashlib.sha256(source.encode())
    for key in sorted(arrays):
        digest.update(key.encode() + np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()[:16]


def _broadcasts(a: tuple, b: tuple) -> bool:
    try:
        return np.broadcast_shapes(a, b) == b or np.broadcast_shapes(a, b) == a
    except ValueError:
        return False


# --- running a program -------------------------------------------------------------------------

def _array(x: Any) -> np.ndarray:
    if not hasattr(x, "detach"):
        return np.array(x, copy=True)
    x = x.detach()
    if getattr(x, "_is_zerotensor", lambda: False)():   # PyTorch's lazy all-zeros gradient
        return np.zeros(tuple(x.shape), dtype=_dtype(x))
    return np.array(x.numpy(), copy=True)


def _dtype(x: Any) -> str:
    return str(x.dtype).rsplit(".", 1)[-1]


def run(seed: int, T: Any) -> dict:
    """Everything program `seed` computes with `T` as the library: name -> value, plus 'meta'."""
    source, arrays, leaves, retained = generate(seed)
    env: dict[str, Any] = {"T": T, "A": arrays}
    out: dict[str, Any] = {}
    meta: dict[str, Any] = {"raised": None}
    lines = source.split("\n")
    phase = "forward"
    try:
        for i, line in enumerate(lines):
            phase = f"line {i + 1}"
            exec(line, env)  # noqa: S102 (the program is ours)
        phase = "backward"
        env["loss"].backward(retain_graph=True)
        for name in leaves + retained:
            grad = env[name].grad
            if grad is not None:
                out[f"grad:{name}"] = _array(grad)
                meta[f"dtype:grad:{name}"] = _dtype(grad)
        phase = "autograd.grad"
        inputs = [env[n] for n in leaves]
        firsts = T.autograd.grad(env["loss"], inputs, create_graph=True, allow_unused=True)
        second_terms = []
        for name, g in zip(leaves, firsts):
            if g is None:
                continue
            out[f"d1:{name}"] = _array(g)
            meta[f"dtype:d1:{name}"] = _dtype(g)
            if g.requires_grad:
                second_terms.append((g * T.tensor(arrays[f"W_{name}"])).sum())
        if second_terms:
            phase = "second order"
            total = second_terms[0]
            for term in second_terms[1:]:
                total = total + term
            seconds = T.autograd.grad(total, inputs, allow_unused=True)
            for name, g in zip(leaves, seconds):
                if g is not None:
                    out[f"d2:{name}"] = _array(g)
                    meta[f"dtype:d2:{name}"] = _dtype(g)
    except Exception as error:   # noqa: BLE001 (where it raised is what is compared)
        meta["raised"] = phase
        meta["error"] = f"{type(error).__name__}: {error}"
    for name, value in env.items():
        if name[0] in "tx" and name[1:].isdigit() or name == "loss":
            out[f"value:{name}"] = _array(value)
            meta[f"dtype:{name}"] = _dtype(value)
            meta[f"requires_grad:{name}"] = bool(value.requires_grad)
    out["meta"] = meta
    return out


def compare(seed: int, ours: dict, theirs: dict) -> list[str]:
    """The differences between two runs of program `seed` (empty when they agree)."""
    problems = []
    mine, torch_meta = ours["meta"], theirs["meta"]
    if mine["raised"] != torch_meta["raised"]:
        problems.append(f"raised at {mine['raised']} ({mine.get('error')}); PyTorch raised at "
                        f"{torch_meta['raised']} ({torch_meta.get('error')})")
        return problems
    single = generate(seed)[1]["x0"].dtype == np.float32
    rtol, atol = (2e-4, 1e-5) if single else (1e-7, 1e-9)
    for key in sorted(set(theirs) | set(ours)):
        if key == "meta":
            continue
        if key.startswith("d2:") and key not in ours and np.allclose(theirs[key], 0, rtol=0, atol=atol):
            # a first-order gradient that does not depend on the input (through relu's or max's
            # mask) does not require grad here; PyTorch's does, and differentiates to zeros (up to rounding)
            continue
        if key not in ours or key not in theirs:
            problems.append(f"{key}: {'missing here' if key not in ours else 'PyTorch has none'}")
            continue
        a, b = ours[key], theirs[key]
        if a.shape != b.shape:
            problems.append(f"{key}: shape {a.shape}, PyTorch {b.shape}")
        elif not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            problems.append(f"{key}: {a.tolist()} , PyTorch {b.tolist()}")
    for key in sorted(k for k in torch_meta if k.startswith(("dtype:", "requires_grad:"))):
        if key.startswith("dtype:d2:") and key not in mine and f"{key[6:]}" not in ours:
            continue   # the zero second order above
        if mine.get(key) != torch_meta[key]:
            problems.append(f"{key}: {mine.get(key)}, PyTorch {torch_meta[key]}")
    return problems


def report(seed: int, problems: list[str]) -> str:
    source = generate(seed)[0]
    return (f"program {seed} (tests/pytorch_programs.py) differs from PyTorch:\n  "
            + "\n  ".join(problems) + "\n\nThe program (A holds its arrays: generate(seed)[1]):\n" + source)
