import torch
import torch.nn as nn
import torch.nn.functional as F
import numpy as np

# Linear -> BatchNorm1d -> Tanh -> Linear trained a few steps with Adam on minibatches; then
# model.eval() predicts with the running statistics. The state_dict's keys and buffers
# (running_mean, running_var, num_batches_tracked) are compared as well as the predictions.
# The Linear before the batch norm has no bias, as the lecture advises: batch norm subtracts it
# right away, so its gradient is pure round-off, which Adam would scale up into real steps.

torch.set_default_dtype(torch.float64)
torch.manual_seed(42)

rng = np.random.default_rng(5)
X = torch.tensor(rng.standard_normal((64, 4)) * 2 + 1)
y = (X[:, 0] * X[:, 1] - X[:, 2] > 0).long()

model = nn.Sequential(
    nn.Linear(4, 8, bias=False),   # a bias before batch norm is subtracted right away: its gradient is 0
    nn.BatchNorm1d(8),
    nn.Tanh(),
    nn.Linear(8, 2),
)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("weight") and p.dim() == 2:
            p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=tuple(p.shape))))
        elif name == "1.weight":
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, size=tuple(p.shape))))
        else:
            p.copy_(torch.tensor(rng.uniform(-0.1, 0.1, size=tuple(p.shape))))

record("state_dict keys", list(model.state_dict().keys()))
record("named_buffers", [name for name, _ in model.named_buffers()])
record("initial running_mean", model[1].running_mean)
record("initial num_batches_tracked", model[1].num_batches_tracked)
record("bn eps, momentum", [model[1].eps, model[1].momentum])

optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
losses = []
model.train()
for step in range(12):
    ix = torch.tensor(rng.integers(0, 64, size=16))
    logits = model(X[ix])
    loss = F.cross_entropy(logits, y[ix])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
record("losses", losses)
record("bn weight grad", model[1].weight.grad)
record("bn weight", model[1].weight)
record("first layer weight", model[0].weight)
record("first layer has no bias", model[0].bias is None)

bn = model[1]
record("running_mean", bn.running_mean)
record("running_var", bn.running_var)
record("num_batches_tracked", bn.num_batches_tracked)
record("num_batches_tracked.item()", bn.num_batches_tracked.item())
record("running stats need no grad", [bn.running_mean.requires_grad, bn.running_var.requires_grad])

state = model.state_dict()
record("state_dict", {k: v for k, v in state.items()})

model.eval()
with torch.no_grad():
    predictions = model(X)
    probabilities = F.softmax(predictions, dim=1)
record("eval predictions", predictions)
record("eval probabilities", probabilities)
record("eval accuracy", (probabilities.argmax(1) == y).double().mean().item())
record("running stats unchanged in eval", bn.num_batches_tracked.item())

# eval() uses the running statistics: the same as normalizing by hand with them
with torch.no_grad():
    h = model[0](X)
    by_hand = (h - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    record("eval BatchNorm1d is the running-stat formula", torch.allclose(bn(h), by_hand))

# train() again: the batch's own statistics, with the biased variance
model.train()
with torch.no_grad():
    h = model[0](X[:10])
    out = bn(h)
    by_hand = (h - h.mean(0)) / torch.sqrt(h.var(0, unbiased=False) + bn.eps) * bn.weight + bn.bias
record("train BatchNorm1d is the batch-stat formula", torch.allclose(out, by_hand))
record("num_batches_tracked after one more", bn.num_batches_tracked.item())
