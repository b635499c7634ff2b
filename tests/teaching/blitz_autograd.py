import torch

# "Deep Learning with PyTorch: A 60 Minute Blitz", the autograd part, where what the program
# prints is the point. torch.randn in the tutorial is replaced by fixed numbers (the two libraries
# draw different random streams). The grad_fn objects are printed by name in the tutorial; here
# only whether they exist, as their names are compared elsewhere.

torch.set_default_dtype(torch.float64)

x = torch.ones(2, 2, requires_grad=True)
print(x)

y = x + 2
print(y)
print(y.grad_fn is not None)

z = y * y * 3
out = z.mean()
print(z, out)
record("z", z)
record("out", out.item())

a = torch.tensor([[0.5, -1.5], [2.0, 0.25]])
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn is not None)

out.backward()
print(x.grad)
record("x.grad", x.grad)

# vector-Jacobian product
x = torch.tensor([0.3, -1.2, 0.8], requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
record("y", y)
record("y.data.norm()", y.data.norm().item())

v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)   # the tutorial's float32: PyTorch casts it to y's float64
y.backward(v)
print(x.grad)
record("x.grad (vector-Jacobian product)", x.grad)

print(x.requires_grad)
print((x ** 2).requires_grad)

with torch.no_grad():
    print((x ** 2).requires_grad)

print(x.requires_grad)
y = x.detach()
print(y.requires_grad)
print(x.eq(y).all())
record("detach shares values", bool(x.eq(y).all()))

# gradients accumulate until they are cleared
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
for _ in range(3):
    (w ** 2).sum().backward()
print(w.grad)
record("accumulated grad", w.grad)
w.grad.zero_()
print(w.grad)

# a non-scalar output needs its gradient argument
try:
    (w * 2).backward()
    record("non-scalar backward raises", False)
except RuntimeError:
    record("non-scalar backward raises", True)

# Jacobian-vector by hand: out = J^T v for y = W x
W = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
x = torch.tensor([1.0, -1.0], requires_grad=True)
y = W @ x
y.backward(torch.tensor([1.0, 0.5, 0.25]))
print(x.grad)
record("J^T v", x.grad)
record("J^T v by hand", W.T @ torch.tensor([1.0, 0.5, 0.25]))
