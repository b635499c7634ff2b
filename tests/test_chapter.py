"""Chapter 23's examples, computed with tinygrad_la tensors (section numbers in the test names).

Every number asserted here is printed in the chapter, except exercise 6's: the chapter only plots
its loss curve, so its own code (copied below) is run and is the oracle. The two training runs
(23.16 and exercise 6) are trained with autodiff instead of the chapter's hand-written gradients
and must land on the chapter's numbers to 1e-9.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg
from demos import exercise6, regression


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
    X, y = regression.make_data(7)

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
    X, y = regression.make_data(7)
    w = tg.tensor(0.0, requires_grad=True)
    b = tg.tensor(0.0, requires_grad=True)
    ((w * X + b - y) ** 2).mean().backward()
    error = 0.0 * X + 0.0 - y
    assert w.grad.item() == pytest.approx(2 * np.mean(error * X), rel=1e-12)
    assert b.grad.item() == pytest.approx(2 * np.mean(error), rel=1e-12)


# --- exercise 6: a tiny ReLU network on a sine curve ----------------------------------------------
# demos/exercise6.py is the one implementation the demos, benchmarks and tests use; the chapter's
# own code below is the oracle it is held to.

def chapter_exercise_6() -> dict[str, np.ndarray]:
    """The chapter's exercise 6 (23.24, numbered 23.26.6 in the text) as it prints it, plots left out.

    Copied, not imported, so that a change to the shared implementation cannot also change what it
    is compared with. The chapter seeds NumPy's global generator; its state is put back afterwards
    so that no other test depends on the order the tests run in.
    """
    state = np.random.get_state()
    try:
        # A small NumPy network for a nonlinear one-dimensional curve.
        np.random.seed(3)
        X = np.linspace(-2, 2, 120).reshape(-1, 1)
        y = (np.sin(3*X[:, 0]) + 0.15*np.random.randn(120)).reshape(-1, 1)

        hidden = 12
        W1 = 0.5*np.random.randn(hidden, 1)
        b1 = np.zeros((hidden,))
        W2 = 0.5*np.random.randn(1, hidden)
        b2 = np.zeros((1,))
        eta = 0.02
        losses = []

        for step in range(1500):
            Z1 = X @ W1.T + b1
            H = np.maximum(0, Z1)
            Yhat = H @ W2.T + b2
            E = Yhat - y
            loss = np.mean(E**2)
            losses.append(loss)

            dY = 2*E/len(X)
            dW2 = dY.T @ H
            db2 = dY.sum(axis=0)
            dH = dY @ W2
            dZ1 = dH * (Z1 > 0)
            dW1 = dZ1.T @ X
            db1 = dZ1.sum(axis=0)

            W2 -= eta*dW2
            b2 -= eta*db2
            W1 -= eta*dW1
            b1 -= eta*db1
    finally:
        np.random.set_state(state)
    return dict(X=X, y=y, losses=np.array(losses), W1=W1, b1=b1, W2=W2, b2=b2, Yhat=Yhat)


def test_exercise_6_shared_implementation_is_the_chapters_code_bit_for_bit():
    chapter = chapter_exercise_6()
    X, y, weights = exercise6.make_data_and_weights()
    np.testing.assert_array_equal(X, chapter["X"])
    np.testing.assert_array_equal(y, chapter["y"])
    losses, final = exercise6.numpy_training(X, y, weights)
    np.testing.assert_array_equal(losses, chapter["losses"])
    for name in exercise6.NAMES:
        np.testing.assert_array_equal(final[name], chapter[name], err_msg=name)
    fresh = exercise6.make_data_and_weights()[2]
    for name in exercise6.NAMES:   # the loop trained copies: the caller's starting weights are as drawn
        np.testing.assert_array_equal(weights[name], fresh[name], err_msg=name)
    assert exercise6.FINAL_LOSS == chapter["losses"][-1] == 0.12352043669982682
    assert (exercise6.SEED, exercise6.POINTS, exercise6.HIDDEN, exercise6.ETA, exercise6.STEPS) == (3, 120, 12, 0.02, 1500)


def test_exercise_6_draw_leaves_the_global_generator_alone():
    np.random.seed(11)
    expected = np.random.randn(3)
    np.random.seed(11)
    exercise6.make_data_and_weights()
    np.testing.assert_array_equal(np.random.randn(3), expected)


def test_exercise_6_sine_network_trained_with_autodiff_matches_hand_written_backprop():
    chapter = chapter_exercise_6()
    X, y, weights = exercise6.make_data_and_weights()
    losses, final = exercise6.tensor_training(tg.tensor(X), tg.tensor(y), weights)
    np.testing.assert_allclose(losses, chapter["losses"], rtol=1e-9, atol=0)
    for name in exercise6.NAMES:
        np.testing.assert_allclose(final[name], chapter[name], rtol=1e-9, atol=1e-12, err_msg=name)
    assert losses[-1] == pytest.approx(0.12352043669982682, abs=1e-9)
    assert losses[-1] < 0.25 * losses[0]


def test_exercise_6_nn_sequential_and_compiled_match_hand_written_backprop():
    chapter = chapter_exercise_6()
    X, y, weights = exercise6.make_data_and_weights()
    for compiled in (False, True):
        model = exercise6.make_model(weights)
        losses = exercise6.nn_training(model, tg.tensor(X), tg.tensor(y), compiled=compiled)
        np.testing.assert_allclose(losses, chapter["losses"], rtol=1e-9, atol=0, err_msg=f"compiled={compiled}")
        final = dict(zip(exercise6.NAMES, (w.numpy() for w in model.parameters())))
        for name in exercise6.NAMES:
            np.testing.assert_allclose(final[name], chapter[name], rtol=1e-9, atol=1e-12, err_msg=name)
