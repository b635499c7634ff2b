import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
import numpy as np

# "Learn the Basics": a dataset and DataLoader, a NeuralNetwork(nn.Module), train_loop/test_loop
# with their printed progress, then torch.save of the state_dict and torch.load into a fresh model
# that must predict the same. The data (three clusters in 4-d) and the starting weights come from
# NumPy, so both libraries see the same ones; the loaders do not shuffle.

torch.set_default_dtype(torch.float64)

rng = np.random.default_rng(7)
centers = np.array([[1.0, 0.0, -1.0, 0.5], [-1.0, 1.0, 0.0, -0.5], [0.0, -1.0, 1.0, 0.0]])
labels = np.arange(96) % 3
points = centers[labels] + 0.6 * rng.standard_normal((96, 4))
training_data = TensorDataset(torch.tensor(points[:64]), torch.tensor(labels[:64]))
test_data = TensorDataset(torch.tensor(points[64:]), torch.tensor(labels[64:]))
record("len(training_data)", len(training_data))
record("training_data[0]", list(training_data[0]))

batch_size = 16
train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=False)
test_dataloader = DataLoader(test_data, batch_size=batch_size, shuffle=False)
X, y = next(iter(train_dataloader))
print(f"Shape of X [N, C]: {X.shape}")
print(f"Shape of y: {y.shape} {y.dtype == torch.int64}")
record("len(train_dataloader)", len(train_dataloader))

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(4, 16),
            nn.ReLU(),
            nn.Linear(16, 16),
            nn.ReLU(),
            nn.Linear(16, 3)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=tuple(param.shape))))
record("parameter names", [name for name, _ in model.named_parameters()])

learning_rate = 1e-1
epochs = 4
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
losses = []


def train_loop(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    # Set the model to training mode - important for batch normalization and dropout layers
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        # Compute prediction and loss
        pred = model(X)
        loss = loss_fn(pred, y)

        # Backpropagation
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        losses.append(loss.item())
        if batch % 2 == 0:
            loss, current = loss.item(), batch * batch_size + len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test_loop(dataloader, model, loss_fn):
    # Set the model to evaluation mode - important for batch normalization and dropout layers
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0

    # Evaluating the model with torch.no_grad() ensures that no gradients are computed during test mode
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()

    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return test_loss, correct


for t in range(epochs):
    print(f"Epoch {t+1}\n-------------------------------")
    train_loop(train_dataloader, model, loss_fn, optimizer)
    record(f"test after epoch {t + 1}", list(test_loop(test_dataloader, model, loss_fn)))
print("Done!")
record("losses", losses)

# Save and load the model
torch.save(model.state_dict(), 'model_weights.pth')
print("Saved PyTorch Model State to model_weights.pth")

model2 = NeuralNetwork().to(device)
model2.load_state_dict(torch.load('model_weights.pth', weights_only=True))
model2.eval()
model.eval()
with torch.no_grad():
    x = test_data[0][0].unsqueeze(0)
    pred = model2(x)
    record("reloaded prediction", pred)
    record("reloaded model predicts the same", torch.equal(model2(test_data[:][0]), model(test_data[:][0])))
    classes = ["north", "west", "south"]
    predicted, actual = classes[pred[0].argmax(0)], classes[test_data[0][1]]
    print(f'Predicted: "{predicted}", Actual: "{actual}"')
record("state_dicts equal", all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                                 model2.state_dict().values())))

# a checkpoint with the optimizer, resumed
torch.save({'epoch': epochs, 'model_state_dict': model.state_dict(),
            'optimizer_state_dict': optimizer.state_dict(), 'loss': losses[-1]}, 'checkpoint.pth')
checkpoint = torch.load('checkpoint.pth', weights_only=True)
model3 = NeuralNetwork()
optimizer3 = torch.optim.SGD(model3.parameters(), lr=learning_rate)
model3.load_state_dict(checkpoint['model_state_dict'])
optimizer3.load_state_dict(checkpoint['optimizer_state_dict'])
record("checkpoint epoch, loss", [checkpoint['epoch'], checkpoint['loss']])
train_loop(train_dataloader, model3, loss_fn, optimizer3)
record("resumed test", list(test_loop(test_dataloader, model3, loss_fn)))
