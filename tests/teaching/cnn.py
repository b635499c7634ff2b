import torch
import torch.nn as nn
import torch.nn.functional as F
import numpy as np

# A small convolutional network on 8x8 images of three kinds of stripes (horizontal, vertical,
# diagonal) at different frequencies and phases, in the style of the "Training a classifier"
# tutorial: a Net(nn.Module), CrossEntropyLoss, SGD with momentum, zero_grad/backward/step,
# then model.eval() and the accuracy by argmax(1). Both libraries start from the same weights,
# drawn by NumPy and loaded with load_state_dict.

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)

rows = torch.arange(8.0).view(8, 1)
cols = torch.arange(8.0).view(1, 8)
images, labels = [], []
for k in range(24):
    frequency = 0.6 + 0.15 * (k % 4)
    phase = 0.4 * k
    kind = k % 3
    if kind == 0:
        image = torch.sin(frequency * rows + phase) + 0 * cols
    elif kind == 1:
        image = torch.cos(frequency * cols + phase) + 0 * rows
    else:
        image = torch.sin(frequency * (rows + cols) + phase)
    images.append(image)
    labels.append(kind)
X = torch.stack(images).unsqueeze(1)   # (24, 1, 8, 8): N, C, H, W
y = torch.tensor(labels)
record("X shape", list(X.shape))
record("X[::5]", X[::5])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.flatten(x)
        return self.fc1(x)


model = Net()
record("state_dict keys", list(model.state_dict().keys()))
record("parameter shapes", [list(p.shape) for p in model.parameters()])

rng = np.random.default_rng(1)
INIT = {name: rng.uniform(-0.4, 0.4, size=tuple(value.shape)) for name, value in model.state_dict().items()}
model.load_state_dict({k: torch.tensor(v) for k, v in INIT.items()})

# the same network as an nn.Sequential, given the same weights through copy_ under no_grad
sequential = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(64, 3),
)
with torch.no_grad():
    for p, q in zip(sequential.parameters(), model.parameters()):
        p.copy_(q)
record("Sequential agrees with Net", torch.allclose(sequential(X), model(X)))
record("first logits", model(X[:4]))

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

losses = []
for epoch in range(15):
    running_loss = 0.0
    for i in range(0, 24, 8):
        inputs, targets = X[i:i + 8], y[i:i + 8]
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    losses.append(running_loss / 3)
    if epoch % 5 == 4:
        print(f'[{epoch + 1}] loss: {running_loss / 3:.3f}')
record("losses", losses)
record("conv1.weight.grad", model.conv1.weight.grad)
record("conv1.weight", model.conv1.weight)
record("fc1.bias", model.fc1.bias)

model.eval()
with torch.no_grad():
    outputs = model(X)
    predicted = outputs.argmax(1)
    accuracy = (predicted == y).float().mean().item()
    _, predicted_by_max = torch.max(outputs.data, 1)
print(f'Accuracy of the network on the 24 images: {100 * accuracy:.1f} %')
record("outputs", outputs)
record("predicted", predicted)
record("torch.max agrees", bool((predicted_by_max == predicted).all()))
record("accuracy", accuracy)
record("training mode after eval()", model.training)
