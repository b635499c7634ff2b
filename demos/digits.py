"""Handwritten digits (23.1, 23.18): a 64-32-10 network learns to read scikit-learn's 8×8 digits.

    python -m demos.digits [--steps 20] [--seed 0] [--out out]

The chapter's opening story at small scale: an image enters as numbers (8×8 = 64 brightness
values, flattened into a vector), a hidden layer of 32 ReLU units builds a representation, and
the last layer gives score(0), ..., score(9). nn.CrossEntropyLoss turns the scores into
softmax probabilities and takes -log p(true class) (23.13-23.14); a DataLoader hands out shuffled
minibatches of 32 images, each one a single matrix product per layer (23.10); optim.Adam trains.
Beside it, the step the chapter names next: a convolutional layer. Eight 3×3 filters slide over
the image (each one the same small weight matrix applied at every position, so the layer is one
matrix product over all the 3×3 patches, and its gradient is again dW = dZᵀ X), a 2×2 max-pool
halves the grid, and a dense layer reads the 8×4×4 feature maps.
The 1797 images ship inside scikit-learn (no download). Both networks' test accuracy must reach
95% (checked at --steps 20 epochs or more; a shorter run only reports).
Figures: digits_confusion.png (which digit is read as which), digits_examples.png.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

import tinygrad_la as tg
from tinygrad_la import nn, optim
from tinygrad_la.utils.data import DataLoader, TensorDataset

try:
    from demos import common
except ImportError:   # run as a file, `python demos/NAME.py`: this folder is on the path, not the repo
    import common

EPOCHS, SEED, LR, BATCH = 20, 0, 3e-3, 32
GOAL = 0.95


def load(seed: int) -> dict[str, np.ndarray]:
    """The digits, split 75% / 25% into training and test sets (each digit in both, in proportion).

    Features are standardized with the training set's mean and spread: every pixel then has mean 0
    and variance 1, which keeps the first layer's scores w·x + b in a range where training is easy.
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as error:
        raise SystemExit("the digits demo reads its data from scikit-learn, which is not installed: "
                         "pip install -e '.[demos]' (or `make demo`, which installs it)") from error
    digits = load_digits()                      # images (1797, 8, 8), data (1797, 64), target (1797,)
    index_train, index_test = train_test_split(np.arange(len(digits.target)), test_size=0.25,
                                               random_state=seed, stratify=digits.target)
    X = digits.data.astype(np.float64)
    mean = X[index_train].mean(axis=0)
    spread = X[index_train].std(axis=0)
    spread[spread == 0] = 1.0                   # corner pixels that are always blank stay 0
    X = (X - mean) / spread
    return {"X_train": X[index_train], "y_train": digits.target[index_train],
            "X_test": X[index_test], "y_test": digits.target[index_test], "images_test": digits.images[index_test]}


def dense_network() -> nn.Sequential:
    """64 → 32 ReLU → 10 scores."""
    return nn.Sequential(
        nn.Linear(64, 32),   # W1: (32, 64), one row per hidden unit: the pixel pattern it looks for
        nn.ReLU(),
        nn.Linear(32, 10),   # W2: (10, 32), one row per digit: how hidden features vote for it
    )


def convolutional_network() -> nn.Sequential:
    """(1, 8, 8) image → 8 filters 3×3 → ReLU → 2×2 max-pool → 8·4·4 features → 10 scores."""
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),                # the 64 pixels back into a one-channel 8×8 image
        nn.Conv2d(1, 8, kernel_size=3, padding=1),  # W: (8, 1, 3, 3), one 3×3 filter per feature map
        nn.ReLU(),
        nn.MaxPool2d(2),                           # (8, 8, 8) → (8, 4, 4)
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10),
    )


