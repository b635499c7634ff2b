import torch

# "The spelled-out intro to neural networks and backpropagation: building micrograd": the
# lecture checks its hand-made neuron against PyTorch with torch.Tensor([...]).double() leaves,
# then builds the same tiny MLP as micrograd's and trains it on four examples.

torch.set_default_dtype(torch.float64)

x1 = torch.Tensor([2.0]).double()
x1.requires_grad = True
x2 = torch.Tensor([0.0]).double()
x2.requires_grad = True
w1 = torch.Tensor([-3.0]).double()
w1.requires_grad = True
w2 = torch.Tensor([1.0]).double()
w2.requires_grad = True
b = torch.Tensor([6.8813735870195432]).double()
b.requires_grad = True
n = x1 * w1 + x2 * w2 + b
o = torch.tanh(n)

print(o.data.item())
o.backward()

print('---')
print('x2', x2.grad.item())
print('w2', w2.grad.item())
print('x1', x1.grad.item())
print('w1', w1.grad.item())
record("o", o.item())
record("grads", [x1.grad.item(), x2.grad.item(), w1.grad.item(), w2.grad.item(), b.grad.item()])
record("torch.Tensor makes float32", torch.Tensor([2.0]).dtype == torch.float32)
record("x2.grad dtype is float64", x2.grad.dtype == torch.float64)


# micrograd's MLP, written with tensors: Neuron, Layer, MLP
class Neuron:
    def __init__(self, nin, k):
        self.w = torch.tensor([((7 * k + 3 * i) % 11) / 5.5 - 1.0 for i in range(nin)], requires_grad=True)
        self.b = torch.tensor(((5 * k) % 7) / 3.5 - 1.0, requires_grad=True)

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return [self.w, self.b]


class Layer:
    def __init__(self, nin, nout, k):
        self.neurons = [Neuron(nin, k + j) for j in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], 10 * i) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


xs = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
]
ys = [1.0, -1.0, -1.0, 1.0]  # desired targets
n = MLP(3, [4, 4, 1])
record("parameter tensors", len(n.parameters()))

for k in range(20):
    # forward pass
    ypred = [n(torch.tensor(x)) for x in xs]
    loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))

    # backward pass
    for p in n.parameters():
        p.grad = None
    loss.backward()

    # update
    for p in n.parameters():
        p.data += -0.05 * p.grad

    print(k, loss.item())
record("ypred", [y.item() for y in ypred])
record("last layer", [p.detach() for p in n.layers[-1].parameters()])
