"""Chapter 23's examples, computed with tinygrad_la tensors (section numbers in the test names).

Every number asserted here is printed in the chapter; the two training runs (23.16 and exercise 6)
are trained with autodiff instead of the chapter's hand-written gradients and must land on the
chapter's numbers to 1e-9.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg


def relu_np(z: np.ndarray) -> np.ndarray:
    return np.maximum(0, z)


# the two-layer network of 23.9 and 23.10
W1 = [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]
B1 = [0.0, 0.0, 1.0]
W2 = [[1.0, 1.0, -1.0]]
B2 = [0.5]


# --- 23.1 a neuron ------------------------------------------------------------------------------

def test_23_1_neuron_score_is_minus_one_and_relu_is_zero():
    x = tg.tensor([2.0, 3.0])
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    b = tg.tensor(1.0, requires_grad=True)
    z = w @ x + b
    h = z.relu()
    assert z.item() == -1.0
    assert h.item() == 0.0
    assert z.shape == () and h.shape == ()


def test_23_1_neuron_gradients():
    x = tg.tensor([2.0, 3.0])
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    b = tg.tensor(1.0, requires_grad=True)
    # the score: dz/dw = x, dz/db = 1
    (w @ x + b).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 3.0])
    assert b.grad.item() == 1.0
    # the inactive ReLU neuron (z = -1 < 0) passes no gradient back
    w.grad = None
    b.grad = None
    (w @ x + b).relu().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    assert b.grad.item() == 0.0


# --- 23.3 stacked linear layers collapse ------------------------------------------------------

def test_23_3_two_linear_layers_collapse_to_one_matrix():
    W1_ = tg.tensor([[1.0, 2.0], [0.0, 1.0]])
    W2_ = tg.tensor([[2.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal((W2_ @ W1_).numpy(), [[2.0, 4.0], [1.0, 3.0]])
    x = tg.tensor([0.3, -1.7], requires_grad=True)
    two_layers = W2_ @ (W1_ @ x)
    one_layer = (W2_ @ W1_) @ x
    np.testing.assert_allclose(two_layers.numpy(), one_layer.numpy(), rtol=0, atol=1e-15)
    # the gradient of the composite is the collapsed matrix's transpose applied to the seed
    two_layers.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 1.0, 4.0 + 3.0])


# --- 23.6 a tiny layer ------------------------------------------------------------------------

def test_23_6_tiny_layer():
    x = tg.tensor([2.0, 3.0])
    W = tg.tensor([[1, 0], [0, 1], [1, -1]], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([0, 0, 1], dtype=tg.float64, requires_grad=True)
    z = W @ x + b
    h = z.relu()
    np.testing.assert_array_equal(z.numpy(), [2.0, 3.0, 0.0])
    np.testing.assert_array_equal(h.numpy(), [2.0, 3.0, 0.0])
    assert z.shape == (3,) and h.shape == (3,)   # R² -> R³
    h.sum().backward()
    # the third neuron sits exactly at z = 0, where ReLU's derivative is taken as 0 (as PyTorch)
    np.testing.assert_array_equal(W.grad.numpy(), [[2.0, 3.0], [2.0, 3.0], [0.0, 0.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 0.0])


# --- 23.9 forward propagation ------------------------------------------------------------------

def test_23_9_forward_pass_gives_5_5():
    x = tg.tensor([2.0, 3.0])
    W1_, b1 = tg.tensor(W1, requires_grad=True), tg.tensor(B1, requires_grad=True)
    W2_, b2 = tg.tensor(W2, requires_grad=True), tg.tensor(B2, requires_grad=True)
    h = (W1_ @ x + b1).relu()
    y_hat = W2_ @ h + b2
    np.testing.assert_array_equal(h.numpy(), [2.0, 3.0, 0.0])
    np.testing.assert_array_equal(y_hat.numpy(), [5.5])
    assert y_hat.shape == (1,)
    y_hat.backward()   # one element: the seed 1 is implicit
    np.testing.assert_array_equal(W2_.grad.numpy(), [[2.0, 3.0, 0.0]])   # dŷ/dW2 = hᵀ
    np.testing.assert_array_equal(b2.grad.numpy(), [1.0])
    # dŷ/dW1 = (W2ᵀ ⊙ ReLU'(z)) xᵀ: neurons 1 and 2 are active, neuron 3 is at z = 0
    np.testing.assert_array_equal(W1_.grad.numpy(), [[2.0, 3.0], [2.0, 3.0], [0.0, 0.0]])
    np.testing.assert_array_equal(b1.grad.numpy(), [1.0, 1.0, 0.0])


# --- 23.10 batch computation -------------------------------------------------------------------

def test_23_10_batch_layer_matrix():
    X = tg.tensor([[2.0, 3.0], [1.0, 1.0], [4.0, 0.5], [-1.0, 2.0]])
    H = (X @ tg.tensor(W1).T + tg.tensor(B1)).relu()   # Z = X Wᵀ + 1 bᵀ
    expected = [[2.0, 3.0, 0.0],
                [1.0, 1.0, 1.0],
                [4.0, 0.5, 4.5],
                [0.0, 2.0, 0.0]]
    np.testing.assert_array_equal(H.numpy(), expected)
    assert H.shape == (4, 3)


def test_23_10_batch_equals_one_example_at_a_time():
    X = tg.tensor([[2.0, 3.0], [1.0, 1.0], [4.0, 0.5], [-1.0, 2.0]])
    W, b = tg.tensor(W1), tg.tensor(B1)
    batch = (X @ W.T + b).relu()
    for i in range(4):
        np.testing.assert_array_equal(batch[i].numpy(), (W @ X[i] + b).relu().numpy())


# --- 23.13 softmax and Example 23.4, exercise 5 -------------------------------------------------

@pytest.mark.parametrize("scores, probabilities", [
    ([1.2, 3.5, 0.7], [0.08635047, 0.86127533, 0.05237421]),              # 23.13
    ([1.0, 2.0, 0.5], [0.2312239, 0.62853172, 0.14024438]),               # Example 23.4
    ([2.0, 0.5, 1.2, 3.1], [0.21382941, 0.04771179, 0.09607975, 0.64237905]),  # exercise 5
])
def test_23_13_softmax_values(scores, probabilities):
    p = tg.tensor(scores).softmax(dim=0)
    np.testing.assert_allclose(p.numpy(), probabilities, rtol=0, atol=5e-9)
    assert p.sum().item() == pytest.approx(1.0, abs=1e-15)
    assert p.argmax().item() == int(np.argmax(scores))


# --- 23.17 XOR --------------------------------------------------------------------------------

def test_23_17_xor_hand_built_network_table():
    X = tg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=tg.float64)
    W1_ = tg.tensor([[1, 1], [1, 1]], dtype=tg.float64)
    b1 = tg.tensor([0, -1], dtype=tg.float64)
    W2_ = tg.tensor([[1, -2]], dtype=tg.float64)
    b2 = tg.tensor([0], dtype=tg.float64)
    H = (X @ W1_.T + b1).relu()
    score = H @ W2_.T + b2
    table = tg.cat([X, H, score], dim=1)
    np.testing.assert_array_equal(table.numpy(), [[0.0, 0.0, 0.0, 0.0, 0.0],
                                                  [0.0, 1.0, 1.0, 0.0, 1.0],
                                                  [1.0, 0.0, 1.0, 0.0, 1.0],
                                                  [1.0, 1.0, 2.0, 1.0, 0.0]])
    # the scores are exactly the XOR labels 0, 1, 1, 0
    np.testing.assert_array_equal(score.reshape(-1).numpy(), [0.0, 1.0, 1.0, 0.0])


# --- 23.18 parameter counts, Example 23.2, problems 3 and 4 -----------------------------------

@pytest.mark.parametrize("n_in, n_out, n_weights, n_params", [
    (784, 128, 100352, 100480),   # 23.18: a 28x28 image into 128 neurons
    (20, 7, 140, 147),            # Example 23.2
    (50, 12, 600, 612),           # problem 3: W is 12x50, 12 biases
    (32 * 32 * 3, 200, 614400, 614600),   # problem 4
])
def test_23_18_parameter_counts_from_tensor_shapes(n_in, n_out, n_weights, n_params):
    W = tg.zeros(n_out, n_in, requires_grad=True)
    b = tg.zeros(n_out, requires_grad=True)
    assert W.shape == (n_out, n_in)
    assert W.numel() == n_weights
    assert W.numel() + b.numel() == n_params
    # and the layer maps a flattened input to n_out features
    x = tg.ones(n_in)
    assert (W @ x + b).shape == (n_out,)


def test_23_18_parameter_count_of_a_flattened_image():
    image = tg.zeros(28, 28)
    x = image.flatten()
    assert x.shape == (784,)
    W, b = tg.zeros(128, x.shape[0]), tg.zeros(128)
    assert W.numel() + b.numel() == 128 * 784 + 128 == 100480


# --- 23.24 exercises 1-3 ------------------------------------------------------------------------

def test_23_24_exercise_1_one_neuron():
    x = tg.tensor([1, 2, -1], dtype=tg.float64)
    w = tg.tensor([3, -1, 2], dtype=tg.float64)
    z = w @ x + 4.0
    assert (z.item(), z.relu().item()) == (3.0, 3.0)


def test_23_24_exercise_2_one_layer():
    W = tg.tensor([[1, 0], [0, 1], [1, 1]], dtype=tg.float64)
    x = tg.tensor([2, 4], dtype=tg.float64)
    b = tg.tensor([0, 0, -3], dtype=tg.float64)
    z = W @ x + b
    np.testing.assert_array_equal((W @ x).numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(z.numpy(), [2.0, 4.0, 3.0])
    np.testing.assert_array_equal(z.relu().numpy(), [2.0, 4.0, 3.0])


def test_23_24_exercise_3_batch_layer():
    W = tg.tensor([[1, 0], [0, 1], [1, 1]], dtype=tg.float64)
    b = tg.tensor([0, 0, -3], dtype=tg.float64)
    X = tg.tensor([[2, 4], [1, 1], [3, 0], [0, 2]], dtype=tg.float64)
    H = (X @ W.T + b).relu()
    np.testing.assert_array_equal(H.numpy(), [[2.0, 4.0, 3.0],
                                              [1.0, 1.0, 0.0],
                                              [3.0, 0.0, 0.0],
                                              [0.0, 2.0, 0.0]])


# --- 23.16 regression trained with autodiff -----------------------------------------------------

def test_23_16_regression_trained_with_autodiff_reproduces_the_chapter():
    np.random.seed(7)
    X = np.linspace(-3, 3, 80)
    y = 1.8 * X - 0.6 + 0.5 * np.random.normal(size=80)

    w = tg.tensor(0.0, requires_grad=True)
    b = tg.tensor(0.0, requires_grad=True)
    eta = 0.04
    losses = []
    for _ in range(300):
        loss = ((w * X + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with tg.no_grad():
            w -= eta * w.grad
            b -= eta * b.grad
        w.grad = None
        b.grad = None

    assert w.item() == pytest.approx(1.8025337939337942, abs=1e-9)
    assert b.item() == pytest.approx(-0.6310421664257352, abs=1e-9)
    assert losses[-1] == pytest.approx(0.2776807055918692, abs=1e-9)
    # training reduces the loss, and the parameters stayed leaves throughout
    assert losses[0] > 10 * losses[-1]
    assert w.is_leaf and b.is_leaf and w.grad_fn is None


def test_23_16_autodiff_gradient_matches_the_chapter_formula_at_the_start():
    np.random.seed(7)
    X = np.linspace(-3, 3, 80)
    y = 1.8 * X - 0.6 + 0.5 * np.random.normal(size=80)
    w = tg.tensor(0.0, requires_grad=True)
    b = tg.tensor(0.0, requires_grad=True)
    ((w * X + b - y) ** 2).mean().backward()
    error = 0.0 * X + 0.0 - y
    assert w.grad.item() == pytest.approx(2 * np.mean(error * X), rel=1e-12)
    assert b.grad.item() == pytest.approx(2 * np.mean(error), rel=1e-12)


# --- exercise 6: a tiny ReLU network on a sine curve ----------------------------------------------

def _exercise_6_data_and_init():
    """The chapter's data and initial weights, drawn in the chapter's order."""
    np.random.seed(3)
    X = np.linspace(-2, 2, 120).reshape(-1, 1)
    y = (np.sin(3 * X[:, 0]) + 0.15 * np.random.randn(120)).reshape(-1, 1)
    hidden = 12
    W1_ = 0.5 * np.random.randn(hidden, 1)
    b1 = np.zeros((hidden,))
    W2_ = 0.5 * np.random.randn(1, hidden)
    b2 = np.zeros((1,))
    return X, y, W1_, b1, W2_, b2


def _exercise_6_numpy_reference(steps: int) -> list[float]:
    """The chapter's hand-written backprop, verbatim."""
    X, y, W1_, b1, W2_, b2 = _exercise_6_data_and_init()
    eta = 0.02
    losses = []
    for _ in range(steps):
        Z1 = X @ W1_.T + b1
        H = np.maximum(0, Z1)
        Yhat = H @ W2_.T + b2
        E = Yhat - y
        loss = np.mean(E**2)
        losses.append(loss)

        dY = 2 * E / len(X)
        dW2 = dY.T @ H
        db2 = dY.sum(axis=0)
        dH = dY @ W2_
        dZ1 = dH * (Z1 > 0)
        dW1 = dZ1.T @ X
        db1 = dZ1.sum(axis=0)

        W2_ -= eta * dW2
        b2 -= eta * db2
        W1_ -= eta * dW1
        b1 -= eta * db1
    return losses


