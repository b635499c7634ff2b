import torch
import torch.nn.functional as F
import numpy as np

# A two-layer MLP from raw tensors, trained by gradient descent written by hand over p.data,
# as in the first lectures: loss.backward(), then p.data += -lr * p.grad, then clear the grad.
# The weights come from NumPy so that every library starts from the same point.

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(0)

xs = torch.tensor(rng.uniform(-1, 1, size=(16, 3)))
ys = torch.tanh(xs @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3).view(-1)


def fresh_parameters():
    W1 = torch.tensor(rng.standard_normal((3, 8)) * 0.5, requires_grad=True)
    b1 = torch.zeros(8, requires_grad=True)
    W2 = torch.tensor(rng.standard_normal((8, 1)) * 0.5, requires_grad=True)
    b2 = torch.tensor([0.1], requires_grad=True)
    return [W1, b1, W2, b2]


def forward(params, x):
    W1, b1, W2, b2 = params
    h = torch.tanh(x @ W1 + b1)
    return (h @ W2 + b2).view(-1)


# --- variant 1: p.grad = None -----------------------------------------------------------------
params = fresh_parameters()
print(sum(p.nelement() for p in params))
lr = 0.1
losses = []
for step in range(20):
    ypred = forward(params, xs)
    loss = ((ypred - ys) ** 2).mean()
    for p in params:
        p.grad = None
    loss.backward()
    for p in params:
        p.data += -lr * p.grad
    losses.append(loss.item())
    if step % 5 == 0:
        print(f"step {step:2d}  loss {loss.item():.6f}")
record("losses, grad = None", losses)
record("W1 after", params[0])
record("b2 grad", params[3].grad)
record("W1 is a leaf", params[0].is_leaf)
record("W1 requires grad", params[0].requires_grad)

# --- variant 2: p.grad.zero_(), a sum loss and a learning rate that decays ------------------------
params = fresh_parameters()
losses = []
for step in range(20):
    ypred = forward(params, xs)
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))   # micrograd's loss, over 0-d tensors
    loss.backward()
    lr = 0.01 if step < 10 else 0.005
    for p in params:
        p.data += -lr * p.grad
        p.grad.zero_()
    losses.append(loss.item())
record("losses, grad.zero_()", losses)
record("grads are zero", [p.grad.abs().sum().item() for p in params])
record("b1 after", params[1])

# --- variant 3: the update under torch.no_grad(), on the tensors themselves -------------------------
params = fresh_parameters()
losses = []
for step in range(20):
    loss = F.mse_loss(forward(params, xs), ys)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= 0.1 * p.grad
            p.grad = None
    losses.append(loss.item())
record("losses, no_grad", losses)
record("grad is None", [p.grad is None for p in params])
record("predictions", forward(params, xs).detach())
