"""Backpropagation for one hidden layer, written plainly: a line per equation, float64, no
flat vector of parameters, no product written in place. It is for reading beside
docs/learning.md ("Backpropagation, derived"), and the engine (mlp/), which computes the
same with its speed-ups, is checked against it (tests/test_plain_backprop.py).

x is a batch of n images as rows, y their one-hot labels (n x 10); the loss is the mean
over the batch of each image's loss l.
"""

import numpy as np

# Each activation f and its derivative f'.
ACTIVATIONS = {
    "leaky_relu": (lambda z, s: np.where(z > 0, z, s * z), lambda z, s: np.where(z > 0, 1.0, s)),
    "relu": (lambda z, s: np.where(z > 0, z, 0.0), lambda z, s: np.where(z > 0, 1.0, 0.0)),
    "sigmoid": (lambda z, s: 1 / (1 + np.exp(-z)), lambda z, s: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (lambda z, s: np.tanh(z), lambda z, s: 1 - np.tanh(z) ** 2),
}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# Each loss's output error, delta2 = dl/dz2 for one image, from p = softmax(z2) and y.
def cross_entropy_error(p, y, floor):
    return p - y  # l = -log p_y


def mae_error(p, y, floor):
    k = y.shape[1]  # l = mean over the k classes of |p - y| = 2 (1 - p_y) / k
    p_y = (p * y).sum(axis=1, keepdims=True)
    return 2 / k * np.maximum(p_y, floor) * (p - y)  # floor 0: MAE's own gradient


def quadratic_error(p, y, floor):
    g = p - y  # l = 1/2 |p - y|^2, so dl/dp = g; then through the softmax's Jacobian
    return p * (g - (p * g).sum(axis=1, keepdims=True))


OUTPUT_ERRORS = {"cross_entropy": cross_entropy_error, "mae": mae_error, "quadratic": quadratic_error}


def gradients(x, y, W1, b1, W2, b2, activation, loss, slope=0.0, floor=0.0):
    """dL/dW1, dL/db1, dL/dW2, dL/db2 of the batch's mean loss."""
    f, f_prime = ACTIVATIONS[activation]
    n = x.shape[0]
    z1 = x @ W1 + b1  # forward: z1 = x W1 + b1
    a1 = f(z1, slope)  # a1 = f(z1)
    z2 = a1 @ W2 + b2  # z2 = a1 W2 + b2
    p = softmax(z2)  # p = softmax(z2)
    delta2 = OUTPUT_ERRORS[loss](p, y, floor)  # (BP1) the output error
    delta1 = (delta2 @ W2.T) * f_prime(z1, slope)  # (BP2) the error one layer down
    db2 = delta2.sum(axis=0) / n  # (BP3) a bias's gradient is its layer's error
    db1 = delta1.sum(axis=0) / n
    dW2 = a1.T @ delta2 / n  # (BP4) a weight's gradient: its input times its error
    dW1 = x.T @ delta1 / n
    return dW1, db1, dW2, db2


def gradients_two_hidden(x, y, W1, b1, W2, b2, W3, b3, activation, loss, slope=0.0, floor=0.0):
    """dL/dW1, dL/db1, dL/dW2, dL/db2, dL/dW3, dL/db3 for two hidden layers: BP2 once more."""
    f, f_prime = ACTIVATIONS[activation]
    n = x.shape[0]
    z1 = x @ W1 + b1  # forward, layer by layer
    a1 = f(z1, slope)
    z2 = a1 @ W2 + b2
    a2 = f(z2, slope)
    z3 = a2 @ W3 + b3
    p = softmax(z3)
    delta3 = OUTPUT_ERRORS[loss](p, y, floor)  # (BP1) the output error
    delta2 = (delta3 @ W3.T) * f_prime(z2, slope)  # (BP2) one layer down
    delta1 = f_prime(z1, slope) * (delta2 @ W2.T)  # (BP2) and one more
    return (
        x.T @ delta1 / n, delta1.sum(axis=0) / n,  # (BP4, BP3) each layer's input times its error
        a1.T @ delta2 / n, delta2.sum(axis=0) / n,
        a2.T @ delta3 / n, delta3.sum(axis=0) / n,
    )  # fmt: skip