def train(data: dict[str, np.ndarray], epochs: int, seed: int,
          network: Callable[[], nn.Sequential] | None = None, name: str = "digits") -> tuple[nn.Sequential, list[float]]:
    tg.manual_seed(seed)   # the starting weights
    model = (network or dense_network)()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=LR)
    dataset = TensorDataset(tg.tensor(data["X_train"]), tg.tensor(data["y_train"]))
    loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, seed=seed)   # a new order each epoch

    epoch_losses = []
    bar = common.progress(epochs, name, unit="epoch")
    for epoch in bar:
        total, count = 0.0, 0
        for X_batch, y_batch in loader:          # X_batch: (32, 64), y_batch: (32,) class indices
            optimizer.zero_grad()
            loss = loss_fn(model(X_batch), y_batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y_batch)
            count += len(y_batch)
        epoch_losses.append(total / count)
        bar.set_postfix_str(f"loss {epoch_losses[-1]:.4f}", refresh=False)
    return model, epoch_losses


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    """C[i, j] = how many images of digit i the network read as digit j."""
    matrix = np.zeros((classes, classes), dtype=int)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def plot(report: common.Report, out: Path, data: dict[str, np.ndarray], predicted: np.ndarray,
         probabilities: np.ndarray, accuracy: float) -> None:
    plt = common.pyplot()
    matrix = confusion_matrix(data["y_test"], predicted)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    image = ax.imshow(matrix, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if matrix[i, j]:
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=9,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
           title=f"Digits: Test Accuracy {accuracy:.1%} ({len(predicted)} images)")
    fig.colorbar(image, ax=ax, label="images")
    report.save(fig, out, "digits_confusion.png")

    # a few test images with the network's reading; the mistakes first, in red
    wrong = np.flatnonzero(predicted != data["y_test"])
    right = np.flatnonzero(predicted == data["y_test"])
    shown = np.concatenate([wrong, right])[:24]
    fig, axes = plt.subplots(3, 8, figsize=(10, 4.4), layout="constrained")
    for ax, i in zip(axes.ravel(), shown):
        ax.imshow(data["images_test"][i], cmap="gray_r")
        ok = predicted[i] == data["y_test"][i]
        title = f"read {predicted[i]} ({probabilities[i, predicted[i]]:.0%})"   # the digit, and how sure
        ax.set_title(title if ok else f"{title}\nis {data['y_test'][i]}", fontsize=9, color="black" if ok else "C3")
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[len(shown):]:
        ax.axis("off")
    fig.suptitle(f"Test Digits as the Network Reads Them: the {len(wrong)} Mistakes First (red)")
    report.save(fig, out, "digits_examples.png")


def evaluate(model: nn.Sequential, data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The model's softmax probabilities on the test images (450, 10) (23.13), and the digit it reads
    in each: the class with the largest score."""
    model.eval()
    with tg.no_grad():
        probabilities = model(tg.tensor(data["X_test"])).softmax(dim=1).numpy()
    return probabilities, probabilities.argmax(axis=1)


def check_accuracy(report: common.Report, what: str, accuracy: float, epochs: int, detail: str = "") -> None:
    """The 95% goal, checked on a full run; a shorter run only reports the accuracy."""
    message = f"{what} {accuracy:.2%}{detail}"
    if epochs >= EPOCHS:
        report.goal(what, accuracy >= GOAL, message + f" (goal: at least {GOAL:.0%})")
    else:
        print(f"  {message} (a short run: the {GOAL:.0%} goal is checked at --steps {EPOCHS} or more)")


def run(epochs: int = EPOCHS, seed: int = SEED, out: Path = Path("out")) -> common.Report:
    report = common.Report("digits")
    data = load(seed)
    print(f"digits: a 64-32-10 ReLU network, nn.CrossEntropyLoss, optim.Adam(lr={LR}), minibatches of {BATCH}, "
          f"{epochs} epochs, seed {seed}; {len(data['y_train'])} training and {len(data['y_test'])} test images")
    model, epoch_losses = train(data, epochs, seed)

    probabilities, predicted = evaluate(model, data)
    accuracy = float(np.mean(predicted == data["y_test"]))
    report.values.update(accuracy=accuracy, final_loss=epoch_losses[-1], parameters=model.num_parameters())
    print(f"  {model.num_parameters()} parameters (64·32 + 32 + 32·10 + 10); "
          f"training loss {epoch_losses[0]:.4f} after epoch 1, {epoch_losses[-1]:.4f} after epoch {epochs}")
    check_accuracy(report, "test accuracy", accuracy, epochs,
                   f" ({int(np.sum(predicted == data['y_test']))} of {len(predicted)} images)")

    cnn, cnn_losses = train(data, epochs, seed, convolutional_network, "digits (conv)")
    cnn_accuracy = float(np.mean(evaluate(cnn, data)[1] == data["y_test"]))
    report.values.update(cnn_accuracy=cnn_accuracy, cnn_parameters=cnn.num_parameters())
    print(f"  beside it, a convolutional network (8 filters 3×3, ReLU, 2×2 max-pool, dense 128 → 10): "
          f"{cnn.num_parameters()} parameters, training loss {cnn_losses[-1]:.4f} after epoch {epochs}")
    check_accuracy(report, "convolutional test accuracy", cnn_accuracy, epochs)

    plot(report, out, data, predicted, probabilities, accuracy)
    return report


def main(argv: list[str] | None = None) -> int:
    args = common.parse_args(__doc__, argv, steps=EPOCHS, seed=SEED,
                             steps_help="training epochs (passes over the data)",
                             seed_help="seed for the split, the starting weights and the shuffling")
    return run(args.steps, args.seed, args.out).exit_code()


if __name__ == "__main__":
    sys.exit(main())
