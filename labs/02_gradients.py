# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 2: gradients, checked
#
# Backpropagation (`mlp/network.py`, `loss_and_gradient`) gives the derivative of the loss
# with respect to every weight at once. A numerical check needs no calculus at all: nudge
# one weight by h up and down and see how the loss changes,
#
#     dL/dw ≈ (L(w + h) - L(w - h)) / 2h.
#
# The two should agree to within rounding. In float64 with h = 1e-5, a relative error
# |a - n| / (|a| + |n|) below 1e-7 means backpropagation is right; above 1e-4, a bug.
#
# **Predict first.** If the backward pass forgot to multiply by the activation's
# derivative f'(z), which weights' gradients would still be right: the output layer's W2,
# the hidden layer's W1, or neither?
#
# Runs in about 1 s,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt
import mlp
import numpy as np

X, labels = labkit.mnist("train", 20)
X = X.astype(np.float64)  # float64: the centred difference needs the precision
model = labkit.network(hidden=30, activation="sigmoid", seed=0)
model = mlp.MLP(
    [W.astype(np.float64) for W in model.weights],
    [b.astype(np.float64) for b in model.biases],
    model.activation,
)
loss = mlp.make_loss("cross_entropy", 0.0)


def relative_errors(model: mlp.MLP, indices: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """|a - n| / (|a| + |n|) for the parameters at `indices` of model.theta."""
    _, gradient = model.loss_and_gradient(X, labels, loss)
    analytic = gradient[indices].copy()
    numeric = np.empty_like(analytic)
    for k, i in enumerate(indices):
        saved = model.theta[i]
        model.theta[i] = saved + h
        up, _ = model.loss_and_gradient(X, labels, loss)
        model.theta[i] = saved - h
        down, _ = model.loss_and_gradient(X, labels, loss)
        model.theta[i] = saved
        numeric[k] = (up - down) / (2 * h)
    return np.abs(analytic - numeric) / (np.abs(analytic) + np.abs(numeric))


rng = np.random.default_rng(0)
# W1's weights from pixels that are ink in some image of the batch: a pixel that is 0 in
# all 20 gives its weights no gradient at all, and 0 / 0 as their relative error.
inked_pixels = np.flatnonzero(X.any(axis=0))
W1_indices = np.ravel_multi_index(
    (rng.choice(inked_pixels, 30), rng.integers(0, 30, 30)), model.weights[0].shape
)
W2_indices = model.bounds[2][0] + rng.integers(0, model.weights[1].size, 30)
right_W1, right_W2 = relative_errors(model, W1_indices), relative_errors(model, W2_indices)
labkit.report("largest relative error in W1", right_W1.max(), ".1e")
labkit.report("largest relative error in W2", right_W2.max(), ".1e")

# %% [markdown]
# Backpropagation agrees with the numerical derivative: `largest relative error in W1 = 7.6e-08`
# and `largest relative error in W2 = 5.0e-09`, both below 1e-7.
#
# ## A wrong backward pass
# Now an activation whose derivative is wrong: sigmoid that claims f'(z) = 1, as a
# backward pass that forgot the factor f'(z) in BP2 would. The forward pass, and so the
# loss, is unchanged; only the gradient is wrong.


# %%
class ForgotTheDerivative(mlp.activations.Sigmoid):
    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.ones_like(z)


wrong = mlp.MLP(model.weights, model.biases, ForgotTheDerivative())
wrong_W1, wrong_W2 = relative_errors(wrong, W1_indices), relative_errors(wrong, W2_indices)
labkit.report("forgetting f', largest relative error in W1", wrong_W1.max(), ".1e")
labkit.report("forgetting f', largest relative error in W2", wrong_W2.max(), ".1e")

figure, ax = plt.subplots()
ax.semilogy(right_W1, "o", label="W1, right")
ax.semilogy(wrong_W1, "x", label="W1, f' forgotten")
ax.semilogy(wrong_W2, ".", label="W2, f' forgotten")
ax.axhline(1e-7, color="g", linestyle="--")
ax.axhline(1e-4, color="r", linestyle="--")
ax.set(
    xlabel="sampled weight", ylabel="relative error", title="Backpropagation against the numerical derivative"
)
ax.legend()
labkit.show(figure, "relative_errors")

# %% [markdown]
# W1's errors jump to `forgetting f', largest relative error in W1 = 7.4e-01`: a bug. But
# `forgetting f', largest relative error in W2 = 5.0e-09`: W2's gradient, a1ᵀ δ2, is computed
# before f'(z1) is ever used, so it is still right. A gradient check tells you *which*
# layer's backward pass is wrong.
#
# ## Exercise
# Write the sigmoid's derivative as a function of z (the sigmoid is 1 / (1 + e^(-z))),
# and check it: the checker compares it with the true derivative at 49 points.

# %%
import exercises


def your_sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    ### BEGIN SOLUTION
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)
    ### END SOLUTION
    return None  # your answer: an array the shape of z


exercises.sigmoid_derivative(your_sigmoid_derivative)
