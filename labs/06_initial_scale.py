# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 6: the initial scale, saturation and dead units
#
# A sigmoid unit whose input z is far from 0 is saturated: its output is stuck near 0 or
# 1, and its derivative f'(z) = f(z)(1 - f(z)) is near 0, so almost no gradient passes
# through it. Xavier's and He's schemes pick the weights' spread so that z stays in the
# useful range; Nielsen's `weight_initialization.py` compares N(0, 1) weights with them.
#
# **Predict first.** With initial weights 10 times Xavier's, what share of the sigmoid
# units' outputs will be saturated (below 0.01 or above 0.99) on the first image batch?
# A few percent, or most of them?
#
# Runs in about 3 s,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import matplotlib.pyplot as plt
import numpy as np

X, labels = labkit.mnist("train")
X_val, labels_val = labkit.mnist("val")


def saturated_share(a: np.ndarray) -> float:
    return float(((a < 0.01) | (a > 0.99)).mean())


figure, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
for ax, scale in zip(axes, (1.0, 10.0), strict=True):
    model = labkit.network(hidden=30, activation="sigmoid", init="xavier", scale=scale, seed=0)
    a1 = model.hidden(X_val[:1000])[0]
    ax.hist(a1.ravel(), bins=50)
    ax.set(title=f"sigmoid, {scale:g} x Xavier", xlabel="hidden activation a1")
    labkit.report(f"scale {scale:g}, saturated share before training", saturated_share(a1), ".3f")
    history = labkit.fit(model, X, labels, X_val, labels_val, loss="cross_entropy", lr=0.5)
    labkit.report(f"scale {scale:g}, validation accuracy after 1 epoch", history[-1].val_accuracy)
labkit.show(figure, "activations")

# %% [markdown]
# At Xavier's scale, `scale 1, saturated share before training = 0.000`; at ten times it,
# `scale 10, saturated share before training = 0.327`: the histogram piles up at 0 and 1.
# After one epoch, `scale 1, validation accuracy after 1 epoch = 0.9278` against
# `scale 10, validation accuracy after 1 epoch = 0.9010`.
#
# ReLU units fail differently: a unit whose z is below 0 for every image outputs 0 and
# passes no gradient at all, for ever: it is dead.

# %%
for scale in (1.0, 10.0):
    model = labkit.network(hidden=30, activation="relu", init="he", scale=scale, seed=0)
    labkit.fit(model, X, labels, X_val, labels_val, loss="cross_entropy", lr=0.5)
    dead = (model.hidden(X_val)[0] == 0).all(axis=0)
    labkit.report(f"relu, scale {scale:g}, dead units after 1 epoch", str(int(dead.sum())))

# %% [markdown]
# `relu, scale 1, dead units after 1 epoch = 5` and
# `relu, scale 10, dead units after 1 epoch = 0` of 30.
#
# ## Turn the knob
# The initial scale and the activation: the histogram of the hidden activations before
# training, and the share of saturated (sigmoid, tanh) or dead (ReLU) units.


# %%
def redraw(scale: float = 1.0, activation: str = "sigmoid") -> dict:
    model = labkit.network(hidden=30, activation=activation, scale=scale, seed=0)
    labkit.fit(model, X[:5000], labels[:5000], X_val, labels_val, loss="cross_entropy", lr=0.5)
    a1 = model.hidden(X_val[:1000])[0]
    figure, ax = plt.subplots()
    ax.hist(a1.ravel(), bins=50)
    ax.set(title=f"{activation}, {scale:g} x its scheme, after 5,000 images", xlabel="hidden activation a1")
    labkit.show(figure, "redrawn")
    return {"activations": a1}


labkit.controls(
    redraw, scale=[0.1, 0.3, 1.0, 3.0, 10.0, 30.0], activation=["sigmoid", "tanh", "relu", "leaky_relu"]
)

# %% [markdown]
# ## Exercise
# What is the largest value the sigmoid's derivative f'(z) = f(z)(1 - f(z)) takes? It
# bounds how much of the gradient a sigmoid layer can pass back.

# %%
import exercises

answer = None  # your answer: a number
### BEGIN SOLUTION
answer = 0.25  # at z = 0, where f(z) = 1/2
### END SOLUTION
exercises.sigmoid_slope_at_most(answer)
