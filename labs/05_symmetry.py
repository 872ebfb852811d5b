# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 5: symmetry, or why weights start random
#
# If every weight starts at 0, every hidden unit computes the same thing from the same
# inputs. Backpropagation then gives each the same gradient, so after any number of steps
# they are still the same: 30 units that are really one.
#
# **Predict first.** Started from all-zero weights (`init: zeros`, also in params.yaml),
# how many different hidden units will a sigmoid network have after training? And what
# accuracy can it reach?
#
# Runs in about 2 s,
# on one core of a 2-core Intel Xeon.

# %%
import labkit  # first: it pins the CPU's kernels, so your numbers are the lab's
import numpy as np

X, labels = labkit.mnist("train")
X_val, labels_val = labkit.mnist("val")


def trained(init: str, n: int) -> "labkit.mlp.MLP":
    model = labkit.network(hidden=30, activation="sigmoid", init=init, seed=0)
    history = labkit.fit(
        model, X[:n], labels[:n], X_val, labels_val, loss="cross_entropy", optimizer="sgd", lr=0.5
    )
    labkit.report(f"init {init}, {n} images, validation accuracy", history[-1].val_accuracy)
    W1 = model.weights[0]
    labkit.report(
        f"init {init}, {n} images, largest difference between two units' weights",
        float(np.abs(W1 - W1[:, :1]).max()),
        ".1e",
    )
    return model


zero_start = trained("zeros", 5_000)
labkit.show(labkit.pictures(zero_start.weights[0].T[:10]), "zeros_hidden_units")
random_start = trained("xavier", 5_000)
labkit.show(labkit.pictures(random_start.weights[0].T[:10]), "xavier_hidden_units")

# %% [markdown]
# From zeros, after 5,000 images:
# `init zeros, 5000 images, largest difference between two units' weights = 3.4e-07` and
# `init zeros, 5000 images, validation accuracy = 0.2603`. The ten pictures are one picture:
# one unit's worth of features cannot separate ten digits. From random weights (Xavier's
# scheme): `init xavier, 5000 images, largest difference between two units' weights = 5.7e-01`
# and `init xavier, 5000 images, validation accuracy = 0.7844`.
#
# In exact arithmetic the zero-start units would stay identical for ever. In float32 they
# differ by rounding: the products add the same numbers in different orders for
# different columns. Keep training and those differences grow:

# %%
zero_start_longer = trained("zeros", 50_000)

# %% [markdown]
# `init zeros, 50000 images, largest difference between two units' weights = 4.9e-01`, and
# `init zeros, 50000 images, validation accuracy = 0.8618`. Rounding broke the symmetry, slowly
# and by chance: a random start breaks it at once, and by design.
#
# ## Turn the knob
# Pick the initialisation and the activation; the pictures of the first ten hidden units
# after one epoch on 5,000 images redraw.


# %%
def retrain(init: str = "zeros", activation: str = "sigmoid") -> dict:
    model = labkit.network(hidden=30, activation=activation, init=init, seed=0)
    labkit.fit(model, X[:5000], labels[:5000], X_val, labels_val, loss="cross_entropy", lr=0.5)
    units = model.weights[0].T[:10]
    labkit.show(labkit.pictures(units), "retrained")
    return {"hidden_units": units}


labkit.controls(retrain, init=["zeros", "xavier", "he"], activation=["sigmoid", "tanh", "relu", "leaky_relu"])

# %% [markdown]
# ## Exercise
# In exact arithmetic, with no rounding at all, how many different hidden units would a
# network started from zeros have after any number of steps?

# %%
import exercises

answer = None  # your answer: a whole number
### BEGIN SOLUTION
answer = 1
### END SOLUTION
exercises.symmetric_units(answer)
