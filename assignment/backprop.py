"""Backpropagation for one hidden layer, written plainly: a line per equation, float64, no
flat vector of parameters, no product written in place. It is for reading beside
docs/learning.md ("Backpropagation, derived"), it is what the engine (mlp/), which
computes the same with its speed-ups, is checked against (tests/test_plain_backprop.py),
and it is the build-it assignment's reference: `python -m assignment.student` writes the
version without the lines between the SOLUTION markers, and `python -m assignment.grade`
grades a student's (docs/teaching.md).

x is a batch of n images as rows, y their one-hot rows (Y on the pages, n x 10); the cost C
is the mean over the batch of each image's cost C_x (docs/learning.md's table of symbols).
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


def forward(x, W1, b1, W2, b2, activation, slope=0.0):
    """z1, a1 and p for the batch x: the forward pass."""
    f, _ = ACTIVATIONS[activation]
    ### BEGIN SOLUTION
    z1 = x @ W1 + b1  # z1 = x W1 + b1
    a1 = f(z1, slope)  # a1 = f(z1)
    p = softmax(a1 @ W2 + b2)  # p = softmax(z2), z2 = a1 W2 + b2
    ### END SOLUTION
    return z1, a1, p


# (BP1) Each loss's output error, delta2 = dl/dz2 for each image, from p = softmax(z2) and y.
def cross_entropy_error(p, y, floor):
    ### BEGIN SOLUTION
    return p - y  # C_x = -log p_y
    ### END SOLUTION


def mae_error(p, y, floor):
    ### BEGIN SOLUTION
    k = y.shape[1]  # C_x = mean over the k classes of |p - Y| = 2 (1 - p_y) / k
    p_y = (p * y).sum(axis=1, keepdims=True)
    return 2 / k * np.maximum(p_y, floor) * (p - y)  # floor 0: MAE's own gradient
    ### END SOLUTION


def quadratic_error(p, y, floor):
    ### BEGIN SOLUTION
    g = p - y  # C_x = 1/2 |p - Y|^2, so dC_x/dp = g; then through the softmax's Jacobian
    return p * (g - (p * g).sum(axis=1, keepdims=True))
    ### END SOLUTION


OUTPUT_ERRORS = {"cross_entropy": cross_entropy_error, "mae": mae_error, "quadratic": quadratic_error}


def hidden_error(delta2, W2, z1, activation, slope=0.0):
    """(BP2) delta1, the error one layer down, from the output error delta2."""
    _, f_prime = ACTIVATIONS[activation]
    ### BEGIN SOLUTION
    return (delta2 @ W2.T) * f_prime(z1, slope)
    ### END SOLUTION


def bias_gradients(delta1, delta2):
    """(BP3) dL/db1 and dL/db2, the batch's mean: a bias's gradient is its layer's error."""
    n = delta1.shape[0]
    ### BEGIN SOLUTION
    db1 = delta1.sum(axis=0) / n
    db2 = delta2.sum(axis=0) / n
    ### END SOLUTION
    return db1, db2


def weight_gradients(x, a1, delta1, delta2):
    """(BP4) dL/dW1 and dL/dW2, the batch's mean: a weight's gradient is its input times its error."""
    n = x.shape[0]
    ### BEGIN SOLUTION
    dW1 = x.T @ delta1 / n
    dW2 = a1.T @ delta2 / n
    ### END SOLUTION
    return dW1, dW2


def update(parameters, gradients, lr):
    """One step of gradient descent: each parameter moved against its gradient, times lr."""
    ### BEGIN SOLUTION
    return [parameter - lr * gradient for parameter, gradient in zip(parameters, gradients, strict=True)]
    ### END SOLUTION


def gradients(x, y, W1, b1, W2, b2, activation, loss, slope=0.0, floor=0.0):
    """dL/dW1, dL/db1, dL/dW2, dL/db2 of the batch's mean loss."""
    z1, a1, p = forward(x, W1, b1, W2, b2, activation, slope)
    delta2 = OUTPUT_ERRORS[loss](p, y, floor)  # (BP1) the output error
    delta1 = hidden_error(delta2, W2, z1, activation, slope)  # (BP2) the error one layer down
    db1, db2 = bias_gradients(delta1, delta2)  # (BP3)
    dW1, dW2 = weight_gradients(x, a1, delta1, delta2)  # (BP4)
    return dW1, db1, dW2, db2


def gradients_two_hidden(x, y, W1, b1, W2, b2, W3, b3, activation, loss, slope=0.0, floor=0.0):
    """dL/dW1, dL/db1, dL/dW2, dL/db2, dL/dW3, dL/db3 for two hidden layers: BP2 once more."""
    f, f_prime = ACTIVATIONS[activation]
    n = x.shape[0]
    z1 = x @ W1 + b1  # forward, layer by layer
    a1 = f(z1, slope)
    z2 = a1 @ W2 + b2
    a2 = f(z2, slope)
    p = softmax(a2 @ W3 + b3)
    delta3 = OUTPUT_ERRORS[loss](p, y, floor)  # (BP1) the output error
    delta2 = f_prime(z2, slope) * (delta3 @ W3.T)  # (BP2) one layer down
    delta1 = f_prime(z1, slope) * (delta2 @ W2.T)  # (BP2) and one more
    return (
        x.T @ delta1 / n, delta1.sum(axis=0) / n,  # (BP4, BP3) each layer's input times its error
        a1.T @ delta2 / n, delta2.sum(axis=0) / n,
        a2.T @ delta3 / n, delta3.sum(axis=0) / n,
    )  # fmt: skip