def test_exercise_6_sine_network_trained_with_autodiff_matches_hand_written_backprop():
    steps = 1500
    reference = _exercise_6_numpy_reference(steps)
    assert reference[-1] == pytest.approx(0.12352043669982682, abs=1e-9)   # the chapter's run

    X_np, y_np, W1_np, b1_np, W2_np, b2_np = _exercise_6_data_and_init()
    X, y = tg.tensor(X_np), tg.tensor(y_np)
    W1_ = tg.tensor(W1_np, requires_grad=True)
    b1 = tg.tensor(b1_np, requires_grad=True)
    W2_ = tg.tensor(W2_np, requires_grad=True)
    b2 = tg.tensor(b2_np, requires_grad=True)
    params = [W2_, b2, W1_, b1]
    eta = 0.02
    losses = []
    for _ in range(steps):
        H = (X @ W1_.T + b1).relu()
        Yhat = H @ W2_.T + b2
        loss = ((Yhat - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with tg.no_grad():
            for p in params:
                p -= eta * p.grad
                p.grad.zero_()

    np.testing.assert_allclose(losses, reference, rtol=1e-9, atol=0)
    assert losses[-1] == pytest.approx(0.12352043669982682, abs=1e-9)
    assert losses[-1] < 0.25 * losses[0]
